/* SPDX-License-Identifier: MIT */
/*
 * The data-plane workers, and what they share with the control thread.
 *
 * Each worker is a thread with an epoll of its own over its queue of the TUN
 * device and its UDP socket. It reads what the control thread publishes
 * without a lock: the receiver-index table (atomic bucket heads and links),
 * the routes (a copy, replaced whole), each peer's keypair to send with (an
 * atomic pointer) and its endpoint (a sequence lock). What the control
 * thread unlinks it frees only once every worker has been idle, or between
 * two batches, since (quiescent-state reclamation: wf_retire, wf_reclaim).
 *
 * What a worker must not do itself (a handshake, the first packet on keys
 * nobody proved yet, a MEMBER message, a new endpoint, a packet for a peer
 * without keys) it copies into its queue to the control thread, a ring of
 * fixed slots with one producer and one consumer, and goes on.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/uio.h>

#include "common/log.h"
#include "daemon/daemon.h"
#include "daemon/data.h"
#include "daemon/index.h"
#include "daemon/membership.h"
#include "daemon/mtu.h"
#include "daemon/peer.h"
#include "daemon/udp.h"
#include "daemon/worker.h"


/* --- freeing what a worker may still hold ------------------------------- */

static uint64_t qs_load(const struct wf_worker *w)
{
	return __atomic_load_n(&w->qs, __ATOMIC_SEQ_CST);
}

/* The same, as a read-modify-write: a full barrier, so that the unlinking
 * stores before it are seen before the count is. */
static uint64_t qs_load_fenced(struct wf_worker *w)
{
	return __atomic_fetch_add(&w->qs, 0, __ATOMIC_SEQ_CST);
}

/* Has every worker been idle, or finished a batch, since qs[] was taken?
 * An even count is idle: it held nothing then, and whatever it reads later
 * no longer leads to what was unlinked before. */
static bool all_passed(const struct wf_daemon *d, const uint64_t qs[WF_WORKERS_MAX])
{
	for (unsigned i = 0; i < d->dp.n_workers; i++)
		if ((qs[i] & 1) && qs_load(&d->dp.w[i]) == qs[i])
			return false;
	return true;
}

static void snapshot(struct wf_daemon *d, uint64_t qs[WF_WORKERS_MAX])
{
	for (unsigned i = 0; i < d->dp.n_workers; i++)
		qs[i] = qs_load_fenced(&d->dp.w[i]);
}

bool wf_workers_alloc(struct wf_daemon *d, unsigned n)
{
	struct wf_worker *w = calloc(n ? n : 1, sizeof(*w));

	if (!w)
		return false;
	wf_workers_free(d);
	d->dp.w = w;
	return true;
}

void wf_workers_free(struct wf_daemon *d)
{
	free(d->dp.w);
	d->dp.w = NULL;
	d->dp.n_workers = 0;
}

void wf_retire(struct wf_daemon *d, struct wf_retire_link *l)
{
	if (!l)
		return;
	if (!d->dp.threads) {
		l->fn(l);
		return;
	}
	/* Into the open generation: it waits with the others for a snapshot
	 * (wf_reclaim). No memory is needed: the link is in the object. */
	l->next = d->dp.retire_open;
	d->dp.retire_open = l;
}

/* Were the messages queued before tail[] all taken? */
static bool all_taken(const struct wf_daemon *d, const unsigned tail[WF_WORKERS_MAX])
{
	for (unsigned i = 0; i < d->dp.n_workers; i++)
		if ((int)(__atomic_load_n(&d->dp.w[i].q.head, __ATOMIC_ACQUIRE) - tail[i]) < 0)
			return false;
	return true;
}

/*
 * Two steps: once every worker passed a quiescent point after a generation
 * was closed (its snapshot taken, after its objects were unlinked), none can
 * find them any more, but a message it queued before may still refer to
 * one; so the tails of the queues are taken then, and the objects are freed
 * once the control thread took everything up to them.
 */
static bool reclaimable(const struct wf_daemon *d, struct wf_retire_gen *g)
{
	if (!g->passed && all_passed(d, g->qs)) {
		g->passed = true;
		for (unsigned i = 0; i < d->dp.n_workers; i++)
			g->tail[i] = __atomic_load_n(&d->dp.w[i].q.tail, __ATOMIC_ACQUIRE);
	}
	return g->passed && all_taken(d, g->tail);
}

