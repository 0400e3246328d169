/*
 * policy.c: the policy language of librepl. It reads a replica set ("name=url, name=url") and a
 * policy over it (par/seq/retry/hedge/quorum trees, the nine WS-DREAM presets, set names) into
 * one expanded, read-only tree in a single allocation, and prints that tree back in its
 * canonical form, which parses again to the same tree. Presets expand exactly as DESIGN.md lists
 * them; an operation that is not idempotent gets no node that runs copies at once. Every refusal
 * says at which byte and what was expected. It also holds the one reader and printer of durations
 * (hedge's delay here, every duration key of the app's config): digits and a unit, ms by default.
 * libc only.
 *
 * Choices the grammar leaves open: a bare word is looked up as a replica first, then as the
 * set's name, then as a preset, so any replica name round-trips; a set's name is spliced into
 * the argument list of par, seq, hedge and quorum, and refused anywhere a single node is wanted
 * (the whole policy, retry's child), because it stands for several replicas; presets take only
 * named parameters (n defaults to 1, block to half the set rounded up) and a last block shorter
 * than the others when block does not divide the set; depth counts the leaves, so a bare
 * replica is depth 1.
 */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repl.h"

/* The policy language's caps are librepl's, in repl.h. */
#define POLICY_NONE UINT_MAX
#define POLICY_NUMBER_SATURATED 1000000000UL
#define POLICY_DEFAULT_RETRIES 1UL
#define POLICY_URL_MAX (sizeof(((struct repl_replica *)0)->url) - 1)
#define POLICY_STRING(x) #x
#define POLICY_STRING_OF(x) POLICY_STRING(x)
#define POLICY_RETRY_RANGE "retry count must be 0.." POLICY_STRING_OF(REPL_RETRY_MAX)
#define POLICY_HEDGE_RANGE \
	"hedge delay must be 0.." POLICY_STRING_OF(REPL_HEDGE_DELAY_MAX_MS) " ms"
#define POLICY_LENGTH(array) (sizeof(array) / sizeof((array)[0]))

const char *repl_strerror(enum repl_status status)
{
	static const char *const text[] = {
		[REPL_OK] = "ok",
		[REPL_FAILED] = "every path failed",
		[REPL_ABSENT] = "absent on every replica asked",
		[REPL_FINAL] = "failed finally (not tried elsewhere)",
		[REPL_UNKNOWN] = "outcome unknown (the operation is not idempotent)",
		[REPL_DEADLINE] = "deadline passed",
		[REPL_BAD_POLICY] = "bad policy",
		[REPL_NOT_IDEMPOTENT] = "policy runs copies of an operation that is not idempotent",
		[REPL_BAD_ARGUMENT] = "bad argument",
		[REPL_NO_MEMORY] = "out of memory",
		[REPL_TRANSPORT] = "transport could not be set up",
	};
	if ((size_t)status >= POLICY_LENGTH(text) || text[status] == NULL)
		return "unknown error";
	return text[status];
}

static enum repl_status policy_fail(struct repl_error *error, enum repl_status status, size_t at,
                                    const char *format, ...) __attribute__((format(printf, 4, 5)));

static enum repl_status policy_fail(struct repl_error *error, enum repl_status status, size_t at,
                                    const char *format, ...)
{
	if (error == NULL)
		return status;
	error->position = at;
	int prefix = snprintf(error->message, sizeof(error->message), "at %zu: ", at);
	if (prefix < 0 || (size_t)prefix >= sizeof(error->message))
		return status;
	va_list ap;
	va_start(ap, format);
	vsnprintf(error->message + prefix, sizeof(error->message) - (size_t)prefix, format, ap);
	va_end(ap);
	return status;
}

/* ---- names ---- */

/* Words of the policy language: a replica or set called so could not be told apart from them. */
static const char *const policy_reserved[] = {"par", "seq", "retry", "hedge", "quorum", "parallel",
                                              "rb"};

static bool policy_is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool policy_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool policy_is_name_byte(char c)
{
	return policy_is_lower(c) || policy_is_digit(c) || c == '_' || c == '-';
}

static bool policy_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool policy_equals(const char *word, size_t len, const char *name)
{
	return strlen(name) == len && memcmp(word, name, len) == 0;
}

static bool policy_name_valid(const char *name, size_t len)
{
	if (len == 0 || len > REPL_NAME_MAX || !policy_is_lower(name[0]))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!policy_is_name_byte(name[i]))
			return false;
	return true;
}

static bool policy_name_reserved(const char *name, size_t len)
{
	for (size_t i = 0; i < POLICY_LENGTH(policy_reserved); i++)
		if (policy_equals(name, len, policy_reserved[i]))
			return true;
	return false;
}

/* ---- replica sets ---- */

const struct repl_replica *repl_set_find(const struct repl_set *set, const char *name)
{
	if (set == NULL || name == NULL)
		return NULL;
	for (unsigned i = 0; i < set->count && i < REPL_SET_REPLICAS_MAX; i++)
		if (strcmp(set->replicas[i].name, name) == 0)
			return &set->replicas[i];
	return NULL;
}

