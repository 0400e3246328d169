/*
 * db_observations.h: replica_observations' statements. The writes: the replica statistics' flush (store/observations.c):
 * reading a segment's marks (what its last flush wrote), and one flush as one transaction —
 * the segment's flush count moved on from the value read, then, only if that matched, each
 * period's replica_observations row and each row's new mark. Over db.c's core.
 */
#ifndef DB_OBSERVATIONS_H
#define DB_OBSERVATIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/observations.h"
#include "repl.h"
#include "store/db.h"

struct arena;

#define DB_OBSERVATIONS_TIME_SIZE 24   /* "YYYY-MM-DD HH:MM:SS.mmm" */

/* A segment's row in replica_segments, as the flush read it. */
struct db_observations_segment {
	bool found;
	int64_t flushes;                               /* 0 when not found */
	char flushed_at[DB_OBSERVATIONS_TIME_SIZE];    /* UTC; "" when not found */
};

/* One (operation, replica)'s mark: the totals its last flush wrote. */
struct db_observations_mark {
	char operation[REPL_NAME_MAX + 1];
	char replica[REPL_NAME_MAX + 1];
	struct observations_totals totals;
};

/* Reads the segment's row and its marks on the primary; *marks lives in arena. */
enum db_status db_observations_marks(struct db *db, struct arena *arena, const char *location, const char *segment,
                                     struct db_observations_segment *found, struct db_observations_mark **marks,
                                     size_t *count);

/* One row of a flush: its new mark, and the period to write (when has_period). */
struct db_observations_row {
	const char *operation;
	const char *replica;
	struct observations_totals totals;
	bool has_period;
	struct observations_period period;
};

struct db_observations_flush {
	const char *location;
	const char *segment;
	const char *created_at;      /* the segment's making, UTC: its first period's start */
	const char *period_start;    /* the segment's flushed_at as read (created_at before the first) */
	const char *period_end;
	int64_t flushes_read;        /* the segment's flush count as read (0 before the first) */
	const struct db_observations_row *rows;
	size_t count;
};

/* Writes the flush as one transaction. DB_OK also when another flush moved the count first: then
 * nothing was written, and the next flush starts from that one's marks. */
enum db_status db_observations_write(struct db *db, struct arena *arena, const struct db_observations_flush *flush);

/* The reads: the replica tables' rows, every minute of a window read in keyset chunks and
 * merged, chunk by chunk, into a core/observations.c table, so that a week of minutes costs the
 * reader one chunk's memory. */
struct observations_table;

#define DB_OBSERVATIONS_CHUNK 2000          /* minutes a statement reads */
#define DB_OBSERVATIONS_ROWS_MAX 500000     /* minutes a window reads at most (a week of ~50 series) */

/* What a window's read saw besides its tallies. */
struct db_observations_read {
	size_t rows;                        /* minutes read */
	size_t skipped;                     /* minutes left out: a bad histogram, or no room in the table */
	bool cut;                           /* stopped at DB_OBSERVATIONS_ROWS_MAX: later minutes unread */
};

/* Merges into table every minute whose period_start is at or after since_utc ("YYYY-MM-DD
 * HH:MM:SS.mmm"), of location only unless it is NULL (db.read, after wait_gtid when given). */
enum db_status db_observations_tally(struct db *db, const char *wait_gtid, const char *since_utc,
                                     const char *location, struct observations_table *table,
                                     struct db_observations_read *read);

#endif
