/* SPDX-License-Identifier: MIT */
/*
 * Handshakes: Noise IX with the certificates in the payloads.
 *
 *   initiator -> responder: header, sender index, e, s, payload, mac1
 *   responder -> initiator: header, sender, receiver, e, ee, se, s, es, payload, mac1
 *
 * Cheap checks come before any Diffie-Hellman: size, type, version and mac1,
 * an HMAC keyed by the network's CA key, so that only someone who has the
 * network's CA certificate can make us spend a DH. Message 1 of IX is not
 * authenticated (anyone may claim any certificate), so nothing a responder
 * learns from it (endpoint, timestamp) is kept until the initiator proves
 * itself by sending on the new session; see wf_data_receive().
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/bytes.h"
#include "common/log.h"
#include "core/message.h"
#include "daemon/daemon.h"

enum { HS_OFF_INIT = sizeof(struct wf_msg_init), HS_OFF_RESP = sizeof(struct wf_msg_resp) };

void wf_handshake_setup_keys(struct wf_daemon *d)
{
	/* Constant inputs that fit: none of these can fail. */
	if (!wf_noise_protocol_parse(&d->proto, wf_hs_protocol_name(d->ca.cipher)) ||
	    !wf_hs_mac1_key(d->ca.pubkey, d->mac1_key))
		abort();
	d->prologue_len = wf_hs_prologue(d->ca.network, d->ca.pubkey, d->prologue,
					 sizeof(d->prologue));
}

static void mac1(const struct wf_daemon *d, const uint8_t *msg, size_t len, uint8_t out[WF_MAC_LEN])
{
	wf_hs_mac1(d->mac1_key, msg, len, out);
}

static size_t our_payload(struct wf_daemon *d, uint8_t *out, size_t cap)
{
	return wf_hs_payload_encode(d->self_cert_enc, d->self_cert_len, wf_realtime_ns(), out, cap);
}

void wf_handshake_abort(struct wf_daemon *d, struct wf_handshake *hs)
{
	if (hs->peer && hs->peer->hs == hs)
		hs->peer->hs = NULL;
	wf_index_del(d, hs->local_index);
	wf_noise_handshake_clear(&hs->noise);
	free(hs);
}

static int64_t backoff_ms(const struct wf_daemon *d, unsigned attempts)
{
	return wf_handshake_backoff_ms(d->cfg.handshake_timeout_ms, attempts, wf_random_u32());
}

/* Start an initiation to `to`, for a known peer or a bootstrap address. */
static struct wf_handshake *start(struct wf_daemon *d, struct wf_peer *p, struct wf_bootstrap *b,
				  const union wf_endpoint *to, int64_t now)
{
	uint8_t pkt[WF_HANDSHAKE_MAX], payload[WF_CERT_MAX_ENCODED + 64];
	struct wf_handshake *hs = calloc(1, sizeof(*hs));
	size_t plen, nlen;

	if (!hs)
		return NULL;
	hs->peer = p;
	hs->sent_ms = now;
	plen = our_payload(d, payload, sizeof(payload));
	if (!plen || !wf_noise_handshake_init(&hs->noise, &d->proto, true, d->prologue,
					      d->prologue_len, d->static_priv, NULL, NULL, NULL))
		goto fail;
	if (!wf_noise_write_message(&hs->noise, payload, plen, pkt + HS_OFF_INIT,
				    sizeof(pkt) - HS_OFF_INIT - WF_MAC_LEN, &nlen))
		goto fail;
	hs->local_index = wf_index_add(d, WF_INDEX_HANDSHAKE, hs, p, b);
	if (!hs->local_index)
		goto fail;
	pkt[0] = WF_MSG_HANDSHAKE_INIT;
	pkt[1] = WF_PROTO_VERSION;
	pkt[2] = pkt[3] = 0;
	wf_put_le32(pkt + 4, hs->local_index);
	mac1(d, pkt, HS_OFF_INIT + nlen, pkt + HS_OFF_INIT + nlen);
	wf_udp_send(d, p, to, pkt, HS_OFF_INIT + nlen + WF_MAC_LEN);
	return hs;
fail:
	log_warnx("%s: cannot build a handshake initiation", __func__);
	wf_noise_handshake_clear(&hs->noise);
	free(hs);
	return NULL;
}

void wf_handshake_initiate(struct wf_daemon *d, struct wf_peer *p, int64_t now)
{
	char ep[WF_ADDR_STRLEN];

	if (!p->has_endpoint)
		return;
	if (p->hs)
		wf_handshake_abort(d, p->hs);
	log_debug("handshake: initiating with %s at %s (attempt %u)", p->cert.name,
		  wf_endpoint_str(&p->endpoint, ep, sizeof(ep)), p->hs_attempts + 1);
	p->hs = start(d, p, NULL, &p->endpoint, now);
	p->hs_next_ms = now + backoff_ms(d, p->hs_attempts);
	p->hs_attempts++;
}

