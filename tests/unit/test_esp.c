/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/core/esp.c: the ESP keys a keypair gives the kernel, and
 * the SPI rule. The vectors were computed apart from weft, with Python's
 * hmac and hashlib (RFC 5869 written out by hand):
 *
 *   import hashlib, hmac
 *   def hkdf(salt, ikm, info, n):
 *       prk = hmac.new(salt, ikm, hashlib.sha256).digest()
 *       t, okm, i = b"", b"", 1
 *       while len(okm) < n:
 *           t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
 *           okm += t; i += 1
 *       return okm[:n]
 *   c1 = bytes(range(0x00, 0x20)); c2 = bytes(range(0x20, 0x40))
 *   for cipher in (1, 2):
 *       for lbl, c in ((b"weft-esp i2r", c1), (b"weft-esp r2i", c2)):
 *           print(cipher, lbl, hkdf(b"weft-esp-v1", c, lbl + bytes([cipher]), 36).hex())
 *
 * Cases are numbered so that a failure names its case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/esp.h"

static const struct {
	enum wf_cipher cipher;
	const char *i2r, *r2i; /* key || salt, 36 bytes in hex */
} vectors[] = {
    {WF_CIPHER_AES256GCM,
     "89985e1eb7e56f7ae40f965704c00c307e21448944d0f113bdc32ffa64c1564ea7944ede",
     "47c81283511c9c15de9de5c4c5f4ac33f0f8aa48cf57ab1c3673e00bf81b5f192bc62908"},
    {WF_CIPHER_CHACHAPOLY,
     "7994f10a768f579e9303e6ddfca375b2ca57cd0292130a4da99bc2e7c03fabaa62c3ebcb",
     "cc41f51d99051cdc111dc54d4d87915beabdae406ff091ee5b11796f5c7ea94126503004"},
};

