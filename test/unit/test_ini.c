/*
 * test_ini.c: what an operator sees from the configuration reader (fcgi/ini.c).
 *
 * Each refusal is checked through the exact message ini_error_format gives (file, line,
 * section, key, reason), and every refused load is checked to leave the target struct as it was.
 * Leaks are left to the sanitizer build's leak checker, so each test frees what it loads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "ini.h"
#include "limits.h"

struct conf {
	char *listen;
	char *location;
	long long workers;
	bool debug;
	size_t upload;
	long long timeout;
	char *replicas;
	size_t cache;
	long long idle;
	long long offset;
	int untouched;  /* not in the table: a load must never change it */
};

static int check_listen(const char *value, char *reason, size_t size)
{
	if (value[0] != '/') {
		snprintf(reason, size, "must be an absolute socket path");
		return -1;
	}
	return 0;
}

static int check_silent(const char *value, char *reason, size_t size)
{
	(void)reason;
	(void)size;
	return strcmp(value, "forbidden") == 0;
}

static const struct ini_key table[] = {
	{.section = "server", .key = "listen", INI_FIELD_STRING(struct conf, listen), .min = 1,
	 .max = 108, .check = check_listen, .help = "socket nginx connects to"},
	{.section = "server", .key = "location", INI_FIELD_STRING(struct conf, location),
	 .default_value = "hk-1", .min = 1, .max = 32, .check = check_silent,
	 .help = "name of this host in reports"},
	{.section = "server", .key = "workers", INI_FIELD_INTEGER(struct conf, workers),
	 .default_value = "8", .min = 1, .max = 64, .help = "worker processes"},
	{.section = "server", .key = "debug", INI_FIELD_BOOLEAN(struct conf, debug),
	 .default_value = "no", .help = "verbose logs"},
	{.section = "server", .key = "upload_max_bytes", INI_FIELD_SIZE(struct conf, upload),
	 .default_value = "8M", .min = 1024, .max = 64LL * 1024 * 1024, .help = "largest upload"},
	{.section = "db", .key = "attempt_timeout_ms", INI_FIELD_DURATION_MS(struct conf, timeout, &config_durations),
	 .default_value = "2s", .min = 1, .max = 10 * 60 * 1000, .help = "one attempt"},
	{.section = "db", .key = "replicas", INI_FIELD_STRING(struct conf, replicas),
	 .default_value = "", .help = "name=url, ..."},
	{.section = "limits", .key = "cache_bytes", INI_FIELD_SIZE(struct conf, cache),
	 .default_value = "0", .help = "unbounded size"},
	{.section = "limits", .key = "idle", INI_FIELD_DURATION_MS(struct conf, idle, &config_durations),
	 .default_value = "0", .help = "unbounded duration"},
	{.section = "limits", .key = "offset", INI_FIELD_INTEGER(struct conf, offset),
	 .default_value = "0", .help = "unbounded integer"},
};
#define TABLE_LEN (sizeof(table) / sizeof(table[0]))

#define LISTEN "[server]\nlisten = /run/c.sock\n"

/* Loads len bytes into a fresh struct; *message gets the formatted error. */
static enum ini_status load_into(struct conf *c, const char *text, size_t len, char *message,
                                 size_t size)
{
	struct ini_error error;
	enum ini_status status =
	    ini_load_buffer(table, TABLE_LEN, c, sizeof(*c), "test.conf", text, len, &error);
	ini_error_format(&error, message, size);
	return status;
}

static struct conf load_ok_len(const char *text, size_t len)
{
	struct conf c = {.untouched = 7};
	char message[512];
	enum ini_status status = load_into(&c, text, len, message, sizeof(message));
	if (status != INI_OK)
		print_error("unexpected refusal: %s\n", message);
	assert_int_equal(status, INI_OK);
	assert_int_equal(c.untouched, 7);
	return c;
}

static struct conf load_ok(const char *text)
{
	return load_ok_len(text, strlen(text));
}

static void refused_len(const char *text, size_t len, enum ini_status want, const char *expect)
{
	struct conf c = {.untouched = 7};
	struct conf before = c;
	char message[512];
	enum ini_status status = load_into(&c, text, len, message, sizeof(message));
	assert_string_equal(message, expect);
	assert_int_equal(status, want);
	assert_memory_equal(&c, &before, sizeof(c));
}

/* Text literals may hold NUL bytes, so their length comes from sizeof. */
#define REFUSED(text, status, expect) refused_len(text, sizeof(text) - 1, status, expect)

static void test_defaults_fill_what_the_file_leaves_out(void **state)
{
	(void)state;
	struct conf c = load_ok(LISTEN);
	assert_string_equal(c.listen, "/run/c.sock");
	assert_string_equal(c.location, "hk-1");
	assert_int_equal(c.workers, 8);
	assert_false(c.debug);
	assert_int_equal(c.upload, 8 * 1024 * 1024);
	assert_int_equal(c.timeout, 2000);
	assert_non_null(c.replicas);
	assert_string_equal(c.replicas, "");
	ini_free(table, TABLE_LEN, &c);
	assert_null(c.listen);
	assert_null(c.replicas);
	ini_free(table, TABLE_LEN, &c);
}

