/*
 * cookie.c: the Cookie header parser and cookie validators (see cookie.h).
 *
 * Control bytes are looked for over the whole header first, so a NUL is refused wherever it
 * hides, even inside a pair that would have been skipped. Then each ';'-separated pair is
 * trimmed of spaces and tabs, split at its first '=', judged, and kept or skipped.
 */
#include "cookie.h"

#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "limits.h"

/* Characters classes of RFC 7230 (token) and RFC 6265 (cookie-octet). */
enum {
	COOKIE_TOKEN = 1,
	COOKIE_OCTET = 2,
};

static unsigned char cookie_class(unsigned char c)
{
	static const char token_punctuation[] = "!#$%&'*+-.^_`|~";
	unsigned char class = 0;
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c != '\0' && memchr(token_punctuation, c, sizeof(token_punctuation) - 1) != NULL))
		class |= COOKIE_TOKEN;
	if (c >= 0x21 && c <= 0x7e && c != '"' && c != ',' && c != ';' && c != '\\')
		class |= COOKIE_OCTET;
	return class;
}

static bool cookie_all(const char *s, size_t len, unsigned char class)
{
	for (size_t i = 0; i < len; i++)
		if (!(cookie_class((unsigned char)s[i]) & class))
			return false;
	return true;
}

bool cookie_name_valid(const char *name, size_t len)
{
	return len > 0 && len <= LIMIT_COOKIE_NAME_MAX && cookie_all(name, len, COOKIE_TOKEN);
}

bool cookie_value_valid(const char *value, size_t len)
{
	return len <= LIMIT_COOKIE_VALUE_MAX && cookie_all(value, len, COOKIE_OCTET);
}

static bool cookie_space(char c)
{
	return c == ' ' || c == '\t';
}

/* One pair, header[start..end): kept, skipped (FIELDS_OK either way) or refused. */
static enum fields_status cookie_pair(struct arena *arena, const char *header, size_t start,
                                      size_t end, struct fields *out, char *message)
{
	while (start < end && cookie_space(header[start]))
		start++;
	while (end > start && cookie_space(header[end - 1]))
		end--;
	const char *equals = memchr(header + start, '=', end - start);
	if (equals == NULL)
		return FIELDS_OK;

	size_t name_end = (size_t)(equals - header);
	size_t value_start = name_end + 1;
	while (name_end > start && cookie_space(header[name_end - 1]))
		name_end--;
	while (value_start < end && cookie_space(header[value_start]))
		value_start++;
	size_t name_len = name_end - start;
	if (name_len == 0 || !cookie_all(header + start, name_len, COOKIE_TOKEN))
		return FIELDS_OK;
	if (name_len > LIMIT_COOKIE_NAME_MAX)
		return fields_fail(message, FIELDS_TOO_LARGE,
		                   "cookie name at byte %zu is too long (over %d bytes)", start,
		                   LIMIT_COOKIE_NAME_MAX);

	size_t value_end = end;
	if (value_end - value_start >= 2 && header[value_start] == '"' && header[value_end - 1] == '"') {
		value_start++;
		value_end--;
	}
	size_t value_len = value_end - value_start;
	if (value_len > LIMIT_COOKIE_VALUE_MAX)
		return fields_fail(message, FIELDS_TOO_LARGE, "cookie \"%.*s\" is too long (over %d bytes)",
		                   (int)(name_len > 40 ? 40 : name_len), header + start,
		                   LIMIT_COOKIE_VALUE_MAX);
	if (!cookie_all(header + value_start, value_len, COOKIE_OCTET))
		return FIELDS_OK;

	if (out->count >= LIMIT_COOKIES_MAX)
		return fields_fail(message, FIELDS_TOO_MANY, "too many cookies (at most %d)",
		                   LIMIT_COOKIES_MAX);
	struct field field = {
		.name = arena_strndup(arena, header + start, name_len),
		.name_len = name_len,
		.value = arena_strndup(arena, header + value_start, value_len),
		.value_len = value_len,
	};
	if (field.name == NULL || field.value == NULL)
		return fields_fail(message, FIELDS_NO_MEMORY, "out of memory");
	enum fields_status status = fields_append(arena, out, LIMIT_COOKIES_MAX, &field);
	if (status == FIELDS_TOO_MANY)
		return fields_fail(message, status, "too many cookies (at most %d)", LIMIT_COOKIES_MAX);
	if (status != FIELDS_OK)
		return fields_fail(message, status, "out of memory");
	return FIELDS_OK;
}

enum fields_status cookie_parse(struct arena *arena, const char *header, size_t len,
                                struct fields *out, char *message)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)header[i];
		if (c == '\0')
			return fields_fail(message, FIELDS_BAD_SYNTAX,
			                   "NUL byte at byte %zu of the Cookie header", i);
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fields_fail(message, FIELDS_BAD_SYNTAX,
			                   "control byte 0x%02x at byte %zu of the Cookie header", c, i);
	}

	size_t pos = 0;
	while (pos < len) {
		const char *semicolon = memchr(header + pos, ';', len - pos);
		size_t end = semicolon != NULL ? (size_t)(semicolon - header) : len;
		enum fields_status status = cookie_pair(arena, header, pos, end, out, message);
		if (status != FIELDS_OK)
			return status;
		pos = end + 1;
	}
	return FIELDS_OK;
}
