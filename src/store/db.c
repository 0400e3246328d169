/*
 * db.c: every SQL statement complaintd runs, and the one path they all take through librepl
 * (see db.h).
 *
 * Each public function lists its statements with their parameters, then calls db_run with the
 * operation it belongs to. db_run maps librepl's answer to an enum db_status and logs a failure
 * with the operation, the attempts and the last error number — never a parameter's value.
 */
#include "db.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "arena.h"
#include "config.h"
#include "log.h"
#include "repl.h"
#include "secrets.h"
#include "store/backend.h"

/* ER_DUP_ENTRY: a unique key refused the row. */
#define DB_ERRNO_DUPLICATE 1062
/* A session is marked used at most this often (one write a minute per active session). */
#define DB_SESSION_TOUCH_SECONDS 60

struct db {
	struct backend backend;         /* [db]: db.write, db.primary (reads that must see every
	                                   acknowledged write), db.read */
	char *user;
	char *password;
};

/* How a transaction runs: its operation, and whether it writes. */
enum db_kind { DB_KIND_WRITE, DB_KIND_PRIMARY, DB_KIND_READ };

static const char *const db_status_names[] = {
	[DB_OK] = "ok",
	[DB_NOT_FOUND] = "not found",
	[DB_DUPLICATE] = "already exists",
	[DB_UNAVAILABLE] = "the database is unavailable",
	[DB_UNKNOWN] = "the outcome of the write is unknown",
	[DB_NOT_CONFIGURED] = "no database is configured",
};

const char *db_strerror(enum db_status status)
{
	if ((size_t)status < sizeof(db_status_names) / sizeof(db_status_names[0]) && db_status_names[status] != NULL)
		return db_status_names[status];
	return "unknown status";
}

static struct repl_sql_param db_text(const char *text)
{
	return (struct repl_sql_param){.type = REPL_SQL_STRING, .text = text, .len = strlen(text)};
}

static struct repl_sql_param db_bytes(const uint8_t *bytes, size_t len)
{
	return (struct repl_sql_param){.type = REPL_SQL_STRING, .text = (const char *)bytes, .len = len};
}

static struct repl_sql_param db_integer(int64_t value)
{
	return (struct repl_sql_param){.type = REPL_SQL_INT64, .integer = value};
}

struct db *db_new(const struct config *config, const struct secrets *secrets, char *error, size_t error_size)
{
	struct db *db = calloc(1, sizeof(*db));
	if (db == NULL) {
		snprintf(error, error_size, "out of memory");
		return NULL;
	}
	if (backend_init(&db->backend, BACKEND_DB, config, error, error_size) != 0)
		goto fail;
	if (!db->backend.configured)
		return db;
	const char *password = secrets_get(secrets, "db_app_password");
	db->user = strdup(config->db_user);
	db->password = strdup(password != NULL ? password : "");
	if (db->user == NULL || db->password == NULL) {
		snprintf(error, error_size, "out of memory");
		goto fail;
	}
	return db;
fail:
	db_free(db);
	return NULL;
}

void db_free(struct db *db)
{
	if (db == NULL)
		return;
	backend_release(&db->backend);
	if (db->password != NULL)
		sodium_memzero(db->password, strlen(db->password));
	free(db->password);
	free(db->user);
	free(db);
}

int db_worker_start(struct db *db, struct repl_stats *stats, char *error, size_t error_size)
{
	return backend_worker_start(&db->backend, stats, error, error_size);
}

void db_worker_stop(struct db *db)
{
	if (db != NULL)
		backend_worker_stop(&db->backend);
}

bool db_configured(const struct db *db)
{
	return db != NULL && db->backend.configured;
}

/* The SQL error of the attempt that ended the operation (0 if none was an SQL error). */
static unsigned db_last_errno(const struct repl_result *result)
{
	for (unsigned i = result->attempt_count; i > 0; i--) {
		if (result->attempts[i - 1].observation.sql_errno != 0)
			return result->attempts[i - 1].observation.sql_errno;
	}
	return 0;
}

