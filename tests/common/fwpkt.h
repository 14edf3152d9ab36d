/* SPDX-License-Identifier: MIT */
/*
 * Packets for the firewall's tests (tests/unit/test_firewall.c,
 * test_fw_flows.c), built byte by byte: IPv4 or IPv6 (by the source
 * address's family) carrying TCP, UDP, an ICMP echo or an ICMP error that
 * quotes another packet. Checksums are left zero: the firewall does not read
 * them. Header-only: each user is one program.
 */
#ifndef WEFT_TESTS_FWPKT_H
#define WEFT_TESTS_FWPKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common/addr.h"
#include "core/firewall.h"

enum { PK_MAX = 512, PK_FIN = 0x01, PK_SYN = 0x02, PK_RST = 0x04, PK_ACK = 0x10 };

static inline void pk_put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline struct wf_prefix pk_addr(const char *s)
{
	struct wf_prefix p;

	if (!wf_addr_parse(&p, s))
		abort(); /* a typo in a test */
	return p;
}

/* The IP header for l4len bytes of protocol proto; returns its length. */
static inline size_t pk_ip(uint8_t *b, const char *src, const char *dst, uint8_t proto,
			   size_t l4len)
{
	struct wf_prefix s = pk_addr(src), d = pk_addr(dst);

	if (s.family == AF_INET) {
		memset(b, 0, 20);
		b[0] = 0x45;
		pk_put16(b + 2, (unsigned)(20 + l4len));
		b[8] = 64;
		b[9] = proto;
		memcpy(b + 12, s.addr, 4);
		memcpy(b + 16, d.addr, 4);
		return 20;
	}
	memset(b, 0, 40);
	b[0] = 0x60;
	pk_put16(b + 4, (unsigned)l4len);
	b[6] = proto;
	b[7] = 64;
	memcpy(b + 8, s.addr, 16);
	memcpy(b + 24, d.addr, 16);
	return 40;
}

static inline size_t pk_tcp(uint8_t *b, const char *src, const char *dst, unsigned sp, unsigned dp,
			    uint8_t flags)
{
	size_t h = pk_ip(b, src, dst, IPPROTO_TCP, 20);

	memset(b + h, 0, 20);
	pk_put16(b + h, sp);
	pk_put16(b + h + 2, dp);
	b[h + 12] = 5 << 4;
	b[h + 13] = flags;
	return h + 20;
}

static inline size_t pk_udp(uint8_t *b, const char *src, const char *dst, unsigned sp, unsigned dp)
{
	size_t h = pk_ip(b, src, dst, IPPROTO_UDP, 12);

	memset(b + h, 0, 12);
	pk_put16(b + h, sp);
	pk_put16(b + h + 2, dp);
	pk_put16(b + h + 4, 12);
	return h + 12;
}

static inline bool pk_v6(const char *src)
{
	return pk_addr(src).family == AF_INET6;
}

static inline size_t pk_echo(uint8_t *b, const char *src, const char *dst, bool reply, unsigned id)
{
	bool v6 = pk_v6(src);
	size_t h = pk_ip(b, src, dst, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP, 16);

	memset(b + h, 0, 16);
	b[h] = v6 ? (reply ? 129 : 128) : (reply ? 0 : 8);
	pk_put16(b + h + 4, id);
	pk_put16(b + h + 6, 1);
	return h + 16;
}

/* Destination unreachable (port) from src to dst, quoting q (its first
 * qlen bytes, at most 64). */
static inline size_t pk_unreach(uint8_t *b, const char *src, const char *dst, const uint8_t *q,
				size_t qlen)
{
	bool v6 = pk_v6(src);
	size_t h;

	qlen = qlen > 64 ? 64 : qlen;
	h = pk_ip(b, src, dst, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP, 8 + qlen);
	memset(b + h, 0, 8);
	b[h] = v6 ? 1 : 3;
	b[h + 1] = v6 ? 4 : 3;
	memcpy(b + h + 8, q, qlen);
	return h + 8 + qlen;
}

/* The facts of a packet that must parse. */
static inline struct wf_fw_pkt pk_facts(const uint8_t *b, size_t n)
{
	struct wf_fw_pkt p;

	if (!wf_fw_pkt_parse(b, n, &p))
		abort();
	return p;
}

#endif
