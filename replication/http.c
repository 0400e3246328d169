/*
 * http.c: librepl's HTTP transport over one libcurl multi handle (driven, and the real clock
 * kept, by curlm.c: waits are curl_multi_poll on that multi, with other transports' fds as extra
 * fds). Easy handles are kept per replica URL and reused across executions, so connections are
 * too; all of it is made lazily, i.e. after fork. Requests may be SigV4-signed by libcurl
 * (CURLOPT_AWS_SIGV4); since libcurl 7.88 signs the query string as given and does not hash an
 * upload for us, the query is built here RFC 3986-encoded then sorted by encoded name then
 * encoded value (SigV4's canonical order), and x-amz-content-sha256 is set to the body's SHA-256.
 * The request's path is used as given (already encoded by the caller). A response body over
 * response_max is read to its end and the excess dropped (response.truncated): the status, not
 * the size, classifies it.
 */
#include "curlm.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HTTP_HANDLES_MAX 96          /* idle + busy easy handles kept by one client */

struct http_handle {
	char url[sizeof ((struct repl_replica *)0)->url];
	CURL *easy;
	bool busy;
};

struct http_transport {
	struct curlm curlm;
	struct http_handle handles[HTTP_HANDLES_MAX];
};

/* One attempt's state (xfer->data). */
struct http_attempt {
	struct repl_xfer *xfer;
	struct http_handle *handle;
	struct curl_slist *headers;
	char *url;
	char *sigv4;
	size_t max;
	bool nomem;
};

static struct http_transport *from_curlm(struct curlm *m)
{
	return (struct http_transport *)((char *)m - offsetof(struct http_transport, curlm));
}

static struct http_transport *from_transport(struct repl_transport *transport)
{
	return from_curlm(curlm_from_transport(transport));
}

/* ---- the request ---- */

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/* Writes the RFC 3986 encoding of s to out (when out is not NULL); returns its length. */
static size_t encode(const char *s, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (unreserved(*p)) {
			if (out)
				out[n] = (char)*p;
			n++;
			continue;
		}
		if (out) {
			out[n] = '%';
			out[n + 1] = hex[*p >> 4];
			out[n + 2] = hex[*p & 15];
		}
		n += 3;
	}
	return n;
}

/* One query pair, encoded: SigV4 sorts these, not the raw text ("a/" encodes as "a%2F", which
 * sorts before "a." although '/' sorts after '.'). */
struct query_encoded {
	char *name;
	char *value;
};

static int query_compare(const void *a, const void *b)
{
	const struct query_encoded *x = a;
	const struct query_encoded *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->value, y->value);
}

static char *encode_dup(const char *s)
{
	char *out = malloc(encode(s, NULL) + 1);
	if (out)
		out[encode(s, out)] = '\0';
	return out;
}

/* replica URL + path + "?" + the query sorted and encoded (what SigV4 signs as given). */
static enum repl_status build_url(const char *base, const struct repl_http_request *request, char **url)
{
	enum repl_status status = REPL_OK;
	struct query_encoded *sorted = NULL;
	const char *path = request->path ? request->path : "";
	size_t len = strlen(base) + strlen(path) + 1;
	char *out = NULL;

	if (request->query_count > 0) {
		sorted = calloc(request->query_count, sizeof *sorted);
		if (!sorted) {
			status = REPL_NO_MEMORY;
			goto out;
		}
		for (size_t i = 0; i < request->query_count; i++) {
			if (!request->query[i].name || !request->query[i].value) {
				status = REPL_BAD_ARGUMENT;
				goto out;
			}
			sorted[i].name = encode_dup(request->query[i].name);
			sorted[i].value = encode_dup(request->query[i].value);
			if (!sorted[i].name || !sorted[i].value) {
				status = REPL_NO_MEMORY;
				goto out;
			}
			len += strlen(sorted[i].name) + strlen(sorted[i].value) + 2;
		}
		qsort(sorted, request->query_count, sizeof *sorted, query_compare);
	}
	out = malloc(len);
	if (!out) {
		status = REPL_NO_MEMORY;
		goto out;
	}
	size_t n = strlen(base);
	memcpy(out, base, n);
	memcpy(out + n, path, strlen(path));
	n += strlen(path);
	for (size_t i = 0; i < request->query_count; i++) {
		size_t name_len = strlen(sorted[i].name), value_len = strlen(sorted[i].value);
		out[n++] = i == 0 ? '?' : '&';
		memcpy(out + n, sorted[i].name, name_len);
		n += name_len;
		out[n++] = '=';
		memcpy(out + n, sorted[i].value, value_len);
		n += value_len;
	}
	out[n] = '\0';
	*url = out;
	out = NULL;
out:
	free(out);
	if (sorted)
		for (size_t i = 0; i < request->query_count; i++) {
			free(sorted[i].name);
			free(sorted[i].value);
		}
	free(sorted);
	return status;
}

