/* SPDX-License-Identifier: MIT */
/*
 * Peers, their routes and the receiver-index table. Peers are found by public
 * key on the (rare) handshake and membership paths, and by receiver index or
 * overlay route on the packet path; both tables are fixed arrays of buckets.
 *
 * What a peer claims changes our state only once it has proved its key
 * (wf_peer_proven), or once a member told us of it (its certificate verified:
 * wf_peer_told, or the peer cache): its routes are claimed then, and a
 * conflict between two claims on an address is settled by one rule,
 * wf_cert_supersedes, whether the holder is proven or not. So an address in
 * a known member's certificate is that member's before it is proven: a
 * covering route or an older certificate does not take it, and a packet
 * from it is accepted only under its owner's key. A stranger (a node that
 * only sent initiations) claims nothing until proven.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "core/esp.h"
#include "daemon/daemon.h"
#include "daemon/handshake.h"
#include "daemon/index.h"
#include "daemon/kernel.h"
#include "daemon/membership.h"
#include "daemon/mtu.h"
#include "daemon/peer.h"
#include "daemon/revoked.h"
#include "daemon/timers.h"
#include "daemon/worker.h"

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
		[WF_DROP_HS_REPLAY] = "handshake_replay",
		[WF_DROP_HS_CLOCK] = "handshake_clock",
		[WF_DROP_CERT] = "certificate",
		[WF_DROP_COOKIE] = "cookie",
		[WF_DROP_RATE_LIMIT] = "rate_limit",
		[WF_DROP_SEND_ERROR] = "send_error",
		[WF_DROP_TUN_ERROR] = "tun_error",
		[WF_DROP_BUSY] = "control_busy",
		[WF_DROP_UNSOLICITED] = "unsolicited",
		[WF_DROP_FIREWALL] = "firewall",
		[WF_DROP_TOO_BIG] = "too_big",
	};
	return (unsigned)d < WF_DROP_MAX ? names[d] : "?";
}

void wf_count_drops(struct wf_daemon *d, struct wf_peer *p, enum wf_drop why, uint64_t n)
{
	/* From any thread: workers count the same counters. */
	WF_ADD(d->drops[why], n);
	if (p)
		WF_ADD(p->drops[why], n);
}

void wf_count_drop(struct wf_daemon *d, struct wf_peer *p, enum wf_drop why)
{
	wf_count_drops(d, p, why, 1);
}

/* Keys in the table are CA-certified, so nobody can pick them to collide. */
static unsigned key_bucket(const uint8_t pubkey[WF_KEY_LEN])
{
	return (pubkey[0] | (unsigned)pubkey[1] << 8) % WF_PEER_BUCKETS;
}

struct wf_peer *wf_peer_find(struct wf_daemon *d, const uint8_t pubkey[WF_KEY_LEN])
{
	for (struct wf_peer *p = d->peers.by_key[key_bucket(pubkey)]; p; p = p->hnext)
		if (!memcmp(p->cert.pubkey, pubkey, WF_KEY_LEN))
			return p;
	return NULL;
}

/* --- routes ----------------------------------------------------------- */

/* Claim one prefix for p; true if the table changed. */
static bool claim(struct wf_daemon *d, struct wf_peer *p, const struct wf_prefix *pfx, int64_t now)
{
	void *holder = wf_routes_get(d->peers.routes, pfx);
	struct wf_peer *q = holder;
	char s[WF_ADDR_STRLEN];

	if (holder == p)
		return false;
	wf_prefix_str(pfx, true, s, sizeof(s));
	if (holder == WF_ROUTE_SELF(d)) {
		log_warnx_rl("peer %s claims %s, an address of this node: refused", p->cert.name, s);
		return false;
	}
	if (q && !wf_cert_supersedes(&p->cert, &q->cert, now)) {
		log_warnx_rl("peer %s claims %s, which %s holds with a certificate that is not "
			     "older: refused",
			     p->cert.name, s, q->cert.name);
		return false;
	}
	if (!wf_routes_insert(d->peers.routes, pfx, p)) {
		log_warnx("%s: out of memory adding a route for %s", __func__, p->cert.name);
		return false;
	}
	if (q)
		log_info("%s now goes to %s (key %02x%02x...), replacing an older certificate", s,
			 p->cert.name, p->cert.pubkey[0], p->cert.pubkey[1]);
	return true;
}

