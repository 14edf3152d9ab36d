/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for certificate decoding and armor.
 *
 * Besides memory safety it checks the encoding's canonical property: any
 * input that decodes must re-encode to exactly the same bytes (verification
 * signs the re-encoding, so a second spelling of the same certificate would
 * be a signature bypass waiting to happen). Armor must round-trip the same
 * way: what decodes, re-armored, decodes to the same bytes. And the route rule
 * (a CA's allowed routes, version 2): whatever decodes is verified against a
 * fixed CA or node of the other type, and a node certificate that passes must
 * route nothing outside the CA's prefixes and allowed routes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/armor.h"
#include "core/cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct wf_cert fixed_ca, fixed_node; /* allows 10.20.0.0/16; routes 10.20.1.0/24 */

static void make_fixed(void)
{
	uint8_t priv[WF_KEY_LEN];

	fixed_ca.type = WF_CERT_CA;
	strcpy(fixed_ca.network, "lan");
	strcpy(fixed_ca.name, "lan");
	fixed_ca.not_before = 0;
	fixed_ca.not_after = INT64_MAX;
	fixed_ca.cipher = WF_CIPHER_AES256GCM;
	fixed_ca.n_prefixes = 1;
	fixed_ca.n_allowed = 1;
	if (!wf_prefix_parse(&fixed_ca.prefixes[0], "100.64.0.0/10", true) ||
	    !wf_prefix_parse(&fixed_ca.allowed[0], "10.20.0.0/16", true) ||
	    !wf_ed25519_keygen(priv, fixed_ca.pubkey) || !wf_cert_sign(&fixed_ca, priv))
		abort();
	fixed_node.type = WF_CERT_NODE;
	strcpy(fixed_node.network, "lan");
	strcpy(fixed_node.name, "gw");
	fixed_node.not_after = INT64_MAX;
	fixed_node.n_addrs = 1;
	fixed_node.n_routes = 1;
	if (!wf_prefix_parse(&fixed_node.addrs[0], "100.64.0.1", false) ||
	    !wf_prefix_parse(&fixed_node.routes[0], "10.20.1.0/24", true) ||
	    !wf_cert_sign(&fixed_node, priv))
		abort();
}

static bool inside_some(const struct wf_prefix *p, const struct wf_prefix *list, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (wf_prefix_contains(&list[i], p))
			return true;
	return false;
}

/* What decoded, against the fixed certificate of the other type. */
static void fuzz_routes(const struct wf_cert *c)
{
	if (c->type == WF_CERT_NODE) {
		if (wf_cert_verify_fields(c, &fixed_ca, c->not_before) != WF_CERT_OK)
			return;
		for (unsigned i = 0; i < c->n_routes; i++)
			if (!inside_some(&c->routes[i], fixed_ca.prefixes, fixed_ca.n_prefixes) &&
			    !inside_some(&c->routes[i], fixed_ca.allowed, fixed_ca.n_allowed))
				abort();
		return;
	}
	(void)wf_cert_verify_fields(&fixed_node, c, c->not_before);
	if (wf_cert_route_allowed(c, &fixed_node.routes[0]) !=
	    (inside_some(&fixed_node.routes[0], c->prefixes, c->n_prefixes) ||
	     inside_some(&fixed_node.routes[0], c->allowed, c->n_allowed)))
		abort();
}

static void fuzz_binary(const uint8_t *data, size_t size)
{
	uint8_t again[WF_CERT_MAX_ENCODED];
	struct wf_cert c;
	size_t n;

	if (wf_cert_decode(&c, data, size) != WF_CERT_OK)
		return;
	n = wf_cert_encode(&c, again, sizeof(again));
	if (n != size || memcmp(again, data, size))
		abort();
	if (wf_cert_check(&c, NULL) != WF_CERT_OK)
		abort();
	/* reach the verification and ownership code with whatever decoded */
	(void)wf_cert_verify_ca(&c, c.not_before);
	(void)wf_cert_verify(&c, &c, c.not_after);
	(void)wf_cert_owns(&c, AF_INET, c.addrs[0].addr);
	(void)wf_cert_owns(&c, AF_INET6, c.addrs[0].addr);
	fuzz_routes(&c);
}

static void fuzz_armor(const uint8_t *data, size_t size)
{
	uint8_t out[WF_CERT_MAX_ENCODED], back[WF_CERT_MAX_ENCODED];
	char label[WF_ARMOR_LABEL_MAX], *text = malloc(size + 1), *re;
	long n;

	if (!text)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	(void)wf_armor_label(text, label, sizeof(label));
	n = wf_armor_decode("CERTIFICATE", text, out, sizeof(out));
	if (n >= 0) {
		size_t cap = wf_armor_size("CERTIFICATE", (size_t)n);

		if (!(re = malloc(cap)) || !wf_armor_encode("CERTIFICATE", out, (size_t)n, re, cap))
			abort();
		if (wf_armor_decode("CERTIFICATE", re, back, sizeof(back)) != n ||
		    memcmp(out, back, (size_t)n))
			abort();
		free(re);
		fuzz_binary(out, (size_t)n);
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;

	if (!init) {
		wf_crypto_init();
		make_fixed();
		init = true;
	}
	fuzz_binary(data, size);
	fuzz_armor(data, size);
	return 0;
}
