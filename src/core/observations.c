/*
 * observations.c: the arithmetic of replica_observations (see observations.h). One formula both
 * ways: Chan, Golub and LeVeque's parallel merge of two parts' count, mean and M2 (as librepl's
 * stats.c merges its slots) adds a window's periods, so that its deviation is the deviation of
 * every sample in it, not an average of the periods' deviations; solved for the second part, it
 * takes a period out of two cumulative totals. Cancellation there costs about n / nb ulps: a
 * minute of a thousand attempts after a billion keeps ten significant digits. The histogram's
 * bucket edges bound a period's min and max and give a window's percentiles.
 */
#include "core/observations.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const observations_cause_titles[OBSERVATIONS_CAUSES] = {
	[OBSERVATIONS_TIMEOUT] = "timeout",
	[OBSERVATIONS_CONNECT] = "connect",
	[OBSERVATIONS_PROTOCOL] = "5xx/proto",
	[OBSERVATIONS_OTHER] = "other",
};

const char *const observations_cause_keys[OBSERVATIONS_CAUSES] = {
	[OBSERVATIONS_TIMEOUT] = "timeout",
	[OBSERVATIONS_CONNECT] = "connect",
	[OBSERVATIONS_PROTOCOL] = "protocol",
	[OBSERVATIONS_OTHER] = "other",
};

const struct observations_window observations_windows[] = {
	{"1h", "Last hour", 3600},
	{"1d", "Last day", 86400},
	{"7d", "Last week", 7 * 86400},
};
const size_t observations_window_count = sizeof(observations_windows) / sizeof(observations_windows[0]);

/* ---- one formula both ways ---- */

/* Count, mean and M2 (the sum of squared deviations from the mean, ms^2) of some successes. */
struct observations_moments {
	double n, mean_ms, m2;
};

/* Chan et al.: a and b together. mean = mean_a + delta * nb / n, M2 = M2a + M2b + delta^2 * na *
 * nb / n, delta = mean_b - mean_a. */
static struct observations_moments observations_join(struct observations_moments a, struct observations_moments b)
{
	if (a.n == 0)
		return b;
	double n = a.n + b.n, delta = b.mean_ms - a.mean_ms;
	return (struct observations_moments){n, a.mean_ms + delta * b.n / n, a.m2 + (b.m2 + delta * delta * a.n * b.n / n)};
}

/* The same solved for b: the later part of whole, whose earlier part is a (whole.n > a.n). */
static struct observations_moments observations_part(struct observations_moments whole, struct observations_moments a)
{
	struct observations_moments b = whole;
	if (a.n > 0) {
		b.n = whole.n - a.n;
		b.mean_ms = a.mean_ms + (whole.mean_ms - a.mean_ms) * whole.n / b.n;
		double delta = b.mean_ms - a.mean_ms;
		b.m2 = whole.m2 - a.m2 - delta * delta * a.n * b.n / whole.n;
	}
	/* Rounding may leave a hair below zero where the part's values were all equal. */
	if (!(b.m2 > 0.0))
		b.m2 = 0.0;
	return b;
}

/* The sample deviation (n - 1), as librepl's tables and the paper's; 0 for one success. */
static double observations_std(struct observations_moments m)
{
	return m.n > 1.0 ? sqrt(m.m2 / (m.n - 1.0)) : 0.0;
}

double observations_m2_from_std(uint64_t n, double std_ms)
{
	return n > 1 ? std_ms * std_ms * (double)(n - 1) : 0.0;
}

/* The lower edge in µs of bucket b, which holds [2^b, 2^(b+1)) (bucket 0 also 0); the upper edge
 * of bucket b is the lower edge of b + 1, up to b + 1 = OBSERVATIONS_BUCKETS. */
static uint64_t observations_bucket_low_us(unsigned bucket)
{
	return bucket == 0 ? 0 : (uint64_t)1 << bucket;
}

/* ---- the flush: a period from two cumulative totals ---- */

uint64_t observations_attempts(const struct observations_totals *t)
{
	uint64_t attempts = t->successes;
	for (unsigned c = 0; c < OBSERVATIONS_CAUSES; c++)
		attempts += t->fail[c];
	return attempts;
}

/* The period's min and max: exact when the cumulative one moved (or nothing came before), else
 * the tightest bound the period's own buckets and the cumulative value give. */
static void observations_extremes(const struct observations_totals *mark, const struct observations_totals *now,
                                  struct observations_period *period)
{
	unsigned lowest = 0, highest = 0;
	bool any = false;
	for (unsigned b = 0; b < OBSERVATIONS_BUCKETS; b++) {
		if (period->histogram[b] == 0)
			continue;
		if (!any)
			lowest = b;
		highest = b;
		any = true;
	}
	uint64_t min_us = now->min_us, max_us = now->max_us;
	period->min_exact = mark->successes == 0 || now->min_us < mark->min_us;
	period->max_exact = mark->successes == 0 || now->max_us > mark->max_us;
	if (!period->min_exact && any) {
		uint64_t low = observations_bucket_low_us(lowest);
		min_us = low > now->min_us ? low : now->min_us;
	}
	if (!period->max_exact && any && highest + 1 < OBSERVATIONS_BUCKETS) {
		uint64_t high = observations_bucket_low_us(highest + 1) - 1;
		max_us = high < now->max_us ? high : now->max_us;
	}
	period->min_ms = (double)min_us / 1000.0;
	period->max_ms = (double)max_us / 1000.0;
}

