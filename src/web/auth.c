/*
 * auth.c: accounts, sessions, the Origin check and CSRF tokens (see auth.h).
 *
 * Answers a person can act on, and never more than they should learn: a failed sign-in says
 * "Wrong email or password." whether the email is registered or not, after the same argon2id
 * work (password.c's dummy hash). Sign-up and "Forgot your password?" never tell either: both
 * answer "check your mail" after the same work and the same statements whether the address has
 * an account or not, and the mail (queued in the outbox in that transaction) says the rest to the
 * address's owner alone: a confirmation link, a note that someone tried to sign up with a taken
 * address, a reset link, or nothing. Neither makes a session: a new resident signs in with the
 * password they chose (before confirming, if they like; their complaints are held out of the
 * admin's queue until they confirm).
 *
 * Guessing is throttled (core/throttle.h: delays per typed email and address, then a lock of the
 * pair; counted in the database, so across workers and hosts), keyed by what was typed so that
 * an unknown email is throttled exactly like a known one. Every argon2id computation takes one of
 * the host's hash slots first; with all of them busy the answer is 503 at once, so a sign-in flood
 * never holds every worker. The client address is nginx's $remote_addr (behind other proxies,
 * nginx's realip module sets it to the first untrusted hop).
 */
#include "auth.h"

#include <json-c/json.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "app.h"
#include "arena.h"
#include "core/account.h"
#include "core/linktoken.h"
#include "core/password.h"
#include "core/text.h"
#include "core/throttle.h"
#include "core/token.h"
#include "fields.h"
#include "log.h"
#include "request.h"
#include "response.h"
#include "secrets.h"
#include "slots.h"
#include "store/db_accounts.h"
#include "store/db_throttle.h"
#include "web/call.h"
#include "web/render.h"
#include "web/routes.h"
#include "web/unsubscribe.h"

static const char auth_wrong_credentials[] = "Wrong email or password.";

/* ---- cookies ---- */

/* "__Host-" names over HTTPS: no other host (a sibling subdomain) can set them. */
static const char *auth_cookie_name(const struct request *request, const char *name)
{
	if (!request->https)
		return name;
	size_t len = strlen("__Host-") + strlen(name) + 1;
	char *prefixed = arena_alloc(request->arena, len);
	if (prefixed != NULL)
		snprintf(prefixed, len, "__Host-%s", name);
	return prefixed != NULL ? prefixed : name;
}

static const char *auth_cookie(const struct request *request, const char *name)
{
	return fields_value(&request->cookies, auth_cookie_name(request, name));
}

static void auth_cookie_set(struct call *call, const char *name, const char *value)
{
	const struct response_cookie_options options = {.same_site = RESPONSE_SAME_SITE_LAX};
	response_cookie(call->response, auth_cookie_name(call->request, name), value, &options);
}

static void auth_cookie_delete(struct call *call, const char *name)
{
	const struct response_cookie_options options = {.expire_now = true};
	response_cookie(call->response, auth_cookie_name(call->request, name), "", &options);
}

/* ---- database answers ---- */

void auth_database_error(struct call *call, enum db_status status)
{
	static const char *const messages[] = {
		[DB_UNAVAILABLE] = "The service cannot reach its database right now, and nothing was saved. "
		                   "Please try again in a moment.",
		[DB_UNKNOWN] = "We lost contact with the database while saving, so we cannot tell whether it was "
		               "saved. Please check before trying again.",
		[DB_NOT_CONFIGURED] = "Accounts are not available on this server.",
	};
	const char *message = (size_t)status < sizeof(messages) / sizeof(messages[0]) ? messages[status] : NULL;
	render_error(call, 503,
	             message != NULL ? message : "Something went wrong on our side. Please try again.");
}

/* ---- sessions, Origin, CSRF ---- */

/* The session of the call's cookie into call->session; quiet: a failure leaves no session and
 * renders nothing (the header of an error page), else it renders 500/503 and answers -1. */
