/*
 * replfault.c: a fault-injecting replica server for librepl's benchmarks. One single-threaded
 * process serves many replicas, each on its own 127.0.0.1 port: an HTTP/1.1 responder that
 * answers every request after a latency drawn from the replica's WS-DREAM profile (or replayed from
 * a dataset #2 trace), or injects a fault instead — a hang, a 503/502, a reset, a truncated body —
 * as faultmodel.h decides from (seed, case, replica, attempt); and TCP proxies that put the same
 * per-connection delay and faults in front of a real server (MariaDB, an S3 replica). Everything
 * runs from one epoll loop with a timer min-heap behind one timerfd, non-blocking sockets, a fixed
 * connection pool and a signalfd for SIGTERM/SIGINT. `--dry-run N` prints what cases 0..N-1 would
 * get, without listening, so runs can be compared byte for byte.
 */
#include "faultmodel.h"
#include "replfault_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define REPLFAULT_REPLICAS_MAX     64       /* HTTP replicas plus proxies */
#define REPLFAULT_PROXIES_MAX      16
#define REPLFAULT_CONN_DEFAULT     4096     /* connections open at once */
#define REPLFAULT_CONN_HARD_MAX    65536
#define REPLFAULT_RELAY_BUF        16384    /* bytes buffered per proxy direction */
#define REPLFAULT_OUT_MAX          512      /* bytes of one generated response */
#define REPLFAULT_HANG_MAX_MS      30000.0  /* default --hang-max-ms, unscaled: 3 x the paper's 10 s timeout */
#define REPLFAULT_EVENTS           64
#define REPLFAULT_TRUNCATE_MISSING 100      /* body bytes a truncated answer promises but never sends */

enum replfault_status {
	REPLFAULT_OK = 0,
	REPLFAULT_E_USAGE,
	REPLFAULT_E_PROFILE,
	REPLFAULT_E_SYSTEM,
};

enum replfault_kind { REPLFAULT_HTTP, REPLFAULT_PROXY };

/* epoll data: the kind of object in the high 32 bits, its index in the low. */
enum replfault_tag { TAG_LISTENER = 1, TAG_CLIENT, TAG_UPSTREAM, TAG_SIGNAL, TAG_TIMER };

enum replfault_conn_state {
	CONN_FREE,
	CONN_READ,        /* HTTP: reading a request head */
	CONN_BODY,        /* HTTP: discarding the request body */
	CONN_WAIT,        /* HTTP and proxy: the injected latency runs */
	CONN_HANG,        /* holding the connection without answering until hang-max */
	CONN_WRITE,       /* HTTP: sending the answer */
	CONN_CONNECTING,  /* proxy: connecting upstream */
	CONN_RELAY,       /* proxy: copying bytes both ways */
};

struct replfault_replica {
	struct faultmodel_replica profile;
	enum replfault_kind kind;
	uint16_t port;
	int fd;
	bool registered;
	uint64_t counter;                      /* the case of requests without X-Repl-Case */
	struct sockaddr_storage upstream;      /* proxy only */
	socklen_t upstream_len;
};

struct replfault_side {
	int fd;
	uint32_t events;      /* registered with epoll; 0 = not registered */
};

struct replfault_conn {
	enum replfault_conn_state state;
	unsigned replica;
	struct replfault_side client, upstream;
	size_t heap_pos;      /* SIZE_MAX = no timer */
	int64_t deadline;
	/* HTTP */
	char *in;
	size_t in_len;
	uint64_t body_left;
	char out[REPLFAULT_OUT_MAX];
	size_t out_len, out_off;
	bool keep_alive, head_only, close_after;
	/* the request being answered */
	enum faultmodel_action action;
	uint64_t case_id;
	unsigned attempt;
	double latency_ms;    /* unscaled */
	/* proxy: [0] client -> upstream, [1] upstream -> client */
	char *buf[2];
	size_t len[2], off[2];
	bool eof[2];
	size_t next_free;
};

struct replfault_options {
	const char *profile, *location, *replicas, *trace, *address;
	const char *proxy[REPLFAULT_PROXIES_MAX];
	size_t proxies;
	long port_base;
	double scale, hang_max_ms;
	uint64_t seed;
	unsigned trace_user;
	struct faultmodel_faults faults;
	long max_conn;
	long dry_run, dry_run_attempts;
	bool verbose;
};

struct replfault {
	struct replfault_options opt;
	struct replfault_replica replica[REPLFAULT_REPLICAS_MAX];
	size_t replicas;
	struct faultmodel_trace trace;
	bool have_trace;
	struct in_addr address;
	int epoll_fd, signal_fd, timer_fd;
	struct replfault_conn *conn;
	size_t conn_max, conn_used, free_head;
	struct replfault_conn **heap;
	size_t heap_len;
	int64_t armed;        /* deadline the timerfd is set to; 0 = disarmed */
	bool paused;          /* listeners out of epoll because the pool is full */
	bool stop;
};

static char replfault_discard[65536];

static int64_t replfault_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t replfault_scaled_ns(const struct replfault *rf, double ms)
{
	double ns = ms * rf->opt.scale * 1e6;
	return ns < 1 ? 1 : (int64_t)llround(ns);
}

/* ---- timer heap: a min-heap of connections by deadline, each holding its own position ---- */

static bool replfault_heap_less(const struct replfault *rf, size_t a, size_t b)
{
	return rf->heap[a]->deadline < rf->heap[b]->deadline;
}

