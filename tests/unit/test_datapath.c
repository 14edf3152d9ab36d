/* SPDX-License-Identifier: MIT */
/*
 * The batched, offloaded packet path of a real daemon (v, 100.64.0.1), with
 * members x (100.64.0.2) and y (100.64.0.3) connected to it, without a TUN
 * device: what the TUN device would hand over is fed to wf_data_from_tun,
 * what leaves is captured by wrapping sendmmsg and sendto (a UDP_SEGMENT
 * message is cut as the kernel cuts it: tests/common/harness.h) and opened
 * with the member's keys; what x sends is fed to wf_data_receive in a batch,
 * and what the daemon writes to "TUN" (a socket pair) is read back. The
 * receive side is also run through a real UDP socket on loopback, with
 * UDP_GRO, to check the cutting of received runs.
 *
 * The firewall (cases 50-59) is judged here on the control thread's table:
 * x holds group admin in its certificate, y none.
 *
 * Every segment is checked field by field with the naive checksums of
 * tests/common/packets.h, and the payloads reassembled against the original.
 * Cases are numbered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/udp.h>
#include <poll.h>
#include <sys/epoll.h>

#include "../common/harness.h"
#include "daemon/peer.h"
#include "daemon/udp.h"
#include "../common/packets.h"
#include "../common/fwpkt.h"

static struct hn_node v, x, y;
static union wf_endpoint x_at, y_at;
static struct wf_keypair *kx, *ky; /* what x and y send with, and open ours with */
static struct wf_daemon *d;
#define W (&d->dp.ctl) /* the control thread's share: no workers, one thread */

static uint8_t super[WF_SUPER_MAX];

/* A second address for n's certificate (hn_node gives one), signed again. */
static bool add_addr(struct hn_node *n, const char *addr)
{
	struct wf_cert *c = &n->cert;

	return wf_addr_parse(&c->addrs[c->n_addrs++], addr) && wf_cert_sign(c, hn_ca_priv);
}

/* A group in n's certificate, signed again (by the CA: the only way). */
static bool add_group(struct hn_node *n, const char *group)
{
	struct wf_cert *c = &n->cert;

	snprintf(c->groups[c->n_groups++], sizeof(c->groups[0]), "%s", group);
	return wf_cert_sign(c, hn_ca_priv);
}

static int setup(void **state)
{
	(void)state;
	wf_crypto_init();
	wf_log_set_level(WF_LOG_ERROR);
	if (!hn_network() || !hn_node(&v, "v", 1, "100.64.0.1", NULL, 60) ||
	    !hn_node(&x, "x", 2, "100.64.0.2", NULL, 60) ||
	    !hn_node(&y, "y", 3, "100.64.0.3", NULL, 60) || !add_addr(&x, "fd00::2") ||
	    !add_group(&x, "admin"))
		return -1;
	x_at = hn_ep("198.18.0.2:51820");
	y_at = hn_ep("198.18.0.3:51820");
	d = hn_daemon(&v);
	if (!d)
		return -1;
	d->node.mtu = 1440;
	if (!wf_batch_alloc(W))
		return -1;
	kx = hn_connect(d, &x, &x_at, 0x100);
	ky = hn_connect(d, &y, &y_at, 0x200);
	return kx && ky ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	wf_keypair_free(kx);
	wf_keypair_free(ky);
	wf_batch_free(W);
	hn_daemon_free(d);
	return 0;
}

/* Offloads as a kernel that has them all would leave them. */
static void offloads(bool on)
{
	d->dp.off.vnet = d->dp.off.tun_tso.on = d->dp.off.tun_gro.on = d->dp.off.udp_gso.on = on;
	d->dp.off.tun_uso.on = on;
}

/* A super-packet to `to` (the last byte of 100.64.0.x): TCP or UDP, IPv4 or
 * IPv6, plen payload bytes, cut at gso; its header in *h. */
static size_t make_super(struct wf_vnet_hdr *h, bool v6, uint8_t proto, size_t plen, uint16_t gso,
			 uint8_t to)
{
	size_t len = make_packet(super, v6, proto, plen, 7, 40000), ip = v6 ? 40 : 20;
	uint32_t sum;

	/* From v to x (make_packet's addresses are .1 and .2). */
	super[v6 ? 39 : 19] = to;
	memset(h, 0, sizeof(*h));
	h->flags = WF_VNET_F_NEEDS_CSUM;
	h->gso_type = proto == IPPROTO_UDP ? WF_GSO_UDP_L4 : v6 ? WF_GSO_TCPV6 : WF_GSO_TCPV4;
	h->gso_size = gso;
	h->hdr_len = (uint16_t)(ip + (proto == IPPROTO_TCP ? 32 : 8));
	h->csum_start = (uint16_t)ip;
	h->csum_offset = proto == IPPROTO_TCP ? 16 : 6;
	/* The field holds the pseudo-header's sum, as the kernel leaves it. */
	sum = wf_csum_pseudo(super + (v6 ? 8 : 12), super + (v6 ? 24 : 16), v6 ? 16 : 4, proto,
			     len - ip);
	put16(super + ip + h->csum_offset, wf_csum_partial(sum));
	return len;
}

/* Feed a read from the TUN device as the loop would: a packet that fits a
 * slot is read into it, anything else into the big buffer. */
static void from_tun_at(const uint8_t *pkt, size_t len, const struct wf_vnet_hdr *h, int64_t now)
{
	uint8_t *slot = wf_txq_slot(W), *big = W->tx.big + WF_DATA_HEADER_LEN;
	uint8_t *at = len > W->tx.slot_cap || h->gso_type ? big : slot;

	memmove(at, pkt, len);
	wf_data_from_tun(W, at, len, h, now);
}

static void from_tun(const uint8_t *pkt, size_t len, const struct wf_vnet_hdr *h)
{
	from_tun_at(pkt, len, h, HN_NOW);
}

/* Datagram i of those captured, opened with kp: its plaintext into out. */
static size_t open_sent(unsigned i, struct wf_keypair *kp, uint8_t *out)
{
	struct hn_sent *s = &hn_out[i % HN_OUT_MAX];
	uint8_t *plain;
	size_t n;
	bool replayed;

	if (!wf_keypair_open(kp, 0, s->buf, s->len, &plain, &n, &replayed))
		fail_msg("datagram %u does not open", i);
	memcpy(out, plain, n);
	return n;
}

/* The captured datagrams are the segments of the super-packet in super
 * (len bytes, as make_super made it), in order: check every field. */
