/*
 * exec.c: librepl's executor. It runs one operation's policy tree over its replica set in one
 * event loop in the calling thread: every node of the tree becomes a small state machine (par,
 * seq, retry, hedge, quorum; leaves are attempts on a transport), every timer (attempt timeout,
 * hedge delay, retry backoff, the deadline) lives here, and the transport only starts, cancels and
 * reports attempts (transport.h). Also here: the client, results, outcome names and the standard
 * classifiers.
 *
 * Decisions the caller can see:
 * - An attempt's outcome comes from the operation's classifier. FINAL ends the execution at once
 *   (REPL_FINAL, never tried elsewhere; result->response holds that answer, winner stays -1).
 *   UNKNOWN on an operation that is not idempotent ends it at once too (REPL_UNKNOWN): going on
 *   would run the work a second time. On an idempotent one it is a failure like RETRYABLE.
 *   Any other end (the deadline, a transport error) that cancels an attempt of such an operation
 *   after its COMMIT was sent gives REPL_UNKNOWN too, not REPL_DEADLINE, which reads as "did not
 *   happen".
 * - A failed execution is REPL_ABSENT when every attempt made answered ABSENT (one cancelled
 *   before answering, e.g. the third of a quorum, makes it REPL_FAILED), else REPL_FAILED.
 * - Stats get each attempt's RTT in microseconds, from the client's clock.
 * - deadline_ms, attempt_timeout_ms and the backoff's base and cap above 10^9 ms are refused
 *   (REPL_BAD_ARGUMENT).
 * - A timed-out attempt (attempt_timeout_ms) is classified from cause TIMEOUT: RETRYABLE for HTTP.
 *   An answer arriving at the very instant of its timeout (or of the deadline) still counts.
 * - Cancelled attempts have outcome CANCELLED: cause OTHER when another path won (not counted in
 *   the stats: a loser neither failed nor succeeded), cause TIMEOUT when the deadline cancelled
 *   them (counted as TIMEOUT failures, as the paper counts a request that timed out).
 * - ABSENT answers are counted in the stats with cause OTHER (like any 4xx), without an RTT:
 *   an S3 404 and a replica stale for a read's wait_gtid alike (REPL_SQL_ERRNO_STALE). The
 *   replica answered, so it is never a timeout, connect or protocol failure, the columns that
 *   say a service is down; a lagging replica shows as its share of "other" on the read's row.
 *   seq and hedge ask the next child at once after an ABSENT answer (hedge: when nothing else
 *   is still running), retry does not repeat it.
 * - A malformed wait_gtid is refused before any attempt (REPL_BAD_ARGUMENT, attempt_count 0).
 * - replica_outcomes, for every policy: SUCCESS if any attempt on that replica succeeded, else
 *   the outcome of its last attempt, with CANCELLED reported as UNKNOWN (the request may have
 *   taken effect); replicas never tried are UNKNOWN too.
 * - More than REPL_ATTEMPTS_MAX attempts: the attempt that would be the 65th is not started; the
 *   execution ends at once with REPL_FAILED, everything running cancelled, attempt_count ==
 *   REPL_ATTEMPTS_MAX.
 * - Backoff (backoff_base_ms > 0): before retry number k (0-based) the wait is uniform in
 *   [0, min(cap, base * 2^k)) ms from the client's seeded xorshift64* generator.
 */
#include "repl.h"
#include "transport.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum exec_timer {
	EXEC_TIMER_NONE = 0,
	EXEC_TIMER_ATTEMPT,     /* a leaf's attempt timeout */
	EXEC_TIMER_HEDGE,       /* start a hedge's next child */
	EXEC_TIMER_BACKOFF,     /* re-run a retry's child */
};

struct exec_node {
	const struct repl_node *node;
	struct exec_node *parent;
	struct exec_node **children;
	unsigned child_count;
	bool running;
	unsigned next;              /* seq, hedge: the next child to start */
	unsigned running_children;
	unsigned failed;
	unsigned succeeded;
	unsigned runs;              /* retry: how often the child was started */
	bool all_absent;            /* every child failure so far was ABSENT */
	bool any_unknown;
	enum exec_timer timer;
	int64_t timer_us;
	struct repl_xfer xfer;      /* leaves */
	bool xfer_live;
	int64_t start_us;           /* leaves: when the running attempt started, for its RTT */
};

struct repl_client {
	struct repl_stats *stats;
	struct repl_transport *http;
	struct repl_clock *http_clock;
	struct repl_transport *sql;      /* runs on http_clock: MariaDB sockets are its extra fds */
	struct repl_transport *smtp;     /* its own multi, waited on by smtp_clock */
	struct repl_clock *smtp_clock;
	struct repl_transport *forced;   /* repl_client_use */
	struct repl_clock *forced_clock;
	uint64_t rng;
};

