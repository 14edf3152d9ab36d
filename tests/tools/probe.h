/* SPDX-License-Identifier: MIT */
/*
 * What the probe tools (hsprobe, crossprobe) share: playing a member of a
 * network from its CA certificate and one node's certificate and key, the
 * way a real node, or an attacker holding those files, would. Header-only:
 * every file in tests/tools is a program of its own.
 */
#ifndef WEFT_TESTS_PROBE_H
#define WEFT_TESTS_PROBE_H

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <netinet/in.h>

#include "common/bytes.h"
#include "common/csum.h"
#include "store/keyfile.h"
#include "core/esp.h"
#include "core/message.h"
#include "core/noise.h"
#include "weft/wire.h"

struct probe_net {
	struct wf_cert ca, cert;
	uint8_t key[WF_KEY_LEN], mac1_key[WF_SHA256_LEN], prologue[128];
	size_t prologue_len;
	struct wf_noise_protocol proto;
};

/* Load the CA and a node certificate, and derive the network's prologue,
 * mac1 key and protocol: all an attacker needs, all public. */
static inline int probe_load_public(struct probe_net *n, const char *prog, const char *ca,
				    const char *cert)
{
	char err[WF_ERR_MAX];

	if (!wf_cert_load(ca, &n->ca, err, sizeof(err)) ||
	    !wf_cert_load(cert, &n->cert, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return -1;
	}
	n->prologue_len =
	    wf_hs_prologue(n->ca.network, n->ca.pubkey, n->prologue, sizeof(n->prologue));
	if (!n->prologue_len || !wf_hs_mac1_key(n->ca.pubkey, n->mac1_key) ||
	    !wf_noise_protocol_parse(&n->proto, wf_hs_protocol_name(n->ca.cipher))) {
		fprintf(stderr, "%s: cannot set up the network's handshake\n", prog);
		return -1;
	}
	return 0;
}

/* The same, and the node's private key: playing that node for real. */
static inline int probe_load(struct probe_net *n, const char *prog, const char *ca,
			     const char *cert, const char *key)
{
	char err[WF_ERR_MAX];

	if (probe_load_public(n, prog, ca, cert) < 0)
		return -1;
	if (!wf_key_load(key, "NODE PRIVATE KEY", n->key, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return -1;
	}
	return 0;
}

static inline int64_t probe_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Start a handshake with our static key and a fresh ephemeral, as initiator
 * or responder. */
static inline bool probe_hs_init(const struct probe_net *n, struct wf_noise_handshake *hs,
				 bool initiator)
{
	uint8_t e[WF_KEY_LEN];
	bool ok = wf_random(e, sizeof(e)) &&
		  wf_noise_handshake_init(hs, &n->proto, initiator, n->prologue, n->prologue_len,
					  n->key, e, NULL, NULL);

	wf_wipe(e, sizeof(e));
	return ok;
}

static inline uint64_t probe_realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The MACs that end a handshake message of this type: an initiation has
 * mac1 and mac2, a response mac1. */
static inline size_t probe_macs_len(uint8_t type)
{
	return type == WF_MSG_HANDSHAKE_INIT ? WF_INIT_MACS_LEN : WF_MAC_LEN;
}

/* A handshake payload for cert with timestamp ts, and with caps (the
 * DATAPATH TLV, as a kernel-path node sends it) unless NULL; an initiation's
 * is padded as weft pads its own, to WF_INIT_MIN_LEN in all. 0 on error. */
static inline size_t probe_payload_caps(const struct wf_cert *cert, uint64_t ts,
					const struct wf_esp_caps *caps, bool initiation,
					uint8_t *out, size_t cap)
{
	uint8_t enc[WF_CERT_MAX_ENCODED], v[WF_ESP_CAPS_LEN];
	size_t elen = wf_cert_encode(cert, enc, sizeof(enc)), n;

	n = elen ? wf_hs_payload_encode(enc, elen, ts, out, cap) : 0;
	if (n && caps) {
		wf_esp_caps_encode(caps, v);
		n = wf_hs_payload_add(out, n, cap, WF_HS_TLV_DATAPATH, v, sizeof(v));
	}
	if (n && initiation)
		n = wf_hs_payload_pad(out, n, cap,
				      WF_INIT_MIN_LEN - sizeof(struct wf_msg_init) -
					  WF_NOISE_IX_MSG1_FIXED - WF_INIT_MACS_LEN);
	return n;
}

static inline size_t probe_payload_for(const struct wf_cert *cert, uint64_t ts, bool initiation,
				       uint8_t *out, size_t cap)
{
	return probe_payload_caps(cert, ts, NULL, initiation, out, cap);
}

/* Our handshake payload: our certificate and the time now. 0 on error. */
static inline size_t probe_payload(const struct probe_net *n, uint8_t *out, size_t cap,
				   bool initiation)
{
	return probe_payload_for(&n->cert, probe_realtime_ns(), initiation, out, cap);
}

/* A peer's handshake payload: its certificate, decoded and verified. */
static inline bool probe_peer(const struct probe_net *n, const uint8_t *payload, size_t len,
			      struct wf_cert *peer)
{
	struct wf_hs_payload hp;

	return wf_hs_payload_decode(&hp, payload, len) &&
	       wf_cert_decode(peer, hp.cert, hp.cert_len) == WF_CERT_OK &&
	       wf_cert_verify(peer, &n->ca, (int64_t)time(NULL)) == WF_CERT_OK;
}

static inline size_t probe_hdr_len(uint8_t type)
{
	return type == WF_MSG_HANDSHAKE_INIT ? sizeof(struct wf_msg_init) : sizeof(struct wf_msg_resp);
}

/* Fill in the header of a handshake message whose Noise part (noise_len
 * bytes) is already in place after it, and append its MACs (mac2 of an
 * initiation zero: no cookie); the total length. The receiver index is
 * written only in a response. */
static inline size_t probe_hs_finish(const struct probe_net *n, uint8_t *pkt, uint8_t type,
				     uint32_t sender, uint32_t receiver, size_t noise_len)
{
	size_t hl = probe_hdr_len(type), body = hl + noise_len;

	memset(pkt, 0, hl);
	pkt[0] = type;
	pkt[1] = WF_PROTO_VERSION;
	wf_put_le32(pkt + 4, sender);
	if (type != WF_MSG_HANDSHAKE_INIT)
		wf_put_le32(pkt + 8, receiver);
	wf_hs_mac1(n->mac1_key, pkt, body, pkt + body);
	memset(pkt + body + WF_MAC_LEN, 0, probe_macs_len(type) - WF_MAC_LEN);
	return body + probe_macs_len(type);
}

/* Is this a handshake message of its type with a valid mac1? Sets *noise and
 * *noise_len to its Noise part. */
static inline bool probe_hs_open(const struct probe_net *n, const uint8_t *pkt, size_t len,
				 const uint8_t **noise, size_t *noise_len)
{
	size_t hl, macs;

	if (len < 4 || (pkt[0] != WF_MSG_HANDSHAKE_INIT && pkt[0] != WF_MSG_HANDSHAKE_RESP))
		return false;
	hl = probe_hdr_len(pkt[0]);
	macs = probe_macs_len(pkt[0]);
	if (len < hl + macs || !wf_hs_mac1_ok(n->mac1_key, pkt, len - macs + WF_MAC_LEN))
		return false;
	*noise = pkt + hl;
	*noise_len = len - hl - macs;
	return true;
}

/* An IPv4 ICMP echo request from src to dst, 20 + 8 + 16 bytes. */
static inline size_t probe_build_ping(uint8_t *b, struct in_addr src, struct in_addr dst,
				      uint16_t id)
{
	uint16_t c;

	memset(b, 0, 44);
	b[0] = 0x45;
	b[3] = 44;
	b[8] = 64;
	b[9] = 1; /* ICMP */
	memcpy(b + 12, &src, 4);
	memcpy(b + 16, &dst, 4);
	c = wf_csum_fold(wf_csum_add(0, b, 20));
	b[10] = (uint8_t)(c >> 8);
	b[11] = (uint8_t)c;
	b[20] = 8; /* echo request */
	b[24] = (uint8_t)(id >> 8);
	b[25] = (uint8_t)id;
	b[27] = 1; /* sequence 1 */
	memcpy(b + 28, "weft test probe!", 16);
	c = wf_csum_fold(wf_csum_add(0, b + 20, 24));
	b[22] = (uint8_t)(c >> 8);
	b[23] = (uint8_t)c;
	return 44;
}

static inline bool probe_is_echo_reply(const uint8_t *b, size_t len, struct in_addr from,
				       uint16_t id)
{
	return len >= 28 && b[0] == 0x45 && b[9] == 1 && !memcmp(b + 12, &from, 4) && b[20] == 0 &&
	       b[24] == id >> 8 && b[25] == (id & 0xff);
}

#endif
