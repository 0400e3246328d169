/*
 * config.h: complaintd's settings, as read from its INI file.
 *
 * The whole file is described once, in the key table of config.c; this struct is where the
 * values land. Strings are malloc'd by the reader and freed by config_free.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct config {
	/* [server] */
	char *listen;
	char *socket_mode;
	long long workers;
	char *user;
	char *location;
	char *templates;
	size_t upload_max_bytes;
	long long drain_timeout_ms;
	char *log_level;
};

/* Reads path into config (zeroed, or a previous load's result). On failure config is unchanged
 * and error holds "FILE:LINE: [section] key: reason". */
int config_load(struct config *config, const char *path, char *error, size_t error_size);
void config_free(struct config *config);
/* Lists every key with its type, default and help (complaintd --help-config). */
void config_describe(FILE *out);

#endif
