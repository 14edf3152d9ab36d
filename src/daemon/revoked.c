/* SPDX-License-Identifier: MIT */
/*
 * The revocation list in the daemon (core/revoke.h for the list itself).
 *
 * One list at a time: the highest version seen, from NODEDIR/revoked.list at
 * start, from `weft revoke` (which writes that file and asks the daemon to
 * read it), or from a peer (control kind WF_CTL_REVOKED, in chunks put
 * together per sender). A newer list is verified against the CA, written to
 * NODEDIR/revoked.list, enforced (every peer whose certificate it names is
 * removed: sessions, routes, all) and pushed to a few random live peers,
 * which do the same. From then on wf_peer_cert_check refuses those
 * certificates, in handshakes, MEMBER messages and the peer cache alike.
 *
 * Anti-entropy: the list's version is the gossip core's epoch, carried in
 * every table comparison (SYNC). A node that answers a comparison from a
 * member holding an older list sends it ours (WF_GE_EPOCH), the same
 * version to the same member at most every RESEND_MS, so whatever was lost
 * on the way is repaired at that member's next comparison with a node that
 * holds the list, or the one after (if the first went to the node that had
 * just sent it). Nothing is sent when a session comes up: a member new to us, or
 * back from the dead, compares tables at once (wf_gossip_contact), and the
 * older side gets the list then; pushing it on every session would cost
 * the whole list, each time a session on demand is made, for nothing.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/keyfile.h"
#include "common/log.h"
#include "core/lifecycle.h"
#include "core/message.h"
#include "daemon/daemon.h"
#include "daemon/membership.h"
#include "daemon/notice.h"
#include "daemon/peer.h"
#include "daemon/revoked.h"
#include "daemon/status.h"

static bool list_path(const struct wf_daemon *d, char *buf, size_t cap)
{
	return snprintf(buf, cap, "%s/revoked.list", d->node.cfg.dir) < (int)cap;
}

bool wf_revoked_has(const struct wf_daemon *d, uint64_t serial)
{
	return wf_revoke_has(&d->mem.revoked, serial); /* (no list: n is 0) */
}

enum {
	PUSH_PEERS = 8,    /* a new list is pushed to this many random live peers */
	/* The same version to the same peer at most this often: less than the
	 * comparison period (10 s), so that each comparison of a member still
	 * behind is answered, but never a burst of them. */
	RESEND_MS = 8000,
};

_Static_assert((int)WF_REVOKE_CHUNK_LEN <= (int)WF_GOSSIP_MTU_MAX,
	       "a chunk is one control message");

/* Our list to p, every chunk of it; remembered, for RESEND_MS. */
static void send_list(struct wf_daemon *d, struct wf_peer *p, int64_t now)
{
	uint8_t msg[WF_REVOKE_CHUNK_LEN];
	unsigned n = wf_revoke_chunk_count(d->mem.revoked_len);
	bool sent = false;

	for (unsigned i = 0; i < n; i++) {
		struct wf_revoke_chunk c =
		    wf_revoke_chunk_at(d->mem.revoked_enc, d->mem.revoked_len, d->mem.revoked.version, i);

		wf_revoke_chunk_encode(&c, msg);
		sent |= wf_members_send(d, p, msg, sizeof(msg), now);
	}
	if (sent) {
		p->revoked_sent = d->mem.revoked.version;
		p->revoked_sent_ms = now;
	}
}

/* A new list, to up to PUSH_PEERS random live peers but the one it came
 * from. Each that takes it does the same: a rumour, in which the share of
 * nodes no push reaches is about e^-8; those get it when they next compare
 * tables. Pushing to every peer, as each node did when a list was one
 * message, costs the mesh N^2 lists. */
static void push(struct wf_daemon *d, const struct wf_peer *from, int64_t now)
{
	struct wf_peer *pick[PUSH_PEERS];
	unsigned n = 0;

	for (struct wf_peer *p = d->peers.list; p; p = p->next) {
		unsigned j;

		if (p == from || !wf_peer_up(d, p, now))
			continue;
		j = n < PUSH_PEERS ? n : wf_random_u32() % (n + 1); /* a reservoir */
		if (j < PUSH_PEERS)
			pick[j] = p;
		n++;
	}
	for (unsigned i = 0; i < n && i < PUSH_PEERS; i++)
		send_list(d, pick[i], now);
}

