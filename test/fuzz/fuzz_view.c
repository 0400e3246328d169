/*
 * fuzz_view.c: libFuzzer target for the Mustache compiler and renderer (view.c).
 *
 * The input is a template, a NUL byte, then a JSON context (no NUL: the template alone, rendered
 * with no context). The template is added twice, as "main" and as the partial "p", so {{>p}} and
 * {{>main}} exercise recursion and the depth cap. Whatever view_add and view_render answer, they
 * must not crash, leak or overrun; a render that succeeds must fit the output cap and be
 * NUL-terminated, and rendering twice from the one compiled view must give the same bytes.
 */
#include "view.h"

#include "arena.h"
#include "limits.h"

#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* One arena for every run, as a worker keeps one: reset after each input. */
static struct arena *fuzz_arena;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nul = memchr(text, '\0', size);
	size_t template_len = nul != NULL ? (size_t)(nul - text) : size;
	struct json_object *context = NULL;
	struct view *view = NULL;
	char err[VIEW_MESSAGE_MAX];
	if (fuzz_arena == NULL && (fuzz_arena = arena_create(LIMIT_ARENA_MAX)) == NULL)
		abort();
	if (nul != NULL) {
		struct json_tokener *tokener = json_tokener_new();
		if (tokener == NULL)
			abort();
		context = json_tokener_parse_ex(tokener, nul + 1, (int)(size - template_len - 1));
		json_tokener_free(tokener);
	}
	view = view_new();
	if (view == NULL)
		abort();
	if (view_add(view, "main", text, template_len, err, sizeof(err)) != VIEW_OK ||
	    view_add(view, "p", text, template_len, err, sizeof(err)) != VIEW_OK)
		goto out;
	char *first = NULL, *second = NULL;
	size_t first_len = 0, second_len = 0;
	enum view_status status = view_render(view, "main", context, fuzz_arena, &first, &first_len,
	                                      err, sizeof(err));
	if (status != VIEW_OK)
		goto out;
	if (first_len > LIMIT_TEMPLATE_OUTPUT_MAX || first[first_len] != '\0')
		abort();
	if (view_render(view, "main", context, fuzz_arena, &second, &second_len, err,
	                sizeof(err)) != VIEW_OK ||
	    second_len != first_len || memcmp(first, second, first_len) != 0)
		abort();
out:
	view_free(view);
	json_object_put(context);
	arena_reset(fuzz_arena);
	return 0;
}
