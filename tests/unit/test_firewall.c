/* SPDX-License-Identifier: MIT */
/*
 * The firewall's rules: the parser of rule lines (numbered rows, and each
 * accepted rule written back and read again to the same spec), names as ids,
 * the facts read from packets (numbered rows, malformed ones included),
 * matching (numbered rows over one rule set), and a randomized differential
 * test of compiled matching against a naive evaluator that reads the specs
 * as written (names as strings, prefixes bit by bit). Connection tracking is
 * tests/unit/test_fw_flows.c.
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

#define IN  WF_FW_IN
#define OUT WF_FW_OUT

/* --- parsing --------------------------------------------------------------- */

static void test_parse(void **state)
{
	static const struct {
		int dir;
		const char *text;
		bool ok;
		const char *want; /* the rule written back, or a piece of the error */
	} rows[] = {
	    /* 0 */ {IN, "allow tcp 22 from group admin", true, "allow tcp 22 from group admin"},
	    /* 1 */ {OUT, "drop udp to 10.20.0.0/16", true, "drop udp to 10.20.0.0/16"},
	    /* 2 */
	    {IN, "  allow\ttcp  22  from group admin  ", true, "allow tcp 22 from group admin"},
	    /* 3 */
	    {IN, "allow tcp 1000-2000 from peer db1 100.64.0.5 to 100.64.0.1", true,
	     "allow tcp 1000-2000 from peer db1 100.64.0.5 to 100.64.0.1"},
	    /* 4 */
	    {IN, "allow tcp 22 to 100.64.0.1 from group admin", true,
	     "allow tcp 22 from group admin to 100.64.0.1"},
	    /* 5 */ {IN, "drop any", true, "drop any"},
	    /* 6 */ {IN, "allow icmp from any to any", true, "allow icmp"},
	    /* 7 */ {OUT, "allow tcp 5432 to peer db1", true, "allow tcp 5432 to peer db1"},
	    /* 8 */
	    {IN, "allow udp 53 from fd00::/8 to fd00::1", true,
	     "allow udp 53 from fd00::/8 to fd00::1"},
	    /* 9 */ {IN, "allow tcp 22-22", true, "allow tcp 22"},
	    /* 10 */
	    {OUT, "drop tcp 25 from 100.64.0.0/10 to group mail", true,
	     "drop tcp 25 from 100.64.0.0/10 to group mail"},
	    /* 11 */ {IN, "", false, "empty rule"},
	    /* 12 */ {IN, "alow tcp", false, "unknown action 'alow' (allow or drop)"},
	    /* 13 */ {IN, "allow", false, "missing protocol"},
	    /* 14 */ {IN, "allow tcpp", false, "unknown protocol 'tcpp'"},
	    /* 15 */ {IN, "allow tcp 70000", false, "bad port '70000'"},
	    /* 16 */ {IN, "allow tcp 0", false, "bad port '0'"},
	    /* 17 */ {IN, "allow tcp 2000-1000", false, "port range '2000-1000' is backwards"},
	    /* 18 */ {IN, "allow icmp 22", false, "only tcp and udp have ports"},
	    /* 19 */ {IN, "allow tcp 22 from", false, "'from' needs what it names"},
	    /* 20 */ {IN, "allow tcp 22 from group", false, "'group' needs a name"},
	    /* 21 */ {IN, "allow tcp 22 from group a/b", false, "bad group name 'a/b'"},
	    /* 22 */ {IN, "allow tcp 22 to group admin", false, "this node's; give a prefix"},
	    /* 23 */ {OUT, "allow tcp 22 from peer x", false, "this node's; give a prefix"},
	    /* 24 */ {IN, "allow tcp 22 from 10.0.0.1/8", false, "host bits are set"},
	    /* 25 */ {IN, "allow tcp 22 from bogus", false, "'bogus' is not an address or prefix"},
	    /* 26 */ {IN, "allow tcp 22 from any from any", false, "'from' given twice"},
	    /* 27 */ {IN, "allow tcp 22 via x", false, "unexpected 'via'"},
	    /* 28 */ {IN, "allow tcp from 10.0.0.0/8 to fd00::1", false, "IPv4 and an IPv6"},
	    /* 29 */ {IN, "allow tcp 22 22", false, "unexpected '22'"},
	    /* 30 */ {IN, "allow tcp 08", false, "bad port '08'"},
	    /* 31 */
	    {IN, "allow tcp from peer db1 10.20.0.0/16 extra", false, "unexpected 'extra'"},
	    /* 32 */ {IN, "allow tcp 1-2-3", false, "bad port range '1-2-3'"},
	    /* 33 */ {IN, "a b c d e f g h i j k l m", false, "too many words"},
	    /* 34 */ {IN, "Allow tcp", false, "unknown action 'Allow'"},
	    /* 35 */ {IN, "allow tcp 22 from peer", false, "'peer' needs a name"},
	};
	char err[160], text[WF_FW_RULE_TEXT];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct wf_fw_spec s, again;
		bool ok;

		err[0] = '\0';
		ok = wf_fw_rule_parse((enum wf_fw_dir)rows[i].dir, rows[i].text, &s, err,
				      sizeof(err));
		if (ok != rows[i].ok)
			fail_msg("parse row %zu (%s): %s", i, rows[i].text, ok ? "accepted" : err);
		if (!ok) {
			if (!strstr(err, rows[i].want))
				fail_msg("parse row %zu: error '%s' lacks '%s'", i, err,
					 rows[i].want);
			continue;
		}
		wf_fw_rule_str(&s, text, sizeof(text));
		if (strcmp(text, rows[i].want))
			fail_msg("parse row %zu: written back as '%s', want '%s'", i, text,
				 rows[i].want);
		if (!wf_fw_rule_parse((enum wf_fw_dir)rows[i].dir, text, &again, err,
				      sizeof(err)) ||
		    memcmp(&s, &again, sizeof(s)))
			fail_msg("parse row %zu: '%s' does not read back the same", i, text);
	}
}

