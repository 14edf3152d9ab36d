/* SPDX-License-Identifier: MIT */
/*
 * The anti-replay window: a numbered table of steps in the style of
 * WireGuard's counter selftest, then a long randomized run against a naive
 * reference (every accepted counter in a hash set, plus the maximum).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/replay.h"

_Static_assert(WF_REPLAY_WINDOW >= 2048, "RFC 6479 window of at least 2048 packets");
_Static_assert(WF_REPLAY_WINDOW % 64 == 0, "window is whole words");

#define W     ((uint64_t)WF_REPLAY_WINDOW)
#define BITS  ((uint64_t)WF_REPLAY_BITS)
#define LIM   WF_REJECT_AFTER_MESSAGES
#define RESET UINT64_MAX /* a step with this counter and expect false starts a fresh window */

struct step {
	uint64_t counter;
	bool expect;
};

static const struct step steps[] = {
    /* in order, duplicates, out of order inside the window */
    {0, true},	/* 1: counter 0 on a fresh window */
    {0, false}, /* 2 */
    {1, true},	/* 3 */
    {1, false}, /* 4 */
    {9, true},	/* 5: small jump */
    {8, true},	/* 6: out of order */
    {7, true},	/* 7 */
    {7, false}, /* 8 */
    {2, true},	/* 9: older, still inside */
    {2, false}, /* 10 */
    /* newest = W: the window is 1..W */
    {W, true},	   /* 11 */
    {0, false},	   /* 12: W - W, just outside (and seen) */
    {1, false},	   /* 13: lowest inside, but seen */
    {3, true},	   /* 14: inside, unseen */
    {W - 1, true}, /* 15 */
    {W + 1, true}, /* 16: newest = W + 1: window 2..W+1 */
    {1, false},	   /* 17: now outside */
    {4, true},	   /* 18 */
    {2, false},	   /* 19: lowest inside, seen */
    /* big jump: newest = 4W, window 3W+1..4W */
    {4 * W, true},	/* 20 */
    {3 * W, false},	/* 21: just outside */
    {3 * W + 1, true},	/* 22: lower edge */
    {3 * W + 1, false}, /* 23 */
    {W + 1, false},	/* 24: long gone */
    {4 * W - 1, true},	/* 25 */
    {4 * W, false},	/* 26 */
    /* a jump of exactly one turn of the ring: every bit is stale */
    {4 * W + BITS, true},	  /* 27: same bit as 4W */
    {4 * W + BITS - 1, true},	  /* 28: same bit as 4W - 1 */
    {4 * W + BITS - W, false},	  /* 29: just outside */
    {4 * W + BITS - W + 1, true}, /* 30: lower edge, same bit as 3W + 1 */
    {RESET, false},		  /* 31 */
    /* a slide by one word onto a ring word with a stale bit still inside the
     * old window: 6400 is word 100, 2369 = 6400 - W + 1 is word 37 = 100 - 63,
     * which shares ring slot 37 with word 101. */
    {6400, true},	  /* 32 */
    {2369, true},	  /* 33: lower edge */
    {2368, false},	  /* 34: just outside */
    {6469, true},	  /* 35: word 101, clears ring slot 37 */
    {6465, true},	  /* 36: same bit as 2369: must read as unseen */
    {6465, false},	  /* 37 */
    {2369, false},	  /* 38: now outside */
    {6469 - W + 1, true}, /* 39: lower edge of the slid window */
    {6469 - W, false},	  /* 40 */
    /* the limit */
    {LIM, false},	     /* 41 */
    {LIM - 1, true},	     /* 42 */
    {LIM, false},	     /* 43 */
    {LIM - 1, false},	     /* 44 */
    {LIM - 2, true},	     /* 45 */
    {LIM + 1, false},	     /* 46 */
    {UINT64_MAX - 1, false}, /* 47 */
    {LIM - 2, false},	     /* 48 */
    {LIM - W, true},	     /* 49: lower edge below newest LIM - 1 */
    {LIM - W - 1, false},    /* 50 */
    {0, false},		     /* 51 */
    {RESET, false},	     /* 52 */
    {LIM - 1, true},	     /* 53: first counter ever at the limit */
    {0, false},		     /* 54 */
    {RESET, false},	     /* 55 */
    {W - 1, true},	     /* 56: first counter W - 1: 0 is still inside */
    {0, true},		     /* 57 */
    {W, true},		     /* 58 */
    {0, false},		     /* 59 */
};

