/* SPDX-License-Identifier: MIT */
/*
 * NODEDIR/peers.cache, what a restart rejoins from. cache.c.
 */
#ifndef WEFT_DAEMON_CACHE_H
#define WEFT_DAEMON_CACHE_H

#include <stdbool.h>
#include <stdint.h>

struct wf_daemon;

enum { WF_CACHE_SAVE_MS = 30000 }; /* peers.cache is written this often */

unsigned wf_cache_load(struct wf_daemon *d, int64_t now);
bool wf_cache_save(struct wf_daemon *d);

#endif
