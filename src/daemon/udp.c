/* SPDX-License-Identifier: MIT */
/*
 * The UDP side of the packet path: the socket and its offloads, and
 * datagrams in batches. Out: sealed datagrams wait in fixed slots
 * (wf_txq_slot, wf_txq_commit) and leave with one sendmmsg per batch, each
 * run of same-sized datagrams to one peer as one UDP_SEGMENT message, which
 * the kernel (or the network card) cuts again. In: one recvmmsg fills up to
 * 16 buffers of 64 KiB; with UDP_GRO each holds a run of datagrams from one
 * sender, cut here at the size the kernel reports.
 *
 * Both offloads are probed at start; UDP segmentation is also self-tested,
 * because some kernels take it and then corrupt it. UDP_GRO falls back to
 * one datagram per message by itself the first time the kernel refuses it;
 * a refused segmented send is the path's business (a route narrower than
 * the segments, a device on it without checksum offload), so it turns
 * segmentation off for that peer only, for a while (peer_gso_refused).
 */
#include <errno.h>
#include <stddef.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include "common/clock.h"
#include "common/log.h"
#include "daemon/daemon.h"
#include "daemon/data.h"
#include "daemon/mtu.h"
#include "daemon/peer.h"
#include "daemon/udp.h"
#include "daemon/worker.h"

enum {
	UDP_BUFFER = 4 << 20,
	RX_BUF = 65536,     /* a datagram, or a run of them with UDP_GRO */
	RX_ROUNDS = 4,      /* recvmmsg calls before the loop looks elsewhere */
	GSO_TOTAL_MAX = 65000, /* bytes in one UDP_SEGMENT message */
	SELFTEST_SEG = 1200,
	SELFTEST_SEGS = 4,
	SELFTEST_LAST = 700,
};

/* --- the offloads' state ---------------------------------------------------- */

void wf_offload_off(struct wf_offload *o, const char *fmt, ...)
{
	va_list ap;

	/* Two workers refused at once: one says why. The reason is written
	 * before the offload shows off, and status reads it only after. */
	if (__atomic_exchange_n(&o->claimed, true, __ATOMIC_ACQUIRE))
		return;
	if (!o->why[0] || __atomic_load_n(&o->on, __ATOMIC_RELAXED)) {
		va_start(ap, fmt);
		vsnprintf(o->why, sizeof(o->why), fmt, ap);
		va_end(ap);
	}
	__atomic_store_n(&o->on, false, __ATOMIC_RELEASE);
	__atomic_store_n(&o->claimed, false, __ATOMIC_RELEASE);
}

const struct wf_offload *wf_offload_nth(const struct wf_offloads *off, unsigned i,
					const char **conf, const char **json)
{
	static const struct {
		const char *conf, *json;
		size_t at;
	} all[WF_OFFLOADS] = {
	    {"tun-tso", "tun_tso", offsetof(struct wf_offloads, tun_tso)},
	    {"tun-uso", "tun_uso", offsetof(struct wf_offloads, tun_uso)},
	    {"tun-gro", "tun_gro", offsetof(struct wf_offloads, tun_gro)},
	    {"udp-gso", "udp_gso", offsetof(struct wf_offloads, udp_gso)},
	    {"udp-gro", "udp_gro", offsetof(struct wf_offloads, udp_gro)},
	};

	*conf = all[i].conf;
	*json = all[i].json;
	return (const struct wf_offload *)((const char *)off + all[i].at);
}

bool wf_offload_on(const struct wf_offload *o)
{
	return __atomic_load_n(&o->on, __ATOMIC_ACQUIRE);
}

/* Errors that mean "this kernel (or device) will not segment that". */
static bool gso_refused(int e)
{
	return e == EINVAL || e == EIO || e == EMSGSIZE || e == EOPNOTSUPP || e == ENOPROTOOPT;
}

