/* SPDX-License-Identifier: MIT */
/*
 * The membership core (src/core/gossip.c): numbered cases on a few nodes
 * wired together in memory, then two randomized differential tests, one of
 * the record precedence rules against a naive restatement of SWIM's, one of
 * the member table (insert, forget, find) against a naive list.
 */
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/bytes.h"
#include "core/gossip.h"

enum { NODES = 6, OUT = 256, EV = 512, REC = 42 };

static struct wf_gossip_msg out_msg[OUT];
static struct wf_gossip_event out_ev[EV];
static struct wf_gossip_out out = {out_msg, out_ev, 0, OUT, 0, EV, 0};
static struct wf_gossip_cfg cfg;
static struct wf_gossip g[NODES];
static uint8_t key[NODES][WF_GOSSIP_KEY_LEN];

static void reset_out(void) { out.n = out.n_ev = 0; }

/* Nodes 0..n-1 with keys k0, k1, ...; none knows another yet. */
static void start(unsigned n)
{
	wf_gossip_cfg_default(&cfg);
	reset_out();
	for (unsigned i = 0; i < n; i++) {
		memset(key[i], 0, sizeof(key[i]));
		key[i][0] = (uint8_t)(0x10 * i + 1);
		key[i][31] = (uint8_t)i;
		assert_true(wf_gossip_init(&g[i], &cfg, key[i], 100, 1000 + i, 0));
	}
}

/* Node 0 again, with the cfg as changed since start(): incarnation, seed. */
static void restart0(uint64_t inc, uint64_t seed)
{
	wf_gossip_free(&g[0]);
	assert_true(wf_gossip_init(&g[0], &cfg, key[0], inc, seed, 0));
}

static void stop(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		wf_gossip_free(&g[i]);
}

static int node_of(const uint8_t *k)
{
	for (int i = 0; i < NODES; i++)
		if (!memcmp(k, key[i], WF_GOSSIP_KEY_LEN))
			return i;
	return -1;
}

/* The test network's CA signed every key but the fakes (ending "fake"): a
 * record that waits for its certificate is certified at once, as the daemon
 * would once it fetched and verified it. */
static bool is_fake(const uint8_t *k) { return !memcmp(k + 28, "fake", 4); }

static void vouch(int at, unsigned from_ev, int64_t now)
{
	for (unsigned k = from_ev; k < out.n_ev; k++)
		if (out.ev[k].kind == WF_GE_CERT && !is_fake(out.ev[k].key))
			wf_gossip_certified(&g[at], out.ev[k].key, now, &out);
}

/* Node `at` receives msg from the member with key `from`. */
static bool recv(int at, const uint8_t *from, const uint8_t *msg, size_t len, int64_t now)
{
	unsigned ev = out.n_ev;
	bool ok = wf_gossip_receive(&g[at], from, msg, len, now, &out);

	vouch(at, ev, now);
	return ok;
}

/* The messages in `out` that go to node `to` of kind `kind`. */
static unsigned count_to(int to, unsigned kind)
{
	unsigned n = 0;

	for (unsigned i = 0; i < out.n; i++)
		n += node_of(out.msg[i].to) == to && out.msg[i].buf[0] == kind;
	return n;
}

static const struct wf_gossip_msg *first(unsigned kind)
{
	for (unsigned i = 0; i < out.n; i++)
		if (out.msg[i].buf[0] == kind)
			return &out.msg[i];
	return NULL;
}

/* Deliver what node `from` produced (a copy: delivery makes more), up to
 * `rounds` times over, dropping messages to `blackhole` (-1 for none). */
static void pump(int from, int rounds, int blackhole, int64_t now)
{
	static struct wf_gossip_msg q[OUT];
	static int q_from[OUT];
	unsigned n = 0;

	for (unsigned i = 0; i < out.n; i++) {
		q[n] = out.msg[i];
		q_from[n++] = from;
	}
	reset_out();
	while (n && rounds--) {
		static struct wf_gossip_msg next[OUT];
		static int next_from[OUT];
		unsigned m = 0;

		for (unsigned i = 0; i < n; i++) {
			int to = node_of(q[i].to);

			if (to < 0 || to == blackhole)
				continue;
			reset_out();
			assert_true(recv(to, key[q_from[i]], q[i].buf, q[i].len, now));
			for (unsigned k = 0; k < out.n && m < OUT; k++) {
				next[m] = out.msg[k];
				next_from[m++] = to;
			}
		}
		memcpy(q, next, sizeof(*q) * m);
		memcpy(q_from, next_from, sizeof(*q_from) * m);
		n = m;
	}
	reset_out();
}

/* Everyone knows everyone (as sessions would tell them). */
static void mesh(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < n; j++)
			if (i != j)
				wf_gossip_contact(&g[i], key[j], NULL, 0, 0, &out);
	reset_out();
}

static unsigned state_of(int at, int who)
{
	const struct wf_gmember *m = wf_gossip_find(&g[at], key[who]);

	return m ? m->state : WF_GS_MAX;
}

enum { REC_DEAD_LEN = 2 + 42 };

/* An UPDATES saying the member with key k is dead at incarnation 2^40. */
static void dead_rec(uint8_t *r, const uint8_t *k)
{
	r[0] = WF_GOSSIP_UPDATES;
	r[1] = 0;
	memcpy(r + 2, k, WF_GOSSIP_KEY_LEN);
	wf_put_le64(r + 2 + 32, UINT64_C(1) << 40);
	r[2 + 40] = WF_GS_DEAD;
	r[2 + 41] = 0;
}

static size_t rec(uint8_t *p, int who, uint64_t inc, unsigned state)
{
	memcpy(p, key[who], WF_GOSSIP_KEY_LEN);
	wf_put_le64(p + 32, inc);
	p[40] = (uint8_t)state;
	p[41] = 0;
	return REC;
}

/* An UPDATES message carrying one record. */
static size_t updates(uint8_t *buf, int who, uint64_t inc, unsigned state)
{
	buf[0] = WF_GOSSIP_UPDATES;
	buf[1] = 0;
	return 2 + rec(buf + 2, who, inc, state);
}

/* Node `at` gets the ACK of `ping` (one of its own PINGs) from its target. */
static void answer(int at, const struct wf_gossip_msg *ping, int64_t t)
{
	uint8_t ack[5] = {WF_GOSSIP_ACK};

	memcpy(ack + 1, ping->buf + 1, 4);
	assert_true(recv(at, ping->to, ack, sizeof(ack), t));
}

/* 1-3: a node alone; a contact; a PING is answered. */
static void test_basics(void **state)
{
	uint8_t ping[5] = {WF_GOSSIP_PING, 0x78, 0x56, 0x34, 0x12};
	const struct wf_gossip_msg *m;

	(void)state;
	start(2);
	/* 1: alone, itself alive and of its own making */
	assert_int_equal(wf_gossip_size(&g[0]), 1);
	assert_int_equal(wf_gossip_find(&g[0], key[0])->how, WF_GH_SELF);
	assert_null(wf_gossip_find(&g[0], key[1]));
	/* 2: a contact is a member, alive, learned directly, and the first
	 * table comparison goes to it */
	wf_gossip_contact(&g[0], key[1], (const uint8_t *)"\4abcdef", 7, 10, &out);
	assert_int_equal(out.n_ev, 1);
	assert_int_equal(out_ev[0].kind, WF_GE_NEW);
	assert_int_equal(state_of(0, 1), WF_GS_ALIVE);
	assert_int_equal(wf_gossip_find(&g[0], key[1])->how, WF_GH_DIRECT);
	assert_int_equal(wf_gossip_find(&g[0], key[1])->ep_len, 7);
	reset_out();
	wf_gossip_tick(&g[0], 10, &out);
	assert_int_equal(count_to(1, WF_GOSSIP_SYNC), 1);
	reset_out();
	/* 3: a PING from a member is ACKed with its sequence number */
	assert_true(recv(1, key[0], ping, sizeof(ping), 20));
	m = first(WF_GOSSIP_ACK);
	assert_non_null(m);
	assert_int_equal(node_of(m->to), 0);
	assert_int_equal(wf_get_le32(m->buf + 1), 0x12345678);
	stop(2);
}

/* 4-6: a silent member is probed directly, then through others, then
 * suspected; an ACK in time prevents it. */
