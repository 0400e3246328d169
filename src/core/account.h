/*
 * account.h: the rules of an account that need no server: what a name and an email address
 * must look like before anything is stored, for sign-up and for complaintctl alike.
 */
#ifndef ACCOUNT_H
#define ACCOUNT_H

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
