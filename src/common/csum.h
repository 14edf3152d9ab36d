/* SPDX-License-Identifier: MIT */
/*
 * The Internet checksum (RFC 1071): a ones' complement sum of big-endian
 * 16-bit words. Add every part with wf_csum_add, starting from 0 (or from a
 * pseudo-header's sum), then fold the total into the field's value.
 */
#ifndef WEFT_CSUM_H
#define WEFT_CSUM_H

#include <stddef.h>
#include <stdint.h>

static inline uint32_t wf_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

static inline uint16_t wf_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

#endif
