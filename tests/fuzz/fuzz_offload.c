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
 * exactly once, and every chain's payloads must lie inside their packets.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/csum.h"
#include "core/offload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t pkt[70000], seg[2048 + 70000];
static uint8_t batch[70000];

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

static void coalesce(const uint8_t *data, size_t size)
{
	static struct wf_gro g;
	unsigned seen[WF_GRO_BATCH] = {0};
	size_t off = 0;

	if (size > sizeof(batch))
		return;
	memcpy(batch, data, size);
	wf_gro_begin(&g);
	while (off + 2 <= size) {
		size_t n = (size_t)(batch[off] | batch[off + 1] << 8) % 1600;

		off += 2;
		if (n > size - off)
			n = size - off;
		if (n >= 20 && !wf_gro_add(&g, batch + off, n))
			break;
		off += n;
	}
	wf_gro_end(&g);
	for (unsigned w = 0; w < g.n_writes; w++) {
		int head = g.writes[w].head;

		if (seen[head]++)
			__builtin_trap();
		/* The rest of a chain is written as payloads: inside each packet. */
		for (int i = g.next[head]; i >= 0; i = g.next[i]) {
			size_t pl;
			const uint8_t *p = wf_gro_payload(&g, i, &pl);

			if (seen[i]++ || p < g.pkt[i] || pl > g.len[i] ||
			    (size_t)(p - g.pkt[i]) + pl != g.len[i])
				__builtin_trap();
		}
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
