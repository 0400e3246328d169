/*
 * repl_http.c: librepl's HTTP transport against real S3 replicas: a stack's three (each checks
 * SigV4 signatures with AWS's own signer), started by test/integration/repl_transports.sh, which
 * names the stack in REPL_TEST_STACK_DIR and REPL_TEST_STACK_BASE; the cases run policies over
 * them. Without a stack every case FAILS saying so: a skipped replication test would hide a
 * broken signer. The stack and its secrets are repl_stack.c's.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "repl.h"
#include "repl_stack.h"

struct stack {
	bool up;
	char why[512];
	char dir[256];
	long base;
	char key[128];
	char secret[128];
	struct repl_set set;
	struct repl_client *client;
};

static struct stack stack;

/* Runs script under bash with stack.sh sourced; its stdout (one line) goes to out. */
static int shell(const char *script, char *out, size_t size)
{
	char command[2048];
	int n = snprintf(command, sizeof command,
	                 "bash -c 'set -e; source \"$0\"/packaging/stack.sh; %s' '%s'", script, repl_stack_srcdir());
	if (n < 0 || (size_t)n >= sizeof command)
		return -1;
	FILE *p = popen(command, "r");
	if (!p)
		return -1;
	char line[512] = "";
	if (!fgets(line, sizeof line, p))
		line[0] = '\0';
	int status = pclose(p);
	line[strcspn(line, "\n")] = '\0';
	if (out)
		snprintf(out, size, "%s", line);
	return status;
}

static int group_setup(void **state)
{
	(void)state;
	char script[1024], line[512];
	if (repl_stack_open(stack.dir, sizeof stack.dir, &stack.base, &stack.client, stack.why, sizeof stack.why) != 0)
		return 0;
	if (!repl_stack_secret(stack.dir, "s3_access_key", stack.key, sizeof stack.key) ||
	    !repl_stack_secret(stack.dir, "s3_secret_key", stack.secret, sizeof stack.secret)) {
		snprintf(stack.why, sizeof stack.why, "no S3 credentials in %s/secrets", stack.dir);
		return 0;
	}
	static const char *const names[] = {"us", "jp", "de"};
	snprintf(stack.set.name, sizeof stack.set.name, "s3");
	for (unsigned i = 0; i < 3; i++) {
		snprintf(script, sizeof script, "s3_url %s %ld %s", stack.dir, stack.base, names[i]);
		if (shell(script, line, sizeof line) != 0) {
			snprintf(stack.why, sizeof stack.why, "s3_url failed");
			return 0;
		}
		snprintf(stack.set.replicas[i].name, sizeof stack.set.replicas[i].name, "%s", names[i]);
		snprintf(stack.set.replicas[i].url, sizeof stack.set.replicas[i].url, "%s", line);
		stack.set.replicas[i].index = i;
	}
	stack.set.count = 3;
	stack.up = true;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	repl_client_free(stack.client);
	return 0;
}

static void need_stack(void)
{
	if (!stack.up)
		fail_msg("S3 replicas are not running: %s", stack.why);
}

/* ---- policies by hand ---- */

struct tree {
	struct repl_node nodes[8];
	struct repl_node *links[8];
	struct repl_policy policy;
};

static void tree_make(struct tree *t, enum repl_node_kind kind, unsigned parameter)
{
	memset(t, 0, sizeof *t);
	for (unsigned i = 0; i < 3; i++) {
		t->nodes[i + 1].kind = REPL_NODE_REPLICA;
		t->nodes[i + 1].replica = i;
		t->links[i] = &t->nodes[i + 1];
	}
	t->nodes[0].kind = kind;
	t->nodes[0].parameter = parameter;
	t->nodes[0].children = t->links;
	t->nodes[0].child_count = 3;
	t->policy.set = &stack.set;
	t->policy.root = &t->nodes[0];
}

static void op_make(struct repl_operation *op, const char *name, const struct tree *t,
                    repl_classify_fn classify)
{
	memset(op, 0, sizeof *op);
	snprintf(op->name, sizeof op->name, "%s", name);
	op->set = &stack.set;
	op->policy = &t->policy;
	op->idempotent = true;
	op->classify = classify;
	op->attempt_timeout_ms = 5000;
	op->deadline_ms = 15000;
}

static void request_make(struct repl_http_request *r, const char *method, const char *path)
{
	memset(r, 0, sizeof *r);
	r->method = method;
	r->path = path;
	r->sigv4_service = "s3";
	r->sigv4_region = "us-east-1";
	r->access_key = stack.key;
	r->secret_key = stack.secret;
	r->response_max = 1 << 20;
}

static const char object_body[] = "hello, replicas\n";

