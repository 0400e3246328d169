/*
 * replbench.c: reproduces the WS-DREAM paper's Tables 6 and 7 with librepl's real executor over
 * loopback against replfault, and goes past them. It starts replfault (a child process) once per
 * environment, with the paper's Hong Kong profile (Table 1) for six replicas, runs every cell (a
 * policy over a replica set in one environment) for --cases cases from --jobs threads (one librepl
 * client each), and prints each cell beside the paper's figure and beside the closed-form
 * expectation of the injected model (replmodel.h, from the very faultmodel replfault samples), with
 * 95% intervals. A cell whose measurement disagrees with the model beyond chance (a two-sided test
 * at REPLBENCH_FLAG_ALPHA, much stricter than the 95% shown) is flagged: a bug in the executor or in
 * the model; the exit status is 1 then. Past the paper: p99 and requests per case for every cell,
 * hedge(d) at several delays, quorum(2, 3) writes, and the nine strategies over a real trace.
 *
 * Time runs scaled (--scale): replfault multiplies every latency by it and the executor's timeout
 * and hedge delays are scaled the same way; results are reported unscaled. Two loopback costs the
 * model cannot know are measured first and given to it: the overhead of one answered request
 * (elapsed minus the latency replfault was told to wait, which faultmodel reproduces exactly) and
 * how late an executor timer fires (curl_multi_poll waits in whole milliseconds).
 *
 * Each request carries X-Repl-Case and X-Repl-Attempt (the replica's attempt number within the
 * case), set per attempt by a thin transport in front of librepl's HTTP transport, so a retry is
 * an independent draw, as the model assumes.
 */
#include "faultmodel.h"
#include "replmodel.h"
#include "repl.h"
#include "transport.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define REPLBENCH_REPLICAS 6
#define REPLBENCH_CELLS_MAX 64
#define REPLBENCH_JOBS_MAX 64
#define REPLBENCH_CASES_MAX 1000000
#define REPLBENCH_CASE_STRIDE 10000000ULL   /* case ids of cell c: c * stride + i */
#define REPLBENCH_FLAG_ALPHA 1e-4           /* two-sided, per test: ~1% false flags over a whole run */
#define REPLBENCH_FLAG_Z 3.890592           /* the normal quantile of 1 - alpha/2 */
#define REPLBENCH_Z95 1.959964
#define REPLBENCH_REQUESTS_SD_FLOOR 0.5     /* requests/case: sd floor, see check_cell() */
#define REPLBENCH_DRIFT_MS 2.0              /* real ms: loopback cost drift allowed in the mean check */
#define REPLBENCH_READY_MS 10000            /* replfault's ready line */
#define REPLBENCH_PROBES 16                 /* timeouts timed for the timer-lateness probe */
#define REPLBENCH_LINE_MAX 2048

static const char *const replica_names[REPLBENCH_REPLICAS] = {"a-us", "a-jp", "a-de", "a-ca", "a-fr", "a-uk"};
static const char *const preset_names[9] = {"parallel", "retry", "rb", "parallel+retry", "retry+parallel",
                                            "parallel+rb", "rb+parallel", "retry+rb", "rb+retry"};
static const unsigned hedge_delays[] = {0, 300, 400, 500, 700, 1000};   /* ms unscaled; 0 = par of both */

enum replbench_status {
	REPLBENCH_OK = 0,
	REPLBENCH_FLAGGED,      /* ran, but a cell disagrees with the model */
	REPLBENCH_E_USAGE,
	REPLBENCH_E_DATA,       /* a CSV or profile could not be read */
	REPLBENCH_E_CHILD,      /* replfault did not start */
	REPLBENCH_E_REPL,       /* librepl refused a set, a policy or a client */
	REPLBENCH_E_SYSTEM,
};

/* ---- the environments: one replfault each; the model reads the same faults ---- */

enum env_id { ENV_NORMAL, ENV_FAULTY, ENV_FAULT5, ENV_TRACE, ENV_COUNT };

struct env {
	const char *name;
	const char *title;
	struct faultmodel_faults faults;
	bool trace;
};

/* Why these rates (doc/replication-benchmark.md says more):
 * normal  the replicas' own Table 1 failure rates (0.13-2.51%, as hangs) and the paper's
 *         client-side outage: Parallel can only fail when all six fail, which the independent
 *         rates make ~1e-13, yet Table 6 shows 11/33466 = 0.03%: all six timing out at once.
 * faulty  the same plus Table 6's Parallel faulty rate 0.57% (19/3314) as the correlated outage,
 *         and 40% injected error answers (503 20%, 502 10%, truncated body 10%) that fail after
 *         the replica's latency: the rate that moves RB's model mean from 367 to about the
 *         paper's 810 ms (the one figure it was fitted to). Resets are left out: libcurl resends a
 *         request transparently when a reused connection dies before any byte, which would make
 *         one attempt several.
 * fault5  Table 7's "5% faulty Internet environment": 5% of requests hang, plus the normal ones.
 * trace   WS-DREAM dataset #2 replayed (services 0..5 of user 0); no model. */
static struct env envs[ENV_COUNT] = {
	[ENV_NORMAL] = {"normal", "normal environment", {.correlated = 0.0003, .use_profile_fail_rate = true}, false},
	[ENV_FAULTY] = {"faulty", "faulty environment",
	                {.http503 = 0.20, .http502 = 0.10, .truncate = 0.10, .correlated = 0.0057,
	                 .use_profile_fail_rate = true}, false},
	[ENV_FAULT5] = {"fault5", "5% fault environment",
	                {.hang = 0.05, .correlated = 0.0003, .use_profile_fail_rate = true}, false},
	[ENV_TRACE] = {"trace", "trace replay (dataset #2)", {0}, true},
};

/* ---- options ---- */

struct options {
	const char *replfault;
	const char *data;
	const char *location;
	const char *out;
	const char *sections;
	double scale;
	double timeout_ms;
	double step_ms;
	unsigned long cases;
	unsigned long table7_cases;   /* 0: --cases; Table 7's failure rates need more to separate */
	unsigned long jobs;
	unsigned long seed;
	long port_base;
	bool model_only;
};

/* ---- the paper's figures ---- */

struct paper_cell {
	bool have;
	double fail, all, rtt_avg, rtt_std;
};

/* ---- cells ---- */

struct cell {
	char table[8];           /* "6", "7", "hedge", "quorum", "trace" */
	char label[48];
	char policy[160];        /* executed (delays scaled) */
	char model_policy[160];  /* for the model (delays unscaled) */
	enum env_id env;
	unsigned replicas;       /* the first k of replica_names form the set */
	bool write;
	unsigned hedge_delay;    /* unscaled ms, hedge cells */
	struct paper_cell paper;
	/* measured */
	unsigned long n, fails;
	double *rtt;             /* successes, unscaled ms */
	unsigned long successes;
	double requests_sum, requests_sum2;
	double mean, sd, p99, requests, requests_sd;
	/* model */
	bool model_ok;
	struct replmodel_result model;
	/* checks */
	bool flag_rate, flag_mean, flag_requests;
	double rate_p;           /* two-sided p-value of the failure count under the model */
};

struct bench {
	struct options opt;
	struct faultmodel_replica profile[REPLBENCH_REPLICAS];
	struct cell cells[REPLBENCH_CELLS_MAX];
	unsigned cell_count;
	double overhead_ms;      /* unscaled */
	double overhead_sd_ms;   /* the largest jitter over the fan-outs */
	double fanout_ms[REPLBENCH_REPLICAS + 1];   /* unscaled, by children started at once */
	double timer_late_ms;    /* unscaled */
	char trace_path[1024];
};

/* ---- small helpers ---- */

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static bool parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return false;
	*out = v;
	return true;
}

