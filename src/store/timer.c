/*
 * timer.c: the timer child of the master (see timer.h). Each closing is a row of the status
 * machine's table, made by db_complaint_move like every other change: the complaint's version
 * read with it, so a resident who answers at the same moment wins or loses cleanly (the loser
 * changes nothing). One child per master; two masters' timers closing the same complaint
 * collide on the version the same way.
 */
#include "timer.h"

#include "app.h"
#include "arena.h"
#include "core/workflow.h"
#include "log.h"
#include "runtime.h"
#include "store/db_complaints.h"

#define TIMER_BATCH 50
#define TIMER_ARENA_BYTES (1L << 20)
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

int timer_main(void *context)
{
	struct app *app = context;
	/* A tenth of the period, within [1 s, 60 s]: a closing comes at most that late. */
	long long interval = app->config.feedback_period_ms / 10;
	interval = interval < TIMER_INTERVAL_MIN_MS ? TIMER_INTERVAL_MIN_MS
	           : interval > TIMER_INTERVAL_MAX_MS ? TIMER_INTERVAL_MAX_MS : interval;
	if (!db_configured(app->db)) {
		log_info("timer: no database configured: nothing to close");
		while (!runtime_stop_requested())
			runtime_pause(60 * 1000);
		return 0;
	}
	struct arena *arena = arena_create(TIMER_ARENA_BYTES);
	if (arena == NULL)
		return 1;
	while (!runtime_stop_requested()) {
		timer_close_unanswered(app, arena);
		arena_reset(arena);
		runtime_pause(interval);
	}
	arena_destroy(arena);
	return 0;
}
