/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/core/noise.c: IX round trips with generated keys for
 * both ciphers, and the ways a handshake must fail (tampered, truncated or
 * out-of-turn messages, small buffers, bad names, low-order keys); the
 * ephemeral key as an input (the same keys give the same messages). The
 * known-answer side is tests/tools/noise_vectors.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/noise.h"

static const char *const ix_names[] = {
	"Noise_IX_25519_AESGCM_SHA256",
	"Noise_IX_25519_ChaChaPoly_SHA256",
};

static const uint8_t prologue[] = "weft test prologue";
static const uint8_t payload1[] = "initiator certificate";
static const uint8_t payload2[] = "responder certificate, a little longer";

/* An initiator and a responder with fresh static and ephemeral keys, plus
 * the messages. */
struct pair {
	struct wf_noise_protocol proto;
	struct wf_noise_handshake ini, resp;
	uint8_t si[WF_KEY_LEN], si_pub[WF_KEY_LEN];
	uint8_t sr[WF_KEY_LEN], sr_pub[WF_KEY_LEN];
	uint8_t ei[WF_KEY_LEN], er[WF_KEY_LEN];
	uint8_t msg1[256], msg2[256];
	size_t msg1_len, msg2_len;
	uint8_t buf[256];
	size_t len;
};

/* Both sides' states from the keys already in p. */
static void pair_start(struct pair *p)
{
	assert_true(wf_noise_handshake_init(&p->ini, &p->proto, true, prologue, sizeof(prologue),
					    p->si, p->ei, NULL, NULL));
	assert_true(wf_noise_handshake_init(&p->resp, &p->proto, false, prologue,
					    sizeof(prologue), p->sr, p->er, NULL, NULL));
}

static void pair_init(struct pair *p, const char *name)
{
	memset(p, 0, sizeof(*p));
	assert_true(wf_noise_protocol_parse(&p->proto, name));
	assert_true(wf_x25519_keygen(p->si, p->si_pub));
	assert_true(wf_x25519_keygen(p->sr, p->sr_pub));
	assert_true(wf_random(p->ei, sizeof(p->ei)));
	assert_true(wf_random(p->er, sizeof(p->er)));
	pair_start(p);
}

static void pair_clear(struct pair *p)
{
	wf_noise_handshake_clear(&p->ini);
	wf_noise_handshake_clear(&p->resp);
}

static void write1(struct pair *p)
{
	assert_true(wf_noise_write_message(&p->ini, payload1, sizeof(payload1), p->msg1,
					   sizeof(p->msg1), &p->msg1_len));
	assert_int_equal(p->msg1_len, 32 + 32 + sizeof(payload1));
}

static bool read1(struct pair *p, const uint8_t *msg, size_t len)
{
	return wf_noise_read_message(&p->resp, msg, len, p->buf, sizeof(p->buf), &p->len);
}

static void write2(struct pair *p)
{
	assert_true(wf_noise_write_message(&p->resp, payload2, sizeof(payload2), p->msg2,
					   sizeof(p->msg2), &p->msg2_len));
	assert_int_equal(p->msg2_len, 32 + 48 + sizeof(payload2) + 16);
}

static bool read2(struct pair *p, const uint8_t *msg, size_t len)
{
	return wf_noise_read_message(&p->ini, msg, len, p->buf, sizeof(p->buf), &p->len);
}

/* Runs the whole IX handshake with real messages. */
static void handshake(struct pair *p)
{
	write1(p);
	assert_true(read1(p, p->msg1, p->msg1_len));
	write2(p);
	assert_true(read2(p, p->msg2, p->msg2_len));
}

