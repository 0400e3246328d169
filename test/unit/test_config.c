/*
 * test_config.c: what complaintd makes of its configuration file: the defaults a minimal file
 * gets, and for each mistake an operator can make, a refusal naming file, line, section and key,
 * with the configuration already loaded left as it was (a bad SIGHUP changes nothing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "store/backend.h"

struct fixture {
	char dir[64];
	char path[128];
	struct config config;
	char error[512];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_config.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/complaintd.conf", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	config_free(&f->config);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int load(struct fixture *f, const char *text)
{
	FILE *file = fopen(f->path, "w");
	assert_non_null(file);
	assert_int_equal(fwrite(text, 1, strlen(text), file), strlen(text));
	assert_int_equal(fclose(file), 0);
	f->error[0] = '\0';
	return config_load(&f->config, f->path, f->error, sizeof(f->error));
}

/* Loading text fails with exactly "PATH:" + rest. */
static void refused(struct fixture *f, const char *text, const char *rest)
{
	char expected[600];
	assert_int_equal(load(f, text), -1);
	snprintf(expected, sizeof(expected), "%s:%s", f->path, rest);
	assert_string_equal(f->error, expected);
}

/* Loading text fails with an error starting "PATH" + rest. */
static void refused_with_prefix(struct fixture *f, const char *text, const char *rest)
{
	char expected[600];
	assert_int_equal(load(f, text), -1);
	snprintf(expected, sizeof(expected), "%s%s", f->path, rest);
	if (strncmp(f->error, expected, strlen(expected)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"", f->error, expected);
}

#define TWO_DB "replicas = primary=mariadb://127.0.0.1:3306/c, standby=mariadb://127.0.0.1:3307/c\n"

/* Policies are checked against their section's replicas once the whole file is read, so a
 * policy may come before the replicas it names; a wrong one names its line and key. */
static void test_policies(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load(f, "[server]\nlisten = /run/c.sock\n[db]\n" TWO_DB), 0);
	assert_string_equal(f->config.db_write_policy, "retry(n=2, seq(db))");
	assert_string_equal(f->config.db_read_policy, "seq(db)");
	assert_string_equal(f->config.s3_put_policy, "quorum(2, s3)");

	assert_int_equal(load(f, "[server]\nlisten = /run/c.sock\n[db]\nread = hedge(20, standby, primary)\n" TWO_DB), 0);
	assert_string_equal(f->config.db_read_policy, "hedge(20, standby, primary)");

	/* A write in parallel would commit twice. */
	refused_with_prefix(f, "[server]\nlisten = /run/c.sock\n[db]\n" TWO_DB "write = par(primary, standby)\n",
	                    ":5: [db] write: ");
	refused_with_prefix(f, "[server]\nlisten = /run/c.sock\n[db]\n" TWO_DB "read = seq(standby, replica9)\n",
	                    ":5: [db] read: ");
	/* A default that does not fit the set: the key is named, without a line. */
	refused_with_prefix(f, "[server]\nlisten = /run/c.sock\n[s3]\nreplicas = us=http://127.0.0.1:9000/b\n",
	                    ": [s3] put: ");
	/* The refused loads left the last good one in place. */
	assert_string_equal(f->config.db_read_policy, "hedge(20, standby, primary)");
}

