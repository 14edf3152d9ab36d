/* SPDX-License-Identifier: MIT */
/*
 * The revocation list (src/core/revoke.c): numbered cases for the encoding,
 * the signature and every refusal, a randomized differential test of
 * wf_revoke_add / wf_revoke_has against a naive unsorted array; then the
 * list in chunks (REVOKED messages, all of one padded length) and their
 * reassembly per sender: bounded, a liar spoiling only its own, and a
 * randomized test of an honest sender among liars; then the notices that
 * tell a revoked host (never longer than its initiation) and what it makes
 * of them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/bytes.h"
#include "core/revoke.h"
#include "weft/wire.h"

static uint8_t ca_priv[WF_KEY_LEN];
static struct wf_cert ca;

static void make_ca(void)
{
	memset(&ca, 0, sizeof(ca));
	ca.type = WF_CERT_CA;
	snprintf(ca.network, sizeof(ca.network), "net");
	snprintf(ca.name, sizeof(ca.name), "net");
	assert_true(wf_ed25519_keygen(ca_priv, ca.pubkey));
}

static void make_list(struct wf_revoke *r, unsigned n)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->network, sizeof(r->network), "net");
	r->version = 7;
	r->issued = 1700000000;
	for (unsigned i = 0; i < n; i++)
		assert_true(wf_revoke_add(r, 1000 - 3 * (uint64_t)i));
	assert_true(wf_revoke_sign(r, ca_priv));
}

/* 1-4: round trip, the bytes, the signature. */
static void test_encoding(void **state)
{
	uint8_t buf[WF_REVOKE_MAX_ENCODED];
	struct wf_revoke r, d;
	size_t n;

	(void)state;
	make_ca();
	make_list(&r, 3);
	/* 1: serials kept ascending */
	assert_int_equal(r.n, 3);
	assert_true(r.serial[0] == 994 && r.serial[1] == 997 && r.serial[2] == 1000);
	/* 2: the layout of docs/protocol.md */
	n = wf_revoke_encode(&r, buf, sizeof(buf));
	assert_int_equal(n, 4 + 1 + 1 + 3 + 8 + 8 + 2 + 3 * 8 + 64);
	assert_memory_equal(buf, "WFRL\x01\x03net", 9);
	assert_int_equal(wf_get_le64(buf + 9), 7);
	assert_int_equal(wf_get_le64(buf + 17), 1700000000);
	assert_int_equal(wf_get_le16(buf + 25), 3);
	assert_int_equal(wf_get_le64(buf + 27), 994);
	/* 3: decodes to the same, and verifies */
	assert_int_equal(wf_revoke_decode(&d, buf, n), WF_CERT_OK);
	assert_memory_equal(&d.serial, &r.serial, sizeof(r.serial));
	assert_int_equal(d.version, 7);
	assert_int_equal(wf_revoke_verify(&d, &ca), WF_CERT_OK);
	/* 4: an empty list is a list (version 1, nothing revoked yet) */
	make_list(&r, 0);
	n = wf_revoke_encode(&r, buf, sizeof(buf));
	assert_int_equal(wf_revoke_decode(&d, buf, n), WF_CERT_OK);
	assert_int_equal(wf_revoke_verify(&d, &ca), WF_CERT_OK);
	assert_false(wf_revoke_has(&d, 0));
}

