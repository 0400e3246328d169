/*
 * repair.c: the photo-repair child of the master (see repair.h).
 *
 * One child per master, so two never copy the same row at once; a row copied twice (a child
 * killed between the copy and the delete) is the same bytes under the same key again. Between
 * its passes over the queue the child copies the existing photos to a replica added to the set
 * (store/backfill.c). Both wait for the database schema first (store/schema.h).
 */
#include "repair.h"

#include "app.h"
#include "arena.h"
#include "limits.h"
#include "log.h"
#include "runtime.h"
#include "store/backfill.h"
#include "store/db_repairs.h"
#include "store/schema.h"
#include "store/storage.h"

#define REPAIR_BATCH 20
#define REPAIR_BACKOFF_MAX_SECONDS 3600
#define REPAIR_ARENA_BYTES (LIMIT_UPLOAD_HARD_MAX + (1L << 20))

static long repair_backoff_seconds(unsigned attempts)
{
	return attempts >= 12 ? REPAIR_BACKOFF_MAX_SECONDS : (1L << attempts);
}

/* One pass over the due rows (their strings are their own: the arena is reset after each copy);
 * the number repaired. */
static unsigned repair_pass(struct app *app, struct arena *arena)
{
	struct db_photo_repair due[REPAIR_BATCH];
	size_t count = 0;
	unsigned repaired = 0;
	if (db_photo_repairs_due(app->db, arena, due, REPAIR_BATCH, &count) != DB_OK)
		return 0;
	for (size_t i = 0; i < count && !runtime_stop_requested(); i++) {
		enum storage_status status = storage_copy_to(app->storage, arena, due[i].image_key, due[i].replica);
		if (status == STORAGE_OK) {
			if (db_photo_repair_done(app->db, &due[i]) == DB_OK)
				repaired++;
			log_info("s3.repair: photo %.12s... copied to %s", due[i].image_key, due[i].replica);
		} else if (status == STORAGE_NO_REPLICA || status == STORAGE_NOT_FOUND) {
			/* Nothing to copy to, or from: trying again cannot help. */
			db_photo_repair_done(app->db, &due[i]);
			log_error("s3.repair: photo %.12s... dropped for %s: %s", due[i].image_key, due[i].replica,
			          status == STORAGE_NO_REPLICA ? "no such replica in [s3] replicas"
			                                       : "no replica has the photo any more");
		} else {
			long retry = repair_backoff_seconds(due[i].attempts);
			db_photo_repair_later(app->db, &due[i], retry);
			log_warn("s3.repair: photo %.12s... not copied to %s (attempt %u): again in %ld s", due[i].image_key,
			         due[i].replica, due[i].attempts + 1, retry);
		}
		arena_reset(arena);
	}
	return repaired;
}

int repair_main(void *context)
{
	struct app *app = context;
	if (!db_configured(app->db) || !storage_configured(app->storage)) {
		log_info("s3.repair: no database or no S3 set configured: nothing to repair");
		while (!runtime_stop_requested())
			runtime_pause(60 * 1000);
		return 0;
	}
	struct arena *arena = arena_create(REPAIR_ARENA_BYTES);
	if (arena == NULL)
		return 1;
	struct schema_guard schema = {"photo-repair", false};
	while (schema_wait(&schema, app->db, arena)) {
		long long until_ms = backfill_now_ms() + app->config.s3_repair_interval_ms;
		repair_pass(app, arena);
		arena_reset(arena);
		if (!schema_wait(&schema, app->db, arena))
			break;
		backfill_round(app, arena, until_ms);
		arena_reset(arena);
		long long left_ms = until_ms - backfill_now_ms();
		if (left_ms > 0)
			runtime_pause(left_ms);
	}
	/* A lease is only held once the schema was there to hold it in. */
	if (schema.ready)
		backfill_stop(app);
	arena_destroy(arena);
	return 0;
}