static void check_segments(int casen, bool v6, uint8_t proto, size_t len, uint16_t gso)
{
	static uint8_t seg[2048], joined[WF_SUPER_MAX];
	size_t ip = v6 ? 40 : 20, hl = ip + (proto == IPPROTO_TCP ? 32 : 8), got = 0;
	unsigned n = (unsigned)((len - hl + gso - 1) / gso);

	if (hn_n_out != n)
		fail_msg("case %d: %u datagrams, want %u", casen, hn_n_out, n);
	for (unsigned i = 0; i < n; i++) {
		size_t sl = open_sent(i, kx, seg), pl = sl - hl;

		if (!wf_endpoint_equal(&hn_out[i].to, &x_at) || sl > d->node.mtu || !naive_l4_ok(seg, sl))
			fail_msg("case %d: segment %u: destination, length %zu or checksum", casen,
				 i, sl);
		if (!v6 && (get16(seg + 2) != sl || !naive_ip4_ok(seg) ||
			    get16(seg + 4) != (uint16_t)(0x1234 + i)))
			fail_msg("case %d: segment %u: IPv4 length, checksum or ID", casen, i);
		if (v6 && get16(seg + 4) != sl - 40)
			fail_msg("case %d: segment %u: IPv6 payload length", casen, i);
		if (proto == IPPROTO_TCP && get32(seg + ip + 4) != 0x10000000u + i * gso)
			fail_msg("case %d: segment %u: sequence number", casen, i);
		memcpy(joined + got, seg + hl, pl);
		got += pl;
	}
	if (got != len - hl || memcmp(joined, super + hl, got))
		fail_msg("case %d: the payloads do not add up to the original", casen);
}

/* 1-6: super-packets leave as segments, in one UDP_SEGMENT message each. */
static void test_tx_segments(void **state)
{
	static const struct {
		bool v6;
		uint8_t proto;
		size_t plen;
		uint16_t gso;
	} c[] = {
		{false, IPPROTO_TCP, 65000, 1388}, /* 1: TSO, IPv4, 47 segments */
		{true, IPPROTO_TCP, 60000, 1368},  /* 2: TSO, IPv6 */
		{false, IPPROTO_TCP, 2776, 1388},  /* 3: exactly two */
		{false, IPPROTO_UDP, 30000, 1400}, /* 4: USO, IPv4 */
		{true, IPPROTO_UDP, 1000, 1380},   /* 5: USO, one segment */
		{false, IPPROTO_TCP, 1389, 1388},  /* 6: a last segment of one byte */
	};
	struct wf_vnet_hdr h;

	(void)state;
	offloads(true);
	for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		size_t len = make_super(&h, c[i].v6, c[i].proto, c[i].plen, c[i].gso, 2);
		size_t ip = c[i].v6 ? 40 : 20, hl = ip + (c[i].proto == IPPROTO_TCP ? 32 : 8);
		unsigned segs = (unsigned)((c[i].plen + c[i].gso - 1) / c[i].gso), per, want_msgs;

		hn_clear();
		from_tun(super, len, &h);
		wf_txq_flush(W);
		check_segments((int)i + 1, c[i].v6, c[i].proto, len, c[i].gso);
		/* Equal segments go in one message of at most 64 of them and
		 * 65000 bytes; a last shorter one ends it. */
		per = 65000 / (unsigned)(hl + c[i].gso + WF_DATA_OVERHEAD);
		per = per > 64 ? 64 : per;
		want_msgs = (segs + per - 1) / per;
		if (hn_n_mmsg != 1 || hn_n_msgs != want_msgs)
			fail_msg("case %zu: %u sendmmsg, %u messages", (size_t)i + 1, hn_n_mmsg,
				 hn_n_msgs);
	}
}

/* 7-9, 50-54: without UDP segmentation, one message per datagram; a kernel
 * that refuses it for one peer's path turns it off for that peer only, for a
 * while, and nothing is lost. */
static void test_tx_fallback(void **state)
{
	struct wf_peer *px = wf_peer_find(d, x.cert.pubkey), *py = wf_peer_find(d, y.cert.pubkey);
	struct wf_vnet_hdr h;
	size_t len;

	(void)state;
	offloads(true);
	d->dp.off.udp_gso.on = false;
	len = make_super(&h, false, IPPROTO_TCP, 20000, 1388, 2);
	hn_clear();
	from_tun(super, len, &h);
	wf_txq_flush(W);
	check_segments(7, false, IPPROTO_TCP, len, 1388);
	assert_int_equal(hn_n_msgs, 15);
	assert_int_equal(hn_n_gso, 0);

	/* 8: EIO for a segmented send to x: sent one by one; off for x, for
	 * a minute, and on for every other peer (the global switch stays) */
	d->dp.off.udp_gso.on = true;
	hn_gso_errno = EIO;
	hn_gso_fail_count = 1;
	hn_clear();
	from_tun(super, len, &h);
	wf_txq_flush(W);
	check_segments(8, false, IPPROTO_TCP, len, 1388);
	assert_true(d->dp.off.udp_gso.on);
	assert_true(px->gso.until_ms > wf_now_ms());
	assert_int_equal(px->gso.backoff_ms, WF_GSO_BACKOFF_MIN_MS);
	assert_int_equal(px->gso.refusals, 1);
	assert_int_equal(px->gso.err, EIO);
	assert_int_equal(py->gso.until_ms, 0);
	/* 9: and the next batch to x goes without */
	hn_clear();
	from_tun(super, len, &h);
	wf_txq_flush(W);
	check_segments(9, false, IPPROTO_TCP, len, 1388);
	assert_int_equal(hn_n_gso, 0);
	/* 50: while y's goes segmented (the trial: one peer's path
	 * refused it, and every peer went without until a restart) */
	len = make_super(&h, false, IPPROTO_TCP, 20000, 1388, 3);
	hn_clear();
	from_tun(super, len, &h);
	wf_txq_flush(W);
	assert_true(hn_n_gso >= 1);
	/* 51: x's backoff over: segmented again; refused again, doubled */
	px->gso.until_ms = 1;
	len = make_super(&h, false, IPPROTO_TCP, 20000, 1388, 2);
	hn_gso_fail_count = 1;
	hn_clear();
	from_tun(super, len, &h);
	wf_txq_flush(W);
	check_segments(51, false, IPPROTO_TCP, len, 1388);
	assert_int_equal(px->gso.backoff_ms, 2 * WF_GSO_BACKOFF_MIN_MS);
	assert_int_equal(px->gso.refusals, 2);
	/* 52: doubling stops at an hour */
	for (int i = 0; i < 10; i++) {
		px->gso.until_ms = 1;
		hn_gso_fail_count = 1;
		from_tun(super, len, &h);
		wf_txq_flush(W);
	}
	assert_int_equal(px->gso.backoff_ms, WF_GSO_BACKOFF_MAX_MS);
	/* 53: over, and passing: the backoff is cleared */
	px->gso.until_ms = 1;
	hn_clear();
	from_tun(super, len, &h);
	wf_txq_flush(W);
	assert_true(hn_n_gso >= 1);
	assert_int_equal(px->gso.backoff_ms, 0);
	assert_int_equal(px->gso.until_ms, 0);
	/* 54: EMSGSIZE (a route narrower than the segments) also asks the
	 * tick to read x's route again */
	hn_gso_errno = EMSGSIZE;
	hn_gso_fail_count = 2; /* (the first may be a pending ICMP error: tried again) */
	px->mtu_recheck = false;
	from_tun(super, len, &h);
	wf_txq_flush(W);
	assert_true(px->mtu_recheck);
	assert_int_equal(px->gso.err, EMSGSIZE);
	hn_gso_fail_count = 0;
	px->gso.until_ms = 0;
	px->gso.backoff_ms = 0;
}

