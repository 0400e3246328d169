/*
 * routes.c: the route table and the dispatcher (see routes.h).
 *
 * HEAD is served by the GET route of the same path; the runtime drops the body. Everything a
 * route's row promises is checked here, before its handler runs: the caller's session and role,
 * and for a state-changing method the Origin, the form and its CSRF token.
 */
#include "routes.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "app.h"
#include "arena.h"
#include "core/password.h"
#include "limits.h"
#include "package.h"
#include "request.h"
#include "response.h"
#include "store/db_accounts.h"
#include "web/admin_log.h"
#include "web/agents.h"
#include "web/auth.h"
#include "web/categories.h"
#include "web/complaints.h"
#include "web/home.h"
#include "web/metrics.h"
#include "web/nearby.h"
#include "web/ops.h"
#include "web/outbox.h"
#include "web/queue.h"
#include "web/replicas.h"
#include "web/render.h"
#include "web/set_password.h"
#include "web/unsubscribe.h"
#include "web/workflow.h"

const struct routes_entry routes_table[] = {
	{"GET", "/", ROUTES_FOR_ANYONE, home_page, 0},
	{"GET", "/healthz", ROUTES_FOR_ANYONE, ops_health, ROUTES_NO_SESSION},
	/* Anyone's route by role: its handler answers [ops] metrics_allow addresses only (404 to others). */
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
	/* The kinds core/optout.c lets an account switch off. */
	{"POST", "/account/mail", ROUTES_FOR_AT_LEAST(ACCOUNT_RESIDENT), unsubscribe_switches, 0},
	/* A new confirmation mail, within the mail budgets of /forgot. */
	{"POST", "/account/confirmation", ROUTES_FOR_AT_LEAST(ACCOUNT_RESIDENT), auth_confirm_again, 0},
	{"GET", "/complaints/new", ROUTES_FOR_AT_LEAST(ACCOUNT_RESIDENT), complaints_new_form, 0},
	{"POST", "/complaints", ROUTES_FOR_AT_LEAST(ACCOUNT_RESIDENT), complaints_file, 0},
	{"GET", "/complaints", ROUTES_FOR_AT_LEAST(ACCOUNT_RESIDENT), complaints_mine, 0},
	{"GET", "/agent", ROUTES_FOR_EXACTLY(ACCOUNT_AGENT), complaints_agent_console, 0},
	{"GET", "/agent/overdue", ROUTES_FOR_EXACTLY(ACCOUNT_AGENT), complaints_agent_overdue, 0},
	{"GET", "/admin", ROUTES_FOR_EXACTLY(ACCOUNT_ADMIN), queue_page, 0},
	/* Each selected complaint is a move of core/workflow.c's table with its own version check. */
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
	/* A link's page: the token in it is the caller's only credential (a visitor's form token). */
	{"GET", "/set-password", ROUTES_FOR_ANYONE, set_password_form, 0},
	{"POST", "/set-password", ROUTES_FOR_ANYONE, set_password_submit, 0},
	{"GET", "/reset-password", ROUTES_FOR_ANYONE, set_password_form, 0},
	{"POST", "/reset-password", ROUTES_FOR_ANYONE, set_password_submit, 0},
	{"GET", "/confirm-email", ROUTES_FOR_ANYONE, set_password_confirm_form, 0},
	{"POST", "/confirm-email", ROUTES_FOR_ANYONE, set_password_confirm, 0},
	/* A status mail's one-click link (RFC 8058): its signature is the credential, so a mail
	 * provider may post it from its own servers, without an Origin or a form token. */
	{"GET", "/unsubscribe", ROUTES_FOR_ANYONE, unsubscribe_form, 0},
	{"POST", "/unsubscribe", ROUTES_FOR_ANYONE, unsubscribe_submit, ROUTES_SIGNED_LINK},
	{"GET", "/admin/notifications", ROUTES_FOR_EXACTLY(ACCOUNT_ADMIN), outbox_failed_page, 0},
	{"POST", "/admin/notifications/{id}/retry", ROUTES_FOR_EXACTLY(ACCOUNT_ADMIN), outbox_retry, 0},
	{"GET", "/complaints/{id}", ROUTES_FOR_AT_LEAST(ACCOUNT_RESIDENT), complaints_page, 0},
	{"GET", "/complaints/{id}/photo", ROUTES_FOR_AT_LEAST(ACCOUNT_RESIDENT), complaints_photo, 0},
	{"GET", "/complaints/{id}/updates/{update_id}/photo", ROUTES_FOR_AT_LEAST(ACCOUNT_RESIDENT),
	 workflow_update_photo, 0},
	/* Who may take which change is core/workflow.c's table, judged by the handler. */
	{"POST", "/complaints/{id}/status", ROUTES_FOR_AT_LEAST(ACCOUNT_RESIDENT), workflow_change, 0},
	{"POST", "/complaints/{id}/notes", ROUTES_FOR_AT_LEAST(ACCOUNT_AGENT), workflow_note, 0},
	/* Following a nearby complaint instead of filing again: checked against the place the form gave. */
	{"POST", "/complaints/{id}/follow", ROUTES_FOR_AT_LEAST(ACCOUNT_RESIDENT), nearby_follow, 0},
};