void wf_handshake_bootstrap(struct wf_daemon *d, struct wf_bootstrap *b, int64_t now)
{
	if (b->hs)
		wf_handshake_abort(d, b->hs);
	b->hs = NULL;
	b->next_ms = now + backoff_ms(d, b->attempts);
	b->attempts++;
	/* Resolve again each time: DNS may change, and a name that does not
	 * resolve yet at boot should not be fatal. */
	if (!wf_endpoint_parse(&b->endpoint, b->spec)) {
		if (b->attempts == 1 || b->attempts % 10 == 0)
			log_warnx("bootstrap %s: cannot resolve; will retry", b->spec);
		return;
	}
	log_debug("handshake: bootstrapping via %s (attempt %u)", b->spec, b->attempts);
	b->hs = start(d, NULL, b, &b->endpoint, now);
}

/* Decode and check the peer's payload; returns its peer (found or added). */
static struct wf_peer *accept_identity(struct wf_daemon *d, const uint8_t *payload, size_t plen,
				       const uint8_t rs[WF_KEY_LEN], const union wf_endpoint *from,
				       uint64_t *ts)
{
	char ep[WF_ADDR_STRLEN];
	struct wf_hs_payload hp;
	struct wf_cert cert;
	struct wf_peer *p;

	wf_endpoint_str(from, ep, sizeof(ep));
	if (!wf_hs_payload_decode(&hp, payload, plen)) {
		log_warnx("handshake from %s: malformed payload", ep);
		return NULL;
	}
	if (!wf_peer_cert_check(d, hp.cert, hp.cert_len, &cert, ep)) {
		wf_count_drop(d, NULL, WF_DROP_CERT);
		return NULL;
	}
	/* The certificate must be for the key that did the handshake. */
	if (!wf_memeq(cert.pubkey, rs, WF_KEY_LEN)) {
		log_warnx("handshake from %s: certificate of %s is not for the key used", ep,
			  cert.name);
		wf_count_drop(d, NULL, WF_DROP_CERT);
		return NULL;
	}
	if (!memcmp(cert.pubkey, d->self.pubkey, WF_KEY_LEN)) {
		log_debug("handshake from %s: that is ourselves", ep);
		return NULL;
	}
	*ts = hp.timestamp;
	p = wf_peer_find(d, cert.pubkey);
	if (p)
		wf_peer_update_cert(d, p, &cert);
	else
		p = wf_peer_add(d, &cert);
	return p;
}

static void install(struct wf_daemon *d, struct wf_peer *p, struct wf_keypair *kp)
{
	struct wf_keypair *dropped[2];

	wf_session_install(&p->session, kp, dropped);
	wf_peer_drop_keypair(d, dropped[0]);
	wf_peer_drop_keypair(d, dropped[1]);
}

static struct wf_keypair *split(struct wf_daemon *d, struct wf_noise_handshake *hs, bool initiator,
				uint32_t local, uint32_t remote, int64_t now)
{
	uint8_t c1[WF_KEY_LEN], c2[WF_KEY_LEN];
	struct wf_keypair *kp = NULL;

	if (wf_noise_split(hs, c1, c2, NULL))
		kp = wf_keypair_new(d->ca.cipher, c1, c2, initiator, local, remote, now);
	wf_wipe(c1, sizeof(c1));
	wf_wipe(c2, sizeof(c2));
	return kp;
}

static void handle_init(struct wf_daemon *d, uint8_t *pkt, size_t len,
			const union wf_endpoint *from, int64_t now)
{
	uint8_t payload[WF_HANDSHAKE_MAX], resp[WF_HANDSHAKE_MAX];
	struct wf_noise_handshake hs;
	struct wf_keypair *kp = NULL;
	struct wf_peer *p = NULL;
	size_t plen, nlen;
	uint32_t sender = wf_get_le32(pkt + 4), local;
	uint64_t ts = 0;

	if (!wf_noise_handshake_init(&hs, &d->proto, false, d->prologue, d->prologue_len,
				     d->static_priv, NULL, NULL, NULL))
		return;
	if (!wf_noise_read_message(&hs, pkt + HS_OFF_INIT, len - HS_OFF_INIT - WF_MAC_LEN, payload,
				   sizeof(payload), &plen))
		goto bad;
	p = accept_identity(d, payload, plen, hs.rs, from, &ts);
	if (!p)
		goto out;
	/* An initiation no newer than the last one this peer proved it sent
	 * is a replay: answering it would only waste work. */
	/* Nor may a copy of the initiation we already answered (a duplicated
	 * datagram) replace the keypair its initiator is about to use. */
	if (ts <= p->last_init_ts || (p->session.next && ts <= p->session.next->hs_timestamp)) {
		log_debug("handshake from %s: replayed initiation", p->cert.name);
		wf_count_drop(d, p, WF_DROP_HANDSHAKE);
		goto out;
	}
	plen = our_payload(d, payload, sizeof(payload));
	if (!plen || !wf_noise_write_message(&hs, payload, plen, resp + HS_OFF_RESP,
					     sizeof(resp) - HS_OFF_RESP - WF_MAC_LEN, &nlen))
		goto bad;
	local = wf_index_add(d, WF_INDEX_KEYPAIR, NULL, p, NULL);
	kp = local ? split(d, &hs, false, local, sender, now) : NULL;
	if (!kp) {
		if (local)
			wf_index_del(d, local);
		goto out;
	}
	wf_index_find(d, local)->ptr = kp;
	kp->hs_timestamp = ts;
	install(d, p, kp);
	resp[0] = WF_MSG_HANDSHAKE_RESP;
	resp[1] = WF_PROTO_VERSION;
	resp[2] = resp[3] = 0;
	wf_put_le32(resp + 4, local);
	wf_put_le32(resp + 8, sender);
	mac1(d, resp, HS_OFF_RESP + nlen, resp + HS_OFF_RESP + nlen);
	wf_udp_send(d, p, from, resp, HS_OFF_RESP + nlen + WF_MAC_LEN);
	log_debug("handshake: answered %s", p->cert.name);
	goto out;
bad:
	wf_count_drop(d, p, WF_DROP_HANDSHAKE);
out:
	wf_noise_handshake_clear(&hs);
}

