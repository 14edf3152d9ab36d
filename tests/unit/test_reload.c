/* SPDX-License-Identifier: MIT */
/*
 * weft reload and the CA certificate's allowed routes (src/daemon/reload.c),
 * end to end but without a socket: a real daemon v (100.64.0.1) reading its
 * files from a temporary NODEDIR, a gateway g whose certificate routes
 * 10.20.0.0/16 and a member x with no routes, driven through
 * wf_handshake_receive and wf_data_receive (tests/common/harness.h).
 *
 * What must hold: a reload that widens the list lets a gateway refused before
 * in at its next handshake (its refusal is not remembered); one that narrows
 * it removes the gateway, its routes with it, and leaves the others; a CA
 * certificate that does not allow this node's own route is refused whole,
 * naming both files. Cases are numbered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../common/harness.h"
#include "core/message.h"
#include "daemon/peer.h"
#include "daemon/reload.h"
#include "store/keyfile.h"

static struct hn_node v, g, w, x;
static union wf_endpoint g_at, x_at;
static char dir[64]; /* NODEDIR, made for each case */
static char msg[4096];

static const char CONF[] = "name = v\nlisten = 198.18.0.1:51820\nkeepalive-interval = 1s\n"
			   "handshake-timeout = 1s\nlog-level = error\n";

