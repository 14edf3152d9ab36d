/* SPDX-License-Identifier: MIT */
/*
 * The kernel data path, the daemon's side (docs/datapath.md). At start it
 * chooses (datapath = auto | kernel | userspace), probes what the kernel can
 * do, clears what a crashed run left and makes the xfrm interface and the
 * ESP-in-UDP sockets. Then it keeps each peer's SAs, policies and routes
 * where the peer's session wants them (the steps of core/espplan.c, carried
 * out here over xfrm.c), reads the SAs' counters for liveness and status,
 * and acts on the kernel's expires and acquires. A clean stop removes all of
 * it. kernel.c; control thread only.
 */
#ifndef WEFT_DAEMON_KERNEL_H
#define WEFT_DAEMON_KERNEL_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/addr.h"
#include "core/esp.h"

struct wf_daemon;
struct wf_peer;
struct wf_index_entry;
struct wf_keypair;
struct cJSON;

enum {
	WF_KERNEL_WHY_LEN = 256,
	WF_KERNEL_POLL_MS = 1000, /* the SAs' counters are read this often */
	/* The base of weft's if_ids; the listen port is added, so that two
	 * daemons on one host (two networks, two ports) own apart. */
	WF_KERNEL_IF_ID_BASE = 0x77660000,
};

/* The node's kernel path (struct wf_daemon's kern). */
struct wf_kernel {
	bool on;			/* the kernel path runs */
	char why[WF_KERNEL_WHY_LEN];	/* why it does not, for the log and status */
	int fd;				/* NETLINK_XFRM requests */
	int ev_fd;			/* the kernel's expires and acquires */
	int encap_fd[2];		/* ESP in UDP: IPv4, IPv6 (-1: none) */
	uint32_t if_id;
	char ifname[IFNAMSIZ];
	struct wf_esp_caps caps;	/* what our handshakes say */
	int64_t next_poll_ms;
	struct wf_peer **by_reqid;	/* reqid - 1 -> its peer, or NULL */
	uint32_t n_reqid;
	uint64_t failed;		/* requests the kernel refused */
	uint64_t stray;			/* datagrams on the ESP-in-UDP port that were not ESP */
	uint64_t events_lost;		/* the kernel dropped events (its buffer was full) */
	uint64_t acquires;		/* packets with no SA to take them */
};

/* A peer's kernel state (struct wf_peer's esp). */
struct wf_peer_esp {
	struct wf_esp_caps caps; /* what it said in its last authentic handshake */
	uint32_t reqid;		 /* its SAs' and policies'; 0 until it needs one */
	bool in_pol, out_pol;	 /* (out_pol: outbound policies and routes) */
	/* The tunnel's outer addresses, fixed while it has anything in the
	 * kernel: a peer that moved comes back with a new keypair. */
	bool tunnel;
	struct wf_prefix local, remote;
	bool refused; /* a request for it failed: userspace with it from its next session */
	bool rekey;   /* a new keypair is wanted (a soft expire, an SA lost) */
	/* What its SAs carried, those gone included. */
	uint64_t rx_bytes, rx_packets, tx_bytes, tx_packets;
};

/* A keypair's (struct wf_index_entry's esp): NULL on the userspace path. */
struct wf_kp_esp {
	struct wf_esp_sa_keys keys;
	enum wf_esp_mode mode;
	uint16_t peer_port; /* its ESP-in-UDP port (WF_ESP_UDP) */
	bool in_sa, out_sa, in_used, out_used, confirmed;
	uint64_t in_bytes, in_packets, out_bytes, out_packets; /* as last read */
};

/* Decide and set up at start: 0 to go on (on, or userspace with the reason
 * logged), -1 if the daemon must not start (datapath = kernel and the kernel
 * cannot). Call after the UDP sockets and the TUN device exist. */
int wf_kernel_start(struct wf_daemon *d);
/* Remove everything weft made in the kernel: every peer back on the
 * userspace path, the SAs and policies, the interface, the sockets. */
void wf_kernel_stop(struct wf_daemon *d);

/* What our handshakes to p say (none for a peer the kernel refused). */
/* weft reload: whether the new configuration's data path can run (a
 * reload to datapath = kernel on a kernel without it is refused, naming
 * why in msg), and then the path stopped and started again as it says,
 * each peer's session made again; out says what runs. */
bool wf_kernel_reload_check(const struct wf_daemon *d, const struct wf_config *c, char *msg,
			    size_t cap);
void wf_kernel_reload(struct wf_daemon *d, const struct wf_config *c, char *out, size_t cap);

struct wf_esp_caps wf_kernel_caps(const struct wf_daemon *d, const struct wf_peer *p);
/* A new keypair with p, the other end's datapath TLV in caps (NULL: none),
 * with the Split() keys: on the kernel path if the pair is, its ESP keys
 * kept on its index entry e. */
void wf_kernel_keypair(struct wf_daemon *d, struct wf_peer *p, struct wf_index_entry *e,
		       const struct wf_keypair *kp, const uint8_t *caps, size_t caps_len,
		       const uint8_t c1[32], const uint8_t c2[32]);
/* Take p's kernel state where its session wants it now. Cheap when nothing
 * changed; called after every change of a session and from the tick. */
void wf_kernel_sync(struct wf_daemon *d, struct wf_peer *p);
/* A keypair leaves its session: its SAs go, and its keys. */
void wf_kernel_forget(struct wf_daemon *d, struct wf_peer *p, struct wf_index_entry *e);
/* p goes: everything of it in the kernel, and its reqid. */
void wf_kernel_peer_gone(struct wf_daemon *d, struct wf_peer *p);

/* The tick: the SAs' counters (liveness, status), strays on the ESP-in-UDP
 * sockets. */
void wf_kernel_tick(struct wf_daemon *d, int64_t now);
/* The event socket is readable. */
void wf_kernel_events(struct wf_daemon *d);

/* For status: the path p's current session is on ("kernel", "kernel-udp",
 * "userspace"). */
const char *wf_kernel_peer_path(const struct wf_daemon *d, const struct wf_peer *p);
void wf_kernel_status(const struct wf_daemon *d, struct cJSON *node);
void wf_kernel_peer_status(const struct wf_daemon *d, const struct wf_peer *p, struct cJSON *o);

#endif
