/* SPDX-License-Identifier: MIT */
/*
 * Addresses, prefixes and endpoints: table-driven, every row numbered so a
 * failure names its case. No row may need DNS: the strings are either
 * numeric or refused before getaddrinfo is called.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "common/addr.h"

#define ROWS(t) (sizeof(t) / sizeof((t)[0]))

static int failures;

static void report(const char *what, size_t row, const char *input, const char *detail)
{
	print_error("%s case %zu (\"%s\"): %s\n", what, row + 1, input, detail);
	failures++;
}

/* --- wf_prefix_parse ------------------------------------------------------- */

static const struct {
	const char *s;
	bool require_len;
	bool ok;
	int family;
	int len;
	const char *str; /* wf_prefix_str, bare = false */
} prefixes[] = {
    {"100.64.0.0/10", true, true, AF_INET, 10, "100.64.0.0/10"}, /* 1 */
    {"100.64.0.1/10", true, false, 0, 0, NULL},			 /* 2: host bits */
    {"100.64.0.1", true, false, 0, 0, NULL},			 /* 3: no length */
    {"100.64.0.1", false, true, AF_INET, 32, "100.64.0.1/32"},	 /* 4 */
    {"0.0.0.0/0", true, true, AF_INET, 0, "0.0.0.0/0"},		 /* 5 */
    {"1.2.3.4/0", true, false, 0, 0, NULL},			 /* 6 */
    {"1.2.3.4/32", true, true, AF_INET, 32, "1.2.3.4/32"},	 /* 7 */
    {"1.2.3.4/33", true, false, 0, 0, NULL},			 /* 8 */
    {"1.2.3.4/", true, false, 0, 0, NULL},			 /* 9 */
    {"1.0.0.0/a", true, false, 0, 0, NULL},			 /* 10 */
    {"1.0.0.0/-1", true, false, 0, 0, NULL},			 /* 11 */
    {"1.0.0.0/+8", true, false, 0, 0, NULL},			 /* 12 */
    {"1.0.0.0/8x", true, false, 0, 0, NULL},			 /* 13 */
    {"1.0.0.0/8/8", true, false, 0, 0, NULL},			 /* 14 */
    {"1.0.0.0/99999999999999999999", true, false, 0, 0, NULL},	 /* 15 */
    {"1.0.0.0/ 8", true, false, 0, 0, NULL},			 /* 16 */
    {"fd00::/8", true, true, AF_INET6, 8, "fd00::/8"},		 /* 17 */
    {"fd00::1/8", true, false, 0, 0, NULL},			 /* 18 */
    {"fd00::1/128", true, true, AF_INET6, 128, "fd00::1/128"},	 /* 19 */
    {"::/0", true, true, AF_INET6, 0, "::/0"},			 /* 20 */
    {"fd00::/129", true, false, 0, 0, NULL},			 /* 21 */
    {"FD00::/16", true, true, AF_INET6, 16, "fd00::/16"},	 /* 22 */
    {"::ffff:100.64.0.1/128", true, true, AF_INET6, 128, "::ffff:100.64.0.1/128"},   /* 23 */
    {"", false, false, 0, 0, NULL},						     /* 24 */
    {"/8", true, false, 0, 0, NULL},						     /* 25 */
    {"256.0.0.0/8", true, false, 0, 0, NULL},					     /* 26 */
    {"1.2.3/24", true, false, 0, 0, NULL},					     /* 27 */
    {"fe80::1%eth0/64", true, false, 0, 0, NULL},				     /* 28 */
    {"100.64.0.0/10 ", true, false, 0, 0, NULL},				     /* 29 */
    {"fd00::", false, true, AF_INET6, 128, "fd00::/128"},			     /* 30 */
    {"100.64.0.128/25", true, true, AF_INET, 25, "100.64.0.128/25"},		     /* 31 */
    {"100.64.0.128/24", true, false, 0, 0, NULL},				     /* 32 */
    {"fd00:1:2:3:4:5:6:8/127", true, true, AF_INET6, 127, "fd00:1:2:3:4:5:6:8/127"}, /* 33 */
    {"fd00:1:2:3:4:5:6:9/127", true, false, 0, 0, NULL},			     /* 34 */
    {"1::2::3/64", true, false, 0, 0, NULL},					     /* 35 */
    {"0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000/8", true, false, 0,
     0, NULL},				   /* 36: longer than any address */
    {"garbage", false, false, 0, 0, NULL}, /* 37 */
};

