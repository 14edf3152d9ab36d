/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the daemon's handshake and receive paths
 * (src/daemon/handshake.c, receive.c, membership.c, peer.c), driven in memory
 * through tests/common/harness.h: a real daemon v, and a member x whose keys
 * and certificate are made at start from fixed seeds.
 *
 * The first byte picks what the rest of the input becomes, so that the
 * fuzzer gets past the checks a random datagram never passes:
 *   0: a handshake datagram as it is, with its mac1 made valid;
 *   1: the payload of an initiation claiming x (no key needed): x's real
 *      certificate TLV, then the input as more TLVs (timestamp, padding,
 *      anything), with e, s and valid MACs around it;
 *   2: a datagram x sends after a real handshake: type, then the plaintext,
 *      sealed on the keys v gave x (so it decrypts, proves, and the inner
 *      packet or control message is parsed);
 *   3: a MEMBER message from x about another member, whose real certificate
 *      comes first and the input after it (the endpoint and whatever else);
 *   4: the Noise part of a response to v's own initiation to x.
 * The daemon must never crash, leak or read out of bounds (ASan, UBSan), and
 * whatever it sends must be a well-formed weft datagram.
 */
#include <stddef.h>
#include <stdint.h>

#include "../common/harness.h"
#include "daemon/peer.h"
#include "daemon/timers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hn_node v, x, m;
static union wf_endpoint x_at;
static uint8_t pkt[WF_MAX_DATAGRAM];

static void check_output(void)
{
	for (unsigned i = 0; i < hn_n_out && i < HN_OUT_MAX; i++) {
		const struct hn_sent *s = &hn_out[i];

		if (s->len < 4 || s->buf[1] != WF_PROTO_VERSION || s->buf[0] < 1 || s->buf[0] > 5)
			__builtin_trap();
	}
}

static void raw_handshake(struct wf_daemon *d, const uint8_t *in, size_t n)
{
	uint8_t key[WF_SHA256_LEN];
	size_t body;

	if (n < 4 || n > WF_HANDSHAKE_MAX || !wf_hs_mac1_key(hn_ca_cert.pubkey, key))
		return;
	memcpy(pkt, in, n);
	body = pkt[0] == WF_MSG_HANDSHAKE_INIT ? n - (n >= 32 ? 32 : n) : n - (n >= 16 ? 16 : n);
	if (n >= body + WF_MAC_LEN)
		wf_hs_mac1(key, pkt, body, pkt + body);
	wf_handshake_receive(d, pkt, n, &x_at, HN_NOW);
}

static void forged_payload(struct wf_daemon *d, const uint8_t *in, size_t n)
{
	uint8_t enc[WF_CERT_MAX_ENCODED], e_priv[WF_KEY_LEN];
	size_t elen = wf_cert_encode(&x.cert, enc, sizeof(enc)), body;

	memset(e_priv, 0xee, sizeof(e_priv));
	if (!elen || n > WF_HANDSHAKE_MAX - 200 - elen || !wf_x25519_public(pkt + 8, e_priv))
		return;
	memcpy(pkt + 40, x.cert.pubkey, WF_KEY_LEN);
	pkt[72] = WF_HS_TLV_CERT;
	wf_put_le16(pkt + 73, (uint16_t)elen);
	memcpy(pkt + 75, enc, elen);
	memcpy(pkt + 75 + elen, in, n);
	body = 75 + elen + n;
	wf_handshake_receive(d, pkt, hn_finish(pkt, WF_MSG_HANDSHAKE_INIT, 7, 0, body, NULL),
			     &x_at, HN_NOW);
}

/* x handshakes with v for real; the keypair v gave it. */
static struct wf_keypair *x_session(struct wf_daemon *d)
{
	struct wf_noise_handshake hs;
	struct wf_keypair *kp = NULL;
	size_t len = hn_init(&x, &hs, wf_realtime_ns(), 0x42, NULL, pkt, sizeof(pkt));

