/* SPDX-License-Identifier: MIT */
/*
 * The receiver-index table: what the index in a datagram points to (a
 * handshake in flight, or a keypair), read by the workers without a lock.
 * peer.c.
 */
#ifndef WEFT_DAEMON_INDEX_H
#define WEFT_DAEMON_INDEX_H

#include <stdbool.h>
#include <stdint.h>

#include "common/retire.h"

struct wf_daemon;
struct wf_peer;
struct wf_bootstrap;
struct wf_cert;
struct wf_kp_esp;

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
	/* A keypair on the kernel data path: its ESP keys and SAs (kernel.c). */
	struct wf_kp_esp *esp;
	struct wf_index_entry *next_unready; /* d->peers.unready (wf_index_ready) */
	struct wf_retire_link rl;
};

enum { WF_INDEX_BUCKETS = 4096 };

uint32_t wf_index_add(struct wf_daemon *d, enum wf_index_kind kind, void *ptr, struct wf_peer *peer,
		      struct wf_bootstrap *b);
struct wf_index_entry *wf_index_find(struct wf_daemon *d, uint32_t index);
void wf_index_del(struct wf_daemon *d, uint32_t index);

#endif