static int auth_session_lookup(struct call *call, bool quiet)
{
	uint8_t token_hash[TOKEN_HASH_SIZE];
	const char *cookie = auth_cookie(call->request, "session");
	call->session = NULL;
	if (cookie == NULL)
		return 0;
	if (token_parse(cookie, strlen(cookie), token_hash) != TOKEN_OK) {
		auth_cookie_delete(call, "session");
		return 0;
	}
	struct db_session *session = arena_calloc(call->request->arena, 1, sizeof(*session));
	if (session == NULL) {
		if (!quiet)
			render_error(call, 500, "Something went wrong on our side. Please try again.");
		return quiet ? 0 : -1;
	}
	const struct config *config = &call->app->config;
	enum db_status status = db_session_find(call->app->db, call->request->arena, token_hash, config->session_idle_ms,
	                                        config->session_absolute_ms, session);
	if (status == DB_NOT_FOUND) {
		auth_cookie_delete(call, "session");
		return 0;
	}
	if (status != DB_OK) {
		if (quiet)
			return 0;
		auth_database_error(call, status);
		return -1;
	}
	call->session = session;
	return 0;
}

int auth_session_load(struct call *call)
{
	return auth_session_lookup(call, false);
}

void auth_session_load_quietly(struct call *call)
{
	(void)auth_session_lookup(call, true);
}

/* This site's origin as the browser names it: scheme://host[:port]. HTTP_HOST may come with its
 * port (nginx's $http_host) or without (Debian's fastcgi_params pass $host): then SERVER_PORT,
 * the port nginx accepted the request on, is added unless it is the scheme's default. */
static bool auth_request_origin(const struct request *request, char *out, size_t size)
{
	const char *scheme = request->https ? "https" : "http";
	const char *port = request_param(request, "SERVER_PORT");
	bool default_port = port == NULL || strcmp(port, request->https ? "443" : "80") == 0;
	if (request->host[0] == '\0')
		return false;
	int written = strchr(request->host, ':') != NULL || default_port
	                      ? snprintf(out, size, "%s://%s", scheme, request->host)
	                      : snprintf(out, size, "%s://%s:%s", scheme, request->host, port);
	return written > 0 && (size_t)written < size;
}

bool auth_site_origin(const struct call *call, char *out, size_t size)
{
	const char *public_origin = call->app->config.origin;
	if (public_origin == NULL || public_origin[0] == '\0')
		return auth_request_origin(call->request, out, size);
	int written = snprintf(out, size, "%s", public_origin);
	return written > 0 && (size_t)written < size;
}

bool auth_origin_allowed(const struct request *request, const char *public_origin)
{
	char origin[512];
	const char *fetch_site = request_param(request, "HTTP_SEC_FETCH_SITE");
	if (fetch_site != NULL && strcmp(fetch_site, "cross-site") == 0)
		return false;
	if (request->origin == NULL)
		return true;
	if (public_origin != NULL && public_origin[0] != '\0')
		return strcasecmp(request->origin, public_origin) == 0;
	return auth_request_origin(request, origin, sizeof(origin)) && strcasecmp(request->origin, origin) == 0;
}

static bool auth_csrf_matches(struct call *call, const uint8_t secret[TOKEN_CSRF_SECRET_SIZE])
{
	const char *sent = fields_value(&call->request->form, "csrf");
	return sent != NULL && token_csrf_check(secret, call->pattern, sent, strlen(sent));
}

bool auth_session_csrf_check(struct call *call)
{
	return call->session != NULL && auth_csrf_matches(call, call->session->csrf_secret);
}

/* The CSRF secret of the caller's visitor cookie, or false (no cookie, or no usable key). */
static bool auth_visitor_secret(struct call *call, const char *visitor, uint8_t out[TOKEN_CSRF_SECRET_SIZE])
{
	const char *key = secrets_get(&call->app->secrets, "csrf_key");
	if (visitor == NULL || key == NULL)
		return false;
	return token_csrf_visitor_secret(key, strlen(key), visitor, strlen(visitor), out) == TOKEN_OK;
}

bool auth_visitor_csrf_check(struct call *call)
{
	uint8_t secret[TOKEN_CSRF_SECRET_SIZE];
	return auth_visitor_secret(call, auth_cookie(call->request, "visitor"), secret) &&
	       auth_csrf_matches(call, secret);
}

const char *auth_session_csrf_token(struct call *call, const char *form_pattern)
{
	char *token = arena_alloc(call->request->arena, TOKEN_TEXT_SIZE);
	if (call->session == NULL || token == NULL)
		return "";
	token_csrf_for(call->session->csrf_secret, form_pattern, token);
	return token;
}

