/*
 * mail.c: the rules of an outgoing mail (see mail.h): the kinds, header encoding, Message-IDs,
 * backoff and the MIME message.
 */
#include "mail.h"

#include <stdio.h>
#include <string.h>

#include "arena.h"

static const char *const mail_status_names[] = {
	[MAIL_OK] = "ok",
	[MAIL_BAD_HEADER] = "a header value holds a line break or another control character",
	[MAIL_TOO_LONG] = "a header value or the message is too long",
	[MAIL_NO_MEMORY] = "out of memory",
};

const char *mail_strerror(enum mail_status status)
{
	if ((size_t)status < sizeof(mail_status_names) / sizeof(mail_status_names[0]))
		return mail_status_names[status];
	return "unknown status";
}

/* Who hears of which event, and what they read first (the workflow's actions map to these in
 * store/db_outbox.c). */
static const struct mail_kind mail_kinds[] = {
	{"filed", MAIL_TO_REPORTER, "received", "We received your complaint and will assign it to an agent.", true},
	{"assigned", MAIL_TO_AGENT, "assigned to you", "A complaint was assigned to you.", false},
	{"resolved", MAIL_TO_REPORTER, "resolved", "Your complaint was resolved. Please confirm the fix, or reopen it.",
	 true},
	{"rejected", MAIL_TO_REPORTER, "rejected", "Your complaint was rejected.", true},
	{"reopened", MAIL_TO_REPORTER, "reopened", "Your complaint was reopened and goes back to its agent.", true},
	{"reopened_agent", MAIL_TO_AGENT, "reopened by its reporter",
	 "A complaint you resolved was reopened by its reporter.", false},
	{"closed", MAIL_TO_REPORTER, "closed", "Your complaint was closed.", true},
	{"followed_resolved", MAIL_TO_FOLLOWERS, "resolved", "A complaint you follow was marked resolved.", true},
	{"followed_rejected", MAIL_TO_FOLLOWERS, "rejected", "A complaint you follow was rejected.", true},
	{"followed_reopened", MAIL_TO_FOLLOWERS, "reopened", "A complaint you follow was reopened by its reporter.",
	 true},
	{"followed_closed", MAIL_TO_FOLLOWERS, "closed", "A complaint you follow was closed.", true},
};

const struct mail_kind *mail_kind_find(const char *kind)
{
	for (size_t i = 0; kind != NULL && i < sizeof(mail_kinds) / sizeof(mail_kinds[0]); i++)
		if (strcmp(mail_kinds[i].kind, kind) == 0)
			return &mail_kinds[i];
	return NULL;
}

/* The account mails (mail.h): {kind, minted, purpose, path, subject, sentence, action, afterword}. */
static const struct mail_account_kind mail_account_kinds[] = {
	{"invite", true, LINKTOKEN_AGENT_INVITE, NULL, "You are invited to work on residents' complaints",
	 "An administrator invited you to work on residents' complaints as a field agent. Choose your password to "
	 "start; then sign in with this address.",
	 "Choose your password", "If you did not expect this invitation, ignore this mail: nothing happens without the link."},
	{"reset", true, LINKTOKEN_PASSWORD_RESET, NULL, "Reset your password",
	 "Someone, we hope you, asked to reset the password of the account of this address. Choosing a new password "
	 "signs the account out everywhere.",
	 "Choose a new password", "If it was not you, ignore this mail: your password stays as it is."},
	{"confirm", true, LINKTOKEN_EMAIL_CONFIRM, NULL, "Confirm your email address",
	 "Welcome! Please confirm that this address is yours. Until you do, the complaints you file wait outside the "
	 "city's queue.",
	 "Confirm my address", "If you did not create an account, ignore this mail: without the link, the address stays "
	 "unconfirmed."},
	{"signup_taken", false, LINKTOKEN_PURPOSES, "/forgot", "Someone tried to sign up with your address",
	 "Someone tried to create an account with this address, which already has one. Nothing was changed, and no "
	 "account was made.",
	 "Forgot your password? Choose a new one", "If it was you, sign in with your password instead. If not, you can "
	 "ignore this mail."},
};

