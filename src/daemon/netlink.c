/* SPDX-License-Identifier: MIT */
/*
 * rtnetlink requests. Every request is built in a fixed buffer by the small
 * req_* builder below (which refuses to write past the end instead of
 * truncating), sent with NLM_F_ACK on a fresh socket, and answered by the
 * kernel with optional reply messages and then exactly one NLMSG_ERROR
 * carrying 0 or -errno. Configuration happens a handful of times per run, so
 * a socket per request costs nothing and keeps the functions free of state.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "daemon/netlink.h"

/* Our largest request is a route: 12 + 16 + 3 attributes, far below this. */
enum { NL_REQ_SIZE = 256, NL_RECV_SIZE = 32768 };

struct nl_req {
	union {
		struct nlmsghdr nh;
		uint8_t buf[NL_REQ_SIZE];
	} u;
	bool overflow;
};

/* Start a request whose family header (ifinfomsg, ifaddrmsg, rtmsg) is
 * hdrlen bytes; returns that header, zeroed. */
static void *req_init(struct nl_req *r, uint16_t type, uint16_t flags, size_t hdrlen)
{
	memset(r, 0, sizeof(*r));
	r->u.nh.nlmsg_len = NLMSG_LENGTH(hdrlen);
	r->u.nh.nlmsg_type = type;
	r->u.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	r->u.nh.nlmsg_seq = 1;
	return NLMSG_DATA(&r->u.nh);
}

/* Append an attribute; on overflow mark the request, which nl_talk() then
 * refuses to send. The buffer was zeroed, so padding is zero. */
static struct rtattr *req_put(struct nl_req *r, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(r->u.nh.nlmsg_len);
	struct rtattr *rta;

	if (r->overflow || len > UINT16_MAX - RTA_LENGTH(0) || off + RTA_SPACE(len) > NL_REQ_SIZE) {
		r->overflow = true;
		return NULL;
	}
	rta = (struct rtattr *)(r->u.buf + off);
	rta->rta_type = type;
	rta->rta_len = (uint16_t)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	r->u.nh.nlmsg_len = (uint32_t)(off + RTA_SPACE(len));
	return rta;
}

static void req_put_u32(struct nl_req *r, uint16_t type, uint32_t v)
{
	req_put(r, type, &v, sizeof(v));
}

/* A nested attribute: start it empty, add its members, then close it. */
static struct rtattr *req_nest_start(struct nl_req *r, uint16_t type)
{
	return req_put(r, type, NULL, 0);
}

static void req_nest_end(struct nl_req *r, struct rtattr *nest)
{
	if (!nest || r->overflow)
		return;
	nest->rta_len = (uint16_t)(r->u.buf + r->u.nh.nlmsg_len - (uint8_t *)nest);
}

/* Find attribute type among the attributes in [data, data + len). */
static const struct rtattr *attr_find(const void *data, size_t len, unsigned short type)
{
	size_t off = 0;

	while (off + sizeof(struct rtattr) <= len) {
		const struct rtattr *a = (const struct rtattr *)((const uint8_t *)data + off);

		if (a->rta_len < sizeof(*a) || a->rta_len > len - off)
			return NULL;
		if ((a->rta_type & NLA_TYPE_MASK) == type)
			return a;
		off += RTA_ALIGN(a->rta_len);
	}
	return NULL;
}

static bool attr_u32(const struct rtattr *a, uint32_t *v)
{
	if (!a || RTA_PAYLOAD(a) < sizeof(*v))
		return false;
	memcpy(v, RTA_DATA(a), sizeof(*v));
	return true;
}

/* The attributes following a message's family header of hdrlen bytes. */
static const void *msg_attrs(const struct nlmsghdr *nh, size_t hdrlen, size_t *len)
{
	if (nh->nlmsg_len < NLMSG_LENGTH(hdrlen))
		return NULL;
	*len = nh->nlmsg_len - NLMSG_SPACE(hdrlen);
	return (const uint8_t *)NLMSG_DATA(nh) + NLMSG_ALIGN(hdrlen);
}

/* With NETLINK_EXT_ACK the kernel often explains an error in words, which
 * beats a bare errno when debugging a refused request. */
static void log_ext_ack(const struct nlmsghdr *nh, const struct nlmsgerr *e)
{
	size_t off = NLMSG_ALIGN(sizeof(*e)), len;
	const struct rtattr *msg;

	if (!(nh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nh->nlmsg_flags & NLM_F_CAPPED) && e->msg.nlmsg_len >= NLMSG_HDRLEN)
		off += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
	if (NLMSG_LENGTH(off) > nh->nlmsg_len)
		return;
	len = nh->nlmsg_len - NLMSG_LENGTH(off);
	msg = attr_find((const uint8_t *)NLMSG_DATA(nh) + off, len, NLMSGERR_ATTR_MSG);
	if (msg && RTA_PAYLOAD(msg) > 0)
		log_debug("rtnetlink: %.*s", (int)RTA_PAYLOAD(msg), (const char *)RTA_DATA(msg));
}

