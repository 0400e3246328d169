/*
 * set_password.h: the page a set-password link opens (an agent's invitation now, password resets
 * later): GET shows the form and never uses the token (mail scanners and previews open links);
 * POST, with the token, the password and its confirmation, uses the token up and sets the
 * password in one transaction.
 */
#ifndef WEB_SET_PASSWORD_H
#define WEB_SET_PASSWORD_H

struct call;

/* GET /set-password?token=...: the form, or 404 (unknown) / 410 (used, expired, disabled). */
void set_password_form(struct call *call);
/* POST /set-password: token, password, confirmation. */
void set_password_submit(struct call *call);

#endif
