/*
 * queue.c: the admin's console (see queue.h). The filter lives in the URL (core/queue.c parses
 * it, a GET form writes it), so a queue is bookmarkable and the back button works; the page is
 * store/db_queue.c's keyset page of 50 with its capped counts per status (those, the agents and the
 * categories kept by each worker for [queue] cache_max_age: see "the page's furniture" below); a bulk assignment is one
 * status-machine move per selected complaint, each with the version the queue showed, so a
 * complaint changed meanwhile is listed back to the admin, never forced.
 */
#include "web/queue.h"

#include <json-c/json.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "arena.h"
#include "core/csv.h"
#include "core/queue.h"
#include "core/recent.h"
#include "core/workflow.h"
#include "fields.h"
#include "log.h"
#include "repl.h"
#include "request.h"
#include "response.h"
#include "store/db_accounts.h"
#include "store/db_complaints.h"
#include "store/db_queue.h"
#include "urlencoded.h"
#include "web/auth.h"
#include "web/call.h"
#include "web/complaints.h"
#include "web/render.h"

#define QUEUE_PAGE_SIZE 50
#define QUEUE_BULK_MAX 200          /* complaints in one bulk assignment (a page holds 50) */
#define QUEUE_CATEGORIES_MAX 64

static const char *queue_copy(struct arena *arena, const char *text)
{
	return arena_strndup(arena, text, strlen(text));
}

static const char queue_database_down[] =
	"The service cannot reach its database right now. Please try again in a moment.";

/* ---- the page's furniture: counts, agents, categories, read at most once per [queue]
 * cache_max_age per worker and filter ----
 *
 * At 100,000 complaints the counts per status read tens of thousands of index entries and the
 * agents' open counts thousands, where the page's own rows are under a thousand: read for every
 * page, they were the queue's cost (doc/performance.md). A worker keeps each answer for a few
 * seconds (core/recent.c) with the last write of the session that read it: a session that wrote
 * after that (the admin's own bulk assignment or change) reads it anew, so an admin's own change
 * shows at once; another admin's shows within the age, and the page says when its counts are from.
 */

static int64_t queue_clock_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* key's answer when young enough and read after the caller's last write; NULL: read it anew. */
static const struct recent_entry *queue_recent(struct call *call, const char *key)
{
	long long max_age = call->app->config.queue_cache_max_age_ms;
	if (key == NULL || max_age <= 0)
		return NULL;
	const struct recent_entry *entry = recent_find(call->app->recent, key, queue_clock_ms(), max_age);
	const char *wrote = call->session->last_write_gtid;
	bool reached = false;
	if (entry == NULL || (wrote[0] != '\0' && (repl_gtid_reached(entry->seen, wrote, &reached) != REPL_OK || !reached)))
		return NULL;
	return entry;
}

/* Keeps value under key: the kept answer's serial, or 0 (not kept: the cache is off or refused it). */
static uint64_t queue_remember(struct call *call, const char *key, const void *value, size_t len)
{
	const struct recent_entry *entry = NULL;
	if (key != NULL && call->app->config.queue_cache_max_age_ms > 0)
		entry = recent_store(call->app->recent, key, value, len, queue_clock_ms(), time(NULL),
		                     call->session->last_write_gtid);
	return entry != NULL ? entry->serial : 0;
}

/* One item of a list kept as an answer's bytes: the agents (id, open count, name) and the
 * categories (id, code, name). */
struct queue_item {
	int64_t id, number;
	const char *first, *second;
};

/* items as bytes (arena): the count, each item's two numbers, then every text with its NUL. */
static void *queue_pack(struct arena *arena, const struct queue_item *items, size_t count, size_t *len)
{
	size_t size = sizeof(count) + count * 2 * sizeof(int64_t);
	for (size_t i = 0; i < count; i++)
		size += strlen(items[i].first) + strlen(items[i].second) + 2;
	char *buf = arena_alloc(arena, size), *p = buf;
	if (buf == NULL)
		return NULL;
	memcpy(p, &count, sizeof(count));
	p += sizeof(count);
	for (size_t i = 0; i < count; i++) {
		memcpy(p, &items[i].id, sizeof(int64_t));
		memcpy(p + sizeof(int64_t), &items[i].number, sizeof(int64_t));
		p += 2 * sizeof(int64_t);
	}
	for (size_t i = 0; i < count; i++) {
		size_t first = strlen(items[i].first) + 1, second = strlen(items[i].second) + 1;
		memcpy(p, items[i].first, first);
		memcpy(p + first, items[i].second, second);
		p += first + second;
	}
	*len = size;
	return buf;
}

/* queue_pack's bytes back into items, the texts in a copy in arena: 0, or -1 (not such bytes). */
static int queue_unpack(struct arena *arena, const void *value, size_t len, struct queue_item *items, size_t max,
                        size_t *count)
{
	size_t n = 0;
	char *copy = arena_alloc(arena, len + 1);
	if (copy == NULL || len < sizeof(n))
		return -1;
	memcpy(copy, value, len);
	copy[len] = '\0';
	memcpy(&n, copy, sizeof(n));
	if (n > max || len < sizeof(n) + n * 2 * sizeof(int64_t))
		return -1;
	char *p = copy + sizeof(n), *end = copy + len;
	for (size_t i = 0; i < n; i++, p += 2 * sizeof(int64_t)) {
		memcpy(&items[i].id, p, sizeof(int64_t));
		memcpy(&items[i].number, p + sizeof(int64_t), sizeof(int64_t));
	}
	for (size_t i = 0; i < n; i++) {
		char *nul = memchr(p, '\0', (size_t)(end - p));
		char *nul2 = nul != NULL && nul + 1 < end ? memchr(nul + 1, '\0', (size_t)(end - nul - 1)) : NULL;
		if (nul2 == NULL)
			return -1;
		items[i].first = p;
		items[i].second = nul + 1;
		p = nul2 + 1;
	}
	*count = n;
	return 0;
}

