/*
 * workflow.c: the status machine's table and its judge (see workflow.h). The table is the whole
 * rule: doc/DESIGN.md prints it, the unit test walks every (state, action, actor) against it, and
 * the complaint's page offers a caller exactly the rows they may take.
 */
#include "workflow.h"

#include <string.h>

/* {from, action, to, who, needs a reason, reason public, closing reason, agent, reopened, when} */
const struct workflow_transition workflow_table[] = {
	{WORKFLOW_SUBMITTED, WORKFLOW_ASSIGN, WORKFLOW_ASSIGNED, WORKFLOW_ADMIN, false, true, NULL, WORKFLOW_AGENT_CHOSEN,
	 WORKFLOW_REOPENED_KEEP, WORKFLOW_WHEN_ANY},
	{WORKFLOW_ASSIGNED, WORKFLOW_ACCEPT, WORKFLOW_IN_PROGRESS, WORKFLOW_AGENT, false, true, NULL, WORKFLOW_AGENT_KEEP,
	 WORKFLOW_REOPENED_CLEAR, WORKFLOW_WHEN_ANY},
	{WORKFLOW_ASSIGNED, WORKFLOW_DECLINE, WORKFLOW_SUBMITTED, WORKFLOW_AGENT, true, false, NULL, WORKFLOW_AGENT_NONE,
	 WORKFLOW_REOPENED_CLEAR, WORKFLOW_WHEN_ANY},
	{WORKFLOW_ASSIGNED, WORKFLOW_REASSIGN, WORKFLOW_ASSIGNED, WORKFLOW_ADMIN, false, true, NULL, WORKFLOW_AGENT_CHOSEN,
	 WORKFLOW_REOPENED_KEEP, WORKFLOW_WHEN_ANY},
	{WORKFLOW_IN_PROGRESS, WORKFLOW_REASSIGN, WORKFLOW_ASSIGNED, WORKFLOW_ADMIN, false, true, NULL, WORKFLOW_AGENT_CHOSEN,
	 WORKFLOW_REOPENED_KEEP, WORKFLOW_WHEN_ANY},
	{WORKFLOW_IN_PROGRESS, WORKFLOW_RESOLVE, WORKFLOW_RESOLVED, WORKFLOW_AGENT, true, true, NULL, WORKFLOW_AGENT_KEEP,
	 WORKFLOW_REOPENED_CLEAR, WORKFLOW_WHEN_ANY},
	{WORKFLOW_RESOLVED, WORKFLOW_CONFIRM, WORKFLOW_CLOSED, WORKFLOW_REPORTER, false, true, "fixed", WORKFLOW_AGENT_KEEP,
	 WORKFLOW_REOPENED_KEEP, WORKFLOW_WHEN_ANY},
	{WORKFLOW_RESOLVED, WORKFLOW_REOPEN, WORKFLOW_ASSIGNED, WORKFLOW_REPORTER, true, true, NULL, WORKFLOW_AGENT_KEEP,
	 WORKFLOW_REOPENED_SET, WORKFLOW_WHEN_AGENT_ACTIVE},
	/* Its agent was disabled since it was resolved: back in the admin's queue, still reopened. */
	{WORKFLOW_RESOLVED, WORKFLOW_REOPEN, WORKFLOW_SUBMITTED, WORKFLOW_REPORTER, true, true, NULL, WORKFLOW_AGENT_NONE,
	 WORKFLOW_REOPENED_SET, WORKFLOW_WHEN_AGENT_GONE},
	{WORKFLOW_SUBMITTED, WORKFLOW_REJECT, WORKFLOW_REJECTED, WORKFLOW_ADMIN, true, true, NULL, WORKFLOW_AGENT_KEEP,
	 WORKFLOW_REOPENED_CLEAR, WORKFLOW_WHEN_ANY},
	{WORKFLOW_ASSIGNED, WORKFLOW_REJECT, WORKFLOW_REJECTED, WORKFLOW_ADMIN, true, true, NULL, WORKFLOW_AGENT_KEEP,
	 WORKFLOW_REOPENED_CLEAR, WORKFLOW_WHEN_ANY},
	{WORKFLOW_IN_PROGRESS, WORKFLOW_REJECT, WORKFLOW_REJECTED, WORKFLOW_ADMIN, true, true, NULL, WORKFLOW_AGENT_KEEP,
	 WORKFLOW_REOPENED_CLEAR, WORKFLOW_WHEN_ANY},
	{WORKFLOW_SUBMITTED, WORKFLOW_WITHDRAW, WORKFLOW_CLOSED, WORKFLOW_REPORTER, false, true, "withdrawn",
	 WORKFLOW_AGENT_KEEP, WORKFLOW_REOPENED_KEEP, WORKFLOW_WHEN_ANY},
	{WORKFLOW_ASSIGNED, WORKFLOW_UNASSIGN, WORKFLOW_SUBMITTED, WORKFLOW_ADMIN, true, false, NULL, WORKFLOW_AGENT_NONE,
	 WORKFLOW_REOPENED_CLEAR, WORKFLOW_WHEN_ANY},
	{WORKFLOW_IN_PROGRESS, WORKFLOW_UNASSIGN, WORKFLOW_SUBMITTED, WORKFLOW_ADMIN, true, false, NULL, WORKFLOW_AGENT_NONE,
	 WORKFLOW_REOPENED_CLEAR, WORKFLOW_WHEN_ANY},
	{WORKFLOW_RESOLVED, WORKFLOW_AUTO_CLOSE, WORKFLOW_CLOSED, WORKFLOW_SYSTEM, false, true, "no_feedback",
	 WORKFLOW_AGENT_KEEP, WORKFLOW_REOPENED_KEEP, WORKFLOW_WHEN_ANY},
};

