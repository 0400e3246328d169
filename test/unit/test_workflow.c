/*
 * test_workflow.c: the status machine against a list written by hand, apart from the table:
 * every (state, action, actor) the issue allows is allowed (and refused without a reason when it
 * needs one), every other one is refused — 409 when the action does not exist in that state, 403
 * when it exists for someone else; and the words a resident reads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "core/workflow.h"

/* "state action actor -> state", the issue's item 1, one line each. */
static const struct {
	const char *from, *action;
	unsigned actor;
	const char *to;
	bool needs_reason;
} expected_allowed[] = {
	{"submitted", "assign", WORKFLOW_ADMIN, "assigned", false},
	{"assigned", "accept", WORKFLOW_AGENT, "in_progress", false},
	{"assigned", "decline", WORKFLOW_AGENT, "submitted", true},
	{"assigned", "reassign", WORKFLOW_ADMIN, "assigned", false},
	{"in_progress", "reassign", WORKFLOW_ADMIN, "assigned", false},
	{"in_progress", "resolve", WORKFLOW_AGENT, "resolved", true},
	{"resolved", "confirm", WORKFLOW_REPORTER, "closed", false},
	{"resolved", "reopen", WORKFLOW_REPORTER, "assigned", true},
	{"submitted", "reject", WORKFLOW_ADMIN, "rejected", true},
	{"assigned", "reject", WORKFLOW_ADMIN, "rejected", true},
	{"in_progress", "reject", WORKFLOW_ADMIN, "rejected", true},
	{"submitted", "withdraw", WORKFLOW_REPORTER, "closed", false},
	{"assigned", "unassign", WORKFLOW_ADMIN, "submitted", true},
	{"in_progress", "unassign", WORKFLOW_ADMIN, "submitted", true},
	{"resolved", "auto_close", WORKFLOW_SYSTEM, "closed", false},
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
					    expected_allowed[e].actor == actors[r])
						match = e;
				enum workflow_verdict verdict = workflow_judge(from, action, actors[r], true, &row);
				if (match == EXPECTED) {
					assert_int_equal(verdict, exists_here ? WORKFLOW_WRONG_ACTOR : WORKFLOW_WRONG_STATE);
					assert_null(row);
					continue;
				}
				allowed_seen++;
				assert_int_equal(verdict, WORKFLOW_ALLOWED);
				assert_non_null(row);
				assert_string_equal(workflow_state_name(row->to), expected_allowed[match].to);
				assert_int_equal(workflow_judge(from, action, actors[r], false, &row),
				                 expected_allowed[match].needs_reason ? WORKFLOW_NO_REASON : WORKFLOW_ALLOWED);
			}
		}
	}
	assert_int_equal(allowed_seen, EXPECTED);
	assert_int_equal(workflow_table_count, EXPECTED);
}

static void test_a_caller_with_several_hats_may_take_any_of_their_rows(void **state)
{
	(void)state;
	const struct workflow_transition *row = NULL;
	assert_int_equal(workflow_judge(WORKFLOW_RESOLVED, WORKFLOW_CONFIRM, WORKFLOW_ADMIN | WORKFLOW_REPORTER, true, &row),
	                 WORKFLOW_ALLOWED);
	assert_int_equal(workflow_judge(WORKFLOW_RESOLVED, WORKFLOW_CONFIRM, 0, true, &row), WORKFLOW_WRONG_ACTOR);
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
	assert_int_equal(workflow_judge(WORKFLOW_RESOLVED, WORKFLOW_AUTO_CLOSE, WORKFLOW_SYSTEM, false, &row),
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
		cmocka_unit_test(test_a_caller_with_several_hats_may_take_any_of_their_rows),
		cmocka_unit_test(test_internal_reasons_are_the_declines_and_unassigns_only),
		cmocka_unit_test(test_only_a_confirmed_complaint_reads_fixed),
		cmocka_unit_test(test_names_round_trip_and_unknown_ones_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