static bool parse_ulong(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;
	errno = 0;
	if (*s == '-' || *s == '+')
		return false;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static bool section_on(const struct options *opt, const char *name)
{
	size_t len = strlen(name);
	for (const char *p = opt->sections; *p;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		if (n == len && memcmp(p, name, len) == 0)
			return true;
		p += n + (comma ? 1 : 0);
	}
	return false;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* ---- statistics ---- */

static void wilson(double k, double n, double z, double *lo, double *hi)
{
	if (n <= 0) {
		*lo = 0;
		*hi = 1;
		return;
	}
	double p = k / n, z2 = z * z;
	double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
	double half = z * sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
	*lo = fmax(0, centre - half);
	*hi = fmin(1, centre + half);
}

/* P(X <= k) and P(X >= k) for X ~ Binomial(n, p). */
static void binomial_tails(unsigned long k, unsigned long n, double p, double *below, double *above)
{
	if (p <= 0) {
		*below = 1;
		*above = k == 0 ? 1 : 0;
		return;
	}
	if (p >= 1) {
		*below = k >= n ? 1 : 0;
		*above = 1;
		return;
	}
	double lp = log(p), lq = log1p(-p), b = 0, a = 0;
	for (unsigned long i = 0; i <= n; i++) {
		double term = exp(lgamma((double)n + 1) - lgamma((double)i + 1) - lgamma((double)(n - i) + 1) +
		                  (double)i * lp + (double)(n - i) * lq);
		if (i <= k)
			b += term;
		if (i >= k)
			a += term;
	}
	*below = fmin(1, b);
	*above = fmin(1, a);
}

/* ---- the paper's CSVs ---- */

/* Splits line at commas into at most max fields (in place); returns the count. */
static size_t csv_split(char *line, char **fields, size_t max)
{
	size_t count = 0;
	char *p = line;
	while (count < max) {
		fields[count++] = p;
		char *comma = strchr(p, ',');
		if (!comma)
			break;
		*comma = '\0';
		p = comma + 1;
	}
	p = fields[count - 1];
	p[strcspn(p, "\r\n")] = '\0';
	return count;
}

/* Reads rows of path: key column 0, then fail/all/avg/std at cols[0..3] (normal) and cols[4..7]. */
static enum replbench_status paper_load(const char *path, const unsigned cols[8], unsigned long keys_from,
                                        struct paper_cell normal[], struct paper_cell other[], size_t max)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "replbench: %s: %s\n", path, strerror(errno));
		return REPLBENCH_E_DATA;
	}
	char line[REPLBENCH_LINE_MAX];
	unsigned lineno = 0;
	enum replbench_status status = REPLBENCH_OK;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		if (line[0] == '#' || !strncmp(line, "strategy,", 9) || !strncmp(line, "replicas,", 9))
			continue;
		char *fields[16];
		size_t count = csv_split(line, fields, 16);
		unsigned long key;
		double v[8];
		bool ok = count >= 11 && parse_ulong(fields[0], keys_from, keys_from + max - 1, &key);
		for (unsigned i = 0; ok && i < 8; i++)
			ok = cols[i] < count && parse_double(fields[cols[i]], 0, 1e9, &v[i]);
		if (!ok) {
			fprintf(stderr, "replbench: %s:%u: not a row of the paper's table\n", path, lineno);
			status = REPLBENCH_E_DATA;
			break;
		}
		normal[key - keys_from] = (struct paper_cell){true, v[0], v[1], v[2], v[3]};
		other[key - keys_from] = (struct paper_cell){true, v[4], v[5], v[6], v[7]};
	}
	fclose(f);
	return status;
}

/* ---- building the cells ---- */

static struct cell *cell_add(struct bench *b, const char *table, enum env_id env, unsigned replicas)
{
	if (b->cell_count == REPLBENCH_CELLS_MAX)
		return NULL;
	struct cell *c = &b->cells[b->cell_count++];
	memset(c, 0, sizeof *c);
	snprintf(c->table, sizeof c->table, "%s", table);
	c->env = env;
	c->replicas = replicas;
	return c;
}

static enum replbench_status cells_build(struct bench *b)
{
	struct paper_cell t6[2][9] = {{{0}}}, t7[2][5] = {{{0}}};
	char path[1200];
	/* Table 6: strategy, name, R%, fail, all, avg, std (normal), then the faulty five. */
	static const unsigned t6_cols[8] = {3, 4, 5, 6, 8, 9, 10, 11};
	static const unsigned t7_cols[8] = {2, 3, 4, 5, 7, 8, 9, 10};
	snprintf(path, sizeof path, "%s/wsdream-strategies.csv", b->opt.data);
	enum replbench_status status = paper_load(path, t6_cols, 1, t6[0], t6[1], 9);
	if (status)
		return status;
	snprintf(path, sizeof path, "%s/wsdream-replica-count.csv", b->opt.data);
	status = paper_load(path, t7_cols, 2, t7[0], t7[1], 5);
	if (status)
		return status;

	struct cell *c = NULL;
	if (section_on(&b->opt, "6")) {
		for (unsigned e = 0; e < 2; e++) {
			for (unsigned s = 0; s < 9; s++) {
				c = cell_add(b, "6", e ? ENV_FAULTY : ENV_NORMAL, REPLBENCH_REPLICAS);
				if (!c)
					return REPLBENCH_E_USAGE;
				snprintf(c->label, sizeof c->label, "%u %s", s + 1, preset_names[s]);
				snprintf(c->policy, sizeof c->policy, "%s", preset_names[s]);
				c->paper = t6[e][s];
			}
		}
	}
	if (section_on(&b->opt, "7")) {
		for (unsigned e = 0; e < 2; e++) {
			for (unsigned k = 2; k <= REPLBENCH_REPLICAS; k++) {
				c = cell_add(b, "7", e ? ENV_FAULT5 : ENV_NORMAL, k);
				if (!c)
					return REPLBENCH_E_USAGE;
				snprintf(c->label, sizeof c->label, "%u replicas", k);
				snprintf(c->policy, sizeof c->policy, "parallel");
				c->paper = t7[e][k - 2];
			}
		}
	}
	if (section_on(&b->opt, "hedge")) {
		/* The two fastest replicas (a-jp, then a-us): from par (delay 0) to a-jp alone. */
		for (size_t i = 0; i < sizeof hedge_delays / sizeof hedge_delays[0]; i++) {
			unsigned d = hedge_delays[i];
			long real = lround(d * b->opt.scale);
			c = cell_add(b, "hedge", ENV_NORMAL, REPLBENCH_REPLICAS);
			if (!c)
				return REPLBENCH_E_USAGE;
			snprintf(c->label, sizeof c->label, "hedge(%u)", d);
			snprintf(c->policy, sizeof c->policy, "hedge(%ld, a-jp, a-us)", real);
			snprintf(c->model_policy, sizeof c->model_policy, "hedge(%ld, a-jp, a-us)",
			         lround((double)real / b->opt.scale));
			c->hedge_delay = d;
		}
		c = cell_add(b, "hedge", ENV_NORMAL, REPLBENCH_REPLICAS);
		if (!c)
			return REPLBENCH_E_USAGE;
		snprintf(c->label, sizeof c->label, "a-jp alone");
		snprintf(c->policy, sizeof c->policy, "seq(a-jp)");
		c->hedge_delay = UINT32_MAX;
	}
	if (section_on(&b->opt, "quorum")) {
		for (unsigned e = 0; e < 2; e++) {
			c = cell_add(b, "quorum", e ? ENV_FAULTY : ENV_NORMAL, REPLBENCH_REPLICAS);
			if (!c)
				return REPLBENCH_E_USAGE;
			snprintf(c->label, sizeof c->label, "quorum(2,3) PUT");
			snprintf(c->policy, sizeof c->policy, "quorum(2, a-us, a-jp, a-ca)");
			c->write = true;
		}
	}
	if (section_on(&b->opt, "trace")) {
		for (unsigned s = 0; s < 9; s++) {
			c = cell_add(b, "trace", ENV_TRACE, REPLBENCH_REPLICAS);
			if (!c)
				return REPLBENCH_E_USAGE;
			snprintf(c->label, sizeof c->label, "%u %s", s + 1, preset_names[s]);
			snprintf(c->policy, sizeof c->policy, "%s", preset_names[s]);
		}
	}
	if (b->cell_count == 0) {
		fprintf(stderr, "replbench: no cells (--sections %s)\n", b->opt.sections);
		return REPLBENCH_E_USAGE;
	}
	for (unsigned i = 0; i < b->cell_count; i++)
		if (!b->cells[i].model_policy[0])
			memcpy(b->cells[i].model_policy, b->cells[i].policy, sizeof b->cells[i].policy);
	return REPLBENCH_OK;
}

