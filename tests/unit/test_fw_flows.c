/* SPDX-License-Identifier: MIT */
/*
 * The firewall's connection tracking (src/core/fw_flows.c): numbered steps
 * of scenarios (a reply to an allowed outbound flow passes, an unsolicited
 * inbound packet is dropped, replies to allowed inbound flows pass the
 * outbound rules, timeouts end flows, a new rule set is asked about old
 * flows, a flow opened on one thread is handed to the table that will see
 * its answers), the table's bound under a flood, and a randomized
 * differential test against a naive model: an unbounded list of flows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/firewall.h"
#include "../common/fwpkt.h"

#define IN    WF_FW_IN
#define OUT   WF_FW_OUT
#define ALLOW WF_FW_ALLOW
#define DROP  WF_FW_DROP

/* Short, distinct timeouts, so that each shows. */
static const struct wf_fw_timeouts to = {
    .tcp_new = 1000,
    .tcp_est = 50000,
    .tcp_close = 2000,
    .udp_new = 3000,
    .udp_est = 9000,
    .icmp = 4000,
};

static struct wf_fw_names *names;
static struct wf_fw_ident peer1, peer2, admin;

static int setup(void **state)
{
	struct wf_cert c;

	names = wf_fw_names_new();
	assert_non_null(names);
	assert_true(wf_fw_names_intern(names, WF_FW_GROUP, "admin"));
	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "p1");
	wf_fw_ident_make(names, &c, 1, &peer1);
	snprintf(c.name, sizeof(c.name), "p2");
	wf_fw_ident_make(names, &c, 2, &peer2);
	snprintf(c.name, sizeof(c.name), "root");
	c.n_groups = 1;
	snprintf(c.groups[0], sizeof(c.groups[0]), "admin");
	wf_fw_ident_make(names, &c, 3, &admin);
	return 0;
}

static int teardown(void **state)
{
	wf_fw_names_free(names);
	return 0;
}

/* A rule set of up to 8 rules, "in RULE" or "out RULE". */
static struct wf_fw_rules *rules(uint32_t gen, const char *const *lines)
{
	struct wf_fw_spec specs[8];
	struct wf_fw_rules *rs;
	char err[128];
	unsigned n = 0;

	for (; lines[n]; n++) {
		bool in = !strncmp(lines[n], "in ", 3);

		assert_true(n < 8);
		if (!wf_fw_rule_parse(in ? IN : OUT, lines[n] + (in ? 3 : 4), &specs[n], err,
				      sizeof(err)))
			fail_msg("rule '%s': %s", lines[n], err);
	}
	rs = wf_fw_rules_new(specs, n, names, gen);
	assert_non_null(rs);
	return rs;
}

struct step {
	int dir;
	const struct wf_fw_ident *peer;
	int64_t at;
	int want;
};

static uint8_t pkt[PK_MAX];
static size_t pkt_len;

/* Judge the packet in pkt; a wrong verdict names the scenario's step. */
static void judge(struct wf_fw_flows *ft, const struct wf_fw_rules *rs, int step, int dir,
		  const struct wf_fw_ident *peer, int64_t at, int want)
{
	struct wf_fw_pkt p = pk_facts(pkt, pkt_len);
	int got =
	    (int)wf_fw_filter(ft, rs, (enum wf_fw_dir)dir, peer, &p, WF_FW_NO_OWNER, at, NULL);

	if (got != want)
		fail_msg("step %d: %s, want %s", step, got == ALLOW ? "allowed" : "dropped",
			 want == ALLOW ? "allowed" : "dropped");
}

#define TCP(s, d, sp, dp, fl) (pkt_len = pk_tcp(pkt, s, d, sp, dp, fl))
#define UDP(s, d, sp, dp)     (pkt_len = pk_udp(pkt, s, d, sp, dp))
#define ECHO(s, d, reply, id) (pkt_len = pk_echo(pkt, s, d, reply, id))

#define ME  "100.64.0.1"
#define HIM "100.64.0.2"

