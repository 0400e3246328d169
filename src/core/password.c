/*
 * password.c: the password policy, the common-passwords list and argon2id hashing (see
 * password.h).
 *
 * The UTF-8 check follows the Unicode Standard's table of well-formed byte sequences (Table 3-7),
 * which refuses overlong forms, surrogates and code points past U+10FFFF by the range allowed for
 * the second byte. The list is one lowercased copy of the file's bytes plus a sorted array of
 * (pointer, length) entries, so a lookup is a binary search with no allocation; the password is
 * lowercased into a stack buffer that is wiped afterwards, as is every other temporary copy of a
 * password or of random bytes that stood for one.
 */
#include "password.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

_Static_assert(PASSWORD_HASH_SIZE == crypto_pwhash_STRBYTES, "PASSWORD_HASH_SIZE is crypto_pwhash_STRBYTES");
_Static_assert(PASSWORD_BYTES_MAX <= crypto_pwhash_PASSWD_MAX, "argon2id takes the longest password");

struct password_entry {
	const char *text;
	size_t len;
};

struct password_list {
	char *text;                     /* the file's bytes, lowercased; entries point into it */
	struct password_entry *entries; /* sorted by password_entry_compare, no duplicates */
	size_t count;
};

static char password_dummy[PASSWORD_HASH_SIZE];
static unsigned long long password_verifications;

const char *password_strerror(enum password_status status)
{
	static const char *const messages[] = {
		[PASSWORD_OK] = "ok",
		[PASSWORD_TOO_SHORT] = "password too short",
		[PASSWORD_TOO_LONG] = "password too long",
		[PASSWORD_NOT_UTF8] = "password is not valid UTF-8",
		[PASSWORD_CONTROL_CHAR] = "password holds a control character",
		[PASSWORD_COMMON] = "password is a common one",
		[PASSWORD_LIST_UNREADABLE] = "common-passwords file unreadable",
		[PASSWORD_LIST_INVALID] = "common-passwords file invalid",
		[PASSWORD_NO_MEMORY] = "out of memory",
		[PASSWORD_HASH_FAILED] = "password hashing failed",
	};
	if ((size_t)status >= sizeof(messages) / sizeof(messages[0]) || messages[status] == NULL)
		return "unknown password status";
	return messages[status];
}

static enum password_status password_fail(char *buf, size_t size, enum password_status status,
                                          const char *format, ...)
	__attribute__((format(printf, 4, 5)));

static enum password_status password_fail(char *buf, size_t size, enum password_status status,
                                          const char *format, ...)
{
	if (buf != NULL && size > 0) {
		va_list args;
		va_start(args, format);
		vsnprintf(buf, size, format, args);
		va_end(args);
	}
	return status;
}

/* Well-formed UTF-8 by lead byte: sequence length and the range its second byte must be in (the
 * third and fourth are always 80..BF). A lead byte in no row (80..C1, F5..FF) is refused. */
static const struct password_utf8_lead {
	unsigned char first, last, length, second_lo, second_hi;
} password_utf8_leads[] = {
	{0x00, 0x7f, 1, 0, 0},
	{0xc2, 0xdf, 2, 0x80, 0xbf},
	{0xe0, 0xe0, 3, 0xa0, 0xbf},  /* no overlong 3-byte forms */
	{0xe1, 0xec, 3, 0x80, 0xbf},
	{0xed, 0xed, 3, 0x80, 0x9f},  /* no surrogates D800..DFFF */
	{0xee, 0xef, 3, 0x80, 0xbf},
	{0xf0, 0xf0, 4, 0x90, 0xbf},  /* no overlong 4-byte forms */
	{0xf1, 0xf3, 4, 0x80, 0xbf},
	{0xf4, 0xf4, 4, 0x80, 0x8f},  /* nothing past U+10FFFF */
};

