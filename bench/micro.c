/* SPDX-License-Identifier: MIT */
/*
 * A micro-benchmark of weft's packet path without sockets or devices: one
 * 64 KiB TCP super-packet, as the TUN device hands it over, through every
 * stage the daemon runs it through, each timed apart:
 *
 *   split     wf_gso_plan + wf_gso_segment into MTU-sized slots (headers,
 *             checksums)
 *   seal      wf_keypair_seal of each segment, in place
 *   open      wf_keypair_open of each, in place (replay window included)
 *   coalesce  wf_gro_add of each, wf_gro_end: one chain back
 *
 * and, for reference, the AEAD alone on the same bytes in one call, and the
 * AEAD's fixed cost per call (a 16-byte packet). Printed in cycles per byte
 * of TCP payload (the TSC on x86, else nanoseconds times the nominal clock
 * from /proc/cpuinfo), median of 9 runs of 300 batches each, for both
 * ciphers. No thresholds: a regression shows as a number that grew, and
 * where.
 *
 * Then the firewall (src/core/firewall.h), in cycles per packet: reading a
 * packet's facts, the verdict with no rules, with 36 inbound rules that the
 * packet runs through to the end (the worst case: first match wins, none
 * does), with the flow found in the tracking table, and opening a new flow.
 *
 *   make bench-micro          or   build/bench/micro [MTU]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <sys/socket.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "common/csum.h"
#include "core/firewall.h"
#include "core/offload.h"
#include "core/session.h"
#include "crypto/crypto.h"
#include "weft/wire.h"

enum { RUNS = 9, BATCHES = 300, SLOT = 2048, MAX_SEGS = 128 };

static double ghz = 1.0; /* for the clock fallback */

static uint64_t now_cycles(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __rdtsc();
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)(((double)ts.tv_sec * 1e9 + (double)ts.tv_nsec) * ghz);
#endif
}

static void read_ghz(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];
	double mhz;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "cpu MHz : %lf", &mhz) == 1) {
			ghz = mhz / 1000;
			break;
		}
	if (f)
		fclose(f);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A TCP/IPv4 super-packet of plen payload bytes with timestamps, its
 * checksum left to us as the kernel leaves it; the header for it in *h. */
static size_t make_super(uint8_t *b, size_t plen, uint16_t mss, struct wf_vnet_hdr *h)
{
	size_t len = 20 + 32 + plen;

	memset(b, 0, 52);
	b[0] = 0x45;
	put16(b + 2, (uint16_t)len);
	b[6] = 0x40;
	b[8] = 64;
	b[9] = IPPROTO_TCP;
	memcpy(b + 12, "\x64\x40\x00\x01\x64\x40\x00\x02", 8);
	put16(b + 20, 40000);
	put16(b + 22, 5201);
	b[32] = 8 << 4;
	b[33] = 0x10;
	put16(b + 34, 512);
	memcpy(b + 40, "\x01\x01\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x02", 12);
	for (size_t i = 0; i < plen; i++)
		b[52 + i] = (uint8_t)(i * 7);
	put16(b + 36, wf_csum_partial(wf_csum_pseudo(b + 12, b + 16, 4, IPPROTO_TCP, len - 20)));
	memset(h, 0, sizeof(*h));
	h->flags = WF_VNET_F_NEEDS_CSUM;
	h->gso_type = WF_GSO_TCPV4;
	h->hdr_len = 52;
	h->gso_size = mss;
	h->csum_start = 20;
	h->csum_offset = 16;
	return len;
}

struct stage {
	const char *name;
	uint64_t cycles[RUNS];
};

enum { SPLIT, SEAL, OPEN, COALESCE, AEAD_ONE, AEAD_CALL, N_STAGES };

static struct stage stages[N_STAGES] = {
	{.name = "split"},    {.name = "seal"},		{.name = "open"},
	{.name = "coalesce"}, {.name = "aead, one call"}, {.name = "aead, per call"},
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v)
{
	qsort(v, RUNS, sizeof(*v), cmp_u64);
	return v[RUNS / 2];
}

