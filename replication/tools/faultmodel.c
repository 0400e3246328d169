/*
 * faultmodel.c: loads WS-DREAM per-replica profiles and dataset #2 traces, fits the shifted
 * clipped lognormal latency model, samples it, and decides each request's injected fault from a
 * hash of (seed, case, replica, attempt) — the one model both replfault and replbench use, so
 * that what the benchmark expects is exactly what the injector does (see faultmodel.h).
 */
#include "faultmodel.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAULTMODEL_LINE_MAX   512   /* bytes of one CSV or trace line, newline included */
#define FAULTMODEL_FIELD_MAX  64    /* bytes of one numeric field */
#define FAULTMODEL_CSV_FIELDS 11    /* location,replica,fail_rate_pct,fail,all,avg,std,min,max,prot_avg,prot_std */

/* Stream tags keep the case, decision and latency generators of one request apart. */
#define FAULTMODEL_TAG_CASE     0x63617365ULL
#define FAULTMODEL_TAG_DECIDE   0x64656369ULL
#define FAULTMODEL_TAG_LATENCY  0x6c617465ULL

static const char *const faultmodel_status_names[] = {
	[FAULTMODEL_LOAD_OK] = "ok",
	[FAULTMODEL_E_IO] = "cannot read the file",
	[FAULTMODEL_E_SYNTAX] = "malformed line",
	[FAULTMODEL_E_RANGE] = "value out of range",
	[FAULTMODEL_E_NOTFOUND] = "not found",
	[FAULTMODEL_E_TOOMANY] = "too many entries",
	[FAULTMODEL_E_NOMEM] = "out of memory",
};

const char *faultmodel_strerror(int status)
{
	if (status < 0 || (size_t)status >= sizeof faultmodel_status_names / sizeof faultmodel_status_names[0])
		return "unknown status";
	return faultmodel_status_names[status];
}

static const char *const faultmodel_action_names[] = {
	[FAULTMODEL_OK] = "ok",
	[FAULTMODEL_HANG] = "hang",
	[FAULTMODEL_503] = "503",
	[FAULTMODEL_502] = "502",
	[FAULTMODEL_RESET] = "reset",
	[FAULTMODEL_TRUNCATE] = "truncate",
};

const char *faultmodel_action_name(enum faultmodel_action action)
{
	if ((unsigned)action >= sizeof faultmodel_action_names / sizeof faultmodel_action_names[0])
		return "?";
	return faultmodel_action_names[action];
}

