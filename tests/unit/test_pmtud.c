/* SPDX-License-Identifier: MIT */
/*
 * Path MTU discovery (src/core/pmtud.c) on a simulated path: a table of the
 * path's MTU over time, a round trip, loss from a seeded generator, and, if
 * asked, a "packet too big" for each probe that does not fit. Numbered cases
 * (convergence, a lowered MTU found, a raised one found at the next raise, a
 * path below the base, hints, forged hints, route changes, stale acks),
 * then randomized schedules checked against the table itself: the naive
 * reference is the path's MTU.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "core/message.h"
#include "core/pmtud.h"

enum { S = 1000, SCHED_MAX = 8 };

struct change {
	int64_t at;
	unsigned mtu;
};

struct sim {
	struct wf_pmtud p;
	struct wf_pmtud_cfg cfg;
	struct change sched[SCHED_MAX];
	unsigned n_sched, loss_pct, rtt_ms;
	bool ptb;
	uint64_t rng;
	int64_t now;
	/* what the path delivers back, one at a time */
	bool ack_pending, ptb_pending;
	uint32_t ack_seq;
	unsigned ack_size, ptb_size;
	int64_t ack_at, ptb_at;
	/* what the state machine said */
	unsigned mtu, changes;
	int64_t over_since; /* the MTU in use above the path's, since (-1: not) */
	int64_t over_longest;
};

static unsigned path_mtu(const struct sim *s, int64_t t)
{
	unsigned m = s->sched[0].mtu;

	for (unsigned i = 0; i < s->n_sched; i++)
		if (s->sched[i].at <= t)
			m = s->sched[i].mtu;
	return m;
}

static bool lose(struct sim *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng % 100 < s->loss_pct;
}

/* Apply what the state machine asked for. */
static void act(struct sim *s, const struct wf_pmtud_out *o)
{
	if (o->changed) {
		s->mtu = o->pmtu;
		s->changes++;
	}
	if (!o->probe)
		return;
	if (o->size <= path_mtu(s, s->now)) {
		if (!lose(s)) {
			s->ack_pending = true;
			s->ack_seq = o->seq;
			s->ack_size = o->size;
			s->ack_at = s->now + s->rtt_ms;
		}
	} else if (s->ptb) {
		s->ptb_pending = true;
		s->ptb_size = path_mtu(s, s->now);
		s->ptb_at = s->now + s->rtt_ms / 2;
	}
}

static void sim_init(struct sim *s, int family, unsigned route, unsigned path)
{
	memset(s, 0, sizeof(*s));
	wf_pmtud_cfg_default(&s->cfg);
	s->rtt_ms = 20;
	s->rng = 0x2545f4914f6cdd1dull;
	s->sched[0] = (struct change){0, path};
	s->n_sched = 1;
	s->over_since = -1;
	wf_pmtud_init(&s->p, &s->cfg, family, route);
	s->mtu = s->p.plpmtu;
}

