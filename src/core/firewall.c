/* SPDX-License-Identifier: MIT */
/*
 * The firewall's rule set: names as ids, peers' idents, compiling specs, and
 * matching a packet against one list. The parser of rule lines is in
 * fw_parse.c, the packet reader in fw_packet.c, connection tracking in
 * fw_flows.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/firewall.h"

/* --- Names as ids ---------------------------------------------------------- */

/* An open-addressing hash set of (who, name), growing by doubling; ids are
 * handed out in order and never reused, so an id once in a peer's ident or a
 * rule means the same name for the daemon's life. Control thread only. */
struct name_slot {
	uint32_t id; /* 0: empty */
	uint8_t who;
	char name[WF_CERT_NAME_MAX + 1];
};

struct wf_fw_names {
	struct name_slot *slot;
	unsigned cap, n;
	uint32_t next_id;
};

struct wf_fw_names *wf_fw_names_new(void)
{
	struct wf_fw_names *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->cap = 64;
	n->next_id = 1;
	n->slot = calloc(n->cap, sizeof(n->slot[0]));
	if (!n->slot) {
		free(n);
		return NULL;
	}
	return n;
}

void wf_fw_names_free(struct wf_fw_names *n)
{
	if (!n)
		return;
	free(n->slot);
	free(n);
}

/* FNV-1a over the kind and the name. */
static uint32_t name_hash(uint8_t who, const char *name)
{
	uint32_t h = 2166136261u ^ who;

	for (; *name; name++)
		h = (h ^ (uint8_t)*name) * 16777619u;
	return h;
}

/* The slot holding (who, name), or the empty one where it would go. */
static struct name_slot *name_slot(const struct wf_fw_names *n, uint8_t who, const char *name)
{
	unsigned i = name_hash(who, name) & (n->cap - 1);

	while (n->slot[i].id && (n->slot[i].who != who || strcmp(n->slot[i].name, name) != 0))
		i = (i + 1) & (n->cap - 1);
	return &n->slot[i];
}

static bool names_grow(struct wf_fw_names *n)
{
	struct wf_fw_names bigger = {calloc(2 * (size_t)n->cap, sizeof(n->slot[0])), 2 * n->cap,
				     n->n, n->next_id};

	if (!bigger.slot)
		return false;
	for (unsigned i = 0; i < n->cap; i++)
		if (n->slot[i].id)
			*name_slot(&bigger, n->slot[i].who, n->slot[i].name) = n->slot[i];
	free(n->slot);
	*n = bigger;
	return true;
}

uint32_t wf_fw_names_intern(struct wf_fw_names *n, enum wf_fw_who who, const char *name)
{
	struct name_slot *s;

	if (!wf_cert_name_valid(name) || (who != WF_FW_PEER && who != WF_FW_GROUP))
		return 0;
	s = name_slot(n, (uint8_t)who, name);
	if (s->id)
		return s->id;
	if (2 * (n->n + 1) > n->cap) { /* at most half full: probes stay short */
		if (!names_grow(n))
			return 0;
		s = name_slot(n, (uint8_t)who, name);
	}
	s->id = n->next_id++;
	s->who = (uint8_t)who;
	snprintf(s->name, sizeof(s->name), "%s", name);
	n->n++;
	return s->id;
}

uint32_t wf_fw_names_find(const struct wf_fw_names *n, enum wf_fw_who who, const char *name)
{
	if (!n || !wf_cert_name_valid(name))
		return 0;
	return name_slot(n, (uint8_t)who, name)->id;
}

void wf_fw_ident_make(const struct wf_fw_names *n, const struct wf_cert *c, uint32_t peer,
		      struct wf_fw_ident *out)
{
	uint32_t id;

	memset(out, 0, sizeof(*out));
	out->peer = peer;
	if ((id = wf_fw_names_find(n, WF_FW_PEER, c->name)))
		out->id[out->n++] = id;
	for (unsigned i = 0; i < c->n_groups && i < WF_CERT_MAX_GROUPS; i++)
		if ((id = wf_fw_names_find(n, WF_FW_GROUP, c->groups[i])))
			out->id[out->n++] = id;
}

