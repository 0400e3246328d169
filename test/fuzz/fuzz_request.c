/*
 * fuzz_request.c: libFuzzer target for request_parse and request_read_form.
 *
 * The input is FastCGI params as FCGX hands them over: NUL-separated "NAME=VALUE" strings,
 * optionally followed, after an empty string (so "\0\0"), by the request body. When the params
 * set CONTENT_TYPE the body is read through a reader that hands it out in odd-sized pieces, as a
 * socket would. It checks that an accepted request has a path a handler may trust (starts with
 * '/', no dot segment, no control byte), a token for a method, NUL-terminated names and values
 * everywhere, fields within their caps, and that a refusal carries a printable message.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "arena.h"
#include "fields.h"
#include "limits.h"
#include "request.h"

/* More than LIMIT_PARAMS_MAX, so the cap is reached. */
#define FUZZ_PARAMS_MAX (LIMIT_PARAMS_MAX + 16)
#define FUZZ_BODY_MAX (1u << 20)
#define FUZZ_FILE_MAX (64u * 1024)

struct fuzz_reader {
	const uint8_t *data;
	size_t len;
	size_t pos;
	size_t calls;
};

static ssize_t fuzz_read(void *context, char *buf, size_t len)
{
	struct fuzz_reader *reader = context;
	size_t n = reader->len - reader->pos;
	/* Short reads of varying size, like a socket. */
	size_t piece = 1 + (reader->calls++ * 7919) % 4093;
	if (n > len)
		n = len;
	if (n > piece)
		n = piece;
	memcpy(buf, reader->data + reader->pos, n);
	reader->pos += n;
	return (ssize_t)n;
}

static void fuzz_check_message(const char *message)
{
	size_t len = strnlen(message, FIELDS_MESSAGE_MAX);
	if (len == 0 || len == FIELDS_MESSAGE_MAX)
		abort();
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)message[i] < 0x20 || (unsigned char)message[i] == 0x7f)
			abort();
}

static void fuzz_check_fields(const struct fields *fields, size_t max_count)
{
	if (fields->count > max_count || fields->count > fields->capacity)
		abort();
	for (size_t i = 0; i < fields->count; i++) {
		const struct field *field = &fields->items[i];
		if (field->name == NULL || field->value == NULL)
			abort();
		if (field->name[field->name_len] != '\0' || field->value[field->value_len] != '\0')
			abort();
	}
}

static bool fuzz_is_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= 32 || c >= 127 || strchr("()<>@,;:\\\"/[]?={} \t", c) != NULL)
			return false;
	}
	return true;
}

static void fuzz_check_path(const char *path)
{
	size_t len = strlen(path);
	if (len == 0 || path[0] != '/' || len > LIMIT_PATH_MAX)
		abort();
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)path[i] < 32 || (unsigned char)path[i] == 127)
			abort();
	/* No "." or ".." segment: each segment between slashes is checked on its own. */
	for (const char *segment = path + 1;; segment++) {
		size_t seg_len = strcspn(segment, "/");
		if ((seg_len == 1 && segment[0] == '.') || (seg_len == 2 && segment[0] == '.' && segment[1] == '.'))
			abort();
		segment += seg_len;
		if (*segment == '\0')
			break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *envp[FUZZ_PARAMS_MAX + 1];
	size_t count = 0;
	size_t pos = 0;
	struct fuzz_reader reader = {0};
	char message[FIELDS_MESSAGE_MAX] = "";
	struct request request;
	enum fields_status status;
	const char *https;

	/* The params as separate NUL-terminated strings, as FCGX's envp. */
	char *copy = malloc(size + 1);
	struct arena *arena = arena_create(16u << 20);
	if (copy == NULL || arena == NULL)
		goto out;
	memcpy(copy, data, size);
	copy[size] = '\0';
	while (pos < size && count < FUZZ_PARAMS_MAX) {
		size_t len = strlen(copy + pos);
		if (len == 0) {
			pos++;  /* the empty string: the body follows */
			break;
		}
		envp[count++] = copy + pos;
		pos += len + 1;
	}
	envp[count] = NULL;
	reader.data = data + (pos < size ? pos : size);
	reader.len = pos < size ? size - pos : 0;

	status = request_parse(&request, arena, envp, message);
	if (status > FIELDS_UNSUPPORTED)
		abort();
	if (status != FIELDS_OK) {
		fuzz_check_message(message);
		goto out;
	}
	if (!fuzz_is_token(request.method))
		abort();
	fuzz_check_path(request.path);
	fuzz_check_fields(&request.params, LIMIT_PARAMS_MAX);
	fuzz_check_fields(&request.query, LIMIT_FIELDS_MAX);
	fuzz_check_fields(&request.cookies, LIMIT_COOKIES_MAX);
	if (request.query_string == NULL || request.content_type == NULL || request.host == NULL ||
	    request.remote_addr == NULL)
		abort();
	https = request_param(&request, "HTTPS");
	if (https != NULL && strcasecmp(https, "on") == 0 && !request.https)
		abort();
	if (request.content_length > LIMIT_UPLOAD_HARD_MAX * 5)
		abort();

	if (request.content_type[0] == '\0')
		goto out;
	request.read = fuzz_read;
	request.read_context = &reader;
	message[0] = '\0';
	status = request_read_form(&request, FUZZ_BODY_MAX, FUZZ_FILE_MAX, message);
	if (status > FIELDS_UNSUPPORTED)
		abort();
	/* Nothing is read for a body that is too large or of a type we do not take. */
	if ((status == FIELDS_UNSUPPORTED || request.content_length > FUZZ_BODY_MAX) && reader.calls != 0)
		abort();
	if (reader.pos > request.content_length)
		abort();
	if (status != FIELDS_OK) {
		fuzz_check_message(message);
		goto out;
	}
	fuzz_check_fields(&request.form, LIMIT_FIELDS_MAX);
	for (size_t i = 0; i < request.form.count; i++) {
		const struct field *field = &request.form.items[i];
		if (field->filename == NULL && field->value_len > LIMIT_FIELD_VALUE_MAX)
			abort();
		if (field->filename != NULL && field->value_len > FUZZ_FILE_MAX)
			abort();
	}
out:
	arena_destroy(arena);
	free(copy);
	return 0;
}
