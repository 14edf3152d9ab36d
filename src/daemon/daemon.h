/* SPDX-License-Identifier: MIT */
/*
 * The daemon's state. One control thread (loop.c) runs handshakes, timers,
 * membership, the control socket and signals, and is the only writer of the
 * peers, the index table, the routes and the sessions; N data-plane workers
 * (threads.c), each with a queue of the TUN device and a UDP socket of its
 * own, move packets, reading what the control thread publishes without a
 * lock. docs/threading.md says who owns what and why it is safe.
 */
#ifndef WEFT_DAEMON_H
#define WEFT_DAEMON_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>

#include "common/addr.h"
#include "common/clock.h"
#include "core/cert.h"
#include "core/certcache.h"
#include "core/cookie.h"
#include "core/gossip.h"
#include "core/noise.h"
#include "core/offload.h"
#include "core/ratelimit.h"
#include "core/revoke.h"
#include "core/routes.h"
#include "core/session.h"
#include "daemon/config.h"
#include "weft/wire.h"

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
	/* Budgets (per second, burst) for what unauthenticated packets cause. */
	WF_HS_LOAD_PER_S = 500,    /* handshake messages a second before cookies are asked */
	WF_HS_SOURCE_PER_S = 20,   /* under load: initiations per source address */
	WF_HS_SOURCE_BURST = 5,
	WF_MEMBER_PER_S = 200,     /* MEMBER messages taken from one peer */
	WF_MEMBER_BURST = 2048,
	WF_CACHE_SAVE_MS = 30000,  /* peers.cache written this often */
	WF_COLD_CALLS = 8,         /* on demand, cut off: members called at once */
	WF_COLD_CALL_MS = 10000,   /* ... and again this often while cut off */
};

/* A segmentation offload: in use, or why not (for weft status and the log). */
struct wf_offload {
	bool on;      /* atomic: a worker may turn it off (wf_offload_off) */
	bool claimed; /* atomic: turned off, why is written (once) */
	char why[96]; /* when off: "weft.conf", "the kernel refused it (...)", ... */
};

/* The offloads, each probed at start and dropped by itself on refusal. */
enum { WF_OFFLOADS = 5 };
struct wf_offloads {
	struct wf_offload tun_tso; /* TUN: TCP super-packets in, checksums left to us */
	struct wf_offload tun_uso; /* TUN: UDP super-packets in (Linux 6.2) */
	struct wf_offload tun_gro; /* TUN: coalesced TCP writes out */
	struct wf_offload udp_gso; /* UDP_SEGMENT: a run of datagrams to one peer per send */
	struct wf_offload udp_gro; /* UDP_GRO: runs of datagrams from one peer per receive */
	bool vnet;                 /* TUN packets carry the virtio-net header */
};

enum {
	WF_TX_SLOTS = 128, /* sealed datagrams waiting for one sendmmsg */
	WF_RX_MSGS = 16,   /* receive buffers (64 KiB each) per recvmmsg */
	WF_UDP_GSO_SEGS = 64, /* datagrams in one UDP_SEGMENT send */
	WF_SUPER_MAX = WF_VNET_HDR_LEN + 65536, /* a read from the TUN device */
};

/*
 * Datagrams on their way out, sealed in place in fixed slots (the data
 * header before the packet, the tag after), sent by wf_txq_flush with one
 * sendmmsg, runs to one peer as one UDP_SEGMENT message each.
 */
struct wf_txq {
	uint8_t *arena;   /* WF_TX_SLOTS slots of slot_size */
	size_t slot_size; /* header + MTU + tag, rounded up */
	size_t slot_cap;  /* the plaintext one slot takes */
	unsigned n;
	struct wf_peer *peer[WF_TX_SLOTS];
	union wf_endpoint to[WF_TX_SLOTS]; /* the peer's endpoint when it was queued */
	uint16_t len[WF_TX_SLOTS];
	/* The second half of a read from the TUN device: what does not fit
	 * one slot (super-packets), with header room before. */
	uint8_t *big;
};

