/*
 * control.h: the master's two files in its runtime directory, and the reload request that reads
 * them — how a command on the same host asks a running master to reload and learns its verdict.
 *
 * The master (runtime.c) writes, in the directory the app names ([server] runtime_dir):
 *   complaintd.pid      its pid, one line, at start; removed when it stops;
 *   complaintd.status   key=value lines, rewritten (a new file renamed over the old, so a reader
 *                       never sees half of one) at start and after every reload it handles:
 *                         pid=12345
 *                         generation=3          the generation serving now
 *                         reloads=4             reloads handled since start (SIGHUPs; coalesced
 *                                               ones count once)
 *                         last=taken            of the last reload: taken, refused, or none
 *                         started_ms=...        when the last reload began (Unix ms, wall clock)
 *                         at=2026-12-05T16:10:00Z  when the file was written (UTC)
 *                         reason=...            a refusal's reason (FILE:LINE: [section] key:
 *                                               ...), one line; empty otherwise
 *                       removed when the master stops. Unknown keys are skipped by the reader.
 * Both are 0644: the reason is what the log says, and never holds a secret.
 */
#ifndef FCGI_CONTROL_H
#define FCGI_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CONTROL_PID_FILE "complaintd.pid"
#define CONTROL_STATUS_FILE "complaintd.status"
#define CONTROL_DIR_MAX 200          /* bytes of a runtime directory's path */
#define CONTROL_REASON_MAX 512       /* bytes of a refusal's reason kept */

enum control_verdict {
	CONTROL_NONE = 0,   /* no reload yet: the generation is the first */
	CONTROL_TAKEN,
	CONTROL_REFUSED,
};

struct control_status {
	long pid;
	unsigned generation;
	unsigned long reloads;
	enum control_verdict last;
	long long started_ms;           /* when the last reload began, Unix ms */
	char at[32];
	char reason[CONTROL_REASON_MAX];
};

enum control_result {
	CONTROL_OK = 0,                 /* read; or, for a reload, taken */
	CONTROL_RELOAD_REFUSED,         /* the master refused: status.reason says why */
	CONTROL_NO_MASTER,              /* no pid file, or no process of that pid */
	CONTROL_TIMEOUT,                /* signalled, but no verdict came in time */
	CONTROL_FAILED,                 /* a file could not be read or written, or the signal not sent */
};

/* Master: makes dir (0755, one level) when it does not exist; 0, or -1 with error. */
int control_prepare(const char *dir, char *error, size_t error_size);
/* Master: writes the pid file, or the status file; 0, or -1 with error (the caller logs it). */
int control_write_pid(const char *dir, pid_t pid, char *error, size_t error_size);
int control_write_status(const char *dir, const struct control_status *status, char *error, size_t error_size);
/* Master, stopping: removes both files. */
void control_remove(const char *dir);

/* Reads dir's pid and status files: CONTROL_OK, CONTROL_NO_MASTER (no pid file, or its
 * process is gone, or the status file is another process's) or CONTROL_FAILED, with error. */
enum control_result control_status_read(const char *dir, struct control_status *status, char *error,
                                        size_t error_size);

/* Asks the master of dir to reload (SIGHUP) and waits up to wait_ms for the verdict of a reload
 * that began after the signal: CONTROL_OK (taken: status holds the new generation),
 * CONTROL_RELOAD_REFUSED (status.reason; the old generation keeps serving), or a failure with
 * error. */
enum control_result control_reload(const char *dir, long long wait_ms, struct control_status *status,
                                   char *error, size_t error_size);

const char *control_verdict_name(enum control_verdict verdict);

#endif
