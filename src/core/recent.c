/*
 * recent.c: a process's table of recent answers (see recent.h). Lookups are a linear scan of a
 * hundred-odd keys' hashes (the queue's keys share long prefixes, so a strcmp each would cost),
 * nothing next to the database round trip an entry saves; a full table gives up the entry read
 * longest ago, which past its age is of no use anyway.
 */
#include "core/recent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct recent {
	struct recent_entry *entries;
	size_t slots;
	uint64_t stored;  /* answers stored so far: the next one's serial is this plus one */
};

static uint64_t recent_hash(const char *key)
{
	uint64_t hash = 14695981039346656037ull;
	for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++)
		hash = (hash ^ *p) * 1099511628211ull;
	return hash;
}

struct recent *recent_new(size_t slots)
{
	struct recent *recent = calloc(1, sizeof(*recent));
	if (recent == NULL || slots == 0)
		goto fail;
	recent->entries = calloc(slots, sizeof(*recent->entries));
	if (recent->entries == NULL)
		goto fail;
	recent->slots = slots;
	return recent;
fail:
	free(recent);
	return NULL;
}

void recent_free(struct recent *recent)
{
	if (recent == NULL)
		return;
	for (size_t i = 0; i < recent->slots; i++)
		free(recent->entries[i].value);
	free(recent->entries);
	free(recent);
}

static struct recent_entry *recent_slot(const struct recent *recent, const char *key, uint64_t hash)
{
	for (size_t i = 0; i < recent->slots; i++)
		if (recent->entries[i].value != NULL && recent->entries[i].hash == hash &&
		    strcmp(recent->entries[i].key, key) == 0)
			return &recent->entries[i];
	return NULL;
}

const struct recent_entry *recent_find(const struct recent *recent, const char *key, int64_t now_ms,
                                       int64_t max_age_ms)
{
	if (recent == NULL || key == NULL)
		return NULL;
	const struct recent_entry *entry = recent_slot(recent, key, recent_hash(key));
	if (entry == NULL || now_ms - entry->at_ms > max_age_ms || now_ms < entry->at_ms)
		return NULL;
	return entry;
}

const struct recent_entry *recent_store(struct recent *recent, const char *key, const void *value, size_t len,
                                        int64_t now_ms, time_t at, const char *seen)
{
	if (recent == NULL || key == NULL || strlen(key) >= RECENT_KEY_MAX || seen == NULL ||
	    strlen(seen) >= RECENT_SEEN_MAX || len > RECENT_VALUE_MAX)
		return NULL;
	void *copy = malloc(len > 0 ? len : 1);
	if (copy == NULL)
		return NULL;
	memcpy(copy, value, len);
	uint64_t hash = recent_hash(key);
	struct recent_entry *entry = recent_slot(recent, key, hash);
	for (size_t i = 0; entry == NULL && i < recent->slots; i++)
		if (recent->entries[i].value == NULL)
			entry = &recent->entries[i];
	if (entry == NULL) {
		entry = &recent->entries[0];
		for (size_t i = 1; i < recent->slots; i++)
			if (recent->entries[i].at_ms < entry->at_ms)
				entry = &recent->entries[i];
	}
	free(entry->value);
	snprintf(entry->key, sizeof(entry->key), "%s", key);
	snprintf(entry->seen, sizeof(entry->seen), "%s", seen);
	entry->value = copy;
	entry->len = len;
	entry->at_ms = now_ms;
	entry->at = at;
	entry->hash = hash;
	entry->serial = ++recent->stored;
	return entry;
}
