/* SPDX-License-Identifier: MIT */
#include <string.h>
#include <sys/socket.h>

#include "common/bytes.h"
#include "core/cookie.h"

bool wf_cookie_checker_init(struct wf_cookie_checker *c, enum wf_cipher cipher,
			    const uint8_t ca_pub[WF_KEY_LEN])
{
	static const char label[] = "weft cookie";
	uint8_t key[WF_SHA256_LEN];

	memset(c, 0, sizeof(*c));
	if (!wf_hash2(WF_HASH_SHA256, key, (const uint8_t *)label, sizeof(label) - 1, ca_pub,
		      WF_KEY_LEN))
		return false;
	c->aead = wf_aead_new(cipher, key);
	wf_wipe(key, sizeof(key));
	return c->aead != NULL;
}

void wf_cookie_checker_free(struct wf_cookie_checker *c)
{
	wf_aead_free(c->aead);
	wf_wipe(c, sizeof(*c));
}

static void mac16(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t len,
		  uint8_t out[16])
{
	uint8_t full[WF_SHA256_LEN];

	if (!wf_hmac(WF_HASH_SHA256, full, key, key_len, msg, len))
		memset(full, 0, sizeof(full)); /* never matches a real MAC */
	memcpy(out, full, 16);
}

void wf_cookie_mac2(const uint8_t cookie[WF_COOKIE_LEN], const uint8_t *msg, size_t len,
		    uint8_t out[WF_MAC_LEN])
{
	mac16(cookie, WF_COOKIE_LEN, msg, len, out);
}

bool wf_cookie_secret_due(const struct wf_cookie_checker *c, int64_t now_ms)
{
	return !c->has_secret || now_ms - c->secret_ms >= WF_COOKIE_SECRET_MS;
}

void wf_cookie_secret_set(struct wf_cookie_checker *c, const uint8_t secret[WF_COOKIE_SECRET_LEN],
			  int64_t now_ms)
{
	memcpy(c->secret, secret, sizeof(c->secret));
	c->secret_ms = now_ms;
	c->has_secret = true;
}

/* The cookie for an address, under a secret no older than WF_COOKIE_SECRET_MS:
 * none under a stale one, whose cookies have expired. */
static bool make_cookie(const struct wf_cookie_checker *c, const union wf_endpoint *from,
			int64_t now_ms, uint8_t out[WF_COOKIE_LEN])
{
	uint8_t in[18];
	size_t n;

	if (wf_cookie_secret_due(c, now_ms))
		return false;
	if (from->sa.sa_family == AF_INET) {
		memcpy(in, &from->in4.sin_addr, 4);
		memcpy(in + 4, &from->in4.sin_port, 2);
		n = 6;
	} else {
		memcpy(in, &from->in6.sin6_addr, 16);
		memcpy(in + 16, &from->in6.sin6_port, 2);
		n = 18;
	}
	mac16(c->secret, sizeof(c->secret), in, n, out);
	return true;
}

bool wf_cookie_mac2_ok(const struct wf_cookie_checker *c, const union wf_endpoint *from,
		       const uint8_t *init, size_t len, int64_t now_ms)
{
	uint8_t cookie[WF_COOKIE_LEN], want[WF_MAC_LEN];

	if (len < WF_INIT_MACS_LEN || !make_cookie(c, from, now_ms, cookie))
		return false;
	wf_cookie_mac2(cookie, init, len - WF_MAC_LEN, want);
	return wf_memeq(want, init + len - WF_MAC_LEN, WF_MAC_LEN);
}

bool wf_cookie_reply(const struct wf_cookie_checker *c, const union wf_endpoint *from,
		     const uint8_t *init, size_t len, int64_t now_ms,
		     const uint8_t nonce[WF_COOKIE_NONCE_LEN], uint8_t out[WF_COOKIE_REPLY_LEN])
{
	struct wf_msg_cookie *m = (struct wf_msg_cookie *)out;
	const uint8_t *mac1 = init + len - WF_INIT_MACS_LEN;

	_Static_assert(sizeof(m->nonce) == WF_COOKIE_NONCE_LEN, "the reply's nonce is the AEAD's");
	if (len < sizeof(struct wf_msg_init) + WF_INIT_MACS_LEN)
		return false;
	memset(out, 0, WF_COOKIE_REPLY_LEN);
	m->h.type = WF_MSG_COOKIE;
	m->h.version = WF_PROTO_VERSION;
	memcpy(&m->receiver, init + 4, 4); /* the initiator's sender index */
	memcpy(m->nonce, nonce, WF_COOKIE_NONCE_LEN);
	return make_cookie(c, from, now_ms, m->cookie) &&
	       wf_aead_seal_iv(c->aead, m->nonce, mac1, WF_MAC_LEN, m->cookie, WF_COOKIE_LEN);
}

bool wf_cookie_take(struct wf_cookie_checker *c, const uint8_t *reply, size_t len,
		    const uint8_t mac1[WF_MAC_LEN], struct wf_cookie_jar *jar, int64_t now_ms)
{
	struct wf_msg_cookie m;

	if (len != WF_COOKIE_REPLY_LEN)
		return false;
	memcpy(&m, reply, sizeof(m));
	if (!wf_aead_open_iv(c->aead, m.nonce, mac1, WF_MAC_LEN, m.cookie, sizeof(m.cookie)))
		return false;
	memcpy(jar->cookie, m.cookie, WF_COOKIE_LEN);
	jar->got_ms = now_ms;
	jar->has = true;
	return true;
}

void wf_cookie_jar_sign(const struct wf_cookie_jar *jar, uint8_t *init, size_t len, int64_t now_ms)
{
	uint8_t *mac2 = init + len - WF_MAC_LEN;

	if (jar && jar->has && now_ms - jar->got_ms < WF_COOKIE_SECRET_MS - WF_COOKIE_MARGIN_MS)
		wf_cookie_mac2(jar->cookie, init, len - WF_MAC_LEN, mac2);
	else
		memset(mac2, 0, WF_MAC_LEN);
}
