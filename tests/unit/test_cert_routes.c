/* SPDX-License-Identifier: MIT */
/*
 * Certificates, version 2: a CA's allowed routes (tag 12), the subnets
 * outside the overlay that its node certificates may route. Numbered cases
 * for the encoding and for verification (with certificates signed with the
 * CA key directly, past every check `weft ca sign` makes), then a randomized
 * differential test of the route rule against a naive bit-by-bit reference.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "core/cert.h"
#include "core/certcache.h"

enum { NOW = 1700000000, DAY = 86400 };

static uint8_t ca_priv[WF_KEY_LEN];
static struct wf_cert ca;  /* allows 10.20.0.0/16 and fd20::/48 */
static struct wf_cert ca1; /* the same key, version 1: no allowed routes */

static void pfx(struct wf_prefix *p, const char *s)
{
	if (!wf_prefix_parse(p, s, false))
		fail_msg("bad prefix in the test: %s", s);
}

static void make_ca(struct wf_cert *c, unsigned n_allowed)
{
	static const char *const allowed[] = {"10.20.0.0/16", "fd20::/48"};

	memset(c, 0, sizeof(*c));
	c->type = WF_CERT_CA;
	snprintf(c->network, sizeof(c->network), "lan");
	snprintf(c->name, sizeof(c->name), "lan");
	assert_true(wf_ed25519_public(c->pubkey, ca_priv));
	c->serial = 1;
	c->not_before = NOW - DAY;
	c->not_after = NOW + 3650 * DAY;
	c->cipher = WF_CIPHER_AES256GCM;
	c->n_prefixes = 2;
	pfx(&c->prefixes[0], "100.64.0.0/10");
	pfx(&c->prefixes[1], "fd00::/64");
	c->n_allowed = (uint8_t)n_allowed;
	for (unsigned i = 0; i < n_allowed; i++)
		pfx(&c->allowed[i], allowed[i]);
	assert_true(wf_cert_sign(c, ca_priv));
}

/* A node certificate routing route, signed with the CA key itself: what
 * someone holding ca.key could make without `weft ca sign`. */
static void make_node(struct wf_cert *c, const char *addr, const char *route)
{
	memset(c, 0, sizeof(*c));
	c->type = WF_CERT_NODE;
	snprintf(c->network, sizeof(c->network), "lan");
	snprintf(c->name, sizeof(c->name), "gw");
	memset(c->pubkey, 7, sizeof(c->pubkey));
	c->serial = 9;
	c->not_before = NOW - DAY;
	c->not_after = NOW + DAY;
	c->n_addrs = 1;
	pfx(&c->addrs[0], addr);
	if (route) {
		c->n_routes = 1;
		pfx(&c->routes[0], route);
	}
	assert_true(wf_cert_sign(c, ca_priv));
}

static int setup(void **state)
{
	uint8_t pub[WF_KEY_LEN];

	wf_crypto_init();
	assert_true(wf_ed25519_keygen(ca_priv, pub));
	make_ca(&ca, 2);
	make_ca(&ca1, 0);
	return 0;
}

/* 1-4: versions follow the fields, and a CA with allowed routes round-trips. */
static void test_versions(void **state)
{
	uint8_t a[WF_CERT_MAX_ENCODED], b[WF_CERT_MAX_ENCODED];
	struct wf_cert d, node;
	size_t n;

	assert_int_equal(ca.version, WF_CERT_VERSION_2); /* 1 */
	assert_int_equal(ca1.version, WF_CERT_VERSION_1); /* 2 */
	make_node(&node, "100.64.0.1", "10.20.1.0/24");
	assert_int_equal(node.version, WF_CERT_VERSION_1); /* 3: node certificates stay v1 */
	n = wf_cert_encode(&ca, a, sizeof(a)); /* 4 */
	assert_true(n > 0);
	assert_int_equal(a[3], WF_CERT_VERSION_2);
	assert_int_equal(wf_cert_decode(&d, a, n), WF_CERT_OK);
	assert_memory_equal(&d, &ca, sizeof(d));
	assert_int_equal(wf_cert_encode(&d, b, sizeof(b)), n);
	assert_memory_equal(a, b, n);
	assert_int_equal(wf_cert_verify_ca(&d, NOW), WF_CERT_OK);
}

