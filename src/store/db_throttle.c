/*
 * db_throttle.c: the statements of sign-in throttling (see db_throttle.h), over db.c's core.
 */
#include "store/db_throttle.h"

#include "store/db_core.h"

static struct repl_sql_param db_throttle_subject(const struct throttle_subjects *subjects, enum throttle_scope scope)
{
	return db_bytes(subjects->subject[scope], THROTTLE_SUBJECT_SIZE);
}

enum db_status db_throttle_read(struct db *db, struct arena *arena, const struct throttle_subjects *subjects,
                                struct throttle_count counts[THROTTLE_SCOPES], int64_t *now_ms)
{
	struct repl_sql_param params[] = {
		db_throttle_subject(subjects, THROTTLE_PAIR),
		db_throttle_subject(subjects, THROTTLE_ADDRESS),
		db_throttle_subject(subjects, THROTTLE_EMAIL),
	};
	const struct repl_sql_statement statements[] = {
		{"SELECT scope, failures, CAST(UNIX_TIMESTAMP(last_failure) * 1000 AS SIGNED) AS last_failure_ms"
		 " FROM signin_failures WHERE (scope = 0 AND subject = ?) OR (scope = 1 AND subject = ?)"
		 " OR (scope = 2 AND subject = ?)",
		 params, 3, true},
		{"SELECT CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED) AS now_ms", NULL, 0, true},
	};
	const struct repl_sql_rows *rows = NULL;
	enum db_status status = db_read(db, arena, DB_READ_PRIMARY, statements, 2, NULL, &rows);
	if (status != DB_OK)
		return status;
	for (int scope = 0; scope < THROTTLE_SCOPES; scope++)
		counts[scope] = (struct throttle_count){0, 0};
	for (size_t row = 0; row < rows[0].row_count; row++) {
		int64_t scope = db_column_integer(&rows[0], row, "scope");
		if (scope < 0 || scope >= THROTTLE_SCOPES)
			continue;
		counts[scope].failures = (unsigned)db_column_integer(&rows[0], row, "failures");
		counts[scope].last_failure_ms = db_column_integer(&rows[0], row, "last_failure_ms");
	}
	if (rows[1].row_count != 1)
		return DB_UNAVAILABLE;
	*now_ms = db_column_integer(&rows[1], 0, "now_ms");
	return DB_OK;
}

size_t db_throttle_count(struct db_throttle_room *room, const struct throttle_subjects *subjects, int64_t window_ms,
                         int64_t forget_ms, struct repl_sql_statement *out)
{
	room->counted[0] = db_throttle_subject(subjects, THROTTLE_PAIR);
	room->counted[1] = db_throttle_subject(subjects, THROTTLE_ADDRESS);
	room->counted[2] = db_throttle_subject(subjects, THROTTLE_EMAIL);
	room->counted[3] = db_integer(window_ms * 1000);
	room->forget[0] = db_integer(forget_ms * 1000);
	/* The update reads last_failure before it is set (MariaDB assigns left to right). */
	out[0] = (struct repl_sql_statement){"INSERT INTO signin_failures (scope, subject, failures, last_failure)"
	                                     " VALUES (0, ?, 1, NOW(3)), (1, ?, 1, NOW(3)), (2, ?, 1, NOW(3))"
	                                     " ON DUPLICATE KEY UPDATE"
	                                     " failures = IF(last_failure < NOW(3) - INTERVAL ? MICROSECOND, 1, failures + 1),"
	                                     " last_failure = NOW(3)",
	                                     room->counted, 4, false};
	out[1] = (struct repl_sql_statement){"DELETE FROM signin_failures WHERE last_failure < NOW(3) - INTERVAL ? MICROSECOND"
	                                     " ORDER BY last_failure LIMIT 100",
	                                     room->forget, 1, false};
	return DB_THROTTLE_COUNT_STATEMENTS;
}

enum db_status db_throttle_fail(struct db *db, const struct throttle_subjects *subjects, int64_t window_ms,
                                int64_t forget_ms)
{
	struct db_throttle_room room;
	struct repl_sql_statement statements[DB_THROTTLE_COUNT_STATEMENTS];
	size_t count = db_throttle_count(&room, subjects, window_ms, forget_ms, statements);
	return db_write(db, statements, count, NULL);
}

enum db_status db_throttle_clear_pair(struct db *db, const struct throttle_subjects *subjects)
{
	struct repl_sql_param params[] = {db_throttle_subject(subjects, THROTTLE_PAIR)};
	const struct repl_sql_statement statement = {"DELETE FROM signin_failures WHERE scope = 0 AND subject = ?",
	                                             params, 1, false};
	return db_write(db, &statement, 1, NULL);
}
