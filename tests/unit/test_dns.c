/* SPDX-License-Identifier: MIT */
/*
 * The DNS responder (src/core/dns.c): numbered rows of queries made with
 * ldns against a zone of four members (answers, no data, NXDOMAIN, REFUSED,
 * EDNS, opcodes), malformed queries built by hand (no answer at all), the
 * size limit, and a randomized test against a naive reference: a linear
 * scan of the members' names as strings, compared without regard to case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <ldns/ldns.h>

#include "core/dns.h"

static struct wf_dns_zone *zone;

static void member(struct wf_dns_zone *z, const char *name, const char *a1, const char *a2)
{
	struct wf_cert c;

	memset(&c, 0, sizeof(c));
	c.type = WF_CERT_NODE;
	snprintf(c.name, sizeof(c.name), "%s", name);
	if (a1)
		assert_true(wf_addr_parse(&c.addrs[c.n_addrs++], a1));
	if (a2)
		assert_true(wf_addr_parse(&c.addrs[c.n_addrs++], a2));
	/* a route is no address: never in an answer */
	c.n_routes = 1;
	assert_true(wf_prefix_parse(&c.routes[0], "10.20.0.0/16", true));
	if (!wf_dns_zone_add_cert(z, &c))
		fail_msg("member %s refused", name);
}

static int setup(void **state)
{
	zone = wf_dns_zone_new("prod", 7);
	assert_non_null(zone);
	member(zone, "web1", "100.64.0.1", "fd00::1");
	member(zone, "db1", "100.64.0.20", NULL);
	member(zone, "node-1.example", "100.64.0.30", NULL);
	member(zone, "Web2", "100.64.0.99", NULL);
	member(zone, "Web2", "100.64.0.2", NULL); /* added again: the last counts */
	wf_dns_zone_seal(zone);
	assert_int_equal(wf_dns_zone_count(zone), 4);
	return 0;
}

static int teardown(void **state)
{
	wf_dns_zone_free(zone);
	return 0;
}

/* A query made by ldns; edns: 0 none, else the payload offered. */
static size_t make_query(uint8_t *buf, const char *name, ldns_rr_type type, ldns_rr_class cls,
			 uint16_t edns, uint8_t version, ldns_pkt_opcode op)
{
	ldns_rdf *dname = ldns_dname_new_frm_str(name);
	ldns_pkt *q = ldns_pkt_query_new(dname, type, cls, LDNS_RD);
	uint8_t *wire = NULL;
	size_t n = 0;

	assert_non_null(q);
	ldns_pkt_set_id(q, 0x1234);
	ldns_pkt_set_opcode(q, op);
	if (edns) {
		ldns_pkt_set_edns_udp_size(q, edns);
		ldns_pkt_set_edns_version(q, version);
	}
	assert_int_equal(ldns_pkt2wire(&wire, q, &n), LDNS_STATUS_OK);
	memcpy(buf, wire, n);
	free(wire);
	ldns_pkt_free(q);
	return n;
}

/* The answer to a query, read back with ldns (NULL: none was given). */
static ldns_pkt *ask(const uint8_t *q, size_t n, size_t *len)
{
	uint8_t out[2048];
	ldns_pkt *a = NULL;

	*len = wf_dns_answer(zone, q, n, out, sizeof(out));
	if (!*len)
		return NULL;
	assert_int_equal(ldns_wire2pkt(&a, out, *len), LDNS_STATUS_OK);
	return a;
}

/* The addresses of the answer section, as text, "a b ...". */
static void answers_str(const ldns_pkt *a, char *buf, size_t len)
{
	ldns_rr_list *an = ldns_pkt_answer(a);

	buf[0] = '\0';
	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		char *s = ldns_rdf2str(ldns_rr_rdf(rr, 0));
		size_t used = strlen(buf);

		snprintf(buf + used, len - used, "%s%s", used ? " " : "", s);
		free(s);
		assert_int_equal(ldns_rr_ttl(rr), WF_DNS_TTL);
	}
}

