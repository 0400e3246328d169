/*
 * test_faultmodel.c: the fault model replfault injects and replbench predicts behaves as its
 * contract says — the fitted latency reproduces a WS-DREAM row's mean and deviation, the CDF is a
 * proper clipped distribution, fault decisions repeat for a seed and occur at the asked rates,
 * a correlated case hangs every replica, broken profiles are reported by file and line, and a
 * trace replays in slice order.
 *
 * Tolerances: 200,000 samples of a lognormal with sigma ~1.1 estimate the mean to ~0.3 % and the
 * standard deviation to ~1.5 % (one standard error), so the sample is checked against the closed-
 * form moments of the clipped distribution at 1 % and 3 %. Clipping at rtt_max removes the tail
 * beyond it, so the clipped moments sit slightly below the row's avg and std; that gap is checked
 * separately (it is the price of the moment fit ignoring the clip) at 1 % for the mean and 3 % for
 * the deviation. Rates are checked against Wilson 99 % score intervals; the seeds are fixed, so the
 * tests are deterministic and a failure means the model changed.
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
#include <unistd.h>

#include "faultmodel.h"

#define TEST_SAMPLES   200000
#define TEST_DECISIONS 100000
#define TEST_Z99       2.5758   /* two-sided 99 % normal quantile */

static const char *const test_hk[] = {"a-us", "a-jp", "a-de", "a-ca", "a-fr", "a-uk"};

static void test_path(char *buf, size_t size, const char *rel)
{
	const char *srcdir = getenv("srcdir");
	snprintf(buf, size, "%s/%s", srcdir ? srcdir : ".", rel);
}

static void test_load_hk(struct faultmodel_replica *out, size_t *n)
{
	char path[512], err[256];
	test_path(path, sizeof path, "test/data/wsdream/wsdream-per-replica.csv");
	int rc = faultmodel_load_profile(path, "hong-kong", test_hk, 6, out, 6, n, err, sizeof err);
	if (rc)
		fail_msg("%s", err);
	assert_int_equal(*n, 6);
}

