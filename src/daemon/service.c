/* SPDX-License-Identifier: MIT */
/* The service manager's view of the daemon: see service.h. */
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/notify.h"
#include "daemon/daemon.h"
#include "daemon/peer.h"
#include "daemon/service.h"

enum { SUMMARY_MAX = 160 };

bool wf_service_worker_stuck(struct wf_service_worker *w, uint64_t qs, bool waiting)
{
	bool moved = qs != w->qs, stuck = !moved && ((qs & 1) || (waiting && w->waited));

	w->qs = qs;
	w->waited = waiting;
	return stuck;
}

/* "3 of 4 peers up", what systemctl status shows; or that this node is
 * revoked, which is all that matters then. Idle peers (sessions on
 * demand: nobody needs one now) are not expected up, as `weft status
 * --check` has it: they are said apart. */
static void summary(const struct wf_daemon *d, int64_t now, char *buf, size_t cap)
{
	unsigned up = 0, all = 0, idle = 0;

	if (d->mem.self_revoked.version) {
		snprintf(buf, cap,
			 "revoked: this node's certificate (serial %016" PRIx64
			 ") is on the CA's list version %" PRIu64 "; ask the CA for a new one",
			 d->mem.self_revoked.serial, d->mem.self_revoked.version);
		return;
	}

	for (const struct wf_peer *p = d->peers.list; p; p = p->next) {
		const char *s = wf_peer_state(d, p, now);

		if (!strcmp(s, "idle")) {
			idle++;
			continue;
		}
		all++;
		up += !strcmp(s, "up");
	}
	snprintf(buf, cap, "%u of %u peers up", up, all);
	if (idle)
		snprintf(buf + strlen(buf), cap - strlen(buf), ", %u idle (sessions on demand)",
			 idle);
}

static uint64_t qs_of(const struct wf_daemon *d, unsigned i)
{
	return __atomic_load_n(&d->dp.w[i].qs, __ATOMIC_SEQ_CST);
}

/* Is something waiting for worker i (its epoll, level-triggered, ready)? */
static bool waiting(const struct wf_daemon *d, unsigned i)
{
	struct pollfd p = {.fd = d->dp.w[i].epoll_fd, .events = POLLIN};

	return p.fd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

void wf_service_ready(struct wf_daemon *d, int64_t now)
{
	struct wf_service *s = &d->svc;
	char line[SUMMARY_MAX];

	s->period_ms = (int64_t)(wf_notify_watchdog_usec() / 2000);
	if (s->period_ms && d->dp.n_workers) {
		s->w = calloc(d->dp.n_workers, sizeof(*s->w));
		if (!s->w) {
			log_warnx("out of memory for the watchdog: not fed, systemd will restart us");
			s->period_ms = 0;
		}
	}
	for (unsigned i = 0; s->w && i < d->dp.n_workers; i++)
		s->w[i].qs = qs_of(d, i);
	s->next_ms = now + s->period_ms;
	summary(d, now, line, sizeof(line));
	wf_notify_ready(line);
}

void wf_service_reloading(void)
{
	wf_notify_reloading();
}

void wf_service_reloaded(struct wf_daemon *d, int64_t now)
{
	char line[SUMMARY_MAX];

	summary(d, now, line, sizeof(line));
	wf_notify_ready(line);
}

void wf_service_stopping(void)
{
	wf_notify_stopping();
}

/* Every worker made progress since the last check (service.h's rule). */
static bool workers_moved(struct wf_daemon *d)
{
	bool moved = true;

	for (unsigned i = 0; d->svc.w && i < d->dp.n_workers; i++) {
		if (!wf_service_worker_stuck(&d->svc.w[i], qs_of(d, i), waiting(d, i)))
			continue;
		if (!d->svc.stuck)
			log_warnx("worker %u has made no progress for %lld ms: not telling "
				  "systemd we are alive",
				  i, (long long)d->svc.period_ms);
		moved = false;
	}
	return moved;
}

void wf_service_tick(struct wf_daemon *d, int64_t now)
{
	struct wf_service *s = &d->svc;
	char line[SUMMARY_MAX];

	if (!s->period_ms || now < s->next_ms)
		return;
	s->next_ms = now + s->period_ms;
	if (!workers_moved(d)) {
		s->stuck++;
		return;
	}
	s->stuck = 0;
	summary(d, now, line, sizeof(line));
	wf_notifyf("WATCHDOG=1\nSTATUS=%s", line);
}

void wf_service_status(struct wf_daemon *d, int64_t now)
{
	char line[SUMMARY_MAX];

	summary(d, now, line, sizeof(line));
	wf_notifyf("STATUS=%s", line);
}

void wf_service_release(struct wf_daemon *d)
{
	free(d->svc.w);
	d->svc.w = NULL;
}
