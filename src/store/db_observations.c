/*
 * db_observations.c: the statements of replica_observations (see db_observations.h), over db.c's
 * core: the timer's flush, and the replica tables' reads.
 *
 * The flush is one transaction whose rows are each gated on
 * @observations_flushed, the ROW_COUNT() of the UPDATE that moves the segment's flush count on
 * from the value the flush read (with CLIENT_FOUND_ROWS, which librepl sets, a matched row counts
 * 1): a second flush of the same totals, or one racing it, writes nothing.
 */
#include "db_observations.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "core/observations.h"
#include "log.h"
#include "store/db_core.h"

#define DB_OBSERVATIONS_HISTOGRAM_SIZE (OBSERVATIONS_BUCKETS * 21 + 2)
#define DB_OBSERVATIONS_NUMBER_SIZE 64

static const char *const db_observations_fail_columns[OBSERVATIONS_CAUSES] = {
	[OBSERVATIONS_TIMEOUT] = "fail_timeout",
	[OBSERVATIONS_CONNECT] = "fail_connect",
	[OBSERVATIONS_PROTOCOL] = "fail_protocol",
	[OBSERVATIONS_OTHER] = "fail_other",
};

/* A JSON array of the bucket counts: replica_observations' and replica_marks' histogram. */
static const char *db_observations_histogram_text(struct arena *arena, const uint64_t *histogram)
{
	char *text = arena_alloc(arena, DB_OBSERVATIONS_HISTOGRAM_SIZE);
	if (text == NULL)
		return NULL;
	size_t used = 0;
	text[used++] = '[';
	for (unsigned b = 0; b < OBSERVATIONS_BUCKETS; b++)
		used += (size_t)snprintf(text + used, DB_OBSERVATIONS_HISTOGRAM_SIZE - used, "%s%llu", b > 0 ? "," : "",
		                         (unsigned long long)histogram[b]);
	snprintf(text + used, DB_OBSERVATIONS_HISTOGRAM_SIZE - used, "]");
	return text;
}

/* Our own array back; false when it is not 32 counts. */
static bool db_observations_histogram_parse(const char *text, uint64_t *histogram)
{
	bool parsed = false;
	struct json_object *array = text != NULL ? json_tokener_parse(text) : NULL;
	if (array == NULL || !json_object_is_type(array, json_type_array) ||
	    json_object_array_length(array) != OBSERVATIONS_BUCKETS)
		goto out;
	for (unsigned b = 0; b < OBSERVATIONS_BUCKETS; b++) {
		struct json_object *count = json_object_array_get_idx(array, b);
		if (!json_object_is_type(count, json_type_int) || json_object_get_int64(count) < 0)
			goto out;
		histogram[b] = (uint64_t)json_object_get_int64(count);
	}
	parsed = true;
out:
	json_object_put(array);
	return parsed;
}

/* A double as plain decimal text (no exponent: DECIMAL and DOUBLE casts both take it). */
static const char *db_observations_number(struct arena *arena, double value)
{
	char *text = arena_alloc(arena, DB_OBSERVATIONS_NUMBER_SIZE);
	if (text != NULL)
		snprintf(text, DB_OBSERVATIONS_NUMBER_SIZE, "%.9f", value);
	return text;
}

static double db_observations_column_double(const struct repl_sql_rows *rows, size_t row, const char *name)
{
	const char *text = db_column_text(rows, row, name);
	return text != NULL ? strtod(text, NULL) : 0.0;
}

