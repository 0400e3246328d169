/*
 * test_replicas_report.c: complaintctl replicas without a database.
 * - --since: durations read as every duration is (librepl's repl_duration_parse, weeks included),
 *   with a unit and in whole seconds; UTC times in the three shapes, real dates only, not in the
 *   future; anything else refused with a sentence naming --since.
 * - What it prints of a window, byte for byte, as text and as JSON, for every location and for one:
 *   a row with RTTs, one without successes (dashes, nulls), one whose minutes kept no histogram (no
 *   percentiles), a cut read with a skipped minute, and the backfills under the tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/observations.h"
#include "ctl/replicas_report.h"
#include "store/db_backfills.h"
#include "store/db_observations.h"

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

/* A window of minutes: s3.get on us from two locations (RTTs, failures), db.read on standby with
 * failures only, s3.put on de whose minute kept no histogram, and on jp a minute of no attempt. */
static const struct observations_minute report_minutes[] = {
	{"eu-west-1a", "s3.get", "us", 5, 4, {1, 0, 0, 0}, 12.5, 2.25, 9.8, 15.5, {[13] = 3, [14] = 1}},
	{"ap-east-1b", "s3.get", "us", 3, 2, {0, 1, 0, 0}, 48.0, 4.5, 45.0, 51.0, {[15] = 2}},
	{"eu-west-1a", "db.read", "standby", 2, 0, {0, 0, 1, 1}, 0, 0, 0, 0, {0}},
	{"eu-west-1a", "s3.put", "de", 1, 1, {0, 0, 0, 0}, 30.125, 0, 30.125, 30.125, {0}},
	{"eu-west-1a", "s3.put", "jp", 0, 0, {0, 0, 0, 0}, 0, 0, 0, 0, {0}},
};

static const struct db_backfill report_backfills[] = {
	{.replica = "jp", .done = false, .copied = 12, .total = 40, .started_at = "2026-12-05 09:00:00",
	 .updated_at = "2026-12-05 10:39:58", .holder = "host-1"},
	{.replica = "de", .done = true, .copied = 40, .total = 40, .started_at = "2026-12-04 08:00:00",
	 .finished_at = "2026-12-04 08:05:00"},
};

/* What complaintctl replicas prints of report_minutes, byte for byte: people and scripts read it. */
static const char report_text_every[] =
	"Since 2026-12-05 09:40:00.000 UTC, every location: 5 observations (one per replica, location and minute) (cut: more than one read holds; choose a later --since)\n"
	"1 minutes left out: a damaged histogram, or too many replicas\n"
	"operation  location    replica         All      Fail    timeout    connect  5xx/proto      other       R%        Avg        Std        Min        Max        p50        p99\n"
	"db.read    eu-west-1a  standby           2         2          0          0          1          1   100.00          -          -          -          -          -          -\n"
	"db.read    (all)       standby           2         2          0          0          1          1   100.00          -          -          -          -          -          -\n"
	"s3.get     ap-east-1b  us                3         1          0          1          0          0    33.33     48.000      4.500     45.000     51.000     65.536     65.536\n"
	"s3.get     eu-west-1a  us                5         1          1          0          0          0    20.00     12.500      2.250      9.800     15.500     16.384     32.768\n"
	"s3.get     (all)       us                8         2          1          1          0          0    25.00     24.333     18.524      9.800     51.000     16.384     65.536\n"
	"s3.put     eu-west-1a  de                1         0          0          0          0          0     0.00     30.125      0.000     30.125     30.125          -          -\n"
	"s3.put     eu-west-1a  jp                0         0          0          0          0          0        -          -          -          -          -          -          -\n"
	"s3.put     (all)       de                1         0          0          0          0          0     0.00     30.125      0.000     30.125     30.125          -          -\n"
	"s3.put     (all)       jp                0         0          0          0          0          0        -          -          -          -          -          -          -\n"
	"\n"
	"S3 backfills (photos filed before a replica joined the set, copied to it):\n"
	"replica      status            copied  started (UTC)        last copy/done       copying on\n"
	"jp           copying         12 of 40  2026-12-05 09:00:00  2026-12-05 10:39:58  host-1\n"
	"de           done            40 of 40  2026-12-04 08:00:00  2026-12-04 08:05:00  -\n";

