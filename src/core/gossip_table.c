/* SPDX-License-Identifier: MIT */
/*
 * The member table (gossip.h): members in one array whose slots are reused
 * once a member is forgotten, so an index stays valid while the member is
 * known; lookup by key in an open-addressed table of indices with hash tags
 * and a random seed; the digests of table comparison kept up to date.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "core/gossip_impl.h"

uint64_t wfg_rnd(struct wf_gossip *g)
{
	g->rng += UINT64_C(0x9e3779b97f4a7c15);
	return mix64(g->rng);
}

uint32_t wfg_rnd_below(struct wf_gossip *g, uint32_t n)
{
	return n ? (uint32_t)(wfg_rnd(g) % n) : 0;
}

uint64_t wfg_key_hash(uint64_t seed, const uint8_t *key)
{
	return mix64(wf_get_le64(key) ^ seed) ^ mix64(wf_get_le64(key + 8) + seed);
}

/* A record's share of its bucket's digest: the same on every node. */
uint64_t wfg_share(const struct wf_gmember *m)
{
	uint64_t h = wfg_key_hash(0, m->key) ^ mix64(wf_get_le64(m->key + 24));

	return mix64(h ^ mix64(m->inc * 4 + m->state));
}

/* A slot holds the member's index + 1 in its low half (0: empty) and the
 * top half of its key's hash above, so that a probe compares keys only when
 * the hashes agree: one memory access per step, not two. */
static uint64_t slot_make(uint32_t idx, uint64_t h) { return (h & ~UINT64_C(0xffffffff)) | (idx + 1); }

static uint32_t slot_find(const struct wf_gossip *g, const uint8_t *key, uint64_t h)
{
	uint32_t mask = g->n_slot - 1, i = (uint32_t)h & mask;

	for (;; i = (i + 1) & mask) {
		uint64_t v = g->slot[i];

		if (!v || ((v ^ h) >> 32 == 0 &&
			   !memcmp(g->m[slot_idx(v) - 1].key, key, WF_GOSSIP_KEY_LEN)))
			return i;
	}
}

static uint32_t slot_of(const struct wf_gossip *g, const uint8_t *key)
{
	return slot_find(g, key, wfg_key_hash(g->hseed, key));
}

uint32_t wfg_find(const struct wf_gossip *g, const uint8_t *key)
{
	if (!g->slot)
		return 0; /* (not started) */
	return slot_idx(g->slot[slot_of(g, key)]); /* index + 1, or 0 */
}

const struct wf_gmember *wf_gossip_find(const struct wf_gossip *g, const uint8_t *key)
{
	uint32_t v = wfg_find(g, key);

	return v ? &g->m[v - 1] : NULL;
}

static bool grow_slots(struct wf_gossip *g)
{
	uint32_t n = g->n_slot ? g->n_slot * 2 : 64;
	uint64_t *old = g->slot;
	uint32_t n_old = g->n_slot;

	g->slot = calloc(n, sizeof(*g->slot));
	if (!g->slot) {
		g->slot = old;
		return false;
	}
	g->n_slot = n;
	for (uint32_t i = 0; i < n_old; i++) {
		if (old[i]) {
			const uint8_t *key = g->m[slot_idx(old[i]) - 1].key;
			uint64_t h = wfg_key_hash(g->hseed, key);

			g->slot[slot_find(g, key, h)] = slot_make(slot_idx(old[i]) - 1, h);
		}
	}
	free(old);
	return true;
}

/* Backward-shift deletion keeps every probe sequence unbroken. */
static void slot_delete(struct wf_gossip *g, uint32_t i)
{
	uint32_t mask = g->n_slot - 1, j = i;

	g->slot[i] = 0;
	for (;;) {
		uint32_t home;

		j = (j + 1) & mask;
		if (!g->slot[j])
			return;
		home = (uint32_t)wfg_key_hash(g->hseed, g->m[slot_idx(g->slot[j]) - 1].key) & mask;
		/* Move j back into the hole at i unless its home lies in (i, j]. */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			g->slot[i] = g->slot[j];
			g->slot[j] = 0;
			i = j;
		}
	}
}