/* 1-5: ids: stable, by kind, never reused, growing past the first table. */
static void test_names(void **state)
{
	struct wf_fw_names *n = wf_fw_names_new();
	uint32_t admin, peer_admin, ids[1000];
	char name[32];

	assert_non_null(n);
	admin = wf_fw_names_intern(n, WF_FW_GROUP, "admin");
	assert_true(admin != 0);					      /* 1 */
	assert_int_equal(wf_fw_names_intern(n, WF_FW_GROUP, "admin"), admin); /* 2 */
	peer_admin = wf_fw_names_intern(n, WF_FW_PEER, "admin");
	assert_true(peer_admin != 0 && peer_admin != admin); /* 3: by kind */
	assert_int_equal(wf_fw_names_find(n, WF_FW_GROUP, "nobody"), 0);
	assert_int_equal(wf_fw_names_intern(n, WF_FW_GROUP, "bad name"), 0);
	for (int i = 0; i < 1000; i++) { /* 4 */
		snprintf(name, sizeof(name), "g%d", i);
		ids[i] = wf_fw_names_intern(n, WF_FW_GROUP, name);
		assert_true(ids[i] > peer_admin);
	}
	for (int i = 0; i < 1000; i++) { /* 5 */
		snprintf(name, sizeof(name), "g%d", i);
		if (wf_fw_names_find(n, WF_FW_GROUP, name) != ids[i])
			fail_msg("name g%d lost its id after growing", i);
	}
	assert_int_equal(wf_fw_names_find(n, WF_FW_GROUP, "admin"), admin);
	wf_fw_names_free(n);
}

/* --- packet facts ---------------------------------------------------------- */

enum pcase {
	P_TCP4,
	P_UDP6,
	P_ECHO4,
	P_ECHOREPLY6,
	P_UNREACH4,
	P_UNREACH6,
	P_FRAG4,
	P_FRAG6,
	P_HOPOPTS6,
	P_GRE4,
	P_OTHER_ICMP6,
	P_BAD_VERSION,
	P_SHORT_TCP,
	P_SHORT_V6,
	P_IHL,
	P_TINY_FRAG,
	P_EXT_LOOP,
	P_EXT_CUT,
	P_EMPTY,
	P_UNREACH_SHORT_QUOTE,
	P_N
};

