/* SPDX-License-Identifier: MIT */
/*
 * The text exposition format: "# HELP" and "# TYPE" once per family, then
 * its samples, `name{label="value",...} value`, every sample of a family
 * together. Label values escape backslash, double quote and newline; names
 * and help texts are this file's own. Counters end in _total, times are Unix
 * seconds (_timestamp_seconds), sizes bytes: Prometheus' conventions.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/metrics.h"

struct label {
	const char *key, *value;
};

enum { MAX_LABELS = 3 };

static const char *const session_names[] = {"up", "connecting", "idle", "down"};
static const char *const member_names[] = {"alive", "suspect", "dead", "left"};

const char *wf_metrics_session_name(enum wf_metrics_session s)
{
	return (unsigned)s < WF_METRICS_SESSION_STATES ? session_names[s] : "unknown";
}

const char *wf_metrics_member_name(enum wf_metrics_member s)
{
	return (unsigned)s < WF_METRICS_MEMBER_STATES ? member_names[s] : "unknown";
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void series(FILE *f, const char *name, const struct label *l, size_t n)
{
	fputs(name, f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%s%s=\"", i ? "," : "{", l[i].key);
		escaped(f, l[i].value ? l[i].value : "");
		fputc('"', f);
	}
	fputs(n ? "} " : " ", f);
}

static void u64(FILE *f, const char *name, const struct label *l, size_t n, uint64_t v)
{
	series(f, name, l, n);
	fprintf(f, "%" PRIu64 "\n", v);
}

static void i64(FILE *f, const char *name, const struct label *l, size_t n, int64_t v)
{
	series(f, name, l, n);
	fprintf(f, "%" PRId64 "\n", v);
}

/* One unlabelled sample under its own family. */
static void single(FILE *f, const char *name, const char *type, const char *help, uint64_t v)
{
	family(f, name, type, help);
	u64(f, name, NULL, 0, v);
}

static void node_info(FILE *f, const struct wf_metrics *m)
{
	const struct label build[] = {{"version", m->version}};
	const struct label node[] = {
	    {"node", m->node}, {"network", m->network}, {"cipher", m->cipher}};
	const struct label certs[][1] = {{{"certificate", "node"}}, {{"certificate", "ca"}}};

	family(f, "weft_build_info", "gauge", "Always 1; the version of weft running.");
	u64(f, "weft_build_info", build, 1, 1);
	family(f, "weft_node_info", "gauge", "Always 1; this node's name, network and cipher.");
	u64(f, "weft_node_info", node, 3, 1);
	family(f, "weft_start_time_seconds", "gauge", "When the daemon started, Unix time.");
	i64(f, "weft_start_time_seconds", NULL, 0, m->start_time);
	family(f, "weft_certificate_expiry_timestamp_seconds", "gauge",
	       "When this node's certificate and the network's CA certificate end, Unix time.");
	i64(f, "weft_certificate_expiry_timestamp_seconds", certs[0], 1, m->cert_not_after);
	i64(f, "weft_certificate_expiry_timestamp_seconds", certs[1], 1, m->ca_not_after);
	single(f, "weft_revocation_list_version", "gauge",
	       "Version of the revocation list this node holds; 0 for none.",
	       m->revocation_list_version);
	single(f, "weft_node_revoked", "gauge",
	       "1 when this node's own certificate is on the revocation list it holds: every "
	       "member refuses it.",
	       m->revoked);
}

static void membership(FILE *f, const struct wf_metrics *m)
{
	family(f, "weft_members", "gauge",
	       "Members gossip knows, this node included, by state (dead and left ones until "
	       "forgotten).");
	for (unsigned s = 0; s < WF_METRICS_MEMBER_STATES; s++) {
		const struct label l[] = {{"state", member_names[s]}};

		u64(f, "weft_members", l, 1, m->members[s]);
	}
	single(f, "weft_suspicions_total", "counter",
	       "Members this node came to suspect, from its probes or from gossip.", m->suspected);
	single(f, "weft_member_deaths_total", "counter", "Members this node declared dead.",
	       m->died);
	single(f, "weft_refutations_total", "counter", "Suspicions of this node that it outlived.",
	       m->refuted);
}

static void handshakes(FILE *f, const struct wf_metrics *m)
{
	single(f, "weft_handshakes_initiated_total", "counter",
	       "Handshake initiations this node sent, retries included.", m->hs_initiated);
	single(f, "weft_handshakes_completed_total", "counter",
	       "Responses to this node's initiations that passed every check.", m->hs_completed);
	single(f, "weft_handshakes_answered_total", "counter", "Initiations this node answered.",
	       m->hs_answered);
	single(f, "weft_handshakes_proven_total", "counter",
	       "Answered handshakes the initiator proved with a packet on the new keys.",
	       m->hs_proven);
	single(f, "weft_cookies_sent_total", "counter",
	       "Cookie replies sent (under load, or to a short initiation).", m->cookies_sent);
	family(f, "weft_revocation_notices_total", "counter",
	       "Initiations refused for the revocation list: answered with a piece of it (sent), "
	       "or not (held: over a budget).");
	u64(f, "weft_revocation_notices_total", (const struct label[]){{"result", "sent"}}, 1,
	    m->revoked_told);
	u64(f, "weft_revocation_notices_total", (const struct label[]){{"result", "held"}}, 1,
	    m->revoked_told_held);
}

