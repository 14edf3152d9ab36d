/* SPDX-License-Identifier: MIT */
/*
 * The membership core (gossip.h): its entry points, and the rules by which a
 * record changes what this node holds (merge). The rest is in the files of
 * its nouns, behind gossip_impl.h: the table (gossip_table.c), the records
 * and messages on the wire (gossip_wire.c), suspicion and forgetting
 * (gossip_suspect.c), the probe round (gossip_probe.c), table comparison
 * (gossip_sync.c) and sparse meshes (gossip_sparse.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "core/gossip_impl.h"

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
		.sync_answers = 8,
		.reconnect_ms = 10000,
		.awareness_max = 8,
		.forget_ms = 3600 * 1000,
		.mtu = 1200,
		.ring = 3,
		.chords = 2,
		.wait_ms = 15000,
		.wait_teller = 1024,
		.wait_max = 8192,
		.sync_gap_ms = 1000,
		.relay_per = 3,
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

static void merge_self(struct wf_gossip *g, const struct rec *r)
{
	const struct wf_gmember *self = &g->m[0];

	if (self->state == WF_GS_LEFT || r->inc + 1 >= INC_LIMIT)
		return; /* leaving: let it be; or a claim we cannot outlive */
	if (r->inc > self->inc || (r->inc == self->inc && r->state != WF_GS_ALIVE))
		wfg_refute(g, r->inc);
}

/* One record about member r->key, from member `teller`, learned `how`; true
 * if we learned something (our table changed, or a new key waits for its
 * certificate). */
static bool merge(struct wf_gossip *g, const struct rec *r, uint32_t teller, unsigned how,
		  int64_t now, struct wf_gossip_out *out)
{
	const uint8_t *from = g->m[teller].key;
	uint32_t v = wfg_find(g, r->key), idx;
	struct wf_gmember *m;

	if (v == 1) {
		merge_self(g, r);
		return false;
	}
	if (!v) {
		if (r->state != WF_GS_ALIVE)
			return false; /* news of the death of a stranger: nothing to do */
		/* Only the CA makes members: it waits for its certificate. */
		return wfg_wait_add(g, r, teller, how, now, out);
	}
	idx = v - 1;
	m = &g->m[idx];
	switch (r->state) {
	case WF_GS_ALIVE:
		if (r->inc <= m->inc)
			return false;
		m->how = (uint8_t)how;
		wfg_set_endpoint(g, idx, r->ep, r->ep_len, from, out);
		wfg_set_state(g, idx, WF_GS_ALIVE, r->inc, now, out);
		return true;
	case WF_GS_SUSPECT:
		if (r->inc < m->inc || m->state >= WF_GS_DEAD)
			return false;
		if (m->state == WF_GS_SUSPECT) {
			if (wfg_suspicion_confirm(g, idx, from))
				wfg_enqueue(g, idx);
			return false;
		}
		wfg_set_state(g, idx, WF_GS_SUSPECT, r->inc, now, out);
		wfg_suspicion_confirm(g, idx, from);
		return true;
	default: /* dead, left */
		if (r->inc < m->inc || m->state >= WF_GS_DEAD)
			return false;
		wfg_set_state(g, idx, r->state, r->inc, now, out);
		return true;
	}
}

static void recs_merge(struct wf_gossip *g, const uint8_t *p, size_t len, uint32_t teller,
		       unsigned how, int64_t now, struct wf_gossip_out *out)
{
	while (len) {
		struct rec r;
		size_t used;

		if (!wfg_rec_get(&r, p, len, &used))
			return;
		/* A comparison that teaches us something: compare again soon. */
		if (merge(g, &r, teller, how, now, out) && how == WF_GH_SYNC &&
		    g->next_sync_ms > now + SYNC_AGAIN_MS)
			g->next_sync_ms = now + SYNC_AGAIN_MS;
		p += used;
		len -= used;
	}
}

static void gossip_tick(struct wf_gossip *g, int64_t now, struct wf_gossip_out *out)
{
	if (now < g->next_gossip_ms)
		return;
	g->next_gossip_ms = now + g->cfg.gossip_ms;
	for (unsigned i = 0; i < g->cfg.fanout && !wfg_bq_empty(g); i++) {
		uint32_t to = wfg_random_live(g, 0, true, now);

		if (to)
			wfg_send_updates(g, to, out);
	}
}

