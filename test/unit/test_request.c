/*
 * test_request.c: what the web layer makes of the FastCGI params nginx sends and of a form body:
 * which requests get a decoded path, query and cookies, which are answered 400, 413 or 415, and
 * that an oversized body is refused before a byte of it is read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <cmocka.h>

#include "arena_fixture.h"
#include "arena.h"
#include "fields.h"
#include "limits.h"
#include "request.h"

#define TEST_PARAMS_MAX (LIMIT_PARAMS_MAX + 8)

/* The body as the runtime's reader would hand it out, chunk bytes at a time. */
struct reader {
	const char *data;
	size_t len;
	size_t pos;
	size_t chunk;
	int calls;
};

struct fixture {
	struct arena *arena;
	struct request request;
	char message[FIELDS_MESSAGE_MAX];
	char *envp[TEST_PARAMS_MAX + 1];
	size_t count;
	struct reader reader;
};

ARENA_FIXTURE_FUNCTIONS(64u << 20)

static ssize_t reader_read(void *context, char *buf, size_t len)
{
	struct reader *reader = context;
	reader->calls++;
	size_t n = reader->len - reader->pos;
	if (n > len)
		n = len;
	if (reader->chunk != 0 && n > reader->chunk)
		n = reader->chunk;
	memcpy(buf, reader->data + reader->pos, n);
	reader->pos += n;
	return (ssize_t)n;
}

/* Adds one "NAME=VALUE" param, copied into the arena like FCGX's envp strings. */
static void param(struct fixture *f, const char *pair)
{
	assert_true(f->count < TEST_PARAMS_MAX);
	f->envp[f->count++] = arena_strndup(f->arena, pair, strlen(pair));
	f->envp[f->count] = NULL;
}

/* "NAME=" + count copies of fill, for the caps. */
static void param_repeat(struct fixture *f, const char *name, char fill, size_t count)
{
	size_t name_len = strlen(name);
	char *pair = arena_alloc(f->arena, name_len + 1 + count + 1);
	assert_non_null(pair);
	memcpy(pair, name, name_len);
	pair[name_len] = '=';
	memset(pair + name_len + 1, fill, count);
	pair[name_len + 1 + count] = '\0';
	assert_true(f->count < TEST_PARAMS_MAX);
	f->envp[f->count++] = pair;
	f->envp[f->count] = NULL;
}

static enum fields_status parse(struct fixture *f)
{
	f->message[0] = '\0';
	return request_parse(&f->request, f->arena, f->envp, f->message);
}

/* A GET of uri as nginx's fastcgi_params would send it. */
static enum fields_status get(struct fixture *f, const char *uri)
{
	char pair[LIMIT_PARAM_VALUE_MAX + 32];
	param(f, "REQUEST_METHOD=GET");
	snprintf(pair, sizeof(pair), "REQUEST_URI=%s", uri);
	param(f, pair);
	param(f, "REMOTE_ADDR=192.0.2.7");
	return parse(f);
}

static void test_typical_get(void **state)
{
	struct fixture *f = *state;
	param(f, "QUERY_STRING=q=street+light&page=2");
	param(f, "HTTP_HOST=complaints.example");
	param(f, "HTTP_COOKIE=sid=abc123; theme=dark");
	param(f, "SERVER_PROTOCOL=HTTP/1.1");
	assert_int_equal(get(f, "/complaints/n%C3%A9w?q=street+light&page=2"), FIELDS_OK);
	assert_string_equal(f->request.method, "GET");
	assert_string_equal(f->request.path, "/complaints/n\xc3\xa9w");
	assert_string_equal(f->request.query_string, "q=street+light&page=2");
	assert_string_equal(fields_value(&f->request.query, "q"), "street light");
	assert_string_equal(fields_value(&f->request.query, "page"), "2");
	assert_string_equal(fields_value(&f->request.cookies, "sid"), "abc123");
	assert_string_equal(fields_value(&f->request.cookies, "theme"), "dark");
	assert_string_equal(f->request.host, "complaints.example");
	assert_string_equal(f->request.remote_addr, "192.0.2.7");
	assert_null(f->request.origin);
	assert_string_equal(f->request.content_type, "");
	assert_int_equal(f->request.content_length, 0);
	assert_false(f->request.https);
	assert_string_equal(request_param(&f->request, "SERVER_PROTOCOL"), "HTTP/1.1");
	assert_null(request_param(&f->request, "HTTP_REFERER"));
}

