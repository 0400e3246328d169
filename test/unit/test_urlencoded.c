/*
 * test_urlencoded.c: what a user's query string or form body turns into, and why one is refused.
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
#include "fields.h"
#include "limits.h"
#include "urlencoded.h"

struct fixture {
	struct arena *arena;
	struct fields fields;
	char message[FIELDS_MESSAGE_MAX];
};

ARENA_FIXTURE_FUNCTIONS(16u << 20)

static enum fields_status parse_n(struct fixture *f, const char *data, size_t len)
{
	struct fields empty = {0};
	f->fields = empty;
	f->message[0] = '\0';
	return urlencoded_parse(f->arena, data, len, &f->fields, f->message);
}

static enum fields_status parse(struct fixture *f, const char *data)
{
	return parse_n(f, data, strlen(data));
}

/* A string of count copies of unit, from the arena. */
static char *repeat(struct fixture *f, const char *prefix, const char *unit, size_t count)
{
	size_t prefix_len = strlen(prefix), unit_len = strlen(unit);
	char *s = arena_alloc(f->arena, prefix_len + unit_len * count + 1);
	assert_non_null(s);
	memcpy(s, prefix, prefix_len);
	for (size_t i = 0; i < count; i++)
		memcpy(s + prefix_len + i * unit_len, unit, unit_len);
	s[prefix_len + unit_len * count] = '\0';
	return s;
}

static void test_pairs_in_order(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(parse(f, "title=Broken+lamp&street=Main%20St&flag"), FIELDS_OK);
	assert_int_equal(f->fields.count, 3);
	assert_string_equal(f->fields.items[0].name, "title");
	assert_string_equal(f->fields.items[0].value, "Broken lamp");
	assert_int_equal(f->fields.items[0].value_len, 11);
	assert_string_equal(fields_value(&f->fields, "street"), "Main St");
	assert_string_equal(fields_value(&f->fields, "flag"), "");
	assert_null(f->fields.items[0].filename);
	assert_null(f->fields.items[0].content_type);
}

static void test_empty_input_and_empty_pairs(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(parse(f, ""), FIELDS_OK);
	assert_int_equal(f->fields.count, 0);
	assert_int_equal(parse(f, "&&&"), FIELDS_OK);
	assert_int_equal(f->fields.count, 0);
	assert_int_equal(parse(f, "&&a=1&&b&"), FIELDS_OK);
	assert_int_equal(f->fields.count, 2);
	assert_string_equal(fields_value(&f->fields, "a"), "1");
	assert_string_equal(fields_value(&f->fields, "b"), "");
}

static void test_only_first_equals_splits(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(parse(f, "expr=a==b&empty="), FIELDS_OK);
	assert_string_equal(fields_value(&f->fields, "expr"), "a==b");
	assert_string_equal(fields_value(&f->fields, "empty"), "");
}

static void test_duplicates_kept_first_found(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(parse(f, "tag=a&tag=b"), FIELDS_OK);
	assert_int_equal(f->fields.count, 2);
	assert_string_equal(fields_value(&f->fields, "tag"), "a");
	assert_string_equal(f->fields.items[1].value, "b");
}

static void test_percent_edge_cases(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(parse(f, "plus=%2B&space=+&pct=%25&lower=%2b%2f&upper=%2F&mixed=%e2%82%AC"),
	                 FIELDS_OK);
	assert_string_equal(fields_value(&f->fields, "plus"), "+");
	assert_string_equal(fields_value(&f->fields, "space"), " ");
	assert_string_equal(fields_value(&f->fields, "pct"), "%");
	assert_string_equal(fields_value(&f->fields, "lower"), "+/");
	assert_string_equal(fields_value(&f->fields, "upper"), "/");
	assert_string_equal(fields_value(&f->fields, "mixed"), "\xe2\x82\xac");
	/* %25 decodes once: %2541 is "%41", not "A". */
	assert_int_equal(parse(f, "twice=%2541"), FIELDS_OK);
	assert_string_equal(fields_value(&f->fields, "twice"), "%41");
	/* Encoded separators are data. */
	assert_int_equal(parse(f, "k%3Dx=v%26w"), FIELDS_OK);
	assert_string_equal(fields_value(&f->fields, "k=x"), "v&w");
}

