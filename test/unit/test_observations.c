/*
 * test_observations.c: minutes of replica observations merged over a window, per location and over
 * every location, against numbers Python's statistics module computed from the raw samples (mean,
 * stdev: the sample deviation; nearest-rank percentiles over the log2 buckets' upper edges). Each
 * stored minute is made here from its own samples with the two-pass formulas, as the timer child
 * would store it; only the merge is under test. Also: the table's order, its refusals, and
 * "--since" and the page's windows.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/observations.h"

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

static void test_since(void **state)
{
	(void)state;
	const time_t now = 1796467200;  /* 2026-12-05 10:40:00 UTC */
	time_t since = 0;
	char text[OBSERVATIONS_TIME_SIZE];
	static const struct {
		const char *given;
		time_t want;
	} good[] = {
		{"1h", now - 3600}, {"1d", now - 86400}, {"7d", now - 7 * 86400}, {"90m", now - 5400}, {"2w", now - 14 * 86400},
		{"2026-12-05", 1796428800}, {"2026-12-05 10:00", 1796428800 + 36000},
		{"2026-12-05T10:00:30Z", 1796428800 + 36030}, {"2026-12-05 10:40:00", now},
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_null(observations_since_parse(good[i].given, now, &since));
		assert_int_equal(since, good[i].want);
	}
	static const char *const bad[] = {"", "h", "1", "0h", "1y", "1hh", "-1h", "1.5h", "2026-02-31",
	                                  "2026-12-05 25:00", "2026-12-06", "yesterday", "2026-12-05T10:00:00+01"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_non_null(observations_since_parse(bad[i], now, &since));
	observations_time_text(now, text);
	assert_string_equal(text, "2026-12-05 10:40:00.000");
	assert_non_null(observations_window_find("7d"));
	assert_int_equal(observations_window_find("1d")->seconds, 86400);
	assert_null(observations_window_find("1w"));
	assert_null(observations_window_find(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_locations_apart_and_together),
		cmocka_unit_test(test_order_puts_every_location_last),
		cmocka_unit_test(test_no_successes_no_rtt),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_since),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
