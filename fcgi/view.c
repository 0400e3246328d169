/*
 * view.c: the Mustache compiler and renderer (see view.h).
 *
 * view_add turns a template into a flat array of nodes: text runs (offsets into the template's
 * own copy of its text), values, sections (which know the index just past their body, so the
 * renderer skips or repeats a body without searching for its close tag) and partials (resolved to
 * a template index as soon as both exist). Everything the spec decides by looking at the source —
 * set-delimiter tags, standalone lines, close-tag matching, dotted names split into NUL-terminated
 * keys for json-c — is settled there, once. The renderer then only walks nodes, looks names up in
 * a fixed-size context stack and appends to one output buffer grown in the request's arena.
 * Indentation of standalone partials is the one thing that depends on the call site, so it is
 * applied while rendering: the open partials' indents are kept as a stack of slices and written
 * at the start of each template line.
 */
#include "view.h"

#include "arena.h"
#include "limits.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define VIEW_EXTENSION ".mustache"
#define VIEW_QUOTE_MAX 40  /* bytes of a tag's text quoted in a message */

enum view_node_kind {
	VIEW_NODE_TEXT,
	VIEW_NODE_ESCAPED,
	VIEW_NODE_RAW,
	VIEW_NODE_SECTION,
	VIEW_NODE_INVERTED,
	VIEW_NODE_PARTIAL,
};

struct view_node {
	enum view_node_kind kind;
	unsigned line;
	/* TEXT: its bytes; SECTION/INVERTED: the name as written (for the close tag);
	 * PARTIAL: the indent of a standalone partial (len 0 otherwise). Offsets into src. */
	size_t off, len;
	/* ESCAPED/RAW/SECTION/INVERTED: key_count NUL-terminated segments from keys + key
	 * (key_count 0 is "."); PARTIAL: the partial's name at keys + key. */
	size_t key, key_count;
	size_t end;     /* SECTION/INVERTED: index of the first node after the body */
	size_t target;  /* PARTIAL: index + 1 of the template in the view, 0 while it has none */
};

struct view_template {
	char *name;
	char *src;
	size_t src_len;
	struct view_node *nodes;
	size_t node_count, node_cap;
	char *keys;
	size_t keys_len, keys_cap;
};

struct view {
	struct view_template **templates;
	size_t count, cap;
};

static const char *const view_messages[] = {
	[VIEW_OK] = "ok",
	[VIEW_IO] = "cannot read template",
	[VIEW_SYNTAX] = "template syntax error",
	[VIEW_NOT_FOUND] = "no such template",
	[VIEW_TOO_LARGE] = "template or output too large",
	[VIEW_TOO_DEEP] = "templates nested too deeply",
	[VIEW_NO_MEMORY] = "out of memory",
};

const char *view_strerror(enum view_status status)
{
	if ((size_t)status >= sizeof(view_messages) / sizeof(view_messages[0]))
		return "unknown view status";
	return view_messages[status];
}

__attribute__((format(printf, 4, 5)))
static enum view_status view_fail(char *err, size_t err_size, enum view_status status,
                                  const char *format, ...)
{
	if (err != NULL && err_size > 0) {
		va_list ap;
		va_start(ap, format);
		vsnprintf(err, err_size, format, ap);
		va_end(ap);
	}
	return status;
}

/* ---- the set of templates ---- */

struct view *view_new(void)
{
	return calloc(1, sizeof(struct view));
}

static void view_template_free(struct view_template *t)
{
	if (t == NULL)
		return;
	free(t->name);
	free(t->src);
	free(t->nodes);
	free(t->keys);
	free(t);
}

void view_free(struct view *view)
{
	if (view == NULL)
		return;
	for (size_t i = 0; i < view->count; i++)
		view_template_free(view->templates[i]);
	free(view->templates);
	free(view);
}

/* Index + 1 of the template called name, 0 if none. */
static size_t view_find(const struct view *view, const char *name)
{
	for (size_t i = 0; i < view->count; i++)
		if (strcmp(view->templates[i]->name, name) == 0)
			return i + 1;
	return 0;
}

/* ---- compiling ---- */

struct view_parser {
	struct view_template *t;
	const char *src;
	size_t len;
	size_t line_pos;  /* newlines before this offset are counted in line */
	unsigned line;
	const char *open, *close;  /* current delimiters (slices of src, or the defaults) */
	size_t open_len, close_len;
	size_t sections[LIMIT_TEMPLATE_DEPTH];  /* node indexes of the open sections */
	size_t depth;
	char *err;
	size_t err_size;
};