/* The categories, from this worker's recent answer unless fresh is asked; *serial: that answer's
 * (0: not kept). */
static enum db_status queue_categories(struct call *call, bool fresh, struct db_queue_category *out, size_t max,
                                       size_t *count, uint64_t *serial)
{
	struct arena *arena = call->request->arena;
	struct queue_item items[QUEUE_CATEGORIES_MAX];
	const struct recent_entry *entry = fresh ? NULL : queue_recent(call, "categories");
	size_t n = 0, len = 0;
	if (entry != NULL && queue_unpack(arena, entry->value, entry->len, items, QUEUE_CATEGORIES_MAX, &n) == 0) {
		for (size_t i = 0; i < n && i < max; i++)
			out[i] = (struct db_queue_category){.id = items[i].id, .code = items[i].first, .name = items[i].second};
		*count = n < max ? n : max;
		*serial = entry->serial;
		return DB_OK;
	}
	*serial = 0;
	enum db_status status = db_queue_categories(call->app->db, arena, call->session, out, max, count);
	if (status != DB_OK)
		return status;
	for (size_t i = 0; i < *count && i < QUEUE_CATEGORIES_MAX; i++)
		items[i] = (struct queue_item){.id = out[i].id, .first = out[i].code, .second = out[i].name};
	void *value = queue_pack(arena, items, *count < QUEUE_CATEGORIES_MAX ? *count : QUEUE_CATEGORIES_MAX, &len);
	if (value != NULL)
		*serial = queue_remember(call, "categories", value, len);
	return DB_OK;
}

/* The active agents with their open complaints (the bulk form), the same way. */
static enum db_status queue_agents(struct call *call, struct db_agent *out, size_t *count, uint64_t *serial)
{
	struct arena *arena = call->request->arena;
	struct queue_item *items = arena_calloc(arena, DB_AGENTS_MAX, sizeof(*items));
	const struct recent_entry *entry = queue_recent(call, "agents");
	size_t n = 0, len = 0;
	if (items == NULL)
		return DB_UNAVAILABLE;
	if (entry != NULL && queue_unpack(arena, entry->value, entry->len, items, DB_AGENTS_MAX, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			out[i] = (struct db_agent){.id = items[i].id, .open_count = items[i].number, .name = items[i].first};
		*count = n;
		*serial = entry->serial;
		return DB_OK;
	}
	*serial = 0;
	enum db_status status = db_agents_active(call->app->db, arena, call->session, out, DB_AGENTS_MAX, count);
	if (status != DB_OK)
		return status;
	for (size_t i = 0; i < *count; i++)
		items[i] = (struct queue_item){.id = out[i].id, .number = out[i].open_count, .first = out[i].name, .second = ""};
	void *value = queue_pack(arena, items, *count, &len);
	if (value != NULL)
		*serial = queue_remember(call, "agents", value, len);
	return DB_OK;
}

struct queue_counted {
	int64_t counts[WORKFLOW_STATES];
	int64_t matched;
};

/* The counts' key: the filter without its statuses (the tabs are every status it allows) and
 * keyset, and without the sort unless the filter is capped (whose candidates the sort decides). */
static const char *queue_counts_key(struct arena *arena, const struct queue_filter *filter)
{
	struct queue_filter key = *filter;
	bool capped = db_queue_capped(filter);
	key.statuses = 0;
	key.way = QUEUE_FIRST;
	if (!capped)
		key.sort = QUEUE_SORT_DUE;
	const char *query = queue_query(arena, &key);
	size_t size = strlen(query) + 32;
	char *text = arena_alloc(arena, size);
	if (text != NULL)
		snprintf(text, size, "counts %s?%s", capped ? "capped" : "", query);
	return text;
}

/* db_queue_counts through this worker's recent answers; *at: when they were read. */
static enum db_status queue_counts(struct call *call, const struct queue_filter *filter,
                                   int64_t counts[WORKFLOW_STATES], int64_t *matched, time_t *at, uint64_t *serial)
{
	const char *key = queue_counts_key(call->request->arena, filter);
	const struct recent_entry *entry = queue_recent(call, key);
	struct queue_counted counted;
	if (entry != NULL && entry->len == sizeof(counted)) {
		memcpy(&counted, entry->value, sizeof(counted));
		*at = entry->at;
		*serial = entry->serial;
	} else {
		enum db_status status = db_queue_counts(call->app->db, call->request->arena, call->session, filter,
		                                        counted.counts, &counted.matched);
		if (status != DB_OK)
			return status;
		*at = time(NULL);
		*serial = queue_remember(call, key, &counted, sizeof(counted));
	}
	memcpy(counts, counted.counts, sizeof(counted.counts));
	*matched = counted.matched;
	return DB_OK;
}

/* ---- the page's rows, kept like the furniture ----
 *
 * A page's rows (and whether more follow) per filter, sort and keyset position, read at most once
 * per [queue] cache_max_age per worker, with the same rule for the session's own writes. Kept rows
 * are the rows of the moment they were read, and a walk through the pages must never show a page
 * read before the page it came from: a row there when the newer page was read, and filed since the
 * older one, would fall between the two (missed). So each page's keyset links carry as_of, when
 * its rows were read (the wall clock before the statement, ms), and a kept page read at or before
 * a link's as_of is read anew: along a walk the pages' moments never go back, and every row there
 * when its first page was read, and not moved since, is on exactly one of its pages (keysets never
 * overlap, so no row is on two).
 */

static int64_t queue_wall_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* The texts of a row, by their place in struct db_queue_row (NULL kept apart from ""). */
static const size_t queue_row_texts[] = {
	offsetof(struct db_queue_row, status),      offsetof(struct db_queue_row, category),
	offsetof(struct db_queue_row, agent),       offsetof(struct db_queue_row, description),
	offsetof(struct db_queue_row, address),     offsetof(struct db_queue_row, lat),
	offsetof(struct db_queue_row, lon),         offsetof(struct db_queue_row, created_at),
	offsetof(struct db_queue_row, due_at),      offsetof(struct db_queue_row, updated_at),
	offsetof(struct db_queue_row, sort_key),
};
#define QUEUE_ROW_TEXT(row, i) ((const char **)((char *)(row) + queue_row_texts[i]))

/* Bytes written into buf (NULL: only counted), or read back from them. */
struct queue_bytes {
	char *buf;
	const char *at, *end;
	size_t len;
};

static void queue_put(struct queue_bytes *b, const void *data, size_t n)
{
	if (b->buf != NULL)
		memcpy(b->buf + b->len, data, n);
	b->len += n;
}

static bool queue_get(struct queue_bytes *b, void *out, size_t n)
{
	if ((size_t)(b->end - b->at) < n)
		return false;
	memcpy(out, b->at, n);
	b->at += n;
	return true;
}

/* A page as bytes (arena): its count, more and when it was read, then each row's numbers, flags
 * and texts (a byte: present or NULL, then the text with its NUL). */
static void *queue_rows_pack(struct arena *arena, const struct db_queue_row *rows, size_t count, bool more,
                             int64_t read_ms, size_t *len)
{
	struct queue_bytes b = {0};
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1 && (b.buf = arena_alloc(arena, b.len > 0 ? b.len : 1)) == NULL)
			return NULL;
		b.len = 0;
		uint64_t n = count;
		uint8_t flag = more;
		queue_put(&b, &n, sizeof(n));
		queue_put(&b, &flag, 1);
		queue_put(&b, &read_ms, sizeof(read_ms));
		for (size_t i = 0; i < count; i++) {
			uint8_t flags[2] = {rows[i].reopened, rows[i].overdue};
			queue_put(&b, &rows[i].id, sizeof(int64_t));
			queue_put(&b, &rows[i].version, sizeof(int64_t));
			queue_put(&b, &rows[i].agent_id, sizeof(int64_t));
			queue_put(&b, flags, sizeof(flags));
			for (size_t t = 0; t < sizeof(queue_row_texts) / sizeof(queue_row_texts[0]); t++) {
				const char *text = *QUEUE_ROW_TEXT(&rows[i], t);
				flag = text != NULL;
				queue_put(&b, &flag, 1);
				if (text != NULL)
					queue_put(&b, text, strlen(text) + 1);
			}
		}
	}
	*len = b.len;
	return b.buf;
}