static unsigned policy_set_index(const struct repl_set *set, const char *name, size_t len)
{
	for (unsigned i = 0; i < set->count; i++)
		if (policy_equals(name, len, set->replicas[i].name))
			return i;
	return POLICY_NONE;
}

static size_t policy_skip_space(const char *text, size_t len, size_t pos)
{
	while (pos < len && policy_is_space(text[pos]))
		pos++;
	return pos;
}

enum repl_status repl_set_parse(struct repl_set *set, const char *set_name, const char *text,
                                struct repl_error *error)
{
	if (set == NULL || set_name == NULL || text == NULL)
		return policy_fail(error, REPL_BAD_ARGUMENT, 0, "no set, set name or text");
	size_t name_len = strnlen(set_name, REPL_NAME_MAX + 1);
	if (!policy_name_valid(set_name, name_len))
		return policy_fail(error, REPL_BAD_ARGUMENT, 0,
		                   "set name '%.*s': expected [a-z][a-z0-9_-], at most %d bytes",
		                   (int)REPL_NAME_MAX, set_name, REPL_NAME_MAX);
	if (policy_name_reserved(set_name, name_len))
		return policy_fail(error, REPL_BAD_ARGUMENT, 0, "set name '%s' is a word of the policy language",
		                   set_name);

	/* Built aside so that a refused list leaves *set as it was. */
	struct repl_set out;
	memset(&out, 0, sizeof(out));
	memcpy(out.name, set_name, name_len);
	/* The list ends at its NUL; the cursor never reads past it. */
	size_t len = strlen(text);
	size_t pos = 0;
	for (;;) {
		pos = policy_skip_space(text, len, pos);
		size_t at = pos;
		if (pos >= len || !policy_is_lower(text[pos]))
			return policy_fail(error, REPL_BAD_ARGUMENT, at, "expected a replica name");
		while (pos < len && policy_is_name_byte(text[pos]))
			pos++;
		size_t replica_len = pos - at;
		if (replica_len > REPL_NAME_MAX)
			return policy_fail(error, REPL_BAD_ARGUMENT, at, "replica name longer than %d bytes",
			                   REPL_NAME_MAX);
		const char *replica_name = text + at;
		if (policy_name_reserved(replica_name, replica_len))
			return policy_fail(error, REPL_BAD_ARGUMENT, at,
			                   "'%.*s' is a word of the policy language, not a replica name",
			                   (int)replica_len, replica_name);
		if (policy_equals(replica_name, replica_len, out.name))
			return policy_fail(error, REPL_BAD_ARGUMENT, at, "replica '%.*s' has the set's own name",
			                   (int)replica_len, replica_name);
		if (policy_set_index(&out, replica_name, replica_len) != POLICY_NONE)
			return policy_fail(error, REPL_BAD_ARGUMENT, at, "replica '%.*s' given twice",
			                   (int)replica_len, replica_name);
		if (out.count == REPL_SET_REPLICAS_MAX)
			return policy_fail(error, REPL_BAD_ARGUMENT, at, "more than %d replicas",
			                   REPL_SET_REPLICAS_MAX);
		pos = policy_skip_space(text, len, pos);
		if (pos >= len || text[pos] != '=')
			return policy_fail(error, REPL_BAD_ARGUMENT, pos, "expected '='");
		pos = policy_skip_space(text, len, pos + 1);
		size_t url_at = pos;
		while (pos < len && text[pos] > ' ' && text[pos] < 0x7f && text[pos] != ',')
			pos++;
		size_t url_len = pos - url_at;
		if (url_len == 0)
			return policy_fail(error, REPL_BAD_ARGUMENT, url_at, "expected a URL");
		if (url_len > POLICY_URL_MAX)
			return policy_fail(error, REPL_BAD_ARGUMENT, url_at, "URL longer than %zu bytes",
			                   POLICY_URL_MAX);
		if (pos < len && text[pos] != ',' && !policy_is_space(text[pos]))
			return policy_fail(error, REPL_BAD_ARGUMENT, pos, "byte 0x%02x not allowed in a URL",
			                   (unsigned)(unsigned char)text[pos]);
		struct repl_replica *replica = &out.replicas[out.count];
		memcpy(replica->name, replica_name, replica_len);
		memcpy(replica->url, text + url_at, url_len);
		replica->index = out.count++;
		pos = policy_skip_space(text, len, pos);
		if (pos >= len)
			break;
		if (text[pos] != ',')
			return policy_fail(error, REPL_BAD_ARGUMENT, pos, "expected ',' or the end of the list");
		pos++;
	}
	*set = out;
	if (error != NULL) {
		error->position = 0;
		error->message[0] = '\0';
	}
	return REPL_OK;
}

/* ---- durations ---- */

/* Longest first where one is a prefix of another is not needed: a unit is the whole run of
 * letters after the digits, compared exactly. Largest first, for the printer. */
/* Largest first. A week is read but never printed: what complaintd prints (complaintd -t, the
 * pages' policies) stays in days, as it always was. */
