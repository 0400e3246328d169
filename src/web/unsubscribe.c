/*
 * unsubscribe.c: the mail switches of /account and the one-click unsubscribe link (see
 * unsubscribe.h). Which kinds exist and may be switched off is core/optout.c's table; a kind
 * outside it (a security mail) is refused here as one that does not exist.
 */
#include "web/unsubscribe.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "core/optout.h"
#include "fields.h"
#include "log.h"
#include "request.h"
#include "response.h"
#include "secrets.h"
#include "store/db_accounts.h"
#include "store/db_optouts.h"
#include "web/auth.h"
#include "web/call.h"
#include "web/complaints.h"
#include "web/render.h"

#define UNSUBSCRIBE_FORM "/account/mail"

/* Whether the comma-separated list names kind. */
static bool unsubscribe_listed(const char *list, const char *kind)
{
	size_t len = strlen(kind);
	while (list != NULL && *list != '\0') {
		size_t word = strcspn(list, ",");
		if (word == len && strncmp(list, kind, len) == 0)
			return true;
		list += word;
		if (*list == ',')
			list++;
	}
	return false;
}

void unsubscribe_account_data(struct call *call, enum account_role role, const char *mail_off,
                              struct json_object *data)
{
	struct json_object *list = json_object_new_array();
	for (size_t i = 0; list != NULL && i < optout_kind_count; i++) {
		if (!optout_shown(&optout_kinds[i], role >= ACCOUNT_AGENT))
			continue;
		struct json_object *item = json_object_new_object();
		complaints_add_string(item, "kind", optout_kinds[i].kind);
		complaints_add_string(item, "label", optout_kinds[i].label);
		if (item != NULL && !unsubscribe_listed(mail_off, optout_kinds[i].kind))
			json_object_object_add(item, "on", json_object_new_boolean(1));
		if (item != NULL)
			json_object_array_add(list, item);
	}
	json_object_object_add(data, "mail_kinds", list);
	complaints_add_string(data, "mail_csrf", auth_session_csrf_token(call, UNSUBSCRIBE_FORM));
	const char *changed = fields_value(&call->request->query, "changed");
	if (changed != NULL && strcmp(changed, "mail") == 0)
		json_object_object_add(data, "mail_saved", json_object_new_boolean(1));
}

/* Whether the form's "on" fields name kind. */
static bool unsubscribe_checked(const struct fields *form, const char *kind)
{
	for (size_t i = 0; i < form->count; i++)
		if (strcmp(form->items[i].name, "on") == 0 && strcmp(form->items[i].value, kind) == 0)
			return true;
	return false;
}

void unsubscribe_switches(struct call *call)
{
	const struct fields *form = &call->request->form;
	struct db_optout_switch switches[DB_OPTOUTS_MAX];
	size_t count = 0;
	bool staff = call->session->role >= ACCOUNT_AGENT;
	/* An unticked box sends nothing, so only the form's own field tells "all off" from a post
	 * that is not this form. */
	if (fields_value(form, "form") == NULL || strcmp(fields_value(form, "form"), "mail") != 0) {
		render_error(call, 422, "The mail settings form is incomplete. Reload your account page and try again.");
		return;
	}
	/* Every ticked kind must be one this account may switch: anything else is refused whole. */
	for (size_t i = 0; i < form->count; i++) {
		if (strcmp(form->items[i].name, "on") != 0)
			continue;
		const struct optout_kind *kind = optout_find(form->items[i].value);
		if (kind == NULL || !optout_shown(kind, staff)) {
			render_error(call, 422, "The form names a kind of mail that cannot be switched off here. Nothing was changed.");
			return;
		}
	}
	for (size_t i = 0; i < optout_kind_count && count < DB_OPTOUTS_MAX; i++)
		if (optout_shown(&optout_kinds[i], staff))
			switches[count++] = (struct db_optout_switch){optout_kinds[i].kind,
			                                              unsubscribe_checked(form, optout_kinds[i].kind)};
	enum db_status status = db_optouts_set(call->app->db, call->session, switches, count);
	if (status != DB_OK) {
		auth_database_error(call, status);
		return;
	}
	log_info("unsubscribe: account %lld saved its mail switches", (long long)call->session->account_id);
	response_redirect(call->response, 303, "/account?changed=mail#mail");
}

/* The link's account and kind, once its signature holds. false: the refusal is written (the
 * same for a GET and a POST, and nothing has changed). */
static bool unsubscribe_link(struct call *call, int64_t *account_id, const struct optout_kind **kind)
{
	const struct fields *query = &call->request->query;
	const char *key = secrets_get(&call->app->secrets, "unsubscribe_key");
	const char *sig = fields_value(query, "sig");
	response_header(call->response, "Cache-Control", "no-store");
	if (key == NULL) {
		render_error(call, 404, "Unsubscribe links are not in use on this server. Sign in and use your account page.");
		return false;
	}
	*kind = optout_find(fields_value(query, "kind"));
	if (!optout_parse_account(fields_value(query, "account"), account_id) || *kind == NULL || sig == NULL) {
		render_error(call, 400, "This unsubscribe link is incomplete. Copy the whole link from the mail, or sign in "
		                        "and switch mails off on your account page.");
		return false;
	}
	if (optout_check(key, *account_id, (*kind)->kind, sig) != OPTOUT_OK) {
		render_error(call, 403, "This unsubscribe link is not one we sent, or it was changed. Sign in and switch "
		                        "mails off on your account page.");
		return false;
	}
	return true;
}

static void unsubscribe_render(struct call *call, int64_t account_id, const struct optout_kind *kind, bool done)
{
	char action[sizeof(OPTOUT_PATH) + 128];
	struct json_object *data = json_object_new_object();
	snprintf(action, sizeof(action), OPTOUT_PATH "?account=%lld&kind=%s&sig=%s", (long long)account_id, kind->kind,
	         fields_value(&call->request->query, "sig"));
	complaints_add_string(data, "label", kind->label);
	complaints_add_string(data, "action", action);
	if (data != NULL && done)
		json_object_object_add(data, "done", json_object_new_boolean(1));
	render_page(call, 200, done ? "Mails switched off" : "Switch these mails off?", "unsubscribe", data);
}

void unsubscribe_form(struct call *call)
{
	int64_t account_id = 0;
	const struct optout_kind *kind = NULL;
	if (unsubscribe_link(call, &account_id, &kind))
		unsubscribe_render(call, account_id, kind, false);
}

void unsubscribe_submit(struct call *call)
{
	int64_t account_id = 0;
	const struct optout_kind *kind = NULL;
	if (!unsubscribe_link(call, &account_id, &kind))
		return;
	enum db_status status = db_optouts_switch_off(call->app->db, account_id, kind->kind);
	if (status != DB_OK) {
		auth_database_error(call, status);
		return;
	}
	log_info("unsubscribe: account %lld switched %s mails off by its link", (long long)account_id, kind->kind);
	unsubscribe_render(call, account_id, kind, true);
}
