/*
 * prom.c: the Prometheus text format (see prom.h).
 *
 * Numbers: integers below 2^53 as integers (counters are counts), others with %.15g, which
 * prints the decimal edges of librepl's buckets (2e-06, not 1.9999999999999999e-06); infinities
 * as +Inf and -Inf, as the format spells them.
 */
#include "core/prom.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"

void prom_init(struct prom_text *text, struct arena *arena)
{
	memset(text, 0, sizeof(*text));
	text->arena = arena;
}

static void prom_append(struct prom_text *text, const char *bytes, size_t len)
{
	if (text->failed)
		return;
	if (text->len + len + 1 > text->cap) {
		size_t cap = text->cap == 0 ? 16384 : text->cap;
		while (text->len + len + 1 > cap)
			cap *= 2;
		char *grown = arena_grow(text->arena, text->data, text->cap, cap);
		if (grown == NULL) {
			text->failed = true;
			return;
		}
		text->data = grown;
		text->cap = cap;
	}
	memcpy(text->data + text->len, bytes, len);
	text->len += len;
	text->data[text->len] = '\0';
}

static void prom_append_str(struct prom_text *text, const char *s)
{
	prom_append(text, s, strlen(s));
}

size_t prom_escape_label(const char *value, char *out, size_t out_size)
{
	size_t n = 0;
	for (const char *p = value; *p != '\0' && n + 3 <= out_size; p++) {
		if (*p == '\\' || *p == '"') {
			out[n++] = '\\';
			out[n++] = *p;
		} else if (*p == '\n') {
			out[n++] = '\\';
			out[n++] = 'n';
		} else {
			out[n++] = *p;
		}
	}
	if (out_size > 0)
		out[n] = '\0';
	return n;
}

/* A HELP text: backslash and line feed escaped (quotes stay). */
static void prom_append_help(struct prom_text *text, const char *help)
{
	for (const char *p = help; *p != '\0'; p++) {
		if (*p == '\\')
			prom_append_str(text, "\\\\");
		else if (*p == '\n')
			prom_append_str(text, "\\n");
		else
			prom_append(text, p, 1);
	}
}

static void prom_number(char *out, size_t size, double value)
{
	if (isinf(value))
		snprintf(out, size, "%s", value > 0 ? "+Inf" : "-Inf");
	else if (isnan(value))
		snprintf(out, size, "NaN");
	else if (value == floor(value) && fabs(value) < 9007199254740992.0)
		snprintf(out, size, "%.0f", value);
	else
		snprintf(out, size, "%.15g", value);
}

void prom_family(struct prom_text *text, const char *name, const char *type, const char *help)
{
	prom_append_str(text, "# HELP ");
	prom_append_str(text, name);
	prom_append_str(text, " ");
	prom_append_help(text, help);
	prom_append_str(text, "\n# TYPE ");
	prom_append_str(text, name);
	prom_append_str(text, " ");
	prom_append_str(text, type);
	prom_append_str(text, "\n");
}

static void prom_line(struct prom_text *text, const char *name, const char *suffix, const struct prom_label *labels,
                      size_t count, const char *le, double value)
{
	char number[64];
	prom_append_str(text, name);
	prom_append_str(text, suffix);
	if (count > 0 || le != NULL) {
		prom_append_str(text, "{");
		for (size_t i = 0; i < count; i++) {
			char escaped[512];
			prom_append_str(text, i > 0 ? "," : "");
			prom_append_str(text, labels[i].name);
			prom_append_str(text, "=\"");
			prom_append(text, escaped, prom_escape_label(labels[i].value, escaped, sizeof(escaped)));
			prom_append_str(text, "\"");
		}
		if (le != NULL) {
			prom_append_str(text, count > 0 ? ",le=\"" : "le=\"");
			prom_append_str(text, le);
			prom_append_str(text, "\"");
		}
		prom_append_str(text, "}");
	}
	prom_number(number, sizeof(number), value);
	prom_append_str(text, " ");
	prom_append_str(text, number);
	prom_append_str(text, "\n");
}

void prom_sample(struct prom_text *text, const char *name, const struct prom_label *labels, size_t count,
                 double value)
{
	prom_line(text, name, "", labels, count, NULL, value);
}

void prom_histogram(struct prom_text *text, const char *name, const struct prom_label *labels, size_t count,
                    const double *edges, const uint64_t *counts, size_t buckets, uint64_t over, double sum)
{
	uint64_t cumulative = 0;
	char le[64];
	for (size_t i = 0; i < buckets; i++) {
		cumulative += counts[i];
		prom_number(le, sizeof(le), edges[i]);
		prom_line(text, name, "_bucket", labels, count, le, (double)cumulative);
	}
	cumulative += over;
	prom_line(text, name, "_bucket", labels, count, "+Inf", (double)cumulative);
	prom_line(text, name, "_sum", labels, count, NULL, sum);
	prom_line(text, name, "_count", labels, count, NULL, (double)cumulative);
}
