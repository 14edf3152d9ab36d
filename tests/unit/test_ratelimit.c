/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/core/ratelimit.c: the budget arithmetic against a naive
 * token bucket (a randomized differential test), budgets per source address,
 * and the load meter. Cases are numbered so that a failure names its case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/ratelimit.h"

/* 1-4: a budget of 10 a second, 3 at once. */
static void test_rate(void **state)
{
	struct wf_rate r = wf_rate_make(10, 3);
	int64_t tat = 0;
	int n = 0;

	(void)state;
	/* 1: a burst of 3 at t=1000, then nothing */
	for (int i = 0; i < 10; i++)
		n += wf_rate_allow(&r, &tat, 1000);
	assert_int_equal(n, 3);
	/* 2: one more every 100 ms */
	assert_false(wf_rate_allow(&r, &tat, 1099));
	assert_true(wf_rate_allow(&r, &tat, 1100));
	assert_false(wf_rate_allow(&r, &tat, 1100));
	/* 3: over a long steady stream, 10 a second */
	n = 0;
	for (int64_t t = 2000; t < 12000; t++)
		n += wf_rate_allow(&r, &tat, t);
	assert_true(n >= 100 && n <= 103);
	/* 4: a quiet spell refills the burst, and no more than the burst */
	n = 0;
	for (int i = 0; i < 10; i++)
		n += wf_rate_allow(&r, &tat, 100000);
	assert_int_equal(n, 3);
}

static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 32);
}

/* 5: against a naive token bucket: credit in microseconds, one interval per
 * event, at most burst intervals of it. */
static void test_rate_differential(void **state)
{
	static const unsigned rates[][2] = {{1, 1}, {20, 5}, {200, 2048}, {1000, 1}, {3, 7}};

	(void)state;
	for (size_t k = 0; k < sizeof(rates) / sizeof(rates[0]); k++) {
		struct wf_rate r = wf_rate_make(rates[k][0], rates[k][1]);
		int64_t tat = 0, cap = (int64_t)rates[k][1] * r.interval_us, credit = cap, last = 0;
		int64_t now = 0;

		for (int i = 0; i < 200000; i++) {
			bool want, got;

			now += rng() % 8 == 0 ? rng() % 3000 : rng() % 3;
			credit += now * 1000 - last;
			credit = credit > cap ? cap : credit;
			last = now * 1000;
			want = credit >= r.interval_us;
			if (want)
				credit -= r.interval_us;
			got = wf_rate_allow(&r, &tat, now);
			if (got != want) {
				print_error("case 5: rate %u burst %u, event %d at %lld ms: %d, want %d\n",
					    rates[k][0], rates[k][1], i, (long long)now, got, want);
				fail();
			}
		}
	}
}

static union wf_endpoint ep(const char *s)
{
	union wf_endpoint e;

	assert_true(wf_endpoint_parse(&e, s));
	return e;
}

/* 6-9: budgets per source address. */
static void test_sources(void **state)
{
	static struct wf_srclimit t;
	struct wf_rate r = wf_rate_make(1, 2);
	union wf_endpoint a = ep("198.18.0.1:1"), a2 = ep("198.18.0.1:2"), b = ep("198.18.0.2:1");
	union wf_endpoint v6 = ep("[2001:db8::1]:1"), v6b = ep("[2001:db8::ffff]:1");
	union wf_endpoint v6c = ep("[2001:db8:0:1::1]:1");

	(void)state;
	wf_srclimit_init(&t, 0x1234567, false);
	/* 6: one source's burst, then nothing; the port does not matter */
	assert_true(wf_srclimit_allow(&t, &r, &a, 0));
	assert_true(wf_srclimit_allow(&t, &r, &a2, 0));
	assert_false(wf_srclimit_allow(&t, &r, &a, 0));
	/* 7: another source has a budget of its own */
	assert_true(wf_srclimit_allow(&t, &r, &b, 0));
	assert_true(wf_srclimit_allow(&t, &r, &b, 0));
	assert_false(wf_srclimit_allow(&t, &r, &b, 0));
	/* 8: IPv6 by /64: addresses of one /64 share, another /64 does not */
	assert_true(wf_srclimit_allow(&t, &r, &v6, 0));
	assert_true(wf_srclimit_allow(&t, &r, &v6b, 0));
	assert_false(wf_srclimit_allow(&t, &r, &v6, 0));
	assert_true(wf_srclimit_allow(&t, &r, &v6c, 0));
	/* 9: and the budget comes back with time */
	assert_true(wf_srclimit_allow(&t, &r, &a, 1000));
	assert_false(wf_srclimit_allow(&t, &r, &a, 1000));
}

/* 10-13: the load meter, threshold 3 a second. */
static void test_load(void **state)
{
	struct wf_load l = {.threshold = 3};

	(void)state;
	/* 10: up to the threshold, no load */
	for (int i = 0; i < 3; i++)
		assert_false(wf_load_note(&l, 10000));
	/* 11: past it, load */
	assert_true(wf_load_note(&l, 10001));
	/* 12: which lasts a second after the last message over the threshold */
	assert_true(wf_load_note(&l, 10999));
	assert_true(wf_load_note(&l, 11000)); /* a new second: 1 of 3, still under load */
	assert_true(wf_load_note(&l, 11998));
	/* 13: then it is over */
	assert_false(wf_load_note(&l, 12001));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rate),
	    cmocka_unit_test(test_rate_differential),
	    cmocka_unit_test(test_sources),
	    cmocka_unit_test(test_load),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
