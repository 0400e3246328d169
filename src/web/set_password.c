/*
 * set_password.c: the pages a mailed link opens (see set_password.h): choosing a password (an
 * agent's invitation at /set-password, a password reset at /reset-password, one table row each)
 * and confirming an address (/confirm-email).
 *
 * The token is in the link's query string and then in the form's hidden field; it is never
 * logged (nginx logs this location without its query string, the log lines here name the
 * account), and every answer says Referrer-Policy: strict-origin, so a request that leaves the
 * page names only the site's origin, never the page's address. (Not no-referrer: a browser then
 * sends the form's POST with "Origin: null", which the route table's Origin check refuses.) A GET only reads the token; the POST checks it the same way before any
 * password work, and uses it up with the one UPDATE that can succeed only once, in the
 * transaction that stores the password. The password policy is the residents' (core/password.c).
 */
#include "web/set_password.h"

#include <json-c/json.h>
#include <string.h>

#include "app.h"
#include "core/linktoken.h"
#include "core/password.h"
#include "core/token.h"
#include "fields.h"
#include "log.h"
#include "request.h"
#include "response.h"
#include "store/db_tokens.h"
#include "web/auth.h"
#include "web/call.h"
#include "web/complaints.h"
#include "web/render.h"

/* The set-password pages, by the route's pattern: {pattern, purpose, title}. */
static const struct {
	const char *pattern;
	enum linktoken_purpose purpose;
	const char *title;
} set_password_pages[] = {
	{"/set-password", LINKTOKEN_AGENT_INVITE, "Choose your password"},
	{"/reset-password", LINKTOKEN_PASSWORD_RESET, "Choose a new password"},
};

static size_t set_password_page(const struct call *call)
{
	for (size_t i = 0; i < sizeof(set_password_pages) / sizeof(set_password_pages[0]); i++)
		if (strcmp(set_password_pages[i].pattern, call->pattern) == 0)
			return i;
	return 0;
}

/* The token named by text, and the database's word on it. false: a refusal (404, 410) or a 503 is
 * written. */
static bool set_password_token(struct call *call, enum linktoken_purpose purpose, const char *text,
                               uint8_t hash[TOKEN_HASH_SIZE], struct db_tokens_found *found)
{
	const char *sentence = NULL;
	found->state = LINKTOKEN_UNKNOWN;
	if (text != NULL && token_parse(text, strlen(text), hash) == TOKEN_OK) {
		enum db_status status = db_tokens_find(call->app->db, call->request->arena, purpose, hash, found);
		if (status != DB_OK) {
			auth_database_error(call, status);
			return false;
		}
	}
	int http_status = linktoken_refusal(found->state, &sentence);
	if (found->state == LINKTOKEN_VALID)
		return true;
	render_error(call, http_status, sentence);
	return false;
}

/* The form, with the messages of a refused POST (NULL: none). */
static void set_password_render(struct call *call, int status, const struct db_tokens_found *found, const char *token,
                                const char *password_error, const char *confirmation_error)
{
	struct json_object *data = json_object_new_object();
	size_t page = set_password_page(call);
	complaints_add_string(data, "title", set_password_pages[page].title);
	complaints_add_string(data, "action", set_password_pages[page].pattern);
	complaints_add_string(data, "name", found->name);
	complaints_add_string(data, "email", found->email);
	complaints_add_string(data, "token", token);
	complaints_add_string(data, "csrf", auth_visitor_csrf_token(call, set_password_pages[page].pattern));
	complaints_add_string(data, "password_error", password_error);
	complaints_add_string(data, "confirmation_error", confirmation_error);
	response_header(call->response, "Cache-Control", "no-store");
	render_page(call, status, set_password_pages[page].title, "set_password", data);
}

void set_password_form(struct call *call)
{
	uint8_t hash[TOKEN_HASH_SIZE];
	struct db_tokens_found found;
	const char *token = fields_value(&call->request->query, "token");
	response_header(call->response, "Referrer-Policy", "strict-origin");
	if (set_password_token(call, set_password_pages[set_password_page(call)].purpose, token, hash, &found))
		set_password_render(call, 200, &found, token, NULL, NULL);
}

