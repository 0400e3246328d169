/*
 * faultmodel.h: the fault and latency model that replfault injects and replbench reasons about.
 *
 * A replica's latency is the WS-DREAM paper's per-replica RTT (test/data/wsdream/
 * wsdream-per-replica.csv, Tables 1-5) modelled as rtt_min + LogNormal(mu, sigma), with mu and
 * sigma moment-matched to the row's avg and std, and every value above rtt_max clipped to rtt_max
 * (so the distribution has a point mass at rtt_max and its CDF is 1 there). Faults are decided per
 * request from a deterministic hash of (seed, case, replica, attempt): two runs with the same seed
 * give the same actions and latencies request for request, and replbench can compute the exact
 * expectation of what replfault injects. Alternatively a replica replays a real trace (WS-DREAM
 * dataset #2) instead of sampling. All times here are in milliseconds and unscaled; replfault
 * applies its --scale afterwards.
 *
 * Errors: the loaders return enum faultmodel_status (0 = FAULTMODEL_LOAD_OK) and write
 * "file:line: why" to err; faultmodel_strerror() names the status.
 */
#ifndef FAULTMODEL_H
#define FAULTMODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum faultmodel_status {
	FAULTMODEL_LOAD_OK = 0,
	FAULTMODEL_E_IO,        /* the file could not be opened or read */
	FAULTMODEL_E_SYNTAX,    /* a malformed line: wrong column count, bad number, line too long */
	FAULTMODEL_E_RANGE,     /* a number out of range: negative, min > max, rate > 100 %... */
	FAULTMODEL_E_NOTFOUND,  /* the location, or a named replica of it, is not in the file */
	FAULTMODEL_E_TOOMANY,   /* more rows than out_max, or a trace over its caps */
	FAULTMODEL_E_NOMEM,
};
const char *faultmodel_strerror(int status);

/* One replica's profile, as in test/data/wsdream/wsdream-per-replica.csv (ms, unscaled). */
struct faultmodel_replica {
	char name[33];
	double fail_rate;                 /* the paper's R% / 100: the replica's own failure rate */
	double rtt_avg, rtt_std, rtt_min, rtt_max;
	double mu, sigma;                 /* fitted: rtt = rtt_min + LogNormal(mu, sigma), clipped at rtt_max */
};

/* Loads the rows of `location` named in names (count of them, in that order); all rows of the
 * location in file order when names is NULL (count is then ignored). Lines starting with '#' and
 * the header line (first field "location") are skipped. Each loaded row is fitted
 * (faultmodel_fit). 0 = ok; err says file:line and why (line 0 for "not found"). */
int faultmodel_load_profile(const char *csv_path, const char *location, const char *const *names,
                            size_t count, struct faultmodel_replica *out, size_t out_max, size_t *loaded,
                            char *err, size_t err_size);

/* Fits mu/sigma so the shifted lognormal has mean rtt_avg and std rtt_std (moment matching on
 * rtt - rtt_min, before clipping): sigma^2 = ln(1 + std^2 / m^2), mu = ln m - sigma^2 / 2 with
 * m = avg - min. Degenerate rows become a point mass (sigma = 0, latency = rtt_min + exp(mu)):
 *   avg <= min           -> always rtt_min (mu = -INFINITY);
 *   std == 0, avg > min  -> always rtt_avg (mu = ln m).
 * The point is still clipped to [rtt_min, rtt_max]. Clipping at rtt_max lowers the mean and std
 * slightly (for the paper's rows by well under 1 %); faultmodel_moments() gives the exact ones. */
void faultmodel_fit(struct faultmodel_replica *replica);

/* A latency sample in ms (unscaled), in [rtt_min, rtt_max], from the generator state. */
double faultmodel_sample_ms(const struct faultmodel_replica *replica, uint64_t *rng);

/* P(latency <= t) of the clipped distribution: 0 below rtt_min + (point mass), 1 at and beyond
 * rtt_max. Uses erfc. */
double faultmodel_cdf(const struct faultmodel_replica *replica, double t_ms);

/* Mean and standard deviation of the clipped distribution, in closed form (either may be NULL). */
void faultmodel_moments(const struct faultmodel_replica *replica, double *mean_ms, double *std_ms);

/* Injected faults, each a probability per request; correlated: per case, all replicas hang. */
struct faultmodel_faults {
	double hang, http503, http502, reset, truncate;   /* independent, per request */
	double correlated;                                 /* per case: every replica hangs */
	bool use_profile_fail_rate;                        /* also fail at the replica's own fail_rate (as hang) */
};

