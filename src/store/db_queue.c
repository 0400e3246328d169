/*
 * db_queue.c: the admin's queue's statements (see db_queue.h), over db.c's core.
 *
 * Cheap by construction: a page is a UNION ALL of one branch per status the filter reads, each
 * branch an index range in the page's order — (status, sort column), (category_id, status, sort
 * column) or (assigned_agent_id, status, sort column), migration 0008 — from the keyset position,
 * stopping after limit + 1 rows; the outer SELECT merges the branches' few ids and sort keys, then
 * reads those rows by id and joins the names (no TEXT column in a temporary table). A branch examines about as many rows as it returns while its other conditions match
 * most rows of its index's range; the filing dates also bound the due date (a category's target
 * is 1 to 365 days) and the last change (never before filing), so that a range in the past is a
 * range of the index in every sort. The filters whose rows no index gives in the page's order
 * read their own index instead, once, and sort what they found: reopened (idx_complaints_reopened:
 * the complaints waiting after a reopening), and the capped ones (db_queue_capped): words (the
 * FULLTEXT index) and filing dates sorted by due date or last change (idx_complaints_created).
 * A capped filter's page is read only when its candidates — the complaints its words match, or
 * filed between its dates, whatever the other fields — are at most DB_QUEUE_CANDIDATES_MAX: its
 * counts' statement reads them first, at most that many + 1, and the page says "narrow the
 * filter" past it. Other counts are one capped subquery per status, LIMIT 10,001. Every branch and
 * count skips held complaints (their reporter's address not confirmed yet).
 */
#include "store/db_queue.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "store/db_accounts.h"
#include "store/db_core.h"

#define DB_QUEUE_SQL_BYTES (24 * 1024)

/* Per sort: its column, whether the next page goes up (ascending), and the index a branch reads
 * in that order by the branch's equality columns: the agent's, the category's, or the status's
 * alone (migrations 0001 and 0008). */
static const struct {
	const char *column;
	bool ascending;
	const char *by_agent, *by_category, *by_status;
} db_queue_sorts[] = {
	[QUEUE_SORT_DUE] = {"due_at", true, "idx_complaints_agent", "idx_complaints_category_due",
	                    "idx_complaints_status_due"},
	[QUEUE_SORT_FILED] = {"created_at", false, "idx_complaints_agent_created", "idx_complaints_category_created",
	                      "idx_complaints_status_created"},
	[QUEUE_SORT_CHANGED] = {"updated_at", false, "idx_complaints_agent_updated", "idx_complaints_category_updated",
	                        "idx_complaints_status_updated"},
};

/* A branch's index hint: the index of its sort, and the filing date's of the same equality columns
 * (a narrow range of filing dates is cheaper read by that range and sorted). Without the hint the
 * optimizer was seen to read a branch by updated_at alone, 1,400 rows for 51. */
static void db_queue_hint(const struct queue_filter *filter, char *out, size_t size)
{
	bool agent = filter->agent_id != 0 || filter->unassigned;
	const char *sorted = agent ? db_queue_sorts[filter->sort].by_agent
	                   : filter->category_id != 0 ? db_queue_sorts[filter->sort].by_category
	                                              : db_queue_sorts[filter->sort].by_status;
	const char *filed = agent ? db_queue_sorts[QUEUE_SORT_FILED].by_agent
	                  : filter->category_id != 0 ? db_queue_sorts[QUEUE_SORT_FILED].by_category
	                                             : db_queue_sorts[QUEUE_SORT_FILED].by_status;
	if (strcmp(sorted, filed) == 0 || (filter->from[0] == '\0' && filter->to[0] == '\0'))
		snprintf(out, size, " USE INDEX (%s)", sorted);
	else
		snprintf(out, size, " USE INDEX (%s, %s)", sorted, filed);
}

struct db_queue_builder {
	char *sql;
	size_t used;
	bool full;
	struct db_queue_sql *out;
};

__attribute__((format(printf, 2, 3))) static void db_queue_put(struct db_queue_builder *b, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	int n = b->full ? -1 : vsnprintf(b->sql + b->used, DB_QUEUE_SQL_BYTES - b->used, format, args);
	va_end(args);
	if (n < 0 || (size_t)n >= DB_QUEUE_SQL_BYTES - b->used)
		b->full = true;
	else
		b->used += (size_t)n;
}

static void db_queue_param(struct db_queue_builder *b, struct repl_sql_param param)
{
	if (b->out->param_count == DB_QUEUE_PARAMS_MAX)
		b->full = true;
	else
		b->out->params[b->out->param_count++] = param;
}

