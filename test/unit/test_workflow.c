/*
 * test_workflow.c: the status machine against a list written by hand, apart from the table:
 * every (state, action, actor) the issue allows is allowed (and refused without a reason when it
 * needs one), every other one is refused — 409 when the action does not exist in that state, 403
 * when it exists for someone else — with the complaint's agent active and with it disabled (a
 * reopening then goes back to the admin's queue); and the words a resident reads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "core/workflow.h"

/* Which of the complaint's agent's states a line holds for. */
enum agent_is { EITHER = 0, ACTIVE, DISABLED };

/* "state action actor -> state", the issue's item 1, one line each. */
static const struct {
	const char *from, *action;
	unsigned actor;
	const char *to;
	bool needs_reason;
	enum agent_is agent;
} expected_allowed[] = {
	{"submitted", "assign", WORKFLOW_ADMIN, "assigned", false, EITHER},
	{"assigned", "accept", WORKFLOW_AGENT, "in_progress", false, EITHER},
	{"assigned", "decline", WORKFLOW_AGENT, "submitted", true, EITHER},
	{"assigned", "reassign", WORKFLOW_ADMIN, "assigned", false, EITHER},
	{"in_progress", "reassign", WORKFLOW_ADMIN, "assigned", false, EITHER},
	{"in_progress", "resolve", WORKFLOW_AGENT, "resolved", true, EITHER},
	{"resolved", "confirm", WORKFLOW_REPORTER, "closed", false, EITHER},
	{"resolved", "reopen", WORKFLOW_REPORTER, "assigned", true, ACTIVE},
	{"resolved", "reopen", WORKFLOW_REPORTER, "submitted", true, DISABLED},
	{"submitted", "reject", WORKFLOW_ADMIN, "rejected", true, EITHER},
	{"assigned", "reject", WORKFLOW_ADMIN, "rejected", true, EITHER},
	{"in_progress", "reject", WORKFLOW_ADMIN, "rejected", true, EITHER},
	{"submitted", "withdraw", WORKFLOW_REPORTER, "closed", false, EITHER},
	{"assigned", "unassign", WORKFLOW_ADMIN, "submitted", true, EITHER},
	{"in_progress", "unassign", WORKFLOW_ADMIN, "submitted", true, EITHER},
	{"resolved", "auto_close", WORKFLOW_SYSTEM, "closed", false, EITHER},
};

#define EXPECTED (sizeof(expected_allowed) / sizeof(expected_allowed[0]))

static const unsigned actors[] = {WORKFLOW_REPORTER, WORKFLOW_AGENT, WORKFLOW_ADMIN, WORKFLOW_SYSTEM};

static const char *const state_names[] = {"submitted", "assigned", "in_progress", "resolved", "closed", "rejected"};
static const char *const action_names[] = {"assign", "accept",   "decline",  "reassign", "resolve",   "confirm",
                                           "reopen", "reject",   "withdraw", "unassign", "auto_close"};

static void test_every_state_action_and_actor_is_judged_as_the_issue_says(void **state)
{
	(void)state;
	size_t allowed_seen = 0;
	for (size_t s = 0; s < sizeof(state_names) / sizeof(state_names[0]); s++) {
		enum workflow_state from;
		assert_true(workflow_state_parse(state_names[s], &from));
		for (size_t a = 0; a < sizeof(action_names) / sizeof(action_names[0]); a++) {
			enum workflow_action action;
			assert_true(workflow_action_parse(action_names[a], &action));
			for (int active = 0; active <= 1; active++) {
				bool exists_here = false;
				for (size_t e = 0; e < EXPECTED; e++)
					exists_here |= strcmp(expected_allowed[e].from, state_names[s]) == 0 &&
					               strcmp(expected_allowed[e].action, action_names[a]) == 0;
				for (size_t r = 0; r < sizeof(actors) / sizeof(actors[0]); r++) {
					const struct workflow_transition *row = NULL;
					size_t match = EXPECTED;
					for (size_t e = 0; e < EXPECTED; e++)
						if (strcmp(expected_allowed[e].from, state_names[s]) == 0 &&
						    strcmp(expected_allowed[e].action, action_names[a]) == 0 &&
						    expected_allowed[e].actor == actors[r] &&
						    expected_allowed[e].agent != (active ? DISABLED : ACTIVE))
							match = e;
					enum workflow_verdict verdict = workflow_judge(from, action, actors[r], true, active, &row);
					if (match == EXPECTED) {
						assert_int_equal(verdict, exists_here ? WORKFLOW_WRONG_ACTOR : WORKFLOW_WRONG_STATE);
						assert_null(row);
						continue;
					}
					/* A line for either agent state is seen twice, once per state. */
					if (expected_allowed[match].agent != EITHER || active)
						allowed_seen++;
					assert_int_equal(verdict, WORKFLOW_ALLOWED);
					assert_non_null(row);
					assert_string_equal(workflow_state_name(row->to), expected_allowed[match].to);
					assert_int_equal(workflow_judge(from, action, actors[r], false, active, &row),
					                 expected_allowed[match].needs_reason ? WORKFLOW_NO_REASON : WORKFLOW_ALLOWED);
				}
			}
		}
	}
	assert_int_equal(allowed_seen, EXPECTED);
	assert_int_equal(workflow_table_count, EXPECTED);
}