enum db_status db_observations_marks(struct db *db, struct arena *arena, const char *location, const char *segment,
                                     struct db_observations_segment *found, struct db_observations_mark **marks,
                                     size_t *count)
{
	struct repl_sql_param keys[] = {db_text(location), db_text(segment)};
	const struct repl_sql_statement statements[] = {
		{"SELECT flushes, flushed_at FROM replica_segments WHERE location = ? AND segment = ?", keys, 2, true},
		{"SELECT operation, replica, successes, fail_timeout, fail_connect, fail_protocol, fail_other,"
		 " rtt_mean_ms, rtt_m2_ms2, rtt_min_us, rtt_max_us, histogram"
		 " FROM replica_marks WHERE location = ? AND segment = ?",
		 keys, 2, true},
	};
	const struct repl_sql_rows *rows = NULL;
	memset(found, 0, sizeof(*found));
	*marks = NULL;
	*count = 0;
	enum db_status status = db_read(db, arena, DB_READ_PRIMARY, statements, 2, NULL, &rows);
	if (status != DB_OK)
		return status;
	if (rows[0].row_count > 0) {
		found->found = true;
		found->flushes = db_column_integer(&rows[0], 0, "flushes");
		db_column_copy(&rows[0], 0, "flushed_at", found->flushed_at, sizeof(found->flushed_at));
	}
	const struct repl_sql_rows *m = &rows[1];
	if (m->row_count == 0)
		return DB_OK;
	*marks = arena_calloc(arena, m->row_count, sizeof(**marks));
	if (*marks == NULL)
		return DB_UNAVAILABLE;
	for (size_t i = 0; i < m->row_count; i++) {
		struct db_observations_mark *mark = &(*marks)[*count];
		struct observations_totals *t = &mark->totals;
		if (!db_column_copy(m, i, "operation", mark->operation, sizeof(mark->operation)) ||
		    !db_column_copy(m, i, "replica", mark->replica, sizeof(mark->replica)))
			continue;
		t->successes = (uint64_t)db_column_integer(m, i, "successes");
		for (unsigned c = 0; c < OBSERVATIONS_CAUSES; c++)
			t->fail[c] = (uint64_t)db_column_integer(m, i, db_observations_fail_columns[c]);
		t->mean_ms = db_observations_column_double(m, i, "rtt_mean_ms");
		t->m2_ms2 = db_observations_column_double(m, i, "rtt_m2_ms2");
		t->min_us = (uint64_t)db_column_integer(m, i, "rtt_min_us");
		t->max_us = (uint64_t)db_column_integer(m, i, "rtt_max_us");
		if (!db_observations_histogram_parse(db_column_text(m, i, "histogram"), t->histogram)) {
			/* Cannot be from our own writes; the row is then a new one, as if never flushed. */
			log_warn("replica statistics: the mark of %s on %s has no histogram of %d counts: counted again",
			         mark->operation, mark->replica, OBSERVATIONS_BUCKETS);
			continue;
		}
		(*count)++;
	}
	return DB_OK;
}

#define DB_OBSERVATIONS_INSERT_PARAMS 17
#define DB_OBSERVATIONS_MARK_PARAMS 14

static const char db_observations_insert_sql[] =
	"INSERT INTO replica_observations (location, operation, replica, segment, period_start, period_end, attempts,"
	" successes, fail_timeout, fail_connect, fail_protocol, fail_other, rtt_mean_ms, rtt_std_ms, rtt_min_ms,"
	" rtt_max_ms, histogram)"
	" SELECT ?, ?, ?, ?, CAST(? AS DATETIME(3)), CAST(? AS DATETIME(3)), ?, ?, ?, ?, ?, ?, CAST(? AS DOUBLE),"
	" CAST(? AS DOUBLE), CAST(? AS DOUBLE), CAST(? AS DOUBLE), ? FROM DUAL WHERE @observations_flushed = 1";

static const char db_observations_mark_sql[] =
	"INSERT INTO replica_marks (location, segment, operation, replica, successes, fail_timeout, fail_connect,"
	" fail_protocol, fail_other, rtt_mean_ms, rtt_m2_ms2, rtt_min_us, rtt_max_us, histogram)"
	" SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS DECIMAL(65, 20)), CAST(? AS DECIMAL(65, 20)), ?, ?, ?"
	" FROM DUAL WHERE @observations_flushed = 1"
	" ON DUPLICATE KEY UPDATE successes = VALUES(successes), fail_timeout = VALUES(fail_timeout),"
	" fail_connect = VALUES(fail_connect), fail_protocol = VALUES(fail_protocol), fail_other = VALUES(fail_other),"
	" rtt_mean_ms = VALUES(rtt_mean_ms), rtt_m2_ms2 = VALUES(rtt_m2_ms2), rtt_min_us = VALUES(rtt_min_us),"
	" rtt_max_us = VALUES(rtt_max_us), histogram = VALUES(histogram)";

