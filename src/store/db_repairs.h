/*
 * db_repairs.h: the photo-repair queue (photo_repairs), read and updated by the repair child:
 * copies a quorum put left undone (statements in db_repairs.c).
 */
#ifndef DB_REPAIRS_H
#define DB_REPAIRS_H

#include <stddef.h>

#include "store/db.h"

struct arena;

/* A queued copy; its strings are its own (the repair child resets its arena between copies). */
struct db_photo_repair {
	char image_key[65];
	char replica[33];
	unsigned attempts;
};

/* Repairs due now, oldest first (db.primary: the queue is the primary's). */
enum db_status db_photo_repairs_due(struct db *db, struct arena *arena, struct db_photo_repair *out, size_t max,
                                    size_t *count);
/* The copy was made: the row goes. */
enum db_status db_photo_repair_done(struct db *db, const struct db_photo_repair *repair);
/* The copy failed: try again after retry_seconds. */
enum db_status db_photo_repair_later(struct db *db, const struct db_photo_repair *repair, long retry_seconds);

#endif
