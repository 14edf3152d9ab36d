/* SPDX-License-Identifier: MIT */
/*
 * Handshakes: Noise IX with the certificates in the payloads.
 *
 *   initiator -> responder: header, sender, e, s, payload (padded), mac1, mac2
 *   responder -> initiator: header, sender, receiver, e, ee, se, s, es, payload, mac1
 *   responder -> initiator: a cookie reply instead, when it wants proof of address
 *
 * Message 1 of IX is not authenticated: anyone with the network's CA
 * certificate can make one that claims any member's (public) certificate.
 * So the responder spends as little as it can on one, in this order, and
 * nothing it learns changes what a genuine peer relies on:
 *
 *   1. size, type, version, reserved bytes, then mac1 (one HMAC);
 *   2. under load, mac2 (the sender receives at its address) or else a cookie
 *      reply, and a budget per source address;
 *   3. Noise message 1, which costs hashing only (IX's first message has no
 *      Diffie-Hellman), and the claimed key's session: its replay bar, exact
 *      copies of pending initiations, the clock (wf_session_judge);
 *   4. the certificate, through the cache: a signature only for a new one;
 *   5. three X25519 operations and a keypair, which waits in a pending slot
 *      of the session until the initiator sends on it (receive.c proves it).
 *
 * Peers, certificates, routes, endpoints and replay bars change only then, or
 * when a response to our own initiation proves the responder's key.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/bytes.h"
#include "common/log.h"
#include "core/lifecycle.h"
#include "core/message.h"
#include "daemon/daemon.h"
#include "daemon/data.h"
#include "daemon/handshake.h"
#include "daemon/index.h"
#include "daemon/kernel.h"
#include "daemon/membership.h"
#include "daemon/notice.h"
#include "daemon/peer.h"
#include "daemon/proven.h"
#include "daemon/udp.h"
#include "daemon/worker.h"

enum {
	HS_OFF_INIT = sizeof(struct wf_msg_init),
	HS_OFF_RESP = sizeof(struct wf_msg_resp),
	/* IX message 1 carries its payload in clear: e, s, payload. */
	INIT_PAYLOAD_MIN = WF_INIT_MIN_LEN - HS_OFF_INIT - WF_NOISE_IX_MSG1_FIXED - WF_INIT_MACS_LEN,
};

bool wf_handshake_setup(struct wf_daemon *d)
{
	uint64_t key;

	/* Constant inputs that fit: none of these can fail. */
	if (!wf_noise_protocol_parse(&d->node.proto, wf_hs_protocol_name(d->node.ca.cipher)) ||
	    !wf_hs_mac1_key(d->node.ca.pubkey, d->node.mac1_key))
		abort();
	d->node.prologue_len = wf_hs_prologue(d->node.ca.network, d->node.ca.pubkey, d->node.prologue,
					 sizeof(d->node.prologue));
	d->hs.load.threshold = WF_HS_LOAD_PER_S;
	d->hs.source_rate = wf_rate_make(WF_HS_SOURCE_PER_S, WF_HS_SOURCE_BURST);
	d->mem.rate = wf_rate_make(WF_MEMBER_PER_S, WF_MEMBER_BURST);
	d->hs.hearsay_rate = wf_rate_every(WF_HEARSAY_DEST_MS, 1);
	d->hs.sources = malloc(sizeof(*d->hs.sources));
	d->hs.hearsay_dests = malloc(sizeof(*d->hs.hearsay_dests));
	d->hs.notice_rate = wf_rate_make(WF_NOTICE_SOURCE_PER_S, WF_NOTICE_SOURCE_BURST);
	d->hs.notice_all = wf_rate_make(WF_NOTICE_PER_S, WF_NOTICE_BURST);
	d->hs.notice_sources = malloc(sizeof(*d->hs.notice_sources));
	if (!d->hs.sources || !d->hs.hearsay_dests || !d->hs.notice_sources ||
	    !wf_random(&key, sizeof(key)) ||
	    !wf_cookie_checker_init(&d->hs.cookies, d->node.ca.cipher, d->node.ca.pubkey))
		return false;
	wf_srclimit_init(d->hs.sources, key, false);
	wf_srclimit_init(d->hs.hearsay_dests, key * 0x9e3779b97f4a7c15ULL, true);
	wf_srclimit_init(d->hs.notice_sources, key * 0xbf58476d1ce4e5b9ULL, false);
	return true;
}