/* 10-13: runs: never across peers, never past a shorter datagram; the
 * queue flushes by itself when full, in order. */
static void test_tx_runs(void **state)
{
	static const size_t sizes[] = {1000, 1000, 500, 1000, 1000};
	uint8_t pkt[1100], plain[2048];
	struct wf_vnet_hdr none = {0};

	(void)state;
	offloads(true);
	hn_clear();
	for (unsigned i = 0; i < 5; i++) {
		size_t len = make_packet(pkt, false, IPPROTO_UDP, sizes[i] - 28, i, 9);

		pkt[11] = pkt[10] = 0;
		from_tun(pkt, len, &none);
	}
	wf_txq_flush(W);
	/* 10: [1000 1000 500] [1000 1000] */
	assert_int_equal(hn_n_out, 5);
	assert_int_equal(hn_n_msgs, 2);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(open_sent(i, kx, plain), sizes[i]);

	/* 11: x, y, x: three messages, each to its peer */
	hn_clear();
	for (unsigned i = 0; i < 3; i++) {
		size_t len = make_packet(pkt, false, IPPROTO_UDP, 600, i, 9);

		pkt[19] = i == 1 ? 3 : 2;
		from_tun(pkt, len, &none);
	}
	wf_txq_flush(W);
	assert_int_equal(hn_n_msgs, 3);
	assert_true(wf_endpoint_equal(&hn_out[1].to, &y_at));
	assert_int_equal(open_sent(1, ky, plain), 628);
	assert_int_equal(open_sent(0, kx, plain), 628);
	assert_int_equal(open_sent(2, kx, plain), 628);

	/* 12: 200 packets, more than the queue holds: all leave, in order (the
	 * counters of the last HN_OUT_MAX captured follow each other) */
	hn_clear();
	for (unsigned i = 0; i < 200; i++) {
		size_t len = make_packet(pkt, false, IPPROTO_UDP, 100, i, 9);

		from_tun(pkt, len, &none);
	}
	wf_txq_flush(W);
	assert_int_equal(hn_n_out, 200);
	for (unsigned i = 200 - HN_OUT_MAX + 1; i < 200; i++)
		assert_true(wf_get_le64(hn_out[i % HN_OUT_MAX].buf + 8) ==
			    wf_get_le64(hn_out[(i - 1) % HN_OUT_MAX].buf + 8) + 1);
	/* 13: at most 64 to a message */
	assert_true(hn_n_msgs >= 4);
	hn_clear();

	/* 37: one peer, moving between two packets of a burst (roaming): two
	 * messages, each to where the peer was when it was queued */
	{
		union wf_endpoint moved = hn_ep("198.18.0.22:51820");
		struct wf_peer *px = wf_peer_find(d, x.cert.pubkey);

		for (unsigned i = 0; i < 2; i++) {
			size_t len = make_packet(pkt, false, IPPROTO_UDP, 600, i, 9);

			from_tun(pkt, len, &none);
			if (!i)
				wf_peer_seen_at(d, px, &moved, HN_NOW);
		}
		wf_txq_flush(W);
		assert_int_equal(hn_n_msgs, 2);
		assert_true(wf_endpoint_equal(&hn_out[0].to, &x_at));
		assert_true(wf_endpoint_equal(&hn_out[1].to, &moved));
		wf_peer_seen_at(d, px, &x_at, HN_NOW);
		hn_clear();
	}
}

/* 14-16: checksums left to us are completed; a packet larger than a slot
 * leaves whole. */
static void test_tx_single(void **state)
{
	static uint8_t plain[4096];
	struct wf_vnet_hdr h;
	size_t len, n;

	(void)state;
	offloads(true);
	/* 14: UDP, NEEDS_CSUM, no GSO */
	len = make_super(&h, false, IPPROTO_UDP, 1000, 1400, 2);
	h.gso_type = WF_GSO_NONE;
	hn_clear();
	from_tun(super, len, &h);
	wf_txq_flush(W);
	assert_int_equal(hn_n_out, 1);
	n = open_sent(0, kx, plain);
	assert_int_equal(n, len);
	assert_true(naive_l4_ok(plain, n));
	/* 15: TCP over IPv6 likewise */
	len = make_super(&h, true, IPPROTO_TCP, 1200, 1400, 2);
	h.gso_type = WF_GSO_NONE;
	hn_clear();
	from_tun(super, len, &h);
	wf_txq_flush(W);
	n = open_sent(0, kx, plain);
	assert_true(n == len && naive_l4_ok(plain, n));
	/* 16: 3000 bytes, no GSO (an MTU raised by hand): one datagram */
	len = make_packet(super, false, IPPROTO_UDP, 2972, 1, 9);
	memset(&h, 0, sizeof(h));
	hn_clear();
	from_tun(super, len, &h);
	wf_txq_flush(W);
	assert_int_equal(hn_n_out, 1);
	assert_int_equal(open_sent(0, kx, plain), 3000);
	assert_memory_equal(plain, super, 3000);
}

/* 17-25: what the TUN device must never hand over is dropped and counted,
 * and nothing leaves. */
static void test_tx_malformed(void **state)
{
	struct wf_vnet_hdr h, bad;
	uint64_t before;
	size_t len;

	(void)state;
	offloads(true);
	len = make_super(&h, false, IPPROTO_TCP, 20000, 1388, 2);
	for (int c = 17; c <= 25; c++) {
		size_t n = len;

		bad = h;
		switch (c) {
		case 17: bad.gso_type = WF_GSO_TCPV6; break; /* the wrong family */
		case 18: bad.csum_start = 24; break;         /* not where TCP starts */
		case 19: bad.gso_size = 0; break;
		case 20: bad.csum_offset = 6; break;         /* UDP's field in TCP */
		case 21: bad.gso_type = 3; break;            /* UFO: no such thing here */
		case 22: bad.gso_size = 1500; break;         /* segments larger than the MTU */
		case 23: bad.gso_size = 100; break;          /* more than 128 segments */
		case 24: n = 40; break;                      /* no payload */
		case 25: bad.gso_size = 1500; n = 52 + 1400; break; /* one segment, over the MTU */
		}
		before = d->drops[WF_DROP_MALFORMED];
		hn_clear();
		from_tun(super, n, &bad);
		wf_txq_flush(W);
		if (d->drops[WF_DROP_MALFORMED] != before + 1 || hn_n_out)
			fail_msg("case %d: not dropped as malformed", c);
	}
}

/* --- receive ------------------------------------------------------------------ */

/* x sends pkt (len bytes) to d, sealed on kx, into dgram. */
static size_t seal_from_x(const uint8_t *pkt, size_t len, uint8_t *dgram)
{
	size_t n = hn_seal(kx, WF_MSG_DATA, pkt, len, dgram);

	assert_true(n);
	return n;
}

