/* SPDX-License-Identifier: MIT */
/*
 * weft reload and SIGHUP. reload.c.
 */
#ifndef WEFT_DAEMON_RELOAD_H
#define WEFT_DAEMON_RELOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wf_daemon;

/* Reread what can change while running; false (msg says why) changes nothing. */
bool wf_reload(struct wf_daemon *d, char *msg, size_t cap, int64_t now);
char *wf_reload_request(struct wf_daemon *d);

#endif
