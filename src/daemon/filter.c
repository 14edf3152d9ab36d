/* SPDX-License-Identifier: MIT */
/*
 * The firewall on the packet path (filter.h says who writes what).
 *
 * Which table a flow lives in: a peer's datagrams reach one worker (its
 * socket in the SO_REUSEPORT group), and the device hands a flow's packets
 * to the queue its answers were last written to, so after a flow's first
 * answer both directions are judged by one worker. The exceptions are a
 * flow this node opens whose first packets another worker read, and what
 * the control thread sends (staged packets) or delivers (a new session's
 * first packets, written through worker 0's queue). Those are noted to the
 * table that will see the answers before the packet leaves: the receiving
 * worker for what goes out, worker 0 for what the control thread delivers.
 */
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "common/log.h"
#include "crypto/crypto.h"
#include "daemon/daemon.h"
#include "daemon/filter.h"
#include "daemon/peer.h"
#include "daemon/worker.h"

_Static_assert(sizeof(struct wf_fw_ident) % 4 == 0, "an ident is published in words");
_Static_assert((WF_FW_INBOX & (WF_FW_INBOX - 1)) == 0, "the inbox wraps by mask");
_Static_assert((int)WF_WORKERS_MAX < (int)WF_FW_ALL, "a worker's number is an owner");

static void rules_free(struct wf_retire_link *l)
{
	wf_fw_rules_free(WF_CONTAINER_OF(l, struct wf_fw_rules, link));
}

bool wf_filter_setup(struct wf_daemon *d)
{
	struct wf_fw_rules *rs;

	d->fw.names = wf_fw_names_new();
	if (!d->fw.names || !wf_filter_compile(d, d->node.cfg.fw, d->node.cfg.n_fw, &rs))
		return false;
	wf_filter_install(d, rs);
	return true;
}

void wf_filter_release(struct wf_daemon *d)
{
	wf_fw_rules_free(__atomic_exchange_n(&d->fw.rules, NULL, __ATOMIC_ACQ_REL));
	wf_fw_names_free(d->fw.names);
	d->fw.names = NULL;
}

bool wf_filter_worker_alloc(struct wf_worker *w)
{
	struct wf_fw_worker *f = &w->fw;
	struct wf_fw_timeouts to;
	uint64_t seed;
	unsigned cap = w->d->node.cfg.fw_flows ? w->d->node.cfg.fw_flows : WF_CONFIG_FW_FLOWS;

	memset(f, 0, sizeof(*f));
	wf_fw_timeouts_default(&to);
	/* Keyed by a secret, so that nobody can pick flows for one bucket. */
	if (!wf_random(&seed, sizeof(seed)))
		return false;
	f->flows = wf_fw_flows_new(cap, (uint8_t)w->id, seed, &to);
	if (!f->flows)
		return false;
	if (w->control)
		return true; /* nobody notes to it: it never receives from a socket */
	f->inbox = malloc(WF_FW_INBOX * sizeof(*f->inbox));
	if (!f->inbox)
		return false;
	for (unsigned i = 0; i < WF_FW_INBOX; i++)
		f->inbox[i].seq = i;
	return true;
}

void wf_filter_worker_free(struct wf_worker *w)
{
	wf_fw_flows_free(w->fw.flows);
	free(w->fw.inbox);
	w->fw.flows = NULL;
	w->fw.inbox = NULL;
}

/* --- rules and idents (the control thread) ------------------------------- */

bool wf_filter_compile(struct wf_daemon *d, const struct wf_fw_spec *specs, unsigned n,
		       struct wf_fw_rules **out)
{
	*out = NULL;
	if (!n)
		return true;
	/* A new generation for each set: flows allowed under another are
	 * asked again (a reload that drops what was allowed takes effect). */
	if (!++d->fw.gen)
		d->fw.gen = 1;
	*out = wf_fw_rules_new(specs, n, d->fw.names, d->fw.gen);
	if (*out)
		(*out)->link.fn = rules_free;
	return *out != NULL;
}

static void ident_publish(struct wf_peer *p, const struct wf_fw_ident *id)
{
	uint32_t w[sizeof(p->fw.pub.w) / 4];
	unsigned seq = WF_GET(p->fw.pub.seq);

	memcpy(w, id, sizeof(w));
	WF_SET(p->fw.pub.seq, seq + 1);
	for (size_t i = 0; i < sizeof(w) / 4; i++)
		__atomic_store_n(&p->fw.pub.w[i], w[i], __ATOMIC_RELEASE);
	__atomic_store_n(&p->fw.pub.seq, seq + 2, __ATOMIC_RELEASE);
}

/* What ident_publish published (a worker: the control thread may be
 * writing it). */
