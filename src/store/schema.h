/*
 * schema.h: whether the database's schema is ready for this binary, and the background
 * children's wait for it.
 *
 * Ready means the newest migration recorded in schema_migrations is at least the newest this
 * build carries (SCHEMA_VERSION_NEWEST, made by make from Makefile.am's migration list): the one
 * place that judges it. A newer schema counts as ready (migrations add; another host's newer
 * binary may have migrated first). The notifier, the timer and photo-repair (with its backfill)
 * ask before their first statement and again after a statement of theirs failed on a missing
 * table or column (db_schema_gap_seen); while the schema is behind, each logs one line and asks
 * again after 1 s, 2 s, 4 s, then every 5 s, running nothing else. The web workers do not wait:
 * their pages answer 503 when the database fails them.
 */
#ifndef SCHEMA_H
#define SCHEMA_H

#include <stdbool.h>

#include "store/db.h"

struct arena;

/* The schema as one check found it. */
struct schema_state {
	unsigned applied;   /* the newest migration recorded (0: none) */
	unsigned needed;    /* the newest this binary carries */
	bool ready;
};

/* Reads the schema's state once (db_schema_applied) and judges it. */
enum db_status schema_check(struct db *db, struct arena *arena, struct schema_state *state);

/* One child's wait: who names it in the log ("notifier"); ready once a check found the schema
 * ready, until a statement fails on a missing table or column. Starts {who, false}. */
struct schema_guard {
	const char *who;
	bool ready;
};

/* Returns at once while guard is ready and no statement met a missing table or column since the
 * last call; otherwise checks, and while the schema is behind (or cannot be read) waits and checks
 * again with a backoff. True when the schema is ready, false when the process was asked to stop
 * (before the call too: a child's loop may stand on it alone). The arena is reset. */
bool schema_wait(struct schema_guard *guard, struct db *db, struct arena *arena);

#endif
