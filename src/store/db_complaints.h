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
	long long target_days;   /* the target: days, or hours when target_hours is not 0 */
	long long target_hours;
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
	/* UTC "YYYY-MM-DD HH:MM:SS.mmm": when it is filed, and its due date by its category's target
	 * (core/due.c, in the city's zone), both from the same clock reading. */
	const char *filed_at, *due_at;
	uint8_t submit_token[DB_SUBMIT_TOKEN_SIZE];
	/* Replicas the photo's put left without it: recorded for the timer's repair. */
	const char *const *repair_replicas;
	size_t repair_count;
	/* Auto-assignment ([workflow] auto_assign, and the caller let it): in the filing's
	 * transaction, the assign row of the status machine to the active agent of the category's
	 * pool with the fewest open complaints (ties: the one whose last assignment is oldest), actor
	 * NULL; no agent in the pool active: it stays submitted. */
	bool auto_assign;
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
	const char *due_at;
	bool reopened;                /* reopened by the resident since the agent last acted */
	bool overdue;                 /* past its due date, still submitted, assigned or in progress */
	/* DB_LIST_MINE only: someone else's complaint the account follows (description NULL: the
	 * restricted form), with the distance it was shown, rounded. */
	bool followed;
	int64_t distance_m;
};

/* The lists of complaints, each with its order. */
enum db_complaint_list {
	DB_LIST_MINE = 0,       /* the session's account filed or follows them: newest first (a followed
	                         * one by when it was followed) */
	DB_LIST_AGENT,          /* assigned to the session's agent now: reopened first, then by due date */
	DB_LIST_UNASSIGNED,     /* submitted, waiting for an agent: oldest first */
	DB_LIST_REOPENED,       /* reopened by their resident, not yet acted on: oldest reopening first */
	DB_LIST_AGENT_OVERDUE,  /* the session's agent's, past their due date: the longest overdue first */
};

/* A list's rows [offset, offset + limit), and whether more follow (db.read). */
enum db_status db_complaints_list(struct db *db, struct arena *arena, const struct db_session *session,
                                  enum db_complaint_list list, size_t offset, size_t limit,
                                  struct db_complaint_summary *out, size_t *count, bool *more);

struct db_status_entry {
	const char *at;
	const char *action;
	const char *to_status;
	const char *reason;           /* NULL: none */
	const char *actor;            /* the actor's name; NULL: the system */
};

/* An update on a complaint: public, or an internal note (staff only). */
struct db_update {
	int64_t id;
	const char *at;
	const char *author;
	const char *body;
	const char *image_key;        /* NULL: no photo */
	bool internal;
};

#define DB_UPDATES_MAX 200

#define DB_TIMELINE_MAX 200

struct db_complaint {
	int64_t id;
	int64_t reporter_id;
	int64_t assigned_agent_id;    /* 0: none */
	bool agent_active;            /* the assigned agent's account is an active agent's */
	const char *category;
	const char *status;
	const char *closing_reason;   /* NULL: none */
	const char *description;
	const char *address;          /* NULL: none */
	const char *lat, *lon;        /* NULL: none */
	const char *image_key;        /* NULL: no photo */
	const char *created_at;
	const char *due_at;
	const char *reopened_at;      /* NULL: not reopened since the agent last acted */
	const char *held_since;       /* NULL: in the queue; else held until its reporter confirms their address */
	int64_t version;              /* what a change must name (UPDATE ... AND version = ?) */
	int64_t duplicate_of_id;      /* 0: none */
	struct db_status_entry *timeline;  /* oldest first (arena) */
	size_t timeline_count;
	struct db_update *updates;    /* oldest first (arena); internal ones only for staff */
	size_t update_count;
};

/* A complaint the session may see — its reporter's, its assigned agent's, or any for an admin —
 * with its timeline and updates (internal notes only for its assigned agent and admins), read in
 * one SELECT; DB_NOT_FOUND otherwise, the same answer as for no such complaint (db.read). */
enum db_status db_complaint_get(struct db *db, struct arena *arena, const struct db_session *session, int64_t id,
                                struct db_complaint *out);

struct workflow_transition;

/* One change of a complaint's status: a row of core/workflow.c's table and what it carries. */
struct db_move {
	const struct workflow_transition *row;
	int64_t complaint_id;
	int64_t version;              /* the version the actor's page showed */
	int64_t actor_id;             /* 0: the system (the timer) */
	const char *reason;           /* status_track.reason; NULL: none */
	const char *closing_reason;   /* a reject's chosen reason; NULL: the row's */
	int64_t agent_id;             /* the chosen agent of an assign or reassign */
	int64_t duplicate_of_id;      /* 0: none */
	const char *update_body;      /* a public update written with the change; NULL: none */
	const char *update_image_key; /* its photo; NULL: none */
	/* Replicas the photo's put left without it: photo_repairs rows, written only with the change. */
	const char *const *repair_replicas;
	size_t repair_count;
	int rating;                   /* 1-5: a feedback row with comment; 0: none */
	const char *comment;
	bool admin_log;               /* an admin's action: one admin_log row too */
	const char *log_detail;       /* its detail when there is no reason (e.g. a bulk action); NULL: none */
};

/* Makes the change as one transaction: UPDATE complaints ... WHERE id = ? AND version = ? AND
 * status = <the row's from> (an assign also needs an active agent), and only when that changed the
 * row, one status_track row, the public update (and its photo's repairs), the feedback and the
 * admin_log row. *moved false:
 * the complaint was not where the actor saw it (a concurrent change won): nothing was written.
 * session may be NULL (the timer). */
enum db_status db_complaint_move(struct db *db, struct db_session *session, const struct db_move *move, bool *moved);

/* Adds an update (public, or an internal note) to a complaint, with an admin_log row when
 * admin_log (db.write). */
enum db_status db_complaint_note(struct db *db, struct db_session *session, int64_t complaint_id, bool internal,
                                 const char *body, bool admin_log);

struct db_feedback_due {
	int64_t id;
	int64_t version;
};

/* Resolved complaints whose resolution is older than period_ms, oldest first, at most max
 * (db.primary: the timer changes what it reads). */
enum db_status db_complaints_feedback_due(struct db *db, struct arena *arena, long long period_ms,
                                          struct db_feedback_due *out, size_t max, size_t *count);

struct db_agent {
	int64_t id;
	const char *name;
	int64_t open_count;           /* assigned or in progress now */
};

#define DB_AGENTS_MAX 200

/* The active agents, by name, with their open complaints (db.read). */
enum db_status db_agents_active(struct db *db, struct arena *arena, const struct db_session *session,
                                struct db_agent *out, size_t max, size_t *count);

/* Whether the account of that id is an active agent, with its name (name may be NULL): DB_OK, or
 * DB_NOT_FOUND for anyone else (db.read). */
enum db_status db_agent_active(struct db *db, struct arena *arena, const struct db_session *session, int64_t id,
                               const char **name);

/* Whether a complaint of that id exists (a duplicate's original; db.read). */
enum db_status db_complaint_exists(struct db *db, struct arena *arena, const struct db_session *session, int64_t id);

#endif