__attribute__((format(printf, 5, 6)))
static int faultmodel_fail(int status, char *err, size_t err_size, const char *where, const char *fmt, ...)
{
	if (err && err_size) {
		int n = snprintf(err, err_size, "%s: ", where);
		if (n >= 0 && (size_t)n < err_size) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(err + n, err_size - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return status;
}

/* ---- generator ---- */

uint64_t faultmodel_mix(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ULL;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	return x ^ (x >> 31);
}

double faultmodel_uniform(uint64_t *state)
{
	*state += 0x9E3779B97F4A7C15ULL;
	uint64_t z = *state;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	z ^= z >> 31;
	return (double)(z >> 11) * 0x1p-53;
}

/* Chained mixing: each value goes through the mixer before the next joins, so (1, 2) and (2, 1)
 * give unrelated states. */
static uint64_t faultmodel_hash(uint64_t tag, uint64_t seed, uint64_t case_id, uint64_t replica, uint64_t attempt)
{
	uint64_t h = faultmodel_mix(tag);
	h = faultmodel_mix(h ^ seed);
	h = faultmodel_mix(h ^ case_id);
	h = faultmodel_mix(h ^ replica);
	return faultmodel_mix(h ^ attempt);
}

uint64_t faultmodel_request_state(uint64_t seed, uint64_t case_id, unsigned replica_index, unsigned attempt)
{
	return faultmodel_hash(FAULTMODEL_TAG_LATENCY, seed, case_id, replica_index, attempt);
}

/* ---- latency model ---- */

void faultmodel_fit(struct faultmodel_replica *replica)
{
	double m = replica->rtt_avg - replica->rtt_min;
	double s = replica->rtt_std;

	if (!(m > 0)) {
		replica->mu = -INFINITY;
		replica->sigma = 0;
	} else if (!(s > 0)) {
		replica->mu = log(m);
		replica->sigma = 0;
	} else {
		double var = log1p((s / m) * (s / m));
		replica->sigma = sqrt(var);
		replica->mu = log(m) - var / 2;
	}
}

static double faultmodel_clip(const struct faultmodel_replica *replica, double ms)
{
	if (ms > replica->rtt_max)
		ms = replica->rtt_max;
	if (ms < replica->rtt_min)
		ms = replica->rtt_min;
	return ms;
}

double faultmodel_sample_ms(const struct faultmodel_replica *replica, uint64_t *rng)
{
	double u1 = faultmodel_uniform(rng);
	double u2 = faultmodel_uniform(rng);
	if (replica->sigma <= 0)
		return faultmodel_clip(replica, replica->rtt_min + exp(replica->mu));
	/* Box-Muller on 1 - u1, which lies in (0, 1], so log never sees 0. */
	double z = sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * M_PI * u2);
	return faultmodel_clip(replica, replica->rtt_min + exp(replica->mu + replica->sigma * z));
}

double faultmodel_request_latency_ms(const struct faultmodel_replica *replica, uint64_t seed,
                                     uint64_t case_id, unsigned replica_index, unsigned attempt)
{
	uint64_t rng = faultmodel_request_state(seed, case_id, replica_index, attempt);
	return faultmodel_sample_ms(replica, &rng);
}

/* Standard normal CDF through erfc, accurate in both tails. */
static double faultmodel_phi(double z)
{
	return 0.5 * erfc(-z / M_SQRT2);
}

double faultmodel_cdf(const struct faultmodel_replica *replica, double t_ms)
{
	if (t_ms >= replica->rtt_max)
		return 1.0;
	if (t_ms < replica->rtt_min)
		return 0.0;
	if (replica->sigma <= 0)
		return t_ms >= faultmodel_clip(replica, replica->rtt_min + exp(replica->mu)) ? 1.0 : 0.0;
	double x = t_ms - replica->rtt_min;
	if (x <= 0)
		return 0.0;
	return faultmodel_phi((log(x) - replica->mu) / replica->sigma);
}

void faultmodel_moments(const struct faultmodel_replica *replica, double *mean_ms, double *std_ms)
{
	double mean, second;   /* of X = min(rtt - rtt_min, c), c = rtt_max - rtt_min */
	double c = replica->rtt_max - replica->rtt_min;

	if (replica->sigma <= 0) {
		double x = faultmodel_clip(replica, replica->rtt_min + exp(replica->mu)) - replica->rtt_min;
		mean = x;
		second = x * x;
	} else if (!(c > 0)) {
		mean = 0;
		second = 0;
	} else {
		/* E[min(L, c)] and E[min(L, c)^2] for L ~ LogNormal(mu, sigma):
		 * E[L^k; L < c] = exp(k mu + k^2 sigma^2 / 2) Phi((ln c - mu - k sigma^2) / sigma). */
		double mu = replica->mu, s = replica->sigma, lc = log(c);
		double tail = 1.0 - faultmodel_phi((lc - mu) / s);
		mean = exp(mu + s * s / 2) * faultmodel_phi((lc - mu - s * s) / s) + c * tail;
		second = exp(2 * mu + 2 * s * s) * faultmodel_phi((lc - mu - 2 * s * s) / s) + c * c * tail;
	}
	if (mean_ms)
		*mean_ms = replica->rtt_min + mean;
	if (std_ms) {
		double var = second - mean * mean;
		*std_ms = var > 0 ? sqrt(var) : 0;
	}
}

/* ---- fault decisions ---- */

enum faultmodel_action faultmodel_decide(const struct faultmodel_faults *faults, const struct faultmodel_replica *replica,
                                         uint64_t seed, uint64_t case_id, unsigned replica_index, unsigned attempt)
{
	uint64_t state = faultmodel_hash(FAULTMODEL_TAG_CASE, seed, case_id, 0, 0);
	if (faults->correlated > 0 && faultmodel_uniform(&state) < faults->correlated)
		return FAULTMODEL_HANG;

	const struct {
		double rate;
		enum faultmodel_action action;
	} slices[] = {
		{faults->hang, FAULTMODEL_HANG},
		{faults->http503, FAULTMODEL_503},
		{faults->http502, FAULTMODEL_502},
		{faults->reset, FAULTMODEL_RESET},
		{faults->truncate, FAULTMODEL_TRUNCATE},
		{faults->use_profile_fail_rate && replica ? replica->fail_rate : 0, FAULTMODEL_HANG},
	};
	state = faultmodel_hash(FAULTMODEL_TAG_DECIDE, seed, case_id, replica_index, attempt);
	double u = faultmodel_uniform(&state);
	double edge = 0;
	for (size_t i = 0; i < sizeof slices / sizeof slices[0]; i++) {
		if (slices[i].rate > 0)
			edge += slices[i].rate;
		if (u < edge)
			return slices[i].action;
	}
	return FAULTMODEL_OK;
}

/* ---- line reading ---- */

struct faultmodel_reader {
	FILE *f;
	const char *path;
	unsigned long line;
	char buf[FAULTMODEL_LINE_MAX];
	size_t len;
};

/* Next line into r->buf without its newline: 1 = got one, 0 = EOF, negative = error (status). */
static int faultmodel_read_line(struct faultmodel_reader *r, char *err, size_t err_size)
{
	char where[300];

	if (!fgets(r->buf, sizeof r->buf, r->f)) {
		if (ferror(r->f)) {
			snprintf(where, sizeof where, "%s:%lu", r->path, r->line + 1);
			return -faultmodel_fail(FAULTMODEL_E_IO, err, err_size, where, "read error: %s", strerror(errno));
		}
		return 0;
	}
	r->line++;
	r->len = strlen(r->buf);
	if (r->len && r->buf[r->len - 1] == '\n') {
		r->buf[--r->len] = 0;
	} else if (!feof(r->f)) {
		snprintf(where, sizeof where, "%s:%lu", r->path, r->line);
		return -faultmodel_fail(FAULTMODEL_E_SYNTAX, err, err_size, where,
		                        "line longer than %d bytes", FAULTMODEL_LINE_MAX - 2);
	}
	if (r->len && r->buf[r->len - 1] == '\r')
		r->buf[--r->len] = 0;
	if (memchr(r->buf, 0, r->len)) {
		snprintf(where, sizeof where, "%s:%lu", r->path, r->line);
		return -faultmodel_fail(FAULTMODEL_E_SYNTAX, err, err_size, where, "NUL byte in line");
	}
	return 1;
}

/* A decimal number of field [p, p+n): the whole field must parse, and be finite. */
static bool faultmodel_parse_double(const char *p, size_t n, double *out)
{
	char tmp[FAULTMODEL_FIELD_MAX];
	if (n == 0 || n >= sizeof tmp)
		return false;
	memcpy(tmp, p, n);
	tmp[n] = 0;
	/* strtod also takes hex, inf and nan: the data is plain decimal, so refuse anything else. */
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789.-+eE", tmp[i]))
			return false;
	char *end;
	errno = 0;
	double v = strtod(tmp, &end);
	if (errno || end != tmp + n || !isfinite(v))
		return false;
	*out = v;
	return true;
}

static bool faultmodel_parse_uint(const char *p, size_t n, unsigned long *out)
{
	unsigned long v = 0;
	if (n == 0 || n > 9)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	*out = v;
	return true;
}

/* ---- profile ---- */

struct faultmodel_field {
	const char *p;
	size_t n;
};

static size_t faultmodel_split(char *line, size_t len, char sep, struct faultmodel_field *fields, size_t max)
{
	size_t count = 0, start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || line[i] == sep) {
			if (count < max)
				fields[count] = (struct faultmodel_field){line + start, i - start};
			count++;
			start = i + 1;
		}
	}
	return count;
}

