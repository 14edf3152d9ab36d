/* SPDX-License-Identifier: MIT */
/*
 * Sessions: the transport keys that come out of handshakes, their counters and
 * replay windows, the make-before-break rotation between them, and the rules
 * for the keys of initiations that nobody has proved yet.
 *
 * A peer's session holds two proven keypairs, as in WireGuard:
 *   current   the keypair we send with;
 *   previous  the one that was current before the last rotation, or the
 *             other end's keypair after handshakes that crossed; kept for
 *             receiving only, so that packets in flight when keys change (or
 *             sent on the other end's handshake) are not lost.
 * and, apart from them, up to WF_PENDING_SLOTS unproven keypairs:
 *   pending   responder keypairs for initiations we answered. Message 1 of
 *             Noise IX proves nothing (anyone holding the CA certificate and a
 *             member's public certificate can make one), so a pending keypair
 *             changes nothing a genuine peer relies on: not current, not
 *             previous, not the replay bar, not another pending keypair that
 *             came from where the peer really is, nor one that came from
 *             another source address. The first authentic packet on one
 *             proves it (wf_session_prove).
 *
 * Pure: no I/O; time is passed in, monotonic milliseconds for key ages and
 * wall-clock nanoseconds for handshake timestamps. Core decides, the caller
 * frees: every function that lets a keypair go hands it back in dropped[].
 */
#ifndef WEFT_SESSION_H
#define WEFT_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "common/retire.h"
#include "core/ratelimit.h"
#include "core/replay.h"
#include "crypto/crypto.h"

enum {
	WF_PENDING_SLOTS = 4,  /* unproven initiations kept per claimed key */
	WF_INIT_HASH_LEN = 16, /* what tells an exact copy of an initiation */
	/* The most keypairs one call can hand back. */
	WF_SESSION_DROP_MAX = 2 + WF_PENDING_SLOTS,
	/* AEAD contexts per direction a keypair can have: one per thread that
	 * seals or opens with it (an OpenSSL context is for one thread). */
	WF_KEYPAIR_CTX_MAX = 17,
};

/* An initiation stamped further than this ahead of our clock is refused. */
#define WF_INIT_AHEAD_MAX_NS (600ULL * 1000000000ULL)

/*
 * Threads: a keypair is made and freed by one thread (the daemon's control
 * thread), and sealed and opened by several at once, each with its own AEAD
 * contexts (ctx: 0 .. n_ctx-1). The send counter is reserved with an atomic
 * add, so no two threads ever use one nonce; the replay window is checked and
 * updated under a spinlock that is held for nothing else (the AEAD runs
 * outside it). Thread ctx keys its own contexts on its first use of the
 * keypair in each direction, and is the only one to touch them until the
 * keypair is freed. Everything else is written before the keypair is
 * published and only read after.
 */
struct wf_keypair {
	uint32_t local_index;  /* receivers put this in their data packets to us */
	uint32_t remote_index; /* we put this in our data packets to the peer */
	unsigned n_ctx;
	/* NULL until thread i first seals or opens: most threads never see
	 * most peers, and a key schedule each would cost them all. */
	struct wf_aead *send[WF_KEYPAIR_CTX_MAX], *recv[WF_KEYPAIR_CTX_MAX];
	enum wf_cipher cipher;
	uint8_t send_key[WF_KEY_LEN], recv_key[WF_KEY_LEN]; /* wiped when freed */
	/* Written for every packet sent, by whichever thread sends, and for
	 * every packet received: each on cache lines of its own, so that the
	 * threads sending and those receiving (often others) do not bounce one
	 * line, nor the read-mostly fields around them. */
	_Alignas(64) uint64_t send_counter; /* next nonce to use (atomic); reserved before encrypting */
	_Alignas(64) bool replay_lock;      /* atomic: held while the window is read or moved */
	struct wf_replay replay;
	_Alignas(64) int64_t created_ms;
	bool initiator; /* we sent the handshake initiation */
	bool proven;    /* initiator keypairs always; responder ones once used */
	/* Responder keypairs: the initiation they answer. */
	bool from_endpoint; /* it came from the endpoint the peer proved itself at */
	bool validated;     /* its mac2 proved it receives at its source */
	uint8_t source[WF_SOURCE_LEN]; /* its source address (IPv6: the /64) */
	uint64_t hs_timestamp;
	uint8_t init_hash[WF_INIT_HASH_LEN];
	struct wf_retire_link rl; /* freed later, when no thread can hold it */
};

