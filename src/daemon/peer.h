/* SPDX-License-Identifier: MIT */
/*
 * Peers: members of the network, or nodes that claim to be one; why packets
 * were dropped; peer limits. peer.c.
 */
#ifndef WEFT_DAEMON_PEER_H
#define WEFT_DAEMON_PEER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/addr.h"
#include "core/cert.h"
#include "core/cookie.h"
#include "core/pmtud.h"
#include "core/session.h"
#include "daemon/filter.h"
#include "daemon/kernel.h"
#include "weft/wire.h"

struct wf_daemon;
struct wf_handshake;

/* Why packets were dropped; counted per node and per peer, shown by status. */
enum wf_drop {
	WF_DROP_NO_ROUTE,    /* TUN packet for an overlay address no peer owns */
	WF_DROP_MULTICAST,   /* TUN packet to a multicast or broadcast address */
	WF_DROP_NO_SESSION,  /* staging queue full while waiting for a handshake */
	WF_DROP_MALFORMED,   /* runt, bad header, unknown type, bad IP header */
	WF_DROP_UNKNOWN_INDEX, /* data for a receiver index we do not have */
	WF_DROP_DECRYPT,     /* authentication failed */
	WF_DROP_REPLAY,      /* counter seen before or too old */
	WF_DROP_BAD_SOURCE,  /* inner source address not routed to the sending peer */
	WF_DROP_HANDSHAKE,   /* a handshake message that failed (MAC, Noise, payload, identity) */
	WF_DROP_HS_REPLAY,   /* an initiation not newer than the last proven, or a copy of a pending one */
	WF_DROP_HS_CLOCK,    /* an initiation stamped too far ahead of our clock */
	WF_DROP_CERT,        /* a certificate was refused */
	WF_DROP_COOKIE,      /* an initiation answered with a cookie: prove the address first */
	WF_DROP_RATE_LIMIT,  /* over a budget: handshakes per source under load, MEMBER messages */
	WF_DROP_SEND_ERROR,  /* sendto() failed */
	WF_DROP_TUN_ERROR,   /* write to TUN failed */
	WF_DROP_BUSY,        /* for the control thread, whose queue from a worker was full */
	WF_DROP_UNSOLICITED, /* a MEMBER message that answers nothing we asked */
	WF_DROP_FIREWALL,    /* a firewall rule dropped it (inbound or outbound) */
	WF_DROP_TOO_BIG,     /* TUN packet with DF larger than its peer's path takes */
	WF_DROP_MAX
};

const char *wf_drop_name(enum wf_drop d);

enum {
	WF_STAGED_MAX = 32,
	WF_PKT_MAX = 65535,
	WF_HS_ATTEMPTS_DOWN = 8, /* unanswered initiations before a peer shows "down" */
	WF_HEARSAY_TRIES = 4,    /* unanswered initiations before a told endpoint is dropped */
	WF_HEARSAY_DEST_MS = 10000, /* to a told endpoint's address: one initiation this often */
	WF_PEER_BUCKETS = 1024,  /* peers by public key */
	WF_UNPROVEN_MAX = 4096,  /* peers that have not proved their key yet */
	WF_LOCAL_ADDRS_MAX = 32, /* this host's addresses, for a wildcard listen */
	WF_GSO_BACKOFF_MIN_MS = 60 * 1000,  /* a peer's UDP segmentation refused: off this long, */
	WF_GSO_BACKOFF_MAX_MS = 3600 * 1000, /* doubling to this */
};

/* How we know where a peer is. */
enum wf_ep_source {
	WF_EP_HEARSAY,   /* another member told us (MEMBER): a hint until it answers */
	WF_EP_AUTHENTIC, /* an authentic packet from the peer came from there */
};

/*
 * A member of the network, or a node that claims to be one. A peer is
 * `proven` once it showed it holds its key: a response to our initiation, or
 * the first authentic packet on a keypair we answered with. Only proven
 * peers have routes, are announced to others, or are trusted for anything
 * else; an unproven one is a name, a certificate and a hint where it might be.
 */
