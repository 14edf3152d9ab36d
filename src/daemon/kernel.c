/* SPDX-License-Identifier: MIT */
/*
 * The kernel data path, the daemon's side: start and stop, and each peer's
 * SAs, policies and routes kept where core/espplan.c says (kernel.h).
 *
 * How a session gets there (docs/datapath.md, "The daemon"):
 *  - each end says in its handshake payload whether it runs the kernel path
 *    (WF_HS_TLV_DATAPATH); a keypair made when both do gets ESP keys;
 *  - an initiator adds its inbound SA when the response comes (the response
 *    proves the responder), a responder adds both of its SAs when the
 *    initiator's first packet proves the keypair (never for an unproven
 *    initiation: anyone may send one);
 *  - an initiator adds its outbound SA once the responder has its inbound
 *    one: when a packet on the keypair comes from it (the responder sends a
 *    keepalive through the userspace path on proving it) or its inbound SA
 *    counts packets;
 *  - until a peer's outbound SA exists its packets take the userspace path
 *    (the TUN device routes them); then a route for each of its prefixes
 *    into the xfrm interface takes them to the kernel.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "common/log.h"
#include "daemon/daemon.h"
#include "daemon/index.h"
#include "daemon/kernel.h"
#include "daemon/mtu.h"
#include "daemon/netlink.h"
#include "daemon/peer.h"
#include "daemon/subnets.h"
#include "daemon/worker.h"
#include "daemon/xfrm.h"

enum {
	/* An SA's hard lifetime past its keypair's: only what a crash leaves
	 * runs into it (weft removes each SA with its keypair). */
	HARD_SLACK_S = 60,
};

static const char *mode_name(enum wf_esp_mode m)
{
	return m == WF_ESP_UDP ? "kernel-udp" : m == WF_ESP_PLAIN ? "kernel" : "userspace";
}

/* --- Start and stop --------------------------------------------------------- */

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The outer families the listen address can carry. */
static void listen_families(const struct wf_daemon *d, bool *v4, bool *v6)
{
	const union wf_endpoint *l = &d->node.cfg.listen;

	*v4 = l->sa.sa_family == AF_INET ||
	      (l->sa.sa_family == AF_INET6 && (IN6_IS_ADDR_UNSPECIFIED(&l->in6.sin6_addr) ||
					       IN6_IS_ADDR_V4MAPPED(&l->in6.sin6_addr)));
	*v6 = l->sa.sa_family == AF_INET6 && !IN6_IS_ADDR_V4MAPPED(&l->in6.sin6_addr);
}

/* Can the kernel path run here? Asked on a netlink socket of its own, for
 * each family the listen address carries, with an SA added and removed as
 * the data path would add it: why[0] is '\0' if so, else it says why not. */
static void ask_kernel(const struct wf_daemon *d, uint32_t if_id, char *why, size_t cap)
{
	int fd = wf_xfrm_open();
	bool v4, v6;

	why[0] = '\0';
	if (fd < 0) {
		snprintf(why, cap, "%s", fd == -EPROTONOSUPPORT
					    ? "the kernel has no xfrm netlink (CONFIG_XFRM_USER)"
					    : strerror(-fd));
		return;
	}
	listen_families(d, &v4, &v6);
	if (!(v4 && wf_xfrm_probe(fd, d->node.ca.cipher, AF_INET, if_id, why, cap)) && v6)
		wf_xfrm_probe(fd, d->node.ca.cipher, AF_INET6, if_id, why, cap);
	close(fd);
}

/* A crashed run's interface goes; another's of that name is not ours. */
static bool interface_free(struct wf_kernel *k)
{
	uint32_t id;
	int err = wf_nl_xfrmi_get(k->ifname, &id);

	if (err == -ENODEV)
		return true;
	if (err == 0 && id == k->if_id) {
		log_info("kernel path: removing %s, left by an earlier run", k->ifname);
		return wf_nl_link_del(k->ifname) == 0;
	}
	snprintf(k->why, sizeof(k->why),
		 err == 0 ? "an interface named %s exists with another if_id: not weft's "
			    "(set kernel-interface)"
			  : "an interface named %s exists and is not weft's (set kernel-interface)",
		 k->ifname);
	return false;
}

/* The interface, up, with loose reverse-path filtering: packets the SAs
 * decrypt arrive on it while the route back to their source may still go
 * through the TUN device (a peer's outbound SA before ours). */
static bool interface_up(struct wf_daemon *d)
{
	struct wf_kernel *k = &d->kern;
	unsigned mtu = d->node.mtu - (d->node.cfg.esp_udp ? 8 : 0);
	char path[96];
	int err = wf_nl_xfrmi_add(k->ifname, k->if_id, NULL);
	FILE *f;

	if (err == 0)
		err = wf_nl_link_set_mtu_up(k->ifname, mtu);
	if (err < 0) {
		snprintf(k->why, sizeof(k->why), "cannot make the xfrm interface %s: %s%s", k->ifname,
			 strerror(-err),
			 err == -EOPNOTSUPP ? " (the kernel has no CONFIG_XFRM_INTERFACE)" : "");
		return false;
	}
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter", k->ifname);
	f = fopen(path, "w");
	if (f) {
		fputs("2\n", f);
		fclose(f);
	}
	return true;
}

