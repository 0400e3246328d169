/*
 * test_observations.c: core/observations.c both ways.
 * - The flush: a period taken as the difference of two cumulative totals equals the statistics of
 *   that period's attempts computed on their own (two passes): counts and buckets exactly, mean
 *   and deviation to many digits even after a long history, min and max exactly when they moved
 *   and otherwise bounded on the right side within their bucket; nothing new is no period, and
 *   totals that went down are refused.
 * - The tables: minutes merged over a window, per location and over every location, against
 *   numbers Python's statistics module computed from the raw samples (mean, stdev: the sample
 *   deviation; nearest-rank percentiles over the log2 buckets' upper edges). Each stored minute is
 *   made here from its own samples with the two-pass formulas, as the timer child would store it;
 *   only the merge is under test. Also: the table's order, its refusals and the page's windows.
 * - Both: periods cut anywhere out of one stream, merged again, give the stream's figures.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/observations.h"

/* ---- the flush ---- */

/* The segment's way: Welford per success, min, max, and the bucket of each RTT in µs. */
static void add_success(struct observations_totals *t, uint64_t rtt_us)
{
	double x = (double)rtt_us / 1000.0;
	t->successes++;
	double delta = x - t->mean_ms;
	t->mean_ms += delta / (double)t->successes;
	t->m2_ms2 += delta * (x - t->mean_ms);
	if (t->successes == 1 || rtt_us < t->min_us)
		t->min_us = rtt_us;
	if (t->successes == 1 || rtt_us > t->max_us)
		t->max_us = rtt_us;
	unsigned bucket = rtt_us < 2 ? 0 : 63u - (unsigned)__builtin_clzll(rtt_us);
	t->histogram[bucket < OBSERVATIONS_BUCKETS ? bucket : OBSERVATIONS_BUCKETS - 1]++;
}

/* A period's values on their own, in two passes. */
struct reference {
	uint64_t n;
	double mean, std;
	uint64_t min_us, max_us;
};

static struct reference two_pass(const uint64_t *values, size_t n)
{
	struct reference r = {.n = n, .min_us = UINT64_MAX};
	double sum = 0;
	for (size_t i = 0; i < n; i++) {
		sum += (double)values[i] / 1000.0;
		r.min_us = values[i] < r.min_us ? values[i] : r.min_us;
		r.max_us = values[i] > r.max_us ? values[i] : r.max_us;
	}
	r.mean = sum / (double)n;
	double squares = 0;
	for (size_t i = 0; i < n; i++) {
		double d = (double)values[i] / 1000.0 - r.mean;
		squares += d * d;
	}
	r.std = n > 1 ? sqrt(squares / (double)(n - 1)) : 0;
	return r;
}

static uint64_t next_random(uint64_t *state)
{
	*state = *state * 6364136223846793005u + 1442695040888963407u;
	return *state >> 33;
}

static void assert_close(double got, double want, double relative)
{
	double tolerance = fabs(want) * relative + 1e-12;
	if (fabs(got - want) > tolerance)
		fail_msg("%.17g is not within %g of %.17g", got, relative, want);
}

/* A segment never flushed: the period is everything, min and max exact. */
static void test_first_period_is_the_totals(void **state)
{
	(void)state;
	struct observations_totals mark = {0}, now = {0};
	uint64_t values[] = {1200, 800, 45000, 3100, 3100};
	for (size_t i = 0; i < 5; i++)
		add_success(&now, values[i]);
	now.fail[OBSERVATIONS_TIMEOUT] = 2;
	now.fail[OBSERVATIONS_OTHER] = 1;
	struct observations_period p;
	assert_int_equal(observations_period_between(&mark, &now, &p), OBSERVATIONS_OK);
	struct reference r = two_pass(values, 5);
	assert_int_equal(p.attempts, 8);
	assert_int_equal(p.successes, 5);
	assert_int_equal(p.fail[OBSERVATIONS_TIMEOUT], 2);
	assert_int_equal(p.fail[OBSERVATIONS_CONNECT], 0);
	assert_int_equal(p.fail[OBSERVATIONS_OTHER], 1);
	assert_close(p.mean_ms, r.mean, 1e-12);
	assert_close(p.std_ms, r.std, 1e-12);
	assert_true(p.min_exact && p.max_exact);
	assert_true(p.min_ms == 0.8 && p.max_ms == 45.0);
	assert_int_equal(p.histogram[9], 1);   /* 800 µs: [512, 1024) */
	assert_int_equal(p.histogram[10], 1);  /* 1200 */
	assert_int_equal(p.histogram[11], 2);  /* 3100 twice */
	assert_int_equal(p.histogram[15], 1);  /* 45000: [32768, 65536) */
}

