/*
 * response.c: the response builder and serialiser (see response.h).
 */
#include "response.h"

#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "fields.h"

struct response_reason_entry {
	int status;
	const char *reason;
};

static const struct response_reason_entry response_reasons[] = {
	{200, "OK"}, {201, "Created"}, {204, "No Content"},
	{301, "Moved Permanently"}, {302, "Found"}, {303, "See Other"}, {304, "Not Modified"},
	{307, "Temporary Redirect"},
	{400, "Bad Request"}, {401, "Unauthorized"}, {403, "Forbidden"}, {404, "Not Found"},
	{405, "Method Not Allowed"}, {409, "Conflict"}, {413, "Content Too Large"},
	{415, "Unsupported Media Type"}, {422, "Unprocessable Content"}, {429, "Too Many Requests"},
	{500, "Internal Server Error"}, {502, "Bad Gateway"}, {503, "Service Unavailable"},
	{504, "Gateway Timeout"},
};

static const char *const response_same_site_names[] = {
	[RESPONSE_SAME_SITE_LAX] = "Lax",
	[RESPONSE_SAME_SITE_STRICT] = "Strict",
	[RESPONSE_SAME_SITE_NONE] = "None",
};

void response_init(struct response *response, struct arena *arena, bool https)
{
	memset(response, 0, sizeof(*response));
	response->arena = arena;
	response->https = https;
	response->status = 200;
}

const char *response_strerror(enum response_status status)
{
	static const char *const text[] = {
		[RESPONSE_OK] = "ok",
		[RESPONSE_BAD_HEADER] = "header name or value not allowed",
		[RESPONSE_NO_MEMORY] = "out of memory",
		[RESPONSE_WRITE_FAILED] = "write to the web server failed",
	};
	if ((size_t)status >= sizeof(text) / sizeof(text[0]))
		return "unknown error";
	return text[status];
}

const char *response_reason(int status)
{
	for (size_t i = 0; i < sizeof(response_reasons) / sizeof(response_reasons[0]); i++)
		if (response_reasons[i].status == status)
			return response_reasons[i].reason;
	return "Unknown";
}

/* A field value: visible ASCII, space, tab, and bytes >= 0x80; never CR, LF, NUL or DEL. */
static bool response_is_field_value(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c < 32 && c != '\t') || c == 127)
			return false;
	}
	return true;
}

/* RFC 6265 4.1.1 cookie-octet. */
static bool response_is_cookie_value(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= 32 || c >= 127 || c == '"' || c == ',' || c == ';' || c == '\\')
			return false;
	}
	return true;
}

enum response_status response_header(struct response *response, const char *name, const char *value)
{
	if (!fields_is_token(name) || !response_is_field_value(value))
		return RESPONSE_BAD_HEADER;
	if (response->header_count == response->header_capacity) {
		size_t capacity = response->header_capacity == 0 ? 8 : response->header_capacity * 2;
		struct response_header *headers =
			arena_grow(response->arena, response->headers,
			           response->header_count * sizeof(*headers), capacity * sizeof(*headers));
		if (headers == NULL)
			return RESPONSE_NO_MEMORY;
		response->headers = headers;
		response->header_capacity = capacity;
	}
	const char *name_copy = arena_strndup(response->arena, name, strlen(name));
	const char *value_copy = arena_strndup(response->arena, value, strlen(value));
	if (name_copy == NULL || value_copy == NULL)
		return RESPONSE_NO_MEMORY;
	response->headers[response->header_count++] = (struct response_header){name_copy, value_copy};
	return RESPONSE_OK;
}

