/*
 * db_throttle.h: the failed sign-ins that core/throttle.c judges, in the signin_failures table:
 * read before a sign-in is verified, counted after it fails, cleared for the pair after it
 * succeeds (statements in db_throttle.c). Always on the primary, so every worker of every host
 * counts the same failures; times are the database's clock.
 */
#ifndef DB_THROTTLE_H
#define DB_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

#include "repl.h"

#include "core/throttle.h"
#include "store/db.h"

struct arena;

/* The counts of the three scopes and the database's time, in milliseconds since the epoch. */
enum db_status db_throttle_read(struct db *db, struct arena *arena, const struct throttle_subjects *subjects,
                                struct throttle_count counts[THROTTLE_SCOPES], int64_t *now_ms);
/* One more failure in each scope (a count whose last failure is older than window_ms restarts at
 * one); rows idle for longer than forget_ms are deleted on the way. */
enum db_status db_throttle_fail(struct db *db, const struct throttle_subjects *subjects, int64_t window_ms,
                                int64_t forget_ms);
/* The same count as statements for a caller's own transaction (a request that sends a mail counts
 * itself in the transaction that queues the mail); room keeps their parameters alive. Returns
 * how many statements it wrote to out (DB_THROTTLE_COUNT_STATEMENTS). */
#define DB_THROTTLE_COUNT_STATEMENTS 2
struct db_throttle_room {
	struct repl_sql_param counted[4];
	struct repl_sql_param forget[1];
};
size_t db_throttle_count(struct db_throttle_room *room, const struct throttle_subjects *subjects, int64_t window_ms,
                         int64_t forget_ms, struct repl_sql_statement *out);
/* A successful sign-in forgets its pair's failures. */
enum db_status db_throttle_clear_pair(struct db *db, const struct throttle_subjects *subjects);

#endif
