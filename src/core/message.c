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

size_t wf_hs_payload_add(uint8_t *payload, size_t len, size_t cap, uint8_t type,
			 const uint8_t *value, size_t vlen)
{
	if (!len || vlen > UINT16_MAX || len + 3 + vlen > cap)
		return 0;
	payload[len] = type;
	wf_put_le16(payload + len + 1, (uint16_t)vlen);
	memcpy(payload + len + 3, value, vlen);
	return len + 3 + vlen;
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
		case WF_HS_TLV_DATAPATH:
			p->datapath = in + 3;
			p->datapath_len = vlen;
			break;
		default:
			break; /* newer senders may add TLVs we do not know */
		}
		in += 3 + vlen;
		len -= 3 + vlen;
	}
	return p->cert != NULL;
}

size_t wf_endpoint_pack(const union wf_endpoint *ep, uint8_t *out)
{
	int fam = ep ? ep->sa.sa_family : AF_UNSPEC;

	if (fam == AF_INET) {
		out[0] = 4;
		memcpy(out + 1, &ep->in4.sin_addr, 4);
		memcpy(out + 5, &ep->in4.sin_port, 2); /* network order on the wire */
		return 7;
	}
	if (fam == AF_INET6) {
		out[0] = 6;
		memcpy(out + 1, &ep->in6.sin6_addr, 16);
		memcpy(out + 17, &ep->in6.sin6_port, 2);
		return 19;
	}
	out[0] = 0;
	return 1;
}

bool wf_endpoint_unpack(const uint8_t *in, size_t len, union wf_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	if (len == 1 && in[0] == 0)
		return true;
	if (len == 7 && in[0] == 4) {
		ep->in4.sin_family = AF_INET;
		memcpy(&ep->in4.sin_addr, in + 1, 4);
		memcpy(&ep->in4.sin_port, in + 5, 2);
		return true;
	}
	if (len == 19 && in[0] == 6) {
		ep->in6.sin6_family = AF_INET6;
		memcpy(&ep->in6.sin6_addr, in + 1, 16);
		memcpy(&ep->in6.sin6_port, in + 17, 2);
		return true;
	}
	return false;
}

/* MEMBER: kind(1) cert_len(2) cert, then the endpoint (wf_endpoint_pack) */
size_t wf_member_encode(const uint8_t *cert, size_t cert_len, const union wf_endpoint *ep,
			uint8_t *out, size_t cap)
{
	uint8_t epb[WF_ENDPOINT_PACKED_MAX];
	size_t elen = wf_endpoint_pack(ep, epb), need = 1 + 2 + cert_len + elen;

	if (cert_len > UINT16_MAX || need > cap)
		return 0;
	out[0] = WF_CTL_MEMBER;
	wf_put_le16(out + 1, (uint16_t)cert_len);
	memcpy(out + 3, cert, cert_len);
	memcpy(out + 3 + cert_len, epb, elen);
	return need;
}

bool wf_member_decode(struct wf_member_msg *m, const uint8_t *in, size_t len)
{
	size_t clen;

	memset(m, 0, sizeof(*m));
	if (len < 4 || in[0] != WF_CTL_MEMBER)
		return false;
	clen = wf_get_le16(in + 1);
	if (!clen || clen > len - 4)
		return false;
	m->cert = in + 3;
	m->cert_len = clen;
	if (!wf_endpoint_unpack(in + 3 + clen, len - 3 - clen, &m->endpoint))
		return false;
	/* No endpoint, or port 0, which cannot be reached: unknown endpoint. */
	m->has_endpoint = m->endpoint.sa.sa_family == AF_INET ? m->endpoint.in4.sin_port != 0
			  : m->endpoint.sa.sa_family == AF_INET6 && m->endpoint.in6.sin6_port != 0;
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

/* --- Path MTU probes ------------------------------------------------------- */

size_t wf_pmtu_probe_len(unsigned size, int family)
{
	unsigned around = (family == AF_INET6 ? WF_UDP_IP6_OVERHEAD : WF_UDP_IP4_OVERHEAD) +
			  WF_DATA_OVERHEAD;

	if (size > 65535 || size < around + WF_PMTU_PROBE_MIN)
		return 0;
	return size - around;
}

size_t wf_pmtu_probe_encode(uint32_t seq, unsigned size, int family, uint8_t *out, size_t cap)
{
	size_t n = wf_pmtu_probe_len(size, family);

	if (!n || n > cap)
		return 0;
	memset(out, 0, n);
	out[0] = WF_CTL_PMTU_PROBE;
	wf_put_le32(out + 1, seq);
	wf_put_le16(out + 5, (uint16_t)size);
	return n;
}

bool wf_pmtu_probe_decode(const uint8_t *in, size_t len, int family, uint32_t *seq,
			  unsigned *size)
{
	if (len < WF_PMTU_PROBE_MIN || in[0] != WF_CTL_PMTU_PROBE)
		return false;
	*seq = wf_get_le32(in + 1);
	*size = wf_get_le16(in + 5);
	if (wf_pmtu_probe_len(*size, family) != len)
		return false; /* not the size it says: cut, or padded on the way */
	for (size_t i = WF_PMTU_PROBE_MIN; i < len; i++)
		if (in[i])
			return false;
	return true;
}

size_t wf_pmtu_ack_encode(uint32_t seq, unsigned size, uint8_t out[WF_PMTU_ACK_LEN])
{
	out[0] = WF_CTL_PMTU_ACK;
	wf_put_le32(out + 1, seq);
	wf_put_le16(out + 5, (uint16_t)size);
	return WF_PMTU_ACK_LEN;
}

bool wf_pmtu_ack_decode(const uint8_t *in, size_t len, uint32_t *seq, unsigned *size)
{
	if (len != WF_PMTU_ACK_LEN || in[0] != WF_CTL_PMTU_ACK)
		return false;
	*seq = wf_get_le32(in + 1);
	*size = wf_get_le16(in + 5);
	return true;
}
