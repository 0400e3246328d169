/*
 * inproc.c: the in-process transport and fake clock of inproc.h. An attempt is a pending event
 * at a virtual instant; the clock's wait moves virtual time forward by exactly the executor's
 * timeout (which the executor bounds by next_event_us, the earliest pending answer), and perform
 * delivers every answer due by then, in the order the attempts started.
 */
#include "inproc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct inproc_pending {
	struct repl_xfer *xfer;
	size_t call;               /* index in the log */
	int64_t due_us;            /* -1: hangs */
	struct inproc_step step;
};

struct inproc_script {
	struct inproc_step steps[INPROC_STEPS_MAX];
	size_t count;
	size_t calls;
};

struct inproc {
	struct repl_transport transport;
	struct repl_clock clock;
	int64_t now_us;
	struct inproc_script scripts[REPL_SET_REPLICAS_MAX];
	struct inproc_pending pending[REPL_ATTEMPTS_MAX];
	size_t pending_count;
	struct inproc_call calls[INPROC_CALLS_MAX];
	size_t call_count;
};

static const char *const inproc_errors[] = {
	[INPROC_OK] = "ok",
	[INPROC_NO_MEMORY] = "out of memory",
	[INPROC_BAD_ARGUMENT] = "bad argument",
};

const char *inproc_strerror(enum inproc_status status)
{
	if ((unsigned)status >= sizeof inproc_errors / sizeof inproc_errors[0])
		return "unknown error";
	return inproc_errors[status];
}

static struct inproc *from_transport(struct repl_transport *transport)
{
	return (struct inproc *)((char *)transport - offsetof(struct inproc, transport));
}

static struct inproc *from_clock(struct repl_clock *clock)
{
	return (struct inproc *)((char *)clock - offsetof(struct inproc, clock));
}

static enum repl_status inproc_start(struct repl_transport *transport, struct repl_xfer *xfer)
{
	struct inproc *in = from_transport(transport);
	unsigned replica = xfer->replica->index;
	if (replica >= REPL_SET_REPLICAS_MAX || in->pending_count == REPL_ATTEMPTS_MAX ||
	    in->call_count == INPROC_CALLS_MAX)
		return REPL_TRANSPORT;
	struct inproc_script *script = &in->scripts[replica];
	struct inproc_step step = {.kind = INPROC_ANSWER, .after_ms = 0, .http_status = 200};
	if (script->count > 0)
		step = script->steps[script->calls < script->count ? script->calls : script->count - 1];
	script->calls++;

	struct inproc_call *call = &in->calls[in->call_count];
	call->replica = replica;
	call->start_ms = in->now_us / 1000;
	call->end_ms = -1;
	call->cancelled = false;

	struct inproc_pending *p = &in->pending[in->pending_count++];
	p->xfer = xfer;
	p->call = in->call_count++;
	p->step = step;
	p->due_us = step.kind == INPROC_HANG ? -1
	                                     : in->now_us + (int64_t)step.after_ms * 1000 + step.after_us;
	xfer->data = NULL;
	return REPL_OK;
}

static void pending_remove(struct inproc *in, size_t i)
{
	/* Keep start order: answers due at one instant are delivered oldest first. */
	memmove(&in->pending[i], &in->pending[i + 1], (in->pending_count - i - 1) * sizeof in->pending[0]);
	in->pending_count--;
}

static size_t pending_find(const struct inproc *in, const struct repl_xfer *xfer)
{
	for (size_t i = 0; i < in->pending_count; i++)
		if (in->pending[i].xfer == xfer)
			return i;
	return in->pending_count;
}

static void inproc_cancel(struct repl_transport *transport, struct repl_xfer *xfer,
                          struct repl_observation *seen)
{
	struct inproc *in = from_transport(transport);
	size_t i = pending_find(in, xfer);
	if (i == in->pending_count)
		return;
	struct inproc_pending *p = &in->pending[i];
	in->calls[p->call].end_ms = in->now_us / 1000;
	in->calls[p->call].cancelled = true;
	seen->commit_sent = p->step.commit_sent;
	pending_remove(in, i);
}

static enum repl_status answer(struct inproc_pending *p, struct repl_observation *observation)
{
	struct repl_xfer *xfer = p->xfer;
	memset(observation, 0, sizeof *observation);
	observation->cause = p->step.cause;
	observation->http_status = p->step.http_status;
	observation->sql_errno = p->step.sql_errno;
	observation->commit_sent = p->step.commit_sent;
	if (p->step.cause != REPL_CAUSE_NONE)
		return REPL_OK;
	size_t len = strlen(xfer->replica->name);
	xfer->response.body = malloc(len + 1);
	if (!xfer->response.body)
		return REPL_NO_MEMORY;
	memcpy(xfer->response.body, xfer->replica->name, len + 1);
	xfer->response.body_len = len;
	xfer->response.status = p->step.http_status;
	snprintf(xfer->response.etag, sizeof xfer->response.etag, "\"%s\"", xfer->replica->name);
	snprintf(xfer->response.content_type, sizeof xfer->response.content_type, "text/plain");
	return REPL_OK;
}