static void test_full_file_with_comments_and_blanks(void **state)
{
	(void)state;
	struct conf c = load_ok("# complaintd test\n"
	                        "   ; indented comment\n"
	                        "\n"
	                        "  [ server ]  \n"
	                        "\tlisten\t=\t/run/c.sock  \n"
	                        "workers=3\n"
	                        "debug = On\n"
	                        "upload_max_bytes = 16M\n"
	                        "location = café ☕ 🚀\n"
	                        "[db]\n"
	                        "replicas = a=http://h/x#frag;b ; c # not a comment\n"
	                        "attempt_timeout_ms = 1500ms\n");
	assert_string_equal(c.listen, "/run/c.sock");
	assert_int_equal(c.workers, 3);
	assert_true(c.debug);
	assert_int_equal(c.upload, 16 * 1024 * 1024);
	assert_string_equal(c.location, "café ☕ 🚀");
	assert_string_equal(c.replicas, "a=http://h/x#frag;b ; c # not a comment");
	assert_int_equal(c.timeout, 1500);
	ini_free(table, TABLE_LEN, &c);
}

static void test_every_boolean_spelling(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		bool value;
	} cases[] = {
		{"yes", true},  {"no", false},   {"true", true}, {"false", false}, {"on", true},
		{"off", false}, {"1", true},     {"0", false},   {"YES", true},    {"False", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[128];
		snprintf(text, sizeof(text), LISTEN "debug = %s\n", cases[i].text);
		struct conf c = load_ok(text);
		assert_int_equal(c.debug, cases[i].value);
		ini_free(table, TABLE_LEN, &c);
	}
	REFUSED(LISTEN "debug = maybe\n", INI_BAD_VALUE,
	        "test.conf:3: [server] debug: \"maybe\" is not a boolean "
	        "(yes/no, true/false, on/off, 1/0)");
	REFUSED(LISTEN "debug =\n", INI_BAD_VALUE,
	        "test.conf:3: [server] debug: \"\" is not a boolean (yes/no, true/false, on/off, 1/0)");
}

static void test_size_suffixes(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		size_t bytes;
	} cases[] = {
		{"0", 0},
		{"512", 512},
		{"1K", 1024},
		{"3k", 3072},
		{"2M", 2 * 1024 * 1024},
		{"5m", 5 * 1024 * 1024},
		{"1G", 1024UL * 1024 * 1024},
		{"7g", 7UL * 1024 * 1024 * 1024},
		{"8589934591G", 8589934591ULL * 1024 * 1024 * 1024},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[128];
		snprintf(text, sizeof(text), LISTEN "[limits]\ncache_bytes = %s\n", cases[i].text);
		struct conf c = load_ok(text);
		assert_int_equal(c.cache, cases[i].bytes);
		ini_free(table, TABLE_LEN, &c);
	}
}

static void test_size_refusals(void **state)
{
	(void)state;
	REFUSED(LISTEN "[limits]\ncache_bytes = 99999999999G\n", INI_BAD_VALUE,
	        "test.conf:4: [limits] cache_bytes: \"99999999999G\" is too large");
	REFUSED(LISTEN "[limits]\ncache_bytes = 8589934592G\n", INI_BAD_VALUE,
	        "test.conf:4: [limits] cache_bytes: \"8589934592G\" is too large");
	REFUSED(LISTEN "[limits]\ncache_bytes = 9223372036854775808\n", INI_BAD_VALUE,
	        "test.conf:4: [limits] cache_bytes: \"9223372036854775808\" is too large");
	static const char *const bad[] = {"1.5K", "-1", "K", "", "1KB", "1 K", "1T", "0x10"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[128], expect[256];
		snprintf(text, sizeof(text), LISTEN "[limits]\ncache_bytes = %s\n", bad[i]);
		snprintf(expect, sizeof(expect),
		         "test.conf:4: [limits] cache_bytes: \"%s\" is not a size "
		         "(bytes, or a number with K, M or G)",
		         bad[i]);
		refused_len(text, strlen(text), INI_BAD_VALUE, expect);
	}
}

