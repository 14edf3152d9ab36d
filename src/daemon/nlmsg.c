/* SPDX-License-Identifier: MIT */
/*
 * Netlink requests: building, sending, reading the answer (nlmsg.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "daemon/nlmsg.h"

void *wf_nl_req_init(struct wf_nl_req *r, uint16_t type, uint16_t flags, size_t hdrlen)
{
	memset(r, 0, sizeof(*r));
	r->u.nh.nlmsg_len = NLMSG_LENGTH(hdrlen);
	r->u.nh.nlmsg_type = type;
	r->u.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	return NLMSG_DATA(&r->u.nh);
}

/* The buffer was zeroed, so padding is zero, and so is a payload given as
 * NULL (to be filled in place). */
struct rtattr *wf_nl_req_put(struct wf_nl_req *r, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(r->u.nh.nlmsg_len);
	struct rtattr *rta;

	if (r->overflow || len > UINT16_MAX - RTA_LENGTH(0) ||
	    off + RTA_SPACE(len) > WF_NL_REQ_SIZE) {
		r->overflow = true;
		return NULL;
	}
	rta = (struct rtattr *)(r->u.buf + off);
	rta->rta_type = type;
	rta->rta_len = (uint16_t)RTA_LENGTH(len);
	if (len && data)
		memcpy(RTA_DATA(rta), data, len);
	r->u.nh.nlmsg_len = (uint32_t)(off + RTA_SPACE(len));
	return rta;
}

struct rtattr *wf_nl_nest_start(struct wf_nl_req *r, uint16_t type)
{
	return wf_nl_req_put(r, type, NULL, 0);
}

void wf_nl_nest_end(struct wf_nl_req *r, struct rtattr *nest)
{
	if (!nest || r->overflow)
		return;
	nest->rta_len = (uint16_t)(r->u.buf + r->u.nh.nlmsg_len - (uint8_t *)nest);
}

const struct rtattr *wf_nl_attr_find(const void *data, size_t len, unsigned short type)
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

const void *wf_nl_attr_data(const struct rtattr *a, size_t len)
{
	return a && RTA_PAYLOAD(a) >= len ? RTA_DATA(a) : NULL;
}

bool wf_nl_attr_u32(const struct rtattr *a, uint32_t *v)
{
	const void *p = wf_nl_attr_data(a, sizeof(*v));

	if (!p)
		return false;
	memcpy(v, p, sizeof(*v));
	return true;
}

const void *wf_nl_msg_attrs(const struct nlmsghdr *nh, size_t hdrlen, size_t *len)
{
	if (nh->nlmsg_len < NLMSG_SPACE(hdrlen)) {
		if (nh->nlmsg_len < NLMSG_LENGTH(hdrlen))
			return NULL;
		*len = 0; /* the header, unpadded, and nothing after it */
		return NLMSG_DATA(nh);
	}
	*len = nh->nlmsg_len - NLMSG_SPACE(hdrlen);
	return (const uint8_t *)NLMSG_DATA(nh) + NLMSG_ALIGN(hdrlen);
}

/* With NETLINK_EXT_ACK the kernel often explains an error in words, which
 * beats a bare errno in a log or `weft status`. */
static void ext_ack(const struct nlmsghdr *nh, const struct nlmsgerr *e, char *msg, size_t msg_len)
{
	size_t off = NLMSG_ALIGN(sizeof(*e)), len;
	const struct rtattr *a;

	if (!(nh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nh->nlmsg_flags & NLM_F_CAPPED) && e->msg.nlmsg_len >= NLMSG_HDRLEN)
		off += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
	if (NLMSG_LENGTH(off) > nh->nlmsg_len)
		return;
	len = nh->nlmsg_len - NLMSG_LENGTH(off);
	a = wf_nl_attr_find((const uint8_t *)NLMSG_DATA(nh) + off, len, NLMSGERR_ATTR_MSG);
	if (!a || RTA_PAYLOAD(a) == 0)
		return;
	/* The kernel's string is NUL-terminated; stop at the first NUL anyway. */
	len = strnlen(RTA_DATA(a), RTA_PAYLOAD(a));
	log_debug("netlink: %.*s", (int)len, (const char *)RTA_DATA(a));
	if (msg_len)
		snprintf(msg, msg_len, "%.*s", (int)len, (const char *)RTA_DATA(a));
}

/* NLMSG_DONE may carry the dump's error. */
static int done_error(const struct nlmsghdr *nh, int cb_err)
{
	int err;

	if (cb_err || nh->nlmsg_len < NLMSG_LENGTH(sizeof(err)))
		return cb_err;
	memcpy(&err, NLMSG_DATA(nh), sizeof(err));
	return err < 0 && err >= -4095 ? err : 0;
}

int wf_nl_parse_answer(const uint8_t *buf, size_t n, uint32_t seq, wf_nl_reply_fn cb, void *arg,
		       int *cb_err, char *ext_msg, size_t ext_len)
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
			return done_error(nh, *cb_err);
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
			ext_ack(nh, e, ext_msg, ext_len);
		return e->error ? e->error : *cb_err;
	}
	return 1;
}

int wf_nl_open(int protocol)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
	int one = 1;

	if (fd < 0)
		return -errno;
	/* Both are optional (Linux 4.12+): without them errors are bare errnos. */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return fd;
}

int wf_nl_recv(int fd, void *buf, size_t len, int flags)
{
	struct sockaddr_nl from;
	socklen_t fromlen;
	ssize_t n;

	for (;;) {
		fromlen = sizeof(from);
		n = recvfrom(fd, buf, len, MSG_TRUNC | flags, (struct sockaddr *)&from, &fromlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if ((size_t)n > len)
			return -EMSGSIZE;
		if (fromlen == sizeof(from) && from.nl_pid == 0)
			return (int)n; /* only the kernel may answer */
	}
}

int wf_nl_talk_fd(int fd, struct wf_nl_req *r, wf_nl_reply_fn cb, void *arg)
{
	static const struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	static uint32_t seq;
	union {
		struct nlmsghdr nh;
		uint8_t buf[WF_NL_RECV_SIZE];
	} rx;
	int ret, cb_err = 0;

	if (r->overflow)
		return -EMSGSIZE;
	if (++seq == 0)
		seq = 1;
	r->u.nh.nlmsg_seq = seq;
	r->ext_msg[0] = 0;
	if (sendto(fd, r->u.buf, r->u.nh.nlmsg_len, 0, (const struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -errno;
	do {
		ret = wf_nl_recv(fd, rx.buf, sizeof(rx.buf), 0);
		if (ret >= 0)
			ret = wf_nl_parse_answer(rx.buf, (size_t)ret, seq, cb, arg, &cb_err,
						 r->ext_msg, sizeof(r->ext_msg));
	} while (ret == 1);
	return ret;
}

int wf_nl_talk(int protocol, struct wf_nl_req *r, wf_nl_reply_fn cb, void *arg)
{
	int fd, ret;

	if (r->overflow)
		return -EMSGSIZE;
	fd = wf_nl_open(protocol);
	if (fd < 0)
		return fd;
	ret = wf_nl_talk_fd(fd, r, cb, arg);
	close(fd);
	return ret;
}
