/*
 * queue_sql.c: queue-sql, a test program that prints the admin queue's statement for a query
 * string, its parameters written in as SQL literals, so that test/integration/admin_queue.sh runs
 * ANALYZE FORMAT=JSON on exactly what the page sends (store/db_queue.c builds both).
 *
 * Usage: queue-sql [--counts] QUERY [CATEGORY_ID]. QUERY is the page's query string (what follows
 * "/admin?"); CATEGORY_ID is the id of its category's code (the page reads it from the database).
 * Prints the page's statement of 50 rows (--counts: the counts' statement), or "NONE" when the
 * filter matches nothing without asking; exits 2 with the page's sentence for a bad query.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "core/queue.h"
#include "fields.h"
#include "store/db_queue.h"
#include "urlencoded.h"

int main(int argc, char **argv)
{
	bool counts = argc > 1 && strcmp(argv[1], "--counts") == 0;
	int first = counts ? 2 : 1;
	if (argc - first < 1 || argc - first > 2) {
		fprintf(stderr, "usage: queue-sql [--counts] QUERY [CATEGORY_ID]\n");
		return 2;
	}
	struct arena *arena = arena_create(16u << 20);
	struct fields query = {0};
	struct queue_filter filter;
	struct db_queue_sql sql;
	char message[FIELDS_MESSAGE_MAX] = "";
	int result = 2;
	if (arena == NULL || urlencoded_parse(arena, argv[first], strlen(argv[first]), &query, message) != FIELDS_OK ||
	    queue_parse(arena, &query, &filter, message, sizeof(message)) != 0) {
		fprintf(stderr, "queue-sql: %s\n", message);
		goto out;
	}
	if (argc - first == 2)
		filter.category_id = strtoll(argv[first + 1], NULL, 10);
	int built = counts ? db_queue_counts_sql(arena, &filter, &sql) : db_queue_page_sql(arena, &filter, 50, &sql);
	if (built < 0) {
		fprintf(stderr, "queue-sql: the statement could not be built\n");
		result = 1;
		goto out;
	}
	printf("%s\n", built > 0 || sql.sql == NULL || sql.sql[0] == '\0' ? "NONE" : db_queue_sql_inline(arena, &sql));
	result = 0;
out:
	arena_destroy(arena);
	return result;
}
