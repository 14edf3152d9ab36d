/* SPDX-License-Identifier: MIT */
/*
 * `weft up`: set the node up, run the event loop, tear down on SIGTERM/SIGINT.
 * Everything the daemon creates (TUN device with its addresses and routes,
 * control socket, lock) is gone when it exits: closing the TUN fd removes the
 * device, and with it the kernel drops its addresses and routes.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <ifaddrs.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <linux/errqueue.h>
#include <netinet/in.h>

#include "store/keyfile.h"
#include "common/log.h"
#include "daemon/control.h"
#include "daemon/daemon.h"
#include "daemon/service.h"
#include "daemon/cache.h"
#include "daemon/handshake.h"
#include "daemon/kernel.h"
#include "daemon/index.h"
#include "daemon/membership.h"
#include "daemon/mtu.h"
#include "daemon/names.h"
#include "daemon/peer.h"
#include "daemon/reload.h"
#include "daemon/revoked.h"
#include "daemon/status.h"
#include "daemon/timers.h"
#include "daemon/udp.h"
#include "daemon/worker.h"
#include "daemon/netlink.h"
#include "daemon/tun.h"

enum { TICK_MS = 100 };

static char *control_request(const char *req, void *arg)
{
	struct wf_daemon *d = arg;

	if (!strcmp(req, "status"))
		return wf_status_json(d);
	if (!strcmp(req, "revoke"))
		return wf_revoked_request(d);
	if (!strcmp(req, "reload"))
		return wf_reload_request(d);
	return wf_control_answer(false, NULL, "unknown request");
}

/* Only one daemon per node directory. The lock dies with the process. */
static bool lock_dir(struct wf_daemon *d)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/weft.lock", d->node.cfg.dir) >= (int)sizeof(path))
		return false;
	d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (d->lock_fd < 0) {
		log_error("cannot open %s", path);
		return false;
	}
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		log_errorx("another weft daemon is already running for %s", d->node.cfg.dir);
		return false;
	}
	return true;
}

static bool load_identity(struct wf_daemon *d)
{
	char err[WF_ERR_MAX];
	uint8_t pub[WF_KEY_LEN];
	enum wf_cert_err ce;
	int64_t now = (int64_t)time(NULL);

	if (!wf_cert_load(d->node.cfg.ca, &d->node.ca, err, sizeof(err)) ||
	    !wf_cert_load(d->node.cfg.certificate, &d->node.self, err, sizeof(err)) ||
	    !wf_key_load(d->node.cfg.private_key, "NODE PRIVATE KEY", d->node.static_priv, err, sizeof(err))) {
		log_errorx("%s", err);
		return false;
	}
	if ((ce = wf_cert_verify_ca(&d->node.ca, now)) != WF_CERT_OK) {
		log_errorx("%s: %s", d->node.cfg.ca, wf_cert_explain(&d->node.ca, ce, now, err, sizeof(err)));
		return false;
	}
	if ((ce = wf_cert_verify(&d->node.self, &d->node.ca, now)) != WF_CERT_OK) {
		log_errorx("%s: %s", d->node.cfg.certificate,
			   wf_cert_explain(&d->node.self, ce, now, err, sizeof(err)));
		return false;
	}
	if (!wf_x25519_public(pub, d->node.static_priv) || memcmp(pub, d->node.self.pubkey, WF_KEY_LEN)) {
		log_errorx("%s does not match the public key in %s", d->node.cfg.private_key,
			   d->node.cfg.certificate);
		return false;
	}
	if (strcmp(d->node.self.name, d->node.cfg.name)) {
		log_errorx("%s: name = %s, but %s is for %s", d->node.cfg.path, d->node.cfg.name,
			   d->node.cfg.certificate, d->node.self.name);
		return false;
	}
	return true;
}

/* A list that does not verify is an error, not a list to ignore: starting
 * without it would let revoked nodes back in. */
static bool load_revocations(struct wf_daemon *d)
{
	char msg[WF_ERR_MAX];

	if (wf_revoked_load(d, msg, sizeof(msg), wf_now_ms()))
		return true;
	log_errorx("%s", msg);
	return false;
}

