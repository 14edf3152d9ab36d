/* SPDX-License-Identifier: MIT */
/*
 * Certificates: the binary encoding, signing and verification.
 *
 * The encoding (docs/protocol.md has it byte by byte) is canonical: fields
 * come in ascending tag order, each at most once, lists are never empty and
 * every value has exactly one valid spelling. So a certificate that decodes
 * re-encodes to the very bytes that were signed, and verification can sign
 * and check the re-encoding of the struct instead of keeping the raw bytes.
 * The fuzzer (tests/fuzz/fuzz_cert.c) holds us to that.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "common/clock.h"
#include "core/cert.h"

static const uint8_t magic[3] = {'W', 'F', 'C'};

enum {
	HDR_LEN = 7,   /* magic, version, type, total length (u16) */
	FIELD_HDR = 3, /* tag, value length (u16) */
	FAM_V4 = 4,    /* family codes on the wire: not AF_*, which differ by OS */
	FAM_V6 = 6,
};

enum tag {
	TAG_NETWORK = 1,
	TAG_NAME,
	TAG_PUBKEY,
	TAG_SERIAL,
	TAG_NOT_BEFORE,
	TAG_NOT_AFTER,
	TAG_CIPHER,
	TAG_ADDRS,
	TAG_ROUTES,
	TAG_PREFIXES,
	TAG_GROUPS,
	TAG_LAST_V1 = TAG_GROUPS,
	TAG_ALLOWED = 12, /* version 2 */
	TAG_LAST = TAG_ALLOWED,
};

#define BIT(t) (1u << (t))
/* Fields every certificate has, and what each type adds or must not have. */
#define REQUIRED_ALL                                                                               \
	(BIT(TAG_NETWORK) | BIT(TAG_NAME) | BIT(TAG_PUBKEY) | BIT(TAG_SERIAL) |                    \
	 BIT(TAG_NOT_BEFORE) | BIT(TAG_NOT_AFTER))
#define REQUIRED_CA   (REQUIRED_ALL | BIT(TAG_CIPHER) | BIT(TAG_PREFIXES))
#define ALLOWED_CA    (REQUIRED_CA | BIT(TAG_ALLOWED))
#define REQUIRED_NODE (REQUIRED_ALL | BIT(TAG_ADDRS))
#define ALLOWED_NODE  (REQUIRED_NODE | BIT(TAG_ROUTES) | BIT(TAG_GROUPS))

const char *wf_cert_strerror(enum wf_cert_err e)
{
	switch (e) {
	case WF_CERT_OK:
		return "certificate is valid";
	case WF_CERT_ERR_TRUNCATED:
		return "truncated certificate";
	case WF_CERT_ERR_MALFORMED:
		return "malformed certificate";
	case WF_CERT_ERR_VERSION:
		return "unsupported certificate version";
	case WF_CERT_ERR_TYPE:
		return "wrong certificate type (a CA certificate where a node's was expected, "
		       "or the reverse)";
	case WF_CERT_ERR_SIGNATURE:
		return "bad signature (not signed by this network's CA, or altered)";
	case WF_CERT_ERR_NETWORK:
		return "certificate is for another network";
	case WF_CERT_ERR_NOT_YET_VALID:
		return "certificate is not valid yet";
	case WF_CERT_ERR_EXPIRED:
		return "certificate has expired";
	case WF_CERT_ERR_ADDRESS:
		return "certificate has an address outside the network's prefixes";
	case WF_CERT_ERR_CA_EXPIRED:
		return "CA certificate is outside its validity period";
	case WF_CERT_ERR_ROUTE:
		return "certificate routes a subnet outside the overlay that its CA does not allow";
	}
	return "unknown certificate error";
}

