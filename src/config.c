/*
 * config.c: the table of every complaintd setting, and loading it.
 *
 * One row per key: section, name, type, where it lands, default (NULL = required), bounds, a
 * validator for values whose shape matters, and the line of help that --help-config prints and
 * complaintd.conf(5) expands on. Secrets never appear here: they come from a 0600 file or the
 * environment.
 */
#include "config.h"

#include <pwd.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "cidr.h"
#include "ini.h"
#include "limits.h"
#include "log.h"
#include "repl.h"
#include "runtime.h"
#include "secrets.h"
#include "core/observations.h"
#include "core/optout.h"
#include "store/backend.h"

static int config_check_listen(const char *value, char *reason, size_t reason_size)
{
	return runtime_listen_check(value, reason, reason_size);
}

static int config_check_cidr_list(const char *value, char *reason, size_t reason_size)
{
	struct cidr_list list;
	return cidr_list_parse(&list, value, reason, reason_size);
}

static int config_check_socket_mode(const char *value, char *reason, size_t reason_size)
{
	size_t len = strlen(value);
	bool octal = len == 4 && value[0] == '0';
	for (size_t i = 1; octal && i < len; i++)
		octal = value[i] >= '0' && value[i] <= '7';
	if (!octal) {
		snprintf(reason, reason_size, "expected four octal digits such as 0660");
		return -1;
	}
	return 0;
}

/* The account must exist now: a reload naming an unknown user is refused with its line, before
 * anything of the new configuration is used. */
static int config_check_user(const char *value, char *reason, size_t reason_size)
{
	if (value[0] != '\0' && getpwnam(value) == NULL) {
		snprintf(reason, reason_size, "no such user");
		return -1;
	}
	return 0;
}

static int config_check_log_level(const char *value, char *reason, size_t reason_size)
{
	if (log_level_parse(value) < 0) {
		snprintf(reason, reason_size, "expected debug, info, warn or error");
		return -1;
	}
	return 0;
}

static int config_check_absolute_path(const char *value, char *reason, size_t reason_size)
{
	if (value[0] != '/') {
		snprintf(reason, reason_size, "expected an absolute path");
		return -1;
	}
	return 0;
}

/* A replica list as librepl reads it ("name=url, ..."), every URL of one of schemes; empty = no
 * backend configured. */
static int config_check_replicas(const char *value, const char *set_name, const char *const *schemes,
                                 char *reason, size_t reason_size)
{
	struct repl_set set;
	struct repl_error error;
	if (value[0] == '\0')
		return 0;
	if (repl_set_parse(&set, set_name, value, &error) != REPL_OK) {
		snprintf(reason, reason_size, "%s", error.message);
		return -1;
	}
	for (unsigned i = 0; i < set.count; i++) {
		bool known_scheme = false;
		for (size_t k = 0; schemes[k] != NULL && !known_scheme; k++)
			known_scheme = strncmp(set.replicas[i].url, schemes[k], strlen(schemes[k])) == 0;
		if (!known_scheme) {
			snprintf(reason, reason_size, "replica %s: the URL must start with %s", set.replicas[i].name,
			         schemes[0]);
			return -1;
		}
	}
	return 0;
}

static int config_check_db_replicas(const char *value, char *reason, size_t reason_size)
{
	static const char *const schemes[] = {"mariadb://", "mysql://", NULL};
	return config_check_replicas(value, "db", schemes, reason, reason_size);
}

static int config_check_s3_replicas(const char *value, char *reason, size_t reason_size)
{
	static const char *const schemes[] = {"http://", "https://", NULL};
	return config_check_replicas(value, "s3", schemes, reason, reason_size);
}

/* A replica list of mail relays: smtp://host:port (STARTTLS, or clear text with tls = none) or
 * smtps://host:port (implicit TLS); nothing after the port. */
static int config_check_smtp_replicas(const char *value, char *reason, size_t reason_size)
{
	static const char *const schemes[] = {"smtp://", "smtps://", NULL};
	struct repl_set set;
	struct repl_error error;
	if (config_check_replicas(value, "smtp", schemes, reason, reason_size) != 0)
		return -1;
	if (value[0] == '\0' || repl_set_parse(&set, "smtp", value, &error) != REPL_OK)
		return 0;
	for (unsigned i = 0; i < set.count; i++) {
		const char *host = strstr(set.replicas[i].url, "://") + 3;
		if (host[0] == '\0' || host[strcspn(host, "/@?# ")] != '\0') {
			snprintf(reason, reason_size, "replica %s: expected smtp://host:port or smtps://host:port",
			         set.replicas[i].name);
			return -1;
		}
	}
	return 0;
}

