/* SPDX-License-Identifier: MIT */
/*
 * The overlay MTU follows the underlay. The TUN device takes the largest
 * that fits any underlay interface (a jumbo network gives a jumbo overlay);
 * each peer whose path is narrower gets routes of its own on the device, for
 * each of its overlay addresses, with the MTU that fits its path. The
 * kernel then sizes TCP segments (and GSO super-packets) per peer and
 * answers a too-large packet with ICMP itself, as for any route.
 *
 * Netlink is control work: wf_peer_seen_at only marks a peer (mtu_check),
 * and the tick looks at its path.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <netinet/in.h>

#include "common/log.h"
#include "core/message.h"
#include "daemon/daemon.h"
#include "daemon/data.h"
#include "daemon/membership.h"
#include "daemon/mtu.h"
#include "daemon/peer.h"
#include "daemon/netlink.h"

/* The family of the datagrams to an endpoint (a v4-mapped one is IPv4). */
static int datagram_family(const union wf_endpoint *ep)
{
	if (ep->sa.sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&ep->in6.sin6_addr))
		return AF_INET;
	return ep->sa.sa_family;
}

/* Does the interface carry the listen address (any, for a wildcard)? */
static bool carries(const union wf_endpoint *listen, const struct sockaddr *a)
{
	if (listen->sa.sa_family == AF_INET && a->sa_family == AF_INET)
		return listen->in4.sin_addr.s_addr == INADDR_ANY ||
		       listen->in4.sin_addr.s_addr == ((const struct sockaddr_in *)a)->sin_addr.s_addr;
	if (listen->sa.sa_family != AF_INET6)
		return false;
	if (IN6_IS_ADDR_UNSPECIFIED(&listen->in6.sin6_addr))
		return a->sa_family == AF_INET || a->sa_family == AF_INET6;
	return a->sa_family == AF_INET6 &&
	       !memcmp(&listen->in6.sin6_addr, &((const struct sockaddr_in6 *)a)->sin6_addr, 16);
}

/* The largest MTU of the interfaces that are up, not loopback, not ours,
 * and carry the listen address; 1500 if none says. */
static unsigned underlay_mtu(const struct wf_daemon *d)
{
	struct ifaddrs *ifa;
	int best = 0;

	if (getifaddrs(&ifa) < 0)
		return 1500;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		int m;

		if (!i->ifa_addr || !(i->ifa_flags & IFF_UP) || i->ifa_flags & IFF_LOOPBACK ||
		    !strcmp(i->ifa_name, d->node.ifname) || !carries(&d->node.cfg.listen, i->ifa_addr))
			continue;
		m = wf_nl_link_mtu(i->ifa_name);
		if (m > best)
			best = m;
	}
	freeifaddrs(ifa);
	return best > 0 ? (unsigned)best : 1500;
}

unsigned wf_mtu_device(const struct wf_daemon *d)
{
	/* A dual-stack socket sends IPv4 too, the smaller overhead: the
	 * device takes the largest, peers over IPv6 get routes. */
	int family = d->node.cfg.listen.sa.sa_family == AF_INET6 &&
			     !IN6_IS_ADDR_UNSPECIFIED(&d->node.cfg.listen.in6.sin6_addr)
			 ? AF_INET6
			 : AF_INET;

	return wf_overlay_mtu(underlay_mtu(d), family, wf_self_addr(d, AF_INET6) != NULL);
}

/* Set (mtu > 0) or remove (0) the routes that carry a peer's MTU. IPv6
 * needs 1280 (RFC 8200): on a path narrower than that, its packets between
 * the two sizes do not fit (TCP's fit: its MSS is clamped to the path). */
static void peer_routes(struct wf_daemon *d, struct wf_peer *p, unsigned mtu)
{
	for (unsigned i = 0; i < p->cert.n_addrs; i++) {
		struct wf_prefix host = p->cert.addrs[i];
		unsigned m = host.family == AF_INET6 && mtu && mtu < 1280 ? 1280 : mtu;
		int err;

		host.len = host.family == AF_INET ? 32 : 128;
		/* Replacing one: the old route goes first. */
		err = wf_nl_route_del(d->node.ifname, &host);
		if (err < 0 && err != -ESRCH)
			log_debug("peer %s: cannot remove its MTU route: %s", p->cert.name,
				  strerror(-err));
		if (m && (err = wf_nl_route_add(d->node.ifname, &host, m)) < 0)
			log_warnx_rl("peer %s: cannot set MTU %u on its route: %s", p->cert.name, m,
				     strerror(-err));
	}
	p->mtu_route = mtu;
}

