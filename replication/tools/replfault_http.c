/*
 * replfault_http.c: parses an HTTP/1.x request head for replfault in one pass over pointer +
 * length, validating every byte as it goes, so garbage is refused at its first bad byte rather than
 * after 16 KiB. The parser keeps no state between calls: replfault calls it again with the longer
 * buffer after each read, which costs at most REPLFAULT_HTTP_HEAD_MAX bytes per call.
 */
#include "replfault_http.h"

#include <string.h>

#define REPLFAULT_HTTP_METHOD_MAX  32
#define REPLFAULT_HTTP_NAME_MAX    256

static const char *const replfault_http_status_names[] = {
	[REPLFAULT_HTTP_OK] = "ok",
	[REPLFAULT_HTTP_INCOMPLETE] = "incomplete request head",
	[REPLFAULT_HTTP_BAD] = "malformed request",
	[REPLFAULT_HTTP_TOO_LARGE] = "request head too large",
	[REPLFAULT_HTTP_LENGTH_REQUIRED] = "transfer-encoding not supported",
	[REPLFAULT_HTTP_VERSION] = "HTTP version not supported",
};

const char *replfault_http_strerror(int status)
{
	if (status < 0 || (size_t)status >= sizeof replfault_http_status_names / sizeof replfault_http_status_names[0])
		return "unknown status";
	return replfault_http_status_names[status];
}

