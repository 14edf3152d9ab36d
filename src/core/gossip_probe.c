/* SPDX-License-Identifier: MIT */
/*
 * The probe round (gossip.h): one member a period in a shuffled order, a
 * PING, then PING_REQ through `indirect` others when no ACK came in time;
 * Lifeguard's local health; and the probes this node runs for others.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "core/gossip_impl.h"

void wfg_order_add(struct wf_gossip *g, uint32_t idx)
{
	uint32_t at;

	if (!wfg_vec_push(&g->order, &g->n_order, &g->cap_order, sizeof(idx), &idx))
		return; /* out of memory: found at the next shuffle */
	/* Into a random place among those not probed yet this round. */
	at = g->order_pos + wfg_rnd_below(g, g->n_order - g->order_pos);
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
		uint32_t j = wfg_rnd_below(g, i), t = g->order[i - 1];

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

static void send_ping(struct wf_gossip *g, uint32_t to, uint32_t seq, struct wf_gossip_out *out)
{
	uint8_t buf[WF_GOSSIP_MTU_MAX];
	size_t len = wfg_put_head(buf, WF_GOSSIP_PING, seq);

	/* A suspect hears of it from its prober first: it can refute at once. */
	if (g->m[to].state == WF_GS_SUSPECT)
		len += wfg_rec_put(&g->m[to], buf + len);
	len = wfg_piggyback(g, buf, len, g->cfg.mtu, to);
	wfg_emit(g, out, to, buf, len);
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
uint32_t wfg_random_live(struct wf_gossip *g, uint32_t but, bool dead_too, int64_t now)
{
	for (int tries = 0; tries < 8 && g->n > 1 && (!g->sparse || g->n_lnk); tries++) {
		/* Sparse: only members a session reaches. */
		uint32_t i = g->sparse ? g->lnk[wfg_rnd_below(g, g->n_lnk)] : 1 + wfg_rnd_below(g, g->n - 1);
		const struct wf_gmember *m = &g->m[i];

		if (i == but || !in_use(m))
			continue;
		if (is_live(m) || (dead_too && m->state == WF_GS_DEAD &&
				   now - m->since_ms < GOSSIP_TO_DEAD_MS))
			return i;
	}
	return 0;
}

/* Up to `want` random live members to probe target for us; sparse, members
 * with a session that are the target's ring neighbours too (they have a
 * session with it), in one pass from a random place. */
static unsigned pick_helpers(struct wf_gossip *g, uint32_t target, uint32_t *asked, unsigned want)
{
	uint32_t start = g->sparse && g->n_lnk ? wfg_rnd_below(g, g->n_lnk) : 0;
	unsigned n = 0;

	for (unsigned tries = 0; !g->sparse && n < want && tries < want * 4; tries++) {
		uint32_t i = wfg_random_live(g, target, false, 0);
		bool dup = !i;

		for (unsigned k = 0; k < n; k++)
			dup |= asked[k] == i;
		if (!dup)
			asked[n++] = i;
	}
	for (uint32_t k = 0; g->sparse && n < want && k < g->n_lnk; k++) {
		uint32_t i = g->lnk[(start + k) % g->n_lnk];

		if (i != target && is_live(&g->m[i]) && wfg_ring_near(g, i, target))
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

		wfg_put_head(buf, WF_GOSSIP_PING_REQ, g->probe.seq);
		memcpy(buf + 5, g->m[g->probe.target].key, WF_GOSSIP_KEY_LEN);
		wfg_emit(g, out, i, buf, wfg_piggyback(g, buf, 5 + WF_GOSSIP_KEY_LEN, g->cfg.mtu, UINT32_MAX));
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
		wfg_set_state(g, t, WF_GS_SUSPECT, g->m[t].inc, now, out);
}

void wfg_probe_tick(struct wf_gossip *g, int64_t now, struct wf_gossip_out *out)
{
	if (g->probe.target && !g->probe.indirect_sent && now >= g->probe.indirect_ms)
		probe_indirect(g, out);
	if (g->probe.target && now >= g->probe.end_ms)
		probe_failed(g, now, out);
	if (now >= g->next_probe_ms)
		probe_start(g, now, out);
}

void wf_gossip_rtt_sample(struct wf_gmember *m, int64_t rtt_ms)
{
	int64_t r = rtt_ms < 0 ? 0 : rtt_ms > UINT32_MAX / 1000 ? UINT32_MAX : rtt_ms * 1000;
	int64_t srtt = m->srtt_us, delta = srtt > r ? srtt - r : r - srtt;

	if (!m->rtt_samples) {
		m->srtt_us = (uint32_t)r;
		m->rttvar_us = (uint32_t)(r / 2);
	} else {
		m->rttvar_us = (uint32_t)((3 * (int64_t)m->rttvar_us + delta) / 4);
		m->srtt_us = (uint32_t)((7 * srtt + r) / 8);
	}
	m->rtt_samples += m->rtt_samples < UINT32_MAX;
}

void wfg_got_ack(struct wf_gossip *g, uint32_t seq, uint32_t from_idx, int64_t now,
		 struct wf_gossip_out *out)
{
	if (g->probe.target && seq == g->probe.seq) {
		/* Only the target's own ACK times the path to it. */
		if (from_idx != g->probe.target)
			g->st.indirect_ok++;
		else
			wf_gossip_rtt_sample(&g->m[from_idx], now - g->probe.start_ms);
		g->probe.target = 0;
		awareness_add(g, -1);
		return;
	}
	for (unsigned i = 0; i < WF_GOSSIP_RELAYS; i++) {
		if (g->relay[i].nack_ms && g->relay[i].seq == seq &&
		    g->relay[i].target == from_idx) {
			wfg_send_short(g, g->relay[i].origin, WF_GOSSIP_ACK, g->relay[i].origin_seq, out);
			g->relay[i].nack_ms = 0;
			return;
		}
	}
}

void wfg_got_ping_req(struct wf_gossip *g, uint32_t seq, uint32_t origin, const uint8_t *key,
			 int64_t now, struct wf_gossip_out *out)
{
	uint32_t v = wfg_find(g, key);
	unsigned held = 0;

	if (!v || v == 1 || v - 1 == origin || !is_live(&g->m[v - 1]))
		return;
	/* One member's probes run at once, at most relay_per: an honest one
	 * has one probe in flight, asking `indirect` members one each. */
	for (unsigned i = 0; i < WF_GOSSIP_RELAYS; i++)
		held += g->relay[i].nack_ms && g->relay[i].origin == origin;
	if (held >= g->cfg.relay_per) {
		g->st.relay_refused++;
		g->m[origin].relay_refused += g->m[origin].relay_refused < UINT16_MAX;
		return;
	}
	if (!probe_ok(g, &g->m[v - 1])) {
		/* Sparse, no session with it: say so now rather than not at all. */
		wfg_send_short(g, origin, WF_GOSSIP_NACK, seq, out);
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

void wfg_relay_tick(struct wf_gossip *g, int64_t now, struct wf_gossip_out *out)
{
	for (unsigned i = 0; i < WF_GOSSIP_RELAYS; i++) {
		if (!g->relay[i].nack_ms || now < g->relay[i].nack_ms)
			continue;
		g->relay[i].nack_ms = 0;
		if (in_use(&g->m[g->relay[i].origin]))
			wfg_send_short(g, g->relay[i].origin, WF_GOSSIP_NACK, g->relay[i].origin_seq, out);
	}
}