/* Room for one more entry in a vector (set_state reserves before it changes anything, so
 * that it cannot fail half-way). */
bool wfg_reserve(void *vp, uint32_t n, uint32_t *cap, size_t size)
{
	void **v = vp;
	uint32_t nc = *cap ? *cap * 2 : 16;
	void *nv;

	if (n < *cap)
		return true;
	nv = realloc(*v, (size_t)nc * size);
	if (!nv)
		return false;
	*v = nv;
	*cap = nc;
	return true;
}

bool wfg_vec_push(void *vp, uint32_t *n, uint32_t *cap, size_t size, const void *item)
{
	void **v = vp;

	if (!wfg_reserve(vp, *n, cap, size))
		return false;
	memcpy((char *)*v + (size_t)*n * size, item, size);
	(*n)++;
	return true;
}

static uint32_t new_slot(struct wf_gossip *g)
{
	uint32_t i;

	if (g->free_head) {
		i = g->free_head - 1;
		g->free_head = g->m[i].bq_next;
		return i;
	}
	if (g->n == g->cap) {
		uint32_t nc = g->cap ? g->cap * 2 : 16;
		struct wf_gmember *nm = realloc(g->m, (size_t)nc * sizeof(*nm));

		if (!nm)
			return UINT32_MAX;
		g->m = nm;
		g->cap = nc;
	}
	return g->n++;
}

/* A new member, alive or suspect; UINT32_MAX if out of memory. */
uint32_t wfg_add(struct wf_gossip *g, const uint8_t *key, uint64_t inc, int64_t now)
{
	struct wf_gmember *m;
	uint32_t idx;

	if ((g->n + 1) * 2 > g->n_slot && !grow_slots(g))
		return UINT32_MAX;
	idx = new_slot(g);
	if (idx == UINT32_MAX)
		return idx;
	m = &g->m[idx];
	memset(m, 0, sizeof(*m));
	memcpy(m->key, key, WF_GOSSIP_KEY_LEN);
	m->inc = inc;
	m->state = WF_GS_ALIVE;
	m->since_ms = now;
	m->bq_tx = -1;
	g->slot[slot_of(g, key)] = slot_make(idx, wfg_key_hash(g->hseed, key));
	g->digest[bucket(key)] ^= wfg_share(m);
	g->n_live++;
	g->n_known++;
	if (idx && !g->sparse)
		wfg_order_add(g, idx); /* (sparse: when its session comes up) */
	return idx;
}

/* Member idx (dead or left, or taken out of its state by wfg_unstate) is
 * forgotten: its slot is free; an event unless out is NULL. */
void wfg_forget(struct wf_gossip *g, uint32_t idx, struct wf_gossip_out *out)
{
	struct wf_gmember *m = &g->m[idx];

	if (out)
		wfg_event(out, WF_GE_FORGET, m, NULL);
	wfg_wait_forget_teller(g, idx);
	wfg_bq_remove(g, idx);
	g->digest[bucket(m->key)] ^= wfg_share(m);
	slot_delete(g, slot_of(g, m->key));
	for (unsigned i = 0; i < WF_GOSSIP_RELAYS; i++)
		if (g->relay[i].nack_ms && (g->relay[i].origin == idx || g->relay[i].target == idx))
			g->relay[i].nack_ms = 0;
	if (g->sync_soon == idx)
		g->sync_soon = 0;
	wfg_links_forget(g, idx);
	for (unsigned i = 0; i < 2; i++)
		if (g->sync_with[i] == idx)
			g->sync_with[i] = 0;
	m->state = WF_GS_MAX;
	m->bq_next = g->free_head;
	g->free_head = idx + 1;
	g->n_known--;
}