/* Received datagrams (runs of them, with UDP_GRO) and their coalescing. */
struct wf_rxq {
	uint8_t *arena; /* WF_RX_MSGS buffers of WF_RX_BUF */
	struct wf_gro gro;
	bool open;      /* a batch is being coalesced: deliver adds to gro */
};

enum { WF_WORKERS_MAX = WF_CONFIG_WORKERS_MAX };

/* What a worker hands to the control thread. */
enum wf_handover {
	WF_HO_DATAGRAM, /* a handshake message, or data on keys not proven yet */
	WF_HO_MEMBER,   /* the plaintext of an authentic MEMBER message */
	WF_HO_SEEN,     /* an authentic packet came from another endpoint */
	WF_HO_PROVEN,   /* an authentic packet on a pending keypair of a proven peer */
	WF_HO_TUN,      /* a packet from TUN for a peer we have no keys for */
};

struct wf_ctl_msg {
	uint8_t kind;
	uint16_t len;
	uint32_t index;   /* MEMBER, SEEN: the receiver index it came on */
	/* The index entry (data, MEMBER, SEEN) or the peer (TUN) the worker
	 * found: nothing a queued message refers to is freed before the
	 * control thread took it (wf_reclaim). */
	void *ref;
	union wf_endpoint from;
	uint8_t data[];
};

enum {
	WF_CTLQ_DEPTH = 256,
	/* Under load when this many messages wait behind the one taken (an
	 * eighth of the queue, as WireGuard's handshake queue): cookies. */
	WF_CTLQ_LOAD = WF_CTLQ_DEPTH / 8,
};

/* One worker's queue to the control thread: single producer (the worker),
 * single consumer (the control thread), fixed slots, no allocation. */
struct wf_ctlq {
	uint8_t *arena;  /* WF_CTLQ_DEPTH slots of slot_size */
	size_t slot_size, data_max;
	unsigned head;   /* atomic: the next slot the control thread reads */
	unsigned tail;   /* atomic: the next slot the worker fills */
};

struct wf_daemon;

/*
 * A data-plane worker: a queue of the TUN device, a UDP socket, and the
 * batches and counters of the packets through them. Workers run on threads
 * of their own (threads.c); the control thread has one too (d->dp.ctl, with
 * control set), on worker 0's descriptors, for what the workers hand over
 * and what it sends itself. id is also the worker's AEAD context in every
 * keypair (the control thread's is d->dp.n_workers).
 */
struct wf_worker {
	struct wf_daemon *d;
	unsigned id;
	bool control; /* the control thread's: it does itself what a worker hands over */
	int tun_fd, udp_fd;
	struct wf_txq tx;
	struct wf_rxq rx;
	void *txb, *rxb;  /* sendmmsg and recvmmsg arrays (udp.c) */
	struct wf_ctlq q; /* workers: to the control thread */
	bool q_signal;    /* something was queued: wake the control thread */
	uint64_t qs;      /* atomic: quiescent-state count, odd while in a batch */
	int epoll_fd;
	pthread_t thread;
	bool started;
	struct {
		uint64_t tun_reads;  /* reads from its TUN queue: packets, super-packets */
		uint64_t udp_reads;  /* datagrams (or runs of them) from its socket */
		uint64_t tun_super;  /* super-packets read from TUN and cut */
		uint64_t gso_sends;  /* UDP_SEGMENT messages sent */
		uint64_t gro_runs;   /* receives that held a run of datagrams */
		uint64_t tun_joined; /* coalesced writes to TUN */
	} batch;
	int64_t icmp_tat; /* ICMP unreachable budget (core/ratelimit.h) */
};

/* How we know where a peer is. */
enum wf_ep_source {
	WF_EP_HEARSAY,   /* another member told us (MEMBER): a hint until it answers */
	WF_EP_AUTHENTIC, /* an authentic packet from the peer came from there */
};

