/* SPDX-License-Identifier: MIT */
/*
 * The firewall's daemon side (core/firewall.h is the engine): the rule set
 * the workers read, each peer's ident, each worker's flows and the notes
 * other threads send it. filter.c; docs/threading.md "Firewall".
 *
 * Who writes what: the control thread compiles a rule set (at start, at a
 * reload) and publishes it by atomic exchange, the old one retired through
 * wf_retire; it makes each peer's ident whenever the peer's certificate is
 * installed, under a sequence lock, before any rule set that needs it. A
 * worker reads both without a lock and judges with its own flow table; a
 * flow another thread opened for a peer is noted to the worker that
 * receives from that peer, through that worker's inbox (many producers, one
 * consumer, fixed slots), which it drains before it judges what it read.
 */
#ifndef WEFT_DAEMON_FILTER_H
#define WEFT_DAEMON_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/firewall.h"

struct wf_daemon;
struct wf_worker;
struct wf_peer;
struct wf_config;
struct cJSON;

enum {
	WF_FW_INBOX = 256, /* notes waiting for a worker: a power of two */
	/* A note for every worker: the peer's receiving worker is not known
	 * yet (nothing authentic came from it on a worker). */
	WF_FW_ALL = WF_FW_NO_OWNER - 1,
};

struct wf_fw_slot {
	unsigned seq; /* atomic: which turn of the ring the slot is ready for */
	struct wf_fw_note note;
};

/* A thread's share (struct wf_worker's fw). */
struct wf_fw_worker {
	struct wf_fw_flows *flows;     /* its own: nobody else touches it */
	struct wf_fw_slot *inbox;      /* WF_FW_INBOX; NULL for the control thread's */
	unsigned in_head;	       /* the owner's: the next slot it reads */
	unsigned in_tail;	       /* atomic: the next slot a producer claims */
	uint64_t notes_lost;	       /* atomic: the inbox was full */
	bool used;		       /* judged since its figures were last published */
	struct wf_fw_flow_stats stats; /* atomic: its table's figures, for status */
};

/* The node's (struct wf_daemon's fw). */
struct wf_firewall {
	struct wf_fw_names *names; /* ids of the names rules mention, never reused */
	struct wf_fw_rules *rules; /* atomic: what the workers read; NULL: no rules */
	uint32_t gen, next_peer;
};

/* A peer's (struct wf_peer's fw). */
struct wf_peer_fw {
	uint32_t peer;	   /* its ident's number: never reused */
	uint8_t rx_worker; /* atomic: the worker that last received from it, + 1; 0: none yet */
	struct {
		unsigned seq;
		uint32_t w[sizeof(struct wf_fw_ident) / 4];
	} pub; /* its ident, under a sequence lock */
};

/* The names table and the rules of d->node.cfg, at start; false when out of
 * memory. */
bool wf_filter_setup(struct wf_daemon *d);
void wf_filter_release(struct wf_daemon *d);
/* A thread's table (capacity from the configuration) and inbox; false
 * when out of memory. */
bool wf_filter_worker_alloc(struct wf_worker *w);
void wf_filter_worker_free(struct wf_worker *w);
/* Compile n specs (NULL *out for none); false when out of memory. Nothing
 * the workers read changes. */
bool wf_filter_compile(struct wf_daemon *d, const struct wf_fw_spec *specs, unsigned n,
		       struct wf_fw_rules **out) __attribute__((warn_unused_result));
/* Make rs (from wf_filter_compile, or NULL) the rules in force: every peer's
 * ident made again first (its names may have new ids), then the exchange.
 * Cannot fail. */
void wf_filter_install(struct wf_daemon *d, struct wf_fw_rules *rs);
/* p's certificate was installed or replaced: its ident follows. */
void wf_filter_peer_cert(struct wf_daemon *d, struct wf_peer *p);
/* Judge a packet of len bytes to (WF_FW_OUT) or from (WF_FW_IN) p on
 * thread w: true to let it pass, false when it was dropped (and counted).
 * With no rules, one atomic load. */
bool wf_filter_pass(struct wf_worker *w, struct wf_peer *p, enum wf_fw_dir dir, const uint8_t *pkt,
		    size_t len, int64_t now);
/* Take the notes other threads sent w (before judging what it read). */
void wf_filter_take_notes(struct wf_worker *w, int64_t now);
/* A worker received from p: answers to flows opened elsewhere are noted to it. */
void wf_filter_rx_seen(struct wf_worker *w, struct wf_peer *p);
/* A worker's table's figures, for status (after a batch). */
void wf_filter_publish(struct wf_worker *w);
/* The rules in force and the tables' figures, into status's node object. */
void wf_filter_status(const struct wf_daemon *d, struct cJSON *node);
/* The tables' figures summed (status, metrics), and the notes lost. */
void wf_filter_totals(const struct wf_daemon *d, struct wf_fw_flow_stats *s, uint64_t *lost);

#endif