/* The boolean-mode search: every word required. */
static const char *db_queue_match(struct arena *arena, const struct queue_filter *filter)
{
	size_t size = QUEUE_WORDS_MAX * (QUEUE_WORD_BYTES_MAX + 2) + 1;
	char *text = arena_alloc(arena, size);
	if (text == NULL)
		return NULL;
	text[0] = '\0';
	for (size_t i = 0, used = 0; i < filter->word_count; i++)
		used += (size_t)snprintf(text + used, size - used, "%s+%s", i > 0 ? " " : "", filter->words[i]);
	return text;
}

bool db_queue_capped(const struct queue_filter *filter)
{
	return filter->word_count > 0 || ((filter->from[0] != '\0' || filter->to[0] != '\0') && filter->sort != QUEUE_SORT_FILED);
}

/* The conditions of every branch but the status and the keyset; words only when asked (MATCH needs
 * the table's own FULLTEXT index, so it is the access, never a test on rows already read). */
static void db_queue_where(struct db_queue_builder *b, struct arena *arena, const struct queue_filter *filter,
                           bool keyset, bool words)
{
	const char *column = db_queue_sorts[filter->sort].column;
	/* Complaints of a reporter whose address is not confirmed wait out of the queue (0011). A
	 * row condition, not an index range: such rows are few (an address is confirmed within days,
	 * and mail-sending requests are throttled), and a branch reads past them. */
	db_queue_put(b, " AND c.held_since IS NULL");
	if (filter->category_id != 0) {
		db_queue_put(b, " AND c.category_id = ?");
		db_queue_param(b, db_integer(filter->category_id));
	}
	if (filter->agent_id != 0) {
		db_queue_put(b, " AND c.assigned_agent_id = ?");
		db_queue_param(b, db_integer(filter->agent_id));
	}
	if (filter->unassigned)
		db_queue_put(b, " AND c.assigned_agent_id IS NULL");
	if (filter->overdue)
		db_queue_put(b, " AND c.due_at < UTC_TIMESTAMP(3)");
	if (filter->reopened)
		db_queue_put(b, " AND c.reopened_at IS NOT NULL");
	if (filter->from[0] != '\0') {
		db_queue_put(b, " AND c.created_at >= ?");
		db_queue_param(b, db_text(filter->from));
		/* The same bound on the sort's own column (see the file's comment). */
		if (filter->sort == QUEUE_SORT_DUE) {
			db_queue_put(b, " AND c.due_at >= CAST(? AS DATETIME) + INTERVAL 1 DAY");
			db_queue_param(b, db_text(filter->from));
		} else if (filter->sort == QUEUE_SORT_CHANGED) {
			db_queue_put(b, " AND c.updated_at >= ?");
			db_queue_param(b, db_text(filter->from));
		}
	}
	if (filter->to[0] != '\0') {
		db_queue_put(b, " AND c.created_at < CAST(? AS DATETIME) + INTERVAL 1 DAY");
		db_queue_param(b, db_text(filter->to));
		if (filter->sort == QUEUE_SORT_DUE) {
			db_queue_put(b, " AND c.due_at < CAST(? AS DATETIME) + INTERVAL 366 DAY");
			db_queue_param(b, db_text(filter->to));
		}
	}
	if (words && filter->word_count > 0) {
		db_queue_put(b, " AND MATCH (c.description, c.address) AGAINST (? IN BOOLEAN MODE)");
		const char *match = db_queue_match(arena, filter);
		if (match == NULL)
			b->full = true;
		else
			db_queue_param(b, db_text(match));
	}
	if (keyset && filter->way != QUEUE_FIRST) {
		bool up = db_queue_sorts[filter->sort].ascending == (filter->way == QUEUE_AFTER);
		db_queue_put(b, " AND (c.%s %s ? OR (c.%s = ? AND c.id %s ?))", column, up ? ">" : "<", column,
		             up ? ">" : "<");
		db_queue_param(b, db_text(filter->key));
		db_queue_param(b, db_text(filter->key));
		db_queue_param(b, db_integer(filter->key_id));
	}
}

static int db_queue_begin(struct arena *arena, struct db_queue_builder *b, struct db_queue_sql *out)
{
	memset(out, 0, sizeof(*out));
	*b = (struct db_queue_builder){.sql = arena_alloc(arena, DB_QUEUE_SQL_BYTES), .out = out};
	if (b->sql == NULL)
		return -1;
	b->sql[0] = '\0';
	return 0;
}