static void write_file(const char *name, const char *text)
{
	char path[sizeof(dir) + 32];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void save_cert(const char *name, const struct wf_cert *c)
{
	char path[sizeof(dir) + 32], err[WF_ERR_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!wf_cert_save(path, c, true, err, sizeof(err)))
		fail_msg("%s", err);
}

/* The network's CA certificate renewed with `allowed` as its allowed
 * routes (NULL: none), written to NODEDIR/ca.crt; returned in *out. */
static void write_ca(const char *allowed, uint64_t serial, struct wf_cert *out)
{
	struct wf_cert c = hn_ca_cert;

	memset(c.allowed, 0, sizeof(c.allowed));
	c.n_allowed = 0;
	if (allowed)
		assert_true(wf_prefix_parse(&c.allowed[c.n_allowed++], allowed, true));
	c.serial = serial;
	c.not_after += (int64_t)serial; /* each its own validity, to tell them apart */
	assert_true(wf_cert_sign(&c, hn_ca_priv));
	save_cert("ca.crt", &c);
	if (out)
		*out = c;
}

static struct wf_daemon *daemon_in_dir(const struct hn_node *self, const struct wf_cert *ca)
{
	struct wf_daemon *d = hn_daemon(self);
	char err[WF_CONFIG_MAX_LINE];

	assert_non_null(d);
	write_file("weft.conf", CONF);
	save_cert("node.crt", &self->cert);
	assert_true(wf_config_load(&d->node.cfg, dir, err, sizeof(err)));
	d->node.ca = *ca;
	return d;
}

static int setup(void **state)
{
	wf_crypto_init();
	wf_log_set_level(WF_LOG_ERROR);
	if (!hn_network() || !hn_node(&v, "v", 1, "100.64.0.1", NULL, 60) ||
	    !hn_node(&x, "x", 2, "100.64.0.2", NULL, 60) ||
	    !hn_node(&g, "g", 6, "100.64.0.6", "10.20.0.0/16", 60) ||
	    !hn_node(&w, "w", 7, "100.64.0.7", "10.20.0.0/16", 60))
		return -1;
	snprintf(dir, sizeof(dir), "/tmp/weft-test-reload.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	g_at = hn_ep("198.18.0.6:51820");
	x_at = hn_ep("198.18.0.2:51820");
	*state = NULL;
	return 0;
}

static int teardown(void **state)
{
	static const char *const files[] = {"weft.conf", "ca.crt", "node.crt"};
	char path[sizeof(dir) + 32];

	if (*state)
		hn_daemon_free(*state);
	for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	return 0;
}

static struct wf_peer *owner(struct wf_daemon *d, const char *addr)
{
	struct wf_prefix p;

	assert_true(wf_addr_parse(&p, addr));
	return wf_routes_lookup(d->peers.routes, p.family, p.addr);
}

/* x, a member, tells d of cert as members do: a gossip record of its key,
 * then (d asks for it) the MEMBER message with the certificate. */
static void tell(struct wf_daemon *d, struct wf_keypair *xk, const struct wf_cert *cert)
{
	static uint8_t pkt[WF_DATA_OVERHEAD + 2048];
	uint8_t upd[2 + 42] = {WF_GOSSIP_UPDATES, 0}, enc[WF_CERT_MAX_ENCODED], member[1200];
	union wf_endpoint at = hn_ep("198.18.0.6:51820");
	size_t n, len;

	memcpy(upd + 2, cert->pubkey, WF_KEY_LEN);
	wf_put_le64(upd + 34, 1);
	upd[42] = WF_GS_ALIVE;
	len = hn_seal(xk, WF_MSG_CONTROL, upd, sizeof(upd), pkt);
	assert_true(len);
	hn_feed(d, pkt, len, &x_at, HN_NOW);
	n = wf_member_encode(enc, wf_cert_encode(cert, enc, sizeof(enc)), &at, member,
			     sizeof(member));
	len = hn_seal(xk, WF_MSG_CONTROL, member, n, pkt);
	assert_true(n && len);
	hn_feed(d, pkt, len, &x_at, HN_NOW);
}

/* g calls v (a new initiation each time: a later timestamp) and, if
 * answered, proves it: is g then a proven peer of v's? */
static bool g_gets_in(struct wf_daemon *d, int64_t after_ms)
{
	struct wf_keypair *kp =
	    hn_handshake(d, &g, &g_at, wf_realtime_ns() + (uint64_t)after_ms * 1000000, 0x600);
	struct wf_peer *p;

	if (!kp)
		return false;
	hn_keepalive(d, kp, &g_at);
	wf_keypair_free(kp);
	p = wf_peer_find(d, g.cert.pubkey);
	return p && p->proven;
}

/* 1-6, 9: the list widened lets g in; narrowed, g goes, and nobody brings
 * it back. */
static void test_allowed_routes(void **state)
{
	struct wf_cert none, wide;
	struct wf_keypair *xk;
	struct wf_daemon *d;
	uint64_t drops;

	write_ca(NULL, 2, &none);
	d = *state = daemon_in_dir(&v, &none);
	xk = hn_connect(d, &x, &x_at, 0x200);
	assert_non_null(xk);
	/* 1: g's certificate routes what the CA does not allow: refused */
	assert_false(g_gets_in(d, 0));
	assert_int_equal(d->drops[WF_DROP_CERT], 1);
	assert_null(owner(d, "10.20.0.5"));
	/* 2: the CA renewed with 10.20.0.0/16, reloaded: taken, and said */
	write_ca("10.20.0.0/16", 3, &wide);
	assert_true(wf_reload(d, msg, sizeof(msg), HN_NOW));
	assert_non_null(strstr(msg, "CA's allowed routes now 10.20.0.0/16 (0 peers removed)"));
	assert_int_equal(d->node.ca.n_allowed, 1);
	assert_int_equal(d->node.ca.not_after, wide.not_after);
	/* 3: g's next handshake is answered (its refusal was not kept), and g
	 * holds the LAN */
	assert_true(g_gets_in(d, 1000));
	assert_ptr_equal(owner(d, "10.20.0.5"), wf_peer_find(d, g.cert.pubkey));
	/* 4: narrowed again: g goes with its routes; x stays */
	write_ca(NULL, 4, NULL);
	assert_true(wf_reload(d, msg, sizeof(msg), HN_NOW));
	assert_non_null(strstr(msg, "CA's allowed routes now none (1 peer removed)"));
	assert_null(wf_peer_find(d, g.cert.pubkey));
	assert_null(owner(d, "10.20.0.5"));
	assert_null(owner(d, "100.64.0.6"));
	assert_true(wf_peer_find(d, x.cert.pubkey)->proven);
	assert_ptr_equal(owner(d, "100.64.0.2"), wf_peer_find(d, x.cert.pubkey));
	/* 5: and g is refused again */
	assert_false(g_gets_in(d, 2000));
	/* 9: a member that still holds the old list cannot bring g back: told
	 * of by x, g is refused as from g itself */
	drops = d->drops[WF_DROP_CERT];
	tell(d, xk, &g.cert);
	assert_int_equal(d->drops[WF_DROP_CERT], drops + 1); /* judged, and refused */
	assert_null(wf_peer_find(d, g.cert.pubkey));
	assert_null(owner(d, "10.20.0.5"));
	/* 6: a reload that leaves the list as it was says nothing of it */
	assert_true(wf_reload(d, msg, sizeof(msg), HN_NOW));
	assert_null(strstr(msg, "allowed routes"));
	wf_keypair_free(xk);
}

/* 7-8: this node's own route not allowed by the new CA: nothing changes. */
static void test_own_route(void **state)
{
	char want[512];
	struct wf_cert wide;
	struct wf_daemon *d;

	write_ca("10.20.0.0/16", 3, &wide);
	d = *state = daemon_in_dir(&w, &wide);
	assert_true(g_gets_in(d, 0)); /* proven (the LAN it routes is w's own here) */
	/* 7: refused, naming both files and the route */
	write_ca(NULL, 4, NULL);
	write_file("weft.conf", "name = v\nlisten = 198.18.0.1:51820\nkeepalive-interval = 5s\n"
				"handshake-timeout = 1s\nlog-level = error\n");
	assert_false(wf_reload(d, msg, sizeof(msg), HN_NOW));
	snprintf(want, sizeof(want),
		 "%s/ca.crt: does not allow 10.20.0.0/16, which this node's certificate "
		 "(%s/node.crt) routes: nothing changed (renew the certificate without it first)",
		 dir, dir);
	assert_string_equal(msg, want);
	/* 8: all or nothing: the list, weft.conf's keys and the peers as they were */
	assert_int_equal(d->node.ca.n_allowed, 1);
	assert_int_equal(d->node.ca.not_after, wide.not_after);
	assert_int_equal(d->node.cfg.keepalive_interval_ms, 1000);
	assert_true(wf_peer_find(d, g.cert.pubkey)->proven);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_allowed_routes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_own_route, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