void wf_handshake_teardown(struct wf_daemon *d)
{
	free(d->hs.sources);
	free(d->hs.hearsay_dests);
	free(d->hs.notice_sources);
	d->hs.sources = NULL;
	d->hs.hearsay_dests = NULL;
	d->hs.notice_sources = NULL;
	wf_cookie_checker_free(&d->hs.cookies);
}

/* Our payload: certificate and the time; an initiation's padded. */
/* Certificate, timestamp, the data path we can run with p (NULL: a
 * bootstrap address), and an initiation's padding. */
static size_t our_payload(struct wf_daemon *d, const struct wf_peer *p, uint8_t *out, size_t cap,
			  bool initiation)
{
	size_t n = wf_hs_payload_encode(d->node.self_cert_enc, d->node.self_cert_len, wf_realtime_ns(), out,
					cap);
	struct wf_esp_caps caps = wf_kernel_caps(d, p);
	uint8_t v[WF_ESP_CAPS_LEN];

	if (n && caps.flags) {
		wf_esp_caps_encode(&caps, v);
		n = wf_hs_payload_add(out, n, cap, WF_HS_TLV_DATAPATH, v, sizeof(v));
	}
	return n && initiation ? wf_hs_payload_pad(out, n, cap, INIT_PAYLOAD_MIN) : n;
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
	return wf_handshake_backoff_ms(d->node.cfg.handshake_timeout_ms, attempts, wf_random_u32());
}

/* A Noise state for our side of a handshake, with a fresh ephemeral key (the
 * core draws no randomness: we draw it here). */
static bool noise_init(struct wf_daemon *d, struct wf_noise_handshake *hs, bool initiator)
{
	uint8_t e[WF_KEY_LEN];
	bool ok = wf_random(e, sizeof(e)) &&
		  wf_noise_handshake_init(hs, &d->node.proto, initiator, d->node.prologue,
					  d->node.prologue_len, d->node.static_priv, e, NULL, NULL);

	wf_wipe(e, sizeof(e));
	return ok;
}

/* Start an initiation to `to`, for a known peer or a bootstrap address. */
static struct wf_handshake *start(struct wf_daemon *d, struct wf_peer *p, struct wf_bootstrap *b,
				  const union wf_endpoint *to, int64_t now)
{
	uint8_t pkt[WF_HANDSHAKE_MAX], payload[WF_HANDSHAKE_MAX];
	struct wf_handshake *hs = calloc(1, sizeof(*hs));
	size_t plen, nlen, len;

	if (!hs)
		return NULL;
	hs->peer = p;
	hs->sent_ms = now;
	plen = our_payload(d, p, payload, sizeof(payload), true);
	if (!plen || !noise_init(d, &hs->noise, true))
		goto fail;
	if (!wf_noise_write_message(&hs->noise, payload, plen, pkt + HS_OFF_INIT,
				    sizeof(pkt) - HS_OFF_INIT - WF_INIT_MACS_LEN, &nlen))
		goto fail;
	hs->local_index = wf_index_add(d, WF_INDEX_HANDSHAKE, hs, p, b);
	if (!hs->local_index)
		goto fail;
	pkt[0] = WF_MSG_HANDSHAKE_INIT;
	pkt[1] = WF_PROTO_VERSION;
	pkt[2] = pkt[3] = 0;
	wf_put_le32(pkt + 4, hs->local_index);
	len = HS_OFF_INIT + nlen + WF_INIT_MACS_LEN;
	wf_hs_mac1(d->node.mac1_key, pkt, len - WF_INIT_MACS_LEN, pkt + len - WF_INIT_MACS_LEN);
	memcpy(hs->mac1, pkt + len - WF_INIT_MACS_LEN, WF_MAC_LEN);
	wf_cookie_jar_sign(p ? &p->cookie : &b->cookie, pkt, len, now);
	wf_udp_send(d, p, to, pkt, len);
	d->hs.count.initiated++;
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
	/* Revoked: every member refuses us; calling them is noise. */
	if (wf_notice_self_revoked(d)) {
		p->hs_next_ms = now + WF_NOTICE_IDLE_MS;
		return;
	}
	wf_endpoint_str(&p->endpoint, ep, sizeof(ep));
	/* A told endpoint is a hint: after a few tries without an answer it
	 * goes, and a later report (or the peer itself) may give another. */
	if (p->ep_source == WF_EP_HEARSAY && p->ep_tries >= WF_HEARSAY_TRIES) {
		log_info("peer %s: %s (as %s said) never answered; forgetting that address",
			 p->cert.name, ep, p->ep_via);
		wf_peer_retire_endpoint(d, p);
		wf_members_ask_endpoint(d, p, now);
		return;
	}
	/* No reflection: what members tell cannot make us send more than one
	 * initiation every WF_HEARSAY_DEST_MS to an address that never
	 * answered, however many members they place there, however often. */
	if (p->ep_source == WF_EP_HEARSAY &&
	    !wf_srclimit_allow(d->hs.hearsay_dests, &d->hs.hearsay_rate, &p->endpoint, now)) {
		log_debug("handshake: %s at %s (as %s said) waits: that address had an initiation "
			  "of ours lately", p->cert.name, ep, p->ep_via);
		d->hs.count.hearsay_held++;
		p->hs_next_ms = now + backoff_ms(d, p->hs_attempts);
		return;
	}
	if (p->hs)
		wf_handshake_abort(d, p->hs);
	log_debug("handshake: initiating with %s at %s (attempt %u)", p->cert.name, ep,
		  p->hs_attempts + 1);
	p->hs = start(d, p, NULL, &p->endpoint, now);
	p->hs_next_ms = now + backoff_ms(d, p->hs_attempts);
	p->hs_attempts++;
	p->ep_tries++;
}

