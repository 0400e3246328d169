/*
 * retention_sql.c: retention-sql, a test program that prints each retention purge's DELETE with its
 * parameters written in as SQL literals, after the index it must read, so that
 * test/integration/retention.sh EXPLAINs exactly what the timer sends (store/db_retention.c).
 *
 * Usage: retention-sql CUTOFF. CUTOFF is a UTC time ("2026-11-01 10:00:00.000"). Prints one line
 * per purge: the index, a tab, the statement.
 */
#include <stdio.h>
#include <string.h>

#include "store/db_retention.h"

int main(int argc, char **argv)
{
	if (argc != 2 || strchr(argv[1], '\'') != NULL) {
		fprintf(stderr, "usage: retention-sql CUTOFF\n");
		return 2;
	}
	for (int purge = 0; purge < DB_RETENTION_PURGES; purge++) {
		const char *index = NULL;
		const char *sql = db_retention_sql(purge, &index);
		const char *cutoff = strchr(sql, '?');
		const char *batch = cutoff != NULL ? strchr(cutoff + 1, '?') : NULL;
		if (batch == NULL || strchr(batch + 1, '?') != NULL) {
			fprintf(stderr, "retention-sql: %s: not two parameters\n", db_retention_what(purge));
			return 1;
		}
		printf("%s\t%.*s'%s'%.*s%u%s\n", index, (int)(cutoff - sql), sql, argv[1], (int)(batch - cutoff - 1),
		       cutoff + 1, db_retention_batch(purge), batch + 1);
	}
	return 0;
}