static const struct {
	const char *name;
	long long ms;
	bool printed;
} policy_units[] = {
	{"w", 7LL * 24 * 60 * 60 * 1000, false}, {"d", 24LL * 60 * 60 * 1000, true}, {"h", 60LL * 60 * 1000, true},
	{"m", 60LL * 1000, true},                {"s", 1000, true},                   {"ms", 1, true},
};

static bool policy_is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Reads a duration at text[0..len); base is text's offset in what error positions count. Without
 * used, the whole of text must be the duration. */
static enum repl_status policy_duration(const char *text, size_t len, size_t base, long long *ms,
                                        size_t *used, struct repl_error *error)
{
	size_t pos = 0;
	unsigned long long value = 0;
	bool overflow = false;
	if (len == 0 || !policy_is_digit(text[0]))
		return policy_fail(error, REPL_BAD_ARGUMENT, base,
		                   "expected digits, then a unit (" REPL_DURATION_UNITS ")");
	for (; pos < len && policy_is_digit(text[pos]); pos++) {
		unsigned digit = (unsigned)(text[pos] - '0');
		if (value > ((unsigned long long)LLONG_MAX - digit) / 10)
			overflow = true;
		else
			value = value * 10 + digit;
	}
	size_t unit_at = pos;
	while (pos < len && policy_is_letter(text[pos]))
		pos++;
	long long factor = unit_at == pos ? 1 : 0;
	for (size_t i = 0; i < POLICY_LENGTH(policy_units) && factor == 0; i++)
		if (policy_equals(text + unit_at, pos - unit_at, policy_units[i].name))
			factor = policy_units[i].ms;
	if (factor == 0)
		return policy_fail(error, REPL_BAD_ARGUMENT, base + unit_at,
		                   "unknown unit '%.*s' (" REPL_DURATION_UNITS ")", (int)(pos - unit_at),
		                   text + unit_at);
	if (used == NULL && pos < len)
		return policy_fail(error, REPL_BAD_ARGUMENT, base + pos,
		                   "expected a unit or the end of the duration (" REPL_DURATION_UNITS ")");
	if (overflow || value > (unsigned long long)(LLONG_MAX / factor))
		return policy_fail(error, REPL_BAD_ARGUMENT, base, "duration longer than %lld ms", LLONG_MAX);
	*ms = (long long)value * factor;
	if (used != NULL)
		*used = pos;
	if (error != NULL) {
		error->position = 0;
		error->message[0] = '\0';
	}
	return REPL_OK;
}

enum repl_status repl_duration_parse(const char *text, size_t len, long long *ms, size_t *used,
                                     struct repl_error *error)
{
	if ((text == NULL && len > 0) || ms == NULL)
		return policy_fail(error, REPL_BAD_ARGUMENT, 0, "no text or result");
	return policy_duration(text, len, 0, ms, used, error);
}

size_t repl_duration_format(long long ms, char *buf, size_t size)
{
	const char *unit = "ms";
	long long count = ms;
	for (size_t i = 0; i < POLICY_LENGTH(policy_units) && ms > 0; i++) {
		if (policy_units[i].printed && ms % policy_units[i].ms == 0) {
			unit = policy_units[i].name;
			count = ms / policy_units[i].ms;
			break;
		}
	}
	int n = snprintf(buf, buf != NULL ? size : 0, "%lld%s", count, unit);
	return n > 0 ? (size_t)n : 0;
}

/* ---- policies: the tables ---- */

struct policy_keyword {
	const char *name;
	enum repl_node_kind kind;
	const char *param;      /* the name its number may be written with: "n" in retry(n=2, a) */
	unsigned long min, max; /* bounds of that number; quorum's max is its child count */
	const char *range;      /* the refusal of a number out of bounds */
	bool concurrent;        /* runs copies at once: refused for an operation not idempotent */
	bool duration;          /* the number is a duration (20ms, 1s), kept in milliseconds */
};

static const struct policy_keyword policy_keywords[] = {
	{"par", REPL_NODE_PAR, NULL, 0, 0, NULL, true, false},
	{"seq", REPL_NODE_SEQ, NULL, 0, 0, NULL, false, false},
	{"retry", REPL_NODE_RETRY, "n", 0, REPL_RETRY_MAX, POLICY_RETRY_RANGE, false, false},
	{"hedge", REPL_NODE_HEDGE, "d", 0, REPL_HEDGE_DELAY_MAX_MS, POLICY_HEDGE_RANGE, true, true},
	{"quorum", REPL_NODE_QUORUM, "k", 1, ULONG_MAX, "quorum k must be at least 1", true, false},
};

/* The printer's names, by kind. */
static const char *const policy_kind_names[] = {
	[REPL_NODE_PAR] = "par",
	[REPL_NODE_SEQ] = "seq",
	[REPL_NODE_RETRY] = "retry",
	[REPL_NODE_HEDGE] = "hedge",
	[REPL_NODE_QUORUM] = "quorum",
};

/* How a preset cuts r1..rN into the groups its inner nodes hold. */
enum policy_groups {
	POLICY_GROUPS_ALL,     /* one group: r1..rN */
	POLICY_GROUPS_FIRST,   /* one group: r1 */
	POLICY_GROUPS_EACH,    /* N groups: ri */
	POLICY_GROUPS_BLOCKS,  /* r1..rb, rb+1..r2b, ...; the last one shorter */
	POLICY_GROUPS_COLUMNS, /* r1, r1+b, ...; r2, r2+b, ...; ... b groups */
};

