/*
 * agents.c: the admin's agents page (see agents.h): the list of field agents with their workload
 * (open, overdue, resolved in 7 days, median time to resolve over 30 days, average rating; sorted
 * by any of them through the URL's sort and dir), the invitation (an account without a password
 * and a mail with a single-use set-password link, queued in the outbox; the page never shows the
 * link), the invitation sent again to an agent who has not set a password yet (a new mail whose
 * link voids the older one, within the mail budgets of web/auth.c) and disabling an agent.
 * Refusals change nothing and say why: 422 for a name or email that cannot be an account's, 409
 * for an email already registered, an agent already disabled or no longer only invited, 429 over
 * the mail budget, 404 for no agent of that number.
 */
#include "web/agents.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "arena.h"
#include "core/account.h"
#include "core/linktoken.h"
#include "core/text.h"
#include "fields.h"
#include "log.h"
#include "request.h"
#include "response.h"
#include "store/db_accounts.h"
#include "store/db_agents.h"
#include "web/auth.h"
#include "web/call.h"
#include "web/complaints.h"
#include "web/render.h"

/* The words of an agent's state, and the class the row carries. */
static void agents_state(const struct db_agents_row *agent, const char **words, const char **code)
{
	if (agent->disabled) {
		*words = "Disabled";
		*code = "disabled";
	} else if (agent->invited) {
		*words = "Invited — has not set a password yet";
		*code = "invited";
	} else {
		*words = "Active";
		*code = "active";
	}
}

/* The workload's columns as the page's URL names them (?sort=open&dir=desc) and their heading. */
static const struct {
	const char *key;
	const char *heading;
	bool numeric;                 /* a first click sorts descending: the most first */
} agents_sorts[DB_AGENTS_SORTS] = {
	[DB_AGENTS_SORT_STATE] = {"state", "State", false},
	[DB_AGENTS_SORT_NAME] = {"name", "Name", false},
	[DB_AGENTS_SORT_OPEN] = {"open", "Open", true},
	[DB_AGENTS_SORT_OVERDUE] = {"overdue", "Overdue", true},
	[DB_AGENTS_SORT_RESOLVED] = {"resolved", "Resolved, 7 days", true},
	[DB_AGENTS_SORT_MEDIAN] = {"median", "Median time to resolve, 30 days", true},
	[DB_AGENTS_SORT_RATING] = {"rating", "Average rating", true},
};

/* The page's sort from its query: false for a value no column has. */
static bool agents_sort_parse(struct call *call, enum db_agents_sort *sort, bool *descending)
{
	const char *key = fields_value(&call->request->query, "sort");
	const char *dir = fields_value(&call->request->query, "dir");
	*sort = DB_AGENTS_SORT_STATE;
	*descending = false;
	if (key != NULL) {
		size_t i = 0;
		while (i < DB_AGENTS_SORTS && strcmp(agents_sorts[i].key, key) != 0)
			i++;
		if (i == DB_AGENTS_SORTS)
			return false;
		*sort = (enum db_agents_sort)i;
	}
	if (dir != NULL && strcmp(dir, "asc") != 0 && strcmp(dir, "desc") != 0)
		return false;
	*descending = dir != NULL && strcmp(dir, "desc") == 0;
	return true;
}

/* The headings by key: each a link sorting by its column (again: the other way round). */
static struct json_object *agents_headings(enum db_agents_sort sort, bool descending)
{
	char href[64];
	struct json_object *headings = json_object_new_object();
	for (size_t i = 0; headings != NULL && i < DB_AGENTS_SORTS; i++) {
		struct json_object *heading = json_object_new_object();
		bool current = (size_t)sort == i;
		bool next_descending = current ? !descending : agents_sorts[i].numeric;
		snprintf(href, sizeof(href), "/admin/agents?sort=%s&dir=%s", agents_sorts[i].key,
		         next_descending ? "desc" : "asc");
		complaints_add_string(heading, "key", agents_sorts[i].key);
		complaints_add_string(heading, "heading", agents_sorts[i].heading);
		complaints_add_string(heading, "href", href);
		if (current)
			complaints_add_string(heading, "aria_sort", descending ? "descending" : "ascending");
		json_object_object_add(headings, agents_sorts[i].key, heading);
	}
	return headings;
}

/* A duration in words: hours under two days, else days with one decimal. */
static void agents_duration(double seconds, char *out, size_t size)
{
	/* Capped at a century: the words always fit. */
	if (seconds < 0)
		snprintf(out, size, "—");
	else if (seconds < 48 * 3600.0)
		snprintf(out, size, "%.1f hours", seconds / 3600.0);
	else
		snprintf(out, size, "%.1f days", (seconds < 3.2e9 ? seconds : 3.2e9) / 86400.0);
}