/* After a long history, a short period's mean and deviation still come out to many digits. */
static void test_short_period_after_long_history(void **state)
{
	(void)state;
	static uint64_t period_values[1000];
	struct observations_totals mark = {0};
	uint64_t seed = 7;
	for (size_t i = 0; i < 2000000; i++)
		add_success(&mark, 90000 + next_random(&seed) % 20000);  /* 90-110 ms */
	struct observations_totals now = mark;
	for (size_t i = 0; i < 1000; i++) {
		period_values[i] = 480000 + next_random(&seed) % 40000;  /* 480-520 ms: a replica slowed */
		add_success(&now, period_values[i]);
	}
	struct observations_period p;
	assert_int_equal(observations_period_between(&mark, &now, &p), OBSERVATIONS_OK);
	struct reference r = two_pass(period_values, 1000);
	assert_int_equal(p.successes, 1000);
	assert_int_equal(p.attempts, 1000);
	assert_close(p.mean_ms, r.mean, 1e-7);
	assert_close(p.std_ms, r.std, 1e-5);
	/* The max moved: exact. The min did not (the history's is lower): a bound within its bucket. */
	assert_true(p.max_exact);
	assert_true(p.max_ms * 1000.0 == (double)r.max_us);
	assert_false(p.min_exact);
	assert_true(p.min_ms * 1000.0 <= (double)r.min_us);
	assert_true(p.min_ms * 1000.0 * 2.0 > (double)r.min_us);
}

/* The segment's rows give the deviation, not M2: rebuilt from it, the period is the same. */
static void test_m2_rebuilt_from_the_deviation(void **state)
{
	(void)state;
	struct observations_totals mark = {0}, now;
	uint64_t seed = 11;
	uint64_t values[500];
	for (size_t i = 0; i < 100000; i++)
		add_success(&mark, 1000 + next_random(&seed) % 9000);
	now = mark;
	for (size_t i = 0; i < 500; i++) {
		values[i] = 2000 + next_random(&seed) % 3000;
		add_success(&now, values[i]);
	}
	for (struct observations_totals *t = &mark; t != NULL; t = t == &mark ? &now : NULL) {
		double std = sqrt(t->m2_ms2 / (double)(t->successes - 1));
		t->m2_ms2 = observations_m2_from_std(t->successes, std);
	}
	struct observations_period p;
	assert_int_equal(observations_period_between(&mark, &now, &p), OBSERVATIONS_OK);
	struct reference r = two_pass(values, 500);
	assert_close(p.mean_ms, r.mean, 1e-9);
	assert_close(p.std_ms, r.std, 1e-6);
	/* Inside the history's range both ends are bounds: min never above, max never below. */
	assert_false(p.min_exact || p.max_exact);
	assert_true(p.min_ms * 1000.0 <= (double)r.min_us && p.min_ms * 2000.0 > (double)r.min_us);
	assert_true(p.max_ms * 1000.0 >= (double)r.max_us && p.max_ms * 1000.0 < 2.0 * (double)r.max_us + 1);
	assert_true(observations_m2_from_std(1, 5.0) == 0.0);
}

/* A period whose successes all fall in the bucket of the history's min: the bound is that min. */
static void test_bounds_never_pass_the_totals(void **state)
{
	(void)state;
	struct observations_totals mark = {0}, now;
	add_success(&mark, 1100);  /* bucket [1024, 2048) */
	add_success(&mark, 1900);
	now = mark;
	add_success(&now, 1500);
	add_success(&now, 1600);
	struct observations_period p;
	assert_int_equal(observations_period_between(&mark, &now, &p), OBSERVATIONS_OK);
	assert_false(p.min_exact || p.max_exact);
	assert_true(p.min_ms == 1.1);   /* max(1024, the min so far) */
	assert_true(p.max_ms == 1.9);   /* min(2047, the max so far) */
	assert_close(p.mean_ms, 1.55, 1e-12);
	assert_close(p.std_ms, sqrt(0.005), 1e-9);
	/* One success in a period: no deviation. */
	struct observations_totals later = now;
	add_success(&later, 1700);
	assert_int_equal(observations_period_between(&now, &later, &p), OBSERVATIONS_OK);
	assert_int_equal(p.successes, 1);
	assert_close(p.mean_ms, 1.7, 1e-9);
	assert_true(p.std_ms == 0.0);
}

