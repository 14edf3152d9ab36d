/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/core/offload.c and the fast checksum of
 * src/common/csum.h: checksums against the plain definition; super-packets
 * (TCP and UDP, IPv4 and IPv6) cut into segments whose every field is checked
 * with a naive checksum and reassembled into the original payload; coalescing
 * that gives back one super-packet per flow, never reorders a flow, and stops
 * where the kernel's GRO stops; and a randomized batch test of the
 * coalescing's invariants. Cases are numbered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "common/csum.h"
#include "core/offload.h"
#include "../common/packets.h"

/* 1-2: the fast checksum is the plain one. */
static void test_csum(void **state)
{
	static uint8_t buf[3000];

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rng();
	/* 1: every length, from every start, with a running sum */
	for (size_t start = 0; start < 8; start++)
		for (size_t len = 0; len + start <= 2100; len++) {
			uint32_t init = rng() & 0x3ffff;
			uint16_t a = wf_csum_fold(wf_csum_add(init, buf + start, len));
			uint16_t b = wf_csum_fold(wf_csum_add_slow(init, buf + start, len));

			if (a != b) {
				print_error("case 1: start %zu len %zu: %04x, want %04x\n", start, len,
					    a, b);
				fail();
			}
		}
	/* 2: all ones, where carries pile up */
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(wf_csum_fold(wf_csum_add(0, buf, sizeof(buf))),
			 wf_csum_fold(wf_csum_add_slow(0, buf, sizeof(buf))));
}

/* 3: the virtio-net header round trips, in host order. */
static void test_vnet_hdr(void **state)
{
	struct wf_vnet_hdr h = {1, WF_GSO_TCPV4, 52, 1388, 20, 16}, g;
	uint8_t b[WF_VNET_HDR_LEN];

	(void)state;
	wf_vnet_hdr_put(&h, b);
	wf_vnet_hdr_get(&g, b);
	assert_memory_equal(&h, &g, sizeof(h));
	assert_int_equal(b[0], 1);
	assert_int_equal(b[1], WF_GSO_TCPV4);
}

/* Cut a super-packet and check every segment; returns the segment count. */
static unsigned check_split(bool v6, uint8_t proto, size_t plen, uint16_t gso, int casen)
{
	static uint8_t super[70000], seg[WF_GSO_MAX_SEGS][2048], joined[70000];
	struct wf_vnet_hdr h = {WF_VNET_F_NEEDS_CSUM, 0, 9999, gso, 0, 0};
	struct wf_gso_plan plan;
	size_t len = make_packet(super, v6, proto, plen, (uint32_t)casen, 40000), ip = v6 ? 40 : 20;
	size_t hl = ip + (proto == IPPROTO_TCP ? 32 : 8), got = 0;

	h.gso_type = proto == IPPROTO_UDP ? WF_GSO_UDP_L4 : v6 ? WF_GSO_TCPV6 : WF_GSO_TCPV4;
	h.csum_start = (uint16_t)ip;
	h.csum_offset = proto == IPPROTO_TCP ? 16 : 6;
	if (proto == IPPROTO_TCP)
		super[ip + 13] = 0x80 | 0x18 | 0x01; /* CWR ACK PSH FIN: only some go everywhere */
	if (!wf_gso_plan(&h, super, len, &plan))
		fail_msg("case %d: refused", casen);
	assert_int_equal(plan.hdr_len, hl);
	assert_int_equal(plan.n_segs, (plen + gso - 1) / gso);
	for (unsigned i = 0; i < plan.n_segs; i++) {
		size_t n = wf_gso_segment(&plan, super, len, i, seg[i]), pl = n - hl;
		const uint8_t *t = seg[i] + ip;

		if (pl != (i + 1 < plan.n_segs ? gso : plen - (size_t)i * gso))
			fail_msg("case %d: segment %u: %zu payload bytes", casen, i, pl);
		if (!naive_l4_ok(seg[i], n))
			fail_msg("case %d: segment %u: bad transport checksum", casen, i);
		if (!v6 && (get16(seg[i] + 2) != n || get16(seg[i] + 4) != 0x1234 + i ||
			    !naive_ip4_ok(seg[i])))
			fail_msg("case %d: segment %u: IPv4 length, ID or checksum", casen, i);
		if (v6 && get16(seg[i] + 4) != n - 40)
			fail_msg("case %d: segment %u: IPv6 payload length", casen, i);
		if (proto == IPPROTO_TCP) {
			uint8_t want = (uint8_t)(0x10 | (i == 0 ? 0x80 : 0) |
						 (i + 1 == plan.n_segs ? 0x09 : 0));

			if (get32(t + 4) != 0x10000000u + i * gso || t[13] != want)
				fail_msg("case %d: segment %u: seq %08x flags %02x (want %02x)", casen,
					 i, get32(t + 4), t[13], want);
		} else if (get16(t + 4) != n - ip) {
			fail_msg("case %d: segment %u: UDP length", casen, i);
		}
		memcpy(joined + got, seg[i] + hl, pl);
		got += pl;
	}
	assert_int_equal(got, plen);
	assert_memory_equal(joined, super + hl, plen);
	return plan.n_segs;
}

/* 4-11: cutting, for each family and transport, lengths on and off the
 * segment size, one segment, the most segments. */
static void test_split(void **state)
{
	(void)state;
	assert_int_equal(check_split(false, IPPROTO_TCP, 10000, 1388, 4), 8);
	assert_int_equal(check_split(false, IPPROTO_TCP, 1388 * 3, 1388, 5), 3);
	assert_int_equal(check_split(true, IPPROTO_TCP, 65000 - 72, 1368, 6), 48);
	assert_int_equal(check_split(false, IPPROTO_UDP, 9000, 1400, 7), 7);
	assert_int_equal(check_split(true, IPPROTO_UDP, 1401, 1400, 8), 2);
	assert_int_equal(check_split(false, IPPROTO_TCP, 1, 1388, 9), 1);
	assert_int_equal(check_split(false, IPPROTO_UDP, 128 * 500, 500, 10), 128);
	assert_int_equal(check_split(true, IPPROTO_TCP, 3, 1, 11), 3);
}

