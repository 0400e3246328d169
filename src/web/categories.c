/*
 * categories.c: the admin's categories page (see categories.h). A category is never deleted
 * (complaints point at it): an inactive one leaves the filing form and keeps its complaints, which
 * the queue still filters by it. A target is written as the config writes durations ("3d", "48h",
 * core/due.c); a new target gives due dates to complaints filed from then on and moves none filed
 * before. Refusals change nothing and say why: 422 with the page and the sentence, 409 for a code
 * taken, 404 for no category of that number.
 */
#include "web/categories.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "arena.h"
#include "core/due.h"
#include "core/text.h"
#include "fields.h"
#include "log.h"
#include "request.h"
#include "response.h"
#include "store/db_accounts.h"
#include "store/db_agents.h"
#include "store/db_categories.h"
#include "web/auth.h"
#include "web/call.h"
#include "web/complaints.h"
#include "web/render.h"

#define CATEGORIES_MAX 200          /* rows the page lists */
#define CATEGORIES_NAME_MAX 100     /* categories.name */
#define CATEGORIES_CODE_MAX 40      /* categories.code */
#define CATEGORIES_ORDER_MAX 65535  /* categories.sort_order */

/* What the page says besides its rows: a refusal, and what the add form had typed. */
struct categories_notes {
	const char *error;
	int64_t error_id;               /* the category whose form was refused; 0: the add form */
	const char *code, *name, *target, *sort_order;
};

