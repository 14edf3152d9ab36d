/* SPDX-License-Identifier: MIT */
/*
 * The packet path in (RX): a datagram from UDP -> by its type, a handshake
 * message (to the control thread) or data: the session by receiver index ->
 * replay check -> decrypt in place -> the inner source must route back to
 * that peer (cryptokey routing) -> TUN, coalesced. The first authentic packet
 * on a keypair we answered with proves its initiation (prove), and only that
 * makes the peer's claims count.
 *
 * The same code runs on the workers and, for what they hand over, on the
 * control thread (w->control). A worker reads only what the control thread
 * publishes (the index table, the published routes) and hands over what
 * would change anything else: data on keys not yet proven, MEMBER messages,
 * a new endpoint.
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
#include "daemon/daemon.h"
#include "daemon/data.h"
#include "daemon/handshake.h"
#include "daemon/index.h"
#include "daemon/kernel.h"
#include "daemon/membership.h"
#include "daemon/peer.h"
#include "daemon/proven.h"
#include "daemon/timers.h"
#include "daemon/udp.h"
#include "daemon/worker.h"

/* --- RX ------------------------------------------------------------------ */

/* Check the inner IP header and trim link padding; 0 if malformed. */
static size_t inner_len(const uint8_t *pkt, size_t len)
{
	size_t n;

	if (len >= 20 && pkt[0] >> 4 == 4) {
		n = (size_t)pkt[2] << 8 | pkt[3];
		return n >= (size_t)(pkt[0] & 0xf) * 4 && (pkt[0] & 0xf) >= 5 && n <= len ? n : 0;
	}
	if (len >= 40 && pkt[0] >> 4 == 6) {
		n = 40 + ((size_t)pkt[4] << 8 | pkt[5]);
		return n <= len ? n : 0;
	}
	return 0;
}

/* The first authentic packet on a keypair we answered with: the initiation
 * behind it is proven, and with it the peer's key and certificate. */
void wf_data_prove(struct wf_daemon *d, struct wf_index_entry *e, struct wf_keypair *kp,
		   int64_t now)
{
	struct wf_cert *offered = e->offered;

	e->offered = NULL;
	wf_session_proven(d,
			  &(struct wf_proof){.peer = e->peer, .entry = e, .kp = kp, .cert = offered},
			  now);
	free(offered);
}

/* Into the open batch, if there is one; a full one is written and another
 * begun, unless tun-gro was turned off meanwhile (by another worker): then
 * false, and the packet is written alone. */
static bool gro_take(struct wf_worker *w, uint8_t *pkt, size_t n)
{
	if (!w->rx.open)
		return false;
	if (wf_gro_add(&w->rx.gro, pkt, n))
		return true;
	wf_data_rx_flush(w);
	wf_data_rx_begin(w);
	return w->rx.open && wf_gro_add(&w->rx.gro, pkt, n);
}

static void deliver(struct wf_worker *w, struct wf_peer *p, uint8_t *pkt, size_t len, int64_t now)
{
	struct wf_daemon *d = w->d;
	size_t n = inner_len(pkt, len);
	bool v4;

	if (!n) {
		wf_count_drop(d, p, WF_DROP_MALFORMED);
		return;
	}
	v4 = pkt[0] >> 4 == 4;
	/* The heart of the access control (WireGuard's cryptokey routing): a
	 * packet is taken only from the peer its source address routes to. A
	 * certificate's claim that lost a conflict, or a routed subnet that
	 * covers another member's address, speaks for nothing. */
	if (wf_routes_lookup(wf_worker_routes(w), v4 ? AF_INET : AF_INET6, pkt + (v4 ? 12 : 8)) != p) {
		wf_count_drop(d, p, WF_DROP_BAD_SOURCE);
		return;
	}
	if (!wf_filter_pass(w, p, WF_FW_IN, pkt, n, now))
		return;
	wf_peer_count_rx(p, w->id, 1, n);
	wf_data_clamp_mss(d, p, pkt, n);
	if (gro_take(w, pkt, n))
		return;
	if (!wf_tun_put(w, pkt, n))
		wf_count_drop(d, p, WF_DROP_TUN_ERROR);
}

/* A rekey the worker may prove itself: a proven peer, where it was. From
 * elsewhere (a restarted peer, a new port) the control thread must prove it
 * first, so that what we answer goes to the new place on the new keys. */
static bool rx_direct(const struct wf_index_entry *e, const union wf_endpoint *from)
{
	union wf_endpoint ep;

	return e->direct && wf_peer_endpoint(e->peer, &ep) && wf_endpoint_equal(&ep, from);
}

