/* SPDX-License-Identifier: MIT */
/*
 * The revocation list: the serials of node certificates the CA withdrew,
 * under a version that only grows, signed by the CA. The highest version a
 * node has seen wins; every node keeps it, spreads it, refuses the
 * certificates it names and ends their sessions.
 *
 * Encoding (all integers little-endian), in docs/protocol.md:
 *   "WFRL" | format 1 | network name (1-byte length, then the name) |
 *   version (8) | issued (8, Unix seconds) | count (2) | serials (8 each,
 *   ascending, no two equal) | Ed25519 signature (64) over all before it
 * It fits one gossip message: at most WF_REVOKE_MAX serials.
 *
 * Pure: no I/O, no clock.
 */
#ifndef WEFT_REVOKE_H
#define WEFT_REVOKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cert.h"

enum {
	WF_REVOKE_FORMAT = 1,
	WF_REVOKE_MAX = 128,
	WF_REVOKE_MAX_ENCODED = 4 + 1 + 1 + WF_CERT_NAME_MAX + 8 + 8 + 2 + 8 * WF_REVOKE_MAX +
				WF_SIG_LEN,
};

struct wf_revoke {
	char network[WF_CERT_NAME_MAX + 1];
	uint64_t version; /* 0: no list */
	int64_t issued;
	uint16_t n;
	uint64_t serial[WF_REVOKE_MAX]; /* ascending */
	uint8_t signature[WF_SIG_LEN];
};

/* Add a serial (kept sorted; a serial already there is fine). False if the
 * list is full. */
bool wf_revoke_add(struct wf_revoke *r, uint64_t serial) WF_MUST_CHECK;
bool wf_revoke_has(const struct wf_revoke *r, uint64_t serial);

/* Everything the signature covers; returns the length, 0 if r is invalid. */
size_t wf_revoke_encode_tbs(const struct wf_revoke *r, uint8_t *out, size_t cap);
/* The whole list, signature included. */
size_t wf_revoke_encode(const struct wf_revoke *r, uint8_t *out, size_t cap);
/* Strict: serials ascending and unique, nothing after the signature. */
enum wf_cert_err wf_revoke_decode(struct wf_revoke *r, const uint8_t *in, size_t len);

bool wf_revoke_sign(struct wf_revoke *r, const uint8_t ca_priv[WF_KEY_LEN]) WF_MUST_CHECK;
/* Signed by this CA, for its network? */
enum wf_cert_err wf_revoke_verify(const struct wf_revoke *r, const struct wf_cert *ca);

#endif