static bool view_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool view_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static unsigned view_line_at(struct view_parser *p, size_t pos)
{
	for (; p->line_pos < pos; p->line_pos++)
		if (p->src[p->line_pos] == '\n')
			p->line++;
	return p->line;
}

static enum view_status view_syntax(struct view_parser *p, size_t pos, const char *reason,
                                    const char *quote, size_t quote_len)
{
	unsigned line = view_line_at(p, pos);
	if (quote == NULL)
		return view_fail(p->err, p->err_size, VIEW_SYNTAX, "%s:%u: %s", p->t->name, line, reason);
	return view_fail(p->err, p->err_size, VIEW_SYNTAX, "%s:%u: %s \"%.*s\"%s", p->t->name, line,
	                 reason, (int)(quote_len > VIEW_QUOTE_MAX ? VIEW_QUOTE_MAX : quote_len), quote,
	                 quote_len > VIEW_QUOTE_MAX ? "..." : "");
}

static struct view_node *view_node_add(struct view_parser *p, enum view_node_kind kind, size_t pos)
{
	struct view_template *t = p->t;
	if (t->node_count == t->node_cap) {
		size_t cap = t->node_cap ? t->node_cap * 2 : 16;
		struct view_node *nodes = realloc(t->nodes, cap * sizeof(*nodes));
		if (nodes == NULL)
			return NULL;
		t->nodes = nodes;
		t->node_cap = cap;
	}
	struct view_node *node = &t->nodes[t->node_count++];
	memset(node, 0, sizeof(*node));
	node->kind = kind;
	node->line = view_line_at(p, pos);
	return node;
}

/* Appends len bytes and a NUL to the key buffer; SIZE_MAX on OOM, else the offset. */
static size_t view_key_add(struct view_template *t, const char *s, size_t len)
{
	if (t->keys_cap - t->keys_len < len + 1) {
		size_t cap = t->keys_cap ? t->keys_cap : 64;
		while (cap - t->keys_len < len + 1)
			cap *= 2;
		char *keys = realloc(t->keys, cap);
		if (keys == NULL)
			return SIZE_MAX;
		t->keys = keys;
		t->keys_cap = cap;
	}
	size_t off = t->keys_len;
	memcpy(t->keys + off, s, len);
	t->keys[off + len] = '\0';
	t->keys_len += len + 1;
	return off;
}

static enum view_status view_no_memory(struct view_parser *p)
{
	return view_fail(p->err, p->err_size, VIEW_NO_MEMORY, "%s: out of memory", p->t->name);
}

static enum view_status view_text_add(struct view_parser *p, size_t from, size_t to)
{
	if (from == to)
		return VIEW_OK;
	struct view_node *node = view_node_add(p, VIEW_NODE_TEXT, from);
	if (node == NULL)
		return view_no_memory(p);
	node->off = from;
	node->len = to - from;
	return VIEW_OK;
}

/* A name is one run of non-blank bytes: "." or dot-separated non-empty keys. */
static enum view_status view_name_parse(struct view_parser *p, size_t pos, const char *name,
                                        size_t len, struct view_node *node)
{
	if (len == 0)
		return view_syntax(p, pos, "empty tag", NULL, 0);
	for (size_t i = 0; i < len; i++)
		if (view_is_space(name[i]) || name[i] == '\0')
			return view_syntax(p, pos, "bad name", name, len);
	node->key = p->t->keys_len;
	node->key_count = 0;
	if (len == 1 && name[0] == '.')
		return VIEW_OK;
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && name[i] != '.')
			continue;
		if (i == start)
			return view_syntax(p, pos, "bad name", name, len);
		if (view_key_add(p->t, name + start, i - start) == SIZE_MAX)
			return view_no_memory(p);
		node->key_count++;
		start = i + 1;
	}
	return VIEW_OK;
}

/* The offset of closing (pre, if not 0, then the close delimiter) at or after from; SIZE_MAX if
 * the tag never closes. Returns the offset of pre when there is one. */
static size_t view_close_find(const struct view_parser *p, size_t from, char pre)
{
	size_t at = from;
	while (at < p->len) {
		const char *hit = memmem(p->src + at, p->len - at, p->close, p->close_len);
		if (hit == NULL)
			return SIZE_MAX;
		size_t c = (size_t)(hit - p->src);
		if (pre == 0)
			return c;
		if (c > from && p->src[c - 1] == pre)
			return c - 1;
		at = c + 1;
	}
	return SIZE_MAX;
}

