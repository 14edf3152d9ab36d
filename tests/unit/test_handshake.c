/* SPDX-License-Identifier: MIT */
/*
 * The daemon's acceptance rules, end to end but without a socket: a real
 * daemon (v, 100.64.0.1) driven through wf_handshake_receive and
 * wf_data_receive, with what it sends captured (tests/common/harness.h,
 * linked with -Wl,--wrap=sendto). Members x (100.64.0.2), an old certificate
 * of x's name and address with another key (xold), a member whose routed
 * subnet covers x's address (cover), and an attacker who holds no key.
 *
 * What must hold (hardening items 1-5): nothing unproven raises the replay
 * bar, evicts what came from where the peer is, adds a route, replaces a
 * certificate or moves an endpoint; conflicts follow wf_cert_supersedes; a
 * packet's source must route back to its sender; cheap checks come first,
 * cookies under load and for answers larger than the question; a forged
 * response does not cost us our handshake. Cases are numbered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../common/harness.h"
#include "daemon/cache.h"
#include "daemon/membership.h"
#include "daemon/notice.h"
#include "daemon/revoked.h"
#include "store/keyfile.h"
#include "daemon/mtu.h"
#include "daemon/peer.h"
#include "daemon/status.h"
#include "daemon/timers.h"
#include "daemon/udp.h"
#include "common/csum.h"

/* calloc, failing once on demand (linked with --wrap=calloc). */
void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);
static int calloc_fail;

void *__wrap_calloc(size_t n, size_t size)
{
	if (calloc_fail) {
		calloc_fail--;
		return NULL;
	}
	return __real_calloc(n, size);
}

static struct hn_node v, x, xold, cover, m;
static const union wf_endpoint *X_AT, *EVIL_AT;
static union wf_endpoint x_at, evil_at, cover_at;

static uint64_t now_ns(int64_t offset_ms)
{
	return wf_realtime_ns() + (uint64_t)(offset_ms * 1000000);
}

/* The member holding kp sends d a MEMBER message: cert, reachable at `at`. */
static void member_msg(struct wf_daemon *d, struct wf_keypair *kp, const struct wf_cert *cert,
		       const char *at)
{
	static uint8_t msg[WF_DATA_OVERHEAD + 2048];
	uint8_t enc[WF_CERT_MAX_ENCODED], member[1200];
	union wf_endpoint ep = hn_ep(at);
	size_t n = wf_cert_encode(cert, enc, sizeof(enc)), len;

	n = wf_member_encode(enc, n, &ep, member, sizeof(member));
	len = hn_seal(kp, WF_MSG_CONTROL, member, n, msg);
	assert_true(n && len);
	hn_feed(d, msg, len, X_AT, HN_NOW);
}

/* ... a gossip record: key is alive (incarnation 1), no endpoint. */
static void alive_rec(struct wf_daemon *d, struct wf_keypair *kp, const uint8_t *key)
{
	static uint8_t msg[WF_DATA_OVERHEAD + 64];
	uint8_t upd[2 + 42] = {WF_GOSSIP_UPDATES, 0};
	size_t len;

	memcpy(upd + 2, key, WF_KEY_LEN);
	wf_put_le64(upd + 34, 1);
	upd[42] = WF_GS_ALIVE;
	len = hn_seal(kp, WF_MSG_CONTROL, upd, sizeof(upd), msg);
	assert_true(len);
	hn_feed(d, msg, len, X_AT, HN_NOW);
}

/* The member holding kp tells d about cert, reachable at `at`, as members
 * do: a gossip record of its key, and (d asks for the certificate) the
 * MEMBER message that answers. */
static void tell(struct wf_daemon *d, struct wf_keypair *kp, const struct wf_cert *cert,
		 const char *at)
{
	alive_rec(d, kp, cert->pubkey);
	member_msg(d, kp, cert, at);
}

static struct wf_peer *owner(struct wf_daemon *d, const char *addr)
{
	struct wf_prefix p;

	assert_true(wf_addr_parse(&p, addr));
	return wf_routes_lookup(d->peers.routes, p.family, p.addr);
}

static int setup(void **state)
{
	wf_crypto_init();
	wf_log_set_level(WF_LOG_ERROR);
	if (!hn_network() || !hn_node(&v, "v", 1, "100.64.0.1", NULL, 60) ||
	    !hn_node(&x, "x", 2, "100.64.0.2", NULL, 60) ||
	    !hn_node(&xold, "x", 3, "100.64.0.2", NULL, 7200) ||
	    !hn_node(&cover, "cover", 4, "100.64.0.7", "100.64.0.0/28", 60) ||
	    !hn_node(&m, "m", 5, "100.64.0.3", NULL, 60))
		return -1;
	x_at = hn_ep("198.18.0.2:51820");
	evil_at = hn_ep("198.18.0.9:4444");
	cover_at = hn_ep("198.18.0.7:51820");
	X_AT = &x_at;
	EVIL_AT = &evil_at;
	*state = hn_daemon(&v);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	hn_daemon_free(*state);
	return 0;
}

/* A daemon with x proven, at x_at; *kp is x's keypair to send with. */
static struct wf_peer *with_x(struct wf_daemon *d, struct wf_keypair **kp)
{
	struct wf_peer *p;

	*kp = hn_handshake(d, &x, X_AT, now_ns(0), 0x100);
	assert_non_null(*kp);
	hn_keepalive(d, *kp, X_AT);
	p = wf_peer_find(d, x.cert.pubkey);
	assert_non_null(p);
	assert_true(p->proven);
	return p;
}

/* 1-4: an initiation creates nothing anyone relies on until it is proven. */
static void test_proof(void **state)
{
	struct wf_daemon *d = *state;
	struct wf_keypair *kp = hn_handshake(d, &x, X_AT, now_ns(0), 0x11);
	struct wf_peer *p = wf_peer_find(d, x.cert.pubkey);

	/* 1: answered, but x is unproven: no route, no endpoint */
	assert_non_null(kp);
	assert_non_null(p);
	assert_false(p->proven);
	assert_int_equal(d->peers.n_unproven, 1);
	assert_null(owner(d, "100.64.0.2"));
	assert_false(p->has_endpoint);
	assert_int_equal(p->session.proven_ts, 0);
	/* 2: its first packet proves it: route, endpoint, bar */
	hn_keepalive(d, kp, X_AT);
	assert_true(p->proven);
	assert_int_equal(d->peers.n_unproven, 0);
	assert_ptr_equal(owner(d, "100.64.0.2"), p);
	assert_true(p->has_endpoint && p->ep_source == WF_EP_AUTHENTIC);
	assert_true(wf_endpoint_equal(&p->endpoint, X_AT));
	assert_int_not_equal(p->session.proven_ts, 0);
	assert_non_null(p->session.current);
	/* 3: our own address is ours: routed to nobody */
	assert_ptr_equal(owner(d, "100.64.0.1"), WF_ROUTE_SELF(d));
	/* 4: the certificate was verified once; x's again costs no verification */
	{
		uint64_t before = d->hs.certs.verifications;
		struct wf_keypair *again = hn_handshake(d, &x, X_AT, now_ns(1), 0x12);

		assert_non_null(again);
		assert_int_equal(d->hs.certs.verifications, before);
		wf_keypair_free(again);
	}
	wf_keypair_free(kp);
}

