/*
 * fuzz_multipart.c: libFuzzer target for multipart_boundary, multipart_parse and multipart_read.
 *
 * The input's first line is the Content-Type header value, the rest the body. It checks the
 * boundary is a slice of the header within its cap, and that each field obeys multipart.h:
 * NUL-terminated exact values, text parts UTF-8 without NULs under LIMIT_FIELD_VALUE_MAX, files
 * under file_max with a directory-free filename, or over it and then empty and flagged, a content
 * type always set, counts within caps. The body is then read again through multipart_read in
 * reads of sizes taken from the body's own bytes (1 to 256), with a file cap of 16 bytes so that
 * the drop-as-it-comes path runs on small inputs too: the answer must be the same as in one piece.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "arena.h"
#include "fields.h"
#include "limits.h"
#include "multipart.h"
#include "urlencoded.h"

#define FUZZ_FILE_MAX 4096
#define FUZZ_SMALL_FILE_MAX 16

/* Hands the body out in reads whose sizes cycle through its own bytes. */
struct fuzz_reader {
	const char *body;
	size_t len, pos, turn;
};

static ssize_t fuzz_read(void *context, char *buf, size_t len)
{
	struct fuzz_reader *reader = context;
	size_t step = reader->len > 0 ? (unsigned char)reader->body[reader->turn++ % reader->len] + 1u : 1u;
	size_t n = reader->len - reader->pos;
	if (n > len)
		n = len;
	if (n > step)
		n = step;
	memcpy(buf, reader->body + reader->pos, n);
	reader->pos += n;
	return (ssize_t)n;
}

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

static void check_field(const struct field *field, size_t file_max)
{
	if (field->name_len == 0 || field->name_len > LIMIT_FIELD_NAME_MAX ||
	    field->name[field->name_len] != '\0' || field->value[field->value_len] != '\0' ||
	    urlencoded_text_check(field->name, field->name_len, NULL) != URLENCODED_OK ||
	    field->content_type == NULL)
		abort();
	if (field->over_limit && (field->filename == NULL || field->value_len != 0))
		abort();
	if (field->filename == NULL) {
		if (field->value_len > LIMIT_FIELD_VALUE_MAX ||
		    urlencoded_text_check(field->value, field->value_len, NULL) != URLENCODED_OK)
			abort();
		return;
	}
	size_t filename_len = strlen(field->filename);
	if (field->value_len > file_max || filename_len > LIMIT_FILENAME_MAX ||
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
		check_field(&fields.items[i], FUZZ_FILE_MAX);

	/* Small file cap, in one piece and in pieces: the same answer. */
	struct fields whole = {0}, pieces = {0};
	char whole_message[FIELDS_MESSAGE_MAX] = "";
	message[0] = '\0';
	enum fields_status whole_status = multipart_parse(arena, body, body_len, boundary, boundary_len,
	                                                  FUZZ_SMALL_FILE_MAX, &whole, whole_message);
	check_message(whole_status, whole_message);
	struct fuzz_reader reader = {.body = body, .len = body_len};
	status = multipart_read(arena, fuzz_read, &reader, body_len, boundary, boundary_len,
	                        FUZZ_SMALL_FILE_MAX, &pieces, message);
	if (status != whole_status || strcmp(message, whole_message) != 0 || pieces.count != whole.count)
		abort();
	if (status == FIELDS_OK && reader.pos != body_len)
		abort();
	for (size_t i = 0; i < pieces.count; i++) {
		const struct field *a = &whole.items[i], *b = &pieces.items[i];
		check_field(b, FUZZ_SMALL_FILE_MAX);
		if (a->value_len != b->value_len || a->over_limit != b->over_limit ||
		    memcmp(a->value, b->value, a->value_len) != 0 || strcmp(a->name, b->name) != 0 ||
		    (a->filename == NULL) != (b->filename == NULL) ||
		    (a->filename != NULL && strcmp(a->filename, b->filename) != 0) ||
		    strcmp(a->content_type, b->content_type) != 0)
			abort();
	}
	/* A file part the big cap kept and the small one did not is flagged, never lost. */
	if (whole_status == FIELDS_OK && status == FIELDS_OK && fields.count == whole.count)
		for (size_t i = 0; i < whole.count; i++)
			if (fields.items[i].filename != NULL &&
			    whole.items[i].over_limit !=
			            (fields.items[i].over_limit || fields.items[i].value_len > FUZZ_SMALL_FILE_MAX))
				abort();
	arena_destroy(arena);
	return 0;
}
