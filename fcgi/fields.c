/*
 * fields.c: the decoded name/value list shared by the request parsers (see fields.h).
 */
#include "fields.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"

int fields_http_status(enum fields_status status)
{
	static const int http_status[] = {
		[FIELDS_OK] = 200,
		[FIELDS_BAD_SYNTAX] = 400,
		[FIELDS_TOO_LARGE] = 413,
		[FIELDS_TOO_MANY] = 413,
		[FIELDS_NO_MEMORY] = 500,
		[FIELDS_UNSUPPORTED] = 415,
	};
	if ((size_t)status >= sizeof(http_status) / sizeof(http_status[0]))
		return 500;
	return http_status[status];
}

const char *fields_strerror(enum fields_status status)
{
	static const char *const text[] = {
		[FIELDS_OK] = "ok",
		[FIELDS_BAD_SYNTAX] = "malformed request",
		[FIELDS_TOO_LARGE] = "request part too large",
		[FIELDS_TOO_MANY] = "too many fields",
		[FIELDS_NO_MEMORY] = "out of memory",
		[FIELDS_UNSUPPORTED] = "unsupported media type",
	};
	if ((size_t)status >= sizeof(text) / sizeof(text[0]))
		return "unknown error";
	return text[status];
}

enum fields_status fields_append(struct arena *arena, struct fields *fields, size_t max_count,
                                 const struct field *field)
{
	if (fields->count >= max_count)
		return FIELDS_TOO_MANY;
	if (fields->count == fields->capacity) {
		size_t capacity = fields->capacity == 0 ? 8 : fields->capacity * 2;
		if (capacity > max_count)
			capacity = max_count;
		struct field *items = arena_grow(arena, fields->items, fields->count * sizeof(*items),
		                                 capacity * sizeof(*items));
		if (items == NULL)
			return FIELDS_NO_MEMORY;
		fields->items = items;
		fields->capacity = capacity;
	}
	fields->items[fields->count++] = *field;
	return FIELDS_OK;
}

bool fields_is_token(const char *s)
{
	static const char separators[] = "()<>@,;:\\\"/[]?={} \t";
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= 32 || c >= 127 || strchr(separators, c) != NULL)
			return false;
	}
	return true;
}

const struct field *fields_find(const struct fields *fields, const char *name)
{
	size_t name_len = strlen(name);
	for (size_t i = 0; i < fields->count; i++) {
		const struct field *field = &fields->items[i];
		if (field->name_len == name_len && memcmp(field->name, name, name_len) == 0)
			return field;
	}
	return NULL;
}

const char *fields_value(const struct fields *fields, const char *name)
{
	const struct field *field = fields_find(fields, name);
	return field != NULL ? field->value : NULL;
}

enum fields_status fields_fail(char *buf, enum fields_status status, const char *format, ...)
{
	if (buf != NULL) {
		va_list args;
		va_start(args, format);
		vsnprintf(buf, FIELDS_MESSAGE_MAX, format, args);
		va_end(args);
	}
	return status;
}
