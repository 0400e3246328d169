/*
 * stats.c: per (operation, replica) counters of every attempt — All, Fail by cause, RTT mean/M2
 * (Welford), min, max and a log2 histogram — in one file-backed segment (mmap MAP_SHARED) that
 * every process of a stack maps. Each process writes only its own slot, under a seqlock per
 * (slot, row) cell, with no syscall and no lock once a row exists; readers merge the slots (Chan
 * et al.'s parallel formula for the variance). Row names are appended under a POSIX record lock
 * and never move. The layout and its reasons are in doc/librepl-stats.md.
 */
#include "repl.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STATS_MAGIC "RPLSTATS"          /* 8 bytes, no NUL in the file */
#define STATS_VERSION 1u
#define STATS_SLOTS_MAX 4096u           /* keeps the segment's size far from overflow */
#define STATS_LINE 64u                  /* cache line: slots and cells never share one */
#define STATS_SPIN_YIELD 1024u          /* spins between sched_yield()s of a waiting writer/reader */
#define STATS_WRITER_GIVE_UP 100000u    /* yields before a writer drops an attempt (corrupt seq) */
#define STATS_READER_WAIT_NS 1000000000L /* a reader's wait for a live writer, then it takes the copy */

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2 && ATOMIC_INT_LOCK_FREE == 2,
               "the segment's atomics must be lock-free to be shared between processes");

/* The geometry fields are compared one by one at open, so that a segment made by another build
 * is refused with a message instead of being read with the wrong offsets. */
struct stats_header {
	char magic[8];
	uint32_t version;
	uint32_t header_size;
	uint32_t slots;
	uint32_t rows;
	uint32_t buckets;
	uint32_t causes;
	uint32_t name_size;
	uint32_t slot_size;
	uint32_t cell_size;
	uint32_t reserved;
	uint64_t file_size;
	_Atomic uint32_t row_count;     /* names published; entries below it never change */
	uint32_t reserved2;
	_Atomic uint64_t dropped;
	/* Who this segment is: drawn when the file is made (or first opened by a build that knows
	 * the field), never changed; a reader tells a recreated segment from the old one by it. */
	int64_t created_ms;             /* Unix time in milliseconds */
	unsigned char id[REPL_STATS_ID_BYTES];
};

struct stats_name {
	uint64_t hash;
	char operation[REPL_NAME_MAX + 1];
	char replica[REPL_NAME_MAX + 1];
};

struct stats_slot {
	_Atomic int32_t pid;            /* 0 = free */
	char pad[STATS_LINE - sizeof(int32_t)];
};

/* Every field is atomic, accessed relaxed, so that a reader racing a writer is a retry and not
 * undefined behaviour; on x86-64 and arm64 these are plain loads and stores. */
struct stats_cell {
	_Atomic uint32_t seq;           /* odd while its writer is inside */
	uint32_t reserved;
	_Atomic uint64_t all;
	_Atomic uint64_t successes;
	_Atomic uint64_t fail[REPL_CAUSE_COUNT];
	_Atomic uint64_t mean_bits;     /* double, microseconds, over successes */
	_Atomic uint64_t m2_bits;       /* double, microseconds squared */
	_Atomic uint64_t min_us;        /* valid once successes > 0 */
	_Atomic uint64_t max_us;
	_Atomic uint64_t histogram[REPL_STATS_BUCKETS];
};

#define STATS_ROUND(n) (((n) + STATS_LINE - 1) / STATS_LINE * STATS_LINE)
#define STATS_HEADER_SIZE STATS_ROUND(sizeof(struct stats_header))
#define STATS_NAME_SIZE sizeof(struct stats_name)
#define STATS_CELL_SIZE STATS_ROUND(sizeof(struct stats_cell))
#define STATS_NAMES_SIZE STATS_ROUND(REPL_STATS_ROWS_MAX * STATS_NAME_SIZE)
/* The identity went into the header's spare bytes: the geometry of version 1 is unchanged. */
_Static_assert(STATS_HEADER_SIZE == 128, "the header of version 1 is 128 bytes");

/* A plain copy of a cell, or the merge of several. */
struct stats_tally {
	uint64_t all;
	uint64_t successes;
	uint64_t fail[REPL_CAUSE_COUNT];
	double mean;
	double m2;
	uint64_t min_us;
	uint64_t max_us;
	uint64_t histogram[REPL_STATS_BUCKETS];
};

struct repl_stats {
	int fd;
	unsigned char *base;
	size_t size;
	struct stats_header *header;
	unsigned slots;
	int slot;                       /* -1 until claimed in this process */
	int32_t slot_pid;
	unsigned slot_generation;       /* stats_fork_generation when claimed */
	unsigned failed_generation;     /* a claim failed in this generation: do not retry per record */
	bool claim_failed;
	char path[256];
};