static int config_check_smtp_tls(const char *value, char *reason, size_t reason_size)
{
	if (strcmp(value, "required") != 0 && strcmp(value, "none") != 0) {
		snprintf(reason, reason_size, "expected required or none");
		return -1;
	}
	return 0;
}

/* The host of smtp://host:port is the loopback: 127.0.0.0/8, [::1] or localhost. */
static bool config_smtp_loopback(const char *url)
{
	const char *host = strstr(url, "://") + 3;
	return strncmp(host, "127.", 4) == 0 || strncmp(host, "[::1]", 5) == 0 || strncmp(host, "localhost:", 10) == 0 ||
	       strcmp(host, "localhost") == 0;
}

/* Clear text is for a relay on this host only, and never carries credentials: AUTH needs TLS,
 * and tls = none needs every replica on the loopback. */
static int config_check_smtp_clear_text(const void *target, const struct ini_key *key, char *reason,
                                        size_t reason_size)
{
	const struct config *config = target;
	struct repl_set set;
	struct repl_error error;
	if (strcmp(config->smtp_tls, "none") != 0)
		return 0;
	if (strcmp(key->key, "auth") == 0) {
		if (config->smtp_auth) {
			snprintf(reason, reason_size, "AUTH needs TLS: set [smtp] tls = required (credentials never go in clear text)");
			return -1;
		}
		return 0;
	}
	if (config->smtp_replicas[0] == '\0' || repl_set_parse(&set, "smtp", config->smtp_replicas, &error) != REPL_OK)
		return 0;
	for (unsigned i = 0; i < set.count; i++)
		if (strncmp(set.replicas[i].url, "smtp://", 7) == 0 && !config_smtp_loopback(set.replicas[i].url)) {
			snprintf(reason, reason_size, "replica %s: plain SMTP (tls = none) only to a relay on the loopback",
			         set.replicas[i].name);
			return -1;
		}
	return 0;
}