/* On a worker: does this datagram on entry e go to the control thread whole?
 * Data on keys not proven yet (but a rekey's), and, so that nothing overtakes
 * them, whatever follows such data while the control thread has not taken it. */
static bool rx_hand_over(struct wf_worker *w, struct wf_index_entry *e, int live,
			 const uint8_t *pkt, size_t len, const union wf_endpoint *from)
{
	if (!(live == WF_LIVE_PENDING && !rx_direct(e, from)) &&
	    !(live == WF_LIVE_READY && __atomic_load_n(&e->handed, __ATOMIC_ACQUIRE)))
		return false;
	WF_ADD(e->handed, 1);
	if (!wf_ctl_push(w, WF_HO_DATAGRAM, pkt, len, from, 0, e))
		WF_ADD(e->handed, -1u);
	return true;
}

/* An authentic packet on a worker: what changes state goes to the control
 * thread (the proof of a rekey, once; a new endpoint; a MEMBER message);
 * data goes to TUN. */
static void rx_worker_side(struct wf_worker *w, struct wf_index_entry *e, int live,
			   struct wf_peer *p, const union wf_endpoint *from, uint8_t type,
			   uint8_t *plain, size_t plain_len, int64_t now)
{
	union wf_endpoint ep;

	wf_filter_rx_seen(w, p);

	if (live == WF_LIVE_PENDING && !__atomic_exchange_n(&e->noted, true, __ATOMIC_ACQ_REL) &&
	    !wf_ctl_push(w, WF_HO_PROVEN, NULL, 0, from, e->index, e))
		__atomic_store_n(&e->noted, false, __ATOMIC_RELEASE); /* the next one tells */
	if (!wf_peer_endpoint(p, &ep) || !wf_endpoint_equal(&ep, from))
		(void)wf_ctl_push(w, WF_HO_SEEN, NULL, 0, from, e->index, e);
	if (type == WF_MSG_CONTROL)
		(void)wf_ctl_push(w, WF_HO_MEMBER, plain, plain_len, NULL, e->index, e);
	else if (plain_len)
		deliver(w, p, plain, plain_len, now);
}

void wf_data_receive(struct wf_worker *w, uint8_t *pkt, size_t len, const union wf_endpoint *from,
		     int64_t now)
{
	struct wf_daemon *d = w->d;
	struct wf_index_entry *e;
	struct wf_keypair *kp;
	struct wf_peer *p;
	uint8_t *plain;
	size_t plain_len;
	bool replayed;
	int live;

	if (len < WF_DATA_OVERHEAD || pkt[2] || pkt[3]) {
		wf_count_drop(d, NULL, WF_DROP_MALFORMED);
		return;
	}
	e = wf_index_find(d, wf_get_le32(pkt + 4));
	live = e ? __atomic_load_n(&e->live, __ATOMIC_ACQUIRE) : WF_LIVE_NONE;
	if (!w->control && e && rx_hand_over(w, e, live, pkt, len, from))
		return;
	if (live == WF_LIVE_NONE) {
		/* (Keys that ran out at this end first; or garbage.) */
		if (wf_log_get_level() >= WF_LOG_DEBUG)
			log_limited(WF_LOG_DEBUG, "data on receiver index %08x, which is not ours (any "
				    "more): dropped", wf_get_le32(pkt + 4));
		wf_count_drop(d, NULL, WF_DROP_UNKNOWN_INDEX);
		return;
	}
	kp = e->ptr;
	p = e->peer;
	if (!wf_keypair_open(kp, w->id, pkt, len, &plain, &plain_len, &replayed)) {
		wf_count_drop(d, p, replayed ? WF_DROP_REPLAY : WF_DROP_DECRYPT);
		return;
	}
	/* Authentic from here on: this is where the peer is, and if the
	 * keypair was pending, its initiation is now proven. */
	if (WF_GET(p->last_rx_ms) != now)
		WF_SET(p->last_rx_ms, now);
	if (!w->control) {
		rx_worker_side(w, e, live, p, from, pkt[0], plain, plain_len, now);
		return;
	}
	wf_peer_seen_at(d, p, from, now);
	if (!kp->proven)
		wf_data_prove(d, e, kp, now);
	if (pkt[0] == WF_MSG_CONTROL)
		wf_members_receive(d, p, plain, plain_len, now);
	else if (plain_len)
		deliver(w, p, plain, plain_len, now);
}

/* --- writing to the TUN device ------------------------------------------------ */

