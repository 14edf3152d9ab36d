/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/core/cookie.c: mac2 under a cookie, cookie replies and
 * what an initiator keeps of them, the secret's expiry, and that the secret
 * and the nonce are the caller's: the same ones give the same bytes. Cases
 * are numbered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/bytes.h"
#include "core/cookie.h"
#include "core/message.h"

static uint8_t ca_pub[WF_KEY_LEN], mac1_key[WF_SHA256_LEN];

/* An initiation-shaped message: header with a sender index, a body, mac1,
 * and mac2 from the jar (or zero). */
static size_t make_init(uint8_t *m, uint32_t sender, const struct wf_cookie_jar *jar, int64_t now)
{
	size_t len = 200;

	memset(m, 0x5a, len);
	m[0] = WF_MSG_HANDSHAKE_INIT;
	m[1] = WF_PROTO_VERSION;
	m[2] = m[3] = 0;
	wf_put_le32(m + 4, sender);
	wf_hs_mac1(mac1_key, m, len - WF_INIT_MACS_LEN, m + len - WF_INIT_MACS_LEN);
	wf_cookie_jar_sign(jar, m, len, now);
	return len;
}

static union wf_endpoint ep(const char *s)
{
	union wf_endpoint e;

	assert_true(wf_endpoint_parse(&e, s));
	return e;
}

/* A secret (or a nonce) of bytes that are all `fill`. */
static void set_secret(struct wf_cookie_checker *c, uint8_t fill, int64_t now)
{
	uint8_t secret[WF_COOKIE_SECRET_LEN];

	memset(secret, fill, sizeof(secret));
	wf_cookie_secret_set(c, secret, now);
}

static const uint8_t *nonce_of(uint8_t fill)
{
	static uint8_t n[WF_COOKIE_NONCE_LEN];

	memset(n, fill, sizeof(n));
	return n;
}

static void test_round_trip(void **state)
{
	struct wf_cookie_checker c;
	struct wf_cookie_jar jar = {0};
	union wf_endpoint from = ep("198.18.0.7:51820"), other = ep("198.18.0.7:51821");
	uint8_t init[256], reply[WF_COOKIE_REPLY_LEN];
	size_t len;

	(void)state;
	assert_true(wf_cookie_checker_init(&c, WF_CIPHER_AES256GCM, ca_pub));
	set_secret(&c, 0x5e, 1000);
	/* 1: no cookie yet: mac2 is zero, and not valid */
	len = make_init(init, 0x11223344, &jar, 1000);
	assert_false(wf_cookie_mac2_ok(&c, &from, init, len, 1000));
	/* 2: the reply quotes the sender index; type 3, version 1 */
	assert_true(wf_cookie_reply(&c, &from, init, len, 1000, nonce_of(1), reply));
	assert_int_equal(reply[0], WF_MSG_COOKIE);
	assert_int_equal(reply[1], WF_PROTO_VERSION);
	assert_int_equal(reply[2] | reply[3], 0);
	assert_int_equal(wf_get_le32(reply + 4), 0x11223344);
	/* 3: the initiator opens it with the mac1 it sent, and its next
	 * initiation passes, from that address */
	assert_true(wf_cookie_take(&c, reply, sizeof(reply), init + len - WF_INIT_MACS_LEN, &jar,
				   1000));
	len = make_init(init, 0x55667788, &jar, 1010);
	assert_true(wf_cookie_mac2_ok(&c, &from, init, len, 1020));
	/* 4: from another port, or with any bit of it changed, not */
	assert_false(wf_cookie_mac2_ok(&c, &other, init, len, 1020));
	init[50] ^= 1;
	assert_false(wf_cookie_mac2_ok(&c, &from, init, len, 1020));
	init[50] ^= 1;
	/* 5: a reply with another mac1 as its associated data is refused */
	{
		uint8_t wrong[WF_MAC_LEN] = {0};

		assert_false(wf_cookie_take(&c, reply, sizeof(reply), wrong, &jar, 1000));
	}
	/* 6: so is a tampered one, and one of the wrong length */
	reply[30] ^= 0x80;
	assert_false(wf_cookie_take(&c, reply, sizeof(reply), init + len - WF_INIT_MACS_LEN, &jar,
				    1000));
	assert_false(wf_cookie_take(&c, reply, sizeof(reply) - 1, init, &jar, 1000));
	/* 7: the secret's replacement expires every cookie made with it: no
	 * mac2 passes under an expired secret, nor under the next */
	assert_false(wf_cookie_mac2_ok(&c, &from, init, len, 1000 + WF_COOKIE_SECRET_MS));
	set_secret(&c, 0x5f, 1000 + WF_COOKIE_SECRET_MS);
	assert_false(wf_cookie_mac2_ok(&c, &from, init, len, 1000 + WF_COOKIE_SECRET_MS));
	wf_cookie_checker_free(&c);
}

