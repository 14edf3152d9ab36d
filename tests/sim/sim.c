/* SPDX-License-Identifier: MIT */
/*
 * The membership simulator: src/core/gossip.c, unchanged, in N simulated
 * nodes on a simulated network and clock, deterministic from a seed.
 *
 * The network delivers each message after a delay (base + uniform jitter),
 * loses a fraction of them, and drops everything between two groups while a
 * partition holds. A stopped node handles nothing and sends nothing. The
 * "slow" node handles every message SLOW_MS late (longer than the probe
 * timeout, so its acks always miss) and runs its timers five times less
 * often: Lifeguard's case.
 *
 * Scenarios, in order, each from the state the last one left:
 *   join      all N start at once, each knowing one other (its bootstrap);
 *             the time until every node knows every other alive
 *   steady    a quiet spell: bytes and messages per node per second
 *   slow      the same with one slow node: false suspicions, false deaths
 *   fail      1 % of the nodes (at least 2) stop: the time until every live
 *             node holds each of them dead
 *   partition half the nodes cannot reach the other half for a while; the
 *             time after the link returns until every node holds every live
 *             node alive again
 *   restart   every node restarts at once, forgetting all but three members
 *             (the daemon's cache), with a later incarnation: the time until
 *             the table is whole again
 *
 * With --sparse, every node is past full-mesh-max (wf_gossip_set_sparse) and
 * sessions are made and kept by the daemon's own rules, src/core/lifecycle.c,
 * at both ends: each node keeps a session end per peer (struct sess: keys,
 * their age, what waits, attempts), runs wf_lc_tick on it every 100 ms as
 * timers.c does, and carries the actions out over the simulated network
 * (initiations with backoff, keepalives, gossip links, giving up); an
 * initiation is judged by wf_lc_initiation, and a response, or the first
 * packet on keys a node answered with, runs wf_lc_proven's steps. Gossip
 * keeps its ring and chords (and a dead member called back): those are
 * called and rekeyed as in a full mesh; any other session is on demand, and
 * ends once idle with its keys. Gossip goes only over sessions. A restart
 * forgets a node's sessions; the others find out by silence or a new
 * initiation. Two more scenarios: sessions settle after the join and the
 * restart (every kept session keyed at both ends), and "on demand" (calls
 * with no session, calls to stopped nodes given up, idle sessions ending);
 * and no kept session may let its keys run out while the network carried
 * it (a rekey missed).
 *
 * Certificates: a record of a key a node holds no certificate of waits for
 * one (only the CA makes members). The simulator plays the daemon's part:
 * asked (WF_GE_CERT), the node sends CERT_REQ over the simulated network to
 * the member named; that member, if up and a member itself of the key's
 * table, answers with a MEMBER message of a certificate's size; its arrival
 * certifies the key (wf_gossip_certified). Both can be lost, as any message.
 *
 * With --check, the run fails (exit 1) if a scenario misses its bound; the
 * bounds are properties of the protocol in simulated time, not of this
 * machine's speed.
 */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/gossip.h"
#include "core/lifecycle.h"
#include "core/session.h"

enum {
	TICK_MS = 20,
	SLOW_MS = 1200,
	SLOW_TICKS = 5,
	OUT_CAP = 256,
	EV_CAP = 1024,
	WIRE_OVERHEAD = 20 + 8 + 16 + 16, /* IPv4, UDP, weft data header, tag */
	CTL_CERT_REQ = 9, /* the daemon's kinds: CERT_REQ, its answer MEMBER */
	CTL_MEMBER = 1,
	MEMBER_LEN = 1 + 2 + 300 + 7, /* kind, length, a certificate, an endpoint */
	SESS_MS = 100,      /* sparse: sessions looked at this often (the daemon's tick) */
	KEEPALIVE_MS = 10000, /* ... and the daemon's defaults: keepalive-interval */
	HS_TIMEOUT_MS = 5000, /* handshake-timeout */
	REKEY_MS = 120000,  /* rekey-interval */
	REJECT_MS = 180000, /* keys are not used past this age */
	/* Messages between daemons about a session (the sim's; no gossip kind):
	 * a kind and a stamp. */
	HS_INIT = 0xe1, HS_RESP = 0xe2, KEEPALIVE = 0xe3, HS_LEN = 1 + 8,
};

/* One end of a session between two nodes (sparse): what the daemon keeps of
 * a peer, as far as the lifecycle core's rules need it. */
struct sess {
	uint32_t peer;
	int64_t keys_ms;     /* its keys were made (0: none) */
	int64_t answered_ms; /* we answered its initiation: keys wait for its proof */
	int64_t init_ms;     /* our initiation in flight, by its stamp (0: none) */
	int64_t last_stamp;  /* the newest initiation of it we answered */
	int64_t last_rx_ms, last_tx_ms, next_ms;
	unsigned attempts;
	bool initiator, proven, kept, call, used, defer_credit, linked, mesh_up, opened, gave_up;
};

struct node {
	struct wf_gossip g;
	bool up, slow;
	int group;
	uint64_t false_suspect, false_dead; /* verdicts on up nodes */
	struct sess *ss;
	uint32_t n_ss, cap_ss;
};

struct msg {
	int64_t at;
	uint64_t order;
	uint32_t from, to;
	uint16_t len;
	uint8_t *buf;
};