static bool own_family(const struct wf_daemon *d, int family)
{
	for (unsigned i = 0; i < d->node.self.n_addrs; i++)
		if (d->node.self.addrs[i].family == family)
			return true;
	return false;
}

/* Let the kernel take IPv4 packets from the TUN whose source is one of its
 * own addresses: weft's ICMP errors, which come from this node's address as
 * a router's do. Only weft writes to the interface. */
static bool set_accept_local(const char *ifname)
{
	char path[128];
	int fd;
	bool ok;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/accept_local", ifname);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ok = write(fd, "1", 1) == 1;
	close(fd);
	return ok;
}

/* Super-packets from the TUN device (TSO, USO) and to it (coalesced
 * writes): what the configuration allows and the kernel takes. */
static void tun_offloads(struct wf_daemon *d)
{
	const unsigned tso = WF_TUN_F_CSUM | WF_TUN_F_TSO4 | WF_TUN_F_TSO6;
	const unsigned uso = WF_TUN_F_USO4 | WF_TUN_F_USO6;
	unsigned got;
	int err;

	if (!d->node.cfg.tun_offload) {
		wf_offload_off(&d->dp.off.tun_tso, "weft.conf");
		wf_offload_off(&d->dp.off.tun_uso, "weft.conf");
		wf_offload_off(&d->dp.off.tun_gro, "weft.conf");
		return;
	}
	if (!d->dp.off.vnet) {
		wf_offload_off(&d->dp.off.tun_tso, "the kernel has no virtio-net header for TUN");
		wf_offload_off(&d->dp.off.tun_uso, "the kernel has no virtio-net header for TUN");
		wf_offload_off(&d->dp.off.tun_gro, "the kernel has no virtio-net header for TUN");
		return;
	}
	got = wf_tun_set_offload(d->tun_fd, tso | uso, &err);
	d->dp.off.tun_tso.on = (got & tso) == tso;
	if (!d->dp.off.tun_tso.on)
		wf_offload_off(&d->dp.off.tun_tso, "the kernel refused it (%s)", strerror(err));
	d->dp.off.tun_uso.on = (got & uso) == uso;
	if (!d->dp.off.tun_uso.on && got)
		wf_offload_off(&d->dp.off.tun_uso, "the kernel has none (before Linux 6.2)");
	else if (!d->dp.off.tun_uso.on)
		wf_offload_off(&d->dp.off.tun_uso, "the kernel refused it (%s)", strerror(err));
	/* Any device with the header takes super-packets written to it. */
	d->dp.off.tun_gro.on = true;
}

/* The device, one queue per worker (a multi-queue device when more than
 * one: the kernel keeps each flow on one queue). */
static bool open_queues(struct wf_daemon *d, int *fds, unsigned n)
{
	bool multi = n > 1;
	int fd;

	snprintf(d->node.ifname, sizeof(d->node.ifname), "%s", d->node.cfg.interface);
	d->dp.off.vnet = d->node.cfg.tun_offload;
	fd = wf_tun_open(d->node.ifname, d->dp.off.vnet, multi ? WF_TUN_FIRST : WF_TUN_SINGLE);
	if (fd < 0 && d->dp.off.vnet && fd != -EBUSY) {
		/* A kernel without the header: the device works without. */
		snprintf(d->node.ifname, sizeof(d->node.ifname), "%s", d->node.cfg.interface);
		d->dp.off.vnet = false;
		fd = wf_tun_open(d->node.ifname, false, multi ? WF_TUN_FIRST : WF_TUN_SINGLE);
	}
	for (unsigned i = 0; fd >= 0;) {
		fds[i++] = fd;
		if (i == n)
			return true;
		fd = wf_tun_open(d->node.ifname, d->dp.off.vnet, WF_TUN_MORE);
	}
	char why[256];

	log_errorx("%s", wf_tun_strerror(fd, d->node.ifname, why, sizeof(why)));
	return false;
}

