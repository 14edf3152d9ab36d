/* SPDX-License-Identifier: MIT */
/*
 * The membership core (gossip.h): the member table, the probe round, the
 * suspicion timers, the send queue of changes, and table comparison.
 *
 * Members live in one array; a forgotten member's slot is reused, so an
 * index stays valid for as long as the member is known. Lookup by key is an
 * open-addressed table of indices with a random seed.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "core/gossip.h"

enum {
	REC_FIXED = WF_GOSSIP_KEY_LEN + 8 + 1 + 1, /* key inc state ep_len */
	REC_MAX = REC_FIXED + WF_GOSSIP_EP_MAX,
	DIGEST_LEN = WF_GOSSIP_SYNC_LEN,
	GOSSIP_TO_DEAD_MS = 30000, /* the dead still hear changes this long */
	SYNC_AGAIN_MS = 1000,      /* an exchange that taught us something: soon again */
	FORGET_CHECK_MS = 1000,
	LINKS_MS = 1000, /* sparse: who to keep sessions with, looked at this often */
	UPD_SYNC = 1, /* UPDATES flag: these answer a table comparison */
	SYNC_REQUEST = 1,
};

#define INC_LIMIT (UINT64_C(1) << 63) /* incarnations at or above are refused */

void wf_gossip_cfg_default(struct wf_gossip_cfg *c)
{
	*c = (struct wf_gossip_cfg){
		.probe_ms = 1000,
		.probe_timeout_ms = 500,
		.indirect = 3,
		.gossip_ms = 200,
		.fanout = 3,
		.retransmit_mult = 4,
		.queue_max = 256,
		.suspicion_mult = 4,
		.suspicion_max = 6,
		.sync_ms = 10000,
		.sync_records = 512,
		.sync_answers = 4,
		.reconnect_ms = 10000,
		.awareness_max = 8,
		.forget_ms = 3600 * 1000,
		.mtu = 1200,
		.ring = 3,
		.chords = 2,
	};
}

const char *wf_gossip_state_name(unsigned s)
{
	static const char *const names[] = {"alive", "suspect", "dead", "left"};

	return s < WF_GS_MAX ? names[s] : "?";
}

const char *wf_gossip_how_name(unsigned h)
{
	static const char *const names[] = {"self", "direct", "gossip", "sync"};

	return h <= WF_GH_SYNC ? names[h] : "?";
}

/* -- randomness, hashing --------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

static uint64_t rnd(struct wf_gossip *g)
{
	g->rng += UINT64_C(0x9e3779b97f4a7c15);
	return mix64(g->rng);
}

static uint32_t rnd_below(struct wf_gossip *g, uint32_t n)
{
	return n ? (uint32_t)(rnd(g) % n) : 0;
}

static uint64_t key_hash(uint64_t seed, const uint8_t *key)
{
	return mix64(wf_get_le64(key) ^ seed) ^ mix64(wf_get_le64(key + 8) + seed);
}

/* A record's share of its bucket's digest: the same on every node. */
static uint64_t share(const struct wf_gmember *m)
{
	uint64_t h = key_hash(0, m->key) ^ mix64(wf_get_le64(m->key + 24));

	return mix64(h ^ mix64(m->inc * 4 + m->state));
}

static unsigned bucket(const uint8_t *key) { return key[0] >> 2; }

/* -- the table -------------------------------------------------------------- */

static bool in_use(const struct wf_gmember *m) { return m->state < WF_GS_MAX; }
static bool is_live(const struct wf_gmember *m)
{
	return m->state == WF_GS_ALIVE || m->state == WF_GS_SUSPECT;
}

/* May messages of our own choosing go to m (gossip, comparisons, a relayed
 * probe)? In a full mesh any member; sparse, those a session reaches. */
static bool probe_ok(const struct wf_gossip *g, const struct wf_gmember *m)
{
	return !g->sparse || (m->flags & WF_GM_LINK);
}

/* Is m one this node probes? Sparse, its ring neighbours with a session. */
static bool target_ok(const struct wf_gossip *g, const struct wf_gmember *m)
{
	return !g->sparse || (m->flags & (WF_GM_LINK | WF_GM_RING)) == (WF_GM_LINK | WF_GM_RING);
}

/* A slot holds the member's index + 1 in its low half (0: empty) and the
 * top half of its key's hash above, so that a probe compares keys only when
 * the hashes agree: one memory access per step, not two. */
static uint64_t slot_make(uint32_t idx, uint64_t h) { return (h & ~UINT64_C(0xffffffff)) | (idx + 1); }
static uint32_t slot_idx(uint64_t v) { return (uint32_t)v; } /* index + 1 */

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
	return slot_find(g, key, key_hash(g->hseed, key));
}

static uint32_t find(const struct wf_gossip *g, const uint8_t *key)
{
	if (!g->slot)
		return 0; /* (not started) */
	return slot_idx(g->slot[slot_of(g, key)]); /* index + 1, or 0 */
}

