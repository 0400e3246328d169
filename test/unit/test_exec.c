/*
 * test_exec.c: librepl's executor on the in-process transport and fake clock (inproc.h). Each
 * case builds a policy tree by hand, scripts each replica, runs one execution and checks who was
 * called, when (virtual ms), who was cancelled when, and the exact result; then the classifiers'
 * tables, and an SQL read's stale replicas (read-your-writes). Stats go to a stub
 * repl_stats_record kept here, which logs every call.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "repl.h"
#include "transport.h"
#include "inproc.h"

/* ---- stats stub ---- */

struct stat_call {
	char operation[REPL_NAME_MAX + 1];
	char replica[REPL_NAME_MAX + 1];
	enum repl_cause cause;
	uint64_t rtt_us;
};

static struct stat_call stat_calls[256];
static size_t stat_count;

void repl_stats_record(struct repl_stats *stats, const char *operation, const char *replica,
                       enum repl_cause cause, uint64_t rtt_us)
{
	(void)stats;
	if (stat_count == sizeof stat_calls / sizeof stat_calls[0])
		return;
	struct stat_call *call = &stat_calls[stat_count++];
	snprintf(call->operation, sizeof call->operation, "%s", operation);
	snprintf(call->replica, sizeof call->replica, "%s", replica);
	call->cause = cause;
	call->rtt_us = rtt_us;
}

/* ---- trees by hand ---- */

static struct repl_node node_pool[128];
static struct repl_node *link_pool[512];
static size_t nodes_used, links_used;

static struct repl_node *mk(enum repl_node_kind kind, unsigned parameter,
                            struct repl_node *const *children, size_t count)
{
	assert_true(nodes_used < sizeof node_pool / sizeof node_pool[0]);
	assert_true(links_used + count <= sizeof link_pool / sizeof link_pool[0]);
	struct repl_node *n = &node_pool[nodes_used++];
	memset(n, 0, sizeof *n);
	n->kind = kind;
	n->parameter = parameter;
	n->children = &link_pool[links_used];
	n->child_count = (unsigned)count;
	for (size_t i = 0; i < count; i++)
		link_pool[links_used++] = children[i];
	return n;
}

static struct repl_node *leaf(unsigned replica)
{
	struct repl_node *n = mk(REPL_NODE_REPLICA, 0, NULL, 0);
	n->replica = replica;
	return n;
}

#define KIDS(...) (struct repl_node *const[]){__VA_ARGS__}, \
	sizeof((struct repl_node *const[]){__VA_ARGS__}) / sizeof(struct repl_node *)
#define PAR(...) mk(REPL_NODE_PAR, 0, KIDS(__VA_ARGS__))
#define SEQ(...) mk(REPL_NODE_SEQ, 0, KIDS(__VA_ARGS__))
#define RETRY(n, child) mk(REPL_NODE_RETRY, (n), KIDS(child))
#define HEDGE(d, ...) mk(REPL_NODE_HEDGE, (d), KIDS(__VA_ARGS__))
#define QUORUM(k, ...) mk(REPL_NODE_QUORUM, (k), KIDS(__VA_ARGS__))
#define A leaf(0)
#define B leaf(1)
#define C leaf(2)
#define D leaf(3)

/* ---- scripts ---- */

#define OK_AFTER(ms) {.kind = INPROC_ANSWER, .after_ms = (ms), .http_status = 200}
#define STATUS_AFTER(ms, st) {.kind = INPROC_ANSWER, .after_ms = (ms), .http_status = (st)}
#define CAUSE_AFTER(ms, c) {.kind = INPROC_ANSWER, .after_ms = (ms), .cause = (c)}
#define HANG {.kind = INPROC_HANG}

#define SCRIPT(replica, ...) script((replica), (const struct inproc_step[]){__VA_ARGS__}, \
	sizeof((const struct inproc_step[]){__VA_ARGS__}) / sizeof(struct inproc_step))

struct fixture {
	struct inproc *inproc;
	struct repl_client *client;
	struct repl_set set;
	struct repl_policy policy;
	struct repl_operation op;
	struct repl_http_request request;
	struct repl_result result;
};

static struct fixture *fx;

static void script(unsigned replica, const struct inproc_step *steps, size_t count)
{
	assert_int_equal(inproc_script(fx->inproc, replica, steps, count), INPROC_OK);
}

static int setup(void **state)
{
	static struct fixture fixture;
	fx = &fixture;
	memset(fx, 0, sizeof *fx);
	nodes_used = links_used = 0;
	stat_count = 0;
	assert_int_equal(inproc_new(&fx->inproc), INPROC_OK);
	assert_int_equal(repl_client_new(&fx->client, (struct repl_stats *)&fixture), REPL_OK);
	repl_client_use(fx->client, inproc_transport(fx->inproc), inproc_clock(fx->inproc), 42);
	static const char *const names[] = {"a", "b", "c", "d"};
	snprintf(fx->set.name, sizeof fx->set.name, "s3");
	for (unsigned i = 0; i < 4; i++) {
		snprintf(fx->set.replicas[i].name, sizeof fx->set.replicas[i].name, "%s", names[i]);
		snprintf(fx->set.replicas[i].url, sizeof fx->set.replicas[i].url, "inproc://%s", names[i]);
		fx->set.replicas[i].index = i;
	}
	fx->set.count = 4;
	fx->policy.set = &fx->set;
	snprintf(fx->op.name, sizeof fx->op.name, "s3.get");
	fx->op.set = &fx->set;
	fx->op.policy = &fx->policy;
	fx->op.idempotent = true;
	fx->op.classify = repl_classify_http_read;
	fx->request.method = "GET";
	fx->request.path = "/k";
	fx->request.response_max = 1024;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	repl_result_free(&fx->result);
	repl_client_free(fx->client);
	inproc_free(fx->inproc);
	return 0;
}

