/* SPDX-License-Identifier: MIT */
/*
 * The overlay routing table: longest-prefix match from an inner IPv4/IPv6
 * address to a value (a peer). One path-compressed binary trie per family.
 *
 * Writers (insert/remove) must be serialized by the caller. Lookups never
 * allocate nor write. The daemon's workers read a copy (wf_routes_clone)
 * that nobody changes: the control thread publishes a new copy once a turn
 * of its loop, after changes, and frees the old one once no worker can
 * still be reading it.
 */
#ifndef WEFT_ROUTES_H
#define WEFT_ROUTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/retire.h"

struct wf_routes;

struct wf_routes *wf_routes_new(void);
/* A deep copy of t (same values), or NULL when out of memory. */
struct wf_routes *wf_routes_clone(const struct wf_routes *t);
/* Frees the table, not the values. NULL is a no-op. */
void wf_routes_free(struct wf_routes *t);
/* The table's link for freeing it later (wf_retire), set to free it. */
struct wf_retire_link *wf_routes_link(struct wf_routes *t);
/* Insert or replace prefix -> value (the caller decides conflicts between
 * owners first: see wf_cert_supersedes). value must not be NULL (NULL is what a
 * lookup miss returns). Host bits past p->len are ignored. False on
 * allocation failure or on a bad family, length or NULL value. */
bool wf_routes_insert(struct wf_routes *t, const struct wf_prefix *p, void *value)
    __attribute__((warn_unused_result));
/* Remove one exact prefix; true if it was there. */
bool wf_routes_remove(struct wf_routes *t, const struct wf_prefix *p);
/* Remove every prefix that maps to value (a peer going away). */
void wf_routes_remove_value(struct wf_routes *t, void *value);
/* Longest match for addr (4 or 16 bytes by family), or NULL. */
void *wf_routes_lookup(const struct wf_routes *t, int family, const uint8_t *addr);
/* The value stored for exactly this prefix (not a longest match), or NULL:
 * who holds it now, before a new claim on it is decided. */
void *wf_routes_get(const struct wf_routes *t, const struct wf_prefix *p);
/* Number of prefixes in the table. */
size_t wf_routes_count(const struct wf_routes *t);

#endif
