/* SPDX-License-Identifier: MIT */
/*
 * States (gossip.h): the one place a record changes (set_state), suspicions
 * whose timeout shrinks with independent confirmations (Lifeguard), this
 * node's refutations, and the dead and left, forgotten after forget_ms.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "core/gossip_impl.h"

/* Suspicions and the dead are kept in arrays, each member knowing its place
 * (pos), so that taking one out is O(1) even when half the mesh is cut off. */
static void dead_drop(struct wf_gossip *g, uint32_t idx)
{
	uint32_t at = g->m[idx].pos, last = g->dead[--g->n_dead];

	g->dead[at] = last;
	g->m[last].pos = at;
}

static struct wf_gsuspect *suspicion(struct wf_gossip *g, uint32_t idx)
{
	return g->m[idx].state == WF_GS_SUSPECT ? &g->susp[g->m[idx].pos] : NULL;
}

static void suspicion_drop(struct wf_gossip *g, uint32_t idx)
{
	uint32_t at = g->m[idx].pos;

	g->susp[at] = g->susp[--g->n_susp];
	g->m[g->susp[at].member].pos = at;
}

int64_t wf_gossip_suspicion_ms(int64_t min_ms, int64_t max_ms, unsigned n_confirm, unsigned k)
{
	double frac, t;

	if (k == 0)
		return min_ms;
	frac = log((double)n_confirm + 1) / log((double)k + 1);
	t = (double)max_ms - frac * (double)(max_ms - min_ms);
	return t < (double)min_ms ? min_ms : (int64_t)floor(t);
}

static void suspicion_bounds(const struct wf_gossip *g, int64_t *min, int64_t *max, unsigned *k)
{
	double scale = log10(g->n_live > 1 ? (double)g->n_live : 1.0);

	*min = (int64_t)(g->cfg.suspicion_mult * (scale > 1 ? scale : 1) * g->cfg.probe_ms);
	*max = *min * g->cfg.suspicion_max;
	*k = g->cfg.suspicion_mult > 2 && g->n_live >= g->cfg.suspicion_mult ?
		     g->cfg.suspicion_mult - 2 : 0;
}

static void suspicion_start(struct wf_gossip *g, uint32_t idx, int64_t now)
{
	struct wf_gsuspect s = {.member = idx, .start_ms = now};
	int64_t min, max;
	unsigned k;

	suspicion_bounds(g, &min, &max, &k);
	s.deadline_ms = now + wf_gossip_suspicion_ms(min, max, 0, k);
	g->m[idx].pos = g->n_susp;
	g->susp[g->n_susp++] = s; /* room reserved by set_state */
	if (s.deadline_ms < g->next_deadline_ms || g->n_susp == 1)
		g->next_deadline_ms = s.deadline_ms;
}

/* Another member suspects it too; true if that one is new. */
bool wfg_suspicion_confirm(struct wf_gossip *g, uint32_t idx, const uint8_t *by)
{
	struct wf_gsuspect *s = suspicion(g, idx);
	uint32_t h = (uint32_t)wfg_key_hash(g->hseed, by);
	int64_t min, max;
	unsigned k;

	if (!s || !memcmp(by, g->m[0].key, WF_GOSSIP_KEY_LEN))
		return false;
	suspicion_bounds(g, &min, &max, &k);
	if (s->n_confirm >= k || s->n_confirm >= WF_GOSSIP_CONFIRM_MAX)
		return false;
	for (unsigned i = 0; i < s->n_confirm; i++)
		if (s->confirm[i] == h)
			return false;
	s->confirm[s->n_confirm++] = h;
	s->deadline_ms = s->start_ms + wf_gossip_suspicion_ms(min, max, s->n_confirm, k);
	if (s->deadline_ms < g->next_deadline_ms)
		g->next_deadline_ms = s->deadline_ms;
	return true;
}

/* Move member idx to (state, inc): the one place a record changes. Out of
 * memory for the suspicion or the list of the dead, nothing changes. */
