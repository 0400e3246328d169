/*
 * test_password.c: which passwords sign-up accepts and why it refuses the others, the
 * common-passwords list, and argon2id hashing: round trip, wrong password, unknown account,
 * rehash on new limits, and the count of verifications sign-in tests rely on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/password.h"

/* The smallest limits libsodium takes, so that a test hash costs milliseconds. */
#define TEST_OPS 1
#define TEST_MEM 8192

static struct password_list *test_list;   /* the shipped data/common-passwords.txt */

static enum password_status check(const char *password, char *reason)
{
	return password_policy_check(password, strlen(password), test_list, reason,
	                             PASSWORD_REASON_SIZE);
}

static void test_nine_characters_are_refused_ten_accepted(void **state)
{
	(void)state;
	char reason[PASSWORD_REASON_SIZE];
	assert_int_equal(check("kq7-vb3ze", reason), PASSWORD_TOO_SHORT);
	assert_non_null(strstr(reason, "at least 10 characters"));
	assert_non_null(strstr(reason, "has 9"));
	assert_null(strstr(reason, "kq7-vb3ze"));
	assert_int_equal(check("kq7-vb3zet", reason), PASSWORD_OK);
	assert_string_equal(reason, "");
	assert_int_equal(check("", reason), PASSWORD_TOO_SHORT);
}

static void test_characters_are_counted_not_bytes(void **state)
{
	(void)state;
	char reason[PASSWORD_REASON_SIZE];
	/* Ten two-byte characters (20 bytes) pass; nine three-byte ones (27 bytes) do not. */
	assert_int_equal(check("\xc3\xa9\xc3\xa8\xc3\xaa\xc3\xab\xc3\xa0\xc3\xa2\xc3\xa7\xc3\xb4"
	                       "\xc3\xbb\xc3\xae", reason),
	                 PASSWORD_OK);
	assert_int_equal(check("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x91"
	                       "\xe3\x82\xb9\xe3\x83\xaf\xe3\x83\xbc\xe3\x83\x89", reason),
	                 PASSWORD_TOO_SHORT);
	assert_non_null(strstr(reason, "has 9"));
	/* Emoji are four bytes each; ten of them are ten characters. */
	assert_int_equal(check("\xf0\x9f\x90\xb1\xf0\x9f\x90\xb6\xf0\x9f\x90\xad\xf0\x9f\x90\xb9"
	                       "\xf0\x9f\x90\xb0\xf0\x9f\xa6\x8a\xf0\x9f\x90\xbb\xf0\x9f\x90\xbc"
	                       "\xf0\x9f\x90\xa8\xf0\x9f\x90\xaf", reason),
	                 PASSWORD_OK);
}

static void test_invalid_utf8_is_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"password\xff-long",          /* a byte no UTF-8 has */
		"latin1 caf\xe9 password",    /* Latin-1, not UTF-8 */
		"overlong \xc0\xaf slash!",   /* overlong '/' */
		"overlong \xe0\x80\xaf slash", /* 3-byte overlong */
		"surrogate \xed\xa0\x80 here", /* U+D800 */
		"too high \xf4\x90\x80\x80 cp", /* U+110000 */
		"cut short at the end \xe2\x82", /* truncated sequence */
		"lone continuation \x80 byte",
	};
	char reason[PASSWORD_REASON_SIZE];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(check(bad[i], reason), PASSWORD_NOT_UTF8);
		assert_non_null(strstr(reason, "not valid text"));
	}
	/* The largest code point and the one after the surrogates are fine. */
	assert_int_equal(check("edge \xf4\x8f\xbf\xbf \xee\x80\x80 chars", reason), PASSWORD_OK);
}

static void test_control_characters_are_refused(void **state)
{
	(void)state;
	char reason[PASSWORD_REASON_SIZE];
	assert_int_equal(check("tab\tin the middle", reason), PASSWORD_CONTROL_CHAR);
	assert_non_null(strstr(reason, "control character"));
	assert_int_equal(check("newline at the end\n", reason), PASSWORD_CONTROL_CHAR);
	assert_int_equal(check("delete \x7f char here", reason), PASSWORD_CONTROL_CHAR);
	assert_int_equal(check("C1 control \xc2\x85 NEL", reason), PASSWORD_CONTROL_CHAR);
	/* A NUL inside the length given is a control character, not the end. */
	assert_int_equal(password_policy_check("nul\0inside it", 13, test_list, reason, sizeof(reason)),
	                 PASSWORD_CONTROL_CHAR);
	/* Spaces are fine: passphrases have them. U+00A0 (C2 A0) is past the C1 block. */
	assert_int_equal(check("correct horse battery", reason), PASSWORD_OK);
	assert_int_equal(check("no-break\xc2\xa0space ok", reason), PASSWORD_OK);
}