const struct mail_account_kind *mail_account_kind_find(const char *kind)
{
	for (size_t i = 0; kind != NULL && i < sizeof(mail_account_kinds) / sizeof(mail_account_kinds[0]); i++)
		if (strcmp(mail_account_kinds[i].kind, kind) == 0)
			return &mail_account_kinds[i];
	return NULL;
}

/* Which events queue which kinds: "submit" is the filing, the others status_track's actions
 * (accept, decline and unassign concern staff only and queue nothing). */
static const struct {
	const char *action;
	const char *kind;
} mail_events[] = {
	{"submit", "filed"},      {"assign", "assigned"},       {"reassign", "assigned"},
	{"resolve", "resolved"},  {"reject", "rejected"},       {"reopen", "reopened"},
	{"reopen", "reopened_agent"}, {"confirm", "closed"},    {"withdraw", "closed"},
	{"auto_close", "closed"},
	{"resolve", "followed_resolved"}, {"reject", "followed_rejected"}, {"reopen", "followed_reopened"},
	{"confirm", "followed_closed"}, {"withdraw", "followed_closed"}, {"auto_close", "followed_closed"},
};

size_t mail_kinds_of_event(const char *action, const struct mail_kind **out, size_t max)
{
	size_t count = 0;
	for (size_t i = 0; i < sizeof(mail_events) / sizeof(mail_events[0]) && count < max; i++)
		if (strcmp(mail_events[i].action, action) == 0)
			out[count++] = mail_kind_find(mail_events[i].kind);
	return count;
}

/* ---- header values ---- */

static bool mail_is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

static bool mail_printable_ascii(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p > 0x7e)
			return false;
	return true;
}

static enum mail_status mail_check_controls(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (mail_is_control(*p))
			return MAIL_BAD_HEADER;
	return MAIL_OK;
}

static const char mail_base64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Base64 of len bytes into out (room for 4 * ceil(len / 3) bytes); returns what it wrote. */
static size_t mail_base64(const unsigned char *in, size_t len, char *out)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < len ? (unsigned)in[i + 1] << 8 : 0) |
		             (i + 2 < len ? in[i + 2] : 0);
		out[n++] = mail_base64_alphabet[v >> 18 & 63];
		out[n++] = mail_base64_alphabet[v >> 12 & 63];
		out[n++] = i + 1 < len ? mail_base64_alphabet[v >> 6 & 63] : '=';
		out[n++] = i + 2 < len ? mail_base64_alphabet[v & 63] : '=';
	}
	return n;
}

/* Bytes of the UTF-8 sequence starting with lead (1 for anything else: it is copied alone). */
static size_t mail_utf8_length(unsigned char lead)
{
	return lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
}

#define MAIL_WORD_PREFIX "=?UTF-8?B?"
/* Input bytes per encoded-word: 45 bytes are 60 of base64, 72 with the prefix and "?=". */
#define MAIL_WORD_BYTES 45

/* value as encoded-words, never splitting a character, joined by CRLF SP. */
static enum mail_status mail_encoded_words(const char *value, char *out, size_t size)
{
	size_t len = strlen(value), n = 0;
	const unsigned char *p = (const unsigned char *)value;
	for (size_t at = 0; at < len;) {
		size_t take = 0;
		while (at + take < len) {
			size_t c = mail_utf8_length(p[at + take]);
			if (take + c > MAIL_WORD_BYTES)
				break;
			take += c;
		}
		if (take == 0)
			take = len - at < MAIL_WORD_BYTES ? len - at : MAIL_WORD_BYTES;
		size_t need = (n > 0 ? 3 : 0) + strlen(MAIL_WORD_PREFIX) + (take + 2) / 3 * 4 + 2 + 1;
		if (n + need > size)
			return MAIL_TOO_LONG;
		if (n > 0) {
			memcpy(out + n, "\r\n ", 3);
			n += 3;
		}
		memcpy(out + n, MAIL_WORD_PREFIX, strlen(MAIL_WORD_PREFIX));
		n += strlen(MAIL_WORD_PREFIX);
		n += mail_base64(p + at, take, out + n);
		memcpy(out + n, "?=", 2);
		n += 2;
		at += take;
	}
	if (n + 1 > size)
		return MAIL_TOO_LONG;
	out[n] = '\0';
	return MAIL_OK;
}