/* 12-22: what is refused. */
static void test_split_refused(void **state)
{
	static uint8_t p[2000];
	struct wf_vnet_hdr ok = {1, WF_GSO_TCPV4, 0, 500, 20, 16}, h;
	struct wf_gso_plan plan;
	size_t len = make_packet(p, false, IPPROTO_TCP, 1500, 1, 1);

	(void)state;
	assert_true(wf_gso_plan(&ok, p, len, &plan));
	h = ok, h.gso_type = WF_GSO_TCPV6;                   /* 12: family */
	assert_false(wf_gso_plan(&h, p, len, &plan));
	h = ok, h.gso_type = 2;                              /* 13: UFO (IPv4 fragments) */
	assert_false(wf_gso_plan(&h, p, len, &plan));
	h = ok, h.csum_start = 24;                           /* 14: not the IP header's end */
	assert_false(wf_gso_plan(&h, p, len, &plan));
	h = ok, h.csum_offset = 6;                           /* 15: not TCP's field */
	assert_false(wf_gso_plan(&h, p, len, &plan));
	h = ok, h.gso_size = 0;                              /* 16 */
	assert_false(wf_gso_plan(&h, p, len, &plan));
	h = ok, h.gso_size = 11;                             /* 17: too many segments */
	assert_false(wf_gso_plan(&h, p, len, &plan));
	h = ok, h.gso_type = WF_GSO_UDP_L4, h.csum_offset = 6; /* 18: not UDP */
	assert_false(wf_gso_plan(&h, p, len, &plan));
	assert_false(wf_gso_plan(&ok, p, 52, &plan));        /* 19: headers only */
	p[6] |= 0x20;                                        /* 20: a fragment */
	assert_false(wf_gso_plan(&ok, p, len, &plan));
	p[6] &= 0x40;
	p[32] = 4 << 4;                                      /* 21: TCP header under 20 */
	assert_false(wf_gso_plan(&ok, p, len, &plan));
	p[0] = 0x35;                                         /* 22: not IP */
	assert_false(wf_gso_plan(&ok, p, len, &plan));
	h = (struct wf_vnet_hdr){0};
	assert_false(wf_gso_plan(&h, p, len, &plan));
	h.gso_type = WF_GSO_ECN | WF_GSO_TCPV4;
	p[0] = 0x45;
	p[32] = 8 << 4;
	h.csum_start = 20, h.csum_offset = 16, h.gso_size = 500;
	assert_true(wf_gso_plan(&h, p, len, &plan)); /* ECN is no reason */
}

/* 23-25: a checksum the kernel left to us. */
static void test_csum_complete(void **state)
{
	static uint8_t p[2000];
	struct wf_vnet_hdr h = {WF_VNET_F_NEEDS_CSUM, 0, 0, 0, 20, 6};
	size_t len;

	(void)state;
	for (int v6 = 0; v6 < 2; v6++) {
		size_t ip = v6 ? 40 : 20;
		uint32_t sum;

		len = make_packet(p, v6, IPPROTO_UDP, 777, 3, 9);
		/* the kernel puts the pseudo-header's sum in the field */
		sum = wf_csum_pseudo(p + (v6 ? 8 : 12), p + (v6 ? 24 : 16), v6 ? 16 : 4, IPPROTO_UDP,
				     len - ip);
		put16(p + ip + 6, wf_csum_partial(sum));
		h.csum_start = (uint16_t)ip;
		assert_true(wf_csum_complete(&h, p, len)); /* 23 */
		assert_true(naive_l4_ok(p, len));
	}
	h.csum_start = 1990; /* 24: past the end */
	assert_false(wf_csum_complete(&h, p, len));
	h.flags = 0; /* 25: nothing asked */
	assert_true(wf_csum_complete(&h, p, len));
}

/* What the kernel would see of a write: the super-packet rebuilt from the
 * chain, with its checksum completed as the header asks. */
static size_t rebuild(const struct wf_gro *g, const struct wf_gro_write *w, uint8_t *out)
{
	size_t n = g->len[w->head], pl;
	const uint8_t *p;

	memcpy(out, g->pkt[w->head], n);
	for (int i = g->next[w->head]; i >= 0; i = g->next[i]) {
		p = wf_gro_payload(g, i, &pl);
		memcpy(out + n, p, pl);
		n += pl;
	}
	if (w->n > 1)
		assert_true(wf_csum_complete(&w->hdr, out, n));
	return n;
}

static uint8_t pk[64][2048];

