/*
 * test_policy.c: what an operator sees from librepl's policy language (replication/policy.c):
 * which text a policy key accepts, the tree it stands for (through its canonical printed form,
 * which is what the admin page shows), and each refusal with its byte position and message.
 * The nine WS-DREAM presets are compared with DESIGN.md's expansions word for word. Leaks are
 * left to the sanitizer build's leak checker, so every test frees what it parses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "repl.h"

#define LENGTH(array) (sizeof(array) / sizeof((array)[0]))

static const char six_list[] = "r1=http://127.0.0.1:9001/b, r2=http://127.0.0.1:9002/b, "
                               "r3=http://127.0.0.1:9003/b, r4=http://127.0.0.1:9004/b, "
                               "r5=http://127.0.0.1:9005/b, r6=http://127.0.0.1:9006/b";

static void make_set(struct repl_set *set, const char *name, const char *list)
{
	struct repl_error error;
	enum repl_status status = repl_set_parse(set, name, list, &error);
	if (status != REPL_OK)
		fail_msg("set %s: %s", list, error.message);
}

static void make_six(struct repl_set *set)
{
	make_set(set, "pool", six_list);
}

/* Parses text (which must succeed) and returns its canonical text in buf. */
static void canonical(const struct repl_set *set, const char *text, bool idempotent, char *buf,
                      size_t size)
{
	struct repl_policy *policy = NULL;
	struct repl_error error;
	enum repl_status status =
	    repl_policy_parse(text, strlen(text), set, idempotent, &policy, &error);
	if (status != REPL_OK)
		fail_msg("'%s' refused: %s: %s", text, repl_strerror(status), error.message);
	size_t need = repl_policy_print(policy, buf, size);
	assert_true(need < size);
	assert_int_equal(strlen(buf), need);
	repl_policy_free(policy);
}

static void assert_expands(const struct repl_set *set, const char *text, const char *expected)
{
	char buf[REPL_POLICY_TEXT_MAX + 1];
	canonical(set, text, true, buf, sizeof(buf));
	if (strcmp(buf, expected) != 0)
		fail_msg("'%s' printed '%s', expected '%s'", text, buf, expected);
}

struct refusal {
	const char *text;
	bool idempotent;
	enum repl_status status;
	size_t position;
	const char *message;
};

static void assert_refusals(const struct repl_set *set, const struct refusal *cases, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		const struct refusal *c = &cases[i];
		struct repl_policy *sentinel = (struct repl_policy *)(uintptr_t)0x1;
		struct repl_policy *policy = sentinel;
		struct repl_error error;
		enum repl_status status = repl_policy_parse(c->text, strlen(c->text), set, c->idempotent,
		                                            &policy, &error);
		if (status != c->status)
			fail_msg("'%s': status %s, expected %s (%s)", c->text, repl_strerror(status),
			         repl_strerror(c->status), error.message);
		if (error.position != c->position || strcmp(error.message, c->message) != 0)
			fail_msg("'%s': got position %zu '%s', expected %zu '%s'", c->text, error.position,
			         error.message, c->position, c->message);
		assert_ptr_equal(policy, sentinel);
	}
}

static void test_each_node_kind_parses_and_prints(void **state)
{
	(void)state;
	struct repl_set db;
	make_set(&db, "db", "primary=mariadb://127.0.0.1:3306/c, standby=mariadb://127.0.0.1:3307/c");
	struct repl_set s3;
	make_set(&s3, "s3", "us=http://127.0.0.1:9001/c, jp=http://127.0.0.1:9002/c, "
	                    "de=http://127.0.0.1:9003/c");
	assert_expands(&db, "primary", "primary");
	assert_expands(&db, "par(primary, standby)", "par(primary, standby)");
	assert_expands(&db, "seq(standby,primary)", "seq(standby, primary)");
	assert_expands(&db, "retry(2, seq(primary, standby))", "retry(2, seq(primary, standby))");
	assert_expands(&db, "retry(n=2, seq(primary, standby))", "retry(2, seq(primary, standby))");
	assert_expands(&db, "retry(0, primary)", "retry(0, primary)");
	assert_expands(&db, "hedge(20, standby, primary)", "hedge(20ms, standby, primary)");
	assert_expands(&db, "hedge(d=20, standby, primary)", "hedge(20ms, standby, primary)");
	assert_expands(&db, "hedge(0, standby)", "hedge(0ms, standby)");
	assert_expands(&s3, "quorum(2, us, jp, de)", "quorum(2, us, jp, de)");
	assert_expands(&s3, "quorum(k=3, us, jp, de)", "quorum(3, us, jp, de)");
	/* Whitespace of every kind between tokens; leading zeros read as decimal. */
	assert_expands(&db, " \t\r\nretry \n( n \t= 007 ,\tseq ( primary ,standby ) ) \n",
	               "retry(7, seq(primary, standby))");
	assert_expands(&s3, "par(seq(us, jp), hedge(5, de, us), quorum(1, jp))",
	               "par(seq(us, jp), hedge(5ms, de, us), quorum(1, jp))");
}

/* hedge's delay is written as every duration of the config is: a unit, or bare milliseconds;
 * the printer always gives the largest unit that holds it whole. */