/* A TCP segment from x to v: make_packet's addresses swapped. */
static size_t tcp_from_x(uint8_t *b, uint32_t seq, size_t plen, uint8_t flags)
{
	size_t len = tcp_seg(b, false, 5201, seq, plen, flags);
	uint8_t a[4];

	memcpy(a, b + 12, 4);
	memcpy(b + 12, b + 16, 4);
	memcpy(b + 16, a, 4);
	/* Swapping the addresses leaves both checksums right. */
	return len;
}

/* 26-29: a batch of in-order segments is written as one super-packet. */
static void test_rx_coalesce(void **state)
{
	static uint8_t dg[20][2048], pkt[2048], got[WF_SUPER_MAX];
	size_t dl[20], len = 0, n;
	struct wf_vnet_hdr h;

	(void)state;
	offloads(true);
	for (unsigned i = 0; i < 20; i++) {
		size_t pl = tcp_from_x(pkt, 1000 + (uint32_t)i * 1388, 1388, 0x10);

		dl[i] = seal_from_x(pkt, pl, dg[i]);
	}
	wf_data_rx_begin(W);
	for (unsigned i = 0; i < 20; i++)
		wf_data_receive(W, dg[i], dl[i], &x_at, HN_NOW);
	wf_data_rx_flush(W);
	/* 26: one write, with a header that asks for TCPv4 segmentation */
	n = hn_delivered(got, sizeof(got));
	assert_int_equal(n, WF_VNET_HDR_LEN + 20 + 32 + 20 * 1388);
	assert_int_equal(hn_delivered(pkt, sizeof(pkt)), 0);
	wf_vnet_hdr_get(&h, got);
	assert_int_equal(h.gso_type, WF_GSO_TCPV4);
	assert_int_equal(h.gso_size, 1388);
	assert_int_equal(h.flags, WF_VNET_F_NEEDS_CSUM);
	/* 27: the IP header says the whole length and its checksum holds */
	assert_int_equal(get16(got + WF_VNET_HDR_LEN + 2), n - WF_VNET_HDR_LEN);
	assert_true(naive_ip4_ok(got + WF_VNET_HDR_LEN));
	/* 28: the payload is the segments' in order */
	for (unsigned i = 0; i < 20; i++) {
		tcp_from_x(pkt, 1000 + (uint32_t)i * 1388, 1388, 0x10);
		len = WF_VNET_HDR_LEN + 52 + (size_t)i * 1388;
		if (memcmp(got + len, pkt + 52, 1388))
			fail_msg("case 28: segment %u's payload", i);
	}
	/* 29: completed as the header asks, the checksum is right */
	assert_true(wf_csum_complete(&h, got + WF_VNET_HDR_LEN, n - WF_VNET_HDR_LEN));
	assert_true(naive_l4_ok(got + WF_VNET_HDR_LEN, n - WF_VNET_HDR_LEN));
}

/* A UDP datagram from x to v, IPv4 ID id, valid checksums. */
static size_t udp_from_x(uint8_t *b, size_t plen, uint16_t id)
{
	size_t len = make_packet(b, false, IPPROTO_UDP, plen, id, 5353);
	uint8_t a[4];

	memcpy(a, b + 12, 4);
	memcpy(b + 12, b + 16, 4);
	memcpy(b + 16, a, 4);
	put16(b + 4, id);
	udp_csums(b, len);
	return len;
}

/* x sends n datagrams of plen bytes (IDs from 0x4000; every third a TCP
 * segment instead, with tcp) in one receive batch; their plaintexts in
 * orig. */
static void udp_batch(unsigned n, size_t plen, bool tcp, uint8_t (*orig)[2048], size_t *ol)
{
	static uint8_t dg[64][2048];
	size_t dl[64];

	for (unsigned i = 0; i < n; i++) {
		if (tcp && i % 3 == 2)
			ol[i] = tcp_from_x(orig[i], 3000 + (uint32_t)(i / 3) * 100, 100, 0x10);
		else
			ol[i] = udp_from_x(orig[i], plen, (uint16_t)(0x4000 + i));
		dl[i] = seal_from_x(orig[i], ol[i], dg[i]);
	}
	wf_data_rx_begin(W);
	for (unsigned i = 0; i < n; i++)
		wf_data_receive(W, dg[i], dl[i], &x_at, HN_NOW);
	wf_data_rx_flush(W);
}

/* 41-45, 49: a run of UDP datagrams is one write with a UDP segmentation
 * header when weft.conf asks for it (tun-udp-coalesce) and the device took
 * USO, and the kernel's cut gives the datagrams back; one write each when it
 * did not; a kernel that refuses the write turns UDP's coalescing off, not
 * TCP's; 49, without tun-udp-coalesce (the default), a write each. */