/* 26-30: a flow's segments in order become one super-packet. */
static void test_gro_chain(void **state)
{
	static struct wf_gro g;
	static uint8_t out[70000];
	size_t len;

	(void)state;
	for (int v6 = 0; v6 < 2; v6++) {
		wf_gro_begin(&g, false);
		for (int i = 0; i < 10; i++) {
			len = tcp_seg(pk[i], v6, 1000, 5000 + (uint32_t)i * 1400, i < 9 ? 1400 : 600,
				      i < 9 ? 0x10 : 0x18);
			assert_true(wf_gro_add(&g, pk[i], len));
		}
		wf_gro_end(&g);
		/* 26: one write of ten */
		assert_int_equal(g.n_writes, 1);
		assert_int_equal(g.writes[0].n, 10);
		/* 27: its header: TCP GSO, segment size, checksum to complete */
		assert_int_equal(g.writes[0].hdr.gso_type, v6 ? WF_GSO_TCPV6 : WF_GSO_TCPV4);
		assert_int_equal(g.writes[0].hdr.gso_size, 1400);
		assert_int_equal(g.writes[0].hdr.flags, WF_VNET_F_NEEDS_CSUM);
		assert_int_equal(g.writes[0].hdr.hdr_len, (v6 ? 40 : 20) + 32);
		len = rebuild(&g, &g.writes[0], out);
		/* 28: the whole length, valid checksums, PSH from the last */
		assert_int_equal(len, (v6 ? 40 : 20) + 32 + 9 * 1400 + 600);
		assert_true(naive_l4_ok(out, len));
		if (!v6)
			assert_true(naive_ip4_ok(out) && get16(out + 2) == len);
		else
			assert_int_equal(get16(out + 4), len - 40);
		assert_int_equal(out[(v6 ? 40 : 20) + 13], 0x18);
		/* 29: the payload is the ten payloads in order */
		for (int i = 0; i < 10; i++)
			assert_memory_equal(out + (v6 ? 40 : 20) + 32 + i * 1400,
					    pk[i] + (v6 ? 40 : 20) + 32, i < 9 ? 1400 : 600);
	}
	/* 30: a single segment is written as it came */
	wf_gro_begin(&g, false);
	len = tcp_seg(pk[0], false, 1000, 1, 1400, 0x10);
	assert_true(wf_gro_add(&g, pk[0], len));
	wf_gro_end(&g);
	assert_int_equal(g.n_writes, 1);
	assert_int_equal(g.writes[0].n, 1);
	assert_int_equal(g.writes[0].hdr.gso_type, WF_GSO_NONE);
	assert_true(naive_l4_ok(pk[0], len));
}

/* The writes of a batch as a string like "0-1-2 3 4-5" (chains joined with
 * '-', writes by spaces), for the tables below. */
static void writes_str(const struct wf_gro *g, char *out, size_t cap)
{
	size_t used = 0;

	out[0] = '\0';
	for (unsigned w = 0; w < g->n_writes; w++) {
		for (int i = g->writes[w].head; i >= 0; i = g->next[i])
			used += (size_t)snprintf(out + used, cap - used, "%d%s", i,
						 g->next[i] >= 0 ? "-" : "");
		used += (size_t)snprintf(out + used, cap - used, w + 1 < g->n_writes ? " " : "");
	}
}

/* Offer IPv4 segments pk[0..n); the writes as writes_str says them. */
static void gro_run(struct wf_gro *g, int n, char *out, size_t cap)
{
	wf_gro_begin(g, false);
	for (int i = 0; i < n; i++)
		assert_true(wf_gro_add(g, pk[i], get16(pk[i] + 2)));
	wf_gro_end(g);
	writes_str(g, out, cap);
}

/* 31-40: where the kernel's GRO stops, so do we. */
static void test_gro_stops(void **state)
{
	static const struct {
		int casen;
		const char *what;
		/* per segment: flow, seq index, payload, flags; 0-terminated */
		struct { uint16_t flow; int seq; int plen; uint8_t flags; } s[8];
		const char *want;
	} rows[] = {
	    {31, "two flows interleaved",
	     {{1, 0, 1000, 0x10}, {2, 0, 1000, 0x10}, {1, 1, 1000, 0x10}, {2, 1, 1000, 0x10}},
	     "0-2 1-3"},
	    {32, "out of order: not joined, order kept",
	     {{1, 0, 1000, 0x10}, {1, 2, 1000, 0x10}, {1, 1, 1000, 0x10}}, "0 1 2"},
	    {33, "a pure ACK ends the chain before it",
	     {{1, 0, 1000, 0x10}, {1, 1, 0, 0x10}, {1, 1, 1000, 0x10}}, "0 1 2"},
	    {34, "PSH ends the chain after it",
	     {{1, 0, 1000, 0x10}, {1, 1, 1000, 0x18}, {1, 2, 1000, 0x10}}, "0-1 2"},
	    {35, "a short segment ends the chain",
	     {{1, 0, 1000, 0x10}, {1, 1, 500, 0x10}, {1, 2, 1000, 0x10}}, "0-1 2"},
	    {36, "FIN is not joined",
	     {{1, 0, 1000, 0x10}, {1, 1, 1000, 0x11}}, "0 1"},
	    {37, "SYN, RST are not joined",
	     {{1, 0, 1000, 0x02}, {1, 1, 1000, 0x04}, {1, 2, 1000, 0x10}}, "0 1 2"},
	    {38, "a larger segment after a smaller first does not join",
	     {{1, 0, 500, 0x10}, {1, 1, 1000, 0x10}}, "0 1"},
	    {39, "three flows",
	     {{1, 0, 1000, 0x10}, {2, 0, 1000, 0x10}, {3, 0, 1000, 0x10}, {3, 1, 1000, 0x10},
	      {2, 1, 1000, 0x10}, {1, 1, 1000, 0x10}},
	     "0-5 1-4 2-3"},
	    {40, "a flow closed and restarted",
	     {{1, 0, 1000, 0x10}, {1, 1, 1000, 0x18}, {1, 2, 1000, 0x10}, {1, 3, 1000, 0x10}},
	     "0-1 2-3"},
	};
	static struct wf_gro g;
	char got[256];

	(void)state;
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		int n = 0;
		uint32_t seq[4] = {0};

		for (; n < 8 && rows[r].s[n].flow; n++) {
			uint16_t f = rows[r].s[n].flow;

			/* seq index k of a flow starts after k payloads of 1000 */
			seq[f] = 100000 + (uint32_t)rows[r].s[n].seq * 1000;
			if (rows[r].casen == 35 && rows[r].s[n].seq == 2)
				seq[f] = 100000 + 1500;
			if (rows[r].casen == 38 && rows[r].s[n].seq == 1)
				seq[f] = 100000 + 500;
			tcp_seg(pk[n], false, f, seq[f], (size_t)rows[r].s[n].plen,
				rows[r].s[n].flags);
		}
		gro_run(&g, n, got, sizeof(got));
		if (strcmp(got, rows[r].want))
			fail_msg("case %d (%s): writes \"%s\", want \"%s\"", rows[r].casen,
				 rows[r].what, got, rows[r].want);
	}
}