/* A handshake we initiated and whose response we wait for. */
struct wf_handshake {
	uint32_t local_index;
	struct wf_noise_handshake noise;
	struct wf_peer *peer; /* NULL while bootstrapping to an unknown node */
	int64_t sent_ms;
	uint8_t mac1[WF_MAC_LEN]; /* of our initiation: a cookie reply quotes it */
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
	/* Told endpoints given up (never answered): not taken again. */
	union wf_endpoint ep_retired[2];
	int64_t asked_ms; /* when we asked a member where it is (0: never) */
	unsigned mtu;       /* what fits its path (0: not known yet; the device's) */
	unsigned mtu_route; /* the MTU on its routes on the device, 0 for none */
	bool mtu_check;     /* its endpoint changed: look at the path (mtu.c) */
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

	uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets;
	uint64_t drops[WF_DROP_MAX];

	/* Packets that wait for a session, each allocated at its size with
	 * room for the data header before and the tag after. Rare: only while
	 * a handshake is under way. */
	uint8_t *staged[WF_STAGED_MAX];
	uint16_t staged_len[WF_STAGED_MAX];
	unsigned n_staged;
};

/* A bootstrap address from the config: handshaked with until it answers. */
struct wf_bootstrap {
	char spec[WF_CONFIG_BOOTSTRAP_LEN];
	bool answered; /* a node there answered; now it is a peer like the others */
	bool is_self;  /* the node there is this one */
	union wf_endpoint endpoint;
	struct wf_handshake *hs;
	struct wf_cookie_jar cookie;
	unsigned attempts;
	int64_t next_ms;
};

/* What a receiver index points to. */
enum wf_index_kind { WF_INDEX_HANDSHAKE, WF_INDEX_KEYPAIR };

/* What workers may do with a receiver index (atomic, set last). */
enum wf_index_live {
	WF_LIVE_NONE,    /* a handshake: no data on it yet */
	WF_LIVE_PENDING, /* an unproven keypair: its data goes to the control thread */
	WF_LIVE_READY,   /* a proven keypair, ptr and peer: open it */
};

struct wf_index_entry {
	struct wf_index_entry *next; /* atomic: workers walk the bucket */
	uint32_t index;
	int live; /* enum wf_index_live, atomic */
	/* Atomic: datagrams on it a worker handed over that the control
	 * thread has not taken yet (while any, the following ones go too). */
	unsigned handed;
	/* A pending keypair (a rekey) of a peer that was proven already, with
	 * nothing new to adopt: a worker takes its data itself, if it comes
	 * from the peer's endpoint, and only tells the control thread of the
	 * proof (set before live, then fixed). */
	bool direct;
	bool noted; /* atomic: that proof was handed over */
	enum wf_index_kind kind;
	void *ptr; /* struct wf_handshake * or struct wf_keypair * */
	struct wf_peer *peer;
	struct wf_bootstrap *bootstrap; /* handshakes to a bootstrap address */
	/* An unproven keypair whose initiation presented another certificate
	 * than the peer's: adopted (by wf_cert_supersedes) if it is proven. */
	struct wf_cert *offered;
	struct wf_retire_link rl;
};

enum { WF_INDEX_BUCKETS = 4096, WF_RETIRE_GENS = 4 };

/* Objects retired together, and when: each worker's quiescent-state count
 * when the generation was closed; once all passed, the tails of their
 * queues (what they queued before may still name an object). */
struct wf_retire_gen {
	struct wf_retire_link *head; /* NULL: the record is free */
	uint64_t qs[WF_WORKERS_MAX];
	bool passed;
	unsigned tail[WF_WORKERS_MAX];
};