/* Runs statements as one transaction of kind; on DB_OK the caller owns result (repl_result_free). */
static enum db_status db_run(struct db *db, enum db_kind kind, const struct repl_sql_statement *statements,
                             size_t count, const char *wait_gtid, struct repl_result *result)
{
	static const struct {
		enum backend_db_operation operation;
		bool read_only;
		bool capture_gtid;
	} kinds[] = {
		[DB_KIND_WRITE] = {BACKEND_DB_WRITE, false, true},
		[DB_KIND_PRIMARY] = {BACKEND_DB_PRIMARY, true, false},
		[DB_KIND_READ] = {BACKEND_DB_READ, true, false},
	};
	memset(result, 0, sizeof(*result));
	if (!db_configured(db))
		return DB_NOT_CONFIGURED;
	const struct repl_operation *operation = &db->backend.operations[kinds[kind].operation];
	if (db->backend.client == NULL) {
		log_error("%s: no database client in this process", operation->name);
		return DB_UNAVAILABLE;
	}
	struct repl_sql_transaction transaction = {
		.statements = statements,
		.statement_count = count,
		.user = db->user,
		.password = db->password,
		.read_only = kinds[kind].read_only,
		.capture_gtid = kinds[kind].capture_gtid,
		.wait_gtid = wait_gtid != NULL && wait_gtid[0] != '\0' ? wait_gtid : NULL,
	};
	enum repl_status status = repl_execute_sql(db->backend.client, operation, &transaction, result);
	if (status == REPL_OK)
		return DB_OK;
	unsigned sql_errno = db_last_errno(result);
	enum db_status answer = status == REPL_UNKNOWN ? DB_UNKNOWN : DB_UNAVAILABLE;
	if (status == REPL_FINAL && sql_errno == DB_ERRNO_DUPLICATE)
		answer = DB_DUPLICATE;
	else
		log_error("%s: %s after %u attempts in %lld ms (last error %u) running: %.60s", operation->name,
		          repl_strerror(status), result->attempt_count, (long long)result->elapsed_ms, sql_errno,
		          statements[0].sql);
	repl_result_free(result);
	return answer;
}

/* Runs one SELECT expected to find one row: DB_NOT_FOUND (result freed) when it found none; on
 * DB_OK the caller reads result->sql.statements[0] and frees result. */
static enum db_status db_select_row(struct db *db, enum db_kind kind, const struct repl_sql_statement *statement,
                                    const char *wait_gtid, struct repl_result *result)
{
	enum db_status status = db_run(db, kind, statement, 1, wait_gtid, result);
	if (status == DB_OK && result->sql.statements[0].row_count == 0) {
		repl_result_free(result);
		status = DB_NOT_FOUND;
	}
	return status;
}

/* A value of the winner's rows: an arena copy, or NULL for SQL NULL (or out of memory). */
static const char *db_value(struct arena *arena, const struct repl_sql_rows *rows, size_t row, unsigned column)
{
	const struct repl_sql_value *value = &rows->values[row * rows->column_count + column];
	if (value->null || value->data == NULL)
		return NULL;
	return arena_strndup(arena, value->data, value->len);
}

static int64_t db_value_integer(const struct repl_sql_rows *rows, size_t row, unsigned column)
{
	const struct repl_sql_value *value = &rows->values[row * rows->column_count + column];
	return value->null || value->data == NULL ? 0 : strtoll(value->data, NULL, 10);
}

/* Remembers, in the session's row, the GTID of a write it just made: its later db.read calls
 * skip replicas that have not applied it. The write itself has committed, so a failure here is
 * logged, not returned: until the session writes again its reads may come from a replica that
 * lags behind this one write. */
static void db_session_record_write(struct db *db, const char *column, const struct repl_sql_param *key,
                                    const char *gtid)
{
	if (gtid[0] == '\0')
		return;
	char sql[128];
	snprintf(sql, sizeof(sql), "UPDATE sessions SET last_write_gtid = ? WHERE %s = ?", column);
	struct repl_sql_param params[] = {db_text(gtid), *key};
	struct repl_sql_statement statement = {sql, params, 2, false};
	struct repl_result result;
	if (db_run(db, DB_KIND_WRITE, &statement, 1, NULL, &result) == DB_OK)
		repl_result_free(&result);
	else
		log_warn("db.write: the session's last write could not be recorded; its next reads may be stale");
}

