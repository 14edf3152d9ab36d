/* SPDX-License-Identifier: MIT */
/*
 * Membership in the daemon: src/core/gossip.c (SWIM with Lifeguard) wired to
 * the sessions. The core decides; this file carries its messages inside the
 * encrypted sessions (WF_MSG_CONTROL, kinds 2-8) and acts on its events.
 *
 * A session that comes up (never a mere rekey) is a contact: the core holds
 * the peer alive and, if it is new or back from the dead, compares tables
 * with it. A key learned by gossip is not a member until its certificate is
 * verified here: the core keeps the record waiting (core/gossip_wait.c) and
 * asks us to fetch the certificate (WF_GE_CERT): from what we hold already,
 * or with a CERT_REQ to whoever told us, answered by a MEMBER message with
 * the certificate and the endpoint it reaches the member at. Only the answer
 * to a question is taken (a MEMBER nobody asked for is dropped and counted
 * as `unsolicited`). The certificate must verify like any other; the node
 * stays unproven until it answers a handshake of ours, and the endpoint is
 * only a hint (wf_peer_hearsay). So a member can neither make us count a key
 * no CA signed, nor route an address to anyone who does not hold the key
 * its certificate names.
 *
 * The core's verdicts change no session: a suspect or dead member keeps its
 * session for as long as authentic packets arrive on it. A member that left
 * is no longer called; a forgotten one (dead or left for an hour) is
 * removed unless its session still lives.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "common/bytes.h"
#include "common/log.h"
#include "core/lifecycle.h"
#include "core/message.h"
#include "daemon/daemon.h"
#include "daemon/data.h"
#include "daemon/membership.h"
#include "daemon/mtu.h"
#include "daemon/peer.h"
#include "daemon/revoked.h"

enum {
	TIE_BREAK_DELAY_MS = 1000,
	OUT_MSGS = 64,
	OUT_EVENTS = 256,
	ASKED_MS = 5000, /* a MEMBER about a known peer answers us this long after we asked */
};

bool wf_members_init(struct wf_daemon *d, int64_t now)
{
	struct wf_gossip_cfg cfg;
	uint64_t inc;

	wf_gossip_cfg_default(&cfg);
	/* The periods weft.conf may set (0: the default); what is counted in
	 * periods (suspicion, Lifeguard's health) follows. */
	if (d->node.cfg.gossip_probe_ms) {
		cfg.probe_ms = d->node.cfg.gossip_probe_ms;
		cfg.probe_timeout_ms = cfg.probe_ms / 2;
	}
	if (d->node.cfg.gossip_sync_ms)
		cfg.sync_ms = cfg.reconnect_ms = d->node.cfg.gossip_sync_ms;
	/* 1,200 bytes of plaintext (the default): with the data header, tag,
	 * UDP and IPv6 headers, 1,288 bytes on the wire, which any path that
	 * carries weft at all takes without fragments. */
	/* Incarnations from the wall clock: a restarted node outlives what the
	 * mesh remembers of its last life without having to store it. */
	inc = wf_realtime_ns() / 1000000;
	d->mem.out = (struct wf_gossip_out){
		.msg = calloc(OUT_MSGS, sizeof(struct wf_gossip_msg)),
		.ev = calloc(OUT_EVENTS, sizeof(struct wf_gossip_event)),
		.cap = OUT_MSGS,
		.ev_cap = OUT_EVENTS,
	};
	if (!d->mem.out.msg || !d->mem.out.ev ||
	    !wf_gossip_init(&d->mem.gossip, &cfg, d->node.self.pubkey, inc,
			    (uint64_t)wf_random_u32() << 32 | wf_random_u32(), now)) {
		wf_members_release(d);
		return false;
	}
	return true;
}

void wf_members_release(struct wf_daemon *d)
{
	wf_gossip_free(&d->mem.gossip);
	free(d->mem.out.msg);
	free(d->mem.out.ev);
	memset(&d->mem.out, 0, sizeof(d->mem.out));
}

_Static_assert((int)WF_GOSSIP_EP_MAX >= (int)WF_ENDPOINT_PACKED_MAX, "gossip records carry endpoints");