/* The workers' copy of the routes follows only a change (a proof of a member
 * told of already changes nothing), and once a turn (wf_routes_changed). */
static void claim_routes(struct wf_daemon *d, struct wf_peer *p, int64_t now)
{
	bool changed = false;

	for (unsigned i = 0; i < p->cert.n_addrs; i++)
		changed |= claim(d, p, &p->cert.addrs[i], now);
	for (unsigned i = 0; i < p->cert.n_routes; i++)
		changed |= claim(d, p, &p->cert.routes[i], now);
	if (changed)
		(void)wf_routes_changed(d);
}

/* Take p's routes out; false if the workers' copy still names p and will
 * (wf_routes_changed). */
static bool unroute(struct wf_daemon *d, struct wf_peer *p)
{
	size_t n = wf_routes_count(d->peers.routes);

	wf_routes_remove_value(d->peers.routes, p);
	if (wf_routes_count(d->peers.routes) != n)
		return wf_routes_changed(d);
	return d->dp.threads || wf_routes_flush(d); /* an earlier change may wait */
}

/* --- adding, proving, removing ----------------------------------------- */

/* Room for one more unproven peer: the oldest stranger (nobody told us of
 * it: it exists only because of initiations) makes way; never a member
 * told of, which the bound does not count. */
static bool make_room(struct wf_daemon *d)
{
	struct wf_peer *oldest = NULL;

	if (d->peers.n_unproven < d->peers.unproven_max)
		return true;
	for (struct wf_peer *p = d->peers.list; p; p = p->next)
		if (!p->proven && !p->told && (!oldest || p->created_ms < oldest->created_ms))
			oldest = p;
	if (oldest)
		wf_peer_remove(d, oldest);
	return oldest != NULL;
}

static struct wf_peer *peer_new(struct wf_daemon *d, const struct wf_cert *cert, int64_t now)
{
	struct wf_peer *p = calloc(1, sizeof(*p));
	unsigned b = key_bucket(cert->pubkey), n = d->dp.n_workers + 1;

	if (p)
		p->count = aligned_alloc(sizeof(*p->count), n * sizeof(*p->count));
	if (!p || !p->count) {
		free(p);
		log_warnx("%s: out of memory", __func__);
		return NULL;
	}
	memset(p->count, 0, n * sizeof(*p->count));
	p->n_count = n;
	p->cert = *cert;
	wf_filter_peer_cert(d, p);
	p->created_ms = now;
	p->defer_ok = true;
	p->next = d->peers.list;
	d->peers.list = p;
	p->hnext = d->peers.by_key[b];
	d->peers.by_key[b] = p;
	d->peers.n++;
	return p;
}

struct wf_peer *wf_peer_add(struct wf_daemon *d, const struct wf_cert *cert, int64_t now)
{
	struct wf_peer *p;

	if (!make_room(d)) {
		log_warnx_rl("%u nodes claim to be members without having proved it; not taking "
			     "more",
			     d->peers.unproven_max);
		return NULL;
	}
	p = peer_new(d, cert, now);
	if (p)
		d->peers.n_unproven++;
	return p;
}

void wf_peer_told(struct wf_daemon *d, struct wf_peer *p)
{
	if (p->told)
		return;
	p->told = true;
	if (p->proven)
		return;
	d->peers.n_unproven--; /* a member now, not a stranger */
	claim_routes(d, p, (int64_t)time(NULL));
}

struct wf_peer *wf_peer_add_told(struct wf_daemon *d, const struct wf_cert *cert, int64_t now)
{
	struct wf_peer *p = peer_new(d, cert, now);

	if (p) {
		p->told = true; /* (never a stranger: not counted) */
		claim_routes(d, p, (int64_t)time(NULL));
	}
	return p;
}

bool wf_peer_on_demand(const struct wf_daemon *d, const struct wf_peer *p)
{
	return d->mem.gossip.sparse && !wf_gossip_wanted(&d->mem.gossip, p->cert.pubkey);
}

void wf_peer_call_some(struct wf_daemon *d, unsigned n)
{
	struct wf_peer *pick[WF_COLD_CALLS];
	unsigned seen = 0, k = 0;

	if (n > WF_COLD_CALLS)
		n = WF_COLD_CALLS;
	for (struct wf_peer *p = d->peers.list; p && n; p = p->next) {
		unsigned j;

		if (!p->has_endpoint || !(p->told || p->proven) || p->member_state == WF_GS_LEFT)
			continue;
		seen++; /* (reservoir sampling) */
		if (k < n)
			pick[k++] = p;
		else if ((j = wf_random_u32() % seen) < n)
			pick[j] = p;
	}
	for (unsigned i = 0; i < k; i++)
		pick[i]->call = true;
}