enum observations_status observations_period_between(const struct observations_totals *mark,
                                                     const struct observations_totals *now,
                                                     struct observations_period *period)
{
	memset(period, 0, sizeof(*period));
	if (now->successes < mark->successes)
		return OBSERVATIONS_BACKWARDS;
	period->successes = now->successes - mark->successes;
	for (unsigned c = 0; c < OBSERVATIONS_CAUSES; c++) {
		if (now->fail[c] < mark->fail[c])
			return OBSERVATIONS_BACKWARDS;
		period->fail[c] = now->fail[c] - mark->fail[c];
	}
	for (unsigned b = 0; b < OBSERVATIONS_BUCKETS; b++) {
		if (now->histogram[b] < mark->histogram[b])
			return OBSERVATIONS_BACKWARDS;
		period->histogram[b] = now->histogram[b] - mark->histogram[b];
	}
	period->attempts = observations_attempts(now) - observations_attempts(mark);
	if (period->attempts == 0)
		return OBSERVATIONS_EMPTY;
	if (period->successes == 0)
		return OBSERVATIONS_OK;
	struct observations_moments part = observations_part(
		(struct observations_moments){(double)now->successes, now->mean_ms, now->m2_ms2},
		(struct observations_moments){(double)mark->successes, mark->mean_ms, mark->m2_ms2});
	period->mean_ms = part.mean_ms;
	period->std_ms = observations_std(part);
	observations_extremes(mark, now, period);
	return OBSERVATIONS_OK;
}

/* ---- the tables: periods merged over a window ---- */

void observations_table_init(struct observations_table *table, struct observations_tally *space, size_t max)
{
	memset(table, 0, sizeof(*table));
	table->tallies = space;
	table->max = max < OBSERVATIONS_TALLIES_MAX ? max : OBSERVATIONS_TALLIES_MAX;
}

/* FNV-1a over the three names, each ended by a NUL. */
static uint32_t observations_hash(const char *location, const char *operation, const char *replica)
{
	const char *names[] = {location, operation, replica};
	uint32_t hash = 2166136261u;
	for (size_t n = 0; n < 3; n++) {
		for (const unsigned char *p = (const unsigned char *)names[n];; p++) {
			hash = (hash ^ *p) * 16777619u;
			if (*p == '\0')
				break;
		}
	}
	return hash;
}

/* The tally of the triple, made when new; NULL when the table is full. */
static struct observations_tally *observations_find(struct observations_table *table, const char *location,
                                                    const char *operation, const char *replica)
{
	const size_t slots = sizeof(table->index) / sizeof(table->index[0]);
	size_t slot = observations_hash(location, operation, replica) % slots;
	for (size_t probe = 0; probe < slots; probe++, slot = (slot + 1) % slots) {
		uint32_t at = table->index[slot];
		if (at == 0)
			break;
		struct observations_tally *tally = &table->tallies[at - 1];
		if (strcmp(tally->location, location) == 0 && strcmp(tally->operation, operation) == 0 &&
		    strcmp(tally->replica, replica) == 0)
			return tally;
	}
	if (table->count >= table->max) {
		table->full = true;
		return NULL;
	}
	struct observations_tally *tally = &table->tallies[table->count];
	memset(tally, 0, sizeof(*tally));
	snprintf(tally->location, sizeof(tally->location), "%s", location);
	snprintf(tally->operation, sizeof(tally->operation), "%s", operation);
	snprintf(tally->replica, sizeof(tally->replica), "%s", replica);
	table->index[slot] = (uint32_t)++table->count;
	return tally;
}

/* A minute into a tally: counts and buckets add, the moments join. */
static void observations_merge(struct observations_tally *into, const struct observations_minute *from)
{
	into->attempts += from->attempts;
	for (unsigned c = 0; c < OBSERVATIONS_CAUSES; c++)
		into->fail[c] += from->fail[c];
	for (unsigned b = 0; b < OBSERVATIONS_BUCKETS; b++)
		into->histogram[b] += from->histogram[b];
	if (from->successes == 0)
		return;
	struct observations_moments joined = observations_join(
		(struct observations_moments){(double)into->successes, into->mean_ms, into->m2},
		(struct observations_moments){(double)from->successes, from->rtt_mean_ms,
	                                      observations_m2_from_std(from->successes, from->rtt_std_ms)});
	if (into->successes == 0 || from->rtt_min_ms < into->min_ms)
		into->min_ms = from->rtt_min_ms;
	if (into->successes == 0 || from->rtt_max_ms > into->max_ms)
		into->max_ms = from->rtt_max_ms;
	into->successes += from->successes;
	into->mean_ms = joined.mean_ms;
	into->m2 = joined.m2;
}