const char *auth_visitor_csrf_token(struct call *call, const char *form_pattern)
{
	const char *visitor = auth_cookie(call->request, "visitor");
	char fresh[TOKEN_TEXT_SIZE];
	uint8_t secret[TOKEN_CSRF_SECRET_SIZE];
	char *token = arena_alloc(call->request->arena, TOKEN_TEXT_SIZE);
	if (visitor == NULL || token_parse(visitor, strlen(visitor), secret) != TOKEN_OK) {
		token_new(fresh);
		auth_cookie_set(call, "visitor", fresh);
		visitor = fresh;
	}
	if (token == NULL || !auth_visitor_secret(call, visitor, secret))
		return "";
	token_csrf_for(secret, form_pattern, token);
	return token;
}

/* ---- pages ---- */

/* The page sign-in or sign-up returns to: `next` of the form (POST) or of the query (GET) when
 * it is exactly the path of a GET route (routes_get_path), else NULL: anything else is ignored,
 * never an error. */
static const char *auth_next(struct call *call)
{
	const struct fields *fields = strcmp(call->request->method, "POST") == 0 ? &call->request->form : &call->request->query;
	const char *next = fields_value(fields, "next");
	return routes_get_path(next) ? next : NULL;
}

/* The data of the sign-up / sign-in form: the token, the page to return to and why the person
 * is asked to sign in; the caller adds what they typed (never the password) and the messages. */
static struct json_object *auth_form_data(struct call *call, const char *form_pattern)
{
	struct json_object *data = json_object_new_object();
	const char *next = auth_next(call);
	if (data == NULL)
		return NULL;
	json_object_object_add(data, "csrf", json_object_new_string(auth_visitor_csrf_token(call, form_pattern)));
	if (next != NULL) {
		json_object_object_add(data, "next", json_object_new_string(next));
		json_object_object_add(data, "to_file", json_object_new_boolean(strcmp(next, "/complaints/new") == 0));
	}
	return data;
}

static void auth_add_string(struct json_object *data, const char *key, const char *value)
{
	if (data != NULL && value != NULL)
		json_object_object_add(data, key, json_object_new_string(value));
}

/* The empty sign-up or sign-in form (its template is named like its path); a signed-in caller
 * goes on to the page it names, or to their account. */
static void auth_visitor_form(struct call *call, const char *title)
{
	if (call->session != NULL) {
		const char *next = auth_next(call);
		response_redirect(call->response, 303, next != NULL ? next : "/account");
		return;
	}
	struct json_object *data = auth_form_data(call, call->pattern);
	const char *password = fields_value(&call->request->query, "password");
	if (data != NULL && password != NULL && strcmp(password, "set") == 0)
		json_object_object_add(data, "password_set", json_object_new_boolean(1));
	response_header(call->response, "Cache-Control", "no-store");
	render_page(call, 200, title, call->pattern + 1, data);
}

void auth_signup_form(struct call *call)
{
	auth_visitor_form(call, "Create an account");
}

void auth_signin_form(struct call *call)
{
	auth_visitor_form(call, "Sign in");
}

/* ---- the bound on hashing, and sign-in throttling ---- */

static void auth_hash_slot_give_back(void *slots)
{
	slots_give_back(slots);
}

bool auth_hash_slot(struct call *call, const char *what)
{
	struct slots *slots = &call->app->hash_slots;
	if (slots_take(slots) == SLOTS_OK && arena_cleanup_add(call->request->arena, auth_hash_slot_give_back, slots) == 0)
		return true;
	log_warn("auth: %s from %s refused: all %u password-hashing slots are busy", what, call->request->remote_addr,
	         slots->count);
	response_header(call->response, "Retry-After", "1");
	render_error(call, 503, "The server is busy checking other passwords. Please try again in a moment.");
	return false;
}

static struct throttle_policy auth_throttle_policy(const struct config *config)
{
	return (struct throttle_policy){
		.rules = {
			[THROTTLE_PAIR] = {(unsigned)config->signin_pair_free_failures, config->signin_first_delay_ms,
			                   config->signin_pair_max_delay_ms, (unsigned)config->signin_lock_failures,
			                   config->signin_lock_ms},
			[THROTTLE_ADDRESS] = {(unsigned)config->signin_address_free_failures, config->signin_first_delay_ms,
			                      config->signin_address_max_delay_ms, 0, 0},
			[THROTTLE_EMAIL] = {(unsigned)config->signin_email_free_failures, config->signin_first_delay_ms,
			                    config->signin_email_max_delay_ms, 0, 0},
		},
		.window_ms = config->signin_window_ms,
	};
}

