/*
 * multipart.c: the multipart/form-data parser (see multipart.h).
 *
 * The body is walked once: memmem (two-way, linear in glibc and musl) finds each "\r\n--boundary",
 * and a search only ever resumes after the last match, so a hostile body costs O(n) whatever
 * it holds. A match not followed by "--" or CRLF is content that merely looks like a delimiter
 * and the search goes on from the byte after it. Header blocks are read line by line inside a
 * window of LIMIT_PART_HEADERS_MAX bytes. Nothing is copied into the arena until a part has been
 * judged whole and within its caps.
 */
#include "multipart.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "limits.h"
#include "urlencoded.h"

/* Bytes of a field name quoted in a message; the rest becomes "...". */
#define MULTIPART_EXCERPT_MAX 40

struct multipart_param {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
};

/* What the header block of one part said. */
struct multipart_part {
	size_t number;  /* 1-based, for messages */
	bool has_disposition, has_name, has_filename, has_type;
	const char *name, *filename, *type;
	size_t name_len, filename_len, type_len;
};

typedef enum fields_status (*multipart_header_fn)(struct multipart_part *part, const char *value,
                                                  size_t len, char *message);

static bool multipart_tchar(unsigned char c)
{
	static const char punctuation[] = "!#$%&'*+-.^_`|~";
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != '\0' && memchr(punctuation, c, sizeof(punctuation) - 1) != NULL);
}

/* RFC 2046 bchars (space is one too, but not as the last). */
static bool multipart_bchar(unsigned char c)
{
	static const char punctuation[] = "'()+_,-./:=? ";
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != '\0' && memchr(punctuation, c, sizeof(punctuation) - 1) != NULL);
}

