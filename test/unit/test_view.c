/*
 * test_view.c: what the app relies on from view.c beyond the Mustache spec.
 *
 * The spec cases run in test_mustache_spec.c; these cover our own choices: escaping of ' too,
 * loading a template directory (partials in a subdirectory, names without the extension), the
 * errors a template author sees (name and line), the caps on nesting, template size and output,
 * how numbers and booleans print, and that one loaded view renders many times. Directories are
 * built under a fresh mkdtemp() directory and removed afterwards.
 */
#include "view.h"

#include "arena.h"
#include "limits.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fixture {
	struct view *view;
	struct arena *arena;
	char dir[64];  /* "" until a test makes one */
	char err[VIEW_MESSAGE_MAX];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -1;
	f->view = view_new();
	f->arena = arena_create(LIMIT_ARENA_MAX);
	*state = f;
	return f->view != NULL && f->arena != NULL ? 0 : -1;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	if (f->dir[0] != '\0')
		nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	view_free(f->view);
	arena_destroy(f->arena);
	free(f);
	return 0;
}

static void make_dir(struct fixture *f)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_view.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
}

/* Writes len bytes to f->dir/rel, making its parent directories. */
static void write_file_len(struct fixture *f, const char *rel, const char *text, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", f->dir, rel);
	for (char *slash = strchr(path + strlen(f->dir) + 1, '/'); slash != NULL;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		assert_true(mkdir(path, 0700) == 0 || errno == EEXIST);
		*slash = '/';
	}
	FILE *file = fopen(path, "wb");
	assert_non_null(file);
	assert_int_equal(fwrite(text, 1, len, file), len);
	assert_int_equal(fclose(file), 0);
}

static void write_file(struct fixture *f, const char *rel, const char *text)
{
	write_file_len(f, rel, text, strlen(text));
}

static void add(struct fixture *f, const char *name, const char *text)
{
	enum view_status status = view_add(f->view, name, text, strlen(text), f->err, sizeof(f->err));
	if (status != VIEW_OK)
		fail_msg("view_add(%s): %s: %s", name, view_strerror(status), f->err);
}

/* Renders name with the JSON text context and checks the output. */
static void assert_render(struct fixture *f, const char *name, const char *json, const char *want)
{
	struct json_object *context = json_tokener_parse(json);
	char *out = NULL;
	size_t out_len = 0;
	assert_non_null(context);
	enum view_status status = view_render(f->view, name, context, f->arena, &out, &out_len,
	                                      f->err, sizeof(f->err));
	json_object_put(context);
	if (status != VIEW_OK)
		fail_msg("view_render(%s): %s: %s", name, view_strerror(status), f->err);
	assert_string_equal(out, want);
	assert_int_equal(out_len, strlen(want));
}

static enum view_status render_status(struct fixture *f, const char *name, const char *json)
{
	struct json_object *context = json_tokener_parse(json);
	char *out = NULL;
	assert_non_null(context);
	f->err[0] = '\0';
	enum view_status status = view_render(f->view, name, context, f->arena, &out, NULL, f->err,
	                                      sizeof(f->err));
	json_object_put(context);
	return status;
}

static void assert_add_fails(struct fixture *f, const char *text, enum view_status want,
                             const char *want_err)
{
	f->err[0] = '\0';
	assert_int_equal(view_add(f->view, "page", text, strlen(text), f->err, sizeof(f->err)), want);
	assert_string_equal(f->err, want_err);
	/* A template that failed to compile is not in the view. */
	assert_int_equal(render_status(f, "page", "{}"), VIEW_NOT_FOUND);
}