static void ix_round_trip(const char *name)
{
	uint8_t c[2][2][WF_KEY_LEN], h[2][WF_HASH_MAX_LEN];
	uint8_t data[64 + WF_AEAD_TAG_LEN], copy[sizeof(data)];
	struct wf_noise_cipher tx, rx, back_tx, back_rx;
	struct pair p;

	pair_init(&p, name);
	write1(&p);
	assert_false(wf_noise_handshake_done(&p.ini));
	assert_true(read1(&p, p.msg1, p.msg1_len));
	assert_int_equal(p.len, sizeof(payload1));
	assert_memory_equal(p.buf, payload1, sizeof(payload1));
	/* The responder knows who is calling before it answers. */
	assert_memory_equal(wf_noise_remote_static(&p.resp), p.si_pub, WF_KEY_LEN);
	write2(&p);
	assert_true(wf_noise_handshake_done(&p.resp));
	assert_true(read2(&p, p.msg2, p.msg2_len));
	assert_int_equal(p.len, sizeof(payload2));
	assert_memory_equal(p.buf, payload2, sizeof(payload2));
	assert_true(wf_noise_handshake_done(&p.ini));

	assert_true(wf_noise_split(&p.ini, c[0][0], c[0][1], h[0]));
	assert_true(wf_noise_split(&p.resp, c[1][0], c[1][1], h[1]));
	assert_memory_equal(c[0], c[1], sizeof(c[0]));
	assert_memory_not_equal(c[0][0], c[0][1], WF_KEY_LEN);
	assert_memory_equal(h[0], h[1], WF_SHA256_LEN);
	/* Split leaves the peer's static key readable, and no secret. */
	assert_memory_equal(wf_noise_remote_static(&p.ini), p.sr_pub, WF_KEY_LEN);
	assert_null(p.ini.ss.cs.aead);
	assert_false(wf_noise_handshake_done(&p.ini));

	assert_true(wf_noise_cipher_init(&tx, p.proto.cipher, c[0][0]));
	assert_true(wf_noise_cipher_init(&rx, p.proto.cipher, c[1][0]));
	assert_true(wf_noise_cipher_init(&back_tx, p.proto.cipher, c[1][1]));
	assert_true(wf_noise_cipher_init(&back_rx, p.proto.cipher, c[0][1]));
	for (int i = 0; i < 3; i++) {
		memset(data, 'a' + i, 64);
		assert_true(wf_noise_cipher_encrypt(&tx, NULL, 0, data, 64));
		assert_true(wf_noise_cipher_decrypt(&rx, NULL, 0, data, sizeof(data)));
		assert_int_equal(data[63], 'a' + i);
		assert_true(wf_noise_cipher_encrypt(&back_tx, NULL, 0, data, 64));
		/* The other direction's key does not open it (and trashes a copy). */
		memcpy(copy, data, sizeof(data));
		assert_false(wf_noise_cipher_decrypt(&rx, NULL, 0, copy, sizeof(copy)));
		assert_true(wf_noise_cipher_decrypt(&back_rx, NULL, 0, data, sizeof(data)));
	}
	wf_noise_cipher_clear(&tx);
	wf_noise_cipher_clear(&rx);
	wf_noise_cipher_clear(&back_tx);
	wf_noise_cipher_clear(&back_rx);
	pair_clear(&p);
}

static void test_ix_round_trip_aesgcm(void **state)
{
	ix_round_trip(ix_names[0]);
}

static void test_ix_round_trip_chachapoly(void **state)
{
	ix_round_trip(ix_names[1]);
}

/* A bit flipped anywhere in message 1 stops the handshake: message 1 is in
 * the clear, so the responder cannot see it, but the hash it mixes in
 * differs from the initiator's and message 2 no longer authenticates. */
static void test_flipped_bit_msg1(void **state)
{
	for (int n = 0; n < 2; n++) {
		struct pair ref;

		pair_init(&ref, ix_names[n]);
		write1(&ref);
		for (size_t i = 0; i < ref.msg1_len; i++) {
			struct pair p = ref;
			uint8_t bad[sizeof(p.msg1)];
			bool ok;

			/* p shares ref's AEAD contexts only if it had any: not yet. */
			assert_null(p.ini.ss.cs.aead);
			memcpy(bad, ref.msg1, ref.msg1_len);
			bad[i] ^= (uint8_t)(1 << (i % 8));
			ok = read1(&p, bad, ref.msg1_len) &&
			     wf_noise_write_message(&p.resp, payload2, sizeof(payload2), p.msg2,
						    sizeof(p.msg2), &p.msg2_len) &&
			     read2(&p, p.msg2, p.msg2_len);
			assert_false(ok);
			pair_clear(&p);
		}
		pair_clear(&ref);
	}
}

