/*
 * cookie.h: parses the Cookie request header into fields, and checks cookies we set.
 *
 * The header is `a=b; c=d` (RFC 6265 section 4.2.1); a value may be wrapped in double quotes,
 * which are stripped. Other applications on the same host may set cookies we would call broken,
 * and refusing the request would lock the user out of us, so a malformed pair (no '=', empty or
 * non-token name, a value byte outside cookie-octet) is skipped, not fatal. Only what no browser
 * sends is refused: control bytes (400) and more or larger cookies than limits.h allows (413).
 * Values are not percent-decoded: that is the business of whoever set the cookie.
 */
#ifndef FCGI_COOKIE_H
#define FCGI_COOKIE_H

#include <stdbool.h>
#include <stddef.h>

#include "fields.h"

struct arena;

/*
 * Appends the cookies of one Cookie header to out, in header order; duplicates are all kept, so
 * fields_find gives the first (browsers send the most specific path first). Names and values are
 * NUL-terminated arena copies; filename and content_type are NULL.
 */
enum fields_status cookie_parse(struct arena *arena, const char *header, size_t len,
                                struct fields *out, char *message);

/* A name we may set: an RFC 7230 token of 1..LIMIT_COOKIE_NAME_MAX bytes. */
bool cookie_name_valid(const char *name, size_t len);
/* A value we may set unquoted: 0..LIMIT_COOKIE_VALUE_MAX cookie-octets (RFC 6265 4.1.1:
 * printable ASCII less space, '"', ',', ';' and '\'). */
bool cookie_value_valid(const char *value, size_t len);

#endif
