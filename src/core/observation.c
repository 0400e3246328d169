/*
 * observation.c: a period of replica statistics as the difference of two cumulative totals (see
 * observation.h). The mean and M2 of the later part B of a stream A+B, given those of A and of
 * A+B: Chan et al.'s merge of A and B, mean = mean_a + (mean_b - mean_a) * nb / n and M2 = M2a +
 * M2b + (mean_b - mean_a)^2 * na * nb / n, solved for mean_b and M2b. Cancellation costs about
 * n / nb ulps: a minute of a thousand attempts after a billion keeps ten significant digits.
 */
#include "core/observation.h"

#include <math.h>
#include <string.h>

uint64_t observation_attempts(const struct observation_totals *t)
{
	uint64_t attempts = t->successes;
	for (unsigned c = 0; c < OBSERVATION_CAUSES; c++)
		attempts += t->fail[c];
	return attempts;
}

double observation_m2_from_std(uint64_t n, double std_ms)
{
	return n > 1 ? std_ms * std_ms * (double)(n - 1) : 0.0;
}

/* Bucket i holds [2^i, 2^(i+1)) microseconds; bucket 0 also holds 0; the last is open above. */
static uint64_t observation_bucket_low_us(unsigned bucket)
{
	return bucket == 0 ? 0 : (uint64_t)1 << bucket;
}

/* The period's min and max: exact when the cumulative one moved (or nothing came before), else
 * the tightest bound the period's own buckets and the cumulative value give. */
static void observation_extremes(const struct observation_totals *mark, const struct observation_totals *now,
                                 struct observation_period *period)
{
	unsigned lowest = 0, highest = 0;
	bool any = false;
	for (unsigned b = 0; b < OBSERVATION_BUCKETS; b++) {
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
		uint64_t low = observation_bucket_low_us(lowest);
		min_us = low > now->min_us ? low : now->min_us;
	}
	if (!period->max_exact && any && highest + 1 < OBSERVATION_BUCKETS) {
		uint64_t high = ((uint64_t)1 << (highest + 1)) - 1;
		max_us = high < now->max_us ? high : now->max_us;
	}
	period->min_ms = (double)min_us / 1000.0;
	period->max_ms = (double)max_us / 1000.0;
}

enum observation_status observation_period_between(const struct observation_totals *mark,
                                                   const struct observation_totals *now,
                                                   struct observation_period *period)
{
	memset(period, 0, sizeof(*period));
	if (now->successes < mark->successes)
		return OBSERVATION_BACKWARDS;
	period->successes = now->successes - mark->successes;
	for (unsigned c = 0; c < OBSERVATION_CAUSES; c++) {
		if (now->fail[c] < mark->fail[c])
			return OBSERVATION_BACKWARDS;
		period->fail[c] = now->fail[c] - mark->fail[c];
	}
	for (unsigned b = 0; b < OBSERVATION_BUCKETS; b++) {
		if (now->histogram[b] < mark->histogram[b])
			return OBSERVATION_BACKWARDS;
		period->histogram[b] = now->histogram[b] - mark->histogram[b];
	}
	period->attempts = observation_attempts(now) - observation_attempts(mark);
	if (period->attempts == 0)
		return OBSERVATION_EMPTY;
	if (period->successes == 0)
		return OBSERVATION_OK;

	double na = (double)mark->successes, n = (double)now->successes, nd = (double)period->successes;
	double mean = mark->successes == 0 ? now->mean_ms : mark->mean_ms + (now->mean_ms - mark->mean_ms) * n / nd;
	double delta = mean - mark->mean_ms;
	double m2 = mark->successes == 0 ? now->m2_ms2 : now->m2_ms2 - mark->m2_ms2 - delta * delta * na * nd / n;
	/* Rounding may leave a hair below zero where the period's values were all equal. */
	if (!(m2 > 0.0))
		m2 = 0.0;
	period->mean_ms = mean;
	period->std_ms = period->successes > 1 ? sqrt(m2 / (nd - 1.0)) : 0.0;
	observation_extremes(mark, now, period);
	return OBSERVATION_OK;
}