static void test_escapes_html_and_apostrophe(void **state)
{
	struct fixture *f = *state;
	add(f, "page", "<p title=\"{{v}}\">{{v}}</p>|{{{v}}}|{{&v}}");
	assert_render(f, "page", "{\"v\": \"O'Neil & <b>\\\"Co\\\"</b>\"}",
	              "<p title=\"O&#39;Neil &amp; &lt;b&gt;&quot;Co&quot;&lt;/b&gt;\">"
	              "O&#39;Neil &amp; &lt;b&gt;&quot;Co&quot;&lt;/b&gt;</p>"
	              "|O'Neil & <b>\"Co\"</b>|O'Neil & <b>\"Co\"</b>");
}

static void test_escapes_numbers_lists_and_nested_values(void **state)
{
	struct fixture *f = *state;
	/* Values reached through sections, partials and the implicit iterator are escaped too. */
	add(f, "item", "<li>{{.}}</li>");
	add(f, "page", "{{#list}}{{>item}}{{/list}}{{#o}}{{a.b}}{{/o}}");
	assert_render(f, "page", "{\"list\": [\"<a>\", \"'\"], \"o\": {\"a\": {\"b\": \"&\"}}}",
	              "<li>&lt;a&gt;</li><li>&#39;</li>&amp;");
}

static void test_load_dir_with_partials_in_subdirectory(void **state)
{
	struct fixture *f = *state;
	make_dir(f);
	write_file(f, "layout.mustache",
	           "<html>\n  {{>partials/header}}\n<main>{{>pages/home}}</main>\n</html>\n");
	write_file(f, "partials/header.mustache", "<h1>{{title}}</h1>\n<nav>x</nav>\n");
	write_file(f, "pages/home.mustache", "Hello, {{user.name}}!");
	write_file(f, "pages/notes.txt", "not a template {{");
	write_file(f, ".hidden.mustache", "{{#unclosed}}");
	write_file(f, "partials/.swp/x.mustache", "{{/bad}}");
	assert_int_equal(view_load_dir(f->view, f->dir, f->err, sizeof(f->err)), VIEW_OK);
	assert_render(f, "layout", "{\"title\": \"Complaints\", \"user\": {\"name\": \"Ann\"}}",
	              "<html>\n  <h1>Complaints</h1>\n  <nav>x</nav>\n"
	              "<main>Hello, Ann!</main>\n</html>\n");
	assert_render(f, "partials/header", "{\"title\": \"T\"}", "<h1>T</h1>\n<nav>x</nav>\n");
	/* Names drop the extension; other files and dot files are not templates. */
	assert_int_equal(render_status(f, "layout.mustache", "{}"), VIEW_NOT_FOUND);
	assert_int_equal(render_status(f, "pages/notes", "{}"), VIEW_NOT_FOUND);
	assert_int_equal(render_status(f, ".hidden", "{}"), VIEW_NOT_FOUND);
}

static void test_load_dir_reports_file_and_line(void **state)
{
	struct fixture *f = *state;
	make_dir(f);
	write_file(f, "a.mustache", "fine");
	write_file(f, "partials/bad.mustache", "<ul>\n{{#items}}\n<li>{{name}}</li>\n{{/item}}\n</ul>\n");
	assert_int_equal(view_load_dir(f->view, f->dir, f->err, sizeof(f->err)), VIEW_SYNTAX);
	assert_string_equal(f->err, "partials/bad:4: close tag \"item\" does not match section "
	                            "\"items\" of line 2");
}

static void test_load_dir_missing_directory(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(view_load_dir(f->view, "/nonexistent/templates", f->err, sizeof(f->err)),
	                 VIEW_IO);
	assert_string_equal(f->err, "/nonexistent/templates: No such file or directory");
}

static void test_missing_partial_is_empty_but_missing_template_is_error(void **state)
{
	struct fixture *f = *state;
	make_dir(f);
	write_file(f, "page.mustache", "[{{>partials/nope}}]");
	/* The spec says a partial that does not exist renders as nothing: loading is fine. */
	assert_int_equal(view_load_dir(f->view, f->dir, f->err, sizeof(f->err)), VIEW_OK);
	assert_render(f, "page", "{}", "[]");
	assert_int_equal(render_status(f, "nope", "{}"), VIEW_NOT_FOUND);
	assert_string_equal(f->err, "nope: no such template");
}