/* Errors an ICMP message from the network leaves pending on the socket
 * (IP_RECVERR): the next send reports one, whatever its destination, and
 * fails without sending. */
static bool async_error(int e)
{
	return e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH || e == EHOSTDOWN ||
	       e == EPROTO || e == EMSGSIZE;
}

/* --- the start-up self-test of UDP segmentation ------------------------------ */

static void selftest_fill(uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + i / SELFTEST_SEG);
}

/* Did the datagrams arrive cut where they should, with their bytes intact? */
static bool selftest_check(int rx, const uint8_t *sent)
{
	uint8_t got[SELFTEST_SEG + 64];

	for (unsigned k = 0; k < SELFTEST_SEGS; k++) {
		size_t want = k + 1 < SELFTEST_SEGS ? SELFTEST_SEG : SELFTEST_LAST;
		struct pollfd pfd = {.fd = rx, .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, 500) != 1)
			return false;
		n = recv(rx, got, sizeof(got), MSG_DONTWAIT);
		if (n != (ssize_t)want || memcmp(got, sent + (size_t)k * SELFTEST_SEG, want))
			return false;
	}
	return recv(rx, got, sizeof(got), MSG_DONTWAIT) < 0; /* nothing more */
}

static bool selftest_send(int tx, const union wf_endpoint *to, const uint8_t *buf, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr mh = {.msg_name = (void *)&to->sa, .msg_namelen = wf_endpoint_len(to),
			    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			    .msg_controllen = sizeof(ctl.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	uint16_t seg = SELFTEST_SEG;

	c->cmsg_level = IPPROTO_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(seg));
	memcpy(CMSG_DATA(c), &seg, sizeof(seg));
	return sendmsg(tx, &mh, MSG_DONTWAIT) == (ssize_t)len;
}

/*
 * Send one UDP_SEGMENT message of four datagrams over loopback and check
 * that four arrive, cut and intact. On failure, why says what went wrong.
 */
static bool gso_selftest(int family, struct wf_offload *o)
{
	static uint8_t buf[(SELFTEST_SEGS - 1) * SELFTEST_SEG + SELFTEST_LAST];
	union wf_endpoint to;
	socklen_t tl = sizeof(to);
	int tx, rx;
	bool ok = false;

	memset(&to, 0, sizeof(to));
	to.sa.sa_family = (sa_family_t)family;
	if (family == AF_INET)
		to.in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		to.in6.sin6_addr = in6addr_loopback;
	tx = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	rx = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (tx < 0 || rx < 0 || bind(rx, &to.sa, wf_endpoint_len(&to)) < 0 ||
	    getsockname(rx, &to.sa, &tl) < 0) {
		wf_offload_off(o, "the self-test could not run (%s: is the loopback interface up?)",
			    strerror(errno));
		goto out;
	}
	selftest_fill(buf, sizeof(buf));
	if (!selftest_send(tx, &to, buf, sizeof(buf)))
		wf_offload_off(o, "the kernel refused it (%s)", strerror(errno));
	else if (!(ok = selftest_check(rx, buf)))
		wf_offload_off(o, "%s", "the self-test received the datagrams wrong: this kernel "
				     "corrupts UDP segmentation");
out:
	if (tx >= 0)
		close(tx);
	if (rx >= 0)
		close(rx);
	return ok;
}

/* --- the socket ---------------------------------------------------------------- */

static void probe_offloads(struct wf_daemon *d, const int *fds, unsigned n)
{
	int on = 1;

	d->dp.off.udp_gso.on = d->dp.off.udp_gro.on = false;
	if (!d->node.cfg.udp_gso)
		wf_offload_off(&d->dp.off.udp_gso, "%s", "weft.conf");
	else
		d->dp.off.udp_gso.on = gso_selftest(d->node.cfg.listen.sa.sa_family, &d->dp.off.udp_gso);
	if (!d->node.cfg.udp_gro) {
		wf_offload_off(&d->dp.off.udp_gro, "%s", "weft.conf");
		return;
	}
	d->dp.off.udp_gro.on = true;
	for (unsigned i = 0; i < n && d->dp.off.udp_gro.on; i++)
		if (setsockopt(fds[i], IPPROTO_UDP, UDP_GRO, &on, sizeof(on)) < 0)
			wf_offload_off(&d->dp.off.udp_gro, "the kernel refused it (%s)", strerror(errno));
	/* All or none: a socket without it gets runs it cannot cut. */
	for (unsigned i = 0, no = 0; i < n && !d->dp.off.udp_gro.on; i++)
		setsockopt(fds[i], IPPROTO_UDP, UDP_GRO, &no, sizeof(no));
}

/* A socket on at (one of a group of n sharing the port when n > 1). */
static int open_socket(const union wf_endpoint *at, unsigned n)
{
	int buf = UDP_BUFFER, off = 0, on = 1;
	int probe = IP_PMTUDISC_PROBE, probe6 = IPV6_PMTUDISC_PROBE;
	int fd = socket(at->sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (at->sa.sa_family == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof(on));
		setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &probe6, sizeof(probe6));
	}
	/* DF on, nothing fragmented here, and the kernel's path MTU (from
	 * ICMP, which many paths drop and anyone can forge) not applied:
	 * weft sizes each peer's datagrams itself (mtu.c, core/pmtud.h). */
	setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &probe, sizeof(probe));
	/* Send failures reported, not swallowed (see wf_udp_drain_errors). */
	setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on));
	/* Bursts of a fast flow must not overflow the default 200 KiB. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	/* The kernel spreads the senders over the group by address and port,
	 * so one peer's datagrams all reach one worker, in order. */
	if ((n > 1 && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) < 0) ||
	    bind(fd, &at->sa, wf_endpoint_len(at)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

bool wf_udp_setup(struct wf_daemon *d, int *fds, unsigned n)
{
	char ep[WF_ADDR_STRLEN];
	union wf_endpoint at = d->node.cfg.listen;
	socklen_t len = sizeof(at);
	int probe;

	wf_endpoint_str(&d->node.cfg.listen, ep, sizeof(ep));
	for (unsigned i = 0; i < n; i++)
		fds[i] = -1;
	/* A group of sockets would let a second daemon on the same port join
	 * it: bind once alone first, so that an owner already there is seen. */
	if (n > 1) {
		probe = open_socket(&at, 1);
		if (probe < 0) {
			log_error("cannot listen on %s", ep);
			return false;
		}
		/* Port 0: the group takes the one the kernel chose. */
		if (getsockname(probe, &at.sa, &len) < 0)
			at = d->node.cfg.listen;
		close(probe);
	}
	for (unsigned i = 0; i < n; i++) {
		fds[i] = open_socket(&at, n);
		if (fds[i] < 0) {
			log_error("cannot listen on %s", ep);
			return false;
		}
	}
	d->udp_fd = fds[0];
	probe_offloads(d, fds, n);
	return true;
}

/* --- sending ----------------------------------------------------------------- */

static void send_failed(struct wf_daemon *d, struct wf_peer *p, const union wf_endpoint *to,
			int e, unsigned datagrams)
{
	char ep[WF_ADDR_STRLEN];

	for (unsigned i = 0; i < datagrams; i++)
		wf_count_drop(d, p, WF_DROP_SEND_ERROR);
	/* Larger than the route takes: news about the path (mtu.c). */
	if (p && e == EMSGSIZE)
		__atomic_store_n(&p->mtu_recheck, true, __ATOMIC_RELAXED);
	/* ENOBUFS where many peers share one link: the kernel's neighbour
	 * table (ARP, NDP) is full; docs/deploy.md says how to grow it. */
	log_warnx_rl("cannot send to %s%s%s: %s%s", wf_endpoint_str(to, ep, sizeof(ep)),
		     p ? " for " : "", p ? p->cert.name : "", strerror(e),
		     e == ENOBUFS ? " (a full neighbour table? see gc_thresh3 in deploy.md)" : "");
}

/* One datagram on socket fd, now. */
static void send_one(struct wf_daemon *d, int fd, struct wf_peer *p, const union wf_endpoint *to,
		     const uint8_t *pkt, size_t len)
{
	ssize_t n = sendto(fd, pkt, len, MSG_DONTWAIT, &to->sa, wf_endpoint_len(to));

	/* That failure used up the pending error: once more, for this one. */
	if (n < 0 && async_error(errno))
		n = sendto(fd, pkt, len, MSG_DONTWAIT, &to->sa, wf_endpoint_len(to));
	if (n < 0)
		send_failed(d, p, to, errno, 1);
}

void wf_udp_send(struct wf_daemon *d, struct wf_peer *p, const union wf_endpoint *to,
		 const uint8_t *pkt, size_t len)
{
	send_one(d, d->udp_fd, p, to, pkt, len);
}

static uint8_t *slot(const struct wf_txq *q, unsigned i)
{
	return q->arena + (size_t)i * q->slot_size;
}

uint8_t *wf_txq_slot(struct wf_worker *w)
{
	if (w->tx.n == WF_TX_SLOTS)
		wf_txq_flush(w);
	return slot(&w->tx, w->tx.n) + WF_DATA_HEADER_LEN;
}

void wf_txq_commit(struct wf_worker *w, struct wf_peer *p, const union wf_endpoint *to, size_t len)
{
	w->tx.peer[w->tx.n] = p;
	w->tx.to[w->tx.n] = *to;
	w->tx.len[w->tx.n] = (uint16_t)len;
	w->tx.n++;
}

/* May a run to p go segmented? Off for a while after a refusal; the clock
 * is read only then. */
static bool peer_gso_on(const struct wf_peer *p)
{
	int64_t until = __atomic_load_n(&p->gso.until_ms, __ATOMIC_ACQUIRE);

	return !until || wf_now_ms() >= until;
}

/* Where the message that starts at slot i ends: a run to the same peer at the
 * same endpoint (it may roam mid-burst) of datagrams the size of the first,
 * the last one maybe shorter. */
static unsigned run_end(const struct wf_worker *w, unsigned i)
{
	const struct wf_txq *q = &w->tx;
	unsigned j = i + 1;
	size_t total = q->len[i];

	if (!wf_offload_on(&w->d->dp.off.udp_gso) || !peer_gso_on(q->peer[i]))
		return j;
	while (j < q->n && q->peer[j] == q->peer[i] && wf_endpoint_equal(&q->to[j], &q->to[i]) &&
	       j - i < WF_UDP_GSO_SEGS &&
	       q->len[j] <= q->len[i] && total + q->len[j] <= GSO_TOTAL_MAX) {
		total += q->len[j++];
		if (q->len[j - 1] < q->len[i])
			break;
	}
	return j;
}

struct tx_batch {
	struct mmsghdr msg[WF_TX_SLOTS];
	struct iovec iov[WF_TX_SLOTS];
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} ctl[WF_TX_SLOTS];
	unsigned first[WF_TX_SLOTS + 1]; /* the slots of message m: first[m] .. first[m+1] */
	unsigned n;
};

