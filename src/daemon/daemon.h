/* SPDX-License-Identifier: MIT */
/*
 * The daemon's state. In this first version one thread runs everything from
 * one epoll loop (loop.c): the TUN device, the UDP socket, the control
 * socket, signals and timers. The packet path allocates nothing and takes no
 * lock; docs/threading.md says how this splits into a control thread and
 * data-plane workers later.
 */
#ifndef WEFT_DAEMON_H
#define WEFT_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>

#include "common/addr.h"
#include "core/cert.h"
#include "core/noise.h"
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
	WF_DROP_BAD_SOURCE,  /* inner source address not owned by the sending peer */
	WF_DROP_HANDSHAKE,   /* a handshake message that failed (MAC, Noise, cert, ...) */
	WF_DROP_CERT,        /* a peer certificate was refused */
	WF_DROP_RATE_LIMIT,  /* handshakes over the per-source rate */
	WF_DROP_SEND_ERROR,  /* sendto() failed */
	WF_DROP_TUN_ERROR,   /* write to TUN failed */
	WF_DROP_MAX
};

const char *wf_drop_name(enum wf_drop d);

enum {
	WF_STAGED_MAX = 32,
	WF_PKT_MAX = 65535,
	WF_HS_ATTEMPTS_DOWN = 8, /* unanswered initiations before a peer shows "down" */
};

/* A handshake we initiated and whose response we wait for. */
struct wf_handshake {
	uint32_t local_index;
	struct wf_noise_handshake noise;
	struct wf_peer *peer; /* NULL while bootstrapping to an unknown node */
	int64_t sent_ms;
};

struct wf_peer {
	struct wf_peer *next;
	struct wf_cert cert;
	bool has_endpoint;
	union wf_endpoint endpoint;
	struct wf_session session;
	struct wf_handshake *hs; /* our initiation in flight, or NULL */

	unsigned hs_attempts;    /* initiations since the last success */
	int64_t hs_next_ms;      /* earliest time for the next initiation (0 = now) */
	int64_t last_handshake_ms; /* monotonic time a session was last established; 0 = never */
	int64_t last_rx_ms, last_tx_ms;
	uint64_t last_init_ts;   /* newest confirmed initiation timestamp from this peer */

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
	union wf_endpoint endpoint;
	struct wf_handshake *hs;
	unsigned attempts;
	int64_t next_ms;
};

/* What a receiver index points to. */
enum wf_index_kind { WF_INDEX_HANDSHAKE, WF_INDEX_KEYPAIR };

struct wf_index_entry {
	struct wf_index_entry *next;
	uint32_t index;
	enum wf_index_kind kind;
	void *ptr; /* struct wf_handshake * or struct wf_keypair * */
	struct wf_peer *peer;
	struct wf_bootstrap *bootstrap; /* handshakes to a bootstrap address */
};

enum { WF_INDEX_BUCKETS = 4096 };

struct wf_daemon {
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

	int tun_fd, udp_fd, epoll_fd, signal_fd, lock_fd;
	struct wf_control *control;

	struct wf_peer *peers;
	unsigned n_peers;
	struct wf_routes *routes;
	struct wf_index_entry *index[WF_INDEX_BUCKETS];
	struct wf_bootstrap *bootstrap;
	unsigned n_bootstrap;

	int64_t started_ms, last_tick_ms, last_gossip_ms;
	uint64_t drops[WF_DROP_MAX];
	int64_t icmp_window_ms; /* rate limit for ICMP unreachable: */
	unsigned icmp_sent;     /* errors sent in the current second */
	bool stop;

	/* One packet buffer with room for the data header before and the tag
	 * after; the whole packet path works in it, in place. */
	uint8_t buf[WF_DATA_HEADER_LEN + WF_PKT_MAX + WF_AEAD_TAG_LEN + 64];
};

/* time.c */
int64_t wf_now_ms(void);
uint64_t wf_realtime_ns(void);

/* peer.c */
struct wf_peer *wf_peer_find(struct wf_daemon *d, const uint8_t pubkey[WF_KEY_LEN]);
struct wf_peer *wf_peer_add(struct wf_daemon *d, const struct wf_cert *cert);
void wf_peer_update_cert(struct wf_daemon *d, struct wf_peer *p, const struct wf_cert *cert);
void wf_peer_free_all(struct wf_daemon *d);
void wf_peer_drop_keypair(struct wf_daemon *d, struct wf_keypair *kp);
/* Count a dropped packet, node-wide and (if p) for the peer. */
void wf_count_drop(struct wf_daemon *d, struct wf_peer *p, enum wf_drop why);
/* Nothing heard for three keepalive periods and a handshake timeout. */
bool wf_peer_silent(const struct wf_daemon *d, const struct wf_peer *p, int64_t now);
const char *wf_peer_state(const struct wf_daemon *d, const struct wf_peer *p, int64_t now);
bool wf_peer_stage(struct wf_peer *p, const uint8_t *pkt, size_t len);
uint32_t wf_index_add(struct wf_daemon *d, enum wf_index_kind kind, void *ptr, struct wf_peer *peer,
		      struct wf_bootstrap *b);
struct wf_index_entry *wf_index_find(struct wf_daemon *d, uint32_t index);
void wf_index_del(struct wf_daemon *d, uint32_t index);
/* Verify a peer's encoded certificate; logs why on failure. */
bool wf_peer_cert_check(struct wf_daemon *d, const uint8_t *enc, size_t len, struct wf_cert *out,
			const char *from);

/* handshake.c */
void wf_handshake_initiate(struct wf_daemon *d, struct wf_peer *p, int64_t now);
void wf_handshake_bootstrap(struct wf_daemon *d, struct wf_bootstrap *b, int64_t now);
void wf_handshake_abort(struct wf_daemon *d, struct wf_handshake *hs);
void wf_handshake_receive(struct wf_daemon *d, uint8_t *pkt, size_t len,
			  const union wf_endpoint *from, int64_t now);
void wf_handshake_setup_keys(struct wf_daemon *d);

/* data.c */
void wf_data_from_tun(struct wf_daemon *d, uint8_t *pkt, size_t len, int64_t now);
void wf_data_receive(struct wf_daemon *d, uint8_t *pkt, size_t len, const union wf_endpoint *from,
		     int64_t now);
/* Encrypt and send len bytes at d->buf + WF_DATA_HEADER_LEN (or a staged
 * buffer) to p with kp. */
bool wf_data_send(struct wf_daemon *d, struct wf_peer *p, struct wf_keypair *kp, uint8_t type,
		  uint8_t *pkt, size_t len, int64_t now);
void wf_data_send_keepalive(struct wf_daemon *d, struct wf_peer *p, int64_t now);
void wf_data_flush_staged(struct wf_daemon *d, struct wf_peer *p, int64_t now);
void wf_udp_send(struct wf_daemon *d, struct wf_peer *p, const union wf_endpoint *to,
		 const uint8_t *pkt, size_t len);

/* membership.c */
void wf_members_session_up(struct wf_daemon *d, struct wf_peer *p, int64_t now);
void wf_members_receive(struct wf_daemon *d, struct wf_peer *from, const uint8_t *msg, size_t len,
			int64_t now);
void wf_members_gossip(struct wf_daemon *d, int64_t now);

/* timers.c */
void wf_timers_tick(struct wf_daemon *d, int64_t now);
void wf_timers_session_up(struct wf_daemon *d, struct wf_peer *p, int64_t now);

/* status.c */
char *wf_status_json(struct wf_daemon *d);

/* loop.c */
int wf_daemon_run(const char *dir);

#endif
