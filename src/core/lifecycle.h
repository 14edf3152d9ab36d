/* SPDX-License-Identifier: MIT */
/*
 * A peer's and a session's lifecycle, as rules: what the daemon knows at an
 * event in, what it must do out. The events:
 *   - a peer's timer runs (struct wf_lc_peer: its session, its traffic, what
 *     gossip says of it, what waits for it): the WF_LC_ actions due now;
 *   - traffic for a peer reaches the control thread (the same facts): send
 *     or stage it, and whether to call;
 *   - an initiation arrives (struct wf_lc_init, gathered stage by stage):
 *     answer, ask for a cookie, drop (why), or spend the next stage's work;
 *   - a response to our initiation arrives (struct wf_lc_resp): take it or
 *     drop it, without spending the handshake the real answer needs;
 *   - a session is proven (struct wf_lc_proof): the steps that follow, in the
 *     one order both ends' paths and every data-path backend rely on;
 *   - a member tells of another (struct wf_lc_told), gossip forgets one, a
 *     revocation list names one: what becomes of the peer.
 * One small rule per concern, as WireGuard's timers.c has one function per
 * event, so that the policy reads as a table and is tested as one
 * (unit/test_lifecycle, every row against a naive restatement).
 *
 * Pure: no I/O, no clock (now is passed in), no randomness.
 */
#ifndef WEFT_LIFECYCLE_H
#define WEFT_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/session.h"

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

/* Traffic for peer f reaches the control thread (a worker found no keys to
 * send with, or it is the control thread's own), with or without a
 * handshake of ours in flight (hs). */
enum wf_lc_traffic_act {
	WF_LCT_SEND = 1 << 0,     /* on the session's keys, to its endpoint */
	WF_LCT_STAGE = 1 << 1,    /* keep it until a session is up */
	WF_LCT_INITIATE = 1 << 2, /* call now */
};

unsigned wf_lc_traffic(const struct wf_lc_peer *f, bool hs, int64_t now);

/* --- an initiation, as the responder judges it ---------------------------- */

/* How far the daemon got with an initiation. Each stage costs more than the
 * one before (none; a DH and a decryption; a signature check), so the rule
 * is asked after each, and the next is spent only on WF_LCI_GO. */
enum wf_lci_stage {
	WF_LCI_ARRIVED,   /* its MACs checked: mac1 valid, mac2 looked at */
	WF_LCI_READ,      /* Noise message 1 read, the session's judgement made */
	WF_LCI_CERTIFIED, /* its certificate checked */
};

struct wf_lc_init {
	enum wf_lci_stage stage;
	/* ARRIVED */
	bool under_load; /* many handshakes a second, or many queued behind it */
	bool validated;  /* a valid mac2: it receives where it sends from */
	bool rate_ok;    /* its source is within its budget (asked under load only) */
	/* READ */
	bool readable;   /* message 1 and its payload decoded */
	bool own_key;    /* made with this node's key: our own, come back */
	enum wf_init_verdict verdict; /* wf_session_judge's */
	/* CERTIFIED */
	bool cert_ok;    /* signed by the CA, valid, not revoked, for the key used */
	bool fits;       /* our response is no larger than the initiation */
};

enum wf_lci_act {
	WF_LCI_GO = 0,     /* spend the next stage's work, then ask again */
	WF_LCI_ANSWER,     /* three DH, a response, a pending keypair */
	WF_LCI_COOKIE,     /* a cookie reply: prove the address first */
	WF_LCI_OURS,       /* our own initiation came back (a bootstrap that is us) */
	WF_LCI_DROP_RATE,  /* its source is over its budget */
	WF_LCI_DROP_MALFORMED,
	WF_LCI_DROP_REPLAY, /* replayed or duplicated */
	WF_LCI_DROP_CLOCK,  /* stamped ahead of our clock */
	WF_LCI_DROP_CERT,
};

enum wf_lci_act wf_lc_initiation(const struct wf_lc_init *f);