/* 5-9: what is refused. */
static void test_refused(void **state)
{
	uint8_t buf[WF_REVOKE_MAX_ENCODED], orig[WF_REVOKE_MAX_ENCODED];
	struct wf_revoke r, d;
	struct wf_cert other = ca;
	size_t n;

	(void)state;
	make_ca();
	make_list(&r, 4);
	n = wf_revoke_encode(&r, orig, sizeof(orig));
	/* 5: every byte flipped: refused by the decoder or the signature */
	for (size_t i = 0; i < n; i++) {
		memcpy(buf, orig, n);
		buf[i] ^= 0x01;
		if (wf_revoke_decode(&d, buf, n) == WF_CERT_OK)
			assert_int_not_equal(wf_revoke_verify(&d, &ca), WF_CERT_OK);
	}
	/* 6: every truncation, and a byte too many */
	for (size_t cut = 0; cut < n; cut++)
		assert_int_not_equal(wf_revoke_decode(&d, orig, cut), WF_CERT_OK);
	memcpy(buf, orig, n);
	buf[n] = 0;
	assert_int_equal(wf_revoke_decode(&d, buf, n + 1), WF_CERT_ERR_MALFORMED);
	/* 7: serials repeated (the decoder refuses before any signature check) */
	memcpy(buf, orig, n);
	wf_put_le64(buf + 27 + 8, 991); /* = the first */
	assert_int_equal(wf_revoke_decode(&d, buf, n), WF_CERT_ERR_MALFORMED);
	/* 22: a NUL inside the network's name (it would re-encode shorter;
	 * found by fuzz/fuzz_revoke) */
	memcpy(buf, orig, n);
	buf[7] = 0;
	assert_int_equal(wf_revoke_decode(&d, buf, n), WF_CERT_ERR_MALFORMED);
	/* 8: another CA's key; another network's name */
	assert_true(wf_ed25519_keygen(ca_priv, other.pubkey));
	assert_int_equal(wf_revoke_decode(&d, orig, n), WF_CERT_OK);
	assert_int_equal(wf_revoke_verify(&d, &other), WF_CERT_ERR_SIGNATURE);
	snprintf(other.network, sizeof(other.network), "elsewhere");
	assert_int_equal(wf_revoke_verify(&d, &other), WF_CERT_ERR_NETWORK);
	/* 9: version 0 and a list over the limit do not encode */
	make_ca();
	make_list(&r, 1);
	r.version = 0;
	assert_int_equal(wf_revoke_encode(&r, buf, sizeof(buf)), 0);
	make_list(&r, WF_REVOKE_MAX);
	assert_false(wf_revoke_add(&r, 5));
	assert_true(wf_revoke_add(&r, r.serial[3])); /* already there: fine */
	assert_int_not_equal(wf_revoke_encode(&r, buf, sizeof(buf)), 0);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* 10: add/has against a naive array of what was added. */
static void test_differential(void **state)
{
	(void)state;
	for (int run = 0; run < 100; run++) {
		uint64_t naive[WF_REVOKE_MAX];
		unsigned n = 0;
		struct wf_revoke r = {0};

		for (int step = 0; step < 300; step++) {
			uint64_t s = rnd() % 200, probe = rnd() % 200;
			bool there = false, want = false;

			for (unsigned i = 0; i < n; i++)
				there |= naive[i] == s;
			if (!there && n == WF_REVOKE_MAX)
				assert_false(wf_revoke_add(&r, s));
			else
				assert_true(wf_revoke_add(&r, s));
			if (!there && n < WF_REVOKE_MAX)
				naive[n++] = s;
			for (unsigned i = 0; i < n; i++)
				want |= naive[i] == probe;
			assert_int_equal(wf_revoke_has(&r, probe), want);
			assert_int_equal(r.n, n);
		}
		for (unsigned i = 1; i < r.n; i++)
			assert_true(r.serial[i - 1] < r.serial[i]);
	}
}


/* --- chunks ------------------------------------------------------------------ */

static const uint8_t honest[WF_KEY_LEN] = {1}, liar[3][WF_KEY_LEN] = {{2}, {3}, {4}};

/* A list of n serials, version 9, for network "net" (or, longest, a
 * 63-byte name nobody's CA has). */
static size_t big_list(struct wf_revoke *r, uint8_t *enc, unsigned n, bool longest)
{
	memset(r, 0, sizeof(*r));
	if (longest)
		memset(r->network, 'n', WF_CERT_NAME_MAX);
	else
		snprintf(r->network, sizeof(r->network), "net");
	r->version = 9;
	for (unsigned i = 0; i < n; i++)
		r->serial[r->n++] = 5 + 7 * (uint64_t)i;
	assert_true(wf_revoke_sign(r, ca_priv));
	return wf_revoke_encode(r, enc, WF_REVOKE_MAX_ENCODED);
}

static struct wf_revoke_chunk chunk(const uint8_t *enc, size_t len, uint64_t v, unsigned i,
				    uint8_t *msg)
{
	struct wf_revoke_chunk c = wf_revoke_chunk_at(enc, len, v, i), d;

	wf_revoke_chunk_encode(&c, msg);
	assert_true(wf_revoke_chunk_decode(&d, msg, WF_REVOKE_CHUNK_LEN));
	return d;
}

/* 11-13: the chunks of a list, byte by byte, and all of one length. */
static void test_chunks(void **state)
{
	static uint8_t enc[WF_REVOKE_MAX_ENCODED], msg[WF_REVOKE_CHUNK_LEN];
	static struct wf_revoke r;
	size_t len;

	(void)state;
	make_ca();
	/* 11: how many chunks a list takes: 28 for the largest */
	assert_int_equal(WF_REVOKE_CHUNK_DATA, 1185);
	assert_int_equal(WF_REVOKE_CHUNKS_MAX, 28);
	assert_int_equal(wf_revoke_chunk_count(0), 0);
	assert_int_equal(wf_revoke_chunk_count(1), 1);
	assert_int_equal(wf_revoke_chunk_count(WF_REVOKE_CHUNK_DATA), 1);
	assert_int_equal(wf_revoke_chunk_count(WF_REVOKE_CHUNK_DATA + 1), 2);
	assert_int_equal(wf_revoke_chunk_count(WF_REVOKE_MAX_ENCODED), WF_REVOKE_CHUNKS_MAX);
	assert_int_equal(wf_revoke_chunk_count(WF_REVOKE_MAX_ENCODED + 1), 0);
	len = big_list(&r, enc, WF_REVOKE_MAX, true);
	assert_int_equal(len, WF_REVOKE_MAX_ENCODED);
	/* 12: the layout of docs/protocol.md, the last chunk short and padded */
	for (unsigned i = 0; i < WF_REVOKE_CHUNKS_MAX; i++) {
		struct wf_revoke_chunk c = chunk(enc, len, 9, i, msg);
		size_t want = i + 1 < WF_REVOKE_CHUNKS_MAX ? WF_REVOKE_CHUNK_DATA
							   : len - 27 * WF_REVOKE_CHUNK_DATA;

		assert_int_equal(msg[0], 0x0a);
		assert_int_equal(wf_get_le64(msg + 1), 9);
		assert_int_equal(wf_get_le16(msg + 9), i);
		assert_int_equal(wf_get_le16(msg + 11), 28);
		assert_int_equal(wf_get_le16(msg + 13), want);
		assert_int_equal(c.len, want);
		assert_memory_equal(msg + 15, enc + i * WF_REVOKE_CHUNK_DATA, want);
		for (size_t k = 15 + want; k < WF_REVOKE_CHUNK_LEN; k++)
			assert_int_equal(msg[k], 0);
	}
	/* 13: a list of one serial is one chunk, exactly as long */
	make_list(&r, 1);
	len = wf_revoke_encode(&r, enc, sizeof(enc));
	assert_int_equal(wf_revoke_chunk_count(len), 1);
	assert_int_equal(chunk(enc, len, 7, 0, msg).len, len);
	assert_int_equal(WF_REVOKE_CHUNK_LEN, 1200);
}

/* 14: what the chunk decoder refuses. */
static void test_chunk_refused(void **state)
{
	static uint8_t enc[WF_REVOKE_MAX_ENCODED], good[2][WF_REVOKE_CHUNK_LEN + 1],
	    msg[WF_REVOKE_CHUNK_LEN + 1];
	static struct wf_revoke r;
	struct wf_revoke_chunk c;
	size_t len, last;
	struct {
		unsigned chunk, at, width;
		uint64_t value;
	} bad[] = {
	    {0, 0, 1, 9},                          /* another kind */
	    {0, 1, 8, 0},                          /* version 0 */
	    {0, 11, 2, 0},                         /* count 0 */
	    {0, 11, 2, WF_REVOKE_CHUNKS_MAX + 1},  /* too many */
	    {1, 9, 2, 2},                          /* index = count */
	    {1, 13, 2, 0},                         /* no bytes */
	    {1, 13, 2, WF_REVOKE_CHUNK_DATA + 1},  /* more than fit */
	    {0, 13, 2, WF_REVOKE_CHUNK_DATA - 1},  /* a short chunk that is not the last */
	    {1, 600, 1, 1},                        /* padding that is not zero */
	    {1, WF_REVOKE_CHUNK_LEN - 1, 1, 0x80}, /* ... at the very end */
	};

	(void)state;
	make_ca();
	len = big_list(&r, enc, 200, false); /* two chunks, the second 506 bytes */
	last = len - WF_REVOKE_CHUNK_DATA;
	assert_int_equal(wf_revoke_chunk_count(len), 2);
	assert_true(15 + last < 600);
	chunk(enc, len, 9, 0, good[0]);
	chunk(enc, len, 9, 1, good[1]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(msg, good[bad[i].chunk], sizeof(msg));
		if (bad[i].width == 1)
			msg[bad[i].at] = (uint8_t)bad[i].value;
		else if (bad[i].width == 2)
			wf_put_le16(msg + bad[i].at, (uint16_t)bad[i].value);
		else
			wf_put_le64(msg + bad[i].at, bad[i].value);
		assert_false(wf_revoke_chunk_decode(&c, msg, WF_REVOKE_CHUNK_LEN));
	}
	/* one byte short or long */
	assert_false(wf_revoke_chunk_decode(&c, good[1], WF_REVOKE_CHUNK_LEN - 1));
	assert_false(wf_revoke_chunk_decode(&c, good[1], WF_REVOKE_CHUNK_LEN + 1));
	/* a last chunk that would make the list longer than any list */
	memcpy(msg, good[0], sizeof(msg));
	wf_put_le16(msg + 9, WF_REVOKE_CHUNKS_MAX - 1);
	wf_put_le16(msg + 11, WF_REVOKE_CHUNKS_MAX);
	assert_false(wf_revoke_chunk_decode(&c, msg, WF_REVOKE_CHUNK_LEN));
	last = WF_REVOKE_MAX_ENCODED - (WF_REVOKE_CHUNKS_MAX - 1) * WF_REVOKE_CHUNK_DATA;
	wf_put_le16(msg + 13, (uint16_t)last);
	memset(msg + 15 + last, 0, WF_REVOKE_CHUNK_LEN - 15 - last);
	assert_true(wf_revoke_chunk_decode(&c, msg, WF_REVOKE_CHUNK_LEN)); /* (as long as any) */
	assert_true(wf_revoke_chunk_decode(&c, good[0], WF_REVOKE_CHUNK_LEN));
	assert_true(wf_revoke_chunk_decode(&c, good[1], WF_REVOKE_CHUNK_LEN));
}

/* Feed chunk i of enc from `from`. */
static enum wf_revoke_asm_res feed(struct wf_revoke_asms *s, const uint8_t *from,
				   const uint8_t *enc, size_t len, uint64_t v, unsigned i,
				   int64_t now, struct wf_revoke *out)
{
	uint8_t msg[WF_REVOKE_CHUNK_LEN];
	struct wf_revoke_chunk c = chunk(enc, len, v, i, msg);

	return wf_revoke_asm_add(s, from, &c, now, out);
}

/* 15-17: put together in any order, copies ignored; a liar spoils only
 * its own; a sender that changes its story loses its assembly. */
static void test_assembly(void **state)
{
	static uint8_t enc[WF_REVOKE_MAX_ENCODED], lie[WF_REVOKE_MAX_ENCODED];
	static struct wf_revoke r, out;
	struct wf_revoke_asms s = {0};
	unsigned order[] = {3, 0, 3, 4, 1, 0, 2};
	size_t len;

	(void)state;
	make_ca();
	len = big_list(&r, enc, 700, false); /* 5 chunks */
	assert_int_equal(wf_revoke_chunk_count(len), 5);
	memcpy(lie, enc, len);
	lie[len - 1] ^= 0x40; /* the signature */
	/* 15: out of order, with copies; done once, the list itself */
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(feed(&s, honest, enc, len, 9, order[i], 0, &out), WF_RA_KEPT);
	assert_int_equal(wf_revoke_asm_busy(&s), 1);
	assert_int_equal(feed(&s, honest, enc, len, 9, order[6], 0, &out), WF_RA_DONE);
	assert_int_equal(wf_revoke_asm_busy(&s), 0);
	assert_int_equal(out.n, 700);
	assert_memory_equal(out.serial, r.serial, sizeof(r.serial));
	assert_int_equal(wf_revoke_verify(&out, &ca), WF_CERT_OK);
	/* 16: a liar's chunks, same version, interleaved: the honest list is
	 * intact; the liar's own decodes, and its signature does not verify */
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(feed(&s, liar[0], lie, len, 9, i, 10, &out),
				 i < 4 ? WF_RA_KEPT : WF_RA_DONE);
		if (i < 4)
			assert_int_equal(feed(&s, honest, enc, len, 9, i, 10, &out), WF_RA_KEPT);
	}
	assert_int_equal(wf_revoke_verify(&out, &ca), WF_CERT_ERR_SIGNATURE);
	assert_int_equal(feed(&s, honest, enc, len, 9, 4, 10, &out), WF_RA_DONE);
	assert_int_equal(wf_revoke_verify(&out, &ca), WF_CERT_OK);
	/* 17: another count for the same version drops that sender's chunks;
	 * an older version than its own is ignored; a newer one starts over */
	assert_int_equal(feed(&s, liar[0], enc, len, 9, 0, 20, &out), WF_RA_KEPT);
	assert_int_equal(feed(&s, liar[0], enc, WF_REVOKE_CHUNK_DATA * 2, 9, 0, 20, &out),
			 WF_RA_REFUSED);
	assert_int_equal(wf_revoke_asm_busy(&s), 0);
	assert_int_equal(feed(&s, liar[0], enc, len, 9, 0, 20, &out), WF_RA_KEPT);
	assert_int_equal(feed(&s, liar[0], enc, len, 8, 1, 20, &out), WF_RA_OLD);
	assert_int_equal(feed(&s, liar[0], enc, len, 10, 1, 30, &out), WF_RA_KEPT);
	assert_int_equal(s.a[0].version, 10);
	assert_int_equal(s.a[0].started_ms, 20); /* its age kept */
	assert_int_equal(s.a[0].got, 1);
	wf_revoke_asm_free(&s);
	assert_int_equal(wf_revoke_asm_busy(&s), 0);
}