enum db_status db_signup(struct db *db, const char *name, const char *email, const char *password_hash,
                         const struct db_new_session *session, int64_t *account_id)
{
	struct repl_sql_param account[] = {db_text(name), db_text(email), db_text(password_hash)};
	struct repl_sql_param session_params[] = {
		db_bytes(session->token_hash, TOKEN_HASH_SIZE),
		db_bytes(session->csrf_secret, TOKEN_CSRF_SECRET_SIZE),
	};
	const struct repl_sql_statement statements[] = {
		{"INSERT INTO accounts (role, name, email, password_hash) VALUES ('user', ?, ?, ?)", account, 3, false},
		{"INSERT INTO sessions (token_hash, account_id, csrf_secret) VALUES (?, LAST_INSERT_ID(), ?)",
		 session_params, 2, false},
	};
	struct repl_result result;
	enum db_status status = db_run(db, DB_KIND_WRITE, statements, 2, NULL, &result);
	if (status != DB_OK)
		return status;
	*account_id = (int64_t)result.sql.statements[0].insert_id;
	db_session_record_write(db, "token_hash", &session_params[0], result.sql.gtid);
	repl_result_free(&result);
	return DB_OK;
}

enum db_status db_account_create(struct db *db, enum account_role role, const char *name, const char *email,
                                 const char *password_hash, int64_t *account_id)
{
	const char *stored_role = account_role_stored(role);
	struct repl_sql_param params[] = {db_text(stored_role), db_text(name), db_text(email), db_text(password_hash)};
	struct repl_sql_param log_params[] = {db_text(stored_role)};
	const struct repl_sql_statement statements[] = {
		{"INSERT INTO accounts (role, name, email, password_hash) VALUES (?, ?, ?, ?)", params, 4, false},
		/* actor NULL: made on the server by complaintctl, not by a signed-in admin. */
		{"INSERT INTO admin_log (actor_id, action, target_account_id, detail)"
		 " VALUES (NULL, 'create_account', LAST_INSERT_ID(), CONCAT('role ', ?, ' by complaintctl'))",
		 log_params, 1, false},
	};
	struct repl_result result;
	enum db_status status = db_run(db, DB_KIND_WRITE, statements, 2, NULL, &result);
	if (status != DB_OK)
		return status;
	*account_id = (int64_t)result.sql.statements[0].insert_id;
	repl_result_free(&result);
	return DB_OK;
}

static enum db_status db_credentials_where(struct db *db, struct arena *arena, const char *sql,
                                           struct repl_sql_param key, struct db_credentials *out)
{
	const struct repl_sql_statement statement = {sql, &key, 1, true};
	struct repl_result result;
	enum db_status status = db_select_row(db, DB_KIND_PRIMARY, &statement, NULL, &result);
	if (status != DB_OK)
		return status;
	const struct repl_sql_rows *rows = &result.sql.statements[0];
	out->account_id = db_value_integer(rows, 0, 0);
	out->password_hash = db_value(arena, rows, 0, 1);
	out->disabled = db_value_integer(rows, 0, 2) != 0;
	if (out->password_hash == NULL)
		status = DB_UNAVAILABLE;  /* out of request memory */
	repl_result_free(&result);
	return status;
}

enum db_status db_credentials_by_email(struct db *db, struct arena *arena, const char *email,
                                       struct db_credentials *out)
{
	return db_credentials_where(
		db, arena, "SELECT id, password_hash, disabled_at IS NOT NULL FROM accounts WHERE email_key = LOWER(?)",
		db_text(email), out);
}

enum db_status db_credentials_by_id(struct db *db, struct arena *arena, int64_t account_id,
                                    struct db_credentials *out)
{
	return db_credentials_where(
		db, arena, "SELECT id, password_hash, disabled_at IS NOT NULL FROM accounts WHERE id = ?",
		db_integer(account_id), out);
}

