/* SPDX-License-Identifier: MIT */
/*
 * Firewall rules as written in weft.conf, and back:
 *
 *   inbound  = allow tcp 22 from group admin
 *   inbound  = drop any from 100.64.9.0/24
 *   outbound = drop udp to 10.20.0.0/16
 *   outbound = allow tcp 5432 to peer db1
 *
 * A rule is words separated by blanks: an action, a protocol, maybe a port
 * or port range, then a `from` and a `to` side in either order, each at most
 * once. Errors name the word at fault and what would be right; the caller
 * adds the file and line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/firewall.h"

enum { WORDS_MAX = 12, WORD_MAX = 80 };

struct words {
	char w[WORDS_MAX][WORD_MAX];
	unsigned n, at;
};

struct perr {
	char *buf;
	size_t len;
};

static bool fail(struct perr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool fail(struct perr *e, const char *fmt, ...)
{
	va_list ap;

	if (e->len) {
		va_start(ap, fmt);
		vsnprintf(e->buf, e->len, fmt, ap);
		va_end(ap);
	}
	return false;
}

static bool split(const char *text, struct words *ws, struct perr *e)
{
	const char *p = text;

	memset(ws, 0, sizeof(*ws));
	for (;;) {
		size_t n;

		p += strspn(p, " \t");
		if (!*p)
			return true;
		n = strcspn(p, " \t");
		if (ws->n == WORDS_MAX)
			return fail(e, "too many words (a rule has at most %d)", WORDS_MAX);
		if (n >= WORD_MAX)
			return fail(e, "'%.20s...' is too long", p);
		memcpy(ws->w[ws->n++], p, n);
		p += n;
	}
}

static const char *peek(const struct words *ws)
{
	return ws->at < ws->n ? ws->w[ws->at] : NULL;
}

static const char *next(struct words *ws)
{
	return ws->at < ws->n ? ws->w[ws->at++] : NULL;
}

static bool parse_action(struct words *ws, struct wf_fw_spec *s, struct perr *e)
{
	const char *w = next(ws);

	if (!w)
		return fail(e, "empty rule (want e.g. 'allow tcp 22 from group admin')");
	if (!strcmp(w, "allow"))
		s->action = WF_FW_ALLOW;
	else if (!strcmp(w, "drop"))
		s->action = WF_FW_DROP;
	else
		return fail(e, "unknown action '%s' (allow or drop)", w);
	return true;
}

static bool parse_proto(struct words *ws, struct wf_fw_spec *s, struct perr *e)
{
	static const struct {
		const char *name;
		uint8_t proto;
	} protos[] = {
	    {"tcp", WF_FW_TCP}, {"udp", WF_FW_UDP}, {"icmp", WF_FW_ICMP}, {"any", WF_FW_ANY}};
	const char *w = next(ws);

	if (!w)
		return fail(e, "missing protocol after the action (tcp, udp, icmp or any)");
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (!strcmp(w, protos[i].name)) {
			s->proto = protos[i].proto;
			return true;
		}
	}
	return fail(e, "unknown protocol '%s' (tcp, udp, icmp or any)", w);
}

/* A decimal port, 1 to 65535, no sign, no leading zero. */
static bool port_number(const char *s, size_t n, uint16_t *port)
{
	unsigned long v = 0;

	if (n == 0 || n > 5 || s[0] == '0')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

/* An optional PORT or LO-HI: a word that starts with a digit. */
static bool parse_ports(struct words *ws, struct wf_fw_spec *s, struct perr *e)
{
	const char *w = peek(ws), *dash;

	s->port_lo = 0;
	s->port_hi = 65535;
	if (!w || w[0] < '0' || w[0] > '9')
		return true;
	next(ws);
	if (s->proto != WF_FW_TCP && s->proto != WF_FW_UDP)
		return fail(e, "port %s: only tcp and udp have ports", w);
	dash = strchr(w, '-');
	if (!dash) {
		if (!port_number(w, strlen(w), &s->port_lo))
			return fail(e, "bad port '%s' (1 to 65535, or a range like 8000-8080)", w);
		s->port_hi = s->port_lo;
		return true;
	}
	if (!port_number(w, (size_t)(dash - w), &s->port_lo) ||
	    !port_number(dash + 1, strlen(dash + 1), &s->port_hi))
		return fail(e, "bad port range '%s' (like 8000-8080, each 1 to 65535)", w);
	if (s->port_lo > s->port_hi)
		return fail(e, "port range '%s' is backwards", w);
	return true;
}

/* A prefix or a bare address, with a clear word for host bits. */
static bool parse_prefix(const char *w, struct wf_prefix *p, struct perr *e)
{
	char copy[WORD_MAX];
	const char *slash = strchr(w, '/');
	struct wf_prefix a;

	if (wf_prefix_parse(p, w, false))
		return true;
	snprintf(copy, sizeof(copy), "%.*s", slash ? (int)(slash - w) : (int)strlen(w), w);
	if (slash && wf_addr_parse(&a, copy) && strtoul(slash + 1, NULL, 10) <= a.len)
		return fail(e, "'%s': host bits are set past the prefix length", w);
	return fail(e, "'%s' is not an address or prefix (like 100.64.0.0/10 or fd00::1)", w);
}

/* What follows `from` or `to`: any | [peer NAME | group NAME] [PREFIX]. */
static bool parse_side(struct words *ws, const char *kw, bool remote, struct wf_fw_spec *s,
		       struct perr *e)
{
	struct wf_prefix *pfx = remote ? &s->remote : &s->local;
	bool *has = remote ? &s->has_remote : &s->has_local;
	const char *w = next(ws), *name;

	if (!w)
		return fail(e, "'%s' needs what it names (any, peer NAME, group NAME or a prefix)",
			    kw);
	if (!strcmp(w, "any"))
		return true;
	if (!strcmp(w, "peer") || !strcmp(w, "group")) {
		if (!remote)
			return fail(e,
				    "'%s %s': this side of the rule is this node's; give a prefix "
				    "(peers and groups are on the '%s' side)",
				    kw, w, s->dir == WF_FW_IN ? "from" : "to");
		if (!(name = next(ws)))
			return fail(e, "'%s' needs a name", w);
		if (!wf_cert_name_valid(name))
			return fail(e, "bad %s name '%s' (1-63 of A-Z a-z 0-9 . _ -)", w, name);
		s->who = !strcmp(w, "peer") ? WF_FW_PEER : WF_FW_GROUP;
		snprintf(s->name, sizeof(s->name), "%s", name);
		w = peek(ws);
		if (!w || !strcmp(w, "from") || !strcmp(w, "to"))
			return true;
		next(ws);
	}
	if (!parse_prefix(w, pfx, e))
		return false;
	*has = true;
	return true;
}

static bool parse_sides(struct words *ws, struct wf_fw_spec *s, struct perr *e)
{
	bool seen_from = false, seen_to = false;
	const char *w;

	while ((w = next(ws))) {
		bool from = !strcmp(w, "from");

		if (!from && strcmp(w, "to"))
			return fail(e, "unexpected '%s' (want 'from' or 'to')", w);
		if (from ? seen_from : seen_to)
			return fail(e, "'%s' given twice", w);
		if (from)
			seen_from = true;
		else
			seen_to = true;
		/* The peer is who sends inbound, who receives outbound. */
		if (!parse_side(ws, w, from == (s->dir == WF_FW_IN), s, e))
			return false;
	}
	if (s->has_remote && s->has_local && s->remote.family != s->local.family)
		return fail(e, "an IPv4 and an IPv6 prefix: the rule could never match");
	return true;
}

bool wf_fw_rule_parse(enum wf_fw_dir dir, const char *text, struct wf_fw_spec *out, char *err,
		      size_t errlen)
{
	struct perr e = {err, errlen};
	struct words ws;

	memset(out, 0, sizeof(*out));
	out->dir = (uint8_t)dir;
	if (dir != WF_FW_IN && dir != WF_FW_OUT)
		return fail(&e, "unknown direction");
	if (!split(text, &ws, &e) || !parse_action(&ws, out, &e) || !parse_proto(&ws, out, &e) ||
	    !parse_ports(&ws, out, &e) || !parse_sides(&ws, out, &e)) {
		memset(out, 0, sizeof(*out));
		return false;
	}
	return true;
}

/* --- Back to text ---------------------------------------------------------- */

static void side_str(const struct wf_fw_spec *s, bool remote, char *buf, size_t len)
{
	char p[WF_ADDR_STRLEN];
	const struct wf_prefix *pfx = remote ? &s->remote : &s->local;
	bool has = remote ? s->has_remote : s->has_local;
	bool who = remote && s->who != WF_FW_ANYONE;

	buf[0] = '\0';
	if (!who && !has)
		return;
	snprintf(buf, len, "%s%s%s%s", who ? (s->who == WF_FW_PEER ? " peer " : " group ") : "",
		 who ? s->name : "", has ? " " : "",
		 has ? wf_prefix_str(pfx, true, p, sizeof(p)) : "");
}

const char *wf_fw_rule_str(const struct wf_fw_spec *s, char *buf, size_t len)
{
	static const char *const protos[256] = {
	    [WF_FW_ANY] = "any", [WF_FW_ICMP] = "icmp", [WF_FW_TCP] = "tcp", [WF_FW_UDP] = "udp"};
	char ports[16] = "", from[WF_FW_RULE_TEXT / 2], to[WF_FW_RULE_TEXT / 2];
	bool in = s->dir == WF_FW_IN;
	int n;

	if (s->port_lo == s->port_hi)
		snprintf(ports, sizeof(ports), " %u", s->port_lo);
	else if (s->port_lo != 0 || s->port_hi != 65535)
		snprintf(ports, sizeof(ports), " %u-%u", s->port_lo, s->port_hi);
	side_str(s, in, from, sizeof(from));
	side_str(s, !in, to, sizeof(to));
	n = snprintf(buf, len, "%s %s%s%s%s%s%s", s->action == WF_FW_DROP ? "drop" : "allow",
		     protos[s->proto] ? protos[s->proto] : "?", ports, from[0] ? " from" : "", from,
		     to[0] ? " to" : "", to);
	if (n < 0 || (size_t)n >= len)
		buf[0] = '\0';
	return buf;
}
