/* SPDX-License-Identifier: MIT */
/*
 * The packet path out (TX): a packet read from TUN -> the peer that owns its
 * destination -> encrypt in place -> UDP; ICMP unreachable for packets no
 * peer owns; what the control thread sends itself (keepalives, control
 * messages, what was staged). Nothing here allocates (but staging while a
 * handshake is under way), and every drop is counted by reason.
 *
 * The same code runs on the workers and, for what they hand over, on the
 * control thread (w->control). A worker reads only what the control thread
 * publishes (the published routes, p->tx_kp, the endpoint through
 * wf_peer_endpoint) and hands a packet for a peer without keys over.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "common/bytes.h"
#include "common/csum.h"
#include "common/log.h"
#include "core/lifecycle.h"
#include "core/mss.h"
#include "daemon/daemon.h"
#include "daemon/data.h"
#include "daemon/handshake.h"
#include "daemon/peer.h"
#include "daemon/timers.h"
#include "daemon/udp.h"
#include "daemon/worker.h"

static void count_tx(struct wf_worker *w, struct wf_peer *p, size_t len, int64_t now)
{
	wf_peer_count_tx(p, w->id, 1, len);
	if (WF_GET(p->last_tx_ms) != now)
		WF_SET(p->last_tx_ms, now);
}

/* Seal and send one datagram now, from thread w, to `to`. */
static bool send_now(struct wf_worker *w, struct wf_peer *p, struct wf_keypair *kp, uint8_t type,
		     uint8_t *pkt, size_t len, const union wf_endpoint *to, int64_t now)
{
	uint8_t *dgram = pkt - WF_DATA_HEADER_LEN;
	size_t out;

	if (!wf_keypair_seal(kp, w->id, type, dgram, len, &out)) {
		wf_count_drop(w->d, p, WF_DROP_SEND_ERROR);
		return false;
	}
	wf_udp_send(w->d, p, to, dgram, out);
	/* Counters are of overlay traffic, like rx: no keepalives or control. */
	if (type == WF_MSG_DATA && len)
		count_tx(w, p, len, now);
	else
		WF_SET(p->last_tx_ms, now);
	return true;
}

bool wf_data_send(struct wf_daemon *d, struct wf_peer *p, struct wf_keypair *kp, uint8_t type,
		  uint8_t *pkt, size_t len, int64_t now)
{
	return send_now(&d->dp.ctl, p, kp, type, pkt, len, &p->endpoint, now);
}

void wf_data_send_keepalive(struct wf_daemon *d, struct wf_peer *p, int64_t now)
{
	uint8_t pkt[WF_DATA_HEADER_LEN + WF_AEAD_TAG_LEN];
	struct wf_keypair *kp = wf_session_sendable(&p->session, &d->node.limits, now);

	if (kp && p->has_endpoint)
		wf_data_send(d, p, kp, WF_MSG_DATA, pkt + WF_DATA_HEADER_LEN, 0, now);
}

void wf_data_flush_staged(struct wf_daemon *d, struct wf_peer *p, int64_t now)
{
	struct wf_keypair *kp = wf_session_sendable(&p->session, &d->node.limits, now);

	for (unsigned i = 0; i < p->n_staged; i++) {
		if (kp)
			wf_data_send(d, p, kp, WF_MSG_DATA, p->staged[i] + WF_DATA_HEADER_LEN,
				     p->staged_len[i], now);
		free(p->staged[i]);
		p->staged[i] = NULL;
	}
	p->n_staged = 0;
	wf_peer_publish(d, p); /* now the workers may send */
}

/* --- ICMP unreachable for packets no peer owns --------------------------- */

/* Is it an ICMP error (never answered with another) or a non-first fragment? */
static bool must_not_answer(const uint8_t *pkt, size_t len)
{
	if ((pkt[0] >> 4) == 4) {
		size_t ihl = (size_t)(pkt[0] & 0xf) * 4;

		if ((pkt[6] & 0x1f) || pkt[7])
			return true;
		return pkt[9] == 1 && (len <= ihl || (pkt[ihl] != 8 && pkt[ihl] != 13));
	}
	return pkt[6] == 58 && (len <= 40 || pkt[40] < 128);
}

/*
 * The source of an ICMP error we make: this node's own address of that
 * family, as a router answers. The kernel takes an IPv4 packet from the TUN
 * with one of its own addresses as source only with accept_local set on the
 * interface (loop.c sets it); where it could not be set, the error comes
 * from the unreachable address itself, which the kernel does take.
 */
