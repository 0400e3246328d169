/*
 * replicas.c: the admin's replica page (see replicas.h). The minutes of the window are merged by
 * core/observations.c as store/db_observations.c reads them; this file turns the tallies into the
 * page's tables, one per backend operation, each location's replicas then every location's, and
 * into each operation's chart, drawn here as numbers for the template's inline SVG (no script, so
 * the CSP's script-src stays 'self' and the chart needs none): grouped bars, one group per
 * replica, one bar per location, its height the average RTT. The table is the chart's accessible
 * form: the SVG says so in its label.
 */
#include "web/replicas.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "arena.h"
#include "core/due.h"
#include "core/observations.h"
#include "fields.h"
#include "log.h"
#include "request.h"
#include "response.h"
#include "store/db_accounts.h"
#include "store/backend.h"
#include "store/db_observations.h"
#include "web/auth.h"
#include "web/call.h"
#include "web/complaints.h"
#include "web/render.h"

#define REPLICAS_DEFAULT_WINDOW "1h"
#define REPLICAS_LOCATIONS_MAX 16   /* bars of one group in the chart; more locations: first 16 */
#define REPLICAS_REPLICAS_MAX 32    /* groups of one chart */

/* The chart's box (SVG user units; the SVG scales to its container through its viewBox). */
enum {
	REPLICAS_CHART_WIDTH = 480,     /* about its size at 1280 px; at 375 px it shrinks to 0.7 */
	REPLICAS_CHART_HEIGHT = 240,
	REPLICAS_CHART_LEFT = 52,       /* the RTT axis's labels */
	REPLICAS_CHART_RIGHT = 12,
	REPLICAS_CHART_TOP = 12,
	REPLICAS_CHART_BOTTOM = 32,     /* the replicas' names */
	REPLICAS_CHART_TICKS = 4,
};

/* One colour per location, in the legend's order; dark enough against white for the bars' 3:1. */
static const char *const replicas_palette[] = {"#1f5f99", "#b34700", "#1b7a5a", "#6a4c9c", "#b0245f", "#4d6b12"};
#define REPLICAS_PALETTE (sizeof(replicas_palette) / sizeof(replicas_palette[0]))

/* value with that many decimals, in the arena; a dash when there is none. */
static const char *replicas_format(struct arena *arena, int decimals, double value)
{
	char text[48];
	if (isnan(value))
		return "–";
	snprintf(text, sizeof(text), "%.*f", decimals, value);
	return arena_strndup(arena, text, strlen(text));
}

static void replicas_add_count(struct json_object *object, const char *key, uint64_t value)
{
	json_object_object_add(object, key, json_object_new_int64((int64_t)value));
}

