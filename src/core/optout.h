/*
 * optout.h: switching kinds of mail off, without I/O: the kinds an account may switch off (a
 * resident's status mails, an agent's work mails), with the words /account shows for each, and
 * the one-click unsubscribe link of a status mail (RFC 8058).
 *
 * The table is the whole rule: a kind that is not in it can never be switched off. Security mails
 * (an invitation, a password reset, an address confirmation) are not in it and never will be: they
 * are the only way back into an account.
 *
 * The link names the account and the kind and carries a MAC over both, keyed by the secrets file's
 * unsubscribe_key (at least OPTOUT_KEY_MIN bytes): base64url(HMAC-SHA-512-256(key, context ||
 * account id || kind)), 43 characters. Nothing is stored per link: the server alone can make one,
 * changing the account or the kind breaks it, and the same link is made for every mail of that
 * account and kind. Rotating the key voids every link in mailboxes (their clicks answer 403; the
 * switches on /account still work).
 */
#ifndef OPTOUT_H
#define OPTOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mail.h"

struct optout_kind {
	const char *kind;          /* notifications.kind, a row of core/mail.c's kinds */
	const char *label;         /* what the switch on /account says */
};

/* The switchable kinds, in the order /account lists them. */
extern const struct optout_kind optout_kinds[];
extern const size_t optout_kind_count;

/* The row of kind, or NULL: NULL means the kind can never be switched off. */
const struct optout_kind *optout_find(const char *kind);
/* Whether a recipient of kind `to` sees the switch: residents their status mails; agents and
 * admins theirs too and their work mails. */
bool optout_shown(const struct optout_kind *kind, bool staff);

enum optout_status {
	OPTOUT_OK = 0,
	OPTOUT_WEAK_KEY,         /* no key, or shorter than OPTOUT_KEY_MIN */
	OPTOUT_NOT_SWITCHABLE,   /* the kind is not in the table */
	OPTOUT_BAD_MAC,          /* not the MAC of this account and kind */
	OPTOUT_TOO_LONG,         /* the link does not fit out */
};

const char *optout_strerror(enum optout_status status);

#define OPTOUT_KEY_MIN 32
#define OPTOUT_MAC_TEXT_LEN 43     /* base64url of 32 bytes, no padding */
#define OPTOUT_MAC_TEXT_SIZE 44    /* with the NUL */
/* The path of the link's page, before "?account=...&kind=...&sig=...". */
#define OPTOUT_PATH "/unsubscribe"

/* out = the MAC of (account_id, kind) under key, as text. */
enum optout_status optout_mac(const char *key, int64_t account_id, const char *kind, char out[OPTOUT_MAC_TEXT_SIZE]);
/* Whether sent is that MAC: OPTOUT_OK, or why not. Constant time over the MAC's bytes. */
enum optout_status optout_check(const char *key, int64_t account_id, const char *kind, const char *sent);
/* out = public_url + OPTOUT_PATH + "?account=ID&kind=KIND&sig=MAC" (the kind's letters need no
 * escaping). On failure out is "". */
enum optout_status optout_link(const char *key, const char *public_url, int64_t account_id, const char *kind,
                               char *out, size_t size);
/* Reads an account id as the link writes it: decimal digits, no sign or leading zero, > 0. */
bool optout_parse_account(const char *text, int64_t *out);

#endif
