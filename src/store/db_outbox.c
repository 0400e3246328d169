/*
 * db_outbox.c: the outbox's statements (see db_outbox.h). A message row copies what delivery
 * needs (the address, the name, the category, the status and public reason of that moment) in
 * the event's transaction: the notifier never needs the event's state later, and a message
 * describes the change that caused it even when others followed.
 */
#include "db_outbox.h"

#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "core/password.h"
#include "store/db_core.h"

/* The INSERT of a message to the reporter or to the agent assigned after the change (a
 * complaint without one queues nothing), then its WHERE. */
#define DB_OUTBOX_INSERT(recipient_column)                                                                      \
	"INSERT INTO notifications (channel, kind, recipient, account_id, complaint_id, data)"                       \
	" SELECT 'email', ?, a.email, a.id, c.id, JSON_OBJECT('name', a.name, 'category', k.name, 'status', c.status," \
	" 'closing_reason', c.closing_reason, 'reason', ?)"                                                          \
	" FROM complaints c JOIN accounts a ON a.id = c." recipient_column " JOIN categories k ON k.id = c.category_id"
/* ... and only when its recipient has not switched its kind off (migration 0012): the kind is
 * the last parameter again. Security mails never come through these statements. */
#define DB_OUTBOX_SWITCHED_ON \
	" AND NOT EXISTS (SELECT 1 FROM notification_optouts o WHERE o.account_id = a.id AND o.kind = ?)"
#define DB_OUTBOX_MOVED " WHERE c.id = ? AND @complaint_moved = 1" DB_OUTBOX_SWITCHED_ON

/* Each follower of the complaint (migration 0015); its reason parameter is always NULL. */
#define DB_OUTBOX_FOLLOWERS                                                                                   \
	"INSERT INTO notifications (channel, kind, recipient, account_id, complaint_id, data)"                       \
	" SELECT 'email', ?, a.email, a.id, c.id, JSON_OBJECT('name', a.name, 'category', k.name, 'status', c.status," \
	" 'closing_reason', c.closing_reason, 'reason', ?)"                                                          \
	" FROM complaints c JOIN complaint_followers f ON f.complaint_id = c.id JOIN accounts a ON a.id = f.account_id" \
	" JOIN categories k ON k.id = c.category_id"

static const char *const db_outbox_moved[] = {
	[MAIL_TO_REPORTER] = DB_OUTBOX_INSERT("reporter_id") DB_OUTBOX_MOVED,
	[MAIL_TO_AGENT] = DB_OUTBOX_INSERT("assigned_agent_id") DB_OUTBOX_MOVED,
	[MAIL_TO_FOLLOWERS] = DB_OUTBOX_FOLLOWERS DB_OUTBOX_MOVED,
};

static const char *const db_outbox_filed_insert =
	DB_OUTBOX_INSERT("reporter_id") " WHERE c.submit_token = ?" DB_OUTBOX_SWITCHED_ON;

#define DB_OUTBOX_AUTO_ASSIGNED " WHERE c.submit_token = ? AND @auto_agent IS NOT NULL" DB_OUTBOX_SWITCHED_ON
static const char *const db_outbox_auto_assigned_inserts[] = {
	[MAIL_TO_REPORTER] = DB_OUTBOX_INSERT("reporter_id") DB_OUTBOX_AUTO_ASSIGNED,
	[MAIL_TO_AGENT] = DB_OUTBOX_INSERT("assigned_agent_id") DB_OUTBOX_AUTO_ASSIGNED,
};

size_t db_outbox_move(struct db_outbox_event *event, const char *action, int64_t complaint_id, const char *reason,
                      struct repl_sql_statement *out)
{
	const struct mail_kind *kinds[MAIL_KINDS_PER_EVENT];
	size_t count = mail_kinds_of_event(action, kinds, MAIL_KINDS_PER_EVENT);
	for (size_t i = 0; i < count; i++) {
		struct repl_sql_param *p = event->params[i];
		p[0] = db_text(kinds[i]->kind);
		/* A follower reads the restricted form only: never the change's words. */
		p[1] = db_text_or_null(kinds[i]->to == MAIL_TO_FOLLOWERS ? NULL : reason);
		p[2] = db_integer(complaint_id);
		p[3] = db_text(kinds[i]->kind);
		out[i] = (struct repl_sql_statement){db_outbox_moved[kinds[i]->to], p, 4, false};
	}
	return count;
}