/* 5-10: the lock-out: forged initiations claiming x, from elsewhere. */
static void test_forged_initiations(void **state)
{
	static uint8_t pkt[WF_HANDSHAKE_MAX];
	struct wf_daemon *d = *state;
	struct wf_keypair *kp, *kp2;
	struct wf_peer *p = with_x(d, &kp);
	struct wf_keypair *cur = p->session.current;
	uint64_t bar = p->session.proven_ts;
	size_t len;

	/* 5: stamped far ahead: refused before anything is spent */
	len = hn_forge(&x.cert, UINT64_MAX / 2, 1, true, pkt, sizeof(pkt));
	hn_clear();
	hn_feed(d, pkt, len, EVIL_AT, HN_NOW);
	assert_int_equal(hn_n_out, 0);
	assert_int_equal(d->drops[WF_DROP_HS_CLOCK], 1);
	/* 6: a second ahead: answered (we cannot tell), but only pending */
	for (int i = 0; i < 6; i++) {
		len = hn_forge(&x.cert, now_ns(1000) + (uint64_t)i, 2 + (uint32_t)i, true, pkt,
			       sizeof(pkt));
		hn_clear();
		hn_feed(d, pkt, len, EVIL_AT, HN_NOW);
		assert_int_equal(hn_n_out, 1);
		assert_int_equal(hn_last()->buf[0], WF_MSG_HANDSHAKE_RESP);
	}
	/* 7: none of them moved the bar, the current keys, the endpoint */
	assert_int_equal(p->session.proven_ts, bar);
	assert_ptr_equal(p->session.current, cur);
	assert_true(wf_endpoint_equal(&p->endpoint, X_AT));
	assert_null(p->session.pending[0]);
	/* 8: x's own next initiation, stamped now, from where x is: accepted,
	 * in the slot nobody elsewhere can take, and proven */
	kp2 = hn_handshake(d, &x, X_AT, now_ns(0), 0x200);
	assert_non_null(kp2);
	assert_non_null(p->session.pending[0]);
	hn_keepalive(d, kp2, X_AT);
	assert_true(p->session.proven_ts > bar);
	assert_int_equal(p->session.current->remote_index, 0x200);
	/* 9: the forgeries stamped later are still pending, never proven */
	assert_int_equal(d->drops[WF_DROP_HS_REPLAY], 0);
	/* 10: an exact copy of x's initiation: a replay, not answered */
	{
		struct wf_noise_handshake hs;

		len = hn_init(&x, &hs, now_ns(5), 0x300, NULL, pkt, sizeof(pkt));
		wf_noise_handshake_clear(&hs);
		hn_feed(d, pkt, len, X_AT, HN_NOW);
		hn_clear();
		hn_feed(d, pkt, len, X_AT, HN_NOW);
		assert_int_equal(hn_n_out, 0);
		assert_int_equal(d->drops[WF_DROP_HS_REPLAY], 1);
	}
	wf_keypair_free(kp);
	wf_keypair_free(kp2);
}

/* 11-15: an old certificate of x's name and address, with another key. */
static void test_old_certificate(void **state)
{
	static uint8_t pkt[WF_HANDSHAKE_MAX], msg[WF_DATA_OVERHEAD + 2048];
	struct wf_daemon *d = *state;
	struct wf_keypair *kp, *old;
	struct wf_peer *p = with_x(d, &kp), *q;
	size_t len, n;

	/* 11: forged: a stranger, answered, unproven, with no route */
	len = hn_forge(&xold.cert, now_ns(0), 7, true, pkt, sizeof(pkt));
	hn_feed(d, pkt, len, EVIL_AT, HN_NOW);
	q = wf_peer_find(d, xold.cert.pubkey);
	assert_non_null(q);
	assert_false(q->proven);
	assert_ptr_equal(owner(d, "100.64.0.2"), p);
	/* 12: with the old key, proven: still the incumbent's address */
	old = hn_handshake(d, &xold, EVIL_AT, now_ns(1), 0x400);
	assert_non_null(old);
	hn_keepalive(d, old, EVIL_AT);
	assert_true(q->proven);
	assert_ptr_equal(owner(d, "100.64.0.2"), p);
	/* 13: and what it sends from that address is not taken from it */
	{
		uint8_t ip[20] = {0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 100, 64, 0, 2, 100, 64,
				  0, 1};

		n = hn_seal(old, WF_MSG_DATA, ip, sizeof(ip), msg);
		hn_feed(d, msg, n, EVIL_AT, HN_NOW);
		assert_int_equal(q->drops[WF_DROP_BAD_SOURCE], 1);
		assert_int_equal(hn_delivered(msg, sizeof(msg)), 0);
	}
	/* 14: x tells us of a member we do not know: hearsay; its address is
	 * its own, unproven (traffic waits for its proof: test_hints 33) */
	tell(d, kp, &m.cert, "198.18.0.66:51820");
	q = wf_peer_find(d, m.cert.pubkey);
	assert_non_null(q);
	assert_false(q->proven);
	assert_ptr_equal(owner(d, "100.64.0.3"), q);
	assert_true(q->has_endpoint && q->ep_source == WF_EP_HEARSAY);
	assert_string_equal(q->ep_via, "x");
	/* 15: of a node we know, a member cannot move the endpoint */
	tell(d, kp, &x.cert, "198.18.0.66:51820");
	assert_true(wf_endpoint_equal(&p->endpoint, X_AT));
	assert_int_equal(p->ep_source, WF_EP_AUTHENTIC);
	wf_keypair_free(kp);
	wf_keypair_free(old);
}

/* 16-18: told endpoints must be worth trying. */
static void test_hearsay_endpoints(void **state)
{
	static const char *const bad[] = {"127.0.0.1:51820", "224.0.0.5:51820", "0.0.0.0:51820",
					  "198.18.0.1:51820" /* our own listen address */};
	struct wf_daemon *d = *state;
	struct wf_peer *q = wf_peer_add(d, &m.cert, HN_NOW);

	assert_non_null(q);
	/* 16: unusable ones and our own are refused */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		union wf_endpoint e = hn_ep(bad[i]);

		if (wf_peer_hearsay(d, q, &e, "x"))
			fail_msg("case 16: took %s", bad[i]);
	}
	/* 17: a good one is taken, as a hint */
	{
		union wf_endpoint e = hn_ep("198.18.0.3:51820");

		assert_true(wf_peer_hearsay(d, q, &e, "x"));
		assert_int_equal(q->ep_source, WF_EP_HEARSAY);
	}
	/* 18: after WF_HEARSAY_TRIES unanswered initiations it is dropped */
	for (int i = 0; i <= WF_HEARSAY_TRIES; i++)
		wf_handshake_initiate(d, q, HN_NOW + i * WF_HEARSAY_DEST_MS);
	assert_false(q->has_endpoint);
	/* ... and never taken again for that member, however often told */
	{
		union wf_endpoint e = hn_ep("198.18.0.3:51820");

		assert_false(wf_peer_hearsay(d, q, &e, "x"));
	}
}

/* 48-50: told endpoints from several members, and the reflection bound. A
 * member whose word was given up does not have the last word: another live
 * member is asked where the member is; and whatever members tell, this node
 * sends an address that never answered at most one initiation every
 * WF_HEARSAY_DEST_MS, however many members are said to be there. */
static void test_told_endpoints(void **state)
{
	static const char *names[] = {"t1", "t2", "t3", "t4", "t5", "t6"};
	struct wf_daemon *d = *state;
	union wf_endpoint victim = hn_ep("198.18.0.99:51820");
	struct wf_keypair *kx, *ky;
	struct hn_node y, t[6];
	unsigned to_victim = 0;
	struct wf_peer *q;

	/* x and y are members with sessions; x names m's endpoint (keepalives
	 * a minute apart: y is not silent while m's tries take 40 s) */
	d->node.cfg.keepalive_interval_ms = 60000;
	assert_true(hn_node(&y, "y", 8, "100.64.0.8", NULL, 60));
	with_x(d, &kx);
	ky = hn_connect(d, &y, &cover_at, 0x800);
	assert_non_null(ky);
	tell(d, kx, &m.cert, "198.18.0.66:51820");
	q = wf_peer_find(d, m.cert.pubkey);
	assert_true(q && q->has_endpoint && !strcmp(q->ep_via, "x"));
	/* 48: it never answers: given up, and y (not x) is asked where m is */
	wf_timers_tick(d, HN_NOW); /* (the sessions gossip goes over) */
	hn_clear();
	for (int i = 0; i <= WF_HEARSAY_TRIES; i++)
		wf_handshake_initiate(d, q, HN_NOW + i * WF_HEARSAY_DEST_MS);
	assert_false(q->has_endpoint);
	assert_true(wf_endpoint_equal(&hn_last()->to, &cover_at)); /* (y's endpoint) */
	/* 49: y's answer (a MEMBER with another endpoint) is taken; x's
	 * unasked repetition of the dead one is not */
	member_msg(d, ky, &m.cert, "198.18.0.3:51820");
	assert_true(q->has_endpoint);
	assert_string_equal(q->ep_via, "y");
	/* 50: x says six members are at the victim's address: one initiation
	 * goes there in WF_HEARSAY_DEST_MS, not six (or 24, with retries) */
	hn_clear();
	for (int i = 0; i < 6; i++) {
		assert_true(hn_node(&t[i], names[i], (uint8_t)(20 + i), "100.64.0.20", NULL, 60));
		t[i].cert.addrs[0].addr[3] = (uint8_t)(20 + i);
		assert_true(wf_cert_sign(&t[i].cert, hn_ca_priv));
		tell(d, kx, &t[i].cert, "198.18.0.99:51820");
	}
	for (int64_t now = HN_NOW; now < HN_NOW + WF_HEARSAY_DEST_MS - 1; now += 100)
		wf_timers_tick(d, now);
	for (unsigned i = 0; i < hn_n_out && i < HN_OUT_MAX; i++)
		to_victim += wf_endpoint_equal(&hn_out[i].to, &victim);
	assert_int_equal(to_victim, 1);
	assert_true(d->hs.count.hearsay_held > 0);
	wf_keypair_free(kx);
	wf_keypair_free(ky);
}