/* Structs that must not encode, numbered. */
static void test_check(void **state)
{
	enum { N = 8 };

	for (int i = 0; i < N; i++) {
		struct wf_cert c = ca;
		const char *why = NULL;

		switch (i) {
		case 0: c.version = WF_CERT_VERSION_1; break;       /* v2 field in v1 */
		case 1: c = ca1; c.version = WF_CERT_VERSION_2; break; /* v2 without one */
		case 2: c.allowed[1] = c.allowed[0]; break;          /* duplicate */
		case 3: c.allowed[0].addr[3] = 1; break;             /* host bits */
		case 4: c.n_allowed = WF_CERT_MAX_ROUTES + 1; break;
		case 5: c.allowed[0].family = 99; break;
		case 6: /* a node with allowed routes */
			make_node(&c, "100.64.0.1", NULL);
			c.n_allowed = 1;
			break;
		case 7: c.version = 3; break;
		default: break;
		}
		if (wf_cert_check(&c, &why) != WF_CERT_ERR_MALFORMED || !why)
			fail_msg("check case %d accepted", i);
	}
}

/* --- hand-built encodings of a CA ------------------------------------------ */

struct raw {
	uint8_t b[2 * WF_CERT_MAX_ENCODED];
	size_t n;
};

static void raw_bytes(struct raw *r, const void *d, size_t n)
{
	assert_true(n <= sizeof(r->b) - r->n);
	memcpy(r->b + r->n, d, n);
	r->n += n;
}

static void raw_field(struct raw *r, uint8_t tag, const void *d, size_t n)
{
	uint8_t h[3] = {tag, (uint8_t)(n >> 8), (uint8_t)n};

	raw_bytes(r, h, 3);
	raw_bytes(r, d, n);
}

#define V(s) s, sizeof(s) - 1

struct field {
	uint8_t tag;
	const char *val;
	size_t len;
};

/* A CA: network, name, key, serial, dates, cipher, prefixes; 12 per case. */
static const struct field ca_fields[] = {
	{1, V("net")},
	{2, V("net")},
	{3, V("0123456789abcdef0123456789abcdef")},
	{4, V("\0\0\0\0\0\0\0\x07")},
	{5, V("\0\0\0\0\0\0\0\x10")},
	{6, V("\0\0\0\0\0\0\0\x20")},
	{7, V("\x01")},
	{10, V("\x04\x0a\x64\x40")},
};

struct ccase {
	uint8_t version;
	uint8_t tag;      /* the extra field's tag (0: none) */
	const char *val;
	size_t vlen;
	bool before;      /* put it before the prefixes (tag 10) */
	enum wf_cert_err want;
};

static void build(struct raw *r, const struct ccase *cc)
{
	uint8_t hdr[7] = {'W', 'F', 'C', cc->version, WF_CERT_CA, 0, 0}, sig[WF_SIG_LEN] = {0};
	size_t nf = sizeof(ca_fields) / sizeof(ca_fields[0]);

	r->n = 0;
	raw_bytes(r, hdr, sizeof(hdr));
	for (size_t i = 0; i < nf; i++) {
		if (cc->tag && cc->before && ca_fields[i].tag == 10)
			raw_field(r, cc->tag, cc->val, cc->vlen);
		raw_field(r, ca_fields[i].tag, ca_fields[i].val, ca_fields[i].len);
	}
	if (cc->tag && !cc->before)
		raw_field(r, cc->tag, cc->val, cc->vlen);
	raw_bytes(r, sig, sizeof(sig));
	r->b[5] = (uint8_t)(r->n >> 8);
	r->b[6] = (uint8_t)r->n;
}

