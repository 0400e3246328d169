/*
 * multipart.c: the multipart/form-data parser (see multipart.h).
 *
 * The body is read once, through a window of the arena sized for one part at its cap (headers,
 * content, and the bytes after a boundary that decide whether it is a delimiter). The window is
 * always filled to the full or to the body's end before anything is judged, so what the parser
 * answers never depends on how the reader chunks the body. memmem (two-way, linear in glibc and
 * musl) finds each "\r\n--boundary", and a search only ever resumes after the last match or the
 * last candidate it could judge, so a hostile body costs O(n) whatever it holds. A match not
 * followed by "--" or padding and CRLF is content that merely looks like a delimiter and the
 * search goes on from the byte after it. Header blocks are read line by line inside
 * LIMIT_PART_HEADERS_MAX bytes. A file part that outgrows file_max is not refused: its bytes are
 * dropped from the window as they come and it is appended empty and flagged (over_limit), so the
 * form's other fields still arrive; a text part over LIMIT_FIELD_VALUE_MAX refuses the form.
 * Nothing is copied into the arena until a part has been judged whole and within its caps.
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
/* Bytes after a boundary that decide whether it ends a delimiter: the padding and its CRLF. */
#define MULTIPART_LOOKAHEAD (LIMIT_BOUNDARY_PADDING_MAX + 2)

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
 * last, *close set) or by at most LIMIT_BOUNDARY_PADDING_MAX spaces and CRLF. *next is the byte
 * after it. It never looks further than MULTIPART_LOOKAHEAD bytes past at, so a reader that
 * holds that many bytes beyond a candidate (or the end of the body) judges it as the whole
 * body would.
 */