/* queue_rows_pack's bytes back into rows, the texts in a copy in arena: 0, or -1 (not such bytes). */
static int queue_rows_unpack(struct arena *arena, const void *value, size_t len, struct db_queue_row *rows,
                             size_t max, size_t *count, bool *more, int64_t *read_ms)
{
	char *copy = arena_alloc(arena, len > 0 ? len : 1);
	struct queue_bytes b = {.at = copy, .end = copy + len};
	uint64_t n = 0;
	uint8_t flag = 0;
	if (copy == NULL)
		return -1;
	memcpy(copy, value, len);
	if (!queue_get(&b, &n, sizeof(n)) || n > max || !queue_get(&b, &flag, 1) || !queue_get(&b, read_ms, sizeof(*read_ms)))
		return -1;
	*more = flag != 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t flags[2];
		struct db_queue_row *row = &rows[i];
		if (!queue_get(&b, &row->id, sizeof(int64_t)) || !queue_get(&b, &row->version, sizeof(int64_t)) ||
		    !queue_get(&b, &row->agent_id, sizeof(int64_t)) || !queue_get(&b, flags, sizeof(flags)))
			return -1;
		row->reopened = flags[0] != 0;
		row->overdue = flags[1] != 0;
		for (size_t t = 0; t < sizeof(queue_row_texts) / sizeof(queue_row_texts[0]); t++) {
			const char *nul = NULL;
			if (!queue_get(&b, &flag, 1))
				return -1;
			*QUEUE_ROW_TEXT(row, t) = NULL;
			if (flag == 0)
				continue;
			if ((nul = memchr(b.at, '\0', (size_t)(b.end - b.at))) == NULL)
				return -1;
			*QUEUE_ROW_TEXT(row, t) = b.at;
			b.at = nul + 1;
		}
	}
	*count = (size_t)n;
	return 0;
}

/* The page's rows through this worker's recent answers (see above); *read_ms: when they were read. */
static enum db_status queue_rows(struct call *call, const struct queue_filter *filter, struct db_queue_row *rows,
                                 size_t *count, bool *more, int64_t *read_ms, uint64_t *serial)
{
	struct arena *arena = call->request->arena;
	struct queue_filter position = *filter;
	position.as_of = 0;
	const char *link = queue_link(arena, "page ", &position, filter->way, filter->key, filter->key_id);
	const struct recent_entry *entry = queue_recent(call, link);
	if (entry != NULL &&
	    queue_rows_unpack(arena, entry->value, entry->len, rows, QUEUE_PAGE_SIZE, count, more, read_ms) == 0 &&
	    *read_ms > filter->as_of) {
		*serial = entry->serial;
		return DB_OK;
	}
	*serial = 0;
	*read_ms = queue_wall_ms();
	enum db_status status =
		db_queue_page(call->app->db, arena, call->session, filter, QUEUE_PAGE_SIZE, rows, count, more);
	size_t len = 0;
	void *value = status == DB_OK ? queue_rows_pack(arena, rows, *count, *more, *read_ms, &len) : NULL;
	if (value != NULL)
		*serial = queue_remember(call, link, value, len);
	return status;
}

/* The call's filter from its query (false: a 400 was written), with the category's id;
 * *categories_serial: the kept categories' answer (0: not kept). */
