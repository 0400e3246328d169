/*
 * test_mail.c: what an outgoing mail may carry in its headers (a name or subject never adds a
 * header: CR and LF refused, non-ASCII as RFC 2047 encoded-words that decode to the same text),
 * the Message-ID every sending of one row shares, the backoff's bounds and growth, which events
 * queue which messages, and the MIME message a relay gets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"
#include "core/mail.h"

static int setup(void **state)
{
	*state = arena_create(1 << 20);
	return *state == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	arena_destroy(*state);
	return 0;
}

static void test_header_text_refuses_line_breaks(void **state)
{
	char out[MAIL_HEADER_MAX];
	(void)state;
	assert_int_equal(mail_header_text("Broken lamp\r\nBcc: victim@example.org", out, sizeof(out)), MAIL_BAD_HEADER);
	assert_int_equal(mail_header_text("Broken lamp\nBcc: x@y", out, sizeof(out)), MAIL_BAD_HEADER);
	assert_int_equal(mail_header_text("tab\there", out, sizeof(out)), MAIL_BAD_HEADER);
	assert_int_equal(mail_header_text("Complaint #4: resolved", out, sizeof(out)), MAIL_OK);
	assert_string_equal(out, "Complaint #4: resolved");
}

static void test_header_text_encodes_non_ascii(void **state)
{
	char out[MAIL_HEADER_MAX];
	(void)state;
	/* "Straßenlaterne" in UTF-8: one B encoded-word. */
	assert_int_equal(mail_header_text("Stra\xc3\x9f" "enlaterne", out, sizeof(out)), MAIL_OK);
	assert_string_equal(out, "=?UTF-8?B?U3RyYcOfZW5sYXRlcm5l?=");
	/* A long value: several words, each at most 75 bytes, folded with CRLF SP, no bare CR/LF. */
	char long_value[400] = "";
	for (size_t i = 0; i < 60; i++)
		memcpy(long_value + i * 5, "\xc3\xa9t\xc3\xa9", 5);
	assert_int_equal(mail_header_text(long_value, out, sizeof(out)), MAIL_OK);
	for (const char *word = out; word != NULL;) {
		const char *end = strstr(word, "\r\n ");
		size_t len = end != NULL ? (size_t)(end - word) : strlen(word);
		assert_true(len <= MAIL_ENCODED_WORD_MAX);
		assert_memory_equal(word, "=?UTF-8?B?", 10);
		word = end != NULL ? end + 3 : NULL;
	}
	for (const char *p = out; *p; p++)
		if (*p == '\r' || *p == '\n')
			assert_memory_equal(p - (*p == '\n'), "\r\n ", 3);
}

static void test_header_address(void **state)
{
	char out[MAIL_HEADER_MAX];
	(void)state;
	assert_int_equal(mail_header_address("Ann \"the\" Lee", "ann@example.org", out, sizeof(out)), MAIL_OK);
	assert_string_equal(out, "\"Ann \\\"the\\\" Lee\" <ann@example.org>");
	assert_int_equal(mail_header_address("J\xc3\xbcrgen", "j@example.org", out, sizeof(out)), MAIL_OK);
	assert_string_equal(out, "=?UTF-8?B?SsO8cmdlbg==?= <j@example.org>");
	assert_int_equal(mail_header_address("Eve\r\nBcc: all@example.org", "e@example.org", out, sizeof(out)),
	                 MAIL_BAD_HEADER);
	assert_int_equal(mail_header_address("Eve", "e@example.org>\r\nBcc: x@y", out, sizeof(out)), MAIL_BAD_HEADER);
	assert_int_equal(mail_header_address("Eve", "e@example.org, x@y", out, sizeof(out)), MAIL_BAD_HEADER);
	assert_int_equal(mail_header_address("Eve", "no-at-sign", out, sizeof(out)), MAIL_BAD_HEADER);
	assert_int_equal(mail_header_address("", "e@example.org", out, sizeof(out)), MAIL_OK);
	assert_string_equal(out, "<e@example.org>");
}

static void test_message_id_is_the_rows(void **state)
{
	char a[MAIL_MESSAGE_ID_MAX], b[MAIL_MESSAGE_ID_MAX];
	(void)state;
	assert_int_equal(mail_message_id(42, "complaints.example.org", a, sizeof(a)), MAIL_OK);
	assert_int_equal(mail_message_id(42, "complaints.example.org", b, sizeof(b)), MAIL_OK);
	assert_string_equal(a, "<notification-42@complaints.example.org>");
	assert_string_equal(a, b);
	assert_int_equal(mail_message_id(43, "complaints.example.org", b, sizeof(b)), MAIL_OK);
	assert_string_not_equal(a, b);
	assert_int_equal(mail_message_id(1, "bad domain\r\n", a, sizeof(a)), MAIL_BAD_HEADER);
}

static void test_backoff(void **state)
{
	(void)state;
	/* Within [step/2, step], the step doubling from base to the cap. */
	assert_int_equal(mail_backoff_ms(1, 1000, 60000, 0), 1000);
	assert_int_equal(mail_backoff_ms(1, 1000, 60000, 500), 500);
	assert_int_equal(mail_backoff_ms(1, 1000, 60000, 501), 1000);
	assert_int_equal(mail_backoff_ms(3, 1000, 60000, 0), 4000);
	assert_int_equal(mail_backoff_ms(3, 1000, 60000, 2000), 2000);
	assert_int_equal(mail_backoff_ms(30, 1000, 60000, 0), 60000);
	assert_int_equal(mail_backoff_ms(1000, 1000, 60000, UINT32_MAX), 60000 - (long long)(UINT32_MAX % 30001));
	for (uint32_t r = 0; r < 100000; r += 7) {
		long long wait = mail_backoff_ms(5, 1000, 60000, r * 2654435761u);
		assert_true(wait >= 8000 && wait <= 16000);
	}
}