/* The agents page: the list, and the invitation form with what was typed and what is wrong with
 * it (data: the page's data so far, ownership taken; NULL: an empty form). */
static void agents_render(struct call *call, int status, struct json_object *data)
{
	struct db_agents_row *agents = arena_calloc(call->request->arena, DB_AGENTS_LIST_MAX, sizeof(*agents));
	size_t count = 0;
	enum db_agents_sort sort;
	bool descending;
	char figure[48];
	if (!agents_sort_parse(call, &sort, &descending)) {
		json_object_put(data);
		render_error(call, 400, "The agents can be sorted by state, name, open, overdue, resolved, median or "
		                        "rating, each asc or desc.");
		return;
	}
	enum db_status listed = agents == NULL ? DB_UNAVAILABLE
	                                       : db_agents_list(call->app->db, call->request->arena, call->session, sort,
	                                                        descending, agents, DB_AGENTS_LIST_MAX, &count);
	if (data == NULL)
		data = json_object_new_object();
	if (listed != DB_OK || data == NULL) {
		json_object_put(data);
		auth_database_error(call, listed != DB_OK ? listed : DB_UNAVAILABLE);
		return;
	}
	int64_t disabled_id = complaints_id(fields_value(&call->request->query, "disabled"));
	int64_t invited_id = complaints_id(fields_value(&call->request->query, "invited"));
	struct json_object *list = json_object_new_array();
	for (size_t i = 0; list != NULL && i < count; i++) {
		const char *words, *code;
		struct json_object *row = json_object_new_object();
		agents_state(&agents[i], &words, &code);
		json_object_object_add(row, "id", json_object_new_int64(agents[i].id));
		complaints_add_string(row, "name", agents[i].name);
		complaints_add_string(row, "email", agents[i].email);
		complaints_add_string(row, "state", words);
		complaints_add_string(row, "state_code", code);
		json_object_object_add(row, "open_count", json_object_new_int64(agents[i].open_count));
		json_object_object_add(row, "overdue_count", json_object_new_int64(agents[i].overdue_count));
		json_object_object_add(row, "resolved_week", json_object_new_int64(agents[i].resolved_week));
		agents_duration(agents[i].median_resolve_s, figure, sizeof(figure));
		complaints_add_string(row, "median", figure);
		if (agents[i].rating_avg >= 0)
			snprintf(figure, sizeof(figure), "%.1f (%lld)", agents[i].rating_avg, (long long)agents[i].rating_count);
		else
			snprintf(figure, sizeof(figure), "—");
		complaints_add_string(row, "rating", figure);
		json_object_object_add(row, "active", json_object_new_boolean(!agents[i].disabled));
		json_object_object_add(row, "invited", json_object_new_boolean(agents[i].invited && !agents[i].disabled));
		json_object_array_add(list, row);
		if (agents[i].id == disabled_id && agents[i].disabled)
			complaints_add_string(data, "disabled_name", agents[i].name);
		if (agents[i].id == invited_id && agents[i].invited && !agents[i].disabled)
			complaints_add_string(data, "invited_again_name", agents[i].name);
	}
	json_object_object_add(data, "agents", list);
	json_object_object_add(data, "sort", agents_headings(sort, descending));
	json_object_object_add(data, "empty", json_object_new_boolean(count == 0));
	complaints_add_string(data, "invite_csrf", auth_session_csrf_token(call, "/admin/agents"));
	complaints_add_string(data, "disable_csrf", auth_session_csrf_token(call, "/admin/agents/{id}/disable"));
	complaints_add_string(data, "invite_again_csrf", auth_session_csrf_token(call, "/admin/agents/{id}/invite"));
	response_header(call->response, "Cache-Control", "no-store");
	render_page(call, status, "Agents", "agents", data);
}

void agents_page(struct call *call)
{
	agents_render(call, 200, NULL);
}