static const char *method_of(const struct repl_http_request *request)
{
	return request->method ? request->method : "GET";
}

/* Whether the request goes out with a body (POSTFIELDS), even an empty one. */
static bool carries_body(const struct repl_http_request *request)
{
	const char *method = method_of(request);
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
		return false;
	return request->body || strcmp(method, "PUT") == 0 || strcmp(method, "POST") == 0;
}

static bool header_text_ok(const char *s)
{
	return s && !strpbrk(s, "\r\n");
}

/* An empty value is written "Name;": libcurl reads "Name:" as "remove this header" (yet signs it). */
static enum repl_status add_header(struct curl_slist **list, const char *name, const char *value)
{
	char line[REPL_HTTP_HEADER_MAX];
	int n = *value ? snprintf(line, sizeof line, "%s: %s", name, value)
	               : snprintf(line, sizeof line, "%s;", name);
	if (n < 0 || (size_t)n >= sizeof line)
		return REPL_BAD_ARGUMENT;
	struct curl_slist *grown = curl_slist_append(*list, line);
	if (!grown)
		return REPL_NO_MEMORY;
	*list = grown;
	return REPL_OK;
}

static enum repl_status build_headers(const struct repl_http_request *request, struct curl_slist **list)
{
	enum repl_status status = REPL_OK;
	bool content_type = false;
	for (size_t i = 0; i < request->header_count && status == REPL_OK; i++) {
		const struct repl_http_header *h = &request->headers[i];
		if (!header_text_ok(h->name) || !*h->name || strpbrk(h->name, ":;") || !header_text_ok(h->value))
			return REPL_BAD_ARGUMENT;
		/* libcurl 7.88's SigV4 cannot sign an empty header: "Name:" is signed but never sent,
		 * "Name;" is sent but signed under the name "name;". Refuse rather than get a 403. */
		if (request->sigv4_service && !*h->value)
			return REPL_BAD_ARGUMENT;
		if (strcasecmp(h->name, "Content-Type") == 0)
			content_type = true;
		status = add_header(list, h->name, h->value);
	}
	/* libcurl would call a raw body a form (application/x-www-form-urlencoded), and a header
	 * removal entry ("Name:") cannot be used instead: libcurl 7.88 signs it as an empty header
	 * it never sends, so the signature fails. Hence a real header. */
	if (status == REPL_OK && !content_type && carries_body(request))
		status = add_header(list, "Content-Type", "application/octet-stream");
	if (status == REPL_OK && request->sigv4_service) {
		unsigned char digest[crypto_hash_sha256_BYTES];
		char hex[crypto_hash_sha256_BYTES * 2 + 1];
		crypto_hash_sha256(digest, request->body ? request->body : (const void *)"",
		                   request->body ? request->body_len : 0);
		sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
		status = add_header(list, "x-amz-content-sha256", hex);
	}
	return status;
}

/* ---- the response ---- */

static size_t on_body(char *data, size_t size, size_t count, void *user)
{
	struct http_attempt *a = user;
	struct repl_http_response *response = &a->xfer->response;
	size_t len = size * count;
	size_t keep = len;
	/* Past the cap the rest is read and dropped: aborting would make a 2xx write (done) or a
	 * 4xx (final) look like a broken exchange, retried elsewhere. */
	if (keep > a->max - response->body_len) {
		keep = a->max - response->body_len;
		response->truncated = true;
	}
	if (keep == 0)
		return len;
	char *grown = realloc(response->body, response->body_len + keep + 1);
	if (!grown) {
		a->nomem = true;
		return 0;
	}
	memcpy(grown + response->body_len, data, keep);
	response->body = grown;
	response->body_len += keep;
	grown[response->body_len] = '\0';
	return len;
}