/* --- a response to our initiation ---------------------------------------- */

struct wf_lc_resp {
	bool readable;   /* Noise message 2 and its payload decoded */
	bool cert_ok;    /* signed by the CA, valid, not revoked, for the key that answered */
	bool other;      /* we called a peer, and another key answered */
	bool own_key;    /* our own key answered: the bootstrap address is this node */
};

enum wf_lcr_act {
	WF_LCR_TAKE = 0,        /* the session is proven for us */
	WF_LCR_DROP_MALFORMED,
	WF_LCR_DROP_CERT,
	WF_LCR_DROP_OTHER,      /* someone else answered for the one we called */
	WF_LCR_DROP_OURS,       /* (handled by our own initiation, come back) */
};

enum wf_lcr_act wf_lc_response(const struct wf_lc_resp *f);

/* --- a session proven --------------------------------------------------- */

/* A session is proven at our end: our initiation was answered by a response
 * that passed every check, or an authentic packet came on a keypair we
 * answered with. */
struct wf_lc_proof {
	bool we_initiated; /* the first; else the second */
	bool other_hs;     /* a handshake of ours with it besides: they crossed */
	bool staged;       /* packets wait for a session */
	bool kernel;       /* this node's kernel data path is on (ESP) */
};

/* What follows, in order. */
enum wf_lc_step {
	WF_LCS_END = 0,
	WF_LCS_ABORT_HS, /* our other handshake with it: one is enough */
	WF_LCS_INSTALL,  /* the keypair becomes the session's (installed, or proven) */
	WF_LCS_PROVEN,   /* the peer is proven: its certificate, its routes claimed */
	WF_LCS_ENDPOINT, /* the response came from where it is */
	WF_LCS_PUBLISH,  /* its endpoint and routes, for the workers */
	WF_LCS_READY,    /* the keys: workers may take data on them from now */
	WF_LCS_DROP_OLD, /* the keypairs that fell out */
	WF_LCS_DATAPATH, /* the data path is told: the kernel's makes its SAs */
	WF_LCS_TIMERS,   /* its timers restart from the session */
	WF_LCS_FLUSH,    /* send what waited ... */
	WF_LCS_KEEPALIVE, /* ... or a keepalive, so that the responder proves ... */
	WF_LCS_KEEPALIVE_SA, /* ... or one if its SAs are in: the initiator learns so */
	WF_LCS_MEMBERS,  /* membership: it is up */
	WF_LCS_MAX = 13, /* steps at most, with END */
};

/* The steps for f into out (WF_LCS_MAX of them, END after the last); how
 * many before END. */
size_t wf_lc_proven(const struct wf_lc_proof *f, enum wf_lc_step out[WF_LCS_MAX]);

/* --- what members tell, what gossip forgets, what the CA revokes ---------- */

/* A MEMBER message: one member's certificate, and where the teller reaches
 * it. */
struct wf_lc_told {
	bool decoded;    /* the message and its certificate decode */
	bool solicited;  /* the answer to a question: gossip's, or ours */
	bool cert_ok;    /* signed by the CA, valid, not revoked */
	bool known;      /* we hold a peer of that key already */
};

enum wf_lcm_act {
	WF_LCM_LEARN = 0,         /* a new peer, told of: call it at the endpoint given */
	WF_LCM_CONFIRM,           /* a member, and a hint where it is; nothing more */
	WF_LCM_DROP_MALFORMED,
	WF_LCM_DROP_UNSOLICITED,  /* costs no signature check */
	WF_LCM_DROP_CERT,
};

enum wf_lcm_act wf_lc_told(const struct wf_lc_told *f);

/* Gossip forgot a member (dead or left for its forget time): is its peer
 * removed? Not while its session is up: it answers, whatever gossip says. */
bool wf_lc_forget(bool known, bool up);

/* A revocation list names a peer's serial: it is removed, whatever else
 * holds (its sessions end, its routes go, its handshakes are refused). */
bool wf_lc_revoked(bool named);

#endif