static void test_a_reopening_without_its_agent_goes_back_to_the_queue_still_reopened(void **state)
{
	(void)state;
	const struct workflow_transition *row = NULL;
	assert_int_equal(workflow_judge(WORKFLOW_RESOLVED, WORKFLOW_REOPEN, WORKFLOW_REPORTER, true, false, &row),
	                 WORKFLOW_ALLOWED);
	assert_int_equal(row->to, WORKFLOW_SUBMITTED);
	assert_int_equal(row->agent, WORKFLOW_AGENT_NONE);
	assert_int_equal(row->reopened, WORKFLOW_REOPENED_SET);
	assert_int_equal(workflow_judge(WORKFLOW_RESOLVED, WORKFLOW_REOPEN, WORKFLOW_REPORTER, true, true, &row),
	                 WORKFLOW_ALLOWED);
	assert_int_equal(row->to, WORKFLOW_ASSIGNED);
	assert_int_equal(row->agent, WORKFLOW_AGENT_KEEP);
	assert_int_equal(row->reopened, WORKFLOW_REOPENED_SET);
	/* Assigned again from the queue, it stays reopened until the new agent acts. */
	assert_int_equal(workflow_judge(WORKFLOW_SUBMITTED, WORKFLOW_ASSIGN, WORKFLOW_ADMIN, true, true, &row),
	                 WORKFLOW_ALLOWED);
	assert_int_equal(row->reopened, WORKFLOW_REOPENED_KEEP);
}

static void test_a_caller_with_several_hats_may_take_any_of_their_rows(void **state)
{
	(void)state;
	const struct workflow_transition *row = NULL;
	assert_int_equal(workflow_judge(WORKFLOW_RESOLVED, WORKFLOW_CONFIRM, WORKFLOW_ADMIN | WORKFLOW_REPORTER, true, true, &row),
	                 WORKFLOW_ALLOWED);
	assert_int_equal(workflow_judge(WORKFLOW_RESOLVED, WORKFLOW_CONFIRM, 0, true, true, &row), WORKFLOW_WRONG_ACTOR);
}

static void test_internal_reasons_are_the_declines_and_unassigns_only(void **state)
{
	(void)state;
	for (size_t i = 0; i < workflow_table_count; i++) {
		bool internal = workflow_table[i].action == WORKFLOW_DECLINE || workflow_table[i].action == WORKFLOW_UNASSIGN;
		assert_int_equal(workflow_table[i].reason_public, !internal);
	}
}

static void test_only_a_confirmed_complaint_reads_fixed(void **state)
{
	(void)state;
	assert_string_equal(workflow_resident_sentence(WORKFLOW_CLOSED, "fixed"), "Fixed — you confirmed it.");
	assert_string_equal(workflow_resident_sentence(WORKFLOW_CLOSED, "no_feedback"),
	                    "Resolved — not confirmed by you.");
	for (size_t s = 0; s < WORKFLOW_STATES; s++) {
		assert_null(strstr(workflow_resident_sentence((enum workflow_state)s, NULL), "Fixed"));
		assert_null(strstr(workflow_resident_sentence((enum workflow_state)s, "withdrawn"), "Fixed"));
	}
	const struct workflow_transition *row = NULL;
	assert_int_equal(workflow_judge(WORKFLOW_RESOLVED, WORKFLOW_AUTO_CLOSE, WORKFLOW_SYSTEM, false, true, &row),
	                 WORKFLOW_ALLOWED);
	assert_string_equal(row->closing_reason, "no_feedback");
}

static void test_names_round_trip_and_unknown_ones_are_refused(void **state)
{
	(void)state;
	enum workflow_action action;
	enum workflow_state to;
	assert_false(workflow_action_parse("delete", &action));
	assert_false(workflow_action_parse(NULL, &action));
	assert_false(workflow_state_parse("open", &to));
	assert_true(workflow_rejection_parse("duplicate"));
	assert_false(workflow_rejection_parse("fixed"));
	for (size_t a = 0; a < WORKFLOW_ACTIONS; a++) {
		assert_true(workflow_action_parse(workflow_action_name((enum workflow_action)a), &action));
		assert_int_equal(action, a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_state_action_and_actor_is_judged_as_the_issue_says),
		cmocka_unit_test(test_a_reopening_without_its_agent_goes_back_to_the_queue_still_reopened),
		cmocka_unit_test(test_a_caller_with_several_hats_may_take_any_of_their_rows),
		cmocka_unit_test(test_internal_reasons_are_the_declines_and_unassigns_only),
		cmocka_unit_test(test_only_a_confirmed_complaint_reads_fixed),
		cmocka_unit_test(test_names_round_trip_and_unknown_ones_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
