/*
 * metrics.c: /metrics for operators' scrapers, in the Prometheus text format 0.0.4.
 *
 * What it reports, each read when scraped:
 *   - per (operation, replica), from librepl's stats segment: attempts, outcomes by class
 *     (success, or the cause of a failure), the latency of successes as a histogram whose
 *     buckets are librepl's log2 microsecond buckets turned into cumulative `le` edges in seconds;
 *   - per route of the table (its pattern, or "unmatched": never a raw path, whose series would
 *     be unbounded) and status: requests and a latency histogram, from a tally segment the master
 *     made before forking, in which every worker counts in a slot of its own and a restarted
 *     worker's slot keeps its counts;
 *   - the runtime's worker and child restarts, reloads (taken and refused), the configuration
 *     generation and the TCP peers refused at accept, from the master's shared counters;
 *   - the outbox: messages waiting and failed ones, by one COUNT over the status index.
 * Only [ops] metrics_allow addresses get an answer; any other gets the same 404 page as an
 * address with no page, so the route cannot be told from a missing one.
 */
#include "web/metrics.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "arena.h"
#include "cidr.h"
#include "core/prom.h"
#include "repl.h"
#include "request.h"
#include "response.h"
#include "runtime.h"
#include "store/db.h"
#include "store/db_outbox.h"
#include "tally.h"
#include "web/call.h"
#include "web/render.h"
#include "web/routes.h"

/* Slots of the request tally: two full generations of the largest worker count (a reload's
 * new workers count while the old ones finish); a restarted worker takes a dead one's slot. */
#define METRICS_SLOTS 256u

/* The statuses counted by name; any other is "other". */
static const int metrics_statuses[] = {200, 201, 204, 301, 302, 303, 304, 400, 401, 403, 404, 405,
                                       409, 410, 413, 415, 422, 429, 500, 502, 503, 504};
#define METRICS_STATUS_COUNT (sizeof(metrics_statuses) / sizeof(metrics_statuses[0]) + 1)

