/*
 * cidr.h: lists of address ranges ("127.0.0.1/32, 10.0.0.0/8, ::1"), and whether an address is
 * in one. The runtime asks it of every peer of a TCP listen socket (like libfcgi's
 * FCGI_WEB_SERVER_ADDRS, but with ranges, IPv6 and a log line); the app asks it of REMOTE_ADDR.
 * An IPv4 address written or seen as IPv4-mapped IPv6 (::ffff:a.b.c.d) is the IPv4 address.
 */
#ifndef FCGI_CIDR_H
#define FCGI_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define CIDR_LIST_MAX 32   /* ranges in one list */

struct cidr_range {
	int family;                 /* AF_INET or AF_INET6 */
	unsigned char bytes[16];    /* 4 used for AF_INET */
	unsigned prefix;            /* leading bits that must match */
};

struct cidr_list {
	size_t count;
	struct cidr_range ranges[CIDR_LIST_MAX];
};

/* Parses "ADDR[/BITS], ..." (commas and blanks between; "" = the empty list, matching nothing).
 * 0, or -1 with reason ("10.0.0.0/33: ..."); the list is filled only on success. */
int cidr_list_parse(struct cidr_list *list, const char *text, char *reason, size_t reason_size);
/* Whether the address text (as nginx's $remote_addr writes it) is in the list; false for text
 * that is no address. */
bool cidr_list_has_text(const struct cidr_list *list, const char *address);
/* Whether a peer's socket address is in the list; unix sockets are never in one. */
bool cidr_list_has_sockaddr(const struct cidr_list *list, const struct sockaddr *address);

#endif