void set_password_submit(struct call *call)
{
	const struct config *config = &call->app->config;
	const enum linktoken_purpose purpose = set_password_pages[set_password_page(call)].purpose;
	uint8_t hash[TOKEN_HASH_SIZE];
	struct db_tokens_found found;
	char reason[PASSWORD_REASON_SIZE] = "";
	char stored[PASSWORD_HASH_SIZE];
	const char *token = fields_value(&call->request->form, "token");
	const char *password = fields_value(&call->request->form, "password");
	const char *confirmation = fields_value(&call->request->form, "confirmation");
	if (password == NULL)
		password = "";
	if (confirmation == NULL)
		confirmation = "";
	response_header(call->response, "Referrer-Policy", "strict-origin");
	if (!set_password_token(call, purpose, token, hash, &found))
		return;
	if (password_policy_check(password, strlen(password), call->app->common_passwords, reason, sizeof(reason)) !=
	    PASSWORD_OK) {
		if (password[0] == '\0')
			snprintf(reason, sizeof(reason), "Please choose a password of at least %d characters.", PASSWORD_CHARS_MIN);
		set_password_render(call, 422, &found, token, reason, NULL);
		return;
	}
	if (strcmp(password, confirmation) != 0) {
		set_password_render(call, 422, &found, token, NULL, "The two passwords differ. Please type the same one twice.");
		return;
	}
	if (!auth_hash_slot(call, "setting a password"))
		return;
	if (password_hash(password, strlen(password), config->password_ops_limit, config->password_mem_limit,
	                  stored) != PASSWORD_OK) {
		render_error(call, 503, "The server is too busy right now. Please try again.");
		return;
	}
	bool used = false;
	enum db_status status = db_tokens_set_password(call->app->db, purpose, hash, stored, &used);
	if (status != DB_OK) {
		auth_database_error(call, status);
		return;
	}
	if (!used) {
		/* Used, expired or disabled since the check above (another tab, another request). */
		if (set_password_token(call, purpose, token, hash, &found))
			render_error(call, 410, "This link no longer works. Ask for a new one.");
		return;
	}
	log_info("auth: account %lld set its password through a link (%s); all its sessions ended",
	         (long long)found.account_id, linktoken_purpose_stored(purpose));
	response_header(call->response, "Cache-Control", "no-store");
	response_redirect(call->response, 303, "/signin?password=set");
}

/* The confirmation page: the button that posts the token (status 200), or what it did. */
static void set_password_confirm_render(struct call *call, const struct db_tokens_found *found, const char *token,
                                        bool confirmed)
{
	struct json_object *data = json_object_new_object();
	complaints_add_string(data, "name", found->name);
	complaints_add_string(data, "email", found->email);
	if (confirmed) {
		json_object_object_add(data, "confirmed", json_object_new_boolean(1));
		if (call->session != NULL)
			json_object_object_add(data, "signed_in", json_object_new_boolean(1));
	} else {
		complaints_add_string(data, "token", token);
		complaints_add_string(data, "csrf", auth_visitor_csrf_token(call, "/confirm-email"));
	}
	response_header(call->response, "Cache-Control", "no-store");
	render_page(call, 200, "Confirm your email address", "confirm_email", data);
}

void set_password_confirm_form(struct call *call)
{
	uint8_t hash[TOKEN_HASH_SIZE];
	struct db_tokens_found found;
	const char *token = fields_value(&call->request->query, "token");
	response_header(call->response, "Referrer-Policy", "strict-origin");
	if (set_password_token(call, LINKTOKEN_EMAIL_CONFIRM, token, hash, &found))
		set_password_confirm_render(call, &found, token, false);
}

void set_password_confirm(struct call *call)
{
	uint8_t hash[TOKEN_HASH_SIZE];
	struct db_tokens_found found;
	const char *token = fields_value(&call->request->form, "token");
	bool used = false;
	response_header(call->response, "Referrer-Policy", "strict-origin");
	if (!set_password_token(call, LINKTOKEN_EMAIL_CONFIRM, token, hash, &found))
		return;
	enum db_status status = db_tokens_confirm_email(call->app->db, hash, &used);
	if (status != DB_OK) {
		auth_database_error(call, status);
		return;
	}
	if (!used) {
		if (set_password_token(call, LINKTOKEN_EMAIL_CONFIRM, token, hash, &found))
			render_error(call, 410, "This link no longer works. Ask for a new one.");
		return;
	}
	log_info("auth: account %lld confirmed its address; its held complaints are in the queue",
	         (long long)found.account_id);
	set_password_confirm_render(call, &found, NULL, true);
}