static void ident_read(const struct wf_peer *p, struct wf_fw_ident *out)
{
	uint32_t w[sizeof(p->fw.pub.w) / 4];
	unsigned s1, s2;

	do {
		s1 = __atomic_load_n(&p->fw.pub.seq, __ATOMIC_ACQUIRE);
		for (size_t i = 0; i < sizeof(w) / 4; i++)
			w[i] = __atomic_load_n(&p->fw.pub.w[i], __ATOMIC_ACQUIRE);
		s2 = WF_GET(p->fw.pub.seq);
	} while ((s1 & 1) || s1 != s2);
	memcpy(out, w, sizeof(w));
}

void wf_filter_peer_cert(struct wf_daemon *d, struct wf_peer *p)
{
	struct wf_fw_ident id;

	/* A number of its own for its life (flows remember it: an answer
	 * from whoever holds the address next is no answer). */
	if (!p->fw.peer)
		p->fw.peer = ++d->fw.next_peer;
	memset(&id, 0, sizeof(id));
	/* From the certificate only: nothing the peer says comes in. */
	wf_fw_ident_make(d->fw.names, &p->cert, p->fw.peer, &id);
	ident_publish(p, &id);
}

void wf_filter_install(struct wf_daemon *d, struct wf_fw_rules *rs)
{
	struct wf_fw_rules *old;

	/* Idents first: no worker may see a rule whose ids a peer's ident
	 * lacks (a group member taken for an outsider). */
	for (struct wf_peer *p = d->peers.list; p; p = p->next)
		wf_filter_peer_cert(d, p);
	old = __atomic_exchange_n(&d->fw.rules, rs, __ATOMIC_ACQ_REL);
	if (old)
		wf_retire(d, &old->link);
}

/* --- the packet path ------------------------------------------------------ */

/* Into worker `to`'s inbox (a bounded ring with many producers: a slot is
 * claimed by its turn, written, then handed over with its turn + 1). */