static void test_over_1024_bytes_is_refused(void **state)
{
	(void)state;
	char reason[PASSWORD_REASON_SIZE];
	char *long_password = malloc(PASSWORD_BYTES_MAX + 2);
	assert_non_null(long_password);
	memset(long_password, 'x', PASSWORD_BYTES_MAX + 1);
	long_password[PASSWORD_BYTES_MAX + 1] = '\0';
	assert_int_equal(check(long_password, reason), PASSWORD_TOO_LONG);
	assert_non_null(strstr(reason, "1024 bytes"));
	long_password[PASSWORD_BYTES_MAX] = '\0';
	assert_int_equal(check(long_password, reason), PASSWORD_OK);
	free(long_password);
}

static void test_common_passwords_are_refused_whatever_the_case(void **state)
{
	(void)state;
	char reason[PASSWORD_REASON_SIZE];
	assert_int_equal(check("password123", reason), PASSWORD_COMMON);
	assert_non_null(strstr(reason, "most common passwords"));
	assert_null(strstr(reason, "password123"));
	assert_int_equal(check("PaSsWoRd123", reason), PASSWORD_COMMON);
	assert_int_equal(check("QWERTYUIOP", reason), PASSWORD_COMMON);
	/* One more character and it is not the listed one. */
	assert_int_equal(check("password1234x", reason), PASSWORD_OK);
	/* Without a list the same password passes. */
	assert_int_equal(password_policy_check("password123", 11, NULL, reason, sizeof(reason)),
	                 PASSWORD_OK);
}

static void test_a_strong_password_is_accepted(void **state)
{
	(void)state;
	char reason[PASSWORD_REASON_SIZE] = "stale";
	assert_int_equal(check("violet tractor sings 42 arias", reason), PASSWORD_OK);
	assert_string_equal(reason, "");
}

static void test_the_shipped_list_finds_first_middle_last(void **state)
{
	(void)state;
	/* 10,000 lines of which 194 repeat another in another case ("Password123"). */
	assert_int_equal(password_list_count(test_list), 9806);
	assert_true(password_list_contains(test_list, "qwertyuiop", 10));      /* line 1 */
	assert_true(password_list_contains(test_list, "nikita2003", 10));      /* line 5000 */
	assert_true(password_list_contains(test_list, "tony123123", 10));      /* line 10000 */
	assert_true(password_list_contains(test_list, "Tony123123", 10));
	assert_false(password_list_contains(test_list, "tony12312", 9));
	assert_false(password_list_contains(test_list, "tony1231234", 11));
}

static char *test_write(const char *name, const char *text, size_t len)
{
	char *path = malloc(256);
	assert_non_null(path);
	snprintf(path, 256, "/tmp/%s.%ld", name, (long)getpid());
	FILE *file = fopen(path, "wb");
	assert_non_null(file);
	assert_int_equal(fwrite(text, 1, len, file), len);
	assert_int_equal(fclose(file), 0);
	return path;
}

static void test_an_unsorted_file_is_sorted_on_load(void **state)
{
	(void)state;
	static const char text[] = "zzzzzzzzzzzz\r\nmiddle-of-it\n\nAAAAAAAAAAAA\nmiddle-of-i\n"
	                           "middle-of-it\nmiddle-of-itt\nno-final-newline";
	char *path = test_write("test_password_list", text, sizeof(text) - 1);
	struct password_list *list = NULL;
	char error[PASSWORD_REASON_SIZE] = "";
	assert_int_equal(password_list_load(path, &list, error, sizeof(error)), PASSWORD_OK);
	assert_string_equal(error, "");
	/* Blank line skipped, duplicate merged, CR stripped, unterminated last line kept. */
	assert_int_equal(password_list_count(list), 6);
	static const char *const present[] = {"aaaaaaaaaaaa", "middle-of-i", "middle-of-it",
	                                      "middle-of-itt", "zzzzzzzzzzzz", "NO-FINAL-NEWLINE"};
	for (size_t i = 0; i < sizeof(present) / sizeof(present[0]); i++)
		assert_true(password_list_contains(list, present[i], strlen(present[i])));
	assert_false(password_list_contains(list, "zzzzzzzzzzzz\r", 13));
	assert_false(password_list_contains(list, "", 0));
	assert_false(password_list_contains(list, "middle-of", 9));
	password_list_free(list);
	unlink(path);
	free(path);
}

