/* SPDX-License-Identifier: MIT */
/*
 * What goes on the wire (gossip.h, docs/protocol.md): the records, the
 * messages' fixed parts, the queue of changes each message carries a few
 * of (least sent first, each a bounded number of times), and the outbox
 * the caller drains.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "core/gossip_impl.h"

/* An event about m; NULL (counted) when the outbox has no room. */
struct wf_gossip_event *wfg_event(struct wf_gossip_out *out, unsigned kind,
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

void wfg_emit(struct wf_gossip *g, struct wf_gossip_out *out, uint32_t to, const uint8_t *buf,
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

static unsigned tx_limit(const struct wf_gossip *g)
{
	unsigned scale = (unsigned)ceil(log10((double)g->n_live + 1));
	unsigned lim = g->cfg.retransmit_mult * (scale ? scale : 1);

	return lim < WF_GOSSIP_TX_MAX ? lim : WF_GOSSIP_TX_MAX;
}

void wfg_bq_remove(struct wf_gossip *g, uint32_t idx)
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
void wfg_enqueue(struct wf_gossip *g, uint32_t idx)
{
	wfg_bq_remove(g, idx);
	for (unsigned b = WF_GOSSIP_TX_MAX; g->n_bq >= g->cfg.queue_max && b-- > 0;)
		while (g->bq[b] && g->n_bq >= g->cfg.queue_max)
			wfg_bq_remove(g, g->bq[b] - 1);
	bq_put(g, idx, 0);
}

bool wfg_bq_empty(const struct wf_gossip *g) { return g->n_bq == 0; }

size_t wfg_rec_put(const struct wf_gmember *m, uint8_t *p)
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
size_t wfg_piggyback(struct wf_gossip *g, uint8_t *buf, size_t len, size_t cap, uint32_t skip)
{
	unsigned limit = tx_limit(g);
	uint32_t taken[WF_GOSSIP_MTU_MAX / REC_FIXED];
	unsigned n_taken = 0;

	for (unsigned b = 0; b < WF_GOSSIP_TX_MAX && len + REC_FIXED <= cap; b++) {
		for (uint32_t v = g->bq[b]; v && len + REC_FIXED <= cap; v = g->m[v - 1].bq_next) {
			uint32_t idx = v - 1;

			if (idx == skip || len + rec_len(&g->m[idx]) > cap)
				continue;
			len += wfg_rec_put(&g->m[idx], buf + len);
			taken[n_taken++] = idx;
		}
	}
	for (unsigned i = 0; i < n_taken; i++) {
		unsigned tx = (unsigned)g->m[taken[i]].bq_tx + 1;

		wfg_bq_remove(g, taken[i]);
		if (tx < limit)
			bq_put(g, taken[i], tx);
	}
	return len;
}

bool wfg_rec_get(struct rec *r, const uint8_t *p, size_t left, size_t *used)
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

		if (!wfg_rec_get(&r, p, len, &used))
			return false;
		p += used;
		len -= used;
	}
	return true;
}

size_t wfg_put_head(uint8_t *buf, unsigned kind, uint32_t seq)
{
	buf[0] = (uint8_t)kind;
	wf_put_le32(buf + 1, seq);
	return 5;
}

void wfg_send_short(struct wf_gossip *g, uint32_t to, unsigned kind, uint32_t seq,
		       struct wf_gossip_out *out)
{
	uint8_t buf[WF_GOSSIP_MTU_MAX];
	size_t len = wfg_put_head(buf, kind, seq);

	if (kind == WF_GOSSIP_ACK)
		len = wfg_piggyback(g, buf, len, g->cfg.mtu, UINT32_MAX);
	wfg_emit(g, out, to, buf, len);
}

void wfg_send_updates(struct wf_gossip *g, uint32_t to, struct wf_gossip_out *out)
{
	uint8_t buf[WF_GOSSIP_MTU_MAX] = {WF_GOSSIP_UPDATES, 0};
	size_t len = wfg_piggyback(g, buf, 2, g->cfg.mtu, to);

	if (len > 2)
		wfg_emit(g, out, to, buf, len);
}

/* The fixed part of each kind, and whether records follow it. */
size_t wfg_head_len(unsigned kind, bool *recs)
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

bool wfg_well_formed(const uint8_t *msg, size_t len)
{
	bool recs;
	size_t head;

	if (!len)
		return false;
	head = wfg_head_len(msg[0], &recs);
	if (!head || len < head)
		return false;
	return recs ? recs_valid(msg + head, len - head) : len == head;
}
