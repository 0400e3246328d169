/*
 * db_accounts.c: the statements of accounts and sessions (see db_accounts.h), over db.c's core:
 * each function lists its statements and their parameters, runs them as one transaction and
 * reads what it needs by column name.
 */
#include "db_accounts.h"

#include <string.h>

#include "store/db_core.h"
#include "store/db_outbox.h"
#include "store/db_throttle.h"

/* A session is marked used at most this often (one write a minute per active session). */
#define DB_SESSION_TOUCH_SECONDS 60

void db_session_remember(struct db *db, struct db_session *session, const struct db_written *written)
{
	if (session == NULL)
		return;
	db_session_record_write(db, "id", db_integer(session->id), written->gtid);
	snprintf(session->last_write_gtid, sizeof(session->last_write_gtid), "%s", written->gtid);
}

enum db_status db_session_write(struct db *db, struct db_session *session,
                                const struct repl_sql_statement *statements, size_t count, bool *changed)
{
	struct db_written written;
	*changed = false;
	enum db_status status = db_write(db, statements, count, &written);
	if (status != DB_OK)
		return status;
	*changed = written.affected_rows == 1;
	db_session_remember(db, session, &written);
	return DB_OK;
}

enum db_status db_signup(struct db *db, const char *name, const char *email, const char *password_hash,
                         const struct db_mail_request *request)
{
	struct repl_sql_param taken[] = {db_text(email)};
	struct repl_sql_param account[] = {db_text(name), db_text(email), db_text(password_hash)};
	struct db_outbox_event event;
	struct db_throttle_room room;
	/* Not INSERT ... ON DUPLICATE KEY UPDATE: under CLIENT_FOUND_ROWS (librepl's connections) its
	 * ROW_COUNT() is 1 for a found row too, and IGNORE would also hide other errors. */
	struct repl_sql_statement statements[3 + DB_THROTTLE_COUNT_STATEMENTS] = {
		{"SET @account_new = NOT EXISTS (SELECT 1 FROM accounts WHERE email_key = LOWER(?))", taken, 1, false},
		{"INSERT INTO accounts (role, name, email, password_hash, email_confirmed_at)"
		 " SELECT 'user', ?, ?, ?, NULL FROM DUAL WHERE @account_new = 1",
		 account, 3, false},
	};
	db_outbox_signup(&event, email, &statements[2]);
	size_t count = 3 + db_throttle_count(&room, request->subjects, request->window_ms, request->forget_ms, &statements[3]);
	return db_write(db, statements, count, NULL);
}

enum db_status db_reset_request(struct db *db, const char *email, const struct db_mail_request *request)
{
	struct db_outbox_event event;
	struct db_throttle_room room;
	struct repl_sql_statement statements[1 + DB_THROTTLE_COUNT_STATEMENTS];
	db_outbox_account_by_email(&event, "reset", email, &statements[0]);
	size_t count = 1 + db_throttle_count(&room, request->subjects, request->window_ms, request->forget_ms, &statements[1]);
	return db_write(db, statements, count, NULL);
}

enum db_status db_confirm_again(struct db *db, struct db_session *session, const struct db_mail_request *request,
                                bool *queued)
{
	struct db_outbox_event event;
	struct db_throttle_room room;
	struct repl_sql_statement statements[1 + DB_THROTTLE_COUNT_STATEMENTS];
	/* The mail's INSERT first: db_write reports the first statement's row count. */
	db_outbox_confirm_again(&event, session->account_id, &statements[0]);
	size_t count = 1 + db_throttle_count(&room, request->subjects, request->window_ms, request->forget_ms, &statements[1]);
	return db_session_write(db, session, statements, count, queued);
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
	struct db_written written;
	enum db_status status = db_write(db, statements, 2, &written);
	if (status == DB_OK)
		*account_id = (int64_t)written.insert_id;
	return status;
}

static enum db_status db_credentials_where(struct db *db, struct arena *arena, const char *sql,
                                           struct repl_sql_param key, struct db_credentials *out)
{
	const struct repl_sql_statement statement = {sql, &key, 1, true};
	const struct repl_sql_rows *rows = NULL;
	enum db_status status = db_read_row(db, arena, DB_READ_PRIMARY, &statement, NULL, &rows);
	if (status != DB_OK)
		return status;
	out->account_id = db_column_integer(rows, 0, "id");
	out->password_hash = db_column_text(rows, 0, "password_hash");
	out->disabled = db_column_integer(rows, 0, "disabled") != 0;
	return out->password_hash != NULL ? DB_OK : DB_UNAVAILABLE;
}

enum db_status db_credentials_by_email(struct db *db, struct arena *arena, const char *email,
                                       struct db_credentials *out)
{
	return db_credentials_where(db, arena,
	                            "SELECT id, password_hash, disabled_at IS NOT NULL AS disabled FROM accounts"
	                            " WHERE email_key = LOWER(?)",
	                            db_text(email), out);
}

