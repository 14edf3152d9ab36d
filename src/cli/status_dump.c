/* SPDX-License-Identifier: MIT */
/*
 * weft status --dump and --watch: the status document (docs/status-json.md)
 * as tab-separated lines for scripts, as `wg show dump` gives them, and as
 * live per-peer rates between two documents.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/status.h"
#include "cli/status_fmt.h"

/* A field: its text with tabs, newlines and other control characters made
 * '?', so that a line is always one line of the same columns; "-" if empty. */
static void field(FILE *out, const char *s, bool last)
{
	char cell[CELL];

	sf_cell(cell, s && s[0] ? s : "-");
	fprintf(out, "%s%c", cell, last ? '\n' : '\t');
}

static void number(FILE *out, const cJSON *obj, const char *key, bool last)
{
	double v;
	char buf[32] = "-";

	if (sf_num(obj, key, &v))
		snprintf(buf, sizeof(buf), "%.0f", v);
	field(out, buf, last);
}

/* An array of strings joined with commas. */
static void list(FILE *out, const cJSON *obj, const char *key)
{
	const cJSON *item;
	char buf[CELL] = "";

	cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(obj, key)) {
		const char *s = cJSON_GetStringValue(item);
		size_t n = strlen(buf);

		if (s)
			snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? "," : "", s);
	}
	field(out, buf, false);
}

static void dump_node(FILE *out, const cJSON *n)
{
	const cJSON *dp = cJSON_GetObjectItemCaseSensitive(n, "datapath");

	field(out, sf_str(n, "name", NULL), false);
	list(out, n, "addresses");
	field(out, sf_str(n, "listen", NULL), false);
	field(out, sf_str(n, "network", NULL), false);
	field(out, sf_str(n, "public_key", NULL), false);
	number(out, n, "mtu", false);
	field(out, sf_str(dp, "path", NULL), false);
	number(out, n, "uptime_seconds", true);
}

static void dump_peer(FILE *out, const cJSON *p)
{
	const cJSON *member = cJSON_GetObjectItemCaseSensitive(p, "member");
	char drops[32], ms[32] = "-";
	double rtt;

	field(out, sf_str(p, "name", NULL), false);
	list(out, p, "addresses");
	list(out, p, "routes");
	field(out, sf_str(p, "endpoint", NULL), false);
	field(out, sf_str(p, "state", NULL), false);
	field(out, sf_str(p, "path", NULL), false);
	field(out, sf_str(member, "state", NULL), false);
	number(out, p, "last_handshake_seconds", false);
	number(out, p, "rx_bytes", false);
	number(out, p, "tx_bytes", false);
	number(out, p, "rx_packets", false);
	number(out, p, "tx_packets", false);
	snprintf(drops, sizeof(drops), "%.0f", sf_sum(cJSON_GetObjectItemCaseSensitive(p, "drops")));
	field(out, drops, false);
	number(out, p, "mtu", false);
	if (sf_num(p, "rtt_ms", &rtt))
		snprintf(ms, sizeof(ms), "%.3f", rtt);
	field(out, ms, true);
}

bool wf_status_dump(FILE *out, const char *json, char *err, size_t errlen)
{
	const cJSON *peer;
	cJSON *root;

	if (!sf_document(json, &root, err, errlen)) {
		cJSON_Delete(root);
		return false;
	}
	dump_node(out, cJSON_GetObjectItemCaseSensitive(root, "node"));
	cJSON_ArrayForEach(peer, cJSON_GetObjectItemCaseSensitive(root, "peers"))
		dump_peer(out, peer);
	cJSON_Delete(root);
	return true;
}

/* --- rates --------------------------------------------------------------- */

static const cJSON *peer_named(const cJSON *peers, const char *name)
{
	const cJSON *p;

	cJSON_ArrayForEach(p, peers)
		if (name && !strcmp(sf_str(p, "name", ""), name))
			return p;
	return NULL;
}

/* How fast key grew from a to b over secs; a counter that went back (the
 * daemon restarted) or a peer new in b starts from 0. */
static double rate(const cJSON *a, const cJSON *b, const char *key, double secs)
{
	double x = 0, y = 0;

	sf_num(a, key, &x);
	sf_num(b, key, &y);
	return y >= x ? (y - x) / secs : y / secs;
}

static void rate_row(FILE *out, const cJSON *a, const cJSON *b, double secs)
{
	char name[CELL], state[CELL], rx[32], tx[32];
	double drops_a = sf_sum(cJSON_GetObjectItemCaseSensitive(a, "drops"));
	double drops_b = sf_sum(cJSON_GetObjectItemCaseSensitive(b, "drops"));

	sf_cell(name, sf_str(b, "name", "?"));
	sf_cell(state, sf_str(b, "state", "?"));
	sf_bytes(rate(a, b, "rx_bytes", secs), rx, sizeof(rx));
	sf_bytes(rate(a, b, "tx_bytes", secs), tx, sizeof(tx));
	fprintf(out, "%-16s %-11s %10s/s %10s/s %9.0f %9.0f %7.0f\n", name, state, rx, tx,
		rate(a, b, "rx_packets", secs), rate(a, b, "tx_packets", secs),
		(drops_b >= drops_a ? drops_b - drops_a : drops_b) / secs);
}

bool wf_status_rates(FILE *out, const char *before, const char *after, double secs, char *err,
		     size_t errlen)
{
	cJSON *a = NULL, *b = NULL;
	const cJSON *peer, *peers_a;
	bool ok = sf_document(before, &a, err, errlen) && sf_document(after, &b, err, errlen);

	if (ok && !(secs > 0 && isfinite(secs))) {
		snprintf(err, errlen, "no time between the two documents");
		ok = false;
	}
	if (ok) {
		char name[CELL];

		sf_cell(name, sf_str(cJSON_GetObjectItemCaseSensitive(b, "node"), "name", "?"));
		fprintf(out, "node %s, rates over %.1f s\n", name, secs);
		fprintf(out, "%-16s %-11s %12s %12s %9s %9s %7s\n", "PEER", "STATE", "RX", "TX",
			"RX PKT/s", "TX PKT/s", "DROP/s");
		peers_a = cJSON_GetObjectItemCaseSensitive(a, "peers");
		cJSON_ArrayForEach(peer, cJSON_GetObjectItemCaseSensitive(b, "peers"))
			rate_row(out, peer_named(peers_a, sf_str(peer, "name", NULL)), peer, secs);
	}
	cJSON_Delete(a);
	cJSON_Delete(b);
	return ok;
}