static bool setup_tun(struct wf_daemon *d, int *fds, unsigned n)
{
	int err;

	if (!open_queues(d, fds, n))
		return false;
	d->tun_fd = fds[0];
	d->node.accept_local = set_accept_local(d->node.ifname);
	if (!d->node.accept_local)
		log_debug("%s: cannot set accept_local; ICMP errors come from the address asked "
			  "for", d->node.ifname);
	tun_offloads(d);
	d->node.mtu = d->node.cfg.mtu ? d->node.cfg.mtu : wf_mtu_device(d);
	if ((err = wf_nl_link_set_mtu_up(d->node.ifname, d->node.mtu)) < 0) {
		log_errorx("%s: cannot set MTU %u and bring it up: %s", d->node.ifname, d->node.mtu,
			   strerror(-err));
		return false;
	}
	for (unsigned i = 0; i < d->node.self.n_addrs; i++) {
		err = wf_nl_addr_add(d->node.ifname, &d->node.self.addrs[i], d->node.self.addrs[i].len);
		if (err < 0 && err != -EEXIST) {
			log_errorx("%s: cannot add an address: %s", d->node.ifname, strerror(-err));
			return false;
		}
	}
	/* The whole overlay goes through the TUN; which peer gets a packet
	 * is decided by the certificates, in wf_routes. */
	for (unsigned i = 0; i < d->node.ca.n_prefixes; i++) {
		if (!own_family(d, d->node.ca.prefixes[i].family))
			continue;
		err = wf_nl_route_add(d->node.ifname, &d->node.ca.prefixes[i], 0);
		if (err < 0 && err != -EEXIST) {
			log_errorx("%s: cannot add a route: %s", d->node.ifname, strerror(-err));
			return false;
		}
	}
	return true;
}

/* Our own addresses, so that nobody can send us handshaking with ourselves
 * (a wildcard listen address stands for all of them). */
static void setup_local_addrs(struct wf_daemon *d)
{
	struct ifaddrs *ifa, *i;

	if (getifaddrs(&ifa) < 0)
		return;
	for (i = ifa; i && d->peers.n_local_addrs < WF_LOCAL_ADDRS_MAX; i = i->ifa_next) {
		union wf_endpoint *ep = &d->peers.local_addrs[d->peers.n_local_addrs];
		int f = i->ifa_addr ? i->ifa_addr->sa_family : AF_UNSPEC;

		if (f != AF_INET && f != AF_INET6)
			continue;
		memset(ep, 0, sizeof(*ep));
		memcpy(ep, i->ifa_addr, f == AF_INET ? sizeof(ep->in4) : sizeof(ep->in6));
		if (f == AF_INET)
			ep->in4.sin_port = 0;
		else
			ep->in6.sin6_port = ep->in6.sin6_scope_id = 0;
		d->peers.n_local_addrs++;
	}
	freeifaddrs(ifa);
}

/* Our overlay addresses are ours: no peer's certificate may take them. */
static bool setup_routes(struct wf_daemon *d)
{
	d->peers.routes = wf_routes_new();
	if (!d->peers.routes)
		return false;
	for (unsigned i = 0; i < d->node.self.n_addrs; i++)
		if (!wf_routes_insert(d->peers.routes, &d->node.self.addrs[i], WF_ROUTE_SELF(d)))
			return false;
	return wf_routes_changed(d);
}

static bool setup_bootstrap(struct wf_daemon *d)
{
	d->peers.n_bootstrap = d->node.cfg.n_bootstrap;
	if (!d->peers.n_bootstrap)
		return true;
	d->peers.bootstrap = calloc(d->peers.n_bootstrap, sizeof(*d->peers.bootstrap));
	if (!d->peers.bootstrap)
		return false;
	for (unsigned i = 0; i < d->peers.n_bootstrap; i++) {
		struct wf_bootstrap *b = &d->peers.bootstrap[i];

		snprintf(b->spec, sizeof(b->spec), "%s", d->node.cfg.bootstrap[i]);
		/* Resolved now for the MTU guess (an unresolved one stays
		 * AF_UNSPEC); handshakes resolve again, in case DNS was not up. */
		if (!wf_endpoint_parse(&b->endpoint, b->spec))
			memset(&b->endpoint, 0, sizeof(b->endpoint));
	}
	return true;
}

