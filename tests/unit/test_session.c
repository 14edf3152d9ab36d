/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/core/session.c: keypairs (seal/open round trips for both
 * ciphers, the data header, replays, forgeries, the counter limit) and the
 * make-before-break rotation between current and previous, the rules for
 * unproven (pending) responder keypairs, and the rekey and expiry clocks. The
 * random test drives install / answer / prove / expire / clear sequences and
 * checks that every keypair falls out exactly once; run it under
 * SAN=address,undefined to catch a double free.
 *
 * Checks inside loops print their case number before failing, so a failure
 * names the packet, bit or step.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/bytes.h"
#include "core/session.h"
#include "weft/wire.h"

#define LIM WF_REJECT_AFTER_MESSAGES

static const enum wf_cipher ciphers[] = {WF_CIPHER_AES256GCM, WF_CIPHER_CHACHAPOLY};

enum {
	IDX_INI = 0x11223344,  /* the initiator's local index */
	IDX_RESP = 0xa1b2c3d4, /* the responder's local index */
	MAX_PLAIN = 1500,
};

/* Both ends of one handshake: built from the same c1 and c2. */
struct pair {
	struct wf_keypair *ini, *resp;
};

static void pair_new(struct pair *p, enum wf_cipher cipher, uint8_t seed, int64_t now)
{
	uint8_t c1[WF_KEY_LEN], c2[WF_KEY_LEN];

	for (int i = 0; i < WF_KEY_LEN; i++) {
		c1[i] = (uint8_t)(seed + i);
		c2[i] = (uint8_t)(seed * 7 + 3 * i + 1);
	}
	p->ini = wf_keypair_new(cipher, c1, c2, true, IDX_INI, IDX_RESP, now, 1);
	p->resp = wf_keypair_new(cipher, c1, c2, false, IDX_RESP, IDX_INI, now, 1);
	assert_non_null(p->ini);
	assert_non_null(p->resp);
}

static void pair_free(struct pair *p)
{
	wf_keypair_free(p->ini);
	wf_keypair_free(p->resp);
}

/* A sealed datagram, kept so it can be replayed or tampered with. */
struct dgram {
	uint8_t b[WF_DATA_OVERHEAD + MAX_PLAIN];
	size_t len;
	uint64_t counter;
};

static void fill(uint8_t *p, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7);
}

/* Seal with thread ctx's contexts. */
static void seal_on(struct wf_keypair *kp, unsigned ctx, uint8_t type, size_t len, struct dgram *d)
{
	assert_true(len <= MAX_PLAIN);
	d->counter = kp->send_counter;
	fill(d->b + WF_DATA_HEADER_LEN, len, (uint32_t)d->counter);
	assert_true(wf_keypair_seal(kp, ctx, type, d->b, len, &d->len));
	assert_int_equal(d->len, WF_DATA_OVERHEAD + len);
}

static void seal(struct wf_keypair *kp, uint8_t type, size_t len, struct dgram *d)
{
	seal_on(kp, 0, type, len, d);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Opens a copy of d on kp with thread ctx's contexts (the datagram itself
 * stays intact for replays). */
static bool open_on(struct wf_keypair *kp, unsigned ctx, const struct dgram *d, bool *replayed)
{
	uint8_t buf[sizeof(d->b)], want[MAX_PLAIN], *plain = NULL;
	size_t plain_len = 0, len = d->len - WF_DATA_OVERHEAD;

	memcpy(buf, d->b, d->len);
	if (!wf_keypair_open(kp, ctx, buf, d->len, &plain, &plain_len, replayed))
		return false;
	fill(want, len, (uint32_t)d->counter);
	assert_ptr_equal(plain, buf + WF_DATA_HEADER_LEN);
	assert_int_equal(plain_len, len);
	assert_memory_equal(plain, want, len);
	return true;
}

static bool open_copy(struct wf_keypair *kp, const struct dgram *d, bool *replayed)
{
	return open_on(kp, 0, d, replayed);
}

static void accept_ok(struct wf_keypair *kp, const struct dgram *d, int n)
{
	bool replayed = true;

	if (!open_copy(kp, d, &replayed)) {
		print_error("case %d: counter %llu refused\n", n, (unsigned long long)d->counter);
		fail();
	}
}

static void refuse(struct wf_keypair *kp, const struct dgram *d, bool want_replayed, int n)
{
	bool replayed = !want_replayed;

	if (open_copy(kp, d, &replayed) || replayed != want_replayed) {
		print_error("case %d: counter %llu accepted or misclassified (replayed %d)\n", n,
			    (unsigned long long)d->counter, replayed);
		fail();
	}
}

/* 1-4: round trips both ways for each cipher and a range of lengths, with the
 * header laid out as protocol.md says. */
static void test_round_trip(void **state)
{
	static const size_t lens[] = {0, 1, 15, 16, 17, 63, 64, 1280, 1440, MAX_PLAIN};
	static struct dgram d;
	int n = 0;

	(void)state;
	for (size_t c = 0; c < 2; c++) {
		struct pair p;

		pair_new(&p, ciphers[c], (uint8_t)(10 + c), 0);
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			for (int dir = 0; dir < 2; dir++) {
				struct wf_keypair *tx = dir ? p.resp : p.ini;
				struct wf_keypair *rx = dir ? p.ini : p.resp;
				uint8_t type = i % 2 ? WF_MSG_CONTROL : WF_MSG_DATA;
				uint64_t want_counter = tx->send_counter;

				n++;
				seal(tx, type, lens[i], &d);
				/* 1: the header */
				assert_int_equal(d.b[0], type);
				assert_int_equal(d.b[1], 1);
				assert_int_equal(d.b[2], 0);
				assert_int_equal(d.b[3], 0);
				assert_int_equal(le32(d.b + 4), dir ? IDX_INI : IDX_RESP);
				assert_int_equal(le64(d.b + 8), want_counter);
				assert_int_equal(tx->send_counter, want_counter + 1);
				/* 2: the ciphertext is not the plaintext */
				if (lens[i] >= 16) {
					uint8_t plain[MAX_PLAIN];

					fill(plain, lens[i], (uint32_t)d.counter);
					assert_memory_not_equal(d.b + WF_DATA_HEADER_LEN, plain,
								lens[i]);
				}
				/* 3: the other end opens it */
				accept_ok(rx, &d, n);
				/* 4: a keypair never opens its own packets
				 * (the two directions have different keys; the
				 * counter may also be a replay for tx's window) */
				{
					bool replayed;

					assert_false(open_copy(tx, &d, &replayed));
				}
			}
		}
		pair_free(&p);
	}
}

/* 5-8: the header's counter is little-endian and the receiver uses it as the
 * nonce; the cipher and the keys must match. */
static void test_header_and_keys(void **state)
{
	static struct dgram d;
	struct pair p, other, aes, chacha;

	(void)state;
	pair_new(&p, WF_CIPHER_CHACHAPOLY, 1, 0);
	/* 5: a counter with every byte different shows the byte order */
	p.ini->send_counter = 0x0102030405060708ULL;
	seal(p.ini, WF_MSG_DATA, 100, &d);
	assert_memory_equal(d.b + 8, ((uint8_t[]){8, 7, 6, 5, 4, 3, 2, 1}), 8);
	accept_ok(p.resp, &d, 5);
	/* 6: another handshake's keys do not open it */
	pair_new(&other, WF_CIPHER_CHACHAPOLY, 2, 0);
	seal(p.ini, WF_MSG_DATA, 100, &d);
	refuse(other.resp, &d, false, 6);
	/* 7: the same keys with the other cipher do not open it */
	pair_new(&aes, WF_CIPHER_AES256GCM, 3, 0);
	pair_new(&chacha, WF_CIPHER_CHACHAPOLY, 3, 0);
	seal(aes.ini, WF_MSG_DATA, 64, &d);
	refuse(chacha.resp, &d, false, 7);
	accept_ok(aes.resp, &d, 7);
	/* 8: no keypair without a real cipher */
	assert_null(wf_keypair_new(WF_CIPHER_NONE, (uint8_t[WF_KEY_LEN]){0},
				   (uint8_t[WF_KEY_LEN]){0}, true, 1, 2, 0, 1));
	pair_free(&p);
	pair_free(&other);
	pair_free(&aes);
	pair_free(&chacha);
}