static uint8_t super[70000], slots[MAX_SEGS][SLOT], big[70000 + 32];

/* One run: BATCHES super-packets through every stage. */
static bool run(int r, struct wf_keypair *tx, struct wf_keypair *rx, struct wf_aead *aead,
		const uint8_t *pkt, size_t len, const struct wf_vnet_hdr *h)
{
	static struct wf_gro gro;
	struct wf_gso_plan plan;
	size_t seg_len[MAX_SEGS], out;
	uint64_t t[5];

	for (int b = 0; b < BATCHES; b++) {
		t[0] = now_cycles();
		if (!wf_gso_plan(h, pkt, len, &plan))
			return false;
		for (unsigned i = 0; i < plan.n_segs; i++)
			seg_len[i] = wf_gso_segment(&plan, pkt, len, i, slots[i] + WF_DATA_HEADER_LEN);
		t[1] = now_cycles();
		for (unsigned i = 0; i < plan.n_segs; i++)
			if (!wf_keypair_seal(tx, 0, WF_MSG_DATA, slots[i], seg_len[i], &out))
				return false;
		t[2] = now_cycles();
		for (unsigned i = 0; i < plan.n_segs; i++) {
			uint8_t *plain;
			size_t pl;
			bool replayed;

			if (!wf_keypair_open(rx, 0, slots[i], seg_len[i] + WF_DATA_OVERHEAD, &plain, &pl,
					     &replayed))
				return false;
		}
		t[3] = now_cycles();
		wf_gro_begin(&gro, true);
		for (unsigned i = 0; i < plan.n_segs; i++)
			(void)wf_gro_add(&gro, slots[i] + WF_DATA_HEADER_LEN, seg_len[i]);
		wf_gro_end(&gro);
		t[4] = now_cycles();
		if (gro.n_writes != 1)
			return false;
		for (int s = SPLIT; s <= COALESCE; s++)
			stages[s].cycles[r] += t[s + 1] - t[s];
		/* The AEAD alone: the whole payload in one call, then 16-byte
		 * calls for the cost every call pays whatever its size. */
		t[0] = now_cycles();
		if (!wf_aead_seal(aead, (uint64_t)b, big, 16, big + 16, len - 52))
			return false;
		t[1] = now_cycles();
		for (unsigned i = 0; i < plan.n_segs; i++)
			if (!wf_aead_seal(aead, (uint64_t)b * MAX_SEGS + i, big, 16, big + 16, 16))
				return false;
		t[2] = now_cycles();
		stages[AEAD_ONE].cycles[r] += t[1] - t[0];
		stages[AEAD_CALL].cycles[r] += t[2] - t[1];
	}
	return true;
}

static bool bench(enum wf_cipher c, unsigned mtu)
{
	uint8_t k1[WF_KEY_LEN], k2[WF_KEY_LEN];
	struct wf_keypair *tx, *rx;
	struct wf_aead *aead;
	struct wf_vnet_hdr h;
	uint16_t mss = (uint16_t)(mtu - 52);
	size_t plen = (65535 - 52) / mss * mss, len = make_super(super, plen, mss, &h);
	double bytes = (double)plen * BATCHES;
	unsigned segs = (unsigned)(plen / mss);
	uint64_t whole = 0;

	memset(k1, 1, sizeof(k1));
	memset(k2, 2, sizeof(k2));
	tx = wf_keypair_new(c, k1, k2, true, 1, 2, 0, 1);
	rx = wf_keypair_new(c, k1, k2, false, 2, 1, 0, 1);
	aead = wf_aead_new(c, k1);
	if (!tx || !rx || !aead)
		return false;
	for (int s = 0; s < N_STAGES; s++)
		memset(stages[s].cycles, 0, sizeof(stages[s].cycles));
	for (int r = 0; r < RUNS; r++)
		if (!run(r, tx, rx, aead, super, len, &h))
			return false;
	printf("\n%s, MTU %u: %u segments of %u bytes per 64 KiB super-packet\n", wf_cipher_name(c),
	       mtu, segs, mss);
	printf("  %-16s %12s\n", "stage", "cycles/byte");
	for (int s = SPLIT; s <= COALESCE; s++) {
		uint64_t m = median(stages[s].cycles);

		whole += m;
		printf("  %-16s %12.3f\n", stages[s].name, (double)m / bytes);
	}
	printf("  %-16s %12.3f\n", "whole path", (double)whole / bytes);
	printf("  %-16s %12.3f\n", stages[AEAD_ONE].name,
	       (double)median(stages[AEAD_ONE].cycles) / bytes);
	printf("  %-16s %12.0f cycles\n", stages[AEAD_CALL].name,
	       (double)median(stages[AEAD_CALL].cycles) / ((double)segs * BATCHES));
	wf_keypair_free(tx);
	wf_keypair_free(rx);
	wf_aead_free(aead);
	return true;
}