static bool queue_filter_of(struct call *call, const struct fields *query, struct queue_filter *filter,
                            struct db_queue_category *categories, size_t *category_count, uint64_t *categories_serial)
{
	char message[FIELDS_MESSAGE_MAX];
	if (queue_parse(call->request->arena, query, filter, message, sizeof(message)) != 0) {
		render_error(call, 400, message);
		return false;
	}
	/* A category added since this worker's answer was read: read them anew. */
	for (int fresh = 0; fresh < 2 && (fresh == 0 || (filter->category != NULL && filter->category_id == 0)); fresh++) {
		if (queue_categories(call, fresh, categories, QUEUE_CATEGORIES_MAX, category_count, categories_serial) !=
		    DB_OK) {
			render_error(call, 503, queue_database_down);
			return false;
		}
		for (size_t i = 0; filter->category != NULL && i < *category_count; i++)
			if (strcmp(categories[i].code, filter->category) == 0)
				filter->category_id = categories[i].id;
	}
	if (filter->category != NULL && filter->category_id == 0) {
		render_error(call, 400, "There is no category of that code.");
		return false;
	}
	return true;
}

static struct json_object *queue_option(const char *value, const char *label, bool selected)
{
	struct json_object *option = json_object_new_object();
	complaints_add_string(option, "value", value);
	complaints_add_string(option, "label", label);
	if (selected)
		json_object_object_add(option, "selected", json_object_new_boolean(1));
	return option;
}

/* For a capped filter whose candidates are past the cap (db_queue_counts' matched): the sentence
 * saying so and what narrows it, in arena; NULL when the page can be read. */
static const char *queue_too_wide(struct arena *arena, const struct queue_filter *filter, int64_t matched)
{
	if (matched <= DB_QUEUE_CANDIDATES_MAX)
		return NULL;
	char text[300];
	if (filter->word_count > 0)
		snprintf(text, sizeof(text),
		         "More than %d,%03d complaints contain these words: too many to sort for one page. "
		         "Add a word (a house number, a district) to find fewer.",
		         DB_QUEUE_CANDIDATES_MAX / 1000, DB_QUEUE_CANDIDATES_MAX % 1000);
	else
		snprintf(text, sizeof(text),
		         "More than %d,%03d complaints were filed between these dates: too many to sort by %s for one "
		         "page. Narrow the dates, or sort by filing date.",
		         DB_QUEUE_CANDIDATES_MAX / 1000, DB_QUEUE_CANDIDATES_MAX % 1000,
		         filter->sort == QUEUE_SORT_DUE ? "due date" : "last change");
	return queue_copy(arena, text);
}

/* The form's fields as the filter has them. */
static void queue_add_form(struct call *call, const struct queue_filter *filter,
                           const struct db_queue_category *categories, size_t category_count,
                           const struct db_agent *agents, size_t agent_count, struct json_object *data)
{
	struct arena *arena = call->request->arena;
	struct json_object *statuses = json_object_new_array();
	for (int s = 0; s < WORKFLOW_STATES; s++) {
		const char *name = workflow_state_name((enum workflow_state)s);
		json_object_array_add(statuses, queue_option(name, complaints_label(name), (filter->statuses >> s) & 1u));
	}
	json_object_object_add(data, "statuses", statuses);
	struct json_object *options = json_object_new_array();
	for (size_t i = 0; i < category_count; i++)
		json_object_array_add(options, queue_option(categories[i].code, categories[i].name,
		                                            filter->category_id == categories[i].id));
	json_object_object_add(data, "categories", options);
	options = json_object_new_array();
	json_object_array_add(options, queue_option("none", "Nobody (unassigned)", filter->unassigned));
	struct json_object *bulk_agents = json_object_new_array();
	for (size_t i = 0; i < agent_count; i++) {
		char id[24], label[160];
		snprintf(id, sizeof(id), "%lld", (long long)agents[i].id);
		snprintf(label, sizeof(label), "%s (%lld open)", agents[i].name, (long long)agents[i].open_count);
		json_object_array_add(options, queue_option(queue_copy(arena, id), agents[i].name,
		                                            filter->agent_id == agents[i].id));
		json_object_array_add(bulk_agents, queue_option(queue_copy(arena, id), queue_copy(arena, label), false));
	}
	json_object_object_add(data, "agents", options);
	json_object_object_add(data, "bulk_agents", bulk_agents);
	options = json_object_new_array();
	static const char *const sort_labels[] = {"Due date, soonest first", "Filing date, newest first",
	                                          "Last change, most recent first"};
	for (int s = 0; s < QUEUE_SORTS; s++)
		json_object_array_add(options, queue_option(queue_sort_name((enum queue_sort)s), sort_labels[s],
		                                            filter->sort == (enum queue_sort)s));
	json_object_object_add(data, "sorts", options);
	json_object_object_add(data, "overdue", json_object_new_boolean(filter->overdue));
	json_object_object_add(data, "reopened", json_object_new_boolean(filter->reopened));
	complaints_add_string(data, "from", filter->from);
	complaints_add_string(data, "to", filter->to);
	complaints_add_string(data, "q", filter->text != NULL ? filter->text : "");
}

