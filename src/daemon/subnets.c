/* SPDX-License-Identifier: MIT */
/*
 * Kernel routes for peers' subnets outside the overlay (subnets.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "core/routes.h"
#include "daemon/daemon.h"
#include "daemon/netlink.h"
#include "daemon/peer.h"
#include "daemon/subnets.h"

enum { SYNC_MS = 1000 };

/* Is r a route this node should have to the device, for p? */
static bool wanted(struct wf_daemon *d, struct wf_peer *p, const struct wf_prefix *r)
{
	return p->proven && !p->removed && !p->esp.out_pol && !wf_cert_in_network(&d->node.ca, r) &&
	       wf_self_addr(d, r->family) && wf_routes_get(d->peers.routes, r) == p;
}

static bool wanted_any(struct wf_daemon *d, const struct wf_prefix *r)
{
	for (struct wf_peer *p = d->peers.list; p; p = p->next)
		for (unsigned i = 0; i < p->cert.n_routes; i++)
			if (wf_prefix_equal(&p->cert.routes[i], r) && wanted(d, p, r))
				return true;
	return false;
}

bool wf_subnets_added(const struct wf_subnets *s, const struct wf_prefix *r)
{
	for (unsigned i = 0; i < s->n; i++)
		if (wf_prefix_equal(&s->v[i], r))
			return true;
	return false;
}

static void del_at(struct wf_daemon *d, unsigned i)
{
	struct wf_subnets *s = &d->lan;
	char buf[WF_ADDR_STRLEN];
	int err = wf_nl_route_del(d->node.ifname, &s->v[i]);

	if (err < 0 && err != -ESRCH && err != -ENODEV)
		log_warnx_rl("cannot remove the route for %s: %s",
			     wf_prefix_str(&s->v[i], false, buf, sizeof(buf)), strerror(-err));
	s->v[i] = s->v[--s->n];
}

static void add(struct wf_daemon *d, const struct wf_peer *p, const struct wf_prefix *r)
{
	struct wf_subnets *s = &d->lan;
	char buf[WF_ADDR_STRLEN];
	int err;

	if (s->n == s->cap) {
		unsigned cap = s->cap ? 2 * s->cap : 16;
		struct wf_prefix *v = reallocarray(s->v, cap, sizeof(*v));

		if (!v)
			return;
		s->v = v;
		s->cap = cap;
	}
	wf_prefix_str(r, false, buf, sizeof(buf));
	err = wf_nl_route_add(d->node.ifname, r, 0);
	if (err < 0 && err != -EEXIST) {
		s->refused++;
		log_warnx_rl("cannot route %s (%s's subnet) to %s: %s", buf, p->cert.name,
			     d->node.ifname, strerror(-err));
		return;
	}
	if (err == -EEXIST) { /* someone else's route (this host's LAN, say): left alone */
		s->refused++;
		log_warnx_rl("%s (%s's subnet) is routed elsewhere on this host already: "
			     "not through %s", buf, p->cert.name, d->node.ifname);
		return;
	}
	s->v[s->n++] = *r;
	log_info("route %s to %s: %s's subnet", buf, d->node.ifname, p->cert.name);
}

void wf_subnets_sync(struct wf_daemon *d, int64_t now)
{
	struct wf_subnets *s = &d->lan;

	if (!d->node.ifname[0] || (now && now < s->next_ms))
		return;
	s->next_ms = now + SYNC_MS;
	for (unsigned i = 0; i < s->n;)
		if (!wanted_any(d, &s->v[i]))
			del_at(d, i);
		else
			i++;
	for (struct wf_peer *p = d->peers.list; p; p = p->next)
		for (unsigned i = 0; i < p->cert.n_routes; i++)
			if (wanted(d, p, &p->cert.routes[i]) && !wf_subnets_added(s, &p->cert.routes[i]))
				add(d, p, &p->cert.routes[i]);
}

void wf_subnets_forget(struct wf_daemon *d, const struct wf_peer *p)
{
	struct wf_subnets *s = &d->lan;

	for (unsigned i = 0; i < s->n;) {
		bool its = false;

		for (unsigned j = 0; j < p->cert.n_routes && !its; j++)
			its = wf_prefix_equal(&p->cert.routes[j], &s->v[i]);
		if (its)
			del_at(d, i);
		else
			i++;
	}
}

void wf_subnets_clear(struct wf_daemon *d)
{
	while (d->lan.n)
		del_at(d, d->lan.n - 1);
	free(d->lan.v);
	memset(&d->lan, 0, sizeof(d->lan));
}
