/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for src/core/offload.c: what the TUN device hands us and
 * what peers send are both untrusted.
 *
 * Input: a virtio-net header (10 bytes), then a packet. It is planned and,
 * if the plan holds, cut into every segment, each checked to stay in bounds
 * and to carry a valid transport checksum; a packet with NEEDS_CSUM and no
 * GSO gets its checksum completed. Then the input, cut at 2-byte lengths into
 * packets, is coalesced as a received batch: every packet must be written
 * exactly once, every chain's payloads must lie inside their packets, and
 * every chain must be a super-packet the kernel takes (wf_gso_plan).
 *
 * The last byte of the input says how (bits): 1, UDP datagrams coalesce too
 * (a device with USO; without, no UDP super-packet may come out); 2, the
 * packets are made to hold together first, so that chains form: lengths and
 * checksums (TCP, UDP, IPv4) set right, and a packet that starts with a zero
 * byte takes the headers of the one before, its IPv4 ID one more. Then every
 * UDP chain, cut as the kernel would cut it, must give back exactly the
 * datagrams that came (all-0 IPv4 IDs come back numbered, and a header
 * checksum may come back as the other form of zero).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include <netinet/in.h>

#include "common/csum.h"
#include "core/offload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t pkt[70000], seg[2048 + 70000];
static uint8_t batch[70000], orig[70000], super[70000];

enum { MODE_UDP = 1, MODE_FIX = 2 };

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void cut(const uint8_t *data, size_t size)
{
	struct wf_vnet_hdr h;
	struct wf_gso_plan plan;
	size_t len;

	if (size < WF_VNET_HDR_LEN || size - WF_VNET_HDR_LEN > sizeof(pkt))
		return;
	wf_vnet_hdr_get(&h, data);
	len = size - WF_VNET_HDR_LEN;
	memcpy(pkt, data + WF_VNET_HDR_LEN, len);
	if (!wf_gso_plan(&h, pkt, len, &plan))
		return;
	if (plan.n_segs == 1 && !plan.proto) {
		(void)wf_csum_complete(&h, pkt, len);
		return;
	}
	for (unsigned i = 0; i < plan.n_segs; i++) {
		size_t n = wf_gso_segment(&plan, pkt, len, i, seg);

		if (n > (size_t)plan.hdr_len + plan.gso_size || n <= plan.hdr_len)
			__builtin_trap();
	}
}

/* Make the packet of n bytes at p hold together (MODE_FIX); prev: the one
 * before, or NULL. */
static void fix(uint8_t *p, size_t n, const uint8_t *prev, size_t prev_n)
{
	bool v4;
	size_t ip, l4;
	uint8_t proto;
	uint32_t sum;

	if (!p[0] && prev) {
		size_t h = prev_n < 60 ? prev_n : 60;

		memcpy(p, prev, h < n ? h : n);
		if (p[0] >> 4 == 4 && n >= 20)
			put16(p + 4, (uint16_t)(get16(p + 4) + 1));
	}
	v4 = p[0] >> 4 == 4;
	if (v4 ? n < 20 || (p[0] & 0xf) * 4u > n : p[0] >> 4 != 6 || n < 40)
		return;
	ip = v4 ? (p[0] & 0xfu) * 4 : 40;
	proto = v4 ? p[9] : p[6];
	put16(v4 ? p + 2 : p + 4, (uint16_t)(v4 ? n : n - 40));
	l4 = proto == IPPROTO_UDP ? 8 : 20;
	if ((proto == IPPROTO_UDP || proto == IPPROTO_TCP) && n >= ip + l4 && n - ip <= 65535) {
		size_t at = ip + (proto == IPPROTO_UDP ? 6 : 16);
		bool none = proto == IPPROTO_UDP && !p[at] && !p[at + 1];

		if (proto == IPPROTO_UDP)
			put16(p + ip + 4, (uint16_t)(n - ip));
		p[at] = p[at + 1] = 0;
		sum = wf_csum_pseudo(p + (v4 ? 12 : 8), p + (v4 ? 16 : 24), v4 ? 4 : 16, proto,
				     n - ip);
		sum = wf_csum_fold(wf_csum_add(sum, p + ip, n - ip));
		if (!none)
			put16(p + at, proto == IPPROTO_UDP && !sum ? 0xffff : (uint16_t)sum);
	}
	if (v4) {
		p[10] = p[11] = 0;
		put16(p + 10, wf_csum_fold(wf_csum_add(0, p, ip)));
	}
}

