/* SPDX-License-Identifier: MIT */
/*
 * weft status: ask the running daemon for its status over the control socket
 * and print it as a table, or as the JSON itself with --json. The renderer
 * is forgiving about missing fields (an older or newer daemon may omit some)
 * but refuses a document of another major version.
 */
#include <stdarg.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/status.h"
#include "cli/status_fmt.h"
#include "daemon/config.h"

enum {
	NCOL = 10,
	QUERY_TIMEOUT_S = 3,
	MAX_RESPONSE = 64 << 20,
	WARN_DAYS = 30, /* certificates that expire within this are warned of */
};

static const char *const headers[NCOL] = {"PEER",      "ADDRESSES", "ENDPOINT", "STATE",
					  "HANDSHAKE", "RTT",	    "RX",	"TX",
					  "DROPS",     "EXPIRES"};

/* ["a", "b"] -> "a, b"; anything else -> "-". */
static void join_strings(const cJSON *arr, char *buf, size_t len)
{
	const cJSON *item;
	size_t used = 0;
	int n;

	buf[0] = '\0';
	cJSON_ArrayForEach(item, arr)
	{
		if (!cJSON_IsString(item))
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", item->valuestring);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

/* 12s, 5m12s, 2h05m, 3d04h */
static void fmt_duration(double secs, char *buf, size_t len)
{
	unsigned long s = secs > 0 ? (unsigned long)secs : 0;

	if (s < 60)
		snprintf(buf, len, "%lus", s);
	else if (s < 3600)
		snprintf(buf, len, "%lum%02lus", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%luh%02lum", s / 3600, s / 60 % 60);
	else
		snprintf(buf, len, "%lud%02luh", s / 86400, s / 3600 % 24);
}

/* "1.2 MiB/840": bytes and packets in one direction. */
static void fmt_traffic(const cJSON *peer, const char *bytes_key, const char *packets_key,
			char *buf, size_t len)
{
	char b[32];
	double bytes = 0, packets = 0;

	sf_num(peer, bytes_key, &bytes);
	sf_num(peer, packets_key, &packets);
	sf_bytes(bytes, b, sizeof(b));
	snprintf(buf, len, "%s/%.0f", b, packets);
}

/* "2027-12-01T14:00:00Z" -> Unix seconds; false if absent or not that. */
static bool jtime(const cJSON *obj, const char *key, int64_t *t)
{
	const char *s = sf_str(obj, key, NULL), *end;
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (!s || !(end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) || *end)
		return false;
	*t = (int64_t)timegm(&tm);
	return true;
}

/* "in 364d", "in 5h", "expired". */
static void fmt_expiry(const cJSON *obj, int64_t now, char *buf, size_t len)
{
	int64_t t, left;

	if (!jtime(obj, "not_after", &t)) {
		snprintf(buf, len, "?");
		return;
	}
	left = t - now;
	if (left < 0)
		snprintf(buf, len, "expired");
	else if (left < 86400)
		snprintf(buf, len, "in %lldh", (long long)(left / 3600));
	else
		snprintf(buf, len, "in %lldd", (long long)(left / 86400));
}

/* The session's state, and gossip's verdict when it is not "alive":
 * "up", "up (suspect)", "down (left)". */
static void fmt_state(const cJSON *peer, char *buf, size_t len)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(peer, "member");
	const char *ms = sf_str(m, "state", "alive"), *path = sf_str(peer, "path", "userspace");

	if (strcmp(ms, "alive"))
		snprintf(buf, len, "%s (%s)", sf_str(peer, "state", "?"), ms);
	else
		snprintf(buf, len, "%s", sf_str(peer, "state", "?"));
	/* The kernel path, where a peer is on it: "up, kernel". */
	if (strcmp(path, "userspace"))
		snprintf(buf + strlen(buf), len - strlen(buf), ", %s", path);
}

/* Gossip's smoothed round trip: "0.4ms", "23ms", "1.25s"; "-" unmeasured. */
static void fmt_rtt(const cJSON *peer, char *buf, size_t len)
{
	double ms;

	if (!sf_num(peer, "rtt_ms", &ms) || ms < 0)
		snprintf(buf, len, "-");
	else if (ms < 10)
		snprintf(buf, len, "%.1fms", ms);
	else if (ms < 1000)
		snprintf(buf, len, "%.0fms", ms);
	else
		snprintf(buf, len, "%.2fs", ms / 1000);
}

static void peer_row(const cJSON *peer, int64_t now, char row[NCOL][CELL])
{
	char buf[1024], t[32];
	double secs;

	sf_cell(row[0], sf_str(peer, "name", "?"));
	join_strings(cJSON_GetObjectItemCaseSensitive(peer, "addresses"), buf, sizeof(buf));
	sf_cell(row[1], buf);
	sf_cell(row[2], sf_str(peer, "endpoint", "-"));
	fmt_state(peer, buf, sizeof(buf));
	sf_cell(row[3], buf);
	if (sf_num(peer, "last_handshake_seconds", &secs)) {
		fmt_duration(secs, t, sizeof(t));
		snprintf(buf, sizeof(buf), "%s ago", t);
	} else {
		snprintf(buf, sizeof(buf), "never");
	}
	sf_cell(row[4], buf);
	fmt_rtt(peer, buf, sizeof(buf));
	sf_cell(row[5], buf);
	fmt_traffic(peer, "rx_bytes", "rx_packets", buf, sizeof(buf));
	sf_cell(row[6], buf);
	fmt_traffic(peer, "tx_bytes", "tx_packets", buf, sizeof(buf));
	sf_cell(row[7], buf);
	snprintf(buf, sizeof(buf), "%.0f",
		 sf_sum(cJSON_GetObjectItemCaseSensitive(peer, "drops")));
	sf_cell(row[8], buf);
	fmt_expiry(peer, now, buf, sizeof(buf));
	sf_cell(row[9], buf);
}

/* Append "; " (unless buf is empty) and what fmt says. */
static void append(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t at = strlen(buf);
	va_list ap;

	if (at && at + 2 < len) {
		memcpy(buf + at, "; ", 3);
		at += 2;
	}
	va_start(ap, fmt);
	vsnprintf(buf + at, len - at, fmt, ap);
	va_end(ap);
}

/* The path MTU search and UDP segmentation, when there is news: a path
 * narrower than its route, a search under way or failed, black holes; a
 * peer whose segmentation was refused (off for the node: the offloads
 * line says so). */
static void fmt_path(const cJSON *obj, char *buf, size_t len)
{
	const cJSON *pm = cJSON_GetObjectItemCaseSensitive(obj, "pmtud");
	const cJSON *seg = cJSON_GetObjectItemCaseSensitive(obj, "segmentation");
	const char *state = sf_str(pm, "state", "?");
	double pmtu = 0, route = 0, probes = 0, losses = 0, holes = 0, refusals = 0, retry;

	sf_num(pm, "pmtu", &pmtu);
	sf_num(pm, "route_mtu", &route);
	sf_num(pm, "probes", &probes);
	sf_num(pm, "losses", &losses);
	sf_num(pm, "black_holes", &holes);
	if (cJSON_IsObject(pm) && (pmtu < route || holes > 0 ||
				   (strcmp(state, "complete") && strcmp(state, "disabled"))))
		append(buf, len, "path MTU %.0f of %.0f (%s; %.0f probes, %.0f lost, %.0f black holes)",
		       pmtu, route, state, probes, losses, holes);
	sf_num(seg, "refusals", &refusals);
	if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(seg, "on")) &&
	    sf_num(seg, "retry_seconds", &retry))
		append(buf, len, "segmentation off for %.0f s (%s)", retry, sf_str(seg, "why", "?"));
	else if (refusals > 0)
		append(buf, len, "segmentation refused %.0f times", refusals);
}

