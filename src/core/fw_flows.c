/* SPDX-License-Identifier: MIT */
/*
 * Connection tracking for the firewall, and the verdict on a packet.
 *
 * One table per thread that judges packets, owned by it alone: no lock, no
 * atomic, allocated once. A flow is keyed by protocol, this node's address
 * and port, the peer's address and port (an ICMP echo's identifier stands
 * for both ports), so both directions of a flow find one entry. Buckets of 8
 * entries of 64 bytes, chosen by a keyed hash, with 8 tags of 32 bits (more
 * bits of the hash; 0 for a free entry) in an array of their own, so that a
 * lookup reads one line of tags and the one entry whose tag fits; a full
 * bucket gives way, the
 * flow closest to its end first among those not answered yet (a flood of
 * one-way packets pushes out only its own kind), then any.
 *
 * An entry remembers who opened the flow (origin), the peer (an address
 * that moves to another peer does not carry its flows along), and the rule
 * set it was allowed under: after a change, its first packet asks the new
 * rules about the flow's opening packet again.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/firewall.h"

enum { WAYS = 8, MIN_CAPACITY = 64 };
enum state { NEW, EST, CLOSING };
enum { FIN_ORIGIN = 1, FIN_REPLY = 2 };
enum { TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_ACK = 0x10 };

struct flow_key {
	uint8_t family, proto;
	uint16_t lport, rport; /* this node's, the peer's */
	uint8_t zero[2];
	uint8_t laddr[16], raddr[16];
};

struct flow {
	struct flow_key key;
	int64_t expires; /* 0: free */
	uint32_t gen, peer;
	uint8_t origin, state, fins, told; /* told: the owner noted, + 1 */
	uint8_t pad[4];
};

_Static_assert(sizeof(struct flow_key) == 40, "flow key");
_Static_assert(sizeof(struct flow) == 64, "one cache line a flow");
_Static_assert(sizeof(((struct wf_fw_note *)0)->key) == sizeof(struct flow_key), "note key");

struct wf_fw_flows {
	struct flow *flow;
	uint32_t *tag; /* of each entry: 0 when free */
	unsigned mask; /* buckets - 1 */
	uint8_t self;
	uint32_t nh_key[10]; /* the hash's key, from the seed */
	struct wf_fw_timeouts to;
	struct wf_fw_flow_stats stats;
};

static uint64_t splitmix(uint64_t *s);

void wf_fw_timeouts_default(struct wf_fw_timeouts *t)
{
	t->tcp_new = 30 * 1000;
	t->tcp_est = 24 * 3600 * 1000;
	t->tcp_close = 30 * 1000;
	t->udp_new = 30 * 1000;
	t->udp_est = 180 * 1000;
	t->icmp = 30 * 1000;
}

struct wf_fw_flows *wf_fw_flows_new(unsigned capacity, uint8_t self, uint64_t seed,
				    const struct wf_fw_timeouts *t)
{
	struct wf_fw_flows *ft;
	unsigned cap = MIN_CAPACITY;

	while (cap < capacity && cap < (1u << 30))
		cap <<= 1;
	if (self >= WF_FW_NO_OWNER || !(ft = calloc(1, sizeof(*ft))))
		return NULL;
	ft->flow = aligned_alloc(64, (size_t)cap * sizeof(struct flow));
	ft->tag = aligned_alloc(64, (size_t)cap * sizeof(uint32_t));
	if (!ft->flow || !ft->tag) {
		wf_fw_flows_free(ft);
		return NULL;
	}
	memset(ft->flow, 0, (size_t)cap * sizeof(struct flow));
	memset(ft->tag, 0, (size_t)cap * sizeof(uint32_t));
	ft->mask = cap / WAYS - 1;
	ft->self = self;
	for (int i = 0; i < 10; i++)
		ft->nh_key[i] = (uint32_t)splitmix(&seed);
	ft->to = *t;
	return ft;
}

void wf_fw_flows_free(struct wf_fw_flows *ft)
{
	if (!ft)
		return;
	free(ft->flow);
	free(ft->tag);
	free(ft);
}

unsigned wf_fw_flows_capacity(const struct wf_fw_flows *ft)
{
	return (ft->mask + 1) * WAYS;
}

unsigned wf_fw_flows_count(const struct wf_fw_flows *ft, int64_t now_ms)
{
	unsigned n = 0;

	for (unsigned i = 0; i < wf_fw_flows_capacity(ft); i++)
		n += ft->tag[i] && ft->flow[i].expires > now_ms;
	return n;
}

