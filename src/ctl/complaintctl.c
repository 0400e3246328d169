/*
 * complaintctl.c: the operator's command line tool of complaintd.
 *
 * Reads the same configuration file and secrets file as complaintd, then runs one command. A
 * command is a row of the table below: its name, its line of usage, and its function. `migrate`
 * applies db/migrations/ to the primary (the first of [db] replicas) as [db] migrate_user, with
 * the password from the secret db_migrate_password; `create-admin` adds an admin account through
 * the app's own store/db_accounts.c (as the app's user, under the [db] write policy). Exit
 * status: 0 done; 1 a migration failed or was refused, the account exists, or a reload was
 * refused; 2 a usage or configuration error; 3 the database or the running master could not be
 * reached (see complaintctl(8)). `reload` signals the running complaintd and reports its verdict.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "arena.h"
#include "config.h"
#include "control.h"
#include "core/account.h"
#include "core/due.h"
#include "core/password.h"
#include "ini.h"
#include "core/observations.h"
#include "ctl/migrate.h"
#include "ctl/replicas_report.h"
#include "ctl/seed.h"
#include "package.h"
#include "repl.h"
#include "secrets.h"
#include "store/db_accounts.h"
#include "store/db_backfills.h"

#define COMPLAINTCTL_DEFAULT_CONFIG SYSCONFDIR "/complaintd/complaintd.conf"
#define COMPLAINTCTL_DEFAULT_MIGRATIONS DATA_DIR "/migrations"
#define COMPLAINTCTL_CONNECT_TIMEOUT_S 10
#define COMPLAINTCTL_RELOAD_WAIT "30s"  /* a reload reads files and forks: seconds at most */

enum complaintctl_exit {
	COMPLAINTCTL_EXIT_OK = 0,
	COMPLAINTCTL_EXIT_FAILED = 1,    /* the command ran and failed, or refused */
	COMPLAINTCTL_EXIT_USAGE = 2,     /* bad command line, configuration, secrets or files */
	COMPLAINTCTL_EXIT_UNAVAILABLE = 3,  /* the database or the running master could not be reached */
};

/* What each migrate outcome means to a script calling us. */
static const enum complaintctl_exit complaintctl_migrate_exits[] = {
	[MIGRATE_OK] = COMPLAINTCTL_EXIT_OK,
	[MIGRATE_BAD_TARGET] = COMPLAINTCTL_EXIT_USAGE,
	[MIGRATE_BAD_DIR] = COMPLAINTCTL_EXIT_USAGE,
	[MIGRATE_BAD_FILE] = COMPLAINTCTL_EXIT_USAGE,
	[MIGRATE_CONNECT] = COMPLAINTCTL_EXIT_UNAVAILABLE,
	[MIGRATE_EDITED] = COMPLAINTCTL_EXIT_FAILED,
	[MIGRATE_MISSING] = COMPLAINTCTL_EXIT_FAILED,
	[MIGRATE_SQL] = COMPLAINTCTL_EXIT_FAILED,
	[MIGRATE_NO_MEMORY] = COMPLAINTCTL_EXIT_FAILED,
};

struct complaintctl {
	const char *config_path;
	struct config config;
	struct secrets secrets;
};

struct complaintctl_command {
	const char *name;
	const char *usage;
	int (*run)(struct complaintctl *ctl, int argc, char **argv);
};

static void complaintctl_usage(FILE *out);

__attribute__((format(printf, 1, 2))) static void complaintctl_error(const char *format, ...)
{
	va_list args;
	va_start(args, format);
	fprintf(stderr, "complaintctl: ");
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
	va_end(args);
}

/* Parses a command's own options: --help, and one --NAME VALUE (short form letter) into *value.
 * -1 when the command is done (help shown, or a usage error: *exit_code says which). */