/* A bit flipped anywhere in message 2 is rejected when it is read. */
static void test_flipped_bit_msg2(void **state)
{
	for (int n = 0; n < 2; n++) {
		struct pair p;
		uint8_t bad[sizeof(p.msg2)];

		pair_init(&p, ix_names[n]);
		write1(&p);
		assert_true(read1(&p, p.msg1, p.msg1_len));
		write2(&p);
		for (size_t i = 0; i < p.msg2_len; i++) {
			struct wf_noise_handshake ini;

			/* Re-run the initiator to the same point for each try. */
			ini = p.ini;
			assert_null(ini.ss.cs.aead);
			memcpy(bad, p.msg2, p.msg2_len);
			bad[i] ^= (uint8_t)(0x80 >> (i % 8));
			assert_false(wf_noise_read_message(&ini, bad, p.msg2_len, p.buf,
							   sizeof(p.buf), &p.len));
			assert_false(ini.alive);
		}
		assert_true(read2(&p, p.msg2, p.msg2_len));
		pair_clear(&p);
	}
}

static void test_truncated(void **state)
{
	struct wf_noise_handshake hs;
	struct pair p;

	pair_init(&p, ix_names[0]);
	write1(&p);
	/* Shorter than e and s: refused outright. Copies of a state without AEAD
	 * contexts (none before the first DH) are independent. */
	for (size_t len = 0; len < 64; len++) {
		hs = p.resp;
		assert_false(wf_noise_read_message(&hs, p.msg1, len, p.buf, sizeof(p.buf), &p.len));
		assert_false(hs.alive);
	}
	assert_true(read1(&p, p.msg1, p.msg1_len));
	write2(&p);
	for (size_t len = 0; len < p.msg2_len; len++) {
		hs = p.ini;
		assert_false(wf_noise_read_message(&hs, p.msg2, len, p.buf, sizeof(p.buf), &p.len));
		assert_false(hs.alive);
	}
	/* One byte too many is a different payload ciphertext: refused too. */
	hs = p.ini;
	p.msg2[p.msg2_len] = 0;
	assert_false(wf_noise_read_message(&hs, p.msg2, p.msg2_len + 1, p.buf, sizeof(p.buf),
					   &p.len));
	assert_true(read2(&p, p.msg2, p.msg2_len));
	pair_clear(&p);
}

static void test_out_of_turn(void **state)
{
	struct pair p;
	uint8_t out[256] = {0};
	size_t len;

	/* The responder cannot write first, the initiator cannot read first. */
	pair_init(&p, ix_names[1]);
	assert_false(wf_noise_write_message(&p.resp, NULL, 0, out, sizeof(out), &len));
	assert_false(p.resp.alive);
	assert_false(read2(&p, out, 200));
	pair_clear(&p);

	/* Two writes in a row, then any use after the handshake is over. */
	pair_init(&p, ix_names[1]);
	write1(&p);
	assert_false(wf_noise_write_message(&p.ini, NULL, 0, out, sizeof(out), &len));
	pair_clear(&p);
	pair_init(&p, ix_names[1]);
	handshake(&p);
	assert_false(wf_noise_write_message(&p.ini, NULL, 0, out, sizeof(out), &len));
	assert_false(wf_noise_read_message(&p.resp, p.msg2, p.msg2_len, out, sizeof(out), &len));
	pair_clear(&p);

	/* A zeroed state is not a handshake. */
	memset(&p.ini, 0, sizeof(p.ini));
	assert_false(wf_noise_write_message(&p.ini, NULL, 0, out, sizeof(out), &len));
}

static void test_split_early(void **state)
{
	uint8_t c1[WF_KEY_LEN], c2[WF_KEY_LEN];
	struct pair p;

	pair_init(&p, ix_names[0]);
	write1(&p);
	assert_false(wf_noise_split(&p.ini, c1, c2, NULL));
	assert_false(p.ini.alive);
	pair_clear(&p);
}

