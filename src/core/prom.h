/*
 * prom.h: the Prometheus text exposition format 0.0.4, written into a request's arena.
 *
 * A family is a HELP and a TYPE line, then its samples: `name{label="value",...} number`. Label
 * values are escaped as the format asks (backslash, double quote and line feed as \\, \" and
 * \n), HELP text likewise (backslash and line feed); names are the caller's constants. A
 * histogram takes per-bucket counts and writes the cumulative `_bucket` lines with their `le`
 * edges in seconds, `+Inf`, `_sum` and `_count`.
 */
#ifndef CORE_PROM_H
#define CORE_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct arena;

#define PROM_LABELS_MAX 4   /* label pairs of one sample, besides a histogram's le */

struct prom_label {
	const char *name;
	const char *value;
};

struct prom_text {
	struct arena *arena;
	char *data;          /* NUL-terminated */
	size_t len;
	size_t cap;
	bool failed;         /* the arena was full: the text is cut and must not be sent */
};

void prom_init(struct prom_text *text, struct arena *arena);
/* # HELP and # TYPE (counter, gauge, histogram). */
void prom_family(struct prom_text *text, const char *name, const char *type, const char *help);
/* One sample of labels[0..count). */
void prom_sample(struct prom_text *text, const char *name, const struct prom_label *labels, size_t count,
                 double value);
/* A histogram of labels: counts[i] observations in (edges[i-1], edges[i]] (seconds), over[0]
 * observations above the last edge, sum their total in seconds. */
void prom_histogram(struct prom_text *text, const char *name, const struct prom_label *labels, size_t count,
                    const double *edges, const uint64_t *counts, size_t buckets, uint64_t over, double sum);
/* A label value escaped into out (out_size >= 2 * strlen(value) + 1 holds any): its length. */
size_t prom_escape_label(const char *value, char *out, size_t out_size);

#endif
