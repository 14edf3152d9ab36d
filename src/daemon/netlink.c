/* SPDX-License-Identifier: MIT */
/*
 * rtnetlink requests, built and sent with nlmsg.h: each on a fresh socket,
 * answered by the kernel with optional reply messages and then exactly one
 * NLMSG_ERROR carrying 0 or -errno. A socket per request keeps the functions
 * free of state. The busiest callers (mtu.c, a route lookup per peer met;
 * subnets.c, a route added or removed as a gateway comes or goes) make a
 * request per change, where a socket costs microseconds.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "common/log.h"
#include "daemon/netlink.h"
#include "daemon/nlmsg.h"

static int ifindex_of(const char *ifname)
{
	unsigned idx = if_nametoindex(ifname);

	if (idx == 0)
		return errno ? -errno : -ENODEV;
	return idx > INT32_MAX ? -ERANGE : (int)idx;
}

static int family_check(int family, unsigned prefixlen)
{
	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	return prefixlen > 8 * wf_family_addr_len(family) ? -EINVAL : 0;
}

int wf_nl_link_set_mtu_up(const char *ifname, unsigned mtu)
{
	int idx = ifindex_of(ifname);
	struct ifinfomsg *ifi;
	struct wf_nl_req r;

	if (idx < 0)
		return idx;
	ifi = wf_nl_req_init(&r, RTM_NEWLINK, 0, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = idx;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	wf_nl_req_put_u32(&r, IFLA_MTU, mtu);
	return wf_nl_talk(NETLINK_ROUTE, &r, NULL, NULL);
}

static int link_reply(const struct nlmsghdr *nh, void *arg)
{
	const void *attrs;
	uint32_t mtu;
	size_t len;

	if (nh->nlmsg_type != RTM_NEWLINK)
		return 0;
	attrs = wf_nl_msg_attrs(nh, sizeof(struct ifinfomsg), &len);
	if (!attrs || !wf_nl_attr_u32(wf_nl_attr_find(attrs, len, IFLA_MTU), &mtu) ||
	    mtu > INT32_MAX)
		return -EBADMSG;
	*(int *)arg = (int)mtu;
	return 0;
}

static int link_mtu_by_index(int idx)
{
	uint32_t filter = RTEXT_FILTER_SKIP_STATS; /* keeps the answer small */
	struct ifinfomsg *ifi;
	struct wf_nl_req r;
	int mtu = -ENODATA, ret;

	ifi = wf_nl_req_init(&r, RTM_GETLINK, 0, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = idx;
	wf_nl_req_put_u32(&r, IFLA_EXT_MASK, filter);
	ret = wf_nl_talk(NETLINK_ROUTE, &r, link_reply, &mtu);
	return ret < 0 ? ret : mtu;
}

int wf_nl_link_mtu(const char *ifname)
{
	int idx = ifindex_of(ifname);

	return idx < 0 ? idx : link_mtu_by_index(idx);
}

static int addr_change(uint16_t type, uint16_t flags, const char *ifname,
		       const struct wf_prefix *addr, unsigned prefixlen)
{
	size_t alen = wf_family_addr_len(addr->family);
	int idx, ret = family_check(addr->family, prefixlen);
	struct ifaddrmsg *ifa;
	struct wf_nl_req r;

	if (ret < 0)
		return ret;
	idx = ifindex_of(ifname);
	if (idx < 0)
		return idx;
	ifa = wf_nl_req_init(&r, type, flags, sizeof(*ifa));
	ifa->ifa_family = addr->family;
	ifa->ifa_prefixlen = (uint8_t)prefixlen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)idx;
	if (type == RTM_NEWADDR && addr->family == AF_INET6) {
		/* The overlay has no duplicates to detect: the CA assigned the
		 * address. DAD would leave it "tentative" and unusable for ~1 s. */
		ifa->ifa_flags = IFA_F_NODAD;
		wf_nl_req_put_u32(&r, IFA_FLAGS, IFA_F_NODAD);
	}
	wf_nl_req_put(&r, IFA_LOCAL, addr->addr, alen);
	wf_nl_req_put(&r, IFA_ADDRESS, addr->addr, alen);
	return wf_nl_talk(NETLINK_ROUTE, &r, NULL, NULL);
}

int wf_nl_addr_add(const char *ifname, const struct wf_prefix *addr, unsigned prefixlen)
{
	return addr_change(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifname, addr, prefixlen);
}

int wf_nl_addr_del(const char *ifname, const struct wf_prefix *addr, unsigned prefixlen)
{
	return addr_change(RTM_DELADDR, 0, ifname, addr, prefixlen);
}