struct sim {
	uint32_t n;
	struct node *node;
	uint8_t (*key)[WF_GOSSIP_KEY_LEN];
	struct wf_gossip_cfg cfg;
	int64_t now;
	uint64_t rng, order;
	double loss;
	unsigned delay_ms, jitter_ms;
	bool partition;
	struct msg *heap;
	size_t n_heap, cap_heap;
	struct wf_gossip_out out;
	uint64_t delivered, lost;
	bool check, failed, verbose, sparse;
	int64_t next_sess_ms, partition_end_ms;
	uint64_t sessions_opened, initiations, rekeys, gave_up, lapses;
	bool lapse_excused;
};

static uint64_t rnd(struct sim *s)
{
	uint64_t x = (s->rng += UINT64_C(0x9e3779b97f4a7c15));

	x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

static double rnd01(struct sim *s) { return (double)(rnd(s) >> 11) / 9007199254740992.0; }

/* -- keys: a key's first 4 bytes hold its node number (found in O(1)) ----- */

static void make_key(struct sim *s, uint32_t i)
{
	for (unsigned b = 0; b < WF_GOSSIP_KEY_LEN; b += 8) {
		uint64_t r = rnd(s);

		memcpy(s->key[i] + b, &r, 8);
	}
	memcpy(s->key[i] + 4, &i, 4);
}

static uint32_t node_of(const uint8_t *key)
{
	uint32_t i;

	memcpy(&i, key + 4, 4);
	return i;
}

/* -- the event heap ------------------------------------------------------- */

static bool earlier(const struct msg *a, const struct msg *b)
{
	return a->at < b->at || (a->at == b->at && a->order < b->order);
}

static void heap_push(struct sim *s, struct msg m)
{
	size_t i;

	if (s->n_heap == s->cap_heap) {
		s->cap_heap = s->cap_heap ? s->cap_heap * 2 : 4096;
		s->heap = realloc(s->heap, s->cap_heap * sizeof(*s->heap));
		if (!s->heap)
			abort();
	}
	i = s->n_heap++;
	while (i && earlier(&m, &s->heap[(i - 1) / 2])) {
		s->heap[i] = s->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->heap[i] = m;
}

static struct msg heap_pop(struct sim *s)
{
	struct msg top = s->heap[0], last = s->heap[--s->n_heap];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= s->n_heap)
			break;
		if (c + 1 < s->n_heap && earlier(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!earlier(&s->heap[c], &last))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (s->n_heap)
		s->heap[i] = last;
	return top;
}

/* -- the network ------------------------------------------------------------- */

static bool link_down(const struct sim *s, uint32_t a, uint32_t b)
{
	return s->partition && s->node[a].group != s->node[b].group;
}

static struct sess *sess_find(struct node *nd, uint32_t peer);

static void transmit(struct sim *s, uint32_t from, const struct wf_gossip_msg *m)
{
	uint32_t to = node_of(m->to);
	struct msg e = {.from = from, .to = to, .len = m->len};
	struct sess *x = s->sparse && to < s->n ? sess_find(&s->node[from], to) : NULL;

	if (x && x->keys_ms)
		x->last_tx_ms = s->now; /* (gossip goes on the session) */

	if (to >= s->n || rnd01(s) < s->loss || link_down(s, from, to)) {
		s->lost++;
		return;
	}
	e.at = s->now + s->delay_ms + (int64_t)(rnd(s) % (s->jitter_ms + 1));
	if (s->node[to].slow)
		e.at += SLOW_MS;
	e.order = s->order++;
	e.buf = malloc(m->len);
	if (!e.buf)
		abort();
	memcpy(e.buf, m->buf, m->len);
	heap_push(s, e);
}

/* A CERT_REQ (kind, key) to `to`, or a MEMBER answer of a certificate's
 * size (kind, key, padding). */
static void send_ctl(struct sim *s, uint32_t from, const uint8_t *to, unsigned kind,
		     const uint8_t *key)
{
	static struct wf_gossip_msg m;

	memcpy(m.to, to, WF_GOSSIP_KEY_LEN);
	memset(m.buf, 0, MEMBER_LEN);
	m.buf[0] = (uint8_t)kind;
	memcpy(m.buf + 1, key, WF_GOSSIP_KEY_LEN);
	m.len = kind == CTL_MEMBER ? MEMBER_LEN : 1 + WF_GOSSIP_KEY_LEN;
	transmit(s, from, &m);
}

/* Act on what node i's last call produced: send, and score verdicts. */
static void drain(struct sim *s, uint32_t i)
{
	for (unsigned k = 0; k < s->out.n; k++)
		transmit(s, i, &s->out.msg[k]);
	for (unsigned k = 0; k < s->out.n_ev; k++) {
		const struct wf_gossip_event *e = &s->out.ev[k];
		uint32_t who = node_of(e->key);

		if (e->kind == WF_GE_CERT)
			send_ctl(s, i, e->from, CTL_CERT_REQ, e->key);
		if (e->kind != WF_GE_STATE || who >= s->n || !s->node[who].up)
			continue;
		if (link_down(s, i, who))
			continue; /* it is out of reach: the verdict is right */
		if (e->state == WF_GS_SUSPECT)
			s->node[i].false_suspect++;
		if (e->state == WF_GS_DEAD)
			s->node[i].false_dead++;
	}
	s->out.n = s->out.n_ev = 0;
}

static void on_init(struct sim *s, uint32_t a, uint32_t from, int64_t stamp);
static void on_session_msg(struct sim *s, uint32_t a, uint32_t from, unsigned kind,
			   int64_t stamp);

static void deliver(struct sim *s, struct msg *m)
{
	struct node *to = &s->node[m->to];
	int64_t stamp = 0;

	if (m->len >= HS_LEN)
		memcpy(&stamp, m->buf + 1, 8);
	if (to->up && !link_down(s, m->from, m->to) && s->sparse) {
		if (m->buf[0] == HS_INIT)
			on_init(s, m->to, m->from, stamp);
		else
			on_session_msg(s, m->to, m->from, m->buf[0], stamp);
	}
	if (to->up && !link_down(s, m->from, m->to)) {
		if (m->buf[0] == HS_INIT || m->buf[0] == HS_RESP || m->buf[0] == KEEPALIVE)
			;
		else if (m->buf[0] == CTL_CERT_REQ && wf_gossip_find(&to->g, m->buf + 1))
			send_ctl(s, m->to, s->key[m->from], CTL_MEMBER, m->buf + 1);
		else if (m->buf[0] == CTL_MEMBER)
			wf_gossip_certified(&to->g, m->buf + 1, s->now, &s->out);
		else if (m->buf[0] != CTL_CERT_REQ)
			wf_gossip_receive(&to->g, s->key[m->from], m->buf, m->len, s->now, &s->out);
		drain(s, m->to);
		s->delivered++;
	}
	free(m->buf);
}

/* -- sessions (sparse): the lifecycle core at each end ---------------------------- */

static bool reachable(const struct sim *s, uint32_t a, uint32_t b)
{
	return s->node[a].up && s->node[b].up && !link_down(s, a, b);
}

static struct sess *sess_find(struct node *nd, uint32_t peer)
{
	for (uint32_t k = 0; k < nd->n_ss; k++)
		if (nd->ss[k].peer == peer)
			return &nd->ss[k];
	return NULL;
}

/* a's end of a session with b, made if need be. */
static struct sess *sess_get(struct sim *s, uint32_t a, uint32_t b)
{
	struct node *nd = &s->node[a];
	struct sess *x = sess_find(nd, b);

	if (x)
		return x;
	if (nd->n_ss == nd->cap_ss) {
		nd->cap_ss = nd->cap_ss ? 2 * nd->cap_ss : 16;
		nd->ss = realloc(nd->ss, nd->cap_ss * sizeof(*nd->ss));
		if (!nd->ss)
			abort();
	}
	x = &nd->ss[nd->n_ss++];
	*x = (struct sess){.peer = b, .defer_credit = true, .last_rx_ms = s->now};
	return x;
}

static void sess_drop(struct sim *s, uint32_t a, struct sess *x)
{
	struct node *nd = &s->node[a];

	if (x->linked && nd->up)
		wf_gossip_link(&nd->g, s->key[x->peer], false);
	*x = nd->ss[--nd->n_ss];
}

static void send_hs(struct sim *s, uint32_t from, uint32_t to, unsigned kind, int64_t stamp)
{
	static struct wf_gossip_msg m;

	memcpy(m.to, s->key[to], WF_GOSSIP_KEY_LEN);
	m.buf[0] = (uint8_t)kind;
	memcpy(m.buf + 1, &stamp, 8);
	m.len = HS_LEN;
	transmit(s, from, &m);
}

static bool has_keys(const struct sess *x, int64_t now)
{
	return x->keys_ms && now - x->keys_ms < REJECT_MS;
}

/* What the daemon's timers.c tells the rules (its facts()), as the sim
 * knows them: a session carries no data here, only gossip, so a member
 * gossip keeps is a full-mesh peer and any other is on demand. */
static struct wf_lc_peer facts(const struct sim *s, const struct sess *x)
{
	int64_t rekey = x->initiator ? REKEY_MS : REKEY_MS + REKEY_MS / 10;

	return (struct wf_lc_peer){
	    .keys = has_keys(x, s->now),
	    .rekey_due = !x->keys_ms || s->now - x->keys_ms >= rekey,
	    .silent = x->keys_ms && s->now - x->last_rx_ms > 3 * KEEPALIVE_MS + HS_TIMEOUT_MS,
	    .proven = x->proven,
	    .endpoint = true,
	    .on_demand = !x->kept,
	    .used = x->used,
	    .waiting = x->call,
	    .defer_credit = x->defer_credit,
	    .attempts = x->attempts,
	    .next_ms = x->next_ms,
	    .answered_ms = x->answered_ms,
	    .last_tx_ms = x->last_tx_ms,
	};
}

/* The daemon's peer_tick: the rules' actions carried out. */
static void sess_tick(struct sim *s, uint32_t a, struct sess *x)
{
	static const struct wf_lc_cfg cfg = {.keepalive_ms = KEEPALIVE_MS,
					     .hs_timeout_ms = HS_TIMEOUT_MS, .attempts_down = 8};
	struct wf_lc_peer f = facts(s, x);
	unsigned act = wf_lc_tick(&cfg, &f, s->now);
	bool link = act & WF_LC_LINK;

	if (x->keys_ms && !f.keys && x->kept && reachable(s, a, x->peer) && !s->lapse_excused)
		s->lapses++; /* keys ran out on a kept session the network carried */
	if (!f.keys)
		x->keys_ms = 0;
	if (act & WF_LC_MESH_DOWN)
		x->mesh_up = false;
	if (link != x->linked)
		wf_gossip_link(&s->node[a].g, s->key[x->peer], link);
	x->linked = link;
	if (act & WF_LC_GIVE_UP) {
		x->gave_up = true; /* (gossip may call a dead member again later) */
		x->call = false;
		x->attempts = 0;
		s->gave_up++;
	}
	if (act & WF_LC_CREDIT_SPENT)
		x->defer_credit = false;
	if (act & WF_LC_INITIATE) {
		x->attempts++;
		x->next_ms = s->now + wf_handshake_backoff_ms(HS_TIMEOUT_MS, x->attempts,
								(uint32_t)rnd(s));
		x->init_ms = s->now;
		send_hs(s, a, x->peer, HS_INIT, x->init_ms);
		s->initiations++;
	}
	if (act & WF_LC_KEEPALIVE) {
		x->last_tx_ms = s->now;
		send_hs(s, a, x->peer, KEEPALIVE, 0);
	}
}

/* A session proven at a's end: what follows, in wf_lc_proven's order. */
static void sess_proven(struct sim *s, uint32_t a, struct sess *x, bool we_initiated)
{
	enum wf_lc_step steps[WF_LCS_MAX];
	struct wf_lc_proof f = {.we_initiated = we_initiated, .other_hs = !we_initiated && x->init_ms,
				.staged = x->call};

	wf_lc_proven(&f, steps);
	for (const enum wf_lc_step *st = steps; *st != WF_LCS_END; st++) {
		switch (*st) {
		case WF_LCS_ABORT_HS:
			x->init_ms = 0;
			break;
		case WF_LCS_INSTALL:
			if (x->keys_ms)
				s->rekeys++;
			x->keys_ms = we_initiated ? s->now : x->answered_ms;
			x->initiator = we_initiated;
			x->used = false; /* (no data on these keys yet) */
			x->answered_ms = 0;
			x->init_ms = we_initiated ? 0 : x->init_ms;
			x->defer_credit = true;
			break;
		case WF_LCS_PROVEN:
			x->proven = true;
			break;
		case WF_LCS_TIMERS:
			x->attempts = 0;
			x->next_ms = 0;
			x->last_rx_ms = s->now;
			break;
		case WF_LCS_FLUSH:
			x->call = false;
			x->used = true;
			/* fall through */ /* (what waited goes as a packet) */
		case WF_LCS_KEEPALIVE:
			x->last_tx_ms = s->now;
			send_hs(s, a, x->peer, KEEPALIVE, 0);
			break;
		case WF_LCS_MEMBERS:
			if (!x->mesh_up) {
				x->mesh_up = true;
				wf_gossip_contact(&s->node[a].g, s->key[x->peer], NULL, 0, s->now, &s->out);
				drain(s, a);
			}
			break;
		case WF_LCS_END:
		case WF_LCS_ENDPOINT:
		case WF_LCS_PUBLISH:
		case WF_LCS_READY:
		case WF_LCS_DROP_OLD:
		case WF_LCS_DATAPATH:
		case WF_LCS_KEEPALIVE_SA:
			break; /* the routes, the index, the kernel: none here */
		}
	}
	if (!x->opened) {
		x->opened = true;
		s->sessions_opened++;
	}
}

/* The responder: the rule judges an initiation at each stage; here every
 * stage passes but the session's (a replay is one not newer than the last
 * proven or answered). */
static void on_init(struct sim *s, uint32_t a, uint32_t from, int64_t stamp)
{
	struct sess *x = sess_get(s, a, from);
	struct wf_lc_init f = {.stage = WF_LCI_CERTIFIED, .rate_ok = true, .readable = true,
			       .cert_ok = true, .fits = true};

	f.verdict = stamp > x->last_stamp ? WF_INIT_ACCEPT : WF_INIT_REPLAY;
	if (wf_lc_initiation(&f) != WF_LCI_ANSWER)
		return;
	x->last_stamp = stamp;
	x->answered_ms = s->now;
	send_hs(s, a, from, HS_RESP, stamp);
}

/* Anything authentic from `from` on a's session: a response to a's
 * initiation proves it for a; any packet on keys a answered with proves
 * them. */
static void on_session_msg(struct sim *s, uint32_t a, uint32_t from, unsigned kind,
			   int64_t stamp)
{
	struct sess *x = sess_find(&s->node[a], from);

	if (!x)
		return;
	if (kind == HS_RESP) {
		if (x->init_ms && stamp == x->init_ms)
			sess_proven(s, a, x, true);
		return;
	}
	if (x->answered_ms)
		sess_proven(s, a, x, false);
	if (x->keys_ms)
		x->last_rx_ms = s->now;
}

/* What gossip keeps (its ring and chords, a dead member called back) is
 * called and kept; what it no longer keeps is on demand: idle, its keys run
 * out, and it goes. */
static void want_tick(struct sim *s, uint32_t i)
{
	const struct wf_gossip *g = &s->node[i].g;
	struct node *nd = &s->node[i];

	for (uint32_t k = 0; k < nd->n_ss; k++)
		nd->ss[k].kept = false;
	for (uint32_t k = 0; k < g->n_want; k++) {
		uint32_t j = node_of(g->m[g->want[k]].key);
		struct sess *x;

		if (j >= s->n || j == i)
			continue;
		x = sess_get(s, i, j);
		x->kept = true;
		if (!has_keys(x, s->now))
			x->call = true;
	}
}

static void sessions_tick(struct sim *s)
{
	if (!s->sparse || s->now < s->next_sess_ms)
		return;
	s->next_sess_ms = s->now + SESS_MS;
	s->lapse_excused = s->partition || s->now - s->partition_end_ms < REJECT_MS + 60000;
	for (uint32_t i = 0; i < s->n; i++) {
		struct node *nd = &s->node[i];

		if (!nd->up)
			continue;
		want_tick(s, i);
		for (uint32_t k = 0; k < nd->n_ss;) {
			struct sess *x = &nd->ss[k];

			sess_tick(s, i, x);
			/* Nothing left of it: no keys, none waiting, none called. */
			if (!x->keys_ms && !x->answered_ms && !x->call && !x->kept &&
			    !x->init_ms) {
				sess_drop(s, i, x);
				continue; /* (k now holds another) */
			}
			k++;
		}
	}
}

/* Does every up node hold keys with every member its gossip keeps, and
 * that member keys with it? */
static bool sessions_whole(struct sim *s)
{
	for (uint32_t i = 0; i < s->n; i++) {
		struct node *nd = &s->node[i];

		for (uint32_t k = 0; nd->up && k < nd->n_ss; k++) {
			struct sess *x = &nd->ss[k], *y;

			if (!x->kept || !s->node[x->peer].up)
				continue;
			y = sess_find(&s->node[x->peer], i);
			if (!has_keys(x, s->now) || !y || !has_keys(y, s->now))
				return false;
		}
	}
	return true;
}

/* Advance the clock to `until`, delivering and ticking on the way. */
static void run(struct sim *s, int64_t until)
{
	while (s->now < until) {
		int64_t next = s->now + TICK_MS;

		while (s->n_heap && s->heap[0].at < next) {
			struct msg m = heap_pop(s);

			if (m.at > s->now)
				s->now = m.at;
			deliver(s, &m);
		}
		s->now = next;
		sessions_tick(s);
		for (uint32_t i = 0; i < s->n; i++) {
			struct node *nd = &s->node[i];

			if (!nd->up || (nd->slow && (s->now / TICK_MS) % SLOW_TICKS))
				continue;
			wf_gossip_tick(&nd->g, s->now, &s->out);
			drain(s, i);
		}
	}
}

/* -- nodes ---------------------------------------------------------------------- */

static void node_start(struct sim *s, uint32_t i)
{
	/* Incarnations from the clock, as the daemon's: a restart outlives the
	 * records of its last life. */
	uint64_t inc = 1000000 + (uint64_t)s->now;

	/* A restart forgets its sessions; the others find out as the daemon
	 * does (silence, a new initiation). */
	s->node[i].n_ss = 0;
	if (!wf_gossip_init(&s->node[i].g, &s->cfg, s->key[i], inc, rnd(s), s->now))
		abort();
	s->node[i].up = true;
	wf_gossip_set_sparse(&s->node[i].g, s->sparse, s->now);
}

/* A session between a and b came up (what the daemon tells the core). */
static void contact(struct sim *s, uint32_t a, uint32_t b)
{
	if (!s->node[a].up || !s->node[b].up || link_down(s, a, b))
		return;
	if (s->sparse) {
		sess_get(s, a, b)->call = true; /* a bootstrap: a calls b */
		return;
	}
	wf_gossip_contact(&s->node[a].g, s->key[b], NULL, 0, s->now, &s->out);
	drain(s, a);
	wf_gossip_contact(&s->node[b].g, s->key[a], NULL, 0, s->now, &s->out);
	drain(s, b);
}

/* Does node i hold every up node alive (or suspect) and no other as such? */
static bool whole(const struct sim *s, uint32_t i, uint32_t n_up)
{
	const struct wf_gossip *g = &s->node[i].g;

	if (g->n_live != n_up)
		return false;
	for (uint32_t k = 0; k < g->n; k++)
		if ((g->m[k].state == WF_GS_ALIVE || g->m[k].state == WF_GS_SUSPECT) &&
		    !s->node[node_of(g->m[k].key)].up)
			return false;
	return true;
}

static uint32_t count_up(const struct sim *s)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < s->n; i++)
		n += s->node[i].up;
	return n;
}

