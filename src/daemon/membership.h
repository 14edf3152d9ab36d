/* SPDX-License-Identifier: MIT */
/*
 * Membership in the daemon: the gossip core wired to the sessions.
 * membership.c.
 */
#ifndef WEFT_DAEMON_MEMBERSHIP_H
#define WEFT_DAEMON_MEMBERSHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wf_daemon;
struct wf_peer;

enum {
	WF_MEMBER_PER_S = 200,     /* control messages taken from one peer ... */
	WF_MEMBER_BURST = 2048,    /* ... and at once */
	WF_COLD_CALLS = 8,         /* on demand, cut off: members called at once */
	WF_COLD_CALL_MS = 10000,   /* ... and again this often while cut off */
};

bool wf_members_init(struct wf_daemon *d, int64_t now);
void wf_members_release(struct wf_daemon *d);
/* p is reachable again (or for the first time): a contact for the core. Not
 * called on rekeys, which change nothing the mesh needs to hear. */
void wf_members_peer_up(struct wf_daemon *d, struct wf_peer *p, int64_t now);
void wf_members_receive(struct wf_daemon *d, struct wf_peer *from, const uint8_t *msg, size_t len,
			int64_t now);
/* p's told endpoint was given up: ask another member where p is (CERT_REQ,
 * answered by a MEMBER message with its endpoint). */
void wf_members_ask_endpoint(struct wf_daemon *d, struct wf_peer *p, int64_t now);
/* Send one control message (len <= WF_GOSSIP_MTU_MAX) to p, if a session
 * with it can carry it now; false if not (nothing is queued). */
bool wf_members_send(struct wf_daemon *d, struct wf_peer *p, const uint8_t *msg, size_t len,
		     int64_t now);
/* The mesh's size: members in the gossip table, or peers proven or told of
 * (this node included), whichever is more; never unproven strangers. */
unsigned wf_members_count(const struct wf_daemon *d);
/* The core's timers (probes, gossip, comparisons, forgetting). */
void wf_members_gossip(struct wf_daemon *d, int64_t now);
/* A clean leave: tell the mesh before the sessions go. */
void wf_members_leave(struct wf_daemon *d, int64_t now);

#endif
