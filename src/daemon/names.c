/* SPDX-License-Identifier: MIT */
/*
 * Names for members (names.h): the zone, from certificates only, and the
 * sockets that answer from it.
 *
 * A member is named by the certificate that holds its addresses in the
 * route table: a peer proven or told of (its certificate verified), whose
 * claim the one rule (wf_cert_supersedes, in peer.c) let stand. So a name
 * answers with what traffic to that name's addresses would reach, never
 * with a stranger's claim. Two such certificates for one name (a new key
 * with new addresses, the old one still valid) give the later one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "common/log.h"
#include "core/dns.h"
#include "crypto/crypto.h"
#include "daemon/daemon.h"
#include "daemon/names.h"

enum { QUERY_MAX = 1500, READS_PER_WAKE = 64 };

/* --- The zone ----------------------------------------------------------- */

/* Does p's certificate name it: verified, and holding its first address? */
static bool named(const struct wf_daemon *d, const struct wf_peer *p)
{
	return (p->proven || p->told) && p->cert.n_addrs &&
	       wf_routes_get(d->peers.routes, &p->cert.addrs[0]) == p;
}

/* FNV-1a over what the zone is made of: a change of any of it rebuilds. */
static uint64_t fnv(uint64_t h, const void *buf, size_t n)
{
	const uint8_t *b = buf;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static uint64_t zone_sum(const struct wf_daemon *d)
{
	uint64_t h = fnv(0xcbf29ce484222325ULL, d->names.domain, strlen(d->names.domain));

	for (const struct wf_peer *p = d->peers.list; p; p = p->next)
		if (named(d, p)) {
			h = fnv(h, p->cert.pubkey, sizeof(p->cert.pubkey));
			h = fnv(h, &p->cert.serial, sizeof(p->cert.serial));
		}
	return h;
}

/* By name; for one name, the certificate that supersedes the other last
 * (the zone keeps the one added last). */
static int by_name(const void *a, const void *b, void *arg)
{
	const struct wf_cert *x = *(const struct wf_cert *const *)a;
	const struct wf_cert *y = *(const struct wf_cert *const *)b;
	int64_t wall = *(const int64_t *)arg;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return wf_cert_supersedes(x, y, wall) ? 1 : wf_cert_supersedes(y, x, wall) ? -1 : 0;
}

/* A sealed zone of this node and the members named, or NULL (logged). */
static struct wf_dns_zone *zone_build(struct wf_daemon *d)
{
	int64_t wall = (int64_t)time(NULL);
	const struct wf_cert **c = calloc(d->peers.n + 1, sizeof(*c));
	struct wf_dns_zone *z = wf_dns_zone_new(d->names.domain, ++d->names.serial);
	size_t n = 0, bad = 0;

	if (!c || !z) {
		log_warnx("%s: %s: names not answered", __func__,
			  c ? "the domain is no DNS name (set dns-domain)" : "out of memory");
		goto out;
	}
	for (const struct wf_peer *p = d->peers.list; p && n < d->peers.n; p = p->next)
		if (named(d, p) && strcmp(p->cert.name, d->node.self.name))
			c[n++] = &p->cert;
	qsort_r(c, n, sizeof(*c), by_name, &wall);
	c[n++] = &d->node.self; /* our name is ours, as our addresses are */
	for (size_t i = 0; i < n; i++)
		bad += !wf_dns_zone_add_cert(z, c[i]);
	if (bad)
		log_warnx_rl("%s: %zu member name%s not valid under %s: not answered", __func__,
			     bad, bad == 1 ? "" : "s", d->names.domain);
	wf_dns_zone_seal(z);
	log_debug("names: %zu under %s (serial %u)", wf_dns_zone_count(z), d->names.domain,
		  d->names.serial);
out:
	free(c);
	if (z && !c) {
		wf_dns_zone_free(z);
		z = NULL;
	}
	return z;
}

static void rebuild(struct wf_daemon *d, int64_t now)
{
	struct wf_names *s = &d->names;
	uint64_t sum = zone_sum(d);

	s->next_ms = now + WF_NAMES_REBUILD_MS;
	if (!s->dirty && sum == s->sum)
		return;
	s->dirty = false;
	s->sum = sum;
	wf_dns_zone_free(s->zone); /* only this thread answers: nothing holds it */
	s->zone = zone_build(d);
}

void wf_names_tick(struct wf_daemon *d, int64_t now)
{
	if (d->names.on && now >= d->names.next_ms)
		rebuild(d, now);
}

static void set_domain(struct wf_daemon *d, const char *domain)
{
	snprintf(d->names.domain, sizeof(d->names.domain), "%s",
		 domain[0] ? domain : d->node.ca.network);
}

void wf_names_reload(struct wf_daemon *d, const char *domain, int64_t now)
{
	if (!d->names.on)
		return;
	set_domain(d, domain);
	d->names.dirty = true;
	rebuild(d, now);
}

/* --- The sockets -------------------------------------------------------- */

/* A non-blocking UDP socket on port 53 of the overlay address a, in the
 * loop; -1 (warned) if it cannot be had. */
static int bind_one(struct wf_daemon *d, const struct wf_prefix *a)
{
	union wf_endpoint ep = {0};
	char s[WF_ADDR_STRLEN];
	int fd, one = 1;

	if (a->family == AF_INET) {
		ep.in4.sin_family = AF_INET;
		memcpy(&ep.in4.sin_addr, a->addr, 4);
	} else {
		ep.in6.sin6_family = AF_INET6;
		memcpy(&ep.in6.sin6_addr, a->addr, 16);
	}
	wf_endpoint_set_port(&ep, WF_NAMES_PORT);
	fd = socket(a->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && a->family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (fd < 0 || bind(fd, &ep.sa, a->family == AF_INET ? sizeof(ep.in4) : sizeof(ep.in6)) < 0) {
		log_warn("names: cannot bind %s", wf_endpoint_str(&ep, s, sizeof(s)));
		goto out_close;
	}
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

	if (epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		log_warn("names: epoll_ctl");
		goto out_close;
	}
	return fd;
out_close:
	if (fd >= 0)
		close(fd);
	return -1;
}

bool wf_names_start(struct wf_daemon *d)
{
	struct wf_names *s = &d->names;
	char where[WF_CERT_MAX_ADDRS * (WF_ADDR_STRLEN + 1)] = "", a[WF_ADDR_STRLEN];
	uint64_t key;

	for (unsigned i = 0; i < WF_CERT_MAX_ADDRS; i++)
		s->fd[i] = -1;
	if (!d->node.cfg.dns)
		return true;
	set_domain(d, d->node.cfg.dns_domain);
	s->source_rate = wf_rate_make(WF_NAMES_SOURCE_PER_S, WF_NAMES_SOURCE_BURST);
	s->all_rate = wf_rate_make(WF_NAMES_ALL_PER_S, WF_NAMES_ALL_BURST);
	s->sources = malloc(sizeof(*s->sources));
	if (!s->sources || !wf_random(&key, sizeof(key)))
		return false;
	/* By whole address: each asker is a member's address (or this host). */
	wf_srclimit_init(s->sources, key, true);
	for (unsigned i = 0; i < d->node.self.n_addrs; i++) {
		s->fd[i] = bind_one(d, &d->node.self.addrs[i]);
		if (s->fd[i] < 0)
			continue;
		s->on = true;
		wf_prefix_str(&d->node.self.addrs[i], true, a, sizeof(a));
		snprintf(where + strlen(where), sizeof(where) - strlen(where), " %s", a);
	}
	if (!s->on) {
		log_warnx("names: no address to answer on: %s not answered", s->domain);
		return true;
	}
	s->dirty = true;
	rebuild(d, wf_now_ms());
	log_info("names: answering for %s on port %d of%s", s->domain, WF_NAMES_PORT, where);
	return true;
}

void wf_names_stop(struct wf_daemon *d)
{
	struct wf_names *s = &d->names;

	for (unsigned i = 0; i < WF_CERT_MAX_ADDRS; i++)
		if (s->fd[i] >= 0) {
			close(s->fd[i]);
			s->fd[i] = -1;
		}
	wf_dns_zone_free(s->zone);
	s->zone = NULL;
	free(s->sources);
	s->sources = NULL;
	s->on = false;
}

bool wf_names_owns(const struct wf_daemon *d, int fd)
{
	for (unsigned i = 0; d->names.on && i < WF_CERT_MAX_ADDRS; i++)
		if (d->names.fd[i] == fd)
			return true;
	return false;
}

/* The rcode of an answer, counted. */
static void count_answer(struct wf_names *s, const uint8_t *a)
{
	unsigned rcode = a[3] & 0xf;

	s->count.answered++;
	s->count.refused += rcode == 5 || rcode == 4; /* REFUSED, NOTIMP */
	s->count.nxdomain += rcode == 3;
}

/* One datagram: within budget, answered. */
static void answer(struct wf_daemon *d, int fd, const uint8_t *q, size_t len,
		   const union wf_endpoint *from, socklen_t fromlen, int64_t now)
{
	struct wf_names *s = &d->names;
	uint8_t out[WF_DNS_UDP_MAX];
	size_t n;

	if (!wf_srclimit_allow(s->sources, &s->source_rate, from, now) ||
	    !wf_rate_allow(&s->all_rate, &s->all_tat, now) || !s->zone) {
		s->count.dropped++;
		return;
	}
	n = wf_dns_answer(s->zone, q, len, out, sizeof(out));
	if (!n || sendto(fd, out, n, 0, &from->sa, fromlen) != (ssize_t)n) {
		s->count.dropped++;
		return;
	}
	count_answer(s, out);
}

void wf_names_read(struct wf_daemon *d, int fd, int64_t now)
{
	uint8_t q[QUERY_MAX];

	/* A bounded number a wake: the loop has other work; level-triggered
	 * epoll brings us back for the rest. */
	for (int i = 0; i < READS_PER_WAKE; i++) {
		union wf_endpoint from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(fd, q, sizeof(q), MSG_TRUNC, &from.sa, &fromlen);

		if (n < 0)
			return; /* EAGAIN, or an ICMP error for an earlier answer */
		d->names.count.queries++;
		if ((size_t)n > sizeof(q)) {
			d->names.count.dropped++; /* larger than any query we answer */
			continue;
		}
		answer(d, fd, q, (size_t)n, &from, fromlen, now);
	}
}