static void test_plus_is_literal_in_path(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(get(f, "/a+b%20c"), FIELDS_OK);
	assert_string_equal(f->request.path, "/a+b c");
}

static void test_document_uri_when_no_request_uri(void **state)
{
	struct fixture *f = *state;
	param(f, "REQUEST_METHOD=GET");
	param(f, "DOCUMENT_URI=/healthz");
	assert_int_equal(parse(f), FIELDS_OK);
	assert_string_equal(f->request.path, "/healthz");
}

static void test_missing_request_uri(void **state)
{
	struct fixture *f = *state;
	param(f, "REQUEST_METHOD=GET");
	param(f, "REQUEST_URI=");
	assert_int_equal(parse(f), FIELDS_BAD_SYNTAX);
	assert_int_equal(fields_http_status(FIELDS_BAD_SYNTAX), 400);
	assert_string_equal(f->message, "the web server sent no request URI");
}

static void test_bad_method(void **state)
{
	static const char *const methods[] = {
		"REQUEST_METHOD=", "REQUEST_METHOD=GE T", "REQUEST_METHOD=G(ET", "REQUEST_METHOD=GET\t",
		"REQUEST_METHOD=P\xc3\xb6ST", "REQUEST_METHOD=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL,
	};
	struct fixture *f = *state;
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		f->count = 0;
		if (methods[i] != NULL)
			param(f, methods[i]);
		param(f, "REQUEST_URI=/");
		assert_int_equal(parse(f), FIELDS_BAD_SYNTAX);
		assert_string_equal(f->message, "the request method is not valid");
	}
	/* Any token is a method; the router answers 405 to the ones it does not take. */
	f->count = 0;
	param(f, "REQUEST_METHOD=PROPFIND");
	param(f, "REQUEST_URI=/");
	assert_int_equal(parse(f), FIELDS_OK);
	assert_string_equal(f->request.method, "PROPFIND");
}

static void test_path_with_nul(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(get(f, "/photo.jpg%00.html"), FIELDS_BAD_SYNTAX);
	assert_non_null(strstr(f->message, "the request path is not valid"));
	assert_non_null(strstr(f->message, "at byte 10"));
	assert_null(f->request.path);
}

static void test_dot_segments(void **state)
{
	static const char *const uris[] = {
		"/a/../b", "/..", "/.", "/a/.", "/a/./b", "/%2e%2e/etc/passwd", "/a/%2E%2e/b", "/a/.%2e",
		"/static/%2e%2e%2fsrc", "/a/..?x=1",
	};
	struct fixture *f = *state;
	for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		f->count = 0;
		if (get(f, uris[i]) != FIELDS_BAD_SYNTAX)
			fail_msg("%s was accepted as path %s", uris[i], f->request.path);
		assert_string_equal(f->message, "the request path holds a dot segment");
	}
	/* Dots inside a segment are ordinary characters. */
	static const char *const fine[] = {"/a/..b", "/a/b..", "/.well-known/x", "/a/...", "/a..", "/a/b/c.d"};
	for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
		f->count = 0;
		assert_int_equal(get(f, fine[i]), FIELDS_OK);
		assert_string_equal(f->request.path, fine[i]);
	}
}

static void test_control_characters(void **state)
{
	static const char *const uris[] = {"/a%0d%0aSet-Cookie:x", "/a%09b", "/a%7f", "/a\tb", "/a%1b"};
	struct fixture *f = *state;
	for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		f->count = 0;
		if (get(f, uris[i]) != FIELDS_BAD_SYNTAX)
			fail_msg("%s was accepted", uris[i]);
		assert_string_equal(f->message, "the request path holds a control character");
	}
}