/* A UDP chain cut again: exactly the datagrams that came. */
static void cut_back(const struct wf_gro *g, const struct wf_gro_write *w, size_t len)
{
	struct wf_gso_plan plan;
	const uint8_t *head = orig + (g->pkt[w->head] - batch);
	unsigned k = 0;
	size_t ip = super[0] >> 4 == 4 ? 20 : 40;
	uint32_t sum = wf_csum_pseudo(super + (ip == 20 ? 12 : 8), super + (ip == 20 ? 16 : 24),
				      ip == 20 ? 4 : 16, IPPROTO_UDP, len - ip);

	/* Its lengths (IP's, UDP's) are the whole's, its checksum completes. */
	if (get16(super + ip + 4) != len - ip ||
	    (ip == 20 ? get16(super + 2) != len || wf_csum_fold(wf_csum_add(0, super, 20))
		      : get16(super + 4) != len - 40) ||
	    !wf_csum_complete(&w->hdr, super, len) ||
	    wf_csum_fold(wf_csum_add(sum, super + ip, len - ip)))
		__builtin_trap();
	if (!wf_gso_plan(&w->hdr, super, len, &plan) || plan.n_segs != w->n)
		__builtin_trap();
	for (int i = w->head; i >= 0; i = g->next[i], k++) {
		const uint8_t *o = orig + (g->pkt[i] - batch);
		size_t n = wf_gso_segment(&plan, super, len, k, seg);

		if (n != g->len[i])
			__builtin_trap();
		if (o[0] >> 4 == 4) {
			uint16_t id = get16(o + 4), want = (uint16_t)(get16(head + 4) + k);

			/* The ID: one more each; or all 0 (with DF), numbered now. */
			if (get16(seg + 4) != want ||
			    (id != want && (id || get16(head + 4) || !(o[6] & 0x40))))
				__builtin_trap();
			if (memcmp(seg, o, 4) || memcmp(seg + 6, o + 6, 4) ||
			    memcmp(seg + 12, o + 12, n - 12) ||
			    wf_csum_fold(wf_csum_add(0, seg, 20)))
				__builtin_trap();
		} else if (memcmp(seg, o, n)) {
			__builtin_trap();
		}
	}
}

static void coalesce(const uint8_t *data, size_t size)
{
	static struct wf_gro g;
	unsigned seen[WF_GRO_BATCH] = {0};
	uint8_t mode = size ? data[size - 1] : 0;
	size_t off = 0;
	const uint8_t *prev = NULL;
	size_t prev_n = 0;

	if (size > sizeof(batch))
		return;
	memcpy(batch, data, size);
	wf_gro_begin(&g, mode & MODE_UDP);
	while (off + 2 <= size) {
		size_t n = (size_t)(batch[off] | batch[off + 1] << 8) % 1600;

		off += 2;
		if (n > size - off)
			n = size - off;
		if (n >= 20) {
			if (mode & MODE_FIX)
				fix(batch + off, n, prev, prev_n);
			memcpy(orig + off, batch + off, n);
			prev = orig + off;
			prev_n = n;
			if (!wf_gro_add(&g, batch + off, n))
				break;
		}
		off += n;
	}
	wf_gro_end(&g);
	for (unsigned w = 0; w < g.n_writes; w++) {
		const struct wf_gro_write *wr = &g.writes[w];
		int head = wr->head;
		size_t len = g.len[head];
		struct wf_gso_plan plan;

		if (seen[head]++ || (wr->hdr.gso_type == WF_GSO_UDP_L4 && !(mode & MODE_UDP)))
			__builtin_trap();
		memcpy(super, g.pkt[head], len);
		/* The rest of a chain is written as payloads: inside each packet. */
		for (int i = g.next[head]; i >= 0; i = g.next[i]) {
			size_t pl;
			const uint8_t *p = wf_gro_payload(&g, i, &pl);

			if (seen[i]++ || p < g.pkt[i] || pl > g.len[i] ||
			    (size_t)(p - g.pkt[i]) + pl != g.len[i] || len + pl > sizeof(super))
				__builtin_trap();
			memcpy(super + len, p, pl);
			len += pl;
		}
		if (wr->n > 1 && wr->hdr.gso_type == WF_GSO_UDP_L4)
			cut_back(&g, wr, len);
		else if (wr->n > 1 && (len > 65535 || !wf_gso_plan(&wr->hdr, super, len, &plan)))
			__builtin_trap();
	}
	for (unsigned i = 0; i < g.n; i++)
		if (seen[i] != 1)
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cut(data, size);
	coalesce(data, size);
	return 0;
}