/* Failures only: a period with counts and no RTT. Nothing new: no period. Fewer: refused. */
static void test_failures_empty_and_backwards(void **state)
{
	(void)state;
	struct observations_totals mark = {0}, now;
	add_success(&mark, 5000);
	mark.fail[OBSERVATIONS_CONNECT] = 4;
	now = mark;
	now.fail[OBSERVATIONS_CONNECT] = 10;
	now.fail[OBSERVATIONS_PROTOCOL] = 1;
	struct observations_period p;
	assert_int_equal(observations_period_between(&mark, &now, &p), OBSERVATIONS_OK);
	assert_int_equal(p.attempts, 7);
	assert_int_equal(p.successes, 0);
	assert_int_equal(p.fail[OBSERVATIONS_CONNECT], 6);
	assert_int_equal(p.fail[OBSERVATIONS_PROTOCOL], 1);
	assert_int_equal(observations_attempts(&now), 12);

	assert_int_equal(observations_period_between(&now, &now, &p), OBSERVATIONS_EMPTY);
	assert_int_equal(observations_period_between(&now, &mark, &p), OBSERVATIONS_BACKWARDS);
	struct observations_totals fewer = now;
	fewer.histogram[12] = 0;  /* 5000 µs lives in bucket 12 */
	assert_int_equal(observations_period_between(&now, &fewer, &p), OBSERVATIONS_BACKWARDS);
}

/* Periods cut anywhere add up to the whole: the sum of their counts is the total's. */
static void test_periods_add_up(void **state)
{
	(void)state;
	struct observations_totals totals = {0}, mark = {0};
	uint64_t seed = 3, successes = 0, attempts = 0;
	for (int flush = 0; flush < 50; flush++) {
		uint64_t more = next_random(&seed) % 200;
		for (uint64_t i = 0; i < more; i++) {
			if (next_random(&seed) % 10 == 0)
				totals.fail[next_random(&seed) % OBSERVATIONS_CAUSES]++;
			else
				add_success(&totals, 100 + next_random(&seed) % 100000);
		}
		struct observations_period p;
		enum observations_status status = observations_period_between(&mark, &totals, &p);
		assert_int_equal(status, more == 0 ? OBSERVATIONS_EMPTY : OBSERVATIONS_OK);
		successes += p.successes;
		attempts += p.attempts;
		mark = totals;
	}
	assert_int_equal(successes, totals.successes);
	assert_int_equal(attempts, observations_attempts(&totals));
}

/* ---- the tables ---- */

#define SAMPLES_MAX 8

struct sample_minute {
	const char *location, *operation, *replica;
	uint64_t samples_us[SAMPLES_MAX];   /* successes' RTTs, 0-terminated */
	uint64_t fail[OBSERVATIONS_CAUSES];
};

/* The data of test/unit's Python check (see the file's comment): two locations of one S3 replica,
 * a minute with one success, a minute with none; and a database replica on the side. */
static const struct sample_minute test_minutes[] = {
	{"eu-west-1a", "s3.get", "us", {12000, 15500, 9800, 30200}, {1, 0, 0, 0}},
	{"eu-west-1a", "s3.get", "us", {11000, 250000, 14100}, {0, 2, 0, 0}},
	{"eu-west-1a", "s3.get", "us", {40500}, {0, 0, 0, 0}},
	{"ap-east-1b", "s3.get", "us", {48000, 52500, 61000, 47000, 120000}, {0, 0, 0, 0}},
	{"ap-east-1b", "s3.get", "us", {0}, {3, 0, 1, 0}},
	{"eu-west-1a", "db.read", "standby", {900, 1100}, {0, 0, 0, 1}},
};

/* A stored minute from samples: two-pass mean and sample deviation, min, max, log2 buckets. */
static void minute_of(const struct sample_minute *in, struct observations_minute *out)
{
	memset(out, 0, sizeof(*out));
	out->location = in->location;
	out->operation = in->operation;
	out->replica = in->replica;
	size_t n = 0;
	double sum = 0;
	while (n < SAMPLES_MAX && in->samples_us[n] != 0)
		sum += (double)in->samples_us[n++] / 1000.0;
	out->successes = n;
	out->attempts = n;
	for (unsigned c = 0; c < OBSERVATIONS_CAUSES; c++) {
		out->fail[c] = in->fail[c];
		out->attempts += in->fail[c];
	}
	if (n == 0)
		return;
	out->rtt_mean_ms = sum / (double)n;
	double squares = 0;
	out->rtt_min_ms = out->rtt_max_ms = (double)in->samples_us[0] / 1000.0;
	for (size_t i = 0; i < n; i++) {
		double x = (double)in->samples_us[i] / 1000.0;
		squares += (x - out->rtt_mean_ms) * (x - out->rtt_mean_ms);
		out->rtt_min_ms = x < out->rtt_min_ms ? x : out->rtt_min_ms;
		out->rtt_max_ms = x > out->rtt_max_ms ? x : out->rtt_max_ms;
		unsigned bucket = 0;
		for (uint64_t v = in->samples_us[i]; v > 1; v >>= 1)
			bucket++;
		out->histogram[bucket]++;
	}
	out->rtt_std_ms = n > 1 ? sqrt(squares / (double)(n - 1)) : 0.0;
}