static void test_hedge_delay_is_a_duration(void **state)
{
	(void)state;
	struct repl_set db;
	make_set(&db, "db", "primary=mariadb://127.0.0.1:3306/c, standby=mariadb://127.0.0.1:3307/c");
	assert_expands(&db, "hedge(20ms, standby, primary)", "hedge(20ms, standby, primary)");
	assert_expands(&db, "hedge(d=20ms, standby, primary)", "hedge(20ms, standby, primary)");
	assert_expands(&db, "hedge(1s, standby, primary)", "hedge(1s, standby, primary)");
	assert_expands(&db, "hedge(1500, standby, primary)", "hedge(1500ms, standby, primary)");
	assert_expands(&db, "hedge(2m, standby)", "hedge(2m, standby)");
	assert_expands(&db, "hedge(0s, standby)", "hedge(0ms, standby)");
	assert_expands(&db, "hedge( 250ms ,standby)", "hedge(250ms, standby)");
	assert_expands(&db, "retry(2, hedge(10m, standby, primary))", "retry(2, hedge(10m, standby, primary))");
	static const struct refusal cases[] = {
		{"hedge(20x, standby)", true, REPL_BAD_POLICY, 8,
		 "at 8: unknown unit 'x' (ms, s, m, h, d or w; bare digits are milliseconds)"},
		{"hedge(20MS, standby)", true, REPL_BAD_POLICY, 8,
		 "at 8: unknown unit 'MS' (ms, s, m, h, d or w; bare digits are milliseconds)"},
		{"hedge(d=1h, standby)", true, REPL_BAD_POLICY, 8, "at 8: hedge delay must be 0..600000 ms"},
		{"hedge(d=ms, standby)", true, REPL_BAD_POLICY, 8,
		 "at 8: expected digits, then a unit (ms, s, m, h, d or w; bare digits are milliseconds)"},
		{"hedge(20 ms, standby)", true, REPL_BAD_POLICY, 9, "at 9: expected ','"},
		{"hedge(1.5s, standby)", true, REPL_BAD_POLICY, 7, "at 7: expected ','"},
		/* Only hedge's number is a duration: a count with a unit is refused. */
		{"retry(2s, standby)", true, REPL_BAD_POLICY, 7, "at 7: expected ','"},
	};
	assert_refusals(&db, cases, LENGTH(cases));
}

/* The one reader of durations, as the config reads a value (the whole text) and as a policy
 * reads one at its cursor (up to the unit); the printer's text reads back to the same value. */
static void test_durations_parse_and_format(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		long long ms;
		const char *printed;
	} cases[] = {
		{"0", 0, "0ms"},        {"250", 250, "250ms"},     {"250ms", 250, "250ms"},
		{"3s", 3000, "3s"},     {"3000ms", 3000, "3s"},    {"90s", 90000, "90s"},
		{"2m", 120000, "2m"},   {"3h", 10800000, "3h"},    {"14d", 1209600000, "14d"},
		{"24h", 86400000, "1d"}, {"1001", 1001, "1001ms"}, {"007s", 7000, "7s"},
		{"153722867280912m", 153722867280912LL * 60000, "153722867280912m"},
		/* Weeks are read, and printed as days. */
		{"1w", 604800000, "7d"}, {"2w", 1209600000, "14d"},
		{"15250284452w", 15250284452LL * 604800000, "106751991164d"},
	};
	for (size_t i = 0; i < LENGTH(cases); i++) {
		long long ms = -1;
		struct repl_error error;
		enum repl_status status = repl_duration_parse(cases[i].text, strlen(cases[i].text), &ms, NULL, &error);
		if (status != REPL_OK)
			fail_msg("'%s' refused: %s", cases[i].text, error.message);
		assert_true(ms == cases[i].ms);
		char printed[32];
		assert_int_equal(repl_duration_format(ms, printed, sizeof(printed)), strlen(cases[i].printed));
		assert_string_equal(printed, cases[i].printed);
		long long again = -1;
		assert_int_equal(repl_duration_parse(printed, strlen(printed), &again, NULL, NULL), REPL_OK);
		assert_true(again == ms);
	}
	/* At a cursor: the duration ends where its unit does. */
	long long ms = 0;
	size_t used = 0;
	assert_int_equal(repl_duration_parse("20ms, a)", 8, &ms, &used, NULL), REPL_OK);
	assert_int_equal(ms, 20);
	assert_int_equal(used, 4);
	assert_int_equal(repl_duration_parse("5s", 1, &ms, &used, NULL), REPL_OK);
	assert_int_equal(ms, 5);
	assert_int_equal(used, 1);
	/* Refusals say where; nothing is written. */
	static const struct {
		const char *text;
		size_t position;
		const char *message;
	} bad[] = {
		{"", 0, "at 0: expected digits, then a unit (ms, s, m, h, d or w; bare digits are milliseconds)"},
		{"-5", 0, "at 0: expected digits, then a unit (ms, s, m, h, d or w; bare digits are milliseconds)"},
		{"1y", 1, "at 1: unknown unit 'y' (ms, s, m, h, d or w; bare digits are milliseconds)"},
		{"15250284453w", 0, "at 0: duration longer than 9223372036854775807 ms"},
		{"1 s", 1,
		 "at 1: expected a unit or the end of the duration (ms, s, m, h, d or w; bare digits are milliseconds)"},
		{"153722867280913m", 0, "at 0: duration longer than 9223372036854775807 ms"},
		{"9223372036854775808", 0, "at 0: duration longer than 9223372036854775807 ms"},
	};
	for (size_t i = 0; i < LENGTH(bad); i++) {
		struct repl_error error;
		long long untouched = 42;
		assert_int_equal(repl_duration_parse(bad[i].text, strlen(bad[i].text), &untouched, NULL, &error),
		                 REPL_BAD_ARGUMENT);
		assert_int_equal(untouched, 42);
		assert_int_equal(error.position, bad[i].position);
		assert_string_equal(error.message, bad[i].message);
	}
	/* A buffer too small gets what fits and the length it needs. */
	char small[3];
	assert_int_equal(repl_duration_format(1500, small, sizeof(small)), 6);
	assert_string_equal(small, "15");
}

