/*
 * repl_stats_stub.c: librepl's stats hook for the test programs that run it without a stats
 * segment (the transport tests against a stack, the overhead bench): it records nothing, so
 * stats.c and its shared memory stay out of them.
 */
#include <stdint.h>

#include "repl.h"

void repl_stats_record(struct repl_stats *stats, const char *operation, const char *replica,
                       enum repl_cause cause, uint64_t rtt_us)
{
	(void)stats;
	(void)operation;
	(void)replica;
	(void)cause;
	(void)rtt_us;
}
