/* SPDX-License-Identifier: MIT */
/*
 * The control socket: a listening UNIX socket and a handful of non-blocking
 * connections, all behind one private epoll fd so that the daemon's event
 * loop sees a single descriptor. A timerfd in the same epoll expires
 * connections whose client went quiet, so nothing here ever waits.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "daemon/control.h"

enum {
	TAG_LISTEN = WF_CONTROL_MAX_CONNS, /* epoll tags: 0..MAX_CONNS-1 are connections */
	TAG_TIMER,
	ACCEPT_PAUSE_MS = 500, /* after EMFILE and friends, so we do not spin */
	DRAIN_MAX = 65536,     /* unread input discarded before close */
};

struct conn {
	int fd; /* -1: free slot */
	size_t inlen;
	char in[WF_CONTROL_MAX_REQUEST + 1];
	char *out; /* the response, once there is one */
	size_t outlen, outoff;
	uint64_t deadline; /* monotonic ms */
};

struct wf_control {
	int epfd, lfd, tfd;
	bool listening;        /* lfd is in the epoll set with EPOLLIN */
	uint64_t paused_until; /* accept errors: listen again at this time */
	unsigned n_conns;
	struct conn conns[WF_CONTROL_MAX_CONNS];
	wf_control_handler handler;
	void *arg;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev; /* the socket file we bound, so close only unlinks our own */
	ino_t ino;
};

static const char nomem_response[] = "{\"error\":\"out of memory\"}\n";
static const char too_long_response[] = "{\"error\":\"request too long\"}\n";

static int ep_set(struct wf_control *c, int op, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = {.events = events, .data.u64 = tag};

	return epoll_ctl(c->epfd, op, fd, &ev);
}

/* Listen only while there is room for a connection and accept is not paused:
 * a level-triggered listening socket we cannot serve would spin the loop. */
static void update_listen(struct wf_control *c, uint64_t now)
{
	bool want = c->n_conns < WF_CONTROL_MAX_CONNS && now >= c->paused_until;

	if (want == c->listening)
		return;
	if (ep_set(c, EPOLL_CTL_MOD, c->lfd, want ? EPOLLIN : 0, TAG_LISTEN) < 0) {
		log_warn("%s: epoll_ctl", __func__);
		return;
	}
	c->listening = want;
}

