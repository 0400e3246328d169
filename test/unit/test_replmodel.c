/*
 * test_replmodel.c: the closed-form model replbench checks the executor against, on policy trees
 * whose answers are known by hand: exponential latencies (par of two is exponential with the
 * rates summed; a quorum is an order statistic; a hedge is memoryless after its delay), a hang
 * before a sequential backup adds the timeout, retries multiply failure chances, the correlated
 * fault scales failures only, the fan-out cost delays par answers only, and requests per case follow
 * cancellation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "replmodel.h"

static double exp_cdf(const void *arg, double t)
{
	double mean = *(const double *)arg;
	return t <= 0 ? 0 : 1 - exp(-t / mean);
}

static double point_cdf(const void *arg, double t)
{
	return t >= *(const double *)arg ? 1 : 0;
}

static const double mean100 = 100, mean50 = 50, mean200 = 200, at200 = 200;

static struct repl_node leaves[4] = {
	{.kind = REPL_NODE_REPLICA, .replica = 0},
	{.kind = REPL_NODE_REPLICA, .replica = 1},
	{.kind = REPL_NODE_REPLICA, .replica = 2},
	{.kind = REPL_NODE_REPLICA, .replica = 3},
};

static struct repl_node *kids01[] = {&leaves[0], &leaves[1]};
static struct repl_node *kids012[] = {&leaves[0], &leaves[1], &leaves[2]};

static const struct replmodel_params params = {.timeout_ms = 10000, .step_ms = 1};

static struct replmodel_result run(const struct repl_node *root, const struct replmodel_replica *r,
                                   unsigned count, const struct replmodel_params *p)
{
	struct replmodel_result result;
	assert_int_equal(replmodel_evaluate(root, r, count, p, &result), REPLMODEL_OK);
	return result;
}

static void assert_near(double got, double want, double tolerance)
{
	if (!(fabs(got - want) <= tolerance))
		fail_msg("got %.6f, want %.6f +- %.6f", got, want, tolerance);
}

static void test_one_replica_is_its_latency(void **state)
{
	(void)state;
	struct replmodel_replica r[] = {{exp_cdf, &mean100, 0, 0}};
	struct replmodel_result got = run(&leaves[0], r, 1, &params);
	assert_near(got.fail_rate, 0, 1e-9);
	assert_near(got.rtt_mean_ms, 100, 0.5);
	assert_near(got.rtt_std_ms, 100, 1);
	assert_near(got.rtt_p99_ms, 100 * log(100), 1.5);
	assert_near(got.attempts, 1, 1e-12);
}

static void test_par_of_two_exponentials_sums_rates(void **state)
{
	(void)state;
	struct repl_node par = {.kind = REPL_NODE_PAR, .children = kids01, .child_count = 2};
	struct replmodel_replica r[] = {{exp_cdf, &mean100, 0, 0}, {exp_cdf, &mean50, 0, 0}};
	struct replmodel_result got = run(&par, r, 2, &params);
	assert_near(got.rtt_mean_ms, 1 / (1 / 100.0 + 1 / 50.0), 0.5);
	assert_near(got.fail_rate, 0, 1e-9);
	assert_near(got.attempts, 2, 1e-12);
}

static void test_par_fails_only_when_all_fail(void **state)
{
	(void)state;
	struct repl_node par = {.kind = REPL_NODE_PAR, .children = kids01, .child_count = 2};
	struct replmodel_replica r[] = {{exp_cdf, &mean100, 0.1, 0}, {exp_cdf, &mean100, 0.05, 0.15}};
	struct replmodel_result got = run(&par, r, 2, &params);
	assert_near(got.fail_rate, 0.1 * 0.2, 1e-9);
}

static void test_seq_after_a_hang_adds_the_timeout(void **state)
{
	(void)state;
	struct repl_node seq = {.kind = REPL_NODE_SEQ, .children = kids01, .child_count = 2};
	double p = 0.2;
	struct replmodel_replica r[] = {{exp_cdf, &mean100, p, 0}, {exp_cdf, &mean50, 0, 0}};
	struct replmodel_result got = run(&seq, r, 2, &params);
	assert_near(got.fail_rate, 0, 1e-9);
	assert_near(got.rtt_mean_ms, (1 - p) * 100 + p * (10000 + 50), 0.5);
	assert_near(got.attempts, 1 + p, 1e-9);
}

static void test_seq_after_a_fast_failure_adds_its_latency(void **state)
{
	(void)state;
	struct repl_node seq = {.kind = REPL_NODE_SEQ, .children = kids01, .child_count = 2};
	double p = 0.3;
	struct replmodel_replica r[] = {{exp_cdf, &mean100, 0, p}, {exp_cdf, &mean50, 0, 0}};
	struct replmodel_result got = run(&seq, r, 2, &params);
	assert_near(got.rtt_mean_ms, 100 + p * 50, 0.5);
}

static void test_retry_multiplies_failures(void **state)
{
	(void)state;
	struct repl_node *child[] = {&leaves[0]};
	struct repl_node retry = {.kind = REPL_NODE_RETRY, .parameter = 2, .children = child, .child_count = 1};
	double p = 0.1;
	struct replmodel_replica r[] = {{exp_cdf, &mean100, p, 0}};
	struct replmodel_result got = run(&retry, r, 1, &params);
	assert_near(got.fail_rate, p * p * p, 1e-9);
	double want = 0;
	for (int k = 0; k < 3; k++)
		want += pow(p, k) * (1 - p) * (k * 10000 + 100);
	assert_near(got.rtt_mean_ms, want / (1 - p * p * p), 0.5);
	assert_near(got.attempts, 1 + p + p * p, 1e-9);
}

static void test_quorum_is_an_order_statistic(void **state)
{
	(void)state;
	struct repl_node quorum = {.kind = REPL_NODE_QUORUM, .parameter = 2, .children = kids012, .child_count = 3};
	struct replmodel_replica r[] = {{exp_cdf, &mean100, 0, 0}, {exp_cdf, &mean100, 0, 0}, {exp_cdf, &mean100, 0, 0}};
	struct replmodel_result got = run(&quorum, r, 3, &params);
	assert_near(got.rtt_mean_ms, 100 / 3.0 + 100 / 2.0, 0.5);
	assert_near(got.attempts, 3, 1e-12);

	/* Fails once two of three failed: 3 p^2 (1-p) + p^3. */
	double p = 0.2;
	struct replmodel_replica bad[] = {{exp_cdf, &mean100, p, 0}, {exp_cdf, &mean100, p, 0}, {exp_cdf, &mean100, 0, p}};
	got = run(&quorum, bad, 3, &params);
	assert_near(got.fail_rate, 3 * p * p * (1 - p) + p * p * p, 1e-9);
}

