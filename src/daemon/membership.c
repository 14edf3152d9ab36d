/* SPDX-License-Identifier: MIT */
/*
 * Forming the mesh. When a peer becomes reachable (its first session, or the
 * first after it went silent; never a mere rekey), both ends tell each other
 * the members they have live sessions with (certificate + the endpoint they
 * reach it at), and tell their other live peers about it. A node that learns
 * of a member handshakes with it directly, so one bootstrap address is enough
 * for a full mesh. A periodic push to one random peer repairs what a lost
 * message missed (anti-entropy); the membership issue replaces this with
 * SWIM-style gossip on the same WF_MSG_CONTROL messages.
 *
 * What a member says about a third node is hearsay: the certificate must
 * verify like any other, the node stays unproven (no routes) until it
 * answers a handshake of ours, and the endpoint is only a hint
 * (wf_peer_hearsay). So a member cannot make us route an address to anyone
 * who does not hold the key its certificate names.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "core/message.h"
#include "daemon/daemon.h"

enum { GOSSIP_INTERVAL_MS = 30000, TIE_BREAK_DELAY_MS = 1000 };

static bool live(const struct wf_daemon *d, const struct wf_peer *p, int64_t now)
{
	return p->proven && p->has_endpoint && wf_session_sendable(&p->session, &d->limits, now);
}

/* Tell `to` about `m`. */
static void announce(struct wf_daemon *d, struct wf_peer *to, const struct wf_peer *m, int64_t now)
{
	uint8_t buf[WF_DATA_HEADER_LEN + WF_CERT_MAX_ENCODED + 64 + WF_AEAD_TAG_LEN];
	uint8_t cert[WF_CERT_MAX_ENCODED];
	struct wf_keypair *kp = wf_session_sendable(&to->session, &d->limits, now);
	size_t clen, len;

	if (!kp || !to->has_endpoint)
		return;
	clen = wf_cert_encode(&m->cert, cert, sizeof(cert));
	len = clen ? wf_member_encode(cert, clen, &m->endpoint, buf + WF_DATA_HEADER_LEN,
				      sizeof(buf) - WF_DATA_HEADER_LEN - WF_AEAD_TAG_LEN)
		   : 0;
	if (len)
		wf_data_send(d, to, kp, WF_MSG_CONTROL, buf + WF_DATA_HEADER_LEN, len, now);
}

static void announce_all_to(struct wf_daemon *d, struct wf_peer *to, int64_t now)
{
	for (struct wf_peer *m = d->peers; m; m = m->next)
		if (m != to && live(d, m, now))
			announce(d, to, m, now);
}

void wf_members_peer_up(struct wf_daemon *d, struct wf_peer *p, int64_t now)
{
	if (p->mesh_up)
		return;
	p->mesh_up = true;
	announce_all_to(d, p, now);
	for (struct wf_peer *q = d->peers; q; q = q->next)
		if (q != p && live(d, q, now))
			announce(d, q, p, now);
}

/* A member we did not know of: unproven until it answers us. */
static void learned(struct wf_daemon *d, struct wf_peer *from, const struct wf_cert *cert,
		    const struct wf_member_msg *m, int64_t now)
{
	struct wf_peer *p = wf_peer_add(d, cert, now);

	if (!p)
		return;
	if (!m->has_endpoint || !wf_peer_hearsay(d, p, &m->endpoint, from->cert.name)) {
		/* Nowhere to try: it is kept only until it contacts us. */
		log_debug("learned of %s from %s, without a usable endpoint", cert->name,
			  from->cert.name);
		return;
	}
	log_info("learned of %s from %s", cert->name, from->cert.name);
	/* Both ends usually learn of each other at the same moment; let the
	 * one with the smaller key go first so the handshakes do not cross. */
	if (memcmp(d->self.pubkey, cert->pubkey, WF_KEY_LEN) < 0)
		p->hs_next_ms = now;
	else
		p->hs_next_ms = now + TIE_BREAK_DELAY_MS;
}

void wf_members_receive(struct wf_daemon *d, struct wf_peer *from, const uint8_t *msg, size_t len,
			int64_t now)
{
	char via[WF_CERT_NAME_MAX + 16];
	struct wf_member_msg m;
	struct wf_cert cert;
	struct wf_peer *p;

	if (!wf_rate_allow(&d->member_rate, &from->member_tat, now)) {
		wf_count_drop(d, from, WF_DROP_RATE_LIMIT);
		return;
	}
	if (!wf_member_decode(&m, msg, len)) {
		wf_count_drop(d, from, WF_DROP_MALFORMED);
		return;
	}
	/* Hearsay is checked like a handshake: only the CA makes members. A
	 * refusal is the certificate's fault, not the relaying member's. */
	snprintf(via, sizeof(via), "(relayed by %s)", from->cert.name);
	if (!wf_peer_cert_check(d, m.cert, m.cert_len, &cert, via)) {
		wf_count_drop(d, NULL, WF_DROP_CERT);
		return;
	}
	if (!memcmp(cert.pubkey, d->self.pubkey, WF_KEY_LEN))
		return;
	p = wf_peer_find(d, cert.pubkey);
	if (!p) {
		learned(d, from, &cert, &m, now);
		return;
	}
	/* Of a node we know, a member can tell us only where to look for it,
	 * and only if we do not know that already. Its certificate changes
	 * when it presents a new one to us itself. */
	if (m.has_endpoint)
		wf_peer_hearsay(d, p, &m.endpoint, from->cert.name);
}

void wf_members_gossip(struct wf_daemon *d, int64_t now)
{
	struct wf_peer *pick = NULL;
	unsigned n = 0;

	if (now - d->last_gossip_ms < GOSSIP_INTERVAL_MS)
		return;
	d->last_gossip_ms = now;
	/* Reservoir-sample one live peer. */
	for (struct wf_peer *p = d->peers; p; p = p->next)
		if (live(d, p, now) && wf_random_u32() % ++n == 0)
			pick = p;
	if (pick)
		announce_all_to(d, pick, now);
}
