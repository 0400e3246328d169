/*
 * db_backfills.c: the statements of s3_backfills (see db_backfills.h), over db.c's core.
 */
#include "db_backfills.h"

#include <stdio.h>
#include <string.h>

#include "repl.h"
#include "store/db_core.h"

#define DB_BACKFILL_COLUMNS                                                                              \
	"replica, status, complaints_after, complaints_until, updates_after, updates_until, copied, total," \
	" DATE_FORMAT(started_at, '%Y-%m-%d %H:%i:%s') AS started_at,"                                  \
	" DATE_FORMAT(updated_at, '%Y-%m-%d %H:%i:%s') AS updated_at,"                                  \
	" COALESCE(DATE_FORMAT(finished_at, '%Y-%m-%d %H:%i:%s'), '') AS finished_at,"                  \
	" IF(lease_until > UTC_TIMESTAMP(3), COALESCE(holder, ''), '') AS holder"

/* "?, ?, ?" for count placeholders, into out. */
static void db_backfills_placeholders(char *out, size_t size, size_t count)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < count && used + 3 < size; i++)
		used += (size_t)snprintf(out + used, size - used, i == 0 ? "?" : ", ?");
}

enum db_status db_backfills_sync(struct db *db, const char *const names[], size_t count)
{
	char in[REPL_SET_REPLICAS_MAX * 3 + 1];
	char delete_repairs[128 + sizeof(in)], delete_rows[128 + sizeof(in)];
	struct repl_sql_param params[REPL_SET_REPLICAS_MAX];
	struct repl_sql_param own[REPL_SET_REPLICAS_MAX][2];
	struct repl_sql_statement statements[3 + REPL_SET_REPLICAS_MAX];
	size_t n = 0;
	if (count == 0 || count > REPL_SET_REPLICAS_MAX)
		return DB_NOT_CONFIGURED;
	db_backfills_placeholders(in, sizeof(in), count);
	snprintf(delete_repairs, sizeof(delete_repairs), "DELETE FROM photo_repairs WHERE replica NOT IN (%s)", in);
	snprintf(delete_rows, sizeof(delete_rows), "DELETE FROM s3_backfills WHERE replica NOT IN (%s)", in);
	for (size_t i = 0; i < count; i++) {
		params[i] = db_text(names[i]);
		own[i][0] = db_text(names[i]);
		own[i][1] = db_text(names[i]);
	}
	/* Read before the delete: a set whose every replica was renamed is not a first run. */
	statements[n++] = (struct repl_sql_statement){
		"SET @backfills_first = NOT EXISTS (SELECT 1 FROM s3_backfills)", NULL, 0, false};
	statements[n++] = (struct repl_sql_statement){delete_repairs, params, count, false};
	statements[n++] = (struct repl_sql_statement){delete_rows, params, count, false};
	/* The select list's counts run only for a replica without a row (no row, no evaluation). */
	for (size_t i = 0; i < count; i++)
		statements[n++] = (struct repl_sql_statement){
			"INSERT INTO s3_backfills (replica, status, complaints_until, updates_until, total, finished_at)"
			" SELECT ?, IF(@backfills_first, 'done', 'copying'),"
			" (SELECT COALESCE(MAX(id), 0) FROM complaints), (SELECT COALESCE(MAX(id), 0) FROM updates),"
			" IF(@backfills_first, 0, (SELECT COUNT(*) FROM complaints WHERE image_key IS NOT NULL)"
			" + (SELECT COUNT(*) FROM updates WHERE image_key IS NOT NULL)),"
			" IF(@backfills_first, UTC_TIMESTAMP(3), NULL)"
			" FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM s3_backfills WHERE replica = ?)",
			own[i], 2, false};
	return db_write(db, statements, n, NULL);
}

static void db_backfill_from_row(const struct repl_sql_rows *rows, size_t row, struct db_backfill *out)
{
	memset(out, 0, sizeof(*out));
	db_column_copy(rows, row, "replica", out->replica, sizeof(out->replica));
	const char *status = db_column_text(rows, row, "status");
	out->done = status != NULL && strcmp(status, "done") == 0;
	out->complaints_after = (uint64_t)db_column_integer(rows, row, "complaints_after");
	out->complaints_until = (uint64_t)db_column_integer(rows, row, "complaints_until");
	out->updates_after = (uint64_t)db_column_integer(rows, row, "updates_after");
	out->updates_until = (uint64_t)db_column_integer(rows, row, "updates_until");
	out->copied = (unsigned)db_column_integer(rows, row, "copied");
	out->total = (unsigned)db_column_integer(rows, row, "total");
	db_column_copy(rows, row, "started_at", out->started_at, sizeof(out->started_at));
	db_column_copy(rows, row, "updated_at", out->updated_at, sizeof(out->updated_at));
	db_column_copy(rows, row, "finished_at", out->finished_at, sizeof(out->finished_at));
	db_column_copy(rows, row, "holder", out->holder, sizeof(out->holder));
}

