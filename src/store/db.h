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

#include "core/account.h"
#include "core/token.h"

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
};

/* What sign-in and password changes check against (read from the primary). */
struct db_credentials {
	int64_t account_id;
	const char *password_hash;
	bool disabled;
};

/* Sign-up: the account (a resident) and its first session, in one transaction. DB_DUPLICATE
 * when the email is registered (compared by LOWER(email): letter case only, not accents). */
enum db_status db_signup(struct db *db, const char *name, const char *email, const char *password_hash,
                         const struct db_new_session *session, int64_t *account_id);
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

/* ---- complaints ---- */

struct db_category {
	const char *code;        /* the Open311 service_code, the form's option value */
	const char *name;
};

#define DB_CATEGORIES_MAX 64

/* The active categories, in form order (db.read). */
enum db_status db_categories(struct db *db, struct arena *arena, struct db_category *out, size_t max, size_t *count);

#define DB_SUBMIT_TOKEN_SIZE 32   /* complaints.submit_token: SHA-256 of the form's token */
#define DB_REPAIRS_MAX 16         /* replicas a photo may be missing on */

struct db_new_complaint {
	const char *category_code;
	const char *description;
	const char *address;          /* NULL: none */
	const char *lat, *lon;        /* decimal text, both or neither (NULL) */
	const char *image_key;        /* NULL: no photo */
	uint8_t submit_token[DB_SUBMIT_TOKEN_SIZE];
	/* Replicas the photo's put left without it: recorded for the timer's repair. */
	const char *const *repair_replicas;
	size_t repair_count;
};

/* Files a complaint for the session's account with its first status_track row. *id is the new
 * complaint; when the submit token was used already by this account (a double click, a retried
 * POST), *id is that complaint and *existing is true. DB_NOT_FOUND: no active category of that
 * code. DB_DUPLICATE: the token belongs to someone else's complaint. */
enum db_status db_complaint_file(struct db *db, struct db_session *session, const struct db_new_complaint *complaint,
                                 int64_t *id, bool *existing);

struct db_complaint_summary {
	int64_t id;
	const char *category;
	const char *status;
	const char *description;
	const char *created_at;
};

/* The session's account's complaints, newest first: rows [offset, offset + limit), and whether
 * more follow (db.read). */
enum db_status db_complaints_mine(struct db *db, struct arena *arena, const struct db_session *session, size_t offset,
                                  size_t limit, struct db_complaint_summary *out, size_t *count, bool *more);

struct db_status_entry {
	const char *at;
	const char *action;
	const char *to_status;
	const char *reason;           /* NULL: none */
};

#define DB_TIMELINE_MAX 200

struct db_complaint {
	int64_t id;
	int64_t reporter_id;
	int64_t assigned_agent_id;    /* 0: none */
	const char *category;
	const char *status;
	const char *description;
	const char *address;          /* NULL: none */
	const char *lat, *lon;        /* NULL: none */
	const char *image_key;        /* NULL: no photo */
	const char *created_at;
	const char *due_at;
	struct db_status_entry *timeline;  /* oldest first (arena) */
	size_t timeline_count;
};

/* A complaint the session may see — its reporter's, its assigned agent's, or any for an admin —
 * with its timeline; DB_NOT_FOUND otherwise, the same answer as for no such complaint (db.read). */
enum db_status db_complaint_get(struct db *db, struct arena *arena, const struct db_session *session, int64_t id,
                                struct db_complaint *out);

/* ---- photo repairs (the timer child) ---- */

/* A queued copy; its strings are its own (the repair child resets its arena between copies). */
struct db_photo_repair {
	char image_key[65];
	char replica[33];
	unsigned attempts;
};

/* Repairs due now, oldest first (db.primary: the queue is the primary's). */
enum db_status db_photo_repairs_due(struct db *db, struct db_photo_repair *out, size_t max, size_t *count);
/* The copy was made: the row goes. */
enum db_status db_photo_repair_done(struct db *db, const struct db_photo_repair *repair);
/* The copy failed: try again after retry_seconds. */
enum db_status db_photo_repair_later(struct db *db, const struct db_photo_repair *repair, long retry_seconds);

#endif