/* 1-3: no rules, no work. */
static void test_fast_path(void **state)
{
	static const char *const none[] = {NULL};
	struct wf_fw_flows *ft = wf_fw_flows_new(64, 0, 1, &to);
	struct wf_fw_rules *empty = rules(1, none);

	TCP(HIM, ME, 1, 22, PK_SYN);
	judge(ft, NULL, 1, IN, &peer1, 0, ALLOW);
	judge(ft, empty, 2, IN, &peer1, 0, ALLOW);
	assert_int_equal(wf_fw_flows_stats(ft)->created, 0); /* 3: nothing tracked */
	assert_int_equal(wf_fw_flows_count(ft, 0), 0);
	wf_fw_rules_free(empty);
	wf_fw_flows_free(ft);
}

/* Nothing comes in but answers: inbound "drop any", no outbound rules. */
static void test_answers_to_outbound(void **state)
{
	static const char *const lines[] = {"in drop any", NULL};
	struct wf_fw_flows *ft = wf_fw_flows_new(1024, 0, 7, &to);
	struct wf_fw_rules *rs = rules(1, lines);
	uint8_t q[PK_MAX];
	size_t qn;

	TCP(ME, HIM, 40000, 80, PK_SYN);
	judge(ft, rs, 1, OUT, &peer1, 0, ALLOW); /* 1: we connect */
	TCP(HIM, ME, 80, 40000, PK_SYN | PK_ACK);
	judge(ft, rs, 2, IN, &peer1, 10, ALLOW); /* 2: its answer */
	TCP(HIM, ME, 5555, 22, PK_SYN);
	judge(ft, rs, 3, IN, &peer1, 20, DROP); /* 3: unsolicited */
	TCP(HIM, ME, 80, 40001, PK_ACK);
	judge(ft, rs, 4, IN, &peer1, 30, DROP); /* 4: another port */
	TCP(HIM, ME, 80, 40000, PK_ACK);
	judge(ft, rs, 5, IN, &peer2, 40, DROP);	 /* 5: another peer */
	judge(ft, rs, 6, IN, &peer1, 50, ALLOW); /* 6: the flow stayed */
	UDP(ME, HIM, 5000, 53);
	judge(ft, rs, 7, OUT, &peer1, 100, ALLOW);
	UDP(HIM, ME, 53, 5000);
	judge(ft, rs, 8, IN, &peer1, 200, ALLOW); /* 8: a UDP answer */
	UDP(ME, HIM, 5001, 53);
	judge(ft, rs, 9, OUT, &peer1, 1000, ALLOW);
	UDP(HIM, ME, 53, 5001);
	judge(ft, rs, 10, IN, &peer1, 1000 + to.udp_new + 1, DROP); /* 10: too late */
	UDP(HIM, ME, 53, 5000);
	judge(ft, rs, 11, IN, &peer1, 200 + to.udp_new + 1, ALLOW); /* 11: answered: longer */
	judge(ft, rs, 12, IN, &peer1, 200 + to.udp_new + 2 + to.udp_est, DROP); /* 12: idle */
	ECHO(ME, HIM, false, 7);
	judge(ft, rs, 13, OUT, &peer1, 20000, ALLOW);
	ECHO(HIM, ME, true, 7);
	judge(ft, rs, 14, IN, &peer1, 20001, ALLOW); /* 14: echo reply */
	ECHO(HIM, ME, true, 8);
	judge(ft, rs, 15, IN, &peer1, 20002, DROP); /* 15: another identifier */
	ECHO(HIM, ME, false, 7);
	judge(ft, rs, 16, IN, &peer1, 20003, DROP); /* 16: a request is no reply */
	ECHO(HIM, ME, true, 7);
	judge(ft, rs, 17, IN, &peer1, 20004, ALLOW); /* 17: and the flow stayed */
	UDP(ME, HIM, 6000, 161);
	judge(ft, rs, 18, OUT, &peer1, 21000, ALLOW);
	qn = pk_udp(q, ME, HIM, 6000, 161);
	pkt_len = pk_unreach(pkt, HIM, ME, q, qn);
	judge(ft, rs, 19, IN, &peer1, 21001, ALLOW); /* 19: an error about it */
	qn = pk_udp(q, ME, HIM, 6001, 161);
	pkt_len = pk_unreach(pkt, HIM, ME, q, qn);
	judge(ft, rs, 20, IN, &peer1, 21002, DROP); /* 20: about nothing of ours */
	qn = pk_udp(q, ME, HIM, 6000, 161);
	pkt_len = pk_unreach(pkt, HIM, ME, q, qn);
	judge(ft, rs, 21, IN, &peer2, 21003, DROP); /* 21: from another peer */
	TCP(HIM, ME, 80, 40000, PK_RST);
	judge(ft, rs, 22, IN, &peer1, 30000, ALLOW); /* 22: it resets */
	TCP(HIM, ME, 80, 40000, PK_ACK);
	judge(ft, rs, 23, IN, &peer1, 30000 + to.tcp_close + 1, DROP); /* 23: closed */
	TCP(ME, HIM, 40000, 80, PK_SYN);
	judge(ft, rs, 24, OUT, &peer1, 40000, ALLOW); /* 24: same ports, anew */
	TCP(HIM, ME, 80, 40000, PK_SYN | PK_ACK);
	judge(ft, rs, 25, IN, &peer1, 40001, ALLOW);
	TCP(ME, HIM, 40000, 80, PK_FIN | PK_ACK);
	judge(ft, rs, 26, OUT, &peer1, 40002, ALLOW);
	TCP(HIM, ME, 80, 40000, PK_FIN | PK_ACK);
	judge(ft, rs, 27, IN, &peer1, 40003, ALLOW); /* 27: FIN each way */
	TCP(HIM, ME, 80, 40000, PK_ACK);
	judge(ft, rs, 28, IN, &peer1, 40003 + to.tcp_close + 1, DROP); /* 28: closed */
	wf_fw_rules_free(rs);
	wf_fw_flows_free(ft);
}

