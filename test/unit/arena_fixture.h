/*
 * arena_fixture.h: the cmocka fixture most unit tests share: a zeroed struct fixture holding an
 * arena of a given cap, made before each test and freed after it. A test's setup calls
 * arena_fixture_new (and adds its own parts), its teardown arena_fixture_free.
 */
#ifndef ARENA_FIXTURE_H
#define ARENA_FIXTURE_H

#include <stddef.h>
#include <stdlib.h>

#include "arena.h"

/* *state = a zeroed fixture of size bytes whose `struct arena *` member at arena_offset holds a
 * new arena of cap bytes; returns the fixture, or NULL (nothing left allocated). */
static inline void *arena_fixture_new(void **state, size_t size, size_t arena_offset, size_t cap)
{
	char *fixture = calloc(1, size);
	struct arena *arena = fixture != NULL ? arena_create(cap) : NULL;
	if (arena == NULL) {
		free(fixture);
		return NULL;
	}
	*(struct arena **)(void *)(fixture + arena_offset) = arena;
	*state = fixture;
	return fixture;
}

static inline void arena_fixture_free(void **state, size_t arena_offset)
{
	char *fixture = *state;
	arena_destroy(*(struct arena **)(void *)(fixture + arena_offset));
	free(fixture);
}

/* The setup and teardown of a fixture that needs nothing but its arena. */
#define ARENA_FIXTURE_FUNCTIONS(cap)                                                                        \
	static int setup(void **state)                                                                           \
	{                                                                                                        \
		return arena_fixture_new(state, sizeof(struct fixture), offsetof(struct fixture, arena), (cap)) != NULL \
		               ? 0                                                                                  \
		               : -1;                                                                                \
	}                                                                                                        \
	static int teardown(void **state)                                                                        \
	{                                                                                                        \
		arena_fixture_free(state, offsetof(struct fixture, arena));                                          \
		return 0;                                                                                            \
	}

#endif