static void test_probe(void **state)
{
	struct wf_gossip_msg ping, req;
	bool suspected = false;

	(void)state;
	start(4);
	mesh(4);
	/* 4: within one probe period, a PING to some member; 5: no ACK: within
	 * that period, PING_REQs naming it go to the others; and at its end the
	 * member is suspect */
	ping.len = req.len = 0;
	for (int64_t t = 0; t <= 3000 && !suspected; t += 10) {
		reset_out();
		wf_gossip_tick(&g[0], t, &out);
		if (!ping.len && first(WF_GOSSIP_PING))
			ping = *first(WF_GOSSIP_PING);
		if (!req.len && first(WF_GOSSIP_PING_REQ))
			req = *first(WF_GOSSIP_PING_REQ);
		for (unsigned i = 0; i < out.n_ev; i++)
			suspected |= out_ev[i].kind == WF_GE_STATE && out_ev[i].state == WF_GS_SUSPECT &&
				     !memcmp(out_ev[i].key, ping.to, WF_GOSSIP_KEY_LEN);
	}
	assert_int_not_equal(ping.len, 0);
	assert_int_not_equal(req.len, 0);
	assert_memory_equal(req.buf + 5, ping.to, WF_GOSSIP_KEY_LEN);
	assert_memory_not_equal(req.to, ping.to, WF_GOSSIP_KEY_LEN);
	assert_true(suspected);
	assert_int_equal(g[0].st.probes_failed, 1);
	stop(4);

	/* 6: the same with every PING answered at once: nobody is suspected,
	 * and the local health multiplier stays at 0 */
	start(4);
	mesh(4);
	for (int64_t t = 0; t <= 20000; t += 10) {
		reset_out();
		wf_gossip_tick(&g[0], t, &out);
		for (unsigned i = 0; i < out.n; i++)
			if (out.msg[i].buf[0] == WF_GOSSIP_PING)
				answer(0, &out.msg[i], t);
	}
	assert_true(g[0].st.probes >= 15);
	assert_int_equal(g[0].st.probes_failed, 0);
	assert_int_equal(g[0].awareness, 0);
	stop(4);
}

/* 7: the suspicion timeout against the formula written out by hand. */
static void test_suspicion_formula(void **state)
{
	/* min 12 s, max 72 s, k = 2: 72 - 60 x log(c+1)/log(3), rounded down
	 * (figures from python3: math.floor(72000 - 60000*math.log(c+1)/math.log(3))) */
	static const int64_t want[] = {72000, 34144, 12000, 12000};

	(void)state;
	for (unsigned c = 0; c < 4; c++)
		assert_int_equal(wf_gossip_suspicion_ms(12000, 72000, c, 2), want[c]);
	assert_int_equal(wf_gossip_suspicion_ms(12000, 72000, 5, 0), 12000);
}

/* 8-9: a suspicion times out into death; confirmations from other members
 * shorten it, repeated ones from the same member do not. */
static void test_suspicion(void **state)
{
	uint8_t buf[64];
	size_t len;
	int64_t min, dead_at = -1;

	(void)state;
	start(6);
	mesh(6);
	/* Node 0 hears from node 1 that node 5 is suspect. */
	len = updates(buf, 5, 100, WF_GS_SUSPECT);
	assert_true(recv(0, key[1], buf, len, 0));
	assert_int_equal(state_of(0, 5), WF_GS_SUSPECT);
	/* n_live 6: min = 4 x 1 x 1 s (log10 6 < 1), max 24 s, k = 2; one
	 * confirmation (node 1's own): 24 - 20 x log 2 / log 3 = 11.38 s */
	min = 4000;
	assert_int_equal(g[0].susp[0].deadline_ms, wf_gossip_suspicion_ms(min, 6 * min, 1, 2));
	/* 8: node 1 again: no change; node 2: the minimum */
	assert_true(recv(0, key[1], buf, len, 100));
	assert_int_equal(g[0].susp[0].n_confirm, 1);
	assert_true(recv(0, key[2], buf, len, 200));
	assert_int_equal(g[0].susp[0].n_confirm, 2);
	assert_int_equal(g[0].susp[0].deadline_ms, min);
	/* 9: it dies at the deadline, not before */
	for (int64_t t = 0; t <= 10000 && dead_at < 0; t += 10) {
		reset_out();
		wf_gossip_tick(&g[0], t, &out);
		if (state_of(0, 5) == WF_GS_DEAD)
			dead_at = t;
	}
	assert_int_equal(dead_at, min);
	stop(6);
}

/* 10-11: a node refutes a suspicion of itself by a later incarnation, and
 * the refutation wins everywhere it goes. */
static void test_refute(void **state)
{
	uint8_t buf[64];
	size_t len;
	const struct wf_gossip_msg *m;

	(void)state;
	start(3);
	mesh(3);
	/* Node 0 holds node 2 suspect at 100. */
	len = updates(buf, 2, 100, WF_GS_SUSPECT);
	assert_true(recv(0, key[1], buf, len, 0));
	assert_int_equal(state_of(0, 2), WF_GS_SUSPECT);
	/* 10: node 2 hears it and refutes: incarnation 101, queued */
	assert_true(recv(2, key[1], buf, len, 0));
	assert_int_equal(wf_gossip_find(&g[2], key[2])->inc, 101);
	assert_int_equal(g[2].st.refuted, 1);
	assert_int_equal(g[2].awareness, 1);
	/* ... and its next gossip carries it: node 0 takes it, alive again */
	reset_out();
	for (int64_t t = 0; t < 400 && !first(WF_GOSSIP_UPDATES); t += 10)
		wf_gossip_tick(&g[2], t, &out);
	m = first(WF_GOSSIP_UPDATES);
	assert_non_null(m);
	assert_true(recv(0, key[2], m->buf, m->len, 400));
	assert_int_equal(state_of(0, 2), WF_GS_ALIVE);
	assert_int_equal(wf_gossip_find(&g[0], key[2])->inc, 101);
	/* 11: an old suspicion (at 100) no longer applies */
	assert_true(recv(0, key[1], buf, len, 500));
	assert_int_equal(state_of(0, 2), WF_GS_ALIVE);
	/* ... nor can a claim at the top of the range be outlived: it is ignored
	 * (an incarnation is below 2^63 on the wire) */
	len = updates(buf, 2, (UINT64_C(1) << 63) - 1, WF_GS_SUSPECT);
	assert_true(recv(2, key[1], buf, len, 600));
	assert_int_equal(wf_gossip_find(&g[2], key[2])->inc, 101);
	stop(3);
}

/* The precedence rules, restated as SWIM's paper and memberlist give them:
 * for a member we know, at incarnation i in state s, a record (j, t) ...
 *   alive:   wins if j > i
 *   suspect: wins if j >= i and s is alive (if s is suspect: a confirmation)
 *   dead/left: wins if j >= i and s is alive or suspect
 * A record about a member we do not know counts only if it is alive. */
struct naive {
	bool known;
	uint64_t inc;
	unsigned state;
};

static void naive_apply(struct naive *n, uint64_t j, unsigned t)
{
	bool win;

	if (!n->known) {
		if (t == WF_GS_ALIVE)
			*n = (struct naive){true, j, t};
		return;
	}
	if (t == WF_GS_ALIVE)
		win = j > n->inc;
	else if (t == WF_GS_SUSPECT)
		win = j >= n->inc && n->state == WF_GS_ALIVE;
	else
		win = j >= n->inc && n->state <= WF_GS_SUSPECT;
	if (win) {
		n->inc = j;
		n->state = t;
	}
	/* (A suspicion of a suspect is a confirmation: it changes nothing.) */
}

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* 12: random records about one member against the naive rules. */
static void test_precedence_differential(void **state)
{
	(void)state;
	for (int run = 0; run < 200; run++) {
		struct naive n = {false, 0, 0};

		start(3);
		for (int step = 0; step < 50; step++) {
			uint8_t buf[64];
			uint64_t j = 5 + rnd() % 6;
			unsigned t = (unsigned)(rnd() % WF_GS_MAX);
			const struct wf_gmember *m;

			naive_apply(&n, j, t);
			assert_true(recv(0, key[1], buf, updates(buf, 2, j, t), step));
			reset_out();
			m = wf_gossip_find(&g[0], key[2]);
			if (!n.known) {
				assert_null(m);
				continue;
			}
			assert_non_null(m);
			if (m->state != n.state || m->inc != n.inc)
				fail_msg("run %d step %d: record %" PRIu64 "/%u: core %" PRIu64
					 "/%u, naive %" PRIu64 "/%u",
					 run, step, j, t, m->inc, m->state, n.inc, n.state);
		}
		stop(3);
	}
}