static bool setup_events(struct wf_daemon *d)
{
	char err[WF_ERR_MAX];
	sigset_t mask;
	int fds[4], n = 0;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	d->control = wf_control_open(d->node.cfg.control, control_request, d, err, sizeof(err));
	if (!d->control) {
		log_errorx("%s", err);
		return false;
	}
	d->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (d->signal_fd < 0 || d->epoll_fd < 0) {
		log_error("%s", __func__);
		return false;
	}
	fds[n++] = d->signal_fd;
	fds[n++] = wf_control_fd(d->control);
	for (int i = 0; i < n; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[i]};

		if (epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, fds[i], &ev) < 0) {
			log_error("epoll_ctl");
			return false;
		}
	}
	return true;
}

void wf_worker_init(struct wf_daemon *d, unsigned id, int tun_fd, int udp_fd)
{
	struct wf_worker *w = &d->dp.w[id]; /* (id < what wf_workers_alloc made) */

	w->d = d;
	w->id = id;
	w->tun_fd = tun_fd;
	w->udp_fd = udp_fd;
	w->epoll_fd = -1;
	if (id >= d->dp.n_workers)
		d->dp.n_workers = id + 1;
}

void wf_control_worker_init(struct wf_daemon *d, int tun_fd, int udp_fd)
{
	struct wf_worker *c = &d->dp.ctl;

	c->d = d;
	c->id = d->dp.n_workers; /* its AEAD contexts come after the workers' */
	c->control = true;
	c->tun_fd = tun_fd;
	c->udp_fd = udp_fd;
	c->epoll_fd = -1;
}

static void on_signal(struct wf_daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->signal_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			char msg[WF_CONFIG_MAX_LINE];

			if (!wf_reload(d, msg, sizeof(msg), wf_now_ms()))
				log_errorx("SIGHUP: not reloaded, nothing changed: %s", msg);
			continue;
		}
		log_info("%s: shutting down", strsignal((int)si.ssi_signo));
		wf_service_stopping();
		d->stop = true;
	}
}

/* Which offloads are in use, and why any the configuration allows is not. */
static void log_offloads(const struct wf_daemon *d)
{
	char on[128] = "";

	for (unsigned i = 0; i < WF_OFFLOADS; i++) {
		const char *name, *json;
		const struct wf_offload *o = wf_offload_nth(&d->dp.off, i, &name, &json);

		if (o->on)
			snprintf(on + strlen(on), sizeof(on) - strlen(on), " %s", name);
		else if (strcmp(o->why, "weft.conf"))
			log_info("%s off: %s", name, o->why);
	}
	log_info("offloads:%s", on[0] ? on : " none");
}

static bool run(struct wf_daemon *d)
{
	struct epoll_event ev[8];

	while (!d->stop) {
		int64_t now;
		int n;

		/* Before waiting: the routes changed since the last wait copied
		 * for the workers (once, however many peers came or went), then
		 * freed what they let go of (wf_reclaim). */
		wf_reclaim(d, false);
		n = epoll_wait(d->epoll_fd, ev, 8, TICK_MS);
		if (n < 0 && errno != EINTR) {
			log_error("epoll_wait");
			return false;
		}
		for (int i = 0; i < n; i++) {
			int fd = ev[i].data.fd;

			if (fd == d->signal_fd)
				on_signal(d);
			else if (fd == wf_control_fd(d->control))
				wf_control_handle(d->control);
			else if (fd == d->kern.ev_fd)
				wf_kernel_events(d);
			else if (fd == d->exp.fd)
				wf_exporter_run(d);
			else if (wf_names_owns(d, fd))
				wf_names_read(d, fd, wf_now_ms());
			/* the wake_fd: read by wf_ctl_drain */
		}
		now = wf_now_ms();
		wf_ctl_drain(d, now); /* what the workers handed over */
		if (now - d->last_tick_ms >= TICK_MS) {
			d->last_tick_ms = now;
			wf_timers_tick(d, now);
			wf_exporter_run(d); /* its connections' timeouts */
			wf_names_tick(d, now);
			wf_service_tick(d, now);
		}
	}
	return true;
}