/* Request latency buckets, seconds: a page's 5 ms to a slow export's 10 s. */
static const double metrics_edges[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define METRICS_EDGE_COUNT (sizeof(metrics_edges) / sizeof(metrics_edges[0]))

/* The cells of one (route, status): its count, its microseconds, its buckets (not cumulative). */
enum { METRICS_CELL_COUNT = 0, METRICS_CELL_SUM_US, METRICS_CELL_BUCKET0 };
#define METRICS_CELLS (METRICS_CELL_BUCKET0 + METRICS_EDGE_COUNT)

/* Unmatched requests, by method: the table's two and everything else. */
static const char *const metrics_unmatched_methods[] = {"GET", "POST", "other"};
#define METRICS_UNMATCHED_COUNT (sizeof(metrics_unmatched_methods) / sizeof(metrics_unmatched_methods[0]))

static size_t metrics_row_count(void)
{
	return routes_table_count + METRICS_UNMATCHED_COUNT;
}

static size_t metrics_cell(size_t row, size_t status, size_t cell)
{
	return (row * METRICS_STATUS_COUNT + status) * METRICS_CELLS + cell;
}

int metrics_create(struct tally *requests)
{
	return tally_create(requests, METRICS_SLOTS, metrics_row_count() * METRICS_STATUS_COUNT * METRICS_CELLS);
}

static size_t metrics_status_index(int status)
{
	for (size_t i = 0; i + 1 < METRICS_STATUS_COUNT; i++)
		if (metrics_statuses[i] == status)
			return i;
	return METRICS_STATUS_COUNT - 1;
}

static void metrics_status_name(size_t index, char *out, size_t size)
{
	if (index + 1 < METRICS_STATUS_COUNT)
		snprintf(out, size, "%d", metrics_statuses[index]);
	else
		snprintf(out, size, "other");
}

void metrics_count_request(struct app *app, const struct routes_entry *route, const char *method, int status,
                           uint64_t elapsed_us)
{
	size_t row;
	if (route != NULL) {
		row = (size_t)(route - routes_table);
	} else {
		size_t unmatched = METRICS_UNMATCHED_COUNT - 1;
		if (method != NULL && (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0))
			unmatched = 0;
		else if (method != NULL && strcmp(method, "POST") == 0)
			unmatched = 1;
		row = routes_table_count + unmatched;
	}
	size_t s = metrics_status_index(status);
	tally_add(&app->requests, metrics_cell(row, s, METRICS_CELL_COUNT), 1);
	tally_add(&app->requests, metrics_cell(row, s, METRICS_CELL_SUM_US), elapsed_us);
	for (size_t b = 0; b < METRICS_EDGE_COUNT; b++)
		if ((double)elapsed_us <= metrics_edges[b] * 1e6) {
			tally_add(&app->requests, metrics_cell(row, s, METRICS_CELL_BUCKET0 + b), 1);
			break;
		}
}

/* The labels of a (route, status) row. */
static size_t metrics_route_labels(size_t row, size_t status, char *status_name, size_t status_size,
                                   struct prom_label *labels)
{
	bool matched = row < routes_table_count;
	metrics_status_name(status, status_name, status_size);
	labels[0] = (struct prom_label){"method", matched ? routes_table[row].method
	                                                  : metrics_unmatched_methods[row - routes_table_count]};
	labels[1] = (struct prom_label){"route", matched ? routes_table[row].pattern : "unmatched"};
	labels[2] = (struct prom_label){"status", status_name};
	return 3;
}

static void metrics_requests(struct prom_text *text, struct app *app, struct arena *arena)
{
	size_t cells = metrics_row_count() * METRICS_STATUS_COUNT * METRICS_CELLS;
	uint64_t *sums = arena_calloc(arena, cells, sizeof(*sums));
	struct prom_label labels[PROM_LABELS_MAX];
	char status_name[16];
	if (sums == NULL) {
		text->failed = true;
		return;
	}
	for (size_t i = 0; i < cells; i++)
		sums[i] = tally_sum(&app->requests, i);
	prom_family(text, "complaintd_http_requests_total", "counter",
	            "Requests answered, by route of the route table (unmatched: none) and status, over all workers.");
	for (size_t r = 0; r < metrics_row_count(); r++)
		for (size_t s = 0; s < METRICS_STATUS_COUNT; s++) {
			uint64_t count = sums[metrics_cell(r, s, METRICS_CELL_COUNT)];
			if (count > 0)
				prom_sample(text, "complaintd_http_requests_total", labels,
				            metrics_route_labels(r, s, status_name, sizeof(status_name), labels), (double)count);
		}
	prom_family(text, "complaintd_http_request_duration_seconds", "histogram",
	            "Time from a parsed request to its answer, before the answer is written out.");
	for (size_t r = 0; r < metrics_row_count(); r++)
		for (size_t s = 0; s < METRICS_STATUS_COUNT; s++) {
			uint64_t count = sums[metrics_cell(r, s, METRICS_CELL_COUNT)];
			uint64_t buckets[METRICS_EDGE_COUNT], in_buckets = 0;
			if (count == 0)
				continue;
			for (size_t b = 0; b < METRICS_EDGE_COUNT; b++) {
				buckets[b] = sums[metrics_cell(r, s, METRICS_CELL_BUCKET0 + b)];
				in_buckets += buckets[b];
			}
			size_t n = metrics_route_labels(r, s, status_name, sizeof(status_name), labels);
			prom_histogram(text, "complaintd_http_request_duration_seconds", labels, n, metrics_edges, buckets,
			               METRICS_EDGE_COUNT, count > in_buckets ? count - in_buckets : 0,
			               (double)sums[metrics_cell(r, s, METRICS_CELL_SUM_US)] / 1e6);
		}
	prom_family(text, "complaintd_http_requests_uncounted_total", "counter",
	            "Requests a worker could not count (no free slot in the request tally).");
	prom_sample(text, "complaintd_http_requests_uncounted_total", NULL, 0, (double)tally_dropped(&app->requests));
}

static void metrics_counter(struct prom_text *text, const char *name, const char *type, const char *help,
                            double value)
{
	prom_family(text, name, type, help);
	prom_sample(text, name, NULL, 0, value);
}

static void metrics_runtime(struct prom_text *text, const struct app *app)
{
	const struct runtime_counters *counters = runtime_counters();
	if (counters == NULL)
		return;
	metrics_counter(text, "complaintd_worker_restarts_total", "counter",
	                "Workers the master restarted after they exited unasked.",
	                (double)atomic_load(&counters->worker_restarts));
	metrics_counter(text, "complaintd_child_restarts_total", "counter",
	                "Helper processes (photo-repair, timer, notifier) the master restarted after they exited unasked.",
	                (double)atomic_load(&counters->child_restarts));
	metrics_counter(text, "complaintd_reloads_total", "counter",
	                "Reloads (SIGHUP) whose configuration was taken: each started a new generation.",
	                (double)atomic_load(&counters->reloads));
	metrics_counter(text, "complaintd_reloads_refused_total", "counter",
	                "Reloads whose configuration was refused: the running generation stayed.",
	                (double)atomic_load(&counters->reloads_refused));
	metrics_counter(text, "complaintd_config_generation", "gauge",
	                "The master's configuration generation (1 at start, one more per reload taken).",
	                (double)atomic_load(&counters->generation));
	metrics_counter(text, "complaintd_worker_config_generation", "gauge",
	                "The generation of the worker that answered this scrape.", (double)app->generation);
	metrics_counter(text, "complaintd_listen_peers_refused_total", "counter",
	                "Connections to a TCP listen closed at accept: their peer is not in [server] listen_peers.",
	                (double)atomic_load(&counters->peers_refused));
}

/* librepl's bucket b holds [2^b, 2^(b+1)) microseconds (b = 0 from 0), the last one everything
 * above: its upper edge 2^(b+1) us in seconds is the le of every bucket but the last. */
static void metrics_replicas(struct prom_text *text, struct app *app, struct arena *arena)
{
	static const char *const classes[REPL_CAUSE_COUNT] = {
		[REPL_CAUSE_NONE] = "success",    [REPL_CAUSE_TIMEOUT] = "timeout", [REPL_CAUSE_CONNECT] = "connect",
		[REPL_CAUSE_PROTOCOL] = "protocol", [REPL_CAUSE_OTHER] = "other",
	};
	double edges[REPL_STATS_BUCKETS - 1];
	struct prom_label labels[PROM_LABELS_MAX];
	size_t count = 0;
	struct repl_stats_row *rows = NULL;
	if (app->repl_stats != NULL) {
		rows = arena_calloc(arena, REPL_STATS_ROWS_MAX, sizeof(*rows));
		if (rows == NULL) {
			text->failed = true;
			return;
		}
		count = repl_stats_read(app->repl_stats, rows, REPL_STATS_ROWS_MAX);
	}
	for (unsigned b = 0; b + 1 < REPL_STATS_BUCKETS; b++)
		edges[b] = ldexp(1.0, (int)b + 1) / 1e6;
	prom_family(text, "complaintd_replica_attempts_total", "counter",
	            "Attempts librepl made of an operation on a replica, over every process of this host.");
	for (size_t i = 0; i < count; i++) {
		labels[0] = (struct prom_label){"operation", rows[i].operation};
		labels[1] = (struct prom_label){"replica", rows[i].replica};
		prom_sample(text, "complaintd_replica_attempts_total", labels, 2, (double)rows[i].all);
	}
	prom_family(text, "complaintd_replica_outcomes_total", "counter",
	            "Attempts by outcome class: success, or the cause of a failure (timeout, connect, protocol, other).");
	for (size_t i = 0; i < count; i++) {
		labels[0] = (struct prom_label){"operation", rows[i].operation};
		labels[1] = (struct prom_label){"replica", rows[i].replica};
		for (unsigned c = 0; c < REPL_CAUSE_COUNT; c++) {
			labels[2] = (struct prom_label){"class", classes[c]};
			prom_sample(text, "complaintd_replica_outcomes_total", labels, 3,
			            (double)(c == REPL_CAUSE_NONE ? rows[i].successes : rows[i].fail[c]));
		}
	}
	prom_family(text, "complaintd_replica_latency_seconds", "histogram",
	            "Round-trip time of successful attempts (librepl's log2 microsecond buckets).");
	for (size_t i = 0; i < count; i++) {
		labels[0] = (struct prom_label){"operation", rows[i].operation};
		labels[1] = (struct prom_label){"replica", rows[i].replica};
		prom_histogram(text, "complaintd_replica_latency_seconds", labels, 2, edges, rows[i].histogram,
		               REPL_STATS_BUCKETS - 1, rows[i].histogram[REPL_STATS_BUCKETS - 1],
		               rows[i].successes > 0 ? rows[i].rtt_mean_ms * (double)rows[i].successes / 1000.0 : 0.0);
	}
	if (app->repl_stats != NULL)
		metrics_counter(text, "complaintd_replica_attempts_uncounted_total", "counter",
		                "Attempts librepl could not count (its segment full, or no free slot).",
		                (double)repl_stats_dropped(app->repl_stats));
}

static void metrics_outbox(struct prom_text *text, struct call *call)
{
	struct db_outbox_counts counts;
	bool read = db_configured(call->app->db) &&
	            db_outbox_count(call->app->db, call->request->arena, &counts) == DB_OK;
	metrics_counter(text, "complaintd_outbox_up", "gauge",
	                "1 when this scrape could count the outbox (the database answered), else 0.", read ? 1 : 0);
	if (!read)
		return;
	metrics_counter(text, "complaintd_outbox_depth", "gauge",
	                "Messages waiting to be sent (pending, or claimed by a notifier and being sent).",
	                (double)counts.waiting);
	metrics_counter(text, "complaintd_outbox_failed", "gauge",
	                "Messages the notifier gave up on (failed), until an admin sends them again.", (double)counts.failed);
}

void metrics_page(struct call *call)
{
	struct prom_text text;
	if (!cidr_list_has_text(&call->app->metrics_allow, call->request->remote_addr)) {
		routes_not_found(call);
		return;
	}
	prom_init(&text, call->request->arena);
	metrics_requests(&text, call->app, call->request->arena);
	metrics_runtime(&text, call->app);
	metrics_replicas(&text, call->app, call->request->arena);
	metrics_outbox(&text, call);
	if (text.failed || text.data == NULL) {
		render_error(call, 500, "The metrics did not fit in this request's memory.");
		return;
	}
	response_header(call->response, "Cache-Control", "no-store");
	response_body(call->response, 200, "text/plain; version=0.0.4; charset=utf-8", text.data, text.len);
}