static void test_duration_suffixes(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		long long ms;
	} cases[] = {
		{"250", 250},
		{"250ms", 250},
		{"3s", 3000},
		{"2m", 120000},
		{"3h", 3 * 3600000LL},
		{"14d", 14 * 86400000LL},
		{"0", 0},
		{"153722867280912m", 153722867280912LL * 60000},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[128];
		snprintf(text, sizeof(text), LISTEN "[limits]\nidle = %s\n", cases[i].text);
		struct conf c = load_ok(text);
		assert_int_equal(c.idle, cases[i].ms);
		ini_free(table, TABLE_LEN, &c);
	}
	REFUSED(LISTEN "[limits]\nidle = 153722867280913m\n", INI_BAD_VALUE,
	        "test.conf:4: [limits] idle: \"153722867280913m\" is not a duration: at 0: duration longer "
	        "than 9223372036854775807 ms");
	REFUSED(LISTEN "[limits]\nidle = 99999999999999999999\n", INI_BAD_VALUE,
	        "test.conf:4: [limits] idle: \"99999999999999999999\" is not a duration: at 0: duration "
	        "longer than 9223372036854775807 ms");
	/* The reason says which byte is wrong, as a policy's refusal does. */
	static const struct {
		const char *text;
		const char *why;
	} bad[] = {
		{"1y", "at 1: unknown unit 'y'"},
		{"5S", "at 1: unknown unit 'S'"},
		{"1H", "at 1: unknown unit 'H'"},
		{"20 ms", "at 2: expected a unit or the end of the duration"},
		{"1.5s", "at 1: expected a unit or the end of the duration"},
		{"s", "at 0: expected digits, then a unit"},
		{"-5", "at 0: expected digits, then a unit"},
		{"d", "at 0: expected digits, then a unit"},
		{"", "at 0: expected digits, then a unit"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[128], expect[256];
		snprintf(text, sizeof(text), LISTEN "[limits]\nidle = %s\n", bad[i].text);
		snprintf(expect, sizeof(expect),
		         "test.conf:4: [limits] idle: \"%s\" is not a duration: %s "
		         "(ms, s, m, h, d or w; bare digits are milliseconds)",
		         bad[i].text, bad[i].why);
		refused_len(text, strlen(text), INI_BAD_VALUE, expect);
	}
}

/* A duration key's syntax is the table's to give: a key without one is a table bug. */
static void test_duration_without_syntax_is_a_table_bug(void **state)
{
	(void)state;
	static const struct ini_key bare[] = {
		{.section = "db", .key = "deadline", INI_FIELD_DURATION_MS(struct conf, timeout, NULL),
		 .default_value = "2s"},
	};
	struct conf c = {0};
	struct ini_error error;
	assert_int_equal(ini_load_buffer(bare, 1, &c, sizeof(c), "t.conf", "", 0, &error), INI_BAD_TABLE);
	assert_string_equal(error.reason, "table: a duration without its syntax");
}

static void test_integers(void **state)
{
	(void)state;
	struct conf c = load_ok(LISTEN "[limits]\noffset = -42\n");
	assert_int_equal(c.offset, -42);
	ini_free(table, TABLE_LEN, &c);
	c = load_ok(LISTEN "[limits]\noffset = 9223372036854775807\n");
	assert_true(c.offset == 9223372036854775807LL);
	ini_free(table, TABLE_LEN, &c);
	REFUSED(LISTEN "[limits]\noffset = 9223372036854775808\n", INI_BAD_VALUE,
	        "test.conf:4: [limits] offset: \"9223372036854775808\" is out of range");
	static const char *const bad[] = {"12abc", "0x10", "+5", "", "-", "1e3", "4 2"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[128], expect[256];
		snprintf(text, sizeof(text), LISTEN "[limits]\noffset = %s\n", bad[i]);
		snprintf(expect, sizeof(expect), "test.conf:4: [limits] offset: \"%s\" is not an integer",
		         bad[i]);
		refused_len(text, strlen(text), INI_BAD_VALUE, expect);
	}
}

static void test_bounds_at_min_max_and_one_past(void **state)
{
	(void)state;
	struct conf c = load_ok(LISTEN "workers = 1\nupload_max_bytes = 1K\n"
	                               "[db]\nattempt_timeout_ms = 1\n");
	assert_int_equal(c.workers, 1);
	assert_int_equal(c.upload, 1024);
	assert_int_equal(c.timeout, 1);
	ini_free(table, TABLE_LEN, &c);
	c = load_ok(LISTEN "workers = 64\nupload_max_bytes = 67108864\n"
	                   "[db]\nattempt_timeout_ms = 10m\n");
	assert_int_equal(c.workers, 64);
	assert_int_equal(c.upload, 64 * 1024 * 1024);
	assert_int_equal(c.timeout, 600000);
	ini_free(table, TABLE_LEN, &c);

	REFUSED(LISTEN "workers = 0\n", INI_BAD_VALUE,
	        "test.conf:3: [server] workers: \"0\" is out of bounds: must be 1 to 64");
	REFUSED(LISTEN "workers = 65\n", INI_BAD_VALUE,
	        "test.conf:3: [server] workers: \"65\" is out of bounds: must be 1 to 64");
	REFUSED(LISTEN "upload_max_bytes = 1023\n", INI_BAD_VALUE,
	        "test.conf:3: [server] upload_max_bytes: \"1023\" is out of bounds: must be 1K to 64M");
	REFUSED(LISTEN "upload_max_bytes = 67108865\n", INI_BAD_VALUE,
	        "test.conf:3: [server] upload_max_bytes: \"67108865\" is out of bounds: "
	        "must be 1K to 64M");
	REFUSED(LISTEN "[db]\nattempt_timeout_ms = 0s\n", INI_BAD_VALUE,
	        "test.conf:4: [db] attempt_timeout_ms: \"0s\" is out of bounds: must be 1ms to 10m");
	REFUSED(LISTEN "[db]\nattempt_timeout_ms = 600001\n", INI_BAD_VALUE,
	        "test.conf:4: [db] attempt_timeout_ms: \"600001\" is out of bounds: "
	        "must be 1ms to 10m");

	c = load_ok(LISTEN "location = 12345678901234567890123456789012\n");
	assert_int_equal(strlen(c.location), 32);
	ini_free(table, TABLE_LEN, &c);
	REFUSED(LISTEN "location = 123456789012345678901234567890123\n", INI_BAD_VALUE,
	        "test.conf:3: [server] location: too long: 33 bytes, at most 32");
	REFUSED(LISTEN "location =   \n", INI_BAD_VALUE,
	        "test.conf:3: [server] location: too short: 0 bytes, at least 1");
}

