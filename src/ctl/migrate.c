/*
 * migrate.c: the migration runner behind `complaintctl migrate` (see migrate.h).
 *
 * Order of work: read and hash every file of the directory first; connect to the primary as the
 * migration user; take a named lock so two runs cannot interleave; make schema_migrations; check
 * every recorded migration against its file (any difference refuses the run before anything is
 * applied); then run each unrecorded file and record it. A file is sent whole with
 * CLIENT_MULTI_STATEMENTS and its results drained one by one: the server, not a splitter of
 * ours, decides where statements end (quotes, comments, executable comments, BEGIN ... END
 * bodies), and counting the results gives the number of the statement that failed.
 */
#include "migrate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mysql.h>
#include <mysqld_error.h>
#include <sodium.h>

#define LIMIT_MIGRATION_FILE_MAX (1024L * 1024)  /* bytes of one migration file */
#define LIMIT_MIGRATIONS_MAX 1000                /* migration files in the directory */
#define MIGRATE_NAME_MAX 100                     /* bytes of a file name: NNNN_name.sql */
#define MIGRATE_HOST_MAX 255
#define MIGRATE_DATABASE_MAX 64
#define MIGRATE_SHA256_HEX (crypto_hash_sha256_BYTES * 2 + 1)
/* A named lock (GET_LOCK) held for the whole run; a second run waits this long, then gives up. */
#define MIGRATE_LOCK_NAME "complaintd.migrate"
#define MIGRATE_LOCK_WAIT_S 10

struct migrate_file {
	unsigned version;
	char name[MIGRATE_NAME_MAX + 1];
	char sha256[MIGRATE_SHA256_HEX];
	char *text;
	size_t len;
	bool recorded;
};

struct migrate_dir {
	const char *path;
	struct migrate_file *files;
	size_t count;
};

struct migrate_server {
	char host[MIGRATE_HOST_MAX + 1];
	unsigned port;
	char database[MIGRATE_DATABASE_MAX + 1];
};

static const char *const migrate_messages[] = {
	[MIGRATE_OK] = "ok",
	[MIGRATE_BAD_TARGET] = "bad database URL",
	[MIGRATE_BAD_DIR] = "bad migrations directory",
	[MIGRATE_BAD_FILE] = "bad migration file",
	[MIGRATE_CONNECT] = "cannot use the primary",
	[MIGRATE_EDITED] = "an applied migration was edited",
	[MIGRATE_MISSING] = "an applied migration is missing",
	[MIGRATE_SQL] = "a migration failed",
	[MIGRATE_NO_MEMORY] = "out of memory",
};

const char *migrate_strerror(enum migrate_status status)
{
	if ((size_t)status >= sizeof(migrate_messages) / sizeof(migrate_messages[0]) || !migrate_messages[status])
		return "unknown migrate status";
	return migrate_messages[status];
}

/* ---- the target ---- */

/* "mariadb://host[:port]/database" (or mysql://), as in the [db] replicas list. */
static enum migrate_status migrate_parse_url(const char *url, struct migrate_server *server)
{
	static const char *const schemes[] = {"mariadb://", "mysql://"};
	const char *p = NULL;
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]) && p == NULL; i++)
		if (strncmp(url, schemes[i], strlen(schemes[i])) == 0)
			p = url + strlen(schemes[i]);
	if (p == NULL)
		return MIGRATE_BAD_TARGET;
	size_t host_len = strcspn(p, ":/");
	if (host_len == 0 || host_len > MIGRATE_HOST_MAX)
		return MIGRATE_BAD_TARGET;
	memcpy(server->host, p, host_len);
	server->host[host_len] = '\0';
	p += host_len;
	server->port = 3306;
	if (*p == ':') {
		char *end = NULL;
		errno = 0;
		long port = strtol(p + 1, &end, 10);
		if (errno != 0 || end == p + 1 || port <= 0 || port > 65535 || *end != '/')
			return MIGRATE_BAD_TARGET;
		server->port = (unsigned)port;
		p = end;
	}
	if (*p != '/')
		return MIGRATE_BAD_TARGET;
	p++;
	size_t db_len = strlen(p);
	if (db_len == 0 || db_len > MIGRATE_DATABASE_MAX)
		return MIGRATE_BAD_TARGET;
	for (size_t i = 0; i < db_len; i++) {
		char c = p[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$';
		if (!ok)
			return MIGRATE_BAD_TARGET;
	}
	memcpy(server->database, p, db_len + 1);
	return MIGRATE_OK;
}

