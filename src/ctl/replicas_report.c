/*
 * replicas_report.c: complaintctl replicas: its --since read (a duration in librepl's one syntax,
 * repl_duration_parse, or a UTC time), then the minutes since that time read and merged as the
 * replica page merges them (store/db_observations.c into core/observations.c), printed as the
 * page's tables: per operation, each location's replicas, then every location's ("all"), with the
 * paper's Table 1 columns, Fail by cause, and p50 and p99; or as one JSON object, every number as
 * a number and a figure that does not exist (an RTT without successes) as null. Below them, the
 * S3 backfills' progress (store/db_backfills.c: the photos filed before a replica joined the set,
 * copied to it by the photo-repair child), also alone for complaintctl backfills.
 */
#include "ctl/replicas_report.h"

#include <ctype.h>
#include <json-c/json.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "core/observations.h"
#include "repl.h"
#include "store/db_backfills.h"
#include "store/db_observations.h"

#define REPLICAS_REPORT_EVERY "(all)"
#define REPLICAS_REPORT_BACKFILLS_MAX (2 * REPL_SET_REPLICAS_MAX)

/* A UTC time in one of the shapes replicas_report.h names; -1 when it is none. */
static time_t replicas_report_utc(const char *text)
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

const char *replicas_report_since(const char *text, time_t now, time_t *since)
{
	if (text == NULL || text[0] == '\0')
		return "--since needs a value: a duration such as 1h, 1d or 7d, or a UTC time such as 2026-12-05 10:00.";
	if (isdigit((unsigned char)text[0]) && strchr(text, '-') == NULL) {
		/* librepl's durations, but with a unit (bare digits would be milliseconds) and in whole
		 * seconds, none reaching back before 1970. */
		size_t len = strlen(text);
		long long ms = 0;
		if (!isalpha((unsigned char)text[len - 1]) || repl_duration_parse(text, len, &ms, NULL, NULL) != REPL_OK ||
		    ms <= 0 || ms % 1000 != 0 || ms / 1000 > (long long)now)
			return "--since takes a duration as a whole number and a unit (s, m, h, d or w), such as 1h, 1d or 7d.";
		*since = now - (time_t)(ms / 1000);
		return NULL;
	}
	time_t t = replicas_report_utc(text);
	if (t == (time_t)-1)
		return "--since takes a duration such as 1h, 1d or 7d, or a UTC time as YYYY-MM-DD, YYYY-MM-DD HH:MM or "
		       "YYYY-MM-DDTHH:MM:SSZ.";
	if (t > now)
		return "--since is in the future: there is nothing to show yet.";
	*since = t;
	return NULL;
}

/* The RTT columns, in the order of the figures: the text table's titles and the JSON keys. */
static const struct {
	const char *title, *key;
} replicas_report_rtts[] = {
	{"Avg", "avg"}, {"Std", "std"}, {"Min", "min"}, {"Max", "max"}, {"p50", "p50"}, {"p99", "p99"},
};
#define REPLICAS_REPORT_RTTS (sizeof(replicas_report_rtts) / sizeof(replicas_report_rtts[0]))

/* One row as both printers show it; a figure that does not exist is NAN (a dash, a null). */
struct replicas_report_row {
	const struct observations_tally *tally;
	struct observations_figures figures;
	double r_percent;                      /* NAN without attempts */
	double rtt_ms[REPLICAS_REPORT_RTTS];   /* NAN without successes; p50, p99 also without a histogram */
};

/* Tally i of table as a row; false when it is not shown (every location's, when one location was
 * asked for: it would only repeat it). */
static bool replicas_report_row(const struct observations_table *table, size_t i, bool every,
                                struct replicas_report_row *row)
{
	const struct observations_tally *t = &table->tallies[i];
	if (!every && t->location[0] == '\0')
		return false;
	row->tally = t;
	observations_figures(t, &row->figures);
	const struct observations_figures *f = &row->figures;
	row->r_percent = f->has_all ? f->r_percent : NAN;
	const double rtt[REPLICAS_REPORT_RTTS] = {f->avg_ms, f->std_ms, f->min_ms, f->max_ms, f->p50_ms, f->p99_ms};
	for (size_t c = 0; c < REPLICAS_REPORT_RTTS; c++)
		row->rtt_ms[c] = f->has_rtt ? rtt[c] : NAN;
	return true;
}

static const char *replicas_report_place(const struct observations_tally *tally)
{
	return tally->location[0] != '\0' ? tally->location : REPLICAS_REPORT_EVERY;
}

