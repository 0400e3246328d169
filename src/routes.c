/*
 * routes.c: the route table and the dispatcher (see routes.h).
 *
 * HEAD is served by the GET route of the same path; the runtime drops the body.
 */
#include "routes.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "arena.h"
#include "home.h"
#include "limits.h"
#include "ops.h"
#include "render.h"
#include "request.h"
#include "response.h"

const struct routes_entry routes_table[] = {
	{"GET", "/", ROLE_ANYONE, home_page},
	{"GET", "/healthz", ROLE_ANYONE, ops_health},
};

const size_t routes_table_count = sizeof(routes_table) / sizeof(routes_table[0]);

/* Matches path against pattern; on a match, copies the "{name}" segments into call->captures. */
static bool routes_match(const char *pattern, const char *path, struct routes_call *call)
{
	const char *segments[ROUTES_CAPTURES_MAX];
	size_t lengths[ROUTES_CAPTURES_MAX];
	size_t captured = 0;
	while (*pattern != '\0' && *path != '\0') {
		if (pattern[0] == '{') {
			const char *pattern_end = strchr(pattern, '}');
			size_t segment = strcspn(path, "/");
			if (pattern_end == NULL || segment == 0 || captured == ROUTES_CAPTURES_MAX)
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
	for (size_t i = 0; i < captured; i++)
		call->captures[i] = arena_strndup(call->request->arena, segments[i], lengths[i]);
	return true;
}

static void routes_not_allowed(struct routes_call *call, const char *allowed)
{
	response_header(call->response, "Allow", allowed);
	render_error(call->app, call->response, 405, "This address does not accept that kind of request.");
}

void routes_dispatch(struct app *app, struct request *request, struct response *response)
{
	struct routes_call call = {.app = app, .request = request, .response = response};
	size_t body_max = app->config.upload_max_bytes + LIMIT_MULTIPART_OVERHEAD;
	if (request->content_length > body_max) {
		char message[160];
		snprintf(message, sizeof(message), "The upload is too large: at most %zu KiB is accepted.",
		         app->config.upload_max_bytes / 1024);
		render_error(app, response, 413, message);
		return;
	}
	const char *method = strcmp(request->method, "HEAD") == 0 ? "GET" : request->method;
	char allowed[64] = "";
	for (size_t i = 0; i < routes_table_count; i++) {
		const struct routes_entry *route = &routes_table[i];
		memset(call.captures, 0, sizeof(call.captures));
		if (!routes_match(route->pattern, request->path, &call))
			continue;
		if (strcmp(route->method, method) != 0) {
			size_t used = strlen(allowed);
			snprintf(allowed + used, sizeof(allowed) - used, "%s%s%s", used > 0 ? ", " : "", route->method,
			         strcmp(route->method, "GET") == 0 ? ", HEAD" : "");
			continue;
		}
		route->handler(&call);
		return;
	}
	if (allowed[0] != '\0')
		routes_not_allowed(&call, allowed);
	else
		render_error(app, response, 404, "There is no page at this address.");
}
