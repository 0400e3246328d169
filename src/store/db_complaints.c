/*
 * db_complaints.c: the statements of categories and complaints (see db_complaints.h), over
 * db.c's core: each function lists its statements and their parameters, runs them as one
 * transaction and reads what it needs by column name.
 */
#include "db_complaints.h"

#include <stddef.h>
#include <string.h>

#include "arena.h"
#include "core/password.h"
#include "core/workflow.h"
#include "store/db_accounts.h"
#include "store/db_core.h"
#include "store/db_outbox.h"

enum db_status db_categories(struct db *db, struct arena *arena, struct db_category *out, size_t max, size_t *count)
{
	const struct repl_sql_statement statement = {
		"SELECT code, name, target_days, COALESCE(target_hours, 0) AS target_hours FROM categories WHERE active"
		" ORDER BY sort_order, name",
		NULL, 0, true};
	const struct repl_sql_rows *rows = NULL;
	*count = 0;
	enum db_status status = db_read(db, arena, DB_READ_ANY, &statement, 1, NULL, &rows);
	if (status != DB_OK)
		return status;
	for (size_t i = 0; i < rows->row_count && *count < max; i++) {
		out[*count].code = db_column_text(rows, i, "code");
		out[*count].name = db_column_text(rows, i, "name");
		out[*count].target_days = db_column_integer(rows, i, "target_days");
		out[*count].target_hours = db_column_integer(rows, i, "target_hours");
		if (out[*count].code == NULL || out[*count].name == NULL)
			return DB_UNAVAILABLE;
		(*count)++;
	}
	return DB_OK;
}

/* The complaint an account filed with a submit token (db.primary: it may have just committed). */
static enum db_status db_complaint_by_token(struct db *db, struct arena *arena, int64_t reporter_id,
                                            const uint8_t token[DB_SUBMIT_TOKEN_SIZE], int64_t *id)
{
	struct repl_sql_param params[] = {db_bytes(token, DB_SUBMIT_TOKEN_SIZE), db_integer(reporter_id)};
	const struct repl_sql_statement statement = {
		"SELECT id FROM complaints WHERE submit_token = ? AND reporter_id = ?", params, 2, true};
	const struct repl_sql_rows *rows = NULL;
	enum db_status status = db_read_row(db, arena, DB_READ_PRIMARY, &statement, NULL, &rows);
	if (status == DB_OK)
		*id = db_column_integer(rows, 0, "id");
	return status;
}

/* Auto-assignment's statements and their parameters (they live as long as the filing's). */
#define DB_AUTO_ASSIGN_STATEMENTS (5 + MAIL_KINDS_PER_EVENT)
struct db_auto_assign {
	struct repl_sql_param token, choose[2], update[3], track[4];
	struct db_outbox_event outbox;
};

/* Appends to out the statements that assign the complaint of the token to the pool's agent (see
 * db_new_complaint.auto_assign) and returns how many. The pool's rows are locked first, so two
 * filings in one category choose one after the other, and the choice (the transaction's first
 * consistent read, taken after the lock) counts the other's assignment. */