static void test_prefix_parse(void **state)
{
	(void)state;
	failures = 0;
	for (size_t i = 0; i < ROWS(prefixes); i++) {
		struct wf_prefix p, m;
		char buf[WF_ADDR_STRLEN];
		bool ok = wf_prefix_parse(&p, prefixes[i].s, prefixes[i].require_len);

		if (ok != prefixes[i].ok) {
			report("prefix", i, prefixes[i].s, ok ? "accepted" : "refused");
			continue;
		}
		if (!ok)
			continue;
		if (p.family != prefixes[i].family || p.len != prefixes[i].len)
			report("prefix", i, prefixes[i].s, "wrong family or length");
		if (strcmp(wf_prefix_str(&p, false, buf, sizeof(buf)), prefixes[i].str))
			report("prefix", i, prefixes[i].s, buf);
		/* parsed prefixes are already masked */
		m = p;
		wf_prefix_mask(&m);
		if (memcmp(&m, &p, sizeof(p)))
			report("prefix", i, prefixes[i].s, "not masked");
		/* and the printed form parses back to the same prefix */
		if (!wf_prefix_parse(&m, buf, true) || !wf_prefix_equal(&m, &p))
			report("prefix", i, prefixes[i].s, "no round trip");
	}
	assert_int_equal(failures, 0);
}

/* --- wf_addr_parse and wf_prefix_str ------------------------------------------ */

static const struct {
	const char *s;
	bool ok;
	int family;
	const char *bare; /* wf_prefix_str, bare = true */
} addrs[] = {
    {"100.64.0.1", true, AF_INET, "100.64.0.1"},	   /* 1 */
    {"fd00::1", true, AF_INET6, "fd00::1"},		   /* 2 */
    {"100.64.0.1/32", false, 0, NULL},			   /* 3: prefixes are not addresses */
    {"", false, 0, NULL},				   /* 4 */
    {"1.2.3.4 ", false, 0, NULL},			   /* 5 */
    {"::", true, AF_INET6, "::"},			   /* 6 */
    {"0.0.0.0", true, AF_INET, "0.0.0.0"},		   /* 7 */
    {"255.255.255.255", true, AF_INET, "255.255.255.255"}, /* 8 */
    {"1.2.3.04", false, 0, NULL},			   /* 9: no octal-looking octets */
    {"1.2.3", false, 0, NULL},				   /* 10 */
    {"2001:0DB8:0000:0000:0000:0000:0000:0001", true, AF_INET6, "2001:db8::1"}, /* 11 */
    {"[fd00::1]", false, 0, NULL},						/* 12 */
    {"localhost", false, 0, NULL}, /* 13: no resolving here */
};

static void test_addr_parse(void **state)
{
	(void)state;
	failures = 0;
	for (size_t i = 0; i < ROWS(addrs); i++) {
		struct wf_prefix p;
		char buf[WF_ADDR_STRLEN];
		bool ok = wf_addr_parse(&p, addrs[i].s);

		if (ok != addrs[i].ok) {
			report("addr", i, addrs[i].s, ok ? "accepted" : "refused");
			continue;
		}
		if (!ok)
			continue;
		if (p.family != addrs[i].family || p.len != (p.family == AF_INET ? 32 : 128))
			report("addr", i, addrs[i].s, "wrong family or length");
		if (strcmp(wf_prefix_str(&p, true, buf, sizeof(buf)), addrs[i].bare))
			report("addr", i, addrs[i].s, buf);
	}
	assert_int_equal(failures, 0);
}

