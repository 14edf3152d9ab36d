/* SPDX-License-Identifier: MIT */
#include <string.h>
#include <sys/socket.h>

#include "common/bytes.h"
#include "core/message.h"
#include "weft/wire.h"

size_t wf_hs_payload_encode(const uint8_t *cert, size_t cert_len, uint64_t timestamp, uint8_t *out,
			    size_t cap)
{
	size_t need = 3 + cert_len + 3 + 8;

	if (cert_len > UINT16_MAX || need > cap)
		return 0;
	out[0] = WF_HS_TLV_CERT;
	wf_put_le16(out + 1, (uint16_t)cert_len);
	memcpy(out + 3, cert, cert_len);
	out += 3 + cert_len;
	out[0] = WF_HS_TLV_TIMESTAMP;
	wf_put_le16(out + 1, 8);
	wf_put_le64(out + 3, timestamp);
	return need;
}

size_t wf_hs_payload_pad(uint8_t *payload, size_t len, size_t cap, size_t min_len)
{
	size_t pad;

	if (len >= min_len)
		return len;
	/* The TLV header counts towards the length: pad at least 3 bytes. */
	pad = min_len - len < 3 ? 3 : min_len - len;
	if (pad - 3 > UINT16_MAX || len + pad > cap)
		return 0;
	payload[len] = WF_HS_TLV_PADDING;
	wf_put_le16(payload + len + 1, (uint16_t)(pad - 3));
	memset(payload + len + 3, 0, pad - 3);
	return len + pad;
}

bool wf_hs_payload_decode(struct wf_hs_payload *p, const uint8_t *in, size_t len)
{
	memset(p, 0, sizeof(*p));
	while (len) {
		uint8_t type;
		size_t vlen;

		if (len < 3)
			return false;
		type = in[0];
		vlen = wf_get_le16(in + 1);
		if (vlen > len - 3)
			return false;
		switch (type) {
		case WF_HS_TLV_CERT:
			if (p->cert || !vlen)
				return false; /* exactly once */
			p->cert = in + 3;
			p->cert_len = vlen;
			break;
		case WF_HS_TLV_TIMESTAMP:
			if (vlen != 8)
				return false;
			p->timestamp = wf_get_le64(in + 3);
			break;
		default:
			break; /* newer senders may add TLVs we do not know */
		}
		in += 3 + vlen;
		len -= 3 + vlen;
	}
	return p->cert != NULL;
}

/* MEMBER: kind(1) cert_len(2) cert family(1: 0, 4 or 6) addr(0, 4 or 16) port(2) */
size_t wf_member_encode(const uint8_t *cert, size_t cert_len, const union wf_endpoint *ep,
			uint8_t *out, size_t cap)
{
	int fam = ep ? ep->sa.sa_family : AF_UNSPEC;
	size_t alen = fam == AF_INET ? 4 : fam == AF_INET6 ? 16 : 0;
	size_t need = 1 + 2 + cert_len + 1 + alen + (alen ? 2 : 0);
	uint8_t *p = out;

	if (cert_len > UINT16_MAX || need > cap)
		return 0;
	*p++ = WF_CTL_MEMBER;
	wf_put_le16(p, (uint16_t)cert_len);
	memcpy(p + 2, cert, cert_len);
	p += 2 + cert_len;
	*p++ = (uint8_t)(alen == 4 ? 4 : alen == 16 ? 6 : 0);
	if (alen == 4) {
		memcpy(p, &ep->in4.sin_addr, 4);
		memcpy(p + 4, &ep->in4.sin_port, 2); /* network order on the wire */
	} else if (alen == 16) {
		memcpy(p, &ep->in6.sin6_addr, 16);
		memcpy(p + 16, &ep->in6.sin6_port, 2);
	}
	return need;
}

