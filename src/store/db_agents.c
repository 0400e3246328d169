/*
 * db_agents.c: the statements of the admin's agents page (see db_agents.h), over db.c's core:
 * each function lists its statements and their parameters, runs them as one transaction and reads
 * what it needs by column name.
 */
#include "db_agents.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/password.h"
#include "core/workflow.h"
#include "store/db_accounts.h"
#include "store/db_core.h"
#include "store/db_outbox.h"
#include "store/db_throttle.h"

/* The unassign rows of the status machine a disable applies, at most (assigned, in progress). */
#define DB_AGENTS_UNASSIGN_ROWS_MAX 4

/* An agent's row, read by column name; false when a column the page needs is missing. */
static bool db_agents_row_read(const struct repl_sql_rows *rows, size_t i, struct db_agents_row *out)
{
	out->id = db_column_integer(rows, i, "id");
	out->name = db_column_text(rows, i, "name");
	out->email = db_column_text(rows, i, "email");
	out->disabled = db_column_integer(rows, i, "disabled") != 0;
	out->invited = db_column_integer(rows, i, "invited") != 0;
	out->open_count = db_column_integer(rows, i, "open_count");
	return out->name != NULL && out->email != NULL;
}

/* The columns of db_agents_row, FROM accounts a; the parameter is PASSWORD_HASH_NONE. */
#define DB_AGENTS_COLUMNS                                                                                      \
	"SELECT a.id, a.name, a.email, a.disabled_at IS NOT NULL AS disabled, a.password_hash = ? AS invited,"   \
	" (SELECT COUNT(*) FROM complaints c WHERE c.assigned_agent_id = a.id AND c.status = 'assigned')"          \
	" + (SELECT COUNT(*) FROM complaints c WHERE c.assigned_agent_id = a.id AND c.status = 'in_progress')"     \
	" AS open_count FROM accounts a"

/* The workload's columns beside DB_AGENTS_COLUMNS: overdue among the open ones; resolves in the
 * last 7 days (status_track, by idx_status_track_actor); the median of filing-to-resolve over the
 * resolves of the last 30 days (a complaint resolved twice counts twice); the average rating of
 * feedback on complaints assigned to the agent (feedback has no agent of its own: migration 0001).
 * Parameters: PASSWORD_HASH_NONE, the limit. */
static const char db_agents_workload[] =
	"SELECT a.id, a.name, a.email, a.disabled_at IS NOT NULL AS disabled, a.password_hash = ? AS invited,"
	" (SELECT COUNT(*) FROM complaints c WHERE c.assigned_agent_id = a.id"
	" AND c.status IN ('assigned', 'in_progress')) AS open_count,"
	" (SELECT COUNT(*) FROM complaints c WHERE c.assigned_agent_id = a.id"
	" AND c.status IN ('assigned', 'in_progress') AND c.due_at < UTC_TIMESTAMP(3)) AS overdue_count,"
	" (SELECT COUNT(*) FROM status_track t WHERE t.actor_id = a.id AND t.action = 'resolve'"
	" AND t.at >= UTC_TIMESTAMP(3) - INTERVAL 7 DAY) AS resolved_week,"
	" m.median_s,"
	" (SELECT AVG(f.rating) FROM feedback f JOIN complaints c ON c.id = f.complaint_id"
	" WHERE c.assigned_agent_id = a.id) AS rating_avg,"
	" (SELECT COUNT(*) FROM feedback f JOIN complaints c ON c.id = f.complaint_id"
	" WHERE c.assigned_agent_id = a.id) AS rating_count"
	" FROM accounts a LEFT JOIN (SELECT DISTINCT t.actor_id,"
	" MEDIAN(TIMESTAMPDIFF(SECOND, c.created_at, t.at)) OVER (PARTITION BY t.actor_id) AS median_s"
	" FROM status_track t JOIN complaints c ON c.id = t.complaint_id"
	" WHERE t.action = 'resolve' AND t.at >= UTC_TIMESTAMP(3) - INTERVAL 30 DAY"
	" AND t.actor_id IN (SELECT id FROM accounts WHERE role = 'agent')) m ON m.actor_id = a.id"
	" WHERE a.role = 'agent' ORDER BY ";

/* Each sort's ORDER BY, ascending and descending; nobody's missing figure ever comes first. */
static const char *const db_agents_orders[DB_AGENTS_SORTS][2] = {
	[DB_AGENTS_SORT_STATE] = {"a.disabled_at IS NOT NULL, a.name, a.id", "a.disabled_at IS NOT NULL DESC, a.name, a.id"},
	[DB_AGENTS_SORT_NAME] = {"a.name, a.id", "a.name DESC, a.id"},
	[DB_AGENTS_SORT_OPEN] = {"open_count, a.name, a.id", "open_count DESC, a.name, a.id"},
	[DB_AGENTS_SORT_OVERDUE] = {"overdue_count, a.name, a.id", "overdue_count DESC, a.name, a.id"},
	[DB_AGENTS_SORT_RESOLVED] = {"resolved_week, a.name, a.id", "resolved_week DESC, a.name, a.id"},
	[DB_AGENTS_SORT_MEDIAN] = {"m.median_s IS NULL, m.median_s, a.name, a.id",
	                           "m.median_s IS NULL, m.median_s DESC, a.name, a.id"},
	[DB_AGENTS_SORT_RATING] = {"rating_avg IS NULL, rating_avg, a.name, a.id",
	                           "rating_avg IS NULL, rating_avg DESC, a.name, a.id"},
};