static bool multipart_delimiter_end(const char *body, size_t len, size_t at, bool *close,
                                    size_t *next)
{
	if (len - at >= 2 && body[at] == '-' && body[at + 1] == '-') {
		*close = true;
		*next = at + 2;
		return true;
	}
	size_t padded = len - at > LIMIT_BOUNDARY_PADDING_MAX ? at + LIMIT_BOUNDARY_PADDING_MAX : len;
	at = multipart_skip_space(body, padded, at);
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

/* The body as it is read: a window buf[0..len) of at most cap bytes, at body offset `offset`. */
struct multipart_stream {
	multipart_read_fn read;
	void *context;
	size_t left;      /* body bytes not read yet */
	char *buf;
	size_t cap, len;
	size_t offset;    /* the body offset of buf[0], for messages */
};

/* Reads until the window is full or the body is all read: the window's bytes never depend on
 * how the reader chunks the body. */
static enum fields_status multipart_fill(struct multipart_stream *s, char *message)
{
	while (s->left > 0 && s->len < s->cap) {
		size_t want = s->cap - s->len < s->left ? s->cap - s->len : s->left;
		ssize_t n = s->read(s->context, s->buf + s->len, want);
		if (n <= 0 || (size_t)n > want)
			return fields_fail(message, FIELDS_BAD_SYNTAX, "the request body ended early");
		s->len += (size_t)n;
		s->left -= (size_t)n;
	}
	return FIELDS_OK;
}

/* Forgets the window's first n bytes. */
static void multipart_drop(struct multipart_stream *s, size_t n)
{
	memmove(s->buf, s->buf + n, s->len - n);
	s->len -= n;
	s->offset += n;
}

/* Where the next search for a delimiter must start once one from `from` found none in the
 * window: a candidate closer to the window's end than a delimiter and its lookahead is not
 * judged yet. */
static size_t multipart_resume(const struct multipart_stream *s, size_t from, size_t delimiter_len)
{
	size_t tail = delimiter_len + MULTIPART_LOOKAHEAD;
	size_t safe = s->len >= tail ? s->len - tail + 1 : 0;
	return safe > from ? safe : from;
}

/* The field a text part over LIMIT_FIELD_VALUE_MAX gets: refused, as the whole form. */
static enum fields_status multipart_text_too_long(const char *quoted, char *message)
{
	return fields_fail(message, FIELDS_TOO_LARGE, "field %s is too long (over %d bytes)", quoted,
	                   LIMIT_FIELD_VALUE_MAX);
}

/*
 * Judges the content of a part whose headers are read (len bytes at body offset `offset`) and
 * appends it; a file part over file_max (over_limit, its bytes already dropped) is appended
 * empty and flagged.
 */
static enum fields_status multipart_part_add(struct arena *arena, const char *content, size_t len,
                                             size_t offset, struct multipart_part *part,
                                             size_t file_max, bool over_limit,
                                             struct fields *out, char *message)
{
	char quoted[MULTIPART_EXCERPT_MAX + 8];
	size_t at = 0;

	enum fields_status status = multipart_names_check(part, quoted, sizeof(quoted), message);
	if (status != FIELDS_OK)
		return status;
	if (part->has_filename && len > file_max)
		over_limit = true;
	if (over_limit) {
		if (!part->has_filename)
			return multipart_text_too_long(quoted, message);
		content = "";
		len = 0;
	}
	if (!part->has_filename) {
		if (len > LIMIT_FIELD_VALUE_MAX)
			return multipart_text_too_long(quoted, message);
		enum urlencoded_error error = urlencoded_text_check(content, len, &at);
		if (error != URLENCODED_OK)
			return fields_fail(message, FIELDS_BAD_SYNTAX, "field %s at byte %zu: %s", quoted,
			                   offset + at, urlencoded_strerror(error));
	}

	const char *default_type = part->has_filename ? "application/octet-stream" : "text/plain";
	struct field field = {
		.name = arena_strndup(arena, part->name, part->name_len),
		.name_len = part->name_len,
		.value = arena_strndup(arena, content, len),
		.value_len = len,
		.filename = part->has_filename
		                ? arena_strndup(arena, part->filename, part->filename_len)
		                : NULL,
		.content_type = part->type_len > 0 ? arena_strndup(arena, part->type, part->type_len)
		                                   : default_type,
		.over_limit = over_limit,
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

/* Moves what the part's headers said out of the window, which is about to be overwritten. */
static enum fields_status multipart_part_keep(struct arena *arena, struct multipart_part *part,
                                              char *message)
{
	const char **texts[] = {&part->name, &part->filename, &part->type};
	const size_t lens[] = {part->name_len, part->filename_len, part->type_len};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		if (*texts[i] == NULL)
			continue;
		*texts[i] = arena_strndup(arena, *texts[i], lens[i]);
		if (*texts[i] == NULL)
			return fields_fail(message, FIELDS_NO_MEMORY, "out of memory");
	}
	return FIELDS_OK;
}

/*
 * Finds the end of the part whose content starts at window offset pos, reading on as needed:
 * *end is its delimiter's offset in the window (its content is buf[pos..*end) when *dropped is
 * 0). A part that outgrows limit is over it: a text part is refused there; a file part's bytes
 * are dropped as they come, *dropped counting them, until its delimiter arrives.
 */
static enum fields_status multipart_part_end(struct arena *arena, struct multipart_stream *s,
                                             size_t pos,
                                             struct multipart_part *part, size_t limit,
                                             const char *delimiter, size_t delimiter_len,
                                             bool *close, size_t *next, size_t *end,
                                             size_t *dropped, char *message)
{
	char quoted[MULTIPART_EXCERPT_MAX + 8];
	size_t from = pos;
	*dropped = 0;
	for (;;) {
		*end = multipart_find(s->buf, s->len, from, delimiter, delimiter_len, close, next);
		if (*end < s->len)
			return FIELDS_OK;
		if (s->left == 0)
			return fields_fail(message, FIELDS_BAD_SYNTAX,
			                   "the form data is truncated (no closing boundary after part %zu)",
			                   part->number);
		/* The window is full and the part goes on past it. */
		from = multipart_resume(s, from, delimiter_len);
		if (*dropped + (from - pos) <= limit)   /* the window is made larger than any cap */
			return fields_fail(message, FIELDS_NO_MEMORY, "out of memory");
		if (!part->has_filename) {
			enum fields_status status =
				multipart_names_check(part, quoted, sizeof(quoted), message);
			return status != FIELDS_OK ? status : multipart_text_too_long(quoted, message);
		}
		enum fields_status status = *dropped == 0 ? multipart_part_keep(arena, part, message)
		                                          : FIELDS_OK;
		if (status != FIELDS_OK)
			return status;
		*dropped += from - pos;
		multipart_drop(s, from);
		pos = from = 0;
		status = multipart_fill(s, message);
		if (status != FIELDS_OK)
			return status;
	}
}

/* The body's opening delimiter: *pos is the first byte of part 1's headers. */
static enum fields_status multipart_open(struct multipart_stream *s, const char *delimiter,
                                         size_t delimiter_len, bool *close, size_t *pos,
                                         char *message)
{
	/* The first delimiter may open the body without the CRLF that belongs to it. */
	if (s->len >= delimiter_len - 2 && memcmp(s->buf, delimiter + 2, delimiter_len - 2) == 0 &&
	    multipart_delimiter_end(s->buf, s->len, delimiter_len - 2, close, pos))
		return FIELDS_OK;
	size_t from = 0;
	for (;;) {
		if (multipart_find(s->buf, s->len, from, delimiter, delimiter_len, close, pos) < s->len)
			return FIELDS_OK;
		if (s->left == 0)
			return fields_fail(message, FIELDS_BAD_SYNTAX,
			                   "the form data has no multipart boundary (truncated?)");
		/* A long preamble: dropped as it comes. */
		from = multipart_resume(s, from, delimiter_len);
		multipart_drop(s, from);
		from = 0;
		enum fields_status status = multipart_fill(s, message);
		if (status != FIELDS_OK)
			return status;
	}
}

enum fields_status multipart_read(struct arena *arena, multipart_read_fn read, void *context,
                                  size_t len, const char *boundary, size_t boundary_len,
                                  size_t file_max, struct fields *out, char *message)
{
	char delimiter[4 + LIMIT_BOUNDARY_MAX];
	size_t delimiter_len = 4 + boundary_len;
	size_t pos = 0, next = 0;
	bool close = false;

	if (boundary == NULL || boundary_len == 0 || boundary_len > LIMIT_BOUNDARY_MAX)
		return fields_fail(message, FIELDS_BAD_SYNTAX, "invalid multipart boundary");
	memcpy(delimiter, "\r\n--", 4);
	memcpy(delimiter + 4, boundary, boundary_len);

	/* The window holds a part's headers, its content up to its cap, and enough beyond to judge
	 * the delimiter after it. */
	size_t value_max = file_max > LIMIT_FIELD_VALUE_MAX ? file_max : LIMIT_FIELD_VALUE_MAX;
	if (value_max > len)
		value_max = len;   /* no part is longer than the body (and no sum below overflows) */
	struct multipart_stream s = {
		.read = read,
		.context = context,
		.left = len,
		.cap = LIMIT_PART_HEADERS_MAX + 2 + value_max + delimiter_len + MULTIPART_LOOKAHEAD + 1,
	};
	if (s.cap > len)
		s.cap = len > delimiter_len + MULTIPART_LOOKAHEAD ? len : delimiter_len + MULTIPART_LOOKAHEAD;
	s.buf = arena_alloc(arena, s.cap + 1);
	if (s.buf == NULL)
		return fields_fail(message, FIELDS_NO_MEMORY, "out of memory");

	enum fields_status status = multipart_fill(&s, message);
	if (status == FIELDS_OK)
		status = multipart_open(&s, delimiter, delimiter_len, &close, &pos, message);
	for (size_t number = 1; status == FIELDS_OK && !close; number++) {
		struct multipart_part part = {.number = number};
		size_t end = 0, dropped = 0;
		if (out->count >= LIMIT_FIELDS_MAX)
			return fields_fail(message, FIELDS_TOO_MANY, "too many parts (at most %d)",
			                   LIMIT_FIELDS_MAX);
		multipart_drop(&s, pos);
		pos = 0;
		status = multipart_fill(&s, message);
		if (status == FIELDS_OK)
			status = multipart_headers_read(s.buf, s.len, &pos, &part, message);
		if (status == FIELDS_OK)
			status = multipart_part_end(arena, &s, pos, &part,
			                            part.has_filename ? file_max : LIMIT_FIELD_VALUE_MAX,
			                            delimiter, delimiter_len, &close, &next, &end,
			                            &dropped, message);
		if (status == FIELDS_OK)
			status = multipart_part_add(arena, s.buf + pos, end - pos, s.offset + pos, &part,
			                            file_max, dropped > 0, out, message);
		pos = next;
	}
	/* The epilogue is ignored, but read: the whole body is the request's. */
	while (status == FIELDS_OK && s.left > 0) {
		s.len = 0;
		status = multipart_fill(&s, message);
	}
	return status;
}

/* Hands out a body held in memory, as a reader would. */
struct multipart_memory {
	const char *body;
	size_t len, pos;
};

static ssize_t multipart_memory_read(void *context, char *buf, size_t len)
{
	struct multipart_memory *memory = context;
	size_t n = memory->len - memory->pos < len ? memory->len - memory->pos : len;
	memcpy(buf, memory->body + memory->pos, n);
	memory->pos += n;
	return (ssize_t)n;
}

enum fields_status multipart_parse(struct arena *arena, const char *body, size_t len,
                                   const char *boundary, size_t boundary_len, size_t file_max,
                                   struct fields *out, char *message)
{
	struct multipart_memory memory = {.body = body, .len = len};
	return multipart_read(arena, multipart_memory_read, &memory, len, boundary, boundary_len,
	                      file_max, out, message);
}
