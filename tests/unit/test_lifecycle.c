/* SPDX-License-Identifier: MIT */
/*
 * A peer's timer rules (src/core/lifecycle.c): numbered rows of facts and
 * the actions due, then random facts against a naive restatement of the
 * rules as the daemon's timers.c wrote them in one function before they
 * became a core of their own. Then the handshake's events
 * (src/core/lifecycle_hs.c): an initiation judged, stage by stage, against
 * handshake.c's pipeline as it was, and the properties no answer may lose;
 * a session proven, the order of its steps.
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

/* --- an initiation judged ------------------------------------------------ */

#define ARR WF_LCI_ARRIVED
#define RD WF_LCI_READ
#define CRT WF_LCI_CERTIFIED

/* Facts of an initiation that passes everything, at the last stage. */
#define GOOD .stage = CRT, .rate_ok = true, .readable = true, .verdict = WF_INIT_ACCEPT, \
	     .cert_ok = true, .fits = true

static const struct {
	struct wf_lc_init f;
	enum wf_lci_act want;
} init_rows[] = {
    /* 30-33: arrived */
    /* 30 */ {{.stage = ARR}, WF_LCI_GO},
    /* 31 */ {{.stage = ARR, .under_load = true}, WF_LCI_COOKIE},
    /* 32 */ {{.stage = ARR, .under_load = true, .validated = true}, WF_LCI_DROP_RATE},
    /* 33 */ {{.stage = ARR, .under_load = true, .validated = true, .rate_ok = true}, WF_LCI_GO},
    /* 34-40: read */
    /* 34 */ {{GOOD, .stage = RD}, WF_LCI_GO},
    /* 35 */ {{GOOD, .stage = RD, .readable = false}, WF_LCI_DROP_MALFORMED},
    /* 36 */ {{GOOD, .stage = RD, .own_key = true}, WF_LCI_OURS},
    /* 37 */ {{GOOD, .stage = RD, .verdict = WF_INIT_BUSY}, WF_LCI_COOKIE},
    /* 38 */ {{GOOD, .stage = RD, .verdict = WF_INIT_REPLAY}, WF_LCI_DROP_REPLAY},
    /* 39 */ {{GOOD, .stage = RD, .verdict = WF_INIT_DUPLICATE}, WF_LCI_DROP_REPLAY},
    /* 40 */ {{GOOD, .stage = RD, .verdict = WF_INIT_FUTURE}, WF_LCI_DROP_CLOCK},
    /* 41-45: certified */
    /* 41 */ {{GOOD}, WF_LCI_ANSWER},
    /* 42 */ {{GOOD, .cert_ok = false}, WF_LCI_DROP_CERT},
    /* 43 */ {{GOOD, .fits = false}, WF_LCI_COOKIE},
    /* 44 */ {{GOOD, .fits = false, .validated = true}, WF_LCI_ANSWER},
    /* 45 */ {{GOOD, .under_load = true}, WF_LCI_COOKIE},
};

static void test_init_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(init_rows) / sizeof(init_rows[0]); i++) {
		enum wf_lci_act got = wf_lc_initiation(&init_rows[i].f);

		if (got != init_rows[i].want)
			fail_msg("row %zu: action %d, want %d", i + 30, got, init_rows[i].want);
	}
}

/* handshake.c's pipeline as it was before the rule was a core of its own
 * (receive_init, handle_init, judge), run to its end with every fact. */
static enum wf_lci_act naive_init(const struct wf_lc_init *f)
{
	if (f->under_load && !f->validated)
		return WF_LCI_COOKIE; /* send_cookie */
	if (f->under_load && !f->rate_ok)
		return WF_LCI_DROP_RATE;
	if (!f->readable)
		return WF_LCI_DROP_MALFORMED; /* read_init */
	if (f->own_key)
		return WF_LCI_OURS; /* initiated_by_us */
	if (f->verdict == WF_INIT_BUSY)
		return WF_LCI_COOKIE;
	if (f->verdict == WF_INIT_REPLAY || f->verdict == WF_INIT_DUPLICATE)
		return WF_LCI_DROP_REPLAY;
	if (f->verdict == WF_INIT_FUTURE)
		return WF_LCI_DROP_CLOCK;
	if (!f->cert_ok)
		return WF_LCI_DROP_CERT; /* init_cert */
	if (!f->validated && !f->fits)
		return WF_LCI_COOKIE;
	return WF_LCI_ANSWER;
}

