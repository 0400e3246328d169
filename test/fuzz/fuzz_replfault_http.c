/*
 * fuzz_replfault_http.c: libFuzzer target for replfault_http_parse, the request-head parser of
 * replfault (anything on the machine may connect to it).
 *
 * The input is the bytes received so far on a connection. Beyond memory safety it checks what
 * replfault relies on: an accepted head ends in a blank line inside the input and under the cap,
 * its method and target point inside it, the numbers are within their caps; the parser never asks
 * for more bytes once the cap is reached; and parsing is prefix-consistent — a shorter read of an
 * accepted head is "incomplete", never a different verdict, and trailing bytes (a body, a
 * pipelined request) do not change it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "replfault_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct replfault_http_request req, again;
	enum replfault_http_status st = replfault_http_parse(buf, size, &req);

	if (st > REPLFAULT_HTTP_VERSION)
		abort();
	if (st == REPLFAULT_HTTP_INCOMPLETE && size >= REPLFAULT_HTTP_HEAD_MAX)
		abort();
	if (replfault_http_strerror(st) == NULL)
		abort();
	if (st != REPLFAULT_HTTP_OK)
		return 0;

	size_t h = req.head_len;
	if (h < 16 || h > size || h > REPLFAULT_HTTP_HEAD_MAX || memcmp(buf + h - 4, "\r\n\r\n", 4) != 0)
		abort();
	if (req.method != buf || req.method_len == 0 || req.target != buf + req.method_len + 1 ||
	    req.target + req.target_len > buf + h || req.target_len == 0)
		abort();
	if (req.minor > 1 || req.content_length > REPLFAULT_HTTP_BODY_MAX || req.attempt > REPLFAULT_HTTP_ATTEMPT_MAX)
		abort();
	if ((!req.has_case && req.case_id) || (!req.has_attempt && req.attempt))
		abort();

	/* The head alone parses the same. */
	if (replfault_http_parse(buf, h, &again) != REPLFAULT_HTTP_OK || again.head_len != h ||
	    again.content_length != req.content_length || again.keep_alive != req.keep_alive ||
	    again.case_id != req.case_id || again.attempt != req.attempt)
		abort();
	/* Shorter reads only ever ask for more. */
	size_t cuts[] = {h - 1, h - 2, h / 2, req.method_len + 1};
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++)
		if (replfault_http_parse(buf, cuts[i], &again) != REPLFAULT_HTTP_INCOMPLETE)
			abort();
	return 0;
}