/* Called for each reply message (not the final ack); returns 0 or -errno. */
typedef int (*nl_reply_fn)(const struct nlmsghdr *nh, void *arg);

/* Handle one received datagram. Returns 1 to keep reading, else the result. */
static int nl_parse(const uint8_t *buf, size_t n, uint32_t seq, nl_reply_fn cb, void *arg,
		    int *cb_err)
{
	size_t off = 0;

	while (off + sizeof(struct nlmsghdr) <= n) {
		const struct nlmsghdr *nh = (const struct nlmsghdr *)(buf + off);
		const struct nlmsgerr *e;

		if (nh->nlmsg_len < sizeof(*nh) || nh->nlmsg_len > n - off)
			return -EBADMSG;
		off += NLMSG_ALIGN(nh->nlmsg_len);
		if (nh->nlmsg_seq != seq)
			continue; /* not ours: a stale answer */
		if (nh->nlmsg_type == NLMSG_DONE)
			return *cb_err;
		if (nh->nlmsg_type != NLMSG_ERROR) {
			if (cb && *cb_err == 0)
				*cb_err = cb(nh, arg);
			continue;
		}
		if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
			return -EBADMSG;
		e = NLMSG_DATA(nh);
		if (e->error > 0 || e->error < -4095)
			return -EBADMSG;
		if (e->error)
			log_ext_ack(nh, e);
		return e->error ? e->error : *cb_err;
	}
	return 1;
}

static int nl_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int one = 1;

	if (fd < 0)
		return -errno;
	/* Both are optional (Linux 4.12+): without them errors are bare errnos. */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return fd;
}

