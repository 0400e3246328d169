/*
 * db_agents.h: field agents' accounts as the admin's agents page manages them: the list (with
 * their open complaints), an invitation (the account and its set-password token in one
 * transaction) and disabling (sessions ended, complaints back in the queue through the status
 * machine's unassign rows, in one transaction). Statements in db_agents.c.
 */
#ifndef DB_AGENTS_H
#define DB_AGENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/linktoken.h"
#include "store/db.h"

struct arena;
struct db_mail_request;
struct db_session;

struct db_agents_row {
	int64_t id;
	const char *name;
	const char *email;
	bool disabled;
	bool invited;            /* no password yet: the invitation's link was not used */
	int64_t open_count;      /* complaints assigned or in progress now */
	/* The workload (db_agents_list only). */
	int64_t overdue_count;   /* of the open ones, past their due date */
	int64_t resolved_week;   /* resolves the agent made in the last 7 days */
	double median_resolve_s; /* filing to resolve, median over the agent's resolves of the last 30
	                          * days; < 0: none */
	double rating_avg;       /* feedback on complaints assigned to the agent, all time; < 0: none */
	int64_t rating_count;
};

/* The columns the agents page sorts by, each ascending or descending. */
enum db_agents_sort {
	DB_AGENTS_SORT_STATE = 0,   /* the default: active first, then by name */
	DB_AGENTS_SORT_NAME,
	DB_AGENTS_SORT_OPEN,
	DB_AGENTS_SORT_OVERDUE,
	DB_AGENTS_SORT_RESOLVED,
	DB_AGENTS_SORT_MEDIAN,
	DB_AGENTS_SORT_RATING,
	DB_AGENTS_SORTS
};

#define DB_AGENTS_LIST_MAX 500

/* Every agent with the workload, in sort's order (descending when descending; agents without a
 * median or rating last either way; ties by name), db.read after the session's writes. */
enum db_status db_agents_list(struct db *db, struct arena *arena, const struct db_session *session,
                              enum db_agents_sort sort, bool descending, struct db_agents_row *out, size_t max,
                              size_t *count);
/* The agent of that id (DB_NOT_FOUND: no account, or not an agent). */
enum db_status db_agents_get(struct db *db, struct arena *arena, const struct db_session *session, int64_t id,
                             struct db_agents_row *out);

/* An admin (the session's account) invites an agent: the account, role agent, with a password hash
 * no verification accepts (PASSWORD_HASH_NONE); the invitation mail in the outbox (kind invite:
 * the notifier mints its set-password link when it sends); an admin_log row. One transaction:
 * DB_DUPLICATE when the email is registered, and then nothing is written. */
enum db_status db_agents_invite(struct db *db, struct db_session *session, const char *name, const char *email,
                                int64_t *account_id);

/* An admin sends a still-invited agent a new invitation, in one transaction: the outbox row of kind
 * invite (the notifier's mint voids the older link when it sends the new one), an admin_log row
 * and the request's throttle count (request: web/auth.c's mail budgets). *sent false: no agent of
 * that id still invited and not disabled (a password set, or disabled, maybe a moment ago): only
 * the throttle count was written. */
enum db_status db_agents_invite_again(struct db *db, struct db_session *session, int64_t agent_id,
                                      const struct db_mail_request *request, bool *sent);

/* An admin disables an active agent, in one transaction: accounts.disabled_at set, every session
 * of the agent deleted, every complaint assigned to them in a state the status machine's
 * WORKFLOW_UNASSIGN rows leave (assigned, reopened, in progress) moved by its row — one
 * status_track row each (reason: reason, staff only), version bumped, an admin_log row each —
 * and one admin_log row for the account. *disabled false: no active agent of that id (already
 * disabled, or disabled by someone else meanwhile): nothing was written. */
enum db_status db_agents_disable(struct db *db, struct db_session *session, int64_t agent_id, const char *reason,
                                 bool *disabled);

#endif
