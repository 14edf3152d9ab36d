/* SPDX-License-Identifier: MIT */
/*
 * Verdicts on certificates seen before, keyed by the SHA-256 of their exact
 * encoding. Members present the same certificate in every handshake and every
 * MEMBER message, and anyone with the CA certificate can replay one; with the
 * cache, a certificate seen before costs a hash and a decode, not an Ed25519
 * verification. Refusals are kept too, so a bad certificate sent again costs
 * nothing and is logged once (*repeat), not on every retry.
 *
 * What is cached is what cannot change: the signature, and refusals for
 * reasons that time does not cure. Validity dates and the CA's are checked on
 * every use. Direct-mapped: a newcomer takes its slot from whoever had it,
 * which only ever costs a verification again. One cache per CA certificate:
 * clear it (memset) when the CA changes. Pure: time is passed in.
 */
#ifndef WEFT_CERTCACHE_H
#define WEFT_CERTCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cert.h"

enum { WF_CERTCACHE_SLOTS = 1024 };

struct wf_certcache {
	struct {
		uint8_t hash[WF_SHA256_LEN];
		bool used;
		enum wf_cert_err err;    /* WF_CERT_OK: the signature verified */
		enum wf_cert_err logged; /* the last verdict reported for it */
	} slot[WF_CERTCACHE_SLOTS];
	uint64_t hits, verifications;
};

/* Decode enc and verify it against ca at now, as wf_cert_verify would, with
 * the cache. *repeat is true when the same verdict was given for this exact
 * certificate the last time (so a refusal need not be logged again). */
enum wf_cert_err wf_certcache_verify(struct wf_certcache *c, const struct wf_cert *ca,
				     const uint8_t *enc, size_t len, int64_t now,
				     struct wf_cert *out, bool *repeat);

#endif
