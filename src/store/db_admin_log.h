/*
 * db_admin_log.h: the admin log in the database (/admin/log): its rows newest first, filtered by
 * admin, action and target, a keyset page at a time (never OFFSET), and the admins who may be
 * chosen. Rows are written by each action's own transaction (db_agents.c, db_complaints.c,
 * db_categories.c, db_outbox.c, db_accounts.c); nothing here writes. (Statements in
 * db_admin_log.c.)
 */
#ifndef DB_ADMIN_LOG_H
#define DB_ADMIN_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

struct arena;
struct db_session;

enum db_admin_log_target { DB_ADMIN_LOG_ANY = 0, DB_ADMIN_LOG_COMPLAINT, DB_ADMIN_LOG_ACCOUNT, DB_ADMIN_LOG_CATEGORY };

#define DB_ADMIN_LOG_TIME_SIZE 24   /* "YYYY-MM-DD HH:MM:SS.mmm" */

struct db_admin_log_filter {
	int64_t actor_id;                     /* 0: any admin */
	const char *action;                   /* NULL: any */
	enum db_admin_log_target target;
	int64_t target_id;                    /* with a target kind */
	/* The keyset: rows older than (after_at, after_id); after_id 0: the newest first. */
	char after_at[DB_ADMIN_LOG_TIME_SIZE];
	int64_t after_id;
};

struct db_admin_log_row {
	int64_t id;
	const char *at;
	const char *actor;                    /* the admin's name; NULL: the server (complaintctl) */
	int64_t actor_id;
	const char *action;
	int64_t complaint_id;                 /* 0: none */
	int64_t account_id;
	const char *account;                  /* the target account's name */
	int64_t category_id;
	const char *category;                 /* the target category's name */
	const char *detail;
};

/* One page of rows (limit), and whether more follow (db.read). */
enum db_status db_admin_log_page(struct db *db, struct arena *arena, const struct db_session *session,
                                 const struct db_admin_log_filter *filter, size_t limit,
                                 struct db_admin_log_row *out, size_t *count, bool *more);

struct db_admin_log_admin {
	int64_t id;
	const char *name;
};

/* Every admin account, by name (db.read). */
enum db_status db_admin_log_admins(struct db *db, struct arena *arena, const struct db_session *session,
                                   struct db_admin_log_admin *out, size_t max, size_t *count);

#endif
