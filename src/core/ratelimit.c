/* SPDX-License-Identifier: MIT */
#include <string.h>
#include <sys/socket.h>

#include "core/ratelimit.h"

struct wf_rate wf_rate_make(unsigned per_second, unsigned burst)
{
	struct wf_rate r;

	r.interval_us = 1000000 / (per_second ? per_second : 1);
	r.burst_us = (int64_t)(burst ? burst - 1 : 0) * r.interval_us;
	return r;
}

struct wf_rate wf_rate_every(unsigned interval_ms, unsigned burst)
{
	struct wf_rate r;

	r.interval_us = (int64_t)(interval_ms ? interval_ms : 1) * 1000;
	r.burst_us = (int64_t)(burst ? burst - 1 : 0) * r.interval_us;
	return r;
}

bool wf_rate_allow(const struct wf_rate *r, int64_t *tat, int64_t now_ms)
{
	int64_t now = now_ms * 1000, t = *tat > now ? *tat : now;

	if (t - now > r->burst_us)
		return false;
	*tat = t + r->interval_us;
	return true;
}

void wf_srclimit_init(struct wf_srclimit *t, uint64_t key, bool whole)
{
	memset(t, 0, sizeof(*t));
	t->key = key | 1;
	t->whole = whole;
}

/* The key of an address in t: its source, or the whole address. */
static void key_of(const struct wf_srclimit *t, const union wf_endpoint *ep,
		   uint8_t out[WF_ADDR_KEY_LEN])
{
	memset(out, 0, WF_ADDR_KEY_LEN);
	if (!t->whole || ep->sa.sa_family != AF_INET6) {
		wf_source_of(ep, out);
		return;
	}
	out[0] = AF_INET6;
	memcpy(out + 1, &ep->in6.sin6_addr, 16);
}

void wf_source_of(const union wf_endpoint *from, uint8_t out[WF_SOURCE_LEN])
{
	memset(out, 0, WF_SOURCE_LEN);
	out[0] = (uint8_t)from->sa.sa_family;
	if (from->sa.sa_family == AF_INET)
		memcpy(out + 1, &from->in4.sin_addr, 4);
	else
		memcpy(out + 1, &from->in6.sin6_addr, 8);
}

/* A keyed multiply-xorshift hash: spreads sources over the slots in a way
 * that someone without the key cannot predict. */
static unsigned slot_of(const struct wf_srclimit *t, const uint8_t src[WF_ADDR_KEY_LEN])
{
	uint64_t h = t->key;

	for (int i = 0; i < WF_ADDR_KEY_LEN; i++) {
		h ^= src[i];
		h *= 0x100000001b3ULL;
		h ^= h >> 29;
	}
	h *= t->key;
	return (unsigned)(h >> 40) % WF_SRCLIMIT_SLOTS;
}

bool wf_srclimit_allow(struct wf_srclimit *t, const struct wf_rate *r,
		       const union wf_endpoint *from, int64_t now_ms)
{
	uint8_t src[WF_ADDR_KEY_LEN];
	unsigned i;

	key_of(t, from, src);
	i = slot_of(t, src);
	if (memcmp(t->slot[i].addr, src, sizeof(src))) {
		memcpy(t->slot[i].addr, src, sizeof(src));
		t->slot[i].tat = 0;
	}
	return wf_rate_allow(r, &t->slot[i].tat, now_ms);
}

bool wf_load_note(struct wf_load *l, int64_t now_ms)
{
	if (now_ms - l->window_ms >= 1000) {
		l->window_ms = now_ms;
		l->count = 0;
	}
	if (++l->count > l->threshold)
		l->until_ms = now_ms + 1000;
	return now_ms < l->until_ms;
}
