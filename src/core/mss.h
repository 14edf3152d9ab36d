/* SPDX-License-Identifier: MIT */
/*
 * TCP MSS clamping (docs/protocol.md, "TCP MSS clamping"): a host sizes its
 * segments from the MSS its peer announced in the SYN, which comes from the
 * peer's own interface; where weft's path to it is narrower, the option is
 * lowered on the way, as `iptables ... TCPMSS --clamp-mss-to-pmtu` does,
 * with the checksum updated incrementally (RFC 1624). Pure.
 */
#ifndef WEFT_CORE_MSS_H
#define WEFT_CORE_MSS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The MSS that fits an overlay MTU: less 40 bytes of headers (IPv4), 60
 * (IPv6). */
unsigned wf_mss_for(unsigned mtu, bool v6);

/* If pkt (an IPv4 or IPv6 packet of len bytes, TCP directly after the IP
 * header, not a fragment) is a SYN (or SYN+ACK) whose MSS option is above
 * the MSS that fits mtu, lower it to that and fix the TCP checksum; true if
 * it was changed. Anything else, malformed options included, is left alone. */
bool wf_mss_clamp(uint8_t *pkt, size_t len, unsigned mtu);

#endif
