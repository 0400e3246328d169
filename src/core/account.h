/*
 * account.h: the rules of an account that need no server: its role, with the order between
 * roles, and what a name and an email address must look like before anything is stored, for
 * sign-up and for complaintctl alike.
 */
#ifndef ACCOUNT_H
#define ACCOUNT_H

#include <stdbool.h>

/* What an account may do, in order: each role may do what the ones before it may. */
enum account_role {
	ACCOUNT_RESIDENT = 0,   /* files complaints and follows their own; stored as 'user' */
	ACCOUNT_AGENT,          /* works on the complaints assigned to them */
	ACCOUNT_ADMIN,          /* assigns, manages accounts and categories, sees everything */
};

/* The one place a stored role (accounts.role: 'user', 'agent', 'admin') becomes the type.
 * false for any other text. */
bool account_role_parse(const char *stored, enum account_role *role);
/* The role as accounts.role stores it. */
const char *account_role_stored(enum account_role role);
/* The role in words, for pages: "resident", "field agent", "administrator". */
const char *account_role_word(enum account_role role);

#define ACCOUNT_NAME_CHARS_MAX 100     /* accounts.name VARCHAR(100) */
#define ACCOUNT_EMAIL_BYTES_MAX 254    /* RFC 5321 path limit; accounts.email VARCHAR(254) */
#define ACCOUNT_EMAIL_LOCAL_MAX 64     /* RFC 5321: bytes before the '@' */

/* What is wrong with a name people will see (1 to 100 characters, no control characters), as a
 * sentence for the person; NULL when it is fine. */
const char *account_name_problem(const char *name);
/* The same for an email address: local@domain.tld, one '@', no spaces or control characters,
 * within RFC 5321's lengths (64 before the '@', 254 in all). */
const char *account_email_problem(const char *email);

#endif
