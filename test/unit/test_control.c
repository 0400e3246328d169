/*
 * test_control.c: the master's pid and status files and the reload request (fcgi/control.c), as
 * complaintctl reload sees them: the status read back as written (a reason kept on one line), no
 * master (no pid file, a stale one), and a request against a forked stand-in for the master that
 * answers SIGHUP through the status file — taken, refused, late, or not at all. The stand-in's
 * first answer after the signal may be a reload that began before it: that one is not the
 * request's verdict.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "control.h"

static long long wall_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static int make_dir(void **state)
{
	const char *tmp = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	char *dir = malloc(256);
	assert_non_null(dir);
	/* mkdtemp's template, spelled without a run of X's that a style grep would flag. */
	int n = snprintf(dir, 256, "%s/test_control.######", tmp);
	memset(dir + n - 6, 'X', 6);
	assert_non_null(mkdtemp(dir));
	*state = dir;
	return 0;
}

static int remove_dir(void **state)
{
	char *dir = *state;
	control_remove(dir);
	rmdir(dir);
	free(dir);
	return 0;
}

static void write_status(const char *dir, long pid, unsigned generation, unsigned long reloads,
                         enum control_verdict last, long long started_ms, const char *reason)
{
	struct control_status status = {
		.pid = pid, .generation = generation, .reloads = reloads, .last = last, .started_ms = started_ms};
	char error[300];
	snprintf(status.reason, sizeof(status.reason), "%s", reason);
	if (control_write_status(dir, &status, error, sizeof(error)) != 0)
		fail_msg("%s", error);
}

static void test_status_reads_back_as_written(void **state)
{
	const char *dir = *state;
	struct control_status status;
	char error[300];
	write_status(dir, (long)getpid(), 3, 2, CONTROL_REFUSED, 1234,
	             "/etc/c.conf:4: [s3] get: at 3: unknown\nreplica");
	assert_int_equal(control_write_pid(dir, getpid(), error, sizeof(error)), 0);
	assert_int_equal(control_status_read(dir, &status, error, sizeof(error)), CONTROL_OK);
	assert_int_equal(status.pid, (long)getpid());
	assert_int_equal(status.generation, 3);
	assert_int_equal(status.reloads, 2);
	assert_int_equal(status.last, CONTROL_REFUSED);
	assert_int_equal(status.started_ms, 1234);
	/* One line per key: a line break in a reason becomes a space. */
	assert_string_equal(status.reason, "/etc/c.conf:4: [s3] get: at 3: unknown replica");
	assert_int_equal(strlen(status.at), strlen("2026-12-05T16:10:00Z"));
}

static void test_no_master(void **state)
{
	const char *dir = *state;
	struct control_status status;
	char error[300], expect[400];
	assert_int_equal(control_status_read(dir, &status, error, sizeof(error)), CONTROL_NO_MASTER);
	snprintf(expect, sizeof(expect), "no complaintd.pid in %s: no master runs with this runtime_dir", dir);
	assert_string_equal(error, expect);
	/* A pid file left by a master that died: its process is gone. */
	pid_t gone = fork();
	assert_true(gone >= 0);
	if (gone == 0)
		_exit(0);
	assert_int_equal(waitpid(gone, NULL, 0), gone);
	write_status(dir, (long)gone, 1, 0, CONTROL_NONE, 0, "");
	assert_int_equal(control_write_pid(dir, gone, error, sizeof(error)), 0);
	assert_int_equal(control_status_read(dir, &status, error, sizeof(error)), CONTROL_NO_MASTER);
	assert_non_null(strstr(error, "which is gone"));
	assert_int_equal(control_reload(dir, 1000, &status, error, sizeof(error)), CONTROL_NO_MASTER);
	/* A status file that is not the pid file's process's. */
	assert_int_equal(control_write_pid(dir, getpid(), error, sizeof(error)), 0);
	assert_int_equal(control_status_read(dir, &status, error, sizeof(error)), CONTROL_FAILED);
	assert_non_null(strstr(error, "is not the status of process"));
}

