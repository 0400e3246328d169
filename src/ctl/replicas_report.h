/*
 * replicas_report.h: complaintctl replicas: the replica page's tables and the S3 backfills'
 * progress in a terminal, or as JSON for scripts (see replicas_report.c).
 */
#ifndef REPLICAS_REPORT_H
#define REPLICAS_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "store/db.h"

struct db_backfill;
struct observations_table;

/* Reads the window since since_utc (of location only unless NULL) and prints it to out: a table
 * per operation, or one JSON object. A database failure is returned, nothing printed. */
enum db_status replicas_report(struct db *db, const char *since_utc, const char *location, bool json, FILE *out);
/* The S3 backfills' rows as a table (one line a replica: copying N of M, or done). */
void replicas_report_backfills_text(const struct db_backfill *rows, size_t count, FILE *out);

#endif