const size_t routes_table_count = sizeof(routes_table) / sizeof(routes_table[0]);

/* Matches path against pattern; on a match, copies the "{name}" segments into call->captures
 * when capture is set. */
static bool routes_match(const char *pattern, const char *path, struct call *call, bool capture)
{
	const char *segments[CALL_CAPTURES_MAX];
	size_t lengths[CALL_CAPTURES_MAX];
	size_t captured = 0;
	while (*pattern != '\0' && *path != '\0') {
		if (pattern[0] == '{') {
			const char *pattern_end = strchr(pattern, '}');
			size_t segment = strcspn(path, "/");
			if (pattern_end == NULL || segment == 0 || captured == CALL_CAPTURES_MAX)
				return false;
			segments[captured] = path;
			lengths[captured++] = segment;
			pattern = pattern_end + 1;
			path += segment;
			continue;
		}
		if (*pattern != *path)
			return false;
		pattern++;
		path++;
	}
	if (*pattern != '\0' || *path != '\0')
		return false;
	for (size_t i = 0; capture && i < captured; i++)
		call->captures[i] = arena_strndup(call->request->arena, segments[i], lengths[i]);
	return true;
}

/* The characters a return-to path may hold: RFC 3986's unreserved ones and '/'. Anything else
 * (a backslash, '%', a control character, a query) is never followed. */
static const char routes_path_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/";

bool routes_get_path(const char *path)
{
	struct call scratch = {0};
	if (path == NULL || path[0] != '/' || path[1] == '/' || strstr(path, "/.") != NULL ||
	    strlen(path) > ROUTES_PATH_MAX || path[strspn(path, routes_path_chars)] != '\0')
		return false;
	for (size_t i = 0; i < routes_table_count; i++)
		if (strcmp(routes_table[i].method, "GET") == 0 && routes_match(routes_table[i].pattern, path, &scratch, false))
			return true;
	return false;
}

static void routes_not_allowed(struct call *call, const char *allowed)
{
	response_header(call->response, "Allow", allowed);
	render_error(call, 405, "This address does not accept that kind of request.");
}

bool routes_role_allows(const struct routes_entry *route, enum account_role role)
{
	switch (route->access) {
	case ROUTES_ANYONE:
		return true;
	case ROUTES_AT_LEAST:
		return role >= route->role;
	case ROUTES_EXACTLY:
		return role == route->role;
	}
	return false;  /* a row of no known access lets nobody in */
}

/* Sends a signed-out caller to sign in, with the page they asked for as `next` when it is one
 * that sign-in may return to (its path's characters need no escaping in a query). */
static void routes_to_signin(struct call *call)
{
	const char *path = call->request->path;
	char location[sizeof("/signin?next=") + ROUTES_PATH_MAX];
	if (routes_get_path(path))
		snprintf(location, sizeof(location), "/signin?next=%s", path);
	else
		snprintf(location, sizeof(location), "/signin");
	response_redirect(call->response, 303, location);
}

/* Whether the caller may use route: 0, or -1 with the answer written. */
static int routes_authorize(struct call *call, const struct routes_entry *route)
{
	if (route->access == ROUTES_ANYONE)
		return 0;
	if (call->session == NULL) {
		if (strcmp(route->method, "GET") == 0)
			routes_to_signin(call);
		else
			render_error(call, 403, "Please sign in first.");
		return -1;
	}
	if (!routes_role_allows(route, call->session->role)) {
		render_error(call, 403, "Your account cannot use this page.");
		return -1;
	}
	return 0;
}

/* The largest body the app reads: the upload limit and room for a form's fields; for a multipart
 * body, which is read as a stream (a photo over the limit dropped as it comes, the fields kept),
 * as much as nginx lets through (client_max_body_size = upload_max_bytes + 1M), so that the
 * filing form can say the photo was too large and keep what was typed. */
static size_t routes_body_max(const struct app *app, const struct request *request)
{
	size_t len = strcspn(request->content_type, "; \t");
	bool multipart = len == strlen("multipart/form-data") &&
	                 strncasecmp(request->content_type, "multipart/form-data", len) == 0;
	return app->config.upload_max_bytes + (multipart ? LIMIT_STREAMED_OVERHEAD : LIMIT_MULTIPART_OVERHEAD);
}