static void test_partial_added_later_or_replaced_is_used(void **state)
{
	struct fixture *f = *state;
	add(f, "page", "[{{>footer}}]");
	assert_render(f, "page", "{}", "[]");
	add(f, "footer", "v1");
	assert_render(f, "page", "{}", "[v1]");
	add(f, "footer", "v2 {{x}}");
	assert_render(f, "page", "{\"x\": 2}", "[v2 2]");
}

static void test_syntax_unclosed_section(void **state)
{
	assert_add_fails(*state, "<ul>\n{{#items}}\n<li>{{.}}</li>\n", VIEW_SYNTAX,
	                 "page:2: unclosed section \"items\"");
}

static void test_syntax_mismatched_close_tag(void **state)
{
	assert_add_fails(*state, "{{#a}}\n{{^b}}\n{{/a}}\n{{/b}}", VIEW_SYNTAX,
	                 "page:3: close tag \"a\" does not match section \"b\" of line 2");
}

static void test_syntax_close_without_open(void **state)
{
	assert_add_fails(*state, "text\n{{/a}}", VIEW_SYNTAX,
	                 "page:2: close tag without open section \"a\"");
}

static void test_syntax_unclosed_tag(void **state)
{
	assert_add_fails(*state, "a\nb {{c}}\n\n{{d\n}", VIEW_SYNTAX, "page:4: unclosed tag");
}

static void test_syntax_unclosed_triple_and_comment(void **state)
{
	struct fixture *f = *state;
	assert_add_fails(f, "{{{raw}}", VIEW_SYNTAX, "page:1: unclosed tag");
	assert_add_fails(f, "x\n{{! never closed", VIEW_SYNTAX, "page:2: unclosed tag");
}

static void test_syntax_bad_names_and_delimiters(void **state)
{
	struct fixture *f = *state;
	assert_add_fails(f, "{{a b}}", VIEW_SYNTAX, "page:1: bad name \"a b\"");
	assert_add_fails(f, "{{a..b}}", VIEW_SYNTAX, "page:1: bad name \"a..b\"");
	assert_add_fails(f, "\n{{}}", VIEW_SYNTAX, "page:2: empty tag");
	assert_add_fails(f, "{{=<%=}}", VIEW_SYNTAX, "page:1: bad delimiters \"<%\"");
	assert_add_fails(f, "{{=<% % %>=}}", VIEW_SYNTAX, "page:1: bad delimiters \"<% % %>\"");
}

static void test_errors_fit_a_small_buffer(void **state)
{
	struct fixture *f = *state;
	char small[8];
	assert_int_equal(view_add(f->view, "page", "{{#a}}", 6, small, sizeof(small)), VIEW_SYNTAX);
	assert_string_equal(small, "page:1:");
	assert_int_equal(view_add(f->view, "page", "{{#a}}", 6, NULL, 0), VIEW_SYNTAX);
}

/* n nested sections "{{#a}}" ... "{{/a}}" around "x". */
static char *nested_sections(size_t n)
{
	char *text = malloc(n * 12 + 2);
	size_t len = 0;
	assert_non_null(text);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, 7, "{{#a}}");
	text[len++] = 'x';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, 7, "{{/a}}");
	text[len] = '\0';
	return text;
}

static void test_depth_cap_on_nested_sections(void **state)
{
	struct fixture *f = *state;
	char *ok = nested_sections(LIMIT_TEMPLATE_DEPTH);
	char *deep = nested_sections(LIMIT_TEMPLATE_DEPTH + 1);
	add(f, "ok", ok);
	assert_render(f, "ok", "{\"a\": true}", "x");
	assert_int_equal(view_add(f->view, "deep", deep, strlen(deep), f->err, sizeof(f->err)),
	                 VIEW_TOO_DEEP);
	assert_string_equal(f->err, "deep:1: sections nested deeper than 32");
	free(ok);
	free(deep);
}

