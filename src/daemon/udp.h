/* SPDX-License-Identifier: MIT */
/*
 * UDP sockets, their offloads (UDP_SEGMENT, UDP_GRO) and batches. udp.c.
 */
#ifndef WEFT_DAEMON_UDP_H
#define WEFT_DAEMON_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "crypto/crypto.h" /* WF_MUST_CHECK */

struct wf_daemon;
struct wf_worker;
struct wf_peer;
struct wf_offload;

/* Mark an offload off, saying why; from any thread, the first reason stays. */
void wf_offload_off(struct wf_offload *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Is the offload in use (from any thread)? */
bool wf_offload_on(const struct wf_offload *o);
/* Offload i of WF_OFFLOADS, with its name in weft.conf ("tun-tso") in
 * *conf and in status ("tun_tso") in *json. */
const struct wf_offload *wf_offload_nth(const struct wf_offloads *off, unsigned i,
					const char **conf, const char **json);
/* Open n UDP sockets on the listening address (SO_REUSEPORT when n > 1, one
 * per worker, fds[0] also d->udp_fd), probe and self-test the UDP offloads
 * the configuration allows. */
bool wf_udp_setup(struct wf_daemon *d, int *fds, unsigned n) WF_MUST_CHECK;
/* Allocate a worker's send and receive batches for d->node.mtu (also for tests). */
bool wf_batch_alloc(struct wf_worker *w) WF_MUST_CHECK;
void wf_batch_free(struct wf_worker *w);
/* Send one datagram now (handshakes, keepalives, control messages). */
void wf_udp_send(struct wf_daemon *d, struct wf_peer *p, const union wf_endpoint *to,
		 const uint8_t *pkt, size_t len);
/* The free slot's plaintext (WF_DATA_HEADER_LEN into it; w->tx.slot_cap
 * bytes), flushing first when all are taken. */
uint8_t *wf_txq_slot(struct wf_worker *w);
/* The datagram sealed in the free slot (len bytes from the slot's start) is
 * for p at to: queue it. */
void wf_txq_commit(struct wf_worker *w, struct wf_peer *p, const union wf_endpoint *to, size_t len);
void wf_txq_flush(struct wf_worker *w);
/* Read from the worker's UDP socket until it is empty or a budget is spent. */
void wf_udp_receive(struct wf_worker *w);
/* Empty the worker's socket's error queue (IP_RECVERR): ICMP errors, logged
 * at debug; a "fragmentation needed" / "packet too big" is a hint for the
 * path MTU search of the peer at its destination (mtu.c, wf_mtu_ptb). */
void wf_udp_drain_errors(struct wf_worker *w);

#endif