bool wf_peer_used(const struct wf_peer *p)
{
	return wf_peer_packets(p) != p->data_mark;
}

static bool same_cert(const struct wf_cert *a, const struct wf_cert *b)
{
	return a->serial == b->serial && !memcmp(a->signature, b->signature, WF_SIG_LEN);
}

void wf_peer_proven(struct wf_daemon *d, struct wf_peer *p, const struct wf_cert *cert,
		    int64_t now)
{
	int64_t wall = (int64_t)time(NULL);

	if (!p->proven) {
		/* A told member's certificate stays unless the proof's is newer. */
		if (cert && !same_cert(cert, &p->cert) &&
		    (!p->told || wf_cert_supersedes(cert, &p->cert, wall))) {
			(void)unroute(d, p);
			p->cert = *cert;
			wf_filter_peer_cert(d, p);
		}
		p->proven = true;
		p->mtu_check = true;
		if (!p->told)
			d->peers.n_unproven--;
		claim_routes(d, p, wall);
		log_info("peer %s added (%u known)", p->cert.name, d->peers.n - d->peers.n_unproven);
		wf_warn_peer_expiry(p, wall);
		return;
	}
	if (!cert || same_cert(cert, &p->cert))
		return;
	if (!wf_cert_supersedes(cert, &p->cert, wall)) {
		log_debug("peer %s: keeping certificate %016llx over the older %016llx",
			  p->cert.name, (unsigned long long)p->cert.serial,
			  (unsigned long long)cert->serial);
		return;
	}
	(void)unroute(d, p);
	wf_mtu_forget(d, p); /* its addresses may change */
	p->mtu_check = true;
	p->cert = *cert;
	wf_filter_peer_cert(d, p); /* its groups may differ */
	claim_routes(d, p, wall);
	log_info("peer %s: certificate %016llx now in use", p->cert.name,
		 (unsigned long long)cert->serial);
	wf_warn_peer_expiry(p, wall);
}

bool wf_peer_flapping(struct wf_peer *p, const union wf_endpoint *to, int64_t now)
{
	if (now - p->ep_flip_ms > WF_FLIP_WINDOW_MS)
		p->ep_flips = 0;
	if (wf_endpoint_equal(to, &p->ep_before)) {
		p->ep_flips++;
		p->ep_flip_ms = now;
	}
	p->ep_before = p->endpoint;
	return p->ep_flips >= WF_FLIPS_SHARED;
}

/* A move of an authenticated peer: said, or, when it flaps between two
 * places, what that means, once in a while. */
static void say_moved(struct wf_peer *p, const union wf_endpoint *to, int64_t now)
{
	char a[WF_ADDR_STRLEN], b[WF_ADDR_STRLEN];

	if (!wf_peer_flapping(p, to, now)) {
		log_info("peer %s moved to %s", p->cert.name, wf_endpoint_str(to, a, sizeof(a)));
		return;
	}
	if (p->ep_shared_said_ms && now - p->ep_shared_said_ms < WF_SHARED_SAY_MS)
		return;
	p->ep_shared_said_ms = now;
	log_warnx("peer %s keeps moving between %s and %s (%u times in a minute): two hosts seem "
		  "to share its key, a cloned machine? Each host needs its own key and certificate "
		  "(weft keygen, weft ca sign); until then they take the sessions from each other",
		  p->cert.name, wf_endpoint_str(to, a, sizeof(a)),
		  wf_endpoint_str(&p->ep_before, b, sizeof(b)), p->ep_flips);
}

void wf_peer_seen_at(struct wf_daemon *d, struct wf_peer *p, const union wf_endpoint *from,
		     int64_t now)
{
	p->ep_tries = 0;
	if (p->has_endpoint && p->ep_source == WF_EP_AUTHENTIC &&
	    wf_endpoint_equal(&p->endpoint, from))
		return;
	/* Roaming: the peer is wherever its last authentic packet came from. */
	if (p->has_endpoint && p->ep_source == WF_EP_AUTHENTIC) {
		say_moved(p, from, now);
		wf_mtu_moved(p);
	}
	p->endpoint = *from;
	p->has_endpoint = true;
	p->ep_source = WF_EP_AUTHENTIC;
	p->ep_via[0] = '\0';
	p->mtu_check = true;
	wf_peer_publish(d, p);
}