static void replfault_heap_swap(struct replfault *rf, size_t a, size_t b)
{
	struct replfault_conn *t = rf->heap[a];
	rf->heap[a] = rf->heap[b];
	rf->heap[b] = t;
	rf->heap[a]->heap_pos = a;
	rf->heap[b]->heap_pos = b;
}

static void replfault_heap_fix(struct replfault *rf, size_t i)
{
	while (i > 0 && replfault_heap_less(rf, i, (i - 1) / 2)) {
		replfault_heap_swap(rf, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < rf->heap_len && replfault_heap_less(rf, l, m))
			m = l;
		if (r < rf->heap_len && replfault_heap_less(rf, r, m))
			m = r;
		if (m == i)
			break;
		replfault_heap_swap(rf, i, m);
		i = m;
	}
}

static void replfault_timer_clear(struct replfault *rf, struct replfault_conn *c)
{
	size_t i = c->heap_pos;
	if (i == SIZE_MAX)
		return;
	c->heap_pos = SIZE_MAX;
	rf->heap_len--;
	if (i != rf->heap_len) {
		rf->heap[i] = rf->heap[rf->heap_len];
		rf->heap[i]->heap_pos = i;
		replfault_heap_fix(rf, i);
	}
}

/* The heap has room for every connection, and each holds at most one timer. */
static void replfault_timer_set(struct replfault *rf, struct replfault_conn *c, int64_t deadline)
{
	replfault_timer_clear(rf, c);
	c->deadline = deadline;
	c->heap_pos = rf->heap_len;
	rf->heap[rf->heap_len++] = c;
	replfault_heap_fix(rf, c->heap_pos);
}

static void replfault_timer_arm(struct replfault *rf)
{
	int64_t want = rf->heap_len ? rf->heap[0]->deadline : 0;
	if (want == rf->armed)
		return;
	struct itimerspec its = {0};
	if (want) {
		its.it_value.tv_sec = want / 1000000000;
		its.it_value.tv_nsec = want % 1000000000;
	}
	if (timerfd_settime(rf->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		rf->armed = want;
}

/* ---- epoll registration ---- */

static uint64_t replfault_tag(enum replfault_tag tag, size_t index)
{
	return (uint64_t)tag << 32 | (uint64_t)index;
}

/* Registers fd for exactly `events`; an fd wanting nothing leaves epoll, so a hung-up socket we
 * cannot read yet does not make epoll_wait spin. */
static int replfault_watch(struct replfault *rf, struct replfault_side *side, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};
	int rc = 0;
	if (events == side->events)
		return 0;
	if (events == 0)
		rc = epoll_ctl(rf->epoll_fd, EPOLL_CTL_DEL, side->fd, NULL);
	else if (side->events == 0)
		rc = epoll_ctl(rf->epoll_fd, EPOLL_CTL_ADD, side->fd, &ev);
	else
		rc = epoll_ctl(rf->epoll_fd, EPOLL_CTL_MOD, side->fd, &ev);
	if (rc == 0)
		side->events = events;
	return rc;
}

static void replfault_listeners(struct replfault *rf, bool on)
{
	for (size_t i = 0; i < rf->replicas; i++) {
		struct replfault_replica *r = &rf->replica[i];
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = replfault_tag(TAG_LISTENER, i)};
		if (on && !r->registered && epoll_ctl(rf->epoll_fd, EPOLL_CTL_ADD, r->fd, &ev) == 0)
			r->registered = true;
		else if (!on && r->registered && epoll_ctl(rf->epoll_fd, EPOLL_CTL_DEL, r->fd, NULL) == 0)
			r->registered = false;
	}
	rf->paused = !on;
}

/* ---- connections ---- */

static size_t replfault_conn_index(const struct replfault *rf, const struct replfault_conn *c)
{
	return (size_t)(c - rf->conn);
}

static void replfault_reset_fd(int fd)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

/* Closes both sides; `reset` sends RST instead of FIN (the injected reset, or a failed upstream). */
static void replfault_conn_close(struct replfault *rf, struct replfault_conn *c, bool reset)
{
	struct replfault_side *sides[] = {&c->client, &c->upstream};
	for (size_t i = 0; i < 2; i++) {
		if (sides[i]->fd < 0)
			continue;
		replfault_watch(rf, sides[i], 0, 0);
		if (reset)
			replfault_reset_fd(sides[i]->fd);
		close(sides[i]->fd);
		sides[i]->fd = -1;
	}
	replfault_timer_clear(rf, c);
	free(c->in);
	free(c->buf[0]);
	free(c->buf[1]);
	c->in = c->buf[0] = c->buf[1] = NULL;
	c->state = CONN_FREE;
	c->next_free = rf->free_head;
	rf->free_head = replfault_conn_index(rf, c);
	rf->conn_used--;
	if (rf->paused)
		replfault_listeners(rf, true);
}

static struct replfault_conn *replfault_conn_new(struct replfault *rf, int fd, unsigned replica)
{
	if (rf->free_head == SIZE_MAX)
		return NULL;
	struct replfault_conn *c = &rf->conn[rf->free_head];
	rf->free_head = c->next_free;
	rf->conn_used++;
	memset(c, 0, sizeof *c);
	c->client.fd = fd;
	c->upstream.fd = -1;
	c->heap_pos = SIZE_MAX;
	c->replica = replica;
	c->next_free = SIZE_MAX;
	return c;
}

/* ---- the fault decision of one request ---- */