/* 13-14: malformed messages are refused whole, and change nothing. */
static void test_malformed(void **state)
{
	uint8_t buf[256], digest[WF_GOSSIP_BUCKETS * 8];
	size_t len;

	(void)state;
	start(3);
	mesh(3);
	/* 13: every strict prefix of a two-record UPDATES but the one ending
	 * after the first record */
	len = updates(buf, 2, 200, WF_GS_DEAD);
	len += rec(buf + len, 1, 300, WF_GS_ALIVE);
	memcpy(digest, g[0].digest, sizeof(digest));
	for (size_t cut = 0; cut < len; cut++) {
		if (cut == 2 || cut == 2 + REC)
			continue;
		assert_false(recv(0, key[1], buf, cut, 0));
	}
	assert_memory_equal(digest, g[0].digest, sizeof(digest));
	assert_int_equal(state_of(0, 2), WF_GS_ALIVE);
	/* ... while an UPDATES of no records is well formed (2 bytes: nothing
	 * past them is read; AddressSanitizer saw the old code read a sequence
	 * number there, found by fuzz_gossip) */
	{
		uint8_t *two = malloc(2); /* exactly 2 bytes: a read past them is caught */

		assert_non_null(two);
		memcpy(two, buf, 2);
		assert_true(recv(0, key[1], two, 2, 0));
		free(two);
	}
	/* 14: a bad state, an incarnation of 2^63, an endpoint over 19 bytes,
	 * an unknown kind, a NACK with a tail: all refused, nothing changed */
	buf[2 + 40] = WF_GS_MAX;
	assert_false(recv(0, key[1], buf, len, 0));
	updates(buf, 2, UINT64_C(1) << 63, WF_GS_DEAD);
	assert_false(recv(0, key[1], buf, 2 + REC, 0));
	updates(buf, 2, 200, WF_GS_DEAD);
	buf[2 + 41] = WF_GOSSIP_EP_MAX + 1;
	memset(buf + 2 + REC, 0, 32);
	assert_false(recv(0, key[1], buf, 2 + REC + 20, 0));
	buf[0] = 99;
	assert_false(recv(0, key[1], buf, 8, 0));
	memset(buf, 0, 8);
	buf[0] = WF_GOSSIP_NACK;
	assert_false(recv(0, key[1], buf, 6, 0));
	assert_memory_equal(digest, g[0].digest, sizeof(digest));
	assert_int_equal(g[0].st.malformed, len - 2 + 5);
	assert_int_equal(state_of(0, 2), WF_GS_ALIVE);
	stop(3);
}

/* 15-16: a change is sent a bounded number of times, in messages no larger
 * than the MTU, however many are queued. */
static void test_retransmit(void **state)
{
	unsigned sent = 0, limit;
	size_t biggest = 0;

	(void)state;
	start(6);
	mesh(6);
	/* Node 0 has 5 changes queued (its contacts) and its own record. */
	limit = cfg.retransmit_mult * (unsigned)ceil(log10(6 + 1));
	for (int64_t t = 0; t < 60000; t += 10) {
		unsigned n;

		reset_out();
		wf_gossip_tick(&g[0], t, &out);
		n = out.n;
		for (unsigned i = 0; i < n; i++) {
			const uint8_t *b = out.msg[i].buf;

			if (b[0] == WF_GOSSIP_PING) /* answered at once: no suspicion */
				answer(0, &out.msg[i], t);
			size_t off = b[0] == WF_GOSSIP_UPDATES ? 2 : b[0] == WF_GOSSIP_PING_REQ ? 37 : 5;

			if (out.msg[i].len > biggest)
				biggest = out.msg[i].len;
			if (b[0] == WF_GOSSIP_SYNC || b[0] == WF_GOSSIP_NACK)
				continue;
			for (; off + REC <= out.msg[i].len; off += REC + b[off + 41])
				sent += !memcmp(b + off, key[3], WF_GOSSIP_KEY_LEN);
		}
	}
	/* 15: node 3's record went out exactly `limit` times */
	assert_int_equal(sent, limit);
	stop(6);

	/* 16: 2000 members queued, MTU 600: nothing larger */
	start(1);
	cfg.mtu = 600;
	restart0(1, 1);
	for (unsigned i = 0; i < 2000; i++) {
		uint8_t k[WF_GOSSIP_KEY_LEN] = {0};

		wf_put_le32(k, i * 2654435761u);
		wf_put_le32(k + 4, i);
		wf_gossip_contact(&g[0], k, (const uint8_t *)"\6abcdefghijklmnopqr", 19, 0, &out);
		reset_out();
	}
	biggest = 0;
	for (int64_t t = 0; t < 5000; t += 10) {
		reset_out();
		wf_gossip_tick(&g[0], t, &out);
		for (unsigned i = 0; i < out.n; i++)
			if (out.msg[i].len > biggest)
				biggest = out.msg[i].len;
	}
	assert_true(biggest <= 600 && biggest > 500);
	stop(1);
}

/* 17-18: two tables compared: each ends with the other's records; answers
 * beyond the budget are refused and counted. */
static void test_sync(void **state)
{
	uint8_t digest[WF_GOSSIP_SYNC_LEN];
	const struct wf_gossip_msg *m;

	(void)state;
	start(6);
	/* Node 0 knows 2 and 3; node 1 knows 4 and 5. */
	wf_gossip_contact(&g[0], key[2], NULL, 0, 0, &out);
	wf_gossip_contact(&g[0], key[3], NULL, 0, 0, &out);
	wf_gossip_contact(&g[1], key[4], NULL, 0, 0, &out);
	wf_gossip_contact(&g[1], key[5], NULL, 0, 0, &out);
	reset_out();
	/* 17: they meet; node 0 compares first */
	wf_gossip_contact(&g[0], key[1], NULL, 0, 0, &out);
	wf_gossip_contact(&g[1], key[0], NULL, 0, 0, &out);
	reset_out();
	wf_gossip_tick(&g[0], 1, &out);
	m = first(WF_GOSSIP_SYNC);
	assert_non_null(m);
	memcpy(digest, m->buf, sizeof(digest));
	/* only node 0's messages: keep node 1's other timers out of it */
	{
		struct wf_gossip_msg keep = *m;

		reset_out();
		out.msg[0] = keep;
		out.n = 1;
	}
	pump(0, 4, -1, 1);
	for (int k = 0; k < 6; k++) {
		assert_int_equal(state_of(0, k), WF_GS_ALIVE);
		assert_int_equal(state_of(1, k), WF_GS_ALIVE);
	}
	assert_memory_equal(g[0].digest, g[1].digest, sizeof(g[0].digest));
	/* 18: node 1 answers one member's comparisons two at once, then one
	 * every sync_gap_ms (0 asks three times: one refused), and sync_answers
	 * a second in all (0 twice, 2 and 3 are answered, 4 and 5 are not).
	 * The default is 8 a second; 4 here, to show the bound with 6 nodes. */
	assert_int_equal(cfg.sync_answers, 8);
	g[1].cfg.sync_answers = 4;
	for (unsigned i = 0; i < 3; i++) {
		digest[WF_GOSSIP_SYNC_DIGESTS] ^= 1; /* differ */
		assert_true(recv(1, key[0], digest, sizeof(digest), 5000 + i));
	}
	assert_int_equal(g[1].st.sync_refused, 1);
	assert_int_equal(wf_gossip_find(&g[1], key[0])->sync_refused, 1);
	for (int k = 2; k < 6; k++)
		assert_true(recv(1, key[k], digest, sizeof(digest), 5010));
	assert_int_equal(g[1].st.sync_refused, 3);
	/* ... 0 again a gap later: answered; and again at once: not */
	assert_true(recv(1, key[0], digest, sizeof(digest), 5000 + cfg.sync_gap_ms));
	assert_int_equal(g[1].st.sync_refused, 3);
	assert_true(recv(1, key[0], digest, sizeof(digest), 5100 + cfg.sync_gap_ms));
	assert_int_equal(g[1].st.sync_refused, 4);
	reset_out();
	stop(6);
}

/* 19: the same members learned in another order give the same digests. */
static void test_digest_order(void **state)
{
	(void)state;
	start(6);
	for (int i = 1; i < 6; i++)
		wf_gossip_contact(&g[0], key[i], NULL, 0, 0, &out);
	for (int i = 5; i >= 0; i--)
		if (i != 1)
			wf_gossip_contact(&g[1], key[i], NULL, 0, 0, &out);
	reset_out();
	/* 0 holds itself at 100 and the others at 0; 1 the reverse for 0, 1 */
	assert_memory_not_equal(g[0].digest, g[1].digest, sizeof(g[0].digest));
	{
		uint8_t buf[64];

		assert_true(recv(0, key[1], buf, updates(buf, 1, 100, 0), 0));
		assert_true(recv(1, key[0], buf, updates(buf, 0, 100, 0), 0));
	}
	assert_memory_equal(g[0].digest, g[1].digest, sizeof(g[0].digest));
	stop(6);
}

/* 20-21: relaying a probe: a PING to the target; its ACK goes back under
 * the asker's number; silence becomes a NACK. */
