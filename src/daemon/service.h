/* SPDX-License-Identifier: MIT */
/*
 * Telling the service manager (systemd, a Type=notify unit) how the daemon
 * is: ready once set up, reloading, stopping, and alive (the watchdog)
 * while the control thread turns and every worker makes progress.
 * service.c; without $NOTIFY_SOCKET every call does nothing.
 */
#ifndef WEFT_DAEMON_SERVICE_H
#define WEFT_DAEMON_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

struct wf_daemon;

/* What the watchdog needs between pings. */
struct wf_service {
	int64_t period_ms;  /* ping this often (half the manager's period); 0: none */
	int64_t next_ms;    /* the next ping's time */
	struct wf_service_worker *w; /* each worker at the last check */
	unsigned stuck;     /* pings held back in a row (a worker made no progress) */
};

/* Set up (after the workers started) and say READY=1 with the peer count. */
void wf_service_ready(struct wf_daemon *d, int64_t now);
/* A reload begins (RELOADING=1) and ends (READY=1 again, whatever it did). */
void wf_service_reloading(void);
void wf_service_reloaded(struct wf_daemon *d, int64_t now);
/* Shutdown begins: STOPPING=1. */
void wf_service_stopping(void);
/* From the control thread's tick: WATCHDOG=1 (with STATUS=) when due, if
 * every worker made progress since the last one. */
void wf_service_tick(struct wf_daemon *d, int64_t now);
/* STATUS= now, not at the next watchdog ping: what changed matters. */
void wf_service_status(struct wf_daemon *d, int64_t now);
void wf_service_release(struct wf_daemon *d);

/* A worker as the last check saw it. */
struct wf_service_worker {
	uint64_t qs;  /* its quiescent count: odd in a batch, even idle */
	bool waited;  /* work was waiting for it (its epoll was ready) */
};

/* The rule: is a worker stuck, whose count was w->qs at the last check and
 * is qs now, with work waiting for it now or not? A count that moved is a
 * worker that finished a batch or woke up; one that stayed odd has been in
 * one batch since the last check; one that stayed even is idle, which is
 * right unless work waited at both checks (a healthy worker wakes within
 * microseconds). w is updated for the next check. */
bool wf_service_worker_stuck(struct wf_service_worker *w, uint64_t qs, bool waiting);

#endif
