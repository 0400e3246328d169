/*
 * ini.c: the table-driven configuration reader (see ini.h for the syntax and the types).
 *
 * A load works on a scratch copy of the target: the copy's string members are cleared, every
 * line is checked (length, bytes, UTF-8) and then parsed into the copy, defaults fill what the
 * file left out, and only when all of that succeeded are the target's old strings freed and the
 * copy moved over it. Any failure frees what the copy allocated and leaves the target as it was.
 * The table is checked on every load (names, offsets, bounds, defaults), so a wrong table fails
 * the first test that loads anything, as INI_BAD_TABLE, rather than misreading a file.
 *
 * <limits.h> is deliberately not included: the build puts fcgi/ on the include path, where
 * "limits.h" is the project's own caps header.
 */
#include "ini.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "limits.h"

#define INI_LLONG_MAX ((long long)(~0ULL >> 1))
/* Bytes of a refused value quoted back in a reason; the rest is cut so the key stays visible. */
#define INI_QUOTE_MAX 40
/* First allocation when reading a file of unknown size. */
#define INI_READ_CHUNK 4096

struct ini_load {
	const struct ini_key *table;
	size_t table_len;
	unsigned char *scratch;
	unsigned *key_line;      /* per entry: the line that set it, 0 = not set */
	unsigned *section_line;  /* per entry heading its section: the line of its header */
	const char *section;     /* current section (a table string, or "" before any header) */
	struct ini_error *error;
};

union ini_value {
	char *string;
	long long integer;
	bool boolean;
	size_t size;
};

static const struct {
	const char *name;
	size_t size;
} ini_types[] = {
	[INI_STRING] = {"string", sizeof(char *)},
	[INI_INTEGER] = {"integer", sizeof(long long)},
	[INI_BOOLEAN] = {"boolean", sizeof(bool)},
	[INI_SIZE] = {"size", sizeof(size_t)},
	[INI_DURATION_MS] = {"duration", sizeof(long long)},
};

static const struct {
	const char *text;
	bool value;
} ini_booleans[] = {
	{"yes", true}, {"no", false}, {"true", true}, {"false", false},
	{"on", true},  {"off", false}, {"1", true},   {"0", false},
};

/* Unit suffixes, longest first where one is a prefix of another ("ms" before "m"). */
struct ini_unit {
	const char *suffix;
	long long factor;
};

static const struct ini_unit ini_size_units[] = {
	{"", 1},
	{"K", 1024LL}, {"k", 1024LL},
	{"M", 1024LL * 1024}, {"m", 1024LL * 1024},
	{"G", 1024LL * 1024 * 1024}, {"g", 1024LL * 1024 * 1024},
};

/* Writes the reason and answers status: the one way this file fails. */
static enum ini_status ini_fail(struct ini_error *error, enum ini_status status,
                                const char *format, ...) __attribute__((format(printf, 3, 4)));

static enum ini_status ini_fail(struct ini_error *error, enum ini_status status,
                                const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	vsnprintf(error->reason, sizeof(error->reason), format, ap);
	va_end(ap);
	return status;
}

static void ini_set_name(char *dst, size_t size, const char *name, size_t len)
{
	if (len >= size)
		len = size - 1;
	memcpy(dst, name, len);
	dst[len] = '\0';
}

static bool ini_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static void ini_trim(const char **s, size_t *len)
{
	while (*len > 0 && ini_is_blank((*s)[0])) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && ini_is_blank((*s)[*len - 1]))
		(*len)--;
}

static bool ini_name_valid(const char *s, size_t len)
{
	if (len == 0 || len > INI_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		          c == '_' || c == '-' || c == '.';
		if (!ok)
			return false;
	}
	return true;
}

static bool ini_equal(const char *name, const char *s, size_t len)
{
	return strlen(name) == len && memcmp(name, s, len) == 0;
}

