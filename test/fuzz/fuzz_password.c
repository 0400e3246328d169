/*
 * fuzz_password.c: libFuzzer target for the untrusted bytes password.c and token.c read.
 *
 * The input is, at once, a password offered at sign-up, a session cookie value, a CSRF token
 * sent with a form, and a common-passwords file. Each answer is checked against a second,
 * independent reading of the same rules written here the plain way: a generic UTF-8 decoder
 * (lead bits, then overlong, surrogate and range checks) for the policy, libsodium's own
 * base64url decoder for token_parse, memcmp for token_equal and token_csrf_check, and a linear
 * search for the list. It also checks that a refusal carries a printable message that does not
 * repeat the password.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/password.h"
#include "core/token.h"

static const char fuzz_list_text[] = "password123\nqwertyuiop\nIloveyou12\n1234567890\n"
                                     "correct horse battery staple\n\xc3\xa9t\xc3\xa9-\xc3\xa9t\xc3\xa9-2020\n";

static struct password_list *fuzz_list;
static uint8_t fuzz_secret[TOKEN_CSRF_SECRET_SIZE];

static char fuzz_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Whether line[0..len) equals s[0..n) ignoring ASCII case. */
static bool fuzz_same_folded(const char *line, size_t len, const char *s, size_t n)
{
	if (len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (fuzz_lower(line[i]) != fuzz_lower(s[i]))
			return false;
	return true;
}

/* Whether text (lines, LF or CRLF) has a line equal to s ignoring ASCII case. */
static bool fuzz_text_has_line(const char *text, size_t len, const char *s, size_t n)
{
	size_t start = 0;
	while (start < len) {
		const char *newline = memchr(text + start, '\n', len - start);
		size_t end = newline != NULL ? (size_t)(newline - text) : len;
		size_t line_end = end > start && text[end - 1] == '\r' ? end - 1 : end;
		if (line_end > start && fuzz_same_folded(text + start, line_end - start, s, n))
			return true;
		start = end + 1;
	}
	return false;
}

/* The policy, read the plain way. */
static enum password_status fuzz_expected_policy(const uint8_t *s, size_t len)
{
	if (len > PASSWORD_BYTES_MAX)
		return PASSWORD_TOO_LONG;
	size_t chars = 0;
	for (size_t i = 0; i < len; chars++) {
		uint8_t c = s[i];
		size_t n;
		uint32_t cp, min;
		if (c < 0x80) {
			n = 1, cp = c, min = 0;
		} else if ((c & 0xe0) == 0xc0) {
			n = 2, cp = c & 0x1fu, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 3, cp = c & 0x0fu, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 4, cp = c & 0x07u, min = 0x10000;
		} else {
			return PASSWORD_NOT_UTF8;
		}
		if (len - i < n)
			return PASSWORD_NOT_UTF8;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return PASSWORD_NOT_UTF8;
			cp = (cp << 6) | (s[i + k] & 0x3fu);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return PASSWORD_NOT_UTF8;
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return PASSWORD_CONTROL_CHAR;
		i += n;
	}
	if (chars < PASSWORD_CHARS_MIN)
		return PASSWORD_TOO_SHORT;
	if (fuzz_text_has_line(fuzz_list_text, sizeof(fuzz_list_text) - 1, (const char *)s, len))
		return PASSWORD_COMMON;
	return PASSWORD_OK;
}

static void fuzz_check_policy(const uint8_t *data, size_t size)
{
	char reason[PASSWORD_REASON_SIZE];
	memset(reason, 'z', sizeof(reason));
	enum password_status status =
		password_policy_check((const char *)data, size, fuzz_list, reason, sizeof(reason));
	if (status != fuzz_expected_policy(data, size))
		abort();
	size_t len = strnlen(reason, sizeof(reason));
	if (len == sizeof(reason))
		abort();
	if (status == PASSWORD_OK) {
		if (len != 0)
			abort();
		return;
	}
	if (len == 0)
		abort();
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)reason[i] < 0x20 || (unsigned char)reason[i] >= 0x7f)
			abort();
	/* Short inputs may be words of the message itself. */
	if (size >= 12 && memmem(reason, len, data, size) != NULL)
		abort();
}

