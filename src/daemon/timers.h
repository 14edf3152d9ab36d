/* SPDX-License-Identifier: MIT */
/*
 * Everything that happens because time passed. timers.c.
 */
#ifndef WEFT_DAEMON_TIMERS_H
#define WEFT_DAEMON_TIMERS_H

#include <stdint.h>

struct wf_daemon;
struct wf_peer;
struct wf_cert;

void wf_timers_tick(struct wf_daemon *d, int64_t now);
/* Warn of certificates (ours, the CA's, peers') that end within 30 days:
 * called at start and daily; an error the moment ours ends. */
void wf_timers_expiry(struct wf_daemon *d, int64_t now, int64_t wall);
/* The warning for one certificate (whose: "the certificate of db1"), if it
 * ends within 30 days; also when a peer is proven or renews. */
void wf_warn_expiry(const char *whose, const struct wf_cert *c, int64_t wall);
void wf_warn_peer_expiry(const struct wf_peer *p, int64_t wall);
void wf_timers_session_up(struct wf_daemon *d, struct wf_peer *p, int64_t now);
/* What the lifecycle rules (core/lifecycle.h) need to know of p at now. */
struct wf_lc_peer;
void wf_timers_facts(struct wf_daemon *d, struct wf_peer *p, int64_t now, struct wf_lc_peer *f);

#endif