/* The timer fires at the earliest connection deadline or end of pause. */
static void arm_timer(struct wf_control *c, uint64_t now)
{
	struct itimerspec its = {0};
	uint64_t next = c->paused_until > now ? c->paused_until : 0;
	unsigned i;

	for (i = 0; i < WF_CONTROL_MAX_CONNS; i++)
		if (c->conns[i].fd >= 0 && (!next || c->conns[i].deadline < next))
			next = c->conns[i].deadline;
	if (next) {
		its.it_value.tv_sec = (time_t)(next / 1000);
		its.it_value.tv_nsec = (long)(next % 1000) * 1000000;
	}
	if (timerfd_settime(c->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		log_warn("%s: timerfd_settime", __func__);
}

static void conn_close(struct wf_control *c, struct conn *cn)
{
	close(cn->fd); /* also removes it from the epoll set */
	free(cn->out);
	cn->fd = -1;
	cn->out = NULL;
	c->n_conns--;
}

/* Response written: discard what the client may still have sent, since
 * closing a UNIX socket with unread input makes the peer's read fail with
 * ECONNRESET instead of a clean EOF. */
static void conn_finish(struct wf_control *c, struct conn *cn)
{
	char buf[4096];
	size_t drained = 0;
	ssize_t n;

	shutdown(cn->fd, SHUT_WR);
	while (drained < DRAIN_MAX && (n = recv(cn->fd, buf, sizeof(buf), 0)) > 0)
		drained += (size_t)n;
	conn_close(c, cn);
}

static void conn_write(struct wf_control *c, struct conn *cn)
{
	ssize_t n;

	while (cn->outoff < cn->outlen) {
		n = send(cn->fd, cn->out + cn->outoff, cn->outlen - cn->outoff, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return; /* EPOLLOUT brings us back */
		if (n < 0) {
			log_debug("%s: send: %s", __func__, strerror(errno));
			conn_close(c, cn);
			return;
		}
		cn->outoff += (size_t)n;
	}
	conn_finish(c, cn);
}

/* Takes ownership of resp (malloc'd, or NULL for a copy of fixed). */
static void conn_respond(struct wf_control *c, struct conn *cn, char *resp, const char *fixed)
{
	size_t len;
	char *p;

	if (!resp)
		resp = strdup(fixed);
	if (!resp)
		goto out_nomem;
	len = strlen(resp);
	if (!len || resp[len - 1] != '\n') {
		p = realloc(resp, len + 2);
		if (!p)
			goto out_nomem;
		resp = p;
		resp[len++] = '\n';
		resp[len] = '\0';
	}
	cn->out = resp;
	cn->outlen = len;
	if (ep_set(c, EPOLL_CTL_MOD, cn->fd, EPOLLOUT, (uint64_t)(cn - c->conns)) < 0) {
		log_warn("%s: epoll_ctl", __func__);
		conn_close(c, cn);
		return;
	}
	conn_write(c, cn);
	return;

out_nomem:
	free(resp);
	log_warnx("%s: out of memory", __func__);
	conn_close(c, cn);
}

/* A complete request line (or input ended): call the handler. */
static void conn_request(struct wf_control *c, struct conn *cn, size_t len)
{
	char *resp;

	cn->in[len] = '\0';
	if (len && cn->in[len - 1] == '\r')
		cn->in[--len] = '\0';
	log_debug("%s: request '%s'", __func__, cn->in);
	resp = c->handler(cn->in, c->arg);
	conn_respond(c, cn, resp, nomem_response);
}

static void conn_read(struct wf_control *c, struct conn *cn)
{
	char *nl;
	ssize_t n;

	for (;;) {
		n = recv(cn->fd, cn->in + cn->inlen, WF_CONTROL_MAX_REQUEST - cn->inlen, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0 || (n == 0 && cn->inlen == 0)) {
			conn_close(c, cn); /* gone without asking anything */
			return;
		}
		if (n == 0) {
			conn_request(c, cn, cn->inlen); /* "status" without newline, then EOF */
			return;
		}
		nl = memchr(cn->in + cn->inlen, '\n', (size_t)n);
		cn->inlen += (size_t)n;
		if (nl) {
			conn_request(c, cn, (size_t)(nl - cn->in));
			return;
		}
		if (cn->inlen == WF_CONTROL_MAX_REQUEST) {
			conn_respond(c, cn, NULL, too_long_response);
			return;
		}
	}
}

static bool peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		log_warn("%s: SO_PEERCRED", __func__);
		return false;
	}
	if (cred.uid == 0 || cred.uid == geteuid())
		return true;
	log_warnx("control socket: refused a connection from uid %u (pid %d): only root and "
		  "the daemon's own user may ask", (unsigned)cred.uid, (int)cred.pid);
	return false;
}

static void conn_add(struct wf_control *c, int fd, uint64_t now)
{
	struct conn *cn;
	unsigned i = 0;

	while (i < WF_CONTROL_MAX_CONNS && c->conns[i].fd >= 0)
		i++;
	if (i == WF_CONTROL_MAX_CONNS || !peer_allowed(fd) ||
	    ep_set(c, EPOLL_CTL_ADD, fd, EPOLLIN, i) < 0) {
		close(fd);
		return;
	}
	cn = &c->conns[i];
	cn->fd = fd;
	cn->inlen = 0;
	cn->outlen = cn->outoff = 0;
	cn->deadline = now + WF_CONTROL_DEADLINE_MS;
	c->n_conns++;
}

static void accept_all(struct wf_control *c, uint64_t now)
{
	int fd;

	while (c->n_conns < WF_CONTROL_MAX_CONNS) {
		fd = accept4(c->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			conn_add(c, fd, now);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			log_warn("%s: accept", __func__);
			c->paused_until = now + ACCEPT_PAUSE_MS;
		}
		return;
	}
}

static void expire(struct wf_control *c, uint64_t now)
{
	unsigned i;

	for (i = 0; i < WF_CONTROL_MAX_CONNS; i++) {
		if (c->conns[i].fd >= 0 && now >= c->conns[i].deadline) {
			log_debug("%s: control client timed out", __func__);
			conn_close(c, &c->conns[i]);
		}
	}
}

void wf_control_handle(struct wf_control *c)
{
	struct epoll_event ev[WF_CONTROL_MAX_CONNS + 2];
	uint64_t expirations, now = (uint64_t)wf_now_ms();
	struct conn *cn;
	int i, n;

	n = epoll_wait(c->epfd, ev, WF_CONTROL_MAX_CONNS + 2, 0);
	for (i = 0; i < n; i++) {
		if (ev[i].data.u64 == TAG_LISTEN) {
			accept_all(c, now);
		} else if (ev[i].data.u64 == TAG_TIMER) {
			if (read(c->tfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
				log_warn("%s: timerfd read", __func__);
		} else {
			cn = &c->conns[ev[i].data.u64];
			if (cn->fd < 0)
				continue; /* closed earlier in this batch */
			if (cn->out)
				conn_write(c, cn);
			else
				conn_read(c, cn);
		}
	}
	expire(c, now);
	update_listen(c, now);
	arm_timer(c, now);
}

int wf_control_fd(const struct wf_control *c)
{
	return c->epfd;
}

/* mkdir -p of path's directory, 0700 for what is created. */
static bool make_parent(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)], *p, *end;

	snprintf(dir, sizeof(dir), "%s", path);
	end = strrchr(dir, '/');
	if (!end || end == dir)
		return true;
	*end = '\0';
	for (p = dir + 1; p <= end; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
			return false;
		}
		if (p < end)
			*p = '/';
	}
	return true;
}

