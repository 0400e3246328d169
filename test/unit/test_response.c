/*
 * test_response.c: the exact bytes a response goes out as, the headers and cookies a handler
 * cannot get wrong (no header splitting, HttpOnly and SameSite by default, Secure over HTTPS),
 * redirects that cannot leave the site, and a failed write reported.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arena_fixture.h"
#include "arena.h"
#include "response.h"

#define TEST_OUT_MAX 8192

struct fixture {
	struct arena *arena;
	struct response response;
	char out[TEST_OUT_MAX];
	size_t out_len;
	int writes;
	int fail_at;  /* the write call (1-based) that fails; 0 = none */
};

static int setup(void **state)
{
	struct fixture *f = arena_fixture_new(state, sizeof(*f), offsetof(struct fixture, arena), 1u << 20);
	if (f == NULL)
		return -1;
	response_init(&f->response, f->arena, false);
	return 0;
}

static int teardown(void **state)
{
	arena_fixture_free(state, offsetof(struct fixture, arena));
	return 0;
}

static int capture(void *context, const char *data, size_t len)
{
	struct fixture *f = context;
	f->writes++;
	if (f->writes == f->fail_at)
		return -1;
	if (len > TEST_OUT_MAX - 1 - f->out_len)
		return -1;
	memcpy(f->out + f->out_len, data, len);
	f->out_len += len;
	f->out[f->out_len] = '\0';
	return 0;
}

static enum response_status serialise(struct fixture *f, bool head_only)
{
	f->out_len = 0;
	f->out[0] = '\0';
	f->writes = 0;
	return response_send(&f->response, head_only, capture, f);
}

/* The value of the i-th header set. */
static const char *header_value(const struct response *response, size_t i)
{
	assert_true(i < response->header_count);
	return response->headers[i].value;
}

static void test_simple_page_bytes(void **state)
{
	struct fixture *f = *state;
	static const char body[] = "<p>hello</p>\n";
	assert_int_equal(response_header(&f->response, "Cache-Control", "no-cache"), RESPONSE_OK);
	assert_int_equal(response_header(&f->response, "X-Frame-Options", "DENY"), RESPONSE_OK);
	response_body(&f->response, 200, "text/html; charset=utf-8", body, sizeof(body) - 1);
	assert_int_equal(serialise(f, false), RESPONSE_OK);
	assert_string_equal(f->out,
	                    "Status: 200 OK\r\n"
	                    "Content-Type: text/html; charset=utf-8\r\n"
	                    "Content-Length: 13\r\n"
	                    "Cache-Control: no-cache\r\n"
	                    "X-Frame-Options: DENY\r\n"
	                    "\r\n"
	                    "<p>hello</p>\n");
}

static void test_head_keeps_length_drops_body(void **state)
{
	struct fixture *f = *state;
	static const char body[] = "{\"status\":\"ok\"}";
	response_body(&f->response, 404, "application/json", body, sizeof(body) - 1);
	assert_int_equal(serialise(f, true), RESPONSE_OK);
	assert_string_equal(f->out,
	                    "Status: 404 Not Found\r\n"
	                    "Content-Type: application/json\r\n"
	                    "Content-Length: 15\r\n"
	                    "\r\n");
}

static void test_body_with_nul_bytes_and_no_type(void **state)
{
	struct fixture *f = *state;
	response_body(&f->response, 200, NULL, "a\0b", 3);
	assert_int_equal(serialise(f, false), RESPONSE_OK);
	static const char expected[] = "Status: 200 OK\r\nContent-Length: 3\r\n\r\na\0b";
	assert_int_equal(f->out_len, sizeof(expected) - 1);
	assert_memory_equal(f->out, expected, sizeof(expected) - 1);
}

/* Writes "chunk N\n" three times, or stops after the first when its context says so. */
static int stream_three(void *context, response_write_fn write, void *write_context)
{
	const bool *stop = context;
	for (int i = 1; i <= 3; i++) {
		char line[16];
		int n = snprintf(line, sizeof(line), "chunk %d\n", i);
		if (write(write_context, line, (size_t)n) != 0 || (*stop && i == 1))
			return -1;
	}
	return 0;
}

static void test_streamed_body_after_the_headers_without_length(void **state)
{
	struct fixture *f = *state;
	static bool stop = false;
	response_stream(&f->response, 200, "text/csv", stream_three, &stop);
	assert_int_equal(serialise(f, false), RESPONSE_OK);
	assert_string_equal(f->out, "Status: 200 OK\r\nContent-Type: text/csv\r\n\r\nchunk 1\nchunk 2\nchunk 3\n");
	assert_int_equal(serialise(f, true), RESPONSE_OK);
	assert_string_equal(f->out, "Status: 200 OK\r\nContent-Type: text/csv\r\n\r\n");
	stop = true;
	assert_int_equal(serialise(f, false), RESPONSE_WRITE_FAILED);
	assert_string_equal(f->out, "Status: 200 OK\r\nContent-Type: text/csv\r\n\r\nchunk 1\n");
}