static void test_relay(void **state)
{
	uint8_t req[5 + WF_GOSSIP_KEY_LEN] = {WF_GOSSIP_PING_REQ, 9, 0, 0, 0};
	uint8_t ack[5] = {WF_GOSSIP_ACK};
	const struct wf_gossip_msg *m;

	(void)state;
	start(3);
	mesh(3);
	memcpy(req + 5, key[2], WF_GOSSIP_KEY_LEN);
	/* 20: node 1 asked by 0 to probe 2 */
	assert_true(recv(1, key[0], req, sizeof(req), 0));
	m = first(WF_GOSSIP_PING);
	assert_non_null(m);
	assert_int_equal(node_of(m->to), 2);
	memcpy(ack + 1, m->buf + 1, 4);
	reset_out();
	assert_true(recv(1, key[2], ack, 5, 10));
	m = first(WF_GOSSIP_ACK);
	assert_non_null(m);
	assert_int_equal(node_of(m->to), 0);
	assert_int_equal(wf_get_le32(m->buf + 1), 9);
	reset_out();
	/* 21: again, unanswered: a NACK at 80 % of the probe timeout */
	assert_true(recv(1, key[0], req, sizeof(req), 1000));
	reset_out();
	wf_gossip_tick(&g[1], 1000 + cfg.probe_timeout_ms * 8 / 10 - 10, &out);
	assert_int_equal(count_to(0, WF_GOSSIP_NACK), 0);
	reset_out();
	wf_gossip_tick(&g[1], 1000 + cfg.probe_timeout_ms * 8 / 10, &out);
	assert_int_equal(count_to(0, WF_GOSSIP_NACK), 1);
	stop(3);
}

/* 22-23: a dead member is forgotten after forget_ms; a leave is told. */
static void test_forget_leave(void **state)
{
	uint8_t buf[64];
	bool forgot = false;

	(void)state;
	start(3);
	mesh(3);
	assert_true(recv(0, key[1], buf, updates(buf, 2, 0, WF_GS_DEAD), 0));
	assert_int_equal(state_of(0, 2), WF_GS_DEAD);
	/* 22 */
	reset_out();
	wf_gossip_tick(&g[0], cfg.forget_ms - 1000, &out);
	assert_int_equal(state_of(0, 2), WF_GS_DEAD);
	reset_out();
	wf_gossip_tick(&g[0], cfg.forget_ms + 1000, &out);
	for (unsigned i = 0; i < out.n_ev; i++)
		forgot |= out_ev[i].kind == WF_GE_FORGET && node_of(out_ev[i].key) == 2;
	assert_true(forgot);
	assert_null(wf_gossip_find(&g[0], key[2]));
	/* ... and news of its death, now of a stranger, brings nothing back */
	assert_true(recv(0, key[1], buf, updates(buf, 2, 0, WF_GS_DEAD), cfg.forget_ms + 2000));
	assert_null(wf_gossip_find(&g[0], key[2]));
	/* 23: node 1 leaves: a later incarnation, told at once */
	reset_out();
	wf_gossip_leave(&g[1], 5000, &out);
	assert_int_equal(wf_gossip_find(&g[1], key[1])->state, WF_GS_LEFT);
	assert_true(count_to(0, WF_GOSSIP_UPDATES) >= 1);
	pump(1, 1, -1, 5000);
	assert_int_equal(state_of(0, 1), WF_GS_LEFT);
	stop(3);
}

/* 24: the member table against a naive list: random members added and
 * forgotten (forgetting frees a slot for reuse and shifts the hash table). */
static void test_table_differential(void **state)
{
	enum { KEYS = 300 };
	static uint8_t keys[KEYS][WF_GOSSIP_KEY_LEN];
	static bool in[KEYS];
	int64_t now = 0;

	(void)state;
	start(2);
	/* No probe, so no suspicion, within the test's time; forgetting soon. */
	cfg.probe_ms = 1000000000;
	cfg.forget_ms = 1000;
	restart0(1, 7);
	for (int i = 0; i < KEYS; i++) {
		for (int b = 0; b < WF_GOSSIP_KEY_LEN; b += 8)
			wf_put_le64(keys[i] + b, rnd());
		/* Collide on the low bits: long probe chains. */
		keys[i][0] = (uint8_t)(i % 7);
		in[i] = false;
	}
	for (int step = 0; step < 4000; step++) {
		int i = (int)(rnd() % KEYS);
		uint8_t buf[64];

		if (!in[i] && rnd() % 2) {
			buf[0] = WF_GOSSIP_UPDATES;
			buf[1] = 0;
			memcpy(buf + 2, keys[i], 32);
			wf_put_le64(buf + 34, 1);
			buf[42] = WF_GS_ALIVE;
			buf[43] = 0;
			assert_true(recv(0, key[1], buf, 44, now));
			in[i] = true;
		} else if (in[i]) {
			buf[0] = WF_GOSSIP_UPDATES;
			buf[1] = 0;
			memcpy(buf + 2, keys[i], 32);
			wf_put_le64(buf + 34, 1);
			buf[42] = WF_GS_DEAD;
			buf[43] = 0;
			assert_true(recv(0, key[1], buf, 44, now));
			now += cfg.forget_ms + 2000;
			reset_out();
			wf_gossip_tick(&g[0], now, &out);
			in[i] = false;
		}
		reset_out();
		{
			unsigned want = 2; /* this node and key[1] */

			for (int k = 0; k < KEYS; k++)
				want += in[k];
			assert_int_equal(wf_gossip_size(&g[0]), want);
		}
		for (int k = 0; k < KEYS; k++) {
			const struct wf_gmember *m = wf_gossip_find(&g[0], keys[k]);

			bool live = m && (m->state == WF_GS_ALIVE || m->state == WF_GS_SUSPECT);

			if (in[k] != live)
				fail_msg("step %d: key %d: naive %d, core %s", step, k, in[k],
					 m ? wf_gossip_state_name(m->state) : "absent");
		}
	}
	stop(2);
}

/* 25: a full outbox loses messages, counted, and nothing breaks. */
static void test_outbox_full(void **state)
{
	struct wf_gossip_msg small[2];
	struct wf_gossip_event ev[1];
	struct wf_gossip_out tiny = {small, ev, 0, 1, 0, 1, 0};
	uint8_t digest[WF_GOSSIP_SYNC_LEN] = {WF_GOSSIP_SYNC, 1};

	(void)state;
	start(6);
	mesh(6);
	memset(digest + WF_GOSSIP_SYNC_DIGESTS, 0xa5, sizeof(digest) - WF_GOSSIP_SYNC_DIGESTS);
	assert_true(wf_gossip_receive(&g[0], key[1], digest, sizeof(digest), 0, &tiny));
	assert_int_equal(tiny.n, 1);
	assert_true(tiny.dropped >= 1);
	stop(6);
}

/* 26: the send queue holds at most queue_max changes, dropping the most
 * sent first; the newest change is always queued. */
static void test_queue_cap(void **state)
{
	(void)state;
	start(1);
	cfg.queue_max = 16;
	restart0(1, 1);
	for (unsigned i = 0; i < 100; i++) {
		uint8_t k[WF_GOSSIP_KEY_LEN] = {0};

		wf_put_le32(k, i * 2654435761u + 7); /* (never node 0's own key) */
		wf_gossip_contact(&g[0], k, NULL, 0, 0, &out);
		reset_out();
		assert_true(g[0].n_bq <= 16);
		assert_int_equal(wf_gossip_find(&g[0], k)->bq_tx, 0);
	}
	assert_int_equal(g[0].n_bq, 16);
	stop(1);
}

/* A table of n members beside node 0 with random keys, all alive. */
static void sparse_table(struct wf_gossip *t, uint8_t (*k)[WF_GOSSIP_KEY_LEN], unsigned n,
			 uint64_t seed)
{
	for (unsigned i = 0; i <= n; i++)
		for (unsigned b = 0; b < WF_GOSSIP_KEY_LEN; b++)
			k[i][b] = (uint8_t)((seed = seed * 6364136223846793005u + 1442695040888963407u) >> 56);
	assert_true(wf_gossip_init(t, &cfg, k[0], 1, seed, 0));
	for (unsigned i = 1; i <= n; i++)
		wf_gossip_contact(t, k[i], NULL, 0, 0, &out);
	reset_out();
}

static uint64_t pos_of(const uint8_t *k)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | k[i];
	return v;
}

/* The naive ring: is member b among the r nearest after member a, or
 * before it, counting every live key (a sort by distance, in full)? */
static bool naive_near(uint8_t (*k)[WF_GOSSIP_KEY_LEN], const bool *live, unsigned n, unsigned a,
		       unsigned b, unsigned r)
{
	unsigned after = 0, before = 0;
	uint64_t self = pos_of(k[a]), fwd = pos_of(k[b]) - self, back = self - pos_of(k[b]);

	for (unsigned i = 0; i <= n; i++) {
		if (!live[i] || i == a || i == b)
			continue;
		after += pos_of(k[i]) - self < fwd;
		before += self - pos_of(k[i]) < back;
	}
	return after < r || before < r;
}

static bool naive_ring(uint8_t (*k)[WF_GOSSIP_KEY_LEN], bool *live, unsigned n, unsigned j,
		       unsigned r)
{
	bool self = live[0], near;

	live[0] = false;
	near = naive_near(k, live, n, 0, j, r);
	live[0] = self;
	return near;
}

/* 27-28: sparse, this node wants its ring neighbours (against the naive
 * ring, over random tables, with some members dead) and a few live others
 * (the chords), nothing else; in a full mesh it wants everyone. */
