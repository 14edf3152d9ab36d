/* SPDX-License-Identifier: MIT */
/*
 * The membership core: who is in the mesh, and whether they are alive.
 *
 * SWIM with Lifeguard's refinements, as a state machine. Each node probes one
 * member per period (a PING, answered by an ACK); a member that does not
 * answer in time is probed through `indirect` others (PING_REQ, each of which
 * pings it and relays the ACK, or says NACK when it got none); a member that
 * answers neither way becomes suspect, and dead once its suspicion times out.
 * The timeout starts long and shrinks as other members independently confirm
 * the suspicion; a member hears that it is suspected and refutes it by raising
 * its incarnation. Lifeguard's local health scales this node's own probe
 * period and timeout up when it misses acks or nacks (a slow node suspects
 * others less), and down again as probes succeed.
 *
 * An ACK that the probed member itself sends for the PING in flight times
 * the round trip to it (wf_gmember.srtt_us): not an ACK relayed by another
 * (that is the helper's path), not one for another sequence number or one
 * that comes after the probe ended, so no member can make this node record
 * a round trip for a third. RFC 6298's smoothing rather than a bare EWMA:
 * the same gain (1/8) plus the variation, which says how far the figure can
 * be trusted. The clock is the caller's milliseconds: a round trip under one
 * averages out over samples, as where the millisecond edges fall varies.
 *
 * Changes (alive, suspect, dead, left, each with the member's incarnation)
 * ride on every probe message and on gossip messages to `fanout` random
 * members, each a bounded number of times (retransmit_mult x log10 N), the
 * least sent first. Every sync period (longer as the mesh grows) a node
 * compares tables with one random member by 64 bucket digests; only buckets
 * that differ are sent, in datagrams no larger than the MTU, at most
 * sync_records records an exchange, and a node answers at most sync_answers
 * exchanges a second. An exchange that taught us something is repeated a
 * second later (a joining node fills its table this way).
 *
 * Pure: time (monotonic ms), randomness (a seed) and I/O are passed in; what
 * is to be sent is appended to a struct wf_gossip_out the caller drains, with
 * the events the caller acts on (a member learned, a state changed, a member
 * forgotten). The caller hands in only messages from authenticated peers:
 * the `from` key is the one its session proved. The core trusts nothing a
 * member says about a third: it can change that third's liveness, never its
 * key, and an endpoint from it is only a hint (the caller handshakes to
 * confirm it).
 */
#ifndef WEFT_GOSSIP_H
#define WEFT_GOSSIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	WF_GOSSIP_KEY_LEN = 32,
	WF_GOSSIP_EP_MAX = 19, /* opaque endpoint: family byte, address, port */
	WF_GOSSIP_MTU_MAX = 1400,
	WF_GOSSIP_BUCKETS = 64,
	WF_GOSSIP_TX_MAX = 32,  /* retransmission limit, at most */
	WF_GOSSIP_CONFIRM_MAX = 8,
	WF_GOSSIP_RELAYS = 64,  /* indirect probes this node runs for others at once */
	WF_GOSSIP_RING_MAX = 8,   /* sparse: ring neighbours on each side, at most */
	WF_GOSSIP_CHORDS_MAX = 8, /* sparse: random members kept besides, on average, at most */
	WF_GOSSIP_WANT_MAX = 2 * WF_GOSSIP_RING_MAX + 4 * WF_GOSSIP_CHORDS_MAX + 1,
	WF_GOSSIP_WAIT_TICK_MS = 250, /* records waiting for a certificate: looked at this often */
	/* SYNC: kind, flags, live count (4), epoch (8), then the digests. */
	WF_GOSSIP_SYNC_DIGESTS = 1 + 1 + 4 + 8,
	WF_GOSSIP_SYNC_LEN = WF_GOSSIP_SYNC_DIGESTS + WF_GOSSIP_BUCKETS * 8,
};

/* Message kinds, the first byte (shared with the daemon's WF_CTL_ kinds). */
enum wf_gossip_kind {
	WF_GOSSIP_PING = 2,
	WF_GOSSIP_ACK = 3,
	WF_GOSSIP_PING_REQ = 4,
	WF_GOSSIP_NACK = 5,
	WF_GOSSIP_UPDATES = 6,
	WF_GOSSIP_SYNC = 7,
	WF_GOSSIP_SYNC_PULL = 8,
};

/* Liveness; the values are on the wire. */
enum wf_gossip_state { WF_GS_ALIVE, WF_GS_SUSPECT, WF_GS_DEAD, WF_GS_LEFT, WF_GS_MAX };

/* How a member was last learned of. */
enum wf_gossip_how { WF_GH_SELF, WF_GH_DIRECT, WF_GH_GOSSIP, WF_GH_SYNC };

