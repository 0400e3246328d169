/*
 * test_routes.c: what each address answers, through the real route table, dispatcher and
 * templates: the landing page inside the layout, /healthz as JSON, 404 and 405 pages (with
 * Allow), HEAD served like GET, an oversized upload refused with 413 before routing, config
 * text escaped on its way into a page, the dispatcher's refusals (each with its own message, so
 * a 500 cannot pass for one), and the route table row by row.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "app.h"
#include "arena.h"
#include "fields.h"
#include "limits.h"
#include "package.h"
#include "request.h"
#include "response.h"
#include "view.h"
#include "web/admin_log.h"
#include "web/agents.h"
#include "web/auth.h"
#include "web/categories.h"
#include "web/complaints.h"
#include "web/home.h"
#include "web/metrics.h"
#include "web/ops.h"
#include "web/outbox.h"
#include "web/queue.h"
#include "web/replicas.h"
#include "web/routes.h"
#include "web/set_password.h"
#include "web/nearby.h"
#include "web/unsubscribe.h"
#include "web/workflow.h"

struct fixture {
	struct app app;
	char location[64];
	struct arena *arena;
	struct request request;
	struct response response;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -1;
	const char *srcdir = getenv("srcdir");
	char dir[1024];
	char error[VIEW_MESSAGE_MAX] = "";
	snprintf(dir, sizeof(dir), "%s/templates", srcdir != NULL ? srcdir : ".");
	f->app.view = view_new();
	f->arena = arena_create(16u << 20);
	if (f->app.view == NULL || f->arena == NULL || view_load_dir(f->app.view, dir, error, sizeof(error)) != VIEW_OK) {
		fprintf(stderr, "# loading %s: %s\n", dir, error);
		view_free(f->app.view);
		arena_destroy(f->arena);
		free(f);
		return -1;
	}
	snprintf(f->location, sizeof(f->location), "riverside-1");
	f->app.config.location = f->location;
	f->app.config.upload_max_bytes = 8u << 20;
	f->app.generation = 7;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	arena_destroy(f->arena);
	view_free(f->app.view);
	free(f);
	return 0;
}

/* Dispatches method path with extra params ("NAME=VALUE", up to 3, NULL-terminated) as the
 * runtime would. */
static void dispatch_with(struct fixture *f, const char *method, const char *uri, const char *const *extra)
{
	char method_param[64], uri_param[256];
	char *envp[6] = {method_param, uri_param, NULL, NULL, NULL, NULL};
	char message[FIELDS_MESSAGE_MAX] = "";
	snprintf(method_param, sizeof(method_param), "REQUEST_METHOD=%s", method);
	snprintf(uri_param, sizeof(uri_param), "REQUEST_URI=%s", uri);
	for (size_t i = 0; extra != NULL && i < 3 && extra[i] != NULL; i++)
		envp[2 + i] = (char *)extra[i];
	arena_reset(f->arena);
	if (request_parse(&f->request, f->arena, envp, message) != FIELDS_OK)
		fail_msg("request_parse: %s", message);
	response_init(&f->response, f->arena, false);
	routes_dispatch(&f->app, &f->request, &f->response);
}

/* Dispatches method path (with an optional CONTENT_LENGTH). */
static void dispatch(struct fixture *f, const char *method, const char *uri, const char *content_length)
{
	char length_param[64];
	const char *extra[2] = {NULL, NULL};
	if (content_length != NULL) {
		snprintf(length_param, sizeof(length_param), "CONTENT_LENGTH=%s", content_length);
		extra[0] = length_param;
	}
	dispatch_with(f, method, uri, extra);
}

static const char *header(const struct response *response, const char *name)
{
	for (size_t i = 0; i < response->header_count; i++)
		if (strcmp(response->headers[i].name, name) == 0)
			return response->headers[i].value;
	return NULL;
}

/* The body as a string (it is not NUL-terminated by contract: copy it). */
static const char *body(struct fixture *f)
{
	char *text = arena_strndup(f->arena, f->response.body != NULL ? f->response.body : "", f->response.body_len);
	assert_non_null(text);
	return text;
}

static void contains(const char *text, const char *needle)
{
	if (strstr(text, needle) == NULL)
		fail_msg("\"%s\" not found in:\n%s", needle, text);
}

