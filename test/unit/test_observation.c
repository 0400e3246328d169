/*
 * test_observation.c: a period of replica statistics taken as the difference of two cumulative
 * totals equals the statistics of that period's attempts computed on their own (two passes):
 * counts and buckets exactly, mean and deviation to many digits even after a long history, min
 * and max exactly when they moved and otherwise bounded on the right side within their bucket;
 * nothing new is no period, and totals that went down are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <math.h>

#include "core/observation.h"

/* The segment's way: Welford per success, min, max, and the bucket of each RTT in µs. */
static void add_success(struct observation_totals *t, uint64_t rtt_us)
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
	t->histogram[bucket < OBSERVATION_BUCKETS ? bucket : OBSERVATION_BUCKETS - 1]++;
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
	struct observation_totals mark = {0}, now = {0};
	uint64_t values[] = {1200, 800, 45000, 3100, 3100};
	for (size_t i = 0; i < 5; i++)
		add_success(&now, values[i]);
	now.fail[OBSERVATION_TIMEOUT] = 2;
	now.fail[OBSERVATION_OTHER] = 1;
	struct observation_period p;
	assert_int_equal(observation_period_between(&mark, &now, &p), OBSERVATION_OK);
	struct reference r = two_pass(values, 5);
	assert_int_equal(p.attempts, 8);
	assert_int_equal(p.successes, 5);
	assert_int_equal(p.fail[OBSERVATION_TIMEOUT], 2);
	assert_int_equal(p.fail[OBSERVATION_CONNECT], 0);
	assert_int_equal(p.fail[OBSERVATION_OTHER], 1);
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
	struct observation_totals mark = {0};
	uint64_t seed = 7;
	for (size_t i = 0; i < 2000000; i++)
		add_success(&mark, 90000 + next_random(&seed) % 20000);  /* 90-110 ms */
	struct observation_totals now = mark;
	for (size_t i = 0; i < 1000; i++) {
		period_values[i] = 480000 + next_random(&seed) % 40000;  /* 480-520 ms: a replica slowed */
		add_success(&now, period_values[i]);
	}
	struct observation_period p;
	assert_int_equal(observation_period_between(&mark, &now, &p), OBSERVATION_OK);
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
	struct observation_totals mark = {0}, now;
	uint64_t seed = 11;
	uint64_t values[500];
	for (size_t i = 0; i < 100000; i++)
		add_success(&mark, 1000 + next_random(&seed) % 9000);
	now = mark;
	for (size_t i = 0; i < 500; i++) {
		values[i] = 2000 + next_random(&seed) % 3000;
		add_success(&now, values[i]);
	}
	for (struct observation_totals *t = &mark; t != NULL; t = t == &mark ? &now : NULL) {
		double std = sqrt(t->m2_ms2 / (double)(t->successes - 1));
		t->m2_ms2 = observation_m2_from_std(t->successes, std);
	}
	struct observation_period p;
	assert_int_equal(observation_period_between(&mark, &now, &p), OBSERVATION_OK);
	struct reference r = two_pass(values, 500);
	assert_close(p.mean_ms, r.mean, 1e-9);
	assert_close(p.std_ms, r.std, 1e-6);
	/* Inside the history's range both ends are bounds: min never above, max never below. */
	assert_false(p.min_exact || p.max_exact);
	assert_true(p.min_ms * 1000.0 <= (double)r.min_us && p.min_ms * 2000.0 > (double)r.min_us);
	assert_true(p.max_ms * 1000.0 >= (double)r.max_us && p.max_ms * 1000.0 < 2.0 * (double)r.max_us + 1);
	assert_true(observation_m2_from_std(1, 5.0) == 0.0);
}

/* A period whose successes all fall in the bucket of the history's min: the bound is that min. */
static void test_bounds_never_pass_the_totals(void **state)
{
	(void)state;
	struct observation_totals mark = {0}, now;
	add_success(&mark, 1100);  /* bucket [1024, 2048) */
	add_success(&mark, 1900);
	now = mark;
	add_success(&now, 1500);
	add_success(&now, 1600);
	struct observation_period p;
	assert_int_equal(observation_period_between(&mark, &now, &p), OBSERVATION_OK);
	assert_false(p.min_exact || p.max_exact);
	assert_true(p.min_ms == 1.1);   /* max(1024, the min so far) */
	assert_true(p.max_ms == 1.9);   /* min(2047, the max so far) */
	assert_close(p.mean_ms, 1.55, 1e-12);
	assert_close(p.std_ms, sqrt(0.005), 1e-9);
	/* One success in a period: no deviation. */
	struct observation_totals later = now;
	add_success(&later, 1700);
	assert_int_equal(observation_period_between(&now, &later, &p), OBSERVATION_OK);
	assert_int_equal(p.successes, 1);
	assert_close(p.mean_ms, 1.7, 1e-9);
	assert_true(p.std_ms == 0.0);
}

/* Failures only: a period with counts and no RTT. Nothing new: no period. Fewer: refused. */
static void test_failures_empty_and_backwards(void **state)
{
	(void)state;
	struct observation_totals mark = {0}, now;
	add_success(&mark, 5000);
	mark.fail[OBSERVATION_CONNECT] = 4;
	now = mark;
	now.fail[OBSERVATION_CONNECT] = 10;
	now.fail[OBSERVATION_PROTOCOL] = 1;
	struct observation_period p;
	assert_int_equal(observation_period_between(&mark, &now, &p), OBSERVATION_OK);
	assert_int_equal(p.attempts, 7);
	assert_int_equal(p.successes, 0);
	assert_int_equal(p.fail[OBSERVATION_CONNECT], 6);
	assert_int_equal(p.fail[OBSERVATION_PROTOCOL], 1);
	assert_int_equal(observation_attempts(&now), 12);

	assert_int_equal(observation_period_between(&now, &now, &p), OBSERVATION_EMPTY);
	assert_int_equal(observation_period_between(&now, &mark, &p), OBSERVATION_BACKWARDS);
	struct observation_totals fewer = now;
	fewer.histogram[12] = 0;  /* 5000 µs lives in bucket 12 */
	assert_int_equal(observation_period_between(&now, &fewer, &p), OBSERVATION_BACKWARDS);
}

/* Periods cut anywhere add up to the whole: the sum of their counts is the total's. */
static void test_periods_add_up(void **state)
{
	(void)state;
	struct observation_totals totals = {0}, mark = {0};
	uint64_t seed = 3, successes = 0, attempts = 0;
	for (int flush = 0; flush < 50; flush++) {
		uint64_t more = next_random(&seed) % 200;
		for (uint64_t i = 0; i < more; i++) {
			if (next_random(&seed) % 10 == 0)
				totals.fail[next_random(&seed) % OBSERVATION_CAUSES]++;
			else
				add_success(&totals, 100 + next_random(&seed) % 100000);
		}
		struct observation_period p;
		enum observation_status status = observation_period_between(&mark, &totals, &p);
		assert_int_equal(status, more == 0 ? OBSERVATION_EMPTY : OBSERVATION_OK);
		successes += p.successes;
		attempts += p.attempts;
		mark = totals;
	}
	assert_int_equal(successes, totals.successes);
	assert_int_equal(attempts, observation_attempts(&totals));
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
