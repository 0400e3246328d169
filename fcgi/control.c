/*
 * control.c: the master's pid and status files, and the reload request that reads them (see
 * control.h for the files' format).
 *
 * Each file is written whole to a fresh temporary name in the same directory and renamed over
 * the old one, so a reader sees the old file or the new, never a part. The master writes the
 * status before the pid file at start and removes the pid file first when it stops, so a pid
 * file always has its status beside it. A reload request waits for a verdict whose reload began
 * after its own signal (started_ms), so a reload already under way when it signalled, or another
 * caller's, is never taken for its answer.
 */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CONTROL_FILE_MAX 4096        /* bytes read of either file */
#define CONTROL_POLL_MS 50

static const char *const control_verdict_names[] = {
	[CONTROL_NONE] = "none",
	[CONTROL_TAKEN] = "taken",
	[CONTROL_REFUSED] = "refused",
};

const char *control_verdict_name(enum control_verdict verdict)
{
	return (size_t)verdict < sizeof(control_verdict_names) / sizeof(control_verdict_names[0])
	           ? control_verdict_names[verdict]
	           : "none";
}

static long long control_wall_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static long long control_monotonic_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* dir/name into path; -1 when it does not fit. */
static int control_path(char *path, size_t size, const char *dir, const char *name)
{
	int n = snprintf(path, size, "%s/%s", dir, name);
	return n > 0 && (size_t)n < size ? 0 : -1;
}

int control_prepare(const char *dir, char *error, size_t error_size)
{
	struct stat st;
	if (strlen(dir) > CONTROL_DIR_MAX) {
		snprintf(error, error_size, "%s: longer than %d bytes", dir, CONTROL_DIR_MAX);
		return -1;
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		snprintf(error, error_size, "%s: cannot make the directory: %s", dir, strerror(errno));
		return -1;
	}
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(error, error_size, "%s: not a directory", dir);
		return -1;
	}
	return 0;
}