static void test_tree_holds_kinds_parameters_and_replica_indexes(void **state)
{
	(void)state;
	struct repl_set db;
	make_set(&db, "db", "primary=mariadb://h:3306/c, standby=mariadb://h:3307/c");
	const char *text = "retry(2, seq(standby, primary))";
	struct repl_policy *policy = NULL;
	assert_int_equal(repl_policy_parse(text, strlen(text), &db, false, &policy, NULL), REPL_OK);
	assert_ptr_equal(policy->set, &db);
	const struct repl_node *root = policy->root;
	assert_int_equal(root->kind, REPL_NODE_RETRY);
	assert_int_equal(root->parameter, 2);
	assert_int_equal(root->child_count, 1);
	const struct repl_node *seq = root->children[0];
	assert_int_equal(seq->kind, REPL_NODE_SEQ);
	assert_int_equal(seq->child_count, 2);
	assert_int_equal(seq->children[0]->kind, REPL_NODE_REPLICA);
	assert_int_equal(seq->children[0]->replica, 1);
	assert_int_equal(seq->children[1]->replica, 0);
	assert_int_equal(seq->children[1]->child_count, 0);
	repl_policy_free(policy);
}

static const struct {
	const char *text;
	const char *expected;
} six_presets[] = {
	{"parallel", "par(r1, r2, r3, r4, r5, r6)"},
	{"retry", "retry(1, r1)"},
	{"retry(n=3)", "retry(3, r1)"},
	{"rb", "seq(r1, r2, r3, r4, r5, r6)"},
	{"parallel+retry(n=2)", "retry(2, par(r1, r2, r3, r4, r5, r6))"},
	{"retry+parallel(n=2)",
	 "par(retry(2, r1), retry(2, r2), retry(2, r3), retry(2, r4), retry(2, r5), retry(2, r6))"},
	{"parallel+rb(block=3)", "seq(par(r1, r2, r3), par(r4, r5, r6))"},
	{"rb+parallel(block=3)", "par(seq(r1, r4), seq(r2, r5), seq(r3, r6))"},
	{"retry+rb(n=2)",
	 "seq(retry(2, r1), retry(2, r2), retry(2, r3), retry(2, r4), retry(2, r5), retry(2, r6))"},
	{"rb+retry(n=2)", "retry(2, seq(r1, r2, r3, r4, r5, r6))"},
	/* Defaults: n = 1, block = half the set rounded up. */
	{"parallel+retry", "retry(1, par(r1, r2, r3, r4, r5, r6))"},
	{"retry+parallel",
	 "par(retry(1, r1), retry(1, r2), retry(1, r3), retry(1, r4), retry(1, r5), retry(1, r6))"},
	{"parallel+rb", "seq(par(r1, r2, r3), par(r4, r5, r6))"},
	{"rb+parallel", "par(seq(r1, r4), seq(r2, r5), seq(r3, r6))"},
	{"retry+rb",
	 "seq(retry(1, r1), retry(1, r2), retry(1, r3), retry(1, r4), retry(1, r5), retry(1, r6))"},
	{"rb+retry", "retry(1, seq(r1, r2, r3, r4, r5, r6))"},
};

static void test_nine_presets_over_six_replicas_expand_as_designed(void **state)
{
	(void)state;
	struct repl_set set;
	make_six(&set);
	for (size_t i = 0; i < LENGTH(six_presets); i++)
		assert_expands(&set, six_presets[i].text, six_presets[i].expected);
}

static void test_presets_over_three_replicas(void **state)
{
	(void)state;
	struct repl_set set;
	make_set(&set, "s3", "us=http://a/b, jp=http://c/d, de=http://e/f");
	assert_expands(&set, "parallel", "par(us, jp, de)");
	assert_expands(&set, "retry", "retry(1, us)");
	assert_expands(&set, "rb", "seq(us, jp, de)");
	assert_expands(&set, "parallel+retry", "retry(1, par(us, jp, de))");
	assert_expands(&set, "retry+parallel", "par(retry(1, us), retry(1, jp), retry(1, de))");
	/* block 2 does not divide 3: the last block is shorter. */
	assert_expands(&set, "parallel+rb", "seq(par(us, jp), par(de))");
	assert_expands(&set, "rb+parallel", "par(seq(us, de), seq(jp))");
	assert_expands(&set, "retry+rb", "seq(retry(1, us), retry(1, jp), retry(1, de))");
	assert_expands(&set, "rb+retry", "retry(1, seq(us, jp, de))");
	assert_expands(&set, "parallel+rb(block=1)", "seq(par(us), par(jp), par(de))");
	assert_expands(&set, "parallel+rb(block=3)", "seq(par(us, jp, de))");
	assert_expands(&set, "rb+parallel(block=1)", "par(seq(us, jp, de))");
	assert_expands(&set, "rb+parallel(block=3)", "par(seq(us), seq(jp), seq(de))");
}

static void test_blocks_that_do_not_divide_the_set(void **state)
{
	(void)state;
	struct repl_set set;
	make_six(&set);
	assert_expands(&set, "parallel+rb(block=4)", "seq(par(r1, r2, r3, r4), par(r5, r6))");
	assert_expands(&set, "rb+parallel(block=4)", "par(seq(r1, r5), seq(r2, r6), seq(r3), seq(r4))");
	struct repl_set five;
	make_set(&five, "five", "a=x, b=x, c=x, d=x, e=x");
	assert_expands(&five, "parallel+rb", "seq(par(a, b, c), par(d, e))");
	assert_expands(&five, "rb+parallel", "par(seq(a, d), seq(b, e), seq(c))");
	struct repl_set one;
	make_set(&one, "one", "solo=x");
	assert_expands(&one, "parallel+rb", "seq(par(solo))");
	assert_expands(&one, "rb+parallel", "par(seq(solo))");
}