/* The value as it appears in a reason: quoted, cut at a character boundary, "..." when cut. */
static const char *ini_quote(const char *text, char *buf, size_t size)
{
	size_t len = strlen(text);
	bool cut = len > INI_QUOTE_MAX;
	if (cut) {
		len = INI_QUOTE_MAX;
		while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
			len--;
	}
	snprintf(buf, size, "\"%.*s%s\"", (int)len, text, cut ? "..." : "");
	return buf;
}

static void ini_format_number(const struct ini_key *key, long long value, char *buf, size_t size)
{
	static const struct ini_unit size_names[] = {
		{"G", 1024LL * 1024 * 1024}, {"M", 1024LL * 1024}, {"K", 1024LL},
	};
	if (key->type == INI_DURATION_MS && key->duration != NULL && key->duration->format != NULL) {
		key->duration->format(value, buf, size);
		return;
	}
	for (size_t i = 0; key->type == INI_SIZE && i < sizeof(size_names) / sizeof(size_names[0]) && value != 0;
	     i++) {
		if (value % size_names[i].factor == 0) {
			snprintf(buf, size, "%lld%s", value / size_names[i].factor, size_names[i].suffix);
			return;
		}
	}
	snprintf(buf, size, "%lld", value);
}

/* Decimal digits followed by one of units' suffixes, as factor * digits, no overflow. */
static int ini_parse_units(const char *text, const struct ini_unit *units, size_t count,
                           long long *out, bool *overflow)
{
	const char *p = text;
	unsigned long long value = 0;
	*overflow = false;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned digit = (unsigned)(*p - '0');
		if (value > ((unsigned long long)INI_LLONG_MAX - digit) / 10)
			*overflow = true;
		else
			value = value * 10 + digit;
	}
	for (size_t i = 0; i < count; i++) {
		if (strcmp(p, units[i].suffix) != 0)
			continue;
		if (*overflow || value > (unsigned long long)(INI_LLONG_MAX / units[i].factor)) {
			*overflow = true;
			return -1;
		}
		*out = (long long)value * units[i].factor;
		return 0;
	}
	*overflow = false;
	return -1;
}

static int ini_parse_integer(const char *text, long long *out, bool *overflow)
{
	static const struct ini_unit plain[] = {{"", 1}};
	bool negative = text[0] == '-';
	if (ini_parse_units(text + negative, plain, 1, out, overflow) != 0)
		return -1;
	if (negative)
		*out = -*out;
	return 0;
}

static int ini_parse_boolean(const char *text, bool *out)
{
	for (size_t i = 0; i < sizeof(ini_booleans) / sizeof(ini_booleans[0]); i++) {
		if (strcasecmp(text, ini_booleans[i].text) == 0) {
			*out = ini_booleans[i].value;
			return 0;
		}
	}
	return -1;
}

static bool ini_bounded(const struct ini_key *key)
{
	return key->min != 0 || key->max != 0;
}

static enum ini_status ini_check_bounds(const struct ini_key *key, long long value,
                                        const char *quoted, char *reason, size_t size)
{
	if (!ini_bounded(key) || (value >= key->min && value <= key->max))
		return INI_OK;
	char low[32], high[32];
	ini_format_number(key, key->min, low, sizeof(low));
	ini_format_number(key, key->max, high, sizeof(high));
	snprintf(reason, size, "%s is out of bounds: must be %s to %s", quoted, low, high);
	return INI_BAD_VALUE;
}

/*
 * Parses value (len bytes) as key's type into *slot: type, then bounds, then the validator.
 * A string slot receives a malloc'd copy; nothing is allocated on failure.
 */
static enum ini_status ini_parse_value(const struct ini_key *key, const char *value, size_t len,
                                       union ini_value *slot, char *reason, size_t size)
{
	enum ini_status status = INI_BAD_VALUE;
	union ini_value parsed = {0};
	char quoted[INI_QUOTE_MAX + 8];
	bool overflow = false;
	bool keep_text = false;
	char *text = malloc(len + 1);
	if (text == NULL) {
		snprintf(reason, size, "out of memory");
		return INI_NO_MEMORY;
	}
	memcpy(text, value, len);
	text[len] = '\0';
	ini_quote(text, quoted, sizeof(quoted));