/* Durations: one syntax in keys and in a policy's hedge; a bad one names its line, key and byte. */
static void test_durations(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load(f, "[server]\nlisten = /run/c.sock\n[db]\n" TWO_DB "read = hedge(20ms, standby, primary)\n"
	                         "attempt_timeout = 3s\ndeadline = 7500\n"),
	                 0);
	assert_int_equal(f->config.db_attempt_timeout_ms, 3000);
	assert_int_equal(f->config.db_deadline_ms, 7500);
	refused(f, "[server]\nlisten = /run/c.sock\n[db]\n" TWO_DB "attempt_timeout = 3x\n",
	        "5: [db] attempt_timeout: \"3x\" is not a duration: at 1: unknown unit 'x' (ms, s, m, h, d or w; bare "
	        "digits are milliseconds)");
	refused(f, "[server]\nlisten = /run/c.sock\n[db]\n" TWO_DB "read = hedge(20sec, standby, primary)\n",
	        "5: [db] read: at 8: unknown unit 'sec' (ms, s, m, h, d or w; bare digits are milliseconds)");
	refused(f, "[server]\nlisten = /run/c.sock\n[db]\n" TWO_DB "deadline = 11m\n",
	        "5: [db] deadline: \"11m\" is out of bounds: must be 10ms to 10m");
}

/* The replica statistics' retention: 35 days unless set; never shorter than the replica page's
 * longest window (a week), which would then miss its oldest minutes. */
static void test_observations_retention(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load(f, "[server]\nlisten = /run/c.sock\n"), 0);
	assert_int_equal(f->config.observations_retention_ms, 35LL * 24 * 3600 * 1000);
	assert_int_equal(load(f, "[server]\nlisten = /run/c.sock\n[ops]\nobservations_retention = 7d\n"), 0);
	assert_int_equal(f->config.observations_retention_ms, 7LL * 24 * 3600 * 1000);
	refused(f, "[server]\nlisten = /run/c.sock\n[ops]\nobservations_retention = 167h\n",
	        "4: [ops] observations_retention: 167h is shorter than the longest window /admin/replicas shows (7d): "
	        "that window would miss its oldest rows");
	/* The refusal left the last good value. */
	assert_int_equal(f->config.observations_retention_ms, 7LL * 24 * 3600 * 1000);
}

/* complaintd -t's rows: every operation, defaults included, expanded over its replicas; a section
 * without replicas keeps its text as written. */
static void test_effective_policies(void **state)
{
	struct fixture *f = *state;
	struct backend_effective rows[BACKEND_EFFECTIVE_MAX];
	size_t count = 0;
	assert_int_equal(load(f, "[server]\nlisten = /run/c.sock\n[db]\n" TWO_DB "read = hedge(20, db)\n"), 0);
	assert_int_equal(backend_effective(&f->config, rows, BACKEND_EFFECTIVE_MAX, &count, f->error, sizeof(f->error)), 0);
	assert_int_equal(count, 6);
	static const struct {
		const char *operation, *key, *policy;
		bool configured;
	} expected[] = {
		{"db.write", "write", "retry(2, seq(primary, standby))", true},
		{"db.primary", "write", "retry(2, seq(primary, standby))", true},
		{"db.read", "read", "hedge(20ms, primary, standby)", true},
		{"s3.put", "put", "quorum(2, s3)", false},
		{"s3.get", "get", "seq(s3)", false},
		{"smtp.send", "send", "retry(n=1, seq(smtp))", false},
	};
	for (size_t i = 0; i < count; i++) {
		assert_string_equal(rows[i].operation, expected[i].operation);
		assert_string_equal(rows[i].policy_key, expected[i].key);
		assert_string_equal(rows[i].policy, expected[i].policy);
		assert_int_equal(rows[i].configured, expected[i].configured);
	}
	assert_int_equal(rows[0].attempt_timeout_ms, 2000);
	assert_int_equal(rows[0].deadline_ms, 5000);
}

/* Mail: sequential policies only, AUTH only over TLS, clear text only to the loopback; each
 * refusal names its line and key. */
