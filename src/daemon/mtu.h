/* SPDX-License-Identifier: MIT */
/*
 * The MTU: the device's, and each peer's path. mtu.c.
 */
#ifndef WEFT_DAEMON_MTU_H
#define WEFT_DAEMON_MTU_H

#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

struct wf_daemon;
struct wf_peer;

/* The device's MTU: the largest that fits an underlay interface. */
unsigned wf_mtu_device(const struct wf_daemon *d);
/* From the tick: look at the path to p's endpoint when it changed (netlink,
 * never from the packet path), run its path MTU search (core/pmtud.h), and
 * give p routes with its MTU when that is smaller than the device's. */
void wf_mtu_tick(struct wf_daemon *d, struct wf_peer *p, int64_t now);
/* p moved to another endpoint: its path is searched again from the start. */
void wf_mtu_moved(struct wf_peer *p);
/* The kernel reported ICMP "too big" (mtu) for a datagram to `to`: a hint
 * for the search of the peer there (core/pmtud.h: it never lowers the MTU
 * by itself). Nobody there: nothing. */
void wf_mtu_ptb(struct wf_daemon *d, const union wf_endpoint *to, unsigned mtu, int64_t now);
/* A PMTU_PROBE from p (answered at once), a PMTU_ACK from p (for its search). */
void wf_mtu_probe_in(struct wf_daemon *d, struct wf_peer *p, const uint8_t *msg, size_t len,
		     int64_t now);
void wf_mtu_ack_in(struct wf_daemon *d, struct wf_peer *p, const uint8_t *msg, size_t len,
		   int64_t now);
/* Remove p's MTU routes (its certificate changes, it goes away). */
void wf_mtu_forget(struct wf_daemon *d, struct wf_peer *p);

#endif
