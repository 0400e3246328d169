/*
 * ops.c: health and, later, replica tables for operators (metrics: web/metrics.c).
 *
 * /healthz answers from the worker itself: its pid and configuration generation let a reload be
 * checked from outside (every worker answering must report the new generation), its location which
 * host of several behind one upstream answered.
 */
#include "ops.h"

#include <json-c/json.h>
#include <unistd.h>

#include "app.h"
#include "package.h"
#include "web/call.h"
#include "web/render.h"

void ops_health(struct call *call)
{
	struct json_object *health = json_object_new_object();
	json_object_object_add(health, "status", json_object_new_string("ok"));
	json_object_object_add(health, "version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(health, "pid", json_object_new_int64((int64_t)getpid()));
	json_object_object_add(health, "config_generation", json_object_new_int64(call->app->generation));
	/* Which host answered, behind an upstream of several. */
	json_object_object_add(health, "location", json_object_new_string(call->app->config.location));
	render_json(call->response, 200, health);
}