void wf_handshake_bootstrap(struct wf_daemon *d, struct wf_bootstrap *b, int64_t now)
{
	if (wf_notice_self_revoked(d)) {
		b->next_ms = now + WF_NOTICE_IDLE_MS;
		return;
	}
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
	/* A join that fails must not be silent: say whom we call, and when
	 * three calls went unanswered, what that usually means. */
	if (b->attempts == 1) {
		char at[WF_ADDR_STRLEN];

		log_info("bootstrap %s: calling %s", b->spec,
			 wf_endpoint_str(&b->endpoint, at, sizeof(at)));
	} else if (b->attempts == 4 || b->attempts % 10 == 0) {
		log_warnx("bootstrap %s: no answer to %u handshakes (is weft running there, for this "
			  "network's CA, with its UDP port open to this host?); will retry",
			  b->spec, b->attempts - 1);
	}
	b->hs = start(d, NULL, b, &b->endpoint, now);
}

/* The keypair for index entry e with p, and its ESP keys if the pair is on
 * the kernel path (the other end's datapath TLV: caps, caps_len). */
static struct wf_keypair *split(struct wf_daemon *d, struct wf_noise_handshake *hs, bool initiator,
				struct wf_peer *p, struct wf_index_entry *e, const uint8_t *caps,
				size_t caps_len, uint32_t remote, int64_t now)
{
	uint8_t c1[WF_KEY_LEN], c2[WF_KEY_LEN];
	struct wf_keypair *kp = NULL;

	if (wf_noise_split(hs, c1, c2, NULL))
		kp = wf_keypair_new(d->node.ca.cipher, c1, c2, initiator, e->index, remote, now,
				    d->dp.n_workers + 1); /* the workers' contexts, then ours */
	if (kp)
		wf_kernel_keypair(d, p, e, kp, caps, caps_len, c1, c2);
	wf_wipe(c1, sizeof(c1));
	wf_wipe(c2, sizeof(c2));
	return kp;
}

/* --- responder -------------------------------------------------------- */

/* What the responder reads from message 1 before it spends anything. */
struct init_msg {
	struct wf_noise_handshake hs;
	struct wf_hs_payload payload;
	uint8_t plain[WF_HANDSHAKE_MAX];
	uint8_t hash[WF_INIT_HASH_LEN];
	uint32_t sender;
	bool validated; /* a valid mac2: it receives where it sends from */
	char from[WF_ADDR_STRLEN];
};