static bool observations_name_ok(const char *name, size_t size)
{
	return name != NULL && name[0] != '\0' && strnlen(name, size) < size;
}

int observations_add(struct observations_table *table, const struct observations_minute *minute)
{
	if (!observations_name_ok(minute->location, OBSERVATIONS_LOCATION_SIZE) ||
	    !observations_name_ok(minute->operation, OBSERVATIONS_NAME_SIZE) ||
	    !observations_name_ok(minute->replica, OBSERVATIONS_NAME_SIZE))
		return -1;
	struct observations_tally *here = observations_find(table, minute->location, minute->operation, minute->replica);
	struct observations_tally *every = observations_find(table, "", minute->operation, minute->replica);
	if (here == NULL || every == NULL)
		return -1;
	observations_merge(here, minute);
	observations_merge(every, minute);
	return 0;
}

static int observations_order(const void *a, const void *b)
{
	const struct observations_tally *x = a, *y = b;
	int c = strcmp(x->operation, y->operation);
	if (c != 0)
		return c;
	bool x_every = x->location[0] == '\0', y_every = y->location[0] == '\0';
	if (x_every != y_every)
		return x_every ? 1 : -1;
	if ((c = strcmp(x->location, y->location)) != 0)
		return c;
	return strcmp(x->replica, y->replica);
}

void observations_sort(struct observations_table *table)
{
	qsort(table->tallies, table->count, sizeof(table->tallies[0]), observations_order);
	/* The index pointed at the old places: rebuild it, so that adding after sorting still works. */
	memset(table->index, 0, sizeof(table->index));
	const size_t slots = sizeof(table->index) / sizeof(table->index[0]);
	for (size_t i = 0; i < table->count; i++) {
		const struct observations_tally *t = &table->tallies[i];
		size_t slot = observations_hash(t->location, t->operation, t->replica) % slots;
		while (table->index[slot] != 0)
			slot = (slot + 1) % slots;
		table->index[slot] = (uint32_t)(i + 1);
	}
}

double observations_percentile(const uint64_t histogram[OBSERVATIONS_BUCKETS], double p)
{
	if (!(p > 0.0 && p < 100.0))
		return NAN;
	uint64_t total = 0;
	for (unsigned b = 0; b < OBSERVATIONS_BUCKETS; b++)
		total += histogram[b];
	if (total == 0)
		return NAN;
	/* Nearest rank; p * total before the division keeps 99 * 100 / 100 exactly 99. */
	double rank = ceil(p * (double)total / 100.0);
	uint64_t cumulative = 0;
	for (unsigned b = 0; b < OBSERVATIONS_BUCKETS; b++) {
		cumulative += histogram[b];
		if ((double)cumulative >= rank)
			return (double)observations_bucket_low_us(b + 1) / 1000.0;
	}
	return (double)observations_bucket_low_us(OBSERVATIONS_BUCKETS) / 1000.0;
}

void observations_figures(const struct observations_tally *tally, struct observations_figures *out)
{
	memset(out, 0, sizeof(*out));
	out->all = tally->attempts;
	for (unsigned c = 0; c < OBSERVATIONS_CAUSES; c++) {
		out->fail_by[c] = tally->fail[c];
		out->fail += tally->fail[c];
	}
	out->has_all = tally->attempts > 0;
	if (out->has_all)
		out->r_percent = 100.0 * (double)out->fail / (double)tally->attempts;
	out->has_rtt = tally->successes > 0;
	if (!out->has_rtt)
		return;
	out->avg_ms = tally->mean_ms;
	out->std_ms = observations_std((struct observations_moments){(double)tally->successes, tally->mean_ms, tally->m2});
	out->min_ms = tally->min_ms;
	out->max_ms = tally->max_ms;
	out->p50_ms = observations_percentile(tally->histogram, 50.0);
	out->p99_ms = observations_percentile(tally->histogram, 99.0);
	/* Minutes that kept their RTTs but no histogram: no percentile to show. */
	if (isnan(out->p50_ms) || isnan(out->p99_ms))
		out->p50_ms = out->p99_ms = NAN;
}

long observations_window_longest(void)
{
	long longest = 0;
	for (size_t i = 0; i < observations_window_count; i++)
		if (observations_windows[i].seconds > longest)
			longest = observations_windows[i].seconds;
	return longest;
}

const struct observations_window *observations_window_find(const char *name)
{
	for (size_t i = 0; name != NULL && i < observations_window_count; i++)
		if (strcmp(observations_windows[i].name, name) == 0)
			return &observations_windows[i];
	return NULL;
}