/* ---- the model ---- */

static double profile_cdf(const void *arg, double t)
{
	return faultmodel_cdf(arg, t);
}

/* faultmodel_decide's slices, in its order, clamped to 1: hang, 503, 502, reset, truncate, own. */
static void leaf_rates(const struct faultmodel_faults *f, const struct faultmodel_replica *r,
                       double *p_hang, double *p_fast)
{
	const double slice[6] = {f->hang, f->http503, f->http502, f->reset, f->truncate,
	                         f->use_profile_fail_rate ? r->fail_rate : 0};
	double used = 0, hang = 0, fast = 0;
	for (unsigned i = 0; i < 6; i++) {
		double take = fmin(slice[i], 1 - used);
		used += take;
		if (i == 0 || i == 5)
			hang += take;
		else
			fast += take;
	}
	*p_hang = hang;
	*p_fast = fast;
}

static bool set_build(const struct cell *c, long port_base, struct repl_set *set)
{
	char text[1024];
	size_t len = 0;
	for (unsigned i = 0; i < c->replicas; i++)
		len += (size_t)snprintf(text + len, sizeof text - len, "%s%s=http://127.0.0.1:%ld", i ? ", " : "",
		                        replica_names[i], port_base + (long)i);
	struct repl_error error = {0};
	if (repl_set_parse(set, "bench", text, &error) != REPL_OK) {
		fprintf(stderr, "replbench: set: %s\n", error.message);
		return false;
	}
	return true;
}

static void model_cell(struct bench *b, struct cell *c)
{
	if (c->env == ENV_TRACE)
		return;
	struct repl_set set;
	struct repl_policy *policy = NULL;
	struct repl_error error = {0};
	if (!set_build(c, 1, &set) ||
	    repl_policy_parse(c->model_policy, strlen(c->model_policy), &set, true, &policy, &error) != REPL_OK) {
		fprintf(stderr, "replbench: model of %s: %s\n", c->label, error.message);
		return;
	}
	struct replmodel_replica replicas[REPLBENCH_REPLICAS];
	for (unsigned i = 0; i < set.count; i++) {
		replicas[i] = (struct replmodel_replica){profile_cdf, &b->profile[i], 0, 0};
		leaf_rates(&envs[c->env].faults, &b->profile[i], &replicas[i].p_hang, &replicas[i].p_fast);
	}
	struct replmodel_params params = {
		.timeout_ms = b->opt.timeout_ms,
		.step_ms = b->opt.step_ms,
		.overhead_ms = b->overhead_ms,
		.correlated = envs[c->env].faults.correlated,
		.timer_late_ms = b->timer_late_ms,
		.fanout_ms = b->fanout_ms,
		.fanout_count = REPLBENCH_REPLICAS + 1,
	};
	enum replmodel_status status = replmodel_evaluate(policy->root, replicas, set.count, &params, &c->model);
	if (status != REPLMODEL_OK)
		fprintf(stderr, "replbench: model of %s: %s\n", c->label, replmodel_strerror(status));
	c->model_ok = status == REPLMODEL_OK;
	repl_policy_free(policy);
}

/* ---- replfault, the child ---- */

struct child {
	pid_t pid;
	FILE *out;
};

/* The running replfault, for the signal handler: a benchmark stopped by SIGINT or SIGTERM takes
 * its child down with it rather than leave it holding the ports. */
static volatile sig_atomic_t child_pid;

static void on_stop_signal(int signo)
{
	if (child_pid > 0)
		kill((pid_t)child_pid, SIGTERM);
	_exit(128 + signo);
}

static void child_stop(struct child *ch)
{
	if (ch->pid > 0) {
		child_pid = 0;
		kill(ch->pid, SIGTERM);
		int wstatus;
		while (waitpid(ch->pid, &wstatus, 0) < 0 && errno == EINTR)
			;
		ch->pid = 0;
	}
	if (ch->out) {
		fclose(ch->out);
		ch->out = NULL;
	}
}

static void rate_arg(char **argv, size_t *argc, char *store, size_t store_size, const char *flag, double rate)
{
	if (rate <= 0)
		return;
	snprintf(store, store_size, "%.17g", rate);
	argv[(*argc)++] = (char *)flag;
	argv[(*argc)++] = store;
}

static enum replbench_status child_start(struct bench *b, enum env_id env, long port_base, struct child *ch)
{
	const struct env *e = &envs[env];
	char profile[1200], names[256], port[24], scale[32], seed[24], rates[6][32];
	char *argv[40];
	size_t argc = 0;
	snprintf(profile, sizeof profile, "%s/wsdream-per-replica.csv", b->opt.data);
	snprintf(names, sizeof names, "%s,%s,%s,%s,%s,%s", replica_names[0], replica_names[1], replica_names[2],
	         replica_names[3], replica_names[4], replica_names[5]);
	snprintf(port, sizeof port, "%ld", port_base);
	snprintf(scale, sizeof scale, "%.17g", b->opt.scale);
	snprintf(seed, sizeof seed, "%lu", b->opt.seed);
	argv[argc++] = (char *)b->opt.replfault;
	argv[argc++] = "--profile";
	argv[argc++] = profile;
	argv[argc++] = "--location";
	argv[argc++] = (char *)b->opt.location;
	argv[argc++] = "--replicas";
	argv[argc++] = names;
	argv[argc++] = "--port-base";
	argv[argc++] = port;
	argv[argc++] = "--scale";
	argv[argc++] = scale;
	argv[argc++] = "--seed";
	argv[argc++] = seed;
	rate_arg(argv, &argc, rates[0], sizeof rates[0], "--hang", e->faults.hang);
	rate_arg(argv, &argc, rates[1], sizeof rates[1], "--503", e->faults.http503);
	rate_arg(argv, &argc, rates[2], sizeof rates[2], "--502", e->faults.http502);
	rate_arg(argv, &argc, rates[3], sizeof rates[3], "--reset", e->faults.reset);
	rate_arg(argv, &argc, rates[4], sizeof rates[4], "--truncate", e->faults.truncate);
	rate_arg(argv, &argc, rates[5], sizeof rates[5], "--correlated", e->faults.correlated);
	if (e->faults.use_profile_fail_rate)
		argv[argc++] = "--profile-faults";
	if (e->trace) {
		argv[argc++] = "--trace";
		argv[argc++] = b->trace_path;
	}
	argv[argc] = NULL;

	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return REPLBENCH_E_SYSTEM;
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, pipefd[1], STDOUT_FILENO);
	int rc = posix_spawn(&ch->pid, b->opt.replfault, &actions, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	close(pipefd[1]);
	if (rc != 0) {
		close(pipefd[0]);
		ch->pid = 0;
		fprintf(stderr, "replbench: %s: %s\n", b->opt.replfault, strerror(rc));
		return REPLBENCH_E_CHILD;
	}
	child_pid = ch->pid;
	ch->out = fdopen(pipefd[0], "r");
	if (!ch->out) {
		close(pipefd[0]);
		child_stop(ch);
		return REPLBENCH_E_SYSTEM;
	}
	struct pollfd pfd = {.fd = pipefd[0], .events = POLLIN};
	char line[REPLBENCH_LINE_MAX];
	if (poll(&pfd, 1, REPLBENCH_READY_MS) != 1 || !fgets(line, sizeof line, ch->out) ||
	    strncmp(line, "replfault ready", 15) != 0) {
		fprintf(stderr, "replbench: replfault (%s) did not say it was ready\n", e->name);
		child_stop(ch);
		return REPLBENCH_E_CHILD;
	}
	return REPLBENCH_OK;
}

/* ---- the transport in front of librepl's HTTP one: per-attempt headers ---- */

struct bench_slot {
	struct repl_http_request request;
	struct repl_http_header headers[2];
	char case_text[24];
	char attempt_text[16];
};

struct bench_transport {
	struct repl_transport base;
	struct repl_transport *inner;
	uint64_t case_id;
	unsigned per_replica[REPL_SET_REPLICAS_MAX];
	struct bench_slot slots[REPL_ATTEMPTS_MAX];
};