/* 18-20: bounded in number and in time. */
static void test_assembly_bounds(void **state)
{
	static uint8_t enc[WF_REVOKE_MAX_ENCODED];
	static struct wf_revoke r, out;
	struct wf_revoke_asms s = {0};
	uint8_t key[WF_KEY_LEN] = {0};
	size_t len;

	(void)state;
	make_ca();
	len = big_list(&r, enc, 300, false);
	/* 18: four senders at once; a fifth is turned away while they are fresh */
	for (uint8_t k = 0; k < WF_REVOKE_ASM_MAX; k++) {
		key[0] = (uint8_t)(0x10 + k);
		assert_int_equal(feed(&s, key, enc, len, 9, 0, 100 * k, &out), WF_RA_KEPT);
	}
	assert_int_equal(WF_REVOKE_ASM_MAX, 4);
	assert_int_equal(feed(&s, honest, enc, len, 9, 0, 999, &out), WF_RA_BUSY);
	/* 19: ... and takes the oldest's place once it has had its chance */
	assert_int_equal(feed(&s, honest, enc, len, 9, 0, 1000, &out), WF_RA_KEPT);
	key[0] = 0x10;
	assert_int_equal(feed(&s, key, enc, len, 9, 1, 1000, &out), WF_RA_BUSY);
	assert_int_equal(wf_revoke_asm_busy(&s), 4);
	/* 20: what is not complete after WF_REVOKE_ASM_MS is dropped, and so
	 * is what is no newer than the list held */
	wf_revoke_asm_expire(&s, 200 + WF_REVOKE_ASM_MS, 0); /* those from 100 and 200 */
	assert_int_equal(wf_revoke_asm_busy(&s), 2);
	wf_revoke_asm_expire(&s, 200 + WF_REVOKE_ASM_MS, 9);
	assert_int_equal(wf_revoke_asm_busy(&s), 0);
	wf_revoke_asm_free(&s);
}