/* {"name": levels, "children": [{"name": levels - 1, ... "children": []}]}: levels + 1 nodes. */
static struct json_object *tree(int levels)
{
	struct json_object *node = json_object_new_object();
	struct json_object *children = json_object_new_array();
	json_object_object_add(node, "name", json_object_new_int(levels));
	json_object_object_add(node, "children", children);
	if (levels > 0)
		json_object_array_add(children, tree(levels - 1));
	return node;
}

static void test_depth_cap_on_recursive_partials(void **state)
{
	struct fixture *f = *state;
	add(f, "self", "again {{>self}}");
	assert_int_equal(render_status(f, "self", "{}"), VIEW_TOO_DEEP);
	assert_string_equal(f->err, "self:1: sections and partials nested deeper than 32");

	/* A tree rendered by recursion: fine while shallow, refused when the data is too deep. */
	add(f, "node", "{{name}}({{#children}}{{>node}}{{/children}})");
	assert_render(f, "node", "{\"name\": \"a\", \"children\": [{\"name\": \"b\", \"children\": []}, "
	                         "{\"name\": \"c\", \"children\": [{\"name\": \"d\", "
	                         "\"children\": []}]}]}",
	              "a(b()c(d()))");
	/* Each level is a section and a partial: 16 levels fill LIMIT_TEMPLATE_DEPTH exactly. */
	char *out = NULL;
	struct json_object *ok = tree(LIMIT_TEMPLATE_DEPTH / 2);
	struct json_object *deep = tree(LIMIT_TEMPLATE_DEPTH / 2 + 1);
	assert_int_equal(view_render(f->view, "node", ok, f->arena, &out, NULL, f->err,
	                             sizeof(f->err)), VIEW_OK);
	assert_string_equal(out, "16(15(14(13(12(11(10(9(8(7(6(5(4(3(2(1(0()))))))))))))))))");
	assert_int_equal(view_render(f->view, "node", deep, f->arena, &out, NULL, f->err,
	                             sizeof(f->err)), VIEW_TOO_DEEP);
	assert_string_equal(f->err, "node:1: sections and partials nested deeper than 32");
	json_object_put(ok);
	json_object_put(deep);
}

static void test_template_size_cap(void **state)
{
	struct fixture *f = *state;
	size_t len = LIMIT_TEMPLATE_FILE_MAX + 1;
	char *text = malloc(len);
	assert_non_null(text);
	memset(text, 'x', len);
	assert_int_equal(view_add(f->view, "big", text, len - 1, f->err, sizeof(f->err)), VIEW_OK);
	assert_int_equal(view_add(f->view, "huge", text, len, f->err, sizeof(f->err)), VIEW_TOO_LARGE);

	make_dir(f);
	write_file_len(f, "huge.mustache", text, len);
	assert_int_equal(view_load_dir(f->view, f->dir, f->err, sizeof(f->err)), VIEW_TOO_LARGE);
	assert_non_null(strstr(f->err, "/huge.mustache: over the limit of 262144 bytes"));
	free(text);
}

static void test_output_cap(void **state)
{
	struct fixture *f = *state;
	size_t chunk = LIMIT_TEMPLATE_OUTPUT_MAX / 4;
	char *big = malloc(chunk + 1);
	assert_non_null(big);
	memset(big, 'y', chunk);
	big[chunk] = '\0';
	struct json_object *context = json_object_new_object();
	struct json_object *list = json_object_new_array();
	json_object_object_add(context, "big", json_object_new_string(big));
	json_object_object_add(context, "list", list);
	add(f, "page", "{{#list}}{{{big}}}{{/list}}");
	char *out = NULL;
	size_t out_len = 0;

	/* Exactly the cap is allowed... */
	for (int i = 0; i < 4; i++)
		json_object_array_add(list, json_object_new_boolean(1));
	assert_int_equal(view_render(f->view, "page", context, f->arena, &out, &out_len, f->err,
	                             sizeof(f->err)), VIEW_OK);
	assert_int_equal(out_len, LIMIT_TEMPLATE_OUTPUT_MAX);
	arena_reset(f->arena);

	/* ...one byte more is refused, not truncated. */
	add(f, "page", "{{#list}}{{{big}}}{{/list}}!");
	out = NULL;
	assert_int_equal(view_render(f->view, "page", context, f->arena, &out, &out_len, f->err,
	                             sizeof(f->err)), VIEW_TOO_LARGE);
	assert_null(out);
	assert_string_equal(f->err, "page:1: output over the limit of 4194304 bytes");
	json_object_put(context);
	free(big);
}