	hn_clear();
	if (len)
		wf_handshake_receive(d, pkt, len, &x_at, HN_NOW);
	if (hn_last() && hn_last()->buf[0] == WF_MSG_HANDSHAKE_RESP)
		kp = hn_resp_keys(&hs, 0x42, hn_last()->buf, hn_last()->len);
	wf_noise_handshake_clear(&hs);
	return kp;
}

static void sealed(struct wf_daemon *d, uint8_t type, const uint8_t *plain, size_t n)
{
	struct wf_keypair *kp = x_session(d);
	size_t len;

	if (!kp)
		__builtin_trap(); /* fixed keys: a real handshake cannot fail */
	if (n <= WF_MAX_DATAGRAM - WF_DATA_OVERHEAD && (len = hn_seal(kp, type, plain, n, pkt)))
		wf_data_receive(&d->dp.ctl, pkt, len, &x_at, HN_NOW);
	wf_keypair_free(kp);
}

/* The first byte picks data or control, the rest is the plaintext. */
static void sealed_input(struct wf_daemon *d, const uint8_t *in, size_t n)
{
	if (n)
		sealed(d, in[0] & 1 ? WF_MSG_CONTROL : WF_MSG_DATA, in + 1, n - 1);
}

static void member(struct wf_daemon *d, const uint8_t *in, size_t n)
{
	static uint8_t msg[WF_MAX_DATAGRAM];
	uint8_t enc[WF_CERT_MAX_ENCODED];
	size_t elen = wf_cert_encode(&m.cert, enc, sizeof(enc));

	if (!elen || n > sizeof(msg) - 3 - elen - WF_DATA_OVERHEAD)
		return;
	msg[0] = WF_CTL_MEMBER;
	wf_put_le16(msg + 1, (uint16_t)elen);
	memcpy(msg + 3, enc, elen);
	memcpy(msg + 3 + elen, in, n);
	sealed(d, WF_MSG_CONTROL, msg, 3 + elen + n);
}

static void response(struct wf_daemon *d, const uint8_t *in, size_t n)
{
	struct wf_keypair *kp = x_session(d);
	struct wf_peer *p;

	if (!kp)
		__builtin_trap();
	wf_keypair_free(kp);
	p = wf_peer_find(d, x.cert.pubkey);
	p->has_endpoint = true;
	p->endpoint = x_at;
	hn_clear();
	wf_handshake_initiate(d, p, HN_NOW);
	if (!p->hs || n > WF_HANDSHAKE_MAX - 12 - WF_MAC_LEN)
		return;
	memcpy(pkt + 12, in, n);
	wf_handshake_receive(d, pkt,
			     hn_finish(pkt, WF_MSG_HANDSHAKE_RESP, 9, p->hs->local_index, 12 + n, NULL),
			     &x_at, HN_NOW);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct wf_daemon *d;

	if (!ready) {
		wf_crypto_init();
		wf_log_set_level(WF_LOG_ERROR);
		if (!hn_network() || !hn_node(&v, "v", 1, "100.64.0.1", NULL, 60) ||
		    !hn_node(&x, "x", 2, "100.64.0.2", "100.64.1.0/24", 60) ||
		    !hn_node(&m, "m", 3, "100.64.0.3", NULL, 60))
			__builtin_trap();
		x_at = hn_ep("198.18.0.2:51820");
		ready = true;
	}
	if (size < 1 || !(d = hn_daemon(&v)))
		return 0;
	hn_clear();
	switch (data[0] % 5) {
	case 0: raw_handshake(d, data + 1, size - 1); break;
	case 1: forged_payload(d, data + 1, size - 1); break;
	case 2: sealed_input(d, data + 1, size - 1); break;
	case 3: member(d, data + 1, size - 1); break;
	default: response(d, data + 1, size - 1); break;
	}
	check_output();
	/* Time passes: expiry, retries, keepalives run over what is left. */
	wf_timers_tick(d, HN_NOW + 200000);
	hn_daemon_free(d);
	while (hn_delivered(pkt, sizeof(pkt)))
		;
	return 0;
}