bool wf_daemon_prepare(struct wf_daemon *d)
{
	d->node.self_cert_len = wf_cert_encode(&d->node.self, d->node.self_cert_enc, sizeof(d->node.self_cert_enc));
	wf_session_limits_default(&d->node.limits, d->node.cfg.rekey_interval_ms);
	d->peers.unproven_max = WF_UNPROVEN_MAX;
	d->kern.fd = d->kern.ev_fd = d->kern.encap_fd[0] = d->kern.encap_fd[1] = -1;
	d->exp.fd = -1;
	return d->node.self_cert_len && wf_handshake_setup(d) && setup_routes(d) &&
	       wf_filter_setup(d) && wf_members_init(d, wf_now_ms());
}

void wf_daemon_release(struct wf_daemon *d)
{
	for (unsigned i = 0; i < d->peers.n_bootstrap; i++)
		if (d->peers.bootstrap[i].hs)
			wf_handshake_abort(d, d->peers.bootstrap[i].hs);
	free(d->peers.bootstrap);
	d->peers.bootstrap = NULL;
	d->peers.n_bootstrap = 0;
	wf_peer_free_all(d);
	wf_members_release(d);
	wf_revoked_release(d);
	if (d->peers.routes)
		wf_routes_free(d->peers.routes);
	d->peers.routes = NULL;
	wf_routes_free(d->peers.routes_pub);
	d->peers.routes_pub = NULL;
	__atomic_store_n(&d->peers.routes_dirty, false, __ATOMIC_RELEASE); /* nothing left to publish */
	d->peers.unready = NULL;
	wf_handshake_teardown(d);
	for (unsigned i = 0; i < WF_INDEX_BUCKETS; i++) /* anything left is a bug, but free it */
		while (d->peers.index[i]) {
			struct wf_index_entry *e = d->peers.index[i];

			d->peers.index[i] = e->next;
			free(e->offered);
			free(e);
		}
	wf_reclaim(d, true);
	wf_filter_release(d);
	wf_wipe(d->node.static_priv, sizeof(d->node.static_priv));
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

static void teardown(struct wf_daemon *d)
{
	/* The kernel's state first (it follows the peers), then the workers:
	 * nothing is freed under them. No more scrapes before that. */
	wf_exporter_stop(d);
	wf_resolved_stop(d); /* while the link is there to revert */
	wf_names_stop(d);
	wf_kernel_stop(d);
	wf_subnets_clear(d);
	wf_threads_stop(d);
	wf_service_release(d);
	if (d->control)
		wf_control_close(d->control);
	wf_daemon_release(d);
	wf_batch_free(&d->dp.ctl);
	for (unsigned i = 0; i < d->dp.n_workers; i++) {
		wf_batch_free(&d->dp.w[i]);
		close_fd(d->dp.w[i].epoll_fd);
		/* Queue 0 and socket 0 are d->tun_fd and d->udp_fd. */
		if (i) {
			close_fd(d->dp.w[i].tun_fd);
			close_fd(d->dp.w[i].udp_fd);
		}
	}
	wf_workers_free(d);
	/* Closing the TUN fds removes the device, its addresses and routes. */
	int fds[] = {d->tun_fd,	  d->udp_fd,  d->epoll_fd, d->signal_fd,
		     d->lock_fd, d->dp.wake_fd, d->dp.stop_fd};
	for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		close_fd(fds[i]);
}

/* The kernel data path, if it is to run and can (its events then come
 * into the loop). */
static bool setup_kernel(struct wf_daemon *d)
{
	return wf_kernel_start(d) == 0;
}

/* workers = 0: one per core. */
static unsigned worker_count(const struct wf_daemon *d)
{
	long n = d->node.cfg.workers ? (long)d->node.cfg.workers : sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > WF_WORKERS_MAX ? WF_WORKERS_MAX : (unsigned)n;
}

/* The workers on their queues and sockets, the control thread's share, and
 * the threads started; false if any of it cannot be had. */
static bool setup_workers(struct wf_daemon *d, const int *tun, const int *udp, unsigned n)
{
	struct epoll_event ev = {.events = EPOLLIN};

	if (!wf_workers_alloc(d, n)) {
		log_errorx("out of memory");
		return false;
	}
	for (unsigned i = 0; i < n; i++) {
		wf_worker_init(d, i, tun[i], udp[i]);
		if (!wf_batch_alloc(&d->dp.w[i])) {
			log_errorx("out of memory");
			return false;
		}
	}
	wf_control_worker_init(d, d->tun_fd, d->udp_fd);
	if (!wf_batch_alloc(&d->dp.ctl)) {
		log_errorx("out of memory");
		return false;
	}
	if (!wf_threads_start(d))
		return false;
	ev.data.fd = d->dp.wake_fd;
	if (epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, d->dp.wake_fd, &ev) < 0) {
		log_error("epoll_ctl");
		return false;
	}
	return true;
}

