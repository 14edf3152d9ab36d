/* SPDX-License-Identifier: MIT */
/*
 * Interface, address and route configuration over rtnetlink (a NETLINK_ROUTE
 * socket): no shelling out to ip(8). Control thread only, never the packet
 * path: each call opens its own socket, sends one request with NLM_F_ACK and
 * waits for the kernel's answer, so every error comes back as -errno.
 *
 * When the TUN fd is closed the kernel deletes the device, and with it every
 * address and route that points at it: the daemon needs no cleanup on exit.
 * The _del functions exist for reload, when a prefix goes away while the
 * device stays.
 */
#ifndef WEFT_NETLINK_H
#define WEFT_NETLINK_H

#include "common/addr.h"

/* Set the interface's MTU and bring it up. 0 or -errno. */
int wf_nl_link_set_mtu_up(const char *ifname, unsigned mtu);
/* The interface's MTU, or -errno (-ENODEV if there is no such interface). */
int wf_nl_link_mtu(const char *ifname);

/*
 * Assign the address addr->addr (addr->len is ignored) with prefix length
 * prefixlen, e.g. 100.64.0.1 and 10 for 100.64.0.1/10; the kernel then adds
 * the connected route for the prefix. IPv6 addresses skip duplicate address
 * detection (IFA_F_NODAD) so they are usable at once.
 * Returns 0, -EEXIST if the address is already there (callers usually treat
 * that as success: a reload or a restart onto a persistent device), or -errno.
 */
int wf_nl_addr_add(const char *ifname, const struct wf_prefix *addr, unsigned prefixlen);
/* 0, -EADDRNOTAVAIL if the address is not assigned, or -errno. */
int wf_nl_addr_del(const char *ifname, const struct wf_prefix *addr, unsigned prefixlen);

/*
 * Route dst through the interface (a device route, no gateway) in the main
 * table. mtu 0 means the interface's MTU; otherwise the route carries its own
 * MTU metric. Returns 0, -EEXIST if the route exists (see wf_nl_addr_add), or
 * -errno.
 */
int wf_nl_route_add(const char *ifname, const struct wf_prefix *dst, unsigned mtu);
/* 0, -ESRCH if there is no such route, or -errno. */
int wf_nl_route_del(const char *ifname, const struct wf_prefix *dst);

/*
 * The MTU on the way to an underlay destination: the route's MTU metric if it
 * has one (including a cached path MTU), else the MTU of the interface the
 * route leaves through. The overlay MTU is this minus the encapsulation
 * overhead (60 for IPv4, 80 for IPv6). The port is ignored; an IPv6 scope id
 * selects the outgoing interface. Returns the MTU or -errno (-ENETUNREACH
 * when there is no route).
 */
int wf_nl_route_mtu_to(const union wf_endpoint *dst);

#endif
