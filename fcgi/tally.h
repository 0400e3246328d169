/*
 * tally.h: counters that every process of a host adds to and any of them reads, surviving the
 * processes that counted (a restarted worker's requests stay counted).
 *
 * The master makes the segment before it forks (tally_create: one anonymous shared mapping, so
 * it lasts as long as the master and needs no file); every process it forks inherits it. Each
 * process writes only its own slot of cells, claimed at its first tally_add, with plain atomic
 * loads and stores and no lock; a reader sums the slots. A slot is claimed from the free ones or
 * from a dead process's, whose counts it keeps adding to. What a cell means is the caller's: this
 * file knows only numbered 64-bit cells.
 */
#ifndef FCGI_TALLY_H
#define FCGI_TALLY_H

#include <stddef.h>
#include <stdint.h>

struct tally_segment;

struct tally {
	struct tally_segment *segment;  /* NULL until created */
	size_t cells;                   /* cells per slot */
	int mine;                       /* this process's slot, or -1 */
	int mine_pid;                   /* the pid that claimed it (a fork must claim its own) */
};

/* Master, before forking: room for `slots` processes of `cells` cells each. 0 or -1 (logged). */
int tally_create(struct tally *tally, unsigned slots, size_t cells);
/* Adds n to cell (< cells) in this process's slot; counted as dropped when no slot is free. */
void tally_add(struct tally *tally, size_t cell, uint64_t n);
/* The sum of cell over every slot ever claimed. */
uint64_t tally_sum(const struct tally *tally, size_t cell);
/* Additions that found no free slot. */
uint64_t tally_dropped(const struct tally *tally);
/* Master, at exit. */
void tally_destroy(struct tally *tally);

#endif
