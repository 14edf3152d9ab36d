/* SPDX-License-Identifier: MIT */
/* Certificates: encoding, decoding, verification, the rule for conflicting
 * ones, the verdict cache (core/certcache.c), armor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "common/armor.h"
#include "core/cert.h"
#include "core/certcache.h"

enum { NOW = 1700000000, DAY = 86400 };

static uint8_t ca_priv[WF_KEY_LEN], other_priv[WF_KEY_LEN];
static struct wf_cert ca, other_ca;

static void pfx(struct wf_prefix *p, const char *s)
{
	assert_true(wf_prefix_parse(p, s, false));
}

static void make_ca(struct wf_cert *c, uint8_t priv[WF_KEY_LEN], const char *network)
{
	memset(c, 0, sizeof(*c));
	c->version = WF_CERT_VERSION_1;
	c->type = WF_CERT_CA;
	snprintf(c->network, sizeof(c->network), "%s", network);
	snprintf(c->name, sizeof(c->name), "%s", network);
	assert_true(wf_ed25519_keygen(priv, c->pubkey));
	c->serial = 1;
	c->not_before = NOW - 10 * DAY;
	c->not_after = NOW + 3650 * DAY;
	c->cipher = WF_CIPHER_AES256GCM;
	c->n_prefixes = 2;
	pfx(&c->prefixes[0], "100.64.0.0/10");
	pfx(&c->prefixes[1], "fd00::/8");
	assert_true(wf_cert_sign(c, priv));
}

/* A node certificate signed by the test CA: one v4 and one v6 address, a
 * route, two groups. */
static void make_node(struct wf_cert *c)
{
	uint8_t priv[WF_KEY_LEN];

	memset(c, 0, sizeof(*c));
	c->version = WF_CERT_VERSION_1;
	c->type = WF_CERT_NODE;
	snprintf(c->network, sizeof(c->network), "testnet");
	snprintf(c->name, sizeof(c->name), "node-1.example");
	assert_true(wf_x25519_keygen(priv, c->pubkey));
	c->serial = 0x0102030405060708ull;
	c->not_before = NOW - DAY;
	c->not_after = NOW + 365 * DAY;
	c->n_addrs = 2;
	pfx(&c->addrs[0], "100.64.0.1");
	pfx(&c->addrs[1], "fd00::1");
	c->n_routes = 1;
	pfx(&c->routes[0], "100.64.128.0/24");
	c->n_groups = 2;
	snprintf(c->groups[0], sizeof(c->groups[0]), "web");
	snprintf(c->groups[1], sizeof(c->groups[1]), "db_2");
	assert_true(wf_cert_sign(c, ca_priv));
}

static void resign(struct wf_cert *c)
{
	assert_true(wf_cert_sign(c, ca_priv));
}

static int setup(void **state)
{
	wf_crypto_init();
	make_ca(&ca, ca_priv, "testnet");
	make_ca(&other_ca, other_priv, "testnet");
	return 0;
}

/* --- names ---------------------------------------------------------------- */

