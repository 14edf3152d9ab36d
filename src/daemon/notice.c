/* SPDX-License-Identifier: MIT */
/*
 * A host whose certificate the CA revoked is told.
 *
 * Every member refuses its handshakes, and without a word it would call
 * them forever, every peer `connecting`. So a member that refuses an
 * initiation because the initiator's certificate is on its list answers
 * with a piece of the list (core/revoke.h: a notice, type 6, in clear, no
 * longer than the initiation, the next piece at each refusal). The
 * initiator, which retries anyway, puts the pieces together and verifies the
 * whole with its CA certificate: a list the CA did not sign, or one no newer
 * than what it holds, changes nothing. If the list names its own
 * certificate, it says so once (the log, status, systemd's STATUS=) and
 * initiates no more handshakes.
 *
 * The responder sends one only after everything an initiation already
 * passes (mac1, the cookie and the per-source budget under load, Noise,
 * the replay rules, a certificate that verifies but for the list), and
 * within budgets of its own, by source address and in all: a spoofed
 * source gets no more than it sent, and not often.
 */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "core/revoke.h"
#include "daemon/daemon.h"
#include "daemon/index.h"
#include "daemon/notice.h"
#include "daemon/peer.h"
#include "daemon/revoked.h"
#include "daemon/service.h"
#include "daemon/handshake.h"
#include "daemon/udp.h"

bool wf_notice_self_revoked(const struct wf_daemon *d)
{
	return d->mem.self_revoked.version != 0;
}

void wf_notice_send(struct wf_daemon *d, const struct wf_cert *c, size_t init_len, uint32_t sender,
		    const union wf_endpoint *to, int64_t now)
{
	uint8_t msg[WF_HANDSHAKE_MAX];
	size_t len;

	if (!d->mem.revoked_len || !d->hs.notice_sources)
		return;
	if (!wf_srclimit_allow(d->hs.notice_sources, &d->hs.notice_rate, to, now) ||
	    !wf_rate_allow(&d->hs.notice_all, &d->hs.notice_tat, now)) {
		d->hs.count.revoked_told_held++;
		return;
	}
	/* Its refusals so far pick the piece: each retry brings the next. */
	len = wf_revoke_notice_encode(msg, init_len < sizeof(msg) ? init_len : sizeof(msg), sender,
				      d->mem.revoked.version, d->mem.revoked_enc,
				      d->mem.revoked_len, wf_revoked_refusals(d, c->serial));
	if (!len)
		return;
	wf_udp_send(d, NULL, to, msg, len);
	d->hs.count.revoked_told++;
}

/* A whole list from notices: believed only if the CA signed it. */
static void told(struct wf_daemon *d, const struct wf_revoke *r, const char *from, int64_t now)
{
	char via[WF_ADDR_STRLEN + 32];

	switch (wf_revoke_told_judge(r, &d->node.ca, d->mem.revoked.version, d->node.self.serial)) {
	case WF_TOLD_OLD:
		return;
	case WF_TOLD_FORGED:
		log_warnx_rl("a revocation list (version %" PRIu64 ") from %s is not the CA's: "
			     "ignored",
			     r->version, from);
		wf_count_drop(d, NULL, WF_DROP_CERT);
		return;
	case WF_TOLD_NEWER:
	case WF_TOLD_SELF:
		break;
	}
	snprintf(via, sizeof(via), "a notice from %s", from);
	wf_revoked_told(d, r, via, now);
}

void wf_notice_receive(struct wf_daemon *d, const uint8_t *pkt, size_t len,
		       const union wf_endpoint *from, int64_t now)
{
	static struct wf_revoke_pieces pieces; /* 37 KiB, off the stack; the control thread's */
	static struct wf_revoke r;
	struct wf_revoke_notice n;
	struct wf_index_entry *e;
	char at[WF_ADDR_STRLEN];

	if (!wf_revoke_notice_decode(&n, pkt, len)) {
		wf_count_drop(d, NULL, WF_DROP_MALFORMED);
		return;
	}
	/* An answer to an initiation of ours (the sender saw it), else nothing. */
	e = wf_index_find(d, n.receiver);
	if (!e || e->kind != WF_INDEX_HANDSHAKE) {
		wf_count_drop(d, NULL, WF_DROP_UNKNOWN_INDEX);
		return;
	}
	if (n.version <= d->mem.revoked.version)
		return; /* nothing newer than what we hold */
	wf_endpoint_str(from, at, sizeof(at));
	switch (wf_revoke_pieces_add(&pieces, &n, &r)) {
	case WF_RA_DONE:
		told(d, &r, at, now);
		return;
	case WF_RA_REFUSED:
		log_warnx_rl("the revocation list told by %s (version %" PRIu64 ") does not decode",
			     at, n.version);
		wf_count_drop(d, NULL, WF_DROP_MALFORMED);
		return;
	case WF_RA_KEPT:
	case WF_RA_OLD:
	case WF_RA_BUSY:
		return;
	}
}

/* A new certificate (weft ca renew, weft reload) off the list: call the
 * peers and bootstraps again, soon but not all at once. */
static void renewed(struct wf_daemon *d, int64_t now)
{
	log_info("this node's certificate (serial %016" PRIx64 ") is not on the revocation list: "
		 "handshakes are initiated again",
		 d->node.self.serial);
	d->mem.self_revoked = (struct wf_self_revoked){0};
	for (struct wf_peer *p = d->peers.list; p; p = p->next)
		p->hs_next_ms = now + wf_random_u32() % 1000;
	for (unsigned i = 0; i < d->peers.n_bootstrap; i++)
		d->peers.bootstrap[i].next_ms = now;
	wf_service_status(d, now);
}

void wf_notice_self_check(struct wf_daemon *d, int64_t now)
{
	const struct wf_revoke *r = &d->mem.revoked;
	char issued[WF_UTC_LEN];
	bool first = !d->mem.self_revoked.version;

	if (!wf_revoke_has(r, d->node.self.serial)) {
		if (!first)
			renewed(d, now);
		return;
	}
	d->mem.self_revoked = (struct wf_self_revoked){
	    .version = r->version,
	    .serial = d->node.self.serial,
	    .issued = r->issued,
	    .since = first ? (int64_t)time(NULL) : d->mem.self_revoked.since,
	};
	if (!first)
		return;
	log_warnx("this node's certificate (serial %016" PRIx64 ") is revoked by the CA's list "
		  "version %" PRIu64 ", issued %s: ask the CA for a new certificate (until then "
		  "this node initiates no handshakes)",
		  d->node.self.serial, r->version, wf_utc(r->issued, issued));
	wf_service_status(d, now);
}