	switch (key->type) {
	case INI_STRING:
		if (key->max != 0 && len > (unsigned long long)key->max) {
			snprintf(reason, size, "too long: %zu bytes, at most %lld", len, key->max);
			goto out;
		}
		if (len < (unsigned long long)key->min) {
			snprintf(reason, size, "too short: %zu bytes, at least %lld", len, key->min);
			goto out;
		}
		parsed.string = text;
		break;
	case INI_INTEGER:
		if (ini_parse_integer(text, &parsed.integer, &overflow) != 0) {
			snprintf(reason, size, "%s is %s", quoted,
			         overflow ? "out of range" : "not an integer");
			goto out;
		}
		if ((status = ini_check_bounds(key, parsed.integer, quoted, reason, size)) != INI_OK)
			goto out;
		break;
	case INI_BOOLEAN:
		if (ini_parse_boolean(text, &parsed.boolean) != 0) {
			snprintf(reason, size, "%s is not a boolean (yes/no, true/false, on/off, 1/0)",
			         quoted);
			goto out;
		}
		break;
	case INI_SIZE: {
		long long bytes = 0;
		if (ini_parse_units(text, ini_size_units,
		                    sizeof(ini_size_units) / sizeof(ini_size_units[0]), &bytes,
		                    &overflow) != 0 ||
		    (unsigned long long)bytes > SIZE_MAX) {
			snprintf(reason, size, "%s is %s", quoted,
			         overflow || bytes != 0 ? "too large"
			                                : "not a size (bytes, or a number with K, M or G)");
			goto out;
		}
		if ((status = ini_check_bounds(key, bytes, quoted, reason, size)) != INI_OK)
			goto out;
		parsed.size = (size_t)bytes;
		break;
	}
	case INI_DURATION_MS: {
		char why[160] = "";
		if (key->duration->parse(text, &parsed.integer, why, sizeof(why)) != 0) {
			snprintf(reason, size, "%s is not a duration: %s", quoted, why);
			goto out;
		}
		if ((status = ini_check_bounds(key, parsed.integer, quoted, reason, size)) != INI_OK)
			goto out;
		break;
	}
	}

	status = INI_BAD_VALUE;
	if (key->check != NULL) {
		reason[0] = '\0';
		if (key->check(text, reason, size) != 0) {
			if (reason[0] == '\0')
				snprintf(reason, size, "%s is refused", quoted);
			goto out;
		}
	}
	*slot = parsed;
	keep_text = key->type == INI_STRING;
	status = INI_OK;
out:
	if (!keep_text)
		free(text);
	return status;
}

static void ini_store(const struct ini_key *key, unsigned char *base, const union ini_value *v)
{
	void *member = base + key->offset;
	switch (key->type) {
	case INI_STRING:
		memcpy(member, &v->string, sizeof(v->string));
		break;
	case INI_INTEGER:
	case INI_DURATION_MS:
		memcpy(member, &v->integer, sizeof(v->integer));
		break;
	case INI_BOOLEAN:
		memcpy(member, &v->boolean, sizeof(v->boolean));
		break;
	case INI_SIZE:
		memcpy(member, &v->size, sizeof(v->size));
		break;
	}
}

static void ini_where(struct ini_error *error, unsigned line, const char *section,
                      size_t section_len, const char *key, size_t key_len)
{
	error->line = line;
	ini_set_name(error->section, sizeof(error->section), section, section_len);
	ini_set_name(error->key, sizeof(error->key), key, key_len);
}

