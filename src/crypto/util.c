/* SPDX-License-Identifier: MIT */
/* Randomness, constant-time compare and wiping. */
#include <stdlib.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "crypto/crypto.h"

void wf_crypto_init(void)
{
	/* Load the default provider and CPU capability detection up front so
	 * that the first packet does not pay for it, and so that nothing is
	 * lazily initialised from two threads at once. */
	OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CRYPTO_STRINGS | OPENSSL_INIT_ADD_ALL_CIPHERS |
				    OPENSSL_INIT_ADD_ALL_DIGESTS,
			    NULL);
}

bool wf_random(void *buf, size_t len)
{
	if (len > INT32_MAX)
		return false;
	return RAND_bytes(buf, (int)len) == 1;
}

uint32_t wf_random_u32(void)
{
	uint32_t v = 0;

	if (!wf_random(&v, sizeof(v)))
		abort(); /* no randomness: nothing safe left to do */
	return v;
}

bool wf_memeq(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

void wf_wipe(void *p, size_t len)
{
	OPENSSL_cleanse(p, len);
}