static enum repl_status run(struct repl_node *root)
{
	fx->policy.root = root;
	repl_result_free(&fx->result);
	enum repl_status status = repl_execute_http(fx->client, &fx->op, &fx->request, &fx->result);
	assert_int_equal(status, fx->result.status);
	return status;
}

/* The n-th call of the log: replica, start, end, cancelled. */
static void expect_call(size_t n, unsigned replica, int64_t start_ms, int64_t end_ms, bool cancelled)
{
	size_t count;
	const struct inproc_call *calls = inproc_calls(fx->inproc, &count);
	assert_true(n < count);
	assert_int_equal(calls[n].replica, replica);
	assert_int_equal(calls[n].start_ms, start_ms);
	assert_int_equal(calls[n].end_ms, end_ms);
	assert_int_equal(calls[n].cancelled, cancelled);
}

static void expect_calls(size_t count)
{
	size_t have;
	inproc_calls(fx->inproc, &have);
	assert_int_equal(have, count);
}

static void expect_attempt(unsigned n, unsigned replica, int64_t start_ms, int64_t end_ms,
                           enum repl_outcome outcome, enum repl_cause cause)
{
	assert_true(n < fx->result.attempt_count);
	const struct repl_attempt *attempt = &fx->result.attempts[n];
	assert_int_equal(attempt->replica, replica);
	assert_int_equal(attempt->start_ms, start_ms);
	assert_int_equal(attempt->end_ms, end_ms);
	assert_string_equal(repl_outcome_name(attempt->outcome), repl_outcome_name(outcome));
	assert_string_equal(repl_cause_name(attempt->cause), repl_cause_name(cause));
}

/* ---- par ---- */

static void test_par_first_success_wins_and_cancels_the_rest(void **state)
{
	(void)state;
	SCRIPT(0, OK_AFTER(30));
	SCRIPT(1, OK_AFTER(10));
	SCRIPT(2, HANG);
	assert_int_equal(run(PAR(A, B, C)), REPL_OK);
	assert_int_equal(fx->result.winner, 1);
	assert_int_equal(fx->result.elapsed_ms, 10);
	assert_int_equal(fx->result.attempt_count, 3);
	expect_calls(3);
	expect_call(0, 0, 0, 10, true);
	expect_call(1, 1, 0, 10, false);
	expect_call(2, 2, 0, 10, true);
	expect_attempt(0, 0, 0, 10, REPL_OUTCOME_CANCELLED, REPL_CAUSE_OTHER);
	expect_attempt(1, 1, 0, 10, REPL_OUTCOME_SUCCESS, REPL_CAUSE_NONE);
	expect_attempt(2, 2, 0, 10, REPL_OUTCOME_CANCELLED, REPL_CAUSE_OTHER);
	assert_int_equal(fx->result.response.status, 200);
	assert_int_equal(fx->result.response.body_len, 1);
	assert_memory_equal(fx->result.response.body, "b", 1);
	assert_string_equal(fx->result.response.etag, "\"b\"");
	/* Losers are neither failures nor successes: only the winner is counted. */
	assert_int_equal(stat_count, 1);
	assert_string_equal(stat_calls[0].operation, "s3.get");
	assert_string_equal(stat_calls[0].replica, "b");
	assert_int_equal(stat_calls[0].cause, REPL_CAUSE_NONE);
	assert_int_equal(stat_calls[0].rtt_us, 10000);
	assert_int_equal(fx->result.replica_outcomes[0], REPL_OUTCOME_UNKNOWN);
	assert_int_equal(fx->result.replica_outcomes[1], REPL_OUTCOME_SUCCESS);
	assert_int_equal(fx->result.replica_outcomes[3], REPL_OUTCOME_UNKNOWN);
}

static void test_par_fails_when_every_child_failed(void **state)
{
	(void)state;
	SCRIPT(0, STATUS_AFTER(5, 503));
	SCRIPT(1, CAUSE_AFTER(7, REPL_CAUSE_CONNECT));
	SCRIPT(2, STATUS_AFTER(3, 500));
	assert_int_equal(run(PAR(A, B, C)), REPL_FAILED);
	assert_int_equal(fx->result.winner, -1);
	assert_int_equal(fx->result.elapsed_ms, 7);
	expect_attempt(0, 0, 0, 5, REPL_OUTCOME_RETRYABLE, REPL_CAUSE_PROTOCOL);
	expect_attempt(1, 1, 0, 7, REPL_OUTCOME_RETRYABLE, REPL_CAUSE_CONNECT);
	expect_attempt(2, 2, 0, 3, REPL_OUTCOME_RETRYABLE, REPL_CAUSE_PROTOCOL);
	assert_int_equal(stat_count, 3);
	for (unsigned r = 0; r < 3; r++)
		assert_int_equal(fx->result.replica_outcomes[r], REPL_OUTCOME_RETRYABLE);
	assert_null(fx->result.response.body);
}

/* ---- seq ---- */

static void test_seq_runs_children_in_order_until_one_succeeds(void **state)
{
	(void)state;
	SCRIPT(0, CAUSE_AFTER(5, REPL_CAUSE_CONNECT));
	SCRIPT(1, STATUS_AFTER(10, 503));
	SCRIPT(2, OK_AFTER(20));
	SCRIPT(3, OK_AFTER(1));
	assert_int_equal(run(SEQ(A, B, C, D)), REPL_OK);
	assert_int_equal(fx->result.winner, 2);
	assert_int_equal(fx->result.elapsed_ms, 35);
	expect_calls(3);
	expect_call(0, 0, 0, 5, false);
	expect_call(1, 1, 5, 15, false);
	expect_call(2, 2, 15, 35, false);
	expect_attempt(0, 0, 0, 5, REPL_OUTCOME_RETRYABLE, REPL_CAUSE_CONNECT);
	expect_attempt(1, 1, 5, 15, REPL_OUTCOME_RETRYABLE, REPL_CAUSE_PROTOCOL);
	expect_attempt(2, 2, 15, 35, REPL_OUTCOME_SUCCESS, REPL_CAUSE_NONE);
	assert_memory_equal(fx->result.response.body, "c", 1);
	assert_int_equal(fx->result.replica_outcomes[3], REPL_OUTCOME_UNKNOWN);
}