enum db_status db_backfill_claim(struct db *db, struct arena *arena, const char *holder, long lease_seconds,
                                 struct db_backfill *out)
{
	struct repl_sql_param claim[] = {db_text(holder), db_integer(lease_seconds), db_text(holder)};
	const struct repl_sql_statement take = {
		"UPDATE s3_backfills SET holder = ?, lease_until = UTC_TIMESTAMP(3) + INTERVAL ? SECOND"
		" WHERE status = 'copying' AND (holder IS NULL OR holder = ? OR lease_until < UTC_TIMESTAMP(3))"
		" ORDER BY replica LIMIT 1",
		claim, 3, false};
	struct db_written written;
	enum db_status status = db_write(db, &take, 1, &written);
	if (status != DB_OK)
		return status;
	if (written.affected_rows == 0)
		return DB_NOT_FOUND;
	struct repl_sql_param who = db_text(holder);
	const struct repl_sql_statement read = {
		"SELECT " DB_BACKFILL_COLUMNS " FROM s3_backfills WHERE status = 'copying' AND holder = ?"
		" ORDER BY replica LIMIT 1",
		&who, 1, true};
	const struct repl_sql_rows *rows = NULL;
	status = db_read_row(db, arena, DB_READ_PRIMARY, &read, NULL, &rows);
	if (status == DB_OK)
		db_backfill_from_row(rows, 0, out);
	return status;
}

enum db_status db_backfill_next(struct db *db, struct arena *arena, const struct db_backfill *backfill,
                                struct db_backfill_photo *out, size_t max, size_t *count)
{
	struct repl_sql_param complaints[] = {db_integer((int64_t)backfill->complaints_after),
	                                      db_integer((int64_t)backfill->complaints_until), db_integer((int64_t)max)};
	struct repl_sql_param updates[] = {db_integer((int64_t)backfill->updates_after),
	                                   db_integer((int64_t)backfill->updates_until), db_integer((int64_t)max)};
	const struct repl_sql_statement statements[] = {
		{"SELECT id, image_key FROM complaints WHERE id > ? AND id <= ? AND image_key IS NOT NULL ORDER BY id LIMIT ?",
		 complaints, 3, true},
		{"SELECT id, image_key FROM updates WHERE id > ? AND id <= ? AND image_key IS NOT NULL ORDER BY id LIMIT ?",
		 updates, 3, true},
	};
	const struct repl_sql_rows *rows = NULL;
	*count = 0;
	enum db_status status = db_read(db, arena, DB_READ_PRIMARY, statements, 2, NULL, &rows);
	if (status != DB_OK)
		return status;
	/* Complaints first; the updates once no complaint is left. */
	bool updates_phase = rows[0].row_count == 0;
	const struct repl_sql_rows *list = &rows[updates_phase ? 1 : 0];
	for (size_t i = 0; i < list->row_count && *count < max; i++) {
		struct db_backfill_photo *photo = &out[*count];
		if (!db_column_copy(list, i, "image_key", photo->image_key, sizeof(photo->image_key)))
			continue;  /* cannot be: the query skips NULL */
		uint64_t id = (uint64_t)db_column_integer(list, i, "id");
		photo->complaints_after = updates_phase ? backfill->complaints_until : id;
		photo->updates_after = updates_phase ? id : backfill->updates_after;
		(*count)++;
	}
	return DB_OK;
}

enum db_status db_backfill_advance(struct db *db, struct db_backfill *backfill, const struct db_backfill_photo *photo,
                                   const char *holder, long lease_seconds, bool *moved)
{
	struct repl_sql_param params[] = {
		db_integer((int64_t)photo->complaints_after), db_integer((int64_t)photo->updates_after),
		db_integer(lease_seconds), db_text(backfill->replica), db_text(holder),
		db_integer((int64_t)backfill->complaints_after), db_integer((int64_t)backfill->updates_after),
	};
	const struct repl_sql_statement statement = {
		"UPDATE s3_backfills SET complaints_after = ?, updates_after = ?, copied = copied + 1,"
		" updated_at = UTC_TIMESTAMP(3), lease_until = UTC_TIMESTAMP(3) + INTERVAL ? SECOND"
		" WHERE replica = ? AND status = 'copying' AND holder = ? AND complaints_after = ? AND updates_after = ?",
		params, 7, false};
	struct db_written written;
	*moved = false;
	enum db_status status = db_write(db, &statement, 1, &written);
	if (status == DB_OK && written.affected_rows == 1) {
		*moved = true;
		backfill->complaints_after = photo->complaints_after;
		backfill->updates_after = photo->updates_after;
		backfill->copied++;
	}
	return status;
}

enum db_status db_backfill_finish(struct db *db, const struct db_backfill *backfill, const char *holder)
{
	struct repl_sql_param params[] = {db_text(backfill->replica), db_text(holder)};
	const struct repl_sql_statement statement = {
		"UPDATE s3_backfills SET status = 'done', finished_at = UTC_TIMESTAMP(3), updated_at = UTC_TIMESTAMP(3),"
		" holder = NULL, lease_until = NULL WHERE replica = ? AND status = 'copying' AND holder = ?",
		params, 2, false};
	return db_write(db, &statement, 1, NULL);
}

enum db_status db_backfill_release(struct db *db, const char *holder)
{
	struct repl_sql_param param = db_text(holder);
	const struct repl_sql_statement statement = {
		"UPDATE s3_backfills SET holder = NULL, lease_until = NULL WHERE holder = ?", &param, 1, false};
	return db_write(db, &statement, 1, NULL);
}

enum db_status db_backfills_list(struct db *db, struct arena *arena, struct db_backfill *out, size_t max,
                                 size_t *count)
{
	const struct repl_sql_statement statement = {
		"SELECT " DB_BACKFILL_COLUMNS " FROM s3_backfills ORDER BY replica", NULL, 0, true};
	const struct repl_sql_rows *rows = NULL;
	*count = 0;
	enum db_status status = db_read(db, arena, DB_READ_PRIMARY, &statement, 1, NULL, &rows);
	if (status != DB_OK)
		return status;
	for (size_t i = 0; i < rows->row_count && *count < max; i++)
		db_backfill_from_row(rows, i, &out[(*count)++]);
	return DB_OK;
}