bool wf_peer_is_local(const struct wf_daemon *d, const union wf_endpoint *ep)
{
	union wf_endpoint any;

	if (wf_endpoint_equal(ep, &d->node.cfg.listen))
		return true;
	for (unsigned i = 0; i < d->peers.n_local_addrs; i++) {
		any = *ep;
		if (any.sa.sa_family == AF_INET)
			any.in4.sin_port = 0;
		else
			any.in6.sin6_port = 0;
		if (wf_endpoint_equal(&any, &d->peers.local_addrs[i]))
			return true;
	}
	return false;
}

static bool retired(const struct wf_peer *p, const union wf_endpoint *ep)
{
	for (unsigned i = 0; i < sizeof(p->ep_retired) / sizeof(p->ep_retired[0]); i++)
		if (wf_endpoint_equal(&p->ep_retired[i], ep))
			return true;
	return false;
}

void wf_peer_retire_endpoint(struct wf_daemon *d, struct wf_peer *p)
{
	memmove(&p->ep_retired[1], &p->ep_retired[0], sizeof(p->ep_retired[0]));
	p->ep_retired[0] = p->endpoint;
	p->has_endpoint = false;
	wf_peer_publish(d, p);
}

bool wf_peer_hearsay(struct wf_daemon *d, struct wf_peer *p, const union wf_endpoint *ep,
		     const char *via)
{
	/* What we saw ourselves beats what we were told; a told endpoint may
	 * only replace one that was told too and has been given up, and one
	 * given up is not taken again (telling it again renews nothing). */
	if (p->has_endpoint)
		return false;
	if (!wf_endpoint_usable(ep) || wf_peer_is_local(d, ep) || retired(p, ep))
		return false;
	p->endpoint = *ep;
	p->has_endpoint = true;
	p->ep_source = WF_EP_HEARSAY;
	p->ep_tries = 0;
	snprintf(p->ep_via, sizeof(p->ep_via), "%s", via);
	wf_peer_publish(d, p);
	return true;
}

static void keypair_free(struct wf_retire_link *l)
{
	wf_keypair_free(WF_CONTAINER_OF(l, struct wf_keypair, rl));
}

static void peer_unalloc(struct wf_retire_link *l)
{
	struct wf_peer *p = WF_CONTAINER_OF(l, struct wf_peer, rl);

	free(p->count);
	free(p);
}

struct wf_peer_count wf_peer_traffic(const struct wf_peer *p)
{
	struct wf_peer_count sum = {0};

	for (unsigned i = 0; i < p->n_count; i++) {
		const struct wf_peer_count *c = &p->count[i];

		sum.rx_bytes += __atomic_load_n(&c->rx_bytes, __ATOMIC_RELAXED);
		sum.tx_bytes += __atomic_load_n(&c->tx_bytes, __ATOMIC_RELAXED);
		sum.rx_packets += __atomic_load_n(&c->rx_packets, __ATOMIC_RELAXED);
		sum.tx_packets += __atomic_load_n(&c->tx_packets, __ATOMIC_RELAXED);
		sum.gso_sends += __atomic_load_n(&c->gso_sends, __ATOMIC_RELAXED);
	}
	return sum;
}

uint64_t wf_peer_packets(const struct wf_peer *p)
{
	struct wf_peer_count t = wf_peer_traffic(p);

	return t.rx_packets + t.tx_packets;
}

void wf_peer_drop_keypair(struct wf_daemon *d, struct wf_keypair *kp)
{
	struct wf_index_entry *e;

	if (!kp)
		return;
	/* No worker may find it from here on: not as the peer's keys to send
	 * with, not by its index. Then it waits for those that hold it. */
	e = wf_index_find(d, kp->local_index);
	if (e && e->peer && __atomic_load_n(&e->peer->tx_kp, __ATOMIC_RELAXED) == kp)
		wf_peer_publish(d, e->peer);
	if (e && e->esp) {
		/* Its SAs go with it, and what led to them. */
		wf_kernel_forget(d, e->peer, e);
		if (e->peer)
			wf_kernel_sync(d, e->peer);
	}
	wf_index_del(d, kp->local_index);
	kp->rl.fn = keypair_free;
	wf_retire(d, &kp->rl);
}