static const struct password_utf8_lead *password_utf8_lead(unsigned char c)
{
	for (size_t i = 0; i < sizeof(password_utf8_leads) / sizeof(password_utf8_leads[0]); i++)
		if (c >= password_utf8_leads[i].first && c <= password_utf8_leads[i].last)
			return &password_utf8_leads[i];
	return NULL;
}

/* Checks s is well-formed UTF-8 without control characters (C0, DEL, and C1 = C2 80..C2 9F,
 * which a terminal or log viewer may act on) and counts its code points. */
static enum password_status password_scan(const unsigned char *s, size_t len, size_t *chars)
{
	size_t count = 0;
	size_t i = 0;
	while (i < len) {
		const struct password_utf8_lead *lead = password_utf8_lead(s[i]);
		if (lead == NULL || len - i < lead->length)
			return PASSWORD_NOT_UTF8;
		if (lead->length == 1) {
			if (s[i] < 0x20 || s[i] == 0x7f)
				return PASSWORD_CONTROL_CHAR;
		} else {
			if (s[i + 1] < lead->second_lo || s[i + 1] > lead->second_hi)
				return PASSWORD_NOT_UTF8;
			for (size_t k = 2; k < lead->length; k++)
				if (s[i + k] < 0x80 || s[i + k] > 0xbf)
					return PASSWORD_NOT_UTF8;
			if (s[i] == 0xc2 && s[i + 1] <= 0x9f)
				return PASSWORD_CONTROL_CHAR;
		}
		i += lead->length;
		count++;
	}
	*chars = count;
	return PASSWORD_OK;
}

enum password_status password_policy_check(const char *password, size_t len,
                                           const struct password_list *common, char *reason,
                                           size_t reason_size)
{
	if (reason != NULL && reason_size > 0)
		reason[0] = '\0';
	if (len > PASSWORD_BYTES_MAX)
		return password_fail(reason, reason_size, PASSWORD_TOO_LONG,
		                     "This password is too long: the limit is %d bytes, which is %d plain "
		                     "letters and digits, or fewer accented or non-Latin characters.",
		                     PASSWORD_BYTES_MAX, PASSWORD_BYTES_MAX);
	size_t chars = 0;
	switch (password_scan((const unsigned char *)password, len, &chars)) {
	case PASSWORD_OK:
		break;
	case PASSWORD_CONTROL_CHAR:
		return password_fail(reason, reason_size, PASSWORD_CONTROL_CHAR,
		                     "This password holds an invisible control character, such as a tab "
		                     "or a line break. Remove it and try again.");
	default:
		return password_fail(reason, reason_size, PASSWORD_NOT_UTF8,
		                     "This password holds bytes that are not valid text (UTF-8). Type it "
		                     "again, or choose another one.");
	}
	if (chars < PASSWORD_CHARS_MIN)
		return password_fail(reason, reason_size, PASSWORD_TOO_SHORT,
		                     "Use at least %d characters (this password has %zu). A few unrelated "
		                     "words make a password that is long and easy to remember.",
		                     PASSWORD_CHARS_MIN, chars);
	if (common != NULL && password_list_contains(common, password, len))
		return password_fail(reason, reason_size, PASSWORD_COMMON,
		                     "This password is on a list of the most common passwords, which "
		                     "attackers try first. Choose another one: a few unrelated words make "
		                     "a strong password.");
	return PASSWORD_OK;
}

/* ---- the common-passwords list ---- */

static char password_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int password_entry_compare(const void *a, const void *b)
{
	const struct password_entry *x = a, *y = b;
	int order = memcmp(x->text, y->text, x->len < y->len ? x->len : y->len);
	if (order != 0)
		return order;
	return (x->len > y->len) - (x->len < y->len);
}

void password_list_free(struct password_list *list)
{
	if (list == NULL)
		return;
	free(list->text);
	free(list->entries);
	free(list);
}

size_t password_list_count(const struct password_list *list)
{
	return list != NULL ? list->count : 0;
}

