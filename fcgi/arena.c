/*
 * arena.c: the per-request pool (see arena.h).
 *
 * Blocks are malloc'd and chained; a request bigger than the default block size gets a block
 * of its own. Allocation is a pointer bump aligned to max_align_t. Cleanup hooks live in the
 * arena itself, in a list pushed at the front, so they run in reverse order of registration.
 */
#include "arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK_SIZE (64 * 1024)
#define ARENA_ALIGN alignof(max_align_t)

struct arena_block {
	struct arena_block *next;
	size_t size;  /* usable bytes after the header */
	size_t used;
	alignas(max_align_t) unsigned char data[];
};

struct arena_cleanup {
	struct arena_cleanup *next;
	arena_cleanup_fn fn;
	void *data;
};

struct arena {
	struct arena_block *blocks;  /* the block being filled first, then older ones */
	struct arena_block *first;   /* the block made with the arena: the one reset keeps */
	struct arena_cleanup *cleanups;
	size_t cap;
	size_t used;
};

static struct arena_block *arena_block_new(size_t size)
{
	struct arena_block *block = malloc(sizeof(*block) + size);
	if (block == NULL)
		return NULL;
	block->next = NULL;
	block->size = size;
	block->used = 0;
	return block;
}

struct arena *arena_create(size_t cap)
{
	struct arena *arena = malloc(sizeof(*arena));
	if (arena == NULL)
		return NULL;
	arena->blocks = arena_block_new(ARENA_BLOCK_SIZE);
	if (arena->blocks == NULL) {
		free(arena);
		return NULL;
	}
	arena->first = arena->blocks;
	arena->cleanups = NULL;
	arena->cap = cap;
	arena->used = 0;
	return arena;
}

static void arena_run_cleanups(struct arena *arena)
{
	/* A hook may allocate from the arena or add hooks: take the list first. */
	while (arena->cleanups != NULL) {
		struct arena_cleanup *cleanup = arena->cleanups;
		arena->cleanups = cleanup->next;
		cleanup->fn(cleanup->data);
	}
}

void arena_reset(struct arena *arena)
{
	if (arena == NULL)
		return;
	arena_run_cleanups(arena);
	/* Big one-off blocks can sit anywhere in the chain: keep exactly the first block, so a
	 * worker does not hold an upload's megabytes after the request that brought them. */
	struct arena_block *block = arena->blocks;
	while (block != NULL) {
		struct arena_block *next = block->next;
		if (block != arena->first)
			free(block);
		block = next;
	}
	arena->blocks = arena->first;
	arena->first->next = NULL;
	arena->first->used = 0;
	arena->used = 0;
}

void arena_destroy(struct arena *arena)
{
	if (arena == NULL)
		return;
	arena_reset(arena);
	free(arena->first);
	free(arena);
}

void *arena_alloc(struct arena *arena, size_t size)
{
	size_t rounded = (size + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	if (rounded < size || rounded > arena->cap - arena->used || arena->used > arena->cap)
		return NULL;
	struct arena_block *block = arena->blocks;
	if (block->size - block->used < rounded) {
		size_t block_size = rounded > ARENA_BLOCK_SIZE ? rounded : ARENA_BLOCK_SIZE;
		struct arena_block *fresh = arena_block_new(block_size);
		if (fresh == NULL)
			return NULL;
		if (rounded > ARENA_BLOCK_SIZE / 2 && block->size - block->used > ARENA_BLOCK_SIZE / 4) {
			/* A big one-off block: slot it behind the current one so the current
			 * block's free space stays usable for small allocations. */
			fresh->next = block->next;
			block->next = fresh;
			fresh->used = rounded;
			arena->used += rounded;
			return fresh->data;
		}
		fresh->next = block;
		arena->blocks = fresh;
		block = fresh;
	}
	void *ptr = block->data + block->used;
	block->used += rounded;
	arena->used += rounded;
	return ptr;
}

void *arena_calloc(struct arena *arena, size_t count, size_t size)
{
	if (size != 0 && count > SIZE_MAX / size)
		return NULL;
	void *ptr = arena_alloc(arena, count * size);
	if (ptr != NULL)
		memset(ptr, 0, count * size);
	return ptr;
}

char *arena_strndup(struct arena *arena, const char *s, size_t len)
{
	if (len == SIZE_MAX)
		return NULL;
	char *copy = arena_alloc(arena, len + 1);
	if (copy == NULL)
		return NULL;
	if (len > 0)
		memcpy(copy, s, len);
	copy[len] = '\0';
	return copy;
}

void *arena_grow(struct arena *arena, void *ptr, size_t old_size, size_t new_size)
{
	if (new_size <= old_size)
		return ptr;
	void *fresh = arena_alloc(arena, new_size);
	if (fresh != NULL && old_size > 0)
		memcpy(fresh, ptr, old_size);
	return fresh;
}

int arena_cleanup_add(struct arena *arena, arena_cleanup_fn fn, void *data)
{
	/* Hooks are bookkeeping, not request data: they do not count against the cap. */
	struct arena_cleanup *cleanup = NULL;
	struct arena_block *block = arena->blocks;
	size_t need = (sizeof(*cleanup) + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	if (block->size - block->used >= need) {
		cleanup = (struct arena_cleanup *)(block->data + block->used);
		block->used += need;
	} else {
		struct arena_block *fresh = arena_block_new(ARENA_BLOCK_SIZE);
		if (fresh == NULL) {
			fn(data);
			return -1;
		}
		fresh->next = block;
		arena->blocks = fresh;
		cleanup = (struct arena_cleanup *)fresh->data;
		fresh->used = need;
	}
	cleanup->fn = fn;
	cleanup->data = data;
	cleanup->next = arena->cleanups;
	arena->cleanups = cleanup;
	return 0;
}

size_t arena_used(const struct arena *arena)
{
	return arena->used;
}

size_t arena_cap(const struct arena *arena)
{
	return arena->cap;
}