void wf_peer_drop_keypairs(struct wf_daemon *d, struct wf_keypair *const *kps, int n)
{
	for (int i = 0; i < n; i++)
		wf_peer_drop_keypair(d, kps[i]);
}

static void peer_free(struct wf_daemon *d, struct wf_peer *p)
{
	struct wf_keypair *dropped[WF_SESSION_DROP_MAX];
	bool unrouted;

	p->removed = true;
	wf_kernel_peer_gone(d, p); /* its routes, policies and SAs in the kernel */
	/* Gossip holds only members whose certificate we hold. */
	wf_gossip_drop(&d->mem.gossip, p->cert.pubkey);
	unrouted = unroute(d, p);
	wf_mtu_forget(d, p);
	if (p->hs)
		wf_handshake_abort(d, p->hs);
	wf_session_clear(&p->session, dropped);
	wf_peer_publish(d, p);
	wf_peer_drop_keypairs(d, dropped, WF_SESSION_DROP_MAX);
	for (unsigned i = 0; i < p->n_staged; i++)
		free(p->staged[i]);
	p->n_staged = 0;
	/* Workers may still hold it from the routes they read: with workers
	 * running, its generation is closed only once their copy is one
	 * without it (wf_reclaim). Without, out of memory for such a copy,
	 * their copy still names it: it stays. */
	if (unrouted) {
		p->rl.fn = peer_unalloc;
		wf_retire(d, &p->rl);
	}
	else
		log_warnx("peer %s: kept in memory, the workers' routes still name it",
			  p->cert.name);
}

