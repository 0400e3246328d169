/*
 * test_cidr.c: address lists as [server] listen_peers and [ops] metrics_allow write them —
 * ranges of both families, single addresses, IPv4-mapped IPv6 seen as IPv4, and the refusals
 * an operator reads (a bad address, a prefix too long).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cidr.h"

static void test_ranges_match(void **state)
{
	(void)state;
	struct cidr_list list;
	char reason[128] = "";
	assert_int_equal(cidr_list_parse(&list, "127.0.0.1, 10.0.0.0/8,2001:db8::/32 ::1", reason, sizeof(reason)), 0);
	assert_int_equal(list.count, 4);
	assert_true(cidr_list_has_text(&list, "127.0.0.1"));
	assert_false(cidr_list_has_text(&list, "127.0.0.2"));
	assert_true(cidr_list_has_text(&list, "10.255.1.2"));
	assert_false(cidr_list_has_text(&list, "11.0.0.1"));
	assert_true(cidr_list_has_text(&list, "2001:db8:1::5"));
	assert_false(cidr_list_has_text(&list, "2001:db9::5"));
	assert_true(cidr_list_has_text(&list, "::1"));
	assert_true(cidr_list_has_text(&list, "::ffff:127.0.0.1"));
	assert_false(cidr_list_has_text(&list, "localhost"));
	assert_false(cidr_list_has_text(&list, ""));
}

static void test_odd_prefixes(void **state)
{
	(void)state;
	struct cidr_list list;
	char reason[128] = "";
	assert_int_equal(cidr_list_parse(&list, "192.168.1.128/25", reason, sizeof(reason)), 0);
	assert_true(cidr_list_has_text(&list, "192.168.1.200"));
	assert_false(cidr_list_has_text(&list, "192.168.1.127"));
	assert_int_equal(cidr_list_parse(&list, "0.0.0.0/0", reason, sizeof(reason)), 0);
	assert_true(cidr_list_has_text(&list, "8.8.8.8"));
	assert_false(cidr_list_has_text(&list, "::2"));
}

static void test_sockaddr(void **state)
{
	(void)state;
	struct cidr_list list;
	char reason[128] = "";
	assert_int_equal(cidr_list_parse(&list, "127.0.0.0/8", reason, sizeof(reason)), 0);
	struct sockaddr_in in = {.sin_family = AF_INET};
	inet_pton(AF_INET, "127.0.0.2", &in.sin_addr);
	assert_true(cidr_list_has_sockaddr(&list, (struct sockaddr *)&in));
	inet_pton(AF_INET, "192.0.2.1", &in.sin_addr);
	assert_false(cidr_list_has_sockaddr(&list, (struct sockaddr *)&in));
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6};
	inet_pton(AF_INET6, "::ffff:127.0.0.9", &in6.sin6_addr);
	assert_true(cidr_list_has_sockaddr(&list, (struct sockaddr *)&in6));
}

static void test_refusals(void **state)
{
	(void)state;
	struct cidr_list list = {.count = 7};
	char reason[128] = "";
	assert_int_equal(cidr_list_parse(&list, "10.0.0.0/33", reason, sizeof(reason)), -1);
	assert_string_equal(reason, "10.0.0.0/33: the prefix must be 0 to 32 bits");
	assert_int_equal(cidr_list_parse(&list, "10.0.0.0/8, example.org", reason, sizeof(reason)), -1);
	assert_string_equal(reason, "example.org: not an IPv4 or IPv6 address");
	assert_int_equal(cidr_list_parse(&list, "::1/", reason, sizeof(reason)), -1);
	assert_int_equal(list.count, 7);   /* untouched on refusal */
	assert_int_equal(cidr_list_parse(&list, "", reason, sizeof(reason)), 0);
	assert_int_equal(list.count, 0);
	assert_false(cidr_list_has_text(&list, "127.0.0.1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ranges_match),
		cmocka_unit_test(test_odd_prefixes),
		cmocka_unit_test(test_sockaddr),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
