/*
 * fuzz_urlencoded.c: libFuzzer target for urlencoded_parse and urlencoded_decode.
 *
 * The input is a query string or form body. Beyond "no crash", it checks what the request layer
 * relies on: every field is a NUL-terminated UTF-8 string without NULs within the caps, a refusal
 * comes with a printable message, and a parsed form re-encoded and parsed again gives the same
 * fields (so decoding loses nothing and invents nothing).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "fields.h"
#include "limits.h"
#include "urlencoded.h"

static void check_message(enum fields_status status, const char *message)
{
	if (status == FIELDS_OK)
		return;
	size_t len = strnlen(message, FIELDS_MESSAGE_MAX);
	if (len == 0 || len == FIELDS_MESSAGE_MAX)
		abort();
	if (urlencoded_text_check(message, len, NULL) != URLENCODED_OK)
		abort();
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)message[i] < 0x20 || message[i] == 0x7f)
			abort();
}

static void check_fields(const struct fields *fields)
{
	if (fields->count > LIMIT_FIELDS_MAX)
		abort();
	for (size_t i = 0; i < fields->count; i++) {
		const struct field *field = &fields->items[i];
		if (field->name_len == 0 || field->name_len > LIMIT_FIELD_NAME_MAX ||
		    field->value_len > LIMIT_FIELD_VALUE_MAX)
			abort();
		if (field->name[field->name_len] != '\0' || field->value[field->value_len] != '\0')
			abort();
		if (strlen(field->name) != field->name_len || strlen(field->value) != field->value_len)
			abort();
		if (urlencoded_text_check(field->name, field->name_len, NULL) != URLENCODED_OK ||
		    urlencoded_text_check(field->value, field->value_len, NULL) != URLENCODED_OK)
			abort();
		if (field->filename != NULL || field->content_type != NULL)
			abort();
	}
}

/* Percent-encodes every byte but unreserved ones, as a strict browser would. */
static size_t encode(char *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			out[n++] = (char)c;
		} else {
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	return n;
}

static void check_round_trip(struct arena *arena, const struct fields *fields)
{
	size_t size = 1;
	for (size_t i = 0; i < fields->count; i++)
		size += 3 * (fields->items[i].name_len + fields->items[i].value_len) + 2;
	char *text = arena_alloc(arena, size);
	if (text == NULL)
		return;
	size_t len = 0;
	for (size_t i = 0; i < fields->count; i++) {
		if (i > 0)
			text[len++] = '&';
		len += encode(text + len, fields->items[i].name, fields->items[i].name_len);
		text[len++] = '=';
		len += encode(text + len, fields->items[i].value, fields->items[i].value_len);
	}
	struct fields again = {0};
	char message[FIELDS_MESSAGE_MAX];
	enum fields_status status = urlencoded_parse(arena, text, len, &again, message);
	if (status == FIELDS_NO_MEMORY)
		return;
	if (status != FIELDS_OK || again.count != fields->count)
		abort();
	for (size_t i = 0; i < fields->count; i++) {
		const struct field *a = &fields->items[i], *b = &again.items[i];
		if (a->name_len != b->name_len || a->value_len != b->value_len ||
		    memcmp(a->name, b->name, a->name_len) != 0 ||
		    memcmp(a->value, b->value, a->value_len) != 0)
			abort();
	}
}

static void check_decode(struct arena *arena, const char *data, size_t size)
{
	char *out = arena_alloc(arena, size + 1);
	size_t len = 0, measured = 0, at = SIZE_MAX;
	if (out == NULL)
		return;
	enum urlencoded_error error = urlencoded_decode(data, size, 0, out, &len, &at);
	enum urlencoded_error measure = urlencoded_decode(data, size, 0, NULL, &measured, NULL);
	if (error != measure)
		abort();
	if (error == URLENCODED_OK) {
		if (len != measured || len > size || out[len] != '\0' ||
		    urlencoded_text_check(out, len, NULL) != URLENCODED_OK)
			abort();
		/* Paths keep '+': as many '+' out as '+' and %2B in. */
		if (memchr(data, '+', size) != NULL && memchr(out, '+', len) == NULL)
			abort();
	} else if (at >= size) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *arena = arena_create(16u << 20);
	if (arena == NULL)
		return 0;
	struct fields fields = {0};
	char message[FIELDS_MESSAGE_MAX] = "";
	enum fields_status status = urlencoded_parse(arena, (const char *)data, size, &fields, message);
	if (status > FIELDS_NO_MEMORY)
		abort();
	check_message(status, message);
	check_fields(&fields);
	if (status == FIELDS_OK)
		check_round_trip(arena, &fields);
	check_decode(arena, (const char *)data, size);
	arena_destroy(arena);
	return 0;
}