static enum view_status view_delimiters_set(struct view_parser *p, size_t pos, const char *s,
                                            size_t len)
{
	size_t i = 0;
	while (i < len && !view_is_space(s[i]))
		i++;
	size_t open_len = i;
	while (i < len && view_is_space(s[i]))
		i++;
	const char *close = s + i;
	size_t close_len = len - i;
	if (open_len == 0 || close_len == 0)
		return view_syntax(p, pos, "bad delimiters", s, len);
	for (size_t k = 0; k < len; k++)
		if (s[k] == '=' || (k >= i && view_is_space(s[k])))
			return view_syntax(p, pos, "bad delimiters", s, len);
	p->open = s;
	p->open_len = open_len;
	p->close = close;
	p->close_len = close_len;
	return VIEW_OK;
}

/* Whether the tag at [start, end) stands alone on its line; if so, *line_start is where the
 * line's leading blanks begin and *next is past its trailing blanks and newline. cursor is where
 * the text before the tag begins: a tag before that on the same line spoils it. */
static bool view_standalone(const struct view_parser *p, size_t cursor, size_t start, size_t end,
                            size_t *line_start, size_t *next)
{
	size_t ls = start;
	while (ls > cursor && view_is_blank(p->src[ls - 1]))
		ls--;
	if (ls != 0 && p->src[ls - 1] != '\n')
		return false;
	size_t e = end;
	while (e < p->len && view_is_blank(p->src[e]))
		e++;
	if (e < p->len && p->src[e] == '\n')
		e++;
	else if (e + 1 < p->len && p->src[e] == '\r' && p->src[e + 1] == '\n')
		e += 2;
	else if (e != p->len)
		return false;
	*line_start = ls;
	*next = e;
	return true;
}

static enum view_status view_section_open(struct view_parser *p, enum view_node_kind kind,
                                          size_t pos, const char *name, size_t len)
{
	if (p->depth == LIMIT_TEMPLATE_DEPTH)
		return view_fail(p->err, p->err_size, VIEW_TOO_DEEP,
		                 "%s:%u: sections nested deeper than %d", p->t->name,
		                 view_line_at(p, pos), LIMIT_TEMPLATE_DEPTH);
	struct view_node *node = view_node_add(p, kind, pos);
	if (node == NULL)
		return view_no_memory(p);
	node->off = (size_t)(name - p->src);
	node->len = len;
	p->sections[p->depth++] = p->t->node_count - 1;
	return view_name_parse(p, pos, name, len, node);
}

static enum view_status view_section_close(struct view_parser *p, size_t pos, const char *name,
                                           size_t len)
{
	if (p->depth == 0)
		return view_syntax(p, pos, "close tag without open section", name, len);
	struct view_node *open = &p->t->nodes[p->sections[p->depth - 1]];
	if (open->len != len || memcmp(p->src + open->off, name, len) != 0) {
		unsigned line = view_line_at(p, pos);
		int quoted = (int)(len > VIEW_QUOTE_MAX ? VIEW_QUOTE_MAX : len);
		int open_quoted = (int)(open->len > VIEW_QUOTE_MAX ? VIEW_QUOTE_MAX : open->len);
		return view_fail(p->err, p->err_size, VIEW_SYNTAX,
		                 "%s:%u: close tag \"%.*s\" does not match section \"%.*s\" of line %u",
		                 p->t->name, line, quoted, name, open_quoted, p->src + open->off,
		                 open->line);
	}
	open->end = p->t->node_count;
	p->depth--;
	return VIEW_OK;
}

enum view_tag {
	VIEW_TAG_VALUE = 0,  /* no sigil: {{name}} */
	VIEW_TAG_RAW,        /* {{&name}} and {{{name}}} */
	VIEW_TAG_SECTION,
	VIEW_TAG_INVERTED,
	VIEW_TAG_CLOSE,
	VIEW_TAG_COMMENT,
	VIEW_TAG_PARTIAL,
	VIEW_TAG_DELIMITERS,
};

struct view_sigil {
	enum view_tag tag;
	char pre;         /* the byte before the close delimiter: {{{x}}} and {{=a b=}} */
	bool standalone;  /* the spec lets this tag stand alone on a line (and takes the line away) */
};