/* "account 42" or "an unknown email", for the log (never the typed email itself). */
static const char *auth_who(struct arena *arena, bool known, int64_t account_id)
{
	if (!known)
		return "an unknown email";
	char *text = arena_alloc(arena, 32);
	if (text != NULL)
		snprintf(text, 32, "account %lld", (long long)account_id);
	return text != NULL ? text : "an account";
}

/* "1 second", "45 seconds", "15 minutes" (rounded up): how long a wait lasts, for people. */
static void auth_duration_text(int64_t seconds, char *out, size_t size)
{
	if (seconds < 120)
		snprintf(out, size, "%lld second%s", (long long)seconds, seconds == 1 ? "" : "s");
	else
		snprintf(out, size, "%lld minutes", (long long)((seconds + 59) / 60));
}

/* The sign-in form again, 429, saying how long to wait and until when, with Retry-After. */
static void auth_signin_throttled(struct call *call, const char *email, const char *who,
                                  struct throttle_verdict verdict, int64_t now_ms)
{
	int64_t wait_s = (verdict.until_ms - now_ms + 999) / 1000;
	time_t until = (time_t)((verdict.until_ms + 999) / 1000);
	struct tm tm;
	char clock[16] = "", seconds[24], duration[32], message[320];
	if (localtime_r(&until, &tm) != NULL)  /* the city's zone, [server] time_zone */
		strftime(clock, sizeof clock, "%H:%M:%S", &tm);
	snprintf(seconds, sizeof seconds, "%lld", (long long)wait_s);
	auth_duration_text(wait_s, duration, sizeof duration);
	if (verdict.kind == THROTTLE_LOCKED)
		snprintf(message, sizeof message,
		         "Too many failed sign-ins with this email from your network: signing in with it from here is "
		         "locked until %s (in %s). You can still sign in from another network.",
		         clock, duration);
	else
		snprintf(message, sizeof message, "Too many failed sign-ins. Please wait %s (until %s) before trying again.",
		         duration, clock);
	log_warn("auth: sign-in %s for %s from %s (%s) until %s %s", verdict.kind == THROTTLE_LOCKED ? "locked" : "throttled",
	         who, call->request->remote_addr, throttle_scope_name(verdict.scope), clock, call->app->config.time_zone);
	struct json_object *data = auth_form_data(call, "/signin");
	auth_add_string(data, "email", email);
	auth_add_string(data, "error", message);
	response_header(call->response, "Retry-After", seconds);
	response_header(call->response, "Cache-Control", "no-store");
	render_page(call, 429, "Sign in", "signin", data);
}

/* Gives the browser the session cookie of a new session and sends it on to the page that asked
 * for the sign-in, or to its account. */
static void auth_signed_in(struct call *call, const char *token)
{
	const char *next = auth_next(call);
	auth_cookie_set(call, "session", token);
	response_header(call->response, "Cache-Control", "no-store");
	response_redirect(call->response, 303, next != NULL ? next : "/account");
}

/* A new session's token (for the cookie) and what the database stores of it. */
static void auth_new_session(char token[TOKEN_TEXT_SIZE], struct db_new_session *session)
{
	token_new(token);
	token_hash(token, TOKEN_TEXT_LEN, session->token_hash);
	token_csrf_secret_new(session->csrf_secret);
}

/* ---- requests that send a mail (sign-up, a password reset) ---- */

static struct throttle_policy auth_mail_policy(const struct config *config)
{
	return (struct throttle_policy){
		.rules = {
			/* The pair adds nothing to its two halves. */
			[THROTTLE_PAIR] = {0, 0, 0, 0, 0},
			/* Every request counts (not only failures), and a scope lets the request after its
			 * free count through: so one fewer free. */
			[THROTTLE_ADDRESS] = {(unsigned)config->mail_address_free - 1, config->mail_first_delay_ms,
			                      config->mail_address_max_delay_ms, 0, 0},
			[THROTTLE_EMAIL] = {(unsigned)config->mail_email_free - 1, config->mail_first_delay_ms,
			                    THROTTLE_EMAIL_DELAY_CAP_MS, 0, 0},
		},
		.window_ms = config->mail_window_ms,
	};
}

