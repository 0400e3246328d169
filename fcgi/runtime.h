/*
 * runtime.h: the prefork FastCGI server — a master process and its workers.
 *
 * The master binds the FastCGI socket itself (a unix path or host:port), refusing to start if a
 * live server answers there, then forks `workers` processes that drop to an unprivileged user and
 * serve requests with libfcgi's FCGX_Accept_r, one at a time, each in a fresh per-request arena.
 * The master restarts a worker that dies; SIGHUP asks the app to reload its configuration and,
 * if that succeeds, starts a new generation of workers and lets the old ones finish the request
 * they are serving; SIGTERM or SIGINT drains every worker and exits. With a runtime directory the
 * master keeps its pid and the verdict of its last reload there (control.h), for a command that
 * asks it to reload. Workers accept connections themselves, so a TCP listen can close a peer
 * outside `peers` before libfcgi reads a byte. The app plugs in through `struct runtime_hooks`
 * and knows nothing of processes or signals.
 */
#ifndef FCGI_RUNTIME_H
#define FCGI_RUNTIME_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cidr.h"

struct request;
struct response;

/* What the runtime needs from the app's configuration; filled by the reload hook. */
struct runtime_settings {
	char listen[256];         /* "/path/to.sock" or "host:port" */
	unsigned socket_mode;     /* permission bits of a unix socket, e.g. 0660 */
	int workers;
	char user[64];            /* drop to this user when started as root; "" = stay */
	long drain_timeout_ms;    /* how long an old worker may take to finish before SIGKILL */
	char runtime_dir[256];    /* where the master keeps its pid and status files (control.h);
	                           * "" = none */
	struct cidr_list peers;   /* a TCP listen accepts only these peers (unix sockets: anyone
	                           * the socket's mode lets in) */
};

/* What the master counts, in memory shared with every process it forks, so a worker can report
 * it (the app's /metrics). Each field is written by one process kind and read by any. */
struct runtime_counters {
	_Atomic unsigned long long worker_restarts;  /* workers restarted after an unexpected exit */
	_Atomic unsigned long long child_restarts;   /* extra children restarted the same way */
	_Atomic unsigned long long reloads;          /* SIGHUPs that started a new generation */
	_Atomic unsigned long long reloads_refused;  /* SIGHUPs whose configuration was refused */
	_Atomic unsigned long long peers_refused;    /* TCP connections closed at accept (workers) */
	_Atomic unsigned generation;                 /* the master's current generation */
};

/* A long-running helper process of the app (the notifier, the timer...), restarted if it dies. */
struct runtime_child {
	const char *name;   /* also its process name (/proc/PID/comm): at most 15 bytes */
	/* Runs in the child after privileges are dropped; returns the exit status. It should
	 * return soon after runtime_stop_requested() becomes true. */
	int (*main)(void *app);
};

struct runtime_hooks {
	void *app;
	/* Master, at start (generation 1) and on each SIGHUP: load configuration and everything
	 * derived from it into the app, filling settings. Nonzero = refuse: the message is logged,
	 * written to the status file as the refusal's reason, and the running generation stays. */
	int (*on_reload)(void *app, unsigned generation, struct runtime_settings *settings, char *error,
	                 size_t error_size);
	/* Master, just before each fork. Optional. */
	void (*before_fork)(void *app);
	/* Worker or child, after dropping privileges: open connections. Nonzero = exit(1). Optional. */
	int (*worker_start)(void *app);
	/* Worker, after its last request. Optional. */
	void (*worker_stop)(void *app);
	/* Worker: answer one parsed request by filling response. */
	void (*handle)(void *app, struct request *request, struct response *response);
	/* Worker: answer a request that could not be parsed (status 400, 413...; message says why,
	 * for the user). request holds whatever was parsed before the failure. */
	void (*error)(void *app, struct request *request, struct response *response, int status,
	              const char *message);
	const struct runtime_child *extra_children;
	size_t extra_children_count;
};

/* Checks a listen value (unix path or host:port); for config validators. 0 = fine. */
int runtime_listen_check(const char *listen, char *reason, size_t reason_size);

/* Runs the master until SIGTERM/SIGINT: 0 after a clean drain, 1 if the start failed. */
int runtime_run(const struct runtime_hooks *hooks);

/* The master's counters (see above), or NULL before runtime_run made them. */
const struct runtime_counters *runtime_counters(void);

/* True in a worker or child once it has been asked to stop. */
bool runtime_stop_requested(void);
/* Sleeps ms in steps of at most 100 ms in a master's child, returning early once it is asked to stop. */
void runtime_pause(long long ms);

#endif