/* ---- retry ---- */

static void test_retry_runs_n_plus_one_times_then_fails(void **state)
{
	(void)state;
	SCRIPT(0, STATUS_AFTER(10, 503));
	assert_int_equal(run(RETRY(2, A)), REPL_FAILED);
	expect_calls(3);
	expect_call(0, 0, 0, 10, false);
	expect_call(1, 0, 10, 20, false);
	expect_call(2, 0, 20, 30, false);
	assert_int_equal(fx->result.attempt_count, 3);
	assert_int_equal(fx->result.elapsed_ms, 30);
}

static void test_retry_stops_at_the_first_success(void **state)
{
	(void)state;
	SCRIPT(0, STATUS_AFTER(10, 503), STATUS_AFTER(10, 429), OK_AFTER(10));
	assert_int_equal(run(RETRY(5, A)), REPL_OK);
	expect_calls(3);
	assert_int_equal(fx->result.winner, 0);
	assert_int_equal(fx->result.elapsed_ms, 30);
	expect_attempt(1, 0, 10, 20, REPL_OUTCOME_RETRYABLE, REPL_CAUSE_PROTOCOL);
	expect_attempt(2, 0, 20, 30, REPL_OUTCOME_SUCCESS, REPL_CAUSE_NONE);
	assert_int_equal(fx->result.replica_outcomes[0], REPL_OUTCOME_SUCCESS);
}

static void test_final_stops_retries_and_is_not_tried_elsewhere(void **state)
{
	(void)state;
	SCRIPT(0, STATUS_AFTER(10, 503), STATUS_AFTER(10, 403));
	assert_int_equal(run(SEQ(RETRY(5, A), B)), REPL_FINAL);
	expect_calls(2);
	assert_int_equal(fx->result.winner, -1);
	assert_int_equal(fx->result.elapsed_ms, 20);
	expect_attempt(1, 0, 10, 20, REPL_OUTCOME_FINAL, REPL_CAUSE_OTHER);
	/* The answer that ended it stays readable (an S3 error document). */
	assert_int_equal(fx->result.response.status, 403);
}

static void test_final_in_par_cancels_everything_at_once(void **state)
{
	(void)state;
	SCRIPT(0, STATUS_AFTER(5, 400));
	SCRIPT(1, OK_AFTER(10));
	assert_int_equal(run(PAR(A, B)), REPL_FINAL);
	assert_int_equal(fx->result.elapsed_ms, 5);
	expect_call(1, 1, 0, 5, true);
	expect_attempt(1, 1, 0, 5, REPL_OUTCOME_CANCELLED, REPL_CAUSE_OTHER);
}

static void test_retry_of_par_reruns_the_whole_par(void **state)
{
	(void)state;
	SCRIPT(0, STATUS_AFTER(5, 500), OK_AFTER(5));
	SCRIPT(1, STATUS_AFTER(8, 500), HANG);
	assert_int_equal(run(RETRY(1, PAR(A, B))), REPL_OK);
	expect_calls(4);
	expect_call(2, 0, 8, 13, false);
	expect_call(3, 1, 8, 13, true);
	assert_int_equal(fx->result.winner, 0);
}

/* ---- hedge ---- */

static void test_hedge_starts_the_next_after_exactly_d_ms(void **state)
{
	(void)state;
	SCRIPT(0, HANG);
	SCRIPT(1, OK_AFTER(50));
	SCRIPT(2, HANG);
	assert_int_equal(run(HEDGE(20, A, B, C)), REPL_OK);
	expect_calls(3);
	expect_call(0, 0, 0, 70, true);
	expect_call(1, 1, 20, 70, false);
	expect_call(2, 2, 40, 70, true);
	assert_int_equal(fx->result.winner, 1);
	assert_int_equal(fx->result.elapsed_ms, 70);
}

static void test_hedge_starts_the_next_at_once_after_a_failure(void **state)
{
	(void)state;
	SCRIPT(0, CAUSE_AFTER(5, REPL_CAUSE_CONNECT));
	SCRIPT(1, OK_AFTER(10));
	assert_int_equal(run(HEDGE(100, A, B)), REPL_OK);
	expect_call(0, 0, 0, 5, false);
	expect_call(1, 1, 5, 15, false);
	assert_int_equal(fx->result.elapsed_ms, 15);
}

static void test_hedge_waits_while_an_earlier_child_still_runs(void **state)
{
	(void)state;
	SCRIPT(0, HANG);
	SCRIPT(1, STATUS_AFTER(5, 503));
	SCRIPT(2, OK_AFTER(1));
	assert_int_equal(run(HEDGE(20, A, B, C)), REPL_OK);
	/* b fails at 25 while a still runs: c waits for its own 20 ms (40), not for b's failure. */
	expect_call(1, 1, 20, 25, false);
	expect_call(2, 2, 40, 41, false);
	expect_call(0, 0, 0, 41, true);
}

static void test_hedge_fails_when_all_children_failed(void **state)
{
	(void)state;
	SCRIPT(0, STATUS_AFTER(5, 503));
	SCRIPT(1, STATUS_AFTER(5, 503));
	assert_int_equal(run(HEDGE(100, A, B)), REPL_FAILED);
	assert_int_equal(fx->result.elapsed_ms, 10);
	expect_calls(2);
}

/* ---- quorum ---- */