static void test_table(void **state)
{
	struct wf_replay r;
	int failed = 0;

	(void)state;
	wf_replay_init(&r);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		const struct step *s = &steps[i];
		bool chk, upd;

		if (s->counter == RESET && !s->expect) {
			memset(&r, 0, sizeof(r)); /* zeroed is fresh too */
			continue;
		}
		chk = wf_replay_check(&r, s->counter);
		upd = wf_replay_update(&r, s->counter);
		if (chk != s->expect || upd != s->expect || wf_replay_check(&r, s->counter)) {
			print_error("replay case %zu (counter %llu): check %d update %d, want %d\n",
				    i + 1, (unsigned long long)s->counter, chk, upd, s->expect);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* Every counter of a long in-order run is accepted exactly once. */
static void test_in_order(void **state)
{
	struct wf_replay r;

	(void)state;
	wf_replay_init(&r);
	for (uint64_t c = 0; c < 3 * BITS; c++) {
		assert_true(wf_replay_update(&r, c));
		assert_false(wf_replay_update(&r, c));
		if (c >= W)
			assert_false(wf_replay_check(&r, c - W));
	}
}

/* --- randomized differential test ---------------------------------------- */

enum { SET_BITS = 18, SET_SIZE = 1 << SET_BITS, OPS = 1000000, OPS_PER_RESET = 100000 };
#define EMPTY UINT64_MAX /* never accepted: it is past the limit */

struct ref {
	bool any;
	uint64_t max;
	uint64_t *set; /* open addressing, linear probing */
};

static uint64_t rng_state = 0x5eed1234abcd9876ULL;

static uint64_t rng(void)
{
	/* splitmix64: a fixed seed makes any failure reproducible */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t slot(const struct ref *ref, uint64_t c)
{
	size_t i = (size_t)((c * 0x9e3779b97f4a7c15ULL) >> (64 - SET_BITS));

	while (ref->set[i] != EMPTY && ref->set[i] != c)
		i = (i + 1) & (SET_SIZE - 1);
	return i;
}

static void ref_reset(struct ref *ref)
{
	ref->any = false;
	ref->max = 0;
	for (size_t i = 0; i < SET_SIZE; i++)
		ref->set[i] = EMPTY;
}

static bool ref_accept(const struct ref *ref, uint64_t c)
{
	if (c >= LIM)
		return false;
	if (!ref->any || c > ref->max)
		return true;
	return ref->max - c < W && ref->set[slot(ref, c)] != c;
}

static void ref_mark(struct ref *ref, uint64_t c)
{
	ref->set[slot(ref, c)] = c;
	if (!ref->any || c > ref->max)
		ref->max = c;
	ref->any = true;
}

static uint64_t below(uint64_t max, uint64_t off)
{
	return off > max ? rng() % (max + 1) : max - off;
}

/* Mostly near the newest counter, where the interesting edges are. */
static uint64_t next_counter(const struct ref *ref)
{
	uint64_t m = ref->max, r = rng() % 1000;

	if (r < 400)
		return m + 1 + rng() % 3;
	if (r < 700)
		return below(m, rng() % (W + 200));
	if (r < 850)
		return below(m, W - 3 + rng() % 6);
	if (r < 900)
		return below(m, rng() % 64);
	if (r < 990)
		return m + rng() % (2 * BITS);
	if (r < 998)
		return m + rng() % (1ULL << 24);
	return LIM + rng() % 16; /* past the limit: always refused */
}

static uint64_t reset_base(void)
{
	switch (rng() % 3) {
	case 0:
		return 0;
	case 1:
		return rng() >> 1;
	default:
		return LIM - 60000; /* runs into the limit within one segment */
	}
}

static void test_differential(void **state)
{
	struct ref ref = {.set = malloc(SET_SIZE * sizeof(uint64_t))};
	struct wf_replay r;
	uint64_t accepted = 0;

	(void)state;
	assert_non_null(ref.set);
	for (long op = 0; op < OPS; op++) {
		uint64_t c;
		bool want;

		if (op % OPS_PER_RESET == 0) {
			ref_reset(&ref);
			wf_replay_init(&r);
			ref_mark(&ref, reset_base());
			assert_true(wf_replay_update(&r, ref.max));
		}
		c = next_counter(&ref);
		want = ref_accept(&ref, c);
		if (wf_replay_check(&r, c) != want || wf_replay_update(&r, c) != want) {
			print_error("op %ld: counter %llu (max %llu) want %d\n", op,
				    (unsigned long long)c, (unsigned long long)ref.max, want);
			fail();
		}
		if (want) {
			ref_mark(&ref, c);
			accepted++;
		}
	}
	/* The mix must exercise both outcomes a lot. */
	print_message("%llu of %d accepted\n", (unsigned long long)accepted, OPS);
	assert_true(accepted > OPS / 4 && accepted < OPS - OPS / 10);
	free(ref.set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_in_order),
	    cmocka_unit_test(test_differential),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
