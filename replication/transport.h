/*
 * transport.h: the private seam between librepl's executor (exec.c) and its transports (http.c,
 * inproc.c, later a MariaDB one). The executor owns the policy state machines and every timer
 * (attempt timeouts, hedge delays, backoff waits, the deadline); a transport only starts and
 * cancels attempts and reports each finished one through repl_exec_finished() from its
 * perform(), never from start() or cancel(), so the state machines are never re-entered. One
 * loop iteration is: clock->wait(fds of the transport, time to the earliest timer), then
 * transport->perform(), then every due timer. A clock is a time source plus a blocking wait: the
 * real one is curl_multi_poll() on the HTTP transport's multi handle (a MariaDB transport adds its
 * sockets as extra fds and its MYSQL_WAIT_TIMEOUT as next_event_us), the fake one in inproc.c
 * jumps virtual time forward by exactly the timeout, which makes executions deterministic.
 */
#ifndef REPL_TRANSPORT_H
#define REPL_TRANSPORT_H

#include "repl.h"

struct repl_exec;

/* One attempt in flight, owned by the executor; the transport keeps its own state in data. */
struct repl_xfer {
	struct repl_exec *exec;
	const struct repl_replica *replica;
	const void *work;                    /* struct repl_http_request, repl_sql_transaction or
	                                      * repl_smtp_message, as the transport takes */
	unsigned attempt;                    /* index in result->attempts */
	void *data;                          /* the transport's */
	/* Filled by an HTTP transport before repl_exec_finished(); the executor frees body. */
	struct repl_http_response response;
	/* Filled by the MariaDB transport (work: struct repl_sql_transaction); the executor frees it. */
	struct repl_sql_result sql;
};

/* An fd to poll: the layout of curl's struct curl_waitfd, so the real clock passes it as is. */
struct repl_pollfd {
	int fd;
	short events;                        /* REPL_POLL_IN | REPL_POLL_OUT */
	short revents;
};
#define REPL_POLL_IN 0x0001              /* CURL_WAIT_POLLIN */
#define REPL_POLL_OUT 0x0004             /* CURL_WAIT_POLLOUT */
#define REPL_POLLFDS_MAX 64

struct repl_transport;

struct repl_transport_ops {
	/* Begins xfer (replica, work); an error ends the whole execution with that status. */
	enum repl_status (*start)(struct repl_transport *transport, struct repl_xfer *xfer);
	/* Stops xfer at once and forgets it. seen starts zeroed; a transport that knows more (a
	 * MariaDB COMMIT already sent) sets it, and a timed-out attempt is classified from it. */
	void (*cancel)(struct repl_transport *transport, struct repl_xfer *xfer,
	               struct repl_observation *seen);
	/* Drives work that is ready (after a wait) and reports every finished xfer. */
	void (*perform)(struct repl_transport *transport, int64_t now_us);
	/* Extra fds to poll (MariaDB sockets); returns how many it wrote, at most max. */
	unsigned (*fds)(struct repl_transport *transport, struct repl_pollfd *fds, unsigned max);
	/* The transport's own earliest timer (absolute, clock time) or -1; curl needs none. */
	int64_t (*next_event_us)(struct repl_transport *transport, int64_t now_us);
	void (*free)(struct repl_transport *transport);
};

struct repl_transport {
	const struct repl_transport_ops *ops;
};

struct repl_clock;

struct repl_clock_ops {
	int64_t (*now_us)(struct repl_clock *clock);
	/* Blocks until an fd is ready, the transport has work, or timeout_ms passed (-1: no
	 * limit). A clock that would wait forever (the fake one with -1) returns REPL_TRANSPORT. */
	enum repl_status (*wait)(struct repl_clock *clock, struct repl_pollfd *fds, unsigned count,
	                         long timeout_ms);
};

struct repl_clock {
	const struct repl_clock_ops *ops;
};

/* Called by a transport's perform() for each finished xfer (defined in exec.c). */
void repl_exec_finished(struct repl_xfer *xfer, const struct repl_observation *observation);

/* The HTTP transport over libcurl multi (http.c); its clock is curl_multi_poll on its multi. */
enum repl_status repl_http_transport_new(struct repl_transport **transport, struct repl_clock **clock);

/* The SMTP transport over its own libcurl multi (smtp.c), and its clock (curl_multi_poll on it). */
enum repl_status repl_smtp_transport_new(struct repl_transport **transport, struct repl_clock **clock);
/* CLOCK_MONOTONIC in microseconds: the real clocks' time (curlm.c). */
int64_t repl_monotonic_us(void);

/* The MariaDB transport (mysql.c): Connector/C's non-blocking API; its sockets and timers go to
 * whatever clock runs it (the HTTP transport's real clock polls them as extra fds). */
enum repl_status repl_mysql_transport_new(struct repl_transport **transport);
/* Frees what result owns and zeroes it (exec.c). */
void repl_sql_result_free(struct repl_sql_result *result);

/* Tests and benchmarks: run this client's executions on transport and clock (not owned; the
 * caller frees them after the client) and draw backoff waits from seed. */
void repl_client_use(struct repl_client *client, struct repl_transport *transport,
                     struct repl_clock *clock, uint64_t seed);

#endif