static void test_path_must_start_with_slash(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(get(f, "http://evil.example/"), FIELDS_BAD_SYNTAX);
	assert_string_equal(f->message, "the request path must start with /");
	f->count = 0;
	assert_int_equal(get(f, "?a=1"), FIELDS_BAD_SYNTAX);
	f->count = 0;
	assert_int_equal(get(f, "/%zz"), FIELDS_BAD_SYNTAX);
	assert_non_null(strstr(f->message, "at byte 1"));
	f->count = 0;
	assert_int_equal(get(f, "/%c3%28"), FIELDS_BAD_SYNTAX);
}

static void test_path_cap(void **state)
{
	struct fixture *f = *state;
	char uri[LIMIT_PATH_MAX + 2];
	uri[0] = '/';
	memset(uri + 1, 'p', LIMIT_PATH_MAX - 1);
	uri[LIMIT_PATH_MAX] = '\0';
	assert_int_equal(get(f, uri), FIELDS_OK);
	assert_int_equal(strlen(f->request.path), LIMIT_PATH_MAX);

	uri[LIMIT_PATH_MAX] = 'p';
	uri[LIMIT_PATH_MAX + 1] = '\0';
	f->count = 0;
	assert_int_equal(get(f, uri), FIELDS_TOO_LARGE);
	assert_int_equal(fields_http_status(FIELDS_TOO_LARGE), 413);
	assert_string_equal(f->message, "the request path is too long");
}

static void test_too_many_params(void **state)
{
	struct fixture *f = *state;
	param(f, "REQUEST_METHOD=GET");
	param(f, "REQUEST_URI=/");
	for (int i = 2; i < LIMIT_PARAMS_MAX; i++)
		param(f, "HTTP_X_FILLER=1");
	assert_int_equal(parse(f), FIELDS_OK);
	param(f, "HTTP_X_ONE_MORE=1");
	assert_int_equal(parse(f), FIELDS_TOO_MANY);
	assert_int_equal(fields_http_status(FIELDS_TOO_MANY), 413);
	assert_string_equal(f->message, "too many request headers");
}

static void test_param_value_cap(void **state)
{
	struct fixture *f = *state;
	param_repeat(f, "HTTP_X_BIG", 'v', LIMIT_PARAM_VALUE_MAX);
	assert_int_equal(get(f, "/"), FIELDS_OK);
	assert_int_equal(strlen(request_param(&f->request, "HTTP_X_BIG")), LIMIT_PARAM_VALUE_MAX);

	f->count = 0;
	param_repeat(f, "HTTP_X_BIG", 'v', LIMIT_PARAM_VALUE_MAX + 1);
	assert_int_equal(get(f, "/"), FIELDS_TOO_LARGE);
	assert_string_equal(f->message, "request header HTTP_X_BIG is too long");

	f->count = 0;
	char name[LIMIT_PARAM_NAME_MAX + 8];
	memset(name, 'N', LIMIT_PARAM_NAME_MAX + 1);
	memcpy(name + LIMIT_PARAM_NAME_MAX + 1, "=1", 3);
	param(f, name);
	assert_int_equal(get(f, "/"), FIELDS_TOO_LARGE);
	assert_string_equal(f->message, "a request header name is too long");
}

static void test_malformed_param(void **state)
{
	struct fixture *f = *state;
	param(f, "NOEQUALS");
	assert_int_equal(get(f, "/"), FIELDS_BAD_SYNTAX);
	assert_string_equal(f->message, "malformed FastCGI parameter");
	f->count = 0;
	param(f, "=value");
	assert_int_equal(get(f, "/"), FIELDS_BAD_SYNTAX);
}