void wf_mtu_forget(struct wf_daemon *d, struct wf_peer *p)
{
	if (p->mtu_route)
		peer_routes(d, p, 0);
	p->mtu = 0;
	__atomic_store_n(&p->mtu_pub, 0, __ATOMIC_RELAXED);
	memset(&p->pmtud, 0, sizeof(p->pmtud)); /* looked at again from the start */
}

void wf_mtu_moved(struct wf_peer *p)
{
	/* What the old path carried or refused says nothing of the new one. */
	memset(&p->pmtud, 0, sizeof(p->pmtud));
	__atomic_store_n(&p->gso.backoff_ms, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&p->gso.until_ms, 0, __ATOMIC_RELEASE);
}

/* Give p the overlay MTU of the path MTU in use: routes of its own when that
 * is narrower than the device. */
static void apply(struct wf_daemon *d, struct wf_peer *p)
{
	unsigned mtu = wf_pmtud_overlay_mtu(&p->pmtud, false); /* (IPv6's: peer_routes) */

	if (mtu > d->node.mtu)
		mtu = d->node.mtu;
	if (mtu == p->mtu)
		return;
	if (p->mtu)
		log_info("peer %s: MTU %u (was %u; path MTU %u, %s)", p->cert.name, mtu, p->mtu,
			 p->pmtud.plpmtu, wf_pmtud_state_name(p->pmtud.state));
	p->mtu = mtu;
	__atomic_store_n(&p->mtu_pub, mtu, __ATOMIC_RELAXED);
	if (mtu < d->node.mtu)
		peer_routes(d, p, mtu);
	else if (p->mtu_route)
		peer_routes(d, p, 0);
}

/* A padded PMTU_PROBE of size bytes on the wire, on p's session. Allocated:
 * a probe may be as large as a datagram gets, and goes at most once a
 * second per peer, from the control thread. */
static void send_probe(struct wf_daemon *d, struct wf_peer *p, uint32_t seq, unsigned size,
		       int64_t now)
{
	size_t cap = wf_pmtu_probe_len(size, datagram_family(&p->endpoint)), len;
	struct wf_keypair *kp = wf_session_sendable(&p->session, &d->node.limits, now);
	uint8_t *buf;

	if (!kp || !p->has_endpoint || !cap)
		return; /* (lost, as far as the search knows) */
	buf = malloc(WF_DATA_HEADER_LEN + cap + WF_AEAD_TAG_LEN);
	if (!buf)
		return;
	len = wf_pmtu_probe_encode(seq, size, datagram_family(&p->endpoint), buf + WF_DATA_HEADER_LEN,
				   cap);
	if (len)
		wf_data_send(d, p, kp, WF_MSG_CONTROL, buf + WF_DATA_HEADER_LEN, len, now);
	free(buf);
}

/* Carry out what the search said. */
static void act(struct wf_daemon *d, struct wf_peer *p, const struct wf_pmtud_out *out, int64_t now)
{
	if (out->probe)
		send_probe(d, p, out->seq, out->size, now);
	if (out->changed) {
		log_debug("peer %s: path MTU %u (%s)", p->cert.name, out->pmtu,
			  wf_pmtud_state_name(p->pmtud.state));
		apply(d, p);
	}
}

