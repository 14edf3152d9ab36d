/* SPDX-License-Identifier: MIT */
/*
 * RFC 6479 anti-replay window. Counter c lives at bit c % 64 of word
 * (c / 64) % WF_REPLAY_WORDS. When a newer counter arrives, the words
 * between the old newest word and the new one are zeroed, which is what
 * slides the window: no bit shifting, at most WF_REPLAY_WORDS stores.
 */
#include <string.h>

#include "core/replay.h"

void wf_replay_init(struct wf_replay *r)
{
	memset(r, 0, sizeof(*r));
}

static unsigned word_index(uint64_t counter)
{
	return (unsigned)((counter / 64) % WF_REPLAY_WORDS);
}

static uint64_t bit_of(uint64_t counter)
{
	return 1ULL << (counter % 64);
}

bool wf_replay_check(const struct wf_replay *r, uint64_t counter)
{
	if (counter >= WF_REJECT_AFTER_MESSAGES)
		return false;
	if (counter >= r->next)
		return true; /* newer than anything seen */
	/* next - 1 is the newest counter; it and the WINDOW - 1 below it count.
	 * counter < WF_REJECT_AFTER_MESSAGES, so the sum cannot wrap. */
	if (counter + WF_REPLAY_WINDOW < r->next)
		return false;
	return !(r->bitmap[word_index(counter)] & bit_of(counter));
}

/* Make counter (> the newest) the newest: zero every word that the window
 * slides over, including the new newest word, which may hold stale bits
 * from a full turn of the ring ago. */
static void advance(struct wf_replay *r, uint64_t counter)
{
	uint64_t top = counter / 64;
	uint64_t old = r->next ? (r->next - 1) / 64 : 0;
	uint64_t n = top - old;

	if (!r->next)
		n = 1; /* fresh: nothing stale, but clear the first word anyway */
	if (n > WF_REPLAY_WORDS)
		n = WF_REPLAY_WORDS;
	for (uint64_t i = 0; i < n; i++)
		r->bitmap[(top - i) % WF_REPLAY_WORDS] = 0;
	r->next = counter + 1;
}

bool wf_replay_update(struct wf_replay *r, uint64_t counter)
{
	if (!wf_replay_check(r, counter))
		return false;
	if (counter >= r->next)
		advance(r, counter);
	r->bitmap[word_index(counter)] |= bit_of(counter);
	return true;
}
