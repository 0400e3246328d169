/*
 * inproc.h: an in-process transport and a fake clock for librepl's tests and benchmark. Each
 * replica follows a script of behaviours (answer after D virtual ms with an HTTP status, a
 * transport cause or a SQL error; or never answer); every call is logged with its virtual start,
 * end and cancellation time. The clock only moves when the executor waits, by exactly the wait or
 * up to the next answer due sooner (as a poll returns when a socket is ready), so every time in a
 * test is exact.
 */
#ifndef REPL_INPROC_H
#define REPL_INPROC_H

#include "transport.h"

enum inproc_kind {
	INPROC_ANSWER = 0,      /* after after_ms: the observation below */
	INPROC_HANG,            /* never answers (until cancelled) */
};

struct inproc_step {
	enum inproc_kind kind;
	long after_ms;
	long after_us;          /* ANSWER: microseconds added to after_ms (sub-ms RTTs) */
	long http_status;       /* ANSWER: the HTTP status (0 with a cause: no answer) */
	enum repl_cause cause;  /* ANSWER: TIMEOUT, CONNECT, PROTOCOL... or NONE */
	unsigned sql_errno;
	bool commit_sent;
};

#define INPROC_STEPS_MAX 16
#define INPROC_CALLS_MAX 256

struct inproc_call {
	unsigned replica;
	int64_t start_ms;       /* virtual time since the clock was made */
	int64_t end_ms;         /* when it answered or was cancelled; -1 while running */
	bool cancelled;
};

struct inproc;

enum inproc_status {
	INPROC_OK = 0,
	INPROC_NO_MEMORY,
	INPROC_BAD_ARGUMENT,
};

const char *inproc_strerror(enum inproc_status status);

enum inproc_status inproc_new(struct inproc **inproc);
void inproc_free(struct inproc *inproc);
/* Replica's n-th call follows steps[min(n, count - 1)]; a replica without a script answers 200
 * at once. The body of a 2xx answer is the replica's name. */
enum inproc_status inproc_script(struct inproc *inproc, unsigned replica,
                                 const struct inproc_step *steps, size_t count);
struct repl_transport *inproc_transport(struct inproc *inproc);
struct repl_clock *inproc_clock(struct inproc *inproc);
/* The log, in call order; *count calls. */
const struct inproc_call *inproc_calls(const struct inproc *inproc, size_t *count);
/* Forgets the log and every replica's call count (the clock keeps running). */
void inproc_reset(struct inproc *inproc);
int64_t inproc_now_ms(const struct inproc *inproc);

#endif
