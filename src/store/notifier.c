/*
 * notifier.c: the notifier child (see notifier.h). A claim is named host:pid:n, unique per
 * claim, so a row claimed again after its lease passed is updated only by its new holder; each
 * message's lease is renewed just before it is sent, so a message goes out twice only when one
 * sending outlasts the lease or its notifier dies. Each claim first waits for the database schema
 * (store/schema.h).
 */
#include "notifier.h"

#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "arena.h"
#include "core/linktoken.h"
#include "core/mail.h"
#include "core/optout.h"
#include "core/workflow.h"
#include "log.h"
#include "runtime.h"
#include "secrets.h"
#include "store/db_outbox.h"
#include "store/db_tokens.h"
#include "store/mail.h"
#include "store/schema.h"
#include "view.h"

#define NOTIFIER_BATCH_MAX 1000
#define NOTIFIER_ARENA_BYTES (8L << 20)
#define NOTIFIER_ERROR_MAX 500

struct notifier {
	struct app *app;
	struct arena *arena;
	char host[64];
	unsigned long claims;
};

static void notifier_json_release(void *object)
{
	json_object_put(object);
}

static void notifier_set(struct json_object *context, const char *key, const char *value)
{
	json_object_object_add(context, key, json_object_new_string(value != NULL ? value : ""));
}

/* The templates' context: the row's data, plus the sentences and links of its kind. */
static struct json_object *notifier_context(struct notifier *n, const struct db_notification *row,
                                            const struct mail_kind *kind, char *link, size_t link_size)
{
	const char *public_url = n->app->config.public_url;
	struct json_object *context = json_tokener_parse(row->data);
	if (context == NULL || !json_object_is_type(context, json_type_object)) {
		json_object_put(context);
		return NULL;
	}
	if (arena_cleanup_add(n->arena, notifier_json_release, context) != 0)
		return NULL;
	struct json_object *value = NULL;
	const char *status = json_object_object_get_ex(context, "status", &value) ? json_object_get_string(value) : NULL;
	const char *closing = json_object_object_get_ex(context, "closing_reason", &value) && value != NULL
	                          ? json_object_get_string(value)
	                          : NULL;
	enum workflow_state state;
	notifier_set(context, "sentence", kind->sentence);
	/* The resident's sentence speaks to the reporter; a follower reads the kind's sentence alone. */
	if (status != NULL && kind->to != MAIL_TO_FOLLOWERS && workflow_state_parse(status, &state))
		notifier_set(context, "status_sentence", workflow_resident_sentence(state, closing));
	json_object_object_add(context, "complaint_id", json_object_new_int64(row->complaint_id));
	link[0] = '\0';
	if (public_url[0] != '\0') {
		snprintf(link, link_size, "%s/complaints/%lld", public_url, (long long)row->complaint_id);
		notifier_set(context, "link", link);
		char account[512];
		snprintf(account, sizeof(account), "%s/account", public_url);
		notifier_set(context, "account_link", account);
	}
	return context;
}

/* Renders context through TEMPLATE.text and TEMPLATE.html (templates/mail/) and composes the
 * message to row's recipient with its row-derived Message-ID; MAIL_OK, or why it can never be
 * sent (error). Both kinds of mail end here. */
static enum mail_status notifier_render_compose(struct notifier *n, const struct db_notification *row,
                                                struct json_object *context, const char *template,
                                                const char *subject, const char *list_unsubscribe, char **data,
                                                size_t *len, char *error, size_t error_size)
{
	char message_id[MAIL_MESSAGE_ID_MAX], view_error[VIEW_MESSAGE_MAX], name_text[64], name_html[64];
	char *text = NULL, *html = NULL;
	snprintf(name_text, sizeof(name_text), "%s.text", template);
	snprintf(name_html, sizeof(name_html), "%s.html", template);
	if (view_render(n->app->view, name_text, context, n->arena, &text, NULL, view_error, sizeof(view_error)) !=
	        VIEW_OK ||
	    view_render(n->app->view, name_html, context, n->arena, &html, NULL, view_error, sizeof(view_error)) !=
	        VIEW_OK) {
		snprintf(error, error_size, "templates: %s", view_error);
		return MAIL_TOO_LONG;
	}
	enum mail_status status = mail_message_id(row->id, n->app->config.notify_message_id_domain, message_id,
	                                          sizeof(message_id));
	if (status != MAIL_OK) {
		snprintf(error, error_size, "Message-ID: %s", mail_strerror(status));
		return status;
	}
	struct json_object *value = NULL;
	const struct mail_message message = {
		.from_name = "Complaints",
		.from_address = mail_from(n->app->mail),
		.to_name = json_object_object_get_ex(context, "name", &value) ? json_object_get_string(value) : "",
		.to_address = row->recipient,
		.subject = subject,
		.message_id = message_id,
		.date = time(NULL),
		.list_unsubscribe = list_unsubscribe,
		.text = text,
		.html = html,
	};
	status = mail_compose(n->arena, &message, data, len);
	if (status != MAIL_OK)
		snprintf(error, error_size, "%s", mail_strerror(status));
	return status;
}

