/* SPDX-License-Identifier: MIT */
/*
 * The DNS responder for members' names (dns.h). ldns reads the query and
 * writes the answer; what is answered is decided here, from a table of
 * names in DNS's canonical order (RFC 4034 section 6.1), searched by
 * bisection: a name, and the names below it, are neighbours in that order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

#include "core/dns.h"

struct member {
	ldns_rdf *dname; /* name.domain. */
	uint8_t n4, n6;
	uint8_t v4[WF_CERT_MAX_ADDRS][4];
	uint8_t v6[WF_CERT_MAX_ADDRS][16];
};

struct wf_dns_zone {
	ldns_rdf *apex;
	ldns_rr *soa;
	struct member *m;
	size_t n, cap;
	bool sealed;
};

/* --- The table ------------------------------------------------------------- */

static ldns_rr *make_soa(const char *domain, uint32_t serial)
{
	char text[2 * WF_DNS_NAME_MAX + 128];
	ldns_rr *rr = NULL;

	/* refresh, retry, expire are for secondaries, which there are none
	 * of; the minimum is the negative TTL (RFC 2308). */
	snprintf(text, sizeof(text), "%s. %d IN SOA weft.%s. hostmaster.%s. %u 3600 600 86400 %d",
		 domain, WF_DNS_TTL, domain, domain, serial, WF_DNS_TTL);
	return ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) == LDNS_STATUS_OK ? rr : NULL;
}

/* A name of labels of [A-Za-z0-9._-] separated by dots, none empty. */
static bool labels_ok(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (n == 0 || n > WF_DNS_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (!label)
				return false;
			label = 0;
		} else if (++label > 63) {
			return false;
		}
	}
	return label > 0;
}

struct wf_dns_zone *wf_dns_zone_new(const char *domain, uint32_t serial)
{
	struct wf_dns_zone *z;

	if (!labels_ok(domain) || !wf_cert_name_valid(domain) || !(z = calloc(1, sizeof(*z))))
		return NULL;
	z->apex = ldns_dname_new_frm_str(domain);
	z->soa = make_soa(domain, serial);
	if (!z->apex || !z->soa) {
		wf_dns_zone_free(z);
		return NULL;
	}
	return z;
}

void wf_dns_zone_free(struct wf_dns_zone *z)
{
	if (!z)
		return;
	for (size_t i = 0; i < z->n; i++)
		ldns_rdf_deep_free(z->m[i].dname);
	free(z->m);
	ldns_rdf_deep_free(z->apex);
	ldns_rr_free(z->soa);
	free(z);
}

size_t wf_dns_zone_count(const struct wf_dns_zone *z)
{
	return z->n;
}

static void addresses(struct member *m, const struct wf_cert *c)
{
	for (unsigned i = 0; i < c->n_addrs && i < WF_CERT_MAX_ADDRS; i++) {
		const struct wf_prefix *a = &c->addrs[i];

		if (a->family == AF_INET && a->len == 32)
			memcpy(m->v4[m->n4++], a->addr, 4);
		else if (a->family == AF_INET6 && a->len == 128)
			memcpy(m->v6[m->n6++], a->addr, 16);
	}
}

bool wf_dns_zone_add_cert(struct wf_dns_zone *z, const struct wf_cert *c)
{
	struct member m = {0};

	if (z->sealed || !labels_ok(c->name))
		return false;
	/* name, then the domain: at most 255 bytes on the wire */
	m.dname = ldns_dname_new_frm_str(c->name);
	if (!m.dname || ldns_dname_cat(m.dname, z->apex) != LDNS_STATUS_OK ||
	    ldns_rdf_size(m.dname) > WF_DNS_NAME_MAX + 2) {
		ldns_rdf_deep_free(m.dname);
		return false;
	}
	addresses(&m, c);
	if (z->n == z->cap) {
		size_t cap = z->cap ? 2 * z->cap : 16;
		struct member *more = realloc(z->m, cap * sizeof(*more));

		if (!more) {
			ldns_rdf_deep_free(m.dname);
			return false;
		}
		z->m = more;
		z->cap = cap;
	}
	z->m[z->n++] = m;
	return true;
}

/* Canonical order, and among equal names the one added later last. */
static int by_name(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	int c = ldns_dname_compare(x->dname, y->dname);

	return c ? c : (x < y ? -1 : x > y);
}

