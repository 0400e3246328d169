/*
 * test_throttle.c: the sign-in throttling rules on exact times — free failures, then delays that
 * double up to a cap; the pair locked at its threshold until the lock's end, and heard again then;
 * the email alone never locked and never waiting over 30 s whatever the policy says; the longest
 * wait decides; failures older than the window forgotten.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/throttle.h"

static const struct throttle_policy policy = {
	.rules = {
		[THROTTLE_PAIR] = {.free_failures = 3, .first_delay_ms = 1000, .max_delay_ms = 60000,
		                   .lock_failures = 10, .lock_ms = 900000},
		[THROTTLE_ADDRESS] = {.free_failures = 10, .first_delay_ms = 1000, .max_delay_ms = 60000},
		[THROTTLE_EMAIL] = {.free_failures = 5, .first_delay_ms = 1000, .max_delay_ms = 30000},
	},
	.window_ms = 1800000,
};

static void test_delays_double_after_the_free_failures_up_to_the_cap(void **state)
{
	(void)state;
	const struct throttle_rule *pair = &policy.rules[THROTTLE_PAIR];
	const int64_t expected[] = {0, 0, 0, 0, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000};
	for (unsigned failures = 0; failures < sizeof expected / sizeof expected[0]; failures++)
		assert_int_equal(throttle_delay_ms(pair, failures), expected[failures]);
	assert_int_equal(throttle_delay_ms(pair, 4000000000u), 60000);
}

static void test_a_wait_ends_exactly_at_last_failure_plus_delay(void **state)
{
	(void)state;
	struct throttle_count counts[THROTTLE_SCOPES] = {[THROTTLE_PAIR] = {5, 100000}};
	struct throttle_verdict verdict = throttle_judge(&policy, counts, 100000);
	assert_int_equal(verdict.kind, THROTTLE_WAIT);
	assert_int_equal(verdict.scope, THROTTLE_PAIR);
	assert_int_equal(verdict.until_ms, 102000);
	assert_int_equal(throttle_judge(&policy, counts, 101999).kind, THROTTLE_WAIT);
	assert_int_equal(throttle_judge(&policy, counts, 102000).kind, THROTTLE_ALLOW);
	counts[THROTTLE_PAIR].failures = 3;
	assert_int_equal(throttle_judge(&policy, counts, 100000).kind, THROTTLE_ALLOW);
}

static void test_the_pair_locks_at_its_threshold_until_the_lock_ends(void **state)
{
	(void)state;
	struct throttle_count counts[THROTTLE_SCOPES] = {[THROTTLE_PAIR] = {10, 500000}};
	struct throttle_verdict verdict = throttle_judge(&policy, counts, 500001);
	assert_int_equal(verdict.kind, THROTTLE_LOCKED);
	assert_int_equal(verdict.scope, THROTTLE_PAIR);
	assert_int_equal(verdict.until_ms, 1400000);
	assert_int_equal(throttle_judge(&policy, counts, 1399999).kind, THROTTLE_LOCKED);
	assert_int_equal(throttle_judge(&policy, counts, 1400000).kind, THROTTLE_ALLOW);
	counts[THROTTLE_PAIR].failures = 9;
	assert_int_equal(throttle_judge(&policy, counts, 500001).kind, THROTTLE_WAIT);
}

static void test_a_lock_shorter_than_the_delay_ends_the_wait_too(void **state)
{
	(void)state;
	struct throttle_policy short_lock = policy;
	short_lock.rules[THROTTLE_PAIR].lock_ms = 6000;   /* the delay at 10 failures is 60 s */
	struct throttle_count counts[THROTTLE_SCOPES] = {[THROTTLE_PAIR] = {10, 500000}};
	assert_int_equal(throttle_judge(&short_lock, counts, 505999).kind, THROTTLE_LOCKED);
	assert_int_equal(throttle_judge(&short_lock, counts, 506000).kind, THROTTLE_ALLOW);
}

static void test_the_email_alone_never_locks_nor_waits_over_30_s(void **state)
{
	(void)state;
	struct throttle_policy harsh = policy;
	harsh.rules[THROTTLE_EMAIL] = (struct throttle_rule){.free_failures = 0, .first_delay_ms = 1000,
	                                                     .max_delay_ms = 3600000, .lock_failures = 1,
	                                                     .lock_ms = 3600000};
	struct throttle_count counts[THROTTLE_SCOPES] = {[THROTTLE_EMAIL] = {1000, 700000}};
	struct throttle_verdict verdict = throttle_judge(&harsh, counts, 700000);
	assert_int_equal(verdict.kind, THROTTLE_WAIT);
	assert_int_equal(verdict.scope, THROTTLE_EMAIL);
	assert_int_equal(verdict.until_ms, 700000 + THROTTLE_EMAIL_DELAY_CAP_MS);
	assert_int_equal(throttle_judge(&harsh, counts, 730000).kind, THROTTLE_ALLOW);
}

static void test_the_longest_wait_decides(void **state)
{
	(void)state;
	struct throttle_count counts[THROTTLE_SCOPES] = {
		[THROTTLE_PAIR] = {4, 200000},      /* until 201000 */
		[THROTTLE_ADDRESS] = {13, 199000},  /* 4000: until 203000 */
		[THROTTLE_EMAIL] = {7, 200000},     /* 2000: until 202000 */
	};
	struct throttle_verdict verdict = throttle_judge(&policy, counts, 200500);
	assert_int_equal(verdict.kind, THROTTLE_WAIT);
	assert_int_equal(verdict.scope, THROTTLE_ADDRESS);
	assert_int_equal(verdict.until_ms, 203000);
}

static void test_failures_older_than_the_window_are_forgotten(void **state)
{
	(void)state;
	struct throttle_policy short_window = policy;
	short_window.window_ms = 10000;
	short_window.rules[THROTTLE_ADDRESS].max_delay_ms = 3600000;
	struct throttle_count counts[THROTTLE_SCOPES] = {[THROTTLE_ADDRESS] = {30, 0}};
	assert_int_equal(throttle_judge(&short_window, counts, 10000).kind, THROTTLE_WAIT);
	assert_int_equal(throttle_judge(&short_window, counts, 10001).kind, THROTTLE_ALLOW);
	/* A lock outlives the window: it ends at its own time. */
	short_window.rules[THROTTLE_PAIR].lock_ms = 20000;
	struct throttle_count locked[THROTTLE_SCOPES] = {[THROTTLE_PAIR] = {10, 0}};
	assert_int_equal(throttle_judge(&short_window, locked, 15000).kind, THROTTLE_LOCKED);
	assert_int_equal(throttle_judge(&short_window, locked, 20000).kind, THROTTLE_ALLOW);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delays_double_after_the_free_failures_up_to_the_cap),
		cmocka_unit_test(test_a_wait_ends_exactly_at_last_failure_plus_delay),
		cmocka_unit_test(test_the_pair_locks_at_its_threshold_until_the_lock_ends),
		cmocka_unit_test(test_a_lock_shorter_than_the_delay_ends_the_wait_too),
		cmocka_unit_test(test_the_email_alone_never_locks_nor_waits_over_30_s),
		cmocka_unit_test(test_the_longest_wait_decides),
		cmocka_unit_test(test_failures_older_than_the_window_are_forgotten),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