/* A number column as a double; fallback when it is NULL. */
static double db_agents_number(const struct repl_sql_rows *rows, size_t i, const char *name, double fallback)
{
	const char *text = db_column_text(rows, i, name);
	return text != NULL ? strtod(text, NULL) : fallback;
}

enum db_status db_agents_list(struct db *db, struct arena *arena, const struct db_session *session,
                              enum db_agents_sort sort, bool descending, struct db_agents_row *out, size_t max,
                              size_t *count)
{
	char sql[sizeof(db_agents_workload) + 160];
	if ((unsigned)sort >= DB_AGENTS_SORTS)
		sort = DB_AGENTS_SORT_STATE;
	snprintf(sql, sizeof(sql), "%s%s LIMIT ?", db_agents_workload, db_agents_orders[sort][descending ? 1 : 0]);
	struct repl_sql_param params[] = {db_text(PASSWORD_HASH_NONE), db_integer((int64_t)max)};
	const struct repl_sql_statement statement = {sql, params, 2, true};
	const struct repl_sql_rows *rows = NULL;
	*count = 0;
	enum db_status status = db_read(db, arena, DB_READ_ANY, &statement, 1, session->last_write_gtid, &rows);
	if (status != DB_OK)
		return status;
	for (size_t i = 0; i < rows->row_count && *count < max; i++, (*count)++) {
		if (!db_agents_row_read(rows, i, &out[i]))
			return DB_UNAVAILABLE;
		out[i].overdue_count = db_column_integer(rows, i, "overdue_count");
		out[i].resolved_week = db_column_integer(rows, i, "resolved_week");
		out[i].median_resolve_s = db_agents_number(rows, i, "median_s", -1);
		out[i].rating_avg = db_agents_number(rows, i, "rating_avg", -1);
		out[i].rating_count = db_column_integer(rows, i, "rating_count");
	}
	return DB_OK;
}

enum db_status db_agents_get(struct db *db, struct arena *arena, const struct db_session *session, int64_t id,
                             struct db_agents_row *out)
{
	struct repl_sql_param params[] = {db_text(PASSWORD_HASH_NONE), db_integer(id)};
	const struct repl_sql_statement statement = {DB_AGENTS_COLUMNS " WHERE a.id = ? AND a.role = 'agent'", params, 2,
	                                             true};
	const struct repl_sql_rows *rows = NULL;
	enum db_status status = db_read_row(db, arena, DB_READ_ANY, &statement, session->last_write_gtid, &rows);
	if (status != DB_OK)
		return status;
	return db_agents_row_read(rows, 0, out) ? DB_OK : DB_UNAVAILABLE;
}

enum db_status db_agents_invite(struct db *db, struct db_session *session, const char *name, const char *email,
                                int64_t *account_id)
{
	struct repl_sql_param account[] = {db_text(name), db_text(email), db_text(PASSWORD_HASH_NONE)};
	struct repl_sql_param log[] = {db_integer(session->account_id)};
	struct db_outbox_event event;
	struct repl_sql_statement statements[3] = {
		{"INSERT INTO accounts (role, name, email, password_hash) VALUES ('agent', ?, ?, ?)", account, 3, false},
		{"INSERT INTO admin_log (actor_id, action, target_account_id, detail)"
		 " VALUES (?, 'invite_agent', LAST_INSERT_ID(), 'invitation mail queued')",
		 log, 1, false},
	};
	/* After admin_log's INSERT, LAST_INSERT_ID() is the log row's id: the mail finds the new
	 * account by its address. */
	db_outbox_account_by_email(&event, "invite", email, &statements[2]);
	struct db_written written;
	enum db_status status = db_write(db, statements, sizeof(statements) / sizeof(statements[0]), &written);
	if (status != DB_OK)
		return status;
	*account_id = (int64_t)written.insert_id;
	db_session_remember(db, session, &written);
	return DB_OK;
}

enum db_status db_agents_invite_again(struct db *db, struct db_session *session, int64_t agent_id,
                                      const struct db_mail_request *request, bool *sent)
{
	struct repl_sql_param log[] = {db_integer(session->account_id), db_integer(agent_id)};
	struct db_outbox_event event;
	struct db_throttle_room room;
	struct repl_sql_statement statements[3 + DB_THROTTLE_COUNT_STATEMENTS] = {
		[1] = {"SET @invited_again = ROW_COUNT()", NULL, 0, false},
		[2] = {"INSERT INTO admin_log (actor_id, action, target_account_id, detail)"
		       " SELECT ?, 'reinvite_agent', ?, 'invitation mail queued again' FROM DUAL WHERE @invited_again = 1",
		       log, 2, false},
	};
	/* The mail's INSERT first: db_write reports the first statement's row count. */
	db_outbox_invite_again(&event, agent_id, &statements[0]);
	size_t count = 3 + db_throttle_count(&room, request->subjects, request->window_ms, request->forget_ms, &statements[3]);
	return db_session_write(db, session, statements, count, sent);
}