const char *wf_cert_explain(const struct wf_cert *c, enum wf_cert_err e, int64_t now, char *buf,
			    size_t len)
{
	char start[WF_UTC_LEN], end[WF_UTC_LEN], clock[WF_UTC_LEN];
	bool early = now < c->not_before;

	wf_utc(c->not_before, start);
	wf_utc(c->not_after, end);
	wf_utc(now, clock);
	if (e == WF_CERT_ERR_NOT_YET_VALID || (e == WF_CERT_ERR_CA_EXPIRED && early))
		snprintf(buf, len,
			 "%scertificate is not valid yet: it starts %s, and this host's clock says %s "
			 "(is the clock behind? timedatectl shows whether it is synchronized)",
			 e == WF_CERT_ERR_CA_EXPIRED ? "CA " : "", start, clock);
	else if (e == WF_CERT_ERR_EXPIRED || e == WF_CERT_ERR_CA_EXPIRED)
		snprintf(buf, len,
			 "%scertificate expired at %s; this host's clock says %s (renew it, or if the "
			 "clock is ahead, correct it)",
			 e == WF_CERT_ERR_CA_EXPIRED ? "CA " : "", end, clock);
	else
		snprintf(buf, len, "%s", wf_cert_strerror(e));
	return buf;
}

uint8_t wf_cert_version(const struct wf_cert *c)
{
	return c->type == WF_CERT_CA && c->n_allowed ? WF_CERT_VERSION_2 : WF_CERT_VERSION_1;
}

bool wf_cert_name_valid(const char *s)
{
	size_t n;

	if (!s)
		return false;
	for (n = 0; s[n]; n++) {
		char ch = s[n];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';

		if (!ok || n >= WF_CERT_NAME_MAX)
			return false;
	}
	return n > 0;
}

/* --- Checking a struct -------------------------------------------------- */

/* A name stored in a fixed array: NUL-terminated inside it, and valid. */
static bool name_ok(const char name[WF_CERT_NAME_MAX + 1])
{
	return memchr(name, '\0', WF_CERT_NAME_MAX + 1) && wf_cert_name_valid(name);
}

static bool prefix_ok(const struct wf_prefix *p, bool host)
{
	struct wf_prefix m = *p;
	unsigned max;

	if (p->family == AF_INET)
		max = 32;
	else if (p->family == AF_INET6)
		max = 128;
	else
		return false;
	if (p->len > max || (host && p->len != max))
		return false;
	wf_prefix_mask(&m);
	/* Bytes past the address length are not encoded: they must be zero
	 * too, or the struct would not survive a round trip. */
	return !memcmp(&m, p, sizeof(m));
}

static bool prefixes_ok(const struct wf_prefix *p, unsigned n, bool host)
{
	for (unsigned i = 0; i < n; i++) {
		if (!prefix_ok(&p[i], host))
			return false;
		for (unsigned j = 0; j < i; j++)
			if (wf_prefix_equal(&p[i], &p[j]))
				return false;
	}
	return true;
}

static bool groups_ok(const struct wf_cert *c)
{
	for (unsigned i = 0; i < c->n_groups; i++) {
		if (!name_ok(c->groups[i]))
			return false;
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(c->groups[i], c->groups[j]))
				return false;
	}
	return true;
}

/* The rules that depend on the type: which lists it has, the cipher. */
static const char *check_type(const struct wf_cert *c)
{
	if (c->type == WF_CERT_CA) {
		if (c->cipher != WF_CIPHER_AES256GCM && c->cipher != WF_CIPHER_CHACHAPOLY)
			return "CA certificate without a valid cipher";
		if (!c->n_prefixes)
			return "CA certificate without an overlay prefix";
		if (c->n_addrs || c->n_routes || c->n_groups)
			return "CA certificate with node fields";
		if (c->n_allowed > WF_CERT_MAX_ROUTES)
			return "too many entries in a list";
		if (!prefixes_ok(c->allowed, c->n_allowed, false))
			return "bad or duplicate allowed route";
		return NULL;
	}
	if (c->type == WF_CERT_NODE) {
		if (!c->n_addrs)
			return "node certificate without an address";
		if (c->n_prefixes || c->n_allowed || c->cipher != WF_CIPHER_NONE)
			return "node certificate with CA fields";
		return NULL;
	}
	return "unknown certificate type";
}