static bool read_init(struct wf_daemon *d, const uint8_t *pkt, size_t len, struct init_msg *m)
{
	uint8_t full[WF_SHA256_LEN];
	size_t body = len - WF_INIT_MACS_LEN, plen;

	m->sender = wf_get_le32(pkt + 4);
	if (!wf_sha256(full, pkt, body) || !noise_init(d, &m->hs, false))
		return false;
	memcpy(m->hash, full, sizeof(m->hash));
	if (!wf_noise_read_message(&m->hs, pkt + HS_OFF_INIT, body - HS_OFF_INIT, m->plain,
				   sizeof(m->plain), &plen) ||
	    !wf_hs_payload_decode(&m->payload, m->plain, plen)) {
		log_warnx_rl("handshake from %s: malformed initiation", m->from);
		return false;
	}
	return true;
}

/* Our own initiation came back to us: a bootstrap address that is this node. */
static void initiated_by_us(struct wf_daemon *d, uint32_t sender)
{
	struct wf_index_entry *e = wf_index_find(d, sender);
	struct wf_bootstrap *b = e && e->kind == WF_INDEX_HANDSHAKE ? e->bootstrap : NULL;

	if (!b || b->is_self)
		return;
	log_info("bootstrap %s is this node itself; not asking it again", b->spec);
	b->is_self = b->answered = true;
	b->hs = NULL;
	wf_handshake_abort(d, e->ptr);
}

static bool from_proven_endpoint(const struct wf_peer *p, const union wf_endpoint *from)
{
	return p && p->has_endpoint && p->ep_source == WF_EP_AUTHENTIC &&
	       wf_endpoint_equal(&p->endpoint, from);
}

/* The session's judgement of an initiation for p (none yet: a new peer),
 * said in the log where it refuses. */
static enum wf_init_verdict judge(struct wf_peer *p, const struct init_msg *m,
				  const union wf_endpoint *from, bool validated, int *slot)
{
	static const struct wf_session none;
	uint64_t now = wf_realtime_ns();
	uint8_t source[WF_SOURCE_LEN];
	struct wf_init_seen in = {
	    .hash = m->hash,
	    .ts = m->payload.timestamp,
	    .source = source,
	    .from_endpoint = from_proven_endpoint(p, from),
	    .validated = validated,
	};
	enum wf_init_verdict v;

	wf_source_of(from, source);
	v = wf_session_judge(p ? &p->session : &none, &in, now, slot);
	if (v == WF_INIT_REPLAY || v == WF_INIT_DUPLICATE)
		log_debug("handshake from %s: replayed initiation", m->from);
	if (v == WF_INIT_FUTURE)
		log_warnx_rl("handshake from %s%s%s: stamped %llu s ahead of our clock, refused "
			     "(is the clock right on both hosts?)",
			     m->from, p ? " for " : "", p ? p->cert.name : "",
			     (unsigned long long)((m->payload.timestamp - now) / 1000000000ULL));
	return v;
}

/* Not rate-limited, as in WireGuard: a budget here would let a flood from
 * spoofed addresses starve genuine initiators of their cookies. A reply is
 * smaller than the smallest initiation, so it amplifies nothing. */
static void send_cookie(struct wf_daemon *d, const uint8_t *pkt, size_t len,
			const union wf_endpoint *from, int64_t now)
{
	uint8_t reply[WF_COOKIE_REPLY_LEN], nonce[WF_COOKIE_NONCE_LEN];

	_Static_assert(WF_COOKIE_REPLY_LEN < sizeof(struct wf_msg_init) + WF_NOISE_IX_MSG1_FIXED +
						 WF_INIT_MACS_LEN,
		       "a cookie reply must be smaller than any initiation");
	wf_count_drop(d, NULL, WF_DROP_COOKIE);
	if (wf_random(nonce, sizeof(nonce)) &&
	    wf_cookie_reply(&d->hs.cookies, from, pkt, len, now, nonce, reply)) {
		wf_udp_send(d, NULL, from, reply, sizeof(reply));
		d->hs.count.cookies++;
	}
}

/* The certificate of message 1, for the key that made it; one refused for
 * the revocation list is told so (notice.c). */