static enum ini_status ini_check_table(const struct ini_key *table, size_t table_len,
                                       size_t target_size, struct ini_error *error)
{
	for (size_t i = 0; i < table_len; i++) {
		const struct ini_key *k = &table[i];
		if (k->section == NULL || k->key == NULL)
			return ini_fail(error, INI_BAD_TABLE, "table entry %zu has no section or key", i);
		ini_where(error, 0, k->section, strlen(k->section), k->key, strlen(k->key));
		if ((k->section[0] != '\0' && !ini_name_valid(k->section, strlen(k->section))) ||
		    !ini_name_valid(k->key, strlen(k->key)))
			return ini_fail(error, INI_BAD_TABLE, "table: bad section or key name");
		if ((size_t)k->type >= sizeof(ini_types) / sizeof(ini_types[0]))
			return ini_fail(error, INI_BAD_TABLE, "table: unknown type %d", (int)k->type);
		if (k->offset > target_size || target_size - k->offset < ini_types[k->type].size)
			return ini_fail(error, INI_BAD_TABLE, "table: offset %zu outside the target",
			                k->offset);
		bool bad_bounds = k->type == INI_STRING
		                      ? k->min < 0 || k->max < 0 || (k->max != 0 && k->min > k->max)
		                      : k->min > k->max;
		if (bad_bounds || ((k->type == INI_SIZE || k->type == INI_DURATION_MS) && k->min < 0))
			return ini_fail(error, INI_BAD_TABLE, "table: bad bounds %lld..%lld", k->min,
			                k->max);
		if (k->type == INI_DURATION_MS &&
		    (k->duration == NULL || k->duration->parse == NULL || k->duration->format == NULL))
			return ini_fail(error, INI_BAD_TABLE, "table: a duration without its syntax");
		for (size_t j = 0; j < i; j++) {
			if (strcmp(table[j].section, k->section) == 0 && strcmp(table[j].key, k->key) == 0)
				return ini_fail(error, INI_BAD_TABLE, "table: key listed twice");
		}
		if (k->default_value != NULL) {
			union ini_value v = {0};
			char reason[sizeof(error->reason) - 16];
			enum ini_status status = ini_parse_value(k, k->default_value,
			                                         strlen(k->default_value), &v, reason,
			                                         sizeof(reason));
			if (status == INI_NO_MEMORY)
				return ini_fail(error, status, "out of memory");
			if (status != INI_OK)
				return ini_fail(error, INI_BAD_TABLE, "table: default: %s", reason);
			if (k->type == INI_STRING)
				free(v.string);
		}
	}
	memset(error->section, 0, sizeof(error->section));
	memset(error->key, 0, sizeof(error->key));
	return INI_OK;
}

/*
 * Tab is the only control character allowed; the rest must be well-formed UTF-8 (no overlong
 * forms, no surrogates, nothing past U+10FFFF) without C1 controls either.
 */
static enum ini_status ini_check_bytes(const unsigned char *s, size_t len,
                                       struct ini_error *error)
{
	size_t i = 0;
	while (i < len) {
		unsigned char c = s[i];
		if (c < 0x80) {
			if ((c < 0x20 && c != '\t') || c == 0x7F)
				return ini_fail(error, INI_SYNTAX, "control character 0x%02X in column %zu",
				                c, i + 1);
			i++;
			continue;
		}
		size_t n;
		unsigned long cp;
		if (c >= 0xC2 && c <= 0xDF) {
			n = 2;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 3;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 4;
			cp = c & 0x07;
		} else {
			goto invalid;
		}
		if (len - i < n)
			goto invalid;
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				goto invalid;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			goto invalid;
		if (cp <= 0x9F)
			return ini_fail(error, INI_SYNTAX, "control character U+%04lX in column %zu",
			                cp, i + 1);
		i += n;
	}
	return INI_OK;
invalid:
	return ini_fail(error, INI_SYNTAX, "invalid UTF-8 in column %zu", i + 1);
}