static const char *check(const struct wf_cert *c)
{
	const char *why;

	if ((why = check_type(c)))
		return why;
	/* One spelling per certificate: the lowest version that has its
	 * fields, so a version 2 certificate without a version 2 field is as
	 * wrong as a version 1 certificate with one. */
	if (c->version != wf_cert_version(c))
		return c->version > WF_CERT_VERSION_MAX ? "unknown version"
							: "version does not match the fields";
	if (!name_ok(c->network))
		return "bad network name";
	if (!name_ok(c->name))
		return "bad name";
	if (c->not_after < c->not_before)
		return "not_after is before not_before";
	if (c->n_addrs > WF_CERT_MAX_ADDRS || c->n_routes > WF_CERT_MAX_ROUTES ||
	    c->n_prefixes > WF_CERT_MAX_PREFIXES || c->n_groups > WF_CERT_MAX_GROUPS)
		return "too many entries in a list";
	if (!prefixes_ok(c->addrs, c->n_addrs, true))
		return "bad or duplicate address";
	if (!prefixes_ok(c->routes, c->n_routes, false))
		return "bad or duplicate route";
	if (!prefixes_ok(c->prefixes, c->n_prefixes, false))
		return "bad or duplicate prefix";
	if (!groups_ok(c))
		return "bad or duplicate group";
	return NULL;
}

enum wf_cert_err wf_cert_check(const struct wf_cert *c, const char **why)
{
	const char *w = check(c);

	if (why)
		*why = w;
	return w ? WF_CERT_ERR_MALFORMED : WF_CERT_OK;
}

/* --- Encoding ------------------------------------------------------------ */

/* An output buffer that remembers overflow, so writers need not check each
 * step: the caller looks at ok once at the end. */
struct wbuf {
	uint8_t *p;
	size_t len, cap;
	bool ok;
};

static void put(struct wbuf *w, const void *d, size_t n)
{
	if (!w->ok || n > w->cap - w->len) {
		w->ok = false;
		return;
	}
	memcpy(w->p + w->len, d, n);
	w->len += n;
}

static void put_u8(struct wbuf *w, uint8_t v)
{
	put(w, &v, 1);
}

static void put_u64(struct wbuf *w, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	put(w, b, sizeof(b));
}

static void put_u16_at(struct wbuf *w, size_t at, size_t v)
{
	if (!w->ok || v > 0xffff) {
		w->ok = false;
		return;
	}
	w->p[at] = (uint8_t)(v >> 8);
	w->p[at + 1] = (uint8_t)v;
}

/* Start a field; its length is patched in by field_end(). */
static size_t field_begin(struct wbuf *w, enum tag t)
{
	put_u8(w, (uint8_t)t);
	put_u8(w, 0);
	put_u8(w, 0);
	return w->len;
}

static void field_end(struct wbuf *w, size_t start)
{
	put_u16_at(w, start - 2, w->len - start);
}

static void put_field(struct wbuf *w, enum tag t, const void *d, size_t n)
{
	size_t start = field_begin(w, t);

	put(w, d, n);
	field_end(w, start);
}

static void put_u64_field(struct wbuf *w, enum tag t, uint64_t v)
{
	size_t start = field_begin(w, t);

	put_u64(w, v);
	field_end(w, start);
}

/* family code, prefix length, then only the bytes the length covers */
static void put_prefixes(struct wbuf *w, enum tag t, const struct wf_prefix *p, unsigned n)
{
	size_t start;

	if (!n)
		return; /* empty lists are left out, never encoded empty */
	start = field_begin(w, t);
	for (unsigned i = 0; i < n; i++) {
		put_u8(w, p[i].family == AF_INET ? FAM_V4 : FAM_V6);
		put_u8(w, p[i].len);
		put(w, p[i].addr, (p[i].len + 7u) / 8u);
	}
	field_end(w, start);
}

static void put_groups(struct wbuf *w, const struct wf_cert *c)
{
	size_t start;

	if (!c->n_groups)
		return;
	start = field_begin(w, TAG_GROUPS);
	for (unsigned i = 0; i < c->n_groups; i++) {
		size_t n = strlen(c->groups[i]);

		put_u8(w, (uint8_t)n);
		put(w, c->groups[i], n);
	}
	field_end(w, start);
}