/* 9-11: a datagram is accepted once; shorter than header + tag is malformed. */
static void test_replay(void **state)
{
	static struct dgram d, e;

	(void)state;
	for (size_t c = 0; c < 2; c++) {
		struct pair p;
		uint8_t *plain;
		size_t plain_len;
		bool replayed = true;

		pair_new(&p, ciphers[c], 4, 0);
		seal(p.ini, WF_MSG_DATA, 40, &d);
		seal(p.ini, WF_MSG_DATA, 0, &e); /* a keepalive */
		accept_ok(p.resp, &d, 9);
		refuse(p.resp, &d, true, 9);  /* 9: replayed */
		accept_ok(p.resp, &e, 10);    /* 10: an empty message is fine */
		refuse(p.resp, &e, true, 10); /* and replayed too */
		refuse(p.resp, &d, true, 10);
		/* 11: too short to hold a header and a tag */
		for (size_t len = 0; len < WF_DATA_OVERHEAD; len++) {
			replayed = true;
			assert_false(
			    wf_keypair_open(p.resp, 0, e.b, len, &plain, &plain_len, &replayed));
			assert_false(replayed);
		}
		pair_free(&p);
	}
}

/*
 * 12-14: one flipped bit anywhere (header = AD, ciphertext, tag) is a forgery:
 * refused, not called a replay, and the window does not move. The receiver
 * has seen nothing yet, so a flipped counter bit cannot look like a replay;
 * and if a forged high counter moved the window, the genuine packets (low
 * counters) would then be refused as too old.
 */
static void test_forgery(void **state)
{
	static struct dgram genuine[3], forged;

	(void)state;
	for (size_t c = 0; c < 2; c++) {
		struct pair p;

		pair_new(&p, ciphers[c], 5, 0);
		for (int i = 0; i < 3; i++)
			seal(p.ini, WF_MSG_DATA, 33, &genuine[i]);
		for (size_t bit = 0; bit < genuine[2].len * 8; bit++) {
			int n = bit < 128 ? 12 : bit < genuine[2].len * 8 - 128 ? 13 : 14;

			forged = genuine[2];
			forged.b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			refuse(p.resp, &forged, false, n);
		}
		assert_int_equal(p.resp->replay.next, 0);
		/* the genuine ones, newest first, are all still accepted */
		for (int i = 2; i >= 0; i--)
			accept_ok(p.resp, &genuine[i], 14);
		pair_free(&p);
	}
}

/* 15-19: out of order inside the window is fine; older than the window is not. */
static void test_window(void **state)
{
	static struct dgram d[64], edge, old, newest;
	const uint64_t w = WF_REPLAY_WINDOW;
	struct pair p;

	(void)state;
	pair_new(&p, WF_CIPHER_AES256GCM, 6, 0);
	for (int i = 0; i < 64; i++)
		seal(p.ini, WF_MSG_DATA, (size_t)i, &d[i]);
	/* 15: the newest first, then the rest backwards, then odd ones again */
	accept_ok(p.resp, &d[63], 15);
	for (int i = 62; i >= 0; i -= 2)
		accept_ok(p.resp, &d[i], 15);
	for (int i = 61; i >= 0; i -= 2)
		accept_ok(p.resp, &d[i], 15);
	for (int i = 0; i < 64; i++)
		refuse(p.resp, &d[i], true, 16); /* 16: all of them now replays */
	/* 17: newest = 64 + w: counter 65 is the lower edge, 64 is out */
	p.ini->send_counter = 64;
	seal(p.ini, WF_MSG_DATA, 10, &old);
	seal(p.ini, WF_MSG_DATA, 10, &edge);
	p.ini->send_counter = 64 + w;
	seal(p.ini, WF_MSG_DATA, 10, &newest);
	accept_ok(p.resp, &newest, 17);
	accept_ok(p.resp, &edge, 17);
	/* 18: too old is refused before decryption, as a replay would be */
	refuse(p.resp, &old, true, 18);
	/* 19: a big jump forward is fine */
	p.ini->send_counter = 1ULL << 40;
	seal(p.ini, WF_MSG_DATA, 10, &newest);
	accept_ok(p.resp, &newest, 19);
	refuse(p.resp, &edge, true, 19);
	pair_free(&p);
}

/* 20-23: the last counter, then nothing: seal refuses at the limit and the
 * session stops offering the keypair. */
static void test_counter_limit(void **state)
{
	static struct dgram d;
	struct wf_session_limits l;
	struct wf_session s = {0};
	struct pair p;
	size_t len = 12345;

	(void)state;
	wf_session_limits_default(&l, 120000);
	pair_new(&p, WF_CIPHER_CHACHAPOLY, 7, 0);
	s.current = p.ini;
	p.ini->send_counter = LIM - 1;
	assert_ptr_equal(wf_session_sendable(&s, &l, 0), p.ini);
	/* 20: LIM - 1 is the last counter sealed, and it opens */
	seal(p.ini, WF_MSG_DATA, 20, &d);
	assert_int_equal(d.counter, LIM - 1);
	accept_ok(p.resp, &d, 20);
	/* 21: at the limit, seal refuses and does not move the counter */
	assert_false(wf_keypair_seal(p.ini, 0, WF_MSG_DATA, d.b, 20, &len));
	assert_false(wf_keypair_seal(p.ini, 0, WF_MSG_DATA, d.b, 20, &len));
	assert_int_equal(p.ini->send_counter, LIM);
	assert_int_equal(len, 12345);
	/* 22: an exhausted keypair is not sendable and wants a rekey */
	assert_null(wf_session_sendable(&s, &l, 0));
	assert_true(wf_session_wants_rekey(&s, &l, 0));
	/* 23: a datagram claiming the limit is refused without decryption */
	d.b[8] = (uint8_t)LIM;
	memset(d.b + 9, 0xff, 7);
	refuse(p.resp, &d, true, 23);
	pair_free(&p);
}

/* wf_wipe, watched (linked with --wrap=wf_wipe): the ranges it was given. */
void __real_wf_wipe(void *p, size_t len);
void __wrap_wf_wipe(void *p, size_t len);
static struct {
	uintptr_t at;
	size_t len;
} wiped[16];
static unsigned n_wiped;

void __wrap_wf_wipe(void *p, size_t len)
{
	if (n_wiped < sizeof(wiped) / sizeof(wiped[0])) {
		wiped[n_wiped].at = (uintptr_t)p;
		wiped[n_wiped++].len = len;
	}
	__real_wf_wipe(p, len);
}

static bool was_wiped(uintptr_t at, size_t len)
{
	for (unsigned i = 0; i < n_wiped; i++)
		if (at >= wiped[i].at && at + len <= wiped[i].at + wiped[i].len)
			return true;
	return false;
}

/* Where kp holds these key bytes, if it does (0: nowhere). */
static uintptr_t held_at(const struct wf_keypair *kp, const uint8_t key[WF_KEY_LEN])
{
	const void *at = memmem(kp, sizeof(*kp), key, WF_KEY_LEN);

	return (uintptr_t)at;
}