/* 41-44: what makes two segments of one flow different. */
static void test_gro_headers(void **state)
{
	static struct wf_gro g;
	char got[64];

	(void)state;
	/* 41: another acknowledgment */
	tcp_seg(pk[0], false, 1, 1000, 1000, 0x10);
	tcp_seg(pk[1], false, 1, 2000, 1000, 0x10);
	pk[1][20 + 11] ^= 1;
	pk[1][36] = pk[1][37] = 0;
	put16(pk[1] + 36, 0);
	{
		uint32_t sum = wf_csum_pseudo(pk[1] + 12, pk[1] + 16, 4, IPPROTO_TCP, 1032);

		put16(pk[1] + 36, wf_csum_fold(wf_csum_add_slow(sum, pk[1] + 20, 1032)));
	}
	gro_run(&g, 2, got, sizeof(got));
	assert_string_equal(got, "0 1");
	/* 42: a bad checksum is not joined (the kernel will drop it) */
	tcp_seg(pk[1], false, 1, 2000, 1000, 0x10);
	pk[1][100] ^= 0x55;
	gro_run(&g, 2, got, sizeof(got));
	assert_string_equal(got, "0 1");
	/* 43: another TTL */
	tcp_seg(pk[1], false, 1, 2000, 1000, 0x10);
	pk[1][8] = 63;
	pk[1][10] = pk[1][11] = 0;
	put16(pk[1] + 10, wf_csum_fold(wf_csum_add_slow(0, pk[1], 20)));
	gro_run(&g, 2, got, sizeof(got));
	assert_string_equal(got, "0 1");
	/* 44: the control: the same two, untouched, join */
	tcp_seg(pk[1], false, 1, 2000, 1000, 0x10);
	gro_run(&g, 2, got, sizeof(got));
	assert_string_equal(got, "0-1");
}

/* 45: random batches: every packet is written once; within a flow, the
 * writes keep the arrival order; every chain is contiguous, its segments the
 * first one's size but the last, and rebuilds to valid checksums. (Every
 * other round with UDP coalescing on: it changes nothing for TCP.) */
static void test_gro_random(void **state)
{
	static struct wf_gro g;
	static uint8_t pkts[WF_GRO_BATCH][1600], out[70000];

	(void)state;
	for (int round = 0; round < 400; round++) {
		uint32_t seq[6];
		int n = 1 + (int)(rng() % WF_GRO_BATCH), seen[WF_GRO_BATCH] = {0};
		int last_of_flow[6] = {-1, -1, -1, -1, -1, -1};

		for (int f = 0; f < 6; f++)
			seq[f] = rng();
		wf_gro_begin(&g, round % 2);
		for (int i = 0; i < n; i++) {
			int f = (int)(rng() % 6);
			size_t plen = rng() % 8 ? 1200 : rng() % 1300;
			uint8_t flags = rng() % 10 ? 0x10 : rng() % 2 ? 0x18 : 0x11;
			size_t len = tcp_seg(pkts[i], f % 2, (uint16_t)(f + 1), seq[f], plen, flags);

			if (rng() % 20)
				seq[f] += (uint32_t)plen; /* else: a gap, or a repeat */
			assert_true(wf_gro_add(&g, pkts[i], len));
		}
		wf_gro_end(&g);
		for (unsigned w = 0; w < g.n_writes; w++) {
			const struct wf_gro_write *wr = &g.writes[w];
			unsigned k = 0;
			int flow = get16(pkts[wr->head] + (pkts[wr->head][0] >> 4 == 4 ? 20 : 40)) - 1;

			for (int i = wr->head; i >= 0; i = g.next[i], k++) {
				if (seen[i]++)
					fail_msg("round %d: packet %d written twice", round, i);
				if (i <= last_of_flow[flow])
					fail_msg("round %d: flow %d reordered at packet %d", round,
						 flow, i);
				last_of_flow[flow] = i;
			}
			assert_int_equal(k, wr->n);
			if (wr->n > 1) {
				size_t len = rebuild(&g, wr, out);

				if (!naive_l4_ok(out, len))
					fail_msg("round %d: write %u: bad checksum", round, w);
			}
		}
		for (int i = 0; i < n; i++)
			if (!seen[i])
				fail_msg("round %d: packet %d never written", round, i);
	}
}

/* --- UDP ------------------------------------------------------------------ */

/* What is odd about a datagram of the tables below (bits). */
enum {
	U_TOS = 1 << 0,     /* another TOS (IPv6: traffic class) */
	U_TTL = 1 << 1,     /* another TTL (IPv6: hop limit) */
	U_NODF = 1 << 2,    /* IPv4 without DF */
	U_OPT = 1 << 3,     /* IPv4 options (4 bytes) */
	U_MF = 1 << 4,      /* a first fragment (IPv6: a fragment header) */
	U_FRAGOFF = 1 << 5, /* a later fragment: no ports */
	U_CSUM0 = 1 << 6,   /* no checksum: 0 */
	U_BADCSUM = 1 << 7, /* a wrong checksum */
	U_PAD = 1 << 8,     /* UDP's length 2 short of the IP payload's */
	U_TCP = 1 << 9,     /* a TCP segment, same addresses and ports */
	U_BADIP = 1 << 10,  /* a wrong IPv4 header checksum */
	U_EVIL = 1 << 11,   /* the reserved IPv4 flag */
	U_ID0 = 1 << 12,    /* IPv4 ID 0 (+ idd), not the flow's next */
	U_LABEL = 1 << 13,  /* another IPv6 flow label */
};