/* One row of a table: a tally's figures as the page shows them. */
static struct json_object *replicas_row(struct arena *arena, const struct observations_tally *tally)
{
	struct observations_figures f;
	observations_figures(tally, &f);
	struct json_object *row = json_object_new_object();
	if (row == NULL)
		return NULL;
	complaints_add_string(row, "replica", tally->replica);
	replicas_add_count(row, "all", f.all);
	replicas_add_count(row, "fail", f.fail);
	struct json_object *causes = json_object_new_array();
	for (unsigned c = 0; causes != NULL && c < OBSERVATIONS_CAUSES; c++) {
		struct json_object *cause = json_object_new_object();
		complaints_add_string(cause, "key", observations_cause_keys[c]);
		replicas_add_count(cause, "count", f.fail_by[c]);
		json_object_array_add(causes, cause);
	}
	json_object_object_add(row, "causes", causes);
	complaints_add_string(row, "r_percent", f.has_all ? replicas_format(arena, 2, f.r_percent) : "–");
	const double rtt[] = {f.avg_ms, f.std_ms, f.min_ms, f.max_ms, f.p50_ms, f.p99_ms};
	static const char *const keys[] = {"avg", "std", "min", "max", "p50", "p99"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		complaints_add_string(row, keys[i], f.has_rtt ? replicas_format(arena, 2, rtt[i]) : "–");
	return row;
}

/* The smallest 1, 2 or 5 times a power of ten at or above value: the chart's top. */
static double replicas_nice(double value)
{
	if (!(value > 0))
		return 1.0;
	double power = pow(10.0, floor(log10(value)));
	static const double steps[] = {1.0, 2.0, 5.0, 10.0};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (value <= steps[i] * power)
			return steps[i] * power;
	return 10.0 * power;
}

static void replicas_add_number(struct json_object *object, const char *key, double value)
{
	char text[32];
	snprintf(text, sizeof(text), "%.1f", value);
	json_object_object_add(object, key, json_object_new_string(text));
}

/* Operation tallies[0..count) (sorted: locations, then every location) as a chart of average
 * RTT: one group per replica (every location's tallies name them all), a bar per location. */
static struct json_object *replicas_chart(struct arena *arena, const char *operation,
                                          const struct observations_tally *tallies, size_t count)
{
	const char *locations[REPLICAS_LOCATIONS_MAX], *names[REPLICAS_REPLICAS_MAX];
	size_t location_count = 0, replica_count = 0;
	double top = 0;
	for (size_t i = 0; i < count; i++) {
		const struct observations_tally *t = &tallies[i];
		if (t->location[0] == '\0') {
			if (replica_count < REPLICAS_REPLICAS_MAX)
				names[replica_count++] = t->replica;
			continue;
		}
		if (t->successes > 0 && t->mean_ms > top)
			top = t->mean_ms;
		bool known = false;
		for (size_t l = 0; l < location_count && !known; l++)
			known = strcmp(locations[l], t->location) == 0;
		if (!known && location_count < REPLICAS_LOCATIONS_MAX)
			locations[location_count++] = t->location;
	}
	if (replica_count == 0 || location_count == 0)
		return NULL;
	top = replicas_nice(top);
	const double plot_w = REPLICAS_CHART_WIDTH - REPLICAS_CHART_LEFT - REPLICAS_CHART_RIGHT;
	const double plot_h = REPLICAS_CHART_HEIGHT - REPLICAS_CHART_TOP - REPLICAS_CHART_BOTTOM;
	const double base = REPLICAS_CHART_TOP + plot_h;
	const double group_w = plot_w / (double)replica_count;
	const double bar_w = group_w * 0.8 / (double)location_count;
	struct json_object *chart = json_object_new_object();
	if (chart == NULL)
		return NULL;
	char text[160];
	snprintf(text, sizeof(text), "0 0 %d %d", REPLICAS_CHART_WIDTH, REPLICAS_CHART_HEIGHT);
	complaints_add_string(chart, "view_box", text);
	snprintf(text, sizeof(text), "Average RTT of each replica of %s from each location, in ms (the table holds the numbers)",
	         operation);
	complaints_add_string(chart, "label", text);
	replicas_add_number(chart, "axis_x", REPLICAS_CHART_LEFT);
	replicas_add_number(chart, "axis_right", REPLICAS_CHART_WIDTH - REPLICAS_CHART_RIGHT);
	replicas_add_number(chart, "axis_top", REPLICAS_CHART_TOP);
	replicas_add_number(chart, "axis_base", base);
	struct json_object *ticks = json_object_new_array();
	for (int k = 0; ticks != NULL && k <= REPLICAS_CHART_TICKS; k++) {
		double value = top * k / REPLICAS_CHART_TICKS;
		struct json_object *tick = json_object_new_object();
		replicas_add_number(tick, "y", base - plot_h * k / REPLICAS_CHART_TICKS);
		replicas_add_number(tick, "text_y", base - plot_h * k / REPLICAS_CHART_TICKS + 5);
		/* As many decimals as the tick needs (12.5, 25, 0.25; a top of 1, 2 or 5 x 10^n in four steps),
		 * never rounded to another number. */
		int decimals = value == round(value) ? 0 : value * 10 == round(value * 10) ? 1 : 2;
		complaints_add_string(tick, "label", replicas_format(arena, decimals, value));
		json_object_array_add(ticks, tick);
	}
	json_object_object_add(chart, "ticks", ticks);
	replicas_add_number(chart, "tick_x", REPLICAS_CHART_LEFT - 6);
	struct json_object *groups = json_object_new_array(), *bars = json_object_new_array();
	for (size_t g = 0; groups != NULL && bars != NULL && g < replica_count; g++) {
		double x0 = REPLICAS_CHART_LEFT + group_w * (double)g;
		struct json_object *group = json_object_new_object();
		complaints_add_string(group, "replica", names[g]);
		replicas_add_number(group, "x", x0 + group_w / 2);
		replicas_add_number(group, "y", base + 22);
		json_object_array_add(groups, group);
		for (size_t l = 0; l < location_count; l++) {
			const struct observations_tally *t = NULL;
			for (size_t i = 0; i < count && t == NULL; i++)
				if (strcmp(tallies[i].location, locations[l]) == 0 && strcmp(tallies[i].replica, names[g]) == 0)
					t = &tallies[i];
			if (t == NULL || t->successes == 0)
				continue;
			/* A replica far faster than the slowest still shows: a bar of at least one unit. */
			double h = plot_h * t->mean_ms / top;
			h = h < 1.0 ? 1.0 : h;
			struct json_object *bar = json_object_new_object();
			replicas_add_number(bar, "x", x0 + group_w * 0.1 + bar_w * (double)l);
			replicas_add_number(bar, "y", base - h);
			replicas_add_number(bar, "w", bar_w > 1 ? bar_w - 1 : bar_w);
			replicas_add_number(bar, "h", h);
			complaints_add_string(bar, "fill", replicas_palette[l % REPLICAS_PALETTE]);
			snprintf(text, sizeof(text), "%s from %s: %.2f ms", names[g], locations[l], t->mean_ms);
			complaints_add_string(bar, "title", text);
			json_object_array_add(bars, bar);
		}
	}
	json_object_object_add(chart, "groups", groups);
	json_object_object_add(chart, "bars", bars);
	struct json_object *legend = json_object_new_array();
	for (size_t l = 0; legend != NULL && l < location_count; l++) {
		struct json_object *item = json_object_new_object();
		complaints_add_string(item, "location", locations[l]);
		complaints_add_string(item, "fill", replicas_palette[l % REPLICAS_PALETTE]);
		json_object_array_add(legend, item);
	}
	json_object_object_add(chart, "legend", legend);
	return chart;
}

/* The tables and charts: one backend per operation, tallies[start..end) each. */
static struct json_object *replicas_backends(struct arena *arena, const struct observations_table *table)
{
	struct json_object *backends = json_object_new_array();
	for (size_t start = 0; backends != NULL && start < table->count;) {
		const char *operation = table->tallies[start].operation;
		size_t end = start;
		while (end < table->count && strcmp(table->tallies[end].operation, operation) == 0)
			end++;
		struct json_object *backend = json_object_new_object(), *locations = json_object_new_array();
		struct json_object *place = NULL, *rows = NULL;
		for (size_t i = start; locations != NULL && i < end; i++) {
			const struct observations_tally *t = &table->tallies[i];
			if (place == NULL || strcmp(t->location, table->tallies[i - 1].location) != 0) {
				place = json_object_new_object();
				rows = json_object_new_array();
				bool every = t->location[0] == '\0';
				complaints_add_string(place, "location", every ? "All locations" : t->location);
				json_object_object_add(place, "every", json_object_new_boolean(every));
				json_object_object_add(place, "rows", rows);
				json_object_array_add(locations, place);
			}
			json_object_array_add(rows, replicas_row(arena, t));
		}
		complaints_add_string(backend, "operation", operation);
		json_object_object_add(backend, "locations", locations);
		struct json_object *chart = replicas_chart(arena, operation, &table->tallies[start], end - start);
		if (chart != NULL)
			json_object_object_add(backend, "chart", chart);
		json_object_array_add(backends, backend);
		start = end;
	}
	return backends;
}

/* Every operation's policy as the running generation executes it (defaults included, presets
 * and sets expanded; store/backend.c), with its timeouts: what a reload changed. */
static void replicas_add_policies(struct json_object *data, const struct config *config)
{
	struct backend_effective rows[BACKEND_EFFECTIVE_MAX];
	size_t count = 0;
	char error[256];
	if (backend_effective(config, rows, BACKEND_EFFECTIVE_MAX, &count, error, sizeof(error)) != 0) {
		log_error("replica page: effective policies: %s", error);
		count = 0;
	}
	struct json_object *policies = json_object_new_array();
	for (size_t i = 0; i < count; i++) {
		if (!rows[i].configured)
			continue;
		struct json_object *row = json_object_new_object();
		char attempt[32], deadline[32], timeouts[96];
		repl_duration_format(rows[i].attempt_timeout_ms, attempt, sizeof(attempt));
		repl_duration_format(rows[i].deadline_ms, deadline, sizeof(deadline));
		snprintf(timeouts, sizeof(timeouts), "attempt_timeout %s, deadline %s", attempt, deadline);
		json_object_object_add(row, "operation", json_object_new_string(rows[i].operation));
		json_object_object_add(row, "policy", json_object_new_string(rows[i].policy));
		json_object_object_add(row, "timeouts", json_object_new_string(timeouts));
		json_object_array_add(policies, row);
	}
	json_object_object_add(data, "has_policies", json_object_new_boolean(json_object_array_length(policies) > 0));
	json_object_object_add(data, "policies", policies);
}

static struct json_object *replicas_windows(const struct observations_window *current)
{
	struct json_object *windows = json_object_new_array();
	for (size_t i = 0; windows != NULL && i < observations_window_count; i++) {
		struct json_object *window = json_object_new_object();
		complaints_add_string(window, "name", observations_windows[i].name);
		complaints_add_string(window, "words", observations_windows[i].words);
		json_object_object_add(window, "current", json_object_new_boolean(&observations_windows[i] == current));
		json_object_array_add(windows, window);
	}
	return windows;
}

void replicas_page(struct call *call)
{
	struct arena *arena = call->request->arena;
	const char *name = fields_value(&call->request->query, "window");
	const struct observations_window *window =
		observations_window_find(name != NULL && name[0] != '\0' ? name : REPLICAS_DEFAULT_WINDOW);
	if (window == NULL) {
		render_error(call, 400, "A window is 1h (the last hour), 1d (the last day) or 7d (the last week).");
		return;
	}
	char since[DUE_TIME_SIZE];
	due_utc_text(time(NULL) - window->seconds, 0, since, sizeof(since));
	struct observations_tally *space = arena_calloc(arena, OBSERVATIONS_TALLIES_MAX, sizeof(*space));
	struct observations_table *table = arena_alloc(arena, sizeof(*table));
	struct db_observations_read read;
	if (space == NULL || table == NULL) {
		render_error(call, 500, "This page could not be made just now.");
		return;
	}
	observations_table_init(table, space, OBSERVATIONS_TALLIES_MAX);
	enum db_status status = db_observations_tally(call->app->db, call->session->last_write_gtid, since, NULL, table, &read);
	if (status != DB_OK) {
		auth_database_error(call, status);
		return;
	}
	if (read.skipped > 0)
		log_warn("replicas: %zu of %zu minutes since %s left out (a bad histogram or too many replicas)",
		         read.skipped, read.rows, since);
	observations_sort(table);
	struct json_object *data = json_object_new_object();
	if (data == NULL) {
		render_error(call, 500, "This page could not be made just now.");
		return;
	}
	json_object_object_add(data, "windows", replicas_windows(window));
	complaints_add_string(data, "window_words", window->words);
	complaints_add_string(data, "since", render_time(call, since));
	json_object_object_add(data, "minutes", json_object_new_int64((int64_t)read.rows));
	json_object_object_add(data, "empty", json_object_new_boolean(table->count == 0));
	json_object_object_add(data, "cut", json_object_new_boolean(read.cut));
	if (read.skipped > 0)
		json_object_object_add(data, "skipped", json_object_new_int64((int64_t)read.skipped));
	json_object_object_add(data, "backends", replicas_backends(arena, table));
	replicas_add_policies(data, &call->app->config);
	response_header(call->response, "Cache-Control", "no-store");
	render_page(call, 200, "Replicas", "replicas", data);
}
