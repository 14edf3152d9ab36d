/* SPDX-License-Identifier: MIT */
/*
 * The Noise Protocol Framework, revision 34 (noiseprotocol.org/noise.html):
 * CipherState (5.1), SymmetricState (5.2) and HandshakeState (5.3), driven by
 * a table of handshake patterns (7.4 one-way and interactive fundamental
 * patterns, 7.5 deferred patterns). DH is always 25519; PSK modes are not
 * supported and their names are refused. The ephemeral key is an input, as
 * in the spec's Initialize(): the caller draws it, so this file draws no
 * randomness and the same keys always give the same messages.
 *
 * Every failure wipes the whole handshake state, so a caller that ignores a
 * false return cannot go on with half-mixed keys.
 */
#include <string.h>

#include "core/noise.h"

/* Tokens are named by the initiator's key first: "es" is DH(initiator's e,
 * responder's s) whichever side computes it. */
enum token { T_END = 0, T_E, T_S, T_EE, T_ES, T_SE, T_SS };
enum { PRE_E = 1, PRE_S = 2 };

struct pattern {
	const char *name;
	uint8_t pre_i, pre_r; /* keys the pre-messages carry (PRE_E | PRE_S) */
	/* message patterns, initiator first then alternating; an empty one ends */
	uint8_t msgs[WF_NOISE_MAX_MESSAGES][WF_NOISE_MAX_TOKENS];
};

static const struct pattern patterns[] = {
	/* one-way */
	{"N", 0, PRE_S, {{T_E, T_ES}}},
	{"K", PRE_S, PRE_S, {{T_E, T_ES, T_SS}}},
	{"X", 0, PRE_S, {{T_E, T_ES, T_S, T_SS}}},
	/* interactive, fundamental */
	{"NN", 0, 0, {{T_E}, {T_E, T_EE}}},
	{"NK", 0, PRE_S, {{T_E, T_ES}, {T_E, T_EE}}},
	{"NX", 0, 0, {{T_E}, {T_E, T_EE, T_S, T_ES}}},
	{"KN", PRE_S, 0, {{T_E}, {T_E, T_EE, T_SE}}},
	{"KK", PRE_S, PRE_S, {{T_E, T_ES, T_SS}, {T_E, T_EE, T_SE}}},
	{"KX", PRE_S, 0, {{T_E}, {T_E, T_EE, T_SE, T_S, T_ES}}},
	{"XN", 0, 0, {{T_E}, {T_E, T_EE}, {T_S, T_SE}}},
	{"XK", 0, PRE_S, {{T_E, T_ES}, {T_E, T_EE}, {T_S, T_SE}}},
	{"XX", 0, 0, {{T_E}, {T_E, T_EE, T_S, T_ES}, {T_S, T_SE}}},
	{"IN", 0, 0, {{T_E, T_S}, {T_E, T_EE, T_SE}}},
	{"IK", 0, PRE_S, {{T_E, T_ES, T_S, T_SS}, {T_E, T_EE, T_SE}}},
	{"IX", 0, 0, {{T_E, T_S}, {T_E, T_EE, T_SE, T_S, T_ES}}},
	/* interactive, deferred */
	{"NK1", 0, PRE_S, {{T_E}, {T_E, T_EE, T_ES}}},
	{"NX1", 0, 0, {{T_E}, {T_E, T_EE, T_S}, {T_ES}}},
	{"X1N", 0, 0, {{T_E}, {T_E, T_EE}, {T_S}, {T_SE}}},
	{"X1K", 0, PRE_S, {{T_E, T_ES}, {T_E, T_EE}, {T_S}, {T_SE}}},
	{"XK1", 0, PRE_S, {{T_E}, {T_E, T_EE, T_ES}, {T_S, T_SE}}},
	{"X1K1", 0, PRE_S, {{T_E}, {T_E, T_EE, T_ES}, {T_S}, {T_SE}}},
	{"X1X", 0, 0, {{T_E}, {T_E, T_EE, T_S, T_ES}, {T_S}, {T_SE}}},
	{"XX1", 0, 0, {{T_E}, {T_E, T_EE, T_S}, {T_ES, T_S, T_SE}}},
	{"X1X1", 0, 0, {{T_E}, {T_E, T_EE, T_S}, {T_ES, T_S}, {T_SE}}},
	{"K1N", PRE_S, 0, {{T_E}, {T_E, T_EE}, {T_SE}}},
	{"K1K", PRE_S, PRE_S, {{T_E, T_ES}, {T_E, T_EE}, {T_SE}}},
	{"KK1", PRE_S, PRE_S, {{T_E}, {T_E, T_EE, T_SE, T_ES}}},
	{"K1K1", PRE_S, PRE_S, {{T_E}, {T_E, T_EE, T_ES}, {T_SE}}},
	{"K1X", PRE_S, 0, {{T_E}, {T_E, T_EE, T_S, T_ES}, {T_SE}}},
	{"KX1", PRE_S, 0, {{T_E}, {T_E, T_EE, T_SE, T_S}, {T_ES}}},
	{"K1X1", PRE_S, 0, {{T_E}, {T_E, T_EE, T_S}, {T_SE, T_ES}}},
	{"I1N", 0, 0, {{T_E, T_S}, {T_E, T_EE}, {T_SE}}},
	{"I1K", 0, PRE_S, {{T_E, T_ES, T_S}, {T_E, T_EE}, {T_SE}}},
	{"IK1", 0, PRE_S, {{T_E, T_S}, {T_E, T_EE, T_SE, T_ES}}},
	{"I1K1", 0, PRE_S, {{T_E, T_S}, {T_E, T_EE, T_ES}, {T_SE}}},
	{"I1X", 0, 0, {{T_E, T_S}, {T_E, T_EE, T_S, T_ES}, {T_SE}}},
	{"IX1", 0, 0, {{T_E, T_S}, {T_E, T_EE, T_SE, T_S}, {T_ES}}},
	{"I1X1", 0, 0, {{T_E, T_S}, {T_E, T_EE, T_S}, {T_SE, T_ES}}},
};