/* 19-20: cryptokey routing: a covering route speaks for nobody else. */
static void test_cryptokey_routing(void **state)
{
	static uint8_t msg[WF_DATA_OVERHEAD + 64];
	struct wf_daemon *d = *state;
	struct wf_keypair *kx, *kc;
	struct wf_peer *px = with_x(d, &kx), *pc;
	uint8_t ip[20] = {0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 100, 64, 0, 2, 100, 64, 0, 1};
	uint8_t got[64];
	size_t n;

	kc = hn_handshake(d, &cover, &cover_at, now_ns(0), 0x500);
	hn_keepalive(d, kc, &cover_at);
	pc = wf_peer_find(d, cover.cert.pubkey);
	assert_ptr_equal(owner(d, "100.64.0.2"), px);
	assert_ptr_equal(owner(d, "100.64.0.9"), pc);
	while (hn_delivered(got, sizeof(got)))
		;
	/* 19: from x's address, sent by cover: dropped, counted */
	n = hn_seal(kc, WF_MSG_DATA, ip, sizeof(ip), msg);
	hn_feed(d, msg, n, &cover_at, HN_NOW);
	assert_int_equal(pc->drops[WF_DROP_BAD_SOURCE], 1);
	assert_int_equal(hn_delivered(got, sizeof(got)), 0);
	/* 20: from an address of its own subnet: delivered */
	ip[15] = 9;
	n = hn_seal(kc, WF_MSG_DATA, ip, sizeof(ip), msg);
	hn_feed(d, msg, n, &cover_at, HN_NOW);
	assert_int_equal(hn_delivered(got, sizeof(got)), 20);
	wf_keypair_free(kx);
	wf_keypair_free(kc);
}

/* 21-24: cookies under load, and for answers larger than the question. */
static void test_cookies(void **state)
{
	static uint8_t pkt[WF_HANDSHAKE_MAX];
	struct wf_daemon *d = *state;
	struct wf_noise_handshake hs;
	struct wf_cookie_jar jar = {0};
	struct hn_sent *r;
	size_t len;

	/* 21: under load, an initiation without a cookie gets one, not an answer */
	d->hs.load.threshold = 0;
	len = hn_init(&x, &hs, now_ns(0), 0x600, NULL, pkt, sizeof(pkt));
	hn_clear();
	hn_feed(d, pkt, len, X_AT, HN_NOW);
	r = hn_last();
	assert_non_null(r);
	assert_int_equal(r->buf[0], WF_MSG_COOKIE);
	assert_int_equal(r->len, WF_COOKIE_REPLY_LEN);
	assert_int_equal(d->drops[WF_DROP_COOKIE], 1);
	/* 22: with it, the next one is answered */
	assert_true(wf_cookie_take(&d->hs.cookies, r->buf, r->len, pkt + len - WF_INIT_MACS_LEN, &jar,
				   HN_NOW));
	wf_noise_handshake_clear(&hs);
	len = hn_init(&x, &hs, now_ns(1), 0x601, jar.cookie, pkt, sizeof(pkt));
	hn_clear();
	hn_feed(d, pkt, len, X_AT, HN_NOW);
	assert_int_equal(hn_last()->buf[0], WF_MSG_HANDSHAKE_RESP);
	wf_noise_handshake_clear(&hs);
	/* 23: the same cookie from another address is no good */
	len = hn_init(&x, &hs, now_ns(2), 0x602, jar.cookie, pkt, sizeof(pkt));
	hn_clear();
	hn_feed(d, pkt, len, EVIL_AT, HN_NOW);
	assert_int_equal(hn_last()->buf[0], WF_MSG_COOKIE);
	wf_noise_handshake_clear(&hs);
	d->hs.load.threshold = WF_HS_LOAD_PER_S;
	d->hs.load.until_ms = 0;
	/* 24: no load, but an unpadded initiation: our answer would be larger,
	 * so it goes only to an address that proved itself */
	len = hn_forge(&x.cert, now_ns(3), 0x603, false, pkt, sizeof(pkt));
	assert_true(len < WF_INIT_MIN_LEN);
	hn_clear();
	hn_feed(d, pkt, len, EVIL_AT, HN_NOW + 5000);
	assert_int_equal(hn_last()->buf[0], WF_MSG_COOKIE);
	assert_true(hn_last()->len < len);
}

/* 25-26: a forged response must not cost us our own handshake. */
static void test_forged_response(void **state)
{
	static uint8_t resp[WF_HANDSHAKE_MAX];
	struct wf_daemon *d = *state;
	struct wf_keypair *kx;
	struct wf_peer *p = with_x(d, &kx);
	struct wf_handshake *ours;
	struct hn_sent init;
	uint8_t p_buf[128], key[WF_SHA256_LEN], payload[WF_HANDSHAKE_MAX], plain[WF_HANDSHAKE_MAX];
	struct wf_noise_protocol proto;
	size_t pl, plen, nlen, len;

	hn_clear();
	p->hs_next_ms = 0;
	wf_handshake_initiate(d, p, HN_NOW);
	ours = p->hs;
	assert_non_null(ours);
	init = *hn_last();
	assert_true(hn_proto(&proto, p_buf, &pl, key));
	/* 25: the attacker (cover's key) reads our initiation and answers it
	 * with its own key: Noise-valid, but not x. Dropped; we keep waiting */
	for (int who = 0; who < 2; who++) {
		const struct hn_node *n = who ? &x : &cover;
		struct wf_noise_handshake hs;
		uint8_t e[WF_KEY_LEN];

		assert_true(wf_random(e, sizeof(e)));
		assert_true(wf_noise_handshake_init(&hs, &proto, false, p_buf, pl, n->priv, e, NULL,
						    NULL));
		assert_true(wf_noise_read_message(&hs, init.buf + 8, init.len - 8 - WF_INIT_MACS_LEN,
						  plain, sizeof(plain), &plen));
		plen = hn_payload(&n->cert, now_ns(0), false, payload, sizeof(payload));
		assert_true(wf_noise_write_message(&hs, payload, plen, resp + 12,
						   sizeof(resp) - 12 - WF_MAC_LEN, &nlen));
		len = hn_finish(resp, WF_MSG_HANDSHAKE_RESP, 0x700 + (uint32_t)who,
				wf_get_le32(init.buf + 4), 12 + nlen, NULL);
		wf_noise_handshake_clear(&hs);
		hn_feed(d, resp, len, who ? X_AT : EVIL_AT, HN_NOW);
		if (!who)
			assert_ptr_equal(p->hs, ours);
	}
	/* 26: then x's real answer completes it */
	assert_null(p->hs);
	assert_int_equal(p->session.current->remote_index, 0x701);
	wf_keypair_free(kx);
}

/* 28: a member's MEMBER messages are budgeted: WF_MEMBER_BURST at once. */
static void test_member_budget(void **state)
{
	struct wf_daemon *d = *state;
	struct wf_keypair *kp;
	struct wf_peer *p = with_x(d, &kp);

	for (int i = 0; i < WF_MEMBER_BURST + 10; i++)
		member_msg(d, kp, &m.cert, "198.18.0.3:51820");
	assert_int_equal(p->drops[WF_DROP_RATE_LIMIT], 10);
	/* and the one certificate was verified once, not 2048 times */
	assert_true(d->hs.certs.verifications <= 3);
	wf_keypair_free(kp);
}

/* 29: a refused certificate relayed by a member is the certificate's fault:
 * counted node-wide, not against the member that relayed it. */
static void test_relayed_refusal(void **state)
{
	struct wf_daemon *d = *state;
	struct wf_keypair *kp;
	struct wf_peer *p = with_x(d, &kp);
	struct wf_cert bad = m.cert;
	uint8_t other_ca[WF_KEY_LEN];

	memset(other_ca, 0x0c, sizeof(other_ca));
	assert_true(wf_cert_sign(&bad, other_ca)); /* another CA's signature */
	tell(d, kp, &bad, "198.18.0.3:51820");
	assert_int_equal(d->drops[WF_DROP_CERT], 1);
	assert_int_equal(p->drops[WF_DROP_CERT], 0);
	assert_null(wf_peer_find(d, m.cert.pubkey));
	wf_keypair_free(kp);
}