struct repl_exec {
	struct repl_client *client;
	const struct repl_operation *op;
	struct repl_result *result;
	struct repl_transport *transport;
	struct repl_clock *clock;
	const void *work;
	int64_t t0_us;
	int64_t now_us;
	int64_t deadline_us;        /* -1: none */
	struct exec_node *nodes;
	struct exec_node **links;
	unsigned node_count;
	bool done;
	enum repl_status status;
	struct exec_node *last_success;
	struct exec_node *final_leaf;
};

static void node_start(struct repl_exec *exec, struct exec_node *n);
static void node_finish(struct repl_exec *exec, struct exec_node *n, enum repl_outcome outcome);
static void exec_end(struct repl_exec *exec, enum repl_status status);

/* ---- names and classifiers ---- */

static const char *const outcome_names[] = {
	[REPL_OUTCOME_SUCCESS] = "success",
	[REPL_OUTCOME_RETRYABLE] = "retryable",
	[REPL_OUTCOME_ABSENT] = "absent",
	[REPL_OUTCOME_FINAL] = "final",
	[REPL_OUTCOME_UNKNOWN] = "unknown",
	[REPL_OUTCOME_CANCELLED] = "cancelled",
};

static const char *const cause_names[] = {
	[REPL_CAUSE_NONE] = "none",
	[REPL_CAUSE_TIMEOUT] = "timeout",
	[REPL_CAUSE_CONNECT] = "connect",
	[REPL_CAUSE_PROTOCOL] = "protocol",
	[REPL_CAUSE_OTHER] = "other",
};

const char *repl_outcome_name(enum repl_outcome outcome)
{
	if ((unsigned)outcome >= sizeof outcome_names / sizeof outcome_names[0])
		return "invalid";
	return outcome_names[outcome];
}

const char *repl_cause_name(enum repl_cause cause)
{
	if ((unsigned)cause >= sizeof cause_names / sizeof cause_names[0])
		return "invalid";
	return cause_names[cause];
}

/* HTTP status ranges, first match wins; statuses outside every range are FINAL. */
struct status_range {
	long low, high;
	enum repl_outcome outcome;
};

static const struct status_range http_read_table[] = {
	{200, 299, REPL_OUTCOME_SUCCESS},
	{404, 404, REPL_OUTCOME_ABSENT},
	{429, 429, REPL_OUTCOME_RETRYABLE},
	{500, 599, REPL_OUTCOME_RETRYABLE},
	{0, 199, REPL_OUTCOME_RETRYABLE},     /* no status or an interim one: a broken exchange */
};

static const struct status_range http_write_table[] = {
	{200, 299, REPL_OUTCOME_SUCCESS},
	{429, 429, REPL_OUTCOME_RETRYABLE},
	{500, 599, REPL_OUTCOME_RETRYABLE},
	{0, 199, REPL_OUTCOME_RETRYABLE},
};

static enum repl_outcome classify_http(const struct repl_observation *observation,
                                       const struct status_range *table, size_t count)
{
	if (observation->cause != REPL_CAUSE_NONE)
		return REPL_OUTCOME_RETRYABLE;
	for (size_t i = 0; i < count; i++)
		if (observation->http_status >= table[i].low && observation->http_status <= table[i].high)
			return table[i].outcome;
	return REPL_OUTCOME_FINAL;
}

enum repl_outcome repl_classify_http_read(const struct repl_observation *observation)
{
	return classify_http(observation, http_read_table,
	                     sizeof http_read_table / sizeof http_read_table[0]);
}

enum repl_outcome repl_classify_http_write(const struct repl_observation *observation)
{
	return classify_http(observation, http_write_table,
	                     sizeof http_write_table / sizeof http_write_table[0]);
}

/* A server's error in the stats' columns: what an operator can name (the lock wait is the server's
 * own timeout; a server with no connection to spare refused one); any other error is "other". The
 * client's errors come with the transport's cause; the table's, as mysql.c's, for one without. */
struct sql_rule {
	unsigned sql_errno;
	enum repl_outcome outcome;
	bool lost;                  /* a lost connection: UNKNOWN once COMMIT was sent */
	enum repl_cause cause;      /* the attempt's cause when the transport saw none */
};

