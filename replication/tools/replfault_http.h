/*
 * replfault_http.h: replfault's HTTP/1.x request-head parser — just enough of RFC 9112 to answer
 * benchmark clients: the request line, header syntax, Content-Length (the body is discarded),
 * Connection (keep-alive), and the X-Repl-Case / X-Repl-Attempt headers replbench sends.
 *
 * It takes pointer + length of what has arrived so far, allocates nothing, and rejects on the first
 * bad byte. The input is untrusted (any local process may connect), hence the fuzz target
 * test/fuzz/fuzz_replfault_http.c.
 */
#ifndef REPLFAULT_HTTP_H
#define REPLFAULT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REPLFAULT_HTTP_HEAD_MAX      16384         /* bytes of request line + headers + blank line */
#define REPLFAULT_HTTP_HEADERS_MAX   100           /* header lines */
#define REPLFAULT_HTTP_BODY_MAX      (1ULL << 40)  /* Content-Length accepted (read and discarded) */
#define REPLFAULT_HTTP_ATTEMPT_MAX   1000000       /* X-Repl-Attempt */

enum replfault_http_status {
	REPLFAULT_HTTP_OK = 0,
	REPLFAULT_HTTP_INCOMPLETE,       /* no blank line yet: read more */
	REPLFAULT_HTTP_BAD,              /* 400: malformed request line or header */
	REPLFAULT_HTTP_TOO_LARGE,        /* 431: the head exceeds REPLFAULT_HTTP_HEAD_MAX or too many headers */
	REPLFAULT_HTTP_LENGTH_REQUIRED,  /* 411: Transfer-Encoding (chunked uploads are not taken) */
	REPLFAULT_HTTP_VERSION,          /* 505: not HTTP/1.0 or HTTP/1.1 */
};
const char *replfault_http_strerror(int status);

struct replfault_http_request {
	const char *method;          /* points into the parsed buffer */
	size_t method_len;
	const char *target;
	size_t target_len;
	unsigned minor;              /* HTTP/1.<minor>: 0 or 1 */
	size_t head_len;             /* bytes of the head, blank line included: the body starts here */
	uint64_t content_length;     /* 0 when absent */
	bool keep_alive;             /* after the answer, read the next request */
	bool head_only;              /* HEAD: answer without a body */
	bool has_case;
	uint64_t case_id;            /* X-Repl-Case */
	bool has_attempt;
	unsigned attempt;            /* X-Repl-Attempt */
};

/* Parses the request head at the start of buf[0..len). REPLFAULT_HTTP_INCOMPLETE while no blank
 * line has arrived and len < REPLFAULT_HTTP_HEAD_MAX; *req is complete only on REPLFAULT_HTTP_OK. */
enum replfault_http_status replfault_http_parse(const char *buf, size_t len, struct replfault_http_request *req);

#endif