/* 65-68: a certificate that routes a subnet outside the overlay its CA does
 * not allow (WF_CERT_ERR_ROUTE), signed by the CA all the same: refused in a
 * handshake and in a MEMBER message, the refusal remembered (no second
 * verification); a route inside the overlay needs no allowing (cover). */
static void test_route_refused(void **state)
{
	struct wf_daemon *d = *state;
	struct wf_keypair *kp, *gk;
	struct wf_peer *p = with_x(d, &kp);
	struct hn_node gw;
	uint64_t verified;

	assert_true(hn_node(&gw, "gw", 8, "100.64.0.8", "10.20.0.0/16", 60));
	assert_int_equal(wf_cert_verify(&gw.cert, &d->node.ca, hn_wall()), WF_CERT_ERR_ROUTE);
	/* 65: its initiation: not answered, counted, no peer, no route */
	gk = hn_handshake(d, &gw, &cover_at, now_ns(0), 0x800);
	assert_null(gk);
	assert_int_equal(d->drops[WF_DROP_CERT], 1);
	assert_null(wf_peer_find(d, gw.cert.pubkey));
	assert_null(owner(d, "10.20.0.5"));
	/* 66: again: the same verdict, from the cache */
	verified = d->hs.certs.verifications;
	assert_null(hn_handshake(d, &gw, &cover_at, now_ns(1), 0x801));
	assert_int_equal(d->drops[WF_DROP_CERT], 2);
	assert_int_equal(d->hs.certs.verifications, verified);
	/* 67: told of by x: not taken, and not x's fault */
	tell(d, kp, &gw.cert, "198.18.0.8:51820");
	assert_int_equal(d->drops[WF_DROP_CERT], 3);
	assert_int_equal(p->drops[WF_DROP_CERT], 0);
	assert_null(wf_peer_find(d, gw.cert.pubkey));
	/* 68: the control: cover's route lies inside the overlay: taken */
	gk = hn_connect(d, &cover, &cover_at, 0x802);
	assert_non_null(gk);
	assert_ptr_equal(owner(d, "100.64.0.9"), wf_peer_find(d, cover.cert.pubkey));
	wf_keypair_free(gk);
	wf_keypair_free(kp);
}

/* 30-31: what a failed send means. */
static void test_send_errors(void **state)
{
	struct wf_daemon *d = *state;
	struct wf_keypair *kp;
	struct wf_peer *p = with_x(d, &kp);

	/* 30: a pending ICMP error (IP_RECVERR) fails the next send, whatever
	 * it was for: sent again, and not counted as lost */
	hn_clear();
	hn_fail_errno = ECONNREFUSED;
	hn_fail_count = 1;
	wf_data_send_keepalive(d, p, HN_NOW);
	assert_int_equal(hn_n_out, 1);
	assert_int_equal(p->drops[WF_DROP_SEND_ERROR], 0);
	/* 31: the kernel dropping it (ENOBUFS) is a loss: counted, not retried */
	hn_clear();
	hn_fail_errno = ENOBUFS;
	hn_fail_count = 1;
	wf_data_send_keepalive(d, p, HN_NOW);
	assert_int_equal(hn_n_out, 0);
	assert_int_equal(p->drops[WF_DROP_SEND_ERROR], 1);
	assert_int_equal(d->drops[WF_DROP_SEND_ERROR], 1);
	hn_fail_count = 0;
	wf_keypair_free(kp);
}

/* An IPv4 UDP packet from v to dst, through the control thread's TX path. */
static void from_tun(struct wf_daemon *d, uint8_t last_octet)
{
	uint8_t ip[28] = {0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 100, 64, 0, 1, 100, 64, 0, 0};
	struct wf_vnet_hdr h;
	uint32_t sum;

	ip[19] = last_octet;
	sum = wf_csum_add(0, ip, 20);
	ip[10] = (uint8_t)(wf_csum_fold(sum) >> 8);
	ip[11] = (uint8_t)wf_csum_fold(sum);
	memset(&h, 0, sizeof(h));
	memcpy(wf_txq_slot(&d->dp.ctl), ip, sizeof(ip));
	wf_data_from_tun(&d->dp.ctl, wf_txq_slot(&d->dp.ctl), sizeof(ip), &h, HN_NOW);
	wf_txq_flush(&d->dp.ctl);
}

/* 32-37: on demand, a member told of is routed by a hint until it proves
 * its key: traffic for it waits and starts a handshake; a hint never beats
 * a route; a newer certificate of the same name takes the hint over; a
 * member that never answers has what waited dropped, and is left alone. */
static void test_hints(void **state)
{
	struct wf_daemon *d = *state;
	struct wf_keypair *kp;
	struct wf_peer *p = with_x(d, &kp), *q, *o;
	uint8_t buf[256];
	struct wf_prefix pm, px;
	unsigned unproven = d->peers.n_unproven, sent;

	assert_true(wf_addr_parse(&pm, "100.64.0.3") && wf_addr_parse(&px, "100.64.0.2"));
	assert_true(wf_batch_alloc(&d->dp.ctl));
	/* 32: told of m: unproven, not a stranger, and its address its own
	 * already (nobody else's claim takes it; traffic for it waits for m) */
	tell(d, kp, &m.cert, "198.18.0.66:51820");
	q = wf_peer_find(d, m.cert.pubkey);
	assert_non_null(q);
	assert_true(q->told && !q->proven);
	assert_int_equal(d->peers.n_unproven, unproven);
	assert_ptr_equal(owner(d, "100.64.0.3"), q);
	/* 33: a packet for it waits, and a handshake goes to where it is said
	 * to be; nothing of the packet leaves, no ICMP error comes back */
	hn_clear();
	from_tun(d, 3);
	assert_int_equal(q->n_staged, 1);
	assert_non_null(hn_last());
	assert_int_equal(hn_last()->buf[0], WF_MSG_HANDSHAKE_INIT);
	assert_true(wf_endpoint_equal(&hn_last()->to, &q->endpoint));
	assert_int_equal(hn_delivered(buf, sizeof(buf)), 0);
	assert_int_equal(d->drops[WF_DROP_NO_ROUTE], 0);
	/* 53: what overflows the staging queue (the oldest goes) is counted
	 * for the peer and node-wide alike */
	for (int i = 0; i < WF_STAGED_MAX; i++)
		from_tun(d, 3);
	assert_int_equal(q->n_staged, WF_STAGED_MAX);
	assert_int_equal(q->drops[WF_DROP_NO_SESSION], 1);
	assert_int_equal(d->drops[WF_DROP_NO_SESSION], 1);
	/* 34: x's older certificate (another key), told: it does not take
	 * the route x holds, and a packet for x goes to x */
	tell(d, kp, &xold.cert, "198.18.0.67:51820");
	o = wf_peer_find(d, xold.cert.pubkey);
	assert_non_null(o);
	hn_clear();
	from_tun(d, 2);
	assert_int_equal(o->n_staged, 0);
	assert_non_null(hn_last());
	assert_int_equal(hn_last()->buf[0], WF_MSG_DATA);
	assert_true(wf_endpoint_equal(&hn_last()->to, X_AT));
	/* 35: of two certificates of a name, the address goes to the newer,
	 * in either order (the older first here: the newer takes it over) */
	assert_ptr_equal(owner(d, "100.64.0.2"), p);
	tell(d, kp, &x.cert, "198.18.0.2:51820"); /* (x itself: no new peer) */
	wf_peer_remove(d, o);
	wf_routes_remove_value(d->peers.routes, p);
	tell(d, kp, &xold.cert, "198.18.0.67:51820");
	o = wf_peer_find(d, xold.cert.pubkey);
	assert_ptr_equal(wf_routes_lookup(d->peers.routes, px.family, px.addr), o);
	{
		/* a newer certificate of x's name with yet another key */
		struct hn_node xnew;

		assert_true(hn_node(&xnew, "x", 6, "100.64.0.2", NULL, 30));
		tell(d, kp, &xnew.cert, "198.18.0.68:51820");
		assert_ptr_equal(wf_routes_lookup(d->peers.routes, px.family, px.addr),
				 wf_peer_find(d, xnew.cert.pubkey));
		tell(d, kp, &xold.cert, "198.18.0.67:51820"); /* again: no change */
		assert_ptr_equal(wf_routes_lookup(d->peers.routes, px.family, px.addr),
				 wf_peer_find(d, xnew.cert.pubkey));
	}
	/* 36: on demand, m never answers: after 8 initiations (or once its
	 * told address is given up) what waited is dropped and counted, and m
	 * is idle (or, with no address left, forgotten until told again) */
	d->node.cfg.full_mesh_max = 0;
	d->mem.gossip.cfg.ring = d->mem.gossip.cfg.chords = 0; /* (m is no ring neighbour) */
	{
		uint64_t before = d->drops[WF_DROP_NO_SESSION], waiting = q->n_staged;
		int64_t t = HN_NOW;

		for (; t < HN_NOW + 600000; t += 500) {
			wf_timers_tick(d, t);
			q = wf_peer_find(d, m.cert.pubkey);
			if (!q || !q->n_staged)
				break;
		}
		assert_true(t < HN_NOW + 600000);
		assert_int_equal(d->drops[WF_DROP_NO_SESSION], before + waiting);
		if (q)
			assert_string_equal(wf_peer_state(d, q, t), "idle");
	}
	/* 37: and it is not called again until traffic asks (what each tick
	 * sent is looked at: the record keeps the last HN_OUT_MAX) */
	{
		union wf_endpoint at_m = hn_ep("198.18.0.66:51820");

		for (int64_t t = HN_NOW + 600000; t < HN_NOW + 900000; t += 500) {
			sent = hn_n_out;
			wf_timers_tick(d, t);
			assert_true(hn_n_out - sent <= HN_OUT_MAX);
			for (unsigned i = sent; i < hn_n_out; i++)
				assert_false(wf_endpoint_equal(&hn_out[i % HN_OUT_MAX].to, &at_m));
		}
	}
	wf_batch_free(&d->dp.ctl);
	wf_keypair_free(kp);
}

