/*
 * recent.h: answers a process shows again for a few seconds instead of asking the database for
 * each page (the admin queue's counts per status, its agents and categories): a fixed table of
 * entries, each a key's text, a copy of the answer's bytes, when it was read, and the newest write
 * the reader is known to have seen. Each process has its own table (a worker's answers are its
 * own), so nothing is shared or locked; no I/O: the caller gives the clocks and judges the writes.
 */
#ifndef RECENT_H
#define RECENT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define RECENT_KEY_MAX 1024          /* bytes of a key, with its NUL */
#define RECENT_SEEN_MAX 256          /* bytes of what the reader had seen (a GTID list), with its NUL */
#define RECENT_VALUE_MAX (256u << 10) /* bytes of one answer (a queue page of 50 rows: tens of kB) */

struct recent_entry {
	char key[RECENT_KEY_MAX];
	void *value;                     /* malloc'd copy of the answer */
	size_t len;
	int64_t at_ms;                   /* when it was read, on the caller's monotonic clock */
	time_t at;                       /* the same, as wall-clock time (what a page shows) */
	char seen[RECENT_SEEN_MAX];      /* the newest write its reader had seen ("": none known) */
	uint64_t serial;                 /* this answer's number in its table, never given twice (from 1):
	                                  * what was made from it can say from which answer */
	uint64_t hash;                   /* the key's FNV-1a: most keys are told apart without a strcmp */
};

struct recent;

/* A table of slots entries; NULL when out of memory. */
struct recent *recent_new(size_t slots);
void recent_free(struct recent *recent);

/* The entry of key read at most max_age_ms before now_ms, or NULL (none, or older). */
const struct recent_entry *recent_find(const struct recent *recent, const char *key, int64_t now_ms,
                                       int64_t max_age_ms);

/* Stores a copy of value under key, replacing key's entry or, in a full table, the one read
 * longest ago: the new entry, or NULL (key, seen or value too long, out of memory: nothing stored). */
const struct recent_entry *recent_store(struct recent *recent, const char *key, const void *value, size_t len, int64_t now_ms, time_t at,
                 const char *seen);

#endif