static unsigned n_keyed(struct wf_aead *const ctx[WF_KEYPAIR_CTX_MAX])
{
	unsigned n = 0;

	for (unsigned i = 0; i < WF_KEYPAIR_CTX_MAX; i++)
		n += ctx[i] != NULL;
	return n;
}

static void accept_on(struct wf_keypair *kp, unsigned ctx, const struct dgram *d, int n)
{
	bool replayed;

	if (!open_on(kp, ctx, d, &replayed)) {
		print_error("case %d: context %u refused counter %llu\n", n, ctx,
			    (unsigned long long)d->counter);
		fail();
	}
}

/*
 * 80-82: a thread's contexts are keyed on its first use of the keypair, one
 * direction at a time. A keypair made for 16 threads keys only what is used;
 * two contexts of each end, used in turn, open what the other end's sealed;
 * the key material, which the keypair keeps for the contexts keyed later, is
 * wiped when it is freed.
 */
static void test_keyed_on_use(void **state)
{
	static const unsigned two[2] = {3, 12};
	static struct dgram d;
	uint8_t c1[WF_KEY_LEN], c2[WF_KEY_LEN];
	struct wf_keypair *ini, *resp;
	uintptr_t at[4];

	(void)state;
	for (int i = 0; i < WF_KEY_LEN; i++) {
		c1[i] = (uint8_t)(0x40 + i);
		c2[i] = (uint8_t)(0x90 + i);
	}
	ini = wf_keypair_new(WF_CIPHER_AES256GCM, c1, c2, true, IDX_INI, IDX_RESP, 0, 16);
	resp = wf_keypair_new(WF_CIPHER_AES256GCM, c1, c2, false, IDX_RESP, IDX_INI, 0, 16);
	assert_non_null(ini);
	assert_non_null(resp);
	/* 80: nothing keyed when made; a seal keys the sender's one context,
	 * an open the receiver's, and nothing else */
	assert_int_equal(n_keyed(ini->send) + n_keyed(ini->recv), 0);
	assert_int_equal(n_keyed(resp->send) + n_keyed(resp->recv), 0);
	seal_on(ini, 7, WF_MSG_DATA, 100, &d);
	accept_on(resp, 9, &d, 80);
	assert_non_null(ini->send[7]);
	assert_non_null(resp->recv[9]);
	assert_int_equal(n_keyed(ini->send) + n_keyed(ini->recv), 1);
	assert_int_equal(n_keyed(resp->send) + n_keyed(resp->recv), 1);
	/* 81: contexts 3 and 12 in turn, both ways: each opens what the other
	 * end's other context sealed */
	for (int i = 0; i < 4; i++) {
		unsigned a = two[i & 1], b = two[!(i & 1)];

		seal_on(ini, a, WF_MSG_DATA, (size_t)(10 + i), &d);
		accept_on(resp, b, &d, 81);
		seal_on(resp, a, WF_MSG_CONTROL, (size_t)(20 + i), &d);
		accept_on(ini, b, &d, 81);
	}
	assert_int_equal(n_keyed(ini->send), 3);
	assert_int_equal(n_keyed(ini->recv), 2);
	assert_int_equal(n_keyed(resp->send), 2);
	assert_int_equal(n_keyed(resp->recv), 3);
	/* 82: the keys are in the keypair, and freeing wipes them */
	at[0] = held_at(ini, c1);
	at[1] = held_at(ini, c2);
	at[2] = held_at(resp, c1);
	at[3] = held_at(resp, c2);
	n_wiped = 0;
	wf_keypair_free(ini);
	wf_keypair_free(resp);
	for (int i = 0; i < 4; i++) {
		if (!at[i] || !was_wiped(at[i], WF_KEY_LEN)) {
			print_error("case 82: key %d %s\n", i, at[i] ? "not wiped" : "not held");
			fail();
		}
	}
}

/* 83: what senders write (the nonce counter) and what receivers write (the
 * replay lock and window) are on cache lines of their own, apart from each
 * other and from the read-mostly fields, in a keypair aligned to a line. */
static void test_lines_apart(void **state)
{
	uint8_t k[WF_KEY_LEN] = {0};
	struct wf_keypair *kp = wf_keypair_new(WF_CIPHER_AES256GCM, k, k, true, 1, 2, 0, 2);
	size_t send = offsetof(struct wf_keypair, send_counter);
	size_t lock = offsetof(struct wf_keypair, replay_lock);
	size_t end = offsetof(struct wf_keypair, replay) + sizeof(kp->replay) - 1;
	size_t before = offsetof(struct wf_keypair, send_key) + WF_KEY_LEN - 1;
	size_t after = offsetof(struct wf_keypair, created_ms);

	(void)state;
	assert_non_null(kp);
	assert_int_equal((uintptr_t)kp % 64, 0);
	assert_true(send / 64 > before / 64);
	assert_true(lock / 64 > send / 64);
	assert_true(after / 64 > end / 64);
	wf_keypair_free(kp);
}

static void test_limits_default(void **state)
{
	struct wf_session_limits l;

	(void)state;
	wf_session_limits_default(&l, 120000);
	assert_int_equal(l.rekey_after_ms, 120000);
	assert_int_equal(l.reject_after_ms, 180000);
	assert_int_equal(l.rekey_after_messages, 1ULL << 60);
	assert_true(l.rekey_after_messages < LIM);
}

static void assert_dropped(struct wf_keypair *const *dropped, int n, struct wf_keypair *const *want)
{
	for (int i = 0; i < n; i++)
		assert_ptr_equal(dropped[i], want[i]);
}

/* Judge an initiation (hash, ts) from source `src` (one byte names it), its
 * address proved (validated) or not. */
static enum wf_init_verdict judge(const struct wf_session *s, const uint8_t *hash, uint64_t ts,
				  uint64_t now, bool from_endpoint, uint8_t src, bool validated,
				  int *slot)
{
	uint8_t source[WF_SOURCE_LEN] = {4, src};
	struct wf_init_seen in = {hash, ts, source, from_endpoint, validated};

	return wf_session_judge(s, &in, now, slot);
}

/* A responder keypair as the daemon makes one: the initiation's timestamp and
 * hash (from seed), and where it came from (source 0xe0 unless said). */
static void answered(struct wf_keypair *kp, uint64_t ts, uint8_t seed, bool from_endpoint)
{
	kp->hs_timestamp = ts;
	memset(kp->init_hash, seed, WF_INIT_HASH_LEN);
	kp->from_endpoint = from_endpoint;
	kp->source[0] = 4;
	kp->source[1] = 0xe0;
}

/* Judge kp's initiation and, if accepted, make it pending; the slot, or -1. */
static int answer(struct wf_session *s, struct wf_keypair *kp, uint64_t now_ns)
{
	struct wf_keypair *out = NULL;
	int slot = -1;

	if (judge(s, kp->init_hash, kp->hs_timestamp, now_ns, kp->from_endpoint, kp->source[1],
		  kp->validated, &slot) != WF_INIT_ACCEPT)
		return -1;
	wf_session_add_pending(s, slot, kp, &out);
	assert_null(out);
	return slot;
}

static int count_pending(const struct wf_session *s)
{
	int n = 0;

	for (int i = 0; i < WF_PENDING_SLOTS; i++)
		n += s->pending[i] != NULL;
	return n;
}

/*
 * 24-33: make-before-break. Our side (us) and the peer's side (them) each hold
 * a session; a handshake we start gives us the initiator keypair (current at
 * once) and them the responder keypair (pending until our first packet).
 */