enum { N_PATTERNS = sizeof(patterns) / sizeof(patterns[0]) };

static int pattern_messages(const struct pattern *pat)
{
	int n = 0;

	while (n < WF_NOISE_MAX_MESSAGES && pat->msgs[n][0] != T_END)
		n++;
	return n;
}

/* --- Protocol names ------------------------------------------------------ */

/* Splits name at '_' into exactly n fields; false if the count differs. */
static bool split_fields(const char *name, const char *f[], size_t flen[], int n)
{
	int i = 0;

	f[0] = name;
	for (const char *c = name;; c++) {
		if (*c != '_' && *c != '\0')
			continue;
		flen[i] = (size_t)(c - f[i]);
		if (flen[i] == 0 || ++i == n)
			return *c == '\0' && i == n;
		if (*c == '\0')
			return false;
		f[i] = c + 1;
	}
}

static bool field_is(const char *f, size_t len, const char *want)
{
	return strlen(want) == len && !memcmp(f, want, len);
}

static int lookup_pattern(const char *f, size_t len)
{
	for (int i = 0; i < N_PATTERNS; i++)
		if (field_is(f, len, patterns[i].name))
			return i;
	return -1;
}

static enum wf_hash lookup_hash(const char *f, size_t len)
{
	if (field_is(f, len, "SHA256"))
		return WF_HASH_SHA256;
	if (field_is(f, len, "SHA512"))
		return WF_HASH_SHA512;
	if (field_is(f, len, "BLAKE2s"))
		return WF_HASH_BLAKE2S;
	if (field_is(f, len, "BLAKE2b"))
		return WF_HASH_BLAKE2B;
	return 0;
}

bool wf_noise_protocol_parse(struct wf_noise_protocol *p, const char *name)
{
	const char *f[5];
	size_t flen[5];

	memset(p, 0, sizeof(*p));
	if (strnlen(name, WF_NOISE_NAME_MAX) >= WF_NOISE_NAME_MAX || !split_fields(name, f, flen, 5))
		return false;
	if (!field_is(f[0], flen[0], "Noise") || !field_is(f[2], flen[2], "25519"))
		return false;
	p->pattern = lookup_pattern(f[1], flen[1]);
	if (field_is(f[3], flen[3], "AESGCM"))
		p->cipher = WF_CIPHER_AES256GCM;
	else if (field_is(f[3], flen[3], "ChaChaPoly"))
		p->cipher = WF_CIPHER_CHACHAPOLY;
	p->hash = lookup_hash(f[4], flen[4]);
	if (p->pattern < 0 || p->cipher == WF_CIPHER_NONE || p->hash == 0)
		return false;
	memcpy(p->name, name, strlen(name) + 1);
	return true;
}

