/*
 * urlencoded.c: percent-decoding, the UTF-8 rule and the `a=b&c=d` parser (see urlencoded.h).
 *
 * Each pair is decoded twice: once without output to learn its length and find the first bad
 * byte, then into an arena buffer of exactly that size, so a refused or oversized field costs no
 * arena memory. UTF-8 is checked while decoding (Unicode table 3-7: no overlongs such as %C0%AF, no
 * surrogates, nothing past U+10FFFF), which lets an error name the offset in what the user sent.
 */
#include "urlencoded.h"

#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "limits.h"

/* Bytes of a field name quoted in a message; the rest becomes "...". */
#define URLENCODED_EXCERPT_MAX 40

/* Valid UTF-8 lead bytes: the range, the sequence length, and the range of the second byte
 * (narrower than 80..BF where that is what rules out overlongs, surrogates and > U+10FFFF). */
static const struct utf8_lead {
	unsigned char first, last, length, second_lo, second_hi;
} utf8_leads[] = {
	{0x00, 0x7f, 1, 0, 0},
	{0xc2, 0xdf, 2, 0x80, 0xbf},
	{0xe0, 0xe0, 3, 0xa0, 0xbf},
	{0xe1, 0xec, 3, 0x80, 0xbf},
	{0xed, 0xed, 3, 0x80, 0x9f},
	{0xee, 0xef, 3, 0x80, 0xbf},
	{0xf0, 0xf0, 4, 0x90, 0xbf},
	{0xf1, 0xf3, 4, 0x80, 0xbf},
	{0xf4, 0xf4, 4, 0x80, 0x8f},
};

struct utf8_state {
	unsigned need;          /* continuation bytes still expected */
	unsigned char lo, hi;   /* range of the next continuation byte */
	size_t start;           /* source offset of the current sequence's lead byte */
};

/* Hex digit value + 1, so that 0 means "not a hex digit". */
static const unsigned char hex_value[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

const char *urlencoded_strerror(enum urlencoded_error error)
{
	static const char *const text[] = {
		[URLENCODED_OK] = "ok",
		[URLENCODED_BAD_ESCAPE] = "malformed percent-escape ('%' must be followed by two hex digits)",
		[URLENCODED_NUL] = "NUL byte (raw or as %00) is not allowed",
		[URLENCODED_BAD_UTF8] = "invalid UTF-8",
	};
	if ((size_t)error >= sizeof(text) / sizeof(text[0]))
		return "unknown error";
	return text[error];
}

/* Feeds one decoded byte; false when it breaks UTF-8 (the error is at state->start). */
static int utf8_feed(struct utf8_state *state, unsigned char byte, size_t at)
{
	if (state->need > 0) {
		if (byte < state->lo || byte > state->hi)
			return 0;
		state->lo = 0x80;
		state->hi = 0xbf;
		state->need--;
		return 1;
	}
	state->start = at;
	if (byte < 0x80)
		return 1;
	for (size_t i = 1; i < sizeof(utf8_leads) / sizeof(utf8_leads[0]); i++) {
		const struct utf8_lead *lead = &utf8_leads[i];
		if (byte >= lead->first && byte <= lead->last) {
			state->need = lead->length - 1u;
			state->lo = lead->second_lo;
			state->hi = lead->second_hi;
			return 1;
		}
	}
	return 0;
}

static enum urlencoded_error urlencoded_run(const char *src, size_t len, unsigned flags,
                                            int escapes, char *dst, size_t *decoded_len,
                                            size_t *error_at)
{
	struct utf8_state utf8 = {0};
	enum urlencoded_error error = URLENCODED_OK;
	size_t at = 0;
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char byte = (unsigned char)src[i];
		at = i;
		if (byte == '%' && escapes) {
			if (len - i < 3 || hex_value[(unsigned char)src[i + 1]] == 0 ||
			    hex_value[(unsigned char)src[i + 2]] == 0) {
				error = URLENCODED_BAD_ESCAPE;
				goto out;
			}
			byte = (unsigned char)((hex_value[(unsigned char)src[i + 1]] - 1) << 4 |
			                       (hex_value[(unsigned char)src[i + 2]] - 1));
			i += 2;
		} else if (byte == '+' && (flags & URLENCODED_PLUS_IS_SPACE)) {
			byte = ' ';
		}
		if (byte == '\0') {
			error = URLENCODED_NUL;
			goto out;
		}
		if (!utf8_feed(&utf8, byte, at)) {
			error = URLENCODED_BAD_UTF8;
			at = utf8.start;
			goto out;
		}
		if (dst != NULL)
			dst[n] = (char)byte;
		n++;
	}
	if (utf8.need > 0) {
		error = URLENCODED_BAD_UTF8;
		at = utf8.start;
	}
out:
	if (dst != NULL)
		dst[error == URLENCODED_OK ? n : 0] = '\0';
	if (decoded_len != NULL)
		*decoded_len = error == URLENCODED_OK ? n : 0;
	if (error != URLENCODED_OK && error_at != NULL)
		*error_at = at;
	return error;
}

enum urlencoded_error urlencoded_decode(const char *src, size_t len, unsigned flags, char *dst,
                                        size_t *decoded_len, size_t *error_at)
{
	return urlencoded_run(src, len, flags, 1, dst, decoded_len, error_at);
}

