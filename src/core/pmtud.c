/* SPDX-License-Identifier: MIT */
/*
 * RFC 8899's DPLPMTUD for one peer (pmtud.h): one small function per event,
 * as WireGuard's timers.c, so that the policy reads as a table.
 */
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "core/message.h"
#include "core/pmtud.h"

void wf_pmtud_cfg_default(struct wf_pmtud_cfg *cfg)
{
	cfg->probe_ms = 1000;
	cfg->confirm_ms = 30 * 1000;
	cfg->raise_ms = 600 * 1000;
	cfg->max_probes = 3;
	cfg->step = 8;
}

const char *wf_pmtud_state_name(enum wf_pmtud_state s)
{
	switch (s) {
	case WF_PMTUD_DISABLED:
		return "disabled";
	case WF_PMTUD_BASE:
		return "base";
	case WF_PMTUD_SEARCHING:
		return "searching";
	case WF_PMTUD_COMPLETE:
		return "complete";
	case WF_PMTUD_ERROR:
		return "error";
	}
	return "?";
}

/* The route's MTU as a size the path may take: at least the floor. */
static unsigned route_size(const struct wf_pmtud *p, unsigned mtu)
{
	unsigned floor = p->family == AF_INET6 ? WF_PMTUD_MIN6 : WF_PMTUD_MIN4;

	return mtu < floor ? floor : mtu > WF_PMTUD_MAX ? WF_PMTUD_MAX : mtu;
}

/* MAX_PLPMTU, and BASE and MIN no larger than it (a route narrower than
 * the base: the base is the route). */
static void set_max(struct wf_pmtud *p, unsigned max)
{
	bool v6 = p->family == AF_INET6;

	p->max = max;
	p->base = v6 ? WF_PMTUD_BASE6 : WF_PMTUD_BASE4;
	p->min = v6 ? WF_PMTUD_MIN6 : WF_PMTUD_MIN4;
	if (p->base > max)
		p->base = max;
	if (p->min > p->base)
		p->min = p->base;
}

void wf_pmtud_init(struct wf_pmtud *p, const struct wf_pmtud_cfg *cfg, int family,
		   unsigned route_mtu)
{
	memset(p, 0, sizeof(*p));
	p->cfg = *cfg;
	if (!p->cfg.max_probes)
		p->cfg.max_probes = 1;
	p->family = (uint8_t)family;
	set_max(p, route_size(p, route_mtu));
	p->plpmtu = p->max;
	p->state = WF_PMTUD_DISABLED;
}

/* --- What every event does ------------------------------------------------- */

static void send_probe(struct wf_pmtud *p, unsigned size, int64_t now, struct wf_pmtud_out *out)
{
	p->probed = size;
	p->seq++;
	p->probe_due = now + p->cfg.probe_ms;
	p->probes++;
	out->probe = true;
	out->seq = p->seq;
	out->size = size;
}

static void use(struct wf_pmtud *p, unsigned size, struct wf_pmtud_out *out)
{
	if (size == p->plpmtu)
		return;
	p->plpmtu = size;
	out->changed = true;
	out->pmtu = size;
}

/* The next size a search tries, or 0 when lo and hi are close enough: the
 * hint first, the route's MTU while nothing is known to fail, then halves. */
static unsigned next_size(struct wf_pmtud *p)
{
	unsigned s;

	if (p->lo >= p->max)
		return 0;
	/* The route's MTU, never tried, is worth its probe however close:
	 * a search that ended a step below it would stay there. */
	if (p->hi > p->max && p->hi <= p->lo + p->cfg.step)
		return p->max;
	if (p->hi <= p->lo + p->cfg.step)
		return 0;
	if (p->hint > p->lo && p->hint < p->hi) {
		s = p->hint;
		p->hint = 0;
		return s;
	}
	if (p->hi > p->max)
		return p->max;
	return p->lo + (p->hi - p->lo) / 2;
}

/* A search ended: the PLPMTU is used, confirmed now and then, and searched
 * above again when PMTU_RAISE_TIMER, started now, runs out. */