static void test_smtp(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load(f, "[server]\nlisten = /run/c.sock\n[smtp]\n"
	                         "replicas = eu=smtp://mail-eu.example.org:587, us=smtps://mail-us.example.org:465\n"
	                         "auth = yes\n"),
	                 0);
	assert_string_equal(f->config.smtp_send_policy, "retry(n=1, seq(smtp))");
	assert_string_equal(f->config.smtp_tls, "required");
	assert_true(f->config.smtp_auth);
	assert_int_equal(load(f, "[server]\nlisten = /run/c.sock\n[smtp]\nreplicas = sink=smtp://127.0.0.1:1025\n"
	                         "tls = none\nsend = rb+retry(n=2)\n"),
	                 0);
	refused_with_prefix(f, "[server]\nlisten = /run/c.sock\n[smtp]\nreplicas = a=smtp://127.0.0.1:25\nsend = par(smtp)\n",
	                    ":5: [smtp] send: ");
	assert_non_null(strstr(f->error, "not idempotent"));
	refused_with_prefix(f, "[server]\nlisten = /run/c.sock\n[smtp]\nreplicas = a=smtp://127.0.0.1:25\nsend = hedge(5, smtp)\n",
	                    ":5: [smtp] send: ");
	refused_with_prefix(f, "[server]\nlisten = /run/c.sock\n[smtp]\nreplicas = a=smtp://127.0.0.1:25\ntls = none\nauth = on\n",
	                    ":6: [smtp] auth: AUTH needs TLS");
	refused_with_prefix(f, "[server]\nlisten = /run/c.sock\n[smtp]\nreplicas = a=smtp://192.0.2.1:25\ntls = none\n",
	                    ":4: [smtp] replicas: replica a: plain SMTP");
	refused_with_prefix(f, "[server]\nlisten = /run/c.sock\n[smtp]\nreplicas = a=http://127.0.0.1:25\n",
	                    ":4: [smtp] replicas: ");
	refused_with_prefix(f, "[server]\nlisten = /run/c.sock\n[smtp]\nfrom = Complaints <c@example.org>\n",
	                    ":4: [smtp] from: ");
	refused_with_prefix(f, "[server]\nlisten = /run/c.sock\npublic_url = https://c.example.org/\n",
	                    ":3: [server] public_url: ");
	/* The refused loads left the last good one in place. */
	assert_string_equal(f->config.smtp_send_policy, "rb+retry(n=2)");
}

static void test_minimal_file_gets_defaults(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load(f, "[server]\nlisten = /run/complaintd/fcgi.sock\n"), 0);
	assert_string_equal(f->error, "");
	assert_string_equal(f->config.listen, "/run/complaintd/fcgi.sock");
	assert_int_equal(f->config.workers, 4);
	assert_string_equal(f->config.socket_mode, "0660");
	assert_int_equal(f->config.upload_max_bytes, 8u << 20);
	assert_string_equal(f->config.user, "");
	assert_string_equal(f->config.location, "local");
	assert_int_equal(f->config.drain_timeout_ms, 30000);
	assert_string_equal(f->config.log_level, "info");
	assert_non_null(f->config.templates);
	assert_int_equal(f->config.templates[0], '/');
}

static void test_full_file(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load(f, "# complaintd.conf\n"
	                         "[server]\n"
	                         "listen = 127.0.0.1:9000\n"
	                         "socket_mode = 0600\n"
	                         "workers = 128\n"
	                         "user = nobody\n"
	                         "location = paris-1\n"
	                         "templates = /usr/share/complaintd/templates\n"
	                         "upload_max_bytes = 16M\n"
	                         "drain_timeout = 2m\n"
	                         "log_level = debug\n"),
	                 0);
	assert_string_equal(f->config.listen, "127.0.0.1:9000");
	assert_string_equal(f->config.socket_mode, "0600");
	assert_int_equal(f->config.workers, 128);
	assert_string_equal(f->config.user, "nobody");
	assert_string_equal(f->config.location, "paris-1");
	assert_string_equal(f->config.templates, "/usr/share/complaintd/templates");
	assert_int_equal(f->config.upload_max_bytes, 16u << 20);
	assert_int_equal(f->config.drain_timeout_ms, 120000);
	assert_string_equal(f->config.log_level, "debug");

	assert_int_equal(load(f, "[server]\nlisten = [::1]:9000\nworkers = 1\n"), 0);
	assert_string_equal(f->config.listen, "[::1]:9000");
	assert_int_equal(f->config.workers, 1);
}

