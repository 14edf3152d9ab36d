/* SPDX-License-Identifier: MIT */
/*
 * Everything that happens because time passed, run from the event loop about
 * ten times a second: handshake retries with backoff, rekeying, key expiry,
 * keepalives, dead-peer detection and bootstrap retries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/log.h"
#include "core/lifecycle.h"
#include "daemon/daemon.h"
#include "daemon/cache.h"
#include "daemon/data.h"
#include "daemon/handshake.h"
#include "daemon/kernel.h"
#include "daemon/membership.h"
#include "daemon/mtu.h"
#include "daemon/peer.h"
#include "daemon/revoked.h"
#include "daemon/subnets.h"
#include "daemon/timers.h"
#include "daemon/worker.h"

enum { EXPIRY_WARN_S = 30 * 86400, EXPIRY_CHECK_MS = 86400 * 1000 };

void wf_warn_expiry(const char *whose, const struct wf_cert *c, int64_t wall)
{
	char when[WF_UTC_LEN];

	if (c->not_after - wall > EXPIRY_WARN_S || c->not_after < wall)
		return;
	log_warnx("%s expires in %lld days, at %s: renew it (weft ca renew)", whose,
		  (long long)((c->not_after - wall) / 86400), wf_utc(c->not_after, when));
}

void wf_warn_peer_expiry(const struct wf_peer *p, int64_t wall)
{
	char whose[WF_CERT_NAME_MAX + 32];

	snprintf(whose, sizeof(whose), "the certificate of %s", p->cert.name);
	wf_warn_expiry(whose, &p->cert, wall);
}

void wf_timers_expiry(struct wf_daemon *d, int64_t now, int64_t wall)
{
	char when[WF_UTC_LEN];

	/* Ours ended: peers refuse our handshakes from now on. Say so at once. */
	if (!d->node.self_expired && wall > d->node.self.not_after) {
		d->node.self_expired = true;
		log_errorx("this node's certificate expired at %s: peers refuse its handshakes, "
			   "and its sessions end as their keys expire; renew it (weft ca renew) "
			   "and restart",
			   wf_utc(d->node.self.not_after, when));
	}
	if (now < d->node.next_expiry_check_ms)
		return;
	d->node.next_expiry_check_ms = now + EXPIRY_CHECK_MS;
	wf_warn_expiry("this node's certificate", &d->node.self, wall);
	wf_warn_expiry("the CA certificate", &d->node.ca, wall);
	for (struct wf_peer *p = d->peers.list; p; p = p->next)
		if (p->proven)
			wf_warn_peer_expiry(p, wall);
}

void wf_timers_session_up(struct wf_daemon *d, struct wf_peer *p, int64_t now)
{
	if (!p->last_handshake_ms)
		log_info("session with %s established", p->cert.name);
	else
		log_debug("session with %s renewed", p->cert.name);
	p->last_handshake_ms = now;
	p->cert_renew = false; /* it has our certificate as it is now */
	p->hs_attempts = 0;
	p->hs_next_ms = 0;
	p->call = false;
	p->esp.rekey = false; /* (a new keypair: its own SAs) */
	p->data_mark = wf_peer_packets(p);
	WF_SET(p->last_rx_ms, now);
}

static void expire(struct wf_daemon *d, struct wf_peer *p, int64_t now)
{
	struct wf_keypair *dropped[WF_SESSION_DROP_MAX];
	int n = wf_session_expire(&p->session, &d->node.limits, now, dropped);

	if (n)
		wf_peer_publish(d, p);
	wf_peer_drop_keypairs(d, dropped, n);
}

/* Nothing left of a node that never proved itself: forget it. */
static bool stranger_gone(const struct wf_peer *p)
{
	if (p->proven || p->has_endpoint || p->hs)
		return false;
	for (int i = 0; i < WF_PENDING_SLOTS; i++)
		if (p->session.pending[i])
			return false;
	return true;
}

/* Nobody answered the calls made for p's traffic: drop what waited. */
static void give_up(struct wf_daemon *d, struct wf_peer *p)
{
	log_info("peer %s is not answering; %u packets that waited for it dropped", p->cert.name,
		 p->n_staged);
	for (unsigned i = 0; i < p->n_staged; i++)
		free(p->staged[i]);
	wf_count_drops(d, p, WF_DROP_NO_SESSION, p->n_staged);
	p->n_staged = 0;
	p->call = false;
	p->hs_attempts = 0;
	if (p->hs)
		wf_handshake_abort(d, p->hs); /* (its answer would come too late) */
}