static const char report_text_one[] =
	"Since 2026-12-05 09:40:00.000 UTC, eu-west-1a: 5 observations (one per replica, location and minute) (cut: more than one read holds; choose a later --since)\n"
	"1 minutes left out: a damaged histogram, or too many replicas\n"
	"operation  location    replica         All      Fail    timeout    connect  5xx/proto      other       R%        Avg        Std        Min        Max        p50        p99\n"
	"db.read    eu-west-1a  standby           2         2          0          0          1          1   100.00          -          -          -          -          -          -\n"
	"s3.get     ap-east-1b  us                3         1          0          1          0          0    33.33     48.000      4.500     45.000     51.000     65.536     65.536\n"
	"s3.get     eu-west-1a  us                5         1          1          0          0          0    20.00     12.500      2.250      9.800     15.500     16.384     32.768\n"
	"s3.put     eu-west-1a  de                1         0          0          0          0          0     0.00     30.125      0.000     30.125     30.125          -          -\n"
	"s3.put     eu-west-1a  jp                0         0          0          0          0          0        -          -          -          -          -          -          -\n"
	"\n"
	"S3 backfills (photos filed before a replica joined the set, copied to it):\n"
	"replica      status            copied  started (UTC)        last copy/done       copying on\n"
	"jp           copying         12 of 40  2026-12-05 09:00:00  2026-12-05 10:39:58  host-1\n"
	"de           done            40 of 40  2026-12-04 08:00:00  2026-12-04 08:05:00  -\n";

