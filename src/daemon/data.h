/* SPDX-License-Identifier: MIT */
/*
 * The packet path: TUN to UDP (TX: send.c) and UDP to TUN (RX: receive.c).
 */
#ifndef WEFT_DAEMON_DATA_H
#define WEFT_DAEMON_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "core/offload.h"

struct wf_daemon;
struct wf_worker;
struct wf_peer;
struct wf_keypair;
struct wf_index_entry;

/* A read from the TUN device: pkt is a packet in the free TX slot, or (in
 * d->tx.big) one that did not fit there or a super-packet to be cut as h
 * says (h all zero without offloads). */
void wf_data_from_tun(struct wf_worker *w, uint8_t *pkt, size_t len, const struct wf_vnet_hdr *h,
		      int64_t now);
void wf_data_receive(struct wf_worker *w, uint8_t *pkt, size_t len, const union wf_endpoint *from,
		     int64_t now);
/* The first authentic packet on pending keypair kp (of index entry e)
 * proves the initiation behind it (the control thread's). */
void wf_data_prove(struct wf_daemon *d, struct wf_index_entry *e, struct wf_keypair *kp,
		   int64_t now);
/* The control thread: encrypt and send the len bytes at pkt (with
 * WF_DATA_HEADER_LEN bytes of room before, WF_AEAD_TAG_LEN after: a stack
 * buffer, a staged packet) to p's endpoint with kp, now. */
bool wf_data_send(struct wf_daemon *d, struct wf_peer *p, struct wf_keypair *kp, uint8_t type,
		  uint8_t *pkt, size_t len, int64_t now);
void wf_data_send_keepalive(struct wf_daemon *d, struct wf_peer *p, int64_t now);
void wf_data_flush_staged(struct wf_daemon *d, struct wf_peer *p, int64_t now);
/* A TCP SYN to or from p (any thread): its MSS option lowered to what fits
 * p's path (core/mss.h), or the device's MTU before that is known. */
void wf_data_clamp_mss(const struct wf_daemon *d, const struct wf_peer *p, uint8_t *pkt,
		       size_t len);
/* A receive batch: from wf_data_rx_begin to wf_data_rx_flush, packets for
 * the TUN device are coalesced (when the device takes super-packets) and
 * written at the flush; outside one, each is written at once. Every packet
 * of the batch must stay where it is until the flush. */
void wf_data_rx_begin(struct wf_worker *w);
void wf_data_rx_flush(struct wf_worker *w);
/* Write one packet to the worker's queue of the TUN device (with a plain
 * virtio-net header when the device has them). */
bool wf_tun_put(struct wf_worker *w, const uint8_t *pkt, size_t len);

/* One datagram: a handshake message (a worker hands it to the control
 * thread), or data. */
void wf_data_dispatch(struct wf_worker *w, uint8_t *pkt, size_t len, const union wf_endpoint *from,
		     int64_t now);

#endif