enum db_status db_session_start(struct db *db, int64_t account_id, const uint8_t *replaced_token_hash,
                                const struct db_new_session *session, const char *rehashed_password)
{
	struct repl_sql_param replaced[] = {db_bytes(replaced_token_hash, TOKEN_HASH_SIZE)};
	struct repl_sql_param insert[] = {
		db_bytes(session->token_hash, TOKEN_HASH_SIZE),
		db_integer(account_id),
		db_bytes(session->csrf_secret, TOKEN_CSRF_SECRET_SIZE),
	};
	struct repl_sql_param rehash[] = {db_text(rehashed_password != NULL ? rehashed_password : ""),
	                                  db_integer(account_id)};
	struct repl_sql_statement statements[3];
	size_t count = 0;
	if (replaced_token_hash != NULL)
		statements[count++] = (struct repl_sql_statement){"DELETE FROM sessions WHERE token_hash = ?", replaced, 1, false};
	statements[count++] = (struct repl_sql_statement){
		"INSERT INTO sessions (token_hash, account_id, csrf_secret) VALUES (?, ?, ?)", insert, 3, false};
	if (rehashed_password != NULL)
		statements[count++] = (struct repl_sql_statement){
			"UPDATE accounts SET password_hash = ? WHERE id = ?", rehash, 2, false};
	struct repl_result result;
	enum db_status status = db_run(db, DB_KIND_WRITE, statements, count, NULL, &result);
	if (status != DB_OK)
		return status;
	/* The new session must not read older data than the account's earlier sessions wrote: its
	 * own commit comes after all of them on the primary. */
	db_session_record_write(db, "token_hash", &insert[0], result.sql.gtid);
	repl_result_free(&result);
	return DB_OK;
}

enum db_status db_session_find(struct db *db, struct arena *arena, const uint8_t token_hash[TOKEN_HASH_SIZE],
                               long long idle_ms, long long absolute_ms, struct db_session *out)
{
	struct repl_sql_param params[] = {
		db_integer(DB_SESSION_TOUCH_SECONDS),
		db_bytes(token_hash, TOKEN_HASH_SIZE),
		db_integer((int64_t)idle_ms * 1000),
		db_integer((int64_t)absolute_ms * 1000),
	};
	const struct repl_sql_statement statement = {
		"SELECT s.id, s.account_id, s.csrf_secret, s.last_write_gtid, a.role, a.name,"
		" s.last_seen_at < UTC_TIMESTAMP(3) - INTERVAL ? SECOND"
		" FROM sessions s JOIN accounts a ON a.id = s.account_id"
		" WHERE s.token_hash = ? AND a.disabled_at IS NULL"
		" AND s.last_seen_at > UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND"
		" AND s.created_at > UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND",
		params, 4, true};
	struct repl_result result;
	enum db_status status = db_select_row(db, DB_KIND_PRIMARY, &statement, NULL, &result);
	if (status != DB_OK)
		return status;
	const struct repl_sql_rows *rows = &result.sql.statements[0];
	bool touch = false;
	if (rows->values[2].len != TOKEN_CSRF_SECRET_SIZE) {
		status = DB_NOT_FOUND;
		goto out;
	}
	memset(out, 0, sizeof(*out));
	out->id = db_value_integer(rows, 0, 0);
	out->account_id = db_value_integer(rows, 0, 1);
	memcpy(out->csrf_secret, rows->values[2].data, TOKEN_CSRF_SECRET_SIZE);
	if (!rows->values[3].null && rows->values[3].len < sizeof(out->last_write_gtid))
		memcpy(out->last_write_gtid, rows->values[3].data, rows->values[3].len);
	const char *role = db_value(arena, rows, 0, 4);
	out->name = db_value(arena, rows, 0, 5);
	touch = db_value_integer(rows, 0, 6) != 0;
	if (role == NULL || out->name == NULL)
		status = DB_UNAVAILABLE;  /* out of request memory */
	else if (!account_role_parse(role, &out->role))
		status = DB_NOT_FOUND;    /* a role this build does not know grants nothing */
out:
	repl_result_free(&result);
	if (status == DB_OK && touch) {
		struct repl_sql_param id = db_integer(out->id);
		const struct repl_sql_statement update = {
			"UPDATE sessions SET last_seen_at = UTC_TIMESTAMP(3) WHERE id = ?", &id, 1, false};
		if (db_run(db, DB_KIND_WRITE, &update, 1, NULL, &result) == DB_OK)
			repl_result_free(&result);
	}
	return status;
}

