/* SPDX-License-Identifier: MIT */
/*
 * A session proven at our end (proven.c): the event both ends' handshake
 * paths raise, carried out in core/lifecycle.h's order.
 */
#ifndef WEFT_DAEMON_PROVEN_H
#define WEFT_DAEMON_PROVEN_H

#include <stdbool.h>
#include <stdint.h>

#include "common/addr.h"

struct wf_daemon;
struct wf_peer;
struct wf_keypair;
struct wf_index_entry;
struct wf_cert;

struct wf_proof {
	struct wf_peer *peer;
	struct wf_index_entry *entry; /* the keypair's, made ready for the workers */
	struct wf_keypair *kp;
	bool we_initiated;            /* a response to our initiation; else the
				       * first packet on keys we answered with */
	const struct wf_cert *cert;   /* the certificate the proof came with; NULL:
				       * the one held */
	const union wf_endpoint *from; /* the response's source (we_initiated) */
};

/* Our own handshake that was answered must be off p->hs before. */
void wf_session_proven(struct wf_daemon *d, const struct wf_proof *pf, int64_t now);

#endif
