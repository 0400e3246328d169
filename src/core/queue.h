/*
 * queue.h: the admin's queue as a value: what its URL asks for (statuses, category, agent or
 * none, overdue, reopened, filing dates, words, the sort, and the keyset position of a page),
 * parsed and checked without I/O, and written back into a URL. The store turns a filter into its
 * statement (store/db_queue.c); the page and the CSV export read the same filter.
 */
#ifndef QUEUE_H
#define QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;
struct fields;

enum queue_sort {
	QUEUE_SORT_DUE = 0,     /* due date, soonest first */
	QUEUE_SORT_FILED,       /* filing date, newest first */
	QUEUE_SORT_CHANGED,     /* last change, most recent first */
	QUEUE_SORTS,
};

/* Which way from the keyset position: the next page, or the previous one. */
enum queue_way { QUEUE_FIRST = 0, QUEUE_AFTER, QUEUE_BEFORE };

#define QUEUE_WORDS_MAX 8           /* words of a search */
#define QUEUE_WORD_BYTES_MAX 64     /* bytes of one word */
#define QUEUE_TIME_SIZE 24          /* "YYYY-MM-DD HH:MM:SS.mmm" */
#define QUEUE_DATE_SIZE 11          /* "YYYY-MM-DD" */

struct queue_filter {
	unsigned statuses;              /* bits 1 << enum workflow_state; 0: every status */
	const char *category;           /* a category's code; NULL: any */
	int64_t category_id;            /* set by the caller from the code; 0: any */
	int64_t agent_id;               /* 0: any */
	bool unassigned;                /* no agent */
	bool overdue;                   /* past its due date and still open (submitted, assigned, in progress) */
	bool reopened;                  /* reopened by its resident, not yet acted on */
	char from[QUEUE_DATE_SIZE];     /* filed on or after this day (UTC); "": no bound */
	char to[QUEUE_DATE_SIZE];       /* filed on or before this day (UTC); "": no bound */
	const char *words[QUEUE_WORDS_MAX];  /* every one in the description or the address */
	size_t word_count;
	const char *text;               /* the search as typed (the form shows it again) */
	enum queue_sort sort;
	enum queue_way way;
	char key[QUEUE_TIME_SIZE];      /* the keyset position: the sort column's value ... */
	int64_t key_id;                 /* ... and the id that breaks ties */
	int64_t as_of;                  /* a keyset link's: when the page it came from was read (ms since
	                                 * 1970); a kept page read before it is not shown. 0: none */
};

/* The statuses overdue allows. */
#define QUEUE_OPEN_STATUSES 0x7u

/* Parses the query's fields into filter (strings in arena). 0, or -1 with a sentence for the 400
 * in message. */
int queue_parse(struct arena *arena, const struct fields *query, struct queue_filter *filter, char *message,
                size_t message_size);

/* The statuses the filter reads: its own, narrowed by overdue (open ones). */
unsigned queue_statuses(const struct queue_filter *filter);

/* The filter as a query string without the keyset position ("" for none), URL-encoded (arena). */
const char *queue_query(struct arena *arena, const struct queue_filter *filter);

/* path?query with the keyset position way from (key, id) (QUEUE_FIRST: none) and, with it, the
 * filter's as_of when set, URL-encoded (arena). */
const char *queue_link(struct arena *arena, const char *path, const struct queue_filter *filter, enum queue_way way,
                       const char *key, int64_t id);

const char *queue_sort_name(enum queue_sort sort);

#endif
