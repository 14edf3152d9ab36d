/* SPDX-License-Identifier: MIT */
/*
 * The data-plane workers and what they share with the control thread: the
 * offloads, the batches, the queues to the control thread, reclamation, and
 * what workers read without a lock (routes, sending keys, endpoints).
 * worker.c.
 */
#ifndef WEFT_DAEMON_WORKER_H
#define WEFT_DAEMON_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/addr.h"
#include "crypto/crypto.h" /* WF_MUST_CHECK */
#include "common/retire.h"
#include "core/offload.h"
#include "daemon/config.h"
#include "daemon/filter.h"

struct wf_daemon;
struct wf_peer;
struct wf_routes;

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
	struct wf_offload tun_uso; /* TUN: UDP super-packets in and out (Linux 6.2) */
	struct wf_offload tun_gro; /* TUN: coalesced writes out (UDP ones: and tun_uso) */
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
	WF_HO_PTB,      /* ICMP "too big" for a datagram to `from`: the MTU (4 bytes) */
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
 * of their own (worker.c); the control thread has one too (d->dp.ctl, with
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
	int64_t ptb_tat;  /* "too big" reports handed over (udp.c) */
	bool tun_sparse;      /* its last TUN burst found at most one packet */
	uint64_t tun_last_ns; /* when it last woke up to read its TUN queue (monotonic) */
	struct wf_fw_worker fw; /* its flows, and notes of flows others opened (filter.c) */
};

enum { WF_RETIRE_GENS = 4 };
/* Objects retired together, and when: each worker's quiescent-state count
 * when the generation was closed; once all passed, the tails of their
 * queues (what they queued before may still name an object). */
struct wf_retire_gen {
	struct wf_retire_link *head; /* NULL: the record is free */
	uint64_t qs[WF_WORKERS_MAX];
	bool passed;
	unsigned tail[WF_WORKERS_MAX];
};

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
enum {
	WF_TUN_BURST = 64,            /* reads of a wake-up, at most */
	WF_TUN_SPARSE_NS = 20 * 1000, /* a wake-up sooner than this after a read: a burst */
};
/* Read the worker's queue of the TUN device, send what it made. */
void wf_worker_tun(struct wf_worker *w);
/* How many reads a wake-up makes: sparse, the last burst found at most one
 * packet; since_ns, since the last wake-up that read it. */
unsigned wf_tun_reads(bool sparse, uint64_t since_ns);
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
/*
 * d->peers.routes changed: the workers get a copy of it at the next
 * wf_routes_flush, which wf_reclaim does first (once a turn of the control
 * loop, however many peers came or went), at once when no workers run.
 * False when that copy could not be made (out of memory, no workers): their
 * copy still names what was removed, which must then not be freed.
 */
/* Did the routes change since the workers' copy was made (atomic: workers
 * ask, for a packet their copy has no route for)? */
bool wf_routes_pending(const struct wf_daemon *d);
bool wf_routes_changed(struct wf_daemon *d);
/* Publish a copy of the routes if they changed since the last one, then make
 * the keypairs that waited for it ready; false when out of memory (the
 * workers keep the copy they have; the next flush tries again). */
bool wf_routes_flush(struct wf_daemon *d);
/* Let workers take data on e's keypair, proven by the control thread: at
 * once if the routes they read are current, else at the next flush (until
 * then its data goes to the control thread, which reads its own routes). */
void wf_index_ready(struct wf_daemon *d, struct wf_index_entry *e);
/* The routes thread w reads: the control thread its own, a worker the
 * published copy. */
const struct wf_routes *wf_worker_routes(const struct wf_worker *w);
/* The routes a worker reads. */
const struct wf_routes *wf_routes_read(const struct wf_daemon *d);
/* Relaxed atomic counters and times shared by threads. */
#define WF_ADD(x, v) __atomic_fetch_add(&(x), (v), __ATOMIC_RELAXED)
#define WF_GET(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WF_SET(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
/* A counter with one writer (a worker's own): no read-modify-write needed. */
#define WF_BUMP(x, v) WF_SET(x, WF_GET(x) + (v))

#endif
