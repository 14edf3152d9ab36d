/* SPDX-License-Identifier: MIT */
/*
 * The facts the firewall judges a packet by: addresses, protocol, ports (or
 * an ICMP echo's identifier), TCP flags, and for an ICMP error the packet it
 * quotes. Every length is checked against len; the data path has already
 * checked the IP header's own fields (version, header and total length), but
 * this reader trusts none of it, so that it can be fuzzed alone.
 */
#include <string.h>
#include <sys/socket.h>

#include "core/firewall.h"

enum {
	V6_EXT_MAX = 8, /* extension headers walked, at most */
	TCP_HDR_MIN = 20,
	UDP_HDR = 8,
	ICMP_HDR = 8,  /* type, code, checksum, and id + seq or unused */
	QUOTE_MIN = 8, /* transport bytes an ICMP error quotes, at least */
};

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Where the transport header starts, and what it is. */
struct l3 {
	size_t l4;	 /* offset of the transport header */
	bool later_frag; /* a fragment past the first: no transport header */
};

static bool ipv4(const uint8_t *b, size_t len, struct wf_fw_tuple *t, struct l3 *l)
{
	size_t ihl;

	if (len < 20 || b[0] >> 4 != 4 || (ihl = (size_t)(b[0] & 0x0f) * 4) < 20 || ihl > len)
		return false;
	t->family = AF_INET;
	t->proto = b[9];
	memcpy(t->src, b + 12, 4);
	memcpy(t->dst, b + 16, 4);
	l->l4 = ihl;
	l->later_frag = (be16(b + 6) & 0x1fff) != 0;
	return true;
}

/* Past hop-by-hop, routing, destination options, fragment and AH headers;
 * ESP and anything else is the protocol. */
static bool ipv6(const uint8_t *b, size_t len, struct wf_fw_tuple *t, struct l3 *l)
{
	size_t at = 40, ext;
	uint8_t nh;

	if (len < 40 || b[0] >> 4 != 6)
		return false;
	t->family = AF_INET6;
	memcpy(t->src, b + 8, 16);
	memcpy(t->dst, b + 24, 16);
	nh = b[6];
	l->later_frag = false;
	for (int i = 0; i < V6_EXT_MAX; i++) {
		if (nh != 0 && nh != 43 && nh != 60 && nh != 44 && nh != 51)
			break;
		if (len - at < 8)
			return false;
		if (nh == 44) {
			ext = 8;
			l->later_frag |= (be16(b + at + 2) & 0xfff8) != 0;
		} else {
			ext = nh == 51 ? ((size_t)b[at + 1] + 2) * 4 : ((size_t)b[at + 1] + 1) * 8;
		}
		if (ext > len - at)
			return false;
		nh = b[at];
		at += ext;
	}
	if (nh == 0 || nh == 43 || nh == 60 || nh == 44 || nh == 51)
		return false; /* more than V6_EXT_MAX: not judged */
	t->proto = nh;
	l->l4 = at;
	return true;
}

static bool is_icmp(const struct wf_fw_tuple *t)
{
	return t->proto == (t->family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
}

/* ICMP types by family: echo request, echo reply, and the errors. */
static enum wf_fw_kind icmp_kind(uint8_t family, uint8_t type)
{
	if (family == AF_INET6) {
		if (type == 128)
			return WF_FW_ECHO_REQ;
		if (type == 129)
			return WF_FW_ECHO_REPLY;
		return type >= 1 && type <= 4 ? WF_FW_ICMP_ERROR : WF_FW_ICMP_OTHER;
	}
	if (type == 8)
		return WF_FW_ECHO_REQ;
	if (type == 0)
		return WF_FW_ECHO_REPLY;
	return type == 3 || type == 11 || type == 12 ? WF_FW_ICMP_ERROR : WF_FW_ICMP_OTHER;
}

/* The quoted packet of an ICMP error: its IP header and the first 8 bytes
 * of what it carried, enough for ports or an echo's identifier. Anything
 * short of that is no quote (the error is then judged as plain ICMP). */
static bool quote(const uint8_t *b, size_t len, uint8_t family, struct wf_fw_tuple *in)
{
	struct l3 l;

	memset(in, 0, sizeof(*in));
	if (!(family == AF_INET ? ipv4(b, len, in, &l) : ipv6(b, len, in, &l)) ||
	    in->family != family || l.later_frag || len - l.l4 < QUOTE_MIN)
		return false;
	b += l.l4;
	if (in->proto == IPPROTO_TCP || in->proto == IPPROTO_UDP) {
		in->sport = be16(b);
		in->dport = be16(b + 2);
	} else if (is_icmp(in)) {
		if (icmp_kind(family, b[0]) != WF_FW_ECHO_REQ &&
		    icmp_kind(family, b[0]) != WF_FW_ECHO_REPLY)
			return false; /* an error about an error: none */
		in->sport = in->dport = be16(b + 4);
	}
	return true;
}

static bool transport(const uint8_t *b, size_t n, struct wf_fw_pkt *p)
{
	struct wf_fw_tuple *t = &p->t;

	if (t->proto == IPPROTO_TCP || t->proto == IPPROTO_UDP) {
		if (n < (t->proto == IPPROTO_TCP ? TCP_HDR_MIN : UDP_HDR))
			return false;
		t->sport = be16(b);
		t->dport = be16(b + 2);
		if (t->proto == IPPROTO_TCP)
			p->tcp_flags = b[13];
		p->kind = WF_FW_PORTS;
		return true;
	}
	if (!is_icmp(t)) {
		p->kind = WF_FW_NOPORTS;
		return true;
	}
	if (n < ICMP_HDR)
		return false;
	p->kind = (uint8_t)icmp_kind(t->family, b[0]);
	if (p->kind == WF_FW_ECHO_REQ || p->kind == WF_FW_ECHO_REPLY)
		t->sport = t->dport = be16(b + 4);
	else if (p->kind == WF_FW_ICMP_ERROR)
		p->has_inner = quote(b + ICMP_HDR, n - ICMP_HDR, t->family, &p->inner);
	return true;
}

bool wf_fw_pkt_parse(const uint8_t *pkt, size_t len, struct wf_fw_pkt *out)
{
	struct l3 l;

	memset(out, 0, sizeof(*out));
	if (!len)
		return false;
	if (!(pkt[0] >> 4 == 4 ? ipv4(pkt, len, &out->t, &l) : ipv6(pkt, len, &out->t, &l)))
		return false;
	if (l.later_frag) {
		out->kind = WF_FW_NOPORTS;
		return true;
	}
	return transport(pkt + l.l4, len - l.l4, out);
}