static void test_quorum_succeeds_at_k_and_reports_the_rest_unknown(void **state)
{
	(void)state;
	SCRIPT(0, OK_AFTER(10));
	SCRIPT(1, OK_AFTER(20));
	SCRIPT(2, OK_AFTER(30));
	assert_int_equal(run(QUORUM(2, A, B, C)), REPL_OK);
	assert_int_equal(fx->result.elapsed_ms, 20);
	assert_int_equal(fx->result.winner, 1);
	expect_call(2, 2, 0, 20, true);
	assert_int_equal(fx->result.replica_outcomes[0], REPL_OUTCOME_SUCCESS);
	assert_int_equal(fx->result.replica_outcomes[1], REPL_OUTCOME_SUCCESS);
	assert_int_equal(fx->result.replica_outcomes[2], REPL_OUTCOME_UNKNOWN);
	expect_attempt(2, 2, 0, 20, REPL_OUTCOME_CANCELLED, REPL_CAUSE_OTHER);
}

static void test_quorum_fails_as_soon_as_k_is_out_of_reach(void **state)
{
	(void)state;
	SCRIPT(0, STATUS_AFTER(5, 503));
	SCRIPT(1, OK_AFTER(3));
	SCRIPT(2, CAUSE_AFTER(8, REPL_CAUSE_TIMEOUT));
	SCRIPT(3, HANG);
	assert_int_equal(run(QUORUM(3, A, B, C, D)), REPL_FAILED);
	/* After a (5) and c (8) failed, 2 of 4 can succeed at most: over at 8, d cancelled. */
	assert_int_equal(fx->result.elapsed_ms, 8);
	expect_call(3, 3, 0, 8, true);
	assert_int_equal(fx->result.replica_outcomes[0], REPL_OUTCOME_RETRYABLE);
	assert_int_equal(fx->result.replica_outcomes[1], REPL_OUTCOME_SUCCESS);
	assert_int_equal(fx->result.replica_outcomes[2], REPL_OUTCOME_RETRYABLE);
	assert_int_equal(fx->result.replica_outcomes[3], REPL_OUTCOME_UNKNOWN);
}

static void test_quorum_of_absent_with_one_cancelled_is_failed(void **state)
{
	(void)state;
	SCRIPT(0, STATUS_AFTER(5, 404));
	SCRIPT(1, STATUS_AFTER(6, 404));
	SCRIPT(2, HANG);
	/* c never answered: it may hold the object, so this is no proof of absence. */
	assert_int_equal(run(QUORUM(2, A, B, C)), REPL_FAILED);
	assert_int_equal(fx->result.elapsed_ms, 6);
	expect_call(2, 2, 0, 6, true);
	assert_int_equal(fx->result.replica_outcomes[2], REPL_OUTCOME_UNKNOWN);
}

static void test_quorum_of_absent_everywhere_is_absent(void **state)
{
	(void)state;
	SCRIPT(0, STATUS_AFTER(5, 404));
	SCRIPT(1, STATUS_AFTER(6, 404));
	SCRIPT(2, STATUS_AFTER(6, 404));
	assert_int_equal(run(QUORUM(1, A, B, C)), REPL_ABSENT);
}

/* ---- timeouts and the deadline ---- */

static void test_attempt_timeout_is_exact(void **state)
{
	(void)state;
	fx->op.attempt_timeout_ms = 100;
	SCRIPT(0, HANG);
	SCRIPT(1, OK_AFTER(10));
	assert_int_equal(run(SEQ(A, B)), REPL_OK);
	expect_call(0, 0, 0, 100, true);
	expect_call(1, 1, 100, 110, false);
	expect_attempt(0, 0, 0, 100, REPL_OUTCOME_RETRYABLE, REPL_CAUSE_TIMEOUT);
	assert_int_equal(fx->result.attempts[0].observation.cause, REPL_CAUSE_TIMEOUT);
	/* A timed-out attempt is a failure in the stats (the paper's Fail). */
	assert_int_equal(stat_count, 2);
	assert_int_equal(stat_calls[0].cause, REPL_CAUSE_TIMEOUT);
	assert_string_equal(stat_calls[0].replica, "a");
}

static void test_answer_at_the_instant_of_the_timeout_counts(void **state)
{
	(void)state;
	fx->op.attempt_timeout_ms = 100;
	SCRIPT(0, OK_AFTER(100));
	assert_int_equal(run(A), REPL_OK);
	assert_int_equal(fx->result.elapsed_ms, 100);
}

static void test_deadline_is_exact_and_cancels_everything(void **state)
{
	(void)state;
	fx->op.deadline_ms = 250;
	SCRIPT(0, HANG);
	SCRIPT(1, HANG);
	assert_int_equal(run(PAR(A, B)), REPL_DEADLINE);
	assert_int_equal(fx->result.elapsed_ms, 250);
	expect_call(0, 0, 0, 250, true);
	expect_call(1, 1, 0, 250, true);
	expect_attempt(0, 0, 0, 250, REPL_OUTCOME_CANCELLED, REPL_CAUSE_TIMEOUT);
	assert_int_equal(stat_count, 2);
	assert_int_equal(stat_calls[1].cause, REPL_CAUSE_TIMEOUT);
}

static void test_deadline_cuts_retries_short(void **state)
{
	(void)state;
	fx->op.attempt_timeout_ms = 100;
	fx->op.deadline_ms = 250;
	SCRIPT(0, HANG);
	assert_int_equal(run(RETRY(10, A)), REPL_DEADLINE);
	expect_calls(3);
	expect_call(0, 0, 0, 100, true);
	expect_call(1, 0, 100, 200, true);
	expect_call(2, 0, 200, 250, true);
	expect_attempt(1, 0, 100, 200, REPL_OUTCOME_RETRYABLE, REPL_CAUSE_TIMEOUT);
	expect_attempt(2, 0, 200, 250, REPL_OUTCOME_CANCELLED, REPL_CAUSE_TIMEOUT);
}