static void test_hedge_is_memoryless_after_its_delay(void **state)
{
	(void)state;
	struct repl_node hedge = {.kind = REPL_NODE_HEDGE, .parameter = 80, .children = kids01, .child_count = 2};
	struct replmodel_replica r[] = {{exp_cdf, &mean100, 0, 0}, {exp_cdf, &mean100, 0, 0}};
	struct replmodel_result got = run(&hedge, r, 2, &params);
	double lambda = 1 / 100.0, e = exp(-lambda * 80);
	assert_near(got.rtt_mean_ms, 1 / lambda - e / (2 * lambda), 0.5);
	assert_near(got.attempts, 1 + e, 2e-3);
	assert_near(got.fail_rate, 0, 1e-9);
}

static void test_hedge_starts_the_backup_at_once_after_a_fast_failure(void **state)
{
	(void)state;
	struct repl_node hedge = {.kind = REPL_NODE_HEDGE, .parameter = 500, .children = kids01, .child_count = 2};
	/* The first always fails fast at 200 ms, before the delay: the second starts then. */
	struct replmodel_replica r[] = {{point_cdf, &at200, 0, 1}, {exp_cdf, &mean100, 0, 0}};
	struct replmodel_result got = run(&hedge, r, 2, &params);
	assert_near(got.rtt_mean_ms, 200 + 100, 0.5);
	/* The first always hangs: the second starts at the delay. */
	struct replmodel_replica hang[] = {{point_cdf, &at200, 1, 0}, {exp_cdf, &mean100, 0, 0}};
	got = run(&hedge, hang, 2, &params);
	assert_near(got.rtt_mean_ms, 500 + 100, 0.5);
	assert_near(got.attempts, 2, 1e-9);
}

static void test_correlated_fault_adds_failures_not_time(void **state)
{
	(void)state;
	struct repl_node par = {.kind = REPL_NODE_PAR, .children = kids01, .child_count = 2};
	struct replmodel_replica r[] = {{exp_cdf, &mean100, 0.1, 0}, {exp_cdf, &mean100, 0.1, 0}};
	struct replmodel_params p = params;
	p.correlated = 0.05;
	struct replmodel_result without = run(&par, r, 2, &params), with = run(&par, r, 2, &p);
	assert_near(with.fail_rate, 0.05 + 0.95 * 0.01, 1e-9);
	assert_near(with.rtt_mean_ms, without.rtt_mean_ms, 1e-9);
}

static void test_answers_later_than_the_timeout_fail(void **state)
{
	(void)state;
	struct replmodel_params p = params;
	p.timeout_ms = 150;
	struct replmodel_replica r[] = {{point_cdf, &at200, 0, 0}};
	struct replmodel_result got = run(&leaves[0], r, 1, &p);
	assert_near(got.fail_rate, 1, 1e-12);
	assert_true(isnan(got.rtt_mean_ms));
}