/* Who this node is, and how it is configured (loop.c, reload.c). */
struct wf_node {
	struct wf_config cfg;
	struct wf_cert ca, self;
	uint8_t self_cert_enc[WF_CERT_MAX_ENCODED];
	size_t self_cert_len;
	uint8_t static_priv[WF_KEY_LEN];
	struct wf_noise_protocol proto;
	uint8_t prologue[128];
	size_t prologue_len;
	uint8_t mac1_key[WF_SHA256_LEN];
	struct wf_session_limits limits;
	unsigned mtu;
	char ifname[IFNAMSIZ];
	bool accept_local; /* the TUN takes IPv4 from our own address (ICMP errors) */
	int64_t started_ms;
	int64_t next_expiry_check_ms; /* the daily look at certificates' ends */
	bool self_expired;            /* said once, when our certificate ran out */
};

/* The peers, how they are found, and what they route (peer.c): written by
 * the control thread only; the workers read the index and routes_pub. */
struct wf_peers {
	struct wf_peer *list;
	struct wf_peer *by_key[WF_PEER_BUCKETS];
	unsigned n, n_unproven;
	unsigned unproven_max; /* strangers at most (WF_UNPROVEN_MAX; tests set it lower) */
	struct wf_routes *routes;     /* the control thread's, changed in place */
	struct wf_routes *routes_pub; /* atomic: the workers' copy (wf_routes_publish) */
	struct wf_index_entry *index[WF_INDEX_BUCKETS]; /* heads atomic */
	struct wf_bootstrap *bootstrap;
	unsigned n_bootstrap;
	union wf_endpoint local_addrs[WF_LOCAL_ADDRS_MAX]; /* port 0: any port */
	unsigned n_local_addrs;
};

/* What unauthenticated packets may cost, and what handshakes did
 * (handshake.c). */
struct wf_hs_budgets {
	struct wf_certcache certs;
	struct wf_cookie_checker cookies;
	struct wf_load load;
	struct wf_srclimit *sources;
	struct wf_rate source_rate;
	/* Initiations to told endpoints, by address (the reflection bound). */
	struct wf_srclimit *hearsay_dests;
	struct wf_rate hearsay_rate;
	struct {
		uint64_t initiated; /* initiations sent */
		uint64_t answered;  /* initiations answered (each then waits for proof) */
		uint64_t proven;    /* of those, proven by a packet on their keys */
		uint64_t completed; /* responses to our initiations accepted */
		uint64_t cookies;   /* cookie replies sent */
		uint64_t hearsay_held; /* initiations to a told address held back (reflection) */
	} count;
};

/* Membership (membership.c): the core, what it last produced, and the
 * messages it asked for that no session could carry; the revocation list
 * (revoked.c); the peer cache (cache.c). */
struct wf_members {
	struct wf_gossip gossip;
	struct wf_gossip_out out;
	struct wf_rate rate; /* control messages from one peer */
	uint64_t unsent, overflow;
	int64_t next_cold_call_ms; /* on demand and cut off: call a few again */
	/* The newest list seen, its encoding, and newer ones that peers are
	 * sending in chunks. */
	struct wf_revoke revoked;
	uint8_t revoked_enc[WF_REVOKE_MAX_ENCODED];
	size_t revoked_len;
	struct wf_revoke_asms revoked_asm;
	int64_t next_cache_ms; /* peers.cache is written this often ... */
	uint64_t cache_sum;    /* ... when it differs from the last written (a hash) */
};

/* The packet path's threads and what they share (threads.c). */
struct wf_dataplane {
	struct wf_offloads off;
	struct wf_worker *w; /* n_workers of them */
	unsigned n_workers;
	struct wf_worker ctl; /* the control thread's share of the packet path */
	int wake_fd;          /* eventfd: a worker queued something */
	int stop_fd;          /* eventfd: the workers are to stop */
	bool threads;         /* workers run: what is unlinked waits for them */
	/* Unlinked, freed when no worker can hold it (wf_retire): the open
	 * generation, and closed ones, each with its snapshot. */
	struct wf_retire_link *retire_open;
	struct wf_retire_gen retire_gen[WF_RETIRE_GENS];
	unsigned ctl_backlog; /* while draining: messages behind the one taken */
};