static void test_content_length(void **state)
{
	static const char *const bad[] = {"12a", "-1", " 5", "5 ", "+5", "0x10", "1e3"};
	struct fixture *f = *state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char pair[64];
		f->count = 0;
		snprintf(pair, sizeof(pair), "CONTENT_LENGTH=%s", bad[i]);
		param(f, pair);
		if (get(f, "/") != FIELDS_BAD_SYNTAX)
			fail_msg("Content-Length \"%s\" was accepted", bad[i]);
		assert_string_equal(f->message, "Content-Length is not a number");
	}
	f->count = 0;
	param(f, "CONTENT_LENGTH=99999999999999999999999999");
	assert_int_equal(get(f, "/"), FIELDS_TOO_LARGE);
	assert_string_equal(f->message, "the request body is too large");

	f->count = 0;
	param(f, "CONTENT_LENGTH=8388608");
	assert_int_equal(get(f, "/"), FIELDS_OK);
	assert_int_equal(f->request.content_length, 8388608);
	f->count = 0;
	param(f, "CONTENT_LENGTH=");
	assert_int_equal(get(f, "/"), FIELDS_OK);
	assert_int_equal(f->request.content_length, 0);
}

static void test_query_error_propagated(void **state)
{
	struct fixture *f = *state;
	param(f, "QUERY_STRING=a=1&b=%zz");
	assert_int_equal(get(f, "/?a=1&b=%zz"), FIELDS_BAD_SYNTAX);
	assert_int_equal(fields_http_status(FIELDS_BAD_SYNTAX), 400);
	assert_true(f->message[0] != '\0');
	assert_string_equal(f->message, "field \"b\" at byte 6: malformed percent-escape "
	                                "('%' must be followed by two hex digits)");
}

static void test_cookies(void **state)
{
	struct fixture *f = *state;
	param(f, "HTTP_COOKIE=a=1; b=\"two\"; junk; c=");
	assert_int_equal(get(f, "/"), FIELDS_OK);
	assert_int_equal(f->request.cookies.count, 3);
	assert_string_equal(fields_value(&f->request.cookies, "a"), "1");
	assert_string_equal(fields_value(&f->request.cookies, "b"), "two");
	assert_string_equal(fields_value(&f->request.cookies, "c"), "");
	/* A header with a control byte is refused whole. */
	f->count = 0;
	param(f, "HTTP_COOKIE=a=1\x01");
	assert_int_not_equal(get(f, "/"), FIELDS_OK);
	assert_true(f->message[0] != '\0');
}

static void test_https_detection(void **state)
{
	static const struct {
		const char *pair;
		bool https;
	} cases[] = {
		{"HTTPS=on", true}, {"HTTPS=ON", true}, {"HTTPS=1", true}, {"HTTPS=off", false}, {"HTTPS=", false},
		{"REQUEST_SCHEME=https", true}, {"REQUEST_SCHEME=HTTPS", true}, {"REQUEST_SCHEME=http", false},
		{"HTTP_X_FORWARDED_PROTO=https", false},
	};
	struct fixture *f = *state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		f->count = 0;
		param(f, cases[i].pair);
		assert_int_equal(get(f, "/"), FIELDS_OK);
		if (f->request.https != cases[i].https)
			fail_msg("%s gave https=%d", cases[i].pair, f->request.https);
	}
	f->count = 0;
	param(f, "HTTP_ORIGIN=https://complaints.example");
	assert_int_equal(get(f, "/"), FIELDS_OK);
	assert_string_equal(f->request.origin, "https://complaints.example");
}

/* A POST of body with content type and length as sent, read back chunk bytes at a time. */
static enum fields_status post(struct fixture *f, const char *content_type, const char *body, size_t len,
                               size_t body_max, size_t file_max)
{
	char pair[256];
	param(f, "REQUEST_METHOD=POST");
	param(f, "REQUEST_URI=/complaints");
	snprintf(pair, sizeof(pair), "CONTENT_TYPE=%s", content_type);
	param(f, pair);
	snprintf(pair, sizeof(pair), "CONTENT_LENGTH=%zu", len);
	param(f, pair);
	assert_int_equal(parse(f), FIELDS_OK);
	f->reader = (struct reader){.data = body, .len = len, .chunk = 5};
	f->request.read = reader_read;
	f->request.read_context = &f->reader;
	return request_read_form(&f->request, body_max, file_max, f->message);
}