const size_t workflow_table_count = sizeof(workflow_table) / sizeof(workflow_table[0]);

/* complaints.status's ENUM values, by state. */
static const char *const workflow_state_names[] = {
	[WORKFLOW_SUBMITTED] = "submitted", [WORKFLOW_ASSIGNED] = "assigned", [WORKFLOW_IN_PROGRESS] = "in_progress",
	[WORKFLOW_RESOLVED] = "resolved",   [WORKFLOW_CLOSED] = "closed",     [WORKFLOW_REJECTED] = "rejected",
};

/* status_track.action's values, by action (migration 0006 adds the ones 0001 lacked). */
static const char *const workflow_action_names[] = {
	[WORKFLOW_ASSIGN] = "assign",   [WORKFLOW_ACCEPT] = "accept",     [WORKFLOW_DECLINE] = "decline",
	[WORKFLOW_REASSIGN] = "reassign", [WORKFLOW_RESOLVE] = "resolve", [WORKFLOW_CONFIRM] = "confirm",
	[WORKFLOW_REOPEN] = "reopen",   [WORKFLOW_REJECT] = "reject",     [WORKFLOW_WITHDRAW] = "withdraw",
	[WORKFLOW_UNASSIGN] = "unassign", [WORKFLOW_AUTO_CLOSE] = "auto_close",
};

/* What each verdict tells the caller. */
static const char *const workflow_refusals[] = {
	[WORKFLOW_ALLOWED] = "",
	[WORKFLOW_WRONG_STATE] = "This complaint is not in a state where that can be done; reload its page.",
	[WORKFLOW_WRONG_ACTOR] = "Your account cannot do that to this complaint.",
	[WORKFLOW_NO_REASON] = "Please say why.",
};

