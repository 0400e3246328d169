/*
 * fuzz_multipart.c: libFuzzer target for multipart_boundary and multipart_parse.
 *
 * The input's first line is the Content-Type header value, the rest the body. It checks the
 * boundary is a slice of the header within its cap, and that each field obeys multipart.h:
 * NUL-terminated exact values, text parts UTF-8 without NULs under LIMIT_FIELD_VALUE_MAX, files
 * under file_max with a directory-free filename, a content type always set, counts within caps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "fields.h"
#include "limits.h"
#include "multipart.h"
#include "urlencoded.h"

#define FUZZ_FILE_MAX 4096

static void check_message(enum fields_status status, const char *message)
{
	if (status > FIELDS_NO_MEMORY)
		abort();
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

static void check_field(const struct field *field)
{
	if (field->name_len == 0 || field->name_len > LIMIT_FIELD_NAME_MAX ||
	    field->name[field->name_len] != '\0' || field->value[field->value_len] != '\0' ||
	    urlencoded_text_check(field->name, field->name_len, NULL) != URLENCODED_OK ||
	    field->content_type == NULL)
		abort();
	if (field->filename == NULL) {
		if (field->value_len > LIMIT_FIELD_VALUE_MAX ||
		    urlencoded_text_check(field->value, field->value_len, NULL) != URLENCODED_OK)
			abort();
		return;
	}
	size_t filename_len = strlen(field->filename);
	if (field->value_len > FUZZ_FILE_MAX || filename_len > LIMIT_FILENAME_MAX ||
	    strchr(field->filename, '/') != NULL || strchr(field->filename, '\\') != NULL ||
	    strcmp(field->filename, "..") == 0 ||
	    urlencoded_text_check(field->filename, filename_len, NULL) != URLENCODED_OK)
		abort();
	for (size_t i = 0; i < filename_len; i++)
		if ((unsigned char)field->filename[i] < 0x20 || field->filename[i] == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *input = (const char *)data;
	const char *newline = memchr(input, '\n', size);
	size_t header_len = newline != NULL ? (size_t)(newline - input) : size;
	const char *body = newline != NULL ? newline + 1 : input + size;
	size_t body_len = size - (size_t)(body - input);
	char message[FIELDS_MESSAGE_MAX] = "";
	const char *boundary = NULL;
	size_t boundary_len = 0;

	if (header_len > 0 && input[header_len - 1] == '\r')
		header_len--;
	enum fields_status status = multipart_boundary(input, header_len, &boundary, &boundary_len,
	                                               message);
	check_message(status, message);
	if (status != FIELDS_OK)
		return 0;
	if (boundary_len == 0 || boundary_len > LIMIT_BOUNDARY_MAX || boundary < input ||
	    boundary + boundary_len > input + header_len)
		abort();

	struct arena *arena = arena_create(16u << 20);
	if (arena == NULL)
		return 0;
	struct fields fields = {0};
	message[0] = '\0';
	status = multipart_parse(arena, body, body_len, boundary, boundary_len, FUZZ_FILE_MAX, &fields,
	                         message);
	check_message(status, message);
	if (fields.count > LIMIT_FIELDS_MAX)
		abort();
	for (size_t i = 0; i < fields.count; i++)
		check_field(&fields.items[i]);
	arena_destroy(arena);
	return 0;
}
