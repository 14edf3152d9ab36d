/* SPDX-License-Identifier: MIT */
/*
 * The Prometheus endpoint (exporter.h): the snapshot, filled from the
 * daemon's own figures (the same ones weft status shows), rendered by
 * common/metrics.c and served by libmicrohttpd from the control thread.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <microhttpd.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"
#include "crypto/crypto.h"
#include "daemon/daemon.h"
#include "daemon/exporter.h"
#include "daemon/peer.h"
#include "daemon/udp.h"
#include "daemon/worker.h"
#include "weft/version.h"

enum {
	CONNECTIONS = 16,	 /* at once, in all */
	CONNECTIONS_PER_IP = 4,	 /* at once, from one address */
	CONNECTION_TIMEOUT_S = 5, /* a client that says nothing for this long goes */
};

static const char CONTENT_TYPE[] = "text/plain; version=0.0.4; charset=utf-8";

/* --- The snapshot ---------------------------------------------------------- */

struct snapshot {
	struct wf_metrics m;
	struct wf_metrics_count drops[WF_DROP_MAX], offloads[WF_OFFLOADS];
	struct wf_metrics_worker *workers;
	struct wf_metrics_peer *peers;
	struct wf_metrics_count *peer_drops; /* WF_DROP_MAX a peer */
};

static enum wf_metrics_session session_of(const char *state)
{
	if (!strcmp(state, "up"))
		return WF_METRICS_UP;
	if (!strcmp(state, "connecting"))
		return WF_METRICS_CONNECTING;
	if (!strcmp(state, "idle"))
		return WF_METRICS_IDLE;
	return WF_METRICS_DOWN;
}

/* Unix seconds of a monotonic time (ms) in the past. */
static int64_t unix_of(int64_t mono_ms, int64_t now)
{
	return (int64_t)(wf_realtime_ns() / 1000000000u) - (now - mono_ms) / 1000;
}

static void node_figures(struct wf_daemon *d, struct snapshot *s, int64_t now)
{
	const struct wf_gossip *g = &d->mem.gossip;
	struct wf_metrics *m = &s->m;

	m->version = WEFT_VERSION;
	m->node = d->node.self.name;
	m->network = d->node.self.network;
	m->cipher = wf_cipher_name(d->node.ca.cipher);
	m->start_time = unix_of(d->node.started_ms, now);
	m->cert_not_after = d->node.self.not_after;
	m->ca_not_after = d->node.ca.not_after;
	m->revocation_list_version = d->mem.revoked.version;
	m->revoked = d->mem.self_revoked.version != 0;
	m->revoked_told = d->hs.count.revoked_told;
	m->revoked_told_held = d->hs.count.revoked_told_held;
	for (uint32_t i = 0; g->m && i < g->n; i++)
		if (g->m[i].state < WF_METRICS_MEMBER_STATES)
			m->members[g->m[i].state]++;
	m->suspected = g->st.suspected;
	m->died = g->st.died;
	m->refuted = g->st.refuted;
	m->hs_initiated = d->hs.count.initiated;
	m->hs_completed = d->hs.count.completed;
	m->hs_answered = d->hs.count.answered;
	m->hs_proven = d->hs.count.proven;
	m->cookies_sent = d->hs.count.cookies;
	for (int i = 0; i < WF_DROP_MAX; i++)
		s->drops[i] = (struct wf_metrics_count){wf_drop_name(i), WF_GET(d->drops[i])};
	m->drops = s->drops;
	m->n_drops = WF_DROP_MAX;
	for (unsigned i = 0; i < WF_OFFLOADS; i++) {
		const char *conf, *name;
		const struct wf_offload *o = wf_offload_nth(&d->dp.off, i, &conf, &name);

		s->offloads[i] = (struct wf_metrics_count){name, wf_offload_on(o)};
	}
	m->offloads = s->offloads;
	m->n_offloads = WF_OFFLOADS;
}

