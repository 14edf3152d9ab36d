/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the revocation list's codecs and its reassembly
 * (src/core/revoke.c).
 *
 * The first input byte chooses:
 *   0: the rest is a REVOKED message: if the chunk decoder takes it, it must
 *      re-encode to exactly those bytes (one spelling: zero padding);
 *   1: the rest is an encoded list: if the list decoder takes it, it must
 *      re-encode to exactly those bytes;
 *   2 and up: the rest is a script of 4-byte steps fed to one reassembly:
 *      `who dt a b`. who % 4 == 3 is the honest member, which sends chunk
 *      a % n of a real list (version 9, signed by the CA); the others are
 *      three liars, each sending a chunk whose version (8-10), count, index,
 *      length and bytes come from a and b. Time moves by dt x 16 ms.
 * After every step: at most WF_REVOKE_ASM_MAX assemblies; a list that
 * comes out whole and verifies is the real one. At the end, a second past
 * the last step, the honest member sends its whole list once more: it must
 * come out whole, whatever the liars did.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/revoke.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t buf[WF_REVOKE_MAX_ENCODED], real[WF_REVOKE_MAX_ENCODED], junk[WF_REVOKE_CHUNK_DATA];
static size_t real_len;
static struct wf_cert ca;
static struct wf_revoke list;
static const uint8_t honest[WF_KEY_LEN] = {1}, liars[3][WF_KEY_LEN] = {{2}, {3}, {4}};

/* The CA (a fixed key) and the real list: 300 serials, 3 chunks. */
static void init(void)
{
	uint8_t priv[WF_KEY_LEN];

	memset(priv, 0xca, sizeof(priv));
	snprintf(ca.network, sizeof(ca.network), "fuzz");
	snprintf(list.network, sizeof(list.network), "fuzz");
	list.version = 9;
	for (unsigned i = 0; i < 300; i++)
		list.serial[list.n++] = 11 + 13 * (uint64_t)i;
	if (!wf_ed25519_public(ca.pubkey, priv) || !wf_revoke_sign(&list, priv))
		abort();
	real_len = wf_revoke_encode(&list, real, sizeof(real));
	if (wf_revoke_chunk_count(real_len) != 3)
		abort();
}

static void fuzz_chunk(const uint8_t *in, size_t len)
{
	uint8_t out[WF_REVOKE_CHUNK_LEN];
	struct wf_revoke_chunk c;

	if (!wf_revoke_chunk_decode(&c, in, len))
		return;
	if (c.data != in + WF_REVOKE_CHUNK_HEAD || !c.len || c.len > WF_REVOKE_CHUNK_DATA)
		abort();
	wf_revoke_chunk_encode(&c, out);
	if (len != sizeof(out) || memcmp(out, in, len))
		abort();
}

static void fuzz_list(const uint8_t *in, size_t len)
{
	static struct wf_revoke r;
	size_t n;

	if (wf_revoke_decode(&r, in, len) != WF_CERT_OK)
		return;
	n = wf_revoke_encode(&r, buf, sizeof(buf));
	if (n != len || memcmp(buf, in, len))
		abort();
	(void)wf_revoke_verify(&r, &ca);
}

/* A list that came out whole: if it verifies, it is the real one. */
static void check_done(const struct wf_revoke *out)
{
	size_t n;

	if (wf_revoke_verify(out, &ca) != WF_CERT_OK)
		return;
	n = wf_revoke_encode(out, buf, sizeof(buf));
	if (n != real_len || memcmp(buf, real, n))
		abort();
}

static enum wf_revoke_asm_res add(struct wf_revoke_asms *s, const uint8_t *from,
				  const struct wf_revoke_chunk *c, int64_t now)
{
	static struct wf_revoke out;
	uint8_t msg[WF_REVOKE_CHUNK_LEN];
	struct wf_revoke_chunk d;
	enum wf_revoke_asm_res res;

	/* Through the wire format, as the daemon takes it. */
	wf_revoke_chunk_encode(c, msg);
	if (!wf_revoke_chunk_decode(&d, msg, sizeof(msg)))
		return WF_RA_REFUSED;
	res = wf_revoke_asm_add(s, from, &d, now, &out);
	if (res == WF_RA_DONE)
		check_done(&out);
	if (wf_revoke_asm_busy(s) > WF_REVOKE_ASM_MAX)
		abort();
	return res;
}

/* A liar's chunk: anything a chunk can say. */
static struct wf_revoke_chunk lie(uint8_t a, uint8_t b)
{
	struct wf_revoke_chunk c;

	c.version = 8 + a % 3;
	c.count = (uint16_t)(1 + b % WF_REVOKE_CHUNKS_MAX);
	c.index = (uint16_t)((a >> 2) % c.count);
	c.len = c.index + 1 < c.count ? WF_REVOKE_CHUNK_DATA : (uint16_t)(1 + (a ^ b) * 5 % 924);
	/* bytes of the real list, from anywhere in it (or past its end), or junk */
	c.data = b & 1 ? real + (size_t)b * 7 % real_len : junk;
	return c;
}

static void fuzz_assembly(const uint8_t *in, size_t len)
{
	struct wf_revoke_asms s = {0};
	unsigned n = wf_revoke_chunk_count(real_len);
	int64_t now = 0;
	bool done = false;

	memset(junk, 0x5a, sizeof(junk));
	for (size_t k = 0; k + 4 <= len; k += 4) {
		unsigned who = in[k] % 4;
		struct wf_revoke_chunk c;

		now += in[k + 1] * 16;
		if (who == 3) {
			c = wf_revoke_chunk_at(real, real_len, 9, in[k + 2] % n);
			(void)add(&s, honest, &c, now);
		} else {
			c = lie(in[k + 2], in[k + 3]);
			(void)add(&s, liars[who], &c, now);
		}
	}
	now += WF_REVOKE_ASM_FRESH_MS;
	for (unsigned i = 0; i < n; i++) {
		struct wf_revoke_chunk c = wf_revoke_chunk_at(real, real_len, 9, i);
		enum wf_revoke_asm_res res = add(&s, honest, &c, now);

		if (res == WF_RA_DONE)
			done = true;
		else if (res != WF_RA_KEPT)
			abort(); /* the honest member turned away, or refused */
	}
	if (!done)
		abort();
	wf_revoke_asm_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;

	if (!ready) {
		init();
		ready = true;
	}
	if (!size)
		return 0;
	if (data[0] == 0)
		fuzz_chunk(data + 1, size - 1);
	else if (data[0] == 1)
		fuzz_list(data + 1, size - 1);
	else
		fuzz_assembly(data + 1, size - 1);
	return 0;
}