static const struct sql_rule sql_table[] = {
	{0, REPL_OUTCOME_SUCCESS, false, REPL_CAUSE_NONE},
	{1290, REPL_OUTCOME_RETRYABLE, false, REPL_CAUSE_OTHER},   /* ER_OPTION_PREVENTS_STATEMENT: read-only */
	{1213, REPL_OUTCOME_RETRYABLE, false, REPL_CAUSE_OTHER},   /* ER_LOCK_DEADLOCK */
	{1205, REPL_OUTCOME_RETRYABLE, false, REPL_CAUSE_TIMEOUT}, /* ER_LOCK_WAIT_TIMEOUT */
	{1040, REPL_OUTCOME_RETRYABLE, false, REPL_CAUSE_CONNECT}, /* ER_CON_COUNT_ERROR: too many connections */
	{1203, REPL_OUTCOME_RETRYABLE, false, REPL_CAUSE_CONNECT}, /* ER_TOO_MANY_USER_CONNECTIONS */
	{2002, REPL_OUTCOME_RETRYABLE, true, REPL_CAUSE_CONNECT},  /* CR_CONNECTION_ERROR */
	{2003, REPL_OUTCOME_RETRYABLE, true, REPL_CAUSE_CONNECT},  /* CR_CONN_HOST_ERROR */
	{2006, REPL_OUTCOME_RETRYABLE, true, REPL_CAUSE_PROTOCOL},  /* CR_SERVER_GONE_ERROR */
	{2013, REPL_OUTCOME_RETRYABLE, true, REPL_CAUSE_PROTOCOL},  /* CR_SERVER_LOST */
	{1062, REPL_OUTCOME_FINAL, false, REPL_CAUSE_OTHER},       /* ER_DUP_ENTRY: the app maps idempotency keys */
	{REPL_SQL_ERRNO_STALE, REPL_OUTCOME_ABSENT, false, REPL_CAUSE_OTHER},   /* has not applied wait_gtid */
};

static const struct sql_rule *sql_rule_find(unsigned sql_errno)
{
	for (size_t i = 0; i < sizeof sql_table / sizeof sql_table[0]; i++)
		if (sql_table[i].sql_errno == sql_errno)
			return &sql_table[i];
	return NULL;
}

enum repl_outcome repl_classify_sql(const struct repl_observation *observation)
{
	if (observation->cause != REPL_CAUSE_NONE)
		return observation->commit_sent ? REPL_OUTCOME_UNKNOWN : REPL_OUTCOME_RETRYABLE;
	const struct sql_rule *rule = sql_rule_find(observation->sql_errno);
	if (!rule)
		return REPL_OUTCOME_FINAL;
	if (rule->lost && observation->commit_sent)
		return REPL_OUTCOME_UNKNOWN;
	return rule->outcome;
}

/* A server's reply decides when there was one; without, the transport's cause (retryable). */
enum repl_outcome repl_classify_smtp(const struct repl_observation *observation)
{
	if (observation->cause != REPL_CAUSE_NONE)
		return REPL_OUTCOME_RETRYABLE;
	if (observation->smtp_reply >= 200 && observation->smtp_reply < 300)
		return REPL_OUTCOME_SUCCESS;
	if (observation->smtp_reply >= 500 && observation->smtp_reply < 600)
		return REPL_OUTCOME_FINAL;
	return REPL_OUTCOME_RETRYABLE;
}

/* ---- the client ---- */

static int64_t monotonic_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

enum repl_status repl_client_new(struct repl_client **client, struct repl_stats *stats)
{
	struct repl_client *c = calloc(1, sizeof *c);
	if (!c)
		return REPL_NO_MEMORY;
	c->stats = stats;
	c->rng = (uint64_t)monotonic_us() * 0x9E3779B97F4A7C15u ^ (uint64_t)getpid();
	if (c->rng == 0)
		c->rng = 1;
	*client = c;
	return REPL_OK;
}

void repl_client_free(struct repl_client *client)
{
	if (!client)
		return;
	if (client->sql)
		client->sql->ops->free(client->sql);
	if (client->smtp)
		client->smtp->ops->free(client->smtp);
	if (client->http)
		client->http->ops->free(client->http);
	free(client);
}

void repl_client_use(struct repl_client *client, struct repl_transport *transport,
                     struct repl_clock *clock, uint64_t seed)
{
	client->forced = transport;
	client->forced_clock = clock;
	client->rng = seed ? seed : 1;
}

static uint64_t client_random(struct repl_client *client)
{
	uint64_t x = client->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	client->rng = x;
	return x * 0x2545F4914F6CDD1Du;
}

void repl_result_free(struct repl_result *result)
{
	if (!result)
		return;
	free(result->response.body);
	result->response.body = NULL;
	result->response.body_len = 0;
	repl_sql_result_free(&result->sql);
}

void repl_sql_result_free(struct repl_sql_result *result)
{
	for (size_t i = 0; i < result->statement_count; i++) {
		free(result->statements[i].values);
		free(result->statements[i].storage);
		free(result->statements[i].column_names);
	}
	free(result->statements);
	memset(result, 0, sizeof *result);
}

/* ---- building the instance tree ---- */