/* A datagram: flow (1-3 IPv4, 4-6 IPv6; source port 5000 + flow), payload
 * length, how far its IPv4 ID is off its flow's next, odd bits. A flow's IDs
 * count up from 1000 (flow 3: from 0xfffe, to wrap). */
struct udesc {
	uint8_t flow;
	int plen, idd;
	unsigned odd;
};

/* Datagram k of its flow, as u says, checksums valid unless told. */
static size_t build_udp(uint8_t *b, const struct udesc *u, unsigned k, uint32_t seed)
{
	bool v6 = u->flow >= 4;
	uint16_t sport = (uint16_t)(5000 + u->flow), base = u->flow == 3 ? 0xfffe : 1000;
	size_t len, ip;

	if (u->odd & U_TCP)
		return tcp_seg(b, v6, sport, seed, (size_t)u->plen, 0x10);
	len = make_packet(b, v6, IPPROTO_UDP, (size_t)u->plen, seed, sport);
	if (!v6) {
		put16(b + 4, (uint16_t)((u->odd & U_ID0 ? 0 : base + k) + (unsigned)u->idd));
		b[1] = u->odd & U_TOS ? 0x10 : 0;
		b[6] = (uint8_t)((u->odd & U_NODF ? 0 : 0x40) | (u->odd & U_MF ? 0x20 : 0) |
				 (u->odd & U_EVIL ? 0x80 : 0));
		b[7] = u->odd & U_FRAGOFF ? 10 : 0;
		b[8] = u->odd & U_TTL ? 63 : 64;
		if (u->odd & U_OPT) {
			memmove(b + 24, b + 20, len - 20);
			memcpy(b + 20, "\x01\x01\x01\x00", 4);
			b[0] = 0x46;
			len += 4;
			put16(b + 2, (uint16_t)len);
		}
	} else {
		b[0] = u->odd & U_TOS ? 0x62 : 0x60;
		b[3] = u->odd & U_LABEL ? 7 : 0;
		b[7] = u->odd & U_TTL ? 63 : 64;
		if (u->odd & U_MF)
			b[6] = 44;
	}
	ip = v6 ? 40 : (b[0] & 0xfu) * 4;
	if (u->odd & U_PAD)
		put16(b + ip + 4, (uint16_t)(get16(b + ip + 4) - 2));
	udp_csums(b, len);
	if (u->odd & U_CSUM0) {
		/* A payload whose checksum is 0 (sent as 0xffff): then a field
		 * of 0, "none", sums right as well, and only the rule that a
		 * datagram without a checksum goes alone keeps it alone. */
		uint32_t sum;

		b[ip + 6] = b[ip + 7] = 0;
		sum = wf_csum_add_slow(0, b + (v6 ? 8 : 12), v6 ? 32 : 8) + IPPROTO_UDP +
		      (uint32_t)(len - ip);
		sum = (uint16_t)~wf_csum_partial(wf_csum_add_slow(sum, b + ip, len - ip));
		if (u->plen >= 2)
			put16(b + ip + 8, wf_csum_partial(get16(b + ip + 8) + sum));
		assert_true(u->plen < 2 || naive_l4_ok(b, len));
	}
	if (u->odd & U_BADCSUM)
		b[ip + 6] ^= 0x55;
	if (u->odd & U_BADIP)
		b[10] ^= 0x55;
	return len;
}

static uint8_t upk[WF_GRO_BATCH][1600], uorig[WF_GRO_BATCH][1600];
static size_t ulen[WF_GRO_BATCH];

/* Build u[0..n) into upk (a copy in uorig) and offer them; the writes as
 * writes_str says them. */
static void udp_run(struct wf_gro *g, const struct udesc *u, int n, bool udp, char *out,
		    size_t cap)
{
	unsigned k[8] = {0};

	wf_gro_begin(g, udp);
	for (int i = 0; i < n; i++) {
		ulen[i] = build_udp(upk[i], &u[i], k[u[i].flow], (uint32_t)i);
		k[u[i].flow] += !(u[i].odd & U_TCP);
		memcpy(uorig[i], upk[i], ulen[i]);
		assert_true(wf_gro_add(g, upk[i], ulen[i]));
	}
	wf_gro_end(g);
	writes_str(g, out, cap);
}

/* A UDP write cut as the kernel would cut it (wf_gso_plan, wf_gso_segment):
 * exactly the datagrams that came, checksums included; but for IDs that
 * were all 0 (with DF), which come back numbered from 0. */
static void cut_back(const struct wf_gro *g, const struct wf_gro_write *w, int casen)
{
	static uint8_t out[70000], seg[2048], want[2048];
	struct wf_gso_plan plan;
	size_t len = rebuild(g, w, out);
	unsigned k = 0;

	if (!naive_l4_ok(out, len) || !wf_gso_plan(&w->hdr, out, len, &plan) ||
	    plan.n_segs != w->n)
		fail_msg("case %d: the super-packet of %u at %d does not hold", casen, w->n,
			 w->head);
	for (int i = w->head; i >= 0; i = g->next[i], k++) {
		size_t n = wf_gso_segment(&plan, out, len, k, seg);

		memcpy(want, uorig[i], ulen[i]);
		if (want[0] == 0x45 && !get16(uorig[w->head] + 4) && !get16(want + 4) && k) {
			put16(want + 4, (uint16_t)k);
			want[10] = want[11] = 0;
			put16(want + 10, wf_csum_fold(wf_csum_add_slow(0, want, 20)));
		}
		if (n != ulen[i] || memcmp(seg, want, n))
			fail_msg("case %d: segment %u of the write at %d is not datagram %d", casen,
				 k, w->head, i);
	}
}