static size_t build_pkt(enum pcase c, uint8_t *b)
{
	uint8_t q[PK_MAX];
	size_t n, qn;

	switch (c) {
	case P_TCP4:
		return pk_tcp(b, "100.64.0.2", "100.64.0.1", 40000, 22, PK_SYN);
	case P_UDP6:
		return pk_udp(b, "fd00::2", "fd00::1", 5353, 53);
	case P_ECHO4:
		return pk_echo(b, "100.64.0.2", "100.64.0.1", false, 77);
	case P_ECHOREPLY6:
		return pk_echo(b, "fd00::2", "fd00::1", true, 78);
	case P_UNREACH4:
		qn = pk_udp(q, "100.64.0.1", "100.64.0.2", 5000, 53);
		return pk_unreach(b, "100.64.0.2", "100.64.0.1", q, qn);
	case P_UNREACH6:
		qn = pk_tcp(q, "fd00::1", "fd00::2", 6000, 443, PK_SYN);
		return pk_unreach(b, "fd00::2", "fd00::1", q, qn);
	case P_FRAG4:
		n = pk_udp(b, "100.64.0.2", "100.64.0.1", 1, 2);
		b[7] = 0x10; /* fragment offset 16 */
		return n;
	case P_FRAG6: /* a fragment header (offset 8) before UDP */
		n = pk_ip(b, "fd00::2", "fd00::1", 44, 8 + 8);
		memset(b + n, 0, 16);
		b[n] = IPPROTO_UDP;
		b[n + 3] = 8 << 3;
		return n + 16;
	case P_HOPOPTS6: /* hop-by-hop options (8 bytes), then TCP */
		n = pk_tcp(b + 8, "fd00::2", "fd00::1", 1234, 80, PK_ACK);
		memmove(b, b + 8, 40);
		b[6] = 0;
		memset(b + 40, 0, 8);
		b[40] = IPPROTO_TCP;
		return n + 8;
	case P_GRE4:
		return pk_ip(b, "100.64.0.2", "100.64.0.1", 47, 0);
	case P_OTHER_ICMP6:
		n = pk_echo(b, "fd00::2", "fd00::1", false, 1);
		b[40] = 135; /* neighbour solicitation */
		return n;
	case P_BAD_VERSION:
		n = pk_tcp(b, "100.64.0.2", "100.64.0.1", 1, 2, 0);
		b[0] = 0x55;
		return n;
	case P_SHORT_TCP:
		return pk_tcp(b, "100.64.0.2", "100.64.0.1", 1, 2, 0) - 1;
	case P_SHORT_V6:
		return 39;
	case P_IHL:
		n = pk_tcp(b, "100.64.0.2", "100.64.0.1", 1, 2, 0);
		b[0] = 0x44;
		return n;
	case P_TINY_FRAG: /* first fragment (MF) with only 8 bytes of TCP */
		n = pk_tcp(b, "100.64.0.2", "100.64.0.1", 1, 22, PK_SYN);
		b[6] = 0x20;
		return n - 12;
	case P_EXT_LOOP: /* nine destination-options headers: past the limit */
		n = pk_ip(b, "fd00::2", "fd00::1", 60, 9 * 8 + 8);
		memset(b + n, 0, 9 * 8 + 8);
		for (int i = 0; i < 9; i++)
			b[n + 8 * i] = i < 8 ? 60 : IPPROTO_UDP;
		return n + 9 * 8 + 8;
	case P_EXT_CUT: /* an extension header longer than the packet */
		n = pk_ip(b, "fd00::2", "fd00::1", 60, 8);
		memset(b + n, 0, 8);
		b[n + 1] = 4;
		return n + 8;
	case P_EMPTY:
		return 0;
	case P_UNREACH_SHORT_QUOTE:
		qn = pk_udp(q, "100.64.0.1", "100.64.0.2", 5000, 53);
		return pk_unreach(b, "100.64.0.2", "100.64.0.1", q, qn - 8);
	case P_N:
		break;
	}
	return 0;
}