static bool init_cert(struct wf_daemon *d, const struct init_msg *m, struct wf_cert *cert,
		      size_t len, const union wf_endpoint *from, int64_t now)
{
	bool revoked;

	if (!wf_peer_cert_verdict(d, m->payload.cert, m->payload.cert_len, cert, m->from, &revoked)) {
		/* (Its own key made message 1: a certificate of another's
		 * key is no one's to be told.) */
		if (revoked && wf_memeq(cert->pubkey, m->hs.rs, WF_KEY_LEN))
			wf_notice_send(d, cert, len, m->sender, from, now);
		return false;
	}
	if (!wf_memeq(cert->pubkey, m->hs.rs, WF_KEY_LEN)) {
		log_warnx_rl("handshake from %s: certificate of %s is not for the key used", m->from,
			     cert->name);
		return false;
	}
	return true;
}

/* Answer: three DH, and a keypair that waits, unproven, in a pending slot. */
static void respond(struct wf_daemon *d, struct wf_peer *p, struct init_msg *m, int slot,
		    const struct wf_cert *cert, const union wf_endpoint *from, int64_t now)
{
	uint8_t payload[WF_HANDSHAKE_MAX], resp[WF_HANDSHAKE_MAX];
	struct wf_index_entry *e;
	struct wf_keypair *kp, *evicted;
	size_t plen = our_payload(d, p, payload, sizeof(payload), false), nlen;
	uint32_t local;

	if (!plen || !wf_noise_write_message(&m->hs, payload, plen, resp + HS_OFF_RESP,
					     sizeof(resp) - HS_OFF_RESP - WF_MAC_LEN, &nlen)) {
		wf_count_drop(d, p, WF_DROP_HANDSHAKE);
		return;
	}
	local = wf_index_add(d, WF_INDEX_KEYPAIR, NULL, p, NULL);
	e = local ? wf_index_find(d, local) : NULL;
	kp = e ? split(d, &m->hs, false, p, e, m->payload.datapath, m->payload.datapath_len,
		       m->sender, now)
	       : NULL;
	if (!kp) {
		if (local)
			wf_index_del(d, local);
		return;
	}
	e->ptr = kp;
	if (memcmp(cert->signature, p->cert.signature, WF_SIG_LEN)) {
		e->offered = malloc(sizeof(*e->offered));
		if (e->offered)
			*e->offered = *cert;
	}
	kp->hs_timestamp = m->payload.timestamp;
	kp->from_endpoint = slot == 0;
	kp->validated = m->validated;
	wf_source_of(from, kp->source);
	memcpy(kp->init_hash, m->hash, WF_INIT_HASH_LEN);
	wf_session_add_pending(&p->session, slot, kp, &evicted);
	/* Data on it goes to us until a packet proves it (receive.c, prove);
	 * a rekey's the workers take, and tell us of the proof. */
	e->direct = p->proven && !e->offered;
	__atomic_store_n(&e->live, WF_LIVE_PENDING, __ATOMIC_RELEASE);
	wf_peer_drop_keypair(d, evicted);
	resp[0] = WF_MSG_HANDSHAKE_RESP;
	resp[1] = WF_PROTO_VERSION;
	resp[2] = resp[3] = 0;
	wf_put_le32(resp + 4, local);
	wf_put_le32(resp + 8, m->sender);
	wf_hs_mac1(d->node.mac1_key, resp, HS_OFF_RESP + nlen, resp + HS_OFF_RESP + nlen);
	wf_udp_send(d, p, from, resp, HS_OFF_RESP + nlen + WF_MAC_LEN);
	d->hs.count.answered++;
	log_debug("handshake: answered %s (unproven until it sends)", p->cert.name);
}

/* The length of our response: header, Noise message 2 with our payload
 * (certificate and timestamp TLVs), mac1. */
static size_t resp_len(const struct wf_daemon *d)
{
	size_t datapath = d->kern.on ? 3 + WF_ESP_CAPS_LEN : 0;

	return HS_OFF_RESP + WF_NOISE_IX_MSG2_FIXED + (3 + d->node.self_cert_len + 3 + 8) + datapath +
	       WF_MAC_LEN;
}

/* What the rule decided, other than an answer: a cookie, or a drop counted
 * under its reason (for p, the peer the initiation claims, if known). */
