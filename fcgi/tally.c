/*
 * tally.c: per-process slots of counters in one shared mapping (see tally.h).
 *
 * Layout: a header (the highest slot ever claimed, the dropped count), then `slots` owner words
 * (the pid holding each slot, 0 = never claimed), then the slots' cells. A slot's cells are
 * written by its owner alone, so an addition is a relaxed load and store, not a locked
 * read-modify-write; readers may see a sum a request behind, never a torn one. Readers stop at
 * the highest slot ever claimed, so a scrape reads what workers have touched, not the whole
 * mapping.
 */
#include "tally.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"

struct tally_segment {
	size_t map_size;
	unsigned slots;
	_Atomic unsigned claimed;            /* slots below this have been claimed at least once */
	_Atomic uint64_t dropped;
	_Atomic int32_t *owners;             /* slots of them */
	_Atomic uint64_t *cells;             /* slots x cells */
};

int tally_create(struct tally *tally, unsigned slots, size_t cells)
{
	size_t header = (sizeof(struct tally_segment) + 63) / 64 * 64;
	size_t owners = ((size_t)slots * sizeof(_Atomic int32_t) + 63) / 64 * 64;
	size_t size = header + owners + (size_t)slots * cells * sizeof(_Atomic uint64_t);
	void *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED) {
		log_error("tally: mapping %zu bytes: %s", size, strerror(errno));
		return -1;
	}
	struct tally_segment *segment = map;
	segment->map_size = size;
	segment->slots = slots;
	atomic_init(&segment->claimed, 0);
	atomic_init(&segment->dropped, 0);
	segment->owners = (_Atomic int32_t *)((char *)map + header);
	segment->cells = (_Atomic uint64_t *)((char *)map + header + owners);
	tally->segment = segment;
	tally->cells = cells;
	tally->mine = -1;
	tally->mine_pid = 0;
	return 0;
}

/* A slot whose owner has exited: its counts stay, and the next process adds to them. */
static int tally_owner_gone(int32_t pid)
{
	return pid != 0 && kill(pid, 0) != 0 && errno == ESRCH;
}

static int tally_claim(struct tally *tally)
{
	struct tally_segment *segment = tally->segment;
	int32_t me = (int32_t)getpid();
	for (unsigned i = 0; i < segment->slots; i++) {
		int32_t owner = atomic_load(&segment->owners[i]);
		if (owner == me)
			return (int)i;
		if (owner != 0 && !tally_owner_gone(owner))
			continue;
		if (!atomic_compare_exchange_strong(&segment->owners[i], &owner, me))
			continue;
		unsigned claimed = atomic_load(&segment->claimed);
		while (claimed < i + 1 && !atomic_compare_exchange_weak(&segment->claimed, &claimed, i + 1))
			;
		return (int)i;
	}
	return -1;
}

void tally_add(struct tally *tally, size_t cell, uint64_t n)
{
	struct tally_segment *segment = tally->segment;
	if (segment == NULL || cell >= tally->cells)
		return;
	if (tally->mine < 0 || tally->mine_pid != (int)getpid()) {
		tally->mine = tally_claim(tally);
		tally->mine_pid = (int)getpid();
	}
	if (tally->mine < 0) {
		atomic_fetch_add_explicit(&segment->dropped, 1, memory_order_relaxed);
		return;
	}
	_Atomic uint64_t *at = &segment->cells[(size_t)tally->mine * tally->cells + cell];
	atomic_store_explicit(at, atomic_load_explicit(at, memory_order_relaxed) + n, memory_order_relaxed);
}

uint64_t tally_sum(const struct tally *tally, size_t cell)
{
	const struct tally_segment *segment = tally->segment;
	uint64_t sum = 0;
	if (segment == NULL || cell >= tally->cells)
		return 0;
	unsigned claimed = atomic_load(&((struct tally_segment *)segment)->claimed);
	for (unsigned i = 0; i < claimed; i++)
		sum += atomic_load_explicit(&segment->cells[(size_t)i * tally->cells + cell], memory_order_relaxed);
	return sum;
}

uint64_t tally_dropped(const struct tally *tally)
{
	return tally->segment == NULL ? 0 : atomic_load(&tally->segment->dropped);
}

void tally_destroy(struct tally *tally)
{
	if (tally->segment != NULL)
		munmap(tally->segment, tally->segment->map_size);
	tally->segment = NULL;
}
