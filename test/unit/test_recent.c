/*
 * test_recent.c: a process's recent answers (core/recent.c): an answer is found under its key
 * while it is younger than the age asked and not after; storing a key again replaces its answer;
 * a full table gives up the answer read longest ago; what does not fit is refused, nothing stored;
 * each answer stored has a serial of its own, so what was made from an answer can tell it is stale.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/recent.h"

static void test_found_while_young(void **state)
{
	(void)state;
	struct recent *recent = recent_new(4);
	assert_non_null(recent);
	int64_t counts[2] = {7, 9};
	assert_non_null(recent_store(recent, "counts overdue=1", counts, sizeof(counts), 1000, 1700000000, "0-1-5"));
	const struct recent_entry *entry = recent_find(recent, "counts overdue=1", 5999, 5000);
	assert_non_null(entry);
	assert_int_equal(entry->len, sizeof(counts));
	assert_memory_equal(entry->value, counts, sizeof(counts));
	assert_string_equal(entry->seen, "0-1-5");
	assert_int_equal(entry->at, 1700000000);
	assert_null(recent_find(recent, "counts overdue=1", 6001, 5000));  /* older than asked */
	assert_null(recent_find(recent, "counts", 2000, 5000));             /* another key */
	assert_null(recent_find(recent, "counts overdue=1", 999, 5000));    /* a clock before it */
	counts[0] = 8;
	assert_non_null(recent_store(recent, "counts overdue=1", counts, sizeof(counts), 7000, 1700000006, ""));
	entry = recent_find(recent, "counts overdue=1", 7000, 0);
	assert_non_null(entry);
	assert_int_equal(((const int64_t *)entry->value)[0], 8);
	assert_string_equal(entry->seen, "");
	recent_free(recent);
}

static void test_full_table_gives_up_the_oldest(void **state)
{
	(void)state;
	struct recent *recent = recent_new(2);
	assert_non_null(recent);
	assert_non_null(recent_store(recent, "a", "1", 1, 300, 0, ""));
	assert_non_null(recent_store(recent, "b", "2", 1, 100, 0, ""));
	assert_non_null(recent_store(recent, "c", "3", 1, 400, 0, ""));
	assert_non_null(recent_find(recent, "a", 400, 1000));
	assert_null(recent_find(recent, "b", 400, 1000));
	assert_non_null(recent_find(recent, "c", 400, 1000));
	recent_free(recent);
}

static void test_each_answer_has_its_own_serial(void **state)
{
	(void)state;
	struct recent *recent = recent_new(2);
	assert_non_null(recent);
	const struct recent_entry *a = recent_store(recent, "page a", "1", 1, 100, 0, "");
	assert_non_null(a);
	uint64_t first = a->serial;
	assert_true(first > 0);
	const struct recent_entry *b = recent_store(recent, "page b", "2", 1, 100, 0, "");
	assert_non_null(b);
	assert_true(b->serial > first);
	/* The same key read again, at the same millisecond: another answer, another serial. */
	const struct recent_entry *again = recent_store(recent, "page a", "1", 1, 100, 0, "");
	assert_ptr_equal(again, a);
	assert_true(again->serial > b->serial);
	assert_int_equal(recent_find(recent, "page a", 100, 1000)->serial, again->serial);
	recent_free(recent);
}

static void test_what_does_not_fit_is_refused(void **state)
{
	(void)state;
	struct recent *recent = recent_new(2);
	char key[RECENT_KEY_MAX + 1];
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	assert_null(recent_store(recent, key, "1", 1, 0, 0, ""));
	assert_null(recent_store(recent, "k", "1", RECENT_VALUE_MAX + 1, 0, 0, ""));
	assert_null(recent_find(recent, "k", 0, 1000));
	assert_null(recent_store(NULL, "k", "1", 1, 0, 0, ""));
	assert_null(recent_find(NULL, "k", 0, 1000));
	recent_free(recent);
	recent_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_found_while_young),
		cmocka_unit_test(test_full_table_gives_up_the_oldest),
		cmocka_unit_test(test_each_answer_has_its_own_serial),
		cmocka_unit_test(test_what_does_not_fit_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