static void test_sparse_wanted(void **state)
{
	static uint8_t k[201][WF_GOSSIP_KEY_LEN];
	bool live[201];
	struct wf_gossip t;

	(void)state;
	wf_gossip_cfg_default(&cfg);
	for (uint64_t seed = 1; seed <= 40; seed++) {
		unsigned n = 3 + (unsigned)(seed * 37 % 198), ring = 0, chords = 0;

		cfg.ring = 1 + seed % 4;
		cfg.chords = seed % 3;
		sparse_table(&t, k, n, seed);
		/* 28: a full mesh wants everyone */
		assert_true(wf_gossip_wanted(&t, k[1 + seed % n]));
		for (unsigned i = 1; i <= n; i++) {
			live[i] = (i * seed) % 5 != 0;
			if (!live[i]) {
				uint8_t r[REC_DEAD_LEN];

				dead_rec(r, k[i]);
				assert_true(wf_gossip_receive(&t, k[1 + (i % n)], r, sizeof(r), 1, &out));
			}
		}
		live[0] = false;
		reset_out();
		wf_gossip_set_sparse(&t, true, 2);
		/* 27 */
		for (unsigned i = 1; i <= n; i++) {
			bool want = wf_gossip_wanted(&t, k[i]);
			bool in_ring = live[i] && naive_ring(k, live, n, i, cfg.ring);

			if (in_ring)
				assert_true(want), ring++;
			else if (want)
				assert_true(live[i]), chords++;
		}
		assert_true(chords <= 4 * cfg.chords + 4);
		assert_int_equal(t.n_want, ring + chords);
		wf_gossip_set_sparse(&t, false, 3);
		assert_true(wf_gossip_wanted(&t, k[1 + seed % n]));
		wf_gossip_free(&t);
	}
}

/* 29: sparse, probes go only to linked ring neighbours, and updates and
 * comparisons only to linked members (answers still go to whoever asked);
 * a failed direct probe asks only linked members that are the target's
 * ring neighbours too (against the naive ring). */
static void test_sparse_targets(void **state)
{
	static uint8_t k[41][WF_GOSSIP_KEY_LEN];
	bool live[41];
	struct wf_gossip t;
	unsigned pings = 0, other = 0, reqs = 0;

	(void)state;
	wf_gossip_cfg_default(&cfg);
	sparse_table(&t, k, 40, 7);
	wf_gossip_set_sparse(&t, true, 0);
	for (unsigned i = 0; i <= 40; i++)
		live[i] = true;
	for (unsigned i = 1; i <= 40; i++)
		if (wf_gossip_wanted(&t, k[i]) || i % 8 == 0)
			wf_gossip_link(&t, k[i], true);
	/* 30 s: suspects, none dead yet (the ring stays) */
	for (int64_t now = 0; now < 30000; now += 20) {
		wf_gossip_tick(&t, now, &out);
		for (unsigned i = 0; i < out.n; i++) {
			const struct wf_gmember *m = wf_gossip_find(&t, out.msg[i].to);
			unsigned kind = out.msg[i].buf[0], to = 0;

			assert_non_null(m);
			for (unsigned j = 1; j <= 40; j++)
				to = memcmp(k[j], m->key, WF_GOSSIP_KEY_LEN) ? to : j;
			if (!(m->flags & WF_GM_LINK))
				fail_msg("kind %u to an unlinked member", kind);
			if (kind == WF_GOSSIP_PING && !(m->flags & WF_GM_RING))
				fail_msg("a probe of a member not in the ring");
			if (kind == WF_GOSSIP_PING_REQ) {
				int target = -1;

				for (unsigned j = 1; j <= 40; j++)
					if (!memcmp(k[j], out.msg[i].buf + 5, WF_GOSSIP_KEY_LEN))
						target = (int)j;
				assert_true(target > 0);
				/* the helper holds the target in its ring */
				assert_true(naive_near(k, live, 40, to, (unsigned)target, cfg.ring));
				reqs++;
			}
			pings += kind == WF_GOSSIP_PING;
			other += kind != WF_GOSSIP_PING;
		}
		reset_out();
	}
	/* (unanswered, local health slows the probes down: a few) */
	if (pings < 5 || other < 10)
		fail_msg("pings %u other %u reqs %u", pings, other, reqs);
	assert_true(reqs > 0); /* (unanswered, every probe asked for help) */
	/* positive control: in a full mesh the unlinked are probed too */
	wf_gossip_set_sparse(&t, false, 30000);
	for (int64_t now = 30000, n = 0; !n; now += 20) {
		assert_true(now < 90000);
		wf_gossip_tick(&t, now, &out);
		for (unsigned i = 0; i < out.n; i++)
			n += !(wf_gossip_find(&t, out.msg[i].to)->flags & WF_GM_LINK);
		reset_out();
	}
	wf_gossip_free(&t);
}

/* 30-31: sparse: a probe of a member whose session goes away ends with no
 * verdict (30; positive control: left alone it makes the member suspect);
 * asked to probe a member it has no session with, a node says NACK at once
 * (31; linked, it pings it). */
static void test_sparse_unlink(void **state)
{
	uint8_t req[5 + WF_GOSSIP_KEY_LEN] = {WF_GOSSIP_PING_REQ, 9, 0, 0, 0};

	(void)state;
	for (int unlink = 1; unlink >= 0; unlink--) {
		start(3);
		mesh(3);
		wf_gossip_set_sparse(&g[0], true, 0);
		wf_gossip_link(&g[0], key[1], true);
		for (int64_t now = 0; !count_to(1, WF_GOSSIP_PING); now += 20) {
			reset_out();
			wf_gossip_tick(&g[0], now, &out);
			assert_true(now < 5000);
		}
		reset_out();
		if (unlink)
			wf_gossip_link(&g[0], key[1], false);
		for (int64_t now = 2000; now < 4000; now += 20) {
			wf_gossip_tick(&g[0], now, &out);
			reset_out();
		}
		/* 30 */
		assert_int_equal(state_of(0, 1), unlink ? WF_GS_ALIVE : WF_GS_SUSPECT);
		stop(3);
	}
	start(3);
	mesh(3);
	wf_gossip_set_sparse(&g[1], true, 0);
	memcpy(req + 5, key[2], WF_GOSSIP_KEY_LEN);
	/* 31 */
	assert_true(recv(1, key[0], req, sizeof(req), 0));
	assert_int_equal(count_to(0, WF_GOSSIP_NACK), 1);
	assert_int_equal(count_to(2, WF_GOSSIP_PING), 0);
	reset_out();
	wf_gossip_link(&g[1], key[2], true);
	assert_true(recv(1, key[0], req, sizeof(req), 0));
	assert_int_equal(count_to(0, WF_GOSSIP_NACK), 0);
	assert_int_equal(count_to(2, WF_GOSSIP_PING), 1);
	stop(3);
}

/* 32: sparse, a dead member is called back (wanted) after a reconnect
 * period; a forgotten member's slot keeps none of its links or wants. */
static void test_sparse_reach_forget(void **state)
{
	uint8_t r[REC_DEAD_LEN];

	(void)state;
	start(3);
	cfg.ring = 0;
	cfg.chords = 0;
	restart0(100, 5);
	mesh(3);
	wf_gossip_set_sparse(&g[0], true, 0);
	wf_gossip_link(&g[0], key[1], true);
	dead_rec(r, key[1]);
	assert_true(recv(0, key[2], r, sizeof(r), 0));
	reset_out();
	assert_false(wf_gossip_wanted(&g[0], key[1]));
	for (int64_t now = 0; now <= (int64_t)cfg.reconnect_ms + 2000; now += 100) {
		wf_gossip_tick(&g[0], now, &out);
		reset_out();
	}
	assert_true(wf_gossip_wanted(&g[0], key[1]));
	for (int64_t now = 0; now <= (int64_t)cfg.forget_ms + 2000; now += 1000) {
		wf_gossip_tick(&g[0], now, &out);
		reset_out();
	}
	assert_null(wf_gossip_find(&g[0], key[1]));
	assert_int_equal(g[0].n_lnk, 0);
	assert_int_equal(g[0].n_want, 0);
	for (uint32_t i = 0; i < g[0].n; i++)
		assert_int_equal(g[0].m[i].flags, 0);
	stop(3);
}

/* 33: sparse, wanting is mutual: in 60 nodes that know each other, each
 * wants those that want it (the ring, and chords chosen by a hash of the
 * pair); chords are about `chords` a node on average. */