static void note_push(struct wf_worker *to, const struct wf_fw_note *n)
{
	struct wf_fw_worker *f = &to->fw;
	unsigned pos = WF_GET(f->in_tail);
	struct wf_fw_slot *s;
	int dif;

	if (!f->inbox)
		return;
	for (;;) {
		s = &f->inbox[pos & (WF_FW_INBOX - 1)];
		dif = (int)(__atomic_load_n(&s->seq, __ATOMIC_ACQUIRE) - pos);

		if (dif == 0 && __atomic_compare_exchange_n(&f->in_tail, &pos, pos + 1, false,
							    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			break;
		if (dif < 0) {
			/* Full: its answers will be judged by the rules. */
			WF_ADD(f->notes_lost, 1);
			return;
		}
		if (dif > 0)
			pos = WF_GET(f->in_tail);
	}
	s->note = *n;
	__atomic_store_n(&s->seq, pos + 1, __ATOMIC_RELEASE);
}

void wf_filter_take_notes(struct wf_worker *w, int64_t now)
{
	struct wf_fw_worker *f = &w->fw;

	if (!f->inbox)
		return;
	for (;;) {
		struct wf_fw_slot *s = &f->inbox[f->in_head & (WF_FW_INBOX - 1)];

		if (__atomic_load_n(&s->seq, __ATOMIC_ACQUIRE) != f->in_head + 1)
			return;
		wf_fw_flows_adopt(f->flows, &s->note, now);
		f->used = true;
		__atomic_store_n(&s->seq, f->in_head + WF_FW_INBOX, __ATOMIC_RELEASE);
		f->in_head++;
	}
}

static void note_send(struct wf_worker *w, unsigned owner, const struct wf_fw_note *n)
{
	struct wf_daemon *d = w->d;

	if (owner < d->dp.n_workers) {
		note_push(&d->dp.w[owner], n);
		return;
	}
	for (unsigned i = 0; i < d->dp.n_workers; i++)
		if (&d->dp.w[i] != w)
			note_push(&d->dp.w[i], n);
}

/* The table that will see the answers to what w lets through (see the top
 * of the file). */
static unsigned owner_of(const struct wf_worker *w, const struct wf_peer *p, enum wf_fw_dir dir)
{
	unsigned r;

	if (!w->d->dp.n_workers)
		return WF_FW_NO_OWNER;
	if (dir == WF_FW_IN)
		return w->control ? 0 : w->id;
	r = WF_GET(p->fw.rx_worker);
	return r ? r - 1 : WF_FW_ALL;
}

static bool judge(struct wf_worker *w, const struct wf_fw_rules *rs, struct wf_peer *p,
		  enum wf_fw_dir dir, const uint8_t *pkt, size_t len, int64_t now)
{
	unsigned owner = owner_of(w, p, dir);
	struct wf_fw_ident id;
	struct wf_fw_note note;
	struct wf_fw_pkt facts;
	enum wf_fw_action v;

	/* What the firewall cannot read it cannot allow. */
	if (!wf_fw_pkt_parse(pkt, len, &facts)) {
		wf_count_drop(w->d, p, WF_DROP_MALFORMED);
		return false;
	}
	ident_read(p, &id);
	v = wf_fw_filter(w->fw.flows, rs, dir, &id, &facts, owner, now, &note);
	w->fw.used = true;
	if (note.valid)
		note_send(w, owner, &note);
	if (v == WF_FW_ALLOW)
		return true;
	/* Never answered: a drop looks like loss. */
	wf_count_drop(w->d, p, WF_DROP_FIREWALL);
	return false;
}

bool wf_filter_pass(struct wf_worker *w, struct wf_peer *p, enum wf_fw_dir dir, const uint8_t *pkt,
		    size_t len, int64_t now)
{
	const struct wf_fw_rules *rs = __atomic_load_n(&w->d->fw.rules, __ATOMIC_ACQUIRE);

	return !rs || judge(w, rs, p, dir, pkt, len, now);
}

void wf_filter_rx_seen(struct wf_worker *w, struct wf_peer *p)
{
	/* 0: none yet; else the worker's number + 1. */
	if (!w->control && WF_GET(p->fw.rx_worker) != w->id + 1)
		WF_SET(p->fw.rx_worker, (uint8_t)(w->id + 1));
}

void wf_filter_publish(struct wf_worker *w)
{
	const struct wf_fw_flow_stats *s;

	if (!w->fw.used)
		return;
	w->fw.used = false;
	s = wf_fw_flows_stats(w->fw.flows);
	WF_SET(w->fw.stats.created, s->created);
	WF_SET(w->fw.stats.adopted, s->adopted);
	WF_SET(w->fw.stats.hits, s->hits);
	WF_SET(w->fw.stats.expired, s->expired);
	WF_SET(w->fw.stats.evicted, s->evicted);
	WF_SET(w->fw.stats.related, s->related);
}

/* --- status --------------------------------------------------------------- */

static void add_stats(struct wf_fw_flow_stats *t, const struct wf_fw_flow_stats *s)
{
	t->created += WF_GET(s->created);
	t->adopted += WF_GET(s->adopted);
	t->hits += WF_GET(s->hits);
	t->expired += WF_GET(s->expired);
	t->evicted += WF_GET(s->evicted);
	t->related += WF_GET(s->related);
}

void wf_filter_totals(const struct wf_daemon *d, struct wf_fw_flow_stats *t, uint64_t *lost)
{
	memset(t, 0, sizeof(*t));
	*lost = 0;
	for (unsigned i = 0; i < d->dp.n_workers; i++) {
		add_stats(t, &d->dp.w[i].fw.stats);
		*lost += WF_GET(d->dp.w[i].fw.notes_lost);
	}
	/* The control thread's own table: this thread's, read directly. */
	if (d->dp.ctl.fw.flows)
		add_stats(t, wf_fw_flows_stats(d->dp.ctl.fw.flows));
}

static cJSON *rules_array(const struct wf_config *c, enum wf_fw_dir dir)
{
	cJSON *a = cJSON_CreateArray();
	char buf[WF_FW_RULE_TEXT];

	for (unsigned i = 0; a && i < c->n_fw; i++)
		if (c->fw[i].dir == dir)
			cJSON_AddItemToArray(
			    a, cJSON_CreateString(wf_fw_rule_str(&c->fw[i], buf, sizeof(buf))));
	return a;
}

void wf_filter_status(const struct wf_daemon *d, cJSON *node)
{
	cJSON *o = cJSON_AddObjectToObject(node, "firewall");
	struct wf_fw_flow_stats t;
	uint64_t lost;

	if (!o)
		return;
	wf_filter_totals(d, &t, &lost);
	cJSON_AddBoolToObject(o, "on", WF_GET(d->fw.rules) != NULL);
	cJSON_AddItemToObject(o, "inbound", rules_array(&d->node.cfg, WF_FW_IN));
	cJSON_AddItemToObject(o, "outbound", rules_array(&d->node.cfg, WF_FW_OUT));
	cJSON_AddNumberToObject(o, "flows_per_worker",
				d->dp.ctl.fw.flows ? wf_fw_flows_capacity(d->dp.ctl.fw.flows) : 0);
	cJSON_AddNumberToObject(o, "flows_created", (double)t.created);
	cJSON_AddNumberToObject(o, "flows_adopted", (double)t.adopted);
	cJSON_AddNumberToObject(o, "flow_hits", (double)t.hits);
	cJSON_AddNumberToObject(o, "flows_expired", (double)t.expired);
	cJSON_AddNumberToObject(o, "flows_evicted", (double)t.evicted);
	cJSON_AddNumberToObject(o, "related", (double)t.related);
	cJSON_AddNumberToObject(o, "notes_lost", (double)lost);
}