static void test_a_missing_or_bad_file_is_refused_with_its_name(void **state)
{
	(void)state;
	struct password_list *list = NULL;
	char error[PASSWORD_REASON_SIZE] = "";
	assert_int_equal(password_list_load("/nonexistent/common.txt", &list, error, sizeof(error)),
	                 PASSWORD_LIST_UNREADABLE);
	assert_null(list);
	assert_string_equal(error, "/nonexistent/common.txt: No such file or directory");

	assert_int_equal(password_list_load("/tmp", &list, error, sizeof(error)),
	                 PASSWORD_LIST_UNREADABLE);
	assert_string_equal(error, "/tmp: not a regular file");

	char *path = test_write("test_password_empty", "\n\n", 2);
	assert_int_equal(password_list_load(path, &list, error, sizeof(error)), PASSWORD_LIST_INVALID);
	assert_non_null(strstr(error, ": holds no passwords"));
	unlink(path);
	free(path);

	static const char with_tab[] = "good-password\nbad\tpassword\n";
	assert_int_equal(password_list_parse(with_tab, sizeof(with_tab) - 1, "list.txt", &list, error,
	                                     sizeof(error)),
	                 PASSWORD_LIST_INVALID);
	assert_string_equal(error, "list.txt:2: control byte 0x09 in column 4");

	char *long_line = malloc(PASSWORD_BYTES_MAX + 2);
	assert_non_null(long_line);
	memset(long_line, 'a', PASSWORD_BYTES_MAX + 1);
	long_line[PASSWORD_BYTES_MAX + 1] = '\n';
	assert_int_equal(password_list_parse(long_line, PASSWORD_BYTES_MAX + 2, "list.txt", &list,
	                                     error, sizeof(error)),
	                 PASSWORD_LIST_INVALID);
	assert_string_equal(error, "list.txt:1: longer than 1024 bytes, the longest password allowed");
	free(long_line);
	assert_null(list);
}

static void test_hash_then_verify(void **state)
{
	(void)state;
	char hash[PASSWORD_HASH_SIZE];
	const char *password = "violet tractor sings";
	assert_int_equal(password_hash(password, strlen(password), TEST_OPS, TEST_MEM, hash), PASSWORD_OK);
	assert_memory_equal(hash, "$argon2id$", 10);
	assert_true(password_verify(hash, password, strlen(password)));
	assert_false(password_verify(hash, "violet tractor sings!", 21));
	assert_false(password_verify(hash, "Violet tractor sings", 20));
	assert_false(password_verify(hash, password, strlen(password) - 1));
	/* Salted: the same password hashes differently twice, and both verify. */
	char again[PASSWORD_HASH_SIZE];
	assert_int_equal(password_hash(password, strlen(password), TEST_OPS, TEST_MEM, again), PASSWORD_OK);
	assert_string_not_equal(hash, again);
	assert_true(password_verify(again, password, strlen(password)));
}

static void test_both_sign_in_failures_verify_exactly_once(void **state)
{
	(void)state;
	char hash[PASSWORD_HASH_SIZE];
	assert_int_equal(password_hash("the right one", 13, TEST_OPS, TEST_MEM, hash), PASSWORD_OK);

	unsigned long long before = password_verify_count();
	assert_false(password_verify(NULL, "the right one", 13));       /* unknown email */
	assert_int_equal(password_verify_count(), before + 1);
	assert_false(password_verify(hash, "the wrong one", 13));       /* wrong password */
	assert_int_equal(password_verify_count(), before + 2);
	assert_false(password_verify("", "the right one", 13));         /* account without one */
	assert_int_equal(password_verify_count(), before + 3);
	assert_false(password_verify("!", "", 0));
	assert_int_equal(password_verify_count(), before + 4);
	assert_true(password_verify(hash, "the right one", 13));
	assert_int_equal(password_verify_count(), before + 5);
	/* No account can have a password over the cap: refused without argon2id work. */
	char *long_password = calloc(1, PASSWORD_BYTES_MAX + 1);
	assert_non_null(long_password);
	memset(long_password, 'x', PASSWORD_BYTES_MAX + 1);
	assert_false(password_verify(NULL, long_password, PASSWORD_BYTES_MAX + 1));
	assert_int_equal(password_verify_count(), before + 5);
	free(long_password);
}

