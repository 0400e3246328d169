/*
 * auth.h: accounts — sign-up, sign-in, sign-out, password changes — and what the dispatcher
 * asks of them on every request: the caller's session, the Origin check and CSRF tokens.
 *
 * Cookies (HttpOnly, SameSite=Lax, Path=/; over HTTPS Secure and named __Host-..., which no
 * other host may set):
 *   session  a 256-bit random token; the database keeps only its SHA-256 (token.h)
 *   visitor  a random value given to a browser without a session on the sign-in and sign-up
 *            forms; their CSRF tokens derive from it and the server key `csrf_key` (a secret)
 * Sessions end after [auth] session_idle_timeout without use or session_absolute_timeout after
 * sign-in, at sign-out (the row is deleted), and for every other session of an account when
 * its password changes. Each sign-in makes a new token (no fixation).
 */
#ifndef AUTH_H
#define AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "core/throttle.h"
#include "store/db.h"
#include "store/db_accounts.h"

struct json_object;

struct request;
struct call;

/* Looks the session cookie up (on the primary) into call->session. 0, or -1 with an error page
 * written when the database cannot answer. An unknown or expired cookie is deleted. */
int auth_session_load(struct call *call);
/* The same for an error page's header (404, 405, 413): the database out of reach leaves the call
 * signed out, and the page says what it was going to say. */
void auth_session_load_quietly(struct call *call);
/* Whether a state-changing request may come from where it says: no Origin (the token decides),
 * or exactly this site's origin — public_origin ([server] origin) when set, else scheme://host[:port]
 * of the request; never "null", and never a fetch the browser marks cross-site. */
bool auth_origin_allowed(const struct request *request, const char *public_origin);
/* Whether the form's csrf field is the token of call->pattern for the caller's session / for
 * its visitor cookie. Constant-time. */
bool auth_session_csrf_check(struct call *call);
bool auth_visitor_csrf_check(struct call *call);
/* The CSRF token a signed-in page puts in its form posting to form_pattern (arena), or "". */
const char *auth_session_csrf_token(struct call *call, const char *form_pattern);
/* The token of a form anyone may post (sign-in, sign-up, a link's set-password form), from the
 * caller's visitor cookie, giving the browser one first if it has none (arena); "" when the server
 * has no csrf_key (then every such POST is refused). */
const char *auth_visitor_csrf_token(struct call *call, const char *form_pattern);
/* This site's origin for absolute links: [server] origin when set, else scheme://host[:port] of
 * the request. false when it does not fit out. */
bool auth_site_origin(const struct call *call, char *out, size_t size);

/* Takes one of the host's password-hashing slots until the request ends (its arena's cleanup
 * gives it back); with every slot busy, a 503 with Retry-After is written (logged with what) and
 * the answer is false. Every argon2id computation of a request takes one first. */
bool auth_hash_slot(struct call *call, const char *what);
/* The 503 page of a database call that did not succeed (DB_NOT_FOUND and DB_DUPLICATE are the
 * caller's to explain). */
void auth_database_error(struct call *call, enum db_status status);

/* Route handlers. */
/* A request that sends a mail (sign-up, a password reset, a confirmation or an invitation sent
 * again), throttled by the email (typed, or the account's) and the client address
 * (core/throttle.h, its own subjects and [auth] mail_* keys): 0 may go on
 * (subjects and request filled for the transaction that queues the mail and counts it), 1
 * throttled (*wait_s: how long; the caller answers with auth_mail_throttled), -1 a 503 written. */
int auth_mail_request(struct call *call, const char *email, struct throttle_subjects *subjects,
                      struct db_mail_request *request, int64_t *wait_s);
/* The form again (template, data: ownership taken), 429, saying how long to wait, Retry-After. */
void auth_mail_throttled(struct call *call, struct json_object *data, const char *title, const char *template,
                         int64_t wait_s);
/* The same as an error page, for a request whose form is not a page of its own (a list's button). */
void auth_mail_throttled_error(struct call *call, int64_t wait_s);
/* The "check your mail" page (200) with sentence; signin: a link to sign in (with the form's next). */
void auth_check_mail(struct call *call, const char *title, const char *sentence, bool signin);

void auth_signup_form(struct call *call);
void auth_signup(struct call *call);
/* "Forgot your password?": the form, and its POST (the same answer for any address). */
void auth_forgot_form(struct call *call);
void auth_forgot(struct call *call);
void auth_signin_form(struct call *call);
void auth_signin(struct call *call);
void auth_signout(struct call *call);
void auth_account_page(struct call *call);
/* "Send the confirmation link again" (POST /account/confirmation): a new confirmation mail to
 * the account's unconfirmed address, within the mail budgets of "Forgot your password?"; 409
 * when the address is confirmed already (nothing sent), 429 over the budget. */
void auth_confirm_again(struct call *call);
void auth_password_change(struct call *call);

#endif