static void test_rx_udp(void **state)
{
	enum { N = 20, PL = 1200 };
	static uint8_t orig[N][2048], got[WF_SUPER_MAX], seg[2048];
	static const uint8_t zero[WF_VNET_HDR_LEN];
	size_t ol[N], n;
	struct wf_vnet_hdr h;
	struct wf_gso_plan plan;
	uint64_t before;
	int tun = W->tun_fd;

	(void)state;
	offloads(true);
	d->node.cfg.tun_udp_coalesce = true;
	udp_batch(N, PL, false, orig, ol);
	/* 41: one write, its header asking for UDP segmentation */
	n = hn_delivered(got, sizeof(got));
	assert_int_equal(n, WF_VNET_HDR_LEN + 28 + N * PL);
	assert_int_equal(hn_delivered(seg, sizeof(seg)), 0);
	wf_vnet_hdr_get(&h, got);
	assert_int_equal(h.gso_type, WF_GSO_UDP_L4);
	assert_int_equal(h.gso_size, PL);
	assert_int_equal(h.flags, WF_VNET_F_NEEDS_CSUM);
	assert_int_equal(h.hdr_len, 28);
	assert_int_equal(h.csum_start, 20);
	assert_int_equal(h.csum_offset, 6);
	/* 42: cut as the kernel cuts it: the twenty datagrams, byte for byte */
	n -= WF_VNET_HDR_LEN;
	assert_true(wf_gso_plan(&h, got + WF_VNET_HDR_LEN, n, &plan));
	assert_int_equal(plan.n_segs, N);
	for (unsigned i = 0; i < N; i++)
		if (wf_gso_segment(&plan, got + WF_VNET_HDR_LEN, n, i, seg) != ol[i] ||
		    memcmp(seg, orig[i], ol[i]))
			fail_msg("case 42: segment %u is not datagram %u", i, i);

	/* 43: a device without USO: a write each, as it came */
	d->dp.off.tun_uso.on = false;
	udp_batch(N, PL, false, orig, ol);
	for (unsigned i = 0; i < N; i++) {
		n = hn_delivered(got, sizeof(got));
		if (n != WF_VNET_HDR_LEN + ol[i] || memcmp(got, zero, sizeof(zero)) ||
		    memcmp(got + WF_VNET_HDR_LEN, orig[i], ol[i]))
			fail_msg("case 43: write %u", i);
	}
	assert_int_equal(hn_delivered(got, sizeof(got)), 0);

	/* 44: a kernel that refuses the write (EINVAL, as an epoll descriptor
	 * answers a write): lost and counted, and tun-uso is off */
	offloads(true);
	W->tun_fd = epoll_create1(EPOLL_CLOEXEC);
	assert_true(W->tun_fd >= 0);
	before = d->drops[WF_DROP_TUN_ERROR];
	udp_batch(N, PL, false, orig, ol);
	close(W->tun_fd);
	W->tun_fd = tun;
	assert_int_equal(d->drops[WF_DROP_TUN_ERROR], before + N);
	assert_false(d->dp.off.tun_uso.on);
	assert_non_null(strstr(d->dp.off.tun_uso.why, "coalesced UDP write"));
	assert_true(d->dp.off.tun_gro.on);
	/* 45: then UDP goes a datagram a write, TCP still coalesced: twelve
	 * datagrams and six segments make twelve writes and one */
	udp_batch(18, 500, true, orig, ol);
	n = 0;
	for (unsigned w = 0; w < 13; w++) {
		size_t len = hn_delivered(got, sizeof(got));

		wf_vnet_hdr_get(&h, got);
		if (h.gso_type == WF_GSO_TCPV4 && len == WF_VNET_HDR_LEN + 52 + 6 * 100)
			n++;
		else if (h.gso_type != WF_GSO_NONE || len != WF_VNET_HDR_LEN + 528)
			fail_msg("case 45: write %u: type %u, %zu bytes", w, h.gso_type, len);
	}
	assert_int_equal(n, 1);
	assert_int_equal(hn_delivered(got, sizeof(got)), 0);
	/* 49: USO on, but not asked for: a write each */
	offloads(true);
	d->node.cfg.tun_udp_coalesce = false;
	udp_batch(N, PL, false, orig, ol);
	for (unsigned i = 0; i < N; i++) {
		n = hn_delivered(got, sizeof(got));
		if (n != WF_VNET_HDR_LEN + ol[i] || memcmp(got + WF_VNET_HDR_LEN, orig[i], ol[i]))
			fail_msg("case 49: write %u", i);
	}
	assert_int_equal(hn_delivered(got, sizeof(got)), 0);
}

/* 38: a full batch is written and a new one begun; if tun-gro was turned off
 * meanwhile (by another worker the kernel refused), the packet that did not
 * fit is written alone, not left in a batch nobody writes. */
static void test_rx_gro_off(void **state)
{
	enum { N = WF_GRO_BATCH + 1, PL = 100 };
	static uint8_t dg[N][256], pkt[256], got[WF_SUPER_MAX];
	size_t dl[N], n, segs = 0, writes = 0;

	(void)state;
	offloads(true);
	for (unsigned i = 0; i < N; i++) {
		size_t pl = tcp_from_x(pkt, 7000 + (uint32_t)i * PL, PL, 0x10);

		dl[i] = seal_from_x(pkt, pl, dg[i]);
	}
	wf_data_rx_begin(W);
	for (unsigned i = 0; i < N; i++) {
		if (i == N - 1)
			d->dp.off.tun_gro.on = false; /* as another worker would */
		wf_data_receive(W, dg[i], dl[i], &x_at, HN_NOW);
	}
	wf_data_rx_flush(W);
	while ((n = hn_delivered(got, sizeof(got)))) {
		writes++;
		segs += (n - WF_VNET_HDR_LEN - 20 - 32) / PL;
	}
	assert_int_equal(segs, N);
	assert_int_equal(writes, WF_GRO_BATCH / WF_GRO_MAX_SEGS + 1);
	assert_int_equal(d->drops[WF_DROP_TUN_ERROR], 0);
	offloads(true);
}

/* 39-40: a packet for an address nobody holds is answered with an ICMP
 * unreachable, at most 20 a second (a burst of 20, then one every 50 ms). */
static void test_icmp_budget(void **state)
{
	static uint8_t pkt[256], got[2048];
	struct wf_vnet_hdr none = {0};
	size_t len = make_packet(pkt, false, IPPROTO_UDP, 40, 1, 9);
	unsigned n = 0;

	(void)state;
	offloads(false);
	pkt[19] = 99; /* 100.64.0.99: nobody's */
	pkt[10] = pkt[11] = 0;
	{
		uint32_t sum = wf_csum_fold(wf_csum_add(0, pkt, 20));

		pkt[10] = (uint8_t)(sum >> 8);
		pkt[11] = (uint8_t)sum;
	}
	while (hn_delivered(got, sizeof(got)))
		;
	/* 39: thirty at once: twenty answered */
	for (int i = 0; i < 30; i++)
		from_tun_at(pkt, len, &none, HN_NOW + 50000);
	while (hn_delivered(got, sizeof(got)))
		n++;
	assert_int_equal(n, 20);
	/* 40: 100 ms later, two more may go */
	for (int i = 0; i < 5; i++)
		from_tun_at(pkt, len, &none, HN_NOW + 50100);
	n = 0;
	while (hn_delivered(got, sizeof(got)))
		n++;
	assert_int_equal(n, 2);
	offloads(true);
}

/* 30-32: without coalescing, or outside a batch, each packet is a write of
 * its own; without a vnet header, a bare one. */
static void test_rx_plain(void **state)
{
	static uint8_t dg[2048], pkt[2048], got[4096];
	size_t pl, n;

	(void)state;
	offloads(true);
	d->dp.off.tun_gro.on = false;
	wf_data_rx_begin(W);
	for (unsigned i = 0; i < 3; i++) {
		pl = tcp_from_x(pkt, 5000 + i * 100, 100, 0x10);
		n = seal_from_x(pkt, pl, dg);
		wf_data_receive(W, dg, n, &x_at, HN_NOW);
	}
	wf_data_rx_flush(W);
	/* 30: three writes, each a zero header and the packet */
	for (unsigned i = 0; i < 3; i++) {
		static const uint8_t zero[WF_VNET_HDR_LEN];

		n = hn_delivered(got, sizeof(got));
		assert_int_equal(n, WF_VNET_HDR_LEN + pl);
		assert_memory_equal(got, zero, WF_VNET_HDR_LEN);
	}
	/* 31: no vnet header: the bare packet */
	offloads(false);
	n = seal_from_x(pkt, pl, dg);
	wf_data_receive(W, dg, n, &x_at, HN_NOW);
	assert_int_equal(hn_delivered(got, sizeof(got)), pl);
	assert_memory_equal(got, pkt, pl);
	/* 32: and nothing else was written */
	assert_int_equal(hn_delivered(got, sizeof(got)), 0);
}