/* 21: any interleaving of an honest sender's chunks (with copies) among
 * those of three liars, which lie about everything a chunk says, gives
 * the honest list, verified, exactly once. */
static void test_assembly_random(void **state)
{
	static uint8_t enc[WF_REVOKE_MAX_ENCODED], msg[WF_REVOKE_CHUNK_LEN];
	static struct wf_revoke r, out;

	(void)state;
	make_ca();
	for (int run = 0; run < 200; run++) {
		struct wf_revoke_asms s = {0};
		size_t len = big_list(&r, enc, 1 + (unsigned)(rnd() % WF_REVOKE_MAX), false);
		unsigned n = wf_revoke_chunk_count(len), done = 0;
		bool sent[WF_REVOKE_CHUNKS_MAX] = {0};
		int64_t now = 0;

		while (!done) {
			unsigned i = (unsigned)(rnd() % n), who = (unsigned)(rnd() % 4);
			struct wf_revoke_chunk c;

			now += (int64_t)(rnd() % 3);
			if (who == 3) {
				enum wf_revoke_asm_res res =
				    feed(&s, honest, enc, len, 9, i, now, &out);

				assert_true(res == WF_RA_KEPT || res == WF_RA_DONE);
				sent[i] = true;
				if (res == WF_RA_DONE) {
					for (unsigned k = 0; k < n; k++)
						assert_true(sent[k]);
					assert_int_equal(wf_revoke_verify(&out, &ca), WF_CERT_OK);
					assert_int_equal(out.n, r.n);
					done++;
				}
				continue;
			}
			c = wf_revoke_chunk_at(enc, len, 9, i);
			c.version = 8 + rnd() % 3;
			c.count = (uint16_t)(1 + rnd() % WF_REVOKE_CHUNKS_MAX);
			c.index = (uint16_t)(rnd() % c.count);
			c.len = c.index + 1 < c.count
				    ? WF_REVOKE_CHUNK_DATA
				    : (uint16_t)(1 + rnd() % WF_REVOKE_CHUNK_DATA);
			c.data = enc + rnd() % (WF_REVOKE_MAX_ENCODED - c.len); /* anything */
			wf_revoke_chunk_encode(&c, msg);
			if (wf_revoke_chunk_decode(&c, msg, sizeof(msg)) &&
			    wf_revoke_asm_add(&s, liar[who], &c, now, &out) == WF_RA_DONE)
				assert_int_not_equal(wf_revoke_verify(&out, &ca), WF_CERT_OK);
			assert_true(wf_revoke_asm_busy(&s) <= WF_REVOKE_ASM_MAX);
		}
		wf_revoke_asm_free(&s);
	}
}

