/*
 * test_stats.c: the per-replica stats count every attempt exactly — by cause, in the right
 * histogram bucket, with a mean and deviation equal to a two-pass reference — across processes
 * writing one segment at once, without a reader ever seeing half an attempt; they survive a
 * reopen and a writer's death, refuse a file that is not theirs, and print the paper's table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fcntl.h>
#include <math.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "repl.h"

#define TEST_PROCESSES 4
#define TEST_ROWS 6
#define TEST_ATTEMPTS 60000      /* per process: long enough for the reader to overlap writers */

static const char *const test_operations[] = {"s3.put", "db.write"};
static const char *const test_replicas[] = {"us", "jp", "de"};

struct fixture {
	char dir[64];
	char path[96];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_stats.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/stats", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static struct repl_stats *open_attached(const char *path, unsigned slots)
{
	struct repl_stats *stats = NULL;
	struct repl_error error = {0};
	assert_int_equal(repl_stats_open(&stats, path, slots, &error), REPL_OK);
	assert_int_equal(repl_stats_attach(stats, &error), REPL_OK);
	return stats;
}

static const struct repl_stats_row *find_row(const struct repl_stats_row *rows, size_t count,
                                             const char *operation, const char *replica)
{
	for (size_t i = 0; i < count; i++) {
		if (strcmp(rows[i].operation, operation) == 0 && strcmp(rows[i].replica, replica) == 0)
			return &rows[i];
	}
	fail_msg("no row %s/%s", operation, replica);
	return NULL;
}

/* Written differently from stats.c on purpose: the edges by doubling. */
static unsigned reference_bucket(uint64_t us)
{
	unsigned bucket = 0;
	uint64_t upper = 2;
	while (bucket + 1 < REPL_STATS_BUCKETS && us >= upper) {
		upper *= 2;
		bucket++;
	}
	return bucket;
}

static void assert_relative(double got, long double want)
{
	long double scale = fabsl(want) > 1.0L ? fabsl(want) : 1.0L;
	if (fabsl((long double)got - want) / scale > 1e-9L)
		fail_msg("got %.17g, want %.17Lg", got, want);
}

/* ---- one deterministic stream of attempts per process ---- */

struct attempt {
	unsigned row;
	enum repl_cause cause;
	uint64_t rtt_us;
};

static uint64_t next_random(uint64_t *state)
{
	*state = *state * 6364136223846793005u + 1442695040888963407u;
	return *state >> 33;
}

/* Each process its own mix: its own failure rate and latency range. */
static struct attempt next_attempt(unsigned process, uint64_t *state)
{
	struct attempt a;
	a.row = (unsigned)(next_random(state) % TEST_ROWS);
	uint64_t roll = next_random(state) % 100;
	if (roll < 3 + process * 2)
		a.cause = (enum repl_cause)(1 + next_random(state) % (REPL_CAUSE_COUNT - 1));
	else
		a.cause = REPL_CAUSE_NONE;
	a.rtt_us = 200 * (process + 1) + next_random(state) % (5000u << process);
	if (next_random(state) % 500 == 0)
		a.rtt_us = 9000000 + next_random(state) % 1000000; /* the paper's near-timeouts */
	return a;
}

static const char *row_operation(unsigned row)
{
	return test_operations[row / 3];
}

static const char *row_replica(unsigned row)
{
	return test_replicas[row % 3];
}

struct reference {
	uint64_t all, successes, fail[REPL_CAUSE_COUNT], histogram[REPL_STATS_BUCKETS];
	uint64_t min_us, max_us;
	long double sum, squares;
};

/* Two passes over regenerated streams, in long double: the mean, then the squared deviations. */
static void reference_compute(struct reference ref[TEST_ROWS], unsigned processes, unsigned attempts)
{
	memset(ref, 0, sizeof(*ref) * TEST_ROWS);
	for (unsigned p = 0; p < processes; p++) {
		uint64_t state = p + 1;
		for (unsigned i = 0; i < attempts; i++) {
			struct attempt a = next_attempt(p, &state);
			struct reference *r = &ref[a.row];
			r->all++;
			if (a.cause != REPL_CAUSE_NONE) {
				r->fail[a.cause]++;
				continue;
			}
			if (r->successes == 0 || a.rtt_us < r->min_us)
				r->min_us = a.rtt_us;
			if (a.rtt_us > r->max_us)
				r->max_us = a.rtt_us;
			r->successes++;
			r->histogram[reference_bucket(a.rtt_us)]++;
			r->sum += (long double)a.rtt_us;
		}
	}
	for (unsigned p = 0; p < processes; p++) {
		uint64_t state = p + 1;
		for (unsigned i = 0; i < attempts; i++) {
			struct attempt a = next_attempt(p, &state);
			if (a.cause != REPL_CAUSE_NONE)
				continue;
			struct reference *r = &ref[a.row];
			long double d = (long double)a.rtt_us - r->sum / (long double)r->successes;
			r->squares += d * d;
		}
	}
}

static void assert_row_matches(const struct repl_stats_row *row, const struct reference *ref)
{
	assert_int_equal(row->all, ref->all);
	assert_int_equal(row->successes, ref->successes);
	for (unsigned c = 1; c < REPL_CAUSE_COUNT; c++)
		assert_int_equal(row->fail[c], ref->fail[c]);
	for (unsigned b = 0; b < REPL_STATS_BUCKETS; b++)
		assert_int_equal(row->histogram[b], ref->histogram[b]);
	assert_relative(row->rtt_min_ms, (long double)ref->min_us / 1000.0L);
	assert_relative(row->rtt_max_ms, (long double)ref->max_us / 1000.0L);
	long double n = (long double)ref->successes;
	assert_relative(row->rtt_mean_ms, ref->sum / n / 1000.0L);
	assert_relative(row->rtt_std_ms, sqrtl(ref->squares / (n - 1.0L)) / 1000.0L);
}

static int record_stream(const char *path, unsigned process, unsigned attempts)
{
	struct repl_stats *stats = NULL;
	struct repl_error error = {0};
	if (repl_stats_open(&stats, path, 8, &error) != REPL_OK)
		return 2;
	if (repl_stats_attach(stats, &error) != REPL_OK)
		return 3;
	uint64_t state = process + 1;
	for (unsigned i = 0; i < attempts; i++) {
		struct attempt a = next_attempt(process, &state);
		repl_stats_record(stats, row_operation(a.row), row_replica(a.row), a.cause, a.rtt_us);
	}
	repl_stats_close(stats);
	return 0;
}

static void wait_ok(pid_t pid)
{
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- tests ---- */

static void test_record_then_read_is_exact(void **state)
{
	struct fixture *f = *state;
	struct repl_stats *stats = open_attached(f->path, 4);
	static const uint64_t rtts[] = {0, 1, 2, 3, 1023, 1024, 250000, 9562000, 453000, 407000};
	struct reference ref;
	memset(&ref, 0, sizeof(ref));
	for (size_t i = 0; i < sizeof(rtts) / sizeof(rtts[0]); i++) {
		repl_stats_record(stats, "s3.get", "a-us", REPL_CAUSE_NONE, rtts[i]);
		ref.successes++;
		ref.histogram[reference_bucket(rtts[i])]++;
		ref.sum += (long double)rtts[i];
	}
	for (size_t i = 0; i < sizeof(rtts) / sizeof(rtts[0]); i++) {
		long double d = (long double)rtts[i] - ref.sum / (long double)ref.successes;
		ref.squares += d * d;
	}
	/* Failures carry an RTT that must not reach the RTT columns. */
	static const enum repl_cause causes[] = {REPL_CAUSE_TIMEOUT, REPL_CAUSE_TIMEOUT, REPL_CAUSE_CONNECT,
	                                         REPL_CAUSE_PROTOCOL, REPL_CAUSE_OTHER, REPL_CAUSE_TIMEOUT};
	for (size_t i = 0; i < sizeof(causes) / sizeof(causes[0]); i++) {
		repl_stats_record(stats, "s3.get", "a-us", causes[i], 10000000);
		ref.fail[causes[i]]++;
	}
	ref.all = ref.successes + sizeof(causes) / sizeof(causes[0]);
	ref.min_us = 0;
	ref.max_us = 9562000;
	repl_stats_record(stats, "s3.get", "a-jp", REPL_CAUSE_CONNECT, 0);

	struct repl_stats_row rows[4];
	assert_int_equal(repl_stats_read(stats, rows, 4), 2);
	const struct repl_stats_row *row = find_row(rows, 2, "s3.get", "a-us");
	assert_row_matches(row, &ref);
	assert_int_equal(row->fail[REPL_CAUSE_TIMEOUT], 3);
	assert_int_equal(row->histogram[0], 2);   /* 0 and 1 us */
	assert_int_equal(row->histogram[1], 2);   /* 2 and 3 us */
	assert_int_equal(row->histogram[9], 1);   /* 1023 */
	assert_int_equal(row->histogram[10], 1);  /* 1024 */
	row = find_row(rows, 2, "s3.get", "a-jp");
	assert_int_equal(row->all, 1);
	assert_int_equal(row->successes, 0);
	assert_int_equal(row->fail[REPL_CAUSE_CONNECT], 1);
	assert_true(row->rtt_mean_ms == 0.0 && row->rtt_max_ms == 0.0);
	assert_int_equal(repl_stats_dropped(stats), 0);
	repl_stats_close(stats);
}

static void test_forked_writers_merge_exactly(void **state)
{
	struct fixture *f = *state;
	struct repl_stats *reader = NULL;
	struct repl_error error = {0};
	assert_int_equal(repl_stats_open(&reader, f->path, 8, &error), REPL_OK);

	pid_t children[TEST_PROCESSES];
	for (unsigned p = 0; p < TEST_PROCESSES; p++) {
		children[p] = fork();
		assert_true(children[p] >= 0);
		if (children[p] == 0)
			_exit(record_stream(f->path, p, TEST_ATTEMPTS));
	}

	/* While they write: every merged row is whole attempts, and never goes back. */
	unsigned running = TEST_PROCESSES, reads = 0;
	uint64_t last_all[TEST_ROWS * 2] = {0};
	while (running > 0) {
		struct repl_stats_row rows[TEST_ROWS * 2];
		size_t n = repl_stats_read(reader, rows, TEST_ROWS * 2);
		assert_true(n <= TEST_ROWS);
		for (size_t i = 0; i < n; i++) {
			uint64_t fail = 0, buckets = 0;
			for (unsigned c = 1; c < REPL_CAUSE_COUNT; c++)
				fail += rows[i].fail[c];
			for (unsigned b = 0; b < REPL_STATS_BUCKETS; b++)
				buckets += rows[i].histogram[b];
			assert_int_equal(rows[i].all, rows[i].successes + fail);
			assert_int_equal(buckets, rows[i].successes);
			if (rows[i].successes > 0)
				assert_true(rows[i].rtt_min_ms <= rows[i].rtt_mean_ms &&
				            rows[i].rtt_mean_ms <= rows[i].rtt_max_ms);
			assert_true(rows[i].all >= last_all[i]);
			last_all[i] = rows[i].all;
		}
		reads++;
		for (unsigned p = 0; p < TEST_PROCESSES; p++) {
			int status = 0;
			if (children[p] > 0 && waitpid(children[p], &status, WNOHANG) == children[p]) {
				assert_true(WIFEXITED(status));
				assert_int_equal(WEXITSTATUS(status), 0);
				children[p] = 0;
				running--;
			}
		}
	}
	assert_true(reads > 1);

	struct reference ref[TEST_ROWS];
	reference_compute(ref, TEST_PROCESSES, TEST_ATTEMPTS);
	struct repl_stats_row rows[TEST_ROWS];
	assert_int_equal(repl_stats_read(reader, rows, TEST_ROWS), TEST_ROWS);
	uint64_t total = 0;
	for (unsigned r = 0; r < TEST_ROWS; r++) {
		assert_row_matches(find_row(rows, TEST_ROWS, row_operation(r), row_replica(r)), &ref[r]);
		total += rows[r].all;
	}
	assert_int_equal(total, (uint64_t)TEST_PROCESSES * TEST_ATTEMPTS);
	repl_stats_close(reader);
}

static void test_percentile_is_upper_bucket_edge(void **state)
{
	(void)state;
	struct repl_stats_row row;
	memset(&row, 0, sizeof(row));
	assert_true(isnan(repl_stats_percentile(&row, 50.0)));
	row.histogram[0] = 1;   /* [0, 2) us */
	row.histogram[9] = 49;  /* [512, 1024) us */
	row.histogram[10] = 40; /* [1024, 2048) us */
	row.histogram[20] = 10; /* [2^20, 2^21) us */
	assert_true(repl_stats_percentile(&row, 1.0) == 0.002);
	assert_true(repl_stats_percentile(&row, 1.5) == 1.024);
	assert_true(repl_stats_percentile(&row, 50.0) == 1.024);
	assert_true(repl_stats_percentile(&row, 50.5) == 2.048);
	assert_true(repl_stats_percentile(&row, 90.0) == 2.048);
	assert_true(repl_stats_percentile(&row, 90.1) == 2097.152);
	assert_true(repl_stats_percentile(&row, 99.0) == 2097.152);
	assert_true(isnan(repl_stats_percentile(&row, 0.0)));
	assert_true(isnan(repl_stats_percentile(&row, 100.0)));
	assert_true(isnan(repl_stats_percentile(NULL, 50.0)));
	/* RTTs past 2^31 us land in the last bucket. */
	memset(&row, 0, sizeof(row));
	row.histogram[REPL_STATS_BUCKETS - 1] = 1;
	assert_true(repl_stats_percentile(&row, 50.0) == ldexp(1.0, REPL_STATS_BUCKETS) / 1000.0);
}

static void test_reopen_keeps_counts_and_rows(void **state)
{
	struct fixture *f = *state;
	struct repl_stats *stats = open_attached(f->path, 4);
	repl_stats_record(stats, "db.write", "primary", REPL_CAUSE_NONE, 1500);
	repl_stats_record(stats, "db.write", "standby", REPL_CAUSE_TIMEOUT, 0);
	repl_stats_close(stats);

	stats = open_attached(f->path, 4);
	repl_stats_record(stats, "db.read", "replica1", REPL_CAUSE_NONE, 700);
	repl_stats_record(stats, "db.write", "primary", REPL_CAUSE_NONE, 2500);
	struct repl_stats_row rows[4];
	assert_int_equal(repl_stats_read(stats, rows, 4), 3);
	/* Rows keep the index they got first; a new one is appended. */
	assert_string_equal(rows[0].replica, "primary");
	assert_string_equal(rows[1].replica, "standby");
	assert_string_equal(rows[2].replica, "replica1");
	assert_int_equal(rows[0].successes, 2);
	assert_true(rows[0].rtt_mean_ms == 2.0);
	assert_true(rows[0].rtt_min_ms == 1.5 && rows[0].rtt_max_ms == 2.5);
	assert_int_equal(rows[1].fail[REPL_CAUSE_TIMEOUT], 1);
	repl_stats_close(stats);

	/* A reader opens with the segment's own slot count. */
	assert_int_equal(repl_stats_open(&stats, f->path, 0, NULL), REPL_OK);
	assert_int_equal(repl_stats_read(stats, rows, 4), 3);
	assert_int_equal(rows[0].all, 2);
	repl_stats_close(stats);
	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

/* A segment keeps its identity across opens; a file made again is another segment. An old
 * version-1 file without one (zeros in the spare header bytes) gets one at its next open. */
static void test_identity_is_the_files(void **state)
{
	struct fixture *f = *state;
	struct repl_stats *stats = open_attached(f->path, 4);
	struct repl_stats_identity first, again, other;
	repl_stats_identity(stats, &first);
	assert_int_equal(strlen(first.id), 32);
	assert_true(strspn(first.id, "0123456789abcdef") == 32);
	assert_string_not_equal(first.id, "00000000000000000000000000000000");
	assert_true(first.created_ms > 1700000000000LL);
	repl_stats_close(stats);

	assert_int_equal(repl_stats_open(&stats, f->path, 0, NULL), REPL_OK);
	repl_stats_identity(stats, &again);
	repl_stats_close(stats);
	assert_string_equal(again.id, first.id);
	assert_true(again.created_ms == first.created_ms);

	/* Zero the identity as a build before it left it: the next open draws a new one. */
	int fd = open(f->path, O_RDWR);
	assert_true(fd >= 0);
	static const unsigned char zeros[24];
	assert_int_equal(pwrite(fd, zeros, sizeof(zeros), 72), (ssize_t)sizeof(zeros));
	close(fd);
	stats = open_attached(f->path, 4);
	repl_stats_identity(stats, &other);
	repl_stats_close(stats);
	assert_string_not_equal(other.id, first.id);
	assert_string_not_equal(other.id, "00000000000000000000000000000000");

	unlink(f->path);
	stats = open_attached(f->path, 4);
	repl_stats_identity(stats, &again);
	repl_stats_close(stats);
	assert_string_not_equal(again.id, other.id);
}

static void expect_refused(const char *path, unsigned slots, const char *words)
{
	struct repl_stats *stats = NULL;
	struct repl_error error = {0};
	assert_int_equal(repl_stats_open(&stats, path, slots, &error), REPL_BAD_ARGUMENT);
	assert_null(stats);
	if (strstr(error.message, words) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", error.message, words);
}

static void test_foreign_or_damaged_file_is_refused(void **state)
{
	struct fixture *f = *state;
	struct repl_stats *stats = open_attached(f->path, 4);
	repl_stats_record(stats, "s3.put", "us", REPL_CAUSE_NONE, 1000);
	repl_stats_close(stats);

	expect_refused(f->path, 8, "slots 4, expected 8");

	struct stat st;
	assert_int_equal(stat(f->path, &st), 0);
	int fd = open(f->path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "XXXXXXXX", 8, 0), 8);
	expect_refused(f->path, 4, "bad magic");
	assert_int_equal(pwrite(fd, "RPLSTATS", 8, 0), 8);
	uint32_t version = 99;
	assert_int_equal(pwrite(fd, &version, sizeof(version), 8), (ssize_t)sizeof(version));
	expect_refused(f->path, 4, "version 99");
	version = 1;
	assert_int_equal(pwrite(fd, &version, sizeof(version), 8), (ssize_t)sizeof(version));
	assert_int_equal(ftruncate(fd, st.st_size / 2), 0);
	expect_refused(f->path, 4, "truncated");
	assert_int_equal(ftruncate(fd, 10), 0);
	expect_refused(f->path, 4, "truncated");
	expect_refused(f->path, 0, "truncated");
	close(fd);

	/* Not a file at all. */
	expect_refused(f->dir, 4, f->dir);
	unlink(f->path);
	expect_refused(f->path, 0, "No such file");
}

static void test_corrupt_counters_do_not_crash_readers(void **state)
{
	struct fixture *f = *state;
	struct repl_stats *stats = open_attached(f->path, 2);
	repl_stats_record(stats, "s3.put", "us", REPL_CAUSE_NONE, 1000);
	repl_stats_close(stats);

	/* A row count past the table and a name without its NUL, at the offsets of the layout in
	 * doc/librepl-stats.md: the row count at byte 56, the first name entry at 128 (a hash, then
	 * the operation and replica fields). */
	int fd = open(f->path, O_RDWR);
	assert_true(fd >= 0);
	uint32_t count = 0;
	assert_int_equal(pread(fd, &count, sizeof(count), 56), (ssize_t)sizeof(count));
	assert_int_equal(count, 1);
	uint32_t huge = 0xffffffffu;
	assert_int_equal(pwrite(fd, &huge, sizeof(huge), 56), (ssize_t)sizeof(huge));
	char junk[72];
	memset(junk, 'x', sizeof(junk));
	assert_int_equal(pwrite(fd, junk, sizeof(junk), 128 + 8), (ssize_t)sizeof(junk));
	close(fd);

	static struct repl_stats_row rows[REPL_STATS_ROWS_MAX + 1];
	assert_int_equal(repl_stats_open(&stats, f->path, 2, NULL), REPL_OK);
	assert_int_equal(repl_stats_read(stats, rows, REPL_STATS_ROWS_MAX + 1), REPL_STATS_ROWS_MAX);
	assert_true(strlen(rows[0].operation) <= REPL_NAME_MAX);
	assert_true(strlen(rows[0].replica) <= REPL_NAME_MAX);
	repl_stats_close(stats);
}

static void test_rows_beyond_capacity_are_dropped_and_counted(void **state)
{
	struct fixture *f = *state;
	struct repl_stats *stats = open_attached(f->path, 2);
	char replica[16];
	for (unsigned i = 0; i < REPL_STATS_ROWS_MAX + 5; i++) {
		snprintf(replica, sizeof(replica), "r%u", i);
		repl_stats_record(stats, "s3.get", replica, REPL_CAUSE_NONE, 100);
	}
	/* Existing rows still count once the table is full. */
	repl_stats_record(stats, "s3.get", "r0", REPL_CAUSE_NONE, 100);
	char long_name[REPL_NAME_MAX + 2];
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	repl_stats_record(stats, long_name, "r0", REPL_CAUSE_NONE, 100);
	repl_stats_record(stats, "", "r0", REPL_CAUSE_NONE, 100);

	static struct repl_stats_row rows[REPL_STATS_ROWS_MAX];
	assert_int_equal(repl_stats_read(stats, rows, REPL_STATS_ROWS_MAX), REPL_STATS_ROWS_MAX);
	assert_string_equal(rows[REPL_STATS_ROWS_MAX - 1].replica, "r255");
	assert_int_equal(rows[0].all, 2);
	assert_int_equal(repl_stats_dropped(stats), 5 + 2);
	repl_stats_close(stats);
}

static void test_dead_writers_slot_is_reclaimed_with_its_counts(void **state)
{
	struct fixture *f = *state;
	struct repl_stats *stats = NULL;
	assert_int_equal(repl_stats_open(&stats, f->path, 1, NULL), REPL_OK);

	/* A worker that dies without closing: its slot stays held by a dead pid. */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (repl_stats_attach(stats, NULL) != REPL_OK)
			_exit(2);
		for (int i = 0; i < 3; i++)
			repl_stats_record(stats, "sns.publish", "eu", REPL_CAUSE_NONE, 4000);
		_exit(0);
	}
	wait_ok(pid);

	/* Its successor gets the slot and adds to the counts it left. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (repl_stats_attach(stats, NULL) != REPL_OK)
			_exit(2);
		repl_stats_record(stats, "sns.publish", "eu", REPL_CAUSE_NONE, 8000);
		repl_stats_record(stats, "sns.publish", "eu", REPL_CAUSE_TIMEOUT, 0);
		_exit(0);
	}
	wait_ok(pid);

	struct repl_stats_row row;
	assert_int_equal(repl_stats_read(stats, &row, 1), 1);
	assert_int_equal(row.all, 5);
	assert_int_equal(row.successes, 4);
	assert_true(row.rtt_mean_ms == 5.0);
	assert_true(row.rtt_max_ms == 8.0);

	/* While a live process holds the only slot, another is refused, and its attempts are
	 * counted as dropped rather than written into the holder's slot. */
	struct repl_error error = {0};
	assert_int_equal(repl_stats_attach(stats, &error), REPL_OK);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct repl_error child_error = {0};
		if (repl_stats_attach(stats, &child_error) != REPL_BAD_ARGUMENT)
			_exit(2);
		if (strstr(child_error.message, "all 1 slots") == NULL)
			_exit(3);
		repl_stats_record(stats, "sns.publish", "eu", REPL_CAUSE_NONE, 1);
		_exit(0);
	}
	wait_ok(pid);
	assert_int_equal(repl_stats_read(stats, &row, 1), 1);
	assert_int_equal(row.all, 5);
	assert_int_equal(repl_stats_dropped(stats), 1);
	repl_stats_close(stats);
}

static void test_child_recording_without_attach_is_counted(void **state)
{
	struct fixture *f = *state;
	struct repl_stats *stats = open_attached(f->path, 4);
	repl_stats_record(stats, "s3.get", "jp", REPL_CAUSE_NONE, 1000);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (int i = 0; i < 1000; i++)
			repl_stats_record(stats, "s3.get", "jp", REPL_CAUSE_NONE, 3000);
		_exit(0);
	}
	for (int i = 0; i < 1000; i++)
		repl_stats_record(stats, "s3.get", "jp", REPL_CAUSE_CONNECT, 0);
	wait_ok(pid);
	struct repl_stats_row row;
	assert_int_equal(repl_stats_read(stats, &row, 1), 1);
	assert_int_equal(row.all, 2001);
	assert_int_equal(row.successes, 1001);
	assert_int_equal(row.fail[REPL_CAUSE_CONNECT], 1000);
	assert_int_equal(repl_stats_dropped(stats), 0);
	repl_stats_close(stats);
}