static void test_named_parameters(void **state)
{
	(void)state;
	struct repl_set set;
	make_six(&set);
	assert_expands(&set, "retry( n = 0 )", "retry(0, r1)");
	assert_expands(&set, "retry(n=100)", "retry(100, r1)");
	assert_expands(&set, "rb+retry(n=5)", "retry(5, seq(r1, r2, r3, r4, r5, r6))");
	assert_expands(&set, "parallel+rb (block = 2)", "seq(par(r1, r2), par(r3, r4), par(r5, r6))");
	assert_expands(&set, "rb+parallel(block=2)", "par(seq(r1, r3, r5), seq(r2, r4, r6))");
	assert_expands(&set, "retry(n=3, r4)", "retry(3, r4)");
	assert_expands(&set, "hedge(d=600000, r2, r1)", "hedge(10m, r2, r1)");
	assert_expands(&set, "quorum(k=6, pool)", "quorum(6, r1, r2, r3, r4, r5, r6)");
	/* Presets nest like any node. */
	assert_expands(&set, "seq(retry(n=2), rb+parallel(block=3))",
	               "seq(retry(2, r1), par(seq(r1, r4), seq(r2, r5), seq(r3, r6)))");
}

static void test_set_name_stands_for_its_replicas_inside_lists(void **state)
{
	(void)state;
	struct repl_set set;
	make_set(&set, "s3", "us=http://a/b, jp=http://c/d, de=http://e/f");
	assert_expands(&set, "quorum(2, s3)", "quorum(2, us, jp, de)");
	assert_expands(&set, "par(s3)", "par(us, jp, de)");
	assert_expands(&set, "seq(de, s3)", "seq(de, us, jp, de)");
	assert_expands(&set, "hedge(20, s3, us)", "hedge(20ms, us, jp, de, us)");
	assert_expands(&set, "retry(1, par(s3))", "retry(1, par(us, jp, de))");
	/* k counts the spliced replicas. */
	assert_expands(&set, "quorum(4, s3, us)", "quorum(4, us, jp, de, us)");
}

static void test_printed_text_parses_back_to_the_same_text(void **state)
{
	(void)state;
	static const char *const texts[] = {
		"r1",
		"par(r1, r2)",
		"retry(n=2, seq(r1, r2))",
		"hedge(d=20, r1, r2, r3)",
		"quorum(k=2, pool)",
		"seq(parallel, rb, retry(n=4))",
		"par(retry+parallel(n=3), rb+retry, parallel+rb(block=2))",
		"retry(100, hedge(0, quorum(1, r6), seq(r5)))",
		"rb+parallel(block=5)",
		"retry+rb(n=0)",
		"parallel+retry(n=9)",
		"seq(pool, pool)",
	};
	struct repl_set set;
	make_six(&set);
	for (size_t i = 0; i < LENGTH(texts); i++) {
		char first[REPL_POLICY_TEXT_MAX + 1];
		char second[REPL_POLICY_TEXT_MAX + 1];
		canonical(&set, texts[i], true, first, sizeof(first));
		canonical(&set, first, true, second, sizeof(second));
		if (strcmp(first, second) != 0)
			fail_msg("'%s' printed '%s' then '%s'", texts[i], first, second);
	}
}

static void test_print_reports_the_length_it_needs_like_snprintf(void **state)
{
	(void)state;
	struct repl_set set;
	make_six(&set);
	struct repl_policy *policy = NULL;
	assert_int_equal(repl_policy_parse("rb", 2, &set, true, &policy, NULL), REPL_OK);
	const char *full = "seq(r1, r2, r3, r4, r5, r6)";
	assert_int_equal(repl_policy_print(policy, NULL, 0), strlen(full));
	char small[8];
	memset(small, 'x', sizeof(small));
	assert_int_equal(repl_policy_print(policy, small, sizeof(small)), strlen(full));
	assert_string_equal(small, "seq(r1,");
	char exact[28];
	assert_int_equal(repl_policy_print(policy, exact, sizeof(exact)), strlen(full));
	assert_string_equal(exact, full);
	repl_policy_free(policy);
}

static void test_only_the_given_length_is_read(void **state)
{
	(void)state;
	struct repl_set set;
	make_six(&set);
	const char text[] = "par(r1, r2)garbage";
	char buf[64];
	struct repl_policy *policy = NULL;
	assert_int_equal(repl_policy_parse(text, 11, &set, true, &policy, NULL), REPL_OK);
	repl_policy_print(policy, buf, sizeof(buf));
	assert_string_equal(buf, "par(r1, r2)");
	repl_policy_free(policy);
	/* A word cut by the length is not the longer word in memory. */
	assert_int_equal(repl_policy_parse("r1x", 2, &set, true, &policy, NULL), REPL_OK);
	repl_policy_print(policy, buf, sizeof(buf));
	assert_string_equal(buf, "r1");
	repl_policy_free(policy);
}

