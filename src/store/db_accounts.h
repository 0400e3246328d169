/*
 * db_accounts.h: accounts and their sessions in the database: sign-up, operator-made accounts,
 * credentials, sessions (start, find, end) and password changes (statements in db_accounts.c).
 */
#ifndef DB_ACCOUNTS_H
#define DB_ACCOUNTS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/account.h"
#include "core/throttle.h"
#include "core/token.h"
#include "store/db.h"

struct arena;

/* A signed-in session as the dispatcher sees it (read from the primary). */
struct db_session {
	int64_t id;
	int64_t account_id;
	uint8_t csrf_secret[TOKEN_CSRF_SECRET_SIZE];
	char last_write_gtid[DB_GTID_SIZE];  /* "" before the session's first write */
	enum account_role role;
	const char *name;                    /* the account's name (arena) */
};

/* A new session's credentials: the token's hash and its CSRF secret. */
struct db_new_session {
	uint8_t token_hash[TOKEN_HASH_SIZE];
	uint8_t csrf_secret[TOKEN_CSRF_SECRET_SIZE];
};

struct db_account {
	int64_t id;
	enum account_role role;
	const char *name;
	const char *email;
	const char *created_at;              /* "YYYY-MM-DD HH:MM:SS.mmm" UTC */
	bool confirmed;                      /* email_confirmed_at is set (migration 0011) */
	const char *mail_off;                /* the kinds of mail it switched off, comma-separated and
	                                        sorted (notification_optouts); NULL: none */
};

/* What sign-in and password changes check against (read from the primary). */
struct db_credentials {
	int64_t account_id;
	const char *password_hash;
	bool disabled;
};

/* What a request that sends a mail counts in the throttle (store/db_throttle.h), in the mail's own
 * transaction: the subjects (typed email, client address) and the window. */
struct db_mail_request {
	const struct throttle_subjects *subjects;
	int64_t window_ms, forget_ms;
};

/* Sign-up, one transaction whatever the address: the account (a resident, address unconfirmed)
 * unless the address is registered (compared by LOWER(email): letter case only, not accents),
 * then the outbox row — "confirm" to the new account, or "signup_taken" to the address's owner —
 * and the request's throttle count. No session: the answer must not tell the two apart. Two
 * sign-ups of one new address at once: one makes the account, the other is DB_DUPLICATE (nothing
 * written; its caller answers the same). */
enum db_status db_signup(struct db *db, const char *name, const char *email, const char *password_hash,
                         const struct db_mail_request *request);
/* "Forgot your password?": an outbox row of kind reset to the active account of that address (none:
 * the same statement writes nothing) and the request's throttle count, in one transaction. */
enum db_status db_reset_request(struct db *db, const char *email, const struct db_mail_request *request);
/* "Send the confirmation link again" (the session's account): an outbox row of kind confirm to the
 * account while its address is unconfirmed and it is not disabled, and the request's throttle
 * count, in one transaction (the notifier's mint voids the older link when it sends the new one).
 * *queued false: the address was confirmed (maybe a moment ago) and no mail was queued. */
enum db_status db_confirm_again(struct db *db, struct db_session *session, const struct db_mail_request *request,
                                bool *queued);
/* An account made by an operator (complaintctl create-admin), an admin or an agent; an
 * admin_log row records it. */
enum db_status db_account_create(struct db *db, enum account_role role, const char *name, const char *email,
                                 const char *password_hash, int64_t *account_id);
enum db_status db_credentials_by_email(struct db *db, struct arena *arena, const char *email,
                                       struct db_credentials *out);
enum db_status db_credentials_by_id(struct db *db, struct arena *arena, int64_t account_id,
                                    struct db_credentials *out);
/* Sign-in: ends the session of replaced_token_hash (NULL: none), starts session, and stores
 * rehashed_password (NULL: unchanged) when the limits changed since it was made. */
enum db_status db_session_start(struct db *db, int64_t account_id, const uint8_t *replaced_token_hash,
                                const struct db_new_session *session, const char *rehashed_password);
/* The live session of a token hash: DB_NOT_FOUND when there is none, it is idle for longer than
 * idle_ms or older than absolute_ms, or its account is disabled. Marks it used (at most once a
 * minute: the idle clock has that resolution). */
enum db_status db_session_find(struct db *db, struct arena *arena, const uint8_t token_hash[TOKEN_HASH_SIZE],
                               long long idle_ms, long long absolute_ms, struct db_session *out);
/* Sign-out: deletes the session row. */
enum db_status db_session_end(struct db *db, int64_t session_id);
/* Stores a new password hash and ends every other session of the account. */
enum db_status db_password_change(struct db *db, struct db_session *session, const char *password_hash);
/* The session's own account, through db.read (a replica behind the session's writes is skipped). */
enum db_status db_account_get(struct db *db, struct arena *arena, const struct db_session *session,
                              struct db_account *out);

#endif
