/*
 * routes.h: the one table of every URL complaintd answers, and the dispatcher that serves it.
 *
 * A route is {method, path pattern, who may call it, handler}. The dispatcher matches the request, answers
 * 404 or 405 itself, refuses an oversized body before reading it, and checks the caller's role,
 * so a handler only does its own work. Patterns are literal segments or "{name}" capturing one
 * non-empty segment.
 */
#ifndef ROUTES_H
#define ROUTES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/account.h"
#include "web/call.h"

struct app;
struct request;
struct response;

/* Who may call a route: anyone, or an account whose role is at least / exactly the route's
 * role (roles are ordered: resident < agent < admin). A signed-out caller of a GET route that
 * needs an account is sent to /signin; of any other method, 403. A signed-in caller without the
 * role gets 403. */
enum routes_access {
	ROUTES_ANYONE = 0,   /* signed in or not */
	ROUTES_AT_LEAST,     /* the role or any after it: an admin may use an agent's route */
	ROUTES_EXACTLY,      /* the role alone */
};

/* A row's access and role, as the table writes them. */
#define ROUTES_FOR_ANYONE ROUTES_ANYONE, ACCOUNT_RESIDENT
#define ROUTES_FOR_AT_LEAST(role) ROUTES_AT_LEAST, (role)
#define ROUTES_FOR_EXACTLY(role) ROUTES_EXACTLY, (role)

/* Route flags. */
#define ROUTES_NO_SESSION 1u   /* never look the session up (health checks: no database call) */
/* A state-changing route whose credential is a signature in its own address, checked by its
 * handler before anything (a status mail's one-click unsubscribe link, core/optout.h): no Origin
 * or CSRF check, since mail providers post it from their servers (RFC 8058). Its form is read. */
#define ROUTES_SIGNED_LINK 2u

/* Every method but GET and HEAD changes state: the dispatcher checks its Origin and reads its
 * form, whose `csrf` field must be the token of the route's pattern — for the caller's session,
 * or on ROUTES_ANYONE routes (sign-in, sign-up) for the caller's visitor cookie. */
struct routes_entry {
	const char *method;
	const char *pattern;
	enum routes_access access;
	enum account_role role;      /* with ROUTES_AT_LEAST or ROUTES_EXACTLY */
	call_handler handler;
	unsigned flags;
};

/* The longest path sign-in may return to. */
#define ROUTES_PATH_MAX 200

/* Whether path, as it stands (already decoded), is exactly the path of a GET route of the table
 * (its "{name}" segments matched like the dispatcher does) and safe to name in a Location:
 * '/' and RFC 3986's unreserved characters only, no "//" start, no dot segment, no query. What
 * sign-in and sign-up return to (`next`) must pass this; anything else is ignored. */
bool routes_get_path(const char *path);

/* Whether a signed-in caller of role passes the row's access (ROUTES_ANYONE: everyone). */
bool routes_role_allows(const struct routes_entry *route, enum account_role role);

/* Serves one request (the runtime's handle hook). */
void routes_dispatch(struct app *app, struct request *request, struct response *response);
/* The 404 page of an address with no page (also what /metrics shows a caller it does not answer). */
void routes_not_found(struct call *call);
/* The error page of a request the runtime could not parse (the runtime's error hook). */
void routes_error(struct app *app, struct request *request, struct response *response, int status,
                  const char *message);

/* The table, for tests and for listing routes in the docs. */
extern const struct routes_entry routes_table[];
extern const size_t routes_table_count;

#endif