enum urlencoded_error urlencoded_text_check(const char *text, size_t len, size_t *error_at)
{
	return urlencoded_run(text, len, 0, 0, NULL, NULL, error_at);
}

size_t urlencoded_excerpt(const char *s, size_t len, size_t max)
{
	size_t end = 0;
	while (end < len) {
		unsigned char byte = (unsigned char)s[end];
		if (byte < 0x20 || byte == 0x7f)
			break;
		size_t sequence = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
		if (sequence > len - end || end + sequence > max)
			break;
		end += sequence;
	}
	return end;
}

/* `"name"` or `"nam..."`, for messages; name must be UTF-8. */
static void urlencoded_quote(char *buf, size_t size, const char *name, size_t name_len)
{
	size_t shown = urlencoded_excerpt(name, name_len, URLENCODED_EXCERPT_MAX);
	snprintf(buf, size, "\"%.*s%s\"", (int)shown, name, shown < name_len ? "..." : "");
}

/* Measures and checks data[start..end); on a bad byte *error_at is its offset in data. */
static enum fields_status urlencoded_measure(const char *data, size_t start, size_t end, size_t cap,
                                             size_t *decoded_len, enum urlencoded_error *error,
                                             size_t *error_at)
{
	size_t at = 0;
	*error = urlencoded_decode(data + start, end - start, URLENCODED_PLUS_IS_SPACE, NULL,
	                           decoded_len, &at);
	if (*error != URLENCODED_OK) {
		*error_at = start + at;
		return FIELDS_BAD_SYNTAX;
	}
	return *decoded_len > cap ? FIELDS_TOO_LARGE : FIELDS_OK;
}

static enum fields_status urlencoded_pair(struct arena *arena, const char *data, size_t start,
                                          size_t end, struct fields *out, char *message)
{
	struct field field = {0};
	enum urlencoded_error error = URLENCODED_OK;
	size_t error_at = 0;
	char name[LIMIT_FIELD_NAME_MAX + 1];
	char quoted[URLENCODED_EXCERPT_MAX + 8];

	if (out->count >= LIMIT_FIELDS_MAX)
		return fields_fail(message, FIELDS_TOO_MANY, "too many fields (at most %d)",
		                   LIMIT_FIELDS_MAX);

	const char *equals = memchr(data + start, '=', end - start);
	size_t name_end = equals != NULL ? (size_t)(equals - data) : end;
	size_t value_start = equals != NULL ? name_end + 1 : end;

	enum fields_status status = urlencoded_measure(data, start, name_end, LIMIT_FIELD_NAME_MAX,
	                                               &field.name_len, &error, &error_at);
	if (status == FIELDS_BAD_SYNTAX)
		return fields_fail(message, status, "field name at byte %zu: %s", error_at,
		                   urlencoded_strerror(error));
	if (status == FIELDS_TOO_LARGE)
		return fields_fail(message, status, "field name at byte %zu is too long (over %d bytes)",
		                   start, LIMIT_FIELD_NAME_MAX);
	if (field.name_len == 0)
		return fields_fail(message, FIELDS_BAD_SYNTAX, "empty field name at byte %zu", start);
	/* The name is capped, so it can wait on the stack until the value is judged too. */
	urlencoded_decode(data + start, name_end - start, URLENCODED_PLUS_IS_SPACE, name,
	                  &field.name_len, NULL);

	urlencoded_quote(quoted, sizeof(quoted), name, field.name_len);
	status = urlencoded_measure(data, value_start, end, LIMIT_FIELD_VALUE_MAX, &field.value_len,
	                            &error, &error_at);
	if (status == FIELDS_BAD_SYNTAX)
		return fields_fail(message, status, "field %s at byte %zu: %s", quoted, error_at,
		                   urlencoded_strerror(error));
	if (status == FIELDS_TOO_LARGE)
		return fields_fail(message, status, "field %s is too long (over %d bytes)", quoted,
		                   LIMIT_FIELD_VALUE_MAX);

	char *value = arena_alloc(arena, field.value_len + 1);
	field.name = arena_strndup(arena, name, field.name_len);
	if (value == NULL || field.name == NULL)
		return fields_fail(message, FIELDS_NO_MEMORY, "out of memory");
	urlencoded_decode(data + value_start, end - value_start, URLENCODED_PLUS_IS_SPACE, value,
	                  &field.value_len, NULL);
	field.value = value;
	status = fields_append(arena, out, LIMIT_FIELDS_MAX, &field);
	if (status == FIELDS_TOO_MANY)
		return fields_fail(message, status, "too many fields (at most %d)", LIMIT_FIELDS_MAX);
	if (status != FIELDS_OK)
		return fields_fail(message, status, "out of memory");
	return FIELDS_OK;
}

enum fields_status urlencoded_parse(struct arena *arena, const char *data, size_t len,
                                    struct fields *out, char *message)
{
	size_t pos = 0;
	while (pos < len) {
		const char *amp = memchr(data + pos, '&', len - pos);
		size_t end = amp != NULL ? (size_t)(amp - data) : len;
		if (end > pos) {
			enum fields_status status = urlencoded_pair(arena, data, pos, end, out, message);
			if (status != FIELDS_OK)
				return status;
		}
		pos = end + 1;
	}
	return FIELDS_OK;
}