size_t wf_cert_encode_tbs(const struct wf_cert *c, uint8_t *out, size_t out_cap)
{
	struct wbuf w = {out, 0, out_cap < WF_CERT_MAX_ENCODED ? out_cap : WF_CERT_MAX_ENCODED,
			 true};

	if (check(c))
		return 0;
	put(&w, magic, sizeof(magic));
	put_u8(&w, c->version);
	put_u8(&w, (uint8_t)c->type);
	put_u8(&w, 0); /* total length, patched below */
	put_u8(&w, 0);
	put_field(&w, TAG_NETWORK, c->network, strlen(c->network));
	put_field(&w, TAG_NAME, c->name, strlen(c->name));
	put_field(&w, TAG_PUBKEY, c->pubkey, WF_KEY_LEN);
	put_u64_field(&w, TAG_SERIAL, c->serial);
	put_u64_field(&w, TAG_NOT_BEFORE, (uint64_t)c->not_before);
	put_u64_field(&w, TAG_NOT_AFTER, (uint64_t)c->not_after);
	if (c->type == WF_CERT_CA)
		put_field(&w, TAG_CIPHER, &(uint8_t){(uint8_t)c->cipher}, 1);
	put_prefixes(&w, TAG_ADDRS, c->addrs, c->n_addrs);
	put_prefixes(&w, TAG_ROUTES, c->routes, c->n_routes);
	put_prefixes(&w, TAG_PREFIXES, c->prefixes, c->n_prefixes);
	put_groups(&w, c);
	if (c->type == WF_CERT_CA)
		put_prefixes(&w, TAG_ALLOWED, c->allowed, c->n_allowed);
	/* The signature covers the total length, so nothing can be cut off or
	 * appended without breaking it. */
	if (w.ok && w.len + WF_SIG_LEN > WF_CERT_MAX_ENCODED)
		w.ok = false;
	put_u16_at(&w, 5, w.len + WF_SIG_LEN);
	return w.ok ? w.len : 0;
}

size_t wf_cert_encode(const struct wf_cert *c, uint8_t *out, size_t out_cap)
{
	size_t n = wf_cert_encode_tbs(c, out, out_cap);

	if (!n || out_cap - n < WF_SIG_LEN)
		return 0;
	memcpy(out + n, c->signature, WF_SIG_LEN);
	return n + WF_SIG_LEN;
}

/* --- Decoding ------------------------------------------------------------ */

struct rbuf {
	const uint8_t *p;
	size_t len, pos;
};

static bool get(struct rbuf *r, void *d, size_t n)
{
	if (n > r->len - r->pos)
		return false;
	memcpy(d, r->p + r->pos, n);
	r->pos += n;
	return true;
}

static bool get_u8(struct rbuf *r, uint8_t *v)
{
	return get(r, v, 1);
}

static bool get_u64(struct rbuf *r, uint64_t *v)
{
	uint8_t b[8];

	if (!get(r, b, sizeof(b)))
		return false;
	*v = 0;
	for (int i = 0; i < 8; i++)
		*v = *v << 8 | b[i];
	return true;
}

/* n bytes of name; an embedded NUL would shorten it, so it is refused. */
static bool get_name(struct rbuf *r, size_t n, char name[WF_CERT_NAME_MAX + 1])
{
	if (n < 1 || n > WF_CERT_NAME_MAX || !get(r, name, n))
		return false;
	name[n] = '\0';
	return strlen(name) == n && wf_cert_name_valid(name);
}

static bool get_prefix(struct rbuf *r, struct wf_prefix *p)
{
	uint8_t fam, len;

	memset(p, 0, sizeof(*p));
	if (!get_u8(r, &fam) || !get_u8(r, &len))
		return false;
	if (fam == FAM_V4 && len <= 32)
		p->family = AF_INET;
	else if (fam == FAM_V6 && len <= 128)
		p->family = AF_INET6;
	else
		return false;
	p->len = len;
	return get(r, p->addr, (len + 7u) / 8u);
	/* host bits and duplicates are left to check() */
}