/* What request (case, attempt) of replica i gets: the action and the latency (unscaled ms). */
static enum faultmodel_action replfault_plan(const struct replfault *rf, unsigned replica, uint64_t case_id,
                                             unsigned attempt, double *latency_ms)
{
	const struct replfault_replica *r = &rf->replica[replica];
	enum faultmodel_action action = faultmodel_decide(&rf->opt.faults, &r->profile, rf->opt.seed, case_id, replica, attempt);
	if (rf->have_trace) {
		*latency_ms = faultmodel_trace_ms(&rf->trace, replica, case_id, attempt);
		if (*latency_ms < 0)
			action = FAULTMODEL_HANG;
	} else {
		*latency_ms = faultmodel_request_latency_ms(&r->profile, rf->opt.seed, case_id, replica, attempt);
	}
	/* A TCP proxy cannot answer 503/502 or cut a body short: those become resets there. */
	if (r->kind == REPLFAULT_PROXY && action != FAULTMODEL_OK && action != FAULTMODEL_HANG)
		action = FAULTMODEL_RESET;
	return action;
}

static void replfault_decide(struct replfault *rf, struct replfault_conn *c)
{
	struct replfault_replica *r = &rf->replica[c->replica];
	c->action = replfault_plan(rf, c->replica, c->case_id, c->attempt, &c->latency_ms);
	if (rf->opt.verbose)
		fprintf(stderr, "replfault: %s case %" PRIu64 " attempt %u: %s after %.3f ms\n", r->profile.name,
		        c->case_id, c->attempt, faultmodel_action_name(c->action),
		        c->action == FAULTMODEL_HANG ? rf->opt.hang_max_ms * rf->opt.scale : c->latency_ms * rf->opt.scale);
	int64_t now = replfault_now();
	if (c->action == FAULTMODEL_HANG) {
		c->state = CONN_HANG;
		replfault_timer_set(rf, c, now + replfault_scaled_ns(rf, rf->opt.hang_max_ms));
	} else {
		c->state = CONN_WAIT;
		replfault_timer_set(rf, c, now + replfault_scaled_ns(rf, c->latency_ms));
	}
	/* While waiting only the client's going away matters: its next request stays in the kernel. */
	replfault_watch(rf, &c->client, EPOLLRDHUP, replfault_tag(TAG_CLIENT, replfault_conn_index(rf, c)));
}

/* ---- HTTP ---- */

static void replfault_http_advance(struct replfault *rf, struct replfault_conn *c);

static void replfault_http_error(struct replfault *rf, struct replfault_conn *c, enum replfault_http_status st)
{
	static const struct {
		enum replfault_http_status status;
		const char *line;
	} lines[] = {
		{REPLFAULT_HTTP_BAD, "400 Bad Request"},
		{REPLFAULT_HTTP_TOO_LARGE, "431 Request Header Fields Too Large"},
		{REPLFAULT_HTTP_LENGTH_REQUIRED, "411 Length Required"},
		{REPLFAULT_HTTP_VERSION, "505 HTTP Version Not Supported"},
	};
	const char *line = lines[0].line;
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
		if (lines[i].status == st)
			line = lines[i].line;
	int n = snprintf(c->out, sizeof c->out, "HTTP/1.1 %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", line);
	c->out_len = n > 0 ? (size_t)n : 0;
	c->out_off = 0;
	c->close_after = true;
	c->state = CONN_WRITE;
	replfault_watch(rf, &c->client, EPOLLOUT, replfault_tag(TAG_CLIENT, replfault_conn_index(rf, c)));
}

/* Writes c->out; on completion closes or goes back to reading the next request. */
static void replfault_http_write(struct replfault *rf, struct replfault_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->client.fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			replfault_watch(rf, &c->client, EPOLLOUT, replfault_tag(TAG_CLIENT, replfault_conn_index(rf, c)));
			return;
		}
		if (n <= 0) {
			replfault_conn_close(rf, c, false);
			return;
		}
		c->out_off += (size_t)n;
	}
	if (c->close_after) {
		/* FIN first, so a client reading a truncated body sees the end, not a reset. */
		shutdown(c->client.fd, SHUT_WR);
		replfault_conn_close(rf, c, false);
		return;
	}
	c->state = CONN_READ;
	replfault_watch(rf, &c->client, EPOLLIN | EPOLLRDHUP, replfault_tag(TAG_CLIENT, replfault_conn_index(rf, c)));
	replfault_http_advance(rf, c);   /* a pipelined request may be buffered already */
}

static void replfault_http_answer(struct replfault *rf, struct replfault_conn *c)
{
	static const struct {
		enum faultmodel_action action;
		const char *line, *body;
	} answers[] = {
		{FAULTMODEL_OK, "200 OK", "ok"},
		{FAULTMODEL_503, "503 Service Unavailable", "injected 503"},
		{FAULTMODEL_502, "502 Bad Gateway", "injected 502"},
		{FAULTMODEL_TRUNCATE, "200 OK", "ok"},
	};
	const struct replfault_replica *r = &rf->replica[c->replica];
	char body[128];
	size_t i = 0;

	if (c->action == FAULTMODEL_RESET) {
		replfault_conn_close(rf, c, true);
		return;
	}
	while (i < sizeof answers / sizeof answers[0] - 1 && answers[i].action != c->action)
		i++;
	int blen = snprintf(body, sizeof body, "%s %s %" PRIu64 "\n", answers[i].body, r->profile.name, c->case_id);
	if (blen < 0 || (size_t)blen >= sizeof body)
		blen = 0;
	bool truncate = c->action == FAULTMODEL_TRUNCATE;
	c->close_after = truncate || !c->keep_alive;
	size_t promised = (size_t)blen + (truncate ? REPLFAULT_TRUNCATE_MISSING : 0);
	int n = snprintf(c->out, sizeof c->out,
	                 "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
	                 "X-Repl-Replica: %s\r\nX-Repl-Case: %" PRIu64 "\r\nX-Repl-Attempt: %u\r\n"
	                 "X-Repl-Latency-Ms: %.3f\r\nConnection: %s\r\n\r\n%s",
	                 answers[i].line, promised, r->profile.name, c->case_id, c->attempt, c->latency_ms * rf->opt.scale,
	                 c->close_after ? "close" : "keep-alive", c->head_only ? "" : body);
	if (n < 0 || (size_t)n >= sizeof c->out) {
		replfault_conn_close(rf, c, true);
		return;
	}
	c->out_len = (size_t)n;
	c->out_off = 0;
	c->state = CONN_WRITE;
	replfault_http_write(rf, c);
}

