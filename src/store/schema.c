/*
 * schema.c: the schema's readiness and the children's wait for it (see schema.h).
 *
 * Why the children wait rather than fail: started from the master's first moment, before
 * `complaintctl migrate` on a new install or during an upgrade whose binary came first, their
 * statements failed every ~200 ms with 1146 and 1054, each an error line and an "other" failure
 * in the replica statistics. One line per wait says what the operator must do instead.
 */
#include "schema.h"

#include "arena.h"
#include "log.h"
#include "runtime.h"
#include "schema_version.h"
#include "store/db_schema.h"

/* The cap is how long the end of a migration may wait for a child (mails resume, tests that
 * migrate and then expect a mail); a check is two reads of one row each, so 3 children asking
 * every 5 s for as long as nobody migrates cost the database nothing worth a longer one. */
#define SCHEMA_WAIT_FIRST_MS 1000LL
#define SCHEMA_WAIT_MAX_MS 5000LL

enum db_status schema_check(struct db *db, struct arena *arena, struct schema_state *state)
{
	state->needed = SCHEMA_VERSION_NEWEST;
	state->ready = false;
	enum db_status status = db_schema_applied(db, arena, &state->applied);
	if (status == DB_OK)
		state->ready = state->applied >= state->needed;
	return status;
}

bool schema_wait(struct schema_guard *guard, struct db *db, struct arena *arena)
{
	if (runtime_stop_requested())
		return false;
	bool gap = db_schema_gap_seen(db);
	if (guard->ready && !gap)
		return true;
	guard->ready = false;
	bool said = false;
	long long pause_ms = SCHEMA_WAIT_FIRST_MS;
	while (!runtime_stop_requested()) {
		struct schema_state state;
		enum db_status status = schema_check(db, arena, &state);
		arena_reset(arena);
		if (status == DB_OK && state.ready) {
			if (said)
				log_info("%s: the database schema is at %04u: back at work", guard->who, state.applied);
			guard->ready = true;
			return true;
		}
		/* One line per wait, however long: a check the database failed is logged by db.c. */
		if (status == DB_OK && !said) {
			if (state.applied == 0)
				log_warn("%s: waiting for the database schema: no migration applied, this binary needs %04u; "
				         "run complaintctl migrate",
				         guard->who, state.needed);
			else
				log_warn("%s: waiting for the database schema: at %04u, this binary needs %04u; "
				         "run complaintctl migrate",
				         guard->who, state.applied, state.needed);
			said = true;
		}
		runtime_pause(pause_ms);
		pause_ms = pause_ms * 2 > SCHEMA_WAIT_MAX_MS ? SCHEMA_WAIT_MAX_MS : pause_ms * 2;
	}
	return false;
}
