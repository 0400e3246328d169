/*
 * arena.h: the per-request memory pool, with cleanup hooks.
 *
 * Everything a request allocates comes from its arena and is freed in one call when the
 * request ends, so handlers never free. Foreign resources (a MariaDB result, a json-c object, a
 * curl slist) register a cleanup hook; hooks run last-registered-first when the arena is reset or
 * destroyed. An arena has a byte cap set when it is made: past it, allocation fails (the caller
 * answers 413 or 500) instead of the worker growing without bound. One arena lives per worker and
 * is reset between requests, keeping its first block.
 */
#ifndef FCGI_ARENA_H
#define FCGI_ARENA_H

#include <stddef.h>

struct arena;

typedef void (*arena_cleanup_fn)(void *data);

/* A new arena that will hand out at most cap bytes in all. NULL on OOM. */
struct arena *arena_create(size_t cap);
/* Runs the cleanup hooks, frees every block. Safe on NULL. */
void arena_destroy(struct arena *arena);
/* Runs the cleanup hooks and frees all but the first block: ready for the next request. */
void arena_reset(struct arena *arena);

/* size bytes aligned for any type; NULL past the cap or on OOM. size 0 gives a valid pointer. */
void *arena_alloc(struct arena *arena, size_t size);
/* Zero-filled count*size bytes; NULL on overflow, past the cap or on OOM. */
void *arena_calloc(struct arena *arena, size_t count, size_t size);
/* A NUL-terminated copy of len bytes of s (which may hold NULs). */
char *arena_strndup(struct arena *arena, const char *s, size_t len);
/* Grows the allocation at ptr (old_size bytes) to new_size, copying; the old block is abandoned. */
void *arena_grow(struct arena *arena, void *ptr, size_t old_size, size_t new_size);
/* Registers fn(data) to run when the arena is reset or destroyed. -1 on OOM (fn is run at once). */
int arena_cleanup_add(struct arena *arena, arena_cleanup_fn fn, void *data);

/* Bytes handed out since creation or the last reset. */
size_t arena_used(const struct arena *arena);
size_t arena_cap(const struct arena *arena);

#endif