static void test_a_hang_without_deadline_fails_cleanly(void **state)
{
	(void)state;
	SCRIPT(0, HANG);
	assert_int_equal(run(A), REPL_TRANSPORT);
	expect_call(0, 0, 0, 0, true);
}

static void test_deadline_after_commit_sent_is_unknown_when_not_idempotent(void **state)
{
	(void)state;
	fx->op.classify = repl_classify_sql;
	fx->op.idempotent = false;
	fx->op.deadline_ms = 50;
	SCRIPT(0, {.kind = INPROC_HANG, .commit_sent = true});
	/* The COMMIT may have taken effect: DEADLINE would invite the caller to run it again. */
	assert_int_equal(run(RETRY(2, A)), REPL_UNKNOWN);
	expect_calls(1);
	expect_attempt(0, 0, 0, 50, REPL_OUTCOME_CANCELLED, REPL_CAUSE_TIMEOUT);
	assert_true(fx->result.attempts[0].observation.commit_sent);
}

static void test_deadline_before_commit_sent_is_deadline(void **state)
{
	(void)state;
	fx->op.classify = repl_classify_sql;
	fx->op.idempotent = false;
	fx->op.deadline_ms = 50;
	SCRIPT(0, HANG);
	assert_int_equal(run(RETRY(2, A)), REPL_DEADLINE);
}

static void test_deadline_after_commit_sent_is_deadline_when_idempotent(void **state)
{
	(void)state;
	fx->op.classify = repl_classify_sql;
	fx->op.deadline_ms = 50;
	SCRIPT(0, {.kind = INPROC_HANG, .commit_sent = true});
	assert_int_equal(run(RETRY(2, A)), REPL_DEADLINE);
}

static void test_times_above_a_billion_ms_are_refused(void **state)
{
	(void)state;
	long *fields[] = {&fx->op.deadline_ms, &fx->op.attempt_timeout_ms, &fx->op.backoff_base_ms,
	                  &fx->op.backoff_cap_ms};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		*fields[i] = 1000000001L;
		assert_int_equal(run(A), REPL_BAD_ARGUMENT);
		expect_calls(0);
		*fields[i] = 1000000000L;
		assert_int_equal(run(A), REPL_OK);
		*fields[i] = 0;
		inproc_reset(fx->inproc);
	}
}

/* ---- stats ---- */

static void test_stats_get_rtts_in_microseconds(void **state)
{
	(void)state;
	SCRIPT(0, {.kind = INPROC_ANSWER, .after_us = 500, .http_status = 503});
	SCRIPT(1, {.kind = INPROC_ANSWER, .after_ms = 1, .after_us = 500, .http_status = 200});
	assert_int_equal(run(SEQ(A, B)), REPL_OK);
	assert_int_equal(stat_count, 2);
	assert_int_equal(stat_calls[0].rtt_us, 500);
	assert_int_equal(stat_calls[0].cause, REPL_CAUSE_PROTOCOL);
	/* b starts at 500 us and answers at 2000 us: 1500, not 2 ms - 0 ms. */
	assert_int_equal(stat_calls[1].rtt_us, 1500);
	assert_int_equal(stat_calls[1].cause, REPL_CAUSE_NONE);
}

/* ---- absent ---- */

static void test_absent_everywhere_is_absent(void **state)
{
	(void)state;
	SCRIPT(0, STATUS_AFTER(5, 404));
	SCRIPT(1, STATUS_AFTER(6, 404));
	SCRIPT(2, STATUS_AFTER(7, 404));
	assert_int_equal(run(PAR(A, B, C)), REPL_ABSENT);
	assert_int_equal(fx->result.elapsed_ms, 7);
	expect_attempt(0, 0, 0, 5, REPL_OUTCOME_ABSENT, REPL_CAUSE_OTHER);
}

static void test_absent_then_success_is_success(void **state)
{
	(void)state;
	SCRIPT(0, STATUS_AFTER(5, 404));
	SCRIPT(1, OK_AFTER(5));
	assert_int_equal(run(SEQ(A, B)), REPL_OK);
	assert_int_equal(fx->result.winner, 1);
	assert_int_equal(fx->result.replica_outcomes[0], REPL_OUTCOME_ABSENT);
}

static void test_absent_is_not_retried_and_mixed_failures_are_failed(void **state)
{
	(void)state;
	SCRIPT(0, STATUS_AFTER(5, 404));
	SCRIPT(1, STATUS_AFTER(5, 503));
	assert_int_equal(run(SEQ(RETRY(3, A), B)), REPL_FAILED);
	expect_calls(2);
	expect_call(1, 1, 5, 10, false);
}

static void test_write_404_is_final(void **state)
{
	(void)state;
	fx->op.classify = repl_classify_http_write;
	SCRIPT(0, STATUS_AFTER(5, 404));
	assert_int_equal(run(SEQ(A, B)), REPL_FINAL);
	expect_calls(1);
}

/* ---- stale replicas (read-your-writes) ---- */

#define STALE_AFTER(ms) {.kind = INPROC_ANSWER, .after_ms = (ms), .sql_errno = REPL_SQL_ERRNO_STALE}

/* Runs root as an SQL read waiting for wait_gtid (the in-process transport ignores the work). */
static enum repl_status run_sql(struct repl_node *root, const char *wait_gtid)
{
	struct repl_sql_statement statement = {"SELECT 1", NULL, 0, true};
	struct repl_sql_transaction txn = {.statements = &statement, .statement_count = 1,
	                                   .user = "u", .password = "p", .read_only = true,
	                                   .wait_gtid = wait_gtid};
	fx->op.classify = repl_classify_sql;
	fx->policy.root = root;
	repl_result_free(&fx->result);
	enum repl_status status = repl_execute_sql(fx->client, &fx->op, &txn, &fx->result);
	assert_int_equal(status, fx->result.status);
	return status;
}

