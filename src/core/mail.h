/*
 * mail.h: the rules of an outgoing mail, without I/O: what each kind of notification says and to
 * whom, header values that can never add a header (CR, LF and other controls refused; non-ASCII
 * as RFC 2047 encoded-words), the Message-ID a row always gets (so a repeat is recognisable), the
 * wait before a message's next sending (exponential, with jitter), and the whole message:
 * multipart/alternative, text and HTML, each base64 so any UTF-8 travels over any relay.
 */
#ifndef MAIL_H
#define MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/linktoken.h"

struct arena;

enum mail_status {
	MAIL_OK = 0,
	MAIL_BAD_HEADER,    /* a header value holds CR, LF or another control character */
	MAIL_TOO_LONG,      /* over its cap, or the output buffer */
	MAIL_NO_MEMORY,
};

const char *mail_strerror(enum mail_status status);

/* The kinds of notification (notifications.kind), each a row of mail_kinds. */
/* MAIL_TO_FOLLOWERS: each resident following the complaint (complaint_followers), who may read
 * only its restricted form: such a kind's mail carries no reason and no resident's sentence. */
enum mail_recipient { MAIL_TO_REPORTER, MAIL_TO_AGENT, MAIL_TO_FOLLOWERS };

struct mail_kind {
	const char *kind;            /* notifications.kind: "filed", "assigned"... */
	enum mail_recipient to;
	const char *subject;         /* after "Complaint #N: " */
	const char *sentence;        /* the mail's first line */
	bool status_mail;            /* a resident's status mail: List-Unsubscribe */
};

/* The row of kind, or NULL. */
const struct mail_kind *mail_kind_find(const char *kind);
/* The kinds an event queues (status_track.action names, "submit" for filing) into out, at most
 * max; returns how many (0: nobody hears of it). */
#define MAIL_KINDS_PER_EVENT 3
size_t mail_kinds_of_event(const char *action, const struct mail_kind **out, size_t max);

#define MAIL_HEADER_MAX 998          /* RFC 5322's line limit: an encoded value stays under it */
#define MAIL_ENCODED_WORD_MAX 75     /* RFC 2047 */

/* Subject-like text (unstructured): printable ASCII as is; otherwise UTF-8 B encoded-words, each
 * at most 75 bytes, separated by a folding CRLF SP. Refuses controls (CR and LF included). */
enum mail_status mail_header_text(const char *value, char *out, size_t size);
/* A display name and address as To: or From: carries them: "Name" <a@b> (quotes and backslashes
 * escaped) or =?UTF-8?B?...?= <a@b>; an address holding anything but printable ASCII without
 * spaces, <, >, quotes, commas or backslashes is refused. An empty name gives the address alone. */
enum mail_status mail_header_address(const char *name, const char *address, char *out, size_t size);

#define MAIL_MESSAGE_ID_MAX 256
/* "<notification-ID@domain>": the same for every sending of row id, whichever host sends it. */
enum mail_status mail_message_id(int64_t id, const char *domain, char *out, size_t size);

/* Milliseconds to wait before the sending after `attempts` failed ones (1, 2, ...): the
 * exponential step min(max, base * 2^(attempts-1)), of which a random half is taken off
 * (random: any 32 bits), so notifiers that failed together do not come back together. */
long long mail_backoff_ms(unsigned attempts, long long base_ms, long long max_ms, uint32_t random);

struct mail_message {
	const char *from_name, *from_address;
	const char *to_name, *to_address;
	const char *subject;
	const char *message_id;             /* mail_message_id's */
	time_t date;
	const char *list_unsubscribe;       /* a one-click URL (RFC 8058: List-Unsubscribe and
	                                       List-Unsubscribe-Post); NULL: neither */
	const char *text;                   /* UTF-8 bodies */
	const char *html;
};

/* The whole message, CRLF line ends, into the arena (*out, *len). */
enum mail_status mail_compose(struct arena *arena, const struct mail_message *message, char **out, size_t *len);

/* Mails about an account rather than a complaint: an agent's invitation, a password reset, an
 * address confirmation (each carries a single-use link whose token the notifier mints when it
 * sends: the outbox row never holds it), and the note to an address's owner that someone tried to
 * sign up with it (a plain link to the reset form). Their rows carry the account, not a
 * complaint. */
struct mail_account_kind {
	const char *kind;            /* notifications.kind */
	bool minted;                 /* a token of purpose is minted at sending; else the link is path */
	enum linktoken_purpose purpose;
	const char *path;            /* the link's page when not minted ("/forgot") */
	const char *subject;
	const char *sentence;        /* the mail's first paragraph */
	const char *action;          /* the link's words */
	const char *afterword;       /* what to do when the mail was not expected */
};

/* The row of kind among the account mails, or NULL. */
const struct mail_account_kind *mail_account_kind_find(const char *kind);

#endif