/* Writes text to a temporary file; the caller unlinks path. */
static void test_temp_file(char *path, size_t size, const char *text)
{
	snprintf(path, size, "/tmp/test_faultmodel_XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t len = strlen(text);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/* Wilson score interval for k successes in n trials contains p. */
static void test_assert_rate(unsigned long k, unsigned long n, double p, const char *what)
{
	double ph = (double)k / (double)n, z2 = TEST_Z99 * TEST_Z99, nn = (double)n;
	double centre = (ph + z2 / (2 * nn)) / (1 + z2 / nn);
	double half = TEST_Z99 / (1 + z2 / nn) * sqrt(ph * (1 - ph) / nn + z2 / (4 * nn * nn));
	if (p < centre - half || p > centre + half)
		fail_msg("%s: observed %lu/%lu = %.5f, expected %.5f outside [%.5f, %.5f]", what, k, n, ph, p,
		         centre - half, centre + half);
}

static void test_fit_reproduces_profile_moments(void **state)
{
	(void)state;
	struct faultmodel_replica rep[6];
	size_t n;
	test_load_hk(rep, &n);
	for (size_t r = 0; r < n; r++) {
		uint64_t rng = 12345 + r;
		double sum = 0, sum2 = 0, lo = INFINITY, hi = -INFINITY;
		for (int i = 0; i < TEST_SAMPLES; i++) {
			double x = faultmodel_sample_ms(&rep[r], &rng);
			sum += x;
			sum2 += x * x;
			lo = fmin(lo, x);
			hi = fmax(hi, x);
		}
		double mean = sum / TEST_SAMPLES;
		double sd = sqrt((sum2 - sum * sum / TEST_SAMPLES) / (TEST_SAMPLES - 1));
		double cmean, csd;
		faultmodel_moments(&rep[r], &cmean, &csd);
		assert_true(lo >= rep[r].rtt_min);
		assert_true(hi <= rep[r].rtt_max);
		if (fabs(mean - cmean) > 0.01 * cmean || fabs(sd - csd) > 0.03 * csd)
			fail_msg("%s: sample mean %.1f std %.1f, model %.1f / %.1f", rep[r].name, mean, sd, cmean, csd);
		if (fabs(cmean - rep[r].rtt_avg) > 0.01 * rep[r].rtt_avg || fabs(csd - rep[r].rtt_std) > 0.03 * rep[r].rtt_std)
			fail_msg("%s: clipped model mean %.1f std %.1f, paper %.0f / %.0f", rep[r].name, cmean, csd,
			         rep[r].rtt_avg, rep[r].rtt_std);
	}
}

static void test_degenerate_rows_are_a_point(void **state)
{
	(void)state;
	struct faultmodel_replica below = {.rtt_avg = 200, .rtt_std = 50, .rtt_min = 250, .rtt_max = 900};
	struct faultmodel_replica flat = {.rtt_avg = 300, .rtt_std = 0, .rtt_min = 250, .rtt_max = 900};
	faultmodel_fit(&below);
	faultmodel_fit(&flat);
	uint64_t rng = 1;
	for (int i = 0; i < 100; i++) {
		assert_true(faultmodel_sample_ms(&below, &rng) == 250.0);
		assert_true(fabs(faultmodel_sample_ms(&flat, &rng) - 300.0) < 1e-9);
	}
	assert_true(faultmodel_cdf(&flat, 299.9) == 0.0);
	assert_true(faultmodel_cdf(&flat, 300.1) == 1.0);
	assert_true(faultmodel_cdf(&below, 250) == 1.0);
}

static void test_cdf_is_a_clipped_distribution(void **state)
{
	(void)state;
	struct faultmodel_replica rep[6];
	size_t n;
	test_load_hk(rep, &n);
	for (size_t r = 0; r < n; r++) {
		const struct faultmodel_replica *x = &rep[r];
		assert_true(faultmodel_cdf(x, x->rtt_min - 1) == 0.0);
		assert_true(faultmodel_cdf(x, x->rtt_min) == 0.0);
		assert_true(faultmodel_cdf(x, x->rtt_max) == 1.0);
		assert_true(faultmodel_cdf(x, x->rtt_max + 1000) == 1.0);
		assert_true(faultmodel_cdf(x, x->rtt_max - 1) < 1.0);
		double prev = 0;
		for (double t = x->rtt_min; t <= x->rtt_max + 10; t += 7) {
			double p = faultmodel_cdf(x, t);
			assert_true(p >= prev && p <= 1.0);
			prev = p;
		}
		/* The CDF describes what the sampler does: empirical vs model at the quartiles' range. */
		uint64_t rng = 99;
		double pts[] = {x->rtt_min + 50, x->rtt_avg, x->rtt_avg + x->rtt_std, 2000};
		unsigned long below[4] = {0};
		for (int i = 0; i < TEST_SAMPLES / 4; i++) {
			double s = faultmodel_sample_ms(x, &rng);
			for (int k = 0; k < 4; k++)
				below[k] += s <= pts[k];
		}
		for (int k = 0; k < 4; k++)
			test_assert_rate(below[k], TEST_SAMPLES / 4, faultmodel_cdf(x, pts[k]), x->name);
	}
}

static void test_decisions_repeat_for_a_seed_and_differ_across_seeds(void **state)
{
	(void)state;
	struct faultmodel_replica rep[6];
	size_t n;
	test_load_hk(rep, &n);
	struct faultmodel_faults f = {.hang = 0.1, .http503 = 0.1, .reset = 0.1, .truncate = 0.1, .correlated = 0.05};
	unsigned differ_action = 0, differ_latency = 0;
	for (uint64_t c = 0; c < 1000; c++) {
		for (unsigned r = 0; r < 6; r++) {
			enum faultmodel_action a = faultmodel_decide(&f, &rep[r], 7, c, r, 0);
			assert_int_equal(a, faultmodel_decide(&f, &rep[r], 7, c, r, 0));
			double l = faultmodel_request_latency_ms(&rep[r], 7, c, r, 0);
			assert_true(l == faultmodel_request_latency_ms(&rep[r], 7, c, r, 0));
			uint64_t rng = faultmodel_request_state(7, c, r, 0);
			assert_true(l == faultmodel_sample_ms(&rep[r], &rng));
			differ_action += a != faultmodel_decide(&f, &rep[r], 8, c, r, 0);
			differ_latency += l != faultmodel_request_latency_ms(&rep[r], 8, c, r, 0);
		}
	}
	/* With 40 % + 5 % fault rates two seeds disagree on roughly half the decisions. */
	assert_true(differ_action > 1000);
	assert_true(differ_latency > 5900);
	/* Attempts of one request are different draws too. */
	unsigned differ_attempt = 0;
	for (uint64_t c = 0; c < 1000; c++)
		differ_attempt += faultmodel_request_latency_ms(&rep[0], 7, c, 0, 0) != faultmodel_request_latency_ms(&rep[0], 7, c, 0, 1);
	assert_true(differ_attempt > 990);
}

static void test_independent_rates_are_as_asked(void **state)
{
	(void)state;
	struct faultmodel_replica rep = {.name = "x", .fail_rate = 0.025, .rtt_min = 1, .rtt_avg = 2, .rtt_std = 1, .rtt_max = 10};
	struct faultmodel_faults f = {.hang = 0.05, .http503 = 0.03, .http502 = 0.01, .reset = 0.02, .truncate = 0.04,
	                              .use_profile_fail_rate = true};
	unsigned long count[FAULTMODEL_TRUNCATE + 1] = {0}, both_fail = 0, first_fail = 0;
	faultmodel_fit(&rep);
	for (uint64_t i = 0; i < TEST_DECISIONS; i++) {
		/* spread over cases, replicas and attempts as replbench does */
		enum faultmodel_action a = faultmodel_decide(&f, &rep, 42, i / 3, (unsigned)(i % 3), (unsigned)(i % 2));
		count[a]++;
		/* independence across replicas of one case */
		bool f0 = faultmodel_decide(&f, &rep, 42, i, 0, 0) != FAULTMODEL_OK;
		bool f1 = faultmodel_decide(&f, &rep, 42, i, 1, 0) != FAULTMODEL_OK;
		first_fail += f0;
		both_fail += f0 && f1;
	}
	test_assert_rate(count[FAULTMODEL_HANG], TEST_DECISIONS, 0.05 + 0.025, "hang + profile fail rate");
	test_assert_rate(count[FAULTMODEL_503], TEST_DECISIONS, 0.03, "503");
	test_assert_rate(count[FAULTMODEL_502], TEST_DECISIONS, 0.01, "502");
	test_assert_rate(count[FAULTMODEL_RESET], TEST_DECISIONS, 0.02, "reset");
	test_assert_rate(count[FAULTMODEL_TRUNCATE], TEST_DECISIONS, 0.04, "truncate");
	test_assert_rate(count[FAULTMODEL_OK], TEST_DECISIONS, 1 - 0.175, "ok");
	test_assert_rate(first_fail, TEST_DECISIONS, 0.175, "replica 0 fails");
	test_assert_rate(both_fail, TEST_DECISIONS, 0.175 * 0.175, "replicas 0 and 1 both fail");
}

static void test_correlated_case_hangs_every_replica(void **state)
{
	(void)state;
	struct faultmodel_replica rep[6];
	size_t n;
	test_load_hk(rep, &n);
	struct faultmodel_faults f = {.correlated = 0.05};
	unsigned long chosen = 0;
	for (uint64_t c = 0; c < TEST_DECISIONS; c++) {
		enum faultmodel_action first = faultmodel_decide(&f, &rep[0], 3, c, 0, 0);
		chosen += first == FAULTMODEL_HANG;
		for (unsigned r = 0; r < 6; r++)
			for (unsigned a = 0; a < 3; a++)
				assert_int_equal(faultmodel_decide(&f, &rep[r], 3, c, r, a), first);
	}
	test_assert_rate(chosen, TEST_DECISIONS, 0.05, "correlated cases");
	/* With independent faults on top, a case the correlation spared still fails its replicas
	 * independently: all six hang at 0.5^6 among those cases, and always in the chosen ones. */
	f.hang = 0.5;
	unsigned long spared = 0, spared_all_six = 0;
	for (uint64_t c = 0; c < TEST_DECISIONS; c++) {
		unsigned hung = 0;
		for (unsigned r = 0; r < 6; r++)
			hung += faultmodel_decide(&f, &rep[r], 3, c, r, 0) == FAULTMODEL_HANG;
		f.hang = 0;
		bool correlated = faultmodel_decide(&f, &rep[0], 3, c, 0, 0) == FAULTMODEL_HANG;
		f.hang = 0.5;
		if (correlated) {
			assert_int_equal(hung, 6);
		} else {
			spared++;
			spared_all_six += hung == 6;
		}
	}
	test_assert_rate(spared_all_six, spared, pow(0.5, 6), "all six hang in a spared case");
}

struct test_bad_profile {
	const char *text;
	const char *location;
	int status;
	const char *where;   /* expected ":line:" */
	const char *why;     /* a word of the reason */
};

static void test_profile_errors_name_file_and_line(void **state)
{
	(void)state;
	static const char header[] = "# comment\nlocation,replica,fail_rate_pct,fail,all,rtt_avg,rtt_std,rtt_min,rtt_max,prot_avg,prot_std\n";
	static const struct test_bad_profile cases[] = {
		{"hk,a,1,1,100,500,300,250,9000,,\nhk,b,1,1,100,500,300\n", "hk", FAULTMODEL_E_SYNTAX, ":4:", "fields"},
		{"hk,a,1,1,100,5x0,300,250,9000,,\n", "hk", FAULTMODEL_E_SYNTAX, ":3:", "rtt_avg"},
		{"hk,a,1,1,100,500,300,9250,9000,,\n", "hk", FAULTMODEL_E_RANGE, ":3:", "rtt_min"},
		{"hk,a,101,1,100,500,300,250,9000,,\n", "hk", FAULTMODEL_E_RANGE, ":3:", "100"},
		{"hk,a,1,1,100,-5,300,250,9000,,\n", "hk", FAULTMODEL_E_RANGE, ":3:", "negative"},
		{"hk,a,1,1,100,inf,300,250,9000,,\n", "hk", FAULTMODEL_E_SYNTAX, ":3:", "rtt_avg"},
		{"hk,,1,1,100,500,300,250,9000,,\n", "hk", FAULTMODEL_E_SYNTAX, ":3:", "name"},
		{"\n# late comment\ncn,a,1,1,100,500,300,250,9000,,\nxx,a,1,1,100,500,300,250,9000,,,\n", "cn", FAULTMODEL_E_SYNTAX, ":6:", "fields"},
		{"hk,a,1,1,100,500,300,250,9000,,\n", "tw", FAULTMODEL_E_NOTFOUND, ":0:", "tw"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char path[64], text[512], err[256] = "", want[128];
		struct faultmodel_replica out[4];
		size_t n = 99;
		snprintf(text, sizeof text, "%s%s", header, cases[i].text);
		test_temp_file(path, sizeof path, text);
		int rc = faultmodel_load_profile(path, cases[i].location, NULL, 0, out, 4, &n, err, sizeof err);
		unlink(path);
		snprintf(want, sizeof want, "%s%s", path, cases[i].where);
		if (rc != cases[i].status || strncmp(err, want, strlen(want)) != 0 || !strstr(err, cases[i].why))
			fail_msg("case %zu: status %d (%s), err \"%s\"", i, rc, faultmodel_strerror(rc), err);
		assert_int_equal(n, 0);
	}
	/* A named replica the location lacks, and a file that is not there. */
	char path[512], err[256];
	struct faultmodel_replica out[6];
	size_t n;
	const char *names[] = {"a-us", "nope"};
	test_path(path, sizeof path, "test/data/wsdream/wsdream-per-replica.csv");
	assert_int_equal(faultmodel_load_profile(path, "hong-kong", names, 2, out, 6, &n, err, sizeof err), FAULTMODEL_E_NOTFOUND);
	assert_non_null(strstr(err, "nope"));
	assert_int_equal(faultmodel_load_profile("/nonexistent/p.csv", "hong-kong", NULL, 0, out, 6, &n, err, sizeof err), FAULTMODEL_E_IO);
	assert_non_null(strstr(err, "/nonexistent/p.csv:0:"));
	/* More rows than room. */
	assert_int_equal(faultmodel_load_profile(path, "hong-kong", NULL, 0, out, 6, &n, err, sizeof err), FAULTMODEL_E_TOOMANY);
}

static void test_profile_loads_named_rows_in_order(void **state)
{
	(void)state;
	char path[512], err[256];
	struct faultmodel_replica out[8];
	size_t n;
	const char *names[] = {"a-uk", "a-us", "GW"};
	test_path(path, sizeof path, "test/data/wsdream/wsdream-per-replica.csv");
	assert_int_equal(faultmodel_load_profile(path, "hong-kong", names, 3, out, 8, &n, err, sizeof err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(out[0].name, "a-uk");
	assert_true(out[0].rtt_avg == 619 && out[0].rtt_max == 9813 && fabs(out[0].fail_rate - 0.0251) < 1e-12);
	assert_string_equal(out[1].name, "a-us");
	assert_string_equal(out[2].name, "GW");
	assert_true(out[2].sigma > 0);
	assert_int_equal(faultmodel_load_profile(path, "hong-kong", NULL, 0, out, 8, &n, err, sizeof err), 0);
	assert_int_equal(n, 8);
	assert_string_equal(out[7].name, "GIP");
}

static void test_trace_replays_in_slice_order(void **state)
{
	(void)state;
	char path[512], err[256];
	struct faultmodel_trace t;

	/* The real sample: service 0 is 4.18 s, 3.112 s, 6.843 s... service 5 starts at the 20 s cap. */
	test_path(path, sizeof path, "test/data/wsdream/dataset2-sample-rtdata.txt");
	if (faultmodel_load_trace(path, 0, &t, err, sizeof err))
		fail_msg("%s", err);
	assert_int_equal(t.services, 50);
	assert_int_equal(t.count[0], 20);
	assert_true(fabs(faultmodel_trace_ms(&t, 0, 0, 0) - 4180) < 1e-9);
	assert_true(fabs(faultmodel_trace_ms(&t, 0, 1, 0) - 3112) < 1e-9);
	assert_true(fabs(faultmodel_trace_ms(&t, 0, 0, 1) - 3112) < 1e-9);   /* a retry sees the next slice */
	assert_true(fabs(faultmodel_trace_ms(&t, 0, 21, 0) - 3112) < 1e-9);  /* cycling */
	assert_true(faultmodel_trace_ms(&t, 5, 0, 0) < 0);                     /* 20.0 s = hang */
	assert_true(faultmodel_trace_ms(&t, 60, 0, 0) < 0);                    /* no such service */
	faultmodel_trace_free(&t);

	/* Slices out of file order are replayed in slice order; other users are ignored. */
	char tmp[64];
	test_temp_file(tmp, sizeof tmp, "# user service slice seconds\n0 1 2 0.3\n0 1 0 0.1\n7 1 1 9.9\n0\t1  1 0.2\n0 0 0 -1\n");
	int rc = faultmodel_load_trace(tmp, 0, &t, err, sizeof err);
	unlink(tmp);
	if (rc)
		fail_msg("%s", err);
	assert_int_equal(t.count[1], 3);
	for (uint64_t c = 0; c < 6; c++)
		assert_true(fabs(faultmodel_trace_ms(&t, 1, c, 0) - 100.0 * (double)(c % 3 + 1)) < 1e-9);
	assert_true(faultmodel_trace_ms(&t, 0, 0, 0) < 0);   /* a failed record (-1) is a hang */
	faultmodel_trace_free(&t);

	/* Broken traces: file:line. */
	static const struct {
		const char *text, *where;
	} bad[] = {
		{"0 1 0 0.1\n0 1 x 0.2\n", ":2:"},
		{"0 1 0 0.1\n0 1 0 0.2 7\n", ":2:"},
		{"0 1 0 0.1\n\n0 1 0 0.2\n", ":3:"},   /* slice given twice */
		{"0 999 0 0.1\n", ":1:"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char want[96];
		test_temp_file(tmp, sizeof tmp, bad[i].text);
		rc = faultmodel_load_trace(tmp, 0, &t, err, sizeof err);
		unlink(tmp);
		snprintf(want, sizeof want, "%s%s", tmp, bad[i].where);
		if (rc == 0 || strncmp(err, want, strlen(want)) != 0)
			fail_msg("bad trace %zu: status %d, err \"%s\"", i, rc, err);
		faultmodel_trace_free(&t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fit_reproduces_profile_moments),
		cmocka_unit_test(test_degenerate_rows_are_a_point),
		cmocka_unit_test(test_cdf_is_a_clipped_distribution),
		cmocka_unit_test(test_decisions_repeat_for_a_seed_and_differ_across_seeds),
		cmocka_unit_test(test_independent_rates_are_as_asked),
		cmocka_unit_test(test_correlated_case_hangs_every_replica),
		cmocka_unit_test(test_profile_errors_name_file_and_line),
		cmocka_unit_test(test_profile_loads_named_rows_in_order),
		cmocka_unit_test(test_trace_replays_in_slice_order),
	};
	return cmocka_run_group_tests_name("faultmodel", tests, NULL, NULL);
}
