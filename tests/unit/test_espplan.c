/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/core/espplan.c: what a pair of nodes does (userspace,
 * ESP, ESP in UDP), the handshake's datapath TLV, and the steps that take a
 * peer's kernel state where its session wants it. Rows first (a session's
 * life: first contact on each side, a rekey, hard expiry, the path turned
 * off), then a random walk through sessions checked step by step for what
 * must always hold, and its end states against a naive restatement.
 *
 * Cases are numbered so that a failure names its case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/esp.h"

enum { CUR = WF_ESP_KP_CURRENT, PREV = WF_ESP_KP_PREVIOUS };

/* 1: a pair's mode, every combination of flags and ports */
static void test_pair_mode(void **state)
{
	const struct {
		uint8_t a, b;
		uint16_t pa, pb;
		enum wf_esp_mode want;
	} rows[] = {
	    {0, 0, 0, 0, WF_ESP_OFF},
	    {WF_ESP_CAP_KERNEL, 0, 51821, 51821, WF_ESP_OFF}, /* a mixed pair */
	    {0, WF_ESP_CAP_KERNEL, 51821, 51821, WF_ESP_OFF},
	    {WF_ESP_CAP_KERNEL, WF_ESP_CAP_KERNEL, 0, 0, WF_ESP_PLAIN},
	    {WF_ESP_CAP_KERNEL, WF_ESP_CAP_KERNEL, 51821, 51821, WF_ESP_PLAIN},
	    {WF_ESP_CAP_KERNEL | WF_ESP_CAP_UDP, WF_ESP_CAP_KERNEL, 51821, 4000, WF_ESP_UDP},
	    {WF_ESP_CAP_KERNEL, WF_ESP_CAP_KERNEL | WF_ESP_CAP_UDP, 51821, 4000, WF_ESP_UDP},
	    {WF_ESP_CAP_KERNEL | WF_ESP_CAP_UDP, WF_ESP_CAP_KERNEL, 0, 4000, WF_ESP_OFF},
	    {WF_ESP_CAP_KERNEL, WF_ESP_CAP_KERNEL | WF_ESP_CAP_UDP, 51821, 0, WF_ESP_OFF},
	    {WF_ESP_CAP_UDP, WF_ESP_CAP_KERNEL | WF_ESP_CAP_UDP, 1, 1, WF_ESP_OFF},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct wf_esp_caps a = {rows[i].a, rows[i].pa}, b = {rows[i].b, rows[i].pb};

		if (wf_esp_pair_mode(&a, &b) != rows[i].want || wf_esp_pair_mode(&b, &a) != rows[i].want)
			fail_msg("row %zu: mode %d/%d, want %d", i, wf_esp_pair_mode(&a, &b),
				 wf_esp_pair_mode(&b, &a), rows[i].want);
	}
}

/* 2: the TLV's value: three bytes, the port little-endian, unknown flags
 * dropped, any other length refused */
static void test_caps_wire(void **state)
{
	const struct wf_esp_caps c = {WF_ESP_CAP_KERNEL | WF_ESP_CAP_UDP, 0xcb6d};
	uint8_t b[WF_ESP_CAPS_LEN + 1] = {0};
	struct wf_esp_caps d;

	(void)state;
	wf_esp_caps_encode(&c, b);
	assert_int_equal(b[0], 3);
	assert_int_equal(b[1], 0x6d);
	assert_int_equal(b[2], 0xcb);
	assert_true(wf_esp_caps_decode(&d, b, WF_ESP_CAPS_LEN));
	assert_int_equal(d.flags, c.flags);
	assert_int_equal(d.port, c.port);
	b[0] = 0xff;
	assert_true(wf_esp_caps_decode(&d, b, WF_ESP_CAPS_LEN));
	assert_int_equal(d.flags, WF_ESP_CAP_KERNEL | WF_ESP_CAP_UDP);
	assert_false(wf_esp_caps_decode(&d, b, WF_ESP_CAPS_LEN - 1));
	assert_false(wf_esp_caps_decode(&d, b, WF_ESP_CAPS_LEN + 1));
}

/* --- Steps ------------------------------------------------------------------ */

/* The steps as a string, e.g. "in0 polin out0 polout": what the rows say. */
static void steps_str(const struct wf_esp_step *v, unsigned n, char *out, size_t cap)
{
	static const char *const names[] = {
	    [WF_ESP_ADD_IN] = "in",	     [WF_ESP_POL_IN_ADD] = "polin",
	    [WF_ESP_ADD_OUT] = "out",	     [WF_ESP_POL_OUT_ADD] = "polout",
	    [WF_ESP_POL_OUT_DEL] = "-polout", [WF_ESP_DEL_OUT] = "-out",
	    [WF_ESP_POL_IN_DEL] = "-polin",  [WF_ESP_DEL_IN] = "-in",
	    [WF_ESP_REKEY] = "rekey",
	};
	size_t len = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < n; i++) {
		bool sa = v[i].kind == WF_ESP_ADD_IN || v[i].kind == WF_ESP_DEL_IN ||
			  v[i].kind == WF_ESP_ADD_OUT || v[i].kind == WF_ESP_DEL_OUT;

		len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? " " : "", names[v[i].kind]);
		if (sa)
			len += (size_t)snprintf(out + len, cap - len, "%u", v[i].kp);
	}
}

