/*
 * token.c: session tokens, token hashes and CSRF tokens (see token.h).
 *
 * Everything random comes from randombytes_buf, every comparison of a secret goes through
 * sodium_memcmp, and every intermediate secret on the stack (a MAC before it is encoded, raw
 * token bytes) is wiped with sodium_memzero before return.
 */
#include "token.h"

#include <string.h>

#include <sodium.h>

_Static_assert(TOKEN_TEXT_SIZE == sodium_base64_ENCODED_LEN(TOKEN_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
               "TOKEN_TEXT_SIZE fits 32 bytes of unpadded base64url and a NUL");
_Static_assert(TOKEN_TEXT_LEN + 1 == TOKEN_TEXT_SIZE, "TOKEN_TEXT_LEN is the text without its NUL");
_Static_assert(TOKEN_HASH_SIZE == crypto_hash_sha256_BYTES, "TOKEN_HASH_SIZE is SHA-256's");
_Static_assert(TOKEN_CSRF_SECRET_SIZE == crypto_auth_KEYBYTES, "a CSRF secret is a crypto_auth key");
_Static_assert(crypto_auth_BYTES == TOKEN_BYTES, "a CSRF token encodes like a session token");

/* Separates the visitor secret from any other HMAC a future feature makes with the same key. */
static const char token_visitor_context[] = "complaintd csrf visitor v1";

const char *token_strerror(enum token_status status)
{
	static const char *const messages[] = {
		[TOKEN_OK] = "ok",
		[TOKEN_BAD_LENGTH] = "token of the wrong length",
		[TOKEN_BAD_BYTE] = "token holds a byte outside base64url",
		[TOKEN_NOT_CANONICAL] = "token is not canonical base64url",
		[TOKEN_WEAK_KEY] = "server key too short",
	};
	if ((size_t)status >= sizeof(messages) / sizeof(messages[0]) || messages[status] == NULL)
		return "unknown token status";
	return messages[status];
}

/* The base64url alphabet (RFC 4648 section 5) as ranges: first, last, value of first. */
static const struct token_b64_range {
	char first, last;
	int value;
} token_b64_ranges[] = {
	{'A', 'Z', 0},
	{'a', 'z', 26},
	{'0', '9', 52},
	{'-', '-', 62},
	{'_', '_', 63},
};

static int token_b64_value(char c)
{
	for (size_t i = 0; i < sizeof(token_b64_ranges) / sizeof(token_b64_ranges[0]); i++)
		if (c >= token_b64_ranges[i].first && c <= token_b64_ranges[i].last)
			return token_b64_ranges[i].value + (c - token_b64_ranges[i].first);
	return -1;
}

static void token_encode(const uint8_t bytes[TOKEN_BYTES], char out[TOKEN_TEXT_SIZE])
{
	sodium_bin2base64(out, TOKEN_TEXT_SIZE, bytes, TOKEN_BYTES,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void token_new(char out[TOKEN_TEXT_SIZE])
{
	uint8_t bytes[TOKEN_BYTES];
	randombytes_buf(bytes, sizeof(bytes));
	token_encode(bytes, out);
	sodium_memzero(bytes, sizeof(bytes));
}

void token_hash(const char *text, size_t len, uint8_t out[TOKEN_HASH_SIZE])
{
	crypto_hash_sha256(out, (const unsigned char *)(len > 0 ? text : ""), len);
}

enum token_status token_parse(const char *text, size_t len, uint8_t out[TOKEN_HASH_SIZE])
{
	memset(out, 0, TOKEN_HASH_SIZE);
	if (len != TOKEN_TEXT_LEN)
		return TOKEN_BAD_LENGTH;
	int value = 0;
	for (size_t i = 0; i < len; i++) {
		value = token_b64_value(text[i]);
		if (value < 0)
			return TOKEN_BAD_BYTE;
	}
	/* 43 characters carry 258 bits; the last two must be zero, or two texts would name one
	 * token, and ours never have them set. */
	if ((value & 3) != 0)
		return TOKEN_NOT_CANONICAL;
	token_hash(text, len, out);
	return TOKEN_OK;
}

bool token_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	if (alen == 0)
		return blen == 0;
	/* On a length mismatch a is compared with itself, so the work is the same either way. */
	const void *other = alen == blen ? b : a;
	int same = sodium_memcmp(a, other, alen) == 0;
	return (alen == blen) & same;
}

void token_csrf_secret_new(uint8_t out[TOKEN_CSRF_SECRET_SIZE])
{
	randombytes_buf(out, TOKEN_CSRF_SECRET_SIZE);
}

void token_csrf_for(const uint8_t secret[TOKEN_CSRF_SECRET_SIZE], const char *form_id,
                    char out[TOKEN_TEXT_SIZE])
{
	uint8_t mac[crypto_auth_BYTES];
	if (form_id == NULL)
		form_id = "";
	crypto_auth(mac, (const unsigned char *)form_id, strlen(form_id), secret);
	token_encode(mac, out);
	sodium_memzero(mac, sizeof(mac));
}

bool token_csrf_check(const uint8_t secret[TOKEN_CSRF_SECRET_SIZE], const char *form_id,
                      const char *sent, size_t sent_len)
{
	char expected[TOKEN_TEXT_SIZE];
	token_csrf_for(secret, form_id, expected);
	bool same = token_equal(sent, sent_len, expected, TOKEN_TEXT_LEN);
	sodium_memzero(expected, sizeof(expected));
	return same;
}

enum token_status token_csrf_visitor_secret(const char *server_key, size_t key_len,
                                            const char *visitor_cookie, size_t cookie_len,
                                            uint8_t out[TOKEN_CSRF_SECRET_SIZE])
{
	if (server_key == NULL || key_len < TOKEN_SERVER_KEY_MIN) {
		memset(out, 0, TOKEN_CSRF_SECRET_SIZE);
		return TOKEN_WEAK_KEY;
	}
	crypto_auth_hmacsha512256_state state;
	crypto_auth_hmacsha512256_init(&state, (const unsigned char *)server_key, key_len);
	/* The context includes its NUL so that it cannot run into the cookie's bytes. */
	crypto_auth_hmacsha512256_update(&state, (const unsigned char *)token_visitor_context,
	                                 sizeof(token_visitor_context));
	if (cookie_len > 0)
		crypto_auth_hmacsha512256_update(&state, (const unsigned char *)visitor_cookie,
		                                 cookie_len);
	crypto_auth_hmacsha512256_final(&state, out);
	sodium_memzero(&state, sizeof(state));
	return TOKEN_OK;
}