/* A forger's initiation claiming cert, stamped now + n ns, from `at`. */
static void forge_from(struct wf_daemon *d, const struct wf_cert *cert, unsigned n,
		       const char *at)
{
	static uint8_t pkt[WF_HANDSHAKE_MAX];
	union wf_endpoint from = hn_ep(at);
	size_t len = hn_forge(cert, now_ns(0) + n, 0x900 + n, true, pkt, sizeof(pkt));

	assert_true(len);
	hn_feed(d, pkt, len, &from, HN_NOW);
}

/* 40-42: the lock-out before proof. x has never been proven here (a first
 * contact: no endpoint to reserve a slot for), and forged initiations claim
 * its key between x's initiation and its first packet. */
static void test_first_contact(void **state)
{
	static uint8_t pkt[WF_HANDSHAKE_MAX];
	struct wf_daemon *d = *state;
	struct wf_noise_handshake hs;
	struct wf_cookie_jar jar = {0};
	struct wf_keypair *kp;
	struct wf_peer *p;
	size_t len;

	/* 40: a forger at one address, as fast as it likes: x still proves
	 * the initiation it made (the forger only ever replaced its own) */
	forge_from(d, &x.cert, 1, "198.18.0.9:4444");
	kp = hn_handshake(d, &x, X_AT, now_ns(0), 0xa00);
	assert_non_null(kp);
	for (unsigned i = 2; i < 200; i++)
		forge_from(d, &x.cert, i, "198.18.0.9:4444");
	p = wf_peer_find(d, x.cert.pubkey);
	assert_non_null(p);
	assert_false(p->proven);
	assert_true(hn_keepalive(d, kp, X_AT));
	assert_true(p->proven);
	wf_keypair_free(kp);
	wf_peer_remove(d, p);
	/* 41: forgeries from three spoofed addresses hold every shared slot:
	 * x (from a fourth) is asked for a cookie, not answered ... */
	for (unsigned i = 0; i < 3; i++) {
		char at[32];

		snprintf(at, sizeof(at), "198.18.1.%u:4444", 10 + i);
		forge_from(d, &x.cert, 300 + i, at);
	}
	len = hn_init(&x, &hs, now_ns(1), 0xa01, NULL, pkt, sizeof(pkt));
	hn_clear();
	hn_feed(d, pkt, len, X_AT, HN_NOW);
	assert_non_null(hn_last());
	assert_int_equal(hn_last()->buf[0], WF_MSG_COOKIE);
	/* ... and, its address proved with the cookie, it gets in and proves
	 * itself; more spoofed forgeries meanwhile change nothing */
	assert_true(wf_cookie_take(&d->hs.cookies, hn_last()->buf, hn_last()->len,
				   pkt + len - WF_INIT_MACS_LEN, &jar, HN_NOW));
	wf_noise_handshake_clear(&hs);
	len = hn_init(&x, &hs, now_ns(2), 0xa02, jar.cookie, pkt, sizeof(pkt));
	hn_clear();
	hn_feed(d, pkt, len, X_AT, HN_NOW);
	assert_int_equal(hn_last()->buf[0], WF_MSG_HANDSHAKE_RESP);
	kp = hn_resp_keys(&hs, 0xa02, hn_last()->buf, hn_last()->len);
	assert_non_null(kp);
	wf_noise_handshake_clear(&hs);
	for (unsigned i = 0; i < 50; i++) {
		char at[32];

		snprintf(at, sizeof(at), "198.18.2.%u:4444", i);
		forge_from(d, &x.cert, 400 + i, at);
	}
	/* 42 */
	p = wf_peer_find(d, x.cert.pubkey);
	assert_true(hn_keepalive(d, kp, X_AT));
	assert_true(p->proven);
	wf_keypair_free(kp);
}

/* 43-47: an address in a known member's certificate has its owner before the
 * owner is proven here (told of it, or from our cache, or idle on demand): a
 * member whose routed subnet covers it, or the holder of an older
 * certificate of its name, cannot speak for it either way; once the owner's
 * certificate is revoked or has ended, the covering route may carry it. */
static void test_owner(void **state)
{
	static uint8_t msg[WF_DATA_OVERHEAD + 64];
	struct wf_daemon *d = *state;
	uint8_t ip[20] = {0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 100, 64, 0, 3, 100, 64, 0, 1};
	union wf_endpoint m_at = hn_ep("198.18.0.3:51820");
	struct wf_peer *pm, *pc, *px, *pold, *pe;
	struct wf_keypair *kc, *ko;
	struct hn_node e;
	uint8_t got[64];
	size_t n;

	assert_true(wf_batch_alloc(&d->dp.ctl));
	/* m from our cache (down: never proven here), cover proven */
	pm = wf_peer_add_told(d, &m.cert, HN_NOW);
	assert_true(pm && wf_peer_hearsay(d, pm, &m_at, "peers.cache"));
	kc = hn_connect(d, &cover, &cover_at, 0x700);
	assert_non_null(kc);
	pc = wf_peer_find(d, cover.cert.pubkey);
	while (hn_delivered(got, sizeof(got)))
		;
	/* 43: m's address is m's: a packet for it waits for m; none to cover */
	assert_ptr_equal(owner(d, "100.64.0.3"), pm);
	hn_clear();
	from_tun(d, 3);
	assert_int_equal(pm->n_staged, 1);
	for (unsigned i = 0; i < hn_n_out; i++)
		assert_false(wf_endpoint_equal(&hn_out[i].to, &cover_at));
	/* 44: cover, speaking from m's address: dropped, counted */
	n = hn_seal(kc, WF_MSG_DATA, ip, sizeof(ip), msg);
	hn_feed(d, msg, n, &cover_at, HN_NOW);
	assert_int_equal(pc->drops[WF_DROP_BAD_SOURCE], 1);
	assert_int_equal(hn_delivered(got, sizeof(got)), 0);
	/* 45: x from our cache; the holder of x's older certificate and its
	 * key proves itself, and does not get x's address either way */
	px = wf_peer_add_told(d, &x.cert, HN_NOW);
	ko = hn_connect(d, &xold, EVIL_AT, 0x701);
	assert_non_null(ko);
	pold = wf_peer_find(d, xold.cert.pubkey);
	assert_true(pold->proven);
	assert_ptr_equal(owner(d, "100.64.0.2"), px);
	ip[15] = 2;
	n = hn_seal(ko, WF_MSG_DATA, ip, sizeof(ip), msg);
	hn_feed(d, msg, n, EVIL_AT, HN_NOW);
	assert_int_equal(pold->drops[WF_DROP_BAD_SOURCE], 1);
	assert_int_equal(hn_delivered(got, sizeof(got)), 0);
	/* 46: the control: m's certificate revoked (the list removes its
	 * peer), and cover's route carries m's address, both ways */
	wf_peer_remove(d, pm);
	assert_ptr_equal(owner(d, "100.64.0.3"), pc);
	ip[15] = 3;
	n = hn_seal(kc, WF_MSG_DATA, ip, sizeof(ip), msg);
	hn_feed(d, msg, n, &cover_at, HN_NOW);
	assert_int_equal(hn_delivered(got, sizeof(got)), 20);
	/* 47: and a member told of whose certificate has ended leaves (the
	 * timers), its address then cover's */
	assert_true(hn_node(&e, "e", 7, "100.64.0.5", NULL, 60));
	e.cert.not_after = hn_wall() - 1;
	pe = wf_peer_add_told(d, &e.cert, HN_NOW);
	assert_ptr_equal(owner(d, "100.64.0.5"), pe);
	wf_timers_tick(d, HN_NOW + 100);
	assert_null(wf_peer_find(d, e.cert.pubkey));
	assert_ptr_equal(owner(d, "100.64.0.5"), pc);
	wf_batch_free(&d->dp.ctl);
	wf_keypair_free(kc);
	wf_keypair_free(ko);
}

