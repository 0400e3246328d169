/*
 * db_seed.c: the statements of seed data (see db_seed.h), over db.c's core: a batch of
 * complaints, each with its status_track rows and public update, as one transaction. Every row
 * after a complaint's finds it by its submit token, as filing does.
 */
#include "db_seed.h"

#include <stdlib.h>

#include "store/db_core.h"

#define DB_SEED_COMPLAINT_PARAMS 18
#define DB_SEED_STEP_PARAMS 7
#define DB_SEED_UPDATE_PARAMS 4
/* Statements and parameters of one complaint at most. */
#define DB_SEED_STATEMENTS_EACH (2 + DB_SEED_STEPS_MAX)
#define DB_SEED_PARAMS_EACH (DB_SEED_COMPLAINT_PARAMS + DB_SEED_STEPS_MAX * DB_SEED_STEP_PARAMS + DB_SEED_UPDATE_PARAMS)

static const char db_seed_insert[] =
	"INSERT INTO complaints (category_id, reporter_id, description, address, lat, lon, status, closing_reason,"
	" assigned_agent_id, assigned_at, due_at, resolved_at, closed_at, reopened_at, version, submit_token, created_at,"
	" updated_at) SELECT id, ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS DATETIME(3)) + INTERVAL target_days DAY, ?, ?, ?,"
	" ?, ?, ?, ? FROM categories WHERE code = ? AND active";
static const char db_seed_track[] =
	"INSERT INTO status_track (complaint_id, actor_id, action, from_status, to_status, reason, at)"
	" SELECT id, ?, ?, ?, ?, ?, ? FROM complaints WHERE submit_token = ?";
static const char db_seed_update[] =
	"INSERT INTO updates (complaint_id, author_id, internal, body, created_at)"
	" SELECT id, ?, 0, ?, ? FROM complaints WHERE submit_token = ?";

static struct repl_sql_param db_seed_id(int64_t id)
{
	return id != 0 ? db_integer(id) : db_text_or_null(NULL);
}

enum db_status db_seed_complaints(struct db *db, const struct db_seed_complaint *batch, size_t count)
{
	enum db_status status = DB_UNAVAILABLE;
	if (count > DB_SEED_BATCH_MAX)
		return DB_NOT_FOUND;
	struct repl_sql_statement *statements = calloc(count * DB_SEED_STATEMENTS_EACH, sizeof(*statements));
	struct repl_sql_param *params = calloc(count * DB_SEED_PARAMS_EACH, sizeof(*params));
	size_t used = 0, n = 0;
	if (statements == NULL || params == NULL)
		goto out;
	for (size_t i = 0; i < count; i++) {
		const struct db_seed_complaint *c = &batch[i];
		struct repl_sql_param token = db_bytes(c->submit_token, DB_SUBMIT_TOKEN_SIZE);
		struct repl_sql_param *p = &params[used];
		const struct repl_sql_param row[DB_SEED_COMPLAINT_PARAMS] = {
			db_integer(c->reporter_id), db_text(c->description), db_text_or_null(c->address),
			db_text_or_null(c->lat), db_text_or_null(c->lon), db_text(c->status),
			db_text_or_null(c->closing_reason), db_seed_id(c->agent_id), db_text_or_null(c->assigned_at),
			db_text(c->created_at), db_text_or_null(c->resolved_at), db_text_or_null(c->closed_at),
			db_text_or_null(c->reopened_at), db_integer(c->version), token, db_text(c->created_at),
			db_text(c->updated_at), db_text(c->category_code),
		};
		for (size_t k = 0; k < DB_SEED_COMPLAINT_PARAMS; k++)
			p[k] = row[k];
		statements[n++] = (struct repl_sql_statement){db_seed_insert, p, DB_SEED_COMPLAINT_PARAMS, false};
		used += DB_SEED_COMPLAINT_PARAMS;
		for (size_t s = 0; s < c->step_count && s < DB_SEED_STEPS_MAX; s++) {
			const struct db_seed_step *step = &c->steps[s];
			p = &params[used];
			const struct repl_sql_param track[DB_SEED_STEP_PARAMS] = {
				db_seed_id(step->actor_id), db_text(step->action), db_text_or_null(step->from),
				db_text(step->to), db_text_or_null(step->reason), db_text(step->at), token,
			};
			for (size_t k = 0; k < DB_SEED_STEP_PARAMS; k++)
				p[k] = track[k];
			statements[n++] = (struct repl_sql_statement){db_seed_track, p, DB_SEED_STEP_PARAMS, false};
			used += DB_SEED_STEP_PARAMS;
		}
		if (c->update_body != NULL) {
			p = &params[used];
			p[0] = db_integer(c->agent_id);
			p[1] = db_text(c->update_body);
			p[2] = db_text(c->update_at);
			p[3] = token;
			statements[n++] = (struct repl_sql_statement){db_seed_update, p, DB_SEED_UPDATE_PARAMS, false};
			used += DB_SEED_UPDATE_PARAMS;
		}
	}
	status = db_write(db, statements, n, NULL);
out:
	free(statements);
	free(params);
	return status;
}
