/* SPDX-License-Identifier: MIT */
/*
 * TCP MSS clamping (mss.h). Called for every packet weft carries that is not
 * a super-packet, so the common case (not a SYN) costs a few byte compares.
 */
#include "core/mss.h"

enum { TCP = 6, SYN = 0x02, OPT_EOL = 0, OPT_NOP = 1, OPT_MSS = 2 };

unsigned wf_mss_for(unsigned mtu, bool v6)
{
	unsigned hdrs = v6 ? 60 : 40;

	return mtu > hdrs ? mtu - hdrs : 0;
}

/* Where the TCP header starts (0: not TCP, a fragment, or malformed). */
static size_t tcp_at(const uint8_t *pkt, size_t len)
{
	size_t ihl;

	if (len >= 20 && pkt[0] >> 4 == 4) {
		ihl = (size_t)(pkt[0] & 0xf) * 4;
		/* a fragment that is not the first, or one that is (MF): the
		 * options may be anywhere */
		if (ihl < 20 || pkt[9] != TCP || (pkt[6] & 0x3f) || pkt[7])
			return 0;
		return ihl;
	}
	if (len >= 40 && pkt[0] >> 4 == 6 && pkt[6] == TCP)
		return 40;
	return 0;
}

/* RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m'), in ones' complement. A field
 * at an odd offset from the header counts byte-swapped in the sum. */
static void csum_replace(uint8_t *csum, uint16_t old, uint16_t new, bool odd)
{
	uint32_t sum;

	if (odd) {
		old = (uint16_t)(old << 8 | old >> 8);
		new = (uint16_t)(new << 8 | new >> 8);
	}
	sum = (uint16_t)~(csum[0] << 8 | csum[1]);
	sum += (uint16_t)~old;
	sum += new;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (uint16_t)~sum;
	csum[0] = (uint8_t)(sum >> 8);
	csum[1] = (uint8_t)sum;
}

/* The offset of the MSS option's value in the options from..to, or 0. */
static size_t find_mss(const uint8_t *tcp, size_t from, size_t to)
{
	for (size_t i = from; i < to;) {
		if (tcp[i] == OPT_EOL)
			return 0;
		if (tcp[i] == OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= to || tcp[i + 1] < 2 || i + tcp[i + 1] > to)
			return 0; /* malformed: not ours to mend */
		if (tcp[i] == OPT_MSS)
			return tcp[i + 1] == 4 ? i + 2 : 0;
		i += tcp[i + 1];
	}
	return 0;
}

bool wf_mss_clamp(uint8_t *pkt, size_t len, unsigned mtu)
{
	size_t at = tcp_at(pkt, len), doff, v;
	uint8_t *tcp = pkt + at;
	unsigned mss;
	uint16_t old;

	if (!at || len < at + 20 || !(tcp[13] & SYN))
		return false;
	mss = wf_mss_for(mtu, pkt[0] >> 4 == 6);
	if (!mss || mss > 0xffff)
		return false;
	doff = (size_t)(tcp[12] >> 4) * 4;
	if (doff <= 20 || at + doff > len)
		return false;
	v = find_mss(tcp, 20, doff);
	if (!v)
		return false;
	old = (uint16_t)(tcp[v] << 8 | tcp[v + 1]);
	if (old <= mss)
		return false;
	tcp[v] = (uint8_t)(mss >> 8);
	tcp[v + 1] = (uint8_t)mss;
	csum_replace(tcp + 16, old, (uint16_t)mss, v & 1);
	return true;
}