static void test_an_account_without_a_password_never_signs_in(void **state)
{
	(void)state;
	static const char *const guesses[] = {"", "!", PASSWORD_HASH_NONE, "password", "$argon2id$", "null"};
	char hash[PASSWORD_HASH_SIZE];
	assert_string_equal(PASSWORD_HASH_NONE, "!");
	for (size_t i = 0; i < sizeof(guesses) / sizeof(guesses[0]); i++) {
		unsigned long long before = password_verify_count();
		assert_false(password_verify(PASSWORD_HASH_NONE, guesses[i], strlen(guesses[i])));
		/* The dummy's full work, like any other failure: the timing tells nothing either. */
		assert_int_equal(password_verify_count(), before + 1);
	}
	assert_int_equal(password_hash("", 0, TEST_OPS, TEST_MEM, hash), PASSWORD_OK);
	assert_string_not_equal(hash, PASSWORD_HASH_NONE);
	assert_true(password_needs_rehash(PASSWORD_HASH_NONE, TEST_OPS, TEST_MEM));
}

static void test_new_limits_need_a_rehash(void **state)
{
	(void)state;
	char hash[PASSWORD_HASH_SIZE];
	assert_int_equal(password_hash("violet tractor", 14, TEST_OPS, TEST_MEM, hash), PASSWORD_OK);
	assert_false(password_needs_rehash(hash, TEST_OPS, TEST_MEM));
	assert_true(password_needs_rehash(hash, TEST_OPS + 1, TEST_MEM));
	assert_true(password_needs_rehash(hash, TEST_OPS, TEST_MEM * 2));
	assert_true(password_needs_rehash("not a hash", TEST_OPS, TEST_MEM));
	assert_true(password_needs_rehash(NULL, TEST_OPS, TEST_MEM));
	/* argon2i with the same limits still moves to argon2id. */
	char argon2i[PASSWORD_HASH_SIZE];
	assert_int_equal(crypto_pwhash_str_alg(argon2i, "violet tractor", 14, 3, TEST_MEM,
	                                       crypto_pwhash_ALG_ARGON2I13),
	                 0);
	assert_true(password_needs_rehash(argon2i, 3, TEST_MEM));
	assert_true(password_verify(argon2i, "violet tractor", 14));
}

static void test_limits_libsodium_refuses_fail_cleanly(void **state)
{
	(void)state;
	char hash[PASSWORD_HASH_SIZE];
	memset(hash, 'q', sizeof(hash));
	assert_int_equal(password_hash("violet tractor", 14, 0, TEST_MEM, hash), PASSWORD_HASH_FAILED);
	assert_int_equal(hash[0], '\0');
	assert_int_equal(password_hash("violet tractor", 14, TEST_OPS, 1024, hash), PASSWORD_HASH_FAILED);
	assert_string_equal(password_strerror(PASSWORD_HASH_FAILED), "password hashing failed");
	assert_string_equal(password_strerror((enum password_status)99), "unknown password status");
}

static int test_setup(void **state)
{
	(void)state;
	const char *srcdir = getenv("srcdir");
	char path[4096];
	char error[PASSWORD_REASON_SIZE];
	snprintf(path, sizeof(path), "%s/data/common-passwords.txt", srcdir != NULL ? srcdir : ".");
	if (password_list_load(path, &test_list, error, sizeof(error)) != PASSWORD_OK) {
		fprintf(stderr, "%s\n", error);
		return -1;
	}
	return password_init(TEST_OPS, TEST_MEM) == PASSWORD_OK ? 0 : -1;
}

static int test_teardown(void **state)
{
	(void)state;
	password_list_free(test_list);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nine_characters_are_refused_ten_accepted),
		cmocka_unit_test(test_characters_are_counted_not_bytes),
		cmocka_unit_test(test_invalid_utf8_is_refused),
		cmocka_unit_test(test_control_characters_are_refused),
		cmocka_unit_test(test_over_1024_bytes_is_refused),
		cmocka_unit_test(test_common_passwords_are_refused_whatever_the_case),
		cmocka_unit_test(test_a_strong_password_is_accepted),
		cmocka_unit_test(test_the_shipped_list_finds_first_middle_last),
		cmocka_unit_test(test_an_unsorted_file_is_sorted_on_load),
		cmocka_unit_test(test_a_missing_or_bad_file_is_refused_with_its_name),
		cmocka_unit_test(test_hash_then_verify),
		cmocka_unit_test(test_both_sign_in_failures_verify_exactly_once),
		cmocka_unit_test(test_an_account_without_a_password_never_signs_in),
		cmocka_unit_test(test_new_limits_need_a_rehash),
		cmocka_unit_test(test_limits_libsodium_refuses_fail_cleanly),
	};
	return cmocka_run_group_tests_name("password", tests, test_setup, test_teardown);
}
