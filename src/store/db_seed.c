/*
 * db_seed.c: the statements of seed data (see db_seed.h), over db.c's core: a batch of
 * complaints as one transaction of three multi-row INSERTs — the complaints, their status_track
 * rows, their public updates — so a batch is three round trips. Each row after a
 * complaint's finds it by its submit token, as filing does; the due date is the filing time plus
 * its category's target_days in UTC (filing itself computes it in the city's zone, and from hours
 * when the category's target is in hours: core/due.c; close enough for made-up data).
 */
#include "db_seed.h"

#include <stdlib.h>
#include <string.h>

#include "store/db_core.h"

#define DB_SEED_COMPLAINT_PARAMS 19
#define DB_SEED_STEP_PARAMS 7
#define DB_SEED_UPDATE_PARAMS 4

static const char db_seed_insert[] =
	"INSERT INTO complaints (category_id, reporter_id, description, address, lat, lon, status, closing_reason,"
	" assigned_agent_id, assigned_at, due_at, resolved_at, closed_at, reopened_at, version, submit_token, created_at,"
	" updated_at) VALUES ";
static const char db_seed_insert_row[] =
	"((SELECT id FROM categories WHERE code = ? AND active), ?, ?, ?, ?, ?, ?, ?, ?, ?,"
	" CAST(? AS DATETIME(3)) + INTERVAL (SELECT target_days FROM categories WHERE code = ?) DAY, ?, ?, ?, ?, ?, ?, ?)";
static const char db_seed_track[] =
	"INSERT INTO status_track (complaint_id, actor_id, action, from_status, to_status, reason, at) VALUES ";
static const char db_seed_track_row[] = "((SELECT id FROM complaints WHERE submit_token = ?), ?, ?, ?, ?, ?, ?)";
static const char db_seed_update[] = "INSERT INTO updates (complaint_id, author_id, internal, body, created_at) VALUES ";
static const char db_seed_update_row[] = "((SELECT id FROM complaints WHERE submit_token = ?), ?, 0, ?, ?)";

static struct repl_sql_param db_seed_id(int64_t id)
{
	return id != 0 ? db_integer(id) : db_text_or_null(NULL);
}

/* head followed by rows copies of row, comma-separated (malloc). */
static char *db_seed_sql(const char *head, const char *row, size_t rows)
{
	size_t head_len = strlen(head), row_len = strlen(row);
	char *sql = malloc(head_len + rows * (row_len + 2) + 1);
	if (sql == NULL)
		return NULL;
	char *p = sql;
	memcpy(p, head, head_len);
	p += head_len;
	for (size_t i = 0; i < rows; i++) {
		if (i > 0)
			*p++ = ',';
		memcpy(p, row, row_len);
		p += row_len;
	}
	*p = '\0';
	return sql;
}

enum db_status db_seed_complaints(struct db *db, const struct db_seed_complaint *batch, size_t count)
{
	enum db_status status = DB_UNAVAILABLE;
	size_t steps = 0, updates = 0;
	if (count == 0 || count > DB_SEED_BATCH_MAX)
		return DB_NOT_FOUND;
	for (size_t i = 0; i < count; i++) {
		steps += batch[i].step_count;
		updates += batch[i].update_body != NULL;
	}
	struct repl_sql_param *complaints = calloc(count * DB_SEED_COMPLAINT_PARAMS, sizeof(*complaints));
	struct repl_sql_param *tracks = calloc(steps * DB_SEED_STEP_PARAMS, sizeof(*tracks));
	struct repl_sql_param *notes = calloc(updates * DB_SEED_UPDATE_PARAMS + 1, sizeof(*notes));
	char *sql[3] = {db_seed_sql(db_seed_insert, db_seed_insert_row, count),
	                db_seed_sql(db_seed_track, db_seed_track_row, steps),
	                db_seed_sql(db_seed_update, db_seed_update_row, updates)};
	if (complaints == NULL || tracks == NULL || notes == NULL || sql[0] == NULL || sql[1] == NULL || sql[2] == NULL)
		goto out;
	struct repl_sql_param *c = complaints, *t = tracks, *u = notes;
	for (size_t i = 0; i < count; i++) {
		const struct db_seed_complaint *row = &batch[i];
		struct repl_sql_param token = db_bytes(row->submit_token, DB_SUBMIT_TOKEN_SIZE);
		const struct repl_sql_param values[DB_SEED_COMPLAINT_PARAMS] = {
			db_text(row->category_code), db_integer(row->reporter_id), db_text(row->description),
			db_text_or_null(row->address), db_text_or_null(row->lat), db_text_or_null(row->lon),
			db_text(row->status), db_text_or_null(row->closing_reason), db_seed_id(row->agent_id),
			db_text_or_null(row->assigned_at), db_text(row->created_at), db_text(row->category_code),
			db_text_or_null(row->resolved_at), db_text_or_null(row->closed_at), db_text_or_null(row->reopened_at),
			db_integer(row->version), token, db_text(row->created_at), db_text(row->updated_at),
		};
		memcpy(c, values, sizeof(values));
		c += DB_SEED_COMPLAINT_PARAMS;
		for (size_t s = 0; s < row->step_count; s++) {
			const struct db_seed_step *step = &row->steps[s];
			const struct repl_sql_param track[DB_SEED_STEP_PARAMS] = {
				token, db_seed_id(step->actor_id), db_text(step->action), db_text_or_null(step->from),
				db_text(step->to), db_text_or_null(step->reason), db_text(step->at),
			};
			memcpy(t, track, sizeof(track));
			t += DB_SEED_STEP_PARAMS;
		}
		if (row->update_body != NULL) {
			const struct repl_sql_param note[DB_SEED_UPDATE_PARAMS] = {
				token, db_integer(row->agent_id), db_text(row->update_body), db_text(row->update_at)};
			memcpy(u, note, sizeof(note));
			u += DB_SEED_UPDATE_PARAMS;
		}
	}
	const struct repl_sql_statement statements[] = {
		{sql[0], complaints, count * DB_SEED_COMPLAINT_PARAMS, false},
		{sql[1], tracks, steps * DB_SEED_STEP_PARAMS, false},
		{sql[2], notes, updates * DB_SEED_UPDATE_PARAMS, false},
	};
	status = db_write(db, statements, updates > 0 ? 3 : 2, NULL);
out:
	for (size_t i = 0; i < 3; i++)
		free(sql[i]);
	free(complaints);
	free(tracks);
	free(notes);
	return status;
}