static bool protocol_valid(const struct wf_noise_protocol *p)
{
	return p->pattern >= 0 && p->pattern < N_PATTERNS &&
	       (p->cipher == WF_CIPHER_AES256GCM || p->cipher == WF_CIPHER_CHACHAPOLY) &&
	       p->hash >= WF_HASH_SHA256 && p->hash <= WF_HASH_BLAKE2B;
}

bool wf_noise_protocol_one_way(const struct wf_noise_protocol *p)
{
	return protocol_valid(p) && pattern_messages(&patterns[p->pattern]) == 1;
}

/* --- CipherState --------------------------------------------------------- */

/* InitializeKey(): reuses the AEAD context once there is one. */
static bool cipher_set_key(struct wf_noise_cipher *cs, const uint8_t key[WF_KEY_LEN])
{
	cs->n = 0;
	if (cs->aead)
		return wf_aead_rekey(cs->aead, key);
	cs->aead = wf_aead_new(cs->cipher, key);
	return cs->aead != NULL;
}

bool wf_noise_cipher_init(struct wf_noise_cipher *cs, enum wf_cipher c,
			  const uint8_t key[WF_KEY_LEN])
{
	memset(cs, 0, sizeof(*cs));
	cs->cipher = c;
	return cipher_set_key(cs, key);
}

/* Nonce 2^64-1 is reserved (section 5.1): refuse to reach it. */
bool wf_noise_cipher_encrypt(struct wf_noise_cipher *cs, const uint8_t *ad, size_t ad_len,
			     uint8_t *buf, size_t len)
{
	if (!cs->aead || cs->n == UINT64_MAX || !wf_aead_seal(cs->aead, cs->n, ad, ad_len, buf, len))
		return false;
	cs->n++;
	return true;
}

bool wf_noise_cipher_decrypt(struct wf_noise_cipher *cs, const uint8_t *ad, size_t ad_len,
			     uint8_t *buf, size_t len)
{
	if (!cs->aead || cs->n == UINT64_MAX || !wf_aead_open(cs->aead, cs->n, ad, ad_len, buf, len))
		return false;
	cs->n++;
	return true;
}

void wf_noise_cipher_clear(struct wf_noise_cipher *cs)
{
	wf_aead_free(cs->aead); /* cleanses the key schedule */
	cs->aead = NULL;
	cs->n = 0;
}

/* --- SymmetricState ------------------------------------------------------ */

static bool mix_hash(struct wf_noise_symmetric *ss, const uint8_t *data, size_t len)
{
	return wf_hash2(ss->hash, ss->h, ss->h, ss->hashlen, data, len);
}

/* MixKey(): with a 64-byte hash, temp_k is truncated to the 32-byte key. */
static bool mix_key(struct wf_noise_symmetric *ss, const uint8_t *ikm, size_t len)
{
	uint8_t temp_k[WF_HASH_MAX_LEN];
	bool ok = wf_hkdf(ss->hash, ss->ck, ikm, len, ss->ck, temp_k, NULL) &&
		  cipher_set_key(&ss->cs, temp_k);

	wf_wipe(temp_k, sizeof(temp_k));
	return ok;
}

static size_t tag_len(const struct wf_noise_symmetric *ss)
{
	return ss->cs.aead ? WF_AEAD_TAG_LEN : 0;
}

/* EncryptAndHash() in place: buf holds len bytes of plaintext and room for
 * the tag; *off advances by the ciphertext's length. */
static bool encrypt_and_hash(struct wf_noise_symmetric *ss, uint8_t *buf, size_t len, size_t *off)
{
	size_t ct_len = len + tag_len(ss);

	if (ss->cs.aead && !wf_noise_cipher_encrypt(&ss->cs, ss->h, ss->hashlen, buf, len))
		return false;
	*off += ct_len;
	return mix_hash(ss, buf, ct_len);
}

/* DecryptAndHash() in place on ct_len bytes of ciphertext. h is mixed with the
 * ciphertext before it is decrypted, so the old h is kept for the AD. */
static bool decrypt_and_hash(struct wf_noise_symmetric *ss, uint8_t *buf, size_t ct_len)
{
	uint8_t ad[WF_HASH_MAX_LEN];

	memcpy(ad, ss->h, ss->hashlen);
	if (!mix_hash(ss, buf, ct_len))
		return false;
	return !ss->cs.aead || wf_noise_cipher_decrypt(&ss->cs, ad, ss->hashlen, buf, ct_len);
}