static const struct view_sigil view_sigils[256] = {
	['&'] = { VIEW_TAG_RAW, 0, false },
	['{'] = { VIEW_TAG_RAW, '}', false },
	['#'] = { VIEW_TAG_SECTION, 0, true },
	['^'] = { VIEW_TAG_INVERTED, 0, true },
	['/'] = { VIEW_TAG_CLOSE, 0, true },
	['!'] = { VIEW_TAG_COMMENT, 0, true },
	['>'] = { VIEW_TAG_PARTIAL, 0, true },
	['='] = { VIEW_TAG_DELIMITERS, '=', true },
};

static enum view_status view_partial_add(struct view_parser *p, size_t start, size_t indent,
                                         const char *name, size_t len)
{
	if (len == 0)
		return view_syntax(p, start, "empty tag", NULL, 0);
	if (memchr(name, '\0', len) != NULL)
		return view_syntax(p, start, "bad name", name, len);
	struct view_node *node = view_node_add(p, VIEW_NODE_PARTIAL, start);
	if (node == NULL)
		return view_no_memory(p);
	node->off = indent;
	node->len = start - indent;
	node->key = view_key_add(p->t, name, len);
	if (node->key == SIZE_MAX)
		return view_no_memory(p);
	return VIEW_OK;
}

static enum view_status view_value_add(struct view_parser *p, enum view_node_kind kind,
                                       size_t start, const char *name, size_t len)
{
	struct view_node *node = view_node_add(p, kind, start);
	if (node == NULL)
		return view_no_memory(p);
	return view_name_parse(p, start, name, len, node);
}

static enum view_status view_compile(struct view_parser *p)
{
	enum view_status status = VIEW_OK;
	size_t cursor = 0;
	while (cursor < p->len) {
		const char *hit = memmem(p->src + cursor, p->len - cursor, p->open, p->open_len);
		if (hit == NULL) {
			status = view_text_add(p, cursor, p->len);
			if (status != VIEW_OK)
				return status;
			break;
		}
		size_t start = (size_t)(hit - p->src);
		size_t inner = start + p->open_len;
		const struct view_sigil *sigil = &view_sigils[0];
		if (inner < p->len && view_sigils[(unsigned char)p->src[inner]].tag != VIEW_TAG_VALUE)
			sigil = &view_sigils[(unsigned char)p->src[inner++]];
		size_t close = view_close_find(p, inner, sigil->pre);
		if (close == SIZE_MAX)
			return view_syntax(p, start, "unclosed tag", NULL, 0);
		size_t end = close + (sigil->pre != 0) + p->close_len;
		const char *content = p->src + inner;
		size_t content_len = close - inner;
		while (content_len > 0 && view_is_space(content[0])) {
			content++;
			content_len--;
		}
		while (content_len > 0 && view_is_space(content[content_len - 1]))
			content_len--;

		size_t text_end = start, next = end;
		if (!sigil->standalone || !view_standalone(p, cursor, start, end, &text_end, &next)) {
			text_end = start;
			next = end;
		}
		status = view_text_add(p, cursor, text_end);
		if (status != VIEW_OK)
			return status;

		switch (sigil->tag) {
		case VIEW_TAG_VALUE:
			status = view_value_add(p, VIEW_NODE_ESCAPED, start, content, content_len);
			break;
		case VIEW_TAG_RAW:
			status = view_value_add(p, VIEW_NODE_RAW, start, content, content_len);
			break;
		case VIEW_TAG_SECTION:
			status = view_section_open(p, VIEW_NODE_SECTION, start, content, content_len);
			break;
		case VIEW_TAG_INVERTED:
			status = view_section_open(p, VIEW_NODE_INVERTED, start, content, content_len);
			break;
		case VIEW_TAG_CLOSE:
			status = view_section_close(p, start, content, content_len);
			break;
		case VIEW_TAG_COMMENT:
			break;
		case VIEW_TAG_PARTIAL:
			status = view_partial_add(p, start, text_end, content, content_len);
			break;
		case VIEW_TAG_DELIMITERS:
			status = view_delimiters_set(p, start, content, content_len);
			break;
		}
		if (status != VIEW_OK)
			return status;
		cursor = next;
	}
	if (p->depth > 0) {
		const struct view_node *open = &p->t->nodes[p->sections[p->depth - 1]];
		int quoted = (int)(open->len > VIEW_QUOTE_MAX ? VIEW_QUOTE_MAX : open->len);
		return view_fail(p->err, p->err_size, VIEW_SYNTAX, "%s:%u: unclosed section \"%.*s\"",
		                 p->t->name, open->line, quoted, p->src + open->off);
	}
	return VIEW_OK;
}