/* "routes 10.1.0.0/16 (in the kernel's table: 10.1.0.0/16); groups web, db;
 * refused 100.64.0.2 (held by another certificate)", or "" when it has none
 * of them. */
static void fmt_extras(const cJSON *obj, char *buf, size_t len)
{
	char routes[1024], groups[1024], refused[1024], kernel[1024];

	join_strings(cJSON_GetObjectItemCaseSensitive(obj, "routes"), routes, sizeof(routes));
	join_strings(cJSON_GetObjectItemCaseSensitive(obj, "groups"), groups, sizeof(groups));
	join_strings(cJSON_GetObjectItemCaseSensitive(obj, "not_held"), refused, sizeof(refused));
	join_strings(cJSON_GetObjectItemCaseSensitive(obj, "kernel_routes"), kernel, sizeof(kernel));
	buf[0] = '\0';
	if (strcmp(routes, "-"))
		snprintf(buf, len, "routes %s", routes);
	if (strcmp(routes, "-") && strcmp(kernel, "-"))
		snprintf(buf + strlen(buf), len - strlen(buf), " (in the kernel's table: %s)", kernel);
	if (strcmp(groups, "-"))
		snprintf(buf + strlen(buf), len - strlen(buf), "%sgroups %s", buf[0] ? "; " : "",
			 groups);
	if (strcmp(refused, "-"))
		snprintf(buf + strlen(buf), len - strlen(buf),
			 "%srefused %s (held by another certificate, or this node's)",
			 buf[0] ? "; " : "", refused);
	fmt_path(obj, buf, len);
}

/* Routes and groups of the peers that have some, a line each. */
static void print_peer_extras(FILE *out, const cJSON *peers)
{
	char extras[2048], line[CELL * 2], name[CELL];
	const cJSON *peer;

	cJSON_ArrayForEach(peer, peers)
	{
		fmt_extras(peer, extras, sizeof(extras));
		if (!extras[0])
			continue;
		sf_cell(name, sf_str(peer, "name", "?"));
		sf_cell(line, extras);
		fprintf(out, "  %s: %s\n", name, line);
	}
}

