/*
 * nearby_sql.c: nearby-sql, a test program that prints the filing form's nearby lookup for a
 * category and a place, its parameters written in as SQL literals, so that
 * test/integration/workload.sh runs ANALYZE FORMAT=JSON on exactly what the page sends
 * (store/db_nearby.c builds both).
 *
 * Usage: nearby-sql CATEGORY LAT LON. Exits 2 for a place that is not a number.
 */
#include <stdio.h>

#include "arena.h"
#include "store/db_nearby.h"

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: nearby-sql CATEGORY LAT LON\n");
		return 2;
	}
	struct arena *arena = arena_create(1u << 20);
	const char *sql = arena != NULL ? db_nearby_sql_inline(arena, argv[1], argv[2], argv[3]) : NULL;
	if (sql == NULL) {
		fprintf(stderr, "nearby-sql: no statement for that category and place\n");
		arena_destroy(arena);
		return 2;
	}
	printf("%s\n", sql);
	arena_destroy(arena);
	return 0;
}
