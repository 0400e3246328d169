/*
 * admin_log.c: the admin log's page (see admin_log.h). The filter is the URL's query, checked
 * field by field against the table of actions and target kinds below (a bad one: 400 with a
 * sentence); pages are keyset pages: the next link carries the last row's time and id, never an
 * offset, so a page deep in the log costs what the first costs.
 */
#include "web/admin_log.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "arena.h"
#include "fields.h"
#include "request.h"
#include "response.h"
#include "store/db_admin_log.h"
#include "web/auth.h"
#include "web/call.h"
#include "web/complaints.h"
#include "web/render.h"

#define ADMIN_LOG_PAGE_SIZE 50
#define ADMIN_LOG_ADMINS_MAX 200

/* Every action an admin_log row is written with, and the words the page shows for it. */
static const struct {
	const char *name, *words;
} admin_log_actions[] = {
	{"assign", "Assigned a complaint"},
	{"reassign", "Reassigned a complaint"},
	{"unassign", "Unassigned a complaint"},
	{"reject", "Rejected a complaint"},
	{"internal_note", "Wrote an internal note"},
	{"public_update", "Wrote a public update"},
	{"invite_agent", "Invited an agent"},
	{"reinvite_agent", "Sent an agent's invitation again"},
	{"disable_account", "Disabled an account"},
	{"create_account", "Made an account (complaintctl)"},
	{"category_add", "Added a category"},
	{"category_edit", "Changed a category"},
	{"notification_retry", "Sent a failed message again"},
};
#define ADMIN_LOG_ACTIONS (sizeof(admin_log_actions) / sizeof(admin_log_actions[0]))

static const char *const admin_log_targets[] = {
	[DB_ADMIN_LOG_ANY] = "", [DB_ADMIN_LOG_COMPLAINT] = "complaint", [DB_ADMIN_LOG_ACCOUNT] = "account",
	[DB_ADMIN_LOG_CATEGORY] = "category",
};
#define ADMIN_LOG_TARGETS (sizeof(admin_log_targets) / sizeof(admin_log_targets[0]))

static const char *admin_log_words(const char *action)
{
	for (size_t i = 0; i < ADMIN_LOG_ACTIONS; i++)
		if (strcmp(admin_log_actions[i].name, action) == 0)
			return admin_log_actions[i].words;
	return action;
}

/* A positive decimal id of at most 18 digits, else 0. */
static int64_t admin_log_id(const char *text)
{
	size_t n = text != NULL ? strlen(text) : 0;
	if (n == 0 || n > 18 || strspn(text, "0123456789") != n)
		return 0;
	return strtoll(text, NULL, 10);
}

/* "YYYY-MM-DDTHH:MM:SS.mmm,ID": the keyset's position (the row's time, its id). */
static bool admin_log_after(const char *text, struct db_admin_log_filter *filter)
{
	const char *comma = strchr(text, ',');
	size_t at = comma != NULL ? (size_t)(comma - text) : 0;
	static const char shape[] = "0000-00-00T00:00:00.000";
	if (at != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; i < at; i++)
		if (shape[i] == '0' ? (text[i] < '0' || text[i] > '9') : text[i] != shape[i])
			return false;
	memcpy(filter->after_at, text, at);
	filter->after_at[at] = '\0';
	filter->after_at[10] = ' ';
	filter->after_id = admin_log_id(comma + 1);
	return filter->after_id != 0;
}

/* The filter of the query; NULL when good, else the sentence. */
static const char *admin_log_filter(const struct fields *query, struct db_admin_log_filter *filter)
{
	memset(filter, 0, sizeof(*filter));
	const char *admin = fields_value(query, "admin"), *action = fields_value(query, "action");
	const char *target = fields_value(query, "target"), *target_id = fields_value(query, "target_id");
	const char *after = fields_value(query, "after");
	if (admin != NULL && admin[0] != '\0' && (filter->actor_id = admin_log_id(admin)) == 0)
		return "There is no such admin to filter by.";
	if (action != NULL && action[0] != '\0') {
		for (size_t i = 0; i < ADMIN_LOG_ACTIONS && filter->action == NULL; i++)
			if (strcmp(admin_log_actions[i].name, action) == 0)
				filter->action = admin_log_actions[i].name;
		if (filter->action == NULL)
			return "There is no such action to filter by.";
	}
	if (target != NULL && target[0] != '\0') {
		for (size_t i = 1; i < ADMIN_LOG_TARGETS && filter->target == DB_ADMIN_LOG_ANY; i++)
			if (strcmp(admin_log_targets[i], target) == 0)
				filter->target = (enum db_admin_log_target)i;
		if (filter->target == DB_ADMIN_LOG_ANY)
			return "A target is a complaint, an account or a category.";
		if ((filter->target_id = admin_log_id(target_id)) == 0)
			return "Please give the target's number.";
	} else if (target_id != NULL && target_id[0] != '\0') {
		return "Please choose what kind of target the number is.";
	}
	if (after != NULL && after[0] != '\0' && !admin_log_after(after, filter))
		return "There is no such page of the log.";
	return NULL;
}

static struct json_object *admin_log_option(const char *value, const char *label, bool selected)
{
	struct json_object *option = json_object_new_object();
	complaints_add_string(option, "value", value);
	complaints_add_string(option, "label", label);
	json_object_object_add(option, "selected", json_object_new_boolean(selected));
	return option;
}