static void test_decode(void **state)
{
#define OK WF_CERT_OK
#define BAD WF_CERT_ERR_MALFORMED
	static const struct ccase cases[] = {
		/* 0 */ {1, 0, NULL, 0, false, OK},              /* a version 1 CA, as before */
		/* 1 */ {2, 12, V("\x04\x10\x0a\x14"), false, OK}, /* 10.20.0.0/16 */
		/* 2 */ {2, 12, V("\x04\x10\x0a\x14\x06\x30\xfd\x20\0\0\0\0"), false, OK},
		/* 3 */ {1, 12, V("\x04\x10\x0a\x14"), false, BAD}, /* v2 field in v1 */
		/* 4 */ {2, 0, NULL, 0, false, BAD},             /* v2 without a v2 field */
		/* 5 */ {2, 12, V(""), false, BAD},              /* empty list */
		/* 6 */ {2, 12, V("\x04\x10\x0a\x14\x04\x10\x0a\x14"), false, BAD}, /* duplicate */
		/* 7 */ {2, 12, V("\x04\x10\x0a\x15\x01"), false, BAD}, /* a byte too many */
		/* 8 */ {2, 12, V("\x04\x0f\x0a\x15"), false, BAD}, /* host bit set */
		/* 9 */ {2, 12, V("\x04\x10\x0a\x14"), true, BAD},  /* out of order */
		/* 10 */ {2, 13, V("\x04\x10\x0a\x14"), false, BAD}, /* unknown tag */
		/* 11 */ {3, 12, V("\x04\x10\x0a\x14"), false, WF_CERT_ERR_VERSION},
		/* 12 */ {2, 12, V("\x04\x00"), false, OK},      /* 0.0.0.0/0 */
		/* 13 */ {2, 12, V("\x04\x21\x0a\x14\0\0\0"), false, BAD}, /* /33 */
		/* 14 */ {2, 12, V("\x04\x10\x0a"), false, BAD},  /* entry cut short */
		/* 15 */ {2, 9, V("\x04\x10\x0a\x14"), false, BAD}, /* a node's routes in a CA */
	};
#undef OK
#undef BAD
	struct raw r;
	struct wf_cert c;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = "";
		enum wf_cert_err e;

		build(&r, &cases[i]);
		e = wf_cert_decode_ex(&c, r.b, r.n, &why);
		if (e != cases[i].want)
			fail_msg("decode case %zu: got %d (%s), want %d", i, e, why ? why : "",
				 cases[i].want);
		if (e == WF_CERT_OK) {
			uint8_t again[WF_CERT_MAX_ENCODED];

			assert_int_equal(wf_cert_encode(&c, again, sizeof(again)), r.n);
			assert_memory_equal(again, r.b, r.n);
		}
	}
}

/*
 * Verification: 0-9 against the CA that allows 10.20.0.0/16 and fd20::/48,
 * 10-11 against the same key's version 1 CA certificate (allows none). Every
 * node certificate here is signed with the CA key directly.
 */
static void test_verify(void **state)
{
	static const struct {
		const char *addr, *route;
		bool v1_ca;
		enum wf_cert_err want;
	} cases[] = {
		/* 0 */ {"100.64.0.1", "10.20.1.0/24", false, WF_CERT_OK},
		/* 1 */ {"100.64.0.1", "10.20.0.0/16", false, WF_CERT_OK}, /* all of it */
		/* 2 */ {"100.64.0.1", "10.0.0.0/8", false, WF_CERT_ERR_ROUTE}, /* wider */
		/* 3 */ {"100.64.0.1", "10.21.0.0/16", false, WF_CERT_ERR_ROUTE},
		/* 4 */ {"100.64.0.1", "100.65.0.0/16", false, WF_CERT_OK}, /* overlay, as always */
		/* 5 */ {"fd00::1", "fd20:0:0:7::/64", false, WF_CERT_OK},
		/* 6 */ {"fd00::1", "fd21::/64", false, WF_CERT_ERR_ROUTE},
		/* 7 */ {"100.64.0.1", "0.0.0.0/0", false, WF_CERT_ERR_ROUTE},
		/* 8 */ {"10.20.0.1", NULL, false, WF_CERT_ERR_ADDRESS}, /* not an address */
		/* 9 */ {"100.64.0.1", "10.20.0.7/32", false, WF_CERT_OK},
		/* 10 */ {"100.64.0.1", "10.20.1.0/24", true, WF_CERT_ERR_ROUTE}, /* forged */
		/* 11 */ {"100.64.0.1", "100.65.0.0/16", true, WF_CERT_OK},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct wf_cert *the_ca = cases[i].v1_ca ? &ca1 : &ca;
		struct wf_cert c;
		enum wf_cert_err e;

		make_node(&c, cases[i].addr, cases[i].route);
		e = wf_cert_verify(&c, the_ca, NOW);
		if (e != cases[i].want)
			fail_msg("verify case %zu: got %d (%s), want %d", i, e, wf_cert_strerror(e),
				 cases[i].want);
		/* the cached path (certcache) agrees */
		if (wf_cert_verify_fields(&c, the_ca, NOW) != e)
			fail_msg("verify case %zu: verify_fields disagrees", i);
	}
}