static size_t db_complaint_auto_assign(struct db_auto_assign *a, const uint8_t token[DB_SUBMIT_TOKEN_SIZE],
                                       struct repl_sql_statement *out)
{
	/* The names of the status machine's assign row (submitted -> assigned). */
	const char *action = workflow_action_name(WORKFLOW_ASSIGN);
	const char *from = workflow_state_name(WORKFLOW_SUBMITTED), *to = workflow_state_name(WORKFLOW_ASSIGNED);
	a->token = db_bytes(token, DB_SUBMIT_TOKEN_SIZE);
	a->choose[0] = db_text(PASSWORD_HASH_NONE);
	a->choose[1] = a->token;
	a->update[0] = db_text(to);
	a->update[1] = a->token;
	a->update[2] = db_text(from);
	a->track[0] = db_text(action);
	a->track[1] = db_text(from);
	a->track[2] = db_text(to);
	a->track[3] = a->token;
	size_t n = 0;
	out[n++] = (struct repl_sql_statement){
		"SELECT p.agent_id FROM category_agents p JOIN complaints c ON c.category_id = p.category_id"
		" WHERE c.submit_token = ? FOR UPDATE",
		&a->token, 1, false};
	/* Not for a held complaint (its reporter's address unconfirmed: it reaches the queue when
	 * confirmed, unassigned). Active: an agent, not disabled, with a password (an invited one has none yet). Fewest open
	 * (assigned or in progress) first, then the one whose last assignment is oldest (never: first),
	 * then the lowest id. */
	out[n++] = (struct repl_sql_statement){
		"SET @auto_agent = (SELECT g.id FROM category_agents p JOIN complaints c ON c.category_id = p.category_id"
		" JOIN accounts g ON g.id = p.agent_id AND g.role = 'agent' AND g.disabled_at IS NULL AND g.password_hash <> ?"
		" WHERE c.submit_token = ? AND c.held_since IS NULL ORDER BY"
		" (SELECT COUNT(*) FROM complaints o WHERE o.assigned_agent_id = g.id AND o.status IN ('assigned', 'in_progress')),"
		" (SELECT COALESCE(MAX(o.assigned_at), '1000-01-01') FROM complaints o WHERE o.assigned_agent_id = g.id),"
		" g.id LIMIT 1)",
		a->choose, 2, false};
	/* The status machine's assign row (submitted -> assigned), by the system: actor NULL. */
	out[n++] = (struct repl_sql_statement){
		"UPDATE complaints SET status = ?, assigned_agent_id = @auto_agent, assigned_at = UTC_TIMESTAMP(3),"
		" version = version + 1 WHERE submit_token = ? AND status = ? AND @auto_agent IS NOT NULL",
		a->update, 3, false};
	out[n++] = (struct repl_sql_statement){
		"INSERT INTO status_track (complaint_id, actor_id, action, from_status, to_status)"
		" SELECT id, NULL, ?, ?, ? FROM complaints WHERE submit_token = ? AND @auto_agent IS NOT NULL",
		a->track, 4, false};
	n += db_outbox_auto_assigned(&a->outbox, action, token, DB_SUBMIT_TOKEN_SIZE, out + n);
	return n;
}