static int db_queue_end(struct db_queue_builder *b)
{
	if (b->full)
		return -1;
	b->out->sql = b->sql;
	return 0;
}

int db_queue_page_sql(struct arena *arena, const struct queue_filter *filter, size_t limit, struct db_queue_sql *out)
{
	struct db_queue_builder b;
	unsigned statuses = queue_statuses(filter);
	if ((size_t)filter->sort >= QUEUE_SORTS || limit == 0 || limit > DB_QUEUE_PAGE_MAX)
		return -1;
	if (db_queue_begin(arena, &b, out) != 0)
		return -1;
	if (statuses == 0)
		return 1;
	const char *column = db_queue_sorts[filter->sort].column;
	bool up = db_queue_sorts[filter->sort].ascending == (filter->way != QUEUE_BEFORE);
	const char *order = up ? "" : " DESC";
	/* One branch per status, or one for all when the filter has its own index. */
	bool capped = db_queue_capped(filter);
	bool single = capped || filter->reopened;
	/* The branches and their merge carry ids and sort keys only; the page's rows are read by id
	 * after the merge. A derived table holding the TEXT columns is an on-disk (Aria) temporary
	 * table in MariaDB, and an export's chunks of 200 made two each: slower, and under concurrent
	 * exports MariaDB 10.11 now and then failed to delete one ("Error on delete of
	 * '/tmp/#sql-temptable-...MAI'", error 6, EE_DELETE), failing the chunk's read. */
	db_queue_put(&b, "SELECT c.id, c.status, c.description, c.address, c.lat, c.lon, c.created_at, c.due_at,"
	                 " c.updated_at, c.version, c.reopened_at IS NOT NULL AS reopened,"
	                 " COALESCE(c.assigned_agent_id, 0) AS agent_id, q.sort_key, k.name AS category, a.name AS agent,"
	                 " c.due_at < UTC_TIMESTAMP(3) AND c.status IN ('submitted', 'assigned', 'in_progress') AS overdue"
	                 " FROM (SELECT u.id, u.sort_key FROM (");
	bool first = true;
	for (int s = 0; s < WORKFLOW_STATES; s++) {
		if (!single && (statuses & (1u << s)) == 0)
			continue;
		char hint[128] = "";
		if (capped && filter->word_count == 0)
			snprintf(hint, sizeof(hint), " FORCE INDEX (idx_complaints_created)");
		else if (filter->reopened && filter->word_count == 0)
			snprintf(hint, sizeof(hint), " FORCE INDEX (idx_complaints_reopened)");
		else if (!single)
			db_queue_hint(filter, hint, sizeof(hint));
		db_queue_put(&b, "%s(SELECT c.id, c.%s AS sort_key FROM complaints c%s WHERE ", first ? "" : " UNION ALL ",
		             column, hint);
		first = false;
		if (single) {
			db_queue_put(&b, "c.status IN (");
			for (int t = 0, n = 0; t < WORKFLOW_STATES; t++)
				if (statuses & (1u << t)) {
					db_queue_put(&b, "%s?", n++ > 0 ? ", " : "");
					db_queue_param(&b, db_text(workflow_state_name((enum workflow_state)t)));
				}
			db_queue_put(&b, ")");
		} else {
			db_queue_put(&b, "c.status = ?");
			db_queue_param(&b, db_text(workflow_state_name((enum workflow_state)s)));
		}
		db_queue_where(&b, arena, filter, true, true);
		db_queue_put(&b, " ORDER BY c.%s%s, c.id%s LIMIT ?)", column, order, order);
		db_queue_param(&b, db_integer((int64_t)limit + 1));
		if (single)
			break;
	}
	db_queue_put(&b, ") u ORDER BY u.sort_key%s, u.id%s LIMIT ?) q JOIN complaints c ON c.id = q.id"
	                 " JOIN categories k ON k.id = c.category_id LEFT JOIN accounts a ON a.id = c.assigned_agent_id"
	                 " ORDER BY q.sort_key%s, q.id%s", order, order, order, order);
	db_queue_param(&b, db_integer((int64_t)limit + 1));
	return db_queue_end(&b);
}