static void test_form_urlencoded(void **state)
{
	struct fixture *f = *state;
	static const char body[] = "kind=streetlight&description=Dead+since+Monday%21&lat=48.85";
	assert_int_equal(post(f, "application/x-www-form-urlencoded; charset=UTF-8", body, sizeof(body) - 1,
	                      1 << 20, 1 << 20),
	                 FIELDS_OK);
	assert_int_equal(f->request.form.count, 3);
	assert_string_equal(fields_value(&f->request.form, "kind"), "streetlight");
	assert_string_equal(fields_value(&f->request.form, "description"), "Dead since Monday!");
	assert_string_equal(fields_value(&f->request.form, "lat"), "48.85");
	assert_true(f->reader.calls > 1);
	assert_int_equal(f->reader.pos, sizeof(body) - 1);
}

static void test_form_urlencoded_bad_encoding(void **state)
{
	struct fixture *f = *state;
	static const char body[] = "a=%zz";
	assert_int_equal(post(f, "application/x-www-form-urlencoded", body, sizeof(body) - 1, 1 << 20, 1 << 20),
	                 FIELDS_BAD_SYNTAX);
	assert_true(f->message[0] != '\0');
}

static void test_form_multipart_with_file(void **state)
{
	struct fixture *f = *state;
	static const char body[] =
		"--XyZ\r\n"
		"Content-Disposition: form-data; name=\"title\"\r\n"
		"\r\n"
		"Water leak\r\n"
		"--XyZ\r\n"
		"Content-Disposition: form-data; name=\"photo\"; filename=\"leak.jpg\"\r\n"
		"Content-Type: image/jpeg\r\n"
		"\r\n"
		"\xff\xd8\xff\x00\x01\r\n"
		"--XyZ--\r\n";
	assert_int_equal(post(f, "multipart/form-data; boundary=XyZ", body, sizeof(body) - 1, 1 << 20, 1 << 20),
	                 FIELDS_OK);
	assert_int_equal(f->request.form.count, 2);
	assert_string_equal(fields_value(&f->request.form, "title"), "Water leak");
	const struct field *photo = fields_find(&f->request.form, "photo");
	assert_non_null(photo);
	assert_int_equal(photo->value_len, 5);
	assert_memory_equal(photo->value, "\xff\xd8\xff\x00\x01", 5);
	assert_string_equal(photo->filename, "leak.jpg");
	assert_string_equal(photo->content_type, "image/jpeg");

	/* The file part over file_max is read, dropped and flagged; the rest of the form is there. */
	f->count = 0;
	memset(&f->request, 0, sizeof(f->request));
	assert_int_equal(post(f, "multipart/form-data; boundary=XyZ", body, sizeof(body) - 1, 1 << 20, 4),
	                 FIELDS_OK);
	assert_string_equal(fields_value(&f->request.form, "title"), "Water leak");
	photo = fields_find(&f->request.form, "photo");
	assert_true(photo->over_limit);
	assert_int_equal(photo->value_len, 0);
	assert_int_equal(f->reader.pos, sizeof(body) - 1);

	/* Over body_max: refused before a byte is read. */
	f->count = 0;
	memset(&f->request, 0, sizeof(f->request));
	assert_int_equal(post(f, "multipart/form-data; boundary=XyZ", body, sizeof(body) - 1, 64, 4),
	                 FIELDS_TOO_LARGE);
	assert_int_equal(f->reader.calls, 0);
}

static void test_form_multipart_without_boundary(void **state)
{
	struct fixture *f = *state;
	static const char body[] = "--XyZ--\r\n";
	assert_int_equal(post(f, "multipart/form-data", body, sizeof(body) - 1, 1 << 20, 1 << 20), FIELDS_BAD_SYNTAX);
	assert_true(f->message[0] != '\0');
}

