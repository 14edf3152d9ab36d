/* SPDX-License-Identifier: MIT */
/*
 * A peer's timers, as rules: what the daemon knows of a peer when its timer
 * runs (struct wf_lc_peer: its session, its traffic, what gossip says of it,
 * what waits for it) in, what it must do now out (WF_LC_ actions). One small
 * rule per concern, as WireGuard's timers.c has one function per event, so
 * that the policy reads as a table and is tested as one (unit/test_lifecycle,
 * every row against a naive restatement).
 *
 * Pure: no I/O, no clock (now is passed in), no randomness.
 */
#ifndef WEFT_LIFECYCLE_H
#define WEFT_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>

struct wf_lc_cfg {
	int64_t keepalive_ms;  /* 0: no keepalives */
	int64_t hs_timeout_ms; /* an answered initiation's proof is awaited this long */
	unsigned attempts_down; /* unanswered initiations before a peer is "not answering" */
};

/* What the daemon knows of a peer when its timer runs. */
struct wf_lc_peer {
	bool keys;       /* a keypair to send with, not expired */
	bool rekey_due;  /* it is old or worn (wf_session_wants_rekey) */
	bool silent;     /* nothing heard for 3 keepalive intervals + a handshake timeout */
	bool proven;
	bool endpoint;   /* somewhere to call */
	bool on_demand;  /* past full-mesh-max, and not kept for gossip */
	bool used;       /* data (not keepalives, not gossip) since its session came up */
	bool waiting;    /* packets wait for a session, or we were told to call it */
	bool left;       /* gossip: it said it left */
	bool cert_renew; /* our certificate was renewed: hand it over by a handshake */
	bool defer_credit; /* may still wait for an answered initiation's proof */
	unsigned attempts; /* initiations unanswered since the last success */
	int64_t next_ms;   /* the earliest next initiation */
	int64_t answered_ms; /* when we answered its initiation from its endpoint,
			      * still unproven; 0: none */
	int64_t last_tx_ms;
};

enum wf_lc_action {
	WF_LC_INITIATE = 1 << 0,       /* send an initiation now */
	WF_LC_KEEPALIVE = 1 << 1,      /* send a keepalive now */
	WF_LC_GIVE_UP = 1 << 2,        /* drop what waits for it: nobody answers */
	WF_LC_LINK = 1 << 3,           /* gossip may send to it (else not) */
	WF_LC_MESH_DOWN = 1 << 4,      /* its session is not up: tell the mesh again when back */
	WF_LC_CREDIT_SPENT = 1 << 5,   /* an answered initiation went unproven too long */
	WF_LC_NOT_ANSWERING = 1 << 6,  /* it has not answered attempts_down initiations */
};

/* The actions due for peer f at now (WF_LC_ bits). */
unsigned wf_lc_tick(const struct wf_lc_cfg *cfg, const struct wf_lc_peer *f, int64_t now);

#endif
