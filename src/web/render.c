/*
 * render.c: pages through the layout, error pages and JSON answers (see render.h).
 *
 * A page is rendered in two steps, the page's own template and then "layout" with the result
 * as its raw `content`: Mustache has no template inheritance, and this keeps the layout one file.
 */
#include "render.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "arena.h"
#include "core/token.h"
#include "log.h"
#include "request.h"
#include "response.h"
#include "store/db_accounts.h"
#include "view.h"
#include "web/call.h"

static const char render_fallback[] =
	"<!doctype html><meta charset=utf-8><title>Error</title><p>Something went wrong on our side. "
	"Please try again in a moment.</p>\n";

static void render_put_json(void *object)
{
	json_object_put(object);
}

/* The signed-in header: the account's name and the sign-out form's token. */
static void render_add_viewer(struct json_object *layout, const struct db_session *viewer)
{
	char signout_token[TOKEN_TEXT_SIZE];
	struct json_object *object = json_object_new_object();
	if (object == NULL)
		return;
	token_csrf_for(viewer->csrf_secret, "/signout", signout_token);
	json_object_object_add(object, "name", json_object_new_string(viewer->name));
	json_object_object_add(object, "signout_csrf", json_object_new_string(signout_token));
	json_object_object_add(object, "admin", json_object_new_boolean(viewer->role == ACCOUNT_ADMIN));
	json_object_object_add(object, "agent", json_object_new_boolean(viewer->role == ACCOUNT_AGENT));
	json_object_object_add(layout, "viewer", object);
}

const char *render_fragment(struct call *call, const char *name, struct json_object *data)
{
	char error[VIEW_MESSAGE_MAX] = "";
	char *text = NULL;
	if (view_render(call->app->view, name, data, call->response->arena, &text, NULL, error, sizeof(error)) != VIEW_OK) {
		log_error("rendering %s: %s", name, error[0] != '\0' ? error : "out of memory");
		return NULL;
	}
	return text;
}

void render_page(struct call *call, int status, const char *title, const char *name, struct json_object *data)
{
	struct app *app = call->app;
	struct response *response = call->response;
	struct arena *arena = response->arena;
	char error[VIEW_MESSAGE_MAX] = "";
	char *content = NULL;
	char *page = NULL;
	size_t page_len = 0;
	struct json_object *layout = json_object_new_object();

	if (data == NULL)
		data = json_object_new_object();
	/* The json objects are freed with the request, whichever way this ends (a hook that cannot
	 * be registered frees its object at once: then the page cannot be made). */
	bool data_held = arena_cleanup_add(arena, render_put_json, data) == 0;
	bool layout_held = arena_cleanup_add(arena, render_put_json, layout) == 0;
	if (data == NULL || layout == NULL || !data_held || !layout_held)
		goto fail;
	enum view_status rendered = view_render(app->view, name, data, arena, &content, NULL, error, sizeof(error));
	if (rendered != VIEW_OK)
		goto fail;
	json_object_object_add(layout, "title", json_object_new_string(title));
	json_object_object_add(layout, "content", json_object_new_string(content));
	if (call->session != NULL)
		render_add_viewer(layout, call->session);
	rendered = view_render(app->view, "layout", layout, arena, &page, &page_len, error, sizeof(error));
	if (rendered != VIEW_OK)
		goto fail;
	response_body(response, status, "text/html; charset=utf-8", page, page_len);
	return;
fail:
	log_error("rendering %s: %s", name, error[0] != '\0' ? error : "out of memory");
	response_body(response, 500, "text/html; charset=utf-8", render_fallback, sizeof(render_fallback) - 1);
}

void render_error(struct call *call, int status, const char *message)
{
	struct json_object *data = json_object_new_object();
	if (data != NULL) {
		json_object_object_add(data, "status", json_object_new_int(status));
		json_object_object_add(data, "reason", json_object_new_string(response_reason(status)));
		json_object_object_add(data, "message", json_object_new_string(message));
	}
	response_header(call->response, "Cache-Control", "no-store");
	render_page(call, status, response_reason(status), "error", data);
}

const char *render_time(struct call *call, const char *utc)
{
	struct tm tm = {0};
	char text[48];
	if (utc == NULL)
		return NULL;
	const char *rest = strptime(utc, "%Y-%m-%d %H:%M:%S", &tm);
	if (rest == NULL || (*rest != '\0' && *rest != '.'))
		return utc;
	/* The process's zone is [server] time_zone (TZ, set when the configuration is applied). */
	time_t at = timegm(&tm);
	struct tm local;
	if (localtime_r(&at, &local) == NULL || strftime(text, sizeof(text), "%-d %b %Y, %H:%M", &local) == 0)
		return utc;
	char *out = arena_strndup(call->request->arena, text, strlen(text));
	return out != NULL ? out : utc;
}

void render_add_map(struct call *call, struct json_object *data, const char *lat, const char *lon, bool pick)
{
	const struct config *config = &call->app->config;
	bool placed = lat != NULL && lon != NULL && lat[0] != '\0' && lon[0] != '\0';
	char center_lat[24] = "", zoom[8];
	const char *center_lon = strchr(config->map_center, ',');
	struct json_object *map = json_object_new_object();
	if (data == NULL || map == NULL || config->map_tiles[0] == '\0' || center_lon == NULL) {
		json_object_put(map);
		return;
	}
	snprintf(center_lat, sizeof(center_lat), "%.*s", (int)(center_lon - config->map_center), config->map_center);
	snprintf(zoom, sizeof(zoom), "%lld", placed ? 17LL : config->map_zoom);
	json_object_object_add(map, "tiles", json_object_new_string(config->map_tiles));
	json_object_object_add(map, "attribution", json_object_new_string(config->map_attribution));
	json_object_object_add(map, "lat", json_object_new_string(placed ? lat : center_lat));
	json_object_object_add(map, "lon", json_object_new_string(placed ? lon : center_lon + 1));
	json_object_object_add(map, "zoom", json_object_new_string(zoom));
	json_object_object_add(map, "placed", json_object_new_boolean(placed));
	json_object_object_add(map, "pick", json_object_new_boolean(pick));
	json_object_object_add(data, "map", map);
}

void render_json(struct response *response, int status, struct json_object *value)
{
	static const char unavailable[] = "{\"status\":\"error\"}";
	if (value == NULL || arena_cleanup_add(response->arena, render_put_json, value) != 0) {
		response_body(response, 500, "application/json", unavailable, sizeof(unavailable) - 1);
		return;
	}
	const char *text = json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN);
	response_header(response, "Cache-Control", "no-store");
	response_body(response, status, "application/json", text, strlen(text));
}