/* 51-52, 57: the peer cache keeps what was seen apart from what was told: a
 * member proven here comes back from it with its endpoint as before; one
 * whose endpoint a member only told us comes back as told, with one try
 * (then another member is asked), not with the weight of what was seen. */
static void test_cache_told(void **state)
{
	struct wf_daemon *d = *state, *d2;
	char dir[] = "/tmp/weft-test-cache.XXXXXX", path[64];
	struct wf_keypair *kp;
	struct wf_peer *q;

	assert_non_null(mkdtemp(dir));
	snprintf(d->node.cfg.dir, sizeof(d->node.cfg.dir), "%s", dir);
	with_x(d, &kp);
	tell(d, kp, &m.cert, "198.18.0.66:51820");
	assert_true(wf_cache_save(d));
	d2 = hn_daemon(&v);
	assert_non_null(d2);
	snprintf(d2->node.cfg.dir, sizeof(d2->node.cfg.dir), "%s", dir);
	assert_int_equal(wf_cache_load(d2, HN_NOW), 2);
	/* 51: x, seen: its endpoint, all its tries */
	q = wf_peer_find(d2, x.cert.pubkey);
	assert_true(q && q->has_endpoint && wf_endpoint_equal(&q->endpoint, X_AT));
	assert_string_equal(q->ep_via, "peers.cache");
	assert_int_equal(q->ep_tries, 0);
	/* 52: m, told: as told, one try */
	q = wf_peer_find(d2, m.cert.pubkey);
	assert_true(q && q->has_endpoint && q->ep_source == WF_EP_HEARSAY);
	assert_string_equal(q->ep_via, "peers.cache (told)");
	assert_int_equal(q->ep_tries, WF_HEARSAY_TRIES - 1);
	hn_daemon_free(d2);
	snprintf(path, sizeof(path), "%s/peers.cache", dir);
	/* 57: a cache past 4 MiB (about 19,000 members) is read whole: 5,000
	 * entries of 1,000 bytes (nonsense, each refused), all looked at */
	{
		static uint8_t entry[3 + 1000];
		FILE *f = fopen(path, "wb");

		assert_non_null(f);
		assert_int_equal(fwrite("WFPC\2", 1, 5, f), 5);
		wf_put_le16(entry, 1000);
		for (int i = 0; i < 5000; i++)
			assert_int_equal(fwrite(entry, 1, sizeof(entry), f), sizeof(entry));
		fclose(f);
		assert_int_equal(wf_cache_load(d, HN_NOW), 5000);
	}
	unlink(path);
	rmdir(dir);
	wf_keypair_free(kp);
}

/* 54-55: the bound on strangers (nodes known only from initiations) makes
 * room by pushing out the oldest stranger, never a member told of (which it
 * does not count), and holds. */
static void test_strangers(void **state)
{
	static uint8_t pkt[WF_HANDSHAKE_MAX];
	const struct wf_cert *strangers[] = {&xold.cert, &cover.cert, &x.cert};
	struct wf_daemon *d = *state;
	struct wf_peer *told;
	size_t len;

	d->peers.unproven_max = 2;
	told = wf_peer_add_told(d, &m.cert, HN_NOW - 1000); /* the oldest, no endpoint */
	assert_non_null(told);
	for (unsigned i = 0; i < 3; i++) {
		len = hn_forge(strangers[i], now_ns(0), 0xb00 + i, true, pkt, sizeof(pkt));
		hn_feed(d, pkt, len, EVIL_AT, HN_NOW + i);
	}
	/* 54: the told member stays; the oldest stranger made way */
	assert_ptr_equal(wf_peer_find(d, m.cert.pubkey), told);
	assert_null(wf_peer_find(d, xold.cert.pubkey));
	assert_non_null(wf_peer_find(d, cover.cert.pubkey));
	assert_non_null(wf_peer_find(d, x.cert.pubkey));
	/* 55: and the bound holds */
	assert_int_equal(d->peers.n_unproven, 2);
}

/* 56: status out of memory: no answer, and nothing kept (LeakSanitizer, in
 * the sanitized pass, saw the JSON it had begun leak). */
static void test_status_nomem(void **state)
{
	struct wf_daemon *d = *state;
	struct wf_keypair *kp;
	char *json;

	with_x(d, &kp);
	calloc_fail = 1; /* the list of peers to sort */
	assert_null(wf_status_json(d));
	calloc_fail = 0;
	json = wf_status_json(d);
	assert_non_null(json);
	free(json);
	wf_keypair_free(kp);
}

/* 38-39: what makes a mesh "on demand": members (told of, or proven), never
 * strangers whose initiations were not proven (anyone can send those). */
static void test_mode(void **state)
{
	static uint8_t pkt[WF_HANDSHAKE_MAX];
	struct wf_daemon *d = *state;
	const struct wf_cert *strangers[] = {&xold.cert, &cover.cert, &m.cert};
	struct wf_keypair *kp;
	size_t len;

	d->node.cfg.full_mesh_max = 2;
	/* 38: three forged initiations: three unproven strangers, a full mesh */
	for (unsigned i = 0; i < 3; i++) {
		len = hn_forge(strangers[i], now_ns(0), 70 + i, true, pkt, sizeof(pkt));
		hn_feed(d, pkt, len, EVIL_AT, HN_NOW);
	}
	assert_int_equal(d->peers.n_unproven, 3);
	wf_timers_tick(d, HN_NOW + 100);
	assert_false(d->mem.gossip.sparse);
	/* 39: x proven and two members told: past 2, on demand */
	with_x(d, &kp);
	tell(d, kp, &m.cert, "198.18.0.66:51820");
	tell(d, kp, &cover.cert, "198.18.0.7:51820");
	wf_timers_tick(d, HN_NOW + 200);
	assert_true(d->mem.gossip.sparse);
	wf_keypair_free(kp);
}

/* 27: a bootstrap address that is this node: noticed, not asked again. */
static void test_self(void **state)
{
	struct wf_daemon *d = *state;
	struct hn_sent init;

	d->peers.bootstrap = calloc(1, sizeof(*d->peers.bootstrap));
	assert_non_null(d->peers.bootstrap);
	d->peers.n_bootstrap = 1;
	snprintf(d->peers.bootstrap[0].spec, sizeof(d->peers.bootstrap[0].spec), "198.18.0.1:51820");
	hn_clear();
	wf_handshake_bootstrap(d, &d->peers.bootstrap[0], HN_NOW);
	init = *hn_last();
	hn_feed(d, init.buf, init.len, &d->node.cfg.listen, HN_NOW);
	assert_true(d->peers.bootstrap[0].is_self);
	assert_null(d->peers.bootstrap[0].hs);
}

/* v's revocation list, version `version`, naming `serial`, signed by the
 * CA (or by another key); into NODEDIR of d (a temporary directory). */
static void revoke_list(struct wf_revoke *r, uint64_t version, uint64_t serial, bool forged)
{
	uint8_t other[WF_KEY_LEN];

	memset(r, 0, sizeof(*r));
	snprintf(r->network, sizeof(r->network), "%s", hn_ca_cert.network);
	r->version = version;
	r->issued = hn_wall();
	assert_true(wf_revoke_add(r, serial));
	/* 200 more: 1.7 kB, more than an initiation holds */
	for (uint64_t i = 1; i <= 200; i++)
		assert_true(wf_revoke_add(r, 0x5e000000 + i));
	memset(other, 0x0f, sizeof(other));
	assert_true(wf_revoke_sign(r, forged ? other : hn_ca_priv));
}