/* Renders and composes row's message; MAIL_OK, or why it can never be sent (error). */
static enum mail_status notifier_compose(struct notifier *n, const struct db_notification *row, char **data,
                                         size_t *len, char *error, size_t error_size)
{
	const struct mail_kind *kind = mail_kind_find(row->kind);
	char link[512], subject[MAIL_HEADER_MAX], unsubscribe[768];
	if (kind == NULL) {
		snprintf(error, error_size, "unknown kind %s", row->kind);
		return MAIL_BAD_HEADER;
	}
	struct json_object *context = notifier_context(n, row, kind, link, sizeof(link));
	if (context == NULL) {
		snprintf(error, error_size, "data is not a JSON object");
		return MAIL_BAD_HEADER;
	}
	struct json_object *value = NULL;
	const char *category = json_object_object_get_ex(context, "category", &value) ? json_object_get_string(value) : "";
	snprintf(subject, sizeof(subject), "Complaint #%lld (%s): %s", (long long)row->complaint_id, category,
	         kind->subject);
	/* A status mail's one-click link (core/optout.h); none without public_url or the key. */
	bool one_click = kind->status_mail && n->app->config.public_url[0] != '\0' && row->account_id != 0 &&
	                 optout_link(secrets_get(&n->app->secrets, "unsubscribe_key"), n->app->config.public_url,
	                             row->account_id, row->kind, unsubscribe, sizeof(unsubscribe)) == OPTOUT_OK;
	return notifier_render_compose(n, row, context, "mail/notification", subject, one_click ? unsubscribe : NULL,
	                               data, len, error, error_size);
}

/* How long a link minted now works: a reset's is the operator's ([auth] reset_link_lifetime). */
static long long notifier_link_lifetime_ms(const struct config *config, enum linktoken_purpose purpose)
{
	return purpose == LINKTOKEN_PASSWORD_RESET ? config->reset_link_lifetime_ms : linktoken_lifetime_ms(purpose);
}

/* An account mail's link into link: for a minted kind a new token (only its hash stored, the
 * account's older unused links of the purpose voided), else the kind's page. MAIL_SEND_OK, or
 * FAILED (the database: again later) or REFUSED (no public_url: it can never carry a link). */
static enum mail_send_status notifier_account_link(struct notifier *n, const struct db_notification *row,
                                                   const struct mail_account_kind *kind, char *link, size_t link_size,
                                                   char *error, size_t error_size)
{
	const struct config *config = &n->app->config;
	char token[TOKEN_TEXT_SIZE];
	uint8_t hash[TOKEN_HASH_SIZE];
	int written;
	if (config->public_url[0] == '\0' || row->account_id == 0) {
		snprintf(error, error_size, "%s", row->account_id == 0 ? "no account" : "no [server] public_url for its link");
		return MAIL_SEND_REFUSED;
	}
	if (!kind->minted) {
		written = snprintf(link, link_size, "%s%s", config->public_url, kind->path);
		return written > 0 && (size_t)written < link_size ? MAIL_SEND_OK : MAIL_SEND_REFUSED;
	}
	linktoken_new(token, hash);
	written = snprintf(link, link_size, "%s%s?token=%s", config->public_url, linktoken_path(kind->purpose), token);
	sodium_memzero(token, sizeof(token));
	if (written < 0 || (size_t)written >= link_size) {
		snprintf(error, error_size, "[server] public_url too long for a link");
		return MAIL_SEND_REFUSED;
	}
	enum db_status status = db_tokens_mint(n->app->db, kind->purpose, row->account_id, hash,
	                                       notifier_link_lifetime_ms(config, kind->purpose));
	if (status != DB_OK) {
		snprintf(error, error_size, "the link's token could not be stored: %s", db_strerror(status));
		return MAIL_SEND_FAILED;
	}
	return MAIL_SEND_OK;
}

/* Renders and composes an account mail with its link; MAIL_OK, or why it can never be sent. */
static enum mail_status notifier_compose_account(struct notifier *n, const struct db_notification *row,
                                                 const struct mail_account_kind *kind, const char *link, char **data,
                                                 size_t *len, char *error, size_t error_size)
{
	char lifetime[64];
	struct json_object *context = json_tokener_parse(row->data);
	if (context == NULL || !json_object_is_type(context, json_type_object) ||
	    arena_cleanup_add(n->arena, notifier_json_release, context) != 0) {
		json_object_put(context);
		snprintf(error, error_size, "data is not a JSON object");
		return MAIL_BAD_HEADER;
	}
	notifier_set(context, "sentence", kind->sentence);
	notifier_set(context, "action", kind->action);
	notifier_set(context, "afterword", kind->afterword);
	notifier_set(context, "link", link);
	if (kind->minted) {
		linktoken_duration_text(notifier_link_lifetime_ms(&n->app->config, kind->purpose), lifetime, sizeof(lifetime));
		notifier_set(context, "lifetime", lifetime);
	}
	/* Mails a person asked for, or must have: never switched off, so no List-Unsubscribe. */
	return notifier_render_compose(n, row, context, "mail/account", kind->subject, NULL, data, len, error,
	                               error_size);
}