/* Answers to what was let in pass the outbound rules. */
static void test_answers_to_inbound(void **state)
{
	static const char *const lines[] = {"in allow tcp 22 from group admin", "in drop any",
					    "out drop tcp", NULL};
	struct wf_fw_flows *ft = wf_fw_flows_new(1024, 0, 7, &to);
	struct wf_fw_rules *rs = rules(1, lines);

	TCP(HIM, ME, 50000, 22, PK_SYN);
	judge(ft, rs, 1, IN, &admin, 0, ALLOW); /* 1: an admin comes in */
	TCP(ME, HIM, 22, 50000, PK_SYN | PK_ACK);
	judge(ft, rs, 2, OUT, &admin, 1, ALLOW); /* 2: we answer */
	TCP(ME, HIM, 50001, 22, PK_SYN);
	judge(ft, rs, 3, OUT, &admin, 2, DROP); /* 3: we call: no */
	TCP(HIM, ME, 50002, 22, PK_SYN);
	judge(ft, rs, 4, IN, &peer1, 3, DROP); /* 4: not an admin */
	TCP(HIM, ME, 50000, 22, PK_ACK);
	judge(ft, rs, 5, IN, &admin, to.tcp_new, ALLOW); /* 5: established: long */
	judge(ft, rs, 6, IN, &admin, to.tcp_new + to.tcp_est - 1, ALLOW);
	wf_fw_rules_free(rs);
	wf_fw_flows_free(ft);
}

/* 1-5: a new rule set is asked about the flows of the old one. */
static void test_rules_change(void **state)
{
	static const char *const before[] = {"in drop any", NULL};
	static const char *const after[] = {"in drop any", "out drop tcp to " HIM, NULL};
	struct wf_fw_flows *ft = wf_fw_flows_new(1024, 0, 7, &to);
	struct wf_fw_rules *rs1 = rules(1, before), *rs2 = rules(2, after);

	TCP(ME, HIM, 40000, 80, PK_SYN);
	judge(ft, rs1, 1, OUT, &peer1, 0, ALLOW);
	TCP(ME, "100.64.0.3", 40000, 80, PK_SYN);
	judge(ft, rs1, 2, OUT, &peer2, 0, ALLOW);
	TCP(HIM, ME, 80, 40000, PK_ACK);
	judge(ft, rs2, 3, IN, &peer1, 10, DROP); /* 3: its opening is refused now */
	judge(ft, rs1, 4, IN, &peer1, 11, DROP); /* 4: and it was forgotten */
	TCP("100.64.0.3", ME, 80, 40000, PK_ACK);
	judge(ft, rs2, 5, IN, &peer2, 12, ALLOW); /* 5: still allowed: kept */
	wf_fw_rules_free(rs1);
	wf_fw_rules_free(rs2);
	wf_fw_flows_free(ft);
}