static void test_small_buffers(void **state)
{
	struct pair p;
	uint8_t out[256];
	size_t need = 64 + sizeof(payload1), len;

	pair_init(&p, ix_names[0]);
	assert_false(wf_noise_write_message(&p.ini, payload1, sizeof(payload1), out, need - 1,
					    &len));
	assert_false(p.ini.alive);
	pair_clear(&p);

	pair_init(&p, ix_names[0]);
	assert_true(wf_noise_write_message(&p.ini, payload1, sizeof(payload1), out, need, &len));
	assert_int_equal(len, need);
	assert_true(read1(&p, out, len));
	write2(&p);
	/* The reader needs room for the payload and its tag. */
	assert_false(wf_noise_read_message(&p.ini, p.msg2, p.msg2_len, out, sizeof(payload2) + 15,
					   &len));
	pair_clear(&p);
}

/* Payloads up to the 65535-byte message limit, and not one byte more. */
static void test_max_message(void **state)
{
	static uint8_t big[WF_NOISE_MAX_MSG + 1], out[WF_NOISE_MAX_MSG + 1];
	size_t max_payload = WF_NOISE_MAX_MSG - 64, len;
	struct pair p;

	pair_init(&p, ix_names[1]);
	assert_false(wf_noise_write_message(&p.ini, big, max_payload + 1, out, sizeof(out), &len));
	pair_clear(&p);
	pair_init(&p, ix_names[1]);
	assert_true(wf_noise_write_message(&p.ini, big, max_payload, out, sizeof(out), &len));
	assert_int_equal(len, WF_NOISE_MAX_MSG);
	assert_true(wf_noise_read_message(&p.resp, out, len, big, sizeof(big), &len));
	assert_int_equal(len, max_payload);
	pair_clear(&p);
}

static void test_protocol_names(void **state)
{
	static const struct {
		const char *name;
		bool ok;
	} cases[] = {
		/* 0 */ {"Noise_IX_25519_AESGCM_SHA256", true},
		/* 1 */ {"Noise_IX_25519_ChaChaPoly_SHA256", true},
		/* 2 */ {"Noise_XX_25519_ChaChaPoly_BLAKE2b", true},
		/* 3 */ {"Noise_N_25519_AESGCM_SHA512", true},
		/* 4 */ {"Noise_I1X1_25519_AESGCM_BLAKE2s", true},
		/* 5 */ {"Noise_IXpsk2_25519_AESGCM_SHA256", false},
		/* 6 */ {"Noise_NNpsk0_25519_ChaChaPoly_SHA256", false},
		/* 7 */ {"Noise_IX_448_AESGCM_SHA256", false},
		/* 8 */ {"Noise_IX_25519_AESGCM_SHA3", false},
		/* 9 */ {"Noise_IX_25519_AESGCM", false},
		/* 10 */ {"Noise_IX_25519_AESGCM_SHA256_", false},
		/* 11 */ {"Noise_IX_25519_AESGCM_SHA256_X", false},
		/* 12 */ {"noise_IX_25519_AESGCM_SHA256", false},
		/* 13 */ {"Noise__25519_AESGCM_SHA256", false},
		/* 14 */ {"", false},
		/* 15 */ {"Noise_ix_25519_AESGCM_SHA256", false},
		/* 16 */ {"Noise_IX_25519_AES256GCM_SHA256", false},
		/* 17 */ {"NoisePSK_IX_25519_AESGCM_SHA256", false},
		/* 18 */ {"Noise_IXfallback_25519_AESGCM_SHA256", false},
		/* 19 */ {"Noise_IX_25519_AESGCM_SHA256 ", false},
		/* 20 */ {"Noise_IX_25519_AESGCM_sha256", false},
		/* 21 */ {"Noise_IX_25519_AESGCM__SHA256", false},
		/* 22 */ {"Noise_IX_25519_ChaChaPoly_SHA256xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", false},
	};
	struct wf_noise_protocol p;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool ok = wf_noise_protocol_parse(&p, cases[i].name);
		if (ok != cases[i].ok)
			fail_msg("case %zu (%s): expected %s", i, cases[i].name,
				 cases[i].ok ? "accepted" : "refused");
		if (ok)
			assert_string_equal(p.name, cases[i].name);
	}
	assert_true(wf_noise_protocol_parse(&p, "Noise_IX_25519_ChaChaPoly_SHA256"));
	assert_int_equal(p.cipher, WF_CIPHER_CHACHAPOLY);
	assert_int_equal(p.hash, WF_HASH_SHA256);
	assert_false(wf_noise_protocol_one_way(&p));
	assert_true(wf_noise_protocol_parse(&p, "Noise_X_25519_AESGCM_BLAKE2b"));
	assert_int_equal(p.cipher, WF_CIPHER_AES256GCM);
	assert_int_equal(p.hash, WF_HASH_BLAKE2B);
	assert_true(wf_noise_protocol_one_way(&p));
}