/* ---- the directory ---- */

/* NNNN_name.sql: four digits (not 0000), '_', then [a-z0-9_]. Sets the version. */
static bool migrate_name_parse(const char *name, unsigned *version)
{
	size_t len = strlen(name);
	if (len < 10 || len > MIGRATE_NAME_MAX || strcmp(name + len - 4, ".sql") != 0 || name[4] != '_')
		return false;
	unsigned value = 0;
	for (size_t i = 0; i < 4; i++) {
		if (name[i] < '0' || name[i] > '9')
			return false;
		value = value * 10 + (unsigned)(name[i] - '0');
	}
	for (size_t i = 5; i < len - 4; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	*version = value;
	return value > 0;
}

static bool migrate_join(char *out, size_t out_size, const char *dir, const char *name)
{
	int n = snprintf(out, out_size, "%s/%s", dir, name);
	return n >= 0 && (size_t)n < out_size;
}

/* Reads one file whole and hashes it. */
static enum migrate_status migrate_file_read(const char *dir, struct migrate_file *file, char *error,
                                             size_t error_size)
{
	char path[PATH_MAX];
	struct stat st;
	enum migrate_status status = MIGRATE_BAD_FILE;
	int fd = -1;

	if (!migrate_join(path, sizeof(path), dir, file->name)) {
		snprintf(error, error_size, "%s/%s: the path is too long", dir, file->name);
		return MIGRATE_BAD_DIR;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(error, error_size, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(error, error_size, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(error, error_size, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_size > LIMIT_MIGRATION_FILE_MAX) {
		snprintf(error, error_size, "%s: larger than %ld bytes", path, LIMIT_MIGRATION_FILE_MAX);
		goto out;
	}
	file->text = malloc((size_t)st.st_size + 1);
	if (file->text == NULL) {
		snprintf(error, error_size, "%s: out of memory", path);
		status = MIGRATE_NO_MEMORY;
		goto out;
	}
	/* Read up to the cap + 1, so a file that grew since fstat is still caught. */
	size_t len = 0;
	for (;;) {
		if (len == (size_t)st.st_size) {
			char extra;
			ssize_t n = read(fd, &extra, 1);
			if (n == 0)
				break;
			if (n < 0 && errno == EINTR)
				continue;
			snprintf(error, error_size, "%s: %s", path, n < 0 ? strerror(errno) : "changed while being read");
			goto out;
		}
		ssize_t n = read(fd, file->text + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(error, error_size, "%s: %s", path, n < 0 ? strerror(errno) : "changed while being read");
			goto out;
		}
		len += (size_t)n;
	}
	file->text[len] = '\0';
	file->len = len;
	if (memchr(file->text, '\0', len) != NULL) {
		snprintf(error, error_size, "%s: holds a NUL byte: not a SQL text file", path);
		goto out;
	}
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(digest, (const unsigned char *)file->text, len);
	sodium_bin2hex(file->sha256, sizeof(file->sha256), digest, sizeof(digest));
	status = MIGRATE_OK;
out:
	if (fd >= 0)
		close(fd);
	return status;
}

static int migrate_file_compare(const void *a, const void *b)
{
	const struct migrate_file *x = a, *y = b;
	return (x->version > y->version) - (x->version < y->version);
}

static void migrate_dir_free(struct migrate_dir *dir)
{
	for (size_t i = 0; i < dir->count; i++)
		free(dir->files[i].text);
	free(dir->files);
	dir->files = NULL;
	dir->count = 0;
}

/* Lists path's *.sql files (other names are not migrations: README, editor backups), checks
 * their names, sorts them by version, reads and hashes each. */
static enum migrate_status migrate_dir_load(struct migrate_dir *dir, const char *path, char *error,
                                            size_t error_size)
{
	enum migrate_status status = MIGRATE_BAD_DIR;
	DIR *handle = NULL;
	struct dirent *entry;

	dir->path = path;
	dir->files = NULL;
	dir->count = 0;
	handle = opendir(path);
	if (handle == NULL) {
		snprintf(error, error_size, "%s: %s", path, strerror(errno));
		goto out;
	}
	dir->files = calloc(LIMIT_MIGRATIONS_MAX, sizeof(dir->files[0]));
	if (dir->files == NULL) {
		snprintf(error, error_size, "out of memory");
		status = MIGRATE_NO_MEMORY;
		goto out;
	}
	errno = 0;
	while ((entry = readdir(handle)) != NULL) {
		const char *name = entry->d_name;
		size_t len = strlen(name);
		if (name[0] == '.' || len < 4 || strcmp(name + len - 4, ".sql") != 0)
			continue;
		unsigned version;
		if (!migrate_name_parse(name, &version)) {
			snprintf(error, error_size,
			         "%s/%s: a migration's name is NNNN_name.sql (four digits from 0001, then a-z, 0-9, _)",
			         path, name);
			goto out;
		}
		if (dir->count == LIMIT_MIGRATIONS_MAX) {
			snprintf(error, error_size, "%s: more than %d migrations", path, LIMIT_MIGRATIONS_MAX);
			goto out;
		}
		struct migrate_file *file = &dir->files[dir->count++];
		file->version = version;
		memcpy(file->name, name, len + 1);
		errno = 0;
	}
	if (errno != 0) {
		snprintf(error, error_size, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (dir->count == 0) {
		snprintf(error, error_size, "%s: no migrations (NNNN_name.sql files) there", path);
		goto out;
	}
	qsort(dir->files, dir->count, sizeof(dir->files[0]), migrate_file_compare);
	for (size_t i = 1; i < dir->count; i++) {
		if (dir->files[i].version == dir->files[i - 1].version) {
			snprintf(error, error_size, "%s: %s and %s have the same version", path, dir->files[i - 1].name,
			         dir->files[i].name);
			goto out;
		}
	}
	for (size_t i = 0; i < dir->count; i++) {
		status = migrate_file_read(path, &dir->files[i], error, error_size);
		if (status != MIGRATE_OK)
			goto out;
	}
	status = MIGRATE_OK;
out:
	if (handle != NULL)
		closedir(handle);
	if (status != MIGRATE_OK)
		migrate_dir_free(dir);
	return status;
}

/* ---- the server ---- */

/* "ERROR 1146 (42S02): Table 'complaints.x' doesn't exist", as the mariadb client says it. */
static void migrate_server_error(MYSQL *db, char *out, size_t out_size)
{
	snprintf(out, out_size, "ERROR %u (%s): %s", mysql_errno(db), mysql_sqlstate(db), mysql_error(db));
}

/* Runs one statement whose result, if any, is not needed. */
static enum migrate_status migrate_exec(MYSQL *db, const char *sql, const char *what, char *error, size_t error_size)
{
	char server[512];
	if (mysql_query(db, sql) == 0) {
		MYSQL_RES *result = mysql_store_result(db);
		if (result != NULL || mysql_field_count(db) == 0) {
			mysql_free_result(result);
			return MIGRATE_OK;
		}
	}
	migrate_server_error(db, server, sizeof(server));
	snprintf(error, error_size, "%s: %s", what, server);
	return MIGRATE_SQL;
}

/* A decimal integer the server sent, whole; false if it is not one. */
static bool migrate_parse_integer(const char *text, long long *value)
{
	char *end = NULL;
	if (text == NULL)
		return false;
	errno = 0;
	*value = strtoll(text, &end, 10);
	return errno == 0 && end != text && *end == '\0';
}

/* One integer from a one-row, one-column query; -1 for NULL. */
static enum migrate_status migrate_query_integer(MYSQL *db, const char *sql, long long *value, char *error,
                                                 size_t error_size)
{
	char server[512];
	MYSQL_RES *result = NULL;
	MYSQL_ROW row;
	if (mysql_query(db, sql) != 0 || (result = mysql_store_result(db)) == NULL) {
		migrate_server_error(db, server, sizeof(server));
		snprintf(error, error_size, "%s: %s", sql, server);
		return MIGRATE_SQL;
	}
	row = mysql_fetch_row(result);
	bool ok = row != NULL && (row[0] == NULL || migrate_parse_integer(row[0], value));
	if (ok && row[0] == NULL)
		*value = -1;
	mysql_free_result(result);
	if (!ok) {
		snprintf(error, error_size, "%s: not one integer in the answer", sql);
		return MIGRATE_SQL;
	}
	return MIGRATE_OK;
}

static enum migrate_status migrate_connect(MYSQL **out, const struct migrate_target *target,
                                           const struct migrate_server *server, char *error, size_t error_size)
{
	static const char init[] = "SET time_zone = '+00:00'";
	unsigned timeout = target->connect_timeout_s;
	my_bool no = 0;
	char detail[512];
	MYSQL *db = mysql_init(NULL);
	if (db == NULL) {
		snprintf(error, error_size, "out of memory");
		return MIGRATE_NO_MEMORY;
	}
	/* Times are UTC in every table (0001_init.sql); a file's CURRENT_TIMESTAMP must agree. */
	if (mysql_options(db, MYSQL_OPT_CONNECT_TIMEOUT, &timeout) != 0 ||
	    mysql_options(db, MYSQL_SET_CHARSET_NAME, "utf8mb4") != 0 ||
	    mysql_options(db, MYSQL_INIT_COMMAND, init) != 0 ||
	    mysql_options(db, MYSQL_OPT_LOCAL_INFILE, &no) != 0) {
		snprintf(error, error_size, "cannot set the MariaDB client's options");
		mysql_close(db);
		return MIGRATE_CONNECT;
	}
	if (mysql_real_connect(db, server->host, target->user, target->password, server->database, server->port,
	                       NULL, CLIENT_MULTI_STATEMENTS) == NULL) {
		migrate_server_error(db, detail, sizeof(detail));
		snprintf(error, error_size, "%s as %s: %s", target->url, target->user, detail);
		mysql_close(db);
		return MIGRATE_CONNECT;
	}
	*out = db;
	return MIGRATE_OK;
}

/* Makes sure this is a writable primary, holds the lock, and schema_migrations exists. */
static enum migrate_status migrate_prepare(MYSQL *db, const struct migrate_target *target, char *error,
                                           size_t error_size)
{
	static const char create[] =
		"CREATE TABLE IF NOT EXISTS schema_migrations ("
		" version SMALLINT UNSIGNED NOT NULL,"
		" name VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
		" sha256 CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
		" applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),"
		" PRIMARY KEY (version),"
		" UNIQUE KEY uq_schema_migrations_name (name)"
		") ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci";
	char lock[128];
	long long value;
	enum migrate_status status;

	status = migrate_query_integer(db, "SELECT @@read_only", &value, error, error_size);
	if (status != MIGRATE_OK)
		return status;
	if (value != 0) {
		snprintf(error, error_size, "%s is read-only: a standby? Migrations run on the primary, the first of [db] replicas",
		         target->url);
		return MIGRATE_CONNECT;
	}
	snprintf(lock, sizeof(lock), "SELECT GET_LOCK('%s', %d)", MIGRATE_LOCK_NAME, MIGRATE_LOCK_WAIT_S);
	status = migrate_query_integer(db, lock, &value, error, error_size);
	if (status != MIGRATE_OK)
		return status;
	if (value != 1) {
		snprintf(error, error_size, "%s: another complaintctl migrate has held the lock %s for %d s",
		         target->url, MIGRATE_LOCK_NAME, MIGRATE_LOCK_WAIT_S);
		return MIGRATE_CONNECT;
	}
	return migrate_exec(db, create, "creating schema_migrations", error, error_size);
}

/* Compares every recorded migration with its file; marks the files that are recorded. */
static enum migrate_status migrate_check_recorded(MYSQL *db, struct migrate_dir *dir, char *error, size_t error_size)
{
	static const char select[] = "SELECT version, name, sha256 FROM schema_migrations ORDER BY version";
	enum migrate_status status = MIGRATE_OK;
	char server[512];
	MYSQL_RES *result = NULL;
	MYSQL_ROW row;

	if (mysql_query(db, select) != 0 || (result = mysql_store_result(db)) == NULL) {
		migrate_server_error(db, server, sizeof(server));
		snprintf(error, error_size, "reading schema_migrations: %s", server);
		return MIGRATE_SQL;
	}
	while (status == MIGRATE_OK && (row = mysql_fetch_row(result)) != NULL) {
		const char *name = row[1] != NULL ? row[1] : "";
		const char *sha256 = row[2] != NULL ? row[2] : "";
		long long version = 0;
		struct migrate_file *file = NULL;
		bool valid = migrate_parse_integer(row[0], &version);
		for (size_t i = 0; valid && i < dir->count && file == NULL; i++)
			if (dir->files[i].version == version)
				file = &dir->files[i];
		if (!valid) {
			snprintf(error, error_size, "schema_migrations holds a row with a bad version (name %s)", name);
			status = MIGRATE_MISSING;
		} else if (file == NULL) {
			snprintf(error, error_size,
			         "schema_migrations records %s as applied, but %s has no migration %04lld: "
			         "is this complaintctl older than the database?",
			         name, dir->path, version);
			status = MIGRATE_MISSING;
		} else if (strcmp(file->name, name) != 0) {
			snprintf(error, error_size, "%s/%s was renamed after it was applied (recorded as %s)", dir->path,
			         file->name, name);
			status = MIGRATE_EDITED;
		} else if (strcmp(file->sha256, sha256) != 0) {
			snprintf(error, error_size, "%s/%s was edited after it was applied (recorded sha256 %s, file %s)",
			         dir->path, file->name, sha256, file->sha256);
			status = MIGRATE_EDITED;
		} else {
			file->recorded = true;
		}
	}
	mysql_free_result(result);
	return status;
}

/* Sends the file whole and drains one result per statement, counting them to name the one that
 * fails. (A trailing comment yields a result of its own, so the count is not shown otherwise.) */
static enum migrate_status migrate_apply(MYSQL *db, const char *dir, const struct migrate_file *file, char *error,
                                         size_t error_size)
{
	char server[512];
	unsigned number = 1;
	int rc = mysql_real_query(db, file->text, (unsigned long)file->len);
	while (rc == 0) {
		MYSQL_RES *result = mysql_store_result(db);
		if (result == NULL && mysql_field_count(db) != 0) {
			rc = 1;
			break;
		}
		mysql_free_result(result);
		rc = mysql_next_result(db);
		if (rc == -1)
			return MIGRATE_OK;
		number++;
	}
	/* A file of comments only is a migration that does nothing. */
	if (number == 1 && mysql_errno(db) == ER_EMPTY_QUERY)
		return MIGRATE_OK;
	migrate_server_error(db, server, sizeof(server));
	snprintf(error, error_size,
	         "%s/%s: statement %u: %s (statements before it took effect; the file is not recorded, so the "
	         "next run starts it again)",
	         dir, file->name, number, server);
	return MIGRATE_SQL;
}

static enum migrate_status migrate_record(MYSQL *db, const struct migrate_file *file, char *error, size_t error_size)
{
	static const char insert[] = "INSERT INTO schema_migrations (version, name, sha256) VALUES (?, ?, ?)";
	enum migrate_status status = MIGRATE_SQL;
	char server[512];
	MYSQL_BIND bind[3];
	unsigned version = file->version;
	MYSQL_STMT *stmt = mysql_stmt_init(db);

	if (stmt == NULL) {
		snprintf(error, error_size, "out of memory");
		return MIGRATE_NO_MEMORY;
	}
	memset(bind, 0, sizeof(bind));
	bind[0].buffer_type = MYSQL_TYPE_LONG;
	bind[0].buffer = &version;
	bind[0].is_unsigned = 1;
	bind[1].buffer_type = MYSQL_TYPE_STRING;
	bind[1].buffer = (void *)file->name;
	bind[1].buffer_length = strlen(file->name);
	bind[2].buffer_type = MYSQL_TYPE_STRING;
	bind[2].buffer = (void *)file->sha256;
	bind[2].buffer_length = strlen(file->sha256);
	if (mysql_stmt_prepare(stmt, insert, sizeof(insert) - 1) != 0 || mysql_stmt_bind_param(stmt, bind) != 0 ||
	    mysql_stmt_execute(stmt) != 0) {
		snprintf(server, sizeof(server), "ERROR %u (%s): %s", mysql_stmt_errno(stmt), mysql_stmt_sqlstate(stmt),
		         mysql_stmt_error(stmt));
		snprintf(error, error_size, "%s was applied but could not be recorded (the next run applies it again): %s",
		         file->name, server);
		goto out;
	}
	status = MIGRATE_OK;
out:
	mysql_stmt_close(stmt);
	return status;
}

static double migrate_seconds_since(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

enum migrate_status migrate_run(const struct migrate_target *target, const char *dir_path, FILE *progress,
                                struct migrate_summary *summary, char *error, size_t error_size)
{
	struct migrate_server server;
	struct migrate_dir dir = {0};
	MYSQL *db = NULL;
	enum migrate_status status;

	summary->files = 0;
	summary->applied = 0;
	if (sodium_init() < 0) {
		snprintf(error, error_size, "libsodium could not be initialised");
		return MIGRATE_NO_MEMORY;
	}
	status = migrate_parse_url(target->url, &server);
	if (status != MIGRATE_OK) {
		snprintf(error, error_size, "%s: expected mariadb://host[:port]/database", target->url);
		return status;
	}
	status = migrate_dir_load(&dir, dir_path, error, error_size);
	if (status != MIGRATE_OK)
		goto out;
	summary->files = (unsigned)dir.count;
	status = migrate_connect(&db, target, &server, error, error_size);
	if (status != MIGRATE_OK)
		goto out;
	status = migrate_prepare(db, target, error, error_size);
	if (status != MIGRATE_OK)
		goto out;
	status = migrate_check_recorded(db, &dir, error, error_size);
	if (status != MIGRATE_OK)
		goto out;
	for (size_t i = 0; i < dir.count; i++) {
		struct migrate_file *file = &dir.files[i];
		struct timespec start;
		if (file->recorded)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &start);
		status = migrate_apply(db, dir.path, file, error, error_size);
		if (status != MIGRATE_OK)
			goto out;
		status = migrate_record(db, file, error, error_size);
		if (status != MIGRATE_OK)
			goto out;
		summary->applied++;
		if (progress != NULL)
			fprintf(progress, "applied %s in %.2f s\n", file->name, migrate_seconds_since(&start));
	}
out:
	if (db != NULL)
		mysql_close(db);
	migrate_dir_free(&dir);
	return status;
}