static void own_address(const struct wf_daemon *d, int family, const uint8_t *fallback,
			uint8_t *out)
{
	const struct wf_prefix *own =
	    family == AF_INET6 || d->node.accept_local ? wf_self_addr(d, family) : NULL;

	memcpy(out, own ? own->addr : fallback, family == AF_INET ? 4 : 16);
}

/* An ICMP error about pkt to its sender, through the device: "destination
 * unreachable" (mtu 0), or "fragmentation needed" / "packet too big" with
 * the MTU that fits. */
static void icmp_error(struct wf_worker *w, const uint8_t *pkt, size_t len, unsigned mtu,
		       int64_t now)
{
	struct wf_daemon *d = w->d;
	uint8_t out[40 + 8 + 1232];
	bool v4 = (pkt[0] >> 4) == 4;
	size_t hl = v4 ? 20 : 40, quote, total;
	uint32_t sum;

	/* At most 20 a second: enough for a person, useless for a flood. */
	static const struct wf_rate icmp = {.interval_us = 1000000 / 20, .burst_us = 19 * 50000};

	if (must_not_answer(pkt, len) || !wf_rate_allow(&icmp, &w->icmp_tat, now))
		return;
	quote = len < (v4 ? 548 : sizeof(out) - 48) ? len : (v4 ? 548 : sizeof(out) - 48);
	total = hl + 8 + quote;
	memset(out, 0, hl + 8);
	memcpy(out + hl + 8, pkt, quote);
	if (v4) {
		out[0] = 0x45;
		out[2] = (uint8_t)(total >> 8);
		out[3] = (uint8_t)total;
		out[8] = 64;
		out[9] = 1;
		own_address(d, AF_INET, pkt + 16, out + 12);
		memcpy(out + 16, pkt + 12, 4); /* back to the sender */
		sum = wf_csum_add(0, out, 20);
		out[10] = (uint8_t)(wf_csum_fold(sum) >> 8);
		out[11] = (uint8_t)wf_csum_fold(sum);
		out[20] = 3;		/* destination unreachable */
		out[21] = mtu ? 4 : 1; /* fragmentation needed, or host unreachable */
		out[26] = (uint8_t)(mtu >> 8); /* next-hop MTU (RFC 1191) */
		out[27] = (uint8_t)mtu;
		sum = wf_csum_add(0, out + 20, 8 + quote);
	} else {
		out[0] = 0x60;
		out[4] = (uint8_t)((8 + quote) >> 8);
		out[5] = (uint8_t)(8 + quote);
		out[6] = 58;
		out[7] = 64;
		own_address(d, AF_INET6, pkt + 24, out + 8);
		memcpy(out + 24, pkt + 8, 16);
		out[40] = mtu ? 2 : 1; /* packet too big, or destination unreachable */
		out[41] = 0;	       /* (unreachable: no route to destination) */
		out[44] = (uint8_t)(mtu >> 24);
		out[45] = (uint8_t)(mtu >> 16);
		out[46] = (uint8_t)(mtu >> 8);
		out[47] = (uint8_t)mtu;
		/* pseudo-header: addresses, upper-layer length, next header */
		sum = wf_csum_add(0, out + 8, 32);
		sum += (uint32_t)(8 + quote) + 58;
		sum = wf_csum_add(sum, out + 40, 8 + quote);
	}
	out[hl + 2] = (uint8_t)(wf_csum_fold(sum) >> 8);
	out[hl + 3] = (uint8_t)wf_csum_fold(sum);
	if (!wf_tun_put(w, out, total))
		wf_count_drop(d, NULL, WF_DROP_TUN_ERROR);
}

static bool is_multicast(const uint8_t *pkt)
{
	if (pkt[0] >> 4 == 4)
		return (pkt[16] & 0xf0) == 0xe0 || !memcmp(pkt + 16, "\xff\xff\xff\xff", 4);
	return pkt[24] == 0xff;
}

/* --- TX ------------------------------------------------------------------ */

void wf_data_clamp_mss(const struct wf_daemon *d, const struct wf_peer *p, uint8_t *pkt,
		       size_t len)
{
	unsigned mtu = __atomic_load_n(&p->mtu_pub, __ATOMIC_RELAXED);

	(void)wf_mss_clamp(pkt, len, mtu ? mtu : d->node.mtu);
}

