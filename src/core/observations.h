/*
 * observations.h: the arithmetic of replica_observations, without I/O. Both ways of one sum:
 * - the flush (store/observations.c): a period is what a host's stats segment counts now minus
 *   what its timer flushed last (the mark). Counts and histogram buckets subtract; the mean and M2
 *   of the period's successes come from the two cumulative means and M2s (Chan et al.'s merge,
 *   solved for the second part); its min and max are exact when the cumulative ones moved, else
 *   bounded by the period's histogram.
 * - the tables (the replica page, complaintctl replicas): the stored periods of a window (one per
 *   (location, operation, replica) and minute: All, Fail by cause, the RTT's mean, sample
 *   deviation, min and max over the successes, 32 log2 buckets of microseconds) merged by the same
 *   formula, per (location, operation, replica) and per (operation, replica) over every location,
 *   into the WS-DREAM paper's Table 1 columns (All, Fail, R%, RTT avg/std/min/max) plus p50 and
 *   p99 from the merged histogram; and the page's windows.
 */
#ifndef CORE_OBSERVATIONS_H
#define CORE_OBSERVATIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OBSERVATIONS_BUCKETS 32          /* bucket b counts RTTs in [2^b, 2^(b+1)) microseconds, as librepl's
                                            REPL_STATS_BUCKETS; bucket 0 also holds 0, the last is open above */
#define OBSERVATIONS_LOCATION_SIZE 64    /* replica_observations.location VARCHAR(63) and its NUL */
#define OBSERVATIONS_NAME_SIZE 33        /* operation, replica: VARCHAR(32) */
#define OBSERVATIONS_TALLIES_MAX 1024    /* (location, operation, replica) triples of one table */

/* The causes of a failed attempt, in the columns' order (replica_observations.fail_*). */
enum observations_cause {
	OBSERVATIONS_TIMEOUT = 0,
	OBSERVATIONS_CONNECT,
	OBSERVATIONS_PROTOCOL,
	OBSERVATIONS_OTHER,
	OBSERVATIONS_CAUSES
};

/* Each cause's column title ("timeout", "connect", "5xx/proto", "other") and JSON key. */
extern const char *const observations_cause_titles[OBSERVATIONS_CAUSES];
extern const char *const observations_cause_keys[OBSERVATIONS_CAUSES];

/* ---- the flush: a period from two cumulative totals ---- */

/* Cumulative totals of one (operation, replica) since its segment was made. */
struct observations_totals {
	uint64_t successes;
	uint64_t fail[OBSERVATIONS_CAUSES];
	double mean_ms;              /* over successes */
	double m2_ms2;               /* sum of squared deviations from the mean, ms^2 */
	uint64_t min_us, max_us;     /* over successes; meaningful when successes > 0 */
	uint64_t histogram[OBSERVATIONS_BUCKETS];
};

/* One period: the paper's Table 1 columns over the attempts between two totals. */
struct observations_period {
	uint64_t attempts;           /* successes + every failure */
	uint64_t successes;
	uint64_t fail[OBSERVATIONS_CAUSES];
	/* When successes > 0: */
	double mean_ms;
	double std_ms;               /* the sample deviation, sqrt(M2 / (n - 1)); 0 for one success */
	double min_ms, max_ms;
	bool min_exact, max_exact;   /* false: a bound from the histogram (min never above, max never below) */
	uint64_t histogram[OBSERVATIONS_BUCKETS];
};

enum observations_status {
	OBSERVATIONS_OK = 0,
	OBSERVATIONS_EMPTY,          /* nothing was counted in between: no period to write */
	OBSERVATIONS_BACKWARDS,      /* a count went down: not the same segment's totals; nothing to write */
};

/* Every attempt of t: its successes and failures (librepl's `all` is their sum, except in a cell
 * whose writer died mid-record: this keeps replica_observations' CHECK true). */
uint64_t observations_attempts(const struct observations_totals *t);

/* The period from mark (all zeros for a segment never flushed) to now. */
enum observations_status observations_period_between(const struct observations_totals *mark,
                                                     const struct observations_totals *now,
                                                     struct observations_period *period);

/* The M2 of n successes whose sample deviation is std_ms (librepl's rows and the stored periods
 * give the deviation). */
double observations_m2_from_std(uint64_t n, double std_ms);

/* ---- the tables: periods merged over a window ---- */

/* One stored minute of one (location, operation, replica). The RTT fields are read only when
 * successes > 0. */
struct observations_minute {
	const char *location, *operation, *replica;
	uint64_t attempts, successes;
	uint64_t fail[OBSERVATIONS_CAUSES];
	double rtt_mean_ms, rtt_std_ms, rtt_min_ms, rtt_max_ms;
	uint64_t histogram[OBSERVATIONS_BUCKETS];
};

/* The merge of minutes: every location when location is "". */
struct observations_tally {
	char location[OBSERVATIONS_LOCATION_SIZE];
	char operation[OBSERVATIONS_NAME_SIZE];
	char replica[OBSERVATIONS_NAME_SIZE];
	uint64_t attempts, successes;
	uint64_t fail[OBSERVATIONS_CAUSES];
	double mean_ms, m2;                  /* m2: sum of squared deviations, ms^2 (Chan et al.) */
	double min_ms, max_ms;
	uint64_t histogram[OBSERVATIONS_BUCKETS];
};

/* The tallies of one window; a fixed index over caller-given space, nothing allocated. */
struct observations_table {
	struct observations_tally *tallies;
	size_t count, max;
	bool full;                           /* a triple found no room: the table says so */
	uint32_t index[2 * OBSERVATIONS_TALLIES_MAX]; /* open addressing: tally number + 1, 0 = free */
};

/* What a table shows of one tally. The RTT figures are meaningful when has_rtt. */
struct observations_figures {
	uint64_t all, fail;
	uint64_t fail_by[OBSERVATIONS_CAUSES];
	bool has_all;                        /* R% only with attempts */
	double r_percent;                    /* failures per 100 attempts: the paper's R% */
	bool has_rtt;
	double avg_ms, std_ms, min_ms, max_ms, p50_ms, p99_ms;
};

/* space holds max tallies (at most OBSERVATIONS_TALLIES_MAX). */
void observations_table_init(struct observations_table *table, struct observations_tally *space, size_t max);
/* Merges one minute into its (location, operation, replica) tally and its (every location,
 * operation, replica) one. -1 when a name is empty or too long, or the table is full (then
 * table->full). */
int observations_add(struct observations_table *table, const struct observations_minute *minute);
/* Orders the tallies by operation, then location (every location last), then replica. */
void observations_sort(struct observations_table *table);
void observations_figures(const struct observations_tally *tally, struct observations_figures *out);
/* The p-th percentile (0 < p < 100) in ms of a histogram: the upper edge of the bucket holding the
 * nearest rank, as librepl's repl_stats_percentile; NAN when it is empty. */
double observations_percentile(const uint64_t histogram[OBSERVATIONS_BUCKETS], double p);

/* The windows the replica page offers: "1h", "1d", "7d". */
struct observations_window {
	const char *name, *words;
	long seconds;
};
extern const struct observations_window observations_windows[];
extern const size_t observations_window_count;
/* The window called name, or NULL. */
const struct observations_window *observations_window_find(const char *name);
/* The longest window's seconds: [ops] observations_retention may not be shorter (that window
 * would then miss its oldest minutes). */
long observations_window_longest(void);

#endif
