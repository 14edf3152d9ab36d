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
#include <string.h>
#include <net/if.h>
#include <netinet/in.h>

#include "common/log.h"
#include "core/message.h"
#include "daemon/daemon.h"
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

/* Set (mtu > 0) or remove (0) the routes that carry a peer's MTU. */
static void peer_routes(struct wf_daemon *d, struct wf_peer *p, unsigned mtu)
{
	for (unsigned i = 0; i < p->cert.n_addrs; i++) {
		struct wf_prefix host = p->cert.addrs[i];
		int err;

		host.len = host.family == AF_INET ? 32 : 128;
		/* Replacing one: the old route goes first. */
		err = wf_nl_route_del(d->node.ifname, &host);
		if (err < 0 && err != -ESRCH)
			log_debug("peer %s: cannot remove its MTU route: %s", p->cert.name,
				  strerror(-err));
		if (mtu && (err = wf_nl_route_add(d->node.ifname, &host, mtu)) < 0)
			log_warnx_rl("peer %s: cannot set MTU %u on its route: %s", p->cert.name, mtu,
				     strerror(-err));
	}
	p->mtu_route = mtu;
}

void wf_mtu_forget(struct wf_daemon *d, struct wf_peer *p)
{
	if (p->mtu_route)
		peer_routes(d, p, 0);
	p->mtu = 0;
}

void wf_mtu_check(struct wf_daemon *d, struct wf_peer *p)
{
	int path;
	unsigned mtu;

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
	mtu = wf_overlay_mtu((unsigned)path, datagram_family(&p->endpoint), wf_self_addr(d, AF_INET6) != NULL);
	if (mtu > d->node.mtu)
		mtu = d->node.mtu;
	log_debug("peer %s: path MTU %d: %u inside (the device's %u)", p->cert.name, path, mtu,
		  d->node.mtu);
	if (mtu == p->mtu)
		return;
	if (p->mtu)
		log_info("peer %s: MTU %u (was %u)", p->cert.name, mtu, p->mtu);
	p->mtu = mtu;
	if (mtu < d->node.mtu)
		peer_routes(d, p, mtu);
	else if (p->mtu_route)
		peer_routes(d, p, 0);
}
