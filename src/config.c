/*
 * config.c: the table of every complaintd setting, and loading it.
 *
 * One row per key: section, name, type, where it lands, default (NULL = required), bounds, a
 * validator for values whose shape matters, and the line of help that --help-config prints and
 * complaintd.conf(5) expands on. Secrets never appear here: they come from a 0600 file or the
 * environment.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ini.h"
#include "limits.h"
#include "log.h"
#include "runtime.h"

static int config_check_listen(const char *value, char *reason, size_t reason_size)
{
	return runtime_listen_check(value, reason, reason_size);
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

static const struct ini_key config_keys[] = {
	{"server", "listen", INI_FIELD_STRING(struct config, listen), NULL, 1, 255, config_check_listen,
	 "FastCGI socket: an absolute unix socket path or host:port"},
	{"server", "socket_mode", INI_FIELD_STRING(struct config, socket_mode), "0660", 4, 4,
	 config_check_socket_mode, "permissions of a unix listen socket (its owner is `user`)"},
	{"server", "workers", INI_FIELD_INTEGER(struct config, workers), "4", 1, 128, NULL,
	 "worker processes, each serving one request at a time"},
	{"server", "user", INI_FIELD_STRING(struct config, user), "", 0, 63, NULL,
	 "unprivileged user the workers run as when started as root (empty: stay)"},
	{"server", "location", INI_FIELD_STRING(struct config, location), "local", 1, 63, NULL,
	 "name of this host in per-location replica statistics"},
	{"server", "templates", INI_FIELD_STRING(struct config, templates), TEMPLATES_DIR, 1, 1023,
	 config_check_absolute_path, "directory of the *.mustache page templates"},
	{"server", "upload_max_bytes", INI_FIELD_SIZE(struct config, upload_max_bytes), "8M", 1024,
	 LIMIT_UPLOAD_HARD_MAX, NULL, "largest photo upload; nginx's client_max_body_size is this + 1M"},
	{"server", "drain_timeout", INI_FIELD_DURATION_MS(struct config, drain_timeout_ms), "30s", 100,
	 3600 * 1000, NULL, "how long a replaced worker may take to finish its request"},
	{"server", "log_level", INI_FIELD_STRING(struct config, log_level), "info", 1, 5, config_check_log_level,
	 "debug, info, warn or error"},
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

void config_describe(FILE *out)
{
	ini_describe(config_keys, CONFIG_KEY_COUNT, out);
}
