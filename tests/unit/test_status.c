/* SPDX-License-Identifier: MIT */
/* weft status: the table renderer fed JSON strings, and the client against a real control
 * socket served from a thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/status.h"
#include "daemon/control.h"

/* The example of docs/status-json.md (shortened), rendered at NOW. */
enum { NOW = 1764590400 }; /* 2025-12-01T12:00:00Z */

static const char example[] =
	"{\"version\": 1,\n"
	" \"node\": {\"name\": \"alpha\", \"network\": \"demo\", \"interface\": \"weft0\",\n"
	"          \"addresses\": [\"100.64.0.1\", \"fd00::1\"], \"routes\": [],\n"
	"          \"listen\": \"198.18.0.1:51820\", \"public_key\": \"AAAA\", \"mtu\": 1440,\n"
	"          \"uptime_seconds\": 3725, \"serial\": \"0102030405060708\",\n"
	"          \"groups\": [\"web\"], \"not_after\": \"2026-12-01T12:00:00Z\",\n"
	"          \"ca_not_after\": \"2035-12-01T12:00:00Z\",\n"
	"          \"offloads\": {\"tun_tso\": {\"on\": true, \"why\": null},\n"
	"                       \"udp_gso\": {\"on\": false, \"why\": \"weft.conf\"},\n"
	"                       \"udp_gro\": {\"on\": true, \"why\": null}}},\n"
	" \"peers\": [\n"
	"  {\"name\": \"beta\", \"addresses\": [\"100.64.0.2\", \"fd00::2\"],\n"
	"   \"routes\": [\"100.64.128.0/24\"], \"groups\": [\"db\"],\n"
	"   \"not_after\": \"2025-12-13T12:00:00Z\",\n"
	"   \"endpoint\": \"198.18.0.2:51820\", \"state\": \"up\", \"last_handshake_seconds\": 12,\n"
	"   \"rtt_ms\": 0.42, \"rttvar_ms\": 0.2,\n"
	"   \"rx_bytes\": 1258291, \"tx_bytes\": 3565158, \"rx_packets\": 840, \"tx_packets\": 900,\n"
	"   \"drops\": {\"replay\": 2, \"decrypt\": 1}},\n"
	"  {\"name\": \"gamma-long-name\", \"addresses\": [\"100.64.0.3\"], \"routes\": [],\n"
	"   \"endpoint\": null, \"state\": \"connecting\", \"last_handshake_seconds\": null,\n"
	"   \"rx_bytes\": 0, \"tx_bytes\": 148, \"rx_packets\": 0, \"tx_packets\": 1,\n"
	"   \"not_after\": \"2026-06-01T12:00:00Z\", \"drops\": {}}\n"
	" ],\n"
	" \"drops\": {\"no_route\": 3, \"bad_source\": 0, \"malformed\": 1}\n"
	"}\n";

static const char example_table[] =
	"node alpha (100.64.0.1, fd00::1) on weft0, listening on 198.18.0.1:51820, network demo\n"
	"up 1h02m, mtu 1440, certificate 0102030405060708 valid until 2026-12-01T12:00:00Z (in "
	"365d)\n"
	"groups web\n"
	"offloads: tun-tso udp-gro; off: udp-gso (weft.conf)\n"
	"PEER             ADDRESSES            ENDPOINT          STATE       HANDSHAKE  RTT    RX         "
	"  TX           DROPS  EXPIRES\n"
	"beta             100.64.0.2, fd00::2  198.18.0.2:51820  up          12s ago    0.4ms  1.2 MiB/"
	"840  3.4 MiB/900  3      in 12d\n"
	"gamma-long-name  100.64.0.3           -                 connecting  never      -      0 B/0    "
	"    148 B/1      0      in 182d\n"
	"  beta: routes 100.64.128.0/24; groups db\n"
	"drops: no_route 3, malformed 1\n"
	"warning: the certificate of beta expires in 12 days, at 2025-12-13T12:00:00Z\n";