/* Sends one claimed message and records the outcome. */
static void notifier_deliver(struct notifier *n, const struct db_notification *row, const char *claim)
{
	const struct config *config = &n->app->config;
	char error[NOTIFIER_ERROR_MAX] = "";
	char *data = NULL;
	size_t len = 0;
	enum mail_send_status sent = MAIL_SEND_REFUSED;
	bool taken = false;
	/* A batch may take longer than the lease it was claimed under: each message's lease is
	 * renewed just before it goes out, and one another notifier took meanwhile is left to it. */
	if (db_outbox_take(n->app->db, row->id, claim, config->notify_lease_ms, &taken) != DB_OK || !taken)
		return;
	const struct mail_account_kind *account = mail_account_kind_find(row->kind);
	if (account != NULL) {
		/* The link's token exists from here on, only in this message: the row never holds it. A
		 * repeat of the row mints a new one, which voids this one. */
		char link[1024];
		sent = notifier_account_link(n, row, account, link, sizeof(link), error, sizeof(error));
		if (sent == MAIL_SEND_OK) {
			sent = MAIL_SEND_REFUSED;
			if (notifier_compose_account(n, row, account, link, &data, &len, error, sizeof(error)) == MAIL_OK)
				sent = mail_send(n->app->mail, row->recipient, data, len, error, sizeof(error));
			sodium_memzero(link, sizeof(link));
		}
	} else if (notifier_compose(n, row, &data, &len, error, sizeof(error)) == MAIL_OK)
		sent = mail_send(n->app->mail, row->recipient, data, len, error, sizeof(error));
	if (sent == MAIL_SEND_OK) {
		db_outbox_sent(n->app->db, row->id, claim);
		log_info("notifier: message %lld (%s) sent", (long long)row->id, row->kind);
		return;
	}
	unsigned attempts = row->attempts + 1;
	long long retry = mail_backoff_ms(attempts, config->notify_backoff_base_ms, config->notify_backoff_max_ms,
	                                  randombytes_random());
	bool for_good = sent == MAIL_SEND_REFUSED || attempts >= (unsigned long long)config->notify_max_attempts;
	db_outbox_failed(n->app->db, row->id, claim, retry, sent == MAIL_SEND_REFUSED, config->notify_max_attempts,
	                 error);
	if (for_good)
		log_error("notifier: message %lld (%s) failed for good after %u attempts: %s", (long long)row->id, row->kind,
		          attempts, error);
	else
		log_warn("notifier: message %lld (%s) not sent (attempt %u): %s; again in %lld ms", (long long)row->id,
		         row->kind, attempts, error, retry);
}

/* One claim and its deliveries; the number of messages claimed. */
static size_t notifier_pass(struct notifier *n)
{
	struct db_notification rows[NOTIFIER_BATCH_MAX];
	size_t count = 0;
	size_t max = (size_t)n->app->config.notify_batch;
	char claim[128];
	snprintf(claim, sizeof(claim), "%s:%ld:%lu", n->host, (long)getpid(), ++n->claims);
	if (max > NOTIFIER_BATCH_MAX)
		max = NOTIFIER_BATCH_MAX;
	if (db_outbox_claim(n->app->db, n->arena, claim, n->app->config.notify_lease_ms, rows, max, &count) != DB_OK)
		return 0;
	size_t i = 0;
	for (; i < count && !runtime_stop_requested(); i++)
		notifier_deliver(n, &rows[i], claim);
	/* Asked to stop mid-batch: what is left goes back at once rather than after its lease (a
	 * notifier that dies cannot, and its lease frees them). */
	if (i < count)
		db_outbox_release(n->app->db, claim);
	return count;
}

int notifier_main(void *context)
{
	struct app *app = context;
	struct notifier n = {.app = app};
	struct schema_guard schema = {"notifier", false};
	char error[256];
	if (!db_configured(app->db) || !mail_configured(app->mail)) {
		log_info("notifier: no database or no [smtp] replicas configured: nothing to deliver");
		while (!runtime_stop_requested())
			runtime_pause(60 * 1000);
		return 0;
	}
	if (mail_worker_start(app->mail, app->repl_stats, error, sizeof(error)) != 0) {
		log_error("notifier: %s", error);
		return 1;
	}
	if (gethostname(n.host, sizeof(n.host) - 1) != 0)
		snprintf(n.host, sizeof(n.host), "%s", app->config.location);
	n.arena = arena_create(NOTIFIER_ARENA_BYTES);
	if (n.arena == NULL)
		return 1;
	/* Sent messages past [notify] retention are the timer's to delete (store/retention.c). */
	while (schema_wait(&schema, app->db, n.arena)) {
		size_t claimed = notifier_pass(&n);
		arena_reset(n.arena);
		/* A full batch means more may be due: look again at once. */
		if (claimed < (size_t)app->config.notify_batch)
			runtime_pause(app->config.notify_interval_ms);
	}
	mail_worker_stop(app->mail);
	arena_destroy(n.arena);
	return 0;
}