static void temp_dir(struct wf_daemon *d)
{
	snprintf(d->node.cfg.dir, sizeof(d->node.cfg.dir), "/tmp/weft-test-hs-XXXXXX");
	assert_non_null(mkdtemp(d->node.cfg.dir));
}

static void temp_dir_free(struct wf_daemon *d)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/revoked.list", d->node.cfg.dir);
	unlink(path);
	rmdir(d->node.cfg.dir);
}

/* dx (playing x) initiates to v at 198.18.0.1: the initiation it sent. */
static struct hn_sent *x_calls_v(struct wf_daemon *dx, int64_t now)
{
	union wf_endpoint v_at = hn_ep("198.18.0.1:51820");
	struct wf_peer *p = wf_peer_find(dx, v.cert.pubkey);

	if (!p) {
		p = wf_peer_add(dx, &v.cert, now);
		assert_non_null(p);
		p->endpoint = v_at;
		p->has_endpoint = true;
		p->ep_source = WF_EP_AUTHENTIC;
	}
	hn_clear();
	wf_handshake_initiate(dx, p, now);
	return hn_last();
}

/* 58-64: a revoked initiator is told. 58: v, holding a list that names x,
 * answers x's initiation with a notice no longer than it, naming x's index,
 * and no response; 59: an initiation that claims x's key and certificate
 * from elsewhere (anyone can make one; unpadded, shorter than any weft
 * sends) gets a notice no longer than itself; 60: the budgets: 4 at once
 * from one source, 50 in all, the rest held back and counted; 61: x (a
 * daemon of its own) takes the notice: revoked, it keeps the list and
 * initiates no more; 62: a notice of a list the CA did not sign is not
 * believed, nor 63, an old one, nor one that answers no initiation; 64:
 * renewed off the list, x calls again. */
static void test_revoked_told(void **state)
{
	static uint8_t pkt[WF_HANDSHAKE_MAX];
	static struct wf_revoke list;
	struct wf_daemon *d = *state, *dx;
	struct wf_noise_handshake hs;
	struct hn_sent *r, *init, notice;
	char msg[WF_ERR_MAX];
	size_t len;
	unsigned told = 0;
	uint32_t last = 0;
	int calls = 1;

	temp_dir(d);
	revoke_list(&list, 2, x.cert.serial, false);
	wf_revoked_take(d, &list, msg, sizeof(msg), HN_NOW);
	/* 58 */
	len = hn_init(&x, &hs, now_ns(0), 0x700, NULL, pkt, sizeof(pkt));
	hn_clear();
	hn_feed(d, pkt, len, X_AT, HN_NOW);
	r = hn_last();
	assert_non_null(r);
	assert_int_equal(hn_n_out, 1);
	assert_int_equal(r->buf[0], WF_MSG_REVOKED);
	assert_true(r->len <= len);
	assert_true(wf_get_le32(r->buf + 16) > len); /* (a piece of a longer list) */
	assert_int_equal(wf_get_le32(r->buf + 4), 0x700);
	assert_int_equal(d->hs.count.revoked_told, 1);
	notice = *r;
	wf_noise_handshake_clear(&hs);
	/* 59 */
	len = hn_forge(&x.cert, now_ns(1), 0x701, false, pkt, sizeof(pkt));
	assert_true(len < WF_INIT_MIN_LEN);
	hn_clear();
	hn_feed(d, pkt, len, EVIL_AT, HN_NOW);
	r = hn_last();
	assert_non_null(r);
	assert_int_equal(r->buf[0], WF_MSG_REVOKED);
	assert_true(r->len <= len);
	/* 60: 1 + 10 more from X_AT at once: 3 more told (4 at once) */
	hn_clear();
	for (int i = 0; i < 10; i++) {
		len = hn_forge(&x.cert, now_ns(2 + i), 0x710 + i, true, pkt, sizeof(pkt));
		hn_feed(d, pkt, len, X_AT, HN_NOW + 1);
	}
	assert_int_equal(hn_n_out, WF_NOTICE_SOURCE_BURST - 1);
	hn_clear();
	for (int i = 0; i < 80; i++) {
		char at[32];
		union wf_endpoint from;

		snprintf(at, sizeof(at), "198.18.1.%d:51820", i + 1);
		from = hn_ep(at);
		len = hn_forge(&x.cert, now_ns(20 + i), 0x720 + i, true, pkt, sizeof(pkt));
		hn_feed(d, pkt, len, &from, HN_NOW + 2);
	}
	told = hn_n_out;
	assert_true(told <= WF_NOTICE_BURST);
	assert_int_equal(d->hs.count.revoked_told + d->hs.count.revoked_told_held, 2 + 10 + 80);
	/* 61: x's daemon, calling v, gets the notice: revoked, the list kept */
	dx = hn_daemon(&x);
	assert_non_null(dx);
	temp_dir(dx);
	init = x_calls_v(dx, HN_NOW);
	assert_non_null(init);
	assert_int_equal(init->buf[0], WF_MSG_HANDSHAKE_INIT);
	memcpy(pkt, init->buf, init->len);
	len = init->len;
	d->hs.notice_tat = 0; /* (the budget, spent above, afresh) */
	wf_srclimit_init(d->hs.notice_sources, 1, false);
	hn_clear();
	hn_feed(d, pkt, len, X_AT, HN_NOW + 5000);
	r = hn_last();
	assert_non_null(r);
	assert_int_equal(r->buf[0], WF_MSG_REVOKED);
	assert_true(r->len <= len);
	notice = *r;
	/* 62: first the same list signed by another key, in a notice for the
	 * same initiation: not believed */
	{
		static uint8_t enc[WF_REVOKE_MAX_ENCODED], forged[WF_HANDSHAKE_MAX];
		static struct wf_revoke fake;
		size_t elen, flen;

		revoke_list(&fake, 2, x.cert.serial, true);
		elen = wf_revoke_encode(&fake, enc, sizeof(enc));
		for (unsigned t = 0; t < 2; t++) { /* its two pieces */
			flen = wf_revoke_notice_encode(forged, len, wf_get_le32(pkt + 4), 2, enc,
						       elen, t);
			assert_int_not_equal(flen, 0);
			hn_feed(dx, forged, flen, &x_at, HN_NOW);
		}
		assert_int_equal(dx->drops[WF_DROP_CERT], 1); /* (complete, and refused) */
		assert_false(wf_notice_self_revoked(dx));
		assert_int_equal(dx->mem.revoked.version, 0);
	}
	/* 63: the genuine notice with another receiver index: nothing */
	wf_put_le32(notice.buf + 4, 0xdead);
	hn_feed(dx, notice.buf, notice.len, &x_at, HN_NOW);
	assert_false(wf_notice_self_revoked(dx));
	wf_put_le32(notice.buf + 4, wf_get_le32(pkt + 4));
	/* 61: the list is in two pieces: one per initiation, x calls again */
	last = wf_get_le32(pkt + 4);
	hn_feed(dx, notice.buf, notice.len, &x_at, HN_NOW);
	assert_false(wf_notice_self_revoked(dx));
	for (int i = 1; i < 4 && !wf_notice_self_revoked(dx); i++) {
		init = x_calls_v(dx, HN_NOW + 1000 * i);
		calls++;
		memcpy(pkt, init->buf, init->len);
		last = wf_get_le32(pkt + 4);
		hn_clear();
		hn_feed(d, pkt, init->len, X_AT, HN_NOW + 5000 + 1000 * i);
		r = hn_last();
		assert_non_null(r);
		assert_int_equal(r->buf[0], WF_MSG_REVOKED);
		assert_true(r->len <= init->len);
		notice = *r;
		hn_feed(dx, notice.buf, notice.len, &x_at, HN_NOW + 1000 * i);
	}
	assert_true(wf_notice_self_revoked(dx));
	assert_int_equal(calls, 2);
	assert_int_equal(dx->mem.revoked.version, 2);
	assert_true(dx->mem.self_revoked.serial == x.cert.serial);
	{
		char path[PATH_MAX + 32];

		snprintf(path, sizeof(path), "%s/revoked.list", dx->node.cfg.dir);
		assert_int_equal(access(path, R_OK), 0);
	}
	assert_null(x_calls_v(dx, HN_NOW + 10));
	/* 63: an old list (version 1) told later changes nothing */
	{
		static uint8_t enc[WF_REVOKE_MAX_ENCODED], old[WF_HANDSHAKE_MAX];
		static struct wf_revoke l1;
		size_t elen, olen;

		revoke_list(&l1, 1, 12345, false);
		elen = wf_revoke_encode(&l1, enc, sizeof(enc));
		for (unsigned t = 0; t < 2; t++) {
			olen = wf_revoke_notice_encode(old, len, last, 1, enc, elen, t);
			hn_feed(dx, old, olen, &x_at, HN_NOW);
		}
		assert_int_equal(dx->drops[WF_DROP_UNKNOWN_INDEX], 1); /* (only 63's above) */
		assert_int_equal(dx->mem.revoked.version, 2);
	}
	/* 64: renewed (a new serial, as weft ca renew and weft reload give):
	 * off the list, it calls again */
	dx->node.self.serial ^= 0x77;
	wf_notice_self_check(dx, HN_NOW + 20);
	assert_false(wf_notice_self_revoked(dx));
	init = x_calls_v(dx, HN_NOW + 2000);
	assert_non_null(init);
	assert_int_equal(init->buf[0], WF_MSG_HANDSHAKE_INIT);
	temp_dir_free(dx);
	hn_daemon_free(dx);
	temp_dir_free(d);
}