static void add_message(struct wf_worker *w, struct tx_batch *b, unsigned i, unsigned j)
{
	struct msghdr *mh = &b->msg[b->n].msg_hdr;
	const union wf_endpoint *to = &w->tx.to[i];

	memset(mh, 0, sizeof(*mh));
	mh->msg_name = (void *)&to->sa;
	mh->msg_namelen = wf_endpoint_len(to);
	mh->msg_iov = &b->iov[i];
	mh->msg_iovlen = j - i;
	if (j - i > 1) {
		struct cmsghdr *c;
		uint16_t seg = w->tx.len[i];

		mh->msg_control = b->ctl[b->n].buf;
		mh->msg_controllen = sizeof(b->ctl[b->n].buf);
		c = CMSG_FIRSTHDR(mh);
		c->cmsg_level = IPPROTO_UDP;
		c->cmsg_type = UDP_SEGMENT;
		c->cmsg_len = CMSG_LEN(sizeof(seg));
		memcpy(CMSG_DATA(c), &seg, sizeof(seg));
	}
	b->first[b->n++] = i;
}

/* The kernel refused a segmented send to p (error e): off for p until its
 * backoff ends, said once per refusal (at most once a minute a peer). Two
 * workers refused at once double it twice: still bounded. */
static void peer_gso_refused(struct wf_peer *p, int e)
{
	uint32_t backoff = WF_GET(p->gso.backoff_ms);
	char ep[WF_ADDR_STRLEN];
	union wf_endpoint to;

	backoff = !backoff ? WF_GSO_BACKOFF_MIN_MS
		  : backoff >= WF_GSO_BACKOFF_MAX_MS / 2 ? WF_GSO_BACKOFF_MAX_MS
							 : backoff * 2;
	WF_SET(p->gso.backoff_ms, backoff);
	WF_SET(p->gso.err, e);
	WF_ADD(p->gso.refusals, 1);
	__atomic_store_n(&p->gso.until_ms, wf_now_ms() + backoff, __ATOMIC_RELEASE);
	log_warnx("udp-gso: the kernel refused a segmented send to %s at %s (%s); its datagrams "
		  "go one by one for %u s", p->cert.name,
		  wf_peer_endpoint(p, &to) ? wf_endpoint_str(&to, ep, sizeof(ep)) : "?", strerror(e),
		  backoff / 1000);
}