static void refuse(struct wf_daemon *d, struct wf_peer *p, enum wf_lci_act act,
		   const uint8_t *pkt, size_t len, const union wf_endpoint *from, int64_t now)
{
	switch (act) {
	case WF_LCI_COOKIE:
		send_cookie(d, pkt, len, from, now);
		break;
	case WF_LCI_DROP_RATE:
		wf_count_drop(d, NULL, WF_DROP_RATE_LIMIT);
		break;
	case WF_LCI_DROP_MALFORMED:
		wf_count_drop(d, NULL, WF_DROP_HANDSHAKE);
		break;
	case WF_LCI_DROP_REPLAY:
		wf_count_drop(d, p, WF_DROP_HS_REPLAY);
		break;
	case WF_LCI_DROP_CLOCK:
		wf_count_drop(d, p, WF_DROP_HS_CLOCK);
		break;
	case WF_LCI_DROP_CERT:
		wf_count_drop(d, NULL, WF_DROP_CERT);
		break;
	case WF_LCI_GO:
	case WF_LCI_ANSWER:
	case WF_LCI_OURS:
		break;
	}
}

/* Message 1 read (a DH) and judged by the session; then, if the rule says
 * go on, its certificate checked; then answered if the rule says so. */
static void handle_init(struct wf_daemon *d, const uint8_t *pkt, size_t len,
			const union wf_endpoint *from, struct wf_lc_init *f, int64_t now)
{
	struct init_msg m;
	struct wf_cert cert;
	struct wf_peer *p = NULL;
	enum wf_lci_act act;
	int slot = -1;

	memset(&m, 0, sizeof(m));
	m.validated = f->validated;
	wf_endpoint_str(from, m.from, sizeof(m.from));
	f->stage = WF_LCI_READ;
	f->readable = read_init(d, pkt, len, &m);
	f->own_key = f->readable && !memcmp(m.hs.rs, d->node.self.pubkey, WF_KEY_LEN);
	if (f->readable && !f->own_key) {
		p = wf_peer_find(d, m.hs.rs);
		f->verdict = judge(p, &m, from, f->validated, &slot);
	}
	if ((act = wf_lc_initiation(f)) == WF_LCI_GO) {
		f->stage = WF_LCI_CERTIFIED;
		f->cert_ok = init_cert(d, &m, &cert, len, from, now);
		f->fits = resp_len(d) <= len;
		act = wf_lc_initiation(f);
	}
	if (act == WF_LCI_OURS)
		initiated_by_us(d, m.sender);
	if (act == WF_LCI_ANSWER && !p)
		p = wf_peer_add(d, &cert, now);
	if (act == WF_LCI_ANSWER && p)
		respond(d, p, &m, slot, &cert, from, now);
	refuse(d, p, act, pkt, len, from, now);
	wf_noise_handshake_clear(&m.hs);
}

static bool mac2_present(const uint8_t *pkt, size_t len)
{
	static const uint8_t zero[WF_MAC_LEN];

	return memcmp(pkt + len - WF_MAC_LEN, zero, WF_MAC_LEN) != 0;
}

/* A new cookie secret once the old one has expired. A failed draw leaves it
 * stale, and a stale secret makes no cookie and accepts no mac2, until a
 * later initiation draws again. */
static void cookie_secret_refresh(struct wf_daemon *d, int64_t now)
{
	uint8_t secret[WF_COOKIE_SECRET_LEN];

	if (!wf_cookie_secret_due(&d->hs.cookies, now))
		return;
	if (wf_random(secret, sizeof(secret)))
		wf_cookie_secret_set(&d->hs.cookies, secret, now);
	wf_wipe(secret, sizeof(secret));
}

/* An initiation: before anything is spent on it, the rule's first stage
 * (under load, a cookie or the source's budget). */