/* --- Compiling ------------------------------------------------------------- */

static bool compile_one(const struct wf_fw_spec *s, struct wf_fw_names *names, struct wf_fw_rule *r)
{
	memset(r, 0, sizeof(*r));
	if (s->who != WF_FW_ANYONE && !(r->who = wf_fw_names_intern(names, s->who, s->name)))
		return false;
	r->action = s->action;
	r->proto = s->proto;
	r->port_lo = s->port_lo;
	r->port_hi = s->port_hi;
	r->has_remote = s->has_remote;
	r->has_local = s->has_local;
	r->remote = s->remote;
	r->local = s->local;
	if (s->has_remote)
		r->family = s->remote.family;
	else if (s->has_local)
		r->family = s->local.family;
	return true;
}

struct wf_fw_rules *wf_fw_rules_new(const struct wf_fw_spec *specs, unsigned n,
				    struct wf_fw_names *names, uint32_t gen)
{
	struct wf_fw_rules *rs;
	unsigned k = 0;

	if (n > WF_FW_RULES_MAX || !gen)
		return NULL;
	rs = calloc(1, sizeof(*rs) + (size_t)n * sizeof(rs->rule[0]));
	if (!rs)
		return NULL;
	rs->gen = gen;
	/* Inbound rules first, then outbound, each in the order written. */
	for (unsigned d = WF_FW_IN; d <= WF_FW_OUT; d++) {
		rs->list[d] = &rs->rule[k];
		for (unsigned i = 0; i < n; i++) {
			if (specs[i].dir != d)
				continue;
			if (!compile_one(&specs[i], names, &rs->rule[k])) {
				free(rs);
				return NULL;
			}
			k++;
			rs->n[d]++;
		}
	}
	return rs;
}

void wf_fw_rules_free(struct wf_fw_rules *rs)
{
	free(rs);
}

/* --- Matching -------------------------------------------------------------- */

static bool proto_matches(uint8_t rule, uint8_t family, uint8_t proto)
{
	if (rule == WF_FW_ANY)
		return true;
	if (rule == WF_FW_ICMP)
		return proto == (family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	return rule == proto;
}

static bool ident_has(const struct wf_fw_ident *peer, uint32_t id)
{
	for (unsigned i = 0; i < peer->n && i < WF_FW_IDS; i++)
		if (peer->id[i] == id)
			return true;
	return false;
}

/* Does r match p going dir? The cheap tests first. */
static bool rule_matches(const struct wf_fw_rule *r, enum wf_fw_dir dir,
			 const struct wf_fw_ident *peer, const struct wf_fw_pkt *p)
{
	const struct wf_fw_tuple *t = &p->t;
	const uint8_t *remote = dir == WF_FW_IN ? t->src : t->dst;
	const uint8_t *local = dir == WF_FW_IN ? t->dst : t->src;

	if (!proto_matches(r->proto, t->family, t->proto))
		return false;
	if (r->family && r->family != t->family)
		return false;
	if (r->port_lo != 0 || r->port_hi != 65535) {
		/* A packet without ports (a later fragment) never matches a
		 * rule about ports, either way. */
		if (p->kind != WF_FW_PORTS || t->dport < r->port_lo || t->dport > r->port_hi)
			return false;
	}
	if (r->who && !ident_has(peer, r->who))
		return false;
	if (r->has_remote && !wf_prefix_match(&r->remote, t->family, remote))
		return false;
	return !r->has_local || wf_prefix_match(&r->local, t->family, local);
}

const struct wf_fw_rule *wf_fw_match(const struct wf_fw_rules *rs, enum wf_fw_dir dir,
				     const struct wf_fw_ident *peer, const struct wf_fw_pkt *p)
{
	const struct wf_fw_rule *r;

	if (!rs)
		return NULL;
	r = rs->list[dir];
	for (unsigned i = 0; i < rs->n[dir]; i++)
		if (rule_matches(&r[i], dir, peer, p))
			return &r[i];
	return NULL;
}