static void test_unknown_key(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load(f, "[server]\nlisten = /run/c.sock\n\nworker = 8\n"), -1);
	char prefix[200];
	snprintf(prefix, sizeof(prefix), "%s:4: [server] worker: ", f->path);
	if (strncmp(f->error, prefix, strlen(prefix)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"", f->error, prefix);

	assert_int_equal(load(f, "[server]\nlisten = /run/c.sock\n[database]\nhost = db\n"), -1);
	snprintf(prefix, sizeof(prefix), "%s:3: [database]", f->path);
	if (strncmp(f->error, prefix, strlen(prefix)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"", f->error, prefix);
}

static void test_bad_listen(void **state)
{
	struct fixture *f = *state;
	refused(f, "[server]\nlisten = nope\n",
	        "2: [server] listen: expected an absolute unix socket path or host:port (port 1-65535)");
	refused(f, "[server]\nworkers = 2\nlisten = host:0\n",
	        "3: [server] listen: expected an absolute unix socket path or host:port (port 1-65535)");
	refused(f, "[server]\nlisten = host:65536\n",
	        "2: [server] listen: expected an absolute unix socket path or host:port (port 1-65535)");
	refused(f, "[server]\nlisten = host:\n",
	        "2: [server] listen: expected an absolute unix socket path or host:port (port 1-65535)");

	char text[400];
	char long_path[201];
	long_path[0] = '/';
	memset(long_path + 1, 's', sizeof(long_path) - 2);
	long_path[sizeof(long_path) - 1] = '\0';
	snprintf(text, sizeof(text), "[server]\n\n\nlisten = %s\n", long_path);
	refused(f, text, "4: [server] listen: a unix socket path holds at most 107 bytes");
}

static void test_workers_bounds(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load(f, "[server]\nlisten = /run/c.sock\nworkers = 0\n"), -1);
	char prefix[200];
	snprintf(prefix, sizeof(prefix), "%s:3: [server] workers: ", f->path);
	if (strncmp(f->error, prefix, strlen(prefix)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"", f->error, prefix);
	assert_int_equal(load(f, "[server]\nlisten = /run/c.sock\nworkers = 129\n"), -1);
	if (strncmp(f->error, prefix, strlen(prefix)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"", f->error, prefix);
	assert_int_equal(load(f, "[server]\nlisten = /run/c.sock\nworkers = four\n"), -1);
	if (strncmp(f->error, prefix, strlen(prefix)) != 0)
		fail_msg("error \"%s\" does not start with \"%s\"", f->error, prefix);
}

static void test_bad_socket_mode(void **state)
{
	static const char *const modes[] = {"660", "0680", "0o66", "06600", "u+rw"};
	struct fixture *f = *state;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		char text[100];
		snprintf(text, sizeof(text), "[server]\nlisten = /run/c.sock\nsocket_mode = %s\n", modes[i]);
		assert_int_equal(load(f, text), -1);
		char prefix[200];
		snprintf(prefix, sizeof(prefix), "%s:3: [server] socket_mode: ", f->path);
		if (strncmp(f->error, prefix, strlen(prefix)) != 0)
			fail_msg("mode %s: error \"%s\" does not start with \"%s\"", modes[i], f->error, prefix);
	}
	refused(f, "[server]\nlisten = /run/c.sock\nsocket_mode = 0680\n",
	        "3: [server] socket_mode: expected four octal digits such as 0660");
}

static void test_unknown_user(void **state)
{
	struct fixture *f = *state;
	refused(f, "[server]\nlisten = /run/c.sock\nuser = no-such-user-here\n", "3: [server] user: no such user");
}

/* A city's zone of Debian's tzdata is taken; anything that is not a zone file there is refused
 * with its line and key, never read from elsewhere. */
static void test_time_zone(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load(f, "[server]\nlisten = /run/c.sock\n"), 0);
	assert_string_equal(f->config.time_zone, "UTC");
	assert_int_equal(load(f, "[server]\nlisten = /run/c.sock\ntime_zone = Europe/Brussels\n"), 0);
	assert_string_equal(f->config.time_zone, "Europe/Brussels");
	static const char *const bad[] = {"Mars/Olympus", "Europe", "../../etc/passwd", "/usr/share/zoneinfo/UTC",
	                                  "Europe/../UTC"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[200], expected[300];
		snprintf(text, sizeof(text), "[server]\nlisten = /run/c.sock\ntime_zone = %s\n", bad[i]);
		snprintf(expected, sizeof(expected), "%s:3: [server] time_zone: not a time zone", f->path);
		assert_int_equal(load(f, text), -1);
		if (strncmp(f->error, expected, strlen(expected)) != 0)
			fail_msg("zone \"%s\": error \"%s\" does not start with \"%s\"", bad[i], f->error, expected);
	}
}

