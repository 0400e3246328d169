/*
 * token.h: random session tokens, their stored hashes, and CSRF tokens.
 *
 * A session token is 256 bits from libsodium's randombytes_buf, sent as 43 base64url characters
 * (no padding) in the session cookie. The database keeps only its SHA-256, so a copy of the
 * sessions table does not let anyone sign in; SHA-256 without salt or stretching is enough
 * because the input is 256 random bits, not something a person chose. A cookie is checked
 * strictly (length, alphabet, canonical last character) before it is hashed and looked up.
 *
 * CSRF design: a per-session secret, with tokens derived from it by HMAC.
 *   - Each session row holds a random 32-byte CSRF secret (token_csrf_secret_new), kept with the
 *     session on the server and never sent. A form carries token_csrf_for(secret, form_id) =
 *     base64url(HMAC-SHA-512-256(key = secret, form_id)); a POST is accepted when
 *     token_csrf_check recomputes the same value, compared in constant time (token_equal).
 *   - It survives a session-token rotation: rotating replaces the token hash in the row and
 *     keeps the CSRF secret, so forms already open in other tabs still post.
 *   - It cannot be derived without a server secret: the only input an attacker lacks is the CSRF
 *     secret, which lives in the database and is never in a cookie, a URL or a page. Knowing the
 *     session cookie does not give it either (it is not derived from the session token).
 *   - Tokens are deterministic per (session, form_id), so nothing is stored per page view and a
 *     page rendered twice carries the same token. form_id separates uses: one constant (e.g.
 *     "form") gives one token per session that fits a layout-wide template slot; the route's
 *     path gives per-form tokens, so a token leaked from one form is no good for another.
 *   - Before sign-in there is no session row. Forms shown to a visitor (sign in, sign up) use a
 *     secret derived from a random visitor cookie and a server key from the secrets file:
 *     token_csrf_visitor_secret(key, cookie) = HMAC(key, cookie) (OWASP's signed double-submit
 *     cookie): a cookie value read or guessed does not give the token without the key. Someone
 *     who can plant a cookie of their own in the victim's browser (a sibling subdomain) can also
 *     fetch its token, so the visitor cookie should be named __Host-... over HTTPS, which no
 *     other host may set; the Origin check covers the rest.
 * The Origin check the dispatcher does as well is the first line; the token is the one that
 * holds when a browser sends no Origin.
 *
 * randombytes_buf needs sodium_init() to have run (password_init does it); libsodium's Linux
 * source is the getrandom() system call, which is safe across fork.
 */
#ifndef TOKEN_H
#define TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOKEN_BYTES 32              /* random bytes in a session token */
#define TOKEN_TEXT_LEN 43           /* base64url characters of 32 bytes, no padding */
#define TOKEN_TEXT_SIZE 44          /* with the NUL */
#define TOKEN_HASH_SIZE 32          /* SHA-256 */
#define TOKEN_CSRF_SECRET_SIZE 32   /* crypto_auth_KEYBYTES */
#define TOKEN_SERVER_KEY_MIN 32     /* bytes of the visitor-CSRF server key, at the least */

enum token_status {
	TOKEN_OK = 0,
	TOKEN_BAD_LENGTH,     /* not TOKEN_TEXT_LEN bytes */
	TOKEN_BAD_BYTE,       /* a byte outside A-Z a-z 0-9 - _ */
	TOKEN_NOT_CANONICAL,  /* the last character carries bits 32 bytes cannot have */
	TOKEN_WEAK_KEY,       /* a server key shorter than TOKEN_SERVER_KEY_MIN */
};

const char *token_strerror(enum token_status status);

/* out = a new session token: 43 base64url characters and a NUL. */
void token_new(char out[TOKEN_TEXT_SIZE]);
/* out = SHA-256 of the token's text: what the sessions table stores and is searched by. */
void token_hash(const char *text, size_t len, uint8_t out[TOKEN_HASH_SIZE]);
/* Checks a cookie value is a token we could have made and, if so, hashes it into out. On
 * refusal out is zeroed; the caller treats the request as signed out. */
enum token_status token_parse(const char *text, size_t len, uint8_t out[TOKEN_HASH_SIZE]);
/* Whether a[0..alen) equals b[0..blen), taking a time that depends on alen only: pass the
 * value the client sent as a. Lengths are not secret; the bytes are. */
bool token_equal(const void *a, size_t alen, const void *b, size_t blen);

/* out = a new CSRF secret, stored in the session row beside the token hash. */
void token_csrf_secret_new(uint8_t out[TOKEN_CSRF_SECRET_SIZE]);
/* out = the CSRF token of form_id (NUL-terminated; NULL is "") for the holder of secret. */
void token_csrf_for(const uint8_t secret[TOKEN_CSRF_SECRET_SIZE], const char *form_id,
                    char out[TOKEN_TEXT_SIZE]);
/* Whether sent[0..sent_len) is token_csrf_for(secret, form_id), in constant time. */
bool token_csrf_check(const uint8_t secret[TOKEN_CSRF_SECRET_SIZE], const char *form_id,
                      const char *sent, size_t sent_len);
/* out = the CSRF secret of a visitor without a session, from the server key (at least
 * TOKEN_SERVER_KEY_MIN bytes of a secret, e.g. `openssl rand -base64 32`) and the visitor's
 * cookie value. TOKEN_WEAK_KEY (out zeroed) for a short key. */
enum token_status token_csrf_visitor_secret(const char *server_key, size_t key_len,
                                            const char *visitor_cookie, size_t cookie_len,
                                            uint8_t out[TOKEN_CSRF_SECRET_SIZE]);

#endif
