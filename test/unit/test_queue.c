/*
 * test_queue.c: the admin queue's filter as its URL gives it — statuses, category, agent or
 * nobody, overdue, reopened, dates, words split as the FULLTEXT index needs, sort, keyset
 * position — every bad field refused with a sentence, and the filter written back into the same
 * query; and the CSV cells of the export: quotes doubled, formula-looking text behind an
 * apostrophe, numbers as they are.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"
#include "core/csv.h"
#include "core/queue.h"
#include "core/workflow.h"
#include "fields.h"
#include "urlencoded.h"

static int queue_of(struct arena *arena, const char *query, struct queue_filter *filter, char *message)
{
	struct fields fields = {0};
	char parse_message[FIELDS_MESSAGE_MAX];
	assert_int_equal(urlencoded_parse(arena, query, strlen(query), &fields, parse_message), FIELDS_OK);
	return queue_parse(arena, &fields, filter, message, FIELDS_MESSAGE_MAX);
}

static void test_every_field_parsed_and_written_back(void **state)
{
	(void)state;
	struct arena *arena = arena_create(1 << 20);
	struct queue_filter filter;
	char message[FIELDS_MESSAGE_MAX] = "";
	const char *query = "status=submitted&status=in_progress&category=water_leak&agent=12&overdue=1&reopened=1"
	                    "&from=2026-01-01&to=2026-02-28&q=Mill%20lane%2C%20%D1%83%D0%BB%D0%B8%D1%86%D0%B0&sort=filed";
	assert_int_equal(queue_of(arena, query, &filter, message), 0);
	assert_int_equal(filter.statuses, (1u << WORKFLOW_SUBMITTED) | (1u << WORKFLOW_IN_PROGRESS));
	assert_string_equal(filter.category, "water_leak");
	assert_int_equal(filter.agent_id, 12);
	assert_true(filter.overdue && filter.reopened);
	assert_string_equal(filter.from, "2026-01-01");
	assert_string_equal(filter.to, "2026-02-28");
	assert_int_equal(filter.word_count, 3);
	assert_string_equal(filter.words[0], "Mill");
	assert_string_equal(filter.words[1], "lane");
	assert_string_equal(filter.words[2], "улица");
	assert_int_equal(filter.sort, QUEUE_SORT_FILED);
	assert_int_equal(filter.way, QUEUE_FIRST);
	/* Overdue keeps only the open statuses. */
	assert_int_equal(queue_statuses(&filter), (1u << WORKFLOW_SUBMITTED) | (1u << WORKFLOW_IN_PROGRESS));
	assert_string_equal(queue_query(arena, &filter), query);
	arena_destroy(arena);
}

static void test_keyset_links(void **state)
{
	(void)state;
	struct arena *arena = arena_create(1 << 20);
	struct queue_filter filter;
	char message[FIELDS_MESSAGE_MAX] = "";
	assert_int_equal(queue_of(arena, "agent=none", &filter, message), 0);
	const char *next = queue_link(arena, "/admin", &filter, QUEUE_AFTER, "2026-01-02 03:04:05.678", 42);
	assert_string_equal(next, "/admin?agent=none&after=2026-01-02%2003%3A04%3A05.678%2C42");
	assert_string_equal(queue_link(arena, "/admin", &(struct queue_filter){0}, QUEUE_FIRST, NULL, 0), "/admin");
	/* The link parses back to the same position. */
	assert_int_equal(queue_of(arena, strchr(next, '?') + 1, &filter, message), 0);
	assert_int_equal(filter.way, QUEUE_AFTER);
	assert_string_equal(filter.key, "2026-01-02 03:04:05.678");
	assert_int_equal(filter.key_id, 42);
	assert_true(filter.unassigned);
	assert_int_equal(filter.as_of, 0);
	/* A page's as_of rides on its keyset links only, and parses back; the filter's own query and
	 * the first page's link leave it out. */
	filter.as_of = 1764950400123;
	next = queue_link(arena, "/admin", &filter, QUEUE_BEFORE, "2026-01-02 03:04:05.678", 7);
	assert_string_equal(next, "/admin?agent=none&before=2026-01-02%2003%3A04%3A05.678%2C7&as_of=1764950400123");
	assert_string_equal(queue_link(arena, "/admin", &filter, QUEUE_FIRST, NULL, 0), "/admin?agent=none");
	assert_string_equal(queue_query(arena, &filter), "agent=none");
	assert_int_equal(queue_of(arena, strchr(next, '?') + 1, &filter, message), 0);
	assert_int_equal(filter.way, QUEUE_BEFORE);
	assert_int_equal(filter.as_of, 1764950400123);
	arena_destroy(arena);
}

static void test_bad_fields_refused_with_a_sentence(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"status=open", "category=Water", "agent=-1", "agent=abc", "overdue=yes", "from=2026-13-01", "to=2026-02-30x",
		"from=2026-02-01&to=2026-01-01", "sort=random", "after=2026-01-02 03:04:05.678", "after=yesterday,3",
		"after=2026-01-02 03:04:05.678,0", "after=2026-01-02 03:04:05.678,1&before=2026-01-02 03:04:05.678,2",
		"q=a b", "q=one two three four five six seven eight nine", "agent=none&agent=3", "as_of=-1",
		"as_of=1764950400123456", "as_of=now",
	};
	struct arena *arena = arena_create(1 << 20);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct queue_filter filter;
		char message[FIELDS_MESSAGE_MAX] = "";
		if (queue_of(arena, bad[i], &filter, message) != -1)
			fail_msg("%s was accepted", bad[i]);
		assert_true(strlen(message) > 10);
	}
	/* Empty fields of the GET form are no bound; unknown fields (a button) are not the filter's. */
	struct queue_filter filter;
	char message[FIELDS_MESSAGE_MAX] = "";
	assert_int_equal(queue_of(arena, "status=&category=&agent=&q=&from=&button=Show", &filter, message), 0);
	assert_int_equal(queue_statuses(&filter), (1u << WORKFLOW_STATES) - 1);
	arena_destroy(arena);
}

static void test_csv_cells(void **state)
{
	(void)state;
	static const struct {
		const char *text, *cell;
	} cases[] = {
		{"plain", "\"plain\""},
		{"a, \"quoted\"\nline", "\"a, \"\"quoted\"\"\nline\""},
		{"=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\""},
		{"+1", "\"'+1\""}, {"-1+2", "\"'-1+2\""}, {"@SUM(A1)", "\"'@SUM(A1)\""},
		{"\tx", "\"'\tx\""}, {"\rx", "\"'\rx\""}, {"a=b", "\"a=b\""}, {"", "\"\""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[64];
		assert_true(csv_text_size(cases[i].text) < sizeof(out));
		*csv_text(out, cases[i].text) = '\0';
		assert_string_equal(out, cases[i].cell);
	}
	char out[32];
	*csv_number(out, "-9.139300") = '\0';
	assert_string_equal(out, "-9.139300");
	*csv_number(out, NULL) = '\0';
	assert_string_equal(out, "");
	*csv_text(out, NULL) = '\0';
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_field_parsed_and_written_back),
		cmocka_unit_test(test_keyset_links),
		cmocka_unit_test(test_bad_fields_refused_with_a_sentence),
		cmocka_unit_test(test_csv_cells),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