static void unhex(uint8_t *out, size_t len, const char *hex)
{
	assert_int_equal(strlen(hex), 2 * len);
	for (size_t i = 0; i < len; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void expect_key(int n, const struct wf_esp_key *k, const char *hex)
{
	uint8_t want[WF_ESP_KEYMAT_LEN];

	unhex(want, sizeof(want), hex);
	if (memcmp(k, want, sizeof(want))) {
		print_error("case %d: key || salt differs from %s\n", n, hex);
		fail();
	}
}

static void session_keys(uint8_t c1[WF_KEY_LEN], uint8_t c2[WF_KEY_LEN])
{
	for (int i = 0; i < WF_KEY_LEN; i++) {
		c1[i] = (uint8_t)i;
		c2[i] = (uint8_t)(0x20 + i);
	}
}

/* 1-2: both ciphers, both directions, against the Python vectors */
static void test_vectors(void **state)
{
	uint8_t c1[WF_KEY_LEN], c2[WF_KEY_LEN];
	struct wf_esp_key i2r, r2i;

	(void)state;
	session_keys(c1, c2);
	for (size_t v = 0; v < sizeof(vectors) / sizeof(vectors[0]); v++) {
		assert_true(wf_esp_derive(vectors[v].cipher, c1, c2, &i2r, &r2i));
		expect_key((int)v + 1, &i2r, vectors[v].i2r);
		expect_key((int)v + 1, &r2i, vectors[v].r2i);
	}
}

/* 3: the two ends of one keypair agree: what one sends the other receives,
 * and the SPIs cross (one's local index is the other's remote one) */
static void test_two_ends(void **state)
{
	uint8_t c1[WF_KEY_LEN], c2[WF_KEY_LEN];
	struct wf_esp_sa_keys ini, res;

	(void)state;
	session_keys(c1, c2);
	assert_true(wf_esp_sa_keys(WF_CIPHER_AES256GCM, c1, c2, true, 0x1001, 0x2002, &ini));
	assert_true(wf_esp_sa_keys(WF_CIPHER_AES256GCM, c1, c2, false, 0x2002, 0x1001, &res));
	assert_memory_equal(&ini.out, &res.in, sizeof(ini.out));
	assert_memory_equal(&ini.in, &res.out, sizeof(ini.in));
	assert_memory_not_equal(&ini.out, &ini.in, sizeof(ini.out));
	expect_key(3, &ini.out, vectors[0].i2r);
	expect_key(3, &res.out, vectors[0].r2i);
	assert_int_equal(ini.spi_in, 0x1001);
	assert_int_equal(ini.spi_out, 0x2002);
	assert_int_equal(res.spi_in, 0x2002);
	assert_int_equal(res.spi_out, 0x1001);
}

/* 4: never the transport keys themselves, and another cipher gives other keys */
static void test_not_transport_keys(void **state)
{
	uint8_t c1[WF_KEY_LEN], c2[WF_KEY_LEN];
	struct wf_esp_key g1, g2, x1, x2;

	(void)state;
	session_keys(c1, c2);
	assert_true(wf_esp_derive(WF_CIPHER_AES256GCM, c1, c2, &g1, &g2));
	assert_true(wf_esp_derive(WF_CIPHER_CHACHAPOLY, c1, c2, &x1, &x2));
	assert_memory_not_equal(g1.key, c1, WF_KEY_LEN);
	assert_memory_not_equal(g2.key, c2, WF_KEY_LEN);
	assert_memory_not_equal(&g1, &x1, sizeof(g1));
	assert_memory_not_equal(&g2, &x2, sizeof(g2));
}

/* 5-9: the SPI rule: an index below 256 is no SPI, and no keys come out */
static void test_spi_rule(void **state)
{
	static const struct {
		uint32_t local, remote;
		bool ok;
	} rows[] = {
	    {256, 256, true},	       /* 5: the smallest SPI */
	    {255, 0x1000, false},      /* 6: ours reserved */
	    {0x1000, 0, false},	       /* 7: the peer's is "no SA" */
	    {0x1000, 1, false},	       /* 8: the peer's reserved */
	    {UINT32_MAX, 0x100, true}, /* 9: the largest */
	};
	static const uint8_t zero[sizeof(struct wf_esp_sa_keys)];
	uint8_t c1[WF_KEY_LEN], c2[WF_KEY_LEN];
	struct wf_esp_sa_keys k;

	(void)state;
	session_keys(c1, c2);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&k, 0xaa, sizeof(k));
		if (wf_esp_sa_keys(WF_CIPHER_AES256GCM, c1, c2, true, rows[i].local, rows[i].remote,
				   &k) != rows[i].ok) {
			print_error("case %zu: %u/%u\n", i + 5, rows[i].local, rows[i].remote);
			fail();
		}
		if (!rows[i].ok)
			assert_memory_equal(&k, zero, sizeof(k)); /* wiped */
	}
	assert_false(wf_esp_spi_ok(0));
	assert_false(wf_esp_spi_ok(255));
	assert_true(wf_esp_spi_ok(256));
}

/* 10: the kernel's algorithm names, and no keys for no cipher */
static void test_names(void **state)
{
	uint8_t c1[WF_KEY_LEN] = {0}, c2[WF_KEY_LEN] = {0};
	struct wf_esp_key a, b;

	(void)state;
	assert_string_equal(wf_esp_aead_name(WF_CIPHER_AES256GCM), "rfc4106(gcm(aes))");
	assert_string_equal(wf_esp_aead_name(WF_CIPHER_CHACHAPOLY),
			    "rfc7539esp(chacha20,poly1305)");
	assert_null(wf_esp_aead_name(WF_CIPHER_NONE));
	assert_false(wf_esp_derive(WF_CIPHER_NONE, c1, c2, &a, &b));
	assert_false(wf_esp_derive((enum wf_cipher)7, c1, c2, &a, &b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vectors),
	    cmocka_unit_test(test_two_ends),
	    cmocka_unit_test(test_not_transport_keys),
	    cmocka_unit_test(test_spi_rule),
	    cmocka_unit_test(test_names),
	};

	wf_crypto_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
