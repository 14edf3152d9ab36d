/* SPDX-License-Identifier: MIT */
/* IP addresses, prefixes and UDP endpoints: parsing, printing, containment. */
#ifndef WEFT_ADDR_H
#define WEFT_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

enum { WF_ADDR_STRLEN = 64 }; /* enough for "[v6%scope]:port" and "v6/128" */

/* An IPv4 or IPv6 prefix; a single address has len 32 or 128. For IPv4 only
 * the first 4 bytes of addr are used; bits past len are always zero. */
struct wf_prefix {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t len;
	uint8_t addr[16];
};

/* A UDP endpoint (underlay address). */
union wf_endpoint {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
};

/* "100.64.0.1/10", "fd00::/8". With require_len false a bare address is
 * accepted as a host prefix. Host bits set past the length are an error:
 * "100.64.0.1/10" is a typo for either an address or a network. */
bool wf_prefix_parse(struct wf_prefix *p, const char *s, bool require_len);
/* A bare address ("100.64.0.1", "fd00::1"), as a /32 or /128. */
bool wf_addr_parse(struct wf_prefix *p, const char *s);
/* "a.b.c.d/n" or "x::y/n"; host prefixes print without "/32" or "/128"
 * when bare is true. Returns buf. */
const char *wf_prefix_str(const struct wf_prefix *p, bool bare, char *buf, size_t len);
/* Zero the bits past p->len. */
void wf_prefix_mask(struct wf_prefix *p);
/* Is inner (address or prefix) entirely inside outer? */
bool wf_prefix_contains(const struct wf_prefix *outer, const struct wf_prefix *inner);
bool wf_prefix_equal(const struct wf_prefix *a, const struct wf_prefix *b);
/* Does the raw address (4 or 16 bytes, by family) fall inside p? */
bool wf_prefix_match(const struct wf_prefix *p, int family, const uint8_t *addr);
size_t wf_family_addr_len(int family);

/* "198.18.0.1:51820", "[2001:db8::1]:51820"; a hostname is resolved with
 * getaddrinfo. Port is required. */
bool wf_endpoint_parse(union wf_endpoint *ep, const char *s);
const char *wf_endpoint_str(const union wf_endpoint *ep, char *buf, size_t len);
bool wf_endpoint_equal(const union wf_endpoint *a, const union wf_endpoint *b);
socklen_t wf_endpoint_len(const union wf_endpoint *ep);
/* The port, in host order (0 for neither family). */
uint16_t wf_endpoint_port(const union wf_endpoint *ep);
void wf_endpoint_set_port(union wf_endpoint *ep, uint16_t port);
/* The endpoint's address as a host prefix, a v4-mapped IPv6 one as IPv4
 * (what the datagrams carry); false for neither family. */
bool wf_endpoint_addr(const union wf_endpoint *ep, struct wf_prefix *out);

/* Could a peer be reached at this endpoint, as far as the address itself
 * tells? Not for an unspecified, loopback, multicast or broadcast address, a
 * link-local IPv6 one (it needs a scope nobody can tell us) or port 0. Used
 * for endpoints we are told of rather than saw ourselves. */
bool wf_endpoint_usable(const union wf_endpoint *ep);

#endif