#define POLICY_NO_OUTER REPL_NODE_REPLICA /* a leaf is never a preset's outer node */

/* A preset is outer(inner(group), inner(group), ...), or inner(group) alone. */
struct policy_preset {
	const char *name;
	enum repl_node_kind outer;
	enum repl_node_kind inner;
	enum policy_groups groups;
	const char *param; /* its one named parameter, or NULL */
};

static const struct policy_preset policy_presets[] = {
	{"parallel", POLICY_NO_OUTER, REPL_NODE_PAR, POLICY_GROUPS_ALL, NULL},
	{"retry", POLICY_NO_OUTER, REPL_NODE_RETRY, POLICY_GROUPS_FIRST, "n"},
	{"rb", POLICY_NO_OUTER, REPL_NODE_SEQ, POLICY_GROUPS_ALL, NULL},
	{"parallel+retry", REPL_NODE_RETRY, REPL_NODE_PAR, POLICY_GROUPS_ALL, "n"},
	{"retry+parallel", REPL_NODE_PAR, REPL_NODE_RETRY, POLICY_GROUPS_EACH, "n"},
	{"parallel+rb", REPL_NODE_SEQ, REPL_NODE_PAR, POLICY_GROUPS_BLOCKS, "block"},
	{"rb+parallel", REPL_NODE_PAR, REPL_NODE_SEQ, POLICY_GROUPS_COLUMNS, "block"},
	{"retry+rb", REPL_NODE_SEQ, REPL_NODE_RETRY, POLICY_GROUPS_EACH, "n"},
	{"rb+retry", REPL_NODE_RETRY, REPL_NODE_SEQ, POLICY_GROUPS_ALL, "n"},
};

static const struct policy_preset *policy_find_preset(const char *word, size_t len)
{
	for (size_t i = 0; i < POLICY_LENGTH(policy_presets); i++)
		if (policy_equals(word, len, policy_presets[i].name))
			return &policy_presets[i];
	return NULL;
}

static bool policy_preset_concurrent(const struct policy_preset *preset)
{
	return preset->outer == REPL_NODE_PAR || preset->inner == REPL_NODE_PAR;
}

/* ---- policies: the parser ---- */

/* A node while parsing: children are a list of indexes, since the pool moves as it grows. */
struct policy_tnode {
	enum repl_node_kind kind;
	unsigned replica;
	unsigned parameter;
	unsigned first, last, next;
	unsigned child_count;
};

struct policy_parser {
	const char *text;
	size_t len;
	size_t pos;
	const struct repl_set *set;
	bool idempotent;
	struct policy_tnode *pool; /* pool[0] holds the root as its one child */
	unsigned count, cap;
	struct repl_error *error;
};

/* The expanded tree as returned: one allocation, freed by free(&block->policy). */
struct policy_block {
	struct repl_policy policy;
	struct repl_node nodes[];
	/* then the child pointers of every node, in node order */
};

#define policy_parse_fail(p, status, at, ...) policy_fail((p)->error, status, at, __VA_ARGS__)

static void policy_skip(struct policy_parser *p)
{
	p->pos = policy_skip_space(p->text, p->len, p->pos);
}

static bool policy_peek(const struct policy_parser *p, char c)
{
	return p->pos < p->len && p->text[p->pos] == c;
}

/* A word: a letter, then letters, digits, '_', '-' and the '+' of preset names. */
static size_t policy_word(struct policy_parser *p)
{
	size_t start = p->pos;
	if (p->pos >= p->len)
		return 0;
	char c = p->text[p->pos];
	if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
		return 0;
	while (p->pos < p->len) {
		c = p->text[p->pos];
		if (!((c >= 'A' && c <= 'Z') || policy_is_name_byte(c) || c == '+'))
			break;
		p->pos++;
	}
	return p->pos - start;
}

/* Digits at the cursor, saturating: a range check then refuses any huge value. */
static enum repl_status policy_number(struct policy_parser *p, unsigned long *value)
{
	if (p->pos >= p->len || !policy_is_digit(p->text[p->pos]))
		return policy_parse_fail(p, REPL_BAD_POLICY, p->pos, "expected a number");
	unsigned long v = 0;
	while (p->pos < p->len && policy_is_digit(p->text[p->pos])) {
		v = v * 10 + (unsigned long)(p->text[p->pos] - '0');
		if (v > POLICY_NUMBER_SATURATED)
			v = POLICY_NUMBER_SATURATED + 1;
		p->pos++;
	}
	*value = v;
	return REPL_OK;
}

/* A duration at the cursor, in milliseconds (a refusal blames its byte of the policy). */
static enum repl_status policy_duration_at(struct policy_parser *p, unsigned long *value)
{
	long long ms = 0;
	size_t used = 0;
	enum repl_status status =
	    policy_duration(p->text + p->pos, p->len - p->pos, p->pos, &ms, &used, p->error);
	if (status != REPL_OK)
		return REPL_BAD_POLICY;
	p->pos += used;
	*value = (unsigned long)ms;
	return REPL_OK;
}