/* Plan s, check the steps against want, and apply them. */
static void expect(int row, struct wf_esp_state *s, const char *want)
{
	struct wf_esp_step v[WF_ESP_STEPS_MAX];
	unsigned n = wf_esp_plan(s, v);
	char got[256];

	steps_str(v, n, got, sizeof(got));
	if (strcmp(got, want))
		fail_msg("row %d: steps \"%s\", want \"%s\"", row, got, want);
	for (unsigned i = 0; i < n; i++)
		wf_esp_apply(s, &v[i]);
}

/* The session rotates: a new current keypair, the old one previous. */
static void rotate(struct wf_esp_state *s, bool esp, bool confirmed)
{
	s->kp[PREV] = s->kp[CUR];
	s->kp[CUR] = (struct wf_esp_kp){.present = true, .esp = esp, .confirmed = confirmed};
}

/* 3: an initiator's life: the response (inbound only), the responder's
 * first packet (outbound, then routes), a rekey (new inbound; the old
 * outbound goes on until the new one is confirmed, then it is replaced), the
 * old keypair's end, the path turned off */
static void test_initiator(void **state)
{
	struct wf_esp_state s = {.on = true};

	(void)state;
	rotate(&s, true, false);
	expect(301, &s, "in0 polin");
	expect(302, &s, ""); /* nothing more until the peer has it */
	s.kp[CUR].confirmed = true;
	expect(303, &s, "out0 polout");
	rotate(&s, true, false);
	expect(304, &s, "in0"); /* the outbound of kp 1 (previous) stays */
	s.kp[CUR].confirmed = true;
	expect(305, &s, "out0 -out1");
	s.kp[PREV] = (struct wf_esp_kp){0}; /* dropped: the daemon deleted its SAs */
	expect(306, &s, "");
	s.on = false;
	expect(307, &s, "-polout -out0 -polin -in0");
}

/* 4: a responder's keypair is confirmed when it is proven: inbound and
 * outbound at once, inbound first */
static void test_responder(void **state)
{
	struct wf_esp_state s = {.on = true};

	(void)state;
	rotate(&s, true, true);
	expect(401, &s, "in0 polin out0 polout");
	rotate(&s, true, true);
	expect(402, &s, "in0 out0 -out1");
}

/* 5: an outbound SA the kernel deleted (hard limit) is never added again
 * with the same keys: the peer falls back to userspace and a rekey is
 * asked for, until a new keypair comes */
static void test_hard_expiry(void **state)
{
	struct wf_esp_state s = {.on = true};

	(void)state;
	rotate(&s, true, true);
	expect(501, &s, "in0 polin out0 polout");
	s.kp[CUR].out_sa = false; /* the kernel's hard expire */
	expect(502, &s, "-polout rekey");
	expect(503, &s, "rekey");
	rotate(&s, true, true);
	expect(504, &s, "in0 out0 polout");
}

/* 6: a session made on the userspace path (the peer or we turned the
 * kernel path off) takes the pair off the kernel: no new SAs, the old
 * outbound goes; the old keypair's inbound stays while it lives */
static void test_to_userspace(void **state)
{
	struct wf_esp_state s = {.on = true};

	(void)state;
	rotate(&s, true, true);
	expect(601, &s, "in0 polin out0 polout");
	rotate(&s, false, true);
	expect(602, &s, "-polout -out1");
	s.kp[PREV] = (struct wf_esp_kp){0};
	expect(603, &s, "-polin");
}

/* 7: a keypair whose SAs were removed (the path turned off and on) is not
 * used for SAs again: a rekey, and the next keypair has them */
static void test_no_reuse(void **state)
{
	struct wf_esp_state s = {.on = true};

	(void)state;
	rotate(&s, true, true);
	expect(701, &s, "in0 polin out0 polout");
	s.on = false;
	expect(702, &s, "-polout -out0 -polin -in0");
	s.on = true;
	expect(703, &s, "rekey"); /* neither SA comes back with those keys */
	rotate(&s, true, false);
	expect(704, &s, "in0 polin");
}

/* 9: the kernel removed an inbound SA: not made again with those keys (its
 * replay window would start again); a rekey is asked for, the outbound
 * stays meanwhile */
static void test_inbound_lost(void **state)
{
	struct wf_esp_state s = {.on = true};

	(void)state;
	rotate(&s, true, true);
	expect(901, &s, "in0 polin out0 polout");
	s.kp[CUR].in_sa = false;
	expect(902, &s, "-polin rekey");
	rotate(&s, true, false);
	expect(903, &s, "in0 polin");
}

/* --- The random walk ----------------------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* What the kernel should hold, restated from the rules as a sysadmin would
 * say them, without the planner's structure. */
struct want {
	bool in[WF_ESP_KPS], out[WF_ESP_KPS], in_pol, out_pol;
};

static struct want naive(const struct wf_esp_state *s)
{
	struct want w = {0};
	const struct wf_esp_kp *c = &s->kp[CUR], *p = &s->kp[PREV];