/* Bumped in every child at fork, so that a child recording through its parent's handle claims
 * its own slot instead of writing the parent's: a check without a getpid() syscall. */
static atomic_uint stats_fork_generation;
static pthread_once_t stats_fork_once = PTHREAD_ONCE_INIT;
/* POSIX record locks exclude processes, not threads of one process. */
static pthread_mutex_t stats_append_mutex = PTHREAD_MUTEX_INITIALIZER;

static void stats_after_fork(void)
{
	atomic_fetch_add_explicit(&stats_fork_generation, 1u, memory_order_relaxed);
}

static void stats_register_fork(void)
{
	(void)pthread_atfork(NULL, NULL, stats_after_fork);
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static enum repl_status stats_fail(struct repl_error *error, enum repl_status status,
                                   const char *format, ...)
{
	if (error != NULL) {
		va_list ap;
		va_start(ap, format);
		error->position = 0;
		vsnprintf(error->message, sizeof(error->message), format, ap);
		va_end(ap);
	}
	return status;
}

static uint64_t stats_file_size(unsigned slots)
{
	return (uint64_t)STATS_HEADER_SIZE + STATS_NAMES_SIZE + (uint64_t)slots * STATS_LINE +
	       (uint64_t)slots * REPL_STATS_ROWS_MAX * STATS_CELL_SIZE;
}

static struct stats_name *stats_name_at(const struct repl_stats *stats, uint32_t row)
{
	return (struct stats_name *)(void *)(stats->base + STATS_HEADER_SIZE + row * STATS_NAME_SIZE);
}

static struct stats_slot *stats_slot_at(const struct repl_stats *stats, unsigned slot)
{
	return (struct stats_slot *)(void *)(stats->base + STATS_HEADER_SIZE + STATS_NAMES_SIZE +
	                                     (size_t)slot * STATS_LINE);
}

static struct stats_cell *stats_cell_at(const struct repl_stats *stats, unsigned slot, uint32_t row)
{
	size_t cells = STATS_HEADER_SIZE + STATS_NAMES_SIZE + (size_t)stats->slots * STATS_LINE;
	size_t index = (size_t)slot * REPL_STATS_ROWS_MAX + row;
	return (struct stats_cell *)(void *)(stats->base + cells + index * STATS_CELL_SIZE);
}

/* A corrupt count must not send a scan past the name table. */
static uint32_t stats_row_count(const struct repl_stats *stats)
{
	uint32_t count = atomic_load_explicit(&stats->header->row_count, memory_order_acquire);
	return count < REPL_STATS_ROWS_MAX ? count : REPL_STATS_ROWS_MAX;
}

static uint64_t stats_double_bits(double value)
{
	uint64_t bits;
	memcpy(&bits, &value, sizeof(bits));
	return bits;
}

static double stats_bits_double(uint64_t bits)
{
	double value;
	memcpy(&value, &bits, sizeof(value));
	return value;
}

/* ---- the file ---- */

static int stats_file_lock(int fd, short type)
{
	struct flock lock = {.l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
	while (fcntl(fd, F_SETLKW, &lock) == -1) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

static struct stats_header stats_header_expected(unsigned slots)
{
	struct stats_header h = {
		.version = STATS_VERSION,
		.header_size = STATS_HEADER_SIZE,
		.slots = slots,
		.rows = REPL_STATS_ROWS_MAX,
		.buckets = REPL_STATS_BUCKETS,
		.causes = REPL_CAUSE_COUNT,
		.name_size = STATS_NAME_SIZE,
		.slot_size = STATS_LINE,
		.cell_size = STATS_CELL_SIZE,
		.file_size = stats_file_size(slots),
	};
	memcpy(h.magic, STATS_MAGIC, sizeof(h.magic));
	return h;
}

static const struct {
	const char *what;
	size_t offset;
} stats_geometry[] = {
	{"version", offsetof(struct stats_header, version)},
	{"header size", offsetof(struct stats_header, header_size)},
	{"slots", offsetof(struct stats_header, slots)},
	{"rows", offsetof(struct stats_header, rows)},
	{"histogram buckets", offsetof(struct stats_header, buckets)},
	{"failure causes", offsetof(struct stats_header, causes)},
	{"name entry size", offsetof(struct stats_header, name_size)},
	{"slot size", offsetof(struct stats_header, slot_size)},
	{"cell size", offsetof(struct stats_header, cell_size)},
};

static enum repl_status stats_check_header(const struct stats_header *found, unsigned slots,
                                           const char *path, struct repl_error *error)
{
	if (memcmp(found->magic, STATS_MAGIC, sizeof(found->magic)) != 0)
		return stats_fail(error, REPL_BAD_ARGUMENT, "stats: %s: not a librepl stats segment (bad magic)",
		                  path);
	struct stats_header want = stats_header_expected(slots);
	for (size_t i = 0; i < sizeof(stats_geometry) / sizeof(stats_geometry[0]); i++) {
		uint32_t f, w;
		memcpy(&f, (const char *)found + stats_geometry[i].offset, sizeof(f));
		memcpy(&w, (const char *)&want + stats_geometry[i].offset, sizeof(w));
		if (f != w)
			return stats_fail(error, REPL_BAD_ARGUMENT, "stats: %s: made with %s %lu, expected %lu",
			                  path, stats_geometry[i].what, (unsigned long)f, (unsigned long)w);
	}
	if (found->file_size != want.file_size)
		return stats_fail(error, REPL_BAD_ARGUMENT, "stats: %s: header says %llu bytes, expected %llu",
		                  path, (unsigned long long)found->file_size,
		                  (unsigned long long)want.file_size);
	return REPL_OK;
}

static bool stats_all_zero(const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++) {
		if (p[i] != 0)
			return false;
	}
	return true;
}

/* Under the file lock: makes the file a fresh segment, or checks the one it is. A file of the
 * right size whose header is all zeros is one whose creator died before writing it. */
static enum repl_status stats_prepare(struct repl_stats *stats, unsigned *slots, bool *fresh,
                                      struct repl_error *error)
{
	struct stat st;
	if (fstat(stats->fd, &st) == -1)
		return stats_fail(error, REPL_BAD_ARGUMENT, "stats: %s: %s", stats->path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return stats_fail(error, REPL_BAD_ARGUMENT, "stats: %s: not a regular file", stats->path);
	struct stats_header found;
	memset(&found, 0, sizeof(found));
	if (st.st_size > 0) {
		if ((uint64_t)st.st_size < sizeof(found))
			return stats_fail(error, REPL_BAD_ARGUMENT, "stats: %s: truncated (%lld bytes)",
			                  stats->path, (long long)st.st_size);
		ssize_t got = pread(stats->fd, &found, sizeof(found), 0);
		if (got != (ssize_t)sizeof(found))
			return stats_fail(error, REPL_BAD_ARGUMENT, "stats: %s: cannot read the header", stats->path);
	}
	bool empty = st.st_size == 0 ||
	             (stats_all_zero(&found, sizeof(found)) && *slots != 0 &&
	              (uint64_t)st.st_size == stats_file_size(*slots));
	if (empty) {
		if (*slots == 0)
			return stats_fail(error, REPL_BAD_ARGUMENT,
			                  "stats: %s: no segment yet, and no slot count to make one", stats->path);
		if (ftruncate(stats->fd, (off_t)stats_file_size(*slots)) == -1)
			return stats_fail(error, REPL_BAD_ARGUMENT, "stats: %s: %s", stats->path, strerror(errno));
		*fresh = true;
		return REPL_OK;
	}
	if (*slots == 0) {
		if (found.slots == 0 || found.slots > STATS_SLOTS_MAX)
			return stats_fail(error, REPL_BAD_ARGUMENT, "stats: %s: header names %lu slots",
			                  stats->path, (unsigned long)found.slots);
		*slots = found.slots;
	}
	enum repl_status status = stats_check_header(&found, *slots, stats->path, error);
	if (status != REPL_OK)
		return status;
	if ((uint64_t)st.st_size < found.file_size)
		return stats_fail(error, REPL_BAD_ARGUMENT, "stats: %s: truncated (%lld of %llu bytes)",
		                  stats->path, (long long)st.st_size, (unsigned long long)found.file_size);
	*fresh = false;
	return REPL_OK;
}

/* Under the file lock, once per segment: a header of version 1 made before the identity existed
 * has zeros there and gets one at its next open. */
static enum repl_status stats_identity_make(struct repl_stats *stats, struct repl_error *error)
{
	if (!stats_all_zero(stats->header->id, sizeof(stats->header->id)))
		return REPL_OK;
	unsigned char id[REPL_STATS_ID_BYTES];
	size_t got = 0;
	while (got < sizeof(id)) {
		ssize_t n = getrandom(id + got, sizeof(id) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return stats_fail(error, REPL_BAD_ARGUMENT, "stats: %s: getrandom: %s", stats->path,
			                  strerror(errno));
		got += (size_t)n;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	stats->header->created_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	memcpy(stats->header->id, id, sizeof(id));
	return REPL_OK;
}

enum repl_status repl_stats_open(struct repl_stats **out, const char *path, unsigned slots,
                                 struct repl_error *error)
{
	enum repl_status status = REPL_OK;
	struct repl_stats *stats = NULL;
	bool locked = false;
	bool fresh = false;

	if (out == NULL || path == NULL || path[0] == '\0')
		return stats_fail(error, REPL_BAD_ARGUMENT, "stats: no segment path");
	if (slots > STATS_SLOTS_MAX)
		return stats_fail(error, REPL_BAD_ARGUMENT, "stats: %u slots, at most %u", slots,
		                  STATS_SLOTS_MAX);
	pthread_once(&stats_fork_once, stats_register_fork);
	stats = calloc(1, sizeof(*stats));
	if (stats == NULL)
		return stats_fail(error, REPL_NO_MEMORY, "stats: out of memory");
	stats->fd = -1;
	stats->slot = -1;
	snprintf(stats->path, sizeof(stats->path), "%s", path);

	stats->fd = open(path, O_RDWR | O_CLOEXEC | (slots != 0 ? O_CREAT : 0), 0600);
	if (stats->fd == -1) {
		status = stats_fail(error, REPL_BAD_ARGUMENT, "stats: %s: %s", path, strerror(errno));
		goto out;
	}
	if (stats_file_lock(stats->fd, F_WRLCK) == -1) {
		status = stats_fail(error, REPL_BAD_ARGUMENT, "stats: %s: lock: %s", path, strerror(errno));
		goto out;
	}
	locked = true;
	status = stats_prepare(stats, &slots, &fresh, error);
	if (status != REPL_OK)
		goto out;
	stats->slots = slots;
	stats->size = (size_t)stats_file_size(slots);
	void *base = mmap(NULL, stats->size, PROT_READ | PROT_WRITE, MAP_SHARED, stats->fd, 0);
	if (base == MAP_FAILED) {
		status = stats_fail(error, REPL_BAD_ARGUMENT, "stats: %s: mmap: %s", path, strerror(errno));
		goto out;
	}
	stats->base = base;
	stats->header = base;
	if (fresh) {
		/* The magic goes last: a header with a magic is a whole header. */
		struct stats_header h = stats_header_expected(slots);
		memcpy((char *)stats->header + sizeof(h.magic), (char *)&h + sizeof(h.magic),
		       offsetof(struct stats_header, row_count) - sizeof(h.magic));
		atomic_thread_fence(memory_order_release);
		memcpy(stats->header->magic, STATS_MAGIC, sizeof(h.magic));
	}
	status = stats_identity_make(stats, error);

out:
	if (locked)
		(void)stats_file_lock(stats->fd, F_UNLCK);
	if (status != REPL_OK) {
		repl_stats_close(stats);
		return status;
	}
	*out = stats;
	return REPL_OK;
}

static bool stats_attached_here(const struct repl_stats *stats)
{
	return stats->slot >= 0 &&
	       stats->slot_generation == atomic_load_explicit(&stats_fork_generation, memory_order_relaxed);
}

void repl_stats_close(struct repl_stats *stats)
{
	if (stats == NULL)
		return;
	if (stats->base != NULL && stats_attached_here(stats)) {
		/* The counts stay in the slot: its next owner adds to them. */
		int32_t expected = stats->slot_pid;
		atomic_compare_exchange_strong_explicit(&stats_slot_at(stats, (unsigned)stats->slot)->pid,
		                                        &expected, 0, memory_order_release,
		                                        memory_order_relaxed);
	}
	if (stats->base != NULL)
		munmap(stats->base, stats->size);
	if (stats->fd != -1)
		close(stats->fd);
	free(stats);
}

/* ---- slots ---- */

static bool stats_pid_dead(int32_t pid)
{
	return pid > 0 && kill((pid_t)pid, 0) == -1 && errno == ESRCH;
}

/* A writer killed inside its critical section leaves its cell odd; the counts of that one
 * attempt may be half there, which is kept rather than guessed at. */
static void stats_slot_repair(struct repl_stats *stats, unsigned slot)
{
	for (uint32_t row = 0; row < REPL_STATS_ROWS_MAX; row++) {
		struct stats_cell *cell = stats_cell_at(stats, slot, row);
		uint32_t seq = atomic_load_explicit(&cell->seq, memory_order_relaxed);
		if (seq & 1u)
			atomic_store_explicit(&cell->seq, seq + 1u, memory_order_release);
	}
}

static enum repl_status stats_claim(struct repl_stats *stats, struct repl_error *error)
{
	unsigned generation = atomic_load_explicit(&stats_fork_generation, memory_order_relaxed);
	int32_t self = (int32_t)getpid();
	for (unsigned i = 0; i < stats->slots; i++) {
		struct stats_slot *slot = stats_slot_at(stats, i);
		int32_t pid = atomic_load_explicit(&slot->pid, memory_order_acquire);
		bool free_slot = pid == 0 || pid < 0 || stats_pid_dead(pid);
		if (!free_slot)
			continue;
		if (!atomic_compare_exchange_strong_explicit(&slot->pid, &pid, self, memory_order_acq_rel,
		                                             memory_order_relaxed))
			continue;
		stats_slot_repair(stats, i);
		stats->slot = (int)i;
		stats->slot_pid = self;
		stats->slot_generation = generation;
		stats->claim_failed = false;
		return REPL_OK;
	}
	stats->claim_failed = true;
	stats->failed_generation = generation;
	return stats_fail(error, REPL_BAD_ARGUMENT,
	                  "stats: %s: all %u slots are held by live processes (make it with more slots)",
	                  stats->path, stats->slots);
}

enum repl_status repl_stats_attach(struct repl_stats *stats, struct repl_error *error)
{
	if (stats == NULL)
		return stats_fail(error, REPL_BAD_ARGUMENT, "stats: no segment");
	if (stats_attached_here(stats))
		return REPL_OK;
	return stats_claim(stats, error);
}

/* ---- rows ---- */

/* FNV-1a over "operation\0replica": a scan compares one word per row before any string. */
static uint64_t stats_hash(const char *operation, size_t operation_len, const char *replica,
                           size_t replica_len)
{
	uint64_t h = 14695981039346656037u;
	for (size_t i = 0; i <= operation_len; i++)
		h = (h ^ (unsigned char)operation[i]) * 1099511628211u;
	for (size_t i = 0; i < replica_len; i++)
		h = (h ^ (unsigned char)replica[i]) * 1099511628211u;
	return h;
}

static long stats_row_scan(const struct repl_stats *stats, uint32_t from, uint32_t count, uint64_t hash,
                           const char *operation, size_t operation_len, const char *replica,
                           size_t replica_len)
{
	for (uint32_t row = from; row < count; row++) {
		const struct stats_name *name = stats_name_at(stats, row);
		/* len + 1 bytes: the NUL must match too, and stays inside the field. */
		if (name->hash == hash && memcmp(name->operation, operation, operation_len + 1) == 0 &&
		    memcmp(name->replica, replica, replica_len + 1) == 0)
			return (long)row;
	}
	return -1;
}

/* The slow path, once per new name in the whole stack: appenders serialise on the file's record
 * lock (released by the kernel if the holder dies), write the entry, then publish it by the
 * count's release store; lock-free scanners see whole entries or none. */
static long stats_row_append(struct repl_stats *stats, uint32_t seen, uint64_t hash,
                             const char *operation, size_t operation_len, const char *replica,
                             size_t replica_len)
{
	long row = -1;
	pthread_mutex_lock(&stats_append_mutex);
	if (stats_file_lock(stats->fd, F_WRLCK) == -1)
		goto out;
	uint32_t count = stats_row_count(stats);
	row = stats_row_scan(stats, seen < count ? seen : 0, count, hash, operation, operation_len,
	                     replica, replica_len);
	if (row < 0 && count < REPL_STATS_ROWS_MAX) {
		struct stats_name *name = stats_name_at(stats, count);
		memset(name, 0, sizeof(*name));
		name->hash = hash;
		memcpy(name->operation, operation, operation_len);
		memcpy(name->replica, replica, replica_len);
		atomic_store_explicit(&stats->header->row_count, count + 1u, memory_order_release);
		row = (long)count;
	}
	(void)stats_file_lock(stats->fd, F_UNLCK);
out:
	pthread_mutex_unlock(&stats_append_mutex);
	return row;
}

static long stats_row_find(struct repl_stats *stats, const char *operation, const char *replica)
{
	size_t operation_len = strnlen(operation, REPL_NAME_MAX + 1);
	size_t replica_len = strnlen(replica, REPL_NAME_MAX + 1);
	if (operation_len == 0 || operation_len > REPL_NAME_MAX || replica_len == 0 ||
	    replica_len > REPL_NAME_MAX)
		return -1;
	uint64_t hash = stats_hash(operation, operation_len, replica, replica_len);
	uint32_t count = stats_row_count(stats);
	long row = stats_row_scan(stats, 0, count, hash, operation, operation_len, replica, replica_len);
	if (row >= 0 || count >= REPL_STATS_ROWS_MAX)
		return row;
	return stats_row_append(stats, count, hash, operation, operation_len, replica, replica_len);
}

/* ---- the seqlock ---- */

static inline uint64_t stats_load(_Atomic uint64_t *field)
{
	return atomic_load_explicit(field, memory_order_relaxed);
}

static inline void stats_store(_Atomic uint64_t *field, uint64_t value)
{
	atomic_store_explicit(field, value, memory_order_relaxed);
}

/* Writers of one cell are one process's threads (or, on a corrupt file, nobody): a CAS makes
 * them take turns; the release fence keeps the data stores after the odd sequence for readers. */
static bool stats_cell_lock(struct stats_cell *cell, uint32_t *seq)
{
	uint32_t s = atomic_load_explicit(&cell->seq, memory_order_relaxed);
	unsigned spins = 0, yields = 0;
	for (;;) {
		if ((s & 1u) == 0 &&
		    atomic_compare_exchange_weak_explicit(&cell->seq, &s, s + 1u, memory_order_acquire,
		                                          memory_order_relaxed))
			break;
		if (++spins % STATS_SPIN_YIELD == 0) {
			if (++yields > STATS_WRITER_GIVE_UP)
				return false;
			sched_yield();
		}
		s = atomic_load_explicit(&cell->seq, memory_order_relaxed);
	}
	atomic_thread_fence(memory_order_release);
	*seq = s + 1u;
	return true;
}

static void stats_cell_unlock(struct stats_cell *cell, uint32_t seq)
{
	atomic_store_explicit(&cell->seq, seq + 1u, memory_order_release);
}

static unsigned stats_bucket(uint64_t rtt_us)
{
	if (rtt_us < 2)
		return 0;
	unsigned bucket = 63u - (unsigned)__builtin_clzll(rtt_us);
	return bucket < REPL_STATS_BUCKETS ? bucket : REPL_STATS_BUCKETS - 1u;
}

static void stats_cell_add(struct stats_cell *cell, enum repl_cause cause, uint64_t rtt_us)
{
	stats_store(&cell->all, stats_load(&cell->all) + 1u);
	if (cause != REPL_CAUSE_NONE) {
		stats_store(&cell->fail[cause], stats_load(&cell->fail[cause]) + 1u);
		return;
	}
	uint64_t n = stats_load(&cell->successes) + 1u;
	double x = (double)rtt_us;
	if (n == 1) {
		stats_store(&cell->mean_bits, stats_double_bits(x));
		stats_store(&cell->m2_bits, stats_double_bits(0.0));
		stats_store(&cell->min_us, rtt_us);
		stats_store(&cell->max_us, rtt_us);
	} else {
		/* Welford: no sum of squares to overflow or cancel. */
		double mean = stats_bits_double(stats_load(&cell->mean_bits));
		double m2 = stats_bits_double(stats_load(&cell->m2_bits));
		double delta = x - mean;
		mean += delta / (double)n;
		m2 += delta * (x - mean);
		stats_store(&cell->mean_bits, stats_double_bits(mean));
		stats_store(&cell->m2_bits, stats_double_bits(m2));
		if (rtt_us < stats_load(&cell->min_us))
			stats_store(&cell->min_us, rtt_us);
		if (rtt_us > stats_load(&cell->max_us))
			stats_store(&cell->max_us, rtt_us);
	}
	stats_store(&cell->successes, n);
	unsigned bucket = stats_bucket(rtt_us);
	stats_store(&cell->histogram[bucket], stats_load(&cell->histogram[bucket]) + 1u);
}

static void stats_drop(struct repl_stats *stats)
{
	atomic_fetch_add_explicit(&stats->header->dropped, 1u, memory_order_relaxed);
}

void repl_stats_record(struct repl_stats *stats, const char *operation, const char *replica,
                       enum repl_cause cause, uint64_t rtt_us)
{
	if (stats == NULL || stats->base == NULL)
		return;
	if (!stats_attached_here(stats)) {
		unsigned generation = atomic_load_explicit(&stats_fork_generation, memory_order_relaxed);
		if ((stats->claim_failed && stats->failed_generation == generation) ||
		    stats_claim(stats, NULL) != REPL_OK) {
			stats_drop(stats);
			return;
		}
	}
	if (operation == NULL || replica == NULL) {
		stats_drop(stats);
		return;
	}
	long row = stats_row_find(stats, operation, replica);
	if (row < 0) {
		stats_drop(stats);
		return;
	}
	if ((unsigned)cause >= REPL_CAUSE_COUNT)
		cause = REPL_CAUSE_OTHER;
	struct stats_cell *cell = stats_cell_at(stats, (unsigned)stats->slot, (uint32_t)row);
	uint32_t seq;
	if (!stats_cell_lock(cell, &seq)) {
		stats_drop(stats);
		return;
	}
	stats_cell_add(cell, cause, rtt_us);
	stats_cell_unlock(cell, seq);
}

void repl_stats_identity(struct repl_stats *stats, struct repl_stats_identity *identity)
{
	static const char hex[] = "0123456789abcdef";
	memset(identity, 0, sizeof(*identity));
	if (stats == NULL || stats->header == NULL)
		return;
	for (size_t i = 0; i < REPL_STATS_ID_BYTES; i++) {
		identity->id[2 * i] = hex[stats->header->id[i] >> 4];
		identity->id[2 * i + 1] = hex[stats->header->id[i] & 15u];
	}
	identity->created_ms = stats->header->created_ms;
}

uint64_t repl_stats_dropped(struct repl_stats *stats)
{
	if (stats == NULL || stats->header == NULL)
		return 0;
	return atomic_load_explicit(&stats->header->dropped, memory_order_relaxed);
}

/* ---- readers ---- */

static void stats_cell_copy(struct stats_cell *cell, struct stats_tally *t)
{
	t->all = stats_load(&cell->all);
	t->successes = stats_load(&cell->successes);
	for (unsigned c = 0; c < REPL_CAUSE_COUNT; c++)
		t->fail[c] = stats_load(&cell->fail[c]);
	t->mean = stats_bits_double(stats_load(&cell->mean_bits));
	t->m2 = stats_bits_double(stats_load(&cell->m2_bits));
	t->min_us = stats_load(&cell->min_us);
	t->max_us = stats_load(&cell->max_us);
	for (unsigned b = 0; b < REPL_STATS_BUCKETS; b++)
		t->histogram[b] = stats_load(&cell->histogram[b]);
}

static int64_t stats_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Retries while the writer is inside. A writer that died inside, a corrupt sequence, or a
 * writer stopped for over a second: the copy is taken as it is rather than waiting forever. */
static void stats_cell_snapshot(const struct repl_stats *stats, unsigned slot, struct stats_cell *cell,
                                struct stats_tally *t)
{
	unsigned spins = 0;
	int64_t deadline = 0;
	for (;;) {
		uint32_t before = atomic_load_explicit(&cell->seq, memory_order_acquire);
		stats_cell_copy(cell, t);
		atomic_thread_fence(memory_order_acquire);
		uint32_t after = atomic_load_explicit(&cell->seq, memory_order_relaxed);
		if ((before & 1u) == 0 && before == after)
			return;
		if (++spins % STATS_SPIN_YIELD != 0)
			continue;
		int32_t pid = atomic_load_explicit(&stats_slot_at(stats, slot)->pid, memory_order_relaxed);
		if (pid <= 0 || stats_pid_dead(pid))
			return;
		if (deadline == 0)
			deadline = stats_now_ns() + STATS_READER_WAIT_NS;
		else if (stats_now_ns() > deadline)
			return;
		sched_yield();
	}
}

/* Chan, Golub and LeVeque: M2 = M2a + M2b + delta^2 * na * nb / n. */
static void stats_tally_merge(struct stats_tally *into, const struct stats_tally *from)
{
	into->all += from->all;
	for (unsigned c = 0; c < REPL_CAUSE_COUNT; c++)
		into->fail[c] += from->fail[c];
	for (unsigned b = 0; b < REPL_STATS_BUCKETS; b++)
		into->histogram[b] += from->histogram[b];
	if (from->successes == 0)
		return;
	if (into->successes == 0) {
		into->successes = from->successes;
		into->mean = from->mean;
		into->m2 = from->m2;
		into->min_us = from->min_us;
		into->max_us = from->max_us;
		return;
	}
	double na = (double)into->successes, nb = (double)from->successes, n = na + nb;
	double delta = from->mean - into->mean;
	into->mean += delta * nb / n;
	into->m2 += from->m2 + delta * delta * na * nb / n;
	into->successes += from->successes;
	if (from->min_us < into->min_us)
		into->min_us = from->min_us;
	if (from->max_us > into->max_us)
		into->max_us = from->max_us;
}

static void stats_row_fill(struct repl_stats_row *row, const struct stats_name *name,
                           const struct stats_tally *t)
{
	memset(row, 0, sizeof(*row));
	/* Bounded copies: a corrupt entry without its NUL still yields a terminated name. */
	memcpy(row->operation, name->operation, REPL_NAME_MAX);
	memcpy(row->replica, name->replica, REPL_NAME_MAX);
	row->all = t->all;
	row->successes = t->successes;
	memcpy(row->fail, t->fail, sizeof(row->fail));
	row->fail[REPL_CAUSE_NONE] = 0;
	memcpy(row->histogram, t->histogram, sizeof(row->histogram));
	if (t->successes > 0) {
		row->rtt_mean_ms = t->mean / 1000.0;
		/* The sample deviation (n - 1), as a spreadsheet's STDEV over the paper's samples. */
		row->rtt_std_ms = t->successes > 1 ? sqrt(t->m2 / (double)(t->successes - 1)) / 1000.0 : 0.0;
		row->rtt_min_ms = (double)t->min_us / 1000.0;
		row->rtt_max_ms = (double)t->max_us / 1000.0;
	}
}

size_t repl_stats_read(struct repl_stats *stats, struct repl_stats_row *rows, size_t max)
{
	if (stats == NULL || stats->base == NULL || rows == NULL)
		return 0;
	uint32_t count = stats_row_count(stats);
	size_t n = count < max ? count : max;
	for (uint32_t r = 0; r < n; r++) {
		struct stats_tally total, one;
		memset(&total, 0, sizeof(total));
		for (unsigned s = 0; s < stats->slots; s++) {
			stats_cell_snapshot(stats, s, stats_cell_at(stats, s, r), &one);
			stats_tally_merge(&total, &one);
		}
		stats_row_fill(&rows[r], stats_name_at(stats, r), &total);
	}
	return n;
}

double repl_stats_percentile(const struct repl_stats_row *row, double p)
{
	if (row == NULL || !(p > 0.0 && p < 100.0))
		return NAN;
	uint64_t total = 0;
	for (unsigned b = 0; b < REPL_STATS_BUCKETS; b++)
		total += row->histogram[b];
	if (total == 0)
		return NAN;
	/* Nearest rank; p * total before the division keeps 90 * 10 / 100 exactly 9. */
	double rank = ceil(p * (double)total / 100.0);
	uint64_t cumulative = 0;
	for (unsigned b = 0; b < REPL_STATS_BUCKETS; b++) {
		cumulative += row->histogram[b];
		if ((double)cumulative >= rank)
			return ldexp(1.0, (int)b + 1) / 1000.0;
	}
	return ldexp(1.0, REPL_STATS_BUCKETS) / 1000.0;
}

/* ---- the table ---- */

static const struct {
	const char *title;
	enum repl_cause cause;
} stats_cause_columns[] = {
	{"timeout", REPL_CAUSE_TIMEOUT},
	{"connect", REPL_CAUSE_CONNECT},
	{"5xx/proto", REPL_CAUSE_PROTOCOL},
	{"other", REPL_CAUSE_OTHER},
};

static const char *const stats_rtt_titles[] = {"Avg", "Std", "Min", "Max", "p50", "p90", "p99"};

#define STATS_RTT_COLUMNS (sizeof(stats_rtt_titles) / sizeof(stats_rtt_titles[0]))
#define STATS_CAUSE_COLUMNS (sizeof(stats_cause_columns) / sizeof(stats_cause_columns[0]))

static uint64_t stats_row_fail(const struct repl_stats_row *row)
{
	uint64_t fail = 0;
	for (unsigned c = REPL_CAUSE_NONE + 1; c < REPL_CAUSE_COUNT; c++)
		fail += row->fail[c];
	return fail;
}

void repl_stats_print_table(const struct repl_stats_row *rows, size_t count, FILE *out)
{
	if (out == NULL || (rows == NULL && count > 0))
		return;
	int op_width = (int)strlen("operation"), replica_width = (int)strlen("replica");
	for (size_t i = 0; i < count; i++) {
		int w = (int)strnlen(rows[i].operation, REPL_NAME_MAX);
		op_width = w > op_width ? w : op_width;
		w = (int)strnlen(rows[i].replica, REPL_NAME_MAX);
		replica_width = w > replica_width ? w : replica_width;
	}
	fprintf(out, "%-*s  %-*s  %7s  %10s  %10s", op_width, "operation", replica_width, "replica",
	        "R%", "Fail", "All");
	for (size_t c = 0; c < STATS_RTT_COLUMNS; c++)
		fprintf(out, "  %10s", stats_rtt_titles[c]);
	for (size_t c = 0; c < STATS_CAUSE_COLUMNS; c++)
		fprintf(out, "  %9s", stats_cause_columns[c].title);
	fputc('\n', out);

	for (size_t i = 0; i < count; i++) {
		const struct repl_stats_row *row = &rows[i];
		uint64_t fail = stats_row_fail(row);
		fprintf(out, "%-*.*s  %-*.*s  ", op_width, REPL_NAME_MAX, row->operation, replica_width,
		        REPL_NAME_MAX, row->replica);
		if (row->all > 0)
			fprintf(out, "%7.2f", 100.0 * (double)fail / (double)row->all);
		else
			fprintf(out, "%7s", "-");
		fprintf(out, "  %10llu  %10llu", (unsigned long long)fail, (unsigned long long)row->all);
		double rtt[STATS_RTT_COLUMNS] = {
			row->rtt_mean_ms, row->rtt_std_ms, row->rtt_min_ms, row->rtt_max_ms,
			repl_stats_percentile(row, 50.0), repl_stats_percentile(row, 90.0),
			repl_stats_percentile(row, 99.0),
		};
		for (size_t c = 0; c < STATS_RTT_COLUMNS; c++) {
			if (row->successes > 0 && !isnan(rtt[c]))
				fprintf(out, "  %10.3f", rtt[c]);
			else
				fprintf(out, "  %10s", "-");
		}
		for (size_t c = 0; c < STATS_CAUSE_COLUMNS; c++)
			fprintf(out, "  %9llu", (unsigned long long)row->fail[stats_cause_columns[c].cause]);
		fputc('\n', out);
	}
}