/* The filter's fields, for the next link's query and the form. */
static void admin_log_form(const struct db_admin_log_filter *filter,
                           const struct db_admin_log_admin *admins, size_t admin_count, struct json_object *data)
{
	struct json_object *admin_options = json_object_new_array();
	char id[24];
	for (size_t i = 0; admin_options != NULL && i < admin_count; i++) {
		snprintf(id, sizeof(id), "%lld", (long long)admins[i].id);
		json_object_array_add(admin_options, admin_log_option(id, admins[i].name, admins[i].id == filter->actor_id));
	}
	json_object_object_add(data, "admins", admin_options);
	struct json_object *actions = json_object_new_array();
	for (size_t i = 0; actions != NULL && i < ADMIN_LOG_ACTIONS; i++)
		json_object_array_add(actions, admin_log_option(admin_log_actions[i].name, admin_log_actions[i].words,
		                                                filter->action == admin_log_actions[i].name));
	json_object_object_add(data, "actions", actions);
	struct json_object *targets = json_object_new_array();
	for (size_t i = 1; targets != NULL && i < ADMIN_LOG_TARGETS; i++)
		json_object_array_add(targets, admin_log_option(admin_log_targets[i], admin_log_targets[i],
		                                                (size_t)filter->target == i));
	json_object_object_add(data, "targets", targets);
	if (filter->target_id != 0)
		json_object_object_add(data, "target_id", json_object_new_int64(filter->target_id));
	/* The query without its position (only the fields set): the next link appends one. */
	char query[256] = "";
	size_t used = 0;
	if (filter->actor_id != 0)
		used += (size_t)snprintf(query + used, sizeof(query) - used, "admin=%lld&", (long long)filter->actor_id);
	if (filter->action != NULL && used < sizeof(query))
		used += (size_t)snprintf(query + used, sizeof(query) - used, "action=%s&", filter->action);
	if (filter->target != DB_ADMIN_LOG_ANY && used < sizeof(query))
		used += (size_t)snprintf(query + used, sizeof(query) - used, "target=%s&target_id=%lld&",
		                         admin_log_targets[filter->target], (long long)filter->target_id);
	if (used < sizeof(query))
		complaints_add_string(data, "query", query);
}

void admin_log_page(struct call *call)
{
	struct arena *arena = call->request->arena;
	struct db_admin_log_filter filter;
	const char *problem = admin_log_filter(&call->request->query, &filter);
	if (problem != NULL) {
		render_error(call, 400, problem);
		return;
	}
	struct db_admin_log_row *rows = arena_calloc(arena, ADMIN_LOG_PAGE_SIZE, sizeof(*rows));
	struct db_admin_log_admin *admins = arena_calloc(arena, ADMIN_LOG_ADMINS_MAX, sizeof(*admins));
	size_t count = 0, admin_count = 0;
	bool more = false;
	enum db_status status =
		rows == NULL || admins == NULL
			? DB_UNAVAILABLE
			: db_admin_log_page(call->app->db, arena, call->session, &filter, ADMIN_LOG_PAGE_SIZE, rows, &count, &more);
	if (status == DB_OK)
		status = db_admin_log_admins(call->app->db, arena, call->session, admins, ADMIN_LOG_ADMINS_MAX, &admin_count);
	if (status != DB_OK) {
		auth_database_error(call, status);
		return;
	}
	struct json_object *data = json_object_new_object();
	struct json_object *list = json_object_new_array();
	for (size_t i = 0; data != NULL && list != NULL && i < count; i++) {
		const struct db_admin_log_row *row = &rows[i];
		struct json_object *item = json_object_new_object();
		json_object_object_add(item, "id", json_object_new_int64(row->id));
		complaints_add_string(item, "at", render_time(call, row->at));
		complaints_add_string(item, "actor", row->actor != NULL ? row->actor : "the server (complaintctl)");
		complaints_add_string(item, "action", row->action);
		complaints_add_string(item, "action_words", admin_log_words(row->action));
		if (row->complaint_id != 0)
			json_object_object_add(item, "complaint_id", json_object_new_int64(row->complaint_id));
		if (row->account_id != 0)
			complaints_add_string(item, "account", row->account);
		if (row->category_id != 0)
			complaints_add_string(item, "category", row->category);
		complaints_add_string(item, "detail", row->detail);
		json_object_array_add(list, item);
	}
	if (data == NULL) {
		json_object_put(list);
		render_error(call, 500, "This page could not be made just now.");
		return;
	}
	json_object_object_add(data, "rows", list);
	json_object_object_add(data, "empty", json_object_new_boolean(count == 0));
	json_object_object_add(data, "later_pages", json_object_new_boolean(filter.after_id != 0));
	admin_log_form(&filter, admins, admin_count, data);
	if (more && count > 0) {
		char after[DB_ADMIN_LOG_TIME_SIZE + 24];
		snprintf(after, sizeof(after), "%s,%lld", rows[count - 1].at, (long long)rows[count - 1].id);
		char *space = strchr(after, ' ');
		if (space != NULL)
			*space = 'T';  /* no character in the link that needs escaping */
		complaints_add_string(data, "after", after);
	}
	response_header(call->response, "Cache-Control", "no-store");
	render_page(call, 200, "Admin log", "admin_log", data);
}
