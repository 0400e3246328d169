/*
 * observations.c: the replica tables' arithmetic (see observations.h): minutes merged by Chan,
 * Golub and LeVeque's parallel formula, as librepl's stats.c merges its slots, so that a window's
 * deviation is the deviation of every sample in it, not an average of the minutes' deviations;
 * percentiles from the merged histogram; the windows and "--since" as UTC times.
 */
#include "core/observations.h"

#include <ctype.h>
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

/* M2 = M2a + M2b + delta^2 * na * nb / n: the deviation of the union from the parts'. */
static void observations_merge(struct observations_tally *into, const struct observations_minute *from)
{
	into->attempts += from->attempts;
	for (unsigned c = 0; c < OBSERVATIONS_CAUSES; c++)
		into->fail[c] += from->fail[c];
	for (unsigned b = 0; b < OBSERVATIONS_BUCKETS; b++)
		into->histogram[b] += from->histogram[b];
	if (from->successes == 0)
		return;
	double nb = (double)from->successes;
	/* A minute keeps the sample deviation (n - 1); its own M2 is std^2 (n - 1). */
	double m2b = from->successes > 1 ? from->rtt_std_ms * from->rtt_std_ms * (nb - 1.0) : 0.0;
	if (into->successes == 0) {
		into->successes = from->successes;
		into->mean_ms = from->rtt_mean_ms;
		into->m2 = m2b;
		into->min_ms = from->rtt_min_ms;
		into->max_ms = from->rtt_max_ms;
		return;
	}
	double na = (double)into->successes, n = na + nb;
	double delta = from->rtt_mean_ms - into->mean_ms;
	into->mean_ms += delta * nb / n;
	into->m2 += m2b + delta * delta * na * nb / n;
	into->successes += from->successes;
	if (from->rtt_min_ms < into->min_ms)
		into->min_ms = from->rtt_min_ms;
	if (from->rtt_max_ms > into->max_ms)
		into->max_ms = from->rtt_max_ms;
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
			return ldexp(1.0, (int)b + 1) / 1000.0;
	}
	return ldexp(1.0, OBSERVATIONS_BUCKETS) / 1000.0;
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
	/* The sample deviation (n - 1), as librepl's tables and the paper's. */
	out->std_ms = tally->successes > 1 ? sqrt(tally->m2 / (double)(tally->successes - 1)) : 0.0;
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

/* "90m", "1h", "7d", "2w": a whole number and a unit; the seconds, or -1. */
static long observations_duration(const char *text)
{
	static const struct {
		char unit;
		long seconds;
	} units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 7 * 86400}};
	size_t digits = strspn(text, "0123456789");
	if (digits == 0 || digits > 6 || text[digits] == '\0' || text[digits + 1] != '\0')
		return -1;
	long amount = strtol(text, NULL, 10);
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (text[digits] == units[i].unit)
			return amount > 0 ? amount * units[i].seconds : -1;
	return -1;
}

/* A UTC time in one of the shapes observations.h names; -1 when it is none. */
static time_t observations_utc(const char *text)
{
	static const char *const shapes[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M",
	                                     "%Y-%m-%d %H:%M", "%Y-%m-%d"};
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		struct tm tm = {0};
		const char *end = strptime(text, shapes[i], &tm);
		if (end == NULL || (end[0] != '\0' && !(end[0] == 'Z' && end[1] == '\0')))
			continue;
		/* strptime takes "2026-02-31"; timegm would move it on: refuse what is no date. */
		struct tm check = tm;
		time_t t = timegm(&check);
		if (t == (time_t)-1 || check.tm_mday != tm.tm_mday || check.tm_mon != tm.tm_mon)
			return -1;
		return t;
	}
	return -1;
}

const char *observations_since_parse(const char *text, time_t now, time_t *since)
{
	if (text == NULL || text[0] == '\0')
		return "--since needs a value: a duration such as 1h, 1d or 7d, or a UTC time such as 2026-12-05 10:00.";
	if (isdigit((unsigned char)text[0]) && strchr(text, '-') == NULL) {
		long seconds = observations_duration(text);
		if (seconds < 0)
			return "--since takes a duration as a whole number and a unit (s, m, h, d or w), such as 1h, 1d or 7d.";
		*since = now - (time_t)seconds;
		return NULL;
	}
	time_t t = observations_utc(text);
	if (t == (time_t)-1)
		return "--since takes a duration such as 1h, 1d or 7d, or a UTC time as YYYY-MM-DD, YYYY-MM-DD HH:MM or "
		       "YYYY-MM-DDTHH:MM:SSZ.";
	if (t > now)
		return "--since is in the future: there is nothing to show yet.";
	*since = t;
	return NULL;
}

void observations_time_text(time_t t, char out[OBSERVATIONS_TIME_SIZE])
{
	struct tm tm;
	if (gmtime_r(&t, &tm) == NULL || strftime(out, OBSERVATIONS_TIME_SIZE, "%Y-%m-%d %H:%M:%S.000", &tm) == 0)
		snprintf(out, OBSERVATIONS_TIME_SIZE, "1970-01-01 00:00:00.000");
}
