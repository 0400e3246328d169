/*
 * db_core.h: the one path every statement of store/db_*.c takes, for those files only: prepared
 * statements with bound parameters, run as one transaction through librepl's db.write,
 * db.primary or db.read, and their rows read back by column name. The rows of a read live in the
 * arena the caller gives (a cleanup hook frees them when the request ends), a write's outcome is
 * copied out: no file but db.c frees a librepl result.
 */
#ifndef DB_CORE_H
#define DB_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "repl.h"
#include "store/db.h"

struct arena;

/* Where a read runs: on the primary, under the write policy (sessions, credentials, what must
 * see every acknowledged write), or under [db] read with the session's GTID. */
enum db_read_kind { DB_READ_PRIMARY, DB_READ_ANY };

/* Parameters, bound by type. */
struct repl_sql_param db_text(const char *text);
struct repl_sql_param db_text_or_null(const char *text);
struct repl_sql_param db_bytes(const uint8_t *bytes, size_t len);
struct repl_sql_param db_integer(int64_t value);

/* What a committed write reports of its first statement, and the transaction's GTID. */
struct db_written {
	uint64_t insert_id;
	uint64_t affected_rows;
	char gtid[DB_GTID_SIZE];        /* "" when none was captured */
};

/* Runs statements as one writing transaction (db.write); written may be NULL. */
enum db_status db_write(struct db *db, const struct repl_sql_statement *statements, size_t count,
                        struct db_written *written);
/* Runs statements as one read-only transaction of kind; wait_gtid ("" or NULL: none) is the
 * session's last write. On DB_OK *rows points at one struct repl_sql_rows per statement, alive
 * until arena is reset. */
enum db_status db_read(struct db *db, struct arena *arena, enum db_read_kind kind,
                       const struct repl_sql_statement *statements, size_t count, const char *wait_gtid,
                       const struct repl_sql_rows **rows);
/* One SELECT expected to find one row: DB_NOT_FOUND when it found none. */
enum db_status db_read_row(struct db *db, struct arena *arena, enum db_read_kind kind,
                           const struct repl_sql_statement *statement, const char *wait_gtid,
                           const struct repl_sql_rows **rows);

/* A column of row, by the name the SELECT gives it (a column's own name, or its alias: every
 * expression a caller reads has one). A name the SELECT lacks is a programming error: logged,
 * and read as SQL NULL. */
const struct repl_sql_value *db_column(const struct repl_sql_rows *rows, size_t row, const char *name);
/* Its text (NULL for SQL NULL), its integer (0 for NULL), or a copy into out (false when NULL
 * or too long). */
const char *db_column_text(const struct repl_sql_rows *rows, size_t row, const char *name);
int64_t db_column_integer(const struct repl_sql_rows *rows, size_t row, const char *name);
bool db_column_copy(const struct repl_sql_rows *rows, size_t row, const char *name, char *out, size_t size);

/* Remembers, in the session's row (found by column = key), the GTID of a write it just made: its
 * later db.read calls skip replicas that have not applied it. */
void db_session_record_write(struct db *db, const char *column, struct repl_sql_param key, const char *gtid);
struct db_session;
/* The same for a signed-in caller's write (session NULL: none, e.g. the timer), and its copy in
 * session->last_write_gtid for the rest of the request (defined in db_accounts.c). */
void db_session_remember(struct db *db, struct db_session *session, const struct db_written *written);
/* db_write for a signed-in caller's change that took place when its first statement changed
 * exactly one row (*changed; the transaction's other statements hang on it), remembered for the
 * session as above. */
enum db_status db_session_write(struct db *db, struct db_session *session,
                                const struct repl_sql_statement *statements, size_t count, bool *changed);

#endif