/* The counts per status, each a link to the filter with that status alone. */
static void queue_add_counts(struct call *call, const struct queue_filter *filter, const int64_t *counts,
                             time_t counted_at, struct json_object *data)
{
	/* When they were read, in the city's zone (the process's TZ is [server] time_zone). */
	struct tm local;
	char at[16];
	if (localtime_r(&counted_at, &local) != NULL && strftime(at, sizeof(at), "%H:%M:%S", &local) > 0)
		complaints_add_string(data, "counts_at", queue_copy(call->request->arena, at));
	struct json_object *list = json_object_new_array();
	for (int s = 0; s < WORKFLOW_STATES; s++) {
		if (counts[s] < 0)
			continue;
		struct queue_filter one = *filter;
		one.statuses = 1u << s;
		char text[32];
		if (counts[s] > DB_QUEUE_COUNT_CAP)
			snprintf(text, sizeof(text), "%d,%03d+", DB_QUEUE_COUNT_CAP / 1000, DB_QUEUE_COUNT_CAP % 1000);
		else if (counts[s] >= 1000)
			snprintf(text, sizeof(text), "%lld,%03lld", (long long)counts[s] / 1000, (long long)counts[s] % 1000);
		else
			snprintf(text, sizeof(text), "%lld", (long long)counts[s]);
		const char *name = workflow_state_name((enum workflow_state)s);
		struct json_object *item = json_object_new_object();
		complaints_add_string(item, "status", name);
		complaints_add_string(item, "label", complaints_label(name));
		complaints_add_string(item, "count", queue_copy(call->request->arena, text));
		complaints_add_string(item, "link", queue_link(call->request->arena, "/admin", &one, QUEUE_FIRST, NULL, 0));
		if ((filter->statuses >> s) & 1u)
			json_object_object_add(item, "current", json_object_new_boolean(1));
		json_object_array_add(list, item);
	}
	json_object_object_add(data, "counts", list);
}

static struct json_object *queue_row_json(struct call *call, const struct db_queue_row *row)
{
	struct arena *arena = call->request->arena;
	struct json_object *item = json_object_new_object();
	char value[48];
	json_object_object_add(item, "id", json_object_new_int64(row->id));
	snprintf(value, sizeof(value), "%lld:%lld", (long long)row->id, (long long)row->version);
	complaints_add_string(item, "select_value", queue_copy(arena, value));
	complaints_add_string(item, "category", row->category);
	complaints_add_string(item, "status", row->status);
	complaints_add_string(item, "status_label", complaints_label(row->status));
	complaints_add_string(item, "agent", row->agent);
	complaints_add_string(item, "description", row->description);
	complaints_add_string(item, "address", row->address);
	if (row->lat != NULL && row->lon != NULL) {
		complaints_add_string(item, "lat", row->lat);   /* the map's marker (static/js/map.js) */
		complaints_add_string(item, "lon", row->lon);
	}
	complaints_add_string(item, "created_at", render_time(call, row->created_at));
	complaints_add_string(item, "due_at", render_time(call, row->due_at));
	complaints_add_string(item, "updated_at", render_time(call, row->updated_at));
	if (row->reopened)
		json_object_object_add(item, "reopened", json_object_new_boolean(1));
	if (row->overdue)
		json_object_object_add(item, "overdue", json_object_new_boolean(1));
	return item;
}

/* The map of the page's complaints that have a position: map.js puts a marker for each row the
 * table marks with its place; without JavaScript or tiles the table is the page. */
static void queue_add_map(struct call *call, const struct db_queue_row *rows, size_t count, struct json_object *data)
{
	struct json_object *map = NULL;
	size_t placed = 0;
	for (size_t i = 0; i < count; i++)
		placed += rows[i].lat != NULL && rows[i].lon != NULL;
	if (placed == 0)
		return;
	render_add_map(call, data, NULL, NULL, false);
	if (json_object_object_get_ex(data, "map", &map))
		json_object_object_add(map, "markers", json_object_new_boolean(1));
}

/* ---- the page as made, kept too ----
 *
 * Past the database, a kept page's cost was its making: some 1,500 json-c objects, 150 dates and
 * the template's walk over 50 rows and 100 agents' options, for the same bytes as the page made a
 * moment before (doc/performance.md). So the queue's part of the page (everything in it but the
 * bulk form's CSRF token, which is the session's) is kept as the two pieces of HTML the templates
 * queue_filters and queue_table made, with the serials of the kept answers it was made from:
 * categories, agents, counts and rows. It is used again only while each of those is still the
 * kept answer (none read anew since), so it is always exactly the page those answers make, and is
 * as fresh as they are; the session's own writes still read them anew (queue_recent). The pieces
 * went through the template's escaping when they were made, and go into the page raw
 * (queue.mustache's *_html): made by the escaping writer, never from a value.
 */

static void queue_put_json(void *object)
{
	json_object_put(object);
}

/* The answers a made page came from (0: not kept: then the page is made for every call). */
struct queue_sources {
	uint64_t categories, agents, counts, rows;
};

struct queue_made_head {
	struct queue_sources sources;
	uint64_t filters_len, table_len;
};

/* The made pieces under key when they came from exactly sources; false: make them. */
static bool queue_made_find(struct call *call, const char *key, const struct queue_sources *sources,
                            const char **filters, const char **table)
{
	const struct recent_entry *entry = queue_recent(call, key);
	struct queue_made_head head;
	if (entry == NULL || entry->len < sizeof(head))
		return false;
	memcpy(&head, entry->value, sizeof(head));
	if (memcmp(&head.sources, sources, sizeof(*sources)) != 0 ||
	    entry->len != sizeof(head) + head.filters_len + head.table_len + 2)
		return false;
	*filters = (const char *)entry->value + sizeof(head);
	*table = *filters + head.filters_len + 1;
	return true;
}

static void queue_made_keep(struct call *call, const char *key, const struct queue_sources *sources,
                            const char *filters, const char *table)
{
	struct queue_made_head head = {.sources = *sources, .filters_len = strlen(filters), .table_len = strlen(table)};
	size_t len = sizeof(head) + head.filters_len + head.table_len + 2;
	char *value = arena_alloc(call->request->arena, len);
	if (value == NULL)
		return;
	memcpy(value, &head, sizeof(head));
	memcpy(value + sizeof(head), filters, head.filters_len + 1);
	memcpy(value + sizeof(head) + head.filters_len + 1, table, head.table_len + 1);
	queue_remember(call, key, value, len);
}

