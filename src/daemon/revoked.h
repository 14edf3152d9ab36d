/* SPDX-License-Identifier: MIT */
/*
 * The revocation list in the daemon. revoked.c.
 */
#ifndef WEFT_DAEMON_REVOKED_H
#define WEFT_DAEMON_REVOKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cert.h"

struct wf_daemon;
struct wf_peer;
struct wf_revoke;

/* A member seen revoked: its sessions ended by the list, or its certificate
 * refused since (a revoked host that keeps calling). */
enum { WF_REVOKED_SHOWN = 32 };
struct wf_revoked_peer {
	char name[WF_CERT_NAME_MAX + 1];
	uint64_t serial;
	int64_t since;    /* Unix seconds: first seen revoked here */
	uint64_t refused; /* its certificate refused since, in handshakes or gossip */
};

/* This node's own certificate found on the list: the list's version (0:
 * not revoked) and issue time, and when this node learned it. */
struct wf_self_revoked {
	uint64_t version, serial;
	int64_t issued, since; /* Unix seconds */
};

/* Read NODEDIR/revoked.list and take it if newer; false (msg says why) if it
 * does not parse or verify. msg also says what the node holds on success. */
bool wf_revoked_load(struct wf_daemon *d, char *msg, size_t cap, int64_t now);
/* The same in two steps, for a reload that checks everything before it
 * changes anything: read and verify (version 0: there is none; false, msg
 * says why), then take it if newer (msg says what the node holds). */
bool wf_revoked_read(const struct wf_daemon *d, struct wf_revoke *r, char *msg, size_t cap);
void wf_revoked_take(struct wf_daemon *d, const struct wf_revoke *r, char *msg, size_t cap,
		     int64_t now);
bool wf_revoked_has(const struct wf_daemon *d, uint64_t serial);
/* Keep in mind that the member with this certificate is revoked (at wall,
 * Unix seconds), and count a refusal of its certificate if refused: the
 * newest WF_REVOKED_SHOWN are kept, for status. */
void wf_revoked_note(struct wf_daemon *d, const struct wf_cert *c, bool refused, int64_t wall);
/* Take a list a notice told (verified by the caller, newer than ours). */
void wf_revoked_told(struct wf_daemon *d, const struct wf_revoke *r, const char *via, int64_t now);
/* How often the member with this certificate serial was refused since it
 * was seen revoked (0 if it was not). */
uint64_t wf_revoked_refusals(const struct wf_daemon *d, uint64_t serial);
/* A WF_CTL_REVOKED message (a chunk, kind byte first) from a peer. */
void wf_revoked_receive(struct wf_daemon *d, struct wf_peer *from, const uint8_t *msg,
			size_t len, int64_t now);
/* The gossip core's WF_GE_EPOCH: the member with this key compared tables
 * with us holding list version `theirs`; if ours is newer, it gets ours. */
void wf_revoked_compared(struct wf_daemon *d, const uint8_t *key, uint64_t theirs, int64_t now);
/* Drop lists that peers began to send and never finished. */
void wf_revoked_tick(struct wf_daemon *d, int64_t now);
void wf_revoked_release(struct wf_daemon *d);
/* The control socket's "revoke": reread the file; a JSON answer (malloc'd). */
char *wf_revoked_request(struct wf_daemon *d);

#endif