/* Init wants exactly the keys the pattern needs. */
static void test_init_keys(void **state)
{
	struct wf_noise_protocol ix, ik, nn, n;
	struct wf_noise_handshake hs;
	uint8_t k[WF_KEY_LEN] = {1}, e[WF_KEY_LEN] = {2}, pub[WF_KEY_LEN];

	assert_true(wf_x25519_public(pub, k));
	assert_true(wf_noise_protocol_parse(&ix, ix_names[0]));
	assert_true(wf_noise_protocol_parse(&ik, "Noise_IK_25519_AESGCM_SHA256"));
	assert_true(wf_noise_protocol_parse(&nn, "Noise_NN_25519_AESGCM_SHA256"));
	assert_true(wf_noise_protocol_parse(&n, "Noise_N_25519_AESGCM_SHA256"));
	assert_false(wf_noise_handshake_init(&hs, &ix, true, NULL, 0, NULL, e, NULL, NULL));
	assert_false(wf_noise_handshake_init(&hs, &ix, true, NULL, 0, k, e, pub, NULL));
	assert_false(wf_noise_handshake_init(&hs, &ik, true, NULL, 0, k, e, NULL, NULL));
	assert_false(wf_noise_handshake_init(&hs, &ik, false, NULL, 0, k, e, pub, NULL));
	assert_false(wf_noise_handshake_init(&hs, &nn, true, NULL, 0, k, e, NULL, NULL));
	assert_true(wf_noise_handshake_init(&hs, &ik, true, NULL, 0, k, e, pub, NULL));
	wf_noise_handshake_clear(&hs);
	assert_true(wf_noise_handshake_init(&hs, &nn, false, NULL, 0, NULL, e, NULL, NULL));
	wf_noise_handshake_clear(&hs);
	/* 23: no ephemeral where this side sends one: refused, not made up */
	assert_false(wf_noise_handshake_init(&hs, &ix, true, NULL, 0, k, NULL, NULL, NULL));
	assert_false(wf_noise_handshake_init(&hs, &ix, false, NULL, 0, k, NULL, NULL, NULL));
	assert_false(wf_noise_handshake_init(&hs, &nn, false, NULL, 0, NULL, NULL, NULL, NULL));
	assert_false(wf_noise_handshake_init(&hs, &n, true, NULL, 0, NULL, NULL, pub, NULL));
	/* 24: one where it sends none (the responder of a one-way pattern):
	 * refused too; without, accepted */
	assert_false(wf_noise_handshake_init(&hs, &n, false, NULL, 0, k, e, NULL, NULL));
	assert_true(wf_noise_handshake_init(&hs, &n, false, NULL, 0, k, NULL, NULL, NULL));
	wf_noise_handshake_clear(&hs);
}

/* Runs a whole IX handshake of p (made by pair_init or pair_start) and keeps
 * its messages and the initiator's transport keys and hash in out. */
struct transcript {
	uint8_t msg1[256], msg2[256], c[2][WF_KEY_LEN], h[WF_HASH_MAX_LEN];
	size_t msg1_len, msg2_len;
};

static void run_ix(struct pair *p, struct transcript *t)
{
	memset(t, 0, sizeof(*t));
	handshake(p);
	memcpy(t->msg1, p->msg1, p->msg1_len);
	memcpy(t->msg2, p->msg2, p->msg2_len);
	t->msg1_len = p->msg1_len;
	t->msg2_len = p->msg2_len;
	assert_true(wf_noise_split(&p->ini, t->c[0], t->c[1], t->h));
	pair_clear(p);
}

/* 25-27: the ephemeral key is an input: the same keys give the same
 * messages, byte for byte, and another ephemeral other ones. */