bool wf_member_decode(struct wf_member_msg *m, const uint8_t *in, size_t len)
{
	size_t clen, alen;
	uint8_t fam;

	memset(m, 0, sizeof(*m));
	if (len < 4 || in[0] != WF_CTL_MEMBER)
		return false;
	clen = wf_get_le16(in + 1);
	if (!clen || clen > len - 4)
		return false;
	m->cert = in + 3;
	m->cert_len = clen;
	in += 3 + clen;
	len -= 3 + clen;
	fam = in[0];
	alen = fam == 4 ? 4 : fam == 6 ? 16 : fam == 0 ? 0 : SIZE_MAX;
	if (alen == SIZE_MAX || len != 1 + alen + (alen ? 2 : 0))
		return false;
	if (fam == 4) {
		m->endpoint.in4.sin_family = AF_INET;
		memcpy(&m->endpoint.in4.sin_addr, in + 1, 4);
		memcpy(&m->endpoint.in4.sin_port, in + 5, 2);
	} else if (fam == 6) {
		m->endpoint.in6.sin6_family = AF_INET6;
		memcpy(&m->endpoint.in6.sin6_addr, in + 1, 16);
		memcpy(&m->endpoint.in6.sin6_port, in + 17, 2);
	}
	m->has_endpoint = fam != 0;
	/* A member with port 0 cannot be reached: treat as unknown endpoint. */
	if (m->has_endpoint && (fam == 4 ? m->endpoint.in4.sin_port : m->endpoint.in6.sin6_port) == 0)
		m->has_endpoint = false;
	return true;
}

const char *wf_hs_protocol_name(enum wf_cipher cipher)
{
	return cipher == WF_CIPHER_CHACHAPOLY ? "Noise_IX_25519_ChaChaPoly_SHA256"
					      : "Noise_IX_25519_AESGCM_SHA256";
}

size_t wf_hs_prologue(const char *network, const uint8_t ca_pub[WF_KEY_LEN], uint8_t *out,
		      size_t cap)
{
	size_t nl = strlen(network), need = 7 + nl + 1 + WF_KEY_LEN;

	if (need > cap)
		return 0;
	memcpy(out, "weft/1", 7);
	memcpy(out + 7, network, nl + 1);
	memcpy(out + 8 + nl, ca_pub, WF_KEY_LEN);
	return need;
}

bool wf_hs_mac1_key(const uint8_t ca_pub[WF_KEY_LEN], uint8_t key[WF_SHA256_LEN])
{
	static const char label[] = "weft mac1";

	return wf_hash2(WF_HASH_SHA256, key, (const uint8_t *)label, sizeof(label) - 1, ca_pub,
			WF_KEY_LEN);
}

void wf_hs_mac1(const uint8_t key[WF_SHA256_LEN], const uint8_t *msg, size_t len, uint8_t out[16])
{
	uint8_t full[WF_SHA256_LEN];

	if (!wf_hmac(WF_HASH_SHA256, full, key, WF_SHA256_LEN, msg, len))
		memset(full, 0, sizeof(full)); /* fails the check on the other side */
	memcpy(out, full, 16);
}

bool wf_hs_mac1_ok(const uint8_t key[WF_SHA256_LEN], const uint8_t *msg, size_t len)
{
	uint8_t want[16];

	if (len < 16)
		return false;
	wf_hs_mac1(key, msg, len - 16, want);
	return wf_memeq(want, msg + len - 16, 16);
}

unsigned wf_overlay_mtu(unsigned underlay, int family, bool overlay_ipv6)
{
	/* IPv4's total length counts its header; IPv6's payload length not. */
	unsigned ip = family == AF_INET6 ? WF_UDP_IP6_OVERHEAD : WF_UDP_IP4_OVERHEAD;
	unsigned most = 65535 - (family == AF_INET6 ? 8 : ip) - WF_DATA_OVERHEAD;
	unsigned least = overlay_ipv6 ? 1280 : 576;
	unsigned mtu = underlay > ip + WF_DATA_OVERHEAD ? underlay - ip - WF_DATA_OVERHEAD : 0;

	if (mtu > most)
		mtu = most;
	return mtu < least ? least : mtu;
}
