/*
 * linktoken.h: single-use tokens sent in links — an agent's invitation to set a first password
 * now; password resets and email confirmations later — as one table of purposes: the name the
 * tokens table stores, the page the link opens, how long it stays valid. What a link's state
 * (unknown, used, expired, its account disabled) tells the person who opens it, and the absolute
 * link itself.
 *
 * A link's token is a session token's shape (token.h: 256 random bits, 43 base64url characters,
 * parsed strictly); the database keeps only its SHA-256, and the token is never logged. Only the
 * POST of the link's form uses it up: a GET (a mail scanner's, a preview's) shows the form.
 */
#ifndef LINKTOKEN_H
#define LINKTOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/token.h"

enum linktoken_purpose {
	LINKTOKEN_AGENT_INVITE = 0,   /* an admin invited an agent: the agent sets a first password */
	LINKTOKEN_PASSWORD_RESET,     /* "Forgot your password?": a new one (1 hour; [auth] reset_link_lifetime) */
	LINKTOKEN_EMAIL_CONFIRM,      /* a new resident proves their address (72 hours) */
	LINKTOKEN_PURPOSES,
};

/* tokens.purpose's ENUM value ("" for no purpose). */
const char *linktoken_purpose_stored(enum linktoken_purpose purpose);
/* The path the link opens ("/set-password"), with "?token=" after it. */
const char *linktoken_path(enum linktoken_purpose purpose);
/* How long a new token stays valid, in milliseconds (an invitation: 24 hours). */
long long linktoken_lifetime_ms(enum linktoken_purpose purpose);
/* How long a token's row is kept once it expired or was used (a day): its link says "expired" or
 * "already used" that long, and then, its row purged (store/retention.c), "not valid". */
#define LINKTOKEN_KEPT_MS (24LL * 60 * 60 * 1000)
/* The same for people: "24 hours" (whole hours; minutes under two hours). */
void linktoken_lifetime_text(enum linktoken_purpose purpose, char *out, size_t size);
/* Any lifetime for people: "24 hours", "60 minutes", "30 seconds" (seconds under two minutes). */
void linktoken_duration_text(long long ms, char *out, size_t size);

/* A new token: text (43 characters and a NUL) for the link, hash for the tokens table. */
void linktoken_new(char text[TOKEN_TEXT_SIZE], uint8_t hash[TOKEN_HASH_SIZE]);

enum linktoken_status {
	LINKTOKEN_OK = 0,
	LINKTOKEN_BAD_ORIGIN,   /* not http(s)://host[:port] of letters, digits, '.', '-', ':', '[', ']' */
	LINKTOKEN_TOO_LONG,     /* the link does not fit out */
};

/* out = origin + the purpose's path + "?token=" + text, e.g.
 * "https://complaints.example.org/set-password?token=...". origin is the site's public origin
 * (config) or the request's scheme://host[:port]; one trailing '/' is dropped. On failure out is
 * "". */
enum linktoken_status linktoken_url(const char *origin, enum linktoken_purpose purpose, const char *text, char *out,
                                    size_t size);

/* What the database says of a link's token when it is opened or posted. */
enum linktoken_state {
	LINKTOKEN_VALID = 0,
	LINKTOKEN_UNKNOWN,            /* no such token (or not of this purpose; or not a token at all) */
	LINKTOKEN_USED,
	LINKTOKEN_EXPIRED,
	LINKTOKEN_ACCOUNT_DISABLED,   /* its account was disabled since */
};

/* A state from the token row's facts: found, used (used_at set), expired (expires_at past), and
 * whether its account is disabled. Used wins over expired: "already used" is what a person who
 * used it wants to hear. */
enum linktoken_state linktoken_judge(bool found, bool used, bool expired, bool disabled);
/* The HTTP status (404 unknown, 410 used/expired/disabled) and the sentence a refused link's page
 * shows; 200 and "" for a valid one. */
int linktoken_refusal(enum linktoken_state state, const char **sentence);

#endif