void wf_timers_facts(struct wf_daemon *d, struct wf_peer *p, int64_t now, struct wf_lc_peer *f)
{
	*f = (struct wf_lc_peer){
	    .keys = wf_session_sendable(&p->session, &d->node.limits, now) != NULL,
	    .rekey_due = wf_session_wants_rekey(&p->session, &d->node.limits, now) || p->esp.rekey,
	    .silent = wf_peer_silent(d, p, now),
	    .proven = p->proven,
	    .endpoint = p->has_endpoint,
	    .on_demand = wf_peer_on_demand(d, p),
	    .used = wf_peer_used(p),
	    .waiting = p->n_staged || p->call,
	    .left = p->member_state == WF_GS_LEFT,
	    .cert_renew = p->cert_renew,
	    .defer_credit = p->defer_ok,
	    .attempts = p->hs_attempts,
	    .next_ms = p->hs_next_ms,
	    .answered_ms = wf_session_answered_ms(&p->session),
	    .last_tx_ms = WF_GET(p->last_tx_ms),
	};
}

/* Run p's timer rules and carry out what they say. */
static void peer_tick(struct wf_daemon *d, struct wf_peer *p, int64_t now)
{
	const struct wf_lc_cfg cfg = {
	    .keepalive_ms = d->node.cfg.keepalive_interval_ms,
	    .hs_timeout_ms = d->node.cfg.handshake_timeout_ms,
	    .attempts_down = WF_HS_ATTEMPTS_DOWN,
	};
	struct wf_lc_peer f;
	unsigned act;

	expire(d, p, now);
	wf_kernel_sync(d, p);
	wf_timers_facts(d, p, now, &f);
	act = wf_lc_tick(&cfg, &f, now);
	if (act & WF_LC_MESH_DOWN)
		p->mesh_up = false; /* tell the mesh again when it is back */
	wf_gossip_link(&d->mem.gossip, p->cert.pubkey, act & WF_LC_LINK);
	if (act & WF_LC_GIVE_UP)
		give_up(d, p);
	if (act & WF_LC_CREDIT_SPENT)
		p->defer_ok = false;
	if (act & WF_LC_NOT_ANSWERING)
		log_info("peer %s is not answering; retrying with backoff", p->cert.name);
	if (act & WF_LC_INITIATE)
		wf_handshake_initiate(d, p, now);
	if (act & WF_LC_KEEPALIVE)
		wf_data_send_keepalive(d, p, now);
}

static bool any_live(struct wf_daemon *d, int64_t now)
{
	for (struct wf_peer *p = d->peers.list; p; p = p->next)
		if (wf_peer_up(d, p, now))
			return true;
	return false;
}

static void bootstrap_tick(struct wf_daemon *d, int64_t now)
{
	bool alone = !any_live(d, now);

	/* On demand, cut off from every member: call a few we know. */
	if (alone && d->mem.gossip.sparse && now >= d->mem.next_cold_call_ms) {
		d->mem.next_cold_call_ms = now + WF_COLD_CALL_MS;
		wf_peer_call_some(d, WF_COLD_CALLS);
	}

	for (unsigned i = 0; i < d->peers.n_bootstrap; i++) {
		struct wf_bootstrap *b = &d->peers.bootstrap[i];

		/* Once a bootstrap node answered it is a peer like the others;
		 * ask the bootstrap addresses again only when we are cut off
		 * (the node there may have a new key since). */
		if (b->answered && !b->is_self && alone && now >= b->next_ms)
			b->answered = false;
		if (!b->answered && now >= b->next_ms)
			wf_handshake_bootstrap(d, b, now);
	}
}

/* A certificate that ended: its holder is no longer a member (its sessions
 * end, gossip forgets it, its addresses are free). */
static bool expired(const struct wf_peer *p, int64_t wall)
{
	char when[WF_UTC_LEN];

	if (p->cert.not_after >= wall)
		return false;
	log_warnx("the certificate of %s ended at %s: it is no longer a member", p->cert.name,
		  wf_utc(p->cert.not_after, when));
	return true;
}

void wf_timers_tick(struct wf_daemon *d, int64_t now)
{
	int64_t wall = (int64_t)time(NULL);

	for (struct wf_peer *p = d->peers.list, *next; p; p = next) {
		next = p->next;
		if (expired(p, wall)) {
			wf_peer_remove(d, p);
			continue;
		}
		peer_tick(d, p, now);
		wf_mtu_tick(d, p, now);
		if (stranger_gone(p))
			wf_peer_remove(d, p);
	}
	bootstrap_tick(d, now);
	wf_kernel_tick(d, now);
	wf_subnets_sync(d, now);
	wf_members_gossip(d, now);
	wf_revoked_tick(d, now);
	/* The cache is first written a period after the start: what was
	 * loaded from it has had time to answer. */
	if (!d->mem.next_cache_ms) {
		d->mem.next_cache_ms = now + WF_CACHE_SAVE_MS;
	} else if (now >= d->mem.next_cache_ms) {
		d->mem.next_cache_ms = now + WF_CACHE_SAVE_MS;
		wf_cache_save(d);
	}
	wf_timers_expiry(d, now, wall);
}