struct wf_gossip_cfg {
	unsigned probe_ms;         /* one probe a period (Lifeguard scales it) */
	unsigned probe_timeout_ms; /* wait this long for a direct ACK */
	unsigned indirect;         /* members asked to probe for us */
	unsigned gossip_ms;        /* changes go out this often ... */
	unsigned fanout;           /* ... to this many random members */
	unsigned retransmit_mult;  /* a change is sent mult x ceil(log10(N+1)) times */
	unsigned queue_max;        /* changes queued at most (the most sent dropped) */
	unsigned suspicion_mult;   /* minimum suspicion: mult x log10(N) probe periods */
	unsigned suspicion_max;    /* maximum suspicion: this many minimums */
	unsigned sync_ms;          /* table comparison with one member (scaled up past 32) */
	unsigned sync_records;     /* records sent in one exchange, at most */
	unsigned sync_answers;     /* exchanges answered per second, at most */
	unsigned reconnect_ms;     /* a comparison with a random dead member this often */
	unsigned awareness_max;    /* local health multiplier: 0 .. max - 1 */
	unsigned forget_ms;        /* a dead or left member is forgotten after this */
	unsigned mtu;              /* no message larger (<= WF_GOSSIP_MTU_MAX) */
	/* A sparse mesh (wf_gossip_set_sparse): the members this node keeps
	 * sessions with, the only ones it probes and gossips to. */
	unsigned ring;             /* its neighbours by key order, on each side (probed) */
	unsigned chords;           /* random members besides, on average (short paths) */
	/* Records of keys this node holds no certificate of wait for one
	 * (wf_gossip_certified) this long, at most wait_teller of them from
	 * one member and wait_max in all. */
	unsigned wait_ms, wait_teller, wait_max;
	unsigned sync_gap_ms;  /* one member's comparisons: one answered this often, two at once */
	unsigned relay_per;    /* probes relayed at once for one member, at most */
};

/* The defaults (memberlist's LAN figures, forget after an hour). */
void wf_gossip_cfg_default(struct wf_gossip_cfg *cfg);

struct wf_gmember {
	uint8_t key[WF_GOSSIP_KEY_LEN];
	uint64_t inc;
	int64_t since_ms; /* when it entered its state */
	uint32_t bq_next, bq_prev; /* its change in the send queue (index + 1) ... */
	uint32_t pos;              /* its place in susp[] while suspect, dead[] while dead or left */
	int16_t bq_tx;             /* ... sent this many times; -1: not queued */
	uint8_t state;    /* enum wf_gossip_state; WF_GS_MAX: a free slot */
	uint8_t how;      /* enum wf_gossip_how */
	uint8_t ep_len;
	uint8_t ep[WF_GOSSIP_EP_MAX]; /* a hint: where the last teller reaches it */
	uint8_t flags;    /* WF_GM_LINK, WF_GM_WANT */
	uint16_t told;    /* its records of others that wait for a certificate */
	uint16_t sync_refused, relay_refused; /* its requests over its share (saturating) */
	int64_t sync_tat; /* its comparisons' budget (core/ratelimit.h) */
	/* The round trip of our PINGs it ACKed itself (RFC 6298's smoothing,
	 * microseconds of the caller's millisecond clock); 0 samples: none. */
	uint32_t srtt_us, rttvar_us, rtt_samples;
};

/* A record of a key this node holds no certificate of: it waits apart from
 * the table (no size, ring, digest or probe sees it) until the caller has
 * verified the key's certificate, and is dropped after cfg.wait_ms. */
struct wf_gwait {
	uint8_t key[WF_GOSSIP_KEY_LEN];
	uint64_t inc;
	int64_t since_ms;
	int64_t ask_ms;  /* when to ask (again) for its certificate */
	uint32_t teller; /* the member who told us (its index) */
	uint8_t how;     /* enum wf_gossip_how */
	uint8_t asks;    /* times the certificate was asked for */
	bool teller_asked;
	uint8_t ep_len;
	uint8_t ep[WF_GOSSIP_EP_MAX];
};

enum {
	WF_GM_LINK = 1, /* a session with it can carry messages (wf_gossip_link) */
	WF_GM_WANT = 2, /* sparse: this node keeps a session with it */
	WF_GM_RING = 4, /* sparse: ... as a ring neighbour (probed by us) */
};

/* A suspicion this node holds: when the member dies unless refuted. */
struct wf_gsuspect {
	uint32_t member;
	uint8_t n_confirm;
	uint32_t confirm[WF_GOSSIP_CONFIRM_MAX]; /* who confirmed (key hashes) */
	int64_t start_ms, deadline_ms;
};