/*
 * A packet larger than p's path takes (its host routes say so to the
 * kernel, which cuts what it sends to them; this is for what passed before
 * they changed, or went around them): dropped and answered as a router
 * would, from the shared ICMP budget, so that its sender learns the MTU.
 * IPv6 is never told less than 1280, what its routes carry; IPv4 without
 * DF goes as it is (docs/protocol.md, "ICMP weft generates").
 */
static bool too_big(struct wf_worker *w, struct wf_peer *p, const uint8_t *pkt, size_t len,
		    int64_t now)
{
	unsigned mtu = __atomic_load_n(&p->mtu_pub, __ATOMIC_RELAXED);
	bool v4 = pkt[0] >> 4 == 4;

	if (!v4 && mtu && mtu < 1280)
		mtu = 1280;
	if (!mtu || len <= mtu || (v4 && !(pkt[6] & 0x40)))
		return false;
	wf_count_drop(w->d, p, WF_DROP_TOO_BIG);
	icmp_error(w, pkt, len, mtu, now);
	return true;
}

/* The peer a packet goes to; NULL when none (dropped, and answered with an
 * ICMP error where one is due). */
static struct wf_peer *tx_peer(struct wf_worker *w, const uint8_t *pkt, size_t len, int family,
			       bool super, int64_t now)
{
	struct wf_daemon *d = w->d;
	const uint8_t *dst = pkt + (family == AF_INET ? 16 : 24);
	struct wf_peer *p = wf_routes_lookup(wf_worker_routes(w), family, dst);

	/* A peer proven in this turn of the control thread (the reply to its
	 * first packet, written to TUN by the control thread a moment ago) is
	 * in the control thread's routes and not yet in the workers' copy:
	 * the control thread routes it. If no copy is pending (acquire), the
	 * copy may have been made since we read it: read it again. (A
	 * super-packet cannot be handed over; the answers that come first are
	 * single packets.) Only a packet with no route pays for any of this. */
	if (!p && !w->control && !super) {
		if (wf_routes_pending(d)) {
			(void)wf_ctl_push(w, WF_HO_TUN, pkt, len, NULL, 0, NULL);
			return NULL;
		}
		p = wf_routes_lookup(wf_worker_routes(w), family, dst);
	}
	if (p == WF_ROUTE_SELF(d))
		p = NULL; /* the kernel delivers our own addresses; never to TUN */
	if (!p && is_multicast(pkt)) {
		/* The kernel's own IPv6 MLD and router solicitations: no peer
		 * wants them, and they are no error worth an ICMP. */
		wf_count_drop(d, NULL, WF_DROP_MULTICAST);
		return NULL;
	}
	/* (A member we were told of and have not reached yet has its routes:
	 * with no keys, the packet waits for the handshake that starts.) */
	if (!p) {
		wf_count_drop(d, NULL, WF_DROP_NO_ROUTE);
		icmp_error(w, pkt, len, 0, now);
	}
	return p;
}

/* The keys to send to p with and where to (*to), or NULL: then the packets
 * wait (staged) for the handshake this starts. A worker takes what is
 * published; rekeying is the timers' (control thread) business. */
static struct wf_keypair *tx_keys(struct wf_worker *w, struct wf_peer *p, union wf_endpoint *to,
				  int64_t now)
{
	struct wf_daemon *d = w->d;
	struct wf_keypair *kp;
	struct wf_lc_peer f;
	unsigned act;

	if (!w->control) {
		/* What it handed over first goes first. */
		if (__atomic_load_n(&p->tx_handed, __ATOMIC_ACQUIRE))
			return NULL;
		kp = __atomic_load_n(&p->tx_kp, __ATOMIC_ACQUIRE);
		return wf_keypair_usable(kp, &d->node.limits, now) && wf_peer_endpoint(p, to) ? kp : NULL;
	}
	wf_timers_facts(d, p, now, &f);
	act = wf_lc_traffic(&f, p->hs != NULL, now);
	/* Make before break: a rekey goes on sending on the current keys. */
	if (act & WF_LCT_INITIATE)
		wf_handshake_initiate(d, p, now);
	if (!(act & WF_LCT_SEND))
		return NULL;
	*to = p->endpoint;
	return wf_session_sendable(&p->session, &d->node.limits, now);
}