void wf_dns_zone_seal(struct wf_dns_zone *z)
{
	size_t k = 0;

	if (z->sealed)
		return;
	qsort(z->m, z->n, sizeof(z->m[0]), by_name);
	/* a name added twice: the last one counts */
	for (size_t i = 0; i < z->n; i++) {
		if (i + 1 < z->n && ldns_dname_compare(z->m[i].dname, z->m[i + 1].dname) == 0) {
			ldns_rdf_deep_free(z->m[i].dname);
			continue;
		}
		z->m[k++] = z->m[i];
	}
	z->n = k;
	z->sealed = true;
}

/* The first member whose name is not before qname (z->n if none). */
static size_t lower_bound(const struct wf_dns_zone *z, const ldns_rdf *qname)
{
	size_t lo = 0, hi = z->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ldns_dname_compare(z->m[mid].dname, qname) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* --- Answering ------------------------------------------------------------- */

/* A standard query's one question, as ldns read it. */
struct question {
	const ldns_pkt *q;
	const ldns_rr *rr;
	const ldns_rdf *name;
	ldns_rr_type type;
};

/* Nothing is said to what is no query: a response (never answer one, or
 * two responders would talk forever), no question, or several. */
static bool read_question(const ldns_pkt *q, struct question *qs)
{
	if (ldns_pkt_qr(q) || ldns_pkt_qdcount(q) != 1 || !ldns_pkt_question(q) ||
	    ldns_rr_list_rr_count(ldns_pkt_question(q)) != 1)
		return false;
	qs->q = q;
	qs->rr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	qs->name = ldns_rr_owner(qs->rr);
	qs->type = ldns_rr_get_type(qs->rr);
	return qs->name != NULL;
}

/* The answer's frame: the query's id, opcode, RD and CD, its question as
 * asked, and an OPT record if it had one. NULL when out of memory. */
static ldns_pkt *reply_new(const struct question *qs)
{
	ldns_pkt *r = ldns_pkt_new();
	ldns_rr *echo = ldns_rr_clone(qs->rr);

	if (!r || !echo || !ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION, echo)) {
		ldns_rr_free(echo);
		ldns_pkt_free(r);
		return NULL;
	}
	ldns_pkt_set_id(r, ldns_pkt_id(qs->q));
	ldns_pkt_set_qr(r, true);
	ldns_pkt_set_opcode(r, ldns_pkt_get_opcode(qs->q));
	ldns_pkt_set_rd(r, ldns_pkt_rd(qs->q));
	ldns_pkt_set_cd(r, ldns_pkt_cd(qs->q));
	if (ldns_pkt_edns(qs->q))
		ldns_pkt_set_edns_udp_size(r, WF_DNS_UDP_MAX);
	return r;
}

static bool push_addr(ldns_pkt *r, const ldns_rdf *owner, ldns_rr_type type, const uint8_t *a)
{
	ldns_rr *rr = ldns_rr_new();
	ldns_rdf *o = ldns_rdf_clone(owner);
	ldns_rdf *d =
	    ldns_rdf_new_frm_data(type == LDNS_RR_TYPE_A ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA,
				  type == LDNS_RR_TYPE_A ? 4 : 16, a);

	if (!rr || !o || !d) {
		ldns_rr_free(rr);
		ldns_rdf_deep_free(o);
		ldns_rdf_deep_free(d);
		return false;
	}
	ldns_rr_set_owner(rr, o);
	ldns_rr_set_type(rr, type);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, WF_DNS_TTL);
	ldns_rr_push_rdf(rr, d);
	return ldns_pkt_push_rr(r, LDNS_SECTION_ANSWER, rr);
}

static bool push_soa(ldns_pkt *r, const struct wf_dns_zone *z, ldns_pkt_section where)
{
	ldns_rr *soa = ldns_rr_clone(z->soa);

	if (soa && ldns_pkt_push_rr(r, where, soa))
		return true;
	ldns_rr_free(soa);
	return false;
}

/* A member's A and AAAA records, as the question asks; no data is an empty
 * answer with the SOA (RFC 2308). */
static bool answer_member(ldns_pkt *r, const struct wf_dns_zone *z, const struct member *m,
			  const struct question *qs)
{
	bool any = qs->type == LDNS_RR_TYPE_ANY, pushed = false;

	for (unsigned i = 0; (any || qs->type == LDNS_RR_TYPE_A) && i < m->n4; i++, pushed = true)
		if (!push_addr(r, qs->name, LDNS_RR_TYPE_A, m->v4[i]))
			return false;
	for (unsigned i = 0; (any || qs->type == LDNS_RR_TYPE_AAAA) && i < m->n6;
	     i++, pushed = true)
		if (!push_addr(r, qs->name, LDNS_RR_TYPE_AAAA, m->v6[i]))
			return false;
	return pushed || push_soa(r, z, LDNS_SECTION_AUTHORITY);
}