/* A SYN (flags) with an MSS option of mss, from v to x or (from_x) back. */
static size_t syn_mss(uint8_t *b, uint16_t mss, uint8_t flags, bool from_x)
{
	size_t len = tcp_seg(b, false, 5201, 1, 0, flags);
	uint8_t *t = b + 20;
	uint32_t sum;

	memcpy(t + 20, "\x02\x04\x00\x00\x01\x01\x01\x01\x01\x01\x01\x00", 12);
	put16(t + 22, mss);
	if (from_x) {
		memcpy(b + 12, "\x64\x40\x00\x02\x64\x40\x00\x01", 8);
		b[10] = b[11] = 0;
		put16(b + 10, wf_csum_fold(wf_csum_add_slow(0, b, 20)));
	}
	t[16] = t[17] = 0;
	sum = wf_csum_pseudo(b + 12, b + 16, 4, IPPROTO_TCP, len - 20);
	put16(t + 16, wf_csum_fold(wf_csum_add_slow(sum, t, len - 20)));
	return len;
}

/* 55-57: TCP MSS clamping, both ways, to what fits the peer's path. */
static void test_mss_clamp(void **state)
{
	struct wf_peer *px = wf_peer_find(d, x.cert.pubkey);
	static uint8_t pkt[2048], dg[2048], plain[2048];
	struct wf_vnet_hdr none = {0};
	size_t len, n;

	(void)state;
	offloads(false);
	/* 55: a SYN to x, whose path takes 1219 inside: MSS 1460 -> 1179 */
	px->mtu_pub = 1219;
	len = syn_mss(pkt, 1460, 0x02, false);
	hn_clear();
	from_tun(pkt, len, &none);
	wf_txq_flush(W);
	n = open_sent(0, kx, plain);
	assert_int_equal(n, len);
	assert_int_equal(get16(plain + 20 + 22), 1179);
	assert_true(naive_l4_ok(plain, n));
	/* 56: x's SYN+ACK to us: clamped on its way to the device too */
	len = syn_mss(pkt, 1460, 0x12, true);
	n = seal_from_x(pkt, len, dg);
	wf_data_receive(W, dg, n, &x_at, HN_NOW);
	n = hn_delivered(plain, sizeof(plain));
	assert_int_equal(n, len);
	assert_int_equal(get16(plain + 20 + 22), 1179);
	assert_true(naive_l4_ok(plain, n));
	/* 57: the path not looked at yet: the device's MTU (1440 -> 1400) */
	px->mtu_pub = 0;
	len = syn_mss(pkt, 1460, 0x02, false);
	hn_clear();
	from_tun(pkt, len, &none);
	wf_txq_flush(W);
	n = open_sent(0, kx, plain);
	assert_int_equal(get16(plain + 20 + 22), 1400);
	assert_true(naive_l4_ok(plain, n));
}

/* 58-62: a packet larger than the peer's path takes (not a super-packet):
 * IPv4 with DF and IPv6 dropped, counted, and answered with "fragmentation
 * needed" / "packet too big" carrying the MTU; IPv4 without DF, and IPv6 up
 * to 1280, sent. */
static void test_too_big(void **state)
{
	struct wf_peer *px = wf_peer_find(d, x.cert.pubkey);
	static uint8_t pkt[2048], got[2048];
	struct wf_vnet_hdr none = {0};
	uint64_t drops = px->drops[WF_DROP_TOO_BIG];
	size_t len, n;

	(void)state;
	offloads(false);
	px->mtu_pub = 1219;
	while (hn_delivered(got, sizeof(got)))
		;
	/* 58: IPv4, DF, 1400 bytes: ICMP 3/4, next-hop MTU 1219, the packet quoted */
	len = tcp_seg(pkt, false, 40000, 1, 1400 - 52, 0x10);
	hn_clear();
	from_tun_at(pkt, len, &none, HN_NOW + 40000);
	wf_txq_flush(W);
	assert_int_equal(hn_n_out, 0);
	assert_int_equal(px->drops[WF_DROP_TOO_BIG], drops + 1);
	n = hn_delivered(got, sizeof(got));
	assert_true(n > 28 && naive_ip4_ok(got));
	assert_true(got[9] == 1 && got[20] == 3 && got[21] == 4);
	assert_int_equal(get16(got + 26), 1219);
	assert_memory_equal(got + 16, pkt + 12, 4); /* to its sender */
	assert_memory_equal(got + 28, pkt, 20);
	assert_int_equal(wf_csum_fold(wf_csum_add_slow(0, got + 20, n - 20)), 0);
	/* 59: without DF: sent as it is */
	pkt[6] = 0;
	pkt[10] = pkt[11] = 0;
	put16(pkt + 10, wf_csum_fold(wf_csum_add_slow(0, pkt, 20)));
	hn_clear();
	from_tun_at(pkt, len, &none, HN_NOW + 40000);
	wf_txq_flush(W);
	assert_int_equal(hn_n_out, 1);
	assert_int_equal(hn_delivered(got, sizeof(got)), 0);
	/* 60: IPv6, 1400 bytes: ICMPv6 2/0, MTU 1280 (never less) */
	len = tcp_seg(pkt, true, 40000, 1, 1400 - 72, 0x10);
	pkt[39] = 2;
	hn_clear();
	from_tun_at(pkt, len, &none, HN_NOW + 40000);
	wf_txq_flush(W);
	assert_int_equal(hn_n_out, 0);
	n = hn_delivered(got, sizeof(got));
	assert_true(n > 48 && got[6] == 58 && got[40] == 2 && got[41] == 0);
	assert_int_equal(get32(got + 44), 1280);
	assert_true(naive_l4_ok(got, n));
	/* 61: IPv6 of 1280 bytes: what its routes carry, sent */
	len = tcp_seg(pkt, true, 40000, 1, 1280 - 72, 0x10);
	hn_clear();
	from_tun_at(pkt, len, &none, HN_NOW + 40000);
	wf_txq_flush(W);
	assert_int_equal(hn_n_out, 1);
	/* 62: the path not known: nothing is too big but for the device */
	px->mtu_pub = 0;
	len = tcp_seg(pkt, false, 40000, 1, 1400 - 52, 0x10);
	hn_clear();
	from_tun_at(pkt, len, &none, HN_NOW + 40000);
	wf_txq_flush(W);
	assert_int_equal(hn_n_out, 1);
	assert_int_equal(px->drops[WF_DROP_TOO_BIG], drops + 2);
	assert_int_equal(hn_delivered(got, sizeof(got)), 0);
}

/* 33-36: through a real UDP socket with UDP_GRO: a run sent as one
 * UDP_SEGMENT message is cut where the kernel says, and coalesced. */