void queue_page(struct call *call)
{
	struct arena *arena = call->request->arena;
	struct queue_filter filter;
	struct db_queue_category categories[QUEUE_CATEGORIES_MAX];
	struct db_agent agents[DB_AGENTS_MAX];
	struct db_queue_row rows[QUEUE_PAGE_SIZE];
	struct queue_sources sources = {0};
	int64_t counts[WORKFLOW_STATES], matched = -1;
	time_t counted_at = 0;
	size_t category_count = 0, agent_count = 0, count = 0;
	bool more = false;
	const char *filters_html = NULL, *table_html = NULL;
	if (!queue_filter_of(call, &call->request->query, &filter, categories, &category_count, &sources.categories))
		return;
	/* The counts first: for a capped filter they say whether its page may be read. */
	if (queue_agents(call, agents, &agent_count, &sources.agents) != DB_OK ||
	    queue_counts(call, &filter, counts, &matched, &counted_at, &sources.counts) != DB_OK) {
		render_error(call, 503, queue_database_down);
		return;
	}
	const char *too_wide = queue_too_wide(arena, &filter, matched);
	int64_t read_ms = 0;
	if (too_wide == NULL && queue_rows(call, &filter, rows, &count, &more, &read_ms, &sources.rows) != DB_OK) {
		render_error(call, 503, queue_database_down);
		return;
	}
	if (read_ms > filter.as_of)
		filter.as_of = read_ms;  /* this page's links: no page read before this one after it */
	/* The made page's key: the page's position, as the rows' key (its as_of is the rows' own). */
	struct queue_filter position = filter;
	position.as_of = 0;
	bool keepable = sources.categories != 0 && sources.agents != 0 && sources.counts != 0 &&
	                (too_wide != NULL || sources.rows != 0);
	const char *made_key =
		keepable ? queue_link(arena, "made ", &position, filter.way, filter.key, filter.key_id) : NULL;
	if (made_key == NULL || !queue_made_find(call, made_key, &sources, &filters_html, &table_html)) {
		struct json_object *data = json_object_new_object();
		if (data == NULL || arena_cleanup_add(arena, queue_put_json, data) != 0) {
			render_error(call, 500, "The page could not be made.");
			return;
		}
		queue_add_form(call, &filter, categories, category_count, agents, agent_count, data);
		queue_add_counts(call, &filter, counts, counted_at, data);
		struct json_object *list = json_object_new_array();
		for (size_t i = 0; i < count; i++)
			json_object_array_add(list, queue_row_json(call, &rows[i]));
		json_object_object_add(data, "complaints", list);
		json_object_object_add(data, "empty", json_object_new_boolean(count == 0));
		queue_add_map(call, rows, count, data);
		if (too_wide != NULL)
			complaints_add_string(data, "too_wide", too_wide);
		/* The pager: a page read forwards has a next page when more followed; one read backwards
		 * always has one (the page it came from), and a previous one when more preceded. */
		bool has_next = filter.way == QUEUE_BEFORE ? count > 0 : more;
		bool has_previous = filter.way == QUEUE_AFTER ? count > 0 : filter.way == QUEUE_BEFORE && more;
		if (has_next)
			complaints_add_string(data, "next", queue_link(arena, "/admin", &filter, QUEUE_AFTER,
			                                               rows[count - 1].sort_key, rows[count - 1].id));
		if (has_previous)
			complaints_add_string(data, "previous",
			                      queue_link(arena, "/admin", &filter, QUEUE_BEFORE, rows[0].sort_key, rows[0].id));
		if (filter.way == QUEUE_AFTER && count == 0)
			complaints_add_string(data, "previous", queue_link(arena, "/admin", &filter, QUEUE_FIRST, NULL, 0));
		complaints_add_string(data, "first", queue_link(arena, "/admin", &filter, QUEUE_FIRST, NULL, 0));
		complaints_add_string(data, "export", queue_link(arena, "/admin/export.csv", &filter, QUEUE_FIRST, NULL, 0));
		complaints_add_string(data, "back", queue_query(arena, &filter));
		filters_html = render_fragment(call, "queue_filters", data);
		table_html = render_fragment(call, "queue_table", data);
		if (filters_html == NULL || table_html == NULL) {
			render_error(call, 500, "The page could not be made.");
			return;
		}
		if (made_key != NULL)
			queue_made_keep(call, made_key, &sources, filters_html, table_html);
	}
	struct json_object *page = json_object_new_object();
	if (page != NULL) {
		json_object_object_add(page, "filters_html", json_object_new_string(filters_html));
		json_object_object_add(page, "table_html", json_object_new_string(table_html));
		json_object_object_add(page, "empty", json_object_new_boolean(too_wide != NULL || count == 0));
		complaints_add_string(page, "bulk_csrf", auth_session_csrf_token(call, "/admin/bulk-assign"));
	}
	response_header(call->response, "Cache-Control", "no-store");
	render_page(call, 200, "Complaints queue", "queue", page);
}

/* ---- bulk assignment ---- */

/* "ID:VERSION" of a selected row. */
static bool queue_selected(const char *value, int64_t *id, int64_t *version)
{
	char *end = NULL;
	long long a = strtoll(value, &end, 10);
	if (end == value || *end != ':' || a <= 0)
		return false;
	const char *rest = end + 1;
	long long b = strtoll(rest, &end, 10);
	if (end == rest || *end != '\0' || b < 0)
		return false;
	*id = a;
	*version = b;
	return true;
}

/* One selected complaint to the agent, by the table's assign (from submitted) or reassign row
 * with the version the queue showed: 0 (assigned, or *changed: not where the queue showed it,
 * nothing written), 1 (already that agent's), -1 (the database failed). */
