/* SPDX-License-Identifier: MIT */
/*
 * The Noise Protocol Framework, revision 34: CipherState, SymmetricState and
 * HandshakeState, DH 25519, ciphers AESGCM and ChaChaPoly, hashes SHA256
 * (weft's), SHA512, BLAKE2s and BLAKE2b (for the published vectors).
 *
 * Pure: no I/O, no clocks, no randomness (the caller draws the ephemeral
 * key), no allocation but the AEAD contexts. weft itself uses
 * Noise_IX_25519_{AESGCM,ChaChaPoly}_SHA256; other interactive patterns from
 * section 7.4 are implemented for the vector tests.
 */
#ifndef WEFT_NOISE_H
#define WEFT_NOISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"

enum {
	WF_NOISE_MAX_MSG = 65535,  /* Noise's message size limit */
	WF_NOISE_MAX_TOKENS = 8,   /* tokens in one message pattern */
	WF_NOISE_MAX_MESSAGES = 8, /* message patterns in one handshake */
	WF_NOISE_NAME_MAX = 64,
};

struct wf_noise_cipher {
	enum wf_cipher cipher;
	struct wf_aead *aead; /* NULL until InitializeKey() */
	uint64_t n;
};

struct wf_noise_symmetric {
	enum wf_hash hash;
	size_t hashlen;
	uint8_t ck[WF_HASH_MAX_LEN];
	uint8_t h[WF_HASH_MAX_LEN];
	struct wf_noise_cipher cs;
};

/* A parsed protocol name, e.g. "Noise_IX_25519_AESGCM_SHA256". */
struct wf_noise_protocol {
	char name[WF_NOISE_NAME_MAX];
	int pattern; /* index into the implementation's pattern table */
	enum wf_cipher cipher;
	enum wf_hash hash;
};

struct wf_noise_handshake {
	struct wf_noise_protocol proto;
	struct wf_noise_symmetric ss;
	bool alive; /* false before init, after any failure and after split */
	bool initiator;
	int msg_index; /* next message pattern to write or read */
	bool has_s, has_e, has_rs, has_re;
	uint8_t s_priv[WF_KEY_LEN], s_pub[WF_KEY_LEN];
	uint8_t e_priv[WF_KEY_LEN], e_pub[WF_KEY_LEN];
	uint8_t rs[WF_KEY_LEN], re[WF_KEY_LEN];
};

/* Parse a protocol name. Returns false for anything not supported. */
bool wf_noise_protocol_parse(struct wf_noise_protocol *p, const char *name) WF_MUST_CHECK;

/* True for the one-way patterns (N, K, X): one message, and all transport
 * messages go initiator -> responder. */
bool wf_noise_protocol_one_way(const struct wf_noise_protocol *p);

/*
 * Initialize(). hs is overwritten without being looked at (clear an old one
 * first). s_priv must be given exactly when the pattern needs a local static
 * key, and e_priv exactly when this side sends an ephemeral (both sides of
 * every interactive pattern, the initiator of a one-way one): 32 random bytes
 * the caller draws afresh for each handshake (fixed ones only to reproduce
 * the published vectors); its public half is computed when it is sent. rs
 * (re) is the peer's static (ephemeral) key for patterns whose pre-messages
 * carry it (IK, NK, KK, ...): required then, refused otherwise. The keys are
 * copied: the caller wipes its own.
 */
bool wf_noise_handshake_init(struct wf_noise_handshake *hs, const struct wf_noise_protocol *p,
			     bool initiator, const uint8_t *prologue, size_t prologue_len,
			     const uint8_t *s_priv, const uint8_t *e_priv, const uint8_t *rs,
			     const uint8_t *re) WF_MUST_CHECK;

/* WriteMessage(): writes the next handshake message to out (capacity out_cap)
 * and sets *out_len. Fails if it is not our turn or out is too small, and
 * like every failure here that leaves hs unusable. payload must not overlap
 * out. */
bool wf_noise_write_message(struct wf_noise_handshake *hs, const uint8_t *payload,
			    size_t payload_len, uint8_t *out, size_t out_cap,
			    size_t *out_len) WF_MUST_CHECK;

/* ReadMessage(): processes a received handshake message; the decrypted
 * payload goes to payload (capacity cap), its length to *payload_len. The tag
 * is checked in place, so cap must hold the encrypted payload (the payload
 * plus 16 bytes once a key is set): a cap of msg_len is always enough.
 * payload may be msg itself. Any failure (short message, bad tag, bad DH)
 * leaves hs unusable: discard it. */
bool wf_noise_read_message(struct wf_noise_handshake *hs, const uint8_t *msg, size_t msg_len,
			   uint8_t *payload, size_t cap, size_t *payload_len) WF_MUST_CHECK;

/* True once every message pattern has been written or read. */
bool wf_noise_handshake_done(const struct wf_noise_handshake *hs);

/* The peer's static public key once known (pre-message or received), else
 * NULL. Still valid after wf_noise_split(), so it can be checked against the
 * peer's certificate. */
const uint8_t *wf_noise_remote_static(const struct wf_noise_handshake *hs);

/* Split(): derive the two transport keys (c1 = initiator->responder,
 * c2 = responder->initiator), 32 bytes each, and the handshake hash (hashlen
 * bytes) into h (may be NULL). Fails unless the handshake is done. Wipes the
 * handshake's secrets (private keys, chaining key, cipher state) and leaves
 * only public values (rs, h) in hs; call wf_noise_handshake_clear() after. */
bool wf_noise_split(struct wf_noise_handshake *hs, uint8_t c1[WF_KEY_LEN], uint8_t c2[WF_KEY_LEN],
		    uint8_t *h) WF_MUST_CHECK;

/* Wipe secrets and free AEAD contexts. Safe on a zeroed or finished state. */
void wf_noise_handshake_clear(struct wf_noise_handshake *hs);

/* CipherState used directly (transport messages in the vector tests).
 * init overwrites cs without looking at it (clear an old one first); encrypt
 * and decrypt fail without a key or once the nonce would reach 2^64-1, and a
 * failed decrypt does not use up the nonce. */
bool wf_noise_cipher_init(struct wf_noise_cipher *cs, enum wf_cipher c,
			  const uint8_t key[WF_KEY_LEN]) WF_MUST_CHECK;
bool wf_noise_cipher_encrypt(struct wf_noise_cipher *cs, const uint8_t *ad, size_t ad_len,
			     uint8_t *buf, size_t len) WF_MUST_CHECK; /* appends the tag */
bool wf_noise_cipher_decrypt(struct wf_noise_cipher *cs, const uint8_t *ad, size_t ad_len,
			     uint8_t *buf, size_t len) WF_MUST_CHECK; /* len includes tag */
void wf_noise_cipher_clear(struct wf_noise_cipher *cs);

#endif