/* --- notices: the list told to a host it names ------------------------------- */

/* 22-23: every notice, whatever the list and the initiation's length, is
 * no longer than that initiation (the amplification bound); none when it
 * leaves no room; and the pieces of successive turns cover the list once,
 * then come round again. */
static void test_notice_size(void **state)
{
	static uint8_t enc[WF_REVOKE_MAX_ENCODED], msg[70000];
	static struct wf_revoke r;
	static const unsigned serials[] = {0, 1, 201, WF_REVOKE_MAX};
	static const size_t caps[] = {0, 1, WF_REVOKE_NOTICE_HEAD, WF_REVOKE_NOTICE_HEAD + 1, 100,
				      1200, 1201, 1472, 9000, 65535 + WF_REVOKE_NOTICE_HEAD + 9};

	(void)state;
	make_ca();
	for (unsigned s = 0; s < sizeof(serials) / sizeof(serials[0]); s++) {
		size_t len = big_list(&r, enc, serials[s], s == 3);

		for (unsigned c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
			size_t piece = caps[c] - WF_REVOKE_NOTICE_HEAD, covered = 0;
			unsigned count;

			if (caps[c] <= WF_REVOKE_NOTICE_HEAD) {
				/* 22: no room, no notice */
				assert_int_equal(wf_revoke_notice_encode(msg, caps[c], 1, 9, enc, len, 0), 0);
				continue;
			}
			piece = piece > UINT16_MAX ? UINT16_MAX : piece;
			count = (unsigned)((len + piece - 1) / piece);
			for (unsigned t = 0; t < 2 * count; t++) {
				struct wf_revoke_notice n;
				size_t m = wf_revoke_notice_encode(msg, caps[c], 0xabcd, 9, enc, len, t);

				/* 22: never longer than the initiation */
				if (!m || m > caps[c])
					fail_msg("22: %u serials, cap %zu, turn %u: %zu bytes", serials[s],
						 caps[c], t, m);
				/* 23: decodes to piece t mod count, in order */
				assert_true(wf_revoke_notice_decode(&n, msg, m));
				assert_int_equal(n.receiver, 0xabcd);
				assert_int_equal(n.total, len);
				assert_int_equal(n.offset, (t % count) * piece);
				assert_memory_equal(n.data, enc + n.offset, n.len);
				covered += t < count ? n.len : 0;
			}
			assert_int_equal(covered, len);
		}
	}
}