int auth_mail_request(struct call *call, const char *email, struct throttle_subjects *subjects,
                      struct db_mail_request *request, int64_t *wait_s)
{
	const struct config *config = &call->app->config;
	char keyed_email[300], keyed_address[128];
	struct throttle_count counts[THROTTLE_SCOPES];
	int64_t now_ms = 0;
	const struct throttle_policy policy = auth_mail_policy(config);
	/* Their own subjects, apart from the sign-in failures of the same email and address. */
	snprintf(keyed_email, sizeof(keyed_email), "mail:%s", email);
	snprintf(keyed_address, sizeof(keyed_address), "mail:%s", call->request->remote_addr);
	throttle_subjects_make(keyed_email, keyed_address, subjects);
	*request = (struct db_mail_request){subjects, policy.window_ms, policy.window_ms};
	enum db_status status = db_throttle_read(call->app->db, call->request->arena, subjects, counts, &now_ms);
	if (status != DB_OK) {
		auth_database_error(call, status);
		return -1;
	}
	struct throttle_verdict verdict = throttle_judge(&policy, counts, now_ms);
	if (verdict.kind == THROTTLE_ALLOW)
		return 0;
	*wait_s = (verdict.until_ms - now_ms + 999) / 1000;
	log_warn("auth: %s from %s throttled (%s) for %lld s", call->pattern, call->request->remote_addr,
	         throttle_scope_name(verdict.scope), (long long)*wait_s);
	return 1;
}

/* A throttled mail request's headers (Retry-After, no-store) and its sentence into message. */
static void auth_mail_wait(struct call *call, int64_t wait_s, char *message, size_t size)
{
	char seconds[24], duration[32];
	snprintf(seconds, sizeof(seconds), "%lld", (long long)wait_s);
	auth_duration_text(wait_s, duration, sizeof(duration));
	snprintf(message, size,
	         "Too many requests for this address or from your network. Please wait %s before trying again.", duration);
	response_header(call->response, "Retry-After", seconds);
	response_header(call->response, "Cache-Control", "no-store");
}

void auth_mail_throttled(struct call *call, struct json_object *data, const char *title, const char *template,
                         int64_t wait_s)
{
	char message[256];
	auth_mail_wait(call, wait_s, message, sizeof(message));
	auth_add_string(data, "error", message);
	render_page(call, 429, title, template, data);
}

void auth_mail_throttled_error(struct call *call, int64_t wait_s)
{
	char message[256];
	auth_mail_wait(call, wait_s, message, sizeof(message));
	render_error(call, 429, message);
}

void auth_check_mail(struct call *call, const char *title, const char *sentence, bool signin)
{
	struct json_object *data = json_object_new_object();
	const char *next = auth_next(call);
	auth_add_string(data, "sentence", sentence);
	if (data != NULL && signin)
		json_object_object_add(data, "signin", json_object_new_boolean(1));
	auth_add_string(data, "next", next);
	response_header(call->response, "Cache-Control", "no-store");
	render_page(call, 200, title, "check_mail", data);
}

void auth_signup(struct call *call)
{
	struct arena *arena = call->request->arena;
	const struct config *config = &call->app->config;
	const char *name = text_trimmed(arena, fields_value(&call->request->form, "name"));
	const char *email = text_trimmed(arena, fields_value(&call->request->form, "email"));
	const char *password = fields_value(&call->request->form, "password");
	char reason[PASSWORD_REASON_SIZE] = "";
	char hash[PASSWORD_HASH_SIZE];
	char sentence[512];
	struct throttle_subjects subjects;
	struct db_mail_request request;
	int64_t wait_s = 0;
	struct json_object *data = auth_form_data(call, "/signup");
	auth_add_string(data, "name", name);
	auth_add_string(data, "email", email);

	const char *name_problem = account_name_problem(name);
	const char *email_problem = account_email_problem(email);
	bool password_ok = password != NULL && password_policy_check(password, strlen(password), call->app->common_passwords,
	                                                             reason, sizeof(reason)) == PASSWORD_OK;
	if (password == NULL || password[0] == '\0')
		snprintf(reason, sizeof(reason), "Please choose a password of at least %d characters.", PASSWORD_CHARS_MIN);
	if (name_problem != NULL || email_problem != NULL || !password_ok) {
		auth_add_string(data, "name_error", name_problem);
		auth_add_string(data, "email_error", email_problem);
		auth_add_string(data, "password_error", password_ok ? NULL : reason);
		render_page(call, 422, "Create an account", "signup", data);
		return;
	}
	int throttled = auth_mail_request(call, email, &subjects, &request, &wait_s);
	if (throttled != 0) {
		if (throttled > 0)
			auth_mail_throttled(call, data, "Create an account", "signup", wait_s);
		else
			json_object_put(data);
		return;
	}
	json_object_put(data);
	/* The same argon2id work for a new and a taken address: the answer's time tells nothing. */
	if (!auth_hash_slot(call, "sign-up"))
		return;
	if (password_hash(password, strlen(password), config->password_ops_limit, config->password_mem_limit, hash) !=
	    PASSWORD_OK) {
		render_error(call, 503, "The server is too busy to create accounts. Please try again.");
		return;
	}
	enum db_status status = db_signup(call->app->db, name, email, hash, &request);
	/* DB_DUPLICATE: another sign-up of the same new address won a moment ago; its mail is on the way. */
	if (status != DB_OK && status != DB_DUPLICATE) {
		auth_database_error(call, status);
		return;
	}
	log_info("auth: sign-up from %s answered (a new account, or a mail to the address's owner)",
	         call->request->remote_addr);
	snprintf(sentence, sizeof(sentence),
	         "We sent a mail to %s. If the address is new here, your account is made: sign in with the password you "
	         "chose and follow the mail's link to confirm the address. Complaints you file reach the city's queue once "
	         "the address is confirmed.",
	         email);
	auth_check_mail(call, "Check your mail", sentence, true);
}