void agents_invite(struct call *call)
{
	struct arena *arena = call->request->arena;
	const char *name = text_trimmed(arena, fields_value(&call->request->form, "name"));
	const char *email = text_trimmed(arena, fields_value(&call->request->form, "email"));
	char lifetime[32];
	int64_t account_id = 0;
	struct json_object *data = json_object_new_object();
	complaints_add_string(data, "name", name);
	complaints_add_string(data, "email", email);

	const char *name_problem = account_name_problem(name);
	const char *email_problem = account_email_problem(email);
	if (name_problem != NULL || email_problem != NULL) {
		complaints_add_string(data, "name_error", name_problem);
		complaints_add_string(data, "email_error", email_problem);
		agents_render(call, 422, data);
		return;
	}
	/* The link goes by mail only (the notifier mints it when it sends): nobody but the
	 * address's owner ever holds it, and the agent's first password proves the address. */
	enum db_status status = db_agents_invite(call->app->db, call->session, name, email, &account_id);
	if (status == DB_DUPLICATE) {
		complaints_add_string(data, "email_error",
		                      "An account with this email already exists, so nobody was invited. An agent who has not "
		                      "set a password yet can be sent the invitation again from the list.");
		agents_render(call, 409, data);
		return;
	}
	json_object_put(data);
	if (status != DB_OK) {
		auth_database_error(call, status);
		return;
	}
	log_info("agents: account %lld invited agent %lld", (long long)call->session->account_id, (long long)account_id);
	linktoken_lifetime_text(LINKTOKEN_AGENT_INVITE, lifetime, sizeof(lifetime));
	data = json_object_new_object();
	complaints_add_string(data, "name", name);
	complaints_add_string(data, "email", email);
	complaints_add_string(data, "lifetime", lifetime);
	response_header(call->response, "Cache-Control", "no-store");
	render_page(call, 201, "Agent invited", "agent_invited", data);
}

/* The agent of the route's {id} into agent: 0, or -1 with the answer written (404, 503). */
static int agents_of_route(struct call *call, struct db_agents_row *agent)
{
	int64_t id = complaints_id(call->captures[0]);
	enum db_status status =
		id == 0 ? DB_NOT_FOUND : db_agents_get(call->app->db, call->request->arena, call->session, id, agent);
	if (status == DB_NOT_FOUND) {
		render_error(call, 404, "There is no agent with this number.");
		return -1;
	}
	if (status != DB_OK) {
		auth_database_error(call, status);
		return -1;
	}
	return 0;
}

void agents_invite_again(struct call *call)
{
	struct db_agents_row agent;
	struct throttle_subjects subjects;
	struct db_mail_request request;
	int64_t wait_s = 0;
	bool sent = false;
	if (agents_of_route(call, &agent) != 0)
		return;
	if (agent.disabled) {
		render_error(call, 409, "This agent is disabled, so no invitation was sent.");
		return;
	}
	if (!agent.invited) {
		render_error(call, 409, "This agent has set a password already, so no invitation was sent. A forgotten "
		                        "password is mailed anew from \"Forgot your password?\" on the sign-in page.");
		return;
	}
	/* The budgets of every mail-sending request: the agent's address and the admin's client. */
	int throttled = auth_mail_request(call, agent.email, &subjects, &request, &wait_s);
	if (throttled != 0) {
		if (throttled > 0)
			auth_mail_throttled_error(call, wait_s);
		return;
	}
	enum db_status status = db_agents_invite_again(call->app->db, call->session, agent.id, &request, &sent);
	if (status != DB_OK) {
		auth_database_error(call, status);
		return;
	}
	if (!sent) {   /* the password set, or the agent disabled, since the read above */
		render_error(call, 409, "This agent set a password or was disabled a moment ago, so no invitation was sent.");
		return;
	}
	log_info("agents: account %lld sent agent %lld the invitation again", (long long)call->session->account_id,
	         (long long)agent.id);
	char location[64];
	snprintf(location, sizeof(location), "/admin/agents?invited=%lld", (long long)agent.id);
	response_redirect(call->response, 303, location);
}

void agents_disable(struct call *call)
{
	struct db_agents_row agent;
	if (agents_of_route(call, &agent) != 0)
		return;
	int64_t id = agent.id;
	enum db_status status = DB_OK;
	bool disabled = false;
	if (!agent.disabled) {
		status = db_agents_disable(call->app->db, call->session, id, "The agent's account was disabled.", &disabled);
		if (status != DB_OK) {
			auth_database_error(call, status);
			return;
		}
	}
	if (!disabled) {
		render_error(call, 409, "This agent is disabled already; nothing was changed.");
		return;
	}
	log_info("agents: account %lld disabled agent %lld: sessions ended, complaints back in the queue",
	         (long long)call->session->account_id, (long long)id);
	char location[64];
	snprintf(location, sizeof(location), "/admin/agents?disabled=%lld", (long long)id);
	response_redirect(call->response, 303, location);
}