static int complaintctl_options(int argc, char **argv, const char *name, int letter, const char **value,
                                int *exit_code)
{
	const struct option options[] = {
		{name, required_argument, NULL, letter},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char short_options[] = {'+', (char)letter, ':', 'h', '\0'};
	int option;
	optind = 0;  /* GNU getopt: start over on the command's own arguments */
	while ((option = getopt_long(argc, argv, short_options, options, NULL)) != -1) {
		if (option == letter) {
			*value = optarg;
			continue;
		}
		complaintctl_usage(option == 'h' ? stdout : stderr);
		*exit_code = option == 'h' ? COMPLAINTCTL_EXIT_OK : COMPLAINTCTL_EXIT_USAGE;
		return -1;
	}
	return 0;
}

/* Loads the configuration and its secrets file. */
static int complaintctl_load(struct complaintctl *ctl)
{
	char error[1024];
	if (config_load(&ctl->config, ctl->config_path, error, sizeof(error)) != 0) {
		complaintctl_error("%s", error);
		return -1;
	}
	if (ctl->config.secrets[0] != '\0' && secrets_load(&ctl->secrets, ctl->config.secrets, error, sizeof(error)) != 0) {
		complaintctl_error("%s", error);
		return -1;
	}
	return 0;
}

/* The configuration, its secrets and a client of the [db] set, for command; NULL after saying why
 * (the caller's usage error: nothing was written). */
static struct db *complaintctl_open_db(struct complaintctl *ctl, const char *command)
{
	char error[1024];
	struct db *db = NULL;
	if (complaintctl_load(ctl) != 0)
		return NULL;
	if (config_check_secrets(&ctl->config, &ctl->secrets, error, sizeof(error)) != 0 ||
	    (db = db_new(&ctl->config, &ctl->secrets, error, sizeof(error))) == NULL) {
		complaintctl_error("%s", error);
		return NULL;
	}
	if (!db_configured(db)) {
		complaintctl_error("%s: %s: [db] replicas is empty: there is no database to write to", command,
		                   ctl->config_path);
		db_free(db);
		return NULL;
	}
	return db;
}

static int complaintctl_migrate(struct complaintctl *ctl, int argc, char **argv)
{
	const char *migrations = COMPLAINTCTL_DEFAULT_MIGRATIONS;
	struct repl_set set;
	struct repl_error repl_error;
	struct migrate_summary summary;
	char error[2048];
	int exit_code;

	if (complaintctl_options(argc, argv, "migrations", 'm', &migrations, &exit_code) != 0)
		return exit_code;
	if (optind != argc) {
		complaintctl_error("migrate: unexpected argument: %s", argv[optind]);
		return COMPLAINTCTL_EXIT_USAGE;
	}
	if (complaintctl_load(ctl) != 0)
		return COMPLAINTCTL_EXIT_USAGE;
	if (ctl->config.db_replicas[0] == '\0') {
		complaintctl_error("%s: [db] replicas is empty: there is no database to migrate", ctl->config_path);
		return COMPLAINTCTL_EXIT_USAGE;
	}
	/* config_load has checked the list; parsing again gives us the primary's URL. */
	if (repl_set_parse(&set, "db", ctl->config.db_replicas, &repl_error) != REPL_OK || set.count == 0) {
		complaintctl_error("[db] replicas: %s", repl_error.message);
		return COMPLAINTCTL_EXIT_USAGE;
	}
	const char *password = secrets_get(&ctl->secrets, "db_migrate_password");
	if (password == NULL) {
		if (ctl->config.secrets[0] == '\0')
			complaintctl_error("%s: [server] secrets is not set, and db_migrate_password is needed",
			                   ctl->config_path);
		else
			complaintctl_error("%s: db_migrate_password is missing", ctl->config.secrets);
		return COMPLAINTCTL_EXIT_USAGE;
	}
	struct migrate_target target = {
		.url = set.replicas[0].url,
		.user = ctl->config.db_migrate_user,
		.password = password,
		.connect_timeout_s = COMPLAINTCTL_CONNECT_TIMEOUT_S,
	};
	enum migrate_status status = migrate_run(&target, migrations, stdout, &summary, error, sizeof(error));
	if (status != MIGRATE_OK) {
		fflush(stdout);
		fprintf(stderr, "complaintctl: migrate: %s\n", error);
		return (size_t)status < sizeof(complaintctl_migrate_exits) / sizeof(complaintctl_migrate_exits[0])
		               ? (int)complaintctl_migrate_exits[status]
		               : COMPLAINTCTL_EXIT_FAILED;
	}
	if (summary.applied == 0)
		printf("nothing to apply: all %u migrations in %s are applied on %s\n", summary.files, migrations,
		       set.replicas[0].name);
	else
		printf("%u of %u migrations applied on %s\n", summary.applied, summary.files, set.replicas[0].name);
	return COMPLAINTCTL_EXIT_OK;
}

/* The new account's password: the first line of stdin when it is not a terminal (scripts,
 * `pass show ... |`), else typed twice at a prompt without echo. Never an argument: those are
 * visible to every user in ps and kept in shell histories. */
static int complaintctl_read_password(char *out, size_t size)
{
	bool terminal = isatty(STDIN_FILENO);
	char again[PASSWORD_BYTES_MAX + 2];
	struct termios saved, quiet;
	int result = -1;
	for (int round = 0; round < (terminal ? 2 : 1); round++) {
		char *line = round == 0 ? out : again;
		size_t line_size = round == 0 ? size : sizeof(again);
		if (terminal) {
			fprintf(stderr, round == 0 ? "Password for the new account: " : "Again: ");
			tcgetattr(STDIN_FILENO, &saved);
			quiet = saved;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		}
		char *read = fgets(line, (int)line_size, stdin);
		if (terminal) {
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
			fputc('\n', stderr);
		}
		if (read == NULL) {
			complaintctl_error("no password given on standard input");
			goto out;
		}
		size_t len = strcspn(line, "\r\n");
		if (line[len] == '\0' && len + 1 == line_size) {
			complaintctl_error("the password is longer than %d bytes", PASSWORD_BYTES_MAX);
			goto out;
		}
		line[len] = '\0';
	}
	if (terminal && strcmp(out, again) != 0) {
		complaintctl_error("the two passwords differ");
		goto out;
	}
	result = 0;
out:
	sodium_memzero(again, sizeof(again));
	return result;
}

/* create-admin / create-agent EMAIL [--name NAME]: an account of role (there is no public sign-up
 * for either); command names the messages. */
static int complaintctl_create_account(struct complaintctl *ctl, int argc, char **argv, enum account_role role,
                                       const char *command, const char *name)
{
	char password[PASSWORD_BYTES_MAX + 2];
	char hash[PASSWORD_HASH_SIZE];
	char reason[PASSWORD_REASON_SIZE];
	char error[1024];
	struct password_list *common = NULL;
	struct db *db = NULL;
	int64_t account_id = 0;
	int result = COMPLAINTCTL_EXIT_USAGE;

	if (complaintctl_options(argc, argv, "name", 'n', &name, &result) != 0)
		return result;
	if (argc - optind != 1) {
		complaintctl_error("%s: give exactly one EMAIL (the password is read from standard input)", command);
		return COMPLAINTCTL_EXIT_USAGE;
	}
	const char *email = argv[optind];
	const char *problem = account_email_problem(email);
	if (problem == NULL)
		problem = account_name_problem(name);
	if (problem != NULL) {
		complaintctl_error("%s: %s", command, problem);
		return COMPLAINTCTL_EXIT_USAGE;
	}
	if ((db = complaintctl_open_db(ctl, command)) == NULL)
		return COMPLAINTCTL_EXIT_USAGE;
	if (password_list_load(ctl->config.common_passwords, &common, reason, sizeof(reason)) != PASSWORD_OK) {
		complaintctl_error("[auth] common_passwords: %s", reason);
		goto out;
	}
	if (complaintctl_read_password(password, sizeof(password)) != 0)
		goto out;
	if (password_policy_check(password, strlen(password), common, reason, sizeof(reason)) != PASSWORD_OK) {
		complaintctl_error("%s: %s", command, reason);
		goto out;
	}
	result = COMPLAINTCTL_EXIT_FAILED;
	if (password_hash(password, strlen(password), ctl->config.password_ops_limit, ctl->config.password_mem_limit,
	                  hash) != PASSWORD_OK) {
		complaintctl_error("%s: the password could not be hashed ([auth] limits too high for this machine?)", command);
		goto out;
	}
	if (db_worker_start(db, NULL, error, sizeof(error)) != 0) {
		complaintctl_error("%s", error);
		goto out;
	}
	enum db_status status = db_account_create(db, role, name, email, hash, &account_id);
	if (status == DB_DUPLICATE) {
		complaintctl_error("%s: an account with the email %s already exists", command, email);
		goto out;
	}
	if (status != DB_OK) {
		complaintctl_error("%s: %s (see the messages above)", command, db_strerror(status));
		result = status == DB_UNAVAILABLE ? COMPLAINTCTL_EXIT_UNAVAILABLE : COMPLAINTCTL_EXIT_FAILED;
		goto out;
	}
	printf("%s account %lld created for %s; sign in at /signin\n", role == ACCOUNT_ADMIN ? "admin" : "agent",
	       (long long)account_id, email);
	result = COMPLAINTCTL_EXIT_OK;
out:
	sodium_memzero(password, sizeof(password));
	sodium_memzero(hash, sizeof(hash));
	password_list_free(common);
	db_free(db);
	return result;
}

static int complaintctl_create_admin(struct complaintctl *ctl, int argc, char **argv)
{
	return complaintctl_create_account(ctl, argc, argv, ACCOUNT_ADMIN, "create-admin", "Administrator");
}

static int complaintctl_create_agent(struct complaintctl *ctl, int argc, char **argv)
{
	return complaintctl_create_account(ctl, argc, argv, ACCOUNT_AGENT, "create-agent", "Field agent");
}

/* A whole number option in [min, max], or -1 with the usage error said. */
static long complaintctl_count(const char *option, const char *text, long min, long max)
{
	char *end = NULL;
	long value = strtol(text, &end, 10);
	if (end == text || *end != '\0' || value < min || value > max) {
		complaintctl_error("seed: --%s takes a whole number from %ld to %ld", option, min, max);
		return -1;
	}
	return value;
}

/* seed --complaints N --residents M --agents K [--days D] [--centre LAT,LON] [--seed S]: made-up
 * accounts and complaints (ctl/seed.c). The accounts share one hash of a random password nobody
 * is told: none of them can sign in (make an admin with create-admin to look around). */
static int complaintctl_seed(struct complaintctl *ctl, int argc, char **argv)
{
	static const struct option options[] = {
		{"complaints", required_argument, NULL, 'n'}, {"residents", required_argument, NULL, 'r'},
		{"agents", required_argument, NULL, 'a'},     {"days", required_argument, NULL, 'd'},
		{"centre", required_argument, NULL, 'C'},     {"seed", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0},
	};
	/* Lisbon: a real city's spread of positions, and negative longitudes. */
	struct seed_options seed = {.complaints = 1000, .residents = 200, .agents = 10, .days = 730,
	                            .centre_lat = 38.7223, .centre_lon = -9.1393};
	char hash[PASSWORD_HASH_SIZE], password[33], error[1024];
	uint8_t random[16];
	struct db *db = NULL;
	int option, result = COMPLAINTCTL_EXIT_USAGE;
	optind = 0;
	while ((option = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
		long *target = option == 'n' ? &seed.complaints : option == 'r' ? &seed.residents
		             : option == 'a' ? &seed.agents : option == 'd' ? &seed.days : NULL;
		if (target != NULL) {
			const char *name = option == 'n' ? "complaints" : option == 'r' ? "residents"
			                 : option == 'a' ? "agents" : "days";
			if ((*target = complaintctl_count(name, optarg, option == 'n' ? 0 : 1, option == 'd' ? 3650 : 10000000)) < 0)
				return COMPLAINTCTL_EXIT_USAGE;
		} else if (option == 'C') {
			char *end = NULL;
			seed.centre_lat = strtod(optarg, &end);
			if (*end != ',' || seed.centre_lat < -89 || seed.centre_lat > 89 ||
			    (seed.centre_lon = strtod(end + 1, &end), *end != '\0') || seed.centre_lon < -179 ||
			    seed.centre_lon > 179) {
				complaintctl_error("seed: --centre takes LAT,LON in degrees, e.g. 38.7223,-9.1393");
				return COMPLAINTCTL_EXIT_USAGE;
			}
		} else if (option == 's') {
			seed.seed = (uint64_t)strtoull(optarg, NULL, 10);
		} else {
			complaintctl_usage(option == 'h' ? stdout : stderr);
			return option == 'h' ? COMPLAINTCTL_EXIT_OK : COMPLAINTCTL_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		complaintctl_error("seed: unexpected argument: %s", argv[optind]);
		return COMPLAINTCTL_EXIT_USAGE;
	}
	if ((db = complaintctl_open_db(ctl, "seed")) == NULL)
		return COMPLAINTCTL_EXIT_USAGE;
	result = COMPLAINTCTL_EXIT_FAILED;
	randombytes_buf(random, sizeof(random));
	sodium_bin2hex(password, sizeof(password), random, sizeof(random));
	if (password_hash(password, strlen(password), ctl->config.password_ops_limit, ctl->config.password_mem_limit,
	                  hash) != PASSWORD_OK) {
		complaintctl_error("seed: the password could not be hashed ([auth] limits too high for this machine?)");
		goto out;
	}
	seed.password_hash = hash;
	if (db_worker_start(db, NULL, error, sizeof(error)) != 0) {
		complaintctl_error("%s", error);
		result = COMPLAINTCTL_EXIT_UNAVAILABLE;
		goto out;
	}
	if (seed_run(db, &seed, stdout, error, sizeof(error)) != 0) {
		complaintctl_error("%s", error);
		goto out;
	}
	result = COMPLAINTCTL_EXIT_OK;
out:
	sodium_memzero(password, sizeof(password));
	db_free(db);
	return result;
}

/* Signals the running master to reload and reports its verdict: the new generation, or the
 * refusal's reason (file, line, key, position) while the old generation keeps serving. The
 * master is found through [server] runtime_dir, read alone from the file: the file may be the
 * very edit the master is about to refuse, and judging it is the master's. */
static int complaintctl_reload(struct complaintctl *ctl, int argc, char **argv)
{
	const char *wait_text = COMPLAINTCTL_RELOAD_WAIT;
	char dir[CONTROL_DIR_MAX + 1], error[CONTROL_REASON_MAX + 128];
	struct ini_error ini_error;
	struct repl_error repl_error;
	struct control_status status;
	long long wait_ms = 0;
	int exit_code;

	if (complaintctl_options(argc, argv, "wait", 'w', &wait_text, &exit_code) != 0)
		return exit_code;
	if (optind != argc) {
		complaintctl_error("reload: unexpected argument: %s", argv[optind]);
		return COMPLAINTCTL_EXIT_USAGE;
	}
	if (repl_duration_parse(wait_text, strlen(wait_text), &wait_ms, NULL, &repl_error) != REPL_OK) {
		complaintctl_error("reload: --wait %s: %s", wait_text, repl_error.message);
		return COMPLAINTCTL_EXIT_USAGE;
	}
	enum ini_status found = ini_peek_file(ctl->config_path, "server", "runtime_dir", dir, sizeof(dir), &ini_error);
	if (found == INI_MISSING || (found == INI_OK && dir[0] == '\0')) {
		complaintctl_error("reload: %s: [server] runtime_dir is not set, so the running master cannot be found "
		                   "(set it and restart complaintd; see complaintd.conf(5))",
		                   ctl->config_path);
		return COMPLAINTCTL_EXIT_USAGE;
	}
	if (found != INI_OK || dir[0] != '/') {
		if (found == INI_OK)
			snprintf(error, sizeof(error), "%s: [server] runtime_dir: expected an absolute path", ctl->config_path);
		else
			ini_error_format(&ini_error, error, sizeof(error));
		complaintctl_error("reload: %s", error);
		return COMPLAINTCTL_EXIT_USAGE;
	}
	switch (control_reload(dir, wait_ms, &status, error, sizeof(error))) {
	case CONTROL_OK:
		printf("reload taken: generation %u serves now (master pid %ld)\n", status.generation, status.pid);
		return COMPLAINTCTL_EXIT_OK;
	case CONTROL_RELOAD_REFUSED:
		complaintctl_error("reload refused: %s", status.reason);
		complaintctl_error("generation %u keeps serving (master pid %ld)", status.generation, status.pid);
		return COMPLAINTCTL_EXIT_FAILED;
	case CONTROL_NO_MASTER:
	case CONTROL_TIMEOUT:
	case CONTROL_FAILED:
		break;
	}
	complaintctl_error("reload: %s", error);
	return COMPLAINTCTL_EXIT_UNAVAILABLE;
}

/* complaintctl replicas [--location L] [--since T] [--json]: the replica page's tables. */
static int complaintctl_replicas(struct complaintctl *ctl, int argc, char **argv)
{
	static const struct option options[] = {
		{"location", required_argument, NULL, 'l'}, {"since", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},           {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *location = NULL, *since_text = "1h";
	bool json = false;
	char error[1024], since[DUE_TIME_SIZE];
	struct db *db = NULL;
	int option, result = COMPLAINTCTL_EXIT_USAGE;
	optind = 0;
	while ((option = getopt_long(argc, argv, "+l:s:jh", options, NULL)) != -1) {
		if (option == 'l') {
			location = optarg;
		} else if (option == 's') {
			since_text = optarg;
		} else if (option == 'j') {
			json = true;
		} else {
			complaintctl_usage(option == 'h' ? stdout : stderr);
			return option == 'h' ? COMPLAINTCTL_EXIT_OK : COMPLAINTCTL_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		complaintctl_error("replicas: unexpected argument: %s", argv[optind]);
		return COMPLAINTCTL_EXIT_USAGE;
	}
	if (location != NULL && (location[0] == '\0' || strlen(location) >= OBSERVATIONS_LOCATION_SIZE)) {
		complaintctl_error("replicas: --location takes a location's name, 1 to %d characters (as [server] location)",
		                   OBSERVATIONS_LOCATION_SIZE - 1);
		return COMPLAINTCTL_EXIT_USAGE;
	}
	time_t from;
	const char *problem = replicas_report_since(since_text, time(NULL), &from);
	if (problem != NULL) {
		complaintctl_error("replicas: %s", problem);
		return COMPLAINTCTL_EXIT_USAGE;
	}
	due_utc_text(from, 0, since, sizeof(since));
	if ((db = complaintctl_open_db(ctl, "replicas")) == NULL)
		return COMPLAINTCTL_EXIT_USAGE;
	result = COMPLAINTCTL_EXIT_UNAVAILABLE;
	if (db_worker_start(db, NULL, error, sizeof(error)) != 0) {
		complaintctl_error("%s", error);
		goto out;
	}
	enum db_status status = replicas_report(db, since, location, json, stdout);
	if (status != DB_OK) {
		complaintctl_error("replicas: the observations could not be read: %s", db_strerror(status));
		goto out;
	}
	result = COMPLAINTCTL_EXIT_OK;
out:
	db_free(db);
	return result;
}

/* backfills: per S3 replica of s3_backfills, the copy of the existing photos to it (progress,
 * since when, which host copies); one line a replica. */
static int complaintctl_backfills(struct complaintctl *ctl, int argc, char **argv)
{
	struct db_backfill rows[REPL_SET_REPLICAS_MAX * 2];
	size_t count = 0;
	char error[1024];
	struct arena *arena = NULL;
	struct db *db = NULL;
	int result = COMPLAINTCTL_EXIT_USAGE;
	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		complaintctl_usage(stdout);
		return COMPLAINTCTL_EXIT_OK;
	}
	if (argc > 1) {
		complaintctl_error("backfills: unexpected argument: %s", argv[1]);
		return COMPLAINTCTL_EXIT_USAGE;
	}
	if ((db = complaintctl_open_db(ctl, "backfills")) == NULL)
		return COMPLAINTCTL_EXIT_USAGE;
	result = COMPLAINTCTL_EXIT_UNAVAILABLE;
	if ((arena = arena_create(1 << 20)) == NULL || db_worker_start(db, NULL, error, sizeof(error)) != 0 ||
	    db_backfills_list(db, arena, rows, sizeof(rows) / sizeof(rows[0]), &count) != DB_OK) {
		complaintctl_error("backfills: the database could not be read");
		goto out;
	}
	replicas_report_backfills_text(rows, count, stdout);
	result = COMPLAINTCTL_EXIT_OK;
out:
	if (arena != NULL)
		arena_destroy(arena);
	db_free(db);
	return result;
}

static const struct complaintctl_command complaintctl_commands[] = {
	{"migrate", "migrate [--migrations DIR]", complaintctl_migrate},
	{"create-admin", "create-admin [--name NAME] EMAIL", complaintctl_create_admin},
	{"create-agent", "create-agent [--name NAME] EMAIL", complaintctl_create_agent},
	{"seed", "seed [--complaints N] [--residents M] [--agents K] [--days D] [--centre LAT,LON] [--seed S]",
	 complaintctl_seed},
	{"reload", "reload [--wait DURATION]", complaintctl_reload},
	{"replicas", "replicas [--location L] [--since T] [--json]", complaintctl_replicas},
	{"backfills", "backfills", complaintctl_backfills},
};

#define COMPLAINTCTL_COMMAND_COUNT (sizeof(complaintctl_commands) / sizeof(complaintctl_commands[0]))

static void complaintctl_usage(FILE *out)
{
	fprintf(out, "Usage: complaintctl [-c FILE] COMMAND [ARGS]\n"
	             "       complaintctl --help | --version\n"
	             "Administers the complaint service's database and asks the running server to reload.\n\nCommands:\n");
	for (size_t i = 0; i < COMPLAINTCTL_COMMAND_COUNT; i++)
		fprintf(out, "  %s\n", complaintctl_commands[i].usage);
	fprintf(out,
	        "\n"
	        "  migrate             apply the migrations not yet applied, in order, to the primary\n"
	        "                      (the first of [db] replicas) as [db] migrate_user\n"
	        "  --migrations DIR    the migration files (default " COMPLAINTCTL_DEFAULT_MIGRATIONS ")\n"
	        "  create-admin        add an admin account with this email; the password is read from\n"
	        "                      standard input, or asked twice on a terminal (never an argument)\n"
	        "  create-agent        the same for a field agent's account\n"
	        "  --name NAME         the account's display name (default Administrator, Field agent)\n"
	        "  seed                made-up residents, agents and complaints with their histories,\n"
	        "                      filed over the last D days (default 730) around LAT,LON (default\n"
	        "                      Lisbon); defaults 1000 complaints, 200 residents, 10 agents; the\n"
	        "                      seeded accounts cannot sign in (one random password, hashed once)\n"
	        "  reload              ask the running complaintd (found through [server] runtime_dir)\n"
	        "                      to reload its configuration, and say whether it took the reload\n"
	        "                      (the new generation) or why it refused (file, line, key)\n"
	        "  --wait DURATION     how long to wait for its answer (default " COMPLAINTCTL_RELOAD_WAIT ")\n"
	        "  replicas            per operation, location and replica: All, Fail by cause, R%%, RTT\n"
	        "                      avg/std/min/max, p50, p99 (ms) over the minutes since T (default\n"
	        "                      1h; 90m, 1d, 7d, or a UTC time 2026-12-05 10:00); --json: one object\n"
	        "  backfills           per S3 replica, the copy of the existing photos to it: copying\n"
	        "                      (N of M, the host copying) or done; a replica counted whole when\n"
	        "                      it was first seen is done with 0 of 0\n"
	        "\n"
	        "  -c, --config FILE   configuration file (default " COMPLAINTCTL_DEFAULT_CONFIG ")\n"
	        "  -h, --help          this text\n"
	        "  -V, --version       the version\n"
	        "\n"
	        "Exit status: 0 done, 1 a migration failed or a reload was refused, 2 usage or\n"
	        "configuration error, 3 the database or the running complaintd could not be reached.\n"
	        "See complaintctl(8).\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	struct complaintctl ctl = {.config_path = COMPLAINTCTL_DEFAULT_CONFIG};
	int option;
	int result = COMPLAINTCTL_EXIT_USAGE;

	/* '+': stop at the command, whose options are its own. */
	while ((option = getopt_long(argc, argv, "+c:hV", options, NULL)) != -1) {
		switch (option) {
		case 'c':
			ctl.config_path = optarg;
			break;
		case 'h':
			complaintctl_usage(stdout);
			return COMPLAINTCTL_EXIT_OK;
		case 'V':
			printf("complaintctl %s\n", PACKAGE_VERSION);
			return COMPLAINTCTL_EXIT_OK;
		default:
			complaintctl_usage(stderr);
			return COMPLAINTCTL_EXIT_USAGE;
		}
	}
	if (optind == argc) {
		complaintctl_error("no command given");
		complaintctl_usage(stderr);
		return COMPLAINTCTL_EXIT_USAGE;
	}
	const struct complaintctl_command *command = NULL;
	for (size_t i = 0; i < COMPLAINTCTL_COMMAND_COUNT && command == NULL; i++)
		if (strcmp(argv[optind], complaintctl_commands[i].name) == 0)
			command = &complaintctl_commands[i];
	if (command == NULL) {
		complaintctl_error("unknown command: %s (see complaintctl --help)", argv[optind]);
		return COMPLAINTCTL_EXIT_USAGE;
	}
	result = command->run(&ctl, argc - optind, argv + optind);
	config_free(&ctl.config);
	secrets_free(&ctl.secrets);
	return result;
}