static void test_rotation(void **state)
{
	static struct dgram d;
	struct wf_session us = {0}, them = {0};
	struct wf_keypair *dropped[WF_SESSION_DROP_MAX], *one;
	struct wf_session_limits l;
	struct pair a, b, c;

	(void)state;
	wf_session_limits_default(&l, 120000);
	pair_new(&a, WF_CIPHER_AES256GCM, 20, 0);
	/* 24: the first handshake: the initiator sends at once */
	assert_true(a.ini->proven);
	assert_false(a.resp->proven);
	wf_session_install(&us, a.ini, &one);
	assert_null(one);
	assert_ptr_equal(us.current, a.ini);
	assert_null(us.previous);
	assert_ptr_equal(wf_session_sendable(&us, &l, 0), a.ini);
	/* 25: the responder holds it pending and has nothing to send with */
	answered(a.resp, 100, 1, false);
	assert_int_equal(answer(&them, a.resp, 100), 1);
	assert_null(them.current);
	assert_null(wf_session_sendable(&them, &l, 0));
	assert_int_equal(them.proven_ts, 0);
	/* 26: our first packet proves it: current, and the bar is its time */
	seal(a.ini, WF_MSG_DATA, 10, &d);
	accept_ok(a.resp, &d, 26);
	wf_session_prove(&them, a.resp, dropped);
	assert_dropped(dropped, WF_SESSION_DROP_MAX,
		       (struct wf_keypair *[]){NULL, NULL, NULL, NULL, NULL, NULL});
	assert_ptr_equal(them.current, a.resp);
	assert_null(them.previous);
	assert_true(a.resp->proven);
	assert_int_equal(count_pending(&them), 0);
	assert_int_equal(them.proven_ts, 100);
	assert_ptr_equal(wf_session_sendable(&them, &l, 0), a.resp);
	/* 27: the same initiation again is now a replay */
	{
		int slot;

		assert_int_equal(judge(&them, a.resp->init_hash, 100, 100, false, 0xe0, false, &slot),
				 WF_INIT_REPLAY);
	}

	/* 28: a second handshake from us: b.ini current, a.ini previous */
	pair_new(&b, WF_CIPHER_AES256GCM, 21, 1000);
	wf_session_install(&us, b.ini, &one);
	assert_null(one);
	assert_ptr_equal(us.current, b.ini);
	assert_ptr_equal(us.previous, a.ini);
	assert_ptr_equal(wf_session_sendable(&us, &l, 1000), b.ini);
	/* 29: until b is proven they still send on a.resp: it decrypts on our
	 * previous */
	answered(b.resp, 200, 2, true);
	assert_int_equal(answer(&them, b.resp, 200), 0); /* from where we are: slot 0 */
	assert_ptr_equal(wf_session_sendable(&them, &l, 1000), a.resp);
	seal(a.resp, WF_MSG_DATA, 30, &d);
	accept_ok(us.previous, &d, 29);
	assert_ptr_equal(us.current, b.ini);
	/* 30: our first packet on b rotates them: a.resp becomes previous */
	seal(b.ini, WF_MSG_DATA, 30, &d);
	accept_ok(b.resp, &d, 30);
	wf_session_prove(&them, b.resp, dropped);
	assert_null(dropped[0]);
	assert_ptr_equal(them.current, b.resp);
	assert_ptr_equal(them.previous, a.resp);
	assert_int_equal(them.proven_ts, 200);
	/* 31: packets in flight on the old keys still decrypt on both sides */
	seal(a.ini, WF_MSG_DATA, 30, &d);
	accept_ok(them.previous, &d, 31);
	seal(a.resp, WF_MSG_DATA, 30, &d);
	accept_ok(us.previous, &d, 31);

	/* 32: a third rotation: a falls out, exactly once on each side */
	pair_new(&c, WF_CIPHER_AES256GCM, 22, 2000);
	wf_session_install(&us, c.ini, &one);
	assert_ptr_equal(one, a.ini);
	wf_keypair_free(one);
	answered(c.resp, 300, 3, true);
	assert_int_equal(answer(&them, c.resp, 300), 0);
	wf_session_prove(&them, c.resp, dropped);
	assert_ptr_equal(dropped[0], a.resp);
	assert_null(dropped[1]);
	wf_keypair_free(a.resp);
	assert_ptr_equal(them.current, c.resp);
	assert_ptr_equal(them.previous, b.resp);
	/* 33: clear hands everything back, and keeps the replay bar */
	wf_session_clear(&us, dropped);
	assert_dropped(dropped, WF_SESSION_DROP_MAX,
		       (struct wf_keypair *[]){c.ini, b.ini, NULL, NULL, NULL, NULL});
	assert_null(us.current);
	assert_null(us.previous);
	wf_keypair_free(c.ini);
	wf_keypair_free(b.ini);
	wf_session_clear(&them, dropped);
	assert_dropped(dropped, 2, (struct wf_keypair *[]){c.resp, b.resp});
	assert_int_equal(them.proven_ts, 300);
	wf_keypair_free(c.resp);
	wf_keypair_free(b.resp);
}

/* 34-37: crossing handshakes. */
static void test_crossing(void **state)
{
	struct wf_session s = {0};
	struct wf_keypair *dropped[WF_SESSION_DROP_MAX], *one;
	struct pair a, b, c;

	(void)state;
	pair_new(&a, WF_CIPHER_CHACHAPOLY, 30, 0);
	pair_new(&b, WF_CIPHER_CHACHAPOLY, 31, 10);
	pair_new(&c, WF_CIPHER_CHACHAPOLY, 32, 20);
	wf_session_install(&s, a.ini, &one); /* current a */
	/* 34: we answer their initiation (b), pending */
	answered(b.resp, 50, 4, true);
	assert_int_equal(answer(&s, b.resp, 50), 0);
	/* 35: our own initiation (c) completes after that: current at once */
	wf_session_install(&s, c.ini, &one);
	assert_null(one);
	assert_ptr_equal(s.current, c.ini);
	assert_ptr_equal(s.previous, a.ini);
	/* 36: their first packet on b proves it; b is older than our c, so it
	 * stays receivable as previous and the older a goes */
	wf_session_prove(&s, b.resp, dropped);
	assert_dropped(dropped, 2, (struct wf_keypair *[]){a.ini, NULL});
	assert_ptr_equal(s.current, c.ini);
	assert_ptr_equal(s.previous, b.resp);
	/* 37: the bar moved all the same */
	assert_int_equal(s.proven_ts, 50);
	wf_session_clear(&s, dropped);
	assert_dropped(dropped, 3, (struct wf_keypair *[]){c.ini, b.resp, NULL});
	wf_keypair_free(a.ini);
	wf_keypair_free(a.resp);
	pair_free(&b);
	pair_free(&c);
}

/*
 * 56: two handshakes cross (both ends initiate at once, as after a restart
 * when each notices the other at the same moment). Handshake A is ours, B is
 * theirs; each end answers the other's initiation before its own completes.
 * Afterwards each sends on its own initiator keypair, and each must be able
 * to read what the other sends: nothing may be lost to the crossing.
 */