/* Points the partial nodes of template index at the templates they name. */
static void view_resolve(struct view *view, size_t index)
{
	struct view_template *t = view->templates[index];
	for (size_t i = 0; i < t->node_count; i++)
		if (t->nodes[i].kind == VIEW_NODE_PARTIAL)
			t->nodes[i].target = view_find(view, t->keys + t->nodes[i].key);
}

/* Points the unresolved partial nodes that name the new template index at it. */
static void view_resolve_to(struct view *view, size_t index)
{
	const char *name = view->templates[index]->name;
	for (size_t k = 0; k < view->count; k++) {
		struct view_template *t = view->templates[k];
		for (size_t i = 0; i < t->node_count; i++) {
			struct view_node *node = &t->nodes[i];
			if (node->kind == VIEW_NODE_PARTIAL && node->target == 0 &&
			    strcmp(t->keys + node->key, name) == 0)
				node->target = index + 1;
		}
	}
}

enum view_status view_add(struct view *view, const char *name, const char *text, size_t len,
                          char *err, size_t err_size)
{
	enum view_status status = VIEW_OK;
	struct view_template *t = NULL;
	if (len > LIMIT_TEMPLATE_FILE_MAX) {
		status = view_fail(err, err_size, VIEW_TOO_LARGE, "%s: %zu bytes, over the limit of %ld",
		                   name, len, (long)LIMIT_TEMPLATE_FILE_MAX);
		goto out;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL || (t->name = strdup(name)) == NULL || (t->src = malloc(len + 1)) == NULL) {
		status = view_fail(err, err_size, VIEW_NO_MEMORY, "%s: out of memory", name);
		goto out;
	}
	if (len > 0)
		memcpy(t->src, text, len);
	t->src[len] = '\0';
	t->src_len = len;

	struct view_parser parser = {
		.t = t, .src = t->src, .len = len, .line = 1,
		.open = "{{", .open_len = 2, .close = "}}", .close_len = 2,
		.err = err, .err_size = err_size,
	};
	status = view_compile(&parser);
	if (status != VIEW_OK)
		goto out;

	size_t found = view_find(view, name);
	size_t index;
	if (found != 0) {
		index = found - 1;
		view_template_free(view->templates[index]);
	} else {
		if (view->count == view->cap) {
			size_t cap = view->cap ? view->cap * 2 : 16;
			struct view_template **templates = realloc(view->templates, cap * sizeof(*templates));
			if (templates == NULL) {
				status = view_fail(err, err_size, VIEW_NO_MEMORY, "%s: out of memory", name);
				goto out;
			}
			view->templates = templates;
			view->cap = cap;
		}
		index = view->count++;
	}
	view->templates[index] = t;
	t = NULL;
	view_resolve(view, index);
	if (found == 0)
		view_resolve_to(view, index);
out:
	view_template_free(t);
	return status;
}

/* ---- loading a directory ---- */

struct view_loader {
	struct view *view;
	char *buf;  /* LIMIT_TEMPLATE_FILE_MAX + 1 bytes: one file at a time */
	char *err;
	size_t err_size;
};

static enum view_status view_io_fail(struct view_loader *l, const char *path, int error)
{
	return view_fail(l->err, l->err_size, VIEW_IO, "%s: %s", path, strerror(error));
}