static void test_reasons(void **state)
{
	(void)state;
	assert_string_equal(response_reason(303), "See Other");
	assert_string_equal(response_reason(413), "Content Too Large");
	assert_string_equal(response_reason(415), "Unsupported Media Type");
	assert_string_equal(response_reason(418), "Unknown");
	assert_string_equal(response_strerror(RESPONSE_WRITE_FAILED), "write to the web server failed");
	assert_string_equal(response_strerror((enum response_status)99), "unknown error");
}

static void test_many_headers_kept_in_order(void **state)
{
	struct fixture *f = *state;
	char name[16];
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "X-H%d", i);
		assert_int_equal(response_header(&f->response, name, name + 2), RESPONSE_OK);
	}
	assert_int_equal(f->response.header_count, 40);
	assert_int_equal(serialise(f, false), RESPONSE_OK);
	const char *at = f->out;
	for (int i = 0; i < 40; i++) {
		char line[64];
		snprintf(line, sizeof(line), "\r\nX-H%d: H%d\r\n", i, i);
		const char *found = strstr(at, line);
		if (found == NULL)
			fail_msg("header %d missing or out of order in:\n%s", i, f->out);
		at = found + 1;
	}
}

static void test_header_injection_refused(void **state)
{
	static const struct {
		const char *name;
		const char *value;
	} bad[] = {
		{"X-A", "1\r\nSet-Cookie: sid=stolen"},
		{"X-A", "1\nLocation: //evil.example"},
		{"X-A", "1\r"},
		{"X-A", "\x7f"},
		{"X-A", "bell\x07"},
		{"X-A\r\nSet-Cookie", "x"},
		{"X A", "1"},
		{"X-A:", "1"},
		{"", "1"},
		{"X-\xc3\xa9", "1"},
	};
	struct fixture *f = *state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (response_header(&f->response, bad[i].name, bad[i].value) != RESPONSE_BAD_HEADER)
			fail_msg("header %zu was accepted", i);
	assert_int_equal(f->response.header_count, 0);
	/* Tab, obs-text and an empty value are allowed. */
	assert_int_equal(response_header(&f->response, "X-A", "a\tb"), RESPONSE_OK);
	assert_int_equal(response_header(&f->response, "X-B", "caf\xc3\xa9"), RESPONSE_OK);
	assert_int_equal(response_header(&f->response, "X-C", ""), RESPONSE_OK);
	assert_int_equal(serialise(f, true), RESPONSE_OK);
	assert_null(strstr(f->out, "Set-Cookie"));
}

static void test_header_strings_copied(void **state)
{
	struct fixture *f = *state;
	char value[] = "first";
	assert_int_equal(response_header(&f->response, "X-A", value), RESPONSE_OK);
	memcpy(value, "later", 5);
	assert_string_equal(header_value(&f->response, 0), "first");
}

static void test_cookie_defaults(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(response_cookie(&f->response, "sid", "abc123", NULL), RESPONSE_OK);
	assert_int_equal(f->response.header_count, 1);
	assert_string_equal(f->response.headers[0].name, "Set-Cookie");
	assert_string_equal(header_value(&f->response, 0), "sid=abc123; Path=/; HttpOnly; SameSite=Lax");
}

static void test_cookie_secure_over_https(void **state)
{
	struct fixture *f = *state;
	response_init(&f->response, f->arena, true);
	assert_int_equal(response_cookie(&f->response, "sid", "abc123", NULL), RESPONSE_OK);
	assert_string_equal(header_value(&f->response, 0), "sid=abc123; Path=/; HttpOnly; Secure; SameSite=Lax");
}

static void test_cookie_options(void **state)
{
	struct fixture *f = *state;
	struct response_cookie_options options = {
		.path = "/account", .max_age = 3600, .same_site = RESPONSE_SAME_SITE_STRICT};
	assert_int_equal(response_cookie(&f->response, "sid", "v", &options), RESPONSE_OK);
	assert_string_equal(header_value(&f->response, 0), "sid=v; Path=/account; Max-Age=3600; HttpOnly; SameSite=Strict");

	/* Deleting a cookie: Max-Age=0 and an empty value. */
	options = (struct response_cookie_options){.path = NULL, .expire_now = true};
	assert_int_equal(response_cookie(&f->response, "sid", "", &options), RESPONSE_OK);
	assert_string_equal(header_value(&f->response, 1), "sid=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");

	/* SameSite=None only works with Secure, so it gets Secure even over plain HTTP. */
	options = (struct response_cookie_options){.same_site = RESPONSE_SAME_SITE_NONE};
	assert_int_equal(response_cookie(&f->response, "embed", "1", &options), RESPONSE_OK);
	assert_string_equal(header_value(&f->response, 2), "embed=1; Path=/; HttpOnly; Secure; SameSite=None");

	/* A cookie scripts may read (a CSRF token echoed by JavaScript). */
	options = (struct response_cookie_options){.script_readable = true};
	assert_int_equal(response_cookie(&f->response, "csrf", "tok", &options), RESPONSE_OK);
	assert_string_equal(header_value(&f->response, 3), "csrf=tok; Path=/; SameSite=Lax");
}

