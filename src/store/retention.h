/*
 * retention.h: what the service keeps for a while and then deletes, and the timer's passes that
 * delete it (store/retention.c; the statements in store/db_retention.c). Sent messages are kept
 * [notify] retention after their sending; replica observations [ops] observations_retention after
 * their period's start, and a segment's row and marks as long as its last flush; link tokens a day
 * after they expired or were used (core/linktoken.h's LINKTOKEN_KEPT_MS); sessions until they can
 * no longer be used ([auth] session_idle_timeout after their last use, session_absolute_timeout
 * after their sign-in).
 */
#ifndef RETENTION_H
#define RETENTION_H

#include <stdbool.h>

#include "store/db.h"

struct arena;
struct config;

/* The timer's period between passes, and between passes while one left rows behind. */
#define RETENTION_EVERY_MS (60 * 1000LL)
#define RETENTION_AGAIN_MS 1000LL
/* The most statements (of a batch each) one purge runs in a pass. */
#define RETENTION_STATEMENTS 4

/* One pass: each purge's rows older than its cutoff (now less its retention, one reading of each
 * clock for the whole pass: the host's, and the primary's for sessions, read into arena, which the
 * caller resets), at most RETENTION_STATEMENTS statements of a batch each. Logs what it deleted with the
 * cutoff. True when some purge filled its last batch: more is left, for a pass soon
 * (RETENTION_AGAIN_MS) rather than at the next period. */
bool retention_pass(struct db *db, const struct config *config, struct arena *arena);

#endif
