/* SPDX-License-Identifier: MIT */
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common/csum.h"
#include "core/offload.h"

enum {
	TCP_FIN = 0x01,
	TCP_PSH = 0x08,
	TCP_ACK = 0x10,
	TCP_CWR = 0x80,
	IP4_DF = 0x40,
	IP4_MF = 0x20,
	MAX_IP_LEN = 65535,
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

void wf_vnet_hdr_get(struct wf_vnet_hdr *h, const uint8_t b[WF_VNET_HDR_LEN])
{
	h->flags = b[0];
	h->gso_type = b[1];
	memcpy(&h->hdr_len, b + 2, 2);
	memcpy(&h->gso_size, b + 4, 2);
	memcpy(&h->csum_start, b + 6, 2);
	memcpy(&h->csum_offset, b + 8, 2);
}

void wf_vnet_hdr_put(const struct wf_vnet_hdr *h, uint8_t b[WF_VNET_HDR_LEN])
{
	b[0] = h->flags;
	b[1] = h->gso_type;
	memcpy(b + 2, &h->hdr_len, 2);
	memcpy(b + 4, &h->gso_size, 2);
	memcpy(b + 6, &h->csum_start, 2);
	memcpy(b + 8, &h->csum_offset, 2);
}

/* The addresses of an IP packet: where they start and how long each is. */
static const uint8_t *addrs(const uint8_t *pkt, size_t *alen)
{
	*alen = pkt[0] >> 4 == 4 ? 4 : 16;
	return pkt + (*alen == 4 ? 12 : 8);
}

/* The transport checksum of a packet whose IP header is ip_len long. */
static uint16_t transport_csum(const uint8_t *pkt, size_t len, size_t ip_len, uint8_t proto)
{
	size_t alen;
	const uint8_t *a = addrs(pkt, &alen);
	uint32_t sum = wf_csum_pseudo(a, a + alen, alen, proto, len - ip_len);
	uint16_t c = wf_csum_fold(wf_csum_add(sum, pkt + ip_len, len - ip_len));

	return proto == IPPROTO_UDP && c == 0 ? 0xffff : c;
}

static void ip4_csum(uint8_t *pkt, size_t ip_len)
{
	pkt[10] = pkt[11] = 0;
	put16(pkt + 10, wf_csum_fold(wf_csum_add(0, pkt, ip_len)));
}

/* --- cutting ------------------------------------------------------------- */

/* The IP header of a GSO packet: family, header length, transport protocol. */
static bool gso_ip(const uint8_t *pkt, size_t len, uint8_t type, struct wf_gso_plan *p)
{
	unsigned ver = pkt[0] >> 4;

	if (ver == 4 && type != WF_GSO_TCPV6) {
		p->family = AF_INET;
		p->ip_len = (uint16_t)((pkt[0] & 0xf) * 4);
		p->proto = pkt[9];
		/* A fragment cannot be cut again. */
		return p->ip_len >= 20 && len >= p->ip_len && !(pkt[6] & IP4_MF) &&
		       !((pkt[6] & 0x1f) | pkt[7]);
	}
	if (ver == 6 && type != WF_GSO_TCPV4 && len >= 40) {
		p->family = AF_INET6;
		p->ip_len = 40;
		p->proto = pkt[6]; /* no extension headers */
		return true;
	}
	return false;
}

bool wf_gso_plan(const struct wf_vnet_hdr *h, const uint8_t *pkt, size_t len,
		 struct wf_gso_plan *plan)
{
	uint8_t type = h->gso_type & (uint8_t)~WF_GSO_ECN;
	size_t payload;

