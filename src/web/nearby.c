/*
 * nearby.c: complaints near a place on the pages (see nearby.h).
 *
 * Complaints are private to their reporter, so what a resident sees of someone else's is the
 * restricted form only: category, status, age in days and a distance rounded to 10 m — never a
 * description, photo, address or reporter. Each lookup and each follow counts against the
 * account's budget (core/nearby.c): over it, 429 and nothing is looked up. A follow names the
 * place the form gave and is checked again against it, so it reveals nothing a lookup would not.
 *
 * The filing form checks without JavaScript: its "Check for similar complaints" button posts the
 * form with its step field, and the page comes back with what was typed and the suggestions. One
 * server-rendered path serves every browser, and there is no second (JSON) endpoint to authorize
 * and budget; the price is a round trip and a photo to attach again when one was chosen before.
 */
#include "web/nearby.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "arena.h"
#include "core/nearby.h"
#include "core/text.h"
#include "core/workflow.h"
#include "fields.h"
#include "log.h"
#include "request.h"
#include "response.h"
#include "store/db_accounts.h"
#include "store/db_complaints.h"
#include "store/db_nearby.h"
#include "web/auth.h"
#include "web/call.h"
#include "web/complaints.h"
#include "web/render.h"

static const char nearby_too_often[] =
	"You have looked for similar complaints many times in the last hour, so this was not looked up. Please "
	"file your complaint, or try again later.";

/* "today", "1 day ago", "12 days ago" (arena). */
static const char *nearby_age(struct call *call, int64_t days)
{
	char *text = arena_alloc(call->request->arena, 32);
	if (text == NULL)
		return "";
	if (days <= 0)
		snprintf(text, 32, "today");
	else
		snprintf(text, 32, "%lld day%s ago", (long long)days, days == 1 ? "" : "s");
	return text;
}

/* The restricted form's fields of one complaint, into item. */
static void nearby_restricted(struct call *call, struct json_object *item, int64_t id, const char *category,
                              const char *status, int64_t age_days, int64_t distance_m)
{
	json_object_object_add(item, "other_id", json_object_new_int64(id));
	complaints_add_string(item, "category", category);
	complaints_add_string(item, "status", status);
	complaints_add_string(item, "status_label", complaints_label(status));
	complaints_add_string(item, "age", nearby_age(call, age_days));
	if (distance_m >= 0)
		json_object_object_add(item, "distance_m", json_object_new_int64(distance_m));
}

/* One lookup of the budget: 0, or the status to answer with. */
static int nearby_spend(struct call *call)
{
	int64_t lookups = 0;
	if (db_nearby_count_lookup(call->app->db, call->request->arena, call->session, &lookups) != DB_OK)
		return 503;
	if (!nearby_allowed(lookups)) {
		log_info("nearby: account %lld over its lookup budget (%lld this window)",
		         (long long)call->session->account_id, (long long)lookups);
		return 429;
	}
	return 0;
}

int nearby_suggest(struct call *call, const char *category, const char *lat, const char *lon,
                   struct json_object **nearby)
{
	struct db_nearby found[NEARBY_MAX];
	size_t count = 0;
	struct json_object *out = json_object_new_object();
	*nearby = out;
	if (out == NULL)
		return 503;
	if (lat == NULL || lon == NULL) {
		complaints_add_string(out, "none", "Give the place's position (on the map, or its latitude and longitude) "
		                                   "to see complaints near it.");
		return 200;
	}
	int status = nearby_spend(call);
	if (status != 0) {
		complaints_add_string(out, "none", status == 429 ? nearby_too_often
		                                                 : "Similar complaints cannot be looked up right now.");
		return status;
	}
	if (db_nearby_by_category(call->app->db, call->request->arena, call->session, category, lat, lon, found,
	                          NEARBY_MAX, &count) != DB_OK) {
		complaints_add_string(out, "none", "Similar complaints cannot be looked up right now.");
		return 503;
	}
	struct json_object *list = json_object_new_array();
	for (size_t i = 0; list != NULL && i < count; i++) {
		struct json_object *item = json_object_new_object();
		nearby_restricted(call, item, found[i].id, found[i].category, found[i].status, found[i].age_days,
		                  nearby_round(found[i].distance_m));
		json_object_array_add(list, item);
	}
	json_object_object_add(out, "similar", list);
	json_object_object_add(out, "has_similar", json_object_new_boolean(count > 0));
	if (count == 0)
		complaints_add_string(out, "none", "No open complaint of this kind was filed within 100 m in the last 30 "
		                                   "days: please file yours.");
	complaints_add_string(out, "follow_csrf", auth_session_csrf_token(call, "/complaints/{id}/follow"));
	complaints_add_string(out, "category_code", category);
	complaints_add_string(out, "lat", lat);
	complaints_add_string(out, "lon", lon);
	return 200;
}

