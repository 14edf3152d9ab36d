/* SPDX-License-Identifier: MIT */
/*
 * Netlink requests with nothing beyond libc, for rtnetlink (netlink.c) and
 * xfrm (xfrm.c). A request is built in a fixed buffer by the wf_nl_req_*
 * builders, which refuse to write past its end instead of truncating (the
 * request is then never sent: -EMSGSIZE). wf_nl_talk sends it with
 * NLM_F_ACK and reads the kernel's answer: reply messages, each handed to a
 * callback, then one NLMSG_ERROR carrying 0 or -errno, or NLMSG_DONE after
 * a dump. So every error comes back as -errno, with the kernel's words (its
 * extended ack) in the request's ext_msg when it gave any.
 *
 * Control thread only (the sequence counter is not atomic), never the packet
 * path.
 */
#ifndef WEFT_NLMSG_H
#define WEFT_NLMSG_H

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	WF_NL_REQ_SIZE = 2048,	 /* an SA with a 4096-packet replay bitmap is ~1 KiB */
	WF_NL_RECV_SIZE = 32768, /* the most the kernel puts in one dump datagram */
	WF_NL_EXT_MSG_LEN = 128,
};

struct wf_nl_req {
	union {
		struct nlmsghdr nh;
		uint8_t buf[WF_NL_REQ_SIZE];
	} u;
	bool overflow;
	char ext_msg[WF_NL_EXT_MSG_LEN]; /* after a refusal: the kernel's reason, or "" */
};

/* Start a request whose family header (ifinfomsg, xfrm_usersa_info...) is
 * hdrlen bytes; NLM_F_REQUEST | NLM_F_ACK are added to flags. Returns that
 * header, zeroed. */
void *wf_nl_req_init(struct wf_nl_req *r, uint16_t type, uint16_t flags, size_t hdrlen);
/* Append an attribute; NULL (and the request marked) if it does not fit.
 * data NULL leaves len zero bytes to fill in through the returned pointer. */
struct rtattr *wf_nl_req_put(struct wf_nl_req *r, uint16_t type, const void *data, size_t len);
/* Inline: GCC 12 with -fsanitize=address, seeing wf_nl_req_put inlined into
 * a function of its own, takes the attribute for a write into the nlmsghdr
 * that shares the union (a false -Wstringop-overflow). */
static inline void wf_nl_req_put_u32(struct wf_nl_req *r, uint16_t type, uint32_t v)
{
	wf_nl_req_put(r, type, &v, sizeof(v));
}
/* A nested attribute: start it empty, add its members, then close it. */
struct rtattr *wf_nl_nest_start(struct wf_nl_req *r, uint16_t type);
void wf_nl_nest_end(struct wf_nl_req *r, struct rtattr *nest);

/* Reading what the kernel sent; every length is checked. */
/* The first attribute of that type in [data, data + len), or NULL (also
 * when an attribute before it is malformed). */
const struct rtattr *wf_nl_attr_find(const void *data, size_t len, unsigned short type);
/* Its payload if it holds at least len bytes, else NULL. */
const void *wf_nl_attr_data(const struct rtattr *a, size_t len);
bool wf_nl_attr_u32(const struct rtattr *a, uint32_t *v);
/* The attributes following a message's family header of hdrlen bytes, or
 * NULL if the message is too short for the header. */
const void *wf_nl_msg_attrs(const struct nlmsghdr *nh, size_t hdrlen, size_t *len);

/* Called for each reply message (not the final ack); returns 0 or -errno.
 * After an error the rest of the answer is read but not handed over. */
typedef int (*wf_nl_reply_fn)(const struct nlmsghdr *nh, void *arg);

/* A netlink socket of that protocol (NETLINK_ROUTE, NETLINK_XFRM), with
 * extended acks asked for; or -errno. */
int wf_nl_open(int protocol);
/* Receive one datagram, only from the kernel; its length or -errno
 * (-EMSGSIZE if it did not fit). */
int wf_nl_recv(int fd, void *buf, size_t len, int flags);
/* Send the request on fd and read its answer (see above). */
int wf_nl_talk_fd(int fd, struct wf_nl_req *r, wf_nl_reply_fn cb, void *arg);
/* The same on a socket of its own, opened and closed around it. */
int wf_nl_talk(int protocol, struct wf_nl_req *r, wf_nl_reply_fn cb, void *arg);

/* Handle one received datagram of the answer to request seq: 1 to keep
 * reading, else the result. Exposed for the tests and fuzzers. */
int wf_nl_parse_answer(const uint8_t *buf, size_t n, uint32_t seq, wf_nl_reply_fn cb, void *arg,
		       int *cb_err, char *ext_msg, size_t ext_len);

#endif