static void test_form_wrong_content_type(void **state)
{
	static const char *const types[] = {"text/plain", "application/json", "", "multipart/mixed; boundary=a",
	                                    "application/x-www-form-urlencodedX"};
	struct fixture *f = *state;
	static const char body[] = "a=1";
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		f->count = 0;
		if (post(f, types[i], body, 3, 1 << 20, 1 << 20) != FIELDS_UNSUPPORTED)
			fail_msg("Content-Type \"%s\" was not refused as unsupported", types[i]);
		assert_int_equal(fields_http_status(FIELDS_UNSUPPORTED), 415);
		assert_non_null(strstr(f->message, "application/x-www-form-urlencoded or multipart/form-data"));
		assert_int_equal(f->reader.calls, 0);
	}
}

static void test_form_over_body_max_not_read(void **state)
{
	struct fixture *f = *state;
	static const char body[] = "a=0123456789";
	assert_int_equal(post(f, "application/x-www-form-urlencoded", body, sizeof(body) - 1, 10, 10),
	                 FIELDS_TOO_LARGE);
	assert_int_equal(f->reader.calls, 0);
	assert_string_equal(f->message, "the request body is larger than the limit of 0 KiB");

	/* Exactly body_max is fine. */
	f->count = 0;
	assert_int_equal(post(f, "application/x-www-form-urlencoded", body, sizeof(body) - 1, sizeof(body) - 1, 10),
	                 FIELDS_OK);

	/* An urlencoded body never exceeds LIMIT_URLENCODED_BODY_MAX, whatever the route allows. */
	f->count = 0;
	char *big = arena_alloc(f->arena, LIMIT_URLENCODED_BODY_MAX + 1);
	assert_non_null(big);
	memset(big, 'a', LIMIT_URLENCODED_BODY_MAX + 1);
	assert_int_equal(post(f, "application/x-www-form-urlencoded", big, LIMIT_URLENCODED_BODY_MAX + 1, 8u << 20,
	                      8u << 20),
	                 FIELDS_TOO_LARGE);
	assert_int_equal(f->reader.calls, 0);
}

static void test_form_short_body(void **state)
{
	struct fixture *f = *state;
	static const char body[] = "a=1&b=2";
	assert_int_equal(post(f, "application/x-www-form-urlencoded", body, sizeof(body) - 1, 1 << 20, 1 << 20),
	                 FIELDS_OK);
	/* The client said 20 bytes and sent 7. */
	f->count = 0;
	param(f, "REQUEST_METHOD=POST");
	param(f, "REQUEST_URI=/complaints");
	param(f, "CONTENT_TYPE=application/x-www-form-urlencoded");
	param(f, "CONTENT_LENGTH=20");
	assert_int_equal(parse(f), FIELDS_OK);
	f->reader = (struct reader){.data = body, .len = sizeof(body) - 1};
	f->request.read = reader_read;
	f->request.read_context = &f->reader;
	assert_int_equal(request_read_form(&f->request, 1 << 20, 1 << 20, f->message), FIELDS_BAD_SYNTAX);
	assert_string_equal(f->message, "the request body ended early");
	assert_int_equal(f->request.form.count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_typical_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plus_is_literal_in_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_document_uri_when_no_request_uri, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_request_uri, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_method, setup, teardown),
		cmocka_unit_test_setup_teardown(test_path_with_nul, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dot_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_control_characters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_path_must_start_with_slash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_path_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_params, setup, teardown),
		cmocka_unit_test_setup_teardown(test_param_value_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_param, setup, teardown),
		cmocka_unit_test_setup_teardown(test_content_length, setup, teardown),
		cmocka_unit_test_setup_teardown(test_query_error_propagated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cookies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_https_detection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_form_urlencoded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_form_urlencoded_bad_encoding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_form_multipart_with_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_form_multipart_without_boundary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_form_wrong_content_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_form_over_body_max_not_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_form_short_body, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
