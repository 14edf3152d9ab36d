/* SPDX-License-Identifier: MIT */
/*
 * Sessions: the transport keys that come out of a handshake, their counters
 * and replay windows, and the make-before-break rotation between them.
 *
 * A peer has up to three keypairs (as in WireGuard):
 *   next      a responder's fresh keypair, not yet confirmed: the initiator
 *             has not yet sent anything on it, so we must not send on it;
 *   current   the keypair we send with;
 *   previous  the keypair that was current before the last rotation, or
 *             the unconfirmed next of a handshake that crossed ours; kept
 *             for receiving only, so that packets in flight when keys change
 *             (or sent on the other end's handshake) are not lost.
 * Pure: no I/O; time is passed in as monotonic milliseconds.
 */
#ifndef WEFT_SESSION_H
#define WEFT_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "core/replay.h"
#include "crypto/crypto.h"

struct wf_keypair {
	uint32_t local_index;  /* receivers put this in their data packets to us */
	uint32_t remote_index; /* we put this in our data packets to the peer */
	struct wf_aead *send, *recv;
	uint64_t send_counter; /* next nonce to use; reserved before encrypting */
	struct wf_replay replay;
	int64_t created_ms;
	bool initiator; /* we sent the handshake initiation */
	uint64_t hs_timestamp; /* responder: the initiation's timestamp, kept
				* for the peer once a packet arrives on it */
};

struct wf_session {
	struct wf_keypair *next, *current, *previous;
};

/* How long keys live, all in milliseconds. rekey_after: start a new handshake;
 * reject_after: a keypair this old is never used again. */
struct wf_session_limits {
	int64_t rekey_after_ms;
	int64_t reject_after_ms;
	uint64_t rekey_after_messages;
};

enum { WF_REKEY_AFTER_MESSAGES_DEFAULT = 0 }; /* see wf_session_limits_default */

void wf_session_limits_default(struct wf_session_limits *l, int64_t rekey_interval_ms);

/* How long to wait for an answer to initiation number attempts (0 = first):
 * timeout_ms doubled per attempt up to 32x, never over 60 s, then +-20 %
 * jitter from rnd so that a mesh restarted at once does not retry in step. */
int64_t wf_handshake_backoff_ms(int64_t timeout_ms, unsigned attempts, uint32_t rnd);

/* Make a keypair from the two Split() keys. The initiator sends with c1, the
 * responder with c2. Returns NULL on allocation or key-setup failure. */
struct wf_keypair *wf_keypair_new(enum wf_cipher cipher, const uint8_t c1[WF_KEY_LEN],
				  const uint8_t c2[WF_KEY_LEN], bool initiator,
				  uint32_t local_index, uint32_t remote_index, int64_t now_ms);
void wf_keypair_free(struct wf_keypair *kp);

/*
 * Encrypt a data or control message in place. pkt points to a buffer with
 * WF_DATA_HEADER_LEN bytes of header room, then len bytes of plaintext, and
 * 16 bytes of tail room for the tag. Fills the header; *out_len is the whole
 * datagram. Fails when the keypair is exhausted (counter at its limit).
 */
bool wf_keypair_seal(struct wf_keypair *kp, uint8_t type, uint8_t *pkt, size_t len,
		     size_t *out_len) WF_MUST_CHECK;
/*
 * Decrypt a received data/control datagram (header included) in place. On
 * success *plain points into pkt at the plaintext and *plain_len is its length;
 * the replay window is updated. *replayed tells a replay from a forgery.
 */
bool wf_keypair_open(struct wf_keypair *kp, uint8_t *pkt, size_t len, uint8_t **plain,
		     size_t *plain_len, bool *replayed) WF_MUST_CHECK;

/* Install a keypair that a finished handshake produced. An initiator's
 * keypair becomes current at once (the responder already has it); a
 * responder's waits in next until the initiator uses it. An unconfirmed next
 * met by an initiator's keypair (crossing handshakes) moves to previous,
 * since the other end sends on it. Returns the keypairs that fell out (to be
 * unregistered and freed by the caller) in dropped[0..1]. */
void wf_session_install(struct wf_session *s, struct wf_keypair *kp,
			struct wf_keypair *dropped[2]);
/* A packet arrived on kp: if kp is next, it is confirmed and rotates in.
 * Returns the keypair that fell out, or NULL. */
struct wf_keypair *wf_session_received(struct wf_session *s, struct wf_keypair *kp);
/* The keypair to send with, or NULL if none is usable at now. */
struct wf_keypair *wf_session_sendable(const struct wf_session *s, const struct wf_session_limits *l,
				       int64_t now_ms);
/* Should we start a new handshake before sending? (current is old or worn) */
bool wf_session_wants_rekey(const struct wf_session *s, const struct wf_session_limits *l,
			    int64_t now_ms);
/* Move expired keypairs out into dropped[0..2] (NULL-filled); returns how many. */
int wf_session_expire(struct wf_session *s, const struct wf_session_limits *l, int64_t now_ms,
		      struct wf_keypair *dropped[3]);
/* Remove all keypairs into dropped[0..2]. */
void wf_session_clear(struct wf_session *s, struct wf_keypair *dropped[3]);

#endif
