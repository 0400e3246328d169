/*
 * observations.h: the timer's flush of this host's replica statistics into replica_observations
 * — per (location, operation, replica), the attempts counted in librepl's stats segment since the
 * last flush, each counted once: a flush that cannot reach the database changes nothing, and the
 * next one writes the longer period; one whose commit answer was lost is found in the marks by
 * the next (DESIGN.md, "Replica observations").
 */
#ifndef OBSERVATIONS_H
#define OBSERVATIONS_H

#include <stddef.h>

#include "store/db.h"

struct arena;
struct repl_stats;

/* Flushes what stats counted since the last flush of its segment under location; *periods is
 * the number of (operation, replica) rows with new attempts. DB_OK when written (or when another
 * flush of the same segment got there first, or nothing is due yet). */
enum db_status observations_flush(struct db *db, struct repl_stats *stats, const char *location, struct arena *arena,
                                  size_t *periods);

#endif