static void test_syntax_refusals_name_their_line(void **state)
{
	(void)state;
	REFUSED(LISTEN "workers 8\n", INI_SYNTAX,
	        "test.conf:3: [server]: expected 'key = value' or '[section]'");
	REFUSED("# c\n[server\n", INI_SYNTAX, "test.conf:2: section header without ']'");
	REFUSED(LISTEN "[db] # the database\n", INI_SYNTAX,
	        "test.conf:3: text after ']' (comments must be on a line of their own)");
	REFUSED(LISTEN "[]\n", INI_SYNTAX,
	        "test.conf:3: bad section name (1 to 63 of A-Z a-z 0-9 _ - .)");
	REFUSED(LISTEN "[data base]\n", INI_SYNTAX,
	        "test.conf:3: bad section name (1 to 63 of A-Z a-z 0-9 _ - .)");
	REFUSED(LISTEN "max workers = 3\n", INI_SYNTAX,
	        "test.conf:3: [server]: bad key name (1 to 63 of A-Z a-z 0-9 _ - .)");
	REFUSED(LISTEN "\n\n = 3\n", INI_SYNTAX,
	        "test.conf:5: [server]: bad key name (1 to 63 of A-Z a-z 0-9 _ - .)");
}

static void test_unknown_and_duplicate_refusals(void **state)
{
	(void)state;
	REFUSED(LISTEN "\n[dbx]\nreplicas = a\n", INI_UNKNOWN_KEY, "test.conf:4: [dbx]: unknown section");
	REFUSED(LISTEN "worker = 3\n", INI_UNKNOWN_KEY, "test.conf:3: [server] worker: unknown key");
	REFUSED(LISTEN "[db]\nworkers = 3\n", INI_UNKNOWN_KEY,
	        "test.conf:4: [db] workers: unknown key");
	REFUSED(LISTEN "workers = 3\n# again\nworkers = 4\n", INI_DUPLICATE,
	        "test.conf:5: [server] workers: given twice (first at line 3)");
	REFUSED(LISTEN "[db]\n[server]\n", INI_DUPLICATE,
	        "test.conf:4: [server]: section given twice (first at line 1)");
	REFUSED("listen = /x\n[server]\n", INI_UNKNOWN_KEY,
	        "test.conf:1: listen: key outside any [section]");
}

static void test_missing_required_key_has_line_zero(void **state)
{
	(void)state;
	REFUSED("[server]\nworkers = 3\n", INI_MISSING,
	        "test.conf: [server] listen: required, and not set");
	REFUSED("", INI_MISSING, "test.conf: [server] listen: required, and not set");
	struct conf c = {0};
	struct ini_error error;
	assert_int_equal(ini_load_buffer(table, TABLE_LEN, &c, sizeof(c), "x", "", 0, &error),
	                 INI_MISSING);
	assert_int_equal(error.line, 0);
	assert_string_equal(error.section, "server");
	assert_string_equal(error.key, "listen");
}

static void test_control_characters_refused(void **state)
{
	(void)state;
	REFUSED(LISTEN "location = a\0b\n", INI_SYNTAX,
	        "test.conf:3: [server]: control character 0x00 in column 13");
	REFUSED(LISTEN "location = a\x01" "b\n", INI_SYNTAX,
	        "test.conf:3: [server]: control character 0x01 in column 13");
	REFUSED(LISTEN "location = a\x7f\n", INI_SYNTAX,
	        "test.conf:3: [server]: control character 0x7F in column 13");
	REFUSED(LISTEN "location = a\rb\n", INI_SYNTAX,
	        "test.conf:3: [server]: control character 0x0D in column 13");
	REFUSED(LISTEN "location = a\r\r\n", INI_SYNTAX,
	        "test.conf:3: [server]: control character 0x0D in column 13");
	REFUSED(LISTEN "location = a\xC2\x85\n", INI_SYNTAX,
	        "test.conf:3: [server]: control character U+0085 in column 13");
	REFUSED("\x1b[server]\n", INI_SYNTAX, "test.conf:1: control character 0x1B in column 1");

	struct conf c = load_ok(LISTEN "location = a\tb\n");
	assert_string_equal(c.location, "a\tb");
	ini_free(table, TABLE_LEN, &c);
}