size_t db_outbox_filed(struct db_outbox_event *event, const uint8_t *submit_token, size_t token_len,
                       struct repl_sql_statement *out)
{
	struct repl_sql_param *p = event->params[0];
	p[0] = db_text("filed");
	p[1] = db_text_or_null(NULL);
	p[2] = db_bytes(submit_token, token_len);
	p[3] = db_text("filed");
	out[0] = (struct repl_sql_statement){db_outbox_filed_insert, p, 4, false};
	return 1;
}

size_t db_outbox_auto_assigned(struct db_outbox_event *event, const char *action, const uint8_t *submit_token,
                               size_t token_len, struct repl_sql_statement *out)
{
	const struct mail_kind *kinds[MAIL_KINDS_PER_EVENT];
	size_t count = mail_kinds_of_event(action, kinds, MAIL_KINDS_PER_EVENT);
	for (size_t i = 0; i < count; i++) {
		struct repl_sql_param *p = event->params[i];
		p[0] = db_text(kinds[i]->kind);
		p[1] = db_text_or_null(NULL);
		p[2] = db_bytes(submit_token, token_len);
		p[3] = db_text(kinds[i]->kind);
		out[i] = (struct repl_sql_statement){db_outbox_auto_assigned_inserts[kinds[i]->to], p, 4, false};
	}
	return count;
}

/* An account mail's INSERT: only the name for its templates; the token, if any, comes later. */
#define DB_OUTBOX_ACCOUNT_INSERT(kind)                                                                     \
	"INSERT INTO notifications (channel, kind, recipient, account_id, data)"                                 \
	" SELECT 'email', " kind ", a.email, a.id, JSON_OBJECT('name', a.name) FROM accounts a"

void db_outbox_account_by_email(struct db_outbox_event *event, const char *kind, const char *email,
                                struct repl_sql_statement *out)
{
	struct repl_sql_param *p = event->params[0];
	p[0] = db_text(kind);
	p[1] = db_text(email);
	*out = (struct repl_sql_statement){
		DB_OUTBOX_ACCOUNT_INSERT("?") " WHERE a.email_key = LOWER(?) AND a.disabled_at IS NULL", p, 2, false};
}

void db_outbox_account_new(struct db_outbox_event *event, const char *kind, struct repl_sql_statement *out)
{
	struct repl_sql_param *p = event->params[0];
	p[0] = db_text(kind);
	*out = (struct repl_sql_statement){DB_OUTBOX_ACCOUNT_INSERT("?") " WHERE a.id = LAST_INSERT_ID()", p, 1, false};
}

void db_outbox_confirm_again(struct db_outbox_event *event, int64_t account_id, struct repl_sql_statement *out)
{
	struct repl_sql_param *p = event->params[0];
	p[0] = db_integer(account_id);
	*out = (struct repl_sql_statement){
		DB_OUTBOX_ACCOUNT_INSERT("'confirm'") " WHERE a.id = ? AND a.email_confirmed_at IS NULL AND a.disabled_at IS NULL",
		p, 1, false};
}

void db_outbox_invite_again(struct db_outbox_event *event, int64_t agent_id, struct repl_sql_statement *out)
{
	struct repl_sql_param *p = event->params[0];
	p[0] = db_integer(agent_id);
	p[1] = db_text(PASSWORD_HASH_NONE);
	*out = (struct repl_sql_statement){
		DB_OUTBOX_ACCOUNT_INSERT("'invite'")
		" WHERE a.id = ? AND a.role = 'agent' AND a.password_hash = ? AND a.disabled_at IS NULL",
		p, 2, false};
}

void db_outbox_signup(struct db_outbox_event *event, const char *email, struct repl_sql_statement *out)
{
	struct repl_sql_param *p = event->params[0];
	p[0] = db_text(email);
	*out = (struct repl_sql_statement){
		DB_OUTBOX_ACCOUNT_INSERT("IF(@account_new = 1, 'confirm', 'signup_taken')")
		" WHERE a.email_key = LOWER(?) AND (@account_new = 1 OR a.disabled_at IS NULL)", p, 1, false};
}

