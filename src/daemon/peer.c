/* SPDX-License-Identifier: MIT */
/*
 * Peers and the receiver-index table. Peers are found by public key on the
 * (rare) handshake and membership paths, and by receiver index or overlay
 * route on the packet path; the index table is a fixed array of buckets so
 * lookups never allocate.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "daemon/daemon.h"

const char *wf_drop_name(enum wf_drop d)
{
	static const char *const names[WF_DROP_MAX] = {
		[WF_DROP_NO_ROUTE] = "no_route",
		[WF_DROP_MULTICAST] = "multicast",
		[WF_DROP_NO_SESSION] = "no_session",
		[WF_DROP_MALFORMED] = "malformed",
		[WF_DROP_UNKNOWN_INDEX] = "unknown_index",
		[WF_DROP_DECRYPT] = "decrypt",
		[WF_DROP_REPLAY] = "replay",
		[WF_DROP_BAD_SOURCE] = "bad_source",
		[WF_DROP_HANDSHAKE] = "handshake",
		[WF_DROP_CERT] = "certificate",
		[WF_DROP_RATE_LIMIT] = "rate_limit",
		[WF_DROP_SEND_ERROR] = "send_error",
		[WF_DROP_TUN_ERROR] = "tun_error",
	};
	return (unsigned)d < WF_DROP_MAX ? names[d] : "?";
}

void wf_count_drop(struct wf_daemon *d, struct wf_peer *p, enum wf_drop why)
{
	d->drops[why]++;
	if (p)
		p->drops[why]++;
}

struct wf_peer *wf_peer_find(struct wf_daemon *d, const uint8_t pubkey[WF_KEY_LEN])
{
	for (struct wf_peer *p = d->peers; p; p = p->next)
		if (!memcmp(p->cert.pubkey, pubkey, WF_KEY_LEN))
			return p;
	return NULL;
}

static void routes_add(struct wf_daemon *d, struct wf_peer *p)
{
	for (unsigned i = 0; i < p->cert.n_addrs; i++)
		if (!wf_routes_insert(d->routes, &p->cert.addrs[i], p))
			log_warnx("%s: out of memory adding a route for %s", __func__, p->cert.name);
	for (unsigned i = 0; i < p->cert.n_routes; i++)
		if (!wf_routes_insert(d->routes, &p->cert.routes[i], p))
			log_warnx("%s: out of memory adding a route for %s", __func__, p->cert.name);
}

struct wf_peer *wf_peer_add(struct wf_daemon *d, const struct wf_cert *cert)
{
	struct wf_peer *p = calloc(1, sizeof(*p));

	if (!p) {
		log_warnx("%s: out of memory", __func__);
		return NULL;
	}
	p->cert = *cert;
	p->next = d->peers;
	d->peers = p;
	d->n_peers++;
	routes_add(d, p);
	log_info("peer %s added (%u known)", cert->name, d->n_peers);
	return p;
}

void wf_peer_update_cert(struct wf_daemon *d, struct wf_peer *p, const struct wf_cert *cert)
{
	/* A renewed certificate (same key) may carry other addresses. The one
	 * issued last wins; never go back to an older one. */
	if (cert->serial == p->cert.serial && cert->not_before == p->cert.not_before)
		return;
	if (cert->not_before < p->cert.not_before ||
	    (cert->not_before == p->cert.not_before && cert->not_after <= p->cert.not_after))
		return;
	wf_routes_remove_value(d->routes, p);
	p->cert = *cert;
	routes_add(d, p);
	log_info("peer %s: certificate %016llx now in use", p->cert.name,
		 (unsigned long long)cert->serial);
}

static unsigned bucket(uint32_t index)
{
	return (index * 2654435761u) >> 20 & (WF_INDEX_BUCKETS - 1);
}

struct wf_index_entry *wf_index_find(struct wf_daemon *d, uint32_t index)
{
	for (struct wf_index_entry *e = d->index[bucket(index)]; e; e = e->next)
		if (e->index == index)
			return e;
	return NULL;
}

uint32_t wf_index_add(struct wf_daemon *d, enum wf_index_kind kind, void *ptr, struct wf_peer *peer,
		      struct wf_bootstrap *b)
{
	struct wf_index_entry *e = calloc(1, sizeof(*e));
	uint32_t index;