static void free_list(struct wf_retire_link *l)
{
	while (l) {
		struct wf_retire_link *next = l->next;

		l->fn(l);
		l = next;
	}
}

void wf_reclaim(struct wf_daemon *d, bool force)
{
	/* The routes first: the open generation may hold a peer that the
	 * workers' copy still names, so it is closed only once their copy is
	 * current (out of memory: it stays open, and gathers). */
	bool routed = wf_routes_flush(d);
	struct wf_retire_gen *free_gen = NULL;

	for (unsigned k = 0; k < WF_RETIRE_GENS; k++) {
		struct wf_retire_gen *g = &d->dp.retire_gen[k];

		if (g->head && (force || reclaimable(d, g))) {
			free_list(g->head);
			g->head = NULL;
		}
		if (!g->head && !free_gen)
			free_gen = g;
	}
	if (force) {
		free_list(d->dp.retire_open);
		d->dp.retire_open = NULL;
		return;
	}
	/* Close the open generation if a record is free; else it stays open
	 * and gathers more until one is. */
	if (d->dp.retire_open && free_gen && routed) {
		free_gen->head = d->dp.retire_open;
		free_gen->passed = false;
		snapshot(d, free_gen->qs);
		d->dp.retire_open = NULL;
	}
}

/* --- what workers read: endpoints, sending keys, routes -------------------- */

void wf_peer_publish(struct wf_daemon *d, struct wf_peer *p)
{
	union wf_endpoint ep;
	uint32_t w[sizeof(p->ep_pub.w) / 4];
	unsigned seq = WF_GET(p->ep_pub.seq);

	(void)d;
	memset(&ep, 0, sizeof(ep));
	if (p->has_endpoint && !p->removed)
		ep = p->endpoint;
	memcpy(w, &ep, sizeof(w));
	/* Release stores: no reader sees a new word before the odd count. */
	WF_SET(p->ep_pub.seq, seq + 1);
	for (size_t i = 0; i < sizeof(w) / 4; i++)
		__atomic_store_n(&p->ep_pub.w[i], w[i], __ATOMIC_RELEASE);
	__atomic_store_n(&p->ep_pub.seq, seq + 2, __ATOMIC_RELEASE);
	/* Staged packets leave first (wf_data_flush_staged publishes again). */
	__atomic_store_n(&p->tx_kp, p->removed || p->n_staged ? NULL : p->session.current,
			 __ATOMIC_RELEASE);
}

bool wf_peer_endpoint(const struct wf_peer *p, union wf_endpoint *out)
{
	uint32_t w[sizeof(p->ep_pub.w) / 4];
	unsigned s1, s2;

	do {
		s1 = __atomic_load_n(&p->ep_pub.seq, __ATOMIC_ACQUIRE);
		/* Acquire loads: the second count is read after the words. */
		for (size_t i = 0; i < sizeof(w) / 4; i++)
			w[i] = __atomic_load_n(&p->ep_pub.w[i], __ATOMIC_ACQUIRE);
		s2 = WF_GET(p->ep_pub.seq);
	} while ((s1 & 1) || s1 != s2);
	memcpy(out, w, sizeof(w));
	return out->sa.sa_family != AF_UNSPEC;
}

bool wf_routes_pending(const struct wf_daemon *d)
{
	return __atomic_load_n(&d->peers.routes_dirty, __ATOMIC_ACQUIRE);
}

bool wf_routes_changed(struct wf_daemon *d)
{
	__atomic_store_n(&d->peers.routes_dirty, true, __ATOMIC_RELEASE);
	return d->dp.threads || wf_routes_flush(d);
}

bool wf_routes_flush(struct wf_daemon *d)
{
	struct wf_routes *copy, *old;

	if (!wf_routes_pending(d))
		return true;
	if (!(copy = wf_routes_clone(d->peers.routes))) {
		log_warnx_rl("%s: out of memory; the workers keep the routes they have", __func__);
		return false;
	}
	old = __atomic_exchange_n(&d->peers.routes_pub, copy, __ATOMIC_ACQ_REL);
	if (old)
		wf_retire(d, wf_routes_link(old));
	__atomic_store_n(&d->peers.routes_dirty, false, __ATOMIC_RELEASE);
	/* After the copy (release): a worker that finds one ready finds it. */
	for (struct wf_index_entry *e = d->peers.unready; e; e = e->next_unready)
		__atomic_store_n(&e->live, WF_LIVE_READY, __ATOMIC_RELEASE);
	d->peers.unready = NULL;
	return true;
}