static void test_packets(void **state)
{
	static const struct {
		bool ok;
		uint8_t kind, proto;
		uint16_t sport, dport;
		bool inner;
	} want[P_N] = {
	    [P_TCP4] = {true, WF_FW_PORTS, IPPROTO_TCP, 40000, 22, false},
	    [P_UDP6] = {true, WF_FW_PORTS, IPPROTO_UDP, 5353, 53, false},
	    [P_ECHO4] = {true, WF_FW_ECHO_REQ, IPPROTO_ICMP, 77, 77, false},
	    [P_ECHOREPLY6] = {true, WF_FW_ECHO_REPLY, IPPROTO_ICMPV6, 78, 78, false},
	    [P_UNREACH4] = {true, WF_FW_ICMP_ERROR, IPPROTO_ICMP, 0, 0, true},
	    [P_UNREACH6] = {true, WF_FW_ICMP_ERROR, IPPROTO_ICMPV6, 0, 0, true},
	    [P_FRAG4] = {true, WF_FW_NOPORTS, IPPROTO_UDP, 0, 0, false},
	    [P_FRAG6] = {true, WF_FW_NOPORTS, IPPROTO_UDP, 0, 0, false},
	    [P_HOPOPTS6] = {true, WF_FW_PORTS, IPPROTO_TCP, 1234, 80, false},
	    [P_GRE4] = {true, WF_FW_NOPORTS, 47, 0, 0, false},
	    [P_OTHER_ICMP6] = {true, WF_FW_ICMP_OTHER, IPPROTO_ICMPV6, 0, 0, false},
	    [P_UNREACH_SHORT_QUOTE] = {true, WF_FW_ICMP_ERROR, IPPROTO_ICMP, 0, 0, false},
	    /* the rest (malformed) are refused: want .ok false */
	};
	uint8_t b[PK_MAX];

	for (int c = 0; c < P_N; c++) {
		struct wf_fw_pkt p;
		size_t n = build_pkt((enum pcase)c, b);
		bool ok = wf_fw_pkt_parse(b, n, &p);

		if (ok != want[c].ok)
			fail_msg("packet case %d: %s", c, ok ? "accepted" : "refused");
		if (!ok)
			continue;
		if (p.kind != want[c].kind || p.t.proto != want[c].proto ||
		    p.t.sport != want[c].sport || p.t.dport != want[c].dport ||
		    p.has_inner != want[c].inner)
			fail_msg("packet case %d: kind %u proto %u ports %u-%u inner %d", c, p.kind,
				 p.t.proto, p.t.sport, p.t.dport, p.has_inner);
	}
	/* the quote of case P_UNREACH4: the UDP packet it answers */
	{
		struct wf_fw_pkt p = pk_facts(b, build_pkt(P_UNREACH4, b));

		assert_int_equal(p.inner.proto, IPPROTO_UDP);
		assert_int_equal(p.inner.sport, 5000);
		assert_int_equal(p.inner.dport, 53);
		assert_memory_equal(p.inner.src, pk_addr("100.64.0.1").addr, 4);
	}
	/* the TCP flags */
	assert_int_equal(pk_facts(b, build_pkt(P_TCP4, b)).tcp_flags, PK_SYN);
}

/* --- matching, by rows ----------------------------------------------------- */

static const struct {
	int dir;
	const char *text;
} rule_lines[] = {
    {IN, "allow tcp 22 from group admin"},		   /* in 0 */
    {IN, "drop tcp 22"},				   /* in 1 */
    {IN, "allow udp 53 from 100.64.0.0/24 to 100.64.0.1"}, /* in 2 */
    {OUT, "drop tcp 25"},				   /* out 0 */
    {IN, "drop udp 50-60"},				   /* in 3 */
    {IN, "drop icmp from peer evil"},			   /* in 4 */
    {OUT, "allow tcp to group db 100.64.1.0/24"},	   /* out 1 */
    {IN, "allow any from peer friend fd00::/64"},	   /* in 5 */
    {OUT, "drop tcp to 100.64.1.0/24"},			   /* out 2 */
    {IN, "drop any from fd00::/64"},			   /* in 6 */
};

static struct wf_fw_rules *compile(const char *const *lines, const int *dirs, size_t n,
				   struct wf_fw_names *names, uint32_t gen)
{
	struct wf_fw_spec specs[64];
	char err[128];

	assert_true(n <= 64);
	for (size_t i = 0; i < n; i++)
		if (!wf_fw_rule_parse((enum wf_fw_dir)dirs[i], lines[i], &specs[i], err,
				      sizeof(err)))
			fail_msg("rule '%s': %s", lines[i], err);
	return wf_fw_rules_new(specs, (unsigned)n, names, gen);
}

static void peer_of(struct wf_fw_names *names, const char *name, const char *group,
		    struct wf_fw_ident *id)
{
	struct wf_cert c;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	if (group) {
		c.n_groups = 2;
		snprintf(c.groups[0], sizeof(c.groups[0]), "unrelated");
		snprintf(c.groups[1], sizeof(c.groups[1]), "%s", group);
	}
	wf_fw_ident_make(names, &c, 1, id);
}