/* 24: what the notice decoder refuses: each field wrong in turn. */
static void test_notice_refused(void **state)
{
	static uint8_t enc[WF_REVOKE_MAX_ENCODED];
	static struct wf_revoke r;
	uint8_t msg[200], bad[200];
	struct wf_revoke_notice n;
	size_t len, m;

	(void)state;
	make_ca();
	len = big_list(&r, enc, 40, false);
	m = wf_revoke_notice_encode(msg, sizeof(msg), 1, 9, enc, len, 1);
	assert_true(wf_revoke_notice_decode(&n, msg, m));
	for (int k = 0; k < 9; k++) {
		memcpy(bad, msg, m);
		switch (k) {
		case 0: bad[0] = WF_MSG_COOKIE; break;
		case 1: bad[1]++; break;
		case 2: bad[3] = 1; break;
		case 3: memset(bad + 8, 0, 8); break;                          /* version 0 */
		case 4: wf_put_le32(bad + 16, WF_REVOKE_MAX_ENCODED + 1); break; /* too long a list */
		case 5: wf_put_le32(bad + 20, (uint32_t)len); break;           /* past its end */
		case 6: wf_put_le32(bad + 20, (uint32_t)len - 10); break;      /* runs past it */
		case 7: wf_put_le32(bad + 16, 0); break;                       /* an empty list */
		case 8: m = WF_REVOKE_NOTICE_HEAD; break;                      /* no bytes */
		}
		if (wf_revoke_notice_decode(&n, bad, m))
			fail_msg("24: case %d decoded", k);
	}
}