static void test_rows(void **state)
{
	enum { NOERR = LDNS_RCODE_NOERROR, NX = LDNS_RCODE_NXDOMAIN, REF = LDNS_RCODE_REFUSED };
	static const struct {
		const char *name;
		ldns_rr_type type;
		ldns_rr_class cls;
		int rcode;
		bool aa, soa; /* authoritative; the SOA in the authority section */
		const char *answers;
	} rows[] = {
	    /* 0 */ {"web1.prod.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, NOERR, true, false,
		     "100.64.0.1"},
	    /* 1 */
	    {"web1.prod.", LDNS_RR_TYPE_AAAA, LDNS_RR_CLASS_IN, NOERR, true, false, "fd00::1"},
	    /* 2 */
	    {"WEB1.Prod.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, NOERR, true, false, "100.64.0.1"},
	    /* 3 */ {"db1.prod.", LDNS_RR_TYPE_AAAA, LDNS_RR_CLASS_IN, NOERR, true, true, ""},
	    /* 4 */ {"nobody.prod.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, NX, true, true, ""},
	    /* 5 */ {"example.prod.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, NOERR, true, true, ""},
	    /* 6 */
	    {"node-1.example.prod.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, NOERR, true, false,
	     "100.64.0.30"},
	    /* 7 */ {"prod.", LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, NOERR, true, false, "weft.prod."},
	    /* 8 */ {"prod.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, NOERR, true, true, ""},
	    /* 9 */ {"www.example.com.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, REF, false, false, ""},
	    /* 10 */ {"com.", LDNS_RR_TYPE_NS, LDNS_RR_CLASS_IN, REF, false, false, ""},
	    /* 11 */ {"web1.prod.", LDNS_RR_TYPE_MX, LDNS_RR_CLASS_IN, NOERR, true, true, ""},
	    /* 12 */
	    {"web1.prod.", LDNS_RR_TYPE_ANY, LDNS_RR_CLASS_IN, NOERR, true, false,
	     "100.64.0.1 fd00::1"},
	    /* 13 */ {"web1.prod.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_CH, REF, false, false, ""},
	    /* 14 */
	    {"web2.prod.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, NOERR, true, false, "100.64.0.2"},
	    /* 15 */ {"sub.web1.prod.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, NX, true, true, ""},
	    /* 16 */ {"prodx.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, REF, false, false, ""},
	    /* 17 */ {"xprod.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, REF, false, false, ""},
	    /* 18 */
	    {"web1.prod.example.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, REF, false, false, ""},
	    /* 19 */ {".", LDNS_RR_TYPE_NS, LDNS_RR_CLASS_IN, REF, false, false, ""},
	};
	uint8_t q[512];
	char got[256];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t n = make_query(q, rows[i].name, rows[i].type, rows[i].cls, 0, 0,
				      LDNS_PACKET_QUERY),
		       len;
		ldns_pkt *a = ask(q, n, &len);
		size_t ns;

		if (!a)
			fail_msg("row %zu (%s): no answer", i, rows[i].name);
		ns = ldns_rr_list_rr_count(ldns_pkt_authority(a));
		if ((int)ldns_pkt_get_rcode(a) != rows[i].rcode || ldns_pkt_aa(a) != rows[i].aa ||
		    (ns == 1) != rows[i].soa)
			fail_msg("row %zu (%s): rcode %d aa %d authority %zu", i, rows[i].name,
				 ldns_pkt_get_rcode(a), ldns_pkt_aa(a), ns);
		answers_str(a, got, sizeof(got));
		if (strcmp(got, rows[i].answers))
			fail_msg("row %zu (%s): answers '%s', want '%s'", i, rows[i].name, got,
				 rows[i].answers);
		/* the frame: id, QR, RD echoed, no RA, no recursion, question as asked */
		assert_int_equal(ldns_pkt_id(a), 0x1234);
		assert_true(ldns_pkt_qr(a) && ldns_pkt_rd(a) && !ldns_pkt_ra(a));
		assert_int_equal(ldns_pkt_qdcount(a), 1);
		assert_true(len <= WF_DNS_UDP_MIN);
		assert_false(ldns_pkt_edns(a)); /* asked without EDNS */
		ldns_pkt_free(a);
	}
}

/* 1-4: EDNS, opcodes, the name echoed with its case. */
static void test_frame(void **state)
{
	uint8_t q[512];
	size_t n, len;
	ldns_pkt *a;
	char *s;

	n = make_query(q, "web1.prod.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 4096, 0,
		       LDNS_PACKET_QUERY);
	a = ask(q, n, &len);
	assert_non_null(a); /* 1: EDNS answered in kind, 1232 offered */
	assert_true(ldns_pkt_edns(a));
	assert_int_equal(ldns_pkt_edns_udp_size(a), WF_DNS_UDP_MAX);
	ldns_pkt_free(a);
	n = make_query(q, "web1.prod.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 4096, 1,
		       LDNS_PACKET_QUERY);
	a = ask(q, n, &len);
	assert_non_null(a); /* 2: EDNS version 1: BADVERS */
	assert_int_equal(ldns_pkt_edns_extended_rcode(a), 1);
	assert_int_equal(ldns_pkt_ancount(a), 0);
	ldns_pkt_free(a);
	n = make_query(q, "web1.prod.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 0, 0, LDNS_PACKET_NOTIFY);
	a = ask(q, n, &len);
	assert_non_null(a); /* 3: NOTIFY: not implemented */
	assert_int_equal(ldns_pkt_get_rcode(a), LDNS_RCODE_NOTIMPL);
	ldns_pkt_free(a);
	n = make_query(q, "wEb1.pRoD.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 0, 0, LDNS_PACKET_QUERY);
	a = ask(q, n, &len);
	assert_non_null(a); /* 4: 0x20: the asker's case comes back */
	s = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_answer(a), 0)));
	assert_string_equal(s, "wEb1.pRoD.");
	free(s);
	ldns_pkt_free(a);
}

/* Malformed queries get no answer at all. */
static void test_malformed(void **state)
{
	static const struct {
		const char *bytes;
		size_t n;
	} rows[] = {
	    /* 0: nothing */ {"", 0},
	    /* 1: a header with no question */ {"\x12\x34\x01\x00\0\0\0\0\0\0\0\0", 12},
	    /* 2: two questions */
	    {"\x12\x34\x01\x00\0\x02\0\0\0\0\0\0\x04web1\x04prod\0\0\x01\0\x01"
	     "\x04web1\x04prod\0\0\x01\0\x01",
	     48},
	    /* 3: a response */
	    {"\x12\x34\x81\x00\0\x01\0\0\0\0\0\0\x04web1\x04prod\0\0\x01\0\x01", 28},
	    /* 4: the question cut short */
	    {"\x12\x34\x01\x00\0\x01\0\0\0\0\0\0\x04web1\x04pr", 19},
	    /* 5: a label past the end */ {"\x12\x34\x01\x00\0\x01\0\0\0\0\0\0\x3fweb1", 17},
	    /* 6: a compression pointer to itself */
	    {"\x12\x34\x01\x00\0\x01\0\0\0\0\0\0\xc0\x0c\0\x01\0\x01", 18},
	    /* 7: a header cut short */ {"\x12\x34\x01", 3},
	    /* 8: no type and class */ {"\x12\x34\x01\x00\0\x01\0\0\0\0\0\0\x04web1\x04prod\0", 23},
	};
	uint8_t out[2048];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (wf_dns_answer(zone, (const uint8_t *)rows[i].bytes, rows[i].n, out,
				  sizeof(out)))
			fail_msg("malformed row %zu answered", i);
	/* and the well-formed one those are made from is answered */
	assert_true(
	    wf_dns_answer(
		zone,
		(const uint8_t *)"\x12\x34\x01\x00\0\x01\0\0\0\0\0\0\x04web1\x04prod\0\0\x01\0\x01",
		28, out, sizeof(out)) > 0);
}

/* 1-4: zones: bad domains and names refused, long names answered within 512
 * bytes (or truncated, with no records), a full buffer is no answer. */
static void test_limits(void **state)
{
	char name[WF_CERT_NAME_MAX + 1], qname[300];
	struct wf_dns_zone *z;
	struct wf_cert c;
	uint8_t q[512], out[2048];
	ldns_pkt *a = NULL;
	size_t n, len;

	assert_null(wf_dns_zone_new("", 1)); /* 1 */
	assert_null(wf_dns_zone_new("a..b", 1));
	assert_null(wf_dns_zone_new("bad name", 1));
	z = wf_dns_zone_new("a-network.with.labels", 1);
	assert_non_null(z);
	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "a..b"); /* 2: an empty label */
	assert_false(wf_dns_zone_add_cert(z, &c));
	memset(name, 'x', WF_CERT_NAME_MAX);
	name[WF_CERT_NAME_MAX] = '\0';
	snprintf(c.name, sizeof(c.name), "%s", name); /* 3: 63 bytes, 4 addresses */
	c.n_addrs = 4;
	assert_true(wf_addr_parse(&c.addrs[0], "100.64.0.1"));
	assert_true(wf_addr_parse(&c.addrs[1], "fd00::1"));
	assert_true(wf_addr_parse(&c.addrs[2], "fd00::2"));
	assert_true(wf_addr_parse(&c.addrs[3], "fd00::3"));
	assert_true(wf_dns_zone_add_cert(z, &c));
	wf_dns_zone_seal(z);
	assert_false(wf_dns_zone_add_cert(z, &c)); /* sealed */
	snprintf(qname, sizeof(qname), "%s.a-network.with.labels.", name);
	n = make_query(q, qname, LDNS_RR_TYPE_ANY, LDNS_RR_CLASS_IN, 0, 0, LDNS_PACKET_QUERY);
	len = wf_dns_answer(z, q, n, out, sizeof(out));
	assert_true(len > 0 && len <= WF_DNS_UDP_MIN);
	assert_int_equal(ldns_wire2pkt(&a, out, len), LDNS_STATUS_OK);
	assert_true(ldns_pkt_tc(a) ? ldns_pkt_ancount(a) == 0 : ldns_pkt_ancount(a) == 4);
	ldns_pkt_free(a);
	assert_int_equal(wf_dns_answer(z, q, n, out, 20), 0); /* 4: no room */
	wf_dns_zone_free(z);
}

/* --- randomized, against a naive scan -------------------------------------- */

static uint64_t rs = 0x9e3779b97f4a7c15ull;

static unsigned rnd(unsigned n)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (unsigned)((rs >> 16) % n);
}

static const char *const labels[] = {"a", "b", "web", "db-1", "x_y", "A", "WEB"};

static void rnd_name(char *buf, size_t len)
{
	unsigned n = 1 + rnd(3);

	buf[0] = '\0';
	for (unsigned i = 0; i < n; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? "." : "",
			 labels[rnd(7)]);
}

/* Naive: the rcode, and how many A records, for qname (no final dot). */
static void naive(char names[][64], const unsigned *n4, unsigned n, const char *domain,
		  const char *qname, int *rcode, unsigned *na)
{
	size_t dl = strlen(domain), ql = strlen(qname);
	bool below = false;
	int found = -1;

	*na = 0;
	if (ql < dl || strcasecmp(qname + ql - dl, domain) ||
	    (ql > dl && qname[ql - dl - 1] != '.')) {
		*rcode = LDNS_RCODE_REFUSED;
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		char full[200];
		size_t fl;

		snprintf(full, sizeof(full), "%s.%s", names[i], domain);
		fl = strlen(full);
		if (!strcasecmp(full, qname))
			found = (int)i; /* the last added counts */
		else if (fl > ql && full[fl - ql - 1] == '.' && !strcasecmp(full + fl - ql, qname))
			below = true;
	}
	*rcode = found < 0 && !below && ql != dl ? LDNS_RCODE_NXDOMAIN : LDNS_RCODE_NOERROR;
	if (found >= 0)
		*na = n4[found];
}

static void test_random(void **state)
{
	enum { ROUNDS = 100, MEMBERS = 12, QUERIES = 100 };

	for (int round = 0; round < ROUNDS; round++) {
		char names[MEMBERS][64], qname[300];
		unsigned n4[MEMBERS], n = 1 + rnd(MEMBERS);
		const char *domain = round % 2 ? "prod" : "Corp.Example";
		struct wf_dns_zone *z = wf_dns_zone_new(domain, 1);

		for (unsigned i = 0; i < n; i++) {
			struct wf_cert c;

			memset(&c, 0, sizeof(c));
			rnd_name(names[i], sizeof(names[i]));
			snprintf(c.name, sizeof(c.name), "%s", names[i]);
			n4[i] = rnd(3);
			for (unsigned k = 0; k < n4[i]; k++) {
				c.addrs[c.n_addrs].family = AF_INET;
				c.addrs[c.n_addrs].len = 32;
				c.addrs[c.n_addrs++].addr[3] = (uint8_t)(k + 1);
			}
			assert_true(wf_dns_zone_add_cert(z, &c));
		}
		wf_dns_zone_seal(z);
		for (int k = 0; k < QUERIES; k++) {
			uint8_t q[512], out[2048];
			ldns_pkt *a = NULL;
			unsigned want_n;
			int want;
			size_t len;

			char base[100];

			switch (rnd(5)) {
			case 0: /* a random name in the domain: a member, above one, or none */
				rnd_name(base, sizeof(base));
				snprintf(qname, sizeof(qname), "%s.%s", base, domain);
				break;
			case 1: /* a member */
				snprintf(qname, sizeof(qname), "%s.%s", names[rnd(n)], domain);
				break;
			case 2: /* the domain itself */
				snprintf(qname, sizeof(qname), "%s", domain);
				break;
			case 3: /* outside, or the domain's name as a label elsewhere */
				rnd_name(base, sizeof(base));
				snprintf(qname, sizeof(qname), "%s%s", base,
					 rnd(2) ? "" : ".prod.x");
				break;
			default: /* a member, in another domain (or the other round's) */
				snprintf(qname, sizeof(qname), "%s.%s", names[rnd(n)],
					 rnd(2) ? "PROD" : "example");
				break;
			}
			naive(names, n4, n, domain, qname, &want, &want_n);
			snprintf(qname + strlen(qname), sizeof(qname) - strlen(qname), ".");
			len = wf_dns_answer(z, q,
					    make_query(q, qname, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
						       0, 0, LDNS_PACKET_QUERY),
					    out, sizeof(out));
			assert_true(len > 0);
			assert_int_equal(ldns_wire2pkt(&a, out, len), LDNS_STATUS_OK);
			if ((int)ldns_pkt_get_rcode(a) != want || ldns_pkt_ancount(a) != want_n)
				fail_msg(
				    "round %d query %d (%s): rcode %d, %u answers; naive %d, %u",
				    round, k, qname, ldns_pkt_get_rcode(a), ldns_pkt_ancount(a),
				    want, want_n);
			ldns_pkt_free(a);
		}
		wf_dns_zone_free(z);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rows),      cmocka_unit_test(test_frame),
	    cmocka_unit_test(test_malformed), cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