static enum view_status view_load_file(struct view_loader *l, const char *path, const char *name)
{
	enum view_status status = VIEW_OK;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		status = view_io_fail(l, path, errno);
		goto out;
	}
	/* Read one byte past the cap so a file that is too big is told apart from one that fits. */
	while (len <= LIMIT_TEMPLATE_FILE_MAX) {
		ssize_t got = read(fd, l->buf + len, LIMIT_TEMPLATE_FILE_MAX + 1 - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			status = view_io_fail(l, path, errno);
			goto out;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	if (len > LIMIT_TEMPLATE_FILE_MAX) {
		status = view_fail(l->err, l->err_size, VIEW_TOO_LARGE,
		                   "%s: over the limit of %ld bytes", path, (long)LIMIT_TEMPLATE_FILE_MAX);
		goto out;
	}
	status = view_add(l->view, name, l->buf, len, l->err, l->err_size);
out:
	if (fd >= 0)
		close(fd);
	return status;
}

static int view_entry_visible(const struct dirent *entry)
{
	return entry->d_name[0] != '.';
}

/* Loads dir/rel (rel "" at the top), depth directories down. */
static enum view_status view_load_tree(struct view_loader *l, const char *dir, const char *rel,
                                       unsigned depth)
{
	enum view_status status = VIEW_OK;
	struct dirent **entries = NULL;
	int count = 0;
	char path[PATH_MAX];
	char name[PATH_MAX];
	int n = snprintf(path, sizeof(path), "%s%s%s", dir, *rel ? "/" : "", rel);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		status = view_io_fail(l, dir, ENAMETOOLONG);
		goto out;
	}
	if (depth > LIMIT_TEMPLATE_DEPTH) {
		status = view_fail(l->err, l->err_size, VIEW_TOO_DEEP,
		                   "%s: directories nested deeper than %d", path, LIMIT_TEMPLATE_DEPTH);
		goto out;
	}
	count = scandir(path, &entries, view_entry_visible, alphasort);
	if (count < 0) {
		count = 0;
		status = view_io_fail(l, path, errno);
		goto out;
	}
	for (int i = 0; i < count && status == VIEW_OK; i++) {
		const char *base = entries[i]->d_name;
		char full[PATH_MAX];
		n = snprintf(full, sizeof(full), "%s/%s", path, base);
		int m = snprintf(name, sizeof(name), "%s%s%s", rel, *rel ? "/" : "", base);
		if (n < 0 || (size_t)n >= sizeof(full) || m < 0 || (size_t)m >= sizeof(name)) {
			status = view_io_fail(l, path, ENAMETOOLONG);
			break;
		}
		struct stat st;
		if (stat(full, &st) != 0) {
			status = view_io_fail(l, full, errno);
			break;
		}
		size_t name_len = (size_t)m, ext_len = strlen(VIEW_EXTENSION);
		if (S_ISDIR(st.st_mode)) {
			status = view_load_tree(l, dir, name, depth + 1);
		} else if (S_ISREG(st.st_mode) && name_len > ext_len &&
		           strcmp(name + name_len - ext_len, VIEW_EXTENSION) == 0) {
			name[name_len - ext_len] = '\0';
			status = view_load_file(l, full, name);
		}
	}
out:
	for (int i = 0; i < count; i++)
		free(entries[i]);
	free(entries);
	return status;
}

enum view_status view_load_dir(struct view *view, const char *dir, char *err, size_t err_size)
{
	struct view_loader loader = {
		.view = view, .buf = malloc(LIMIT_TEMPLATE_FILE_MAX + 1), .err = err, .err_size = err_size,
	};
	enum view_status status;
	if (loader.buf == NULL)
		status = view_fail(err, err_size, VIEW_NO_MEMORY, "%s: out of memory", dir);
	else
		status = view_load_tree(&loader, dir, "", 0);
	free(loader.buf);
	return status;
}

/* ---- rendering ---- */

struct view_slice {
	const char *p;
	size_t len;
};

struct view_render_state {
	const struct view *view;
	struct arena *arena;
	char *buf;
	size_t len, cap;
	struct json_object *stack[LIMIT_TEMPLATE_DEPTH + 1];  /* the root, then one per section */
	size_t stack_len;
	struct view_slice indents[LIMIT_TEMPLATE_DEPTH];  /* of the open standalone partials */
	size_t indent_count;
	bool line_start;  /* the next template byte starts a line: indent it */
	size_t steps;     /* nodes visited, up to LIMIT_TEMPLATE_STEPS_MAX */
	char *err;
	size_t err_size;
};

struct view_escape {
	const char *text;
	size_t len;
};

#define VIEW_ESCAPE(s) { s, sizeof(s) - 1 }
static const struct view_escape view_html_escapes[256] = {
	['&'] = VIEW_ESCAPE("&amp;"),
	['<'] = VIEW_ESCAPE("&lt;"),
	['>'] = VIEW_ESCAPE("&gt;"),
	['"'] = VIEW_ESCAPE("&quot;"),
	['\''] = VIEW_ESCAPE("&#39;"),
};

static enum view_status view_put(struct view_render_state *st, const struct view_template *t,
                                 const struct view_node *node, const char *p, size_t n)
{
	if (n > LIMIT_TEMPLATE_OUTPUT_MAX - st->len)
		return view_fail(st->err, st->err_size, VIEW_TOO_LARGE,
		                 "%s:%u: output over the limit of %ld bytes", t->name, node->line,
		                 (long)LIMIT_TEMPLATE_OUTPUT_MAX);
	/* The + 1 keeps room for the final NUL. */
	if (st->cap - st->len < n + 1) {
		size_t cap = st->cap ? st->cap : 4096;
		while (cap - st->len < n + 1)
			cap *= 2;
		if (cap > LIMIT_TEMPLATE_OUTPUT_MAX + 1)
			cap = LIMIT_TEMPLATE_OUTPUT_MAX + 1;
		char *buf = arena_grow(st->arena, st->buf, st->len, cap);
		if (buf == NULL)
			return view_fail(st->err, st->err_size, VIEW_NO_MEMORY, "%s:%u: out of memory",
			                 t->name, node->line);
		st->buf = buf;
		st->cap = cap;
	}
	if (n > 0)
		memcpy(st->buf + st->len, p, n);
	st->len += n;
	return VIEW_OK;
}

