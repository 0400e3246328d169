/*
 * queue.c: the admin's queue's filter (see queue.h): its URL's fields checked one by one against a
 * table of {name, parser}, a refusal naming the field, and the filter written back as a query
 * string for the page's links, the pager and the export.
 */
#include "core/queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "core/workflow.h"
#include "fields.h"

#define QUEUE_TEXT_BYTES_MAX 200
#define QUEUE_WORD_CHARS_MIN 3      /* InnoDB's innodb_ft_min_token_size: shorter words are not indexed */

static const char *const queue_sort_names[] = {
	[QUEUE_SORT_DUE] = "due", [QUEUE_SORT_FILED] = "filed", [QUEUE_SORT_CHANGED] = "changed"};

const char *queue_sort_name(enum queue_sort sort)
{
	return (size_t)sort < QUEUE_SORTS ? queue_sort_names[sort] : "due";
}

unsigned queue_statuses(const struct queue_filter *filter)
{
	unsigned all = (1u << WORKFLOW_STATES) - 1;
	unsigned statuses = filter->statuses != 0 ? filter->statuses : all;
	return filter->overdue ? statuses & QUEUE_OPEN_STATUSES : statuses;
}

static bool queue_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* "YYYY-MM-DD" with a month and day that exist in some year. */
static bool queue_date_ok(const char *s)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !queue_digits(s, 4) || !queue_digits(s + 5, 2) ||
	    !queue_digits(s + 8, 2))
		return false;
	int month = (s[5] - '0') * 10 + (s[6] - '0'), day = (s[8] - '0') * 10 + (s[9] - '0');
	return s[0] != '0' && month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

/* "YYYY-MM-DD HH:MM:SS.mmm,ID": a keyset position as the page's links write it. */
static bool queue_key_parse(const char *s, struct queue_filter *filter)
{
	const char *comma = strchr(s, ',');
	if (comma == NULL || comma - s != QUEUE_TIME_SIZE - 1 || strlen(comma + 1) < 1 || strlen(comma + 1) > 18 ||
	    !queue_digits(comma + 1, strlen(comma + 1)))
		return false;
	char date[QUEUE_DATE_SIZE];
	memcpy(date, s, 10);
	date[10] = '\0';
	if (!queue_date_ok(date) || s[10] != ' ' || s[13] != ':' || s[16] != ':' || s[19] != '.' ||
	    !queue_digits(s + 11, 2) || !queue_digits(s + 14, 2) || !queue_digits(s + 17, 2) || !queue_digits(s + 20, 3))
		return false;
	memcpy(filter->key, s, QUEUE_TIME_SIZE - 1);
	filter->key[QUEUE_TIME_SIZE - 1] = '\0';
	filter->key_id = strtoll(comma + 1, NULL, 10);
	return filter->key_id > 0;
}

/* Splits the search into words: runs of letters and digits (any non-ASCII byte counts as a letter,
 * so every script is kept); ASCII punctuation, which includes the boolean operators of MATCH, only
 * separates. */
static int queue_words(struct arena *arena, const char *text, struct queue_filter *filter, char *message,
                       size_t size)
{
	size_t len = strlen(text);
	if (len > QUEUE_TEXT_BYTES_MAX) {
		snprintf(message, size, "The search is too long: at most %d characters.", QUEUE_TEXT_BYTES_MAX);
		return -1;
	}
	for (size_t i = 0; i < len;) {
		while (i < len && (unsigned char)text[i] < 0x80 && !(text[i] >= '0' && text[i] <= '9') &&
		       !((text[i] | 0x20) >= 'a' && (text[i] | 0x20) <= 'z'))
			i++;
		size_t start = i, chars = 0;
		while (i < len && ((unsigned char)text[i] >= 0x80 || (text[i] >= '0' && text[i] <= '9') ||
		                   ((text[i] | 0x20) >= 'a' && (text[i] | 0x20) <= 'z'))) {
			chars += ((unsigned char)text[i] & 0xC0) != 0x80;
			i++;
		}
		if (i == start || chars < QUEUE_WORD_CHARS_MIN)
			continue;
		if (filter->word_count == QUEUE_WORDS_MAX || i - start > QUEUE_WORD_BYTES_MAX) {
			snprintf(message, size, "Please search for at most %d words of up to %d letters.", QUEUE_WORDS_MAX,
			         QUEUE_WORD_BYTES_MAX / 2);
			return -1;
		}
		if ((filter->words[filter->word_count++] = arena_strndup(arena, text + start, i - start)) == NULL)
			return -1;
	}
	if (len > 0 && filter->word_count == 0) {
		snprintf(message, size, "Please search for words of at least %d letters.", QUEUE_WORD_CHARS_MIN);
		return -1;
	}
	return 0;
}

