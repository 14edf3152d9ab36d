/* SPDX-License-Identifier: MIT */
/*
 * Cookies: proof that an initiator receives at the address it sends from, asked
 * for when the responder is under load, before it spends a Diffie-Hellman or a
 * signature check on the initiation (WireGuard's scheme, adapted to a network
 * whose members share a CA key rather than knowing each other's static keys).
 *
 *   cookie = HMAC-SHA256(secret, address || port), first 16 bytes; the secret
 *            is random and replaced every WF_COOKIE_SECRET_MS, which expires
 *            every cookie made with it;
 *   mac2   = HMAC-SHA256(cookie, initiation up to mac2), first 16 bytes;
 *   reply  = type 3 | receiver | nonce (12, random) | AEAD(cookie): the key is
 *            SHA-256("weft cookie" || CA public key) and the associated data
 *            the initiation's mac1, so only someone who saw that initiation
 *            can make a reply the initiator accepts.
 *
 * Pure: time is passed in, and so is randomness: the caller draws each new
 * secret (wf_cookie_secret_due, _set) and each reply's nonce, so the same
 * inputs always give the same bytes.
 */
#ifndef WEFT_COOKIE_H
#define WEFT_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "crypto/crypto.h"
#include "weft/wire.h"

enum {
	WF_COOKIE_LEN = 16,
	WF_COOKIE_SECRET_LEN = WF_SHA256_LEN,
	WF_COOKIE_NONCE_LEN = WF_AEAD_NONCE_LEN,
	WF_COOKIE_SECRET_MS = 120000,
	/* An initiator stops using a cookie this long before it can expire. */
	WF_COOKIE_MARGIN_MS = 5000,
	WF_COOKIE_REPLY_LEN = sizeof(struct wf_msg_cookie),
};

struct wf_cookie_checker {
	uint8_t secret[WF_COOKIE_SECRET_LEN];
	int64_t secret_ms; /* when the secret was made */
	bool has_secret;
	struct wf_aead *aead; /* the network's cookie key */
};

/* What an initiator keeps of the last cookie a responder sent it. */
struct wf_cookie_jar {
	uint8_t cookie[WF_COOKIE_LEN];
	int64_t got_ms;
	bool has;
};

bool wf_cookie_checker_init(struct wf_cookie_checker *c, enum wf_cipher cipher,
			    const uint8_t ca_pub[WF_KEY_LEN]) WF_MUST_CHECK;
void wf_cookie_checker_free(struct wf_cookie_checker *c);

/* mac2 of msg[0..len) under cookie. */
void wf_cookie_mac2(const uint8_t cookie[WF_COOKIE_LEN], const uint8_t *msg, size_t len,
		    uint8_t out[WF_MAC_LEN]);
/* Is the secret missing, or old enough to have expired at now_ms? Then the
 * caller draws WF_COOKIE_SECRET_LEN random bytes for wf_cookie_secret_set():
 * until it does, no cookie is made and no mac2 is valid. */
bool wf_cookie_secret_due(const struct wf_cookie_checker *c, int64_t now_ms);
/* Replace the secret (copied; the caller wipes its own) made at now_ms. */
void wf_cookie_secret_set(struct wf_cookie_checker *c, const uint8_t secret[WF_COOKIE_SECRET_LEN],
			  int64_t now_ms);
/* Does the initiation (len bytes, ending in mac1 || mac2) carry the mac2 of
 * the cookie for the address it came from? */
bool wf_cookie_mac2_ok(const struct wf_cookie_checker *c, const union wf_endpoint *from,
		       const uint8_t *init, size_t len, int64_t now_ms);
/* The cookie reply to an initiation from `from` (whose sender index and mac1
 * it quotes) into out, sealed under nonce: 12 random bytes from the caller,
 * never used twice (every responder of the network shares the key). False if
 * it could not be made (a stale secret among the reasons). */
bool wf_cookie_reply(const struct wf_cookie_checker *c, const union wf_endpoint *from,
		     const uint8_t *init, size_t len, int64_t now_ms,
		     const uint8_t nonce[WF_COOKIE_NONCE_LEN],
		     uint8_t out[WF_COOKIE_REPLY_LEN]) WF_MUST_CHECK;
/* Initiator: open a cookie reply to our initiation, whose mac1 was mac1, into
 * the jar. False if it is not authentic. */
bool wf_cookie_take(struct wf_cookie_checker *c, const uint8_t *reply, size_t len,
		    const uint8_t mac1[WF_MAC_LEN], struct wf_cookie_jar *jar,
		    int64_t now_ms) WF_MUST_CHECK;
/* Fill the mac2 of an initiation (len bytes, ending in mac1 || mac2) from the
 * jar, or zeros if it holds no fresh cookie. */
void wf_cookie_jar_sign(const struct wf_cookie_jar *jar, uint8_t *init, size_t len,
			int64_t now_ms);

#endif