enum wf_gossip_event_kind {
	WF_GE_NEW,      /* a member we did not know; `from` told us (or it is it) */
	WF_GE_STATE,    /* a member's state changed */
	WF_GE_ENDPOINT, /* a member's endpoint hint changed */
	WF_GE_FORGET,   /* a dead or left member was forgotten */
	WF_GE_EPOCH,    /* `from` compared tables with another epoch (value: theirs) */
	WF_GE_CERT,     /* a record of `key` waits for its certificate: ask `from` for it */
};

struct wf_gossip_event {
	uint8_t kind, state;
	uint8_t key[WF_GOSSIP_KEY_LEN];
	uint8_t from[WF_GOSSIP_KEY_LEN];
	uint64_t value;
};

struct wf_gossip_msg {
	uint8_t to[WF_GOSSIP_KEY_LEN];
	uint16_t len;
	uint8_t buf[WF_GOSSIP_MTU_MAX];
};

/* What one call produced. The caller sets the capacities and arrays, and
 * empties it (n = n_ev = 0) when it has acted on it; what does not fit is
 * counted in `dropped` and not sent (a bounded loss the protocol repairs). */
struct wf_gossip_out {
	struct wf_gossip_msg *msg;
	struct wf_gossip_event *ev;
	unsigned n, cap, n_ev, ev_cap;
	unsigned long dropped;
};

struct wf_gossip_stats {
	uint64_t msgs_out, bytes_out, msgs_in, bytes_in;
	uint64_t malformed, probes, probes_failed, indirect_ok;
	uint64_t suspected, died, refuted, syncs, sync_refused;
	uint64_t waited, wait_refused, wait_expired, certified, relay_refused;
};

struct wf_gossip {
	struct wf_gossip_cfg cfg;
	uint64_t rng;
	struct wf_gmember *m; /* m[0] is this node */
	uint32_t n, cap;
	uint64_t *slot; /* open addressing by key: hash tag, member index + 1; 0 empty */
	uint32_t n_slot;
	uint32_t n_live;  /* alive or suspect, this node included */
	uint32_t n_known; /* members in the table (any state), this node included */
	uint32_t free_head; /* forgotten slots to reuse: index + 1, 0 none */
	uint64_t hseed;     /* keys the slot hash */
	uint64_t digest[WF_GOSSIP_BUCKETS];
	struct wf_gsuspect *susp;
	uint32_t n_susp, cap_susp;
	uint32_t *dead; /* dead or left, to be forgotten */
	uint32_t n_dead, cap_dead;
	int64_t next_deadline_ms; /* no suspicion ends before this */
	int64_t next_forget_ms;

	/* The probe round: members in a shuffled order. */
	uint32_t *order;
	uint32_t n_order, cap_order, order_pos;
	int64_t next_probe_ms;
	struct {
		uint32_t target; /* member index, 0: none in flight */
		uint32_t seq;
		int64_t start_ms, indirect_ms, end_ms;
		bool acked, indirect_sent;
		unsigned nacks_expected, nacks;
	} probe;
	uint32_t seq;
	unsigned awareness;

	/* Probes run for others: our seq -> theirs. */
	struct {
		uint32_t seq, origin, origin_seq, target;
		int64_t nack_ms; /* 0: slot free */
	} relay[WF_GOSSIP_RELAYS];

	/* Changes to send, in lists by the times each was sent (heads: index
	 * + 1, newest first), linked through the members. */
	uint32_t bq[WF_GOSSIP_TX_MAX];
	uint32_t n_bq;
	int64_t next_gossip_ms;

	int64_t next_sync_ms, answers_reset_ms, next_reconnect_ms;
	uint32_t sync_soon; /* a member to compare with first (0: none) */
	uint32_t sync_with[2]; /* whose SYNC_PULL we take: a live member, a dead one */
	unsigned sync_answered;

	/* Who messages can go to (wf_gossip_link), and in a sparse mesh who
	 * this node keeps sessions with: the ring, the chords, and one dead
	 * member called back each reconnect period (reach). */
	bool sparse;
	uint32_t *lnk;
	uint32_t n_lnk, cap_lnk;
	uint32_t want[WF_GOSSIP_WANT_MAX];
	uint32_t n_want;
	uint32_t reach;
	int64_t next_links_ms;

	/* Records waiting for a certificate (gossip_wait.c), unordered. */
	struct wf_gwait *wait;
	uint32_t n_wait, cap_wait;
	int64_t next_wait_ms;

	/* Opaque to the core, carried in every SYNC (the daemon's revocation
	 * list version): a comparison with a member whose epoch differs is
	 * an event, so that the newer side hands the older its list. */
	uint64_t epoch;