static void put_object(const char *path, enum repl_node_kind kind, unsigned parameter)
{
	struct tree t;
	struct repl_operation op;
	struct repl_http_request r;
	struct repl_result result;
	static const struct repl_http_header headers[] = {{"Content-Type", "text/plain"}};
	tree_make(&t, kind, parameter);
	op_make(&op, "s3.put", &t, repl_classify_http_write);
	request_make(&r, "PUT", path);
	r.headers = headers;
	r.header_count = 1;
	r.body = object_body;
	r.body_len = sizeof object_body - 1;
	enum repl_status status = repl_execute_http(stack.client, &op, &r, &result);
	if (status != REPL_OK)
		print_error("PUT %s: status %d, HTTP %ld: %.300s\n", path, (int)status,
		            result.response.status, result.response.body ? result.response.body : "");
	assert_int_equal(status, REPL_OK);
	if (kind == REPL_NODE_QUORUM && parameter == 3)
		for (unsigned i = 0; i < 3; i++)
			assert_int_equal(result.replica_outcomes[i], REPL_OUTCOME_SUCCESS);
	repl_result_free(&result);
}

static void test_signed_put_then_get_through_par(void **state)
{
	(void)state;
	need_stack();
	put_object("/t/one.txt", REPL_NODE_QUORUM, 3);

	struct tree t;
	struct repl_operation op;
	struct repl_http_request r;
	struct repl_result result;
	tree_make(&t, REPL_NODE_PAR, 0);
	op_make(&op, "s3.get", &t, repl_classify_http_read);
	request_make(&r, "GET", "/t/one.txt");
	assert_int_equal(repl_execute_http(stack.client, &op, &r, &result), REPL_OK);
	assert_true(result.winner >= 0 && result.winner < 3);
	assert_int_equal(result.response.status, 200);
	assert_int_equal(result.response.body_len, sizeof object_body - 1);
	assert_memory_equal(result.response.body, object_body, sizeof object_body - 1);
	assert_string_equal(result.response.content_type, "text/plain");
	assert_true(strlen(result.response.etag) > 2);
	repl_result_free(&result);

	/* And once more on the same client: reused handles still sign and verify. */
	put_object("/t/two.txt", REPL_NODE_PAR, 0);
	assert_int_equal(repl_execute_http(stack.client, &op, &r, &result), REPL_OK);
	repl_result_free(&result);
}

static void test_missing_object_is_absent_everywhere(void **state)
{
	(void)state;
	need_stack();
	struct tree t;
	struct repl_operation op;
	struct repl_http_request r;
	struct repl_result result;
	tree_make(&t, REPL_NODE_SEQ, 0);
	op_make(&op, "s3.get", &t, repl_classify_http_read);
	request_make(&r, "GET", "/t/never-written");
	assert_int_equal(repl_execute_http(stack.client, &op, &r, &result), REPL_ABSENT);
	assert_int_equal(result.attempt_count, 3);
	repl_result_free(&result);
}

static void test_wrong_secret_is_final(void **state)
{
	(void)state;
	need_stack();
	struct tree t;
	struct repl_operation op;
	struct repl_http_request r;
	struct repl_result result;
	tree_make(&t, REPL_NODE_SEQ, 0);
	op_make(&op, "s3.get", &t, repl_classify_http_read);
	request_make(&r, "GET", "/t/one.txt");
	r.secret_key = "not-the-secret";
	assert_int_equal(repl_execute_http(stack.client, &op, &r, &result), REPL_FINAL);
	assert_int_equal(result.attempt_count, 1);
	assert_int_equal(result.attempts[0].observation.http_status, 403);
	assert_int_equal(result.attempts[0].outcome, REPL_OUTCOME_FINAL);
	assert_int_equal(result.response.status, 403);
	assert_non_null(result.response.body);
	assert_non_null(strstr(result.response.body, "SignatureDoesNotMatch"));
	repl_result_free(&result);
}

static void test_signed_query_string_verifies(void **state)
{
	(void)state;
	need_stack();
	put_object("/list%20me/a.txt", REPL_NODE_QUORUM, 3);
	struct tree t;
	struct repl_operation op;
	struct repl_http_request r;
	struct repl_result result;
	/* Given unsorted, with values that need encoding: the transport sorts and encodes. */
	static const struct repl_query_pair query[] = {
		{"prefix", "list me/"}, {"max-keys", "10"}, {"list-type", "2"},
	};
	tree_make(&t, REPL_NODE_PAR, 0);
	op_make(&op, "s3.list", &t, repl_classify_http_read);
	request_make(&r, "GET", "");
	r.query = query;
	r.query_count = 3;
	assert_int_equal(repl_execute_http(stack.client, &op, &r, &result), REPL_OK);
	assert_int_equal(result.response.status, 200);
	assert_non_null(strstr(result.response.body, "<Key>list me/a.txt</Key>"));
	assert_null(strstr(result.response.body, "<Key>t/one.txt</Key>"));
	repl_result_free(&result);
}