/* A number written "2" (when positional is allowed) or "n=2"; *named says which. A duration
 * ("20ms", "1s", bare digits in ms) when duration is set. */
static enum repl_status policy_param(struct policy_parser *p, const char *name, bool positional,
                                     bool duration, unsigned long *value, size_t *value_at,
                                     bool *named)
{
	policy_skip(p);
	*named = false;
	if (positional && p->pos < p->len && policy_is_digit(p->text[p->pos])) {
		*value_at = p->pos;
		return duration ? policy_duration_at(p, value) : policy_number(p, value);
	}
	size_t at = p->pos;
	size_t len = policy_word(p);
	if (len == 0 || !policy_equals(p->text + at, len, name)) {
		if (positional)
			return policy_parse_fail(p, REPL_BAD_POLICY, at, "expected a %s or '%s='",
			                         duration ? "duration" : "number", name);
		return policy_parse_fail(p, REPL_BAD_POLICY, at, "expected '%s='", name);
	}
	policy_skip(p);
	if (!policy_peek(p, '='))
		return policy_parse_fail(p, REPL_BAD_POLICY, p->pos, "expected '='");
	p->pos++;
	policy_skip(p);
	*value_at = p->pos;
	*named = true;
	return duration ? policy_duration_at(p, value) : policy_number(p, value);
}

/* Appends a node to parent's children; at is the byte blamed if the tree grows too big. */
static enum repl_status policy_new(struct policy_parser *p, enum repl_node_kind kind,
                                   unsigned parameter, unsigned replica, unsigned depth,
                                   size_t at, unsigned parent, unsigned *index)
{
	if (depth > REPL_POLICY_DEPTH_MAX)
		return policy_parse_fail(p, REPL_BAD_POLICY, at, "nesting deeper than %d",
		                         REPL_POLICY_DEPTH_MAX);
	if (p->count == p->cap) {
		if (p->cap > REPL_POLICY_NODES_MAX)
			return policy_parse_fail(p, REPL_BAD_POLICY, at, "policy expands to more than %d nodes",
			                         REPL_POLICY_NODES_MAX);
		unsigned cap = p->cap * 2 > REPL_POLICY_NODES_MAX + 1 ? REPL_POLICY_NODES_MAX + 1
		                                                        : p->cap * 2;
		struct policy_tnode *pool = realloc(p->pool, cap * sizeof(*pool));
		if (pool == NULL)
			return policy_parse_fail(p, REPL_NO_MEMORY, at, "out of memory");
		p->pool = pool;
		p->cap = cap;
	}
	unsigned i = p->count++;
	p->pool[i] = (struct policy_tnode){
		.kind = kind,
		.replica = replica,
		.parameter = parameter,
		.first = POLICY_NONE,
		.last = POLICY_NONE,
		.next = POLICY_NONE,
	};
	struct policy_tnode *up = &p->pool[parent];
	if (up->last == POLICY_NONE)
		up->first = i;
	else
		p->pool[up->last].next = i;
	up->last = i;
	up->child_count++;
	if (index != NULL)
		*index = i;
	return REPL_OK;
}

static enum repl_status policy_leaf(struct policy_parser *p, unsigned replica, unsigned depth,
                                    size_t at, unsigned parent)
{
	return policy_new(p, REPL_NODE_REPLICA, 0, replica, depth, at, parent, NULL);
}

/* Group g of a preset's cut, as the replicas first, first + step, ... below end. */
static void policy_group(enum policy_groups groups, unsigned replicas, unsigned block, unsigned g,
                         unsigned *first, unsigned *end, unsigned *step)
{
	*first = 0;
	*end = replicas;
	*step = 1;
	switch (groups) {
	case POLICY_GROUPS_ALL:
		break;
	case POLICY_GROUPS_FIRST:
		*end = 1;
		break;
	case POLICY_GROUPS_EACH:
		*first = g;
		*end = g + 1;
		break;
	case POLICY_GROUPS_BLOCKS:
		*first = g * block;
		*end = replicas - *first > block ? *first + block : replicas;
		break;
	case POLICY_GROUPS_COLUMNS:
		*first = g;
		*step = block;
		break;
	}
}

static unsigned policy_group_count(enum policy_groups groups, unsigned replicas, unsigned block)
{
	switch (groups) {
	case POLICY_GROUPS_EACH:
		return replicas;
	case POLICY_GROUPS_BLOCKS:
		return (replicas + block - 1) / block;
	case POLICY_GROUPS_COLUMNS:
		return block;
	case POLICY_GROUPS_ALL:
	case POLICY_GROUPS_FIRST:
		break;
	}
	return 1;
}