static enum view_status view_indent(struct view_render_state *st, const struct view_template *t,
                                    const struct view_node *node)
{
	enum view_status status = VIEW_OK;
	if (!st->line_start)
		return VIEW_OK;
	st->line_start = false;
	for (size_t i = 0; i < st->indent_count && status == VIEW_OK; i++)
		status = view_put(st, t, node, st->indents[i].p, st->indents[i].len);
	return status;
}

static enum view_status view_text(struct view_render_state *st, const struct view_template *t,
                                  const struct view_node *node)
{
	const char *p = t->src + node->off;
	size_t len = node->len;
	if (st->indent_count == 0)
		return view_put(st, t, node, p, len);
	enum view_status status = VIEW_OK;
	while (len > 0 && status == VIEW_OK) {
		status = view_indent(st, t, node);
		const char *nl = memchr(p, '\n', len);
		size_t chunk = nl != NULL ? (size_t)(nl - p) + 1 : len;
		if (status == VIEW_OK)
			status = view_put(st, t, node, p, chunk);
		st->line_start = nl != NULL;
		p += chunk;
		len -= chunk;
	}
	return status;
}

static enum view_status view_escaped(struct view_render_state *st, const struct view_template *t,
                                     const struct view_node *node, const char *p, size_t len)
{
	enum view_status status = VIEW_OK;
	size_t run = 0;
	for (size_t i = 0; i < len && status == VIEW_OK; i++) {
		const struct view_escape *escape = &view_html_escapes[(unsigned char)p[i]];
		if (escape->text == NULL)
			continue;
		status = view_put(st, t, node, p + run, i - run);
		if (status == VIEW_OK)
			status = view_put(st, t, node, escape->text, escape->len);
		run = i + 1;
	}
	if (status == VIEW_OK)
		status = view_put(st, t, node, p + run, len - run);
	return status;
}

