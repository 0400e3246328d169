/*
 * mail.c: mail through the [smtp] replica set (see mail.h).
 */
#include "mail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "config.h"
#include "log.h"
#include "repl.h"
#include "secrets.h"
#include "store/backend.h"

struct mail {
	struct backend backend;   /* [smtp]: smtp.send */
	enum repl_smtp_tls tls;
	char *from;
	char *user;               /* NULL: no AUTH */
	char *password;
};

struct mail *mail_new(const struct config *config, const struct secrets *secrets, char *error, size_t error_size)
{
	struct mail *mail = calloc(1, sizeof(*mail));
	if (mail == NULL) {
		snprintf(error, error_size, "out of memory");
		return NULL;
	}
	if (backend_init(&mail->backend, BACKEND_SMTP, config, error, error_size) != 0)
		goto fail;
	if (!mail->backend.configured)
		return mail;
	mail->tls = strcmp(config->smtp_tls, "none") == 0 ? REPL_SMTP_TLS_NONE : REPL_SMTP_TLS_REQUIRED;
	mail->from = strdup(config->smtp_from);
	if (mail->from == NULL)
		goto nomem;
	if (config->smtp_auth) {
		/* config_check_secrets made sure both are there. */
		const char *user = secrets_get(secrets, "smtp_user");
		const char *password = secrets_get(secrets, "smtp_password");
		mail->user = strdup(user != NULL ? user : "");
		mail->password = strdup(password != NULL ? password : "");
		if (mail->user == NULL || mail->password == NULL)
			goto nomem;
	}
	return mail;
nomem:
	snprintf(error, error_size, "out of memory");
fail:
	mail_free(mail);
	return NULL;
}

void mail_free(struct mail *mail)
{
	if (mail == NULL)
		return;
	backend_release(&mail->backend);
	if (mail->password != NULL)
		sodium_memzero(mail->password, strlen(mail->password));
	free(mail->password);
	free(mail->user);
	free(mail->from);
	free(mail);
}

bool mail_configured(const struct mail *mail)
{
	return mail != NULL && mail->backend.configured;
}

int mail_worker_start(struct mail *mail, struct repl_stats *stats, char *error, size_t error_size)
{
	return backend_worker_start(&mail->backend, stats, error, error_size);
}

void mail_worker_stop(struct mail *mail)
{
	if (mail != NULL)
		backend_worker_stop(&mail->backend);
}

const char *mail_from(const struct mail *mail)
{
	return mail->from != NULL ? mail->from : "";
}

/* "r1: connect; r2: reply 451" from the attempts, for last_error and the log. */
static void mail_describe_attempts(const struct mail *mail, const struct repl_result *result, char *out, size_t size)
{
	size_t n = 0;
	out[0] = '\0';
	for (unsigned i = 0; i < result->attempt_count && n < size; i++) {
		const struct repl_attempt *a = &result->attempts[i];
		const char *replica = a->replica < mail->backend.set.count ? mail->backend.set.replicas[a->replica].name : "?";
		int written = a->observation.cause == REPL_CAUSE_NONE
		                  ? snprintf(out + n, size - n, "%s%s: reply %ld", i ? "; " : "", replica, a->observation.smtp_reply)
		                  : snprintf(out + n, size - n, "%s%s: %s", i ? "; " : "", replica,
		                             repl_cause_name(a->observation.cause));
		if (written < 0)
			break;
		n += (size_t)written;
	}
	if (result->attempt_count == 0)
		snprintf(out, size, "%s", repl_strerror(result->status));
}

enum mail_send_status mail_send(struct mail *mail, const char *to, const char *data, size_t len, char *error,
                                size_t error_size)
{
	struct repl_result result;
	if (!mail_configured(mail)) {
		snprintf(error, error_size, "no [smtp] replicas configured");
		return MAIL_SEND_NOT_CONFIGURED;
	}
	const struct repl_smtp_message message = {
		.from = mail->from,
		.to = to,
		.data = data,
		.data_len = len,
		.tls = mail->tls,
		.username = mail->user,
		.password = mail->password,
	};
	enum repl_status status =
		repl_execute_smtp(mail->backend.client, &mail->backend.operations[BACKEND_SMTP_SEND], &message, &result);
	enum mail_send_status answer = status == REPL_OK      ? MAIL_SEND_OK
	                               : status == REPL_FINAL ? MAIL_SEND_REFUSED
	                                                      : MAIL_SEND_FAILED;
	if (answer != MAIL_SEND_OK)
		mail_describe_attempts(mail, &result, error, error_size);
	repl_result_free(&result);
	return answer;
}
