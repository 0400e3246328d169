/*
 * test_optout.c: which kinds of mail may be switched off (every status mail, an agent's work mails,
 * never a security mail) and the one-click unsubscribe link's signature: what it is exactly (a
 * value computed outside libsodium), that the same account and kind always get the same link, that
 * any change to the account, the kind, the key or the signature is refused, that a short key is
 * refused, and the link's shape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/mail.h"
#include "core/optout.h"

static const char key[] = "0123456789abcdef0123456789abcdef";
static const char other_key[] = "0123456789abcdef0123456789abcdeF";

static void test_every_status_mail_is_switchable_and_no_security_mail_is(void **state)
{
	static const char *const status_mails[] = {"filed", "resolved", "rejected", "reopened", "closed",
	                                           "followed_resolved", "followed_rejected", "followed_reopened", "followed_closed"};
	static const char *const security_mails[] = {"password_reset", "email_confirm", "agent_invite", "invitation",
	                                             "address_taken", ""};
	(void)state;
	for (size_t i = 0; i < sizeof(status_mails) / sizeof(status_mails[0]); i++) {
		const struct mail_kind *kind = mail_kind_find(status_mails[i]);
		assert_non_null(kind);
		assert_true(kind->status_mail);
		assert_non_null(optout_find(status_mails[i]));
	}
	for (size_t i = 0; i < sizeof(security_mails) / sizeof(security_mails[0]); i++) {
		char mac[OPTOUT_MAC_TEXT_SIZE];
		assert_null(optout_find(security_mails[i]));
		assert_int_equal(optout_mac(key, 42, security_mails[i], mac), OPTOUT_NOT_SWITCHABLE);
		assert_string_equal(mac, "");
	}
	assert_null(optout_find(NULL));
	/* Every switchable kind is a kind the outbox writes. */
	for (size_t i = 0; i < optout_kind_count; i++)
		assert_non_null(mail_kind_find(optout_kinds[i].kind));
}

static void test_residents_see_their_status_mails_and_staff_their_work_mails_too(void **state)
{
	(void)state;
	assert_true(optout_shown(optout_find("resolved"), false));
	assert_false(optout_shown(optout_find("assigned"), false));
	assert_false(optout_shown(optout_find("reopened_agent"), false));
	assert_true(optout_shown(optout_find("followed_closed"), false));
	assert_true(optout_shown(optout_find("assigned"), true));
	assert_true(optout_shown(optout_find("resolved"), true));
}

static void test_the_mac_is_hmac_sha512_256_over_context_account_and_kind(void **state)
{
	char mac[OPTOUT_MAC_TEXT_SIZE];
	(void)state;
	/* Python: base64url(hmac.new(key, b"complaintd unsubscribe link v1\0" + (42).to_bytes(8, "big")
	 * + b"resolved", sha512).digest()[:32]) without padding. */
	assert_int_equal(optout_mac(key, 42, "resolved", mac), OPTOUT_OK);
	assert_string_equal(mac, "1p8lnfKJtzMdpqqp8Dev-fyyqIFZOtp3QF1J5ZS-IQ0");
	assert_int_equal(strlen(mac), OPTOUT_MAC_TEXT_LEN);
	assert_int_equal(optout_check(key, 42, "resolved", mac), OPTOUT_OK);
}

static void test_the_same_account_and_kind_always_get_the_same_mac(void **state)
{
	char a[OPTOUT_MAC_TEXT_SIZE], b[OPTOUT_MAC_TEXT_SIZE];
	(void)state;
	assert_int_equal(optout_mac(key, 7, "closed", a), OPTOUT_OK);
	assert_int_equal(optout_mac(key, 7, "closed", b), OPTOUT_OK);
	assert_string_equal(a, b);
}

static void test_another_account_kind_or_key_is_refused(void **state)
{
	char mac[OPTOUT_MAC_TEXT_SIZE], other[OPTOUT_MAC_TEXT_SIZE];
	(void)state;
	assert_int_equal(optout_mac(key, 42, "resolved", mac), OPTOUT_OK);
	assert_int_equal(optout_check(key, 43, "resolved", mac), OPTOUT_BAD_MAC);
	assert_int_equal(optout_check(key, 4200, "resolved", mac), OPTOUT_BAD_MAC);
	assert_int_equal(optout_check(key, 42, "rejected", mac), OPTOUT_BAD_MAC);
	assert_int_equal(optout_check(other_key, 42, "resolved", mac), OPTOUT_BAD_MAC);
	/* Each account and kind has its own. */
	assert_int_equal(optout_mac(key, 43, "resolved", other), OPTOUT_OK);
	assert_string_not_equal(mac, other);
	assert_int_equal(optout_mac(key, 42, "closed", other), OPTOUT_OK);
	assert_string_not_equal(mac, other);
	assert_int_equal(optout_mac(other_key, 42, "resolved", other), OPTOUT_OK);
	assert_string_not_equal(mac, other);
}