static bool faultmodel_field_is(const struct faultmodel_field *f, const char *s)
{
	return f->n == strlen(s) && memcmp(f->p, s, f->n) == 0;
}

/* Parses one data row into *rep; returns 0 or a status with err set. */
static int faultmodel_parse_row(const struct faultmodel_field *fields, struct faultmodel_replica *rep,
                                const char *where, char *err, size_t err_size)
{
	static const char *const names[] = {"fail_rate_pct", "rtt_avg", "rtt_std", "rtt_min", "rtt_max"};
	static const size_t columns[] = {2, 5, 6, 7, 8};
	double v[5];

	if (fields[1].n == 0 || fields[1].n >= sizeof rep->name)
		return faultmodel_fail(FAULTMODEL_E_SYNTAX, err, err_size, where,
		                       "replica name empty or longer than %zu bytes", sizeof rep->name - 1);
	for (size_t i = 0; i < 5; i++) {
		const struct faultmodel_field *f = &fields[columns[i]];
		if (!faultmodel_parse_double(f->p, f->n, &v[i]))
			return faultmodel_fail(FAULTMODEL_E_SYNTAX, err, err_size, where,
			                       "%s is not a number: \"%.*s\"", names[i], (int)(f->n > 40 ? 40 : f->n), f->p);
		if (v[i] < 0)
			return faultmodel_fail(FAULTMODEL_E_RANGE, err, err_size, where, "%s is negative", names[i]);
	}
	if (v[0] > 100)
		return faultmodel_fail(FAULTMODEL_E_RANGE, err, err_size, where, "fail_rate_pct over 100");
	if (v[3] > v[4])
		return faultmodel_fail(FAULTMODEL_E_RANGE, err, err_size, where, "rtt_min over rtt_max");
	memset(rep, 0, sizeof *rep);
	memcpy(rep->name, fields[1].p, fields[1].n);
	rep->fail_rate = v[0] / 100.0;
	rep->rtt_avg = v[1];
	rep->rtt_std = v[2];
	rep->rtt_min = v[3];
	rep->rtt_max = v[4];
	faultmodel_fit(rep);
	return 0;
}

