/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "core/certcache.h"

/* Refusals that no later moment can turn into an acceptance. */
static bool permanent(enum wf_cert_err e)
{
	return e != WF_CERT_OK && e != WF_CERT_ERR_NOT_YET_VALID && e != WF_CERT_ERR_EXPIRED &&
	       e != WF_CERT_ERR_CA_EXPIRED;
}

static enum wf_cert_err first_look(struct wf_certcache *c, const struct wf_cert *ca,
				   const uint8_t *enc, size_t len, int64_t now,
				   struct wf_cert *out, enum wf_cert_err *cached)
{
	enum wf_cert_err e = wf_cert_decode(out, enc, len);

	if (e == WF_CERT_OK) {
		c->verifications++;
		e = wf_cert_verify(out, ca, now);
	}
	/* Past the signature, a date refusal says the signature was good. */
	*cached = permanent(e) ? e : WF_CERT_OK;
	return e;
}

enum wf_cert_err wf_certcache_verify(struct wf_certcache *c, const struct wf_cert *ca,
				     const uint8_t *enc, size_t len, int64_t now,
				     struct wf_cert *out, bool *repeat)
{
	uint8_t hash[WF_SHA256_LEN];
	enum wf_cert_err e;
	unsigned i;

	memset(out, 0, sizeof(*out));
	*repeat = false;
	if (!wf_sha256(hash, enc, len)) {
		e = wf_cert_decode(out, enc, len);
		return e == WF_CERT_OK ? wf_cert_verify(out, ca, now) : e;
	}
	i = (hash[0] | (unsigned)hash[1] << 8) % WF_CERTCACHE_SLOTS;
	if (c->slot[i].used && !memcmp(c->slot[i].hash, hash, sizeof(hash))) {
		c->hits++;
		e = c->slot[i].err;
		if (e == WF_CERT_OK) {
			e = wf_cert_decode(out, enc, len);
			if (e == WF_CERT_OK)
				e = wf_cert_verify_fields(out, ca, now);
		} else if (e >= WF_CERT_ERR_TYPE) {
			(void)wf_cert_decode(out, enc, len); /* for the name in messages */
		}
	} else {
		enum wf_cert_err cached;

		e = first_look(c, ca, enc, len, now, out, &cached);
		memcpy(c->slot[i].hash, hash, sizeof(hash));
		c->slot[i].used = true;
		c->slot[i].err = cached;
		c->slot[i].logged = WF_CERT_OK;
	}
	*repeat = c->slot[i].logged == e && e != WF_CERT_OK;
	c->slot[i].logged = e;
	return e;
}
