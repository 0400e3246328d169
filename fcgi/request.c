/*
 * request.c: FastCGI params to `struct request`, and the body to form fields (see request.h).
 *
 * The params come from nginx, but we still treat them as untrusted bytes: nginx forwards the
 * client's request line and headers, so every value is capped and the path is decoded and
 * checked here rather than trusting DOCUMENT_URI's normalisation.
 */
#include "request.h"

#include <string.h>
#include <strings.h>

#include "arena.h"
#include "cookie.h"
#include "limits.h"
#include "multipart.h"
#include "urlencoded.h"

const char *request_param(const struct request *request, const char *name)
{
	return fields_value(&request->params, name);
}

static enum fields_status request_split_params(struct request *request, char *const *envp, char *message)
{
	for (size_t i = 0; envp != NULL && envp[i] != NULL; i++) {
		const char *pair = envp[i];
		const char *equals = strchr(pair, '=');
		if (equals == NULL || equals == pair)
			return fields_fail(message, FIELDS_BAD_SYNTAX, "malformed FastCGI parameter");
		size_t name_len = (size_t)(equals - pair);
		size_t value_len = strlen(equals + 1);
		if (name_len > LIMIT_PARAM_NAME_MAX)
			return fields_fail(message, FIELDS_TOO_LARGE, "a request header name is too long");
		if (value_len > LIMIT_PARAM_VALUE_MAX)
			return fields_fail(message, FIELDS_TOO_LARGE, "request header %.*s is too long",
			                   (int)(name_len < 64 ? name_len : 64), pair);
		struct field field = {
			.name = arena_strndup(request->arena, pair, name_len),
			.name_len = name_len,
			.value = equals + 1,
			.value_len = value_len,
		};
		if (field.name == NULL)
			return fields_fail(message, FIELDS_NO_MEMORY, "out of memory");
		enum fields_status status = fields_append(request->arena, &request->params, LIMIT_PARAMS_MAX, &field);
		if (status == FIELDS_TOO_MANY)
			return fields_fail(message, status, "too many request headers");
		if (status != FIELDS_OK)
			return fields_fail(message, status, "out of memory");
	}
	return FIELDS_OK;
}

/* A decoded path: starts with '/', no control bytes, no "." or ".." segment. */
static enum fields_status request_check_path(const char *path, size_t len, char *message)
{
	if (len == 0 || path[0] != '/')
		return fields_fail(message, FIELDS_BAD_SYNTAX, "the request path must start with /");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)path[i];
		if (c < 32 || c == 127)
			return fields_fail(message, FIELDS_BAD_SYNTAX, "the request path holds a control character");
		if (c == '/') {
			size_t rest = len - i - 1;
			const char *segment = path + i + 1;
			if ((rest >= 1 && segment[0] == '.' && (rest == 1 || segment[1] == '/')) ||
			    (rest >= 2 && segment[0] == '.' && segment[1] == '.' && (rest == 2 || segment[2] == '/')))
				return fields_fail(message, FIELDS_BAD_SYNTAX, "the request path holds a dot segment");
		}
	}
	return FIELDS_OK;
}

static enum fields_status request_parse_path(struct request *request, char *message)
{
	const char *uri = request_param(request, "REQUEST_URI");
	if (uri == NULL || uri[0] == '\0')
		uri = request_param(request, "DOCUMENT_URI");
	if (uri == NULL || uri[0] == '\0')
		return fields_fail(message, FIELDS_BAD_SYNTAX, "the web server sent no request URI");
	size_t raw_len = strcspn(uri, "?#");
	if (raw_len > LIMIT_PATH_MAX)
		return fields_fail(message, FIELDS_TOO_LARGE, "the request path is too long");
	char *path = arena_alloc(request->arena, raw_len + 1);
	size_t path_len = 0;
	size_t error_at = 0;
	if (path == NULL)
		return fields_fail(message, FIELDS_NO_MEMORY, "out of memory");
	enum urlencoded_error decoded = urlencoded_decode(uri, raw_len, 0, path, &path_len, &error_at);
	if (decoded != URLENCODED_OK)
		return fields_fail(message, FIELDS_BAD_SYNTAX, "the request path is not valid (%s, at byte %zu)",
		                   urlencoded_strerror(decoded), error_at);
	enum fields_status status = request_check_path(path, path_len, message);
	if (status != FIELDS_OK)
		return status;
	request->path = path;
	return FIELDS_OK;
}

static enum fields_status request_parse_content_length(struct request *request, char *message)
{
	const char *text = request_param(request, "CONTENT_LENGTH");
	request->content_length = 0;
	if (text == NULL || text[0] == '\0')
		return FIELDS_OK;
	size_t value = 0;
	for (const char *p = text; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return fields_fail(message, FIELDS_BAD_SYNTAX, "Content-Length is not a number");
		if (value > (LIMIT_UPLOAD_HARD_MAX * 4) / 10)
			return fields_fail(message, FIELDS_TOO_LARGE, "the request body is too large");
		value = value * 10 + (size_t)(*p - '0');
	}
	request->content_length = value;
	return FIELDS_OK;
}

