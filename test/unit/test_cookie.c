/*
 * test_cookie.c: which cookies a request carries, which odd ones are skipped, which headers are
 * refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arena_fixture.h"
#include "arena.h"
#include "cookie.h"
#include "fields.h"
#include "limits.h"

struct fixture {
	struct arena *arena;
	struct fields fields;
	char message[FIELDS_MESSAGE_MAX];
};

ARENA_FIXTURE_FUNCTIONS(16u << 20)

static enum fields_status parse_n(struct fixture *f, const char *header, size_t len)
{
	struct fields empty = {0};
	f->fields = empty;
	f->message[0] = '\0';
	return cookie_parse(f->arena, header, len, &f->fields, f->message);
}

static enum fields_status parse(struct fixture *f, const char *header)
{
	return parse_n(f, header, strlen(header));
}

static char *repeat(struct fixture *f, const char *prefix, const char *unit, size_t count,
                    const char *suffix)
{
	size_t prefix_len = strlen(prefix), unit_len = strlen(unit), suffix_len = strlen(suffix);
	char *s = arena_alloc(f->arena, prefix_len + unit_len * count + suffix_len + 1);
	assert_non_null(s);
	memcpy(s, prefix, prefix_len);
	for (size_t i = 0; i < count; i++)
		memcpy(s + prefix_len + i * unit_len, unit, unit_len);
	memcpy(s + prefix_len + unit_len * count, suffix, suffix_len + 1);
	return s;
}

static void test_browser_header(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(parse(f, "session=abc123; csrf=Zm9v+Lw==; theme=dark"), FIELDS_OK);
	assert_int_equal(f->fields.count, 3);
	assert_string_equal(f->fields.items[0].name, "session");
	assert_string_equal(f->fields.items[0].value, "abc123");
	assert_int_equal(f->fields.items[0].value_len, 6);
	assert_string_equal(fields_value(&f->fields, "csrf"), "Zm9v+Lw==");
	assert_string_equal(fields_value(&f->fields, "theme"), "dark");
	assert_null(f->fields.items[0].filename);
}

static void test_empty_header_and_empty_value(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(parse(f, ""), FIELDS_OK);
	assert_int_equal(f->fields.count, 0);
	assert_int_equal(parse(f, "a=; b=\"\""), FIELDS_OK);
	assert_int_equal(f->fields.count, 2);
	assert_string_equal(fields_value(&f->fields, "a"), "");
	assert_string_equal(fields_value(&f->fields, "b"), "");
}

static void test_quotes_stripped_and_spaces_trimmed(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(parse(f, "  q=\"quoted\" ;\tsp = x ;lax=1;"), FIELDS_OK);
	assert_string_equal(fields_value(&f->fields, "q"), "quoted");
	assert_string_equal(fields_value(&f->fields, "sp"), "x");
	assert_string_equal(fields_value(&f->fields, "lax"), "1");
	assert_int_equal(f->fields.count, 3);
}

static void test_malformed_pairs_skipped(void **state)
{
	struct fixture *f = *state;
	/* No '=', empty name, a name with a separator, a value with a space, a comma, a
	 * backslash, an unbalanced quote or 8-bit bytes: all skipped, the good ones kept. */
	assert_int_equal(parse(f, "novalue; =x; a b=1; ok=1; sp=a b; c=a,b; bs=a\\b; uq=\"abc; "
	                          "hi=caf\xc3\xa9; (x)=1; good=2"),
	                 FIELDS_OK);
	assert_int_equal(f->fields.count, 2);
	assert_string_equal(f->fields.items[0].name, "ok");
	assert_string_equal(f->fields.items[1].name, "good");
	assert_string_equal(f->fields.items[1].value, "2");
}

static void test_duplicates_in_order(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(parse(f, "sid=specific; sid=general"), FIELDS_OK);
	assert_int_equal(f->fields.count, 2);
	assert_string_equal(fields_value(&f->fields, "sid"), "specific");
	assert_string_equal(f->fields.items[1].value, "general");
}