struct wf_peer {
	struct wf_peer *next;  /* d->peers.list */
	struct wf_peer *hnext; /* d->peers.by_key bucket */
	struct wf_cert cert;
	bool proven;
	/* Told of by a member (or our cache), its certificate verified: not
	 * one of the strangers WF_UNPROVEN_MAX bounds; its routes are its own
	 * before it is proven (traffic for it starts a handshake). */
	bool told;
	bool mesh_up; /* told the mesh about it since its session last came up */
	uint8_t member_state; /* what gossip holds of it (enum wf_gossip_state) */
	bool cert_renew;      /* ours was renewed: hand it over by a handshake (reload.c) */
	bool defer_ok; /* may wait for an unproven initiation to be proven */
	bool call;     /* on demand: call it all the same (a cold start's few) */
	int64_t created_ms;

	bool has_endpoint;
	union wf_endpoint endpoint;
	enum wf_ep_source ep_source;
	char ep_via[WF_CERT_NAME_MAX + 1]; /* hearsay: the member who told us */
	unsigned ep_tries; /* initiations to the endpoint since it last answered */
	/* Two hosts with one key (a cloned VM) show as a peer that keeps
	 * moving back to where it just was: the endpoint before this one,
	 * the moves back within the window, and when we last said so. */
	union wf_endpoint ep_before;
	unsigned ep_flips;
	int64_t ep_flip_ms, ep_shared_said_ms;
	/* Told endpoints given up (never answered): not taken again. */
	union wf_endpoint ep_retired[2];
	int64_t asked_ms; /* when we asked a member where it is (0: never) */
	unsigned mtu;       /* what fits its path (0: not known yet; the device's) */
	unsigned mtu_route; /* the MTU on its routes on the device, 0 for none */
	bool mtu_check;     /* its endpoint changed: look at the path (mtu.c) */
	unsigned mtu_pub;   /* atomic: mtu, for the workers (MSS clamping, too big) */
	/* Its path MTU search (core/pmtud.h; control thread only); max 0
	 * until the path was first looked at. */
	struct wf_pmtud pmtud;
	/* Atomic: a send to it failed with EMSGSIZE: the tick reads the
	 * route's MTU again (mtu.c). */
	bool mtu_recheck;
	/* UDP segmentation to it (udp.c), all atomic: any worker may be
	 * refused. Off until until_ms (0: on) after a refusal, for a backoff
	 * that doubles from 1 min to 1 h and is cleared by a segmented send
	 * that passes; started over when the peer moves. */
	struct {
		int64_t until_ms;
		uint32_t backoff_ms;
		uint32_t refusals;
		int err; /* the last refusal's errno */
	} gso;
	/* What the workers read: the endpoint under a sequence lock (written
	 * by the control thread only, family 0 for none), the keypair to send
	 * with (atomic). Both follow endpoint and session (wf_peer_publish). */
	struct {
		unsigned seq;
		uint32_t w[sizeof(union wf_endpoint) / 4];
	} ep_pub;
	struct wf_keypair *tx_kp; /* NULL while packets are staged: they go first */
	/* Atomic: packets from TUN a worker handed over and the control thread
	 * has not taken yet; while there are any, the worker hands over the
	 * following ones too, so that a flow stays in order. */
	unsigned tx_handed;
	bool removed; /* unlinked: waits for the workers to let go of it */
	struct wf_retire_link rl;

	struct wf_session session;
	struct wf_handshake *hs; /* our initiation in flight, or NULL */
	struct wf_cookie_jar cookie;

	unsigned hs_attempts;    /* initiations since the last success */
	int64_t hs_next_ms;      /* earliest time for the next initiation (0 = now) */
	int64_t last_handshake_ms; /* monotonic time a session was last established; 0 = never */
	int64_t last_rx_ms, last_tx_ms;
	uint64_t data_mark; /* rx + tx packets when the session last came up */
	int64_t member_tat;      /* MEMBER budget (core/ratelimit.h) */
	/* The revocation list version last sent to it, and when (revoked.c). */
	uint64_t revoked_sent;
	int64_t revoked_sent_ms;

