/*
 * test_arena.c: the per-request pool holds its cap to the byte, hands out aligned memory that
 * never overlaps, runs cleanup hooks newest first on reset and destroy, and stays usable across
 * the thousands of resets a worker does.
 */
#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arena_fixture.h"
#include "arena.h"

#define TEST_BLOCK (64u * 1024)  /* arena.c's block size: allocations around it take other paths */

struct fixture {
	struct arena *arena;
	int order[16];  /* which hooks ran, in order */
	size_t ran;
};

struct hook {
	struct fixture *f;
	int id;
};

ARENA_FIXTURE_FUNCTIONS(16u << 20)

static void hook_record(void *data)
{
	struct hook *hook = data;
	if (hook->f->ran < sizeof(hook->f->order) / sizeof(hook->f->order[0]))
		hook->f->order[hook->f->ran] = hook->id;
	hook->f->ran++;
}

static void hook_free(void *data)
{
	free(data);
}

static void test_cap_exact_and_one_over(void **state)
{
	(void)state;
	struct arena *arena = arena_create(4096);
	assert_non_null(arena);
	assert_int_equal(arena_cap(arena), 4096);
	unsigned char *all = arena_alloc(arena, 4096);
	assert_non_null(all);
	memset(all, 0xaa, 4096);
	assert_int_equal(arena_used(arena), 4096);
	assert_null(arena_alloc(arena, 1));
	/* A refusal does not use up anything. */
	assert_int_equal(arena_used(arena), 4096);
	assert_non_null(arena_alloc(arena, 0));

	arena_reset(arena);
	assert_int_equal(arena_used(arena), 0);
	assert_non_null(arena_alloc(arena, 4000));
	assert_null(arena_alloc(arena, 97));
	assert_non_null(arena_alloc(arena, 96));
	arena_destroy(arena);

	/* One allocation of cap + 1 bytes is refused outright, even in an empty arena. */
	arena = arena_create(TEST_BLOCK * 4);
	assert_non_null(arena);
	assert_null(arena_alloc(arena, TEST_BLOCK * 4 + 1));
	assert_non_null(arena_alloc(arena, TEST_BLOCK * 4));
	arena_destroy(arena);
}

static void test_alignment(void **state)
{
	struct fixture *f = *state;
	for (size_t size = 0; size < 100; size++) {
		void *p = arena_alloc(f->arena, size);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
	}
	void *big = arena_alloc(f->arena, 3 * TEST_BLOCK + 1);
	assert_non_null(big);
	assert_int_equal((uintptr_t)big % alignof(max_align_t), 0);
	char *s = arena_strndup(f->arena, "abc", 1);
	assert_string_equal(s, "a");
	assert_int_equal((uintptr_t)s % alignof(max_align_t), 0);
}

static void test_allocations_never_overlap(void **state)
{
	struct fixture *f = *state;
	/* Small, block-sized and bigger-than-a-block allocations, interleaved: each is filled with
	 * its own byte and checked at the end (ASan also catches a block that is too short). */
	static const size_t sizes[] = {1, 40000, 7, TEST_BLOCK, 33000, 200000, 16, TEST_BLOCK / 2 + 1, 3, 50000};
	unsigned char *ptrs[sizeof(sizes) / sizeof(sizes[0])];
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ptrs[i] = arena_alloc(f->arena, sizes[i]);
		assert_non_null(ptrs[i]);
		memset(ptrs[i], (int)i + 1, sizes[i]);
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (size_t j = 0; j < sizes[i]; j++)
			if (ptrs[i][j] != i + 1)
				fail_msg("allocation %zu (%zu bytes) was overwritten at byte %zu", i, sizes[i], j);
}

static void test_big_allocation_keeps_small_space(void **state)
{
	struct fixture *f = *state;
	char *small = arena_alloc(f->arena, 100);
	assert_non_null(small);
	char *big = arena_alloc(f->arena, 5u << 20);
	assert_non_null(big);
	memset(big, 'b', 5u << 20);
	/* The next small allocation still comes from the block the first one did. */
	char *next = arena_alloc(f->arena, 100);
	assert_non_null(next);
	assert_true(next > small && next < small + TEST_BLOCK);
	assert_true(arena_used(f->arena) >= (5u << 20) + 200);
}

/* A worker keeps one block between requests: after a request with a big upload it must not hold
 * on to that upload's memory. The first allocation after a reset comes from the block the arena
 * was created with.
 * A big allocation slotted behind the first block must not be what reset keeps, or the worker
 * holds an upload's megabytes until it exits. */
static void test_reset_keeps_the_first_block(void **state)
{
	struct fixture *f = *state;
	char *first = arena_alloc(f->arena, 16);
	assert_non_null(first);
	arena_reset(f->arena);
	assert_ptr_equal(arena_alloc(f->arena, 16), first);

	/* A big one-off allocation while the first block still has room. */
	assert_non_null(arena_alloc(f->arena, 100));
	assert_non_null(arena_alloc(f->arena, 8u << 20));
	arena_reset(f->arena);
	assert_ptr_equal(arena_alloc(f->arena, 16), first);

	/* And when the first block is full before the big one. */
	assert_non_null(arena_alloc(f->arena, TEST_BLOCK - 64));
	assert_non_null(arena_alloc(f->arena, 8u << 20));
	arena_reset(f->arena);
	assert_ptr_equal(arena_alloc(f->arena, 16), first);
}