/* What one request gets: deterministic in (seed, case, replica, attempt).
 *
 * First the case: with probability `correlated`, decided from (seed, case) only, the request is
 * FAULTMODEL_HANG — for every replica and every attempt of that case (the paper's failures were
 * mostly all replicas timing out at once: the client's own network). Otherwise one uniform u from
 * (seed, case, replica, attempt) is cut into disjoint slices, in this order: hang, http503,
 * http502, reset, truncate, then the replica's fail_rate (as HANG) when use_profile_fail_rate;
 * u beyond them all is FAULTMODEL_OK. So, given no correlated failure,
 *   P(HANG) = hang (+ fail_rate), P(503) = http503, ..., P(not OK) = the sum (clamped to 1),
 * and decisions for different replicas or attempts are independent. Overall
 *   P(not OK) = correlated + (1 - correlated) * sum. */
enum faultmodel_action { FAULTMODEL_OK, FAULTMODEL_HANG, FAULTMODEL_503, FAULTMODEL_502, FAULTMODEL_RESET, FAULTMODEL_TRUNCATE };
enum faultmodel_action faultmodel_decide(const struct faultmodel_faults *faults, const struct faultmodel_replica *replica,
                                         uint64_t seed, uint64_t case_id, unsigned replica_index, unsigned attempt);
const char *faultmodel_action_name(enum faultmodel_action action);   /* "ok", "hang", "503"... */

/* splitmix64-style mixing and a uniform double in [0,1) from it (53 bits; advances *state). */
uint64_t faultmodel_mix(uint64_t x);
double faultmodel_uniform(uint64_t *state);

/* The generator state for the latency of request (seed, case, replica, attempt): a mix of all
 * four, independent of the stream faultmodel_decide uses. replfault samples exactly
 *   uint64_t rng = faultmodel_request_state(seed, case_id, replica_index, attempt);
 *   double ms = faultmodel_sample_ms(replica, &rng);
 * so faultmodel_request_latency_ms() below returns the very latency replfault waits (unscaled). */
uint64_t faultmodel_request_state(uint64_t seed, uint64_t case_id, unsigned replica_index, unsigned attempt);
double faultmodel_request_latency_ms(const struct faultmodel_replica *replica, uint64_t seed,
                                     uint64_t case_id, unsigned replica_index, unsigned attempt);

/* Trace replay from WS-DREAM dataset #2 (test/data/wsdream/dataset2-sample-rtdata.txt): lines of
 * "user service slice seconds", whitespace separated; '#' lines and blank lines are skipped. The
 * records of one user are kept; service s's values, sorted by slice, feed replica s.
 * Request (case, attempt) of replica i gets value number (case + attempt) mod count of service i:
 * slice order, cycling, with a retry seeing the next slice (so a retry is not doomed to repeat a
 * hang). A value >= FAULTMODEL_TRACE_HANG_S (the collector's 20 s cap) is a hang; a negative one
 * marks a failed record in the full dataset and is also a hang. */
#define FAULTMODEL_TRACE_MAX_SERVICES 256     /* services (replicas) kept per trace */
#define FAULTMODEL_TRACE_MAX_SLICES   4096    /* records per service */
#define FAULTMODEL_TRACE_HANG_S       20.0

struct faultmodel_trace {
	size_t services;                                  /* 1 + highest service index loaded */
	size_t count[FAULTMODEL_TRACE_MAX_SERVICES];      /* records of each service */
	double *ms[FAULTMODEL_TRACE_MAX_SERVICES];        /* each service's values in ms, slice order; < 0 = hang */
};

/* Loads the records of `user` from path into *trace (zeroed first; free with
 * faultmodel_trace_free, also after a failure). A (service, slice) given twice is a syntax error.
 * 0 = ok; err says file:line and why. */
int faultmodel_load_trace(const char *path, unsigned user, struct faultmodel_trace *trace,
                          char *err, size_t err_size);
void faultmodel_trace_free(struct faultmodel_trace *trace);

/* Replica i's replayed latency for (case, attempt) in ms, or a negative value for a hang; also
 * negative (a hang) when service i has no records. */
double faultmodel_trace_ms(const struct faultmodel_trace *trace, unsigned replica_index,
                           uint64_t case_id, unsigned attempt);

#endif