const struct wf_fw_flow_stats *wf_fw_flows_stats(const struct wf_fw_flows *ft)
{
	return &ft->stats;
}

/* --- Keys and buckets ------------------------------------------------------ */

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

static uint64_t splitmix(uint64_t *s)
{
	return mix(*s += 0x9e3779b97f4a7c15ull);
}

/* NH (the universal hash of UMAC, RFC 4418): two keys that differ collide
 * for at most one key in 2^32, and the key is secret, so nobody can choose
 * flows that fill one bucket; five independent multiplies, then a mix: the
 * low bits choose the bucket, the high ones are the tag. */
static uint64_t hash(const struct wf_fw_flows *ft, const struct flow_key *k)
{
	uint32_t w[10];
	uint64_t h = 0;

	memcpy(w, k, sizeof(w));
	for (int i = 0; i < 10; i += 2)
		h += (uint64_t)(w[i] + ft->nh_key[i]) * (uint64_t)(w[i + 1] + ft->nh_key[i + 1]);
	return mix(h);
}

static unsigned first_of(const struct wf_fw_flows *ft, uint64_t h)
{
	return (unsigned)(h & ft->mask) * WAYS;
}

static uint32_t tag_of(uint64_t h)
{
	return (uint32_t)(h >> 32) | 1;
}

/* The flow t belongs to, seen going dir. */
static void key_of(const struct wf_fw_tuple *t, enum wf_fw_dir dir, struct flow_key *k)
{
	size_t alen = t->family == AF_INET6 ? 16 : 4;
	bool out = dir == WF_FW_OUT;

	memset(k, 0, sizeof(*k));
	k->family = t->family;
	k->proto = t->proto;
	k->lport = out ? t->sport : t->dport;
	k->rport = out ? t->dport : t->sport;
	memcpy(k->laddr, out ? t->src : t->dst, alen);
	memcpy(k->raddr, out ? t->dst : t->src, alen);
}

static bool key_eq(const struct flow_key *a, const struct flow_key *b)
{
	uint64_t x[5], y[5], d = 0;

	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	for (int i = 0; i < 5; i++)
		d |= x[i] ^ y[i];
	return !d;
}

static void forget(struct wf_fw_flows *ft, struct flow *f)
{
	ft->tag[f - ft->flow] = 0;
	f->expires = 0;
}

/* The live flow of key k (whose hash is h), or NULL. */
static struct flow *lookup(struct wf_fw_flows *ft, const struct flow_key *k, uint64_t h,
			   int64_t now)
{
	unsigned first = first_of(ft, h);
	uint32_t tag = tag_of(h), *t = &ft->tag[first];

	for (int i = 0; i < WAYS; i++) {
		struct flow *f = &ft->flow[first + i];

		if (t[i] != tag || !key_eq(&f->key, k))
			continue;
		if (f->expires > now)
			return f;
		forget(ft, f);
		ft->stats.expired++;
		return NULL;
	}
	return NULL;
}

/* Which entry of a full bucket gives way: not answered (or closing) before
 * answered, then the nearest to its end. */
static bool weaker(const struct flow *a, const struct flow *b)
{
	bool a_est = a->state == EST, b_est = b->state == EST;

	if (a_est != b_est)
		return !a_est;
	return a->expires < b->expires;
}

/* A slot for k (hash h), tagged for it: its own, a free or expired one, or
 * the weakest. */
static struct flow *slot_for(struct wf_fw_flows *ft, const struct flow_key *k, uint64_t h,
			     int64_t now)
{
	unsigned first = first_of(ft, h), v = first;
	uint32_t tag = tag_of(h), *t = &ft->tag[first];
	struct flow *b = &ft->flow[first];

	for (int i = 0; i < WAYS; i++) {
		if (t[i] && b[i].expires <= now) {
			forget(ft, &b[i]);
			ft->stats.expired++;
		}
		if (!t[i] || (t[i] == tag && key_eq(&b[i].key, k))) {
			t[i] = tag;
			return &b[i];
		}
		if (weaker(&b[i], &ft->flow[v]))
			v = first + (unsigned)i;
	}
	ft->stats.evicted++;
	ft->tag[v] = tag;
	return &ft->flow[v];
}

/* --- Flow state ------------------------------------------------------------ */