static bool symmetric_init(struct wf_noise_symmetric *ss, const struct wf_noise_protocol *p)
{
	size_t len = strnlen(p->name, sizeof(p->name));

	ss->hash = p->hash;
	ss->hashlen = wf_hash_len(p->hash);
	ss->cs.cipher = p->cipher;
	if (len <= ss->hashlen)
		memcpy(ss->h, p->name, len); /* the rest is already zero */
	else if (!wf_hash2(ss->hash, ss->h, (const uint8_t *)p->name, len, NULL, 0))
		return false;
	memcpy(ss->ck, ss->h, ss->hashlen);
	return true;
}

/* --- HandshakeState ------------------------------------------------------ */

static const struct pattern *hs_pattern(const struct wf_noise_handshake *hs)
{
	return &patterns[hs->proto.pattern];
}

/* Wipes everything, so nothing can be used after a failure. */
static bool hs_fail(struct wf_noise_handshake *hs)
{
	wf_noise_handshake_clear(hs);
	return false;
}

/* Does the side (initiator or not) send token tok in any of its messages? */
static bool side_sends(const struct pattern *pat, bool initiator, enum token tok)
{
	for (int m = initiator ? 0 : 1; m < WF_NOISE_MAX_MESSAGES; m += 2)
		for (int t = 0; t < WF_NOISE_MAX_TOKENS && pat->msgs[m][t] != T_END; t++)
			if (pat->msgs[m][t] == tok)
				return true;
	return false;
}

/* The caller gives exactly the keys the pattern needs: a missing one is a
 * bug (an ephemeral is never made up here), and so is an unexpected one (a
 * peer key would be trusted for nothing). */
static bool keys_match(const struct pattern *pat, bool initiator, bool s, bool e, bool rs,
		       bool re)
{
	uint8_t pre_local = initiator ? pat->pre_i : pat->pre_r;
	uint8_t pre_remote = initiator ? pat->pre_r : pat->pre_i;
	bool need_s = (pre_local & PRE_S) || side_sends(pat, initiator, T_S);
	bool need_e = (pre_local & PRE_E) || side_sends(pat, initiator, T_E);

	return s == need_s && e == need_e && rs == !!(pre_remote & PRE_S) &&
	       re == !!(pre_remote & PRE_E);
}

/* The ephemeral's public half is derived when it is first sent, not at init:
 * a responder starts a state for every initiation it reads, and answers only
 * those it accepts. */
static bool set_local_e(struct wf_noise_handshake *hs)
{
	if (!wf_x25519_public(hs->e_pub, hs->e_priv))
		return false;
	hs->has_e = true;
	return true;
}

/* Pre-messages (section 7.1): the initiator's first, e before s in each. */
static bool mix_pre_message(struct wf_noise_handshake *hs, bool local, uint8_t keys)
{
	if (keys & PRE_E) {
		if (local && !set_local_e(hs))
			return false;
		if (!mix_hash(&hs->ss, local ? hs->e_pub : hs->re, WF_KEY_LEN))
			return false;
	}
	if (keys & PRE_S)
		return mix_hash(&hs->ss, local ? hs->s_pub : hs->rs, WF_KEY_LEN);
	return true;
}

static bool store_keys(struct wf_noise_handshake *hs, const uint8_t *s_priv,
		       const uint8_t *e_priv, const uint8_t *rs, const uint8_t *re)
{
	if (s_priv) {
		memcpy(hs->s_priv, s_priv, WF_KEY_LEN);
		if (!wf_x25519_public(hs->s_pub, hs->s_priv))
			return false;
		hs->has_s = true;
	}
	if (e_priv)
		memcpy(hs->e_priv, e_priv, WF_KEY_LEN);
	if (rs) {
		memcpy(hs->rs, rs, WF_KEY_LEN);
		hs->has_rs = true;
	}
	if (re) {
		memcpy(hs->re, re, WF_KEY_LEN);
		hs->has_re = true;
	}
	return true;
}