void auth_forgot_form(struct call *call)
{
	struct json_object *data = auth_form_data(call, "/forgot");
	response_header(call->response, "Cache-Control", "no-store");
	render_page(call, 200, "Forgot your password?", "forgot", data);
}

void auth_forgot(struct call *call)
{
	const char *email = text_trimmed(call->request->arena, fields_value(&call->request->form, "email"));
	char sentence[512], lifetime[64];
	struct throttle_subjects subjects;
	struct db_mail_request request;
	int64_t wait_s = 0;
	struct json_object *data = auth_form_data(call, "/forgot");
	auth_add_string(data, "email", email);
	const char *email_problem = account_email_problem(email);
	if (email_problem != NULL) {
		auth_add_string(data, "email_error", email_problem);
		render_page(call, 422, "Forgot your password?", "forgot", data);
		return;
	}
	/* Throttled by what was typed, and then the same statements for any address: whether it has
	 * an account changes only whether the outbox's INSERT ... SELECT finds a row. */
	int throttled = auth_mail_request(call, email, &subjects, &request, &wait_s);
	if (throttled != 0) {
		if (throttled > 0)
			auth_mail_throttled(call, data, "Forgot your password?", "forgot", wait_s);
		else
			json_object_put(data);
		return;
	}
	json_object_put(data);
	enum db_status status = db_reset_request(call->app->db, email, &request);
	if (status != DB_OK) {
		auth_database_error(call, status);
		return;
	}
	log_info("auth: password reset asked from %s", call->request->remote_addr);
	linktoken_duration_text(call->app->config.reset_link_lifetime_ms, lifetime, sizeof(lifetime));
	snprintf(sentence, sizeof(sentence),
	         "If an account uses %s, we sent it a link to choose a new password. The link works once, for %s. "
	         "No mail after a few minutes? Check the spam folder, or ask again.",
	         email, lifetime);
	auth_check_mail(call, "Check your mail", sentence, false);
}

