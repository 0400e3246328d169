/*
 * repl_smtp.c: librepl's SMTP transport against a real mail server: the stack's maildev, started
 * by test/integration/repl_transports.sh (REPL_TEST_STACK_BASE names its port base; maildev's
 * SMTP is base + 9, its REST API base + 10). A message sent in clear text to the loopback sink
 * arrives; a closed port is a CONNECT failure and seq() moves on; with TLS required, maildev's
 * STARTTLS (a self-signed certificate) fails the attempt and nothing, credentials included, is
 * sent in clear text; credentials with clear text and an envelope address that could add a
 * command are refused before any connection. Without a stack every case FAILS saying so (the
 * stack is repl_stack.c's).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <curl/curl.h>

#include "repl.h"
#include "repl_stack.h"

static struct {
	bool up;
	char why[256];
	long base;
	struct repl_client *client;
} stack;

static int group_setup(void **state)
{
	(void)state;
	if (repl_stack_open(NULL, 0, &stack.base, &stack.client, stack.why, sizeof stack.why) != 0)
		return 0;
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
		fail_msg("the mail sink is not running: %s", stack.why);
}

/* A set of "name=url" pairs over the stack's ports: "sink" is maildev, "closed" a spare port. */
static void set_of(struct repl_set *set, const char *names)
{
	char text[512];
	size_t n = 0;
	text[0] = '\0';
	for (const char *p = names; *p;) {
		size_t len = strcspn(p, ",");
		bool sink = strncmp(p, "sink", len) == 0 && len == 4;
		n += (size_t)snprintf(text + n, sizeof text - n, "%s%.*s=smtp://127.0.0.1:%ld", n ? ", " : "", (int)len, p,
		                      stack.base + (sink ? 9 : 12));
		p += len + (p[len] == ',');
	}
	struct repl_error error;
	assert_int_equal(repl_set_parse(set, "smtp", text, &error), REPL_OK);
}

static void run(const char *replicas, const struct repl_smtp_message *message, struct repl_result *result)
{
	struct repl_set set;
	struct repl_policy *policy = NULL;
	struct repl_error error;
	set_of(&set, replicas);
	assert_int_equal(repl_policy_parse("seq(smtp)", 9, &set, false, &policy, &error), REPL_OK);
	struct repl_operation operation = {
		.name = "smtp.send", .set = &set, .policy = policy, .idempotent = false,
		.classify = repl_classify_smtp, .attempt_timeout_ms = 10000, .deadline_ms = 30000,
	};
	repl_execute_smtp(stack.client, &operation, message, result);
	repl_policy_free(policy);
}

static size_t on_body(char *data, size_t size, size_t count, void *user)
{
	char *buffer = user;
	size_t have = strlen(buffer), len = size * count;
	size_t keep = len < (1u << 20) - 1 - have ? len : (1u << 20) - 1 - have;
	memcpy(buffer + have, data, keep);
	buffer[have + keep] = '\0';
	return len;
}

/* Whether maildev's REST API lists a mail whose subject holds tag. */
static bool maildev_has(const char *tag)
{
	static char buffer[1u << 20];
	char url[128];
	buffer[0] = '\0';
	snprintf(url, sizeof url, "http://127.0.0.1:%ld/api/email", stack.base + 10);
	CURL *curl = curl_easy_init();
	assert_non_null(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, buffer);
	CURLcode code = curl_easy_perform(curl);
	curl_easy_cleanup(curl);
	assert_int_equal(code, CURLE_OK);
	return strstr(buffer, tag) != NULL;
}

/* A message whose subject carries a tag unique to this run and case. */
static void message_of(struct repl_smtp_message *message, char *data, size_t size, char *tag, size_t tag_size,
                       const char *name)
{
	snprintf(tag, tag_size, "repl-smtp-%s-%ld-%ld", name, (long)getpid(), (long)time(NULL));
	int n = snprintf(data, size,
	                 "From: <librepl@test.invalid>\r\nTo: <sink@test.invalid>\r\nSubject: %s\r\n\r\n"
	                 "one line\r\n.a line starting with a dot\r\n",
	                 tag);
	*message = (struct repl_smtp_message){
		.from = "librepl@test.invalid", .to = "sink@test.invalid", .data = data, .data_len = (size_t)n,
		.tls = REPL_SMTP_TLS_NONE,
	};
}

