/* SPDX-License-Identifier: MIT */
/*
 * Handshakes: Noise IX with the certificates in the payloads, the budgets
 * for what unauthenticated initiations cost, and the bootstrap addresses.
 * handshake.c.
 */
#ifndef WEFT_DAEMON_HANDSHAKE_H
#define WEFT_DAEMON_HANDSHAKE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/addr.h"
#include "core/cookie.h"
#include "core/noise.h"
#include "daemon/config.h"

struct wf_daemon;
struct wf_peer;

/* Budgets (per second, burst) for what unauthenticated packets cause. */
enum {
	WF_HS_LOAD_PER_S = 500,    /* handshake messages a second before cookies are asked */
	WF_HS_SOURCE_PER_S = 20,   /* under load: initiations per source address */
	WF_HS_SOURCE_BURST = 5,
};

/* A handshake we initiated and whose response we wait for. */
struct wf_handshake {
	uint32_t local_index;
	struct wf_noise_handshake noise;
	struct wf_peer *peer; /* NULL while bootstrapping to an unknown node */
	int64_t sent_ms;
	uint8_t mac1[WF_MAC_LEN]; /* of our initiation: a cookie reply quotes it */
};

/* A bootstrap address from the config: handshaked with until it answers. */
struct wf_bootstrap {
	char spec[WF_CONFIG_BOOTSTRAP_LEN];
	bool answered; /* a node there answered; now it is a peer like the others */
	bool is_self;  /* the node there is this one */
	union wf_endpoint endpoint;
	struct wf_handshake *hs;
	struct wf_cookie_jar cookie;
	unsigned attempts;
	int64_t next_ms;
};

void wf_handshake_initiate(struct wf_daemon *d, struct wf_peer *p, int64_t now);
void wf_handshake_bootstrap(struct wf_daemon *d, struct wf_bootstrap *b, int64_t now);
void wf_handshake_abort(struct wf_daemon *d, struct wf_handshake *hs);
void wf_handshake_receive(struct wf_daemon *d, uint8_t *pkt, size_t len,
			  const union wf_endpoint *from, int64_t now);
/* Derive the network's handshake keys and set up the budgets; false if the
 * cookie key or the source table cannot be made. */
bool wf_handshake_setup(struct wf_daemon *d) WF_MUST_CHECK;
void wf_handshake_teardown(struct wf_daemon *d);

#endif