static void test_step_cap(void **state)
{
	struct fixture *f = *state;
	/* 100^4 visits of a tag that prints nothing: refused long before the output cap. */
	add(f, "page", "{{#a}}{{#a}}\n{{#a}}{{#a}}{{nothing}}{{/a}}{{/a}}{{/a}}{{/a}}");
	struct json_object *context = json_object_new_object();
	struct json_object *list = json_object_new_array();
	json_object_object_add(context, "a", list);
	for (int i = 0; i < 100; i++)
		json_object_array_add(list, json_object_new_int(i));
	char *out = NULL;
	assert_int_equal(view_render(f->view, "page", context, f->arena, &out, NULL, f->err,
	                             sizeof(f->err)), VIEW_TOO_LARGE);
	assert_string_equal(f->err, "page:2: render takes over 4194304 steps");
	json_object_put(context);
}

static void test_arena_too_small(void **state)
{
	struct fixture *f = *state;
	struct arena *tiny = arena_create(64);
	char *out = NULL;
	assert_non_null(tiny);
	add(f, "page", "{{#list}}{{.}}{{/list}}");
	struct json_object *context = json_tokener_parse("{\"list\": [1, 2, 3]}");
	assert_int_equal(view_render(f->view, "page", context, tiny, &out, NULL, f->err,
	                             sizeof(f->err)), VIEW_NO_MEMORY);
	json_object_put(context);
	arena_destroy(tiny);
}

static void test_numbers_and_booleans(void **state)
{
	struct fixture *f = *state;
	add(f, "page", "{{i}} {{n}} {{big}} {{d}} {{e}} {{t}} {{f}} [{{z}}] [{{missing}}]");
	assert_render(f, "page", "{\"i\": 42, \"n\": -7, \"big\": 9007199254740993, \"d\": 0.5, "
	                         "\"e\": 2.50, \"t\": true, \"f\": false, \"z\": null}",
	              "42 -7 9007199254740993 0.5 2.50 true false [] []");

	/* Values built in C (as the app does from the database) print json-c's way. */
	struct json_object *context = json_object_new_object();
	json_object_object_add(context, "i", json_object_new_int64(INT64_MIN));
	json_object_object_add(context, "n", json_object_new_int(0));
	json_object_object_add(context, "d", json_object_new_double(1.21));
	json_object_object_add(context, "t", json_object_new_boolean(1));
	char *out = NULL;
	assert_int_equal(view_render(f->view, "page", context, f->arena, &out, NULL, f->err,
	                             sizeof(f->err)), VIEW_OK);
	assert_string_equal(out, "-9223372036854775808 0  1.21  true  [] []");
	json_object_put(context);
}

