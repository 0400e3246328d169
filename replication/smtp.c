/*
 * smtp.c: librepl's SMTP transport over its own libcurl multi handle (driven, and its clock
 * kept, by curlm.c). One attempt sends one message to one replica
 * (smtp://host:port or smtps://host:port): connect, TLS (implicit for smtps://, STARTTLS with
 * CURLUSESSL_ALL for smtp:// unless the message says clear text), AUTH when credentials are
 * given, MAIL FROM, RCPT TO, DATA. A relay that does not offer STARTTLS fails the attempt; it
 * never gets the credentials in clear text, and credentials without TLS are refused before any
 * connection. Easy handles are made per attempt; the multi's connection cache keeps connections.
 */
#include "curlm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One attempt's state (xfer->data). */
struct smtp_attempt {
	struct repl_xfer *xfer;
	CURL *easy;
	struct curl_slist *recipients;
	char *from;                      /* "<address>" */
	const char *data;
	size_t len, sent;
};

static size_t on_read(char *buffer, size_t size, size_t count, void *user)
{
	struct smtp_attempt *a = user;
	size_t n = size * count;
	if (n > a->len - a->sent)
		n = a->len - a->sent;
	memcpy(buffer, a->data + a->sent, n);
	a->sent += n;
	return n;
}

/* An address goes between <> on a command line: nothing that could end or split the line. */
static bool address_ok(const char *s)
{
	return s && *s && !strpbrk(s, "\r\n<> ");
}

static void attempt_free(struct curlm *m, struct smtp_attempt *a)
{
	if (!a)
		return;
	if (a->easy) {
		curl_multi_remove_handle(m->multi, a->easy);
		curl_easy_cleanup(a->easy);
	}
	curl_slist_free_all(a->recipients);
	free(a->from);
	free(a);
}

static enum repl_status set_options(struct smtp_attempt *a, const struct repl_replica *replica,
                                    const struct repl_smtp_message *message)
{
	CURL *e = a->easy;
	CURLcode c = CURLE_OK;
	bool implicit = strncmp(replica->url, "smtps://", 8) == 0;
#define SET(option, value) do { if (c == CURLE_OK) c = curl_easy_setopt(e, option, value); } while (0)
	SET(CURLOPT_URL, replica->url);
	SET(CURLOPT_PRIVATE, (void *)a);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, implicit ? "smtps" : "smtp");
	SET(CURLOPT_USE_SSL, implicit || message->tls == REPL_SMTP_TLS_REQUIRED ? (long)CURLUSESSL_ALL
	                                                                        : (long)CURLUSESSL_NONE);
	SET(CURLOPT_MAIL_FROM, a->from);
	SET(CURLOPT_MAIL_RCPT, a->recipients);
	SET(CURLOPT_UPLOAD, 1L);
	SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)a->len);
	SET(CURLOPT_READFUNCTION, on_read);
	SET(CURLOPT_READDATA, (void *)a);
	if (message->username) {
		SET(CURLOPT_USERNAME, message->username);
		SET(CURLOPT_PASSWORD, message->password ? message->password : "");
	}
#undef SET
	return curlm_status(c);
}

static enum repl_status smtp_start(struct repl_transport *transport, struct repl_xfer *xfer)
{
	struct curlm *m = curlm_from_transport(transport);
	const struct repl_smtp_message *message = xfer->work;
	enum repl_status status = REPL_OK;
	const char *url = xfer->replica->url;
	bool implicit = strncmp(url, "smtps://", 8) == 0;
	struct smtp_attempt *a = NULL;

