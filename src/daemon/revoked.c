/* SPDX-License-Identifier: MIT */
/*
 * The revocation list in the daemon (core/revoke.h for the list itself).
 *
 * One list at a time: the highest version seen, from NODEDIR/revoked.list at
 * start, from `weft revoke` (which writes that file and asks the daemon to
 * read it), or from a peer (control kind WF_CTL_REVOKED). A newer list is
 * verified against the CA, written to NODEDIR/revoked.list, enforced (every
 * peer whose certificate it names is removed: sessions, routes, all) and
 * passed on to every live peer, once; every session that comes up later is
 * handed it too. From then on wf_peer_cert_check refuses those certificates,
 * in handshakes, MEMBER messages and the peer cache alike.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/keyfile.h"
#include "common/log.h"
#include "core/message.h"
#include "daemon/daemon.h"

static bool list_path(const struct wf_daemon *d, char *buf, size_t cap)
{
	return snprintf(buf, cap, "%s/revoked.list", d->cfg.dir) < (int)cap;
}

bool wf_revoked_has(const struct wf_daemon *d, uint64_t serial)
{
	return wf_revoke_has(&d->revoked, serial); /* (no list: n is 0) */
}

_Static_assert(1 + WF_REVOKE_MAX_ENCODED <= WF_GOSSIP_MTU_MAX, "a list fits one control message");

static void send_list(struct wf_daemon *d, struct wf_peer *p, int64_t now)
{
	uint8_t msg[1 + WF_REVOKE_MAX_ENCODED] = {WF_CTL_REVOKED};

	if (!d->revoked_len)
		return;
	memcpy(msg + 1, d->revoked_enc, d->revoked_len);
	wf_members_send(d, p, msg, 1 + d->revoked_len, now);
}

/* Remove every peer the list names. */
static void enforce(struct wf_daemon *d)
{
	for (struct wf_peer *p = d->peers, *next; p; p = next) {
		next = p->next;
		if (!wf_revoke_has(&d->revoked, p->cert.serial))
			continue;
		log_warnx("peer %s (serial %016" PRIx64 ") is revoked (list version %" PRIu64
			  "): its sessions end and its handshakes are refused",
			  p->cert.name, p->cert.serial, d->revoked.version);
		wf_peer_remove(d, p);
	}
}

/* Take a verified list newer than ours. */
static void install(struct wf_daemon *d, const struct wf_revoke *r, const char *from,
		    bool save, int64_t now)
{
	char path[PATH_MAX], err[WF_ERR_MAX];

	d->revoked = *r;
	d->revoked_len = wf_revoke_encode(r, d->revoked_enc, sizeof(d->revoked_enc));
	log_info("revocation list version %" PRIu64 " (%u serial%s) from %s", r->version, r->n,
		 r->n == 1 ? "" : "s", from);
	if (save && list_path(d, path, sizeof(path)) && !wf_revoke_save(path, r, err, sizeof(err)))
		log_warnx("%s (the list holds until the daemon stops)", err);
	enforce(d);
	for (struct wf_peer *p = d->peers; p; p = p->next)
		if (p->proven)
			send_list(d, p, now);
}

bool wf_revoked_load(struct wf_daemon *d, char *msg, size_t cap, int64_t now)
{
	char path[PATH_MAX];
	struct wf_revoke r;
	enum wf_cert_err e;

	if (!list_path(d, path, sizeof(path))) {
		snprintf(msg, cap, "%s: path too long", d->cfg.dir);
		return false;
	}
	if (access(path, F_OK) < 0 && errno == ENOENT) {
		snprintf(msg, cap, "no revocation list (no %s)", path);
		return true;
	}
	if (!wf_revoke_load(path, &r, msg, cap))
		return false;
	if ((e = wf_revoke_verify(&r, &d->ca)) != WF_CERT_OK) {
		snprintf(msg, cap, "%s: %s", path, wf_cert_strerror(e));
		return false;
	}
	if (r.version > d->revoked.version)
		install(d, &r, path, false, now);
	snprintf(msg, cap, "revocation list version %" PRIu64 ", %u serial%s", d->revoked.version,
		 d->revoked.n, d->revoked.n == 1 ? "" : "s");
	return true;
}

void wf_revoked_receive(struct wf_daemon *d, struct wf_peer *from, const uint8_t *msg,
			size_t len, int64_t now)
{
	char via[WF_CERT_NAME_MAX + 16];
	struct wf_revoke r;
	enum wf_cert_err e;

	if (wf_revoke_decode(&r, msg + 1, len - 1) != WF_CERT_OK) {
		wf_count_drop(d, from, WF_DROP_MALFORMED);
		return;
	}
	/* Cheapest first: an old or equal version costs no signature check. */
	if (r.version <= d->revoked.version)
		return;
	if ((e = wf_revoke_verify(&r, &d->ca)) != WF_CERT_OK) {
		log_warnx_rl("revocation list version %" PRIu64 " from %s refused: %s", r.version,
			     from->cert.name, wf_cert_strerror(e));
		wf_count_drop(d, from, WF_DROP_CERT);
		return;
	}
	snprintf(via, sizeof(via), "peer %s", from->cert.name);
	install(d, &r, via, true, now);
}

void wf_revoked_peer_up(struct wf_daemon *d, struct wf_peer *p, int64_t now)
{
	send_list(d, p, now);
}

char *wf_revoked_request(struct wf_daemon *d)
{
	char msg[WF_ERR_MAX];
	bool ok = wf_revoked_load(d, msg, sizeof(msg), wf_now_ms());

	return wf_control_answer(ok, "revocation_list", msg);
}