enum mail_status mail_header_text(const char *value, char *out, size_t size)
{
	enum mail_status status = mail_check_controls(value);
	if (status != MAIL_OK)
		return status;
	if (size > MAIL_HEADER_MAX)
		size = MAIL_HEADER_MAX;
	if (mail_printable_ascii(value)) {
		if (strlen(value) + 1 > size)
			return MAIL_TOO_LONG;
		memcpy(out, value, strlen(value) + 1);
		return MAIL_OK;
	}
	return mail_encoded_words(value, out, size);
}

static bool mail_address_ok(const char *address)
{
	const char *at = strchr(address, '@');
	if (at == NULL || at == address || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return false;
	for (const unsigned char *p = (const unsigned char *)address; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || strchr("<>\"(),;:\\[]", *p) != NULL)
			return false;
	return true;
}

enum mail_status mail_header_address(const char *name, const char *address, char *out, size_t size)
{
	char phrase[MAIL_HEADER_MAX];
	size_t n = 0;
	int written;
	if (address == NULL || mail_check_controls(address) != MAIL_OK || !mail_address_ok(address))
		return MAIL_BAD_HEADER;
	if (name == NULL || name[0] == '\0') {
		written = snprintf(out, size, "<%s>", address);
		return written < 0 || (size_t)written >= size ? MAIL_TOO_LONG : MAIL_OK;
	}
	enum mail_status status = mail_check_controls(name);
	if (status != MAIL_OK)
		return status;
	if (mail_printable_ascii(name)) {
		/* A quoted-string: only " and \ need a backslash. */
		phrase[n++] = '"';
		for (const char *p = name; *p; p++) {
			if (n + 4 > sizeof(phrase))
				return MAIL_TOO_LONG;
			if (*p == '"' || *p == '\\')
				phrase[n++] = '\\';
			phrase[n++] = *p;
		}
		phrase[n++] = '"';
		phrase[n] = '\0';
	} else {
		status = mail_encoded_words(name, phrase, sizeof(phrase));
		if (status != MAIL_OK)
			return status;
	}
	written = snprintf(out, size, "%s <%s>", phrase, address);
	return written < 0 || (size_t)written >= size || (size_t)written > MAIL_HEADER_MAX ? MAIL_TOO_LONG : MAIL_OK;
}

enum mail_status mail_message_id(int64_t id, const char *domain, char *out, size_t size)
{
	if (domain == NULL || domain[0] == '\0' || mail_check_controls(domain) != MAIL_OK ||
	    strpbrk(domain, " <>@\"") != NULL)
		return MAIL_BAD_HEADER;
	int written = snprintf(out, size, "<notification-%lld@%s>", (long long)id, domain);
	return written < 0 || (size_t)written >= size ? MAIL_TOO_LONG : MAIL_OK;
}

long long mail_backoff_ms(unsigned attempts, long long base_ms, long long max_ms, uint32_t random)
{
	long long step = base_ms > 0 ? base_ms : 1;
	for (unsigned i = 1; i < attempts && step < max_ms; i++)
		step *= 2;
	if (step > max_ms)
		step = max_ms;
	long long half = step / 2;
	return step - (half > 0 ? (long long)(random % (uint64_t)(half + 1)) : 0);
}

/* ---- the message ---- */

#define MAIL_BOUNDARY_PREFIX "=_complaintd_"   /* "=_" never occurs in base64 or in our headers */
#define MAIL_BASE64_LINE 76

/* A writer over one arena buffer whose size was computed first: it cannot overflow. */
struct mail_writer {
	char *buf;
	size_t len, cap;
	bool overflow;
};

static void mail_put(struct mail_writer *w, const char *s, size_t len)
{
	if (w->overflow || w->len + len > w->cap) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->len, s, len);
	w->len += len;
}

static void mail_puts(struct mail_writer *w, const char *s)
{
	mail_put(w, s, strlen(s));
}

static void mail_header(struct mail_writer *w, const char *name, const char *value)
{
	mail_puts(w, name);
	mail_puts(w, ": ");
	mail_puts(w, value);
	mail_puts(w, "\r\n");
}