static struct bench_transport *bench_of(struct repl_transport *t)
{
	return (struct bench_transport *)(void *)((char *)t - offsetof(struct bench_transport, base));
}

static enum repl_status bench_start(struct repl_transport *t, struct repl_xfer *xfer)
{
	struct bench_transport *bt = bench_of(t);
	if (xfer->attempt >= REPL_ATTEMPTS_MAX || xfer->replica->index >= REPL_SET_REPLICAS_MAX)
		return REPL_BAD_ARGUMENT;
	struct bench_slot *slot = &bt->slots[xfer->attempt];
	slot->request = *(const struct repl_http_request *)xfer->work;
	snprintf(slot->case_text, sizeof slot->case_text, "%" PRIu64, bt->case_id);
	snprintf(slot->attempt_text, sizeof slot->attempt_text, "%u", bt->per_replica[xfer->replica->index]++);
	slot->headers[0] = (struct repl_http_header){"X-Repl-Case", slot->case_text};
	slot->headers[1] = (struct repl_http_header){"X-Repl-Attempt", slot->attempt_text};
	slot->request.headers = slot->headers;
	slot->request.header_count = 2;
	xfer->work = &slot->request;
	return bt->inner->ops->start(bt->inner, xfer);
}

static void bench_cancel(struct repl_transport *t, struct repl_xfer *xfer, struct repl_observation *seen)
{
	struct bench_transport *bt = bench_of(t);
	bt->inner->ops->cancel(bt->inner, xfer, seen);
}

static void bench_perform(struct repl_transport *t, int64_t now)
{
	struct bench_transport *bt = bench_of(t);
	bt->inner->ops->perform(bt->inner, now);
}

static unsigned bench_fds(struct repl_transport *t, struct repl_pollfd *fds, unsigned max)
{
	struct bench_transport *bt = bench_of(t);
	return bt->inner->ops->fds(bt->inner, fds, max);
}

static int64_t bench_next_event(struct repl_transport *t, int64_t now)
{
	struct bench_transport *bt = bench_of(t);
	return bt->inner->ops->next_event_us(bt->inner, now);
}

static void bench_free(struct repl_transport *t)
{
	(void)t;   /* the worker frees inner itself, after the client */
}

static const struct repl_transport_ops bench_ops = {
	bench_start, bench_cancel, bench_perform, bench_fds, bench_next_event, bench_free,
};

/* ---- running cells ---- */

struct job {
	const char *policy_text;
	const struct repl_set *set;
	bool write;
	long attempt_timeout_ms;
	double scale;
	uint64_t case_base;
	unsigned long cases;
	atomic_ulong next;
	/* per case */
	unsigned char *ok;
	double *elapsed_ms;      /* real ms */
	unsigned *attempts;
	enum repl_status error;  /* set by a worker that could not run */
};

static void *worker(void *arg)
{
	struct job *job = arg;
	struct repl_client *client = NULL;
	struct repl_transport *inner = NULL;
	struct repl_clock *clock = NULL;
	struct repl_policy *policy = NULL;
	struct bench_transport *bt = calloc(1, sizeof *bt);
	struct repl_error error = {0};
	enum repl_status status = bt ? REPL_OK : REPL_NO_MEMORY;
	if (status == REPL_OK)
		status = repl_client_new(&client, NULL);
	if (status == REPL_OK)
		status = repl_http_transport_new(&inner, &clock);
	if (status == REPL_OK)
		status = repl_policy_parse(job->policy_text, strlen(job->policy_text), job->set, true, &policy, &error);
	if (status != REPL_OK) {
		job->error = status;
		goto out;
	}
	bt->base.ops = &bench_ops;
	bt->inner = inner;
	repl_client_use(client, &bt->base, clock, 1);
	struct repl_operation op = {
		.set = job->set,
		.policy = policy,
		.idempotent = true,
		.classify = job->write ? repl_classify_http_write : repl_classify_http_read,
		.attempt_timeout_ms = job->attempt_timeout_ms,
	};
	snprintf(op.name, sizeof op.name, "bench");
	static const char body[] = "replbench";
	struct repl_http_request request = {
		.method = job->write ? "PUT" : "GET",
		.path = "/bench",
		.body = job->write ? body : NULL,
		.body_len = job->write ? sizeof body - 1 : 0,
		.response_max = 4096,
	};
	struct repl_result *result = calloc(1, sizeof *result);
	if (!result) {
		job->error = REPL_NO_MEMORY;
		goto out;
	}
	for (;;) {
		unsigned long i = atomic_fetch_add(&job->next, 1);
		if (i >= job->cases)
			break;
		bt->case_id = job->case_base + i;
		memset(bt->per_replica, 0, sizeof bt->per_replica);
		int64_t t0 = now_us();
		enum repl_status rs = repl_execute_http(client, &op, &request, result);
		int64_t t1 = now_us();
		job->ok[i] = rs == REPL_OK;
		job->elapsed_ms[i] = (double)(t1 - t0) / 1000.0;
		job->attempts[i] = result->attempt_count;
		repl_result_free(result);
		if (rs != REPL_OK && rs != REPL_FAILED && rs != REPL_DEADLINE) {
			job->error = rs;
			break;
		}
	}
	free(result);
out:
	repl_policy_free(policy);
	repl_client_free(client);
	if (inner)
		inner->ops->free(inner);
	free(bt);
	return NULL;
}