static void test_bad_log_level(void **state)
{
	struct fixture *f = *state;
	refused(f, "[server]\nlog_level = trace\nlisten = /run/c.sock\n",
	        "2: [server] log_level: expected debug, info, warn or error");
	/* A longer word gets the same answer, listing the words that are allowed. */
	refused(f, "[server]\nlisten = /run/c.sock\nlog_level = verbose\n",
	        "3: [server] log_level: expected debug, info, warn or error");
}

static void test_upload_bounds(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load(f, "[server]\nlisten = /run/c.sock\nupload_max_bytes = 1023\n"), -1);
	assert_non_null(strstr(f->error, ":3: [server] upload_max_bytes: "));
	assert_int_equal(load(f, "[server]\nlisten = /run/c.sock\nupload_max_bytes = 65M\n"), -1);
	assert_non_null(strstr(f->error, ":3: [server] upload_max_bytes: "));
	assert_int_equal(load(f, "[server]\nlisten = /run/c.sock\nupload_max_bytes = 64M\n"), 0);
	assert_int_equal(f->config.upload_max_bytes, 64u << 20);
}

static void test_templates_must_be_absolute(void **state)
{
	struct fixture *f = *state;
	refused(f, "[server]\nlisten = /run/c.sock\ntemplates = templates\n",
	        "3: [server] templates: expected an absolute path");
}

/* A location is one word of letters, digits, '-', '_' and '.': it names the host in replica rows. */
static void test_location(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {"eu west", "-eu", ".eu", "eu/west", "eu;1", "é-1", "a'b"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[200];
		snprintf(text, sizeof(text), "[server]\nlisten = /run/c.sock\nlocation = %s\n", bad[i]);
		refused(f, text,
		        "3: [server] location: expected letters, digits, '-', '_' and '.', starting with a letter or digit"
		        " (e.g. eu-west-1a)");
	}
	char long_name[100];
	memset(long_name, 'a', 64);
	long_name[64] = '\0';
	char text[200];
	snprintf(text, sizeof(text), "[server]\nlisten = /run/c.sock\nlocation = %s\n", long_name);
	assert_int_equal(load(f, text), -1);
	assert_non_null(strstr(f->error, ":3: [server] location: "));
	assert_int_equal(load(f, "[server]\nlisten = /run/c.sock\nlocation = eu-west-1a\n"), 0);
	assert_string_equal(f->config.location, "eu-west-1a");
	assert_int_equal(load(f, "[server]\nlisten = /run/c.sock\nlocation = HK_1.b\n"), 0);
	assert_string_equal(f->config.location, "HK_1.b");
}