static void test_an_altered_or_cut_signature_is_refused(void **state)
{
	char mac[OPTOUT_MAC_TEXT_SIZE], altered[OPTOUT_MAC_TEXT_SIZE + 1];
	(void)state;
	assert_int_equal(optout_mac(key, 42, "resolved", mac), OPTOUT_OK);
	for (size_t i = 0; i < OPTOUT_MAC_TEXT_LEN; i++) {
		memcpy(altered, mac, sizeof(mac));
		altered[i] = altered[i] == 'A' ? 'B' : 'A';
		assert_int_equal(optout_check(key, 42, "resolved", altered), OPTOUT_BAD_MAC);
	}
	memcpy(altered, mac, sizeof(mac));
	altered[OPTOUT_MAC_TEXT_LEN - 1] = '\0';
	assert_int_equal(optout_check(key, 42, "resolved", altered), OPTOUT_BAD_MAC);
	memcpy(altered, mac, OPTOUT_MAC_TEXT_LEN);
	altered[OPTOUT_MAC_TEXT_LEN] = 'A';   /* the right MAC with one more character */
	altered[OPTOUT_MAC_TEXT_LEN + 1] = '\0';
	assert_int_equal(optout_check(key, 42, "resolved", altered), OPTOUT_BAD_MAC);
	assert_int_equal(optout_check(key, 42, "resolved", ""), OPTOUT_BAD_MAC);
	assert_int_equal(optout_check(key, 42, "resolved", NULL), OPTOUT_BAD_MAC);
}

static void test_a_short_or_missing_key_makes_no_link(void **state)
{
	char mac[OPTOUT_MAC_TEXT_SIZE], link[512];
	(void)state;
	assert_int_equal(optout_mac("0123456789abcdef0123456789abcde", 42, "resolved", mac), OPTOUT_WEAK_KEY);
	assert_int_equal(optout_mac(NULL, 42, "resolved", mac), OPTOUT_WEAK_KEY);
	assert_int_equal(optout_check(NULL, 42, "resolved", "1p8lnfKJtzMdpqqp8Dev-fyyqIFZOtp3QF1J5ZS-IQ0"),
	                 OPTOUT_WEAK_KEY);
	assert_int_equal(optout_link(NULL, "https://c.example.org", 42, "resolved", link, sizeof(link)), OPTOUT_WEAK_KEY);
	assert_string_equal(link, "");
}

static void test_the_link(void **state)
{
	char link[512], small[60];
	(void)state;
	assert_int_equal(optout_link(key, "https://c.example.org/city", 42, "resolved", link, sizeof(link)), OPTOUT_OK);
	assert_string_equal(link, "https://c.example.org/city/unsubscribe?account=42&kind=resolved"
	                          "&sig=1p8lnfKJtzMdpqqp8Dev-fyyqIFZOtp3QF1J5ZS-IQ0");
	assert_int_equal(optout_link(key, "https://c.example.org", 42, "resolved", small, sizeof(small)), OPTOUT_TOO_LONG);
	assert_string_equal(small, "");
}

static void test_account_ids_as_the_link_writes_them(void **state)
{
	int64_t id = 0;
	(void)state;
	assert_true(optout_parse_account("42", &id));
	assert_int_equal(id, 42);
	assert_true(optout_parse_account("999999999999999999", &id));
	assert_false(optout_parse_account("0", &id));
	assert_false(optout_parse_account("042", &id));
	assert_false(optout_parse_account("-42", &id));
	assert_false(optout_parse_account("+42", &id));
	assert_false(optout_parse_account("42 ", &id));
	assert_false(optout_parse_account("4x2", &id));
	assert_false(optout_parse_account("", &id));
	assert_false(optout_parse_account(NULL, &id));
	assert_false(optout_parse_account("1000000000000000000", &id));
}

static int setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_status_mail_is_switchable_and_no_security_mail_is),
		cmocka_unit_test(test_residents_see_their_status_mails_and_staff_their_work_mails_too),
		cmocka_unit_test(test_the_mac_is_hmac_sha512_256_over_context_account_and_kind),
		cmocka_unit_test(test_the_same_account_and_kind_always_get_the_same_mac),
		cmocka_unit_test(test_another_account_kind_or_key_is_refused),
		cmocka_unit_test(test_an_altered_or_cut_signature_is_refused),
		cmocka_unit_test(test_a_short_or_missing_key_makes_no_link),
		cmocka_unit_test(test_the_link),
		cmocka_unit_test(test_account_ids_as_the_link_writes_them),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