/* The status decides, not the size: a 200 over the cap is a success with its start kept. */
static void test_body_over_response_max_is_truncated_not_failed(void **state)
{
	(void)state;
	need_stack();
	struct tree t;
	struct repl_operation op;
	struct repl_http_request r;
	struct repl_result result;
	tree_make(&t, REPL_NODE_SEQ, 0);
	op_make(&op, "s3.get", &t, repl_classify_http_read);
	request_make(&r, "GET", "/t/one.txt");
	r.response_max = 4;
	assert_int_equal(repl_execute_http(stack.client, &op, &r, &result), REPL_OK);
	assert_int_equal(result.attempt_count, 1);
	assert_int_equal(result.response.status, 200);
	assert_true(result.response.truncated);
	assert_int_equal(result.response.body_len, 4);
	assert_memory_equal(result.response.body, object_body, 4);
	assert_int_equal(result.response.body[4], '\0');
	repl_result_free(&result);

	/* A 4xx over the cap stays final, and response_max 0 keeps no body at all. */
	r.secret_key = "not-the-secret";
	r.response_max = 0;
	assert_int_equal(repl_execute_http(stack.client, &op, &r, &result), REPL_FINAL);
	assert_int_equal(result.attempt_count, 1);
	assert_int_equal(result.response.status, 403);
	assert_true(result.response.truncated);
	assert_int_equal(result.response.body_len, 0);
	repl_result_free(&result);

	/* Under the cap: not truncated. */
	r.secret_key = stack.secret;
	r.response_max = sizeof object_body - 1;
	assert_int_equal(repl_execute_http(stack.client, &op, &r, &result), REPL_OK);
	assert_false(result.response.truncated);
	assert_int_equal(result.response.body_len, sizeof object_body - 1);
	repl_result_free(&result);
}

/* libcurl 7.88 cannot sign an empty header ("Name:" is signed, not sent; "Name;" is sent, signed
 * as "name;"): such a request is refused before anything is sent, not answered 403. */
static void test_signed_put_with_an_empty_header_is_refused(void **state)
{
	(void)state;
	need_stack();
	struct tree t;
	struct repl_operation op;
	struct repl_http_request r;
	struct repl_result result;
	static const struct repl_http_header headers[] = {{"x-amz-meta-note", ""}};
	tree_make(&t, REPL_NODE_SEQ, 0);
	op_make(&op, "s3.put", &t, repl_classify_http_write);
	request_make(&r, "PUT", "/t/empty-note.txt");
	r.headers = headers;
	r.header_count = 1;
	r.body = object_body;
	r.body_len = sizeof object_body - 1;
	assert_int_equal(repl_execute_http(stack.client, &op, &r, &result), REPL_BAD_ARGUMENT);
	assert_int_equal(result.response.status, 0);
	repl_result_free(&result);
}

/* SigV4 sorts the encoded names: "a%2F" < "a%3D" < "a." < "a1", unlike the raw "a." < "a/"... */
static void test_query_is_sorted_by_encoded_names(void **state)
{
	(void)state;
	need_stack();
	put_object("/t/one.txt", REPL_NODE_QUORUM, 3);
	struct tree t;
	struct repl_operation op;
	struct repl_http_request r;
	struct repl_result result;
	static const struct repl_query_pair query[] = {
		{"a1", "4"}, {"a.", "2"}, {"a=", "3"}, {"a/", "1"}, {"a.", "1"},
	};
	tree_make(&t, REPL_NODE_SEQ, 0);
	op_make(&op, "s3.get", &t, repl_classify_http_read);
	request_make(&r, "GET", "/t/one.txt");
	r.query = query;
	r.query_count = sizeof query / sizeof query[0];
	enum repl_status status = repl_execute_http(stack.client, &op, &r, &result);
	if (status != REPL_OK)
		print_error("HTTP %ld: %.300s\n", result.response.status,
		            result.response.body ? result.response.body : "");
	assert_int_equal(status, REPL_OK);
	assert_int_equal(result.response.status, 200);
	repl_result_free(&result);
}