/* Every HTML page is the layout around its content. */
static void assert_in_layout(const char *page, const char *title)
{
	char title_tag[128];
	snprintf(title_tag, sizeof(title_tag), "<title>%s · City Complaints</title>", title);
	contains(page, "<!doctype html>");
	contains(page, title_tag);
	contains(page, "<link rel=\"stylesheet\" href=\"/static/css/site.css\">");
	contains(page, "<main id=\"content\" tabindex=\"-1\">");
	contains(page, "<a class=\"skip-link\" href=\"#content\">Skip to the content</a>");
	contains(page, "<footer class=\"site-footer\">");
}

/* The last answer was the error page for status with message: a refusal, not a 500 that
 * happens to carry the same status class. */
static void assert_refused(struct fixture *f, int status, const char *message)
{
	if (f->response.status != status)
		fail_msg("answered %d, not %d (%s):\n%s", f->response.status, status, message, body(f));
	const char *page = body(f);
	assert_in_layout(page, response_reason(status));
	contains(page, message);
}

static void test_home(void **state)
{
	struct fixture *f = *state;
	dispatch(f, "GET", "/", NULL);
	assert_int_equal(f->response.status, 200);
	assert_string_equal(f->response.content_type, "text/html; charset=utf-8");
	const char *page = body(f);
	assert_in_layout(page, "Report a problem in your city");
	contains(page, "<h1>Report a problem in your city</h1>");
	/* Nothing internal in the footer: not this host's location name. */
	assert_null(strstr(page, "riverside-1"));
	/* The page's own content sits inside <main>, not escaped as text. */
	const char *main_open = strstr(page, "<main id=\"content\"");
	const char *heading = strstr(page, "<h1>Report a problem");
	assert_non_null(main_open);
	assert_true(heading > main_open);
	assert_null(strstr(page, "&lt;h1&gt;"));
	assert_string_equal(header(&f->response, "Cache-Control"), "no-cache");
	/* A query string does not change the route. */
	dispatch(f, "GET", "/?utm_source=x", NULL);
	assert_int_equal(f->response.status, 200);
}

static void test_healthz(void **state)
{
	struct fixture *f = *state;
	dispatch(f, "GET", "/healthz", NULL);
	assert_int_equal(f->response.status, 200);
	assert_string_equal(f->response.content_type, "application/json");
	assert_string_equal(header(&f->response, "Cache-Control"), "no-store");
	struct json_object *health = json_tokener_parse(body(f));
	assert_non_null(health);
	struct json_object *value = NULL;
	bool ok = json_object_object_get_ex(health, "status", &value) &&
	          strcmp(json_object_get_string(value), "ok") == 0 &&
	          json_object_object_get_ex(health, "version", &value) &&
	          strcmp(json_object_get_string(value), PACKAGE_VERSION) == 0 &&
	          json_object_object_get_ex(health, "pid", &value) && json_object_get_int64(value) == getpid() &&
	          json_object_object_get_ex(health, "config_generation", &value) &&
	          json_object_get_int64(value) == 7;
	json_object_put(health);
	if (!ok)
		fail_msg("unexpected /healthz answer: %s", body(f));
}

static void test_not_found(void **state)
{
	static const char *const uris[] = {"/nope", "/healthz/", "/index.html", "//", "/Healthz"};
	struct fixture *f = *state;
	for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		dispatch(f, "GET", uris[i], NULL);
		if (f->response.status != 404)
			fail_msg("%s answered %d", uris[i], f->response.status);
		assert_string_equal(f->response.content_type, "text/html; charset=utf-8");
		const char *page = body(f);
		assert_in_layout(page, "Not Found");
		contains(page, "404 · Not Found");
		contains(page, "There is no page at this address.");
		assert_string_equal(header(&f->response, "Cache-Control"), "no-store");
	}
	dispatch(f, "POST", "/nope", NULL);
	assert_refused(f, 404, "There is no page at this address.");
	assert_null(header(&f->response, "Allow"));
}

