/*
 * main.c: complaintd, the FastCGI server of the complaint service.
 *
 * Parses the command line, then hands the prefork runtime (fcgi/runtime.c) the app's hooks:
 * loading configuration and templates (at start and on SIGHUP, in the master), serving a request
 * through the route table, and rendering the error page for requests that could not be parsed.
 * Templates are compiled by the master, so a broken template refuses a reload instead of
 * crashing every new worker; workers inherit the compiled view at fork.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "app.h"
#include "config.h"
#include "core/password.h"
#include "core/recent.h"
#include "core/token.h"
#include "log.h"
#include "package.h"
#include "repl.h"
#include "request.h"
#include "response.h"
#include "runtime.h"
#include "slots.h"
#include "store/backend.h"
#include "store/db.h"
#include "store/mail.h"
#include "store/notifier.h"
#include "store/repair.h"
#include "store/timer.h"
#include "store/storage.h"
#include "view.h"
#include "web/metrics.h"
#include "web/render.h"
#include "web/routes.h"

#define MAIN_DEFAULT_CONFIG SYSCONFDIR "/complaintd/complaintd.conf"
/* Processes of this host that may hold a stats slot at once: a reload's old and new workers side
 * by side, the extra children, and room for a slot whose dead owner's pid was reused. */
#define MAIN_STATS_SLOTS_MIN 64u
#define MAIN_STATS_SLOTS_PER_WORKER 4u
#define MAIN_STATS_SLOTS_SPARE 16u

/* The first generation opens librepl's stats segment, once: a segment that exists (complaintd
 * restarted) is opened as it was made, keeping the counts the timer has not flushed yet; one
 * that does not is made with room for this config's processes. A dead worker's counts stay in
 * its slot for the next owner (doc/librepl-stats.md). Later generations keep it: a changed path
 * takes effect at the next start, like listen. */
static int main_stats_open(struct app *app, const struct config *config, char *error, size_t error_size)
{
	char path[sizeof(app->repl_stats_path)];
	struct repl_error detail = {0};
	struct stat st;
	if (config_stats_path(config, path, sizeof(path)) != 0) {
		snprintf(error, error_size, "[ops] stats_file: the path is longer than %zu bytes", sizeof(path) - 1);
		return -1;
	}
	if (app->repl_stats != NULL) {
		if (strcmp(path, app->repl_stats_path) != 0)
			log_warn("[ops] stats_file: %s takes effect at the next start; counting goes on in %s", path,
			         app->repl_stats_path);
		return 0;
	}
	unsigned slots = 0;
	if (stat(path, &st) != 0) {
		slots = MAIN_STATS_SLOTS_PER_WORKER * (unsigned)config->workers + MAIN_STATS_SLOTS_SPARE;
		slots = slots < MAIN_STATS_SLOTS_MIN ? MAIN_STATS_SLOTS_MIN : slots;
	}
	if (repl_stats_open(&app->repl_stats, path, slots, &detail) != REPL_OK) {
		snprintf(error, error_size, "[ops] stats_file: %s", detail.message);
		return -1;
	}
	snprintf(app->repl_stats_path, sizeof(app->repl_stats_path), "%s", path);
	struct repl_stats_identity identity;
	repl_stats_identity(app->repl_stats, &identity);
	log_info("replica statistics in %s (segment %s)", path, identity.id);
	return 0;
}
#define MAIN_RECENT_SLOTS 128 /* a worker's recent answers: the queue's filters and pages of the last few seconds */