int queue_parse(struct arena *arena, const struct fields *query, struct queue_filter *filter, char *message,
                size_t message_size)
{
	memset(filter, 0, sizeof(*filter));
	for (size_t i = 0; i < query->count; i++) {
		const struct field *field = &query->items[i];
		const char *name = field->name, *value = field->value;
		enum workflow_state state;
		if (value[0] == '\0')
			continue;  /* an empty select or box of the GET form: no bound */
		if (strcmp(name, "status") == 0) {
			if (!workflow_state_parse(value, &state))
				goto bad;
			filter->statuses |= 1u << state;
		} else if (strcmp(name, "category") == 0) {
			size_t n = strlen(value);
			if (n > 40 || strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789_-") != n)
				goto bad;
			filter->category = value;
		} else if (strcmp(name, "agent") == 0) {
			if (strcmp(value, "none") == 0)
				filter->unassigned = true;
			else if (strlen(value) <= 18 && queue_digits(value, strlen(value)) && strtoll(value, NULL, 10) > 0)
				filter->agent_id = strtoll(value, NULL, 10);
			else
				goto bad;
		} else if (strcmp(name, "overdue") == 0 || strcmp(name, "reopened") == 0) {
			if (strcmp(value, "1") != 0)
				goto bad;
			*(name[0] == 'o' ? &filter->overdue : &filter->reopened) = true;
		} else if (strcmp(name, "from") == 0 || strcmp(name, "to") == 0) {
			if (!queue_date_ok(value))
				goto bad;
			snprintf(name[0] == 'f' ? filter->from : filter->to, QUEUE_DATE_SIZE, "%s", value);
		} else if (strcmp(name, "q") == 0) {
			filter->text = value;
			if (queue_words(arena, value, filter, message, message_size) != 0)
				return -1;
		} else if (strcmp(name, "sort") == 0) {
			size_t s = 0;
			while (s < QUEUE_SORTS && strcmp(value, queue_sort_names[s]) != 0)
				s++;
			if (s == QUEUE_SORTS)
				goto bad;
			filter->sort = (enum queue_sort)s;
		} else if (strcmp(name, "after") == 0 || strcmp(name, "before") == 0) {
			if (filter->way != QUEUE_FIRST || !queue_key_parse(value, filter))
				goto bad;
			filter->way = name[0] == 'a' ? QUEUE_AFTER : QUEUE_BEFORE;
		} else if (strcmp(name, "as_of") == 0) {
			if (strlen(value) > 15 || !queue_digits(value, strlen(value)))
				goto bad;
			filter->as_of = strtoll(value, NULL, 10);
		}
		continue;  /* other fields (a form's button) are not the filter's */
	bad:
		snprintf(message, message_size, "The queue's filter has a %s it does not know: %.60s", name, value);
		return -1;
	}
	if (filter->from[0] != '\0' && filter->to[0] != '\0' && strcmp(filter->from, filter->to) > 0) {
		snprintf(message, message_size, "The first filing date is after the second one.");
		return -1;
	}
	if (filter->agent_id != 0 && filter->unassigned) {
		snprintf(message, message_size, "A complaint cannot be both unassigned and with an agent.");
		return -1;
	}
	return 0;
}

/* Appends name=value, value percent-encoded, to buf. */
static void queue_append(char *buf, size_t size, const char *name, const char *value)
{
	size_t used = strlen(buf);
	int n = snprintf(buf + used, size - used, "%s%s=", used > 0 ? "&" : "", name);
	if (n < 0 || (size_t)n >= size - used)
		return;
	used += (size_t)n;
	for (const unsigned char *p = (const unsigned char *)value; *p != '\0' && used + 4 < size; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-_.~", *p) != NULL)
			buf[used++] = (char)*p;
		else
			used += (size_t)snprintf(buf + used, size - used, "%%%02X", *p);
	}
	buf[used] = '\0';
}

const char *queue_query(struct arena *arena, const struct queue_filter *filter)
{
	size_t size = 1024;
	char *buf = arena_alloc(arena, size);
	if (buf == NULL)
		return "";
	buf[0] = '\0';
	for (int s = 0; s < WORKFLOW_STATES; s++)
		if (filter->statuses & (1u << s))
			queue_append(buf, size, "status", workflow_state_name((enum workflow_state)s));
	if (filter->category != NULL)
		queue_append(buf, size, "category", filter->category);
	if (filter->unassigned)
		queue_append(buf, size, "agent", "none");
	if (filter->agent_id != 0) {
		char id[24];
		snprintf(id, sizeof(id), "%lld", (long long)filter->agent_id);
		queue_append(buf, size, "agent", id);
	}
	if (filter->overdue)
		queue_append(buf, size, "overdue", "1");
	if (filter->reopened)
		queue_append(buf, size, "reopened", "1");
	if (filter->from[0] != '\0')
		queue_append(buf, size, "from", filter->from);
	if (filter->to[0] != '\0')
		queue_append(buf, size, "to", filter->to);
	if (filter->text != NULL && filter->text[0] != '\0')
		queue_append(buf, size, "q", filter->text);
	if (filter->sort != QUEUE_SORT_DUE)
		queue_append(buf, size, "sort", queue_sort_name(filter->sort));
	return buf;
}

const char *queue_link(struct arena *arena, const char *path, const struct queue_filter *filter, enum queue_way way,
                       const char *key, int64_t id)
{
	const char *query = queue_query(arena, filter);
	size_t size = strlen(path) + strlen(query) + 128;
	char *link = arena_alloc(arena, size);
	if (link == NULL)
		return path;
	snprintf(link, size, "%s?%s", path, query);
	if (way != QUEUE_FIRST && key != NULL) {
		char position[QUEUE_TIME_SIZE + 24];
		snprintf(position, sizeof(position), "%s,%lld", key, (long long)id);
		queue_append(link + strlen(path) + 1, size - strlen(path) - 1, way == QUEUE_AFTER ? "after" : "before",
		             position);
		if (filter->as_of > 0) {
			snprintf(position, sizeof(position), "%lld", (long long)filter->as_of);
			queue_append(link + strlen(path) + 1, size - strlen(path) - 1, "as_of", position);
		}
	}
	size_t len = strlen(link);
	if (link[len - 1] == '?')
		link[len - 1] = '\0';
	return link;
}