static int queue_assign_one(struct call *call, int64_t id, int64_t version, int64_t agent,
                            struct db_complaint *complaint, bool *changed)
{
	*changed = false;
	enum db_status status = db_complaint_get(call->app->db, call->request->arena, call->session, id, complaint);
	if (status == DB_NOT_FOUND) {
		*changed = true;
		return 0;
	}
	if (status != DB_OK)
		return -1;
	enum workflow_state state;
	const struct workflow_transition *row = NULL;
	if (complaint->version != version || !workflow_state_parse(complaint->status, &state)) {
		*changed = true;
		return 0;
	}
	if (complaint->assigned_agent_id == agent)
		return 1;  /* already that agent's: nothing to do */
	enum workflow_action action = state == WORKFLOW_SUBMITTED ? WORKFLOW_ASSIGN : WORKFLOW_REASSIGN;
	if (workflow_judge(state, action, WORKFLOW_ADMIN, false, complaint->agent_active, &row) != WORKFLOW_ALLOWED) {
		*changed = true;  /* resolved, closed or rejected since the queue showed it */
		return 0;
	}
	struct db_move move = {.row = row, .complaint_id = id, .version = version,
	                       .actor_id = call->session->account_id, .agent_id = agent, .admin_log = true,
	                       .log_detail = "bulk assignment from the queue"};
	bool moved = false;
	if (db_complaint_move(call->app->db, call->session, &move, &moved) != DB_OK)
		return -1;
	*changed = !moved;
	if (moved)
		log_info("queue: account %lld: complaint %lld %s -> assigned (%s, bulk)",
		         (long long)call->session->account_id, (long long)id, complaint->status, workflow_action_name(action));
	return 0;
}

void queue_bulk_assign(struct call *call)
{
	struct arena *arena = call->request->arena;
	const struct fields *form = &call->request->form;
	int64_t agent = complaints_id(fields_value(form, "agent"));
	const char *agent_name = NULL;
	/* A fresh read of the one agent (never the kept list): a kept list never assigns to a
	 * disabled agent. */
	enum db_status found =
		agent == 0 ? DB_NOT_FOUND : db_agent_active(call->app->db, arena, call->session, agent, &agent_name);
	if (found != DB_OK) {
		render_error(call, found == DB_NOT_FOUND ? 422 : 503,
		             found == DB_NOT_FOUND ? "Please choose an active agent to assign the complaints to."
		                                   : queue_database_down);
		return;
	}
	int64_t ids[QUEUE_BULK_MAX], versions[QUEUE_BULK_MAX];
	size_t selected = 0;
	for (size_t i = 0; i < form->count; i++) {
		if (strcmp(form->items[i].name, "c") != 0)
			continue;
		if (selected == QUEUE_BULK_MAX) {
			render_error(call, 422, "Please assign at most 200 complaints at once.");
			return;
		}
		if (!queue_selected(form->items[i].value, &ids[selected], &versions[selected])) {
			render_error(call, 400, "A selected complaint is not one the queue offered.");
			return;
		}
		selected++;
	}
	if (selected == 0) {
		render_error(call, 422, "Please tick the complaints to assign.");
		return;
	}
	/* The queue to go back to: the filter the form came from, written again by queue_query. */
	struct fields back_fields = {0};
	struct queue_filter back;
	char message[FIELDS_MESSAGE_MAX];
	const char *back_text = fields_value(form, "back");
	if (back_text == NULL ||
	    urlencoded_parse(arena, back_text, strlen(back_text), &back_fields, message) != FIELDS_OK ||
	    queue_parse(arena, &back_fields, &back, message, sizeof(message)) != 0)
		memset(&back, 0, sizeof(back));
	back.way = QUEUE_FIRST;
	struct json_object *data = json_object_new_object();
	struct json_object *changed_list = json_object_new_array();
	size_t assigned = 0, same = 0;
	for (size_t i = 0; i < selected; i++) {
		struct db_complaint complaint;
		bool changed = false;
		int done = queue_assign_one(call, ids[i], versions[i], agent, &complaint, &changed);
		if (done < 0) {
			/* What is done is done (each its own transaction): say how far it went. */
			char text[200];
			snprintf(text, sizeof(text),
			         "The database stopped answering after %zu of the %zu complaints; the rest were not assigned. "
			         "Reload the queue to see where each one is.",
			         assigned + same, selected);
			json_object_put(data);
			json_object_put(changed_list);
			render_error(call, 503, text);
			return;
		}
		if (changed) {
			struct json_object *item = json_object_new_object();
			json_object_object_add(item, "id", json_object_new_int64(ids[i]));
			complaints_add_string(item, "status_label", complaints_label(complaint.status));
			json_object_array_add(changed_list, item);
		} else if (done == 1) {
			same++;
		} else {
			assigned++;
		}
	}
	json_object_object_add(data, "assigned", json_object_new_int64((int64_t)assigned));
	json_object_object_add(data, "same", json_object_new_int64((int64_t)same));
	json_object_object_add(data, "has_same", json_object_new_boolean(same > 0));
	complaints_add_string(data, "agent", agent_name);
	json_object_object_add(data, "has_changed", json_object_new_boolean(json_object_array_length(changed_list) > 0));
	json_object_object_add(data, "changed", changed_list);
	complaints_add_string(data, "back", queue_link(arena, "/admin", &back, QUEUE_FIRST, NULL, 0));
	response_header(call->response, "Cache-Control", "no-store");
	render_page(call, 200, "Bulk assignment", "queue_bulk", data);
}

/* ---- the CSV export ---- */

#define QUEUE_EXPORT_CHUNK 200             /* rows a statement reads: 200 x 16 KiB < librepl's 4 MiB */
#define QUEUE_EXPORT_ARENA (16u << 20)     /* one chunk's memory, freed before the next */
#define QUEUE_EXPORT_TRIES 3               /* reads of one chunk before the file is cut */

/* What the export needs once the handler has returned: the request's arena keeps it. */
struct queue_export_job {
	struct db *db;
	struct db_session session;
	struct queue_filter filter;
};