enum db_status db_session_end(struct db *db, int64_t session_id)
{
	struct repl_sql_param id = db_integer(session_id);
	const struct repl_sql_statement statement = {"DELETE FROM sessions WHERE id = ?", &id, 1, false};
	struct repl_result result;
	enum db_status status = db_run(db, DB_KIND_WRITE, &statement, 1, NULL, &result);
	if (status == DB_OK)
		repl_result_free(&result);
	return status;
}

enum db_status db_password_change(struct db *db, struct db_session *session, const char *password_hash)
{
	struct repl_sql_param update[] = {db_text(password_hash), db_integer(session->account_id)};
	struct repl_sql_param others[] = {db_integer(session->account_id), db_integer(session->id)};
	const struct repl_sql_statement statements[] = {
		{"UPDATE accounts SET password_hash = ?, password_changed_at = UTC_TIMESTAMP(3) WHERE id = ?", update, 2,
		 false},
		{"DELETE FROM sessions WHERE account_id = ? AND id <> ?", others, 2, false},
	};
	struct repl_result result;
	enum db_status status = db_run(db, DB_KIND_WRITE, statements, 2, NULL, &result);
	if (status != DB_OK)
		return status;
	if (result.sql.statements[0].affected_rows == 0)
		status = DB_NOT_FOUND;
	struct repl_sql_param id = db_integer(session->id);
	db_session_record_write(db, "id", &id, result.sql.gtid);
	snprintf(session->last_write_gtid, sizeof(session->last_write_gtid), "%s", result.sql.gtid);
	repl_result_free(&result);
	return status;
}

enum db_status db_account_get(struct db *db, struct arena *arena, const struct db_session *session,
                              struct db_account *out)
{
	struct repl_sql_param id = db_integer(session->account_id);
	const struct repl_sql_statement statement = {
		"SELECT id, role, name, email, created_at FROM accounts WHERE id = ?", &id, 1, true};
	struct repl_result result;
	enum db_status status = db_select_row(db, DB_KIND_READ, &statement, session->last_write_gtid, &result);
	if (status != DB_OK)
		return status;
	const struct repl_sql_rows *rows = &result.sql.statements[0];
	out->id = db_value_integer(rows, 0, 0);
	const char *role = db_value(arena, rows, 0, 1);
	out->name = db_value(arena, rows, 0, 2);
	out->email = db_value(arena, rows, 0, 3);
	out->created_at = db_value(arena, rows, 0, 4);
	if (role == NULL || out->name == NULL || out->email == NULL)
		status = DB_UNAVAILABLE;  /* out of request memory */
	else if (!account_role_parse(role, &out->role))
		status = DB_NOT_FOUND;
	repl_result_free(&result);
	return status;
}

/* ---- complaints ---- */

enum db_status db_categories(struct db *db, struct arena *arena, struct db_category *out, size_t max, size_t *count)
{
	const struct repl_sql_statement statement = {
		"SELECT code, name FROM categories WHERE active ORDER BY sort_order, name", NULL, 0, true};
	struct repl_result result;
	*count = 0;
	enum db_status status = db_run(db, DB_KIND_READ, &statement, 1, NULL, &result);
	if (status != DB_OK)
		return status;
	const struct repl_sql_rows *rows = &result.sql.statements[0];
	for (size_t i = 0; i < rows->row_count && *count < max; i++) {
		out[*count].code = db_value(arena, rows, i, 0);
		out[*count].name = db_value(arena, rows, i, 1);
		if (out[*count].code == NULL || out[*count].name == NULL) {
			status = DB_UNAVAILABLE;
			break;
		}
		(*count)++;
	}
	repl_result_free(&result);
	return status;
}