static void test_match(void **state)
{
	enum { T, U, E, F }; /* tcp, udp, echo request, later UDP fragment */
	static const struct {
		int dir, what;
		const char *peer, *group, *src, *dst;
		unsigned dport;
		int rule; /* index in its list, -1: none */
		int action;
	} rows[] = {
	    /* 0 */ {IN, T, "alice", "admin", "100.64.0.2", "100.64.0.1", 22, 0, WF_FW_ALLOW},
	    /* 1 */ {IN, T, "bob", "web", "100.64.0.2", "100.64.0.1", 22, 1, WF_FW_DROP},
	    /* 2 */ {IN, T, "bob", "web", "100.64.0.2", "100.64.0.1", 80, -1, WF_FW_ALLOW},
	    /* 3 */ {IN, U, "bob", NULL, "100.64.0.9", "100.64.0.1", 53, 2, WF_FW_ALLOW},
	    /* 4 */ {IN, U, "bob", NULL, "100.64.5.9", "100.64.0.1", 53, 3, WF_FW_DROP},
	    /* 5 */ {IN, U, "bob", NULL, "100.64.0.9", "100.64.0.2", 53, 3, WF_FW_DROP},
	    /* 6 */ {IN, E, "evil", NULL, "100.64.0.6", "100.64.0.1", 0, 4, WF_FW_DROP},
	    /* 7 */ {IN, E, "evil", NULL, "fd00::6", "fd00::1", 0, 4, WF_FW_DROP},
	    /* 8 */ {IN, T, "friend", NULL, "fd00::5", "fd00::1", 80, 5, WF_FW_ALLOW},
	    /* 9 */ {IN, T, "bob", NULL, "fd00::5", "fd00::1", 80, 6, WF_FW_DROP},
	    /* 10 */ {IN, T, "friend", NULL, "100.64.0.5", "100.64.0.1", 80, -1, WF_FW_ALLOW},
	    /* 11 */ {IN, F, "bob", NULL, "100.64.0.5", "100.64.0.1", 0, -1, WF_FW_ALLOW},
	    /* 12 */ {OUT, T, "bob", NULL, "100.64.0.1", "100.64.0.7", 25, 0, WF_FW_DROP},
	    /* 13 */ {OUT, T, "dbsrv", "db", "100.64.0.1", "100.64.1.5", 5432, 1, WF_FW_ALLOW},
	    /* 14 */ {OUT, T, "bob", "web", "100.64.0.1", "100.64.1.5", 5432, 2, WF_FW_DROP},
	    /* 15 */ {OUT, U, "bob", NULL, "100.64.0.1", "100.64.1.5", 53, -1, WF_FW_ALLOW},
	    /* 16 */ {IN, T, "alice", "admin", "fd00::9", "fd00::1", 22, 0, WF_FW_ALLOW},
	    /* 17 */ {IN, T, "evil", NULL, "100.64.0.6", "100.64.0.1", 22, 1, WF_FW_DROP},
	    /* 18 */ {IN, E, "bob", NULL, "100.64.0.6", "100.64.0.1", 0, -1, WF_FW_ALLOW},
	    /* 19 */ {OUT, E, "dbsrv", "db", "100.64.0.1", "100.64.1.5", 0, -1, WF_FW_ALLOW},
	};
	const char *lines[16];
	int dirs[16];
	size_t nl = sizeof(rule_lines) / sizeof(rule_lines[0]);
	struct wf_fw_names *names = wf_fw_names_new();
	struct wf_fw_rules *rs;
	uint8_t b[PK_MAX];

	for (size_t i = 0; i < nl; i++) {
		lines[i] = rule_lines[i].text;
		dirs[i] = rule_lines[i].dir;
	}
	rs = compile(lines, dirs, nl, names, 1);
	assert_non_null(rs);
	assert_int_equal(rs->n[IN], 7);
	assert_int_equal(rs->n[OUT], 3);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct wf_fw_ident id;
		const struct wf_fw_rule *r;
		struct wf_fw_pkt p;
		size_t n;
		int got;

		peer_of(names, rows[i].peer, rows[i].group, &id);
		if (rows[i].what == T)
			n = pk_tcp(b, rows[i].src, rows[i].dst, 40000, rows[i].dport, PK_SYN);
		else if (rows[i].what == E)
			n = pk_echo(b, rows[i].src, rows[i].dst, false, 9);
		else
			n = pk_udp(b, rows[i].src, rows[i].dst, 40000, rows[i].dport);
		if (rows[i].what == F)
			b[7] = 0x40; /* a later fragment: no ports to match */
		p = pk_facts(b, n);
		r = wf_fw_match(rs, (enum wf_fw_dir)rows[i].dir, &id, &p);
		got = r ? (int)(r - rs->list[rows[i].dir]) : -1;
		if (got != rows[i].rule)
			fail_msg("match row %zu: rule %d, want %d", i, got, rows[i].rule);
		if ((int)wf_fw_filter(NULL, rs, (enum wf_fw_dir)rows[i].dir, &id, &p,
				      WF_FW_NO_OWNER, 0, NULL) != rows[i].action)
			fail_msg("match row %zu: wrong action", i);
	}
	wf_fw_rules_free(rs);
	wf_fw_names_free(names);
}