static void test_sparse_mutual(void **state)
{
	enum { M = 60 };
	static uint8_t k[M][WF_GOSSIP_KEY_LEN];
	static struct wf_gossip t[M];
	unsigned wants = 0;

	(void)state;
	wf_gossip_cfg_default(&cfg);
	for (unsigned i = 0; i < M; i++)
		for (unsigned b = 0; b < WF_GOSSIP_KEY_LEN; b++)
			k[i][b] = (uint8_t)(i * 131 + b * 7 + (i * b) % 251) ^ (uint8_t)(i >> 1);
	for (unsigned i = 0; i < M; i++) {
		assert_true(wf_gossip_init(&t[i], &cfg, k[i], 1, i + 1, 0));
		for (unsigned j = 0; j < M; j++)
			if (j != i)
				wf_gossip_contact(&t[i], k[j], NULL, 0, 0, &out);
		reset_out();
		wf_gossip_set_sparse(&t[i], true, 0);
	}
	for (unsigned i = 0; i < M; i++)
		for (unsigned j = 0; j < M; j++) {
			if (i == j)
				continue;
			if (wf_gossip_wanted(&t[i], k[j]) != wf_gossip_wanted(&t[j], k[i]))
				fail_msg("%u wants %u: %d, the other way: %d", i, j,
					 wf_gossip_wanted(&t[i], k[j]), wf_gossip_wanted(&t[j], k[i]));
			wants += wf_gossip_wanted(&t[i], k[j]);
		}
	/* the ring: 2 x ring a node; chords: about `chords` more */
	assert_true(wants >= M * 2 * cfg.ring + M * cfg.chords / 2);
	assert_true(wants <= M * 2 * cfg.ring + M * cfg.chords * 2);
	for (unsigned i = 0; i < M; i++)
		wf_gossip_free(&t[i]);
}

/* A fake: a key no CA signed, numbered n, placed at ring position `pos` (its
 * first 8 bytes), ending "fake". */
static void fake_key(uint8_t *k, unsigned n, uint64_t pos)
{
	memset(k, 0, WF_GOSSIP_KEY_LEN);
	for (int b = 0; b < 8; b++)
		k[b] = (uint8_t)(pos >> (56 - 8 * b));
	wf_put_le32(k + 20, n);
	memcpy(k + 28, "fake", 4);
}

/* An UPDATES of count ALIVE records of fakes first..first+count-1 at pos
 * (and on), each with a 7-byte endpoint. */
static size_t fakes(uint8_t *buf, unsigned first, unsigned count, uint64_t pos)
{
	size_t len = 2;

	buf[0] = WF_GOSSIP_UPDATES;
	buf[1] = 0;
	for (unsigned i = 0; i < count; i++) {
		fake_key(buf + len, first + i, pos + i);
		wf_put_le64(buf + len + 32, 7);
		buf[len + 40] = WF_GS_ALIVE;
		buf[len + 41] = 7;
		memcpy(buf + len + 42, "\4\xc6\x12\0\x09\xca\x6c", 7);
		len += REC + 7;
	}
	return len;
}

static unsigned events(unsigned kind)
{
	unsigned n = 0;

	for (unsigned i = 0; i < out.n_ev; i++)
		n += out_ev[i].kind == kind;
	return n;
}

/* 34-36: only the CA makes members: a record of a key without a certificate
 * waits apart from the table (nothing counts it) and its certificate is
 * asked for; certified, it is a member as the record said; never
 * certified, it is asked of others, then goes. */
static void test_uncertified(void **state)
{
	uint8_t buf[WF_GOSSIP_MTU_MAX], digest[WF_GOSSIP_BUCKETS * 8], k[WF_GOSSIP_KEY_LEN];
	const struct wf_gmember *m;
	uint64_t asked_of = 0;

	(void)state;
	start(4);
	mesh(4);
	memcpy(digest, g[0].digest, sizeof(digest));
	/* 34: node 1 tells node 0 of a fake */
	assert_true(wf_gossip_receive(&g[0], key[1], buf, fakes(buf, 1, 1, 0x4000000000000000ULL), 0,
				      &out));
	fake_key(k, 1, 0x4000000000000000ULL);
	assert_null(wf_gossip_find(&g[0], k));
	assert_int_equal(wf_gossip_size(&g[0]), 4);
	assert_int_equal(g[0].n_live, 4);
	assert_memory_equal(digest, g[0].digest, sizeof(digest));
	assert_true(wf_gossip_waiting(&g[0], k));
	assert_int_equal(events(WF_GE_CERT), 1);
	assert_memory_equal(out_ev[0].key, k, WF_GOSSIP_KEY_LEN);
	assert_memory_equal(out_ev[0].from, key[1], WF_GOSSIP_KEY_LEN);
	assert_int_equal(events(WF_GE_NEW), 0);
	assert_int_equal(wf_gossip_find(&g[0], key[1])->told, 1);
	reset_out();
	/* ... and is not in what node 0 sends in a comparison */
	wf_gossip_contact(&g[0], key[1], NULL, 0, 0, &out); /* (compare with 1 now) */
	for (int64_t t = 0; t < 100 && !first(WF_GOSSIP_SYNC); t += 10)
		wf_gossip_tick(&g[0], t, &out);
	pump(0, 4, -1, 100);
	assert_null(wf_gossip_find(&g[1], k));
	/* 35: certified: a member, alive at the record's incarnation, with its
	 * endpoint, told by node 1; the digest now counts it */
	assert_true(wf_gossip_certified(&g[0], k, 200, &out));
	m = wf_gossip_find(&g[0], k);
	assert_non_null(m);
	assert_int_equal(m->state, WF_GS_ALIVE);
	assert_int_equal(m->inc, 7);
	assert_int_equal(m->ep_len, 7);
	assert_int_equal(m->how, WF_GH_GOSSIP);
	assert_int_equal(events(WF_GE_NEW), 1);
	assert_memory_equal(out_ev[out.n_ev - 1].from, key[1], WF_GOSSIP_KEY_LEN);
	assert_false(wf_gossip_waiting(&g[0], k));
	assert_int_equal(wf_gossip_find(&g[0], key[1])->told, 0);
	assert_memory_not_equal(digest, g[0].digest, sizeof(digest));
	assert_int_equal(g[0].st.certified, 1);
	/* ... a certificate for what nobody told us of makes nothing */
	fake_key(k, 2, 0x4100000000000000ULL);
	assert_false(wf_gossip_certified(&g[0], k, 200, &out));
	assert_null(wf_gossip_find(&g[0], k));
	reset_out();
	/* 36: never certified: asked of other members (not the teller), at
	 * most three times in all, and gone after wait_ms */
	assert_true(wf_gossip_receive(&g[0], key[2], buf, fakes(buf, 2, 1, 0x4100000000000000ULL), 1000,
				      &out));
	reset_out();
	for (int64_t t = 1000; t <= 1000 + (int64_t)cfg.wait_ms + 1000; t += 100) {
		wf_gossip_tick(&g[0], t, &out);
		for (unsigned i = 0; i < out.n_ev; i++)
			if (out_ev[i].kind == WF_GE_CERT) {
				assert_memory_equal(out_ev[i].key, k, WF_GOSSIP_KEY_LEN);
				assert_int_not_equal(node_of(out_ev[i].from), 2);
				asked_of++;
			}
		reset_out();
		if (t < 1000 + (int64_t)cfg.wait_ms)
			assert_true(wf_gossip_waiting(&g[0], k));
	}
	assert_int_equal(asked_of, 2);
	assert_false(wf_gossip_waiting(&g[0], k));
	assert_int_equal(g[0].st.wait_expired, 1);
	assert_int_equal(g[0].n_wait, 0);
	assert_int_equal(wf_gossip_find(&g[0], key[2])->told, 0);
	assert_int_equal(wf_gossip_size(&g[0]), 5);
	stop(4);
}

/* 37: what waits is bounded: wait_teller records from one member (the rest
 * refused before they are looked at), wait_max in all; another member's
 * still wait; the records a member told go with it; and sparse, fakes placed
 * next to this node's key on the ring take no place there. */
static void test_wait_bounds(void **state)
{
	uint8_t buf[WF_GOSSIP_MTU_MAX], k[WF_GOSSIP_KEY_LEN];
	uint64_t self_pos;
	unsigned sent = 0;

	(void)state;
	start(6);
	cfg.wait_teller = 40;
	cfg.wait_max = 70;
	cfg.ring = 1;
	cfg.chords = 0;
	restart0(100, 3);
	mesh(6);
	self_pos = (uint64_t)key[0][0] << 56;
	/* node 1 sends 100 fakes, ring-placed right after node 0's key */
	while (sent < 100) {
		unsigned n = 100 - sent < 20 ? 100 - sent : 20;

		assert_true(wf_gossip_receive(&g[0], key[1], buf, fakes(buf, sent, n, self_pos + 1 + sent),
					      0, &out));
		sent += n;
		reset_out();
	}
	assert_int_equal(g[0].n_wait, 40);
	assert_int_equal(wf_gossip_find(&g[0], key[1])->told, 40);
	assert_int_equal(g[0].st.wait_refused, 60);
	assert_int_equal(wf_gossip_size(&g[0]), 6);
	/* node 2's fakes still wait, up to wait_max in all */
	assert_true(wf_gossip_receive(&g[0], key[2], buf, fakes(buf, 500, 20, 1), 0, &out));
	assert_true(wf_gossip_receive(&g[0], key[2], buf, fakes(buf, 520, 20, 100), 0, &out));
	assert_int_equal(g[0].n_wait, 70);
	assert_int_equal(wf_gossip_find(&g[0], key[2])->told, 30);
	reset_out();
	/* sparse: the ring neighbours are real members only */
	wf_gossip_set_sparse(&g[0], true, 1);
	for (int i = 1; i < 6; i++) {
		bool next = i == 1 || i == 5; /* key[0]'s neighbours on the ring */

		assert_int_equal(wf_gossip_wanted(&g[0], key[i]), next);
	}
	fake_key(k, 0, self_pos + 1);
	assert_false(wf_gossip_wanted(&g[0], k));
	wf_gossip_set_sparse(&g[0], false, 2);
	/* the teller's records go with it */
	wf_gossip_drop(&g[0], key[1]);
	assert_int_equal(g[0].n_wait, 30);
	fake_key(k, 0, self_pos + 1);
	assert_false(wf_gossip_waiting(&g[0], k));
	stop(6);
}

