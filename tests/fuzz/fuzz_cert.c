/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for certificate decoding and armor.
 *
 * Besides memory safety it checks the encoding's canonical property: any
 * input that decodes must re-encode to exactly the same bytes (verification
 * signs the re-encoding, so a second spelling of the same certificate would
 * be a signature bypass waiting to happen). Armor must round-trip the same
 * way: what decodes, re-armored, decodes to the same bytes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/armor.h"
#include "core/cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
		init = true;
	}
	fuzz_binary(data, size);
	fuzz_armor(data, size);
	return 0;
}
