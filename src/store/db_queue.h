/*
 * db_queue.h: the admin's queue in the database (statements in db_queue.c): a page of complaints
 * for a filter (core/queue.h) by keyset, the capped counts per status, the categories with their
 * ids; and the page's statement itself as text, so a test can run EXPLAIN on exactly what the
 * page sends.
 */
#ifndef DB_QUEUE_H
#define DB_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/queue.h"
#include "core/workflow.h"
#include "repl.h"
#include "store/db.h"

struct arena;
struct db_session;

#define DB_QUEUE_PAGE_MAX 500       /* rows of one statement: a page (50) or an export's chunk */
#define DB_QUEUE_COUNT_CAP 10000    /* counts above this read "10,000+" */
#define DB_QUEUE_PARAMS_MAX 128
/* A capped filter's candidates: past this many, its page is not read (the page says so). */
#define DB_QUEUE_CANDIDATES_MAX 1500

struct db_queue_category {
	int64_t id;
	const char *code, *name;
};

/* Every category (inactive ones too: old complaints are in them), by form order (db.read). */
enum db_status db_queue_categories(struct db *db, struct arena *arena, const struct db_session *session,
                                   struct db_queue_category *out, size_t max, size_t *count);

struct db_queue_row {
	int64_t id, version, agent_id;          /* agent_id 0: none */
	const char *status, *category, *agent;  /* agent NULL: none */
	const char *description, *address, *lat, *lon;  /* address, lat, lon NULL: none */
	const char *created_at, *due_at, *updated_at;
	const char *sort_key;                   /* the sort column's value: the keyset position */
	bool reopened, overdue;
};

/* A statement and its parameters (arena). */
struct db_queue_sql {
	const char *sql;
	struct repl_sql_param params[DB_QUEUE_PARAMS_MAX];
	size_t param_count;
};

/* The statement of the page of filter (its keyset position and way) of at most limit rows, one
 * more row read to tell whether more follow. 0; 1 when the filter can match nothing (no
 * statement); -1 out of memory. */
int db_queue_page_sql(struct arena *arena, const struct queue_filter *filter, size_t limit, struct db_queue_sql *out);
/* The statement of the counts per status (each capped at DB_QUEUE_COUNT_CAP + 1). */
int db_queue_counts_sql(struct arena *arena, const struct queue_filter *filter, struct db_queue_sql *out);
/* The statement with its parameters written in as SQL literals: for tests that EXPLAIN it. */
const char *db_queue_sql_inline(struct arena *arena, const struct db_queue_sql *sql);

/* Whether the filter is capped: words, or filing dates with a sort other than the filing date. No
 * index gives its rows in the page's order, so its page reads every candidate (the complaints its
 * words match, or filed between its dates) and sorts them: db_queue_counts reads them first, and
 * the page is read only when they are at most DB_QUEUE_CANDIDATES_MAX. */
bool db_queue_capped(const struct queue_filter *filter);

/* The page: rows in the page's order (for QUEUE_BEFORE too), *more when rows follow in the way
 * read (db.read). */
enum db_status db_queue_page(struct db *db, struct arena *arena, const struct db_session *session,
                             const struct queue_filter *filter, size_t limit, struct db_queue_row *out,
                             size_t *count, bool *more);
/* Per status (by enum workflow_state), how many complaints match the filter's other fields, up to
 * DB_QUEUE_COUNT_CAP + 1; -1 for a status the filter excludes (db.read). For a capped filter,
 * *matched is the candidates read (at most DB_QUEUE_CANDIDATES_MAX + 1; past the cap every count
 * is -1: not known); -1 for another filter. */
enum db_status db_queue_counts(struct db *db, struct arena *arena, const struct db_session *session,
                               const struct queue_filter *filter, int64_t counts[WORKFLOW_STATES], int64_t *matched);

#endif