static uint32_t lifetime(const struct wf_fw_flows *ft, const struct flow *f)
{
	if (f->key.proto == IPPROTO_TCP)
		return f->state == NEW	 ? ft->to.tcp_new
		       : f->state == EST ? ft->to.tcp_est
					 : ft->to.tcp_close;
	if (f->key.proto == IPPROTO_ICMP || f->key.proto == IPPROTO_ICMPV6)
		return ft->to.icmp;
	return f->state == NEW ? ft->to.udp_new : ft->to.udp_est;
}

/* Can this packet be one of a tracked flow (or open one)? Later fragments,
 * TCP or UDP without ports, and ICMP other than echoes cannot. */
static bool trackable(const struct wf_fw_pkt *p)
{
	if (p->kind == WF_FW_NOPORTS)
		return p->t.proto != IPPROTO_TCP && p->t.proto != IPPROTO_UDP;
	return p->kind == WF_FW_PORTS || p->kind == WF_FW_ECHO_REQ || p->kind == WF_FW_ECHO_REPLY;
}

/* May it open one? Not a lone RST, not an echo reply. */
static bool opens(const struct wf_fw_pkt *p)
{
	if (p->kind == WF_FW_ECHO_REPLY)
		return false;
	return p->t.proto != IPPROTO_TCP || !(p->tcp_flags & TCP_RST);
}

/* Does an echo belong to f: requests the way it was opened, replies back? */
static bool echo_fits(const struct flow *f, enum wf_fw_dir dir, const struct wf_fw_pkt *p)
{
	if (p->kind == WF_FW_ECHO_REQ)
		return dir == f->origin;
	if (p->kind == WF_FW_ECHO_REPLY)
		return dir != f->origin;
	return true;
}

/* A packet of flow f, going dir: answered, closing, its timer renewed. */
static void flow_seen(struct wf_fw_flows *ft, struct flow *f, enum wf_fw_dir dir,
		      const struct wf_fw_pkt *p, int64_t now)
{
	if (dir != f->origin && f->state == NEW)
		f->state = EST;
	if (f->key.proto == IPPROTO_TCP) {
		if (p->tcp_flags & TCP_FIN)
			f->fins |= dir == f->origin ? FIN_ORIGIN : FIN_REPLY;
		if (p->tcp_flags & TCP_RST || f->fins == (FIN_ORIGIN | FIN_REPLY))
			f->state = CLOSING;
	}
	f->expires = now + lifetime(ft, f);
}

/* The packet that opened f, as facts the rules can be asked about again. */
static void opening(const struct flow *f, struct wf_fw_pkt *p)
{
	const struct flow_key *k = &f->key;
	bool out = f->origin == WF_FW_OUT;

	memset(p, 0, sizeof(*p));
	p->t.family = k->family;
	p->t.proto = k->proto;
	p->t.sport = out ? k->lport : k->rport;
	p->t.dport = out ? k->rport : k->lport;
	memcpy(p->t.src, out ? k->laddr : k->raddr, 16);
	memcpy(p->t.dst, out ? k->raddr : k->laddr, 16);
	if (k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP)
		p->kind = WF_FW_PORTS;
	else if (k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6)
		p->kind = WF_FW_ECHO_REQ;
	else
		p->kind = WF_FW_NOPORTS;
}

/* Does f still hold for this packet: the rules in force still allowing its
 * opening, a TCP flow not being opened anew? */