/* Seal the packet in the free TX slot (len bytes) for p and queue it; stage
 * it (wherever it is) when there are no keys yet: a worker hands it to the
 * control thread, which stages it and starts the handshake. */
static void tx_slot(struct wf_worker *w, struct wf_peer *p, struct wf_keypair *kp,
		    const union wf_endpoint *to, uint8_t *pkt, size_t len, int64_t now)
{
	struct wf_daemon *d = w->d;
	size_t out;

	if (!kp && !w->control) {
		WF_ADD(p->tx_handed, 1);
		if (!wf_ctl_push(w, WF_HO_TUN, pkt, len, NULL, 0, p))
			WF_ADD(p->tx_handed, -1u);
		return;
	}
	if (!kp) {
		if (!wf_peer_stage(d, p, pkt, len))
			wf_count_drop(d, p, WF_DROP_NO_SESSION);
		return;
	}
	if (!wf_keypair_seal(kp, w->id, WF_MSG_DATA, pkt - WF_DATA_HEADER_LEN, len, &out)) {
		wf_count_drop(d, p, WF_DROP_SEND_ERROR);
		return;
	}
	wf_txq_commit(w, p, to, out);
	count_tx(w, p, len, now);
}

/* A super-packet: cut it into the TX slots, each segment sealed there. */
static void tx_segments(struct wf_worker *w, struct wf_peer *p, struct wf_keypair *kp,
			const union wf_endpoint *to, const struct wf_gso_plan *plan,
			const uint8_t *pkt, size_t len, int64_t now)
{
	for (unsigned i = 0; i < plan->n_segs; i++) {
		uint8_t *seg = wf_txq_slot(w);

		tx_slot(w, p, kp, to, seg, wf_gso_segment(plan, pkt, len, i, seg), now);
	}
}

/* The longest segment of a planned super-packet: each must fit a slot. */
static size_t seg_max(const struct wf_gso_plan *plan, size_t len)
{
	return plan->n_segs > 1 ? plan->hdr_len + (size_t)plan->gso_size : len;
}

void wf_data_from_tun(struct wf_worker *w, uint8_t *pkt, size_t len, const struct wf_vnet_hdr *h,
		      int64_t now)
{
	struct wf_daemon *d = w->d;
	struct wf_gso_plan plan;
	union wf_endpoint to;
	struct wf_keypair *kp;
	struct wf_peer *p;

	if (!wf_gso_plan(h, pkt, len, &plan) || (plan.family == AF_INET6 && len < 40) ||
	    (h->gso_type == WF_GSO_NONE && !wf_csum_complete(h, pkt, len)) ||
	    (h->gso_type != WF_GSO_NONE && seg_max(&plan, len) > w->tx.slot_cap)) {
		wf_count_drop(d, NULL, WF_DROP_MALFORMED);
		return;
	}
	p = tx_peer(w, pkt, len, plan.family, h->gso_type != WF_GSO_NONE, now);
	/* Before staging or sealing: what is dropped never starts a handshake.
	 * A super-packet's segments share its headers: judged once. */
	if (!p || !wf_filter_pass(w, p, WF_FW_OUT, pkt, len, now))
		return;
	if (h->gso_type == WF_GSO_NONE) { /* (a SYN is never a super-packet) */
		if (too_big(w, p, pkt, len, now))
			return;
		wf_data_clamp_mss(d, p, pkt, len);
	}
	kp = tx_keys(w, p, &to, now);
	if (h->gso_type != WF_GSO_NONE) {
		WF_BUMP(w->batch.tun_super, 1);
		tx_segments(w, p, kp, &to, &plan, pkt, len, now);
	} else if (pkt != w->tx.big + WF_DATA_HEADER_LEN || (!kp && w->control)) {
		tx_slot(w, p, kp, &to, pkt, len, now);
	} else if (!kp) {
		/* Larger than a slot and no keys: too big to hand over. */
		wf_count_drop(d, p, WF_DROP_NO_SESSION);
	} else {
		/* Larger than a slot (an interface MTU raised by hand): sent
		 * whole, after what is queued. The sockets never fragment
		 * (IP_PMTUDISC_PROBE): one larger than the underlay device
		 * takes fails with EMSGSIZE, counted, and the peer's path is
		 * looked at again (udp.c). */
		wf_txq_flush(w);
		send_now(w, p, kp, WF_MSG_DATA, pkt, len, &to, now);
	}
}

