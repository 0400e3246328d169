/*
 * db_nearby.h: complaints near a place, as core/nearby.c's rules have them: the filing form's
 * "Is it one of these?" (restricted to what a resident may see of someone else's complaint), the
 * admin's full list beside a complaint, following one instead of filing again (store/db_complaints.c's
 * My complaints lists the followed ones), the restricted page of one, and the per-account count of lookups
 * (statements in db_nearby.c).
 */
#ifndef DB_NEARBY_H
#define DB_NEARBY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

struct arena;
struct db_session;

/* A nearby complaint. A resident's lookup fills only id, category, status, age_days and
 * distance_m; the admin's also description, address and reporter. */
struct db_nearby {
	int64_t id;
	const char *category;
	const char *status;
	int64_t age_days;             /* whole days since it was filed */
	double distance_m;            /* from the place asked about, unrounded */
	const char *description;      /* admin only */
	const char *address;          /* admin only; NULL: none */
	const char *reporter;         /* admin only */
};

/* Open complaints of the category (its code) within NEARBY_RADIUS_M of (lat, lon), filed in the
 * last NEARBY_DAYS days, nearest first, at most max (db.read). lat, lon: decimal text. */
enum db_status db_nearby_by_category(struct db *db, struct arena *arena, const struct db_session *session,
                                     const char *category_code, const char *lat, const char *lon,
                                     struct db_nearby *out, size_t max, size_t *count);
/* The same around complaint id (its category and place, itself left out), with every column: the
 * admin's page (db.read). A complaint without a position has none. */
enum db_status db_nearby_of_complaint(struct db *db, struct arena *arena, const struct db_session *session,
                                      int64_t id, const char *lat, const char *lon, struct db_nearby *out,
                                      size_t max, size_t *count);

/* Counts one lookup of the session's account in its window (a window older than NEARBY_WINDOW_S
 * starts again) and reads the count back, this one included (db.write, then db.primary). */
enum db_status db_nearby_count_lookup(struct db *db, struct arena *arena, struct db_session *session,
                                      int64_t *lookups);

/* The session's account follows complaint id, distance_m (rounded) from the place it gave;
 * following twice is following once, following one's own complaint does nothing (db.write). */
enum db_status db_nearby_follow(struct db *db, struct db_session *session, int64_t id, int64_t distance_m);

/* What a resident may see of someone else's complaint: the restricted form. */
struct db_glimpse {
	int64_t id;
	const char *category;
	const char *status;
	const char *closing_reason;   /* NULL: none */
	int64_t age_days;
	int64_t distance_m;           /* rounded; -1: unknown (no position) */
	bool followed;                /* the caller follows it (else their complaint is its duplicate) */
};

/* Complaint id in the restricted form, when the session's account follows it or filed a complaint
 * rejected as its duplicate; DB_NOT_FOUND otherwise (db.read). */
enum db_status db_nearby_glimpse(struct db *db, struct arena *arena, const struct db_session *session, int64_t id,
                                 struct db_glimpse *out);

/* For the test that ANALYZEs it (test/nearby-sql): the resident's lookup by category with its
 * parameters written in as SQL literals (arena); NULL for a place that is not a number or a code
 * that is not [a-z0-9_-]. */
const char *db_nearby_sql_inline(struct arena *arena, const char *category_code, const char *lat, const char *lon);

#endif
