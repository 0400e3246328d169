/*
 * db_observations.c: the statements of the replica tables (see db_observations.h), over db.c's
 * core. The window's minutes are read in the order of idx_replica_observations_period (period_start,
 * then the primary key InnoDB appends: location, operation, replica) from a keyset position, so
 * each chunk is a range of that index, never an OFFSET; each chunk lives in an arena of its own,
 * freed once it is merged. The RTT columns are DOUBLE, which librepl cannot read: they are cast to
 * DECIMAL with microsecond precision (the histogram's own unit). The histogram is JSON text, an
 * array of 32 counts, read with json-c.
 */
#include "db_observations.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "core/observations.h"
#include "store/db_core.h"

#define DB_OBSERVATIONS_ARENA (2u << 20)    /* a chunk's minutes; its rows are librepl's */
#define DB_OBSERVATIONS_PARAMS_MAX 12

#define DB_OBSERVATIONS_SELECT \
	"SELECT period_start, location, operation, replica, attempts, successes, fail_timeout, fail_connect," \
	" fail_protocol, fail_other, CAST(rtt_mean_ms AS DECIMAL(20, 6)) AS rtt_mean_ms," \
	" CAST(rtt_std_ms AS DECIMAL(20, 6)) AS rtt_std_ms, CAST(rtt_min_ms AS DECIMAL(20, 6)) AS rtt_min_ms," \
	" CAST(rtt_max_ms AS DECIMAL(20, 6)) AS rtt_max_ms, histogram" \
	" FROM replica_observations FORCE INDEX (idx_replica_observations_period)" \
	" WHERE period_start >= CAST(? AS DATETIME(3))"
#define DB_OBSERVATIONS_LOCATION " AND location = ?"
#define DB_OBSERVATIONS_AFTER \
	" AND (period_start > CAST(? AS DATETIME(3)) OR (period_start = CAST(? AS DATETIME(3)) AND (location > ?" \
	" OR (location = ? AND (operation > ? OR (operation = ? AND replica > ?))))))"
#define DB_OBSERVATIONS_ORDER " ORDER BY period_start, location, operation, replica LIMIT ?"

/* The last minute read: where the next chunk starts. */
struct db_observations_key {
	char period_start[OBSERVATIONS_TIME_SIZE];
	char location[OBSERVATIONS_LOCATION_SIZE];
	char operation[OBSERVATIONS_NAME_SIZE];
	char replica[OBSERVATIONS_NAME_SIZE];
	bool set;
};

static double db_observations_number(const struct repl_sql_rows *rows, size_t i, const char *name)
{
	const char *text = db_column_text(rows, i, name);
	return text != NULL ? strtod(text, NULL) : 0.0;
}

/* "[n0, n1, ..., n31]" into histogram; false when it is not 32 counts (NULL: all zero, no RTT). */
static bool db_observations_histogram(const char *text, uint64_t histogram[OBSERVATIONS_BUCKETS])
{
	memset(histogram, 0, OBSERVATIONS_BUCKETS * sizeof(histogram[0]));
	if (text == NULL)
		return true;
	struct json_object *array = json_tokener_parse(text);
	bool good = array != NULL && json_object_is_type(array, json_type_array) &&
	            json_object_array_length(array) == OBSERVATIONS_BUCKETS;
	for (size_t b = 0; good && b < OBSERVATIONS_BUCKETS; b++) {
		struct json_object *count = json_object_array_get_idx(array, b);
		int64_t value = json_object_is_type(count, json_type_int) ? json_object_get_int64(count) : -1;
		good = value >= 0;
		histogram[b] = good ? (uint64_t)value : 0;
	}
	json_object_put(array);
	return good;
}

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
			.rtt_mean_ms = db_observations_number(rows, i, "rtt_mean_ms"),
			.rtt_std_ms = db_observations_number(rows, i, "rtt_std_ms"),
			.rtt_min_ms = db_observations_number(rows, i, "rtt_min_ms"),
			.rtt_max_ms = db_observations_number(rows, i, "rtt_max_ms"),
		};
		const char *period_start = db_column_text(rows, i, "period_start");
		if (period_start == NULL || minute.location == NULL || minute.operation == NULL || minute.replica == NULL) {
			status = DB_UNAVAILABLE;
			goto out;
		}
		read->rows++;
		if (!db_observations_histogram(db_column_text(rows, i, "histogram"), minute.histogram) ||
		    (minute.successes > 0 && db_column_text(rows, i, "rtt_mean_ms") == NULL) ||
		    observations_add(table, &minute) != 0)
			read->skipped++;
		snprintf(key->period_start, sizeof(key->period_start), "%s", period_start);
		snprintf(key->location, sizeof(key->location), "%s", minute.location);
		snprintf(key->operation, sizeof(key->operation), "%s", minute.operation);
		snprintf(key->replica, sizeof(key->replica), "%s", minute.replica);
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
