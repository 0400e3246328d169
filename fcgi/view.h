/*
 * view.h: Mustache templates over json-c values, compiled once per worker, rendered per request.
 *
 * A `struct view` is a set of named templates; a partial ({{>name}}) is looked up by the same
 * names, so "layout" may include "partials/header". Text is parsed when it is added (syntax errors
 * are reported then, as "name:line: reason") into a compiled form that rendering only walks, so a
 * worker loads its templates before it sheds privileges and renders them thousands of times.
 * Rendering reads the view and never changes it: one view may serve several threads.
 *
 * The language is the Mustache spec (github.com/mustache/spec: comments, delimiters,
 * interpolation, inverted, partials, sections) without lambdas. Choices the spec leaves open:
 *  - {{x}} HTML-escapes & < > " ' (as &amp; &lt; &gt; &quot; &#39;); {{{x}}} and {{&x}} are raw.
 *  - Falsey: missing, null, false and the empty array. 0 and "" are truthy.
 *  - Strings print as they are; numbers and booleans as json-c prints them (1.21, 42, true);
 *    an object or array interpolated prints as compact JSON (escaped like any value).
 *  - A partial the view does not have renders as nothing (the spec's "Failed Lookup"), so neither
 *    view_add nor view_load_dir reports it; a template named in view_render must exist.
 *  - A tag's name is one run of non-blank bytes; "a..b", "a." and ".a" are syntax errors.
 *  - A partial standing alone on its line indents every line of its template text by that line's
 *    leading blanks (nested partials add up); lines that come from data are not indented.
 * Caps (fcgi/limits.h): LIMIT_TEMPLATE_FILE_MAX bytes of one template, LIMIT_TEMPLATE_DEPTH
 * sections plus partials open at once (recursion included), LIMIT_TEMPLATE_OUTPUT_MAX bytes of
 * one render, LIMIT_TEMPLATE_STEPS_MAX tags and text runs visited by one render (a section
 * repeated over a list inside a section repeated over it can take long to write nothing).
 */
#ifndef VIEW_H
#define VIEW_H

#include <stddef.h>

struct arena;
struct json_object;
struct view;

enum view_status {
	VIEW_OK = 0,
	VIEW_IO,          /* a directory or file could not be read */
	VIEW_SYNTAX,      /* unclosed tag or section, mismatched close tag, bad name or delimiters */
	VIEW_NOT_FOUND,   /* view_render: no template of that name */
	VIEW_TOO_LARGE,   /* a template over LIMIT_TEMPLATE_FILE_MAX, a render over ..._OUTPUT_MAX
	                   * bytes or ..._STEPS_MAX steps */
	VIEW_TOO_DEEP,    /* sections and partials nested past LIMIT_TEMPLATE_DEPTH */
	VIEW_NO_MEMORY,   /* malloc (view_add) or the arena (view_render) refused */
};

/* Size of an err buffer that holds any message in full (longer names are cut, not overrun). */
#define VIEW_MESSAGE_MAX 256

const char *view_strerror(enum view_status status);

/* An empty view; NULL on OOM. */
struct view *view_new(void);
/* Safe on NULL. */
void view_free(struct view *view);

/* Compiles len bytes of text as the template (or partial) called name, replacing one of the same
 * name. On failure the view is unchanged and err (may be NULL) receives "name:line: reason". */
enum view_status view_add(struct view *view, const char *name, const char *text, size_t len,
                          char *err, size_t err_size);

/* Adds every regular file called *.mustache under dir, recursively, in sorted order; its name is
 * its path relative to dir without the extension ("layout", "partials/header"). Names starting
 * with '.' are skipped. Stops at the first problem, with "path: reason" or "name:line: reason"
 * in err; templates added before it stay in the view. */
enum view_status view_load_dir(struct view *view, const char *dir, char *err, size_t err_size);

/* Renders the template name with context (may be NULL) into a NUL-terminated string allocated
 * from arena: *out and *out_len (may be NULL) are set on VIEW_OK only. */
enum view_status view_render(const struct view *view, const char *name, struct json_object *context,
                             struct arena *arena, char **out, size_t *out_len,
                             char *err, size_t err_size);

#endif