static bool get_prefixes(struct rbuf *r, struct wf_prefix *p, uint8_t *n, unsigned max)
{
	while (r->pos < r->len) {
		if (*n >= max || !get_prefix(r, &p[*n]))
			return false;
		(*n)++;
	}
	return *n > 0;
}

static bool get_groups(struct rbuf *r, struct wf_cert *c)
{
	while (r->pos < r->len) {
		uint8_t n;

		if (c->n_groups >= WF_CERT_MAX_GROUPS || !get_u8(r, &n) || n > WF_CERT_NAME_MAX)
			return false;
		if (!get_name(r, n, c->groups[c->n_groups]))
			return false;
		c->n_groups++;
	}
	return c->n_groups > 0;
}

/* One field's value, whose bounds the caller has checked: r spans exactly
 * the value, and the caller refuses any bytes left over, so fixed-size
 * fields must have exactly their size. */
static bool get_field(struct wf_cert *c, enum tag t, struct rbuf *r)
{
	uint64_t v;
	uint8_t b;

	switch (t) {
	case TAG_NETWORK:
		return get_name(r, r->len, c->network);
	case TAG_NAME:
		return get_name(r, r->len, c->name);
	case TAG_PUBKEY:
		return get(r, c->pubkey, WF_KEY_LEN);
	case TAG_SERIAL:
		return get_u64(r, &c->serial);
	case TAG_NOT_BEFORE:
		if (!get_u64(r, &v))
			return false;
		c->not_before = (int64_t)v;
		return true;
	case TAG_NOT_AFTER:
		if (!get_u64(r, &v))
			return false;
		c->not_after = (int64_t)v;
		return true;
	case TAG_CIPHER:
		if (!get_u8(r, &b))
			return false;
		c->cipher = (enum wf_cipher)b; /* check() keeps only known ciphers */
		return true;
	case TAG_ADDRS:
		return get_prefixes(r, c->addrs, &c->n_addrs, WF_CERT_MAX_ADDRS);
	case TAG_ROUTES:
		return get_prefixes(r, c->routes, &c->n_routes, WF_CERT_MAX_ROUTES);
	case TAG_PREFIXES:
		return get_prefixes(r, c->prefixes, &c->n_prefixes, WF_CERT_MAX_PREFIXES);
	case TAG_GROUPS:
		return get_groups(r, c);
	case TAG_ALLOWED:
		return get_prefixes(r, c->allowed, &c->n_allowed, WF_CERT_MAX_ROUTES);
	}
	return false;
}

/* Magic, version, type and total length. Cut-off input is TRUNCATED as long
 * as what is there could be the start of a certificate. */
static enum wf_cert_err decode_header(struct wf_cert *c, const uint8_t *in, size_t len,
				      size_t *total, const char **why)
{
	size_t have = len < sizeof(magic) ? len : sizeof(magic);

	if (have && memcmp(in, magic, have))
		return *why = "bad magic", WF_CERT_ERR_MALFORMED;
	if (len < 4)
		return *why = "header cut short", WF_CERT_ERR_TRUNCATED;
	if (in[3] < WF_CERT_VERSION_1 || in[3] > WF_CERT_VERSION_MAX)
		return *why = "unknown version", WF_CERT_ERR_VERSION;
	if (len < HDR_LEN)
		return *why = "header cut short", WF_CERT_ERR_TRUNCATED;
	if (in[4] != WF_CERT_CA && in[4] != WF_CERT_NODE)
		return *why = "unknown certificate type", WF_CERT_ERR_MALFORMED;
	*total = (size_t)in[5] << 8 | in[6];
	if (*total < HDR_LEN + WF_SIG_LEN || *total > WF_CERT_MAX_ENCODED)
		return *why = "bad total length", WF_CERT_ERR_MALFORMED;
	if (len < *total)
		return *why = "shorter than its stated length", WF_CERT_ERR_TRUNCATED;
	if (len > *total)
		return *why = "trailing bytes", WF_CERT_ERR_MALFORMED;
	c->version = in[3];
	c->type = (enum wf_cert_type)in[4];
	return WF_CERT_OK;
}

