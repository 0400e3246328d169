/*
 * fields.h: the name/value list every request parser fills, and the one status they return.
 *
 * Query strings, urlencoded bodies, cookies and multipart forms all decode into a `struct
 * fields` whose strings live in the request's arena (NUL-terminated, with explicit lengths,
 * because a decoded value may hold a NUL). A parser answers FIELDS_OK or the first problem, with
 * a message a user may read (it names the field or byte offset, never internals); the web layer
 * turns the status into 400 or 413.
 */
#ifndef FCGI_FIELDS_H
#define FCGI_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

struct arena;

enum fields_status {
	FIELDS_OK = 0,
	FIELDS_BAD_SYNTAX,   /* 400: malformed encoding, missing boundary, bad header... */
	FIELDS_TOO_LARGE,    /* 413: a name, value, part or body over its cap */
	FIELDS_TOO_MANY,     /* 413: more fields/cookies/parts than allowed */
	FIELDS_NO_MEMORY,    /* 500: the arena refused (its cap or malloc) */
	FIELDS_UNSUPPORTED,  /* 415: a body of a media type the route does not take */
};

struct field {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
	/* multipart only (NULL elsewhere): the part's filename parameter and Content-Type. */
	const char *filename;
	const char *content_type;
	/* multipart only: a file part larger than its cap. Its bytes were read and dropped as they
	 * came (value is "", value_len 0); the other fields of the form are all there. */
	bool over_limit;
};

struct fields {
	struct field *items;
	size_t count;
	size_t capacity;
};

/* Message buffer size every parser writes its reason into. */
#define FIELDS_MESSAGE_MAX 160

/* The HTTP status a parser's answer maps to: 200 for OK, 400, 413, 415, 500. */
int fields_http_status(enum fields_status status);
const char *fields_strerror(enum fields_status status);

/* Appends a field (pointers are kept, not copied). FIELDS_TOO_MANY past max_count. */
enum fields_status fields_append(struct arena *arena, struct fields *fields, size_t max_count,
                                 const struct field *field);

/* True when s is an RFC 9110 token (methods, header and cookie names): visible ASCII without
 * separators, at least one byte. */
bool fields_is_token(const char *s);

/* The first field called name (NUL-terminated), or NULL. */
const struct field *fields_find(const struct fields *fields, const char *name);
/* Its value, or NULL when absent. */
const char *fields_value(const struct fields *fields, const char *name);

/* Writes a printf-style message into buf (FIELDS_MESSAGE_MAX) and returns status: the parsers'
 * one way to fail. buf may be NULL. */
enum fields_status fields_fail(char *buf, enum fields_status status, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

#endif