/* One line for a certificate close to its end: the node's, a peer's, the CA's. */
static void warn_expiry(FILE *out, const cJSON *obj, const char *key, const char *whose,
			int64_t now)
{
	char when[CELL];
	int64_t t;

	if (!jtime(obj, key, &t) || t - now > WARN_DAYS * 86400)
		return;
	sf_cell(when, sf_str(obj, key, "?"));
	if (t < now)
		fprintf(out, "warning: %s expired at %s\n", whose, when);
	else
		fprintf(out, "warning: %s expires in %lld days, at %s\n", whose,
			(long long)((t - now) / 86400), when);
}

static void print_warnings(FILE *out, const cJSON *node, const cJSON *peers, int64_t now)
{
	char whose[CELL + 32], name[CELL];
	const cJSON *peer;

	warn_expiry(out, node, "not_after", "this node's certificate", now);
	warn_expiry(out, node, "ca_not_after", "the CA certificate", now);
	cJSON_ArrayForEach(peer, peers)
	{
		sf_cell(name, sf_str(peer, "name", "?"));
		snprintf(whose, sizeof(whose), "the certificate of %s", name);
		warn_expiry(out, peer, "not_after", whose, now);
	}
}

static void print_row(FILE *out, const char row[NCOL][CELL], const size_t width[NCOL])
{
	int i;

	for (i = 0; i < NCOL - 1; i++)
		fprintf(out, "%-*s  ", (int)width[i], row[i]);
	fprintf(out, "%s\n", row[NCOL - 1]);
}

static void print_table(FILE *out, char (*rows)[NCOL][CELL], size_t n)
{
	char head[NCOL][CELL];
	size_t width[NCOL], r;
	int i;

	for (i = 0; i < NCOL; i++) {
		sf_cell(head[i], headers[i]);
		width[i] = strlen(headers[i]);
		for (r = 0; r < n; r++)
			if (strlen(rows[r][i]) > width[i])
				width[i] = strlen(rows[r][i]);
	}
	print_row(out, head, width);
	for (r = 0; r < n; r++)
		print_row(out, rows[r], width);
}

/* "offloads: tun-tso udp-gso udp-gro; off: tun-uso (why)": the names as in
 * weft.conf, "_" shown as "-"; nothing for a daemon too old to say. */
static void print_offloads(FILE *out, const cJSON *offloads)
{
	char on[256] = "", off[1024] = "", name[CELL], why[CELL];
	const cJSON *item;

	if (!cJSON_IsObject(offloads))
		return;
	cJSON_ArrayForEach(item, offloads)
	{
		if (!item->string)
			continue;
		sf_cell(name, item->string);
		for (char *c = name; *c; c++)
			if (*c == '_')
				*c = '-';
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item, "on"))) {
			snprintf(on + strlen(on), sizeof(on) - strlen(on), " %s", name);
			continue;
		}
		sf_cell(why, sf_str(item, "why", "?"));
		snprintf(off + strlen(off), sizeof(off) - strlen(off), "%s %s (%s)",
			 off[0] ? "," : "; off:", name, why);
	}
	fprintf(out, "offloads:%s%s\n", on[0] ? on : " none", off);
}

/* "node alpha (100.64.0.1, fd00::1) on weft0, listening on ..., network demo",
 * then uptime, MTU, certificate, and routes and groups if any. */
/* Past full-mesh-max: "sessions on demand (more than 128 members): 7 up, 1,200
 * idle, 8 kept for gossip". Nothing for a full mesh. */
static void print_sessions(FILE *out, const cJSON *s)
{
	double max = 0, up = 0, idle = 0, kept = 0;

	if (!s || strcmp(sf_str(s, "mode", ""), "on demand"))
		return;
	sf_num(s, "full_mesh_max", &max);
	sf_num(s, "up", &up);
	sf_num(s, "idle", &idle);
	sf_num(s, "kept_for_gossip", &kept);
	fprintf(out, "sessions on demand (more than %.0f members): %.0f up, %.0f idle, %.0f kept for "
		"gossip\n",
		max, up, idle, kept);
}

/* "data path: kernel (ESP in UDP on port 51821; interface weft0-x)", or
 * "data path: userspace (the kernel has no ESP for IPv4 (CONFIG_INET_ESP))". */
static void print_datapath(FILE *out, const cJSON *dp)
{
	char why[CELL], iface[CELL];
	double port = 0;

	if (!cJSON_IsObject(dp))
		return;
	if (strcmp(sf_str(dp, "path", ""), "kernel")) {
		sf_cell(why, sf_str(dp, "reason", ""));
		fprintf(out, "data path: userspace%s%s%s\n", why[0] ? " (" : "", why, why[0] ? ")" : "");
		return;
	}
	sf_num(dp, "esp_port", &port);
	sf_cell(iface, sf_str(dp, "interface", "?"));
	if (!strcmp(sf_str(dp, "encap", "none"), "udp"))
		fprintf(out, "data path: kernel (ESP in UDP on port %.0f; interface %s)\n", port, iface);
	else /* what it asks for; it takes ESP in UDP from a peer that wants it */
		fprintf(out, "data path: kernel (ESP, or ESP in UDP on port %.0f; interface %s)\n",
			port, iface);
}

/* "names: 3 under prod, 12 queries, 11 answered, 1 dropped" (only when on:
 * a daemon that says nothing of names is an older one). */
/* This node's own certificate on the CA's list: the line that explains why
 * every peer stays connecting. */
