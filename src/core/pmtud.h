/* SPDX-License-Identifier: MIT */
/*
 * Path MTU discovery without ICMP: RFC 8899's Datagram PLPMTUD over weft's
 * own messages, for one peer's path. Padded probes (PMTU_PROBE control
 * messages, docs/protocol.md) that the peer acknowledges (PMTU_ACK) tell
 * which datagram sizes reach it; nothing depends on ICMP getting through,
 * though a "packet too big" the kernel reports is taken as a hint.
 *
 * Sizes are those of the underlay IP packet (IP and UDP headers included):
 * what a path's MTU limits. The state machine is RFC 8899's (section 5.2):
 *
 *   DISABLED   no session: nothing is probed
 *   BASE       confirming BASE_PLPMTU after a black hole (see below)
 *   SEARCHING  probing upward: the route's MTU first (most paths carry
 *              it), then a bisection between the largest size acknowledged
 *              and the smallest lost, until they are within `step` bytes
 *   COMPLETE   the PLPMTU is in use; it is confirmed by a probe of its size
 *              every confirm_ms, and searched above every raise_ms
 *   ERROR      not even BASE_PLPMTU passes: MIN_PLPMTU is used, and BASE is
 *              tried again every confirm_ms
 *
 * A probe not acknowledged within probe_ms is lost; a size is given up
 * after max_probes losses in a row (one loss is not a verdict). A
 * confirmation given up is a black hole: back to BASE, and searching again
 * from there. Where weft departs from the RFC, on purpose:
 * - it starts in COMPLETE with the route's MTU, unconfirmed, and confirms it
 *   at once, rather than at BASE_PLPMTU: on the common path that already
 *   carries it nothing changes (TCP connections opened in the first round
 *   trip are not stuck with a small MSS), and a path that does not is found
 *   out within max_probes x probe_ms;
 * - probe_ms is 1 s (the RFC's floor; it recommends over 15 s for transports
 *   whose acknowledgments may be delayed): a PMTU_ACK is sent the moment a
 *   probe arrives;
 * - a "packet too big" lower than the PLPMTU never lowers it by itself (an
 *   ICMP message is easy to forge): it starts a confirmation at once, and
 *   its size is the first one tried if the confirmation fails.
 *
 * Pure: events in, a struct wf_pmtud_out out, time passed in (ms).
 */
#ifndef WEFT_PMTUD_H
#define WEFT_PMTUD_H

#include <stdbool.h>
#include <stdint.h>

enum wf_pmtud_state {
	WF_PMTUD_DISABLED,
	WF_PMTUD_BASE,
	WF_PMTUD_SEARCHING,
	WF_PMTUD_COMPLETE,
	WF_PMTUD_ERROR,
};

enum {
	/* IPv6: its minimum link MTU (RFC 8200) is both the base and the
	 * floor. IPv4: RFC 8899's recommended 1200-byte datagram as the base
	 * (the size of every weft initiation, so a path that carried the
	 * handshake carries it), 576 (RFC 791, what every host reassembles)
	 * as the floor. */
	WF_PMTUD_BASE4 = 1200 + 8 + 20,
	WF_PMTUD_MIN4 = 576,
	WF_PMTUD_BASE6 = 1280,
	WF_PMTUD_MIN6 = 1280,
	WF_PMTUD_MAX = 65535,
};

struct wf_pmtud_cfg {
	uint32_t probe_ms;   /* PROBE_TIMER: an unacknowledged probe is lost (1 s) */
	uint32_t confirm_ms; /* CONFIRMATION_TIMER: the PLPMTU probed again (30 s) */
	uint32_t raise_ms;   /* PMTU_RAISE_TIMER: search above it again (600 s) */
	uint8_t max_probes;  /* MAX_PROBES: losses in a row that give a size up (3) */
	uint16_t step;	     /* the search ends within this many bytes (8) */
};

void wf_pmtud_cfg_default(struct wf_pmtud_cfg *cfg);

struct wf_pmtud {
	struct wf_pmtud_cfg cfg;
	uint8_t state, family, count; /* count: losses in a row of this size */
	unsigned min, base, max;      /* MIN_, BASE_ and MAX_PLPMTU (the route's MTU) */
	unsigned plpmtu;	      /* in use */
	unsigned lo, hi;	      /* search: lo passes, hi does not (max + 1: unknown) */
	unsigned probed;	      /* the probe in flight, 0 if none */
	unsigned hint;		      /* a PTB's size, tried first after a black hole */
	uint32_t seq;		      /* of the last probe sent */
	int64_t probe_due;	      /* PROBE_TIMER, while a probe is in flight */
	int64_t confirm_due, raise_due;
	uint64_t probes, acks, losses, black_holes; /* for status */
};

/* What to do after an event: at most one probe to send, and the path MTU
 * to use from now on when it changed. */
struct wf_pmtud_out {
	bool probe;
	uint32_t seq;
	unsigned size; /* the probe's IP packet size */
	bool changed;
	unsigned pmtu; /* the new path MTU (IP packet size) */
};

/* For a path over family (AF_INET, AF_INET6) whose route allows route_mtu:
 * DISABLED until wf_pmtud_up. */
void wf_pmtud_init(struct wf_pmtud *p, const struct wf_pmtud_cfg *cfg, int family,
		   unsigned route_mtu);

/* Events. Each fills *out (cleared first). */
/* A session is up: the route's MTU is used, and confirmed at once. */
void wf_pmtud_up(struct wf_pmtud *p, int64_t now, struct wf_pmtud_out *out);
/* The session is gone: DISABLED (the MTU stays as it was). */
void wf_pmtud_down(struct wf_pmtud *p);
/* The peer acknowledged probe seq of size bytes (an authenticated PMTU_ACK);
 * anything but the last probe sent is ignored. */
void wf_pmtud_acked(struct wf_pmtud *p, uint32_t seq, unsigned size, int64_t now,
		    struct wf_pmtud_out *out);
/* The kernel reported "packet too big" for a datagram to this peer: the
 * path carries size bytes at most. */
void wf_pmtud_ptb(struct wf_pmtud *p, unsigned size, int64_t now, struct wf_pmtud_out *out);
/* The route to the peer now allows route_mtu (the interface, or the route's
 * own MTU, changed; or the endpoint moved). */
void wf_pmtud_route(struct wf_pmtud *p, unsigned route_mtu, int64_t now, struct wf_pmtud_out *out);
/* Time passes: losses, confirmations, raises. Call at wf_pmtud_next. */
void wf_pmtud_tick(struct wf_pmtud *p, int64_t now, struct wf_pmtud_out *out);
/* When the next tick is due (INT64_MAX: none). */
int64_t wf_pmtud_next(const struct wf_pmtud *p);

/* The overlay MTU for the path MTU in use (wf_overlay_mtu: minus IP, UDP
 * and weft's 32 bytes, with its floors). */
unsigned wf_pmtud_overlay_mtu(const struct wf_pmtud *p, bool overlay_ipv6);

const char *wf_pmtud_state_name(enum wf_pmtud_state s);

#endif