/* The daemon's use: ask after each stage, spend the next only on GO. */
static enum wf_lci_act staged(struct wf_lc_init f, int *spent)
{
	enum wf_lci_act a = WF_LCI_GO;

	*spent = 0;
	for (int st = ARR; st <= CRT && a == WF_LCI_GO; st++) {
		f.stage = (enum wf_lci_stage)st;
		if (st > ARR)
			(*spent)++;
		a = wf_lc_initiation(&f);
	}
	return a;
}

/* 46: every combination of facts: the staged rule ends as the pipeline did;
 * no answer goes under load to an address that did not prove itself, nor a
 * larger one than the question to any such address; nothing is answered
 * that was not read, judged new and certified; and no stage's work is spent
 * after a decision. */
static void test_init_all(void **state)
{
	(void)state;
	for (unsigned r = 0; r < 1u << 9; r++) {
		for (int v = WF_INIT_ACCEPT; v <= WF_INIT_BUSY; v++) {
			struct wf_lc_init f = {
			    .under_load = r & 1, .validated = r >> 1 & 1, .rate_ok = r >> 2 & 1,
			    .readable = r >> 3 & 1, .own_key = r >> 4 & 1,
			    .verdict = (enum wf_init_verdict)v, .cert_ok = r >> 5 & 1,
			    .fits = r >> 6 & 1,
			};
			int spent;
			enum wf_lci_act got = staged(f, &spent), want = naive_init(&f);

			if (got != want)
				fail_msg("facts %#x verdict %d: %d, the pipeline %d", r, v, got, want);
			if (got == WF_LCI_ANSWER) {
				assert_true(f.validated || (!f.under_load && f.fits));
				assert_true(f.readable && !f.own_key && v == WF_INIT_ACCEPT &&
					    f.cert_ok);
				assert_int_equal(spent, 2);
			}
			/* A decision at arrival spends nothing (no DH). */
			if (f.under_load && (!f.validated || !f.rate_ok))
				assert_int_equal(spent, 0);
		}
	}
}

/* --- a session proven ----------------------------------------------------- */

static int at(const enum wf_lc_step *s, size_t n, enum wf_lc_step x)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == x)
			return (int)i;
	return -1;
}

/* 47-50: rows, the steps in full. */
static void test_proven_rows(void **state)
{
	static const struct {
		struct wf_lc_proof f;
		enum wf_lc_step want[WF_LCS_MAX];
	} proof_rows[] = {
	    /* 47: our initiation answered, nothing waits */
	    {{.we_initiated = true},
	     {WF_LCS_INSTALL, WF_LCS_PROVEN, WF_LCS_ENDPOINT, WF_LCS_PUBLISH, WF_LCS_READY,
	      WF_LCS_DROP_OLD, WF_LCS_DATAPATH, WF_LCS_TIMERS, WF_LCS_KEEPALIVE, WF_LCS_MEMBERS}},
	    /* 48: the first packet on keys we answered with, packets wait, they crossed */
	    {{.other_hs = true, .staged = true},
	     {WF_LCS_ABORT_HS, WF_LCS_INSTALL, WF_LCS_PROVEN, WF_LCS_PUBLISH, WF_LCS_READY,
	      WF_LCS_DROP_OLD, WF_LCS_DATAPATH, WF_LCS_TIMERS, WF_LCS_FLUSH, WF_LCS_MEMBERS}},
	    /* 49: the responder, nothing waits: it sends nothing */
	    {{0},
	     {WF_LCS_INSTALL, WF_LCS_PROVEN, WF_LCS_PUBLISH, WF_LCS_READY, WF_LCS_DROP_OLD,
	      WF_LCS_DATAPATH, WF_LCS_TIMERS, WF_LCS_MEMBERS}},
	    /* 50: ... on the kernel path, a keepalive once its SAs are in */
	    {{.kernel = true},
	     {WF_LCS_INSTALL, WF_LCS_PROVEN, WF_LCS_PUBLISH, WF_LCS_READY, WF_LCS_DROP_OLD,
	      WF_LCS_DATAPATH, WF_LCS_TIMERS, WF_LCS_KEEPALIVE_SA, WF_LCS_MEMBERS}},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(proof_rows) / sizeof(proof_rows[0]); i++) {
		enum wf_lc_step got[WF_LCS_MAX];
		size_t n = wf_lc_proven(&proof_rows[i].f, got), k = 0;

		while (k < WF_LCS_MAX && proof_rows[i].want[k] != WF_LCS_END)
			k++;
		assert_int_equal(n, k);
		for (size_t j = 0; j <= n; j++)
			if (got[j] != proof_rows[i].want[j])
				fail_msg("row %zu step %zu: %d, want %d", i + 47, j, got[j],
					 proof_rows[i].want[j]);
	}
}