/* Copies a header's value (trimmed) into out when line is "name: value". */
static void header_value(const char *line, size_t len, const char *name, char *out, size_t size)
{
	size_t name_len = strlen(name);
	if (len <= name_len || line[name_len] != ':' || strncasecmp(line, name, name_len) != 0)
		return;
	const char *v = line + name_len + 1;
	const char *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	size_t n = (size_t)(end - v);
	if (n >= size)
		n = size - 1;
	memcpy(out, v, n);
	out[n] = '\0';
}

static size_t on_header(char *data, size_t size, size_t count, void *user)
{
	struct http_attempt *a = user;
	struct repl_http_response *response = &a->xfer->response;
	size_t len = size * count;
	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		/* A new response (after a 100 Continue): forget the previous one's headers. */
		response->etag[0] = '\0';
		response->content_type[0] = '\0';
		return len;
	}
	header_value(data, len, "ETag", response->etag, sizeof response->etag);
	header_value(data, len, "Content-Type", response->content_type, sizeof response->content_type);
	return len;
}

/* Everything not listed is a protocol error. */
static const struct curlm_cause code_causes[] = {
	{CURLE_OPERATION_TIMEDOUT, REPL_CAUSE_TIMEOUT},
	{CURLE_COULDNT_CONNECT, REPL_CAUSE_CONNECT},
	{CURLE_COULDNT_RESOLVE_HOST, REPL_CAUSE_CONNECT},
	{CURLE_COULDNT_RESOLVE_PROXY, REPL_CAUSE_CONNECT},
	{CURLE_RECV_ERROR, REPL_CAUSE_CONNECT},
	{CURLE_SEND_ERROR, REPL_CAUSE_CONNECT},
	{CURLE_GOT_NOTHING, REPL_CAUSE_CONNECT},
	{CURLE_SSL_CONNECT_ERROR, REPL_CAUSE_CONNECT},
};

/* ---- handles ---- */

static struct http_handle *handle_take(struct http_transport *t, const char *url)
{
	struct http_handle *spare = NULL, *idle = NULL;
	for (size_t i = 0; i < HTTP_HANDLES_MAX; i++) {
		struct http_handle *h = &t->handles[i];
		if (h->busy)
			continue;
		if (h->easy && strcmp(h->url, url) == 0) {
			h->busy = true;
			return h;
		}
		if (!h->easy && !spare)
			spare = h;
		if (h->easy && !idle)
			idle = h;
	}
	/* Prefer an empty slot; else give up another replica's idle handle. */
	struct http_handle *h = spare ? spare : idle;
	if (!h)
		return NULL;
	if (h->easy)
		curl_easy_cleanup(h->easy);
	h->easy = curl_easy_init();
	if (!h->easy)
		return NULL;
	snprintf(h->url, sizeof h->url, "%s", url);
	h->busy = true;
	return h;
}

static void attempt_free(struct http_transport *t, struct http_attempt *a)
{
	if (!a)
		return;
	if (a->handle) {
		curl_multi_remove_handle(t->curlm.multi, a->handle->easy);
		a->handle->busy = false;
	}
	curl_slist_free_all(a->headers);
	free(a->url);
	free(a->sigv4);
	free(a);
}

static enum repl_status set_options(struct http_attempt *a, const struct repl_http_request *request)
{
	CURL *e = a->handle->easy;
	CURLcode c = CURLE_OK;
	const char *method = method_of(request);

	curl_easy_reset(e);
#define SET(option, value) do { if (c == CURLE_OK) c = curl_easy_setopt(e, option, value); } while (0)
	SET(CURLOPT_URL, a->url);
	SET(CURLOPT_PRIVATE, (void *)a);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_HTTPHEADER, a->headers);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, (void *)a);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, (void *)a);
	if (strcmp(method, "GET") == 0) {
		SET(CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "HEAD") == 0) {
		SET(CURLOPT_NOBODY, 1L);
	} else {
		if (carries_body(request)) {
			SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(request->body ? request->body_len : 0));
			SET(CURLOPT_POSTFIELDS, request->body ? request->body : (const void *)"");
		}
		SET(CURLOPT_CUSTOMREQUEST, method);
	}
	if (request->sigv4_service) {
		SET(CURLOPT_AWS_SIGV4, a->sigv4);
		SET(CURLOPT_USERNAME, request->access_key);
		SET(CURLOPT_PASSWORD, request->secret_key);
	}
