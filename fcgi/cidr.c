/*
 * cidr.c: address ranges and membership (see cidr.h).
 *
 * Addresses are compared as bytes in network order, so one prefix test serves both families;
 * inet_pton does the parsing, which refuses anything that is not exactly an address.
 */
#include "cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char cidr_v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* An address of either family into range (prefix untouched); IPv4-mapped IPv6 becomes IPv4. */
static int cidr_address_parse(const char *text, struct cidr_range *range)
{
	if (inet_pton(AF_INET, text, range->bytes) == 1) {
		range->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, range->bytes) != 1)
		return -1;
	range->family = AF_INET6;
	if (memcmp(range->bytes, cidr_v4_mapped, sizeof(cidr_v4_mapped)) == 0) {
		memmove(range->bytes, range->bytes + 12, 4);
		range->family = AF_INET;
	}
	return 0;
}

static bool cidr_range_has(const struct cidr_range *range, int family, const unsigned char *bytes)
{
	if (range->family != family)
		return false;
	unsigned whole = range->prefix / 8, rest = range->prefix % 8;
	if (memcmp(range->bytes, bytes, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xffu << (8 - rest));
	return (range->bytes[whole] & mask) == (bytes[whole] & mask);
}

static bool cidr_list_has(const struct cidr_list *list, int family, const unsigned char *bytes)
{
	for (size_t i = 0; i < list->count; i++)
		if (cidr_range_has(&list->ranges[i], family, bytes))
			return true;
	return false;
}

int cidr_list_parse(struct cidr_list *list, const char *text, char *reason, size_t reason_size)
{
	struct cidr_list parsed = {0};
	const char *p = text;
	for (;;) {
		p += strspn(p, " \t,");
		if (*p == '\0')
			break;
		size_t len = strcspn(p, " \t,");
		char item[64];
		if (len >= sizeof(item)) {
			snprintf(reason, reason_size, "%.20s...: not an address or ADDRESS/BITS", p);
			return -1;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		p += len;
		if (parsed.count == CIDR_LIST_MAX) {
			snprintf(reason, reason_size, "at most %d ranges", CIDR_LIST_MAX);
			return -1;
		}
		struct cidr_range *range = &parsed.ranges[parsed.count];
		char *slash = strchr(item, '/');
		if (slash != NULL)
			*slash = '\0';
		if (cidr_address_parse(item, range) != 0) {
			snprintf(reason, reason_size, "%s: not an IPv4 or IPv6 address", item);
			return -1;
		}
		unsigned max = range->family == AF_INET ? 32 : 128;
		range->prefix = max;
		if (slash != NULL) {
			char *end = NULL;
			const char *bits = slash + 1;
			unsigned long prefix = strtoul(bits, &end, 10);
			if (bits[0] < '0' || bits[0] > '9' || *end != '\0' || prefix > max) {
				snprintf(reason, reason_size, "%s/%s: the prefix must be 0 to %u bits", item, bits, max);
				return -1;
			}
			range->prefix = (unsigned)prefix;
		}
		parsed.count++;
	}
	*list = parsed;
	return 0;
}

bool cidr_list_has_text(const struct cidr_list *list, const char *address)
{
	struct cidr_range seen;
	if (address == NULL || cidr_address_parse(address, &seen) != 0)
		return false;
	return cidr_list_has(list, seen.family, seen.bytes);
}

bool cidr_list_has_sockaddr(const struct cidr_list *list, const struct sockaddr *address)
{
	if (address->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)address;
		return cidr_list_has(list, AF_INET, (const unsigned char *)&in->sin_addr);
	}
	if (address->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)address;
		const unsigned char *bytes = (const unsigned char *)&in6->sin6_addr;
		if (memcmp(bytes, cidr_v4_mapped, sizeof(cidr_v4_mapped)) == 0)
			return cidr_list_has(list, AF_INET, bytes + 12);
		return cidr_list_has(list, AF_INET6, bytes);
	}
	return false;
}