/* 1-4: what a node's own copy of ca.crt can and cannot do. */
static void test_tampered_ca(void **state)
{
	static struct wf_certcache cache;
	uint8_t enc[WF_CERT_MAX_ENCODED];
	struct wf_cert c = ca1, node, out;
	bool repeat;
	size_t n;

	/* 1: allowed routes added to a CA certificate by hand break its
	 * self-signature, so no node loads it */
	c.n_allowed = 1;
	pfx(&c.allowed[0], "10.30.0.0/16");
	c.version = WF_CERT_VERSION_2;
	assert_int_equal(wf_cert_verify_ca(&c, NOW), WF_CERT_ERR_SIGNATURE);
	/* 2: and a node certificate is not judged by it: the signature
	 * is checked against the key, the routes against the list */
	make_node(&node, "100.64.0.1", "10.30.1.0/24");
	assert_int_equal(wf_cert_verify(&node, &ca, NOW), WF_CERT_ERR_ROUTE);
	/* 3: a refused route is a lasting verdict: cached, said to repeat */
	memset(&cache, 0, sizeof(cache));
	n = wf_cert_encode(&node, enc, sizeof(enc));
	assert_int_equal(wf_certcache_verify(&cache, &ca, enc, n, NOW, &out, &repeat),
			 WF_CERT_ERR_ROUTE);
	assert_int_equal(wf_certcache_verify(&cache, &ca, enc, n, NOW, &out, &repeat),
			 WF_CERT_ERR_ROUTE);
	assert_true(repeat);
	assert_int_equal(cache.verifications, 1);
	/* 4: every flipped bit of a v2 CA certificate is refused */
	n = wf_cert_encode(&ca, enc, sizeof(enc));
	for (size_t i = 0; i < n; i++) {
		enum wf_cert_err e;

		enc[i] ^= 0x10;
		e = wf_cert_decode(&out, enc, n);
		if (e == WF_CERT_OK)
			e = wf_cert_verify_ca(&out, NOW);
		if (e == WF_CERT_OK)
			fail_msg("CA byte %zu flipped: still valid", i);
		enc[i] ^= 0x10;
	}
}

/* --- randomized: the route rule against a naive reference ------------------ */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

/* A random IPv4 prefix near 10.20.0.0 or 100.64.0.0, so that containment
 * happens often. */
static void random_prefix(struct wf_prefix *p)
{
	static const uint8_t bases[][4] = {{10, 20, 0, 0}, {100, 64, 0, 0}, {10, 0, 0, 0}};
	const uint8_t *b = bases[rnd() % 3];

	memset(p, 0, sizeof(*p));
	p->family = AF_INET;
	p->len = (uint8_t)(rnd() % 33);
	for (int i = 0; i < 4; i++)
		p->addr[i] = (uint8_t)(b[i] ^ (rnd() % 4 == 0 ? rnd() : 0));
	wf_prefix_mask(p);
}

static bool bit(const uint8_t *a, unsigned i)
{
	return a[i / 8] >> (7 - i % 8) & 1;
}

/* Naive: outer contains inner when it is no longer and every one of its
 * bits agrees. */
static bool naive_contains(const struct wf_prefix *outer, const struct wf_prefix *inner)
{
	if (outer->family != inner->family || outer->len > inner->len)
		return false;
	for (unsigned i = 0; i < outer->len; i++)
		if (bit(outer->addr, i) != bit(inner->addr, i))
			return false;
	return true;
}

static bool naive_allowed(const struct wf_cert *c, const struct wf_prefix *r)
{
	for (unsigned i = 0; i < c->n_prefixes; i++)
		if (naive_contains(&c->prefixes[i], r))
			return true;
	for (unsigned i = 0; i < c->n_allowed; i++)
		if (naive_contains(&c->allowed[i], r))
			return true;
	return false;
}

static void test_random(void **state)
{
	enum { ROUNDS = 2000, ROUTES = 8 };
	unsigned yes = 0, no = 0;

	for (int round = 0; round < ROUNDS; round++) {
		struct wf_cert c = ca1, node;

		c.n_prefixes = 1;
		random_prefix(&c.prefixes[0]);
		c.n_allowed = (uint8_t)(rnd() % 4);
		for (unsigned i = 0; i < c.n_allowed; i++)
			random_prefix(&c.allowed[i]);
		make_node(&node, "100.64.0.1", NULL);
		node.n_addrs = 0; /* routes only: the address rule is not under test */
		node.n_routes = 1;
		for (int k = 0; k < ROUTES; k++) {
			bool want, got;

			random_prefix(&node.routes[0]);
			want = naive_allowed(&c, &node.routes[0]);
			got = wf_cert_route_allowed(&c, &node.routes[0]);
			if (got != want)
				fail_msg("round %d route %d: got %d, want %d", round, k, got, want);
			if ((wf_cert_verify_fields(&node, &c, NOW) == WF_CERT_OK) != want)
				fail_msg("round %d route %d: verify disagrees", round, k);
			want ? yes++ : no++;
		}
	}
	/* both outcomes were exercised */
	assert_true(yes > ROUNDS / 10 && no > ROUNDS / 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_tampered_ca),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