static const char report_json_every[] =
	"{\n"
	"  \"since\":\"2026-12-05 09:40:00.000\",\n"
	"  \"location\":null,\n"
	"  \"minutes\":5,\n"
	"  \"skipped\":1,\n"
	"  \"cut\":true,\n"
	"  \"rows\":[\n"
	"    {\n"
	"      \"operation\":\"db.read\",\n"
	"      \"location\":\"eu-west-1a\",\n"
	"      \"replica\":\"standby\",\n"
	"      \"all\":2,\n"
	"      \"fail\":2,\n"
	"      \"fail_by_cause\":{\n"
	"        \"timeout\":0,\n"
	"        \"connect\":0,\n"
	"        \"protocol\":1,\n"
	"        \"other\":1\n"
	"      },\n"
	"      \"r_percent\":100.0,\n"
	"      \"successes\":0,\n"
	"      \"rtt_ms\":{\n"
	"        \"avg\":null,\n"
	"        \"std\":null,\n"
	"        \"min\":null,\n"
	"        \"max\":null,\n"
	"        \"p50\":null,\n"
	"        \"p99\":null\n"
	"      }\n"
	"    },\n"
	"    {\n"
	"      \"operation\":\"db.read\",\n"
	"      \"location\":null,\n"
	"      \"replica\":\"standby\",\n"
	"      \"all\":2,\n"
	"      \"fail\":2,\n"
	"      \"fail_by_cause\":{\n"
	"        \"timeout\":0,\n"
	"        \"connect\":0,\n"
	"        \"protocol\":1,\n"
	"        \"other\":1\n"
	"      },\n"
	"      \"r_percent\":100.0,\n"
	"      \"successes\":0,\n"
	"      \"rtt_ms\":{\n"
	"        \"avg\":null,\n"
	"        \"std\":null,\n"
	"        \"min\":null,\n"
	"        \"max\":null,\n"
	"        \"p50\":null,\n"
	"        \"p99\":null\n"
	"      }\n"
	"    },\n"
	"    {\n"
	"      \"operation\":\"s3.get\",\n"
	"      \"location\":\"ap-east-1b\",\n"
	"      \"replica\":\"us\",\n"
	"      \"all\":3,\n"
	"      \"fail\":1,\n"
	"      \"fail_by_cause\":{\n"
	"        \"timeout\":0,\n"
	"        \"connect\":1,\n"
	"        \"protocol\":0,\n"
	"        \"other\":0\n"
	"      },\n"
	"      \"r_percent\":33.333333333333336,\n"
	"      \"successes\":2,\n"
	"      \"rtt_ms\":{\n"
	"        \"avg\":48.0,\n"
	"        \"std\":4.5,\n"
	"        \"min\":45.0,\n"
	"        \"max\":51.0,\n"
	"        \"p50\":65.536000000000001,\n"
	"        \"p99\":65.536000000000001\n"
	"      }\n"
	"    },\n"
	"    {\n"
	"      \"operation\":\"s3.get\",\n"
	"      \"location\":\"eu-west-1a\",\n"
	"      \"replica\":\"us\",\n"
	"      \"all\":5,\n"
	"      \"fail\":1,\n"
	"      \"fail_by_cause\":{\n"
	"        \"timeout\":1,\n"
	"        \"connect\":0,\n"
	"        \"protocol\":0,\n"
	"        \"other\":0\n"
	"      },\n"
	"      \"r_percent\":20.0,\n"
	"      \"successes\":4,\n"
	"      \"rtt_ms\":{\n"
	"        \"avg\":12.5,\n"
	"        \"std\":2.25,\n"
	"        \"min\":9.8000000000000007,\n"
	"        \"max\":15.5,\n"
	"        \"p50\":16.384,\n"
	"        \"p99\":32.768000000000001\n"
	"      }\n"
	"    },\n"
	"    {\n"
	"      \"operation\":\"s3.get\",\n"
	"      \"location\":null,\n"
	"      \"replica\":\"us\",\n"
	"      \"all\":8,\n"
	"      \"fail\":2,\n"
	"      \"fail_by_cause\":{\n"
	"        \"timeout\":1,\n"
	"        \"connect\":1,\n"
	"        \"protocol\":0,\n"
	"        \"other\":0\n"
	"      },\n"
	"      \"r_percent\":25.0,\n"
	"      \"successes\":6,\n"
	"      \"rtt_ms\":{\n"
	"        \"avg\":24.333333333333336,\n"
	"        \"std\":18.524420818656292,\n"
	"        \"min\":9.8000000000000007,\n"
	"        \"max\":51.0,\n"
	"        \"p50\":16.384,\n"
	"        \"p99\":65.536000000000001\n"
	"      }\n"
	"    },\n"
	"    {\n"
	"      \"operation\":\"s3.put\",\n"
	"      \"location\":\"eu-west-1a\",\n"
	"      \"replica\":\"de\",\n"
	"      \"all\":1,\n"
	"      \"fail\":0,\n"
	"      \"fail_by_cause\":{\n"
	"        \"timeout\":0,\n"
	"        \"connect\":0,\n"
	"        \"protocol\":0,\n"
	"        \"other\":0\n"
	"      },\n"
	"      \"r_percent\":0.0,\n"
	"      \"successes\":1,\n"
	"      \"rtt_ms\":{\n"
	"        \"avg\":30.125,\n"
	"        \"std\":0.0,\n"
	"        \"min\":30.125,\n"
	"        \"max\":30.125,\n"
	"        \"p50\":null,\n"
	"        \"p99\":null\n"
	"      }\n"
	"    },\n"
	"    {\n"
	"      \"operation\":\"s3.put\",\n"
	"      \"location\":\"eu-west-1a\",\n"
	"      \"replica\":\"jp\",\n"
	"      \"all\":0,\n"
	"      \"fail\":0,\n"
	"      \"fail_by_cause\":{\n"
	"        \"timeout\":0,\n"
	"        \"connect\":0,\n"
	"        \"protocol\":0,\n"
	"        \"other\":0\n"
	"      },\n"
	"      \"r_percent\":null,\n"
	"      \"successes\":0,\n"
	"      \"rtt_ms\":{\n"
	"        \"avg\":null,\n"
	"        \"std\":null,\n"
	"        \"min\":null,\n"
	"        \"max\":null,\n"
	"        \"p50\":null,\n"
	"        \"p99\":null\n"
	"      }\n"
	"    },\n"
	"    {\n"
	"      \"operation\":\"s3.put\",\n"
	"      \"location\":null,\n"
	"      \"replica\":\"de\",\n"
	"      \"all\":1,\n"
	"      \"fail\":0,\n"
	"      \"fail_by_cause\":{\n"
	"        \"timeout\":0,\n"
	"        \"connect\":0,\n"
	"        \"protocol\":0,\n"
	"        \"other\":0\n"
	"      },\n"
	"      \"r_percent\":0.0,\n"
	"      \"successes\":1,\n"
	"      \"rtt_ms\":{\n"
	"        \"avg\":30.125,\n"
	"        \"std\":0.0,\n"
	"        \"min\":30.125,\n"
	"        \"max\":30.125,\n"
	"        \"p50\":null,\n"
	"        \"p99\":null\n"
	"      }\n"
	"    },\n"
	"    {\n"
	"      \"operation\":\"s3.put\",\n"
	"      \"location\":null,\n"
	"      \"replica\":\"jp\",\n"
	"      \"all\":0,\n"
	"      \"fail\":0,\n"
	"      \"fail_by_cause\":{\n"
	"        \"timeout\":0,\n"
	"        \"connect\":0,\n"
	"        \"protocol\":0,\n"
	"        \"other\":0\n"
	"      },\n"
	"      \"r_percent\":null,\n"
	"      \"successes\":0,\n"
	"      \"rtt_ms\":{\n"
	"        \"avg\":null,\n"
	"        \"std\":null,\n"
	"        \"min\":null,\n"
	"        \"max\":null,\n"
	"        \"p50\":null,\n"
	"        \"p99\":null\n"
	"      }\n"
	"    }\n"
	"  ],\n"
	"  \"backfills\":[\n"
	"    {\n"
	"      \"replica\":\"jp\",\n"
	"      \"status\":\"copying\",\n"
	"      \"copied\":12,\n"
	"      \"total\":40,\n"
	"      \"started_at\":\"2026-12-05 09:00:00\",\n"
	"      \"last\":\"2026-12-05 10:39:58\",\n"
	"      \"copying_on\":\"host-1\"\n"
	"    },\n"
	"    {\n"
	"      \"replica\":\"de\",\n"
	"      \"status\":\"done\",\n"
	"      \"copied\":40,\n"
	"      \"total\":40,\n"
	"      \"started_at\":\"2026-12-04 08:00:00\",\n"
	"      \"last\":\"2026-12-04 08:05:00\",\n"
	"      \"copying_on\":null\n"
	"    }\n"
	"  ]\n"
	"}\n";

