/* SPDX-License-Identifier: MIT */
/*
 * The revocation list told to a host it names, in pieces no larger than
 * the initiations that ask for them (revoke.h).
 */
#include <string.h>

#include "common/bytes.h"
#include "core/revoke.h"
#include "weft/wire.h"

size_t wf_revoke_notice_encode(uint8_t *out, size_t cap, uint32_t receiver, uint64_t version,
			       const uint8_t *enc, size_t enc_len, uint64_t turn)
{
	size_t piece, count, off, n;

	if (cap <= WF_REVOKE_NOTICE_HEAD || !enc_len || enc_len > WF_REVOKE_MAX_ENCODED || !version)
		return 0;
	piece = cap - WF_REVOKE_NOTICE_HEAD;
	if (piece > UINT16_MAX)
		piece = UINT16_MAX;
	count = (enc_len + piece - 1) / piece;
	off = (size_t)(turn % count) * piece;
	n = enc_len - off < piece ? enc_len - off : piece;
	out[0] = WF_MSG_REVOKED;
	out[1] = WF_PROTO_VERSION;
	out[2] = out[3] = 0;
	wf_put_le32(out + 4, receiver);
	wf_put_le64(out + 8, version);
	wf_put_le32(out + 16, (uint32_t)enc_len);
	wf_put_le32(out + 20, (uint32_t)off);
	memcpy(out + WF_REVOKE_NOTICE_HEAD, enc + off, n);
	return WF_REVOKE_NOTICE_HEAD + n;
}

bool wf_revoke_notice_decode(struct wf_revoke_notice *n, const uint8_t *msg, size_t len)
{
	if (len <= WF_REVOKE_NOTICE_HEAD || len - WF_REVOKE_NOTICE_HEAD > UINT16_MAX ||
	    msg[0] != WF_MSG_REVOKED || msg[1] != WF_PROTO_VERSION || msg[2] || msg[3])
		return false;
	n->receiver = wf_get_le32(msg + 4);
	n->version = wf_get_le64(msg + 8);
	n->total = wf_get_le32(msg + 16);
	n->offset = wf_get_le32(msg + 20);
	n->len = (uint16_t)(len - WF_REVOKE_NOTICE_HEAD);
	n->data = msg + WF_REVOKE_NOTICE_HEAD;
	return n->version && n->total <= WF_REVOKE_MAX_ENCODED && n->offset < n->total &&
	       n->len <= n->total - n->offset;
}

void wf_revoke_pieces_reset(struct wf_revoke_pieces *p)
{
	p->version = 0;
	p->total = p->got = 0;
	memset(p->have, 0, sizeof(p->have));
}

enum wf_revoke_asm_res wf_revoke_pieces_add(struct wf_revoke_pieces *p,
					    const struct wf_revoke_notice *n, struct wf_revoke *out)
{
	if (n->version != p->version || n->total != p->total) {
		wf_revoke_pieces_reset(p);
		p->version = n->version;
		p->total = n->total;
	}
	/* The last word on a byte wins: a liar's bytes fail the signature,
	 * and the assembly starts again. */
	memcpy(p->buf + n->offset, n->data, n->len);
	for (uint32_t i = n->offset; i < n->offset + n->len; i++) {
		uint8_t bit = (uint8_t)(1u << (i & 7));

		p->got += !(p->have[i >> 3] & bit);
		p->have[i >> 3] |= bit;
	}
	if (p->got < p->total)
		return WF_RA_KEPT;
	if (wf_revoke_decode(out, p->buf, p->total) != WF_CERT_OK) {
		wf_revoke_pieces_reset(p);
		return WF_RA_REFUSED;
	}
	wf_revoke_pieces_reset(p);
	return WF_RA_DONE;
}

enum wf_revoke_told wf_revoke_told_judge(const struct wf_revoke *r, const struct wf_cert *ca,
					 uint64_t held, uint64_t own)
{
	/* Cheapest first: an old version costs no signature. */
	if (r->version <= held)
		return WF_TOLD_OLD;
	if (wf_revoke_verify(r, ca) != WF_CERT_OK)
		return WF_TOLD_FORGED;
	return wf_revoke_has(r, own) ? WF_TOLD_SELF : WF_TOLD_NEWER;
}