void wf_index_ready(struct wf_daemon *d, struct wf_index_entry *e)
{
	if (!wf_routes_pending(d)) {
		__atomic_store_n(&e->live, WF_LIVE_READY, __ATOMIC_RELEASE);
		return;
	}
	__atomic_store_n(&e->live, WF_LIVE_PENDING, __ATOMIC_RELEASE);
	e->next_unready = d->peers.unready;
	d->peers.unready = e;
}

const struct wf_routes *wf_worker_routes(const struct wf_worker *w)
{
	return w->control ? w->d->peers.routes : wf_routes_read(w->d);
}

const struct wf_routes *wf_routes_read(const struct wf_daemon *d)
{
	return __atomic_load_n(&d->peers.routes_pub, __ATOMIC_ACQUIRE);
}

/* --- the queues to the control thread ----------------------------------------- */

bool wf_ctlq_alloc(struct wf_daemon *d, struct wf_ctlq *q)
{
	/* A handshake message, or a datagram or packet of the MTU in use. */
	size_t data = d->node.mtu + WF_DATA_OVERHEAD + 64;

	if (data < 2048)
		data = 2048;
	q->data_max = data;
	q->slot_size = (sizeof(struct wf_ctl_msg) + data + 63) & ~(size_t)63;
	q->head = q->tail = 0;
	q->arena = malloc(WF_CTLQ_DEPTH * q->slot_size);
	return q->arena != NULL;
}

static struct wf_ctl_msg *ctlq_slot(const struct wf_ctlq *q, unsigned i)
{
	return (struct wf_ctl_msg *)(void *)(q->arena + (size_t)(i % WF_CTLQ_DEPTH) * q->slot_size);
}

bool wf_ctl_push(struct wf_worker *w, enum wf_handover kind, const uint8_t *data, size_t len,
		 const union wf_endpoint *from, uint32_t index, void *ref)
{
	struct wf_ctlq *q = &w->q;
	unsigned tail = WF_GET(q->tail);
	struct wf_ctl_msg *m;

	if (tail - __atomic_load_n(&q->head, __ATOMIC_ACQUIRE) >= WF_CTLQ_DEPTH ||
	    len > q->data_max) {
		wf_count_drop(w->d, NULL, WF_DROP_BUSY);
		return false;
	}
	m = ctlq_slot(q, tail);
	m->kind = (uint8_t)kind;
	m->len = (uint16_t)len;
	m->index = index;
	m->ref = ref;
	if (from)
		m->from = *from;
	else
		memset(&m->from, 0, sizeof(m->from));
	if (len)
		memcpy(m->data, data, len);
	__atomic_store_n(&q->tail, tail + 1, __ATOMIC_RELEASE);
	w->q_signal = true;
	return true;
}

bool wf_ctl_quiet(const struct wf_worker *w)
{
	return WF_GET(w->q.tail) - __atomic_load_n(&w->q.head, __ATOMIC_ACQUIRE) < WF_CTLQ_LOAD;
}

/* The peer of the index entry a worker saw, if the entry is still linked. */
static struct wf_peer *ctl_peer(struct wf_daemon *d, const struct wf_ctl_msg *m)
{
	struct wf_index_entry *e = wf_index_find(d, m->index);

	if (!e || e != m->ref || e->kind != WF_INDEX_KEYPAIR || !e->peer || e->peer->removed)
		return NULL;
	return e->peer;
}

