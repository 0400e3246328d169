/*
 * migrate.h: applying db/migrations/NNNN_name.sql to the primary, in order, once each.
 *
 * The one place SQL lives outside store/db*.c: the schema's DDL, run by complaintctl as the
 * migration user over a plain blocking connection. Each applied file is recorded in
 * schema_migrations with the sha256 of its bytes; a recorded file that no longer matches is
 * refused before anything runs, and a file that is not recorded is run and then recorded. MariaDB commits DDL statement
 * by statement, so a file stopped half-way is simply run again: migration files are written to
 * be re-run (IF NOT EXISTS, ON DUPLICATE KEY UPDATE).
 */
#ifndef MIGRATE_H
#define MIGRATE_H

#include <stddef.h>
#include <stdio.h>

enum migrate_status {
	MIGRATE_OK = 0,
	MIGRATE_BAD_TARGET,   /* the replica URL is not mariadb://host[:port]/database */
	MIGRATE_BAD_DIR,      /* no migrations there, a badly named file, one version twice */
	MIGRATE_BAD_FILE,     /* a migration file unreadable, too big or holding a NUL byte */
	MIGRATE_CONNECT,      /* could not connect or sign in, the server is read-only, or the lock is held */
	MIGRATE_EDITED,       /* an applied file changed since (or was renamed) */
	MIGRATE_MISSING,      /* schema_migrations names a file the directory does not have */
	MIGRATE_SQL,          /* a statement failed */
	MIGRATE_NO_MEMORY,
};

const char *migrate_strerror(enum migrate_status status);

/* Where to migrate, and as whom. */
struct migrate_target {
	const char *url;           /* the primary: mariadb://host[:port]/database (or mysql://) */
	const char *user;
	const char *password;
	unsigned connect_timeout_s;
};

/* What a run did. */
struct migrate_summary {
	unsigned files;            /* migrations in the directory */
	unsigned applied;          /* of which this run applied */
};

/* Applies every migration of dir not yet recorded on target, in version order, writing one line
 * per applied file to progress (may be NULL). On failure, error says what, naming the file, the
 * statement number and the server's message where there is one; files applied before the
 * failure stay applied and recorded. */
enum migrate_status migrate_run(const struct migrate_target *target, const char *dir, FILE *progress,
                                struct migrate_summary *summary, char *error, size_t error_size);

#endif