static bool multipart_control(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

static bool multipart_is(const char *s, size_t len, const char *word)
{
	return len == strlen(word) && strncasecmp(s, word, len) == 0;
}

static size_t multipart_skip_space(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

/*
 * Reads the next `; name=value` of a header value from *pos: 1 with *param set, 0 at the end,
 * -1 on a syntax error (*pos at the bad byte). With escapes a quoted value may hold RFC 7230
 * quoted-pairs (returned still escaped); without, as browsers write Content-Disposition (they
 * percent-encode '"' and leave '\' alone), it ends at the next '"'.
 */
static int multipart_next_param(const char *s, size_t len, size_t *pos, bool escapes,
                                struct multipart_param *param)
{
	size_t i = multipart_skip_space(s, len, *pos);
	int result = -1;

	if (i == len) {
		result = 0;
		goto out;
	}
	if (s[i] != ';')
		goto out;
	i = multipart_skip_space(s, len, i + 1);
	if (i == len) {
		result = 0;
		goto out;
	}
	param->name = s + i;
	while (i < len && multipart_tchar((unsigned char)s[i]))
		i++;
	param->name_len = (size_t)(s + i - param->name);
	if (param->name_len == 0 || i == len || s[i] != '=')
		goto out;
	i++;
	if (i < len && s[i] == '"') {
		param->value = s + ++i;
		while (i < len && s[i] != '"') {
			if (escapes && s[i] == '\\' && i + 1 < len)
				i++;
			i++;
		}
		if (i == len)
			goto out;
		param->value_len = (size_t)(s + i - param->value);
		i++;
	} else {
		param->value = s + i;
		while (i < len && multipart_tchar((unsigned char)s[i]))
			i++;
		param->value_len = (size_t)(s + i - param->value);
		if (param->value_len == 0)
			goto out;
	}
	result = 1;
out:
	*pos = i;
	return result;
}

enum fields_status multipart_boundary(const char *content_type, size_t len, const char **boundary,
                                      size_t *boundary_len, char *message)
{
	struct multipart_param param;
	const char *found = NULL;
	size_t found_len = 0;
	size_t i = 0;
	int more;

	for (size_t j = 0; j < len; j++)
		if (multipart_control((unsigned char)content_type[j]))
			return fields_fail(message, FIELDS_BAD_SYNTAX,
			                   "control byte at byte %zu of the Content-Type header", j);

	i = multipart_skip_space(content_type, len, 0);
	size_t type_start = i;
	while (i < len && (multipart_tchar((unsigned char)content_type[i]) || content_type[i] == '/'))
		i++;
	if (!multipart_is(content_type + type_start, i - type_start, "multipart/form-data"))
		return fields_fail(message, FIELDS_BAD_SYNTAX, "Content-Type is not multipart/form-data");

	while ((more = multipart_next_param(content_type, len, &i, true, &param)) == 1) {
		if (!multipart_is(param.name, param.name_len, "boundary"))
			continue;
		if (found != NULL)
			return fields_fail(message, FIELDS_BAD_SYNTAX,
			                   "Content-Type has two boundary parameters");
		found = param.value;
		found_len = param.value_len;
	}
	if (more < 0)
		return fields_fail(message, FIELDS_BAD_SYNTAX,
		                   "malformed Content-Type parameters at byte %zu", i);
	if (found == NULL)
		return fields_fail(message, FIELDS_BAD_SYNTAX, "Content-Type has no boundary parameter");
	if (found_len == 0 || found_len > LIMIT_BOUNDARY_MAX)
		return fields_fail(message, FIELDS_BAD_SYNTAX,
		                   "multipart boundary must be 1 to %d characters long",
		                   LIMIT_BOUNDARY_MAX);
	for (size_t j = 0; j < found_len; j++)
		if (!multipart_bchar((unsigned char)found[j]))
			return fields_fail(message, FIELDS_BAD_SYNTAX,
			                   "multipart boundary has a character not allowed by RFC 2046");
	if (found[found_len - 1] == ' ')
		return fields_fail(message, FIELDS_BAD_SYNTAX, "multipart boundary ends in a space");
	*boundary = found;
	*boundary_len = found_len;
	return FIELDS_OK;
}

static enum fields_status multipart_disposition(struct multipart_part *part, const char *value,
                                                size_t len, char *message)
{
	struct multipart_param param;
	size_t i = 0;
	int more;

	if (part->has_disposition)
		return fields_fail(message, FIELDS_BAD_SYNTAX,
		                   "part %zu has two Content-Disposition headers", part->number);
	part->has_disposition = true;
	while (i < len && multipart_tchar((unsigned char)value[i]))
		i++;
	if (!multipart_is(value, i, "form-data"))
		return fields_fail(message, FIELDS_BAD_SYNTAX,
		                   "part %zu: Content-Disposition is not form-data", part->number);
	while ((more = multipart_next_param(value, len, &i, false, &param)) == 1) {
		bool is_name = multipart_is(param.name, param.name_len, "name");
		if (!is_name && !multipart_is(param.name, param.name_len, "filename"))
			continue;
		bool *seen = is_name ? &part->has_name : &part->has_filename;
		if (*seen)
			return fields_fail(message, FIELDS_BAD_SYNTAX,
			                   "part %zu: Content-Disposition has two %s parameters",
			                   part->number, is_name ? "name" : "filename");
		*seen = true;
		if (is_name) {
			part->name = param.value;
			part->name_len = param.value_len;
		} else {
			part->filename = param.value;
			part->filename_len = param.value_len;
		}
	}
	if (more < 0)
		return fields_fail(message, FIELDS_BAD_SYNTAX,
		                   "part %zu: malformed Content-Disposition header", part->number);
	return FIELDS_OK;
}

static enum fields_status multipart_content_type(struct multipart_part *part, const char *value,
                                                 size_t len, char *message)
{
	if (part->has_type)
		return fields_fail(message, FIELDS_BAD_SYNTAX, "part %zu has two Content-Type headers",
		                   part->number);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)value[i] >= 0x80)
			return fields_fail(message, FIELDS_BAD_SYNTAX,
			                   "part %zu: Content-Type is not ASCII", part->number);
	part->has_type = true;
	part->type = value;
	part->type_len = len;
	return FIELDS_OK;
}

/* Part headers we read; others (Content-Transfer-Encoding, which RFC 7578 forbids...) are
 * ignored. */