static void test_prefix_str(void **state)
{
	static const struct {
		const char *in, *bare, *full;
	} rows[] = {
	    {"100.64.0.1/32", "100.64.0.1", "100.64.0.1/32"},	 /* 1: bare host */
	    {"100.64.0.0/10", "100.64.0.0/10", "100.64.0.0/10"}, /* 2: a network stays one */
	    {"fd00::1/128", "fd00::1", "fd00::1/128"},		 /* 3 */
	    {"::/0", "::/0", "::/0"},				 /* 4 */
	    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128",
	     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"}, /* 5: the longest */
	};
	struct wf_prefix p;
	char buf[WF_ADDR_STRLEN], small[8];

	(void)state;
	failures = 0;
	for (size_t i = 0; i < ROWS(rows); i++) {
		assert_true(wf_prefix_parse(&p, rows[i].in, true));
		if (strcmp(wf_prefix_str(&p, true, buf, sizeof(buf)), rows[i].bare))
			report("prefix_str bare", i, rows[i].in, buf);
		if (strcmp(wf_prefix_str(&p, false, buf, sizeof(buf)), rows[i].full))
			report("prefix_str", i, rows[i].in, buf);
	}
	/* 6: a short buffer is truncated, still terminated */
	assert_true(wf_prefix_parse(&p, "100.64.0.0/10", true));
	assert_ptr_equal(wf_prefix_str(&p, false, small, sizeof(small)), small);
	assert_string_equal(small, "100.64.");
	assert_int_equal(failures, 0);
}

/* --- contains, match, mask, equal -------------------------------------------------- */

static void test_contains(void **state)
{
	static const struct {
		const char *outer, *inner;
		bool want;
	} rows[] = {
	    {"100.64.0.0/10", "100.64.1.0/24", true},	   /* 1 */
	    {"100.64.0.0/10", "100.64.0.0/10", true},	   /* 2: itself */
	    {"100.64.1.0/24", "100.64.0.0/10", false},	   /* 3: the other way */
	    {"0.0.0.0/0", "255.255.255.255/32", true},	   /* 4 */
	    {"::/0", "1.2.3.4/32", false},		   /* 5: other family */
	    {"0.0.0.0/0", "::/0", false},		   /* 6 */
	    {"100.64.0.0/10", "100.128.0.0/10", false},	   /* 7: neighbour */
	    {"100.64.0.0/10", "100.127.255.255/32", true}, /* 8: last address */
	    {"100.64.0.0/10", "100.128.0.0/32", false},	   /* 9: first past */
	    {"fd00::/8", "fd12::1/128", true},		   /* 10 */
	    {"fd00::/8", "fe00::/8", false},		   /* 11 */
	    {"fd00::/8", "fc00::/7", false},		   /* 12: wider */
	    {"fc00::/7", "fd00::/8", true},		   /* 13 */
	    {"fd00::1/128", "fd00::1/128", true},	   /* 14 */
	    {"fd00::1/128", "fd00::/128", false},	   /* 15 */
	};
	struct wf_prefix o, in;

	(void)state;
	failures = 0;
	for (size_t i = 0; i < ROWS(rows); i++) {
		assert_true(wf_prefix_parse(&o, rows[i].outer, true));
		assert_true(wf_prefix_parse(&in, rows[i].inner, true));
		if (wf_prefix_contains(&o, &in) != rows[i].want)
			report("contains", i, rows[i].inner,
			       rows[i].want ? "not inside" : "inside");
	}
	assert_int_equal(failures, 0);
}

static void test_match(void **state)
{
	static const struct {
		const char *prefix, *addr;
		bool want;
	} rows[] = {
	    {"0.0.0.0/0", "1.2.3.4", true},		   /* 1 */
	    {"0.0.0.0/0", "::1", false},		   /* 2: other family */
	    {"::/0", "::1", true},			   /* 3 */
	    {"1.2.3.4/32", "1.2.3.4", true},		   /* 4 */
	    {"1.2.3.4/32", "1.2.3.5", false},		   /* 5 */
	    {"128.0.0.0/1", "127.255.255.255", false},	   /* 6 */
	    {"128.0.0.0/1", "128.0.0.0", true},		   /* 7 */
	    {"100.64.0.0/10", "100.127.1.1", true},	   /* 8: not byte aligned */
	    {"100.64.0.0/10", "100.128.1.1", false},	   /* 9 */
	    {"100.64.0.0/10", "100.63.1.1", false},	   /* 10 */
	    {"100.64.0.128/25", "100.64.0.255", true},	   /* 11 */
	    {"100.64.0.128/25", "100.64.0.127", false},	   /* 12 */
	    {"fd00::/8", "fdff:ffff::1", true},		   /* 13 */
	    {"fd00::/8", "fe00::", false},		   /* 14 */
	    {"fd00::8/127", "fd00::9", true},		   /* 15 */
	    {"fd00::8/127", "fd00::a", false},		   /* 16 */
	    {"fd00::1/128", "fd00::1", true},		   /* 17 */
	    {"fd00::1/128", "fd00::", false},		   /* 18 */
	    {"::ffff:0.0.0.0/96", "::ffff:1.2.3.4", true}, /* 19 */
	    {"::ffff:0.0.0.0/96", "1.2.3.4", false},	   /* 20: v4 is no v4-mapped */
	};
	struct wf_prefix p, a;

	(void)state;
	failures = 0;
	for (size_t i = 0; i < ROWS(rows); i++) {
		assert_true(wf_prefix_parse(&p, rows[i].prefix, true));
		assert_true(wf_addr_parse(&a, rows[i].addr));
		if (wf_prefix_match(&p, a.family, a.addr) != rows[i].want)
			report("match", i, rows[i].addr, rows[i].want ? "no match" : "matched");
	}
	assert_int_equal(failures, 0);
}