/* 8-10: what the initiator does with its jar. */
static void test_jar(void **state)
{
	struct wf_cookie_jar jar = {.has = true, .got_ms = 5000};
	uint8_t init[256], zero[WF_MAC_LEN] = {0};
	size_t len;

	(void)state;
	memset(jar.cookie, 0x33, sizeof(jar.cookie));
	/* 8: fresh: mac2 is set */
	len = make_init(init, 1, &jar, 5000);
	assert_memory_not_equal(init + len - WF_MAC_LEN, zero, WF_MAC_LEN);
	/* 9: used until a margin before it can expire, then zero */
	len = make_init(init, 1, &jar, 5000 + WF_COOKIE_SECRET_MS - WF_COOKIE_MARGIN_MS - 1);
	assert_memory_not_equal(init + len - WF_MAC_LEN, zero, WF_MAC_LEN);
	len = make_init(init, 1, &jar, 5000 + WF_COOKIE_SECRET_MS - WF_COOKIE_MARGIN_MS);
	assert_memory_equal(init + len - WF_MAC_LEN, zero, WF_MAC_LEN);
	/* 10: no jar, or an empty one: zero */
	len = make_init(init, 1, NULL, 5000);
	assert_memory_equal(init + len - WF_MAC_LEN, zero, WF_MAC_LEN);
}

/* 11: mac2 is HMAC-SHA256 under the cookie, cut to 16 bytes. */
static void test_mac2_value(void **state)
{
	uint8_t cookie[WF_COOKIE_LEN], msg[3] = {'a', 'b', 'c'}, mac[WF_MAC_LEN], full[32];

	(void)state;
	memset(cookie, 7, sizeof(cookie));
	wf_cookie_mac2(cookie, msg, sizeof(msg), mac);
	assert_true(wf_hmac(WF_HASH_SHA256, full, cookie, sizeof(cookie), msg, sizeof(msg)));
	assert_memory_equal(mac, full, WF_MAC_LEN);
}

/* 12-13: the secret comes from the caller, when it is due. */
static void test_secret_due(void **state)
{
	struct wf_cookie_checker c;
	union wf_endpoint from = ep("198.18.0.7:51820");
	uint8_t init[256], reply[WF_COOKIE_REPLY_LEN];
	size_t len = make_init(init, 7, NULL, 0);

	(void)state;
	assert_true(wf_cookie_checker_init(&c, WF_CIPHER_AES256GCM, ca_pub));
	/* 12: none yet: due, and no cookie is made */
	assert_true(wf_cookie_secret_due(&c, 0));
	assert_false(wf_cookie_reply(&c, &from, init, len, 0, nonce_of(1), reply));
	/* 13: one set at 1000 serves until 1000 + WF_COOKIE_SECRET_MS, not at it */
	set_secret(&c, 0x5e, 1000);
	assert_false(wf_cookie_secret_due(&c, 1000 + WF_COOKIE_SECRET_MS - 1));
	assert_true(wf_cookie_reply(&c, &from, init, len, 1000 + WF_COOKIE_SECRET_MS - 1,
				    nonce_of(1), reply));
	assert_true(wf_cookie_secret_due(&c, 1000 + WF_COOKIE_SECRET_MS));
	assert_false(wf_cookie_reply(&c, &from, init, len, 1000 + WF_COOKIE_SECRET_MS,
				     nonce_of(1), reply));
	wf_cookie_checker_free(&c);
}

