/*
 * backfill.c: copying the existing photos to an S3 replica added to the set (see backfill.h).
 *
 * The photos are the complaints' and the updates' that existed when the replica was first seen,
 * in id order: a cursor, not a queue of one row per photo (a city's photos would make as many
 * rows). Each copy moves the cursor in its own transaction, so a child killed between a copy and
 * the move copies that one photo again after the restart (the same bytes under the same key).
 * Several hosts take turns through a lease held by their location.
 */
#include "backfill.h"

#include <time.h>

#include "app.h"
#include "arena.h"
#include "log.h"
#include "repl.h"
#include "runtime.h"
#include "store/db_backfills.h"
#include "store/storage.h"

#define BACKFILL_BATCH 20
#define BACKFILL_LEASE_SECONDS 30

/* When the child's next copy may start: kept across rounds, so that a round starting right after
 * the last one's copy does not copy sooner than the rate allows. */
static long long backfill_next_ms;

long long backfill_now_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void backfill_sleep_until(long long at_ms)
{
	long long now = backfill_now_ms();
	if (at_ms > now)
		runtime_pause(at_ms - now);
}

/* Copies one photo; false when the round should end (a copy failed, or the cursor is not ours). */
static bool backfill_copy(struct app *app, struct arena *arena, struct db_backfill *backfill,
                          const struct db_backfill_photo *photo)
{
	const char *holder = app->config.location;
	enum storage_status status = storage_copy_to(app->storage, arena, photo->image_key, backfill->replica);
	arena_reset(arena);
	if (status == STORAGE_NOT_FOUND)
		log_error("s3.backfill: photo %.12s... skipped for %s: no replica has it", photo->image_key, backfill->replica);
	else if (status != STORAGE_OK) {
		log_warn("s3.backfill: photo %.12s... not copied to %s (%s): again next round", photo->image_key,
		         backfill->replica, status == STORAGE_NO_REPLICA ? "no longer in [s3] replicas" : "unavailable");
		return false;
	}
	bool moved = false;
	if (db_backfill_advance(app->db, backfill, photo, holder, BACKFILL_LEASE_SECONDS, &moved) != DB_OK || !moved)
		return false;
	if (status == STORAGE_OK)
		log_info("s3.backfill: photo %.12s... copied to %s (%u of %u)", photo->image_key, backfill->replica,
		         backfill->copied, backfill->total);
	return true;
}

void backfill_round(struct app *app, struct arena *arena, long long until_ms)
{
	const char *names[REPL_SET_REPLICAS_MAX];
	size_t count = storage_replica_names(app->storage, names, REPL_SET_REPLICAS_MAX);
	struct db_backfill backfill;
	struct db_backfill_photo photos[BACKFILL_BATCH];
	long long interval_ms = 1000 / app->config.s3_backfill_rate;
	if (db_backfills_sync(app->db, names, count) != DB_OK)
		return;
	if (db_backfill_claim(app->db, arena, app->config.location, BACKFILL_LEASE_SECONDS, &backfill) != DB_OK)
		return;
	arena_reset(arena);
	while (!runtime_stop_requested() && backfill_now_ms() < until_ms) {
		size_t found = 0;
		if (db_backfill_next(app->db, arena, &backfill, photos, BACKFILL_BATCH, &found) != DB_OK)
			return;
		arena_reset(arena);
		if (found == 0) {
			if (db_backfill_finish(app->db, &backfill, app->config.location) == DB_OK)
				log_info("s3.backfill: %s has every photo filed before it joined the set (%u copied)",
				         backfill.replica, backfill.copied);
			return;
		}
		for (size_t i = 0; i < found; i++) {
			/* The rate: one copy starts every interval_ms at most, never in a burst to catch up. */
			if (backfill_next_ms >= until_ms)
				return;
			backfill_sleep_until(backfill_next_ms);
			if (runtime_stop_requested())
				return;
			backfill_next_ms = backfill_now_ms() + interval_ms;
			if (!backfill_copy(app, arena, &backfill, &photos[i]))
				return;
		}
	}
}

void backfill_stop(struct app *app)
{
	db_backfill_release(app->db, app->config.location);
}