struct wf_session {
	struct wf_keypair *current, *previous;
	struct wf_keypair *pending[WF_PENDING_SLOTS];
	/* The newest timestamp of an initiation the peer proved it sent:
	 * initiations not newer than this are replays. */
	uint64_t proven_ts;
};

/* How long keys live, all in milliseconds. rekey_after: start a new handshake;
 * reject_after: a keypair this old is never used again. */
struct wf_session_limits {
	int64_t rekey_after_ms;
	int64_t reject_after_ms;
	uint64_t rekey_after_messages;
};

void wf_session_limits_default(struct wf_session_limits *l, int64_t rekey_interval_ms);

/* How long to wait for an answer to initiation number attempts (0 = first):
 * timeout_ms doubled per attempt up to 32x, never over 60 s, then +-20 %
 * jitter from rnd so that a mesh restarted at once does not retry in step. */
int64_t wf_handshake_backoff_ms(int64_t timeout_ms, unsigned attempts, uint32_t rnd);

/* Make a keypair from the two Split() keys. The initiator sends with c1, the
 * responder with c2. An initiator's keypair is proven, a responder's not.
 * n_ctx (1 .. WF_KEYPAIR_CTX_MAX) threads may use it at once; no context is
 * keyed yet. Returns NULL when out of memory, or for a bad cipher or n_ctx. */
struct wf_keypair *wf_keypair_new(enum wf_cipher cipher, const uint8_t c1[WF_KEY_LEN],
				  const uint8_t c2[WF_KEY_LEN], bool initiator,
				  uint32_t local_index, uint32_t remote_index, int64_t now_ms,
				  unsigned n_ctx);
void wf_keypair_free(struct wf_keypair *kp);

/*
 * Encrypt a data or control message in place. pkt points to a buffer with
 * WF_DATA_HEADER_LEN bytes of header room, then len bytes of plaintext, and
 * 16 bytes of tail room for the tag. Fills the header; *out_len is the whole
 * datagram. Fails when the keypair is exhausted (counter at its limit), or
 * when the calling thread's context (number ctx) cannot be keyed for want of
 * memory: then no nonce is spent and nothing is written.
 */
bool wf_keypair_seal(struct wf_keypair *kp, unsigned ctx, uint8_t type, uint8_t *pkt, size_t len,
		     size_t *out_len) WF_MUST_CHECK;
/*
 * Decrypt a received data/control datagram (header included) in place. On
 * success *plain points into pkt at the plaintext and *plain_len is its length;
 * the replay window is updated. *replayed tells a replay from a forgery (or
 * from a context that could not be keyed for want of memory).
 */
bool wf_keypair_open(struct wf_keypair *kp, unsigned ctx, uint8_t *pkt, size_t len,
		     uint8_t **plain, size_t *plain_len, bool *replayed) WF_MUST_CHECK;
/* Can kp still be sent with at now (not too old, counter not at its end)?
 * Safe while other threads send with it. */
bool wf_keypair_usable(const struct wf_keypair *kp, const struct wf_session_limits *l,
		       int64_t now_ms);

/* What to do with a new initiation claiming this session's peer. */
enum wf_init_verdict {
	WF_INIT_ACCEPT,    /* answer it; its keypair goes to pending slot *slot */
	WF_INIT_REPLAY,    /* not newer than the newest proven initiation */
	WF_INIT_DUPLICATE, /* an exact copy of one already pending */
	WF_INIT_FUTURE,    /* stamped more than WF_INIT_AHEAD_MAX_NS ahead of now */
	WF_INIT_BUSY,      /* every slot it may take is another source's: prove the address */
};