/* Run until every up node is whole, checking each step_ms; returns the time
 * taken in ms, or -1 after limit_ms. Also reports when 99.99 % were. */
static int64_t converge(struct sim *s, int64_t limit_ms, int64_t *t9999)
{
	int64_t start = s->now;
	uint32_t n_up = count_up(s);

	*t9999 = -1;
	while (s->now - start <= limit_ms) {
		uint64_t pairs = 0, known = 0;
		bool all = true;

		for (uint32_t i = 0; i < s->n; i++) {
			if (!s->node[i].up)
				continue;
			pairs += n_up;
			known += s->node[i].g.n_live < n_up ? s->node[i].g.n_live : n_up;
			all &= s->node[i].g.n_live == n_up;
		}
		for (uint32_t i = 0; all && i < s->n; i++)
			all = !s->node[i].up || whole(s, i, n_up);
		if (*t9999 < 0 && known * 10000 >= pairs * 9999)
			*t9999 = s->now - start;
		if (all)
			return s->now - start;
		run(s, s->now + 100);
	}
	return -1;
}

/* -- reporting ---------------------------------------------------------------------- */

static void bound(struct sim *s, bool ok, const char *what)
{
	if (!ok) {
		printf("  FAILED: %s\n", what);
		if (s->check)
			s->failed = true;
	}
}

