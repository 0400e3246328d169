/*
 * replicas_report.h: complaintctl replicas: the replica page's tables in a terminal, or as JSON
 * for scripts (see replicas_report.c).
 */
#ifndef REPLICAS_REPORT_H
#define REPLICAS_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "store/db.h"

struct observations_table;

/* Reads the window since since_utc (of location only unless NULL) and prints it to out: a table
 * per operation, or one JSON object. A database failure is returned, nothing printed. */
enum db_status replicas_report(struct db *db, const char *since_utc, const char *location, bool json, FILE *out);

#endif