static const struct {
	const char *name;
	multipart_header_fn parse;
} multipart_headers[] = {
	{"Content-Disposition", multipart_disposition},
	{"Content-Type", multipart_content_type},
};

/* One header line, without its CRLF. */
static enum fields_status multipart_header(struct multipart_part *part, const char *line,
                                           size_t len, char *message)
{
	for (size_t i = 0; i < len; i++)
		if (multipart_control((unsigned char)line[i]))
			return fields_fail(message, FIELDS_BAD_SYNTAX,
			                   "part %zu: control byte in a header line", part->number);
	size_t colon = 0;
	while (colon < len && multipart_tchar((unsigned char)line[colon]))
		colon++;
	if (colon == 0 || colon == len || line[colon] != ':')
		return fields_fail(message, FIELDS_BAD_SYNTAX, "part %zu: malformed header line",
		                   part->number);
	size_t start = multipart_skip_space(line, len, colon + 1);
	size_t end = len;
	while (end > start && (line[end - 1] == ' ' || line[end - 1] == '\t'))
		end--;
	for (size_t i = 0; i < sizeof(multipart_headers) / sizeof(multipart_headers[0]); i++)
		if (multipart_is(line, colon, multipart_headers[i].name))
			return multipart_headers[i].parse(part, line + start, end - start, message);
	return FIELDS_OK;
}

/* Reads the header block at *pos; on success *pos is the first content byte. */
static enum fields_status multipart_headers_read(const char *body, size_t len, size_t *pos,
                                                 struct multipart_part *part, char *message)
{
	size_t start = *pos;
	size_t i = start;
	size_t lines = 0;

	for (;;) {
		if (len - i >= 2 && body[i] == '\r' && body[i + 1] == '\n') {
			*pos = i + 2;
			return FIELDS_OK;
		}
		size_t room = start + LIMIT_PART_HEADERS_MAX - i;
		bool capped = len - i > room;
		const char *newline = memchr(body + i, '\n', capped ? room : len - i);
		if (newline == NULL && capped)
			return fields_fail(message, FIELDS_TOO_LARGE,
			                   "part %zu: headers are too large (over %d bytes)", part->number,
			                   LIMIT_PART_HEADERS_MAX);
		if (newline == NULL)
			return fields_fail(message, FIELDS_BAD_SYNTAX,
			                   "the form data is truncated (inside the headers of part %zu)",
			                   part->number);
		size_t end = (size_t)(newline - body);
		if (end == i || body[end - 1] != '\r')
			return fields_fail(message, FIELDS_BAD_SYNTAX,
			                   "part %zu: header line ends in a bare LF instead of CRLF",
			                   part->number);
		if (++lines > LIMIT_PART_HEADER_LINES_MAX)
			return fields_fail(message, FIELDS_TOO_LARGE,
			                   "part %zu has too many header lines (over %d)", part->number,
			                   LIMIT_PART_HEADER_LINES_MAX);
		if (body[i] == ' ' || body[i] == '\t')
			return fields_fail(message, FIELDS_BAD_SYNTAX,
			                   "part %zu: folded header lines are not allowed", part->number);
		enum fields_status status = multipart_header(part, body + i, end - 1 - i, message);
		if (status != FIELDS_OK)
			return status;
		i = end + 1;
	}
}

/*
 * Whether a delimiter whose boundary ends at body[at] is a real one: followed by "--" (the
 * last, *close set) or by optional spaces and CRLF. *next is the byte after it.
 */
static bool multipart_delimiter_end(const char *body, size_t len, size_t at, bool *close,
                                    size_t *next)
{
	if (len - at >= 2 && body[at] == '-' && body[at + 1] == '-') {
		*close = true;
		*next = at + 2;
		return true;
	}
	at = multipart_skip_space(body, len, at);
	if (len - at >= 2 && body[at] == '\r' && body[at + 1] == '\n') {
		*close = false;
		*next = at + 2;
		return true;
	}
	return false;
}