enum password_status password_list_parse(const char *text, size_t len, const char *name,
                                         struct password_list **out, char *error,
                                         size_t error_size)
{
	enum password_status status = PASSWORD_OK;
	struct password_list *list = NULL;
	if (len > (size_t)PASSWORD_LIST_FILE_MAX) {
		status = password_fail(error, error_size, PASSWORD_LIST_INVALID,
		                       "%s: larger than %ld bytes; is it the right file?", name,
		                       PASSWORD_LIST_FILE_MAX);
		goto out;
	}
	list = calloc(1, sizeof(*list));
	if (list == NULL)
		goto no_memory;
	/* One byte more so that an empty file still gets a buffer. */
	list->text = malloc(len + 1);
	size_t lines = 1;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	list->entries = calloc(lines, sizeof(*list->entries));
	if (list->text == NULL || list->entries == NULL)
		goto no_memory;
	for (size_t i = 0; i < len; i++)
		list->text[i] = password_lower(text[i]);

	size_t line_number = 0;
	size_t start = 0;
	while (start < len) {
		line_number++;
		const char *newline = memchr(list->text + start, '\n', len - start);
		size_t end = newline != NULL ? (size_t)(newline - list->text) : len;
		size_t next = newline != NULL ? end + 1 : len;
		if (end > start && list->text[end - 1] == '\r')
			end--;
		for (size_t i = start; i < end; i++) {
			unsigned char c = (unsigned char)list->text[i];
			if (c < 0x20 || c == 0x7f) {
				status = password_fail(error, error_size, PASSWORD_LIST_INVALID,
				                       "%s:%zu: control byte 0x%02x in column %zu", name,
				                       line_number, c, i - start + 1);
				goto out;
			}
		}
		if (end - start > PASSWORD_BYTES_MAX) {
			status = password_fail(error, error_size, PASSWORD_LIST_INVALID,
			                       "%s:%zu: longer than %d bytes, the longest password allowed",
			                       name, line_number, PASSWORD_BYTES_MAX);
			goto out;
		}
		if (end > start) {
			struct password_entry entry = {list->text + start, end - start};
			list->entries[list->count++] = entry;
		}
		start = next;
	}
	if (list->count == 0) {
		/* An empty list would quietly turn the check off: a truncated install, not a choice. */
		status = password_fail(error, error_size, PASSWORD_LIST_INVALID,
		                       "%s: holds no passwords", name);
		goto out;
	}
	qsort(list->entries, list->count, sizeof(*list->entries), password_entry_compare);
	size_t kept = 1;
	for (size_t i = 1; i < list->count; i++)
		if (password_entry_compare(&list->entries[kept - 1], &list->entries[i]) != 0)
			list->entries[kept++] = list->entries[i];
	list->count = kept;
	*out = list;
	list = NULL;
	goto out;

no_memory:
	status = password_fail(error, error_size, PASSWORD_NO_MEMORY, "%s: out of memory", name);
out:
	password_list_free(list);
	return status;
}

