/* SPDX-License-Identifier: MIT */
/*
 * Table comparison (gossip.h): 64 bucket digests in one SYNC; only the
 * buckets that differ are sent back, at most sync_records records an
 * exchange; a comparison with a dead member now and then heals partitions.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "core/gossip_impl.h"
#include "core/ratelimit.h"

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
	wfg_emit(g, out, to, buf, sizeof(buf));
	g->sync_with[which] = to;
	g->st.syncs++;
}

/* Our records in the buckets of mask, from a random bucket on, at most
 * sync_records of them, in datagrams no larger than the MTU. */
void wfg_send_buckets(struct wf_gossip *g, uint32_t to, uint64_t mask, struct wf_gossip_out *out)
{
	uint8_t buf[WF_GOSSIP_MTU_MAX] = {WF_GOSSIP_UPDATES, UPD_SYNC};
	unsigned start = wfg_rnd_below(g, WF_GOSSIP_BUCKETS), sent = 0;
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
				wfg_emit(g, out, to, buf, len);
				len = 2;
			}
			len += wfg_rec_put(m, buf + len);
			sent++;
		}
	}
	if (len > 2)
		wfg_emit(g, out, to, buf, len);
}

static uint64_t digest_diff(const struct wf_gossip *g, const uint8_t *theirs)
{
	uint64_t mask = 0;

	for (unsigned b = 0; b < WF_GOSSIP_BUCKETS; b++)
		if (wf_get_le64(theirs + 8 * b) != g->digest[b])
			mask |= UINT64_C(1) << b;
	return mask;
}

/* May member m's comparison be answered now? One member's comparisons, one
 * a sync_gap_ms (two at once, for a join's quick repeats and a late
 * datagram), so that a member that asks more often cannot use up what the
 * others are answered; and sync_answers a second in all. */
static bool sync_allowed(struct wf_gossip *g, struct wf_gmember *m, int64_t now)
{
	struct wf_rate one = wf_rate_every(g->cfg.sync_gap_ms, 2);

	if (now >= g->answers_reset_ms) {
		g->answers_reset_ms = now + 1000;
		g->sync_answered = 0;
	}
	if (g->sync_answered >= g->cfg.sync_answers || !wf_rate_allow(&one, &m->sync_tat, now))
		return false;
	g->sync_answered++;
	return true;
}

void wfg_got_sync(struct wf_gossip *g, uint32_t from, const uint8_t *msg, int64_t now,
		     struct wf_gossip_out *out)
{
	uint8_t pull[9] = {WF_GOSSIP_SYNC_PULL};
	uint64_t mask, epoch = wf_get_le64(msg + 6);
	struct wf_gossip_event *e;

	if (!sync_allowed(g, &g->m[from], now)) {
		g->st.sync_refused++;
		g->m[from].sync_refused += g->m[from].sync_refused < UINT16_MAX;
		return;
	}
	if (epoch != g->epoch && (e = wfg_event(out, WF_GE_EPOCH, &g->m[from], NULL)))
		e->value = epoch;
	mask = digest_diff(g, msg + WF_GOSSIP_SYNC_DIGESTS);
	if (!mask)
		return;
	wfg_send_buckets(g, from, mask, out);
	wf_put_le64(pull + 1, mask);
	wfg_emit(g, out, from, pull, sizeof(pull));
}

/* A random dead (not left) member, 0 if none. */
static uint32_t random_dead(struct wf_gossip *g)
{
	for (int tries = 0; tries < 4 && g->n_dead; tries++) {
		uint32_t idx = g->dead[wfg_rnd_below(g, g->n_dead)];

		if (g->m[idx].state == WF_GS_DEAD)
			return idx;
	}
	return 0;
}

/* Each period: compare with a random live member; each reconnect period,
 * with a random dead one, to heal partitions (if it answers, it learns it was
 * declared dead and refutes it: Serf's reconnect). */
void wfg_sync_tick(struct wf_gossip *g, int64_t now, struct wf_gossip_out *out)
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
		     : wfg_random_live(g, 0, false, now);
	g->sync_soon = 0;
	if (to)
		send_digest(g, to, 0, out);
}