/* A form field trimmed, "" when absent. */
static const char *nearby_field(struct call *call, const char *name)
{
	return text_trimmed(call->request->arena, fields_value(&call->request->form, name));
}

void nearby_follow(struct call *call)
{
	struct db_nearby found[NEARBY_MAX];
	size_t count = 0;
	int64_t id = complaints_id(call->captures[0]);
	const char *category = nearby_field(call, "category");
	const char *lat = nearby_field(call, "lat");
	const char *lon = nearby_field(call, "lon");
	if (id == 0 || category[0] == '\0' || lat[0] == '\0' || lon[0] == '\0') {
		render_error(call, 422, "Following needs the complaint and the place and category your form gave.");
		return;
	}
	int status = nearby_spend(call);
	if (status != 0) {
		render_error(call, status, status == 429 ? nearby_too_often
		                                         : "The service cannot reach its database right now. Please try again.");
		return;
	}
	enum db_status read = db_nearby_by_category(call->app->db, call->request->arena, call->session, category, lat, lon,
	                                            found, NEARBY_MAX, &count);
	if (read != DB_OK && read != DB_NOT_FOUND) {
		render_error(call, 503, "The service cannot reach its database right now. Please try again.");
		return;
	}
	size_t i = 0;
	while (i < count && found[i].id != id)
		i++;
	if (i == count) {
		render_error(call, 404, "There is no open complaint of that kind with this number near the place you gave.");
		return;
	}
	if (db_nearby_follow(call->app->db, call->session, id, nearby_round(found[i].distance_m)) != DB_OK) {
		render_error(call, 503, "The service cannot reach its database right now, and nothing was changed.");
		return;
	}
	log_info("nearby: account %lld follows complaint %lld", (long long)call->session->account_id, (long long)id);
	response_redirect(call->response, 303, "/complaints?followed=1");
}

bool nearby_glimpse_page(struct call *call, int64_t id)
{
	struct db_glimpse glimpse;
	enum db_status status = db_nearby_glimpse(call->app->db, call->request->arena, call->session, id, &glimpse);
	if (status != DB_OK)
		return false;
	struct json_object *data = json_object_new_object();
	if (data == NULL)
		return false;
	nearby_restricted(call, data, glimpse.id, glimpse.category, glimpse.status, glimpse.age_days,
	                  glimpse.distance_m);
	json_object_object_add(data, "followed", json_object_new_boolean(glimpse.followed));
	response_header(call->response, "Cache-Control", "no-store");
	render_page(call, 200, glimpse.category, "complaint_glimpse", data);
	return true;
}

void nearby_add_full(struct call *call, const struct db_complaint *complaint, struct json_object *data)
{
	struct db_nearby found[NEARBY_MAX];
	size_t count = 0;
	enum workflow_state state;
	const struct workflow_transition *row = NULL;
	char reason[48];
	if (data == NULL || call->session->role != ACCOUNT_ADMIN || complaint->lat == NULL ||
	    !workflow_state_parse(complaint->status, &state))
		return;
	if (db_nearby_of_complaint(call->app->db, call->request->arena, call->session, complaint->id, complaint->lat,
	                           complaint->lon, found, NEARBY_MAX, &count) != DB_OK) {
		complaints_add_string(data, "nearby_error", "Complaints near this one cannot be looked up right now.");
		return;
	}
	bool can_mark = workflow_judge(state, WORKFLOW_REJECT, WORKFLOW_ADMIN, true, complaint->agent_active, &row) ==
	                WORKFLOW_ALLOWED;
	struct json_object *list = json_object_new_array();
	for (size_t i = 0; list != NULL && i < count; i++) {
		struct json_object *item = json_object_new_object();
		nearby_restricted(call, item, found[i].id, found[i].category, found[i].status, found[i].age_days,
		                  nearby_round(found[i].distance_m));
		complaints_add_string(item, "description", found[i].description);
		complaints_add_string(item, "address", found[i].address);
		complaints_add_string(item, "reporter", found[i].reporter);
		if (can_mark) {
			snprintf(reason, sizeof(reason), "Duplicate of #%lld", (long long)found[i].id);
			complaints_add_string(item, "mark_reason", reason);
		}
		json_object_array_add(list, item);
	}
	json_object_object_add(data, "nearby_full", list);
	json_object_object_add(data, "nearby_shown", json_object_new_boolean(1));
	if (count == 0)
		json_object_object_add(data, "nearby_empty", json_object_new_boolean(1));
}