/* --- randomized, against a naive evaluator --------------------------------- */

static uint64_t rnd_state = 0x2545f4914f6cdd1dull;

static unsigned rnd(unsigned n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (unsigned)((rnd_state >> 16) % n);
}

static const char *const pool[] = {"a", "b", "c", "d"};

/* Addresses from a small space, so that prefixes match often. */
static void rnd_addr(bool v6, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (v6) {
		addr[0] = 0xfd;
		addr[15] = (uint8_t)rnd(8);
		addr[14] = (uint8_t)rnd(2);
	} else {
		addr[0] = 100;
		addr[1] = 64;
		addr[2] = (uint8_t)rnd(2);
		addr[3] = (uint8_t)rnd(8);
	}
}

static void rnd_prefix(bool v6, struct wf_prefix *p)
{
	memset(p, 0, sizeof(*p));
	p->family = v6 ? AF_INET6 : AF_INET;
	rnd_addr(v6, p->addr);
	p->len = (uint8_t)(v6 ? 120 + rnd(9) : 22 + rnd(11));
	wf_prefix_mask(p);
}

static void rnd_spec(struct wf_fw_spec *s)
{
	static const uint8_t protos[] = {WF_FW_ANY, WF_FW_TCP, WF_FW_UDP, WF_FW_ICMP};
	bool v6 = rnd(2);

	memset(s, 0, sizeof(*s));
	s->dir = (uint8_t)rnd(2);
	s->action = (uint8_t)rnd(2);
	s->proto = protos[rnd(4)];
	s->port_lo = 0;
	s->port_hi = 65535;
	if ((s->proto == WF_FW_TCP || s->proto == WF_FW_UDP) && rnd(2)) {
		s->port_lo = (uint16_t)(20 + rnd(20));
		s->port_hi = (uint16_t)(s->port_lo + rnd(3) * rnd(10));
	}
	if (rnd(2)) {
		s->who = (uint8_t)(1 + rnd(2));
		snprintf(s->name, sizeof(s->name), "%s", pool[rnd(4)]);
	}
	if ((s->has_remote = rnd(3) == 0))
		rnd_prefix(v6, &s->remote);
	if ((s->has_local = rnd(3) == 0))
		rnd_prefix(v6, &s->local);
}

static bool bit(const uint8_t *a, unsigned i)
{
	return a[i / 8] >> (7 - i % 8) & 1;
}

static bool naive_in(const struct wf_prefix *p, uint8_t family, const uint8_t *addr)
{
	if (p->family != family)
		return false;
	for (unsigned i = 0; i < p->len; i++)
		if (bit(p->addr, i) != bit(addr, i))
			return false;
	return true;
}

