/*
 * test_token.c: session tokens (shape, randomness, stored hash, strict cookie parsing), the
 * constant-time comparison, and the CSRF design's promises: stable per session and form,
 * unusable across sessions or forms, unaffected by a session-token rotation, and not derivable
 * from a visitor's cookie without the server key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/token.h"

static bool test_is_base64url(const char *text, size_t len)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\0' || strchr(alphabet, text[i]) == NULL)
			return false;
	return true;
}

static void test_a_new_token_is_43_base64url_characters(void **state)
{
	(void)state;
	for (int i = 0; i < 100; i++) {
		char token[TOKEN_TEXT_SIZE];
		memset(token, '=', sizeof(token));
		token_new(token);
		assert_int_equal(strlen(token), 43);
		assert_true(test_is_base64url(token, 43));
		uint8_t hash[TOKEN_HASH_SIZE];
		assert_int_equal(token_parse(token, 43, hash), TOKEN_OK);
	}
}

static void test_two_tokens_differ(void **state)
{
	(void)state;
	char a[TOKEN_TEXT_SIZE], b[TOKEN_TEXT_SIZE];
	token_new(a);
	token_new(b);
	assert_string_not_equal(a, b);
	/* And they decode to 32 bytes that are not mostly zero. */
	unsigned char bytes[TOKEN_BYTES];
	size_t len = 0;
	assert_int_equal(sodium_base642bin(bytes, sizeof(bytes), a, 43, NULL, &len, NULL,
	                                   sodium_base64_VARIANT_URLSAFE_NO_PADDING),
	                 0);
	assert_int_equal(len, TOKEN_BYTES);
	assert_false(sodium_is_zero(bytes, sizeof(bytes)));
}

static void test_the_stored_hash_is_sha256_of_the_text(void **state)
{
	(void)state;
	/* FIPS 180-2's example: SHA-256("abc"). */
	static const uint8_t abc[TOKEN_HASH_SIZE] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	uint8_t hash[TOKEN_HASH_SIZE];
	token_hash("abc", 3, hash);
	assert_memory_equal(hash, abc, sizeof(abc));

	char token[TOKEN_TEXT_SIZE];
	token_new(token);
	uint8_t first[TOKEN_HASH_SIZE], second[TOKEN_HASH_SIZE], parsed[TOKEN_HASH_SIZE];
	token_hash(token, 43, first);
	token_hash(token, 43, second);
	assert_memory_equal(first, second, sizeof(first));
	assert_int_equal(token_parse(token, 43, parsed), TOKEN_OK);
	assert_memory_equal(parsed, first, sizeof(first));
	token[0] = token[0] == 'A' ? 'B' : 'A';
	token_hash(token, 43, second);
	assert_memory_not_equal(first, second, sizeof(first));
}

static void test_a_bad_cookie_is_refused_before_hashing(void **state)
{
	(void)state;
	char token[TOKEN_TEXT_SIZE];
	uint8_t hash[TOKEN_HASH_SIZE];
	token_new(token);
	memset(hash, 0xaa, sizeof(hash));
	assert_int_equal(token_parse(token, 42, hash), TOKEN_BAD_LENGTH);
	assert_true(sodium_is_zero(hash, sizeof(hash)));
	assert_int_equal(token_parse(token, 0, hash), TOKEN_BAD_LENGTH);
	char longer[TOKEN_TEXT_SIZE + 1];
	memcpy(longer, token, 43);
	longer[43] = 'A';
	longer[44] = '\0';
	assert_int_equal(token_parse(longer, 44, hash), TOKEN_BAD_LENGTH);

	/* Standard base64's '+' '/' and padding, a space, a quote, a NUL and a high byte, each at the
	 * start, the middle and the end. */
	static const char bad_bytes[] = "+/= \"\0\xc3";
	static const size_t positions[] = {0, 21, 42};
	for (size_t b = 0; b < sizeof(bad_bytes) - 1; b++) {
		for (size_t p = 0; p < 3; p++) {
			char copy[TOKEN_TEXT_SIZE];
			memcpy(copy, token, sizeof(copy));
			copy[positions[p]] = bad_bytes[b];
			memset(hash, 0xaa, sizeof(hash));
			assert_int_equal(token_parse(copy, 43, hash), TOKEN_BAD_BYTE);
			assert_true(sodium_is_zero(hash, sizeof(hash)));
		}
	}
}

static void test_a_non_canonical_last_character_is_refused(void **state)
{
	(void)state;
	/* 32 zero bytes are 43 'A's; 'B' as the last character sets a bit past the 256th. */
	char text[TOKEN_TEXT_SIZE];
	uint8_t hash[TOKEN_HASH_SIZE];
	memset(text, 'A', 43);
	text[43] = '\0';
	assert_int_equal(token_parse(text, 43, hash), TOKEN_OK);
	text[42] = 'B';
	assert_int_equal(token_parse(text, 43, hash), TOKEN_NOT_CANONICAL);
	text[42] = 'E';   /* value 4: the low two bits clear */
	assert_int_equal(token_parse(text, 43, hash), TOKEN_OK);
	text[42] = '_';
	assert_int_equal(token_parse(text, 43, hash), TOKEN_NOT_CANONICAL);
	assert_string_equal(token_strerror(TOKEN_NOT_CANONICAL), "token is not canonical base64url");
}

static void test_token_equal(void **state)
{
	(void)state;
	assert_true(token_equal("same-bytes", 10, "same-bytes", 10));
	assert_false(token_equal("same-bytes", 10, "Same-bytes", 10));
	assert_false(token_equal("same-bytes", 10, "same-byteS", 10));
	assert_false(token_equal("same-bytes", 10, "same-byte", 9));
	assert_false(token_equal("same-byte", 9, "same-bytes", 10));
	assert_false(token_equal("", 0, "x", 1));
	assert_false(token_equal("x", 1, "", 0));
	assert_true(token_equal("", 0, "", 0));
	assert_true(token_equal("a\0b", 3, "a\0b", 3));
	assert_false(token_equal("a\0b", 3, "a\0c", 3));
}

