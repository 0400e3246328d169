/*
 * replicas_report.h: complaintctl replicas: the replica page's tables and the S3 backfills'
 * progress in a terminal, or as JSON for scripts (see replicas_report.c).
 */
#ifndef REPLICAS_REPORT_H
#define REPLICAS_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "store/db.h"

struct db_backfill;
struct db_observations_read;
struct observations_table;

/* "--since": a duration back from now, written as every duration (repl_duration_parse: "90m",
 * "1h", "7d", "2w"), with a unit and in whole seconds; or a UTC time "YYYY-MM-DD", "YYYY-MM-DD
 * HH:MM" or "YYYY-MM-DDTHH:MM:SS" (a trailing Z allowed), not after now. NULL when good and *since
 * set, else the sentence saying what is wrong. */
const char *replicas_report_since(const char *text, time_t now, time_t *since);
/* Reads the window since since_utc (of location only unless NULL) and prints it to out: a table
 * per operation, or one JSON object. A database failure is returned, nothing printed. */
enum db_status replicas_report(struct db *db, const char *since_utc, const char *location, bool json, FILE *out);
/* Prints a window's sorted table (as db_observations_tally read it) and the backfills to out:
 * the text tables, or one JSON object. -1 when the JSON could not be made (nothing printed). */
int replicas_report_print(const struct observations_table *table, const struct db_observations_read *read,
                          const char *since_utc, const char *location, const struct db_backfill *backfills,
                          size_t backfill_count, bool json, FILE *out);
/* The S3 backfills' rows as a table (one line a replica: copying N of M, or done). */
void replicas_report_backfills_text(const struct db_backfill *rows, size_t count, FILE *out);

#endif