struct totals {
	uint64_t msgs, bytes, raised, suspect, dead;
};

/* raised: suspicions a prober raised itself (a probe failed); suspect and
 * dead: verdicts on up nodes, counted at every node that reached them. */
static struct totals totals(const struct sim *s)
{
	struct totals t = {0};

	for (uint32_t i = 0; i < s->n; i++) {
		t.msgs += s->node[i].g.st.msgs_out;
		t.bytes += s->node[i].g.st.bytes_out;
		t.raised += s->node[i].g.st.probes_failed;
		t.suspect += s->node[i].false_suspect;
		t.dead += s->node[i].false_dead;
	}
	return t;
}

/* -- scenarios -------------------------------------------------------------------- */

static void scenario_join(struct sim *s)
{
	int64_t t, t9999;

	/* The last node is held out for scenario_one_join. */
	for (uint32_t i = 0; i + 1 < s->n; i++)
		node_start(s, i);
	for (uint32_t i = 1; i + 1 < s->n; i++)
		contact(s, i, (uint32_t)(rnd(s) % i)); /* one bootstrap each */
	t = converge(s, 120000, &t9999);
	printf("join       %u nodes at once: 99.99 %% of pairs known after %.1f s (%.0f gossip "
	       "rounds), all after %.1f s\n",
	       s->n - 1, (double)t9999 / 1000, (double)t9999 / s->cfg.gossip_ms, (double)t / 1000);
	bound(s, t >= 0 && t <= 60000, "the mesh is whole within 60 s");
}