/* 51: every combination: what the order must keep (lifecycle_hs.c). */
static void test_proven_order(void **state)
{
	(void)state;
	for (unsigned r = 0; r < 16; r++) {
		struct wf_lc_proof f = {.we_initiated = r & 1, .other_hs = r >> 1 & 1,
					.staged = r >> 2 & 1, .kernel = r >> 3 & 1};
		enum wf_lc_step s[WF_LCS_MAX];
		size_t n = wf_lc_proven(&f, s);
		int sends = (at(s, n, WF_LCS_FLUSH) >= 0) + (at(s, n, WF_LCS_KEEPALIVE) >= 0) +
			    (at(s, n, WF_LCS_KEEPALIVE_SA) >= 0);
		int send = at(s, n, f.staged ? WF_LCS_FLUSH : WF_LCS_KEEPALIVE);

		assert_true(n < WF_LCS_MAX && s[n] == WF_LCS_END);
		assert_int_equal(at(s, n, WF_LCS_ABORT_HS), f.other_hs ? 0 : -1);
		assert_true((at(s, n, WF_LCS_ENDPOINT) >= 0) == f.we_initiated);
		assert_true(at(s, n, WF_LCS_INSTALL) >= 0);
		/* routes claimed and published before the keys are ready */
		assert_true(at(s, n, WF_LCS_PROVEN) < at(s, n, WF_LCS_PUBLISH));
		assert_true(at(s, n, WF_LCS_PUBLISH) < at(s, n, WF_LCS_READY));
		assert_true(at(s, n, WF_LCS_INSTALL) < at(s, n, WF_LCS_READY));
		/* the old keys go once the new are ready; the data path after */
		assert_true(at(s, n, WF_LCS_READY) < at(s, n, WF_LCS_DROP_OLD));
		assert_true(at(s, n, WF_LCS_READY) < at(s, n, WF_LCS_DATAPATH));
		/* one send at most, after the data path and the timers */
		assert_true(sends <= 1);
		if (f.staged || f.we_initiated) {
			assert_true(send > at(s, n, WF_LCS_DATAPATH));
			assert_true(send > at(s, n, WF_LCS_TIMERS));
		}
		assert_int_equal(at(s, n, WF_LCS_MEMBERS), (int)n - 1);
	}
}

/* --- traffic, a response, what members tell ----------------------------------- */

enum { SEND = WF_LCT_SEND, STAGE = WF_LCT_STAGE, CALL = WF_LCT_INITIATE };

/* 52-59: traffic at the control thread. */
static void test_traffic_rows(void **state)
{
	static const struct {
		struct wf_lc_peer f;
		bool hs;
		unsigned want;
	} traffic_rows[] = {
	    /* 52 */ {{.endpoint = true}, false, STAGE | CALL},
	    /* 53: a first call does not wait out a tie-break */
	    /* 53 */ {{.endpoint = true, .next_ms = NOW + 500}, false, STAGE | CALL},
	    /* 54 */ {{.endpoint = true, .next_ms = NOW + 500, .attempts = 1}, false, STAGE},
	    /* 55 */ {{.endpoint = true}, true, STAGE},
	    /* 56: keys, but nowhere to send */
	    /* 56 */ {{.keys = true}, false, STAGE | CALL},
	    /* 57 */ {{UP}, false, SEND},
	    /* 58: make before break */
	    /* 58 */ {{UP, .rekey_due = true}, false, SEND | CALL},
	    /* 59 */ {{UP, .rekey_due = true, .next_ms = NOW + 1}, false, SEND},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(traffic_rows) / sizeof(traffic_rows[0]); i++) {
		unsigned got = wf_lc_traffic(&traffic_rows[i].f, traffic_rows[i].hs, NOW);

		if (got != traffic_rows[i].want)
			fail_msg("row %zu: %#x, want %#x", i + 52, got, traffic_rows[i].want);
	}
}