static void test_bad_cookie_refused(void **state)
{
	static const char *const values[] = {"a b", "a;b", "a,b", "\"q\"", "a\\b", "caf\xc3\xa9", "a\r\nX: y"};
	struct fixture *f = *state;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		if (response_cookie(&f->response, "sid", values[i], NULL) != RESPONSE_BAD_HEADER)
			fail_msg("cookie value \"%s\" was accepted", values[i]);
	assert_int_equal(response_cookie(&f->response, "s id", "v", NULL), RESPONSE_BAD_HEADER);
	assert_int_equal(response_cookie(&f->response, "sid=", "v", NULL), RESPONSE_BAD_HEADER);
	assert_int_equal(response_cookie(&f->response, "", "v", NULL), RESPONSE_BAD_HEADER);
	struct response_cookie_options options = {.path = "/; Domain=evil.example"};
	assert_int_equal(response_cookie(&f->response, "sid", "v", &options), RESPONSE_BAD_HEADER);
	options = (struct response_cookie_options){.path = "/\r\nX: y"};
	assert_int_equal(response_cookie(&f->response, "sid", "v", &options), RESPONSE_BAD_HEADER);
	options = (struct response_cookie_options){.same_site = (enum response_same_site)3};
	assert_int_equal(response_cookie(&f->response, "sid", "v", &options), RESPONSE_BAD_HEADER);
	assert_int_equal(f->response.header_count, 0);
}

static void test_redirect_see_other(void **state)
{
	struct fixture *f = *state;
	response_body(&f->response, 200, "text/html", "<p>old</p>", 10);
	assert_int_equal(response_redirect(&f->response, 303, "/complaints/42?created=1"), RESPONSE_OK);
	assert_int_equal(serialise(f, false), RESPONSE_OK);
	assert_string_equal(f->out,
	                    "Status: 303 See Other\r\n"
	                    "Content-Length: 0\r\n"
	                    "Location: /complaints/42?created=1\r\n"
	                    "\r\n");
}

static void test_redirect_refuses_other_sites(void **state)
{
	static const char *const locations[] = {
		"//evil.example", "/\\evil.example", "http://x", "https://evil.example/", "", "evil.example",
		"/ok\r\nSet-Cookie: sid=x", "javascript:alert(1)",
	};
	struct fixture *f = *state;
	for (size_t i = 0; i < sizeof(locations) / sizeof(locations[0]); i++)
		if (response_redirect(&f->response, 303, locations[i]) != RESPONSE_BAD_HEADER)
			fail_msg("redirect to \"%s\" was accepted", locations[i]);
	assert_int_equal(f->response.status, 200);
	assert_int_equal(f->response.header_count, 0);
}

/* Browsers delete every tab, CR and LF from a URL before parsing it (WHATWG URL standard, "remove
 * all ASCII tab or newline"), so a Location of "/<TAB>/evil.example" is followed to
 * //evil.example. */
static void test_redirect_refuses_tab_hidden_slash(void **state)
{
	static const char *const locations[] = {"/\t/evil.example", "/\t\\evil.example", "\t//evil.example"};
	struct fixture *f = *state;
	for (size_t i = 0; i < sizeof(locations) / sizeof(locations[0]); i++)
		if (response_redirect(&f->response, 303, locations[i]) != RESPONSE_BAD_HEADER)
			fail_msg("redirect to \"%s\" (a browser reads //evil.example) was accepted", locations[i]);
}

static void test_write_failure_reported(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(response_header(&f->response, "X-A", "1"), RESPONSE_OK);
	response_body(&f->response, 200, "text/plain", "body", 4);
	assert_int_equal(serialise(f, false), RESPONSE_OK);
	int total = f->writes;
	assert_true(total > 3);
	/* Whichever write fails, the caller hears of it. */
	for (int i = 1; i <= total; i++) {
		f->fail_at = i;
		if (serialise(f, false) != RESPONSE_WRITE_FAILED)
			fail_msg("a failure of write %d of %d went unreported", i, total);
		assert_int_equal(f->writes, i);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_simple_page_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_keeps_length_drops_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_body_with_nul_bytes_and_no_type, setup, teardown),
		cmocka_unit_test_setup_teardown(test_streamed_body_after_the_headers_without_length, setup, teardown),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test_setup_teardown(test_many_headers_kept_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_injection_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_strings_copied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cookie_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cookie_secure_over_https, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cookie_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_cookie_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redirect_see_other, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redirect_refuses_other_sites, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redirect_refuses_tab_hidden_slash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_failure_reported, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
