/*
 * curlm.h: what librepl's curl transports (http.c, smtp.c) share: the libcurl multi handle they
 * drive and the real clock over it; internal to replication/.
 */
#ifndef REPL_CURLM_H
#define REPL_CURLM_H

#include "transport.h"

#include <curl/curl.h>

struct curlm;

/* One finished easy handle: attempt is its CURLOPT_PRIVATE, code its result. Fills observation,
 * frees the attempt (removing easy from the multi), clears xfer->data and returns the xfer. */
typedef struct repl_xfer *(*curlm_done_fn)(struct curlm *m, void *attempt, CURL *easy, CURLcode code,
                                           struct repl_observation *observation);

/* Embedded in a transport's own struct: transport.ops are the transport's, clock.ops curlm's. */
struct curlm {
	struct repl_transport transport;
	struct repl_clock clock;
	CURLM *multi;
	curlm_done_fn done;
};

/* curl_global_init and a new multi, then hands out m's transport and clock; on failure nothing
 * is left to clean up and nothing is handed out. */
enum repl_status curlm_init(struct curlm *m, const struct repl_transport_ops *ops, curlm_done_fn done,
                            struct repl_transport **transport, struct repl_clock **clock);
/* The multi and curl_global_cleanup; the caller removes its easy handles first. */
void curlm_cleanup(struct curlm *m);
struct curlm *curlm_from_transport(struct repl_transport *transport);
/* A failed transfer's cause, by a transport's table; a code not listed is a protocol error. */
struct curlm_cause {
	CURLcode code;
	enum repl_cause cause;
};
enum repl_cause curlm_cause_of(const struct curlm_cause *table, size_t count, CURLcode code);
/* An easy handle's setup result as librepl's status (out of memory, or any other failure). */
enum repl_status curlm_status(CURLcode c);

/* The transport ops every curl transport shares: perform reports each done message through
 * m->done then repl_exec_finished; no fds and no timers of its own (curl_multi_poll has them). */
void curlm_perform(struct repl_transport *transport, int64_t now_us);
unsigned curlm_fds(struct repl_transport *transport, struct repl_pollfd *fds, unsigned max);
int64_t curlm_next_event_us(struct repl_transport *transport, int64_t now_us);
/* A curl transport's ops: its own start, cancel and free, and the shared rest. */
#define CURLM_TRANSPORT_OPS(start_fn, cancel_fn, free_fn) { \
	.start = (start_fn), .cancel = (cancel_fn), .perform = curlm_perform, .fds = curlm_fds, \
	.next_event_us = curlm_next_event_us, .free = (free_fn) }

#endif
