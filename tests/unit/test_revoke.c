/* SPDX-License-Identifier: MIT */
/*
 * The revocation list (src/core/revoke.c): numbered cases for the encoding,
 * the signature and every refusal, then a randomized differential test of
 * wf_revoke_add / wf_revoke_has against a naive unsorted array.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/bytes.h"
#include "core/revoke.h"

static uint8_t ca_priv[WF_KEY_LEN];
static struct wf_cert ca;

static void make_ca(void)
{
	memset(&ca, 0, sizeof(ca));
	ca.type = WF_CERT_CA;
	snprintf(ca.network, sizeof(ca.network), "net");
	snprintf(ca.name, sizeof(ca.name), "net");
	assert_true(wf_ed25519_keygen(ca_priv, ca.pubkey));
}

static void make_list(struct wf_revoke *r, unsigned n)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->network, sizeof(r->network), "net");
	r->version = 7;
	r->issued = 1700000000;
	for (unsigned i = 0; i < n; i++)
		assert_true(wf_revoke_add(r, 1000 - 3 * (uint64_t)i));
	assert_true(wf_revoke_sign(r, ca_priv));
}

/* 1-4: round trip, the bytes, the signature. */
static void test_encoding(void **state)
{
	uint8_t buf[WF_REVOKE_MAX_ENCODED];
	struct wf_revoke r, d;
	size_t n;

	(void)state;
	make_ca();
	make_list(&r, 3);
	/* 1: serials kept ascending */
	assert_int_equal(r.n, 3);
	assert_true(r.serial[0] == 994 && r.serial[1] == 997 && r.serial[2] == 1000);
	/* 2: the layout of docs/protocol.md */
	n = wf_revoke_encode(&r, buf, sizeof(buf));
	assert_int_equal(n, 4 + 1 + 1 + 3 + 8 + 8 + 2 + 3 * 8 + 64);
	assert_memory_equal(buf, "WFRL\x01\x03net", 9);
	assert_int_equal(wf_get_le64(buf + 9), 7);
	assert_int_equal(wf_get_le64(buf + 17), 1700000000);
	assert_int_equal(wf_get_le16(buf + 25), 3);
	assert_int_equal(wf_get_le64(buf + 27), 994);
	/* 3: decodes to the same, and verifies */
	assert_int_equal(wf_revoke_decode(&d, buf, n), WF_CERT_OK);
	assert_memory_equal(&d.serial, &r.serial, sizeof(r.serial));
	assert_int_equal(d.version, 7);
	assert_int_equal(wf_revoke_verify(&d, &ca), WF_CERT_OK);
	/* 4: an empty list is a list (version 1, nothing revoked yet) */
	make_list(&r, 0);
	n = wf_revoke_encode(&r, buf, sizeof(buf));
	assert_int_equal(wf_revoke_decode(&d, buf, n), WF_CERT_OK);
	assert_int_equal(wf_revoke_verify(&d, &ca), WF_CERT_OK);
	assert_false(wf_revoke_has(&d, 0));
}

/* 5-9: what is refused. */
static void test_refused(void **state)
{
	uint8_t buf[WF_REVOKE_MAX_ENCODED], orig[WF_REVOKE_MAX_ENCODED];
	struct wf_revoke r, d;
	struct wf_cert other = ca;
	size_t n;

	(void)state;
	make_ca();
	make_list(&r, 4);
	n = wf_revoke_encode(&r, orig, sizeof(orig));
	/* 5: every byte flipped: refused by the decoder or the signature */
	for (size_t i = 0; i < n; i++) {
		memcpy(buf, orig, n);
		buf[i] ^= 0x01;
		if (wf_revoke_decode(&d, buf, n) == WF_CERT_OK)
			assert_int_not_equal(wf_revoke_verify(&d, &ca), WF_CERT_OK);
	}
	/* 6: every truncation, and a byte too many */
	for (size_t cut = 0; cut < n; cut++)
		assert_int_not_equal(wf_revoke_decode(&d, orig, cut), WF_CERT_OK);
	memcpy(buf, orig, n);
	buf[n] = 0;
	assert_int_equal(wf_revoke_decode(&d, buf, n + 1), WF_CERT_ERR_MALFORMED);
	/* 7: serials repeated (the decoder refuses before any signature check) */
	memcpy(buf, orig, n);
	wf_put_le64(buf + 27 + 8, 991); /* = the first */
	assert_int_equal(wf_revoke_decode(&d, buf, n), WF_CERT_ERR_MALFORMED);
	/* 8: another CA's key; another network's name */
	assert_true(wf_ed25519_keygen(ca_priv, other.pubkey));
	assert_int_equal(wf_revoke_decode(&d, orig, n), WF_CERT_OK);
	assert_int_equal(wf_revoke_verify(&d, &other), WF_CERT_ERR_SIGNATURE);
	snprintf(other.network, sizeof(other.network), "elsewhere");
	assert_int_equal(wf_revoke_verify(&d, &other), WF_CERT_ERR_NETWORK);
	/* 9: version 0 and a list over the limit do not encode */
	make_ca();
	make_list(&r, 1);
	r.version = 0;
	assert_int_equal(wf_revoke_encode(&r, buf, sizeof(buf)), 0);
	make_list(&r, WF_REVOKE_MAX);
	assert_false(wf_revoke_add(&r, 5));
	assert_true(wf_revoke_add(&r, r.serial[3])); /* already there: fine */
	assert_int_not_equal(wf_revoke_encode(&r, buf, sizeof(buf)), 0);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* 10: add/has against a naive array of what was added. */
static void test_differential(void **state)
{
	(void)state;
	for (int run = 0; run < 100; run++) {
		uint64_t naive[WF_REVOKE_MAX];
		unsigned n = 0;
		struct wf_revoke r = {0};

		for (int step = 0; step < 300; step++) {
			uint64_t s = rnd() % 200, probe = rnd() % 200;
			bool there = false, want = false;

			for (unsigned i = 0; i < n; i++)
				there |= naive[i] == s;
			if (!there && n == WF_REVOKE_MAX)
				assert_false(wf_revoke_add(&r, s));
			else
				assert_true(wf_revoke_add(&r, s));
			if (!there && n < WF_REVOKE_MAX)
				naive[n++] = s;
			for (unsigned i = 0; i < n; i++)
				want |= naive[i] == probe;
			assert_int_equal(wf_revoke_has(&r, probe), want);
			assert_int_equal(r.n, n);
		}
		for (unsigned i = 1; i < r.n; i++)
			assert_true(r.serial[i - 1] < r.serial[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encoding),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_differential),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