/* A socket file at addr: refuse if a daemon answers, remove if stale. */
static bool clear_stale(const struct sockaddr_un *addr, char *err, size_t errlen)
{
	const char *path = addr->sun_path;
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0)
		return true; /* nothing there */
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket", path);
		return false;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return false;
	}
	r = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
	if (r == 0 || errno == EAGAIN || errno == EINPROGRESS) {
		snprintf(err, errlen, "another weft daemon is running on %s", path);
		goto out_fail;
	}
	if (errno != ECONNREFUSED && errno != ENOENT) {
		snprintf(err, errlen, "cannot check %s: %s", path, strerror(errno));
		goto out_fail;
	}
	close(fd);
	if (unlink(path) < 0 && errno != ENOENT) {
		snprintf(err, errlen, "cannot remove stale socket %s: %s", path, strerror(errno));
		return false;
	}
	log_info("removed stale control socket %s", path);
	return true;

out_fail:
	close(fd);
	return false;
}

/* Bind with umask 0177 so the socket is 0600 from its first moment. */
static int bind_socket(struct wf_control *c, const struct sockaddr_un *addr, char *err,
		       size_t errlen)
{
	struct stat st;
	mode_t old;
	int fd, r;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	old = umask(0177);
	r = bind(fd, (const struct sockaddr *)addr, sizeof(*addr));
	umask(old);
	if (r < 0 || listen(fd, 16) < 0 || stat(addr->sun_path, &st) < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", addr->sun_path, strerror(errno));
		if (r == 0)
			unlink(addr->sun_path);
		close(fd);
		return -1;
	}
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	return fd;
}

static bool setup_epoll(struct wf_control *c, char *err, size_t errlen)
{
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	c->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (c->epfd < 0 || c->tfd < 0 ||
	    ep_set(c, EPOLL_CTL_ADD, c->lfd, EPOLLIN, TAG_LISTEN) < 0 ||
	    ep_set(c, EPOLL_CTL_ADD, c->tfd, EPOLLIN, TAG_TIMER) < 0) {
		snprintf(err, errlen, "control socket setup: %s", strerror(errno));
		return false;
	}
	c->listening = true;
	return true;
}

struct wf_control *wf_control_open(const char *path, wf_control_handler h, void *arg, char *err,
				   size_t errlen)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct wf_control *c;
	unsigned i;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "control socket path %s is too long", path);
		return NULL;
	}
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->epfd = c->lfd = c->tfd = -1;
	for (i = 0; i < WF_CONTROL_MAX_CONNS; i++)
		c->conns[i].fd = -1;
	c->handler = h;
	c->arg = arg;
	snprintf(c->path, sizeof(c->path), "%s", path);
	if (!make_parent(path, err, errlen) || !clear_stale(&addr, err, errlen))
		goto out_free;
	c->lfd = bind_socket(c, &addr, err, errlen);
	if (c->lfd < 0)
		goto out_free;
	if (!setup_epoll(c, err, errlen))
		goto out_close;
	return c;

out_close:
	wf_control_close(c);
	return NULL;
out_free:
	free(c);
	return NULL;
}

void wf_control_close(struct wf_control *c)
{
	struct stat st;
	unsigned i;

	if (!c)
		return;
	for (i = 0; i < WF_CONTROL_MAX_CONNS; i++)
		if (c->conns[i].fd >= 0)
			conn_close(c, &c->conns[i]);
	/* A newer daemon may have replaced our socket: leave its file alone. */
	if (c->lfd >= 0 && stat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
		unlink(c->path);
	if (c->lfd >= 0)
		close(c->lfd);
	if (c->tfd >= 0)
		close(c->tfd);
	if (c->epfd >= 0)
		close(c->epfd);
	free(c);
}
