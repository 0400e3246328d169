/*
 * workflow.h: a complaint's status machine as one table: from which state, by which action, to
 * which state, who may take it (the reporter, the assigned agent, an admin, the system's timer),
 * whether it needs a reason and whether that reason may be shown to the resident. Every change of
 * a complaint's status is a row of this table, judged here before anything is written; the store
 * writes the row's effects and the web layer offers only the rows a caller may take.
 */
#ifndef WORKFLOW_H
#define WORKFLOW_H

#include <stdbool.h>
#include <stddef.h>

enum workflow_state {
	WORKFLOW_SUBMITTED = 0,
	WORKFLOW_ASSIGNED,
	WORKFLOW_IN_PROGRESS,
	WORKFLOW_RESOLVED,
	WORKFLOW_CLOSED,
	WORKFLOW_REJECTED,
	WORKFLOW_STATES,
};

enum workflow_action {
	WORKFLOW_ASSIGN = 0,
	WORKFLOW_ACCEPT,
	WORKFLOW_DECLINE,
	WORKFLOW_REASSIGN,
	WORKFLOW_RESOLVE,
	WORKFLOW_CONFIRM,
	WORKFLOW_REOPEN,
	WORKFLOW_REJECT,
	WORKFLOW_WITHDRAW,
	WORKFLOW_UNASSIGN,      /* an admin disabled the agent: back to the queue */
	WORKFLOW_AUTO_CLOSE,    /* the timer: resolved, no answer within the feedback period */
	WORKFLOW_ACTIONS,
};

/* Who acts, as bits: a caller may be several at once (an admin who filed the complaint). */
enum workflow_actor {
	WORKFLOW_REPORTER = 1u << 0,
	WORKFLOW_AGENT = 1u << 1,       /* the agent the complaint is assigned to now */
	WORKFLOW_ADMIN = 1u << 2,
	WORKFLOW_SYSTEM = 1u << 3,
};

/* What a transition does to complaints.reopened_at. */
enum workflow_reopened { WORKFLOW_REOPENED_KEEP = 0, WORKFLOW_REOPENED_SET, WORKFLOW_REOPENED_CLEAR };

/* What a transition does to complaints.assigned_agent_id. */
enum workflow_agent { WORKFLOW_AGENT_KEEP = 0, WORKFLOW_AGENT_CHOSEN, WORKFLOW_AGENT_NONE };

/* When a row applies, by the complaint's assigned agent: always, only while that agent is active,
 * or only once that agent's account is disabled (or there is none). */
enum workflow_when { WORKFLOW_WHEN_ANY = 0, WORKFLOW_WHEN_AGENT_ACTIVE, WORKFLOW_WHEN_AGENT_GONE };

struct workflow_transition {
	enum workflow_state from;
	enum workflow_action action;
	enum workflow_state to;
	unsigned who;                   /* enum workflow_actor bits */
	bool needs_reason;
	bool reason_public;             /* false: staff pages only (decline, unassign) */
	const char *closing_reason;     /* complaints.closing_reason set; NULL: none (the reject form chooses) */
	enum workflow_agent agent;
	enum workflow_reopened reopened;
	enum workflow_when when;        /* the store checks it again in the change's UPDATE */
};

extern const struct workflow_transition workflow_table[];
extern const size_t workflow_table_count;

enum workflow_verdict {
	WORKFLOW_ALLOWED = 0,
	WORKFLOW_WRONG_STATE,   /* no such action from this state: 409 */
	WORKFLOW_WRONG_ACTOR,   /* the action exists here, but not for this caller: 403 */
	WORKFLOW_NO_REASON,     /* the row needs a reason and none was given: 422 */
};

/* Judges (from, action) for a caller who is actors, with or without a reason, on a complaint whose
 * assigned agent is active or not (agent_active: the row's `when`); on WORKFLOW_ALLOWED *row is
 * the table's row. */
enum workflow_verdict workflow_judge(enum workflow_state from, enum workflow_action action, unsigned actors,
                                     bool has_reason, bool agent_active, const struct workflow_transition **row);
/* The sentence a refused caller reads. */
const char *workflow_refusal(enum workflow_verdict verdict);

/* The names complaints.status and status_track.action store; parse answers false for others. */
const char *workflow_state_name(enum workflow_state state);
bool workflow_state_parse(const char *name, enum workflow_state *state);
const char *workflow_action_name(enum workflow_action action);
bool workflow_action_parse(const char *name, enum workflow_action *action);

/* The sentence a resident reads for a state and its closing reason (NULL when none). A closed
 * complaint is "fixed" only with closing reason fixed. */
const char *workflow_resident_sentence(enum workflow_state state, const char *closing_reason);
/* Whether name is a closing reason an admin may reject with: duplicate, not_responsible,
 * no_further_action. */
bool workflow_rejection_parse(const char *name);

#endif
