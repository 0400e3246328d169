/*
 * observation.h: one period of replica statistics as the difference of two cumulative totals —
 * what a host's stats segment counts now minus what its timer flushed last (the mark). Counts
 * and histogram buckets subtract; the mean and M2 of the period's successes come from the two
 * cumulative means and M2s (Chan et al.'s merge, solved for the second part); the period's min
 * and max are exact when the cumulative ones moved, else bounded by the period's histogram.
 * Rules only: no I/O (store/observations.c reads the segment and writes the rows).
 */
#ifndef CORE_OBSERVATION_H
#define CORE_OBSERVATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OBSERVATION_BUCKETS 32   /* log2 buckets of microseconds, as librepl's REPL_STATS_BUCKETS */

/* The failure columns of replica_observations, in its order. */
enum observation_cause {
	OBSERVATION_TIMEOUT = 0,
	OBSERVATION_CONNECT,
	OBSERVATION_PROTOCOL,
	OBSERVATION_OTHER,
	OBSERVATION_CAUSES
};

/* Cumulative totals of one (operation, replica) since its segment was made. */
struct observation_totals {
	uint64_t successes;
	uint64_t fail[OBSERVATION_CAUSES];
	double mean_ms;              /* over successes */
	double m2_ms2;               /* sum of squared deviations from the mean, ms^2 */
	uint64_t min_us, max_us;     /* over successes; meaningful when successes > 0 */
	uint64_t histogram[OBSERVATION_BUCKETS];
};

/* One period: the paper's Table 1 columns over the attempts between two totals. */
struct observation_period {
	uint64_t attempts;           /* successes + every failure */
	uint64_t successes;
	uint64_t fail[OBSERVATION_CAUSES];
	/* When successes > 0: */
	double mean_ms;
	double std_ms;               /* the sample deviation, sqrt(M2 / (n - 1)); 0 for one success */
	double min_ms, max_ms;
	bool min_exact, max_exact;   /* false: a bound from the histogram (min never above, max never below) */
	uint64_t histogram[OBSERVATION_BUCKETS];
};

enum observation_status {
	OBSERVATION_OK = 0,
	OBSERVATION_EMPTY,           /* nothing was counted in between: no period to write */
	OBSERVATION_BACKWARDS,       /* a count went down: not the same segment's totals; nothing to write */
};

/* Every attempt of t: its successes and failures (librepl's `all` is their sum, except in a cell
 * whose writer died mid-record: this keeps replica_observations' CHECK true). */
uint64_t observation_attempts(const struct observation_totals *t);

/* The period from mark (all zeros for a segment never flushed) to now. */
enum observation_status observation_period_between(const struct observation_totals *mark,
                                                   const struct observation_totals *now,
                                                   struct observation_period *period);

/* The M2 of n successes whose sample deviation is std_ms (librepl's rows give the deviation). */
double observation_m2_from_std(uint64_t n, double std_ms);

#endif