static enum repl_status count_nodes(const struct repl_node *node, const struct repl_set *set,
                                    unsigned depth, unsigned *count)
{
	if (!node || depth > REPL_POLICY_DEPTH_MAX || ++*count > REPL_POLICY_NODES_MAX)
		return REPL_BAD_POLICY;
	switch (node->kind) {
	case REPL_NODE_REPLICA:
		return node->replica < set->count && node->child_count == 0 ? REPL_OK : REPL_BAD_POLICY;
	case REPL_NODE_RETRY:
		if (node->child_count != 1)
			return REPL_BAD_POLICY;
		break;
	case REPL_NODE_QUORUM:
		if (node->parameter == 0 || node->parameter > node->child_count)
			return REPL_BAD_POLICY;
		break;
	case REPL_NODE_PAR:
	case REPL_NODE_SEQ:
	case REPL_NODE_HEDGE:
		if (node->child_count == 0)
			return REPL_BAD_POLICY;
		break;
	default:
		return REPL_BAD_POLICY;
	}
	for (unsigned i = 0; i < node->child_count; i++) {
		enum repl_status status = count_nodes(node->children[i], set, depth + 1, count);
		if (status != REPL_OK)
			return status;
	}
	return REPL_OK;
}

/* Lays out node's subtree in preorder from exec->nodes[*used]; links holds child pointers. */
static struct exec_node *build(struct repl_exec *exec, const struct repl_node *node,
                               struct exec_node *parent, unsigned *used, unsigned *linked)
{
	struct exec_node *n = &exec->nodes[(*used)++];
	n->node = node;
	n->parent = parent;
	n->child_count = node->child_count;
	n->children = &exec->links[*linked];
	*linked += node->child_count;
	for (unsigned i = 0; i < node->child_count; i++)
		n->children[i] = build(exec, node->children[i], n, used, linked);
	return n;
}

/* ---- attempts ---- */

static int64_t rel_ms(const struct repl_exec *exec, int64_t us)
{
	return (us - exec->t0_us) / 1000;
}

static enum repl_cause attempt_cause(const struct repl_observation *observation,
                                     enum repl_outcome outcome)
{
	if (observation->cause != REPL_CAUSE_NONE)
		return observation->cause;
	if (outcome == REPL_OUTCOME_SUCCESS)
		return REPL_CAUSE_NONE;
	if (observation->http_status == 429 || observation->http_status >= 500)
		return REPL_CAUSE_PROTOCOL;
	const struct sql_rule *rule = observation->sql_errno ? sql_rule_find(observation->sql_errno) : NULL;
	return rule ? rule->cause : REPL_CAUSE_OTHER;
}

/* The RTT comes from the microsecond clock: the attempt's whole-ms times would round it. */
static void record_stats(struct repl_exec *exec, const struct exec_node *n,
                         const struct repl_attempt *attempt, enum repl_cause cause)
{
	if (!exec->client->stats)
		return;
	int64_t rtt = exec->now_us - n->start_us;
	repl_stats_record(exec->client->stats, exec->op->name,
	                  exec->op->set->replicas[attempt->replica].name, cause,
	                  rtt > 0 ? (uint64_t)rtt : 0);
}

static void xfer_drop_response(struct repl_xfer *xfer)
{
	free(xfer->response.body);
	memset(&xfer->response, 0, sizeof xfer->response);
	repl_sql_result_free(&xfer->sql);
}

static void leaf_start(struct repl_exec *exec, struct exec_node *n)
{
	struct repl_result *result = exec->result;
	if (result->attempt_count == REPL_ATTEMPTS_MAX) {
		exec_end(exec, REPL_FAILED);
		return;
	}
	unsigned index = result->attempt_count++;
	struct repl_attempt *attempt = &result->attempts[index];
	memset(attempt, 0, sizeof *attempt);
	attempt->replica = n->node->replica;
	attempt->start_ms = rel_ms(exec, exec->now_us);
	attempt->end_ms = -1;
	n->start_us = exec->now_us;
	attempt->outcome = REPL_OUTCOME_CANCELLED;
	attempt->cause = REPL_CAUSE_OTHER;

	xfer_drop_response(&n->xfer);
	n->xfer.exec = exec;
	n->xfer.replica = &exec->op->set->replicas[n->node->replica];
	n->xfer.work = exec->work;
	n->xfer.attempt = index;
	n->xfer.data = NULL;
	enum repl_status status = exec->transport->ops->start(exec->transport, &n->xfer);
	if (status != REPL_OK) {
		attempt->end_ms = attempt->start_ms;
		exec_end(exec, status);
		return;
	}
	n->xfer_live = true;
	if (exec->op->attempt_timeout_ms > 0) {
		n->timer = EXEC_TIMER_ATTEMPT;
		n->timer_us = exec->now_us + (int64_t)exec->op->attempt_timeout_ms * 1000;
	}
}

/* Stops a running leaf's attempt because another path won or the execution ended. */
static void leaf_cancel(struct repl_exec *exec, struct exec_node *n, enum repl_cause cause)
{
	if (!n->xfer_live)
		return;
	struct repl_observation seen = {0};
	exec->transport->ops->cancel(exec->transport, &n->xfer, &seen);
	n->xfer_live = false;
	struct repl_attempt *attempt = &exec->result->attempts[n->xfer.attempt];
	attempt->end_ms = rel_ms(exec, exec->now_us);
	attempt->outcome = REPL_OUTCOME_CANCELLED;
	attempt->cause = cause;
	seen.cause = cause;
	attempt->observation = seen;
	if (cause == REPL_CAUSE_TIMEOUT)
		record_stats(exec, n, attempt, cause);
}

