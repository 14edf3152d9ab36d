/* SPDX-License-Identifier: MIT */
/* The control socket's "status" answer; the contract is docs/status-json.md. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>

#include "common/armor.h"
#include "core/routes.h"
#include "core/dns.h"
#include "daemon/daemon.h"
#include "daemon/kernel.h"
#include "daemon/peer.h"
#include "daemon/status.h"
#include "daemon/udp.h"
#include "daemon/worker.h"

static cJSON *prefix_array(const struct wf_prefix *v, unsigned n)
{
	cJSON *a = cJSON_CreateArray();
	char buf[WF_ADDR_STRLEN];

	for (unsigned i = 0; i < n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(wf_prefix_str(&v[i], true, buf, sizeof(buf))));
	return a;
}

static cJSON *groups_array(const struct wf_cert *c)
{
	cJSON *a = cJSON_CreateArray();

	for (unsigned i = 0; i < c->n_groups; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(c->groups[i]));
	return a;
}

static void add_time(cJSON *o, const char *key, int64_t t)
{
	char buf[WF_UTC_LEN];

	cJSON_AddStringToObject(o, key, wf_utc(t, buf));
}

/* This node's own certificate on the CA's list, or null. */
static void add_self_revoked(cJSON *n, const struct wf_self_revoked *s)
{
	char serial[17];
	cJSON *o;

	if (!s->version) {
		cJSON_AddNullToObject(n, "revoked");
		return;
	}
	o = cJSON_CreateObject();
	snprintf(serial, sizeof(serial), "%016llx", (unsigned long long)s->serial);
	cJSON_AddStringToObject(o, "serial", serial);
	cJSON_AddNumberToObject(o, "list_version", (double)s->version);
	add_time(o, "issued", s->issued);
	add_time(o, "since", s->since);
	cJSON_AddItemToObject(n, "revoked", o);
}

/* What status shows of a certificate: serial, groups, validity. */
static void add_cert(cJSON *o, const struct wf_cert *c)
{
	char serial[17];

	snprintf(serial, sizeof(serial), "%016llx", (unsigned long long)c->serial);
	cJSON_AddStringToObject(o, "serial", serial);
	cJSON_AddItemToObject(o, "groups", groups_array(c));
	add_time(o, "not_before", c->not_before);
	add_time(o, "not_after", c->not_after);
}

/* Per peer only the reasons that happened; node-wide all of them. */
static cJSON *drops_object(const uint64_t *drops, bool all)
{
	cJSON *o = cJSON_CreateObject();

	for (int i = 0; i < WF_DROP_MAX; i++)
		if (all || WF_GET(drops[i]))
			cJSON_AddNumberToObject(o, wf_drop_name(i), (double)WF_GET(drops[i]));
	return o;
}

static cJSON *handshakes_object(const struct wf_daemon *d)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "initiated", (double)d->hs.count.initiated);
	cJSON_AddNumberToObject(o, "completed", (double)d->hs.count.completed);
	cJSON_AddNumberToObject(o, "answered", (double)d->hs.count.answered);
	cJSON_AddNumberToObject(o, "proven", (double)d->hs.count.proven);
	cJSON_AddNumberToObject(o, "cookies_sent", (double)d->hs.count.cookies);
	cJSON_AddNumberToObject(o, "hearsay_held", (double)d->hs.count.hearsay_held);
	cJSON_AddNumberToObject(o, "revoked_told", (double)d->hs.count.revoked_told);
	cJSON_AddNumberToObject(o, "revoked_told_held", (double)d->hs.count.revoked_told_held);
	cJSON_AddNumberToObject(o, "unproven_peers", d->peers.n_unproven);
	return o;
}

/* {"tun_tso": {"on": true, "why": null}, "udp_gso": {"on": false, "why": "weft.conf"}, ...} */
static cJSON *offloads_object(const struct wf_offloads *off)
{
	cJSON *o = cJSON_CreateObject();

	for (unsigned i = 0; i < WF_OFFLOADS; i++) {
		const char *conf, *name;
		const struct wf_offload *of = wf_offload_nth(off, i, &conf, &name);
		cJSON *e = cJSON_CreateObject();
		bool on = wf_offload_on(of);

		cJSON_AddBoolToObject(e, "on", on);
		if (on)
			cJSON_AddNullToObject(e, "why");
		else
			cJSON_AddStringToObject(e, "why", of->why);
		cJSON_AddItemToObject(o, name, e);
	}
	return o;
}