/* Runs policy over set for cases cases; fills ok/elapsed/attempts (arrays of cases). */
static enum replbench_status run_job(struct bench *b, struct job *job)
{
	pthread_t threads[REPLBENCH_JOBS_MAX];
	unsigned long started = 0;
	if (job->attempt_timeout_ms == 0)
		job->attempt_timeout_ms = lround(b->opt.timeout_ms * b->opt.scale);
	if (job->attempt_timeout_ms < 1)
		job->attempt_timeout_ms = 1;
	job->scale = b->opt.scale;
	atomic_init(&job->next, 0);
	for (unsigned long t = 0; t < b->opt.jobs && t < job->cases; t++) {
		if (pthread_create(&threads[t], NULL, worker, job) != 0)
			break;
		started++;
	}
	for (unsigned long t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
	if (started == 0)
		return REPLBENCH_E_SYSTEM;
	if (job->error != REPL_OK) {
		fprintf(stderr, "replbench: %s: %s\n", job->policy_text, repl_strerror(job->error));
		return REPLBENCH_E_REPL;
	}
	return REPLBENCH_OK;
}

static enum replbench_status job_arrays(struct job *job, unsigned long cases)
{
	job->cases = cases;
	job->ok = calloc(cases, 1);
	job->elapsed_ms = calloc(cases, sizeof *job->elapsed_ms);
	job->attempts = calloc(cases, sizeof *job->attempts);
	return job->ok && job->elapsed_ms && job->attempts ? REPLBENCH_OK : REPLBENCH_E_SYSTEM;
}

static void job_free(struct job *job)
{
	free(job->ok);
	free(job->elapsed_ms);
	free(job->attempts);
}

static enum replbench_status run_cell(struct bench *b, struct cell *c, unsigned index, long port_base)
{
	struct repl_set set;
	if (!set_build(c, port_base, &set))
		return REPLBENCH_E_REPL;
	struct job job = {.policy_text = c->policy, .set = &set, .write = c->write,
	                  .case_base = (uint64_t)(index + 1) * REPLBENCH_CASE_STRIDE};
	unsigned long cases = !strcmp(c->table, "7") && b->opt.table7_cases ? b->opt.table7_cases : b->opt.cases;
	enum replbench_status status = job_arrays(&job, cases);
	if (status == REPLBENCH_OK)
		status = run_job(b, &job);
	if (status == REPLBENCH_OK) {
		c->n = job.cases;
		c->rtt = calloc(job.cases, sizeof *c->rtt);
		if (!c->rtt)
			status = REPLBENCH_E_SYSTEM;
	}
	if (status == REPLBENCH_OK) {
		double sum = 0, sum2 = 0;
		for (unsigned long i = 0; i < job.cases; i++) {
			c->requests_sum += job.attempts[i];
			c->requests_sum2 += (double)job.attempts[i] * job.attempts[i];
			if (!job.ok[i]) {
				c->fails++;
				continue;
			}
			double ms = job.elapsed_ms[i] / b->opt.scale;
			c->rtt[c->successes++] = ms;
			sum += ms;
			sum2 += ms * ms;
		}
		double s = (double)c->successes;
		c->mean = s > 0 ? sum / s : NAN;
		c->sd = s > 1 ? sqrt(fmax(0, (sum2 - sum * sum / s) / (s - 1))) : NAN;
		qsort(c->rtt, c->successes, sizeof *c->rtt, compare_double);
		c->p99 = s > 0 ? c->rtt[(size_t)ceil(0.99 * s) - 1] : NAN;
		double n = (double)c->n;
		c->requests = c->requests_sum / n;
		c->requests_sd = n > 1 ? sqrt(fmax(0, (c->requests_sum2 - c->requests_sum * c->requests_sum / n) / (n - 1))) : 0;
	}
	job_free(&job);
	return status;
}

/* The loopback's own costs, per fan-out k = 1..6: par over the first k replicas in the normal
 * environment, on case ids no cell uses; each case's elapsed time minus the earliest answer
 * replfault was told to give (faultmodel reproduces every request's action and latency). k = 1
 * is the overhead of one answered request; k > 1 adds what starting k requests at once costs. */
static enum replbench_status calibrate_overhead(struct bench *b, long port_base)
{
	const struct faultmodel_faults *f = &envs[ENV_NORMAL].faults;
	unsigned long cases = b->opt.cases < 100 ? 100 : b->opt.cases > 1000 ? 1000 : b->opt.cases;
	double base = 0;
	for (unsigned k = 1; k <= REPLBENCH_REPLICAS; k++) {
		struct cell probe = {.replicas = k};
		struct repl_set set;
		if (!set_build(&probe, port_base, &set))
			return REPLBENCH_E_REPL;
		struct job job = {.policy_text = "parallel", .set = &set,
		                  .case_base = (uint64_t)(REPLBENCH_CELLS_MAX + 1 + k) * REPLBENCH_CASE_STRIDE};
		enum replbench_status status = job_arrays(&job, cases);
		if (status == REPLBENCH_OK)
			status = run_job(b, &job);
		if (status != REPLBENCH_OK) {
			job_free(&job);
			return status;
		}
		double sum = 0, sum2 = 0, n = 0;
		for (unsigned long i = 0; i < cases; i++) {
			uint64_t case_id = job.case_base + i;
			double ideal = INFINITY;
			for (unsigned r = 0; r < k; r++)
				if (faultmodel_decide(f, &b->profile[r], b->opt.seed, case_id, r, 0) == FAULTMODEL_OK)
					ideal = fmin(ideal, faultmodel_request_latency_ms(&b->profile[r], b->opt.seed, case_id, r, 0));
			if (!job.ok[i] || isinf(ideal))
				continue;
			double extra = job.elapsed_ms[i] - ideal * b->opt.scale;
			sum += extra;
			sum2 += extra * extra;
			n++;
		}
		job_free(&job);
		double mean = n > 0 ? sum / n / b->opt.scale : 0;
		double sd = n > 1 ? sqrt(fmax(0, (sum2 - sum * sum / n) / (n - 1))) / b->opt.scale : 0;
		if (k == 1) {
			base = fmax(0, mean);
			b->overhead_ms = base;
		} else {
			b->fanout_ms[k] = fmax(0, mean - base);
		}
		b->overhead_sd_ms = fmax(b->overhead_sd_ms, sd);
	}
	return REPLBENCH_OK;
}

/* How late a timeout fires: attempts on a socket that accepts connections and never answers. */
static enum replbench_status calibrate_timer(struct bench *b)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof addr;
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 128) < 0 ||
	    getsockname(fd, (struct sockaddr *)&addr, &len) < 0) {
		if (fd >= 0)
			close(fd);
		return REPLBENCH_E_SYSTEM;
	}
	char text[128];
	snprintf(text, sizeof text, "mute=http://127.0.0.1:%u", ntohs(addr.sin_port));
	struct repl_set set;
	struct repl_error error = {0};
	if (repl_set_parse(&set, "timer", text, &error) != REPL_OK) {
		fprintf(stderr, "replbench: timer probe: %s\n", error.message);
		close(fd);
		return REPLBENCH_E_REPL;
	}
	/* With the benchmark's own timeout: the kernel's poll slack grows with the wait (0.1%). */
	struct job job = {.policy_text = "seq(mute)", .set = &set};
	enum replbench_status status = job_arrays(&job, REPLBENCH_PROBES);
	if (status == REPLBENCH_OK)
		status = run_job(b, &job);
	if (status == REPLBENCH_OK) {
		double sum = 0;
		for (unsigned long i = 0; i < job.cases; i++)
			sum += job.elapsed_ms[i] - (double)job.attempt_timeout_ms;
		b->timer_late_ms = fmax(0, sum / (double)job.cases) / b->opt.scale;
	}
	job_free(&job);
	close(fd);
	return status;
}

/* ---- checks ---- */

/* Flags a cell whose failure count, mean RTT or requests per case the model makes implausible:
 * failures by the exact binomial test; the mean by a z-test with the model's own standard deviation
 * (which knows the rare timeouts a small sample misses) widened by the measured jitter of the
 * loopback overhead, plus REPLBENCH_DRIFT_MS (real) for how far the loopback's cost drifts during
 * a run on a shared machine — so a mean is flagged for a logic bug, not for a busy neighbour; requests with the sample's, floored at
 * half a request so that a cell where every case sent the same count is not flagged for a model's
 * fractional expectation (0.03% correlated cases). */
static void check_cell(struct cell *c, double overhead_sd, double scale)
{
	if (!c->model_ok || c->n == 0)
		return;
	double below, above;
	binomial_tails(c->fails, c->n, c->model.fail_rate, &below, &above);
	c->rate_p = fmin(1, 2 * fmin(below, above));
	c->flag_rate = c->rate_p < REPLBENCH_FLAG_ALPHA;
	if (c->successes >= 2 && !isnan(c->model.rtt_mean_ms)) {
		double sd = sqrt(c->model.rtt_std_ms * c->model.rtt_std_ms + overhead_sd * overhead_sd);
		double half = REPLBENCH_FLAG_Z * sd / sqrt((double)c->successes) + REPLBENCH_DRIFT_MS / scale;
		c->flag_mean = fabs(c->mean - c->model.rtt_mean_ms) > half;
	}
	if (!isnan(c->model.attempts)) {
		double sd = fmax(c->requests_sd, REPLBENCH_REQUESTS_SD_FLOOR);
		c->flag_requests = fabs(c->requests - c->model.attempts) > REPLBENCH_FLAG_Z * sd / sqrt((double)c->n);
	}
}

static bool cell_flagged(const struct cell *c)
{
	return c->flag_rate || c->flag_mean || c->flag_requests;
}

/* ---- printing ---- */

/* v with `decimals` digits after the point, or "-" when there is no value. */
static void fmt_num(char *buf, size_t size, double v, int decimals)
{
	if (isnan(v))
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.*f", decimals, v);
}

static void print_header(FILE *out, const char *first)
{
	fprintf(out, "  %-20s %6s %-13s %6s %6s %5s %6s | %6s %-11s %6s %5s | %5s %5s %5s | %5s %5s | %5s %5s | %s\n",
	        first, "R%", "(95%)", "model", "paper", "Fail", "All", "Avg", "(95%)", "model", "paper", "Std", "model",
	        "paper", "p99", "model", "req", "model", "check");
}