/* 14-17: the same secret and nonce give the same reply, byte for byte;
 * another nonce or another secret another one. */
static void test_reply_inputs(void **state)
{
	struct wf_cookie_checker c[2];
	struct wf_cookie_jar jar[2];
	union wf_endpoint from = ep("[2001:db8::7]:51820");
	uint8_t init[256], a[WF_COOKIE_REPLY_LEN], b[WF_COOKIE_REPLY_LEN];
	const uint8_t *mac1;
	size_t len = make_init(init, 0x0a0b0c0d, NULL, 0);

	(void)state;
	memset(jar, 0, sizeof(jar));
	mac1 = init + len - WF_INIT_MACS_LEN;
	for (int i = 0; i < 2; i++) {
		assert_true(wf_cookie_checker_init(&c[i], WF_CIPHER_CHACHAPOLY, ca_pub));
		set_secret(&c[i], 0x5e, 1000);
	}
	/* 14: two checkers, one secret, one nonce: identical replies, which
	 * carry the nonce as given */
	assert_true(wf_cookie_reply(&c[0], &from, init, len, 2000, nonce_of(9), a));
	assert_true(wf_cookie_reply(&c[1], &from, init, len, 2000, nonce_of(9), b));
	assert_memory_equal(a, b, sizeof(a));
	assert_memory_equal(a + 8, nonce_of(9), WF_COOKIE_NONCE_LEN);
	/* 15: another nonce: another reply, the same cookie inside */
	assert_true(wf_cookie_reply(&c[1], &from, init, len, 2000, nonce_of(10), b));
	assert_memory_not_equal(a + 8, b + 8, WF_COOKIE_NONCE_LEN);
	assert_memory_not_equal(a + 20, b + 20, sizeof(a) - 20);
	assert_true(wf_cookie_take(&c[0], a, sizeof(a), mac1, &jar[0], 2000));
	assert_true(wf_cookie_take(&c[0], b, sizeof(b), mac1, &jar[1], 2000));
	assert_memory_equal(jar[0].cookie, jar[1].cookie, WF_COOKIE_LEN);
	/* 16: another secret, the same nonce: another cookie */
	set_secret(&c[1], 0x5f, 1000);
	assert_true(wf_cookie_reply(&c[1], &from, init, len, 2000, nonce_of(9), b));
	assert_memory_not_equal(a + 20, b + 20, sizeof(a) - 20);
	assert_true(wf_cookie_take(&c[0], b, sizeof(b), mac1, &jar[1], 2000));
	assert_memory_not_equal(jar[0].cookie, jar[1].cookie, WF_COOKIE_LEN);
	/* 17: a mac2 under the first secret's cookie passes there only */
	len = make_init(init, 0x0a0b0c0d, &jar[0], 2000);
	assert_true(wf_cookie_mac2_ok(&c[0], &from, init, len, 2000));
	assert_false(wf_cookie_mac2_ok(&c[1], &from, init, len, 2000));
	for (int i = 0; i < 2; i++)
		wf_cookie_checker_free(&c[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_jar),
	    cmocka_unit_test(test_mac2_value),
	    cmocka_unit_test(test_secret_due),
	    cmocka_unit_test(test_reply_inputs),
	};

	wf_crypto_init();
	memset(ca_pub, 0xca, sizeof(ca_pub));
	assert_true(wf_hs_mac1_key(ca_pub, mac1_key));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