/* Moves the connection on with what is buffered: parse a head, discard a body, start a request. */
static void replfault_http_advance(struct replfault *rf, struct replfault_conn *c)
{
	struct replfault_replica *r = &rf->replica[c->replica];
	for (;;) {
		if (c->state == CONN_BODY) {
			size_t take = c->body_left < c->in_len ? (size_t)c->body_left : c->in_len;
			memmove(c->in, c->in + take, c->in_len - take);
			c->in_len -= take;
			c->body_left -= take;
			if (c->body_left)
				return;
			replfault_decide(rf, c);
			return;
		}
		if (c->state != CONN_READ)
			return;
		if (c->in_len == 0)
			return;
		struct replfault_http_request req;
		enum replfault_http_status st = replfault_http_parse(c->in, c->in_len, &req);
		if (st == REPLFAULT_HTTP_INCOMPLETE)
			return;
		if (st != REPLFAULT_HTTP_OK) {
			replfault_http_error(rf, c, st);
			return;
		}
		c->keep_alive = req.keep_alive;
		c->head_only = req.head_only;
		c->case_id = req.has_case ? req.case_id : r->counter++;
		c->attempt = req.has_attempt ? req.attempt : 0;
		c->body_left = req.content_length;
		memmove(c->in, c->in + req.head_len, c->in_len - req.head_len);
		c->in_len -= req.head_len;
		c->state = CONN_BODY;
	}
}