static void test_rx_socket(void **state)
{
	static uint8_t dg[8 * 2048], pkt[2048], got[WF_SUPER_MAX];
	union wf_endpoint at, from;
	socklen_t al = sizeof(at), fl = sizeof(from);
	int rx, tx, on = 1;
	size_t total = 0, seg = 0, n;
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov;
	struct msghdr mh = {0};
	struct cmsghdr *c;
	uint16_t gso;

	(void)state;
	memset(&at, 0, sizeof(at));
	at.in4.sin_family = AF_INET;
	at.in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rx = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	from = at;
	if (rx < 0 || tx < 0 || bind(rx, &at.sa, wf_endpoint_len(&at)) < 0 ||
	    getsockname(rx, &at.sa, &al) < 0 || bind(tx, &from.sa, wf_endpoint_len(&from)) < 0 ||
	    getsockname(tx, &from.sa, &fl) < 0)
		skip(); /* no loopback here */
	if (setsockopt(rx, IPPROTO_UDP, UDP_GRO, &on, sizeof(on)) < 0)
		skip(); /* a kernel without UDP_GRO (before 5.0) */
	for (unsigned i = 0; i < 8; i++) {
		size_t pl = tcp_from_x(pkt, 90000 + i * 1388, 1388, 0x10);

		seg = seal_from_x(pkt, pl, dg + total);
		total += seg;
	}
	iov = (struct iovec){.iov_base = dg, .iov_len = total};
	mh.msg_name = &at.sa;
	mh.msg_namelen = wf_endpoint_len(&at);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = IPPROTO_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(gso));
	gso = (uint16_t)seg;
	memcpy(CMSG_DATA(c), &gso, sizeof(gso));
	assert_int_equal(sendmsg(tx, &mh, 0), (ssize_t)total);
	offloads(true);
	W->udp_fd = rx;
	usleep(20000);
	wf_udp_receive(W);
	W->udp_fd = 1000;
	/* 33: all eight arrived, as one coalesced write */
	n = hn_delivered(got, sizeof(got));
	assert_int_equal(n, WF_VNET_HDR_LEN + 52 + 8 * 1388);
	/* 34: nothing was dropped */
	assert_int_equal(hn_delivered(pkt, sizeof(pkt)), 0);
	/* 35: x was heard from there: that is its endpoint now; put it back */
	assert_true(wf_endpoint_equal(&wf_peer_find(d, x.cert.pubkey)->endpoint, &from));
	wf_peer_find(d, x.cert.pubkey)->endpoint = x_at;
	/* 36: an empty datagram is a runt like any other: counted as malformed */
	{
		uint64_t malformed = WF_GET(d->drops[WF_DROP_MALFORMED]);
		struct msghdr empty = {.msg_name = &at.sa, .msg_namelen = wf_endpoint_len(&at)};
		struct pollfd pf = {.fd = rx, .events = POLLIN};

		assert_int_equal(sendmsg(tx, &empty, 0), 0); /* (sendto is the harness's) */
		assert_int_equal(poll(&pf, 1, 5000), 1);
		W->udp_fd = rx;
		wf_udp_receive(W);
		W->udp_fd = 1000;
		assert_int_equal(WF_GET(d->drops[WF_DROP_MALFORMED]), malformed + 1);
	}
	close(rx);
	close(tx);
}

/* 46-48: a peer that keeps moving back to where it just was is two hosts
 * with one key: 46, a host roaming A, B, C, D flips never; 47, A, B, A, B,
 * A, B, A: the third move back says so; 48, moves back further apart than
 * the window start the count again. */
static void test_flapping(void **state)
{
	static struct wf_peer p;
	union wf_endpoint ep[4] = {hn_ep("198.18.0.2:51820"), hn_ep("198.18.0.3:51820"),
				   hn_ep("198.18.0.4:51820"), hn_ep("198.18.0.5:51820")};
	int64_t t = HN_NOW;

	(void)state;
	/* (What wf_peer_seen_at does: ask, then move.) */
#define MOVE(i, when) (flapped = wf_peer_flapping(&p, &ep[i], (when)), p.endpoint = ep[i], flapped)
	bool flapped;

	memset(&p, 0, sizeof(p));
	p.endpoint = ep[0];
	for (int i = 1; i < 4; i++)
		assert_false(MOVE(i, t += 1000)); /* 46 */
	assert_int_equal(p.ep_flips, 0);
	memset(&p, 0, sizeof(p));
	p.endpoint = ep[0];
	assert_false(MOVE(1, t += 1000)); /* 47: to B */
	assert_false(MOVE(0, t += 1000)); /* back to A: 1 */
	assert_false(MOVE(1, t += 1000)); /* 2 */
	assert_true(MOVE(0, t += 1000));  /* 3 */
	assert_true(MOVE(1, t += 1000));
	/* 48: a minute and more between moves back: never three */
	memset(&p, 0, sizeof(p));
	p.endpoint = ep[0];
	for (int i = 0; i < 8; i++)
		assert_false(MOVE((i & 1) ? 0 : 1, t += WF_FLIP_WINDOW_MS + 1));
#undef MOVE
}

/* --- the firewall ------------------------------------------------------------ */

/* Rules in force, as a reload installs them (hn_rules). */
static void rules(const char *const *lines, unsigned n)
{
	struct wf_fw_rules *rs;
	char why[256];

	if (!hn_rules(d, lines, n, &rs, why, sizeof(why)))
		fail_msg("%s", why);
}

/* pkt (len bytes) from member n, sealed on kp, received; true if it was
 * written to TUN. */
static bool rx_from(struct wf_keypair *kp, const union wf_endpoint *at, const uint8_t *pkt,
		    size_t len)
{
	static uint8_t dg[2048], got[2048];

	while (hn_delivered(got, sizeof(got)))
		;
	wf_data_receive(W, dg, hn_seal(kp, WF_MSG_DATA, pkt, len, dg), at, HN_NOW);
	return hn_delivered(got, sizeof(got)) == len && !memcmp(got, pkt, len);
}

/* pkt read from TUN; true if a datagram left for it. */
static bool tx_to(const uint8_t *pkt, size_t len)
{
	struct wf_vnet_hdr none = {0};

	hn_clear();
	from_tun(pkt, len, &none);
	wf_txq_flush(W);
	return hn_n_out == 1;
}

static uint64_t fw_drops(const struct hn_node *n)
{
	return wf_peer_find(d, n->cert.pubkey)->drops[WF_DROP_FIREWALL];
}

/* 63-67: "inbound = allow tcp 22 from group admin", "inbound = drop any":
 * 50, an admin's SYN to port 22 passes; 51, another member's is dropped and
 * counted for it and the node, never written; 52, the admin's UDP and
 * another port too; 53, what this node opens is answered, drop any or not
 * (TCP and UDP), and the answer's flow is the member's own: the same packet
 * from another member is dropped; 54, an outbound rule drops what this node
 * sends, before it is sealed or staged. */