/* 1-7: a flow opened on one thread, answered on another. */
static void test_handoff(void **state)
{
	static const char *const lines[] = {"in drop any", NULL};
	struct wf_fw_flows *a = wf_fw_flows_new(256, 0, 7, &to),
			   *b = wf_fw_flows_new(256, 1, 8, &to);
	struct wf_fw_rules *rs = rules(1, lines);
	struct wf_fw_note note;
	struct wf_fw_pkt p;

	TCP(ME, HIM, 40000, 80, PK_SYN);
	p = pk_facts(pkt, pkt_len);
	assert_int_equal(wf_fw_filter(a, rs, OUT, &peer1, &p, 1, 0, &note), ALLOW);
	assert_true(note.valid); /* 1: b must know */
	TCP(HIM, ME, 80, 40000, PK_SYN | PK_ACK);
	judge(b, rs, 2, IN, &peer1, 1, DROP); /* 2: not yet */
	wf_fw_flows_adopt(b, &note, 2);
	judge(b, rs, 3, IN, &peer1, 3, ALLOW); /* 3: now it does */
	TCP(ME, HIM, 40000, 80, PK_ACK);
	p = pk_facts(pkt, pkt_len);
	assert_int_equal(wf_fw_filter(a, rs, OUT, &peer1, &p, 1, 4, &note), ALLOW);
	assert_false(note.valid); /* 4: told once */
	assert_int_equal(wf_fw_filter(a, rs, OUT, &peer1, &p, 2, 5, &note), ALLOW);
	assert_true(note.valid); /* 5: the peer moved */
	assert_int_equal(wf_fw_filter(a, rs, OUT, &peer1, &p, 0, 6, &note), ALLOW);
	assert_false(note.valid); /* 6: a's own */
	assert_int_equal(wf_fw_filter(a, rs, OUT, &peer1, &p, WF_FW_NO_OWNER, 7, &note), ALLOW);
	assert_false(note.valid); /* 7: nobody */
	assert_int_equal(wf_fw_flows_stats(b)->adopted, 1);
	wf_fw_rules_free(rs);
	wf_fw_flows_free(a);
	wf_fw_flows_free(b);
}

/* The bound: a table of 64 never holds more; the newest flows get in, and
 * answered flows outlive a flood of one-way ones. */
static void test_bound(void **state)
{
	static const char *const lines[] = {"in drop any", NULL};
	struct wf_fw_flows *ft = wf_fw_flows_new(10, 0, 99, &to);
	struct wf_fw_rules *rs = rules(1, lines);
	char dst[32];

	assert_int_equal(wf_fw_flows_capacity(ft), 64);
	UDP(ME, HIM, 7, 7);
	judge(ft, rs, 0, OUT, &peer1, 0, ALLOW);
	UDP(HIM, ME, 7, 7);
	judge(ft, rs, 0, IN, &peer1, 1, ALLOW); /* answered */
	for (int i = 0; i < 5000; i++) {	/* 5000 one-way flows */
		snprintf(dst, sizeof(dst), "100.64.%d.%d", 1 + i / 250, 1 + i % 250);
		UDP(ME, dst, 1000 + (unsigned)i % 7, 53);
		judge(ft, rs, i, OUT, &peer1, 2 + i / 10, ALLOW);
		if (wf_fw_flows_count(ft, 2 + i / 10) > 64)
			fail_msg("flow %d: %u flows in a table of 64", i,
				 wf_fw_flows_count(ft, 2 + i / 10));
	}
	assert_true(wf_fw_flows_stats(ft)->evicted >= 5000 - 64);
	UDP(dst, ME, 53, 1000 + 4999 % 7);
	judge(ft, rs, 5000, IN, &peer1, 600, ALLOW); /* the newest got in */
	UDP(HIM, ME, 7, 7);
	judge(ft, rs, 5001, IN, &peer1, 600, ALLOW); /* the answered one survived */
	UDP("100.64.1.1", ME, 53, 1000);
	judge(ft, rs, 5002, IN, &peer1, 600, DROP); /* the first one-way flow did not */
	wf_fw_rules_free(rs);
	wf_fw_flows_free(ft);
}