static void scenario_steady(struct sim *s, const char *name, int64_t secs)
{
	struct totals a = totals(s), b;
	double per, wire;

	run(s, s->now + secs * 1000);
	b = totals(s);
	per = (double)s->n * (double)secs;
	wire = (double)(b.bytes - a.bytes + (b.msgs - a.msgs) * WIRE_OVERHEAD) / per;
	printf("%-10s %" PRId64 " s: per node %.1f msgs/s, %.0f B/s of gossip (%.0f B/s on the "
	       "wire); false suspicions raised %" PRIu64 " (held by %" PRIu64 " nodes in all), "
	       "false deaths %" PRIu64 "\n",
	       name, secs, (double)(b.msgs - a.msgs) / per, (double)(b.bytes - a.bytes) / per, wire,
	       b.raised - a.raised, b.suspect - a.suspect, b.dead - a.dead);
	bound(s, wire < 10000, "under 10 kB/s a node");
	bound(s, b.dead == a.dead, "no false death");
}

/* A new node joins the whole mesh: how many rounds until it is known. */
static void scenario_one_join(struct sim *s)
{
	uint32_t who = s->n - 1;
	int64_t start, t9999 = -1;
	uint32_t n_up;

	node_start(s, who);
	contact(s, who, (uint32_t)(rnd(s) % who));
	n_up = count_up(s);
	start = s->now;
	for (;;) {
		uint32_t know = 0;

		for (uint32_t i = 0; i < s->n; i++) {
			const struct wf_gmember *m = wf_gossip_find(&s->node[i].g, s->key[who]);

			know += s->node[i].up && m && m->state == WF_GS_ALIVE;
		}
		if (t9999 < 0 && (uint64_t)know * 10000 >= (uint64_t)n_up * 9999)
			t9999 = s->now - start;
		if (know == n_up || s->now - start > 60000)
			break;
		run(s, s->now + 20);
	}
	printf("one join   into the whole mesh: known by 99.99 %% after %.2f s (%.1f gossip "
	       "rounds), by all after %.2f s\n",
	       (double)t9999 / 1000, (double)t9999 / s->cfg.gossip_ms,
	       (double)(s->now - start) / 1000);
	bound(s, t9999 >= 0 && t9999 <= 10000, "a join known by 99.99 % within 10 s");
}

