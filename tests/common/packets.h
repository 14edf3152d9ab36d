/* SPDX-License-Identifier: MIT */
/*
 * Test packets and the slow way to check them, for the tests of the offload
 * code (tests/unit/test_offload.c) and of the packet path around it
 * (tests/unit/test_datapath.c): IPv4 and IPv6 TCP and UDP packets with
 * payloads from a seed, and checksums verified by the plain definition.
 * Header-only: each user is one program.
 */
#ifndef WEFT_TESTS_PACKETS_H
#define WEFT_TESTS_PACKETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>

#include "common/csum.h"

static uint64_t rng_state = 0x853c49e6748fea9bULL;

static inline uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 32);
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The checksum check every receiver makes, the slow way: the ones' complement
 * sum over the pseudo-header and the whole segment, its field included. */
static inline bool naive_l4_ok(const uint8_t *pkt, size_t len)
{
	bool v4 = pkt[0] >> 4 == 4;
	size_t ip = v4 ? (pkt[0] & 0xfu) * 4 : 40, alen = v4 ? 4 : 16;
	uint8_t proto = v4 ? pkt[9] : pkt[6];
	uint32_t sum = wf_csum_add_slow(0, pkt + (v4 ? 12 : 8), 2 * alen);

	sum += proto + (uint32_t)((len - ip) >> 16) + (uint32_t)((len - ip) & 0xffff);
	sum = wf_csum_add_slow(sum, pkt + ip, len - ip);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

static inline bool naive_ip4_ok(const uint8_t *pkt)
{
	uint32_t sum = wf_csum_add_slow(0, pkt, (pkt[0] & 0xfu) * 4);

	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* A TCP or UDP packet with plen payload bytes (from seed); IPv4 or IPv6;
 * TCP with 12 bytes of options (timestamps, as Linux sends). Checksums are
 * left as garbage: tests fill them as each case needs. */
static inline size_t make_packet(uint8_t *b, bool v6, uint8_t proto, size_t plen, uint32_t seed,
			  uint16_t sport)
{
	size_t ip = v6 ? 40 : 20, l4 = proto == IPPROTO_TCP ? 32 : 8, len = ip + l4 + plen;
	uint8_t *t = b + ip;

	memset(b, 0, ip + l4);
	if (v6) {
		b[0] = 0x60;
		put16(b + 4, (uint16_t)(len - 40));
		b[6] = proto;
		b[7] = 64;
		b[8] = 0xfd;
		b[23] = 1;
		b[24] = 0xfd;
		b[39] = 2;
	} else {
		b[0] = 0x45;
		put16(b + 2, (uint16_t)len);
		put16(b + 4, 0x1234);
		b[6] = 0x40; /* DF */
		b[8] = 64;
		b[9] = proto;
		memcpy(b + 12, "\x64\x40\x00\x01\x64\x40\x00\x02", 8);
	}
	put16(t, sport);
	put16(t + 2, 5201);
	if (proto == IPPROTO_TCP) {
		memcpy(t + 4, "\x10\x00\x00\x00", 4); /* seq 0x10000000 */
		memcpy(t + 8, "\x00\x00\x77\x77", 4); /* ack */
		t[12] = 8 << 4;                       /* 32 bytes */
		t[13] = 0x18;                         /* ACK PSH */
		put16(t + 14, 512);
		memcpy(t + 20, "\x01\x01\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x02", 12);
	} else {
		put16(t + 4, (uint16_t)(l4 + plen));
	}
	for (size_t i = 0; i < plen; i++)
		b[ip + l4 + i] = (uint8_t)(seed * 31 + i * 7 + (i >> 8));
	return len;
}

/* A TCP segment of flow `sport`, seq, plen payload bytes, flags, valid
 * checksum. */
static inline size_t tcp_seg(uint8_t *b, bool v6, uint16_t sport, uint32_t seq, size_t plen,
		      uint8_t flags)
{
	size_t len = make_packet(b, v6, IPPROTO_TCP, plen, seq, sport), ip = v6 ? 40 : 20;
	uint32_t sum;

	b[ip + 4] = (uint8_t)(seq >> 24), b[ip + 5] = (uint8_t)(seq >> 16);
	b[ip + 6] = (uint8_t)(seq >> 8), b[ip + 7] = (uint8_t)seq;
	b[ip + 13] = flags;
	b[ip + 16] = b[ip + 17] = 0;
	sum = wf_csum_pseudo(b + (v6 ? 8 : 12), b + (v6 ? 24 : 16), v6 ? 16 : 4, IPPROTO_TCP,
			     len - ip);
	put16(b + ip + 16, wf_csum_fold(wf_csum_add_slow(sum, b + ip, len - ip)));
	if (!v6) {
		b[10] = b[11] = 0;
		put16(b + 10, wf_csum_fold(wf_csum_add_slow(0, b, 20)));
	}
	return len;
}

/* The checksums of a UDP packet made right after its fields were set: UDP's
 * over the IP payload (0 is sent as 0xffff), and IPv4's header checksum. */
static inline void udp_csums(uint8_t *b, size_t len)
{
	bool v4 = b[0] >> 4 == 4;
	size_t ip = v4 ? (b[0] & 0xfu) * 4 : 40;
	uint32_t sum = wf_csum_pseudo(b + (v4 ? 12 : 8), b + (v4 ? 16 : 24), v4 ? 4 : 16,
				      IPPROTO_UDP, len - ip);
	uint16_t c;

	b[ip + 6] = b[ip + 7] = 0;
	c = wf_csum_fold(wf_csum_add_slow(sum, b + ip, len - ip));
	put16(b + ip + 6, c ? c : 0xffff);
	if (v4) {
		b[10] = b[11] = 0;
		put16(b + 10, wf_csum_fold(wf_csum_add_slow(0, b, ip)));
	}
}

#endif