/* 46-51: a UDP flow's equal datagrams, and a last shorter one, become one
 * super-packet, which the kernel cuts back into the datagrams that came. */
static void test_gro_udp_chain(void **state)
{
	static struct wf_gro g;
	struct udesc u[10];
	char got[128];

	(void)state;
	for (int v6 = 0; v6 < 2; v6++) {
		const struct wf_gro_write *w = &g.writes[0];
		size_t ip = v6 ? 40 : 20, len = ip + 8 + 9 * 1200 + 700;
		const uint8_t *h = upk[0];
		uint32_t sum;

		for (int i = 0; i < 10; i++)
			u[i] = (struct udesc){(uint8_t)(v6 ? 4 : 1), i < 9 ? 1200 : 700, 0, 0};
		udp_run(&g, u, 10, true, got, sizeof(got));
		/* 46: one write of ten */
		assert_string_equal(got, "0-1-2-3-4-5-6-7-8-9");
		/* 47: its header: UDP segmentation at the first one's size, the
		 * checksum to complete from the UDP header on */
		assert_int_equal(w->hdr.gso_type, WF_GSO_UDP_L4);
		assert_int_equal(w->hdr.gso_size, 1200);
		assert_int_equal(w->hdr.flags, WF_VNET_F_NEEDS_CSUM);
		assert_int_equal(w->hdr.hdr_len, ip + 8);
		assert_int_equal(w->hdr.csum_start, ip);
		assert_int_equal(w->hdr.csum_offset, 6);
		/* 48: the head says the whole length (IP and UDP), its IPv4
		 * checksum holds, its UDP one is the pseudo-header's sum */
		if (!v6)
			assert_true(get16(h + 2) == len && naive_ip4_ok(h));
		else
			assert_int_equal(get16(h + 4), len - 40);
		assert_int_equal(get16(h + ip + 4), len - ip);
		sum = wf_csum_add_slow(0, h + (v6 ? 8 : 12), v6 ? 32 : 8) + IPPROTO_UDP +
		      (uint32_t)(len - ip);
		assert_int_equal(get16(h + ip + 6), wf_csum_partial(sum));
		/* 49, 50: completed, a valid checksum; cut, the ten datagrams */
		cut_back(&g, w, 49 + v6);
	}
	/* 51: a device without USO: ten writes of one, untouched */
	udp_run(&g, u, 10, false, got, sizeof(got));
	assert_string_equal(got, "0 1 2 3 4 5 6 7 8 9");
	for (int i = 0; i < 10; i++)
		assert_memory_equal(upk[i], uorig[i], ulen[i]);
}

/* Table entries: flow and payload; with odd bits; with an ID off by idd. */
#define U(f, p) {f, p, 0, 0}
#define UO(f, p, odd) {f, p, 0, odd}
#define UI(f, p, idd) {f, p, idd, 0}

/* 52-83: where the kernel's UDP GRO stops, so do we. */
static void test_gro_udp_stops(void **state)
{
	static const struct {
		int casen;
		const char *what;
		struct udesc u[6]; /* flow 0 ends */
		const char *want;
	} rows[] = {
	    {52, "equal datagrams", {U(1, 1000), U(1, 1000), U(1, 1000), U(1, 1000)}, "0-1-2-3"},
	    {53, "a shorter one joins and ends the chain",
	     {U(1, 1000), U(1, 1000), U(1, 600), U(1, 1000), U(1, 1000)}, "0-1-2 3-4"},
	    {54, "one larger than the first starts a chain of its own",
	     {U(1, 600), U(1, 1000), U(1, 1000)}, "0 1-2"},
	    {55, "two flows interleaved", {U(1, 1000), U(2, 1000), U(1, 1000), U(2, 1000)}, "0-2 1-3"},
	    {56, "another TOS", {U(1, 1000), UO(1, 1000, U_TOS), UO(1, 1000, U_TOS)}, "0 1-2"},
	    {57, "another TTL", {U(1, 1000), UO(1, 1000, U_TTL)}, "0 1"},
	    {58, "an ID gap", {U(1, 1000), UI(1, 1000, 1)}, "0 1"},
	    {59, "an ID that goes back", {U(1, 1000), UI(1, 1000, -2)}, "0 1"},
	    {60, "DF, then not", {U(1, 1000), UO(1, 1000, U_NODF), U(1, 1000)}, "0 1 2"},
	    {61, "IP options", {U(1, 1000), UO(1, 1000, U_OPT), U(1, 1000)}, "0 1 2"},
	    {62, "a first fragment", {U(1, 1000), UO(1, 1000, U_MF), U(1, 1000)}, "0 1 2"},
	    {63, "a later fragment", {U(1, 1000), UO(1, 1000, U_FRAGOFF), U(1, 1000)}, "0 1 2"},
	    {64, "no checksum over IPv4", {U(1, 1000), UO(1, 1000, U_CSUM0), U(1, 1000)}, "0 1 2"},
	    {65, "a wrong checksum", {U(1, 1000), UO(1, 1000, U_BADCSUM), U(1, 1000)}, "0 1 2"},
	    {66, "no payload", {U(1, 1000), U(1, 0), U(1, 1000)}, "0 1 2"},
	    {67, "padding after the datagram", {U(1, 1000), UO(1, 1000, U_PAD), U(1, 1000)},
	     "0 1 2"},
	    {68, "a wrong IPv4 header checksum", {U(1, 1000), UO(1, 1000, U_BADIP), U(1, 1000)},
	     "0 1 2"},
	    {69, "the reserved IPv4 flag", {UO(1, 1000, U_EVIL), UO(1, 1000, U_EVIL), UO(1, 1000, U_EVIL)},
	     "0 1 2"},
	    {70, "IDs all 0, with DF", {UO(1, 900, U_ID0), UO(1, 900, U_ID0), UO(1, 900, U_ID0)},
	     "0-1-2"},
	    {71, "IDs 0, 1, 2", {UO(1, 900, U_ID0), {1, 900, 1, U_ID0}, {1, 900, 2, U_ID0}},
	     "0-1-2"},
	    {72, "IDs 0, 0, then 1", {UO(1, 900, U_ID0), UO(1, 900, U_ID0), {1, 900, 1, U_ID0}},
	     "0-1 2"},
	    {73, "IDs all 0, without DF",
	     {{1, 900, 0, U_ID0 | U_NODF}, {1, 900, 0, U_ID0 | U_NODF}, {1, 900, 0, U_ID0 | U_NODF}},
	     "0 1 2"},
	    {74, "IDs all the same, not 0", {U(1, 900), UI(1, 900, -1), UI(1, 900, -2)}, "0 1 2"},
	    {75, "the ID wraps", {U(3, 900), U(3, 900), U(3, 900)}, "0-1-2"},
	    {76, "a TCP segment on the same addresses and ports",
	     {U(1, 1000), UO(1, 1000, U_TCP), U(1, 1000)}, "0-2 1"},
	    {77, "an IPv4 and an IPv6 flow", {U(1, 1000), U(4, 1000), U(1, 1000), U(4, 1000)},
	     "0-2 1-3"},
	    {78, "IPv6: another traffic class", {U(4, 1000), U(4, 1000), UO(4, 1000, U_TOS)},
	     "0-1 2"},
	    {79, "IPv6: another hop limit", {U(4, 1000), UO(4, 1000, U_TTL)}, "0 1"},
	    {80, "IPv6: another flow label", {U(4, 1000), UO(4, 1000, U_LABEL)}, "0 1"},
	    {81, "IPv6: an extension header", {U(4, 1000), UO(4, 1000, U_MF), U(4, 1000)}, "0 1 2"},
	    {82, "IPv6: no checksum (not allowed)", {U(4, 1000), UO(4, 1000, U_CSUM0), U(4, 1000)},
	     "0 1 2"},
	};
	static struct wf_gro g;
	char got[256];

	(void)state;
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		int n = 0;

		while (n < 6 && rows[r].u[n].flow)
			n++;
		udp_run(&g, rows[r].u, n, true, got, sizeof(got));
		if (strcmp(got, rows[r].want))
			fail_msg("case %d (%s): writes \"%s\", want \"%s\"", rows[r].casen,
				 rows[r].what, got, rows[r].want);
		for (unsigned w = 0; w < g.n_writes; w++)
			if (g.writes[w].n > 1)
				cut_back(&g, &g.writes[w], rows[r].casen);
		/* 83: without USO, no UDP datagram joins anything */
		udp_run(&g, rows[r].u, n, false, got, sizeof(got));
		for (unsigned w = 0; w < g.n_writes; w++)
			if (g.writes[w].n > 1)
				fail_msg("case 83 (%s): a chain without USO", rows[r].what);
	}
}