static void test_name_valid(void **state)
{
	static const struct {
		const char *s;
		bool ok;
	} cases[] = {
		{"a", true},
		{"node-1.example_B", true},
		{"0123456789012345678901234567890123456789012345678901234567890ab", true}, /* 63 */
		{"0123456789012345678901234567890123456789012345678901234567890abc", false}, /* 64 */
		{"", false},
		{"a b", false},
		{"a/b", false},
		{"é", false},
		{"a:b", false},
		{"tab\t", false},
		{NULL, false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (wf_cert_name_valid(cases[i].s) != cases[i].ok)
			fail_msg("name case %zu (\"%s\")", i, cases[i].s ? cases[i].s : "NULL");
	}
}

/* --- round trips ---------------------------------------------------------- */

static void round_trip(const struct wf_cert *c)
{
	uint8_t a[WF_CERT_MAX_ENCODED], b[WF_CERT_MAX_ENCODED];
	struct wf_cert d;
	size_t n, m;

	n = wf_cert_encode(c, a, sizeof(a));
	assert_true(n > 0);
	assert_int_equal(wf_cert_decode(&d, a, n), WF_CERT_OK);
	assert_memory_equal(&d, c, sizeof(d));
	m = wf_cert_encode(&d, b, sizeof(b));
	assert_int_equal(m, n);
	assert_memory_equal(a, b, n);
	/* the signature covers everything but itself */
	assert_int_equal(wf_cert_encode_tbs(c, b, sizeof(b)), n - WF_SIG_LEN);
	assert_memory_equal(a, b, n - WF_SIG_LEN);
}

static void test_round_trip(void **state)
{
	struct wf_cert c;

	round_trip(&ca);
	make_node(&c);
	round_trip(&c);
	/* smallest node: one address, no routes or groups */
	c.n_addrs = 1;
	c.n_routes = 0;
	c.n_groups = 0;
	memset(c.routes, 0, sizeof(c.routes));
	memset(c.groups, 0, sizeof(c.groups));
	memset(&c.addrs[1], 0, sizeof(c.addrs[1]));
	resign(&c);
	round_trip(&c);
	/* extremes of the numbers */
	c.serial = UINT64_MAX;
	c.not_before = INT64_MIN;
	c.not_after = INT64_MAX;
	resign(&c);
	round_trip(&c);
}

static void test_encode_limits(void **state)
{
	uint8_t buf[WF_CERT_MAX_ENCODED];
	struct wf_cert c;
	size_t n;

	make_node(&c);
	n = wf_cert_encode(&c, buf, sizeof(buf));
	assert_true(n > 0);
	/* too small a buffer, at every size */
	for (size_t cap = 0; cap < n; cap++)
		assert_int_equal(wf_cert_encode(&c, buf, cap), 0);
	/* everything at its maximum (1152 bytes) does not fit in WF_CERT_MAX_ENCODED */
	memset(c.network, 'n', WF_CERT_NAME_MAX);
	memset(c.name, 'm', WF_CERT_NAME_MAX);
	c.n_addrs = WF_CERT_MAX_ADDRS;
	c.n_routes = WF_CERT_MAX_ROUTES;
	for (unsigned i = 0; i < WF_CERT_MAX_ROUTES; i++) {
		char s[64];

		snprintf(s, sizeof(s), "fd00::%x", i + 1);
		pfx(&c.routes[i], s);
		if (i < WF_CERT_MAX_ADDRS)
			pfx(&c.addrs[i], s);
	}
	c.n_groups = WF_CERT_MAX_GROUPS;
	for (unsigned i = 0; i < WF_CERT_MAX_GROUPS; i++) {
		memset(c.groups[i], 'g', WF_CERT_NAME_MAX);
		c.groups[i][0] = (char)('0' + i);
	}
	assert_int_equal(wf_cert_check(&c, NULL), WF_CERT_OK);
	assert_int_equal(wf_cert_encode(&c, buf, sizeof(buf)), 0);
}

/* Structs that must not encode (numbered: a failure names its case). */
static void test_check(void **state)
{
	enum { N = 16 };
	struct wf_cert c;
	uint8_t buf[WF_CERT_MAX_ENCODED];

	for (int i = 0; i < N; i++) {
		const char *why = NULL;

		make_node(&c);
		switch (i) {
		case 0: c.version = 2; break;
		case 1: c.type = (enum wf_cert_type)3; break;
		case 2: c.name[0] = '\0'; break;
		case 3: c.network[3] = '/'; break;
		case 4: memset(c.name, 'a', sizeof(c.name)); break; /* no NUL */
		case 5: c.n_addrs = 0; break;
		case 6: c.n_addrs = WF_CERT_MAX_ADDRS + 1; break;
		case 7: c.addrs[0].len = 24; wf_prefix_mask(&c.addrs[0]); break; /* not a host */
		case 8: c.routes[0].addr[3] = 1; break;                        /* host bits */
		case 9: c.routes[0].len = 33; break;
		case 10: c.routes[0].family = 99; break;
		case 11: c.addrs[1] = c.addrs[0]; break;                        /* duplicate */
		case 12: snprintf(c.groups[1], sizeof(c.groups[1]), "web"); break;
		case 13: c.not_after = c.not_before - 1; break;
		case 14: c.cipher = WF_CIPHER_AES256GCM; break; /* CA field in a node */
		case 15: c.n_prefixes = 1; c.prefixes[0] = c.routes[0]; break;
		default: break;
		}
		if (wf_cert_check(&c, &why) != WF_CERT_ERR_MALFORMED || !why)
			fail_msg("check case %d accepted", i);
		if (wf_cert_encode(&c, buf, sizeof(buf)) != 0)
			fail_msg("check case %d encoded", i);
	}
	/* CA without prefixes, with an unknown cipher, with node fields */
	for (int i = 0; i < 3; i++) {
		c = ca;
		if (i == 0)
			c.n_prefixes = 0;
		else if (i == 1)
			c.cipher = (enum wf_cipher)7;
		else
			c.n_addrs = 1, pfx(&c.addrs[0], "100.64.0.1");
		if (wf_cert_check(&c, NULL) == WF_CERT_OK)
			fail_msg("CA check case %d accepted", i);
	}
}

/* --- decoding hand-built encodings ----------------------------------------- */

struct raw {
	uint8_t b[2 * WF_CERT_MAX_ENCODED];
	size_t n;
};

static void raw_u8(struct raw *r, uint8_t v)
{
	assert_true(r->n < sizeof(r->b));
	r->b[r->n++] = v;
}

static void raw_bytes(struct raw *r, const void *d, size_t n)
{
	assert_true(n <= sizeof(r->b) - r->n);
	memcpy(r->b + r->n, d, n);
	r->n += n;
}

static void raw_field(struct raw *r, uint8_t tag, const void *d, size_t n)
{
	raw_u8(r, tag);
	raw_u8(r, (uint8_t)(n >> 8));
	raw_u8(r, (uint8_t)n);
	raw_bytes(r, d, n);
}

enum op { OP_NONE, OP_REPLACE, OP_DROP, OP_APPEND, OP_VERSION, OP_TYPE, OP_TOTAL, OP_TRAIL };

struct dcase {
	enum op op;
	uint8_t tag;      /* field to replace/drop/append; or the new version/type */
	const char *val;  /* value bytes (may hold NULs: vlen counts) */
	size_t vlen;
	enum wf_cert_err want;
};

#define V(s) s, sizeof(s) - 1

/* The reference node encoding as (tag, value) pairs, tags 1..11 minus CA's. */
static const struct {
	uint8_t tag;
	const char *val;
	size_t len;
} base_fields[] = {
	{1, V("net")},
	{2, V("n1")},
	{3, V("0123456789abcdef0123456789abcdef")},
	{4, V("\0\0\0\0\0\0\0\x07")},
	{5, V("\0\0\0\0\0\0\0\x10")},
	{6, V("\0\0\0\0\0\0\0\x20")},
	{8, V("\x04\x20\x64\x40\x00\x01")},
	{9, V("\x04\x10\x64\x41")},
	{11, V("\x03web")},
};

static void build(struct raw *r, const struct dcase *dc)
{
	size_t nf = sizeof(base_fields) / sizeof(base_fields[0]);
	uint8_t sig[WF_SIG_LEN] = {0};
	size_t total;

	r->n = 0;
	raw_bytes(r, "WFC", 3);
	raw_u8(r, dc->op == OP_VERSION ? dc->tag : WF_CERT_VERSION_1);
	raw_u8(r, dc->op == OP_TYPE ? dc->tag : WF_CERT_NODE);
	raw_u8(r, 0);
	raw_u8(r, 0);
	for (size_t i = 0; i < nf; i++) {
		if (dc->tag == base_fields[i].tag && dc->op == OP_DROP)
			continue;
		if (dc->tag == base_fields[i].tag && dc->op == OP_REPLACE)
			raw_field(r, dc->tag, dc->val, dc->vlen);
		else
			raw_field(r, base_fields[i].tag, base_fields[i].val, base_fields[i].len);
	}
	if (dc->op == OP_APPEND)
		raw_field(r, dc->tag, dc->val, dc->vlen);
	raw_bytes(r, sig, sizeof(sig));
	total = r->n + (dc->op == OP_TOTAL ? dc->vlen : 0);
	r->b[5] = (uint8_t)(total >> 8);
	r->b[6] = (uint8_t)total;
	if (dc->op == OP_TRAIL)
		raw_u8(r, 0);
}

static void test_decode_cases(void **state)
{
#define OK WF_CERT_OK
#define BAD WF_CERT_ERR_MALFORMED
	static const struct dcase cases[] = {
		/* 0 */ {OP_NONE, 0, NULL, 0, OK},
		/* 1 */ {OP_VERSION, 3, NULL, 0, WF_CERT_ERR_VERSION},
		/* 2 */ {OP_VERSION, 0, NULL, 0, WF_CERT_ERR_VERSION},
		/* 3 */ {OP_TYPE, 3, NULL, 0, BAD},
		/* 4 */ {OP_TYPE, WF_CERT_CA, NULL, 0, BAD}, /* node fields in a CA */
		/* 5 */ {OP_APPEND, 12, V("x"), BAD},        /* unknown tag */
		/* 6 */ {OP_APPEND, 0, V("x"), BAD},         /* tag 0 */
		/* 7 */ {OP_APPEND, 255, V(""), BAD},
		/* 8 */ {OP_APPEND, 11, V("\x03web"), BAD},  /* duplicate */
		/* 9 */ {OP_APPEND, 10, V("\x04\x0a\x64\x40"), BAD}, /* out of order */
		/* 10 */ {OP_DROP, 1, NULL, 0, BAD},  /* no network */
		/* 11 */ {OP_DROP, 2, NULL, 0, BAD},  /* no name */
		/* 12 */ {OP_DROP, 3, NULL, 0, BAD},  /* no pubkey */
		/* 13 */ {OP_DROP, 4, NULL, 0, BAD},  /* no serial */
		/* 14 */ {OP_DROP, 6, NULL, 0, BAD},  /* no not_after */
		/* 15 */ {OP_DROP, 8, NULL, 0, BAD},  /* node without an address */
		/* 16 */ {OP_DROP, 9, NULL, 0, OK},   /* routes are optional */
		/* 17 */ {OP_DROP, 11, NULL, 0, OK},  /* so are groups */
		/* 18 */ {OP_REPLACE, 2, V("n/1"), BAD},
		/* 19 */ {OP_REPLACE, 2, V("n\0001"), BAD},  /* embedded NUL */
		/* 20 */ {OP_REPLACE, 2, V(""), BAD},
		/* 21 */ {OP_REPLACE, 1,
			  V("0123456789012345678901234567890123456789012345678901234567890abc"), BAD},
		/* 22 */ {OP_REPLACE, 3, V("0123456789abcdef0123456789abcde"), BAD}, /* 31 bytes */
		/* 23 */ {OP_REPLACE, 4, V("\0\0\0\0\0\0\x07"), BAD},                /* 7 bytes */
		/* 24 */ {OP_REPLACE, 6, V("\0\0\0\0\0\0\0\x0f"), BAD}, /* after < before */
		/* 25 */ {OP_REPLACE, 6, V("\0\0\0\0\0\0\0\x10"), OK},  /* after == before */
		/* 26 */ {OP_REPLACE, 8, V("\x04\x18\x64\x40\x00"), BAD},   /* address /24 */
		/* 27 */ {OP_REPLACE, 8, V("\x04\x21\x64\x40\x00\x01\x00"), BAD}, /* /33 */
		/* 28 */ {OP_REPLACE, 8, V("\x05\x20\x64\x40\x00\x01"), BAD}, /* family 5 */
		/* 29 */ {OP_REPLACE, 8, V("\x04\x20\x64\x40\x00"), BAD},     /* short entry */
		/* 30 */ {OP_REPLACE, 8, V(""), BAD},                          /* empty list */
		/* 31 */ {OP_REPLACE, 8, V("\x04\x20\x64\x40\x00\x01\x04\x20\x64\x40\x00\x01"), BAD},
		/* 32 */ {OP_REPLACE, 8,
			  V("\x04\x20\x64\x40\x00\x01\x04\x20\x64\x40\x00\x02"
			    "\x04\x20\x64\x40\x00\x03\x04\x20\x64\x40\x00\x04"), OK}, /* 4 */
		/* 33 */ {OP_REPLACE, 8,
			  V("\x04\x20\x64\x40\x00\x01\x04\x20\x64\x40\x00\x02"
			    "\x04\x20\x64\x40\x00\x03\x04\x20\x64\x40\x00\x04"
			    "\x04\x20\x64\x40\x00\x05"), BAD}, /* 5 > WF_CERT_MAX_ADDRS */
		/* 34 */ {OP_REPLACE, 8, V("\x06\x80\xfd\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01"), OK},
		/* 35 */ {OP_REPLACE, 9, V("\x04\x10\x64\x41\x00"), BAD}, /* extra byte */
		/* 36 */ {OP_REPLACE, 9, V("\x04\x0f\x64\x41"), BAD},     /* host bit set */
		/* 37 */ {OP_REPLACE, 9, V("\x04\x00"), OK},              /* 0.0.0.0/0 */
		/* 38 */ {OP_REPLACE, 9, V("\x06\x08\xfd"), OK},
		/* 39 */ {OP_REPLACE, 9, V("\x06\x81\xfd"), BAD},          /* /129 */
		/* 40 */ {OP_REPLACE, 11, V("\x00"), BAD},                 /* empty group */
		/* 41 */ {OP_REPLACE, 11, V("\x03web\x03web"), BAD},       /* duplicate */
		/* 42 */ {OP_REPLACE, 11, V("\x04web"), BAD},              /* runs past */
		/* 43 */ {OP_REPLACE, 11, V("\x03w b"), BAD},
		/* 44 */ {OP_APPEND, 7, V("\x01"), BAD},  /* cipher in a node, out of order too */
		/* 45 */ {OP_TOTAL, 0, NULL, 1, WF_CERT_ERR_TRUNCATED},  /* says 1 more byte */
		/* 46 */ {OP_TOTAL, 0, NULL, (size_t)-1, BAD},           /* says 1 fewer */
		/* 47 */ {OP_TRAIL, 0, NULL, 0, BAD},
		/* 48 */ {OP_TOTAL, 0, NULL, WF_CERT_MAX_ENCODED, BAD},  /* over the limit */
		/* 49 */ {OP_APPEND, 11, V("\x03" "abc"), BAD},  /* second groups field */
		/* 50 */ {OP_DROP, 5, NULL, 0, BAD},            /* no not_before */
		/* 51 */ {OP_REPLACE, 8, V("\x04\x20\x64\x40\x00\x01\x06"), BAD}, /* half entry */
		/* 52 */ {OP_VERSION, 2, NULL, 0, BAD}, /* a node has no version 2 field */
		/* 53 */ {OP_VERSION, 255, NULL, 0, WF_CERT_ERR_VERSION},
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

/* A field whose length runs into the signature, and a total length that
 * leaves no room for one. */
static void test_decode_lengths(void **state)
{
	uint8_t buf[WF_CERT_MAX_ENCODED];
	struct wf_cert c;
	size_t n;

	make_node(&c);
	n = wf_cert_encode(&c, buf, sizeof(buf));
	buf[8] = 0x10; /* first field (network) now claims 4 KiB */
	assert_int_equal(wf_cert_decode(&c, buf, n), WF_CERT_ERR_MALFORMED);
	buf[8] = 0;
	buf[9] = 0xff;
	assert_int_equal(wf_cert_decode(&c, buf, n), WF_CERT_ERR_MALFORMED);
	assert_int_equal(wf_cert_decode(&c, (const uint8_t *)"XFC", 3), WF_CERT_ERR_MALFORMED);
	assert_int_equal(wf_cert_decode(&c, (const uint8_t *)"WFC\x01\x02\x00\x47", 7),
			 WF_CERT_ERR_TRUNCATED);
	assert_int_equal(wf_cert_decode(&c, (const uint8_t *)"WFC\x01\x02\x00\x46", 7),
			 WF_CERT_ERR_MALFORMED); /* 70 < header + signature */
}

static void test_truncated_everywhere(void **state)
{
	uint8_t buf[WF_CERT_MAX_ENCODED];
	struct wf_cert c, d;
	size_t n;

	make_node(&c);
	n = wf_cert_encode(&c, buf, sizeof(buf));
	for (size_t len = 0; len < n; len++)
		if (wf_cert_decode(&d, buf, len) != WF_CERT_ERR_TRUNCATED)
			fail_msg("truncated to %zu bytes: not TRUNCATED", len);
	n = wf_cert_encode(&ca, buf, sizeof(buf));
	for (size_t len = 0; len < n; len++)
		assert_int_equal(wf_cert_decode(&d, buf, len), WF_CERT_ERR_TRUNCATED);
}

/* --- verification --------------------------------------------------------- */

static void test_verify_ok(void **state)
{
	struct wf_cert c;

	assert_int_equal(wf_cert_verify_ca(&ca, NOW), WF_CERT_OK);
	make_node(&c);
	assert_int_equal(wf_cert_verify(&c, &ca, NOW), WF_CERT_OK);
	/* validity bounds are inclusive */
	assert_int_equal(wf_cert_verify(&c, &ca, c.not_before), WF_CERT_OK);
	assert_int_equal(wf_cert_verify(&c, &ca, c.not_after), WF_CERT_OK);
}

static void test_verify_failures(void **state)
{
	enum { N = 12 };
	static const enum wf_cert_err want[N] = {
		WF_CERT_ERR_EXPIRED,       WF_CERT_ERR_NOT_YET_VALID, WF_CERT_ERR_NETWORK,
		WF_CERT_ERR_SIGNATURE,     WF_CERT_ERR_ADDRESS,       WF_CERT_ERR_ROUTE,
		WF_CERT_ERR_ADDRESS,       WF_CERT_ERR_CA_EXPIRED,    WF_CERT_ERR_CA_EXPIRED,
		WF_CERT_ERR_TYPE,          WF_CERT_ERR_TYPE,          WF_CERT_ERR_SIGNATURE,
	};
	struct wf_cert c, the_ca;
	int64_t now;

	for (int i = 0; i < N; i++) {
		enum wf_cert_err e;

		make_node(&c);
		the_ca = ca;
		now = NOW;
		switch (i) {
		case 0: now = c.not_after + 1; break;
		case 1: now = c.not_before - 1; break;
		case 2: /* correctly signed, for another network */
			snprintf(c.network, sizeof(c.network), "othernet");
			resign(&c);
			break;
		case 3: assert_true(wf_cert_sign(&c, other_priv)); break; /* wrong CA */
		case 4: pfx(&c.addrs[0], "10.0.0.1"); resign(&c); break;
		case 5: pfx(&c.routes[0], "100.0.0.0/8"); resign(&c); break; /* wider, none allowed */
		case 6: pfx(&c.addrs[1], "fe80::1"); resign(&c); break;       /* v6 outside */
		case 7: now = ca.not_after + 1; c.not_after = now + 1; resign(&c); break;
		case 8: now = ca.not_before - 1; c.not_before = now - 1; resign(&c); break;
		case 9: the_ca.type = WF_CERT_NODE; break;
		case 10: c.type = WF_CERT_CA; break;
		case 11: c.serial++; break; /* altered after signing */
		default: break;
		}
		e = wf_cert_verify(&c, &the_ca, now);
		if (e != want[i])
			fail_msg("verify case %d: got %d (%s), want %d", i, e, wf_cert_strerror(e),
				 want[i]);
	}
	/* the other CA accepts what it signed */
	make_node(&c);
	assert_true(wf_cert_sign(&c, other_priv));
	assert_int_equal(wf_cert_verify(&c, &other_ca, NOW), WF_CERT_OK);
}

static void test_verify_ca(void **state)
{
	struct wf_cert c = ca;

	assert_int_equal(wf_cert_verify_ca(&ca, ca.not_after + 1), WF_CERT_ERR_CA_EXPIRED);
	assert_int_equal(wf_cert_verify_ca(&ca, ca.not_before - 1), WF_CERT_ERR_CA_EXPIRED);
	c.n_prefixes = 1; /* altered after signing */
	assert_int_equal(wf_cert_verify_ca(&c, NOW), WF_CERT_ERR_SIGNATURE);
	c = ca;
	assert_true(wf_cert_sign(&c, other_priv)); /* not self-signed */
	assert_int_equal(wf_cert_verify_ca(&c, NOW), WF_CERT_ERR_SIGNATURE);
	make_node(&c);
	assert_int_equal(wf_cert_verify_ca(&c, NOW), WF_CERT_ERR_TYPE);
}

/*
 * 1-7: the one rule for conflicting certificates (renewals, and two keys
 * claiming one address): a later not-before for the same name wins, or
 * anything wins over an expired incumbent; otherwise the incumbent stays.
 */
static void test_supersedes(void **state)
{
	struct wf_cert inc, c;

	make_node(&inc);
	c = inc;
	assert_false(wf_cert_supersedes(&c, &inc, NOW)); /* 1: the same one */
	c.not_before = inc.not_before + 1;
	assert_true(wf_cert_supersedes(&c, &inc, NOW));  /* 2: issued later */
	assert_false(wf_cert_supersedes(&inc, &c, NOW)); /* 3: older never wins */
	c.not_after = inc.not_after - DAY; /* 4: not-before decides, not-after */
	assert_true(wf_cert_supersedes(&c, &inc, NOW));
	snprintf(c.name, sizeof(c.name), "other");
	assert_false(wf_cert_supersedes(&c, &inc, NOW)); /* 5: another name */
	assert_true(wf_cert_supersedes(&c, &inc, inc.not_after + 1)); /* 6: incumbent expired */
	c = inc;
	c.not_before = inc.not_before - DAY;
	assert_true(wf_cert_supersedes(&c, &inc, inc.not_after + 1)); /* 7: even by an older one */
}

/*
 * 1-9: the verdict cache. A certificate seen before costs no verification; a
 * refusal is remembered (and said to repeat, so it is logged once); validity
 * dates are checked on every use.
 */
static void test_certcache(void **state)
{
	static struct wf_certcache cache;
	uint8_t good[WF_CERT_MAX_ENCODED], bad[WF_CERT_MAX_ENCODED];
	struct wf_cert c, out;
	size_t gn, bn;
	bool repeat;

	memset(&cache, 0, sizeof(cache));
	make_node(&c);
	gn = wf_cert_encode(&c, good, sizeof(good));
	assert_true(wf_cert_sign(&c, other_priv));
	bn = wf_cert_encode(&c, bad, sizeof(bad));
	/* 1: the first look verifies */
	assert_int_equal(wf_certcache_verify(&cache, &ca, good, gn, NOW, &out, &repeat), WF_CERT_OK);
	assert_int_equal(cache.verifications, 1);
	assert_false(repeat);
	assert_string_equal(out.name, "node-1.example");
	/* 2: the second does not, and decodes all the same */
	memset(&out, 0, sizeof(out));
	assert_int_equal(wf_certcache_verify(&cache, &ca, good, gn, NOW, &out, &repeat), WF_CERT_OK);
	assert_int_equal(cache.verifications, 1);
	assert_int_equal(cache.hits, 1);
	assert_string_equal(out.name, "node-1.example");
	assert_false(repeat);
	/* 3: dates still count: expired is expired, cached or not */
	assert_int_equal(wf_certcache_verify(&cache, &ca, good, gn, out.not_after + 1, &out, &repeat),
			 WF_CERT_ERR_EXPIRED);
	assert_false(repeat);
	/* 4: the same refusal again repeats */
	assert_int_equal(wf_certcache_verify(&cache, &ca, good, gn, out.not_after + 1, &out, &repeat),
			 WF_CERT_ERR_EXPIRED);
	assert_true(repeat);
	/* 5: and back to valid */
	assert_int_equal(wf_certcache_verify(&cache, &ca, good, gn, NOW, &out, &repeat), WF_CERT_OK);
	assert_int_equal(cache.verifications, 1);
	/* 6: another CA's signature is refused once, remembered after */
	assert_int_equal(wf_certcache_verify(&cache, &ca, bad, bn, NOW, &out, &repeat),
			 WF_CERT_ERR_SIGNATURE);
	assert_false(repeat);
	assert_int_equal(cache.verifications, 2);
	assert_int_equal(wf_certcache_verify(&cache, &ca, bad, bn, NOW, &out, &repeat),
			 WF_CERT_ERR_SIGNATURE);
	assert_true(repeat);
	assert_int_equal(cache.verifications, 2);
	/* 7: a bad signature stays bad at any time */
	assert_int_equal(wf_certcache_verify(&cache, &ca, bad, bn, NOW + 10 * DAY, &out, &repeat),
			 WF_CERT_ERR_SIGNATURE);
	/* 8: one flipped byte is another certificate: verified afresh, refused */
	good[20] ^= 1;
	assert_int_not_equal(wf_certcache_verify(&cache, &ca, good, gn, NOW, &out, &repeat),
			     WF_CERT_OK);
	/* 9: garbage is a decode error, and costs no verification */
	{
		uint64_t v = cache.verifications;

		assert_int_equal(wf_certcache_verify(&cache, &ca, (const uint8_t *)"xyz", 3, NOW,
						     &out, &repeat),
				 WF_CERT_ERR_MALFORMED);
		assert_int_equal(cache.verifications, v);
	}
}

/* Every bit of a valid encoding matters: a flipped bit is a decode error or
 * a bad signature, never a valid certificate. */
static void test_tamper_every_bit(void **state)
{
	uint8_t buf[WF_CERT_MAX_ENCODED];
	struct wf_cert c, d;
	size_t n;

	make_node(&c);
	n = wf_cert_encode(&c, buf, sizeof(buf));
	for (size_t i = 0; i < n; i++) {
		for (int bit = 0; bit < 8; bit++) {
			enum wf_cert_err e;

			buf[i] ^= (uint8_t)(1u << bit);
			e = wf_cert_decode(&d, buf, n);
			if (e == WF_CERT_OK)
				e = wf_cert_verify(&d, &ca, NOW);
			if (e == WF_CERT_OK)
				fail_msg("byte %zu bit %d flipped: still valid", i, bit);
			buf[i] ^= (uint8_t)(1u << bit);
		}
	}
	/* and the CA's self-signature the same way */
	n = wf_cert_encode(&ca, buf, sizeof(buf));
	for (size_t i = 0; i < n; i++) {
		enum wf_cert_err e;

		buf[i] ^= 0x01;
		e = wf_cert_decode(&d, buf, n);
		if (e == WF_CERT_OK)
			e = wf_cert_verify_ca(&d, NOW);
		if (e == WF_CERT_OK)
			fail_msg("CA byte %zu flipped: still valid", i);
		buf[i] ^= 0x01;
	}
}

static void test_owns(void **state)
{
	static const struct {
		const char *addr;
		bool owned;
	} cases[] = {
		{"100.64.0.1", true},    {"100.64.0.2", false},  {"100.64.128.0", true},
		{"100.64.128.255", true}, {"100.64.129.0", false}, {"fd00::1", true},
		{"fd00::2", false},      {"100.64.0.0", false},
	};
	struct wf_cert c;

	make_node(&c);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wf_prefix p;

		assert_true(wf_addr_parse(&p, cases[i].addr));
		if (wf_cert_owns(&c, p.family, p.addr) != cases[i].owned)
			fail_msg("owns case %zu (%s)", i, cases[i].addr);
	}
	assert_false(wf_cert_owns(&c, AF_UNIX, c.addrs[0].addr));
}

static void test_strerror(void **state)
{
	for (int e = WF_CERT_OK; e <= WF_CERT_ERR_ROUTE; e++) {
		const char *s = wf_cert_strerror((enum wf_cert_err)e);

		assert_non_null(s);
		assert_true(strlen(s) > 5);
		for (int f = WF_CERT_OK; f < e; f++)
			assert_string_not_equal(s, wf_cert_strerror((enum wf_cert_err)f));
	}
}

/* A refusal for time says the dates and this host's clock (the host with a
 * clock behind is the one that sees its certificate "not valid yet");
 * other refusals are wf_cert_strerror's words. */
static void test_explain(void **state)
{
	struct wf_cert c = {.not_before = 1796700000, .not_after = 1828236000}; /* 2026-12-08, 2027-12-08 */
	char buf[512];

	(void)state;
	assert_string_equal(
	    wf_cert_explain(&c, WF_CERT_ERR_NOT_YET_VALID, 1796600000, buf, sizeof(buf)),
	    "certificate is not valid yet: it starts 2026-12-08T03:20:00Z, and this host's clock "
	    "says 2026-12-06T23:33:20Z (is the clock behind? timedatectl shows whether it is "
	    "synchronized)");
	assert_string_equal(
	    wf_cert_explain(&c, WF_CERT_ERR_EXPIRED, 1828236001, buf, sizeof(buf)),
	    "certificate expired at 2027-12-08T03:20:00Z; this host's clock says "
	    "2027-12-08T03:20:01Z (renew it, or if the clock is ahead, correct it)");
	assert_non_null(strstr(wf_cert_explain(&c, WF_CERT_ERR_CA_EXPIRED, 1796600000, buf, sizeof(buf)),
			       "CA certificate is not valid yet: it starts 2026-12-08T03:20:00Z"));
	assert_non_null(strstr(wf_cert_explain(&c, WF_CERT_ERR_CA_EXPIRED, 1828236001, buf, sizeof(buf)),
			       "CA certificate expired at 2027-12-08T03:20:00Z"));
	assert_string_equal(wf_cert_explain(&c, WF_CERT_ERR_SIGNATURE, 1796700001, buf, sizeof(buf)),
			    wf_cert_strerror(WF_CERT_ERR_SIGNATURE));
}

/* --- armor ---------------------------------------------------------------- */

static void test_armor_round_trip(void **state)
{
	uint8_t data[200], out[200];
	char text[600];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 37 + 5);
	for (size_t len = 1; len <= sizeof(data); len++) {
		size_t n = wf_armor_encode("CERTIFICATE", data, len, text, sizeof(text));

		assert_true(n > 0);
		assert_int_equal(n, strlen(text));
		assert_true(n < wf_armor_size("CERTIFICATE", len));
		assert_int_equal(wf_armor_decode("CERTIFICATE", text, out, sizeof(out)), len);
		assert_memory_equal(out, data, len);
		/* too small an output buffer */
		assert_int_equal(wf_armor_decode("CERTIFICATE", text, out, len - 1), -1);
	}
	assert_int_equal(wf_armor_encode("CERTIFICATE", data, 10, text, 10), 0);
	assert_int_equal(wf_armor_encode("lower", data, 10, text, sizeof(text)), 0);
	assert_int_equal(wf_armor_encode("CERTIFICATE", data, 0, text, sizeof(text)), 0);
}

static void test_armor_format(void **state)
{
	char text[200];
	char label[WF_ARMOR_LABEL_MAX];

	assert_true(wf_armor_encode("NODE PUBLIC KEY", (const uint8_t *)"abcd", 4, text,
				    sizeof(text)) > 0);
	assert_string_equal(text, "-----BEGIN WEFT NODE PUBLIC KEY-----\n"
				  "YWJjZA==\n"
				  "-----END WEFT NODE PUBLIC KEY-----\n");
	assert_true(wf_armor_label(text, label, sizeof(label)));
	assert_string_equal(label, "NODE PUBLIC KEY");
	assert_false(wf_armor_label("hello\n", label, sizeof(label)));
	assert_false(wf_armor_label(text, label, 5));
}

static void test_armor_strict(void **state)
{
	static const struct {
		const char *text;
		long want;       /* decoded length or -1 */
		unsigned line;   /* line at fault */
	} cases[] = {
		/* 0 */ {"-----BEGIN WEFT X-----\nYWJjZA==\n-----END WEFT X-----\n", 4, 0},
		/* 1 */ {"\n  \n-----BEGIN WEFT X-----\nYWJj\n-----END WEFT X-----\n\n", 3, 0},
		/* 2 */ {"-----BEGIN WEFT X-----\r\nYWJjZA==\r\n-----END WEFT X-----\r\n", 4, 0},
		/* 3 */ {"-----BEGIN WEFT X-----\nYWJjZA==\n-----END WEFT X-----", 4, 0},
		/* 4 */ {"-----BEGIN WEFT Y-----\nYWJjZA==\n-----END WEFT Y-----\n", -1, 1},
		/* 5 */ {"-----BEGIN WEFT X-----\nYWJj ZA==\n-----END WEFT X-----\n", -1, 2},
		/* 6 */ {"-----BEGIN WEFT X-----\nYWJjZA==\n", -1, 0},
		/* 7 */ {"-----BEGIN WEFT X-----\nYWJjZA=\n-----END WEFT X-----\n", -1, 3},
		/* 8 */ {"-----BEGIN WEFT X-----\nYWJjZB==\n-----END WEFT X-----\n", -1, 2},
		/* 9 */ {"-----BEGIN WEFT X-----\nYWJjZA==YWJj\n-----END WEFT X-----\n", -1, 2},
		/* 10 */ {"-----BEGIN WEFT X-----\nYWJjZA==\n-----END WEFT X-----\nhi\n", -1, 4},
		/* 11 */ {"junk\n-----BEGIN WEFT X-----\nYWJjZA==\n-----END WEFT X-----\n", -1, 1},
		/* 12 */ {"-----BEGIN WEFT X-----\nYWJjZA==\n-----END WEFT Y-----\n", -1, 3},
		/* 13 */ {"-----BEGIN WEFT X-----\n-----END WEFT X-----\n", -1, 2},
		/* 14 */ {"-----BEGIN WEFT X-----\nYWJj\n\nZA==\n-----END WEFT X-----\n", -1, 3},
		/* 15 */ {"-----BEGIN WEFT X-----\nY===\n-----END WEFT X-----\n", -1, 2},
		/* 16 */ {"-----BEGIN WEFT X-----\nYW=j\n-----END WEFT X-----\n", -1, 2},
		/* 17 */ {"", -1, 0},
		/* 18 */ {"-----BEGIN WEFT X-----\nYWJjZA==\n-----END WEFT X----- \n", -1, 0},
		/* 19 */ {"-----BEGIN WEFT X-----\n"
			  "YWJjYWJjYWJjYWJjYWJjYWJjYWJjYWJjYWJjYWJjYWJjYWJjYWJjYWJjYWJjYWJjYWJjYWJjYWJj\n"
			  "-----END WEFT X-----\n", 57, 0}, /* 76 characters */
		/* 20 */ {"-----BEGIN WEFT X-----\n"
			  "YWJjYWJjYWJjYWJjYWJjYWJjYWJjYWJjYWJjYWJjYWJjYWJjYWJjYWJjYWJjYWJjYWJjYWJjYWJjYWJj\n"
			  "-----END WEFT X-----\n", -1, 2}, /* 80 characters */
		/* 21 */ {"-----BEGIN WEFT X-----\nYWJjZA==\n-----BEGIN WEFT X-----\n", -1, 3},
	};
	uint8_t out[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = NULL;
		unsigned line = 99;
		long n = wf_armor_parse("X", cases[i].text, out, sizeof(out), &line, &why);

		if (n != cases[i].want)
			fail_msg("armor case %zu: got %ld (%s), want %ld", i, n, why ? why : "",
				 cases[i].want);
		if (n < 0 && (!why || line != cases[i].line) && cases[i].line)
			fail_msg("armor case %zu: line %u (%s), want %u", i, line, why ? why : "",
				 cases[i].line);
		if (n < 0 && !why)
			fail_msg("armor case %zu: no reason", i);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_valid),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_encode_limits),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_decode_cases),
		cmocka_unit_test(test_decode_lengths),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_verify_ok),
		cmocka_unit_test(test_verify_failures),
		cmocka_unit_test(test_verify_ca),
		cmocka_unit_test(test_supersedes),
		cmocka_unit_test(test_certcache),
		cmocka_unit_test(test_tamper_every_bit),
		cmocka_unit_test(test_owns),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_armor_round_trip),
		cmocka_unit_test(test_armor_format),
		cmocka_unit_test(test_armor_strict),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