/* The fields between the header and the signature; returns the set of tags
 * seen, or 0 with *why set. A tag of a later version than the certificate's
 * is unknown to it. */
static unsigned decode_fields(struct wf_cert *c, const uint8_t *in, size_t end, const char **why)
{
	unsigned top = c->version >= WF_CERT_VERSION_2 ? TAG_LAST : TAG_LAST_V1;
	size_t pos = HDR_LEN;
	unsigned seen = 0, last = 0;

	while (pos < end) {
		struct rbuf val;
		unsigned t;
		size_t n;

		if (end - pos < FIELD_HDR)
			return *why = "field header runs into the signature", 0;
		t = in[pos];
		n = (size_t)in[pos + 1] << 8 | in[pos + 2];
		pos += FIELD_HDR;
		if (t < 1 || t > top)
			return *why = t <= TAG_LAST ? "a version 2 field in a version 1 certificate"
						    : "unknown tag",
			       0;
		if (t <= last)
			return *why = "duplicate or out-of-order tag", 0;
		if (n > end - pos)
			return *why = "field runs into the signature", 0;
		val = (struct rbuf){in + pos, n, 0};
		if (!get_field(c, (enum tag)t, &val) || val.pos != val.len)
			return *why = "bad field value", 0;
		pos += n;
		seen |= BIT(t);
		last = t;
	}
	return seen;
}

enum wf_cert_err wf_cert_decode_ex(struct wf_cert *c, const uint8_t *in, size_t len,
				   const char **why)
{
	const char *dummy;
	enum wf_cert_err e;
	unsigned seen, required, allowed;
	size_t total = 0;

	if (!why)
		why = &dummy;
	*why = NULL;
	memset(c, 0, sizeof(*c));
	if ((e = decode_header(c, in, len, &total, why)) != WF_CERT_OK)
		goto out_err;
	e = WF_CERT_ERR_MALFORMED;
	if (!(seen = decode_fields(c, in, total - WF_SIG_LEN, why)))
		goto out_err;
	required = c->type == WF_CERT_CA ? REQUIRED_CA : REQUIRED_NODE;
	allowed = c->type == WF_CERT_CA ? ALLOWED_CA : ALLOWED_NODE;
	if ((seen & required) != required) {
		*why = "a required field is missing";
		goto out_err;
	}
	if (seen & ~allowed) {
		*why = "a field this certificate type must not have";
		goto out_err;
	}
	if ((*why = check(c)))
		goto out_err;
	memcpy(c->signature, in + total - WF_SIG_LEN, WF_SIG_LEN);
	return WF_CERT_OK;

out_err:
	memset(c, 0, sizeof(*c));
	return e;
}

enum wf_cert_err wf_cert_decode(struct wf_cert *c, const uint8_t *in, size_t len)
{
	return wf_cert_decode_ex(c, in, len, NULL);
}

/* --- Signing and verification ------------------------------------------- */

bool wf_cert_sign(struct wf_cert *c, const uint8_t ca_priv[WF_KEY_LEN])
{
	uint8_t tbs[WF_CERT_MAX_ENCODED];
	size_t n;

	c->version = wf_cert_version(c);
	n = wf_cert_encode_tbs(c, tbs, sizeof(tbs));
	return n && wf_ed25519_sign(c->signature, tbs, n, ca_priv);
}

/* Is c's signature by key? A struct that does not encode has none. */
static bool signed_by(const struct wf_cert *c, const uint8_t key[WF_KEY_LEN])
{
	uint8_t tbs[WF_CERT_MAX_ENCODED];
	size_t n = wf_cert_encode_tbs(c, tbs, sizeof(tbs));

	return n && wf_ed25519_verify(c->signature, tbs, n, key);
}

static bool valid_at(const struct wf_cert *c, int64_t now)
{
	return now >= c->not_before && now <= c->not_after;
}

enum wf_cert_err wf_cert_verify_ca(const struct wf_cert *ca, int64_t now)
{
	if (ca->type != WF_CERT_CA)
		return WF_CERT_ERR_TYPE;
	if (!signed_by(ca, ca->pubkey))
		return WF_CERT_ERR_SIGNATURE;
	if (!valid_at(ca, now))
		return WF_CERT_ERR_CA_EXPIRED;
	return WF_CERT_OK;
}