static void counts(FILE *f, const char *name, const char *key, const struct wf_metrics_count *c,
		   size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct label l[] = {{key, c[i].name}};

		u64(f, name, l, 1, c[i].value);
	}
}

static void node_counts(FILE *f, const struct wf_metrics *m)
{
	family(f, "weft_drops_total", "counter",
	       "Packets dropped, node-wide, by reason (docs/status-json.md lists the reasons).");
	counts(f, "weft_drops_total", "reason", m->drops, m->n_drops);
	family(f, "weft_offload_enabled", "gauge", "1 if the segmentation offload is in use.");
	counts(f, "weft_offload_enabled", "offload", m->offloads, m->n_offloads);
}

static void workers(FILE *f, const struct wf_metrics *m)
{
	static const char *const kinds[] = {"tun_super_packet", "udp_gso_send", "udp_gro_run",
					    "tun_coalesced_write"};
	char id[24];

	family(f, "weft_worker_reads_total", "counter",
	       "Reads of a data-plane worker, by source: each a packet or a batch of them.");
	for (size_t i = 0; i < m->n_workers; i++) {
		const struct label tun[] = {{"worker", id}, {"source", "tun"}};
		const struct label udp[] = {{"worker", id}, {"source", "udp"}};

		snprintf(id, sizeof(id), "%zu", i);
		u64(f, "weft_worker_reads_total", tun, 2, m->workers[i].tun_reads);
		u64(f, "weft_worker_reads_total", udp, 2, m->workers[i].udp_reads);
	}
	family(f, "weft_worker_batches_total", "counter",
	       "Batches a data-plane worker moved in one operation, by kind of offload.");
	for (size_t i = 0; i < m->n_workers; i++) {
		const struct wf_metrics_worker *w = &m->workers[i];
		const uint64_t v[] = {w->tun_super_packets, w->udp_gso_sends, w->udp_gro_runs,
				      w->tun_coalesced_writes};

		snprintf(id, sizeof(id), "%zu", i);
		for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			const struct label l[] = {{"worker", id}, {"kind", kinds[k]}};

			u64(f, "weft_worker_batches_total", l, 2, v[k]);
		}
	}
}

/* One per-peer family of counters: which field, read by offset. */
static void peer_traffic(FILE *f, const struct wf_metrics *m)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} fams[] = {
	    {"weft_peer_receive_bytes_total", "Bytes of inner packets received from the peer.",
	     offsetof(struct wf_metrics_peer, rx_bytes)},
	    {"weft_peer_transmit_bytes_total", "Bytes of inner packets sent to the peer.",
	     offsetof(struct wf_metrics_peer, tx_bytes)},
	    {"weft_peer_receive_packets_total", "Inner packets received from the peer.",
	     offsetof(struct wf_metrics_peer, rx_packets)},
	    {"weft_peer_transmit_packets_total", "Inner packets sent to the peer.",
	     offsetof(struct wf_metrics_peer, tx_packets)},
	};

	for (size_t k = 0; k < sizeof(fams) / sizeof(fams[0]); k++) {
		family(f, fams[k].name, "counter", fams[k].help);
		for (size_t i = 0; i < m->n_peers; i++) {
			const struct label l[] = {{"peer", m->peers[i].name}};
			const uint64_t *v =
			    (const uint64_t *)((const char *)&m->peers[i] + fams[k].off);

			u64(f, fams[k].name, l, 1, *v);
		}
	}
	family(f, "weft_peer_drops_total", "counter",
	       "Packets from or to the peer that were dropped, by reason.");
	for (size_t i = 0; i < m->n_peers; i++)
		for (size_t d = 0; d < m->peers[i].n_drops; d++) {
			const struct label l[] = {{"peer", m->peers[i].name},
						  {"reason", m->peers[i].drops[d].name}};

			u64(f, "weft_peer_drops_total", l, 2, m->peers[i].drops[d].value);
		}
}

static void peer_sessions(FILE *f, const struct wf_metrics *m)
{
	unsigned by_state[WF_METRICS_SESSION_STATES] = {0};

	family(f, "weft_peer_session_state", "gauge",
	       "1 for the state the session with the peer is in, 0 for the others.");
	for (size_t i = 0; i < m->n_peers; i++) {
		for (unsigned s = 0; s < WF_METRICS_SESSION_STATES; s++) {
			const struct label l[] = {{"peer", m->peers[i].name},
						  {"state", session_names[s]}};

			u64(f, "weft_peer_session_state", l, 2, m->peers[i].session == s);
		}
		if ((unsigned)m->peers[i].session < WF_METRICS_SESSION_STATES)
			by_state[m->peers[i].session]++;
	}
	family(f, "weft_peers", "gauge", "Peers (members but this node), by session state.");
	for (unsigned s = 0; s < WF_METRICS_SESSION_STATES; s++) {
		const struct label l[] = {{"state", session_names[s]}};

		u64(f, "weft_peers", l, 1, by_state[s]);
	}
}