static void inproc_perform(struct repl_transport *transport, int64_t now_us)
{
	struct inproc *in = from_transport(transport);
	(void)now_us;
	for (size_t i = 0; i < in->pending_count;) {
		struct inproc_pending p = in->pending[i];
		if (p.due_us < 0 || p.due_us > in->now_us) {
			i++;
			continue;
		}
		pending_remove(in, i);
		in->calls[p.call].end_ms = in->now_us / 1000;
		struct repl_observation observation;
		if (answer(&p, &observation) != REPL_OK) {
			observation.cause = REPL_CAUSE_OTHER;
			observation.http_status = 0;
		}
		/* The callback may start or cancel attempts, which moves entries: rescan. */
		repl_exec_finished(p.xfer, &observation);
		i = 0;
	}
}

static unsigned inproc_fds(struct repl_transport *transport, struct repl_pollfd *fds, unsigned max)
{
	(void)transport;
	(void)fds;
	(void)max;
	return 0;
}

static int64_t inproc_next_event_us(struct repl_transport *transport, int64_t now_us)
{
	struct inproc *in = from_transport(transport);
	int64_t next = -1;
	(void)now_us;
	for (size_t i = 0; i < in->pending_count; i++)
		if (in->pending[i].due_us >= 0 && (next < 0 || in->pending[i].due_us < next))
			next = in->pending[i].due_us;
	return next;
}

static void inproc_transport_free(struct repl_transport *transport)
{
	(void)transport;   /* owned by struct inproc: inproc_free */
}

static const struct repl_transport_ops inproc_transport_ops = {
	.start = inproc_start,
	.cancel = inproc_cancel,
	.perform = inproc_perform,
	.fds = inproc_fds,
	.next_event_us = inproc_next_event_us,
	.free = inproc_transport_free,
};

static int64_t inproc_clock_now(struct repl_clock *clock)
{
	return from_clock(clock)->now_us;
}

static enum repl_status inproc_clock_wait(struct repl_clock *clock, struct repl_pollfd *fds,
                                          unsigned count, long timeout_ms)
{
	(void)fds;
	(void)count;
	if (timeout_ms < 0)
		return REPL_TRANSPORT;   /* nothing will ever happen: a test without a deadline */
	struct inproc *in = from_clock(clock);
	int64_t until = in->now_us + (int64_t)timeout_ms * 1000;
	/* The executor's timeout is whole ms: an answer due between two ms ends the wait early. */
	int64_t due = inproc_next_event_us(&in->transport, in->now_us);
	if (due > in->now_us && due < until)
		until = due;
	in->now_us = until;
	return REPL_OK;
}

static const struct repl_clock_ops inproc_clock_ops = {
	.now_us = inproc_clock_now,
	.wait = inproc_clock_wait,
};

enum inproc_status inproc_new(struct inproc **inproc)
{
	struct inproc *in = calloc(1, sizeof *in);
	if (!in)
		return INPROC_NO_MEMORY;
	in->transport.ops = &inproc_transport_ops;
	in->clock.ops = &inproc_clock_ops;
	*inproc = in;
	return INPROC_OK;
}

void inproc_free(struct inproc *inproc)
{
	free(inproc);
}

enum inproc_status inproc_script(struct inproc *inproc, unsigned replica,
                                 const struct inproc_step *steps, size_t count)
{
	if (replica >= REPL_SET_REPLICAS_MAX || count > INPROC_STEPS_MAX)
		return INPROC_BAD_ARGUMENT;
	struct inproc_script *script = &inproc->scripts[replica];
	memcpy(script->steps, steps, count * sizeof *steps);
	script->count = count;
	script->calls = 0;
	return INPROC_OK;
}

struct repl_transport *inproc_transport(struct inproc *inproc)
{
	return &inproc->transport;
}

struct repl_clock *inproc_clock(struct inproc *inproc)
{
	return &inproc->clock;
}

const struct inproc_call *inproc_calls(const struct inproc *inproc, size_t *count)
{
	*count = inproc->call_count;
	return inproc->calls;
}

void inproc_reset(struct inproc *inproc)
{
	inproc->call_count = 0;
	inproc->pending_count = 0;
	for (size_t r = 0; r < REPL_SET_REPLICAS_MAX; r++)
		inproc->scripts[r].calls = 0;
}

int64_t inproc_now_ms(const struct inproc *inproc)
{
	return inproc->now_us / 1000;
}
