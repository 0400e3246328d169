/*
 * test_replicas_report.c: complaintctl replicas' --since: durations read as every duration is
 * (librepl's repl_duration_parse, weeks included), with a unit and in whole seconds; UTC times in
 * the three shapes, real dates only, not in the future; anything else refused with a sentence
 * naming --since.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "ctl/replicas_report.h"

static void test_since(void **state)
{
	(void)state;
	const time_t now = 1796467200;  /* 2026-12-05 10:40:00 UTC */
	time_t since = 0;
	static const struct {
		const char *given;
		time_t want;
	} good[] = {
		{"1h", now - 3600}, {"1d", now - 86400}, {"7d", now - 7 * 86400}, {"90m", now - 5400}, {"2w", now - 14 * 86400},
		{"45s", now - 45}, {"3000ms", now - 3}, {"1796467200s", 0},
		{"2026-12-05", 1796428800}, {"2026-12-05 10:00", 1796428800 + 36000},
		{"2026-12-05T10:00:30Z", 1796428800 + 36030}, {"2026-12-05 10:40:00", now},
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_null(replicas_report_since(good[i].given, now, &since));
		assert_int_equal(since, good[i].want);
	}
	/* No unit ("1": librepl's milliseconds), part of a second, nothing, before 1970, no date. */
	static const char *const bad[] = {"", "h", "1", "0h", "1y", "1hh", "1H", "-1h", "1.5h", "1 h", "1500ms", "0w",
	                                  "1796467201s", "99999999999999999999d", "2026-02-31", "2026-12-05 25:00",
	                                  "2026-12-06", "yesterday", "2026-12-05T10:00:00+01"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		since = 42;
		const char *problem = replicas_report_since(bad[i], now, &since);
		if (problem == NULL)
			fail_msg("--since %s was taken", bad[i]);
		assert_non_null(strstr(problem, "--since"));
		assert_int_equal(since, 42);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_since),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
