/*
 * db_schema.c: the statements behind the schema's state (see db_schema.h), over db.c's core.
 *
 * Two reads, not one: a SELECT that names schema_migrations fails (1146) on a database that has
 * no such table yet, and that failure is exactly what the caller waits in order not to cause, so
 * information_schema is asked first whether the table is there.
 */
#include "db_schema.h"

#include "store/db_core.h"

enum db_status db_schema_applied(struct db *db, struct arena *arena, unsigned *version)
{
	static const struct repl_sql_statement present = {
		"SELECT COUNT(*) AS present FROM information_schema.TABLES"
		" WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'schema_migrations'",
		NULL, 0, true};
	static const struct repl_sql_statement newest = {
		"SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations", NULL, 0, true};
	const struct repl_sql_rows *rows = NULL;
	*version = 0;
	enum db_status status = db_read_row(db, arena, DB_READ_PRIMARY, &present, NULL, &rows);
	if (status != DB_OK || db_column_integer(rows, 0, "present") == 0)
		return status;
	status = db_read_row(db, arena, DB_READ_PRIMARY, &newest, NULL, &rows);
	if (status != DB_OK)
		return status;
	int64_t value = db_column_integer(rows, 0, "version");
	*version = value > 0 ? (unsigned)value : 0;
	return DB_OK;
}