/* 38: a member the caller no longer vouches for (revoked, expired) leaves
 * the table at once, whatever its state: size, live count, digests,
 * suspicions, probes; and a member's probes relayed at once are bounded,
 * so that one member cannot take every relay slot. */
static void test_drop_relay(void **state)
{
	uint8_t digest[WF_GOSSIP_BUCKETS * 8], buf[64];
	uint8_t req[5 + WF_GOSSIP_KEY_LEN] = {WF_GOSSIP_PING_REQ};

	(void)state;
	start(5);
	mesh(4); /* 0-3 */
	memcpy(digest, g[0].digest, sizeof(digest));
	wf_gossip_contact(&g[0], key[4], NULL, 0, 0, &out);
	assert_true(recv(0, key[1], buf, updates(buf, 4, 0, WF_GS_SUSPECT), 0));
	assert_int_equal(state_of(0, 4), WF_GS_SUSPECT);
	assert_int_equal(g[0].n_susp, 1);
	wf_gossip_drop(&g[0], key[4]);
	assert_null(wf_gossip_find(&g[0], key[4]));
	assert_int_equal(wf_gossip_size(&g[0]), 4);
	assert_int_equal(g[0].n_live, 4);
	assert_int_equal(g[0].n_susp, 0);
	assert_memory_equal(digest, g[0].digest, sizeof(digest));
	wf_gossip_drop(&g[0], key[0]); /* (this node: nothing) */
	assert_int_equal(wf_gossip_size(&g[0]), 4);
	for (int64_t t = 0; t < 30000; t += 100) { /* no verdict on what is gone */
		reset_out();
		wf_gossip_tick(&g[0], t, &out);
		for (unsigned i = 0; i < out.n_ev; i++)
			assert_int_not_equal(node_of(out_ev[i].key), 4);
	}
	stop(5);
	/* relays: node 1 asks node 0 ten times at once; relay_per run */
	start(4);
	mesh(4);
	memcpy(req + 5, key[2], WF_GOSSIP_KEY_LEN);
	for (uint32_t i = 0; i < 10; i++) {
		wf_put_le32(req + 1, 100 + i);
		assert_true(recv(0, key[1], req, sizeof(req), 40000));
	}
	assert_int_equal(count_to(2, WF_GOSSIP_PING), cfg.relay_per);
	assert_int_equal(g[0].st.relay_refused, 10 - cfg.relay_per);
	assert_int_equal(wf_gossip_find(&g[0], key[1])->relay_refused, 10 - cfg.relay_per);
	reset_out();
	memcpy(req + 5, key[1], WF_GOSSIP_KEY_LEN);
	assert_true(recv(0, key[3], req, sizeof(req), 40000));
	assert_int_equal(count_to(1, WF_GOSSIP_PING), 1);
	stop(4);
}

/* 39: the waiting records against a naive list: random records of
 * certified and fake keys from random members, certificates arriving,
 * members dropped, time passing; what waits, who told it, and who is a
 * member agree with the naive model throughout. */
static void test_wait_differential(void **state)
{
	enum { KEYS = 40, TELLERS = 4, STEPS = 6000 };
	static uint8_t keys[KEYS][WF_GOSSIP_KEY_LEN];
	struct { bool waits; int64_t since; uint64_t inc; } nv[KEYS][TELLERS];
	bool member[KEYS] = {false}, dropped[TELLERS] = {false};
	int64_t now = 0, next_tick = 0; /* (the core looks at what waits every tick) */

	(void)state;
	start(1 + TELLERS);
	cfg.wait_teller = 12;
	cfg.wait_max = 30;
	cfg.probe_ms = 1000000000; /* no probes: nothing but the waiting changes */
	cfg.sync_ms = 1000000000;
	cfg.reconnect_ms = 1000000000;
	restart0(100, 11);
	for (int t = 1; t <= TELLERS; t++)
		wf_gossip_contact(&g[0], key[t], NULL, 0, 0, &out);
	memset(nv, 0, sizeof(nv));
	for (int i = 0; i < KEYS; i++)
		fake_key(keys[i], (unsigned)i, rnd());
	for (int step = 0; step < STEPS; step++) {
		int i = (int)(rnd() % KEYS), t = 1 + (int)(rnd() % TELLERS);
		unsigned what = (unsigned)(rnd() % 10), n_all = 0, n_t = 0;
		uint8_t buf[64];

		for (int a = 0; a < KEYS; a++)
			for (int b = 0; b < TELLERS; b++) {
				n_all += nv[a][b].waits;
				n_t += nv[a][b].waits && b == t - 1;
			}
		if (what < 6 && !dropped[t - 1]) { /* t tells of key i */
			uint64_t inc = rnd() % 5;

			buf[0] = WF_GOSSIP_UPDATES;
			buf[1] = 0;
			memcpy(buf + 2, keys[i], 32);
			wf_put_le64(buf + 34, inc);
			buf[42] = WF_GS_ALIVE;
			buf[43] = 0;
			assert_true(wf_gossip_receive(&g[0], key[t], buf, 44, now, &out));
			if (!member[i] && n_t < cfg.wait_teller) {
				if (nv[i][t - 1].waits) {
					if (inc > nv[i][t - 1].inc)
						nv[i][t - 1].inc = inc;
				} else if (n_all < cfg.wait_max) {
					nv[i][t - 1].waits = true;
					nv[i][t - 1].since = now;
					nv[i][t - 1].inc = inc;
				}
			}
		} else if (what < 8) { /* key i's certificate arrives */
			bool waits = false;
			uint64_t inc = 0;

			for (int b = 0; b < TELLERS; b++)
				if (nv[i][b].waits) {
					inc = waits && inc > nv[i][b].inc ? inc : nv[i][b].inc;
					waits = true;
					nv[i][b].waits = false;
				}
			assert_int_equal(wf_gossip_certified(&g[0], keys[i], now, &out),
					 waits || member[i]);
			if (waits && !member[i])
				assert_int_equal(wf_gossip_find(&g[0], keys[i])->inc, inc);
			member[i] |= waits;
		} else if (what == 8 && !dropped[t - 1] && rnd() % 50 == 0) { /* t revoked */
			wf_gossip_drop(&g[0], key[t]);
			dropped[t - 1] = true;
			for (int a = 0; a < KEYS; a++)
				nv[a][t - 1].waits = false;
		} else { /* time passes */
			now += 500;
			wf_gossip_tick(&g[0], now, &out);
			for (int a = 0; now >= next_tick && a < KEYS; a++)
				for (int b = 0; b < TELLERS; b++)
					if (nv[a][b].waits && now - nv[a][b].since >= (int64_t)cfg.wait_ms)
						nv[a][b].waits = false;
			if (now >= next_tick)
				next_tick = now + WF_GOSSIP_WAIT_TICK_MS;
		}
		reset_out();
		for (int a = 0; a < KEYS; a++) {
			bool waits = false;

			for (int b = 0; b < TELLERS; b++)
				waits |= nv[a][b].waits;
			if (wf_gossip_waiting(&g[0], keys[a]) != waits ||
			    (wf_gossip_find(&g[0], keys[a]) != NULL) != member[a])
				fail_msg("step %d: key %d: naive waits %d member %d, core %d %d", step, a,
					 waits, member[a], wf_gossip_waiting(&g[0], keys[a]),
					 wf_gossip_find(&g[0], keys[a]) != NULL);
		}
		for (int b = 0; b < TELLERS; b++) {
			unsigned n = 0;
			const struct wf_gmember *m = wf_gossip_find(&g[0], key[b + 1]);

			for (int a = 0; a < KEYS; a++)
				n += nv[a][b].waits;
			assert_int_equal(m ? m->told : 0, n);
		}
	}
	stop(1 + TELLERS);
}