static void test_wrong_method(void **state)
{
	static const char *const methods[] = {"POST", "PUT", "DELETE", "OPTIONS", "PROPFIND"};
	struct fixture *f = *state;
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		dispatch(f, methods[i], "/", NULL);
		if (f->response.status != 405)
			fail_msg("%s / answered %d", methods[i], f->response.status);
		assert_string_equal(header(&f->response, "Allow"), "GET, HEAD");
		const char *page = body(f);
		assert_in_layout(page, "Method Not Allowed");
		contains(page, "This address does not accept that kind of request.");
	}
	dispatch(f, "POST", "/healthz", NULL);
	assert_refused(f, 405, "This address does not accept that kind of request.");
	assert_string_equal(header(&f->response, "Allow"), "GET, HEAD");
	/* Methods are case-sensitive (RFC 9110 9.1). */
	dispatch(f, "get", "/", NULL);
	assert_refused(f, 405, "This address does not accept that kind of request.");
}

static void test_head_like_get(void **state)
{
	struct fixture *f = *state;
	dispatch(f, "GET", "/", NULL);
	int status = f->response.status;
	size_t length = f->response.body_len;
	dispatch(f, "HEAD", "/", NULL);
	assert_int_equal(f->response.status, status);
	assert_string_equal(f->response.content_type, "text/html; charset=utf-8");
	/* The runtime drops the body; its length is what GET would send. */
	assert_int_equal(f->response.body_len, length);
	dispatch(f, "HEAD", "/healthz", NULL);
	assert_int_equal(f->response.status, 200);
	assert_string_equal(f->response.content_type, "application/json");
	dispatch(f, "HEAD", "/nope", NULL);
	assert_refused(f, 404, "There is no page at this address.");
}

static void test_upload_too_large(void **state)
{
	struct fixture *f = *state;
	char length[32];
	snprintf(length, sizeof(length), "%zu", f->app.config.upload_max_bytes + LIMIT_MULTIPART_OVERHEAD + 1);
	dispatch(f, "POST", "/", length);
	assert_refused(f, 413, "The upload is too large: at most 8192 KiB is accepted.");
	/* Before routing: an unknown address gets the 413 too, and a GET with a body. */
	dispatch(f, "GET", "/nope", length);
	assert_refused(f, 413, "The upload is too large: at most 8192 KiB is accepted.");
	/* Exactly at the limit goes on to routing. */
	snprintf(length, sizeof(length), "%zu", f->app.config.upload_max_bytes + LIMIT_MULTIPART_OVERHEAD);
	dispatch(f, "POST", "/", length);
	assert_refused(f, 405, "This address does not accept that kind of request.");
	/* The limit follows the configuration. */
	f->app.config.upload_max_bytes = 1024;
	dispatch(f, "POST", "/", "70000");
	assert_refused(f, 413, "The upload is too large: at most 1 KiB is accepted.");

	/* A multipart body is read as a stream (a photo over the limit dropped, the fields kept): it
	 * may go as far as nginx's cap, the limit + 1 MiB, and no further. */
	char type[] = "CONTENT_TYPE=multipart/form-data; boundary=x", length_param[64];
	const char *extra[] = {type, length_param, NULL};
	snprintf(length_param, sizeof(length_param), "CONTENT_LENGTH=%zu", (size_t)1024 + LIMIT_STREAMED_OVERHEAD);
	dispatch_with(f, "POST", "/", extra);
	assert_refused(f, 405, "This address does not accept that kind of request.");
	snprintf(length_param, sizeof(length_param), "CONTENT_LENGTH=%zu", (size_t)1024 + LIMIT_STREAMED_OVERHEAD + 1);
	dispatch_with(f, "POST", "/", extra);
	assert_refused(f, 413, "The upload is too large: at most 1 KiB is accepted.");
}

/* Sign-in and sign-up return only to exactly the path of a GET route, as it stands. */
static void test_return_to(void **state)
{
	static const char *const followed[] = {"/", "/account", "/complaints/new", "/complaints", "/complaints/42",
	                                       "/complaints/42/photo", "/agent", "/admin/unassigned"};
	static const char *const ignored[] = {
		NULL, "", "http://evil.example/complaints", "//evil.example/complaints", "/\\evil.example",
		"\\\\evil.example", "/complaints\r\nSet-Cookie: a=b", "/complaints%0d%0a", "/signout", "/password",
		"/complaints/42/status", "/complaints?x=1", "/complaints#top", "/complaints/..", "/complaints/./new",
		"/complaints/", "/nope", "complaints", "/complaints/4 2", "/complaints/<script>",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(followed) / sizeof(followed[0]); i++)
		if (!routes_get_path(followed[i]))
			fail_msg("%s is not followed", followed[i]);
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		if (routes_get_path(ignored[i]))
			fail_msg("\"%s\" is followed", ignored[i]);
}

