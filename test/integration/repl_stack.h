/*
 * repl_stack.h: what the transport tests against a real stack (repl_http.c, repl_mysql.c,
 * repl_smtp.c) share: the stack test/integration/repl_transports.sh started, as its environment
 * names it (REPL_TEST_STACK_DIR, REPL_TEST_STACK_BASE), a librepl client and the stack's secrets.
 * Their stats go nowhere (test/repl_stats_stub.c): the cases read results, not a segment.
 */
#ifndef REPL_STACK_H
#define REPL_STACK_H

#include <stdbool.h>
#include <stddef.h>

#include "repl.h"

/* Reads the stack's port base (and, with dir, its directory) from the environment and makes a
 * client. 0, or -1 with why saying what is missing: the cases then fail saying so, as a skipped
 * replication test would hide a broken transport. */
int repl_stack_open(char *dir, size_t dir_size, long *base, struct repl_client **client, char *why,
                    size_t why_size);
/* The first value of name in the stack's secrets file (NAME=VALUE lines); false when none fits. */
bool repl_stack_secret(const char *dir, const char *name, char *out, size_t size);
/* The source tree ($srcdir, as make check sets it; else "."). */
const char *repl_stack_srcdir(void);

#endif