/* The ESP-in-UDP sockets: one a family the listen address carries. */
static bool encap_sockets(struct wf_daemon *d)
{
	struct wf_kernel *k = &d->kern;
	bool fam[2];

	listen_families(d, &fam[0], &fam[1]);
	for (int i = 0; i < 2; i++) {
		union wf_endpoint a = {0};
		const union wf_endpoint *l = &d->node.cfg.listen;
		int fd;

		if (!fam[i])
			continue;
		if (i == 0 && l->sa.sa_family == AF_INET) {
			a = *l;
		} else if (i == 0) {
			a.in4.sin_family = AF_INET; /* a dual-stack listen: any IPv4 */
		} else {
			a = *l;
		}
		wf_endpoint_set_port(&a, d->node.cfg.esp_port);
		fd = wf_xfrm_encap_socket(&a);
		if (fd < 0) {
			snprintf(k->why, sizeof(k->why), "cannot open the ESP-in-UDP socket on port %u: %s",
				 d->node.cfg.esp_port, strerror(-fd));
			return false;
		}
		k->encap_fd[i] = fd;
	}
	return true;
}

/* The workers' sockets pass no IPsec policy (someone's transport-mode
 * policy between the same hosts would take weft's own datagrams). */
static void bypass_sockets(struct wf_daemon *d)
{
	int family = d->node.cfg.listen.sa.sa_family;

	for (unsigned i = 0; i < d->dp.n_workers; i++) {
		int err = wf_xfrm_socket_bypass(d->dp.w[i].udp_fd, family);

		if (err < 0)
			log_warnx("kernel path: no IPsec policy bypass on weft's socket: %s",
				  strerror(-err));
	}
}

static bool setup(struct wf_daemon *d)
{
	struct wf_kernel *k = &d->kern;
	struct wf_xfrm_flushed gone;
	int err;

	ask_kernel(d, k->if_id, k->why, sizeof(k->why));
	if (k->why[0])
		return false;
	k->fd = wf_xfrm_open();
	if (k->fd < 0) {
		snprintf(k->why, sizeof(k->why), "%s", strerror(-k->fd));
		return false;
	}
	if (!interface_free(k))
		return false;
	err = wf_xfrm_flush(k->fd, k->if_id, &gone);
	if (err < 0) {
		snprintf(k->why, sizeof(k->why), "cannot clear earlier SAs: %s", strerror(-err));
		return false;
	}
	if (gone.sas || gone.policies)
		log_info("kernel path: removed %u SAs and %u policies left by an earlier run",
			 gone.sas, gone.policies);
	k->ev_fd = wf_xfrm_events_open();
	if (k->ev_fd < 0) {
		snprintf(k->why, sizeof(k->why), "cannot listen to the kernel's IPsec events: %s",
			 strerror(-k->ev_fd));
		return false;
	}
	return interface_up(d) && encap_sockets(d);
}

/* The kernel's events into the daemon's loop (closing the socket takes
 * them out again). */
static bool watch_events(struct wf_daemon *d)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = d->kern.ev_fd};

	if (epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, d->kern.ev_fd, &ev) < 0) {
		log_error("epoll_ctl");
		return false;
	}
	return true;
}

static void close_all(struct wf_kernel *k)
{
	close_fd(&k->fd);
	close_fd(&k->ev_fd);
	close_fd(&k->encap_fd[0]);
	close_fd(&k->encap_fd[1]);
}

int wf_kernel_start(struct wf_daemon *d)
{
	struct wf_kernel *k = &d->kern;
	const struct wf_config *c = &d->node.cfg;

	k->fd = k->ev_fd = k->encap_fd[0] = k->encap_fd[1] = -1;
	k->on = false;
	if (c->datapath == WF_DATAPATH_USERSPACE) {
		snprintf(k->why, sizeof(k->why), "%s",
			 c->datapath_by_fw ? "firewall rules in weft.conf (the kernel's ESP path "
					     "does not filter)"
					   : "datapath = userspace in weft.conf");
		log_info("data path: userspace (%s)", k->why);
		return 0;
	}
	k->if_id = WF_KERNEL_IF_ID_BASE + wf_endpoint_port(&c->listen);
	snprintf(k->ifname, sizeof(k->ifname), "%s", c->kernel_interface);
	if (!setup(d)) {
		close_all(k);
		if (c->datapath == WF_DATAPATH_KERNEL) {
			log_errorx("datapath = kernel, but the kernel path cannot run: %s", k->why);
			return -1;
		}
		log_info("data path: userspace (the kernel path cannot run: %s)", k->why);
		return 0;
	}
	if (!watch_events(d)) {
		close_all(k);
		snprintf(k->why, sizeof(k->why), "cannot watch the kernel's IPsec events");
		return c->datapath == WF_DATAPATH_KERNEL ? -1 : 0;
	}
	bypass_sockets(d);
	k->on = true;
	k->why[0] = '\0';
	k->caps.flags = WF_ESP_CAP_KERNEL | (c->esp_udp ? WF_ESP_CAP_UDP : 0);
	k->caps.port = c->esp_port;
	log_info("data path: kernel (ESP%s, %s, if_id %#x, interface %s; ESP in UDP on port %u)",
		 c->esp_udp ? " in UDP" : "", wf_esp_aead_name(d->node.ca.cipher), k->if_id,
		 k->ifname, c->esp_port);
	return 0;
}

