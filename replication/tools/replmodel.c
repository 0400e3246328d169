/*
 * replmodel.c: the numeric evaluator behind replmodel.h. Time is a grid of cells of step_ms; cell
 * i stands for the instant i * step (a latency is put in the cell nearest to it, so sums of cells
 * stay unbiased). A node's result is two arrays over the grid, s (success) and f (failure), with
 * total mass 1; each distinct node is computed once (retry's copies share their child's arrays).
 *
 *   leaf     s = p_ok * latency + overhead, f = p_fast * the same, plus every answer later than the
 *            timeout and p_hang as a point mass at the timeout
 *   par      quorum(1, ...)
 *            (both: success times later by the fan-out cost of starting that many children)
 *   quorum   P(success by t) = P(at least k children succeeded by t), P(failure by t) = P(at
 *            least m-k+1 failed by t): Poisson-binomial over the independent children's CDFs
 *   seq      s = s1 + f1*s2 + f1*f2*s3 + ..., f = f1*f2*...*fk (convolutions)
 *   retry    seq of n+1 copies of its child
 *   hedge    two children: the second starts at the delay, or when the first fails before it
 *
 * Requests per case: a leaf is 1; in seq/retry the j-th child is started when the ones before it
 * failed, at the time their failures add up to; in par a child's later attempts are not started
 * once a sibling has succeeded (the executor cancels them). That is exact for every preset and for
 * par/hedge/quorum over leaves; for a non-leaf child started late inside par it gives NAN.
 * The correlated fault only adds failures (every attempt hangs), so it scales the success mass and
 * leaves the RTT over successes as it is; its cases send every request the tree has.
 */
#include "replmodel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct dist {
	double *s;
	double *f;
};

struct cache_entry {
	const struct repl_node *node;
	struct dist d;
};

struct model {
	const struct replmodel_replica *replicas;
	unsigned replica_count;
	const struct replmodel_params *params;
	size_t n;               /* cells */
	size_t timeout_cells;
	struct cache_entry cache[REPLMODEL_NODES_MAX];
	unsigned cached;
	enum replmodel_status status;
};

static const char *const status_names[] = {
	[REPLMODEL_OK] = "ok",
	[REPLMODEL_BAD_ARGUMENT] = "bad argument",
	[REPLMODEL_UNSUPPORTED] = "unsupported policy shape (hedge over more than two children)",
	[REPLMODEL_TOO_LONG] = "the policy's longest run does not fit the time grid",
	[REPLMODEL_NO_MEMORY] = "out of memory",
};

const char *replmodel_strerror(enum replmodel_status status)
{
	if ((unsigned)status >= sizeof status_names / sizeof status_names[0])
		return "invalid status";
	return status_names[status];
}

static double fanout(const struct replmodel_params *params, unsigned children)
{
	if (!params->fanout_ms || children >= params->fanout_count)
		return 0;
	return params->fanout_ms[children] > 0 ? params->fanout_ms[children] : 0;
}

static double fanout_max(const struct replmodel_params *params)
{
	double max = 0;
	for (unsigned k = 0; params->fanout_ms && k < params->fanout_count; k++)
		max = fmax(max, fanout(params, k));
	return max;
}

/* ---- the grid's length: the longest a node can run, in cells ---- */

static enum replmodel_status horizon(const struct repl_node *node, size_t timeout_cells,
                                     double step, double late, double fanout_cells, unsigned depth,
                                     double *cells)
{
	if (!node || depth > REPL_POLICY_DEPTH_MAX)
		return REPLMODEL_BAD_ARGUMENT;
	double sum = 0, max = 0, first = 0;
	for (unsigned i = 0; i < node->child_count; i++) {
		double c;
		enum replmodel_status status = horizon(node->children[i], timeout_cells, step, late, fanout_cells, depth + 1, &c);
		if (status != REPLMODEL_OK)
			return status;
		sum += c;
		max = c > max ? c : max;
		if (i == 0)
			first = c;
	}
	switch (node->kind) {
	case REPL_NODE_REPLICA:
		*cells = (double)timeout_cells;
		return REPLMODEL_OK;
	case REPL_NODE_PAR:
	case REPL_NODE_QUORUM:
		*cells = max + fanout_cells;
		return node->child_count ? REPLMODEL_OK : REPLMODEL_BAD_ARGUMENT;
	case REPL_NODE_SEQ:
		*cells = sum;
		return node->child_count ? REPLMODEL_OK : REPLMODEL_BAD_ARGUMENT;
	case REPL_NODE_RETRY:
		*cells = sum * ((double)node->parameter + 1);
		return node->child_count == 1 ? REPLMODEL_OK : REPLMODEL_BAD_ARGUMENT;
	case REPL_NODE_HEDGE: {
		if (node->child_count == 0)
			return REPLMODEL_BAD_ARGUMENT;
		if (node->child_count > 2)
			return REPLMODEL_UNSUPPORTED;
		double delay = round((node->parameter + late) / step);
		double start = delay < first ? delay : first;
		*cells = node->child_count == 1 ? first : fmax(first, start + (sum - first));
		return REPLMODEL_OK;
	}
	}
	return REPLMODEL_BAD_ARGUMENT;
}