static int main_reload(void *context, unsigned generation, struct runtime_settings *settings, char *error,
                       size_t error_size)
{
	struct app *app = context;
	struct config fresh = {0};
	struct secrets secrets = {0};
	struct view *view = NULL;
	struct db *db = NULL;
	struct storage *storage = NULL;
	struct mail *mail = NULL;
	struct password_list *common_passwords = NULL;
	struct cidr_list metrics_allow;
	int result = -1;
	char view_error[VIEW_MESSAGE_MAX];
	char reason[PASSWORD_REASON_SIZE];

	if (config_load(&fresh, app->config_path, error, error_size) != 0)
		goto out;
	if (fresh.secrets[0] != '\0' && secrets_load(&secrets, fresh.secrets, error, error_size) != 0)
		goto out;
	if (config_check_secrets(&fresh, &secrets, error, error_size) != 0)
		goto out;
	/* Schema changes are complaintctl's: the daemon's workers never hold DDL rights. */
	secrets_forget(&secrets, "db_migrate_password");
	const char *csrf_key = secrets_get(&secrets, "csrf_key");
	if (csrf_key != NULL && strlen(csrf_key) < TOKEN_SERVER_KEY_MIN) {
		snprintf(error, error_size, "%s: csrf_key must be at least %d bytes (e.g. openssl rand -base64 32)",
		         fresh.secrets, TOKEN_SERVER_KEY_MIN);
		goto out;
	}
	db = db_new(&fresh, &secrets, error, error_size);
	if (db == NULL)
		goto out;
	storage = storage_new(&fresh, &secrets, error, error_size);
	if (storage == NULL)
		goto out;
	mail = mail_new(&fresh, &secrets, error, error_size);
	if (mail == NULL)
		goto out;
	if (db_configured(db)) {
		if (password_list_load(fresh.common_passwords, &common_passwords, reason, sizeof(reason)) != PASSWORD_OK) {
			snprintf(error, error_size, "[auth] common_passwords: %s", reason);
			goto out;
		}
	}
	view = view_new();
	if (view == NULL) {
		snprintf(error, error_size, "out of memory");
		goto out;
	}
	if (view_load_dir(view, fresh.templates, view_error, sizeof(view_error)) != VIEW_OK) {
		snprintf(error, error_size, "%s: templates: %s", app->config_path, view_error);
		goto out;
	}
	/* Last, because it changes the process's dummy hash: only a reload that is otherwise good may
	 * give unknown accounts this generation's argon2id limits. */
	if (db_configured(db)) {
		enum password_status initialised = password_init(fresh.password_ops_limit, fresh.password_mem_limit);
		if (initialised != PASSWORD_OK) {
			snprintf(error, error_size, "[auth] password limits: %s", password_strerror(initialised));
			goto out;
		}
	}
	/* The slots are made once, by the first generation, before any worker is forked. */
	if (app->hash_slots.fd < 0 && slots_create(&app->hash_slots, 1) != 0) {
		snprintf(error, error_size, "[auth] hash_concurrency: cannot make the slots (see the log)");
		goto out;
	}
	/* Both were checked by the config's table; parsed again here into their structs. */
	if (cidr_list_parse(&settings->peers, fresh.listen_peers, reason, sizeof(reason)) != 0 ||
	    cidr_list_parse(&metrics_allow, fresh.metrics_allow, reason, sizeof(reason)) != 0) {
		snprintf(error, error_size, "address list: %s", reason);
		goto out;
	}
	/* The request counts are made once, by the first generation, before any worker is forked. */
	if (!app->check_only && app->requests.segment == NULL && metrics_create(&app->requests) != 0) {
		snprintf(error, error_size, "cannot make the request counts (see the log)");
		goto out;
	}
	if (!app->check_only && main_stats_open(app, &fresh, error, error_size) != 0)
		goto out;
	snprintf(settings->listen, sizeof(settings->listen), "%s", fresh.listen);
	settings->socket_mode = (unsigned)strtoul(fresh.socket_mode, NULL, 8);
	settings->workers = (int)fresh.workers;
	snprintf(settings->user, sizeof(settings->user), "%s", fresh.user);
	settings->drain_timeout_ms = fresh.drain_timeout_ms;
	snprintf(settings->runtime_dir, sizeof(settings->runtime_dir), "%s", fresh.runtime_dir);

	/* Everything loaded: swap it in, free the old generation's state. */
	config_free(&app->config);
	app->config = fresh;
	memset(&fresh, 0, sizeof(fresh));
	view_free(app->view);
	app->view = view;
	view = NULL;
	secrets_free(&app->secrets);
	app->secrets = secrets;
	memset(&secrets, 0, sizeof(secrets));
	db_free(app->db);
	app->db = db;
	db = NULL;
	storage_free(app->storage);
	app->storage = storage;
	storage = NULL;
	mail_free(app->mail);
	app->mail = mail;
	mail = NULL;
	password_list_free(app->common_passwords);
	app->common_passwords = common_passwords;
	common_passwords = NULL;
	/* At most this many argon2id computations at once across the workers: by default all but
	 * one, so a worker is always free for pages while sign-ins flood in. */
	slots_resize(&app->hash_slots, app->config.hash_concurrency > 0 ? (unsigned)app->config.hash_concurrency
	                               : app->config.workers > 1 ? (unsigned)app->config.workers - 1 : 1);
	app->generation = generation;
	app->metrics_allow = metrics_allow;
	log_set_level((enum log_level)log_level_parse(app->config.log_level));
	/* Pages show times in the city's zone (render_time); the log stays in UTC (gmtime). */
	setenv("TZ", app->config.time_zone, 1);
	tzset();
	result = 0;
out:
	config_free(&fresh);
	secrets_free(&secrets);
	view_free(view);
	db_free(db);
	storage_free(storage);
	mail_free(mail);
	password_list_free(common_passwords);
	return result;
}

