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
		wf_gro_begin(&gro);
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
	if (!bench(WF_CIPHER_AES256GCM, mtu) || !bench(WF_CIPHER_CHACHAPOLY, mtu)) {
		fprintf(stderr, "micro: a stage failed\n");
		return 1;
	}
	return 0;
}
