/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for every reader of what the kernel sends on the kernel
 * data path's netlink sockets: src/daemon/xfrm_parse.c (SAs, policies,
 * expires, acquires), the event datagram walk in xfrm_event.c (included, so
 * its static function is reachable), nlmsg.c's answer reader and netlink.c's
 * xfrm interface reader.
 *
 * Input: a datagram, as the kernel would send it, whose first message's
 * sequence number is taken as the request's. It goes to the event walk as
 * it is, and to the answer reader, whose callback gives every message to
 * every parser under every type they take (a random type rarely is one).
 * Besides memory safety: what a parser accepts has prefixes no longer than
 * their family, and a family that is one.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "daemon/netlink.h"
#include "daemon/xfrm.h"
#include "daemon/xfrm_event.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { OWNER = 0x77660001 };

static void check_prefix(const struct wf_prefix *p, bool family_needed)
{
	if (p->family != AF_INET && p->family != AF_INET6) {
		if (family_needed || p->len)
			__builtin_trap();
		return;
	}
	if (p->len > 8 * wf_family_addr_len(p->family))
		__builtin_trap();
}

static void on_event(const struct wf_xfrm_event *ev, void *arg)
{
	(void)arg;
	if (ev->sa.if_id != OWNER)
		__builtin_trap(); /* the walk hands over only the owner's */
	check_prefix(&ev->sa.id.dst, true);
	check_prefix(&ev->sa.src, true);
}

/* Every parser on a copy of the message under each type it reads. */
static int every_parser(const struct nlmsghdr *nh, void *arg)
{
	static const uint16_t types[] = {XFRM_MSG_NEWSA, XFRM_MSG_NEWPOLICY, XFRM_MSG_EXPIRE,
					 XFRM_MSG_ACQUIRE, RTM_NEWLINK};
	static union {
		struct nlmsghdr nh;
		uint8_t buf[WF_NL_RECV_SIZE];
	} copy;
	struct wf_xfrm_policy_info pol;
	struct wf_xfrm_sa_info sa;
	struct wf_xfrm_event ev;
	uint32_t if_id;

	(void)arg;
	memcpy(copy.buf, nh, nh->nlmsg_len);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		copy.nh.nlmsg_type = types[i];
		if (wf_xfrm_sa_parse(&copy.nh, &sa) == 0) {
			check_prefix(&sa.id.dst, true);
			check_prefix(&sa.src, true);
		}
		if (wf_xfrm_policy_parse(&copy.nh, &pol) == 0) {
			check_prefix(&pol.src, false);
			check_prefix(&pol.dst, false);
		}
		if (wf_xfrm_event_parse(&copy.nh, &ev) == 0) {
			check_prefix(&ev.sa.id.dst, true);
			check_prefix(&ev.sel_src, false);
		}
		(void)wf_nl_xfrmi_parse(&copy.nh, &if_id);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static union {
		struct nlmsghdr nh;
		uint8_t buf[WF_NL_RECV_SIZE];
	} in;
	char ext[WF_NL_EXT_MSG_LEN];
	uint32_t seq = 0;
	int cb_err = 0;

	if (size > sizeof(in.buf))
		return 0;
	memcpy(in.buf, data, size); /* aligned, as a received datagram is */
	if (size >= sizeof(struct nlmsghdr))
		seq = in.nh.nlmsg_seq;
	(void)events_each(in.buf, size, OWNER, on_event, NULL);
	(void)wf_nl_parse_answer(in.buf, size, seq, every_parser, NULL, &cb_err, ext, sizeof(ext));
	return 0;
}
