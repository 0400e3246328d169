/*
 * db_outbox.h: the outbox (the notifications table): the statements that queue an event's
 * messages inside the event's own transaction, and the notifier's claim and outcome (statements in
 * db_outbox.c; the timer purges sent rows, store/retention.c).
 */
#ifndef DB_OUTBOX_H
#define DB_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mail.h"
#include "repl.h"
#include "store/db.h"

struct arena;

#define DB_OUTBOX_EVENT_PARAMS 4

/* Room for the statements of one event: its caller's transaction keeps them alive. */
struct db_outbox_event {
	struct repl_sql_param params[MAIL_KINDS_PER_EVENT][DB_OUTBOX_EVENT_PARAMS];
};

/* Appends to out (room for MAIL_KINDS_PER_EVENT) the INSERTs that queue the messages of a
 * complaint's change (action: status_track's name) and returns how many. They run after the
 * change's UPDATE and its SET @complaint_moved, and write only when it moved the complaint and
 * the recipient has not switched the kind off (notification_optouts: no row is written); reason is the change's public reason (NULL: none or staff only). */
size_t db_outbox_move(struct db_outbox_event *event, const char *action, int64_t complaint_id, const char *reason,
                      struct repl_sql_statement *out);
/* The same for a filing, found by its submit token (DB_SUBMIT_TOKEN_SIZE bytes); nothing when the
 * reporter switched "filed" off. */
size_t db_outbox_filed(struct db_outbox_event *event, const uint8_t *submit_token, size_t token_len,
                       struct repl_sql_statement *out);

/* The same for a filing's auto-assignment (action: the assign row's), found by its submit token:
 * only when the filing's transaction chose an agent (@auto_agent, db_complaint_file). */
size_t db_outbox_auto_assigned(struct db_outbox_event *event, const char *action, const uint8_t *submit_token,
                               size_t token_len, struct repl_sql_statement *out);

/* Account mails (core/mail.h's mail_account_kind: invite, reset, confirm, signup_taken): one
 * INSERT into out (its parameters in event), addressed to the account's stored address and
 * name, with no token and no body: the notifier mints a link's token when it sends. */
/* To the active account whose address is email (letter case aside); none: the INSERT writes
 * nothing, and costs what it costs when there is one. */
void db_outbox_account_by_email(struct db_outbox_event *event, const char *kind, const char *email,
                                struct repl_sql_statement *out);
/* To the account the transaction's last INSERT made (LAST_INSERT_ID()). */
void db_outbox_account_new(struct db_outbox_event *event, const char *kind, struct repl_sql_statement *out);
/* A sign-up's mail, after its INSERT ... ON DUPLICATE KEY UPDATE and SET @account_new = ROW_COUNT():
 * "confirm" to the new account, or "signup_taken" to the active owner of the address. */
void db_outbox_signup(struct db_outbox_event *event, const char *email, struct repl_sql_statement *out);

/* "Send the link again": kind confirm to the account of that id while its address is unconfirmed
 * and it is not disabled; kind invite to the agent of that id while still invited (the password
 * hash PASSWORD_HASH_NONE) and not disabled. Otherwise the INSERT writes nothing. */
void db_outbox_confirm_again(struct db_outbox_event *event, int64_t account_id, struct repl_sql_statement *out);
void db_outbox_invite_again(struct db_outbox_event *event, int64_t agent_id, struct repl_sql_statement *out);

/* A claimed message, as the notifier sends it. */
struct db_notification {
	int64_t id;
	int64_t complaint_id;         /* 0: none */
	int64_t account_id;           /* the recipient's account; 0: none */
	const char *kind;
	const char *recipient;
	const char *data;             /* JSON for the templates */
	unsigned attempts;            /* failed sendings so far */
};

/* Claims up to max due messages (pending and due, or sending under an expired lease) for
 * lease_ms under claim (unique per claim), and reads them back (db.write, then db.primary). */
enum db_status db_outbox_claim(struct db *db, struct arena *arena, const char *claim, long long lease_ms,
                               struct db_notification *out, size_t max, size_t *count);
/* Just before sending: renews claim's lease on message id for lease_ms; *taken false when the
 * claim lost it (its lease passed and another notifier took it: that one sends it). */
enum db_status db_outbox_take(struct db *db, int64_t id, const char *claim, long long lease_ms, bool *taken);
/* The message was sent: status sent, unless another claim took it meanwhile. */
enum db_status db_outbox_sent(struct db *db, int64_t id, const char *claim);
/* A sending failed: pending again in retry_ms, or failed for good (failed_for_good, or when this
 * was attempt max_attempts), last_error kept. */
enum db_status db_outbox_failed(struct db *db, int64_t id, const char *claim, long long retry_ms, bool for_good,
                                long long max_attempts, const char *last_error);
/* Gives back what claim still holds unsent (a notifier asked to stop): pending again at once. */
enum db_status db_outbox_release(struct db *db, const char *claim);

/* A message that failed for good, as the admins' list shows it (never its body). */
struct db_failed_notification {
	int64_t id;
	int64_t complaint_id;         /* 0: none */
	const char *kind;
	const char *recipient;
	unsigned attempts;
	const char *last_error;       /* NULL: none */
	const char *created_at;
};

#define DB_FAILED_LIST_MAX 200

/* The failed messages, newest first, at most max (db.primary). */
enum db_status db_outbox_failed_list(struct db *db, struct arena *arena, struct db_failed_notification *out,
                                     size_t max, size_t *count);
/* An admin's "send again": a failed message pending at once with its attempts from zero, and an
 * admin_log row. *found false: no failed message of that id (nothing written). */
enum db_status db_outbox_retry(struct db *db, int64_t actor_id, int64_t id, bool *found);

/* The outbox's size for /metrics: messages waiting (pending or being sent) and failed ones, by
 * one COUNT over the status index. */
struct db_outbox_counts {
	uint64_t waiting;
	uint64_t failed;
};
enum db_status db_outbox_count(struct db *db, struct arena *arena, struct db_outbox_counts *counts);

#endif