void wf_kernel_stop(struct wf_daemon *d)
{
	struct wf_kernel *k = &d->kern;
	struct wf_xfrm_flushed gone = {0};

	if (!k->on)
		return;
	k->on = false;
	/* Each peer off the path; those that were on it make a new session,
	 * which our handshake makes on the userspace path. */
	for (struct wf_peer *p = d->peers.list; p; p = p->next) {
		p->esp.rekey |= p->esp.tunnel;
		wf_kernel_sync(d, p);
		p->esp.reqid = 0; /* (by_reqid goes below) */
	}
	/* Whatever a failed request left behind goes too. */
	if (wf_xfrm_flush(k->fd, k->if_id, &gone) < 0)
		log_warnx("kernel path: cannot remove weft's SAs and policies");
	wf_nl_link_del(k->ifname);
	close_all(k);
	free(k->by_reqid);
	k->by_reqid = NULL;
	k->n_reqid = 0;
	snprintf(k->why, sizeof(k->why), "stopped");
}

/* --- Reload ------------------------------------------------------------------------ */

static bool keys_changed(const struct wf_config *a, const struct wf_config *b)
{
	return a->datapath != b->datapath || a->esp_udp != b->esp_udp ||
	       a->esp_port != b->esp_port || strcmp(a->kernel_interface, b->kernel_interface) != 0;
}

bool wf_kernel_reload_check(const struct wf_daemon *d, const struct wf_config *c, char *msg,
			    size_t cap)
{
	char why[WF_KERNEL_WHY_LEN];

	if (c->datapath != WF_DATAPATH_KERNEL || !keys_changed(&d->node.cfg, c) ||
	    (d->kern.on && !strcmp(c->kernel_interface, d->kern.ifname)))
		return true;
	ask_kernel(d, WF_KERNEL_IF_ID_BASE + wf_endpoint_port(&d->node.cfg.listen), why, sizeof(why));
	if (why[0])
		snprintf(msg, cap, "%s: datapath = kernel, but the kernel path cannot run: %s",
			 c->path, why);
	return !why[0];
}

void wf_kernel_reload(struct wf_daemon *d, const struct wf_config *c, char *out, size_t cap)
{
	struct wf_config *cur = &d->node.cfg;
	bool was_on = d->kern.on;
	const char *again = "";

	out[0] = '\0';
	if (!keys_changed(cur, c))
		return;
	wf_kernel_stop(d);
	cur->datapath = c->datapath;
	cur->datapath_by_fw = c->datapath_by_fw;
	cur->esp_udp = c->esp_udp;
	cur->esp_port = c->esp_port;
	memcpy(cur->kernel_interface, c->kernel_interface, sizeof(cur->kernel_interface));
	if (wf_kernel_start(d) < 0) /* (checked before: the interface, say) */
		log_warnx("the kernel path cannot run (%s): the userspace path carries everything",
			  d->kern.why);
	/* A path that changed: every session made again, on the path both
	 * ends now want. */
	if (was_on || d->kern.on) {
		for (struct wf_peer *p = d->peers.list; p; p = p->next) {
			p->esp.refused = false;
			p->esp.rekey = p->session.current != NULL;
		}
		again = "; every session made again";
	}
	if (d->kern.on)
		snprintf(out, cap, "data path: kernel (interface %s)%s", d->kern.ifname, again);
	else if (c->datapath == WF_DATAPATH_USERSPACE)
		snprintf(out, cap, "data path: userspace (%s)%s", d->kern.why, again);
	else
		snprintf(out, cap, "data path: userspace (the kernel path cannot run: %s)%s",
			 d->kern.why, again);
}

/* --- Keypairs ------------------------------------------------------------------- */

struct wf_esp_caps wf_kernel_caps(const struct wf_daemon *d, const struct wf_peer *p)
{
	struct wf_esp_caps none = {0};

	if (!d->kern.on || (p && p->esp.refused))
		return none;
	return d->kern.caps;
}

void wf_kernel_keypair(struct wf_daemon *d, struct wf_peer *p, struct wf_index_entry *e,
		       const struct wf_keypair *kp, const uint8_t *caps, size_t caps_len,
		       const uint8_t c1[32], const uint8_t c2[32])
{
	struct wf_esp_caps ours = wf_kernel_caps(d, p), theirs = {0};
	enum wf_esp_mode mode;
	struct wf_kp_esp *x;

	if (caps && !wf_esp_caps_decode(&theirs, caps, caps_len))
		memset(&theirs, 0, sizeof(theirs));
	mode = wf_esp_pair_mode(&ours, &theirs);
	if (mode == WF_ESP_OFF || e->esp)
		return;
	x = calloc(1, sizeof(*x));
	if (!x)
		return; /* the userspace path */
	if (!wf_esp_sa_keys(d->node.ca.cipher, c1, c2, kp->initiator, kp->local_index,
			    kp->remote_index, &x->keys)) {
		free(x);
		return;
	}
	x->mode = mode;
	x->peer_port = theirs.port;
	e->esp = x;
}