void wf_gossip_leave(struct wf_gossip *g, int64_t now, struct wf_gossip_out *out)
{
	wfg_set_state(g, 0, WF_GS_LEFT, g->m[0].inc + 1, now, out);
	for (unsigned i = 0; i < 2 * g->cfg.fanout; i++) {
		uint32_t to = wfg_random_live(g, 0, false, now);

		if (to)
			wfg_send_updates(g, to, out);
	}
}

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
	g->hseed = wfg_rnd(g);
	g->seq = (uint32_t)wfg_rnd(g);
	if (wfg_add(g, self, inc < INC_LIMIT ? inc : 0, now) != 0) {
		wf_gossip_free(g);
		return false;
	}
	g->m[0].how = WF_GH_SELF;
	/* Spread the first probe and comparison over a period: no storm when
	 * many nodes start at once. */
	g->next_probe_ms = now + wfg_rnd_below(g, g->cfg.probe_ms);
	g->next_gossip_ms = now + wfg_rnd_below(g, g->cfg.gossip_ms);
	g->next_sync_ms = now + wfg_rnd_below(g, g->cfg.sync_ms);
	g->next_reconnect_ms = now + wfg_rnd_below(g, g->cfg.reconnect_ms);
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
	free(g->wait);
	memset(g, 0, sizeof(*g));
}

void wf_gossip_tick(struct wf_gossip *g, int64_t now, struct wf_gossip_out *out)
{
	wfg_relay_tick(g, now, out);
	wfg_suspect_tick(g, now, out);
	wfg_probe_tick(g, now, out);
	gossip_tick(g, now, out);
	wfg_sync_tick(g, now, out);
	wfg_forget_tick(g, now, out);
	wfg_wait_tick(g, now, out);
	wfg_links_tick(g, now);
}

void wf_gossip_contact(struct wf_gossip *g, const uint8_t *key, const uint8_t *ep, size_t ep_len,
		       int64_t now, struct wf_gossip_out *out)
{
	uint32_t v = wfg_find(g, key), idx;

	if (v == 1 || ep_len > WF_GOSSIP_EP_MAX)
		return;
	if (v && is_live(&g->m[v - 1])) {
		idx = v - 1;
		if (ep_len)
			memcpy(g->m[idx].ep, ep, ep_len), g->m[idx].ep_len = (uint8_t)ep_len;
		return;
	}
	if (!v) {
		/* Records of it that waited for a certificate: its session
		 * proved the key; the latest incarnation told stays. */
		idx = wfg_add(g, key, wfg_wait_take(g, key, NULL), now);
		if (idx == UINT32_MAX)
			return;
		g->m[idx].how = WF_GH_DIRECT;
		wfg_enqueue(g, idx);
		wfg_event(out, WF_GE_NEW, &g->m[idx], key);
	} else {
		idx = v - 1; /* back from the dead: it will refute; compare now */
	}
	if (ep_len)
		memcpy(g->m[idx].ep, ep, ep_len), g->m[idx].ep_len = (uint8_t)ep_len;
	/* A join or a return: compare tables with it right away. */
	g->sync_soon = idx;
	g->next_sync_ms = now;
}

static void dispatch(struct wf_gossip *g, uint32_t from, const uint8_t *msg, int64_t now,
		     struct wf_gossip_out *out)
{
	/* (Only the kinds that have one read it: an UPDATES may be 2 bytes.) */
	uint32_t seq = msg[0] >= WF_GOSSIP_PING && msg[0] <= WF_GOSSIP_NACK ? wf_get_le32(msg + 1) : 0;

	switch (msg[0]) {
	case WF_GOSSIP_PING:
		wfg_send_short(g, from, WF_GOSSIP_ACK, seq, out);
		break;
	case WF_GOSSIP_ACK:
		wfg_got_ack(g, seq, from, now, out);
		break;
	case WF_GOSSIP_PING_REQ:
		wfg_got_ping_req(g, seq, from, msg + 5, now, out);
		break;
	case WF_GOSSIP_NACK:
		if (g->probe.target && seq == g->probe.seq)
			g->probe.nacks++;
		break;
	case WF_GOSSIP_SYNC:
		if (msg[1] & SYNC_REQUEST)
			wfg_got_sync(g, from, msg, now, out);
		break;
	case WF_GOSSIP_SYNC_PULL:
		for (unsigned i = 0; i < 2; i++)
			if (from && from == g->sync_with[i]) {
				g->sync_with[i] = 0;
				wfg_send_buckets(g, from, wf_get_le64(msg + 1), out);
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

	if (!wfg_well_formed(msg, len)) {
		g->st.malformed++;
		return false;
	}
	g->st.msgs_in++;
	g->st.bytes_in += len;
	v = wfg_find(g, from);
	if (v == 1)
		return true; /* from ourselves: a loop somewhere */
	if (!v) {
		wf_gossip_contact(g, from, NULL, 0, now, out); /* it talks: it lives */
		v = wfg_find(g, from);
		if (!v)
			return true; /* out of memory */
	}
	head = wfg_head_len(msg[0], &recs);
	if (recs)
		recs_merge(g, msg + head, len - head, v - 1,
			   msg[0] == WF_GOSSIP_UPDATES && (msg[1] & UPD_SYNC) ? WF_GH_SYNC : WF_GH_GOSSIP,
			   now, out);
	dispatch(g, v - 1, msg, now, out);
	return true;
}