/* A segmented send to p passed (on thread t): a backoff is over. */
static void peer_gso_passed(struct wf_peer *p, unsigned t)
{
	__atomic_fetch_add(&p->count[t < p->n_count ? t : p->n_count - 1].gso_sends, 1,
			   __ATOMIC_RELAXED);
	if (!WF_GET(p->gso.backoff_ms))
		return;
	WF_SET(p->gso.backoff_ms, 0);
	__atomic_store_n(&p->gso.until_ms, 0, __ATOMIC_RELEASE);
	log_info("udp-gso: segmented sends to %s pass again", p->cert.name);
}

/* The kernel refused a segmented message: send its datagrams one by one,
 * and none segmented to that peer for a while. */
static void gso_fallback(struct wf_worker *w, struct tx_batch *b, unsigned m, int e)
{
	unsigned first = b->first[m];
	struct wf_peer *p = w->tx.peer[first];

	peer_gso_refused(p, e);
	if (e == EMSGSIZE) /* the route is narrower than the segments */
		__atomic_store_n(&p->mtu_recheck, true, __ATOMIC_RELAXED);
	for (unsigned i = first; i < b->first[m + 1]; i++)
		send_one(w->d, w->udp_fd, p, &w->tx.to[first], b->iov[i].iov_base,
			 b->iov[i].iov_len);
}