static struct repl_sql_param db_text_or_null(const char *text)
{
	return text != NULL ? db_text(text) : (struct repl_sql_param){.type = REPL_SQL_NULL};
}

/* The complaint an account filed with a submit token (db.primary: it may have just committed). */
static enum db_status db_complaint_by_token(struct db *db, int64_t reporter_id,
                                            const uint8_t token[DB_SUBMIT_TOKEN_SIZE], int64_t *id)
{
	struct repl_sql_param params[] = {db_bytes(token, DB_SUBMIT_TOKEN_SIZE), db_integer(reporter_id)};
	const struct repl_sql_statement statement = {
		"SELECT id FROM complaints WHERE submit_token = ? AND reporter_id = ?", params, 2, true};
	struct repl_result result;
	enum db_status status = db_select_row(db, DB_KIND_PRIMARY, &statement, NULL, &result);
	if (status != DB_OK)
		return status;
	*id = db_value_integer(&result.sql.statements[0], 0, 0);
	repl_result_free(&result);
	return DB_OK;
}

enum db_status db_complaint_file(struct db *db, struct db_session *session, const struct db_new_complaint *complaint,
                                 int64_t *id, bool *existing)
{
	struct repl_sql_param insert[] = {
		db_integer(session->account_id),
		db_text(complaint->description),
		db_text_or_null(complaint->address),
		db_text_or_null(complaint->lat),
		db_text_or_null(complaint->lon),
		db_text_or_null(complaint->image_key),
		db_bytes(complaint->submit_token, DB_SUBMIT_TOKEN_SIZE),
		db_text(complaint->category_code),
	};
	struct repl_sql_param track[] = {db_integer(session->account_id),
	                                 db_bytes(complaint->submit_token, DB_SUBMIT_TOKEN_SIZE)};
	struct repl_sql_param repairs[DB_REPAIRS_MAX][3];
	struct repl_sql_statement statements[2 + DB_REPAIRS_MAX] = {
		{"INSERT INTO complaints (category_id, reporter_id, description, address, lat, lon, image_key, due_at,"
		 " submit_token) SELECT id, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(3) + INTERVAL target_days DAY, ?"
		 " FROM categories WHERE code = ? AND active",
		 insert, 8, false},
		/* By token, not LAST_INSERT_ID(): the row is the one this transaction inserted or none. */
		{"INSERT INTO status_track (complaint_id, actor_id, action, from_status, to_status)"
		 " SELECT id, ?, 'submit', NULL, 'submitted' FROM complaints WHERE submit_token = ?",
		 track, 2, false},
	};
	size_t count = 2;
	for (size_t i = 0; i < complaint->repair_count && i < DB_REPAIRS_MAX && complaint->image_key != NULL; i++) {
		repairs[i][0] = db_text(complaint->image_key);
		repairs[i][1] = db_text(complaint->repair_replicas[i]);
		repairs[i][2] = db_bytes(complaint->submit_token, DB_SUBMIT_TOKEN_SIZE);
		/* Only with the complaint: a refused category inserts no row, and no repair either. */
		statements[count++] = (struct repl_sql_statement){
			"INSERT IGNORE INTO photo_repairs (image_key, replica) SELECT ?, ? FROM complaints WHERE submit_token = ?",
			repairs[i], 3, false};
	}
	struct repl_result result;
	*existing = false;
	enum db_status status = db_run(db, DB_KIND_WRITE, statements, count, NULL, &result);
	if (status == DB_DUPLICATE) {
		/* The token filed a complaint already: this account's, or someone else's (refused). */
		status = db_complaint_by_token(db, session->account_id, complaint->submit_token, id);
		*existing = status == DB_OK;
		return status == DB_NOT_FOUND ? DB_DUPLICATE : status;
	}
	if (status != DB_OK)
		return status;
	if (result.sql.statements[0].affected_rows == 0) {
		repl_result_free(&result);
		return DB_NOT_FOUND;  /* no active category of that code: nothing was written */
	}
	*id = (int64_t)result.sql.statements[0].insert_id;
	struct repl_sql_param session_id = db_integer(session->id);
	db_session_record_write(db, "id", &session_id, result.sql.gtid);
	snprintf(session->last_write_gtid, sizeof(session->last_write_gtid), "%s", result.sql.gtid);
	repl_result_free(&result);
	return DB_OK;
}