/* The member holding kp sends d a control message of len bytes from `from`. */
static void control_msg(struct wf_daemon *d, struct wf_keypair *kp, const uint8_t *plain,
			size_t len, const union wf_endpoint *from)
{
	static uint8_t msg[WF_DATA_OVERHEAD + 1500];
	size_t n = hn_seal(kp, WF_MSG_CONTROL, plain, len, msg);

	assert_true(n);
	hn_feed(d, msg, n, from, HN_NOW);
}

static void pmtu_ack(struct wf_daemon *d, struct wf_keypair *kp, uint32_t seq, unsigned size,
		     const union wf_endpoint *from)
{
	uint8_t ack[WF_PMTU_ACK_LEN];

	control_msg(d, kp, ack, wf_pmtu_ack_encode(seq, size, ack), from);
}

/* 69-73: path MTU probes and acks (mtu.c). An ack moves only its sender's
 * search, and only for the probe in flight: a member can neither change
 * another peer's MTU nor raise its own to a size that was never probed. A
 * probe is answered at once with its seq and size. */
static void test_pmtu(void **state)
{
	struct wf_daemon *d = *state;
	union wf_endpoint m_at = hn_ep("198.18.0.3:51820");
	struct wf_keypair *kx, *km = NULL;
	struct wf_peer *px = with_x(d, &kx), *pm;
	uint8_t probe[1500], *plain;
	struct wf_pmtud_cfg cfg;
	struct wf_pmtud_out o;
	struct hn_sent *r;
	size_t n, plain_len;
	unsigned size;
	uint32_t seq;
	bool replayed;

	km = hn_connect(d, &m, &m_at, 0x900);
	assert_non_null(km);
	pm = wf_peer_find(d, m.cert.pubkey);
	assert_true(pm && pm->proven);
	/* x: confirming its route's 1500 (seq 1); m: after a black hole,
	 * at the base (1228), probing it (seq 4) */
	wf_pmtud_cfg_default(&cfg);
	wf_pmtud_init(&px->pmtud, &cfg, AF_INET, 1500);
	wf_pmtud_up(&px->pmtud, HN_NOW, &o);
	wf_pmtud_init(&pm->pmtud, &cfg, AF_INET, 1500);
	wf_pmtud_up(&pm->pmtud, HN_NOW, &o);
	for (int i = 1; i <= 3; i++)
		wf_pmtud_tick(&pm->pmtud, HN_NOW + i * 1000, &o);
	assert_int_equal(pm->pmtud.state, WF_PMTUD_BASE);
	assert_int_equal(pm->pmtud.plpmtu, WF_PMTUD_BASE4);
	assert_int_equal(px->pmtud.seq, 1);
	assert_int_equal(pm->pmtud.seq, 4);
	/* 69: m answers x's probe: x's search is not m's to move */
	pmtu_ack(d, km, 1, 1500, &m_at);
	assert_int_equal(px->pmtud.acks, 0);
	assert_int_equal(px->pmtud.probed, 1500);
	assert_int_equal(pm->pmtud.acks, 0);
	/* 70: m acknowledges its own probe with a size never probed */
	pmtu_ack(d, km, 4, 1500, &m_at);
	pmtu_ack(d, km, 5, 1228, &m_at);
	assert_int_equal(pm->pmtud.acks, 0);
	assert_int_equal(pm->pmtud.plpmtu, WF_PMTUD_BASE4);
	assert_int_equal(pm->pmtud.state, WF_PMTUD_BASE);
	/* 71: the genuine ack is taken (the control for 69-70) */
	pmtu_ack(d, km, 4, 1228, &m_at);
	assert_int_equal(pm->pmtud.acks, 1);
	assert_int_equal(pm->pmtud.state, WF_PMTUD_SEARCHING);
	assert_int_equal(px->pmtud.acks, 0);
	/* 72: x probes 1400 bytes: answered at once, seq and size */
	n = wf_pmtu_probe_encode(77, 1400, AF_INET, probe, sizeof(probe));
	assert_int_equal(n, 1400 - 28 - WF_DATA_OVERHEAD);
	hn_clear();
	control_msg(d, kx, probe, n, X_AT);
	r = hn_last();
	assert_non_null(r);
	assert_int_equal(r->len, WF_DATA_OVERHEAD + WF_PMTU_ACK_LEN);
	assert_true(wf_endpoint_equal(&r->to, X_AT));
	assert_true(wf_keypair_open(kx, 0, r->buf, r->len, &plain, &plain_len, &replayed));
	assert_true(wf_pmtu_ack_decode(plain, plain_len, &seq, &size));
	assert_true(seq == 77 && size == 1400);
	/* 73: a probe whose size is not what its length makes: not answered */
	probe[5] ^= 1;
	hn_clear();
	control_msg(d, kx, probe, n, X_AT);
	assert_null(hn_last());
	assert_int_equal(px->drops[WF_DROP_MALFORMED], 1);
	wf_keypair_free(kx);
	wf_keypair_free(km);
}

/* 74-76: "too big" from the network (the kernel's error queue, wf_mtu_ptb):
 * a hint for the search of the peer at that endpoint, never a verdict. */
static void test_ptb(void **state)
{
	struct wf_daemon *d = *state;
	union wf_endpoint nobody = hn_ep("198.18.0.99:51820");
	struct wf_keypair *kx;
	struct wf_peer *px = with_x(d, &kx);
	struct wf_pmtud_cfg cfg;
	struct wf_pmtud_out o;

	wf_pmtud_cfg_default(&cfg);
	wf_pmtud_init(&px->pmtud, &cfg, AF_INET, 1500);
	wf_pmtud_up(&px->pmtud, HN_NOW, &o);
	px->mtu_check = false; /* (the tick below asks no kernel for routes) */
	/* 74: a forged one does not lower x's MTU */
	wf_mtu_ptb(d, X_AT, 1400, HN_NOW);
	assert_int_equal(px->pmtud.plpmtu, 1500);
	assert_int_equal(px->pmtud.hint, 1400);
	/* 76: one about an endpoint nobody is at: nothing */
	wf_mtu_ptb(d, &nobody, 1300, HN_NOW);
	assert_int_equal(px->pmtud.hint, 1400);
	/* 75: a true one: the confirmation fails, and after the base the
	 * hint is the first size tried */
	for (int i = 1; i <= 3; i++)
		wf_mtu_tick(d, px, HN_NOW + i * 1000);
	assert_int_equal(px->pmtud.state, WF_PMTUD_BASE);
	pmtu_ack(d, kx, px->pmtud.seq, px->pmtud.probed, X_AT);
	assert_int_equal(px->pmtud.state, WF_PMTUD_SEARCHING);
	assert_int_equal(px->pmtud.probed, 1400);
	wf_keypair_free(kx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_proof, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_revoked_told, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_forged_initiations, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_first_contact, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_owner, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_strangers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_status_nomem, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_old_certificate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hints, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mode, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hearsay_endpoints, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_told_endpoints, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cache_told, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cryptokey_routing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cookies, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_forged_response, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_self, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_member_budget, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_relayed_refusal, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_route_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_send_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pmtu, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ptb, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
