/* SPDX-License-Identifier: MIT */
/*
 * The Internet checksum (RFC 1071): a ones' complement sum of big-endian
 * 16-bit words. Add every part with wf_csum_add, starting from 0 (or from a
 * pseudo-header's sum), then fold the total into the field's value.
 *
 * The data path checksums every byte it segments or coalesces, so the sum is
 * taken 4 bytes at a time in a 64-bit accumulator, in the host's byte order:
 * a ones' complement sum does not depend on byte order but for a final swap
 * (RFC 1071, section 2(B)). Every part but the last must have an even length
 * (as every header and segment here has).
 */
#ifndef WEFT_CSUM_H
#define WEFT_CSUM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The plain definition, a big-endian word at a time: the reference the fast
 * one is tested against, and what big-endian hosts use. */
static inline uint32_t wf_csum_add_slow(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

static inline uint32_t wf_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t acc = 0;
	size_t i = 0;
	uint32_t w;
	uint16_t h;

	for (; i + 16 <= len; i += 16) {
		uint32_t a, b, c;

		memcpy(&w, p + i, 4);
		memcpy(&a, p + i + 4, 4);
		memcpy(&b, p + i + 8, 4);
		memcpy(&c, p + i + 12, 4);
		acc += (uint64_t)w + a + b + c;
	}
	for (; i + 4 <= len; i += 4) {
		memcpy(&w, p + i, 4);
		acc += w;
	}
	if (i + 2 <= len) {
		memcpy(&h, p + i, 2);
		acc += h;
		i += 2;
	}
	if (i < len)
		acc += p[i]; /* the high byte of a big-endian word: the low one here */
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	h = (uint16_t)acc;
	return sum + (uint16_t)(h >> 8 | h << 8);
#else
	return wf_csum_add_slow(sum, p, len);
#endif
}

/* The sum folded to 16 bits, not complemented: a partial checksum, as the
 * kernel expects in the field of a packet whose checksum it completes. */
static inline uint16_t wf_csum_partial(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The value for a checksum field. */
static inline uint16_t wf_csum_fold(uint32_t sum)
{
	return (uint16_t)~wf_csum_partial(sum);
}

/* The sum of a TCP or UDP pseudo-header: addresses (4 or 16 bytes each, from
 * src), protocol and the transport length. */
static inline uint32_t wf_csum_pseudo(const uint8_t *src, const uint8_t *dst, size_t alen,
				      uint8_t proto, size_t len)
{
	uint32_t sum = wf_csum_add(0, src, alen);

	sum = wf_csum_add(sum, dst, alen);
	return sum + proto + (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff);
}

#endif