static void test_ephemeral_input(void **state)
{
	for (int n = 0; n < 2; n++) {
		struct transcript t[3];
		struct pair p;

		pair_init(&p, ix_names[n]);
		run_ix(&p, &t[0]);
		/* 25: again with the same keys: identical messages and keys */
		pair_start(&p);
		run_ix(&p, &t[1]);
		assert_int_equal(t[0].msg1_len, t[1].msg1_len);
		assert_int_equal(t[0].msg2_len, t[1].msg2_len);
		assert_memory_equal(&t[0], &t[1], sizeof(t[0]));
		/* 26: another initiator ephemeral: another message 1 (its e), and
		 * so another message 2 and other keys */
		p.ei[0] ^= 0x40;
		pair_start(&p);
		run_ix(&p, &t[2]);
		assert_memory_not_equal(t[0].msg1, t[2].msg1, WF_KEY_LEN);
		assert_memory_equal(t[0].msg1 + WF_KEY_LEN, t[2].msg1 + WF_KEY_LEN,
				    t[0].msg1_len - WF_KEY_LEN);
		assert_memory_not_equal(t[0].msg2, t[2].msg2, t[0].msg2_len);
		assert_memory_not_equal(t[0].c, t[2].c, sizeof(t[0].c));
		/* 27: another responder ephemeral: the same message 1, another
		 * message 2 throughout (its e, then every ciphertext) */
		p.ei[0] ^= 0x40;
		p.er[31] ^= 0x01;
		pair_start(&p);
		run_ix(&p, &t[2]);
		assert_memory_equal(t[0].msg1, t[2].msg1, t[0].msg1_len);
		assert_memory_not_equal(t[0].msg2, t[2].msg2, WF_KEY_LEN);
		assert_memory_not_equal(t[0].msg2 + WF_KEY_LEN, t[2].msg2 + WF_KEY_LEN,
					t[0].msg2_len - WF_KEY_LEN);
		assert_memory_not_equal(t[0].c, t[2].c, sizeof(t[0].c));
	}
}

/* 28-29: the e a message carries is the public key of the e_priv given. */
static void test_ephemeral_public(void **state)
{
	struct pair p;

	/* 28: as OpenSSL's key generation derives it */
	pair_init(&p, ix_names[0]);
	pair_clear(&p);
	for (int i = 0; i < 4; i++) {
		uint8_t pub[WF_KEY_LEN];

		assert_true(wf_x25519_keygen(p.ei, pub));
		pair_start(&p);
		write1(&p);
		if (memcmp(p.msg1, pub, WF_KEY_LEN))
			fail_msg("case 28, key %d: e is not the keygen's public key", i);
		pair_clear(&p);
	}
	/* 29: RFC 7748 section 6.1, Alice's and Bob's keys as both ephemerals */
	{
		static const uint8_t alice[WF_KEY_LEN] = {
		    0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d, 0x3c, 0x16, 0xc1,
		    0x72, 0x51, 0xb2, 0x66, 0x45, 0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0,
		    0x99, 0x2a, 0xb1, 0x77, 0xfb, 0xa5, 0x1d, 0xb9, 0x2c, 0x2a};
		static const uint8_t alice_pub[WF_KEY_LEN] = {
		    0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54, 0x74, 0x8b, 0x7d,
		    0xdc, 0xb4, 0x3e, 0xf7, 0x5a, 0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38,
		    0x1a, 0xf4, 0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b, 0x4e, 0x6a};
		static const uint8_t bob[WF_KEY_LEN] = {
		    0x5d, 0xab, 0x08, 0x7e, 0x62, 0x4a, 0x8a, 0x4b, 0x79, 0xe1, 0x7f,
		    0x8b, 0x83, 0x80, 0x0e, 0xe6, 0x6f, 0x3b, 0xb1, 0x29, 0x26, 0x18,
		    0xb6, 0xfd, 0x1c, 0x2f, 0x8b, 0x27, 0xff, 0x88, 0xe0, 0xeb};
		static const uint8_t bob_pub[WF_KEY_LEN] = {
		    0xde, 0x9e, 0xdb, 0x7d, 0x7b, 0x7d, 0xc1, 0xb4, 0xd3, 0x5b, 0x61,
		    0xc2, 0xec, 0xe4, 0x35, 0x37, 0x3f, 0x83, 0x43, 0xc8, 0x5b, 0x78,
		    0x67, 0x4d, 0xad, 0xfc, 0x7e, 0x14, 0x6f, 0x88, 0x2b, 0x4f};

		memcpy(p.ei, alice, WF_KEY_LEN);
		memcpy(p.er, bob, WF_KEY_LEN);
		pair_start(&p);
		handshake(&p);
		assert_memory_equal(p.msg1, alice_pub, WF_KEY_LEN);
		assert_memory_equal(p.msg2, bob_pub, WF_KEY_LEN);
		pair_clear(&p);
	}
}

