/* SPDX-License-Identifier: MIT */
/*
 * Codecs for what travels inside Noise: the handshake payload (TLVs carrying
 * the certificate and a timestamp) and the membership messages carried in
 * WF_MSG_CONTROL packets. Pure and strictly bounds-checked; byte layouts are
 * in docs/protocol.md.
 */
#ifndef WEFT_MESSAGE_H
#define WEFT_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "crypto/crypto.h"

struct wf_hs_payload {
	const uint8_t *cert; /* points into the decoded buffer */
	size_t cert_len;
	uint64_t timestamp; /* sender's CLOCK_REALTIME in ns; 0 if absent */
	const uint8_t *datapath; /* its WF_HS_TLV_DATAPATH value, or NULL */
	size_t datapath_len;
};

size_t wf_hs_payload_encode(const uint8_t *cert, size_t cert_len, uint64_t timestamp, uint8_t *out,
			    size_t cap);
/* Append a TLV to an encoded payload of len bytes (before the padding);
 * returns the new length, or 0 if cap is too small. */
size_t wf_hs_payload_add(uint8_t *payload, size_t len, size_t cap, uint8_t type,
			 const uint8_t *value, size_t vlen);
/* Pad an encoded payload of len bytes with a padding TLV to at least min_len
 * (if it is shorter); returns the new length, or 0 if cap is too small. */
size_t wf_hs_payload_pad(uint8_t *payload, size_t len, size_t cap, size_t min_len);
bool wf_hs_payload_decode(struct wf_hs_payload *p, const uint8_t *in, size_t len) WF_MUST_CHECK;

/* Control (membership) messages: the first plaintext byte is the kind. */
enum wf_ctl_kind {
	WF_CTL_MEMBER = 1, /* one member's certificate and the endpoint we reach it at */
	/* 2-8: the gossip core's (core/gossip.h, enum wf_gossip_kind) */
	WF_CTL_CERT_REQ = 9, /* key(32): send me that member's MEMBER message */
	WF_CTL_REVOKED = 10, /* the revocation list (core/revoke.h encoding) */
	WF_CTL_PMTU_PROBE = 11, /* seq(4), size(2), zeros: does a datagram this large pass? */
	WF_CTL_PMTU_ACK = 12,   /* seq(4), size(2): it did (core/pmtud.h) */
};

/*
 * Path MTU probes (docs/protocol.md, "Path MTU probes"). A probe's plaintext
 * makes, sealed in a control message, an underlay IP packet of exactly size
 * bytes over family (AF_INET, AF_INET6): the kind, seq and size (little-
 * endian), then zeros. The answer is 7 bytes: kind, seq, size.
 */
enum { WF_PMTU_PROBE_MIN = 7, WF_PMTU_ACK_LEN = 7 };
/* The plaintext length of a probe making an IP packet of size bytes (0 if
 * size is too small to hold one). */
size_t wf_pmtu_probe_len(unsigned size, int family);
/* The probe into out; returns its length, or 0 (cap too small, size too
 * small or above 65535). */
size_t wf_pmtu_probe_encode(uint32_t seq, unsigned size, int family, uint8_t *out, size_t cap);
/* A probe's plaintext as received over family: its size must be what its
 * length makes, its padding zeros. */
bool wf_pmtu_probe_decode(const uint8_t *in, size_t len, int family, uint32_t *seq,
			  unsigned *size) WF_MUST_CHECK;
size_t wf_pmtu_ack_encode(uint32_t seq, unsigned size, uint8_t out[WF_PMTU_ACK_LEN]);
bool wf_pmtu_ack_decode(const uint8_t *in, size_t len, uint32_t *seq, unsigned *size) WF_MUST_CHECK;

/* An endpoint on the wire (MEMBER, gossip records, peers.cache): family
 * (0 none, 4, 6), then the address (4 or 16 bytes) and the port, in network
 * order; 1, 7 or 19 bytes. NULL or another family packs as none. */
enum { WF_ENDPOINT_PACKED_MAX = 19 };
size_t wf_endpoint_pack(const union wf_endpoint *ep, uint8_t *out);
/* Exactly len bytes of one; none gives family AF_UNSPEC. */
bool wf_endpoint_unpack(const uint8_t *in, size_t len, union wf_endpoint *ep) WF_MUST_CHECK;

struct wf_member_msg {
	const uint8_t *cert;
	size_t cert_len;
	bool has_endpoint;
	union wf_endpoint endpoint;
};

size_t wf_member_encode(const uint8_t *cert, size_t cert_len, const union wf_endpoint *ep,
			uint8_t *out, size_t cap);
bool wf_member_decode(struct wf_member_msg *m, const uint8_t *in, size_t len) WF_MUST_CHECK;

/* The Noise protocol a network with this cipher uses: IX, 25519, SHA-256. */
const char *wf_hs_protocol_name(enum wf_cipher cipher);
/* The Noise prologue: "weft/1\0" || network name || NUL || CA public key.
 * Binds the protocol version and the network. Returns the length. */
size_t wf_hs_prologue(const char *network, const uint8_t ca_pub[WF_KEY_LEN], uint8_t *out,
		      size_t cap);
/* mac1 on handshake messages: the first 16 bytes of HMAC-SHA256 keyed with
 * SHA-256("weft mac1" || CA public key) over the message before the MAC. */
bool wf_hs_mac1_key(const uint8_t ca_pub[WF_KEY_LEN], uint8_t key[WF_SHA256_LEN]) WF_MUST_CHECK;
void wf_hs_mac1(const uint8_t key[WF_SHA256_LEN], const uint8_t *msg, size_t len,
		uint8_t out[16]);
/* Does the message (with its mac1 in the last 16 bytes) carry a valid mac1?
 * An initiation has mac2 after mac1: pass its length without mac2. */
bool wf_hs_mac1_ok(const uint8_t key[WF_SHA256_LEN], const uint8_t *msg, size_t len);

/*
 * The overlay MTU that fits an underlay MTU (of the path, or of an
 * interface) whose datagrams are of family (AF_INET, AF_INET6): the
 * underlay minus IP, UDP and weft's data overhead, at most what one UDP
 * datagram carries, and at least 1280 when the overlay has IPv6 addresses
 * (IPv6 requires it; the underlay then fragments what does not fit), else at
 * least 576.
 */
unsigned wf_overlay_mtu(unsigned underlay, int family, bool overlay_ipv6);

#endif