static enum repl_status policy_expand(struct policy_parser *p, const struct policy_preset *preset,
                                      unsigned retries, unsigned block, unsigned depth, size_t at,
                                      unsigned parent)
{
	unsigned replicas = p->set->count;
	enum repl_status status;
	unsigned outer = parent;
	if (preset->outer != POLICY_NO_OUTER) {
		unsigned parameter = preset->outer == REPL_NODE_RETRY ? retries : 0;
		status = policy_new(p, preset->outer, parameter, 0, depth, at, parent, &outer);
		if (status != REPL_OK)
			return status;
		depth++;
	}
	unsigned groups = policy_group_count(preset->groups, replicas, block);
	for (unsigned g = 0; g < groups; g++) {
		unsigned inner, first, end, step;
		unsigned parameter = preset->inner == REPL_NODE_RETRY ? retries : 0;
		status = policy_new(p, preset->inner, parameter, 0, depth, at, outer, &inner);
		if (status != REPL_OK)
			return status;
		policy_group(preset->groups, replicas, block, g, &first, &end, &step);
		for (unsigned r = first; r < end; r += step) {
			status = policy_leaf(p, r, depth + 1, at, inner);
			if (status != REPL_OK)
				return status;
		}
	}
	return REPL_OK;
}

static enum repl_status policy_refuse_concurrent(struct policy_parser *p, size_t at,
                                                 const char *word, size_t len, bool preset)
{
	if (preset)
		return policy_parse_fail(p, REPL_NOT_IDEMPOTENT, at,
		                         "preset '%.*s' runs copies at once: refused, the operation is "
		                         "not idempotent",
		                         (int)len, word);
	return policy_parse_fail(p, REPL_NOT_IDEMPOTENT, at,
	                         "%.*s runs copies at once: refused, the operation is not idempotent",
	                         (int)len, word);
}

/* A preset, after its name: bare, or with its one named parameter in parentheses. */
static enum repl_status policy_preset(struct policy_parser *p, const struct policy_preset *preset,
                                      size_t at, unsigned depth, unsigned parent)
{
	unsigned replicas = p->set->count;
	unsigned long retries = POLICY_DEFAULT_RETRIES;
	unsigned long block = (replicas + 1) / 2;
	if (!p->idempotent && policy_preset_concurrent(preset))
		return policy_refuse_concurrent(p, at, preset->name, strlen(preset->name), true);
	if (replicas == 0)
		return policy_parse_fail(p, REPL_BAD_POLICY, at, "preset '%s' over a set without replicas",
		                         preset->name);
	policy_skip(p);
	if (policy_peek(p, '(')) {
		if (preset->param == NULL)
			return policy_parse_fail(p, REPL_BAD_POLICY, p->pos,
			                         "preset '%s' takes no parameters", preset->name);
		p->pos++;
		unsigned long value;
		size_t value_at;
		bool named;
		enum repl_status status =
		    policy_param(p, preset->param, false, false, &value, &value_at, &named);
		if (status != REPL_OK)
			return status;
		policy_skip(p);
		if (!policy_peek(p, ')'))
			return policy_parse_fail(p, REPL_BAD_POLICY, p->pos, "expected ')'");
		p->pos++;
		if (strcmp(preset->param, "n") == 0) {
			if (value > REPL_RETRY_MAX)
				return policy_parse_fail(p, REPL_BAD_POLICY, value_at, "%s", POLICY_RETRY_RANGE);
			retries = value;
		} else {
			if (value < 1 || value > replicas)
				return policy_parse_fail(p, REPL_BAD_POLICY, value_at,
				                         "block must be 1..%u (the set's replicas)", replicas);
			block = value;
		}
	}
	return policy_expand(p, preset, (unsigned)retries, (unsigned)block, depth, at, parent);
}

static enum repl_status policy_node(struct policy_parser *p, unsigned depth, unsigned parent,
                                    bool splice);

/* The children of par, seq, hedge and quorum, after their '(' (and number). */
static enum repl_status policy_list(struct policy_parser *p, const char *name, unsigned depth,
                                    unsigned node)
{
	policy_skip(p);
	if (policy_peek(p, ')'))
		return policy_parse_fail(p, REPL_BAD_POLICY, p->pos, "%s needs at least one child", name);
	for (;;) {
		enum repl_status status = policy_node(p, depth, node, true);
		if (status != REPL_OK)
			return status;
		policy_skip(p);
		if (policy_peek(p, ')')) {
			/* Only a set without replicas can leave the list empty here. */
			if (p->pool[node].child_count == 0)
				return policy_parse_fail(p, REPL_BAD_POLICY, p->pos, "%s needs at least one child",
				                         name);
			p->pos++;
			return REPL_OK;
		}
		if (!policy_peek(p, ','))
			return policy_parse_fail(p, REPL_BAD_POLICY, p->pos, "expected ',' or ')'");
		p->pos++;
	}
}

