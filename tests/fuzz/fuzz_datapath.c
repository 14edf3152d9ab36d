/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the batched packet path around the offload code
 * (src/daemon/send.c, receive.c, udp.c): a real daemon v with a session to member x,
 * every offload on, driven in memory through tests/common/harness.h.
 *
 * The first byte picks what the rest becomes (bit 0) and who takes it (bit 1):
 *   bit 0 clear: a read from the TUN device: a virtio-net header (10 bytes),
 *      then the packet, addressed to x (bytes 16-19 or 24-39 are forced to
 *      x's address, so that it gets past the route lookup);
 *   bit 0 set: a receive batch: the rest cut into packets (a 2-byte length
 *      before each) that x seals and sends, delivered to TUN as one batch;
 *   bit 1 clear: the control thread's share of the path (as without workers);
 *   bit 1 set: the daemon's one worker, then the control thread drains what
 *      it handed over (wf_ctl_drain), on this one thread;
 *   bit 2 set: firewall rules in force (both lists; the flows the input
 *      opens are tracked from one input to the next).
 * Whatever happens, the daemon must not crash or touch memory it should not
 * (ASan, UBSan); every datagram it sends must open with x's keys into at
 * most an MTU; every write to the TUN device must be a header the kernel
 * takes (wf_gso_plan agrees with it) and a packet no longer than 64 KiB.
 */
#include <stddef.h>
#include <stdint.h>

#include "../common/harness.h"
#include "daemon/udp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hn_node v, x;
static union wf_endpoint x_at;
static struct wf_keypair *kx;
static struct wf_daemon *d;
static struct wf_worker *W; /* d->dp.ctl or d->dp.w[0], by the input */
static struct wf_fw_rules *rules;

/* A rule set of both lists, with a port, a range, a prefix and a peer. */
static bool firewall(void)
{
	static const char *const text[] = {"<allow tcp 22 from peer x", "<allow udp 53-60",
					   "<allow icmp from 100.64.0.0/10", "<drop any",
					   ">drop udp 9999 to fd00::/8", ">allow any"};
	struct wf_fw_spec s[6];
	char why[256];

	for (unsigned i = 0; i < 6; i++)
		if (!wf_fw_rule_parse(text[i][0] == '<' ? WF_FW_IN : WF_FW_OUT, text[i] + 1, &s[i],
				      why, sizeof(why)))
			return false;
	return wf_filter_compile(d, s, 6, &rules);
}

static bool setup(void)
{
	wf_crypto_init();
	wf_log_set_level(WF_LOG_ERROR);
	if (!hn_network() || !hn_node(&v, "v", 1, "100.64.0.1", NULL, 60) ||
	    !hn_node(&x, "x", 2, "100.64.0.2", NULL, 60))
		return false;
	x.cert.n_addrs = 2;
	if (!wf_addr_parse(&x.cert.addrs[1], "fd00::2") || !wf_cert_sign(&x.cert, hn_ca_priv))
		return false;
	x_at = hn_ep("198.18.0.2:51820");
	d = hn_daemon(&v);
	if (!d)
		return false;
	d->node.mtu = 1440;
	if (!wf_workers_alloc(d, 1))
		abort();
	wf_worker_init(d, 0, d->tun_fd, d->udp_fd);
	wf_control_worker_init(d, d->tun_fd, d->udp_fd);
	if (!wf_batch_alloc(&d->dp.w[0]) || !wf_batch_alloc(&d->dp.ctl) || !wf_ctlq_alloc(d, &d->dp.w[0].q))
		return false;
	kx = hn_connect(d, &x, &x_at, 0x100);
	return kx != NULL && firewall();
}

static void offloads_on(void)
{
	d->dp.off.vnet = d->dp.off.tun_tso.on = d->dp.off.tun_uso.on = d->dp.off.tun_gro.on = true;
	d->dp.off.udp_gso.on = true;
}

/* Every data datagram still captured opens, in order, into a packet no
 * longer than an MTU when it was cut from a super-packet. */
static void check_sent(bool cut)
{
	for (unsigned i = hn_n_out > HN_OUT_MAX ? hn_n_out - HN_OUT_MAX : 0; i < hn_n_out; i++) {
		struct hn_sent *s = &hn_out[i % HN_OUT_MAX];
		uint8_t *plain;
		size_t n;
		bool replayed;

		if (s->buf[0] != WF_MSG_DATA)
			continue;
		if (!wf_keypair_open(kx, 0, s->buf, s->len, &plain, &n, &replayed) ||
		    n > (cut ? d->node.mtu : 65535u))
			__builtin_trap();
	}
}

static void from_tun(const uint8_t *in, size_t n)
{
	struct wf_vnet_hdr h;
	uint8_t *slot, *pkt;
	size_t len;

	if (n < WF_VNET_HDR_LEN + 1)
		return;
	wf_vnet_hdr_get(&h, in);
	len = n - WF_VNET_HDR_LEN;
	if (len > WF_SUPER_MAX - WF_VNET_HDR_LEN)
		return;
	slot = wf_txq_slot(W);
	pkt = len > W->tx.slot_cap || h.gso_type ? W->tx.big + WF_DATA_HEADER_LEN : slot;
	memcpy(pkt, in + WF_VNET_HDR_LEN, len);
	if (len >= 20 && pkt[0] >> 4 == 4)
		memcpy(pkt + 16, x.cert.addrs[0].addr, 4);
	else if (len >= 40 && pkt[0] >> 4 == 6)
		memcpy(pkt + 24, x.cert.addrs[1].addr, 16);
	hn_clear();
	wf_data_from_tun(W, pkt, len, &h, HN_NOW);
	wf_txq_flush(W);
	wf_ctl_drain(d, HN_NOW);
	check_sent(h.gso_type != WF_GSO_NONE);
}

static void check_tun(void)
{
	static uint8_t w[WF_SUPER_MAX + 64];
	size_t n;

	while ((n = hn_delivered(w, sizeof(w))) > 0) {
		struct wf_vnet_hdr h;
		struct wf_gso_plan plan;

		if (n < WF_VNET_HDR_LEN || n - WF_VNET_HDR_LEN > 65535)
			__builtin_trap();
		wf_vnet_hdr_get(&h, w);
		if (h.gso_type && !wf_gso_plan(&h, w + WF_VNET_HDR_LEN, n - WF_VNET_HDR_LEN, &plan))
			__builtin_trap();
	}
}

static void rx_batch(const uint8_t *in, size_t n)
{
	static uint8_t dg[64][2048];
	unsigned k = 0;

	wf_data_rx_begin(W);
	while (n >= 2 && k < 64) {
		size_t len = (size_t)(in[0] << 8 | in[1]) % 1500, sl;

		in += 2;
		n -= 2;
		if (len > n)
			len = n;
		sl = hn_seal(kx, WF_MSG_DATA, in, len, dg[k]);
		if (sl)
			wf_data_receive(W, dg[k++], sl, &x_at, HN_NOW);
		in += len;
		n -= len;
	}
	wf_data_rx_flush(W);
	wf_ctl_drain(d, HN_NOW);
	check_tun();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;

	if (!ready) {
		if (!setup())
			__builtin_trap();
		ready = true;
	}
	if (size < 1)
		return 0;
	offloads_on();
	W = data[0] & 2 ? &d->dp.w[0] : &d->dp.ctl;
	/* (Swapped without retiring: the set lives as long as the harness.) */
	__atomic_store_n(&d->fw.rules, data[0] & 4 ? rules : NULL, __ATOMIC_RELEASE);
	if (data[0] & 1)
		rx_batch(data + 1, size - 1);
	else
		from_tun(data + 1, size - 1);
	return 0;
}
