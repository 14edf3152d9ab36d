/* SPDX-License-Identifier: MIT */
/*
 * TCP MSS clamping (src/core/mss.c): numbered rows of SYNs, SYN+ACKs and
 * other packets, well-formed or not, then randomized SYNs (any option layout,
 * odd offsets, IPv4 and IPv6) whose clamped checksum must equal a full
 * recomputation, with nothing but the option's value and the checksum
 * changed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "common/csum.h"
#include "core/mss.h"
#include "../common/packets.h"

/* A TCP packet with these options (padded to 4 with EOL) and flags, a
 * payload of plen bytes, and a right checksum (the slow way). */
static size_t syn(uint8_t *b, bool v6, const uint8_t *opt, size_t olen, uint8_t flags, size_t plen)
{
	size_t ip = v6 ? 40 : 20, doff = (20 + olen + 3) & ~(size_t)3, len = ip + doff + plen;
	uint8_t *t = b + ip;

	memset(b, 0, len);
	make_packet(b, v6, IPPROTO_TCP, 0, 1, 40000);
	if (v6)
		put16(b + 4, (uint16_t)(len - 40));
	else
		put16(b + 2, (uint16_t)len);
	t[12] = (uint8_t)(doff / 4 << 4);
	t[13] = flags;
	memset(t + 20, 0, doff - 20);
	memcpy(t + 20, opt, olen);
	for (size_t i = 0; i < plen; i++)
		t[doff + i] = (uint8_t)(rng() >> 3);
	return len;
}

/* The TCP checksum of b recomputed from nothing. */
static uint16_t full_csum(uint8_t *b, size_t len)
{
	bool v6 = b[0] >> 4 == 6;
	size_t ip = v6 ? 40 : 20;
	uint8_t *c = b + ip + 16, save[2] = {c[0], c[1]};
	uint32_t sum;

	c[0] = c[1] = 0;
	sum = wf_csum_pseudo(b + (v6 ? 8 : 12), b + (v6 ? 24 : 16), v6 ? 16 : 4, IPPROTO_TCP,
			     len - ip);
	sum = wf_csum_fold(wf_csum_add_slow(sum, b + ip, len - ip));
	c[0] = save[0];
	c[1] = save[1];
	return (uint16_t)sum;
}

static void fix_csum(uint8_t *b, size_t len)
{
	put16(b + (b[0] >> 4 == 6 ? 40 : 20) + 16, full_csum(b, len));
}

static uint16_t mss_of(const uint8_t *b, size_t at)
{
	return get16(b + (b[0] >> 4 == 6 ? 40 : 20) + at);
}

#define MSS(v) 2, 4, (uint8_t)((v) >> 8), (uint8_t)(v)

static void test_rows(void **state)
{
	static const struct {
		bool v6;
		uint8_t opt[16];
		size_t olen;
		uint8_t flags;
		unsigned mtu;
		bool changed;
		uint16_t want; /* the option's value after */
		size_t at;     /* its offset in the TCP header */
	} rows[] = {
	    /* 1 */ {false, {MSS(1460)}, 4, 0x02, 1280, true, 1240, 22},
	    /* 2 */ {false, {MSS(1200)}, 4, 0x02, 1280, false, 1200, 22},  /* already fits */
	    /* 3 */ {false, {MSS(1240)}, 4, 0x02, 1280, false, 1240, 22},  /* exactly */
	    /* 4 */ {false, {MSS(1460)}, 4, 0x12, 1280, true, 1240, 22},   /* SYN+ACK */
	    /* 5 */ {false, {MSS(1460)}, 4, 0x10, 1280, false, 1460, 22},  /* an ACK */
	    /* 6 */ {true, {MSS(1440)}, 4, 0x02, 1280, true, 1220, 22},    /* IPv6: less 60 */
	    /* 7 */ {false, {1, MSS(1460)}, 5, 0x02, 1219, true, 1179, 23}, /* at an odd offset */
	    /* 8 */ {true, {1, 1, 1, MSS(9000)}, 7, 0x02, 1400, true, 1340, 25},
	    /* 9 */ {false, {4, 2, 1, MSS(1460)}, 7, 0x02, 1280, true, 1240, 25}, /* after SACK-OK */
	    /* 10 */ {false, {0, MSS(1460)}, 5, 0x02, 1280, false, 1460, 23},     /* after EOL */
	    /* 11 */ {false, {3, 0, MSS(1460)}, 6, 0x02, 1280, false, 1460, 24},  /* length 0 */
	    /* 12 */ {false, {3, 9, MSS(1460)}, 6, 0x02, 1280, false, 1460, 24},  /* past the end */
	    /* 13 */ {false, {2, 3, 0x05, 0xb4}, 4, 0x02, 1280, false, 0x05b4, 22}, /* MSS length 3 */
	    /* 14 */ {false, {8, 10, 0, 0, 0, 1, 0, 0, 0, 2}, 10, 0x02, 1280, false, 0, 0}, /* no MSS */
	    /* 15 */ {false, {MSS(1460)}, 4, 0x02, 40, false, 1460, 22}, /* an MTU with no room */
	    /* 16 */ {false, {MSS(65535)}, 4, 0x02, 576, true, 536, 22},
	};
	uint8_t b[256];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t len = syn(b, rows[i].v6, rows[i].opt, rows[i].olen, rows[i].flags, 10);
		bool changed;

		fix_csum(b, len);
		changed = wf_mss_clamp(b, len, rows[i].mtu);
		if (changed != rows[i].changed)
			fail_msg("case %zu: changed %d", i + 1, changed);
		if (rows[i].at && mss_of(b, rows[i].at) != rows[i].want)
			fail_msg("case %zu: MSS %u, want %u", i + 1, mss_of(b, rows[i].at), rows[i].want);
		if (!naive_l4_ok(b, len))
			fail_msg("case %zu: checksum wrong", i + 1);
	}
}

