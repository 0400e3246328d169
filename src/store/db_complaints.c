/*
 * db_complaints.c: the statements of categories and complaints (see db_complaints.h), over
 * db.c's core: each function lists its statements and their parameters, runs them as one
 * transaction and reads what it needs by column name.
 */
#include "db_complaints.h"

#include <stddef.h>
#include <string.h>

#include "arena.h"
#include "store/db_accounts.h"
#include "store/db_core.h"

enum db_status db_categories(struct db *db, struct arena *arena, struct db_category *out, size_t max, size_t *count)
{
	const struct repl_sql_statement statement = {
		"SELECT code, name FROM categories WHERE active ORDER BY sort_order, name", NULL, 0, true};
	const struct repl_sql_rows *rows = NULL;
	*count = 0;
	enum db_status status = db_read(db, arena, DB_READ_ANY, &statement, 1, NULL, &rows);
	if (status != DB_OK)
		return status;
	for (size_t i = 0; i < rows->row_count && *count < max; i++) {
		out[*count].code = db_column_text(rows, i, "code");
		out[*count].name = db_column_text(rows, i, "name");
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
	db_session_record_write(db, "id", db_integer(session->id), written.gtid);
	snprintf(session->last_write_gtid, sizeof(session->last_write_gtid), "%s", written.gtid);
	return DB_OK;
}

enum db_status db_complaints_mine(struct db *db, struct arena *arena, const struct db_session *session, size_t offset,
                                  size_t limit, struct db_complaint_summary *out, size_t *count, bool *more)
{
	struct repl_sql_param params[] = {db_integer(session->account_id), db_integer((int64_t)limit + 1),
	                                  db_integer((int64_t)offset)};
	const struct repl_sql_statement statement = {
		"SELECT c.id, k.name AS category, c.status, c.description, c.created_at FROM complaints c"
		" JOIN categories k ON k.id = c.category_id WHERE c.reporter_id = ?"
		" ORDER BY c.created_at DESC, c.id DESC LIMIT ? OFFSET ?",
		params, 3, true};
	const struct repl_sql_rows *rows = NULL;
	*count = 0;
	*more = false;
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
		if (item->category == NULL || item->status == NULL || item->description == NULL || item->created_at == NULL)
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
	{"description", offsetof(struct db_complaint, description)},
	{"address", offsetof(struct db_complaint, address)},
	{"lat", offsetof(struct db_complaint, lat)},
	{"lon", offsetof(struct db_complaint, lon)},
	{"image_key", offsetof(struct db_complaint, image_key)},
	{"created_at", offsetof(struct db_complaint, created_at)},
	{"due_at", offsetof(struct db_complaint, due_at)},
};

/* One statement, so one round trip and one snapshot without a transaction: the complaint's
 * columns on every row, each row one entry of its timeline (oldest first), or one row whose
 * action is NULL when it has none (a history row's action never is). */
enum db_status db_complaint_get(struct db *db, struct arena *arena, const struct db_session *session, int64_t id,
                                struct db_complaint *out)
{
	struct repl_sql_param params[] = {db_integer(id), db_integer(session->account_id),
	                                  db_integer(session->account_id), db_integer(session->role == ACCOUNT_ADMIN)};
	const struct repl_sql_statement statement = {
		"SELECT c.id, c.reporter_id, COALESCE(c.assigned_agent_id, 0) AS assigned_agent_id, k.name AS category,"
		" c.status, c.description, c.address, c.lat, c.lon, c.image_key, c.created_at, c.due_at,"
		" t.at, t.action, t.to_status, t.reason FROM complaints c"
		" JOIN categories k ON k.id = c.category_id"
		" LEFT JOIN status_track t ON t.complaint_id = c.id"
		" WHERE c.id = ? AND (c.reporter_id = ? OR c.assigned_agent_id = ? OR ? = 1)"
		" ORDER BY t.at, t.id LIMIT 200",
		params, 4, true};
	const struct repl_sql_rows *rows = NULL;
	memset(out, 0, sizeof(*out));
	enum db_status status = db_read_row(db, arena, DB_READ_ANY, &statement, session->last_write_gtid, &rows);
	if (status != DB_OK)
		return status;
	out->id = db_column_integer(rows, 0, "id");
	out->reporter_id = db_column_integer(rows, 0, "reporter_id");
	out->assigned_agent_id = db_column_integer(rows, 0, "assigned_agent_id");
	for (size_t i = 0; i < sizeof(db_complaint_texts) / sizeof(db_complaint_texts[0]); i++)
		*(const char **)((char *)out + db_complaint_texts[i].offset) =
			db_column_text(rows, 0, db_complaint_texts[i].column);
	size_t entries = db_column_text(rows, 0, "action") != NULL ? rows->row_count : 0;
	out->timeline = entries > 0 ? arena_calloc(arena, entries, sizeof(*out->timeline)) : NULL;
	if (out->category == NULL || out->status == NULL || out->description == NULL ||
	    (entries > 0 && out->timeline == NULL))
		return DB_UNAVAILABLE;
	for (size_t i = 0; i < entries; i++) {
		out->timeline[i].at = db_column_text(rows, i, "at");
		out->timeline[i].action = db_column_text(rows, i, "action");
		out->timeline[i].to_status = db_column_text(rows, i, "to_status");
		out->timeline[i].reason = db_column_text(rows, i, "reason");
	}
	out->timeline_count = entries;
	return DB_OK;
}