	if (!s->on)
		return w;
	for (int k = 0; k < WF_ESP_KPS; k++)
		w.in[k] = s->kp[k].present && s->kp[k].esp && !(s->kp[k].in_used && !s->kp[k].in_sa);
	w.in_pol = w.in[CUR] || w.in[PREV];
	/* Send with the current keys if the peer has them and they may go in
	 * an SA; with the previous ones if the current ones are not known
	 * to the peer yet and the previous SA is still there. */
	if (c->present && c->esp && c->confirmed && !(c->out_used && !c->out_sa))
		w.out[CUR] = true;
	else if (c->present && c->esp && !c->confirmed && p->present && p->esp && p->out_sa)
		w.out[PREV] = true;
	w.out_pol = w.out[CUR] || w.out[PREV];
	return w;
}

static void check_end(long i, const struct wf_esp_state *s)
{
	struct want w = naive(s);
	struct wf_esp_step v[WF_ESP_STEPS_MAX];
	unsigned n = wf_esp_plan(s, v);

	for (int k = 0; k < WF_ESP_KPS; k++)
		if (s->kp[k].in_sa != w.in[k] || s->kp[k].out_sa != w.out[k])
			fail_msg("walk %ld: kp %d in %d out %d, naive in %d out %d", i, k,
				 s->kp[k].in_sa, s->kp[k].out_sa, w.in[k], w.out[k]);
	if (s->in_pol != w.in_pol || s->out_pol != w.out_pol)
		fail_msg("walk %ld: policies in %d out %d, naive %d %d", i, s->in_pol, s->out_pol,
			 w.in_pol, w.out_pol);
	/* A second plan has nothing left to do (a rekey is asked for
	 * until it comes). */
	if (n > 1 || (n == 1 && v[0].kind != WF_ESP_REKEY))
		fail_msg("walk %ld: %u steps after the plan", i, n);
}

static bool any_out(const struct wf_esp_state *s)
{
	return s->kp[CUR].out_sa || s->kp[PREV].out_sa;
}

/* What must hold at every step: no outbound SA twice with one key; no step
 * leads routes to where no outbound SA is (the kernel's hard expire may,
 * between plans); a peer that keeps an outbound SA through the plan never
 * goes without one. */
static void check_step(long i, struct wf_esp_state *s, const struct wf_esp_step *st,
		       bool keep_out)
{
	bool dangling = s->out_pol && !any_out(s);

	if (st->kind == WF_ESP_ADD_OUT && s->kp[st->kp].out_used)
		fail_msg("walk %ld: outbound SA added twice with kp %u's keys", i, st->kp);
	if (st->kind == WF_ESP_ADD_IN && !(s->kp[st->kp].present && s->kp[st->kp].esp))
		fail_msg("walk %ld: inbound SA for kp %u that has no ESP keys", i, st->kp);
	if (st->kind == WF_ESP_ADD_IN && s->kp[st->kp].in_used)
		fail_msg("walk %ld: inbound SA added twice with kp %u's keys", i, st->kp);
	wf_esp_apply(s, st);
	if (!dangling && s->out_pol && !any_out(s))
		fail_msg("walk %ld: routes into the interface and no outbound SA", i);
	if (keep_out && !any_out(s))
		fail_msg("walk %ld: the outbound went before its successor came", i);
}

/* A session's events: what the daemon and the kernel do to the state. */
static void event(struct wf_esp_state *s)
{
	switch (rnd(8)) {
	case 0:
	case 1:
		rotate(s, rnd(5) != 0, rnd(2));
		break;
	case 2:
		s->kp[CUR].confirmed |= s->kp[CUR].present;
		break;
	case 3: /* the previous keypair expired; its SAs went with it */
		if (s->kp[PREV].present) {
			s->kp[PREV] = (struct wf_esp_kp){0};
		}
		break;
	case 4: /* a hard expire */
		s->kp[rnd(2)].out_sa = false;
		break;
	case 5:
		s->kp[rnd(2)].in_sa = false;
		break;
	case 6:
		s->on = !s->on;
		break;
	default:
		break;
	}
}

/* 8: a hundred thousand walks of twenty events */
static void test_walk(void **state)
{
	(void)state;
	for (long i = 0; i < 100000; i++) {
		struct wf_esp_state s = {.on = rnd(4) != 0};

		for (int e = 0; e < 20; e++) {
			struct wf_esp_step v[WF_ESP_STEPS_MAX];
			unsigned n;
			bool keep;

			event(&s);
			n = wf_esp_plan(&s, v);
			keep = any_out(&s) && naive(&s).out_pol;
			for (unsigned k = 0; k < n; k++)
				check_step(i, &s, &v[k], keep);
			check_end(i, &s);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pair_mode),  cmocka_unit_test(test_caps_wire),
	    cmocka_unit_test(test_initiator),  cmocka_unit_test(test_responder),
	    cmocka_unit_test(test_hard_expiry), cmocka_unit_test(test_to_userspace),
	    cmocka_unit_test(test_no_reuse),   cmocka_unit_test(test_inbound_lost),
	    cmocka_unit_test(test_walk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