/* What one worker did: [{"tun_super_packets": N, ...}, ...], the control
 * thread's share not among them. */
static cJSON *worker_counts(const struct wf_daemon *d)
{
	cJSON *a = cJSON_CreateArray();

	for (unsigned i = 0; i < d->dp.n_workers; i++) {
		const struct wf_worker *w = &d->dp.w[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "tun_reads", (double)WF_GET(w->batch.tun_reads));
		cJSON_AddNumberToObject(o, "udp_reads", (double)WF_GET(w->batch.udp_reads));
		cJSON_AddNumberToObject(o, "tun_super_packets", (double)WF_GET(w->batch.tun_super));
		cJSON_AddNumberToObject(o, "udp_gso_sends", (double)WF_GET(w->batch.gso_sends));
		cJSON_AddNumberToObject(o, "udp_gro_runs", (double)WF_GET(w->batch.gro_runs));
		cJSON_AddNumberToObject(o, "tun_coalesced_writes",
					(double)WF_GET(w->batch.tun_joined));
		/* Its flow table: flows it opened, and those others noted to it. */
		cJSON_AddNumberToObject(o, "fw_flows_created", (double)WF_GET(w->fw.stats.created));
		cJSON_AddNumberToObject(o, "fw_flows_adopted", (double)WF_GET(w->fw.stats.adopted));
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

/* How much the offloads were used since the start. */
static cJSON *offload_counts(const struct wf_daemon *d)
{
	cJSON *o = cJSON_CreateObject();
	uint64_t c[4] = {0};

	/* Each worker counts its own (and the control thread what it sends
	 * for them); the sum is the node's. */
	for (unsigned i = 0; i <= d->dp.n_workers; i++) {
		const struct wf_worker *w = i < d->dp.n_workers ? &d->dp.w[i] : &d->dp.ctl;

		c[0] += WF_GET(w->batch.tun_super);
		c[1] += WF_GET(w->batch.gso_sends);
		c[2] += WF_GET(w->batch.gro_runs);
		c[3] += WF_GET(w->batch.tun_joined);
	}
	cJSON_AddNumberToObject(o, "tun_super_packets", (double)c[0]);
	cJSON_AddNumberToObject(o, "udp_gso_sends", (double)c[1]);
	cJSON_AddNumberToObject(o, "udp_gro_runs", (double)c[2]);
	cJSON_AddNumberToObject(o, "tun_coalesced_writes", (double)c[3]);
	return o;
}

/* What gossip holds of a member: liveness, incarnation, how we learned it. */
static void add_member(cJSON *o, const struct wf_daemon *d, const struct wf_peer *p)
{
	const struct wf_gmember *m = d->mem.gossip.m ? wf_gossip_find(&d->mem.gossip, p->cert.pubkey) : NULL;
	cJSON *g;

	if (!m) {
		cJSON_AddNullToObject(o, "member");
		return;
	}
	g = cJSON_CreateObject();
	cJSON_AddStringToObject(g, "state", wf_gossip_state_name(m->state));
	cJSON_AddNumberToObject(g, "incarnation", (double)m->inc);
	cJSON_AddStringToObject(g, "learned", wf_gossip_how_name(m->how));
	cJSON_AddBoolToObject(g, "kept", wf_gossip_wanted(&d->mem.gossip, p->cert.pubkey));
	cJSON_AddNumberToObject(g, "told_waiting", m->told);
	cJSON_AddNumberToObject(g, "sync_refused", m->sync_refused);
	cJSON_AddNumberToObject(g, "relay_refused", m->relay_refused);
	cJSON_AddItemToObject(o, "member", g);
}

/* Gossip's smoothed round trip to p, in ms to the microsecond; null
 * before its first sample. */
static void add_rtt(cJSON *o, const struct wf_daemon *d, const struct wf_peer *p)
{
	const struct wf_gmember *m = d->mem.gossip.m ? wf_gossip_find(&d->mem.gossip, p->cert.pubkey) : NULL;

	if (!m || !m->rtt_samples) {
		cJSON_AddNullToObject(o, "rtt_ms");
		cJSON_AddNullToObject(o, "rttvar_ms");
		return;
	}
	cJSON_AddNumberToObject(o, "rtt_ms", m->srtt_us / 1000.0);
	cJSON_AddNumberToObject(o, "rttvar_ms", m->rttvar_us / 1000.0);
}

/* Records of keys we hold no certificate of, waiting for one. */
static cJSON *waiting_object(const struct wf_gossip *g)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "records", g->n_wait);
	cJSON_AddNumberToObject(o, "bytes", (double)g->cap_wait * sizeof(*g->wait));
	cJSON_AddNumberToObject(o, "max", g->cfg.wait_max);
	cJSON_AddNumberToObject(o, "max_per_member", g->cfg.wait_teller);
	cJSON_AddNumberToObject(o, "waited", (double)g->st.waited);
	cJSON_AddNumberToObject(o, "certified", (double)g->st.certified);
	cJSON_AddNumberToObject(o, "expired", (double)g->st.wait_expired);
	cJSON_AddNumberToObject(o, "refused", (double)g->st.wait_refused);
	return o;
}