static void test_bad_escapes_refused(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {"a=%", "a=%4", "a=%zz", "a=%G1", "a=%4g", "%=1", "a=1%",
	                                  "a=%%41"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(f, bad[i]), FIELDS_BAD_SYNTAX);
		assert_non_null(strstr(f->message, "malformed percent-escape"));
	}
	assert_int_equal(parse(f, "note=ok&name=%zz"), FIELDS_BAD_SYNTAX);
	assert_string_equal(f->message, "field \"name\" at byte 13: malformed percent-escape ('%' must "
	                                "be followed by two hex digits)");
	assert_int_equal(parse(f, "ok=1&na%4=1"), FIELDS_BAD_SYNTAX);
	assert_string_equal(f->message, "field name at byte 7: malformed percent-escape ('%' must be "
	                                "followed by two hex digits)");
}

static void test_nul_refused_raw_and_encoded(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(parse_n(f, "a=b\0c", 5), FIELDS_BAD_SYNTAX);
	assert_string_equal(f->message, "field \"a\" at byte 3: NUL byte (raw or as %00) is not allowed");
	assert_int_equal(parse(f, "a=x%00"), FIELDS_BAD_SYNTAX);
	assert_string_equal(f->message, "field \"a\" at byte 3: NUL byte (raw or as %00) is not allowed");
	assert_int_equal(parse(f, "n%00me=x"), FIELDS_BAD_SYNTAX);
	assert_string_equal(f->message, "field name at byte 1: NUL byte (raw or as %00) is not allowed");
	assert_int_equal(parse_n(f, "\0", 1), FIELDS_BAD_SYNTAX);
}

static void test_invalid_utf8_refused(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
		"v=%C0%AF",          /* overlong '/' */
		"v=%E0%80%AF",       /* overlong, three bytes */
		"v=%ED%A0%80",       /* UTF-16 surrogate */
		"v=%F4%90%80%80",    /* past U+10FFFF */
		"v=%E2%82",          /* cut short */
		"v=%E2%82x",         /* cut by ASCII */
		"v=%FF",             /* never valid */
		"v=%80",             /* lone continuation */
		"v=\xc3(",           /* raw, not percent-encoded */
		"%C3=v",             /* in the name */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(f, bad[i]), FIELDS_BAD_SYNTAX);
		assert_non_null(strstr(f->message, "invalid UTF-8"));
	}
	assert_int_equal(parse(f, "x=1&v=ab%C0%AF"), FIELDS_BAD_SYNTAX);
	assert_string_equal(f->message, "field \"v\" at byte 8: invalid UTF-8");
}

static void test_valid_utf8_accepted(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(parse(f, "smile=%F0%9F%98%80&raw=caf\xc3\xa9&%C3%A9t%C3%A9=1&max=%F4%8F%BF%BF"),
	                 FIELDS_OK);
	assert_string_equal(fields_value(&f->fields, "smile"), "\xf0\x9f\x98\x80");
	assert_string_equal(fields_value(&f->fields, "raw"), "caf\xc3\xa9");
	assert_string_equal(fields_value(&f->fields, "\xc3\xa9t\xc3\xa9"), "1");
	assert_string_equal(fields_value(&f->fields, "max"), "\xf4\x8f\xbf\xbf");
}

static void test_empty_name_refused(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(parse(f, "=x"), FIELDS_BAD_SYNTAX);
	assert_string_equal(f->message, "empty field name at byte 0");
	assert_int_equal(parse(f, "a=1&="), FIELDS_BAD_SYNTAX);
	assert_string_equal(f->message, "empty field name at byte 4");
}

static void test_name_cap(void **state)
{
	struct fixture *f = *state;
	char *name = repeat(f, "", "n", LIMIT_FIELD_NAME_MAX);
	assert_int_equal(parse(f, name), FIELDS_OK);
	assert_int_equal(f->fields.items[0].name_len, LIMIT_FIELD_NAME_MAX);
	/* The cap counts decoded bytes: 128 escapes are 128 bytes. */
	assert_int_equal(parse(f, repeat(f, "", "%41", LIMIT_FIELD_NAME_MAX)), FIELDS_OK);
	assert_int_equal(parse(f, repeat(f, "a=1&", "n", LIMIT_FIELD_NAME_MAX + 1)), FIELDS_TOO_LARGE);
	assert_string_equal(f->message, "field name at byte 4 is too long (over 128 bytes)");
}

static void test_value_cap_names_field(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(parse(f, repeat(f, "body=", "v", LIMIT_FIELD_VALUE_MAX)), FIELDS_OK);
	assert_int_equal(f->fields.items[0].value_len, LIMIT_FIELD_VALUE_MAX);
	assert_int_equal(parse(f, repeat(f, "body=", "+", LIMIT_FIELD_VALUE_MAX)), FIELDS_OK);
	assert_int_equal(parse(f, repeat(f, "body=", "v", LIMIT_FIELD_VALUE_MAX + 1)),
	                 FIELDS_TOO_LARGE);
	assert_string_equal(f->message, "field \"body\" is too long (over 65536 bytes)");
	assert_int_equal(parse(f, repeat(f, "body=", "%41", LIMIT_FIELD_VALUE_MAX + 1)),
	                 FIELDS_TOO_LARGE);
}

