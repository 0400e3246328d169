/*
 * set_password.c: the page a set-password link opens (see set_password.h).
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

/* The links this page serves: an agent's invitation (password resets will come here too). */
static const enum linktoken_purpose set_password_purpose = LINKTOKEN_AGENT_INVITE;

/* The token named by text, and the database's word on it. false: a refusal (404, 410) or a 503 is
 * written. */
static bool set_password_token(struct call *call, const char *text, uint8_t hash[TOKEN_HASH_SIZE],
                               struct db_tokens_found *found)
{
	const char *sentence = NULL;
	found->state = LINKTOKEN_UNKNOWN;
	if (text != NULL && token_parse(text, strlen(text), hash) == TOKEN_OK) {
		enum db_status status = db_tokens_find(call->app->db, call->request->arena, set_password_purpose, hash, found);
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
	complaints_add_string(data, "name", found->name);
	complaints_add_string(data, "email", found->email);
	complaints_add_string(data, "token", token);
	complaints_add_string(data, "csrf", auth_visitor_csrf_token(call, "/set-password"));
	complaints_add_string(data, "password_error", password_error);
	complaints_add_string(data, "confirmation_error", confirmation_error);
	response_header(call->response, "Cache-Control", "no-store");
	render_page(call, status, "Choose your password", "set_password", data);
}

void set_password_form(struct call *call)
{
	uint8_t hash[TOKEN_HASH_SIZE];
	struct db_tokens_found found;
	const char *token = fields_value(&call->request->query, "token");
	response_header(call->response, "Referrer-Policy", "strict-origin");
	if (set_password_token(call, token, hash, &found))
		set_password_render(call, 200, &found, token, NULL, NULL);
}

void set_password_submit(struct call *call)
{
	const struct config *config = &call->app->config;
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
	if (!set_password_token(call, token, hash, &found))
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
	enum db_status status = db_tokens_set_password(call->app->db, set_password_purpose, hash, stored, &used);
	if (status != DB_OK) {
		auth_database_error(call, status);
		return;
	}
	if (!used) {
		/* Used, expired or disabled since the check above (another tab, another request). */
		if (set_password_token(call, token, hash, &found))
			render_error(call, 410, "This link no longer works. Ask for a new one.");
		return;
	}
	log_info("auth: account %lld set its password through a link", (long long)found.account_id);
	response_header(call->response, "Cache-Control", "no-store");
	response_redirect(call->response, 303, "/signin?password=set");
}