const struct wf_gmember *wf_gossip_find(const struct wf_gossip *g, const uint8_t *key)
{
	uint32_t v = find(g, key);

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
			uint64_t h = key_hash(g->hseed, key);

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
		home = (uint32_t)key_hash(g->hseed, g->m[slot_idx(g->slot[j]) - 1].key) & mask;
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
static bool reserve(void *vp, uint32_t n, uint32_t *cap, size_t size)
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

static bool vec_push(void *vp, uint32_t *n, uint32_t *cap, size_t size, const void *item)
{
	void **v = vp;

	if (!reserve(vp, *n, cap, size))
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

static void order_add(struct wf_gossip *g, uint32_t idx);
static void links_forget(struct wf_gossip *g, uint32_t idx);
static void links_tick(struct wf_gossip *g, int64_t now);

/* A new member, alive or suspect; UINT32_MAX if out of memory. */
static uint32_t add(struct wf_gossip *g, const uint8_t *key, uint64_t inc, int64_t now)
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
	g->slot[slot_of(g, key)] = slot_make(idx, key_hash(g->hseed, key));
	g->digest[bucket(key)] ^= share(m);
	g->n_live++;
	g->n_known++;
	if (idx && !g->sparse)
		order_add(g, idx); /* (sparse: when its session comes up) */
	return idx;
}

/* -- events and messages out ------------------------------------------------ */

/* An event about m; NULL (counted) when the outbox has no room. */
static struct wf_gossip_event *event(struct wf_gossip_out *out, unsigned kind,
				     const struct wf_gmember *m, const uint8_t *from)
{
	struct wf_gossip_event *e;

	if (out->n_ev == out->ev_cap) {
		out->dropped++;
		return NULL;
	}
	e = &out->ev[out->n_ev++];
	e->kind = (uint8_t)kind;
	e->state = m->state;
	memcpy(e->key, m->key, WF_GOSSIP_KEY_LEN);
	memcpy(e->from, from ? from : m->key, WF_GOSSIP_KEY_LEN);
	e->value = 0;
	return e;
}

static void emit(struct wf_gossip *g, struct wf_gossip_out *out, uint32_t to, const uint8_t *buf,
		 size_t len)
{
	struct wf_gossip_msg *msg;

	if (out->n == out->cap) {
		out->dropped++;
		return;
	}
	msg = &out->msg[out->n++];
	memcpy(msg->to, g->m[to].key, WF_GOSSIP_KEY_LEN);
	memcpy(msg->buf, buf, len);
	msg->len = (uint16_t)len;
	g->st.msgs_out++;
	g->st.bytes_out += len;
}

/* -- the send queue of changes ---------------------------------------------- */

static unsigned tx_limit(const struct wf_gossip *g)
{
	unsigned scale = (unsigned)ceil(log10((double)g->n_live + 1));
	unsigned lim = g->cfg.retransmit_mult * (scale ? scale : 1);

	return lim < WF_GOSSIP_TX_MAX ? lim : WF_GOSSIP_TX_MAX;
}

static void bq_remove(struct wf_gossip *g, uint32_t idx)
{
	struct wf_gmember *m = &g->m[idx];

	if (m->bq_tx < 0)
		return;
	if (m->bq_prev)
		g->m[m->bq_prev - 1].bq_next = m->bq_next;
	else
		g->bq[m->bq_tx] = m->bq_next;
	if (m->bq_next)
		g->m[m->bq_next - 1].bq_prev = m->bq_prev;
	m->bq_tx = -1;
	g->n_bq--;
}

static void bq_put(struct wf_gossip *g, uint32_t idx, unsigned tx)
{
	struct wf_gmember *m = &g->m[idx];

	m->bq_tx = (int16_t)tx;
	m->bq_prev = 0;
	m->bq_next = g->bq[tx];
	if (m->bq_next)
		g->m[m->bq_next - 1].bq_prev = idx + 1;
	g->bq[tx] = idx + 1;
	g->n_bq++;
}

/* A member's record changed: send it afresh (replacing what was queued).
 * A full queue drops the change sent most often: when a whole mesh changes
 * at once (a mass join or restart), gossip would otherwise be busy for
 * minutes with changes that table comparison repairs anyway. */
static void enqueue(struct wf_gossip *g, uint32_t idx)
{
	bq_remove(g, idx);
	for (unsigned b = WF_GOSSIP_TX_MAX; g->n_bq >= g->cfg.queue_max && b-- > 0;)
		while (g->bq[b] && g->n_bq >= g->cfg.queue_max)
			bq_remove(g, g->bq[b] - 1);
	bq_put(g, idx, 0);
}

static bool bq_empty(const struct wf_gossip *g) { return g->n_bq == 0; }

static size_t rec_len(const struct wf_gmember *m) { return REC_FIXED + m->ep_len; }

static size_t rec_put(const struct wf_gmember *m, uint8_t *p)
{
	memcpy(p, m->key, WF_GOSSIP_KEY_LEN);
	wf_put_le64(p + 32, m->inc);
	p[40] = m->state;
	p[41] = m->ep_len;
	memcpy(p + 42, m->ep, m->ep_len);
	return rec_len(m);
}

/* Fill buf[len..cap) with the least sent changes, `skip` excepted; each one
 * taken counts as sent once more. Returns the new length. */
static size_t piggyback(struct wf_gossip *g, uint8_t *buf, size_t len, size_t cap, uint32_t skip)
{
	unsigned limit = tx_limit(g);
	uint32_t taken[WF_GOSSIP_MTU_MAX / REC_FIXED];
	unsigned n_taken = 0;

	for (unsigned b = 0; b < WF_GOSSIP_TX_MAX && len + REC_FIXED <= cap; b++) {
		for (uint32_t v = g->bq[b]; v && len + REC_FIXED <= cap; v = g->m[v - 1].bq_next) {
			uint32_t idx = v - 1;

			if (idx == skip || len + rec_len(&g->m[idx]) > cap)
				continue;
			len += rec_put(&g->m[idx], buf + len);
			taken[n_taken++] = idx;
		}
	}
	for (unsigned i = 0; i < n_taken; i++) {
		unsigned tx = (unsigned)g->m[taken[i]].bq_tx + 1;

		bq_remove(g, taken[i]);
		if (tx < limit)
			bq_put(g, taken[i], tx);
	}
	return len;
}

/* -- states ------------------------------------------------------------------ */

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
static bool suspicion_confirm(struct wf_gossip *g, uint32_t idx, const uint8_t *by)
{
	struct wf_gsuspect *s = suspicion(g, idx);
	uint32_t h = (uint32_t)key_hash(g->hseed, by);
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

/* Move member idx to (state, inc): the one place a record changes. */
static bool is_gone(unsigned state) { return state == WF_GS_DEAD || state == WF_GS_LEFT; }

/* Move member idx to (state, inc): the one place a record changes. Out of
 * memory for the suspicion or the list of the dead, nothing changes. */
static void set_state(struct wf_gossip *g, uint32_t idx, unsigned state, uint64_t inc,
		      int64_t now, struct wf_gossip_out *out)
{
	struct wf_gmember *m = &g->m[idx];
	unsigned old = m->state;

	if (old != state && ((state == WF_GS_SUSPECT &&
			      !reserve(&g->susp, g->n_susp, &g->cap_susp, sizeof(*g->susp))) ||
			     (is_gone(state) && !reserve(&g->dead, g->n_dead, &g->cap_dead,
							 sizeof(*g->dead)))))
		return;
	g->digest[bucket(m->key)] ^= share(m);
	m->state = (uint8_t)state;
	m->inc = inc;
	g->digest[bucket(m->key)] ^= share(m);
	enqueue(g, idx);
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
		order_add(g, idx);
	if (idx)
		event(out, WF_GE_STATE, m, NULL);
}

static void set_endpoint(struct wf_gossip *g, uint32_t idx, const uint8_t *ep, size_t len,
			 const uint8_t *from, struct wf_gossip_out *out)
{
	struct wf_gmember *m = &g->m[idx];

	if (!len || (len == m->ep_len && !memcmp(ep, m->ep, len)))
		return;
	memcpy(m->ep, ep, len);
	m->ep_len = (uint8_t)len;
	event(out, WF_GE_ENDPOINT, m, from);
}

/* Someone says we are suspect, dead or gone, or knows a later life of ours:
 * outlive it. */
static void refute(struct wf_gossip *g, uint64_t inc)
{
	struct wf_gmember *self = &g->m[0];

	g->digest[bucket(self->key)] ^= share(self);
	self->inc = inc + 1;
	g->digest[bucket(self->key)] ^= share(self);
	enqueue(g, 0);
	g->st.refuted++;
	if (g->awareness + 1 < g->cfg.awareness_max)
		g->awareness++;
}

struct rec {
	const uint8_t *key, *ep;
	uint64_t inc;
	uint8_t state, ep_len;
};

static void merge_self(struct wf_gossip *g, const struct rec *r)
{
	const struct wf_gmember *self = &g->m[0];

	if (self->state == WF_GS_LEFT || r->inc + 1 >= INC_LIMIT)
		return; /* leaving: let it be; or a claim we cannot outlive */
	if (r->inc > self->inc || (r->inc == self->inc && r->state != WF_GS_ALIVE))
		refute(g, r->inc);
}

/* One record about member r->key, from `from`, learned `how`; true if our
 * table changed. */
static bool merge(struct wf_gossip *g, const struct rec *r, const uint8_t *from, unsigned how,
		  int64_t now, struct wf_gossip_out *out)
{
	uint32_t v = find(g, r->key), idx;
	struct wf_gmember *m;

	if (v == 1) {
		merge_self(g, r);
		return false;
	}
	if (!v) {
		if (r->state != WF_GS_ALIVE)
			return false; /* news of the death of a stranger: nothing to do */
		idx = add(g, r->key, r->inc, now);
		if (idx == UINT32_MAX)
			return false;
		g->m[idx].how = (uint8_t)how;
		memcpy(g->m[idx].ep, r->ep, r->ep_len);
		g->m[idx].ep_len = r->ep_len;
		enqueue(g, idx);
		event(out, WF_GE_NEW, &g->m[idx], from);
		return true;
	}
	idx = v - 1;
	m = &g->m[idx];
	switch (r->state) {
	case WF_GS_ALIVE:
		if (r->inc <= m->inc)
			return false;
		m->how = (uint8_t)how;
		set_endpoint(g, idx, r->ep, r->ep_len, from, out);
		set_state(g, idx, WF_GS_ALIVE, r->inc, now, out);
		return true;
	case WF_GS_SUSPECT:
		if (r->inc < m->inc || m->state >= WF_GS_DEAD)
			return false;
		if (m->state == WF_GS_SUSPECT) {
			if (suspicion_confirm(g, idx, from))
				enqueue(g, idx);
			return false;
		}
		set_state(g, idx, WF_GS_SUSPECT, r->inc, now, out);
		suspicion_confirm(g, idx, from);
		return true;
	default: /* dead, left */
		if (r->inc < m->inc || m->state >= WF_GS_DEAD)
			return false;
		set_state(g, idx, r->state, r->inc, now, out);
		return true;
	}
}

/* -- parsing ------------------------------------------------------------------ */

static bool rec_get(struct rec *r, const uint8_t *p, size_t left, size_t *used)
{
	if (left < REC_FIXED)
		return false;
	r->key = p;
	r->inc = wf_get_le64(p + 32);
	r->state = p[40];
	r->ep_len = p[41];
	r->ep = p + 42;
	*used = REC_FIXED + r->ep_len;
	return r->inc < INC_LIMIT && r->state < WF_GS_MAX && r->ep_len <= WF_GOSSIP_EP_MAX &&
	       *used <= left;
}

static bool recs_valid(const uint8_t *p, size_t len)
{
	while (len) {
		struct rec r;
		size_t used;

		if (!rec_get(&r, p, len, &used))
			return false;
		p += used;
		len -= used;
	}
	return true;
}

static void recs_merge(struct wf_gossip *g, const uint8_t *p, size_t len, const uint8_t *from,
		       unsigned how, int64_t now, struct wf_gossip_out *out)
{
	while (len) {
		struct rec r;
		size_t used;

		if (!rec_get(&r, p, len, &used))
			return;
		/* A comparison that teaches us something: compare again soon. */
		if (merge(g, &r, from, how, now, out) && how == WF_GH_SYNC &&
		    g->next_sync_ms > now + SYNC_AGAIN_MS)
			g->next_sync_ms = now + SYNC_AGAIN_MS;
		p += used;
		len -= used;
	}
}

/* -- probes ------------------------------------------------------------------- */

static void order_add(struct wf_gossip *g, uint32_t idx)
{
	uint32_t at;

	if (!vec_push(&g->order, &g->n_order, &g->cap_order, sizeof(idx), &idx))
		return; /* out of memory: found at the next shuffle */
	/* Into a random place among those not probed yet this round. */
	at = g->order_pos + rnd_below(g, g->n_order - g->order_pos);
	g->order[g->n_order - 1] = g->order[at];
	g->order[at] = idx;
}

static void order_shuffle(struct wf_gossip *g)
{
	uint32_t n = 0;

	if (g->cap_order < g->n) {
		uint32_t *v = realloc(g->order, (size_t)g->n * sizeof(*v));

		if (!v)
			return; /* out of memory: the old round again */
		g->order = v;
		g->cap_order = g->n;
	}
	for (uint32_t i = 1; i < g->n; i++)
		if (is_live(&g->m[i]) && target_ok(g, &g->m[i]))
			g->order[n++] = i;
	for (uint32_t i = n; i > 1; i--) {
		uint32_t j = rnd_below(g, i), t = g->order[i - 1];

		g->order[i - 1] = g->order[j];
		g->order[j] = t;
	}
	g->n_order = n;
	g->order_pos = 0;
}

/* The next member to probe, 0 if none. */
static uint32_t next_target(struct wf_gossip *g)
{
	for (int pass = 0; pass < 2; pass++) {
		while (g->order_pos < g->n_order) {
			uint32_t idx = g->order[g->order_pos++];

			if (idx < g->n && idx && is_live(&g->m[idx]) && target_ok(g, &g->m[idx]))
				return idx;
		}
		order_shuffle(g);
	}
	return 0;
}

static size_t put_head(uint8_t *buf, unsigned kind, uint32_t seq)
{
	buf[0] = (uint8_t)kind;
	wf_put_le32(buf + 1, seq);
	return 5;
}

static void send_ping(struct wf_gossip *g, uint32_t to, uint32_t seq, struct wf_gossip_out *out)
{
	uint8_t buf[WF_GOSSIP_MTU_MAX];
	size_t len = put_head(buf, WF_GOSSIP_PING, seq);

	/* A suspect hears of it from its prober first: it can refute at once. */
	if (g->m[to].state == WF_GS_SUSPECT)
		len += rec_put(&g->m[to], buf + len);
	len = piggyback(g, buf, len, g->cfg.mtu, to);
	emit(g, out, to, buf, len);
}

static void send_short(struct wf_gossip *g, uint32_t to, unsigned kind, uint32_t seq,
		       struct wf_gossip_out *out)
{
	uint8_t buf[WF_GOSSIP_MTU_MAX];
	size_t len = put_head(buf, kind, seq);

	if (kind == WF_GOSSIP_ACK)
		len = piggyback(g, buf, len, g->cfg.mtu, UINT32_MAX);
	emit(g, out, to, buf, len);
}

static int64_t scaled(const struct wf_gossip *g, unsigned ms)
{
	return (int64_t)ms * (g->awareness + 1);
}

static void probe_start(struct wf_gossip *g, int64_t now, struct wf_gossip_out *out)
{
	uint32_t t = next_target(g);

	g->next_probe_ms = now + scaled(g, g->cfg.probe_ms);
	if (!t)
		return;
	g->probe.target = t;
	g->probe.seq = ++g->seq;
	g->probe.start_ms = now;
	g->probe.indirect_ms = now + scaled(g, g->cfg.probe_timeout_ms);
	g->probe.end_ms = g->next_probe_ms;
	g->probe.acked = g->probe.indirect_sent = false;
	g->probe.nacks_expected = g->probe.nacks = 0;
	g->st.probes++;
	send_ping(g, t, g->probe.seq, out);
}

/* A random live member other than this node and `but`, 0 if none; tries a
 * few times, which is enough: most members are live. */
static uint32_t random_live(struct wf_gossip *g, uint32_t but, bool dead_too, int64_t now)
{
	for (int tries = 0; tries < 8 && g->n > 1 && (!g->sparse || g->n_lnk); tries++) {
		/* Sparse: only members a session reaches. */
		uint32_t i = g->sparse ? g->lnk[rnd_below(g, g->n_lnk)] : 1 + rnd_below(g, g->n - 1);
		const struct wf_gmember *m = &g->m[i];

		if (i == but || !in_use(m))
			continue;
		if (is_live(m) || (dead_too && m->state == WF_GS_DEAD &&
				   now - m->since_ms < GOSSIP_TO_DEAD_MS))
			return i;
	}
	return 0;
}

static bool ring_near(const struct wf_gossip *g, uint32_t a, uint32_t b);

/* Up to `want` random live members to probe target for us; sparse, members
 * with a session that are the target's ring neighbours too (they have a
 * session with it), in one pass from a random place. */
static unsigned pick_helpers(struct wf_gossip *g, uint32_t target, uint32_t *asked, unsigned want)
{
	uint32_t start = g->sparse && g->n_lnk ? rnd_below(g, g->n_lnk) : 0;
	unsigned n = 0;

	for (unsigned tries = 0; !g->sparse && n < want && tries < want * 4; tries++) {
		uint32_t i = random_live(g, target, false, 0);
		bool dup = !i;

		for (unsigned k = 0; k < n; k++)
			dup |= asked[k] == i;
		if (!dup)
			asked[n++] = i;
	}
	for (uint32_t k = 0; g->sparse && n < want && k < g->n_lnk; k++) {
		uint32_t i = g->lnk[(start + k) % g->n_lnk];

		if (i != target && is_live(&g->m[i]) && ring_near(g, i, target))
			asked[n++] = i;
	}
	return n;
}

static void probe_indirect(struct wf_gossip *g, struct wf_gossip_out *out)
{
	uint8_t buf[WF_GOSSIP_MTU_MAX];
	uint32_t asked[16];
	unsigned n = pick_helpers(g, g->probe.target, asked, g->cfg.indirect < 16 ? g->cfg.indirect : 16);

	g->probe.indirect_sent = true;
	for (unsigned k = 0; k < n; k++) {
		uint32_t i = asked[k];

		put_head(buf, WF_GOSSIP_PING_REQ, g->probe.seq);
		memcpy(buf + 5, g->m[g->probe.target].key, WF_GOSSIP_KEY_LEN);
		emit(g, out, i, buf, piggyback(g, buf, 5 + WF_GOSSIP_KEY_LEN, g->cfg.mtu, UINT32_MAX));
	}
	g->probe.nacks_expected = n;
}

static void awareness_add(struct wf_gossip *g, int delta)
{
	int a = (int)g->awareness + delta, max = (int)g->cfg.awareness_max - 1;

	g->awareness = (unsigned)(a < 0 ? 0 : a > max ? max : a);
}

static void probe_failed(struct wf_gossip *g, int64_t now, struct wf_gossip_out *out)
{
	uint32_t t = g->probe.target;
	unsigned exp = g->probe.nacks_expected;

	g->probe.target = 0;
	g->st.probes_failed++;
	awareness_add(g, exp ? (int)(exp - (g->probe.nacks < exp ? g->probe.nacks : exp)) : 1);
	if (g->m[t].state == WF_GS_ALIVE)
		set_state(g, t, WF_GS_SUSPECT, g->m[t].inc, now, out);
}

static void probe_tick(struct wf_gossip *g, int64_t now, struct wf_gossip_out *out)
{
	if (g->probe.target && !g->probe.indirect_sent && now >= g->probe.indirect_ms)
		probe_indirect(g, out);
	if (g->probe.target && now >= g->probe.end_ms)
		probe_failed(g, now, out);
	if (now >= g->next_probe_ms)
		probe_start(g, now, out);
}

static void got_ack(struct wf_gossip *g, uint32_t seq, uint32_t from_idx,
		    struct wf_gossip_out *out)
{
	if (g->probe.target && seq == g->probe.seq) {
		if (from_idx != g->probe.target)
			g->st.indirect_ok++;
		g->probe.target = 0;
		awareness_add(g, -1);
		return;
	}
	for (unsigned i = 0; i < WF_GOSSIP_RELAYS; i++) {
		if (g->relay[i].nack_ms && g->relay[i].seq == seq &&
		    g->relay[i].target == from_idx) {
			send_short(g, g->relay[i].origin, WF_GOSSIP_ACK, g->relay[i].origin_seq, out);
			g->relay[i].nack_ms = 0;
			return;
		}
	}
}

static void got_ping_req(struct wf_gossip *g, uint32_t seq, uint32_t origin, const uint8_t *key,
			 int64_t now, struct wf_gossip_out *out)
{
	uint32_t v = find(g, key);

	if (!v || v == 1 || v - 1 == origin || !is_live(&g->m[v - 1]))
		return;
	if (!probe_ok(g, &g->m[v - 1])) {
		/* Sparse, no session with it: say so now rather than not at all. */
		send_short(g, origin, WF_GOSSIP_NACK, seq, out);
		return;
	}
	for (unsigned i = 0; i < WF_GOSSIP_RELAYS; i++) {
		if (g->relay[i].nack_ms)
			continue;
		g->relay[i].seq = ++g->seq;
		g->relay[i].origin = origin;
		g->relay[i].origin_seq = seq;
		g->relay[i].target = v - 1;
		g->relay[i].nack_ms = now + g->cfg.probe_timeout_ms * 8 / 10;
		if (!g->relay[i].nack_ms)
			g->relay[i].nack_ms = 1;
		send_ping(g, v - 1, g->relay[i].seq, out);
		return;
	}
	/* All relay slots busy: the asker counts our silence as a missing nack. */
}

static void relay_tick(struct wf_gossip *g, int64_t now, struct wf_gossip_out *out)
{
	for (unsigned i = 0; i < WF_GOSSIP_RELAYS; i++) {
		if (!g->relay[i].nack_ms || now < g->relay[i].nack_ms)
			continue;
		g->relay[i].nack_ms = 0;
		if (in_use(&g->m[g->relay[i].origin]))
			send_short(g, g->relay[i].origin, WF_GOSSIP_NACK, g->relay[i].origin_seq, out);
	}
}

/* -- suspicion, death, forgetting --------------------------------------------- */

static void suspect_tick(struct wf_gossip *g, int64_t now, struct wf_gossip_out *out)
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
		set_state(g, idx, WF_GS_DEAD, g->m[idx].inc, now, out); /* drops susp[i] */
	}
	g->next_deadline_ms = next;
}

