/*
 * test_mustache_spec.c: runs every case of the official Mustache spec files against view.c.
 *
 * The six JSON files in $srcdir/test/mustache-spec/ are read as they are; each case becomes one
 * TAP test named "file: case name", so a regression names the spec rule it breaks. A case builds
 * a fresh view from its partials and template, renders its data and compares the bytes with
 * "expected"; a failure prints both as "# " diagnostics. Exits 1 if any case fails.
 */
#include "view.h"

#include "arena.h"
#include "limits.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The template's own name: no spec partial is called this. */
#define SPEC_TEMPLATE_NAME "spec:template"

static const char *const spec_files[] = {
	"comments", "delimiters", "interpolation", "inverted", "partials", "sections",
};
#define SPEC_FILE_COUNT (sizeof(spec_files) / sizeof(spec_files[0]))

/* Prints text as one "# label: ..." diagnostic per line, newlines shown as \n. */
static void spec_diag(const char *label, const char *text, size_t len)
{
	printf("# %s: \"", label);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\n')
			printf("\\n\"\n#   %*s\"", (int)strlen(label), "");
		else if (c == '\r')
			printf("\\r");
		else if (c == '\t')
			printf("\\t");
		else if (c < 0x20)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	printf("\"\n");
}

/* Runs one case and prints its TAP line (then diagnostics); true if it passed. */
static bool spec_case(struct arena *arena, struct json_object *test, size_t number,
                      const char *file)
{
	struct json_object *template = NULL, *expected = NULL, *data = NULL, *partials = NULL, *name;
	const char *title = json_object_object_get_ex(test, "name", &name)
	                    ? json_object_get_string(name) : "(unnamed)";
	const char *problem = NULL;
	char err[VIEW_MESSAGE_MAX] = "";
	char *out = NULL;
	size_t out_len = 0;
	bool passed = false;
	struct view *view = view_new();
	if (view == NULL || !json_object_object_get_ex(test, "template", &template) ||
	    !json_object_object_get_ex(test, "expected", &expected)) {
		problem = "malformed case or out of memory";
		goto out;
	}
	json_object_object_get_ex(test, "data", &data);
	if (json_object_object_get_ex(test, "partials", &partials)) {
		json_object_object_foreach(partials, partial_name, text) {
			enum view_status status = view_add(view, partial_name, json_object_get_string(text),
			                                   (size_t)json_object_get_string_len(text), err,
			                                   sizeof(err));
			if (status != VIEW_OK) {
				problem = view_strerror(status);
				goto out;
			}
		}
	}
	enum view_status status = view_add(view, SPEC_TEMPLATE_NAME, json_object_get_string(template),
	                                   (size_t)json_object_get_string_len(template), err,
	                                   sizeof(err));
	if (status == VIEW_OK)
		status = view_render(view, SPEC_TEMPLATE_NAME, data, arena, &out, &out_len, err,
		                     sizeof(err));
	if (status != VIEW_OK) {
		problem = view_strerror(status);
		goto out;
	}
	passed = out_len == (size_t)json_object_get_string_len(expected) &&
	         memcmp(out, json_object_get_string(expected), out_len) == 0 && out[out_len] == '\0';
out:
	printf("%s %zu - %s: %s\n", passed ? "ok" : "not ok", number, file, title);
	if (problem != NULL)
		printf("# %s: %s\n", problem, err);
	if (!passed && template != NULL && expected != NULL) {
		spec_diag("template", json_object_get_string(template),
		          (size_t)json_object_get_string_len(template));
		spec_diag("expected", json_object_get_string(expected),
		          (size_t)json_object_get_string_len(expected));
		if (problem == NULL)
			spec_diag("actual", out, out_len);
	}
	view_free(view);
	arena_reset(arena);
	return passed;
}

int main(void)
{
	const char *srcdir = getenv("srcdir");
	struct json_object *files[SPEC_FILE_COUNT] = { NULL };
	struct arena *arena = arena_create(LIMIT_ARENA_MAX);
	size_t planned = 0, failed = 0, number = 0;
	int rc = 1;
	if (srcdir == NULL)
		srcdir = ".";
	if (arena == NULL) {
		printf("Bail out! out of memory\n");
		goto out;
	}
	for (size_t f = 0; f < SPEC_FILE_COUNT; f++) {
		char path[4096];
		struct json_object *tests;
		snprintf(path, sizeof(path), "%s/test/mustache-spec/%s.json", srcdir, spec_files[f]);
		files[f] = json_object_from_file(path);
		if (files[f] == NULL || !json_object_object_get_ex(files[f], "tests", &tests) ||
		    json_object_array_length(tests) == 0) {
			printf("Bail out! cannot read spec cases from %s\n", path);
			goto out;
		}
		planned += json_object_array_length(tests);
	}
	printf("1..%zu\n", planned);
	for (size_t f = 0; f < SPEC_FILE_COUNT; f++) {
		struct json_object *tests;
		json_object_object_get_ex(files[f], "tests", &tests);
		for (size_t i = 0; i < json_object_array_length(tests); i++) {
			number++;
			if (!spec_case(arena, json_object_array_get_idx(tests, i), number, spec_files[f]))
				failed++;
		}
	}
	if (failed > 0)
		printf("# %zu of %zu spec cases failed\n", failed, planned);
	rc = failed > 0;
out:
	for (size_t f = 0; f < SPEC_FILE_COUNT; f++)
		json_object_put(files[f]);
	arena_destroy(arena);
	return rc;
}
