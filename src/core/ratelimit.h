/* SPDX-License-Identifier: MIT */
/*
 * Budgets for the work that packets nobody has authenticated can cause.
 *
 * A budget is a token bucket kept as one number, the "theoretical arrival
 * time" of the generic cell rate algorithm: each event allowed moves it one
 * interval on, and an event is allowed while it is no further than the
 * burst ahead of now. So `rate` events a second pass on average, `burst` at
 * once after a quiet spell, and no timer or refill is ever needed.
 *
 * On top of it: a table of budgets per source address (IPv4 address, or IPv6
 * /64, since whoever has one address of a /64 usually has all of them), and a
 * meter that tells when the handshake path is under load. Pure: time is passed
 * in, monotonic milliseconds.
 */
#ifndef WEFT_RATELIMIT_H
#define WEFT_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/addr.h"

struct wf_rate {
	int64_t interval_us; /* 1 s / rate */
	int64_t burst_us;    /* (burst - 1) intervals of tolerance */
};

/* A budget of per_second events a second, burst at once. */
struct wf_rate wf_rate_make(unsigned per_second, unsigned burst);
/* One event every interval_ms, burst at once. */
struct wf_rate wf_rate_every(unsigned interval_ms, unsigned burst);
/* May one more event happen at now? If so it is counted against *tat. */
bool wf_rate_allow(const struct wf_rate *r, int64_t *tat, int64_t now_ms);

enum {
	WF_SRCLIMIT_SLOTS = 4096,
	WF_SOURCE_LEN = 9, /* family byte, then the IPv4 address or the IPv6 /64 */
	WF_ADDR_KEY_LEN = 17, /* family byte, then the whole address */
};

/* The part of an address that names its owner: IPv4 whole, IPv6 its /64. */
void wf_source_of(const union wf_endpoint *from, uint8_t out[WF_SOURCE_LEN]);

struct wf_srclimit {
	uint64_t key; /* random: an attacker cannot aim at another's slot */
	bool whole;   /* by whole address (IPv6 too), not by source (its /64) */
	struct {
		uint8_t addr[WF_ADDR_KEY_LEN];
		int64_t tat;
	} slot[WF_SRCLIMIT_SLOTS];
};

/* A table of budgets by source (wf_source_of), or with whole set by whole
 * address: for what this node sends to an address, not what it takes from a
 * sender (IPv6 hosts of one /64 are others). */
void wf_srclimit_init(struct wf_srclimit *t, uint64_t key, bool whole);
/* May one more event come from this source address now? A source whose slot
 * another took starts afresh: a collision only ever gives more budget. */
bool wf_srclimit_allow(struct wf_srclimit *t, const struct wf_rate *r,
		       const union wf_endpoint *from, int64_t now_ms);

/* Under load: more than threshold handshake messages in a second. The state
 * holds for a second after the rate falls back, as WireGuard's does. */
struct wf_load {
	unsigned threshold;
	unsigned count;
	int64_t window_ms, until_ms;
};

/* Count one handshake message; returns whether the path is under load. */
bool wf_load_note(struct wf_load *l, int64_t now_ms);

#endif