static void test_cleanups_lifo_on_reset_and_destroy(void **state)
{
	struct fixture *f = *state;
	struct hook hooks[4] = {{f, 1}, {f, 2}, {f, 3}, {f, 4}};
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(arena_cleanup_add(f->arena, hook_record, &hooks[i]), 0);
	assert_int_equal(f->ran, 0);
	arena_reset(f->arena);
	assert_int_equal(f->ran, 3);
	assert_int_equal(f->order[0], 3);
	assert_int_equal(f->order[1], 2);
	assert_int_equal(f->order[2], 1);

	/* A reset runs each hook once: the next reset has none left. */
	arena_reset(f->arena);
	assert_int_equal(f->ran, 3);

	struct arena *arena = arena_create(1024);
	assert_non_null(arena);
	f->ran = 0;
	assert_int_equal(arena_cleanup_add(arena, hook_record, &hooks[0]), 0);
	assert_int_equal(arena_cleanup_add(arena, hook_record, &hooks[3]), 0);
	arena_destroy(arena);
	assert_int_equal(f->ran, 2);
	assert_int_equal(f->order[0], 4);
	assert_int_equal(f->order[1], 1);
	arena_destroy(NULL);
	arena_reset(NULL);
}

static void test_cleanups_do_not_count_against_cap(void **state)
{
	(void)state;
	/* An arena whose cap is all used still takes hooks: the json-c object of an error page must
	 * be freed even when the request ran the arena dry. Malloc'd data freed by a hook shows in
	 * the leak checker if a hook is lost. */
	struct arena *arena = arena_create(64);
	assert_non_null(arena);
	assert_non_null(arena_alloc(arena, 64));
	for (int i = 0; i < 5000; i++) {
		void *data = malloc(8);
		assert_non_null(data);
		assert_int_equal(arena_cleanup_add(arena, hook_free, data), 0);
	}
	assert_int_equal(arena_used(arena), 64);
	arena_destroy(arena);
}

static void test_many_reset_cycles(void **state)
{
	struct fixture *f = *state;
	for (int cycle = 0; cycle < 2000; cycle++) {
		size_t size = (size_t)(cycle % 7) * 20000 + 1;
		char *p = arena_alloc(f->arena, size);
		assert_non_null(p);
		memset(p, 'x', size);
		void *data = malloc(32);
		assert_non_null(data);
		assert_int_equal(arena_cleanup_add(f->arena, hook_free, data), 0);
		char *s = arena_strndup(f->arena, "request", 7);
		assert_string_equal(s, "request");
		assert_true(arena_used(f->arena) >= size);
		arena_reset(f->arena);
		assert_int_equal(arena_used(f->arena), 0);
	}
}

static void test_grow_copies(void **state)
{
	struct fixture *f = *state;
	char *p = arena_alloc(f->arena, 10);
	assert_non_null(p);
	memcpy(p, "0123456789", 10);
	char *q = arena_grow(f->arena, p, 10, 200000);
	assert_non_null(q);
	assert_memory_equal(q, "0123456789", 10);
	memset(q + 10, 'z', 200000 - 10);
	/* Shrinking or keeping the size hands back the same pointer. */
	assert_ptr_equal(arena_grow(f->arena, q, 200000, 5), q);
	assert_ptr_equal(arena_grow(f->arena, q, 10, 10), q);
	/* Growing from nothing. */
	char *r = arena_grow(f->arena, NULL, 0, 32);
	assert_non_null(r);
	/* Over the cap: NULL, and the old data is still there. */
	struct arena *small = arena_create(256);
	assert_non_null(small);
	char *s = arena_alloc(small, 128);
	assert_non_null(s);
	memset(s, 's', 128);
	assert_null(arena_grow(small, s, 128, 256));
	assert_int_equal(s[127], 's');
	arena_destroy(small);
}

static void test_calloc_zeroes_and_refuses_overflow(void **state)
{
	struct fixture *f = *state;
	unsigned char *p = arena_alloc(f->arena, 256);
	assert_non_null(p);
	memset(p, 0xff, 256);
	arena_reset(f->arena);
	/* Reused memory still comes back zeroed. */
	unsigned char *z = arena_calloc(f->arena, 32, 8);
	assert_non_null(z);
	for (size_t i = 0; i < 256; i++)
		assert_int_equal(z[i], 0);
	assert_null(arena_calloc(f->arena, SIZE_MAX / 2 + 1, 2));
	assert_null(arena_calloc(f->arena, 2, SIZE_MAX / 2 + 1));
	assert_null(arena_calloc(f->arena, SIZE_MAX, SIZE_MAX));
	assert_non_null(arena_calloc(f->arena, 0, SIZE_MAX));
	/* Sizes that would wrap when rounded up to the alignment. */
	assert_null(arena_alloc(f->arena, SIZE_MAX));
	assert_null(arena_alloc(f->arena, SIZE_MAX - 3));
	assert_null(arena_strndup(f->arena, "x", SIZE_MAX));
	assert_int_equal(arena_used(f->arena), 256);
}

static void test_strndup_keeps_nuls(void **state)
{
	struct fixture *f = *state;
	char *s = arena_strndup(f->arena, "a\0b", 3);
	assert_non_null(s);
	assert_memory_equal(s, "a\0b\0", 4);
	char *empty = arena_strndup(f->arena, NULL, 0);
	assert_non_null(empty);
	assert_string_equal(empty, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cap_exact_and_one_over),
		cmocka_unit_test_setup_teardown(test_alignment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allocations_never_overlap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_allocation_keeps_small_space, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_keeps_the_first_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cleanups_lifo_on_reset_and_destroy, setup, teardown),
		cmocka_unit_test(test_cleanups_do_not_count_against_cap),
		cmocka_unit_test_setup_teardown(test_many_reset_cycles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_grow_copies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_calloc_zeroes_and_refuses_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_strndup_keeps_nuls, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