static struct observations_tally test_space[64];
static struct observations_table test_table;

static void fill_table(void)
{
	observations_table_init(&test_table, test_space, 64);
	for (size_t i = 0; i < sizeof(test_minutes) / sizeof(test_minutes[0]); i++) {
		struct observations_minute minute;
		minute_of(&test_minutes[i], &minute);
		assert_int_equal(observations_add(&test_table, &minute), 0);
	}
}

static const struct observations_tally *tally_of(const char *location, const char *operation, const char *replica)
{
	for (size_t i = 0; i < test_table.count; i++) {
		const struct observations_tally *t = &test_table.tallies[i];
		if (strcmp(t->location, location) == 0 && strcmp(t->operation, operation) == 0 &&
		    strcmp(t->replica, replica) == 0)
			return t;
	}
	fail_msg("no tally for %s %s %s", location, operation, replica);
	return NULL;
}

struct expected {
	uint64_t all, fail, timeout, connect, protocol, other;
	double r_percent, avg, std, min, max, p50, p99;
};

static void assert_figures(const struct observations_tally *tally, const struct expected *want)
{
	struct observations_figures f;
	observations_figures(tally, &f);
	assert_int_equal(f.all, want->all);
	assert_int_equal(f.fail, want->fail);
	assert_int_equal(f.fail_by[OBSERVATIONS_TIMEOUT], want->timeout);
	assert_int_equal(f.fail_by[OBSERVATIONS_CONNECT], want->connect);
	assert_int_equal(f.fail_by[OBSERVATIONS_PROTOCOL], want->protocol);
	assert_int_equal(f.fail_by[OBSERVATIONS_OTHER], want->other);
	assert_true(f.has_all && f.has_rtt);
	assert_float_equal(f.r_percent, want->r_percent, 1e-6);
	assert_float_equal(f.avg_ms, want->avg, 1e-6);
	assert_float_equal(f.std_ms, want->std, 1e-6);
	assert_float_equal(f.min_ms, want->min, 1e-9);
	assert_float_equal(f.max_ms, want->max, 1e-9);
	assert_float_equal(f.p50_ms, want->p50, 1e-9);
	assert_float_equal(f.p99_ms, want->p99, 1e-9);
}

/* Python: statistics.mean/stdev over the 8 samples of eu-west-1a, the 5 of ap-east-1b, all 13. */
static void test_locations_apart_and_together(void **state)
{
	(void)state;
	fill_table();
	const struct expected eu = {11, 3, 1, 2, 0, 0, 100.0 * 3 / 11, 47.8875, 82.381246782, 9.8, 250.0, 16.384, 262.144};
	const struct expected ap = {9, 4, 3, 0, 1, 0, 100.0 * 4 / 9, 65.7, 30.853686976, 47.0, 120.0, 65.536, 131.072};
	const struct expected every = {20, 7, 4, 2, 1, 0, 35.0, 54.738461538, 66.011836545, 9.8, 250.0, 65.536, 262.144};
	assert_figures(tally_of("eu-west-1a", "s3.get", "us"), &eu);
	assert_figures(tally_of("ap-east-1b", "s3.get", "us"), &ap);
	assert_figures(tally_of("", "s3.get", "us"), &every);
	/* s3.get/us in two places and in all, db.read/standby in one and in all. */
	assert_int_equal(test_table.count, 5);
	assert_false(test_table.full);
}

static void test_order_puts_every_location_last(void **state)
{
	(void)state;
	fill_table();
	observations_sort(&test_table);
	static const char *const order[][3] = {
		{"eu-west-1a", "db.read", "standby"}, {"", "db.read", "standby"},
		{"ap-east-1b", "s3.get", "us"}, {"eu-west-1a", "s3.get", "us"}, {"", "s3.get", "us"},
	};
	assert_int_equal(test_table.count, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_string_equal(test_table.tallies[i].location, order[i][0]);
		assert_string_equal(test_table.tallies[i].operation, order[i][1]);
		assert_string_equal(test_table.tallies[i].replica, order[i][2]);
	}
	/* Adding after the sort finds the moved tallies. */
	struct observations_minute minute;
	minute_of(&test_minutes[5], &minute);
	assert_int_equal(observations_add(&test_table, &minute), 0);
	assert_int_equal(test_table.count, 5);
	assert_int_equal(test_table.tallies[0].attempts, 6);
}