static void complete(struct wf_pmtud *p, int64_t now)
{
	p->state = WF_PMTUD_COMPLETE;
	p->probed = 0;
	p->confirm_due = now + p->cfg.confirm_ms;
	p->raise_due = now + p->cfg.raise_ms;
}

/* Go on with a search, or end it. */
static void search(struct wf_pmtud *p, int64_t now, struct wf_pmtud_out *out)
{
	unsigned s = next_size(p);

	p->count = 0;
	if (!s) {
		complete(p, now);
		return;
	}
	p->state = WF_PMTUD_SEARCHING;
	send_probe(p, s, now, out);
}

/* Search above the PLPMTU, as far as the route allows. */
static void raise(struct wf_pmtud *p, int64_t now, struct wf_pmtud_out *out)
{
	p->lo = p->plpmtu;
	p->hi = p->max + 1;
	search(p, now, out);
}

/* Probe the PLPMTU: does the path still carry it? */
static void confirm(struct wf_pmtud *p, int64_t now, struct wf_pmtud_out *out)
{
	p->state = WF_PMTUD_COMPLETE;
	p->count = 0;
	send_probe(p, p->plpmtu, now, out);
}

/* The PLPMTU stopped passing: BASE, and confirm it. */
static void black_hole(struct wf_pmtud *p, int64_t now, struct wf_pmtud_out *out)
{
	p->black_holes++;
	p->hi = p->plpmtu;
	p->state = WF_PMTUD_BASE;
	p->count = 0;
	use(p, p->base, out);
	send_probe(p, p->base, now, out);
}

/* Not even BASE passes: MIN, and try BASE now and then. */
static void error(struct wf_pmtud *p, int64_t now, struct wf_pmtud_out *out)
{
	p->state = WF_PMTUD_ERROR;
	p->probed = 0;
	p->hi = p->base;
	use(p, p->min, out);
	p->confirm_due = now + p->cfg.confirm_ms;
}

/* A probe's size went unanswered max_probes times in a row. */
static void given_up(struct wf_pmtud *p, unsigned size, int64_t now, struct wf_pmtud_out *out)
{
	p->count = 0;
	switch ((enum wf_pmtud_state)p->state) {
	case WF_PMTUD_SEARCHING:
		p->hi = size;
		search(p, now, out);
		return;
	case WF_PMTUD_COMPLETE:
		black_hole(p, now, out);
		return;
	case WF_PMTUD_BASE:
	case WF_PMTUD_ERROR:
		error(p, now, out);
		return;
	case WF_PMTUD_DISABLED:
		return;
	}
}

static void lost(struct wf_pmtud *p, int64_t now, struct wf_pmtud_out *out)
{
	unsigned size = p->probed;

	p->losses++;
	p->probed = 0;
	if (++p->count < p->cfg.max_probes)
		send_probe(p, size, now, out); /* one loss is not a verdict */
	else
		given_up(p, size, now, out);
}

/* --- Events ---------------------------------------------------------------- */

static void clear(struct wf_pmtud_out *out)
{
	memset(out, 0, sizeof(*out));
}

void wf_pmtud_up(struct wf_pmtud *p, int64_t now, struct wf_pmtud_out *out)
{
	clear(out);
	use(p, p->max, out);
	p->lo = p->base;
	p->hi = p->max + 1;
	p->hint = 0;
	p->raise_due = now + p->cfg.raise_ms;
	confirm(p, now, out);
}

void wf_pmtud_down(struct wf_pmtud *p)
{
	p->state = WF_PMTUD_DISABLED;
	p->probed = 0;
	p->count = 0;
}

