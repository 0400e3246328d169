/*
 * render.h: answering with a page — a template rendered inside the site layout — or with JSON.
 *
 * Every HTML answer, error pages included, goes through here, so they all share the layout,
 * the escaping of the template engine, and the same failure path: if a template cannot be
 * rendered the user gets a plain 500 page and the log says why, never a half page.
 */
#ifndef RENDER_H
#define RENDER_H

#include <stdbool.h>

struct call;
struct json_object;
struct response;

/* Renders template `name` with data (ownership taken) inside "layout" under title, into the
 * call's response; the layout's header shows the call's session, if any. */
void render_page(struct call *call, int status, const char *title, const char *name, struct json_object *data);
/* Renders template name with data (borrowed) into the request's arena: the text, or NULL (logged;
 * the caller answers 500). A piece of a page its caller keeps (web/queue.c), given back to a page's
 * template as a raw *_html value: it went through the template's escaping when it was made. */
const char *render_fragment(struct call *call, const char *name, struct json_object *data);
/* An error page (400, 403, 404, 413, 500...) with a message the user can act on. */
void render_error(struct call *call, int status, const char *message);
/* A time the database gave (UTC, "YYYY-MM-DD HH:MM:SS[.fff]") as people in the city read it:
 * in [server] time_zone, to the minute ("5 Dec 2026, 07:13"), in the request's arena. NULL for
 * NULL; the text itself when it is not such a time. */
const char *render_time(struct call *call, const char *utc);
/* Adds the page's map to data as "map" (none when [server] map_tiles is empty): the tile server,
 * its credit, where it opens (lat, lon when given: a complaint's place; else the city's centre)
 * and whether the viewer picks the place with it (pick: the filing form). The page works without
 * it: the map is drawn by static/js/map.js over what the page already says. */
void render_add_map(struct call *call, struct json_object *data, const char *lat, const char *lon, bool pick);
/* A JSON answer (ownership of value taken), not cached. */
void render_json(struct response *response, int status, struct json_object *value);

#endif