static void test_crossing_both_ends(void **state)
{
	static struct dgram d;
	struct wf_session us = {0}, them = {0};
	struct wf_keypair *dropped[WF_SESSION_DROP_MAX], *one;
	struct wf_session_limits l;
	struct pair a, b;

	(void)state;
	wf_session_limits_default(&l, 120000);
	pair_new(&a, WF_CIPHER_AES256GCM, 40, 0); /* us -> them */
	pair_new(&b, WF_CIPHER_AES256GCM, 41, 0); /* them -> us */
	answered(a.resp, 10, 5, false);
	answered(b.resp, 11, 6, false);
	assert_int_equal(answer(&them, a.resp, 11), 1); /* they answer A */
	assert_int_equal(answer(&us, b.resp, 11), 1);   /* we answer B */
	a.ini->created_ms = b.ini->created_ms = 5;      /* each completes later */
	wf_session_install(&us, a.ini, &one);            /* A completes for us */
	wf_session_install(&them, b.ini, &one);          /* B completes for them */
	assert_ptr_equal(wf_session_sendable(&us, &l, 5), a.ini);
	assert_ptr_equal(wf_session_sendable(&them, &l, 5), b.ini);
	/* what we send proves A for them, and becomes their previous */
	seal(a.ini, WF_MSG_DATA, 100, &d);
	accept_ok(a.resp, &d, 56);
	wf_session_prove(&them, a.resp, dropped);
	assert_ptr_equal(them.previous, a.resp);
	assert_ptr_equal(them.current, b.ini);
	seal(b.ini, WF_MSG_DATA, 100, &d);
	accept_ok(b.resp, &d, 56);
	wf_session_prove(&us, b.resp, dropped);
	assert_ptr_equal(us.previous, b.resp);
	assert_ptr_equal(us.current, a.ini);
	/* and both directions keep working */
	seal(a.ini, WF_MSG_DATA, 100, &d);
	accept_ok(them.previous, &d, 56);
	seal(b.ini, WF_MSG_DATA, 100, &d);
	accept_ok(us.previous, &d, 56);
	wf_session_clear(&us, dropped);
	assert_dropped(dropped, 2, (struct wf_keypair *[]){a.ini, b.resp});
	wf_session_clear(&them, dropped);
	assert_dropped(dropped, 2, (struct wf_keypair *[]){b.ini, a.resp});
	pair_free(&a);
	pair_free(&b);
}

/*
 * 57-68: unproven initiations (the lock-out of hardening item 1). A forger
 * can make as many initiations for a peer as it likes, with any timestamp;
 * none of them may raise the replay bar, touch current or previous, or push
 * out an initiation that came from where the peer really is.
 */
static void test_judge(void **state)
{
	const uint64_t now = 1000ULL * 1000000000ULL;
	struct wf_session s = {0};
	struct wf_keypair *dropped[WF_SESSION_DROP_MAX], *one, *kp[8];
	uint8_t hash[WF_INIT_HASH_LEN];
	struct pair cur;
	int slot = -7;

	(void)state;
	pair_new(&cur, WF_CIPHER_AES256GCM, 60, 0);
	wf_session_install(&s, cur.ini, &one);
	s.proven_ts = now - 5000;
	for (int i = 0; i < 8; i++) {
		uint8_t c1[WF_KEY_LEN] = {(uint8_t)i}, c2[WF_KEY_LEN] = {0};

		kp[i] = wf_keypair_new(WF_CIPHER_AES256GCM, c1, c2, false, 0, 0, 100 + i, 1);
		assert_non_null(kp[i]);
	}
	memset(hash, 0x77, sizeof(hash));
	/* 57: not newer than the bar: a replay, whatever else */
	assert_int_equal(judge(&s, hash, now - 5000, now, true, 0xe0, false, &slot), WF_INIT_REPLAY);
	assert_int_equal(judge(&s, hash, now - 9000, now, false, 0xe0, false, &slot), WF_INIT_REPLAY);
	/* 58: just newer is fine; far ahead of our clock is not */
	assert_int_equal(judge(&s, hash, now - 4999, now, false, 0xe0, false, &slot), WF_INIT_ACCEPT);
	assert_int_equal(judge(&s, hash, now + WF_INIT_AHEAD_MAX_NS, now, false, 0xe0, false, &slot),
			 WF_INIT_ACCEPT);
	assert_int_equal(
	    judge(&s, hash, now + WF_INIT_AHEAD_MAX_NS + 1, now, false, 0xe0, false, &slot),
	    WF_INIT_FUTURE);
	assert_int_equal(judge(&s, hash, UINT64_MAX, now, true, 0xe0, false, &slot), WF_INIT_FUTURE);
	/* 59: from the peer's endpoint: slot 0; from elsewhere: a shared one */
	assert_int_equal(judge(&s, hash, now, now, true, 0xe0, false, &slot), WF_INIT_ACCEPT);
	assert_int_equal(slot, 0);
	assert_int_equal(judge(&s, hash, now, now, false, 0xe0, false, &slot), WF_INIT_ACCEPT);
	assert_int_equal(slot, 1);
	/* 60: the genuine initiation, from the endpoint, goes pending */
	answered(kp[0], now, 0x10, true);
	assert_int_equal(answer(&s, kp[0], now), 0);
	/* 61: an exact copy of it is a duplicate, from anywhere */
	assert_int_equal(judge(&s, kp[0]->init_hash, now, now, false, 0xe0, false, &slot),
			 WF_INIT_DUPLICATE);
	assert_int_equal(judge(&s, kp[0]->init_hash, now, now, true, 0xe0, false, &slot),
			 WF_INIT_DUPLICATE);
	/* 62: forgeries from elsewhere, each from another source, fill the
	 * shared slots; then, the address unproved, they are asked to prove it
	 * (busy), and with it proved each takes the oldest; never slot 0 */
	for (int i = 1; i <= 6; i++) {
		bool proved = i > 4;

		answered(kp[i], now + (uint64_t)i * 1000000000ULL, (uint8_t)(0x20 + i), false);
		kp[i]->source[1] = (uint8_t)i;
		kp[i]->validated = proved;
		if (i == 4) {
			assert_int_equal(judge(&s, kp[i]->init_hash, kp[i]->hs_timestamp, now, false,
					       (uint8_t)i, false, &slot),
					 WF_INIT_BUSY);
			continue;
		}
		assert_int_equal(judge(&s, kp[i]->init_hash, kp[i]->hs_timestamp, now, false,
				       (uint8_t)i, proved, &slot),
				 WF_INIT_ACCEPT);
		assert_int_not_equal(slot, 0);
		wf_session_add_pending(&s, slot, kp[i], &one);
		if (i <= 3) {
			assert_int_equal(slot, i);
			assert_null(one);
		} else {
			assert_ptr_equal(one, kp[i - 4]); /* the oldest shared one */
			wf_keypair_free(one);
		}
		assert_ptr_equal(s.pending[0], kp[0]);
	}
	wf_keypair_free(kp[4]);
	kp[4] = NULL;
	/* 63: none of that moved the bar, current or previous */
	assert_int_equal(s.proven_ts, now - 5000);
	assert_ptr_equal(s.current, cur.ini);
	assert_null(s.previous);
	/* 64: the genuine one, from the endpoint, is the answer our own
	 * handshake may wait for (core/lifecycle.c); the forgeries from
	 * elsewhere are not */
	assert_int_equal(wf_session_answered_ms(&s), 100);
	kp[0]->from_endpoint = false;
	assert_int_equal(wf_session_answered_ms(&s), 0);
	kp[0]->from_endpoint = true;
	/* 65: proving the genuine one keeps the forgeries stamped later, and
	 * the bar is its own time, not theirs */
	wf_session_prove(&s, kp[0], dropped);
	assert_int_equal(s.proven_ts, now);
	assert_null(s.pending[0]);
	assert_int_equal(count_pending(&s), 3);
	assert_ptr_equal(dropped[0], NULL); /* previous was empty */
	assert_ptr_equal(s.current, kp[0]); /* newer than cur.ini */
	assert_ptr_equal(s.previous, cur.ini);
	/* 66: a proven initiation retires every pending one not newer */
	answered(kp[7], now + 10ULL * 1000000000ULL, 0x40, true);
	assert_int_equal(answer(&s, kp[7], now), 0);
	wf_session_prove(&s, kp[7], dropped);
	assert_int_equal(count_pending(&s), 0);
	{
		int n = 0;

		/* the three forgeries left, and the old previous (cur.ini) */
		for (int i = 0; i < WF_SESSION_DROP_MAX; i++) {
			n += dropped[i] && dropped[i] != cur.ini;
			wf_keypair_free(dropped[i]);
		}
		assert_int_equal(n, 3);
	}
	assert_ptr_equal(s.current, kp[7]);
	assert_ptr_equal(s.previous, kp[0]);
	/* 67: an initiation at the bar itself is a replay */
	assert_int_equal(judge(&s, hash, now + 10ULL * 1000000000ULL, now, true, 0xe0, false, &slot),
			 WF_INIT_REPLAY);
	/* 68: expiry takes pending keypairs too, at reject_after */
	{
		struct wf_session_limits l;

		wf_session_limits_default(&l, 1000);
		answered(cur.resp, now + 20ULL * 1000000000ULL, 0x50, false);
		cur.resp->created_ms = 100;
		assert_int_equal(answer(&s, cur.resp, now), 1);
		assert_int_equal(wf_session_expire(&s, &l, 100 + l.reject_after_ms - 1, dropped),
				 0);
		/* kp[0] (previous) and cur.resp (pending) were made at 100, kp[7]
		 * (current) at 107 */
		assert_int_equal(wf_session_expire(&s, &l, 107 + l.reject_after_ms, dropped), 3);
		assert_int_equal(count_pending(&s), 0);
		assert_null(s.current);
	}
	for (int i = 0; i < 3; i++)
		wf_keypair_free(dropped[i]);
}