/* The daemon: its parts, each with its owner and its init and free. */
struct wf_daemon {
	struct wf_node node;
	struct wf_peers peers;
	struct wf_hs_budgets hs;
	struct wf_members mem;
	struct wf_dataplane dp;
	int tun_fd, udp_fd, epoll_fd, signal_fd, lock_fd;
	struct wf_control *control;
	uint64_t drops[WF_DROP_MAX]; /* node-wide, from any thread */
	int64_t last_tick_ms;
	bool stop;
};

/* The value our own addresses have in the routes: no peer may claim them. */
#define WF_ROUTE_SELF(d) ((void *)&(d)->node.self)

/* threads.c: the workers, and what they share with the control thread */
/* Room for n workers (d->dp.w), as many as are configured; wf_worker_init
 * sets each up. False when out of memory. */
bool wf_workers_alloc(struct wf_daemon *d, unsigned n) WF_MUST_CHECK;
void wf_workers_free(struct wf_daemon *d);
/* Start d->dp.n_workers threads on the workers' descriptors; false (none left
 * running) if one cannot be started. */
bool wf_threads_start(struct wf_daemon *d) WF_MUST_CHECK;
void wf_threads_stop(struct wf_daemon *d);
/* Free the object l is in (l->fn, set by the caller) once no worker can
 * still hold it nor a message queued before it was unlinked name it (at once
 * when no workers run). Allocates nothing: it cannot fail. NULL: nothing. */
void wf_retire(struct wf_daemon *d, struct wf_retire_link *l);
/* Free what no worker can hold any more; all of it with force (threads stopped). */
void wf_reclaim(struct wf_daemon *d, bool force);
/* Read the worker's queue of the TUN device (a burst), send what it made. */
void wf_worker_tun(struct wf_worker *w);
/* A worker's queue to the control thread (for d->node.mtu); false when out of
 * memory. wf_threads_start makes them; tests too. */
bool wf_ctlq_alloc(struct wf_daemon *d, struct wf_ctlq *q) WF_MUST_CHECK;
/* Hand a datagram or packet to the control thread; false when its queue is
 * full (then counted as busy) or it does not fit. */
bool wf_ctl_push(struct wf_worker *w, enum wf_handover kind, const uint8_t *data, size_t len,
		 const union wf_endpoint *from, uint32_t index, void *ref);
/* Is the worker's queue to the control thread short (under WF_CTLQ_LOAD)?
 * What is not needed for a handshake is handed over only then. */
bool wf_ctl_quiet(const struct wf_worker *w);
/* The control thread: take what the workers handed over. */
void wf_ctl_drain(struct wf_daemon *d, int64_t now);
/* Publish p's endpoint and sending keypair to the workers (after any change
 * of p->endpoint, p->has_endpoint or p->session, before freeing keypairs). */
void wf_peer_publish(struct wf_daemon *d, struct wf_peer *p);
/* Read what wf_peer_publish published: false when p has no endpoint. */
bool wf_peer_endpoint(const struct wf_peer *p, union wf_endpoint *out);
/* Publish a copy of d->peers.routes for the workers; false when out of memory
 * (the workers keep the copy they have). */
bool wf_routes_publish(struct wf_daemon *d);
/* The routes a worker reads. */
const struct wf_routes *wf_routes_read(const struct wf_daemon *d);
/* Relaxed atomic counters and times shared by threads. */
#define WF_ADD(x, v) __atomic_fetch_add(&(x), (v), __ATOMIC_RELAXED)
#define WF_GET(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WF_SET(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
/* A counter with one writer (a worker's own): no read-modify-write needed. */
#define WF_BUMP(x, v) WF_SET(x, WF_GET(x) + (v))


/* peer.c */
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
void wf_peer_seen_at(struct wf_daemon *d, struct wf_peer *p, const union wf_endpoint *from);
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
uint32_t wf_index_add(struct wf_daemon *d, enum wf_index_kind kind, void *ptr, struct wf_peer *peer,
		      struct wf_bootstrap *b);
