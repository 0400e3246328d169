/*
 * routes.h: the one table of every URL complaintd answers, and the dispatcher that serves it.
 *
 * A route is {method, path pattern, role, handler}. The dispatcher matches the request, answers
 * 404 or 405 itself, refuses an oversized body before reading it, and checks the caller's role,
 * so a handler only does its own work. Patterns are literal segments or "{name}" capturing one
 * non-empty segment.
 */
#ifndef ROUTES_H
#define ROUTES_H

#include <stddef.h>

struct app;
struct request;
struct response;

#define ROUTES_CAPTURES_MAX 4

/* Who may call a route. Only public routes exist until accounts do. */
enum routes_role { ROLE_ANYONE = 0 };

/* One request as a handler sees it. */
struct routes_call {
	struct app *app;
	struct request *request;
	struct response *response;
	const char *captures[ROUTES_CAPTURES_MAX];  /* "{name}" segments, in order */
};

typedef void (*routes_handler)(struct routes_call *call);

struct routes_entry {
	const char *method;
	const char *pattern;
	enum routes_role role;
	routes_handler handler;
};

/* Serves one request (the runtime's handle hook). */
void routes_dispatch(struct app *app, struct request *request, struct response *response);

/* The table, for tests and for listing routes in the docs. */
extern const struct routes_entry routes_table[];
extern const size_t routes_table_count;

#endif