static void test_fw_verdicts(void **state)
{
	static const char *const admin22[] = {"<allow tcp 22 from group admin", "<drop any",
					      ">drop udp 9999 to peer x"};
	uint8_t pkt[PK_MAX];
	uint64_t node0 = d->drops[WF_DROP_FIREWALL], y0 = fw_drops(&y);
	size_t n;

	(void)state;
	offloads(false);
	rules(admin22, 3);
	/* 63 */
	assert_true(rx_from(kx, &x_at, pkt, pk_tcp(pkt, "100.64.0.2", "100.64.0.1", 40000, 22, PK_SYN)));
	/* 64 */
	assert_false(rx_from(ky, &y_at, pkt, pk_tcp(pkt, "100.64.0.3", "100.64.0.1", 40000, 22, PK_SYN)));
	assert_int_equal(fw_drops(&y), y0 + 1);
	assert_int_equal(d->drops[WF_DROP_FIREWALL], node0 + 1);
	/* 65 */
	assert_false(rx_from(kx, &x_at, pkt, pk_udp(pkt, "100.64.0.2", "100.64.0.1", 40000, 22)));
	assert_false(rx_from(kx, &x_at, pkt, pk_tcp(pkt, "100.64.0.2", "100.64.0.1", 40000, 23, PK_SYN)));
	assert_int_equal(d->drops[WF_DROP_FIREWALL], node0 + 3);
	/* 66: out to y, TCP and UDP; the answers pass */
	assert_true(tx_to(pkt, pk_tcp(pkt, "100.64.0.1", "100.64.0.3", 41000, 80, PK_SYN)));
	assert_true(rx_from(ky, &y_at, pkt, pk_tcp(pkt, "100.64.0.3", "100.64.0.1", 80, 41000, PK_SYN | PK_ACK)));
	assert_true(tx_to(pkt, pk_udp(pkt, "100.64.0.1", "100.64.0.3", 41001, 53)));
	assert_true(rx_from(ky, &y_at, pkt, pk_udp(pkt, "100.64.0.3", "100.64.0.1", 53, 41001)));
	assert_false(rx_from(ky, &y_at, pkt, pk_udp(pkt, "100.64.0.3", "100.64.0.1", 54, 41001)));
	/* (x may not answer for y: its address is not y's, nor its flow) */
	n = pk_udp(pkt, "100.64.0.2", "100.64.0.1", 53, 41001);
	assert_false(rx_from(kx, &x_at, pkt, n));
	/* 67 */
	assert_false(tx_to(pkt, pk_udp(pkt, "100.64.0.1", "100.64.0.2", 41002, 9999)));
	assert_int_equal(fw_drops(&x), 4); /* 65 twice, x for y, 67 */
	assert_true(tx_to(pkt, pk_udp(pkt, "100.64.0.1", "100.64.0.2", 41002, 9998)));
	rules(NULL, 0);
	offloads(true);
}

/* 68-71: 68, a new rule set changes verdicts at once, flows allowed under the
 * old one included; 69, no rules: everything passes again, nothing tracked;
 * 70, with rules, a packet the firewall cannot read is dropped as malformed;
 * 71, a renewed certificate's groups count from its installation. */
static void test_fw_reload(void **state)
{
	static const char *const admin22[] = {"<allow tcp 22 from group admin", "<drop any"};
	static const char *const y22[] = {"<allow tcp 22 from peer y", "<drop any"};
	static struct hn_node y2;
	uint8_t pkt[PK_MAX];
	size_t n;

	(void)state;
	offloads(false);
	rules(admin22, 2);
	n = pk_tcp(pkt, "100.64.0.2", "100.64.0.1", 40100, 22, PK_SYN);
	assert_true(rx_from(kx, &x_at, pkt, n));
	/* 68: the flow x opened under the old rules no longer holds */
	rules(y22, 2);
	n = pk_tcp(pkt, "100.64.0.2", "100.64.0.1", 40100, 22, PK_ACK);
	assert_false(rx_from(kx, &x_at, pkt, n));
	assert_true(rx_from(ky, &y_at, pkt, pk_tcp(pkt, "100.64.0.3", "100.64.0.1", 40100, 22, PK_SYN)));
	/* 69 */
	rules(NULL, 0);
	assert_null(d->fw.rules);
	assert_true(rx_from(kx, &x_at, pkt, pk_udp(pkt, "100.64.0.2", "100.64.0.1", 1, 2)));
	/* 70: TCP in the IP header, 8 bytes of it */
	rules(admin22, 2);
	n = pk_tcp(pkt, "100.64.0.2", "100.64.0.1", 40100, 22, PK_SYN) - 12;
	pkt[3] = (uint8_t)n;
	{
		uint64_t m = d->drops[WF_DROP_MALFORMED];

		assert_false(rx_from(kx, &x_at, pkt, n));
		assert_int_equal(d->drops[WF_DROP_MALFORMED], m + 1);
	}
	/* 71: y renewed as an admin (signed by the CA, issued later) */
	assert_false(rx_from(ky, &y_at, pkt, pk_tcp(pkt, "100.64.0.3", "100.64.0.1", 40200, 22, PK_SYN)));
	y2 = y;
	y2.cert.not_before += 10;
	y2.cert.serial++;
	assert_true(add_group(&y2, "admin"));
	wf_peer_proven(d, wf_peer_find(d, y.cert.pubkey), &y2.cert, HN_NOW);
	assert_true(rx_from(ky, &y_at, pkt, pk_tcp(pkt, "100.64.0.3", "100.64.0.1", 40201, 22, PK_SYN)));
	rules(NULL, 0);
	offloads(true);
}

/* 72: a group is the CA's word only: x's certificate with a group added and
 * not signed again is refused at the handshake, and y's packets stay dropped
 * (protocol.md, "Attacks": a member claiming a group). */
static void test_fw_group_forged(void **state)
{
	static const char *const admin22[] = {"<allow tcp 22 from group admin", "<drop any"};
	static struct hn_node forged;
	union wf_endpoint at = hn_ep("198.18.0.3:51999");
	struct wf_keypair *kp;
	uint8_t pkt[PK_MAX];

	(void)state;
	offloads(false);
	rules(admin22, 2);
	forged = y;
	snprintf(forged.cert.groups[forged.cert.n_groups++], sizeof(forged.cert.groups[0]), "admin");
	kp = hn_handshake(d, &forged, &at, wf_realtime_ns(), 0x900);
	assert_null(kp);
	assert_int_equal(wf_peer_find(d, y.cert.pubkey)->cert.n_groups, 0);
	assert_false(rx_from(ky, &y_at, pkt, pk_tcp(pkt, "100.64.0.3", "100.64.0.1", 40300, 22, PK_SYN)));
	rules(NULL, 0);
	offloads(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tx_segments), cmocka_unit_test(test_tx_fallback), cmocka_unit_test(test_mss_clamp),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_tx_runs),     cmocka_unit_test(test_tx_single),
		cmocka_unit_test(test_tx_malformed), cmocka_unit_test(test_rx_coalesce),
		cmocka_unit_test(test_rx_gro_off),  cmocka_unit_test(test_icmp_budget),
		cmocka_unit_test(test_rx_plain),
		cmocka_unit_test(test_rx_socket),   cmocka_unit_test(test_rx_udp),
		cmocka_unit_test(test_flapping),
		cmocka_unit_test(test_fw_verdicts), cmocka_unit_test(test_fw_group_forged),
		cmocka_unit_test(test_fw_reload), /* (last: y leaves it an admin) */
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