/* The period's row: its RTT columns NULL without a success (as 0001 allows). */
static bool db_observations_insert_params(struct arena *arena, const struct db_observations_flush *flush,
                                          const struct db_observations_row *row, struct repl_sql_param *p)
{
	const struct observations_period *period = &row->period;
	bool rtt = period->successes > 0;
	const char *histogram = db_observations_histogram_text(arena, period->histogram);
	const char *mean = rtt ? db_observations_number(arena, period->mean_ms) : NULL;
	const char *std = rtt ? db_observations_number(arena, period->std_ms) : NULL;
	const char *min = rtt ? db_observations_number(arena, period->min_ms) : NULL;
	const char *max = rtt ? db_observations_number(arena, period->max_ms) : NULL;
	if (histogram == NULL || (rtt && (mean == NULL || std == NULL || min == NULL || max == NULL)))
		return false;
	size_t i = 0;
	p[i++] = db_text(flush->location);
	p[i++] = db_text(row->operation);
	p[i++] = db_text(row->replica);
	p[i++] = db_text(flush->segment);
	p[i++] = db_text(flush->period_start);
	p[i++] = db_text(flush->period_end);
	p[i++] = db_integer((int64_t)period->attempts);
	p[i++] = db_integer((int64_t)period->successes);
	for (unsigned c = 0; c < OBSERVATIONS_CAUSES; c++)
		p[i++] = db_integer((int64_t)period->fail[c]);
	p[i++] = db_text_or_null(mean);
	p[i++] = db_text_or_null(std);
	p[i++] = db_text_or_null(min);
	p[i++] = db_text_or_null(max);
	p[i++] = db_text(histogram);
	return i == DB_OBSERVATIONS_INSERT_PARAMS;
}

static bool db_observations_mark_params(struct arena *arena, const struct db_observations_flush *flush,
                                        const struct db_observations_row *row, struct repl_sql_param *p)
{
	const struct observations_totals *t = &row->totals;
	const char *histogram = db_observations_histogram_text(arena, t->histogram);
	const char *mean = db_observations_number(arena, t->mean_ms);
	const char *m2 = db_observations_number(arena, t->m2_ms2);
	if (histogram == NULL || mean == NULL || m2 == NULL)
		return false;
	size_t i = 0;
	p[i++] = db_text(flush->location);
	p[i++] = db_text(flush->segment);
	p[i++] = db_text(row->operation);
	p[i++] = db_text(row->replica);
	p[i++] = db_integer((int64_t)t->successes);
	for (unsigned c = 0; c < OBSERVATIONS_CAUSES; c++)
		p[i++] = db_integer((int64_t)t->fail[c]);
	p[i++] = db_text(mean);
	p[i++] = db_text(m2);
	p[i++] = db_integer((int64_t)t->min_us);
	p[i++] = db_integer((int64_t)t->max_us);
	p[i++] = db_text(histogram);
	return i == DB_OBSERVATIONS_MARK_PARAMS;
}

enum db_status db_observations_write(struct db *db, struct arena *arena, const struct db_observations_flush *flush)
{
	size_t max = 3 + 2 * flush->count;
	struct repl_sql_statement *statements = arena_calloc(arena, max, sizeof(*statements));
	struct repl_sql_param *head = arena_calloc(arena, 9, sizeof(*head));
	if (statements == NULL || head == NULL)
		return DB_UNAVAILABLE;
	head[0] = db_text(flush->location);
	head[1] = db_text(flush->segment);
	head[2] = db_text(flush->created_at);
	head[3] = db_text(flush->created_at);
	head[4] = db_text(flush->period_end);
	head[5] = db_text(flush->location);
	head[6] = db_text(flush->segment);
	head[7] = db_integer(flush->flushes_read);
	size_t n = 0;
	/* A segment's first flush makes its row (flushes 0, so the UPDATE below matches it). Only
	 * then: on a row that exists, INSERT IGNORE takes a shared lock, and two flushes holding one
	 * each before their UPDATEs would deadlock. */
	if (flush->flushes_read == 0)
		statements[n++] = (struct repl_sql_statement){
			"INSERT IGNORE INTO replica_segments (location, segment, created_at, flushed_at, flushes)"
			" VALUES (?, ?, CAST(? AS DATETIME(3)), CAST(? AS DATETIME(3)), 0)",
			head, 4, false};
	statements[n++] = (struct repl_sql_statement){
		"UPDATE replica_segments SET flushes = flushes + 1, flushed_at = CAST(? AS DATETIME(3))"
		" WHERE location = ? AND segment = ? AND flushes = ?",
		head + 4, 4, false};
	statements[n++] = (struct repl_sql_statement){"SET @observations_flushed = ROW_COUNT()", NULL, 0, false};
	for (size_t r = 0; r < flush->count; r++) {
		const struct db_observations_row *row = &flush->rows[r];
		if (row->has_period) {
			struct repl_sql_param *p = arena_calloc(arena, DB_OBSERVATIONS_INSERT_PARAMS, sizeof(*p));
			if (p == NULL || !db_observations_insert_params(arena, flush, row, p))
				return DB_UNAVAILABLE;
			statements[n++] = (struct repl_sql_statement){db_observations_insert_sql, p,
			                                              DB_OBSERVATIONS_INSERT_PARAMS, false};
		}
		struct repl_sql_param *p = arena_calloc(arena, DB_OBSERVATIONS_MARK_PARAMS, sizeof(*p));
		if (p == NULL || !db_observations_mark_params(arena, flush, row, p))
			return DB_UNAVAILABLE;
		statements[n++] = (struct repl_sql_statement){db_observations_mark_sql, p, DB_OBSERVATIONS_MARK_PARAMS,
		                                              false};
	}
	return db_write(db, statements, n, NULL);
}

