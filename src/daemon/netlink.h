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
/* The same with a preferred source address (the route's "src"), for routes
 * through an interface that holds no address of its own, such as the xfrm
 * interface: without it the kernel picks any of the host's addresses, maybe
 * an underlay one. src must be of dst's family. */
int wf_nl_route_add_src(const char *ifname, const struct wf_prefix *dst,
			const struct wf_prefix *src, unsigned mtu);
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

/*
 * The kernel data path's own interface: an xfrm interface (kind "xfrm", Linux
 * 4.19+). Packets routed into it go out through the IPsec policies and SAs
 * that carry its if_id; packets those SAs decrypt come out of it. link is the
 * underlay interface it is tied to, or NULL for none (the ESP packets then
 * leave by the underlay routes, which is what a mesh wants). It is created
 * down: wf_nl_link_set_mtu_up brings it up. Returns 0, -EEXIST if an
 * interface of that name exists, -EOPNOTSUPP if the kernel has no xfrm
 * interfaces (CONFIG_XFRM_INTERFACE: "Unknown device type"), -EINVAL for
 * if_id 0, or -errno.
 */
int wf_nl_xfrmi_add(const char *ifname, uint32_t if_id, const char *link);
/* The if_id of the xfrm interface ifname: 0, -ENODEV if there is no such
 * interface, -EMEDIUMTYPE if it is not an xfrm interface, or -errno. What
 * tells a crashed run's interface (ours: remove it) from another's. */
int wf_nl_xfrmi_get(const char *ifname, uint32_t *if_id);
/* Delete the interface: 0, -ENODEV, or -errno. */
int wf_nl_link_del(const char *ifname);

/* For tests and fuzzers: read an RTM_NEWLINK answer as wf_nl_xfrmi_get does
 * (0 and *if_id; 0 for another message type; -EMEDIUMTYPE, -EBADMSG). */
struct nlmsghdr;
int wf_nl_xfrmi_parse(const struct nlmsghdr *nh, uint32_t *if_id);

#endif