/* token_parse accepts exactly the canonical unpadded base64url of 32 bytes. */
static void fuzz_check_token(const uint8_t *data, size_t size)
{
	uint8_t hash[TOKEN_HASH_SIZE];
	memset(hash, 0x55, sizeof(hash));
	enum token_status status = token_parse((const char *)data, size, hash);

	bool expected = false;
	if (size == TOKEN_TEXT_LEN) {
		unsigned char bytes[TOKEN_BYTES + 8];
		size_t bytes_len = 0;
		const char *end = NULL;
		if (sodium_base642bin(bytes, sizeof(bytes), (const char *)data, size, NULL, &bytes_len,
		                      &end, sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
		    bytes_len == TOKEN_BYTES && end == (const char *)data + size) {
			char again[TOKEN_TEXT_SIZE];
			sodium_bin2base64(again, sizeof(again), bytes, TOKEN_BYTES,
			                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
			expected = memcmp(again, data, TOKEN_TEXT_LEN) == 0;
		}
	}
	if ((status == TOKEN_OK) != expected)
		abort();
	if (status == TOKEN_OK) {
		uint8_t reference[TOKEN_HASH_SIZE];
		crypto_hash_sha256(reference, data, size);
		if (memcmp(hash, reference, sizeof(hash)) != 0)
			abort();
	} else if (!sodium_is_zero(hash, sizeof(hash))) {
		abort();
	}
}

static void fuzz_check_equal(const uint8_t *data, size_t size)
{
	size_t half = size / 2;
	const uint8_t *a = data, *b = data + half;
	size_t blen = size - half;
	bool reference = half == blen && memcmp(a, b, half) == 0;
	if (token_equal(a, half, b, blen) != reference || token_equal(b, blen, a, half) != reference)
		abort();
	if (!token_equal(data, size, data, size))
		abort();

	char expected[TOKEN_TEXT_SIZE];
	token_csrf_for(fuzz_secret, "form", expected);
	bool csrf_reference = size == TOKEN_TEXT_LEN && memcmp(expected, data, size) == 0;
	if (token_csrf_check(fuzz_secret, "form", (const char *)data, size) != csrf_reference)
		abort();
}

/* A list parsed from the input holds every non-blank line of it, and nothing else. */
static void fuzz_check_list(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct password_list *list = NULL;
	char error[PASSWORD_REASON_SIZE] = "";
	enum password_status status = password_list_parse(text, size, "fuzz", &list, error, sizeof(error));
	if (status != PASSWORD_OK) {
		if (list != NULL || strncmp(error, "fuzz", 4) != 0)
			abort();
		return;
	}
	size_t lines = 0;
	size_t start = 0;
	while (start < size) {
		const char *newline = memchr(text + start, '\n', size - start);
		size_t end = newline != NULL ? (size_t)(newline - text) : size;
		size_t line_end = end > start && text[end - 1] == '\r' ? end - 1 : end;
		if (line_end > start) {
			lines++;
			if (!password_list_contains(list, text + start, line_end - start))
				abort();
		}
		start = end + 1;
	}
	size_t count = password_list_count(list);
	if (count == 0 || count > lines)
		abort();
	/* The whole input, as one string, is found exactly when it is one of the lines. */
	if (size > 0 && size <= PASSWORD_BYTES_MAX &&
	    password_list_contains(list, text, size) != fuzz_text_has_line(text, size, text, size))
		abort();
	password_list_free(list);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (fuzz_list == NULL) {
		if (sodium_init() < 0)
			abort();
		char error[PASSWORD_REASON_SIZE];
		if (password_list_parse(fuzz_list_text, sizeof(fuzz_list_text) - 1, "fuzz list", &fuzz_list,
		                        error, sizeof(error)) != PASSWORD_OK)
			abort();
		memset(fuzz_secret, 7, sizeof(fuzz_secret));
	}
	fuzz_check_policy(data, size);
	fuzz_check_token(data, size);
	fuzz_check_equal(data, size);
	fuzz_check_list(data, size);
	return 0;
}