/* --- randomized, against an unbounded list of flows ------------------------ */

struct nflow {
	bool used;
	uint8_t family, proto, origin, state, fins;
	uint16_t lport, rport;
	uint8_t laddr[16], raddr[16];
	uint32_t peer;
	int64_t expires;
};

enum { NFLOWS = 4096, N_NEW = 0, N_EST = 1, N_CLOSING = 2 };
static struct nflow model[NFLOWS];

static uint32_t n_lifetime(const struct nflow *f)
{
	if (f->proto == IPPROTO_TCP)
		return f->state == N_NEW   ? to.tcp_new
		       : f->state == N_EST ? to.tcp_est
					   : to.tcp_close;
	if (f->proto == IPPROTO_ICMP || f->proto == IPPROTO_ICMPV6)
		return to.icmp;
	return f->state == N_NEW ? to.udp_new : to.udp_est;
}

static bool n_same(const struct nflow *f, const struct wf_fw_tuple *t, int dir)
{
	size_t al = t->family == AF_INET6 ? 16 : 4;
	const uint8_t *l = dir == OUT ? t->src : t->dst, *r = dir == OUT ? t->dst : t->src;
	uint16_t lp = dir == OUT ? t->sport : t->dport, rp = dir == OUT ? t->dport : t->sport;

	return f->used && f->family == t->family && f->proto == t->proto && f->lport == lp &&
	       f->rport == rp && !memcmp(f->laddr, l, al) && !memcmp(f->raddr, r, al);
}

static struct nflow *n_find(const struct wf_fw_tuple *t, int dir, int64_t now)
{
	for (int i = 0; i < NFLOWS; i++) {
		if (model[i].used && model[i].expires <= now)
			model[i].used = false;
		if (n_same(&model[i], t, dir))
			return &model[i];
	}
	return NULL;
}

static void n_seen(struct nflow *f, int dir, uint8_t flags, int64_t now)
{
	if (dir != f->origin && f->state == N_NEW)
		f->state = N_EST;
	if (f->proto == IPPROTO_TCP) {
		if (flags & PK_FIN)
			f->fins |= dir == f->origin ? 1 : 2;
		if ((flags & PK_RST) || f->fins == 3)
			f->state = N_CLOSING;
	}
	f->expires = now + n_lifetime(f);
}

/* The verdict the naive model gives (the rules themselves are
 * test_firewall's; here only whether tracking lets a packet through). */
static int n_filter(const struct wf_fw_rules *rs, int dir, const struct wf_fw_ident *peer,
		    const struct wf_fw_pkt *p, int64_t now)
{
	const struct wf_fw_rule *r;
	bool echo = p->kind == WF_FW_ECHO_REQ || p->kind == WF_FW_ECHO_REPLY;
	bool can = p->kind == WF_FW_PORTS || echo;
	struct nflow *f = can ? n_find(&p->t, dir, now) : NULL;
	int verdict;

	if (p->kind == WF_FW_ICMP_ERROR && p->has_inner) {
		struct nflow *g = n_find(&p->inner, dir == IN ? OUT : IN, now);

		if (g && g->peer == peer->peer)
			return ALLOW;
	}
	if (f && f->peer == peer->peer &&
	    (!echo || (p->kind == WF_FW_ECHO_REQ) == (dir == f->origin))) {
		bool reopen = f->state == N_CLOSING && dir == f->origin &&
			      (p->tcp_flags & (PK_SYN | PK_ACK)) == PK_SYN;

		if (!reopen) {
			n_seen(f, dir, p->tcp_flags, now);
			return ALLOW;
		}
		f->used = false;
	} else if (f) {
		r = wf_fw_match(rs, (enum wf_fw_dir)dir, peer, p);
		return r ? r->action : ALLOW;
	}
	r = wf_fw_match(rs, (enum wf_fw_dir)dir, peer, p);
	verdict = r ? r->action : ALLOW;
	if (verdict == ALLOW && can && p->kind != WF_FW_ECHO_REPLY &&
	    !(p->t.proto == IPPROTO_TCP && (p->tcp_flags & PK_RST))) {
		for (f = model; f->used; f++)
			assert_true(f < model + NFLOWS - 1);
		memset(f, 0, sizeof(*f));
		f->used = true;
		f->family = p->t.family;
		f->proto = p->t.proto;
		f->origin = (uint8_t)dir;
		f->lport = dir == OUT ? p->t.sport : p->t.dport;
		f->rport = dir == OUT ? p->t.dport : p->t.sport;
		memcpy(f->laddr, dir == OUT ? p->t.src : p->t.dst, 16);
		memcpy(f->raddr, dir == OUT ? p->t.dst : p->t.src, 16);
		f->peer = peer->peer;
		n_seen(f, dir, p->tcp_flags, now);
	}
	return verdict;
}