static int route_change(uint16_t type, uint16_t flags, const char *ifname,
			const struct wf_prefix *dst, const struct wf_prefix *src, unsigned mtu)
{
	int idx, ret = family_check(dst->family, dst->len);
	struct rtattr *metrics;
	struct rtmsg *rtm;
	struct wf_nl_req r;

	if (ret == 0 && src && src->family != dst->family)
		ret = -EINVAL;
	if (ret < 0)
		return ret;
	idx = ifindex_of(ifname);
	if (idx < 0)
		return idx;
	rtm = wf_nl_req_init(&r, type, flags, sizeof(*rtm));
	rtm->rtm_family = dst->family;
	rtm->rtm_dst_len = dst->len;
	rtm->rtm_table = RT_TABLE_MAIN;
	if (type == RTM_NEWROUTE) {
		rtm->rtm_protocol = RTPROT_STATIC;
		rtm->rtm_type = RTN_UNICAST;
		/* What ip(8) picks for a route without a gateway. */
		rtm->rtm_scope = dst->family == AF_INET ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
	} else {
		/* Delete whatever scope, type and protocol, but only via ifname. */
		rtm->rtm_scope = dst->family == AF_INET ? RT_SCOPE_NOWHERE : RT_SCOPE_UNIVERSE;
	}
	if (dst->len)
		wf_nl_req_put(&r, RTA_DST, dst->addr, wf_family_addr_len(dst->family));
	wf_nl_req_put_u32(&r, RTA_OIF, (uint32_t)idx);
	if (src)
		wf_nl_req_put(&r, RTA_PREFSRC, src->addr, wf_family_addr_len(src->family));
	if (mtu) {
		metrics = wf_nl_nest_start(&r, RTA_METRICS);
		wf_nl_req_put_u32(&r, RTAX_MTU, mtu);
		wf_nl_nest_end(&r, metrics);
	}
	return wf_nl_talk(NETLINK_ROUTE, &r, NULL, NULL);
}

int wf_nl_route_add(const char *ifname, const struct wf_prefix *dst, unsigned mtu)
{
	return route_change(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, ifname, dst, NULL, mtu);
}

int wf_nl_route_add_src(const char *ifname, const struct wf_prefix *dst,
			const struct wf_prefix *src, unsigned mtu)
{
	return route_change(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, ifname, dst, src, mtu);
}

int wf_nl_route_del(const char *ifname, const struct wf_prefix *dst)
{
	return route_change(RTM_DELROUTE, 0, ifname, dst, NULL, 0);
}

/* The lookup's outgoing interface (its MTU metric is not read: see
 * wf_nl_route_mtu_to). */
static int route_reply(const struct nlmsghdr *nh, void *arg)
{
	const void *attrs;
	size_t len;

	if (nh->nlmsg_type != RTM_NEWROUTE)
		return 0;
	attrs = wf_nl_msg_attrs(nh, sizeof(struct rtmsg), &len);
	if (!attrs || !wf_nl_attr_u32(wf_nl_attr_find(attrs, len, RTA_OIF), arg))
		return -EBADMSG;
	return 0;
}

/* The route lookup's key: the address, and the interface for a scoped IPv6
 * one. An IPv4-mapped IPv6 endpoint (dual-stack socket) is looked up as IPv4. */
static int route_get_req(struct wf_nl_req *r, const union wf_endpoint *dst, unsigned flags)
{
	const struct in6_addr *a6 = &dst->in6.sin6_addr;
	struct rtmsg *rtm = wf_nl_req_init(r, RTM_GETROUTE, 0, sizeof(*rtm));

	rtm->rtm_flags = flags;
	if (dst->sa.sa_family == AF_INET) {
		rtm->rtm_family = AF_INET;
		rtm->rtm_dst_len = 32;
		wf_nl_req_put(r, RTA_DST, &dst->in4.sin_addr, 4);
	} else if (dst->sa.sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(a6)) {
		rtm->rtm_family = AF_INET;
		rtm->rtm_dst_len = 32;
		wf_nl_req_put(r, RTA_DST, a6->s6_addr + 12, 4);
	} else if (dst->sa.sa_family == AF_INET6) {
		rtm->rtm_family = AF_INET6;
		rtm->rtm_dst_len = 128;
		wf_nl_req_put(r, RTA_DST, a6, sizeof(*a6));
		if (dst->in6.sin6_scope_id)
			wf_nl_req_put_u32(r, RTA_OIF, dst->in6.sin6_scope_id);
	} else {
		return -EAFNOSUPPORT;
	}
	return 0;
}

/* The MTU metric of the routing table's own route (RTM_F_FIB_MATCH: not
 * the lookup's cached copy): one set by hand, `ip route ... mtu 1400`. */
static int fib_reply(const struct nlmsghdr *nh, void *arg)
{
	const struct rtattr *metrics;
	const void *attrs;
	size_t len;

	if (nh->nlmsg_type != RTM_NEWROUTE)
		return 0;
	attrs = wf_nl_msg_attrs(nh, sizeof(struct rtmsg), &len);
	if (!attrs)
		return -EBADMSG;
	metrics = wf_nl_attr_find(attrs, len, RTA_METRICS);
	if (metrics)
		(void)wf_nl_attr_u32(
		    wf_nl_attr_find(RTA_DATA(metrics), RTA_PAYLOAD(metrics), RTAX_MTU), arg);
	return 0;
}