/* 25-26: pieces from initiations of different lengths, in any order, with
 * copies, make the list; a liar's bytes under the same version make one
 * that does not verify (or does not decode), and the assembly starts anew. */
static void test_pieces(void **state)
{
	static uint8_t enc[WF_REVOKE_MAX_ENCODED], msg[2000];
	static struct wf_revoke r, out;
	static struct wf_revoke_pieces p;
	struct wf_revoke_notice n;
	enum wf_revoke_asm_res res = WF_RA_KEPT;
	size_t len, m;
	unsigned t;

	(void)state;
	make_ca();
	len = big_list(&r, enc, 201, false);
	wf_revoke_pieces_reset(&p);
	/* 25 */
	for (t = 0; t < 100 && res == WF_RA_KEPT; t++) {
		m = wf_revoke_notice_encode(msg, 300 + (t * 7919) % 1200, 1, 9, enc, len, t * 3);
		assert_true(wf_revoke_notice_decode(&n, msg, m));
		res = wf_revoke_pieces_add(&p, &n, &out);
	}
	assert_int_equal(res, WF_RA_DONE);
	assert_int_equal(out.n, 201);
	assert_int_equal(wf_revoke_verify(&out, &ca), WF_CERT_OK);
	assert_int_equal(p.got, 0);
	/* 26: the same with one liar's piece (one byte changed) in the middle */
	res = WF_RA_KEPT;
	for (t = 0; t < 100 && res == WF_RA_KEPT; t++) {
		m = wf_revoke_notice_encode(msg, 600, 1, 9, enc, len, t);
		if (t == 2)
			msg[WF_REVOKE_NOTICE_HEAD + 5] ^= 0x40;
		assert_true(wf_revoke_notice_decode(&n, msg, m));
		res = wf_revoke_pieces_add(&p, &n, &out);
	}
	if (res == WF_RA_DONE)
		assert_int_not_equal(wf_revoke_verify(&out, &ca), WF_CERT_OK);
	else
		assert_int_equal(res, WF_RA_REFUSED);
	assert_int_equal(p.got, 0);
}