/* 17-22: what is not a TCP packet to clamp, or is cut short: left alone. */
static void test_not_ours(void **state)
{
	uint8_t b[256], c[256];
	static const uint8_t opt[] = {MSS(1460)};
	size_t len = syn(b, false, opt, sizeof(opt), 0x02, 0);

	(void)state;
	fix_csum(b, len);
	memcpy(c, b, len);
	b[9] = 17; /* 17: UDP */
	assert_false(wf_mss_clamp(b, len, 1280));
	b[9] = 6;
	b[7] = 1; /* 18: a fragment, not the first */
	assert_false(wf_mss_clamp(b, len, 1280));
	b[7] = 0;
	b[6] = 0x20; /* 19: the first fragment (MF) */
	assert_false(wf_mss_clamp(b, len, 1280));
	b[6] = 0x40;
	for (size_t n = 0; n < len; n++) /* 20: every length short of the whole */
		assert_false(wf_mss_clamp(b, n, 1280));
	b[0] = 0x44; /* 21: a header length below 20 */
	assert_false(wf_mss_clamp(b, len, 1280));
	b[0] = 0x45;
	b[20 + 12] = 0xf0; /* 22: a data offset past the packet */
	assert_false(wf_mss_clamp(b, len, 1280));
	b[20 + 12] = 0x60;
	assert_memory_equal(b, c, len);
	assert_true(wf_mss_clamp(b, len, 1280)); /* (the control) */
}

/* 23: random SYNs: the incremental checksum is the full recomputation's. */
static void test_random(void **state)
{
	uint8_t b[512], before[512], opt[40];

	(void)state;
	for (int i = 0; i < 20000; i++) {
		bool v6 = rng() & 1;
		size_t olen = 0, pad = rng() % 8, len, at;
		unsigned mss = rng() % 65536, mtu = 500 + rng() % 9000;
		uint16_t want;

		for (size_t k = 0; k < pad; k++)
			opt[olen++] = 1;
		if (rng() % 3 == 0) { /* SACK-permitted first */
			opt[olen++] = 4;
			opt[olen++] = 2;
		}
		at = 20 + olen + 2;
		opt[olen++] = 2;
		opt[olen++] = 4;
		opt[olen++] = (uint8_t)(mss >> 8);
		opt[olen++] = (uint8_t)mss;
		len = syn(b, v6, opt, olen, rng() & 1 ? 0x02 : 0x12, rng() % 200);
		fix_csum(b, len);
		memcpy(before, b, len);
		want = mss > wf_mss_for(mtu, v6) ? (uint16_t)wf_mss_for(mtu, v6) : (uint16_t)mss;
		if (wf_mss_clamp(b, len, mtu) != (want != mss))
			fail_msg("random %d: changed or not, wrongly", i);
		if (mss_of(b, at) != want)
			fail_msg("random %d: MSS %u, want %u", i, mss_of(b, at), want);
		if (!naive_l4_ok(b, len))
			fail_msg("random %d: checksum wrong (odd %d)", i, (int)(at & 1));
		for (size_t k = 0; k < len; k++) {
			size_t ip = v6 ? 40 : 20;
			bool field = k == ip + at || k == ip + at + 1 || k == ip + 16 || k == ip + 17;

			if (!field && b[k] != before[k])
				fail_msg("random %d: byte %zu changed", i, k);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rows),
	    cmocka_unit_test(test_not_ours),
	    cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
