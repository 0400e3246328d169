/*
 * fuzz_ini.c: libFuzzer target for the configuration reader (fcgi/ini.c).
 *
 * The input is split at its first 0xFF byte (which a valid file never holds) into a first load
 * and a reload of the same struct, so both the fresh-load and the replace-on-success paths run.
 * Besides the sanitizers' checks, it aborts if a refused reload changed the struct, if a
 * successful load left a required string unset, or if an error message is empty.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ini.h"

struct fuzz_conf {
	char *listen;
	char *replicas;
	char *policy;
	long long workers;
	long long offset;
	bool debug;
	size_t upload;
	size_t cache;
	long long timeout;
	long long idle;
};

static int fuzz_check_listen(const char *value, char *reason, size_t size)
{
	if (value[0] == '/' || strncmp(value, "tcp:", 4) == 0)
		return 0;
	if (strcmp(value, "quiet") == 0)
		return 1;  /* a refusal without a reason */
	snprintf(reason, size, "must be a path or tcp:HOST:PORT");
	return 1;
}

static const struct ini_key fuzz_table[] = {
	{.section = "server", .key = "listen", INI_FIELD_STRING(struct fuzz_conf, listen), .min = 1,
	 .max = 108, .check = fuzz_check_listen},
	{.section = "server", .key = "workers", INI_FIELD_INTEGER(struct fuzz_conf, workers),
	 .default_value = "8", .min = 1, .max = 64},
	{.section = "server", .key = "debug", INI_FIELD_BOOLEAN(struct fuzz_conf, debug),
	 .default_value = "off"},
	{.section = "server", .key = "upload_max_bytes", INI_FIELD_SIZE(struct fuzz_conf, upload),
	 .default_value = "8M", .min = 1024, .max = 64LL * 1024 * 1024},
	{.section = "db", .key = "replicas", INI_FIELD_STRING(struct fuzz_conf, replicas),
	 .default_value = ""},
	{.section = "db", .key = "write", INI_FIELD_STRING(struct fuzz_conf, policy),
	 .default_value = "seq(primary)", .max = 256},
	{.section = "db", .key = "attempt_timeout_ms",
	 INI_FIELD_DURATION_MS(struct fuzz_conf, timeout, &config_durations), .default_value = "2s", .min = 1,
	 .max = 600000},
	{.section = "s3", .key = "cache", INI_FIELD_SIZE(struct fuzz_conf, cache),
	 .default_value = "0"},
	{.section = "s3", .key = "idle", INI_FIELD_DURATION_MS(struct fuzz_conf, idle, &config_durations),
	 .default_value = "1m"},
	{.section = "s3", .key = "offset", INI_FIELD_INTEGER(struct fuzz_conf, offset),
	 .default_value = "-1"},
};
#define FUZZ_TABLE_LEN (sizeof(fuzz_table) / sizeof(fuzz_table[0]))

static void fuzz_load(struct fuzz_conf *conf, const uint8_t *data, size_t size)
{
	struct fuzz_conf before = *conf;
	struct ini_error error;
	char message[sizeof(error) + 32];
	enum ini_status status = ini_load_buffer(fuzz_table, FUZZ_TABLE_LEN, conf, sizeof(*conf),
	                                         "fuzz.conf", (const char *)data, size, &error);
	if (status == INI_OK) {
		if (conf->listen == NULL || conf->replicas == NULL || conf->policy == NULL)
			abort();
		if (conf->workers < 1 || conf->workers > 64)
			abort();
		return;
	}
	if (memcmp(conf, &before, sizeof(*conf)) != 0 || status == INI_BAD_TABLE)
		abort();
	if (ini_error_format(&error, message, sizeof(message)) == 0 || error.reason[0] == '\0')
		abort();
	if (ini_strerror(status) == NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_conf conf = {0};
	const uint8_t *split = memchr(data, 0xFF, size);
	size_t first = split != NULL ? (size_t)(split - data) : size;
	fuzz_load(&conf, data, first);
	if (split != NULL)
		fuzz_load(&conf, split + 1, size - first - 1);
	ini_free(fuzz_table, FUZZ_TABLE_LEN, &conf);
	return 0;
}