static void forget(struct wf_gossip *g, uint32_t idx, struct wf_gossip_out *out)
{
	struct wf_gmember *m = &g->m[idx];

	event(out, WF_GE_FORGET, m, NULL);
	bq_remove(g, idx);
	g->digest[bucket(m->key)] ^= share(m);
	slot_delete(g, slot_of(g, m->key));
	for (unsigned i = 0; i < WF_GOSSIP_RELAYS; i++)
		if (g->relay[i].nack_ms && (g->relay[i].origin == idx || g->relay[i].target == idx))
			g->relay[i].nack_ms = 0;
	if (g->sync_soon == idx)
		g->sync_soon = 0;
	links_forget(g, idx);
	for (unsigned i = 0; i < 2; i++)
		if (g->sync_with[i] == idx)
			g->sync_with[i] = 0;
	m->state = WF_GS_MAX;
	m->bq_next = g->free_head;
	g->free_head = idx + 1;
	g->n_known--;
}

static void forget_tick(struct wf_gossip *g, int64_t now, struct wf_gossip_out *out)
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
		forget(g, idx, out);
	}
}

/* -- gossip -------------------------------------------------------------------- */

static void send_updates(struct wf_gossip *g, uint32_t to, struct wf_gossip_out *out)
{
	uint8_t buf[WF_GOSSIP_MTU_MAX] = {WF_GOSSIP_UPDATES, 0};
	size_t len = piggyback(g, buf, 2, g->cfg.mtu, to);

	if (len > 2)
		emit(g, out, to, buf, len);
}

