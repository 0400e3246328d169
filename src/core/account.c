/*
 * account.c: an account's role, name and email address (see account.h). The name and address
 * checks look at what was typed, nothing more: real proof of an address needs a mail, which this
 * is not, so they only catch typing mistakes.
 */
#include "account.h"

#include <stddef.h>
#include <string.h>

#include "core/text.h"

/* accounts.role's ENUM values, by role (the database keeps 'user' for residents). */
static const char *const account_role_names[] = {
	[ACCOUNT_RESIDENT] = "user",
	[ACCOUNT_AGENT] = "agent",
	[ACCOUNT_ADMIN] = "admin",
};

#define ACCOUNT_ROLES (sizeof(account_role_names) / sizeof(account_role_names[0]))

bool account_role_parse(const char *stored, enum account_role *role)
{
	for (size_t i = 0; stored != NULL && i < ACCOUNT_ROLES; i++) {
		if (strcmp(stored, account_role_names[i]) == 0) {
			*role = (enum account_role)i;
			return true;
		}
	}
	return false;
}

const char *account_role_stored(enum account_role role)
{
	return (size_t)role < ACCOUNT_ROLES ? account_role_names[role] : "";
}

/* The role as people say it, by role. */
static const char *const account_role_words[] = {
	[ACCOUNT_RESIDENT] = "resident",
	[ACCOUNT_AGENT] = "field agent",
	[ACCOUNT_ADMIN] = "administrator",
};

const char *account_role_word(enum account_role role)
{
	return (size_t)role < sizeof(account_role_words) / sizeof(account_role_words[0]) ? account_role_words[role] : "";
}

const char *account_name_problem(const char *name)
{
	long chars = text_characters(name, false);
	if (chars == 0)
		return "Please enter your name.";
	if (chars < 0)
		return "Your name contains characters that cannot be shown.";
	if (chars > ACCOUNT_NAME_CHARS_MAX)
		return "Your name is too long: at most 100 characters.";
	return NULL;
}

const char *account_email_problem(const char *email)
{
	static const char message[] = "Please enter a valid email address, such as name@example.org.";
	size_t len = strlen(email);
	const char *at = strchr(email, '@');
	if (len == 0)
		return "Please enter your email address.";
	if (len > ACCOUNT_EMAIL_BYTES_MAX || text_characters(email, false) < 0 ||
	    strpbrk(email, " \t,;<>()[]\\\"") != NULL)
		return message;
	if (at == NULL || at == email || (size_t)(at - email) > ACCOUNT_EMAIL_LOCAL_MAX || strchr(at + 1, '@') != NULL)
		return message;
	const char *domain = at + 1;
	const char *dot = strchr(domain, '.');
	if (dot == NULL || dot == domain || domain[strlen(domain) - 1] == '.' || strstr(domain, "..") != NULL)
		return message;
	return NULL;
}
