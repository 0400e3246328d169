/*
 * app.h: the state one complaintd process holds between requests.
 *
 * The master loads it (config, templates) at start and on SIGHUP; workers inherit it at fork and
 * add their own connections in worker_start. Nothing here is per request: that is the request's
 * struct call (web/call.h) and its arena.
 */
#ifndef APP_H
#define APP_H

#include <stdbool.h>

#include "config.h"
#include "secrets.h"
#include "slots.h"

struct db;
struct mail;
struct repl_stats;
struct password_list;
struct storage;
struct view;

struct app {
	const char *config_path;
	struct config config;
	struct secrets secrets;
	struct view *view;
	struct db *db;                          /* sets and policies (master); the client (worker) */
	struct storage *storage;                /* the S3 set, the same way */
	struct mail *mail;                      /* the [smtp] set: the notifier's client only */
	struct password_list *common_passwords; /* refused at sign-up and password change */
	struct slots hash_slots;   /* the host's argon2id computations at once ([auth] hash_concurrency) */
	unsigned generation;       /* the runtime's configuration generation (1, 2, ... per SIGHUP) */
	/* librepl's stats segment, opened once by the master's first generation; every worker and
	 * child attaches its own slot after fork, and its clients count every attempt there. */
	struct repl_stats *repl_stats;
	char repl_stats_path[256];
	bool check_only;           /* complaintd -t: load and check, open nothing that lasts */
};

#endif