/*
 * 74-79: slots by source (the lock-out before proof). A node with no proven
 * endpoint here yet shares the shared slots with anyone's forgeries claiming
 * its key: a source may push out only its own, and when every slot is
 * another source's, only an initiation that proved its address (a cookie's
 * mac2) gets in, pushing out one that did not.
 */
static void test_sources(void **state)
{
	const uint64_t now = 1000ULL * 1000000000ULL;
	struct wf_session s = {0};
	struct wf_keypair *kp[8], *out;
	int slot = -1;

	(void)state;
	for (int i = 0; i < 8; i++) {
		uint8_t c1[WF_KEY_LEN] = {(uint8_t)i}, c2[WF_KEY_LEN] = {0};

		kp[i] = wf_keypair_new(WF_CIPHER_AES256GCM, c1, c2, false, 0, 0, 100 + i, 1);
		assert_non_null(kp[i]);
		answered(kp[i], now + (uint64_t)i, (uint8_t)(0x60 + i), false);
	}
	/* 74: a forger at one address (F), fast: it only ever replaces its own */
	kp[0]->source[1] = kp[1]->source[1] = kp[2]->source[1] = 'F';
	assert_int_equal(answer(&s, kp[0], now), 1);
	assert_int_equal(judge(&s, kp[1]->init_hash, kp[1]->hs_timestamp, now, false, 'F', false,
			       &slot),
			 WF_INIT_ACCEPT);
	assert_int_equal(slot, 1);
	wf_session_add_pending(&s, slot, kp[1], &out);
	assert_ptr_equal(out, kp[0]);
	wf_keypair_free(out);
	/* 75: the genuine node (X, first contact) gets a slot of its own, and
	 * F's next forgery does not touch it */
	kp[3]->source[1] = 'X';
	assert_int_equal(answer(&s, kp[3], now), 2);
	assert_int_equal(judge(&s, kp[2]->init_hash, kp[2]->hs_timestamp, now, false, 'F', false,
			       &slot),
			 WF_INIT_ACCEPT);
	assert_int_equal(slot, 1);
	wf_session_add_pending(&s, slot, kp[2], &out);
	assert_ptr_equal(out, kp[1]);
	wf_keypair_free(out);
	assert_ptr_equal(s.pending[2], kp[3]);
	/* 76: spoofed sources fill the last slot, then are busy (asked to
	 * prove their address, which they cannot) */
	kp[4]->source[1] = 'S';
	assert_int_equal(answer(&s, kp[4], now), 3);
	assert_int_equal(judge(&s, kp[5]->init_hash, kp[5]->hs_timestamp, now, false, 'T', false,
			       &slot),
			 WF_INIT_BUSY);
	/* 77: X again, its address not proved: busy; proved, it gets in,
	 * pushing out the oldest that did not prove one (F's, made at 102) */
	assert_int_equal(judge(&s, kp[5]->init_hash, kp[5]->hs_timestamp, now, false, 'Y', false,
			       &slot),
			 WF_INIT_BUSY);
	kp[5]->source[1] = 'Y';
	kp[5]->validated = true;
	assert_int_equal(judge(&s, kp[5]->init_hash, kp[5]->hs_timestamp, now, false, 'Y', true,
			       &slot),
			 WF_INIT_ACCEPT);
	assert_int_equal(slot, 1);
	wf_session_add_pending(&s, slot, kp[5], &out);
	assert_ptr_equal(out, kp[2]);
	wf_keypair_free(out);
	/* 78: from the peer's endpoint: slot 0, whatever the others hold */
	assert_int_equal(judge(&s, kp[6]->init_hash, kp[6]->hs_timestamp, now, true, 'Z', false,
			       &slot),
			 WF_INIT_ACCEPT);
	assert_int_equal(slot, 0);
	/* 79: every shared slot proved: a proved newcomer takes the oldest */
	kp[3]->validated = kp[4]->validated = true;
	assert_int_equal(judge(&s, kp[7]->init_hash, kp[7]->hs_timestamp, now, false, 'W', true,
			       &slot),
			 WF_INIT_ACCEPT);
	assert_int_equal(slot, 2); /* kp[3], made at 103 */
	{
		struct wf_keypair *dropped[WF_SESSION_DROP_MAX];

		wf_session_clear(&s, dropped);
		for (int i = 0; i < WF_SESSION_DROP_MAX; i++)
			wf_keypair_free(dropped[i]);
	}
	wf_keypair_free(kp[6]);
	wf_keypair_free(kp[7]);
}

/* 69-70: the answer our own handshake may wait for: the youngest from
 * where the peer is (the rule itself, and its credit: unit/test_lifecycle). */
static void test_answered(void **state)
{
	struct wf_session s = {0};
	struct wf_keypair *out;
	uint8_t c[WF_KEY_LEN] = {0};
	struct wf_keypair *a = wf_keypair_new(WF_CIPHER_AES256GCM, c, c, false, 0, 0, 1000, 1);
	struct wf_keypair *b = wf_keypair_new(WF_CIPHER_AES256GCM, c, c, false, 0, 0, 1500, 1);

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	/* 69: nothing pending: none */
	assert_int_equal(wf_session_answered_ms(&s), 0);
	/* 70: from the endpoint (slot 0) and from elsewhere: the former's */
	answered(a, 1, 1, true);
	wf_session_add_pending(&s, 0, a, &out);
	answered(b, 2, 2, false);
	wf_session_add_pending(&s, 1, b, &out);
	assert_int_equal(wf_session_answered_ms(&s), 1000);
	wf_keypair_free(a);
	wf_keypair_free(b);
}

