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
		wf_gro_begin(&g);
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
	wf_gro_begin(&g);
	len = tcp_seg(pk[0], false, 1000, 1, 1400, 0x10);
	assert_true(wf_gro_add(&g, pk[0], len));
	wf_gro_end(&g);
	assert_int_equal(g.n_writes, 1);
	assert_int_equal(g.writes[0].n, 1);
	assert_int_equal(g.writes[0].hdr.gso_type, WF_GSO_NONE);
	assert_true(naive_l4_ok(pk[0], len));
}

/* Offer IPv4 segments pk[0..n); the writes as a string like "0-1-2 3 4-5"
 * (chains joined with '-', writes by spaces), for the tables below. */
static void gro_run(struct wf_gro *g, int n, char *out, size_t cap)
{
	size_t used = 0;

	wf_gro_begin(g);
	for (int i = 0; i < n; i++)
		assert_true(wf_gro_add(g, pk[i], get16(pk[i] + 2)));
	wf_gro_end(g);
	out[0] = '\0';
	for (unsigned w = 0; w < g->n_writes; w++) {
		for (int i = g->writes[w].head; i >= 0; i = g->next[i])
			used += (size_t)snprintf(out + used, cap - used, "%d%s", i,
						 g->next[i] >= 0 ? "-" : "");
		used += (size_t)snprintf(out + used, cap - used, w + 1 < g->n_writes ? " " : "");
	}
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
 * first one's size but the last, and rebuilds to valid checksums. */
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
		wf_gro_begin(&g);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_csum),	  cmocka_unit_test(test_vnet_hdr),
	    cmocka_unit_test(test_split),	  cmocka_unit_test(test_split_refused),
	    cmocka_unit_test(test_csum_complete), cmocka_unit_test(test_gro_chain),
	    cmocka_unit_test(test_gro_stops),	  cmocka_unit_test(test_gro_headers),
	    cmocka_unit_test(test_gro_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