static void send_batch(struct wf_worker *w, struct tx_batch *b)
{
	unsigned done = 0;
	bool retried = false;

	while (done < b->n) {
		int r = sendmmsg(w->udp_fd, b->msg + done, b->n - done, MSG_DONTWAIT);
		unsigned segs;
		int e = errno;

		if (r > 0) {
			for (unsigned m = done; m < done + (unsigned)r; m++) {
				bool seg = b->first[m + 1] - b->first[m] > 1;

				WF_BUMP(w->batch.gso_sends, seg);
				if (seg)
					peer_gso_passed(w->tx.peer[b->first[m]], w->id);
			}
			done += (unsigned)r;
			retried = false;
			continue;
		}
		/* That failure used up a pending ICMP error: once more. */
		if (async_error(e) && !retried) {
			retried = true;
			continue;
		}
		segs = b->first[done + 1] - b->first[done];
		if (segs > 1 && gso_refused(e)) {
			gso_fallback(w, b, done, e);
		} else {
			unsigned first = b->first[done];

			send_failed(w->d, w->tx.peer[first], &w->tx.to[first], e, segs);
		}
		done++;
		retried = false;
	}
}

void wf_txq_flush(struct wf_worker *w)
{
	struct tx_batch *b = w->txb; /* the worker's own: too big for the stack */
	struct wf_txq *q = &w->tx;

	if (!q->n)
		return;
	b->n = 0;
	for (unsigned i = 0; i < q->n; i++) {
		b->iov[i].iov_base = slot(q, i);
		b->iov[i].iov_len = q->len[i];
	}
	for (unsigned i = 0, j; i < q->n; i = j) {
		j = run_end(w, i);
		add_message(w, b, i, j);
	}
	b->first[b->n] = q->n;
	send_batch(w, b);
	q->n = 0;
}

