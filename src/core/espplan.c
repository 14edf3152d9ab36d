/* SPDX-License-Identifier: MIT */
/*
 * What the kernel holds for a peer on the kernel data path, as rules
 * (esp.h, "The kernel state of one peer"): the wanted state from the
 * session, then the steps from what is there to it, in an order that keeps
 * packets flowing: inbound first, outbound before the old outbound goes,
 * routes last in and first out. And what each end can do (the handshake's
 * datapath TLV), and what a pair of them does.
 *
 * Pure: no I/O.
 */
#include "core/esp.h"
#include "common/bytes.h"

enum wf_esp_mode wf_esp_pair_mode(const struct wf_esp_caps *ours, const struct wf_esp_caps *theirs)
{
	if (!(ours->flags & theirs->flags & WF_ESP_CAP_KERNEL))
		return WF_ESP_OFF;
	if (!((ours->flags | theirs->flags) & WF_ESP_CAP_UDP))
		return WF_ESP_PLAIN;
	return ours->port && theirs->port ? WF_ESP_UDP : WF_ESP_OFF;
}

void wf_esp_caps_encode(const struct wf_esp_caps *c, uint8_t out[WF_ESP_CAPS_LEN])
{
	out[0] = c->flags;
	wf_put_le16(out + 1, c->port);
}

bool wf_esp_caps_decode(struct wf_esp_caps *c, const uint8_t *in, size_t len)
{
	if (len != WF_ESP_CAPS_LEN)
		return false;
	c->flags = in[0] & (WF_ESP_CAP_KERNEL | WF_ESP_CAP_UDP);
	c->port = wf_get_le16(in + 1);
	return true;
}

/* --- The wanted state ------------------------------------------------------ */

struct wanted {
	bool in[WF_ESP_KPS];
	int out; /* the keypair with the outbound SA, or -1 */
	bool in_pol, out_pol, rekey;
};

/* Keys go into an SA once per direction: an outbound SA added again would
 * start its sequence numbers (the nonces) again under the same key, an
 * inbound one its replay window (what it took once, it would take again).
 * So an SA the kernel removed (a hard limit), or one removed with the peer
 * off the path, is not made again: the keypair needs a successor. */
static bool out_possible(const struct wf_esp_kp *k)
{
	return k->out_sa || !k->out_used;
}

static bool in_possible(const struct wf_esp_kp *k)
{
	return k->in_sa || !k->in_used;
}

static int wanted_out(const struct wf_esp_state *s)
{
	const struct wf_esp_kp *cur = &s->kp[WF_ESP_KP_CURRENT], *prev = &s->kp[WF_ESP_KP_PREVIOUS];

	if (!s->on || !cur->present || !cur->esp)
		return -1; /* the current session is on the userspace path */
	if (cur->confirmed)
		return out_possible(cur) ? WF_ESP_KP_CURRENT : -1;
	/* A rekey in flight: the old outbound goes on until the new one can
	 * take over. */
	return prev->present && prev->esp && prev->out_sa ? WF_ESP_KP_PREVIOUS : -1;
}

/* The current keypair has lost an SA it cannot have again. */
static bool spent(const struct wf_esp_state *s)
{
	const struct wf_esp_kp *cur = &s->kp[WF_ESP_KP_CURRENT];

	return s->on && cur->present && cur->esp &&
	       (!in_possible(cur) || (cur->confirmed && !out_possible(cur)));
}

static struct wanted wanted(const struct wf_esp_state *s)
{
	struct wanted w = {.out = -1};

	for (int k = 0; k < WF_ESP_KPS; k++) {
		w.in[k] = s->on && s->kp[k].present && s->kp[k].esp && in_possible(&s->kp[k]);
		w.in_pol |= w.in[k];
	}
	w.out = wanted_out(s);
	w.rekey = spent(s);
	w.out_pol = w.out >= 0;
	return w;
}

/* --- The steps --------------------------------------------------------------- */

struct plan {
	struct wf_esp_step *v;
	unsigned n;
};

static void step(struct plan *p, enum wf_esp_step_kind kind, int kp)
{
	p->v[p->n++] = (struct wf_esp_step){.kind = (uint8_t)kind, .kp = (uint8_t)kp};
}

/* In: the SAs, then the policies that accept what they decrypt. */
static void inbound_up(const struct wf_esp_state *s, const struct wanted *w, struct plan *p)
{
	for (int k = 0; k < WF_ESP_KPS; k++)
		if (w->in[k] && !s->kp[k].in_sa)
			step(p, WF_ESP_ADD_IN, k);
	if (w->in_pol && !s->in_pol)
		step(p, WF_ESP_POL_IN_ADD, 0);
}

/* Out: the new SA, then the policies and routes that lead to it. */
static void outbound_up(const struct wf_esp_state *s, const struct wanted *w, struct plan *p)
{
	if (w->out >= 0 && !s->kp[w->out].out_sa)
		step(p, WF_ESP_ADD_OUT, w->out);
	if (w->out_pol && !s->out_pol)
		step(p, WF_ESP_POL_OUT_ADD, 0);
}

/* What is no longer wanted, outbound first: routes and policies before the
 * SA they lead to, an old outbound SA only after its successor is in. */
static void down(const struct wf_esp_state *s, const struct wanted *w, struct plan *p)
{
	if (!w->out_pol && s->out_pol)
		step(p, WF_ESP_POL_OUT_DEL, 0);
	for (int k = 0; k < WF_ESP_KPS; k++)
		if (s->kp[k].out_sa && k != w->out)
			step(p, WF_ESP_DEL_OUT, k);
	if (!w->in_pol && s->in_pol)
		step(p, WF_ESP_POL_IN_DEL, 0);
	for (int k = 0; k < WF_ESP_KPS; k++)
		if (s->kp[k].in_sa && !w->in[k])
			step(p, WF_ESP_DEL_IN, k);
}

unsigned wf_esp_plan(const struct wf_esp_state *s, struct wf_esp_step steps[WF_ESP_STEPS_MAX])
{
	struct wanted w = wanted(s);
	struct plan p = {.v = steps};

	inbound_up(s, &w, &p);
	outbound_up(s, &w, &p);
	down(s, &w, &p);
	if (w.rekey)
		step(&p, WF_ESP_REKEY, WF_ESP_KP_CURRENT);
	return p.n;
}

void wf_esp_apply(struct wf_esp_state *s, const struct wf_esp_step *st)
{
	struct wf_esp_kp *k = &s->kp[st->kp < WF_ESP_KPS ? st->kp : 0];

	switch ((enum wf_esp_step_kind)st->kind) {
	case WF_ESP_ADD_IN:
		k->in_sa = k->in_used = true;
		break;
	case WF_ESP_DEL_IN:
		k->in_sa = false;
		break;
	case WF_ESP_ADD_OUT:
		k->out_sa = k->out_used = true;
		break;
	case WF_ESP_DEL_OUT:
		k->out_sa = false;
		break;
	case WF_ESP_POL_IN_ADD:
	case WF_ESP_POL_IN_DEL:
		s->in_pol = st->kind == WF_ESP_POL_IN_ADD;
		break;
	case WF_ESP_POL_OUT_ADD:
	case WF_ESP_POL_OUT_DEL:
		s->out_pol = st->kind == WF_ESP_POL_OUT_ADD;
		break;
	case WF_ESP_REKEY:
		break;
	}
}