static void gossip_tick(struct wf_gossip *g, int64_t now, struct wf_gossip_out *out)
{
	if (now < g->next_gossip_ms)
		return;
	g->next_gossip_ms = now + g->cfg.gossip_ms;
	for (unsigned i = 0; i < g->cfg.fanout && !bq_empty(g); i++) {
		uint32_t to = random_live(g, 0, true, now);

		if (to)
			send_updates(g, to, out);
	}
}

void wf_gossip_leave(struct wf_gossip *g, int64_t now, struct wf_gossip_out *out)
{
	set_state(g, 0, WF_GS_LEFT, g->m[0].inc + 1, now, out);
	for (unsigned i = 0; i < 2 * g->cfg.fanout; i++) {
		uint32_t to = random_live(g, 0, false, now);

		if (to)
			send_updates(g, to, out);
	}
}

/* -- table comparison ------------------------------------------------------------ */

static void send_digest(struct wf_gossip *g, uint32_t to, unsigned which,
			struct wf_gossip_out *out)
{
	uint8_t buf[DIGEST_LEN];

	buf[0] = WF_GOSSIP_SYNC;
	buf[1] = SYNC_REQUEST;
	wf_put_le32(buf + 2, g->n_live);
	wf_put_le64(buf + 6, g->epoch);
	for (unsigned b = 0; b < WF_GOSSIP_BUCKETS; b++)
		wf_put_le64(buf + WF_GOSSIP_SYNC_DIGESTS + 8 * b, g->digest[b]);
	emit(g, out, to, buf, sizeof(buf));
	g->sync_with[which] = to;
	g->st.syncs++;
}