static void unlink_peer(struct wf_daemon *d, struct wf_peer *p)
{
	struct wf_peer **pp;

	for (pp = &d->peers.list; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	for (pp = &d->peers.by_key[key_bucket(p->cert.pubkey)]; *pp; pp = &(*pp)->hnext)
		if (*pp == p) {
			*pp = p->hnext;
			break;
		}
	d->peers.n--;
	if (!p->proven && !p->told)
		d->peers.n_unproven--;
}

void wf_peer_remove(struct wf_daemon *d, struct wf_peer *p)
{
	unlink_peer(d, p);
	peer_free(d, p);
}

void wf_peer_free_all(struct wf_daemon *d)
{
	while (d->peers.list)
		wf_peer_remove(d, d->peers.list);
}

/* --- the receiver-index table ------------------------------------------ */

static unsigned bucket(uint32_t index)
{
	return (index * 2654435761u) >> 20 & (WF_INDEX_BUCKETS - 1);
}

/* Workers walk the buckets while the control thread changes them: every
 * link is read with acquire and written with release, an entry is complete
 * before it is linked, and an unlinked one is freed only after the workers
 * let go of it (wf_retire). */
struct wf_index_entry *wf_index_find(struct wf_daemon *d, uint32_t index)
{
	for (struct wf_index_entry *e = __atomic_load_n(&d->peers.index[bucket(index)], __ATOMIC_ACQUIRE);
	     e; e = __atomic_load_n(&e->next, __ATOMIC_ACQUIRE))
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
	 * a restarted daemon does not reuse its old ones by accident. Never
	 * below 256: an index is also the SPI of the kernel's inbound SA on
	 * the kernel data path, and SPIs 1-255 are reserved (core/esp.h). */
	do
		index = wf_random_u32();
	while (!wf_esp_spi_ok(index) || wf_index_find(d, index));
	e->index = index;
	e->kind = kind;
	e->ptr = ptr;
	e->peer = peer;
	e->bootstrap = b;
	e->live = WF_LIVE_NONE;
	e->next = d->peers.index[bucket(index)];
	__atomic_store_n(&d->peers.index[bucket(index)], e, __ATOMIC_RELEASE);
	return index;
}

static void index_entry_free(struct wf_retire_link *l)
{
	struct wf_index_entry *e = WF_CONTAINER_OF(l, struct wf_index_entry, rl);

	free(e->offered);
	free(e);
}

/* An entry that goes while it waits for the routes (wf_index_ready). */
static void unready_del(struct wf_daemon *d, struct wf_index_entry *e)
{
	for (struct wf_index_entry **pp = &d->peers.unready; *pp; pp = &(*pp)->next_unready)
		if (*pp == e) {
			*pp = e->next_unready;
			return;
		}
}

void wf_index_del(struct wf_daemon *d, uint32_t index)
{
	for (struct wf_index_entry **ep = &d->peers.index[bucket(index)]; *ep; ep = &(*ep)->next) {
		if ((*ep)->index == index) {
			struct wf_index_entry *e = *ep;

			__atomic_store_n(ep, e->next, __ATOMIC_RELEASE);
			unready_del(d, e);
			e->rl.fn = index_entry_free;
			wf_retire(d, &e->rl);
			return;
		}
	}
}

/* --- state ------------------------------------------------------------- */

bool wf_peer_silent(const struct wf_daemon *d, const struct wf_peer *p, int64_t now)
{
	int64_t ka = d->node.cfg.keepalive_interval_ms;

	return ka && now - WF_GET(p->last_rx_ms) > 3 * ka + (int64_t)d->node.cfg.handshake_timeout_ms;
}

bool wf_peer_up(const struct wf_daemon *d, const struct wf_peer *p, int64_t now)
{
	return p->has_endpoint && wf_session_sendable(&p->session, &d->node.limits, now) &&
	       !wf_peer_silent(d, p, now);
}

void wf_peer_first_call(struct wf_daemon *d, struct wf_peer *p, int64_t now, unsigned jitter_ms,
			unsigned delay_ms)
{
	p->hs_next_ms = now + (jitter_ms ? wf_random_u32() % jitter_ms : 0);
	if (memcmp(d->node.self.pubkey, p->cert.pubkey, WF_KEY_LEN) > 0)
		p->hs_next_ms += delay_ms;
}

const char *wf_peer_state(const struct wf_daemon *d, const struct wf_peer *p, int64_t now)
{
	if (wf_peer_up(d, p, now))
		return "up";
	/* It said it left, and is not heard from: nobody calls it (it calls
	 * when it is back), whatever keys may still be tried until they end. */
	if (p->member_state == WF_GS_LEFT)
		return "down";
	/* Past full-mesh-max: no session until traffic needs one. */
	if (wf_peer_on_demand(d, p) && !p->hs && !p->n_staged && !p->call)
		return "idle";
	/* The full mesh: every member we can reach is being handshaked with. */
	if (p->has_endpoint && p->hs_attempts < WF_HS_ATTEMPTS_DOWN)
		return "connecting";
	return "down";
}

bool wf_peer_stage(struct wf_daemon *d, struct wf_peer *p, const uint8_t *pkt, size_t len)
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
		wf_count_drop(d, p, WF_DROP_NO_SESSION);
	}
	memcpy(b + WF_DATA_HEADER_LEN, pkt, len);
	p->staged[p->n_staged] = b;
	p->staged_len[p->n_staged++] = (uint16_t)len;
	return true;
}

bool wf_peer_cert_check(struct wf_daemon *d, const uint8_t *enc, size_t len, struct wf_cert *out,
			const char *from)
{
	bool revoked;

	return wf_peer_cert_verdict(d, enc, len, out, from, &revoked);
}

bool wf_peer_cert_verdict(struct wf_daemon *d, const uint8_t *enc, size_t len, struct wf_cert *out,
			  const char *from, bool *revoked)
{
	bool repeat;
	enum wf_cert_err err =
	    wf_certcache_verify(&d->hs.certs, &d->node.ca, enc, len, (int64_t)time(NULL), out, &repeat);

	*revoked = err == WF_CERT_OK && wf_revoked_has(d, out->serial);
	if (err == WF_CERT_OK && !*revoked)
		return true;
	if (err == WF_CERT_OK) {
		wf_revoked_note(d, out, true, (int64_t)time(NULL));
		log_warnx_rl("refused certificate of %s from %s: revoked (serial %016llx, list version "
			     "%llu)", out->name, from, (unsigned long long)out->serial,
			     (unsigned long long)d->mem.revoked.version);
		return false;
	}
	/* Once per certificate and reason; and never a flood. */
	if (!repeat)
		log_warnx_rl("refused certificate%s%s from %s: %s",
			     err >= WF_CERT_ERR_TYPE ? " of " : "",
			     err >= WF_CERT_ERR_TYPE ? out->name : "", from, wf_cert_strerror(err));
	return false;
}
