/*
 * test_prom.c: the Prometheus text a scraper reads — label values escaped per the format
 * (backslash, double quote, line feed), HELP text escaped, numbers as integers or %.15g with
 * +Inf, and histograms written cumulative with _sum and _count; plus the request tally the
 * metrics come from: sums over processes, a dead process's counts kept when its slot is reused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "arena.h"
#include "core/prom.h"
#include "tally.h"

static void test_label_values_are_escaped(void **state)
{
	(void)state;
	char out[64];
	assert_int_equal(prom_escape_label("a\\b\"c\nd", out, sizeof(out)), 10);
	assert_string_equal(out, "a\\\\b\\\"c\\nd");
	assert_int_equal(prom_escape_label("/complaints/{id}", out, sizeof(out)), 16);
	assert_string_equal(out, "/complaints/{id}");
}

static void test_samples_and_help(void **state)
{
	(void)state;
	struct arena *arena = arena_create(1 << 20);
	struct prom_text text;
	prom_init(&text, arena);
	prom_family(&text, "x_total", "counter", "Line\none \\ \"quoted\".");
	struct prom_label labels[] = {{"route", "/a\"b"}, {"status", "200"}};
	prom_sample(&text, "x_total", labels, 2, 42);
	prom_sample(&text, "x_total", NULL, 0, 0.25);
	prom_sample(&text, "x_total", NULL, 0, 1.0 / 0.0);
	assert_false(text.failed);
	assert_string_equal(text.data, "# HELP x_total Line\\none \\\\ \"quoted\".\n"
	                               "# TYPE x_total counter\n"
	                               "x_total{route=\"/a\\\"b\",status=\"200\"} 42\n"
	                               "x_total 0.25\n"
	                               "x_total +Inf\n");
	arena_destroy(arena);
}

static void test_histogram_is_cumulative(void **state)
{
	(void)state;
	struct arena *arena = arena_create(1 << 20);
	struct prom_text text;
	static const double edges[] = {2e-06, 0.5};
	static const uint64_t counts[] = {3, 4};
	struct prom_label labels[] = {{"op", "s3.get"}};
	prom_init(&text, arena);
	prom_histogram(&text, "h", labels, 1, edges, counts, 2, 5, 1.5);
	assert_string_equal(text.data, "h_bucket{op=\"s3.get\",le=\"2e-06\"} 3\n"
	                               "h_bucket{op=\"s3.get\",le=\"0.5\"} 7\n"
	                               "h_bucket{op=\"s3.get\",le=\"+Inf\"} 12\n"
	                               "h_sum{op=\"s3.get\"} 1.5\n"
	                               "h_count{op=\"s3.get\"} 12\n");
	arena_destroy(arena);
}

static void test_tally_keeps_a_dead_process_counts(void **state)
{
	(void)state;
	struct tally tally;
	assert_int_equal(tally_create(&tally, 4, 3), 0);
	for (int i = 0; i < 3; i++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			tally_add(&tally, 1, 10);
			_exit(0);
		}
		int status = 0;
		assert_int_equal(waitpid(pid, &status, 0), pid);
	}
	/* Three processes in turn, each dead before the next: one slot, reused, all counts kept. */
	assert_int_equal(tally_sum(&tally, 1), 30);
	assert_int_equal(tally_sum(&tally, 0), 0);
	tally_add(&tally, 2, 1);
	assert_int_equal(tally_sum(&tally, 2), 1);
	assert_int_equal(tally_dropped(&tally), 0);
	tally_destroy(&tally);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_values_are_escaped),
		cmocka_unit_test(test_samples_and_help),
		cmocka_unit_test(test_histogram_is_cumulative),
		cmocka_unit_test(test_tally_keeps_a_dead_process_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