/* An address as the envelope and From: carry it: no spaces, controls or brackets. */
static int config_check_mail_address(const char *value, char *reason, size_t reason_size)
{
	const char *at = strchr(value, '@');
	bool ok = at != NULL && at != value && at[1] != '\0' && strchr(at + 1, '@') == NULL;
	for (const char *p = value; ok && *p; p++)
		ok = (unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f && strchr("<>()[]\\,;:\"", *p) == NULL;
	if (!ok) {
		snprintf(reason, reason_size, "expected an address such as complaints@example.org");
		return -1;
	}
	return 0;
}

/* A domain for Message-IDs: letters, digits, dots and dashes. */
static int config_check_domain(const char *value, char *reason, size_t reason_size)
{
	bool ok = value[0] != '\0' && value[0] != '.';
	for (const char *p = value; ok && *p; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '-';
	if (!ok) {
		snprintf(reason, reason_size, "expected a domain name such as complaints.example.org");
		return -1;
	}
	return 0;
}

/* "" or http(s)://host[:port][/path] without a trailing slash, query or user. */
static int config_check_public_url(const char *value, char *reason, size_t reason_size)
{
	const char *host = strncmp(value, "https://", 8) == 0  ? value + 8
	                   : strncmp(value, "http://", 7) == 0 ? value + 7
	                                                       : NULL;
	size_t len = strlen(value);
	if (value[0] == '\0')
		return 0;
	if (host == NULL || host[0] == '\0' || host[0] == '/' || host[strcspn(host, "@?#\" <>\\")] != '\0' ||
	    value[len - 1] == '/') {
		snprintf(reason, reason_size, "expected http(s)://host[:port][/path] without a trailing slash, e.g. https://complaints.example.org");
		return -1;
	}
	return 0;
}

/* "" or scheme://host[:port] exactly as a browser sends it in Origin: http or https, no path,
 * no trailing slash, no user. */
static int config_check_origin(const char *value, char *reason, size_t reason_size)
{
	const char *host = strncmp(value, "https://", 8) == 0  ? value + 8
	                   : strncmp(value, "http://", 7) == 0 ? value + 7
	                                                       : NULL;
	if (value[0] == '\0')
		return 0;
	if (host == NULL || host[0] == '\0' || host[strcspn(host, "/@?# \t")] != '\0') {
		snprintf(reason, reason_size, "expected scheme://host[:port] as browsers send it, e.g. https://complaints.example.org");
		return -1;
	}
	return 0;
}

/* A zone of the tz database, as the C library reads it from /usr/share/zoneinfo (Debian's tzdata):
 * a relative name of letters, digits, '_', '-', '+' and '/', no dot segment, naming a TZif file. */
static int config_check_time_zone(const char *value, char *reason, size_t reason_size)
{
	static const char allowed[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+/";
	char path[320], magic[4] = "";
	bool named = value[0] != '/' && value[strspn(value, allowed)] == '\0' && strstr(value, "..") == NULL &&
	             strlen(value) < sizeof(path) - sizeof(CONFIG_ZONEINFO_DIR) - 1;
	if (named) {
		snprintf(path, sizeof(path), "%s/%s", CONFIG_ZONEINFO_DIR, value);
		FILE *file = fopen(path, "rb");
		named = file != NULL && fread(magic, 1, sizeof(magic), file) == sizeof(magic) &&
		        memcmp(magic, "TZif", sizeof(magic)) == 0;
		if (file != NULL)
			fclose(file);
	}
	if (!named) {
		snprintf(reason, reason_size, "not a time zone of %s (e.g. Europe/Brussels; is tzdata installed?)",
		         CONFIG_ZONEINFO_DIR);
		return -1;
	}
	return 0;
}

/* "" (no map), or an http(s) tile URL template with {z}, {x} and {y}, of characters that need no
 * escaping in a page's attribute or in the CSP that names its host. */
static int config_check_map_tiles(const char *value, char *reason, size_t reason_size)
{
	static const char allowed[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/{}";
	const char *host = strncmp(value, "https://", 8) == 0 ? value + 8 : strncmp(value, "http://", 7) == 0 ? value + 7 : NULL;
	if (value[0] == '\0')
		return 0;
	if (host == NULL || host[0] == '/' || strchr(host, '/') == NULL || value[strspn(value, allowed)] != '\0' ||
	    strstr(value, "{z}") == NULL || strstr(value, "{x}") == NULL || strstr(value, "{y}") == NULL) {
		snprintf(reason, reason_size,
		         "expected an http(s) URL with {z}, {x} and {y}, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png");
		return -1;
	}
	return 0;
}

/* "LAT,LON": the centre of the city, where the map opens. */
static int config_check_map_center(const char *value, char *reason, size_t reason_size)
{
	char *end = NULL;
	double lat = strtod(value, &end);
	double lon = *end == ',' ? strtod(end + 1, &end) : 1000;
	if (*end != '\0' || lat < -90 || lat > 90 || lon < -180 || lon > 180) {
		snprintf(reason, reason_size, "expected LAT,LON in degrees, e.g. 50.8466,4.3528");
		return -1;
	}
	return 0;
}

/* A location names this host in replica_observations (ASCII, binary collation, 63 bytes) and in
 * a notifier's claims: a plain name keeps it one word in logs, labels and URLs. */
static int config_check_location(const char *value, char *reason, size_t reason_size)
{
	bool plain = (value[0] >= 'a' && value[0] <= 'z') || (value[0] >= 'A' && value[0] <= 'Z') ||
	             (value[0] >= '0' && value[0] <= '9');
	for (size_t i = 1; plain && value[i] != '\0'; i++) {
		char c = value[i];
		plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		        c == '_' || c == '.';
	}
	if (!plain) {
		snprintf(reason, reason_size,
		         "expected letters, digits, '-', '_' and '.', starting with a letter or digit (e.g. eu-west-1a)");
		return -1;
	}
	return 0;
}

static int config_check_optional_absolute_path(const char *value, char *reason, size_t reason_size)
{
	return value[0] == '\0' ? 0 : config_check_absolute_path(value, reason, reason_size);
}

/* A policy over its section's replica set, checked once the whole file is loaded (the replicas
 * may come after it) by the backend that will run it. */
static int config_check_policy(const void *target, const struct ini_key *key, char *reason, size_t reason_size)
{
	return backend_check_policy(target, key->section, key->key, reason, reason_size);
}

/* Durations are librepl's, so a policy's hedge(20ms, ...) and attempt_timeout = 20ms are one syntax. */
static int config_parse_duration(const char *text, long long *ms, char *reason, size_t reason_size)
{
	struct repl_error error;
	if (repl_duration_parse(text, strlen(text), ms, NULL, &error) != REPL_OK) {
		snprintf(reason, reason_size, "%s", error.message);
		return -1;
	}
	return 0;
}

const struct ini_duration config_durations = {config_parse_duration, repl_duration_format};

/* Not shorter than the longest window /admin/replicas offers: that window would miss its oldest
 * minutes and show a week with a hole as a week. */
static int config_check_observations_retention(const char *value, char *reason, size_t reason_size)
{
	long long ms = 0, longest = observations_window_longest() * 1000LL;
	char text[32];
	if (config_parse_duration(value, &ms, reason, reason_size) != 0)
		return -1;
	if (ms >= longest)
		return 0;
	repl_duration_format(longest, text, sizeof(text));
	snprintf(reason, reason_size,
	         "%s is shorter than the longest window /admin/replicas shows (%s): that window would miss its oldest rows",
	         value, text);
	return -1;
}

#define CONFIG_DURATION(member) INI_FIELD_DURATION_MS(struct config, member, &config_durations)

static const struct ini_key config_keys[] = {
	{"server", "listen", INI_FIELD_STRING(struct config, listen), NULL, 1, 255, config_check_listen,
	 "FastCGI socket: an absolute unix socket path or host:port"},
	{"server", "listen_peers", INI_FIELD_STRING(struct config, listen_peers), "127.0.0.0/8, ::1", 0, 1023,
	 config_check_cidr_list,
	 "with a TCP listen: the addresses (ADDR[/BITS], ...) whose connections are accepted; others are closed and logged"},
	{"server", "socket_mode", INI_FIELD_STRING(struct config, socket_mode), "0660", 4, 4,
	 config_check_socket_mode, "permissions of a unix listen socket (its owner is `user`)"},
	{"server", "workers", INI_FIELD_INTEGER(struct config, workers), "4", 1, 128, NULL,
	 "worker processes, each serving one request at a time"},
	{"server", "user", INI_FIELD_STRING(struct config, user), "", 0, 63, config_check_user,
	 "unprivileged user the workers run as when started as root (empty: stay)"},
	{"server", "location", INI_FIELD_STRING(struct config, location), "local", 1, 63, config_check_location,
	 "name of this host in per-location replica statistics (letters, digits, '-', '_', '.'; e.g. eu-west-1a)"},
	{"server", "time_zone", INI_FIELD_STRING(struct config, time_zone), "UTC", 1, 63, config_check_time_zone,
	 "the city's time zone, in which pages show times (a tz database name, e.g. Europe/Brussels)"},
	{"server", "map_tiles", INI_FIELD_STRING(struct config, map_tiles), "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
	 0, 255, config_check_map_tiles,
	 "the map's tile server, {z}/{x}/{y} URL (nginx's CSP must name its host; see operator.md); empty: no map"},
	{"server", "map_attribution", INI_FIELD_STRING(struct config, map_attribution), "© OpenStreetMap contributors", 1,
	 200, NULL, "the credit the tile server's licence asks for, shown on the map"},
	{"server", "map_center", INI_FIELD_STRING(struct config, map_center), "50.8466,4.3528", 3, 40,
	 config_check_map_center, "LAT,LON where the filing form's map opens: the city's centre"},
	{"server", "map_zoom", INI_FIELD_INTEGER(struct config, map_zoom), "13", 1, 19, NULL,
	 "the zoom the filing form's map opens at (13: a city)"},
	{"server", "templates", INI_FIELD_STRING(struct config, templates), TEMPLATES_DIR, 1, 1023,
	 config_check_absolute_path, "directory of the *.mustache page templates"},
	{"server", "upload_max_bytes", INI_FIELD_SIZE(struct config, upload_max_bytes), "8M", 1024,
	 LIMIT_UPLOAD_HARD_MAX, NULL, "largest photo upload; nginx's client_max_body_size is this + 1M"},
	{"server", "photo_side_max", INI_FIELD_INTEGER(struct config, photo_side_max), "12000", 64, 65535, NULL,
	 "widest or tallest photo accepted, in pixels (read from its header, before any decoding)"},
	{"server", "photo_pixels_max", INI_FIELD_INTEGER(struct config, photo_pixels_max), "50000000", 4096,
	 1000000000, NULL, "most pixels (width x height) a photo may have: a decompression bomb is refused"},
	{"server", "drain_timeout", CONFIG_DURATION(drain_timeout_ms), "30s", 100,
	 3600 * 1000, NULL, "how long a replaced worker may take to finish its request"},
	{"server", "log_level", INI_FIELD_STRING(struct config, log_level), "info", 1, 0, config_check_log_level,
	 "debug, info, warn or error"},
	{"server", "runtime_dir", INI_FIELD_STRING(struct config, runtime_dir), "", 0, CONTROL_DIR_MAX,
	 config_check_optional_absolute_path,
	 "directory of the master's pid and status files, for complaintctl reload (made if missing); empty: none"},
	{"server", "secrets", INI_FIELD_STRING(struct config, secrets), "", 0, 1023,
	 config_check_optional_absolute_path, "the 0600 file of passwords and keys (NAME=VALUE lines)"},
	{"server", "origin", INI_FIELD_STRING(struct config, origin), "", 0, 255, config_check_origin,
	 "the site's public origin (https://host[:port]): POSTs must come from it; empty: the request's own"},
	{"server", "public_url", INI_FIELD_STRING(struct config, public_url), "", 0, 255, config_check_public_url,
	 "the site's address as mails link to it (https://host[:port][/path]); empty: mails carry no links"},
	{"db", "replicas", INI_FIELD_STRING(struct config, db_replicas), "", 0, 0, config_check_db_replicas,
	 "name=mariadb://host:port/database, ...: the primary first, then standbys and read replicas"},
	{"db", "user", INI_FIELD_STRING(struct config, db_user), "complaints_app", 1, 80, NULL,
	 "the app's database user (DML only); its password is the secret db_app_password"},
	{"db", "migrate_user", INI_FIELD_STRING(struct config, db_migrate_user), "complaints_migrate", 1, 80, NULL,
	 "the migration user (DDL), used by complaintctl migrate only; password: db_migrate_password"},
	{"db", "write", INI_FIELD_STRING(struct config, db_write_policy), "retry(n=2, seq(db))", 1,
	 REPL_POLICY_TEXT_MAX, NULL, "policy of transactions that write (seq/retry only: not idempotent)",
	 config_check_policy},
	{"db", "read", INI_FIELD_STRING(struct config, db_read_policy), "seq(db)", 1, REPL_POLICY_TEXT_MAX, NULL,
	 "policy of reads; a replica behind the session's last write is skipped", config_check_policy},
	{"db", "attempt_timeout", CONFIG_DURATION(db_attempt_timeout_ms), "2s", 10, 600 * 1000,
	 NULL, "how long one attempt on one replica may take"},
	{"db", "deadline", CONFIG_DURATION(db_deadline_ms), "5s", 10, 600 * 1000, NULL,
	 "how long one operation may take over all its attempts"},
	{"s3", "replicas", INI_FIELD_STRING(struct config, s3_replicas), "", 0, 0, config_check_s3_replicas,
	 "name=http://host:port/bucket, ...: the object storage replicas"},
	{"s3", "region", INI_FIELD_STRING(struct config, s3_region), "us-east-1", 1, 40, NULL,
	 "the SigV4 signing region; keys are the secrets s3_access_key and s3_secret_key"},
	{"s3", "put", INI_FIELD_STRING(struct config, s3_put_policy), "quorum(2, s3)", 1, REPL_POLICY_TEXT_MAX,
	 NULL, "policy of photo uploads", config_check_policy},
	{"s3", "get", INI_FIELD_STRING(struct config, s3_get_policy), "seq(s3)", 1, REPL_POLICY_TEXT_MAX, NULL,
	 "policy of photo reads; a replica without the object is skipped", config_check_policy},
	{"s3", "attempt_timeout", CONFIG_DURATION(s3_attempt_timeout_ms), "2s", 10, 600 * 1000,
	 NULL, "how long one attempt on one replica may take"},
	{"s3", "deadline", CONFIG_DURATION(s3_deadline_ms), "6s", 10, 600 * 1000, NULL,
	 "how long one operation may take over all its attempts"},
	{"s3", "repair_interval", CONFIG_DURATION(s3_repair_interval_ms), "30s", 100,
	 3600 * 1000, NULL, "how often photos a put left missing on some replicas are copied there"},
	{"s3", "backfill_rate", INI_FIELD_INTEGER(struct config, s3_backfill_rate), "10", 1, 1000, NULL,
	 "photos a second the repair child copies to a replica added to [s3] replicas (the existing ones)"},
	{"smtp", "replicas", INI_FIELD_STRING(struct config, smtp_replicas), "", 0, 0, config_check_smtp_replicas,
	 "name=smtp://host:port (STARTTLS) or name=smtps://host:port (implicit TLS), ...: the mail relays",
	 config_check_smtp_clear_text},
	{"smtp", "tls", INI_FIELD_STRING(struct config, smtp_tls), "required", 1, 16, config_check_smtp_tls,
	 "required: smtps:// or a STARTTLS that must succeed; none: clear text, loopback relays only"},
	{"smtp", "auth", INI_FIELD_BOOLEAN(struct config, smtp_auth), "no", 0, 0, NULL,
	 "log in to the relays with the secrets smtp_user and smtp_password (needs tls = required)",
	 config_check_smtp_clear_text},
	{"smtp", "from", INI_FIELD_STRING(struct config, smtp_from), "complaints@localhost", 3, 254,
	 config_check_mail_address, "the sender of every mail (envelope and From:)"},
	{"smtp", "send", INI_FIELD_STRING(struct config, smtp_send_policy), "retry(n=1, seq(smtp))", 1,
	 REPL_POLICY_TEXT_MAX, NULL, "policy of one mail (seq/retry only: par, hedge, quorum would send it twice)",
	 config_check_policy},
	{"smtp", "attempt_timeout", CONFIG_DURATION(smtp_attempt_timeout_ms), "10s", 10,
	 600 * 1000, NULL, "how long one attempt on one relay may take"},
	{"smtp", "deadline", CONFIG_DURATION(smtp_deadline_ms), "30s", 10, 600 * 1000, NULL,
	 "how long one mail may take over all its attempts"},
	{"notify", "max_attempts", INI_FIELD_INTEGER(struct config, notify_max_attempts), "10", 1, 1000, NULL,
	 "sendings of one message before it is marked failed (its last error kept)"},
	{"notify", "backoff_base", CONFIG_DURATION(notify_backoff_base_ms), "30s", 10,
	 24L * 3600 * 1000, NULL, "the wait after a message's first failed sending; doubled after each more (with jitter)"},
	{"notify", "backoff_max", CONFIG_DURATION(notify_backoff_max_ms), "1h", 10,
	 7L * 24 * 3600 * 1000, NULL, "the longest wait between two sendings of one message"},
	{"notify", "lease", CONFIG_DURATION(notify_lease_ms), "15m", 1000, 24L * 3600 * 1000,
	 NULL, "a notifier's claim on a message; a notifier that dies frees it after this long"},
	{"notify", "interval", CONFIG_DURATION(notify_interval_ms), "1s", 10, 3600 * 1000, NULL,
	 "how often the notifier looks for due messages when it found none"},
	{"notify", "batch", INI_FIELD_INTEGER(struct config, notify_batch), "20", 1, 1000, NULL,
	 "messages one notifier claims at once"},
	{"notify", "retention", CONFIG_DURATION(notify_retention_ms), "7d", 1000,
	 3660L * 24 * 3600 * 1000, NULL, "sent messages are deleted after this long"},
	{"notify", "message_id_domain", INI_FIELD_STRING(struct config, notify_message_id_domain), "complaintd.invalid",
	 1, 200, config_check_domain, "the right side of every Message-ID (the same on every host: a repeat is recognisable)"},
	{"workflow", "feedback_period", CONFIG_DURATION(feedback_period_ms), "14d", 1000,
	 366L * 24 * 3600 * 1000, NULL,
	 "a resolved complaint its resident neither confirms nor reopens this long closes as no_feedback (default 14 days)"},
	{"workflow", "auto_assign", INI_FIELD_BOOLEAN(struct config, auto_assign), "off", 0, 0, NULL,
	 "a new complaint goes to the active agent of its category's pool with the fewest open assignments"},
	{"ops", "stats_file", INI_FIELD_STRING(struct config, stats_file), "", 0, 255,
	 config_check_optional_absolute_path,
	 "librepl's stats segment (opened at start only); empty: the unix listen path with .stats for .sock, "
	 "or /run/complaintd/complaintd-PORT.stats for a TCP listen"},
	{"ops", "stats_flush_interval", CONFIG_DURATION(stats_flush_interval_ms), "60s", 100,
	 3600 * 1000, NULL,
	 "how often the timer writes the attempts counted since its last flush to replica_observations (and at stop)"},
	{"ops", "observations_retention", CONFIG_DURATION(observations_retention_ms), "35d", 1000,
	 3660L * 24 * 3600 * 1000, config_check_observations_retention,
	 "replica_observations rows are deleted this long after their period's start (at least the replica page's "
	 "longest window, 7d)"},
	{"ops", "metrics_allow", INI_FIELD_STRING(struct config, metrics_allow), "127.0.0.1, ::1", 0, 1023,
	 config_check_cidr_list,
	 "client addresses (nginx's REMOTE_ADDR; ADDR[/BITS], ...) that /metrics answers; others get 404"},
	{"queue", "cache_max_age", CONFIG_DURATION(queue_cache_max_age_ms), "5s", 0, 3600 * 1000, NULL,
	 "a worker shows the admin queue's counts per status, its agents' open counts and its categories again for this "
	 "long before reading them anew (the page says when they were read; the admin's own changes show at once); 0: "
	 "every page reads them"},
	{"auth", "common_passwords", INI_FIELD_STRING(struct config, common_passwords), DATA_DIR "/common-passwords.txt",
	 1, 1023, config_check_absolute_path, "file of common passwords (one per line) refused at sign-up"},
	{"auth", "password_ops_limit", INI_FIELD_INTEGER(struct config, password_ops_limit), "2", 1, 20, NULL,
	 "argon2id time cost (libsodium opslimit; 2 = INTERACTIVE)"},
	{"auth", "password_mem_limit", INI_FIELD_SIZE(struct config, password_mem_limit), "64M", 8192,
	 1024L * 1024 * 1024, NULL, "argon2id memory per hash (libsodium memlimit; 64M = INTERACTIVE)"},
	{"auth", "session_idle_timeout", CONFIG_DURATION(session_idle_ms), "30m", 60 * 1000,
	 7L * 24 * 3600 * 1000, NULL, "a session unused this long is over"},
	{"auth", "session_absolute_timeout", CONFIG_DURATION(session_absolute_ms), "720m",
	 60 * 1000, 30L * 24 * 3600 * 1000, NULL, "a session this old is over, however used"},
	{"auth", "hash_concurrency", INI_FIELD_INTEGER(struct config, hash_concurrency), "0", 0, 128, NULL,
	 "argon2id computations at once on this host (sign-in, sign-up, password change); over it a sign-in "
	 "is answered 503 at once; 0 = workers - 1, so one worker is always free for pages"},
	{"auth", "signin_window", CONFIG_DURATION(signin_window_ms), "30m", 1000,
	 7L * 24 * 3600 * 1000, NULL, "failed sign-ins are forgotten after this long without another"},
	{"auth", "signin_first_delay", CONFIG_DURATION(signin_first_delay_ms), "1s", 0,
	 3600 * 1000, NULL, "the wait after the first failure over a scope's free ones; doubled after each more"},
	{"auth", "signin_pair_free_failures", INI_FIELD_INTEGER(struct config, signin_pair_free_failures), "3", 0,
	 1000000, NULL, "failed sign-ins of one email from one address before it must wait"},
	{"auth", "signin_pair_max_delay", CONFIG_DURATION(signin_pair_max_delay_ms), "60s", 0,
	 3600 * 1000, NULL, "the longest wait of one email from one address"},
	{"auth", "signin_lock_failures", INI_FIELD_INTEGER(struct config, signin_lock_failures), "10", 0, 1000000,
	 NULL, "failed sign-ins that lock one email from one address (0 = never)"},
	{"auth", "signin_lock_time", CONFIG_DURATION(signin_lock_ms), "15m", 1000,
	 7L * 24 * 3600 * 1000, NULL, "how long such a lock lasts"},
	{"auth", "signin_address_free_failures", INI_FIELD_INTEGER(struct config, signin_address_free_failures),
	 "20", 0, 1000000, NULL, "failed sign-ins from one address (any email) before it must wait"},
	{"auth", "signin_address_max_delay", CONFIG_DURATION(signin_address_max_delay_ms),
	 "60s", 0, 3600 * 1000, NULL, "the longest wait of one address"},
	{"auth", "signin_email_free_failures", INI_FIELD_INTEGER(struct config, signin_email_free_failures), "5", 0,
	 1000000, NULL, "failed sign-ins of one email (from any address) before it must wait; it never locks"},
	{"auth", "signin_email_max_delay", CONFIG_DURATION(signin_email_max_delay_ms), "30s", 0,
	 30 * 1000, NULL, "the longest wait of one email from anywhere (at most 30s: an owner is never locked out)"},
	{"auth", "reset_link_lifetime", CONFIG_DURATION(reset_link_lifetime_ms), "1h", 1000,
	 24L * 3600 * 1000, NULL, "how long a password-reset link works after its mail is sent"},
	{"auth", "mail_window", CONFIG_DURATION(mail_window_ms), "1h", 1000,
	 7L * 24 * 3600 * 1000, NULL, "requests that send a mail (password reset, sign-up) are forgotten after this long"},
	{"auth", "mail_first_delay", CONFIG_DURATION(mail_first_delay_ms), "30s", 1000,
	 3600 * 1000, NULL, "the wait after the first such request over a scope's free ones; doubled after each more"},
	{"auth", "mail_email_free", INI_FIELD_INTEGER(struct config, mail_email_free), "3", 1, 1000000, NULL,
	 "mail-sending requests for one typed address that go through before each must wait (at most 30s: its owner is never kept out)"},
	{"auth", "mail_address_free", INI_FIELD_INTEGER(struct config, mail_address_free), "20", 1, 1000000, NULL,
	 "mail-sending requests from one client address (any email) that go through before it must wait"},
	{"auth", "mail_address_max_delay", CONFIG_DURATION(mail_address_max_delay_ms), "1h", 0,
	 24L * 3600 * 1000, NULL, "the longest wait of one client address"},
};

#define CONFIG_KEY_COUNT (sizeof(config_keys) / sizeof(config_keys[0]))

int config_load(struct config *config, const char *path, char *error, size_t error_size)
{
	struct ini_error detail;
	enum ini_status status = ini_load_file(config_keys, CONFIG_KEY_COUNT, config, sizeof(*config), path, &detail);
	if (status != INI_OK) {
		ini_error_format(&detail, error, error_size);
		return -1;
	}
	return 0;
}

void config_free(struct config *config)
{
	ini_free(config_keys, CONFIG_KEY_COUNT, config);
}

int config_check_secrets(const struct config *config, const struct secrets *secrets, char *error,
                         size_t error_size)
{
	static const struct {
		size_t replicas_offset;  /* the backend needs its secrets when these replicas are set */
		const char *secret;
	} needs[] = {
		{offsetof(struct config, db_replicas), "db_app_password"},
		/* Accounts come with the database: their visitor forms need the CSRF key. */
		{offsetof(struct config, db_replicas), "csrf_key"},
		{offsetof(struct config, s3_replicas), "s3_access_key"},
		{offsetof(struct config, s3_replicas), "s3_secret_key"},
	};
	if (config->smtp_auth && config->smtp_replicas != NULL && config->smtp_replicas[0] != '\0') {
		static const char *const smtp_secrets[] = {"smtp_user", "smtp_password"};
		for (size_t i = 0; i < 2; i++) {
			if (secrets_get(secrets, smtp_secrets[i]) != NULL)
				continue;
			snprintf(error, error_size, "%s: %s is missing ([smtp] auth = yes)",
			         config->secrets[0] != '\0' ? config->secrets : "[server] secrets", smtp_secrets[i]);
			return -1;
		}
	}
	/* Status mails carry a one-click unsubscribe link signed with it (core/optout.h). */
	if (config->smtp_replicas != NULL && config->smtp_replicas[0] != '\0' && config->public_url != NULL &&
	    config->public_url[0] != '\0') {
		const char *key = secrets_get(secrets, "unsubscribe_key");
		if (key == NULL || strlen(key) < OPTOUT_KEY_MIN) {
			snprintf(error, error_size,
			         "%s: unsubscribe_key is %s ([smtp] replicas and [server] public_url are set: status mails"
			         " carry a signed unsubscribe link; make one with openssl rand -base64 32)",
			         config->secrets[0] != '\0' ? config->secrets : "[server] secrets",
			         key == NULL ? "missing" : "shorter than 32 bytes");
			return -1;
		}
	}
	for (size_t i = 0; i < sizeof(needs) / sizeof(needs[0]); i++) {
		const char *replicas = *(char *const *)((const char *)config + needs[i].replicas_offset);
		if (replicas == NULL || replicas[0] == '\0' || secrets_get(secrets, needs[i].secret) != NULL)
			continue;
		if (config->secrets[0] == '\0')
			snprintf(error, error_size, "[server] secrets: no secrets file is set, and %s is needed", needs[i].secret);
		else
			snprintf(error, error_size, "%s: %s is missing", config->secrets, needs[i].secret);
		return -1;
	}
	return 0;
}

int config_stats_path(const struct config *config, char *path, size_t path_size)
{
	int written;
	const char *listen = config->listen;
	if (config->stats_file != NULL && config->stats_file[0] != '\0') {
		written = snprintf(path, path_size, "%s", config->stats_file);
	} else if (listen[0] == '/') {
		/* One segment per socket: two hosts beside each other in one directory keep apart. */
		size_t len = strlen(listen);
		if (len > 5 && strcmp(listen + len - 5, ".sock") == 0)
			len -= 5;
		written = snprintf(path, path_size, "%.*s.stats", (int)len, listen);
	} else {
		const char *port = strrchr(listen, ':');
		written = snprintf(path, path_size, "/run/complaintd/complaintd-%s.stats", port != NULL ? port + 1 : listen);
	}
	return written < 0 || (size_t)written >= path_size ? -1 : 0;
}

void config_describe(FILE *out)
{
	ini_describe(config_keys, CONFIG_KEY_COUNT, out);
}
