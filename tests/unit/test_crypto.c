/* SPDX-License-Identifier: MIT */
/*
 * Known-answer tests for src/crypto against published vectors: RFC 7748
 * (X25519), RFC 8032 (Ed25519), the GCM spec (AES-256-GCM test cases 13-16),
 * RFC 8439 (ChaCha20-Poly1305), FIPS 180 (SHA-2), RFC 7693 (BLAKE2),
 * RFC 4231 (HMAC) and RFC 5869 (HKDF).
 *
 * wf_aead derives its nonce from a counter, so published vectors whose nonce
 * is not of that form (GCM 15/16, RFC 8439 2.8.2) anchor a direct OpenSSL
 * EVP reference here instead, and wf_aead is then cross-checked against that
 * reference with the counter nonce. HKDF is handled the same way.
 *
 * Every vector has a case number, printed when it fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "crypto/crypto.h"

/* --- helpers ---------------------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode hex into out (cap bytes); returns the length. */
static size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = strlen(hex) / 2;

	assert_int_equal(strlen(hex) % 2, 0);
	assert_true(n <= cap);
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		assert_true(hi >= 0 && lo >= 0);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return n;
}

static void print_hex(const char *label, const uint8_t *b, size_t len)
{
	char s[2 * 512 + 1] = "";

	for (size_t i = 0; i < len && i < 512; i++)
		snprintf(s + 2 * i, 3, "%02x", b[i]);
	print_error("  %s %s\n", label, s);
}

/* got must equal the hex string; the case number names a failure. */
static void expect_hex(int case_no, const uint8_t *got, size_t len, const char *hex)
{
	uint8_t want[512];
	size_t n = unhex(want, sizeof(want), hex);

	if (n != len || memcmp(got, want, n)) {
		print_error("case %d: mismatch\n", case_no);
		print_hex("got ", got, len);
		print_hex("want", want, n);
		fail();
	}
}

static void expect_mem(int case_no, const void *got, const void *want, size_t len)
{
	if (memcmp(got, want, len)) {
		print_error("case %d: mismatch\n", case_no);
		print_hex("got ", got, len);
		print_hex("want", want, len);
		fail();
	}
}

static void fill(uint8_t *b, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		b[i] = (uint8_t)(seed >> 16);
	}
}

/* --- X25519 ---------------------------------------------------------------- */