/* --- receiving ----------------------------------------------------------------- */

/* The kernel says a datagram to `to` was too big for a hop: a hint for that
 * peer's search, which never takes it as a verdict (an ICMP message is easy
 * to forge). Ten a second a worker at most reach the control thread. */
static void too_big_seen(struct wf_worker *w, const union wf_endpoint *to, uint32_t mtu)
{
	static const struct wf_rate ptb = {.interval_us = 100000, .burst_us = 900000};
	uint8_t v[4];

	if (!wf_rate_allow(&ptb, &w->ptb_tat, wf_now_ms()))
		return;
	memcpy(v, &mtu, sizeof(v));
	if (w->control)
		wf_mtu_ptb(w->d, to, mtu, wf_now_ms());
	else
		(void)wf_ctl_push(w, WF_HO_PTB, v, sizeof(v), to, 0, NULL);
}

/* Is it ICMP "fragmentation needed" (IPv4) or "packet too big" (IPv6)? */
static bool is_too_big(const struct sock_extended_err *ee)
{
	return (ee->ee_origin == SO_EE_ORIGIN_ICMP && ee->ee_type == 3 && ee->ee_code == 4) ||
	       (ee->ee_origin == SO_EE_ORIGIN_ICMP6 && ee->ee_type == 2);
}

void wf_udp_drain_errors(struct wf_worker *w)
{
	uint8_t buf[256], ctl[512];

	for (int i = 0; i < 64; i++) {
		union wf_endpoint to;
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
		/* msg_name: the destination of the datagram that caused it */
		struct msghdr mh = {.msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov,
				    .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};

		memset(&to, 0, sizeof(to));
		if (recvmsg(w->udp_fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			break;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			struct sock_extended_err ee;

			if (c->cmsg_type != IP_RECVERR && c->cmsg_type != IPV6_RECVERR)
				continue;
			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
			log_debug("udp: the network reported %s", strerror((int)ee.ee_errno));
			if (is_too_big(&ee) && mh.msg_namelen >= sizeof(struct sockaddr_in))
				too_big_seen(w, &to, ee.ee_info);
		}
	}
}

/* The size UDP_GRO cut a run at (0: one datagram). */
static size_t gro_size(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		int v;

		if (c->cmsg_level == IPPROTO_UDP && c->cmsg_type == UDP_GRO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(v))) {
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			return v > 0 ? (size_t)v : 0;
		}
	}
	return 0;
}

static void rx_message(struct wf_worker *w, uint8_t *buf, struct mmsghdr *m,
		       const union wf_endpoint *from, int64_t now)
{
	size_t len = m->msg_len, seg = gro_size(&m->msg_hdr);

	/* Cut short by our buffer, or empty (the loop below would not look
	 * at it, and a runt is malformed): dropped and counted. */
	if ((m->msg_hdr.msg_flags & MSG_TRUNC) || !len) {
		wf_count_drop(w->d, NULL, WF_DROP_MALFORMED);
		return;
	}
	if (!seg || seg >= len)
		seg = len;
	else
		WF_BUMP(w->batch.gro_runs, 1);
	for (size_t off = 0; off < len; off += seg)
		wf_data_dispatch(w, buf + off, len - off < seg ? len - off : seg, from, now);
}

