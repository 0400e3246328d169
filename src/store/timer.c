/*
 * timer.c: the timer child of the master (see timer.h), two clocks in one loop. Each closing is a
 * row of the status machine's table, made by db_complaint_move like every other change: the
 * complaint's version read with it, so a resident who answers at the same moment wins or loses
 * cleanly (the loser changes nothing). One child per master; two masters' timers closing the
 * same complaint collide on the version the same way. Each [ops] stats_flush_interval, and once
 * more when asked to stop, it flushes the host's replica statistics (store/observations.c); a
 * flush that fails leaves the counts in the segment for the next. At its start and each minute
 * it deletes what is past its retention (store/retention.c), a few batches at a time: a second
 * later while rows are left, so a timer back after weeks catches up without a long lock. Each of
 * the three first waits for the database schema (store/schema.h).
 */
#include "timer.h"

#include "app.h"
#include "arena.h"
#include "core/workflow.h"
#include "log.h"
#include "runtime.h"
#include "store/db_complaints.h"
#include "store/observations.h"
#include "store/retention.h"
#include "store/schema.h"

#include <time.h>

#define TIMER_BATCH 50
#define TIMER_ARENA_BYTES (8L << 20)  /* a flush of all 256 stats rows fits */
#define TIMER_INTERVAL_MIN_MS 1000LL
#define TIMER_INTERVAL_MAX_MS 60000LL

/* Closes the resolved complaints due; the number closed. */
static unsigned timer_close_unanswered(struct app *app, struct arena *arena)
{
	struct db_feedback_due due[TIMER_BATCH];
	size_t count = 0;
	unsigned closed = 0;
	const struct workflow_transition *row = NULL;
	if (workflow_judge(WORKFLOW_RESOLVED, WORKFLOW_AUTO_CLOSE, WORKFLOW_SYSTEM, false, true, &row) != WORKFLOW_ALLOWED)
		return 0;
	if (db_complaints_feedback_due(app->db, arena, app->config.feedback_period_ms, due, TIMER_BATCH, &count) != DB_OK)
		return 0;
	for (size_t i = 0; i < count && !runtime_stop_requested(); i++) {
		struct db_move move = {.row = row, .complaint_id = due[i].id, .version = due[i].version};
		bool moved = false;
		if (db_complaint_move(app->db, NULL, &move, &moved) == DB_OK && moved) {
			closed++;
			log_info("timer: complaint %lld closed: resolved, no feedback within the period", (long long)due[i].id);
		}
	}
	return closed;
}

static long long timer_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void timer_flush(struct app *app, struct arena *arena)
{
	size_t periods = 0;
	enum db_status status = observations_flush(app->db, app->repl_stats, app->config.location, arena, &periods);
	if (status != DB_OK)
		log_warn("timer: replica statistics not flushed (%s): kept for the next flush", db_strerror(status));
	else if (periods > 0)
		log_debug("timer: replica statistics flushed: %zu rows", periods);
}

int timer_main(void *context)
{
	struct app *app = context;
	/* A tenth of the period, within [1 s, 60 s]: a closing comes at most that late. */
	long long interval = app->config.feedback_period_ms / 10;
	interval = interval < TIMER_INTERVAL_MIN_MS ? TIMER_INTERVAL_MIN_MS
	           : interval > TIMER_INTERVAL_MAX_MS ? TIMER_INTERVAL_MAX_MS : interval;
	long long flush_interval = app->config.stats_flush_interval_ms;
	bool flushing = app->repl_stats != NULL;
	if (!db_configured(app->db)) {
		log_info("timer: no database configured: nothing to close, no statistics to flush");
		while (!runtime_stop_requested())
			runtime_pause(60 * 1000);
		return 0;
	}
	struct arena *arena = arena_create(TIMER_ARENA_BYTES);
	if (arena == NULL)
		return 1;
	struct schema_guard schema = {"timer", false};
	long long next_close = timer_now_ms(), next_flush = next_close + flush_interval, next_purge = next_close;
	while (!runtime_stop_requested()) {
		long long now = timer_now_ms();
		/* Each of the three waits for the schema, so a gap one meets holds the next back. */
		if (now >= next_close && schema_wait(&schema, app->db, arena)) {
			timer_close_unanswered(app, arena);
			arena_reset(arena);
			next_close = timer_now_ms() + interval;
		}
		if (flushing && now >= next_flush && schema_wait(&schema, app->db, arena)) {
			timer_flush(app, arena);
			arena_reset(arena);
			next_flush = timer_now_ms() + flush_interval;
		}
		if (now >= next_purge && schema_wait(&schema, app->db, arena)) {
			bool more = retention_pass(app->db, &app->config, arena);
			arena_reset(arena);
			next_purge = timer_now_ms() + (more ? RETENTION_AGAIN_MS : RETENTION_EVERY_MS);
		}
		long long next = flushing && next_flush < next_close ? next_flush : next_close;
		next = next_purge < next ? next_purge : next;
		now = timer_now_ms();
		if (next > now)
			runtime_pause(next - now);
	}
	/* What the host counted since the last flush, while the workers drain; what they count after
	 * it stays in the segment for the next start. */
	if (flushing && schema.ready)
		timer_flush(app, arena);
	arena_destroy(arena);
	return 0;
}
