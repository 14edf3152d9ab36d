/* SPDX-License-Identifier: MIT */
/*
 * Names for members: a DNS responder for one domain (the network's name,
 * "prod"), answering NAME.prod with the overlay addresses in NAME's
 * certificate. A function from a query's bytes to an answer's bytes, with no
 * socket: the daemon owns the socket and the table it answers from.
 *
 *   NAME.DOMAIN, A or AAAA     the member's addresses (none of that family:
 *                              no data), authoritative, TTL 60 s
 *   DOMAIN, SOA                the zone's SOA (synthesized)
 *   a name under DOMAIN that no member holds
 *                              NXDOMAIN, with the SOA (negative caching);
 *                              no data for a name that only has members
 *                              below it (an empty non-terminal, RFC 8020)
 *   any name outside DOMAIN    REFUSED: no recursion, not an open resolver
 *   anything malformed         no answer at all: a response, a packet ldns
 *                              cannot read, no question or several
 *   another opcode             NOTIMP
 *
 * EDNS(0) is answered in kind (a 1232-byte payload); an answer larger than
 * the asker can take is sent truncated (TC) with no records. Names compare
 * without regard to case, and the question is echoed as asked.
 *
 * The table is built from certificates only (wf_dns_zone_add_cert): a name
 * and its addresses, never an endpoint or anything gossip says. It is read
 * only once sealed, so a sealed zone may be shared by threads.
 *
 * Pure: no I/O, no clock. This is the one file that includes ldns (Debian's
 * libldns3), as src/crypto holds OpenSSL: DNS's wire format (compression,
 * EDNS, every record type a query may carry) is parsed by a library that
 * NLnet Labs keeps and fuzzes, not by hand.
 */
#ifndef WEFT_DNS_H
#define WEFT_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cert.h"

enum {
	WF_DNS_TTL = 60,       /* seconds, answers and negative answers alike */
	WF_DNS_UDP_MAX = 1232, /* the EDNS payload offered (DNS flag day 2020) */
	WF_DNS_UDP_MIN = 512,  /* without EDNS */
	WF_DNS_NAME_MAX = 253, /* characters of a name, without the final dot */
};

struct wf_dns_zone;

/* An empty zone for domain (a name of one or more labels, no final dot),
 * serial in its SOA (a new one for each table published). NULL for a bad
 * domain or out of memory. */
struct wf_dns_zone *wf_dns_zone_new(const char *domain, uint32_t serial);
void wf_dns_zone_free(struct wf_dns_zone *z);
/* Add (or, for a name added before, replace) a member: name.DOMAIN answers
 * with its addresses (host prefixes of c->addrs: routes are not
 * addresses). False for a name that is no DNS name under the domain (an
 * empty label: "a..b", too long), or out of memory; the zone is unchanged
 * then. Only before wf_dns_zone_seal. */
bool wf_dns_zone_add_cert(struct wf_dns_zone *z, const struct wf_cert *c) WF_MUST_CHECK;
/* Done adding: from now on the zone only answers (and may be shared). */
void wf_dns_zone_seal(struct wf_dns_zone *z);
size_t wf_dns_zone_count(const struct wf_dns_zone *z);

/*
 * The answer to the query of qlen bytes, written to out (cap bytes, at
 * least WF_DNS_UDP_MAX for every answer to fit); returns its length, or 0
 * for no answer (malformed, or out of memory). z must be sealed.
 */
size_t wf_dns_answer(const struct wf_dns_zone *z, const uint8_t *query, size_t qlen, uint8_t *out,
		     size_t cap);

#endif
