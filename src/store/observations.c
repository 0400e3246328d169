/*
 * observations.c: the flush of replica statistics (see observations.h). It reads the segment's
 * cumulative rows (every slot merged: a dead worker's counts included) and the marks of the last
 * flush, takes each row's period as their difference (core/observations.c), and writes periods and
 * new marks in one transaction gated on the segment's flush count (store/db_observations.c).
 * Every flush moves the segment's flushed_at on, even with nothing new, so a period is one
 * interval long unless the database was out of reach.
 */
#include "observations.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "core/due.h"
#include "core/observations.h"
#include "log.h"
#include "repl.h"
#include "store/db_observations.h"

/* librepl's causes in replica_observations' columns. */
static const struct {
	enum repl_cause cause;
	enum observations_cause column;
} observations_causes[] = {
	{REPL_CAUSE_TIMEOUT, OBSERVATIONS_TIMEOUT},
	{REPL_CAUSE_CONNECT, OBSERVATIONS_CONNECT},
	{REPL_CAUSE_PROTOCOL, OBSERVATIONS_PROTOCOL},
	{REPL_CAUSE_OTHER, OBSERVATIONS_OTHER},
};

static void observations_totals_of(const struct repl_stats_row *row, struct observations_totals *t)
{
	memset(t, 0, sizeof(*t));
	t->successes = row->successes;
	for (size_t i = 0; i < sizeof(observations_causes) / sizeof(observations_causes[0]); i++)
		t->fail[observations_causes[i].column] = row->fail[observations_causes[i].cause];
	if (row->successes > 0) {
		t->mean_ms = row->rtt_mean_ms;
		t->m2_ms2 = observations_m2_from_std(row->successes, row->rtt_std_ms);
		t->min_us = (uint64_t)llround(row->rtt_min_ms * 1000.0);
		t->max_us = (uint64_t)llround(row->rtt_max_ms * 1000.0);
	}
	_Static_assert(OBSERVATIONS_BUCKETS == REPL_STATS_BUCKETS, "one histogram layout");
	memcpy(t->histogram, row->histogram, sizeof(t->histogram));
}

static const struct observations_totals *observations_mark_of(const struct db_observations_mark *marks, size_t count,
                                                             const struct repl_stats_row *row)
{
	for (size_t i = 0; i < count; i++) {
		if (strcmp(marks[i].operation, row->operation) == 0 && strcmp(marks[i].replica, row->replica) == 0)
			return &marks[i].totals;
	}
	return NULL;
}

static void observations_time_text(int64_t ms, char *out, size_t size)
{
	due_utc_text((time_t)(ms / 1000), (int)(ms % 1000), out, size);
}

enum db_status observations_flush(struct db *db, struct repl_stats *stats, const char *location, struct arena *arena,
                                  size_t *periods)
{
	static const struct observations_totals zero;
	struct repl_stats_identity identity;
	struct db_observations_segment segment;
	struct db_observations_mark *marks = NULL;
	size_t mark_count = 0;
	char created_at[DB_OBSERVATIONS_TIME_SIZE], period_end[DB_OBSERVATIONS_TIME_SIZE];
	struct timespec now;

	*periods = 0;
	repl_stats_identity(stats, &identity);
	struct repl_stats_row *rows = arena_calloc(arena, REPL_STATS_ROWS_MAX, sizeof(*rows));
	struct db_observations_row *out = arena_calloc(arena, REPL_STATS_ROWS_MAX, sizeof(*out));
	if (rows == NULL || out == NULL)
		return DB_UNAVAILABLE;
	/* The segment, then the clock: every attempt of a period was counted before its end. */
	size_t row_count = repl_stats_read(stats, rows, REPL_STATS_ROWS_MAX);
	clock_gettime(CLOCK_REALTIME, &now);
	enum db_status status = db_observations_marks(db, arena, location, identity.id, &segment, &marks, &mark_count);
	if (status != DB_OK)
		return status;
	observations_time_text(identity.created_ms, created_at, sizeof(created_at));
	observations_time_text((int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000, period_end, sizeof(period_end));
	const char *period_start = segment.found ? segment.flushed_at : created_at;
	/* Same text format: a period must end after it starts (0001's CHECK), so a flush within the
	 * same millisecond, or behind a clock set back, waits for the next one. */
	if (strcmp(period_end, period_start) <= 0)
		return DB_OK;

	size_t count = 0;
	for (size_t r = 0; r < row_count; r++) {
		const struct observations_totals *mark = observations_mark_of(marks, mark_count, &rows[r]);
		struct db_observations_row *row = &out[count];
		observations_totals_of(&rows[r], &row->totals);
		enum observations_status judged = observations_period_between(mark != NULL ? mark : &zero, &row->totals,
		                                                            &row->period);
		if (judged == OBSERVATIONS_EMPTY)
			continue;
		if (judged == OBSERVATIONS_BACKWARDS)
			log_warn("replica statistics: %s on %s counts fewer than its last flush: taken as the new mark,"
			         " nothing written for this period", rows[r].operation, rows[r].replica);
		row->operation = rows[r].operation;
		row->replica = rows[r].replica;
		row->has_period = judged == OBSERVATIONS_OK;
		*periods += row->has_period ? 1 : 0;
		count++;
	}
	const struct db_observations_flush flush = {
		.location = location,
		.segment = identity.id,
		.created_at = created_at,
		.period_start = period_start,
		.period_end = period_end,
		.flushes_read = segment.flushes,
		.rows = out,
		.count = count,
	};
	return db_observations_write(db, arena, &flush);
}
