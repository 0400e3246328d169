/*
 * db.h: every SQL statement complaintd runs, prepared, through librepl's database operations.
 *
 * Three operations over the [db] replica set, each counted under its own name in the replica
 * statistics:
 *   db.write    a transaction that changes data, under [db] write (default retry(n=2, seq(db)):
 *               the primary, then the standby once promoted); never run in parallel (not
 *               idempotent); the GTID of its commit is captured.
 *   db.primary  a read that must see every acknowledged write (sessions, CSRF secrets,
 *               credentials), under the write policy but read-only.
 *   db.read     any other read, under [db] read; a replica that has not applied the session's
 *               last write (its GTID) answers "absent here" and the next one is asked.
 * Read-your-writes: after a session's write commits, its GTID is stored in the session row, and
 * that session's db.read calls pass it along (DESIGN.md "Data").
 *
 * A `struct db` is made by the master at (re)load from the configuration (sets and policies
 * parsed once, so a bad policy refuses the reload); each worker opens its librepl client in
 * db_worker_start. Every function answers an enum db_status; rows are copied into the request's
 * arena. Nothing here logs a value a user typed or a secret.
 */
#ifndef DB_H
#define DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "token.h"

struct arena;
struct config;
struct repl_stats;
struct secrets;

enum db_status {
	DB_OK = 0,
	DB_NOT_FOUND,       /* no such row (or an expired session) */
	DB_DUPLICATE,       /* a unique key refused the write (e.g. the email is taken) */
	DB_UNAVAILABLE,     /* no replica could run it within the deadline: nothing was written */
	DB_UNKNOWN,         /* the commit may or may not have happened (connection lost after COMMIT) */
	DB_NOT_CONFIGURED,  /* [db] replicas is empty */
};

const char *db_strerror(enum db_status status);

struct db;

#define DB_GTID_SIZE 256     /* sessions.last_write_gtid VARCHAR(255) */

/* Parses the [db] set and policies. NULL on failure, with error "[db] key: reason". A config
 * without [db] replicas gives a db whose every call answers DB_NOT_CONFIGURED. */
struct db *db_new(const struct config *config, const struct secrets *secrets, char *error, size_t error_size);
void db_free(struct db *db);
/* In a worker after fork: its own librepl client (connections made on first use); stats may be NULL. */
int db_worker_start(struct db *db, struct repl_stats *stats, char *error, size_t error_size);
void db_worker_stop(struct db *db);
bool db_configured(const struct db *db);

/* A signed-in session as the dispatcher sees it (read from the primary). */
struct db_session {
	int64_t id;
	int64_t account_id;
	uint8_t csrf_secret[TOKEN_CSRF_SECRET_SIZE];
	char last_write_gtid[DB_GTID_SIZE];  /* "" before the session's first write */
	const char *role;                    /* "user", "agent", "admin" (arena) */
	const char *name;                    /* the account's name (arena) */
};

/* A new session's credentials: the token's hash and its CSRF secret. */
struct db_new_session {
	uint8_t token_hash[TOKEN_HASH_SIZE];
	uint8_t csrf_secret[TOKEN_CSRF_SECRET_SIZE];
};

struct db_account {
	int64_t id;
	const char *role;
	const char *name;
	const char *email;
	const char *created_at;              /* "YYYY-MM-DD HH:MM:SS.mmm" UTC */
};

/* What sign-in and password changes check against (read from the primary). */
struct db_credentials {
	int64_t account_id;
	const char *password_hash;
	bool disabled;
};

/* Sign-up: the account (role "user") and its first session, in one transaction. DB_DUPLICATE
 * when the email is registered (compared case-insensitively). */
enum db_status db_signup(struct db *db, const char *name, const char *email, const char *password_hash,
                         const struct db_new_session *session, int64_t *account_id);
/* An account made by an operator (complaintctl create-admin): role "admin" or "agent". */
enum db_status db_account_create(struct db *db, const char *role, const char *name, const char *email,
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
