/* SPDX-License-Identifier: MIT */
/*
 * Thin wrappers over OpenSSL libcrypto 3. These are the only files in weft
 * that include OpenSSL headers; everything else sees fixed-size byte arrays.
 *
 * Crypto and validation helpers return bool and must be checked.
 */
#ifndef WEFT_CRYPTO_H
#define WEFT_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WF_MUST_CHECK __attribute__((warn_unused_result))

enum {
	WF_KEY_LEN = 32,       /* X25519 / Ed25519 keys, AEAD keys */
	WF_SIG_LEN = 64,       /* Ed25519 signatures */
	WF_AEAD_TAG_LEN = 16,  /* AES-GCM and ChaCha20-Poly1305 tags */
	WF_AEAD_NONCE_LEN = 12,
	WF_SHA256_LEN = 32,
	WF_HASH_MAX_LEN = 64,  /* largest hash we can be asked for (SHA-512, BLAKE2b) */
	WF_HASH_BLOCK_MAX = 128,
};

enum wf_cipher {
	WF_CIPHER_NONE = 0,
	WF_CIPHER_AES256GCM = 1,
	WF_CIPHER_CHACHAPOLY = 2,
};

enum wf_hash {
	WF_HASH_SHA256 = 1,
	WF_HASH_SHA512 = 2,
	WF_HASH_BLAKE2S = 3,
	WF_HASH_BLAKE2B = 4,
};

/* Called once per process before any other wf_ crypto function. */
void wf_crypto_init(void);

/* --- AEAD --------------------------------------------------------------
 * One struct wf_aead holds a key and one OpenSSL context per direction it
 * is made for, set up once; sealing and opening only change the nonce. The nonce is built from
 * a 64-bit counter the way the Noise spec says for each cipher: 4 zero bytes
 * then the counter big-endian (AESGCM) or little-endian (ChaChaPoly).
 * A wf_aead is not thread-safe: use one per thread per key.
 */
struct wf_aead;

enum { WF_AEAD_SEAL = 1, WF_AEAD_OPEN = 2 };

/* A context for both directions (handshakes, cookies)... */
struct wf_aead *wf_aead_new(enum wf_cipher cipher, const uint8_t key[WF_KEY_LEN]);
/* ...or only for those in dirs (a session's keys: one seals, one opens);
 * the other direction then fails. */
struct wf_aead *wf_aead_new_dir(enum wf_cipher cipher, const uint8_t key[WF_KEY_LEN],
				unsigned dirs);
/* Replace the key of an existing context (cheaper than free + new). */
bool wf_aead_rekey(struct wf_aead *a, const uint8_t key[WF_KEY_LEN]) WF_MUST_CHECK;
void wf_aead_free(struct wf_aead *a);

/* Encrypt buf[0..len) in place and write the tag to buf[len..len+16). */
bool wf_aead_seal(struct wf_aead *a, uint64_t counter, const uint8_t *ad, size_t ad_len,
		  uint8_t *buf, size_t len) WF_MUST_CHECK;
/* Decrypt buf[0..len) in place, where the last 16 bytes are the tag. On
 * success the plaintext is buf[0..len-16). On failure buf is garbage. */
bool wf_aead_open(struct wf_aead *a, uint64_t counter, const uint8_t *ad, size_t ad_len,
		  uint8_t *buf, size_t len) WF_MUST_CHECK;

/* The same with an explicit 12-byte nonce, for messages that carry a random
 * one (cookie replies, whose key many senders share). */
bool wf_aead_seal_iv(struct wf_aead *a, const uint8_t iv[WF_AEAD_NONCE_LEN], const uint8_t *ad,
		     size_t ad_len, uint8_t *buf, size_t len) WF_MUST_CHECK;
bool wf_aead_open_iv(struct wf_aead *a, const uint8_t iv[WF_AEAD_NONCE_LEN], const uint8_t *ad,
		     size_t ad_len, uint8_t *buf, size_t len) WF_MUST_CHECK;