enum response_status response_cookie(struct response *response, const char *name, const char *value,
                                     const struct response_cookie_options *options)
{
	static const struct response_cookie_options defaults = {.path = "/"};
	if (options == NULL)
		options = &defaults;
	const char *path = options->path != NULL ? options->path : "/";
	if (!fields_is_token(name) || !response_is_cookie_value(value) || !response_is_field_value(path) ||
	    strchr(path, ';') != NULL || (size_t)options->same_site > RESPONSE_SAME_SITE_NONE)
		return RESPONSE_BAD_HEADER;
	char max_age[40] = "";
	if (options->expire_now)
		snprintf(max_age, sizeof(max_age), "; Max-Age=0");
	else if (options->max_age > 0)
		snprintf(max_age, sizeof(max_age), "; Max-Age=%ld", options->max_age);
	/* SameSite=None is only honoured by browsers together with Secure. */
	bool secure = response->https || options->same_site == RESPONSE_SAME_SITE_NONE;
	size_t size = strlen(name) + strlen(value) + strlen(path) + sizeof(max_age) + 64;
	char *line = arena_alloc(response->arena, size);
	if (line == NULL)
		return RESPONSE_NO_MEMORY;
	snprintf(line, size, "%s=%s; Path=%s%s%s%s; SameSite=%s", name, value, path, max_age,
	         options->script_readable ? "" : "; HttpOnly", secure ? "; Secure" : "",
	         response_same_site_names[options->same_site]);
	return response_header(response, "Set-Cookie", line);
}

enum response_status response_redirect(struct response *response, int status, const char *location)
{
	/* Local paths only: "//evil.example" and "/\evil.example" are protocol-relative in browsers,
	 * and browsers delete tabs and newlines from a URL before parsing it ("/<TAB>/evil.example"
	 * is //evil.example), so no control byte may appear at all. */
	if (location[0] != '/' || location[1] == '/' || location[1] == '\\')
		return RESPONSE_BAD_HEADER;
	for (const char *p = location; *p != '\0'; p++)
		if ((unsigned char)*p < 32 || *p == 127)
			return RESPONSE_BAD_HEADER;
	enum response_status result = response_header(response, "Location", location);
	if (result != RESPONSE_OK)
		return result;
	response->status = status;
	response->body = NULL;
	response->body_len = 0;
	response->content_type = NULL;
	return RESPONSE_OK;
}

void response_body(struct response *response, int status, const char *content_type, const char *body,
                   size_t len)
{
	response->status = status;
	/* A type that could split the response (CR, LF) is dropped: the body goes out untyped,
	 * under nosniff, rather than with a forged header. */
	response->content_type =
		content_type != NULL && response_is_field_value(content_type) ? content_type : NULL;
	response->body = body;
	response->body_len = len;
	response->stream = NULL;
}

void response_stream(struct response *response, int status, const char *content_type, response_stream_fn stream,
                     void *stream_context)
{
	response_body(response, status, content_type, NULL, 0);
	response->stream = stream;
	response->stream_context = stream_context;
}

enum response_status response_send(const struct response *response, bool head_only,
                                   response_write_fn write, void *context)
{
	char line[128];
	int n = snprintf(line, sizeof(line), "Status: %d %s\r\n", response->status,
	                 response_reason(response->status));
	if (write(context, line, (size_t)n) != 0)
		return RESPONSE_WRITE_FAILED;
	if (response->content_type != NULL) {
		if (write(context, "Content-Type: ", 14) != 0 ||
		    write(context, response->content_type, strlen(response->content_type)) != 0 ||
		    write(context, "\r\n", 2) != 0)
			return RESPONSE_WRITE_FAILED;
	}
	n = snprintf(line, sizeof(line), "Content-Length: %zu\r\n", response->body_len);
	if (response->stream == NULL && write(context, line, (size_t)n) != 0)
		return RESPONSE_WRITE_FAILED;
	for (size_t i = 0; i < response->header_count; i++) {
		const struct response_header *header = &response->headers[i];
		if (write(context, header->name, strlen(header->name)) != 0 || write(context, ": ", 2) != 0 ||
		    write(context, header->value, strlen(header->value)) != 0 || write(context, "\r\n", 2) != 0)
			return RESPONSE_WRITE_FAILED;
	}
	if (write(context, "\r\n", 2) != 0)
		return RESPONSE_WRITE_FAILED;
	if (!head_only && response->body_len > 0 && write(context, response->body, response->body_len) != 0)
		return RESPONSE_WRITE_FAILED;
	if (!head_only && response->stream != NULL && response->stream(response->stream_context, write, context) != 0)
		return RESPONSE_WRITE_FAILED;
	return RESPONSE_OK;
}