void wf_revoked_note(struct wf_daemon *d, const struct wf_cert *c, bool refused, int64_t wall)
{
	struct wf_revoked_peer *g = NULL;

	for (unsigned i = 0; i < d->mem.n_gone && !g; i++)
		if (d->mem.gone[i].serial == c->serial)
			g = &d->mem.gone[i];
	if (!g) {
		/* The oldest gives way, or the next free record. */
		unsigned at = d->mem.n_gone < WF_REVOKED_SHOWN ? d->mem.n_gone++ : 0;

		for (unsigned i = 1; d->mem.n_gone == WF_REVOKED_SHOWN && i < WF_REVOKED_SHOWN; i++)
			if (d->mem.gone[i].since < d->mem.gone[at].since)
				at = i;
		g = &d->mem.gone[at];
		*g = (struct wf_revoked_peer){.serial = c->serial, .since = wall};
		snprintf(g->name, sizeof(g->name), "%s", c->name);
	}
	g->refused += refused;
}

/* Remove every peer the list names. */
static void enforce(struct wf_daemon *d)
{
	for (struct wf_peer *p = d->peers.list, *next; p; p = next) {
		next = p->next;
		if (!wf_lc_revoked(wf_revoke_has(&d->mem.revoked, p->cert.serial)))
			continue;
		log_warnx("peer %s (serial %016" PRIx64 ") is revoked (list version %" PRIu64
			  "): its sessions end and its handshakes are refused",
			  p->cert.name, p->cert.serial, d->mem.revoked.version);
		wf_revoked_note(d, &p->cert, false, (int64_t)time(NULL));
		wf_peer_remove(d, p);
	}
}

/* Take a verified list newer than ours. One from a peer or a notice (save)
 * is kept in NODEDIR/revoked.list; one read from there is there already. */
static void install(struct wf_daemon *d, const struct wf_revoke *r, const char *via,
		    const struct wf_peer *from, bool save, int64_t now)
{
	char path[PATH_MAX], err[WF_ERR_MAX];

	d->mem.revoked = *r;
	d->mem.revoked_len = wf_revoke_encode(r, d->mem.revoked_enc, sizeof(d->mem.revoked_enc));
	wf_gossip_set_epoch(&d->mem.gossip, r->version);
	wf_revoke_asm_expire(&d->mem.revoked_asm, now, r->version);
	log_info("revocation list version %" PRIu64 " (%u serial%s) from %s", r->version, r->n,
		 r->n == 1 ? "" : "s", via);
	if (save && list_path(d, path, sizeof(path)) && !wf_revoke_save(path, r, err, sizeof(err)))
		log_warnx("%s (the list holds until the daemon stops)", err);
	enforce(d);
	wf_notice_self_check(d, now);
	push(d, from, now);
}

void wf_revoked_told(struct wf_daemon *d, const struct wf_revoke *r, const char *via, int64_t now)
{
	install(d, r, via, NULL, true, now);
}

uint64_t wf_revoked_refusals(const struct wf_daemon *d, uint64_t serial)
{
	for (unsigned i = 0; i < d->mem.n_gone; i++)
		if (d->mem.gone[i].serial == serial)
			return d->mem.gone[i].refused;
	return 0;
}

bool wf_revoked_read(const struct wf_daemon *d, struct wf_revoke *r, char *msg, size_t cap)
{
	char path[PATH_MAX];
	enum wf_cert_err e;

	memset(r, 0, sizeof(*r));
	if (!list_path(d, path, sizeof(path))) {
		snprintf(msg, cap, "%s: path too long", d->node.cfg.dir);
		return false;
	}
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return true;
	if (!wf_revoke_load(path, r, msg, cap))
		return false;
	if ((e = wf_revoke_verify(r, &d->node.ca)) != WF_CERT_OK) {
		snprintf(msg, cap, "%s: %s", path, wf_cert_strerror(e));
		return false;
	}
	return true;
}

