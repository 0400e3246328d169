/*
 * db_optouts.c: the statements of switched-off kinds of mail (see db_optouts.h).
 */
#include "db_optouts.h"

#include "store/db_accounts.h"
#include "store/db_core.h"

enum db_status db_optouts_set(struct db *db, struct db_session *session, const struct db_optout_switch *switches,
                              size_t count)
{
	struct repl_sql_param params[DB_OPTOUTS_MAX][2];
	struct repl_sql_statement statements[DB_OPTOUTS_MAX];
	if (count > DB_OPTOUTS_MAX)
		count = DB_OPTOUTS_MAX;
	for (size_t i = 0; i < count; i++) {
		params[i][0] = db_integer(session->account_id);
		params[i][1] = db_text(switches[i].kind);
		statements[i] = (struct repl_sql_statement){
			switches[i].on ? "DELETE FROM notification_optouts WHERE account_id = ? AND kind = ?"
			               : "INSERT IGNORE INTO notification_optouts (account_id, kind) VALUES (?, ?)",
			params[i], 2, false};
	}
	if (count == 0)
		return DB_OK;
	struct db_written written;
	enum db_status status = db_write(db, statements, count, &written);
	if (status == DB_OK)
		db_session_remember(db, session, &written);
	return status;
}

enum db_status db_optouts_switch_off(struct db *db, int64_t account_id, const char *kind)
{
	struct repl_sql_param params[] = {db_text(kind), db_integer(account_id)};
	/* Through accounts: a link to an account gone since writes nothing (no foreign-key error). */
	const struct repl_sql_statement statement = {
		"INSERT IGNORE INTO notification_optouts (account_id, kind) SELECT id, ? FROM accounts WHERE id = ?", params, 2,
		false};
	return db_write(db, &statement, 1, NULL);
}