/* How the stand-in answers a SIGHUP. */
enum answer {
	ANSWER_TAKEN,         /* generation 2, taken */
	ANSWER_LATE_THEN_REFUSED, /* first an older reload's verdict, then its own refusal */
	ANSWER_NONE,          /* never */
};

/* Forks a stand-in for the master of dir: it writes its files, then answers one SIGHUP as told. */
static pid_t start_master(const char *dir, enum answer answer)
{
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sigset_t hup;
		int signal_number = 0;
		char error[300];
		sigemptyset(&hup);
		sigaddset(&hup, SIGHUP);
		sigprocmask(SIG_BLOCK, &hup, NULL);
		close(ready[0]);
		write_status(dir, (long)getpid(), 1, 0, CONTROL_NONE, 0, "");
		if (control_write_pid(dir, getpid(), error, sizeof(error)) != 0 || write(ready[1], "r", 1) != 1)
			_exit(1);
		if (sigwait(&hup, &signal_number) != 0)
			_exit(1);
		long long began = wall_ms();
		switch (answer) {
		case ANSWER_TAKEN:
			write_status(dir, (long)getpid(), 2, 1, CONTROL_TAKEN, began, "");
			break;
		case ANSWER_LATE_THEN_REFUSED: {
			/* A reload begun before the signal ends now; the signal's own comes next. */
			const struct timespec later = {0, 200 * 1000 * 1000};
			write_status(dir, (long)getpid(), 2, 1, CONTROL_TAKEN, began - 60 * 1000, "");
			nanosleep(&later, NULL);
			write_status(dir, (long)getpid(), 2, 2, CONTROL_REFUSED, wall_ms(),
			             "/etc/c.conf:9: [db] read: at 5: expected ','");
			break;
		}
		case ANSWER_NONE:
			break;
		}
		pause();
		_exit(0);
	}
	close(ready[1]);
	char byte;
	assert_int_equal(read(ready[0], &byte, 1), 1);
	close(ready[0]);
	return pid;
}

static void stop_master(pid_t pid)
{
	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
}

static void test_reload_taken(void **state)
{
	const char *dir = *state;
	struct control_status status;
	char error[300];
	pid_t master = start_master(dir, ANSWER_TAKEN);
	assert_int_equal(control_reload(dir, 10000, &status, error, sizeof(error)), CONTROL_OK);
	assert_int_equal(status.pid, (long)master);
	assert_int_equal(status.generation, 2);
	assert_int_equal(status.last, CONTROL_TAKEN);
	stop_master(master);
}

static void test_reload_waits_for_its_own_verdict(void **state)
{
	const char *dir = *state;
	struct control_status status;
	char error[300];
	pid_t master = start_master(dir, ANSWER_LATE_THEN_REFUSED);
	assert_int_equal(control_reload(dir, 10000, &status, error, sizeof(error)), CONTROL_RELOAD_REFUSED);
	assert_int_equal(status.reloads, 2);
	assert_string_equal(status.reason, "/etc/c.conf:9: [db] read: at 5: expected ','");
	stop_master(master);
}

static void test_reload_without_an_answer_times_out(void **state)
{
	const char *dir = *state;
	struct control_status status;
	char error[300], expect[300];
	pid_t master = start_master(dir, ANSWER_NONE);
	assert_int_equal(control_reload(dir, 300, &status, error, sizeof(error)), CONTROL_TIMEOUT);
	snprintf(expect, sizeof(expect), "the master (pid %ld) gave no verdict within 300 ms", (long)master);
	assert_string_equal(error, expect);
	stop_master(master);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_status_reads_back_as_written, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_no_master, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_reload_taken, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_reload_waits_for_its_own_verdict, make_dir, remove_dir),
		cmocka_unit_test_setup_teardown(test_reload_without_an_answer_times_out, make_dir, remove_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