/* 27-31: what a host makes of a list it is told, holding version `held` and
 * a certificate of serial `own`: 27, a list signed by another key is not
 * believed, nor 28, the CA's for another network; 29, an old list (a
 * replay), even one that names it, is no news; 30, the CA's newer list
 * naming it: revoked; 31, a newer one that names its old certificate only
 * (renewed since): not revoked. */
static void test_told(void **state)
{
	static const struct {
		int num;
		bool other_key, other_net;
		uint64_t version, held, own;
		enum wf_revoke_told want;
	} rows[] = {
	    {27, true, false, 8, 1, 997, WF_TOLD_FORGED},
	    {28, false, true, 8, 1, 997, WF_TOLD_FORGED},
	    {29, false, false, 8, 8, 997, WF_TOLD_OLD},
	    {29, false, false, 3, 8, 997, WF_TOLD_OLD},
	    {30, false, false, 8, 0, 997, WF_TOLD_SELF},
	    {30, false, false, 8, 7, 1000, WF_TOLD_SELF},
	    {31, false, false, 8, 7, 998, WF_TOLD_NEWER},
	};
	uint8_t other_priv[WF_KEY_LEN], other_pub[WF_KEY_LEN];

	(void)state;
	make_ca();
	assert_true(wf_ed25519_keygen(other_priv, other_pub));
	for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		static struct wf_revoke r;
		enum wf_revoke_told got;

		make_list(&r, 3); /* 994, 997, 1000 */
		r.version = rows[i].version;
		if (rows[i].other_net)
			snprintf(r.network, sizeof(r.network), "elsewhere");
		assert_true(wf_revoke_sign(&r, rows[i].other_key ? other_priv : ca_priv));
		got = wf_revoke_told_judge(&r, &ca, rows[i].held, rows[i].own);
		if (got != rows[i].want)
			fail_msg("%d (row %u): %d, want %d", rows[i].num, i, got, rows[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encoding),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_differential),
	    cmocka_unit_test(test_chunks),
	    cmocka_unit_test(test_chunk_refused),
	    cmocka_unit_test(test_assembly),
	    cmocka_unit_test(test_assembly_bounds),
	    cmocka_unit_test(test_assembly_random),
	    cmocka_unit_test(test_notice_size),
	    cmocka_unit_test(test_notice_refused),
	    cmocka_unit_test(test_pieces),
	    cmocka_unit_test(test_told),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