/* 84-88: at most 64 datagrams and 65,535 bytes (IPv6: with its header) a
 * write. */
static void test_gro_udp_caps(void **state)
{
	static const struct {
		int casen;
		uint8_t flow;
		int n, plen, last; /* n datagrams of plen, then one of last (if any) */
		unsigned first, second;
	} c[] = {
	    {84, 1, 70, 100, 0, 64, 6},    /* 64 at most */
	    {85, 1, 50, 1400, 0, 46, 4},   /* 28 + 46 * 1400 = 64,428; 47 would not fit */
	    {86, 4, 50, 1452, 0, 45, 5},   /* 48 + 45 * 1452 = 65,388 */
	    {87, 1, 46, 1400, 1107, 47, 0}, /* 65,535 exactly */
	    {88, 1, 46, 1400, 1108, 46, 1}, /* one byte over */
	};
	static struct udesc u[WF_GRO_BATCH];
	static struct wf_gro g;
	char got[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int n = c[i].n + (c[i].last ? 1 : 0);
		size_t ip = c[i].flow >= 4 ? 40 : 20, total = ip + 8;

		for (int k = 0; k < n; k++)
			u[k] = (struct udesc){c[i].flow, k < c[i].n ? c[i].plen : c[i].last, 0, 0};
		udp_run(&g, u, n, true, got, sizeof(got));
		if (g.n_writes != (c[i].second ? 2u : 1u) || g.writes[0].n != c[i].first ||
		    (c[i].second && g.writes[1].n != c[i].second))
			fail_msg("case %d: %u writes, the first of %u", c[i].casen, g.n_writes,
				 g.writes[0].n);
		for (unsigned k = 0; k < c[i].first; k++)
			total += (size_t)u[k].plen;
		if ((ip == 20 ? get16(upk[0] + 2) : get16(upk[0] + 4) + 40u) != total)
			fail_msg("case %d: the head says %u bytes, want %zu", c[i].casen,
				 ip == 20 ? get16(upk[0] + 2) : get16(upk[0] + 4) + 40u, total);
		cut_back(&g, &g.writes[0], c[i].casen);
	}
}

/* The naive reference for test_gro_udp_random: which packet heads the
 * chain of each of u[0..n) (built in uorig), by the rules written out flow
 * by flow (at most 6 flows, so no chain is ever closed for want of room). */