static void ctl_take(struct wf_daemon *d, struct wf_ctl_msg *m, int64_t now)
{
	struct wf_worker *c = &d->dp.ctl;
	struct wf_vnet_hdr plain;
	struct wf_index_entry *e;
	struct wf_peer *p;

	switch (m->kind) {
	case WF_HO_DATAGRAM:
		wf_data_dispatch(c, m->data, m->len, &m->from, now);
		if (m->ref) /* data on an index: delivered, the next may go direct */
			WF_ADD(((struct wf_index_entry *)m->ref)->handed, -1u);
		break;
	case WF_HO_TUN:
		/* Into a slot of our own, which has the room sealing needs. */
		if (m->len <= c->tx.slot_cap) {
			memset(&plain, 0, sizeof(plain));
			memcpy(wf_txq_slot(c), m->data, m->len);
			wf_data_from_tun(c, wf_txq_slot(c), m->len, &plain, now);
			wf_txq_flush(c);
		}
		/* Sent or staged: either way before anything the worker sends
		 * once it sees the count drop. */
		if (m->ref)
			WF_ADD(((struct wf_peer *)m->ref)->tx_handed, -1u);
		break;
	case WF_HO_SEEN:
		if ((p = ctl_peer(d, m)))
			wf_peer_seen_at(d, p, &m->from, now);
		break;
	case WF_HO_MEMBER:
		if ((p = ctl_peer(d, m)))
			wf_members_receive(d, p, m->data, m->len, now);
		break;
	case WF_HO_PTB:
		if (m->len == 4) {
			uint32_t mtu;

			memcpy(&mtu, m->data, sizeof(mtu));
			wf_mtu_ptb(d, &m->from, mtu, now);
		}
		break;
	case WF_HO_PROVEN:
		e = m->ref;
		if ((p = ctl_peer(d, m)) && e->ptr && !((struct wf_keypair *)e->ptr)->proven) {
			wf_peer_seen_at(d, p, &m->from, now);
			wf_data_prove(d, e, e->ptr, now);
		}
		break;
	}
}

void wf_ctl_drain(struct wf_daemon *d, int64_t now)
{
	uint64_t n;

	if (d->dp.wake_fd >= 0 && read(d->dp.wake_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_debug("%s: %s", __func__, strerror(errno));
	for (unsigned i = 0; i < d->dp.n_workers; i++) {
		struct wf_ctlq *q = &d->dp.w[i].q;
		unsigned head = WF_GET(q->head), tail = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE);

		if (!q->arena)
			continue;
		for (; head != tail; head++) {
			/* Behind it now: the worker fills what we free as we
			 * go, and a flood keeps the queue full to the end. */
			d->dp.ctl_backlog = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE) - head - 1;
			ctl_take(d, ctlq_slot(q, head), now);
			__atomic_store_n(&q->head, head + 1, __ATOMIC_RELEASE);
		}
	}
	d->dp.ctl_backlog = 0;
	wf_txq_flush(&d->dp.ctl);
}

/* --- the workers ------------------------------------------------------------ */

/* One read from the worker's queue of the TUN device into the free TX slot,
 * the rest (a super-packet) into the big buffer after it. */
static bool tun_read(struct wf_worker *w, int64_t now)
{
	struct wf_daemon *d = w->d;
	uint8_t hdr[WF_VNET_HDR_LEN], *slot = wf_txq_slot(w);
	uint8_t *big = w->tx.big + WF_DATA_HEADER_LEN, *pkt = slot;
	size_t cap = w->tx.slot_cap;
	struct iovec iov[3] = {{.iov_base = hdr, .iov_len = sizeof(hdr)},
			       {.iov_base = slot, .iov_len = cap},
			       {.iov_base = big + cap, .iov_len = WF_SUPER_MAX - cap}};
	struct wf_vnet_hdr h;
	int skip = d->dp.off.vnet ? 0 : 1;
	ssize_t n = readv(w->tun_fd, iov + skip, 3 - skip);

	if (n <= 0)
		return false;
	WF_BUMP(w->batch.tun_reads, 1);
	memset(&h, 0, sizeof(h));
	if (d->dp.off.vnet) {
		if (n < WF_VNET_HDR_LEN) {
			wf_count_drop(d, NULL, WF_DROP_MALFORMED);
			return true;
		}
		wf_vnet_hdr_get(&h, hdr);
		n -= WF_VNET_HDR_LEN;
	}
	/* A super-packet is cut from one piece of memory. */
	if ((size_t)n > cap || h.gso_type != WF_GSO_NONE) {
		memcpy(big, slot, (size_t)n < cap ? (size_t)n : cap);
		pkt = big;
	}
	wf_data_from_tun(w, pkt, (size_t)n, &h, now);
	return true;
}

/*
 * How many reads a wake-up makes. A burst ends with a read that finds the
 * queue empty (EAGAIN): a syscall for nothing, and with requests and
 * answers, one packet a wake-up, one syscall in four. So after a burst that
 * found at most one packet, a wake-up reads one and goes back to epoll,
 * which is level-triggered and wakes it at once for anything left. A
 * wake-up that soon (WF_TUN_SPARSE_NS) after the last read means the queue
 * fills faster than that: a burst again.
 */