static void worker_figures(struct wf_daemon *d, struct snapshot *s)
{
	for (unsigned i = 0; i < d->dp.n_workers; i++) {
		const struct wf_worker *w = &d->dp.w[i];

		s->workers[i] = (struct wf_metrics_worker){
		    .tun_reads = WF_GET(w->batch.tun_reads),
		    .udp_reads = WF_GET(w->batch.udp_reads),
		    .tun_super_packets = WF_GET(w->batch.tun_super),
		    .udp_gso_sends = WF_GET(w->batch.gso_sends),
		    .udp_gro_runs = WF_GET(w->batch.gro_runs),
		    .tun_coalesced_writes = WF_GET(w->batch.tun_joined),
		};
	}
	s->m.workers = s->workers;
	s->m.n_workers = d->dp.n_workers;
}

/* How p's packets travel: "udp4", "udp6", or on the kernel path "esp4",
 * "esp6" (ESP in UDP too); NULL with no endpoint. */
static const char *path_of(const struct wf_daemon *d, const struct wf_peer *p)
{
	bool v6 = p->endpoint.sa.sa_family == AF_INET6 &&
		  !IN6_IS_ADDR_V4MAPPED(&p->endpoint.in6.sin6_addr);
	bool esp = strcmp(wf_kernel_peer_path(d, p), "userspace") != 0;

	if (!p->has_endpoint)
		return NULL;
	return esp ? (v6 ? "esp6" : "esp4") : (v6 ? "udp6" : "udp4");
}

/* One peer, as weft status shows it (its non-zero drops only). */
static void peer_figures(struct wf_daemon *d, struct wf_peer *p, struct wf_metrics_peer *o,
			 struct wf_metrics_count *drops, int64_t now)
{
	struct wf_peer_count t = wf_peer_traffic(p);
	const struct wf_gmember *m = d->mem.gossip.m ? wf_gossip_find(&d->mem.gossip, p->cert.pubkey) : NULL;
	size_t n = 0;

	for (int i = 0; i < WF_DROP_MAX; i++)
		if (WF_GET(p->drops[i]))
			drops[n++] = (struct wf_metrics_count){wf_drop_name(i), WF_GET(p->drops[i])};
	*o = (struct wf_metrics_peer){
	    .name = p->cert.name,
	    .rx_bytes = t.rx_bytes,
	    .tx_bytes = t.tx_bytes,
	    .rx_packets = t.rx_packets,
	    .tx_packets = t.tx_packets,
	    .drops = drops,
	    .n_drops = n,
	    .last_handshake = p->last_handshake_ms ? unix_of(p->last_handshake_ms, now) : 0,
	    .session = session_of(wf_peer_state(d, p, now)),
	    .path = path_of(d, p),
	    .mtu = p->mtu ? p->mtu : d->node.mtu,
	    /* (Measured under a microsecond is shown as one: 0 is "none".) */
	    .rtt_us = m && m->rtt_samples ? (m->srtt_us ? m->srtt_us : 1) : 0,
	    .pmtu = p->pmtud.max ? p->pmtud.plpmtu : 0,
	    .pmtu_probes = p->pmtud.probes,
	    .pmtu_losses = p->pmtud.losses,
	    .pmtu_black_holes = p->pmtud.black_holes,
	    .gso_refusals = WF_GET(p->gso.refusals),
	    .gso_off = wf_now_ms() < __atomic_load_n(&p->gso.until_ms, __ATOMIC_ACQUIRE),
	};
}

static void snapshot_free(struct snapshot *s)
{
	free(s->workers);
	free(s->peers);
	free(s->peer_drops);
}

static bool snapshot_take(struct wf_daemon *d, struct snapshot *s, int64_t now)
{
	size_t n = 0, cap = d->peers.n ? d->peers.n : 1;

	memset(s, 0, sizeof(*s));
	s->workers = calloc(d->dp.n_workers ? d->dp.n_workers : 1, sizeof(*s->workers));
	s->peers = calloc(cap, sizeof(*s->peers));
	s->peer_drops = calloc(cap * WF_DROP_MAX, sizeof(*s->peer_drops));
	if (!s->workers || !s->peers || !s->peer_drops) {
		snapshot_free(s);
		return false;
	}
	node_figures(d, s, now);
	worker_figures(d, s);
	/* The peers weft status lists: proven, or told of and tried. */
	for (struct wf_peer *p = d->peers.list; p && n < cap; p = p->next)
		if (p->proven || p->has_endpoint) {
			peer_figures(d, p, &s->peers[n], &s->peer_drops[n * WF_DROP_MAX], now);
			n++;
		}
	s->m.peers = s->peers;
	s->m.n_peers = n;
	return true;
}