struct rx_batch {
	struct mmsghdr msg[WF_RX_MSGS];
	struct iovec iov[WF_RX_MSGS];
	union wf_endpoint from[WF_RX_MSGS];
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl[WF_RX_MSGS];
};

static void rx_prepare(struct wf_worker *w, struct rx_batch *b)
{
	for (unsigned i = 0; i < WF_RX_MSGS; i++) {
		struct msghdr *mh = &b->msg[i].msg_hdr;

		b->iov[i].iov_base = w->rx.arena + (size_t)i * RX_BUF;
		b->iov[i].iov_len = RX_BUF;
		memset(mh, 0, sizeof(*mh));
		mh->msg_name = &b->from[i];
		mh->msg_namelen = sizeof(b->from[i]);
		mh->msg_iov = &b->iov[i];
		mh->msg_iovlen = 1;
		mh->msg_control = b->ctl[i].buf;
		mh->msg_controllen = sizeof(b->ctl[i].buf);
	}
}

void wf_udp_receive(struct wf_worker *w)
{
	struct rx_batch *b = w->rxb; /* the worker's own */

	for (int round = 0, errors = 0; round < RX_ROUNDS; round++) {
		int n;
		int64_t now;

		rx_prepare(w, b);
		n = recvmmsg(w->udp_fd, b->msg, WF_RX_MSGS, MSG_DONTWAIT, NULL);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errors++ < 4) {
			/* An ICMP error reported (IP_RECVERR): read on. */
			wf_udp_drain_errors(w);
			continue;
		}
		if (n <= 0)
			break;
		WF_BUMP(w->batch.udp_reads, (uint64_t)n);
		now = wf_now_ms(); /* one clock read per batch is precise enough */
		/* Flows noted to us before these datagrams left their sender's
		 * end: into the table before any of them is judged. */
		wf_filter_take_notes(w, now);
		wf_data_rx_begin(w);
		for (int i = 0; i < n; i++)
			rx_message(w, b->iov[i].iov_base, &b->msg[i], &b->from[i], now);
		wf_data_rx_flush(w);
		if (n < WF_RX_MSGS)
			break;
	}
}

/* --- the batches ------------------------------------------------------------ */

bool wf_batch_alloc(struct wf_worker *w)
{
	struct wf_txq *q = &w->tx;

	q->slot_size = (WF_DATA_HEADER_LEN + w->d->node.mtu + WF_AEAD_TAG_LEN + 63) & ~(size_t)63;
	q->slot_cap = q->slot_size - WF_DATA_HEADER_LEN - WF_AEAD_TAG_LEN;
	q->n = 0;
	q->arena = malloc(WF_TX_SLOTS * q->slot_size);
	q->big = malloc(WF_DATA_HEADER_LEN + WF_SUPER_MAX + WF_AEAD_TAG_LEN);
	w->rx.arena = malloc((size_t)WF_RX_MSGS * RX_BUF);
	w->txb = malloc(sizeof(struct tx_batch));
	w->rxb = malloc(sizeof(struct rx_batch));
	return q->arena && q->big && w->rx.arena && w->txb && w->rxb && wf_filter_worker_alloc(w);
}

void wf_batch_free(struct wf_worker *w)
{
	free(w->tx.arena);
	free(w->tx.big);
	free(w->rx.arena);
	free(w->txb);
	free(w->rxb);
	free(w->q.arena);
	wf_filter_worker_free(w);
	w->tx.arena = w->tx.big = w->rx.arena = w->q.arena = NULL;
	w->txb = w->rxb = NULL;
}