enum db_status db_complaints_mine(struct db *db, struct arena *arena, const struct db_session *session, size_t offset,
                                  size_t limit, struct db_complaint_summary *out, size_t *count, bool *more)
{
	struct repl_sql_param params[] = {db_integer(session->account_id), db_integer((int64_t)limit + 1),
	                                  db_integer((int64_t)offset)};
	const struct repl_sql_statement statement = {
		"SELECT c.id, k.name, c.status, c.description, c.created_at FROM complaints c"
		" JOIN categories k ON k.id = c.category_id WHERE c.reporter_id = ?"
		" ORDER BY c.created_at DESC, c.id DESC LIMIT ? OFFSET ?",
		params, 3, true};
	struct repl_result result;
	*count = 0;
	*more = false;
	enum db_status status = db_run(db, DB_KIND_READ, &statement, 1, session->last_write_gtid, &result);
	if (status != DB_OK)
		return status;
	const struct repl_sql_rows *rows = &result.sql.statements[0];
	*more = rows->row_count > limit;
	for (size_t i = 0; i < rows->row_count && i < limit; i++) {
		struct db_complaint_summary *item = &out[i];
		item->id = db_value_integer(rows, i, 0);
		item->category = db_value(arena, rows, i, 1);
		item->status = db_value(arena, rows, i, 2);
		item->description = db_value(arena, rows, i, 3);
		item->created_at = db_value(arena, rows, i, 4);
		if (item->category == NULL || item->status == NULL || item->description == NULL || item->created_at == NULL) {
			status = DB_UNAVAILABLE;
			break;
		}
		(*count)++;
	}
	repl_result_free(&result);
	return status;
}

enum db_status db_complaint_get(struct db *db, struct arena *arena, const struct db_session *session, int64_t id,
                                struct db_complaint *out)
{
	struct repl_sql_param params[] = {db_integer(id), db_integer(session->account_id),
	                                  db_integer(session->account_id), db_integer(session->role == ACCOUNT_ADMIN)};
	struct repl_sql_param complaint_id = db_integer(id);
	const struct repl_sql_statement statements[] = {
		{"SELECT c.id, c.reporter_id, COALESCE(c.assigned_agent_id, 0), k.name, c.status, c.description,"
		 " c.address, c.lat, c.lon, c.image_key, c.created_at, c.due_at FROM complaints c"
		 " JOIN categories k ON k.id = c.category_id"
		 " WHERE c.id = ? AND (c.reporter_id = ? OR c.assigned_agent_id = ? OR ? = 1)",
		 params, 4, true},
		{"SELECT at, action, to_status, reason FROM status_track WHERE complaint_id = ? ORDER BY at, id LIMIT 200",
		 &complaint_id, 1, true},
	};
	struct repl_result result;
	memset(out, 0, sizeof(*out));
	enum db_status status = db_run(db, DB_KIND_READ, statements, 2, session->last_write_gtid, &result);
	if (status != DB_OK)
		return status;
	const struct repl_sql_rows *rows = &result.sql.statements[0];
	const struct repl_sql_rows *track = &result.sql.statements[1];
	if (rows->row_count == 0) {
		status = DB_NOT_FOUND;
		goto out;
	}
	out->id = db_value_integer(rows, 0, 0);
	out->reporter_id = db_value_integer(rows, 0, 1);
	out->assigned_agent_id = db_value_integer(rows, 0, 2);
	out->category = db_value(arena, rows, 0, 3);
	out->status = db_value(arena, rows, 0, 4);
	out->description = db_value(arena, rows, 0, 5);
	out->address = db_value(arena, rows, 0, 6);
	out->lat = db_value(arena, rows, 0, 7);
	out->lon = db_value(arena, rows, 0, 8);
	out->image_key = db_value(arena, rows, 0, 9);
	out->created_at = db_value(arena, rows, 0, 10);
	out->due_at = db_value(arena, rows, 0, 11);
	out->timeline = track->row_count > 0 ? arena_calloc(arena, track->row_count, sizeof(*out->timeline)) : NULL;
	if (out->category == NULL || out->status == NULL || out->description == NULL ||
	    (track->row_count > 0 && out->timeline == NULL)) {
		status = DB_UNAVAILABLE;
		goto out;
	}
	for (size_t i = 0; i < track->row_count; i++) {
		out->timeline[i].at = db_value(arena, track, i, 0);
		out->timeline[i].action = db_value(arena, track, i, 1);
		out->timeline[i].to_status = db_value(arena, track, i, 2);
		out->timeline[i].reason = db_value(arena, track, i, 3);
	}
	out->timeline_count = track->row_count;
out:
	repl_result_free(&result);
	return status;
}