/* --- the firewall, per packet ---------------------------------------------- */

enum { FW_PACKETS = 100000, FW_RULES = 36 };

/* 36 inbound rules of the kinds a network writes, none of which the
 * benchmark's packet (web3 of group web, 100.64.3.7:40000 -> 100.64.0.1
 * port 8080) matches, and one outbound rule. */
static struct wf_fw_rules *fw_rules(struct wf_fw_names *names)
{
	struct wf_fw_spec s[FW_RULES + 1];
	char text[128], err[128];

	for (int i = 0; i < FW_RULES; i++) {
		int port = 100 + i;

		if (i % 4 == 0)
			snprintf(text, sizeof(text), "allow tcp %d from group admin", port);
		else if (i % 4 == 1)
			snprintf(text, sizeof(text), "drop udp %d from 100.64.%d.0/24", port, i);
		else if (i % 4 == 2)
			snprintf(text, sizeof(text), "allow tcp %d-%d from peer db%d to 100.64.0.1",
				 port, port + 1, i);
		else
			snprintf(text, sizeof(text), "drop tcp %d from fd00::/64", port);
		if (!wf_fw_rule_parse(WF_FW_IN, text, &s[i], err, sizeof(err)))
			return NULL;
	}
	if (!wf_fw_rule_parse(WF_FW_OUT, "drop tcp 25", &s[FW_RULES], err, sizeof(err)))
		return NULL;
	return wf_fw_rules_new(s, FW_RULES + 1, names, 1);
}

static size_t fw_packet(uint8_t *b, uint16_t sport)
{
	memset(b, 0, 40);
	b[0] = 0x45;
	put16(b + 2, 40);
	b[8] = 64;
	b[9] = IPPROTO_TCP;
	memcpy(b + 12, "\x64\x40\x03\x07\x64\x40\x00\x01", 8);
	put16(b + 20, sport);
	put16(b + 22, 8080);
	b[32] = 5 << 4;
	b[33] = 0x10;
	return 40;
}

enum { FW_PARSE, FW_NONE, FW_SCAN, FW_HIT, FW_NEW, FW_STAGES };

static const char *const fw_names[FW_STAGES] = {
	"read facts", "no rules", "36 rules, none match", "tracked flow", "new flow (36 rules)",
};