void auth_signin(struct call *call)
{
	struct arena *arena = call->request->arena;
	const struct config *config = &call->app->config;
	const char *email = text_trimmed(arena, fields_value(&call->request->form, "email"));
	const char *password = fields_value(&call->request->form, "password");
	struct db_credentials credentials = {0};
	char token[TOKEN_TEXT_SIZE];
	char rehashed[PASSWORD_HASH_SIZE];
	struct db_new_session session;
	uint8_t replaced[TOKEN_HASH_SIZE];
	const char *old_cookie = auth_cookie(call->request, "session");
	if (password == NULL)
		password = "";

	/* A busy host refuses first, before any database work: a flood is turned away cheaply and
	 * the workers stay free for pages. The slot is then held until the answer is written. */
	if (!auth_hash_slot(call, "sign-in"))
		return;
	enum db_status status = db_credentials_by_email(call->app->db, arena, email, &credentials);
	if (status != DB_OK && status != DB_NOT_FOUND) {
		auth_database_error(call, status);
		return;
	}
	bool known = status == DB_OK;
	const char *who = auth_who(arena, known, credentials.account_id);

	/* Throttled before any hashing, by what was typed: the same for a known and an unknown email. */
	struct throttle_subjects subjects;
	struct throttle_count counts[THROTTLE_SCOPES];
	int64_t now_ms = 0;
	const struct throttle_policy policy = auth_throttle_policy(config);
	throttle_subjects_make(email != NULL ? email : "", call->request->remote_addr, &subjects);
	status = db_throttle_read(call->app->db, arena, &subjects, counts, &now_ms);
	if (status != DB_OK) {
		auth_database_error(call, status);
		return;
	}
	struct throttle_verdict verdict = throttle_judge(&policy, counts, now_ms);
	if (verdict.kind != THROTTLE_ALLOW) {
		auth_signin_throttled(call, email, who, verdict, now_ms);
		return;
	}

	/* One argon2id verification on every path: unknown emails are checked against the dummy. */
	bool verified = password_verify(known ? credentials.password_hash : NULL, password, strlen(password));
	if (!verified || credentials.disabled) {
		status = db_throttle_fail(call->app->db, &subjects, policy.window_ms,
		                          policy.window_ms + config->signin_lock_ms);
		if (status != DB_OK)
			log_error("auth: the failed sign-in of %s from %s could not be counted: %s", who,
			          call->request->remote_addr, db_strerror(status));
		log_warn("auth: sign-in failed for %s from %s", who, call->request->remote_addr);
		struct json_object *data = auth_form_data(call, "/signin");
		auth_add_string(data, "email", email);
		auth_add_string(data, "error", auth_wrong_credentials);
		render_page(call, 401, "Sign in", "signin", data);
		return;
	}
	bool rehash = password_needs_rehash(credentials.password_hash, config->password_ops_limit,
	                                    config->password_mem_limit) &&
	              password_hash(password, strlen(password), config->password_ops_limit, config->password_mem_limit,
	                            rehashed) == PASSWORD_OK;
	bool replaces = old_cookie != NULL && token_parse(old_cookie, strlen(old_cookie), replaced) == TOKEN_OK;
	auth_new_session(token, &session);
	status = db_session_start(call->app->db, credentials.account_id, replaces ? replaced : NULL, &session,
	                          rehash ? rehashed : NULL);
	if (status != DB_OK) {
		auth_database_error(call, status);
		return;
	}
	/* A success forgets the failures of its pair (the address's and the email's stay). */
	if (counts[THROTTLE_PAIR].failures > 0 && db_throttle_clear_pair(call->app->db, &subjects) != DB_OK)
		log_error("auth: the failures of account %lld from %s could not be cleared", (long long)credentials.account_id,
		          call->request->remote_addr);
	log_info("auth: account %lld signed in from %s", (long long)credentials.account_id, call->request->remote_addr);
	auth_signed_in(call, token);
}

void auth_signout(struct call *call)
{
	enum db_status status = db_session_end(call->app->db, call->session->id);
	if (status != DB_OK) {
		auth_database_error(call, status);
		return;
	}
	auth_cookie_delete(call, "session");
	response_header(call->response, "Cache-Control", "no-store");
	/* What the session saw (its photos) leaves the browser's cache too: a shared computer. */
	response_header(call->response, "Clear-Site-Data", "\"cache\"");
	response_redirect(call->response, 303, "/");
}

/* The account page's data for the session's account (into account), or NULL with an error page
 * written. */
static struct json_object *auth_account_data(struct call *call, struct db_account *account)
{
	enum db_status found = db_account_get(call->app->db, call->request->arena, call->session, account);
	if (found == DB_NOT_FOUND) {
		render_error(call, 404, "This account no longer exists.");
		return NULL;
	}
	if (found != DB_OK) {
		auth_database_error(call, found);
		return NULL;
	}
	struct json_object *data = json_object_new_object();
	if (data == NULL) {
		render_error(call, 500, "Something went wrong on our side. Please try again.");
		return NULL;
	}
	auth_add_string(data, "name", account->name);
	auth_add_string(data, "email", account->email);
	auth_add_string(data, "role", account_role_word(account->role));
	auth_add_string(data, "created_at", render_time(call, account->created_at));
	auth_add_string(data, "password_csrf", auth_session_csrf_token(call, "/password"));
	if (!account->confirmed) {
		char lifetime[32];
		linktoken_lifetime_text(LINKTOKEN_EMAIL_CONFIRM, lifetime, sizeof(lifetime));
		json_object_object_add(data, "unconfirmed", json_object_new_boolean(1));
		auth_add_string(data, "confirm_csrf", auth_session_csrf_token(call, "/account/confirmation"));
		auth_add_string(data, "confirm_lifetime", lifetime);
	}
	unsubscribe_account_data(call, account->role, account->mail_off, data);
	return data;
}

