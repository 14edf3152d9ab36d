/* SPDX-License-Identifier: MIT */
/*
 * Names for members (docs/deploy.md "Names (DNS)"): NAME.DOMAIN answered
 * with the overlay addresses in NAME's certificate, on UDP port 53 of this
 * node's own overlay addresses. core/dns.c makes each answer; this file
 * owns the sockets (in the control thread's epoll, like the exporter's),
 * the zone (rebuilt from the tick when the certificates it comes from
 * changed, at most once a second) and the budgets. Only the control thread
 * touches any of it, so a zone is freed as soon as another replaces it.
 */
#ifndef WEFT_DAEMON_NAMES_H
#define WEFT_DAEMON_NAMES_H

#include <stdbool.h>
#include <stdint.h>

#include "core/cert.h"
#include "core/ratelimit.h"
#include "daemon/config.h"
#include "daemon/resolved.h"

struct wf_daemon;
struct wf_dns_zone;

enum {
	WF_NAMES_PORT = 53,
	WF_NAMES_SOURCE_PER_S = 100, /* queries a second from one address ... */
	WF_NAMES_SOURCE_BURST = 100,
	WF_NAMES_ALL_PER_S = 1000, /* ... and from all of them */
	WF_NAMES_ALL_BURST = 1000,
	WF_NAMES_REBUILD_MS = 1000, /* the zone is looked at this often */
};

struct wf_names {
	bool on;		   /* dns = yes and a socket is bound */
	int fd[WF_CERT_MAX_ADDRS]; /* one per overlay address bound; -1 */
	char domain[WF_CONFIG_DOMAIN_LEN];
	struct wf_dns_zone *zone;
	uint32_t serial;
	uint64_t sum;	    /* a hash of what the zone was built from */
	bool dirty;	    /* rebuild at the next look (a reload) */
	int64_t next_ms;    /* the next look */
	struct wf_srclimit *sources;
	struct wf_rate source_rate, all_rate;
	int64_t all_tat;
	struct {
		uint64_t queries;  /* datagrams read */
		uint64_t answered; /* answers sent (refused and nxdomain among them) */
		uint64_t refused;  /* a name outside the domain, or another opcode */
		uint64_t nxdomain; /* a name under the domain that nobody holds */
		uint64_t dropped;  /* over budget, malformed, or not sent */
	} count;
	struct wf_resolved resolved; /* what systemd-resolved was told (resolved.c) */
};

/* Bind port 53 on each overlay address (once they are on the device) and
 * build the zone, if weft.conf says dns = yes. A socket that cannot be
 * bound is a warning naming its address: the daemon runs on without it.
 * False only when out of memory. */
bool wf_names_start(struct wf_daemon *d) WF_MUST_CHECK;
void wf_names_stop(struct wf_daemon *d);
/* Is fd one of the sockets? Then wf_names_read answers what waits on it. */
bool wf_names_owns(const struct wf_daemon *d, int fd);
void wf_names_read(struct wf_daemon *d, int fd, int64_t now);
/* From the timer tick: rebuild the zone if the certificates changed. */
void wf_names_tick(struct wf_daemon *d, int64_t now);
/* A reload: the domain (empty: the network's name), rebuilt at once. */
void wf_names_reload(struct wf_daemon *d, const char *domain, int64_t now);

#endif
