/*
 * retention.c: the timer's purges of rows past their retention (see retention.h), as one table of
 * rules {purge, how long kept, the purge it waits for}, run in order by a pass.
 *
 * A segment of replica statistics is deleted (its marks with it) only once no observation is left
 * that its last flush could have written: every period of a segment ends at or before its
 * flushed_at, so when the observations' purge has nothing left before the cutoff, a segment last
 * flushed before that same cutoff has no row left in replica_observations. Its marks are then
 * needed by nobody: if the segment were still alive (a host stopped longer than the retention
 * with its stats file kept), its next flush finds no row and no marks and writes everything it
 * counted as one period from the segment's making: older than the cutoff, so outside every window
 * and purged by the next pass, and never beside the periods it repeats, which are gone. A flush
 * racing the DELETE either moves flushed_at first (the segment is then kept) or finds its row gone
 * (its UPDATE matches nothing and it writes nothing, as a lost race does).
 *
 * A session is deleted once it can no longer be used: idle past [auth] session_idle_timeout, or
 * signed in longer ago than session_absolute_timeout, as store/db_accounts.c's db_session_find
 * judges it. That judge reads the primary's clock, so these two rules take their cutoffs from the
 * same clock (read once a pass, when the first of them comes): a host whose clock runs ahead would
 * otherwise end sessions that are still good, every session of the service at once if it were
 * ahead by the idle timeout.
 */
#include "retention.h"

#include <time.h>

#include "config.h"
#include "core/due.h"
#include "core/linktoken.h"
#include "log.h"
#include "runtime.h"
#include "store/db_retention.h"

#define RETENTION_NONE DB_RETENTION_PURGES

/* The clock a rule's cutoff is taken from. */
enum retention_clock {
	RETENTION_HOST,      /* this host's: it wrote the observations' periods */
	RETENTION_DATABASE,  /* the primary's: it judges sessions */
	RETENTION_CLOCKS
};

static long long retention_sent_messages(const struct config *config)
{
	return config->notify_retention_ms;
}

static long long retention_observations(const struct config *config)
{
	return config->observations_retention_ms;
}

static long long retention_tokens(const struct config *config)
{
	(void)config;
	return LINKTOKEN_KEPT_MS;
}

static long long retention_sessions_idle(const struct config *config)
{
	return config->session_idle_ms;
}

static long long retention_sessions_signed_in(const struct config *config)
{
	return config->session_absolute_ms;
}

/* In order: a rule that waits for another comes after it. */
static const struct {
	enum db_retention_purge purge;
	long long (*kept_ms)(const struct config *config);
	enum db_retention_purge waits_for;   /* runs only once that one has nothing left (RETENTION_NONE) */
	enum retention_clock clock;
} retention_rules[] = {
	{DB_RETENTION_SENT_MESSAGES, retention_sent_messages, RETENTION_NONE, RETENTION_HOST},
	{DB_RETENTION_OBSERVATIONS, retention_observations, RETENTION_NONE, RETENTION_HOST},
	{DB_RETENTION_SEGMENTS, retention_observations, DB_RETENTION_OBSERVATIONS, RETENTION_HOST},
	{DB_RETENTION_TOKENS_EXPIRED, retention_tokens, RETENTION_NONE, RETENTION_HOST},
	{DB_RETENTION_TOKENS_USED, retention_tokens, RETENTION_NONE, RETENTION_HOST},
	{DB_RETENTION_SESSIONS_IDLE, retention_sessions_idle, RETENTION_NONE, RETENTION_DATABASE},
	{DB_RETENTION_SESSIONS_SIGNED_IN, retention_sessions_signed_in, RETENTION_NONE, RETENTION_DATABASE},
};

bool retention_pass(struct db *db, const struct config *config, struct arena *arena)
{
	bool caught_up[DB_RETENTION_PURGES] = {false};
	bool more = false;
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	long long now_ms[RETENTION_CLOCKS] = {(long long)now.tv_sec * 1000 + now.tv_nsec / 1000000, 0};
	bool clock_read[RETENTION_CLOCKS] = {true, false};
	for (size_t r = 0; r < sizeof(retention_rules) / sizeof(retention_rules[0]) && !runtime_stop_requested(); r++) {
		enum db_retention_purge purge = retention_rules[r].purge, waits_for = retention_rules[r].waits_for;
		enum retention_clock clock = retention_rules[r].clock;
		enum db_status status = DB_OK;
		if (waits_for != RETENTION_NONE && !caught_up[waits_for])
			continue;
		if (!clock_read[clock]) {
			status = db_retention_database_now(db, arena, &now_ms[clock]);
			clock_read[clock] = status == DB_OK;
		}
		long long cutoff_ms = now_ms[clock] - retention_rules[r].kept_ms(config);
		char before[32];
		due_utc_text((time_t)(cutoff_ms / 1000), (int)(cutoff_ms % 1000), before, sizeof(before));
		uint64_t total = 0, deleted = db_retention_batch(purge);
		for (unsigned s = 0; s < RETENTION_STATEMENTS && deleted >= db_retention_batch(purge) && status == DB_OK; s++) {
			status = db_retention_delete(db, purge, before, &deleted);
			total += status == DB_OK ? deleted : 0;
		}
		bool full = status == DB_OK && deleted >= db_retention_batch(purge);
		caught_up[purge] = status == DB_OK && !full;
		more = more || full;
		if (total > 0)
			log_info("timer: retention: %llu %s from before %s UTC deleted%s", (unsigned long long)total,
			         db_retention_what(purge), before, full ? "; more left, again in a second" : "");
		if (status != DB_OK) {
			/* The database is out of reach (or not migrated yet): the rest would fail alike. */
			log_warn("timer: retention: %s not purged (%s): again at the next pass", db_retention_what(purge),
			         db_strerror(status));
			return false;
		}
	}
	return more;
}