/* Our initiation was answered: the session is established for us. */
static void handle_resp(struct wf_daemon *d, uint8_t *pkt, size_t len,
			const union wf_endpoint *from, int64_t now)
{
	uint8_t payload[WF_HANDSHAKE_MAX];
	struct wf_index_entry *e = wf_index_find(d, wf_get_le32(pkt + 8));
	struct wf_noise_handshake noise;
	struct wf_bootstrap *b;
	struct wf_handshake *hs;
	struct wf_keypair *kp;
	struct wf_peer *p;
	size_t plen;
	uint64_t ts;

	if (!e || e->kind != WF_INDEX_HANDSHAKE) {
		wf_count_drop(d, NULL, WF_DROP_UNKNOWN_INDEX);
		return;
	}
	hs = e->ptr;
	b = e->bootstrap;
	/* Read into a copy: a forged or corrupted response must not spend the
	 * state the real response needs. Copying is safe for IX because after
	 * message 1 the initiator has no cipher key yet (no AEAD context). */
	noise = hs->noise;
	if (!wf_noise_read_message(&noise, pkt + HS_OFF_RESP, len - HS_OFF_RESP - WF_MAC_LEN,
				   payload, sizeof(payload), &plen)) {
		wf_count_drop(d, hs->peer, WF_DROP_HANDSHAKE);
		return;
	}
	wf_noise_handshake_clear(&hs->noise);
	hs->noise = noise;
	p = accept_identity(d, payload, plen, hs->noise.rs, from, &ts);
	if (!p || (hs->peer && hs->peer != p)) {
		if (p)
			log_warnx("handshake: %s answered for another node", p->cert.name);
		if (b) {
			b->hs = NULL;
			if (!p)
				b->answered = true; /* ourselves, or refused: stop */
		}
		wf_handshake_abort(d, hs);
		return;
	}
	kp = split(d, &hs->noise, true, hs->local_index, wf_get_le32(pkt + 4), now);
	if (!kp) {
		wf_handshake_abort(d, hs);
		return;
	}
	/* The index now names the keypair, not the handshake. */
	e->kind = WF_INDEX_KEYPAIR;
	e->ptr = kp;
	e->peer = p;
	e->bootstrap = NULL;
	if (b) {
		b->hs = NULL;
		b->answered = true;
		b->attempts = 0;
	}
	if (p->hs && p->hs != hs)
		wf_handshake_abort(d, p->hs);
	p->hs = NULL;
	wf_noise_handshake_clear(&hs->noise);
	free(hs);
	install(d, p, kp);
	if (!p->has_endpoint || !wf_endpoint_equal(&p->endpoint, from)) {
		p->endpoint = *from;
		p->has_endpoint = true;
	}
	wf_timers_session_up(d, p, now);
	/* Send what waited, or a keepalive, so the responder confirms the
	 * session and can send on it too. */
	if (p->n_staged)
		wf_data_flush_staged(d, p, now);
	else
		wf_data_send_keepalive(d, p, now);
	wf_members_session_up(d, p, now);
}

void wf_handshake_receive(struct wf_daemon *d, uint8_t *pkt, size_t len,
			  const union wf_endpoint *from, int64_t now)
{
	size_t min = pkt[0] == WF_MSG_HANDSHAKE_INIT ? HS_OFF_INIT + WF_NOISE_IX_MSG1_FIXED
						     : HS_OFF_RESP + WF_NOISE_IX_MSG2_FIXED;

	if (len < min + WF_MAC_LEN || len > WF_HANDSHAKE_MAX || pkt[2] || pkt[3]) {
		wf_count_drop(d, NULL, WF_DROP_MALFORMED);
		return;
	}
	if (!wf_hs_mac1_ok(d->mac1_key, pkt, len)) {
		wf_count_drop(d, NULL, WF_DROP_HANDSHAKE);
		return;
	}
	if (pkt[0] == WF_MSG_HANDSHAKE_INIT)
		handle_init(d, pkt, len, from, now);
	else
		handle_resp(d, pkt, len, from, now);
}