bool wf_members_send(struct wf_daemon *d, struct wf_peer *p, const uint8_t *msg, size_t len,
		     int64_t now)
{
	uint8_t buf[WF_DATA_HEADER_LEN + WF_GOSSIP_MTU_MAX + WF_AEAD_TAG_LEN];
	struct wf_keypair *kp;

	if (!p || !p->has_endpoint || len > WF_GOSSIP_MTU_MAX)
		return false;
	kp = wf_session_sendable(&p->session, &d->node.limits, now);
	if (!kp)
		return false;
	memcpy(buf + WF_DATA_HEADER_LEN, msg, len);
	return wf_data_send(d, p, kp, WF_MSG_CONTROL, buf + WF_DATA_HEADER_LEN, len, now);
}

static void ask_cert(struct wf_daemon *d, const uint8_t *key, struct wf_peer *via, int64_t now)
{
	uint8_t req[1 + WF_KEY_LEN] = {WF_CTL_CERT_REQ};

	memcpy(req + 1, key, WF_KEY_LEN);
	if (!wf_members_send(d, via, req, sizeof(req), now))
		d->mem.unsent++;
}

static void on_state(struct wf_daemon *d, const struct wf_gossip_event *e)
{
	struct wf_peer *p = wf_peer_find(d, e->key);
	const char *name = p ? p->cert.name : "(a member we hold no certificate of)";

	if (p)
		p->member_state = e->state;
	if (e->state == WF_GS_ALIVE)
		log_info("member %s is alive", name);
	else
		log_info("member %s is %s%s", name, wf_gossip_state_name(e->state),
			 e->state == WF_GS_LEFT ? "" : " (its sessions stay while it answers)");
}

static void on_forget(struct wf_daemon *d, const struct wf_gossip_event *e, int64_t now)
{
	struct wf_peer *p = wf_peer_find(d, e->key);

	if (!wf_lc_forget(p != NULL, p && wf_peer_up(d, p, now)))
		return;
	log_info("member %s forgotten (dead or gone for %u s)", p->cert.name,
		 d->mem.gossip.cfg.forget_ms / 1000);
	wf_peer_remove(d, p);
}

static void on_endpoint(struct wf_daemon *d, const struct wf_gossip_event *e)
{
	const struct wf_gmember *m = wf_gossip_find(&d->mem.gossip, e->key);
	struct wf_peer *p = wf_peer_find(d, e->key), *via = wf_peer_find(d, e->from);
	union wf_endpoint ep;

	if (p && m && via && wf_endpoint_unpack(m->ep, m->ep_len, &ep))
		wf_peer_hearsay(d, p, &ep, via->cert.name); /* (which refuses "none") */
}

/* The core waits for key's certificate: vouch for it if we hold it
 * verified already, else ask the member named for it. */
static void on_cert(struct wf_daemon *d, const struct wf_gossip_event *e, int64_t now)
{
	struct wf_peer *p = wf_peer_find(d, e->key);

	if (p) {
		wf_peer_told(d, p); /* (a stranger until a member told of it) */
		wf_gossip_certified(&d->mem.gossip, e->key, now, &d->mem.out);
		return;
	}
	ask_cert(d, e->key, wf_peer_find(d, e->from), now);
}

/* Act on what the core produced: follow its events (which may make more),
 * then send its messages. */
static void flush(struct wf_daemon *d, int64_t now)
{
	struct wf_gossip_out *o = &d->mem.out;

	for (unsigned i = 0; i < o->n_ev; i++) {
		const struct wf_gossip_event *e = &o->ev[i];

		switch (e->kind) {
		case WF_GE_CERT:
			on_cert(d, e, now);
			break;
		case WF_GE_STATE:
			on_state(d, e);
			break;
		case WF_GE_ENDPOINT:
			on_endpoint(d, e);
			break;
		case WF_GE_FORGET:
			on_forget(d, e, now);
			break;
		case WF_GE_EPOCH:
			wf_revoked_compared(d, e->from, e->value, now);
			break;
		}
	}
	for (unsigned i = 0; i < o->n; i++)
		if (!wf_members_send(d, wf_peer_find(d, o->msg[i].to), o->msg[i].buf, o->msg[i].len, now))
			d->mem.unsent++;
	d->mem.overflow += o->dropped;
	o->n = o->n_ev = 0;
	o->dropped = 0;
}