/* A node keyword, after its name, at its '('. */
static enum repl_status policy_call(struct policy_parser *p, const struct policy_keyword *keyword,
                                    size_t at, unsigned depth, unsigned parent)
{
	if (!p->idempotent && keyword->concurrent)
		return policy_refuse_concurrent(p, at, keyword->name, strlen(keyword->name), false);
	p->pos++;
	unsigned long value = 0;
	size_t value_at = p->pos;
	enum repl_status status;
	if (keyword->param != NULL) {
		bool named;
		status = policy_param(p, keyword->param, true, keyword->duration, &value, &value_at, &named);
		if (status != REPL_OK)
			return status;
		policy_skip(p);
		/* retry(n=2) has the shape of the preset: a named number and no node. */
		if (keyword->kind == REPL_NODE_RETRY && named && policy_peek(p, ')')) {
			p->pos = at + strlen(keyword->name);
			return policy_preset(p, policy_find_preset(keyword->name, strlen(keyword->name)), at,
			                     depth, parent);
		}
		if (value < keyword->min || value > keyword->max)
			return policy_parse_fail(p, REPL_BAD_POLICY, value_at, "%s", keyword->range);
		if (!policy_peek(p, ','))
			return policy_parse_fail(p, REPL_BAD_POLICY, p->pos, "expected ','");
		p->pos++;
	}
	unsigned node;
	status = policy_new(p, keyword->kind, (unsigned)value, 0, depth, at, parent, &node);
	if (status != REPL_OK)
		return status;
	if (keyword->kind == REPL_NODE_RETRY) {
		status = policy_node(p, depth + 1, node, false);
		if (status != REPL_OK)
			return status;
		policy_skip(p);
		if (!policy_peek(p, ')'))
			return policy_parse_fail(p, REPL_BAD_POLICY, p->pos, "expected ')'");
		p->pos++;
		return REPL_OK;
	}
	status = policy_list(p, keyword->name, depth + 1, node);
	if (status != REPL_OK)
		return status;
	if (keyword->kind == REPL_NODE_QUORUM && value > p->pool[node].child_count)
		return policy_parse_fail(p, REPL_BAD_POLICY, value_at,
		                         "quorum k must be 1..%u (its children)", p->pool[node].child_count);
	return REPL_OK;
}

/* One node at the cursor; splice lets a set's name stand for its replicas (inside a list). */
static enum repl_status policy_node(struct policy_parser *p, unsigned depth, unsigned parent,
                                    bool splice)
{
	policy_skip(p);
	size_t at = p->pos;
	size_t len = policy_word(p);
	if (len == 0)
		return policy_parse_fail(p, REPL_BAD_POLICY, at,
		                         "expected a replica, set, node or preset name");
	if (len > REPL_NAME_MAX)
		return policy_parse_fail(p, REPL_BAD_POLICY, at, "name longer than %d bytes",
		                         REPL_NAME_MAX);
	const char *word = p->text + at;
	policy_skip(p);
	if (policy_peek(p, '(')) {
		for (size_t i = 0; i < POLICY_LENGTH(policy_keywords); i++)
			if (policy_equals(word, len, policy_keywords[i].name))
				return policy_call(p, &policy_keywords[i], at, depth, parent);
		const struct policy_preset *preset = policy_find_preset(word, len);
		if (preset != NULL)
			return policy_preset(p, preset, at, depth, parent);
		return policy_parse_fail(p, REPL_BAD_POLICY, at, "unknown node or preset '%.*s'", (int)len,
		                         word);
	}
	unsigned replica = policy_set_index(p->set, word, len);
	if (replica != POLICY_NONE)
		return policy_leaf(p, replica, depth, at, parent);
	if (policy_equals(word, len, p->set->name)) {
		if (!splice)
			return policy_parse_fail(p, REPL_BAD_POLICY, at,
			                         "set '%.*s' stands for several replicas: expected one node, "
			                         "e.g. seq(%.*s)",
			                         (int)len, word, (int)len, word);
		for (unsigned i = 0; i < p->set->count; i++) {
			enum repl_status status = policy_leaf(p, i, depth, at, parent);
			if (status != REPL_OK)
				return status;
		}
		return REPL_OK;
	}
	const struct policy_preset *preset = policy_find_preset(word, len);
	if (preset != NULL)
		return policy_preset(p, preset, at, depth, parent);
	for (size_t i = 0; i < POLICY_LENGTH(policy_keywords); i++)
		if (policy_equals(word, len, policy_keywords[i].name))
			return policy_parse_fail(p, REPL_BAD_POLICY, p->pos, "expected '(' after '%s'",
			                         policy_keywords[i].name);
	return policy_parse_fail(p, REPL_BAD_POLICY, at, "unknown replica or set '%.*s'", (int)len,
	                         word);
}

/* Copies the parse pool into the returned block: nodes in pool order, then child pointers. */
static struct repl_policy *policy_build(const struct policy_parser *p)
{
	unsigned nodes = p->count - 1;
	size_t size = offsetof(struct policy_block, nodes) + nodes * sizeof(struct repl_node) +
	              (nodes - 1) * sizeof(struct repl_node *);
	struct policy_block *block = malloc(size);
	if (block == NULL)
		return NULL;
	/* sizeof(struct repl_node) is a multiple of its alignment, which a pointer member bounds. */
	struct repl_node **slots = (struct repl_node **)(void *)(block->nodes + nodes);
	size_t used = 0;
	for (unsigned t = 1; t <= nodes; t++) {
		const struct policy_tnode *from = &p->pool[t];
		struct repl_node *to = &block->nodes[t - 1];
		to->kind = from->kind;
		to->replica = from->replica;
		to->parameter = from->parameter;
		to->child_count = from->child_count;
		to->children = from->child_count > 0 ? slots + used : NULL;
		for (unsigned c = from->first; c != POLICY_NONE; c = p->pool[c].next)
			slots[used++] = &block->nodes[c - 1];
	}
	block->policy.set = p->set;
	block->policy.root = &block->nodes[p->pool[0].first - 1];
	return &block->policy;
}

