/*
 * slots.h: at most N holders at once across the processes of one host, for work so costly that
 * a few at a time must be enough (argon2id's 64 MiB hashes): a worker that finds every slot taken
 * answers "busy" at once instead of queueing, so the workers left stay free for everyone else.
 *
 * The master makes the slots before it forks (slots_create: one anonymous in-memory file); every
 * process it forks inherits them. Slot i is a POSIX record lock on byte i of that file: such locks
 * belong to the process, not to the file descriptor, so each worker's lock excludes the others
 * although they share the descriptor, and the kernel drops a process's locks when it dies — a
 * worker SIGKILLed while holding a slot frees it. A process holds at most one slot at a time.
 */
#ifndef FCGI_SLOTS_H
#define FCGI_SLOTS_H

#include <stdbool.h>

enum slots_status {
	SLOTS_OK = 0,
	SLOTS_BUSY,   /* every slot is held by another process */
	SLOTS_ERROR,  /* the lock call failed (errno logged) */
};

/* The slots of a host: a descriptor shared by the master and its children. */
struct slots {
	int fd;          /* -1 until created */
	unsigned count;  /* slots that may be held at once, >= 1 */
	int held;        /* the slot this process holds, or -1 */
};

/* Master: makes the file of the slots (count may change later with slots_resize). 0 or -1. */
int slots_create(struct slots *slots, unsigned count);
/* Master, on reload: the number of slots processes forked from now on may take. */
void slots_resize(struct slots *slots, unsigned count);
/* Takes a free slot without waiting: SLOTS_OK, or SLOTS_BUSY when all are held elsewhere. */
enum slots_status slots_take(struct slots *slots);
/* Gives back the slot this process holds (nothing if none). */
void slots_give_back(struct slots *slots);
/* Master, at exit. */
void slots_destroy(struct slots *slots);

#endif
