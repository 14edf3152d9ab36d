/* SPDX-License-Identifier: MIT */
/*
 * Sparse meshes (gossip.h): past full-mesh-max, who this node keeps
 * sessions with (its ring neighbours in key order, chords chosen by a hash
 * of the pair, a dead member called back now and then), and which sessions
 * can carry messages.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "core/gossip_impl.h"

/* A key's place on the ring: its first 8 bytes (keys are random). */
static uint64_t ring_pos(const uint8_t *key)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | key[i];
	return v;
}

/* Want a session with idx; flags: WF_GM_RING for a ring neighbour. */
static void want_add(struct wf_gossip *g, uint32_t idx, uint8_t flags)
{
	if (!idx || idx >= g->n || g->n_want == WF_GOSSIP_WANT_MAX)
		return;
	if (!(g->m[idx].flags & WF_GM_WANT))
		g->want[g->n_want++] = idx;
	g->m[idx].flags |= WF_GM_WANT | flags;
}

static void want_clear(struct wf_gossip *g)
{
	for (uint32_t i = 0; i < g->n_want; i++)
		g->m[g->want[i]].flags &= (uint8_t)~(WF_GM_WANT | WF_GM_RING);
	g->n_want = 0;
}

/* Are live members a and b within `ring` of each other in key order (is
 * each the other's ring neighbour)? O(N): only for indirect probes. */
bool wfg_ring_near(const struct wf_gossip *g, uint32_t a, uint32_t b)
{
	uint64_t pa = ring_pos(g->m[a].key), fwd = ring_pos(g->m[b].key) - pa;
	unsigned ahead = 0, behind = 0;

	for (uint32_t i = 0; i < g->n; i++) {
		uint64_t d = ring_pos(g->m[i].key) - pa;

		if (i == a || i == b || !is_live(&g->m[i]))
			continue;
		ahead += d < fwd;  /* between a and b, going up from a */
		behind += d > fwd; /* between b and a, going on */
	}
	return ahead < g->cfg.ring || behind < g->cfg.ring;
}

/* Keep idx in best[] (n of at most k, by dist[] ascending) if it is closer. */
static void closest_put(uint32_t *best, uint64_t *dist, unsigned *n, unsigned k, uint32_t idx,
			uint64_t d)
{
	unsigned at = *n < k ? (*n)++ : k;

	if (at == k && d >= dist[k - 1])
		return;
	if (at == k)
		at = k - 1;
	for (; at > 0 && dist[at - 1] > d; at--) {
		best[at] = best[at - 1];
		dist[at] = dist[at - 1];
	}
	best[at] = idx;
	dist[at] = d;
}

/* The `ring` live members after this node in key order, and before it. */
static void want_ring(struct wf_gossip *g)
{
	uint32_t succ[WF_GOSSIP_RING_MAX], pred[WF_GOSSIP_RING_MAX];
	uint64_t ds[WF_GOSSIP_RING_MAX], dp[WF_GOSSIP_RING_MAX], self = ring_pos(g->m[0].key);
	unsigned k = g->cfg.ring < WF_GOSSIP_RING_MAX ? g->cfg.ring : WF_GOSSIP_RING_MAX, ns = 0, np = 0;

	if (!k)
		return;
	for (uint32_t i = 1; i < g->n; i++) {
		uint64_t pos = ring_pos(g->m[i].key);

		if (!is_live(&g->m[i]))
			continue;
		closest_put(succ, ds, &ns, k, i, pos - self);
		closest_put(pred, dp, &np, k, i, self - pos);
	}
	for (unsigned i = 0; i < ns; i++)
		want_add(g, succ[i], WF_GM_RING);
	for (unsigned i = 0; i < np; i++)
		want_add(g, pred[i], WF_GM_RING);
}

/* Chords: the pairs whose shared hash falls under chords / N, so that each
 * member has `chords` of them on average, at random, and both ends of a pair
 * agree (each computes the same), so that both keep the session. */
static void want_chords(struct wf_gossip *g)
{
	unsigned k = g->cfg.chords < WF_GOSSIP_CHORDS_MAX ? g->cfg.chords : WF_GOSSIP_CHORDS_MAX;
	uint64_t self = ring_pos(g->m[0].key), limit;

	if (!k || g->n_live < 2)
		return;
	limit = UINT64_MAX / g->n_live * k;
	for (uint32_t i = 1; i < g->n; i++)
		if (is_live(&g->m[i]) && mix64(self ^ ring_pos(g->m[i].key)) < limit)
			want_add(g, i, 0);
}

void wfg_links_tick(struct wf_gossip *g, int64_t now)
{
	if (!g->sparse || now < g->next_links_ms)
		return;
	g->next_links_ms = now + LINKS_MS;
	want_clear(g);
	want_ring(g);
	want_chords(g);
	if (g->reach && g->m[g->reach].state == WF_GS_DEAD)
		want_add(g, g->reach, 0);
	else
		g->reach = 0;
}

static void lnk_remove(struct wf_gossip *g, uint32_t idx)
{
	for (uint32_t i = 0; i < g->n_lnk; i++)
		if (g->lnk[i] == idx) {
			g->lnk[i] = g->lnk[--g->n_lnk];
			return;
		}
}

/* A forgotten member's slot will be reused: nothing of it may stay. */
void wfg_links_forget(struct wf_gossip *g, uint32_t idx)
{
	if (g->m[idx].flags & WF_GM_LINK)
		lnk_remove(g, idx);
	for (uint32_t i = 0; i < g->n_want; i++)
		if (g->want[i] == idx)
			g->want[i--] = g->want[--g->n_want];
	if (g->reach == idx)
		g->reach = 0;
	g->m[idx].flags = 0;
}

void wf_gossip_set_sparse(struct wf_gossip *g, bool sparse, int64_t now)
{
	if (g->sparse == sparse)
		return;
	g->sparse = sparse;
	g->order_pos = g->n_order; /* a new round, of the members now allowed */
	if (g->probe.target && !target_ok(g, &g->m[g->probe.target]))
		g->probe.target = 0;
	want_clear(g);
	g->next_links_ms = now;
	wfg_links_tick(g, now);
}

void wf_gossip_link(struct wf_gossip *g, const uint8_t *key, bool up)
{
	uint32_t v = wfg_find(g, key), idx = v - 1;
	struct wf_gmember *m;

	if (v <= 1)
		return;
	m = &g->m[idx];
	if (!(m->flags & WF_GM_LINK) == !up)
		return;
	if (!up) {
		lnk_remove(g, idx);
		m->flags &= (uint8_t)~WF_GM_LINK;
		/* Its session went, not (we know) the member: no verdict. */
		if (g->sparse && g->probe.target == idx)
			g->probe.target = 0;
		return;
	}
	if (!wfg_vec_push(&g->lnk, &g->n_lnk, &g->cap_lnk, sizeof(idx), &idx))
		return; /* out of memory: not a target, which is safe */
	m->flags |= WF_GM_LINK;
	if (g->sparse && is_live(m) && target_ok(g, m))
		wfg_order_add(g, idx);
}

bool wf_gossip_wanted(const struct wf_gossip *g, const uint8_t *key)
{
	uint32_t v = wfg_find(g, key);

	if (!g->sparse)
		return true;
	return v > 1 && (g->m[v - 1].flags & WF_GM_WANT);
}