int faultmodel_load_profile(const char *csv_path, const char *location, const char *const *names,
                            size_t count, struct faultmodel_replica *out, size_t out_max, size_t *loaded,
                            char *err, size_t err_size)
{
	struct faultmodel_reader r = {.path = csv_path};
	bool *found = NULL;
	size_t n = 0, want = names ? count : 0;
	char where[300];
	int rc = 0;

	*loaded = 0;
	if (names && count > out_max) {
		snprintf(where, sizeof where, "%s:0", csv_path);
		return faultmodel_fail(FAULTMODEL_E_TOOMANY, err, err_size, where,
		                       "%zu replicas asked for, room for %zu", count, out_max);
	}
	if (want) {
		found = calloc(want, sizeof *found);
		if (!found) {
			snprintf(where, sizeof where, "%s:0", csv_path);
			return faultmodel_fail(FAULTMODEL_E_NOMEM, err, err_size, where, "out of memory");
		}
	}
	r.f = fopen(csv_path, "r");
	if (!r.f) {
		snprintf(where, sizeof where, "%s:0", csv_path);
		rc = faultmodel_fail(FAULTMODEL_E_IO, err, err_size, where, "%s", strerror(errno));
		goto out;
	}
	for (;;) {
		int got = faultmodel_read_line(&r, err, err_size);
		if (got < 0) {
			rc = -got;
			goto out;
		}
		if (got == 0)
			break;
		if (r.len == 0 || r.buf[0] == '#')
			continue;
		struct faultmodel_field fields[FAULTMODEL_CSV_FIELDS];
		size_t nf = faultmodel_split(r.buf, r.len, ',', fields, FAULTMODEL_CSV_FIELDS);
		snprintf(where, sizeof where, "%s:%lu", csv_path, r.line);
		if (nf != FAULTMODEL_CSV_FIELDS) {
			rc = faultmodel_fail(FAULTMODEL_E_SYNTAX, err, err_size, where,
			                     "%zu fields, expected %d", nf, FAULTMODEL_CSV_FIELDS);
			goto out;
		}
		if (faultmodel_field_is(&fields[0], "location"))
			continue;
		struct faultmodel_replica rep;
		/* Every row is checked, not only the location's: a broken file is reported wherever it
		 * breaks, so a typo cannot hide behind the location asked for. */
		rc = faultmodel_parse_row(fields, &rep, where, err, err_size);
		if (rc)
			goto out;
		if (!faultmodel_field_is(&fields[0], location))
			continue;
		if (!names) {
			if (n == out_max) {
				rc = faultmodel_fail(FAULTMODEL_E_TOOMANY, err, err_size, where,
				                     "more than %zu replicas for %s", out_max, location);
				goto out;
			}
			out[n++] = rep;
			continue;
		}
		for (size_t i = 0; i < want; i++) {
			if (!found[i] && strcmp(names[i], rep.name) == 0) {
				out[i] = rep;
				found[i] = true;
			}
		}
	}
	snprintf(where, sizeof where, "%s:0", csv_path);
	if (names) {
		for (size_t i = 0; i < want; i++) {
			if (!found[i]) {
				rc = faultmodel_fail(FAULTMODEL_E_NOTFOUND, err, err_size, where,
				                     "no replica %s at location %s", names[i], location);
				goto out;
			}
		}
		n = want;
	} else if (n == 0) {
		rc = faultmodel_fail(FAULTMODEL_E_NOTFOUND, err, err_size, where, "no rows for location %s", location);
		goto out;
	}
	*loaded = n;
out:
	if (r.f)
		fclose(r.f);
	free(found);
	return rc;
}

