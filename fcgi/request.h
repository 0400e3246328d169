/*
 * request.h: one HTTP request as the web layer sees it, parsed from FastCGI params.
 *
 * The runtime builds a `struct request` from the params nginx sends (the CGI environment), in
 * the request's arena: method, decoded path, query fields, cookies, and the headers the app
 * needs. The body is read and parsed only when a handler's route takes one (request_read_form),
 * through a reader function, so this file knows nothing of libfcgi and is tested and fuzzed
 * without it. Every failure is a fields_status plus a message for a 400/413 page.
 */
#ifndef FCGI_REQUEST_H
#define FCGI_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "fields.h"

struct arena;

/* Reads up to len body bytes into buf: the count read, 0 at end of body, -1 on error. */
typedef ssize_t (*request_read_fn)(void *context, char *buf, size_t len);

struct request {
	struct arena *arena;
	struct fields params;       /* every FastCGI param, as sent */
	const char *method;         /* an RFC 9110 token, e.g. "GET" */
	const char *path;           /* percent-decoded, starts with '/', no NUL, no dot segments */
	const char *query_string;   /* raw, "" when absent */
	struct fields query;
	struct fields cookies;
	struct fields form;         /* the body's fields, once request_read_form succeeded */
	const char *content_type;   /* "" when absent */
	size_t content_length;
	bool https;
	const char *host;           /* HTTP_HOST, "" when absent */
	const char *origin;         /* HTTP_ORIGIN, NULL when absent */
	const char *remote_addr;
	request_read_fn read;
	void *read_context;
};

/* Parses params ("NAME=VALUE" strings, NULL-terminated, as FCGX_Request.envp). */
enum fields_status request_parse(struct request *request, struct arena *arena, char *const *envp,
                                 char *message);
/* A param's value, or NULL. */
const char *request_param(const struct request *request, const char *name);

/* Reads the whole body (refusing one over body_max with 413 before reading it) and parses it as
 * application/x-www-form-urlencoded or multipart/form-data into request->form. A multipart body is
 * parsed as it is read (multipart_read): a file part over file_max is read, dropped, and left in
 * the form empty with over_limit set, the other fields intact; the caller says what to do about it.
 * Any other Content-Type is FIELDS_UNSUPPORTED (415), with a message. */
enum fields_status request_read_form(struct request *request, size_t body_max, size_t file_max,
                                     char *message);

#endif