bool wf_noise_handshake_init(struct wf_noise_handshake *hs, const struct wf_noise_protocol *p,
			     bool initiator, const uint8_t *prologue, size_t prologue_len,
			     const uint8_t *s_priv, const uint8_t *e_priv, const uint8_t *rs,
			     const uint8_t *re)
{
	const struct pattern *pat;

	memset(hs, 0, sizeof(*hs));
	if (!protocol_valid(p))
		return false;
	pat = &patterns[p->pattern];
	if (!keys_match(pat, initiator, s_priv != NULL, e_priv != NULL, rs != NULL, re != NULL))
		return false;
	hs->proto = *p;
	hs->initiator = initiator;
	if (!symmetric_init(&hs->ss, p) || !mix_hash(&hs->ss, prologue, prologue_len) ||
	    !store_keys(hs, s_priv, e_priv, rs, re) ||
	    !mix_pre_message(hs, initiator, pat->pre_i) ||
	    !mix_pre_message(hs, !initiator, pat->pre_r))
		return hs_fail(hs);
	hs->alive = true;
	return true;
}

bool wf_noise_handshake_done(const struct wf_noise_handshake *hs)
{
	return hs->alive && hs->msg_index == pattern_messages(hs_pattern(hs));
}

const uint8_t *wf_noise_remote_static(const struct wf_noise_handshake *hs)
{
	return hs->has_rs ? hs->rs : NULL;
}

/* Is it this side's turn to write (writing) or to read (!writing)? */
static bool our_turn(const struct wf_noise_handshake *hs, bool writing)
{
	bool initiator_sends = hs->msg_index % 2 == 0;

	return hs->alive && hs->msg_index < pattern_messages(hs_pattern(hs)) &&
	       (initiator_sends == hs->initiator) == writing;
}

/* The length of the current message with payload_len bytes of payload,
 * following when a key appears (after the first DH token). */
static size_t message_len(const struct wf_noise_handshake *hs, const uint8_t *tok,
			  size_t payload_len)
{
	bool key = hs->ss.cs.aead != NULL;
	size_t len = payload_len;

	for (; *tok != T_END; tok++) {
		if (*tok == T_E)
			len += WF_KEY_LEN;
		else if (*tok == T_S)
			len += WF_KEY_LEN + (key ? WF_AEAD_TAG_LEN : 0);
		else
			key = true;
	}
	return len + (key ? WF_AEAD_TAG_LEN : 0);
}

/* MixKey(DH(local, remote)) for a DH token; an all-zero result (a low-order
 * peer key) fails in wf_x25519. */
static bool mix_dh(struct wf_noise_handshake *hs, enum token tok)
{
	bool i_e = tok == T_EE || tok == T_ES; /* initiator's key is its e */
	bool r_e = tok == T_EE || tok == T_SE; /* responder's key is its e */
	bool local_e = hs->initiator ? i_e : r_e;
	bool remote_e = hs->initiator ? r_e : i_e;
	uint8_t shared[WF_KEY_LEN];
	bool ok;

	if (!(local_e ? hs->has_e : hs->has_s) || !(remote_e ? hs->has_re : hs->has_rs))
		return false;
	ok = wf_x25519(shared, local_e ? hs->e_priv : hs->s_priv, remote_e ? hs->re : hs->rs) &&
	     mix_key(&hs->ss, shared, sizeof(shared));
	wf_wipe(shared, sizeof(shared));
	return ok;
}

static bool write_token(struct wf_noise_handshake *hs, enum token tok, uint8_t *out, size_t *off)
{
	switch (tok) {
	case T_E:
		if (hs->has_e || !set_local_e(hs))
			return false;
		memcpy(out + *off, hs->e_pub, WF_KEY_LEN);
		*off += WF_KEY_LEN;
		return mix_hash(&hs->ss, hs->e_pub, WF_KEY_LEN);
	case T_S:
		if (!hs->has_s)
			return false;
		memcpy(out + *off, hs->s_pub, WF_KEY_LEN);
		return encrypt_and_hash(&hs->ss, out + *off, WF_KEY_LEN, off);
	case T_EE:
	case T_ES:
	case T_SE:
	case T_SS:
		return mix_dh(hs, tok);
	case T_END:
		break;
	}
	return false;
}