/* A PUT without a body is still a raw upload, not a form. */
static void test_put_without_body_is_octet_stream(void **state)
{
	(void)state;
	need_stack();
	struct tree t;
	struct repl_operation op;
	struct repl_http_request r;
	struct repl_result result;
	tree_make(&t, REPL_NODE_QUORUM, 3);
	op_make(&op, "s3.put", &t, repl_classify_http_write);
	request_make(&r, "PUT", "/t/empty.bin");
	assert_int_equal(repl_execute_http(stack.client, &op, &r, &result), REPL_OK);
	repl_result_free(&result);
	op_make(&op, "s3.get", &t, repl_classify_http_read);
	tree_make(&t, REPL_NODE_SEQ, 0);
	request_make(&r, "GET", "/t/empty.bin");
	assert_int_equal(repl_execute_http(stack.client, &op, &r, &result), REPL_OK);
	assert_int_equal(result.response.body_len, 0);
	assert_string_equal(result.response.content_type, "application/octet-stream");
	repl_result_free(&result);
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_deadline_holds_against_a_silent_replica(void **state)
{
	(void)state;
	/* A socket that accepts connections (the kernel's backlog) and never answers. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof addr;
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);

	struct repl_set set = {.name = "silent", .count = 1};
	snprintf(set.replicas[0].name, sizeof set.replicas[0].name, "silent");
	snprintf(set.replicas[0].url, sizeof set.replicas[0].url, "http://127.0.0.1:%u/b",
	         (unsigned)ntohs(addr.sin_port));
	struct repl_node node = {.kind = REPL_NODE_REPLICA};
	struct repl_policy policy = {.set = &set, .root = &node};
	struct repl_operation op = {.name = "s3.get", .set = &set, .policy = &policy,
	                            .idempotent = true, .classify = repl_classify_http_read,
	                            .deadline_ms = 200};
	struct repl_http_request r = {.method = "GET", .path = "/k", .response_max = 1024};
	struct repl_result result;
	struct repl_client *client;
	assert_int_equal(repl_client_new(&client, NULL), REPL_OK);
	int64_t t0 = wall_ms();
	assert_int_equal(repl_execute_http(client, &op, &r, &result), REPL_DEADLINE);
	int64_t took = wall_ms() - t0;
	assert_in_range(result.elapsed_ms, 200, 2000);
	assert_in_range(took, 200, 2000);
	assert_int_equal(result.attempts[0].outcome, REPL_OUTCOME_CANCELLED);
	assert_int_equal(result.attempts[0].cause, REPL_CAUSE_TIMEOUT);
	repl_result_free(&result);
	repl_client_free(client);
	close(fd);
}

/* Last: it stops a replica for good. */
static void test_one_replica_stopped(void **state)
{
	(void)state;
	need_stack();
	char script[512];
	snprintf(script, sizeof script, "s3_stop_replica %s us", stack.dir);
	assert_int_equal(shell(script, NULL, 0), 0);

	static const struct {
		enum repl_node_kind kind;
		unsigned parameter;
	} policies[] = {{REPL_NODE_PAR, 0}, {REPL_NODE_HEDGE, 50}, {REPL_NODE_SEQ, 0}};
	for (size_t i = 0; i < 3; i++) {
		struct tree t;
		struct repl_operation op;
		struct repl_http_request r;
		struct repl_result result;
		tree_make(&t, policies[i].kind, policies[i].parameter);
		op_make(&op, "s3.get", &t, repl_classify_http_read);
		request_make(&r, "GET", "/t/one.txt");
		assert_int_equal(repl_execute_http(stack.client, &op, &r, &result), REPL_OK);
		assert_true(result.winner == 1 || result.winner == 2);
		assert_memory_equal(result.response.body, object_body, sizeof object_body - 1);
		if (policies[i].kind == REPL_NODE_SEQ) {
			assert_int_equal(result.winner, 1);
			assert_int_equal(result.attempts[0].replica, 0);
			assert_int_equal(result.attempts[0].outcome, REPL_OUTCOME_RETRYABLE);
			assert_int_equal(result.attempts[0].cause, REPL_CAUSE_CONNECT);
		}
		repl_result_free(&result);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signed_put_then_get_through_par),
		cmocka_unit_test(test_missing_object_is_absent_everywhere),
		cmocka_unit_test(test_wrong_secret_is_final),
		cmocka_unit_test(test_signed_query_string_verifies),
		cmocka_unit_test(test_body_over_response_max_is_truncated_not_failed),
		cmocka_unit_test(test_signed_put_with_an_empty_header_is_refused),
		cmocka_unit_test(test_query_is_sorted_by_encoded_names),
		cmocka_unit_test(test_put_without_body_is_octet_stream),
		cmocka_unit_test(test_deadline_holds_against_a_silent_replica),
		cmocka_unit_test(test_one_replica_stopped),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