void wf_members_peer_up(struct wf_daemon *d, struct wf_peer *p, int64_t now)
{
	uint8_t ep[WF_ENDPOINT_PACKED_MAX];

	if (p->mesh_up)
		return;
	p->mesh_up = true;
	wf_gossip_contact(&d->mem.gossip, p->cert.pubkey, ep,
			  p->has_endpoint ? wf_endpoint_pack(&p->endpoint, ep) : 0, now, &d->mem.out);
	flush(d, now);
}

/* Tell `to` about m: its certificate, and where we reach it. */
static void send_member(struct wf_daemon *d, struct wf_peer *to, const struct wf_peer *m,
			int64_t now)
{
	uint8_t buf[WF_CERT_MAX_ENCODED + 64];
	uint8_t cert[WF_CERT_MAX_ENCODED];
	size_t clen, len;

	clen = wf_cert_encode(&m->cert, cert, sizeof(cert));
	len = clen ? wf_member_encode(cert, clen, m->has_endpoint ? &m->endpoint : NULL, buf,
				      sizeof(buf))
		   : 0;
	if (len)
		wf_members_send(d, to, buf, len, now);
}

/* A member we did not know of: unproven until it answers us. */
static void learned(struct wf_daemon *d, struct wf_peer *from, const struct wf_cert *cert,
		    const struct wf_member_msg *m, int64_t now)
{
	struct wf_peer *p = wf_peer_add_told(d, cert, now);

	if (!p)
		return;
	if (!m->has_endpoint || !wf_peer_hearsay(d, p, &m->endpoint, from->cert.name)) {
		/* Nowhere to try: it is kept only until it contacts us. */
		log_debug("learned of %s from %s, without a usable endpoint", cert->name,
			  from->cert.name);
		return;
	}
	log_info("learned of %s from %s", cert->name, from->cert.name);
	wf_peer_first_call(d, p, now, 0, TIE_BREAK_DELAY_MS);
}

/* Did we ask for p's MEMBER message lately (its told endpoint was given up)? */
static bool asked(const struct wf_peer *p, int64_t now)
{
	return p->asked_ms && now - p->asked_ms < ASKED_MS;
}

/* Is a MEMBER message about key an answer: to the core's question about a
 * key it was told of, or to ours about a member whose told endpoint we gave
 * up? */
static bool solicited(struct wf_daemon *d, const uint8_t *key, int64_t now)
{
	const struct wf_peer *p = wf_peer_find(d, key);

	return wf_gossip_waiting(&d->mem.gossip, key) || (p && asked(p, now));
}

/* A MEMBER message, judged by the rule (core/lifecycle.h, wf_lc_told). */
static void got_member(struct wf_daemon *d, struct wf_peer *from, const uint8_t *msg, size_t len,
		       int64_t now)
{
	char via[WF_CERT_NAME_MAX + 16];
	struct wf_lc_told f = {0};
	struct wf_member_msg m;
	struct wf_cert cert;
	struct wf_peer *p = NULL;

	f.decoded = wf_member_decode(&m, msg, len) && !wf_cert_decode(&cert, m.cert, m.cert_len);
	f.solicited = f.decoded && solicited(d, cert.pubkey, now);
	/* A refusal is the certificate's fault, not the relaying member's. */
	snprintf(via, sizeof(via), "(relayed by %s)", from->cert.name);
	f.cert_ok = f.solicited && wf_peer_cert_check(d, m.cert, m.cert_len, &cert, via);
	f.known = f.cert_ok && (p = wf_peer_find(d, cert.pubkey)) != NULL;
	switch (wf_lc_told(&f)) {
	case WF_LCM_DROP_MALFORMED:
		wf_count_drop(d, from, WF_DROP_MALFORMED);
		return;
	case WF_LCM_DROP_UNSOLICITED:
		wf_count_drop(d, from, WF_DROP_UNSOLICITED);
		return;
	case WF_LCM_DROP_CERT:
		wf_count_drop(d, NULL, WF_DROP_CERT);
		return;
	case WF_LCM_LEARN:
		learned(d, from, &cert, &m, now);
		break;
	case WF_LCM_CONFIRM:
		wf_peer_told(d, p);
		if (m.has_endpoint)
			wf_peer_hearsay(d, p, &m.endpoint, from->cert.name);
		break;
	}
	wf_gossip_certified(&d->mem.gossip, cert.pubkey, now, &d->mem.out);
	flush(d, now);
}