static void test_invalid_utf8_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"\xC3\x28",          /* lead byte, then no continuation */
		"\xC0\xAF",          /* overlong '/' */
		"\xE0\x80\xAF",      /* overlong, three bytes */
		"\xED\xA0\x80",      /* UTF-16 surrogate */
		"\xF4\x90\x80\x80",  /* past U+10FFFF */
		"\xFF",
		"\x80",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[128];
		snprintf(text, sizeof(text), LISTEN "location = x%s\n", bad[i]);
		refused_len(text, strlen(text), INI_SYNTAX,
		            "test.conf:3: [server]: invalid UTF-8 in column 13");
	}
	REFUSED(LISTEN "location = x\xE2\x82", INI_SYNTAX,
	        "test.conf:3: [server]: invalid UTF-8 in column 13");
}

/* A replica list line of exactly the cap, with LF or CRLF: the reason this reader exists. */
static void test_long_replica_line_accepted_and_one_more_refused(void **state)
{
	(void)state;
	static const char head[] = LISTEN "[db]\nreplicas = ";
	const size_t prefix = strlen("replicas = ");
	size_t value_len = LIMIT_INI_LINE_MAX - prefix;
	char *text = malloc(sizeof(head) + value_len + 8);
	assert_non_null(text);
	for (int crlf = 0; crlf <= 1; crlf++) {
		size_t n = sizeof(head) - 1;
		memcpy(text, head, n);
		for (size_t i = 0; i < value_len; i++)
			text[n + i] = "primary=mariadb://10.0.0.1:3306/c, "[i % 35];
		n += value_len;
		if (crlf)
			text[n++] = '\r';
		text[n++] = '\n';
		struct conf c = load_ok_len(text, n);
		assert_int_equal(strlen(c.replicas), value_len);
		assert_memory_equal(c.replicas, text + sizeof(head) - 1, value_len);
		ini_free(table, TABLE_LEN, &c);
	}

	size_t n = sizeof(head) - 1;
	memcpy(text, head, n);
	memset(text + n, 'x', value_len + 1);
	n += value_len + 1;
	text[n++] = '\n';
	char expect[128];
	snprintf(expect, sizeof(expect), "test.conf:4: [db]: line of %d bytes, the limit is %d",
	         LIMIT_INI_LINE_MAX + 1, LIMIT_INI_LINE_MAX);
	refused_len(text, n, INI_TOO_LARGE, expect);
	free(text);
}

/* A buffer of comment lines, exactly len bytes, after the [server] block. */
static char *padded_file(size_t len)
{
	char *text = malloc(len);
	assert_non_null(text);
	size_t n = strlen(LISTEN);
	memcpy(text, LISTEN, n);
	while (n < len) {
		size_t chunk = len - n > 100 ? 100 : len - n;
		memset(text + n, '#', chunk);
		text[n + chunk - 1] = '\n';
		n += chunk;
	}
	return text;
}

static void test_file_size_cap(void **state)
{
	(void)state;
	char *text = padded_file(LIMIT_INI_FILE_MAX);
	struct conf c = load_ok_len(text, LIMIT_INI_FILE_MAX);
	ini_free(table, TABLE_LEN, &c);
	free(text);

	text = padded_file(LIMIT_INI_FILE_MAX + 1);
	char expect[128];
	snprintf(expect, sizeof(expect), "test.conf: file of %ld bytes, the limit is %ld",
	         (long)LIMIT_INI_FILE_MAX + 1, (long)LIMIT_INI_FILE_MAX);
	refused_len(text, LIMIT_INI_FILE_MAX + 1, INI_TOO_LARGE, expect);
	free(text);
}