struct wf_index_entry *wf_index_find(struct wf_daemon *d, uint32_t index);
void wf_index_del(struct wf_daemon *d, uint32_t index);
/* Verify an encoded certificate (through the cache); logs why on failure,
 * once per certificate and reason, naming `from` (an address, or "relayed by
 * NAME"). */
bool wf_peer_cert_check(struct wf_daemon *d, const uint8_t *enc, size_t len, struct wf_cert *out,
			const char *from);

/* handshake.c */
void wf_handshake_initiate(struct wf_daemon *d, struct wf_peer *p, int64_t now);
void wf_handshake_bootstrap(struct wf_daemon *d, struct wf_bootstrap *b, int64_t now);
void wf_handshake_abort(struct wf_daemon *d, struct wf_handshake *hs);
void wf_handshake_receive(struct wf_daemon *d, uint8_t *pkt, size_t len,
			  const union wf_endpoint *from, int64_t now);
/* Derive the network's handshake keys and set up the budgets; false if the
 * cookie key or the source table cannot be made. */
bool wf_handshake_setup(struct wf_daemon *d) WF_MUST_CHECK;
void wf_handshake_teardown(struct wf_daemon *d);

/* data.c */
/* A read from the TUN device: pkt is a packet in the free TX slot, or (in
 * d->tx.big) one that did not fit there or a super-packet to be cut as h
 * says (h all zero without offloads). */
void wf_data_from_tun(struct wf_worker *w, uint8_t *pkt, size_t len, const struct wf_vnet_hdr *h,
		      int64_t now);
void wf_data_receive(struct wf_worker *w, uint8_t *pkt, size_t len, const union wf_endpoint *from,
		     int64_t now);
/* A session with p came up (a response to our initiation, or the proof of
 * one we answered): send what waited, tell the mesh if p was down. */
void wf_data_session_up(struct wf_daemon *d, struct wf_peer *p, bool we_initiated, int64_t now);
/* The first authentic packet on pending keypair kp (of index entry e)
 * proves the initiation behind it (the control thread's). */
void wf_data_prove(struct wf_daemon *d, struct wf_index_entry *e, struct wf_keypair *kp,
		   int64_t now);
/* The control thread: encrypt and send the len bytes at pkt (with
 * WF_DATA_HEADER_LEN bytes of room before, WF_AEAD_TAG_LEN after: a stack
 * buffer, a staged packet) to p's endpoint with kp, now. */
bool wf_data_send(struct wf_daemon *d, struct wf_peer *p, struct wf_keypair *kp, uint8_t type,
		  uint8_t *pkt, size_t len, int64_t now);
void wf_data_send_keepalive(struct wf_daemon *d, struct wf_peer *p, int64_t now);
void wf_data_flush_staged(struct wf_daemon *d, struct wf_peer *p, int64_t now);
/* A receive batch: from wf_data_rx_begin to wf_data_rx_flush, packets for
 * the TUN device are coalesced (when the device takes super-packets) and
 * written at the flush; outside one, each is written at once. Every packet
 * of the batch must stay where it is until the flush. */
void wf_data_rx_begin(struct wf_worker *w);
void wf_data_rx_flush(struct wf_worker *w);
/* Write one packet to the worker's queue of the TUN device (with a plain
 * virtio-net header when the device has them). */
bool wf_tun_put(struct wf_worker *w, const uint8_t *pkt, size_t len);

