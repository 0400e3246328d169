/*
 * agents.h: the admin's agents page: field agents with their open complaints, inviting one (an
 * account without a password, and a single-use set-password link shown once) and disabling one
 * (signed out at once, complaints back in the queue).
 */
#ifndef WEB_AGENTS_H
#define WEB_AGENTS_H

struct call;

/* GET /admin/agents: the list and the invitation form (?disabled=ID, ?invited=ID: a notice for
 * that agent). */
void agents_page(struct call *call);
/* POST /admin/agents: name, email; the link goes by mail only (the answer never shows it). */
void agents_invite(struct call *call);
/* POST /admin/agents/{id}/invite: the invitation sent again to an agent still only invited. */
void agents_invite_again(struct call *call);
/* POST /admin/agents/{id}/disable. */
void agents_disable(struct call *call);

#endif