/* The membership core's figures for this node. */
static cJSON *gossip_object(const struct wf_daemon *d)
{
	const struct wf_gossip *g = &d->mem.gossip;
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "members", wf_gossip_size(g));
	cJSON_AddNumberToObject(o, "live", g->n_live);
	cJSON_AddNumberToObject(o, "incarnation", g->m ? (double)g->m[0].inc : 0);
	cJSON_AddNumberToObject(o, "local_health", g->awareness);
	cJSON_AddNumberToObject(o, "messages_sent", (double)g->st.msgs_out);
	cJSON_AddNumberToObject(o, "bytes_sent", (double)g->st.bytes_out);
	cJSON_AddNumberToObject(o, "messages_received", (double)g->st.msgs_in);
	cJSON_AddNumberToObject(o, "malformed", (double)g->st.malformed);
	cJSON_AddNumberToObject(o, "probes", (double)g->st.probes);
	cJSON_AddNumberToObject(o, "probes_failed", (double)g->st.probes_failed);
	cJSON_AddNumberToObject(o, "suspected", (double)g->st.suspected);
	cJSON_AddNumberToObject(o, "died", (double)g->st.died);
	cJSON_AddNumberToObject(o, "refuted", (double)g->st.refuted);
	cJSON_AddNumberToObject(o, "syncs", (double)g->st.syncs);
	cJSON_AddNumberToObject(o, "sync_refused", (double)g->st.sync_refused);
	cJSON_AddNumberToObject(o, "relay_refused", (double)g->st.relay_refused);
	cJSON_AddItemToObject(o, "waiting", waiting_object(g));
	cJSON_AddNumberToObject(o, "unsent", (double)d->mem.unsent);
	cJSON_AddNumberToObject(o, "outbox_overflow", (double)d->mem.overflow);
	return o;
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
/* The sanitizers' allocator keeps the count (their header is not always
 * installed: the declaration of <sanitizer/allocator_interface.h>). */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

/* The bytes the daemon has allocated now (its heap in use). */
static double heap_in_use(void)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	return (double)__sanitizer_get_current_allocated_bytes();
#else
	struct mallinfo2 mi = mallinfo2();

	return (double)(mi.uordblks + mi.hblkhd);
#endif
}

/* Full mesh or on demand, and what the sessions cost. */
static cJSON *sessions_object(struct wf_daemon *d, int64_t now)
{
	cJSON *o = cJSON_CreateObject();
	unsigned up = 0, idle = 0;

	for (struct wf_peer *p = d->peers.list; p; p = p->next) {
		const char *s = wf_peer_state(d, p, now);

		up += !strcmp(s, "up");
		idle += !strcmp(s, "idle");
	}
	cJSON_AddStringToObject(o, "mode", d->mem.gossip.sparse ? "on demand" : "full mesh");
	cJSON_AddNumberToObject(o, "full_mesh_max", d->node.cfg.full_mesh_max);
	cJSON_AddNumberToObject(o, "up", up);
	cJSON_AddNumberToObject(o, "idle", idle);
	cJSON_AddNumberToObject(o, "kept_for_gossip", d->mem.gossip.sparse ? d->mem.gossip.n_want : up);
	cJSON_AddNumberToObject(o, "heap_bytes", heap_in_use());
	return o;
}