/* The account page, with messages for the password form when it came back refused. */
static void auth_account_render(struct call *call, int status, const char *password_error, bool changed)
{
	struct db_account account;
	struct json_object *data = auth_account_data(call, &account);
	if (data == NULL)
		return;
	auth_add_string(data, "password_error", password_error);
	if (changed)
		json_object_object_add(data, "password_changed", json_object_new_boolean(1));
	response_header(call->response, "Cache-Control", "no-store");
	render_page(call, status, "Your account", "account", data);
}

void auth_account_page(struct call *call)
{
	const char *changed = fields_value(&call->request->query, "changed");
	struct db_account account;
	struct json_object *data = auth_account_data(call, &account);
	if (data == NULL)
		return;
	if (changed != NULL && strcmp(changed, "password") == 0)
		json_object_object_add(data, "password_changed", json_object_new_boolean(1));
	/* After "Send the confirmation link again" (a reload says it again: nothing is sent). */
	const char *sent = fields_value(&call->request->query, "sent");
	if (sent != NULL && strcmp(sent, "confirmation") == 0 && !account.confirmed)
		json_object_object_add(data, "confirmation_sent", json_object_new_boolean(1));
	response_header(call->response, "Cache-Control", "no-store");
	render_page(call, 200, "Your account", "account", data);
}

void auth_confirm_again(struct call *call)
{
	static const char confirmed[] = "Your email address is confirmed already, so no mail was sent.";
	struct throttle_subjects subjects;
	struct db_mail_request request;
	struct db_account account;
	int64_t wait_s = 0;
	bool queued = false;
	struct json_object *data = auth_account_data(call, &account);
	if (data == NULL)
		return;
	if (account.confirmed) {
		json_object_put(data);
		render_error(call, 409, confirmed);
		return;
	}
	/* The budgets of "Forgot your password?": the account's address and the client's. */
	int throttled = auth_mail_request(call, account.email, &subjects, &request, &wait_s);
	if (throttled != 0) {
		if (throttled > 0)
			auth_mail_throttled(call, data, "Your account", "account", wait_s);
		else
			json_object_put(data);
		return;
	}
	json_object_put(data);
	enum db_status status = db_confirm_again(call->app->db, call->session, &request, &queued);
	if (status != DB_OK) {
		auth_database_error(call, status);
		return;
	}
	if (!queued) {   /* confirmed between the page's read and the mail's INSERT */
		render_error(call, 409, confirmed);
		return;
	}
	log_info("auth: account %lld asked for its confirmation link again", (long long)call->session->account_id);
	response_redirect(call->response, 303, "/account?sent=confirmation");
}

void auth_password_change(struct call *call)
{
	struct arena *arena = call->request->arena;
	const struct config *config = &call->app->config;
	const char *current = fields_value(&call->request->form, "current");
	const char *password = fields_value(&call->request->form, "password");
	struct db_credentials credentials = {0};
	char reason[PASSWORD_REASON_SIZE] = "";
	char hash[PASSWORD_HASH_SIZE];
	if (current == NULL)
		current = "";
	if (password == NULL)
		password = "";

	enum db_status status = db_credentials_by_id(call->app->db, arena, call->session->account_id, &credentials);
	if (status != DB_OK) {
		auth_database_error(call, status);
		return;
	}
	if (!auth_hash_slot(call, "password change"))
		return;
	if (!password_verify(credentials.password_hash, current, strlen(current))) {
		auth_account_render(call, 422, "Your current password is not right.", false);
		return;
	}
	if (password_policy_check(password, strlen(password), call->app->common_passwords, reason, sizeof(reason)) !=
	    PASSWORD_OK) {
		auth_account_render(call, 422, reason, false);
		return;
	}
	if (password_hash(password, strlen(password), config->password_ops_limit, config->password_mem_limit, hash) !=
	    PASSWORD_OK) {
		render_error(call, 503, "The server is too busy right now. Please try again.");
		return;
	}
	status = db_password_change(call->app->db, call->session, hash);
	if (status != DB_OK) {
		auth_database_error(call, status);
		return;
	}
	log_info("auth: account %lld changed its password; its other sessions ended", (long long)call->session->account_id);
	response_redirect(call->response, 303, "/account?changed=password");
}
