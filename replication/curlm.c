/*
 * curlm.c: drives one libcurl multi handle for a curl transport (http.c, smtp.c) and is its real
 * clock (monotonic time; waits are curl_multi_poll on that multi, with other transports' fds as
 * extra fds). What an attempt is and how its result reads stay with the transport (m->done).
 */
#include "curlm.h"

#include <stdlib.h>
#include <time.h>

#define CURLM_POLL_MAX_MS 1000       /* a wait with no timer still wakes up to look again */

_Static_assert(sizeof(struct repl_pollfd) == sizeof(struct curl_waitfd), "pollfd layout");
_Static_assert(offsetof(struct repl_pollfd, events) == offsetof(struct curl_waitfd, events), "events");
_Static_assert(offsetof(struct repl_pollfd, revents) == offsetof(struct curl_waitfd, revents), "revents");
_Static_assert(REPL_POLL_IN == CURL_WAIT_POLLIN && REPL_POLL_OUT == CURL_WAIT_POLLOUT, "poll bits");

struct curlm *curlm_from_transport(struct repl_transport *transport)
{
	return (struct curlm *)((char *)transport - offsetof(struct curlm, transport));
}

enum repl_status curlm_status(CURLcode c)
{
	if (c == CURLE_OUT_OF_MEMORY)
		return REPL_NO_MEMORY;
	return c == CURLE_OK ? REPL_OK : REPL_TRANSPORT;
}

enum repl_cause curlm_cause_of(const struct curlm_cause *table, size_t count, CURLcode code)
{
	for (size_t i = 0; i < count; i++)
		if (table[i].code == code)
			return table[i].cause;
	return REPL_CAUSE_PROTOCOL;
}

static struct curlm *from_clock(struct repl_clock *clock)
{
	return (struct curlm *)((char *)clock - offsetof(struct curlm, clock));
}

void curlm_perform(struct repl_transport *transport, int64_t now_us)
{
	struct curlm *m = curlm_from_transport(transport);
	int running = 0, left = 0;
	CURLMsg *msg;
	(void)now_us;
	curl_multi_perform(m->multi, &running);
	while ((msg = curl_multi_info_read(m->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		void *attempt = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&attempt);
		struct repl_observation observation = {0};
		struct repl_xfer *xfer = m->done(m, attempt, msg->easy_handle, msg->data.result, &observation);
		/* May add and remove handles: curl allows that between info_read calls. */
		repl_exec_finished(xfer, &observation);
	}
}

unsigned curlm_fds(struct repl_transport *transport, struct repl_pollfd *fds, unsigned max)
{
	(void)transport;
	(void)fds;
	(void)max;
	return 0;   /* curl_multi_poll watches curl's own sockets */
}

int64_t curlm_next_event_us(struct repl_transport *transport, int64_t now_us)
{
	(void)transport;
	(void)now_us;
	return -1;  /* curl_multi_poll honours curl's own timers */
}

int64_t repl_monotonic_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t curlm_now_us(struct repl_clock *clock)
{
	(void)clock;
	return repl_monotonic_us();
}

static enum repl_status curlm_wait(struct repl_clock *clock, struct repl_pollfd *fds, unsigned count,
                                   long timeout_ms)
{
	struct curlm *m = from_clock(clock);
	int timeout = timeout_ms < 0 || timeout_ms > CURLM_POLL_MAX_MS ? CURLM_POLL_MAX_MS : (int)timeout_ms;
	CURLMcode c = curl_multi_poll(m->multi, (struct curl_waitfd *)(void *)fds, count, timeout, NULL);
	return c == CURLM_OK ? REPL_OK : REPL_TRANSPORT;
}

static const struct repl_clock_ops curlm_clock_ops = {
	.now_us = curlm_now_us,
	.wait = curlm_wait,
};

enum repl_status curlm_init(struct curlm *m, const struct repl_transport_ops *ops, curlm_done_fn done,
                            struct repl_transport **transport, struct repl_clock **clock)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return REPL_TRANSPORT;
	m->multi = curl_multi_init();
	if (!m->multi) {
		curl_global_cleanup();
		return REPL_TRANSPORT;
	}
	m->transport.ops = ops;
	m->clock.ops = &curlm_clock_ops;
	m->done = done;
	*transport = &m->transport;
	*clock = &m->clock;
	return REPL_OK;
}

void curlm_cleanup(struct curlm *m)
{
	curl_multi_cleanup(m->multi);
	m->multi = NULL;
	curl_global_cleanup();
}
