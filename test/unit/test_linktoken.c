/*
 * test_linktoken.c: single-use link tokens: each purpose's stored name, page and lifetime (an
 * invitation lasts 24 hours), a new token's text and the hash the table stores, the absolute link
 * (public origin or the request's, refused for an origin a link cannot carry), and what a person
 * reads for a link that is unknown, used, expired or whose account was disabled.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/linktoken.h"

static void test_each_purpose_has_its_stored_name_page_and_lifetime(void **state)
{
	(void)state;
	char text[32];
	assert_string_equal(linktoken_purpose_stored(LINKTOKEN_AGENT_INVITE), "agent_invite");
	assert_string_equal(linktoken_purpose_stored(LINKTOKEN_PASSWORD_RESET), "password_reset");
	assert_string_equal(linktoken_purpose_stored(LINKTOKEN_EMAIL_CONFIRM), "email_confirm");
	assert_string_equal(linktoken_purpose_stored(LINKTOKEN_PURPOSES), "");
	assert_string_equal(linktoken_path(LINKTOKEN_AGENT_INVITE), "/set-password");
	assert_int_equal(linktoken_lifetime_ms(LINKTOKEN_AGENT_INVITE), 24LL * 60 * 60 * 1000);
	assert_int_equal(linktoken_lifetime_ms(LINKTOKEN_PURPOSES), 0);
	linktoken_lifetime_text(LINKTOKEN_AGENT_INVITE, text, sizeof(text));
	assert_string_equal(text, "24 hours");
	linktoken_lifetime_text(LINKTOKEN_PASSWORD_RESET, text, sizeof(text));
	assert_string_equal(text, "60 minutes");
	assert_string_equal(linktoken_path(LINKTOKEN_PASSWORD_RESET), "/reset-password");
	assert_string_equal(linktoken_path(LINKTOKEN_EMAIL_CONFIRM), "/confirm-email");
	linktoken_lifetime_text(LINKTOKEN_EMAIL_CONFIRM, text, sizeof(text));
	assert_string_equal(text, "72 hours");
	/* A short test lifetime reads in seconds. */
	linktoken_duration_text(60 * 1000, text, sizeof(text));
	assert_string_equal(text, "60 seconds");
}

static void test_a_new_token_is_a_strict_token_whose_hash_is_stored(void **state)
{
	(void)state;
	char a[TOKEN_TEXT_SIZE], b[TOKEN_TEXT_SIZE];
	uint8_t hash_a[TOKEN_HASH_SIZE], hash_b[TOKEN_HASH_SIZE], parsed[TOKEN_HASH_SIZE];
	linktoken_new(a, hash_a);
	linktoken_new(b, hash_b);
	assert_int_equal(strlen(a), TOKEN_TEXT_LEN);
	assert_string_not_equal(a, b);
	assert_memory_not_equal(hash_a, hash_b, TOKEN_HASH_SIZE);
	/* What the link's page parses is what was stored: the hash of the text, not the text. */
	assert_int_equal(token_parse(a, strlen(a), parsed), TOKEN_OK);
	assert_memory_equal(parsed, hash_a, TOKEN_HASH_SIZE);
	assert_memory_not_equal(hash_a, a, TOKEN_HASH_SIZE);
}

static void test_the_link_is_absolute_on_the_given_origin(void **state)
{
	(void)state;
	const char *token = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE";
	char url[256];
	assert_int_equal(linktoken_url("https://complaints.example.org", LINKTOKEN_AGENT_INVITE, token, url, sizeof(url)),
	                 LINKTOKEN_OK);
	assert_string_equal(url, "https://complaints.example.org/set-password?token=AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE");
	/* The request's origin, with a port; a trailing slash is dropped. */
	assert_int_equal(linktoken_url("http://127.0.0.1:8080/", LINKTOKEN_AGENT_INVITE, "tok", url, sizeof(url)),
	                 LINKTOKEN_OK);
	assert_string_equal(url, "http://127.0.0.1:8080/set-password?token=tok");
	assert_int_equal(linktoken_url("http://[::1]:8080", LINKTOKEN_AGENT_INVITE, "tok", url, sizeof(url)), LINKTOKEN_OK);
	assert_string_equal(url, "http://[::1]:8080/set-password?token=tok");
}

static void test_an_origin_a_link_cannot_carry_is_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		NULL, "", "complaints.example.org", "ftp://example.org", "https://", "https:///",
		"https://exa mple.org", "https://example.org/path", "https://example.org\"><script>",
		"javascript://x", "https://user@example.org",
	};
	char url[256];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(url, 'x', sizeof(url));
		assert_int_equal(linktoken_url(bad[i], LINKTOKEN_AGENT_INVITE, "tok", url, sizeof(url)), LINKTOKEN_BAD_ORIGIN);
		assert_string_equal(url, "");
	}
	char small[20];
	assert_int_equal(linktoken_url("https://example.org", LINKTOKEN_AGENT_INVITE, "tok", small, sizeof(small)),
	                 LINKTOKEN_TOO_LONG);
	assert_string_equal(small, "");
}

static void test_a_refused_link_says_why_with_404_or_410(void **state)
{
	(void)state;
	const char *sentence = NULL;
	assert_int_equal(linktoken_judge(true, false, false, false), LINKTOKEN_VALID);
	assert_int_equal(linktoken_refusal(LINKTOKEN_VALID, &sentence), 200);
	assert_int_equal(linktoken_judge(false, true, true, true), LINKTOKEN_UNKNOWN);
	assert_int_equal(linktoken_refusal(LINKTOKEN_UNKNOWN, &sentence), 404);
	assert_non_null(strstr(sentence, "not valid"));
	/* A used link that has expired since is "already used": what its user wants to know. */
	assert_int_equal(linktoken_judge(true, true, true, false), LINKTOKEN_USED);
	assert_int_equal(linktoken_refusal(LINKTOKEN_USED, &sentence), 410);
	assert_non_null(strstr(sentence, "already used"));
	assert_int_equal(linktoken_judge(true, false, true, false), LINKTOKEN_EXPIRED);
	assert_int_equal(linktoken_refusal(LINKTOKEN_EXPIRED, &sentence), 410);
	assert_non_null(strstr(sentence, "expired"));
	assert_int_equal(linktoken_judge(true, false, false, true), LINKTOKEN_ACCOUNT_DISABLED);
	assert_int_equal(linktoken_refusal(LINKTOKEN_ACCOUNT_DISABLED, &sentence), 410);
	assert_non_null(strstr(sentence, "disabled"));
	/* A state of no row is unknown, never valid. */
	assert_int_equal(linktoken_refusal((enum linktoken_state)99, &sentence), 404);
}

static int test_setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_purpose_has_its_stored_name_page_and_lifetime),
		cmocka_unit_test(test_a_new_token_is_a_strict_token_whose_hash_is_stored),
		cmocka_unit_test(test_the_link_is_absolute_on_the_given_origin),
		cmocka_unit_test(test_an_origin_a_link_cannot_carry_is_refused),
		cmocka_unit_test(test_a_refused_link_says_why_with_404_or_410),
	};
	return cmocka_run_group_tests(tests, test_setup, NULL);
}