void wf_revoked_take(struct wf_daemon *d, const struct wf_revoke *r, char *msg, size_t cap,
		     int64_t now)
{
	char path[PATH_MAX];

	if (!list_path(d, path, sizeof(path)))
		snprintf(path, sizeof(path), "NODEDIR/revoked.list");
	if (r->version > d->mem.revoked.version)
		install(d, r, path, NULL, false, now);
	if (!d->mem.revoked.version)
		snprintf(msg, cap, "no revocation list (no %s)", path);
	else
		snprintf(msg, cap, "revocation list version %" PRIu64 ", %u serial%s",
			 d->mem.revoked.version, d->mem.revoked.n, d->mem.revoked.n == 1 ? "" : "s");
}

bool wf_revoked_load(struct wf_daemon *d, char *msg, size_t cap, int64_t now)
{
	static struct wf_revoke r; /* 32 KiB, off the stack; the control thread's */

	if (!wf_revoked_read(d, &r, msg, cap))
		return false;
	wf_revoked_take(d, &r, msg, cap, now);
	return true;
}

void wf_revoked_receive(struct wf_daemon *d, struct wf_peer *from, const uint8_t *msg, size_t len,
			int64_t now)
{
	static struct wf_revoke r; /* 32 KiB, off the stack; the control thread's */
	char via[WF_CERT_NAME_MAX + 16];
	struct wf_revoke_chunk c;
	enum wf_cert_err e;

	if (!wf_revoke_chunk_decode(&c, msg, len)) {
		wf_count_drop(d, from, WF_DROP_MALFORMED);
		return;
	}
	/* Cheapest first: an old or equal version is neither kept nor checked. */
	if (c.version <= d->mem.revoked.version)
		return;
	switch (wf_revoke_asm_add(&d->mem.revoked_asm, from->cert.pubkey, &c, now, &r)) {
	case WF_RA_KEPT:
	case WF_RA_OLD:
		return;
	case WF_RA_BUSY:
		wf_count_drop(d, from, WF_DROP_RATE_LIMIT);
		return;
	case WF_RA_REFUSED:
		wf_count_drop(d, from, WF_DROP_MALFORMED);
		return;
	case WF_RA_DONE:
		break;
	}
	if ((e = wf_revoke_verify(&r, &d->node.ca)) != WF_CERT_OK) {
		log_warnx_rl("revocation list version %" PRIu64 " from %s refused: %s", r.version,
			     from->cert.name, wf_cert_strerror(e));
		wf_count_drop(d, from, WF_DROP_CERT);
		return;
	}
	snprintf(via, sizeof(via), "peer %s", from->cert.name);
	install(d, &r, via, from, true, now);
}

void wf_revoked_tick(struct wf_daemon *d, int64_t now)
{
	wf_revoke_asm_expire(&d->mem.revoked_asm, now, d->mem.revoked.version);
}

void wf_revoked_release(struct wf_daemon *d)
{
	wf_revoke_asm_free(&d->mem.revoked_asm);
}

void wf_revoked_compared(struct wf_daemon *d, const uint8_t *key, uint64_t theirs, int64_t now)
{
	struct wf_peer *p = wf_peer_find(d, key);
	bool again;

	/* (A newer list than ours comes to us when we compare with them.) */
	if (!p || theirs >= d->mem.revoked.version)
		return;
	again = p->revoked_sent == d->mem.revoked.version;
	if (again && now - p->revoked_sent_ms < RESEND_MS)
		return;
	if (again)
		log_info("peer %s still holds revocation list version %" PRIu64 ": version %" PRIu64
			 " sent to it again",
			 p->cert.name, theirs, d->mem.revoked.version);
	send_list(d, p, now);
}

char *wf_revoked_request(struct wf_daemon *d)
{
	char msg[WF_ERR_MAX];
	bool ok = wf_revoked_load(d, msg, sizeof(msg), wf_now_ms());

	return wf_control_answer(ok, "revocation_list", msg);
}