/* An attempt ended (answer or attempt timeout): classify it and tell the tree. */
static void leaf_done(struct repl_exec *exec, struct exec_node *n,
                      const struct repl_observation *observation)
{
	n->xfer_live = false;
	struct repl_attempt *attempt = &exec->result->attempts[n->xfer.attempt];
	enum repl_outcome outcome = exec->op->classify(observation);
	attempt->end_ms = rel_ms(exec, exec->now_us);
	attempt->outcome = outcome;
	attempt->observation = *observation;
	attempt->cause = attempt_cause(observation, outcome);
	record_stats(exec, n, attempt, attempt->cause);

	switch (outcome) {
	case REPL_OUTCOME_SUCCESS:
		exec->last_success = n;
		node_finish(exec, n, outcome);
		return;
	case REPL_OUTCOME_FINAL:
		exec->final_leaf = n;
		n->running = false;
		exec_end(exec, REPL_FINAL);
		return;
	case REPL_OUTCOME_UNKNOWN:
		if (!exec->op->idempotent) {
			n->running = false;
			exec_end(exec, REPL_UNKNOWN);
			return;
		}
		node_finish(exec, n, outcome);
		return;
	case REPL_OUTCOME_RETRYABLE:
	case REPL_OUTCOME_ABSENT:
		node_finish(exec, n, outcome);
		return;
	case REPL_OUTCOME_CANCELLED:
	default:
		/* A classifier may not claim CANCELLED: only the executor cancels. */
		node_finish(exec, n, REPL_OUTCOME_RETRYABLE);
		return;
	}
}

void repl_exec_finished(struct repl_xfer *xfer, const struct repl_observation *observation)
{
	struct repl_exec *exec = xfer->exec;
	struct exec_node *n = (struct exec_node *)((char *)xfer - offsetof(struct exec_node, xfer));
	if (exec->done || !n->xfer_live)
		return;
	n->timer = EXEC_TIMER_NONE;
	leaf_done(exec, n, observation);
}

/* ---- the state machines ---- */

static void subtree_cancel(struct repl_exec *exec, struct exec_node *n, enum repl_cause cause)
{
	if (!n->running)
		return;
	n->running = false;
	n->timer = EXEC_TIMER_NONE;
	if (n->node->kind == REPL_NODE_REPLICA) {
		leaf_cancel(exec, n, cause);
		return;
	}
	for (unsigned i = 0; i < n->child_count; i++)
		subtree_cancel(exec, n->children[i], cause);
}

static void child_start(struct repl_exec *exec, struct exec_node *n, unsigned i)
{
	n->running_children++;
	node_start(exec, n->children[i]);
}

static void node_start(struct repl_exec *exec, struct exec_node *n)
{
	n->running = true;
	n->next = 0;
	n->running_children = 0;
	n->failed = 0;
	n->succeeded = 0;
	n->all_absent = true;
	n->any_unknown = false;
	n->timer = EXEC_TIMER_NONE;
	switch (n->node->kind) {
	case REPL_NODE_REPLICA:
		leaf_start(exec, n);
		return;
	case REPL_NODE_PAR:
	case REPL_NODE_QUORUM:
		for (n->next = 0; n->next < n->child_count && n->running && !exec->done;)
			child_start(exec, n, n->next++);
		return;
	case REPL_NODE_SEQ:
		n->next = 1;
		child_start(exec, n, 0);
		return;
	case REPL_NODE_RETRY:
		n->runs = 1;
		child_start(exec, n, 0);
		return;
	case REPL_NODE_HEDGE:
		n->next = 1;
		if (n->child_count > 1) {
			n->timer = EXEC_TIMER_HEDGE;
			n->timer_us = exec->now_us + (int64_t)n->node->parameter * 1000;
		}
		child_start(exec, n, 0);
		return;
	}
}

static enum repl_outcome failure_class(const struct exec_node *n)
{
	if (n->all_absent)
		return REPL_OUTCOME_ABSENT;
	return n->any_unknown ? REPL_OUTCOME_UNKNOWN : REPL_OUTCOME_RETRYABLE;
}

static void hedge_start_next(struct repl_exec *exec, struct exec_node *n)
{
	unsigned i = n->next++;
	if (n->next < n->child_count) {
		n->timer = EXEC_TIMER_HEDGE;
		n->timer_us = exec->now_us + (int64_t)n->node->parameter * 1000;
	} else {
		n->timer = EXEC_TIMER_NONE;
	}
	child_start(exec, n, i);
}