/* ---- array helpers ---- */

static double *cells_new(struct model *m)
{
	double *a = calloc(m->n, sizeof *a);
	if (!a)
		m->status = REPLMODEL_NO_MEMORY;
	return a;
}

static void cumulate(const double *a, double *out, size_t n)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++) {
		sum += a[i];
		out[i] = sum;
	}
}

static double total(const double *a, size_t n)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += a[i];
	return sum;
}

/* out += a * b, truncated to n cells; skips zero cells of a and the zero ends of b. */
static void convolve_add(double *out, const double *a, const double *b, size_t n)
{
	size_t lo = 0, hi = n;
	while (lo < n && b[lo] == 0)
		lo++;
	while (hi > lo && b[hi - 1] == 0)
		hi--;
	if (lo == hi)
		return;
	for (size_t i = 0; i + lo < n; i++) {
		if (a[i] == 0)
			continue;
		size_t end = hi < n - i ? hi : n - i;
		for (size_t j = lo; j < end; j++)
			out[i + j] += a[i] * b[j];
	}
}

/* ---- nodes ---- */

static const struct dist *eval(struct model *m, const struct repl_node *node);

static bool leaf_fill(struct model *m, const struct repl_node *node, struct dist *d)
{
	if (node->replica >= m->replica_count)
		return false;
	const struct replmodel_replica *r = &m->replicas[node->replica];
	double step = m->params->step_ms, overhead = m->params->overhead_ms;
	double p_hang = r->p_hang, p_fast = r->p_fast;
	double p_ok = 1 - p_hang - p_fast;
	if (p_ok < 0)
		p_ok = 0;
	size_t t = m->timeout_cells;
	double below = 0;
	for (size_t i = 0; i < t; i++) {
		double hi = r->cdf(r->arg, ((double)i + 0.5) * step - overhead);
		double mass = hi - below;
		below = hi;
		if (mass <= 0)
			continue;
		d->s[i] = p_ok * mass;
		d->f[i] = p_fast * mass;
	}
	d->f[t] += (p_ok + p_fast) * (1 - below) + p_hang;
	return true;
}

/* P(at least k of the events) for independent events of probabilities p[0..m), into dp. */
static double at_least(const double *p, unsigned count, unsigned k, double *dp)
{
	dp[0] = 1;
	for (unsigned j = 1; j <= count; j++)
		dp[j] = 0;
	for (unsigned i = 0; i < count; i++) {
		for (unsigned j = i + 1; j > 0; j--)
			dp[j] = dp[j] * (1 - p[i]) + dp[j - 1] * p[i];
		dp[0] *= 1 - p[i];
	}
	double sum = 0;
	for (unsigned j = k; j <= count; j++)
		sum += dp[j];
	return sum;
}