void wfg_set_state(struct wf_gossip *g, uint32_t idx, unsigned state, uint64_t inc,
		      int64_t now, struct wf_gossip_out *out)
{
	struct wf_gmember *m = &g->m[idx];
	unsigned old = m->state;

	if (old != state && ((state == WF_GS_SUSPECT &&
			      !wfg_reserve(&g->susp, g->n_susp, &g->cap_susp, sizeof(*g->susp))) ||
			     (is_gone(state) && !wfg_reserve(&g->dead, g->n_dead, &g->cap_dead,
							 sizeof(*g->dead)))))
		return;
	g->digest[bucket(m->key)] ^= wfg_share(m);
	m->state = (uint8_t)state;
	m->inc = inc;
	g->digest[bucket(m->key)] ^= wfg_share(m);
	wfg_enqueue(g, idx);
	if (old == state)
		return;
	m->since_ms = now;
	if (old == WF_GS_SUSPECT)
		suspicion_drop(g, idx);
	if (is_gone(old) && idx)
		dead_drop(g, idx);
	if (is_live(m) != (old == WF_GS_ALIVE || old == WF_GS_SUSPECT))
		g->n_live += is_live(m) ? 1 : (uint32_t)-1;
	if (state == WF_GS_SUSPECT)
		suspicion_start(g, idx, now);
	if (is_gone(state) && idx) { /* (this node leaving is never forgotten) */
		m->pos = g->n_dead;
		g->dead[g->n_dead++] = idx;
		if (g->probe.target == idx)
			g->probe.target = 0;
	}
	if (state == WF_GS_DEAD)
		g->st.died++;
	if (state == WF_GS_SUSPECT)
		g->st.suspected++;
	if (idx && is_live(m) && is_gone(old) && target_ok(g, m))
		wfg_order_add(g, idx);
	if (idx)
		wfg_event(out, WF_GE_STATE, m, NULL);
}

void wfg_set_endpoint(struct wf_gossip *g, uint32_t idx, const uint8_t *ep, size_t len,
			 const uint8_t *from, struct wf_gossip_out *out)
{
	struct wf_gmember *m = &g->m[idx];

	if (!len || (len == m->ep_len && !memcmp(ep, m->ep, len)))
		return;
	memcpy(m->ep, ep, len);
	m->ep_len = (uint8_t)len;
	wfg_event(out, WF_GE_ENDPOINT, m, from);
}

/* Someone says we are suspect, dead or gone, or knows a later life of ours:
 * outlive it. */
void wfg_refute(struct wf_gossip *g, uint64_t inc)
{
	struct wf_gmember *self = &g->m[0];

	g->digest[bucket(self->key)] ^= wfg_share(self);
	self->inc = inc + 1;
	g->digest[bucket(self->key)] ^= wfg_share(self);
	wfg_enqueue(g, 0);
	g->st.refuted++;
	if (g->awareness + 1 < g->cfg.awareness_max)
		g->awareness++;
}

void wfg_suspect_tick(struct wf_gossip *g, int64_t now, struct wf_gossip_out *out)
{
	int64_t next = INT64_MAX;

	if (!g->n_susp || now < g->next_deadline_ms)
		return;
	for (uint32_t i = 0; i < g->n_susp;) {
		uint32_t idx = g->susp[i].member;

		if (now < g->susp[i].deadline_ms) {
			if (g->susp[i].deadline_ms < next)
				next = g->susp[i].deadline_ms;
			i++;
			continue;
		}
		wfg_set_state(g, idx, WF_GS_DEAD, g->m[idx].inc, now, out); /* drops susp[i] */
	}
	g->next_deadline_ms = next;
}

/* Take member idx out of whatever state list it is in, before it is
 * forgotten though not dead (wf_gossip_drop). */
void wfg_unstate(struct wf_gossip *g, uint32_t idx)
{
	struct wf_gmember *m = &g->m[idx];

	if (m->state == WF_GS_SUSPECT)
		suspicion_drop(g, idx);
	if (is_gone(m->state))
		dead_drop(g, idx);
	if (is_live(m))
		g->n_live--;
	if (g->probe.target == idx)
		g->probe.target = 0;
}

void wfg_forget_tick(struct wf_gossip *g, int64_t now, struct wf_gossip_out *out)
{
	if (now < g->next_forget_ms)
		return;
	g->next_forget_ms = now + FORGET_CHECK_MS;
	for (uint32_t i = 0; i < g->n_dead;) {
		uint32_t idx = g->dead[i];

		if (now - g->m[idx].since_ms < (int64_t)g->cfg.forget_ms) {
			i++;
			continue;
		}
		dead_drop(g, idx);
		wfg_forget(g, idx, out);
	}
}
