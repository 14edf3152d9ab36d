/* SPDX-License-Identifier: MIT */
/*
 * Reading what the kernel sends on NETLINK_XFRM (xfrm.h): SAs (GETSA answers
 * and dumps), policies (dumps), expires and acquires. Every length is
 * checked before it is used (tests/fuzz/fuzz_xfrm.c): a message too short for
 * its header, or whose addresses are of no family, is -EBADMSG; a short or
 * missing attribute just leaves its field zero.
 *
 * Netlink aligns messages to 4 bytes only, and the headers hold 64-bit
 * counters: the second message of a datagram may well sit at 4 mod 8, so
 * each header is copied out before it is read (the fuzzer's UBSan said so).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/xfrm.h>
#include <string.h>

#include "daemon/xfrm.h"

static bool family_ok(int family)
{
	return family == AF_INET || family == AF_INET6;
}

static unsigned family_bits(int family)
{
	return family_ok(family) ? 8 * (unsigned)wf_family_addr_len(family) : 0;
}

static void addr_get(struct wf_prefix *p, int family, const xfrm_address_t *x, unsigned len)
{
	memset(p, 0, sizeof(*p));
	p->family = (uint8_t)family;
	p->len = (uint8_t)len;
	memcpy(p->addr, x, family_bits(family) / 8);
}

static const void *attr(const void *attrs, size_t len, unsigned short type, size_t size)
{
	return wf_nl_attr_data(wf_nl_attr_find(attrs, len, type), size);
}

/* The replay state: 64-bit sequence numbers with ESN, 32-bit without. */
static void replay_read(const void *attrs, size_t len, struct wf_xfrm_sa_info *info)
{
	const struct xfrm_replay_state_esn *esn;
	const struct xfrm_replay_state *rs;

	esn = attr(attrs, len, XFRMA_REPLAY_ESN_VAL, sizeof(*esn));
	rs = attr(attrs, len, XFRMA_REPLAY_VAL, sizeof(*rs));
	if (esn) {
		info->seq = (uint64_t)esn->seq_hi << 32 | esn->seq;
		info->oseq = (uint64_t)esn->oseq_hi << 32 | esn->oseq;
		info->replay_window = esn->replay_window;
	} else if (rs) {
		info->seq = rs->seq;
		info->oseq = rs->oseq;
	}
}

/* What the attributes after an SA's info add: the owner, the last use, the
 * sequence numbers, the encapsulation. */
static void sa_attrs_read(const void *attrs, size_t len, struct wf_xfrm_sa_info *info)
{
	const struct xfrm_encap_tmpl *e;
	const uint8_t *lu;

	(void)wf_nl_attr_u32(wf_nl_attr_find(attrs, len, XFRMA_IF_ID), &info->if_id);
	lu = attr(attrs, len, XFRMA_LASTUSED, sizeof(uint64_t));
	if (lu)
		memcpy(&info->last_used, lu, sizeof(info->last_used));
	replay_read(attrs, len, info);
	e = attr(attrs, len, XFRMA_ENCAP, sizeof(*e));
	if (e) {
		info->encap_sport = ntohs(e->encap_sport);
		info->encap_dport = ntohs(e->encap_dport);
	}
}

static int sa_info_read(const struct xfrm_usersa_info *p, const void *attrs, size_t len,
			struct wf_xfrm_sa_info *info)
{
	unsigned bits = family_bits(p->family);

	memset(info, 0, sizeof(*info));
	if (!bits)
		return -EBADMSG;
	addr_get(&info->id.dst, p->family, &p->id.daddr, bits);
	addr_get(&info->src, p->family, &p->saddr, bits);
	info->id.spi = ntohl(p->id.spi);
	info->proto = p->id.proto;
	info->mode = p->mode;
	info->reqid = p->reqid;
	info->bytes = p->curlft.bytes;
	info->packets = p->curlft.packets;
	info->add_time = p->curlft.add_time;
	info->use_time = p->curlft.use_time;
	info->replay_window = p->replay_window;
	info->replay_dropped = p->stats.replay;
	info->integrity_failed = p->stats.integrity_failed;
	sa_attrs_read(attrs, len, info);
	return 0;
}