/* 40-41: the epoch (the daemon's revocation list version) rides in every
 * SYNC; answering one with another epoch is an event that names the
 * comparing member and its epoch; the same epoch is none. */
static void test_epoch(void **state)
{
	uint8_t sync[WF_GOSSIP_SYNC_LEN];
	const struct wf_gossip_msg *m;
	unsigned events = 0;

	(void)state;
	start(2);
	wf_gossip_contact(&g[0], key[1], NULL, 0, 0, &out);
	wf_gossip_contact(&g[1], key[0], NULL, 0, 0, &out);
	wf_gossip_set_epoch(&g[0], 0x0102030405060708ULL);
	wf_gossip_set_epoch(&g[1], 7);
	reset_out();
	/* 40: node 0's comparison carries its epoch after the live count */
	wf_gossip_tick(&g[0], 1, &out);
	m = first(WF_GOSSIP_SYNC);
	assert_non_null(m);
	assert_int_equal(m->len, WF_GOSSIP_SYNC_LEN);
	assert_true(wf_get_le64(m->buf + 6) == 0x0102030405060708ULL);
	memcpy(sync, m->buf, sizeof(sync));
	/* 41: node 1 answers it: one event, from node 0, with node 0's epoch */
	reset_out();
	assert_true(wf_gossip_receive(&g[1], key[0], sync, sizeof(sync), 2, &out));
	for (unsigned i = 0; i < out.n_ev; i++) {
		if (out.ev[i].kind != WF_GE_EPOCH)
			continue;
		assert_int_equal(node_of(out.ev[i].from), 0);
		assert_true(out.ev[i].value == 0x0102030405060708ULL);
		events++;
	}
	assert_int_equal(events, 1);
	wf_put_le64(sync + 6, 7); /* as node 1's */
	reset_out();
	assert_true(wf_gossip_receive(&g[1], key[0], sync, sizeof(sync), 3, &out));
	for (unsigned i = 0; i < out.n_ev; i++)
		assert_int_not_equal(out.ev[i].kind, WF_GE_EPOCH);
	reset_out();
	stop(2);
}

/* RFC 6298 2.2-2.3 written out in doubles, the reference for 42. */
struct naive_rtt {
	unsigned n;
	double srtt, rttvar; /* microseconds */
};

static void naive_rtt_add(struct naive_rtt *r, double ms)
{
	double us = ms * 1000;

	if (!r->n++) {
		r->srtt = us;
		r->rttvar = us / 2;
		return;
	}
	r->rttvar = 0.75 * r->rttvar + 0.25 * fabs(r->srtt - us);
	r->srtt = 0.875 * r->srtt + 0.125 * us;
}

/* Node 0's next PING to node 1 at or after *t (ticking by 1 ms); false if
 * none came within 5 s. */
static bool next_ping(int64_t *t, struct wf_gossip_msg *ping)
{
	for (int64_t end = *t + 5000; *t < end; (*t)++) {
		reset_out();
		wf_gossip_tick(&g[0], *t, &out);
		for (unsigned i = 0; i < out.n; i++)
			if (out.msg[i].buf[0] == WF_GOSSIP_PING && node_of(out.msg[i].to) == 1) {
				*ping = out.msg[i];
				reset_out();
				return true;
			}
	}
	return false;
}

static const struct wf_gmember *member(int at, int who) { return wf_gossip_find(&g[at], key[who]); }

/* 42: the smoothed RTT of node 1 at node 0, its PINGs each ACKed after a
 * given delay, against the reference: the same samples, SRTT and RTTVAR
 * within the integer arithmetic's rounding. */
static void test_rtt(void **state)
{
	static const struct {
		unsigned n;
		int64_t ms[8];
	} rows[] = {
	    {1, {40}},
	    {4, {0, 0, 1, 0}},
	    {5, {100, 100, 100, 100, 100}},
	    {8, {10, 200, 10, 200, 10, 200, 10, 200}},
	    {6, {300, 2, 2, 2, 2, 2}},
	    {3, {0, 499, 0}},
	};

	(void)state;
	for (unsigned row = 0; row < sizeof(rows) / sizeof(rows[0]); row++) {
		struct naive_rtt want = {0, 0, 0};
		struct wf_gossip_msg ping;
		int64_t t = 0;

		start(2);
		mesh(2);
		for (unsigned k = 0; k < rows[row].n; k++) {
			assert_true(next_ping(&t, &ping));
			t += rows[row].ms[k];
			answer(0, &ping, t);
			naive_rtt_add(&want, (double)rows[row].ms[k]);
			t++;
		}
		if (member(0, 1)->rtt_samples != want.n ||
		    fabs(member(0, 1)->srtt_us - want.srtt) > 8 ||
		    fabs(member(0, 1)->rttvar_us - want.rttvar) > 8)
			fail_msg("42 row %u: %u samples, srtt %u rttvar %u; reference %u, %.1f, %.1f",
				 row, member(0, 1)->rtt_samples, member(0, 1)->srtt_us,
				 member(0, 1)->rttvar_us, want.n, want.srtt, want.rttvar);
		stop(2);
	}
}

/* 43-45: no member makes node 0 record a round trip for another: 43, an ACK
 * from node 2 with the sequence number of the PING to node 1 (which ends
 * the probe as an indirect answer would) times nothing, for 1 or 2, and
 * node 1's own ACK after it is too late to count; 44, ACKs from node 1 for
 * PINGs never sent time nothing, and then its real one does; 45, an ACK
 * that comes after the probe ended times nothing, nor does one relayed by
 * node 2 from a PING_REQ. */
static void test_rtt_forged(void **state)
{
	struct wf_gossip_msg ping;
	uint8_t ack[5] = {WF_GOSSIP_ACK};
	int64_t t = 0;

	(void)state;
	start(3);
	mesh(3);
	/* 43 */
	assert_true(next_ping(&t, &ping));
	memcpy(ack + 1, ping.buf + 1, 4);
	assert_true(recv(0, key[2], ack, sizeof(ack), t + 1));
	answer(0, &ping, t + 300);
	assert_int_equal(member(0, 1)->rtt_samples, 0);
	assert_int_equal(member(0, 2)->rtt_samples, 0);
	/* 44 */
	t += 301;
	assert_true(next_ping(&t, &ping));
	for (int d = -3; d <= 3; d++) {
		if (!d)
			continue;
		wf_put_le32(ack + 1, wf_get_le32(ping.buf + 1) + (uint32_t)d);
		assert_true(recv(0, key[1], ack, sizeof(ack), t + 1));
	}
	assert_int_equal(member(0, 1)->rtt_samples, 0);
	answer(0, &ping, t + 20);
	assert_int_equal(member(0, 1)->rtt_samples, 1);
	assert_int_equal(member(0, 1)->srtt_us, 20000);
	stop(3);

	/* 45: node 1 silent: PING_REQs go out; node 2's relayed ACK ends the
	 * probe, then node 1's own ACK comes too late */
	start(3);
	mesh(3);
	t = 0;
	assert_true(next_ping(&t, &ping));
	for (int64_t u = t; u <= t + 600; u++) {
		const struct wf_gossip_msg *req;

		reset_out();
		wf_gossip_tick(&g[0], u, &out);
		if ((req = first(WF_GOSSIP_PING_REQ)) && node_of(req->to) == 2) {
			memcpy(ack + 1, req->buf + 1, 4);
			assert_true(recv(0, key[2], ack, sizeof(ack), u + 1));
			break;
		}
	}
	answer(0, &ping, t + 700);
	assert_int_equal(member(0, 1)->rtt_samples, 0);
	assert_int_equal(g[0].st.indirect_ok, 1);
	stop(3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basics),
	    cmocka_unit_test(test_probe),
	    cmocka_unit_test(test_suspicion_formula),
	    cmocka_unit_test(test_suspicion),
	    cmocka_unit_test(test_refute),
	    cmocka_unit_test(test_precedence_differential),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_retransmit),
	    cmocka_unit_test(test_sync),
	    cmocka_unit_test(test_digest_order),
	    cmocka_unit_test(test_relay),
	    cmocka_unit_test(test_forget_leave),
	    cmocka_unit_test(test_table_differential),
	    cmocka_unit_test(test_outbox_full),
	    cmocka_unit_test(test_queue_cap),
	    cmocka_unit_test(test_sparse_wanted),
	    cmocka_unit_test(test_sparse_targets),
	    cmocka_unit_test(test_sparse_unlink),
	    cmocka_unit_test(test_sparse_reach_forget),
	    cmocka_unit_test(test_sparse_mutual),
	    cmocka_unit_test(test_uncertified),
	    cmocka_unit_test(test_wait_bounds),
	    cmocka_unit_test(test_drop_relay),
	    cmocka_unit_test(test_wait_differential),
	    cmocka_unit_test(test_epoch),
	    cmocka_unit_test(test_rtt),
	    cmocka_unit_test(test_rtt_forged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
