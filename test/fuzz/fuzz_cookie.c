/*
 * fuzz_cookie.c: libFuzzer target for cookie_parse.
 *
 * The input is a Cookie header value. It checks that every cookie kept is one we could have set
 * ourselves (token name, cookie-octet value, within the caps, NUL-terminated), that the count
 * stays under LIMIT_COOKIES_MAX, and that a refusal carries a printable message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "cookie.h"
#include "fields.h"
#include "limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *arena = arena_create(16u << 20);
	if (arena == NULL)
		return 0;
	struct fields fields = {0};
	char message[FIELDS_MESSAGE_MAX] = "";
	enum fields_status status = cookie_parse(arena, (const char *)data, size, &fields, message);
	if (status > FIELDS_NO_MEMORY)
		abort();
	if (status != FIELDS_OK) {
		size_t len = strnlen(message, FIELDS_MESSAGE_MAX);
		if (len == 0 || len == FIELDS_MESSAGE_MAX)
			abort();
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)message[i] < 0x20 || (unsigned char)message[i] >= 0x7f)
				abort();
	}
	if (fields.count > LIMIT_COOKIES_MAX)
		abort();
	for (size_t i = 0; i < fields.count; i++) {
		const struct field *field = &fields.items[i];
		if (!cookie_name_valid(field->name, field->name_len) ||
		    !cookie_value_valid(field->value, field->value_len))
			abort();
		if (field->name[field->name_len] != '\0' || field->value[field->value_len] != '\0')
			abort();
		if (field->filename != NULL || field->content_type != NULL)
			abort();
		/* What we kept was in the header as sent. */
		if (memmem(data, size, field->value, field->value_len) == NULL)
			abort();
	}
	arena_destroy(arena);
	return 0;
}