static void print_row(FILE *out, const struct cell *c)
{
	double lo, hi;
	wilson((double)c->fails, (double)c->n, REPLBENCH_Z95, &lo, &hi);
	char rate[16], interval[24], mr[16], pr[16], avg[16], ai[24], ma[16], pa[16], sd[16], ms[16], ps[16];
	char p99[16], m99[16], req[16], mreq[16], check[48];
	fmt_num(rate, sizeof rate, c->n ? 100.0 * (double)c->fails / (double)c->n : NAN, 2);
	snprintf(interval, sizeof interval, "%.2f-%.2f", 100 * lo, 100 * hi);
	fmt_num(mr, sizeof mr, c->model_ok ? 100 * c->model.fail_rate : NAN, 3);
	fmt_num(pr, sizeof pr, c->paper.have ? 100 * c->paper.fail / c->paper.all : NAN, 2);
	double half = c->successes > 1 ? REPLBENCH_Z95 * c->sd / sqrt((double)c->successes) : NAN;
	fmt_num(avg, sizeof avg, c->mean, 0);
	if (isnan(half))
		snprintf(ai, sizeof ai, "-");
	else
		snprintf(ai, sizeof ai, "%.0f-%.0f", c->mean - half, c->mean + half);
	fmt_num(ma, sizeof ma, c->model_ok ? c->model.rtt_mean_ms : NAN, 0);
	fmt_num(pa, sizeof pa, c->paper.have ? c->paper.rtt_avg : NAN, 0);
	fmt_num(sd, sizeof sd, c->sd, 0);
	fmt_num(ms, sizeof ms, c->model_ok ? c->model.rtt_std_ms : NAN, 0);
	fmt_num(ps, sizeof ps, c->paper.have ? c->paper.rtt_std : NAN, 0);
	fmt_num(p99, sizeof p99, c->p99, 0);
	fmt_num(m99, sizeof m99, c->model_ok ? c->model.rtt_p99_ms : NAN, 0);
	fmt_num(req, sizeof req, c->requests, 2);
	fmt_num(mreq, sizeof mreq, c->model_ok ? c->model.attempts : NAN, 2);
	if (!c->model_ok)
		snprintf(check, sizeof check, "no model");
	else if (!cell_flagged(c))
		snprintf(check, sizeof check, "ok");
	else
		snprintf(check, sizeof check, "FLAG%s%s%s", c->flag_rate ? " rate" : "", c->flag_mean ? " mean" : "",
		         c->flag_requests ? " requests" : "");
	fprintf(out, "  %-20s %6s %-13s %6s %6s %5lu %6lu | %6s %-11s %6s %5s | %5s %5s %5s | %5s %5s | %5s %5s | %s\n",
	        c->label, rate, interval, mr, pr, c->fails, c->n, avg, ai, ma, pa, sd, ms, ps, p99, m99, req, mreq, check);
}

static void print_block(const struct bench *b, FILE *out, const char *table, enum env_id env, const char *title,
                        const char *first)
{
	bool any = false;
	for (unsigned i = 0; i < b->cell_count; i++)
		any |= !strcmp(b->cells[i].table, table) && b->cells[i].env == env;
	if (!any)
		return;
	fprintf(out, "\n%s\n", title);
	print_header(out, first);
	for (unsigned i = 0; i < b->cell_count; i++)
		if (!strcmp(b->cells[i].table, table) && b->cells[i].env == env)
			print_row(out, &b->cells[i]);
}

static void print_tables(const struct bench *b, FILE *out)
{
	char title[256];
	fprintf(out, "replbench: %lu cases per cell (Table 7: %lu), scale %g, timeout %g ms, seed %lu, %lu jobs; "
	             "loopback overhead %.1f ms (sd %.1f) and timer lateness %.1f ms per attempt (unscaled)\n",
	        b->opt.cases, b->opt.table7_cases ? b->opt.table7_cases : b->opt.cases, b->opt.scale,
	        b->opt.timeout_ms, b->opt.seed, b->opt.jobs, b->overhead_ms, b->overhead_sd_ms, b->timer_late_ms);
	fprintf(out, "fan-out cost (unscaled ms) of starting k requests at once, k = 2..6:");
	for (unsigned k = 2; k <= REPLBENCH_REPLICAS; k++)
		fprintf(out, " %.1f", b->fanout_ms[k]);
	fprintf(out, "\n");
	fprintf(out, "R%% = failed cases; Avg/Std/p99 = RTT over successes (ms, unscaled); req = requests sent per case;\n"
	             "(95%%) = Wilson interval (R%%) and normal interval (Avg) of ours; model = closed-form expectation of the\n"
	             "injected model; check: FLAG when the model is implausible at alpha %g (two-sided), else ok.\n",
	        REPLBENCH_FLAG_ALPHA);
	for (int e = ENV_NORMAL; e <= ENV_FAULTY; e++) {
		snprintf(title, sizeof title, "Table 6. Performance of replication strategies: %s (%s)",
		         e == ENV_NORMAL ? "Correct Cases" : "Faulty Cases", envs[e].title);
		print_block(b, out, "6", (enum env_id)e, title, "strategy");
	}
	print_block(b, out, "7", ENV_NORMAL, "Table 7. Performance of replica numbers (Parallel): Correct Cases", "replicas");
	print_block(b, out, "7", ENV_FAULT5, "Table 7. Performance of replica numbers (Parallel): 5% Fault", "replicas");
	print_block(b, out, "hedge", ENV_NORMAL, "Past the paper: hedge(d, a-jp, a-us), normal environment", "policy");
	print_block(b, out, "quorum", ENV_NORMAL, "Past the paper: quorum(2, a-us, a-jp, a-ca) writes, normal environment", "policy");
	print_block(b, out, "quorum", ENV_FAULTY, "Past the paper: quorum(2, a-us, a-jp, a-ca) writes, faulty environment", "policy");
	print_block(b, out, "trace", ENV_TRACE, "Past the paper: the nine strategies over the real trace (dataset #2, services 0-5)", "strategy");
}

/* ---- CSV and charts ---- */

static enum replbench_status write_csv(const struct bench *b, const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "replbench: %s: %s\n", path, strerror(errno));
		return REPLBENCH_E_SYSTEM;
	}
	fprintf(f, "# replbench: cases %lu, scale %g, timeout_ms %g, seed %lu, jobs %lu, overhead_ms %.3f, timer_late_ms %.3f, fanout_ms",
	        b->opt.cases, b->opt.scale, b->opt.timeout_ms, b->opt.seed, b->opt.jobs, b->overhead_ms, b->timer_late_ms);
	for (unsigned k = 2; k <= REPLBENCH_REPLICAS; k++)
		fprintf(f, " %.3f", b->fanout_ms[k]);
	fprintf(f, "\n");
	fprintf(f, "table,env,cell,policy,replicas,cases,fail,fail_rate_pct,fail_lo95_pct,fail_hi95_pct,model_fail_rate_pct,"
	           "paper_fail_rate_pct,rtt_avg,rtt_lo95,rtt_hi95,rtt_std,rtt_p99,model_rtt_avg,model_rtt_std,model_rtt_p99,"
	           "paper_rtt_avg,paper_rtt_std,requests,model_requests,flag\n");
	for (unsigned i = 0; i < b->cell_count; i++) {
		const struct cell *c = &b->cells[i];
		double lo, hi;
		wilson((double)c->fails, (double)c->n, REPLBENCH_Z95, &lo, &hi);
		double half = c->successes > 1 ? REPLBENCH_Z95 * c->sd / sqrt((double)c->successes) : NAN;
		double nan = NAN;
		fprintf(f, "%s,%s,%s,\"%s\",%u,%lu,%lu,%.4f,%.4f,%.4f,%.4f,%.4f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.4f,%.4f,%s\n",
		        c->table, envs[c->env].name, c->label, c->policy, c->replicas, c->n, c->fails,
		        c->n ? 100.0 * (double)c->fails / (double)c->n : nan, 100 * lo, 100 * hi,
		        c->model_ok ? 100 * c->model.fail_rate : nan,
		        c->paper.have ? 100 * c->paper.fail / c->paper.all : nan, c->mean, c->mean - half, c->mean + half,
		        c->sd, c->p99, c->model_ok ? c->model.rtt_mean_ms : nan, c->model_ok ? c->model.rtt_std_ms : nan,
		        c->model_ok ? c->model.rtt_p99_ms : nan, c->paper.have ? c->paper.rtt_avg : nan,
		        c->paper.have ? c->paper.rtt_std : nan, c->requests, c->model_ok ? c->model.attempts : nan,
		        cell_flagged(c) ? "FLAG" : (c->model_ok ? "ok" : "no-model"));
	}
	if (fclose(f) != 0)
		return REPLBENCH_E_SYSTEM;
	return REPLBENCH_OK;
}