/* Our records in the buckets of mask, from a random bucket on, at most
 * sync_records of them, in datagrams no larger than the MTU. */
static void send_buckets(struct wf_gossip *g, uint32_t to, uint64_t mask, struct wf_gossip_out *out)
{
	uint8_t buf[WF_GOSSIP_MTU_MAX] = {WF_GOSSIP_UPDATES, UPD_SYNC};
	unsigned start = rnd_below(g, WF_GOSSIP_BUCKETS), sent = 0;
	size_t len = 2;

	for (unsigned k = 0; k < WF_GOSSIP_BUCKETS; k++) {
		unsigned b = (start + k) % WF_GOSSIP_BUCKETS;

		if (!(mask >> b & 1))
			continue;
		for (uint32_t i = 0; i < g->n && sent < g->cfg.sync_records; i++) {
			const struct wf_gmember *m = &g->m[i];

			if (!in_use(m) || bucket(m->key) != b)
				continue;
			if (len + rec_len(m) > g->cfg.mtu) {
				emit(g, out, to, buf, len);
				len = 2;
			}
			len += rec_put(m, buf + len);
			sent++;
		}
	}
	if (len > 2)
		emit(g, out, to, buf, len);
}

static uint64_t digest_diff(const struct wf_gossip *g, const uint8_t *theirs)
{
	uint64_t mask = 0;

	for (unsigned b = 0; b < WF_GOSSIP_BUCKETS; b++)
		if (wf_get_le64(theirs + 8 * b) != g->digest[b])
			mask |= UINT64_C(1) << b;
	return mask;
}