enum db_status db_credentials_by_id(struct db *db, struct arena *arena, int64_t account_id,
                                    struct db_credentials *out)
{
	return db_credentials_where(db, arena,
	                            "SELECT id, password_hash, disabled_at IS NOT NULL AS disabled FROM accounts"
	                            " WHERE id = ?",
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
	struct db_written written;
	enum db_status status = db_write(db, statements, count, &written);
	if (status != DB_OK)
		return status;
	/* The new session must not read older data than the account's earlier sessions wrote: its
	 * own commit comes after all of them on the primary. */
	db_session_record_write(db, "token_hash", insert[0], written.gtid);
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
		" s.last_seen_at < UTC_TIMESTAMP(3) - INTERVAL ? SECOND AS touch"
		" FROM sessions s JOIN accounts a ON a.id = s.account_id"
		" WHERE s.token_hash = ? AND a.disabled_at IS NULL"
		" AND s.last_seen_at > UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND"
		" AND s.created_at > UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND",
		params, 4, true};
	const struct repl_sql_rows *rows = NULL;
	enum db_status status = db_read_row(db, arena, DB_READ_PRIMARY, &statement, NULL, &rows);
	if (status != DB_OK)
		return status;
	const struct repl_sql_value *csrf_secret = db_column(rows, 0, "csrf_secret");
	const struct repl_sql_value *gtid = db_column(rows, 0, "last_write_gtid");
	const char *role = db_column_text(rows, 0, "role");
	if (csrf_secret->null || csrf_secret->len != TOKEN_CSRF_SECRET_SIZE)
		return DB_NOT_FOUND;
	memset(out, 0, sizeof(*out));
	out->id = db_column_integer(rows, 0, "id");
	out->account_id = db_column_integer(rows, 0, "account_id");
	memcpy(out->csrf_secret, csrf_secret->data, TOKEN_CSRF_SECRET_SIZE);
	if (!gtid->null && gtid->len < sizeof(out->last_write_gtid))
		memcpy(out->last_write_gtid, gtid->data, gtid->len);
	out->name = db_column_text(rows, 0, "name");
	if (out->name == NULL)
		return DB_UNAVAILABLE;
	if (role == NULL || !account_role_parse(role, &out->role))
		return DB_NOT_FOUND;    /* a role this build does not know grants nothing */
	if (db_column_integer(rows, 0, "touch") != 0) {
		struct repl_sql_param id = db_integer(out->id);
		const struct repl_sql_statement update = {
			"UPDATE sessions SET last_seen_at = UTC_TIMESTAMP(3) WHERE id = ?", &id, 1, false};
		db_write(db, &update, 1, NULL);
	}
	return DB_OK;
}

enum db_status db_session_end(struct db *db, int64_t session_id)
{
	struct repl_sql_param id = db_integer(session_id);
	const struct repl_sql_statement statement = {"DELETE FROM sessions WHERE id = ?", &id, 1, false};
	return db_write(db, &statement, 1, NULL);
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
	struct db_written written;
	enum db_status status = db_write(db, statements, 2, &written);
	if (status != DB_OK)
		return status;
	db_session_record_write(db, "id", db_integer(session->id), written.gtid);
	snprintf(session->last_write_gtid, sizeof(session->last_write_gtid), "%s", written.gtid);
	return written.affected_rows == 0 ? DB_NOT_FOUND : DB_OK;
}

enum db_status db_account_get(struct db *db, struct arena *arena, const struct db_session *session,
                              struct db_account *out)
{
	struct repl_sql_param id = db_integer(session->account_id);
	const struct repl_sql_statement statement = {
		/* Its mail switches in the same SELECT: the account page stays one round trip. */
		"SELECT id, role, name, email, created_at, email_confirmed_at IS NOT NULL AS confirmed, (SELECT GROUP_CONCAT(o.kind ORDER BY o.kind)"
		" FROM notification_optouts o WHERE o.account_id = accounts.id) AS mail_off FROM accounts WHERE id = ?",
		&id, 1, true};
	const struct repl_sql_rows *rows = NULL;
	enum db_status status = db_read_row(db, arena, DB_READ_ANY, &statement, session->last_write_gtid, &rows);
	if (status != DB_OK)
		return status;
	const char *role = db_column_text(rows, 0, "role");
	out->id = db_column_integer(rows, 0, "id");
	out->name = db_column_text(rows, 0, "name");
	out->email = db_column_text(rows, 0, "email");
	out->created_at = db_column_text(rows, 0, "created_at");
	out->mail_off = db_column_text(rows, 0, "mail_off");
	out->confirmed = db_column_integer(rows, 0, "confirmed") != 0;
	if (role == NULL || out->name == NULL || out->email == NULL)
		return DB_UNAVAILABLE;
	return account_role_parse(role, &out->role) ? DB_OK : DB_NOT_FOUND;
}
