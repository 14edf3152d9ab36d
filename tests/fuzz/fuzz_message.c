/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the codecs in src/core/message.c.
 *
 * Input: one selector byte, then the message. An even selector feeds the rest
 * to wf_hs_payload_decode, an odd one to wf_member_decode. Besides memory
 * safety it checks that what decodes survives a re-encoding:
 *   - a MEMBER message re-encodes to exactly its own bytes. The one other
 *     spelling the decoder takes is an endpoint with port 0, which means "no
 *     endpoint" and so re-encodes to the short form of the same certificate;
 *   - a handshake payload (which may carry unknown TLVs and so has no single
 *     spelling) re-encoded from its certificate and timestamp decodes to the
 *     same certificate and timestamp.
 * The seeds in tests/fuzz/seeds/fuzz_message are both kinds, made with
 * tests/fuzz/seeds/fuzz_cert/node.bin as the certificate.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Room for the largest certificate a 16-bit length can carry. */
static uint8_t out[3 + UINT16_MAX + 3 + 8 + 32];

static void fuzz_payload(const uint8_t *in, size_t len)
{
	struct wf_hs_payload p, q;
	size_t n;

	if (!wf_hs_payload_decode(&p, in, len))
		return;
	if (!p.cert || !p.cert_len || p.cert < in || p.cert + p.cert_len > in + len)
		abort();
	n = wf_hs_payload_encode(p.cert, p.cert_len, p.timestamp, out, sizeof(out));
	if (n != 3 + p.cert_len + 3 + 8)
		abort();
	if (!wf_hs_payload_decode(&q, out, n))
		abort();
	if (q.cert_len != p.cert_len || memcmp(q.cert, p.cert, p.cert_len) ||
	    q.timestamp != p.timestamp)
		abort();
}

/* The bytes a decoded MEMBER message must re-encode to. */
static size_t member_canonical(const uint8_t *in, size_t len, const struct wf_member_msg *m)
{
	size_t fam_at = 3 + m->cert_len;

	if (in[fam_at] == 0 || m->has_endpoint)
		return len;
	/* port 0: the no-endpoint form, the same bytes up to the family */
	if (in[len - 1] || in[len - 2])
		abort();
	return fam_at + 1;
}

static void fuzz_member(const uint8_t *in, size_t len)
{
	struct wf_member_msg m, again;
	size_t n, want;

	if (!wf_member_decode(&m, in, len))
		return;
	if (!m.cert_len || m.cert != in + 3 || 3 + m.cert_len >= len)
		abort();
	want = member_canonical(in, len, &m);
	n = wf_member_encode(m.cert, m.cert_len, m.has_endpoint ? &m.endpoint : NULL, out,
			     sizeof(out));
	if (n != want || memcmp(out, in, want - 1) || (want < len && out[want - 1] != 0))
		abort();
	if (want == len && memcmp(out, in, len))
		abort();
	if (!wf_member_decode(&again, out, n) || again.has_endpoint != m.has_endpoint)
		abort();
	if (m.has_endpoint && !wf_endpoint_equal(&again.endpoint, &m.endpoint))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		fuzz_member(data + 1, size - 1);
	else
		fuzz_payload(data + 1, size - 1);
	return 0;
}