/* The spec as written, read the slow way. */
static bool naive_match(const struct wf_fw_spec *s, const struct wf_cert *peer,
			const struct wf_fw_pkt *p, int dir)
{
	const struct wf_fw_tuple *t = &p->t;
	bool named = false;

	if (s->proto == WF_FW_ICMP && t->proto != (t->family == AF_INET ? 1 : 58))
		return false;
	if ((s->proto == WF_FW_TCP || s->proto == WF_FW_UDP) && t->proto != s->proto)
		return false;
	if (s->port_lo != 0 || s->port_hi != 65535)
		if (p->kind != WF_FW_PORTS || t->dport < s->port_lo || t->dport > s->port_hi)
			return false;
	if (s->who == WF_FW_PEER)
		named = !strcmp(peer->name, s->name);
	for (unsigned i = 0; s->who == WF_FW_GROUP && i < peer->n_groups; i++)
		named |= !strcmp(peer->groups[i], s->name);
	if (s->who != WF_FW_ANYONE && !named)
		return false;
	if (s->has_remote && !naive_in(&s->remote, t->family, dir == IN ? t->src : t->dst))
		return false;
	return !s->has_local || naive_in(&s->local, t->family, dir == IN ? t->dst : t->src);
}

/* The index of the first matching spec of its direction, or -1. */
static int naive_eval(const struct wf_fw_spec *s, unsigned n, const struct wf_cert *peer,
		      const struct wf_fw_pkt *p, int dir)
{
	int k = 0;

	for (unsigned i = 0; i < n; i++) {
		if (s[i].dir != dir)
			continue;
		if (naive_match(&s[i], peer, p, dir))
			return k;
		k++;
	}
	return -1;
}

static void rnd_packet(uint8_t *b, size_t *n)
{
	static const char *const v4[] = {"100.64.0.1", "100.64.0.5", "100.64.1.3", "100.64.1.7"};
	static const char *const v6[] = {"fd00::1", "fd00::5", "fd00::103", "fd00::7"};
	const char *const *a = rnd(2) ? v6 : v4;
	const char *src = a[rnd(4)], *dst = a[rnd(4)];
	unsigned sp = 20 + rnd(30), dp = 20 + rnd(30);

	switch (rnd(5)) {
	case 0:
		*n = pk_tcp(b, src, dst, sp, dp, PK_SYN);
		break;
	case 1:
		*n = pk_udp(b, src, dst, sp, dp);
		break;
	case 2:
		*n = pk_echo(b, src, dst, rnd(2), sp);
		break;
	case 3:
		*n = pk_ip(b, src, dst, 47, 0);
		break;
	default:
		*n = pk_udp(b, src, dst, sp, dp);
		if (b[0] >> 4 == 4)
			b[7] = 0x08; /* a later fragment */
		break;
	}
}

static void test_random(void **state)
{
	enum { ROUNDS = 400, SPECS = 24, PACKETS = 200 };
	unsigned matched = 0, unmatched = 0;

	for (int round = 0; round < ROUNDS; round++) {
		struct wf_fw_names *names = wf_fw_names_new();
		struct wf_fw_spec specs[SPECS];
		unsigned n = 1 + rnd(SPECS);
		struct wf_fw_rules *rs;

		for (unsigned i = 0; i < n; i++)
			rnd_spec(&specs[i]);
		rs = wf_fw_rules_new(specs, n, names, 1);
		assert_non_null(rs);
		for (int k = 0; k < PACKETS; k++) {
			struct wf_cert peer;
			struct wf_fw_ident id;
			const struct wf_fw_rule *r;
			struct wf_fw_pkt p;
			uint8_t b[PK_MAX];
			size_t len;
			int dir = (int)rnd(2), want, got;

			memset(&peer, 0, sizeof(peer));
			snprintf(peer.name, sizeof(peer.name), "%s", pool[rnd(4)]);
			for (unsigned g = 0; g < 4; g++)
				if (rnd(3) == 0)
					snprintf(peer.groups[peer.n_groups++],
						 sizeof(peer.groups[0]), "%s", pool[g]);
			wf_fw_ident_make(names, &peer, 1, &id);
			rnd_packet(b, &len);
			p = pk_facts(b, len);
			want = naive_eval(specs, n, &peer, &p, dir);
			r = wf_fw_match(rs, (enum wf_fw_dir)dir, &id, &p);
			got = r ? (int)(r - rs->list[dir]) : -1;
			if (got != want)
				fail_msg("round %d packet %d: rule %d, naive %d", round, k, got,
					 want);
			want >= 0 ? matched++ : unmatched++;
		}
		wf_fw_rules_free(rs);
		wf_fw_names_free(names);
	}
	assert_true(matched > ROUNDS * PACKETS / 10 && unmatched > ROUNDS * PACKETS / 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),   cmocka_unit_test(test_names),
	    cmocka_unit_test(test_packets), cmocka_unit_test(test_match),
	    cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