static void retry_again(struct repl_exec *exec, struct exec_node *n)
{
	n->runs++;
	n->running_children++;
	node_start(exec, n->children[0]);
}

static long backoff_ms(struct repl_exec *exec, unsigned k)
{
	const struct repl_operation *op = exec->op;
	if (op->backoff_base_ms <= 0)
		return 0;
	long limit = op->backoff_base_ms;
	for (unsigned i = 0; i < k && limit < (1L << 40); i++)
		limit *= 2;
	if (op->backoff_cap_ms > 0 && limit > op->backoff_cap_ms)
		limit = op->backoff_cap_ms;
	return (long)(client_random(exec->client) % (uint64_t)limit);
}

/* child (of n) ended with outcome: SUCCESS, RETRYABLE, ABSENT or (idempotent) UNKNOWN. */
static void child_done(struct repl_exec *exec, struct exec_node *n, enum repl_outcome outcome)
{
	n->running_children--;
	if (outcome == REPL_OUTCOME_SUCCESS) {
		n->succeeded++;
		if (n->node->kind != REPL_NODE_QUORUM || n->succeeded >= n->node->parameter)
			node_finish(exec, n, REPL_OUTCOME_SUCCESS);
		return;
	}
	n->failed++;
	if (outcome != REPL_OUTCOME_ABSENT)
		n->all_absent = false;
	if (outcome == REPL_OUTCOME_UNKNOWN)
		n->any_unknown = true;

	switch (n->node->kind) {
	case REPL_NODE_PAR:
		if (n->failed == n->child_count)
			node_finish(exec, n, failure_class(n));
		return;
	case REPL_NODE_QUORUM:
		if (n->child_count - n->failed < n->node->parameter) {
			/* Children cut short never said "absent here": they may have it. */
			if (n->failed + n->succeeded < n->child_count)
				n->all_absent = false;
			node_finish(exec, n, failure_class(n));
		}
		return;
	case REPL_NODE_SEQ:
		if (n->next < n->child_count)
			child_start(exec, n, n->next++);
		else
			node_finish(exec, n, failure_class(n));
		return;
	case REPL_NODE_HEDGE:
		if (n->failed == n->child_count)
			node_finish(exec, n, failure_class(n));
		else if (n->running_children == 0 && n->next < n->child_count)
			hedge_start_next(exec, n);
		return;
	case REPL_NODE_RETRY:
		if (outcome == REPL_OUTCOME_ABSENT || n->runs > n->node->parameter) {
			node_finish(exec, n, outcome);
			return;
		}
		long wait = backoff_ms(exec, n->runs - 1);
		if (wait == 0) {
			retry_again(exec, n);
		} else {
			n->timer = EXEC_TIMER_BACKOFF;
			n->timer_us = exec->now_us + (int64_t)wait * 1000;
		}
		return;
	case REPL_NODE_REPLICA:
		return;
	}
}

static bool all_answers_absent(const struct repl_result *result)
{
	bool any = false;
	for (unsigned i = 0; i < result->attempt_count; i++) {
		/* A cancelled attempt never answered: that replica may have it. */
		if (result->attempts[i].outcome != REPL_OUTCOME_ABSENT)
			return false;
		any = true;
	}
	return any;
}

static void node_finish(struct repl_exec *exec, struct exec_node *n, enum repl_outcome outcome)
{
	n->running = false;
	n->timer = EXEC_TIMER_NONE;
	for (unsigned i = 0; i < n->child_count; i++)
		subtree_cancel(exec, n->children[i], REPL_CAUSE_OTHER);
	if (n->parent) {
		child_done(exec, n->parent, outcome);
		return;
	}
	if (outcome == REPL_OUTCOME_SUCCESS)
		exec_end(exec, REPL_OK);
	else if (all_answers_absent(exec->result))
		exec_end(exec, REPL_ABSENT);
	else
		exec_end(exec, REPL_FAILED);
}

/* An attempt of a non-idempotent operation cancelled after its COMMIT went out may have taken
 * effect: the caller must not read the execution as "did not happen" and run it again. */
static bool commit_cut_short(const struct repl_exec *exec)
{
	if (exec->op->idempotent)
		return false;
	const struct repl_result *result = exec->result;
	for (unsigned i = 0; i < result->attempt_count; i++)
		if (result->attempts[i].outcome == REPL_OUTCOME_CANCELLED &&
		    result->attempts[i].observation.commit_sent)
			return true;
	return false;
}

static void exec_end(struct repl_exec *exec, enum repl_status status)
{
	if (exec->done)
		return;
	exec->done = true;
	exec->status = status;
	subtree_cancel(exec, &exec->nodes[0],
	               status == REPL_DEADLINE ? REPL_CAUSE_TIMEOUT : REPL_CAUSE_OTHER);
	if (status != REPL_OK && status != REPL_UNKNOWN && commit_cut_short(exec))
		exec->status = REPL_UNKNOWN;
}

