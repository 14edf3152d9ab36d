/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/addr.h"

size_t wf_family_addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

void wf_prefix_mask(struct wf_prefix *p)
{
	size_t n = wf_family_addr_len(p->family);

	for (size_t i = 0; i < n; i++) {
		int bits = (int)p->len - (int)(8 * i);

		if (bits <= 0)
			p->addr[i] = 0;
		else if (bits < 8)
			p->addr[i] &= (uint8_t)(0xff << (8 - bits));
	}
	memset(p->addr + n, 0, sizeof(p->addr) - n);
}

bool wf_addr_parse(struct wf_prefix *p, const char *s)
{
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, s, p->addr) == 1) {
		p->family = AF_INET;
		p->len = 32;
		return true;
	}
	if (inet_pton(AF_INET6, s, p->addr) == 1) {
		p->family = AF_INET6;
		p->len = 128;
		return true;
	}
	return false;
}

bool wf_prefix_parse(struct wf_prefix *p, const char *s, bool require_len)
{
	char buf[WF_ADDR_STRLEN];
	const char *slash = strchr(s, '/');
	struct wf_prefix masked;
	unsigned long len;
	char *end;

	if (!slash) {
		return !require_len && wf_addr_parse(p, s);
	}
	if ((size_t)(slash - s) >= sizeof(buf))
		return false;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (!wf_addr_parse(p, buf))
		return false;
	if (slash[1] < '0' || slash[1] > '9')
		return false;
	errno = 0;
	len = strtoul(slash + 1, &end, 10);
	if (errno || *end || len > (p->family == AF_INET ? 32u : 128u))
		return false;
	p->len = (uint8_t)len;
	masked = *p;
	wf_prefix_mask(&masked);
	/* "100.64.0.1/10" is a typo for an address or for a network: refuse. */
	return wf_prefix_equal(&masked, p);
}

const char *wf_prefix_str(const struct wf_prefix *p, bool bare, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	bool host = p->len == (p->family == AF_INET ? 32 : 128);

	if (!inet_ntop(p->family, p->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	if (bare && host)
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s/%u", a, p->len);
	return buf;
}

bool wf_prefix_equal(const struct wf_prefix *a, const struct wf_prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	       !memcmp(a->addr, b->addr, wf_family_addr_len(a->family));
}

bool wf_prefix_match(const struct wf_prefix *p, int family, const uint8_t *addr)
{
	unsigned full = p->len / 8, rest = p->len % 8;

	if (p->family != family)
		return false;
	if (memcmp(p->addr, addr, full))
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		return (p->addr[full] & mask) == (addr[full] & mask);
	}
	return true;
}

bool wf_prefix_contains(const struct wf_prefix *outer, const struct wf_prefix *inner)
{
	return outer->family == inner->family && inner->len >= outer->len &&
	       wf_prefix_match(outer, inner->family, inner->addr);
}

bool wf_endpoint_parse(union wf_endpoint *ep, const char *s)
{
	char host[256];
	const char *colon, *port;
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *res = NULL;
	struct in_addr legacy;
	unsigned long pn;
	char *end;
	size_t hl;

	memset(ep, 0, sizeof(*ep));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return false;
		hl = (size_t)(rb - s - 1);
		if (hl >= sizeof(host))
			return false;
		memcpy(host, s + 1, hl);
		port = rb + 2;
		hints.ai_family = AF_INET6;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon)
			return false; /* IPv6 without brackets is ambiguous */
		hl = (size_t)(colon - s);
		if (hl >= sizeof(host))
			return false;
		memcpy(host, s, hl);
		port = colon + 1;
	}
	host[hl] = '\0';
	if (!hl || port[0] < '0' || port[0] > '9')
		return false;
	/* getaddrinfo also takes inet_aton's legacy forms, where "010.1.1.1"
	 * is 8.1.1.1 and "1.1" is 1.0.0.1: only dotted decimal is an address. */
	if (inet_pton(AF_INET, host, &legacy) != 1 && inet_aton(host, &legacy))
		return false;
	errno = 0;
	pn = strtoul(port, &end, 10);
	if (errno || *end || pn == 0 || pn > 65535)
		return false;
	if (getaddrinfo(host, NULL, &hints, &res) || !res)
		return false;
	if (res->ai_addrlen > sizeof(*ep)) {
		freeaddrinfo(res);
		return false;
	}
	memcpy(ep, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	if (ep->sa.sa_family == AF_INET)
		ep->in4.sin_port = htons((uint16_t)pn);
	else
		ep->in6.sin6_port = htons((uint16_t)pn);
	return true;
}