static void test_syntax_refusals_say_where_and_what(void **state)
{
	(void)state;
	static const struct refusal cases[] = {
		{"", true, REPL_BAD_POLICY, 0, "at 0: expected a replica, set, node or preset name"},
		{"   ", true, REPL_BAD_POLICY, 3, "at 3: expected a replica, set, node or preset name"},
		{"foo", true, REPL_BAD_POLICY, 0, "at 0: unknown replica or set 'foo'"},
		{"par(r1, foo)", true, REPL_BAD_POLICY, 8, "at 8: unknown replica or set 'foo'"},
		{"R1", true, REPL_BAD_POLICY, 0, "at 0: unknown replica or set 'R1'"},
		{"foo(r1)", true, REPL_BAD_POLICY, 0, "at 0: unknown node or preset 'foo'"},
		{"r1(r2)", true, REPL_BAD_POLICY, 0, "at 0: unknown node or preset 'r1'"},
		{"par(r1 r2)", true, REPL_BAD_POLICY, 7, "at 7: expected ',' or ')'"},
		{"retry(2, seq(r1, r2) x", true, REPL_BAD_POLICY, 21, "at 21: expected ')'"},
		{"quorum(2, r1, r2 r3)", true, REPL_BAD_POLICY, 17, "at 17: expected ',' or ')'"},
		{"par(r1,)", true, REPL_BAD_POLICY, 7, "at 7: expected a replica, set, node or preset name"},
		{"par(r1", true, REPL_BAD_POLICY, 6, "at 6: expected ',' or ')'"},
		{"par(", true, REPL_BAD_POLICY, 4, "at 4: expected a replica, set, node or preset name"},
		{"par()", true, REPL_BAD_POLICY, 4, "at 4: par needs at least one child"},
		{"seq( )", true, REPL_BAD_POLICY, 5, "at 5: seq needs at least one child"},
		{"hedge(20)", true, REPL_BAD_POLICY, 8, "at 8: expected ','"},
		{"hedge(20, )", true, REPL_BAD_POLICY, 10, "at 10: hedge needs at least one child"},
		{"par", true, REPL_BAD_POLICY, 3, "at 3: expected '(' after 'par'"},
		{"seq r1", true, REPL_BAD_POLICY, 4, "at 4: expected '(' after 'seq'"},
		{"par(r1) r2", true, REPL_BAD_POLICY, 8, "at 8: expected the end of the policy"},
		{"r1)", true, REPL_BAD_POLICY, 2, "at 2: expected the end of the policy"},
		{"retry(2)", true, REPL_BAD_POLICY, 7, "at 7: expected ','"},
		{"retry(x, r1)", true, REPL_BAD_POLICY, 6, "at 6: expected a number or 'n='"},
		{"retry(n 2, r1)", true, REPL_BAD_POLICY, 8, "at 8: expected '='"},
		{"retry(n=, r1)", true, REPL_BAD_POLICY, 8, "at 8: expected a number"},
		{"retry(-1, r1)", true, REPL_BAD_POLICY, 6, "at 6: expected a number or 'n='"},
		{"retry(2, r1, r2)", true, REPL_BAD_POLICY, 11, "at 11: expected ')'"},
		{"hedge(k=2, r1)", true, REPL_BAD_POLICY, 6, "at 6: expected a duration or 'd='"},
		{"quorum(n=2, r1)", true, REPL_BAD_POLICY, 7, "at 7: expected a number or 'k='"},
		{"pool", true, REPL_BAD_POLICY, 0,
		 "at 0: set 'pool' stands for several replicas: expected one node, e.g. seq(pool)"},
		{"retry(1, pool)", true, REPL_BAD_POLICY, 9,
		 "at 9: set 'pool' stands for several replicas: expected one node, e.g. seq(pool)"},
		{"parallel()", true, REPL_BAD_POLICY, 8, "at 8: preset 'parallel' takes no parameters"},
		{"rb(n=1)", true, REPL_BAD_POLICY, 2, "at 2: preset 'rb' takes no parameters"},
		{"parallel+rb(n=2)", true, REPL_BAD_POLICY, 12, "at 12: expected 'block='"},
		{"rb+retry(2)", true, REPL_BAD_POLICY, 9, "at 9: expected 'n='"},
		{"rb+retry()", true, REPL_BAD_POLICY, 9, "at 9: expected 'n='"},
		{"rb+retry(n=2", true, REPL_BAD_POLICY, 12, "at 12: expected ')'"},
		{"rb+retry(n=2, block=1)", true, REPL_BAD_POLICY, 12, "at 12: expected ')'"},
		{"parallel + rb", true, REPL_BAD_POLICY, 9, "at 9: expected the end of the policy"},
		{"par(r1;r2)", true, REPL_BAD_POLICY, 6, "at 6: expected ',' or ')'"},
		{"abcdefghijabcdefghijabcdefghijabc", true, REPL_BAD_POLICY, 0,
		 "at 0: name longer than 32 bytes"},
	};
	struct repl_set set;
	make_six(&set);
	assert_refusals(&set, cases, LENGTH(cases));
}

static void test_out_of_range_numbers_are_refused_at_the_number(void **state)
{
	(void)state;
	static const struct refusal cases[] = {
		{"retry(101, r1)", true, REPL_BAD_POLICY, 6, "at 6: retry count must be 0..100"},
		{"retry(n=101, r1)", true, REPL_BAD_POLICY, 8, "at 8: retry count must be 0..100"},
		{"retry(n=101)", true, REPL_BAD_POLICY, 8, "at 8: retry count must be 0..100"},
		{"rb+retry(n=99999999999999999999999)", true, REPL_BAD_POLICY, 11,
		 "at 11: retry count must be 0..100"},
		{"hedge(600001, r1)", true, REPL_BAD_POLICY, 6, "at 6: hedge delay must be 0..600000 ms"},
		{"hedge(d = 18446744073709551617, r1)", true, REPL_BAD_POLICY, 10,
		 "at 10: duration longer than 9223372036854775807 ms"},
		{"hedge(11m, r1)", true, REPL_BAD_POLICY, 6, "at 6: hedge delay must be 0..600000 ms"},
		{"hedge(d=600001ms, r1)", true, REPL_BAD_POLICY, 8, "at 8: hedge delay must be 0..600000 ms"},
		{"quorum(0, r1)", true, REPL_BAD_POLICY, 7, "at 7: quorum k must be at least 1"},
		{"quorum(3, r1, r2)", true, REPL_BAD_POLICY, 7, "at 7: quorum k must be 1..2 (its children)"},
		{"quorum(k=7, pool)", true, REPL_BAD_POLICY, 9,
		 "at 9: quorum k must be 1..6 (its children)"},
		{"parallel+rb(block=0)", true, REPL_BAD_POLICY, 18,
		 "at 18: block must be 1..6 (the set's replicas)"},
		{"rb+parallel(block=7)", true, REPL_BAD_POLICY, 18,
		 "at 18: block must be 1..6 (the set's replicas)"},
	};
	struct repl_set set;
	make_six(&set);
	assert_refusals(&set, cases, LENGTH(cases));
}