static void test_field_count_cap(void **state)
{
	struct fixture *f = *state;
	char *at_cap = repeat(f, "", "k=v&", LIMIT_FIELDS_MAX);
	assert_int_equal(parse(f, at_cap), FIELDS_OK);
	assert_int_equal(f->fields.count, LIMIT_FIELDS_MAX);

	assert_int_equal(parse(f, repeat(f, "", "k=v&", LIMIT_FIELDS_MAX + 1)), FIELDS_TOO_MANY);
	assert_string_equal(f->message, "too many fields (at most 64)");
	assert_int_equal(fields_http_status(FIELDS_TOO_MANY), 413);
}

static void test_long_name_quoted_short_in_message(void **state)
{
	struct fixture *f = *state;
	char *data = repeat(f, "", "x", 100);
	size_t len = strlen(data);
	char *with_value = arena_alloc(f->arena, len + 8);
	assert_non_null(with_value);
	memcpy(with_value, data, len);
	memcpy(with_value + len, "=%zz", 5);
	assert_int_equal(parse(f, with_value), FIELDS_BAD_SYNTAX);
	assert_string_equal(f->message, "field \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\" at byte "
	                                "101: malformed percent-escape ('%' must be followed by two hex "
	                                "digits)");
	/* A control byte in a name (legal once decoded) is not echoed into the message. */
	assert_int_equal(parse(f, "ab%0Acd=%zz"), FIELDS_BAD_SYNTAX);
	assert_null(strchr(f->message, '\n'));
	assert_non_null(strstr(f->message, "\"ab...\""));
}

static void test_decode_for_paths(void **state)
{
	(void)state;
	char out[64];
	size_t len = 0, at = 0;
	assert_int_equal(urlencoded_decode("/a+b%2Bc%2Fd", 12, 0, out, &len, &at), URLENCODED_OK);
	assert_string_equal(out, "/a+b+c/d");
	assert_int_equal(len, 8);
	assert_int_equal(urlencoded_decode("a+b", 3, URLENCODED_PLUS_IS_SPACE, out, &len, &at),
	                 URLENCODED_OK);
	assert_string_equal(out, "a b");
	/* Measuring only. */
	assert_int_equal(urlencoded_decode("%41%42", 6, 0, NULL, &len, &at), URLENCODED_OK);
	assert_int_equal(len, 2);
	assert_int_equal(urlencoded_decode("/x/%2", 5, 0, out, &len, &at), URLENCODED_BAD_ESCAPE);
	assert_int_equal(at, 3);
	assert_int_equal(urlencoded_decode("/x%00", 5, 0, out, &len, &at), URLENCODED_NUL);
	assert_int_equal(at, 2);
	assert_int_equal(urlencoded_decode("/%C0%AE", 7, 0, out, &len, &at), URLENCODED_BAD_UTF8);
	assert_int_equal(at, 1);
}

static void test_text_check_and_excerpt(void **state)
{
	(void)state;
	size_t at = 0;
	assert_int_equal(urlencoded_text_check("%00", 3, &at), URLENCODED_OK);
	assert_int_equal(urlencoded_text_check("ab\0", 3, &at), URLENCODED_NUL);
	assert_int_equal(at, 2);
	assert_int_equal(urlencoded_text_check("a\xe2\x82", 3, &at), URLENCODED_BAD_UTF8);
	assert_int_equal(at, 1);
	/* Never cut inside a character: "é" is two bytes. */
	assert_int_equal(urlencoded_excerpt("a\xc3\xa9", 3, 2), 1);
	assert_int_equal(urlencoded_excerpt("a\xc3\xa9", 3, 3), 3);
	assert_int_equal(urlencoded_excerpt("ab\tc", 4, 10), 2);
	assert_string_equal(urlencoded_strerror(URLENCODED_NUL),
	                    "NUL byte (raw or as %00) is not allowed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pairs_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_input_and_empty_pairs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_only_first_equals_splits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicates_kept_first_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_percent_edge_cases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_escapes_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nul_refused_raw_and_encoded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_utf8_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_valid_utf8_accepted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_name_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_value_cap_names_field, setup, teardown),
		cmocka_unit_test_setup_teardown(test_field_count_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_name_quoted_short_in_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decode_for_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_check_and_excerpt, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