/* True when id is in the comma-separated list of ids. */
static bool categories_in_pool(const char *pool, int64_t id)
{
	char want[24];
	snprintf(want, sizeof(want), "%lld", (long long)id);
	size_t n = strlen(want);
	for (const char *p = pool; p != NULL && *p != '\0'; p = strchr(p, ',') != NULL ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, want, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

static void categories_render(struct call *call, int status, const struct categories_notes *notes)
{
	struct arena *arena = call->request->arena;
	struct db_category_row *rows = arena_calloc(arena, CATEGORIES_MAX, sizeof(*rows));
	struct db_agents_row *agents = arena_calloc(arena, DB_AGENTS_LIST_MAX, sizeof(*agents));
	size_t count = 0, agent_count = 0;
	enum db_status read = rows == NULL || agents == NULL ? DB_UNAVAILABLE
	                      : db_categories_all(call->app->db, arena, call->session, rows, CATEGORIES_MAX, &count);
	if (read == DB_OK)
		read = db_agents_list(call->app->db, arena, call->session, DB_AGENTS_SORT_NAME, false, agents,
		                      DB_AGENTS_LIST_MAX, &agent_count);
	if (read != DB_OK) {
		auth_database_error(call, read);
		return;
	}
	int64_t saved_id = complaints_id(fields_value(&call->request->query, "saved"));
	struct json_object *data = json_object_new_object();
	struct json_object *list = json_object_new_array();
	const char *edit_csrf = auth_session_csrf_token(call, "/admin/categories/{id}");
	for (size_t i = 0; data != NULL && list != NULL && i < count; i++) {
		const struct db_category_row *row = &rows[i];
		struct due_target target;
		char target_text[DUE_TARGET_SIZE] = "";
		if (due_target_from_stored(row->target_days, row->target_hours, &target))
			due_target_format(&target, target_text, sizeof(target_text));
		struct json_object *item = json_object_new_object();
		json_object_object_add(item, "id", json_object_new_int64(row->id));
		complaints_add_string(item, "code", row->code);
		complaints_add_string(item, "name", row->name);
		complaints_add_string(item, "target", target_text);
		json_object_object_add(item, "sort_order", json_object_new_int64(row->sort_order));
		json_object_object_add(item, "active", json_object_new_boolean(row->active));
		complaints_add_string(item, "csrf", edit_csrf);
		if (notes != NULL && notes->error != NULL && notes->error_id == row->id)
			complaints_add_string(item, "error", notes->error);
		if (row->id == saved_id)
			complaints_add_string(data, "saved_name", row->name);
		/* The pool's choices: every agent not disabled, and any disabled one still in it. */
		struct json_object *pool = json_object_new_array();
		for (size_t a = 0; pool != NULL && a < agent_count; a++) {
			bool in = categories_in_pool(row->pool, agents[a].id);
			if (agents[a].disabled && !in)
				continue;
			struct json_object *agent = json_object_new_object();
			json_object_object_add(agent, "agent_id", json_object_new_int64(agents[a].id));
			complaints_add_string(agent, "agent_name", agents[a].name);
			json_object_object_add(agent, "in_pool", json_object_new_boolean(in));
			json_object_object_add(agent, "agent_disabled", json_object_new_boolean(agents[a].disabled));
			json_object_array_add(pool, agent);
		}
		json_object_object_add(item, "pool", pool);
		json_object_object_add(item, "has_agents", json_object_new_boolean(json_object_array_length(pool) > 0));
		json_object_array_add(list, item);
	}
	if (data == NULL) {
		json_object_put(list);
		render_error(call, 500, "This page could not be made just now.");
		return;
	}
	json_object_object_add(data, "categories", list);
	complaints_add_string(data, "add_csrf", auth_session_csrf_token(call, "/admin/categories"));
	json_object_object_add(data, "auto_assign", json_object_new_boolean(call->app->config.auto_assign));
	/* The add form keeps what was typed into it; a category's refused form shows its stored values. */
	bool add_refused = notes != NULL && notes->error_id == 0;
	if (add_refused) {
		complaints_add_string(data, "add_error", notes->error);
		complaints_add_string(data, "code", notes->code);
		complaints_add_string(data, "name", notes->name);
		complaints_add_string(data, "target", notes->target);
	}
	complaints_add_string(data, "add_sort_order", add_refused && notes->sort_order != NULL ? notes->sort_order : "100");
	response_header(call->response, "Cache-Control", "no-store");
	render_page(call, status, "Categories", "categories", data);
}

void categories_page(struct call *call)
{
	categories_render(call, 200, NULL);
}

/* The fields both forms share, checked; NULL when they are good, else the sentence. */
static const char *categories_fields(struct call *call, struct db_category_edit *edit, struct due_target *target,
                                     char target_text[DUE_TARGET_SIZE], struct categories_notes *notes)
{
	struct arena *arena = call->request->arena;
	const struct fields *form = &call->request->form;
	notes->name = text_trimmed(arena, fields_value(form, "name"));
	notes->target = text_trimmed(arena, fields_value(form, "target"));
	notes->sort_order = text_trimmed(arena, fields_value(form, "sort_order"));
	long characters = text_characters(notes->name, false);
	if (characters < 1 || characters > CATEGORIES_NAME_MAX)
		return "Please give the category a name of 1 to 100 characters (one line).";
	const char *problem = due_target_parse(notes->target, target);
	if (problem != NULL)
		return problem;
	char *end = NULL;
	long order = strtol(notes->sort_order, &end, 10);
	if (notes->sort_order[0] == '\0' || *end != '\0' || order < 0 || order > CATEGORIES_ORDER_MAX)
		return "Please give the order on the form as a whole number from 0 to 65535 (smaller comes first).";
	due_target_format(target, target_text, DUE_TARGET_SIZE);
	edit->name = notes->name;
	edit->target_text = target_text;
	edit->sort_order = (unsigned)order;
	due_target_stored(target, &edit->target_days, &edit->target_hours);
	return NULL;
}

void categories_add(struct call *call)
{
	struct categories_notes notes = {0};
	struct db_category_edit edit = {.active = true};
	struct due_target target;
	char target_text[DUE_TARGET_SIZE];
	const char *code = text_trimmed(call->request->arena, fields_value(&call->request->form, "code"));
	size_t code_length = strlen(code);
	notes.code = code;
	notes.error = categories_fields(call, &edit, &target, target_text, &notes);
	if (notes.error == NULL &&
	    (code_length == 0 || code_length > CATEGORIES_CODE_MAX || code[0] == '-' || code[0] == '_' ||
	     strspn(code, "abcdefghijklmnopqrstuvwxyz0123456789_-") != code_length))
		notes.error = "Please give a code of 1 to 40 lower-case letters, digits, '-' or '_' (it never changes "
		              "once published).";
	if (notes.error != NULL) {
		categories_render(call, 422, &notes);
		return;
	}
	int64_t id = 0;
	enum db_status status = db_categories_add(call->app->db, call->session, code, &edit, &id);
	if (status == DB_DUPLICATE) {
		notes.error = "A category with this code exists already, so nothing was added.";
		categories_render(call, 409, &notes);
		return;
	}
	if (status != DB_OK) {
		auth_database_error(call, status);
		return;
	}
	log_info("categories: account %lld added category %lld", (long long)call->session->account_id, (long long)id);
	char location[64];
	snprintf(location, sizeof(location), "/admin/categories?saved=%lld", (long long)id);
	response_redirect(call->response, 303, location);
}

void categories_edit(struct call *call)
{
	struct categories_notes notes = {0};
	struct db_category_edit edit = {0};
	struct due_target target;
	char target_text[DUE_TARGET_SIZE];
	int64_t pool[DB_CATEGORY_POOL_MAX];
	int64_t id = complaints_id(call->captures[0]);
	const struct fields *form = &call->request->form;
	if (id == 0) {
		render_error(call, 404, "There is no category with this number.");
		return;
	}
	notes.error_id = id;
	notes.error = categories_fields(call, &edit, &target, target_text, &notes);
	const char *active = fields_value(form, "active");
	edit.active = active != NULL && strcmp(active, "1") == 0;
	for (size_t i = 0; notes.error == NULL && i < form->count; i++) {
		if (strcmp(form->items[i].name, "pool") != 0)
			continue;
		int64_t agent = complaints_id(form->items[i].value);
		if (agent == 0)
			notes.error = "The pool names an agent that does not exist; nothing was changed.";
		else if (edit.pool_count == DB_CATEGORY_POOL_MAX)
			notes.error = "A pool holds at most 64 agents; nothing was changed.";
		else
			pool[edit.pool_count++] = agent;
	}
	edit.pool = pool;
	if (notes.error != NULL) {
		categories_render(call, 422, &notes);
		return;
	}
	bool found = false;
	enum db_status status = db_categories_edit(call->app->db, call->session, id, &edit, &found);
	if (status != DB_OK) {
		auth_database_error(call, status);
		return;
	}
	if (!found) {
		render_error(call, 404, "There is no category with this number.");
		return;
	}
	log_info("categories: account %lld edited category %lld", (long long)call->session->account_id, (long long)id);
	char location[64];
	snprintf(location, sizeof(location), "/admin/categories?saved=%lld", (long long)id);
	response_redirect(call->response, 303, location);
}
