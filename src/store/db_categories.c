/*
 * db_categories.c: the statements of the admin's categories page (see db_categories.h), over
 * db.c's core: each function lists its statements and their parameters, runs them as one
 * transaction and reads what it needs by column name.
 */
#include "db_categories.h"

#include <stdio.h>

#include "store/db_accounts.h"
#include "store/db_core.h"

enum db_status db_categories_all(struct db *db, struct arena *arena, const struct db_session *session,
                                 struct db_category_row *out, size_t max, size_t *count)
{
	struct repl_sql_param limit = db_integer((int64_t)max);
	const struct repl_sql_statement statement = {
		"SELECT k.id, k.code, k.name, k.target_days, COALESCE(k.target_hours, 0) AS target_hours, k.sort_order,"
		" k.active, (SELECT COALESCE(GROUP_CONCAT(p.agent_id ORDER BY p.agent_id SEPARATOR ','), '')"
		" FROM category_agents p WHERE p.category_id = k.id) AS pool"
		" FROM categories k ORDER BY k.sort_order, k.name, k.id LIMIT ?",
		&limit, 1, true};
	const struct repl_sql_rows *rows = NULL;
	*count = 0;
	enum db_status status = db_read(db, arena, DB_READ_ANY, &statement, 1, session->last_write_gtid, &rows);
	if (status != DB_OK)
		return status;
	for (size_t i = 0; i < rows->row_count && *count < max; i++) {
		struct db_category_row *row = &out[(*count)++];
		row->id = db_column_integer(rows, i, "id");
		row->code = db_column_text(rows, i, "code");
		row->name = db_column_text(rows, i, "name");
		row->target_days = db_column_integer(rows, i, "target_days");
		row->target_hours = db_column_integer(rows, i, "target_hours");
		row->sort_order = db_column_integer(rows, i, "sort_order");
		row->active = db_column_integer(rows, i, "active") != 0;
		row->pool = db_column_text(rows, i, "pool");
		if (row->code == NULL || row->name == NULL || row->pool == NULL)
			return DB_UNAVAILABLE;
	}
	return DB_OK;
}

/* NULL for a days target: the column's "none". */
static struct repl_sql_param db_categories_hours(const struct db_category_edit *edit)
{
	struct repl_sql_param none = db_text_or_null(NULL);
	return edit->target_hours != 0 ? db_integer(edit->target_hours) : none;
}

enum db_status db_categories_add(struct db *db, struct db_session *session, const char *code,
                                 const struct db_category_edit *edit, int64_t *id)
{
	struct repl_sql_param insert[] = {db_text(code), db_text(edit->name), db_integer(edit->target_days),
	                                  db_categories_hours(edit), db_integer(edit->sort_order)};
	struct repl_sql_param log[] = {db_integer(session->account_id), db_text(code), db_text(edit->name),
	                               db_text(edit->target_text), db_integer(edit->sort_order)};
	const struct repl_sql_statement statements[] = {
		{"INSERT INTO categories (code, name, target_days, target_hours, sort_order, active)"
		 " VALUES (?, ?, ?, ?, ?, TRUE)",
		 insert, 5, false},
		{"INSERT INTO admin_log (actor_id, action, target_category_id, detail)"
		 " VALUES (?, 'category_add', LAST_INSERT_ID(), CONCAT('code ', ?, '; name ', ?, '; target ', ?, '; order ', ?))",
		 log, 5, false},
	};
	struct db_written written;
	enum db_status status = db_write(db, statements, 2, &written);
	if (status != DB_OK)
		return status;
	*id = (int64_t)written.insert_id;
	db_session_remember(db, session, &written);
	return DB_OK;
}

/* The statements after the UPDATE run only when it found the category. */
#define DB_CATEGORY_FOUND " AND @category_found = 1"

enum db_status db_categories_edit(struct db *db, struct db_session *session, int64_t id,
                                  const struct db_category_edit *edit, bool *found)
{
	struct repl_sql_param category = db_integer(id);
	struct repl_sql_param update[] = {db_text(edit->name), db_integer(edit->target_days), db_categories_hours(edit),
	                                  db_integer(edit->sort_order), db_integer(edit->active), category};
	struct repl_sql_param log[] = {db_integer(session->account_id), db_text(edit->name), db_text(edit->target_text),
	                               db_integer(edit->sort_order), db_text(edit->active ? "active" : "inactive"),
	                               category};
	struct repl_sql_param pool[DB_CATEGORY_POOL_MAX][2];
	struct repl_sql_statement statements[4 + DB_CATEGORY_POOL_MAX] = {
		/* updated_at always changes, so the row counts as changed whenever it exists (and is
		 * locked from here on). */
		{"UPDATE categories SET name = ?, target_days = ?, target_hours = ?, sort_order = ?, active = ?,"
		 " updated_at = UTC_TIMESTAMP(3) WHERE id = ?",
		 update, 6, false},
		{"SET @category_found = ROW_COUNT()", NULL, 0, false},
		{"DELETE FROM category_agents WHERE category_id = ?" DB_CATEGORY_FOUND, &category, 1, false},
	};
	size_t count = 3;
	for (size_t i = 0; i < edit->pool_count && i < DB_CATEGORY_POOL_MAX; i++) {
		pool[i][0] = category;
		pool[i][1] = db_integer(edit->pool[i]);
		/* Only accounts that are agents join a pool. */
		statements[count++] = (struct repl_sql_statement){
			"INSERT IGNORE INTO category_agents (category_id, agent_id)"
			" SELECT ?, id FROM accounts WHERE id = ? AND role = 'agent'" DB_CATEGORY_FOUND,
			pool[i], 2, false};
	}
	statements[count++] = (struct repl_sql_statement){
		"INSERT INTO admin_log (actor_id, action, target_category_id, detail)"
		" SELECT ?, 'category_edit', k.id, CONCAT('name ', ?, '; target ', ?, '; order ', ?, '; ', ?, '; pool ',"
		" (SELECT COALESCE(GROUP_CONCAT(p.agent_id ORDER BY p.agent_id SEPARATOR ','), 'none') FROM category_agents p"
		" WHERE p.category_id = k.id)) FROM categories k WHERE k.id = ?" DB_CATEGORY_FOUND,
		log, 6, false};
	struct db_written written;
	*found = false;
	enum db_status status = db_write(db, statements, count, &written);
	if (status != DB_OK)
		return status;
	*found = written.affected_rows == 1;
	if (*found)
		db_session_remember(db, session, &written);
	return DB_OK;
}
