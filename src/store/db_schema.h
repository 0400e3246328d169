/*
 * db_schema.h: the schema's state as the database records it: the newest migration
 * `complaintctl migrate` applied (schema_migrations, which migrate makes and writes; statements in
 * db_schema.c). Whether that is enough for this binary is store/schema.h's to say.
 */
#ifndef DB_SCHEMA_H
#define DB_SCHEMA_H

#include "store/db.h"

struct arena;

/* The newest migration recorded in schema_migrations into *version, 0 when none is (or the table
 * itself is missing: a database no migrate has run on). Read on the primary (db.primary), where
 * migrate writes, and without ever naming a missing table: asking must not fail the way the
 * statements waiting on the answer would. */
enum db_status db_schema_applied(struct db *db, struct arena *arena, unsigned *version);

#endif