/* The next "\r\n--boundary" delimiter at or after from: its offset, or len when none. */
static size_t multipart_find(const char *body, size_t len, size_t from, const char *delimiter,
                             size_t delimiter_len, bool *close, size_t *next)
{
	while (from < len) {
		const char *hit = memmem(body + from, len - from, delimiter, delimiter_len);
		if (hit == NULL)
			break;
		size_t at = (size_t)(hit - body);
		if (multipart_delimiter_end(body, len, at + delimiter_len, close, next))
			return at;
		from = at + 1;
	}
	return len;
}

/* `"name"` or `"nam..."`, for messages; name must be UTF-8. */
static void multipart_quote(char *buf, size_t size, const char *name, size_t name_len)
{
	size_t shown = urlencoded_excerpt(name, name_len, MULTIPART_EXCERPT_MAX);
	snprintf(buf, size, "\"%.*s%s\"", (int)shown, name, shown < name_len ? "..." : "");
}

/* Checks the name and filename and strips the filename's directory. */
static enum fields_status multipart_names_check(struct multipart_part *part, char *quoted,
                                                size_t quoted_size, char *message)
{
	size_t at = 0;
	enum urlencoded_error error;

	if (!part->has_disposition)
		return fields_fail(message, FIELDS_BAD_SYNTAX,
		                   "part %zu has no Content-Disposition header", part->number);
	if (!part->has_name)
		return fields_fail(message, FIELDS_BAD_SYNTAX, "part %zu has no name", part->number);
	if (part->name_len == 0)
		return fields_fail(message, FIELDS_BAD_SYNTAX, "part %zu has an empty name",
		                   part->number);
	if (part->name_len > LIMIT_FIELD_NAME_MAX)
		return fields_fail(message, FIELDS_TOO_LARGE,
		                   "part %zu: field name is too long (over %d bytes)", part->number,
		                   LIMIT_FIELD_NAME_MAX);
	error = urlencoded_text_check(part->name, part->name_len, &at);
	if (error != URLENCODED_OK)
		return fields_fail(message, FIELDS_BAD_SYNTAX, "part %zu: field name: %s",
		                   part->number, urlencoded_strerror(error));
	multipart_quote(quoted, quoted_size, part->name, part->name_len);
	if (!part->has_filename)
		return FIELDS_OK;

	if (part->filename_len > LIMIT_FILENAME_MAX)
		return fields_fail(message, FIELDS_TOO_LARGE,
		                   "file name of field %s is too long (over %d bytes)", quoted,
		                   LIMIT_FILENAME_MAX);
	error = urlencoded_text_check(part->filename, part->filename_len, &at);
	if (error != URLENCODED_OK)
		return fields_fail(message, FIELDS_BAD_SYNTAX, "file name of field %s: %s", quoted,
		                   urlencoded_strerror(error));
	/* A tab got through as header whitespace; no control byte may reach a file name. */
	if (memchr(part->filename, '\t', part->filename_len) != NULL)
		return fields_fail(message, FIELDS_BAD_SYNTAX,
		                   "file name of field %s has a control character", quoted);
	for (size_t i = part->filename_len; i > 0; i--) {
		if (part->filename[i - 1] == '/' || part->filename[i - 1] == '\\') {
			part->filename += i;
			part->filename_len -= i;
			break;
		}
	}
	if (multipart_is(part->filename, part->filename_len, ".") ||
	    multipart_is(part->filename, part->filename_len, ".."))
		return fields_fail(message, FIELDS_BAD_SYNTAX, "file name of field %s is not a file name",
		                   quoted);
	return FIELDS_OK;
}