char *wf_exporter_text(struct wf_daemon *d, int64_t now, size_t *len)
{
	struct snapshot s;
	char *text;

	if (!snapshot_take(d, &s, now))
		return NULL;
	text = wf_metrics_render(&s.m, len);
	snapshot_free(&s);
	return text;
}

/* --- HTTP ------------------------------------------------------------------ */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, char *body, size_t len,
			     enum MHD_ResponseMemoryMode mode, const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ok;

	if (!r) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ok = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_len, void **req)
{
	static const char not_found[] = "not found: weft serves /metrics only\n";
	static const char not_allowed[] = "method not allowed: GET /metrics\n";
	struct wf_daemon *d = cls;
	size_t len;
	char *text;

	(void)version, (void)upload, (void)req;
	if (*upload_len) { /* a body: nothing weft reads */
		*upload_len = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/metrics")) {
		d->exp.refused++;
		return reply(c, MHD_HTTP_NOT_FOUND, (char *)not_found, sizeof(not_found) - 1,
			     MHD_RESPMEM_PERSISTENT, "text/plain; charset=utf-8");
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		d->exp.refused++;
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, (char *)not_allowed,
			     sizeof(not_allowed) - 1, MHD_RESPMEM_PERSISTENT,
			     "text/plain; charset=utf-8");
	}
	text = wf_exporter_text(d, wf_now_ms(), &len);
	if (!text)
		return MHD_NO; /* out of memory: the connection is closed */
	d->exp.served++;
	return reply(c, MHD_HTTP_OK, text, len, MHD_RESPMEM_MUST_FREE, CONTENT_TYPE);
}

static void on_mhd_error(void *cls, const char *fmt, va_list ap)
{
	char msg[256];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_warnx_rl("metrics: %s", msg);
}

bool wf_exporter_start(struct wf_daemon *d)
{
	const struct wf_config *c = &d->node.cfg;
	struct wf_exporter *x = &d->exp;
	const union MHD_DaemonInfo *info;
	struct epoll_event ev = {.events = EPOLLIN};
	char where[WF_ADDR_STRLEN];
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;

	x->mhd = NULL;
	x->fd = -1;
	if (!c->has_metrics)
		return true;
	wf_endpoint_str(&c->metrics, where, sizeof(where));
	if (c->metrics.sa.sa_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	x->mhd = MHD_start_daemon(
	    flags, wf_endpoint_port(&c->metrics), NULL, NULL, on_request, d,
	    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_error, NULL, MHD_OPTION_SOCK_ADDR, &c->metrics.sa,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTIONS, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned)CONNECTIONS_PER_IP, MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned)CONNECTION_TIMEOUT_S, MHD_OPTION_END);
	if (!x->mhd) {
		log_errorx("metrics: cannot serve on %s (is the address on this host, the port free?)",
			   where);
		return false;
	}
	info = MHD_get_daemon_info(x->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	ev.data.fd = info ? info->epoll_fd : -1;
	if (ev.data.fd < 0 || epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0) {
		log_error("metrics: epoll_ctl");
		wf_exporter_stop(d);
		return false;
	}
	x->fd = ev.data.fd;
	log_info("metrics: serving http://%s/metrics", where);
	return true;
}

void wf_exporter_run(struct wf_daemon *d)
{
	if (d->exp.mhd)
		MHD_run(d->exp.mhd);
}

void wf_exporter_stop(struct wf_daemon *d)
{
	if (d->exp.mhd)
		MHD_stop_daemon(d->exp.mhd); /* (closes its epoll descriptor) */
	d->exp.mhd = NULL;
	d->exp.fd = -1;
}
