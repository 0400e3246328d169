/*
 * db_tokens.c: the statements of single-use link tokens (see db_tokens.h), over db.c's core: each
 * function lists its statements and their parameters, runs them as one transaction and reads what
 * it needs by column name. A token's text never reaches this file: only its hash.
 */
#include "db_tokens.h"

#include <string.h>

#include "store/db_core.h"

enum db_status db_tokens_find(struct db *db, struct arena *arena, enum linktoken_purpose purpose,
                              const uint8_t token_hash[TOKEN_HASH_SIZE], struct db_tokens_found *out)
{
	struct repl_sql_param params[] = {db_bytes(token_hash, TOKEN_HASH_SIZE), db_text(linktoken_purpose_stored(purpose))};
	const struct repl_sql_statement statement = {
		"SELECT t.account_id, a.name, a.email, t.used_at IS NOT NULL AS used,"
		" t.expires_at <= UTC_TIMESTAMP(3) AS expired, a.disabled_at IS NOT NULL AS disabled"
		" FROM tokens t JOIN accounts a ON a.id = t.account_id WHERE t.token_hash = ? AND t.purpose = ?",
		params, 2, true};
	const struct repl_sql_rows *rows = NULL;
	memset(out, 0, sizeof(*out));
	out->state = LINKTOKEN_UNKNOWN;
	enum db_status status = db_read_row(db, arena, DB_READ_PRIMARY, &statement, NULL, &rows);
	if (status == DB_NOT_FOUND)
		return DB_OK;
	if (status != DB_OK)
		return status;
	out->account_id = db_column_integer(rows, 0, "account_id");
	out->name = db_column_text(rows, 0, "name");
	out->email = db_column_text(rows, 0, "email");
	if (out->name == NULL || out->email == NULL)
		return DB_UNAVAILABLE;
	out->state = linktoken_judge(true, db_column_integer(rows, 0, "used") != 0,
	                             db_column_integer(rows, 0, "expired") != 0, db_column_integer(rows, 0, "disabled") != 0);
	return DB_OK;
}

/* The statements after the token's UPDATE run only when it changed the row. */
#define DB_TOKEN_USED " AND @token_used = 1"
#define DB_TOKEN_ACCOUNT "(SELECT account_id FROM tokens WHERE token_hash = ?)"

/* The token's UPDATE (parameters: its hash, its purpose) and its mark. */
#define DB_TOKEN_USE                                                                                          \
	{"UPDATE tokens t JOIN accounts a ON a.id = t.account_id SET t.used_at = UTC_TIMESTAMP(3)"                \
	 " WHERE t.token_hash = ? AND t.purpose = ? AND t.used_at IS NULL AND t.expires_at > UTC_TIMESTAMP(3)"    \
	 " AND a.disabled_at IS NULL",                                                                            \
	 use, 2, false},                                                                                          \
	{"SET @token_used = ROW_COUNT()", NULL, 0, false}

/* A link that came by mail proves the address: confirmed, and the account's complaints held for
 * it released to the queue (their last change stays what it was). Parameter: the token's hash. */
#define DB_TOKEN_CONFIRM                                                                                      \
	{"UPDATE accounts SET email_confirmed_at = COALESCE(email_confirmed_at, UTC_TIMESTAMP(3))"                 \
	 " WHERE id = " DB_TOKEN_ACCOUNT DB_TOKEN_USED,                                                           \
	 &hash, 1, false},                                                                                        \
	{"UPDATE complaints SET held_since = NULL, updated_at = updated_at"                                       \
	 " WHERE reporter_id = " DB_TOKEN_ACCOUNT " AND held_since IS NOT NULL" DB_TOKEN_USED,                   \
	 &hash, 1, false}

enum db_status db_tokens_mint(struct db *db, enum linktoken_purpose purpose, int64_t account_id,
                              const uint8_t token_hash[TOKEN_HASH_SIZE], long long lifetime_ms)
{
	struct repl_sql_param older[] = {db_integer(account_id), db_text(linktoken_purpose_stored(purpose))};
	struct repl_sql_param token[] = {db_text(linktoken_purpose_stored(purpose)), db_bytes(token_hash, TOKEN_HASH_SIZE),
	                                 db_integer(account_id), db_integer((int64_t)lifetime_ms * 1000)};
	const struct repl_sql_statement statements[] = {
		{"DELETE FROM tokens WHERE account_id = ? AND purpose = ? AND used_at IS NULL", older, 2, false},
		{"INSERT INTO tokens (purpose, token_hash, account_id, expires_at)"
		 " VALUES (?, ?, ?, UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND)",
		 token, 4, false},
	};
	return db_write(db, statements, sizeof(statements) / sizeof(statements[0]), NULL);
}

enum db_status db_tokens_confirm_email(struct db *db, const uint8_t token_hash[TOKEN_HASH_SIZE], bool *used)
{
	struct repl_sql_param hash = db_bytes(token_hash, TOKEN_HASH_SIZE);
	struct repl_sql_param use[] = {hash, db_text(linktoken_purpose_stored(LINKTOKEN_EMAIL_CONFIRM))};
	const struct repl_sql_statement statements[] = {DB_TOKEN_USE, DB_TOKEN_CONFIRM};
	struct db_written written;
	*used = false;
	enum db_status status = db_write(db, statements, sizeof(statements) / sizeof(statements[0]), &written);
	if (status != DB_OK)
		return status;
	/* The first statement's count: db_write reports it (see db_tokens_set_password). */
	*used = written.affected_rows == 1;
	return DB_OK;
}

enum db_status db_tokens_set_password(struct db *db, enum linktoken_purpose purpose,
                                      const uint8_t token_hash[TOKEN_HASH_SIZE], const char *password_hash,
                                      bool *used)
{
	struct repl_sql_param hash = db_bytes(token_hash, TOKEN_HASH_SIZE);
	struct repl_sql_param use[] = {hash, db_text(linktoken_purpose_stored(purpose))};
	struct repl_sql_param password[] = {db_text(password_hash), hash};
	const struct repl_sql_statement statements[] = {
		DB_TOKEN_USE,
		{"UPDATE accounts SET password_hash = ?, password_changed_at = UTC_TIMESTAMP(3)"
		 " WHERE id = " DB_TOKEN_ACCOUNT DB_TOKEN_USED,
		 password, 2, false},
		/* A new password ends every session of the account (none yet for an invitation). */
		{"DELETE FROM sessions WHERE account_id = " DB_TOKEN_ACCOUNT DB_TOKEN_USED, &hash, 1, false},
		DB_TOKEN_CONFIRM,
	};
	struct db_written written;
	*used = false;
	enum db_status status = db_write(db, statements, sizeof(statements) / sizeof(statements[0]), &written);
	if (status != DB_OK)
		return status;
	*used = written.affected_rows == 1;
	return DB_OK;
}
