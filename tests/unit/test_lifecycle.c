/* SPDX-License-Identifier: MIT */
/*
 * A peer's timer rules (src/core/lifecycle.c): numbered rows of facts and
 * the actions due, then random facts against a naive restatement of the
 * rules as the daemon's timers.c wrote them in one function before they
 * became a core of their own.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "core/lifecycle.h"

enum {
	I = WF_LC_INITIATE,
	K = WF_LC_KEEPALIVE,
	G = WF_LC_GIVE_UP,
	L = WF_LC_LINK,
	M = WF_LC_MESH_DOWN,
	C = WF_LC_CREDIT_SPENT,
	N = WF_LC_NOT_ANSWERING,
	NOW = 100000,
};

static const struct wf_lc_cfg cfg = {.keepalive_ms = 10000, .hs_timeout_ms = 5000,
				     .attempts_down = 8};

/* A peer up in a full mesh: fresh keys, heard from, proven, at an endpoint,
 * something sent a moment ago. Rows start from it and say what differs
 * (a later initializer overrides: that is the point here). */
#pragma GCC diagnostic ignored "-Woverride-init"
#define UP .keys = true, .proven = true, .endpoint = true, .defer_credit = true, \
	   .last_tx_ms = NOW - 1000

static const struct {
	struct wf_lc_peer f;
	unsigned want;
} rows[] = {
    /* 1-8: a full mesh */
    /* 1 */ {{.endpoint = true}, I | M},
    /* 2 */ {{.endpoint = true, .next_ms = NOW + 1}, M},
    /* 3 */ {{UP}, L},
    /* 4 */ {{UP, .last_tx_ms = NOW - 10000}, L | K},
    /* 5 */ {{UP, .rekey_due = true}, L | I},
    /* 6 */ {{UP, .silent = true}, M | I},
    /* 7 */ {{UP, .cert_renew = true}, L | I},
    /* 8 */ {{UP, .proven = false}, 0},
    /* 9-11: a member that left is not called; its session still renews */
    /* 9 */ {{.endpoint = true, .left = true}, M},
    /* 10 */ {{UP, .left = true, .rekey_due = true}, L | I},
    /* 11 */ {{.endpoint = false}, M},
    /* 12-15: an answered initiation's proof awaited, once, for a timeout */
    /* 12 */ {{.endpoint = true, .defer_credit = true, .answered_ms = NOW - 4999}, M},
    /* 13 */ {{.endpoint = true, .defer_credit = true, .answered_ms = NOW - 5000}, M | C | I},
    /* 14 */ {{.endpoint = true, .defer_credit = false, .answered_ms = NOW - 1}, M | I},
    /* 15 */ {{UP, .answered_ms = NOW - 1}, L},
    /* 16-17: retries, and the word that a peer is not answering */
    /* 16 */ {{.endpoint = true, .attempts = 8}, M | I | N},
    /* 17 */ {{.endpoint = true, .attempts = 9}, M | I},
    /* 18-26: on demand */
    /* 18 */ {{.on_demand = true, .endpoint = true}, M},
    /* 19 */ {{.on_demand = true, .endpoint = true, .waiting = true}, M | I},
    /* 20 */ {{.on_demand = true, .endpoint = true, .waiting = true, .attempts = 8}, M | G},
    /* 21 */ {{.on_demand = true, .endpoint = true, .waiting = true, .attempts = 8,
	       .next_ms = NOW + 1}, M},
    /* 22 */ {{.on_demand = true, .waiting = true}, M | G},
    /* 23 */ {{UP, .on_demand = true}, L},
    /* 24 */ {{UP, .on_demand = true, .rekey_due = true}, 0},
    /* 25 */ {{UP, .on_demand = true, .rekey_due = true, .used = true}, I},
    /* 26 */ {{UP, .on_demand = true, .last_tx_ms = NOW - 20000}, L},
    /* 27 */ {{UP, .on_demand = true, .used = true, .last_tx_ms = NOW - 20000}, L | K},
};

static void test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		unsigned got = wf_lc_tick(&cfg, &rows[i].f, NOW);

		if (got != rows[i].want)
			fail_msg("row %zu: actions %#x, want %#x", i + 1, got, rows[i].want);
	}
	/* 28: no keepalives when the interval is 0 */
	{
		struct wf_lc_cfg none = cfg;
		struct wf_lc_peer f = {UP, .last_tx_ms = 0};

		none.keepalive_ms = 0;
		assert_int_equal(wf_lc_tick(&none, &f, NOW), L);
	}
}

/* The rules as timers.c had them, in one function (peer_tick). */
static unsigned naive(const struct wf_lc_cfg *c, const struct wf_lc_peer *f, int64_t now)
{
	unsigned a = 0, attempts = f->attempts;
	bool need, waiting = f->waiting;

	if (!f->keys || f->silent)
		a |= M;
	if (f->keys && !f->silent && f->proven && !(f->on_demand && f->rekey_due))
		a |= L;
	if (f->on_demand) {
		bool gave_up = !f->endpoint || (attempts >= c->attempts_down && now >= f->next_ms);

		if (gave_up && !f->keys && waiting) {
			a |= G;
			waiting = false;
			attempts = 0;
		}
		need = !f->keys ? waiting : f->rekey_due && f->used;
	} else {
		need = !f->keys || f->rekey_due || f->silent || f->cert_renew;
	}
	if (f->left && !f->keys)
		need = false;
	if (need && f->answered_ms && f->defer_credit) {
		if (now - f->answered_ms < c->hs_timeout_ms)
			need = false;
		else
			a |= C;
	}
	if (need && f->endpoint && now >= f->next_ms) {
		if (attempts == c->attempts_down)
			a |= N;
		a |= I;
	}
	if (f->keys && (!f->on_demand || f->used) && c->keepalive_ms &&
	    now - f->last_tx_ms >= c->keepalive_ms)
		a |= K;
	return a;
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* 29: a million random peers, the rules and the naive restatement agree. */
static void test_differential(void **state)
{
	(void)state;
	for (long i = 0; i < 1000000; i++) {
		uint64_t r = rnd(), t = rnd();
		struct wf_lc_peer f = {
		    .keys = r & 1, .rekey_due = r >> 1 & 1, .silent = r >> 2 & 1,
		    .proven = r >> 3 & 1, .endpoint = r >> 4 & 1, .on_demand = r >> 5 & 1,
		    .used = r >> 6 & 1, .waiting = r >> 7 & 1, .left = r >> 8 & 1,
		    .cert_renew = r >> 9 & 1, .defer_credit = r >> 10 & 1,
		    .attempts = (unsigned)(r >> 11 & 15),
		    .next_ms = NOW - 2 + (int64_t)(t % 5),
		    .answered_ms = t >> 8 & 1 ? 0 : NOW - (int64_t)(t >> 9 & 8191),
		    .last_tx_ms = NOW - (int64_t)(t >> 22 & 16383),
		};
		unsigned got = wf_lc_tick(&cfg, &f, NOW), want = naive(&cfg, &f, NOW);

		if (got != want)
			fail_msg("case %ld (%#llx %#llx): actions %#x, naive %#x", i,
				 (unsigned long long)r, (unsigned long long)t, got, want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rows),
	    cmocka_unit_test(test_differential),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
