/* SPDX-License-Identifier: MIT */
/*
 * Prometheus metrics: a plain snapshot of the node, and its rendering in
 * the text exposition format (version 0.0.4, what /metrics serves). The
 * names, labels and meanings are in docs/metrics.md; this is the one place
 * that writes them.
 *
 * Pure: the caller fills struct wf_metrics (the daemon, from what it
 * counts; a test, by hand) and gets text back; no clock, no I/O, no
 * daemon types. Strings are borrowed for the call.
 */
#ifndef WEFT_METRICS_H
#define WEFT_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A peer's session, as weft status says it (docs/status-json.md). */
enum wf_metrics_session {
	WF_METRICS_UP,
	WF_METRICS_CONNECTING,
	WF_METRICS_IDLE,
	WF_METRICS_DOWN,
	WF_METRICS_SESSION_STATES,
};

/* A member, as gossip holds it (docs/membership.md). */
enum wf_metrics_member {
	WF_METRICS_ALIVE,
	WF_METRICS_SUSPECT,
	WF_METRICS_DEAD,
	WF_METRICS_LEFT,
	WF_METRICS_MEMBER_STATES,
};

/* A count under a name: a drop reason, an offload. */
struct wf_metrics_count {
	const char *name; /* snake_case */
	uint64_t value;
};

struct wf_metrics_peer {
	const char *name;
	uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets; /* inner packets */
	const struct wf_metrics_count *drops;		     /* by reason */
	size_t n_drops;
	int64_t last_handshake; /* Unix seconds; 0: never */
	enum wf_metrics_session session;
	const char *path; /* how its packets travel: "udp4", "udp6"; NULL: no endpoint */
	uint64_t rtt_us;  /* 0: not measured */
	unsigned mtu;	  /* 0: not known */
	/* The path MTU search (0: the path not looked at): the path MTU in
	 * use (underlay IP packet size), its probes, those lost, black holes. */
	unsigned pmtu;
	uint64_t pmtu_probes, pmtu_losses, pmtu_black_holes;
	uint64_t gso_refusals; /* segmented sends to it the kernel refused */
	bool gso_off;	       /* its UDP segmentation off for now (after a refusal) */
};

struct wf_metrics_worker {
	uint64_t tun_reads, udp_reads; /* each a packet or a batch */
	uint64_t tun_super_packets, udp_gso_sends, udp_gro_runs, tun_coalesced_writes;
};

struct wf_metrics {
	const char *version;			    /* WEFT_VERSION */
	const char *node, *network, *cipher;	    /* cipher: "aes-256-gcm", "chacha20-poly1305" */
	int64_t start_time;			    /* Unix seconds */
	int64_t cert_not_after, ca_not_after;	    /* Unix seconds */
	uint64_t revocation_list_version;	    /* 0: none */
	bool revoked;				    /* this node's own certificate is on it */
	unsigned members[WF_METRICS_MEMBER_STATES]; /* this node included */
	uint64_t suspected, died, refuted;	    /* gossip's verdicts, since the start */
	uint64_t hs_initiated, hs_completed, hs_answered, hs_proven, cookies_sent;
	uint64_t revoked_told, revoked_told_held; /* revocation notices sent, held back */
	const struct wf_metrics_count *drops; /* node-wide, by reason */
	size_t n_drops;
	const struct wf_metrics_count *offloads; /* value 1: in use, 0: off */
	size_t n_offloads;
	const struct wf_metrics_worker *workers;
	size_t n_workers;
	const struct wf_metrics_peer *peers;
	size_t n_peers;
};

/* The whole exposition, malloc'd and NUL-terminated (length in *len);
 * NULL when out of memory. Serve it as
 * "text/plain; version=0.0.4; charset=utf-8". */
char *wf_metrics_render(const struct wf_metrics *m, size_t *len)
    __attribute__((warn_unused_result));

/* The names of the states above, as the "state" label writes them. */
const char *wf_metrics_session_name(enum wf_metrics_session s);
const char *wf_metrics_member_name(enum wf_metrics_member s);

#endif