/* A text cell: the value with that many decimals, or a dash. */
static void replicas_report_cell(FILE *out, int width, int decimals, double value)
{
	if (isnan(value))
		fprintf(out, "  %*s", width, "-");
	else
		fprintf(out, "  %*.*f", width, decimals, value);
}

static void replicas_report_text(const struct observations_table *table, bool every, FILE *out)
{
	int op_w = (int)strlen("operation"), place_w = (int)strlen("location"), replica_w = (int)strlen("replica");
	for (size_t i = 0; i < table->count; i++) {
		const struct observations_tally *t = &table->tallies[i];
		int w = (int)strlen(t->operation);
		op_w = w > op_w ? w : op_w;
		w = (int)strlen(replicas_report_place(t));
		place_w = w > place_w ? w : place_w;
		w = (int)strlen(t->replica);
		replica_w = w > replica_w ? w : replica_w;
	}
	fprintf(out, "%-*s  %-*s  %-*s  %10s  %8s", op_w, "operation", place_w, "location", replica_w, "replica", "All", "Fail");
	for (unsigned c = 0; c < OBSERVATIONS_CAUSES; c++)
		fprintf(out, "  %9s", observations_cause_titles[c]);
	fprintf(out, "  %7s", "R%");
	for (size_t c = 0; c < REPLICAS_REPORT_RTTS; c++)
		fprintf(out, "  %9s", replicas_report_rtts[c].title);
	fputc('\n', out);
	for (size_t i = 0; i < table->count; i++) {
		struct replicas_report_row row;
		if (!replicas_report_row(table, i, every, &row))
			continue;
		const struct observations_tally *t = row.tally;
		fprintf(out, "%-*s  %-*s  %-*s  %10llu  %8llu", op_w, t->operation, place_w, replicas_report_place(t), replica_w,
		        t->replica, (unsigned long long)row.figures.all, (unsigned long long)row.figures.fail);
		for (unsigned c = 0; c < OBSERVATIONS_CAUSES; c++)
			fprintf(out, "  %9llu", (unsigned long long)row.figures.fail_by[c]);
		replicas_report_cell(out, 7, 2, row.r_percent);
		for (size_t c = 0; c < REPLICAS_REPORT_RTTS; c++)
			replicas_report_cell(out, 9, 3, row.rtt_ms[c]);
		fputc('\n', out);
	}
}

/* A JSON number, or null. */
static struct json_object *replicas_report_number(double value)
{
	return isnan(value) ? NULL : json_object_new_double(value);
}

static struct json_object *replicas_report_json(const struct observations_table *table, bool every,
                                                const char *since_utc, const char *location,
                                                const struct db_observations_read *read)
{
	struct json_object *root = json_object_new_object(), *rows = json_object_new_array();
	if (root == NULL || rows == NULL) {
		json_object_put(root);
		json_object_put(rows);
		return NULL;
	}
	json_object_object_add(root, "since", json_object_new_string(since_utc));
	json_object_object_add(root, "location", location != NULL ? json_object_new_string(location) : NULL);
	json_object_object_add(root, "minutes", json_object_new_int64((int64_t)read->rows));
	json_object_object_add(root, "skipped", json_object_new_int64((int64_t)read->skipped));
	json_object_object_add(root, "cut", json_object_new_boolean(read->cut));
	for (size_t i = 0; i < table->count; i++) {
		struct replicas_report_row row;
		if (!replicas_report_row(table, i, every, &row))
			continue;
		const struct observations_tally *t = row.tally;
		struct json_object *object = json_object_new_object(), *causes = json_object_new_object();
		json_object_object_add(object, "operation", json_object_new_string(t->operation));
		json_object_object_add(object, "location", t->location[0] != '\0' ? json_object_new_string(t->location) : NULL);
		json_object_object_add(object, "replica", json_object_new_string(t->replica));
		json_object_object_add(object, "all", json_object_new_int64((int64_t)row.figures.all));
		json_object_object_add(object, "fail", json_object_new_int64((int64_t)row.figures.fail));
		for (unsigned c = 0; c < OBSERVATIONS_CAUSES; c++)
			json_object_object_add(causes, observations_cause_keys[c],
			                       json_object_new_int64((int64_t)row.figures.fail_by[c]));
		json_object_object_add(object, "fail_by_cause", causes);
		json_object_object_add(object, "r_percent", replicas_report_number(row.r_percent));
		json_object_object_add(object, "successes", json_object_new_int64((int64_t)t->successes));
		struct json_object *rtt = json_object_new_object();
		for (size_t c = 0; c < REPLICAS_REPORT_RTTS; c++)
			json_object_object_add(rtt, replicas_report_rtts[c].key, replicas_report_number(row.rtt_ms[c]));
		json_object_object_add(object, "rtt_ms", rtt);
		json_object_array_add(rows, object);
	}
	json_object_object_add(root, "rows", rows);
	return root;
}