/* Names for members (names.c): on or off, the domain, and what was asked. */
static cJSON *dns_object(const struct wf_daemon *d)
{
	const struct wf_names *s = &d->names;
	cJSON *o = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "enabled", s->on);
	cJSON_AddStringToObject(o, "domain", s->on ? s->domain : "");
	cJSON_AddNumberToObject(o, "names", s->zone ? (double)wf_dns_zone_count(s->zone) : 0);
	cJSON_AddNumberToObject(o, "queries", (double)s->count.queries);
	cJSON_AddNumberToObject(o, "answered", (double)s->count.answered);
	cJSON_AddNumberToObject(o, "refused", (double)s->count.refused);
	cJSON_AddNumberToObject(o, "nxdomain", (double)s->count.nxdomain);
	cJSON_AddNumberToObject(o, "dropped", (double)s->count.dropped);
	cJSON_AddStringToObject(o, "resolved", wf_resolved_state(d));
	return o;
}

static cJSON *node_object(struct wf_daemon *d, int64_t now)
{
	cJSON *n = cJSON_CreateObject();
	char buf[WF_ADDR_STRLEN], key[64];

	wf_base64_encode(d->node.self.pubkey, WF_KEY_LEN, key, sizeof(key));
	cJSON_AddStringToObject(n, "name", d->node.self.name);
	cJSON_AddStringToObject(n, "network", d->node.self.network);
	cJSON_AddStringToObject(n, "interface", d->node.ifname);
	cJSON_AddItemToObject(n, "addresses", prefix_array(d->node.self.addrs, d->node.self.n_addrs));
	cJSON_AddItemToObject(n, "routes", prefix_array(d->node.self.routes, d->node.self.n_routes));
	cJSON_AddStringToObject(n, "listen", wf_endpoint_str(&d->node.cfg.listen, buf, sizeof(buf)));
	cJSON_AddStringToObject(n, "public_key", key);
	cJSON_AddNumberToObject(n, "mtu", d->node.mtu);
	cJSON_AddNumberToObject(n, "workers", d->dp.n_workers);
	cJSON_AddItemToObject(n, "worker_counts", worker_counts(d));
	cJSON_AddItemToObject(n, "offloads", offloads_object(&d->dp.off));
	cJSON_AddItemToObject(n, "offload_counts", offload_counts(d));
	wf_kernel_status(d, n);
	cJSON_AddNumberToObject(n, "uptime_seconds", (double)((now - d->node.started_ms) / 1000));
	cJSON_AddItemToObject(n, "gossip", gossip_object(d));
	cJSON_AddItemToObject(n, "sessions", sessions_object(d, now));
	cJSON_AddNumberToObject(n, "revocation_list_version", (double)d->mem.revoked.version);
	add_self_revoked(n, &d->mem.self_revoked);
	cJSON_AddStringToObject(n, "restart_pending", d->node.restart_pending);
	cJSON_AddItemToObject(n, "dns", dns_object(d));
	wf_filter_status(d, n);
	add_cert(n, &d->node.self);
	add_time(n, "ca_not_after", d->node.ca.not_after);
	cJSON_AddItemToObject(n, "allowed_routes", prefix_array(d->node.ca.allowed, d->node.ca.n_allowed));
	return n;
}

/* The prefixes of p's certificate that it does not hold in the route
 * table (refused: another certificate holds them, or they are this node's). */
static cJSON *not_held(const struct wf_daemon *d, const struct wf_peer *p)
{
	cJSON *a = cJSON_CreateArray();
	char buf[WF_ADDR_STRLEN];

	for (unsigned i = 0; p->proven && i < p->cert.n_addrs + p->cert.n_routes; i++) {
		const struct wf_prefix *x =
		    i < p->cert.n_addrs ? &p->cert.addrs[i] : &p->cert.routes[i - p->cert.n_addrs];

		if (wf_routes_get(d->peers.routes, x) != p)
			cJSON_AddItemToArray(a, cJSON_CreateString(wf_prefix_str(
						    x, i < p->cert.n_addrs, buf, sizeof(buf))));
	}
	return a;
}

/* The routes of p's that this node put on the device for it (subnets.c):
 * those outside the overlay that p holds here. */