static void print_self_revoked(FILE *out, const cJSON *r)
{
	char serial[CELL], issued[CELL];
	double v;

	if (!cJSON_IsObject(r))
		return;
	sf_cell(serial, sf_str(r, "serial", "?"));
	sf_cell(issued, sf_str(r, "issued", "?"));
	fprintf(out,
		"REVOKED: this node's certificate (serial %s) is on the CA's revocation list "
		"(version %.0f, issued %s): ask the CA for a new certificate\n",
		serial, sf_num(r, "list_version", &v) ? v : 0, issued);
}

static void print_names(FILE *out, const cJSON *dns)
{
	double n = 0, q = 0, a = 0, dr = 0;
	char domain[CELL];

	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(dns, "enabled")))
		return;
	sf_cell(domain, sf_str(dns, "domain", "?"));
	sf_num(dns, "names", &n);
	sf_num(dns, "queries", &q);
	sf_num(dns, "answered", &a);
	sf_num(dns, "dropped", &dr);
	fprintf(out, "names: %.0f under %s, %.0f queries, %.0f answered, %.0f dropped\n", n, domain,
		q, a, dr);
}

/* "firewall: 3 inbound rules, 1 outbound; flows 12 created, 4 adopted,
 * 980 hits, 2 expired" (only with rules: without, nothing is filtered). */
static void print_firewall(FILE *out, const cJSON *fw)
{
	int in = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(fw, "inbound"));
	int ob = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(fw, "outbound"));
	double c = 0, a = 0, h = 0, e = 0, ev = 0, lost = 0;

	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(fw, "on")))
		return;
	sf_num(fw, "flows_created", &c);
	sf_num(fw, "flows_adopted", &a);
	sf_num(fw, "flow_hits", &h);
	sf_num(fw, "flows_expired", &e);
	sf_num(fw, "flows_evicted", &ev);
	sf_num(fw, "notes_lost", &lost);
	fprintf(out, "firewall: %d inbound rule%s, %d outbound; flows %.0f created, %.0f adopted, "
		     "%.0f hits, %.0f expired, %.0f evicted",
		in, in == 1 ? "" : "s", ob, c, a, h, e, ev);
	if (lost)
		fprintf(out, ", %.0f notes lost", lost);
	fputc('\n', out);
}

static void print_node(FILE *out, const cJSON *node, int64_t now)
{
	char addrs[1024], name[CELL], iface[CELL], listen[CELL], net[CELL], t[32], extras[2048];
	char serial[CELL], until[CELL];
	double v;

	join_strings(cJSON_GetObjectItemCaseSensitive(node, "addresses"), addrs, sizeof(addrs));
	sf_cell(name, sf_str(node, "name", "?"));
	sf_cell(iface, sf_str(node, "interface", "?"));
	sf_cell(listen, sf_str(node, "listen", "?"));
	sf_cell(net, sf_str(node, "network", "?"));
	fprintf(out, "node %s (%s) on %s, listening on %s, network %s\n", name, addrs, iface,
		listen, net);
	if (sf_num(node, "uptime_seconds", &v)) {
		fmt_duration(v, t, sizeof(t));
		fprintf(out, "up %s", t);
		if (sf_num(node, "mtu", &v))
			fprintf(out, ", mtu %.0f", v);
		if (sf_num(node, "workers", &v))
			fprintf(out, ", %.0f worker%s", v, v == 1 ? "" : "s");
		if (sf_str(node, "serial", NULL)) {
			sf_cell(serial, sf_str(node, "serial", "?"));
			sf_cell(until, sf_str(node, "not_after", "?"));
			fmt_expiry(node, now, t, sizeof(t));
			fprintf(out, ", certificate %s valid until %s (%s)", serial, until, t);
		}
		fputc('\n', out);
	}
	fmt_extras(node, extras, sizeof(extras));
	if (extras[0]) {
		sf_cell(name, extras);
		fprintf(out, "%s\n", name);
	}
	join_strings(cJSON_GetObjectItemCaseSensitive(node, "allowed_routes"), extras,
		     sizeof(extras));
	if (strcmp(extras, "-")) {
		sf_cell(name, extras);
		fprintf(out, "the CA allows routes outside the overlay to %s\n", name);
	}
	print_sessions(out, cJSON_GetObjectItemCaseSensitive(node, "sessions"));
	print_datapath(out, cJSON_GetObjectItemCaseSensitive(node, "datapath"));
	print_offloads(out, cJSON_GetObjectItemCaseSensitive(node, "offloads"));
	print_names(out, cJSON_GetObjectItemCaseSensitive(node, "dns"));
	print_firewall(out, cJSON_GetObjectItemCaseSensitive(node, "firewall"));
	print_self_revoked(out, cJSON_GetObjectItemCaseSensitive(node, "revoked"));
	if (sf_str(node, "restart_pending", "")[0]) {
		sf_cell(name, sf_str(node, "restart_pending", ""));
		fprintf(out, "weft.conf changed, waiting for a restart: %s\n", name);
	}
}