static enum view_status view_value(struct view_render_state *st, const struct view_template *t,
                                   const struct view_node *node, struct json_object *value)
{
	enum view_status status = view_indent(st, t, node);
	const char *p;
	size_t len;
	if (status != VIEW_OK || value == NULL)
		return status;
	if (json_object_is_type(value, json_type_string)) {
		p = json_object_get_string(value);
		len = (size_t)json_object_get_string_len(value);
	} else {
		p = json_object_to_json_string_length(value,
		        JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
		if (p == NULL)
			return view_fail(st->err, st->err_size, VIEW_NO_MEMORY, "%s:%u: out of memory",
			                 t->name, node->line);
	}
	if (node->kind == VIEW_NODE_RAW)
		return view_put(st, t, node, p, len);
	return view_escaped(st, t, node, p, len);
}

/* The spec's name resolution: the first key is looked for from the top of the context stack
 * down; the rest must follow from what it found, or the name is missing (NULL, like null). */
static struct json_object *view_lookup(const struct view_render_state *st,
                                       const struct view_template *t, const struct view_node *node)
{
	if (node->key_count == 0)
		return st->stack[st->stack_len - 1];
	const char *key = t->keys + node->key;
	struct json_object *value = NULL;
	size_t i = st->stack_len;
	for (;;) {
		if (i == 0)
			return NULL;
		i--;
		if (json_object_is_type(st->stack[i], json_type_object) &&
		    json_object_object_get_ex(st->stack[i], key, &value))
			break;
	}
	for (size_t k = 1; k < node->key_count; k++) {
		key += strlen(key) + 1;
		if (!json_object_is_type(value, json_type_object) ||
		    !json_object_object_get_ex(value, key, &value))
			return NULL;
	}
	return value;
}

static bool view_truthy(struct json_object *value)
{
	switch (json_object_get_type(value)) {
	case json_type_null:
		return false;
	case json_type_boolean:
		return json_object_get_boolean(value) != 0;
	case json_type_array:
		return json_object_array_length(value) > 0;
	default:
		return true;
	}
}

static enum view_status view_nodes(struct view_render_state *st, const struct view_template *t,
                                   size_t from, size_t to, unsigned depth);

static enum view_status view_too_deep(struct view_render_state *st, const struct view_template *t,
                                      const struct view_node *node)
{
	return view_fail(st->err, st->err_size, VIEW_TOO_DEEP,
	                 "%s:%u: sections and partials nested deeper than %d", t->name, node->line,
	                 LIMIT_TEMPLATE_DEPTH);
}

static enum view_status view_section(struct view_render_state *st, const struct view_template *t,
                                     size_t index, unsigned depth)
{
	const struct view_node *node = &t->nodes[index];
	struct json_object *value = view_lookup(st, t, node);
	bool truthy = view_truthy(value);
	if (truthy == (node->kind == VIEW_NODE_INVERTED))
		return VIEW_OK;
	if (depth >= LIMIT_TEMPLATE_DEPTH)
		return view_too_deep(st, t, node);
	if (node->kind == VIEW_NODE_INVERTED)
		return view_nodes(st, t, index + 1, node->end, depth + 1);
	enum view_status status = VIEW_OK;
	bool list = json_object_is_type(value, json_type_array);
	size_t count = list ? json_object_array_length(value) : 1;
	for (size_t i = 0; i < count && status == VIEW_OK; i++) {
		st->stack[st->stack_len++] = list ? json_object_array_get_idx(value, i) : value;
		status = view_nodes(st, t, index + 1, node->end, depth + 1);
		st->stack_len--;
	}
	return status;
}

static enum view_status view_partial(struct view_render_state *st, const struct view_template *t,
                                     const struct view_node *node, unsigned depth)
{
	if (node->target == 0)
		return VIEW_OK;
	if (depth >= LIMIT_TEMPLATE_DEPTH)
		return view_too_deep(st, t, node);
	const struct view_template *partial = st->view->templates[node->target - 1];
	bool indented = node->len > 0;
	if (indented) {
		st->indents[st->indent_count].p = t->src + node->off;
		st->indents[st->indent_count].len = node->len;
		st->indent_count++;
		st->line_start = true;
	}
	enum view_status status = view_nodes(st, partial, 0, partial->node_count, depth + 1);
	if (indented)
		st->indent_count--;
	return status;
}

static enum view_status view_nodes(struct view_render_state *st, const struct view_template *t,
                                   size_t from, size_t to, unsigned depth)
{
	enum view_status status = VIEW_OK;
	size_t i = from;
	while (i < to && status == VIEW_OK) {
		const struct view_node *node = &t->nodes[i];
		if (++st->steps > LIMIT_TEMPLATE_STEPS_MAX)
			return view_fail(st->err, st->err_size, VIEW_TOO_LARGE,
			                 "%s:%u: render takes over %ld steps", t->name, node->line,
			                 (long)LIMIT_TEMPLATE_STEPS_MAX);
		switch (node->kind) {
		case VIEW_NODE_TEXT:
			status = view_text(st, t, node);
			break;
		case VIEW_NODE_ESCAPED:
		case VIEW_NODE_RAW:
			status = view_value(st, t, node, view_lookup(st, t, node));
			break;
		case VIEW_NODE_SECTION:
		case VIEW_NODE_INVERTED:
			status = view_section(st, t, i, depth);
			i = node->end;
			continue;
		case VIEW_NODE_PARTIAL:
			status = view_partial(st, t, node, depth);
			break;
		}
		i++;
	}
	return status;
}

enum view_status view_render(const struct view *view, const char *name, struct json_object *context,
                             struct arena *arena, char **out, size_t *out_len,
                             char *err, size_t err_size)
{
	size_t found = view_find(view, name);
	if (found == 0)
		return view_fail(err, err_size, VIEW_NOT_FOUND, "%s: no such template", name);
	const struct view_template *t = view->templates[found - 1];
	struct view_render_state st = {
		.view = view, .arena = arena, .stack = { context }, .stack_len = 1,
		.err = err, .err_size = err_size,
	};
	static const struct view_node start = { .line = 1 };
	enum view_status status = view_nodes(&st, t, 0, t->node_count, 0);
	if (status == VIEW_OK && st.buf == NULL)
		status = view_put(&st, t, &start, "", 0);
	if (status != VIEW_OK)
		return status;
	st.buf[st.len] = '\0';
	*out = st.buf;
	if (out_len != NULL)
		*out_len = st.len;
	return VIEW_OK;
}