	if ((!implicit && strncmp(url, "smtp://", 7) != 0) || !address_ok(message->from) ||
	    !address_ok(message->to) || !message->data ||
	    (message->username && message->tls == REPL_SMTP_TLS_NONE && !implicit))
		return REPL_BAD_ARGUMENT;
	a = calloc(1, sizeof *a);
	if (!a)
		return REPL_NO_MEMORY;
	a->xfer = xfer;
	a->data = message->data;
	a->len = message->data_len;
	size_t from_len = strlen(message->from) + 3;
	a->from = malloc(from_len);
	char to[REPL_HTTP_HEADER_MAX];
	int n = snprintf(to, sizeof to, "<%s>", message->to);
	if (n < 0 || (size_t)n >= sizeof to) {
		status = REPL_BAD_ARGUMENT;
		goto out;
	}
	if (!a->from || !(a->recipients = curl_slist_append(NULL, to))) {
		status = REPL_NO_MEMORY;
		goto out;
	}
	snprintf(a->from, from_len, "<%s>", message->from);
	a->easy = curl_easy_init();
	if (!a->easy) {
		status = REPL_TRANSPORT;
		goto out;
	}
	status = set_options(a, xfer->replica, message);
	if (status != REPL_OK)
		goto out;
	if (curl_multi_add_handle(m->multi, a->easy) != CURLM_OK) {
		status = REPL_TRANSPORT;
		goto out;
	}
	xfer->data = a;
	a = NULL;
out:
	attempt_free(m, a);
	return status;
}

static void smtp_cancel(struct repl_transport *transport, struct repl_xfer *xfer, struct repl_observation *seen)
{
	(void)seen;
	attempt_free(curlm_from_transport(transport), xfer->data);
	xfer->data = NULL;
}

/* Without a server's refusal: everything not listed is a protocol error (a missing STARTTLS
 * included: CURLE_USE_SSL_FAILED). */
static const struct curlm_cause code_causes[] = {
	{CURLE_OPERATION_TIMEDOUT, REPL_CAUSE_TIMEOUT},
	{CURLE_COULDNT_CONNECT, REPL_CAUSE_CONNECT},
	{CURLE_COULDNT_RESOLVE_HOST, REPL_CAUSE_CONNECT},
	{CURLE_RECV_ERROR, REPL_CAUSE_CONNECT},
	{CURLE_SEND_ERROR, REPL_CAUSE_CONNECT},
	{CURLE_GOT_NOTHING, REPL_CAUSE_CONNECT},
	{CURLE_SSL_CONNECT_ERROR, REPL_CAUSE_CONNECT},
	{CURLE_PEER_FAILED_VERIFICATION, REPL_CAUSE_CONNECT},
};

static void observe(CURL *easy, CURLcode code, struct repl_observation *observation)
{
	long reply = 0;
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &reply);
	if (code == CURLE_OK) {
		observation->smtp_reply = reply ? reply : 250;
		return;
	}
	/* The server refused a step (AUTH, MAIL, RCPT, DATA): its code classifies the attempt. */
	if (reply >= 400 && reply < 600) {
		observation->smtp_reply = reply;
		return;
	}
	observation->cause = curlm_cause_of(code_causes, sizeof code_causes / sizeof code_causes[0],
	                                    code);
}

static struct repl_xfer *smtp_done(struct curlm *m, void *attempt, CURL *easy, CURLcode code,
                                    struct repl_observation *observation)
{
	struct smtp_attempt *a = attempt;
	struct repl_xfer *xfer = a->xfer;
	observe(easy, code, observation);
	xfer->data = NULL;
	attempt_free(m, a);
	return xfer;
}

static void smtp_free(struct repl_transport *transport)
{
	struct curlm *m = curlm_from_transport(transport);
	curlm_cleanup(m);
	free(m);
}

static const struct repl_transport_ops smtp_ops = CURLM_TRANSPORT_OPS(smtp_start, smtp_cancel, smtp_free);

enum repl_status repl_smtp_transport_new(struct repl_transport **transport, struct repl_clock **clock)
{
	struct curlm *m = calloc(1, sizeof *m);
	if (!m)
		return REPL_NO_MEMORY;
	enum repl_status status = curlm_init(m, &smtp_ops, smtp_done, transport, clock);
	if (status != REPL_OK)
		free(m);
	return status;
}
