/* SPDX-License-Identifier: MIT */
/*
 * The revocation list in the daemon (src/daemon/revoked.c), end to end but
 * without a socket: a real daemon v with members x and m proven, driven
 * through wf_data_receive, what it sends captured (tests/common/harness.h,
 * linked with -Wl,--wrap=sendto). A list arrives in chunks, is taken once
 * whole and verified, and is pushed on; a member that compares tables with
 * an older list gets ours, not again within 8 s, and again after; every
 * REVOKED datagram has one length whatever the list. Cases are numbered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../common/harness.h"
#include "daemon/peer.h"
#include "daemon/revoked.h"
#include "store/keyfile.h"

/* A REVOKED chunk on the wire: data header, 1,200 bytes, tag. */
enum { CHUNK_WIRE = WF_DATA_OVERHEAD + WF_REVOKE_CHUNK_LEN };

static struct hn_node v, x, m;
static union wf_endpoint x_at, m_at;
static struct wf_keypair *xk, *mk;
static char dir[64]; /* NODEDIR, made for each case */

static int setup(void **state)
{
	struct wf_daemon *d;

	wf_crypto_init();
	wf_log_set_level(WF_LOG_ERROR);
	if (!hn_network() || !hn_node(&v, "v", 1, "100.64.0.1", NULL, 60) ||
	    !hn_node(&x, "x", 2, "100.64.0.2", NULL, 60) ||
	    !hn_node(&m, "m", 5, "100.64.0.3", NULL, 60))
		return -1;
	snprintf(dir, sizeof(dir), "/tmp/weft-test-revoked.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	x_at = hn_ep("198.18.0.2:51820");
	m_at = hn_ep("198.18.0.3:51820");
	d = hn_daemon(&v);
	if (!d)
		return -1;
	snprintf(d->node.cfg.dir, sizeof(d->node.cfg.dir), "%s", dir);
	xk = hn_connect(d, &x, &x_at, 0x100);
	mk = hn_connect(d, &m, &m_at, 0x200);
	*state = d;
	return xk && mk ? 0 : -1;
}

static int teardown(void **state)
{
	char path[sizeof(dir) + 32];

	hn_daemon_free(*state);
	wf_keypair_free(xk);
	wf_keypair_free(mk);
	snprintf(path, sizeof(path), "%s/revoked.list", dir);
	unlink(path);
	rmdir(dir);
	return 0;
}

/* A list for network "hn" of version `version` with n serials, signed by
 * the CA (or, forged, by another key); its encoding in enc. */
static size_t make_list(struct wf_revoke *r, uint64_t version, unsigned n, bool forged,
			uint8_t *enc)
{
	uint8_t other[WF_KEY_LEN];

	memset(r, 0, sizeof(*r));
	memset(other, 0x0f, sizeof(other));
	snprintf(r->network, sizeof(r->network), "hn");
	r->version = version;
	for (unsigned i = 0; i < n; i++)
		r->serial[r->n++] = 0x100000 + 3 * (uint64_t)i;
	assert_true(wf_revoke_sign(r, forged ? other : hn_ca_priv));
	return wf_revoke_encode(r, enc, WF_REVOKE_MAX_ENCODED);
}

/* The member holding kp, at `at`, sends d the control message msg. */
static void control(struct wf_daemon *d, struct wf_keypair *kp, const union wf_endpoint *at,
		    const uint8_t *msg, size_t len, int64_t now)
{
	static uint8_t pkt[WF_DATA_OVERHEAD + WF_GOSSIP_MTU_MAX];
	size_t n = hn_seal(kp, WF_MSG_CONTROL, msg, len, pkt);

	assert_true(n);
	wf_data_receive(&d->dp.ctl, pkt, n, at, now);
}

/* Chunk i of the list enc, from the member holding kp. */
static void chunk(struct wf_daemon *d, struct wf_keypair *kp, const union wf_endpoint *at,
		  const uint8_t *enc, size_t len, uint64_t version, unsigned i, int64_t now)
{
	uint8_t msg[WF_REVOKE_CHUNK_LEN];
	struct wf_revoke_chunk c = wf_revoke_chunk_at(enc, len, version, i);

	wf_revoke_chunk_encode(&c, msg);
	control(d, kp, at, msg, sizeof(msg), now);
}

/* x compares tables with d, holding list version epoch. */
static void compare(struct wf_daemon *d, uint64_t epoch, int64_t now)
{
	uint8_t sync[WF_GOSSIP_SYNC_LEN] = {WF_GOSSIP_SYNC, 1};

	wf_put_le32(sync + 2, 1);
	wf_put_le64(sync + 6, epoch);
	control(d, xk, &x_at, sync, sizeof(sync), now);
}

/* Datagrams of a chunk's length sent since hn_clear() to `to`; any other
 * control datagram to anyone is no list. */
static unsigned chunks_to(const union wf_endpoint *to)
{
	unsigned n = 0;

	assert_true(hn_n_out <= HN_OUT_MAX);
	for (unsigned i = 0; i < hn_n_out; i++)
		if (hn_out[i].len == CHUNK_WIRE && wf_endpoint_equal(&hn_out[i].to, to))
			n++;
	return n;
}

/* 1-3: a list in chunks, taken once whole, kept, pushed on. */
static void test_receive(void **state)
{
	static uint8_t enc[WF_REVOKE_MAX_ENCODED];
	static struct wf_revoke r;
	struct wf_daemon *d = *state;
	unsigned order[] = {2, 0, 2, 1};
	char path[sizeof(dir) + 32], err[WF_ERR_MAX];
	size_t len = make_list(&r, 1, 300, false, enc);

	assert_int_equal(wf_revoke_chunk_count(len), 3);
	/* 1: out of order, with a copy: nothing until the last, then taken */
	hn_clear();
	for (unsigned i = 0; i < 3; i++) {
		chunk(d, xk, &x_at, enc, len, 1, order[i], HN_NOW);
		assert_int_equal(d->mem.revoked.version, 0);
	}
	assert_int_equal(wf_revoke_asm_busy(&d->mem.revoked_asm), 1);
	chunk(d, xk, &x_at, enc, len, 1, order[3], HN_NOW);
	assert_int_equal(d->mem.revoked.version, 1);
	assert_int_equal(d->mem.revoked.n, 300);
	assert_int_equal(wf_revoke_asm_busy(&d->mem.revoked_asm), 0);
	/* 2: kept in NODEDIR, and the gossip epoch is its version */
	snprintf(path, sizeof(path), "%s/revoked.list", dir);
	assert_true(wf_revoke_load(path, &r, err, sizeof(err)));
	assert_int_equal(r.version, 1);
	assert_int_equal(d->mem.gossip.epoch, 1);
	/* 3: pushed to m, all three chunks; not back to x, who sent it */
	assert_int_equal(chunks_to(&m_at), 3);
	assert_int_equal(chunks_to(&x_at), 0);
}

/* 4-7: anti-entropy: a member comparing tables with an older list gets
 * ours, but not again within 8 s (less than the comparison period);
 * nothing for as new a list. */
static void test_compared(void **state)
{
	static uint8_t enc[WF_REVOKE_MAX_ENCODED];
	static struct wf_revoke r;
	struct wf_daemon *d = *state;
	size_t len = make_list(&r, 1, 300, false, enc);

	/* 4: m's list, pushed on to x at once */
	hn_clear();
	for (unsigned i = 0; i < 3; i++)
		chunk(d, mk, &m_at, enc, len, 1, i, HN_NOW);
	assert_int_equal(d->mem.revoked.version, 1);
	assert_int_equal(chunks_to(&x_at), 3);
	/* 5: lost, say; x compares holding no list 7.9 s later: not yet */
	hn_clear();
	compare(d, 0, HN_NOW + 7900);
	assert_int_equal(chunks_to(&x_at), 0);
	/* 6: ... 8 s after the push: all of ours goes to x again */
	compare(d, 0, HN_NOW + 8000);
	assert_int_equal(chunks_to(&x_at), 3);
	/* 7: x holds ours, or a newer one: nothing (a newer one comes to us
	 * when we compare with x) */
	hn_clear();
	compare(d, 1, HN_NOW + 30000);
	compare(d, 2, HN_NOW + 40000);
	assert_int_equal(chunks_to(&x_at), 0);
	assert_int_equal(d->mem.revoked.version, 1);
}

/* 8-10: a member that lies spoils only its own list; every REVOKED
 * datagram has the same length; what is never finished is dropped. */
static void test_liar(void **state)
{
	static uint8_t enc[WF_REVOKE_MAX_ENCODED], bad[WF_REVOKE_MAX_ENCODED];
	static struct wf_revoke r;
	struct wf_daemon *d = *state;
	struct wf_peer *mp = wf_peer_find(d, m.cert.pubkey);
	size_t len = make_list(&r, 2, 2000, false, enc), blen = make_list(&r, 2, 2000, true, bad);
	unsigned n = wf_revoke_chunk_count(len);
	uint64_t cert_drops = mp->drops[WF_DROP_CERT];

	/* 8: m sends a forged version 2 while x sends the real one, chunk by
	 * chunk in turn: m's is refused (signature), x's is taken */
	assert_int_equal(n, 14);
	for (unsigned i = 0; i < n; i++) {
		chunk(d, mk, &m_at, bad, blen, 2, i, HN_NOW);
		chunk(d, xk, &x_at, enc, len, 2, i, HN_NOW);
	}
	assert_int_equal(mp->drops[WF_DROP_CERT], cert_drops + 1);
	assert_int_equal(d->mem.revoked.version, 2);
	assert_int_equal(d->mem.revoked.n, 2000);
	/* 9: a list of 1 serial goes out in datagrams as long as one of 2000 */
	len = make_list(&r, 3, 1, false, enc);
	hn_clear();
	chunk(d, xk, &x_at, enc, len, 3, 0, HN_NOW + 1000);
	assert_int_equal(d->mem.revoked.version, 3);
	assert_int_equal(chunks_to(&m_at), 1);
	for (unsigned i = 0; i < hn_n_out; i++)
		assert_int_equal(hn_out[i].len, CHUNK_WIRE);
	/* 10: half a list from m is dropped WF_REVOKE_ASM_MS later */
	len = make_list(&r, 4, 2000, false, enc);
	chunk(d, mk, &m_at, enc, len, 4, 0, HN_NOW + 2000);
	assert_int_equal(wf_revoke_asm_busy(&d->mem.revoked_asm), 1);
	wf_revoked_tick(d, HN_NOW + 2000 + WF_REVOKE_ASM_MS - 1);
	assert_int_equal(wf_revoke_asm_busy(&d->mem.revoked_asm), 1);
	wf_revoked_tick(d, HN_NOW + 2000 + WF_REVOKE_ASM_MS);
	assert_int_equal(wf_revoke_asm_busy(&d->mem.revoked_asm), 0);
	assert_int_equal(d->mem.revoked.version, 3);
}

/* 11-13: who was seen revoked, for status: the same certificate is one
 * record whose refusals add up; past WF_REVOKED_SHOWN the oldest gives way;
 * a list taken ends the sessions of the peers it names and records them. */
static void test_noted(void **state)
{
	static uint8_t enc[WF_REVOKE_MAX_ENCODED];
	static struct wf_revoke r;
	struct wf_daemon *d = *state;
	struct wf_cert c = {.serial = 100};
	size_t len;

	/* 11 */
	snprintf(c.name, sizeof(c.name), "c");
	wf_revoked_note(d, &c, false, 1000);
	wf_revoked_note(d, &c, true, 2000);
	wf_revoked_note(d, &c, true, 3000);
	assert_int_equal(d->mem.n_gone, 1);
	assert_string_equal(d->mem.gone[0].name, "c");
	assert_int_equal(d->mem.gone[0].since, 1000);
	assert_int_equal(d->mem.gone[0].refused, 2);
	/* 12: as many more, newer: c, the oldest, is the one that gave way */
	for (unsigned i = 0; i < WF_REVOKED_SHOWN; i++) {
		c.serial = 200 + i;
		wf_revoked_note(d, &c, false, 5000 + i);
	}
	assert_int_equal(d->mem.n_gone, WF_REVOKED_SHOWN);
	for (unsigned i = 0; i < WF_REVOKED_SHOWN; i++)
		assert_int_not_equal(d->mem.gone[i].serial, 100);
	/* 13: m hands over a list naming x, a peer: x's sessions end, and it
	 * is recorded, with no refusal yet */
	d->mem.n_gone = 0;
	assert_non_null(wf_peer_find(d, x.cert.pubkey));
	memset(&r, 0, sizeof(r));
	snprintf(r.network, sizeof(r.network), "hn");
	r.version = 1;
	r.serial[r.n++] = x.cert.serial;
	assert_true(wf_revoke_sign(&r, hn_ca_priv));
	len = wf_revoke_encode(&r, enc, sizeof(enc));
	chunk(d, mk, &m_at, enc, len, 1, 0, HN_NOW);
	assert_int_equal(d->mem.revoked.version, 1);
	assert_null(wf_peer_find(d, x.cert.pubkey));
	assert_int_equal(d->mem.n_gone, 1);
	assert_string_equal(d->mem.gone[0].name, "x");
	assert_int_equal(d->mem.gone[0].serial, x.cert.serial);
	assert_int_equal(d->mem.gone[0].refused, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_receive, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_compared, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_liar, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_noted, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