static void scenario_slow(struct sim *s)
{
	uint32_t who = (uint32_t)(rnd(s) % (s->n - 1));
	uint64_t own = s->node[who].g.st.probes_failed;

	s->node[who].slow = true;
	scenario_steady(s, "slow", 60);
	printf("           (of those raised, %" PRIu64 " by the slow node itself)\n",
	       s->node[who].g.st.probes_failed - own);
	s->node[who].slow = false;
	run(s, s->now + 20000); /* let its backlog clear */
}

static bool all_hold_dead(const struct sim *s, const uint32_t *gone, unsigned n_gone)
{
	for (uint32_t i = 0; i < s->n; i++) {
		if (!s->node[i].up)
			continue;
		for (unsigned k = 0; k < n_gone; k++) {
			const struct wf_gmember *m = wf_gossip_find(&s->node[i].g, s->key[gone[k]]);

			if (m && m->state != WF_GS_DEAD)
				return false;
		}
	}
	return true;
}

static void scenario_fail(struct sim *s)
{
	unsigned n_gone = s->n / 100 > 2 ? s->n / 100 : 2;
	uint32_t *gone = calloc(n_gone, sizeof(*gone));
	int64_t start = s->now;

	for (unsigned k = 0; k < n_gone; k++) {
		gone[k] = (uint32_t)(rnd(s) % (s->n - 1));
		s->node[gone[k]].up = false;
	}
	while (!all_hold_dead(s, gone, n_gone) && s->now - start < 300000)
		run(s, s->now + 100);
	printf("fail       %u nodes stop: every live node holds them dead after %.1f s\n", n_gone,
	       (double)(s->now - start) / 1000);
	bound(s, s->now - start < 300000, "failures known everywhere within 300 s");
	for (unsigned k = 0; k < n_gone; k++) {
		wf_gossip_free(&s->node[gone[k]].g);
		node_start(s, gone[k]); /* back, as a restart */
		contact(s, gone[k], (gone[k] + 1) % (s->n - 1));
	}
	free(gone);
}

