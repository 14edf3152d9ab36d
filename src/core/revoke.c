/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "common/bytes.h"
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
	if (!nlen || nlen > WF_CERT_NAME_MAX)
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