static bool quorum_fill(struct model *m, const struct repl_node *node, unsigned k, struct dist *d)
{
	unsigned count = node->child_count;
	const struct dist *child[REPL_SET_REPLICAS_MAX * 4];
	double a[REPL_SET_REPLICAS_MAX * 4], b[REPL_SET_REPLICAS_MAX * 4];
	double cum_a[REPL_SET_REPLICAS_MAX * 4] = {0}, cum_b[REPL_SET_REPLICAS_MAX * 4] = {0};
	double dp[REPL_SET_REPLICAS_MAX * 4 + 1];
	if (count > REPL_SET_REPLICAS_MAX * 4 || k == 0 || k > count)
		return false;
	for (unsigned i = 0; i < count; i++) {
		child[i] = eval(m, node->children[i]);
		if (!child[i])
			return false;
	}
	double prev_s = 0, prev_f = 0;
	for (size_t t = 0; t < m->n; t++) {
		for (unsigned i = 0; i < count; i++) {
			cum_a[i] += child[i]->s[t];
			cum_b[i] += child[i]->f[t];
			a[i] = cum_a[i];
			b[i] = cum_b[i];
		}
		/* Successes and failures of one execution are disjoint: k + (count-k+1) > count. */
		double s = at_least(a, count, k, dp);
		double f = at_least(b, count, count - k + 1, dp);
		d->s[t] = s - prev_s;
		d->f[t] = f - prev_f;
		prev_s = s;
		prev_f = f;
	}
	size_t shift = (size_t)llround(fanout(m->params, count) / m->params->step_ms);
	if (shift > 0 && shift < m->n) {
		memmove(d->s + shift, d->s, (m->n - shift) * sizeof *d->s);
		memset(d->s, 0, shift * sizeof *d->s);
	}
	return true;
}

/* seq over children[0..count), each child given by its dist. */
static bool seq_fill(struct model *m, const struct dist *const *child, unsigned count, struct dist *d)
{
	double *acc = cells_new(m), *next = cells_new(m);
	bool ok = acc && next;
	if (!ok)
		goto out;
	acc[0] = 1;
	for (unsigned j = 0; j < count; j++) {
		convolve_add(d->s, acc, child[j]->s, m->n);
		memset(next, 0, m->n * sizeof *next);
		convolve_add(next, acc, child[j]->f, m->n);
		double *swap = acc;
		acc = next;
		next = swap;
	}
	memcpy(d->f, acc, m->n * sizeof *acc);
out:
	free(acc);
	free(next);
	return ok;
}

static bool hedge_fill(struct model *m, const struct repl_node *node, struct dist *d)
{
	const struct dist *c1 = eval(m, node->children[0]);
	if (!c1)
		return false;
	if (node->child_count == 1) {
		memcpy(d->s, c1->s, m->n * sizeof *d->s);
		memcpy(d->f, c1->f, m->n * sizeof *d->f);
		return true;
	}
	const struct dist *c2 = eval(m, node->children[1]);
	double *a1 = cells_new(m), *b1 = cells_new(m), *a2 = cells_new(m), *b2 = cells_new(m);
	double *early = cells_new(m);
	bool ok = c2 && a1 && b1 && a2 && b2 && early;
	if (!ok)
		goto out;
	size_t n = m->n;
	size_t delay = (size_t)llround((node->parameter + m->params->timer_late_ms) / m->params->step_ms);
	cumulate(c1->s, a1, n);
	cumulate(c1->f, b1, n);
	cumulate(c2->s, a2, n);
	cumulate(c2->f, b2, n);
	/* The first child answering before the delay ends it, or (failing) starts the second at once. */
	for (size_t x = 0; x < n; x++) {
		if (x <= delay) {
			d->s[x] += c1->s[x];
			early[x] = c1->f[x];
		} else {
			d->s[x] += c1->s[x] * (1 - a2[x - delay - 1]);
		}
	}
	convolve_add(d->s, early, c2->s, n);
	convolve_add(d->f, early, c2->f, n);
	if (delay < n) {
		double b1_delay = b1[delay], prev = 0;
		for (size_t t = delay; t < n; t++) {
			/* The second, started at the delay, wins while the first neither answered yet nor
			 * failed before the delay. */
			d->s[t] += c2->s[t - delay] * (1 - a1[t] - b1_delay);
			double both = (b1[t] - b1_delay) * b2[t - delay];
			d->f[t] += both - prev;
			prev = both;
		}
	}
out:
	free(a1);
	free(b1);
	free(a2);
	free(b2);
	free(early);
	return ok;
}