enum db_status db_complaint_file(struct db *db, struct arena *arena, struct db_session *session,
                                 const struct db_new_complaint *complaint, int64_t *id, bool *existing)
{
	struct repl_sql_param insert[] = {
		db_integer(session->account_id),
		db_text(complaint->description),
		db_text_or_null(complaint->address),
		db_text_or_null(complaint->lat),
		db_text_or_null(complaint->lon),
		db_text_or_null(complaint->image_key),
		db_text(complaint->due_at),
		db_bytes(complaint->submit_token, DB_SUBMIT_TOKEN_SIZE),
		db_text(complaint->filed_at),
		db_integer(session->account_id),
		db_text(complaint->category_code),
	};
	struct repl_sql_param track[] = {db_integer(session->account_id),
	                                 db_bytes(complaint->submit_token, DB_SUBMIT_TOKEN_SIZE)};
	struct repl_sql_param repairs[DB_REPAIRS_MAX][3];
	struct db_outbox_event outbox;
	struct db_auto_assign auto_assign;
	struct repl_sql_statement statements[2 + DB_REPAIRS_MAX + MAIL_KINDS_PER_EVENT + DB_AUTO_ASSIGN_STATEMENTS] = {
		/* A reporter whose address is not confirmed files a held complaint: out of the admin's
		 * queue and of auto-assignment until the address is (store/db_tokens.c releases it). */
		{"INSERT INTO complaints (category_id, reporter_id, description, address, lat, lon, image_key, due_at,"
		 " submit_token, created_at, held_since) SELECT id, ?, ?, ?, ?, ?, ?, CAST(? AS DATETIME(3)), ?, CAST(? AS DATETIME(3)),"
		 " (SELECT IF(email_confirmed_at IS NULL, UTC_TIMESTAMP(3), NULL) FROM accounts WHERE id = ?)"
		 " FROM categories WHERE code = ? AND active",
		 insert, 11, false},
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
	count += db_outbox_filed(&outbox, complaint->submit_token, DB_SUBMIT_TOKEN_SIZE, statements + count);
	if (complaint->auto_assign)
		count += db_complaint_auto_assign(&auto_assign, complaint->submit_token, statements + count);
	struct db_written written;
	*existing = false;
	enum db_status status = db_write(db, statements, count, &written);
	if (status == DB_DUPLICATE) {
		/* The token filed a complaint already: this account's, or someone else's (refused). */
		status = db_complaint_by_token(db, arena, session->account_id, complaint->submit_token, id);
		*existing = status == DB_OK;
		return status == DB_NOT_FOUND ? DB_DUPLICATE : status;
	}
	if (status != DB_OK)
		return status;
	if (written.affected_rows == 0)
		return DB_NOT_FOUND;  /* no active category of that code: nothing was written */
	*id = (int64_t)written.insert_id;
	db_session_remember(db, session, &written);
	return DB_OK;
}

/* A list's overdue column: past its due date and still waiting for its agent's work. */
#define DB_LIST_OVERDUE " c.due_at < UTC_TIMESTAMP(3) AND c.status IN ('submitted', 'assigned', 'in_progress') AS overdue"

/* A list's parameters, in its statement's order, as letters of DB_LIST_PARAM_LETTERS: a = the
 * session's account id, r = the rows a branch reads (offset + limit + 1), l = the rows the page
 * reads (limit + 1), o = the offset. */
#define DB_LIST_PARAM_LETTERS "arlo"
#define DB_LIST_PARAMS_MAX 6

/* Each list's statement, and its parameters (a list of every account's complaints checks only
 * that the account id is one). */
static const struct {
	const char *sql;
	const char *params;
} db_complaint_lists[] = {
	/* The account's own complaints and, in the same statement (one round trip), those it follows
	 * (migration 0015) without their description. */
	[DB_LIST_MINE] = {"SELECT x.* FROM ((SELECT c.id, k.name AS category, c.status, c.description, c.created_at,"
	                  " c.due_at, c.reopened_at IS NOT NULL AS reopened," DB_LIST_OVERDUE ", 0 AS followed, 0 AS distance_m,"
	                  " c.created_at AS listed_at FROM complaints c JOIN categories k ON k.id = c.category_id"
	                  " WHERE c.reporter_id = ?)"
	                  " UNION ALL (SELECT c.id, k.name, c.status, NULL, c.created_at, c.due_at, 0," DB_LIST_OVERDUE ", 1, f.distance_m,"
	                  " f.created_at FROM complaint_followers f JOIN complaints c ON c.id = f.complaint_id"
	                  " JOIN categories k ON k.id = c.category_id WHERE f.account_id = ?)) x"
	                  " ORDER BY x.listed_at DESC, x.id DESC LIMIT ? OFFSET ?",
	                  "aalo"},
	/* Reopened first, then by due date: console_rank is (reopened_at IS NULL) of an assigned or
	 * in-progress complaint, NULL otherwise (migration 0022), so idx_complaints_console
	 * (assigned_agent_id, console_rank, due_at, id) is the list's order and a page reads its rows
	 * in order, then stops: no sort of the agent's whole list (round_trips.sh). The index is named
	 * and read before the categories, so that plan does not hang on the statistics. */
	[DB_LIST_AGENT] = {"SELECT c.id, k.name AS category, c.status, c.description, c.created_at, c.due_at,"
	                   " c.reopened_at IS NOT NULL AS reopened," DB_LIST_OVERDUE " FROM complaints c"
	                   " FORCE INDEX (idx_complaints_console) STRAIGHT_JOIN categories k ON k.id = c.category_id"
	                   " WHERE c.assigned_agent_id = ? AND c.console_rank IS NOT NULL"
	                   " ORDER BY c.console_rank, c.due_at, c.id LIMIT ? OFFSET ?",
	                   "alo"},
	/* By due date, then id, whether reopened or not. An overdue complaint is an open one (its
	 * console_rank 0 or 1) due before now: under each console_rank of the agent a range of
	 * idx_complaints_console, in (due_at, id) order. Each branch reads its range in order and stops
	 * after the rows the page can need (offset + limit + 1); the two are merged by a sort of those
	 * few ids and dates alone, then each row is read by its primary key: no sort of all of the
	 * agent's overdue complaints, and no text column in the derived table (which would put it on
	 * disk). */
	[DB_LIST_AGENT_OVERDUE] = {"SELECT c.id, k.name AS category, c.status, c.description, c.created_at, c.due_at,"
	                           " c.reopened_at IS NOT NULL AS reopened, TRUE AS overdue FROM"
	                           " ((SELECT id, due_at FROM complaints FORCE INDEX (idx_complaints_console)"
	                           " WHERE assigned_agent_id = ? AND console_rank = 0 AND due_at < UTC_TIMESTAMP(3)"
	                           " ORDER BY due_at, id LIMIT ?)"
	                           " UNION ALL (SELECT id, due_at FROM complaints FORCE INDEX (idx_complaints_console)"
	                           " WHERE assigned_agent_id = ? AND console_rank = 1 AND due_at < UTC_TIMESTAMP(3)"
	                           " ORDER BY due_at, id LIMIT ?)) o"
	                           " STRAIGHT_JOIN complaints c ON c.id = o.id STRAIGHT_JOIN categories k ON k.id = c.category_id"
	                           " ORDER BY o.due_at, o.id LIMIT ? OFFSET ?",
	                           "ararlo"},
	[DB_LIST_UNASSIGNED] = {"SELECT c.id, k.name AS category, c.status, c.description, c.created_at, c.due_at,"
	                        " c.reopened_at IS NOT NULL AS reopened," DB_LIST_OVERDUE " FROM complaints c JOIN categories k ON k.id = c.category_id"
	                        " WHERE c.status = 'submitted' AND c.held_since IS NULL AND ? > 0 ORDER BY c.created_at, c.id LIMIT ? OFFSET ?",
	                        "alo"},
	[DB_LIST_REOPENED] = {"SELECT c.id, k.name AS category, c.status, c.description, c.created_at, c.due_at,"
	                      " TRUE AS reopened," DB_LIST_OVERDUE " FROM complaints c JOIN categories k ON k.id = c.category_id"
	                      " WHERE c.reopened_at IS NOT NULL AND c.status IN ('submitted', 'assigned') AND c.held_since IS NULL AND ? > 0"
	                      " ORDER BY c.reopened_at, c.id LIMIT ? OFFSET ?",
	                      "alo"},
};

enum db_status db_complaints_list(struct db *db, struct arena *arena, const struct db_session *session,
                                  enum db_complaint_list list, size_t offset, size_t limit,
                                  struct db_complaint_summary *out, size_t *count, bool *more)
{
	struct repl_sql_param params[DB_LIST_PARAMS_MAX];
	size_t param_count = 0;
	*count = 0;
	*more = false;
	if ((size_t)list >= sizeof(db_complaint_lists) / sizeof(db_complaint_lists[0]) || db_complaint_lists[list].sql == NULL)
		return DB_NOT_FOUND;
	const int64_t values[] = {session->account_id, (int64_t)(offset + limit + 1), (int64_t)limit + 1, (int64_t)offset};
	for (const char *p = db_complaint_lists[list].params; *p != '\0' && param_count < DB_LIST_PARAMS_MAX; p++)
		params[param_count++] = db_integer(values[strchr(DB_LIST_PARAM_LETTERS, *p) - DB_LIST_PARAM_LETTERS]);
	const struct repl_sql_statement statement = {db_complaint_lists[list].sql, params, param_count, true};
	const struct repl_sql_rows *rows = NULL;
	enum db_status status = db_read(db, arena, DB_READ_ANY, &statement, 1, session->last_write_gtid, &rows);
	if (status != DB_OK)
		return status;
	*more = rows->row_count > limit;
	for (size_t i = 0; i < rows->row_count && i < limit; i++) {
		struct db_complaint_summary *item = &out[i];
		item->id = db_column_integer(rows, i, "id");
		item->category = db_column_text(rows, i, "category");
		item->status = db_column_text(rows, i, "status");
		item->description = db_column_text(rows, i, "description");
		item->created_at = db_column_text(rows, i, "created_at");
		item->due_at = db_column_text(rows, i, "due_at");
		item->reopened = db_column_integer(rows, i, "reopened") != 0;
		item->overdue = db_column_integer(rows, i, "overdue") != 0;
		item->followed = list == DB_LIST_MINE && db_column_integer(rows, i, "followed") != 0;
		item->distance_m = list == DB_LIST_MINE ? db_column_integer(rows, i, "distance_m") : 0;
		if (item->category == NULL || item->status == NULL || (item->description == NULL && !item->followed) ||
		    item->created_at == NULL)
			return DB_UNAVAILABLE;
		(*count)++;
	}
	return DB_OK;
}

/* The text fields of struct db_complaint, by the column each is read from. */
static const struct {
	const char *column;
	size_t offset;
} db_complaint_texts[] = {
	{"category", offsetof(struct db_complaint, category)},
	{"status", offsetof(struct db_complaint, status)},
	{"closing_reason", offsetof(struct db_complaint, closing_reason)},
	{"reopened_at", offsetof(struct db_complaint, reopened_at)},
	{"held_since", offsetof(struct db_complaint, held_since)},
	{"description", offsetof(struct db_complaint, description)},
	{"address", offsetof(struct db_complaint, address)},
	{"lat", offsetof(struct db_complaint, lat)},
	{"lon", offsetof(struct db_complaint, lon)},
	{"image_key", offsetof(struct db_complaint, image_key)},
	{"created_at", offsetof(struct db_complaint, created_at)},
	{"due_at", offsetof(struct db_complaint, due_at)},
};

/* A complaint's page in one SELECT, so one round trip and one snapshot without a transaction: the
 * complaint's columns (on every row) beside its entries, a UNION ALL of its history (with the
 * actors' names) and its updates (internal notes only for its assigned agent and admins), told
 * apart by kind and each kind in its order; a complaint with neither has one row of NULL kind,
 * one the caller may not see none. Each branch finds its rows by complaint_id first: the updates'
 * visibility is an IF() of internal, which no index on internal can serve, so the branch reads
 * idx_updates_complaint_created (0010), already in its order, and never scans updates by internal
 * (round_trips.sh checks the plan). */
static const char db_complaint_page[] =
	"SELECT c.id, c.reporter_id, COALESCE(c.assigned_agent_id, 0) AS assigned_agent_id,"
	" COALESCE(g.role = 'agent' AND g.disabled_at IS NULL, 0) AS agent_active, k.name AS category,"
	" c.status, c.closing_reason, c.description, c.address, c.lat, c.lon, c.image_key, c.created_at, c.due_at,"
	" c.reopened_at, c.held_since, c.version, COALESCE(c.duplicate_of_id, 0) AS duplicate_of_id,"
	" e.kind, e.seq, e.at, e.action, e.to_status, e.reason, e.person, e.body, e.entry_image_key, e.internal"
	" FROM complaints c JOIN categories k ON k.id = c.category_id LEFT JOIN accounts g ON g.id = c.assigned_agent_id"
	" LEFT JOIN ("
	"(SELECT 'history' AS kind, t.complaint_id, t.at, t.id AS seq, t.action, t.to_status, t.reason,"
	" a.name AS person, NULL AS body, NULL AS entry_image_key, 0 AS internal FROM status_track t"
	" LEFT JOIN accounts a ON a.id = t.actor_id WHERE t.complaint_id = ? ORDER BY t.at, t.id LIMIT 200)"
	" UNION ALL"
	" (SELECT 'update', u.complaint_id, u.created_at, u.id, NULL, NULL, NULL, a.name, u.body, u.image_key,"
	" u.internal FROM updates u JOIN accounts a ON a.id = u.author_id JOIN complaints uc ON uc.id = u.complaint_id"
	" WHERE u.complaint_id = ? AND IF(u.internal, ? = 1 OR uc.assigned_agent_id <=> ?, TRUE)"
	" ORDER BY u.created_at, u.id LIMIT 200)"
	") e ON e.complaint_id = c.id"
	" WHERE c.id = ? AND (c.reporter_id = ? OR c.assigned_agent_id = ? OR ? = 1)"
	" ORDER BY e.kind, e.at, e.seq";

enum db_status db_complaint_get(struct db *db, struct arena *arena, const struct db_session *session, int64_t id,
                                struct db_complaint *out)
{
	bool admin = session->role == ACCOUNT_ADMIN;
	struct repl_sql_param params[] = {
		db_integer(id),                                                  /* its history */
		db_integer(id), db_integer(admin), db_integer(session->account_id), /* its updates */
		db_integer(id), db_integer(session->account_id), db_integer(session->account_id), db_integer(admin),
	};
	const struct repl_sql_statement statement = {db_complaint_page, params, sizeof(params) / sizeof(params[0]),
	                                             true};
	const struct repl_sql_rows *rows = NULL;
	memset(out, 0, sizeof(*out));
	enum db_status status = db_read_row(db, arena, DB_READ_ANY, &statement, session->last_write_gtid, &rows);
	if (status != DB_OK)
		return status;
	out->id = db_column_integer(rows, 0, "id");
	out->reporter_id = db_column_integer(rows, 0, "reporter_id");
	out->assigned_agent_id = db_column_integer(rows, 0, "assigned_agent_id");
	out->agent_active = db_column_integer(rows, 0, "agent_active") != 0;
	out->version = db_column_integer(rows, 0, "version");
	out->duplicate_of_id = db_column_integer(rows, 0, "duplicate_of_id");
	for (size_t i = 0; i < sizeof(db_complaint_texts) / sizeof(db_complaint_texts[0]); i++)
		*(const char **)((char *)out + db_complaint_texts[i].offset) =
			db_column_text(rows, 0, db_complaint_texts[i].column);
	if (out->category == NULL || out->status == NULL || out->description == NULL)
		return DB_UNAVAILABLE;
	/* Every row is at most one entry: room for all of them in each list. */
	out->timeline = arena_calloc(arena, rows->row_count, sizeof(*out->timeline));
	out->updates = arena_calloc(arena, rows->row_count, sizeof(*out->updates));
	if (out->timeline == NULL || out->updates == NULL)
		return DB_UNAVAILABLE;
	for (size_t i = 0; i < rows->row_count; i++) {
		const char *kind = db_column_text(rows, i, "kind");
		if (kind != NULL && strcmp(kind, "history") == 0) {
			struct db_status_entry *entry = &out->timeline[out->timeline_count++];
			entry->at = db_column_text(rows, i, "at");
			entry->action = db_column_text(rows, i, "action");
			entry->to_status = db_column_text(rows, i, "to_status");
			entry->reason = db_column_text(rows, i, "reason");
			entry->actor = db_column_text(rows, i, "person");
		} else if (kind != NULL && strcmp(kind, "update") == 0) {
			struct db_update *update = &out->updates[out->update_count++];
			update->id = db_column_integer(rows, i, "seq");
			update->at = db_column_text(rows, i, "at");
			update->author = db_column_text(rows, i, "person");
			update->body = db_column_text(rows, i, "body");
			update->image_key = db_column_text(rows, i, "entry_image_key");
			update->internal = db_column_integer(rows, i, "internal") != 0;
		}
	}
	return DB_OK;
}

/* The statements after a move's UPDATE run only when it changed the row: @complaint_moved. */
#define DB_MOVED " FROM DUAL WHERE @complaint_moved = 1"

enum db_status db_complaint_move(struct db *db, struct db_session *session, const struct db_move *move, bool *moved)
{
	const struct workflow_transition *row = move->row;
	const char *from = workflow_state_name(row->from);
	const char *to = workflow_state_name(row->to);
	const char *action = workflow_action_name(row->action);
	const char *closing = move->closing_reason != NULL ? move->closing_reason : row->closing_reason;
	struct repl_sql_param actor = move->actor_id != 0 ? db_integer(move->actor_id) : db_text_or_null(NULL);
	struct repl_sql_param agent = row->agent == WORKFLOW_AGENT_CHOSEN ? db_integer(move->agent_id) : db_integer(0);
	struct repl_sql_param update[] = {
		db_text(to),
		db_text_or_null(closing),
		db_integer(row->agent),
		agent,
		db_integer(row->agent),
		db_integer(row->reopened),
		db_text(to),
		db_text(to),
		move->duplicate_of_id != 0 ? db_integer(move->duplicate_of_id) : db_text_or_null(NULL),
		db_integer(move->complaint_id),
		db_integer(move->version),
		db_text(from),
		db_integer(row->agent == WORKFLOW_AGENT_CHOSEN),
		agent,
		db_integer(row->when != WORKFLOW_WHEN_ANY),
		db_integer(row->when == WORKFLOW_WHEN_AGENT_ACTIVE),
	};
	struct repl_sql_param track[] = {db_integer(move->complaint_id), actor, db_text(action), db_text(from), db_text(to),
	                                 db_text_or_null(move->reason)};
	struct repl_sql_param public_update[] = {db_integer(move->complaint_id), actor, db_text_or_null(move->update_body),
	                                         db_text_or_null(move->update_image_key)};
	struct repl_sql_param feedback[] = {db_integer(move->complaint_id), actor, db_integer(move->rating),
	                                    db_text_or_null(move->comment)};
	struct repl_sql_param log[] = {actor, db_text(action), db_integer(move->complaint_id),
	                               row->agent == WORKFLOW_AGENT_CHOSEN ? agent : db_text_or_null(NULL),
	                               db_text(move->reason != NULL       ? move->reason
	                                       : move->log_detail != NULL ? move->log_detail
	                                                                  : "")};
	struct repl_sql_param repairs[DB_REPAIRS_MAX][2];
	struct db_outbox_event outbox;
	struct repl_sql_statement statements[6 + DB_REPAIRS_MAX + MAIL_KINDS_PER_EVENT] = {
		{"UPDATE complaints SET status = ?, closing_reason = ?,"
		 " assigned_agent_id = CASE ? WHEN 1 THEN ? WHEN 2 THEN NULL ELSE assigned_agent_id END,"
		 " assigned_at = CASE ? WHEN 1 THEN UTC_TIMESTAMP(3) WHEN 2 THEN NULL ELSE assigned_at END,"
		 " reopened_at = CASE ? WHEN 1 THEN UTC_TIMESTAMP(3) WHEN 2 THEN NULL ELSE reopened_at END,"
		 " resolved_at = IF(? = 'resolved', UTC_TIMESTAMP(3), resolved_at),"
		 " closed_at = IF(? IN ('closed', 'rejected'), UTC_TIMESTAMP(3), NULL),"
		 " duplicate_of_id = ?, version = version + 1"
		 " WHERE id = ? AND version = ? AND status = ? AND (? = 0 OR EXISTS (SELECT 1 FROM accounts a"
		 " WHERE a.id = ? AND a.role = 'agent' AND a.disabled_at IS NULL))"
		 /* The row's `when`: its agent still active, or gone, as the caller's page judged. */
		 " AND (? = 0 OR ? = EXISTS (SELECT 1 FROM accounts g WHERE g.id = complaints.assigned_agent_id"
		 " AND g.role = 'agent' AND g.disabled_at IS NULL))",
		 update, sizeof(update) / sizeof(update[0]), false},
		{"SET @complaint_moved = ROW_COUNT()", NULL, 0, false},
		{"INSERT INTO status_track (complaint_id, actor_id, action, from_status, to_status, reason)"
		 " SELECT ?, ?, ?, ?, ?, ?" DB_MOVED,
		 track, 6, false},
	};
	size_t count = 3;
	if (move->update_body != NULL)
		statements[count++] = (struct repl_sql_statement){
			"INSERT INTO updates (complaint_id, author_id, internal, body, image_key) SELECT ?, ?, 0, ?, ?" DB_MOVED,
			public_update, 4, false};
	for (size_t i = 0; move->update_image_key != NULL && i < move->repair_count && i < DB_REPAIRS_MAX; i++) {
		repairs[i][0] = db_text(move->update_image_key);
		repairs[i][1] = db_text(move->repair_replicas[i]);
		/* Only with the change, as filing does: a lost race leaves an orphan object, no repair. */
		statements[count++] = (struct repl_sql_statement){
			"INSERT IGNORE INTO photo_repairs (image_key, replica) SELECT ?, ?" DB_MOVED, repairs[i], 2, false};
	}
	if (move->rating > 0)
		statements[count++] = (struct repl_sql_statement){
			"INSERT INTO feedback (complaint_id, author_id, rating, comment) SELECT ?, ?, ?, ?" DB_MOVED, feedback, 4,
			false};
	if (move->admin_log)
		statements[count++] = (struct repl_sql_statement){
			"INSERT INTO admin_log (actor_id, action, target_complaint_id, target_account_id, detail)"
			" SELECT ?, ?, ?, ?, LEFT(?, 1000)" DB_MOVED,
			log, 5, false};
	count += db_outbox_move(&outbox, action, move->complaint_id, row->reason_public ? move->reason : NULL,
	                        statements + count);
	return db_session_write(db, session, statements, count, moved);
}

enum db_status db_complaint_note(struct db *db, struct db_session *session, int64_t complaint_id, bool internal,
                                 const char *body, bool admin_log)
{
	struct repl_sql_param note[] = {db_integer(complaint_id), db_integer(session->account_id), db_integer(internal),
	                                db_text(body)};
	struct repl_sql_param log[] = {db_integer(session->account_id),
	                               db_text(internal ? "internal_note" : "public_update"), db_integer(complaint_id)};
	const struct repl_sql_statement statements[] = {
		{"INSERT INTO updates (complaint_id, author_id, internal, body) VALUES (?, ?, ?, ?)", note, 4, false},
		{"INSERT INTO admin_log (actor_id, action, target_complaint_id) VALUES (?, ?, ?)", log, 3, false},
	};
	struct db_written written;
	enum db_status status = db_write(db, statements, admin_log ? 2 : 1, &written);
	if (status == DB_OK)
		db_session_remember(db, session, &written);
	return status;
}

enum db_status db_complaints_feedback_due(struct db *db, struct arena *arena, long long period_ms,
                                          struct db_feedback_due *out, size_t max, size_t *count)
{
	struct repl_sql_param params[] = {db_integer(period_ms * 1000), db_integer((int64_t)max)};
	const struct repl_sql_statement statement = {
		"SELECT id, version FROM complaints WHERE status = 'resolved'"
		" AND resolved_at < UTC_TIMESTAMP(3) - INTERVAL ? MICROSECOND ORDER BY resolved_at, id LIMIT ?",
		params, 2, true};
	const struct repl_sql_rows *rows = NULL;
	*count = 0;
	enum db_status status = db_read(db, arena, DB_READ_PRIMARY, &statement, 1, NULL, &rows);
	if (status != DB_OK)
		return status;
	for (size_t i = 0; i < rows->row_count && *count < max; i++, (*count)++) {
		out[i].id = db_column_integer(rows, i, "id");
		out[i].version = db_column_integer(rows, i, "version");
	}
	return DB_OK;
}

enum db_status db_agents_active(struct db *db, struct arena *arena, const struct db_session *session,
                                struct db_agent *out, size_t max, size_t *count)
{
	const struct repl_sql_statement statement = {
		/* Two equality lookups of idx_complaints_agent (agent, status): with status IN (...) the
		 * optimizer read every complaint the agent ever had by the agent alone. */
		"SELECT a.id, a.name, (SELECT COUNT(*) FROM complaints c WHERE c.assigned_agent_id = a.id"
		" AND c.status = 'assigned') + (SELECT COUNT(*) FROM complaints c WHERE c.assigned_agent_id = a.id"
		" AND c.status = 'in_progress') AS open_count FROM accounts a"
		" WHERE a.role = 'agent' AND a.disabled_at IS NULL ORDER BY a.name, a.id",
		NULL, 0, true};
	const struct repl_sql_rows *rows = NULL;
	*count = 0;
	enum db_status status = db_read(db, arena, DB_READ_ANY, &statement, 1, session->last_write_gtid, &rows);
	if (status != DB_OK)
		return status;
	for (size_t i = 0; i < rows->row_count && *count < max; i++) {
		out[*count].id = db_column_integer(rows, i, "id");
		out[*count].name = db_column_text(rows, i, "name");
		out[*count].open_count = db_column_integer(rows, i, "open_count");
		if (out[*count].name == NULL)
			return DB_UNAVAILABLE;
		(*count)++;
	}
	return DB_OK;
}

enum db_status db_agent_active(struct db *db, struct arena *arena, const struct db_session *session, int64_t id,
                               const char **name)
{
	struct repl_sql_param param = db_integer(id);
	/* By the primary key: the same test as an assignment's UPDATE makes. */
	const struct repl_sql_statement statement = {
		"SELECT name FROM accounts WHERE id = ? AND role = 'agent' AND disabled_at IS NULL", &param, 1, true};
	const struct repl_sql_rows *rows = NULL;
	enum db_status status = db_read_row(db, arena, DB_READ_ANY, &statement, session->last_write_gtid, &rows);
	if (status != DB_OK)
		return status;
	if (name != NULL && (*name = db_column_text(rows, 0, "name")) == NULL)
		return DB_UNAVAILABLE;
	return DB_OK;
}

enum db_status db_complaint_exists(struct db *db, struct arena *arena, const struct db_session *session, int64_t id)
{
	struct repl_sql_param param = db_integer(id);
	const struct repl_sql_statement statement = {"SELECT id FROM complaints WHERE id = ?", &param, 1, true};
	const struct repl_sql_rows *rows = NULL;
	return db_read_row(db, arena, DB_READ_ANY, &statement, session->last_write_gtid, &rows);
}
