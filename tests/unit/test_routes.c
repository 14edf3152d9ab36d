/* SPDX-License-Identifier: MIT */
/*
 * The overlay routing table: numbered edge cases, then a randomized
 * differential test against a naive linear longest-prefix match, in the
 * spirit of WireGuard's allowedips selftest.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "common/addr.h"
#include "core/routes.h"

static int peers[64]; /* values are &peers[i]; index 0 means "no value" */

static void *peer(int i)
{
	return i ? &peers[i] : NULL;
}

static int peer_index(const void *v)
{
	return v ? (int)((const int *)v - peers) : 0;
}

/* --- numbered edge cases -------------------------------------------------- */

enum op { INS, DEL, DEL_VALUE, LOOK, COUNT };

struct step {
	enum op op;
	const char *s; /* prefix (INS, DEL) or address (LOOK) */
	int v;	       /* value for INS/DEL_VALUE, wanted result for DEL/LOOK/COUNT */
};

enum { A = 1, B, C, D, E };

static const struct step steps[] = {
    {LOOK, "100.64.0.1", 0},	    /* 1: empty table */
    {COUNT, NULL, 0},		    /* 2 */
    {INS, "0.0.0.0/0", A},	    /* 3: default route */
    {LOOK, "100.64.0.1", A},	    /* 4 */
    {LOOK, "255.255.255.255", A},   /* 5 */
    {LOOK, "0.0.0.0", A},	    /* 6 */
    {LOOK, "::1", 0},		    /* 7: the families are separate */
    {INS, "100.64.0.0/10", B},	    /* 8 */
    {LOOK, "100.64.0.1", B},	    /* 9 */
    {LOOK, "100.127.255.255", B},   /* 10: last address inside */
    {LOOK, "100.128.0.0", A},	    /* 11: first address past */
    {LOOK, "100.63.255.255", A},    /* 12: last address before */
    {INS, "100.64.1.1/32", C},	    /* 13: host */
    {LOOK, "100.64.1.1", C},	    /* 14 */
    {LOOK, "100.64.1.0", B},	    /* 15 */
    {LOOK, "100.64.1.2", B},	    /* 16 */
    {INS, "100.64.1.0/24", D},	    /* 17: between /10 and /32 */
    {LOOK, "100.64.1.7", D},	    /* 18 */
    {LOOK, "100.64.1.1", C},	    /* 19 */
    {LOOK, "100.64.2.1", B},	    /* 20 */
    {COUNT, NULL, 4},		    /* 21 */
    {INS, "100.64.0.0/10", E},	    /* 22: replace a value */
    {COUNT, NULL, 4},		    /* 23 */
    {LOOK, "100.64.2.1", E},	    /* 24 */
    {LOOK, "100.64.1.7", D},	    /* 25 */
    {DEL, "100.64.1.0/24", 1},	    /* 26 */
    {DEL, "100.64.1.0/24", 0},	    /* 27: already gone */
    {LOOK, "100.64.1.7", E},	    /* 28: falls back to the /10 */
    {LOOK, "100.64.1.1", C},	    /* 29 */
    {DEL, "100.64.0.0/11", 0},	    /* 30: covered, but not present */
    {DEL, "100.0.0.0/9", 0},	    /* 31: covering, not present */
    {DEL, "100.64.1.1/32", 1},	    /* 32 */
    {LOOK, "100.64.1.1", E},	    /* 33 */
    {DEL, "0.0.0.0/0", 1},	    /* 34 */
    {LOOK, "8.8.8.8", 0},	    /* 35 */
    {LOOK, "100.64.0.1", E},	    /* 36 */
    {COUNT, NULL, 1},		    /* 37 */
    {INS, "128.0.0.0/1", A},	    /* 38: the two halves */
    {INS, "0.0.0.0/1", B},	    /* 39 */
    {LOOK, "127.255.255.255", B},   /* 40 */
    {LOOK, "128.0.0.0", A},	    /* 41 */
    {LOOK, "100.64.0.1", E},	    /* 42 */
    {INS, "0.0.0.0/32", C},	    /* 43: all-zero host */
    {INS, "255.255.255.255/32", D}, /* 44: all-ones host */
    {LOOK, "0.0.0.0", C},	    /* 45 */
    {LOOK, "0.0.0.1", B},	    /* 46 */
    {LOOK, "255.255.255.255", D},   /* 47 */
    {LOOK, "255.255.255.254", A},   /* 48 */
    /* a join node (10.0.0.0/23 joins two /24s) gains a value, then loses it */
    {INS, "10.0.0.0/24", C}, /* 49 */
    {INS, "10.0.1.0/24", D}, /* 50 */
    {DEL, "10.0.0.0/23", 0}, /* 51: the join node is no prefix */
    {LOOK, "10.0.2.1", B},   /* 52 */
    {INS, "10.0.0.0/23", E}, /* 53 */
    {COUNT, NULL, 8},	     /* 54 */
    {LOOK, "10.0.1.9", D},   /* 55 */
    {DEL, "10.0.0.0/24", 1}, /* 56 */
    {LOOK, "10.0.0.9", E},   /* 57 */
    {DEL, "10.0.0.0/23", 1}, /* 58 */
    {LOOK, "10.0.0.9", B},   /* 59 */
    {LOOK, "10.0.1.9", D},   /* 60 */
    /* IPv6 */
    {INS, "::/0", A},					     /* 61 */
    {LOOK, "2001:db8::1", A},				     /* 62 */
    {INS, "fd00::/8", B},				     /* 63 */
    {LOOK, "fd12::1", B},				     /* 64 */
    {LOOK, "fe00::", A},				     /* 65 */
    {LOOK, "fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", A},    /* 66 */
    {INS, "fd00::1/128", C},				     /* 67 */
    {LOOK, "fd00::1", C},				     /* 68 */
    {LOOK, "fd00::2", B},				     /* 69 */
    {LOOK, "fd00::", B},				     /* 70 */
    {INS, "fd00::/64", D},				     /* 71 */
    {LOOK, "fd00::2", D},				     /* 72 */
    {LOOK, "fd00::1", C},				     /* 73 */
    {LOOK, "fd00:0:0:1::2", B},				     /* 74 */
    {INS, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", E}, /* 75 */
    {LOOK, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", E},    /* 76 */
    {LOOK, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", A},    /* 77 */
    {INS, "::/128", C},					     /* 78 */
    {LOOK, "::", C},					     /* 79 */
    {LOOK, "::1", A},					     /* 80 */
    {LOOK, "0.0.0.0", C},				     /* 81: IPv4 untouched */
    {COUNT, NULL, 12},					     /* 82 */
    {DEL_VALUE, NULL, C},				     /* 83: v4 and v6 */
    {COUNT, NULL, 9},					     /* 84 */
    {LOOK, "fd00::1", D},				     /* 85 */
    {LOOK, "::", A},					     /* 86 */
    {LOOK, "0.0.0.0", B},				     /* 87 */
    {DEL_VALUE, NULL, A},				     /* 88 */
    {LOOK, "2001:db8::1", 0},				     /* 89 */
    {LOOK, "200.0.0.1", 0},				     /* 90 */
    {LOOK, "fd00::2", D},				     /* 91 */
    {COUNT, NULL, 7},					     /* 92 */
    {DEL_VALUE, NULL, A},				     /* 93: nothing left */
    {COUNT, NULL, 7},					     /* 94 */
    {DEL, "fd00::/8", 1},				     /* 95 */
    {LOOK, "fd00:0:0:1::2", 0},				     /* 96 */
    {LOOK, "fd00::2", D},				     /* 97 */
};

static bool parse_addr(const char *s, struct wf_prefix *p)
{
	return wf_addr_parse(p, s);
}

static int run_step(struct wf_routes *t, const struct step *s)
{
	struct wf_prefix p;

	switch (s->op) {
	case INS:
		assert_true(wf_prefix_parse(&p, s->s, true));
		return wf_routes_insert(t, &p, peer(s->v)) ? s->v : -1;
	case DEL:
		assert_true(wf_prefix_parse(&p, s->s, true));
		return wf_routes_remove(t, &p);
	case DEL_VALUE:
		wf_routes_remove_value(t, peer(s->v));
		return s->v;
	case LOOK:
		assert_true(parse_addr(s->s, &p));
		return peer_index(wf_routes_lookup(t, p.family, p.addr));
	case COUNT:
		return (int)wf_routes_count(t);
	}
	return -1;
}

static void test_table(void **state)
{
	struct wf_routes *t = wf_routes_new();
	int failed = 0;

	(void)state;
	assert_non_null(t);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		int got = run_step(t, &steps[i]);

		if (got != steps[i].v) {
			print_error("routes case %zu (%s): got %d, want %d\n", i + 1,
				    steps[i].s ? steps[i].s : "-", got, steps[i].v);
			failed++;
		}
	}
	wf_routes_free(t);
	assert_int_equal(failed, 0);
}

/* Bad input is refused; host bits past the length are ignored. */
static void test_input(void **state)
{
	struct wf_routes *t = wf_routes_new();
	struct wf_prefix p = {.family = AF_INET, .len = 24, .addr = {10, 1, 2, 3}};
	const uint8_t a[4] = {10, 1, 2, 200};

	(void)state;
	assert_true(wf_routes_insert(t, &p, peer(A)));		    /* 1: host bits set */
	assert_ptr_equal(wf_routes_lookup(t, AF_INET, a), peer(A)); /* 2 */
	p.addr[3] = 99;
	assert_true(wf_routes_insert(t, &p, peer(B)));		    /* 3: same prefix */
	assert_int_equal(wf_routes_count(t), 1);		    /* 4 */
	assert_ptr_equal(wf_routes_lookup(t, AF_INET, a), peer(B)); /* 5 */
	assert_false(wf_routes_insert(t, &p, NULL));		    /* 6: NULL value */
	p.len = 33;
	assert_false(wf_routes_insert(t, &p, peer(A))); /* 7: too long */
	assert_false(wf_routes_remove(t, &p));		/* 8 */
	p.family = AF_INET6;
	p.len = 129;
	assert_false(wf_routes_insert(t, &p, peer(A))); /* 9 */
	p.family = AF_UNIX;
	p.len = 8;
	assert_false(wf_routes_insert(t, &p, peer(A))); /* 10: bad family */
	assert_false(wf_routes_remove(t, &p));		/* 11 */
	assert_null(wf_routes_lookup(t, AF_UNIX, a));	/* 12 */
	p.family = AF_INET;
	p.len = 24;
	assert_true(wf_routes_remove(t, &p));	 /* 13: host bits set */
	assert_int_equal(wf_routes_count(t), 0); /* 14 */
	/* 16-19: exact get: the prefix itself, never a covering or covered one */
	assert_true(wf_routes_insert(t, &p, peer(A)));
	assert_ptr_equal(wf_routes_get(t, &p), peer(A)); /* 16 */
	p.len = 25;
	assert_null(wf_routes_get(t, &p)); /* 17: covered, not stored */
	p.len = 16;
	assert_null(wf_routes_get(t, &p)); /* 18: covering, not stored */
	p.family = AF_UNIX;
	assert_null(wf_routes_get(t, &p)); /* 19 */
	wf_routes_free(t);
	wf_routes_free(NULL); /* 15 */
}

/* --- randomized differential test ----------------------------------------- */

enum {
	N_CLUSTERS = 16,
	N_VALUES = 32,
	MAX_ENTRIES = 8192,
	LOOKUPS = 30000, /* per round: 3 rounds, plus 7 small ones while emptying */
};

/* The reference: a flat list, searched linearly, with masks precomputed as
 * two 64-bit halves so 100k x thousands of comparisons stay fast. */
struct entry {
	struct wf_prefix p;
	uint64_t bits[2], mask[2];
	int value;
};

struct naive {
	struct entry e[MAX_ENTRIES];
	size_t n;
};

static uint64_t rng_state = 0x0ddba11cafef00dULL;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void load128(const uint8_t *a, int family, uint64_t out[2])
{
	uint8_t b[16] = {0};

	memcpy(b, a, family == AF_INET ? 4 : 16);
	out[0] = out[1] = 0;
	for (int i = 0; i < 8; i++) {
		out[0] = out[0] << 8 | b[i];
		out[1] = out[1] << 8 | b[8 + i];
	}
}

static void entry_set(struct entry *e, const struct wf_prefix *p, int value)
{
	unsigned len = p->len;

	e->p = *p;
	e->value = value;
	e->mask[0] = len == 0 ? 0 : len >= 64 ? ~0ULL : ~0ULL << (64 - len);
	e->mask[1] = len <= 64 ? 0 : len >= 128 ? ~0ULL : ~0ULL << (128 - len);
	load128(p->addr, p->family, e->bits);
}

static size_t naive_find(const struct naive *nv, const struct wf_prefix *p)
{
	for (size_t i = 0; i < nv->n; i++)
		if (wf_prefix_equal(&nv->e[i].p, p))
			return i;
	return SIZE_MAX;
}

static void naive_insert(struct naive *nv, const struct wf_prefix *p, int value)
{
	size_t i = naive_find(nv, p);

	if (i == SIZE_MAX) {
		assert_true(nv->n < MAX_ENTRIES);
		i = nv->n++;
	}
	entry_set(&nv->e[i], p, value);
}

static bool naive_remove_at(struct naive *nv, size_t i)
{
	if (i == SIZE_MAX)
		return false;
	nv->e[i] = nv->e[--nv->n];
	return true;
}

static void naive_remove_value(struct naive *nv, int value)
{
	for (size_t i = 0; i < nv->n;)
		if (nv->e[i].value == value)
			naive_remove_at(nv, i);
		else
			i++;
}

static int naive_lookup(const struct naive *nv, int family, const uint8_t *addr)
{
	uint64_t a[2];
	int best = 0, best_len = -1;

	load128(addr, family, a);
	for (size_t i = 0; i < nv->n; i++) {
		const struct entry *e = &nv->e[i];

		if (e->p.family == family && (a[0] & e->mask[0]) == e->bits[0] &&
		    (a[1] & e->mask[1]) == e->bits[1] && e->p.len > best_len) {
			best = e->value;
			best_len = e->p.len;
		}
	}
	return best;
}

static uint8_t clusters[2][N_CLUSTERS][16];

static void random_bytes(uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)rng();
}

/* Randomize the bits of a from bit number `from` on. */
static void scramble_from(uint8_t *a, unsigned from, unsigned maxb)
{
	for (unsigned i = from; i < maxb; i++) {
		uint8_t m = (uint8_t)(0x80 >> (i % 8));

		a[i / 8] = (uint8_t)((a[i / 8] & ~m) | (rng() & 1 ? m : 0));
	}
}

/* Prefixes that nest and overlap: most of them grow out of a few clusters. */
static void random_prefix(struct wf_prefix *p)
{
	int fam = rng() & 1;
	unsigned maxb = fam ? 128 : 32, r = (unsigned)(rng() % 8);

	memset(p, 0, sizeof(*p));
	p->family = fam ? AF_INET6 : AF_INET;
	memcpy(p->addr, clusters[fam][rng() % N_CLUSTERS], 16);
	if (r < 3)
		p->len = (uint8_t)(rng() % (maxb + 1));
	else if (r < 5)
		p->len = (uint8_t)maxb;
	else
		p->len = (uint8_t)(maxb - rng() % (fam ? 72 : 16));
	scramble_from(p->addr, (unsigned)(rng() % (maxb + 1)), maxb);
	wf_prefix_mask(p);
}

static void random_address(const struct naive *nv, int *family, uint8_t addr[16])
{
	unsigned r = (unsigned)(rng() % 4), maxb;

	memset(addr, 0, 16);
	if (r < 2 && nv->n) {
		const struct wf_prefix *p = &nv->e[rng() % nv->n].p;

		*family = p->family;
		memcpy(addr, p->addr, 16);
		/* sometimes inside p, sometimes just off its edge */
		scramble_from(addr, p->len ? p->len - (unsigned)(rng() % 2) : 0,
			      p->family == AF_INET ? 32 : 128);
		return;
	}
	*family = rng() & 1 ? AF_INET6 : AF_INET;
	maxb = *family == AF_INET ? 32 : 128;
	if (r == 2) {
		/* near a cluster, where the prefixes are */
		memcpy(addr, clusters[*family == AF_INET6][rng() % N_CLUSTERS], 16);
		scramble_from(addr, (unsigned)(rng() % (maxb + 1)), maxb);
	} else {
		random_bytes(addr, maxb / 8);
	}
}

static void check_lookups(const struct wf_routes *t, const struct naive *nv, int n, long *hits)
{
	for (int i = 0; i < n; i++) {
		uint8_t addr[16];
		int family, want, got;

		random_address(nv, &family, addr);
		want = naive_lookup(nv, family, addr);
		got = peer_index(wf_routes_lookup(t, family, addr));
		if (got != want) {
			char s[WF_ADDR_STRLEN];
			struct wf_prefix p = {.family = (uint8_t)family,
					      .len = family == AF_INET ? 32 : 128};

			memcpy(p.addr, addr, 16);
			print_error("lookup %s: got %d want %d\n",
				    wf_prefix_str(&p, true, s, sizeof(s)), got, want);
			fail();
		}
		*hits += want != 0;
	}
}

/* wf_routes_get on p (a stored prefix, or a random one) against the list. */
static void check_get(const struct wf_routes *t, const struct naive *nv, const struct wf_prefix *p)
{
	size_t at = naive_find(nv, p);
	int want = at == SIZE_MAX ? 0 : nv->e[at].value, got = peer_index(wf_routes_get(t, p));

	if (got != want) {
		char s[WF_ADDR_STRLEN];

		print_error("get %s: got %d want %d\n", wf_prefix_str(p, false, s, sizeof(s)), got,
			    want);
		fail();
	}
}

static void insert_random(struct wf_routes *t, struct naive *nv, int n)
{
	for (int i = 0; i < n; i++) {
		struct wf_prefix p;
		int v = 1 + (int)(rng() % N_VALUES);

		random_prefix(&p);
		check_get(t, nv, &p);
		assert_true(wf_routes_insert(t, &p, peer(v)));
		naive_insert(nv, &p, v);
		assert_int_equal(wf_routes_count(t), nv->n);
		check_get(t, nv, &p);
	}
}

/* Half the removals hit a present prefix, half a random one. */
static void remove_random(struct wf_routes *t, struct naive *nv, int n)
{
	for (int i = 0; i < n; i++) {
		struct wf_prefix p;
		size_t at;

		if (rng() & 1 && nv->n)
			p = nv->e[rng() % nv->n].p;
		else
			random_prefix(&p);
		at = naive_find(nv, &p);
		check_get(t, nv, &p);
		assert_int_equal(wf_routes_remove(t, &p), at != SIZE_MAX);
		naive_remove_at(nv, at);
		assert_int_equal(wf_routes_count(t), nv->n);
		check_get(t, nv, &p);
	}
}

static void test_differential(void **state)
{
	struct naive *nv = calloc(1, sizeof(*nv)), *nv_snap = calloc(1, sizeof(*nv));
	struct wf_routes *t = wf_routes_new(), *snap;
	long hits = 0;

	(void)state;
	assert_non_null(nv);
	assert_non_null(nv_snap);
	assert_non_null(t);
	for (int f = 0; f < 2; f++)
		for (int c = 0; c < N_CLUSTERS; c++)
			random_bytes(clusters[f][c], f ? 16 : 4);

	insert_random(t, nv, 3000);
	check_lookups(t, nv, LOOKUPS, &hits);
	/* A clone (what the daemon's workers read) answers as the original,
	 * and goes on doing so while the original changes. */
	snap = wf_routes_clone(t);
	assert_non_null(snap);
	assert_int_equal(wf_routes_count(snap), nv->n);
	*nv_snap = *nv;
	check_lookups(snap, nv_snap, LOOKUPS, &hits);
	remove_random(t, nv, 1500);
	check_lookups(snap, nv_snap, LOOKUPS / 10, &hits);
	wf_routes_free(snap);
	for (int v = 1; v <= 4; v++) {
		wf_routes_remove_value(t, peer(v));
		naive_remove_value(nv, v);
		assert_int_equal(wf_routes_count(t), nv->n);
	}
	check_lookups(t, nv, LOOKUPS, &hits);
	insert_random(t, nv, 2000);
	check_lookups(t, nv, LOOKUPS, &hits);
	/* empty it in random order, checking as it shrinks */
	while (nv->n) {
		size_t at = rng() % nv->n;

		assert_true(wf_routes_remove(t, &nv->e[at].p));
		naive_remove_at(nv, at);
		assert_int_equal(wf_routes_count(t), nv->n);
		if (nv->n % 500 == 0)
			check_lookups(t, nv, LOOKUPS / 10, &hits);
	}
	assert_int_equal(wf_routes_count(t), 0);
	print_message("%ld lookups matched a prefix\n", hits);
	assert_true(hits > LOOKUPS);
	wf_routes_free(t);
	free(nv);
	free(nv_snap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_input),
	    cmocka_unit_test(test_differential),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