static enum ini_status ini_section_header(struct ini_load *load, const char *line, size_t len,
                                          unsigned lineno)
{
	struct ini_error *error = load->error;
	ini_where(error, lineno, "", 0, "", 0);
	const char *close = memchr(line, ']', len);
	if (close == NULL)
		return ini_fail(error, INI_SYNTAX, "section header without ']'");
	const char *rest = close + 1;
	size_t rest_len = len - (size_t)(rest - line);
	ini_trim(&rest, &rest_len);
	if (rest_len != 0)
		return ini_fail(error, INI_SYNTAX,
		                "text after ']' (comments must be on a line of their own)");
	const char *name = line + 1;
	size_t name_len = (size_t)(close - name);
	ini_trim(&name, &name_len);
	if (!ini_name_valid(name, name_len))
		return ini_fail(error, INI_SYNTAX,
		                "bad section name (1 to %d of A-Z a-z 0-9 _ - .)", INI_NAME_MAX);
	ini_where(error, lineno, name, name_len, "", 0);
	for (size_t i = 0; i < load->table_len; i++) {
		if (!ini_equal(load->table[i].section, name, name_len))
			continue;
		if (load->section_line[i] != 0)
			return ini_fail(error, INI_DUPLICATE, "section given twice (first at line %u)",
			                load->section_line[i]);
		load->section_line[i] = lineno;
		load->section = load->table[i].section;
		return INI_OK;
	}
	return ini_fail(error, INI_UNKNOWN_KEY, "unknown section");
}

static enum ini_status ini_key_value(struct ini_load *load, const char *line, size_t len,
                                     unsigned lineno)
{
	struct ini_error *error = load->error;
	ini_where(error, lineno, load->section, strlen(load->section), "", 0);
	const char *eq = memchr(line, '=', len);
	if (eq == NULL)
		return ini_fail(error, INI_SYNTAX, "expected 'key = value' or '[section]'");
	const char *name = line;
	size_t name_len = (size_t)(eq - line);
	const char *value = eq + 1;
	size_t value_len = len - name_len - 1;
	ini_trim(&name, &name_len);
	ini_trim(&value, &value_len);
	if (!ini_name_valid(name, name_len))
		return ini_fail(error, INI_SYNTAX, "bad key name (1 to %d of A-Z a-z 0-9 _ - .)",
		                INI_NAME_MAX);
	ini_where(error, lineno, load->section, strlen(load->section), name, name_len);

	bool section_known = false;
	for (size_t i = 0; i < load->table_len; i++) {
		const struct ini_key *k = &load->table[i];
		if (strcmp(k->section, load->section) != 0)
			continue;
		section_known = true;
		if (!ini_equal(k->key, name, name_len))
			continue;
		if (load->key_line[i] != 0)
			return ini_fail(error, INI_DUPLICATE, "given twice (first at line %u)",
			                load->key_line[i]);
		union ini_value v;
		enum ini_status status = ini_parse_value(k, value, value_len, &v, error->reason,
		                                         sizeof(error->reason));
		if (status != INI_OK)
			return status;
		ini_store(k, load->scratch, &v);
		load->key_line[i] = lineno;
		return INI_OK;
	}
	if (!section_known)
		return ini_fail(error, INI_UNKNOWN_KEY, "key outside any [section]");
	return ini_fail(error, INI_UNKNOWN_KEY, "unknown key");
}

static enum ini_status ini_parse_lines(struct ini_load *load, const char *data, size_t len)
{
	static const char bom[] = "\xEF\xBB\xBF";
	size_t pos = 0;
	unsigned lineno = 0;
	if (len >= sizeof(bom) - 1 && memcmp(data, bom, sizeof(bom) - 1) == 0)
		pos = sizeof(bom) - 1;
	while (pos < len) {
		const char *line = data + pos;
		const char *lf = memchr(line, '\n', len - pos);
		size_t line_len = lf != NULL ? (size_t)(lf - line) : len - pos;
		pos += line_len + (lf != NULL);
		lineno++;
		if (line_len > 0 && line[line_len - 1] == '\r')
			line_len--;

		ini_where(load->error, lineno, load->section, strlen(load->section), "", 0);
		if (line_len > LIMIT_INI_LINE_MAX)
			return ini_fail(load->error, INI_TOO_LARGE, "line of %zu bytes, the limit is %d",
			                line_len, LIMIT_INI_LINE_MAX);
		enum ini_status status = ini_check_bytes((const unsigned char *)line, line_len,
		                                         load->error);
		if (status != INI_OK)
			return status;

		size_t rest = line_len;
		while (rest > 0 && ini_is_blank(*line)) {
			line++;
			rest--;
		}
		if (rest == 0 || line[0] == '#' || line[0] == ';')
			continue;
		if (line[0] == '[')
			status = ini_section_header(load, line, rest, lineno);
		else
			status = ini_key_value(load, line, rest, lineno);
		if (status != INI_OK)
			return status;
	}
	return INI_OK;
}