/* Renders json into a string; returns NULL (and err) on failure. */
static char *render(const char *json, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	bool ok;

	assert_non_null(f);
	ok = wf_status_render(f, json, NOW, err, errlen);
	assert_int_equal(fclose(f), 0);
	if (!ok) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void expect_render(int num, const char *json, const char *want)
{
	char err[256] = "", *got = render(json, err, sizeof(err));

	if (!got || strcmp(got, want)) {
		print_error("case %d:\n--- got (%s)\n%s--- want\n%s", num, err, got ? got : "",
			    want);
		fail();
	}
	free(got);
}

static void expect_fail(int num, const char *json, const char *want)
{
	char err[256] = "", *got = render(json, err, sizeof(err));

	if (got || strcmp(err, want)) {
		print_error("case %d: got \"%s\", want \"%s\"\n", num, err, want);
		fail();
	}
	free(got);
}

/* weft status --check on json at NOW: the line and the exit status. */
static void want_check(int num, const char *json, int want_rc, const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	assert_non_null(f);
	rc = wf_status_check(f, json, NOW);
	assert_int_equal(fclose(f), 0);
	if (rc != want_rc || strcmp(buf, want)) {
		print_error("case %d: got %d \"%s\", want %d \"%s\"\n", num, rc, buf, want_rc, want);
		fail();
	}
	free(buf);
}

/* 26-33, 47: --check, against a naive reading of each case. */
static void test_check(void **state)
{
#define NODE_OK "\"node\":{\"not_after\":\"2026-12-01T12:00:00Z\",\"ca_not_after\":\"2030-01-01T00:00:00Z\"}"
	(void)state;
	/* 26: every peer up, idle ones not counted; a node alone is OK too */
	want_check(26,
		     "{\"version\":1," NODE_OK ",\"peers\":[{\"name\":\"a\",\"state\":\"up\"},"
		     "{\"name\":\"b\",\"state\":\"idle\"}]}",
		     WF_CHECK_OK, "OK: 1 of 1 peers up | peers_up=1 peers=1\n");
	want_check(27, "{\"version\":1," NODE_OK ",\"peers\":[]}", WF_CHECK_OK,
		     "OK: 0 of 0 peers up | peers_up=0 peers=0\n");
	/* 28: some not up: a warning naming them (a name from the network
	 * cannot drive the terminal) */
	want_check(28,
		     "{\"version\":1," NODE_OK ",\"peers\":[{\"name\":\"a\",\"state\":\"up\"},"
		     "{\"name\":\"b\\u001b\",\"state\":\"connecting\"}]}",
		     WF_CHECK_WARNING,
		     "WARNING: 1 of 2 peers up; not up: b? (connecting) | peers_up=1 peers=2\n");
	/* 29: none up: critical */
	want_check(29,
		     "{\"version\":1," NODE_OK ",\"peers\":[{\"name\":\"a\",\"state\":\"down\"}]}",
		     WF_CHECK_CRITICAL, "CRITICAL: 0 of 1 peers up; not up: a (down) | peers_up=0 peers=1\n");
	/* 30: the node's certificate ends in 10 days: a warning; 31: the CA's
	 * expired: critical, whatever the peers */
	want_check(30,
		     "{\"version\":1,\"node\":{\"not_after\":\"2025-12-11T12:00:00Z\"},\"peers\":[]}",
		     WF_CHECK_WARNING,
		     "WARNING: 0 of 0 peers up; the node certificate expires in 10d | peers_up=0 peers=0\n");
	want_check(31,
		     "{\"version\":1,\"node\":{\"ca_not_after\":\"2025-12-01T11:59:59Z\"},\"peers\":"
		     "[{\"name\":\"a\",\"state\":\"up\"}]}",
		     WF_CHECK_CRITICAL,
		     "CRITICAL: 1 of 1 peers up; the CA certificate expired | peers_up=1 peers=1\n");
	/* 47: this node revoked: critical, whatever the peers */
	want_check(47,
		     "{\"version\":1,\"node\":{\"revoked\":{\"serial\":\"ab\"}},\"peers\":[]}",
		     WF_CHECK_CRITICAL,
		     "CRITICAL: 0 of 0 peers up; this node's certificate is revoked | peers_up=0 peers=0\n");
	want_check(47, "{\"version\":1,\"node\":{\"revoked\":null},\"peers\":[]}", WF_CHECK_OK,
		     "OK: 0 of 0 peers up | peers_up=0 peers=0\n");
	/* 32: the daemon's error, or 33: what is no status: unknown */
	want_check(32, "{\"error\":\"busy\"}", WF_CHECK_UNKNOWN,
		     "UNKNOWN: busy | peers_up=0 peers=0\n");
	want_check(33, "not json", WF_CHECK_UNKNOWN,
		     "UNKNOWN: the daemon's answer is not a status weft knows | peers_up=0 peers=0\n");
#undef NODE_OK
}

/* A form (dump, or rates between two documents secs apart) into a string;
 * NULL (and err) on failure. */
static char *form(const char *json, const char *before, double secs, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	bool ok;

	assert_non_null(f);
	ok = before ? wf_status_rates(f, before, json, secs, err, errlen)
		    : wf_status_dump(f, json, err, errlen);
	assert_int_equal(fclose(f), 0);
	if (!ok) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void want_form(int num, const char *json, const char *before, double secs, const char *want)
{
	char err[256] = "", *got = form(json, before, secs, err, sizeof(err));

	if (want ? !got || strcmp(got, want) : got != NULL) {
		print_error("case %d:\n--- got (%s)\n%s--- want\n%s", num, err, got ? got : "",
			    want ? want : "(a failure)\n");
		fail();
	}
	free(got);
}

/* 35-39: --dump and --watch's rates. */
static void test_dump_and_rates(void **state)
{
	static const char later[] =
		"{\"version\":1,\"node\":{\"name\":\"alpha\"},\"peers\":["
		"{\"name\":\"beta\",\"state\":\"up\",\"rx_bytes\":1260339,\"tx_bytes\":3565158,"
		"\"rx_packets\":850,\"tx_packets\":900,\"drops\":{\"replay\":4,\"decrypt\":1}},"
		"{\"name\":\"delta\",\"state\":\"up\",\"rx_bytes\":2048,\"rx_packets\":2}]}";

	(void)state;
	/* 35: the node, then a line a peer: empty fields "-", lists joined
	 * with commas, the drops summed */
	want_form(35, example, NULL, 0,
		  "alpha\t100.64.0.1,fd00::1\t198.18.0.1:51820\tdemo\tAAAA\t1440\t-\t3725\n"
		  "beta\t100.64.0.2,fd00::2\t100.64.128.0/24\t198.18.0.2:51820\tup\t-\t-\t12\t"
		  "1258291\t3565158\t840\t900\t3\t-\t0.420\n"
		  "gamma-long-name\t100.64.0.3\t-\t-\tconnecting\t-\t-\t-\t0\t148\t0\t1\t0\t-\t-\n");
	/* 36: a tab or newline from the network cannot make another field or
	 * line */
	want_form(36, "{\"version\":1,\"node\":{\"name\":\"a\\tb\\nc\"},\"peers\":[]}", NULL, 0,
		  "a?b?c\t-\t-\t-\t-\t-\t-\t-\n");
	/* 37: the daemon's error, another version: refused */
	want_form(37, "{\"error\":\"busy\"}", NULL, 0, NULL);
	want_form(37, "{\"version\":2,\"node\":{},\"peers\":[]}", NULL, 0, NULL);
	/* 38: rates over 2 s: beta received 2048 B and 10 packets, 2 drops;
	 * delta is new (from 0) */
	want_form(38, later, example, 2,
		  "node alpha, rates over 2.0 s\n"
		  "PEER             STATE                 RX           TX  RX PKT/s  TX PKT/s  DROP/s\n"
		  "beta             up             1.0 KiB/s        0 B/s         5         0       1\n"
		  "delta            up             1.0 KiB/s        0 B/s         1         0       0\n");
	/* 39: no time between the two: refused */
	want_form(39, later, example, 0, NULL);
}

static void test_render(void **state)
{
	/* 0: the documented example */
	expect_render(0, example, example_table);
	/* 1: a node alone, fields missing: placeholders, no uptime line */
	expect_render(1, "{\"version\":1,\"node\":{\"name\":\"solo\"},\"peers\":[]}",
		      "node solo (-) on ?, listening on ?, network ?\nno peers\n");
	/* 2: control characters from the network never reach the terminal */
	expect_render(2,
		      "{\"version\":1,\"node\":{\"name\":\"a\\u001b[2J\"},\"peers\":[{\"name\":"
		      "\"b\\n\",\"state\":\"up\",\"last_handshake_seconds\":90061,\"rx_bytes\":"
		      "5e12}]}",
		      "node a?[2J (-) on ?, listening on ?, network ?\n"
		      "PEER  ADDRESSES  ENDPOINT  STATE  HANDSHAKE  RTT  RX         TX     DROPS  EXPIRES\n"
		      "b?    -          -         up     1d01h ago  -    4.5 TiB/0  0 B/0  0      ?\n");
	/* 22: every offload off, and a reason from the network cut to a cell */
	expect_render(22,
		      "{\"version\":1,\"node\":{\"name\":\"a\",\"offloads\":{\"udp_gso\":{\"on\":"
		      "false,\"why\":\"x\\u0007\"},\"tun_tso\":{\"on\":false}}},\"peers\":[]}",
		      "node a (-) on ?, listening on ?, network ?\n"
		      "offloads: none; off: udp-gso (x?), tun-tso (?)\n"
		      "no peers\n");
	/* 23: the kernel path: its line, and the peers on it ("up, kernel",
	 * "up (suspect), kernel-udp"); a peer on the userspace path shows none */
	expect_render(23,
		      "{\"version\":1,\"node\":{\"name\":\"a\",\"datapath\":{\"path\":\"kernel\","
		      "\"reason\":\"\",\"interface\":\"weft0-x\",\"encap\":\"none\",\"esp_port\":"
		      "51821}},\"peers\":[{\"name\":\"b\",\"state\":\"up\",\"path\":\"kernel\"},"
		      "{\"name\":\"c\",\"state\":\"up\",\"path\":\"kernel-udp\",\"member\":"
		      "{\"state\":\"suspect\"}},{\"name\":\"d\",\"state\":\"up\",\"path\":"
		      "\"userspace\"}]}",
		      "node a (-) on ?, listening on ?, network ?\n"
		      "data path: kernel (ESP, or ESP in UDP on port 51821; interface weft0-x)\n"
		      "PEER  ADDRESSES  ENDPOINT  STATE                     HANDSHAKE  RTT  RX     TX     DROPS  EXPIRES\n"
		      "b     -          -         up, kernel                never      -    0 B/0  0 B/0  0      ?\n"
		      "c     -          -         up (suspect), kernel-udp  never      -    0 B/0  0 B/0  0      ?\n"
		      "d     -          -         up                        never      -    0 B/0  0 B/0  0      ?\n");
	/* 41: weft.conf keys that wait for a restart */
	expect_render(41,
		      "{\"version\":1,\"node\":{\"name\":\"a\",\"restart_pending\":\"listen, mtu\"},"
		      "\"peers\":[]}",
		      "node a (-) on ?, listening on ?, network ?\n"
		      "weft.conf changed, waiting for a restart: listen, mtu\n"
		      "no peers\n");
	/* 42: firewall rules: a line with their counts and their flows' (notes
	 * lost only when any were); 43: without rules, none */
	expect_render(42,
		      "{\"version\":1,\"node\":{\"name\":\"a\",\"firewall\":{\"on\":true,"
		      "\"inbound\":[\"allow tcp 22 from group admin\",\"drop any\"],\"outbound\":"
		      "[\"drop udp 53\"],\"flows_created\":12,\"flows_adopted\":3,\"flow_hits\":980,"
		      "\"flows_expired\":2,\"flows_evicted\":0,\"notes_lost\":1}},\"peers\":[]}",
		      "node a (-) on ?, listening on ?, network ?\n"
		      "firewall: 2 inbound rules, 1 outbound; flows 12 created, 3 adopted, 980 hits, 2 "
		      "expired, 0 evicted, 1 notes lost\n"
		      "no peers\n");
	expect_render(43,
		      "{\"version\":1,\"node\":{\"name\":\"a\",\"firewall\":{\"on\":false,"
		      "\"inbound\":[],\"outbound\":[]}},\"peers\":[]}",
		      "node a (-) on ?, listening on ?, network ?\nno peers\n");
	/* 48: path MTU news and a peer's segmentation, under the peers: x's
	 * path narrower than its route after a black hole, its segmentation
	 * refused; y's search under way; z healthy, and w's segmentation off
	 * for the node (the offloads line's to say): nothing said */
	expect_render(48,
		      "{\"version\":1,\"node\":{\"name\":\"a\"},\"peers\":[{\"name\":\"x\",\"state\":"
		      "\"up\",\"pmtud\":{\"state\":\"complete\",\"pmtu\":1279,\"route_mtu\":1500,"
		      "\"probes\":15,\"losses\":12,\"black_holes\":1},\"segmentation\":{\"on\":false,"
		      "\"why\":\"Message too long\",\"retry_seconds\":58,\"refusals\":1}},"
		      "{\"name\":\"y\",\"state\":\"up\",\"pmtud\":{\"state\":\"searching\",\"pmtu\":"
		      "1500,\"route_mtu\":1500,\"probes\":2,\"losses\":1,\"black_holes\":0},"
		      "\"segmentation\":{\"on\":true,\"refusals\":3}},"
		      "{\"name\":\"z\",\"state\":\"up\",\"pmtud\":{\"state\":\"complete\",\"pmtu\":"
		      "1500,\"route_mtu\":1500,\"probes\":1,\"losses\":0,\"black_holes\":0},"
		      "\"segmentation\":{\"on\":true,\"refusals\":0}},"
		      "{\"name\":\"w\",\"state\":\"up\",\"pmtud\":null,\"segmentation\":{\"on\":false,"
		      "\"why\":\"weft.conf\",\"retry_seconds\":null}}]}",
		      "node a (-) on ?, listening on ?, network ?\n"
		      "PEER  ADDRESSES  ENDPOINT  STATE  HANDSHAKE  RTT  RX     TX     DROPS  EXPIRES\n"
		      "x     -          -         up     never      -    0 B/0  0 B/0  0      ?\n"
		      "y     -          -         up     never      -    0 B/0  0 B/0  0      ?\n"
		      "z     -          -         up     never      -    0 B/0  0 B/0  0      ?\n"
		      "w     -          -         up     never      -    0 B/0  0 B/0  0      ?\n"
		      "  x: path MTU 1279 of 1500 (complete; 15 probes, 12 lost, 1 black holes); "
		      "segmentation off for 58 s (Message too long)\n"
		      "  y: path MTU 1500 of 1500 (searching; 2 probes, 1 lost, 0 black holes); "
		      "segmentation refused 3 times\n");
	/* 40: members seen revoked, under the peers */
	expect_render(40,
		      "{\"version\":1,\"node\":{\"name\":\"a\"},\"peers\":[],\"revoked_peers\":["
		      "{\"name\":\"c\",\"serial\":\"00000000000000ff\",\"since\":\"2026-12-07T14:18:14Z\","
		      "\"refused\":3},{\"name\":\"d\\u001b\",\"serial\":\"0000000000000100\","
		      "\"since\":\"2026-12-06T14:18:14Z\",\"refused\":0}]}",
		      "node a (-) on ?, listening on ?, network ?\n"
		      "no peers\n"
		      "revoked: c (serial 00000000000000ff, since 2026-12-07T14:18:14Z; its certificate "
		      "refused 3 times since)\n"
		      "revoked: d? (serial 0000000000000100, since 2026-12-06T14:18:14Z)\n");
	/* 34: an address a peer's certificate has but it does not hold */
	expect_render(34,
		      "{\"version\":1,\"node\":{\"name\":\"a\"},\"peers\":[{\"name\":\"x\",\"state\":"
		      "\"up\",\"not_held\":[\"100.64.0.2\"]},{\"name\":\"y\",\"state\":\"up\",\"not_held\":[]}]}",
		      "node a (-) on ?, listening on ?, network ?\n"
		      "PEER  ADDRESSES  ENDPOINT  STATE  HANDSHAKE  RTT  RX     TX     DROPS  EXPIRES\n"
		      "x     -          -         up     never      -    0 B/0  0 B/0  0      ?\n"
		      "y     -          -         up     never      -    0 B/0  0 B/0  0      ?\n"
		      "  x: refused 100.64.0.2 (held by another certificate, or this node's)\n");
	/* 44: the CA's allowed routes, and a peer's routes this node put in the
	 * kernel's table (none for a peer whose routes are not there) */
	expect_render(44,
		      "{\"version\":1,\"node\":{\"name\":\"a\",\"allowed_routes\":[\"10.20.0.0/16\","
		      "\"10.30.0.0/16\"]},\"peers\":[{\"name\":\"gw\",\"state\":\"up\",\"routes\":"
		      "[\"10.20.0.0/16\"],\"kernel_routes\":[\"10.20.0.0/16\"]},{\"name\":\"gx\","
		      "\"state\":\"up\",\"routes\":[\"10.30.0.0/16\"],\"kernel_routes\":[]}]}",
		      "node a (-) on ?, listening on ?, network ?\n"
		      "the CA allows routes outside the overlay to 10.20.0.0/16, 10.30.0.0/16\n"
		      "PEER  ADDRESSES  ENDPOINT  STATE  HANDSHAKE  RTT  RX     TX     DROPS  EXPIRES\n"
		      "gw    -          -         up     never      -    0 B/0  0 B/0  0      ?\n"
		      "gx    -          -         up     never      -    0 B/0  0 B/0  0      ?\n"
		      "  gw: routes 10.20.0.0/16 (in the kernel's table: 10.20.0.0/16)\n"
		      "  gx: routes 10.30.0.0/16\n");
	/* 24: ESP in UDP asked for; 25: the userspace path says why */
	expect_render(24,
		      "{\"version\":1,\"node\":{\"name\":\"a\",\"datapath\":{\"path\":\"kernel\","
		      "\"interface\":\"x\\u001b\",\"encap\":\"udp\",\"esp_port\":4500}},\"peers\":[]}",
		      "node a (-) on ?, listening on ?, network ?\n"
		      "data path: kernel (ESP in UDP on port 4500; interface x?)\n"
		      "no peers\n");
	expect_render(25,
		      "{\"version\":1,\"node\":{\"name\":\"a\",\"datapath\":{\"path\":\"userspace\","
		      "\"reason\":\"the kernel has no ESP for IPv4 (CONFIG_INET_ESP)\"}},\"peers\":[]}",
		      "node a (-) on ?, listening on ?, network ?\n"
		      "data path: userspace (the kernel has no ESP for IPv4 (CONFIG_INET_ESP))\n"
		      "no peers\n");
	/* 5: gossip's verdict beside the session's state, unless "alive" (or
	 * unknown: member null or absent) */
	expect_render(5,
		      "{\"version\":1,\"node\":{},\"peers\":[{\"name\":\"a\",\"state\":\"up\","
		      "\"member\":{\"state\":\"suspect\"}},{\"name\":\"b\",\"state\":\"down\","
		      "\"member\":{\"state\":\"left\"}},{\"name\":\"c\",\"state\":\"up\","
		      "\"member\":{\"state\":\"alive\"}},{\"name\":\"d\",\"state\":\"up\","
		      "\"member\":null}]}",
		      "node ? (-) on ?, listening on ?, network ?\n"
		      "PEER  ADDRESSES  ENDPOINT  STATE         HANDSHAKE  RTT  RX     TX     DROPS  EXPIRES\n"
		      "a     -          -         up (suspect)  never      -    0 B/0  0 B/0  0      ?\n"
		      "b     -          -         down (left)   never      -    0 B/0  0 B/0  0      ?\n"
		      "c     -          -         up            never      -    0 B/0  0 B/0  0      ?\n"
		      "d     -          -         up            never      -    0 B/0  0 B/0  0      ?\n");
	/* 6: past full-mesh-max, a line on the sessions; none for a full mesh */
	expect_render(6,
		      "{\"version\":1,\"node\":{\"name\":\"a\",\"sessions\":{\"mode\":\"on demand\","
		      "\"full_mesh_max\":8,\"up\":7,\"idle\":16,\"kept_for_gossip\":8}},"
		      "\"peers\":[{\"name\":\"b\",\"state\":\"idle\"}]}",
		      "node a (-) on ?, listening on ?, network ?\n"
		      "sessions on demand (more than 8 members): 7 up, 16 idle, 8 kept for gossip\n"
		      "PEER  ADDRESSES  ENDPOINT  STATE  HANDSHAKE  RTT  RX     TX     DROPS  EXPIRES\n"
		      "b     -          -         idle   never      -    0 B/0  0 B/0  0      ?\n");
	expect_render(6,
		      "{\"version\":1,\"node\":{\"name\":\"a\",\"sessions\":{\"mode\":\"full mesh\","
		      "\"up\":1}},\"peers\":[]}",
		      "node a (-) on ?, listening on ?, network ?\nno peers\n");
	/* 3: time and size formatting boundaries */
	expect_render(3,
		      "{\"version\":1,\"node\":{},\"peers\":[{\"last_handshake_seconds\":59,"
		      "\"rx_bytes\":1023,\"tx_bytes\":1024},{\"last_handshake_seconds\":60,"
		      "\"rx_bytes\":1048576},{\"last_handshake_seconds\":3600}]}",
		      "node ? (-) on ?, listening on ?, network ?\n"
		      "PEER  ADDRESSES  ENDPOINT  STATE  HANDSHAKE  RTT  RX         TX         DROPS  EXPIRES\n"
		      "?     -          -         ?      59s ago    -    1023 B/0   1.0 KiB/0  0      ?\n"
		      "?     -          -         ?      1m00s ago  -    1.0 MiB/0  0 B/0      0      ?\n"
		      "?     -          -         ?      1h00m ago  -    0 B/0      0 B/0      0      ?\n");
	/* 45: the round trip: under 10 ms to a tenth, then whole ms, then
	 * seconds; none measured (null, absent, nonsense): "-" */
	expect_render(45,
		      "{\"version\":1,\"node\":{},\"peers\":[{\"rtt_ms\":9.94},{\"rtt_ms\":12.4},"
		      "{\"rtt_ms\":1234.5},{\"rtt_ms\":null},{},{\"rtt_ms\":-1},{\"rtt_ms\":0}]}",
		      "node ? (-) on ?, listening on ?, network ?\n"
		      "PEER  ADDRESSES  ENDPOINT  STATE  HANDSHAKE  RTT    RX     TX     DROPS  EXPIRES\n"
		      "?     -          -         ?      never      9.9ms  0 B/0  0 B/0  0      ?\n"
		      "?     -          -         ?      never      12ms   0 B/0  0 B/0  0      ?\n"
		      "?     -          -         ?      never      1.23s  0 B/0  0 B/0  0      ?\n"
		      "?     -          -         ?      never      -      0 B/0  0 B/0  0      ?\n"
		      "?     -          -         ?      never      -      0 B/0  0 B/0  0      ?\n"
		      "?     -          -         ?      never      -      0 B/0  0 B/0  0      ?\n"
		      "?     -          -         ?      never      0.0ms  0 B/0  0 B/0  0      ?\n");
	/* 46: this node's own certificate revoked: a line after the node's,
	 * what came from the network cut to a cell and made harmless */
	expect_render(46,
		      "{\"version\":1,\"node\":{\"name\":\"a\",\"revoked\":{\"serial\":"
		      "\"00000000000000ff\",\"list_version\":3,\"issued\":\"2026-12-07T14:18:14Z\\u001b\","
		      "\"since\":\"2026-12-08T00:00:00Z\"}},\"peers\":[]}",
		      "node a (-) on ?, listening on ?, network ?\n"
		      "REVOKED: this node's certificate (serial 00000000000000ff) is on the CA's "
		      "revocation list (version 3, issued 2026-12-07T14:18:14Z?): ask the CA for a new "
		      "certificate\n"
		      "no peers\n");
	expect_render(46, "{\"version\":1,\"node\":{\"name\":\"a\",\"revoked\":null},\"peers\":[]}",
		      "node a (-) on ?, listening on ?, network ?\nno peers\n");
	/* 4: expiry: expired, hours left, this node's and the CA's own */
	expect_render(4,
		      "{\"version\":1,\"node\":{\"name\":\"n\",\"uptime_seconds\":1,"
		      "\"serial\":\"ab\",\"not_after\":\"2025-12-01T11:00:00Z\","
		      "\"ca_not_after\":\"2025-12-20T12:00:00Z\"},\"peers\":[{\"name\":\"p\","
		      "\"not_after\":\"2025-12-01T17:30:00Z\"}]}",
		      "node n (-) on ?, listening on ?, network ?\n"
		      "up 1s, certificate ab valid until 2025-12-01T11:00:00Z (expired)\n"
		      "PEER  ADDRESSES  ENDPOINT  STATE  HANDSHAKE  RTT  RX     TX     DROPS  EXPIRES\n"
		      "p     -          -         ?      never      -    0 B/0  0 B/0  0      in 5h\n"
		      "warning: this node's certificate expired at 2025-12-01T11:00:00Z\n"
		      "warning: the CA certificate expires in 19 days, at 2025-12-20T12:00:00Z\n"
		      "warning: the certificate of p expires in 0 days, at 2025-12-01T17:30:00Z\n");
}

static void test_render_errors(void **state)
{
	expect_fail(0, "", "the daemon's answer is not valid JSON");
	expect_fail(1, "{\"version\":1,", "the daemon's answer is not valid JSON");
	expect_fail(2, "[1,2]", "the daemon's answer is not a JSON object");
	expect_fail(3, "{\"error\":\"unknown request\"}\n",
		    "the daemon answered: unknown request");
	expect_fail(4, "{\"node\":{}}", "unsupported status version (this weft reads version 1)");
	expect_fail(5, "{\"version\":2}", "unsupported status version (this weft reads version 1)");
	expect_fail(6, "{\"version\":\"1\"}",
		    "unsupported status version (this weft reads version 1)");
}

/* --- the client against a real control socket ------------------------- */

static bool stop; /* atomic: set by the test, read by the server thread */

static char *handler(const char *req, void *arg)
{
	return strdup(strcmp(req, "status") ? "{\"error\":\"unknown request\"}" : example);
}

static void *serve(void *arg)
{
	struct pollfd pfd = {.fd = wf_control_fd(arg), .events = POLLIN};

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
		if (poll(&pfd, 1, 20) > 0)
			wf_control_handle(arg);
	return NULL;
}

static void test_query(void **state)
{
	char tmp[] = "/tmp/weft-test-status-XXXXXX", path[64], err[256], *resp;
	char *argv_ok[] = {"status", "--socket", path, NULL};
	char *argv_json[] = {"status", "--socket", path, "--json", NULL};
	char *argv_extra[] = {"status", "--socket", path, "extra", NULL};
	struct wf_control *c;
	pthread_t th;

	cli_command = "status";
	assert_non_null(mkdtemp(tmp));
	snprintf(path, sizeof(path), "%s/weft.sock", tmp);

	/* No daemon: a clear error naming the path. */
	assert_null(wf_status_query(path, "status", err, sizeof(err)));
	assert_int_equal(strncmp(err, "the daemon is not running (nothing listens on /tmp/weft-", 56),
			 0);
	assert_non_null(strstr(err, "/weft.sock: no such socket)"));
	optind = 0;
	assert_int_equal(cmd_status(3, argv_ok), CLI_EXIT_FAIL);

	c = wf_control_open(path, handler, NULL, err, sizeof(err));
	assert_non_null(c);
	__atomic_store_n(&stop, false, __ATOMIC_RELEASE);
	assert_int_equal(pthread_create(&th, NULL, serve, c), 0);
	resp = wf_status_query(path, "status", err, sizeof(err));
	assert_non_null(resp);
	assert_string_equal(resp, example);
	free(resp);
	resp = wf_status_query(path, "bogus", err, sizeof(err));
	assert_string_equal(resp, "{\"error\":\"unknown request\"}\n");
	free(resp);
	optind = 0;
	assert_int_equal(cmd_status(3, argv_ok), CLI_EXIT_OK);
	optind = 0;
	assert_int_equal(cmd_status(4, argv_json), CLI_EXIT_OK);
	optind = 0;
	assert_int_equal(cmd_status(4, argv_extra), CLI_EXIT_USAGE);
	fflush(stdout);
	__atomic_store_n(&stop, true, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	wf_control_close(c);
	assert_int_equal(rmdir(tmp), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render), cmocka_unit_test(test_check),
		cmocka_unit_test(test_dump_and_rates),
		cmocka_unit_test(test_render_errors),
		cmocka_unit_test(test_query),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
