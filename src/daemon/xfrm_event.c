/* SPDX-License-Identifier: MIT */
/*
 * The kernel's xfrm events (xfrm.h): a socket subscribed to the expire and
 * acquire groups, and the reading of one datagram of them.
 */
#include <errno.h>
#include <linux/xfrm.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "daemon/xfrm.h"

/* Group g is bit g - 1 of a bind() address's nl_groups. */
#define GROUP_BIT(g) (1u << ((g)-1))

/* A mesh's SAs are made together and so expire together: a thousand soft
 * expires of ~300 bytes each are a burst the default buffer drops. */
enum { EVENTS_RCVBUF = 4 << 20 };

int wf_xfrm_events_open(void)
{
	struct sockaddr_nl sa = {
	    .nl_family = AF_NETLINK,
	    .nl_groups = GROUP_BIT(XFRMNLGRP_EXPIRE) | GROUP_BIT(XFRMNLGRP_ACQUIRE),
	};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_XFRM);
	int size = EVENTS_RCVBUF, err;

	if (fd < 0)
		return -errno;
	/* As root, net.core.rmem_max does not apply; otherwise, up to it. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	err = -errno;
	close(fd);
	return err;
}

/* Hand the datagram's events that are if_id's to cb; how many. */
static int events_each(const uint8_t *buf, size_t n, uint32_t if_id,
		       void (*cb)(const struct wf_xfrm_event *, void *), void *arg)
{
	struct wf_xfrm_event ev;
	size_t off = 0;
	int count = 0, ret;

	while (off + sizeof(struct nlmsghdr) <= n) {
		const struct nlmsghdr *nh = (const struct nlmsghdr *)(buf + off);

		if (nh->nlmsg_len < sizeof(*nh) || nh->nlmsg_len > n - off)
			return -EBADMSG;
		off += NLMSG_ALIGN(nh->nlmsg_len);
		ret = wf_xfrm_event_parse(nh, &ev);
		if (ret == -EBADMSG)
			log_debug("%s: a malformed event (type %u)", __func__, nh->nlmsg_type);
		if (ret < 0 || ev.sa.if_id != if_id)
			continue;
		cb(&ev, arg);
		count++;
	}
	return count;
}

int wf_xfrm_events_read(int fd, uint32_t if_id, void (*cb)(const struct wf_xfrm_event *, void *),
			void *arg)
{
	union {
		struct nlmsghdr nh;
		uint8_t buf[WF_NL_RECV_SIZE];
	} rx;
	int n = wf_nl_recv(fd, rx.buf, sizeof(rx.buf), MSG_DONTWAIT);

	if (n == -EWOULDBLOCK)
		return -EAGAIN;
	return n < 0 ? n : events_each(rx.buf, (size_t)n, if_id, cb, arg);
}
