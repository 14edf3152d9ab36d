/* SPDX-License-Identifier: MIT */
/*
 * The link by which an object waits to be freed until no data-plane worker
 * can hold it (daemon/worker.c, wf_retire). It is embedded in what is
 * freed, as the kernel's rcu_head is, so that retiring never allocates and
 * so cannot fail: an object is never freed early for want of memory.
 */
#ifndef WEFT_RETIRE_H
#define WEFT_RETIRE_H

#include <stddef.h>

struct wf_retire_link {
	struct wf_retire_link *next;
	void (*fn)(struct wf_retire_link *); /* frees the object it is in */
};

/* The object of type `type` whose member `member` is at ptr. */
#define WF_CONTAINER_OF(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

#endif
