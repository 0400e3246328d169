/*
 * call.h: one request as the app sees it: the parsed request, the response being written, the
 * caller's session (also the viewer the layout's header shows), and the matched route's pattern
 * and captures. The dispatcher makes one per request, on its stack, and passes it to the handler
 * and to rendering; nothing of a request lives on struct app, which holds only what a process
 * keeps between requests.
 */
#ifndef CALL_H
#define CALL_H

struct app;
struct db_session;
struct request;
struct response;

#define CALL_CAPTURES_MAX 4

struct call {
	struct app *app;                        /* config, templates, backends: shared, not per request */
	struct request *request;
	struct response *response;
	struct db_session *session;             /* the caller's live session, NULL when signed out */
	const char *pattern;                    /* the matched route's pattern: its forms' CSRF id */
	const char *captures[CALL_CAPTURES_MAX];  /* "{name}" segments, in order */
};

typedef void (*call_handler)(struct call *call);

#endif