static void test_control_bytes_refused(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(parse_n(f, "a=b\0c", 5), FIELDS_BAD_SYNTAX);
	assert_string_equal(f->message, "NUL byte at byte 3 of the Cookie header");
	/* Even inside a pair that would be skipped. */
	assert_int_equal(parse_n(f, "ok=1; junk\0", 11), FIELDS_BAD_SYNTAX);
	assert_int_equal(parse(f, "a=b\r\nSet-Cookie: x=y"), FIELDS_BAD_SYNTAX);
	assert_string_equal(f->message, "control byte 0x0d at byte 3 of the Cookie header");
	assert_int_equal(parse(f, "a=\x7f"), FIELDS_BAD_SYNTAX);
	assert_int_equal(fields_http_status(FIELDS_BAD_SYNTAX), 400);
	/* Percent-escapes are not decoded: %00 is three harmless characters. */
	assert_int_equal(parse(f, "a=%00"), FIELDS_OK);
	assert_string_equal(fields_value(&f->fields, "a"), "%00");
}

static void test_name_cap(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(parse(f, repeat(f, "", "n", LIMIT_COOKIE_NAME_MAX, "=1")), FIELDS_OK);
	assert_int_equal(f->fields.items[0].name_len, LIMIT_COOKIE_NAME_MAX);
	assert_int_equal(parse(f, repeat(f, "a=1; ", "n", LIMIT_COOKIE_NAME_MAX + 1, "=1")),
	                 FIELDS_TOO_LARGE);
	assert_string_equal(f->message, "cookie name at byte 5 is too long (over 128 bytes)");
}

static void test_value_cap(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(parse(f, repeat(f, "big=", "v", LIMIT_COOKIE_VALUE_MAX, "")), FIELDS_OK);
	assert_int_equal(f->fields.items[0].value_len, LIMIT_COOKIE_VALUE_MAX);
	/* The quotes do not count. */
	assert_int_equal(parse(f, repeat(f, "big=\"", "v", LIMIT_COOKIE_VALUE_MAX, "\"")), FIELDS_OK);
	assert_int_equal(parse(f, repeat(f, "big=", "v", LIMIT_COOKIE_VALUE_MAX + 1, "")),
	                 FIELDS_TOO_LARGE);
	assert_string_equal(f->message, "cookie \"big\" is too long (over 4096 bytes)");
}

static void test_count_cap(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(parse(f, repeat(f, "", "c=1; ", LIMIT_COOKIES_MAX, "")), FIELDS_OK);
	assert_int_equal(f->fields.count, LIMIT_COOKIES_MAX);
	assert_int_equal(parse(f, repeat(f, "", "c=1; ", LIMIT_COOKIES_MAX + 1, "")), FIELDS_TOO_MANY);
	assert_string_equal(f->message, "too many cookies (at most 32)");
	/* Skipped pairs are not counted. */
	assert_int_equal(parse(f, repeat(f, "", "junk; ", 100, "c=1")), FIELDS_OK);
	assert_int_equal(f->fields.count, 1);
}

static void test_validators_for_our_cookies(void **state)
{
	(void)state;
	assert_true(cookie_name_valid("__Host-sid", 10));
	assert_false(cookie_name_valid("", 0));
	assert_false(cookie_name_valid("a b", 3));
	assert_false(cookie_name_valid("a=b", 3));
	assert_true(cookie_value_valid("", 0));
	assert_true(cookie_value_valid("Zm9v-_.~!#$", 11));
	assert_false(cookie_value_valid("a;b", 3));
	assert_false(cookie_value_valid("a\"", 2));
	assert_false(cookie_value_valid("a b", 3));
	assert_false(cookie_value_valid("\xc3\xa9", 2));
	char big[LIMIT_COOKIE_VALUE_MAX + 1];
	memset(big, 'v', sizeof(big));
	assert_true(cookie_value_valid(big, LIMIT_COOKIE_VALUE_MAX));
	assert_false(cookie_value_valid(big, LIMIT_COOKIE_VALUE_MAX + 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_browser_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_header_and_empty_value, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quotes_stripped_and_spaces_trimmed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_pairs_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_control_bytes_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_value_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_count_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_validators_for_our_cookies, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
