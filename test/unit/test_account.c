/*
 * test_account.c: an account's rules without a server: roles read from their stored names (and
 * nothing else), written back the same, and ordered resident < agent < admin; names and email
 * addresses accepted or refused with a sentence for the person.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/account.h"

static void test_roles_round_trip_through_their_stored_names(void **state)
{
	static const struct {
		const char *stored;
		enum account_role role;
	} roles[] = {{"user", ACCOUNT_RESIDENT}, {"agent", ACCOUNT_AGENT}, {"admin", ACCOUNT_ADMIN}};
	(void)state;
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		enum account_role role = ACCOUNT_ADMIN;
		assert_true(account_role_parse(roles[i].stored, &role));
		assert_int_equal(role, roles[i].role);
		assert_string_equal(account_role_stored(role), roles[i].stored);
	}
}

static void test_unknown_roles_are_refused(void **state)
{
	static const char *const unknown[] = {"", "Admin", "resident", "admin ", "root"};
	(void)state;
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		enum account_role role = ACCOUNT_RESIDENT;
		if (account_role_parse(unknown[i], &role))
			fail_msg("\"%s\" was read as a role", unknown[i]);
	}
	enum account_role role = ACCOUNT_RESIDENT;
	assert_false(account_role_parse(NULL, &role));
}

static void test_roles_are_ordered(void **state)
{
	(void)state;
	assert_true(ACCOUNT_RESIDENT < ACCOUNT_AGENT);
	assert_true(ACCOUNT_AGENT < ACCOUNT_ADMIN);
}

static void test_names_and_emails(void **state)
{
	char long_name[102];
	(void)state;
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_null(account_name_problem("Ada Lovelace"));
	assert_string_equal(account_name_problem(""), "Please enter your name.");
	assert_string_equal(account_name_problem(long_name), "Your name is too long: at most 100 characters.");
	assert_string_equal(account_name_problem("a\x01" "b"), "Your name contains characters that cannot be shown.");
	assert_null(account_email_problem("name@example.org"));
	assert_string_equal(account_email_problem(""), "Please enter your email address.");
	static const char *const bad[] = {"name", "@example.org", "a@b@example.org", "a@example", "a@.org",
	                                  "a@example.", "a@example..org", "a b@example.org"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *problem = account_email_problem(bad[i]);
		if (problem == NULL || strstr(problem, "valid email address") == NULL)
			fail_msg("\"%s\" passed as an email address", bad[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles_round_trip_through_their_stored_names),
		cmocka_unit_test(test_unknown_roles_are_refused),
		cmocka_unit_test(test_roles_are_ordered),
		cmocka_unit_test(test_names_and_emails),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