static void sim_up(struct sim *s)
{
	struct wf_pmtud_out o;

	wf_pmtud_up(&s->p, s->now, &o);
	act(s, &o);
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* Run until t, event by event (and at each change of the path). */
static void run(struct sim *s, int64_t until)
{
	while (s->now < until) {
		struct wf_pmtud_out o;
		int64_t next = min64(until, wf_pmtud_next(&s->p));

		if (s->ack_pending)
			next = min64(next, s->ack_at);
		if (s->ptb_pending)
			next = min64(next, s->ptb_at);
		for (unsigned i = 0; i < s->n_sched; i++)
			if (s->sched[i].at > s->now)
				next = min64(next, s->sched[i].at);
		s->now = next > s->now ? next : s->now + 1;
		if (s->ack_pending && s->now >= s->ack_at) {
			s->ack_pending = false;
			wf_pmtud_acked(&s->p, s->ack_seq, s->ack_size, s->now, &o);
			act(s, &o);
		}
		if (s->ptb_pending && s->now >= s->ptb_at) {
			s->ptb_pending = false;
			wf_pmtud_ptb(&s->p, s->ptb_size, s->now, &o);
			act(s, &o);
		}
		wf_pmtud_tick(&s->p, s->now, &o);
		act(s, &o);
		/* how long data larger than the path would have been lost */
		if (s->mtu > path_mtu(s, s->now) && s->over_since < 0)
			s->over_since = s->now;
		if (s->mtu <= path_mtu(s, s->now) && s->over_since >= 0) {
			if (s->now - s->over_since > s->over_longest)
				s->over_longest = s->now - s->over_since;
			s->over_since = -1;
		}
	}
}

/* The MTU found is the path's, within the search's step, never above. */
static void found(const struct sim *s, unsigned path, int c)
{
	if (s->mtu > path || s->mtu + s->cfg.step <= path)
		fail_msg("case %d: MTU %u for a path of %u (state %s)", c, s->mtu, path,
			 wf_pmtud_state_name(s->p.state));
}

static void test_converge(void **state)
{
	struct sim s;
	uint64_t probes;

	/* 1: the path carries the route's MTU: one probe, nothing changes */
	sim_init(&s, AF_INET, 1500, 1500);
	sim_up(&s);
	run(&s, 10 * S);
	assert_int_equal(s.mtu, 1500);
	assert_int_equal(s.p.probes, 1);
	assert_int_equal(s.changes, 0);
	assert_int_equal(s.p.state, WF_PMTUD_COMPLETE);
	/* 2: a narrower path (a tunnel below): found by bisection */
	sim_init(&s, AF_INET, 1500, 1412);
	sim_up(&s);
	run(&s, 30 * S);
	found(&s, 1412, 2);
	assert_int_equal(s.p.state, WF_PMTUD_COMPLETE);
	probes = s.p.probes;
	/* 7: then left alone but for one confirmation every confirm_ms (a
	 * search that ended must not start again before the raise timer) */
	run(&s, 30 * S + 3 * s.cfg.confirm_ms);
	assert_true(s.p.probes - probes <= 3);
	found(&s, 1412, 7);
	/* 3: the same with "packet too big": fewer probes, and exact */
	sim_init(&s, AF_INET, 1500, 1412);
	s.ptb = true;
	sim_up(&s);
	run(&s, 30 * S);
	assert_int_equal(s.mtu, 1412);
	assert_true(s.p.probes < probes);
	/* 4: a jumbo route over a 1500 path */
	sim_init(&s, AF_INET6, 9000, 1500);
	sim_up(&s);
	run(&s, 60 * S);
	found(&s, 1500, 4);
	/* 5: IPv6 at its floor: 1280 */
	sim_init(&s, AF_INET6, 1500, 1280);
	sim_up(&s);
	run(&s, 60 * S);
	assert_int_equal(s.mtu, 1280);
	assert_int_equal(s.p.state, WF_PMTUD_COMPLETE);
	/* 6: one loss in ten: still found (a size is given up after 3 in a row) */
	sim_init(&s, AF_INET, 1500, 1412);
	s.loss_pct = 10;
	sim_up(&s);
	run(&s, 60 * S);
	found(&s, 1412, 6);
}

static void test_changes(void **state)
{
	struct sim s;

	/* 1: lowered at 100 s: found by the next confirmation, and searched */
	sim_init(&s, AF_INET, 1500, 1500);
	s.sched[1] = (struct change){100 * S, 1300};
	s.n_sched = 2;
	sim_up(&s);
	run(&s, 100 * S);
	assert_int_equal(s.mtu, 1500);
	run(&s, 100 * S + s.cfg.confirm_ms + 4 * s.cfg.probe_ms);
	assert_true(s.mtu <= 1300); /* detected within a confirmation and its probes */
	run(&s, 200 * S);
	found(&s, 1300, 1);
	assert_int_equal(s.p.black_holes, 1);
	assert_true(s.over_longest <= s.cfg.confirm_ms + 3 * s.cfg.probe_ms);
	/* 2: raised at 200 s: not before the raise timer, then found */
	s.sched[2] = (struct change){200 * S, 1500};
	s.n_sched = 3;
	run(&s, 200 * S + 300 * S);
	assert_true(s.mtu <= 1300);
	run(&s, 200 * S + s.cfg.raise_ms + 60 * S);
	found(&s, 1500, 2);
	/* 3: a path below BASE (IPv4, 1000): ERROR, MIN in use; BASE tried again */
	sim_init(&s, AF_INET, 1500, 1000);
	s.sched[1] = (struct change){100 * S, 1500};
	s.n_sched = 2;
	sim_up(&s);
	run(&s, 99 * S);
	assert_int_equal(s.p.state, WF_PMTUD_ERROR);
	assert_int_equal(s.mtu, WF_PMTUD_MIN4);
	run(&s, 100 * S + s.cfg.confirm_ms + 10 * S);
	found(&s, 1500, 3);
	/* 4: the route shrinks and grows: at once, then searched up */
	sim_init(&s, AF_INET, 1500, 1500);
	sim_up(&s);
	run(&s, 10 * S);
	{
		struct wf_pmtud_out o;

		wf_pmtud_route(&s.p, 1400, s.now, &o);
		act(&s, &o);
		assert_true(o.changed && o.pmtu == 1400 && s.mtu == 1400);
		wf_pmtud_route(&s.p, 1500, s.now, &o);
		act(&s, &o);
		assert_true(o.probe && o.size == 1500); /* the route held it: raised */
	}
	run(&s, 20 * S);
	assert_int_equal(s.mtu, 1500);
	/* 5: a search that ended within its step below the route's MTU (1495
	 * for a path of 1496), whose path then widens to the route's: the
	 * next raise still tries the route's MTU (netns/24 found 1493 for a
	 * widened 1500 path for ever without it) */
	sim_init(&s, AF_INET, 1500, 1496);
	s.sched[1] = (struct change){60 * S, 1500};
	s.n_sched = 2;
	sim_up(&s);
	run(&s, 59 * S);
	found(&s, 1496, 5);
	run(&s, 60 * S + s.cfg.raise_ms + 10 * S);
	assert_int_equal(s.mtu, 1500);
}

static void test_events(void **state)
{
	struct wf_pmtud_out o;
	uint64_t acks;
	struct sim s;

	/* 1: a forged "too big" never lowers the MTU by itself */
	sim_init(&s, AF_INET, 1500, 1500);
	sim_up(&s);
	run(&s, 50 * S);
	wf_pmtud_ptb(&s.p, 1300, s.now, &o);
	act(&s, &o);
	assert_true(o.probe && o.size == 1500 && !o.changed); /* a confirmation, now */
	run(&s, 60 * S);
	assert_int_equal(s.mtu, 1500);
	assert_int_equal(s.changes, 0);
	/* 2: out of range "too big" is ignored */
	wf_pmtud_ptb(&s.p, 100, s.now, &o);
	assert_false(o.probe || o.changed);
	wf_pmtud_ptb(&s.p, 9000, s.now, &o);
	assert_false(o.probe || o.changed);
	/* 3: an ack of anything but the probe in flight is ignored */
	run(&s, wf_pmtud_next(&s.p)); /* the next confirmation goes out */
	assert_true(s.p.probed != 0);
	acks = s.p.acks;
	wf_pmtud_acked(&s.p, s.p.seq - 1, s.p.probed, s.now, &o);
	assert_true(s.p.probed != 0 && s.p.acks == acks);
	wf_pmtud_acked(&s.p, s.p.seq, s.p.probed - 1, s.now, &o);
	assert_true(s.p.probed != 0);
	/* 4: down: nothing more, and no timer */
	wf_pmtud_down(&s.p);
	assert_int_equal(wf_pmtud_next(&s.p), INT64_MAX);
	wf_pmtud_tick(&s.p, s.now + 1000 * S, &o);
	assert_false(o.probe || o.changed);
	/* 5: the overlay MTU follows: 1500 IPv4 -> 1440 */
	assert_int_equal(wf_pmtud_overlay_mtu(&s.p, true), 1440);
	/* 6: up again: the route's MTU, confirmed */
	wf_pmtud_up(&s.p, s.now, &o);
	assert_true(o.probe && o.size == 1500);
}

/* Random schedules against the table: at the end of each interval (700 s:
 * longer than a raise) the MTU is the path's within the step, never above
 * the route, and a lowered MTU is never used above the path for longer than
 * a confirmation and its probes. */
static void test_random(void **state)
{
	static const unsigned sizes[] = {1280, 1300, 1400, 1420, 1480, 1500, 4000, 9000};
	uint64_t r = 0x9e3779b97f4a7c15ull;

	for (int round = 0; round < 60; round++) {
		struct sim s;
		unsigned route = round % 2 ? 9000 : 1500, n;
		int family = round % 3 ? AF_INET : AF_INET6;

		r = r * 6364136223846793005ull + 1442695040888963407ull;
		sim_init(&s, family, route, 1500);
		s.loss_pct = (unsigned)(r >> 60) % 3;
		s.ptb = (r >> 40) & 1;
		s.rng = r | 1;
		n = 2 + (unsigned)(r >> 50) % (SCHED_MAX - 2);
		for (unsigned i = 0; i < n; i++) {
			r = r * 6364136223846793005ull + 1442695040888963407ull;
			s.sched[i] = (struct change){(int64_t)i * 700 * S, sizes[(r >> 33) % 8]};
		}
		s.n_sched = n;
		sim_up(&s);
		for (unsigned i = 0; i < n; i++) {
			unsigned path = s.sched[i].mtu < route ? s.sched[i].mtu : route;

			run(&s, (int64_t)(i + 1) * 700 * S - 1);
			if (s.mtu > route)
				fail_msg("round %d: MTU %u over the route's %u", round, s.mtu,
					 route);
			if (s.mtu > path || s.mtu + s.cfg.step <= path)
				fail_msg(
				    "round %d interval %u: MTU %u, path %u (loss %u%%, ptb %d)",
				    round, i, s.mtu, path, s.loss_pct, s.ptb);
		}
		if (s.over_longest > s.cfg.confirm_ms + 3 * s.cfg.probe_ms + s.rtt_ms)
			fail_msg("round %d: above the path for %lld ms", round,
				 (long long)s.over_longest);
	}
}

/* 1-9: the probe and its answer, byte by byte. */
static void test_wire(void **state)
{
	static uint8_t b[9000];
	uint32_t seq;
	unsigned size;
	size_t n;

	n = wf_pmtu_probe_encode(0x01020304, 1500, AF_INET, b, sizeof(b));
	assert_int_equal(n, 1500 - 28 - 32); /* 1: IPv4: 1440 bytes of plaintext */
	assert_memory_equal(b, "\x0b\x04\x03\x02\x01\xdc\x05\x00", 8);
	assert_true(wf_pmtu_probe_decode(b, n, AF_INET, &seq, &size)); /* 2 */
	assert_true(seq == 0x01020304 && size == 1500);
	assert_false(wf_pmtu_probe_decode(b, n, AF_INET6, &seq, &size));    /* 3: not that size */
	assert_false(wf_pmtu_probe_decode(b, n - 1, AF_INET, &seq, &size)); /* 4: cut */
	b[n - 1] = 1;
	assert_false(wf_pmtu_probe_decode(b, n, AF_INET, &seq, &size)); /* 5: padding */
	n = wf_pmtu_probe_encode(7, 1280, AF_INET6, b, sizeof(b));
	assert_int_equal(n, 1280 - 48 - 32); /* 6: IPv6 */
	assert_true(wf_pmtu_probe_decode(b, n, AF_INET6, &seq, &size) && size == 1280);
	assert_int_equal(wf_pmtu_probe_encode(7, 60, AF_INET, b, sizeof(b)), 0); /* 7: too small */
	assert_int_equal(wf_pmtu_probe_encode(7, 1500, AF_INET, b, 100), 0);
	assert_int_equal(wf_pmtu_probe_encode(7, 70000, AF_INET, b, sizeof(b)), 0);
	assert_int_equal(wf_pmtu_ack_encode(9, 1400, b), WF_PMTU_ACK_LEN); /* 8: the answer */
	assert_memory_equal(b, "\x0c\x09\x00\x00\x00\x78\x05", 7);
	assert_true(wf_pmtu_ack_decode(b, 7, &seq, &size) && seq == 9 && size == 1400);
	assert_false(wf_pmtu_ack_decode(b, 8, &seq, &size)); /* 9: exactly 7 bytes */
	b[0] = WF_CTL_PMTU_PROBE;
	assert_false(wf_pmtu_ack_decode(b, 7, &seq, &size));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_converge), cmocka_unit_test(test_changes),
	    cmocka_unit_test(test_events),   cmocka_unit_test(test_random),
	    cmocka_unit_test(test_wire),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