static void test_no_successes_no_rtt(void **state)
{
	(void)state;
	observations_table_init(&test_table, test_space, 64);
	struct observations_minute minute;
	minute_of(&test_minutes[4], &minute);
	assert_int_equal(observations_add(&test_table, &minute), 0);
	struct observations_figures f;
	observations_figures(tally_of("ap-east-1b", "s3.get", "us"), &f);
	assert_int_equal(f.all, 4);
	assert_float_equal(f.r_percent, 100.0, 1e-9);
	assert_false(f.has_rtt);
	uint64_t empty[OBSERVATIONS_BUCKETS] = {0};
	assert_true(isnan(observations_percentile(empty, 50.0)));
}

static void test_refusals(void **state)
{
	(void)state;
	struct observations_minute minute;
	minute_of(&test_minutes[0], &minute);
	observations_table_init(&test_table, test_space, 3);
	minute.location = "";
	assert_int_equal(observations_add(&test_table, &minute), -1);
	minute.location = "a-location-name-of-sixty-four-characters-which-is-one-too-many-x";
	assert_int_equal(strlen(minute.location), 64);
	assert_int_equal(observations_add(&test_table, &minute), -1);
	/* Room for 3: one place and every place take 2, a second place needs 1 more, a third none. */
	static const char *const places[] = {"a", "b", "c"};
	for (size_t i = 0; i < 3; i++) {
		minute.location = places[i];
		assert_int_equal(observations_add(&test_table, &minute), i < 2 ? 0 : -1);
	}
	assert_true(test_table.full);
}

static void test_windows(void **state)
{
	(void)state;
	assert_non_null(observations_window_find("7d"));
	assert_int_equal(observations_window_find("1d")->seconds, 86400);
	assert_null(observations_window_find("1w"));
	assert_null(observations_window_find(NULL));
}

/* ---- both ways ---- */

/* A stream cut into periods at random flushes, each stored as the timer stores it (the sample
 * deviation, not M2), then merged over the window: the stream's own mean and deviation. */
static void test_periods_merged_give_the_stream(void **state)
{
	(void)state;
	struct observations_totals totals = {0}, mark = {0};
	uint64_t seed = 5;
	observations_table_init(&test_table, test_space, 64);
	for (int flush = 0; flush < 40; flush++) {
		uint64_t more = 1 + next_random(&seed) % 300;
		for (uint64_t i = 0; i < more; i++)
			add_success(&totals, 2000 + next_random(&seed) % 60000);
		struct observations_period p;
		assert_int_equal(observations_period_between(&mark, &totals, &p), OBSERVATIONS_OK);
		struct observations_minute minute = {
			.location = "eu-west-1a", .operation = "s3.get", .replica = "de",
			.attempts = p.attempts, .successes = p.successes,
			.rtt_mean_ms = p.mean_ms, .rtt_std_ms = p.std_ms, .rtt_min_ms = p.min_ms, .rtt_max_ms = p.max_ms,
		};
		memcpy(minute.histogram, p.histogram, sizeof(minute.histogram));
		assert_int_equal(observations_add(&test_table, &minute), 0);
		mark = totals;
	}
	struct observations_figures f;
	observations_figures(tally_of("", "s3.get", "de"), &f);
	assert_int_equal(f.all, totals.successes);
	assert_close(f.avg_ms, totals.mean_ms, 1e-9);
	assert_close(f.std_ms, sqrt(totals.m2_ms2 / (double)(totals.successes - 1)), 1e-9);
	assert_close(f.min_ms, (double)totals.min_us / 1000.0, 1e-15);
	assert_close(f.max_ms, (double)totals.max_us / 1000.0, 1e-15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_period_is_the_totals),
		cmocka_unit_test(test_short_period_after_long_history),
		cmocka_unit_test(test_m2_rebuilt_from_the_deviation),
		cmocka_unit_test(test_bounds_never_pass_the_totals),
		cmocka_unit_test(test_failures_empty_and_backwards),
		cmocka_unit_test(test_periods_add_up),
		cmocka_unit_test(test_locations_apart_and_together),
		cmocka_unit_test(test_order_puts_every_location_last),
		cmocka_unit_test(test_no_successes_no_rtt),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_periods_merged_give_the_stream),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
