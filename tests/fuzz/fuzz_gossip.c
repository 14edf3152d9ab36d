/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the membership core (src/core/gossip.c).
 *
 * Input: a sequence of steps. Each step is a header of 4 bytes (sender 0-7,
 * a time step in units of 50 ms, a length in two bytes) and that many bytes
 * of message, handed to one node as if from member `sender` (one of eight
 * keys the harness knows, so that records may name the node itself, its
 * senders and strangers). Between steps the node's timers run. After each
 * step the table's invariants are checked against a naive recount: the live
 * count, every member found by its key, every suspect and dead member at its
 * place in its list, and no message larger than the MTU. The header's first
 * byte also switches the sparse mesh on or off (bit 3) and links the sender
 * up (bit 4) or down (bit 5): the links and the wanted members must match
 * their flags, and only members in use may be either. Bit 6 certifies every
 * key the step's events asked a certificate for, bit 7 drops the sender (its
 * certificate revoked). The records waiting for a certificate are checked
 * too: within their bounds, each told by a member in use whose count agrees,
 * none of a key in the table.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/gossip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct wf_gossip_msg msgs[256];
static struct wf_gossip_event evs[1024];

/* The sparse mesh's lists and the flags they mirror agree. */
static void check_links(const struct wf_gossip *g)
{
	uint32_t links = 0, wants = 0;

	for (uint32_t i = 0; i < g->n; i++) {
		const struct wf_gmember *m = &g->m[i];

		if (m->flags && (m->state >= WF_GS_MAX || !i))
			abort(); /* a forgotten slot, or this node, with flags */
		if ((m->flags & WF_GM_RING) && !(m->flags & WF_GM_WANT))
			abort();
		links += !!(m->flags & WF_GM_LINK);
		wants += !!(m->flags & WF_GM_WANT);
	}
	if (links != g->n_lnk || wants != g->n_want || (!g->sparse && g->n_want))
		abort();
	for (uint32_t k = 0; k < g->n_lnk; k++)
		if (g->lnk[k] >= g->n || !(g->m[g->lnk[k]].flags & WF_GM_LINK))
			abort();
	for (uint32_t k = 0; k < g->n_want; k++)
		if (g->want[k] >= g->n || !(g->m[g->want[k]].flags & WF_GM_WANT))
			abort();
}

/* What waits for a certificate: bounded, counted right, never a member. */
static void check_waiting(const struct wf_gossip *g)
{
	uint32_t told = 0;

	if (g->n_wait > g->cfg.wait_max)
		abort();
	for (uint32_t k = 0; k < g->n_wait; k++) {
		const struct wf_gwait *w = &g->wait[k];

		if (w->teller >= g->n || g->m[w->teller].state >= WF_GS_MAX ||
		    wf_gossip_find(g, w->key))
			abort();
	}
	for (uint32_t i = 0; i < g->n; i++) {
		uint32_t n = 0;

		if (g->m[i].state >= WF_GS_MAX)
			continue;
		for (uint32_t k = 0; k < g->n_wait; k++)
			n += g->wait[k].teller == i;
		if (n != g->m[i].told || n > g->cfg.wait_teller)
			abort();
		told += n;
	}
	if (told != g->n_wait)
		abort();
}

/* Certify every key this step asked a certificate for. */
static void certify(struct wf_gossip *g, struct wf_gossip_out *out, int64_t now)
{
	for (unsigned i = 0; i < out->n_ev; i++)
		if (out->ev[i].kind == WF_GE_CERT)
			wf_gossip_certified(g, out->ev[i].key, now, out);
}

static void check(const struct wf_gossip *g, const struct wf_gossip_out *out)
{
	uint32_t live = 0;

	for (uint32_t i = 0; i < g->n; i++) {
		const struct wf_gmember *m = &g->m[i];

		if (m->state >= WF_GS_MAX)
			continue;
		live += m->state == WF_GS_ALIVE || m->state == WF_GS_SUSPECT;
		if (wf_gossip_find(g, m->key) != m || m->ep_len > WF_GOSSIP_EP_MAX)
			abort();
		/* Each suspect and each dead or left member is where it says. */
		if (m->state == WF_GS_SUSPECT && (m->pos >= g->n_susp || g->susp[m->pos].member != i))
			abort();
		if (i && (m->state == WF_GS_DEAD || m->state == WF_GS_LEFT) &&
		    (m->pos >= g->n_dead || g->dead[m->pos] != i))
			abort();
	}
	if (live != g->n_live)
		abort();
	check_links(g);
	check_waiting(g);
	for (unsigned i = 0; i < out->n; i++)
		if (out->msg[i].len > g->cfg.mtu)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wf_gossip_out out = {msgs, evs, 0, 256, 0, 1024, 0};
	uint8_t keys[8][WF_GOSSIP_KEY_LEN];
	struct wf_gossip_cfg cfg;
	struct wf_gossip g;
	int64_t now = 0;

	for (int i = 0; i < 8; i++) {
		memset(keys[i], 0x11 * (i + 1), sizeof(keys[i]));
		keys[i][0] = (uint8_t)(i * 37);
	}
	wf_gossip_cfg_default(&cfg);
	cfg.mtu = 300; /* small: many messages split */
	cfg.wait_teller = 6; /* small: the bounds are reached */
	cfg.wait_max = 20;
	if (!wf_gossip_init(&g, &cfg, keys[0], 1000, 1, now))
		return 0;
	wf_gossip_contact(&g, keys[1], (const uint8_t *)"\4\1\2\3\4\0\1", 7, now, &out);
	while (size >= 4) {
		unsigned from = data[0] & 7, len = (unsigned)data[2] | (unsigned)data[3] << 8;

		now += (int64_t)data[1] * 50;
		data += 4;
		size -= 4;
		if (len > size)
			len = (unsigned)size;
		out.n = out.n_ev = 0;
		if (data[-4] & 8)
			wf_gossip_set_sparse(&g, !g.sparse, now);
		if (data[-4] & 0x30)
			wf_gossip_link(&g, keys[from], data[-4] & 0x10);
		check(&g, &out);
		wf_gossip_receive(&g, keys[from], data, len, now, &out);
		check(&g, &out);
		if (data[-4] & 0x40)
			certify(&g, &out, now);
		out.n = out.n_ev = 0;
		wf_gossip_tick(&g, now, &out);
		check(&g, &out);
		if (data[-4] & 0x40)
			certify(&g, &out, now);
		if (data[-4] & 0x80)
			wf_gossip_drop(&g, keys[from]);
		check(&g, &out);
		data += len;
		size -= len;
	}
	wf_gossip_free(&g);
	return 0;
}