static void timer_fire(struct repl_exec *exec, struct exec_node *n)
{
	enum exec_timer timer = n->timer;
	n->timer = EXEC_TIMER_NONE;
	switch (timer) {
	case EXEC_TIMER_ATTEMPT: {
		struct repl_observation seen = {0};
		exec->transport->ops->cancel(exec->transport, &n->xfer, &seen);
		seen.cause = REPL_CAUSE_TIMEOUT;
		leaf_done(exec, n, &seen);
		return;
	}
	case EXEC_TIMER_HEDGE:
		hedge_start_next(exec, n);
		return;
	case EXEC_TIMER_BACKOFF:
		retry_again(exec, n);
		return;
	case EXEC_TIMER_NONE:
		return;
	}
}

/* Fires every due timer, the deadline first; ties go to the node first in preorder. */
static void timers_run(struct repl_exec *exec)
{
	while (!exec->done) {
		if (exec->deadline_us >= 0 && exec->now_us >= exec->deadline_us) {
			exec_end(exec, REPL_DEADLINE);
			return;
		}
		struct exec_node *due = NULL;
		for (unsigned i = 0; i < exec->node_count; i++) {
			struct exec_node *n = &exec->nodes[i];
			if (n->running && n->timer != EXEC_TIMER_NONE && n->timer_us <= exec->now_us &&
			    (!due || n->timer_us < due->timer_us))
				due = n;
		}
		if (!due)
			return;
		timer_fire(exec, due);
	}
}

static int64_t next_timer_us(const struct repl_exec *exec)
{
	int64_t next = exec->deadline_us;
	for (unsigned i = 0; i < exec->node_count; i++) {
		const struct exec_node *n = &exec->nodes[i];
		if (n->running && n->timer != EXEC_TIMER_NONE && (next < 0 || n->timer_us < next))
			next = n->timer_us;
	}
	return next;
}

static enum repl_status loop(struct repl_exec *exec)
{
	struct repl_transport *transport = exec->transport;
	struct repl_pollfd fds[REPL_POLLFDS_MAX];
	node_start(exec, &exec->nodes[0]);
	while (!exec->done) {
		int64_t next = next_timer_us(exec);
		int64_t own = transport->ops->next_event_us(transport, exec->now_us);
		if (own >= 0 && (next < 0 || own < next))
			next = own;
		long timeout_ms = -1;
		if (next >= 0)
			timeout_ms = next <= exec->now_us ? 0 : (long)((next - exec->now_us + 999) / 1000);
		unsigned count = transport->ops->fds(transport, fds, REPL_POLLFDS_MAX);
		enum repl_status status = exec->clock->ops->wait(exec->clock, fds, count, timeout_ms);
		if (status != REPL_OK) {
			exec_end(exec, status);
			break;
		}
		exec->now_us = exec->clock->ops->now_us(exec->clock);
		transport->ops->perform(transport, exec->now_us);
		timers_run(exec);
	}
	return exec->status;
}

static void fill_replica_outcomes(struct repl_exec *exec)
{
	struct repl_result *result = exec->result;
	bool tried[REPL_SET_REPLICAS_MAX] = {false};
	for (unsigned r = 0; r < REPL_SET_REPLICAS_MAX; r++)
		result->replica_outcomes[r] = REPL_OUTCOME_UNKNOWN;
	for (unsigned i = 0; i < result->attempt_count; i++) {
		const struct repl_attempt *attempt = &result->attempts[i];
		unsigned r = attempt->replica;
		if (tried[r] && result->replica_outcomes[r] == REPL_OUTCOME_SUCCESS)
			continue;
		tried[r] = true;
		result->replica_outcomes[r] = attempt->outcome == REPL_OUTCOME_CANCELLED
		                                  ? REPL_OUTCOME_UNKNOWN : attempt->outcome;
	}
}

static void take_response(struct repl_result *result, struct exec_node *n)
{
	result->response = n->xfer.response;
	memset(&n->xfer.response, 0, sizeof n->xfer.response);
	result->sql = n->xfer.sql;
	memset(&n->xfer.sql, 0, sizeof n->xfer.sql);
}