static void test_stale_replica_then_the_next_wins(void **state)
{
	(void)state;
	SCRIPT(0, STALE_AFTER(2));
	SCRIPT(1, OK_AFTER(5));
	assert_int_equal(run_sql(SEQ(A, B), "0-1-42"), REPL_OK);
	assert_int_equal(fx->result.winner, 1);
	expect_calls(2);
	expect_call(1, 1, 2, 7, false);
	expect_attempt(0, 0, 0, 2, REPL_OUTCOME_ABSENT, REPL_CAUSE_OTHER);
	expect_attempt(1, 1, 2, 7, REPL_OUTCOME_SUCCESS, REPL_CAUSE_NONE);
	assert_int_equal(fx->result.attempts[0].observation.sql_errno, REPL_SQL_ERRNO_STALE);
	/* Counted like a 404: an answer, in "other", never as the replica being down. */
	assert_int_equal(stat_count, 2);
	assert_string_equal(stat_calls[0].replica, "a");
	assert_int_equal(stat_calls[0].cause, REPL_CAUSE_OTHER);
	assert_int_equal(stat_calls[1].cause, REPL_CAUSE_NONE);
}

/* A server's error is counted under the cause an operator can name: the server's lock wait timed
 * out (1205) as a timeout, a server with no connection to spare (1040) as a refused connection;
 * a deadlock, read-only or missing table stays "other". */
static void test_sql_errors_counted_by_cause(void **state)
{
	(void)state;
	static const struct {
		unsigned sql_errno;
		enum repl_outcome outcome;
		enum repl_cause cause;
	} rows[] = {
		{1205, REPL_OUTCOME_RETRYABLE, REPL_CAUSE_TIMEOUT},
		{1040, REPL_OUTCOME_RETRYABLE, REPL_CAUSE_CONNECT},
		{1203, REPL_OUTCOME_RETRYABLE, REPL_CAUSE_CONNECT},
		{1213, REPL_OUTCOME_RETRYABLE, REPL_CAUSE_OTHER},
		{1290, REPL_OUTCOME_RETRYABLE, REPL_CAUSE_OTHER},
		{1146, REPL_OUTCOME_FINAL, REPL_CAUSE_OTHER},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		stat_count = 0;
		inproc_reset(fx->inproc);
		SCRIPT(0, {.kind = INPROC_ANSWER, .after_ms = 2, .sql_errno = rows[i].sql_errno});
		SCRIPT(1, OK_AFTER(3));
		run_sql(SEQ(A, B), NULL);
		expect_attempt(0, 0, 0, 2, rows[i].outcome, rows[i].cause);
		assert_int_equal(stat_count, rows[i].outcome == REPL_OUTCOME_FINAL ? 1 : 2);
		assert_int_equal(stat_calls[0].cause, rows[i].cause);
	}
}

static void test_hedge_asks_the_next_at_once_when_stale(void **state)
{
	(void)state;
	SCRIPT(0, STALE_AFTER(1));
	SCRIPT(1, OK_AFTER(3));
	assert_int_equal(run_sql(HEDGE(50, A, B), "0-1-42"), REPL_OK);
	assert_int_equal(fx->result.winner, 1);
	assert_int_equal(fx->result.elapsed_ms, 4);
	expect_call(1, 1, 1, 4, false);
}

static void test_stale_is_not_retried(void **state)
{
	(void)state;
	SCRIPT(0, STALE_AFTER(1));
	assert_int_equal(run_sql(SEQ(RETRY(3, A), B), "0-1-42"), REPL_OK);
	expect_calls(2);
	expect_call(1, 1, 1, 1, false);
}

static void test_stale_everywhere_is_absent(void **state)
{
	(void)state;
	SCRIPT(0, STALE_AFTER(1));
	SCRIPT(1, STALE_AFTER(1));
	assert_int_equal(run_sql(SEQ(A, B), "0-1-42"), REPL_ABSENT);
	assert_int_equal(fx->result.winner, -1);
}

static void test_malformed_wait_gtid_is_refused_before_any_attempt(void **state)
{
	(void)state;
	static const char *const bad[] = {"0-1", "0-1-42,", "x", " 0-1-42", "0-1-42;1-1-1"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(run_sql(A, bad[i]), REPL_BAD_ARGUMENT);
		assert_int_equal(fx->result.attempt_count, 0);
	}
	expect_calls(0);
	/* No wait at all, or an empty one, is no check. */
	assert_int_equal(run_sql(A, NULL), REPL_OK);
	assert_int_equal(run_sql(A, ""), REPL_OK);
}

/* ---- unknown ---- */

#define SQL_LOST_AFTER_COMMIT {.kind = INPROC_ANSWER, .after_ms = 5, .sql_errno = 2013, .commit_sent = true}

static void test_unknown_is_not_retried_when_not_idempotent(void **state)
{
	(void)state;
	fx->op.classify = repl_classify_sql;
	fx->op.idempotent = false;
	SCRIPT(0, SQL_LOST_AFTER_COMMIT);
	assert_int_equal(run(RETRY(2, SEQ(A, B))), REPL_UNKNOWN);
	expect_calls(1);
	/* The connection broke mid-exchange (2013): counted as mysql.c counts it, a protocol failure. */
	expect_attempt(0, 0, 0, 5, REPL_OUTCOME_UNKNOWN, REPL_CAUSE_PROTOCOL);
}

static void test_unknown_is_retried_when_idempotent(void **state)
{
	(void)state;
	fx->op.classify = repl_classify_sql;
	SCRIPT(0, SQL_LOST_AFTER_COMMIT, {.kind = INPROC_ANSWER, .after_ms = 5});
	assert_int_equal(run(RETRY(2, A)), REPL_OK);
	expect_calls(2);
	expect_call(1, 0, 5, 10, false);
}