	struct wf_gossip_stats st;
};

/* Start with this node alone, at incarnation inc (make it grow across
 * restarts: the daemon uses the wall clock). Returns false if out of memory. */
bool wf_gossip_init(struct wf_gossip *g, const struct wf_gossip_cfg *cfg,
		    const uint8_t *self, uint64_t inc, uint64_t seed, int64_t now);
void wf_gossip_free(struct wf_gossip *g);

/* Run the timers due at now. */
void wf_gossip_tick(struct wf_gossip *g, int64_t now, struct wf_gossip_out *out);
/* A message from the authenticated member `from`. Returns false if it was
 * malformed (nothing changed then, whatever part of it came first). */
bool wf_gossip_receive(struct wf_gossip *g, const uint8_t *from,
		       const uint8_t *msg, size_t len, int64_t now, struct wf_gossip_out *out);
/* An authenticated session with `key` came up (a join, or a return): it is a
 * member, alive, reached at ep; tables are compared with it first. */
void wf_gossip_contact(struct wf_gossip *g, const uint8_t *key,
		       const uint8_t *ep, size_t ep_len, int64_t now, struct wf_gossip_out *out);
/*
 * Only the CA makes members. A record of a key that is not in the table
 * waits (struct wf_gwait) and the core asks for its certificate (WF_GE_CERT:
 * of the member who told it, then of others); the caller verifies the
 * certificate and says so with wf_gossip_certified, which makes the key a
 * member from its best waiting record. Records never certified go after
 * cfg.wait_ms; a member may have at most cfg.wait_teller waiting at once.
 * wf_gossip_contact needs no certificate: its caller proved the key.
 */
/* The caller holds a verified certificate of key: what waits of it is taken.
 * True if key is a member now. */
bool wf_gossip_certified(struct wf_gossip *g, const uint8_t *key, int64_t now,
			 struct wf_gossip_out *out);
/* Does a record of key wait for its certificate? */
bool wf_gossip_waiting(const struct wf_gossip *g, const uint8_t *key);
/* The caller no longer vouches for key (its certificate was revoked or
 * expired): it leaves the table at once, with what waits of it and what it
 * told that waits. No event. */
void wf_gossip_drop(struct wf_gossip *g, const uint8_t *key);

/* The epoch this node's SYNCs carry (wf_gossip.epoch). */
static inline void wf_gossip_set_epoch(struct wf_gossip *g, uint64_t epoch) { g->epoch = epoch; }
/* A clean leave: tell up to 2 x fanout members now. */
void wf_gossip_leave(struct wf_gossip *g, int64_t now, struct wf_gossip_out *out);

/*
 * Sparse meshes. In a full mesh (the default) every member has a session and
 * any may be probed or told. Sparse, this node keeps sessions only with the
 * members wf_gossip_wanted names (its `ring` neighbours on each side in key
 * order, `chords` random members on average, chosen by a hash of the pair so
 * that both ends want the session, and a dead member to call back now and
 * then: partitions heal), and tells and compares with only those whose
 * session is up (wf_gossip_link). It probes its ring neighbours (each member
 * is probed by its 2 x ring neighbours), indirectly through those of its
 * own that are the target's neighbours too. A member asked to probe one it
 * has no session with answers NACK at once; a probe of a member whose
 * session went away ends without a verdict.
 */
void wf_gossip_set_sparse(struct wf_gossip *g, bool sparse, int64_t now);
/* A session with key can carry messages (up), or no longer. */
void wf_gossip_link(struct wf_gossip *g, const uint8_t *key, bool up);
/* Does this node keep a session with key? Every member, in a full mesh. */
bool wf_gossip_wanted(const struct wf_gossip *g, const uint8_t *key);

const struct wf_gmember *wf_gossip_find(const struct wf_gossip *g,
					const uint8_t *key);
/* Members in the table (any state, this node included). */
static inline uint32_t wf_gossip_size(const struct wf_gossip *g) { return g->n_known; }
/* What a round trip of rtt_ms does to m's smoothed RTT (RFC 6298 2.2-2.3:
 * alpha 1/8, beta 1/4); exposed for the tests' reference. */
void wf_gossip_rtt_sample(struct wf_gmember *m, int64_t rtt_ms);
const char *wf_gossip_state_name(unsigned state);
const char *wf_gossip_how_name(unsigned how);

/* The suspicion timeout after n_confirm of k expected confirmations
 * (Lifeguard): from max down to min, by log(n + 1) / log(k + 1). */
int64_t wf_gossip_suspicion_ms(int64_t min_ms, int64_t max_ms, unsigned n_confirm, unsigned k);

#endif
