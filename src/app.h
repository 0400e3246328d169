/*
 * app.h: the state one complaintd process holds between requests.
 *
 * The master loads it (config, templates) at start and on SIGHUP; workers inherit it at fork and
 * add their own connections in worker_start. Nothing here is per request: that lives in the
 * request's arena.
 */
#ifndef APP_H
#define APP_H

#include "config.h"
#include "secrets.h"

struct view;

struct app {
	const char *config_path;
	struct config config;
	struct secrets secrets;
	struct view *view;
	unsigned generation;       /* the runtime's configuration generation (1, 2, ... per SIGHUP) */
};

#endif