static void test_sql_lost_before_commit_is_retried(void **state)
{
	(void)state;
	fx->op.classify = repl_classify_sql;
	fx->op.idempotent = false;
	SCRIPT(0, {.kind = INPROC_ANSWER, .after_ms = 5, .sql_errno = 2013});
	SCRIPT(1, {.kind = INPROC_ANSWER, .after_ms = 5});
	assert_int_equal(run(SEQ(A, B)), REPL_OK);
	assert_int_equal(fx->result.winner, 1);
}

/* ---- backoff ---- */

static void test_backoff_with_a_seed_gives_the_documented_waits(void **state)
{
	(void)state;
	fx->op.backoff_base_ms = 100;
	fx->op.backoff_cap_ms = 300;
	SCRIPT(0, STATUS_AFTER(10, 503));
	assert_int_equal(run(RETRY(3, A)), REPL_FAILED);
	expect_calls(4);
	/* Seed 42: waits 0 (of [0, 100)), 98 (of [0, 200)), 146 (of [0, 300): the cap, not 400). */
	static const int64_t starts[] = {0, 10, 118, 274};
	size_t count;
	const struct inproc_call *calls = inproc_calls(fx->inproc, &count);
	assert_int_equal(count, 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(calls[i].start_ms, starts[i]);
	assert_int_equal(fx->result.elapsed_ms, 284);

	/* The same seed gives the same waits; another seed does not. */
	inproc_reset(fx->inproc);
	int64_t t0 = inproc_now_ms(fx->inproc);
	repl_client_use(fx->client, inproc_transport(fx->inproc), inproc_clock(fx->inproc), 42);
	assert_int_equal(run(RETRY(3, A)), REPL_FAILED);
	calls = inproc_calls(fx->inproc, &count);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(calls[i].start_ms - t0, starts[i]);
	inproc_reset(fx->inproc);
	repl_client_use(fx->client, inproc_transport(fx->inproc), inproc_clock(fx->inproc), 7);
	assert_int_equal(run(RETRY(3, A)), REPL_FAILED);
	assert_int_not_equal(fx->result.elapsed_ms, 284);
}

static void test_backoff_is_off_by_default(void **state)
{
	(void)state;
	SCRIPT(0, STATUS_AFTER(10, 503));
	assert_int_equal(run(RETRY(2, A)), REPL_FAILED);
	expect_call(1, 0, 10, 20, false);
	expect_call(2, 0, 20, 30, false);
}

/* ---- limits and bad trees ---- */

static void test_attempts_beyond_the_maximum_fail_cleanly(void **state)
{
	(void)state;
	SCRIPT(0, STATUS_AFTER(1, 503));
	assert_int_equal(run(RETRY(1000, A)), REPL_FAILED);
	assert_int_equal(fx->result.attempt_count, REPL_ATTEMPTS_MAX);
	assert_int_equal(fx->result.elapsed_ms, REPL_ATTEMPTS_MAX);
	expect_calls(REPL_ATTEMPTS_MAX);
}

static void test_bad_trees_are_refused(void **state)
{
	(void)state;
	assert_int_equal(run(QUORUM(3, A, B)), REPL_BAD_POLICY);
	assert_int_equal(run(leaf(4)), REPL_BAD_POLICY);
	assert_int_equal(run(mk(REPL_NODE_RETRY, 1, KIDS(A, B))), REPL_BAD_POLICY);
	expect_calls(0);
	fx->op.classify = NULL;
	assert_int_equal(run(A), REPL_BAD_ARGUMENT);
}

static void test_nested_seq_of_pars(void **state)
{
	(void)state;
	SCRIPT(0, CAUSE_AFTER(5, REPL_CAUSE_CONNECT));
	SCRIPT(1, STATUS_AFTER(9, 500));
	SCRIPT(2, HANG);
	SCRIPT(3, OK_AFTER(4));
	assert_int_equal(run(SEQ(PAR(A, B), PAR(C, D))), REPL_OK);
	expect_call(2, 2, 9, 13, true);
	expect_call(3, 3, 9, 13, false);
	assert_int_equal(fx->result.winner, 3);
}

/* ---- classifiers ---- */

static void test_classify_http_tables(void **state)
{
	(void)state;
	static const struct {
		long status;
		enum repl_cause cause;
		enum repl_outcome read, write;
	} rows[] = {
		{200, REPL_CAUSE_NONE, REPL_OUTCOME_SUCCESS, REPL_OUTCOME_SUCCESS},
		{204, REPL_CAUSE_NONE, REPL_OUTCOME_SUCCESS, REPL_OUTCOME_SUCCESS},
		{404, REPL_CAUSE_NONE, REPL_OUTCOME_ABSENT, REPL_OUTCOME_FINAL},
		{403, REPL_CAUSE_NONE, REPL_OUTCOME_FINAL, REPL_OUTCOME_FINAL},
		{400, REPL_CAUSE_NONE, REPL_OUTCOME_FINAL, REPL_OUTCOME_FINAL},
		{409, REPL_CAUSE_NONE, REPL_OUTCOME_FINAL, REPL_OUTCOME_FINAL},
		{429, REPL_CAUSE_NONE, REPL_OUTCOME_RETRYABLE, REPL_OUTCOME_RETRYABLE},
		{500, REPL_CAUSE_NONE, REPL_OUTCOME_RETRYABLE, REPL_OUTCOME_RETRYABLE},
		{503, REPL_CAUSE_NONE, REPL_OUTCOME_RETRYABLE, REPL_OUTCOME_RETRYABLE},
		{0, REPL_CAUSE_TIMEOUT, REPL_OUTCOME_RETRYABLE, REPL_OUTCOME_RETRYABLE},
		{0, REPL_CAUSE_CONNECT, REPL_OUTCOME_RETRYABLE, REPL_OUTCOME_RETRYABLE},
		{200, REPL_CAUSE_PROTOCOL, REPL_OUTCOME_RETRYABLE, REPL_OUTCOME_RETRYABLE},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct repl_observation o = {.cause = rows[i].cause, .http_status = rows[i].status};
		assert_int_equal(repl_classify_http_read(&o), rows[i].read);
		assert_int_equal(repl_classify_http_write(&o), rows[i].write);
	}
}

static void test_classify_sql_table(void **state)
{
	(void)state;
	static const struct {
		unsigned sql_errno;
		enum repl_cause cause;
		bool commit_sent;
		enum repl_outcome outcome;
	} rows[] = {
		{0, REPL_CAUSE_NONE, false, REPL_OUTCOME_SUCCESS},
		{1290, REPL_CAUSE_NONE, false, REPL_OUTCOME_RETRYABLE},
		{1213, REPL_CAUSE_NONE, false, REPL_OUTCOME_RETRYABLE},
		{1205, REPL_CAUSE_NONE, false, REPL_OUTCOME_RETRYABLE},
		{1040, REPL_CAUSE_NONE, false, REPL_OUTCOME_RETRYABLE},
		{1203, REPL_CAUSE_NONE, false, REPL_OUTCOME_RETRYABLE},
		{1146, REPL_CAUSE_NONE, false, REPL_OUTCOME_FINAL},
		{2002, REPL_CAUSE_NONE, false, REPL_OUTCOME_RETRYABLE},
		{2003, REPL_CAUSE_NONE, false, REPL_OUTCOME_RETRYABLE},
		{2006, REPL_CAUSE_NONE, false, REPL_OUTCOME_RETRYABLE},
		{2013, REPL_CAUSE_NONE, false, REPL_OUTCOME_RETRYABLE},
		{2006, REPL_CAUSE_NONE, true, REPL_OUTCOME_UNKNOWN},
		{2013, REPL_CAUSE_NONE, true, REPL_OUTCOME_UNKNOWN},
		{1062, REPL_CAUSE_NONE, false, REPL_OUTCOME_FINAL},
		{REPL_SQL_ERRNO_STALE, REPL_CAUSE_NONE, false, REPL_OUTCOME_ABSENT},
		{1064, REPL_CAUSE_NONE, false, REPL_OUTCOME_FINAL},
		{1452, REPL_CAUSE_NONE, false, REPL_OUTCOME_FINAL},
		{0, REPL_CAUSE_TIMEOUT, false, REPL_OUTCOME_RETRYABLE},
		{0, REPL_CAUSE_TIMEOUT, true, REPL_OUTCOME_UNKNOWN},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct repl_observation o = {.cause = rows[i].cause, .sql_errno = rows[i].sql_errno,
		                             .commit_sent = rows[i].commit_sent};
		assert_int_equal(repl_classify_sql(&o), rows[i].outcome);
	}
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(repl_outcome_name(REPL_OUTCOME_CANCELLED), "cancelled");
	assert_string_equal(repl_outcome_name((enum repl_outcome)99), "invalid");
	assert_string_equal(repl_cause_name(REPL_CAUSE_CONNECT), "connect");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_par_first_success_wins_and_cancels_the_rest),
		T(test_par_fails_when_every_child_failed),
		T(test_seq_runs_children_in_order_until_one_succeeds),
		T(test_retry_runs_n_plus_one_times_then_fails),
		T(test_retry_stops_at_the_first_success),
		T(test_final_stops_retries_and_is_not_tried_elsewhere),
		T(test_final_in_par_cancels_everything_at_once),
		T(test_retry_of_par_reruns_the_whole_par),
		T(test_hedge_starts_the_next_after_exactly_d_ms),
		T(test_hedge_starts_the_next_at_once_after_a_failure),
		T(test_hedge_waits_while_an_earlier_child_still_runs),
		T(test_hedge_fails_when_all_children_failed),
		T(test_quorum_succeeds_at_k_and_reports_the_rest_unknown),
		T(test_quorum_fails_as_soon_as_k_is_out_of_reach),
		T(test_quorum_of_absent_with_one_cancelled_is_failed),
		T(test_quorum_of_absent_everywhere_is_absent),
		T(test_attempt_timeout_is_exact),
		T(test_answer_at_the_instant_of_the_timeout_counts),
		T(test_deadline_is_exact_and_cancels_everything),
		T(test_deadline_cuts_retries_short),
		T(test_a_hang_without_deadline_fails_cleanly),
		T(test_deadline_after_commit_sent_is_unknown_when_not_idempotent),
		T(test_deadline_before_commit_sent_is_deadline),
		T(test_deadline_after_commit_sent_is_deadline_when_idempotent),
		T(test_times_above_a_billion_ms_are_refused),
		T(test_stats_get_rtts_in_microseconds),
		T(test_absent_everywhere_is_absent),
		T(test_absent_then_success_is_success),
		T(test_absent_is_not_retried_and_mixed_failures_are_failed),
		T(test_write_404_is_final),
		T(test_stale_replica_then_the_next_wins),
		T(test_sql_errors_counted_by_cause),
		T(test_hedge_asks_the_next_at_once_when_stale),
		T(test_stale_is_not_retried),
		T(test_stale_everywhere_is_absent),
		T(test_malformed_wait_gtid_is_refused_before_any_attempt),
		T(test_unknown_is_not_retried_when_not_idempotent),
		T(test_unknown_is_retried_when_idempotent),
		T(test_sql_lost_before_commit_is_retried),
		T(test_backoff_with_a_seed_gives_the_documented_waits),
		T(test_backoff_is_off_by_default),
		T(test_attempts_beyond_the_maximum_fail_cleanly),
		T(test_bad_trees_are_refused),
		T(test_nested_seq_of_pars),
		T(test_classify_http_tables),
		T(test_classify_sql_table),
		T(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