/* The tables' reads. The window's minutes are read in the order of idx_replica_observations_period
 * (period_start, then the primary key InnoDB appends: location, operation, replica) from a keyset
 * position, so each chunk is a range of that index, never an OFFSET; each chunk lives in an arena
 * of its own, freed once it is merged. The RTT columns are DOUBLE, read as librepl gives them: the
 * shortest text that reads back as the same number. */

/* A stored histogram for the tables: NULL is a minute without RTT (all zero). */
static bool db_observations_histogram_read(const char *text, uint64_t histogram[OBSERVATIONS_BUCKETS])
{
	memset(histogram, 0, OBSERVATIONS_BUCKETS * sizeof(histogram[0]));
	return text == NULL || db_observations_histogram_parse(text, histogram);
}

#define DB_OBSERVATIONS_ARENA (2u << 20)    /* a chunk's minutes; its rows are librepl's */
#define DB_OBSERVATIONS_PARAMS_MAX 14

#define DB_OBSERVATIONS_SELECT \
	"SELECT period_start, location, operation, replica, segment, attempts, successes, fail_timeout, fail_connect," \
	" fail_protocol, fail_other, rtt_mean_ms, rtt_std_ms, rtt_min_ms, rtt_max_ms, histogram" \
	" FROM replica_observations FORCE INDEX (idx_replica_observations_period)" \
	" WHERE period_start >= CAST(? AS DATETIME(3))"
#define DB_OBSERVATIONS_LOCATION " AND location = ?"
#define DB_OBSERVATIONS_AFTER \
	" AND (period_start > CAST(? AS DATETIME(3)) OR (period_start = CAST(? AS DATETIME(3)) AND (location > ?" \
	" OR (location = ? AND (operation > ? OR (operation = ? AND (replica > ? OR (replica = ? AND segment > ?))))))))"
#define DB_OBSERVATIONS_ORDER " ORDER BY period_start, location, operation, replica, segment LIMIT ?"

/* The last minute read: where the next chunk starts. */
struct db_observations_key {
	char period_start[DB_OBSERVATIONS_TIME_SIZE];
	char location[OBSERVATIONS_LOCATION_SIZE];
	char operation[OBSERVATIONS_NAME_SIZE];
	char replica[OBSERVATIONS_NAME_SIZE];
	char segment[2 * REPL_STATS_ID_BYTES + 1];   /* a host's segments each have their minute */
	bool set;
};