static void mail_base64_part(struct mail_writer *w, const char *boundary, const char *type, const char *body)
{
	const unsigned char *p = (const unsigned char *)body;
	size_t len = strlen(body);
	char line[MAIL_BASE64_LINE + 4];
	mail_puts(w, "--");
	mail_puts(w, boundary);
	mail_puts(w, "\r\nContent-Type: ");
	mail_puts(w, type);
	mail_puts(w, "; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	for (size_t at = 0; at < len; at += MAIL_BASE64_LINE / 4 * 3) {
		size_t take = len - at < MAIL_BASE64_LINE / 4 * 3 ? len - at : MAIL_BASE64_LINE / 4 * 3;
		mail_put(w, line, mail_base64(p + at, take, line));
		mail_puts(w, "\r\n");
	}
}

enum mail_status mail_compose(struct arena *arena, const struct mail_message *message, char **out, size_t *len)
{
	char from[MAIL_HEADER_MAX + 1], to[MAIL_HEADER_MAX + 1], subject[MAIL_HEADER_MAX + 1];
	char date[64], boundary[MAIL_MESSAGE_ID_MAX + 32], unsubscribe[MAIL_HEADER_MAX + 1] = "";
	struct tm tm;
	enum mail_status status;
	if ((status = mail_header_address(message->from_name, message->from_address, from, sizeof(from))) != MAIL_OK ||
	    (status = mail_header_address(message->to_name, message->to_address, to, sizeof(to))) != MAIL_OK ||
	    (status = mail_header_text(message->subject, subject, sizeof(subject))) != MAIL_OK ||
	    (status = mail_check_controls(message->message_id)) != MAIL_OK)
		return status;
	if (message->list_unsubscribe != NULL) {
		if (mail_check_controls(message->list_unsubscribe) != MAIL_OK || strpbrk(message->list_unsubscribe, "<> ") != NULL)
			return MAIL_BAD_HEADER;
		int n = snprintf(unsubscribe, sizeof(unsubscribe), "<%s>", message->list_unsubscribe);
		if (n < 0 || (size_t)n >= sizeof(unsubscribe))
			return MAIL_TOO_LONG;
	}
	if (gmtime_r(&message->date, &tm) == NULL || strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm) == 0)
		return MAIL_TOO_LONG;
	/* The boundary comes from the Message-ID's digits: stable, and never in base64 text. */
	snprintf(boundary, sizeof(boundary), MAIL_BOUNDARY_PREFIX "%.*s", (int)strcspn(message->message_id + 1, "@>"),
	         message->message_id + 1);
	size_t text_len = strlen(message->text), html_len = strlen(message->html);
	struct mail_writer w = {0};
	w.cap = 4096 + strlen(from) + strlen(to) + strlen(subject) + strlen(unsubscribe) + strlen(message->message_id) +
	        3 * strlen(boundary) + (text_len + html_len) / 57 * 78 + 2 * 80;
	w.buf = arena_alloc(arena, w.cap + 1);
	if (w.buf == NULL)
		return MAIL_NO_MEMORY;
	mail_header(&w, "From", from);
	mail_header(&w, "To", to);
	mail_header(&w, "Subject", subject);
	mail_header(&w, "Date", date);
	mail_header(&w, "Message-ID", message->message_id);
	mail_header(&w, "Auto-Submitted", "auto-generated");
	if (message->list_unsubscribe != NULL) {
		mail_header(&w, "List-Unsubscribe", unsubscribe);
		/* RFC 8058: a provider may POST the link itself ("one click"); a GET changes nothing. */
		mail_header(&w, "List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
	}
	mail_header(&w, "MIME-Version", "1.0");
	mail_puts(&w, "Content-Type: multipart/alternative; boundary=\"");
	mail_puts(&w, boundary);
	mail_puts(&w, "\"\r\n\r\n");
	mail_base64_part(&w, boundary, "text/plain", message->text);
	mail_base64_part(&w, boundary, "text/html", message->html);
	mail_puts(&w, "--");
	mail_puts(&w, boundary);
	mail_puts(&w, "--\r\n");
	if (w.overflow)
		return MAIL_TOO_LONG;
	w.buf[w.len] = '\0';
	*out = w.buf;
	*len = w.len;
	return MAIL_OK;
}