static uint64_t rs_state = 0x9e3779b97f4a7c15ull;

static unsigned rnd(unsigned n)
{
	rs_state ^= rs_state << 13;
	rs_state ^= rs_state >> 7;
	rs_state ^= rs_state << 17;
	return (unsigned)((rs_state >> 16) % n);
}

/* A random packet between this node (100.64.0.1) and two peers'
 * addresses, few ports, random flags: flows repeat, close and reopen. */
static void rnd_packet(int dir, const struct wf_fw_ident **peer)
{
	static const char *const them[] = {"100.64.0.2", "100.64.0.3"};
	static const uint8_t flags[] = {PK_SYN, PK_SYN | PK_ACK, PK_ACK, PK_FIN | PK_ACK, PK_RST};
	int who = (int)rnd(2);
	const char *src = dir == OUT ? ME : them[who], *dst = dir == OUT ? them[who] : ME;
	unsigned sp = 1 + rnd(3), dp = 1 + rnd(3);
	uint8_t q[PK_MAX];
	size_t qn;

	*peer = who ? &peer2 : &peer1;
	switch (rnd(5)) {
	case 0:
		TCP(src, dst, sp, dp, flags[rnd(5)]);
		break;
	case 1:
		UDP(src, dst, sp, dp);
		break;
	case 2:
		ECHO(src, dst, rnd(2), sp);
		break;
	case 3:
		qn = pk_udp(q, dst, src, dp, sp);
		pkt_len = pk_unreach(pkt, src, dst, q, qn);
		break;
	default:
		TCP(src, dst, sp, dp, PK_ACK);
		break;
	}
}

static void test_random(void **state)
{
	static const char *const sets[][4] = {
	    {"in drop any", NULL},
	    {"in drop udp", "out drop tcp 2", NULL},
	    {"in allow icmp", "in drop any", "out drop udp 3", NULL},
	};
	enum { ROUNDS = 30, STEPS = 3000 };

	for (int round = 0; round < ROUNDS; round++) {
		struct wf_fw_flows *ft = wf_fw_flows_new(65536, 0, (uint64_t)round, &to);
		struct wf_fw_rules *rs = rules(1, sets[round % 3]);
		int64_t now = 0;

		memset(model, 0, sizeof(model));
		for (int k = 0; k < STEPS; k++) {
			const struct wf_fw_ident *peer;
			struct wf_fw_pkt p;
			int dir = (int)rnd(2), want, got;

			now += rnd(5) == 0 ? rnd(12000) : rnd(200);
			rnd_packet(dir, &peer);
			p = pk_facts(pkt, pkt_len);
			want = n_filter(rs, dir, peer, &p, now);
			got = (int)wf_fw_filter(ft, rs, (enum wf_fw_dir)dir, peer, &p,
						WF_FW_NO_OWNER, now, NULL);
			if (got != want)
				fail_msg("round %d step %d: %d, the model says %d", round, k, got,
					 want);
		}
		assert_int_equal(wf_fw_flows_stats(ft)->evicted, 0); /* the model has no bound */
		wf_fw_rules_free(rs);
		wf_fw_flows_free(ft);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fast_path),
	    cmocka_unit_test(test_answers_to_outbound),
	    cmocka_unit_test(test_answers_to_inbound),
	    cmocka_unit_test(test_rules_change),
	    cmocka_unit_test(test_handoff),
	    cmocka_unit_test(test_bound),
	    cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