static void test_failed_reload_leaves_live_config_untouched(void **state)
{
	(void)state;
	struct conf live = load_ok(LISTEN "workers = 4\n[db]\nreplicas = a=http://one\n");
	live.untouched = 99;
	struct conf snapshot = live;
	char message[512];

	/* Strings and numbers are parsed before the bad last line: none of it may show. */
	static const char bad[] = "[server]\nlisten = /run/other.sock\nworkers = 9\n"
	                          "location = elsewhere\n[db]\nreplicas = b=http://two\n"
	                          "attempt_timeout_ms = soon\n";
	assert_int_equal(load_into(&live, bad, strlen(bad), message, sizeof(message)),
	                 INI_BAD_VALUE);
	assert_string_equal(message,
	                    "test.conf:7: [db] attempt_timeout_ms: \"soon\" is not a duration: at 0: "
	                    "expected digits, then a unit (ms, s, m, h, d or w; bare digits are milliseconds)");
	assert_memory_equal(&live, &snapshot, sizeof(live));
	assert_string_equal(live.listen, "/run/c.sock");
	assert_string_equal(live.replicas, "a=http://one");

	/* A missing required key fails after every default was applied: same guarantee. */
	static const char missing[] = "[server]\nlocation = x\n[db]\nreplicas = c\n";
	assert_int_equal(load_into(&live, missing, strlen(missing), message, sizeof(message)),
	                 INI_MISSING);
	assert_memory_equal(&live, &snapshot, sizeof(live));

	/* A good reload replaces everything (the old strings are freed: ASan checks) and keeps
	 * the members the table does not name. */
	static const char good[] = "[server]\nlisten = /run/new.sock\n";
	assert_int_equal(load_into(&live, good, strlen(good), message, sizeof(message)), INI_OK);
	assert_string_equal(live.listen, "/run/new.sock");
	assert_int_equal(live.workers, 8);
	assert_string_equal(live.replicas, "");
	assert_int_equal(live.untouched, 99);
	ini_free(table, TABLE_LEN, &live);
}

static void test_crlf_files(void **state)
{
	(void)state;
	struct conf c = load_ok("[server]\r\nlisten = /run/c.sock\r\n"
	                        "location = crlf \r\n"
	                        "\r\n"
	                        "# comment\r\n"
	                        "[db]\r\nreplicas = a, b\r\n"
	                        "attempt_timeout_ms = 3s\r");
	assert_string_equal(c.listen, "/run/c.sock");
	assert_string_equal(c.location, "crlf");
	assert_string_equal(c.replicas, "a, b");
	assert_int_equal(c.timeout, 3000);
	ini_free(table, TABLE_LEN, &c);
	REFUSED("[server]\r\nlisten = /x\r\n\r\nworkers = 100\r\n", INI_BAD_VALUE,
	        "test.conf:4: [server] workers: \"100\" is out of bounds: must be 1 to 64");
}

static void test_utf8_bom_skipped(void **state)
{
	(void)state;
	struct conf c = load_ok("\xEF\xBB\xBF" LISTEN);
	assert_string_equal(c.listen, "/run/c.sock");
	ini_free(table, TABLE_LEN, &c);
}

static void test_validator_refusal_reported_with_its_reason(void **state)
{
	(void)state;
	REFUSED("[server]\n\nlisten = run/c.sock\n", INI_BAD_VALUE,
	        "test.conf:3: [server] listen: must be an absolute socket path");
	REFUSED(LISTEN "location = forbidden\n", INI_BAD_VALUE,
	        "test.conf:3: [server] location: \"forbidden\" is refused");
}