	/* What each thread carried for it, a cache line a thread (w->id, the
	 * control thread last), so that the workers do not share one line
	 * for every packet: wf_peer_count_rx/_tx add, wf_peer_traffic sums. */
	struct wf_peer_count *count;
	unsigned n_count;
	uint64_t drops[WF_DROP_MAX];
	struct wf_peer_esp esp; /* on the kernel data path (kernel.c) */
	struct wf_peer_fw fw;   /* what the firewall knows of it (filter.c) */

	/* Packets that wait for a session, each allocated at its size with
	 * room for the data header before and the tag after. Rare: only while
	 * a handshake is under way. */
	uint8_t *staged[WF_STAGED_MAX];
	uint16_t staged_len[WF_STAGED_MAX];
	unsigned n_staged;
};

struct wf_peer_count {
	uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets;
	uint64_t gso_sends; /* UDP_SEGMENT messages to it */
} __attribute__((aligned(64)));

/* Count a packet of len bytes carried for p by thread t (a worker's id, or
 * the control thread's). Each line has one writer, but an add is atomic all
 * the same: a thread past the count made (a test's) shares the last line. */
static inline void wf_peer_count_rx(struct wf_peer *p, unsigned t, uint64_t packets, uint64_t len)
{
	struct wf_peer_count *c = &p->count[t < p->n_count ? t : p->n_count - 1];

	__atomic_fetch_add(&c->rx_packets, packets, __ATOMIC_RELAXED);
	__atomic_fetch_add(&c->rx_bytes, len, __ATOMIC_RELAXED);
}

static inline void wf_peer_count_tx(struct wf_peer *p, unsigned t, uint64_t packets, uint64_t len)
{
	struct wf_peer_count *c = &p->count[t < p->n_count ? t : p->n_count - 1];

	__atomic_fetch_add(&c->tx_packets, packets, __ATOMIC_RELAXED);
	__atomic_fetch_add(&c->tx_bytes, len, __ATOMIC_RELAXED);
}

/* What every thread counted for p, summed. */
struct wf_peer_count wf_peer_traffic(const struct wf_peer *p);
/* Packets carried either way, summed. */
uint64_t wf_peer_packets(const struct wf_peer *p);

struct wf_peer *wf_peer_find(struct wf_daemon *d, const uint8_t pubkey[WF_KEY_LEN]);
/* A new, unproven peer for a verified certificate (no routes yet); NULL when
 * out of memory, or when WF_UNPROVEN_MAX unproven peers exist and none can
 * make room. */
struct wf_peer *wf_peer_add(struct wf_daemon *d, const struct wf_cert *cert, int64_t now);
/* A peer a member told us of, or our cache holds (its certificate verified):
 * not bounded by WF_UNPROVEN_MAX (the gossip table bounds it), and its
 * addresses are its own (routed to it) before it proves its key, so that
 * nobody else's claim takes them and traffic for them starts a handshake.
 * NULL when out of memory. */
struct wf_peer *wf_peer_add_told(struct wf_daemon *d, const struct wf_cert *cert, int64_t now);
/* A member told us of p (a stranger until then, or proven already). */
void wf_peer_told(struct wf_daemon *d, struct wf_peer *p);
/* Past full-mesh-max, is p a member we keep no session with unless traffic
 * needs one? */
bool wf_peer_on_demand(const struct wf_daemon *d, const struct wf_peer *p);
/* Did data (not keepalives, not gossip) go either way since p's session
 * last came up? */
bool wf_peer_used(const struct wf_peer *p);
/* Call n random members with a known endpoint, on demand or not (a node cut
 * off from the mesh, or a cold start past full-mesh-max). */
void wf_peer_call_some(struct wf_daemon *d, unsigned n);
/* The peer proved its key, presenting cert (NULL: the one we hold). It
 * becomes proven and claims its routes; a different certificate replaces
 * ours only by wf_cert_supersedes. */
