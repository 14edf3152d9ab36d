/* SPDX-License-Identifier: MIT */
/*
 * Certificates: the network CA and its node certificates.
 *
 * The CA is an Ed25519 key. Its self-signed CA certificate carries the
 * network's parameters (name, overlay prefixes, cipher, and the subnets
 * outside the overlay its node certificates may route). A node certificate
 * binds a node name and X25519 public key to overlay addresses, routed
 * subnets, groups and a validity period, signed by the CA. The binary
 * encoding is in docs/protocol.md; text files carry it armored (base64
 * between BEGIN/END lines).
 *
 * Pure: time is passed in, no I/O here (file helpers are in store/keyfile.c).
 */
#ifndef WEFT_CERT_H
#define WEFT_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "crypto/crypto.h"

/*
 * Format versions: a certificate is written in the lowest version that has
 * every field it uses, so that older readers still read all that they can
 * (version 1: everything but tag 12; version 2 adds a CA's allowed routes).
 * A reader takes every version up to WF_CERT_VERSION_MAX and refuses a later
 * one whole, rather than skip a field it does not know.
 */
enum {
	WF_CERT_VERSION_1 = 1,
	WF_CERT_VERSION_2 = 2,        /* tag 12: the CA's allowed routes */
	WF_CERT_VERSION_MAX = WF_CERT_VERSION_2,
	WF_CERT_NAME_MAX = 63,      /* network, node and group names: [A-Za-z0-9._-], 1..63 */
	WF_CERT_MAX_ADDRS = 4,      /* overlay addresses of a node (v4 and/or v6) */
	WF_CERT_MAX_ROUTES = 16,    /* extra routed subnets of a node; allowed routes of a CA */
	WF_CERT_MAX_PREFIXES = 4,   /* overlay prefixes of a network (CA cert) */
	WF_CERT_MAX_GROUPS = 8,
	WF_CERT_MAX_ENCODED = 1024, /* an encoded certificate never exceeds this */
};

enum wf_cert_type {
	WF_CERT_CA = 1,
	WF_CERT_NODE = 2,
};

struct wf_cert {
	uint8_t version;
	enum wf_cert_type type;
	char network[WF_CERT_NAME_MAX + 1];
	char name[WF_CERT_NAME_MAX + 1];   /* node name; for a CA, the network name */
	uint8_t pubkey[WF_KEY_LEN];        /* node: X25519; CA: Ed25519 */
	uint64_t serial;
	int64_t not_before, not_after;     /* Unix seconds */
	enum wf_cipher cipher;             /* CA only */
	uint8_t n_addrs, n_routes, n_prefixes, n_groups, n_allowed;
	struct wf_prefix addrs[WF_CERT_MAX_ADDRS];       /* node: host prefixes */
	/* A node has routes, a CA allowed routes, never both: one array, so
	 * that every peer's certificate does not carry room for a CA field. */
	union {
		struct wf_prefix routes[WF_CERT_MAX_ROUTES];  /* node: routed subnets */
		struct wf_prefix allowed[WF_CERT_MAX_ROUTES]; /* CA: what node routes may be,
								 outside the overlay */
	};
	struct wf_prefix prefixes[WF_CERT_MAX_PREFIXES]; /* CA: overlay prefixes */
	char groups[WF_CERT_MAX_GROUPS][WF_CERT_NAME_MAX + 1];
	uint8_t signature[WF_SIG_LEN];
};

/* Why a certificate was refused; wf_cert_strerror() gives the text. */
enum wf_cert_err {
	WF_CERT_OK = 0,
	WF_CERT_ERR_TRUNCATED,     /* the encoding ends too early */
	WF_CERT_ERR_MALFORMED,     /* bad magic, field, length, trailing bytes, ... */
	WF_CERT_ERR_VERSION,       /* unknown format version */
	WF_CERT_ERR_TYPE,          /* CA where a node cert was expected, or vice versa */
	WF_CERT_ERR_SIGNATURE,     /* signature does not verify (wrong CA or tampered) */
	WF_CERT_ERR_NETWORK,       /* issued for another network */
	WF_CERT_ERR_NOT_YET_VALID,
	WF_CERT_ERR_EXPIRED,
	WF_CERT_ERR_ADDRESS,       /* an address or route outside the network's prefixes */
	WF_CERT_ERR_CA_EXPIRED,    /* the CA certificate itself is outside its validity */
	WF_CERT_ERR_ROUTE,         /* a route outside the overlay the CA does not allow */
};