static bool read_token(struct wf_noise_handshake *hs, enum token tok, const uint8_t *msg,
		       size_t *off)
{
	uint8_t buf[WF_KEY_LEN + WF_AEAD_TAG_LEN];
	size_t len = WF_KEY_LEN + tag_len(&hs->ss);

	switch (tok) {
	case T_E:
		if (hs->has_re)
			return false;
		memcpy(hs->re, msg + *off, WF_KEY_LEN);
		hs->has_re = true;
		*off += WF_KEY_LEN;
		return mix_hash(&hs->ss, hs->re, WF_KEY_LEN);
	case T_S:
		if (hs->has_rs)
			return false;
		memcpy(buf, msg + *off, len);
		if (!decrypt_and_hash(&hs->ss, buf, len))
			return false;
		memcpy(hs->rs, buf, WF_KEY_LEN);
		hs->has_rs = true;
		*off += len;
		return true;
	case T_EE:
	case T_ES:
	case T_SE:
	case T_SS:
		return mix_dh(hs, tok);
	case T_END:
		break;
	}
	return false;
}

bool wf_noise_write_message(struct wf_noise_handshake *hs, const uint8_t *payload,
			    size_t payload_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
	const uint8_t *tok;
	size_t off = 0;

	if (!our_turn(hs, true) || payload_len > WF_NOISE_MAX_MSG)
		return hs_fail(hs);
	tok = hs_pattern(hs)->msgs[hs->msg_index];
	*out_len = message_len(hs, tok, payload_len);
	if (*out_len > WF_NOISE_MAX_MSG || *out_len > out_cap)
		return hs_fail(hs);
	for (; *tok != T_END; tok++)
		if (!write_token(hs, *tok, out, &off))
			return hs_fail(hs);
	if (payload_len)
		memcpy(out + off, payload, payload_len);
	if (!encrypt_and_hash(&hs->ss, out + off, payload_len, &off))
		return hs_fail(hs);
	hs->msg_index++;
	return true;
}

bool wf_noise_read_message(struct wf_noise_handshake *hs, const uint8_t *msg, size_t msg_len,
			   uint8_t *payload, size_t cap, size_t *payload_len)
{
	const uint8_t *tok;
	size_t off = 0, ct_len;

	if (!our_turn(hs, false) || msg_len > WF_NOISE_MAX_MSG)
		return hs_fail(hs);
	tok = hs_pattern(hs)->msgs[hs->msg_index];
	if (msg_len < message_len(hs, tok, 0))
		return hs_fail(hs);
	for (; *tok != T_END; tok++)
		if (!read_token(hs, *tok, msg, &off))
			return hs_fail(hs);
	/* message_len() checked that the tokens and the tag fit. */
	ct_len = msg_len - off;
	if (ct_len > cap)
		return hs_fail(hs);
	if (ct_len)
		memmove(payload, msg + off, ct_len);
	*payload_len = ct_len - tag_len(&hs->ss);
	if (!decrypt_and_hash(&hs->ss, payload, ct_len))
		return hs_fail(hs);
	hs->msg_index++;
	return true;
}

bool wf_noise_split(struct wf_noise_handshake *hs, uint8_t c1[WF_KEY_LEN], uint8_t c2[WF_KEY_LEN],
		    uint8_t *h)
{
	uint8_t k1[WF_HASH_MAX_LEN], k2[WF_HASH_MAX_LEN];
	static const uint8_t empty[1];
	bool ok;

	if (!wf_noise_handshake_done(hs))
		return hs_fail(hs);
	ok = wf_hkdf(hs->ss.hash, hs->ss.ck, empty, 0, k1, k2, NULL);
	if (ok) {
		/* Truncated to the cipher's 32-byte key when HASHLEN is 64. */
		memcpy(c1, k1, WF_KEY_LEN);
		memcpy(c2, k2, WF_KEY_LEN);
		if (h)
			memcpy(h, hs->ss.h, hs->ss.hashlen);
	}
	wf_wipe(k1, sizeof(k1));
	wf_wipe(k2, sizeof(k2));
	if (!ok)
		return hs_fail(hs);
	/* Keep only public values (rs, h) for the caller's checks. */
	wf_noise_cipher_clear(&hs->ss.cs);
	wf_wipe(hs->ss.ck, sizeof(hs->ss.ck));
	wf_wipe(hs->s_priv, sizeof(hs->s_priv));
	wf_wipe(hs->e_priv, sizeof(hs->e_priv));
	hs->alive = false;
	return true;
}

void wf_noise_handshake_clear(struct wf_noise_handshake *hs)
{
	wf_noise_cipher_clear(&hs->ss.cs);
	wf_wipe(hs, sizeof(*hs));
}
