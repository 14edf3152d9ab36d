/* SPDX-License-Identifier: MIT */
/*
 * The daemon's state. One control thread (loop.c) runs handshakes, timers,
 * membership, the control socket and signals, and is the only writer of the
 * peers, the index table, the routes and the sessions; N data-plane workers
 * (worker.c), each with a queue of the TUN device and a UDP socket of its
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
#include "daemon/handshake.h"
#include "daemon/index.h"
#include "daemon/exporter.h"
#include "daemon/kernel.h"
#include "daemon/names.h"
#include "daemon/subnets.h"
#include "daemon/peer.h"
#include "daemon/revoked.h"
#include "daemon/service.h"
#include "daemon/worker.h"
#include "weft/wire.h"

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
	/* weft.conf's keys a reload read changed but only a restart applies
	 * (", "-separated; empty: none): status shows them. */
	char restart_pending[256];
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
	struct wf_routes *routes_pub; /* atomic: the workers' copy (wf_routes_flush) */
	bool routes_dirty;            /* routes changed since routes_pub was copied */
	/* Keypairs proven while routes_pub was behind: ready at its next copy. */
	struct wf_index_entry *unready;
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
		uint64_t revoked_told; /* notices sent to revoked initiators (notice.c) */
		uint64_t revoked_told_held; /* ... held back: over a budget */
	} count;
	/* Notices to revoked initiators: by source address, and in all. */
	struct wf_srclimit *notice_sources;
	struct wf_rate notice_rate, notice_all;
	int64_t notice_tat;
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
	/* Members this node ended or refused for the list, newest kept: what
	 * status shows of them once they are gone from the peers. */
	struct wf_revoked_peer gone[WF_REVOKED_SHOWN];
	unsigned n_gone;
	/* This node's own certificate on the list (notice.c); version 0: not. */
	struct wf_self_revoked self_revoked;
	int64_t next_cache_ms; /* peers.cache is written this often ... */
	uint64_t cache_sum;    /* ... when it differs from the last written (a hash) */
};

/* The packet path's threads and what they share (worker.c). */
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
	struct wf_kernel kern; /* the kernel data path (kernel.c) */
	struct wf_exporter exp; /* GET /metrics (exporter.c) */
	struct wf_names names;  /* DNS for members' names (names.c) */
	struct wf_subnets lan;	/* routes for peers' subnets outside the overlay (subnets.c) */
	struct wf_firewall fw;  /* the rules in force (filter.c) */
	struct wf_service svc;  /* what systemd is told (service.c) */
	int tun_fd, udp_fd, epoll_fd, signal_fd, lock_fd;
	struct wf_control *control;
	uint64_t drops[WF_DROP_MAX]; /* node-wide, from any thread */
	int64_t last_tick_ms;
	bool stop;
};

/* The value our own addresses have in the routes: no peer may claim them. */
#define WF_ROUTE_SELF(d) ((void *)&(d)->node.self)

/* This node's overlay address of a family (AF_INET, AF_INET6), or NULL. */
static inline const struct wf_prefix *wf_self_addr(const struct wf_daemon *d, int family)
{
	for (unsigned i = 0; i < d->node.self.n_addrs; i++)
		if (d->node.self.addrs[i].family == family)
			return &d->node.self.addrs[i];
	return NULL;
}

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
