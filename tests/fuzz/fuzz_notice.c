/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for revocation notices (src/core/revoke_notice.c): the
 * list told to a host it names, in pieces no longer than its initiation.
 *
 * The first input byte chooses:
 *   0: the rest is a notice: if the decoder takes it, its piece lies within
 *      the list's length and the message, and an assembly takes it without
 *      harm;
 *   1: the rest gives a cap (2 bytes) and a turn (8): the notice of the
 *      real list is never longer than the cap, and decodes to its piece;
 *   2 and up: the rest is a script of 4-byte steps `who cap a b`: who % 4 ==
 *      3 sends the honest piece (turn a) of the real list (version 9,
 *      signed by the CA) in a notice of at most 40 + cap x 8 bytes; the
 *      others send a liar's notice (version 8-10, total, offset, bytes from
 *      a and b). Whatever comes out whole and verifies is the real list.
 *      At the end the honest sender sends the whole list twice over: the
 *      real list must come out.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "core/revoke.h"
#include "weft/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t real[WF_REVOKE_MAX_ENCODED];
static size_t real_len;
static struct wf_cert ca;
static struct wf_revoke list, out;
static struct wf_revoke_pieces pieces;

/* The CA (a fixed key) and the real list: 300 serials, 2.5 kB. */
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
}

/* Feed n; a whole list that verifies must be the real one. True if so. */
static bool feed(const struct wf_revoke_notice *n)
{
	if (wf_revoke_pieces_add(&pieces, n, &out) != WF_RA_DONE ||
	    wf_revoke_verify(&out, &ca) != WF_CERT_OK)
		return false;
	if (out.version != 9 || out.n != 300 || memcmp(out.serial, list.serial, 300 * 8))
		abort();
	return true;
}

static void fuzz_decode(const uint8_t *in, size_t len)
{
	struct wf_revoke_notice n;

	if (!wf_revoke_notice_decode(&n, in, len))
		return;
	if (!n.version || !n.len || n.total > WF_REVOKE_MAX_ENCODED ||
	    (uint64_t)n.offset + n.len > n.total || n.data != in + WF_REVOKE_NOTICE_HEAD ||
	    WF_REVOKE_NOTICE_HEAD + (size_t)n.len != len)
		abort();
	(void)feed(&n);
}

static void fuzz_encode(const uint8_t *in, size_t len)
{
	static uint8_t msg[70000];
	struct wf_revoke_notice n;
	size_t cap, m;

	if (len < 10)
		return;
	cap = wf_get_le16(in);
	m = wf_revoke_notice_encode(msg, cap, 7, 9, real, real_len, wf_get_le64(in + 2));
	if (m > cap || (m && !wf_revoke_notice_decode(&n, msg, m)) ||
	    (!m && cap > WF_REVOKE_NOTICE_HEAD))
		abort();
	if (m && (n.total != real_len || memcmp(n.data, real + n.offset, n.len)))
		abort();
}

static void liar(uint8_t a, uint8_t b, uint8_t *msg, size_t *len)
{
	size_t total = a & 1 ? real_len : 1 + (size_t)b * 13, off = (size_t)(a >> 1) * 17 % total;
	size_t n = 1 + (size_t)b % 300;

	if (n > total - off)
		n = total - off;
	msg[0] = WF_MSG_REVOKED;
	msg[1] = WF_PROTO_VERSION;
	msg[2] = msg[3] = 0;
	wf_put_le32(msg + 4, 7);
	wf_put_le64(msg + 8, 8 + a % 3);
	wf_put_le32(msg + 16, (uint32_t)total);
	wf_put_le32(msg + 20, (uint32_t)off);
	memset(msg + WF_REVOKE_NOTICE_HEAD, b, n);
	*len = WF_REVOKE_NOTICE_HEAD + n;
}

static void fuzz_script(const uint8_t *in, size_t len)
{
	static uint8_t msg[4096];
	struct wf_revoke_notice n;
	bool whole = false;
	size_t m;

	for (size_t i = 0; i + 4 <= len; i += 4) {
		if (in[i] % 4 == 3)
			m = wf_revoke_notice_encode(msg, 40 + (size_t)in[i + 1] * 8, 7, 9, real, real_len,
						    in[i + 2]);
		else
			liar(in[i + 2], in[i + 3], msg, &m);
		if (m && wf_revoke_notice_decode(&n, msg, m))
			(void)feed(&n);
	}
	/* Twice over: the first pass may end an assembly the liars spoiled. */
	for (unsigned t = 0; t < 2 * ((real_len + 999) / 1000) && !whole; t++) {
		m = wf_revoke_notice_encode(msg, 1000 + WF_REVOKE_NOTICE_HEAD, 7, 9, real, real_len,
					    t);
		if (!wf_revoke_notice_decode(&n, msg, m))
			abort();
		whole = feed(&n);
	}
	if (!whole)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!real_len)
		init();
	if (!size)
		return 0;
	wf_revoke_pieces_reset(&pieces);
	if (data[0] == 0)
		fuzz_decode(data + 1, size - 1);
	else if (data[0] == 1)
		fuzz_encode(data + 1, size - 1);
	else
		fuzz_script(data + 1, size - 1);
	return 0;
}
