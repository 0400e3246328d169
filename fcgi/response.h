/*
 * response.h: building an HTTP response for FastCGI: status, headers, cookies, redirects, body.
 *
 * A handler fills a `struct response` (all memory from the request's arena); the runtime
 * serialises it once the handler returns, so a handler that fails halfway can still replace the
 * whole answer with an error page. Header names and values are checked for CR, LF and NUL here,
 * so no caller can split a response. Cookies we set are HttpOnly and SameSite by default and
 * Secure whenever the request came over HTTPS.
 */
#ifndef FCGI_RESPONSE_H
#define FCGI_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>

struct arena;

enum response_status {
	RESPONSE_OK = 0,
	RESPONSE_BAD_HEADER,  /* a name or value with CR, LF, NUL or a non-token name */
	RESPONSE_NO_MEMORY,
	RESPONSE_WRITE_FAILED,
};

enum response_same_site { RESPONSE_SAME_SITE_LAX = 0, RESPONSE_SAME_SITE_STRICT, RESPONSE_SAME_SITE_NONE };

struct response_cookie_options {
	const char *path;            /* default "/" */
	long max_age;                /* seconds; 0 (or less) = a session cookie, gone when the browser closes */
	bool expire_now;             /* delete the cookie: Max-Age=0 (value should be empty) */
	enum response_same_site same_site;
	bool script_readable;        /* false (default): HttpOnly */
};

struct response_header {
	const char *name;
	const char *value;
};

/* The function the serialiser writes through: 0 on success. */
typedef int (*response_write_fn)(void *context, const char *data, size_t len);
/* A body made while it is sent (response_stream): writes it all through write, 0 on success, -1
 * when it stopped (what was written stays written: the body is cut there). */
typedef int (*response_stream_fn)(void *stream_context, response_write_fn write, void *write_context);

struct response {
	struct arena *arena;
	int status;
	bool https;                   /* the request came over HTTPS: cookies get Secure */
	struct response_header *headers;
	size_t header_count;
	size_t header_capacity;
	const char *body;
	size_t body_len;
	const char *content_type;
	response_stream_fn stream;    /* a streamed body instead of body (no Content-Length) */
	void *stream_context;
};

void response_init(struct response *response, struct arena *arena, bool https);
const char *response_strerror(enum response_status status);
/* "OK", "Not Found"... for a status code; "Unknown" otherwise. */
const char *response_reason(int status);

/* Adds a header (the strings are copied into the arena). */
enum response_status response_header(struct response *response, const char *name, const char *value);
/* Sets a cookie; value must be a cookie-octet string (RFC 6265 4.1.1). */
enum response_status response_cookie(struct response *response, const char *name, const char *value,
                                     const struct response_cookie_options *options);
/* 303 See Other (after a POST) or 302/307; location must be a local path starting with "/"
 * (never "//"), so a redirect can never be bent to another site. */
enum response_status response_redirect(struct response *response, int status, const char *location);
/* The body and its type (the bytes are not copied: they must live as long as the arena). */
void response_body(struct response *response, int status, const char *content_type, const char *body,
                   size_t len);

/* A body written as it is made, after the headers, by stream (its context must live as long as
 * the arena): for answers too large to hold, such as an export. */
void response_stream(struct response *response, int status, const char *content_type, response_stream_fn stream,
                     void *stream_context);

/* Writes "Status:", headers, a blank line and (unless head_only) the body. */
enum response_status response_send(const struct response *response, bool head_only,
                                   response_write_fn write, void *context);

#endif