static const struct dist *eval(struct model *m, const struct repl_node *node)
{
	for (unsigned i = 0; i < m->cached; i++)
		if (m->cache[i].node == node)
			return &m->cache[i].d;
	if (m->status != REPLMODEL_OK)
		return NULL;
	if (m->cached == REPLMODEL_NODES_MAX) {
		m->status = REPLMODEL_BAD_ARGUMENT;
		return NULL;
	}
	struct dist d = {cells_new(m), cells_new(m)};
	bool ok = d.s && d.f;
	if (ok) {
		switch (node->kind) {
		case REPL_NODE_REPLICA:
			ok = leaf_fill(m, node, &d);
			break;
		case REPL_NODE_PAR:
			ok = quorum_fill(m, node, 1, &d);
			break;
		case REPL_NODE_QUORUM:
			ok = quorum_fill(m, node, node->parameter, &d);
			break;
		case REPL_NODE_SEQ: {
			const struct dist *child[REPL_SET_REPLICAS_MAX * 4];
			ok = node->child_count <= REPL_SET_REPLICAS_MAX * 4;
			for (unsigned i = 0; ok && i < node->child_count; i++)
				ok = (child[i] = eval(m, node->children[i])) != NULL;
			ok = ok && seq_fill(m, child, node->child_count, &d);
			break;
		}
		case REPL_NODE_RETRY: {
			const struct dist *one = eval(m, node->children[0]);
			const struct dist **copies = NULL;
			ok = one && (copies = malloc(((size_t)node->parameter + 1) * sizeof *copies));
			for (unsigned i = 0; ok && i <= node->parameter; i++)
				copies[i] = one;
			ok = ok && seq_fill(m, copies, node->parameter + 1, &d);
			free(copies);
			break;
		}
		case REPL_NODE_HEDGE:
			ok = hedge_fill(m, node, &d);
			break;
		default:
			ok = false;
		}
	}
	if (!ok) {
		free(d.s);
		free(d.f);
		if (m->status == REPLMODEL_OK)
			m->status = REPLMODEL_BAD_ARGUMENT;
		return NULL;
	}
	m->cache[m->cached] = (struct cache_entry){node, d};
	return &m->cache[m->cached++].d;
}

/* ---- requests per case ---- */

/* Expected attempts of node started at 0 while alive[t] is the chance nothing outside cancelled
 * it before t (NULL: never cancelled). */
static double attempts(struct model *m, const struct repl_node *node, const double *alive)
{
	size_t n = m->n;
	switch (node->kind) {
	case REPL_NODE_REPLICA:
		return 1;
	case REPL_NODE_SEQ:
	case REPL_NODE_RETRY: {
		unsigned count = node->kind == REPL_NODE_SEQ ? node->child_count : node->parameter + 1;
		double *acc = cells_new(m), *next = cells_new(m), sum = 0;
		if (!acc || !next) {
			free(acc);
			free(next);
			return NAN;
		}
		acc[0] = 1;
		for (unsigned j = 0; j < count && !isnan(sum); j++) {
			const struct repl_node *c = node->kind == REPL_NODE_SEQ ? node->children[j] : node->children[0];
			const struct dist *cd = eval(m, c);
			if (!cd) {
				sum = NAN;
				break;
			}
			if (alive && c->kind != REPL_NODE_REPLICA) {
				sum = NAN;
				break;
			}
			if (alive) {
				for (size_t t = 0; t < n; t++)
					sum += acc[t] * alive[t];
			} else {
				sum += total(acc, n) * attempts(m, c, NULL);
			}
			memset(next, 0, n * sizeof *next);
			convolve_add(next, acc, cd->f, n);
			double *swap = acc;
			acc = next;
			next = swap;
		}
		free(acc);
		free(next);
		return sum;
	}
	case REPL_NODE_PAR: {
		unsigned count = node->child_count;
		double *cum = cells_new(m), *w = cells_new(m), sum = 0;
		const struct dist *child[REPL_SET_REPLICAS_MAX * 4];
		if (!cum || !w || count > REPL_SET_REPLICAS_MAX * 4)
			sum = NAN;
		for (unsigned i = 0; i < count && !isnan(sum); i++)
			if (!(child[i] = eval(m, node->children[i])))
				sum = NAN;
		for (unsigned i = 0; i < count && !isnan(sum); i++) {
			if (node->children[i]->kind == REPL_NODE_REPLICA) {
				sum += 1;
				continue;
			}
			/* Alive while no sibling succeeded strictly before t. */
			for (size_t t = 0; t < n; t++)
				w[t] = alive ? alive[t] : 1;
			for (unsigned l = 0; l < count; l++) {
				if (l == i)
					continue;
				cumulate(child[l]->s, cum, n);
				for (size_t t = 1; t < n; t++)
					w[t] *= 1 - cum[t - 1];
			}
			sum += attempts(m, node->children[i], w);
		}
		free(cum);
		free(w);
		return sum;
	}
	case REPL_NODE_QUORUM:
		for (unsigned i = 0; i < node->child_count; i++)
			if (node->children[i]->kind != REPL_NODE_REPLICA)
				return NAN;
		return node->child_count;
	case REPL_NODE_HEDGE: {
		if (node->child_count == 1)
			return attempts(m, node->children[0], alive);
		if (node->children[0]->kind != REPL_NODE_REPLICA || node->children[1]->kind != REPL_NODE_REPLICA)
			return NAN;
		const struct dist *c1 = eval(m, node->children[0]);
		if (!c1)
			return NAN;
		size_t delay = (size_t)llround((node->parameter + m->params->timer_late_ms) / m->params->step_ms);
		double sum = 1, ended = 0;
		for (size_t t = 0; t < n && t <= delay; t++) {
			/* Cell `delay` straddles the delay: half of it ends before. */
			double part = t == delay ? 0.5 : 1;
			sum += part * c1->f[t] * (alive ? alive[t] : 1);
			ended += part * (c1->s[t] + c1->f[t]);
		}
		if (delay < n)
			sum += (1 - ended) * (alive ? alive[delay] : 1);
		return sum;
	}
	}
	return NAN;
}