/* udp.c */
/* Mark an offload off, saying why; from any thread, the first reason stays. */
void wf_offload_off(struct wf_offload *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Is the offload in use (from any thread)? */
bool wf_offload_on(const struct wf_offload *o);
/* Offload i of WF_OFFLOADS, with its name in weft.conf ("tun-tso") in
 * *conf and in status ("tun_tso") in *json. */
const struct wf_offload *wf_offload_nth(const struct wf_offloads *off, unsigned i,
					const char **conf, const char **json);
/* Open n UDP sockets on the listening address (SO_REUSEPORT when n > 1, one
 * per worker, fds[0] also d->udp_fd), probe and self-test the UDP offloads
 * the configuration allows. */
bool wf_udp_setup(struct wf_daemon *d, int *fds, unsigned n) WF_MUST_CHECK;
/* Allocate a worker's send and receive batches for d->node.mtu (also for tests). */
bool wf_batch_alloc(struct wf_worker *w) WF_MUST_CHECK;
void wf_batch_free(struct wf_worker *w);
/* Send one datagram now (handshakes, keepalives, control messages). */
void wf_udp_send(struct wf_daemon *d, struct wf_peer *p, const union wf_endpoint *to,
		 const uint8_t *pkt, size_t len);
/* The free slot's plaintext (WF_DATA_HEADER_LEN into it; w->tx.slot_cap
 * bytes), flushing first when all are taken. */
uint8_t *wf_txq_slot(struct wf_worker *w);
/* The datagram sealed in the free slot (len bytes from the slot's start) is
 * for p at to: queue it. */
void wf_txq_commit(struct wf_worker *w, struct wf_peer *p, const union wf_endpoint *to, size_t len);
void wf_txq_flush(struct wf_worker *w);
/* Read from the worker's UDP socket until it is empty or a budget is spent. */
void wf_udp_receive(struct wf_worker *w);
/* One datagram: a handshake message (a worker hands it to the control
 * thread), or data. */
void wf_udp_dispatch(struct wf_worker *w, uint8_t *pkt, size_t len, const union wf_endpoint *from,
		     int64_t now);
/* Empty a socket's error queue (IP_RECVERR): ICMP errors, logged at debug. */
void wf_udp_drain_errors(int fd);

/* membership.c */
bool wf_members_init(struct wf_daemon *d, int64_t now);
void wf_members_release(struct wf_daemon *d);
/* p is reachable again (or for the first time): a contact for the core. Not
 * called on rekeys, which change nothing the mesh needs to hear. */
void wf_members_peer_up(struct wf_daemon *d, struct wf_peer *p, int64_t now);
void wf_members_receive(struct wf_daemon *d, struct wf_peer *from, const uint8_t *msg, size_t len,
			int64_t now);
/* p's told endpoint was given up: ask another member where p is (CERT_REQ,
 * answered by a MEMBER message with its endpoint). */
void wf_members_ask_endpoint(struct wf_daemon *d, struct wf_peer *p, int64_t now);
/* Send one control message (len <= WF_GOSSIP_MTU_MAX) to p, if a session
 * with it can carry it now; false if not (nothing is queued). */
bool wf_members_send(struct wf_daemon *d, struct wf_peer *p, const uint8_t *msg, size_t len,
		     int64_t now);
/* The mesh's size: members in the gossip table, or peers proven or told of
 * (this node included), whichever is more; never unproven strangers. */
unsigned wf_members_count(const struct wf_daemon *d);
/* The core's timers (probes, gossip, comparisons, forgetting). */
void wf_members_gossip(struct wf_daemon *d, int64_t now);
/* A clean leave: tell the mesh before the sessions go. */
void wf_members_leave(struct wf_daemon *d, int64_t now);

/* revoked.c: the revocation list */
/* Read NODEDIR/revoked.list and take it if newer; false (msg says why) if it
 * does not parse or verify. msg also says what the node holds on success. */
bool wf_revoked_load(struct wf_daemon *d, char *msg, size_t cap, int64_t now);
/* The same in two steps, for a reload that checks everything before it
 * changes anything: read and verify (version 0: there is none; false, msg
 * says why), then take it if newer (msg says what the node holds). */
bool wf_revoked_read(const struct wf_daemon *d, struct wf_revoke *r, char *msg, size_t cap);
void wf_revoked_take(struct wf_daemon *d, const struct wf_revoke *r, char *msg, size_t cap,
		     int64_t now);
bool wf_revoked_has(const struct wf_daemon *d, uint64_t serial);
/* A WF_CTL_REVOKED message (a chunk, kind byte first) from a peer. */
void wf_revoked_receive(struct wf_daemon *d, struct wf_peer *from, const uint8_t *msg,
			size_t len, int64_t now);
/* The gossip core's WF_GE_EPOCH: the member with this key compared tables
 * with us holding list version `theirs`; if ours is newer, it gets ours. */
void wf_revoked_compared(struct wf_daemon *d, const uint8_t *key, uint64_t theirs, int64_t now);
/* Drop lists that peers began to send and never finished. */
void wf_revoked_tick(struct wf_daemon *d, int64_t now);
void wf_revoked_release(struct wf_daemon *d);
/* The control socket's "revoke": reread the file; a JSON answer (malloc'd). */
char *wf_revoked_request(struct wf_daemon *d);

/* reload.c: weft reload and SIGHUP */
/* Reread what can change while running; false (msg says why) changes nothing. */
bool wf_reload(struct wf_daemon *d, char *msg, size_t cap, int64_t now);
char *wf_reload_request(struct wf_daemon *d);

/* cache.c: NODEDIR/peers.cache, what a restart rejoins from */
unsigned wf_cache_load(struct wf_daemon *d, int64_t now);
bool wf_cache_save(struct wf_daemon *d);

/* timers.c */
void wf_timers_tick(struct wf_daemon *d, int64_t now);
/* Warn of certificates (ours, the CA's, peers') that end within 30 days:
 * called at start and daily; an error the moment ours ends. */
void wf_timers_expiry(struct wf_daemon *d, int64_t now, int64_t wall);
/* The warning for one certificate (whose: "the certificate of db1"), if it
 * ends within 30 days; also when a peer is proven or renews. */
void wf_warn_expiry(const char *whose, const struct wf_cert *c, int64_t wall);
void wf_warn_peer_expiry(const struct wf_peer *p, int64_t wall);
void wf_timers_session_up(struct wf_daemon *d, struct wf_peer *p, int64_t now);

/* mtu.c */
/* The device's MTU: the largest that fits an underlay interface. */
unsigned wf_mtu_device(const struct wf_daemon *d);
/* Look at the path to p's endpoint: give p routes with its MTU if it is
 * smaller than the device's (netlink: from the tick, never the packet path). */
void wf_mtu_check(struct wf_daemon *d, struct wf_peer *p);
/* Remove p's MTU routes (its certificate changes, it goes away). */
void wf_mtu_forget(struct wf_daemon *d, struct wf_peer *p);

/* status.c */
/* An answer on the control socket: {"KEY":"TEXT"} (ok) or {"error":"TEXT"},
 * a line, malloc'd; NULL if out of memory. */
char *wf_control_answer(bool ok, const char *key, const char *text);
char *wf_status_json(struct wf_daemon *d);

/* loop.c */
int wf_daemon_run(const char *dir);
/* Worker id of d, on the given queue of the device and socket. */
void wf_worker_init(struct wf_daemon *d, unsigned id, int tun_fd, int udp_fd);
/* The control thread's share of the packet path, on those descriptors
 * (worker 0's); call after the workers' wf_worker_init. Tests that drive the
 * handlers on one thread use it alone. */
void wf_control_worker_init(struct wf_daemon *d, int tun_fd, int udp_fd);
/* The daemon's state that needs no file, socket or device, for a daemon
 * whose cfg (timers), ca, self and static_priv are set: session limits,
 * handshake keys and budgets, the route table. wf_daemon_run uses it, and
 * so do the tests and fuzzers that drive the packet handlers directly. */
bool wf_daemon_prepare(struct wf_daemon *d) WF_MUST_CHECK;
/* Free what wf_daemon_prepare and the handlers made; wipe the key. */
void wf_daemon_release(struct wf_daemon *d);

#endif
