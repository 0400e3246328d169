/*
 * db.c: the database's one core (see db.h and db_core.h): the [db] backend and its credentials,
 * and the one path every statement takes through librepl. db_execute maps librepl's answer to an
 * enum db_status and logs a failure with the operation, the attempts and the last error number —
 * never a parameter's value; a read's rows are handed to the caller's arena, a write's outcome is
 * copied out, so this is the only file that frees a librepl result.
 */
#include "db.h"
#include "db_core.h"

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
/* ER_NO_SUCH_TABLE, ER_BAD_FIELD_ERROR: the statement names what a migration has not made yet. */
#define DB_ERRNO_NO_TABLE 1146
#define DB_ERRNO_NO_COLUMN 1054

struct db {
	struct backend backend;         /* [db]: db.write, db.primary (reads that must see every
	                                   acknowledged write), db.read */
	char *user;
	char *password;
	bool schema_gap;                /* a statement failed on 1146 or 1054 since db_schema_gap_seen */
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

struct repl_sql_param db_text(const char *text)
{
	return (struct repl_sql_param){.type = REPL_SQL_STRING, .text = text, .len = strlen(text)};
}

struct repl_sql_param db_text_or_null(const char *text)
{
	return text != NULL ? db_text(text) : (struct repl_sql_param){.type = REPL_SQL_NULL};
}

struct repl_sql_param db_bytes(const uint8_t *bytes, size_t len)
{
	return (struct repl_sql_param){.type = REPL_SQL_STRING, .text = (const char *)bytes, .len = len};
}

struct repl_sql_param db_integer(int64_t value)
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

bool db_schema_gap_seen(struct db *db)
{
	if (db == NULL || !db->schema_gap)
		return false;
	db->schema_gap = false;
	return true;
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

/* At log_level debug, each attempt that did not succeed (a retried one too): its outcome, cause, SQL
 * error and statement, so an operator can tell what the replica statistics' Fail columns counted. */
static void db_log_attempts(const struct repl_operation *operation, const struct repl_result *result,
                            const struct repl_sql_statement *statements)
{
	for (unsigned i = 0; i < result->attempt_count; i++) {
		const struct repl_attempt *attempt = &result->attempts[i];
		if (attempt->outcome == REPL_OUTCOME_SUCCESS)
			continue;
		log_debug("%s: attempt %u of %u %s (cause %s, error %u%s) running: %.60s", operation->name, i + 1,
		          result->attempt_count, repl_outcome_name(attempt->outcome), repl_cause_name(attempt->cause),
		          attempt->observation.sql_errno, attempt->observation.commit_sent ? ", after COMMIT" : "",
		          statements[0].sql);
	}
}

/* Runs statements as one transaction of kind; on DB_OK result holds the winner's answer, which
 * the caller (in this file) frees. */
static enum db_status db_execute(struct db *db, enum db_kind kind, const struct repl_sql_statement *statements,
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
	db_log_attempts(operation, result, statements);
	if (status == REPL_OK)
		return DB_OK;
	unsigned sql_errno = db_last_errno(result);
	enum db_status answer = status == REPL_UNKNOWN ? DB_UNKNOWN : DB_UNAVAILABLE;
	if (status == REPL_FINAL && (sql_errno == DB_ERRNO_NO_TABLE || sql_errno == DB_ERRNO_NO_COLUMN))
		db->schema_gap = true;
	if (status == REPL_FINAL && sql_errno == DB_ERRNO_DUPLICATE)
		answer = DB_DUPLICATE;
	else
		log_error("%s: %s after %u attempts in %lld ms (last error %u) running: %.60s", operation->name,
		          repl_strerror(status), result->attempt_count, (long long)result->elapsed_ms, sql_errno,
		          statements[0].sql);
	repl_result_free(result);
	return answer;
}

enum db_status db_write(struct db *db, const struct repl_sql_statement *statements, size_t count,
                        struct db_written *written)
{
	struct repl_result result;
	enum db_status status = db_execute(db, DB_KIND_WRITE, statements, count, NULL, &result);
	if (status != DB_OK)
		return status;
	if (written != NULL) {
		written->insert_id = result.sql.statements[0].insert_id;
		written->affected_rows = result.sql.statements[0].affected_rows;
		snprintf(written->gtid, sizeof(written->gtid), "%s", result.sql.gtid);
	}
	repl_result_free(&result);
	return DB_OK;
}

static void db_result_release(void *result)
{
	repl_result_free(result);
}

enum db_status db_read(struct db *db, struct arena *arena, enum db_read_kind kind,
                       const struct repl_sql_statement *statements, size_t count, const char *wait_gtid,
                       const struct repl_sql_rows **rows)
{
	struct repl_result *result = arena_alloc(arena, sizeof(*result));
	*rows = NULL;
	if (result == NULL)
		return DB_UNAVAILABLE;  /* out of request memory */
	enum db_status status = db_execute(db, kind == DB_READ_PRIMARY ? DB_KIND_PRIMARY : DB_KIND_READ, statements,
	                                   count, wait_gtid, result);
	if (status != DB_OK)
		return status;
	/* From here the rows are the arena's: freed when the request ends (at once if the hook
	 * cannot be registered). */
	if (arena_cleanup_add(arena, db_result_release, result) != 0)
		return DB_UNAVAILABLE;
	*rows = result->sql.statements;
	return DB_OK;
}

enum db_status db_read_row(struct db *db, struct arena *arena, enum db_read_kind kind,
                           const struct repl_sql_statement *statement, const char *wait_gtid,
                           const struct repl_sql_rows **rows)
{
	enum db_status status = db_read(db, arena, kind, statement, 1, wait_gtid, rows);
	if (status == DB_OK && (*rows)[0].row_count == 0)
		status = DB_NOT_FOUND;
	return status;
}

const struct repl_sql_value *db_column(const struct repl_sql_rows *rows, size_t row, const char *name)
{
	static const struct repl_sql_value sql_null = {.data = NULL, .len = 0, .null = true};
	for (unsigned column = 0; rows->column_names != NULL && column < rows->column_count; column++)
		if (strcmp(rows->column_names[column], name) == 0)
			return &rows->values[row * rows->column_count + column];
	log_error("db: the statement has no column %s", name);
	return &sql_null;
}

const char *db_column_text(const struct repl_sql_rows *rows, size_t row, const char *name)
{
	const struct repl_sql_value *value = db_column(rows, row, name);
	return value->null ? NULL : value->data;
}

int64_t db_column_integer(const struct repl_sql_rows *rows, size_t row, const char *name)
{
	const struct repl_sql_value *value = db_column(rows, row, name);
	return value->null || value->data == NULL ? 0 : strtoll(value->data, NULL, 10);
}

bool db_column_copy(const struct repl_sql_rows *rows, size_t row, const char *name, char *out, size_t size)
{
	const struct repl_sql_value *value = db_column(rows, row, name);
	if (value->null || value->data == NULL || value->len >= size)
		return false;
	memcpy(out, value->data, value->len);
	out[value->len] = '\0';
	return true;
}

/* The write itself has committed, so a failure here is logged, not returned: until the session
 * writes again its reads may come from a replica that lags behind this one write. */
void db_session_record_write(struct db *db, const char *column, struct repl_sql_param key, const char *gtid)
{
	if (gtid[0] == '\0')
		return;
	char sql[128];
	snprintf(sql, sizeof(sql), "UPDATE sessions SET last_write_gtid = ? WHERE %s = ?", column);
	struct repl_sql_param params[] = {db_text(gtid), key};
	struct repl_sql_statement statement = {sql, params, 2, false};
	if (db_write(db, &statement, 1, NULL) != DB_OK)
		log_warn("db.write: the session's last write could not be recorded; its next reads may be stale");
}
