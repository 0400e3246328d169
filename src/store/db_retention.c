/*
 * db_retention.c: the purges' statements (see db_retention.h), over db.c's core. Each is one
 * DELETE of a range of one index, ORDER BY that index's column and LIMIT a batch, so it reads no
 * more rows than it deletes (or the batch) whatever the table's size, and holds its row locks for
 * one short statement: a timer that was stopped for weeks catches up a batch at a time. Also the
 * database's clock, which the purges of sessions take their cutoffs from.
 */
#include "db_retention.h"

#include <stdbool.h>

#include "store/db_core.h"

/* {for the log, the DELETE (parameters: the cutoff, the batch), its batch, the index it reads}, by
 * purge. */
static const struct {
	const char *what;
	const char *sql;
	unsigned batch;
	const char *index;
} db_retention_purges[DB_RETENTION_PURGES] = {
	/* its index from migration 0020 */
	[DB_RETENTION_SENT_MESSAGES] = {"sent messages",
	                                "DELETE FROM notifications WHERE status = 'sent' AND sent_at < CAST(? AS DATETIME(3))"
	                                " ORDER BY sent_at LIMIT ?",
	                                5000, "idx_notifications_sent"},
	/* its index from migration 0001 */
	[DB_RETENTION_OBSERVATIONS] = {"replica observations",
	                               "DELETE FROM replica_observations WHERE period_start < CAST(? AS DATETIME(3))"
	                               " ORDER BY period_start LIMIT ?",
	                               5000, "idx_replica_observations_period"},
	/* its index from migration 0020; each takes up to one mark per (operation, replica)
	 * with it (ON DELETE CASCADE), hence the small batch. */
	[DB_RETENTION_SEGMENTS] = {"replica segments with their marks",
	                           "DELETE FROM replica_segments WHERE flushed_at < CAST(? AS DATETIME(3))"
	                           " ORDER BY flushed_at LIMIT ?",
	                           16, "idx_replica_segments_flushed"},
	/* its index from migration 0007 */
	[DB_RETENTION_TOKENS_EXPIRED] = {"expired link tokens",
	                                 "DELETE FROM tokens WHERE expires_at < CAST(? AS DATETIME(3))"
	                                 " ORDER BY expires_at LIMIT ?",
	                                 5000, "idx_tokens_expires"},
	/* its index from migration 0020 */
	[DB_RETENTION_TOKENS_USED] = {"used link tokens",
	                              "DELETE FROM tokens WHERE used_at < CAST(? AS DATETIME(3)) ORDER BY used_at LIMIT ?",
	                              5000, "idx_tokens_used"},
	/* its index from migration 0001: a session idle past [auth] session_idle_timeout */
	[DB_RETENTION_SESSIONS_IDLE] = {"idle sessions",
	                                "DELETE FROM sessions WHERE last_seen_at < CAST(? AS DATETIME(3))"
	                                " ORDER BY last_seen_at LIMIT ?",
	                                5000, "idx_sessions_last_seen"},
	/* its index from migration 0023: a session older than [auth] session_absolute_timeout */
	[DB_RETENTION_SESSIONS_SIGNED_IN] = {"sessions signed in",
	                                     "DELETE FROM sessions WHERE created_at < CAST(? AS DATETIME(3))"
	                                     " ORDER BY created_at LIMIT ?",
	                                     5000, "idx_sessions_created"},
};

const char *db_retention_what(enum db_retention_purge purge)
{
	return (unsigned)purge < DB_RETENTION_PURGES ? db_retention_purges[purge].what : "";
}

const char *db_retention_sql(enum db_retention_purge purge, const char **index)
{
	bool known = (unsigned)purge < DB_RETENTION_PURGES;
	*index = known ? db_retention_purges[purge].index : "";
	return known ? db_retention_purges[purge].sql : "";
}

unsigned db_retention_batch(enum db_retention_purge purge)
{
	return (unsigned)purge < DB_RETENTION_PURGES ? db_retention_purges[purge].batch : 0;
}

enum db_status db_retention_delete(struct db *db, enum db_retention_purge purge, const char *before,
                                   uint64_t *deleted)
{
	*deleted = 0;
	if ((unsigned)purge >= DB_RETENTION_PURGES)
		return DB_UNAVAILABLE;
	struct repl_sql_param params[] = {db_text(before), db_integer(db_retention_purges[purge].batch)};
	const struct repl_sql_statement statement = {db_retention_purges[purge].sql, params, 2, false};
	struct db_written written = {0};
	enum db_status status = db_write(db, &statement, 1, &written);
	if (status == DB_OK)
		*deleted = written.affected_rows;
	return status;
}

enum db_status db_retention_database_now(struct db *db, struct arena *arena, long long *now_ms)
{
	/* Counted from the epoch by TIMESTAMPDIFF, so no time zone takes part. */
	const struct repl_sql_statement statement = {
		"SELECT TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(3)) DIV 1000 AS now_ms", NULL, 0, true};
	const struct repl_sql_rows *rows = NULL;
	*now_ms = 0;
	enum db_status status = db_read_row(db, arena, DB_READ_PRIMARY, &statement, NULL, &rows);
	if (status == DB_OK)
		*now_ms = db_column_integer(rows, 0, "now_ms");
	return status;
}
