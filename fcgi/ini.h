/*
 * ini.h: the configuration file reader, driven by a declarative key table.
 *
 * The application describes every setting once, in a static table of struct ini_key (section,
 * key, type, where it lives in the application's struct, default, bounds, optional validator,
 * help), in the manner of nginx's ngx_command_t and redis's static_configs[]. This module knows
 * nothing of the application: it reads `[section]` / `key = value` text, refuses anything the
 * table does not allow with file, line, section, key and reason, and fills the struct all or
 * nothing, so a failed reload never half-changes a live configuration. We have our own reader
 * because libinih cuts lines at 200 bytes and gives no line numbers, and replica lists are long.
 *
 * Syntax, exactly:
 *   - UTF-8 text (a leading BOM is skipped). Lines end in LF or CRLF; no other control character
 *     than tab may appear anywhere. A line holds at most LIMIT_INI_LINE_MAX bytes (terminator not
 *     counted), a file at most LIMIT_INI_FILE_MAX bytes.
 *   - Blank lines, and lines whose first non-blank character is '#' or ';', are comments.
 *     There are NO inline comments: in `url = http://h/x#frag ; y` the whole right-hand side is
 *     the value, so URLs and policies may hold '#' and ';'.
 *   - `[name]` starts a section; blanks are allowed around the name and after ']', nothing else.
 *     A section may appear only once per file.
 *   - `key = value`: blanks (space, tab) around key and value are trimmed; the value is taken
 *     literally otherwise (no quoting, no escapes, no continuation lines). The value may be empty.
 *   - Section and key names are 1..INI_NAME_MAX bytes of [A-Za-z0-9_.-].
 *   - A key before any section header belongs to section "": accepted only if the table has keys
 *     in section "" (tables normally have none, so such a key is refused as "outside any
 *     [section]").
 *   - Every key may be given at most once; unknown sections and keys are refused.
 *
 * Value types, and the C type of the struct member each one writes (use the INI_FIELD_* macros
 * below so the compiler checks the member's type):
 *   INI_STRING       char *      malloc'd copy, freed by ini_free. min/max bound its length in
 *                                bytes (max 0 = up to the line cap).
 *   INI_INTEGER      long long   optional '-', decimal digits.
 *   INI_BOOLEAN      bool        yes/no, true/false, on/off, 1/0 (any letter case).
 *   INI_SIZE         size_t      decimal bytes, optional suffix K, M or G (either case); 1K = 1024.
 *   INI_DURATION_MS  long long   milliseconds, read and written by the key's struct ini_duration:
 *                                the application's one way of writing durations (complaintd's is
 *                                librepl's, which its policies use too), not this reader's.
 * For the number types min/max bound the value after units are applied (bytes, milliseconds);
 * min == max == 0 means "no bounds beyond the type's range" (sizes and durations are never
 * negative). Overflow is refused, never wrapped.
 *
 * The validator, when set, runs after the type and bounds checks, on the trimmed value text
 * (NUL-terminated), and returns 0 to accept or nonzero to refuse, writing a reason. It also runs
 * on the default. Defaults are plain value text parsed like file values; a default that does not
 * parse is a table bug, answered INI_BAD_TABLE.
 */
#ifndef FCGI_INI_H
#define FCGI_INI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Longest section or key name. */
#define INI_NAME_MAX 63

enum ini_type {
	INI_STRING,
	INI_INTEGER,
	INI_BOOLEAN,
	INI_SIZE,
	INI_DURATION_MS,
};

/* How an application writes durations. parse reads a whole value (NUL-terminated) into
 * milliseconds: 0, or nonzero with a reason ("at 2: unknown unit 'x' ...") that follows "VALUE is
 * not a duration: " in the error; format writes milliseconds back as a value parse reads (bounds
 * in refusals, defaults in ini_describe) and returns the length it needs, like snprintf. */
struct ini_duration {
	int (*parse)(const char *text, long long *ms, char *reason, size_t reason_size);
	size_t (*format)(long long ms, char *buf, size_t size);
};

struct ini_key {
	const char *section;
	const char *key;
	enum ini_type type;
	size_t offset;               /* of the member in the target struct: use INI_FIELD_* */
	const char *default_value;   /* value text; NULL = the key is required */
	long long min, max;          /* see the type list above; both 0 = unbounded */
	/* Optional: 0 accepts; nonzero refuses, with a reason written into reason. */
	int (*check)(const char *value, char *reason, size_t reason_size);
	const char *help;            /* one line, for ini_describe */
	/* Optional, for values that depend on other keys (a policy naming the replicas of its
	 * section): run in table order once every key and default is in place, with the whole
	 * loaded struct and this entry (one check may serve several keys); 0 accepts. A refusal
	 * names this key and the line that set it. */
	int (*check_loaded)(const void *target, const struct ini_key *key, char *reason, size_t reason_size);
	/* INI_DURATION_MS only, and required there: its syntax (set by INI_FIELD_DURATION_MS). */
	const struct ini_duration *duration;
};

