/* SPDX-License-Identifier: MIT */
/*
 * A session proven, carried out: the one place where both ends' paths (our
 * initiation answered, handshake.c; the first authentic packet on keys we
 * answered with, receive.c) turn a proof into installed keys, claimed
 * routes, the data path's state and packets sent, in the order
 * core/lifecycle.c's wf_lc_proven gives and unit/test_lifecycle checks. A
 * data-path backend is told here (WF_LCS_DATAPATH), nowhere else.
 */
#include <stdlib.h>

#include "core/lifecycle.h"
#include "daemon/daemon.h"
#include "daemon/data.h"
#include "daemon/handshake.h"
#include "daemon/index.h"
#include "daemon/kernel.h"
#include "daemon/membership.h"
#include "daemon/peer.h"
#include "daemon/proven.h"
#include "daemon/timers.h"

struct carry {
	struct wf_daemon *d;
	const struct wf_proof *pf;
	struct wf_keypair *dropped[WF_SESSION_DROP_MAX];
	int64_t now;
};

static void install(struct carry *c)
{
	struct wf_peer *p = c->pf->peer;

	if (c->pf->we_initiated) {
		wf_session_install(&p->session, c->pf->kp, &c->dropped[0]);
		c->d->hs.count.completed++;
		return;
	}
	wf_session_prove(&p->session, c->pf->kp, c->dropped);
	p->defer_ok = true;
	c->d->hs.count.proven++;
}

static void step(struct carry *c, enum wf_lc_step s)
{
	struct wf_daemon *d = c->d;
	struct wf_peer *p = c->pf->peer;

	switch (s) {
	case WF_LCS_END:
		break;
	case WF_LCS_ABORT_HS:
		wf_handshake_abort(d, p->hs);
		break;
	case WF_LCS_INSTALL:
		install(c);
		break;
	case WF_LCS_PROVEN:
		wf_peer_proven(d, p, c->pf->cert, c->now);
		break;
	case WF_LCS_ENDPOINT:
		wf_peer_seen_at(d, p, c->pf->from, c->now);
		break;
	case WF_LCS_PUBLISH:
		wf_peer_publish(d, p);
		break;
	case WF_LCS_READY:
		wf_index_ready(d, c->pf->entry);
		break;
	case WF_LCS_DROP_OLD:
		wf_peer_drop_keypairs(d, c->dropped, WF_SESSION_DROP_MAX);
		break;
	case WF_LCS_DATAPATH:
		wf_kernel_sync(d, p);
		break;
	case WF_LCS_TIMERS:
		wf_timers_session_up(d, p, c->now);
		break;
	case WF_LCS_FLUSH:
		wf_data_flush_staged(d, p, c->now);
		break;
	case WF_LCS_KEEPALIVE_SA:
		if (!p->esp.tunnel)
			break;
		/* fall through */
	case WF_LCS_KEEPALIVE:
		wf_data_send_keepalive(d, p, c->now);
		break;
	case WF_LCS_MEMBERS:
		wf_members_peer_up(d, p, c->now);
		break;
	}
}

void wf_session_proven(struct wf_daemon *d, const struct wf_proof *pf, int64_t now)
{
	struct carry c = {.d = d, .pf = pf, .now = now};
	enum wf_lc_step steps[WF_LCS_MAX];
	struct wf_lc_proof f = {
	    .we_initiated = pf->we_initiated,
	    .other_hs = pf->peer->hs != NULL,
	    .staged = pf->peer->n_staged > 0,
	    .kernel = d->kern.on,
	};

	wf_lc_proven(&f, steps);
	for (const enum wf_lc_step *s = steps; *s != WF_LCS_END; s++)
		step(&c, *s);
}