/* ---- trace ---- */

struct faultmodel_trace_record {
	unsigned long slice;
	double ms;
};

static int faultmodel_trace_record_cmp(const void *a, const void *b)
{
	const struct faultmodel_trace_record *x = a, *y = b;
	return (x->slice > y->slice) - (x->slice < y->slice);
}

void faultmodel_trace_free(struct faultmodel_trace *trace)
{
	for (size_t i = 0; i < FAULTMODEL_TRACE_MAX_SERVICES; i++) {
		free(trace->ms[i]);
		trace->ms[i] = NULL;
		trace->count[i] = 0;
	}
	trace->services = 0;
}

int faultmodel_load_trace(const char *path, unsigned user, struct faultmodel_trace *trace,
                          char *err, size_t err_size)
{
	struct faultmodel_reader r = {.path = path};
	struct faultmodel_trace_record *rec[FAULTMODEL_TRACE_MAX_SERVICES] = {0};
	unsigned long rec_line[FAULTMODEL_TRACE_MAX_SERVICES] = {0};
	char where[300];
	int rc = 0;

	memset(trace, 0, sizeof *trace);
	r.f = fopen(path, "r");
	if (!r.f) {
		snprintf(where, sizeof where, "%s:0", path);
		return faultmodel_fail(FAULTMODEL_E_IO, err, err_size, where, "%s", strerror(errno));
	}
	for (;;) {
		int got = faultmodel_read_line(&r, err, err_size);
		if (got < 0) {
			rc = -got;
			goto out;
		}
		if (got == 0)
			break;
		/* Tokens separated by runs of spaces or tabs. */
		struct faultmodel_field tok[5];
		size_t nt = 0;
		for (size_t i = 0; i < r.len;) {
			while (i < r.len && (r.buf[i] == ' ' || r.buf[i] == '\t'))
				i++;
			if (i == r.len)
				break;
			size_t start = i;
			while (i < r.len && r.buf[i] != ' ' && r.buf[i] != '\t')
				i++;
			if (nt < 5)
				tok[nt] = (struct faultmodel_field){r.buf + start, i - start};
			nt++;
		}
		if (nt == 0 || tok[0].p[0] == '#')
			continue;
		snprintf(where, sizeof where, "%s:%lu", path, r.line);
		unsigned long u, service, slice;
		double seconds;
		if (nt != 4) {
			rc = faultmodel_fail(FAULTMODEL_E_SYNTAX, err, err_size, where,
			                     "%zu fields, expected 4 (user service slice seconds)", nt);
			goto out;
		}
		if (!faultmodel_parse_uint(tok[0].p, tok[0].n, &u) || !faultmodel_parse_uint(tok[1].p, tok[1].n, &service) ||
		    !faultmodel_parse_uint(tok[2].p, tok[2].n, &slice) || !faultmodel_parse_double(tok[3].p, tok[3].n, &seconds)) {
			rc = faultmodel_fail(FAULTMODEL_E_SYNTAX, err, err_size, where, "not \"user service slice seconds\"");
			goto out;
		}
		if (u != user)
			continue;
		if (service >= FAULTMODEL_TRACE_MAX_SERVICES) {
			rc = faultmodel_fail(FAULTMODEL_E_TOOMANY, err, err_size, where,
			                     "service %lu, at most %d kept", service, FAULTMODEL_TRACE_MAX_SERVICES - 1);
			goto out;
		}
		if (trace->count[service] == FAULTMODEL_TRACE_MAX_SLICES) {
			rc = faultmodel_fail(FAULTMODEL_E_TOOMANY, err, err_size, where,
			                     "more than %d records for service %lu", FAULTMODEL_TRACE_MAX_SLICES, service);
			goto out;
		}
		if (!rec[service]) {
			rec[service] = calloc(FAULTMODEL_TRACE_MAX_SLICES, sizeof *rec[service]);
			if (!rec[service]) {
				rc = faultmodel_fail(FAULTMODEL_E_NOMEM, err, err_size, where, "out of memory");
				goto out;
			}
		}
		double ms = (seconds < 0 || seconds >= FAULTMODEL_TRACE_HANG_S) ? -1.0 : seconds * 1000.0;
		rec[service][trace->count[service]++] = (struct faultmodel_trace_record){slice, ms};
		rec_line[service] = r.line;
		if (service + 1 > trace->services)
			trace->services = service + 1;
	}
	for (size_t s = 0; s < trace->services; s++) {
		size_t n = trace->count[s];
		if (!n)
			continue;
		qsort(rec[s], n, sizeof *rec[s], faultmodel_trace_record_cmp);
		for (size_t i = 1; i < n; i++) {
			if (rec[s][i].slice == rec[s][i - 1].slice) {
				snprintf(where, sizeof where, "%s:%lu", path, rec_line[s]);
				rc = faultmodel_fail(FAULTMODEL_E_SYNTAX, err, err_size, where,
				                     "service %zu has slice %lu twice", s, rec[s][i].slice);
				goto out;
			}
		}
		trace->ms[s] = malloc(n * sizeof *trace->ms[s]);
		if (!trace->ms[s]) {
			snprintf(where, sizeof where, "%s:0", path);
			rc = faultmodel_fail(FAULTMODEL_E_NOMEM, err, err_size, where, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			trace->ms[s][i] = rec[s][i].ms;
	}
	if (trace->services == 0) {
		snprintf(where, sizeof where, "%s:0", path);
		rc = faultmodel_fail(FAULTMODEL_E_NOTFOUND, err, err_size, where, "no records for user %u", user);
		goto out;
	}
out:
	for (size_t s = 0; s < FAULTMODEL_TRACE_MAX_SERVICES; s++)
		free(rec[s]);
	fclose(r.f);
	if (rc)
		faultmodel_trace_free(trace);
	return rc;
}

double faultmodel_trace_ms(const struct faultmodel_trace *trace, unsigned replica_index,
                           uint64_t case_id, unsigned attempt)
{
	if (replica_index >= trace->services || trace->count[replica_index] == 0)
		return -1.0;
	size_t n = trace->count[replica_index];
	return trace->ms[replica_index][(case_id % n + attempt % n) % n];
}