/* What replicas_report_print writes for the window, of location (NULL: every one). */
static char *report(const char *location, bool json)
{
	static struct observations_tally space[16];
	static struct observations_table table;
	observations_table_init(&table, space, 16);
	for (size_t i = 0; i < sizeof(report_minutes) / sizeof(report_minutes[0]); i++)
		assert_int_equal(observations_add(&table, &report_minutes[i]), 0);
	observations_sort(&table);
	const struct db_observations_read read = {.rows = 5, .skipped = 1, .cut = true};
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	assert_non_null(out);
	assert_int_equal(replicas_report_print(&table, &read, "2026-12-05 09:40:00.000", location, report_backfills, 2,
	                                       json, out),
	                 0);
	fclose(out);
	return text;
}

static void assert_report(const char *location, bool json, const char *want)
{
	char *got = report(location, json);
	if (strcmp(got, want) != 0)
		fail_msg("printed:\n%s\nnot:\n%s", got, want);
	free(got);
}

static void test_text(void **state)
{
	(void)state;
	assert_report(NULL, false, report_text_every);
	assert_report("eu-west-1a", false, report_text_one);
}

static void test_json(void **state)
{
	(void)state;
	assert_report(NULL, true, report_json_every);
	/* One location: named, and no row over every location. */
	char *one = report("eu-west-1a", true);
	assert_non_null(strstr(one, "\n  \"location\":\"eu-west-1a\",\n"));
	assert_null(strstr(one, "\"location\":null"));
	assert_non_null(strstr(one, "\"replica\":\"jp\",\n      \"all\":0,"));
	free(one);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_since),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