static void test_events(void **state)
{
	const struct mail_kind *kinds[MAIL_KINDS_PER_EVENT];
	(void)state;
	assert_int_equal(mail_kinds_of_event("submit", kinds, MAIL_KINDS_PER_EVENT), 1);
	assert_string_equal(kinds[0]->kind, "filed");
	assert_int_equal(kinds[0]->to, MAIL_TO_REPORTER);
	assert_int_equal(mail_kinds_of_event("reassign", kinds, MAIL_KINDS_PER_EVENT), 1);
	assert_int_equal(kinds[0]->to, MAIL_TO_AGENT);
	assert_int_equal(mail_kinds_of_event("reopen", kinds, MAIL_KINDS_PER_EVENT), 3);
	assert_string_equal(kinds[2]->kind, "followed_reopened");
	assert_int_equal(kinds[2]->to, MAIL_TO_FOLLOWERS);
	assert_int_equal(mail_kinds_of_event("auto_close", kinds, MAIL_KINDS_PER_EVENT), 2);
	assert_string_equal(kinds[0]->kind, "closed");
	assert_string_equal(kinds[1]->kind, "followed_closed");
	assert_int_equal(mail_kinds_of_event("reject", kinds, MAIL_KINDS_PER_EVENT), 2);
	assert_int_equal(kinds[1]->to, MAIL_TO_FOLLOWERS);
	assert_int_equal(mail_kinds_of_event("accept", kinds, MAIL_KINDS_PER_EVENT), 0);
	assert_int_equal(mail_kinds_of_event("decline", kinds, MAIL_KINDS_PER_EVENT), 0);
	assert_null(mail_kind_find("nonsense"));
}

static void test_compose(void **state)
{
	struct arena *arena = *state;
	char *out = NULL;
	size_t len = 0;
	struct mail_message message = {
		.from_name = "Complaints", .from_address = "complaints@example.org",
		.to_name = "J\xc3\xbcrgen", .to_address = "j@example.org",
		.subject = "Complaint #7 (Stra\xc3\x9f" "e): resolved",
		.message_id = "<notification-7@example.org>",
		.date = 0,
		.list_unsubscribe = "https://c.example.org/account",
		.text = "Hello J\xc3\xbcrgen,\n",
		.html = "<p>Hello J&uuml;rgen</p>",
	};
	assert_int_equal(mail_compose(arena, &message, &out, &len), MAIL_OK);
	assert_int_equal(strlen(out), len);
	assert_non_null(strstr(out, "Message-ID: <notification-7@example.org>\r\n"));
	assert_non_null(strstr(out, "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"));
	assert_non_null(strstr(out, "List-Unsubscribe: <https://c.example.org/account>\r\n"));
	/* RFC 8058's one click, always with the link (and neither without it, below). */
	assert_non_null(strstr(out, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
	assert_non_null(strstr(out, "Content-Type: multipart/alternative; boundary=\"=_complaintd_notification-7\""));
	assert_non_null(strstr(out, "Content-Type: text/plain; charset=UTF-8"));
	assert_non_null(strstr(out, "Content-Type: text/html; charset=UTF-8"));
	assert_non_null(strstr(out, "--=_complaintd_notification-7--\r\n"));
	/* Every line ends CRLF, and the headers hold nothing but ASCII. */
	for (size_t i = 0; i < len; i++) {
		assert_true((unsigned char)out[i] < 0x80);
		if (out[i] == '\n')
			assert_int_equal(out[i - 1], '\r');
	}
	message.subject = "Complaint\r\nBcc: x@y";
	assert_int_equal(mail_compose(arena, &message, &out, &len), MAIL_BAD_HEADER);
	message.subject = "ok";
	message.list_unsubscribe = NULL;
	assert_int_equal(mail_compose(arena, &message, &out, &len), MAIL_OK);
	assert_null(strstr(out, "List-Unsubscribe"));
}

/* The account mails: the three that carry a link mint a token of their purpose; the note about a
 * taken address links to the reset form; none is a complaint's kind. */
static void test_account_kinds(void **state)
{
	(void)state;
	static const struct {
		const char *kind;
		bool minted;
		enum linktoken_purpose purpose;
	} expected[] = {
		{"invite", true, LINKTOKEN_AGENT_INVITE},
		{"reset", true, LINKTOKEN_PASSWORD_RESET},
		{"confirm", true, LINKTOKEN_EMAIL_CONFIRM},
		{"signup_taken", false, LINKTOKEN_PURPOSES},
	};
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		const struct mail_account_kind *kind = mail_account_kind_find(expected[i].kind);
		assert_non_null(kind);
		assert_int_equal(kind->minted, expected[i].minted);
		if (kind->minted)
			assert_int_equal(kind->purpose, expected[i].purpose);
		else
			assert_string_equal(kind->path, "/forgot");
		assert_null(mail_kind_find(expected[i].kind));
	}
	assert_null(mail_account_kind_find("filed"));
	assert_null(mail_account_kind_find(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_text_refuses_line_breaks),
		cmocka_unit_test(test_header_text_encodes_non_ascii),
		cmocka_unit_test(test_header_address),
		cmocka_unit_test(test_message_id_is_the_rows),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_account_kinds),
		cmocka_unit_test_setup_teardown(test_compose, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