/* A state-changing request: same-origin, a readable form, the right CSRF token (a signed link's
 * route: the form only, its handler checks the signature). 0, or -1 with the answer written
 * (nothing has changed yet). */
static int routes_check_form(struct call *call, const struct routes_entry *route)
{
	static const char expired[] =
		"This form has expired or was sent from another site. Go back, reload the page and try again.";
	char message[FIELDS_MESSAGE_MAX] = "";
	bool signed_link = (route->flags & ROUTES_SIGNED_LINK) != 0;
	if (!signed_link && !auth_origin_allowed(call->request, call->app->config.origin)) {
		render_error(call, 403, "Requests from other sites are refused.");
		return -1;
	}
	/* A file part over upload_max_bytes is read and dropped, flagged in the form: its handler
	 * refuses it with the form and what was typed, rather than here with a bare error page. */
	enum fields_status status = request_read_form(call->request, routes_body_max(call->app, call->request),
	                                              call->app->config.upload_max_bytes, message);
	if (status != FIELDS_OK) {
		render_error(call, fields_http_status(status), message);
		return -1;
	}
	bool token_ok = signed_link                   ? true
	                : route->access == ROUTES_ANYONE ? auth_visitor_csrf_check(call)
	                                                 : auth_session_csrf_check(call);
	if (!token_ok) {
		render_error(call, 403, expired);
		return -1;
	}
	return 0;
}

static void routes_serve(struct call *call, const struct routes_entry *route)
{
	call->pattern = route->pattern;
	if ((route->flags & ROUTES_NO_SESSION) == 0 && auth_session_load(call) != 0)
		return;
	if (routes_authorize(call, route) != 0)
		return;
	if (strcmp(route->method, "GET") != 0 && routes_check_form(call, route) != 0)
		return;
	route->handler(call);
}

void routes_not_found(struct call *call)
{
	auth_session_load_quietly(call);   /* the 404 page shows the signed-in header too */
	render_error(call, 404, "There is no page at this address.");
}

/* Matches the request against the table and serves it: the route's handler, or 405 with Allow
 * when only other methods match, or 404. Returns the row served, NULL for none. */
static const struct routes_entry *routes_route(struct call *call)
{
	const char *method = strcmp(call->request->method, "HEAD") == 0 ? "GET" : call->request->method;
	const struct routes_entry *found = NULL;
	char allowed[64] = "";
	for (size_t i = 0; i < routes_table_count && found == NULL; i++) {
		const struct routes_entry *route = &routes_table[i];
		memset(call->captures, 0, sizeof(call->captures));
		if (!routes_match(route->pattern, call->request->path, call, true))
			continue;
		if (strcmp(route->method, method) == 0) {
			found = route;
			continue;
		}
		size_t used = strlen(allowed);
		snprintf(allowed + used, sizeof(allowed) - used, "%s%s%s", used > 0 ? ", " : "", route->method,
		         strcmp(route->method, "GET") == 0 ? ", HEAD" : "");
	}
	if (found != NULL) {
		routes_serve(call, found);
		return found;
	}
	if (allowed[0] == '\0') {
		routes_not_found(call);
		return NULL;
	}
	auth_session_load_quietly(call);   /* the 405 page shows the signed-in header too */
	routes_not_allowed(call, allowed);
	return NULL;
}

static uint64_t routes_now_us(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
}

void routes_dispatch(struct app *app, struct request *request, struct response *response)
{
	struct call call = {.app = app, .request = request, .response = response};
	const struct routes_entry *route = NULL;
	uint64_t started_us = routes_now_us();
#ifdef COMPLAINTD_TEST_HOOKS
	unsigned long long verifications = password_verify_count();
#endif
	if (request->content_length > routes_body_max(app, request)) {
		char message[160];
		snprintf(message, sizeof(message), "The upload is too large: at most %zu KiB is accepted.",
		         app->config.upload_max_bytes / 1024);
		auth_session_load_quietly(&call);   /* the page's header, signed in or not */
		render_error(&call, 413, message);
	} else {
		route = routes_route(&call);
	}
	metrics_count_request(app, route, request->method, response->status, routes_now_us() - started_us);
#ifdef COMPLAINTD_TEST_HOOKS
	/* Test builds only: how many password verifications this request ran (issue: sign-in must run
	 * exactly one on every path). */
	char count[24];
	snprintf(count, sizeof(count), "%llu", password_verify_count() - verifications);
	response_header(response, "X-Test-Password-Verifications", count);
#endif
}

void routes_error(struct app *app, struct request *request, struct response *response, int status,
                  const char *message)
{
	struct call call = {.app = app, .request = request, .response = response};
	render_error(&call, status, message);
}