static void test_operations_not_idempotent_get_no_concurrent_nodes(void **state)
{
	(void)state;
	static const struct refusal cases[] = {
		{"par(r1, r2)", false, REPL_NOT_IDEMPOTENT, 0,
		 "at 0: par runs copies at once: refused, the operation is not idempotent"},
		{"seq(r1, hedge(20, r1, r2))", false, REPL_NOT_IDEMPOTENT, 8,
		 "at 8: hedge runs copies at once: refused, the operation is not idempotent"},
		{"retry(1, quorum(1, r1))", false, REPL_NOT_IDEMPOTENT, 9,
		 "at 9: quorum runs copies at once: refused, the operation is not idempotent"},
		{"parallel", false, REPL_NOT_IDEMPOTENT, 0,
		 "at 0: preset 'parallel' runs copies at once: refused, the operation is not idempotent"},
		{"retry+parallel(n=2)", false, REPL_NOT_IDEMPOTENT, 0,
		 "at 0: preset 'retry+parallel' runs copies at once: refused, the operation is not "
		 "idempotent"},
		{"parallel+rb", false, REPL_NOT_IDEMPOTENT, 0,
		 "at 0: preset 'parallel+rb' runs copies at once: refused, the operation is not "
		 "idempotent"},
		{"rb+parallel(block=2)", false, REPL_NOT_IDEMPOTENT, 0,
		 "at 0: preset 'rb+parallel' runs copies at once: refused, the operation is not "
		 "idempotent"},
		{"parallel+retry", false, REPL_NOT_IDEMPOTENT, 0,
		 "at 0: preset 'parallel+retry' runs copies at once: refused, the operation is not "
		 "idempotent"},
		{"seq(r1, rb+parallel)", false, REPL_NOT_IDEMPOTENT, 8,
		 "at 8: preset 'rb+parallel' runs copies at once: refused, the operation is not "
		 "idempotent"},
	};
	struct repl_set set;
	make_six(&set);
	assert_refusals(&set, cases, LENGTH(cases));

	static const char *const sequential[] = {
		"rb", "retry", "retry(n=2)", "retry+rb(n=2)", "rb+retry", "retry(2, seq(r1, r2))", "r3",
		"seq(pool)",
	};
	for (size_t i = 0; i < LENGTH(sequential); i++) {
		char buf[256];
		canonical(&set, sequential[i], false, buf, sizeof(buf));
	}
}

/* "seq(" levels times, then inner, then ")" levels times. */
static void nested(char *buf, size_t size, unsigned levels, const char *inner)
{
	size_t len = 0;
	assert_true(levels * 5 + strlen(inner) < size);
	for (unsigned i = 0; i < levels; i++) {
		memcpy(buf + len, "seq(", 4);
		len += 4;
	}
	memcpy(buf + len, inner, strlen(inner));
	len += strlen(inner);
	for (unsigned i = 0; i < levels; i++)
		buf[len++] = ')';
	buf[len] = '\0';
}

static void test_depth_counts_expanded_nodes_and_leaves(void **state)
{
	(void)state;
	struct repl_set set;
	make_six(&set);
	char text[256];
	char printed[256];
	struct repl_policy *policy = NULL;
	struct repl_error error;

	/* 15 nodes and the leaf: 16 deep. */
	nested(text, sizeof(text), REPL_POLICY_DEPTH_MAX - 1, "r1");
	canonical(&set, text, false, printed, sizeof(printed));
	assert_string_equal(printed, text);

	nested(text, sizeof(text), REPL_POLICY_DEPTH_MAX, "r1");
	assert_int_equal(repl_policy_parse(text, strlen(text), &set, false, &policy, &error),
	                 REPL_BAD_POLICY);
	assert_int_equal(error.position, 64);
	assert_string_equal(error.message, "at 64: nesting deeper than 16");
	assert_null(policy);

	/* A preset's own levels count: retry+rb is three deep (seq, retry, leaf). */
	nested(text, sizeof(text), REPL_POLICY_DEPTH_MAX - 3, "retry+rb");
	canonical(&set, text, false, printed, sizeof(printed));
	nested(text, sizeof(text), REPL_POLICY_DEPTH_MAX - 2, "retry+rb");
	assert_int_equal(repl_policy_parse(text, strlen(text), &set, false, &policy, &error),
	                 REPL_BAD_POLICY);
	assert_string_equal(error.message, "at 56: nesting deeper than 16");
	assert_null(policy);
}