static void scenario_partition(struct sim *s, int64_t secs)
{
	int64_t t, t9999;

	for (uint32_t i = 0; i < s->n; i++)
		s->node[i].group = i < s->n / 2;
	s->partition = true;
	run(s, s->now + secs * 1000);
	s->partition = false;
	s->partition_end_ms = s->now;
	t = converge(s, 600000, &t9999);
	printf("partition  halves apart %" PRId64 " s, then rejoined: whole again after %.1f s\n",
	       secs, (double)t / 1000);
	bound(s, t >= 0, "the partition heals");
}

static void sessions_settle(struct sim *s, const char *name);

static void scenario_restart(struct sim *s)
{
	int64_t t, t9999;

	for (uint32_t i = 0; i + 1 < s->n; i++) {
		wf_gossip_free(&s->node[i].g);
		node_start(s, i);
	}
	for (uint32_t i = 0; i + 1 < s->n; i++)
		for (int k = 0; k < 3; k++)
			contact(s, i, (uint32_t)(rnd(s) % (s->n - 1))); /* from the cache */
	t = converge(s, 120000, &t9999);
	printf("restart    all %u at once from their caches: 99.99 %% after %.1f s, whole after "
	       "%.1f s\n",
	       s->n - 1, (double)t9999 / 1000, (double)t / 1000);
	bound(s, t >= 0 && t <= 60000, "whole again within 60 s");
	if (s->sparse)
		sessions_settle(s, "restart   ");
}

/* Sparse: run until every kept session has keys at both ends. */
static void sessions_settle(struct sim *s, const char *name)
{
	int64_t start = s->now;

	while (!sessions_whole(s) && s->now - start <= 60000)
		run(s, s->now + 100);
	printf("%s every session gossip keeps has keys at both ends after %.1f s\n", name,
	       (double)(s->now - start) / 1000);
	bound(s, s->now - start <= 60000, "kept sessions made within 60 s");
}

/* Traffic for members no session joins yet (sessions on demand): a call
 * from each of PAIRS nodes to one it keeps none with; calls to a few
 * stopped nodes give up; once idle, the sessions end with their keys. */
static void scenario_on_demand(struct sim *s)
{
	enum { PAIRS = 100, GONE = 3 };
	uint32_t a[PAIRS], b[PAIRS], n = 0, gone[GONE], callers[GONE];
	uint64_t gave_up = s->gave_up;
	int64_t start = s->now, t99 = -1;
	unsigned up = 0, idle = 0, given = 0;

	for (unsigned k = 0; k < GONE; k++) {
		gone[k] = (uint32_t)(rnd(s) % (s->n - 1));
		s->node[gone[k]].up = false;
	}
	for (unsigned k = 0; k < GONE; k++) {
		callers[k] = (uint32_t)(rnd(s) % (s->n - 1));
		if (s->node[callers[k]].up && callers[k] != gone[k])
			sess_get(s, callers[k], gone[k])->call = true;
	}
	while (n < PAIRS) {
		uint32_t i = (uint32_t)(rnd(s) % (s->n - 1)), j = (uint32_t)(rnd(s) % (s->n - 1));
		struct sess *x;

		if (i == j || !s->node[i].up || !s->node[j].up || sess_find(&s->node[i], j))
			continue;
		x = sess_get(s, i, j);
		x->call = true;
		a[n] = i, b[n++] = j;
	}
	while (up < PAIRS && s->now - start <= 30000) {
		run(s, s->now + 100);
		up = 0;
		for (unsigned k = 0; k < PAIRS; k++) {
			struct sess *x = sess_find(&s->node[a[k]], b[k]);
			struct sess *y = sess_find(&s->node[b[k]], a[k]);

			up += x && has_keys(x, s->now) && y && has_keys(y, s->now);
		}
		if (t99 < 0 && up * 100 >= PAIRS * 99)
			t99 = s->now - start;
	}
	printf("on demand  %u calls with no session: 99 %% with keys at both ends after %.1f s, "
	       "all after %.1f s\n",
	       PAIRS, (double)t99 / 1000, (double)(s->now - start) / 1000);
	bound(s, up == PAIRS, "every call on demand has a session within 30 s");
	run(s, start + REKEY_MS + REJECT_MS + 30000);
	for (unsigned k = 0; k < PAIRS; k++) {
		struct sess *x = sess_find(&s->node[a[k]], b[k]);

		idle += !x || x->kept || !has_keys(x, s->now);
	}
	printf("           idle for %.0f s: %u of %u sessions on demand ended (or now kept)\n",
	       (double)(REKEY_MS + REJECT_MS) / 1000, idle, PAIRS);
	bound(s, idle == PAIRS, "idle sessions on demand end with their keys");
	/* Eight unanswered calls, with backoff (10, 20, 40 s, then 60 s). */
	run(s, start + 450000);
	for (unsigned k = 0; k < GONE; k++) {
		struct sess *x = sess_find(&s->node[callers[k]], gone[k]);

		given += !x || !x->call || x->gave_up;
	}
	printf("           calls to %u stopped nodes given up after 8 attempts: %u (%" PRIu64
	       " calls given up in the mesh meanwhile)\n",
	       GONE, given, s->gave_up - gave_up);
	bound(s, given == GONE, "calls nobody answers are given up");
	for (unsigned k = 0; k < GONE; k++) {
		wf_gossip_free(&s->node[gone[k]].g);
		node_start(s, gone[k]);
		contact(s, gone[k], (gone[k] + 1) % (s->n - 1));
	}
}