	if (!e)
		return 0;
	/* Random indices: a peer cannot guess another session's index, and
	 * a restarted daemon does not reuse its old ones by accident. */
	do
		index = wf_random_u32();
	while (!index || wf_index_find(d, index));
	e->index = index;
	e->kind = kind;
	e->ptr = ptr;
	e->peer = peer;
	e->bootstrap = b;
	e->next = d->index[bucket(index)];
	d->index[bucket(index)] = e;
	return index;
}

void wf_index_del(struct wf_daemon *d, uint32_t index)
{
	for (struct wf_index_entry **ep = &d->index[bucket(index)]; *ep; ep = &(*ep)->next) {
		if ((*ep)->index == index) {
			struct wf_index_entry *e = *ep;

			*ep = e->next;
			free(e);
			return;
		}
	}
}

void wf_peer_drop_keypair(struct wf_daemon *d, struct wf_keypair *kp)
{
	if (!kp)
		return;
	wf_index_del(d, kp->local_index);
	wf_keypair_free(kp);
}

static void peer_free(struct wf_daemon *d, struct wf_peer *p)
{
	struct wf_keypair *dropped[3];

	wf_session_clear(&p->session, dropped);
	for (int i = 0; i < 3; i++)
		wf_peer_drop_keypair(d, dropped[i]);
	if (p->hs)
		wf_handshake_abort(d, p->hs);
	for (unsigned i = 0; i < p->n_staged; i++)
		free(p->staged[i]);
	free(p);
}

void wf_peer_free_all(struct wf_daemon *d)
{
	while (d->peers) {
		struct wf_peer *p = d->peers;

		d->peers = p->next;
		peer_free(d, p);
	}
	d->n_peers = 0;
}

bool wf_peer_silent(const struct wf_daemon *d, const struct wf_peer *p, int64_t now)
{
	int64_t ka = d->cfg.keepalive_interval_ms;

	return ka && now - p->last_rx_ms > 3 * ka + (int64_t)d->cfg.handshake_timeout_ms;
}

const char *wf_peer_state(const struct wf_daemon *d, const struct wf_peer *p, int64_t now)
{
	if (wf_session_sendable(&p->session, &d->limits, now) && !wf_peer_silent(d, p, now))
		return "up";
	/* The full mesh: every member we can reach is being handshaked with. */
	if (p->has_endpoint && p->hs_attempts < WF_HS_ATTEMPTS_DOWN)
		return "connecting";
	return "down";
}

bool wf_peer_stage(struct wf_peer *p, const uint8_t *pkt, size_t len)
{
	uint8_t *b;

	if (len > WF_PKT_MAX)
		return false;
	b = malloc(WF_DATA_HEADER_LEN + len + WF_AEAD_TAG_LEN);
	if (!b)
		return false;
	if (p->n_staged == WF_STAGED_MAX) {
		/* Keep the newest, as a retrying sender would want. */
		free(p->staged[0]);
		memmove(p->staged, p->staged + 1, sizeof(p->staged[0]) * (WF_STAGED_MAX - 1));
		memmove(p->staged_len, p->staged_len + 1, sizeof(p->staged_len[0]) * (WF_STAGED_MAX - 1));
		p->n_staged--;
		p->drops[WF_DROP_NO_SESSION]++;
	}
	memcpy(b + WF_DATA_HEADER_LEN, pkt, len);
	p->staged[p->n_staged] = b;
	p->staged_len[p->n_staged++] = (uint16_t)len;
	return true;
}

bool wf_peer_cert_check(struct wf_daemon *d, const uint8_t *enc, size_t len, struct wf_cert *out,
			const char *from)
{
	enum wf_cert_err err = wf_cert_decode(out, enc, len);

	if (err == WF_CERT_OK)
		err = wf_cert_verify(out, &d->ca, (int64_t)time(NULL));
	if (err != WF_CERT_OK) {
		log_warnx("refused certificate%s%s from %s: %s", err >= WF_CERT_ERR_TYPE ? " of " : "",
			  err >= WF_CERT_ERR_TYPE ? out->name : "", from, wf_cert_strerror(err));
		return false;
	}
	return true;
}