static void test_text_and_expansion_size_caps(void **state)
{
	(void)state;
	struct repl_set set;
	make_six(&set);
	struct repl_policy *policy = NULL;
	struct repl_error error;
	static char text[REPL_POLICY_TEXT_MAX + 2];

	/* Exactly the cap (padded with spaces) is read; one byte more is refused unread. */
	memset(text, ' ', REPL_POLICY_TEXT_MAX + 1);
	memcpy(text, "rb", 2);
	assert_int_equal(repl_policy_parse(text, REPL_POLICY_TEXT_MAX, &set, true, &policy, &error),
	                 REPL_OK);
	repl_policy_free(policy);
	policy = NULL;
	assert_int_equal(
	    repl_policy_parse(text, REPL_POLICY_TEXT_MAX + 1, &set, true, &policy, &error),
	    REPL_BAD_POLICY);
	assert_int_equal(error.position, REPL_POLICY_TEXT_MAX);
	assert_string_equal(error.message, "at 4096: policy longer than 4096 bytes");
	assert_null(policy);

	/* Short text whose expansion prints past the cap would not parse back: refused. Each
	 * "w" prints as 3 names of 32 bytes and their separators: 102 bytes. */
	struct repl_set wide;
	make_set(&wide, "w", "abcdefghijabcdefghijabcdefghij01=x, abcdefghijabcdefghijabcdefghij02=x, "
	                     "abcdefghijabcdefghijabcdefghij03=x");
	size_t len = 0;
	memcpy(text, "seq(", 4);
	len = 4;
	for (unsigned i = 0; i < 41; i++) {
		memcpy(text + len, "w,", 2);
		len += 2;
	}
	text[len - 1] = ')';
	assert_int_equal(repl_policy_parse(text, len, &wide, true, &policy, &error), REPL_BAD_POLICY);
	assert_int_equal(error.position, 0);
	assert_string_equal(error.message, "at 0: policy expands to 4185 bytes of text, more than 4096");
	assert_null(policy);

	/* And a text whose expansion holds too many nodes stops at the node cap. */
	len = 0;
	memcpy(text, "seq(", 4);
	len = 4;
	for (unsigned i = 0; i < 100; i++) {
		memcpy(text + len, "retry+rb,", 9);
		len += 9;
	}
	text[len - 1] = ')';
	assert_int_equal(repl_policy_parse(text, len, &set, true, &policy, &error), REPL_BAD_POLICY);
	assert_string_equal(error.message, "at 706: policy expands to more than 1024 nodes");
	assert_null(policy);
}

static void test_replica_sets_parse(void **state)
{
	(void)state;
	struct repl_set set;
	struct repl_error error;
	assert_int_equal(repl_set_parse(&set, "db",
	                                " primary = mariadb://127.0.0.1:3306/complaints ,\tstandby="
	                                "mariadb://127.0.0.1:3307/complaints ",
	                                &error),
	                 REPL_OK);
	assert_string_equal(set.name, "db");
	assert_int_equal(set.count, 2);
	assert_string_equal(set.replicas[0].name, "primary");
	assert_string_equal(set.replicas[0].url, "mariadb://127.0.0.1:3306/complaints");
	assert_int_equal(set.replicas[0].index, 0);
	assert_string_equal(set.replicas[1].name, "standby");
	assert_string_equal(set.replicas[1].url, "mariadb://127.0.0.1:3307/complaints");
	assert_int_equal(set.replicas[1].index, 1);

	assert_ptr_equal(repl_set_find(&set, "standby"), &set.replicas[1]);
	assert_ptr_equal(repl_set_find(&set, "primary"), &set.replicas[0]);
	assert_null(repl_set_find(&set, "prim"));
	assert_null(repl_set_find(&set, "db"));

	/* The longest name and URL, and the most replicas. */
	char list[REPL_SET_REPLICAS_MAX * 600];
	size_t len = 0;
	for (unsigned i = 0; i < REPL_SET_REPLICAS_MAX; i++) {
		int n = snprintf(list + len, sizeof(list) - len, "%sr%02u%s=http://", i ? ", " : "", i,
		                 "_-abcdefghijklmnopqrstuvwxyz9");
		len += (size_t)n;
		memset(list + len, 'h', 511 - 7);
		len += 511 - 7;
	}
	list[len] = '\0';
	assert_int_equal(repl_set_parse(&set, "abcdefghijklmnopqrstuvwxyz012345", list, &error),
	                 REPL_OK);
	assert_int_equal(set.count, REPL_SET_REPLICAS_MAX);
	assert_int_equal(strlen(set.replicas[15].name), REPL_NAME_MAX);
	assert_int_equal(strlen(set.replicas[15].url), 511);
}