void wf_pmtud_acked(struct wf_pmtud *p, uint32_t seq, unsigned size, int64_t now,
		    struct wf_pmtud_out *out)
{
	clear(out);
	if (p->state == WF_PMTUD_DISABLED || !p->probed || seq != p->seq || size != p->probed)
		return; /* not the probe in flight: late, or not ours */
	p->acks++;
	p->probed = 0;
	p->count = 0;
	switch ((enum wf_pmtud_state)p->state) {
	case WF_PMTUD_COMPLETE: /* a confirmation */
		p->hint = 0;
		p->confirm_due = now + p->cfg.confirm_ms;
		return;
	case WF_PMTUD_ERROR: /* BASE passes again: search from it, up */
		p->hi = p->max + 1;
		/* fall through */
	case WF_PMTUD_BASE:
	case WF_PMTUD_SEARCHING:
		use(p, size, out);
		p->lo = size;
		search(p, now, out);
		return;
	case WF_PMTUD_DISABLED:
		return;
	}
}

void wf_pmtud_ptb(struct wf_pmtud *p, unsigned size, int64_t now, struct wf_pmtud_out *out)
{
	clear(out);
	if (p->state == WF_PMTUD_DISABLED || size < p->min || size >= p->max)
		return;
	if (size < p->plpmtu) {
		/* The PLPMTU is in doubt: confirm it now; if it fails, this
		 * size is the first one tried. */
		p->hint = size;
		if (p->state == WF_PMTUD_COMPLETE || p->state == WF_PMTUD_SEARCHING)
			if (!(p->state == WF_PMTUD_COMPLETE && p->probed == p->plpmtu))
				confirm(p, now, out);
		return;
	}
	if (p->state == WF_PMTUD_SEARCHING && p->probed > size) {
		/* the probe in flight is too large: try what the path said */
		p->hi = p->probed;
		p->probed = 0;
		p->hint = size;
		search(p, now, out);
	}
}

void wf_pmtud_route(struct wf_pmtud *p, unsigned route_mtu, int64_t now, struct wf_pmtud_out *out)
{
	unsigned m = route_size(p, route_mtu), old = p->max;

	clear(out);
	if (m == old)
		return;
	set_max(p, m);
	if (p->hi == old + 1)
		p->hi = m + 1; /* nothing was known to fail: nothing is */
	if (p->plpmtu > m || p->state == WF_PMTUD_DISABLED)
		use(p, p->state == WF_PMTUD_ERROR ? p->min : m, out); /* nothing larger leaves */
	if (p->hi > m + 1)
		p->hi = m + 1;
	if (p->lo > m)
		p->lo = m;
	if (p->state == WF_PMTUD_DISABLED)
		return;
	if (p->probed > m) { /* the probe in flight cannot leave any more */
		p->probed = 0;
		if (p->state == WF_PMTUD_SEARCHING)
			search(p, now, out);
		else if (p->state == WF_PMTUD_COMPLETE)
			confirm(p, now, out);
	} else if (m > old && p->state == WF_PMTUD_COMPLETE && !p->probed && p->plpmtu == old) {
		raise(p, now, out); /* the route was what held it */
	}
}

void wf_pmtud_tick(struct wf_pmtud *p, int64_t now, struct wf_pmtud_out *out)
{
	clear(out);
	if (p->state == WF_PMTUD_DISABLED)
		return;
	if (p->probed) {
		if (now >= p->probe_due)
			lost(p, now, out);
		return;
	}
	if (p->state == WF_PMTUD_ERROR && now >= p->confirm_due) {
		p->count = 0;
		send_probe(p, p->base, now, out);
	} else if (p->state == WF_PMTUD_COMPLETE && now >= p->raise_due) {
		raise(p, now, out);
	} else if (p->state == WF_PMTUD_COMPLETE && now >= p->confirm_due) {
		confirm(p, now, out);
	}
}

int64_t wf_pmtud_next(const struct wf_pmtud *p)
{
	if (p->state == WF_PMTUD_DISABLED)
		return INT64_MAX;
	if (p->probed)
		return p->probe_due;
	if (p->state == WF_PMTUD_ERROR)
		return p->confirm_due;
	if (p->state == WF_PMTUD_COMPLETE)
		return p->confirm_due < p->raise_due ? p->confirm_due : p->raise_due;
	return INT64_MAX;
}

unsigned wf_pmtud_overlay_mtu(const struct wf_pmtud *p, bool overlay_ipv6)
{
	return wf_overlay_mtu(p->plpmtu, p->family, overlay_ipv6);
}