static void test_overhead_shifts_every_answer(void **state)
{
	(void)state;
	struct replmodel_params p = params;
	p.overhead_ms = 7;
	struct repl_node seq = {.kind = REPL_NODE_SEQ, .children = kids01, .child_count = 2};
	struct replmodel_replica r[] = {{exp_cdf, &mean100, 0, 0.5}, {exp_cdf, &mean200, 0, 0}};
	struct replmodel_result got = run(&seq, r, 2, &p);
	assert_near(got.rtt_mean_ms, 100 + 7 + 0.5 * (200 + 7), 0.6);
}

static void test_fanout_delays_only_parallel_answers(void **state)
{
	(void)state;
	const double fanout[] = {0, 0, 20, 30};
	struct replmodel_params p = params;
	p.fanout_ms = fanout;
	p.fanout_count = 4;
	struct repl_node par = {.kind = REPL_NODE_PAR, .children = kids01, .child_count = 2};
	struct replmodel_replica r[] = {{exp_cdf, &mean100, 0, 0}, {exp_cdf, &mean100, 0, 0}};
	assert_near(run(&par, r, 2, &p).rtt_mean_ms, 50 + 20, 0.5);
	assert_near(run(&leaves[0], r, 2, &p).rtt_mean_ms, 100, 0.5);
}

static void test_cancelled_backups_are_not_sent(void **state)
{
	(void)state;
	/* par(seq(a, c), b): c is sent only when a hung and b has not answered by the timeout. */
	struct repl_node *seq_kids[] = {&leaves[0], &leaves[2]};
	struct repl_node seq = {.kind = REPL_NODE_SEQ, .children = seq_kids, .child_count = 2};
	struct repl_node *par_kids[] = {&seq, &leaves[1]};
	struct repl_node par = {.kind = REPL_NODE_PAR, .children = par_kids, .child_count = 2};
	double pa = 0.3, pb = 0.5;
	struct replmodel_replica r[] = {{exp_cdf, &mean100, pa, 0}, {exp_cdf, &mean100, pb, 0}, {exp_cdf, &mean100, 0, 0}};
	struct replmodel_result got = run(&par, r, 3, &params);
	assert_near(got.attempts, 2 + pa * pb, 1e-6);
	assert_near(got.fail_rate, 0, 1e-9);
}

static void test_refuses_what_it_cannot_compute(void **state)
{
	(void)state;
	struct repl_node hedge = {.kind = REPL_NODE_HEDGE, .parameter = 10, .children = kids012, .child_count = 3};
	struct replmodel_replica r[] = {{exp_cdf, &mean100, 0, 0}, {exp_cdf, &mean100, 0, 0}, {exp_cdf, &mean100, 0, 0}};
	struct replmodel_result got;
	assert_int_equal(replmodel_evaluate(&hedge, r, 3, &params, &got), REPLMODEL_UNSUPPORTED);
	assert_int_equal(replmodel_evaluate(&leaves[3], r, 3, &params, &got), REPLMODEL_BAD_ARGUMENT);
	struct replmodel_params zero = params;
	zero.step_ms = 0;
	assert_int_equal(replmodel_evaluate(&leaves[0], r, 3, &zero, &got), REPLMODEL_BAD_ARGUMENT);
	struct replmodel_params tiny = params;
	tiny.step_ms = 1e-6;
	assert_int_equal(replmodel_evaluate(&leaves[0], r, 3, &tiny, &got), REPLMODEL_TOO_LONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_replica_is_its_latency),
		cmocka_unit_test(test_par_of_two_exponentials_sums_rates),
		cmocka_unit_test(test_par_fails_only_when_all_fail),
		cmocka_unit_test(test_seq_after_a_hang_adds_the_timeout),
		cmocka_unit_test(test_seq_after_a_fast_failure_adds_its_latency),
		cmocka_unit_test(test_retry_multiplies_failures),
		cmocka_unit_test(test_quorum_is_an_order_statistic),
		cmocka_unit_test(test_hedge_is_memoryless_after_its_delay),
		cmocka_unit_test(test_hedge_starts_the_backup_at_once_after_a_fast_failure),
		cmocka_unit_test(test_correlated_fault_adds_failures_not_time),
		cmocka_unit_test(test_answers_later_than_the_timeout_fail),
		cmocka_unit_test(test_overhead_shifts_every_answer),
		cmocka_unit_test(test_fanout_delays_only_parallel_answers),
		cmocka_unit_test(test_cancelled_backups_are_not_sent),
		cmocka_unit_test(test_refuses_what_it_cannot_compute),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