/* One chunk read and merged; *more when the chunk was full. */
static enum db_status db_observations_chunk(struct db *db, const char *wait_gtid, const char *since_utc,
                                            const char *location, struct db_observations_key *key,
                                            struct observations_table *table, struct db_observations_read *read,
                                            bool *more)
{
	char sql[1024];
	struct repl_sql_param params[DB_OBSERVATIONS_PARAMS_MAX];
	size_t n = 0;
	enum db_status status = DB_UNAVAILABLE;
	struct arena *arena = NULL;
	int used = snprintf(sql, sizeof(sql), "%s%s%s%s", DB_OBSERVATIONS_SELECT,
	                    location != NULL ? DB_OBSERVATIONS_LOCATION : "", key->set ? DB_OBSERVATIONS_AFTER : "",
	                    DB_OBSERVATIONS_ORDER);
	if (used <= 0 || (size_t)used >= sizeof(sql))
		goto out;
	params[n++] = db_text(since_utc);
	if (location != NULL)
		params[n++] = db_text(location);
	if (key->set) {
		params[n++] = db_text(key->period_start);
		params[n++] = db_text(key->period_start);
		params[n++] = db_text(key->location);
		params[n++] = db_text(key->location);
		params[n++] = db_text(key->operation);
		params[n++] = db_text(key->operation);
		params[n++] = db_text(key->replica);
		params[n++] = db_text(key->replica);
		params[n++] = db_text(key->segment);
	}
	params[n++] = db_integer(DB_OBSERVATIONS_CHUNK);
	const struct repl_sql_statement statement = {sql, params, n, true};
	const struct repl_sql_rows *rows = NULL;
	if ((arena = arena_create(DB_OBSERVATIONS_ARENA)) == NULL)
		goto out;
	status = db_read(db, arena, DB_READ_ANY, &statement, 1, wait_gtid, &rows);
	if (status != DB_OK)
		goto out;
	*more = rows->row_count >= DB_OBSERVATIONS_CHUNK;
	for (size_t i = 0; i < rows->row_count; i++) {
		struct observations_minute minute = {
			.location = db_column_text(rows, i, "location"),
			.operation = db_column_text(rows, i, "operation"),
			.replica = db_column_text(rows, i, "replica"),
			.attempts = (uint64_t)db_column_integer(rows, i, "attempts"),
			.successes = (uint64_t)db_column_integer(rows, i, "successes"),
			.fail = {(uint64_t)db_column_integer(rows, i, "fail_timeout"),
			         (uint64_t)db_column_integer(rows, i, "fail_connect"),
			         (uint64_t)db_column_integer(rows, i, "fail_protocol"),
			         (uint64_t)db_column_integer(rows, i, "fail_other")},
			.rtt_mean_ms = db_observations_column_double(rows, i, "rtt_mean_ms"),
			.rtt_std_ms = db_observations_column_double(rows, i, "rtt_std_ms"),
			.rtt_min_ms = db_observations_column_double(rows, i, "rtt_min_ms"),
			.rtt_max_ms = db_observations_column_double(rows, i, "rtt_max_ms"),
		};
		const char *period_start = db_column_text(rows, i, "period_start");
		const char *segment = db_column_text(rows, i, "segment");
		if (period_start == NULL || segment == NULL || minute.location == NULL || minute.operation == NULL || minute.replica == NULL) {
			status = DB_UNAVAILABLE;
			goto out;
		}
		read->rows++;
		if (!db_observations_histogram_read(db_column_text(rows, i, "histogram"), minute.histogram) ||
		    (minute.successes > 0 && db_column_text(rows, i, "rtt_mean_ms") == NULL) ||
		    observations_add(table, &minute) != 0)
			read->skipped++;
		snprintf(key->period_start, sizeof(key->period_start), "%s", period_start);
		snprintf(key->location, sizeof(key->location), "%s", minute.location);
		snprintf(key->operation, sizeof(key->operation), "%s", minute.operation);
		snprintf(key->replica, sizeof(key->replica), "%s", minute.replica);
		snprintf(key->segment, sizeof(key->segment), "%s", segment);
		key->set = true;
	}
out:
	arena_destroy(arena);
	return status;
}

enum db_status db_observations_tally(struct db *db, const char *wait_gtid, const char *since_utc,
                                     const char *location, struct observations_table *table,
                                     struct db_observations_read *read)
{
	struct db_observations_key key;
	memset(&key, 0, sizeof(key));
	memset(read, 0, sizeof(*read));
	for (;;) {
		bool more = false;
		enum db_status status = db_observations_chunk(db, wait_gtid, since_utc, location, &key, table, read, &more);
		if (status != DB_OK || !more)
			return status;
		if (read->rows >= DB_OBSERVATIONS_ROWS_MAX) {
			read->cut = true;
			return DB_OK;
		}
	}
}