/* --- A peer's tunnel, prefixes and reqid ---------------------------------------- */

static uint32_t reqid_of(struct wf_daemon *d, struct wf_peer *p)
{
	struct wf_kernel *k = &d->kern;
	uint32_t i;

	if (p->esp.reqid)
		return p->esp.reqid;
	for (i = 0; i < k->n_reqid && k->by_reqid[i]; i++)
		;
	if (i == k->n_reqid) {
		uint32_t n = k->n_reqid ? 2 * k->n_reqid : 64;
		struct wf_peer **v = reallocarray(k->by_reqid, n, sizeof(*v));

		if (!v)
			return 0;
		memset(v + k->n_reqid, 0, (n - k->n_reqid) * sizeof(*v));
		k->by_reqid = v;
		k->n_reqid = n;
	}
	k->by_reqid[i] = p;
	p->esp.reqid = i + 1;
	return p->esp.reqid;
}

static struct wf_peer *peer_of_reqid(const struct wf_daemon *d, uint32_t reqid)
{
	return reqid && reqid <= d->kern.n_reqid ? d->kern.by_reqid[reqid - 1] : NULL;
}

static bool unspecified(const struct wf_prefix *a)
{
	static const uint8_t zero[16];

	return !memcmp(a->addr, zero, wf_family_addr_len(a->family));
}

/* Our address towards the peer: the listen address, or the one the kernel
 * would send from. */