static enum ini_status ini_apply_defaults(struct ini_load *load)
{
	struct ini_error *error = load->error;
	for (size_t i = 0; i < load->table_len; i++) {
		const struct ini_key *k = &load->table[i];
		if (load->key_line[i] != 0)
			continue;
		ini_where(error, 0, k->section, strlen(k->section), k->key, strlen(k->key));
		if (k->default_value == NULL)
			return ini_fail(error, INI_MISSING, "required, and not set");
		union ini_value v;
		enum ini_status status = ini_parse_value(k, k->default_value, strlen(k->default_value),
		                                         &v, error->reason, sizeof(error->reason));
		if (status != INI_OK)
			return status;  /* only INI_NO_MEMORY: ini_check_table parsed every default */
		ini_store(k, load->scratch, &v);
	}
	ini_where(error, 0, "", 0, "", 0);
	return INI_OK;
}

/* The checks that look at the whole loaded struct (check_loaded), in table order. */
static enum ini_status ini_check_loaded(struct ini_load *load)
{
	for (size_t i = 0; i < load->table_len; i++) {
		const struct ini_key *k = &load->table[i];
		if (k->check_loaded == NULL)
			continue;
		ini_where(load->error, load->key_line[i], k->section, strlen(k->section), k->key, strlen(k->key));
		if (k->check_loaded(load->scratch, k, load->error->reason, sizeof(load->error->reason)) != 0)
			return INI_BAD_VALUE;
	}
	ini_where(load->error, 0, "", 0, "", 0);
	return INI_OK;
}

static void ini_error_start(struct ini_error *error, const char *name)
{
	memset(error, 0, sizeof(*error));
	snprintf(error->file, sizeof(error->file), "%s", name != NULL ? name : "(config)");
}

enum ini_status ini_load_buffer(const struct ini_key *table, size_t table_len, void *target,
                                size_t target_size, const char *name, const char *data,
                                size_t len, struct ini_error *error)
{
	struct ini_error local;
	if (error == NULL)
		error = &local;
	ini_error_start(error, name);
	enum ini_status status = ini_check_table(table, table_len, target_size, error);
	if (status != INI_OK)
		return status;
	if (len > LIMIT_INI_FILE_MAX)
		return ini_fail(error, INI_TOO_LARGE, "file of %zu bytes, the limit is %ld", len,
		                (long)LIMIT_INI_FILE_MAX);

	struct ini_load load = {
		.table = table,
		.table_len = table_len,
		.scratch = malloc(target_size > 0 ? target_size : 1),
		.key_line = calloc(table_len > 0 ? table_len : 1, sizeof(unsigned)),
		.section_line = calloc(table_len > 0 ? table_len : 1, sizeof(unsigned)),
		.section = "",
		.error = error,
	};
	if (load.scratch == NULL || load.key_line == NULL || load.section_line == NULL) {
		free(load.scratch);
		load.scratch = NULL;
		status = ini_fail(error, INI_NO_MEMORY, "out of memory");
		goto out;
	}
	/* The copy keeps members the table does not name; its strings must be ours alone. */
	if (target_size > 0)
		memcpy(load.scratch, target, target_size);
	for (size_t i = 0; i < table_len; i++) {
		if (table[i].type == INI_STRING) {
			char *none = NULL;
			memcpy(load.scratch + table[i].offset, &none, sizeof(none));
		}
	}

	status = ini_parse_lines(&load, data, len);
	if (status == INI_OK)
		status = ini_apply_defaults(&load);
	if (status == INI_OK)
		status = ini_check_loaded(&load);
	if (status != INI_OK)
		goto out;
	ini_free(table, table_len, target);
	if (target_size > 0)
		memcpy(target, load.scratch, target_size);
out:
	if (status != INI_OK && load.scratch != NULL)
		ini_free(table, table_len, load.scratch);
	free(load.scratch);
	free(load.key_line);
	free(load.section_line);
	return status;
}

