/* SPDX-License-Identifier: MIT */
/*
 * The MTU: the device's, and each peer's path. mtu.c.
 */
#ifndef WEFT_DAEMON_MTU_H
#define WEFT_DAEMON_MTU_H

struct wf_daemon;
struct wf_peer;

/* The device's MTU: the largest that fits an underlay interface. */
unsigned wf_mtu_device(const struct wf_daemon *d);
/* Look at the path to p's endpoint: give p routes with its MTU if it is
 * smaller than the device's (netlink: from the tick, never the packet path). */
void wf_mtu_check(struct wf_daemon *d, struct wf_peer *p);
/* Remove p's MTU routes (its certificate changes, it goes away). */
void wf_mtu_forget(struct wf_daemon *d, struct wf_peer *p);

#endif