static bool still_holds(struct flow *f, const struct wf_fw_rules *rs, enum wf_fw_dir dir,
			const struct wf_fw_ident *peer, const struct wf_fw_pkt *p)
{
	const struct wf_fw_rule *r;
	struct wf_fw_pkt first;

	if (f->state == CLOSING && dir == f->origin &&
	    (p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN)
		return false; /* the same ports again: a new connection */
	if (f->gen == rs->gen)
		return true;
	opening(f, &first);
	r = wf_fw_match(rs, (enum wf_fw_dir)f->origin, peer, &first);
	if (r && r->action == WF_FW_DROP)
		return false;
	f->gen = rs->gen;
	return true;
}

static void note_for(struct flow *f, unsigned owner, uint8_t self, struct wf_fw_note *note)
{
	if (!note || owner >= WF_FW_NO_OWNER || owner == self || f->told == owner + 1)
		return;
	note->valid = true;
	note->origin = f->origin;
	note->state = f->state;
	note->peer = f->peer;
	memcpy(note->key, &f->key, sizeof(note->key));
	f->told = (uint8_t)(owner + 1);
}

/* --- The verdict ----------------------------------------------------------- */

static enum wf_fw_action by_rules(const struct wf_fw_rules *rs, enum wf_fw_dir dir,
				  const struct wf_fw_ident *peer, const struct wf_fw_pkt *p)
{
	const struct wf_fw_rule *r = wf_fw_match(rs, dir, peer, p);

	return r ? (enum wf_fw_action)r->action : WF_FW_ALLOW;
}

/* An ICMP error about a flow of this peer: the quoted packet went the other
 * way. */
static bool related(struct wf_fw_flows *ft, enum wf_fw_dir dir, const struct wf_fw_ident *peer,
		    const struct wf_fw_pkt *p, int64_t now)
{
	struct flow_key k;
	struct flow *f;

	if (p->kind != WF_FW_ICMP_ERROR || !p->has_inner)
		return false;
	key_of(&p->inner, dir == WF_FW_IN ? WF_FW_OUT : WF_FW_IN, &k);
	f = lookup(ft, &k, hash(ft, &k), now);
	if (!f || f->peer != peer->peer)
		return false;
	ft->stats.related++;
	return true;
}

static void track(struct wf_fw_flows *ft, const struct flow_key *k, uint64_t h, enum wf_fw_dir dir,
		  uint32_t gen, const struct wf_fw_ident *peer, const struct wf_fw_pkt *p,
		  unsigned owner, int64_t now, struct wf_fw_note *note)
{
	struct flow *f = slot_for(ft, k, h, now);

	memset(f, 0, sizeof(*f));
	f->key = *k;
	f->origin = (uint8_t)dir;
	f->gen = gen;
	f->peer = peer->peer;
	ft->stats.created++;
	flow_seen(ft, f, dir, p, now);
	note_for(f, owner, ft->self, note);
}

enum wf_fw_action wf_fw_filter(struct wf_fw_flows *ft, const struct wf_fw_rules *rs,
			       enum wf_fw_dir dir, const struct wf_fw_ident *peer,
			       const struct wf_fw_pkt *p, unsigned owner, int64_t now_ms,
			       struct wf_fw_note *note)
{
	enum wf_fw_action v;
	struct flow_key k;
	struct flow *f;
	uint64_t h;

	if (note)
		note->valid = false;
	if (!rs || !(rs->n[WF_FW_IN] | rs->n[WF_FW_OUT]))
		return WF_FW_ALLOW; /* the fast path: no rules, no tracking */
	if (!ft)
		return by_rules(rs, dir, peer, p);
	if (related(ft, dir, peer, p, now_ms))
		return WF_FW_ALLOW;
	if (!trackable(p))
		return by_rules(rs, dir, peer, p);
	key_of(&p->t, dir, &k);
	h = hash(ft, &k);
	f = lookup(ft, &k, h, now_ms);
	/* Not the flow's own (another peer, now holding the address; a
	 * request the wrong way): judged alone, and the flow stays as it is. */
	if (f && (f->peer != peer->peer || !echo_fits(f, dir, p)))
		return by_rules(rs, dir, peer, p);
	if (f && still_holds(f, rs, dir, peer, p)) {
		ft->stats.hits++;
		flow_seen(ft, f, dir, p, now_ms);
		note_for(f, owner, ft->self, note);
		return WF_FW_ALLOW;
	}
	if (f)
		forget(ft, f); /* no longer holds */
	v = by_rules(rs, dir, peer, p);
	if (v == WF_FW_ALLOW && opens(p))
		track(ft, &k, h, dir, rs->gen, peer, p, owner, now_ms, note);
	return v;
}

void wf_fw_flows_adopt(struct wf_fw_flows *ft, const struct wf_fw_note *n, int64_t now_ms)
{
	struct flow_key k;
	struct flow *f;

	if (!n->valid || n->origin > WF_FW_OUT || n->state > CLOSING)
		return;
	memcpy(&k, n->key, sizeof(k));
	f = slot_for(ft, &k, hash(ft, &k), now_ms);
	if (f->expires > now_ms && key_eq(&f->key, &k)) {
		if (n->state > f->state)
			f->state = n->state;
	} else {
		memset(f, 0, sizeof(*f));
		f->key = k;
		f->origin = n->origin;
		f->state = n->state;
		f->peer = n->peer;
		f->gen = 0; /* asked again at its first packet here */
	}
	f->expires = now_ms + lifetime(ft, f);
	ft->stats.adopted++;
}