static void check(struct wf_daemon *d, struct wf_peer *p, int64_t now)
{
	struct wf_pmtud_cfg cfg;
	struct wf_pmtud_out out;
	int path, family;

	/* (On the kernel path its routes are the xfrm interface's.) */
	if (!d->node.ifname[0] || !p->proven || !p->has_endpoint || p->ep_source != WF_EP_AUTHENTIC ||
	    p->esp.out_pol) {
		p->mtu_check = false;
		return;
	}
	path = wf_nl_route_mtu_to(&p->endpoint);
	if (path <= 0) {
		/* Asked again at the next tick, until the kernel answers. */
		log_debug("peer %s: no MTU for its path yet: %s", p->cert.name, strerror(-path));
		return;
	}
	p->mtu_check = false;
	family = datagram_family(&p->endpoint);
	log_debug("peer %s: route MTU %d (the device's %u inside)", p->cert.name, path, d->node.mtu);
	if (!p->pmtud.max || p->pmtud.family != family) {
		wf_pmtud_cfg_default(&cfg);
		cfg.raise_ms = d->node.cfg.pmtud_raise_ms;
		wf_pmtud_init(&p->pmtud, &cfg, family, (unsigned)path); /* up at the tick */
	} else {
		wf_pmtud_route(&p->pmtud, (unsigned)path, now, &out);
		act(d, p, &out, now);
	}
	apply(d, p);
}

/* Does p's path MTU search run? While its session is up, on the userspace
 * path, with the MTU left to weft. */
static bool searched(const struct wf_daemon *d, const struct wf_peer *p, int64_t now)
{
	return !d->node.cfg.mtu && !p->esp.out_pol && wf_peer_up(d, p, now);
}

void wf_mtu_tick(struct wf_daemon *d, struct wf_peer *p, int64_t now)
{
	struct wf_pmtud_out out;

	if (__atomic_exchange_n(&p->mtu_recheck, false, __ATOMIC_RELAXED))
		p->mtu_check = true; /* a send was too large for the route */
	if (p->mtu_check)
		check(d, p, now);
	if (!p->pmtud.max || p->mtu_check)
		return;
	if (!searched(d, p, now)) {
		if (p->pmtud.state != WF_PMTUD_DISABLED)
			wf_pmtud_down(&p->pmtud);
		return;
	}
	if (p->pmtud.state == WF_PMTUD_DISABLED)
		wf_pmtud_up(&p->pmtud, now, &out);
	else if (now >= wf_pmtud_next(&p->pmtud))
		wf_pmtud_tick(&p->pmtud, now, &out);
	else
		return;
	act(d, p, &out, now);
}

void wf_mtu_ptb(struct wf_daemon *d, const union wf_endpoint *to, unsigned mtu, int64_t now)
{
	struct wf_pmtud_out out;

	/* (Rare, and a few a second at most: a walk over the peers will do.) */
	for (struct wf_peer *p = d->peers.list; p; p = p->next) {
		if (!p->has_endpoint || !p->pmtud.max || !wf_endpoint_equal(&p->endpoint, to))
			continue;
		log_debug("peer %s: the network says %u bytes pass", p->cert.name, mtu);
		wf_pmtud_ptb(&p->pmtud, mtu, now, &out);
		act(d, p, &out, now);
		return;
	}
}

void wf_mtu_probe_in(struct wf_daemon *d, struct wf_peer *p, const uint8_t *msg, size_t len,
		     int64_t now)
{
	uint8_t ack[WF_PMTU_ACK_LEN];
	unsigned size;
	uint32_t seq;

	/* Answered at once, whatever our own search does: it tells the
	 * sender what reaches us, and costs a 7-byte message. */
	if (!p->has_endpoint ||
	    !wf_pmtu_probe_decode(msg, len, datagram_family(&p->endpoint), &seq, &size)) {
		wf_count_drop(d, p, WF_DROP_MALFORMED);
		return;
	}
	wf_pmtu_ack_encode(seq, size, ack);
	(void)wf_members_send(d, p, ack, sizeof(ack), now);
}

void wf_mtu_ack_in(struct wf_daemon *d, struct wf_peer *p, const uint8_t *msg, size_t len,
		   int64_t now)
{
	struct wf_pmtud_out out;
	unsigned size;
	uint32_t seq;

	if (!wf_pmtu_ack_decode(msg, len, &seq, &size)) {
		wf_count_drop(d, p, WF_DROP_MALFORMED);
		return;
	}
	/* Only p's own search, and only for the probe it has in flight. */
	wf_pmtud_acked(&p->pmtud, seq, size, now, &out);
	act(d, p, &out, now);
}
