/*
 * unsubscribe.h: switching kinds of mail off, the two ways a person can: the switches on /account
 * (a form like the others: session, Origin and CSRF checked by the route table), and the one-click
 * link a status mail carries in List-Unsubscribe (RFC 8058), which needs no session: its signature
 * (core/optout.h) is its only credential. A GET of the link changes nothing (mail scanners and
 * previews open links): it shows a page with one button; the POST — that button, or a mail
 * provider's one-click POST from its own servers, with no Origin and no form token — switches that
 * one kind off for that one account.
 */
#ifndef UNSUBSCRIBE_H
#define UNSUBSCRIBE_H

#include <stdbool.h>

#include "core/account.h"

struct call;
struct json_object;

/* Adds the mail switches the account of role sees to the account page's data: "mail_kinds" (kind,
 * label, on), "mail_csrf", and "mail_saved" after a change. mail_off: the kinds it switched off,
 * comma-separated, as the account's row reads them (NULL: none). */
void unsubscribe_account_data(struct call *call, enum account_role role, const char *mail_off,
                              struct json_object *data);

/* Route handlers: POST /account/mail; GET and POST /unsubscribe?account=&kind=&sig=. */
void unsubscribe_switches(struct call *call);
void unsubscribe_form(struct call *call);
void unsubscribe_submit(struct call *call);

#endif
