/*
 * test_multipart.c: what a browser's multipart form turns into, and which bodies are refused;
 * read as a stream, a file over its cap is dropped as it comes and flagged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include <cmocka.h>

#include "arena_fixture.h"
#include "arena.h"
#include "fields.h"
#include "limits.h"
#include "multipart.h"

#define BOUNDARY "----WebKitFormBoundaryX3bY9kQ2"
#define OPEN "--" BOUNDARY "\r\n"
#define NEXT "\r\n--" BOUNDARY "\r\n"
#define CLOSE "\r\n--" BOUNDARY "--\r\n"
#define TEXT_PART(name) "Content-Disposition: form-data; name=\"" name "\"\r\n\r\n"
#define FILE_MAX 1024

struct fixture {
	struct arena *arena;
	struct fields fields;
	char message[FIELDS_MESSAGE_MAX];
	char *body;  /* builder */
	size_t len;
};

static int setup(void **state)
{
	struct fixture *f = arena_fixture_new(state, sizeof(*f), offsetof(struct fixture, arena), 16u << 20);
	if (f == NULL)
		return -1;
	f->body = arena_alloc(f->arena, 1u << 20);
	if (f->body == NULL) {
		arena_fixture_free(state, offsetof(struct fixture, arena));
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	arena_fixture_free(state, offsetof(struct fixture, arena));
	return 0;
}

static void put_n(struct fixture *f, const char *s, size_t n)
{
	assert_true(f->len + n <= 1u << 20);
	memcpy(f->body + f->len, s, n);
	f->len += n;
}

static void put(struct fixture *f, const char *s)
{
	put_n(f, s, strlen(s));
}

static void put_repeat(struct fixture *f, char c, size_t n)
{
	assert_true(f->len + n <= 1u << 20);
	memset(f->body + f->len, c, n);
	f->len += n;
}

static enum fields_status parse_n(struct fixture *f, const char *body, size_t len)
{
	struct fields empty = {0};
	f->fields = empty;
	f->message[0] = '\0';
	return multipart_parse(f->arena, body, len, BOUNDARY, strlen(BOUNDARY), FILE_MAX, &f->fields,
	                       f->message);
}

static enum fields_status parse(struct fixture *f, const char *body)
{
	return parse_n(f, body, strlen(body));
}

/* Parses what the builder holds, then empties it. */
static enum fields_status parse_built(struct fixture *f)
{
	enum fields_status status = parse_n(f, f->body, f->len);
	f->len = 0;
	return status;
}

static enum fields_status boundary_of(struct fixture *f, const char *content_type,
                                      const char **boundary, size_t *len)
{
	f->message[0] = '\0';
	return multipart_boundary(content_type, strlen(content_type), boundary, len, f->message);
}

static void test_boundary_from_browsers(void **state)
{
	struct fixture *f = *state;
	const char *b = NULL;
	size_t len = 0;
	assert_int_equal(boundary_of(f, "multipart/form-data; boundary=----WebKitFormBoundaryX3bY9kQ2",
	                             &b, &len),
	                 FIELDS_OK);
	assert_int_equal(len, strlen(BOUNDARY));
	assert_memory_equal(b, BOUNDARY, len);
	assert_int_equal(boundary_of(f, "multipart/form-data; boundary=-----------------------------"
	                                "9051914041544843365972754266",
	                             &b, &len),
	                 FIELDS_OK);
	assert_int_equal(len, 57);
	assert_int_equal(boundary_of(f, "Multipart/Form-Data;charset=UTF-8 ; BOUNDARY=\"a b:c?'()\"",
	                             &b, &len),
	                 FIELDS_OK);
	assert_int_equal(len, 9);
	assert_memory_equal(b, "a b:c?'()", 9);
	/* Exactly 70 is allowed. */
	assert_int_equal(boundary_of(f, "multipart/form-data; boundary=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	                                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	                             &b, &len),
	                 FIELDS_OK);
	assert_int_equal(len, 70);
}

static void test_boundary_refused(void **state)
{
	struct fixture *f = *state;
	const char *b = NULL;
	size_t len = 0;
	static const struct {
		const char *content_type;
		const char *message;
	} bad[] = {
		{"application/x-www-form-urlencoded", "Content-Type is not multipart/form-data"},
		{"multipart/mixed; boundary=x", "Content-Type is not multipart/form-data"},
		{"multipart/form-data", "Content-Type has no boundary parameter"},
		{"multipart/form-data; charset=utf-8", "Content-Type has no boundary parameter"},
		{"multipart/form-data; boundary=\"\"", "multipart boundary must be 1 to 70 characters long"},
		{"multipart/form-data; boundary=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaaaa",
		 "multipart boundary must be 1 to 70 characters long"},
		{"multipart/form-data; boundary=a; boundary=b", "Content-Type has two boundary parameters"},
		{"multipart/form-data; boundary=\"a@b\"",
		 "multipart boundary has a character not allowed by RFC 2046"},
		{"multipart/form-data; boundary=\"a\\\"b\"",
		 "multipart boundary has a character not allowed by RFC 2046"},
		{"multipart/form-data; boundary=\"ab \"", "multipart boundary ends in a space"},
		{"multipart/form-data; boundary=\"abc", "malformed Content-Type parameters at byte 34"},
		{"multipart/form-data; boundary=", "malformed Content-Type parameters at byte 30"},
		{"multipart/form-data boundary=x", "malformed Content-Type parameters at byte 20"},
		{"multipart/form-data; boundary=x\r\n", "control byte at byte 31 of the Content-Type header"},
		{"", "Content-Type is not multipart/form-data"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(boundary_of(f, bad[i].content_type, &b, &len), FIELDS_BAD_SYNTAX);
		assert_string_equal(f->message, bad[i].message);
	}
	assert_int_equal(multipart_boundary("multipart/form-data; boundary=a\0b", 33, &b, &len,
	                                    f->message),
	                 FIELDS_BAD_SYNTAX);
}

static void test_browser_form_with_file(void **state)
{
	struct fixture *f = *state;
	/* The file holds a NUL, CRLFs, bytes that are not UTF-8 and lookalike delimiters: a
	 * boundary not after CRLF, and one after CRLF followed by something else. */
	static const char file[] = "\xff\xd8\xff\xe0\0--" BOUNDARY "\r\n"
	                           "x\r\n--" BOUNDARY "x\r\n\r\n";
	static const char body[] =
		OPEN TEXT_PART("title") "Broken lamp"
		NEXT "Content-Disposition: form-data; name=\"details\"\r\n"
		"Content-Type: text/plain; charset=UTF-8\r\n\r\n"
		"line 1\r\nline 2 caf\xc3\xa9"
		NEXT "Content-Disposition: form-data; name=\"photo\"; filename=\"lamp.jpg\"\r\n"
		"Content-Type: image/jpeg\r\n\r\n"
		"\xff\xd8\xff\xe0\0--" BOUNDARY "\r\n"
		"x\r\n--" BOUNDARY "x\r\n\r\n"
		CLOSE;
	assert_int_equal(parse_n(f, body, sizeof(body) - 1), FIELDS_OK);
	assert_int_equal(f->fields.count, 3);

	const struct field *title = &f->fields.items[0];
	assert_string_equal(title->name, "title");
	assert_string_equal(title->value, "Broken lamp");
	assert_null(title->filename);
	assert_string_equal(title->content_type, "text/plain");

	const struct field *details = fields_find(&f->fields, "details");
	assert_non_null(details);
	assert_string_equal(details->value, "line 1\r\nline 2 caf\xc3\xa9");
	assert_string_equal(details->content_type, "text/plain; charset=UTF-8");

	const struct field *photo = fields_find(&f->fields, "photo");
	assert_non_null(photo);
	assert_string_equal(photo->filename, "lamp.jpg");
	assert_string_equal(photo->content_type, "image/jpeg");
	assert_int_equal(photo->value_len, sizeof(file) - 1);
	assert_memory_equal(photo->value, file, sizeof(file) - 1);
	assert_int_equal(photo->value[photo->value_len], '\0');
}

static void test_preamble_epilogue_padding_and_empty_form(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(parse(f, "This is a preamble.\r\n--" BOUNDARY " \t\r\n" TEXT_PART("a") "1"
	                          "\r\n--" BOUNDARY "--\r\nepilogue --" BOUNDARY "\r\ngarbage"),
	                 FIELDS_OK);
	assert_int_equal(f->fields.count, 1);
	assert_string_equal(fields_value(&f->fields, "a"), "1");
	/* An empty form is the closing delimiter alone. */
	assert_int_equal(parse(f, "--" BOUNDARY "--\r\n"), FIELDS_OK);
	assert_int_equal(f->fields.count, 0);
	/* Empty values, and duplicate names kept in order. */
	assert_int_equal(parse(f, OPEN TEXT_PART("tag") NEXT TEXT_PART("tag") "b" CLOSE), FIELDS_OK);
	assert_int_equal(f->fields.count, 2);
	assert_string_equal(fields_value(&f->fields, "tag"), "");
	assert_string_equal(f->fields.items[1].value, "b");
}

static void test_truncated_bodies_refused(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *body;
		const char *message;
	} bad[] = {
		{"", "the form data has no multipart boundary (truncated?)"},
		{"just text", "the form data has no multipart boundary (truncated?)"},
		{"--" BOUNDARY, "the form data has no multipart boundary (truncated?)"},
		{OPEN, "the form data is truncated (inside the headers of part 1)"},
		{OPEN "Content-Disposition: form-data; name=\"a\"\r",
		 "the form data is truncated (inside the headers of part 1)"},
		{OPEN TEXT_PART("a") "value",
		 "the form data is truncated (no closing boundary after part 1)"},
		{OPEN TEXT_PART("a") "value\r\n--" BOUNDARY,
		 "the form data is truncated (no closing boundary after part 1)"},
		{OPEN TEXT_PART("a") "value\r\n--" BOUNDARY "-",
		 "the form data is truncated (no closing boundary after part 1)"},
		{OPEN TEXT_PART("a") "1" NEXT,
		 "the form data is truncated (inside the headers of part 2)"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(f, bad[i].body), FIELDS_BAD_SYNTAX);
		assert_string_equal(f->message, bad[i].message);
	}
}

static void test_bad_headers_refused(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *body;
		const char *message;
	} bad[] = {
		{OPEN "Content-Disposition: form-data; name=\"a\"\n\r\n1" CLOSE,
		 "part 1: header line ends in a bare LF instead of CRLF"},
		{OPEN "Content-Type: text/plain\r\n\r\n1" CLOSE,
		 "part 1 has no Content-Disposition header"},
		{OPEN "\r\n1" CLOSE, "part 1 has no Content-Disposition header"},
		{OPEN "Content-Disposition: form-data; filename=\"x\"\r\n\r\n1" CLOSE,
		 "part 1 has no name"},
		{OPEN "Content-Disposition: form-data; name=\"\"\r\n\r\n1" CLOSE,
		 "part 1 has an empty name"},
		{OPEN TEXT_PART("a") "1" NEXT "Content-Disposition: attachment; name=\"b\"\r\n\r\n2" CLOSE,
		 "part 2: Content-Disposition is not form-data"},
		{OPEN "Content-Disposition: form-data; name=\"a\"; name=\"b\"\r\n\r\n1" CLOSE,
		 "part 1: Content-Disposition has two name parameters"},
		{OPEN "Content-Disposition: form-data; name=\"a\r\n\r\n1" CLOSE,
		 "part 1: malformed Content-Disposition header"},
		{OPEN TEXT_PART("a") "1" NEXT TEXT_PART("b") "2" NEXT
		      "Content-Disposition: form-data; name=\"c\"\r\n"
		      "Content-Disposition: form-data; name=\"c\"\r\n\r\n3" CLOSE,
		 "part 3 has two Content-Disposition headers"},
		{OPEN "Content-Disposition form-data; name=\"a\"\r\n\r\n1" CLOSE,
		 "part 1: malformed header line"},
		{OPEN "Content-Disposition: form-data;\r\n name=\"a\"\r\n\r\n1" CLOSE,
		 "part 1: folded header lines are not allowed"},
		{OPEN "Content-Disposition: form-data; name=\"a\x01\"\r\n\r\n1" CLOSE,
		 "part 1: control byte in a header line"},
		{OPEN "Content-Disposition: form-data; name=\"\xc0\xaf\"\r\n\r\n1" CLOSE,
		 "part 1: field name: invalid UTF-8"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(f, bad[i].body), FIELDS_BAD_SYNTAX);
		assert_string_equal(f->message, bad[i].message);
	}
	/* A NUL in a header line is a control byte too. */
	static const char nul[] = OPEN "Content-Disposition: form-data; name=\"a\0\"\r\n\r\n1" CLOSE;
	assert_int_equal(parse_n(f, nul, sizeof(nul) - 1), FIELDS_BAD_SYNTAX);
	assert_string_equal(f->message, "part 1: control byte in a header line");
}

static void test_header_names_case_insensitive_unknown_ignored(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(parse(f, OPEN "content-disposition:FORM-DATA; NAME=a; Filename=\"r.txt\"\r\n"
	                               "X-Extra: whatever\r\n"
	                               "CONTENT-TYPE:  text/csv  \r\n\r\n"
	                               "x,y" CLOSE),
	                 FIELDS_OK);
	assert_int_equal(f->fields.count, 1);
	assert_string_equal(f->fields.items[0].name, "a");
	assert_string_equal(f->fields.items[0].filename, "r.txt");
	assert_string_equal(f->fields.items[0].content_type, "text/csv");
	assert_string_equal(f->fields.items[0].value, "x,y");
}

static void test_text_values_checked_files_not(void **state)
{
	struct fixture *f = *state;
	static const char nul[] = OPEN TEXT_PART("comment") "a\0b" CLOSE;
	assert_int_equal(parse_n(f, nul, sizeof(nul) - 1), FIELDS_BAD_SYNTAX);
	assert_string_equal(f->message, "field \"comment\" at byte 85: NUL byte (raw or as %00) is "
	                                "not allowed");
	assert_int_equal(parse(f, OPEN TEXT_PART("comment") "%C0%AF stays as typed" CLOSE), FIELDS_OK);
	assert_string_equal(fields_value(&f->fields, "comment"), "%C0%AF stays as typed");
	assert_int_equal(parse(f, OPEN TEXT_PART("comment") "\xc0\xaf" CLOSE), FIELDS_BAD_SYNTAX);
	assert_non_null(strstr(f->message, "invalid UTF-8"));

	static const char binary[] = OPEN "Content-Disposition: form-data; name=\"f\"; filename=\"b\"\r\n"
	                                  "\r\n\0\xc0\xaf" CLOSE;
	assert_int_equal(parse_n(f, binary, sizeof(binary) - 1), FIELDS_OK);
	assert_int_equal(f->fields.items[0].value_len, 3);
	assert_memory_equal(f->fields.items[0].value, "\0\xc0\xaf", 3);
	assert_string_equal(f->fields.items[0].content_type, "application/octet-stream");
}

static void test_filenames(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *sent;
		const char *kept;
	} names[] = {
		{"C:\\x\\y.jpg", "y.jpg"},
		{"../../etc/passwd", "passwd"},
		{"dir/", ""},
		{"", ""},
		{"r\xc3\xa9sum\xc3\xa9 (1).pdf", "r\xc3\xa9sum\xc3\xa9 (1).pdf"},
		{"a%22b", "a%22b"},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		put(f, OPEN "Content-Disposition: form-data; name=\"up\"; filename=\"");
		put(f, names[i].sent);
		put(f, "\"\r\n\r\n" CLOSE);
		assert_int_equal(parse_built(f), FIELDS_OK);
		assert_string_equal(f->fields.items[0].filename, names[i].kept);
	}
	static const struct {
		const char *sent;
		const char *message;
	} bad[] = {
		{"x/..", "file name of field \"up\" is not a file name"},
		{".", "file name of field \"up\" is not a file name"},
		{"a\tb", "file name of field \"up\" has a control character"},
		{"\xff.txt", "file name of field \"up\": invalid UTF-8"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put(f, OPEN "Content-Disposition: form-data; name=\"up\"; filename=\"");
		put(f, bad[i].sent);
		put(f, "\"\r\n\r\n" CLOSE);
		assert_int_equal(parse_built(f), FIELDS_BAD_SYNTAX);
		assert_string_equal(f->message, bad[i].message);
	}
	/* Length cap: 255 fine, 256 refused. */
	put(f, OPEN "Content-Disposition: form-data; name=\"up\"; filename=\"");
	put_repeat(f, 'n', LIMIT_FILENAME_MAX);
	put(f, "\"\r\n\r\n" CLOSE);
	assert_int_equal(parse_built(f), FIELDS_OK);
	put(f, OPEN "Content-Disposition: form-data; name=\"up\"; filename=\"");
	put_repeat(f, 'n', LIMIT_FILENAME_MAX + 1);
	put(f, "\"\r\n\r\n" CLOSE);
	assert_int_equal(parse_built(f), FIELDS_TOO_LARGE);
	assert_string_equal(f->message, "file name of field \"up\" is too long (over 255 bytes)");
}

static void test_value_and_file_caps(void **state)
{
	struct fixture *f = *state;
	put(f, OPEN TEXT_PART("story"));
	put_repeat(f, 's', LIMIT_FIELD_VALUE_MAX);
	put(f, CLOSE);
	assert_int_equal(parse_built(f), FIELDS_OK);
	assert_int_equal(f->fields.items[0].value_len, LIMIT_FIELD_VALUE_MAX);

	put(f, OPEN TEXT_PART("story"));
	put_repeat(f, 's', LIMIT_FIELD_VALUE_MAX + 1);
	put(f, CLOSE);
	assert_int_equal(parse_built(f), FIELDS_TOO_LARGE);
	assert_string_equal(f->message, "field \"story\" is too long (over 65536 bytes)");

	put(f, OPEN "Content-Disposition: form-data; name=\"photo\"; filename=\"p.png\"\r\n\r\n");
	put_repeat(f, '\0', FILE_MAX);
	put(f, CLOSE);
	assert_int_equal(parse_built(f), FIELDS_OK);
	assert_int_equal(f->fields.items[0].value_len, FILE_MAX);

	assert_false(f->fields.items[0].over_limit);

	/* One byte over: the file is dropped and flagged, the fields around it kept. */
	put(f, OPEN TEXT_PART("before") "typed" NEXT);
	put(f, "Content-Disposition: form-data; name=\"photo\"; filename=\"p.png\"\r\n"
	       "Content-Type: image/png\r\n\r\n");
	put_repeat(f, '\0', FILE_MAX + 1);
	put(f, NEXT TEXT_PART("after") "kept" CLOSE);
	assert_int_equal(parse_built(f), FIELDS_OK);
	assert_int_equal(f->fields.count, 3);
	assert_string_equal(fields_value(&f->fields, "before"), "typed");
	assert_string_equal(fields_value(&f->fields, "after"), "kept");
	const struct field *photo = fields_find(&f->fields, "photo");
	assert_true(photo->over_limit);
	assert_int_equal(photo->value_len, 0);
	assert_string_equal(photo->value, "");
	assert_string_equal(photo->filename, "p.png");
	assert_string_equal(photo->content_type, "image/png");
	assert_false(fields_find(&f->fields, "before")->over_limit);
}

/* A body made on the fly as a reader hands it out: head, then `repeat` bytes of `fill`, then tail,
 * at most `chunk` bytes a call. */
struct generated {
	const char *head, *tail;
	size_t repeat, chunk, pos, calls;
	char fill;
};

static size_t generated_len(const struct generated *g)
{
	return strlen(g->head) + g->repeat + strlen(g->tail);
}

static ssize_t generated_read(void *context, char *buf, size_t len)
{
	struct generated *g = context;
	size_t head = strlen(g->head), total = generated_len(g), n = 0;
	if (len > g->chunk)
		len = g->chunk;
	for (; n < len && g->pos < total; n++, g->pos++) {
		if (g->pos < head)
			buf[n] = g->head[g->pos];
		else if (g->pos < head + g->repeat)
			buf[n] = g->fill;
		else
			buf[n] = g->tail[g->pos - head - g->repeat];
	}
	g->calls++;
	return (ssize_t)n;
}

static enum fields_status read_generated(struct fixture *f, struct generated *g, size_t file_max)
{
	struct fields empty = {0};
	f->fields = empty;
	f->message[0] = '\0';
	return multipart_read(f->arena, generated_read, g, generated_len(g), BOUNDARY, strlen(BOUNDARY),
	                      file_max, &f->fields, f->message);
}

static void test_streamed_file_over_its_cap_is_dropped(void **state)
{
	struct fixture *f = *state;
	/* 8 MiB of photo against a 1 KiB cap, with text parts on both sides, in 16 KiB reads. */
	struct generated g = {
		.head = OPEN TEXT_PART("description") "Dead streetlight" NEXT
		        "Content-Disposition: form-data; name=\"photo\"; filename=\"big.jpg\"\r\n\r\n",
		.tail = NEXT TEXT_PART("address") "Rua Augusta 1" CLOSE "epilogue",
		.repeat = 8u << 20,
		.fill = '-',
		.chunk = 16384,
	};
	size_t used = arena_used(f->arena);
	assert_int_equal(read_generated(f, &g, FILE_MAX), FIELDS_OK);
	assert_int_equal(g.pos, generated_len(&g));   /* read to its end, the epilogue too */
	assert_int_equal(f->fields.count, 3);
	assert_string_equal(fields_value(&f->fields, "description"), "Dead streetlight");
	assert_string_equal(fields_value(&f->fields, "address"), "Rua Augusta 1");
	assert_true(fields_find(&f->fields, "photo")->over_limit);
	assert_int_equal(fields_find(&f->fields, "photo")->value_len, 0);
	/* Never held: the parser's memory is one part's window, not the body. */
	assert_true(arena_used(f->arena) - used < 256u * 1024);

	/* The same with a cap it fits under: the whole file arrives. */
	g.pos = 0;
	g.repeat = 300000;
	assert_int_equal(read_generated(f, &g, 300000), FIELDS_OK);
	assert_false(fields_find(&f->fields, "photo")->over_limit);
	assert_int_equal(fields_find(&f->fields, "photo")->value_len, 300000);
	g.pos = 0;
	g.repeat = 300001;
	assert_int_equal(read_generated(f, &g, 300000), FIELDS_OK);
	assert_true(fields_find(&f->fields, "photo")->over_limit);
	assert_string_equal(fields_value(&f->fields, "address"), "Rua Augusta 1");
}

static void test_streamed_text_over_its_cap_is_refused(void **state)
{
	struct fixture *f = *state;
	struct generated g = {
		.head = OPEN TEXT_PART("story"),
		.tail = CLOSE,
		.repeat = 4u << 20,
		.fill = 's',
		.chunk = 4096,
	};
	assert_int_equal(read_generated(f, &g, FILE_MAX), FIELDS_TOO_LARGE);
	assert_string_equal(f->message, "field \"story\" is too long (over 65536 bytes)");
	/* Refused as soon as it is known: the rest is not read. */
	assert_true(g.pos < 1u << 20);
}

static void test_streamed_long_preamble_and_short_body(void **state)
{
	struct fixture *f = *state;
	struct generated g = {
		.head = "",
		.tail = NEXT TEXT_PART("a") "1" CLOSE,
		.repeat = 2u << 20,
		.fill = 'p',
		.chunk = 1000,
	};
	assert_int_equal(read_generated(f, &g, FILE_MAX), FIELDS_OK);
	assert_string_equal(fields_value(&f->fields, "a"), "1");

	/* A reader that ends before Content-Length. */
	struct generated shorter = g;
	shorter.pos = 0;
	struct fields empty = {0};
	f->fields = empty;
	assert_int_equal(multipart_read(f->arena, generated_read, &shorter, generated_len(&g) + 10, BOUNDARY,
	                                strlen(BOUNDARY), FILE_MAX, &f->fields, f->message),
	                 FIELDS_BAD_SYNTAX);
	assert_string_equal(f->message, "the request body ended early");
}

/* Whatever the reads' sizes, the same fields or the same refusal. */
static void test_streamed_chunking_changes_nothing(void **state)
{
	struct fixture *f = *state;
	static const char *const bodies[] = {
		OPEN TEXT_PART("a") "x\r\n--" BOUNDARY "x" NEXT TEXT_PART("b") "2" CLOSE,
		OPEN "Content-Disposition: form-data; name=\"f\"; filename=\"f\"\r\n\r\n"
		     "0123456789012345678901234567890123456789" CLOSE,
		OPEN TEXT_PART("a") "1\r\n--" BOUNDARY "   \r\n" TEXT_PART("b") "2" CLOSE,
		OPEN TEXT_PART("a") "1\r\n--" BOUNDARY "-",
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct generated g = {.head = bodies[i], .tail = "", .chunk = 1 << 20};
		enum fields_status whole = read_generated(f, &g, 16);
		struct fields first = f->fields;
		char message[FIELDS_MESSAGE_MAX];
		snprintf(message, sizeof(message), "%s", f->message);
		for (size_t chunk = 1; chunk < 9; chunk++) {
			g.pos = 0;
			g.chunk = chunk;
			assert_int_equal(read_generated(f, &g, 16), whole);
			assert_string_equal(f->message, message);
			assert_int_equal(f->fields.count, first.count);
			for (size_t j = 0; j < first.count; j++) {
				assert_int_equal(f->fields.items[j].value_len, first.items[j].value_len);
				assert_memory_equal(f->fields.items[j].value, first.items[j].value, first.items[j].value_len);
				assert_int_equal(f->fields.items[j].over_limit, first.items[j].over_limit);
			}
		}
	}
}

static void test_delimiter_padding_cap(void **state)
{
	struct fixture *f = *state;
	char pad[LIMIT_BOUNDARY_PADDING_MAX + 2];
	memset(pad, ' ', sizeof(pad));
	/* 64 spaces of transport padding before the CRLF: still a delimiter. */
	put(f, OPEN TEXT_PART("a") "1\r\n--" BOUNDARY);
	put_n(f, pad, LIMIT_BOUNDARY_PADDING_MAX);
	put(f, "\r\n" TEXT_PART("b") "2" CLOSE);
	assert_int_equal(parse_built(f), FIELDS_OK);
	assert_int_equal(f->fields.count, 2);
	/* 65: content that looks like one. */
	put(f, OPEN TEXT_PART("a") "1\r\n--" BOUNDARY);
	put_n(f, pad, LIMIT_BOUNDARY_PADDING_MAX + 1);
	put(f, "\r\n" TEXT_PART("b") "2" CLOSE);
	assert_int_equal(parse_built(f), FIELDS_OK);
	assert_int_equal(f->fields.count, 1);
	assert_int_equal(f->fields.items[0].value_len, 1 + strlen("\r\n--" BOUNDARY) + LIMIT_BOUNDARY_PADDING_MAX + 1 +
	                                               strlen("\r\n" TEXT_PART("b") "2"));
}

static void test_name_cap(void **state)
{
	struct fixture *f = *state;
	put(f, OPEN "Content-Disposition: form-data; name=\"");
	put_repeat(f, 'n', LIMIT_FIELD_NAME_MAX);
	put(f, "\"\r\n\r\n1" CLOSE);
	assert_int_equal(parse_built(f), FIELDS_OK);
	put(f, OPEN "Content-Disposition: form-data; name=\"");
	put_repeat(f, 'n', LIMIT_FIELD_NAME_MAX + 1);
	put(f, "\"\r\n\r\n1" CLOSE);
	assert_int_equal(parse_built(f), FIELDS_TOO_LARGE);
	assert_string_equal(f->message, "part 1: field name is too long (over 128 bytes)");
}

static void test_header_block_caps(void **state)
{
	struct fixture *f = *state;
	/* Eight lines pass, nine do not. */
	put(f, OPEN TEXT_PART("a") "1" NEXT);
	for (int i = 0; i < LIMIT_PART_HEADER_LINES_MAX - 1; i++)
		put(f, "X-Pad: 1\r\n");
	put(f, "Content-Disposition: form-data; name=\"b\"\r\n\r\n2" CLOSE);
	assert_int_equal(parse_built(f), FIELDS_OK);
	assert_int_equal(f->fields.count, 2);

	put(f, OPEN TEXT_PART("a") "1" NEXT);
	for (int i = 0; i < LIMIT_PART_HEADER_LINES_MAX; i++)
		put(f, "X-Pad: 1\r\n");
	put(f, "Content-Disposition: form-data; name=\"b\"\r\n\r\n2" CLOSE);
	assert_int_equal(parse_built(f), FIELDS_TOO_LARGE);
	assert_string_equal(f->message, "part 2 has too many header lines (over 8)");

	/* 4096 bytes of header lines (CRLFs included) pass, 4097 do not. */
	static const char disposition[] = "Content-Disposition: form-data; name=\"a\"\r\n";
	size_t pad = LIMIT_PART_HEADERS_MAX - (sizeof(disposition) - 1) - strlen("X: \r\n");
	put(f, OPEN);
	put(f, disposition);
	put(f, "X: ");
	put_repeat(f, 'p', pad);
	put(f, "\r\n\r\nv" CLOSE);
	assert_int_equal(parse_built(f), FIELDS_OK);

	put(f, OPEN);
	put(f, disposition);
	put(f, "X: ");
	put_repeat(f, 'p', pad + 1);
	put(f, "\r\n\r\nv" CLOSE);
	assert_int_equal(parse_built(f), FIELDS_TOO_LARGE);
	assert_string_equal(f->message, "part 1: headers are too large (over 4096 bytes)");
}

static void test_part_count_cap(void **state)
{
	struct fixture *f = *state;
	put(f, OPEN);
	for (int i = 0; i < LIMIT_FIELDS_MAX; i++)
		put(f, i == 0 ? TEXT_PART("k") "v" : NEXT TEXT_PART("k") "v");
	put(f, CLOSE);
	assert_int_equal(parse_built(f), FIELDS_OK);
	assert_int_equal(f->fields.count, LIMIT_FIELDS_MAX);

	put(f, OPEN);
	for (int i = 0; i < LIMIT_FIELDS_MAX + 1; i++)
		put(f, i == 0 ? TEXT_PART("k") "v" : NEXT TEXT_PART("k") "v");
	put(f, CLOSE);
	assert_int_equal(parse_built(f), FIELDS_TOO_MANY);
	assert_string_equal(f->message, "too many parts (at most 64)");
}

static void test_many_lookalike_delimiters_are_content(void **state)
{
	struct fixture *f = *state;
	/* 10000 near-delimiters inside one file: all content, found in one pass. */
	put(f, OPEN "Content-Disposition: form-data; name=\"f\"; filename=\"f\"\r\n\r\n");
	size_t start = f->len;
	for (int i = 0; i < 10000; i++)
		put(f, "\r\n--" BOUNDARY "x");
	size_t content = f->len - start;
	put(f, CLOSE);
	size_t len = f->len;
	f->len = 0;
	struct fields empty = {0};
	f->fields = empty;
	assert_int_equal(multipart_parse(f->arena, f->body, len, BOUNDARY, strlen(BOUNDARY), 1u << 20,
	                                 &f->fields, f->message),
	                 FIELDS_OK);
	assert_int_equal(f->fields.items[0].value_len, content);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_boundary_from_browsers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boundary_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_browser_form_with_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_preamble_epilogue_padding_and_empty_form, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_truncated_bodies_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_headers_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_names_case_insensitive_unknown_ignored, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_text_values_checked_files_not, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filenames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_value_and_file_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_block_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_part_count_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_lookalike_delimiters_are_content, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_streamed_file_over_its_cap_is_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_streamed_text_over_its_cap_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_streamed_long_preamble_and_short_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_streamed_chunking_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delimiter_padding_cap, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