/* `.type` and `.offset` of an entry, with a compile-time check that the member has the C type
 * the reader will write (a mismatch is a "comparison of distinct pointer types" diagnostic). */
#define INI_OFFSET_(T, member, ctype) \
	(offsetof(T, member) + 0 * sizeof(&((T *)0)->member == (ctype *)0))
#define INI_FIELD_STRING(T, member)   .type = INI_STRING, .offset = INI_OFFSET_(T, member, char *)
#define INI_FIELD_INTEGER(T, member)  .type = INI_INTEGER, .offset = INI_OFFSET_(T, member, long long)
#define INI_FIELD_BOOLEAN(T, member)  .type = INI_BOOLEAN, .offset = INI_OFFSET_(T, member, bool)
#define INI_FIELD_SIZE(T, member)     .type = INI_SIZE, .offset = INI_OFFSET_(T, member, size_t)
/* A duration also names its syntax; .offset stays last, so the entry's positional fields
 * (default, bounds, ...) follow it as with the other types. */
#define INI_FIELD_DURATION_MS(T, member, syntax) \
	.duration = (syntax), .type = INI_DURATION_MS, .offset = INI_OFFSET_(T, member, long long)

/* Where and why a load failed. line is 1-based; 0 means the error belongs to no line (a
 * missing required key, a file too large, an I/O error, a table bug). section and key are
 * empty when they do not apply or are not yet known. */
struct ini_error {
	char file[256];
	unsigned line;
	char section[64];
	char key[64];
	char reason[192];
};

enum ini_status {
	INI_OK = 0,
	INI_IO,            /* the file could not be opened or read */
	INI_SYNTAX,        /* no '=', bad header or name, control character, invalid UTF-8 */
	INI_UNKNOWN_KEY,   /* a section or key the table does not know */
	INI_DUPLICATE,     /* a key or section given twice */
	INI_BAD_VALUE,     /* not of its type, out of bounds, or refused by the validator */
	INI_MISSING,       /* a required key is absent */
	INI_TOO_LARGE,     /* a line or the file is over its cap */
	INI_NO_MEMORY,
	INI_BAD_TABLE,     /* the table itself is wrong: a programming error, not the operator's */
};

/*
 * Reads path and fills target (target_size bytes) from it: every table key gets its file value
 * or its default. All or nothing: on any error target is untouched and nothing is allocated.
 * On success the strings target held before (from an earlier load) are freed and replaced, so
 * target must start zeroed or hold a previous load's result. Members the table does not name are
 * never touched. error may be NULL.
 */
enum ini_status ini_load_file(const struct ini_key *table, size_t table_len, void *target,
                              size_t target_size, const char *path, struct ini_error *error);

/* The raw value (trimmed) of [section] key in the file at path, nothing else of the file
 * checked: for a command that must find a daemon even when the file is now broken, and leaves
 * judging it to the daemon. INI_OK; INI_MISSING when the key is not there; INI_IO,
 * INI_TOO_LARGE (the file, or a value of size bytes or more) or INI_NO_MEMORY, with error. */
enum ini_status ini_peek_file(const char *path, const char *section, const char *key, char *value, size_t size,
                              struct ini_error *error);

/* The same from memory; name is used in errors (NULL gives "(config)"). */
enum ini_status ini_load_buffer(const struct ini_key *table, size_t table_len, void *target,
                                size_t target_size, const char *name, const char *data,
                                size_t len, struct ini_error *error);

/* Frees target's strings and sets them to NULL. Safe to call twice. */
void ini_free(const struct ini_key *table, size_t table_len, void *target);

/* "FILE:LINE: [section] key: reason" into buf (always NUL-terminated when size > 0). Parts that
 * are empty are left out: no ":LINE" for line 0, no "[section] " for section "", no "key: " for
 * an empty key. Returns the length the full message needs, like snprintf. */
size_t ini_error_format(const struct ini_error *error, char *buf, size_t size);

const char *ini_strerror(enum ini_status status);

/* Writes the table as documentation, one line per key:
 *   section.key  type  required|default VALUE  bounds  help
 * (for --help-config, and for checking that the man page names every key). */
void ini_describe(const struct ini_key *table, size_t table_len, FILE *out);

#endif