static cJSON *kernel_routes(const struct wf_daemon *d, const struct wf_peer *p)
{
	cJSON *a = cJSON_CreateArray();
	char buf[WF_ADDR_STRLEN];

	for (unsigned i = 0; i < p->cert.n_routes; i++) {
		const struct wf_prefix *r = &p->cert.routes[i];

		if (wf_subnets_added(&d->lan, r) && wf_routes_get(d->peers.routes, r) == p)
			cJSON_AddItemToArray(a, cJSON_CreateString(wf_prefix_str(r, false, buf,
										  sizeof(buf))));
	}
	return a;
}

/* The path MTU search (core/pmtud.h): null until the path was looked at. */
static void add_pmtud(cJSON *o, const struct wf_peer *p)
{
	const struct wf_pmtud *s = &p->pmtud;
	cJSON *x;

	if (!s->max) {
		cJSON_AddNullToObject(o, "pmtud");
		return;
	}
	x = cJSON_AddObjectToObject(o, "pmtud");
	cJSON_AddStringToObject(x, "state", wf_pmtud_state_name(s->state));
	cJSON_AddNumberToObject(x, "pmtu", s->plpmtu);
	cJSON_AddNumberToObject(x, "route_mtu", s->max);
	cJSON_AddNumberToObject(x, "probing", s->probed);
	cJSON_AddNumberToObject(x, "probes", (double)s->probes);
	cJSON_AddNumberToObject(x, "acks", (double)s->acks);
	cJSON_AddNumberToObject(x, "losses", (double)s->losses);
	cJSON_AddNumberToObject(x, "black_holes", (double)s->black_holes);
}

/* UDP segmentation to the peer: on, or off and why (for how long). */
static void add_segmentation(cJSON *o, const struct wf_daemon *d, const struct wf_peer *p,
			     uint64_t sends)
{
	int64_t until = __atomic_load_n(&p->gso.until_ms, __ATOMIC_ACQUIRE), mono = wf_now_ms();
	int err = WF_GET(p->gso.err);
	bool global = wf_offload_on(&d->dp.off.udp_gso), off = until && mono < until;
	cJSON *x = cJSON_AddObjectToObject(o, "segmentation");

	cJSON_AddBoolToObject(x, "on", global && !off);
	if (!global)
		cJSON_AddStringToObject(x, "why", d->dp.off.udp_gso.why);
	else if (off)
		cJSON_AddStringToObject(x, "why", strerror(err));
	else
		cJSON_AddNullToObject(x, "why");
	if (global && off)
		cJSON_AddNumberToObject(x, "retry_seconds", (double)((until - mono + 999) / 1000));
	else
		cJSON_AddNullToObject(x, "retry_seconds");
	cJSON_AddNumberToObject(x, "refusals", WF_GET(p->gso.refusals));
	if (err)
		cJSON_AddStringToObject(x, "last_refusal", strerror(err));
	else
		cJSON_AddNullToObject(x, "last_refusal");
	cJSON_AddNumberToObject(x, "sends", (double)sends);
}

static cJSON *peer_object(struct wf_daemon *d, struct wf_peer *p, int64_t now)
{
	cJSON *o = cJSON_CreateObject();
	struct wf_peer_count t = wf_peer_traffic(p);
	char buf[WF_ADDR_STRLEN];

	cJSON_AddStringToObject(o, "name", p->cert.name);
	cJSON_AddItemToObject(o, "addresses", prefix_array(p->cert.addrs, p->cert.n_addrs));
	cJSON_AddItemToObject(o, "routes", prefix_array(p->cert.routes, p->cert.n_routes));
	cJSON_AddItemToObject(o, "not_held", not_held(d, p));
	cJSON_AddItemToObject(o, "kernel_routes", kernel_routes(d, p));
	add_cert(o, &p->cert);
	if (p->has_endpoint) {
		cJSON_AddStringToObject(o, "endpoint", wf_endpoint_str(&p->endpoint, buf, sizeof(buf)));
		cJSON_AddStringToObject(o, "endpoint_source", p->ep_source == WF_EP_AUTHENTIC
								  ? "authenticated"
								  : "hearsay");
	} else {
		cJSON_AddNullToObject(o, "endpoint");
		cJSON_AddNullToObject(o, "endpoint_source");
	}
	if (p->has_endpoint && p->ep_source == WF_EP_HEARSAY)
		cJSON_AddStringToObject(o, "endpoint_via", p->ep_via);
	else
		cJSON_AddNullToObject(o, "endpoint_via");
	cJSON_AddBoolToObject(o, "proven", p->proven);
	cJSON_AddStringToObject(o, "state", wf_peer_state(d, p, now));
	add_member(o, d, p);
	cJSON_AddNumberToObject(o, "mtu", p->mtu ? p->mtu : d->node.mtu);
	add_pmtud(o, p);
	add_segmentation(o, d, p, t.gso_sends);
	if (p->last_handshake_ms)
		cJSON_AddNumberToObject(o, "last_handshake_seconds",
					(double)((now - p->last_handshake_ms) / 1000));
	else
		cJSON_AddNullToObject(o, "last_handshake_seconds");
	add_rtt(o, d, p);
	cJSON_AddNumberToObject(o, "rx_bytes", (double)t.rx_bytes);
	cJSON_AddNumberToObject(o, "tx_bytes", (double)t.tx_bytes);
	cJSON_AddNumberToObject(o, "rx_packets", (double)t.rx_packets);
	cJSON_AddNumberToObject(o, "tx_packets", (double)t.tx_packets);
	cJSON_AddItemToObject(o, "drops", drops_object(p->drops, false));
	wf_kernel_peer_status(d, p, o);
	return o;
}