/* Gauges a peer has only when known: no sample rather than a made-up 0. */
static void peer_gauges(FILE *f, const struct wf_metrics *m)
{
	family(f, "weft_peer_last_handshake_timestamp_seconds", "gauge",
	       "When the last handshake with the peer completed, Unix time (absent: never).");
	for (size_t i = 0; i < m->n_peers; i++) {
		const struct label l[] = {{"peer", m->peers[i].name}};

		if (m->peers[i].last_handshake)
			i64(f, "weft_peer_last_handshake_timestamp_seconds", l, 1,
			    m->peers[i].last_handshake);
	}
	family(
	    f, "weft_peer_path_info", "gauge",
	    "Always 1; how packets to the peer travel (udp4, udp6), for peers with an endpoint.");
	for (size_t i = 0; i < m->n_peers; i++) {
		const struct label l[] = {{"peer", m->peers[i].name}, {"path", m->peers[i].path}};

		if (m->peers[i].path)
			u64(f, "weft_peer_path_info", l, 2, 1);
	}
	family(f, "weft_peer_rtt_seconds", "gauge", "Round-trip time to the peer, last measured.");
	for (size_t i = 0; i < m->n_peers; i++) {
		const struct label l[] = {{"peer", m->peers[i].name}};

		if (!m->peers[i].rtt_us)
			continue;
		series(f, "weft_peer_rtt_seconds", l, 1);
		fprintf(f, "%" PRIu64 ".%06" PRIu64 "\n", m->peers[i].rtt_us / 1000000,
			m->peers[i].rtt_us % 1000000);
	}
	family(f, "weft_peer_mtu_bytes", "gauge", "Largest inner packet sent to the peer.");
	for (size_t i = 0; i < m->n_peers; i++) {
		const struct label l[] = {{"peer", m->peers[i].name}};

		if (m->peers[i].mtu)
			u64(f, "weft_peer_mtu_bytes", l, 1, m->peers[i].mtu);
	}
}

static uint64_t pmtud_figure(const struct wf_metrics_peer *p, size_t k)
{
	return k == 0 ? p->pmtu : k == 1 ? p->pmtu_probes : k == 2 ? p->pmtu_losses
								  : p->pmtu_black_holes;
}

/* A peer's path MTU search (for the peers whose path was looked at), and
 * its UDP segmentation. */
static void peer_pmtud(FILE *f, const struct wf_metrics *m)
{
	static const char *const fams[][3] = {
	    {"weft_peer_path_mtu_bytes", "gauge",
	     "Path MTU to the peer in use (underlay IP packet size), found by probes."},
	    {"weft_peer_pmtu_probes_total", "counter", "Path MTU probes sent to the peer."},
	    {"weft_peer_pmtu_lost_total", "counter", "Path MTU probes the peer did not answer."},
	    {"weft_peer_pmtu_black_holes_total", "counter",
	     "Times the path MTU in use stopped passing."},
	};

	for (size_t k = 0; k < sizeof(fams) / sizeof(fams[0]); k++) {
		family(f, fams[k][0], fams[k][1], fams[k][2]);
		for (size_t i = 0; i < m->n_peers; i++) {
			const struct label l[] = {{"peer", m->peers[i].name}};

			if (m->peers[i].pmtu)
				u64(f, fams[k][0], l, 1, pmtud_figure(&m->peers[i], k));
		}
	}
	family(f, "weft_peer_udp_gso_refusals_total", "counter",
	       "Segmented sends to the peer the kernel refused.");
	for (size_t i = 0; i < m->n_peers; i++) {
		const struct label l[] = {{"peer", m->peers[i].name}};

		u64(f, "weft_peer_udp_gso_refusals_total", l, 1, m->peers[i].gso_refusals);
	}
	family(f, "weft_peer_udp_gso_enabled", "gauge",
	       "1 while datagrams to the peer may leave segmented; 0 for a while after a refusal.");
	for (size_t i = 0; i < m->n_peers; i++) {
		const struct label l[] = {{"peer", m->peers[i].name}};

		u64(f, "weft_peer_udp_gso_enabled", l, 1, !m->peers[i].gso_off);
	}
}

char *wf_metrics_render(const struct wf_metrics *m, size_t *len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return NULL;
	node_info(f, m);
	membership(f, m);
	handshakes(f, m);
	node_counts(f, m);
	workers(f, m);
	peer_traffic(f, m);
	peer_sessions(f, m);
	peer_gauges(f, m);
	peer_pmtud(f, m);
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	*len = size;
	return buf;
}