static void got_sync(struct wf_gossip *g, uint32_t from, const uint8_t *msg, int64_t now,
		     struct wf_gossip_out *out)
{
	uint8_t pull[9] = {WF_GOSSIP_SYNC_PULL};
	uint64_t mask, epoch = wf_get_le64(msg + 6);
	struct wf_gossip_event *e;

	if (now >= g->answers_reset_ms) {
		g->answers_reset_ms = now + 1000;
		g->sync_answered = 0;
	}
	if (g->sync_answered >= g->cfg.sync_answers) {
		g->st.sync_refused++;
		return;
	}
	g->sync_answered++;
	if (epoch != g->epoch && (e = event(out, WF_GE_EPOCH, &g->m[from], NULL)))
		e->value = epoch;
	mask = digest_diff(g, msg + WF_GOSSIP_SYNC_DIGESTS);
	if (!mask)
		return;
	send_buckets(g, from, mask, out);
	wf_put_le64(pull + 1, mask);
	emit(g, out, from, pull, sizeof(pull));
}

/* A random dead (not left) member, 0 if none. */
static uint32_t random_dead(struct wf_gossip *g)
{
	for (int tries = 0; tries < 4 && g->n_dead; tries++) {
		uint32_t idx = g->dead[rnd_below(g, g->n_dead)];

		if (g->m[idx].state == WF_GS_DEAD)
			return idx;
	}
	return 0;
}