enum password_status password_list_load(const char *path, struct password_list **out, char *error,
                                        size_t error_size)
{
	enum password_status status = PASSWORD_OK;
	char *text = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		status = password_fail(error, error_size, PASSWORD_LIST_UNREADABLE, "%s: %s", path,
		                       strerror(errno));
		goto out;
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		status = password_fail(error, error_size, PASSWORD_LIST_UNREADABLE, "%s: %s", path,
		                       strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		status = password_fail(error, error_size, PASSWORD_LIST_UNREADABLE,
		                       "%s: not a regular file", path);
		goto out;
	}
	if (st.st_size > PASSWORD_LIST_FILE_MAX) {
		status = password_fail(error, error_size, PASSWORD_LIST_INVALID,
		                       "%s: larger than %ld bytes; is it the right file?", path,
		                       PASSWORD_LIST_FILE_MAX);
		goto out;
	}
	size_t size = (size_t)st.st_size;
	text = malloc(size + 1);
	if (text == NULL) {
		status = password_fail(error, error_size, PASSWORD_NO_MEMORY, "%s: out of memory", path);
		goto out;
	}
	size_t got = 0;
	while (got < size) {
		ssize_t n = read(fd, text + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			status = password_fail(error, error_size, PASSWORD_LIST_UNREADABLE, "%s: %s", path,
			                       strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	status = password_list_parse(text, got, path, out, error, error_size);
out:
	free(text);
	if (fd >= 0)
		close(fd);
	return status;
}

bool password_list_contains(const struct password_list *list, const char *password, size_t len)
{
	if (list == NULL || len > PASSWORD_BYTES_MAX)
		return false;
	char lowered[PASSWORD_BYTES_MAX];
	for (size_t i = 0; i < len; i++)
		lowered[i] = password_lower(password[i]);
	struct password_entry key = {lowered, len};
	bool found = bsearch(&key, list->entries, list->count, sizeof(*list->entries),
	                     password_entry_compare) != NULL;
	sodium_memzero(lowered, len);
	return found;
}

/* ---- hashing ---- */

enum password_status password_hash(const char *password, size_t len, long long ops, size_t mem,
                                   char out[PASSWORD_HASH_SIZE])
{
	if (password == NULL)
		password = "";
	if (ops < 1 || len > PASSWORD_BYTES_MAX ||
	    crypto_pwhash_str_alg(out, password, len, (unsigned long long)ops, mem,
	                          crypto_pwhash_ALG_ARGON2ID13) != 0) {
		sodium_memzero(out, PASSWORD_HASH_SIZE);
		return PASSWORD_HASH_FAILED;
	}
	return PASSWORD_OK;
}

/* The dummy is the hash of random bytes nobody knows, so it can match nothing; and were it to,
 * password_verify answers false for it anyway. */
static enum password_status password_make_dummy(long long ops, size_t mem)
{
	unsigned char secret[32];
	char hash[PASSWORD_HASH_SIZE];
	randombytes_buf(secret, sizeof(secret));
	enum password_status status = password_hash((const char *)secret, sizeof(secret), ops, mem, hash);
	if (status == PASSWORD_OK)
		memcpy(password_dummy, hash, sizeof(hash));
	sodium_memzero(secret, sizeof(secret));
	return status;
}

enum password_status password_init(long long ops, size_t mem)
{
	if (sodium_init() < 0)
		return PASSWORD_HASH_FAILED;
	return password_make_dummy(ops, mem);
}

bool password_verify(const char *stored, const char *password, size_t len)
{
	if (len > PASSWORD_BYTES_MAX)
		return false;
	if (password == NULL)
		password = "";
	/* Any argon2 string is verified for real: one that is corrupt fails inside libsodium, which
	 * takes no time, but only a damaged database makes one. Anything else ("" or "!" for an
	 * account without a password) gets the dummy's full cost. */
	bool real = stored != NULL && strncmp(stored, "$argon2", 7) == 0;
	if (!real && password_dummy[0] == '\0' &&
	    (sodium_init() < 0 ||
	     password_make_dummy(crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE) !=
	             PASSWORD_OK))
		return false;
	password_verifications++;
	int match = crypto_pwhash_str_verify(real ? stored : password_dummy, password, len) == 0;
	return real && match;
}

bool password_needs_rehash(const char *stored, long long ops, size_t mem)
{
	/* Checked here because libsodium's generic call accepts an argon2i string with the same
	 * limits as current, and we want every stored hash to become argon2id. */
	if (stored == NULL || ops < 1 ||
	    strncmp(stored, crypto_pwhash_argon2id_STRPREFIX, strlen(crypto_pwhash_argon2id_STRPREFIX)) != 0)
		return true;
	return crypto_pwhash_str_needs_rehash(stored, (unsigned long long)ops, mem) != 0;
}

unsigned long long password_verify_count(void)
{
	return password_verifications;
}