const char *wf_cipher_name(enum wf_cipher c);       /* "aes-256-gcm", ... */
enum wf_cipher wf_cipher_from_name(const char *s);  /* WF_CIPHER_NONE if unknown */

/* --- X25519 ------------------------------------------------------------ */
bool wf_x25519_keygen(uint8_t priv[WF_KEY_LEN], uint8_t pub[WF_KEY_LEN]) WF_MUST_CHECK;
bool wf_x25519_public(uint8_t pub[WF_KEY_LEN], const uint8_t priv[WF_KEY_LEN]) WF_MUST_CHECK;
/* Fails on an all-zero shared secret (a low-order point from the peer). */
bool wf_x25519(uint8_t out[WF_KEY_LEN], const uint8_t priv[WF_KEY_LEN],
	       const uint8_t pub[WF_KEY_LEN]) WF_MUST_CHECK;

/* --- Ed25519 ----------------------------------------------------------- */
bool wf_ed25519_keygen(uint8_t priv[WF_KEY_LEN], uint8_t pub[WF_KEY_LEN]) WF_MUST_CHECK;
bool wf_ed25519_public(uint8_t pub[WF_KEY_LEN], const uint8_t priv[WF_KEY_LEN]) WF_MUST_CHECK;
bool wf_ed25519_sign(uint8_t sig[WF_SIG_LEN], const uint8_t *msg, size_t len,
		     const uint8_t priv[WF_KEY_LEN]) WF_MUST_CHECK;
bool wf_ed25519_verify(const uint8_t sig[WF_SIG_LEN], const uint8_t *msg, size_t len,
		       const uint8_t pub[WF_KEY_LEN]) WF_MUST_CHECK;

/* --- Hashes, HMAC, HKDF -------------------------------------------------
 * wf_hash_len() is 32 or 64. wf_hash2() hashes the concatenation a || b,
 * which is all the Noise SymmetricState needs.
 */
size_t wf_hash_len(enum wf_hash h);
size_t wf_hash_block_len(enum wf_hash h);
bool wf_hash2(enum wf_hash h, uint8_t *out, const uint8_t *a, size_t alen, const uint8_t *b,
	      size_t blen) WF_MUST_CHECK;
bool wf_sha256(uint8_t out[WF_SHA256_LEN], const uint8_t *data, size_t len) WF_MUST_CHECK;
bool wf_hmac(enum wf_hash h, uint8_t *out, const uint8_t *key, size_t key_len,
	     const uint8_t *data, size_t len) WF_MUST_CHECK;
/* Noise's HKDF(chaining_key, ikm, n) for n = 2 or 3 outputs of wf_hash_len()
 * bytes each (out3 may be NULL for n = 2). Same as RFC 5869 with the chaining
 * key as salt and empty info. */
bool wf_hkdf(enum wf_hash h, const uint8_t *ck, const uint8_t *ikm, size_t ikm_len,
	     uint8_t *out1, uint8_t *out2, uint8_t *out3) WF_MUST_CHECK;

/* RFC 5869 HKDF with HMAC-SHA256: Extract(salt, ikm), then Expand with info
 * to out_len bytes (at most 255 * 32). An empty salt means 32 zero bytes. */
bool wf_hkdf_sha256(uint8_t *out, size_t out_len, const uint8_t *salt, size_t salt_len,
		    const uint8_t *ikm, size_t ikm_len, const uint8_t *info,
		    size_t info_len) WF_MUST_CHECK;

/* --- Randomness, comparison, wiping ---------------------------------- */
bool wf_random(void *buf, size_t len) WF_MUST_CHECK;
uint32_t wf_random_u32(void);
/* Constant-time; true if equal. */
bool wf_memeq(const void *a, const void *b, size_t len);
void wf_wipe(void *p, size_t len);

#endif