/* Data files for gnuplot: one per chart, whitespace separated, "-" never appears (NaN = NaN). */
static enum replbench_status write_chart_data(const struct bench *b, const char *dir)
{
	char path[1200];
	FILE *f;
	for (int e = ENV_NORMAL; e <= ENV_FAULTY; e++) {
		snprintf(path, sizeof path, "%s/table6-%s.dat", dir, envs[e].name);
		if (!(f = fopen(path, "w")))
			return REPLBENCH_E_SYSTEM;
		fprintf(f, "# strategy ours_avg ours_std paper_avg paper_std model_avg model_std\n");
		for (unsigned i = 0; i < b->cell_count; i++) {
			const struct cell *c = &b->cells[i];
			if (strcmp(c->table, "6") || c->env != (enum env_id)e)
				continue;
			fprintf(f, "\"%s\" %.2f %.2f %.2f %.2f %.2f %.2f\n", c->label, c->mean, c->sd, c->paper.rtt_avg,
			        c->paper.rtt_std, c->model_ok ? c->model.rtt_mean_ms : NAN, c->model_ok ? c->model.rtt_std_ms : NAN);
		}
		fclose(f);
	}
	for (int e = 0; e < 2; e++) {
		enum env_id env = e ? ENV_FAULT5 : ENV_NORMAL;
		snprintf(path, sizeof path, "%s/table7-%s.dat", dir, envs[env].name);
		if (!(f = fopen(path, "w")))
			return REPLBENCH_E_SYSTEM;
		fprintf(f, "# replicas ours_avg ours_std paper_avg paper_std model_avg ours_fail_pct paper_fail_pct model_fail_pct\n");
		for (unsigned i = 0; i < b->cell_count; i++) {
			const struct cell *c = &b->cells[i];
			if (strcmp(c->table, "7") || c->env != env)
				continue;
			fprintf(f, "%u %.2f %.2f %.2f %.2f %.2f %.4f %.4f %.4f\n", c->replicas, c->mean, c->sd, c->paper.rtt_avg,
			        c->paper.rtt_std, c->model_ok ? c->model.rtt_mean_ms : NAN, 100.0 * (double)c->fails / (double)c->n,
			        100 * c->paper.fail / c->paper.all, c->model_ok ? 100 * c->model.fail_rate : NAN);
		}
		fclose(f);
	}
	snprintf(path, sizeof path, "%s/hedge.dat", dir);
	if (!(f = fopen(path, "w")))
		return REPLBENCH_E_SYSTEM;
	fprintf(f, "# label requests p99 model_requests model_p99 avg\n");
	for (unsigned i = 0; i < b->cell_count; i++) {
		const struct cell *c = &b->cells[i];
		if (strcmp(c->table, "hedge"))
			continue;
		fprintf(f, "\"%s\" %.4f %.2f %.4f %.2f %.2f\n", c->label, c->requests, c->p99,
		        c->model_ok ? c->model.attempts : NAN, c->model_ok ? c->model.rtt_p99_ms : NAN, c->mean);
	}
	fclose(f);
	return REPLBENCH_OK;
}

static const char gnuplot_script[] =
	"# replbench.gnuplot: written by replbench next to its data; run from that directory.\n"
	"png_term = strstrt(GPVAL_TERMINALS, 'pngcairo') > 0 ? 'pngcairo' : 'png'\n"
	"set datafile missing 'nan'\n"
	"set style data histogram\n"
	"set style histogram errorbars gap 2 lw 1\n"
	"set style fill solid 0.6 border -1\n"
	"set boxwidth 0.9\n"
	"set key top left\n"
	"set grid ytics\n"
	"set ylabel 'RTT over successes (ms)'\n"
	"set xtics rotate by -30\n"
	"do for [fmt in 'png svg'] {\n"
	"  if (fmt eq 'png') { eval('set terminal '.png_term.' size 1200,520') } else { set terminal svg size 1200,520 }\n"
	"  set output 'rtt-strategies.'.fmt\n"
	"  set multiplot layout 1,2 title 'WS-DREAM Table 6: RTT avg +- std per strategy, ours (librepl over replfault) vs the paper'\n"
	"  set title 'normal environment'\n"
	"  set yrange [0:*]\n"
	"  plot 'table6-normal.dat' using 2:3:xtic(1) title 'ours', '' using 4:5 title 'paper', '' using 6:7 title 'model'\n"
	"  set title 'faulty environment'\n"
	"  plot 'table6-faulty.dat' using 2:3:xtic(1) title 'ours', '' using 4:5 title 'paper', '' using 6:7 title 'model'\n"
	"  unset multiplot\n"
	"  set output 'rtt-replicas.'.fmt\n"
	"  set multiplot layout 1,2 title 'WS-DREAM Table 7: Parallel over 2..6 replicas, RTT avg +- std'\n"
	"  set title 'normal environment'\n"
	"  plot 'table7-normal.dat' using 2:3:xtic(1) title 'ours', '' using 4:5 title 'paper'\n"
	"  set title '5% faults'\n"
	"  plot 'table7-fault5.dat' using 2:3:xtic(1) title 'ours', '' using 4:5 title 'paper'\n"
	"  unset multiplot\n"
	"}\n"
	"set style data linespoints\n"
	"set xtics norotate\n"
	"set xlabel 'requests sent per case'\n"
	"set ylabel 'p99 RTT (ms)'\n"
	"set key top right\n"
	"set autoscale\n"
	"set xrange [0.9:2.2]\n"
	"do for [fmt in 'png svg'] {\n"
	"  if (fmt eq 'png') { eval('set terminal '.png_term.' size 800,520') } else { set terminal svg size 800,520 }\n"
	"  set output 'hedge.'.fmt\n"
	"  set title 'hedge(d, a-jp, a-us): the price of a shorter tail'\n"
	"  plot 'hedge.dat' using 2:3 title 'ours' pt 7, '' using 2:3:1 with labels offset 1,1 notitle, "
	"'' using 4:5 title 'model' pt 6\n"
	"}\n";

static enum replbench_status draw_charts(const char *dir)
{
	char path[1200];
	snprintf(path, sizeof path, "%s/replbench.gnuplot", dir);
	FILE *f = fopen(path, "w");
	if (!f || fputs(gnuplot_script, f) < 0) {
		if (f)
			fclose(f);
		return REPLBENCH_E_SYSTEM;
	}
	if (fclose(f) != 0)
		return REPLBENCH_E_SYSTEM;
	pid_t pid;
	char *argv[] = {"gnuplot", "replbench.gnuplot", NULL};
	posix_spawn_file_actions_t actions;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addchdir_np(&actions, dir);
	int rc = posix_spawnp(&pid, "gnuplot", &actions, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	if (rc != 0) {
		fprintf(stderr, "replbench: gnuplot: %s (charts not drawn; the data is in %s)\n", strerror(rc), dir);
		return REPLBENCH_E_SYSTEM;
	}
	int wstatus;
	while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
		fprintf(stderr, "replbench: gnuplot failed on %s\n", path);
		return REPLBENCH_E_SYSTEM;
	}
	return REPLBENCH_OK;
}

/* ---- main ---- */

static void usage(FILE *out)
{
	fputs("usage: replbench [--replfault PATH] [--data DIR] [--location LOC] [--port-base P] [--scale S]\n"
	      "                 [--cases N] [--table7-cases N] [--jobs J] [--seed N] [--timeout-ms T]\n"
	      "                 [--step-ms H] [--out DIR]\n"
	      "                 [--sections 6,7,hedge,quorum,trace] [--model-only]\n"
	      "Runs the WS-DREAM Tables 6 and 7 (and more) with librepl against replfault; exit 0 when no\n"
	      "cell is flagged, 1 when one is, 2 on errors.\n", out);
}

enum opt_kind { OPT_STRING, OPT_DOUBLE, OPT_ULONG, OPT_FLAG };

struct opt_spec {
	const char *name;
	enum opt_kind kind;
	size_t offset;
	double lo, hi;
};

