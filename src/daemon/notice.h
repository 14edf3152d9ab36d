/* SPDX-License-Identifier: MIT */
/*
 * A revoked host is told (notice.c).
 */
#ifndef WEFT_DAEMON_NOTICE_H
#define WEFT_DAEMON_NOTICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "core/cert.h"

struct wf_daemon;

enum {
	WF_NOTICE_SOURCE_PER_S = 2, /* notices to one source address, a second */
	WF_NOTICE_SOURCE_BURST = 4,
	WF_NOTICE_PER_S = 50, /* notices in all, a second */
	WF_NOTICE_BURST = 50,
	WF_NOTICE_IDLE_MS = 60000, /* a revoked node looks at its initiations this often */
};

/* An initiation of init_len bytes from `to`, index `sender`, was refused
 * because certificate c is on our list: answer it with the next piece of
 * the list, within the budgets. */
void wf_notice_send(struct wf_daemon *d, const struct wf_cert *c, size_t init_len, uint32_t sender,
		    const union wf_endpoint *to, int64_t now);
/* A WF_MSG_REVOKED datagram from `from`. */
void wf_notice_receive(struct wf_daemon *d, const uint8_t *pkt, size_t len,
		       const union wf_endpoint *from, int64_t now);
/* The list, or this node's certificate (a renewal), changed: is the
 * certificate on the list now, or no longer? */
void wf_notice_self_check(struct wf_daemon *d, int64_t now);
/* Is it? Then this node initiates no handshake. */
bool wf_notice_self_revoked(const struct wf_daemon *d);

#endif