/* Shown: the members that proved their key, and those we were told of and
 * try; not the strangers that exist only because of initiations. */
static bool shown(const struct wf_peer *p)
{
	return p->proven || p->has_endpoint;
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(struct wf_peer *const *)a)->cert.name, (*(struct wf_peer *const *)b)->cert.name);
}

/* The members seen revoked, newest first. */
static cJSON *revoked_array(const struct wf_daemon *d)
{
	const struct wf_revoked_peer *order[WF_REVOKED_SHOWN];
	cJSON *a = cJSON_CreateArray();
	unsigned n = d->mem.n_gone;

	for (unsigned i = 0; i < n; i++) {
		unsigned j = i;

		for (; j && order[j - 1]->since < d->mem.gone[i].since; j--)
			order[j] = order[j - 1];
		order[j] = &d->mem.gone[i];
	}
	for (unsigned i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		char serial[17];

		snprintf(serial, sizeof(serial), "%016llx", (unsigned long long)order[i]->serial);
		cJSON_AddStringToObject(o, "name", order[i]->name);
		cJSON_AddStringToObject(o, "serial", serial);
		add_time(o, "since", order[i]->since);
		cJSON_AddNumberToObject(o, "refused", (double)order[i]->refused);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

char *wf_status_json(struct wf_daemon *d)
{
	int64_t now = wf_now_ms();
	cJSON *root = cJSON_CreateObject(), *peers = cJSON_CreateArray();
	struct wf_peer **sorted = calloc(d->peers.n ? d->peers.n : 1, sizeof(*sorted));
	unsigned n = 0;
	char *out;

	if (!sorted || !root || !peers) {
		free(sorted);
		cJSON_Delete(root);
		cJSON_Delete(peers);
		return NULL;
	}
	for (struct wf_peer *p = d->peers.list; p && n < d->peers.n; p = p->next)
		if (shown(p))
			sorted[n++] = p;
	qsort(sorted, n, sizeof(*sorted), by_name);
	cJSON_AddNumberToObject(root, "version", 1);
	cJSON_AddItemToObject(root, "node", node_object(d, now));
	for (unsigned i = 0; i < n; i++)
		cJSON_AddItemToArray(peers, peer_object(d, sorted[i], now));
	free(sorted);
	cJSON_AddItemToObject(root, "peers", peers);
	cJSON_AddItemToObject(root, "revoked_peers", revoked_array(d));
	cJSON_AddItemToObject(root, "drops", drops_object(d->drops, true));
	cJSON_AddItemToObject(root, "handshakes", handshakes_object(d));
	out = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return out;
}

char *wf_control_answer(bool ok, const char *key, const char *text)
{
	cJSON *root = cJSON_CreateObject();
	char *json, *out;
	size_t n;

	cJSON_AddStringToObject(root, ok ? key : "error", text);
	json = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (!json)
		return NULL;
	n = strlen(json);
	out = malloc(n + 2);
	if (out) {
		memcpy(out, json, n);
		memcpy(out + n, "\n", 2);
	}
	cJSON_free(json);
	return out;
}