/* A worker's or child's own clients (never inherited across fork), counting their attempts in
 * this process's own slot of the stats segment. */
static int main_worker_start(void *context)
{
	struct app *app = context;
	char error[256];
	struct repl_error detail = {0};
	/* Without a slot the process still serves; its attempts go to the segment's dropped count. */
	if (app->repl_stats != NULL && repl_stats_attach(app->repl_stats, &detail) != REPL_OK)
		log_warn("%s: this process's attempts are not counted", detail.message);
	if (db_worker_start(app->db, app->repl_stats, error, sizeof(error)) != 0 ||
	    storage_worker_start(app->storage, app->repl_stats, error, sizeof(error)) != 0) {
		log_error("%s", error);
		return -1;
	}
	/* Without it every queue page reads its furniture: slower, not wrong. */
	app->recent = recent_new(MAIN_RECENT_SLOTS);
	if (app->recent == NULL)
		log_warn("worker: no table of recent answers (out of memory)");
	return 0;
}

static void main_worker_stop(void *context)
{
	struct app *app = context;
	db_worker_stop(app->db);
	storage_worker_stop(app->storage);
	recent_free(app->recent);
	app->recent = NULL;
}

static void main_app_free(struct app *app)
{
	config_free(&app->config);
	secrets_free(&app->secrets);
	view_free(app->view);
	db_free(app->db);
	storage_free(app->storage);
	mail_free(app->mail);
	password_list_free(app->common_passwords);
	slots_destroy(&app->hash_slots);
	tally_destroy(&app->requests);
	repl_stats_close(app->repl_stats);
	memset(app, 0, sizeof(*app));
}

static void main_handle(void *context, struct request *request, struct response *response)
{
	routes_dispatch(context, request, response);
}

static void main_error(void *context, struct request *request, struct response *response, int status,
                       const char *message)
{
	routes_error(context, request, response, status, message);
}

static void main_usage(FILE *out)
{
	fprintf(out,
	        "Usage: complaintd [-c FILE] [-t]\n"
	        "Serves the complaint service over FastCGI (behind nginx).\n"
	        "\n"
	        "  -c, --config FILE   configuration file (default " MAIN_DEFAULT_CONFIG ")\n"
	        "  -t, --test          check the configuration and templates, print every backend's\n"
	        "                      replicas and effective policies, then exit\n"
	        "      --help-config   list every configuration key with its default\n"
	        "  -h, --help          this text\n"
	        "  -V, --version       the version\n"
	        "\n"
	        "Signals: HUP reloads the configuration without dropping requests (complaintctl\n"
	        "reload sends it and says whether it was taken); TERM and INT\n"
	        "let workers finish their requests, then exit. See complaintd(8).\n");
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{"config", required_argument, NULL, 'c'},
		{"test", no_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{"help-config", no_argument, NULL, 'C'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	static struct app app = {.hash_slots = {.fd = -1, .held = -1}};
	bool test_only = false;
	int option;

	app.config_path = MAIN_DEFAULT_CONFIG;
	while ((option = getopt_long(argc, argv, "c:thV", options, NULL)) != -1) {
		switch (option) {
		case 'c':
			app.config_path = optarg;
			break;
		case 't':
			test_only = true;
			break;
		case 'h':
			main_usage(stdout);
			return 0;
		case 'C':
			config_describe(stdout);
			return 0;
		case 'V':
			printf("complaintd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			main_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "complaintd: unexpected argument: %s\n", argv[optind]);
		main_usage(stderr);
		return 2;
	}
	if (test_only) {
		struct runtime_settings settings;
		char error[512] = "";
		app.check_only = true;
		int failed = main_reload(&app, 1, &settings, error, sizeof(error));
		if (!failed) {
			printf("complaintd: %s is valid\n", app.config_path);
			printf("# The backends as they would run, defaults included (lines to paste back):\n");
			failed = backend_describe(&app.config, stdout, error, sizeof(error));
		}
		if (failed)
			fprintf(stderr, "complaintd: %s\n", error);
		main_app_free(&app);
		return failed ? 1 : 0;
	}
	static const struct runtime_child children[] = {
		{"photo-repair", repair_main},
		{"timer", timer_main},
		{"notifier", notifier_main},
	};
	const struct runtime_hooks hooks = {
		.app = &app,
		.on_reload = main_reload,
		.worker_start = main_worker_start,
		.worker_stop = main_worker_stop,
		.handle = main_handle,
		.error = main_error,
		.extra_children = children,
		.extra_children_count = sizeof(children) / sizeof(children[0]),
	};
	int status = runtime_run(&hooks);
	main_app_free(&app);
	return status;
}
