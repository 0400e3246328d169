/*
 * db_observations.h: the replica tables' rows in the database (replica_observations, one per
 * (location, operation, replica) and minute, written by the timer child): every minute of a window
 * read in keyset chunks and merged, chunk by chunk, into a core/observations.c table, so that a
 * week of minutes costs the reader one chunk's memory. Nothing here writes. (Statements in
 * db_observations.c.)
 */
#ifndef DB_OBSERVATIONS_H
#define DB_OBSERVATIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "store/db.h"

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
