/* SPDX-License-Identifier: MIT */
/*
 * The membership core's insides, shared by its files (gossip*.c) and by no
 * one else: gossip.h is the interface. Functions here are the core's own;
 * their comments are at their definitions.
 */
#ifndef WEFT_GOSSIP_IMPL_H
#define WEFT_GOSSIP_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

struct rec {
	const uint8_t *key, *ep;
	uint64_t inc;
	uint8_t state, ep_len;
};

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= UINT64_C(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64_C(0x94d049bb133111eb);
	return x ^ (x >> 31);
}

static inline unsigned bucket(const uint8_t *key) { return key[0] >> 2; }

static inline bool in_use(const struct wf_gmember *m) { return m->state < WF_GS_MAX; }

static inline bool is_live(const struct wf_gmember *m)
{
	return m->state == WF_GS_ALIVE || m->state == WF_GS_SUSPECT;
}

/* May messages of our own choosing go to m (gossip, comparisons, a relayed
 * probe)? In a full mesh any member; sparse, those a session reaches. */
static inline bool probe_ok(const struct wf_gossip *g, const struct wf_gmember *m)
{
	return !g->sparse || (m->flags & WF_GM_LINK);
}

/* Is m one this node probes? Sparse, its ring neighbours with a session. */
static inline bool target_ok(const struct wf_gossip *g, const struct wf_gmember *m)
{
	return !g->sparse || (m->flags & (WF_GM_LINK | WF_GM_RING)) == (WF_GM_LINK | WF_GM_RING);
}

static inline uint32_t slot_idx(uint64_t v) { return (uint32_t)v; } /* index + 1 */

static inline size_t rec_len(const struct wf_gmember *m) { return REC_FIXED + m->ep_len; }

/* Move member idx to (state, inc): the one place a record changes. */
static inline bool is_gone(unsigned state) { return state == WF_GS_DEAD || state == WF_GS_LEFT; }


/* gossip_table.c */
uint64_t wfg_rnd(struct wf_gossip *g);
uint32_t wfg_rnd_below(struct wf_gossip *g, uint32_t n);
uint64_t wfg_key_hash(uint64_t seed, const uint8_t *key);
uint64_t wfg_share(const struct wf_gmember *m);
uint32_t wfg_find(const struct wf_gossip *g, const uint8_t *key);
bool wfg_reserve(void *vp, uint32_t n, uint32_t *cap, size_t size);
bool wfg_vec_push(void *vp, uint32_t *n, uint32_t *cap, size_t size, const void *item);
uint32_t wfg_add(struct wf_gossip *g, const uint8_t *key, uint64_t inc, int64_t now);
void wfg_forget(struct wf_gossip *g, uint32_t idx, struct wf_gossip_out *out);

/* gossip_wire.c */
struct wf_gossip_event *wfg_event(struct wf_gossip_out *out, unsigned kind, const struct wf_gmember *m, const uint8_t *from);
void wfg_emit(struct wf_gossip *g, struct wf_gossip_out *out, uint32_t to, const uint8_t *buf, size_t len);
void wfg_bq_remove(struct wf_gossip *g, uint32_t idx);
void wfg_enqueue(struct wf_gossip *g, uint32_t idx);
bool wfg_bq_empty(const struct wf_gossip *g);
size_t wfg_rec_put(const struct wf_gmember *m, uint8_t *p);
size_t wfg_piggyback(struct wf_gossip *g, uint8_t *buf, size_t len, size_t cap, uint32_t skip);
bool wfg_rec_get(struct rec *r, const uint8_t *p, size_t left, size_t *used);
size_t wfg_put_head(uint8_t *buf, unsigned kind, uint32_t seq);
void wfg_send_short(struct wf_gossip *g, uint32_t to, unsigned kind, uint32_t seq, struct wf_gossip_out *out);
void wfg_send_updates(struct wf_gossip *g, uint32_t to, struct wf_gossip_out *out);
size_t wfg_head_len(unsigned kind, bool *recs);
bool wfg_well_formed(const uint8_t *msg, size_t len);

/* gossip_suspect.c */
bool wfg_suspicion_confirm(struct wf_gossip *g, uint32_t idx, const uint8_t *by);
void wfg_set_state(struct wf_gossip *g, uint32_t idx, unsigned state, uint64_t inc, int64_t now, struct wf_gossip_out *out);
void wfg_set_endpoint(struct wf_gossip *g, uint32_t idx, const uint8_t *ep, size_t len, const uint8_t *from, struct wf_gossip_out *out);
void wfg_refute(struct wf_gossip *g, uint64_t inc);
void wfg_suspect_tick(struct wf_gossip *g, int64_t now, struct wf_gossip_out *out);
void wfg_forget_tick(struct wf_gossip *g, int64_t now, struct wf_gossip_out *out);

/* gossip_probe.c */
void wfg_order_add(struct wf_gossip *g, uint32_t idx);
uint32_t wfg_random_live(struct wf_gossip *g, uint32_t but, bool dead_too, int64_t now);
void wfg_probe_tick(struct wf_gossip *g, int64_t now, struct wf_gossip_out *out);
void wfg_got_ack(struct wf_gossip *g, uint32_t seq, uint32_t from_idx, int64_t now, struct wf_gossip_out *out);
void wfg_got_ping_req(struct wf_gossip *g, uint32_t seq, uint32_t origin, const uint8_t *key, int64_t now, struct wf_gossip_out *out);
void wfg_relay_tick(struct wf_gossip *g, int64_t now, struct wf_gossip_out *out);

/* gossip_sync.c */
void wfg_sync_tick(struct wf_gossip *g, int64_t now, struct wf_gossip_out *out);
void wfg_send_buckets(struct wf_gossip *g, uint32_t to, uint64_t mask, struct wf_gossip_out *out);
void wfg_got_sync(struct wf_gossip *g, uint32_t from, const uint8_t *msg, int64_t now, struct wf_gossip_out *out);

/* gossip_sparse.c */
bool wfg_ring_near(const struct wf_gossip *g, uint32_t a, uint32_t b);
void wfg_links_tick(struct wf_gossip *g, int64_t now);
void wfg_links_forget(struct wf_gossip *g, uint32_t idx);

/* gossip_wait.c */
/* A record of a key not in the table, alive, told by member teller: it waits
 * for its certificate. True if it waits now and did not before. */
bool wfg_wait_add(struct wf_gossip *g, const struct rec *r, uint32_t teller, unsigned how,
		  int64_t now, struct wf_gossip_out *out);
uint64_t wfg_wait_take(struct wf_gossip *g, const uint8_t *key, struct wf_gwait *best);
void wfg_wait_forget_teller(struct wf_gossip *g, uint32_t idx);
void wfg_wait_tick(struct wf_gossip *g, int64_t now, struct wf_gossip_out *out);
/* gossip_suspect.c */
void wfg_unstate(struct wf_gossip *g, uint32_t idx);

#endif