/* ---- photo repairs ---- */

/* Copies a value into a fixed buffer; false when it is NULL or does not fit. */
static bool db_value_copy(const struct repl_sql_rows *rows, size_t row, unsigned column, char *out, size_t size)
{
	const struct repl_sql_value *value = &rows->values[row * rows->column_count + column];
	if (value->null || value->data == NULL || value->len >= size)
		return false;
	memcpy(out, value->data, value->len);
	out[value->len] = '\0';
	return true;
}

enum db_status db_photo_repairs_due(struct db *db, struct db_photo_repair *out, size_t max, size_t *count)
{
	struct repl_sql_param limit = db_integer((int64_t)max);
	const struct repl_sql_statement statement = {
		"SELECT image_key, replica, attempts FROM photo_repairs WHERE next_attempt_at <= UTC_TIMESTAMP(3)"
		" ORDER BY next_attempt_at LIMIT ?",
		&limit, 1, true};
	struct repl_result result;
	*count = 0;
	enum db_status status = db_run(db, DB_KIND_PRIMARY, &statement, 1, NULL, &result);
	if (status != DB_OK)
		return status;
	const struct repl_sql_rows *rows = &result.sql.statements[0];
	for (size_t i = 0; i < rows->row_count && i < max; i++) {
		if (!db_value_copy(rows, i, 0, out[*count].image_key, sizeof(out[*count].image_key)) ||
		    !db_value_copy(rows, i, 1, out[*count].replica, sizeof(out[*count].replica)))
			continue;  /* cannot be: the columns are CHAR(64) and VARCHAR(32) */
		out[*count].attempts = (unsigned)db_value_integer(rows, i, 2);
		(*count)++;
	}
	repl_result_free(&result);
	return status;
}

/* Runs one write statement about one repair row. */
static enum db_status db_photo_repair_write(struct db *db, const char *sql, const struct repl_sql_param *params,
                                           size_t count)
{
	const struct repl_sql_statement statement = {sql, params, count, false};
	struct repl_result result;
	enum db_status status = db_run(db, DB_KIND_WRITE, &statement, 1, NULL, &result);
	if (status == DB_OK)
		repl_result_free(&result);
	return status;
}

enum db_status db_photo_repair_done(struct db *db, const struct db_photo_repair *repair)
{
	struct repl_sql_param params[] = {db_text(repair->image_key), db_text(repair->replica)};
	return db_photo_repair_write(db, "DELETE FROM photo_repairs WHERE image_key = ? AND replica = ?", params, 2);
}

enum db_status db_photo_repair_later(struct db *db, const struct db_photo_repair *repair, long retry_seconds)
{
	struct repl_sql_param params[] = {db_integer(retry_seconds), db_text(repair->image_key), db_text(repair->replica)};
	return db_photo_repair_write(db,
	                             "UPDATE photo_repairs SET attempts = attempts + 1,"
	                             " next_attempt_at = UTC_TIMESTAMP(3) + INTERVAL ? SECOND"
	                             " WHERE image_key = ? AND replica = ?",
	                             params, 3);
}
