/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the DNS responder (src/core/dns.c): any bytes as a
 * query to a zone of three members. Nothing may crash or leak; an answer
 * must read back (ldns), be a response with the query's id, fit what the
 * asker can take (512 bytes, or its EDNS payload up to 1232), and a REFUSED
 * one carries no records.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "core/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct wf_dns_zone *zone;

static void add(const char *name, const char *a1, const char *a2)
{
	struct wf_cert c;

	memset(&c, 0, sizeof(c));
	strcpy(c.name, name);
	if (!wf_addr_parse(&c.addrs[c.n_addrs++], a1) ||
	    (a2 && !wf_addr_parse(&c.addrs[c.n_addrs++], a2)) || !wf_dns_zone_add_cert(zone, &c))
		abort();
}

static void setup(void)
{
	if (!(zone = wf_dns_zone_new("prod", 1)))
		abort();
	add("web1", "100.64.0.1", "fd00::1");
	add("db1", "100.64.0.20", NULL);
	add("node-1.example", "fd00::30", NULL);
	wf_dns_zone_seal(zone);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[2048];
	ldns_pkt *a = NULL;
	size_t n, limit = 512;

	if (!zone)
		setup();
	n = wf_dns_answer(zone, data, size, out, sizeof(out));
	if (!n)
		return 0;
	/* an answer means the query had a header; an EDNS asker may take more */
	if (size >= 12 && (data[11] != 0 || data[10] != 0))
		limit = 1232;
	if (n > limit || ldns_wire2pkt(&a, out, n) != LDNS_STATUS_OK)
		abort();
	if (!ldns_pkt_qr(a) || ldns_pkt_id(a) != (uint16_t)(data[0] << 8 | data[1]) ||
	    (ldns_pkt_get_rcode(a) == LDNS_RCODE_REFUSED && ldns_pkt_ancount(a) != 0))
		abort();
	ldns_pkt_free(a);
	return 0;
}