static void replfault_http_read(struct replfault *rf, struct replfault_conn *c)
{
	for (;;) {
		ssize_t n;
		if (c->state == CONN_BODY && c->in_len == 0) {
			size_t want = c->body_left < sizeof replfault_discard ? (size_t)c->body_left : sizeof replfault_discard;
			n = recv(c->client.fd, replfault_discard, want, 0);
			if (n > 0) {
				c->body_left -= (uint64_t)n;
				if (c->body_left == 0) {
					replfault_decide(rf, c);
					return;
				}
				continue;
			}
		} else {
			if (c->in_len == REPLFAULT_HTTP_HEAD_MAX) {
				replfault_http_error(rf, c, REPLFAULT_HTTP_TOO_LARGE);
				return;
			}
			n = recv(c->client.fd, c->in + c->in_len, REPLFAULT_HTTP_HEAD_MAX - c->in_len, 0);
			if (n > 0) {
				c->in_len += (size_t)n;
				replfault_http_advance(rf, c);
				if (c->state != CONN_READ && c->state != CONN_BODY)
					return;
				continue;
			}
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		replfault_conn_close(rf, c, false);   /* EOF or error */
		return;
	}
}

/* ---- proxy ---- */

static void replfault_proxy_update(struct replfault *rf, struct replfault_conn *c)
{
	size_t idx = replfault_conn_index(rf, c);
	if (c->eof[0] && c->eof[1] && c->len[0] == 0 && c->len[1] == 0) {
		replfault_conn_close(rf, c, false);
		return;
	}
	uint32_t client = (!c->eof[0] && c->len[0] == 0 ? EPOLLIN : 0) | (c->len[1] ? EPOLLOUT : 0);
	uint32_t upstream = (!c->eof[1] && c->len[1] == 0 ? EPOLLIN : 0) | (c->len[0] ? EPOLLOUT : 0);
	if (replfault_watch(rf, &c->client, client, replfault_tag(TAG_CLIENT, idx)) ||
	    replfault_watch(rf, &c->upstream, upstream, replfault_tag(TAG_UPSTREAM, idx)))
		replfault_conn_close(rf, c, true);
}

/* Moves bytes in direction d (0: client -> upstream, 1: upstream -> client) as far as possible.
 * false = the connection is gone. */
static bool replfault_proxy_pump(struct replfault *rf, struct replfault_conn *c, int d)
{
	int from = d == 0 ? c->client.fd : c->upstream.fd;
	int to = d == 0 ? c->upstream.fd : c->client.fd;
	for (;;) {
		if (c->len[d] == 0 && !c->eof[d]) {
			ssize_t n = recv(from, c->buf[d], REPLFAULT_RELAY_BUF, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				return true;
			if (n < 0) {
				replfault_conn_close(rf, c, true);
				return false;
			}
			if (n == 0) {
				c->eof[d] = true;
				shutdown(to, SHUT_WR);
				return true;
			}
			c->len[d] = (size_t)n;
			c->off[d] = 0;
		}
		if (c->len[d] == 0)
			return true;
		ssize_t w = send(to, c->buf[d] + c->off[d], c->len[d] - c->off[d], MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (w <= 0) {
			replfault_conn_close(rf, c, true);
			return false;
		}
		c->off[d] += (size_t)w;
		if (c->off[d] == c->len[d]) {
			c->len[d] = c->off[d] = 0;
			if (c->eof[d])
				shutdown(to, SHUT_WR);
		}
	}
}

static void replfault_proxy_relay(struct replfault *rf, struct replfault_conn *c)
{
	if (!replfault_proxy_pump(rf, c, 0) || !replfault_proxy_pump(rf, c, 1))
		return;
	replfault_proxy_update(rf, c);
}

static void replfault_proxy_connected(struct replfault *rf, struct replfault_conn *c)
{
	int err = 0;
	socklen_t len = sizeof err;
	if (getsockopt(c->upstream.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
		if (rf->opt.verbose)
			fprintf(stderr, "replfault: %s: upstream: %s\n", rf->replica[c->replica].profile.name, strerror(err ? err : errno));
		replfault_conn_close(rf, c, true);
		return;
	}
	c->state = CONN_RELAY;
	replfault_proxy_relay(rf, c);
}

static void replfault_proxy_connect(struct replfault *rf, struct replfault_conn *c)
{
	const struct replfault_replica *r = &rf->replica[c->replica];
	if (c->action == FAULTMODEL_RESET) {
		replfault_conn_close(rf, c, true);
		return;
	}
	c->buf[0] = malloc(REPLFAULT_RELAY_BUF);
	c->buf[1] = malloc(REPLFAULT_RELAY_BUF);
	int fd = socket(r->upstream.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (!c->buf[0] || !c->buf[1] || fd < 0) {
		if (fd >= 0)
			close(fd);
		replfault_conn_close(rf, c, true);
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->upstream.fd = fd;
	if (connect(fd, (const struct sockaddr *)&r->upstream, r->upstream_len) == 0) {
		c->state = CONN_RELAY;
		replfault_proxy_relay(rf, c);
		return;
	}
	if (errno != EINPROGRESS) {
		replfault_conn_close(rf, c, true);
		return;
	}
	c->state = CONN_CONNECTING;
	size_t idx = replfault_conn_index(rf, c);
	if (replfault_watch(rf, &c->client, 0, 0) ||
	    replfault_watch(rf, &c->upstream, EPOLLOUT, replfault_tag(TAG_UPSTREAM, idx)))
		replfault_conn_close(rf, c, true);
}

/* ---- events ---- */

static void replfault_accept(struct replfault *rf, unsigned index)
{
	struct replfault_replica *r = &rf->replica[index];
	for (;;) {
		if (rf->free_head == SIZE_MAX) {
			replfault_listeners(rf, false);
			return;
		}
		int fd = accept4(r->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK && rf->opt.verbose)
				fprintf(stderr, "replfault: accept: %s\n", strerror(errno));
			return;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		struct replfault_conn *c = replfault_conn_new(rf, fd, index);
		if (r->kind == REPLFAULT_PROXY) {
			c->case_id = r->counter++;
			c->attempt = 0;
			replfault_decide(rf, c);
			continue;
		}
		c->in = malloc(REPLFAULT_HTTP_HEAD_MAX);
		if (!c->in) {
			replfault_conn_close(rf, c, true);
			continue;
		}
		c->state = CONN_READ;
		if (replfault_watch(rf, &c->client, EPOLLIN | EPOLLRDHUP, replfault_tag(TAG_CLIENT, replfault_conn_index(rf, c))))
			replfault_conn_close(rf, c, true);
	}
}

static void replfault_on_timer(struct replfault *rf, struct replfault_conn *c)
{
	if (c->state == CONN_HANG) {
		replfault_conn_close(rf, c, false);
		return;
	}
	if (rf->replica[c->replica].kind == REPLFAULT_PROXY)
		replfault_proxy_connect(rf, c);
	else
		replfault_http_answer(rf, c);
}

static void replfault_on_client(struct replfault *rf, struct replfault_conn *c, uint32_t events)
{
	switch (c->state) {
	case CONN_READ:
	case CONN_BODY:
		if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			replfault_http_read(rf, c);
		break;
	case CONN_WAIT:
	case CONN_HANG:
		/* The client gave up (a cancelled par branch, a timeout): free the slot now. */
		replfault_conn_close(rf, c, false);
		break;
	case CONN_WRITE:
		if (events & EPOLLERR)
			replfault_conn_close(rf, c, false);
		else
			replfault_http_write(rf, c);
		break;
	case CONN_RELAY:
		replfault_proxy_relay(rf, c);
		break;
	case CONN_CONNECTING:
	case CONN_FREE:
		break;
	}
}

static void replfault_on_upstream(struct replfault *rf, struct replfault_conn *c, uint32_t events)
{
	(void)events;
	if (c->state == CONN_CONNECTING)
		replfault_proxy_connected(rf, c);
	else if (c->state == CONN_RELAY)
		replfault_proxy_relay(rf, c);
}

static void replfault_dispatch(struct replfault *rf, const struct epoll_event *ev)
{
	enum replfault_tag tag = (enum replfault_tag)(ev->data.u64 >> 32);
	size_t index = (size_t)(ev->data.u64 & 0xffffffffu);
	switch (tag) {
	case TAG_LISTENER:
		replfault_accept(rf, (unsigned)index);
		break;
	case TAG_CLIENT:
		if (rf->conn[index].state != CONN_FREE)
			replfault_on_client(rf, &rf->conn[index], ev->events);
		break;
	case TAG_UPSTREAM:
		if (rf->conn[index].state != CONN_FREE)
			replfault_on_upstream(rf, &rf->conn[index], ev->events);
		break;
	case TAG_SIGNAL: {
		struct signalfd_siginfo si;
		if (read(rf->signal_fd, &si, sizeof si) == (ssize_t)sizeof si)
			rf->stop = true;
		break;
	}
	case TAG_TIMER: {
		uint64_t expirations;
		if (read(rf->timer_fd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
			rf->stop = true;
		rf->armed = 0;
		break;
	}
	}
}

static void replfault_expire(struct replfault *rf)
{
	int64_t now = replfault_now();
	while (rf->heap_len && rf->heap[0]->deadline <= now) {
		struct replfault_conn *c = rf->heap[0];
		replfault_timer_clear(rf, c);
		replfault_on_timer(rf, c);
	}
}

static int replfault_loop(struct replfault *rf)
{
	struct epoll_event ev[REPLFAULT_EVENTS];
	while (!rf->stop) {
		replfault_timer_arm(rf);
		int n = epoll_wait(rf->epoll_fd, ev, REPLFAULT_EVENTS, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "replfault: epoll_wait: %s\n", strerror(errno));
			return REPLFAULT_E_SYSTEM;
		}
		for (int i = 0; i < n; i++) {
			/* An earlier event of this batch may have closed a connection whose slot another
			 * connection took meanwhile; acting on a stale readiness is harmless: every
			 * handler retries the syscall and takes EAGAIN as "nothing yet". */
			replfault_dispatch(rf, &ev[i]);
		}
		replfault_expire(rf);
	}
	return REPLFAULT_OK;
}

/* ---- setup ---- */

static int replfault_listen(struct replfault *rf, struct replfault_replica *r)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(r->port), .sin_addr = rf->address};
	int one = 1;
	r->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->fd < 0)
		return -1;
	setsockopt(r->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(r->fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(r->fd, SOMAXCONN) < 0)
		return -1;
	return 0;
}

/* Parses a decimal number option; false when anything but the whole number is there. */
static bool replfault_parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static bool replfault_parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static bool replfault_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static void replfault_usage(FILE *f)
{
	fputs("usage: replfault --profile CSV --location LOC [--replicas a,b,c] --port-base P [--scale S]\n"
	      "                 [--seed N] [--hang R] [--503 R] [--502 R] [--reset R] [--truncate R]\n"
	      "                 [--correlated Q] [--profile-faults] [--trace FILE [--trace-user U]]\n"
	      "                 [--proxy NAME=LISTEN_PORT:HOST:PORT]... [--address 127.0.0.1]\n"
	      "                 [--hang-max-ms MS] [--max-conn N] [--verbose]\n"
	      "                 [--dry-run N [--dry-run-attempts K]]\n",
	      f);
}

static const struct option replfault_longopts[] = {
	{"profile", required_argument, NULL, 'p'},
	{"location", required_argument, NULL, 'l'},
	{"replicas", required_argument, NULL, 'r'},
	{"port-base", required_argument, NULL, 'P'},
	{"scale", required_argument, NULL, 's'},
	{"seed", required_argument, NULL, 'S'},
	{"hang", required_argument, NULL, 'H'},
	{"503", required_argument, NULL, '3'},
	{"502", required_argument, NULL, '2'},
	{"reset", required_argument, NULL, 'R'},
	{"truncate", required_argument, NULL, 'T'},
	{"correlated", required_argument, NULL, 'C'},
	{"profile-faults", no_argument, NULL, 'F'},
	{"trace", required_argument, NULL, 't'},
	{"trace-user", required_argument, NULL, 'u'},
	{"proxy", required_argument, NULL, 'x'},
	{"address", required_argument, NULL, 'a'},
	{"hang-max-ms", required_argument, NULL, 'm'},
	{"max-conn", required_argument, NULL, 'c'},
	{"dry-run", required_argument, NULL, 'd'},
	{"dry-run-attempts", required_argument, NULL, 'A'},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static int replfault_options(int argc, char **argv, struct replfault_options *o)
{
	long l;
	int ch;
	*o = (struct replfault_options){.port_base = -1, .scale = 1.0, .hang_max_ms = REPLFAULT_HANG_MAX_MS,
	                                .address = "127.0.0.1", .max_conn = REPLFAULT_CONN_DEFAULT,
	                                .dry_run = -1, .dry_run_attempts = 1};
	while ((ch = getopt_long(argc, argv, "", replfault_longopts, NULL)) != -1) {
		double *rate = NULL;
		bool ok = true;
		switch (ch) {
		case 'p': o->profile = optarg; break;
		case 'l': o->location = optarg; break;
		case 'r': o->replicas = optarg; break;
		case 't': o->trace = optarg; break;
		case 'a': o->address = optarg; break;
		case 'F': o->faults.use_profile_fail_rate = true; break;
		case 'v': o->verbose = true; break;
		case 'P': ok = replfault_parse_long(optarg, 1, 65535, &o->port_base); break;
		case 's': ok = replfault_parse_double(optarg, 1e-6, 1000, &o->scale); break;
		case 'S': ok = replfault_parse_u64(optarg, &o->seed); break;
		case 'm': ok = replfault_parse_double(optarg, 0, 1e9, &o->hang_max_ms); break;
		case 'c': ok = replfault_parse_long(optarg, 1, REPLFAULT_CONN_HARD_MAX, &o->max_conn); break;
		case 'd': ok = replfault_parse_long(optarg, 0, 100000000, &o->dry_run); break;
		case 'A': ok = replfault_parse_long(optarg, 1, REPLFAULT_HTTP_ATTEMPT_MAX, &o->dry_run_attempts); break;
		case 'u':
			ok = replfault_parse_long(optarg, 0, 1000000000, &l);
			o->trace_user = (unsigned)l;
			break;
		case 'H': rate = &o->faults.hang; break;
		case '3': rate = &o->faults.http503; break;
		case '2': rate = &o->faults.http502; break;
		case 'R': rate = &o->faults.reset; break;
		case 'T': rate = &o->faults.truncate; break;
		case 'C': rate = &o->faults.correlated; break;
		case 'x':
			if (o->proxies == REPLFAULT_PROXIES_MAX) {
				fprintf(stderr, "replfault: at most %d --proxy\n", REPLFAULT_PROXIES_MAX);
				return REPLFAULT_E_USAGE;
			}
			o->proxy[o->proxies++] = optarg;
			break;
		case 'h':
			replfault_usage(stdout);
			exit(0);
		default:
			replfault_usage(stderr);
			return REPLFAULT_E_USAGE;
		}
		if (rate)
			ok = replfault_parse_double(optarg, 0, 1, rate);
		if (!ok) {
			fprintf(stderr, "replfault: bad value for --%s: %s\n", argv[optind - 1] + 2, optarg);
			return REPLFAULT_E_USAGE;
		}
	}
	if (optind != argc || !o->profile || !o->location) {
		replfault_usage(stderr);
		return REPLFAULT_E_USAGE;
	}
	const struct faultmodel_faults *f = &o->faults;
	if (f->hang + f->http503 + f->http502 + f->reset + f->truncate > 1) {
		fprintf(stderr, "replfault: the fault rates add up to more than 1\n");
		return REPLFAULT_E_USAGE;
	}
	return REPLFAULT_OK;
}

/* Splits "a,b,c" into names (pointers into buf, a copy); returns how many or -1. */
static long replfault_split_names(const char *list, char *buf, size_t buf_size, const char **names, size_t max)
{
	size_t len = strlen(list), n = 0;
	if (len == 0 || len >= buf_size)
		return -1;
	memcpy(buf, list, len + 1);
	for (char *p = buf;;) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = 0;
		if (*p == 0 || strlen(p) > 32 || n == max)
			return -1;
		names[n++] = p;
		if (!comma)
			break;
		p = comma + 1;
	}
	return (long)n;
}

/* NAME=LISTEN_PORT:HOST:PORT; the name goes into *name (pointing into buf). */
static int replfault_parse_proxy(const char *spec, char *buf, size_t buf_size, const char **name,
                                 struct replfault_replica *r)
{
	size_t len = strlen(spec);
	if (len >= buf_size)
		return -1;
	memcpy(buf, spec, len + 1);
	char *eq = strchr(buf, '=');
	char *c1 = eq ? strchr(eq + 1, ':') : NULL;
	char *c2 = c1 ? strrchr(c1 + 1, ':') : NULL;
	if (!eq || !c1 || !c2 || eq == buf)
		return -1;
	*eq = *c1 = *c2 = 0;
	long port;
	if (!replfault_parse_long(eq + 1, 1, 65535, &port))
		return -1;
	char *host = c1 + 1;
	size_t hl = strlen(host);
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {   /* [::1] */
		host[hl - 1] = 0;
		host++;
	}
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	if (getaddrinfo(host, c2 + 1, &hints, &ai) != 0 || !ai)
		return -1;
	memcpy(&r->upstream, ai->ai_addr, ai->ai_addrlen);
	r->upstream_len = ai->ai_addrlen;
	freeaddrinfo(ai);
	*name = buf;
	r->kind = REPLFAULT_PROXY;
	r->port = (uint16_t)port;
	return 0;
}

static int replfault_setup(struct replfault *rf, char *names_buf, size_t names_size,
                           char (*proxy_buf)[256])
{
	struct replfault_options *o = &rf->opt;
	const char *names[REPLFAULT_REPLICAS_MAX];
	struct faultmodel_replica profiles[REPLFAULT_REPLICAS_MAX];
	size_t http = 0, loaded = 0;
	char err[512];

	if (inet_pton(AF_INET, o->address, &rf->address) != 1 || (ntohl(rf->address.s_addr) >> 24) != 127) {
		fprintf(stderr, "replfault: --address must be a 127.x.x.x address, not %s\n", o->address);
		return REPLFAULT_E_USAGE;
	}
	if (o->replicas) {
		long n = replfault_split_names(o->replicas, names_buf, names_size, names, REPLFAULT_REPLICAS_MAX - o->proxies);
		if (n < 0) {
			fprintf(stderr, "replfault: bad --replicas list (names of 1..32 bytes, at most %zu)\n",
			        (size_t)REPLFAULT_REPLICAS_MAX - o->proxies);
			return REPLFAULT_E_USAGE;
		}
		http = (size_t)n;
	}
	for (size_t j = 0; j < o->proxies; j++) {
		struct replfault_replica *r = &rf->replica[http + j];
		if (replfault_parse_proxy(o->proxy[j], proxy_buf[j], 256, &names[http + j], r) < 0) {
			fprintf(stderr, "replfault: bad --proxy %s (NAME=LISTEN_PORT:HOST:PORT)\n", o->proxy[j]);
			return REPLFAULT_E_USAGE;
		}
	}
	bool all = !o->replicas && o->proxies == 0;
	int rc = faultmodel_load_profile(o->profile, o->location, all ? NULL : names, http + o->proxies,
	                                 profiles, REPLFAULT_REPLICAS_MAX, &loaded, err, sizeof err);
	if (rc) {
		fprintf(stderr, "replfault: %s\n", err);
		return REPLFAULT_E_PROFILE;
	}
	if (all)
		http = loaded;
	rf->replicas = loaded;
	for (size_t i = 0; i < loaded; i++) {
		rf->replica[i].profile = profiles[i];
		rf->replica[i].fd = -1;
		if (i < http) {
			rf->replica[i].kind = REPLFAULT_HTTP;
			if (o->dry_run < 0 && o->port_base < 0) {
				fprintf(stderr, "replfault: --port-base is required\n");
				return REPLFAULT_E_USAGE;
			}
			if (o->port_base + (long)i > 65535) {
				fprintf(stderr, "replfault: port %ld out of range\n", o->port_base + (long)i);
				return REPLFAULT_E_USAGE;
			}
			rf->replica[i].port = (uint16_t)(o->port_base + (long)i);
		}
	}
	if (o->trace) {
		rc = faultmodel_load_trace(o->trace, o->trace_user, &rf->trace, err, sizeof err);
		if (rc) {
			fprintf(stderr, "replfault: %s\n", err);
			return REPLFAULT_E_PROFILE;
		}
		rf->have_trace = true;
	}
	return REPLFAULT_OK;
}

/* Prints, per case, replica and attempt, the action and the (scaled) time replfault would take. */
static void replfault_dry_run(const struct replfault *rf)
{
	printf("# case replica attempt action ms (scaled; a hang shows --hang-max-ms)\n");
	for (long k = 0; k < rf->opt.dry_run; k++) {
		for (size_t i = 0; i < rf->replicas; i++) {
			for (long a = 0; a < rf->opt.dry_run_attempts; a++) {
				double ms;
				enum faultmodel_action action = replfault_plan(rf, (unsigned)i, (uint64_t)k, (unsigned)a, &ms);
				if (action == FAULTMODEL_HANG)
					ms = rf->opt.hang_max_ms;
				printf("%ld %s %ld %s %.6f\n", k, rf->replica[i].profile.name, a, faultmodel_action_name(action),
				       ms * rf->opt.scale);
			}
		}
	}
}

int main(int argc, char **argv)
{
	static struct replfault rf;
	static char names_buf[4096];
	static char proxy_buf[REPLFAULT_PROXIES_MAX][256];
	sigset_t mask;
	int rc;

	rf.epoll_fd = rf.signal_fd = rf.timer_fd = -1;
	rc = replfault_options(argc, argv, &rf.opt);
	if (rc)
		return rc;
	rc = replfault_setup(&rf, names_buf, sizeof names_buf, proxy_buf);
	if (rc)
		goto out;
	if (rf.opt.dry_run >= 0) {
		replfault_dry_run(&rf);
		rc = fflush(stdout) ? REPLFAULT_E_SYSTEM : REPLFAULT_OK;
		goto out;
	}

	rf.conn_max = (size_t)rf.opt.max_conn;
	rf.conn = calloc(rf.conn_max, sizeof *rf.conn);
	rf.heap = calloc(rf.conn_max, sizeof *rf.heap);
	if (!rf.conn || !rf.heap) {
		fprintf(stderr, "replfault: out of memory\n");
		rc = REPLFAULT_E_SYSTEM;
		goto out;
	}
	for (size_t i = 0; i < rf.conn_max; i++)
		rf.conn[i].next_free = i + 1 < rf.conn_max ? i + 1 : SIZE_MAX;
	rf.free_head = 0;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	struct sigaction ign = {.sa_handler = SIG_IGN};
	sigaction(SIGPIPE, &ign, NULL);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    (rf.signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    (rf.timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0 ||
	    (rf.epoll_fd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		fprintf(stderr, "replfault: setup: %s\n", strerror(errno));
		rc = REPLFAULT_E_SYSTEM;
		goto out;
	}
	struct epoll_event sev = {.events = EPOLLIN, .data.u64 = replfault_tag(TAG_SIGNAL, 0)};
	struct epoll_event tev = {.events = EPOLLIN, .data.u64 = replfault_tag(TAG_TIMER, 0)};
	if (epoll_ctl(rf.epoll_fd, EPOLL_CTL_ADD, rf.signal_fd, &sev) < 0 ||
	    epoll_ctl(rf.epoll_fd, EPOLL_CTL_ADD, rf.timer_fd, &tev) < 0) {
		fprintf(stderr, "replfault: epoll: %s\n", strerror(errno));
		rc = REPLFAULT_E_SYSTEM;
		goto out;
	}
	for (size_t i = 0; i < rf.replicas; i++) {
		if (replfault_listen(&rf, &rf.replica[i]) < 0) {
			fprintf(stderr, "replfault: %s: listen on %s:%u: %s\n", rf.replica[i].profile.name, rf.opt.address,
			        rf.replica[i].port, strerror(errno));
			rc = REPLFAULT_E_SYSTEM;
			goto out;
		}
	}
	replfault_listeners(&rf, true);
	printf("replfault ready");
	for (size_t i = 0; i < rf.replicas; i++)
		printf(" %s=%s:%u", rf.replica[i].profile.name, rf.opt.address, rf.replica[i].port);
	printf("\n");
	if (fflush(stdout)) {
		rc = REPLFAULT_E_SYSTEM;
		goto out;
	}
	rc = replfault_loop(&rf);
out:
	if (rf.conn) {
		for (size_t i = 0; i < rf.conn_max; i++)
			if (rf.conn[i].state != CONN_FREE)
				replfault_conn_close(&rf, &rf.conn[i], false);
	}
	for (size_t i = 0; i < rf.replicas; i++)
		if (rf.replica[i].fd >= 0)
			close(rf.replica[i].fd);
	if (rf.epoll_fd >= 0)
		close(rf.epoll_fd);
	if (rf.signal_fd >= 0)
		close(rf.signal_fd);
	if (rf.timer_fd >= 0)
		close(rf.timer_fd);
	free(rf.conn);
	free(rf.heap);
	faultmodel_trace_free(&rf.trace);
	return rc;
}