static bool inside_any(const struct wf_prefix *p, const struct wf_prefix *list, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (wf_prefix_contains(&list[i], p))
			return true;
	return false;
}

bool wf_cert_in_network(const struct wf_cert *ca, const struct wf_prefix *p)
{
	unsigned n = ca->n_prefixes;

	return inside_any(p, ca->prefixes, n < WF_CERT_MAX_PREFIXES ? n : WF_CERT_MAX_PREFIXES);
}

bool wf_cert_route_allowed(const struct wf_cert *ca, const struct wf_prefix *p)
{
	unsigned n = ca->n_allowed;

	if (ca->type != WF_CERT_CA)
		return false;
	return wf_cert_in_network(ca, p) ||
	       inside_any(p, ca->allowed, n < WF_CERT_MAX_ROUTES ? n : WF_CERT_MAX_ROUTES);
}

static bool addresses_inside(const struct wf_cert *c, const struct wf_cert *ca)
{
	for (unsigned i = 0; i < c->n_addrs; i++)
		if (!wf_cert_in_network(ca, &c->addrs[i]))
			return false;
	return true;
}

/* Routes inside the overlay are always allowed; outside it, only inside what
 * the CA lists. This is checked here, at every node, and not only by `weft
 * ca sign`: a certificate signed with the CA key by other means (another
 * tool, an older weft, by hand) gets no further than the CA meant. */
static bool routes_allowed(const struct wf_cert *c, const struct wf_cert *ca)
{
	for (unsigned i = 0; i < c->n_routes && i < WF_CERT_MAX_ROUTES; i++)
		if (!wf_cert_route_allowed(ca, &c->routes[i]))
			return false;
	return true;
}

enum wf_cert_err wf_cert_verify_fields(const struct wf_cert *c, const struct wf_cert *ca,
				       int64_t now)
{
	if (c->type != WF_CERT_NODE || ca->type != WF_CERT_CA)
		return WF_CERT_ERR_TYPE;
	if (strcmp(c->network, ca->network))
		return WF_CERT_ERR_NETWORK;
	if (!valid_at(ca, now))
		return WF_CERT_ERR_CA_EXPIRED;
	if (now < c->not_before)
		return WF_CERT_ERR_NOT_YET_VALID;
	if (now > c->not_after)
		return WF_CERT_ERR_EXPIRED;
	if (!addresses_inside(c, ca))
		return WF_CERT_ERR_ADDRESS;
	if (!routes_allowed(c, ca))
		return WF_CERT_ERR_ROUTE;
	return WF_CERT_OK;
}

/* Cheap checks can wait: the signature comes first so that nothing an
 * attacker wrote is looked at more closely than needed to reject it. */
enum wf_cert_err wf_cert_verify(const struct wf_cert *c, const struct wf_cert *ca, int64_t now)
{
	if (c->type != WF_CERT_NODE || ca->type != WF_CERT_CA)
		return WF_CERT_ERR_TYPE;
	if (!signed_by(c, ca->pubkey))
		return WF_CERT_ERR_SIGNATURE; /* also any struct that does not encode */
	return wf_cert_verify_fields(c, ca, now);
}

bool wf_cert_supersedes(const struct wf_cert *c, const struct wf_cert *incumbent, int64_t now)
{
	if (now > incumbent->not_after)
		return true;
	return !strcmp(c->name, incumbent->name) && c->not_before > incumbent->not_before;
}

bool wf_cert_owns(const struct wf_cert *c, int family, const uint8_t *addr)
{
	if (family != AF_INET && family != AF_INET6)
		return false;
	for (unsigned i = 0; i < c->n_addrs && i < WF_CERT_MAX_ADDRS; i++)
		if (wf_prefix_match(&c->addrs[i], family, addr))
			return true;
	for (unsigned i = 0; i < c->n_routes && i < WF_CERT_MAX_ROUTES; i++)
		if (wf_prefix_match(&c->routes[i], family, addr))
			return true;
	return false;
}
