/*
 * account.c: the rules of an account's name and email address (see account.h). They check what
 * was typed, nothing more: real proof of an address needs a mail, which this is not, so it only
 * catches typing mistakes.
 */
#include "account.h"

#include <stddef.h>
#include <string.h>

#include "core/text.h"

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