static void udp_reference(const struct udesc *u, int n, int *head_of)
{
	struct {
		int head, n;
		size_t total;
		bool closed, fixed;
	} open[8];
	const unsigned header_odd = U_TOS | U_TTL | U_NODF | U_LABEL;
	const unsigned never = U_OPT | U_MF | U_FRAGOFF | U_CSUM0 | U_BADCSUM | U_PAD | U_BADIP |
			       U_EVIL;

	for (int f = 0; f < 8; f++)
		open[f].head = -1;
	for (int i = 0; i < n; i++) {
		int f = u[i].flow, h = open[f].head;
		bool v6 = f >= 4, joins;
		uint16_t id = get16(uorig[i] + 4), id0 = h >= 0 ? get16(uorig[h] + 4) : 0;

		if (u[i].plen == 0 || (u[i].odd & never)) {
			/* alone; its flow's chain first, or, without ports to
			 * tell it by, every chain of its family (one pair of
			 * addresses here) */
			for (int o = 1; o < 8; o++)
				if (o == f || ((u[i].odd & (U_OPT | U_MF | U_FRAGOFF)) &&
					       (o >= 4) == v6))
					open[o].head = -1;
			head_of[i] = i;
			continue;
		}
		joins = h >= 0 && !open[f].closed && u[i].plen <= u[h].plen && open[f].n < 64 &&
			open[f].total + (size_t)u[i].plen <= 65535 &&
			(u[i].odd & header_odd) == (u[h].odd & header_odd);
		if (joins && !v6) {
			if (open[f].n == 1 && !id && !id0 && !(u[i].odd & U_NODF))
				open[f].fixed = true;
			else if (open[f].fixed ? id != 0 : id != (uint16_t)(id0 + open[f].n))
				joins = false;
		}
		if (!joins) {
			open[f].head = h = i;
			open[f].n = 0;
			open[f].total = (v6 ? 48 : 28);
			open[f].closed = open[f].fixed = false;
		}
		head_of[i] = h;
		open[f].n++;
		open[f].total += (size_t)u[i].plen;
		open[f].closed = u[i].plen < u[h].plen;
	}
}

/* 89: random batches of six UDP flows against the naive reference: the same
 * chains; within a flow, the writes in arrival order; every chain cut back
 * into its datagrams, every datagram alone untouched. */
static void test_gro_udp_random(void **state)
{
	static const unsigned odd4[] = {U_TOS, U_TTL, U_NODF, U_OPT, U_MF, U_FRAGOFF,
					U_CSUM0, U_BADCSUM, U_PAD, U_BADIP, U_EVIL};
	static const unsigned odd6[] = {U_TOS, U_TTL, U_LABEL, U_MF, U_BADCSUM, U_PAD, U_CSUM0};
	static const int sizes[] = {1, 100, 512, 1000, 1200, 1400};
	static struct udesc u[WF_GRO_BATCH];
	static struct wf_gro g;
	static char got[8192];

	(void)state;
	for (int round = 0; round < 400; round++) {
		int n = 1 + (int)(rng() % WF_GRO_BATCH), size[8], idd[8];
		/* some rounds with few flows and little to break them: long
		 * chains, up to the caps */
		unsigned flows = round % 2 ? 6 : 1 + rng() % 6, rare = round % 2 ? 20 : 400;
		int head_of[WF_GRO_BATCH], want[WF_GRO_BATCH], last_of_flow[8];
		bool fixed[8];

		for (int f = 1; f < 7; f++) {
			size[f] = sizes[rng() % 6];
			fixed[f] = f < 4 && rng() % 4 == 0;
			idd[f] = fixed[f] ? 0 : (int)(rng() % 65536);
			last_of_flow[f] = -1;
		}
		for (int i = 0; i < n; i++) {
			int f = 1 + (int)(rng() % flows), r = (int)(rng() % rare);

			u[i] = (struct udesc){(uint8_t)f, size[f], idd[f], fixed[f] ? U_ID0 : 0};
			if (r == 0)
				u[i].plen = (int)(rng() % (unsigned)(size[f] + 1)); /* shorter, or 0 */
			else if (r == 1)
				u[i].plen = size[f] + 1 + (int)(rng() % 100);
			else if (r == 2)
				u[i].odd |= f < 4 ? odd4[rng() % 11] : odd6[rng() % 7];
			else if (r == 3 && !fixed[f])
				u[i].idd = idd[f] += 1 + (int)(rng() % 3); /* a gap */
			else if (r == 4 && fixed[f])
				u[i].idd = 1;
		}
		udp_run(&g, u, n, true, got, sizeof(got));
		udp_reference(u, n, want);
		for (int i = 0; i < n; i++)
			head_of[i] = -1;
		for (unsigned w = 0; w < g.n_writes; w++) {
			const struct wf_gro_write *wr = &g.writes[w];
			int f = u[wr->head].flow;

			for (int i = wr->head; i >= 0; i = g.next[i]) {
				if (head_of[i] >= 0)
					fail_msg("round %d: packet %d written twice", round, i);
				if (i <= last_of_flow[f])
					fail_msg("round %d: flow %d reordered at %d", round, f, i);
				head_of[i] = wr->head;
				last_of_flow[f] = i;
			}
			if (wr->n > 1)
				cut_back(&g, wr, 89);
			else if (memcmp(upk[wr->head], uorig[wr->head], ulen[wr->head]))
				fail_msg("round %d: packet %d, alone, was changed", round, wr->head);
		}
		for (int i = 0; i < n; i++)
			if (head_of[i] != want[i])
				fail_msg("round %d: packet %d (flow %d, %d bytes, odd %x) in the chain "
					 "of %d, want %d: %s",
					 round, i, u[i].flow, u[i].plen, u[i].odd, head_of[i], want[i],
					 got);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_csum),	  cmocka_unit_test(test_vnet_hdr),
	    cmocka_unit_test(test_split),	  cmocka_unit_test(test_split_refused),
	    cmocka_unit_test(test_csum_complete), cmocka_unit_test(test_gro_chain),
	    cmocka_unit_test(test_gro_stops),	  cmocka_unit_test(test_gro_headers),
	    cmocka_unit_test(test_gro_random),	  cmocka_unit_test(test_gro_udp_chain),
	    cmocka_unit_test(test_gro_udp_stops), cmocka_unit_test(test_gro_udp_caps),
	    cmocka_unit_test(test_gro_udp_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