/* The whole file at path into *data (malloc'd, *len bytes), at most LIMIT_INI_FILE_MAX. */
static enum ini_status ini_read_file(const char *path, char **data, size_t *len, struct ini_error *error)
{
	enum ini_status status = INI_OK;
	char *buf = NULL;
	size_t used = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return ini_fail(error, INI_IO, "cannot open: %s", strerror(errno));

	struct stat st;
	if (fstat(fd, &st) != 0) {
		status = ini_fail(error, INI_IO, "cannot stat: %s", strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		status = ini_fail(error, INI_IO, "is a directory");
		goto out;
	}
	/* One byte over the cap is enough to know the file is too large. */
	size_t cap = INI_READ_CHUNK;
	if (S_ISREG(st.st_mode) && st.st_size >= 0 && (unsigned long long)st.st_size < cap)
		cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (buf == NULL) {
		status = ini_fail(error, INI_NO_MEMORY, "out of memory");
		goto out;
	}
	for (;;) {
		if (used > (size_t)LIMIT_INI_FILE_MAX) {
			status = ini_fail(error, INI_TOO_LARGE, "file over the limit of %ld bytes",
			                  (long)LIMIT_INI_FILE_MAX);
			goto out;
		}
		if (used == cap) {
			size_t bigger = cap * 2 > (size_t)LIMIT_INI_FILE_MAX + 1
			                    ? (size_t)LIMIT_INI_FILE_MAX + 1
			                    : cap * 2;
			char *grown = realloc(buf, bigger);
			if (grown == NULL) {
				status = ini_fail(error, INI_NO_MEMORY, "out of memory");
				goto out;
			}
			buf = grown;
			cap = bigger;
		}
		ssize_t n = read(fd, buf + used, cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			status = ini_fail(error, INI_IO, "cannot read: %s", strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	*data = buf;
	*len = used;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return status;
}

enum ini_status ini_load_file(const struct ini_key *table, size_t table_len, void *target,
                              size_t target_size, const char *path, struct ini_error *error)
{
	struct ini_error local;
	char *data = NULL;
	size_t len = 0;
	if (error == NULL)
		error = &local;
	ini_error_start(error, path);
	enum ini_status status = ini_read_file(path, &data, &len, error);
	if (status == INI_OK)
		status = ini_load_buffer(table, table_len, target, target_size, path, data, len, error);
	free(data);
	return status;
}

enum ini_status ini_peek_file(const char *path, const char *section, const char *key, char *value, size_t size,
                              struct ini_error *error)
{
	static const char bom[] = "\xEF\xBB\xBF";
	struct ini_error local;
	char *data = NULL;
	size_t len = 0, pos = 0;
	bool in_section = section[0] == '\0';
	if (error == NULL)
		error = &local;
	ini_error_start(error, path);
	enum ini_status status = ini_read_file(path, &data, &len, error);
	if (status != INI_OK)
		return status;
	if (len >= sizeof(bom) - 1 && memcmp(data, bom, sizeof(bom) - 1) == 0)
		pos = sizeof(bom) - 1;
	status = INI_MISSING;
	while (pos < len && status == INI_MISSING) {
		const char *line = data + pos;
		const char *lf = memchr(line, '\n', len - pos);
		size_t line_len = lf != NULL ? (size_t)(lf - line) : len - pos;
		pos += line_len + (lf != NULL);
		if (line_len > 0 && line[line_len - 1] == '\r')
			line_len--;
		ini_trim(&line, &line_len);
		if (line_len == 0 || line[0] == '#' || line[0] == ';')
			continue;
		if (line[0] == '[') {
			const char *name = line + 1;
			const char *close = memchr(line, ']', line_len);
			size_t name_len = close != NULL ? (size_t)(close - name) : 0;
			ini_trim(&name, &name_len);
			in_section = close != NULL && ini_equal(section, name, name_len);
			continue;
		}
		const char *eq = memchr(line, '=', line_len);
		if (!in_section || eq == NULL)
			continue;
		const char *name = line, *text = eq + 1;
		size_t name_len = (size_t)(eq - line), text_len = line_len - name_len - 1;
		ini_trim(&name, &name_len);
		ini_trim(&text, &text_len);
		if (!ini_equal(key, name, name_len))
			continue;
		if (text_len >= size) {
			status = ini_fail(error, INI_TOO_LARGE, "[%s] %s: longer than %zu bytes", section, key, size - 1);
			break;
		}
		memcpy(value, text, text_len);
		value[text_len] = '\0';
		status = INI_OK;
	}
	if (status == INI_MISSING)
		ini_fail(error, INI_MISSING, "[%s] %s is not set", section, key);
	free(data);
	return status;
}

void ini_free(const struct ini_key *table, size_t table_len, void *target)
{
	unsigned char *base = target;
	for (size_t i = 0; i < table_len; i++) {
		if (table[i].type != INI_STRING)
			continue;
		char *s;
		memcpy(&s, base + table[i].offset, sizeof(s));
		free(s);
		s = NULL;
		memcpy(base + table[i].offset, &s, sizeof(s));
	}
}

size_t ini_error_format(const struct ini_error *error, char *buf, size_t size)
{
	char line[16] = "";
	if (error->line != 0)
		snprintf(line, sizeof(line), ":%u", error->line);
	const char *open = "", *close = "", *sep = "";
	if (error->section[0] != '\0') {
		open = "[";
		close = error->key[0] != '\0' ? "] " : "]: ";
	}
	if (error->key[0] != '\0')
		sep = ": ";
	int n = snprintf(buf, size, "%s%s: %s%s%s%s%s%s", error->file, line, open, error->section,
	                 close, error->key, sep, error->reason);
	return n < 0 ? 0 : (size_t)n;
}

const char *ini_strerror(enum ini_status status)
{
	static const char *const text[] = {
		[INI_OK] = "ok",
		[INI_IO] = "cannot read the configuration file",
		[INI_SYNTAX] = "syntax error",
		[INI_UNKNOWN_KEY] = "unknown section or key",
		[INI_DUPLICATE] = "key or section given twice",
		[INI_BAD_VALUE] = "bad value",
		[INI_MISSING] = "required key missing",
		[INI_TOO_LARGE] = "line or file too large",
		[INI_NO_MEMORY] = "out of memory",
		[INI_BAD_TABLE] = "bad configuration table (program error)",
	};
	if ((size_t)status >= sizeof(text) / sizeof(text[0]))
		return "unknown error";
	return text[status];
}

void ini_describe(const struct ini_key *table, size_t table_len, FILE *out)
{
	for (size_t i = 0; i < table_len; i++) {
		const struct ini_key *k = &table[i];
		char name[2 * INI_NAME_MAX + 2];
		char def[96];
		char bounds[80] = "-";
		char low[32], high[32];
		snprintf(name, sizeof(name), "%s%s%s", k->section, k->section[0] != '\0' ? "." : "",
		         k->key);
		if (k->default_value == NULL)
			snprintf(def, sizeof(def), "required");
		else
			snprintf(def, sizeof(def), "default \"%s\"", k->default_value);
		if (k->type == INI_STRING && (k->min != 0 || k->max != 0)) {
			if (k->max == 0)
				snprintf(bounds, sizeof(bounds), "length >= %lld", k->min);
			else
				snprintf(bounds, sizeof(bounds), "length %lld..%lld", k->min, k->max);
		} else if (k->type != INI_STRING && k->type != INI_BOOLEAN && ini_bounded(k)) {
			ini_format_number(k, k->min, low, sizeof(low));
			ini_format_number(k, k->max, high, sizeof(high));
			snprintf(bounds, sizeof(bounds), "%s..%s", low, high);
		}
		const char *type = (size_t)k->type < sizeof(ini_types) / sizeof(ini_types[0])
		                       ? ini_types[k->type].name
		                       : "?";
		fprintf(out, "%-32s %-9s %-24s %-20s %s\n", name, type, def, bounds,
		        k->help != NULL ? k->help : "");
	}
}
