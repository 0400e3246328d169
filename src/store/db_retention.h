/*
 * db_retention.h: the DELETEs that purge rows past their retention, one per kind of row, each of
 * at most a batch of rows taken oldest first along an index, and the database's clock for the
 * purges judged by it (statements in db_retention.c; the rules of how long each is kept, and the
 * passes that run them, in store/retention.c).
 */
#ifndef DB_RETENTION_H
#define DB_RETENTION_H

#include <stdint.h>

#include "store/db.h"

struct arena;

enum db_retention_purge {
	DB_RETENTION_SENT_MESSAGES,      /* notifications sent before the cutoff */
	DB_RETENTION_OBSERVATIONS,       /* replica_observations whose period started before it */
	DB_RETENTION_SEGMENTS,           /* replica_segments (their marks cascade) last flushed before it */
	DB_RETENTION_TOKENS_EXPIRED,     /* tokens that expired before it */
	DB_RETENTION_TOKENS_USED,        /* tokens used before it */
	DB_RETENTION_SESSIONS_IDLE,      /* sessions last seen before it */
	DB_RETENTION_SESSIONS_SIGNED_IN, /* sessions signed in before it */
	DB_RETENTION_PURGES
};

/* What the purge deletes, for the log ("replica observations"). */
const char *db_retention_what(enum db_retention_purge purge);
/* The purge's DELETE (parameters: the cutoff, the batch) and, in *index, the index it goes by:
 * for the test that EXPLAINs it (test/retention_sql.c). */
const char *db_retention_sql(enum db_retention_purge purge, const char **index);
/* The most rows one statement of the purge deletes. */
unsigned db_retention_batch(enum db_retention_purge purge);
/* Deletes at most a batch of the purge's rows older than before ("YYYY-MM-DD HH:MM:SS.mmm", UTC)
 * in one statement on the primary; *deleted is how many. */
enum db_status db_retention_delete(struct db *db, enum db_retention_purge purge, const char *before,
                                   uint64_t *deleted);
/* The primary's clock now (UTC_TIMESTAMP(3)), in ms since 1970: the clock that judges a session
 * (db_accounts.c's db_session_find), so a purge of sessions never takes one it would still let in. */
enum db_status db_retention_database_now(struct db *db, struct arena *arena, long long *now_ms);

#endif