static void test_table_has_the_papers_columns(void **state)
{
	(void)state;
	struct repl_stats_row rows[2];
	memset(rows, 0, sizeof(rows));
	/* Table 1's a-us line: 110 of 34395 failed. */
	snprintf(rows[0].operation, sizeof(rows[0].operation), "ws.get");
	snprintf(rows[0].replica, sizeof(rows[0].replica), "a-us");
	rows[0].all = 34395;
	rows[0].fail[REPL_CAUSE_TIMEOUT] = 60;
	rows[0].fail[REPL_CAUSE_PROTOCOL] = 50;
	rows[0].successes = 34285;
	rows[0].rtt_mean_ms = 453;
	rows[0].rtt_std_ms = 309;
	rows[0].rtt_min_ms = 250;
	rows[0].rtt_max_ms = 9562;
	rows[0].histogram[18] = 34285; /* [262.144, 524.288) ms */
	snprintf(rows[1].operation, sizeof(rows[1].operation), "ws.get");
	snprintf(rows[1].replica, sizeof(rows[1].replica), "GW");
	rows[1].all = 3;
	rows[1].fail[REPL_CAUSE_CONNECT] = 3;

	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	assert_non_null(out);
	repl_stats_print_table(rows, 2, out);
	fclose(out);
	const char *line1 = strchr(text, '\n') + 1;
	const char *line2 = strchr(line1, '\n') + 1;
	char header[256], first[256], second[256];
	snprintf(header, sizeof(header), "%.*s", (int)(line1 - text - 1), text);
	snprintf(first, sizeof(first), "%.*s", (int)(line2 - line1 - 1), line1);
	snprintf(second, sizeof(second), "%s", line2);

	const char *want_header[] = {"operation", "replica", "R%", "Fail", "All", "Avg", "Std", "Min",
	                             "Max", "p50", "p90", "p99", "timeout", "connect", "5xx/proto", "other"};
	const char *want_first[] = {"ws.get", "a-us", "0.32", "110", "34395", "453.000", "309.000",
	                            "250.000", "9562.000", "524.288", "524.288", "524.288",
	                            "60", "0", "50", "0"};
	const char *want_second[] = {"ws.get", "GW", "100.00", "3", "3", "-", "-", "-", "-", "-", "-",
	                             "-", "0", "3", "0", "0"};
	char *lines[] = {header, first, second};
	const char *const *want[] = {want_header, want_first, want_second};
	for (size_t l = 0; l < 3; l++) {
		const char *p = lines[l];
		size_t column = 0;
		for (p += strspn(p, " "); *p != '\0'; p += strspn(p, " "), column++) {
			size_t word = strcspn(p, " \n");
			assert_true(column < 16);
			assert_int_equal(word, strlen(want[l][column]));
			assert_memory_equal(p, want[l][column], word);
			p += word;
			if (*p == '\n')
				p++;
		}
		assert_int_equal(column, 16);
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_record_then_read_is_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forked_writers_merge_exactly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_percentile_is_upper_bucket_edge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_counts_and_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identity_is_the_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_or_damaged_file_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_counters_do_not_crash_readers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rows_beyond_capacity_are_dropped_and_counted, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_dead_writers_slot_is_reclaimed_with_its_counts, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_child_recording_without_attach_is_counted, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_table_has_the_papers_columns, setup, teardown),
	};
	return cmocka_run_group_tests_name("stats", tests, NULL, NULL);
}
