/*
 * test_slots.c: the bound on concurrent work across processes — with every slot held by other
 * processes a take is refused at once; a slot given back, or held by a process that is SIGKILLed,
 * is free again; a process that takes twice holds one slot; a resize applies to the next takes.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "slots.h"

/* A child process that takes a slot, reports whether it got it through a pipe, then holds it
 * until told to give it back (a byte on the other pipe) or killed. */
struct holder {
	pid_t pid;
	int command;  /* write a byte: give back and exit */
	char got;     /* 'y' if it took a slot, 'n' if busy */
};

static struct holder holder_start(struct slots *slots)
{
	int report[2], command[2];
	assert_int_equal(pipe(report), 0);
	assert_int_equal(pipe(command), 0);
	struct holder holder = {.pid = fork()};
	assert_true(holder.pid >= 0);
	if (holder.pid == 0) {
		char answer = slots_take(slots) == SLOTS_OK ? 'y' : 'n';
		char byte;
		if (write(report[1], &answer, 1) != 1 || read(command[0], &byte, 1) < 0)
			_exit(2);
		slots_give_back(slots);
		_exit(0);
	}
	close(report[1]);
	close(command[0]);
	assert_int_equal(read(report[0], &holder.got, 1), 1);
	close(report[0]);
	holder.command = command[1];
	return holder;
}

static void holder_release(struct holder *holder)
{
	int status;
	assert_int_equal(write(holder->command, "x", 1), 1);
	close(holder->command);
	assert_int_equal(waitpid(holder->pid, &status, 0), holder->pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void holder_kill(struct holder *holder)
{
	int status;
	assert_int_equal(kill(holder->pid, SIGKILL), 0);
	assert_int_equal(waitpid(holder->pid, &status, 0), holder->pid);
	close(holder->command);
}

static void test_all_held_elsewhere_is_busy_at_once(void **state)
{
	(void)state;
	struct slots slots;
	assert_int_equal(slots_create(&slots, 2), 0);
	struct holder first = holder_start(&slots), second = holder_start(&slots);
	assert_int_equal(first.got, 'y');
	assert_int_equal(second.got, 'y');
	assert_int_equal(slots_take(&slots), SLOTS_BUSY);
	struct holder third = holder_start(&slots);
	assert_int_equal(third.got, 'n');
	holder_release(&third);

	holder_release(&first);
	assert_int_equal(slots_take(&slots), SLOTS_OK);
	slots_give_back(&slots);
	holder_release(&second);
	slots_destroy(&slots);
}

static void test_a_killed_holder_frees_its_slot(void **state)
{
	(void)state;
	struct slots slots;
	assert_int_equal(slots_create(&slots, 1), 0);
	struct holder holder = holder_start(&slots);
	assert_int_equal(holder.got, 'y');
	assert_int_equal(slots_take(&slots), SLOTS_BUSY);
	holder_kill(&holder);
	assert_int_equal(slots_take(&slots), SLOTS_OK);
	slots_give_back(&slots);
	slots_destroy(&slots);
}

static void test_taking_twice_holds_one_slot(void **state)
{
	(void)state;
	struct slots slots;
	assert_int_equal(slots_create(&slots, 2), 0);
	assert_int_equal(slots_take(&slots), SLOTS_OK);
	assert_int_equal(slots_take(&slots), SLOTS_OK);
	/* The second slot is still free for another process. */
	struct holder other = holder_start(&slots);
	assert_int_equal(other.got, 'y');
	holder_release(&other);
	slots_give_back(&slots);
	slots_destroy(&slots);
}

static void test_resize_applies_to_the_next_takes(void **state)
{
	(void)state;
	struct slots slots;
	assert_int_equal(slots_create(&slots, 1), 0);
	struct holder first = holder_start(&slots);
	assert_int_equal(first.got, 'y');
	assert_int_equal(slots_take(&slots), SLOTS_BUSY);
	slots_resize(&slots, 2);
	assert_int_equal(slots_take(&slots), SLOTS_OK);
	slots_give_back(&slots);
	slots_resize(&slots, 0);  /* never below one */
	assert_int_equal(slots.count, 1u);
	holder_release(&first);
	slots_destroy(&slots);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_held_elsewhere_is_busy_at_once),
		cmocka_unit_test(test_a_killed_holder_frees_its_slot),
		cmocka_unit_test(test_taking_twice_holds_one_slot),
		cmocka_unit_test(test_resize_applies_to_the_next_takes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