static void receive_init(struct wf_daemon *d, const uint8_t *pkt, size_t len,
			 const union wf_endpoint *from, int64_t now)
{
	struct wf_lc_init f = {.stage = WF_LCI_ARRIVED};
	enum wf_lci_act act;

	/* Under load: many handshakes a second, or many waiting behind this
	 * one in a worker's queue. */
	f.under_load = wf_load_note(&d->hs.load, now) | (d->dp.ctl_backlog >= WF_CTLQ_LOAD);
	cookie_secret_refresh(d, now);
	f.validated = mac2_present(pkt, len) && wf_cookie_mac2_ok(&d->hs.cookies, from, pkt, len, now);
	/* (The budget is spent only where it is asked.) */
	f.rate_ok = !(f.under_load && f.validated) ||
		    wf_srclimit_allow(d->hs.sources, &d->hs.source_rate, from, now);
	if ((act = wf_lc_initiation(&f)) != WF_LCI_GO) {
		refuse(d, NULL, act, pkt, len, from, now);
		return;
	}
	handle_init(d, pkt, len, from, &f, now);
}

/* --- initiator -------------------------------------------------------- */

/* Read a response into noise (a copy) and gather what the rule needs. */
static void read_resp(struct wf_daemon *d, const struct wf_handshake *hs,
		      struct wf_noise_handshake *noise, const uint8_t *pkt, size_t len,
		      const union wf_endpoint *from, struct wf_cert *cert, struct wf_esp_caps *caps,
		      struct wf_lc_resp *f)
{
	uint8_t payload[WF_HANDSHAKE_MAX];
	char ep[WF_ADDR_STRLEN];
	struct wf_hs_payload hp;
	size_t plen;

	wf_endpoint_str(from, ep, sizeof(ep));
	f->readable = wf_noise_read_message(noise, pkt + HS_OFF_RESP, len - HS_OFF_RESP - WF_MAC_LEN,
					    payload, sizeof(payload), &plen) &&
		      wf_hs_payload_decode(&hp, payload, plen);
	if (!f->readable)
		return;
	f->cert_ok = wf_peer_cert_check(d, hp.cert, hp.cert_len, cert, ep) &&
		     wf_memeq(cert->pubkey, noise->rs, WF_KEY_LEN);
	if (!f->cert_ok)
		return;
	memset(caps, 0, sizeof(*caps));
	if (hp.datapath && !wf_esp_caps_decode(caps, hp.datapath, hp.datapath_len))
		memset(caps, 0, sizeof(*caps));
	f->other = hs->peer && memcmp(hs->peer->cert.pubkey, noise->rs, WF_KEY_LEN);
	if (f->other)
		log_warnx_rl("handshake: %s answered from %s for %s", cert->name, ep,
			     hs->peer->cert.name);
	f->own_key = !memcmp(noise->rs, d->node.self.pubkey, WF_KEY_LEN);
}

/* The rule's verdict on a response (core/lifecycle.c): true to take it;
 * a drop counted under its reason. */
static bool check_resp(struct wf_daemon *d, const struct wf_handshake *hs,
		       struct wf_noise_handshake *noise, const uint8_t *pkt, size_t len,
		       const union wf_endpoint *from, struct wf_cert *cert, struct wf_esp_caps *caps)
{
	struct wf_lc_resp f = {0};

	read_resp(d, hs, noise, pkt, len, from, cert, caps, &f);
	switch (wf_lc_response(&f)) {
	case WF_LCR_TAKE:
		return true;
	case WF_LCR_DROP_MALFORMED:
	case WF_LCR_DROP_OTHER:
		wf_count_drop(d, hs->peer, WF_DROP_HANDSHAKE);
		break;
	case WF_LCR_DROP_CERT:
		wf_count_drop(d, hs->peer, WF_DROP_CERT);
		break;
	case WF_LCR_DROP_OURS:
		break;
	}
	return false;
}

/* Our initiation was answered, and the answer proves the responder's key:
 * the session is established for us. */