static void test_mask(void **state)
{
	static const struct {
		int family, len;
		const char *want;
	} rows[] = {
	    {AF_INET, 0, "0.0.0.0/0"},					    /* 1 */
	    {AF_INET, 1, "128.0.0.0/1"},				    /* 2 */
	    {AF_INET, 10, "255.192.0.0/10"},				    /* 3 */
	    {AF_INET, 24, "255.255.255.0/24"},				    /* 4 */
	    {AF_INET, 31, "255.255.255.254/31"},			    /* 5 */
	    {AF_INET, 32, "255.255.255.255/32"},			    /* 6 */
	    {AF_INET6, 0, "::/0"},					    /* 7 */
	    {AF_INET6, 65, "ffff:ffff:ffff:ffff:8000::/65"},		    /* 8 */
	    {AF_INET6, 127, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"}, /* 9 */
	    {AF_INET6, 128, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"}, /* 10 */
	};
	static const uint8_t zero[12];

	(void)state;
	failures = 0;
	for (size_t i = 0; i < ROWS(rows); i++) {
		struct wf_prefix p = {.family = (uint8_t)rows[i].family,
				      .len = (uint8_t)rows[i].len};
		char buf[WF_ADDR_STRLEN];

		memset(p.addr, 0xff, sizeof(p.addr));
		wf_prefix_mask(&p);
		if (strcmp(wf_prefix_str(&p, false, buf, sizeof(buf)), rows[i].want))
			report("mask", i, rows[i].want, buf);
		/* IPv4 only uses 4 bytes: the rest is zeroed too, so that
		 * comparing whole structs works */
		if (p.family == AF_INET && memcmp(p.addr + 4, zero, 12))
			report("mask", i, rows[i].want, "bytes past 4 not zero");
	}
	assert_int_equal(failures, 0);
}

static void test_equal(void **state)
{
	struct wf_prefix a, b;

	(void)state;
	assert_true(wf_prefix_parse(&a, "100.64.0.0/10", true));
	assert_true(wf_prefix_parse(&b, "100.64.0.0/10", true));
	assert_true(wf_prefix_equal(&a, &b)); /* 1 */
	assert_true(wf_prefix_parse(&b, "100.64.0.0/11", true));
	assert_false(wf_prefix_equal(&a, &b)); /* 2: length */
	assert_true(wf_prefix_parse(&b, "100.0.0.0/10", true));
	assert_false(wf_prefix_equal(&a, &b)); /* 3: address */
	assert_true(wf_prefix_parse(&a, "::/0", true));
	assert_true(wf_prefix_parse(&b, "0.0.0.0/0", true));
	assert_false(wf_prefix_equal(&a, &b));		    /* 4: family */
	assert_int_equal(wf_family_addr_len(AF_INET), 4);   /* 5 */
	assert_int_equal(wf_family_addr_len(AF_INET6), 16); /* 6 */
}

/* --- endpoints ------------------------------------------------------------------ */

static const struct {
	const char *s;
	bool ok;
	const char *str; /* wf_endpoint_str */
} endpoints[] = {
    {"198.18.0.1:51820", true, "198.18.0.1:51820"},		/* 1 */
    {"[2001:db8::1]:51820", true, "[2001:db8::1]:51820"},	/* 2 */
    {"198.18.0.1", false, NULL},				/* 3: missing port */
    {"198.18.0.1:", false, NULL},				/* 4 */
    {"198.18.0.1:0", false, NULL},				/* 5: port 0 */
    {"198.18.0.1:65535", true, "198.18.0.1:65535"},		/* 6 */
    {"198.18.0.1:65536", false, NULL},				/* 7 */
    {"198.18.0.1:1", true, "198.18.0.1:1"},			/* 8 */
    {"2001:db8::1:51820", false, NULL},				/* 9: unbracketed IPv6 */
    {"[2001:db8::1]", false, NULL},				/* 10 */
    {"[2001:db8::1]51820", false, NULL},			/* 11 */
    {"[2001:db8::1]:", false, NULL},				/* 12 */
    {"[]:80", false, NULL},					/* 13 */
    {"", false, NULL},						/* 14 */
    {":80", false, NULL},					/* 15 */
    {"198.18.0.1:80x", false, NULL},				/* 16 */
    {"198.18.0.1:-1", false, NULL},				/* 17 */
    {"198.18.0.1: 80", false, NULL},				/* 18 */
    {"198.18.0.1:99999999999999999999999", false, NULL},	/* 19 */
    {"[::ffff:198.18.0.1]:80", true, "[::ffff:198.18.0.1]:80"}, /* 20 */
    {"[::]:1", true, "[::]:1"},					/* 21 */
    {"[2001:DB8::1]:443", true, "[2001:db8::1]:443"},		/* 22 */
    {"2001:db8::1", false, NULL},				/* 23 */
    {"198.18.0.1:+80", false, NULL},				/* 24 */
    {"[2001:db8::1:80", false, NULL},				/* 25: no closing bracket */
    {"0.0.0.0:80", true, "0.0.0.0:80"},				/* 26 */
    {"198.18.0.1:65536000000", false, NULL},			/* 27 */
    {"[2001:db8::1]:65536", false, NULL},			/* 28 */
    {"[2001:db8::1]:0", false, NULL},				/* 29 */
    {"::1", false, NULL},					/* 30 */
    {"010.1.1.1:80", false, NULL},				/* 31: octal, not 8.1.1.1 */
    {"1.1:80", false, NULL},					/* 32: not 1.0.0.1 */
    {"0x7f.1:80", false, NULL},					/* 33 */
    {"2130706433:80", false, NULL},				/* 34: 127.0.0.1 as a number */
    {"[1.2.3.4]:80", false, NULL},				/* 35: brackets are for IPv6 */
};

static void test_endpoint_parse(void **state)
{
	(void)state;
	failures = 0;
	for (size_t i = 0; i < ROWS(endpoints); i++) {
		union wf_endpoint ep, again;
		char buf[WF_ADDR_STRLEN];
		bool ok = wf_endpoint_parse(&ep, endpoints[i].s);

		if (ok != endpoints[i].ok) {
			report("endpoint", i, endpoints[i].s, ok ? "accepted" : "refused");
			continue;
		}
		if (!ok)
			continue;
		if (strcmp(wf_endpoint_str(&ep, buf, sizeof(buf)), endpoints[i].str))
			report("endpoint", i, endpoints[i].s, buf);
		if (wf_endpoint_len(&ep) !=
		    (ep.sa.sa_family == AF_INET ? sizeof(ep.in4) : sizeof(ep.in6)))
			report("endpoint", i, endpoints[i].s, "wrong length");
		/* what we print, we parse back */
		if (!wf_endpoint_parse(&again, buf) || !wf_endpoint_equal(&ep, &again))
			report("endpoint", i, endpoints[i].s, "no round trip");
	}
	assert_int_equal(failures, 0);
}

static void test_endpoint_misc(void **state)
{
	union wf_endpoint a, b, none;
	char buf[WF_ADDR_STRLEN];

	(void)state;
	assert_true(wf_endpoint_parse(&a, "198.18.0.1:51820"));
	assert_true(wf_endpoint_parse(&b, "198.18.0.1:51820"));
	assert_true(wf_endpoint_equal(&a, &b)); /* 1 */
	assert_true(wf_endpoint_parse(&b, "198.18.0.1:51821"));
	assert_false(wf_endpoint_equal(&a, &b)); /* 2: port */
	assert_true(wf_endpoint_parse(&b, "198.18.0.2:51820"));
	assert_false(wf_endpoint_equal(&a, &b)); /* 3: address */
	assert_true(wf_endpoint_parse(&b, "[::ffff:198.18.0.1]:51820"));
	assert_false(wf_endpoint_equal(&a, &b)); /* 4: family */
	assert_true(wf_endpoint_parse(&a, "[fd00::1]:1"));
	assert_true(wf_endpoint_parse(&b, "[fd00::2]:1"));
	assert_false(wf_endpoint_equal(&a, &b));     /* 5 */
	assert_int_equal(a.sa.sa_family, AF_INET6);  /* 6 */
	assert_int_equal(ntohs(a.in6.sin6_port), 1); /* 7 */
	memset(&none, 0, sizeof(none));
	assert_string_equal(wf_endpoint_str(&none, buf, sizeof(buf)), "(none)"); /* 8 */
	/* 9: /etc/hosts knows localhost: resolving needs no DNS server */
	if (wf_endpoint_parse(&a, "localhost:80")) {
		wf_endpoint_str(&a, buf, sizeof(buf));
		assert_true(!strcmp(buf, "127.0.0.1:80") || !strcmp(buf, "[::1]:80"));
	}
}

/* 1-20: which told endpoints are worth trying (hardening item 5). */
static void test_endpoint_usable(void **state)
{
	static const struct {
		const char *ep;
		bool usable;
	} cases[] = {
	    {"198.18.0.1:51820", true},	     /* 1 */
	    {"203.0.113.7:1", true},	     /* 2 */
	    {"198.18.0.1:0", false},	     /* 3: port 0 (set after parsing) */
	    {"0.0.0.0:51820", false},	     /* 4: unspecified */
	    {"0.1.2.3:51820", false},	     /* 5: "this network" */
	    {"127.0.0.1:51820", false},	     /* 6: loopback */
	    {"127.255.0.9:51820", false},    /* 7 */
	    {"224.0.0.1:51820", false},	     /* 8: multicast */
	    {"239.255.255.250:51820", false}, /* 9 */
	    {"240.0.0.1:51820", false},	     /* 10: reserved */
	    {"255.255.255.255:51820", false}, /* 11: broadcast */
	    {"[2001:db8::1]:51820", true},   /* 12 */
	    {"[fd00::1]:51820", true},	     /* 13 */
	    {"[::]:51820", false},	     /* 14 */
	    {"[::1]:51820", false},	     /* 15 */
	    {"[ff02::1]:51820", false},	     /* 16 */
	    {"[fe80::1]:51820", false},	     /* 17: link-local needs a scope */
	    {"[::ffff:127.0.0.1]:51820", false}, /* 18: mapped loopback */
	    {"[::ffff:198.18.0.1]:51820", true}, /* 19 */
	    {"[2001:db8::1]:0", false},	     /* 20: port 0 */
	};
	union wf_endpoint ep;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char spec[64];
		size_t n = strlen(cases[i].ep);
		bool port0 = !strcmp(cases[i].ep + n - 2, ":0");

		/* The parser refuses port 0; a peer could still send it. */
		snprintf(spec, sizeof(spec), "%.*s%s", (int)(port0 ? n - 1 : n), cases[i].ep,
			 port0 ? "9" : "");
		assert_true(wf_endpoint_parse(&ep, spec));
		if (port0 && ep.sa.sa_family == AF_INET)
			ep.in4.sin_port = 0;
		else if (port0)
			ep.in6.sin6_port = 0;
		if (wf_endpoint_usable(&ep) != cases[i].usable) {
			print_error("case %zu (%s): usable %d, want %d\n", i + 1, cases[i].ep,
				    !cases[i].usable, cases[i].usable);
			fail();
		}
	}
	memset(&ep, 0, sizeof(ep));
	assert_false(wf_endpoint_usable(&ep)); /* no family */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_prefix_parse),  cmocka_unit_test(test_addr_parse),
	    cmocka_unit_test(test_prefix_str),	  cmocka_unit_test(test_contains),
	    cmocka_unit_test(test_match),	  cmocka_unit_test(test_mask),
	    cmocka_unit_test(test_equal),	  cmocka_unit_test(test_endpoint_parse),
	    cmocka_unit_test(test_endpoint_misc), cmocka_unit_test(test_endpoint_usable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
