/*
 * db_admin_log.c: the statements of the admin log's page (see db_admin_log.h), over db.c's core.
 * The page's statement is put together from fixed fragments, one per filter the page sets, each
 * with its parameters bound: an admin reads idx_admin_log_actor (actor_id, at), an action
 * idx_admin_log_action (0014), a target its own (target_*_id, at), none idx_admin_log_at, each in
 * the page's order (InnoDB appends the id that breaks ties), from the keyset's position.
 */
#include "db_admin_log.h"

#include <stdio.h>
#include <string.h>

#include "store/db_accounts.h"
#include "store/db_core.h"

#define DB_ADMIN_LOG_PARAMS_MAX 8

static const char *const db_admin_log_target_columns[] = {
	[DB_ADMIN_LOG_COMPLAINT] = " AND l.target_complaint_id = ?",
	[DB_ADMIN_LOG_ACCOUNT] = " AND l.target_account_id = ?",
	[DB_ADMIN_LOG_CATEGORY] = " AND l.target_category_id = ?",
};

enum db_status db_admin_log_page(struct db *db, struct arena *arena, const struct db_session *session,
                                 const struct db_admin_log_filter *filter, size_t limit,
                                 struct db_admin_log_row *out, size_t *count, bool *more)
{
	char sql[1024];
	struct repl_sql_param params[DB_ADMIN_LOG_PARAMS_MAX];
	size_t n = 0;
	int used = snprintf(sql, sizeof(sql), "%s",
	                    "SELECT l.id, l.at, l.actor_id, a.name AS actor, l.action, l.target_complaint_id,"
	                    " l.target_account_id, t.name AS account, l.target_category_id, k.name AS category, l.detail"
	                    " FROM admin_log l LEFT JOIN accounts a ON a.id = l.actor_id"
	                    " LEFT JOIN accounts t ON t.id = l.target_account_id"
	                    " LEFT JOIN categories k ON k.id = l.target_category_id WHERE TRUE");
	if (filter->actor_id != 0) {
		used += snprintf(sql + used, sizeof(sql) - (size_t)used, " AND l.actor_id = ?");
		params[n++] = db_integer(filter->actor_id);
	}
	if (filter->action != NULL) {
		used += snprintf(sql + used, sizeof(sql) - (size_t)used, " AND l.action = ?");
		params[n++] = db_text(filter->action);
	}
	if (filter->target != DB_ADMIN_LOG_ANY && (size_t)filter->target < 4) {
		used += snprintf(sql + used, sizeof(sql) - (size_t)used, "%s", db_admin_log_target_columns[filter->target]);
		params[n++] = db_integer(filter->target_id);
	}
	if (filter->after_id != 0) {
		used += snprintf(sql + used, sizeof(sql) - (size_t)used,
		                 " AND (l.at < CAST(? AS DATETIME(3)) OR (l.at = CAST(? AS DATETIME(3)) AND l.id < ?))");
		params[n++] = db_text(filter->after_at);
		params[n++] = db_text(filter->after_at);
		params[n++] = db_integer(filter->after_id);
	}
	used += snprintf(sql + used, sizeof(sql) - (size_t)used, " ORDER BY l.at DESC, l.id DESC LIMIT ?");
	params[n++] = db_integer((int64_t)limit + 1);
	if (used <= 0 || (size_t)used >= sizeof(sql))
		return DB_UNAVAILABLE;
	const struct repl_sql_statement statement = {sql, params, n, true};
	const struct repl_sql_rows *rows = NULL;
	*count = 0;
	*more = false;
	enum db_status status = db_read(db, arena, DB_READ_ANY, &statement, 1, session->last_write_gtid, &rows);
	if (status != DB_OK)
		return status;
	*more = rows->row_count > limit;
	for (size_t i = 0; i < rows->row_count && i < limit; i++, (*count)++) {
		struct db_admin_log_row *row = &out[i];
		row->id = db_column_integer(rows, i, "id");
		row->at = db_column_text(rows, i, "at");
		row->actor_id = db_column_integer(rows, i, "actor_id");
		row->actor = db_column_text(rows, i, "actor");
		row->action = db_column_text(rows, i, "action");
		row->complaint_id = db_column_integer(rows, i, "target_complaint_id");
		row->account_id = db_column_integer(rows, i, "target_account_id");
		row->account = db_column_text(rows, i, "account");
		row->category_id = db_column_integer(rows, i, "target_category_id");
		row->category = db_column_text(rows, i, "category");
		row->detail = db_column_text(rows, i, "detail");
		if (row->at == NULL || row->action == NULL || row->detail == NULL)
			return DB_UNAVAILABLE;
	}
	return DB_OK;
}

enum db_status db_admin_log_admins(struct db *db, struct arena *arena, const struct db_session *session,
                                   struct db_admin_log_admin *out, size_t max, size_t *count)
{
	struct repl_sql_param limit = db_integer((int64_t)max);
	const struct repl_sql_statement statement = {
		"SELECT id, name FROM accounts WHERE role = 'admin' ORDER BY name, id LIMIT ?", &limit, 1, true};
	const struct repl_sql_rows *rows = NULL;
	*count = 0;
	enum db_status status = db_read(db, arena, DB_READ_ANY, &statement, 1, session->last_write_gtid, &rows);
	for (size_t i = 0; status == DB_OK && i < rows->row_count && *count < max; i++, (*count)++) {
		out[i].id = db_column_integer(rows, i, "id");
		out[i].name = db_column_text(rows, i, "name");
		if (out[i].name == NULL)
			return DB_UNAVAILABLE;
	}
	return status;
}
