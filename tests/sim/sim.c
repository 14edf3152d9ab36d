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
 * With --sparse, every node is past full-mesh-max (wf_gossip_set_sparse): a
 * session (what the daemon's handshake makes) joins two nodes when either
 * wants it (its ring and chords, a dead member called back), gossip goes
 * only over sessions, and a session ends when neither end has wanted it for
 * IDLE_MS (keys running out) or the other end has been out of reach for
 * SILENT_MS (the daemon's silence detection). A restart ends a node's
 * sessions.
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
	SESS_MS = 100,      /* sparse: sessions looked at this often */
	IDLE_MS = 180000,   /* ... end this long after neither end wanted them */
	SILENT_MS = 35000,  /* ... or after the other end is out of reach this long */
};

/* A session between two nodes (sparse), kept at both ends. */
struct sess {
	uint32_t peer;
	int64_t wanted_ms, bad_ms; /* last wanted; out of reach since (0: no) */
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
	int64_t next_sess_ms;
	uint64_t sessions_opened;
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

static void transmit(struct sim *s, uint32_t from, const struct wf_gossip_msg *m)
{
	uint32_t to = node_of(m->to);
	struct msg e = {.from = from, .to = to, .len = m->len};

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

static void deliver(struct sim *s, struct msg *m)
{
	struct node *to = &s->node[m->to];

	if (to->up && !link_down(s, m->from, m->to)) {
		if (m->buf[0] == CTL_CERT_REQ && wf_gossip_find(&to->g, m->buf + 1))
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

/* -- sessions (sparse) ------------------------------------------------------------ */

static struct sess *sess_find(struct node *nd, uint32_t peer)
{
	for (uint32_t k = 0; k < nd->n_ss; k++)
		if (nd->ss[k].peer == peer)
			return &nd->ss[k];
	return NULL;
}

static void sess_push(struct sim *s, uint32_t a, uint32_t b)
{
	struct node *nd = &s->node[a];

	if (nd->n_ss == nd->cap_ss) {
		nd->cap_ss = nd->cap_ss ? 2 * nd->cap_ss : 16;
		nd->ss = realloc(nd->ss, nd->cap_ss * sizeof(*nd->ss));
		if (!nd->ss)
			abort();
	}
	nd->ss[nd->n_ss++] = (struct sess){.peer = b, .wanted_ms = s->now};
	wf_gossip_link(&nd->g, s->key[b], true);
}

/* A handshake between a and b: both ends link, and (as the daemon does when
 * a session comes up) tell their cores of the contact. */
static void sess_open(struct sim *s, uint32_t a, uint32_t b)
{
	if (sess_find(&s->node[a], b))
		return;
	s->sessions_opened++;
	wf_gossip_contact(&s->node[a].g, s->key[b], NULL, 0, s->now, &s->out);
	drain(s, a);
	wf_gossip_contact(&s->node[b].g, s->key[a], NULL, 0, s->now, &s->out);
	drain(s, b);
	sess_push(s, a, b); /* (links after the contact: the core knows it then) */
	sess_push(s, b, a);
}

static void sess_drop(struct sim *s, uint32_t a, uint32_t b)
{
	struct node *nd = &s->node[a];
	struct sess *x = sess_find(nd, b);

	if (!x)
		return;
	*x = nd->ss[--nd->n_ss];
	if (nd->up)
		wf_gossip_link(&nd->g, s->key[b], false);
}

static void sess_close(struct sim *s, uint32_t a, uint32_t b)
{
	sess_drop(s, a, b);
	sess_drop(s, b, a);
}

static void sess_close_all(struct sim *s, uint32_t a)
{
	while (s->node[a].n_ss)
		sess_close(s, a, s->node[a].ss[0].peer);
}

static bool reachable(const struct sim *s, uint32_t a, uint32_t b)
{
	return s->node[a].up && s->node[b].up && !link_down(s, a, b);
}

/* What each node wants gets a session; what nobody wants, or cannot reach,
 * ends in time. */
static void sessions_tick(struct sim *s)
{
	if (!s->sparse || s->now < s->next_sess_ms)
		return;
	s->next_sess_ms = s->now + SESS_MS;
	for (uint32_t i = 0; i < s->n; i++) {
		const struct wf_gossip *g = &s->node[i].g;

		for (uint32_t k = 0; s->node[i].up && k < g->n_want; k++) {
			uint32_t j = node_of(g->m[g->want[k]].key);
			struct sess *x;

			if (j >= s->n || !reachable(s, i, j))
				continue;
			sess_open(s, i, j);
			if ((x = sess_find(&s->node[i], j)))
				x->wanted_ms = s->now;
			if ((x = sess_find(&s->node[j], i)))
				x->wanted_ms = s->now;
		}
	}
	for (uint32_t i = 0; i < s->n; i++) {
		for (uint32_t k = 0; k < s->node[i].n_ss;) {
			struct sess *x = &s->node[i].ss[k];
			uint32_t j = x->peer;

			if (reachable(s, i, j))
				x->bad_ms = 0;
			else if (!x->bad_ms)
				x->bad_ms = s->now;
			if (s->now - x->wanted_ms > IDLE_MS ||
			    (x->bad_ms && s->now - x->bad_ms > SILENT_MS)) {
				sess_close(s, i, j);
				continue; /* (k now holds another) */
			}
			k++;
		}
	}
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

	sess_close_all(s, i); /* (a restart: the others' sessions with it end) */
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
		sess_open(s, a, b);
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
	t = converge(s, 600000, &t9999);
	printf("partition  halves apart %" PRId64 " s, then rejoined: whole again after %.1f s\n",
	       secs, (double)t / 1000);
	bound(s, t >= 0, "the partition heals");
}

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
	       " made in the whole run\n",
	       (double)sum / up, most, up - 1, s->sessions_opened);
	bound(s, most < up - 1 && sum / up <= 4 * (2 * s->cfg.ring + s->cfg.chords),
	      "sessions far fewer than a full mesh");
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
	run(&s, s.now + 30000); /* the join's changes finish spreading */
	scenario_steady(&s, "steady", 30);
	scenario_slow(&s);
	scenario_fail(&s);
	scenario_partition(&s, 60);
	scenario_restart(&s);
	run(&s, s.now + 30000);
	scenario_steady(&s, "after", 30);
	scenario_one_join(&s);
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
