/*
 * password.h: what a password must be, and how it is stored and checked.
 *
 * The policy follows NIST SP 800-63B section 5.1.1.2: a minimum length, a list of passwords
 * attackers try first, and nothing else (no composition rules, which push people to
 * "Password1!"). Passwords are stored as argon2id strings made by libsodium's crypto_pwhash_str,
 * which carry their own salt and limits, so raising the limits later only needs a rehash at the
 * next sign-in. Verifying for an unknown account runs the same argon2id work against a dummy hash,
 * so a response's timing does not tell whether an email is registered.
 *
 * The module keeps state for the process (the dummy hash and a counter), set up by password_init
 * in the master before workers fork; workers are single-threaded, so there is no locking.
 */
#ifndef PASSWORD_H
#define PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

enum password_status {
	PASSWORD_OK = 0,
	PASSWORD_TOO_SHORT,        /* fewer than PASSWORD_CHARS_MIN characters */
	PASSWORD_TOO_LONG,         /* more than PASSWORD_BYTES_MAX bytes */
	PASSWORD_NOT_UTF8,         /* bytes that are not well-formed UTF-8 */
	PASSWORD_CONTROL_CHAR,     /* a C0, DEL or C1 control character */
	PASSWORD_COMMON,           /* on the common-passwords list */
	PASSWORD_LIST_UNREADABLE,  /* the list file cannot be opened or read */
	PASSWORD_LIST_INVALID,     /* the list file is too large, empty or holds a bad line */
	PASSWORD_NO_MEMORY,
	PASSWORD_HASH_FAILED,      /* libsodium refused: limits out of range, or out of memory */
};

/* Characters (Unicode code points), not bytes: "ééééé" is 5, and people count what they type. */
#define PASSWORD_CHARS_MIN 10
/* Longer is refused rather than cut. argon2id itself takes up to 4 GiB and, unlike bcrypt, does
 * not truncate, so the cap is not for correctness: it bounds what an unauthenticated sign-in can
 * make us copy, scan and hash, and is far above what a person or a password manager makes (64 to
 * 128 characters). Bytes, because that is what the hash and the request cap count. */
#define PASSWORD_BYTES_MAX 1024
/* The list file: a few MB holds the top million; more is a wrong path, not a list. */
#define PASSWORD_LIST_FILE_MAX (64L * 1024 * 1024)
/* Size of a stored hash string, NUL included (crypto_pwhash_STRBYTES; checked in password.c so
 * that this header does not need sodium.h). */
#define PASSWORD_HASH_SIZE 128
/* Room for any message password_policy_check or password_list_load writes. */
#define PASSWORD_REASON_SIZE 256
/* The stored hash of an account that has no password yet (an invited agent before their link's
 * form): not an argon2 string, so password_verify checks it against the dummy, at full cost, and
 * answers false whatever is typed, "!" and "" included; password_hash never makes it. */
#define PASSWORD_HASH_NONE "!"

const char *password_strerror(enum password_status status);

/* The common passwords, ASCII-lowercased, sorted and without duplicates. */
struct password_list;

/* Reads path (one password per line; LF or CRLF; blank lines skipped) into *out. Loaded once by
 * the master at config load; workers share it after fork. On failure *out is untouched and error
 * says "PATH: reason" or "PATH:LINE: reason". */
enum password_status password_list_load(const char *path, struct password_list **out, char *error,
                                        size_t error_size);
/* The same from bytes in memory; name stands for the path in messages. */
enum password_status password_list_parse(const char *text, size_t len, const char *name,
                                         struct password_list **out, char *error,
                                         size_t error_size);
void password_list_free(struct password_list *list);
size_t password_list_count(const struct password_list *list);
/* Whether the list holds password, ignoring ASCII case ("Password123" matches "password123"). */
bool password_list_contains(const struct password_list *list, const char *password, size_t len);

/*
 * Whether password may be chosen: at most PASSWORD_BYTES_MAX bytes, well-formed UTF-8 without
 * control characters, at least PASSWORD_CHARS_MIN characters, and not on common (NULL = no list).
 * On refusal reason (PASSWORD_REASON_SIZE is enough) holds a sentence to show the user, which
 * never repeats the password.
 */
enum password_status password_policy_check(const char *password, size_t len,
                                           const struct password_list *common, char *reason,
                                           size_t reason_size);

/*
 * Initialises libsodium and makes the dummy hash for unknown accounts with the configured limits
 * (ops = argon2id passes, mem = bytes). Call in the master at config load, before fork, and again
 * after a reload that changes the limits. Takes as long as one sign-in.
 */
enum password_status password_init(long long ops, size_t mem);
/* out = argon2id string of password with these limits. out is wiped on failure. */
enum password_status password_hash(const char *password, size_t len, long long ops, size_t mem,
                                   char out[PASSWORD_HASH_SIZE]);
/*
 * Whether password matches stored. stored NULL (no such account) or not an argon2 string (an
 * account without a usable password) is verified against the dummy hash, costing the same as a
 * real check, and answers false. A password over PASSWORD_BYTES_MAX answers false without
 * hashing: no account can have one, and the answer does not depend on the account.
 * Without password_init the dummy is made on first need with libsodium's INTERACTIVE limits
 * (the configuration's defaults), making that one call twice as slow.
 */
bool password_verify(const char *stored, const char *password, size_t len);
/* Whether stored was made with other limits or another algorithm than these (then the caller
 * stores password_hash of the password just verified). Also true for a malformed string. */
bool password_needs_rehash(const char *stored, long long ops, size_t mem);
/* argon2id verifications run by password_verify in this process (tests count sign-in work). */
unsigned long long password_verify_count(void);

#endif