const char *wf_cert_strerror(enum wf_cert_err e);
/* The same, for c refused at now (Unix seconds), with the dates when the
 * reason is time, and this host's clock: a certificate "not valid yet" on
 * one host only is that host's clock behind. Written to buf (returned). */
const char *wf_cert_explain(const struct wf_cert *c, enum wf_cert_err e, int64_t now, char *buf,
			    size_t len);

/* The format version c's fields need (the one it must carry). */
uint8_t wf_cert_version(const struct wf_cert *c);

/* Is s a valid node/network/group name? */
bool wf_cert_name_valid(const char *s);

/* Encode c (including its signature) into out; returns the length, or 0 if
 * out_cap is too small or c is invalid. */
size_t wf_cert_encode(const struct wf_cert *c, uint8_t *out, size_t out_cap);
/* Encode everything the signature covers (all but the signature). */
size_t wf_cert_encode_tbs(const struct wf_cert *c, uint8_t *out, size_t out_cap);
/* Strict decoding: every length checked, no trailing bytes, names and
 * prefixes validated. Does not check the signature. Anything that decodes
 * re-encodes to the same bytes. */
enum wf_cert_err wf_cert_decode(struct wf_cert *c, const uint8_t *in, size_t len);
/* The same; on failure *why (if why is not NULL) names the broken rule, e.g.
 * "tag out of order", for error messages. */
enum wf_cert_err wf_cert_decode_ex(struct wf_cert *c, const uint8_t *in, size_t len,
				   const char **why);
/* Would c encode? Checks what decoding checks (names, prefixes, counts, the
 * fields each type must and must not have, validity order), without the
 * size limit or the signature. WF_CERT_OK or WF_CERT_ERR_MALFORMED + *why. */
enum wf_cert_err wf_cert_check(const struct wf_cert *c, const char **why);

/* Sign c with the CA's Ed25519 private key: sets c->version to what its
 * fields need (wf_cert_version) and fills c->signature. */
bool wf_cert_sign(struct wf_cert *c, const uint8_t ca_priv[WF_KEY_LEN]) WF_MUST_CHECK;

/* Verify a CA certificate: type, self-signature and validity at now
 * (outside it: WF_CERT_ERR_CA_EXPIRED). Do this once when the CA certificate
 * is loaded: wf_cert_verify() trusts the CA's signature and checks only its
 * validity period. */
enum wf_cert_err wf_cert_verify_ca(const struct wf_cert *ca, int64_t now);
/* Verify a node certificate against the network's CA certificate: type,
 * signature, network name, validity at now, that every address lies inside
 * one of the CA's prefixes (else WF_CERT_ERR_ADDRESS), and every route inside
 * one of its prefixes or of its allowed routes (else WF_CERT_ERR_ROUTE). */
enum wf_cert_err wf_cert_verify(const struct wf_cert *c, const struct wf_cert *ca, int64_t now);

/* wf_cert_verify without the signature check: for a certificate whose exact
 * encoding verified before (see core/certcache.h). */
enum wf_cert_err wf_cert_verify_fields(const struct wf_cert *c, const struct wf_cert *ca,
				       int64_t now);

/*
 * The one rule for conflicting certificates, both verified: does c replace
 * incumbent, for the same key (a renewal) or for an overlay address both
 * claim? Only if the incumbent has expired, or c is for the same node name and
 * was issued later (a later not-before). Otherwise the incumbent stays: an old
 * certificate that is still valid never displaces the one in use.
 */
bool wf_cert_supersedes(const struct wf_cert *c, const struct wf_cert *incumbent, int64_t now);

/* May a node certificate of this CA route p: is it inside one of the CA's
 * overlay prefixes or of its allowed routes? */
bool wf_cert_route_allowed(const struct wf_cert *ca, const struct wf_prefix *p);
/* Is p inside one of the CA's overlay prefixes? */
bool wf_cert_in_network(const struct wf_cert *ca, const struct wf_prefix *p);

/* Does the raw overlay address belong to this node (one of its addresses or
 * routes)? Used to check the inner source of decrypted packets. */
bool wf_cert_owns(const struct wf_cert *c, int family, const uint8_t *addr);

#endif
