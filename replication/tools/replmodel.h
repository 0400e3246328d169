/*
 * replmodel.h: the closed-form expectation of a librepl policy tree under an injected fault model,
 * for replbench to check the real executor against. Given each replica's latency CDF, the chance
 * that one attempt on it hangs (fails at the attempt timeout) or fails fast (an error answer after
 * its latency), the per-attempt timeout and the chance that a whole case hangs (the correlated,
 * client-side fault), it computes the failure rate, the mean, standard deviation and 99th
 * percentile of the response time over successes, and the expected number of requests sent per
 * case. It works numerically on a time grid: every node of the tree yields a sub-distribution of
 * its success times and one of its failure times (masses summing to 1); par and quorum combine
 * their children's CDFs (order statistics), seq and retry convolve, hedge (two children) splits on
 * whether the first child ended before the hedge delay. Attempts of one case are independent
 * except for the correlated fault, which is exactly what replfault injects (faultmodel.h).
 * All times are in unscaled milliseconds.
 */
#ifndef REPLMODEL_H
#define REPLMODEL_H

#include "repl.h"

#define REPLMODEL_GRID_MAX (1u << 21)   /* cells of the time grid */
#define REPLMODEL_NODES_MAX 256          /* distinct nodes of one tree */

enum replmodel_status {
	REPLMODEL_OK = 0,
	REPLMODEL_BAD_ARGUMENT,   /* a NULL, a replica index out of range, a step or timeout <= 0 */
	REPLMODEL_UNSUPPORTED,    /* hedge with more than two children */
	REPLMODEL_TOO_LONG,       /* the tree's longest run needs more than REPLMODEL_GRID_MAX cells */
	REPLMODEL_NO_MEMORY,
};

const char *replmodel_strerror(enum replmodel_status status);

/* One replica as the model sees it. p_hang + p_fast <= 1; the rest answers successfully. */
struct replmodel_replica {
	double (*cdf)(const void *arg, double t_ms);   /* P(latency <= t) */
	const void *arg;
	double p_hang;      /* the attempt gets no answer: it fails at the attempt timeout */
	double p_fast;      /* an error answer (503, 502, truncated) after the sampled latency */
};

struct replmodel_params {
	double timeout_ms;   /* per attempt: an answer later than this is a failure at this time */
	double step_ms;      /* grid cell; 1-2 ms is plenty for the paper's RTTs */
	double overhead_ms;  /* added to every answered attempt (the loopback's own cost, unscaled) */
	double correlated;   /* per case: every attempt hangs */
	double timer_late_ms;/* how late the executor's timers fire (timeout, hedge delay), unscaled */
	/* Extra delay of the winner's answer when a par or quorum starts k children at once
	 * (fanout_ms[k], k < fanout_count; NULL = none): they are started one after another, and
	 * on loopback that cost is not small beside scaled latencies. */
	const double *fanout_ms;
	unsigned fanout_count;
};

struct replmodel_result {
	double fail_rate;
	double success_rate;
	double rtt_mean_ms;   /* over successes; NAN when success is impossible */
	double rtt_std_ms;
	double rtt_p99_ms;
	double attempts;      /* requests sent per case; NAN for a shape it does not cover (see .c) */
};

/* Evaluates root over replicas[0..count) (indexed by the leaves' replica numbers). */
enum replmodel_status replmodel_evaluate(const struct repl_node *root,
                                         const struct replmodel_replica *replicas, unsigned count,
                                         const struct replmodel_params *params,
                                         struct replmodel_result *result);

#endif