static ssize_t nl_recv(int fd, void *buf, size_t len)
{
	struct sockaddr_nl from;
	socklen_t fromlen;
	ssize_t n;

	for (;;) {
		fromlen = sizeof(from);
		n = recvfrom(fd, buf, len, MSG_TRUNC, (struct sockaddr *)&from, &fromlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if ((size_t)n > len)
			return -EMSGSIZE;
		if (fromlen == sizeof(from) && from.nl_pid == 0)
			return n; /* only the kernel may answer */
	}
}

/* Send the request and wait for the kernel's ack; replies go to cb. */
static int nl_talk(struct nl_req *r, nl_reply_fn cb, void *arg)
{
	static const struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	union {
		struct nlmsghdr nh;
		uint8_t buf[NL_RECV_SIZE];
	} rx;
	int fd, ret, cb_err = 0;
	ssize_t n;

	if (r->overflow)
		return -EMSGSIZE;
	fd = nl_open();
	if (fd < 0)
		return fd;
	if (sendto(fd, r->u.buf, r->u.nh.nlmsg_len, 0, (const struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0) {
		ret = -errno;
		goto out;
	}
	do {
		n = nl_recv(fd, rx.buf, sizeof(rx.buf));
		ret = n < 0 ? (int)n
			    : nl_parse(rx.buf, (size_t)n, r->u.nh.nlmsg_seq, cb, arg, &cb_err);
	} while (ret == 1);
out:
	close(fd);
	return ret;
}

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
	struct nl_req r;

	if (idx < 0)
		return idx;
	ifi = req_init(&r, RTM_NEWLINK, 0, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = idx;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	req_put_u32(&r, IFLA_MTU, mtu);
	return nl_talk(&r, NULL, NULL);
}

static int link_reply(const struct nlmsghdr *nh, void *arg)
{
	const void *attrs;
	uint32_t mtu;
	size_t len;

	if (nh->nlmsg_type != RTM_NEWLINK)
		return 0;
	attrs = msg_attrs(nh, sizeof(struct ifinfomsg), &len);
	if (!attrs || !attr_u32(attr_find(attrs, len, IFLA_MTU), &mtu) || mtu > INT32_MAX)
		return -EBADMSG;
	*(int *)arg = (int)mtu;
	return 0;
}

static int link_mtu_by_index(int idx)
{
	uint32_t filter = RTEXT_FILTER_SKIP_STATS; /* keeps the answer small */
	struct ifinfomsg *ifi;
	struct nl_req r;
	int mtu = -ENODATA, ret;

	ifi = req_init(&r, RTM_GETLINK, 0, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = idx;
	req_put_u32(&r, IFLA_EXT_MASK, filter);
	ret = nl_talk(&r, link_reply, &mtu);
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
	struct nl_req r;

	if (ret < 0)
		return ret;
	idx = ifindex_of(ifname);
	if (idx < 0)
		return idx;
	ifa = req_init(&r, type, flags, sizeof(*ifa));
	ifa->ifa_family = addr->family;
	ifa->ifa_prefixlen = (uint8_t)prefixlen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)idx;
	if (type == RTM_NEWADDR && addr->family == AF_INET6) {
		/* The overlay has no duplicates to detect: the CA assigned the
		 * address. DAD would leave it "tentative" and unusable for ~1 s. */
		ifa->ifa_flags = IFA_F_NODAD;
		req_put_u32(&r, IFA_FLAGS, IFA_F_NODAD);
	}
	req_put(&r, IFA_LOCAL, addr->addr, alen);
	req_put(&r, IFA_ADDRESS, addr->addr, alen);
	return nl_talk(&r, NULL, NULL);
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
			const struct wf_prefix *dst, unsigned mtu)
{
	int idx, ret = family_check(dst->family, dst->len);
	struct rtattr *metrics;
	struct rtmsg *rtm;
	struct nl_req r;

	if (ret < 0)
		return ret;
	idx = ifindex_of(ifname);
	if (idx < 0)
		return idx;
	rtm = req_init(&r, type, flags, sizeof(*rtm));
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
		req_put(&r, RTA_DST, dst->addr, wf_family_addr_len(dst->family));
	req_put_u32(&r, RTA_OIF, (uint32_t)idx);
	if (mtu) {
		metrics = req_nest_start(&r, RTA_METRICS);
		req_put_u32(&r, RTAX_MTU, mtu);
		req_nest_end(&r, metrics);
	}
	return nl_talk(&r, NULL, NULL);
}

int wf_nl_route_add(const char *ifname, const struct wf_prefix *dst, unsigned mtu)
{
	return route_change(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, ifname, dst, mtu);
}

int wf_nl_route_del(const char *ifname, const struct wf_prefix *dst)
{
	return route_change(RTM_DELROUTE, 0, ifname, dst, 0);
}

struct route_info {
	uint32_t oif;
	uint32_t mtu; /* 0: the route has no MTU metric */
};

static int route_reply(const struct nlmsghdr *nh, void *arg)
{
	struct route_info *ri = arg;
	const struct rtattr *metrics;
	const void *attrs;
	size_t len;

	if (nh->nlmsg_type != RTM_NEWROUTE)
		return 0;
	attrs = msg_attrs(nh, sizeof(struct rtmsg), &len);
	if (!attrs || !attr_u32(attr_find(attrs, len, RTA_OIF), &ri->oif))
		return -EBADMSG;
	metrics = attr_find(attrs, len, RTA_METRICS);
	if (metrics)
		(void)attr_u32(attr_find(RTA_DATA(metrics), RTA_PAYLOAD(metrics), RTAX_MTU),
			       &ri->mtu);
	return 0;
}

/* The route lookup's key: the address, and the interface for a scoped IPv6
 * one. An IPv4-mapped IPv6 endpoint (dual-stack socket) is looked up as IPv4. */
static int route_get_req(struct nl_req *r, const union wf_endpoint *dst)
{
	const struct in6_addr *a6 = &dst->in6.sin6_addr;
	struct rtmsg *rtm = req_init(r, RTM_GETROUTE, 0, sizeof(*rtm));

	if (dst->sa.sa_family == AF_INET) {
		rtm->rtm_family = AF_INET;
		rtm->rtm_dst_len = 32;
		req_put(r, RTA_DST, &dst->in4.sin_addr, 4);
	} else if (dst->sa.sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(a6)) {
		rtm->rtm_family = AF_INET;
		rtm->rtm_dst_len = 32;
		req_put(r, RTA_DST, a6->s6_addr + 12, 4);
	} else if (dst->sa.sa_family == AF_INET6) {
		rtm->rtm_family = AF_INET6;
		rtm->rtm_dst_len = 128;
		req_put(r, RTA_DST, a6, sizeof(*a6));
		if (dst->in6.sin6_scope_id)
			req_put_u32(r, RTA_OIF, dst->in6.sin6_scope_id);
	} else {
		return -EAFNOSUPPORT;
	}
	return 0;
}

int wf_nl_route_mtu_to(const union wf_endpoint *dst)
{
	struct route_info ri = {0};
	struct nl_req r;
	int ret, mtu;

	ret = route_get_req(&r, dst);
	if (ret == 0)
		ret = nl_talk(&r, route_reply, &ri);
	if (ret < 0)
		return ret;
	if (ri.oif == 0 || ri.oif > INT32_MAX)
		return -ENODATA;
	mtu = link_mtu_by_index((int)ri.oif);
	/* A route MTU (set by hand, or a learned path MTU) may be below the
	 * interface's; the smaller one is what fits. */
	if (mtu > 0 && ri.mtu > 0 && ri.mtu < (unsigned)mtu)
		mtu = (int)ri.mtu;
	return mtu;
}