enum db_status db_outbox_claim(struct db *db, struct arena *arena, const char *claim, long long lease_ms,
                               struct db_notification *out, size_t max, size_t *count)
{
	struct repl_sql_param due[] = {db_text(claim), db_integer(lease_ms * 1000), db_integer((int64_t)max)};
	const struct repl_sql_statement claims[] = {
		/* Oldest due first; a concurrent claimer waits for these rows' locks, then finds them
		 * taken and passes on (the WHERE is checked again on the committed row). */
		{"UPDATE notifications SET status = 'sending', claimed_by = ?,"
		 " lease_until = UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND"
		 " WHERE status = 'pending' AND next_attempt_at <= UTC_TIMESTAMP(3) ORDER BY next_attempt_at, id LIMIT ?",
		 due, 3, false},
		/* A holder that died: its messages are due again (a repeat keeps its Message-ID). */
		{"UPDATE notifications SET claimed_by = ?, lease_until = UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND"
		 " WHERE status = 'sending' AND lease_until < UTC_TIMESTAMP(3) ORDER BY lease_until, id LIMIT ?",
		 due, 3, false},
	};
	struct repl_sql_param mine[] = {db_text(claim)};
	const struct repl_sql_statement read = {
		"SELECT id, COALESCE(complaint_id, 0) AS complaint_id, COALESCE(account_id, 0) AS account_id, kind, recipient,"
		 " COALESCE(data, '{}') AS data, attempts"
		" FROM notifications WHERE claimed_by = ? AND status = 'sending' ORDER BY id",
		mine, 1, true};
	const struct repl_sql_rows *rows = NULL;
	*count = 0;
	enum db_status status = db_write(db, claims, 2, NULL);
	if (status != DB_OK)
		return status;
	status = db_read(db, arena, DB_READ_PRIMARY, &read, 1, NULL, &rows);
	if (status != DB_OK)
		return status;
	for (size_t i = 0; i < rows->row_count && *count < max; i++) {
		struct db_notification *n = &out[(*count)++];
		n->id = db_column_integer(rows, i, "id");
		n->complaint_id = db_column_integer(rows, i, "complaint_id");
		n->account_id = db_column_integer(rows, i, "account_id");
		n->kind = db_column_text(rows, i, "kind");
		n->recipient = db_column_text(rows, i, "recipient");
		n->data = db_column_text(rows, i, "data");
		n->attempts = (unsigned)db_column_integer(rows, i, "attempts");
	}
	return DB_OK;
}

enum db_status db_outbox_take(struct db *db, int64_t id, const char *claim, long long lease_ms, bool *taken)
{
	struct repl_sql_param params[] = {db_integer(lease_ms * 1000), db_integer(id), db_text(claim)};
	const struct repl_sql_statement statement = {
		"UPDATE notifications SET lease_until = UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND"
		" WHERE id = ? AND claimed_by = ? AND status = 'sending'",
		params, 3, false};
	struct db_written written = {0};
	enum db_status status = db_write(db, &statement, 1, &written);
	*taken = status == DB_OK && written.affected_rows == 1;
	return status;
}

enum db_status db_outbox_sent(struct db *db, int64_t id, const char *claim)
{
	struct repl_sql_param params[] = {db_integer(id), db_text(claim)};
	const struct repl_sql_statement statement = {
		"UPDATE notifications SET status = 'sent', sent_at = UTC_TIMESTAMP(3), attempts = attempts + 1,"
		" lease_until = NULL, last_error = NULL WHERE id = ? AND claimed_by = ? AND status = 'sending'",
		params, 2, false};
	return db_write(db, &statement, 1, NULL);
}

enum db_status db_outbox_failed(struct db *db, int64_t id, const char *claim, long long retry_ms, bool for_good,
                                long long max_attempts, const char *last_error)
{
	struct repl_sql_param params[] = {db_integer(for_good), db_integer(max_attempts), db_integer(retry_ms * 1000),
	                                  db_text(last_error), db_integer(id), db_text(claim)};
	const struct repl_sql_statement statement = {
		"UPDATE notifications SET status = IF(? OR attempts + 1 >= ?, 'failed', 'pending'), attempts = attempts + 1,"
		" next_attempt_at = UTC_TIMESTAMP(3) + INTERVAL ? MICROSECOND, lease_until = NULL, last_error = LEFT(?, 500)"
		" WHERE id = ? AND claimed_by = ? AND status = 'sending'",
		params, 6, false};
	return db_write(db, &statement, 1, NULL);
}

