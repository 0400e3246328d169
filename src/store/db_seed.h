/*
 * db_seed.h: seed data written in bulk (complaintctl seed): complaints with their past — their
 * status_track rows and public updates at the times they happened — in batches, one transaction
 * per batch. The rows are those the app writes (filing's INSERT with the due date from the
 * category's target_days, status_track rows of core/workflow.c's table, updates); only the times
 * are given instead of taken from the clock.
 */
#ifndef DB_SEED_H
#define DB_SEED_H

#include <stddef.h>
#include <stdint.h>

#include "store/db.h"
#include "store/db_complaints.h"

#define DB_SEED_STEPS_MAX 12

/* One status_track row: a row of core/workflow.c's table taken at a time. */
struct db_seed_step {
	const char *action, *from, *to;   /* status_track's names; from NULL: the 'submit' row */
	int64_t actor_id;                 /* 0: the system */
	const char *at;                   /* "YYYY-MM-DD HH:MM:SS", UTC */
	const char *reason;               /* NULL: none */
};

struct db_seed_complaint {
	const char *category_code;
	int64_t reporter_id;
	const char *description;
	const char *address;              /* NULL: none */
	const char *lat, *lon;            /* NULL: none */
	const char *status;
	const char *closing_reason;       /* NULL: none */
	int64_t agent_id;                 /* 0: none */
	const char *created_at, *updated_at;
	const char *assigned_at, *resolved_at, *closed_at, *reopened_at;  /* NULL: none */
	int64_t version;                  /* the moves made after filing */
	uint8_t submit_token[DB_SUBMIT_TOKEN_SIZE];
	struct db_seed_step steps[DB_SEED_STEPS_MAX];
	size_t step_count;
	const char *update_body;          /* the resolving agent's public update; NULL: none */
	const char *update_at;
};

#define DB_SEED_BATCH_MAX 100

/* Writes count (at most DB_SEED_BATCH_MAX) complaints and their rows as one transaction (db.write). */
enum db_status db_seed_complaints(struct db *db, const struct db_seed_complaint *batch, size_t count);

#endif