enum workflow_verdict workflow_judge(enum workflow_state from, enum workflow_action action, unsigned actors,
                                     bool has_reason, bool agent_active, const struct workflow_transition **row)
{
	enum workflow_verdict verdict = WORKFLOW_WRONG_STATE;
	*row = NULL;
	for (size_t i = 0; i < workflow_table_count; i++) {
		const struct workflow_transition *candidate = &workflow_table[i];
		if (candidate->from != from || candidate->action != action ||
		    (candidate->when == WORKFLOW_WHEN_AGENT_ACTIVE && !agent_active) ||
		    (candidate->when == WORKFLOW_WHEN_AGENT_GONE && agent_active))
			continue;
		verdict = WORKFLOW_WRONG_ACTOR;
		if ((candidate->who & actors) == 0)
			continue;
		if (candidate->needs_reason && !has_reason)
			return WORKFLOW_NO_REASON;
		*row = candidate;
		return WORKFLOW_ALLOWED;
	}
	return verdict;
}

const char *workflow_refusal(enum workflow_verdict verdict)
{
	return (size_t)verdict < sizeof(workflow_refusals) / sizeof(workflow_refusals[0]) ? workflow_refusals[verdict]
	                                                                                    : "";
}

/* The index of name in names[count], or -1. */
static int workflow_find(const char *const *names, size_t count, const char *name)
{
	for (size_t i = 0; name != NULL && i < count; i++)
		if (names[i] != NULL && strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

const char *workflow_state_name(enum workflow_state state)
{
	return (size_t)state < WORKFLOW_STATES ? workflow_state_names[state] : "";
}

bool workflow_state_parse(const char *name, enum workflow_state *state)
{
	int found = workflow_find(workflow_state_names, WORKFLOW_STATES, name);
	if (found >= 0)
		*state = (enum workflow_state)found;
	return found >= 0;
}

const char *workflow_action_name(enum workflow_action action)
{
	return (size_t)action < WORKFLOW_ACTIONS ? workflow_action_names[action] : "";
}

bool workflow_action_parse(const char *name, enum workflow_action *action)
{
	int found = workflow_find(workflow_action_names, WORKFLOW_ACTIONS, name);
	if (found >= 0)
		*action = (enum workflow_action)found;
	return found >= 0;
}

/* The resident's sentence per state, and per closing reason of a closed or rejected one. */
static const char *const workflow_state_sentences[] = {
	[WORKFLOW_SUBMITTED] = "Received — waiting for someone to be assigned.",
	[WORKFLOW_ASSIGNED] = "Assigned to a field agent.",
	[WORKFLOW_IN_PROGRESS] = "Being worked on.",
	[WORKFLOW_RESOLVED] = "Resolved — is it fixed? Please tell us.",
	[WORKFLOW_CLOSED] = "Closed.",
	[WORKFLOW_REJECTED] = "Rejected.",
};

static const struct {
	const char *closing_reason;
	const char *sentence;
} workflow_closing_sentences[] = {
	{"fixed", "Fixed — you confirmed it."},
	{"withdrawn", "Withdrawn by you."},
	{"no_feedback", "Resolved — not confirmed by you."},
	{"duplicate", "Rejected — the same problem was already reported."},
	{"not_responsible", "Rejected — this is not ours to fix."},
	{"no_further_action", "Rejected — no further action will be taken."},
};

const char *workflow_resident_sentence(enum workflow_state state, const char *closing_reason)
{
	for (size_t i = 0; closing_reason != NULL &&
	                   i < sizeof(workflow_closing_sentences) / sizeof(workflow_closing_sentences[0]);
	     i++)
		if (strcmp(workflow_closing_sentences[i].closing_reason, closing_reason) == 0)
			return workflow_closing_sentences[i].sentence;
	return (size_t)state < WORKFLOW_STATES ? workflow_state_sentences[state] : "";
}

bool workflow_rejection_parse(const char *name)
{
	static const char *const rejections[] = {"duplicate", "not_responsible", "no_further_action"};
	return workflow_find(rejections, sizeof(rejections) / sizeof(rejections[0]), name) >= 0;
}