int db_queue_counts_sql(struct arena *arena, const struct queue_filter *filter, struct db_queue_sql *out)
{
	struct db_queue_builder b;
	/* Every status the other fields allow (the page's tabs): a copy, in the arena, since the
	 * parameters point into its dates. */
	struct queue_filter *others = arena_alloc(arena, sizeof(*others));
	if (others == NULL || db_queue_begin(arena, &b, out) != 0)
		return -1;
	*others = *filter;
	others->statuses = 0;
	unsigned statuses = queue_statuses(others);
	if (db_queue_capped(filter)) {
		/* The candidates by their own index, at most the cap + 1 whatever the other fields, each
		 * with its status and whether the other fields hold (db_queue_counts adds them up). */
		db_queue_put(&b, "SELECT c.status, (1");
		db_queue_where(&b, arena, others, false, false);
		db_queue_put(&b, ") AS passes FROM complaints c%s WHERE ",
		             filter->word_count > 0 ? "" : " FORCE INDEX (idx_complaints_created)");
		if (filter->word_count > 0) {
			struct queue_filter *words = arena_alloc(arena, sizeof(*words));
			if (words == NULL)
				return -1;
			*words = (struct queue_filter){.words = {0}, .word_count = filter->word_count};
			memcpy(words->words, filter->words, sizeof(words->words));
			db_queue_put(&b, "1");
			db_queue_where(&b, arena, words, false, true);
		} else {
			struct queue_filter *dates = arena_alloc(arena, sizeof(*dates));
			if (dates == NULL)
				return -1;
			*dates = (struct queue_filter){.sort = QUEUE_SORT_FILED};
			memcpy(dates->from, filter->from, sizeof(dates->from));
			memcpy(dates->to, filter->to, sizeof(dates->to));
			db_queue_put(&b, "1");
			db_queue_where(&b, arena, dates, false, false);
		}
		db_queue_put(&b, " LIMIT %d", DB_QUEUE_CANDIDATES_MAX + 1);
		return db_queue_end(&b);
	}
	for (int s = 0, n = 0; s < WORKFLOW_STATES; s++) {
		if ((statuses & (1u << s)) == 0)
			continue;
		db_queue_put(&b, "%sSELECT ? AS status, COUNT(*) AS n FROM (SELECT c.id FROM complaints c WHERE c.status = ?",
		             n > 0 ? " UNION ALL " : "");
		db_queue_param(&b, db_text(workflow_state_name((enum workflow_state)s)));
		db_queue_param(&b, db_text(workflow_state_name((enum workflow_state)s)));
		db_queue_where(&b, arena, others, false, true);
		db_queue_put(&b, " LIMIT %d) x%d", DB_QUEUE_COUNT_CAP + 1, n);
		n++;
	}
	return db_queue_end(&b);
}

const char *db_queue_sql_inline(struct arena *arena, const struct db_queue_sql *sql)
{
	size_t size = strlen(sql->sql) + 1;
	for (size_t i = 0; i < sql->param_count; i++)
		size += sql->params[i].type == REPL_SQL_STRING ? 2 * sql->params[i].len + 3 : 24;
	char *text = arena_alloc(arena, size);
	if (text == NULL)
		return NULL;
	size_t used = 0, next = 0;
	for (const char *p = sql->sql; *p != '\0'; p++) {
		if (*p != '?' || next == sql->param_count) {
			text[used++] = *p;
			continue;
		}
		const struct repl_sql_param *param = &sql->params[next++];
		if (param->type == REPL_SQL_INT64) {
			used += (size_t)snprintf(text + used, size - used, "%lld", (long long)param->integer);
		} else if (param->type == REPL_SQL_NULL) {
			used += (size_t)snprintf(text + used, size - used, "NULL");
		} else {
			text[used++] = '\'';
			for (size_t i = 0; i < param->len; i++) {
				if (param->text[i] == '\'' || param->text[i] == '\\')
					text[used++] = '\\';
				text[used++] = param->text[i];
			}
			text[used++] = '\'';
		}
	}
	text[used] = '\0';
	return text;
}

enum db_status db_queue_categories(struct db *db, struct arena *arena, const struct db_session *session,
                                   struct db_queue_category *out, size_t max, size_t *count)
{
	const struct repl_sql_statement statement = {
		"SELECT id, code, name FROM categories ORDER BY sort_order, name", NULL, 0, true};
	const struct repl_sql_rows *rows = NULL;
	*count = 0;
	enum db_status status = db_read(db, arena, DB_READ_ANY, &statement, 1, session->last_write_gtid, &rows);
	for (size_t i = 0; status == DB_OK && i < rows->row_count && *count < max; i++, (*count)++) {
		out[i].id = db_column_integer(rows, i, "id");
		out[i].code = db_column_text(rows, i, "code");
		out[i].name = db_column_text(rows, i, "name");
		if (out[i].code == NULL || out[i].name == NULL)
			return DB_UNAVAILABLE;
	}
	return status;
}

