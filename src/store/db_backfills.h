/*
 * db_backfills.h: the copies of the existing photos to S3 replicas added to the set (the
 * s3_backfills table, migration 0019): what the repair child's backfill (store/backfill.c) reads
 * and moves, and the progress operators read (complaintctl backfills). Statements in
 * db_backfills.c.
 */
#ifndef DB_BACKFILLS_H
#define DB_BACKFILLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

struct arena;

/* One replica's row. */
struct db_backfill {
	char replica[33];
	bool done;
	uint64_t complaints_after, complaints_until, updates_after, updates_until;
	unsigned copied, total;
	/* For operators (UTC, "YYYY-MM-DD HH:MM:SS"; "" when NULL). */
	char started_at[20], updated_at[20], finished_at[20], holder[64];
};

/* A photo to copy and where the cursor stands once it is copied. */
struct db_backfill_photo {
	char image_key[65];
	uint64_t complaints_after, updates_after;
};

/* Brings the table in line with the set's replicas (names, count): rows and queued repairs of
 * replicas no longer in it deleted; a row 'copying' for each replica without one, listing the
 * photos filed so far; the very first time (no row at all), every replica counts as whole. */
enum db_status db_backfills_sync(struct db *db, const char *const names[], size_t count);
/* Claims the first replica still copying whose lease is free, expired or holder's own, for
 * lease_seconds; DB_NOT_FOUND when there is none. */
enum db_status db_backfill_claim(struct db *db, struct arena *arena, const char *holder, long lease_seconds,
                                 struct db_backfill *out);
/* The next photos of backfill after its cursor (complaints first, then updates), at most max. */
enum db_status db_backfill_next(struct db *db, struct arena *arena, const struct db_backfill *backfill,
                                struct db_backfill_photo *out, size_t max, size_t *count);
/* One photo copied: the cursor moves to it and the lease is renewed, only if the row is still at
 * the cursor backfill read and held by holder (*moved false otherwise: someone else moved it). */
enum db_status db_backfill_advance(struct db *db, struct db_backfill *backfill, const struct db_backfill_photo *photo,
                                   const char *holder, long lease_seconds, bool *moved);
/* Nothing left to copy: the row is done. */
enum db_status db_backfill_finish(struct db *db, const struct db_backfill *backfill, const char *holder);
/* The child stops: the lease is let go, so the next child (a restart) goes on at once. */
enum db_status db_backfill_release(struct db *db, const char *holder);
/* Every row, by replica (at most max), for complaintctl backfills and the replica pages. */
enum db_status db_backfills_list(struct db *db, struct arena *arena, struct db_backfill *out, size_t max,
                                 size_t *count);

#endif