static bool local_addr(const struct wf_daemon *d, const union wf_endpoint *to, struct wf_prefix *out)
{
	union wf_endpoint me;
	socklen_t len = sizeof(me);
	int fd;

	if (wf_endpoint_addr(&d->node.cfg.listen, out) && !unspecified(out))
		return true;
	fd = socket(to->sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	if (connect(fd, &to->sa, wf_endpoint_len(to)) < 0 || getsockname(fd, &me.sa, &len) < 0) {
		close(fd);
		return false;
	}
	close(fd);
	return wf_endpoint_addr(&me, out);
}

/* Where p's tunnel goes: fixed while anything of it is in the kernel. */
static bool tunnel_ok(struct wf_daemon *d, struct wf_peer *p)
{
	struct wf_prefix remote;

	if (!p->has_endpoint || p->ep_source != WF_EP_AUTHENTIC ||
	    !wf_endpoint_addr(&p->endpoint, &remote))
		return false;
	if (p->esp.tunnel)
		return wf_prefix_equal(&remote, &p->esp.remote);
	if (!local_addr(d, &p->endpoint, &p->esp.local) || p->esp.local.family != remote.family)
		return false;
	p->esp.remote = remote;
	p->esp.tunnel = true;
	return true;
}

/* Each prefix p holds in the routes (its addresses, its subnets). */
static unsigned prefixes(const struct wf_daemon *d, const struct wf_peer *p,
			 struct wf_prefix out[WF_CERT_MAX_ADDRS + WF_CERT_MAX_ROUTES])
{
	unsigned n = 0;

	for (unsigned i = 0; i < p->cert.n_addrs; i++)
		if (wf_routes_get(d->peers.routes, &p->cert.addrs[i]) == p)
			out[n++] = p->cert.addrs[i];
	for (unsigned i = 0; i < p->cert.n_routes; i++)
		if (wf_routes_get(d->peers.routes, &p->cert.routes[i]) == p)
			out[n++] = p->cert.routes[i];
	return n;
}

/* --- The steps ------------------------------------------------------------------ */

/* p's current and previous keypairs' entries (NULL where there is none). */
static void entries(struct wf_daemon *d, struct wf_peer *p, struct wf_index_entry *e[WF_ESP_KPS])
{
	struct wf_keypair *kps[WF_ESP_KPS] = {p->session.current, p->session.previous};

	for (int i = 0; i < WF_ESP_KPS; i++)
		e[i] = kps[i] ? wf_index_find(d, kps[i]->local_index) : NULL;
}

static bool confirmed(const struct wf_index_entry *e)
{
	const struct wf_keypair *kp = e->ptr;

	/* A packet from the peer on it: it proved the keypair, so it has
	 * its SAs (or its inbound SA counts what it sends). */
	return e->esp->confirmed || !kp->initiator ||
	       __atomic_load_n(&kp->replay.next, __ATOMIC_RELAXED) > 0 || e->esp->in_packets > 0;
}

static void state(struct wf_daemon *d, struct wf_peer *p, struct wf_index_entry *e[WF_ESP_KPS],
		  struct wf_esp_state *s)
{
	memset(s, 0, sizeof(*s));
	s->in_pol = p->esp.in_pol;
	s->out_pol = p->esp.out_pol;
	for (int i = 0; i < WF_ESP_KPS; i++) {
		struct wf_esp_kp *k = &s->kp[i];
		struct wf_kp_esp *x = e[i] ? e[i]->esp : NULL;

		k->present = e[i] != NULL;
		if (!x)
			continue;
		k->esp = true;
		k->confirmed = x->confirmed = confirmed(e[i]);
		k->in_sa = x->in_sa;
		k->out_sa = x->out_sa;
		k->in_used = x->in_used;
		k->out_used = x->out_used;
	}
	s->on = d->kern.on && !p->esp.refused && !p->removed && tunnel_ok(d, p);
}

static void sa_common(struct wf_daemon *d, struct wf_peer *p, struct wf_xfrm_sa *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->reqid = p->esp.reqid;
	sa->if_id = d->kern.if_id;
	sa->cipher = d->node.ca.cipher;
	sa->limits.hard_seconds = (uint64_t)(d->node.limits.reject_after_ms / 1000) + HARD_SLACK_S;
}

/* x's inbound SA (in: from the peer's address to ours, our SPI, our port
 * for ESP in UDP) or its outbound one (the other way round). */
static int add_sa(struct wf_daemon *d, struct wf_peer *p, struct wf_kp_esp *x, bool in)
{
	struct wf_xfrm_sa sa;
	uint16_t ours = d->kern.caps.port, theirs = x->peer_port;
	int err;

	sa_common(d, p, &sa);
	sa.src = in ? p->esp.remote : p->esp.local;
	sa.dst = in ? p->esp.local : p->esp.remote;
	sa.spi = in ? x->keys.spi_in : x->keys.spi_out;
	sa.key = in ? x->keys.in : x->keys.out;
	/* The kernel's soft limit asks for a new keypair where weft's own
	 * count of messages would (it never sees them). */
	if (!in)
		sa.limits.soft_packets = d->node.limits.rekey_after_messages;
	if (x->mode == WF_ESP_UDP) {
		sa.encap_sport = in ? theirs : ours;
		sa.encap_dport = in ? ours : theirs;
	}
	err = wf_xfrm_sa_add(d->kern.fd, &sa);
	wf_wipe(&sa.key, sizeof(sa.key));
	return err;
}

/* An SA's counters read: what is new goes to its peer's traffic counters
 * (those of the userspace path too: status shows all it carried). True if
 * it carried anything since the last reading. */
static bool counted(struct wf_peer *p, struct wf_kp_esp *x, bool in, const struct wf_xfrm_sa_info *sa)
{
	uint64_t *bytes = in ? &x->in_bytes : &x->out_bytes;
	uint64_t *packets = in ? &x->in_packets : &x->out_packets;

	if (sa->packets <= *packets)
		return false;
	/* (On the control thread's line.) */
	if (in)
		wf_peer_count_rx(p, p->n_count - 1, sa->packets - *packets, sa->bytes - *bytes);
	else
		wf_peer_count_tx(p, p->n_count - 1, sa->packets - *packets, sa->bytes - *bytes);
	*packets = sa->packets;
	*bytes = sa->bytes;
	return true;
}

/* What an SA carried, counted into its peer's totals as it goes. */
static void count_gone(struct wf_peer *p, struct wf_kp_esp *x, bool in)
{
	if (in) {
		p->esp.rx_bytes += x->in_bytes;
		p->esp.rx_packets += x->in_packets;
		x->in_bytes = x->in_packets = 0;
	} else {
		p->esp.tx_bytes += x->out_bytes;
		p->esp.tx_packets += x->out_packets;
		x->out_bytes = x->out_packets = 0;
	}
}

static int del_sa(struct wf_daemon *d, struct wf_peer *p, struct wf_kp_esp *x, bool in)
{
	struct wf_xfrm_sa_id id = {.dst = in ? p->esp.local : p->esp.remote,
				   .spi = in ? x->keys.spi_in : x->keys.spi_out};
	struct wf_xfrm_sa_info info;
	int err;

	/* The last packets' counts, then the SA. */
	if (wf_xfrm_sa_get(d->kern.fd, &id, &info) == 0)
		counted(p, x, in, &info);
	count_gone(p, x, in);
	err = wf_xfrm_sa_del(d->kern.fd, &id);
	return err == -ESRCH ? 0 : err;
}

static struct wf_xfrm_policy policy(struct wf_daemon *d, struct wf_peer *p, uint8_t dir,
				    const struct wf_prefix *pfx)
{
	struct wf_xfrm_policy pol = {.dir = dir, .if_id = d->kern.if_id, .reqid = p->esp.reqid};
	struct wf_prefix any = {.family = pfx->family};

	pol.priority = wf_xfrm_priority(pfx);
	pol.src = dir == XFRM_POLICY_OUT ? any : *pfx;
	pol.dst = dir == XFRM_POLICY_OUT ? *pfx : any;
	pol.tmpl_src = dir == XFRM_POLICY_OUT ? p->esp.local : p->esp.remote;
	pol.tmpl_dst = dir == XFRM_POLICY_OUT ? p->esp.remote : p->esp.local;
	return pol;
}

/* in and fwd: what comes out of p's tunnel must come from its prefixes. */
static int policies_in(struct wf_daemon *d, struct wf_peer *p, bool add)
{
	struct wf_prefix v[WF_CERT_MAX_ADDRS + WF_CERT_MAX_ROUTES];
	unsigned n = prefixes(d, p, v);
	int err = 0;

	static const uint8_t dirs[] = {XFRM_POLICY_IN, XFRM_POLICY_FWD};

	for (unsigned i = 0; i < n; i++) {
		for (unsigned j = 0; j < sizeof(dirs); j++) {
			struct wf_xfrm_policy pol = policy(d, p, dirs[j], &v[i]);
			int r = add ? wf_xfrm_policy_update(d->kern.fd, &pol)
				    : wf_xfrm_policy_del(d->kern.fd, &pol);

			if (r < 0 && !(!add && r == -ENOENT) && !err)
				err = r;
		}
	}
	return err;
}

/* out, and the routes into the interface: p's prefixes to its tunnel. The
 * device's own routes for p (its MTU) go while the kernel carries them. */
static int policies_out(struct wf_daemon *d, struct wf_peer *p, bool add)
{
	struct wf_prefix v[WF_CERT_MAX_ADDRS + WF_CERT_MAX_ROUTES];
	unsigned n = prefixes(d, p, v);
	int err = 0;

	if (add) {
		wf_mtu_forget(d, p);
		wf_subnets_forget(d, p); /* its subnets go to the xfrm interface instead */
	}
	for (unsigned i = 0; i < n; i++) {
		struct wf_xfrm_policy pol = policy(d, p, XFRM_POLICY_OUT, &v[i]);
		const struct wf_prefix *src = wf_self_addr(d, v[i].family);
		int r;

		if (add) {
			r = wf_xfrm_policy_update(d->kern.fd, &pol);
			if (r == 0 && src) {
				r = wf_nl_route_add_src(d->kern.ifname, &v[i], src, 0);
				r = r == -EEXIST ? 0 : r;
			}
		} else {
			int q = wf_nl_route_del(d->kern.ifname, &v[i]);

			r = wf_xfrm_policy_del(d->kern.fd, &pol);
			r = r == -ENOENT ? 0 : r;
			if (!r && q != -ESRCH && q != -ENODEV)
				r = q;
		}
		if (r < 0 && !err)
			err = r;
	}
	if (!add)
		p->mtu_check = true; /* the device's routes for it, if its path needs them */
	return err;
}

static int do_step(struct wf_daemon *d, struct wf_peer *p, struct wf_index_entry *e[WF_ESP_KPS],
		   const struct wf_esp_step *st)
{
	struct wf_kp_esp *x = st->kp < WF_ESP_KPS && e[st->kp] ? e[st->kp]->esp : NULL;

	switch ((enum wf_esp_step_kind)st->kind) {
	case WF_ESP_ADD_IN:
		x->in_used = true;
		return add_sa(d, p, x, true);
	case WF_ESP_ADD_OUT:
		x->out_used = true;
		return add_sa(d, p, x, false);
	case WF_ESP_DEL_IN:
		return del_sa(d, p, x, true);
	case WF_ESP_DEL_OUT:
		return del_sa(d, p, x, false);
	case WF_ESP_POL_IN_ADD:
		return policies_in(d, p, true);
	case WF_ESP_POL_IN_DEL:
		return policies_in(d, p, false);
	case WF_ESP_POL_OUT_ADD:
		return policies_out(d, p, true);
	case WF_ESP_POL_OUT_DEL:
		return policies_out(d, p, false);
	case WF_ESP_REKEY:
		if (!p->esp.rekey)
			log_info("peer %s: its kernel SAs cannot be made again: a new session",
				 p->cert.name);
		p->esp.rekey = true;
		return 0;
	}
	return 0;
}

/* What a step did, in the state the next plan starts from. */
static void record(struct wf_peer *p, struct wf_index_entry *e[WF_ESP_KPS], const struct wf_esp_step *st)
{
	struct wf_kp_esp *x = st->kp < WF_ESP_KPS && e[st->kp] ? e[st->kp]->esp : NULL;

	switch ((enum wf_esp_step_kind)st->kind) {
	case WF_ESP_ADD_IN:
	case WF_ESP_DEL_IN:
		x->in_sa = st->kind == WF_ESP_ADD_IN;
		break;
	case WF_ESP_ADD_OUT:
	case WF_ESP_DEL_OUT:
		x->out_sa = st->kind == WF_ESP_ADD_OUT;
		break;
	case WF_ESP_POL_IN_ADD:
	case WF_ESP_POL_IN_DEL:
		p->esp.in_pol = st->kind == WF_ESP_POL_IN_ADD;
		break;
	case WF_ESP_POL_OUT_ADD:
	case WF_ESP_POL_OUT_DEL:
		p->esp.out_pol = st->kind == WF_ESP_POL_OUT_ADD;
		break;
	case WF_ESP_REKEY:
		break;
	}
}

static const char *step_name(uint8_t kind)
{
	static const char *const names[] = {
	    [WF_ESP_ADD_IN] = "add its inbound SA",	 [WF_ESP_ADD_OUT] = "add its outbound SA",
	    [WF_ESP_DEL_IN] = "remove its inbound SA",	 [WF_ESP_DEL_OUT] = "remove its outbound SA",
	    [WF_ESP_POL_IN_ADD] = "add its inbound policies",
	    [WF_ESP_POL_IN_DEL] = "remove its inbound policies",
	    [WF_ESP_POL_OUT_ADD] = "add its outbound policies and routes",
	    [WF_ESP_POL_OUT_DEL] = "remove its outbound policies and routes",
	    [WF_ESP_REKEY] = "rekey"};

	return kind < sizeof(names) / sizeof(names[0]) && names[kind] ? names[kind] : "?";
}

/* Nothing of p in the kernel: its tunnel may be chosen again. */
static void tunnel_release(struct wf_peer *p, struct wf_index_entry *e[WF_ESP_KPS])
{
	if (p->esp.in_pol || p->esp.out_pol)
		return;
	for (int i = 0; i < WF_ESP_KPS; i++)
		if (e[i] && e[i]->esp && (e[i]->esp->in_sa || e[i]->esp->out_sa))
			return;
	p->esp.tunnel = false;
}

/* A request for p failed: p goes back to the userspace path, and its next
 * session is made without the kernel (our handshakes say so to it). */
static void refuse(struct wf_daemon *d, struct wf_peer *p, const struct wf_esp_step *st, int err)
{
	d->kern.failed++;
	log_warnx("peer %s: the kernel refused to %s (%s): it goes on the userspace path", p->cert.name,
		  step_name(st->kind), strerror(-err));
	p->esp.refused = true;
	p->esp.rekey = true;
}

static bool anything(const struct wf_peer *p, struct wf_index_entry *e[WF_ESP_KPS])
{
	if (p->esp.in_pol || p->esp.out_pol || p->esp.tunnel)
		return true;
	for (int i = 0; i < WF_ESP_KPS; i++)
		if (e[i] && e[i]->esp)
			return true;
	return false;
}

void wf_kernel_sync(struct wf_daemon *d, struct wf_peer *p)
{
	struct wf_index_entry *e[WF_ESP_KPS];
	struct wf_esp_step v[WF_ESP_STEPS_MAX];
	struct wf_esp_state s;
	bool was_out = p->esp.out_pol;
	unsigned n;

	entries(d, p, e);
	if (!anything(p, e))
		return;
	if (!p->esp.reqid && !reqid_of(d, p))
		return;
	for (int round = 0; round < 2; round++) {
		state(d, p, e, &s);
		n = wf_esp_plan(&s, v);
		for (unsigned i = 0; i < n; i++) {
			int err = d->kern.fd >= 0 || v[i].kind == WF_ESP_REKEY ? do_step(d, p, e, &v[i]) : 0;

			if (err < 0 && !p->esp.refused) {
				refuse(d, p, &v[i], err);
				break; /* the second round takes it all down */
			}
			record(p, e, &v[i]);
		}
		if (!p->esp.refused || round)
			break;
	}
	tunnel_release(p, e);
	if (was_out && !p->esp.out_pol)
		wf_subnets_sync(d, 0); /* its subnets back to the TUN device at once */
}

void wf_kernel_forget(struct wf_daemon *d, struct wf_peer *p, struct wf_index_entry *e)
{
	struct wf_kp_esp *x = e->esp;

	if (!x)
		return;
	if (p && d->kern.fd >= 0) {
		if (x->out_sa && del_sa(d, p, x, false) < 0)
			d->kern.failed++;
		if (x->in_sa && del_sa(d, p, x, true) < 0)
			d->kern.failed++;
	}
	wf_wipe(x, sizeof(*x));
	free(x);
	e->esp = NULL;
}

void wf_kernel_peer_gone(struct wf_daemon *d, struct wf_peer *p)
{
	struct wf_kernel *k = &d->kern;

	wf_kernel_sync(d, p); /* (p->removed: off the path) */
	if (p->esp.reqid && p->esp.reqid <= k->n_reqid)
		k->by_reqid[p->esp.reqid - 1] = NULL;
	p->esp.reqid = 0;
}

/* --- Counters, events ------------------------------------------------------------- */

struct poll_ctx {
	struct wf_daemon *d;
	int64_t now;
};

/* One SA's counters: into its keypair, its peer's totals and liveness. */
static void poll_sa(const struct wf_xfrm_sa_info *sa, void *arg)
{
	struct poll_ctx *c = arg;
	struct wf_peer *p = peer_of_reqid(c->d, sa->reqid);
	struct wf_index_entry *e[WF_ESP_KPS];

	if (!p || !p->esp.tunnel)
		return;
	entries(c->d, p, e);
	for (int i = 0; i < WF_ESP_KPS; i++) {
		struct wf_kp_esp *x = e[i] ? e[i]->esp : NULL;
		bool in;

		if (!x)
			continue;
		if (x->in_sa && sa->id.spi == x->keys.spi_in && wf_prefix_equal(&sa->id.dst, &p->esp.local))
			in = true;
		else if (x->out_sa && sa->id.spi == x->keys.spi_out &&
			 wf_prefix_equal(&sa->id.dst, &p->esp.remote))
			in = false;
		else
			continue;
		if (counted(p, x, in, sa)) {
			if (in)
				WF_SET(p->last_rx_ms, c->now);
			else
				WF_SET(p->last_tx_ms, c->now);
		}
		return;
	}
}

/* Datagrams on the ESP-in-UDP port that were not ESP: counted, dropped. */
static void drain_strays(struct wf_kernel *k)
{
	uint8_t buf[64];

	for (int i = 0; i < 2; i++)
		while (k->encap_fd[i] >= 0 && recv(k->encap_fd[i], buf, sizeof(buf), MSG_DONTWAIT) >= 0)
			k->stray++;
}

void wf_kernel_tick(struct wf_daemon *d, int64_t now)
{
	struct poll_ctx c = {.d = d, .now = now};

	if (!d->kern.on || now < d->kern.next_poll_ms)
		return;
	d->kern.next_poll_ms = now + WF_KERNEL_POLL_MS;
	if (wf_xfrm_sa_each(d->kern.fd, d->kern.if_id, poll_sa, &c) < 0)
		log_debug("kernel path: cannot read the SAs' counters");
	drain_strays(&d->kern);
}

/* An SA of ours the kernel let go (a hard limit) or wants renewed. */
static void on_expire(struct wf_daemon *d, const struct wf_xfrm_event *ev)
{
	struct wf_peer *p = peer_of_reqid(d, ev->sa.reqid);
	struct wf_index_entry *e[WF_ESP_KPS];

	if (!p)
		return;
	p->esp.rekey = true;
	if (ev->kind != WF_XFRM_EXPIRE_HARD)
		return;
	entries(d, p, e);
	for (int i = 0; i < WF_ESP_KPS; i++) {
		struct wf_kp_esp *x = e[i] ? e[i]->esp : NULL;

		if (x && ev->sa.id.spi == x->keys.spi_in && x->in_sa) {
			count_gone(p, x, true);
			x->in_sa = false;
		} else if (x && ev->sa.id.spi == x->keys.spi_out && x->out_sa) {
			count_gone(p, x, false);
			x->out_sa = false;
		}
	}
	log_info("peer %s: the kernel removed an SA (its hard limit); a new session", p->cert.name);
	wf_kernel_sync(d, p);
}

static void on_event(const struct wf_xfrm_event *ev, void *arg)
{
	struct wf_daemon *d = arg;

	if (ev->kind == WF_XFRM_ACQUIRE) {
		/* A packet into the interface with no SA: its route outlived
		 * its SA (the next sync takes it away). */
		d->kern.acquires++;
		return;
	}
	on_expire(d, ev);
}

void wf_kernel_events(struct wf_daemon *d)
{
	int n;

	while ((n = wf_xfrm_events_read(d->kern.ev_fd, d->kern.if_id, on_event, d)) != -EAGAIN) {
		if (n == -ENOBUFS) {
			d->kern.events_lost++;
			continue;
		}
		if (n < 0)
			break;
	}
}

/* --- Status ----------------------------------------------------------------------- */

const char *wf_kernel_peer_path(const struct wf_daemon *d, const struct wf_peer *p)
{
	const struct wf_keypair *kp = p->session.current;
	struct wf_index_entry *e = kp ? wf_index_find((struct wf_daemon *)d, kp->local_index) : NULL;

	if (!p->esp.out_pol || !e || !e->esp)
		return "userspace";
	return mode_name(e->esp->mode);
}

void wf_kernel_status(const struct wf_daemon *d, cJSON *node)
{
	const struct wf_kernel *k = &d->kern;
	cJSON *o = cJSON_AddObjectToObject(node, "datapath");
	char id[16];

	cJSON_AddStringToObject(o, "path", k->on ? "kernel" : "userspace");
	cJSON_AddStringToObject(o, "reason", k->on ? "" : k->why);
	if (!k->on)
		return;
	snprintf(id, sizeof(id), "%#x", k->if_id);
	cJSON_AddStringToObject(o, "interface", k->ifname);
	cJSON_AddStringToObject(o, "if_id", id);
	cJSON_AddStringToObject(o, "encap", d->node.cfg.esp_udp ? "udp" : "none");
	cJSON_AddNumberToObject(o, "esp_port", k->caps.port);
	cJSON_AddNumberToObject(o, "failed", (double)k->failed);
	cJSON_AddNumberToObject(o, "stray", (double)k->stray);
	cJSON_AddNumberToObject(o, "acquires", (double)k->acquires);
	cJSON_AddNumberToObject(o, "events_lost", (double)k->events_lost);
}

void wf_kernel_peer_status(const struct wf_daemon *d, const struct wf_peer *p, cJSON *o)
{
	const struct wf_keypair *kps[WF_ESP_KPS] = {p->session.current, p->session.previous};
	uint64_t rx = p->esp.rx_bytes, tx = p->esp.tx_bytes, rxp = p->esp.rx_packets,
		 txp = p->esp.tx_packets;
	cJSON *esp;

	cJSON_AddStringToObject(o, "path", wf_kernel_peer_path(d, p));
	if (!p->esp.tunnel)
		return;
	for (int i = 0; i < WF_ESP_KPS; i++) {
		struct wf_index_entry *e =
		    kps[i] ? wf_index_find((struct wf_daemon *)d, kps[i]->local_index) : NULL;

		if (e && e->esp) {
			rx += e->esp->in_bytes;
			rxp += e->esp->in_packets;
			tx += e->esp->out_bytes;
			txp += e->esp->out_packets;
		}
	}
	esp = cJSON_AddObjectToObject(o, "esp");
	cJSON_AddNumberToObject(esp, "rx_bytes", (double)rx);
	cJSON_AddNumberToObject(esp, "rx_packets", (double)rxp);
	cJSON_AddNumberToObject(esp, "tx_bytes", (double)tx);
	cJSON_AddNumberToObject(esp, "tx_packets", (double)txp);
	cJSON_AddNumberToObject(esp, "reqid", p->esp.reqid);
}
