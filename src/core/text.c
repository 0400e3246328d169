/*
 * text.c: trimming and counting the text of forms (see text.h).
 */
#include "text.h"

#include <string.h>

#include "arena.h"

const char *text_trimmed(struct arena *arena, const char *value)
{
	if (value == NULL)
		return "";
	size_t len = strlen(value);
	while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t' || value[len - 1] == '\r' ||
	                   value[len - 1] == '\n'))
		len--;
	while (len > 0 && (*value == ' ' || *value == '\t' || *value == '\r' || *value == '\n')) {
		value++;
		len--;
	}
	const char *copy = arena_strndup(arena, value, len);
	return copy != NULL ? copy : "";
}

const char *text_newlines(struct arena *arena, const char *value)
{
	if (value == NULL)
		return "";
	size_t len = strlen(value);
	char *out = arena_alloc(arena, len + 1);
	if (out == NULL)
		return "";
	size_t used = 0;
	for (size_t i = 0; i < len; i++) {
		if (value[i] == '\r') {
			out[used++] = '\n';
			if (i + 1 < len && value[i + 1] == '\n')
				i++;
			continue;
		}
		out[used++] = value[i];
	}
	out[used] = '\0';
	return out;
}

/* U+2028..U+202E (line and paragraph separators, bidirectional embeddings and overrides) and
 * U+2066..U+2069 (bidirectional isolates): invisible, and able to make a name or a description
 * read differently from what it holds (the "Trojan Source" trick), on a page an agent or admin
 * acts on. */
static bool text_is_format_control(const unsigned char *p)
{
	return p[0] == 0xe2 && ((p[1] == 0x80 && p[2] >= 0xa8 && p[2] <= 0xae) || (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9));
}

long text_characters(const char *s, bool allow_newlines)
{
	long count = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		bool newline = *p == '\n' || *p == '\r' || *p == '\t';
		bool control = *p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) ||
		               text_is_format_control(p);
		if (control && !(newline && allow_newlines))
			return -1;
		count += (*p & 0xc0) != 0x80;
	}
	return count;
}