/* Node-wide drops, only the non-zero reasons: "drops: no_route 3, malformed 1". */
static void print_drops(FILE *out, const cJSON *drops)
{
	const cJSON *item;
	char reason[CELL];
	bool any = false;

	cJSON_ArrayForEach(item, drops)
	{
		if (!cJSON_IsNumber(item) || item->valuedouble <= 0 || !item->string)
			continue;
		sf_cell(reason, item->string);
		fprintf(out, "%s %s %.0f", any ? "," : "drops:", reason, item->valuedouble);
		any = true;
	}
	if (any)
		fputc('\n', out);
}

/* "revoked: db1 (serial 0102..., since 2026-12-07T14:18:14Z; 3 refused since)" */
static void print_revoked(FILE *out, const cJSON *revoked)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, revoked)
	{
		char name[CELL], serial[CELL], since[CELL];
		double refused = 0;

		sf_cell(name, sf_str(r, "name", "?"));
		sf_cell(serial, sf_str(r, "serial", "?"));
		sf_cell(since, sf_str(r, "since", "?"));
		sf_num(r, "refused", &refused);
		fprintf(out, "revoked: %s (serial %s, since %s", name, serial, since);
		if (refused > 0)
			fprintf(out, "; its certificate refused %.0f time%s since", refused,
				refused == 1 ? "" : "s");
		fputs(")\n", out);
	}
}

bool wf_status_render(FILE *out, const char *json, int64_t now, char *err, size_t errlen)
{
	cJSON *root = NULL;
	const cJSON *peers, *peer;
	char (*rows)[NCOL][CELL] = NULL;
	size_t n = 0;
	bool ok = false;

	if (!sf_document(json, &root, err, errlen))
		goto out;
	peers = cJSON_GetObjectItemCaseSensitive(root, "peers");
	rows = calloc((size_t)cJSON_GetArraySize(peers) + 1, sizeof(*rows));
	if (!rows) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	cJSON_ArrayForEach(peer, peers)
		if (cJSON_IsObject(peer))
			peer_row(peer, now, rows[n++]);
	print_node(out, cJSON_GetObjectItemCaseSensitive(root, "node"), now);
	if (n) {
		print_table(out, rows, n);
		print_peer_extras(out, peers);
	} else {
		fprintf(out, "no peers\n");
	}
	print_revoked(out, cJSON_GetObjectItemCaseSensitive(root, "revoked_peers"));
	print_drops(out, cJSON_GetObjectItemCaseSensitive(root, "drops"));
	print_warnings(out, cJSON_GetObjectItemCaseSensitive(root, "node"), peers, now);
	ok = true;
out:
	free(rows);
	cJSON_Delete(root);
	return ok;
}

/* Why connect failed, in words: the common cases each have a fix. */
static void connect_error(const char *path, int e, char *err, size_t errlen)
{
	if (e == ENOENT || e == ECONNREFUSED)
		snprintf(err, errlen, "the daemon is not running (nothing listens on %s%s)", path,
			 e == ENOENT ? ": no such socket" : "");
	else if (e == EACCES || e == EPERM)
		snprintf(err, errlen, "permission denied on %s: only root and the daemon's own user "
				      "may ask it (try sudo)", path);
	else if (e == EAGAIN || e == EWOULDBLOCK || e == EINPROGRESS || e == ETIMEDOUT)
		snprintf(err, errlen, "the daemon does not answer on %s (is it stopped or hung? "
				      "see systemctl status)", path);
	else
		snprintf(err, errlen, "cannot connect to %s: %s", path, strerror(e));
}

