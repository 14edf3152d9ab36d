/* SPDX-License-Identifier: MIT */
/*
 * The RFC 6479 sliding anti-replay window for transport counters.
 *
 * The bitmap is a ring of 64-bit words. Only whole words are ever cleared
 * when the window slides, so the last word is always partly "in the future";
 * that is why the usable window is one word short of the bitmap.
 *
 * Not thread-safe: the workers that receive on one keypair share its window
 * under the keypair's replay_lock (core/session.c), and nothing else
 * touches it.
 */
#ifndef WEFT_REPLAY_H
#define WEFT_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

enum {
	WF_REPLAY_WORDS = 64,
	WF_REPLAY_BITS = WF_REPLAY_WORDS * 64,	/* 4096 bits in the ring */
	WF_REPLAY_WINDOW = WF_REPLAY_BITS - 64, /* 4032 counters behind the newest */
};

/* Counters at or past this are never accepted: the session must rekey long
 * before, and refusing them keeps counter + window arithmetic from wrapping. */
#define WF_REJECT_AFTER_MESSAGES (UINT64_MAX - (1ULL << 13))

/* All zero is a fresh window. */
struct wf_replay {
	uint64_t next; /* newest accepted counter + 1; 0 while nothing was accepted */
	uint64_t bitmap[WF_REPLAY_WORDS];
};

void wf_replay_init(struct wf_replay *r);
/* May this counter be accepted? A cheap check before spending an AEAD
 * operation on the packet; it changes nothing. */
bool wf_replay_check(const struct wf_replay *r, uint64_t counter);
/* After successful decryption: check again and mark the counter as seen.
 * False if it was replayed, is too old for the window, or is past the limit. */
bool wf_replay_update(struct wf_replay *r, uint64_t counter);

#endif