const char *wf_endpoint_str(const union wf_endpoint *ep, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (ep->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &ep->in4.sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(ep->in4.sin_port));
	} else if (ep->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &ep->in6.sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(ep->in6.sin6_port));
	} else {
		snprintf(buf, len, "(none)");
	}
	return buf;
}

bool wf_endpoint_equal(const union wf_endpoint *a, const union wf_endpoint *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->in4.sin_port == b->in4.sin_port &&
		       a->in4.sin_addr.s_addr == b->in4.sin_addr.s_addr;
	if (a->sa.sa_family == AF_INET6)
		return a->in6.sin6_port == b->in6.sin6_port &&
		       !memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16);
	return true;
}

socklen_t wf_endpoint_len(const union wf_endpoint *ep)
{
	return ep->sa.sa_family == AF_INET ? sizeof(ep->in4) : sizeof(ep->in6);
}

/* An IPv4 address, also one an IPv6 endpoint maps (::ffff:a.b.c.d). */
static const uint8_t *v4_of(const union wf_endpoint *ep)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (ep->sa.sa_family == AF_INET)
		return (const uint8_t *)&ep->in4.sin_addr;
	if (!memcmp(&ep->in6.sin6_addr, mapped, sizeof(mapped)))
		return (const uint8_t *)&ep->in6.sin6_addr + 12;
	return NULL;
}

bool wf_endpoint_usable(const union wf_endpoint *ep)
{
	const uint8_t *a4;

	if (ep->sa.sa_family != AF_INET && ep->sa.sa_family != AF_INET6)
		return false;
	if ((ep->sa.sa_family == AF_INET ? ep->in4.sin_port : ep->in6.sin6_port) == 0)
		return false;
	a4 = v4_of(ep);
	if (a4) /* unspecified, "this network", loopback, multicast and above, broadcast */
		return a4[0] != 0 && a4[0] != 127 && a4[0] < 224;
	{
		const struct in6_addr *a6 = &ep->in6.sin6_addr;

		return !IN6_IS_ADDR_UNSPECIFIED(a6) && !IN6_IS_ADDR_LOOPBACK(a6) &&
		       !IN6_IS_ADDR_MULTICAST(a6) && !IN6_IS_ADDR_LINKLOCAL(a6);
	}
}

uint16_t wf_endpoint_port(const union wf_endpoint *ep)
{
	if (ep->sa.sa_family == AF_INET)
		return ntohs(ep->in4.sin_port);
	return ep->sa.sa_family == AF_INET6 ? ntohs(ep->in6.sin6_port) : 0;
}

void wf_endpoint_set_port(union wf_endpoint *ep, uint16_t port)
{
	if (ep->sa.sa_family == AF_INET)
		ep->in4.sin_port = htons(port);
	else if (ep->sa.sa_family == AF_INET6)
		ep->in6.sin6_port = htons(port);
}

bool wf_endpoint_addr(const union wf_endpoint *ep, struct wf_prefix *out)
{
	const struct in6_addr *a6 = &ep->in6.sin6_addr;

	memset(out, 0, sizeof(*out));
	if (ep->sa.sa_family == AF_INET || (ep->sa.sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(a6))) {
		out->family = AF_INET;
		out->len = 32;
		memcpy(out->addr, ep->sa.sa_family == AF_INET ? (const void *)&ep->in4.sin_addr
							       : (const void *)&a6->s6_addr[12],
		       4);
		return true;
	}
	if (ep->sa.sa_family != AF_INET6)
		return false;
	out->family = AF_INET6;
	out->len = 128;
	memcpy(out->addr, a6, 16);
	return true;
}