/* Sparse: sessions a node holds now (the daemon's memory and keepalives). */
static void report_sessions(struct sim *s)
{
	uint64_t sum = 0;
	uint32_t most = 0, up = 0;

	for (uint32_t i = 0; i < s->n; i++) {
		if (!s->node[i].up)
			continue;
		up++;
		sum += s->node[i].n_ss;
		most = s->node[i].n_ss > most ? s->node[i].n_ss : most;
	}
	printf("sessions   %.1f a node on average, %u at most (a full mesh: %u); %" PRIu64
	       " made in the whole run, %" PRIu64 " initiations, %" PRIu64 " rekeys; kept "
	       "sessions whose keys ran out while the network carried them: %" PRIu64 "\n",
	       (double)sum / up, most, up - 1, s->sessions_opened, s->initiations, s->rekeys,
	       s->lapses);
	bound(s, most < up - 1 && sum / up <= 4 * (2 * s->cfg.ring + s->cfg.chords),
	      "sessions far fewer than a full mesh");
	bound(s, s->rekeys > 0, "sessions rekeyed");
	bound(s, s->lapses == 0, "no kept session's keys ran out while it was reachable");
}

static void usage(void)
{
	fputs("usage: sim [-n NODES] [-s SEED] [-l LOSS] [-d DELAY_MS] [-j JITTER_MS]\n"
	      "           [-a AWARENESS_MAX] [--sparse] [--check]\n"
	      "  -a 1 turns Lifeguard's local health off (for comparison)\n"
	      "  --sparse: past full-mesh-max, gossip only over the sessions kept\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"check", no_argument, NULL, 'c'}, {"sparse", no_argument, NULL, 'S'}, {0}};
	struct sim s = {.n = 1000, .rng = 1, .loss = 0.01, .delay_ms = 1, .jitter_ms = 4};
	unsigned awareness = 0;
	uint64_t seed;
	int c;

	while ((c = getopt_long(argc, argv, "n:s:l:d:j:a:", opts, NULL)) != -1) {
		switch (c) {
		case 'n': s.n = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 's': s.rng = strtoull(optarg, NULL, 10); break;
		case 'l': s.loss = strtod(optarg, NULL); break;
		case 'd': s.delay_ms = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'j': s.jitter_ms = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'a': awareness = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'c': s.check = true; break;
		case 'S': s.sparse = true; break;
		default: usage();
		}
	}
	if (s.n < 4 || s.loss < 0 || s.loss >= 1)
		usage();
	seed = s.rng;
	setvbuf(stdout, NULL, _IOLBF, 0);
	wf_gossip_cfg_default(&s.cfg);
	if (awareness)
		s.cfg.awareness_max = awareness;
	s.node = calloc(s.n, sizeof(*s.node));
	s.key = calloc(s.n, sizeof(*s.key));
	s.out.msg = calloc(OUT_CAP, sizeof(*s.out.msg));
	s.out.ev = calloc(EV_CAP, sizeof(*s.out.ev));
	if (!s.node || !s.key || !s.out.msg || !s.out.ev)
		return 1;
	s.out.cap = OUT_CAP;
	s.out.ev_cap = EV_CAP;
	for (uint32_t i = 0; i < s.n; i++)
		make_key(&s, i);
	printf("sim: %u nodes, seed %" PRIu64 ", loss %.1f %%, delay %u-%u ms, gossip every %u ms%s\n",
	       s.n, seed, s.loss * 100, s.delay_ms, s.delay_ms + s.jitter_ms, s.cfg.gossip_ms,
	       s.sparse ? ", sparse (sessions on demand)" : "");
	scenario_join(&s);
	if (s.sparse)
		sessions_settle(&s, "join      ");
	run(&s, s.now + 30000); /* the join's changes finish spreading */
	scenario_steady(&s, "steady", 30);
	scenario_slow(&s);
	scenario_fail(&s);
	scenario_partition(&s, 60);
	scenario_restart(&s);
	run(&s, s.now + 30000);
	scenario_steady(&s, "after", 30);
	scenario_one_join(&s);
	if (s.sparse)
		scenario_on_demand(&s);
	printf("network: %" PRIu64 " messages delivered, %" PRIu64 " lost; outbox overflows %lu\n",
	       s.delivered, s.lost, s.out.dropped);
	if (s.sparse)
		report_sessions(&s);
	while (s.n_heap) {
		struct msg m = heap_pop(&s);

		free(m.buf);
	}
	for (uint32_t i = 0; i < s.n; i++) {
		wf_gossip_free(&s.node[i].g);
		free(s.node[i].ss);
	}
	free(s.heap);
	free(s.node);
	free(s.key);
	free(s.out.msg);
	free(s.out.ev);
	return s.failed;
}