#undef SET
	return curlm_status(c);
}

/* ---- the transport ---- */

static enum repl_status http_start(struct repl_transport *transport, struct repl_xfer *xfer)
{
	struct http_transport *t = from_transport(transport);
	const struct repl_http_request *request = xfer->work;
	enum repl_status status = REPL_OK;
	struct http_attempt *a = calloc(1, sizeof *a);
	if (!a)
		return REPL_NO_MEMORY;
	a->xfer = xfer;
	a->max = request->response_max;

	if (request->sigv4_service) {
		if (!request->sigv4_region || !request->access_key || !request->secret_key ||
		    !header_text_ok(request->sigv4_service) || !header_text_ok(request->sigv4_region)) {
			status = REPL_BAD_ARGUMENT;
			goto out;
		}
		size_t len = strlen(request->sigv4_region) + strlen(request->sigv4_service) + 10;
		a->sigv4 = malloc(len);
		if (!a->sigv4) {
			status = REPL_NO_MEMORY;
			goto out;
		}
		snprintf(a->sigv4, len, "aws:amz:%s:%s", request->sigv4_region, request->sigv4_service);
	}
	status = build_url(xfer->replica->url, request, &a->url);
	if (status != REPL_OK)
		goto out;
	status = build_headers(request, &a->headers);
	if (status != REPL_OK)
		goto out;
	a->handle = handle_take(t, xfer->replica->url);
	if (!a->handle) {
		status = REPL_TRANSPORT;
		goto out;
	}
	status = set_options(a, request);
	if (status != REPL_OK)
		goto out;
	if (curl_multi_add_handle(t->curlm.multi, a->handle->easy) != CURLM_OK) {
		a->handle->busy = false;
		a->handle = NULL;
		status = REPL_TRANSPORT;
		goto out;
	}
	xfer->data = a;
	a = NULL;
out:
	if (a && a->handle) {
		a->handle->busy = false;
		a->handle = NULL;
	}
	attempt_free(t, a);
	return status;
}

static void http_cancel(struct repl_transport *transport, struct repl_xfer *xfer,
                        struct repl_observation *seen)
{
	(void)seen;
	attempt_free(from_transport(transport), xfer->data);
	xfer->data = NULL;
}

static struct repl_xfer *http_done(struct curlm *m, void *attempt, CURL *easy, CURLcode code,
                                    struct repl_observation *observation)
{
	struct http_attempt *a = attempt;
	struct repl_xfer *xfer = a->xfer;
	if (code == CURLE_OK) {
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &observation->http_status);
		xfer->response.status = observation->http_status;
	} else if (a->nomem) {
		observation->cause = REPL_CAUSE_OTHER;
	} else {
		observation->cause = curlm_cause_of(code_causes, sizeof code_causes / sizeof code_causes[0],
		                                    code);
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &observation->http_status);
	}
	xfer->data = NULL;
	attempt_free(from_curlm(m), a);
	return xfer;
}

static void http_free(struct repl_transport *transport)
{
	struct http_transport *t = from_transport(transport);
	for (size_t i = 0; i < HTTP_HANDLES_MAX; i++) {
		if (!t->handles[i].easy)
			continue;
		curl_multi_remove_handle(t->curlm.multi, t->handles[i].easy);
		curl_easy_cleanup(t->handles[i].easy);
	}
	curlm_cleanup(&t->curlm);
	free(t);
}

static const struct repl_transport_ops http_ops = CURLM_TRANSPORT_OPS(http_start, http_cancel, http_free);

enum repl_status repl_http_transport_new(struct repl_transport **transport, struct repl_clock **clock)
{
	if (sodium_init() < 0)
		return REPL_TRANSPORT;
	struct http_transport *t = calloc(1, sizeof *t);
	if (!t)
		return REPL_NO_MEMORY;
	enum repl_status status = curlm_init(&t->curlm, &http_ops, http_done, transport, clock);
	if (status != REPL_OK)
		free(t);
	return status;
}