/* Requests a case sends when every attempt hangs: all of them. */
static double attempts_all_fail(const struct repl_node *node)
{
	double sum = 0;
	for (unsigned i = 0; i < node->child_count; i++)
		sum += attempts_all_fail(node->children[i]);
	switch (node->kind) {
	case REPL_NODE_REPLICA:
		return 1;
	case REPL_NODE_RETRY:
		return sum * ((double)node->parameter + 1);
	default:
		return sum;
	}
}

enum replmodel_status replmodel_evaluate(const struct repl_node *root,
                                         const struct replmodel_replica *replicas, unsigned count,
                                         const struct replmodel_params *params,
                                         struct replmodel_result *result)
{
	if (!root || !replicas || !params || !result || !(params->step_ms > 0) ||
	    !(params->timeout_ms > 0) || !(params->correlated >= 0 && params->correlated <= 1) ||
	    !(params->timer_late_ms >= 0) || !(params->overhead_ms >= 0) ||
	    (params->fanout_count && !params->fanout_ms))
		return REPLMODEL_BAD_ARGUMENT;
	struct model *m = calloc(1, sizeof *m);
	if (!m)
		return REPLMODEL_NO_MEMORY;
	m->replicas = replicas;
	m->replica_count = count;
	m->params = params;
	m->timeout_cells = (size_t)llround((params->timeout_ms + params->timer_late_ms) / params->step_ms);
	double cells = 0;
	enum replmodel_status status = horizon(root, m->timeout_cells, params->step_ms, params->timer_late_ms, fanout_max(params) / params->step_ms + 1, 0, &cells);
	if (status == REPLMODEL_OK && cells + 2 > REPLMODEL_GRID_MAX)
		status = REPLMODEL_TOO_LONG;
	if (status != REPLMODEL_OK)
		goto out;
	m->n = (size_t)cells + 2;

	const struct dist *d = eval(m, root);
	if (!d) {
		status = m->status != REPLMODEL_OK ? m->status : REPLMODEL_BAD_ARGUMENT;
		goto out;
	}
	double mass = 0, sum = 0, sum2 = 0;
	for (size_t t = 0; t < m->n; t++) {
		double x = (double)t * params->step_ms;
		mass += d->s[t];
		sum += d->s[t] * x;
		sum2 += d->s[t] * x * x;
	}
	double q = params->correlated;
	result->success_rate = (1 - q) * mass;
	result->fail_rate = 1 - result->success_rate;
	result->rtt_mean_ms = result->rtt_std_ms = result->rtt_p99_ms = NAN;
	if (mass > 0) {
		double mean = sum / mass;
		double var = sum2 / mass - mean * mean;
		result->rtt_mean_ms = mean;
		result->rtt_std_ms = sqrt(var > 0 ? var : 0);
		double cum = 0;
		for (size_t t = 0; t < m->n; t++) {
			cum += d->s[t];
			if (cum >= 0.99 * mass) {
				result->rtt_p99_ms = (double)t * params->step_ms;
				break;
			}
		}
	}
	double independent = attempts(m, root, NULL);
	result->attempts = (1 - q) * independent + q * attempts_all_fail(root);
	status = m->status;
out:
	for (unsigned i = 0; i < m->cached; i++) {
		free(m->cache[i].d.s);
		free(m->cache[i].d.f);
	}
	free(m);
	return status;
}