/* Each period: compare with a random live member; each reconnect period,
 * with a random dead one, to heal partitions (if it answers, it learns it was
 * declared dead and refutes it: Serf's reconnect). */
static void sync_tick(struct wf_gossip *g, int64_t now, struct wf_gossip_out *out)
{
	uint32_t to;

	if (now >= g->next_reconnect_ms) {
		g->next_reconnect_ms = now + g->cfg.reconnect_ms;
		to = random_dead(g);
		if (g->sparse)
			g->reach = to; /* no session with it: call it (wf_gossip_wanted) */
		else if (to)
			send_digest(g, to, 1, out);
	}
	if (now < g->next_sync_ms)
		return;
	/* Unlike memberlist's push-pull, a comparison costs one datagram of
	 * digests whatever the mesh's size (only what differs follows), so its
	 * period does not grow with the mesh. */
	g->next_sync_ms = now + g->cfg.sync_ms;
	to = g->sync_soon && is_live(&g->m[g->sync_soon]) && probe_ok(g, &g->m[g->sync_soon])
		     ? g->sync_soon
		     : random_live(g, 0, false, now);
	g->sync_soon = 0;
	if (to)
		send_digest(g, to, 0, out);
}

/* -- sparse meshes: who this node keeps sessions with ------------------------------ */

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
static bool ring_near(const struct wf_gossip *g, uint32_t a, uint32_t b)
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

static void links_tick(struct wf_gossip *g, int64_t now)
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
static void links_forget(struct wf_gossip *g, uint32_t idx)
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
	links_tick(g, now);
}

void wf_gossip_link(struct wf_gossip *g, const uint8_t *key, bool up)
{
	uint32_t v = find(g, key), idx = v - 1;
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
	if (!vec_push(&g->lnk, &g->n_lnk, &g->cap_lnk, sizeof(idx), &idx))
		return; /* out of memory: not a target, which is safe */
	m->flags |= WF_GM_LINK;
	if (g->sparse && is_live(m) && target_ok(g, m))
		order_add(g, idx);
}

bool wf_gossip_wanted(const struct wf_gossip *g, const uint8_t *key)
{
	uint32_t v = find(g, key);

	if (!g->sparse)
		return true;
	return v > 1 && (g->m[v - 1].flags & WF_GM_WANT);
}

/* -- entry points -------------------------------------------------------------------- */

bool wf_gossip_init(struct wf_gossip *g, const struct wf_gossip_cfg *cfg, const uint8_t *self,
		    uint64_t inc, uint64_t seed, int64_t now)
{
	memset(g, 0, sizeof(*g));
	g->cfg = *cfg;
	if (g->cfg.mtu > WF_GOSSIP_MTU_MAX)
		g->cfg.mtu = WF_GOSSIP_MTU_MAX;
	if (g->cfg.mtu < DIGEST_LEN)
		g->cfg.mtu = DIGEST_LEN;
	g->rng = seed;
	g->hseed = rnd(g);
	g->seq = (uint32_t)rnd(g);
	if (add(g, self, inc < INC_LIMIT ? inc : 0, now) != 0) {
		wf_gossip_free(g);
		return false;
	}
	g->m[0].how = WF_GH_SELF;
	/* Spread the first probe and comparison over a period: no storm when
	 * many nodes start at once. */
	g->next_probe_ms = now + rnd_below(g, g->cfg.probe_ms);
	g->next_gossip_ms = now + rnd_below(g, g->cfg.gossip_ms);
	g->next_sync_ms = now + rnd_below(g, g->cfg.sync_ms);
	g->next_reconnect_ms = now + rnd_below(g, g->cfg.reconnect_ms);
	g->answers_reset_ms = now;
	return true;
}