	memset(plan, 0, sizeof(*plan));
	if (len < 20 || len > MAX_IP_LEN + 40 || (pkt[0] >> 4 != 4 && pkt[0] >> 4 != 6))
		return false;
	if (type == WF_GSO_NONE) {
		plan->family = pkt[0] >> 4 == 4 ? AF_INET : AF_INET6;
		plan->n_segs = 1;
		return true;
	}
	if ((type != WF_GSO_TCPV4 && type != WF_GSO_TCPV6 && type != WF_GSO_UDP_L4) ||
	    !gso_ip(pkt, len, type, plan) || h->csum_start != plan->ip_len || !h->gso_size)
		return false;
	if (type == WF_GSO_UDP_L4) {
		if (plan->proto != IPPROTO_UDP || h->csum_offset != 6)
			return false;
		plan->hdr_len = (uint16_t)(plan->ip_len + 8);
	} else {
		if (plan->proto != IPPROTO_TCP || h->csum_offset != 16 || len < plan->ip_len + 20u)
			return false;
		plan->hdr_len = (uint16_t)(plan->ip_len + (pkt[plan->ip_len + 12] >> 4) * 4);
		if (plan->hdr_len < plan->ip_len + 20u)
			return false;
	}
	if (len <= plan->hdr_len)
		return false;
	payload = len - plan->hdr_len;
	plan->gso_size = h->gso_size;
	plan->n_segs = (unsigned)((payload + h->gso_size - 1) / h->gso_size);
	return plan->n_segs <= WF_GSO_MAX_SEGS;
}

size_t wf_gso_segment(const struct wf_gso_plan *p, const uint8_t *pkt, size_t len, unsigned i,
		      uint8_t *out)
{
	size_t off = p->hdr_len + (size_t)i * p->gso_size;
	size_t plen = len - off < p->gso_size ? len - off : p->gso_size, total = p->hdr_len + plen;
	uint8_t *t = out + p->ip_len;

	memcpy(out, pkt, p->hdr_len);
	memcpy(out + p->hdr_len, pkt + off, plen);
	if (p->family == AF_INET) {
		put16(out + 2, (uint16_t)total);
		put16(out + 4, (uint16_t)(get16(pkt + 4) + i));
		ip4_csum(out, p->ip_len);
	} else {
		put16(out + 4, (uint16_t)(total - 40));
	}
	if (p->proto == IPPROTO_TCP) {
		put32(t + 4, get32(pkt + p->ip_len + 4) + (uint32_t)(i * p->gso_size));
		if (i + 1 < p->n_segs)
			t[13] &= (uint8_t)~(TCP_FIN | TCP_PSH);
		if (i > 0)
			t[13] &= (uint8_t)~TCP_CWR;
		t[16] = t[17] = 0;
		put16(t + 16, transport_csum(out, total, p->ip_len, IPPROTO_TCP));
	} else {
		put16(t + 4, (uint16_t)(total - p->ip_len));
		t[6] = t[7] = 0;
		put16(t + 6, transport_csum(out, total, p->ip_len, IPPROTO_UDP));
	}
	return total;
}

bool wf_csum_complete(const struct wf_vnet_hdr *h, uint8_t *pkt, size_t len)
{
	size_t start = h->csum_start, at = start + h->csum_offset;
	bool udp = (pkt[0] >> 4 == 4 && pkt[9] == IPPROTO_UDP) ||
		   (pkt[0] >> 4 == 6 && len >= 40 && pkt[6] == IPPROTO_UDP);
	uint16_t c;

	if (!(h->flags & WF_VNET_F_NEEDS_CSUM))
		return true;
	if (start < 20 || start >= len || at + 2 > len)
		return false;
	/* The field holds the pseudo-header's sum: it is summed with the rest. */
	c = wf_csum_fold(wf_csum_add(0, pkt + start, len - start));
	put16(pkt + at, udp && c == 0 ? 0xffff : c);
	return true;
}

/* --- coalescing ---------------------------------------------------------- */

/* A packet that may join a chain: its headers' lengths, its payload's, and
 * (TCP) where it lies in the stream. */
struct seg {
	size_t ip_len, l4_len, plen;
	uint8_t proto;
	uint32_t seq;
	bool psh;
};

/* Ports and addresses: does b belong to a's connection (same direction)? */
static bool same_flow(const uint8_t *a, size_t a_ip, const uint8_t *b, size_t b_ip)
{
	size_t alen;
	const uint8_t *aa = addrs(a, &alen), *ba = addrs(b, &alen);

	return a[0] >> 4 == b[0] >> 4 && !memcmp(aa, ba, 2 * alen) &&
	       !memcmp(a + a_ip, b + b_ip, 4);
}

/* Is this a TCP packet with ports, and where does its TCP header start? */
static bool tcp_header(const uint8_t *pkt, size_t len, size_t *ip_len)
{
	if (len >= 40 && pkt[0] == 0x45 && pkt[9] == IPPROTO_TCP && !(pkt[6] & IP4_MF) &&
	    !((pkt[6] & 0x1f) | pkt[7])) {
		*ip_len = 20;
		return true;
	}
	if (len >= 60 && pkt[0] >> 4 == 6 && pkt[6] == IPPROTO_TCP) {
		*ip_len = 40;
		return true;
	}
	return false;
}

/* The same for UDP: no IP options, no fragment, no extension header. */
static bool udp_header(const uint8_t *pkt, size_t len, size_t *ip_len)
{
	if (len >= 28 && pkt[0] == 0x45 && pkt[9] == IPPROTO_UDP && !(pkt[6] & IP4_MF) &&
	    !((pkt[6] & 0x1f) | pkt[7])) {
		*ip_len = 20;
		return true;
	}
	if (len >= 48 && pkt[0] >> 4 == 6 && pkt[6] == IPPROTO_UDP) {
		*ip_len = 40;
		return true;
	}
	return false;
}

/* A segment that may take part in a chain: only ACK (or ACK and PSH), some
 * payload, lengths that agree with the headers, a valid checksum. */
static bool tcp_candidate(const uint8_t *pkt, size_t len, struct seg *s)
{
	uint8_t flags;

	if (!tcp_header(pkt, len, &s->ip_len))
		return false;
	if (s->ip_len == 20 ? get16(pkt + 2) != len : get16(pkt + 4) + 40u != len)
		return false;
	s->proto = IPPROTO_TCP;
	s->l4_len = (size_t)(pkt[s->ip_len + 12] >> 4) * 4;
	if (s->l4_len < 20 || len <= s->ip_len + s->l4_len)
		return false;
	flags = pkt[s->ip_len + 13];
	if (flags != TCP_ACK && flags != (TCP_ACK | TCP_PSH))
		return false;
	s->psh = flags & TCP_PSH;
	s->plen = len - s->ip_len - s->l4_len;
	s->seq = get32(pkt + s->ip_len + 4);
	/* Over the whole segment, its checksum field included, a valid one
	 * sums to zero. */
	return transport_csum(pkt, len, s->ip_len, IPPROTO_TCP) == 0;
}

/*
 * A datagram that may take part in a chain, as the kernel's UDP GRO takes
 * them: the IPv4 header's checksum valid and no flag but DF; lengths that
 * agree (no padding); some payload; a checksum, and a valid one. Without a
 * checksum (0, IPv4) the kernel would compute one for the whole chain, and a
 * wrong one it would have dropped: such a datagram goes alone.
 */
static bool udp_candidate(const uint8_t *pkt, size_t len, struct seg *s)
{
	const uint8_t *u, *a;
	uint32_t sum;
	size_t alen;

	if (!udp_header(pkt, len, &s->ip_len))
		return false;
	if (s->ip_len == 20) {
		if (get16(pkt + 2) != len || (pkt[6] & ~IP4_DF) ||
		    wf_csum_fold(wf_csum_add(0, pkt, 20)))
			return false;
	} else if (get16(pkt + 4) + 40u != len) {
		return false;
	}
	u = pkt + s->ip_len;
	s->proto = IPPROTO_UDP;
	s->l4_len = 8;
	s->plen = len - s->ip_len - 8;
	s->seq = 0;
	s->psh = false;
	if (get16(u + 4) != len - s->ip_len || !s->plen || !get16(u + 6))
		return false;
	/* (transport_csum would turn a valid sum, 0, into 0xffff.) */
	a = addrs(pkt, &alen);
	sum = wf_csum_pseudo(a, a + alen, alen, IPPROTO_UDP, len - s->ip_len);
	return wf_csum_fold(wf_csum_add(sum, u, len - s->ip_len)) == 0;
}

/* The IP fields that must not change within a chain: all but the length,
 * the ID and the checksum (TOS, flags, TTL; class, flow label, hop limit). */
static bool ip_match(const uint8_t *a, const uint8_t *b, size_t ip_len)
{
	if (ip_len == 20)
		return a[1] == b[1] && (a[6] & 0xe0) == (b[6] & 0xe0) && a[8] == b[8];
	return !memcmp(a, b, 4) && a[7] == b[7];
}

/* May segment b follow a chain headed by a, as far as headers go? The same
 * acknowledgment, window, options; the same IP fields but length, ID and
 * checksum. */
static bool headers_match(const uint8_t *a, const uint8_t *b, const struct seg *s)
{
	const uint8_t *ta = a + s->ip_len, *tb = b + s->ip_len;

	return ip_match(a, b, s->ip_len) && (ta[12] >> 4) * 4u == s->l4_len &&
	       !memcmp(ta + 8, tb + 8, 4) && !memcmp(ta + 14, tb + 14, 2) &&
	       !memcmp(ta + 20, tb + 20, s->l4_len - 20);
}

void wf_gro_begin(struct wf_gro *g, bool udp)
{
	g->n = g->n_writes = 0;
	g->clock = 0;
	g->udp = udp;
	for (int i = 0; i < WF_GRO_FLOWS; i++)
		g->flow[i].head = -1;
}

static void emit(struct wf_gro *g, int head, unsigned n, const struct wf_vnet_hdr *hdr)
{
	struct wf_gro_write *w = &g->writes[g->n_writes++];

	w->head = head;
	w->n = n;
	if (hdr)
		w->hdr = *hdr;
	else
		memset(&w->hdr, 0, sizeof(w->hdr));
}

/* End a chain: a single packet as it came; more, as one super-packet whose
 * headers say the whole length (IP, and UDP's own), with the transport
 * checksum left to the kernel (the field holds the pseudo-header's sum). */
static void close_flow(struct wf_gro *g, int f)
{
	struct wf_gro_flow *fl = &g->flow[f];
	uint8_t *h = g->pkt[fl->head];
	struct wf_vnet_hdr hdr = {0};
	size_t alen;
	const uint8_t *a;

	if (fl->n == 1) {
		emit(g, fl->head, 1, NULL);
		fl->head = -1;
		return;
	}
	if (fl->ip_len == 20) {
		put16(h + 2, (uint16_t)fl->total);
		ip4_csum(h, 20);
	} else {
		put16(h + 4, (uint16_t)(fl->total - 40));
	}
	if (fl->proto == IPPROTO_UDP) {
		put16(h + fl->ip_len + 4, (uint16_t)(fl->total - fl->ip_len));
		hdr.gso_type = WF_GSO_UDP_L4;
		hdr.csum_offset = 6;
	} else {
		if (fl->psh)
			h[fl->ip_len + 13] |= TCP_PSH;
		hdr.gso_type = fl->ip_len == 20 ? WF_GSO_TCPV4 : WF_GSO_TCPV6;
		hdr.csum_offset = 16;
	}
	a = addrs(h, &alen);
	put16(h + fl->ip_len + hdr.csum_offset,
	      wf_csum_partial(wf_csum_pseudo(a, a + alen, alen, fl->proto, fl->total - fl->ip_len)));
	hdr.flags = WF_VNET_F_NEEDS_CSUM;
	hdr.hdr_len = (uint16_t)(fl->ip_len + fl->l4_len);
	hdr.gso_size = fl->gso_size;
	hdr.csum_start = fl->ip_len;
	emit(g, fl->head, fl->n, &hdr);
	fl->head = -1;
}

/* The open chain of the packet's flow, or -1. */
static int find_flow(const struct wf_gro *g, const uint8_t *pkt, size_t ip_len, uint8_t proto)
{
	for (int f = 0; f < WF_GRO_FLOWS; f++)
		if (g->flow[f].head >= 0 && g->flow[f].ip_len == ip_len &&
		    g->flow[f].proto == proto &&
		    same_flow(g->pkt[g->flow[f].head], ip_len, pkt, ip_len))
			return f;
	return -1;
}

/* IPv4 IDs in a UDP chain: one more each datagram, as the kernel's
 * segmentation numbers them again; or, with DF (atomic datagrams, RFC 6864),
 * 0 on every one, as Linux sends them from an unconnected socket. */
static bool id_follows(const struct wf_gro_flow *fl, const uint8_t *head, const uint8_t *pkt)
{
	uint16_t id = get16(pkt + 4), first = get16(head + 4);

	if (fl->ip_len != 20)
		return true;
	if (fl->fixed_id)
		return id == 0;
	return id == (uint16_t)(first + fl->n) ||
	       (fl->n == 1 && !id && !first && (pkt[6] & IP4_DF));
}

static bool can_append(const struct wf_gro *g, int f, const uint8_t *pkt, const struct seg *s)
{
	const struct wf_gro_flow *fl = &g->flow[f];
	const uint8_t *head = g->pkt[fl->head];

	if (fl->closed_short || s->plen > fl->gso_size || fl->n >= WF_GRO_MAX_SEGS ||
	    fl->total + s->plen > MAX_IP_LEN)
		return false;
	if (s->proto == IPPROTO_UDP)
		return ip_match(head, pkt, s->ip_len) && id_follows(fl, head, pkt);
	return !fl->psh && s->seq == fl->next_seq && fl->l4_len == s->l4_len &&
	       headers_match(head, pkt, s);
}

static void append(struct wf_gro *g, int f, int i, const struct seg *s)
{
	struct wf_gro_flow *fl = &g->flow[f];

	if (fl->n == 1 && fl->proto == IPPROTO_UDP && fl->ip_len == 20)
		fl->fixed_id = get16(g->pkt[i] + 4) == get16(g->pkt[fl->head] + 4);
	g->next[fl->tail] = i;
	fl->tail = i;
	fl->n++;
	fl->total += (unsigned)s->plen;
	fl->next_seq += (uint32_t)s->plen;
	fl->psh = s->psh;
	fl->closed_short = s->plen < fl->gso_size;
	fl->age = ++g->clock;
}

/* A free slot for a new chain; the oldest chain is closed to make one. */
static int new_flow(struct wf_gro *g)
{
	int f, oldest = 0;

	for (f = 0; f < WF_GRO_FLOWS; f++) {
		if (g->flow[f].head < 0)
			return f;
		if (g->flow[f].age < g->flow[oldest].age)
			oldest = f;
	}
	close_flow(g, oldest);
	return oldest;
}

static void start(struct wf_gro *g, int i, const struct seg *s)
{
	int f = new_flow(g);
	struct wf_gro_flow *fl = &g->flow[f];

	fl->head = fl->tail = i;
	fl->n = 1;
	fl->total = (unsigned)(s->ip_len + s->l4_len + s->plen);
	fl->gso_size = (uint16_t)s->plen;
	fl->ip_len = (uint16_t)s->ip_len;
	fl->l4_len = (uint16_t)s->l4_len;
	fl->proto = s->proto;
	fl->next_seq = s->seq + (uint32_t)s->plen;
	fl->psh = s->psh;
	fl->closed_short = fl->fixed_id = false;
	fl->age = ++g->clock;
}

/* Every UDP chain between the packet's two addresses, closed. */
static void close_between(struct wf_gro *g, const uint8_t *pkt, size_t len)
{
	size_t alen, hlen;
	const uint8_t *a;

	if (len < 20 || (pkt[0] >> 4 != 4 && (pkt[0] >> 4 != 6 || len < 40)))
		return;
	a = addrs(pkt, &alen);
	for (int f = 0; f < WF_GRO_FLOWS; f++) {
		const uint8_t *h;

		if (g->flow[f].head < 0 || g->flow[f].proto != IPPROTO_UDP)
			continue;
		h = g->pkt[g->flow[f].head];
		if (h[0] >> 4 == pkt[0] >> 4 && !memcmp(addrs(h, &hlen), a, 2 * alen))
			close_flow(g, f);
	}
}

/* A packet that joins no chain is written at once: what is open of its flow
 * goes first. A packet whose ports cannot be read (IP options, a fragment, an
 * extension header, another protocol) may belong to any UDP flow between its
 * two addresses: those go first. */
static void keep_order(struct wf_gro *g, const uint8_t *pkt, size_t len)
{
	size_t ip_len;
	int f = -1;

	if (tcp_header(pkt, len, &ip_len))
		f = find_flow(g, pkt, ip_len, IPPROTO_TCP);
	else if (g->udp && udp_header(pkt, len, &ip_len))
		f = find_flow(g, pkt, ip_len, IPPROTO_UDP);
	else if (g->udp)
		close_between(g, pkt, len);
	if (f >= 0)
		close_flow(g, f);
}

bool wf_gro_add(struct wf_gro *g, uint8_t *pkt, size_t len)
{
	struct seg s;
	int i, f;

	if (g->n == WF_GRO_BATCH)
		return false;
	i = (int)g->n++;
	g->pkt[i] = pkt;
	g->len[i] = len;
	g->next[i] = -1;
	if (!tcp_candidate(pkt, len, &s) && !(g->udp && udp_candidate(pkt, len, &s))) {
		keep_order(g, pkt, len);
		emit(g, i, 1, NULL);
		return true;
	}
	f = find_flow(g, pkt, s.ip_len, s.proto);
	if (f >= 0 && can_append(g, f, pkt, &s)) {
		append(g, f, i, &s);
		return true;
	}
	if (f >= 0)
		close_flow(g, f);
	start(g, i, &s);
	return true;
}

void wf_gro_end(struct wf_gro *g)
{
	for (int f = 0; f < WF_GRO_FLOWS; f++)
		if (g->flow[f].head >= 0)
			close_flow(g, f);
}

const uint8_t *wf_gro_payload(const struct wf_gro *g, int i, size_t *len)
{
	const uint8_t *pkt = g->pkt[i];
	bool v4 = pkt[0] >> 4 == 4;
	size_t ip_len = v4 ? 20 : 40, hl;

	if ((v4 ? pkt[9] : pkt[6]) == IPPROTO_UDP)
		hl = ip_len + 8;
	else
		hl = ip_len + (pkt[ip_len + 12] >> 4) * 4;
	*len = g->len[i] - hl;
	return pkt + hl;
}