static void test_clear_text_to_the_sink_arrives(void **state)
{
	(void)state;
	need_stack();
	struct repl_smtp_message message;
	struct repl_result result;
	char data[512], tag[96];
	message_of(&message, data, sizeof data, tag, sizeof tag, "sink");
	run("sink", &message, &result);
	assert_int_equal(result.status, REPL_OK);
	assert_int_equal(result.winner, 0);
	assert_int_equal(result.attempts[0].observation.smtp_reply, 250);
	repl_result_free(&result);
	assert_true(maildev_has(tag));
}

static void test_closed_port_fails_and_seq_moves_on(void **state)
{
	(void)state;
	need_stack();
	struct repl_smtp_message message;
	struct repl_result result;
	char data[512], tag[96];
	message_of(&message, data, sizeof data, tag, sizeof tag, "closed");
	run("closed,sink", &message, &result);
	assert_int_equal(result.status, REPL_OK);
	assert_int_equal(result.winner, 1);
	assert_int_equal(result.attempt_count, 2);
	assert_int_equal(result.attempts[0].cause, REPL_CAUSE_CONNECT);
	repl_result_free(&result);
	assert_true(maildev_has(tag));
}

static void test_tls_required_never_falls_back_to_clear_text(void **state)
{
	(void)state;
	need_stack();
	struct repl_smtp_message message;
	struct repl_result result;
	char data[512], tag[96];
	message_of(&message, data, sizeof data, tag, sizeof tag, "tls");
	message.tls = REPL_SMTP_TLS_REQUIRED;
	message.username = "user";
	message.password = "secret";
	run("sink", &message, &result);
	/* maildev's STARTTLS certificate is self-signed: the session cannot be verified. */
	assert_int_equal(result.status, REPL_FAILED);
	assert_int_equal(result.attempt_count, 1);
	assert_int_not_equal(result.attempts[0].cause, REPL_CAUSE_NONE);
	repl_result_free(&result);
	assert_false(maildev_has(tag));
}

static void test_credentials_in_clear_text_are_refused(void **state)
{
	(void)state;
	need_stack();
	struct repl_smtp_message message;
	struct repl_result result;
	char data[512], tag[96];
	message_of(&message, data, sizeof data, tag, sizeof tag, "clear");
	message.username = "user";
	message.password = "secret";
	run("sink", &message, &result);
	assert_int_equal(result.status, REPL_BAD_ARGUMENT);
	repl_result_free(&result);
	assert_false(maildev_has(tag));
}

static void test_an_address_cannot_add_a_command(void **state)
{
	(void)state;
	need_stack();
	struct repl_smtp_message message;
	struct repl_result result;
	char data[512], tag[96];
	message_of(&message, data, sizeof data, tag, sizeof tag, "inject");
	message.to = "sink@test.invalid>\r\nRCPT TO:<other@test.invalid";
	run("sink", &message, &result);
	assert_int_equal(result.status, REPL_BAD_ARGUMENT);
	repl_result_free(&result);
	assert_false(maildev_has(tag));
}

static void test_replies_classify(void **state)
{
	(void)state;
	const struct {
		enum repl_cause cause;
		long reply;
		enum repl_outcome outcome;
	} rows[] = {
		{REPL_CAUSE_NONE, 250, REPL_OUTCOME_SUCCESS},   {REPL_CAUSE_NONE, 451, REPL_OUTCOME_RETRYABLE},
		{REPL_CAUSE_NONE, 550, REPL_OUTCOME_FINAL},     {REPL_CAUSE_NONE, 535, REPL_OUTCOME_FINAL},
		{REPL_CAUSE_CONNECT, 0, REPL_OUTCOME_RETRYABLE}, {REPL_CAUSE_PROTOCOL, 250, REPL_OUTCOME_RETRYABLE},
		{REPL_CAUSE_TIMEOUT, 0, REPL_OUTCOME_RETRYABLE},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct repl_observation o = {.cause = rows[i].cause, .smtp_reply = rows[i].reply};
		assert_int_equal(repl_classify_smtp(&o), rows[i].outcome);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clear_text_to_the_sink_arrives),
		cmocka_unit_test(test_closed_port_fails_and_seq_moves_on),
		cmocka_unit_test(test_tls_required_never_falls_back_to_clear_text),
		cmocka_unit_test(test_credentials_in_clear_text_are_refused),
		cmocka_unit_test(test_an_address_cannot_add_a_command),
		cmocka_unit_test(test_replies_classify),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