int wf_daemon_run(const char *dir)
{
	struct wf_daemon *d = calloc(1, sizeof(*d));
	int tun[WF_WORKERS_MAX], udp[WF_WORKERS_MAX];
	char err[WF_ERR_MAX];
	unsigned n;
	int rc = 1;

	if (!d)
		return 1;
	d->tun_fd = d->udp_fd = d->epoll_fd = d->signal_fd = d->lock_fd = -1;
	d->dp.wake_fd = d->dp.stop_fd = -1;
	for (unsigned i = 0; i < WF_CERT_MAX_ADDRS; i++)
		d->names.fd[i] = -1;
	for (unsigned i = 0; i < WF_WORKERS_MAX; i++)
		tun[i] = udp[i] = -1;
	wf_crypto_init();
	if (!wf_config_load(&d->node.cfg, dir, err, sizeof(err))) {
		log_errorx("%s", err);
		goto out;
	}
	wf_log_set_level(d->node.cfg.log_level);
	if (d->node.cfg.log_format != WF_LOG_FORMAT_AUTO)
		wf_log_set_format(d->node.cfg.log_format);
	wf_config_warn(&d->node.cfg);
	if (!lock_dir(d) || !load_identity(d))
		goto out;
	if (!wf_daemon_prepare(d)) {
		log_errorx("out of memory");
		goto out;
	}
	if (!load_revocations(d))
		goto out;
	setup_local_addrs(d);
	n = worker_count(d);
	if (!setup_bootstrap(d) || !wf_udp_setup(d, udp, n) || !setup_tun(d, tun, n) ||
	    !setup_events(d))
		goto out_fds;
	if (!setup_workers(d, tun, udp, n) || !setup_kernel(d) || !wf_exporter_start(d))
		goto out;
	if (!wf_names_start(d)) {
		log_errorx("out of memory");
		goto out;
	}
	wf_resolved_start(d);
	log_offloads(d);
	d->node.started_ms = wf_now_ms();
	wf_cache_load(d, d->node.started_ms);
	{
		char ep[WF_ADDR_STRLEN], a[WF_ADDR_STRLEN];

		log_info("node %s (%s) up on %s, mtu %u, listening on %s, network %s, %s, %u "
			 "worker%s",
			 d->node.self.name, wf_prefix_str(&d->node.self.addrs[0], true, a, sizeof(a)), d->node.ifname,
			 d->node.mtu, wf_endpoint_str(&d->node.cfg.listen, ep, sizeof(ep)), d->node.ca.network,
			 wf_cipher_name(d->node.ca.cipher), d->dp.n_workers, d->dp.n_workers == 1 ? "" : "s");
	}
	wf_service_ready(d, wf_now_ms());
	rc = run(d) ? 0 : 1;
	wf_cache_save(d);
	wf_members_leave(d, wf_now_ms());
	goto out;
out_fds:
	/* Opened before the workers that would own them were set up. */
	for (unsigned i = 1; i < WF_WORKERS_MAX; i++) {
		close_fd(tun[i]);
		close_fd(udp[i]);
	}
out:
	teardown(d);
	free(d);
	return rc;
}