void replicas_report_backfills_text(const struct db_backfill *rows, size_t count, FILE *out)
{
	fprintf(out, "%-12s %-8s %15s  %-19s  %-19s  %s\n", "replica", "status", "copied", "started (UTC)",
	        "last copy/done", "copying on");
	for (size_t i = 0; i < count; i++) {
		char copied[32];
		snprintf(copied, sizeof(copied), "%u of %u", rows[i].copied, rows[i].total);
		fprintf(out, "%-12s %-8s %15s  %-19s  %-19s  %s\n", rows[i].replica, rows[i].done ? "done" : "copying",
		        copied, rows[i].started_at, rows[i].done ? rows[i].finished_at : rows[i].updated_at,
		        rows[i].holder[0] != '\0' ? rows[i].holder : "-");
	}
}

static struct json_object *replicas_report_backfills_json(const struct db_backfill *rows, size_t count)
{
	struct json_object *array = json_object_new_array();
	for (size_t i = 0; i < count; i++) {
		struct json_object *row = json_object_new_object();
		json_object_object_add(row, "replica", json_object_new_string(rows[i].replica));
		json_object_object_add(row, "status", json_object_new_string(rows[i].done ? "done" : "copying"));
		json_object_object_add(row, "copied", json_object_new_int64(rows[i].copied));
		json_object_object_add(row, "total", json_object_new_int64(rows[i].total));
		json_object_object_add(row, "started_at", json_object_new_string(rows[i].started_at));
		json_object_object_add(row, "last", json_object_new_string(rows[i].done ? rows[i].finished_at
		                                                                        : rows[i].updated_at));
		json_object_object_add(row, "copying_on", rows[i].holder[0] != '\0' ? json_object_new_string(rows[i].holder)
		                                                                     : NULL);
		json_object_array_add(array, row);
	}
	return array;
}

int replicas_report_print(const struct observations_table *table, const struct db_observations_read *read,
                          const char *since_utc, const char *location, const struct db_backfill *backfills,
                          size_t backfill_count, bool json, FILE *out)
{
	/* One location asked for: its "every location" rows would only repeat it. */
	bool every = location == NULL;
	if (json) {
		struct json_object *root = replicas_report_json(table, every, since_utc, location, read);
		if (root == NULL)
			return -1;
		json_object_object_add(root, "backfills", replicas_report_backfills_json(backfills, backfill_count));
		fprintf(out, "%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(root);
		return 0;
	}
	fprintf(out, "Since %s UTC, %s: %zu observations (one per replica, location and minute)%s\n", since_utc,
	        location != NULL ? location : "every location", read->rows,
	        read->cut ? " (cut: more than one read holds; choose a later --since)" : "");
	if (read->skipped > 0)
		fprintf(out, "%zu minutes left out: a damaged histogram, or too many replicas\n", read->skipped);
	if (table->count > 0)
		replicas_report_text(table, every, out);
	if (backfill_count > 0) {
		fprintf(out, "\nS3 backfills (photos filed before a replica joined the set, copied to it):\n");
		replicas_report_backfills_text(backfills, backfill_count, out);
	}
	return 0;
}

enum db_status replicas_report(struct db *db, const char *since_utc, const char *location, bool json, FILE *out)
{
	struct observations_tally *space = calloc(OBSERVATIONS_TALLIES_MAX, sizeof(*space));
	struct observations_table *table = malloc(sizeof(*table));
	struct db_observations_read read;
	struct arena *arena = NULL;
	enum db_status status = DB_UNAVAILABLE;
	if (space == NULL || table == NULL)
		goto out;
	observations_table_init(table, space, OBSERVATIONS_TALLIES_MAX);
	status = db_observations_tally(db, NULL, since_utc, location, table, &read);
	if (status != DB_OK)
		goto out;
	observations_sort(table);
	struct db_backfill backfills[REPLICAS_REPORT_BACKFILLS_MAX];
	size_t backfill_count = 0;
	if ((arena = arena_create(1 << 16)) == NULL) {
		status = DB_UNAVAILABLE;
		goto out;
	}
	status = db_backfills_list(db, arena, backfills, REPLICAS_REPORT_BACKFILLS_MAX, &backfill_count);
	if (status != DB_OK)
		goto out;
	if (replicas_report_print(table, &read, since_utc, location, backfills, backfill_count, json, out) != 0)
		status = DB_UNAVAILABLE;
out:
	if (arena != NULL)
		arena_destroy(arena);
	free(space);
	free(table);
	return status;
}