/* Judges the content body[start..end) of a part whose headers are read, and appends it. */
static enum fields_status multipart_part_add(struct arena *arena, const char *body, size_t start,
                                             size_t end, struct multipart_part *part,
                                             size_t file_max, struct fields *out, char *message)
{
	char quoted[MULTIPART_EXCERPT_MAX + 8];
	size_t len = end - start;
	size_t at = 0;

	enum fields_status status = multipart_names_check(part, quoted, sizeof(quoted), message);
	if (status != FIELDS_OK)
		return status;
	if (part->has_filename && len > file_max)
		return fields_fail(message, FIELDS_TOO_LARGE, "file %s is too large (over %zu bytes)",
		                   quoted, file_max);
	if (!part->has_filename) {
		if (len > LIMIT_FIELD_VALUE_MAX)
			return fields_fail(message, FIELDS_TOO_LARGE, "field %s is too long (over %d bytes)",
			                   quoted, LIMIT_FIELD_VALUE_MAX);
		enum urlencoded_error error = urlencoded_text_check(body + start, len, &at);
		if (error != URLENCODED_OK)
			return fields_fail(message, FIELDS_BAD_SYNTAX, "field %s at byte %zu: %s", quoted,
			                   start + at, urlencoded_strerror(error));
	}

	const char *default_type = part->has_filename ? "application/octet-stream" : "text/plain";
	struct field field = {
		.name = arena_strndup(arena, part->name, part->name_len),
		.name_len = part->name_len,
		.value = arena_strndup(arena, body + start, len),
		.value_len = len,
		.filename = part->has_filename
		                ? arena_strndup(arena, part->filename, part->filename_len)
		                : NULL,
		.content_type = part->type_len > 0 ? arena_strndup(arena, part->type, part->type_len)
		                                   : default_type,
	};
	if (field.name == NULL || field.value == NULL || field.content_type == NULL ||
	    (part->has_filename && field.filename == NULL))
		return fields_fail(message, FIELDS_NO_MEMORY, "out of memory");
	status = fields_append(arena, out, LIMIT_FIELDS_MAX, &field);
	if (status == FIELDS_TOO_MANY)
		return fields_fail(message, status, "too many parts (at most %d)", LIMIT_FIELDS_MAX);
	if (status != FIELDS_OK)
		return fields_fail(message, status, "out of memory");
	return FIELDS_OK;
}

enum fields_status multipart_parse(struct arena *arena, const char *body, size_t len,
                                   const char *boundary, size_t boundary_len, size_t file_max,
                                   struct fields *out, char *message)
{
	char delimiter[4 + LIMIT_BOUNDARY_MAX];
	size_t delimiter_len = 4 + boundary_len;
	size_t pos = 0, next = 0;
	bool close = false;

	if (boundary == NULL || boundary_len == 0 || boundary_len > LIMIT_BOUNDARY_MAX)
		return fields_fail(message, FIELDS_BAD_SYNTAX, "invalid multipart boundary");
	memcpy(delimiter, "\r\n--", 4);
	memcpy(delimiter + 4, boundary, boundary_len);

	/* The first delimiter may open the body without the CRLF that belongs to it. */
	if (len >= delimiter_len - 2 && memcmp(body, delimiter + 2, delimiter_len - 2) == 0 &&
	    multipart_delimiter_end(body, len, delimiter_len - 2, &close, &next)) {
		pos = next;
	} else {
		if (multipart_find(body, len, 0, delimiter, delimiter_len, &close, &next) == len)
			return fields_fail(message, FIELDS_BAD_SYNTAX,
			                   "the form data has no multipart boundary (truncated?)");
		pos = next;
	}

	for (size_t number = 1; !close; number++) {
		struct multipart_part part = {.number = number};
		if (out->count >= LIMIT_FIELDS_MAX)
			return fields_fail(message, FIELDS_TOO_MANY, "too many parts (at most %d)",
			                   LIMIT_FIELDS_MAX);
		enum fields_status status = multipart_headers_read(body, len, &pos, &part, message);
		if (status != FIELDS_OK)
			return status;
		size_t end = multipart_find(body, len, pos, delimiter, delimiter_len, &close, &next);
		if (end == len)
			return fields_fail(message, FIELDS_BAD_SYNTAX,
			                   "the form data is truncated (no closing boundary after part %zu)",
			                   number);
		status = multipart_part_add(arena, body, pos, end, &part, file_max, out, message);
		if (status != FIELDS_OK)
			return status;
		pos = next;
	}
	return FIELDS_OK;
}