static int query_connect(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = QUERY_TIMEOUT_S};
	int fd, saved;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		snprintf(err, errlen, "control socket path %s is too long", path);
		return -1;
	}
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* Before connect: a daemon that is stopped (or hung) accepts no
	 * connection, and a full backlog would block connect itself. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		saved = errno;
		connect_error(path, saved, err, errlen);
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Reads until EOF into a malloc'd string. */
static char *read_all(int fd, const char *path, char *err, size_t errlen)
{
	size_t len = 0, cap = 16384;
	char *buf = malloc(cap), *p;
	ssize_t n;

	if (!buf)
		goto out_nomem;
	for (;;) {
		if (cap - len < 2) {
			p = cap < MAX_RESPONSE ? realloc(buf, cap * 2) : NULL;
			if (!p)
				goto out_nomem;
			buf = p;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				connect_error(path, errno, err, errlen);
			else
				snprintf(err, errlen, "reading from %s: %s", path, strerror(errno));
			free(buf);
			return NULL;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;

out_nomem:
	snprintf(err, errlen, "the daemon's answer from %s is too large", path);
	free(buf);
	return NULL;
}

char *wf_status_query(const char *path, const char *request, char *err, size_t errlen)
{
	char line[WF_CONFIG_MAX_LINE];
	size_t len;
	char *resp;
	int fd;

	len = (size_t)snprintf(line, sizeof(line), "%s\n", request);
	if (len >= sizeof(line)) {
		snprintf(err, errlen, "request too long");
		return NULL;
	}
	fd = query_connect(path, err, errlen);
	if (fd < 0)
		return NULL;
	if (send(fd, line, len, MSG_NOSIGNAL) != (ssize_t)len) {
		snprintf(err, errlen, "writing to %s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	shutdown(fd, SHUT_WR);
	resp = read_all(fd, path, err, errlen);
	close(fd);
	return resp;
}

/* --- --check: one line and an exit status for a monitoring system ------------ */

/* The worst of what was found; the line says each. */
struct check {
	int level; /* WF_CHECK_OK .. WF_CHECK_UNKNOWN */
	char text[1024];
};

static void check_add(struct check *c, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void check_add(struct check *c, int level, const char *fmt, ...)
{
	size_t used = strlen(c->text);
	va_list ap;

	if (level > c->level)
		c->level = level;
	if (used && used < sizeof(c->text) - 2)
		used += (size_t)snprintf(c->text + used, sizeof(c->text) - used, "; ");
	va_start(ap, fmt);
	if (used < sizeof(c->text))
		vsnprintf(c->text + used, sizeof(c->text) - used, fmt, ap);
	va_end(ap);
}

/* Peers: all up is OK, some not up a warning, none up critical. Idle peers
 * (sessions on demand) are not expected up. */
static void check_peers(struct check *c, const cJSON *peers, unsigned *up, unsigned *n)
{
	char down[512] = "", name[CELL];
	const cJSON *p;
	unsigned listed = 0;

	*up = *n = 0;
	cJSON_ArrayForEach(p, peers)
	{
		const char *state = sf_str(p, "state", "?");

		if (!strcmp(state, "idle"))
			continue;
		(*n)++;
		if (!strcmp(state, "up")) {
			(*up)++;
			continue;
		}
		sf_cell(name, sf_str(p, "name", "?"));
		if (listed++ < 5)
			snprintf(down + strlen(down), sizeof(down) - strlen(down), "%s%s (%s)",
				 listed > 1 ? ", " : "", name, state);
	}
	if (*up < *n)
		check_add(c, *up ? WF_CHECK_WARNING : WF_CHECK_CRITICAL,
			  "%u of %u peers up; not up: %s%s", *up, *n, down, listed > 5 ? ", ..." : "");
	else
		check_add(c, WF_CHECK_OK, "%u of %u peers up", *up, *n);
}

static void check_expiry(struct check *c, const cJSON *node, const char *key, const char *what,
			 int64_t now)
{
	int64_t t;

	if (!jtime(node, key, &t))
		return;
	if (t <= now)
		check_add(c, WF_CHECK_CRITICAL, "the %s certificate expired", what);
	else if (t - now <= WARN_DAYS * 86400)
		check_add(c, WF_CHECK_WARNING, "the %s certificate expires in %lldd", what,
			  (long long)((t - now) / 86400));
}

int wf_status_check(FILE *out, const char *json, int64_t now)
{
	static const char *const names[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
	cJSON *root = cJSON_Parse(json);
	const cJSON *node = cJSON_GetObjectItemCaseSensitive(root, "node");
	struct check c = {0};
	unsigned up = 0, n = 0;
	double v = 0;

	if (!cJSON_IsObject(node) || !sf_num(root, "version", &v) || v != SF_STATUS_VERSION) {
		const char *e = sf_str(root, "error", "the daemon's answer is not a status weft knows");
		char text[CELL];

		sf_cell(text, e);
		check_add(&c, WF_CHECK_UNKNOWN, "%s", text);
	} else {
		check_peers(&c, cJSON_GetObjectItemCaseSensitive(root, "peers"), &up, &n);
		check_expiry(&c, node, "not_after", "node", now);
		check_expiry(&c, node, "ca_not_after", "CA", now);
		if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(node, "revoked")))
			check_add(&c, WF_CHECK_CRITICAL, "this node's certificate is revoked");
	}
	fprintf(out, "%s: %s | peers_up=%u peers=%u\n", names[c.level], c.text, up, n);
	cJSON_Delete(root);
	return c.level;
}

/* --json: pretty-printed when it parses, as received otherwise. */
static int print_json(const char *resp)
{
	cJSON *root = cJSON_Parse(resp);
	char *pretty = root ? cJSON_Print(root) : NULL;
	bool daemon_err = root && cJSON_GetObjectItemCaseSensitive(root, "error");

	if (pretty)
		printf("%s\n", pretty);
	else
		fputs(resp, stdout);
	free(pretty);
	cJSON_Delete(root);
	return daemon_err || !root ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

static const char status_usage[] =
	"Usage: weft status [--dir NODEDIR] [--socket PATH]\n"
	"                   [--json | --check | --dump | --watch [--interval S] [--count N]]\n"
	"\n"
	"Shows the running daemon's node, peers, sessions and drop counters.\n"
	"\n"
	"  --dir NODEDIR      the node's directory, to find the control socket in its\n"
	"                     weft.conf (default: the one node directory in /etc/weft)\n"
	"  --socket PATH      the control socket (overrides weft.conf)\n"
	"  --json             print the daemon's JSON (see docs/status-json.md)\n"
	"  --check            one line for a monitoring system, and its exit status:\n"
	"                     0 OK (every peer up), 1 WARNING (some peer not up, or a\n"
	"                     certificate ends within 30 days), 2 CRITICAL (no peer up,\n"
	"                     a certificate expired or revoked, or no daemon answers),\n"
	"                     3 UNKNOWN\n"
	"  --dump             the node on one line, then one line a peer, fields\n"
	"                     separated by tabs, for scripts (docs/cli.md lists them)\n"
	"  --watch            each peer's traffic and drops a second, redrawn every\n"
	"                     --interval seconds (default 1) until interrupted, or\n"
	"                     --count times\n"
	"  -h, --help         show this help\n";

enum {
	OPT_DIR = OPT_CLI_FIRST_FREE,
	OPT_SOCKET,
	OPT_JSON,
	OPT_CHECK,
	OPT_DUMP,
	OPT_WATCH,
	OPT_INTERVAL,
	OPT_COUNT
};

/*
 * Without --dir: WEFT_CONFIG_ROOT (default /etc/weft) itself if it holds a
 * weft.conf, else its one subdirectory that does. Several: say which, and
 * ask for --dir.
 */
bool wf_status_default_dir(char *buf, size_t len)
{
	const char *root = getenv("WEFT_CONFIG_ROOT");
	static char found[8][CLI_PATH_MAX], list[8 * (CLI_PATH_MAX + 2)];
	char path[CLI_PATH_MAX];
	unsigned n = 0;
	struct dirent *de;
	DIR *dp;

	root = root && root[0] ? root : "/etc/weft";
	if (cli_path(path, sizeof(path), root, "weft.conf") && cli_exists(path))
		return snprintf(buf, len, "%s", root) < (int)len;
	dp = opendir(root);
	while (dp && (de = readdir(dp))) {
		if (de->d_name[0] == '.' ||
		    snprintf(path, sizeof(path), "%s/%s/weft.conf", root, de->d_name) >=
			(int)sizeof(path) ||
		    !cli_exists(path))
			continue;
		if (n < 8)
			snprintf(found[n], sizeof(found[n]), "%s/%s", root, de->d_name);
		n++;
	}
	if (dp)
		closedir(dp);
	if (n == 1)
		return snprintf(buf, len, "%s", found[0]) < (int)len;
	if (!n) {
		cli_error("no node directory in %s (none holds a weft.conf); give --dir NODEDIR",
			  root);
		return false;
	}
	list[0] = '\0';
	for (unsigned i = 0; i < n && i < 8; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 found[i]);
	cli_error("%u node directories in %s (%s%s); say which with --dir", n, root, list,
		  n > 8 ? ", ..." : "");
	return false;
}

/* The control key's value in a weft.conf the parser refused (a typo
 * elsewhere in it must not hide a running daemon): its last `control =`
 * line, else the default, relative to dir as the parser makes it. */
static void control_anyway(const char *dir, char *buf, size_t len)
{
	char path[CLI_PATH_MAX], line[WF_CONFIG_MAX_LINE], value[CLI_PATH_MAX] = "weft.sock";
	FILE *f;

	if (cli_path(path, sizeof(path), dir, "weft.conf") && (f = fopen(path, "r"))) {
		while (fgets(line, sizeof(line), f)) {
			char *k = line + strspn(line, " \t"), *v;

			if (strncmp(k, "control", 7) || !strchr(" \t=", k[7]) || !(v = strchr(k, '=')))
				continue;
			v += 1 + strspn(v + 1, " \t");
			v[strcspn(v, "\r\n")] = '\0';
			for (size_t n = strlen(v); n && (v[n - 1] == ' ' || v[n - 1] == '\t'); n--)
				v[n - 1] = '\0';
			if (v[0] && strlen(v) < sizeof(value))
				snprintf(value, sizeof(value), "%s", v);
		}
		fclose(f);
	}
	if (value[0] == '/' || !cli_path(buf, len, dir, value))
		snprintf(buf, len, "%s", value);
}

/* The socket path: --socket, else the control key of NODEDIR/weft.conf
 * (read leniently if the file does not parse: the running daemon read an
 * earlier one, and is what to ask). */
bool wf_status_socket_path(const char *dir, const char *sock, bool lenient, char *buf, size_t len)
{
	static struct wf_config cfg; /* large; this runs once */
	char err[WF_CONFIG_MAX_LINE], def[CLI_PATH_MAX];

	if (sock) {
		snprintf(buf, len, "%s", sock);
		return true;
	}
	if (!dir && !wf_status_default_dir(def, sizeof(def)))
		return false;
	if (!wf_config_load(&cfg, dir ? dir : def, err, sizeof(err))) {
		char conf[CLI_PATH_MAX];

		if (!lenient || !cli_path(conf, sizeof(conf), dir ? dir : def, "weft.conf") ||
		    !cli_exists(conf)) {
			cli_error("%s", err); /* (no file at all: not a node directory) */
			return false;
		}
		fprintf(stderr, "weft: warning: %s (the daemon may run on an earlier file: asking it)\n",
			err);
		control_anyway(cfg.dir[0] ? cfg.dir : dir ? dir : def, buf, len);
		return true;
	}
	snprintf(buf, len, "%s", cfg.control);
	return true;
}

struct status_args {
	const char *dir, *sock;
	int form; /* 0 (the table) or the OPT_ of --json, --check, --dump, --watch */
	double interval;
	long count;
	bool interval_set, count_set;
};

static int status_number(struct status_args *a, int opt, const char *arg)
{
	char *end;
	double v = strtod(arg, &end);

	if (opt == OPT_INTERVAL) {
		if (end == arg || *end || !(v >= 0.1 && v <= 3600))
			return cli_usage_error("--interval: '%s' is not a number of seconds from "
					       "0.1 to 3600",
					       arg);
		a->interval = v;
		a->interval_set = true;
		return 0;
	}
	if (end == arg || *end || v < 1 || v > 1e9 || v != (long)v)
		return cli_usage_error("--count: '%s' is not a whole number from 1", arg);
	a->count = (long)v;
	a->count_set = true;
	return 0;
}

static int status_opt(void *ctx, int opt, const char *arg)
{
	struct status_args *a = ctx;

	if (opt == OPT_JSON || opt == OPT_CHECK || opt == OPT_DUMP || opt == OPT_WATCH) {
		if (a->form && a->form != opt)
			return cli_usage_error("--json, --check, --dump and --watch go alone");
		a->form = opt;
		return 0;
	}
	if (opt == OPT_INTERVAL || opt == OPT_COUNT)
		return status_number(a, opt, arg);
	if (opt == OPT_DIR)
		return cli_set_once(&a->dir, "dir", arg) ? 0 : CLI_EXIT_USAGE;
	return cli_set_once(&a->sock, "socket", arg) ? 0 : CLI_EXIT_USAGE;
}

static double monotonic_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nap(double secs)
{
	struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* --watch: a frame every interval seconds (a cleared screen on a terminal,
 * one after the other otherwise), count frames or until interrupted. */
static int watch(const char *path, double interval, long count)
{
	char err[1024];
	char *prev = wf_status_query(path, "status", err, sizeof(err));
	double t_prev = monotonic_s();
	bool tty = isatty(STDOUT_FILENO), ok = prev != NULL;

	for (long frame = 0; ok && (!count || frame < count); frame++) {
		char *cur;
		double t;

		nap(interval);
		cur = wf_status_query(path, "status", err, sizeof(err));
		t = monotonic_s();
		ok = cur != NULL;
		if (!ok)
			break;
		fputs(tty ? "\033[H\033[2J" : frame ? "\n" : "", stdout);
		ok = wf_status_rates(stdout, prev, cur, t - t_prev, err, sizeof(err));
		fflush(stdout);
		free(prev);
		prev = cur;
		t_prev = t;
	}
	free(prev);
	if (!ok)
		cli_error("%s", err);
	return ok ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"dir", required_argument, NULL, OPT_DIR},
		{"socket", required_argument, NULL, OPT_SOCKET},
		{"json", no_argument, NULL, OPT_JSON},
		{"check", no_argument, NULL, OPT_CHECK},
		{"dump", no_argument, NULL, OPT_DUMP},
		{"watch", no_argument, NULL, OPT_WATCH},
		{"interval", required_argument, NULL, OPT_INTERVAL},
		{"count", required_argument, NULL, OPT_COUNT},
		{NULL, 0, NULL, 0},
	};
	struct status_args a = {.interval = 1};
	char path[CLI_PATH_MAX], err[1024];
	bool ok;
	char *resp;
	int rc = cli_parse(argc, argv, opts, status_usage, status_opt, &a);

	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if ((a.interval_set || a.count_set) && a.form != OPT_WATCH)
		return cli_usage_error("--interval and --count go with --watch");
	if (!wf_status_socket_path(a.dir, a.sock, true, path, sizeof(path)))
		return CLI_EXIT_FAIL;
	if (a.form == OPT_WATCH)
		return watch(path, a.interval, a.count);
	resp = wf_status_query(path, "status", err, sizeof(err));
	if (!resp && a.form == OPT_CHECK) {
		printf("CRITICAL: %s\n", err);
		return WF_CHECK_CRITICAL;
	}
	if (!resp) {
		cli_error("%s", err);
		return CLI_EXIT_FAIL;
	}
	if (a.form == OPT_CHECK) {
		rc = wf_status_check(stdout, resp, (int64_t)time(NULL));
		free(resp);
		return rc;
	}
	if (a.form == OPT_JSON) {
		rc = print_json(resp);
		free(resp);
		return rc;
	}
	if (a.form == OPT_DUMP)
		ok = wf_status_dump(stdout, resp, err, sizeof(err));
	else
		ok = wf_status_render(stdout, resp, (int64_t)time(NULL), err, sizeof(err));
	free(resp);
	if (!ok)
		cli_error("%s", err);
	return ok ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

bool wf_status_answer(const char *resp, const char *key, char *text, size_t cap)
{
	cJSON *root = cJSON_Parse(resp);
	const char *ok = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, key));
	const char *bad = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "error"));

	snprintf(text, cap, "%s", ok ? ok : bad ? bad : "the daemon's answer does not parse");
	cJSON_Delete(root);
	return ok != NULL;
}