static void test_x25519_rfc7748(void **state)
{
	static const struct {
		const char *scalar, *u, *out;
	} v[] = {
	    /* 1, 2: RFC 7748 section 5.2 */
	    {"a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
	     "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
	     "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"},
	    {"4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
	     "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
	     "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"},
	};
	uint8_t k[32], u[32], out[32], prev[32];

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		unhex(k, 32, v[i].scalar);
		unhex(u, 32, v[i].u);
		assert_true(wf_x25519(out, k, u));
		expect_hex((int)i + 1, out, 32, v[i].out);
	}
	/* 3, 4: the iterated test, after 1 and 1000 iterations */
	memset(k, 0, 32);
	k[0] = 9;
	memcpy(u, k, 32);
	for (int i = 1; i <= 1000; i++) {
		assert_true(wf_x25519(out, k, u));
		memcpy(prev, k, 32);
		memcpy(k, out, 32);
		memcpy(u, prev, 32);
		if (i == 1)
			expect_hex(
			    3, k, 32,
			    "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
	}
	expect_hex(4, k, 32, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
}

static void test_x25519_dh(void **state)
{
	uint8_t apriv[32], bpriv[32], apub[32], bpub[32], s1[32], s2[32];

	(void)state;
	/* RFC 7748 section 6.1 */
	unhex(apriv, 32, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
	unhex(bpriv, 32, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
	assert_true(wf_x25519_public(apub, apriv));
	expect_hex(5, apub, 32, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	assert_true(wf_x25519_public(bpub, bpriv));
	expect_hex(6, bpub, 32, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
	assert_true(wf_x25519(s1, apriv, bpub));
	expect_hex(7, s1, 32, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
	assert_true(wf_x25519(s2, bpriv, apub));
	expect_hex(8, s2, 32, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");

	/* 9: fresh key pairs agree */
	assert_true(wf_x25519_keygen(apriv, apub));
	assert_true(wf_x25519_keygen(bpriv, bpub));
	assert_memory_not_equal(apriv, bpriv, 32);
	assert_true(wf_x25519(s1, apriv, bpub));
	assert_true(wf_x25519(s2, bpriv, apub));
	expect_mem(9, s1, s2, 32);
	assert_true(wf_x25519_public(s1, apriv));
	expect_mem(9, s1, apub, 32);
}

/* Points of small order give an all-zero shared secret, which must be
 * refused (and the output wiped), whatever our private key. */
static void test_x25519_low_order(void **state)
{
	static const char *const pts[] = {
	    "0000000000000000000000000000000000000000000000000000000000000000", /* 10: zero */
	    "0100000000000000000000000000000000000000000000000000000000000000", /* 11: one */
	    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", /* 12: order 8 */
	    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157", /* 13: order 8 */
	    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* 14: p - 1 */
	    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* 15: p */
	    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* 16: p + 1 */
	};
	uint8_t priv[32], pub[32], u[32], out[32];

	(void)state;
	assert_true(wf_x25519_keygen(priv, pub));
	for (size_t i = 0; i < sizeof(pts) / sizeof(pts[0]); i++) {
		unhex(u, 32, pts[i]);
		memset(out, 0xa5, 32);
		if (wf_x25519(out, priv, u)) {
			print_error("case %zu: low-order point accepted\n", 10 + i);
			fail();
		}
		expect_hex(10 + (int)i, out, 32,
			   "0000000000000000000000000000000000000000000000000000000000000000");
	}
}

/* --- Ed25519 ----------------------------------------------------------------- */

static void test_ed25519_rfc8032(void **state)
{
	/* RFC 8032 section 7.1, tests 1-3: cases 20-22 */
	static const struct {
		const char *sk, *pk, *msg, *sig;
	} v[] = {
	    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
	     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
	     "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
	    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
	     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
	     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
	     "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
	    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
	     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
	     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
	     "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
	};
	uint8_t sk[32], pk[32], msg[8], sig[64], bad[64], badmsg[9];

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		int c = 20 + (int)i;
		size_t mlen = unhex(msg, sizeof(msg), v[i].msg);

		unhex(sk, 32, v[i].sk);
		assert_true(wf_ed25519_public(pk, sk));
		expect_hex(c, pk, 32, v[i].pk);
		assert_true(wf_ed25519_sign(sig, msg, mlen, sk));
		expect_hex(c, sig, 64, v[i].sig);
		assert_true(wf_ed25519_verify(sig, msg, mlen, pk));
		/* any flipped bit of the signature (R and S halves) is refused */
		for (size_t bit = 0; bit < 512; bit += 37) {
			memcpy(bad, sig, 64);
			bad[bit / 8] ^= (uint8_t)(1 << (bit % 8));
			if (wf_ed25519_verify(bad, msg, mlen, pk)) {
				print_error("case %d: signature with bit %zu flipped accepted\n", c,
					    bit);
				fail();
			}
		}
		/* a flipped message bit, or one byte more, is refused */
		if (mlen) {
			memcpy(badmsg, msg, mlen);
			badmsg[mlen - 1] ^= 0x01;
			assert_false(wf_ed25519_verify(sig, badmsg, mlen, pk));
		}
		memcpy(badmsg, msg, mlen);
		badmsg[mlen] = 0;
		assert_false(wf_ed25519_verify(sig, badmsg, mlen + 1, pk));
		/* another key's signature is refused */
		memcpy(bad, pk, 32);
		bad[0] ^= 0x80;
		assert_false(wf_ed25519_verify(sig, msg, mlen, bad));
	}
}

static void test_ed25519_keygen(void **state)
{
	uint8_t priv[32], pub[32], pub2[32], sig[64];
	static const uint8_t msg[] = "weft";

	(void)state;
	assert_true(wf_ed25519_keygen(priv, pub));
	assert_true(wf_ed25519_public(pub2, priv));
	assert_memory_equal(pub, pub2, 32);
	assert_true(wf_ed25519_sign(sig, msg, sizeof(msg), priv));
	assert_true(wf_ed25519_verify(sig, msg, sizeof(msg), pub));
}

/* --- AEAD -------------------------------------------------------------------- */

/* The reference: one-shot OpenSSL EVP with an explicit 12-byte nonce.
 * Writes ciphertext || tag to out; for decryption in is ciphertext || tag. */
static bool evp_aead(enum wf_cipher c, int enc, const uint8_t key[32], const uint8_t nonce[12],
		     const uint8_t *ad, size_t ad_len, const uint8_t *in, size_t len, uint8_t *out)
{
	const EVP_CIPHER *ec =
	    c == WF_CIPHER_AES256GCM ? EVP_aes_256_gcm() : EVP_chacha20_poly1305();
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	size_t n = enc ? len : len - 16;
	int outl;
	bool ok = false;

	if (!ctx || EVP_CipherInit_ex(ctx, ec, NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) != 1)
		goto out;
	if (ad_len && EVP_CipherUpdate(ctx, NULL, &outl, ad, (int)ad_len) != 1)
		goto out;
	if (n && EVP_CipherUpdate(ctx, out, &outl, in, (int)n) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, (void *)(in + n)) != 1)
		goto out;
	if (EVP_CipherFinal_ex(ctx, out + n, &outl) != 1)
		goto out;
	ok = !enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, out + n) == 1;
out:
	EVP_CIPHER_CTX_free(ctx);
	return ok;
}

/* The counter mapping the Noise spec gives each cipher. */
static void counter_nonce(enum wf_cipher c, uint64_t n, uint8_t nonce[12])
{
	memset(nonce, 0, 4);
	for (int i = 0; i < 8; i++)
		nonce[c == WF_CIPHER_AES256GCM ? 11 - i : 4 + i] = (uint8_t)(n >> (8 * i));
}

/* Seal with wf_aead and check ciphertext || tag against the hex; then open. */
static void aead_kat(int case_no, enum wf_cipher c, const char *key_hex, uint64_t counter,
		     const char *ad_hex, const char *pt_hex, const char *ct_tag_hex)
{
	uint8_t key[32], ad[64], buf[512], pt[512];
	size_t ad_len = unhex(ad, sizeof(ad), ad_hex), len = unhex(pt, sizeof(pt), pt_hex);
	struct wf_aead *a;

	unhex(key, 32, key_hex);
	a = wf_aead_new(c, key);
	assert_non_null(a);
	memcpy(buf, pt, len);
	assert_true(wf_aead_seal(a, counter, ad, ad_len, buf, len));
	expect_hex(case_no, buf, len + 16, ct_tag_hex);
	assert_true(wf_aead_open(a, counter, ad, ad_len, buf, len + 16));
	expect_mem(case_no, buf, pt, len);
	wf_aead_free(a);
}

static const char gcm_k15[] = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
static const char gcm_p15[] = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
			      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";

static void test_aes_gcm_kat(void **state)
{
	static const char zero_key[] =
	    "0000000000000000000000000000000000000000000000000000000000000000";
	uint8_t key[32], iv[12], ad[20], pt[64], out[80];

	(void)state;
	/* 30, 31: GCM spec test cases 13 and 14: the IV is all zero, which is
	 * exactly 4 zero bytes || BE64(0), so they go through wf_aead. */
	aead_kat(30, WF_CIPHER_AES256GCM, zero_key, 0, "", "", "530f8afbc74536b9a963b4f1c4cb738b");
	aead_kat(31, WF_CIPHER_AES256GCM, zero_key, 0, "", "00000000000000000000000000000000",
		 "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
	/* 32, 33: test cases 15 and 16 have IV cafebabefacedbaddecaf888: they
	 * anchor the EVP reference used for the cross-checks below. */
	unhex(key, 32, gcm_k15);
	unhex(iv, 12, "cafebabefacedbaddecaf888");
	unhex(pt, 64, gcm_p15);
	assert_true(evp_aead(WF_CIPHER_AES256GCM, 1, key, iv, NULL, 0, pt, 64, out));
	expect_hex(32, out, 80,
		   "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
		   "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad"
		   "b094dac5d93471bdec1a502270e3cc6c");
	unhex(ad, 20, "feedfacedeadbeeffeedfacedeadbeefabaddad2");
	assert_true(evp_aead(WF_CIPHER_AES256GCM, 1, key, iv, ad, 20, pt, 60, out));
	expect_hex(33, out, 76,
		   "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
		   "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
		   "76fc6ece0f4e1768cddf8853bb2d551b");
}

static const char rfc8439_a5_pt[] =
    "496e7465726e65742d4472616674732061726520647261667420646f63756d65"
    "6e74732076616c696420666f722061206d6178696d756d206f6620736978206d"
    "6f6e74687320616e64206d617920626520757064617465642c207265706c6163"
    "65642c206f72206f62736f6c65746564206279206f7468657220646f63756d65"
    "6e747320617420616e792074696d652e20497420697320696e617070726f7072"
    "6961746520746f2075736520496e7465726e65742d4472616674732061732072"
    "65666572656e6365206d6174657269616c206f7220746f206369746520746865"
    "6d206f74686572207468616e206173202fe2809c776f726b20696e2070726f67"
    "726573732e2fe2809d";
static const char rfc8439_a5_ct_tag[] =
    "64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2"
    "4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf"
    "332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855"
    "9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4"
    "b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e"
    "af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a"
    "0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10"
    "49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29"
    "a6ad5cb4022b02709b"
    "eead9d67890cbb22392336fea1851f38";

static void test_chacha_kat(void **state)
{
	static const char pt282[] =
	    "Ladies and Gentlemen of the class of '99: If I could offer you "
	    "only one tip for the future, sunscreen would be it.";
	uint8_t key[32], iv[12], ad[12], out[sizeof(pt282) + 16];

	(void)state;
	/* 40: RFC 8439 appendix A.5. Its nonce 000000000102030405060708 is
	 * 4 zero bytes || LE64(0x0807060504030201): wf_aead's own mapping. */
	aead_kat(40, WF_CIPHER_CHACHAPOLY,
		 "1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0",
		 0x0807060504030201ULL, "f33388860000000000004e91", rfc8439_a5_pt,
		 rfc8439_a5_ct_tag);
	/* 41: RFC 8439 section 2.8.2, nonce 070000004041424344454647 (not of
	 * the counter form): anchors the EVP reference. */
	unhex(key, 32, "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
	unhex(iv, 12, "070000004041424344454647");
	unhex(ad, 12, "50515253c0c1c2c3c4c5c6c7");
	assert_true(evp_aead(WF_CIPHER_CHACHAPOLY, 1, key, iv, ad, 12, (const uint8_t *)pt282,
			     sizeof(pt282) - 1, out));
	expect_hex(41, out, sizeof(pt282) - 1 + 16,
		   "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
		   "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
		   "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
		   "3ff4def08e4b7a9de576d26586cec64b6116"
		   "1ae10b594f09e26a7e902ecbd0600691");
}

static const enum wf_cipher ciphers[] = {WF_CIPHER_AES256GCM, WF_CIPHER_CHACHAPOLY};

/* 50: wf_aead against the anchored EVP reference with the counter nonce,
 * for counters that exercise every byte of the mapping. */
static void test_aead_cross(void **state)
{
	static const uint64_t counters[] = {
	    0,	       1, 255, 256, 0x0102030405060708ULL, 0x8000000000000000ULL, UINT64_MAX - 1,
	    UINT64_MAX};
	uint8_t key[32], nonce[12], ad[29], pt[200], buf[216], ref[216];

	(void)state;
	fill(key, 32, 1);
	fill(ad, sizeof(ad), 2);
	fill(pt, sizeof(pt), 3);
	for (size_t ci = 0; ci < 2; ci++) {
		struct wf_aead *a = wf_aead_new(ciphers[ci], key);

		assert_non_null(a);
		for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
			size_t len = 37 + 17 * i, ad_len = i % 3 ? sizeof(ad) : 0;

			counter_nonce(ciphers[ci], counters[i], nonce);
			assert_true(evp_aead(ciphers[ci], 1, key, nonce, ad, ad_len, pt, len, ref));
			memcpy(buf, pt, len);
			assert_true(wf_aead_seal(a, counters[i], ad, ad_len, buf, len));
			expect_mem(50, buf, ref, len + 16);
			/* the reference opens what wf_aead sealed */
			assert_true(
			    evp_aead(ciphers[ci], 0, key, nonce, ad, ad_len, buf, len + 16, ref));
			expect_mem(50, ref, pt, len);
		}
		wf_aead_free(a);
	}
}

/* 51: in-place round trips for every length 0..300, checked against the
 * reference each time. */
static void test_aead_lengths(void **state)
{
	uint8_t key[32], nonce[12], ad[13], pt[300], buf[316], ref[316];

	(void)state;
	fill(key, 32, 4);
	fill(ad, sizeof(ad), 5);
	fill(pt, sizeof(pt), 6);
	for (size_t ci = 0; ci < 2; ci++) {
		struct wf_aead *a = wf_aead_new(ciphers[ci], key);

		assert_non_null(a);
		for (size_t len = 0; len <= 300; len++) {
			uint64_t ctr = len * 0x0101010101ULL;

			memcpy(buf, pt, len);
			assert_true(wf_aead_seal(a, ctr, ad, len % 14, buf, len));
			counter_nonce(ciphers[ci], ctr, nonce);
			assert_true(
			    evp_aead(ciphers[ci], 1, key, nonce, ad, len % 14, pt, len, ref));
			expect_mem(51, buf, ref, len + 16);
			assert_true(wf_aead_open(a, ctr, ad, len % 14, buf, len + 16));
			expect_mem(51, buf, pt, len);
		}
		wf_aead_free(a);
	}
}

/* 52: a flipped bit anywhere (tag, ciphertext, AD), a wrong counter, a short
 * buffer: open refuses. */
static void test_aead_tamper(void **state)
{
	enum { LEN = 64 };
	uint8_t key[32], ad[16], pt[LEN], sealed[LEN + 16], buf[LEN + 16];

	(void)state;
	fill(key, 32, 7);
	fill(ad, sizeof(ad), 8);
	fill(pt, LEN, 9);
	for (size_t ci = 0; ci < 2; ci++) {
		struct wf_aead *a = wf_aead_new(ciphers[ci], key);

		assert_non_null(a);
		memcpy(sealed, pt, LEN);
		assert_true(wf_aead_seal(a, 42, ad, sizeof(ad), sealed, LEN));
		for (size_t bit = 0; bit < 8 * (LEN + 16); bit += 7) {
			memcpy(buf, sealed, sizeof(buf));
			buf[bit / 8] ^= (uint8_t)(1 << (bit % 8));
			if (wf_aead_open(a, 42, ad, sizeof(ad), buf, sizeof(buf))) {
				print_error("case 52: %s accepted bit %zu flipped\n",
					    wf_cipher_name(ciphers[ci]), bit);
				fail();
			}
		}
		for (size_t bit = 0; bit < 8 * sizeof(ad); bit += 5) {
			memcpy(buf, sealed, sizeof(buf));
			ad[bit / 8] ^= (uint8_t)(1 << (bit % 8));
			assert_false(wf_aead_open(a, 42, ad, sizeof(ad), buf, sizeof(buf)));
			ad[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		}
		memcpy(buf, sealed, sizeof(buf));
		assert_false(wf_aead_open(a, 43, ad, sizeof(ad), buf, sizeof(buf)));
		memcpy(buf, sealed, sizeof(buf));
		assert_false(wf_aead_open(a, 42, ad, sizeof(ad) - 1, buf, sizeof(buf)));
		memcpy(buf, sealed, sizeof(buf));
		assert_false(wf_aead_open(a, 42, ad, sizeof(ad), buf, sizeof(buf) - 1));
		assert_false(wf_aead_open(a, 42, ad, sizeof(ad), buf, 15));
		/* the context still works after all those failures */
		memcpy(buf, sealed, sizeof(buf));
		assert_true(wf_aead_open(a, 42, ad, sizeof(ad), buf, sizeof(buf)));
		assert_memory_equal(buf, pt, LEN);
		wf_aead_free(a);
	}
}

/* 53: rekey replaces the key; the old key's ciphertext no longer opens. */
static void test_aead_rekey(void **state)
{
	uint8_t k1[32], k2[32], pt[40], c1[56], c2[56], buf[56];

	(void)state;
	fill(k1, 32, 10);
	fill(k2, 32, 11);
	fill(pt, sizeof(pt), 12);
	for (size_t ci = 0; ci < 2; ci++) {
		struct wf_aead *a = wf_aead_new(ciphers[ci], k1);
		struct wf_aead *b = wf_aead_new(ciphers[ci], k2);

		assert_non_null(a);
		assert_non_null(b);
		memcpy(c1, pt, sizeof(pt));
		assert_true(wf_aead_seal(a, 5, NULL, 0, c1, sizeof(pt)));
		memcpy(c2, pt, sizeof(pt));
		assert_true(wf_aead_seal(b, 5, NULL, 0, c2, sizeof(pt)));
		assert_true(wf_aead_rekey(a, k2));
		memcpy(buf, pt, sizeof(pt));
		assert_true(wf_aead_seal(a, 5, NULL, 0, buf, sizeof(pt)));
		expect_mem(53, buf, c2, sizeof(c2));
		memcpy(buf, c1, sizeof(c1));
		assert_false(wf_aead_open(a, 5, NULL, 0, buf, sizeof(buf)));
		assert_true(wf_aead_rekey(a, k1));
		memcpy(buf, c1, sizeof(c1));
		assert_true(wf_aead_open(a, 5, NULL, 0, buf, sizeof(buf)));
		expect_mem(53, buf, pt, sizeof(pt));
		wf_aead_free(a);
		wf_aead_free(b);
	}
}

/* 54-56: a context made for one direction does that one, as the two-way
 * one does, and refuses the other; none for no direction. */
static void test_aead_dir(void **state)
{
	uint8_t key[32], pt[100], ref[116], buf[116];

	(void)state;
	fill(key, 32, 13);
	fill(pt, sizeof(pt), 14);
	for (size_t ci = 0; ci < 2; ci++) {
		struct wf_aead *both = wf_aead_new(ciphers[ci], key);
		struct wf_aead *s = wf_aead_new_dir(ciphers[ci], key, WF_AEAD_SEAL);
		struct wf_aead *o = wf_aead_new_dir(ciphers[ci], key, WF_AEAD_OPEN);

		assert_true(both && s && o);
		memcpy(ref, pt, sizeof(pt));
		assert_true(wf_aead_seal(both, 9, key, 16, ref, sizeof(pt)));
		memcpy(buf, pt, sizeof(pt));
		assert_true(wf_aead_seal(s, 9, key, 16, buf, sizeof(pt)));
		expect_mem(54, buf, ref, sizeof(ref));
		assert_true(wf_aead_open(o, 9, key, 16, buf, sizeof(buf)));
		expect_mem(55, buf, pt, sizeof(pt));
		/* 56: the other direction fails, without touching the data */
		memcpy(buf, ref, sizeof(ref));
		assert_false(wf_aead_open(s, 9, key, 16, buf, sizeof(buf)));
		assert_false(wf_aead_seal(o, 9, key, 16, buf, sizeof(pt)));
		expect_mem(56, buf, ref, sizeof(ref));
		assert_null(wf_aead_new_dir(ciphers[ci], key, 0));
		wf_aead_free(both);
		wf_aead_free(s);
		wf_aead_free(o);
	}
}

static void test_aead_names(void **state)
{
	uint8_t key[32] = {0};

	(void)state;
	assert_null(wf_aead_new(WF_CIPHER_NONE, key));
	wf_aead_free(NULL);
	assert_string_equal(wf_cipher_name(WF_CIPHER_AES256GCM), "aes-256-gcm");
	assert_string_equal(wf_cipher_name(WF_CIPHER_CHACHAPOLY), "chacha20-poly1305");
	assert_int_equal(wf_cipher_from_name("aes-256-gcm"), WF_CIPHER_AES256GCM);
	assert_int_equal(wf_cipher_from_name("chacha20-poly1305"), WF_CIPHER_CHACHAPOLY);
	assert_int_equal(wf_cipher_from_name("AES-256-GCM"), WF_CIPHER_NONE);
	assert_int_equal(wf_cipher_from_name(""), WF_CIPHER_NONE);
}

/* --- hashes, HMAC, HKDF ---------------------------------------------------------- */

static void test_hashes(void **state)
{
	static const char two_block[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	uint8_t out[64];

	(void)state;
	/* 60, 61: FIPS 180 SHA-256 "abc" and the two-block message */
	assert_true(wf_sha256(out, (const uint8_t *)"abc", 3));
	expect_hex(60, out, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_true(wf_sha256(out, (const uint8_t *)two_block, strlen(two_block)));
	expect_hex(61, out, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* 62: wf_hash2 hashes the concatenation */
	assert_true(
	    wf_hash2(WF_HASH_SHA256, out, (const uint8_t *)"a", 1, (const uint8_t *)"bc", 2));
	expect_hex(62, out, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	/* 63: FIPS 180 SHA-512 "abc" */
	assert_true(
	    wf_hash2(WF_HASH_SHA512, out, (const uint8_t *)"ab", 2, (const uint8_t *)"c", 1));
	expect_hex(63, out, 64,
		   "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
		   "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
	/* 64, 65: RFC 7693 appendices B and A: BLAKE2s-256 and BLAKE2b-512 "abc" */
	assert_true(wf_hash2(WF_HASH_BLAKE2S, out, (const uint8_t *)"abc", 3, NULL, 0));
	expect_hex(64, out, 32, "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
	assert_true(wf_hash2(WF_HASH_BLAKE2B, out, NULL, 0, (const uint8_t *)"abc", 3));
	expect_hex(65, out, 64,
		   "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
		   "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923");
	assert_int_equal(wf_hash_len(WF_HASH_SHA256), 32);
	assert_int_equal(wf_hash_len(WF_HASH_BLAKE2S), 32);
	assert_int_equal(wf_hash_len(WF_HASH_SHA512), 64);
	assert_int_equal(wf_hash_len(WF_HASH_BLAKE2B), 64);
	assert_int_equal(wf_hash_block_len(WF_HASH_SHA256), 64);
	assert_int_equal(wf_hash_block_len(WF_HASH_BLAKE2S), 64);
	assert_int_equal(wf_hash_block_len(WF_HASH_SHA512), 128);
	assert_int_equal(wf_hash_block_len(WF_HASH_BLAKE2B), 128);
}

static void test_hmac_rfc4231(void **state)
{
	/* RFC 4231 test cases 1-4 (SHA-256): cases 71-74; 1-2 with SHA-512: 75, 76 */
	static const struct {
		enum wf_hash h;
		const char *key, *data, *mac;
	} v[] = {
	    {WF_HASH_SHA256, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
	     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
	    {WF_HASH_SHA256, "4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
	     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
	    {WF_HASH_SHA256, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	     "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
	     "dddddddddddddddddddd",
	     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
	    {WF_HASH_SHA256, "0102030405060708090a0b0c0d0e0f10111213141516171819",
	     "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
	     "cdcdcdcdcdcdcdcdcdcd",
	     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
	    {WF_HASH_SHA512, "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
	     "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
	     "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"},
	    {WF_HASH_SHA512, "4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
	     "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
	     "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
	};
	uint8_t key[64], data[64], out[64];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t kl = unhex(key, sizeof(key), v[i].key);
		size_t dl = unhex(data, sizeof(data), v[i].data);

		assert_true(wf_hmac(v[i].h, out, key, kl, data, dl));
		expect_hex(71 + (int)i, out, wf_hash_len(v[i].h), v[i].mac);
	}
}

/* RFC 5869 HKDF through OpenSSL's own EVP_PKEY HKDF: the reference. */
static bool evp_hkdf(const EVP_MD *md, const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
		     size_t ikm_len, const uint8_t *info, size_t info_len, uint8_t *out,
		     size_t out_len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	bool ok = ctx && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_CTX_set_hkdf_md(ctx, md) == 1 &&
		  EVP_PKEY_CTX_set1_hkdf_salt(ctx, salt, (int)salt_len) == 1 &&
		  EVP_PKEY_CTX_set1_hkdf_key(ctx, ikm, (int)ikm_len) == 1 &&
		  (!info_len || EVP_PKEY_CTX_add1_hkdf_info(ctx, info, (int)info_len) == 1) &&
		  EVP_PKEY_derive(ctx, out, &out_len) == 1;

	EVP_PKEY_CTX_free(ctx);
	return ok;
}

static void test_hkdf(void **state)
{
	static const struct {
		enum wf_hash h;
		const char *name;
	} hashes[] = {{WF_HASH_SHA256, "SHA256"},
		      {WF_HASH_SHA512, "SHA512"},
		      {WF_HASH_BLAKE2S, "BLAKE2S-256"},
		      {WF_HASH_BLAKE2B, "BLAKE2B-512"}};
	uint8_t salt[13], ikm[100], info[10], ck[64], o1[64], o2[64], o3[64], all[192], ref[192];

	(void)state;
	/* 80: RFC 5869 test case 1 (13-byte salt, info, L = 42) anchors the reference */
	unhex(salt, sizeof(salt), "000102030405060708090a0b0c");
	memset(ikm, 0x0b, 22);
	unhex(info, sizeof(info), "f0f1f2f3f4f5f6f7f8f9");
	assert_true(evp_hkdf(EVP_sha256(), salt, 13, ikm, 22, info, 10, ref, 42));
	expect_hex(80, ref, 42,
		   "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
		   "34007208d5b887185865");
	/* 81: RFC 5869 test case 3: empty salt means HashLen zero bytes and the
	 * info is empty: exactly Noise's HKDF with an all-zero chaining key. */
	memset(ck, 0, 32);
	assert_true(wf_hkdf(WF_HASH_SHA256, ck, ikm, 22, o1, o2, NULL));
	memcpy(all, o1, 32);
	memcpy(all + 32, o2, 32);
	expect_hex(81, all, 42,
		   "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
		   "9d201395faa4b61a96c8");
	/* 82: wf_hkdf's T(1), T(2), T(3) against the reference with a chaining
	 * key of HASHLEN bytes as salt and empty info, every hash */
	for (size_t hi = 0; hi < 4; hi++) {
		size_t hl = wf_hash_len(hashes[hi].h);
		const EVP_MD *md = EVP_get_digestbyname(hashes[hi].name);

		assert_non_null(md);
		for (size_t il = 0; il <= 100; il += 25) {
			fill(ck, hl, (uint32_t)(100 + hi));
			fill(ikm, il, (uint32_t)(200 + il));
			assert_true(wf_hkdf(hashes[hi].h, ck, ikm, il, o1, o2, o3));
			assert_true(evp_hkdf(md, ck, hl, ikm, il, NULL, 0, ref, 3 * hl));
			memcpy(all, o1, hl);
			memcpy(all + hl, o2, hl);
			memcpy(all + 2 * hl, o3, hl);
			expect_mem(82, all, ref, 3 * hl);
			/* two outputs are the first two of three */
			assert_true(wf_hkdf(hashes[hi].h, ck, ikm, il, o1, o2, NULL));
			expect_mem(82, o1, ref, hl);
			expect_mem(82, o2, ref + hl, hl);
		}
	}
}

/* 83-85: wf_hkdf_sha256, the RFC 5869 HKDF the ESP keys use (core/esp.c) */
static void test_hkdf_sha256(void **state)
{
	uint8_t salt[13], ikm[22], info[10], out[64];

	(void)state;
	/* 83: RFC 5869 test case 1 */
	unhex(salt, sizeof(salt), "000102030405060708090a0b0c");
	memset(ikm, 0x0b, sizeof(ikm));
	unhex(info, sizeof(info), "f0f1f2f3f4f5f6f7f8f9");
	assert_true(wf_hkdf_sha256(out, 42, salt, 13, ikm, 22, info, 10));
	expect_hex(83, out, 42,
		   "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
		   "34007208d5b887185865");
	/* 84: RFC 5869 test case 3: no salt, no info */
	assert_true(wf_hkdf_sha256(out, 42, NULL, 0, ikm, 22, NULL, 0));
	expect_hex(84, out, 42,
		   "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
		   "9d201395faa4b61a96c8");
	/* 85: a shorter output is a prefix of a longer one; too long fails */
	assert_true(wf_hkdf_sha256(out, 36, salt, 13, ikm, 22, info, 10));
	expect_hex(85, out, 36,
		   "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
		   "34007208");
	assert_false(wf_hkdf_sha256(out, 255 * 32 + 1, salt, 13, ikm, 22, info, 10));
}

/* --- random, compare, wipe --------------------------------------------------------- */

static void test_util(void **state)
{
	static const uint8_t zero[32];
	uint8_t a[32], b[32];

	(void)state;
	assert_true(wf_random(a, sizeof(a)));
	assert_true(wf_random(b, sizeof(b)));
	assert_memory_not_equal(a, zero, 32);
	assert_memory_not_equal(a, b, 32);
	assert_true(wf_random(a, 0));
	assert_true(wf_random_u32() != wf_random_u32() || wf_random_u32() != wf_random_u32());

	memcpy(b, a, 32);
	assert_true(wf_memeq(a, b, 32));
	assert_true(wf_memeq(a, b, 0));
	b[0] ^= 1;
	assert_false(wf_memeq(a, b, 32));
	b[0] ^= 1;
	b[31] ^= 0x80;
	assert_false(wf_memeq(a, b, 32));
	assert_true(wf_memeq(a, b, 31));

	wf_wipe(a, sizeof(a));
	assert_memory_equal(a, zero, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_x25519_rfc7748),
	    cmocka_unit_test(test_x25519_dh),
	    cmocka_unit_test(test_x25519_low_order),
	    cmocka_unit_test(test_ed25519_rfc8032),
	    cmocka_unit_test(test_ed25519_keygen),
	    cmocka_unit_test(test_aes_gcm_kat),
	    cmocka_unit_test(test_chacha_kat),
	    cmocka_unit_test(test_aead_cross),
	    cmocka_unit_test(test_aead_lengths),
	    cmocka_unit_test(test_aead_tamper),
	    cmocka_unit_test(test_aead_rekey),
	    cmocka_unit_test(test_aead_names),
	    cmocka_unit_test(test_hashes),
	    cmocka_unit_test(test_aead_dir),
	    cmocka_unit_test(test_hmac_rfc4231),
	    cmocka_unit_test(test_hkdf),
	    cmocka_unit_test(test_hkdf_sha256),
	    cmocka_unit_test(test_util),
	};

	wf_crypto_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