/* 38-44: when to start a new handshake. */
static void test_rekey_timing(void **state)
{
	const int64_t t0 = 5000, r = 120000;
	struct wf_session s = {0};
	struct wf_session_limits l;
	struct pair p;

	(void)state;
	wf_session_limits_default(&l, r);
	pair_new(&p, WF_CIPHER_AES256GCM, 40, t0);
	/* 38: nothing to send with: yes */
	assert_true(wf_session_wants_rekey(&s, &l, t0));
	/* 39: a pending responder keypair does not count */
	s.pending[0] = p.resp;
	assert_true(wf_session_wants_rekey(&s, &l, t0));
	assert_null(wf_session_sendable(&s, &l, t0));
	s.pending[0] = NULL;
	/* 40: the initiator rekeys at rekey_after */
	s.current = p.ini;
	assert_false(wf_session_wants_rekey(&s, &l, t0));
	assert_false(wf_session_wants_rekey(&s, &l, t0 + r - 1));
	assert_true(wf_session_wants_rekey(&s, &l, t0 + r));
	/* 41: the responder 10 % later, so the two ends rarely cross */
	s.current = p.resp;
	assert_false(wf_session_wants_rekey(&s, &l, t0 + r));
	assert_false(wf_session_wants_rekey(&s, &l, t0 + r + r / 10 - 1));
	assert_true(wf_session_wants_rekey(&s, &l, t0 + r + r / 10));
	/* 42: both still send until reject_after */
	assert_ptr_equal(wf_session_sendable(&s, &l, t0 + l.reject_after_ms - 1), p.resp);
	/* 43: the message count triggers it too, whatever the age */
	s.current = p.ini;
	l.rekey_after_messages = 1000;
	p.ini->send_counter = 999;
	assert_false(wf_session_wants_rekey(&s, &l, t0));
	p.ini->send_counter = 1000;
	assert_true(wf_session_wants_rekey(&s, &l, t0));
	/* 44: but wearing out is not expiry: still sendable */
	assert_ptr_equal(wf_session_sendable(&s, &l, t0), p.ini);
	pair_free(&p);
}

/* 45-50: expiry at reject_after, slot by slot. */
static void test_expiry(void **state)
{
	const int64_t rej = 180000;
	struct wf_session s = {0};
	struct wf_keypair *dropped[WF_SESSION_DROP_MAX], *one;
	struct wf_session_limits l;
	struct pair a, b, c;

	(void)state;
	wf_session_limits_default(&l, 120000);
	assert_int_equal(l.reject_after_ms, rej);
	pair_new(&a, WF_CIPHER_AES256GCM, 50, 0);
	pair_new(&b, WF_CIPHER_AES256GCM, 51, 60000);
	pair_new(&c, WF_CIPHER_AES256GCM, 52, 100000);
	wf_session_install(&s, a.ini, &one);
	wf_session_install(&s, b.ini, &one);
	answered(c.resp, 1, 9, false);
	assert_int_equal(answer(&s, c.resp, 1), 1);
	/* 45: nothing expires before reject_after */
	assert_int_equal(wf_session_expire(&s, &l, rej - 1, dropped), 0);
	assert_dropped(dropped, WF_SESSION_DROP_MAX,
		       (struct wf_keypair *[]){NULL, NULL, NULL, NULL, NULL, NULL});
	assert_ptr_equal(wf_session_sendable(&s, &l, rej - 1), b.ini);
	/* 46: previous (a) goes at exactly reject_after */
	assert_int_equal(wf_session_expire(&s, &l, rej, dropped), 1);
	assert_dropped(dropped, 2, (struct wf_keypair *[]){a.ini, NULL});
	assert_null(s.previous);
	assert_ptr_equal(s.current, b.ini);
	assert_ptr_equal(s.pending[1], c.resp);
	/* 47: current (b) stops being sendable at its reject_after */
	assert_ptr_equal(wf_session_sendable(&s, &l, 60000 + rej - 1), b.ini);
	assert_null(wf_session_sendable(&s, &l, 60000 + rej));
	assert_true(wf_session_wants_rekey(&s, &l, 60000 + rej));
	assert_int_equal(wf_session_expire(&s, &l, 60000 + rej, dropped), 1);
	assert_dropped(dropped, 2, (struct wf_keypair *[]){b.ini, NULL});
	assert_null(s.current);
	/* 48: an unproven pending keypair expires too */
	assert_int_equal(wf_session_expire(&s, &l, 100000 + rej, dropped), 1);
	assert_dropped(dropped, 2, (struct wf_keypair *[]){c.resp, NULL});
	assert_int_equal(count_pending(&s), 0);
	/* 49: an empty session has nothing to expire */
	assert_int_equal(wf_session_expire(&s, &l, INT64_MAX / 2, dropped), 0);
	/* 50: all at once, packed to the front */
	s.pending[3] = c.resp;
	s.current = b.ini;
	s.previous = a.ini;
	assert_int_equal(wf_session_expire(&s, &l, 100000 + rej, dropped), 3);
	assert_dropped(dropped, 4, (struct wf_keypair *[]){b.ini, a.ini, c.resp, NULL});
	assert_null(s.pending[3]);
	assert_null(s.current);
	assert_null(s.previous);
	pair_free(&a);
	pair_free(&b);
	pair_free(&c);
}

/*
 * 51: random install / answer / prove / expire / clear sequences. Every
 * keypair is created once; it must leave the session exactly once (through
 * dropped[]) and is freed right then, so a second report is a double free
 * under ASan and a missing one a leak. The slots must never hold the same
 * keypair twice, pending slots hold only unproven responder keypairs, and the
 * replay bar only rises, and only on proof.
 */
enum { FUZZ_STEPS = 20000, MAX_KP = FUZZ_STEPS + 8 };

struct tracker {
	struct wf_keypair *kp[MAX_KP];
	int state[MAX_KP]; /* 1 in the session, 2 dropped */
	int n, in_use;
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 32);
}

static int find(const struct tracker *t, const struct wf_keypair *kp)
{
	for (int i = t->n - 1; i >= 0; i--)
		if (t->kp[i] == kp)
			return i;
	return -1;
}

static void dropped_one(struct tracker *t, struct wf_keypair *kp, long step)
{
	int i;

	if (!kp)
		return;
	i = find(t, kp);
	if (i < 0 || t->state[i] != 1) {
		print_error("step %ld: keypair %d dropped while not in the session\n", step, i);
		fail();
	}
	t->state[i] = 2;
	t->in_use--;
	wf_keypair_free(kp);
}

static int all_slots(const struct wf_session *s, struct wf_keypair *out[WF_SESSION_DROP_MAX])
{
	int n = 0;

	out[n++] = s->current;
	out[n++] = s->previous;
	for (int i = 0; i < WF_PENDING_SLOTS; i++)
		out[n++] = s->pending[i];
	return n;
}

static void check_slots(const struct wf_session *s, const struct tracker *t, long step)
{
	struct wf_keypair *slots[WF_SESSION_DROP_MAX];
	int n = all_slots(s, slots), used = 0;

	for (int i = 0; i < n; i++) {
		used += slots[i] != NULL;
		for (int j = i + 1; j < n; j++)
			if (slots[i] && slots[i] == slots[j]) {
				print_error("step %ld: slots %d and %d hold one keypair\n", step, i,
					    j);
				fail();
			}
	}
	for (int i = 0; i < WF_PENDING_SLOTS; i++)
		if (s->pending[i] && (s->pending[i]->initiator || s->pending[i]->proven)) {
			print_error("step %ld: pending slot %d holds a proven keypair\n", step, i);
			fail();
		}
	if ((s->current && !s->current->proven) || (s->previous && !s->previous->proven)) {
		print_error("step %ld: an unproven keypair is current or previous\n", step);
		fail();
	}
	if (t->in_use != used) {
		print_error("step %ld: %d keypairs in use, but the slots hold %d\n", step,
			    t->in_use, used);
		fail();
	}
}

static struct wf_keypair *tracked_new(struct tracker *t, bool initiator, int64_t now)
{
	uint8_t key[WF_KEY_LEN] = {0};
	struct wf_keypair *kp = wf_keypair_new(WF_CIPHER_CHACHAPOLY, key, key, initiator, 0, 0, now, 1);

