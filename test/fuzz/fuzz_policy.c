/*
 * fuzz_policy.c: libFuzzer target for librepl's policy language (replication/policy.c).
 *
 * The input is a policy over a fixed set of six replicas, parsed both for an idempotent
 * operation and for one that is not. Besides the sanitizers' checks, it aborts if a parsed tree
 * breaks the invariants the executor relies on (replica indexes, child counts, quorum k, depth),
 * if the canonical text does not parse back to the same text, if the two parses disagree in any
 * way but the refusal of a tree that runs copies at once, or if a refusal has no position and
 * message or touched the result.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repl.h"

static struct repl_set fuzz_set;

static void fuzz_set_up(void)
{
	if (fuzz_set.count > 0)
		return;
	struct repl_error error;
	if (repl_set_parse(&fuzz_set, "s3",
	                   "us=http://127.0.0.1:9001/c, jp=http://127.0.0.1:9002/c, "
	                   "de=http://127.0.0.1:9003/c, eu-west=http://127.0.0.1:9004/c, "
	                   "ap_south=http://127.0.0.1:9005/c, r6=http://127.0.0.1:9006/c",
	                   &error) != REPL_OK)
		abort();
}

/* Checks one node and below; returns whether any of them runs copies at once. */
static bool fuzz_check_node(const struct repl_node *node, unsigned depth)
{
	if (depth > REPL_POLICY_DEPTH_MAX)
		abort();
	bool concurrent = false;
	switch (node->kind) {
	case REPL_NODE_REPLICA:
		if (node->replica >= fuzz_set.count || node->child_count != 0)
			abort();
		return false;
	case REPL_NODE_RETRY:
		if (node->child_count != 1 || node->parameter > 100)
			abort();
		break;
	case REPL_NODE_SEQ:
		break;
	case REPL_NODE_PAR:
		concurrent = true;
		break;
	case REPL_NODE_HEDGE:
		concurrent = true;
		if (node->parameter > 600000)
			abort();
		break;
	case REPL_NODE_QUORUM:
		concurrent = true;
		if (node->parameter < 1 || node->parameter > node->child_count)
			abort();
		break;
	default:
		abort();
	}
	if (node->child_count == 0 || node->children == NULL)
		abort();
	for (unsigned i = 0; i < node->child_count; i++)
		if (fuzz_check_node(node->children[i], depth + 1))
			concurrent = true;
	return concurrent;
}

static void fuzz_check_refusal(enum repl_status status, const struct repl_error *error,
                               const struct repl_policy *policy, const struct repl_policy *sentinel,
                               size_t size)
{
	char prefix[32];
	if (policy != sentinel)
		abort();
	if (status != REPL_BAD_POLICY && status != REPL_NOT_IDEMPOTENT)
		abort();
	if (error->position > size)
		abort();
	int n = snprintf(prefix, sizeof(prefix), "at %zu: ", error->position);
	if (n <= 0 || strncmp(error->message, prefix, (size_t)n) != 0 || error->message[n] == '\0')
		abort();
}

/* Parses text; on success returns the policy and its canonical text in buf. */
static enum repl_status fuzz_parse(const char *text, size_t size, bool idempotent,
                                   struct repl_policy **policy, char *buf, size_t buf_size)
{
	struct repl_policy sentinel_storage;
	struct repl_policy *sentinel = &sentinel_storage;
	struct repl_error error;
	*policy = sentinel;
	enum repl_status status = repl_policy_parse(text, size, &fuzz_set, idempotent, policy, &error);
	if (status != REPL_OK) {
		fuzz_check_refusal(status, &error, *policy, sentinel, size);
		*policy = NULL;
		return status;
	}
	if (*policy == NULL || (*policy)->set != &fuzz_set || (*policy)->root == NULL)
		abort();
	bool concurrent = fuzz_check_node((*policy)->root, 1);
	if (concurrent && !idempotent)
		abort();
	size_t need = repl_policy_print(*policy, buf, buf_size);
	if (need > REPL_POLICY_TEXT_MAX || strlen(buf) != need)
		abort();
	return status;
}

static void fuzz_round_trip(const uint8_t *data, size_t size, bool idempotent, char *first,
                            enum repl_status *status)
{
	char second[REPL_POLICY_TEXT_MAX + 1];
	struct repl_policy *policy;
	struct repl_policy *again;
	*status = fuzz_parse((const char *)data, size, idempotent, &policy, first,
	                     REPL_POLICY_TEXT_MAX + 1);
	if (*status != REPL_OK)
		return;
	if (fuzz_parse(first, strlen(first), idempotent, &again, second, sizeof(second)) != REPL_OK)
		abort();
	if (strcmp(first, second) != 0)
		abort();
	repl_policy_free(again);
	repl_policy_free(policy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char loose[REPL_POLICY_TEXT_MAX + 1];
	static char strict[REPL_POLICY_TEXT_MAX + 1];
	enum repl_status loose_status;
	enum repl_status strict_status;
	fuzz_set_up();
	fuzz_round_trip(data, size, true, loose, &loose_status);
	fuzz_round_trip(data, size, false, strict, &strict_status);
	/* Idempotence only ever refuses more, and never changes what is accepted. */
	if (strict_status == REPL_OK && (loose_status != REPL_OK || strcmp(loose, strict) != 0))
		abort();
	if (loose_status != REPL_OK && strict_status == REPL_OK)
		abort();
	if (loose_status == REPL_NOT_IDEMPOTENT)
		abort();
	return 0;
}
