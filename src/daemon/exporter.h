/* SPDX-License-Identifier: MIT */
/*
 * The Prometheus endpoint: GET /metrics on `metrics = ADDR:PORT`
 * (docs/metrics.md). libmicrohttpd parses HTTP, with no thread of its own:
 * its epoll descriptor sits in the control thread's loop, and every request
 * is answered there, from a snapshot of the figures that thread owns (no
 * lock, no copy to another thread). Off unless weft.conf sets `metrics`.
 */
#ifndef WEFT_DAEMON_EXPORTER_H
#define WEFT_DAEMON_EXPORTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wf_daemon;
struct MHD_Daemon;

struct wf_exporter {
	struct MHD_Daemon *mhd; /* NULL: not serving */
	int fd;			/* its epoll descriptor, in the loop's set; -1 */
	uint64_t served;	/* GET /metrics answered */
	uint64_t refused;	/* other requests (404, 405) */
};

/* Serve if weft.conf says so: false (logged, naming the address) if the
 * address cannot be bound; the daemon does not start then. */
bool wf_exporter_start(struct wf_daemon *d);
/* What is ready, and the connections' timeouts (call it when its
 * descriptor is readable and at every tick). */
void wf_exporter_run(struct wf_daemon *d);
void wf_exporter_stop(struct wf_daemon *d);

/* The exposition of d now, malloc'd (length in *len); NULL if out of memory. */
char *wf_exporter_text(struct wf_daemon *d, int64_t now, size_t *len);

#endif