	assert_non_null(kp);
	t->kp[t->n] = kp;
	t->state[t->n++] = 1;
	t->in_use++;
	return kp;
}

static void random_answer(struct wf_session *s, struct tracker *t, int64_t now, long step)
{
	uint64_t ts = rng() % 4096, bar = s->proven_ts;
	bool from = rng() % 2, proved = rng() % 2;
	uint8_t src = (uint8_t)(rng() % 5);
	enum wf_init_verdict v;
	uint8_t hash[WF_INIT_HASH_LEN] = {0};
	struct wf_keypair *kp, *out;
	int slot;

	wf_put_le64(hash, (uint64_t)step);
	v = judge(s, hash, ts, 2048, from, src, proved, &slot);
	if (v == WF_INIT_BUSY && (from || proved)) {
		print_error("step %ld: busy for one from the endpoint or with its address proved\n",
			    step);
		fail();
	}
	if (v != WF_INIT_ACCEPT) {
		if (ts > bar && ts <= 2048 + WF_INIT_AHEAD_MAX_NS && v != WF_INIT_BUSY) {
			print_error("step %ld: a fresh initiation was refused\n", step);
			fail();
		}
		return;
	}
	if (from != (slot == 0)) {
		print_error("step %ld: slot %d for from_endpoint %d\n", step, slot, from);
		fail();
	}
	kp = tracked_new(t, false, now);
	answered(kp, ts, 0, from);
	kp->source[1] = src;
	kp->validated = proved;
	memcpy(kp->init_hash, hash, sizeof(hash));
	/* One shared slot a source: what it pushes out is its own, or (its
	 * address proved) what did not prove one, if anything */
	if (slot && s->pending[slot] && s->pending[slot]->source[1] != src) {
		bool any_unproved = false;

		for (int i = 1; i < WF_PENDING_SLOTS; i++)
			any_unproved |= !s->pending[i]->validated;
		if (!proved || (any_unproved && s->pending[slot]->validated)) {
			print_error("step %ld: source %u pushed out another's\n", step, src);
			fail();
		}
	}
	wf_session_add_pending(s, slot, kp, &out);
	dropped_one(t, out, step);
	if (s->proven_ts != bar) {
		print_error("step %ld: an unproven initiation moved the bar\n", step);
		fail();
	}
}

static void random_step(struct wf_session *s, struct tracker *t, const struct wf_session_limits *l,
			int64_t now, long step)
{
	struct wf_keypair *dropped[WF_SESSION_DROP_MAX] = {NULL}, *kp, *one;
	uint32_t r = rng() % 100;

	if (r < 25) {
		kp = tracked_new(t, true, now);
		wf_session_install(s, kp, &one);
		dropped_one(t, one, step);
		assert_ptr_equal(s->current, kp);
	} else if (r < 55) {
		random_answer(s, t, now, step);
	} else if (r < 85) {
		uint64_t bar = s->proven_ts;

		kp = s->pending[rng() % WF_PENDING_SLOTS];
		if (!kp)
			return;
		wf_session_prove(s, kp, dropped);
		for (int i = 0; i < WF_SESSION_DROP_MAX; i++)
			dropped_one(t, dropped[i], step);
		if (s->proven_ts < bar || s->proven_ts < kp->hs_timestamp ||
		    (s->current != kp && s->previous != kp)) {
			print_error("step %ld: a proven keypair did not rotate in\n", step);
			fail();
		}
	} else if (r < 98) {
		int n = wf_session_expire(s, l, now, dropped);

		for (int i = 0; i < WF_SESSION_DROP_MAX; i++) {
			if ((i < n) != (dropped[i] != NULL)) {
				print_error("step %ld: expire said %d, dropped[%d] %p\n", step, n,
					    i, (void *)dropped[i]);
				fail();
			}
			dropped_one(t, dropped[i], step);
		}
	} else {
		wf_session_clear(s, dropped);
		for (int i = 0; i < WF_SESSION_DROP_MAX; i++)
			dropped_one(t, dropped[i], step);
	}
}

static void test_random_ownership(void **state)
{
	static struct tracker t;
	struct wf_session s = {0};
	struct wf_keypair *dropped[WF_SESSION_DROP_MAX];
	struct wf_session_limits l;
	int64_t now = 0;

	(void)state;
	wf_session_limits_default(&l, 1000);
	for (long step = 0; step < FUZZ_STEPS; step++) {
		now += rng() % 200;
		random_step(&s, &t, &l, now, step);
		check_slots(&s, &t, step);
	}
	wf_session_clear(&s, dropped);
	for (int i = 0; i < WF_SESSION_DROP_MAX; i++)
		dropped_one(&t, dropped[i], FUZZ_STEPS);
	for (int i = 0; i < t.n; i++) {
		if (t.state[i] != 2) {
			print_error("keypair %d never left the session\n", i);
			fail();
		}
	}
	print_message("%d keypairs, each dropped once\n", t.n);
}

/*
 * 52-55: handshake retry backoff. Each row: timeout, attempt, the delay
 * without jitter; the result must lie within +-20 % of it for any random
 * input, and hit both ends.
 */
static void test_backoff(void **state)
{
	static const struct {
		int case_no;
		int64_t timeout;
		unsigned attempts;
		int64_t base;
	} rows[] = {
	    {52, 5000, 0, 5000},  /* the first wait is the timeout */
	    {53, 5000, 2, 20000}, /* doubled per attempt */
	    {54, 5000, 4, 60000}, /* 80 s capped at 60 s */
	    {55, 1000, 9, 32000}, /* at most 32x, however many attempts */
	};
	static const uint32_t rnd[] = {0, 1, 12345, 0x7fffffff, 0xffffffff};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int64_t lo = rows[i].base * 8 / 10, hi = rows[i].base * 12 / 10, min = hi, max = lo;

		for (size_t j = 0; j < sizeof(rnd) / sizeof(rnd[0]); j++) {
			int64_t t = wf_handshake_backoff_ms(rows[i].timeout, rows[i].attempts, rnd[j]);

			if (t < lo || t > hi) {
				print_error("case %d: %lld ms outside [%lld, %lld]\n", rows[i].case_no,
					    (long long)t, (long long)lo, (long long)hi);
				fail();
			}
			min = t < min ? t : min;
			max = t > max ? t : max;
		}
		for (uint32_t r = 0; r <= (uint32_t)(hi - lo); r++) {
			int64_t t = wf_handshake_backoff_ms(rows[i].timeout, rows[i].attempts, r);

			min = t < min ? t : min;
			max = t > max ? t : max;
		}
		if (min != lo || max != hi) {
			print_error("case %d: jitter spans [%lld, %lld], want [%lld, %lld]\n",
				    rows[i].case_no, (long long)min, (long long)max, (long long)lo,
				    (long long)hi);
			fail();
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),	   cmocka_unit_test(test_header_and_keys),
	    cmocka_unit_test(test_replay),	   cmocka_unit_test(test_forgery),
	    cmocka_unit_test(test_window),	   cmocka_unit_test(test_counter_limit),
	    cmocka_unit_test(test_limits_default), cmocka_unit_test(test_rotation),
	    cmocka_unit_test(test_crossing),	   cmocka_unit_test(test_crossing_both_ends),
	    cmocka_unit_test(test_judge),
	    cmocka_unit_test(test_sources),	   cmocka_unit_test(test_answered),
	    cmocka_unit_test(test_rekey_timing),
	    cmocka_unit_test(test_expiry),	   cmocka_unit_test(test_random_ownership),
	    cmocka_unit_test(test_backoff),	   cmocka_unit_test(test_keyed_on_use),
	    cmocka_unit_test(test_lines_apart),
	};

	wf_crypto_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