/* The statements after a disable's UPDATE of the account run only when it changed the row. */
#define DB_AGENT_DISABLED " AND @agent_disabled = 1"

enum db_status db_agents_disable(struct db *db, struct db_session *session, int64_t agent_id, const char *reason,
                                 bool *disabled)
{
	const struct workflow_transition *rows[DB_AGENTS_UNASSIGN_ROWS_MAX];
	size_t row_count = 0;
	for (size_t i = 0; i < workflow_table_count && row_count < DB_AGENTS_UNASSIGN_ROWS_MAX; i++)
		/* The complaints a disabled agent holds are the ones an unassign row leaves: by the
		 * table's own rows, which take the agent off (the SQL below sets it NULL). */
		if (workflow_table[i].action == WORKFLOW_UNASSIGN && workflow_table[i].agent == WORKFLOW_AGENT_NONE)
			rows[row_count++] = &workflow_table[i];
	const char *action = workflow_action_name(WORKFLOW_UNASSIGN);
	struct repl_sql_param admin = db_integer(session->account_id);
	struct repl_sql_param agent = db_integer(agent_id);
	struct repl_sql_param account_log[] = {admin, agent};
	struct repl_sql_param track[DB_AGENTS_UNASSIGN_ROWS_MAX][6];
	struct repl_sql_param log[DB_AGENTS_UNASSIGN_ROWS_MAX][5];
	struct repl_sql_param update[DB_AGENTS_UNASSIGN_ROWS_MAX][5];
	struct repl_sql_statement statements[5 + 3 * DB_AGENTS_UNASSIGN_ROWS_MAX] = {
		{"UPDATE accounts SET disabled_at = UTC_TIMESTAMP(3) WHERE id = ? AND role = 'agent' AND disabled_at IS NULL",
		 &agent, 1, false},
		{"SET @agent_disabled = ROW_COUNT()", NULL, 0, false},
		/* Its next request finds no session: signed out. */
		{"DELETE FROM sessions WHERE account_id = ?" DB_AGENT_DISABLED, &agent, 1, false},
		/* Its complaints locked first, so a change the agent makes at this instant either commits
		 * before (and is unassigned from where it left them) or finds a new version (409). */
		{"SELECT id FROM complaints WHERE assigned_agent_id = ?" DB_AGENT_DISABLED " FOR UPDATE", &agent, 1, false},
	};
	size_t count = 4;
	for (size_t r = 0; r < row_count; r++) {
		const char *from = workflow_state_name(rows[r]->from);
		const char *to = workflow_state_name(rows[r]->to);
		const struct repl_sql_param t[] = {admin, db_text(action), db_text(to), db_text(reason), agent, db_text(from)};
		const struct repl_sql_param l[] = {admin, db_text(action), agent, agent, db_text(from)};
		const struct repl_sql_param u[] = {db_text(to), db_integer(rows[r]->reopened), db_text(to), agent,
		                                   db_text(from)};
		memcpy(track[r], t, sizeof(t));
		memcpy(log[r], l, sizeof(l));
		memcpy(update[r], u, sizeof(u));
		statements[count++] = (struct repl_sql_statement){
			"INSERT INTO status_track (complaint_id, actor_id, action, from_status, to_status, reason)"
			" SELECT id, ?, ?, status, ?, ? FROM complaints WHERE assigned_agent_id = ? AND status = ?" DB_AGENT_DISABLED,
			track[r], 6, false};
		statements[count++] = (struct repl_sql_statement){
			"INSERT INTO admin_log (actor_id, action, target_complaint_id, target_account_id, detail)"
			" SELECT ?, ?, id, ?, 'the agent was disabled' FROM complaints"
			" WHERE assigned_agent_id = ? AND status = ?" DB_AGENT_DISABLED,
			log[r], 5, false};
		statements[count++] = (struct repl_sql_statement){
			"UPDATE complaints SET status = ?, assigned_agent_id = NULL, assigned_at = NULL,"
			" reopened_at = CASE ? WHEN 1 THEN UTC_TIMESTAMP(3) WHEN 2 THEN NULL ELSE reopened_at END,"
			" closed_at = IF(? IN ('closed', 'rejected'), UTC_TIMESTAMP(3), NULL), version = version + 1"
			" WHERE assigned_agent_id = ? AND status = ?" DB_AGENT_DISABLED,
			update[r], 5, false};
	}
	statements[count++] = (struct repl_sql_statement){
		"INSERT INTO admin_log (actor_id, action, target_account_id, detail)"
		" SELECT ?, 'disable_account', ?, 'role agent: sessions ended, complaints back in the queue'"
		" FROM DUAL WHERE @agent_disabled = 1",
		account_log, 2, false};
	return db_session_write(db, session, statements, count, disabled);
}
