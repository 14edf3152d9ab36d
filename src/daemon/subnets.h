/* SPDX-License-Identifier: MIT */
/*
 * Kernel routes for the subnets peers route outside the overlay (a LAN
 * behind a gateway member; docs/deploy.md, "Subnets behind a host"). The
 * overlay's own prefixes are routed to the TUN device at start; a subnet
 * outside them needs a route of its own, which this keeps: a device route
 * for each prefix a peer holds in the route table (it proved its key, and
 * its certificate won the prefix) that lies outside every CA prefix, while
 * it holds it. Not for this node's own routes, nor a family this node has
 * no overlay address of (the kernel would have no source address for it),
 * nor a peer on the kernel path (its routes go into the xfrm interface).
 * Control thread only; reconciled once a second and when the kernel path
 * lets a peer go.
 */
#ifndef WEFT_DAEMON_SUBNETS_H
#define WEFT_DAEMON_SUBNETS_H

#include <stdint.h>

#include "common/addr.h"

struct wf_daemon;
struct wf_peer;

struct wf_subnets {
	struct wf_prefix *v; /* the routes added, and not removed since */
	unsigned n, cap;
	int64_t next_ms;
	uint64_t refused; /* adds the kernel refused (a prefix routed elsewhere here) */
};

/* Add what is wanted, remove what is not: at most once a second unless now
 * is 0 (at once). */
void wf_subnets_sync(struct wf_daemon *d, int64_t now);
/* Is r one of the routes added (and not removed since)? */
bool wf_subnets_added(const struct wf_subnets *s, const struct wf_prefix *r);
/* p's routes, before the kernel path routes its prefixes itself. */
void wf_subnets_forget(struct wf_daemon *d, const struct wf_peer *p);
/* Every route added (the daemon stops). */
void wf_subnets_clear(struct wf_daemon *d);

#endif
