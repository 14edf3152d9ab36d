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
 *
 * In the mesh a list travels in REVOKED control messages (kind 10), cut in
 * chunks of WF_REVOKE_CHUNK_DATA bytes, each message padded to exactly
 * WF_REVOKE_CHUNK_LEN so that its length tells neither the list's size nor
 * its version:
 *   kind 0x0A | version (8) | index (2) | count (2) | length (2) |
 *   `length` bytes of the encoded list, from index x WF_REVOKE_CHUNK_DATA |
 *   zeros up to WF_REVOKE_CHUNK_LEN
 * A receiver puts each sender's chunks together apart from everyone else's
 * (struct wf_revoke_asms), so a member that lies spoils only its own
 * assembly; what is put together is decoded, then verified by the caller.
 *
 * Pure: no I/O, no clock (time is passed in).
 */
#ifndef WEFT_REVOKE_H
#define WEFT_REVOKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cert.h"

enum {
	WF_REVOKE_FORMAT = 1,
	/* Serials at most. A certificate leaves the list once it has expired
	 * (weft ca revoke prunes it), so this bounds the certificates withdrawn
	 * within one certificate lifetime: in a 10,000-member network, 40 % of
	 * the members, or 13 % if each revoked one still holds three live
	 * certificates (renewals). The cost grows with it: 32 KiB encoded (28
	 * chunks), held and sent whole by every node. */
	WF_REVOKE_MAX = 4096,
	WF_REVOKE_MAX_ENCODED = 4 + 1 + 1 + WF_CERT_NAME_MAX + 8 + 8 + 2 + 8 * WF_REVOKE_MAX +
				WF_SIG_LEN,
	/* Every REVOKED message: the gossip MTU (1,200 bytes of plaintext, the
	 * size of the largest gossip messages). */
	WF_REVOKE_CHUNK_LEN = 1200,
	WF_REVOKE_CHUNK_HEAD = 1 + 8 + 2 + 2 + 2, /* kind version index count length */
	WF_REVOKE_CHUNK_DATA = WF_REVOKE_CHUNK_LEN - WF_REVOKE_CHUNK_HEAD,
	WF_REVOKE_CHUNKS_MAX =
	    (WF_REVOKE_MAX_ENCODED + WF_REVOKE_CHUNK_DATA - 1) / WF_REVOKE_CHUNK_DATA,
	/* Reassembly: this many senders' lists at once; an assembly younger
	 * than FRESH is never pushed out for another (a sender's chunks come
	 * in one burst), and one that is not complete after ASM_MS is dropped. */
	WF_REVOKE_ASM_MAX = 4,
	WF_REVOKE_ASM_FRESH_MS = 1000,
	WF_REVOKE_ASM_MS = 10000,
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

/* --- Chunks: the REVOKED message ------------------------------------------------ */

struct wf_revoke_chunk {
	uint64_t version;      /* the list's, not 0 */
	uint16_t index, count; /* index < count <= WF_REVOKE_CHUNKS_MAX */
	uint16_t len;          /* WF_REVOKE_CHUNK_DATA but in the last chunk; not 0 */
	const uint8_t *data;   /* len bytes of the encoded list */
};

/* How many chunks an encoded list of len bytes takes; 0 if it cannot be. */
unsigned wf_revoke_chunk_count(size_t len);
/* Chunk i (< wf_revoke_chunk_count(len)) of the encoded list enc. */
struct wf_revoke_chunk wf_revoke_chunk_at(const uint8_t *enc, size_t len, uint64_t version,
					  unsigned i);
/* The REVOKED message of c: exactly WF_REVOKE_CHUNK_LEN bytes. */
void wf_revoke_chunk_encode(const struct wf_revoke_chunk *c, uint8_t out[WF_REVOKE_CHUNK_LEN]);
/* Strict: the exact length, a consistent header, zeros after the bytes.
 * c->data points into msg. */
bool wf_revoke_chunk_decode(struct wf_revoke_chunk *c, const uint8_t *msg,
			    size_t len) WF_MUST_CHECK;

/* --- Reassembly, per sender ---------------------------------------------------- */

struct wf_revoke_asm {
	uint8_t from[WF_KEY_LEN]; /* the sender's key */
	uint64_t version;
	int64_t started_ms; /* its first chunk (a newer version from it keeps this) */
	uint16_t count, got, last_len;
	uint8_t have[(WF_REVOKE_CHUNKS_MAX + 7) / 8];
	uint8_t *buf; /* count x WF_REVOKE_CHUNK_DATA bytes; NULL: the slot is free */
};

struct wf_revoke_asms {
	struct wf_revoke_asm a[WF_REVOKE_ASM_MAX];
};

enum wf_revoke_asm_res {
	WF_RA_KEPT,    /* taken (or a copy of one taken); more to come */
	WF_RA_DONE,    /* the sender's list is complete and decodes: in *out, not verified */
	WF_RA_OLD,     /* older than the version this sender is being assembled: ignored */
	WF_RA_REFUSED, /* does not fit the sender's chunks so far, or the whole does not
			* decode: that sender's assembly is dropped */
	WF_RA_BUSY,    /* every slot holds a fresh assembly (or no memory): ignored */
};

/* Take chunk c from the member whose key is `from`. Assemblies older than
 * WF_REVOKE_ASM_MS are dropped first. out is written only for WF_RA_DONE. */
enum wf_revoke_asm_res wf_revoke_asm_add(struct wf_revoke_asms *s, const uint8_t *from,
					 const struct wf_revoke_chunk *c, int64_t now,
					 struct wf_revoke *out) WF_MUST_CHECK;
/* Drop the assemblies older than WF_REVOKE_ASM_MS, and those of a version
 * up to `held` (the version held now: they can bring nothing new). */
void wf_revoke_asm_expire(struct wf_revoke_asms *s, int64_t now, uint64_t held);
/* Assemblies under way. */
unsigned wf_revoke_asm_busy(const struct wf_revoke_asms *s);
void wf_revoke_asm_free(struct wf_revoke_asms *s);

/* --- Notices: the list told to a host it names (revoke_notice.c) --------------- */

/*
 * A member that refuses an initiation because the initiator's certificate is
 * revoked answers with a piece of the list, in clear (there is no session):
 *   type 6 | protocol version | 0 0 | receiver (4: the initiation's sender
 *   index) | list version (8) | total (4: the encoded list's length) |
 *   offset (4) | bytes offset .. offset + n of the encoded list
 * never longer than the initiation it answers: pieces of that length less
 * the head, one per initiation, the next at each refusal. The initiator puts
 * the bytes together (struct wf_revoke_pieces) and verifies the whole
 * against its CA certificate: nobody can make it believe a list the CA did
 * not sign.
 */
enum {
	WF_REVOKE_NOTICE_HEAD = 1 + 1 + 2 + 4 + 8 + 4 + 4,
};

struct wf_revoke_notice {
	uint32_t receiver;
	uint64_t version;      /* not 0 */
	uint32_t total, offset; /* offset + len <= total <= WF_REVOKE_MAX_ENCODED */
	uint16_t len;          /* not 0 */
	const uint8_t *data;   /* len bytes, into the message */
};

/* Piece `turn` (counted round the list) of the encoded list enc as a notice
 * of at most cap bytes (the initiation's length) in out. Returns its length,
 * 0 if cap leaves no room for a byte of the list. */
size_t wf_revoke_notice_encode(uint8_t *out, size_t cap, uint32_t receiver, uint64_t version,
			       const uint8_t *enc, size_t enc_len, uint64_t turn);
/* Strict: type, protocol version, zero reserved bytes, a piece within the
 * list's length. n->data points into msg. */
bool wf_revoke_notice_decode(struct wf_revoke_notice *n, const uint8_t *msg,
			     size_t len) WF_MUST_CHECK;

/* The pieces of one list, by byte; another version or length starts anew
 * (a liar's pieces spoil an assembly, the verification refuses it, and the
 * next refusals bring the list again). */
struct wf_revoke_pieces {
	uint64_t version;
	uint32_t total, got;
	uint8_t have[(WF_REVOKE_MAX_ENCODED + 7) / 8];
	uint8_t buf[WF_REVOKE_MAX_ENCODED];
};

void wf_revoke_pieces_reset(struct wf_revoke_pieces *p);
/* WF_RA_KEPT (more to come), WF_RA_DONE (complete and decoded into *out,
 * not verified), or WF_RA_REFUSED (complete but not a list: started anew). */
enum wf_revoke_asm_res wf_revoke_pieces_add(struct wf_revoke_pieces *p,
					    const struct wf_revoke_notice *n,
					    struct wf_revoke *out) WF_MUST_CHECK;

/* What a host makes of a list it was told (decoded), holding version held
 * and a certificate of serial own. */
enum wf_revoke_told {
	WF_TOLD_FORGED, /* not signed by its CA for its network */
	WF_TOLD_OLD,    /* no newer than the one it holds: nothing to learn */
	WF_TOLD_NEWER,  /* the CA's, newer, not naming it */
	WF_TOLD_SELF,   /* the CA's, newer, and it names this host's certificate */
};
enum wf_revoke_told wf_revoke_told_judge(const struct wf_revoke *r, const struct wf_cert *ca,
					 uint64_t held, uint64_t own);

#endif