/* One run of FW_PACKETS through each stage, cycles per packet. */
static bool fw_run(uint64_t out[FW_STAGES], const struct wf_fw_rules *rs,
		   const struct wf_fw_rules *empty, struct wf_fw_flows *ft,
		   const struct wf_fw_ident *id)
{
	static uint8_t pkts[64][40];
	struct wf_fw_pkt p[64];
	volatile unsigned sink = 0;
	uint64_t t0;

	for (int i = 0; i < 64; i++)
		fw_packet(pkts[i], (uint16_t)(40000 + i));
	t0 = now_cycles();
	for (int i = 0; i < FW_PACKETS; i++)
		sink += wf_fw_pkt_parse(pkts[i & 63], 40, &p[i & 63]);
	out[FW_PARSE] = now_cycles() - t0;
	t0 = now_cycles();
	for (int i = 0; i < FW_PACKETS; i++)
		sink += wf_fw_filter(ft, empty, WF_FW_IN, id, &p[i & 63], 0, 0, NULL);
	out[FW_NONE] = now_cycles() - t0;
	t0 = now_cycles();
	for (int i = 0; i < FW_PACKETS; i++)
		sink += wf_fw_filter(NULL, rs, WF_FW_IN, id, &p[i & 63], 0, 0, NULL);
	out[FW_SCAN] = now_cycles() - t0;
	t0 = now_cycles();
	for (int i = 0; i < FW_PACKETS; i++) /* 64 flows, tracked after their first packet */
		sink += wf_fw_filter(ft, rs, WF_FW_IN, id, &p[i & 63], 0, 1 + i, NULL);
	out[FW_HIT] = now_cycles() - t0;
	t0 = now_cycles();
	for (int i = 0; i < FW_PACKETS; i++) { /* a new port each time: a new flow */
		put16(pkts[0] + 20, (uint16_t)i);
		sink += wf_fw_pkt_parse(pkts[0], 40, &p[0]);
		sink += wf_fw_filter(ft, rs, WF_FW_IN, id, &p[0], 0, FW_PACKETS + 1 + i, NULL);
	}
	out[FW_NEW] = now_cycles() - t0 - out[FW_PARSE]; /* without reading the facts */
	return sink != 0xdeadbeef;
}

static bool bench_firewall(void)
{
	struct wf_fw_names *names = wf_fw_names_new();
	struct wf_fw_rules *rs = names ? fw_rules(names) : NULL;
	struct wf_fw_rules *empty = wf_fw_rules_new(NULL, 0, names, 1);
	struct wf_fw_timeouts to;
	struct wf_fw_flows *ft;
	struct wf_fw_ident id;
	struct wf_cert peer = {.name = "web3", .n_groups = 1, .groups = {"web"}};
	uint64_t cyc[FW_STAGES][RUNS];

	wf_fw_timeouts_default(&to);
	ft = wf_fw_flows_new(16384, 0, 0x1234, &to);
	if (!rs || !empty || !ft)
		return false;
	wf_fw_ident_make(names, &peer, 1, &id);
	for (int r = 0; r < RUNS; r++) {
		uint64_t out[FW_STAGES];

		if (!fw_run(out, rs, empty, ft, &id))
			return false;
		for (int s = 0; s < FW_STAGES; s++)
			cyc[s][r] = out[s];
	}
	printf("\nfirewall, %d inbound rules (a table of %u flows)\n", FW_RULES,
	       wf_fw_flows_capacity(ft));
	printf("  %-24s %12s\n", "stage", "cycles/packet");
	for (int s = 0; s < FW_STAGES; s++)
		printf("  %-24s %12.1f\n", fw_names[s], (double)median(cyc[s]) / FW_PACKETS);
	wf_fw_flows_free(ft);
	wf_fw_rules_free(rs);
	wf_fw_rules_free(empty);
	wf_fw_names_free(names);
	return true;
}

int main(int argc, char **argv)
{
	unsigned mtu = argc > 1 ? (unsigned)atoi(argv[1]) : 1440;

	if (mtu < 576 || mtu > SLOT - 64) {
		fprintf(stderr, "usage: %s [MTU, 576 to %d]\n", argv[0], SLOT - 64);
		return 2;
	}
	wf_crypto_init();
	read_ghz();
#if defined(__x86_64__) || defined(__i386__)
	printf("weft packet path, cycles per byte of TCP payload (TSC)\n");
#else
	printf("weft packet path, cycles per byte of TCP payload (ns x %.2f GHz)\n", ghz);
#endif
	if (!bench(WF_CIPHER_AES256GCM, mtu) || !bench(WF_CIPHER_CHACHAPOLY, mtu) ||
	    !bench_firewall()) {
		fprintf(stderr, "micro: a stage failed\n");
		return 1;
	}
	return 0;
}