unsigned wf_tun_reads(bool sparse, uint64_t since_ns)
{
	return sparse && since_ns >= WF_TUN_SPARSE_NS ? 1 : WF_TUN_BURST;
}

void wf_worker_tun(struct wf_worker *w)
{
	uint64_t ns = wf_now_ns();
	int64_t now = (int64_t)(ns / 1000000u); /* one clock read per burst is precise enough */
	unsigned limit = wf_tun_reads(w->tun_sparse, ns - w->tun_last_ns), n = 0;

	wf_filter_take_notes(w, now); /* answers to flows others let in */
	while (n < limit && tun_read(w, now))
		n++;
	if (limit > 1)
		w->tun_sparse = n <= 1;
	/* (The wake-up's time: a burst long enough to matter is not sparse.) */
	w->tun_last_ns = ns;
	wf_txq_flush(w);
}

/* A read-modify-write, a full barrier: the count is out before anything
 * the worker reads next. */
static void qs_step(struct wf_worker *w)
{
	__atomic_fetch_add(&w->qs, 1, __ATOMIC_SEQ_CST);
}

static void *worker_main(void *arg)
{
	struct wf_worker *w = arg;
	struct wf_daemon *d = w->d;
	struct epoll_event ev[4];

	for (;;) {
		int n = epoll_wait(w->epoll_fd, ev, 4, -1);

		qs_step(w); /* odd: in a batch, may hold what it reads */
		for (int i = 0; i < n; i++) {
			int fd = ev[i].data.fd;

			if (fd == d->dp.stop_fd) {
				qs_step(w);
				return NULL;
			}
			if (fd == w->tun_fd) {
				wf_worker_tun(w);
			} else {
				/* Level-triggered: an error queue left full
				 * would wake us for ever. */
				if (ev[i].events & EPOLLERR)
					wf_udp_drain_errors(w);
				wf_udp_receive(w);
			}
		}
		wf_filter_publish(w);
		if (w->q_signal) {
			uint64_t one = 1;

			w->q_signal = false;
			if (write(d->dp.wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
				log_debug("%s: %s", __func__, strerror(errno));
		}
		qs_step(w); /* even: idle, holds nothing */
	}
}

static bool worker_events(struct wf_daemon *d, struct wf_worker *w)
{
	int fds[] = {w->tun_fd, w->udp_fd, d->dp.stop_fd};

	w->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epoll_fd < 0)
		return false;
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[i]};

		if (epoll_ctl(w->epoll_fd, EPOLL_CTL_ADD, fds[i], &ev) < 0)
			return false;
	}
	return true;
}

bool wf_threads_start(struct wf_daemon *d)
{
	d->dp.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	d->dp.stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (d->dp.wake_fd < 0 || d->dp.stop_fd < 0) {
		log_error("eventfd");
		return false;
	}
	for (unsigned i = 0; i < d->dp.n_workers; i++)
		if (!wf_ctlq_alloc(d, &d->dp.w[i].q) || !worker_events(d, &d->dp.w[i])) {
			log_error("worker %u", i);
			return false;
		}
	d->dp.threads = true;
	for (unsigned i = 0; i < d->dp.n_workers; i++) {
		int e = pthread_create(&d->dp.w[i].thread, NULL, worker_main, &d->dp.w[i]);

		if (e) {
			log_errorx("cannot start worker %u: %s", i, strerror(e));
			wf_threads_stop(d);
			return false;
		}
		d->dp.w[i].started = true;
		{
			char name[20]; /* what top -H and /proc/PID/task/TID/comm show (15 at most) */

			snprintf(name, sizeof(name), "weft-w%u", i);
			(void)pthread_setname_np(d->dp.w[i].thread, name);
		}
	}
	return true;
}

void wf_threads_stop(struct wf_daemon *d)
{
	uint64_t one = 1;

	if (d->dp.stop_fd >= 0 && write(d->dp.stop_fd, &one, sizeof(one)) < 0)
		log_error("%s", __func__);
	for (unsigned i = 0; i < d->dp.n_workers; i++) {
		if (d->dp.w[i].started)
			pthread_join(d->dp.w[i].thread, NULL);
		d->dp.w[i].started = false;
	}
	d->dp.threads = false;
	wf_reclaim(d, true);
}