int wf_xfrm_sa_parse(const struct nlmsghdr *nh, struct wf_xfrm_sa_info *info)
{
	struct xfrm_usersa_info p;
	const void *attrs;
	size_t len;

	memset(info, 0, sizeof(*info));
	if (nh->nlmsg_type != XFRM_MSG_NEWSA)
		return -ENOMSG;
	attrs = wf_nl_msg_attrs(nh, sizeof(p), &len);
	if (!attrs)
		return -EBADMSG;
	memcpy(&p, NLMSG_DATA(nh), sizeof(p));
	return sa_info_read(&p, attrs, len, info);
}

static int selector_get(struct wf_prefix *src, struct wf_prefix *dst,
			const struct xfrm_selector *sel)
{
	unsigned max = family_bits(sel->family);

	if (sel->prefixlen_s > max || sel->prefixlen_d > max)
		return -EBADMSG; /* also AF_UNSPEC with a prefix */
	addr_get(src, sel->family, &sel->saddr, sel->prefixlen_s);
	addr_get(dst, sel->family, &sel->daddr, sel->prefixlen_d);
	return 0;
}

int wf_xfrm_policy_parse(const struct nlmsghdr *nh, struct wf_xfrm_policy_info *info)
{
	struct xfrm_userpolicy_info pi;
	const struct xfrm_user_tmpl *t;
	const void *attrs;
	size_t len;

	memset(info, 0, sizeof(*info));
	if (nh->nlmsg_type != XFRM_MSG_NEWPOLICY)
		return -ENOMSG;
	attrs = wf_nl_msg_attrs(nh, sizeof(pi), &len);
	if (!attrs)
		return -EBADMSG;
	memcpy(&pi, NLMSG_DATA(nh), sizeof(pi));
	info->index = pi.index;
	info->dir = pi.dir;
	info->priority = pi.priority;
	(void)wf_nl_attr_u32(wf_nl_attr_find(attrs, len, XFRMA_IF_ID), &info->if_id);
	t = attr(attrs, len, XFRMA_TMPL, sizeof(*t));
	if (t)
		info->reqid = t->reqid;
	return selector_get(&info->src, &info->dst, &pi.sel);
}

/* An expire carries the SA as a dump does, and whether it is the hard one. */
static int expire_parse(const struct nlmsghdr *nh, struct wf_xfrm_event *ev)
{
	struct xfrm_user_expire ue;
	const void *attrs;
	size_t len;

	attrs = wf_nl_msg_attrs(nh, sizeof(ue), &len);
	if (!attrs)
		return -EBADMSG;
	memcpy(&ue, NLMSG_DATA(nh), sizeof(ue));
	ev->kind = ue.hard ? WF_XFRM_EXPIRE_HARD : WF_XFRM_EXPIRE_SOFT;
	return sa_info_read(&ue.state, attrs, len, &ev->sa);
}

/* An acquire: the policy's template names the tunnel (and its family, which
 * the acquire's own header leaves out), the selector the packet. */
static int acquire_parse(const struct nlmsghdr *nh, struct wf_xfrm_event *ev)
{
	struct xfrm_user_acquire ua;
	const struct xfrm_user_tmpl *t;
	const void *attrs;
	size_t len;
	unsigned bits;

	attrs = wf_nl_msg_attrs(nh, sizeof(ua), &len);
	if (!attrs)
		return -EBADMSG;
	memcpy(&ua, NLMSG_DATA(nh), sizeof(ua));
	t = attr(attrs, len, XFRMA_TMPL, sizeof(*t));
	bits = t ? family_bits(t->family) : 0;
	if (!bits)
		return -EBADMSG;
	ev->kind = WF_XFRM_ACQUIRE;
	addr_get(&ev->sa.id.dst, t->family, &ua.id.daddr, bits);
	addr_get(&ev->sa.src, t->family, &ua.saddr, bits);
	ev->sa.id.spi = ntohl(ua.id.spi);
	ev->sa.proto = ua.id.proto;
	ev->sa.mode = t->mode;
	ev->sa.reqid = t->reqid;
	(void)wf_nl_attr_u32(wf_nl_attr_find(attrs, len, XFRMA_IF_ID), &ev->sa.if_id);
	return selector_get(&ev->sel_src, &ev->sel_dst, &ua.sel);
}

int wf_xfrm_event_parse(const struct nlmsghdr *nh, struct wf_xfrm_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	switch (nh->nlmsg_type) {
	case XFRM_MSG_EXPIRE:
		return expire_parse(nh, ev);
	case XFRM_MSG_ACQUIRE:
		return acquire_parse(nh, ev);
	default:
		return -ENOMSG;
	}
}