void wf_members_receive(struct wf_daemon *d, struct wf_peer *from, const uint8_t *msg, size_t len,
			int64_t now)
{
	struct wf_peer *p;

	if (!wf_rate_allow(&d->mem.rate, &from->member_tat, now)) {
		wf_count_drop(d, from, WF_DROP_RATE_LIMIT);
		return;
	}
	if (!len) {
		wf_count_drop(d, from, WF_DROP_MALFORMED);
		return;
	}
	switch (msg[0]) {
	case WF_CTL_MEMBER:
		got_member(d, from, msg, len, now);
		return;
	case WF_CTL_REVOKED:
		wf_revoked_receive(d, from, msg, len, now);
		return;
	case WF_CTL_PMTU_PROBE:
		wf_mtu_probe_in(d, from, msg, len, now);
		return;
	case WF_CTL_PMTU_ACK:
		wf_mtu_ack_in(d, from, msg, len, now);
		return;
	case WF_CTL_CERT_REQ:
		if (len != 1 + WF_KEY_LEN) {
			wf_count_drop(d, from, WF_DROP_MALFORMED);
			return;
		}
		/* Any certificate we verified will do: the asker verifies it
		 * again, and the endpoint is a hint to it. */
		p = wf_peer_find(d, msg + 1);
		if (p && p != from)
			send_member(d, from, p, now);
		return;
	default:
		if (!wf_gossip_receive(&d->mem.gossip, from->cert.pubkey, msg, len, now, &d->mem.out))
			wf_count_drop(d, from, WF_DROP_MALFORMED);
		flush(d, now);
		return;
	}
}

/* Does gossip send to p (wf_gossip_link)? Not an idle on-demand session
 * near its end, whose keys the other end may drop first. */
static bool linked(const struct wf_daemon *d, const struct wf_peer *p)
{
	const struct wf_gmember *m = wf_gossip_find(&d->mem.gossip, p->cert.pubkey);

	return m && (m->flags & WF_GM_LINK);
}

void wf_members_ask_endpoint(struct wf_daemon *d, struct wf_peer *p, int64_t now)
{
	struct wf_peer *via = NULL;
	unsigned n = 0;

	/* Another member than the one whose word we gave up, at random. */
	for (struct wf_peer *q = d->peers.list; q; q = q->next)
		if (q != p && wf_peer_up(d, q, now) && linked(d, q) && strcmp(q->cert.name, p->ep_via) &&
		    wf_random_u32() % ++n == 0)
			via = q;
	if (!via)
		return;
	log_debug("asking %s where %s is", via->cert.name, p->cert.name);
	p->asked_ms = now;
	ask_cert(d, p->cert.pubkey, via, now);
}

unsigned wf_members_count(const struct wf_daemon *d)
{
	/* (Members: not the strangers whose initiations were never proven.) */
	unsigned held = d->peers.n - d->peers.n_unproven + 1;

	return held > wf_gossip_size(&d->mem.gossip) ? held : wf_gossip_size(&d->mem.gossip);
}

/* Past full-mesh-max members, sessions are made on demand; gossip goes to
 * the few kept for it. */
static void choose_mode(struct wf_daemon *d, int64_t now)
{
	unsigned n = wf_members_count(d);
	bool sparse = n > d->node.cfg.full_mesh_max;

	if (sparse == d->mem.gossip.sparse)
		return;
	if (sparse)
		log_info("%u members, more than full-mesh-max (%u): sessions are made on demand, and "
			 "kept with %u for gossip",
			 n, d->node.cfg.full_mesh_max, 2 * d->mem.gossip.cfg.ring + d->mem.gossip.cfg.chords);
	else
		log_info("%u members, at most full-mesh-max (%u): every member gets a session", n,
			 d->node.cfg.full_mesh_max);
	wf_gossip_set_sparse(&d->mem.gossip, sparse, now);
}

void wf_members_gossip(struct wf_daemon *d, int64_t now)
{
	choose_mode(d, now);
	wf_gossip_tick(&d->mem.gossip, now, &d->mem.out);
	flush(d, now);
}

void wf_members_leave(struct wf_daemon *d, int64_t now)
{
	if (!d->mem.gossip.m)
		return;
	wf_gossip_leave(&d->mem.gossip, now, &d->mem.out);
	flush(d, now);
}