/* RFC 9110 tchar. */
static bool replfault_http_is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool replfault_http_is_value_byte(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static unsigned char replfault_http_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static bool replfault_http_iequal(const char *p, size_t n, const char *lower)
{
	if (n != strlen(lower))
		return false;
	for (size_t i = 0; i < n; i++)
		if (replfault_http_lower((unsigned char)p[i]) != (unsigned char)lower[i])
			return false;
	return true;
}

/* A decimal number of 1..20 digits, no sign, no spaces, at most max. */
static bool replfault_http_decimal(const char *p, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (n == 0 || n > 20)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		uint64_t d = (uint64_t)(p[i] - '0');
		if (d > max || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* Per-request header state beyond what *req holds. */
struct replfault_http_seen {
	bool content_length, conn_close, conn_keep_alive;
};

typedef enum replfault_http_status (*replfault_http_header_fn)(const char *v, size_t n, struct replfault_http_request *req,
                                                                struct replfault_http_seen *seen);

static enum replfault_http_status replfault_http_content_length(const char *v, size_t n, struct replfault_http_request *req,
                                                                struct replfault_http_seen *seen)
{
	uint64_t len;
	if (!replfault_http_decimal(v, n, REPLFAULT_HTTP_BODY_MAX, &len))
		return REPLFAULT_HTTP_BAD;
	/* Two different lengths are a request-smuggling shape: refuse rather than pick one. */
	if (seen->content_length && len != req->content_length)
		return REPLFAULT_HTTP_BAD;
	seen->content_length = true;
	req->content_length = len;
	return REPLFAULT_HTTP_OK;
}

static enum replfault_http_status replfault_http_transfer_encoding(const char *v, size_t n, struct replfault_http_request *req,
                                                                   struct replfault_http_seen *seen)
{
	(void)v, (void)n, (void)req, (void)seen;
	return REPLFAULT_HTTP_LENGTH_REQUIRED;
}

static enum replfault_http_status replfault_http_connection(const char *v, size_t n, struct replfault_http_request *req,
                                                            struct replfault_http_seen *seen)
{
	(void)req;
	size_t i = 0;
	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t start = i;
		while (i < n && v[i] != ',' && v[i] != ' ' && v[i] != '\t')
			i++;
		if (replfault_http_iequal(v + start, i - start, "close"))
			seen->conn_close = true;
		else if (replfault_http_iequal(v + start, i - start, "keep-alive"))
			seen->conn_keep_alive = true;
	}
	return REPLFAULT_HTTP_OK;
}

static enum replfault_http_status replfault_http_case(const char *v, size_t n, struct replfault_http_request *req,
                                                      struct replfault_http_seen *seen)
{
	(void)seen;
	uint64_t id;
	if (req->has_case || !replfault_http_decimal(v, n, UINT64_MAX, &id))
		return REPLFAULT_HTTP_BAD;
	req->has_case = true;
	req->case_id = id;
	return REPLFAULT_HTTP_OK;
}

static enum replfault_http_status replfault_http_attempt(const char *v, size_t n, struct replfault_http_request *req,
                                                         struct replfault_http_seen *seen)
{
	(void)seen;
	uint64_t a;
	if (req->has_attempt || !replfault_http_decimal(v, n, REPLFAULT_HTTP_ATTEMPT_MAX, &a))
		return REPLFAULT_HTTP_BAD;
	req->has_attempt = true;
	req->attempt = (unsigned)a;
	return REPLFAULT_HTTP_OK;
}

static const struct {
	const char *name;   /* lower case */
	replfault_http_header_fn fn;
} replfault_http_headers[] = {
	{"content-length", replfault_http_content_length},
	{"transfer-encoding", replfault_http_transfer_encoding},
	{"connection", replfault_http_connection},
	{"x-repl-case", replfault_http_case},
	{"x-repl-attempt", replfault_http_attempt},
};

enum replfault_http_status replfault_http_parse(const char *buf, size_t len, struct replfault_http_request *req)
{
	const unsigned char *p = (const unsigned char *)buf;
	size_t n = len < REPLFAULT_HTTP_HEAD_MAX ? len : REPLFAULT_HTTP_HEAD_MAX;
	/* Running out of bytes means "read more" until the cap, and "too large" at it. */
	enum replfault_http_status more = len >= REPLFAULT_HTTP_HEAD_MAX ? REPLFAULT_HTTP_TOO_LARGE : REPLFAULT_HTTP_INCOMPLETE;
	struct replfault_http_seen seen = {0};
	size_t i = 0, start;

	memset(req, 0, sizeof *req);

	/* method SP */
	start = i;
	while (i < n && replfault_http_is_tchar(p[i])) {
		if (++i - start > REPLFAULT_HTTP_METHOD_MAX)
			return REPLFAULT_HTTP_BAD;
	}
	if (i == n)
		return more;
	if (p[i] != ' ' || i == start)
		return REPLFAULT_HTTP_BAD;
	req->method = buf + start;
	req->method_len = i - start;
	i++;

	/* request-target SP */
	start = i;
	while (i < n && p[i] > 0x20 && p[i] < 0x7f)
		i++;
	if (i == n)
		return more;
	if (p[i] != ' ' || i == start)
		return REPLFAULT_HTTP_BAD;
	req->target = buf + start;
	req->target_len = i - start;
	i++;

	/* HTTP/1.x CRLF */
	static const char version[] = "HTTP/";
	for (size_t k = 0; k < sizeof version - 1; k++, i++) {
		if (i == n)
			return more;
		if (p[i] != (unsigned char)version[k])
			return REPLFAULT_HTTP_BAD;
	}
	static const char shape[] = "9.9\r\n";   /* 9 = any digit */
	unsigned char major = 0, minor = 0;
	for (size_t k = 0; k < sizeof shape - 1; k++, i++) {
		if (i == n)
			return more;
		if (shape[k] == '9') {
			if (p[i] < '0' || p[i] > '9')
				return REPLFAULT_HTTP_BAD;
			if (k == 0)
				major = p[i];
			else
				minor = p[i];
		} else if (p[i] != (unsigned char)shape[k]) {
			return REPLFAULT_HTTP_BAD;
		}
	}
	if (major != '1')
		return REPLFAULT_HTTP_VERSION;
	/* A higher 1.x minor is answered as 1.1 (RFC 9110 section 6.2). */
	req->minor = minor == '0' ? 0 : 1;

	/* header lines, then CRLF */
	for (unsigned headers = 0;; headers++) {
		if (i == n)
			return more;
		if (p[i] == '\r') {
			if (++i == n)
				return more;
			if (p[i] != '\n')
				return REPLFAULT_HTTP_BAD;
			i++;
			break;
		}
		if (headers == REPLFAULT_HTTP_HEADERS_MAX)
			return REPLFAULT_HTTP_TOO_LARGE;
		/* field-name ":" — a leading space (obs-fold) is refused here as a bad name byte */
		start = i;
		while (i < n && replfault_http_is_tchar(p[i])) {
			if (++i - start > REPLFAULT_HTTP_NAME_MAX)
				return REPLFAULT_HTTP_BAD;
		}
		if (i == n)
			return more;
		if (p[i] != ':' || i == start)
			return REPLFAULT_HTTP_BAD;
		const char *name = buf + start;
		size_t name_len = i - start;
		i++;
		/* OWS field-value OWS CRLF */
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		start = i;
		while (i < n && replfault_http_is_value_byte(p[i]))
			i++;
		if (i == n)
			return more;
		if (p[i] != '\r')
			return REPLFAULT_HTTP_BAD;
		size_t end = i;
		while (end > start && (p[end - 1] == ' ' || p[end - 1] == '\t'))
			end--;
		if (++i == n)
			return more;
		if (p[i] != '\n')
			return REPLFAULT_HTTP_BAD;
		i++;
		for (size_t h = 0; h < sizeof replfault_http_headers / sizeof replfault_http_headers[0]; h++) {
			if (replfault_http_iequal(name, name_len, replfault_http_headers[h].name)) {
				enum replfault_http_status st = replfault_http_headers[h].fn(buf + start, end - start, req, &seen);
				if (st != REPLFAULT_HTTP_OK)
					return st;
				break;
			}
		}
	}
	req->head_len = i;
	req->keep_alive = !seen.conn_close && (req->minor >= 1 || seen.conn_keep_alive);
	req->head_only = req->method_len == 4 && memcmp(req->method, "HEAD", 4) == 0;
	return REPLFAULT_HTTP_OK;
}