static const struct opt_spec opt_specs[] = {
	{"--replfault", OPT_STRING, offsetof(struct options, replfault), 0, 0},
	{"--data", OPT_STRING, offsetof(struct options, data), 0, 0},
	{"--location", OPT_STRING, offsetof(struct options, location), 0, 0},
	{"--out", OPT_STRING, offsetof(struct options, out), 0, 0},
	{"--sections", OPT_STRING, offsetof(struct options, sections), 0, 0},
	{"--scale", OPT_DOUBLE, offsetof(struct options, scale), 0.001, 10},
	{"--timeout-ms", OPT_DOUBLE, offsetof(struct options, timeout_ms), 1, 600000},
	{"--step-ms", OPT_DOUBLE, offsetof(struct options, step_ms), 0.05, 100},
	{"--cases", OPT_ULONG, offsetof(struct options, cases), 1, REPLBENCH_CASES_MAX},
	{"--table7-cases", OPT_ULONG, offsetof(struct options, table7_cases), 0, REPLBENCH_CASES_MAX},
	{"--jobs", OPT_ULONG, offsetof(struct options, jobs), 1, REPLBENCH_JOBS_MAX},
	{"--seed", OPT_ULONG, offsetof(struct options, seed), 0, 1e15},
	{"--port-base", OPT_ULONG, offsetof(struct options, port_base), 1024, 65535 - 20},
	{"--model-only", OPT_FLAG, offsetof(struct options, model_only), 0, 0},
};

static enum replbench_status parse_options(int argc, char **argv, struct options *opt)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			exit(0);
		}
		const struct opt_spec *spec = NULL;
		for (size_t k = 0; k < sizeof opt_specs / sizeof opt_specs[0]; k++)
			if (!strcmp(argv[i], opt_specs[k].name))
				spec = &opt_specs[k];
		if (!spec) {
			fprintf(stderr, "replbench: unknown option %s\n", argv[i]);
			return REPLBENCH_E_USAGE;
		}
		char *field = (char *)opt + spec->offset;
		if (spec->kind == OPT_FLAG) {
			*(bool *)(void *)field = true;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "replbench: %s needs a value\n", argv[i]);
			return REPLBENCH_E_USAGE;
		}
		const char *value = argv[++i];
		bool ok = true;
		unsigned long ul;
		switch (spec->kind) {
		case OPT_STRING:
			*(const char **)(void *)field = value;
			break;
		case OPT_DOUBLE:
			ok = parse_double(value, spec->lo, spec->hi, (double *)(void *)field);
			break;
		case OPT_ULONG:
			ok = parse_ulong(value, (unsigned long)spec->lo, (unsigned long)spec->hi, &ul);
			if (ok && spec->offset == offsetof(struct options, port_base))
				opt->port_base = (long)ul;
			else if (ok)
				*(unsigned long *)(void *)field = ul;
			break;
		case OPT_FLAG:
			break;
		}
		if (!ok) {
			fprintf(stderr, "replbench: bad value for %s: %s\n", spec->name, value);
			return REPLBENCH_E_USAGE;
		}
	}
	return REPLBENCH_OK;
}

static enum replbench_status make_dirs(const char *path)
{
	char buf[1024];
	size_t len = strlen(path);
	if (len == 0 || len >= sizeof buf)
		return REPLBENCH_E_USAGE;
	memcpy(buf, path, len + 1);
	for (size_t i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char keep = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
			fprintf(stderr, "replbench: mkdir %s: %s\n", buf, strerror(errno));
			return REPLBENCH_E_SYSTEM;
		}
		buf[i] = keep;
	}
	return REPLBENCH_OK;
}

int main(int argc, char **argv)
{
	static struct bench bench;
	struct bench *b = &bench;
	b->opt = (struct options){
		.replfault = "replication/tools/replfault",
		.data = "test/data/wsdream",
		.location = "hong-kong",
		.out = "var/replbench",
		.sections = "6,7,hedge,quorum,trace",
		.scale = 0.1,
		.timeout_ms = 10000,
		.step_ms = 2,
		.cases = 100,
		.jobs = 4,
		.seed = 1,
		.port_base = -1,
	};
	enum replbench_status status = parse_options(argc, argv, &b->opt);
	struct child ch = {0};
	if (status)
		goto out;
	if (!b->opt.model_only && b->opt.port_base < 0) {
		fprintf(stderr, "replbench: --port-base is required (replfault listens on P..P+11)\n");
		status = REPLBENCH_E_USAGE;
		goto out;
	}
	signal(SIGPIPE, SIG_IGN);
	struct sigaction stop = {.sa_handler = on_stop_signal};
	sigemptyset(&stop.sa_mask);
	sigaction(SIGINT, &stop, NULL);
	sigaction(SIGTERM, &stop, NULL);
	char err[256];
	char path[1200];
	size_t loaded = 0;
	snprintf(path, sizeof path, "%s/wsdream-per-replica.csv", b->opt.data);
	if (faultmodel_load_profile(path, b->opt.location, replica_names, REPLBENCH_REPLICAS, b->profile,
	                            REPLBENCH_REPLICAS, &loaded, err, sizeof err) != FAULTMODEL_LOAD_OK) {
		fprintf(stderr, "replbench: %s\n", err);
		status = REPLBENCH_E_DATA;
		goto out;
	}
	snprintf(b->trace_path, sizeof b->trace_path, "%s/dataset2-sample-rtdata.txt", b->opt.data);
	status = cells_build(b);
	if (status)
		goto out;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		status = REPLBENCH_E_SYSTEM;
		goto out;
	}

	int64_t t0 = now_us();
	if (!b->opt.model_only) {
		status = make_dirs(b->opt.out);
		if (status)
			goto out;
		status = calibrate_timer(b);
		if (status)
			goto out;
		/* Environments alternate between two port ranges so a port just closed is not reused. */
		unsigned started = 0;
		for (int e = 0; e < ENV_COUNT; e++) {
			bool any = e == ENV_NORMAL;
			for (unsigned i = 0; i < b->cell_count; i++)
				any |= b->cells[i].env == (enum env_id)e;
			if (!any)
				continue;
			long port = b->opt.port_base + (long)(started++ % 2) * 10;
			status = child_start(b, (enum env_id)e, port, &ch);
			if (status)
				goto out;
			if (e == ENV_NORMAL)
				status = calibrate_overhead(b, port);
			for (unsigned i = 0; !status && i < b->cell_count; i++) {
				if (b->cells[i].env != (enum env_id)e)
					continue;
				fprintf(stderr, "replbench: %-6s %-5s %s\n", envs[e].name, b->cells[i].table, b->cells[i].label);
				status = run_cell(b, &b->cells[i], i, port);
			}
			child_stop(&ch);
			if (status)
				goto out;
		}
	}
	for (unsigned i = 0; i < b->cell_count; i++) {
		model_cell(b, &b->cells[i]);
		check_cell(&b->cells[i], b->overhead_sd_ms, b->opt.scale);
	}
	print_tables(b, stdout);
	unsigned flagged = 0, checked = 0;
	for (unsigned i = 0; i < b->cell_count; i++) {
		checked += b->cells[i].model_ok && b->cells[i].n > 0;
		flagged += cell_flagged(&b->cells[i]);
	}
	if (!b->opt.model_only) {
		snprintf(path, sizeof path, "%s/replbench.csv", b->opt.out);
		status = write_csv(b, path);
		if (!status)
			status = write_chart_data(b, b->opt.out);
		if (status)
			goto out;
		/* A missing gnuplot costs the charts, not the run: the data files stay for later. */
		draw_charts(b->opt.out);
		printf("\nflagged: %u of %u cells checked against the model; %.1f s; CSV and charts in %s\n", flagged,
		       checked, (double)(now_us() - t0) / 1e6, b->opt.out);
	}
	status = flagged ? REPLBENCH_FLAGGED : REPLBENCH_OK;
out:
	child_stop(&ch);
	for (unsigned i = 0; i < b->cell_count; i++)
		free(b->cells[i].rtt);
	curl_global_cleanup();
	if (status == REPLBENCH_E_USAGE)
		usage(stderr);
	return status == REPLBENCH_OK ? 0 : status == REPLBENCH_FLAGGED ? 1 : 2;
}