/* The dispatcher refuses before any handler or database call: a signed-out visitor is sent to
 * sign in (GET) or refused (POST); a POST from another site is refused whatever it carries. */
static void test_guards_before_handlers(void **state)
{
	static const char foreign_message[] = "Requests from other sites are refused.";
	static const char unsupported_form[] =
		"the form must be sent as application/x-www-form-urlencoded or multipart/form-data";
	struct fixture *f = *state;
	dispatch(f, "GET", "/account", NULL);
	assert_int_equal(f->response.status, 303);
	assert_string_equal(header(&f->response, "Location"), "/signin?next=/account");

	dispatch(f, "POST", "/signout", NULL);
	assert_refused(f, 403, "Please sign in first.");

	const char *foreign[] = {"HTTP_HOST=city.example", "HTTP_ORIGIN=https://evil.example", NULL};
	dispatch_with(f, "POST", "/signin", foreign);
	assert_refused(f, 403, foreign_message);

	const char *null_origin[] = {"HTTP_HOST=city.example", "HTTP_ORIGIN=null", NULL};
	dispatch_with(f, "POST", "/signup", null_origin);
	assert_refused(f, 403, foreign_message);

	/* Its own origin passes the Origin check, and is then refused for its missing form. */
	const char *same[] = {"HTTP_HOST=city.example", "HTTP_ORIGIN=http://city.example", NULL};
	dispatch_with(f, "POST", "/signin", same);
	assert_refused(f, 415, unsupported_form);

	/* Debian's nginx passes HTTP_HOST without the port: the port comes from SERVER_PORT. */
	const char *port_same[] = {"HTTP_HOST=127.0.0.1", "SERVER_PORT=8080", "HTTP_ORIGIN=http://127.0.0.1:8080"};
	dispatch_with(f, "POST", "/signin", port_same);
	assert_refused(f, 415, unsupported_form);
	const char *port_other[] = {"HTTP_HOST=127.0.0.1", "SERVER_PORT=8080", "HTTP_ORIGIN=http://127.0.0.1:9090"};
	dispatch_with(f, "POST", "/signin", port_other);
	assert_refused(f, 403, foreign_message);
	/* A configured public origin is the only one accepted. */
	char public_origin[] = "https://complaints.example.org";
	f->app.config.origin = public_origin;
	dispatch_with(f, "POST", "/signin", same);
	assert_refused(f, 403, foreign_message);
	const char *public_same[] = {"HTTP_HOST=internal", "HTTP_ORIGIN=https://complaints.example.org", NULL};
	dispatch_with(f, "POST", "/signin", public_same);
	assert_refused(f, 415, unsupported_form);
	f->app.config.origin = NULL;

	const char *cross_site[] = {"HTTP_HOST=city.example", "HTTP_SEC_FETCH_SITE=cross-site", NULL};
	dispatch_with(f, "POST", "/signin", cross_site);
	assert_refused(f, 403, foreign_message);

	/* A signed link's route (one-click unsubscribe, posted by a mail provider's servers): neither
	 * a foreign Origin nor a cross-site fetch stops it before its form is read. */
	dispatch_with(f, "POST", "/unsubscribe", foreign);
	assert_refused(f, 415, unsupported_form);
	dispatch_with(f, "POST", "/unsubscribe", cross_site);
	assert_refused(f, 415, unsupported_form);
	/* The switches of /account are a form like the others. */
	dispatch_with(f, "POST", "/account/mail", foreign);
	assert_refused(f, 403, "Please sign in first.");
}

/* Roles are ordered: a row's least role lets every role after it in; an exact role only itself. */
static void test_role_rows(void **state)
{
	static const struct {
		struct routes_entry row;
		bool resident, agent, admin;
	} cases[] = {
		{{"GET", "/x", ROUTES_FOR_ANYONE, NULL, 0}, true, true, true},
		{{"GET", "/x", ROUTES_FOR_AT_LEAST(ACCOUNT_RESIDENT), NULL, 0}, true, true, true},
		{{"GET", "/x", ROUTES_FOR_AT_LEAST(ACCOUNT_AGENT), NULL, 0}, false, true, true},
		{{"GET", "/x", ROUTES_FOR_AT_LEAST(ACCOUNT_ADMIN), NULL, 0}, false, false, true},
		{{"GET", "/x", ROUTES_FOR_EXACTLY(ACCOUNT_RESIDENT), NULL, 0}, true, false, false},
		{{"GET", "/x", ROUTES_FOR_EXACTLY(ACCOUNT_AGENT), NULL, 0}, false, true, false},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (routes_role_allows(&cases[i].row, ACCOUNT_RESIDENT) != cases[i].resident ||
		    routes_role_allows(&cases[i].row, ACCOUNT_AGENT) != cases[i].agent ||
		    routes_role_allows(&cases[i].row, ACCOUNT_ADMIN) != cases[i].admin)
			fail_msg("case %zu: the roles let in are not the expected ones", i);
	}
}

