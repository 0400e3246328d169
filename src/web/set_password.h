/*
 * set_password.h: the pages a mailed link opens — a set-password link (an agent's invitation at
 * /set-password, a password reset at /reset-password) and an address confirmation
 * (/confirm-email): GET shows the form and never uses the token (mail scanners and previews open
 * links); POST, with the token (and the password and its confirmation), uses the token up and
 * does its work in one transaction.
 */
#ifndef WEB_SET_PASSWORD_H
#define WEB_SET_PASSWORD_H

struct call;

/* GET /set-password?token=..., /reset-password?token=...: the form, or 404 (unknown) / 410 (used,
 * expired, disabled). */
void set_password_form(struct call *call);
/* POST /set-password, /reset-password: token, password, confirmation; every session of the
 * account ends, and the address counts as confirmed. */
void set_password_submit(struct call *call);
/* GET /confirm-email?token=...: a button that confirms; POST /confirm-email: token. */
void set_password_confirm_form(struct call *call);
void set_password_confirm(struct call *call);

#endif
