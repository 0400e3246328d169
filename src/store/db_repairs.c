/*
 * db_repairs.c: the statements of the photo-repair queue (see db_repairs.h), over db.c's core.
 */
#include "db_repairs.h"

#include "store/db_core.h"

enum db_status db_photo_repairs_due(struct db *db, struct arena *arena, struct db_photo_repair *out, size_t max,
                                    size_t *count)
{
	struct repl_sql_param limit = db_integer((int64_t)max);
	const struct repl_sql_statement statement = {
		"SELECT image_key, replica, attempts FROM photo_repairs WHERE next_attempt_at <= UTC_TIMESTAMP(3)"
		" ORDER BY next_attempt_at LIMIT ?",
		&limit, 1, true};
	const struct repl_sql_rows *rows = NULL;
	*count = 0;
	enum db_status status = db_read(db, arena, DB_READ_PRIMARY, &statement, 1, NULL, &rows);
	if (status != DB_OK)
		return status;
	for (size_t i = 0; i < rows->row_count && i < max; i++) {
		if (!db_column_copy(rows, i, "image_key", out[*count].image_key, sizeof(out[*count].image_key)) ||
		    !db_column_copy(rows, i, "replica", out[*count].replica, sizeof(out[*count].replica)))
			continue;  /* cannot be: the columns are CHAR(64) and VARCHAR(32) */
		out[*count].attempts = (unsigned)db_column_integer(rows, i, "attempts");
		(*count)++;
	}
	return DB_OK;
}

enum db_status db_photo_repair_done(struct db *db, const struct db_photo_repair *repair)
{
	struct repl_sql_param params[] = {db_text(repair->image_key), db_text(repair->replica)};
	const struct repl_sql_statement statement = {"DELETE FROM photo_repairs WHERE image_key = ? AND replica = ?",
	                                             params, 2, false};
	return db_write(db, &statement, 1, NULL);
}

enum db_status db_photo_repair_later(struct db *db, const struct db_photo_repair *repair, long retry_seconds)
{
	struct repl_sql_param params[] = {db_integer(retry_seconds), db_text(repair->image_key), db_text(repair->replica)};
	const struct repl_sql_statement statement = {
		"UPDATE photo_repairs SET attempts = attempts + 1, next_attempt_at = UTC_TIMESTAMP(3) + INTERVAL ? SECOND"
		" WHERE image_key = ? AND replica = ?",
		params, 3, false};
	return db_write(db, &statement, 1, NULL);
}