/* The table row by row: a route added, dropped or given another role, flag or handler shows
 * here by name. */
static void test_table_rows(void **state)
{
	static const struct routes_entry expected[] = {
		{"GET", "/", ROUTES_FOR_ANYONE, home_page, 0},
		{"GET", "/healthz", ROUTES_FOR_ANYONE, ops_health, ROUTES_NO_SESSION},
		{"GET", "/metrics", ROUTES_FOR_ANYONE, metrics_page, ROUTES_NO_SESSION},
		{"GET", "/signup", ROUTES_FOR_ANYONE, auth_signup_form, 0},
		{"POST", "/signup", ROUTES_FOR_ANYONE, auth_signup, 0},
		{"GET", "/signin", ROUTES_FOR_ANYONE, auth_signin_form, 0},
		{"GET", "/forgot", ROUTES_FOR_ANYONE, auth_forgot_form, 0},
		{"POST", "/forgot", ROUTES_FOR_ANYONE, auth_forgot, 0},
		{"POST", "/signin", ROUTES_FOR_ANYONE, auth_signin, 0},
		{"POST", "/signout", ROUTES_FOR_AT_LEAST(ACCOUNT_RESIDENT), auth_signout, 0},
		{"GET", "/account", ROUTES_FOR_AT_LEAST(ACCOUNT_RESIDENT), auth_account_page, 0},
		{"POST", "/password", ROUTES_FOR_AT_LEAST(ACCOUNT_RESIDENT), auth_password_change, 0},
		{"POST", "/account/mail", ROUTES_FOR_AT_LEAST(ACCOUNT_RESIDENT), unsubscribe_switches, 0},
		{"POST", "/account/confirmation", ROUTES_FOR_AT_LEAST(ACCOUNT_RESIDENT), auth_confirm_again, 0},
		{"GET", "/complaints/new", ROUTES_FOR_AT_LEAST(ACCOUNT_RESIDENT), complaints_new_form, 0},
		{"POST", "/complaints", ROUTES_FOR_AT_LEAST(ACCOUNT_RESIDENT), complaints_file, 0},
		{"GET", "/complaints", ROUTES_FOR_AT_LEAST(ACCOUNT_RESIDENT), complaints_mine, 0},
		{"GET", "/agent", ROUTES_FOR_EXACTLY(ACCOUNT_AGENT), complaints_agent_console, 0},
		{"GET", "/agent/overdue", ROUTES_FOR_EXACTLY(ACCOUNT_AGENT), complaints_agent_overdue, 0},
		{"GET", "/admin", ROUTES_FOR_EXACTLY(ACCOUNT_ADMIN), queue_page, 0},
		{"POST", "/admin/bulk-assign", ROUTES_FOR_EXACTLY(ACCOUNT_ADMIN), queue_bulk_assign, 0},
		{"GET", "/admin/export.csv", ROUTES_FOR_EXACTLY(ACCOUNT_ADMIN), queue_export, 0},
		{"GET", "/admin/unassigned", ROUTES_FOR_EXACTLY(ACCOUNT_ADMIN), complaints_unassigned, 0},
		{"GET", "/admin/reopened", ROUTES_FOR_EXACTLY(ACCOUNT_ADMIN), complaints_reopened, 0},
		{"GET", "/admin/agents", ROUTES_FOR_EXACTLY(ACCOUNT_ADMIN), agents_page, 0},
		{"POST", "/admin/agents", ROUTES_FOR_EXACTLY(ACCOUNT_ADMIN), agents_invite, 0},
		{"POST", "/admin/agents/{id}/invite", ROUTES_FOR_EXACTLY(ACCOUNT_ADMIN), agents_invite_again, 0},
		{"POST", "/admin/agents/{id}/disable", ROUTES_FOR_EXACTLY(ACCOUNT_ADMIN), agents_disable, 0},
		{"GET", "/admin/categories", ROUTES_FOR_EXACTLY(ACCOUNT_ADMIN), categories_page, 0},
		{"POST", "/admin/categories", ROUTES_FOR_EXACTLY(ACCOUNT_ADMIN), categories_add, 0},
		{"POST", "/admin/categories/{id}", ROUTES_FOR_EXACTLY(ACCOUNT_ADMIN), categories_edit, 0},
		{"GET", "/admin/log", ROUTES_FOR_EXACTLY(ACCOUNT_ADMIN), admin_log_page, 0},
		{"GET", "/admin/replicas", ROUTES_FOR_EXACTLY(ACCOUNT_ADMIN), replicas_page, 0},
		{"GET", "/set-password", ROUTES_FOR_ANYONE, set_password_form, 0},
		{"POST", "/set-password", ROUTES_FOR_ANYONE, set_password_submit, 0},
		{"GET", "/reset-password", ROUTES_FOR_ANYONE, set_password_form, 0},
		{"POST", "/reset-password", ROUTES_FOR_ANYONE, set_password_submit, 0},
		{"GET", "/confirm-email", ROUTES_FOR_ANYONE, set_password_confirm_form, 0},
		{"POST", "/confirm-email", ROUTES_FOR_ANYONE, set_password_confirm, 0},
		{"GET", "/unsubscribe", ROUTES_FOR_ANYONE, unsubscribe_form, 0},
		{"POST", "/unsubscribe", ROUTES_FOR_ANYONE, unsubscribe_submit, ROUTES_SIGNED_LINK},
		{"GET", "/admin/notifications", ROUTES_FOR_EXACTLY(ACCOUNT_ADMIN), outbox_failed_page, 0},
		{"POST", "/admin/notifications/{id}/retry", ROUTES_FOR_EXACTLY(ACCOUNT_ADMIN), outbox_retry, 0},
		{"GET", "/complaints/{id}", ROUTES_FOR_AT_LEAST(ACCOUNT_RESIDENT), complaints_page, 0},
		{"GET", "/complaints/{id}/photo", ROUTES_FOR_AT_LEAST(ACCOUNT_RESIDENT), complaints_photo, 0},
		{"GET", "/complaints/{id}/updates/{update_id}/photo", ROUTES_FOR_AT_LEAST(ACCOUNT_RESIDENT),
		 workflow_update_photo, 0},
		{"POST", "/complaints/{id}/status", ROUTES_FOR_AT_LEAST(ACCOUNT_RESIDENT), workflow_change, 0},
		{"POST", "/complaints/{id}/notes", ROUTES_FOR_AT_LEAST(ACCOUNT_AGENT), workflow_note, 0},
		{"POST", "/complaints/{id}/follow", ROUTES_FOR_AT_LEAST(ACCOUNT_RESIDENT), nearby_follow, 0},
	};
	size_t expected_count = sizeof(expected) / sizeof(expected[0]);
	(void)state;
	for (size_t i = 0; i < expected_count || i < routes_table_count; i++) {
		if (i >= routes_table_count)
			fail_msg("row %zu: %s %s is missing", i, expected[i].method, expected[i].pattern);
		const struct routes_entry *row = &routes_table[i];
		if (i >= expected_count)
			fail_msg("row %zu: %s %s is not expected", i, row->method, row->pattern);
		if (strcmp(row->method, expected[i].method) != 0 || strcmp(row->pattern, expected[i].pattern) != 0 ||
		    row->access != expected[i].access || row->role != expected[i].role || row->handler != expected[i].handler || row->flags != expected[i].flags)
			fail_msg("row %zu: %s %s differs from the expected %s %s", i, row->method, row->pattern,
			         expected[i].method, expected[i].pattern);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_home, setup, teardown),
		cmocka_unit_test_setup_teardown(test_healthz, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_method, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_like_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upload_too_large, setup, teardown),
		cmocka_unit_test(test_return_to),
		cmocka_unit_test_setup_teardown(test_guards_before_handlers, setup, teardown),
		cmocka_unit_test(test_role_rows),
		cmocka_unit_test(test_table_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