/* A question inside the domain: authoritative, whatever the answer. */
static bool answer_zone(ldns_pkt *r, const struct wf_dns_zone *z, const struct question *qs)
{
	size_t i = lower_bound(z, qs->name);
	bool found = i < z->n && ldns_dname_compare(z->m[i].dname, qs->name) == 0;

	ldns_pkt_set_aa(r, true);
	if (found)
		return answer_member(r, z, &z->m[i], qs);
	if (ldns_dname_compare(qs->name, z->apex) == 0) {
		if (qs->type == LDNS_RR_TYPE_SOA || qs->type == LDNS_RR_TYPE_ANY)
			return push_soa(r, z, LDNS_SECTION_ANSWER);
		return push_soa(r, z, LDNS_SECTION_AUTHORITY);
	}
	/* names below it exist: an empty non-terminal, no data (RFC 8020) */
	if (!(i < z->n && ldns_dname_is_subdomain(z->m[i].dname, qs->name)))
		ldns_pkt_set_rcode(r, LDNS_RCODE_NXDOMAIN);
	return push_soa(r, z, LDNS_SECTION_AUTHORITY);
}

static bool decide(ldns_pkt *r, const struct wf_dns_zone *z, const struct question *qs)
{
	const ldns_rdf *name = qs->name;

	if (ldns_pkt_get_opcode(qs->q) != LDNS_PACKET_QUERY) {
		ldns_pkt_set_rcode(r, LDNS_RCODE_NOTIMPL);
		return true;
	}
	if (ldns_pkt_edns(qs->q) && ldns_pkt_edns_version(qs->q) > 0) {
		ldns_pkt_set_edns_extended_rcode(r, 1); /* BADVERS (16), RFC 6891 */
		return true;
	}
	if (ldns_rr_get_class(qs->rr) != LDNS_RR_CLASS_IN ||
	    (ldns_dname_compare(name, z->apex) != 0 && !ldns_dname_is_subdomain(name, z->apex))) {
		ldns_pkt_set_rcode(r, LDNS_RCODE_REFUSED);
		return true;
	}
	return answer_zone(r, z, qs);
}

/* The most the asker takes: 512 bytes, or its EDNS payload up to ours. */
static size_t room(const ldns_pkt *q)
{
	size_t n = ldns_pkt_edns(q) ? ldns_pkt_edns_udp_size(q) : 0;

	if (n < WF_DNS_UDP_MIN)
		return WF_DNS_UDP_MIN;
	return n < WF_DNS_UDP_MAX ? n : WF_DNS_UDP_MAX;
}

static size_t to_wire(const ldns_pkt *r, size_t limit, uint8_t *out, size_t cap)
{
	uint8_t *wire = NULL;
	size_t n = 0;

	if (ldns_pkt2wire(&wire, r, &n) != LDNS_STATUS_OK || n > limit || n > cap)
		n = 0;
	else
		memcpy(out, wire, n);
	free(wire);
	return n;
}

/* Too large for the asker: the frame alone, truncated, so that it asks again
 * over TCP (or with a larger EDNS payload). */
static size_t truncated(const struct question *qs, uint8_t rcode, size_t limit, uint8_t *out,
			size_t cap)
{
	ldns_pkt *t = reply_new(qs);
	size_t n = 0;

	if (t) {
		ldns_pkt_set_tc(t, true);
		ldns_pkt_set_aa(t, true);
		ldns_pkt_set_rcode(t, rcode);
		n = to_wire(t, limit, out, cap);
		ldns_pkt_free(t);
	}
	return n;
}

size_t wf_dns_answer(const struct wf_dns_zone *z, const uint8_t *query, size_t qlen, uint8_t *out,
		     size_t cap)
{
	struct question qs;
	ldns_pkt *q = NULL, *r = NULL;
	size_t n = 0;

	if (!z->sealed || ldns_wire2pkt(&q, query, qlen) != LDNS_STATUS_OK)
		return 0;
	if (read_question(q, &qs) && (r = reply_new(&qs)) && decide(r, z, &qs)) {
		n = to_wire(r, room(q), out, cap);
		if (!n)
			n = truncated(&qs, ldns_pkt_get_rcode(r), room(q), out, cap);
	}
	ldns_pkt_free(r);
	ldns_pkt_free(q);
	return n;
}