static void test_csrf_tokens_are_stable_per_secret_and_form(void **state)
{
	(void)state;
	uint8_t secret[TOKEN_CSRF_SECRET_SIZE];
	token_csrf_secret_new(secret);
	char a[TOKEN_TEXT_SIZE], b[TOKEN_TEXT_SIZE];
	token_csrf_for(secret, "form", a);
	token_csrf_for(secret, "form", b);
	assert_int_equal(strlen(a), 43);
	assert_true(test_is_base64url(a, 43));
	assert_string_equal(a, b);
	assert_true(token_csrf_check(secret, "form", a, 43));

	/* Another secret for the same form gives another token. That is all a token depends on
	 * besides form_id (token_csrf_for takes no session token), which is why a session-token
	 * rotation that keeps the row's secret leaves open forms valid. */
	uint8_t other[TOKEN_CSRF_SECRET_SIZE];
	memcpy(other, secret, sizeof(other));
	other[31] ^= 1;
	token_csrf_for(other, "form", b);
	assert_string_not_equal(a, b);
}

static void test_csrf_tokens_do_not_cross_sessions_or_forms(void **state)
{
	(void)state;
	uint8_t secret[TOKEN_CSRF_SECRET_SIZE], other[TOKEN_CSRF_SECRET_SIZE];
	token_csrf_secret_new(secret);
	token_csrf_secret_new(other);
	assert_memory_not_equal(secret, other, sizeof(secret));
	char token[TOKEN_TEXT_SIZE];
	token_csrf_for(secret, "/complaints/new", token);

	assert_false(token_csrf_check(other, "/complaints/new", token, 43));
	assert_false(token_csrf_check(secret, "/account/password", token, 43));
	assert_false(token_csrf_check(secret, "/complaints/new", token, 42));
	assert_false(token_csrf_check(secret, "/complaints/new", "", 0));
	char longer[TOKEN_TEXT_SIZE + 1];
	memcpy(longer, token, 43);
	longer[43] = 'A';
	assert_false(token_csrf_check(secret, "/complaints/new", longer, 44));
	char flipped[TOKEN_TEXT_SIZE];
	memcpy(flipped, token, sizeof(flipped));
	flipped[10] = flipped[10] == 'A' ? 'B' : 'A';
	assert_false(token_csrf_check(secret, "/complaints/new", flipped, 43));

	/* The token is not the secret, nor the session token's shape of it: the secret never leaves
	 * the server. */
	char secret_text[TOKEN_TEXT_SIZE];
	sodium_bin2base64(secret_text, sizeof(secret_text), secret, sizeof(secret),
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	assert_string_not_equal(secret_text, token);
}

static void test_a_visitor_secret_needs_the_server_key(void **state)
{
	(void)state;
	static const char key[] = "nM1pY0f3mH5c2k9Qe7Vb4rT8sW6xZ0aL1gJ3uD5oI=";
	static const char other_key[] = "Qp3Vb7Xk1Jf9Lm5Nc2Rt6Hy8Wd0Se4Ug1Aq7Zo3Io=";
	char cookie[TOKEN_TEXT_SIZE];
	token_new(cookie);

	uint8_t first[TOKEN_CSRF_SECRET_SIZE], again[TOKEN_CSRF_SECRET_SIZE];
	assert_int_equal(token_csrf_visitor_secret(key, strlen(key), cookie, 43, first), TOKEN_OK);
	assert_int_equal(token_csrf_visitor_secret(key, strlen(key), cookie, 43, again), TOKEN_OK);
	assert_memory_equal(first, again, sizeof(first));

	/* Another key, or another visitor, gives another secret, so other tokens. */
	assert_int_equal(token_csrf_visitor_secret(other_key, strlen(other_key), cookie, 43, again),
	                 TOKEN_OK);
	assert_memory_not_equal(first, again, sizeof(first));
	char other_cookie[TOKEN_TEXT_SIZE];
	token_new(other_cookie);
	assert_int_equal(token_csrf_visitor_secret(key, strlen(key), other_cookie, 43, again), TOKEN_OK);
	assert_memory_not_equal(first, again, sizeof(first));

	/* A key too short to be a secret is refused rather than used. */
	assert_int_equal(token_csrf_visitor_secret("short", 5, cookie, 43, again), TOKEN_WEAK_KEY);
	assert_true(sodium_is_zero(again, sizeof(again)));
	assert_int_equal(token_csrf_visitor_secret(NULL, 0, cookie, 43, again), TOKEN_WEAK_KEY);

	char form_token[TOKEN_TEXT_SIZE];
	token_csrf_for(first, "/signin", form_token);
	assert_true(token_csrf_check(first, "/signin", form_token, 43));
}

static int test_setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_new_token_is_43_base64url_characters),
		cmocka_unit_test(test_two_tokens_differ),
		cmocka_unit_test(test_the_stored_hash_is_sha256_of_the_text),
		cmocka_unit_test(test_a_bad_cookie_is_refused_before_hashing),
		cmocka_unit_test(test_a_non_canonical_last_character_is_refused),
		cmocka_unit_test(test_token_equal),
		cmocka_unit_test(test_csrf_tokens_are_stable_per_secret_and_form),
		cmocka_unit_test(test_csrf_tokens_do_not_cross_sessions_or_forms),
		cmocka_unit_test(test_a_visitor_secret_needs_the_server_key),
	};
	return cmocka_run_group_tests_name("token", tests, test_setup, NULL);
}
