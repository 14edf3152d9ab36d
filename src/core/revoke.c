/* SPDX-License-Identifier: MIT */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "core/message.h"
#include "core/revoke.h"

static const uint8_t magic[4] = {'W', 'F', 'R', 'L'};

/* The first index whose serial is >= s. */
static unsigned lower_bound(const struct wf_revoke *r, uint64_t s)
{
	unsigned lo = 0, hi = r->n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (r->serial[mid] < s)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool wf_revoke_has(const struct wf_revoke *r, uint64_t s)
{
	unsigned i = lower_bound(r, s);

	return i < r->n && r->serial[i] == s;
}

bool wf_revoke_add(struct wf_revoke *r, uint64_t s)
{
	unsigned i = lower_bound(r, s);

	if (i < r->n && r->serial[i] == s)
		return true;
	if (r->n == WF_REVOKE_MAX)
		return false;
	memmove(&r->serial[i + 1], &r->serial[i], (r->n - i) * sizeof(r->serial[0]));
	r->serial[i] = s;
	r->n++;
	return true;
}

size_t wf_revoke_encode_tbs(const struct wf_revoke *r, uint8_t *out, size_t cap)
{
	size_t nlen = strlen(r->network), need = 4 + 1 + 1 + nlen + 8 + 8 + 2 + 8 * (size_t)r->n;
	uint8_t *p = out;

	if (!wf_cert_name_valid(r->network) || r->n > WF_REVOKE_MAX || !r->version || need > cap)
		return 0;
	for (unsigned i = 1; i < r->n; i++)
		if (r->serial[i - 1] >= r->serial[i])
			return 0;
	memcpy(p, magic, 4);
	p[4] = WF_REVOKE_FORMAT;
	p[5] = (uint8_t)nlen;
	memcpy(p + 6, r->network, nlen);
	p += 6 + nlen;
	wf_put_le64(p, r->version);
	wf_put_le64(p + 8, (uint64_t)r->issued);
	wf_put_le16(p + 16, r->n);
	p += 18;
	for (unsigned i = 0; i < r->n; i++, p += 8)
		wf_put_le64(p, r->serial[i]);
	return need;
}

size_t wf_revoke_encode(const struct wf_revoke *r, uint8_t *out, size_t cap)
{
	size_t n = wf_revoke_encode_tbs(r, out, cap);

	if (!n || n + WF_SIG_LEN > cap)
		return 0;
	memcpy(out + n, r->signature, WF_SIG_LEN);
	return n + WF_SIG_LEN;
}

static enum wf_cert_err decode_head(struct wf_revoke *r, const uint8_t **in, size_t *len)
{
	size_t nlen;

	if (*len < 6)
		return WF_CERT_ERR_TRUNCATED;
	if (memcmp(*in, magic, 4))
		return WF_CERT_ERR_MALFORMED;
	if ((*in)[4] != WF_REVOKE_FORMAT)
		return WF_CERT_ERR_VERSION;
	nlen = (*in)[5];
	if (*len < 6 + nlen + 18)
		return WF_CERT_ERR_TRUNCATED;
	/* (A NUL inside the name would decode to a shorter one: two spellings.) */
	if (!nlen || nlen > WF_CERT_NAME_MAX || memchr(*in + 6, 0, nlen))
		return WF_CERT_ERR_MALFORMED;
	memcpy(r->network, *in + 6, nlen);
	r->network[nlen] = '\0';
	*in += 6 + nlen;
	*len -= 6 + nlen;
	r->version = wf_get_le64(*in);
	r->issued = (int64_t)wf_get_le64(*in + 8);
	r->n = wf_get_le16(*in + 16);
	*in += 18;
	*len -= 18;
	return wf_cert_name_valid(r->network) && r->version && r->n <= WF_REVOKE_MAX
		       ? WF_CERT_OK
		       : WF_CERT_ERR_MALFORMED;
}

enum wf_cert_err wf_revoke_decode(struct wf_revoke *r, const uint8_t *in, size_t len)
{
	enum wf_cert_err e;

	memset(r, 0, sizeof(*r));
	e = decode_head(r, &in, &len);
	if (e != WF_CERT_OK)
		goto fail;
	e = WF_CERT_ERR_TRUNCATED;
	if (len < 8 * (size_t)r->n + WF_SIG_LEN)
		goto fail;
	e = WF_CERT_ERR_MALFORMED;
	if (len != 8 * (size_t)r->n + WF_SIG_LEN)
		goto fail;
	for (unsigned i = 0; i < r->n; i++, in += 8) {
		r->serial[i] = wf_get_le64(in);
		if (i && r->serial[i - 1] >= r->serial[i])
			goto fail;
	}
	memcpy(r->signature, in, WF_SIG_LEN);
	return WF_CERT_OK;
fail:
	memset(r, 0, sizeof(*r));
	return e;
}

bool wf_revoke_sign(struct wf_revoke *r, const uint8_t ca_priv[WF_KEY_LEN])
{
	uint8_t tbs[WF_REVOKE_MAX_ENCODED];
	size_t n = wf_revoke_encode_tbs(r, tbs, sizeof(tbs));

	return n && wf_ed25519_sign(r->signature, tbs, n, ca_priv);
}

enum wf_cert_err wf_revoke_verify(const struct wf_revoke *r, const struct wf_cert *ca)
{
	uint8_t tbs[WF_REVOKE_MAX_ENCODED];
	size_t n = wf_revoke_encode_tbs(r, tbs, sizeof(tbs));

	if (!n)
		return WF_CERT_ERR_MALFORMED;
	if (strcmp(r->network, ca->network))
		return WF_CERT_ERR_NETWORK;
	return wf_ed25519_verify(r->signature, tbs, n, ca->pubkey) ? WF_CERT_OK
								   : WF_CERT_ERR_SIGNATURE;
}

/* --- Chunks ------------------------------------------------------------------ */

_Static_assert(WF_REVOKE_CHUNKS_MAX * WF_REVOKE_CHUNK_DATA >= WF_REVOKE_MAX_ENCODED,
	       "the chunks hold the largest list");
_Static_assert(WF_REVOKE_CHUNKS_MAX <= UINT16_MAX && WF_REVOKE_MAX <= UINT16_MAX,
	       "counts fit their fields");

unsigned wf_revoke_chunk_count(size_t len)
{
	if (!len || len > WF_REVOKE_MAX_ENCODED)
		return 0;
	return (unsigned)((len + WF_REVOKE_CHUNK_DATA - 1) / WF_REVOKE_CHUNK_DATA);
}

struct wf_revoke_chunk wf_revoke_chunk_at(const uint8_t *enc, size_t len, uint64_t version,
					  unsigned i)
{
	size_t off = (size_t)i * WF_REVOKE_CHUNK_DATA;
	struct wf_revoke_chunk c = {
	    .version = version,
	    .index = (uint16_t)i,
	    .count = (uint16_t)wf_revoke_chunk_count(len),
	    .data = enc + off,
	};

	assert(i < c.count);
	c.len = (uint16_t)(len - off < WF_REVOKE_CHUNK_DATA ? len - off : WF_REVOKE_CHUNK_DATA);
	return c;
}

void wf_revoke_chunk_encode(const struct wf_revoke_chunk *c, uint8_t out[WF_REVOKE_CHUNK_LEN])
{
	assert(c->len <= WF_REVOKE_CHUNK_DATA);
	memset(out, 0, WF_REVOKE_CHUNK_LEN);
	out[0] = WF_CTL_REVOKED;
	wf_put_le64(out + 1, c->version);
	wf_put_le16(out + 9, c->index);
	wf_put_le16(out + 11, c->count);
	wf_put_le16(out + 13, c->len);
	memcpy(out + WF_REVOKE_CHUNK_HEAD, c->data, c->len);
}

bool wf_revoke_chunk_decode(struct wf_revoke_chunk *c, const uint8_t *msg, size_t len)
{
	if (len != WF_REVOKE_CHUNK_LEN || msg[0] != WF_CTL_REVOKED)
		return false;
	c->version = wf_get_le64(msg + 1);
	c->index = wf_get_le16(msg + 9);
	c->count = wf_get_le16(msg + 11);
	c->len = wf_get_le16(msg + 13);
	c->data = msg + WF_REVOKE_CHUNK_HEAD;
	if (!c->version || !c->count || c->count > WF_REVOKE_CHUNKS_MAX || c->index >= c->count ||
	    !c->len || c->len > WF_REVOKE_CHUNK_DATA)
		return false;
	/* Every chunk but the last is full, so the count and the last
	 * length say how long the list is. */
	if (c->index + 1 < c->count
		? c->len != WF_REVOKE_CHUNK_DATA
		: (size_t)c->index * WF_REVOKE_CHUNK_DATA + c->len > WF_REVOKE_MAX_ENCODED)
		return false;
	for (size_t i = WF_REVOKE_CHUNK_HEAD + c->len; i < WF_REVOKE_CHUNK_LEN; i++)
		if (msg[i])
			return false;
	return true;
}

/* --- Reassembly ---------------------------------------------------------------- */

static void slot_free(struct wf_revoke_asm *a)
{
	free(a->buf);
	memset(a, 0, sizeof(*a));
}

static struct wf_revoke_asm *slot_of(struct wf_revoke_asms *s, const uint8_t *from)
{
	for (unsigned i = 0; i < WF_REVOKE_ASM_MAX; i++)
		if (s->a[i].buf && !memcmp(s->a[i].from, from, WF_KEY_LEN))
			return &s->a[i];
	return NULL;
}

/* A slot for a sender that has none: a free one, or else the oldest if it
 * has had its chance. Never a fresh one: honest senders that all send at
 * once would push each other out, and none would finish. */
static struct wf_revoke_asm *slot_new(struct wf_revoke_asms *s, int64_t now)
{
	struct wf_revoke_asm *oldest = NULL;

	for (unsigned i = 0; i < WF_REVOKE_ASM_MAX; i++) {
		if (!s->a[i].buf)
			return &s->a[i];
		if (!oldest || s->a[i].started_ms < oldest->started_ms)
			oldest = &s->a[i];
	}
	if (now - oldest->started_ms < WF_REVOKE_ASM_FRESH_MS)
		return NULL;
	slot_free(oldest);
	return oldest;
}

static bool slot_start(struct wf_revoke_asm *a, const uint8_t *from,
		       const struct wf_revoke_chunk *c, int64_t started)
{
	a->buf = malloc((size_t)c->count * WF_REVOKE_CHUNK_DATA);
	if (!a->buf)
		return false;
	memcpy(a->from, from, WF_KEY_LEN);
	a->version = c->version;
	a->count = c->count;
	a->started_ms = started;
	return true;
}

/* The slot for c from `from`: its own, restarted for a newer version
 * (keeping its age, so that nobody stays fresh by starting over), or a new
 * one. NULL with *res set when c goes no further. */
static struct wf_revoke_asm *slot_for(struct wf_revoke_asms *s, const uint8_t *from,
				      const struct wf_revoke_chunk *c, int64_t now,
				      enum wf_revoke_asm_res *res)
{
	struct wf_revoke_asm *a = slot_of(s, from);
	int64_t started = now;

	*res = WF_RA_BUSY;
	if (a && c->version == a->version) {
		if (c->count == a->count)
			return a;
		slot_free(a);
		*res = WF_RA_REFUSED;
		return NULL;
	}
	if (a && c->version < a->version) {
		*res = WF_RA_OLD;
		return NULL;
	}
	if (a) {
		started = a->started_ms;
		slot_free(a);
	} else {
		a = slot_new(s, now);
	}
	return a && slot_start(a, from, c, started) ? a : NULL;
}

enum wf_revoke_asm_res wf_revoke_asm_add(struct wf_revoke_asms *s, const uint8_t *from,
					 const struct wf_revoke_chunk *c, int64_t now,
					 struct wf_revoke *out)
{
	enum wf_revoke_asm_res res;
	struct wf_revoke_asm *a;
	size_t len;

	wf_revoke_asm_expire(s, now, 0);
	a = slot_for(s, from, c, now, &res);
	if (!a)
		return res;
	if (a->have[c->index / 8] & 1u << c->index % 8)
		return WF_RA_KEPT; /* a copy: a sender sends the whole list again */
	a->have[c->index / 8] |= (uint8_t)(1u << c->index % 8);
	memcpy(a->buf + (size_t)c->index * WF_REVOKE_CHUNK_DATA, c->data, c->len);
	if (c->index + 1 == a->count)
		a->last_len = c->len;
	if (++a->got < a->count)
		return WF_RA_KEPT;
	len = (size_t)(a->count - 1) * WF_REVOKE_CHUNK_DATA + a->last_len;
	res = wf_revoke_decode(out, a->buf, len) == WF_CERT_OK && out->version == a->version
		  ? WF_RA_DONE
		  : WF_RA_REFUSED;
	slot_free(a);
	return res;
}

void wf_revoke_asm_expire(struct wf_revoke_asms *s, int64_t now, uint64_t held)
{
	for (unsigned i = 0; i < WF_REVOKE_ASM_MAX; i++) {
		struct wf_revoke_asm *a = &s->a[i];

		if (a->buf && (now - a->started_ms >= WF_REVOKE_ASM_MS || a->version <= held))
			slot_free(a);
	}
}

unsigned wf_revoke_asm_busy(const struct wf_revoke_asms *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < WF_REVOKE_ASM_MAX; i++)
		n += s->a[i].buf != NULL;
	return n;
}

void wf_revoke_asm_free(struct wf_revoke_asms *s)
{
	for (unsigned i = 0; i < WF_REVOKE_ASM_MAX; i++)
		slot_free(&s->a[i]);
}