enum db_status db_outbox_release(struct db *db, const char *claim)
{
	struct repl_sql_param params[] = {db_text(claim)};
	const struct repl_sql_statement statement = {
		"UPDATE notifications SET status = 'pending', lease_until = NULL, claimed_by = NULL"
		" WHERE claimed_by = ? AND status = 'sending'",
		params, 1, false};
	return db_write(db, &statement, 1, NULL);
}

enum db_status db_outbox_failed_list(struct db *db, struct arena *arena, struct db_failed_notification *out,
                                     size_t max, size_t *count)
{
	struct repl_sql_param params[] = {db_integer((int64_t)max)};
	const struct repl_sql_statement statement = {
		"SELECT id, COALESCE(complaint_id, 0) AS complaint_id, COALESCE(account_id, 0) AS account_id, kind, recipient, attempts, last_error, created_at"
		" FROM notifications WHERE status = 'failed' ORDER BY id DESC LIMIT ?",
		params, 1, true};
	const struct repl_sql_rows *rows = NULL;
	*count = 0;
	enum db_status status = db_read(db, arena, DB_READ_PRIMARY, &statement, 1, NULL, &rows);
	if (status != DB_OK)
		return status;
	for (size_t i = 0; i < rows->row_count && *count < max; i++) {
		struct db_failed_notification *n = &out[(*count)++];
		n->id = db_column_integer(rows, i, "id");
		n->complaint_id = db_column_integer(rows, i, "complaint_id");
		n->kind = db_column_text(rows, i, "kind");
		n->recipient = db_column_text(rows, i, "recipient");
		n->attempts = (unsigned)db_column_integer(rows, i, "attempts");
		n->last_error = db_column_text(rows, i, "last_error");
		n->created_at = db_column_text(rows, i, "created_at");
	}
	return DB_OK;
}

enum db_status db_outbox_retry(struct db *db, int64_t actor_id, int64_t id, bool *found)
{
	struct repl_sql_param retry[] = {db_integer(id)};
	struct repl_sql_param log[] = {db_integer(actor_id), db_integer(id)};
	const struct repl_sql_statement statements[] = {
		{"UPDATE notifications SET status = 'pending', attempts = 0, next_attempt_at = UTC_TIMESTAMP(3),"
		 " lease_until = NULL, claimed_by = NULL WHERE id = ? AND status = 'failed'",
		 retry, 1, false},
		{"SET @notification_retried = ROW_COUNT()", NULL, 0, false},
		{"INSERT INTO admin_log (actor_id, action, detail) SELECT ?, 'notification_retry', CONCAT('notification ', ?)"
		 " FROM DUAL WHERE @notification_retried = 1",
		 log, 2, false},
	};
	struct db_written written = {0};
	*found = false;
	enum db_status status = db_write(db, statements, 3, &written);
	*found = status == DB_OK && written.affected_rows == 1;
	return status;
}

enum db_status db_outbox_count(struct db *db, struct arena *arena, struct db_outbox_counts *counts)
{
	const struct repl_sql_statement statement = {
		"SELECT status, COUNT(*) AS messages FROM notifications"
		" WHERE status IN ('pending', 'sending', 'failed') GROUP BY status",
		NULL, 0, true};
	const struct repl_sql_rows *rows = NULL;
	memset(counts, 0, sizeof(*counts));
	enum db_status status = db_read(db, arena, DB_READ_ANY, &statement, 1, NULL, &rows);
	if (status != DB_OK)
		return status;
	for (size_t i = 0; i < rows->row_count; i++) {
		const char *name = db_column_text(rows, i, "status");
		uint64_t messages = (uint64_t)db_column_integer(rows, i, "messages");
		if (name != NULL && strcmp(name, "failed") == 0)
			counts->failed += messages;
		else
			counts->waiting += messages;
	}
	return DB_OK;
}