static const char *request_param_or_empty(const struct request *request, const char *name)
{
	const char *value = request_param(request, name);
	return value != NULL ? value : "";
}

enum fields_status request_parse(struct request *request, struct arena *arena, char *const *envp,
                                 char *message)
{
	memset(request, 0, sizeof(*request));
	request->arena = arena;
	enum fields_status status = request_split_params(request, envp, message);
	if (status != FIELDS_OK)
		return status;

	request->method = request_param_or_empty(request, "REQUEST_METHOD");
	if (strlen(request->method) > 32 || !fields_is_token(request->method))
		return fields_fail(message, FIELDS_BAD_SYNTAX, "the request method is not valid");
	status = request_parse_path(request, message);
	if (status != FIELDS_OK)
		return status;
	status = request_parse_content_length(request, message);
	if (status != FIELDS_OK)
		return status;

	request->query_string = request_param_or_empty(request, "QUERY_STRING");
	status = urlencoded_parse(arena, request->query_string, strlen(request->query_string), &request->query,
	                          message);
	if (status != FIELDS_OK)
		return status;
	const char *cookie = request_param(request, "HTTP_COOKIE");
	if (cookie != NULL) {
		status = cookie_parse(arena, cookie, strlen(cookie), &request->cookies, message);
		if (status != FIELDS_OK)
			return status;
	}

	const char *https = request_param_or_empty(request, "HTTPS");
	request->https = (https[0] != '\0' && strcasecmp(https, "off") != 0) ||
	                 strcasecmp(request_param_or_empty(request, "REQUEST_SCHEME"), "https") == 0;
	request->content_type = request_param_or_empty(request, "CONTENT_TYPE");
	request->host = request_param_or_empty(request, "HTTP_HOST");
	request->origin = request_param(request, "HTTP_ORIGIN");
	request->remote_addr = request_param_or_empty(request, "REMOTE_ADDR");
	return FIELDS_OK;
}

/* True when the Content-Type's media type (before any ';') is type, case-insensitively. */
static bool request_media_type_is(const char *content_type, const char *type)
{
	size_t len = strcspn(content_type, ";");
	while (len > 0 && (content_type[len - 1] == ' ' || content_type[len - 1] == '\t'))
		len--;
	return len == strlen(type) && strncasecmp(content_type, type, len) == 0;
}

static enum fields_status request_read_body(struct request *request, size_t body_max, char **body, char *message)
{
	if (request->content_length > body_max)
		return fields_fail(message, FIELDS_TOO_LARGE, "the request body is larger than the limit of %zu KiB",
		                   body_max / 1024);
	char *buffer = arena_alloc(request->arena, request->content_length + 1);
	if (buffer == NULL)
		return fields_fail(message, FIELDS_NO_MEMORY, "out of memory");
	size_t got = 0;
	while (got < request->content_length) {
		ssize_t n = request->read(request->read_context, buffer + got, request->content_length - got);
		if (n <= 0)
			return fields_fail(message, FIELDS_BAD_SYNTAX, "the request body ended early");
		got += (size_t)n;
	}
	buffer[got] = '\0';
	*body = buffer;
	return FIELDS_OK;
}

enum fields_status request_read_form(struct request *request, size_t body_max, size_t file_max, char *message)
{
	bool urlencoded = request_media_type_is(request->content_type, "application/x-www-form-urlencoded");
	bool multipart = request_media_type_is(request->content_type, "multipart/form-data");
	if (!urlencoded && !multipart)
		return fields_fail(message, FIELDS_UNSUPPORTED, "the form must be sent as "
		                   "application/x-www-form-urlencoded or multipart/form-data");
	if (urlencoded && body_max > LIMIT_URLENCODED_BODY_MAX)
		body_max = LIMIT_URLENCODED_BODY_MAX;
	if (request->read == NULL)
		return fields_fail(message, FIELDS_BAD_SYNTAX, "the request has no body");
	if (urlencoded) {
		char *body = NULL;
		enum fields_status status = request_read_body(request, body_max, &body, message);
		if (status != FIELDS_OK)
			return status;
		return urlencoded_parse(request->arena, body, request->content_length, &request->form, message);
	}
	if (request->content_length > body_max)
		return fields_fail(message, FIELDS_TOO_LARGE, "the request body is larger than the limit of %zu KiB",
		                   body_max / 1024);
	const char *boundary = NULL;
	size_t boundary_len = 0;
	enum fields_status status = multipart_boundary(request->content_type, strlen(request->content_type), &boundary,
	                                               &boundary_len, message);
	if (status != FIELDS_OK)
		return status;
	return multipart_read(request->arena, request->read, request->read_context, request->content_length, boundary,
	                      boundary_len, file_max, &request->form, message);
}
