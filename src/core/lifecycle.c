/* SPDX-License-Identifier: MIT */
/*
 * A peer's timers, one rule a function (lifecycle.h).
 */
#include "core/lifecycle.h"

/* Its session can carry packets, and it answers. */
static bool up(const struct wf_lc_peer *f)
{
	return f->keys && !f->silent;
}

/* Can gossip choose to send to it? A session that is up and proven, and on
 * demand one not near its end: an idle one is let go before it ends, so that
 * nothing is sent on keys the other end drops first. */
static bool linked(const struct wf_lc_peer *f)
{
	return up(f) && f->proven && !(f->on_demand && f->rekey_due);
}

/* On demand, nobody answered the calls made for what waits (or there is
 * nowhere to call): drop it, and call no more until traffic asks again. */
static bool give_up(const struct wf_lc_cfg *cfg, const struct wf_lc_peer *f, int64_t now)
{
	bool no_answer = !f->endpoint || (f->attempts >= cfg->attempts_down && now >= f->next_ms);

	return f->on_demand && no_answer && !f->keys && f->waiting;
}

/* Is a handshake wanted? In a full mesh: no keys, keys old or worn, a
 * silent peer (presumed dead: try again), or a certificate to hand over.
 * On demand: while something waits for keys, and renewed only while data
 * goes through (else the keys run out: idle). A member that left is not
 * called: it calls when it is back. */
static bool wanted(const struct wf_lc_peer *f)
{
	bool need;

	if (f->on_demand)
		need = f->keys ? f->rekey_due && f->used : f->waiting;
	else
		need = !f->keys || f->rekey_due || f->silent || f->cert_renew;
	return need && !(f->left && !f->keys);
}

/* We answered its initiation from where it is a moment ago: let that proof
 * come rather than cross it, but for one handshake timeout only, and only
 * once until a proof: forgeries sent over and over cannot hold us back. */
static bool deferred(const struct wf_lc_cfg *cfg, const struct wf_lc_peer *f, int64_t now,
		     unsigned *act)
{
	if (!f->answered_ms || !f->defer_credit)
		return false;
	if (now - f->answered_ms < cfg->hs_timeout_ms)
		return true;
	*act |= WF_LC_CREDIT_SPENT;
	return false;
}

/* Keepalives: on a session that is used (in a full mesh, every one), once a
 * keepalive interval passed without anything sent. */
static bool keepalive_due(const struct wf_lc_cfg *cfg, const struct wf_lc_peer *f, int64_t now)
{
	return f->keys && (!f->on_demand || f->used) && cfg->keepalive_ms &&
	       now - f->last_tx_ms >= cfg->keepalive_ms;
}

unsigned wf_lc_tick(const struct wf_lc_cfg *cfg, const struct wf_lc_peer *f, int64_t now)
{
	unsigned act = 0;

	if (!up(f))
		act |= WF_LC_MESH_DOWN;
	if (linked(f))
		act |= WF_LC_LINK;
	if (give_up(cfg, f, now))
		act |= WF_LC_GIVE_UP; /* (what waited goes: nothing is wanted now) */
	else if (wanted(f) && !deferred(cfg, f, now, &act) && f->endpoint && now >= f->next_ms) {
		act |= WF_LC_INITIATE;
		if (f->attempts == cfg->attempts_down)
			act |= WF_LC_NOT_ANSWERING;
	}
	if (keepalive_due(cfg, f, now))
		act |= WF_LC_KEEPALIVE;
	return act;
}

/* A first call for traffic does not wait out a tie-break (no attempts yet);
 * a rekey is made before the keys break, on traffic as on the timer. */
unsigned wf_lc_traffic(const struct wf_lc_peer *f, bool hs, int64_t now)
{
	if (!f->keys || !f->endpoint)
		return WF_LCT_STAGE | (!hs && (now >= f->next_ms || !f->attempts) ? WF_LCT_INITIATE : 0);
	return WF_LCT_SEND | (!hs && now >= f->next_ms && f->rekey_due ? WF_LCT_INITIATE : 0);
}