/* Writes text as dir/name: a temporary file, then a rename over the old one. */
static int control_write(const char *dir, const char *name, const char *text, char *error, size_t error_size)
{
	char path[CONTROL_DIR_MAX + 64], temporary[CONTROL_DIR_MAX + 64];
	int result = -1;
	if (control_path(path, sizeof(path), dir, name) != 0 ||
	    snprintf(temporary, sizeof(temporary), "%s/.%s.XXXXXX", dir, name) >= (int)sizeof(temporary)) {
		snprintf(error, error_size, "%s: path too long", dir);
		return -1;
	}
	int fd = mkostemp(temporary, O_CLOEXEC);
	if (fd < 0) {
		snprintf(error, error_size, "%s: cannot write: %s", path, strerror(errno));
		return -1;
	}
	size_t len = strlen(text), done = 0;
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (done != len || fchmod(fd, 0644) != 0) {
		snprintf(error, error_size, "%s: cannot write: %s", temporary, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		snprintf(error, error_size, "%s: cannot write: %s", temporary, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(temporary, path) != 0) {
		snprintf(error, error_size, "%s: cannot rename to %s: %s", temporary, path, strerror(errno));
		goto out;
	}
	result = 0;
out:
	if (fd >= 0)
		close(fd);
	if (result != 0)
		unlink(temporary);
	return result;
}

int control_write_pid(const char *dir, pid_t pid, char *error, size_t error_size)
{
	char text[32];
	snprintf(text, sizeof(text), "%ld\n", (long)pid);
	return control_write(dir, CONTROL_PID_FILE, text, error, error_size);
}

int control_write_status(const char *dir, const struct control_status *status, char *error, size_t error_size)
{
	char text[CONTROL_REASON_MAX + 512], reason[CONTROL_REASON_MAX], at[32];
	time_t now = time(NULL);
	struct tm utc;
	/* One line: a reason never carries a line break into the file. */
	snprintf(reason, sizeof(reason), "%s", status->reason);
	for (char *p = reason; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	if (gmtime_r(&now, &utc) == NULL || strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &utc) == 0)
		at[0] = '\0';
	snprintf(text, sizeof(text),
	         "pid=%ld\ngeneration=%u\nreloads=%lu\nlast=%s\nstarted_ms=%lld\nat=%s\nreason=%s\n", status->pid,
	         status->generation, status->reloads, control_verdict_name(status->last), status->started_ms, at,
	         reason);
	return control_write(dir, CONTROL_STATUS_FILE, text, error, error_size);
}

void control_remove(const char *dir)
{
	char path[CONTROL_DIR_MAX + 64];
	if (control_path(path, sizeof(path), dir, CONTROL_PID_FILE) == 0)
		unlink(path);
	if (control_path(path, sizeof(path), dir, CONTROL_STATUS_FILE) == 0)
		unlink(path);
}

/* Reads dir/name (at most CONTROL_FILE_MAX bytes) into buf; -1 with errno. */
static int control_read(const char *dir, const char *name, char *buf, size_t size)
{
	char path[CONTROL_DIR_MAX + 64];
	if (control_path(path, sizeof(path), dir, name) != 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	size_t used = 0;
	while (used + 1 < size) {
		ssize_t n = read(fd, buf + used, size - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	close(fd);
	return 0;
}

/* The value of key= in text's lines, into out; false when absent. */
static bool control_value(const char *text, const char *key, char *out, size_t size)
{
	size_t key_len = strlen(key);
	for (const char *line = text; *line != '\0';) {
		const char *end = strchr(line, '\n');
		size_t len = end != NULL ? (size_t)(end - line) : strlen(line);
		if (len > key_len && memcmp(line, key, key_len) == 0 && line[key_len] == '=') {
			size_t value_len = len - key_len - 1;
			snprintf(out, size, "%.*s", (int)value_len, line + key_len + 1);
			return true;
		}
		line += len + (end != NULL);
	}
	return false;
}

static bool control_number(const char *text, const char *key, long long *value)
{
	char digits[32], *end = NULL;
	if (!control_value(text, key, digits, sizeof(digits)) || digits[0] < '0' || digits[0] > '9')
		return false;
	errno = 0;
	*value = strtoll(digits, &end, 10);
	return errno == 0 && *end == '\0';
}

enum control_result control_status_read(const char *dir, struct control_status *status, char *error,
                                        size_t error_size)
{
	char text[CONTROL_FILE_MAX], verdict[16] = "";
	long long pid = 0, status_pid = 0, generation = 0, reloads = 0, started_ms = 0;
	memset(status, 0, sizeof(*status));
	if (control_read(dir, CONTROL_PID_FILE, text, sizeof(text)) != 0) {
		if (errno == ENOENT) {
			snprintf(error, error_size, "no %s in %s: no master runs with this runtime_dir", CONTROL_PID_FILE, dir);
			return CONTROL_NO_MASTER;
		}
		snprintf(error, error_size, "%s/%s: %s", dir, CONTROL_PID_FILE, strerror(errno));
		return CONTROL_FAILED;
	}
	char *end = NULL;
	pid = strtoll(text, &end, 10);
	if (pid <= 1 || (*end != '\n' && *end != '\0')) {
		snprintf(error, error_size, "%s/%s: not a pid", dir, CONTROL_PID_FILE);
		return CONTROL_FAILED;
	}
	if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
		snprintf(error, error_size, "%s/%s names process %lld, which is gone: the master stopped without removing it",
		         dir, CONTROL_PID_FILE, pid);
		return CONTROL_NO_MASTER;
	}
	if (control_read(dir, CONTROL_STATUS_FILE, text, sizeof(text)) != 0) {
		snprintf(error, error_size, "%s/%s: %s", dir, CONTROL_STATUS_FILE, strerror(errno));
		return CONTROL_FAILED;
	}
	if (!control_number(text, "pid", &status_pid) || status_pid != pid ||
	    !control_number(text, "generation", &generation) || !control_number(text, "reloads", &reloads) ||
	    !control_number(text, "started_ms", &started_ms) || !control_value(text, "last", verdict, sizeof(verdict))) {
		snprintf(error, error_size, "%s/%s is not the status of process %lld", dir, CONTROL_STATUS_FILE, pid);
		return CONTROL_FAILED;
	}
	status->pid = (long)pid;
	status->generation = (unsigned)generation;
	status->reloads = (unsigned long)reloads;
	status->started_ms = started_ms;
	status->last = strcmp(verdict, "taken") == 0 ? CONTROL_TAKEN : strcmp(verdict, "refused") == 0 ? CONTROL_REFUSED
	                                                                                               : CONTROL_NONE;
	control_value(text, "at", status->at, sizeof(status->at));
	control_value(text, "reason", status->reason, sizeof(status->reason));
	return CONTROL_OK;
}

enum control_result control_reload(const char *dir, long long wait_ms, struct control_status *status,
                                   char *error, size_t error_size)
{
	struct control_status before;
	enum control_result result = control_status_read(dir, &before, error, error_size);
	if (result != CONTROL_OK)
		return result;
	long long sent_ms = control_wall_ms();
	if (kill((pid_t)before.pid, SIGHUP) != 0) {
		snprintf(error, error_size, "cannot signal the master (pid %ld): %s", before.pid, strerror(errno));
		return errno == ESRCH ? CONTROL_NO_MASTER : CONTROL_FAILED;
	}
	long long deadline = control_monotonic_ms() + wait_ms;
	const struct timespec poll = {0, CONTROL_POLL_MS * 1000000L};
	for (;;) {
		nanosleep(&poll, NULL);
		result = control_status_read(dir, status, error, error_size);
		if (result == CONTROL_NO_MASTER) {
			snprintf(error, error_size, "the master (pid %ld) stopped before it answered", before.pid);
			return result;
		}
		if (result == CONTROL_OK && status->pid == before.pid && status->reloads > before.reloads &&
		    status->started_ms >= sent_ms)
			return status->last == CONTROL_TAKEN ? CONTROL_OK : CONTROL_RELOAD_REFUSED;
		if (control_monotonic_ms() >= deadline) {
			snprintf(error, error_size, "the master (pid %ld) gave no verdict within %lld ms", before.pid, wait_ms);
			return CONTROL_TIMEOUT;
		}
	}
}