/* The stats segment sits beside the listen socket unless [ops] stats_file names it. */
static void test_stats_path(void **state)
{
	struct fixture *f = *state;
	char path[256];
	assert_int_equal(load(f, "[server]\nlisten = /run/c.sock\n"), 0);
	assert_int_equal(config_stats_path(&f->config, path, sizeof(path)), 0);
	assert_string_equal(path, "/run/c.stats");
	assert_int_equal(load(f, "[server]\nlisten = /tmp/x/fcgi\n"), 0);
	assert_int_equal(config_stats_path(&f->config, path, sizeof(path)), 0);
	assert_string_equal(path, "/tmp/x/fcgi.stats");
	assert_int_equal(load(f, "[server]\nlisten = 127.0.0.1:9000\n"), 0);
	assert_int_equal(config_stats_path(&f->config, path, sizeof(path)), 0);
	assert_string_equal(path, "/run/complaintd/complaintd-9000.stats");
	assert_int_equal(load(f, "[server]\nlisten = /run/c.sock\n[ops]\nstats_file = /var/lib/c/stats\n"), 0);
	assert_int_equal(config_stats_path(&f->config, path, sizeof(path)), 0);
	assert_string_equal(path, "/var/lib/c/stats");
	refused(f, "[server]\nlisten = /run/c.sock\n[ops]\nstats_file = stats\n",
	        "4: [ops] stats_file: expected an absolute path");
}

static void test_missing_listen(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load(f, "[server]\nworkers = 2\n"), -1);
	assert_non_null(strstr(f->error, f->path));
	assert_non_null(strstr(f->error, "[server] listen"));
	assert_null(f->config.listen);
}

static void test_missing_file(void **state)
{
	struct fixture *f = *state;
	char path[200];
	snprintf(path, sizeof(path), "%s/absent.conf", f->dir);
	assert_int_equal(config_load(&f->config, path, f->error, sizeof(f->error)), -1);
	assert_non_null(strstr(f->error, path));
}

static void test_failed_load_keeps_previous(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(load(f, "[server]\nlisten = /run/c.sock\nworkers = 6\nlocation = lyon\n"), 0);
	static const char *const bad[] = {
		"[server]\nlisten = /run/other.sock\nworkers = 500\n",
		"[server]\nlisten = /run/other.sock\nlocation = nantes\nbogus = 1\n",
		"[server]\nworkers = 2\n",
		"[server]\nlisten = /run/other.sock\nlisten = /run/again.sock\n",
		"listen = /run/other.sock\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(load(f, bad[i]), -1);
		assert_true(f->error[0] != '\0');
		assert_string_equal(f->config.listen, "/run/c.sock");
		assert_int_equal(f->config.workers, 6);
		assert_string_equal(f->config.location, "lyon");
		assert_string_equal(f->config.socket_mode, "0660");
	}
	/* A good reload replaces everything, defaults included. */
	assert_int_equal(load(f, "[server]\nlisten = /run/new.sock\n"), 0);
	assert_string_equal(f->config.listen, "/run/new.sock");
	assert_int_equal(f->config.workers, 4);
	assert_string_equal(f->config.location, "local");
}

static void test_describe_lists_every_key(void **state)
{
	(void)state;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	assert_non_null(out);
	config_describe(out);
	assert_int_equal(fclose(out), 0);
	static const char *const keys[] = {"listen", "socket_mode", "workers", "user", "location",
	                                   "templates", "upload_max_bytes", "drain_timeout", "log_level"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char name[64];
		snprintf(name, sizeof(name), "server.%s", keys[i]);
		if (strstr(text, name) == NULL) {
			free(text);
			fail_msg("--help-config does not list %s", name);
		}
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_minimal_file_gets_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_durations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_observations_retention, setup, teardown),
		cmocka_unit_test_setup_teardown(test_effective_policies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_smtp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_listen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_workers_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_socket_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_log_level, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_user, setup, teardown),
		cmocka_unit_test_setup_teardown(test_time_zone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_upload_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_templates_must_be_absolute, setup, teardown),
		cmocka_unit_test_setup_teardown(test_location, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_listen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_load_keeps_previous, setup, teardown),
		cmocka_unit_test(test_describe_lists_every_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
