/*
 * urlencoded.h: decodes query strings and application/x-www-form-urlencoded bodies into fields.
 *
 * Both are `name=value` pairs joined by '&', percent-encoded, '+' meaning space. Everything that
 * comes out is valid UTF-8 without NUL bytes, and within the caps of limits.h; anything else is
 * refused with the first offending byte's offset in the message. The percent-decoder and the
 * UTF-8 check are exported for the request path and for multipart's text parts, so every piece
 * of text a user sends passes the same rules.
 */
#ifndef FCGI_URLENCODED_H
#define FCGI_URLENCODED_H

#include <stddef.h>

#include "fields.h"

struct arena;

/* Flag for urlencoded_decode: '+' decodes to a space (queries and forms, not paths). */
#define URLENCODED_PLUS_IS_SPACE 1u

enum urlencoded_error {
	URLENCODED_OK = 0,
	URLENCODED_BAD_ESCAPE,  /* '%' not followed by two hex digits */
	URLENCODED_NUL,         /* a NUL byte, raw or as %00 */
	URLENCODED_BAD_UTF8,    /* the decoded bytes are not UTF-8 (overlong, surrogate, cut...) */
};

const char *urlencoded_strerror(enum urlencoded_error error);

/*
 * Percent-decodes len bytes of src and checks the result is UTF-8 without NULs. dst must hold
 * len + 1 bytes (decoding never grows), or the measured length + 1; it is NUL-terminated, and
 * may be NULL to only measure and check. *decoded_len is set to the decoded length. On error,
 * *error_at (may be NULL) is set to the offset in src of the bad escape, the NUL, or the first
 * byte of the bad UTF-8 sequence.
 */
enum urlencoded_error urlencoded_decode(const char *src, size_t len, unsigned flags, char *dst,
                                        size_t *decoded_len, size_t *error_at);

/* Checks raw bytes are UTF-8 without NULs (no percent-decoding); *error_at as above. */
enum urlencoded_error urlencoded_text_check(const char *text, size_t len, size_t *error_at);

/*
 * How many leading bytes of s (at most max) are safe to quote in a user-visible message: it
 * stops before any control byte and never cuts a UTF-8 sequence. s must already be UTF-8.
 */
size_t urlencoded_excerpt(const char *s, size_t len, size_t max);

/*
 * Appends the fields of a query string or form body to out (which starts zeroed or already
 * holds fields). Empty pairs (`a&&b`) are skipped; a pair without '=' has the value "". Names and
 * values are NUL-terminated copies in the arena. On failure message (FIELDS_MESSAGE_MAX) says
 * why, and out may hold the fields decoded before the bad one. The caller caps len itself
 * (LIMIT_URLENCODED_BODY_MAX, LIMIT_PARAM_VALUE_MAX).
 */
enum fields_status urlencoded_parse(struct arena *arena, const char *data, size_t len,
                                    struct fields *out, char *message);

#endif
