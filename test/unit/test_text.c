/*
 * test_text.c: what forms make of typed text: spaces trimmed, CR LF counted and stored as one
 * line break, characters counted as people count them, and the invisible controls that could
 * disguise a name or a description refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "arena.h"
#include "core/text.h"

static int setup(void **state)
{
	*state = arena_create(1 << 16);
	return *state == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	arena_destroy(*state);
	return 0;
}

static void test_trimmed(void **state)
{
	struct arena *arena = *state;
	assert_string_equal(text_trimmed(arena, "  Mill Lane \t\r\n"), "Mill Lane");
	assert_string_equal(text_trimmed(arena, "inner  spaces stay"), "inner  spaces stay");
	assert_string_equal(text_trimmed(arena, " \t "), "");
	assert_string_equal(text_trimmed(arena, NULL), "");
}

static void test_newlines(void **state)
{
	struct arena *arena = *state;
	/* A browser sends a textarea's line breaks as CR LF: one break each, as the page counted. */
	assert_string_equal(text_newlines(arena, "one\r\ntwo\rthree\nfour"), "one\ntwo\nthree\nfour");
	assert_int_equal(text_characters(text_newlines(arena, "ab\r\ncd"), true), 5);
	assert_string_equal(text_newlines(arena, NULL), "");
}

static void test_characters(void **state)
{
	(void)state;
	assert_int_equal(text_characters("Zoë", false), 3);
	assert_int_equal(text_characters("日本", false), 2);
	assert_int_equal(text_characters("", false), 0);
	/* Controls: refused, except line breaks and tabs where a text may have paragraphs. */
	assert_int_equal(text_characters("a\nb", false), -1);
	assert_int_equal(text_characters("a\nb", true), 3);
	assert_int_equal(text_characters("a\x01" "b", true), -1);
	assert_int_equal(text_characters("a\x7f", true), -1);
	assert_int_equal(text_characters("a\xc2\x85", true), -1);      /* U+0085, C1 */
	assert_int_equal(text_characters("a\xc2\xa0" "b", false), 3);  /* U+00A0: a visible space */
}

static void test_invisible_controls_refused(void **state)
{
	(void)state;
	/* "Trojan Source": a right-to-left override makes "Ann\u202Egnp.exe" read as "Annexe.png". */
	assert_int_equal(text_characters("Ann\xe2\x80\xae" "gnp.exe", false), -1);   /* U+202E RLO */
	assert_int_equal(text_characters("a\xe2\x80\xa8" "b", true), -1);            /* U+2028 line separator */
	assert_int_equal(text_characters("a\xe2\x81\xa6" "b", true), -1);            /* U+2066 LRI */
	assert_int_equal(text_characters("a\xe2\x81\xa9" "b", true), -1);            /* U+2069 PDI */
	/* Their neighbours are ordinary punctuation. */
	assert_int_equal(text_characters("a\xe2\x80\x94" "b", false), 3);            /* U+2014 em dash */
	assert_int_equal(text_characters("a\xe2\x80\xaf" "b", false), 3);            /* U+202F narrow no-break space */
	assert_int_equal(text_characters("a\xe2\x81\xa5" "b", false), 3);            /* U+2065, unassigned */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_trimmed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newlines, setup, teardown),
		cmocka_unit_test(test_characters),
		cmocka_unit_test(test_invisible_controls_refused),
	};
	return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
