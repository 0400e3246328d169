/*
 * limits.h: every cap the web layer puts on input, in one place.
 *
 * Each buffer that grows from untrusted bytes gets its cap from here when it is made, so the
 * worst case of a request is readable on one screen. A request that breaks one of these is
 * refused with 413 (too large / too many) or 400 (syntax), never silently truncated. The upload
 * size itself is an operator setting (server.upload_max_bytes, bounded by LIMIT_UPLOAD_HARD_MAX).
 */
#ifndef FCGI_LIMITS_H
#define FCGI_LIMITS_H

/* FastCGI params (the CGI environment nginx sends). */
#define LIMIT_PARAMS_MAX            128      /* name=value pairs per request */
#define LIMIT_PARAM_NAME_MAX        256      /* bytes in one param name */
#define LIMIT_PARAM_VALUE_MAX       8192     /* bytes in one param value (REQUEST_URI, HTTP_COOKIE...) */
#define LIMIT_PATH_MAX              2048     /* bytes of the decoded request path */

/* Query strings and application/x-www-form-urlencoded bodies. */
#define LIMIT_FIELDS_MAX            64       /* fields in one query string, body or multipart form */
#define LIMIT_FIELD_NAME_MAX        128      /* bytes of one decoded field name */
#define LIMIT_FIELD_VALUE_MAX       65536    /* bytes of one decoded non-file value */
#define LIMIT_URLENCODED_BODY_MAX   262144   /* bytes of a whole urlencoded body */

/* Cookies. */
#define LIMIT_COOKIES_MAX           32       /* cookies in one Cookie header */
#define LIMIT_COOKIE_NAME_MAX       128
#define LIMIT_COOKIE_VALUE_MAX      4096

/* multipart/form-data. The file part's cap is the configured upload limit. */
#define LIMIT_BOUNDARY_MAX          70       /* RFC 2046 section 5.1.1 */
#define LIMIT_PART_HEADERS_MAX      4096     /* bytes of one part's header block */
#define LIMIT_PART_HEADER_LINES_MAX 8        /* header lines in one part */
#define LIMIT_FILENAME_MAX          255      /* bytes of a part's filename parameter */
#define LIMIT_UPLOAD_HARD_MAX       (64L * 1024 * 1024)  /* ceiling on server.upload_max_bytes */
#define LIMIT_MULTIPART_OVERHEAD    (64L * 1024)  /* body bytes allowed beyond the upload limit */
#define LIMIT_STREAMED_OVERHEAD     (1024L * 1024)  /* the same for a multipart body, read as a
                                                       stream with a file over its cap dropped: as
                                                       far as nginx's client_max_body_size */
#define LIMIT_BOUNDARY_PADDING_MAX  64       /* spaces a delimiter line may carry before its CRLF */

/* Per-request memory: the arena refuses to grow past this (413 / 500 before an OOM). */
#define LIMIT_ARENA_MAX             (LIMIT_UPLOAD_HARD_MAX * 2 + 8L * 1024 * 1024)

/* Configuration files. */
#define LIMIT_INI_FILE_MAX          (1024L * 1024)  /* bytes of one config file */
#define LIMIT_INI_LINE_MAX          16384           /* bytes of one line (replica lists are long) */

/* Templates. */
#define LIMIT_TEMPLATE_FILE_MAX     (256L * 1024)   /* bytes of one template file */
#define LIMIT_TEMPLATE_DEPTH        32              /* nesting of sections and partials */
#define LIMIT_TEMPLATE_OUTPUT_MAX   (4L * 1024 * 1024)  /* bytes one render may produce */
#define LIMIT_TEMPLATE_STEPS_MAX    (4L * 1024 * 1024)  /* template pieces one render may visit:
                                                           nested sections over one list can take
                                                           n^k steps while writing nothing */

#endif