int wf_nl_route_mtu_to(const union wf_endpoint *dst)
{
	struct wf_nl_req r;
	uint32_t oif = 0;
	unsigned set = 0;
	int ret, mtu;

	ret = route_get_req(&r, dst, 0);
	if (ret == 0)
		ret = wf_nl_talk(NETLINK_ROUTE, &r, route_reply, &oif);
	if (ret < 0)
		return ret;
	if (oif == 0 || oif > INT32_MAX)
		return -ENODATA;
	mtu = link_mtu_by_index((int)oif);
	/* A route MTU set by hand may be below the interface's: the smaller
	 * one is what fits. Not the lookup's: that is also a path
	 * MTU the kernel learned from an ICMP "too big", which anyone can
	 * forge; weft finds its paths itself and takes those as hints only
	 * (mtu.c, netns/25-forged-icmp). */
	if (mtu > 0 && route_get_req(&r, dst, RTM_F_FIB_MATCH) == 0 &&
	    wf_nl_talk(NETLINK_ROUTE, &r, fib_reply, &set) == 0 && set > 0 && set < (unsigned)mtu)
		mtu = (int)set;
	return mtu;
}

/* --- xfrm interfaces ------------------------------------------------------ */

int wf_nl_xfrmi_add(const char *ifname, uint32_t if_id, const char *link)
{
	struct rtattr *info, *data;
	struct ifinfomsg *ifi;
	struct wf_nl_req r;
	int link_idx = 0;

	if (if_id == 0) /* the kernel refuses it: 0 is "no interface" on SAs */
		return -EINVAL;
	if (link && (link_idx = ifindex_of(link)) < 0)
		return link_idx;
	ifi = wf_nl_req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	wf_nl_req_put(&r, IFLA_IFNAME, ifname, strlen(ifname) + 1);
	info = wf_nl_nest_start(&r, IFLA_LINKINFO);
	wf_nl_req_put(&r, IFLA_INFO_KIND, "xfrm", 5);
	data = wf_nl_nest_start(&r, IFLA_INFO_DATA);
	wf_nl_req_put_u32(&r, IFLA_XFRM_IF_ID, if_id);
	if (link_idx)
		wf_nl_req_put_u32(&r, IFLA_XFRM_LINK, (uint32_t)link_idx);
	wf_nl_nest_end(&r, data);
	wf_nl_nest_end(&r, info);
	return wf_nl_talk(NETLINK_ROUTE, &r, NULL, NULL);
}

int wf_nl_xfrmi_parse(const struct nlmsghdr *nh, uint32_t *if_id)
{
	const struct rtattr *info, *kind, *data;
	const void *attrs;
	size_t len;

	if (nh->nlmsg_type != RTM_NEWLINK)
		return 0;
	attrs = wf_nl_msg_attrs(nh, sizeof(struct ifinfomsg), &len);
	if (!attrs)
		return -EBADMSG;
	info = wf_nl_attr_find(attrs, len, IFLA_LINKINFO);
	kind = info ? wf_nl_attr_find(RTA_DATA(info), RTA_PAYLOAD(info), IFLA_INFO_KIND) : NULL;
	if (!kind || RTA_PAYLOAD(kind) < 4 || memcmp(RTA_DATA(kind), "xfrm", 4) ||
	    (RTA_PAYLOAD(kind) > 4 && ((const char *)RTA_DATA(kind))[4] != 0))
		return -EMEDIUMTYPE;
	data = wf_nl_attr_find(RTA_DATA(info), RTA_PAYLOAD(info), IFLA_INFO_DATA);
	if (!data ||
	    !wf_nl_attr_u32(wf_nl_attr_find(RTA_DATA(data), RTA_PAYLOAD(data), IFLA_XFRM_IF_ID),
			    if_id))
		return -EBADMSG;
	return 0;
}

static int xfrmi_reply(const struct nlmsghdr *nh, void *arg)
{
	return wf_nl_xfrmi_parse(nh, arg);
}

int wf_nl_xfrmi_get(const char *ifname, uint32_t *if_id)
{
	int idx = ifindex_of(ifname);
	struct ifinfomsg *ifi;
	struct wf_nl_req r;

	if (idx < 0)
		return idx;
	*if_id = 0;
	ifi = wf_nl_req_init(&r, RTM_GETLINK, 0, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = idx;
	wf_nl_req_put_u32(&r, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return wf_nl_talk(NETLINK_ROUTE, &r, xfrmi_reply, if_id);
}

int wf_nl_link_del(const char *ifname)
{
	int idx = ifindex_of(ifname);
	struct ifinfomsg *ifi;
	struct wf_nl_req r;

	if (idx < 0)
		return idx;
	ifi = wf_nl_req_init(&r, RTM_DELLINK, 0, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = idx;
	return wf_nl_talk(NETLINK_ROUTE, &r, NULL, NULL);
}