static enum repl_status execute(struct repl_client *client, const struct repl_operation *operation,
                                struct repl_transport *transport, struct repl_clock *clock,
                                const void *work, struct repl_result *result)
{
	struct repl_exec exec = {0};
	const struct repl_set *set = operation->set;
	unsigned count = 0;
	enum repl_status status = REPL_OK;

	exec.client = client;
	exec.op = operation;
	exec.result = result;
	exec.transport = transport;
	exec.clock = clock;
	exec.work = work;
	if (!operation->policy || !operation->policy->root || !set || set->count > REPL_SET_REPLICAS_MAX) {
		status = REPL_BAD_ARGUMENT;
		goto out;
	}
	if (!operation->classify) {
		status = REPL_BAD_ARGUMENT;
		goto out;
	}
	/* Times become microseconds (* 1000) in int64_t and longs: keep them far from overflow. */
	if (operation->deadline_ms > REPL_MS_MAX || operation->attempt_timeout_ms > REPL_MS_MAX ||
	    operation->backoff_base_ms > REPL_MS_MAX || operation->backoff_cap_ms > REPL_MS_MAX) {
		status = REPL_BAD_ARGUMENT;
		goto out;
	}
	status = count_nodes(operation->policy->root, set, 0, &count);
	if (status != REPL_OK)
		goto out;
	exec.nodes = calloc(count, sizeof *exec.nodes);
	exec.links = calloc(count, sizeof *exec.links);
	if (!exec.nodes || !exec.links) {
		status = REPL_NO_MEMORY;
		goto out;
	}
	unsigned used = 0, linked = 0;
	build(&exec, operation->policy->root, NULL, &used, &linked);
	exec.node_count = used;

	exec.t0_us = clock->ops->now_us(clock);
	exec.now_us = exec.t0_us;
	exec.deadline_us = operation->deadline_ms > 0 ? exec.t0_us + (int64_t)operation->deadline_ms * 1000 : -1;
	status = loop(&exec);
	result->elapsed_ms = rel_ms(&exec, exec.now_us);
	if (status == REPL_OK && exec.last_success) {
		result->winner = (int)exec.last_success->node->replica;
		take_response(result, exec.last_success);
	} else if (status == REPL_FINAL && exec.final_leaf) {
		take_response(result, exec.final_leaf);
	}
	fill_replica_outcomes(&exec);
out:
	if (exec.nodes)
		for (unsigned i = 0; i < exec.node_count; i++)
			xfer_drop_response(&exec.nodes[i].xfer);
	free(exec.nodes);
	free(exec.links);
	result->status = status;
	return status;
}

static void result_init(struct repl_result *result)
{
	memset(result, 0, sizeof *result);
	result->winner = -1;
	for (unsigned r = 0; r < REPL_SET_REPLICAS_MAX; r++)
		result->replica_outcomes[r] = REPL_OUTCOME_UNKNOWN;
}

/* The HTTP transport is made for its clock too: every real execution waits in curl_multi_poll. */
static enum repl_status client_http(struct repl_client *client)
{
	if (client->http)
		return REPL_OK;
	return repl_http_transport_new(&client->http, &client->http_clock);
}

enum exec_kind { EXEC_HTTP, EXEC_SQL, EXEC_SMTP };

/* Runs work on the client's transport for its kind (or the forced one in tests). HTTP and SQL
 * wait on the HTTP transport's curl_multi_poll (MySQL sockets ride along as extra fds); SMTP on
 * its own multi's. */
static enum repl_status execute_kind(struct repl_client *client, const struct repl_operation *operation,
                                     enum exec_kind kind, const void *work, struct repl_result *result)
{
	result_init(result);
	if (!client || !operation || !work) {
		result->status = REPL_BAD_ARGUMENT;
		return result->status;
	}
	struct repl_transport *transport = client->forced;
	struct repl_clock *clock = client->forced_clock;
	if (!transport) {
		enum repl_status status = REPL_OK;
		if (kind == EXEC_SMTP) {
			if (!client->smtp)
				status = repl_smtp_transport_new(&client->smtp, &client->smtp_clock);
			transport = client->smtp;
			clock = client->smtp_clock;
		} else {
			status = client_http(client);
			if (status == REPL_OK && kind == EXEC_SQL && !client->sql)
				status = repl_mysql_transport_new(&client->sql);
			transport = kind == EXEC_SQL ? client->sql : client->http;
			clock = client->http_clock;
		}
		if (status != REPL_OK) {
			result->status = status;
			return status;
		}
	}
	return execute(client, operation, transport, clock, work, result);
}

enum repl_status repl_execute_http(struct repl_client *client, const struct repl_operation *operation,
                                   const struct repl_http_request *request, struct repl_result *result)
{
	return execute_kind(client, operation, EXEC_HTTP, request, result);
}

enum repl_status repl_execute_sql(struct repl_client *client, const struct repl_operation *operation,
                                  const struct repl_sql_transaction *transaction,
                                  struct repl_result *result)
{
	bool reached = false;
	/* An empty position is well-formed: this checks wait_gtid alone. */
	if (transaction && transaction->wait_gtid &&
	    repl_gtid_reached("", transaction->wait_gtid, &reached) != REPL_OK) {
		result_init(result);
		result->status = REPL_BAD_ARGUMENT;
		return result->status;
	}
	return execute_kind(client, operation, EXEC_SQL, transaction, result);
}

enum repl_status repl_execute_smtp(struct repl_client *client, const struct repl_operation *operation,
                                   const struct repl_smtp_message *message, struct repl_result *result)
{
	return execute_kind(client, operation, EXEC_SMTP, message, result);
}