void wf_gossip_free(struct wf_gossip *g)
{
	free(g->m);
	free(g->slot);
	free(g->order);
	free(g->susp);
	free(g->dead);
	free(g->lnk);
	memset(g, 0, sizeof(*g));
}

void wf_gossip_tick(struct wf_gossip *g, int64_t now, struct wf_gossip_out *out)
{
	relay_tick(g, now, out);
	suspect_tick(g, now, out);
	probe_tick(g, now, out);
	gossip_tick(g, now, out);
	sync_tick(g, now, out);
	forget_tick(g, now, out);
	links_tick(g, now);
}

void wf_gossip_contact(struct wf_gossip *g, const uint8_t *key, const uint8_t *ep, size_t ep_len,
		       int64_t now, struct wf_gossip_out *out)
{
	uint32_t v = find(g, key), idx;

	if (v == 1 || ep_len > WF_GOSSIP_EP_MAX)
		return;
	if (v && is_live(&g->m[v - 1])) {
		idx = v - 1;
		if (ep_len)
			memcpy(g->m[idx].ep, ep, ep_len), g->m[idx].ep_len = (uint8_t)ep_len;
		return;
	}
	if (!v) {
		idx = add(g, key, 0, now);
		if (idx == UINT32_MAX)
			return;
		g->m[idx].how = WF_GH_DIRECT;
		enqueue(g, idx);
		event(out, WF_GE_NEW, &g->m[idx], key);
	} else {
		idx = v - 1; /* back from the dead: it will refute; compare now */
	}
	if (ep_len)
		memcpy(g->m[idx].ep, ep, ep_len), g->m[idx].ep_len = (uint8_t)ep_len;
	/* A join or a return: compare tables with it right away. */
	g->sync_soon = idx;
	g->next_sync_ms = now;
}

/* The fixed part of each kind, and whether records follow it. */
static size_t head_len(unsigned kind, bool *recs)
{
	*recs = true;
	switch (kind) {
	case WF_GOSSIP_PING:
	case WF_GOSSIP_ACK:
		return 5;
	case WF_GOSSIP_PING_REQ:
		return 5 + WF_GOSSIP_KEY_LEN;
	case WF_GOSSIP_UPDATES:
		return 2;
	case WF_GOSSIP_NACK:
		*recs = false;
		return 5;
	case WF_GOSSIP_SYNC:
		*recs = false;
		return DIGEST_LEN;
	case WF_GOSSIP_SYNC_PULL:
		*recs = false;
		return 9;
	default:
		return 0;
	}
}

static bool well_formed(const uint8_t *msg, size_t len)
{
	bool recs;
	size_t head;

	if (!len)
		return false;
	head = head_len(msg[0], &recs);
	if (!head || len < head)
		return false;
	return recs ? recs_valid(msg + head, len - head) : len == head;
}

static void dispatch(struct wf_gossip *g, uint32_t from, const uint8_t *msg, int64_t now,
		     struct wf_gossip_out *out)
{
	/* (Only the kinds that have one read it: an UPDATES may be 2 bytes.) */
	uint32_t seq = msg[0] >= WF_GOSSIP_PING && msg[0] <= WF_GOSSIP_NACK ? wf_get_le32(msg + 1) : 0;

	switch (msg[0]) {
	case WF_GOSSIP_PING:
		send_short(g, from, WF_GOSSIP_ACK, seq, out);
		break;
	case WF_GOSSIP_ACK:
		got_ack(g, seq, from, out);
		break;
	case WF_GOSSIP_PING_REQ:
		got_ping_req(g, seq, from, msg + 5, now, out);
		break;
	case WF_GOSSIP_NACK:
		if (g->probe.target && seq == g->probe.seq)
			g->probe.nacks++;
		break;
	case WF_GOSSIP_SYNC:
		if (msg[1] & SYNC_REQUEST)
			got_sync(g, from, msg, now, out);
		break;
	case WF_GOSSIP_SYNC_PULL:
		for (unsigned i = 0; i < 2; i++)
			if (from && from == g->sync_with[i]) {
				g->sync_with[i] = 0;
				send_buckets(g, from, wf_get_le64(msg + 1), out);
				break;
			}
		break;
	}
}

bool wf_gossip_receive(struct wf_gossip *g, const uint8_t *from, const uint8_t *msg, size_t len,
		       int64_t now, struct wf_gossip_out *out)
{
	uint32_t v;
	size_t head;
	bool recs;

	if (!well_formed(msg, len)) {
		g->st.malformed++;
		return false;
	}
	g->st.msgs_in++;
	g->st.bytes_in += len;
	v = find(g, from);
	if (v == 1)
		return true; /* from ourselves: a loop somewhere */
	if (!v) {
		wf_gossip_contact(g, from, NULL, 0, now, out); /* it talks: it lives */
		v = find(g, from);
		if (!v)
			return true; /* out of memory */
	}
	head = head_len(msg[0], &recs);
	if (recs)
		recs_merge(g, msg + head, len - head, from,
			   msg[0] == WF_GOSSIP_UPDATES && (msg[1] & UPD_SYNC) ? WF_GH_SYNC : WF_GH_GOSSIP,
			   now, out);
	dispatch(g, v - 1, msg, now, out);
	return true;
}