static const char queue_export_header[] = "\xEF\xBB\xBF" "id,category,status,agent,description,address,lat,lon,"
                                          "filed_at,due_at,changed_at,overdue,reopened\r\n";

/* One chunk's rows as CSV lines (chunk arena). */
static char *queue_export_lines(struct arena *chunk, const struct db_queue_row *rows, size_t count, size_t *len)
{
	size_t size = 1;
	for (size_t i = 0; i < count; i++)
		size += 160 + csv_text_size(rows[i].category) + csv_text_size(rows[i].status) + csv_text_size(rows[i].agent) +
		        csv_text_size(rows[i].description) + csv_text_size(rows[i].address) + 3 * QUEUE_TIME_SIZE + 48;
	char *buf = arena_alloc(chunk, size), *p = buf;
	if (buf == NULL)
		return NULL;
	for (size_t i = 0; i < count; i++) {
		const struct db_queue_row *row = &rows[i];
		p += snprintf(p, 24, "%lld,", (long long)row->id);
		p = csv_text(p, row->category);
		*p++ = ',';
		p = csv_text(p, row->status);
		*p++ = ',';
		p = csv_text(p, row->agent);
		*p++ = ',';
		p = csv_text(p, row->description);
		*p++ = ',';
		p = csv_text(p, row->address);
		*p++ = ',';
		p = csv_number(p, row->lat);
		*p++ = ',';
		p = csv_number(p, row->lon);
		*p++ = ',';
		p = csv_text(p, row->created_at);
		*p++ = ',';
		p = csv_text(p, row->due_at);
		*p++ = ',';
		p = csv_text(p, row->updated_at);
		p += snprintf(p, 16, ",%d,%d\r\n", row->overdue, row->reopened);
	}
	*len = (size_t)(p - buf);
	return buf;
}

/* The body: the header line, then the filter's rows by keyset chunks, each chunk's memory freed
 * before the next is read, so the worker's memory stays flat however many rows there are. */
static int queue_export_stream(void *context, response_write_fn write, void *write_context)
{
	struct queue_export_job *job = context;
	if (write(write_context, queue_export_header, sizeof(queue_export_header) - 1) != 0)
		return -1;
	job->filter.way = QUEUE_FIRST;
	for (;;) {
		struct arena *chunk = NULL;
		struct db_queue_row *rows = NULL;
		size_t count = 0, len = 0;
		bool more = false;
		char *lines = NULL;
		enum db_status status = DB_UNAVAILABLE;
		/* A chunk is a read from a keyset position: reading it again is harmless, and one failed
		 * read (a server's error under load) must not cut a 100,000-row file. */
		for (int tries = 0; status != DB_OK && tries < QUEUE_EXPORT_TRIES; tries++) {
			if (tries > 0)
				log_warn("queue: export: a chunk's read failed (%s); reading it again", db_strerror(status));
			arena_destroy(chunk);
			chunk = arena_create(QUEUE_EXPORT_ARENA);
			rows = chunk != NULL ? arena_calloc(chunk, QUEUE_EXPORT_CHUNK, sizeof(*rows)) : NULL;
			status = rows == NULL ? DB_UNAVAILABLE
			                      : db_queue_page(job->db, chunk, &job->session, &job->filter, QUEUE_EXPORT_CHUNK,
			                                      rows, &count, &more);
		}
		if (status == DB_OK)
			lines = queue_export_lines(chunk, rows, count, &len);
		int written = lines != NULL ? write(write_context, lines, len) : -1;
		if (lines != NULL && count > 0) {
			snprintf(job->filter.key, sizeof(job->filter.key), "%s", rows[count - 1].sort_key);
			job->filter.key_id = rows[count - 1].id;
			job->filter.way = QUEUE_AFTER;
		}
		arena_destroy(chunk);
		if (lines == NULL || written != 0) {
			/* Headers are gone: the file is cut, and its last line says so to whoever opens it. */
			static const char cut[] = "\"the export stopped here: the database did not answer; export again\"\r\n";
			log_warn("queue: export cut: %s", lines == NULL ? db_strerror(status) : "the client went away");
			write(write_context, cut, sizeof(cut) - 1);
			return -1;
		}
		if (!more)
			return 0;
	}
}

void queue_export(struct call *call)
{
	struct queue_filter filter;
	struct db_queue_category categories[QUEUE_CATEGORIES_MAX];
	size_t category_count = 0;
	uint64_t serial = 0;
	if (!queue_filter_of(call, &call->request->query, &filter, categories, &category_count, &serial))
		return;
	/* A capped filter past its cap is refused as its page is: each chunk would sort every candidate. */
	if (db_queue_capped(&filter)) {
		int64_t counts[WORKFLOW_STATES], matched = -1;
		time_t counted_at = 0;
		if (queue_counts(call, &filter, counts, &matched, &counted_at, &serial) != DB_OK) {
			render_error(call, 503, queue_database_down);
			return;
		}
		const char *too_wide = queue_too_wide(call->request->arena, &filter, matched);
		if (too_wide != NULL) {
			render_error(call, 422, too_wide);
			return;
		}
	}
	struct queue_export_job *job = arena_alloc(call->request->arena, sizeof(*job));
	if (job == NULL) {
		render_error(call, 500, "The export could not be started.");
		return;
	}
	job->db = call->app->db;
	job->session = *call->session;
	job->filter = filter;
	response_header(call->response, "Content-Disposition", "attachment; filename=\"complaints.csv\"");
	response_header(call->response, "Cache-Control", "no-store");
	response_stream(call->response, 200, "text/csv; charset=utf-8; header=present", queue_export_stream, job);
	log_info("queue: account %lld: export of [%s]", (long long)call->session->account_id,
	         queue_query(call->request->arena, &filter));
}