/* send.c's tx_keys as it was, for the control thread. */
static unsigned naive_traffic(const struct wf_lc_peer *f, bool hs, int64_t now)
{
	if (!f->keys || !f->endpoint) {
		if (!hs && (now >= f->next_ms || !f->attempts))
			return STAGE | CALL;
		return STAGE;
	}
	if (!hs && now >= f->next_ms && f->rekey_due)
		return SEND | CALL;
	return SEND;
}

/* 60: random facts, the rule and tx_keys as it was agree; and nothing is
 * ever both sent and staged, or neither. */
static void test_traffic_differential(void **state)
{
	(void)state;
	for (long i = 0; i < 200000; i++) {
		uint64_t r = rnd();
		struct wf_lc_peer f = {.keys = r & 1, .endpoint = r >> 1 & 1, .rekey_due = r >> 2 & 1,
				       .attempts = (unsigned)(r >> 3 & 3),
				       .next_ms = NOW - 2 + (int64_t)(r >> 5 & 3)};
		bool hs = r >> 7 & 1;
		unsigned got = wf_lc_traffic(&f, hs, NOW);

		assert_int_equal(got, naive_traffic(&f, hs, NOW));
		assert_true(!(got & SEND) != !(got & STAGE));
	}
}

/* 61-66: a response to our initiation. */
static void test_response_rows(void **state)
{
	static const struct {
		struct wf_lc_resp f;
		enum wf_lcr_act want;
	} resp_rows[] = {
	    /* 61 */ {{.readable = true, .cert_ok = true}, WF_LCR_TAKE},
	    /* 62 */ {{0}, WF_LCR_DROP_MALFORMED},
	    /* 63 */ {{.readable = true}, WF_LCR_DROP_CERT},
	    /* 64: a member with ca.crt and its own key answers for another */
	    /* 64 */ {{.readable = true, .cert_ok = true, .other = true}, WF_LCR_DROP_OTHER},
	    /* 65 */ {{.readable = true, .cert_ok = true, .own_key = true}, WF_LCR_DROP_OURS},
	    /* 66: a certificate refused first, whoever it claims to be */
	    /* 66 */ {{.readable = true, .other = true, .own_key = true}, WF_LCR_DROP_CERT},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(resp_rows) / sizeof(resp_rows[0]); i++)
		if (wf_lc_response(&resp_rows[i].f) != resp_rows[i].want)
			fail_msg("row %zu: %d, want %d", i + 61, wf_lc_response(&resp_rows[i].f),
				 resp_rows[i].want);
}

/* 67-73: what members tell; forgetting; revocation. */
static void test_told_rows(void **state)
{
	static const struct {
		struct wf_lc_told f;
		enum wf_lcm_act want;
	} told_rows[] = {
	    /* 67 */ {{.decoded = true, .solicited = true, .cert_ok = true}, WF_LCM_LEARN},
	    /* 68 */ {{.decoded = true, .solicited = true, .cert_ok = true, .known = true},
		      WF_LCM_CONFIRM},
	    /* 69 */ {{0}, WF_LCM_DROP_MALFORMED},
	    /* 70: nobody asked: no signature check, whatever it carries */
	    /* 70 */ {{.decoded = true, .cert_ok = true, .known = true}, WF_LCM_DROP_UNSOLICITED},
	    /* 71 */ {{.decoded = true, .solicited = true, .known = true}, WF_LCM_DROP_CERT},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(told_rows) / sizeof(told_rows[0]); i++)
		if (wf_lc_told(&told_rows[i].f) != told_rows[i].want)
			fail_msg("row %zu: %d, want %d", i + 67, wf_lc_told(&told_rows[i].f),
				 told_rows[i].want);
	/* 72: a forgotten member's peer goes, unless its session is up */
	assert_true(wf_lc_forget(true, false));
	assert_false(wf_lc_forget(true, true));
	assert_false(wf_lc_forget(false, false));
	/* 73: a revoked one goes, whatever else holds */
	assert_true(wf_lc_revoked(true));
	assert_false(wf_lc_revoked(false));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rows),
	    cmocka_unit_test(test_differential),
	    cmocka_unit_test(test_init_rows),
	    cmocka_unit_test(test_init_all),
	    cmocka_unit_test(test_proven_rows),
	    cmocka_unit_test(test_proven_order),
	    cmocka_unit_test(test_traffic_rows),
	    cmocka_unit_test(test_traffic_differential),
	    cmocka_unit_test(test_response_rows),
	    cmocka_unit_test(test_told_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