enum repl_status repl_policy_parse(const char *text, size_t len, const struct repl_set *set,
                                   bool idempotent, struct repl_policy **policy,
                                   struct repl_error *error)
{
	if (policy == NULL || set == NULL || (text == NULL && len > 0) ||
	    set->count > REPL_SET_REPLICAS_MAX)
		return policy_fail(error, REPL_BAD_ARGUMENT, 0, "no text, set or result");
	if (len > REPL_POLICY_TEXT_MAX)
		return policy_fail(error, REPL_BAD_POLICY, REPL_POLICY_TEXT_MAX,
		                   "policy longer than %d bytes", REPL_POLICY_TEXT_MAX);
	struct policy_parser p = {
		.text = text,
		.len = len,
		.set = set,
		.idempotent = idempotent,
		.error = error,
	};
	struct repl_policy *made = NULL;
	enum repl_status status;
	p.cap = 32;
	p.pool = malloc(p.cap * sizeof(*p.pool));
	if (p.pool == NULL)
		return policy_fail(error, REPL_NO_MEMORY, 0, "out of memory");
	p.pool[0] = (struct policy_tnode){.first = POLICY_NONE, .last = POLICY_NONE,
	                                   .next = POLICY_NONE};
	p.count = 1;
	status = policy_node(&p, 1, 0, false);
	if (status != REPL_OK)
		goto out;
	policy_skip(&p);
	if (p.pos < p.len) {
		status = policy_fail(error, REPL_BAD_POLICY, p.pos, "expected the end of the policy");
		goto out;
	}
	made = policy_build(&p);
	if (made == NULL) {
		status = policy_fail(error, REPL_NO_MEMORY, 0, "out of memory");
		goto out;
	}
	/* The canonical text must parse again, so it must fit the cap the parser enforces. */
	size_t printed = repl_policy_print(made, NULL, 0);
	if (printed > REPL_POLICY_TEXT_MAX) {
		status = policy_fail(error, REPL_BAD_POLICY, 0,
		                     "policy expands to %zu bytes of text, more than %d", printed,
		                     REPL_POLICY_TEXT_MAX);
		repl_policy_free(made);
		goto out;
	}
	*policy = made;
	if (error != NULL) {
		error->position = 0;
		error->message[0] = '\0';
	}
out:
	free(p.pool);
	return status;
}

void repl_policy_free(struct repl_policy *policy)
{
	free(policy);
}

/* ---- policies: the printer ---- */

struct policy_writer {
	char *buf;
	size_t size;
	size_t len; /* what the whole text needs, beyond what fits */
};

static void policy_put(struct policy_writer *w, const char *s, size_t n)
{
	if (w->len < w->size) {
		size_t room = w->size - 1 - w->len;
		memcpy(w->buf + w->len, s, n < room ? n : room);
	}
	w->len += n;
}

static void policy_put_string(struct policy_writer *w, const char *s)
{
	policy_put(w, s, strlen(s));
}

static void policy_print_node(struct policy_writer *w, const struct repl_set *set,
                              const struct repl_node *node)
{
	if (node->kind == REPL_NODE_REPLICA) {
		policy_put_string(w, node->replica < set->count ? set->replicas[node->replica].name : "?");
		return;
	}
	bool known = (size_t)node->kind < POLICY_LENGTH(policy_kind_names);
	policy_put_string(w, known ? policy_kind_names[node->kind] : "?");
	policy_put(w, "(", 1);
	if (node->kind == REPL_NODE_RETRY || node->kind == REPL_NODE_QUORUM) {
		char number[24];
		int n = snprintf(number, sizeof(number), "%u, ", node->parameter);
		policy_put(w, number, n > 0 ? (size_t)n : 0);
	} else if (node->kind == REPL_NODE_HEDGE) {
		char delay[32];
		size_t n = repl_duration_format((long long)node->parameter, delay, sizeof(delay));
		policy_put(w, delay, n < sizeof(delay) ? n : sizeof(delay) - 1);
		policy_put(w, ", ", 2);
	}
	for (unsigned i = 0; i < node->child_count; i++) {
		if (i > 0)
			policy_put(w, ", ", 2);
		policy_print_node(w, set, node->children[i]);
	}
	policy_put(w, ")", 1);
}

size_t repl_policy_print(const struct repl_policy *policy, char *buf, size_t size)
{
	struct policy_writer w = {.buf = buf, .size = buf != NULL ? size : 0};
	if (policy != NULL && policy->root != NULL && policy->set != NULL)
		policy_print_node(&w, policy->set, policy->root);
	if (w.size > 0)
		w.buf[w.len < w.size ? w.len : w.size - 1] = '\0';
	return w.len;
}
