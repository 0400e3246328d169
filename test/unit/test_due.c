/*
 * test_due.c: a category's target as the admin types it ("3d", "48h") parsed, refused with a
 * sentence out of range or out of shape, and written back; and the due date it gives in the
 * city's zone (Europe/Lisbon here) across both of 2026's DST changes: a target in days lands on
 * the filing's wall-clock time, one in hours that many elapsed hours later.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/due.h"

/* UTC "YYYY-MM-DD HH:MM:SS.mmm" of the due date of a complaint filed at the UTC time given. */
static const char *due_of(const char *filed_utc, const char *target_text, char out[DUE_TIME_SIZE])
{
	struct tm tm = {0};
	struct due_target target;
	assert_null(due_target_parse(target_text, &target));
	assert_non_null(strptime(filed_utc, "%Y-%m-%d %H:%M:%S", &tm));
	time_t filed = timegm(&tm);
	due_utc_text(due_at(filed, &target), 0, out, DUE_TIME_SIZE);
	return out;
}

static void in_lisbon(void)
{
	setenv("TZ", "Europe/Lisbon", 1);
	tzset();
}

static void test_targets_parsed_refused_and_written_back(void **state)
{
	(void)state;
	static const struct {
		const char *text, *written;
	} good[] = {{"3d", "3d"}, {"48h", "48h"}, {" 1d ", "1d"}, {"365d", "365d"}, {"24h", "24h"}, {"8760h", "8760h"}};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct due_target target;
		char written[DUE_TARGET_SIZE];
		assert_null(due_target_parse(good[i].text, &target));
		due_target_format(&target, written, sizeof(written));
		assert_string_equal(written, good[i].written);
	}
	static const char *const bad[] = {"", "d", "3", "3 d", "3w", "0d", "366d", "23h", "8761h", "-3d", "3d4", "1000000d"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct due_target target;
		const char *problem = due_target_parse(bad[i], &target);
		assert_non_null(problem);
		assert_true(strncmp(problem, "Please ", 7) == 0);
	}
	assert_non_null(due_target_parse(NULL, &(struct due_target){0}));
}

static void test_targets_stored_as_days_and_hours(void **state)
{
	(void)state;
	struct due_target target, back;
	unsigned days, hours;
	assert_null(due_target_parse("49h", &target));
	due_target_stored(&target, &days, &hours);
	assert_int_equal(days, 3);   /* rounded up: what a reader of days alone sees */
	assert_int_equal(hours, 49);
	assert_true(due_target_from_stored(days, hours, &back));
	assert_int_equal(back.unit, DUE_HOURS);
	assert_int_equal(back.amount, 49);
	assert_null(due_target_parse("5d", &target));
	due_target_stored(&target, &days, &hours);
	assert_int_equal(days, 5);
	assert_int_equal(hours, 0);
	assert_true(due_target_from_stored(days, hours, &back));
	assert_int_equal(back.unit, DUE_DAYS);
	assert_false(due_target_from_stored(0, 0, &back));
	assert_false(due_target_from_stored(3, 12, &back));
}

static void test_days_keep_the_wall_clock_across_dst(void **state)
{
	(void)state;
	char out[DUE_TIME_SIZE];
	in_lisbon();
	/* Spring: 29 March 2026, 01:00 UTC, Lisbon goes from UTC+0 to UTC+1. Filed 10:00 local. */
	assert_string_equal(due_of("2026-03-27 10:00:00", "3d", out), "2026-03-30 09:00:00.000");  /* 10:00 local */
	assert_string_equal(due_of("2026-03-27 10:00:00", "72h", out), "2026-03-30 10:00:00.000"); /* 11:00 local */
	/* Autumn: 25 October 2026, 01:00 UTC, back to UTC+0. Filed 11:00 local (10:00 UTC). */
	assert_string_equal(due_of("2026-10-23 10:00:00", "3d", out), "2026-10-26 11:00:00.000");  /* 11:00 local */
	assert_string_equal(due_of("2026-10-23 10:00:00", "72h", out), "2026-10-26 10:00:00.000"); /* 10:00 local */
	/* No change in between: days and hours agree. */
	assert_string_equal(due_of("2026-06-01 08:30:00", "2d", out), "2026-06-03 08:30:00.000");
	assert_string_equal(due_of("2026-06-01 08:30:00", "48h", out), "2026-06-03 08:30:00.000");
	/* Filed at 01:30 local on the day before the spring change: 01:30 does not exist on the due
	 * day, so the due time moves forward by the skipped hour (02:30 local, 01:30 UTC). */
	assert_string_equal(due_of("2026-03-28 01:30:00", "1d", out), "2026-03-29 01:30:00.000");
	/* A year across both changes lands on the same wall-clock time. */
	assert_string_equal(due_of("2026-01-15 09:00:00", "365d", out), "2027-01-15 09:00:00.000");
}

static void test_utc_zone_days_are_24_hours(void **state)
{
	(void)state;
	char out[DUE_TIME_SIZE];
	setenv("TZ", "UTC", 1);
	tzset();
	assert_string_equal(due_of("2026-03-27 10:00:00", "3d", out), "2026-03-30 10:00:00.000");
	struct due_target target = {DUE_DAYS, 1};
	due_utc_text(due_at(0, &target), 7, out, sizeof(out));
	assert_string_equal(out, "1970-01-02 00:00:00.007");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_targets_parsed_refused_and_written_back),
		cmocka_unit_test(test_targets_stored_as_days_and_hours),
		cmocka_unit_test(test_days_keep_the_wall_clock_across_dst),
		cmocka_unit_test(test_utc_zone_days_are_24_hours),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