enum db_status db_queue_page(struct db *db, struct arena *arena, const struct db_session *session,
                             const struct queue_filter *filter, size_t limit, struct db_queue_row *out,
                             size_t *count, bool *more)
{
	struct db_queue_sql *sql = arena_alloc(arena, sizeof(*sql));
	*count = 0;
	*more = false;
	if (sql == NULL)
		return DB_UNAVAILABLE;
	int built = db_queue_page_sql(arena, filter, limit, sql);
	if (built != 0)
		return built > 0 ? DB_OK : DB_UNAVAILABLE;
	const struct repl_sql_statement statement = {sql->sql, sql->params, sql->param_count, true};
	const struct repl_sql_rows *rows = NULL;
	enum db_status status = db_read(db, arena, DB_READ_ANY, &statement, 1, session->last_write_gtid, &rows);
	if (status != DB_OK)
		return status;
	size_t n = rows->row_count < limit ? rows->row_count : limit;
	*more = rows->row_count > limit;
	for (size_t i = 0; i < n; i++) {
		/* A previous page is read backwards: put it in the page's order. */
		struct db_queue_row *row = &out[filter->way == QUEUE_BEFORE ? n - 1 - i : i];
		row->id = db_column_integer(rows, i, "id");
		row->version = db_column_integer(rows, i, "version");
		row->agent_id = db_column_integer(rows, i, "agent_id");
		row->status = db_column_text(rows, i, "status");
		row->category = db_column_text(rows, i, "category");
		row->agent = db_column_text(rows, i, "agent");
		row->description = db_column_text(rows, i, "description");
		row->address = db_column_text(rows, i, "address");
		row->lat = db_column_text(rows, i, "lat");
		row->lon = db_column_text(rows, i, "lon");
		row->created_at = db_column_text(rows, i, "created_at");
		row->due_at = db_column_text(rows, i, "due_at");
		row->updated_at = db_column_text(rows, i, "updated_at");
		row->sort_key = db_column_text(rows, i, "sort_key");
		row->reopened = db_column_integer(rows, i, "reopened") != 0;
		row->overdue = db_column_integer(rows, i, "overdue") != 0;
		if (row->status == NULL || row->category == NULL || row->description == NULL || row->sort_key == NULL)
			return DB_UNAVAILABLE;
	}
	*count = n;
	return DB_OK;
}

enum db_status db_queue_counts(struct db *db, struct arena *arena, const struct db_session *session,
                               const struct queue_filter *filter, int64_t counts[WORKFLOW_STATES], int64_t *matched)
{
	struct db_queue_sql *sql = arena_alloc(arena, sizeof(*sql));
	for (int s = 0; s < WORKFLOW_STATES; s++)
		counts[s] = -1;
	*matched = -1;
	if (sql == NULL || db_queue_counts_sql(arena, filter, sql) != 0)
		return DB_UNAVAILABLE;
	if (sql->param_count == 0)
		return DB_OK;
	const struct repl_sql_statement statement = {sql->sql, sql->params, sql->param_count, true};
	const struct repl_sql_rows *rows = NULL;
	enum db_status status = db_read(db, arena, DB_READ_ANY, &statement, 1, session->last_write_gtid, &rows);
	if (status != DB_OK || !db_queue_capped(filter)) {
		for (size_t i = 0; status == DB_OK && i < rows->row_count; i++) {
			enum workflow_state state;
			if (workflow_state_parse(db_column_text(rows, i, "status"), &state))
				counts[state] = db_column_integer(rows, i, "n");
		}
		return status;
	}
	/* A capped filter: one row per candidate read. Past the cap the counts are not known. */
	struct queue_filter others = *filter;
	others.statuses = 0;
	unsigned statuses = queue_statuses(&others);
	*matched = (int64_t)rows->row_count;
	for (int s = 0; s < WORKFLOW_STATES; s++)
		counts[s] = *matched <= DB_QUEUE_CANDIDATES_MAX && ((statuses >> s) & 1u) ? 0 : -1;
	for (size_t i = 0; *matched <= DB_QUEUE_CANDIDATES_MAX && i < rows->row_count; i++) {
		enum workflow_state state;
		if (workflow_state_parse(db_column_text(rows, i, "status"), &state) && counts[state] >= 0 &&
		    db_column_integer(rows, i, "passes") != 0)
			counts[state]++;
	}
	return DB_OK;
}