/* u = 0 and u = 1 are low-order points: every DH with them gives zero. */
static void test_low_order_keys(void **state)
{
	static const uint8_t low[2][WF_KEY_LEN] = {{0}, {1}};

	for (int n = 0; n < 2; n++) {
		struct pair p;
		uint8_t bad[sizeof(p.msg2)];

		/* As the initiator's ephemeral: the responder's ee fails. */
		pair_init(&p, ix_names[n]);
		write1(&p);
		memcpy(p.msg1, low[n], WF_KEY_LEN);
		assert_true(read1(&p, p.msg1, p.msg1_len));
		assert_false(wf_noise_write_message(&p.resp, NULL, 0, p.msg2, sizeof(p.msg2),
						    &p.msg2_len));
		assert_false(p.resp.alive);
		pair_clear(&p);

		/* As the responder's ephemeral: the initiator's ee fails. */
		pair_init(&p, ix_names[n]);
		write1(&p);
		assert_true(read1(&p, p.msg1, p.msg1_len));
		write2(&p);
		memcpy(bad, p.msg2, p.msg2_len);
		memcpy(bad, low[n], WF_KEY_LEN);
		assert_false(read2(&p, bad, p.msg2_len));
		pair_clear(&p);
	}
}

/* A pre-known static key of low order (IK) fails at the first DH. */
static void test_low_order_prekey(void **state)
{
	static const uint8_t zero[WF_KEY_LEN];
	struct wf_noise_protocol ik;
	struct wf_noise_handshake hs;
	uint8_t k[WF_KEY_LEN] = {7}, out[256];
	size_t len;

	assert_true(wf_noise_protocol_parse(&ik, "Noise_IK_25519_ChaChaPoly_SHA256"));
	assert_true(wf_noise_handshake_init(&hs, &ik, true, NULL, 0, k, k, zero, NULL));
	assert_false(wf_noise_write_message(&hs, NULL, 0, out, sizeof(out), &len));
	wf_noise_handshake_clear(&hs);
}

static void test_cipher_nonce_limit(void **state)
{
	uint8_t key[WF_KEY_LEN] = {3}, buf[8 + WF_AEAD_TAG_LEN] = {0};
	struct wf_noise_cipher cs, none = {0};

	assert_false(wf_noise_cipher_encrypt(&none, NULL, 0, buf, 8));
	assert_true(wf_noise_cipher_init(&cs, WF_CIPHER_CHACHAPOLY, key));
	cs.n = UINT64_MAX - 1;
	assert_true(wf_noise_cipher_encrypt(&cs, NULL, 0, buf, 8));
	assert_false(wf_noise_cipher_encrypt(&cs, NULL, 0, buf, 8));
	/* A failed decrypt does not use up the nonce. */
	cs.n = 5;
	assert_false(wf_noise_cipher_decrypt(&cs, NULL, 0, buf, sizeof(buf)));
	assert_int_equal(cs.n, 5);
	wf_noise_cipher_clear(&cs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ix_round_trip_aesgcm),
		cmocka_unit_test(test_ix_round_trip_chachapoly),
		cmocka_unit_test(test_flipped_bit_msg1),
		cmocka_unit_test(test_flipped_bit_msg2),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_out_of_turn),
		cmocka_unit_test(test_split_early),
		cmocka_unit_test(test_small_buffers),
		cmocka_unit_test(test_max_message),
		cmocka_unit_test(test_protocol_names),
		cmocka_unit_test(test_init_keys),
		cmocka_unit_test(test_ephemeral_input),
		cmocka_unit_test(test_ephemeral_public),
		cmocka_unit_test(test_low_order_keys),
		cmocka_unit_test(test_low_order_prekey),
		cmocka_unit_test(test_cipher_nonce_limit),
	};

	wf_crypto_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