static void test_replica_set_refusals(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		const char *text;
		size_t position;
		const char *message;
	} cases[] = {
		{"db", "", 0, "at 0: expected a replica name"},
		{"db", "  ", 2, "at 2: expected a replica name"},
		{"db", "a=x,", 4, "at 4: expected a replica name"},
		{"db", "a=x,,b=y", 4, "at 4: expected a replica name"},
		{"db", "Primary=x", 0, "at 0: expected a replica name"},
		{"db", "1a=x", 0, "at 0: expected a replica name"},
		{"db", "a.b=x", 1, "at 1: expected '='"},
		{"db", "a", 1, "at 1: expected '='"},
		{"db", "a=", 2, "at 2: expected a URL"},
		{"db", "a= ,b=y", 3, "at 3: expected a URL"},
		{"db", "a=x y", 4, "at 4: expected ',' or the end of the list"},
		{"db", "a=x\001y", 3, "at 3: byte 0x01 not allowed in a URL"},
		{"db", "a=x\x7fy", 3, "at 3: byte 0x7f not allowed in a URL"},
		{"db", "a=\xc3\xa9", 2, "at 2: expected a URL"},
		{"db", "a=x, a=y", 5, "at 5: replica 'a' given twice"},
		{"db", "a=x, db=y", 5, "at 5: replica 'db' has the set's own name"},
		{"db", "par=x", 0, "at 0: 'par' is a word of the policy language, not a replica name"},
		{"db", "rb=x", 0, "at 0: 'rb' is a word of the policy language, not a replica name"},
		{"db", "abcdefghijabcdefghijabcdefghijabc=x", 0, "at 0: replica name longer than 32 bytes"},
		{"", "a=x", 0, "at 0: set name '': expected [a-z][a-z0-9_-], at most 32 bytes"},
		{"S3", "a=x", 0, "at 0: set name 'S3': expected [a-z][a-z0-9_-], at most 32 bytes"},
		{"abcdefghijabcdefghijabcdefghijabc", "a=x", 0,
		 "at 0: set name 'abcdefghijabcdefghijabcdefghijab': expected [a-z][a-z0-9_-], at most 32 "
		 "bytes"},
		{"retry", "a=x", 0, "at 0: set name 'retry' is a word of the policy language"},
		{"db", "a=1,b=1,c=1,d=1,e=1,f=1,g=1,h=1,i=1,j=1,k=1,l=1,m=1,n=1,o=1,p=1,q=1", 64,
		 "at 64: more than 16 replicas"},
	};
	for (size_t i = 0; i < LENGTH(cases); i++) {
		struct repl_set set;
		memset(&set, 0x5a, sizeof(set));
		struct repl_set before = set;
		struct repl_error error;
		enum repl_status status = repl_set_parse(&set, cases[i].name, cases[i].text, &error);
		if (status != REPL_BAD_ARGUMENT || error.position != cases[i].position ||
		    strcmp(error.message, cases[i].message) != 0)
			fail_msg("set '%s' = '%s': %s at %zu '%s', expected at %zu '%s'", cases[i].name,
			         cases[i].text, repl_strerror(status), error.position, error.message,
			         cases[i].position, cases[i].message);
		assert_memory_equal(&set, &before, sizeof(set));
	}

	/* 512 bytes of URL is one too many. */
	char list[600] = "a=";
	memset(list + 2, 'u', 512);
	list[514] = '\0';
	struct repl_set set;
	struct repl_error error;
	assert_int_equal(repl_set_parse(&set, "db", list, &error), REPL_BAD_ARGUMENT);
	assert_string_equal(error.message, "at 2: URL longer than 511 bytes");
}

static void test_missing_arguments_are_refused(void **state)
{
	(void)state;
	struct repl_set set;
	make_six(&set);
	struct repl_policy *policy = NULL;
	assert_int_equal(repl_policy_parse("rb", 2, NULL, true, &policy, NULL), REPL_BAD_ARGUMENT);
	assert_int_equal(repl_policy_parse("rb", 2, &set, true, NULL, NULL), REPL_BAD_ARGUMENT);
	assert_int_equal(repl_policy_parse(NULL, 2, &set, true, &policy, NULL), REPL_BAD_ARGUMENT);
	assert_int_equal(repl_set_parse(&set, "db", NULL, NULL), REPL_BAD_ARGUMENT);
	assert_null(policy);
	assert_int_equal(repl_policy_print(NULL, NULL, 0), 0);
	repl_policy_free(NULL);

	/* A set built by hand without replicas gives presets nothing to expand. */
	struct repl_set empty;
	memset(&empty, 0, sizeof(empty));
	memcpy(empty.name, "none", 5);
	static const struct refusal cases[] = {
		{"rb", true, REPL_BAD_POLICY, 0, "at 0: preset 'rb' over a set without replicas"},
		{"par(none)", true, REPL_BAD_POLICY, 8, "at 8: par needs at least one child"},
	};
	assert_refusals(&empty, cases, LENGTH(cases));
}

static void test_strerror_names_every_status(void **state)
{
	(void)state;
	for (int s = REPL_OK; s <= REPL_TRANSPORT; s++) {
		const char *text = repl_strerror((enum repl_status)s);
		assert_non_null(text);
		assert_string_not_equal(text, "unknown error");
		for (int t = REPL_OK; t < s; t++)
			assert_string_not_equal(text, repl_strerror((enum repl_status)t));
	}
	assert_string_equal(repl_strerror(REPL_OK), "ok");
	assert_string_equal(repl_strerror(REPL_BAD_POLICY), "bad policy");
	assert_string_equal(repl_strerror((enum repl_status)99), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_node_kind_parses_and_prints),
		cmocka_unit_test(test_hedge_delay_is_a_duration),
		cmocka_unit_test(test_durations_parse_and_format),
		cmocka_unit_test(test_tree_holds_kinds_parameters_and_replica_indexes),
		cmocka_unit_test(test_nine_presets_over_six_replicas_expand_as_designed),
		cmocka_unit_test(test_presets_over_three_replicas),
		cmocka_unit_test(test_blocks_that_do_not_divide_the_set),
		cmocka_unit_test(test_named_parameters),
		cmocka_unit_test(test_set_name_stands_for_its_replicas_inside_lists),
		cmocka_unit_test(test_printed_text_parses_back_to_the_same_text),
		cmocka_unit_test(test_print_reports_the_length_it_needs_like_snprintf),
		cmocka_unit_test(test_only_the_given_length_is_read),
		cmocka_unit_test(test_syntax_refusals_say_where_and_what),
		cmocka_unit_test(test_out_of_range_numbers_are_refused_at_the_number),
		cmocka_unit_test(test_operations_not_idempotent_get_no_concurrent_nodes),
		cmocka_unit_test(test_depth_counts_expanded_nodes_and_leaves),
		cmocka_unit_test(test_text_and_expansion_size_caps),
		cmocka_unit_test(test_replica_sets_parse),
		cmocka_unit_test(test_replica_set_refusals),
		cmocka_unit_test(test_missing_arguments_are_refused),
		cmocka_unit_test(test_strerror_names_every_status),
	};
	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
