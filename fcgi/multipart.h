/*
 * multipart.h: parses multipart/form-data request bodies (RFC 7578) into fields.
 *
 * multipart_boundary takes the boundary from the Content-Type header; multipart_read splits a
 * body into one field per part as it reads it, holding one part at a time (multipart_parse does
 * the same for a body already in memory). Text parts obey the same rules as urlencoded fields
 * (UTF-8, no NUL, LIMIT_FIELD_VALUE_MAX), and one over its cap refuses the form; a part with a
 * filename parameter is a file: its value is its raw bytes. A file over file_max does not refuse
 * the form: its bytes are read and dropped as they come, never held, and its field is there,
 * empty, with over_limit set, so that a caller can answer with the rest of what was sent.
 *
 * What a field holds for a part:
 *   name, value    NUL-terminated arena copies; value_len is exact (a file may hold NULs).
 *   filename       NULL for a text part. For a file part the filename parameter with any directory
 *                  part stripped ("C:\x\y.jpg" gives "y.jpg"): "" when the browser sent
 *                  filename="" (a file input left empty) or only a directory.
 *   content_type   never NULL: the part's Content-Type header as sent; when absent or empty,
 *                  "text/plain" for a text part (the RFC 7578 default) and
 *                  "application/octet-stream" for a file part (bytes of unknown kind).
 *                  It is a label from the client, not a fact about the bytes.
 * Every line of a part's header block and every delimiter must end in CRLF, as every browser and
 * HTTP library sends: bare LF is refused rather than guessed at, because RFC 2046 delimits
 * parts by CRLF--boundary, and a parser that also took LF would cut a file that holds
 * "\n--boundary" differently from a proxy or scanner that does not.
 */
#ifndef FCGI_MULTIPART_H
#define FCGI_MULTIPART_H

#include <stddef.h>
#include <sys/types.h>

#include "fields.h"

struct arena;

/*
 * From a Content-Type value such as `multipart/form-data; boundary="abc"`, sets *boundary (a
 * pointer into content_type, quotes removed) and *boundary_len. The media type and parameter
 * names are case-insensitive; the boundary is 1..LIMIT_BOUNDARY_MAX bchars (RFC 2046 5.1.1).
 * Anything else, a second boundary parameter or a backslash escape in it included, is
 * FIELDS_BAD_SYNTAX.
 */
enum fields_status multipart_boundary(const char *content_type, size_t len, const char **boundary,
                                      size_t *boundary_len, char *message);

/* Reads up to len body bytes into buf: the count read (1..len), or 0 or -1 when the body ended
 * or failed. (The same shape as request.h's request_read_fn.) */
typedef ssize_t (*multipart_read_fn)(void *context, char *buf, size_t len);

/*
 * Reads a body of exactly len bytes through read and appends one field per part to out, as
 * multipart_parse does; a body that ends before len bytes is FIELDS_BAD_SYNTAX. Its memory is one
 * window of about file_max (or LIMIT_FIELD_VALUE_MAX) + LIMIT_PART_HEADERS_MAX bytes, whatever len
 * is, plus the fields kept. The epilogue is read and ignored.
 */
enum fields_status multipart_read(struct arena *arena, multipart_read_fn read, void *context,
                                  size_t len, const char *boundary, size_t boundary_len,
                                  size_t file_max, struct fields *out, char *message);

/*
 * Appends one field per part of body to out. Preamble and epilogue are ignored; a body without
 * its closing `--boundary--` is refused as truncated. The boundary is only recognised at the
 * start of the body or after CRLF, and only when followed by "--" or CRLF (with at most
 * LIMIT_BOUNDARY_PADDING_MAX spaces before it: RFC 2046's transport padding).
 */
enum fields_status multipart_parse(struct arena *arena, const char *body, size_t len,
                                   const char *boundary, size_t boundary_len, size_t file_max,
                                   struct fields *out, char *message);

#endif
