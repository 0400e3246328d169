/*
 * db.h: the app's database, through librepl's database operations: the handle, its statuses and
 * its setup. The statements are by domain, each over the one core of db.c (db_core.h):
 * db_accounts.h (accounts and sessions), db_complaints.h (categories and complaints),
 * db_repairs.h (the photo-repair queue).
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
 * db_worker_start. Every function answers an enum db_status; what a read returns lives in the
 * request's arena. Nothing here logs a value a user typed or a secret.
 */
#ifndef DB_H
#define DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
/* True when, since the last call, a statement of this process failed for a table or a column the
 * database does not have (MariaDB's 1146, 1054): its schema is behind this binary's (the
 * background children then wait for it, store/schema.h). */
bool db_schema_gap_seen(struct db *db);

#endif
