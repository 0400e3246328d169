/*
 * db_categories.h: the admin's categories page in the database (/admin/categories): every
 * category, active or not, with its target and its auto-assignment pool; adding one; editing one
 * (name, target, order, active, pool). Each write is one transaction with its admin_log row.
 * Categories are never deleted: complaints point at them. (Statements in db_categories.c.)
 */
#ifndef DB_CATEGORIES_H
#define DB_CATEGORIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

struct arena;
struct db_session;

#define DB_CATEGORY_POOL_MAX 64    /* agents in one category's pool */

struct db_category_row {
	int64_t id;
	const char *code, *name;
	long long target_days, target_hours;   /* target_hours 0: the target is in days */
	long long sort_order;
	bool active;
	const char *pool;                      /* the pool's agent ids, "3,7,12" ("": none) */
};

/* What an admin sets on a category; pool: agent ids (accounts that are not agents are skipped). */
struct db_category_edit {
	const char *name;
	unsigned target_days, target_hours;    /* core/due.c's due_target_stored */
	const char *target_text;               /* "3d", for the log */
	unsigned sort_order;
	bool active;
	const int64_t *pool;
	size_t pool_count;
};

/* Every category in form order, inactive ones too (db.read). */
enum db_status db_categories_all(struct db *db, struct arena *arena, const struct db_session *session,
                                 struct db_category_row *out, size_t max, size_t *count);

/* Adds an active category with an empty pool; DB_DUPLICATE: the code is taken. */
enum db_status db_categories_add(struct db *db, struct db_session *session, const char *code,
                                 const struct db_category_edit *edit, int64_t *id);

/* Sets a category's name, target, order, active flag and pool; *found false: no category of
 * that id (nothing written). The due dates of complaints filed already stay. */
enum db_status db_categories_edit(struct db *db, struct db_session *session, int64_t id,
                                  const struct db_category_edit *edit, bool *found);

#endif