bool wf_tun_put(struct wf_worker *w, const uint8_t *pkt, size_t len)
{
	static const uint8_t plain[WF_VNET_HDR_LEN];
	struct iovec iov[2] = {{.iov_base = (void *)plain, .iov_len = sizeof(plain)},
			       {.iov_base = (void *)pkt, .iov_len = len}};

	if (w->d->dp.off.vnet)
		return writev(w->tun_fd, iov, 2) >= 0;
	return write(w->tun_fd, pkt, len) >= 0;
}

void wf_data_rx_begin(struct wf_worker *w)
{
	/* Only a device that takes super-packets gets them; UDP ones only if
	 * it took USO (Linux 6.2: before, the kernel refuses them). */
	w->rx.open = wf_offload_on(&w->d->dp.off.tun_gro);
	if (w->rx.open)
		wf_gro_begin(&w->rx.gro, w->d->node.cfg.tun_udp_coalesce &&
						   wf_offload_on(&w->d->dp.off.tun_uso));
}

/* The kernel refused a coalesced write: no more of its kind. A UDP one turns
 * off only UDP's (tun-uso); TCP's go on. */
static void tun_refused(struct wf_daemon *d, const struct wf_gro_write *w, int e)
{
	bool udp = w->hdr.gso_type == WF_GSO_UDP_L4;
	struct wf_offload *o = udp ? &d->dp.off.tun_uso : &d->dp.off.tun_gro;

	if (!wf_offload_on(o))
		return;
	wf_offload_off(o, "the kernel refused %s (%s)", udp ? "a coalesced UDP write" : "it",
		       strerror(e));
	if (udp)
		log_warnx("tun: the kernel refused a coalesced UDP write (%s); writing UDP "
			  "datagrams one by one from now on", strerror(e));
	else
		log_warnx("tun: the kernel refused a coalesced write (%s); writing packets one "
			  "by one from now on", strerror(e));
}

/* One write of the batch: a packet, or a chain as one super-packet. */
static void tun_write_chain(struct wf_worker *wk, const struct wf_gro *g,
			    const struct wf_gro_write *w)
{
	struct wf_daemon *d = wk->d;
	struct iovec iov[WF_GRO_MAX_SEGS + 2];
	uint8_t hdr[WF_VNET_HDR_LEN];
	unsigned k = 2;
	int e;

	wf_vnet_hdr_put(&w->hdr, hdr);
	iov[0] = (struct iovec){.iov_base = hdr, .iov_len = sizeof(hdr)};
	iov[1] = (struct iovec){.iov_base = g->pkt[w->head], .iov_len = g->len[w->head]};
	for (int i = g->next[w->head]; i >= 0 && k < WF_GRO_MAX_SEGS + 2; i = g->next[i]) {
		size_t plen;
		const uint8_t *pl = wf_gro_payload(g, i, &plen);

		iov[k++] = (struct iovec){.iov_base = (void *)pl, .iov_len = plen};
	}
	if (writev(wk->tun_fd, iov, (int)k) >= 0) {
		WF_BUMP(wk->batch.tun_joined, w->n > 1);
		return;
	}
	e = errno;
	for (unsigned i = 0; i < w->n; i++)
		wf_count_drop(d, NULL, WF_DROP_TUN_ERROR);
	if (w->n > 1 && e == EINVAL)
		tun_refused(d, w, e);
}

void wf_data_rx_flush(struct wf_worker *w)
{
	struct wf_gro *g = &w->rx.gro;

	if (!w->rx.open)
		return;
	w->rx.open = false;
	wf_gro_end(g);
	for (unsigned i = 0; i < g->n_writes; i++)
		tun_write_chain(w, g, &g->writes[i]);
}

void wf_data_dispatch(struct wf_worker *w, uint8_t *pkt, size_t len, const union wf_endpoint *from,
		     int64_t now)
{
	struct wf_daemon *d = w->d;

	if (len < sizeof(struct wf_msg_header) || pkt[1] != WF_PROTO_VERSION) {
		wf_count_drop(d, NULL, WF_DROP_MALFORMED);
		return;
	}
	switch (pkt[0]) {
	case WF_MSG_HANDSHAKE_INIT:
	case WF_MSG_HANDSHAKE_RESP:
	case WF_MSG_COOKIE:
	case WF_MSG_REVOKED:
		if (w->control)
			wf_handshake_receive(d, pkt, len, from, now);
		else
			(void)wf_ctl_push(w, WF_HO_DATAGRAM, pkt, len, from, 0, NULL);
		break;
	case WF_MSG_DATA:
	case WF_MSG_CONTROL:
		wf_data_receive(w, pkt, len, from, now);
		break;
	default:
		wf_count_drop(d, NULL, WF_DROP_MALFORMED);
	}
}
