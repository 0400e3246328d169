/*
 * db_complaints.h: categories and complaints in the database: the filing form's categories,
 * filing (with its first status_track row and the photo repairs its put left), a resident's
 * list and one complaint with its timeline (statements in db_complaints.c).
 */
#ifndef DB_COMPLAINTS_H
#define DB_COMPLAINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

struct arena;
struct db_session;

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
enum db_status db_complaint_file(struct db *db, struct arena *arena, struct db_session *session,
                                 const struct db_new_complaint *complaint, int64_t *id, bool *existing);

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

#endif
