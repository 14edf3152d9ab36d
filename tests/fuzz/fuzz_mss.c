/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for TCP MSS clamping (src/core/mss.c): bytes 0-1 are the
 * MTU, the rest a packet. Whatever the packet, nothing is read or written
 * out of bounds (ASan); a clamped packet differs in at most the option's
 * value and the checksum, and a checksum that was right stays right.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mss.h"
#include "../common/packets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[65536], before[65536];
	unsigned mtu, changed = 0;
	size_t len;
	bool ok;

	if (size < 2)
		return 0;
	mtu = (unsigned)data[0] << 8 | data[1];
	len = size - 2;
	if (len > sizeof(pkt))
		len = sizeof(pkt);
	memcpy(pkt, data + 2, len);
	memcpy(before, pkt, len);
	/* (exactly the bytes given: a read past them is ASan's to see) */
	{
		uint8_t *exact = malloc(len ? len : 1);

		if (!exact)
			return 0;
		memcpy(exact, pkt, len);
		if (!wf_mss_clamp(exact, len, mtu)) {
			free(exact);
			return 0;
		}
		memcpy(pkt, exact, len);
		free(exact);
	}
	for (size_t i = 0; i < len; i++)
		changed += pkt[i] != before[i];
	if (changed > 4)
		abort();
	ok = naive_l4_ok(before, len);
	if (ok && !naive_l4_ok(pkt, len))
		abort();
	return 0;
}