static void test_truthiness(void **state)
{
	struct fixture *f = *state;
	/* Only missing, null, false and [] are falsey: 0, "" and {} are not. */
	add(f, "page", "{{#v}}T{{/v}}{{^v}}F{{/v}}");
	static const struct { const char *json, *want; } cases[] = {
		{ "{}", "F" }, { "{\"v\": null}", "F" }, { "{\"v\": false}", "F" },
		{ "{\"v\": []}", "F" }, { "{\"v\": 0}", "T" }, { "{\"v\": \"\"}", "T" },
		{ "{\"v\": {}}", "T" }, { "{\"v\": [0]}", "T" }, { "{\"v\": 0.0}", "T" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_render(f, "page", cases[i].json, cases[i].want);
}

static void test_objects_interpolate_as_escaped_json(void **state)
{
	struct fixture *f = *state;
	add(f, "page", "{{o}}|{{{a}}}");
	assert_render(f, "page", "{\"o\": {\"k\": \"<v>/\"}, \"a\": [1, \"x\"]}",
	              "{&quot;k&quot;:&quot;&lt;v&gt;/&quot;}|[1,\"x\"]");
}

static void test_renders_many_times_from_one_compile(void **state)
{
	struct fixture *f = *state;
	char text[] = "<li>{{#rows}}{{n}}:{{label}};{{/rows}}</li>";
	add(f, "rows", text);
	/* The view keeps its own compiled copy: the caller's buffer may go away. */
	memset(text, '?', sizeof(text) - 1);
	for (int i = 0; i < 2000; i++) {
		char json[128], want[128];
		snprintf(json, sizeof(json), "{\"rows\": [{\"n\": %d, \"label\": \"a&b\"}, {\"n\": %d}]}",
		         i, -i);
		snprintf(want, sizeof(want), "<li>%d:a&amp;b;%d:;</li>", i, -i);
		assert_render(f, "rows", json, want);
		arena_reset(f->arena);
	}
}

static void test_nul_bytes_pass_through(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "a\0{{v}}\0b";
	assert_int_equal(view_add(f->view, "page", text, sizeof(text) - 1, f->err, sizeof(f->err)),
	                 VIEW_OK);
	struct json_object *context = json_tokener_parse("{\"v\": \"<\"}");
	char *out = NULL;
	size_t out_len = 0;
	assert_int_equal(view_render(f->view, "page", context, f->arena, &out, &out_len, f->err,
	                             sizeof(f->err)), VIEW_OK);
	assert_int_equal(out_len, 8);
	assert_memory_equal(out, "a\0&lt;\0b", 9);
	json_object_put(context);
}

static void test_null_context(void **state)
{
	struct fixture *f = *state;
	char *out = NULL;
	add(f, "page", "[{{x}}{{#y}}no{{/y}}{{^y}}yes{{/y}}{{.}}]");
	assert_int_equal(view_render(f->view, "page", NULL, f->arena, &out, NULL, f->err,
	                             sizeof(f->err)), VIEW_OK);
	assert_string_equal(out, "[yes]");
}

static void test_strerror_names_every_status(void **state)
{
	(void)state;
	for (int s = VIEW_OK; s <= VIEW_NO_MEMORY; s++) {
		assert_non_null(view_strerror((enum view_status)s));
		assert_string_not_equal(view_strerror((enum view_status)s), "unknown view status");
	}
	assert_string_equal(view_strerror((enum view_status)99), "unknown view status");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_escapes_html_and_apostrophe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_escapes_numbers_lists_and_nested_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_dir_with_partials_in_subdirectory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_dir_reports_file_and_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_dir_missing_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_partial_is_empty_but_missing_template_is_error,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_added_later_or_replaced_is_used, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syntax_unclosed_section, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syntax_mismatched_close_tag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syntax_close_without_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syntax_unclosed_tag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syntax_unclosed_triple_and_comment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syntax_bad_names_and_delimiters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_fit_a_small_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_depth_cap_on_nested_sections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_depth_cap_on_recursive_partials, setup, teardown),
		cmocka_unit_test_setup_teardown(test_template_size_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_step_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_arena_too_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_numbers_and_booleans, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truthiness, setup, teardown),
		cmocka_unit_test_setup_teardown(test_objects_interpolate_as_escaped_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_renders_many_times_from_one_compile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nul_bytes_pass_through, setup, teardown),
		cmocka_unit_test_setup_teardown(test_null_context, setup, teardown),
		cmocka_unit_test_setup_teardown(test_strerror_names_every_status, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