/* An initiation as the responder sees it before spending anything on it. */
struct wf_init_seen {
	const uint8_t *hash;   /* WF_INIT_HASH_LEN bytes: tells the message */
	uint64_t ts;           /* its timestamp */
	const uint8_t *source; /* WF_SOURCE_LEN bytes: who sent it (wf_source_of) */
	bool from_endpoint;    /* from the endpoint the peer last proved itself at */
	bool validated;        /* its mac2 proved it receives at its source */
};

/*
 * Judge an initiation before spending anything on it (now_ns: our wall
 * clock). On WF_INIT_ACCEPT, *slot is the pending slot its keypair will take:
 *   slot 0, only for initiations from the peer's proven endpoint (so nobody
 *   elsewhere can evict the one that came from there);
 *   else the shared slot its source holds already (one a source: a sender
 *   pushes out only its own), or a free one;
 *   else, all taken by other sources: an initiation that proved its address
 *   (validated) takes the oldest that did not, or the oldest of all; one that
 *   did not is WF_INIT_BUSY: answer with a cookie, so that a genuine
 *   initiator comes back with its address proved and gets in, while a forger
 *   from spoofed addresses never can.
 */
enum wf_init_verdict wf_session_judge(const struct wf_session *s, const struct wf_init_seen *in,
				      uint64_t now_ns, int *slot);
/* Put an unproven responder keypair in the slot wf_session_judge chose. The
 * keypair that was there, if any, is handed back in *dropped. */
void wf_session_add_pending(struct wf_session *s, int slot, struct wf_keypair *kp,
			    struct wf_keypair **dropped);
/*
 * An authentic packet arrived on pending keypair kp: the initiation behind it
 * is proven. Its timestamp becomes the replay bar, the pending keypairs not
 * newer than it go, and kp rotates in: it becomes current unless current is
 * newer (our own handshake completed after we answered, i.e. they crossed),
 * in which case it becomes previous, so each end keeps sending on its own
 * handshake's keys and reads the other's. The keypairs that fell out are in
 * dropped[0..WF_SESSION_DROP_MAX) (NULL-filled).
 */
void wf_session_prove(struct wf_session *s, struct wf_keypair *kp,
		      struct wf_keypair *dropped[WF_SESSION_DROP_MAX]);
/* Install the keypair of a handshake we initiated and that was answered: the
 * responder holds it pending until our first packet, so it is current at once;
 * current becomes previous and the old previous is handed back in *dropped. */
void wf_session_install(struct wf_session *s, struct wf_keypair *kp, struct wf_keypair **dropped);
/* When we answered the youngest initiation from where the peer proved itself
 * that is still unproven (its keypair's creation), 0 if none: the timer
 * rules (core/lifecycle.h) hold our own handshake back for its proof. */
int64_t wf_session_answered_ms(const struct wf_session *s);
/* The keypair to send with, or NULL if none is usable at now. */
struct wf_keypair *wf_session_sendable(const struct wf_session *s, const struct wf_session_limits *l,
				       int64_t now_ms);
/* Should we start a new handshake before sending? (current is old or worn) */
bool wf_session_wants_rekey(const struct wf_session *s, const struct wf_session_limits *l,
			    int64_t now_ms);
/* Move expired keypairs (pending ones too) out into dropped[] (NULL-filled);
 * returns how many. */
int wf_session_expire(struct wf_session *s, const struct wf_session_limits *l, int64_t now_ms,
		      struct wf_keypair *dropped[WF_SESSION_DROP_MAX]);
/* Remove all keypairs into dropped[]; the replay bar stays. */
void wf_session_clear(struct wf_session *s, struct wf_keypair *dropped[WF_SESSION_DROP_MAX]);

#endif
