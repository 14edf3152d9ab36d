/* SPDX-License-Identifier: MIT */
/*
 * Records of keys this node holds no certificate of (gossip.h).
 *
 * Only the CA makes members. A member may tell us of any key; until the
 * caller has verified a certificate for it, the record waits here, apart
 * from the table: it counts for nothing (size, ring, chords, digests, probes
 * and comparisons never see it), and the member who told it, asked for the
 * certificate first, cannot make more than cfg.wait_teller of them wait at
 * once (cfg.wait_max in all). A record whose certificate does not come is
 * asked of a few other members, then dropped after cfg.wait_ms. So a liar's
 * keys cost a bounded list that empties by itself, and nothing else.
 */
#include <string.h>

#include "core/gossip_impl.h"

enum {
	WAIT_ASK_MS = 500,      /* a certificate not come: ask again ... */
	WAIT_ASKS = 3,          /* ... up to this many times in all */
	WAIT_ASKS_PER_TICK = 32,
};

static bool same_key(const struct wf_gwait *w, const uint8_t *key)
{
	return !memcmp(w->key, key, WF_GOSSIP_KEY_LEN);
}

static void wait_del(struct wf_gossip *g, uint32_t i)
{
	g->m[g->wait[i].teller].told--;
	g->wait[i] = g->wait[--g->n_wait];
}

/* Ask `of` for the certificate of w's key. */
static void ask(struct wf_gossip *g, struct wf_gwait *w, uint32_t of, int64_t now,
		struct wf_gossip_out *out)
{
	struct wf_gossip_event *e = wfg_event(out, WF_GE_CERT, &g->m[of], NULL);

	if (e) {
		memcpy(e->key, w->key, WF_GOSSIP_KEY_LEN);
		e->state = WF_GS_ALIVE;
	}
	w->teller_asked |= of == w->teller;
	w->asks++;
	w->ask_ms = now + WAIT_ASK_MS;
}

/* Is the certificate of key being asked for, for another record? */
static bool asking(const struct wf_gossip *g, const uint8_t *key, int64_t now)
{
	for (uint32_t i = 0; i < g->n_wait; i++)
		if (same_key(&g->wait[i], key) && g->wait[i].asks && now < g->wait[i].ask_ms)
			return true;
	return false;
}

bool wfg_wait_add(struct wf_gossip *g, const struct rec *r, uint32_t teller, unsigned how,
		  int64_t now, struct wf_gossip_out *out)
{
	struct wf_gmember *t = &g->m[teller];
	struct wf_gwait *w;
	bool asked;

	/* Over its share: refused before anything is looked at. */
	if (t->told >= g->cfg.wait_teller || g->n_wait >= g->cfg.wait_max) {
		g->st.wait_refused++;
		return false;
	}
	for (uint32_t i = 0; i < g->n_wait; i++) {
		w = &g->wait[i];
		if (w->teller != teller || !same_key(w, r->key))
			continue;
		if (r->inc > w->inc) {
			w->inc = r->inc;
			memcpy(w->ep, r->ep, r->ep_len);
			w->ep_len = r->ep_len;
		}
		return false;
	}
	asked = asking(g, r->key, now);
	if (!wfg_reserve(&g->wait, g->n_wait, &g->cap_wait, sizeof(*g->wait)))
		return false;
	w = &g->wait[g->n_wait++];
	memset(w, 0, sizeof(*w));
	memcpy(w->key, r->key, WF_GOSSIP_KEY_LEN);
	w->inc = r->inc;
	w->since_ms = now;
	w->teller = teller;
	w->how = (uint8_t)how;
	memcpy(w->ep, r->ep, r->ep_len);
	w->ep_len = r->ep_len;
	t->told++;
	g->st.waited++;
	/* Several members tell of one new member at once: one question;
	 * the others are asked if its answer does not come. */
	w->ask_ms = now + WAIT_ASK_MS;
	if (!asked)
		ask(g, w, teller, now, out);
	return true;
}

/* What waits of key goes; the highest incarnation among it, 0 if none. */
uint64_t wfg_wait_take(struct wf_gossip *g, const uint8_t *key, struct wf_gwait *best)
{
	uint64_t inc = 0;

	if (best)
		memset(best, 0, sizeof(*best));
	for (uint32_t i = 0; i < g->n_wait;) {
		if (!same_key(&g->wait[i], key)) {
			i++;
			continue;
		}
		if (g->wait[i].inc >= inc) {
			inc = g->wait[i].inc;
			if (best)
				*best = g->wait[i];
		}
		wait_del(g, i);
	}
	return inc;
}

void wfg_wait_forget_teller(struct wf_gossip *g, uint32_t idx)
{
	for (uint32_t i = 0; i < g->n_wait && g->m[idx].told;) {
		if (g->wait[i].teller == idx)
			wait_del(g, i);
		else
			i++;
	}
}

/* Once a second: drop what waited too long; ask again for what was not
 * answered in time: the member who told it, then others. */
void wfg_wait_tick(struct wf_gossip *g, int64_t now, struct wf_gossip_out *out)
{
	unsigned budget = WAIT_ASKS_PER_TICK;

	if (now < g->next_wait_ms)
		return;
	g->next_wait_ms = now + WF_GOSSIP_WAIT_TICK_MS;
	for (uint32_t i = 0; i < g->n_wait;) {
		struct wf_gwait *w = &g->wait[i];
		uint32_t other;

		if (now - w->since_ms >= (int64_t)g->cfg.wait_ms) {
			g->st.wait_expired++;
			wait_del(g, i);
			continue;
		}
		if (budget && w->asks < WAIT_ASKS && now >= w->ask_ms && !asking(g, w->key, now)) {
			other = w->teller_asked ? wfg_random_live(g, w->teller, false, now) : w->teller;
			if (other) {
				ask(g, w, other, now, out);
				budget--;
			}
		}
		i++;
	}
}

bool wf_gossip_waiting(const struct wf_gossip *g, const uint8_t *key)
{
	for (uint32_t i = 0; i < g->n_wait; i++)
		if (same_key(&g->wait[i], key))
			return true;
	return false;
}

bool wf_gossip_certified(struct wf_gossip *g, const uint8_t *key, int64_t now,
			 struct wf_gossip_out *out)
{
	struct wf_gwait best;
	struct wf_gmember *m;
	uint32_t idx;

	if (wfg_find(g, key)) {
		wfg_wait_take(g, key, NULL);
		return true;
	}
	if (!wf_gossip_waiting(g, key))
		return false;
	wfg_wait_take(g, key, &best);
	idx = wfg_add(g, key, best.inc, now);
	if (idx == UINT32_MAX)
		return false;
	m = &g->m[idx];
	m->how = best.how;
	memcpy(m->ep, best.ep, best.ep_len);
	m->ep_len = best.ep_len;
	wfg_enqueue(g, idx);
	wfg_event(out, WF_GE_NEW, m, g->m[best.teller].key);
	g->st.certified++;
	return true;
}

void wf_gossip_drop(struct wf_gossip *g, const uint8_t *key)
{
	uint32_t v = wfg_find(g, key);

	wfg_wait_take(g, key, NULL);
	if (v <= 1)
		return; /* (not a member, or this node) */
	wfg_unstate(g, v - 1);
	wfg_forget(g, v - 1, NULL);
}