void wf_peer_proven(struct wf_daemon *d, struct wf_peer *p, const struct wf_cert *cert,
		    int64_t now);
/* An authentic packet came from `from`: that is where the peer is. */
void wf_peer_seen_at(struct wf_daemon *d, struct wf_peer *p, const union wf_endpoint *from,
		     int64_t now);
enum {
	WF_FLIPS_SHARED = 3,	     /* moves back to the endpoint before, ... */
	WF_FLIP_WINDOW_MS = 60000,   /* ... within this long: two hosts share the key */
	WF_SHARED_SAY_MS = 600000,   /* said at most this often a peer */
};
/* Is the peer, now seen at a new endpoint, flapping between two (a move
 * back to ep_before)? Counts the flips in the window (p's ep_ fields) and
 * returns true when they reach WF_FLIPS_SHARED. */
bool wf_peer_flapping(struct wf_peer *p, const union wf_endpoint *to, int64_t now);
/* p's told endpoint never answered: it goes, and is not taken again. */
void wf_peer_retire_endpoint(struct wf_daemon *d, struct wf_peer *p);
/* Take an endpoint another member told us of, if it is worth trying. */
bool wf_peer_hearsay(struct wf_daemon *d, struct wf_peer *p, const union wf_endpoint *ep,
		     const char *via);
/* Is this one of our own addresses (then no peer is there)? */
bool wf_peer_is_local(const struct wf_daemon *d, const union wf_endpoint *ep);
/* Unlink and free a peer: routes, handshake, keypairs, staged packets. */
void wf_peer_remove(struct wf_daemon *d, struct wf_peer *p);
void wf_peer_free_all(struct wf_daemon *d);
/* Unregister and free a keypair that fell out of a session. NULL is a no-op. */
void wf_peer_drop_keypair(struct wf_daemon *d, struct wf_keypair *kp);
void wf_peer_drop_keypairs(struct wf_daemon *d, struct wf_keypair *const *kps, int n);
/* Count a dropped packet (n of them), node-wide and (if p) for the peer. */
void wf_count_drop(struct wf_daemon *d, struct wf_peer *p, enum wf_drop why);
void wf_count_drops(struct wf_daemon *d, struct wf_peer *p, enum wf_drop why, uint64_t n);
/* Nothing heard for three keepalive periods and a handshake timeout. */
bool wf_peer_silent(const struct wf_daemon *d, const struct wf_peer *p, int64_t now);
/* Is p up: a session that can carry packets now (keys, an endpoint), and
 * p heard from lately (not silent)? The one test of it. */
bool wf_peer_up(const struct wf_daemon *d, const struct wf_peer *p, int64_t now);
/* Both ends of a pair usually learn of each other at once (a join, a mass
 * restart from caches): the one with the smaller key calls p first, within
 * jitter_ms; the other delay_ms later, and is usually called before that,
 * so that the handshakes do not cross. */
void wf_peer_first_call(struct wf_daemon *d, struct wf_peer *p, int64_t now, unsigned jitter_ms,
			unsigned delay_ms);
const char *wf_peer_state(const struct wf_daemon *d, const struct wf_peer *p, int64_t now);
/* Keep a packet for p until its session is up (WF_STAGED_MAX, the newest:
 * an overflow is counted no_session). */
bool wf_peer_stage(struct wf_daemon *d, struct wf_peer *p, const uint8_t *pkt, size_t len);
/* Verify an encoded certificate (through the cache); logs why on failure,
 * once per certificate and reason, naming `from` (an address, or "relayed by
 * NAME"). */
/* The same, saying whether it was refused for the revocation list (out is
 * then the verified certificate). */
bool wf_peer_cert_verdict(struct wf_daemon *d, const uint8_t *enc, size_t len, struct wf_cert *out,
			  const char *from, bool *revoked);
bool wf_peer_cert_check(struct wf_daemon *d, const uint8_t *enc, size_t len, struct wf_cert *out,
			const char *from);

#endif