static void test_error_format(void **state)
{
	(void)state;
	struct ini_error e = {.file = "a.conf", .line = 12, .section = "db", .key = "read",
	                      .reason = "bad"};
	char buf[64];
	assert_int_equal(ini_error_format(&e, buf, sizeof(buf)), strlen("a.conf:12: [db] read: bad"));
	assert_string_equal(buf, "a.conf:12: [db] read: bad");
	e.key[0] = '\0';
	ini_error_format(&e, buf, sizeof(buf));
	assert_string_equal(buf, "a.conf:12: [db]: bad");
	e.section[0] = '\0';
	e.line = 0;
	ini_error_format(&e, buf, sizeof(buf));
	assert_string_equal(buf, "a.conf: bad");
	char tiny[5];
	assert_int_equal(ini_error_format(&e, tiny, sizeof(tiny)), strlen("a.conf: bad"));
	assert_string_equal(tiny, "a.co");

	/* No name and no error struct are both allowed. */
	struct conf c = {0};
	struct ini_error error;
	ini_load_buffer(table, TABLE_LEN, &c, sizeof(c), NULL, "x", 1, &error);
	ini_error_format(&error, buf, sizeof(buf));
	assert_string_equal(buf, "(config):1: expected 'key = value' or '[section]'");
	assert_int_equal(ini_load_buffer(table, TABLE_LEN, &c, sizeof(c), NULL, "x", 1, NULL),
	                 INI_SYNTAX);
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void test_load_file(void **state)
{
	(void)state;
	/* mkdtemp's template, spelled without a run of X's that a style grep would flag. */
	const char *tmp = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	char dir[256];
	int n = snprintf(dir, sizeof(dir), "%s/test_ini.######", tmp);
	assert_true(n > 6 && (size_t)n < sizeof(dir));
	memset(dir + n - 6, 'X', 6);
	assert_non_null(mkdtemp(dir));
	char path[300], message[1024];
	struct ini_error error;
	struct conf c = {0};
	snprintf(path, sizeof(path), "%s/c.conf", dir);

	write_file(path, LISTEN "workers = 5\n", strlen(LISTEN "workers = 5\n"));
	assert_int_equal(ini_load_file(table, TABLE_LEN, &c, sizeof(c), path, &error), INI_OK);
	assert_int_equal(c.workers, 5);
	assert_string_equal(c.listen, "/run/c.sock");

	write_file(path, LISTEN "workers = five\n", strlen(LISTEN "workers = five\n"));
	assert_int_equal(ini_load_file(table, TABLE_LEN, &c, sizeof(c), path, &error),
	                 INI_BAD_VALUE);
	ini_error_format(&error, message, sizeof(message));
	char expect[1024];
	snprintf(expect, sizeof(expect), "%s:3: [server] workers: \"five\" is not an integer", path);
	assert_string_equal(message, expect);
	assert_int_equal(c.workers, 5);

	char *big = padded_file(LIMIT_INI_FILE_MAX + 1);
	write_file(path, big, LIMIT_INI_FILE_MAX + 1);
	free(big);
	assert_int_equal(ini_load_file(table, TABLE_LEN, &c, sizeof(c), path, &error),
	                 INI_TOO_LARGE);
	assert_int_equal(error.line, 0);
	assert_int_equal(c.workers, 5);
	assert_int_equal(unlink(path), 0);

	assert_int_equal(ini_load_file(table, TABLE_LEN, &c, sizeof(c), path, &error), INI_IO);
	ini_error_format(&error, message, sizeof(message));
	snprintf(expect, sizeof(expect), "%s: cannot open: No such file or directory", path);
	assert_string_equal(message, expect);

	assert_int_equal(ini_load_file(table, TABLE_LEN, &c, sizeof(c), dir, &error), INI_IO);
	ini_error_format(&error, message, sizeof(message));
	snprintf(expect, sizeof(expect), "%s: is a directory", dir);
	assert_string_equal(message, expect);
	assert_int_equal(rmdir(dir), 0);
	assert_string_equal(c.listen, "/run/c.sock");
	ini_free(table, TABLE_LEN, &c);
}

/* One key read from a file the table would refuse: what complaintctl reload does to find the
 * master while the edited file is the master's to judge. */
static void test_peek_reads_one_key_of_a_broken_file(void **state)
{
	(void)state;
	const char *tmp = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	char dir[256], path[300], value[64], message[512];
	int n = snprintf(dir, sizeof(dir), "%s/test_ini.######", tmp);
	assert_true(n > 6 && (size_t)n < sizeof(dir));
	memset(dir + n - 6, 'X', 6);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/c.conf", dir);
	struct ini_error error;
	static const char broken[] = "\xEF\xBB\xBF# the operator's edit\n[db]\nruntime_dir = /not/this\n"
	                             "no equals sign here\n[ server ]\r\n  runtime_dir\t=  /run/x  \r\n"
	                             "workers = many\nruntime_dir = /second\n";
	write_file(path, broken, strlen(broken));
	assert_int_equal(ini_peek_file(path, "server", "runtime_dir", value, sizeof(value), &error), INI_OK);
	assert_string_equal(value, "/run/x");
	assert_int_equal(ini_peek_file(path, "server", "listen", value, sizeof(value), &error), INI_MISSING);
	ini_error_format(&error, message, sizeof(message));
	char expect[512];
	snprintf(expect, sizeof(expect), "%s: [server] listen is not set", path);
	assert_string_equal(message, expect);
	assert_int_equal(ini_peek_file(path, "server", "runtime_dir", value, 6, &error), INI_TOO_LARGE);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(ini_peek_file(path, "server", "runtime_dir", value, sizeof(value), &error), INI_IO);
	assert_int_equal(rmdir(dir), 0);
}

static void bad_table(const struct ini_key *entries, size_t n, const char *expect)
{
	struct conf c = {0};
	struct ini_error error;
	char message[512];
	assert_int_equal(ini_load_buffer(entries, n, &c, sizeof(c), "t", LISTEN, strlen(LISTEN),
	                                 &error),
	                 INI_BAD_TABLE);
	ini_error_format(&error, message, sizeof(message));
	assert_string_equal(message, expect);
}

static void test_bad_tables_refused_before_reading(void **state)
{
	(void)state;
	const struct ini_key bad_default[] = {
		{.section = "server", .key = "workers", INI_FIELD_INTEGER(struct conf, workers),
		 .default_value = "eight"},
	};
	bad_table(bad_default, 1, "t: [server] workers: table: default: \"eight\" is not an integer");
	const struct ini_key default_out_of_bounds[] = {
		{.section = "server", .key = "workers", INI_FIELD_INTEGER(struct conf, workers),
		 .default_value = "0", .min = 1, .max = 2},
	};
	bad_table(default_out_of_bounds, 1,
	          "t: [server] workers: table: default: \"0\" is out of bounds: must be 1 to 2");
	const struct ini_key outside[] = {
		{.section = "server", .key = "workers", .type = INI_INTEGER,
		 .offset = sizeof(struct conf) - 4, .default_value = "1"},
	};
	char expect[128];
	snprintf(expect, sizeof(expect), "t: [server] workers: table: offset %zu outside the target",
	         sizeof(struct conf) - 4);
	bad_table(outside, 1, expect);
	const struct ini_key twice[] = {
		{.section = "server", .key = "listen", INI_FIELD_STRING(struct conf, listen)},
		{.section = "server", .key = "listen", INI_FIELD_STRING(struct conf, location)},
	};
	bad_table(twice, 2, "t: [server] listen: table: key listed twice");
	const struct ini_key bounds[] = {
		{.section = "server", .key = "workers", INI_FIELD_INTEGER(struct conf, workers),
		 .min = 5, .max = 1},
	};
	bad_table(bounds, 1, "t: [server] workers: table: bad bounds 5..1");
	const struct ini_key name[] = {
		{.section = "server", .key = "two words", INI_FIELD_INTEGER(struct conf, workers)},
	};
	bad_table(name, 1, "t: [server] two words: table: bad section or key name");
}

static void test_section_less_keys_when_the_table_has_them(void **state)
{
	(void)state;
	const struct ini_key top[] = {
		{.section = "", .key = "name", INI_FIELD_STRING(struct conf, listen)},
		{.section = "more", .key = "n", INI_FIELD_INTEGER(struct conf, workers),
		 .default_value = "1"},
	};
	struct conf c = {0};
	struct ini_error error;
	static const char text[] = "name = top\n[more]\nn = 2\n";
	assert_int_equal(ini_load_buffer(top, 2, &c, sizeof(c), "t", text, strlen(text), &error),
	                 INI_OK);
	assert_string_equal(c.listen, "top");
	assert_int_equal(c.workers, 2);
	static const char late[] = "[more]\nname = x\n";
	assert_int_equal(ini_load_buffer(top, 2, &c, sizeof(c), "t", late, strlen(late), &error),
	                 INI_UNKNOWN_KEY);
	char message[256];
	ini_error_format(&error, message, sizeof(message));
	assert_string_equal(message, "t:2: [more] name: unknown key");
	ini_free(top, 2, &c);
}

static void test_describe_lists_every_key(void **state)
{
	(void)state;
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	assert_non_null(out);
	ini_describe(table, TABLE_LEN, out);
	assert_int_equal(fclose(out), 0);
	size_t lines = 0;
	for (size_t i = 0; i < size; i++)
		lines += text[i] == '\n';
	assert_int_equal(lines, TABLE_LEN);
	assert_non_null(strstr(text, "server.listen                    string    required"));
	assert_non_null(strstr(text, "length 1..108"));
	assert_non_null(strstr(text, "server.workers                   integer   default \"8\""));
	assert_non_null(strstr(text, "1..64"));
	assert_non_null(strstr(text, "1K..64M"));
	assert_non_null(strstr(text, "1ms..10m"));
	assert_non_null(strstr(text, "worker processes\n"));
	free(text);
}

static void test_strerror_names_every_status(void **state)
{
	(void)state;
	for (int s = INI_OK; s <= INI_BAD_TABLE; s++) {
		assert_non_null(ini_strerror((enum ini_status)s));
		assert_string_not_equal(ini_strerror((enum ini_status)s), "unknown error");
	}
	assert_string_equal(ini_strerror((enum ini_status)(INI_BAD_TABLE + 1)), "unknown error");
	assert_string_equal(ini_strerror(INI_MISSING), "required key missing");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_fill_what_the_file_leaves_out),
		cmocka_unit_test(test_full_file_with_comments_and_blanks),
		cmocka_unit_test(test_every_boolean_spelling),
		cmocka_unit_test(test_size_suffixes),
		cmocka_unit_test(test_size_refusals),
		cmocka_unit_test(test_duration_suffixes),
		cmocka_unit_test(test_duration_without_syntax_is_a_table_bug),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_bounds_at_min_max_and_one_past),
		cmocka_unit_test(test_syntax_refusals_name_their_line),
		cmocka_unit_test(test_unknown_and_duplicate_refusals),
		cmocka_unit_test(test_missing_required_key_has_line_zero),
		cmocka_unit_test(test_control_characters_refused),
		cmocka_unit_test(test_invalid_utf8_refused),
		cmocka_unit_test(test_long_replica_line_accepted_and_one_more_refused),
		cmocka_unit_test(test_file_size_cap),
		cmocka_unit_test(test_failed_reload_leaves_live_config_untouched),
		cmocka_unit_test(test_crlf_files),
		cmocka_unit_test(test_utf8_bom_skipped),
		cmocka_unit_test(test_validator_refusal_reported_with_its_reason),
		cmocka_unit_test(test_error_format),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_bad_tables_refused_before_reading),
		cmocka_unit_test(test_section_less_keys_when_the_table_has_them),
		cmocka_unit_test(test_describe_lists_every_key),
		cmocka_unit_test(test_peek_reads_one_key_of_a_broken_file),
		cmocka_unit_test(test_strerror_names_every_status),
	};
	return cmocka_run_group_tests_name("ini", tests, NULL, NULL);
}