static void handle_resp(struct wf_daemon *d, const uint8_t *pkt, size_t len,
			const union wf_endpoint *from, int64_t now)
{
	struct wf_index_entry *e = wf_index_find(d, wf_get_le32(pkt + 8));
	struct wf_noise_handshake noise;
	struct wf_keypair *kp;
	struct wf_handshake *hs;
	struct wf_esp_caps caps;
	uint8_t caps_enc[WF_ESP_CAPS_LEN];
	struct wf_cert cert;
	struct wf_peer *p;

	if (!e || e->kind != WF_INDEX_HANDSHAKE) {
		wf_count_drop(d, NULL, WF_DROP_UNKNOWN_INDEX);
		return;
	}
	hs = e->ptr;
	/* Read into a copy: a forged or corrupted response must not spend the
	 * state the real response needs. Copying is safe for IX because after
	 * message 1 the initiator has no cipher key yet (no AEAD context). */
	noise = hs->noise;
	if (!check_resp(d, hs, &noise, pkt, len, from, &cert, &caps))
		goto out;
	p = hs->peer ? hs->peer : wf_peer_find(d, noise.rs);
	if (!p && !(p = wf_peer_add(d, &cert, now)))
		goto out;
	wf_esp_caps_encode(&caps, caps_enc);
	kp = split(d, &noise, true, p, e, caps_enc, sizeof(caps_enc), wf_get_le32(pkt + 4), now);
	if (!kp)
		goto out;
	if (e->bootstrap) {
		log_info("bootstrap %s: %s answered", e->bootstrap->spec, cert.name);
		e->bootstrap->hs = NULL;
		e->bootstrap->answered = true;
		e->bootstrap->attempts = 0;
	}
	/* The index now names the keypair, not the handshake. */
	e->kind = WF_INDEX_KEYPAIR;
	e->ptr = kp;
	e->peer = p;
	e->bootstrap = NULL;
	if (p->hs == hs)
		p->hs = NULL;
	wf_noise_handshake_clear(&hs->noise);
	free(hs);
	p->esp.caps = caps;
	wf_session_proven(d,
			  &(struct wf_proof){.peer = p, .entry = e, .kp = kp, .we_initiated = true,
					     .cert = &cert, .from = from},
			  now);
out:
	wf_noise_handshake_clear(&noise);
}

/* Under load the responder asks us to prove our address: keep its cookie
 * for the next attempt. */
static void handle_cookie(struct wf_daemon *d, const uint8_t *pkt, size_t len, int64_t now)
{
	struct wf_index_entry *e = wf_index_find(d, wf_get_le32(pkt + 4));
	struct wf_handshake *hs;

	if (!e || e->kind != WF_INDEX_HANDSHAKE) {
		wf_count_drop(d, NULL, WF_DROP_UNKNOWN_INDEX);
		return;
	}
	hs = e->ptr;
	if (!wf_cookie_take(&d->hs.cookies, pkt, len, hs->mac1,
			    hs->peer ? &hs->peer->cookie : &e->bootstrap->cookie, now)) {
		wf_count_drop(d, hs->peer, WF_DROP_HANDSHAKE);
		return;
	}
	log_debug("handshake: %s is under load and sent a cookie",
		  hs->peer ? hs->peer->cert.name : e->bootstrap->spec);
}

void wf_handshake_receive(struct wf_daemon *d, uint8_t *pkt, size_t len,
			  const union wf_endpoint *from, int64_t now)
{
	size_t min, max = WF_HANDSHAKE_MAX;

	switch (pkt[0]) {
	case WF_MSG_REVOKED:
		wf_notice_receive(d, pkt, len, from, now);
		return;
	case WF_MSG_HANDSHAKE_INIT:
		min = HS_OFF_INIT + WF_NOISE_IX_MSG1_FIXED + WF_INIT_MACS_LEN;
		break;
	case WF_MSG_HANDSHAKE_RESP:
		min = HS_OFF_RESP + WF_NOISE_IX_MSG2_FIXED + WF_MAC_LEN;
		break;
	default:
		min = max = WF_COOKIE_REPLY_LEN;
		break;
	}
	if (len < min || len > max || pkt[2] || pkt[3]) {
		wf_count_drop(d, NULL, WF_DROP_MALFORMED);
		return;
	}
	if (pkt[0] == WF_MSG_COOKIE) {
		handle_cookie(d, pkt, len, now);
		return;
	}
	/* mac1 first: without the network's CA certificate, nothing else. */
	if (!wf_hs_mac1_ok(d->node.mac1_key, pkt,
			   pkt[0] == WF_MSG_HANDSHAKE_INIT ? len - WF_MAC_LEN : len)) {
		wf_count_drop(d, NULL, WF_DROP_HANDSHAKE);
		return;
	}
	if (pkt[0] == WF_MSG_HANDSHAKE_INIT)
		receive_init(d, pkt, len, from, now);
	else
		handle_resp(d, pkt, len, from, now);
}
