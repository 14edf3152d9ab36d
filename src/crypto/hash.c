/* SPDX-License-Identifier: MIT */
/* SHA-256/512, BLAKE2s/b, HMAC, the Noise flavour of HKDF and RFC 5869 HKDF. */
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include "crypto/crypto.h"

static const EVP_MD *evp_md(enum wf_hash h)
{
	switch (h) {
	case WF_HASH_SHA256:
		return EVP_sha256();
	case WF_HASH_SHA512:
		return EVP_sha512();
	case WF_HASH_BLAKE2S:
		return EVP_blake2s256();
	case WF_HASH_BLAKE2B:
		return EVP_blake2b512();
	}
	return NULL;
}

size_t wf_hash_len(enum wf_hash h)
{
	return (h == WF_HASH_SHA256 || h == WF_HASH_BLAKE2S) ? 32 : 64;
}

size_t wf_hash_block_len(enum wf_hash h)
{
	return (h == WF_HASH_SHA256 || h == WF_HASH_BLAKE2S) ? 64 : 128;
}

bool wf_hash2(enum wf_hash h, uint8_t *out, const uint8_t *a, size_t alen, const uint8_t *b,
	      size_t blen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool ok = md && EVP_DigestInit_ex(md, evp_md(h), NULL) == 1 &&
		  EVP_DigestUpdate(md, a, alen) == 1 && EVP_DigestUpdate(md, b, blen) == 1 &&
		  EVP_DigestFinal_ex(md, out, NULL) == 1;

	EVP_MD_CTX_free(md);
	return ok;
}

bool wf_sha256(uint8_t out[WF_SHA256_LEN], const uint8_t *data, size_t len)
{
	return EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL) == 1;
}

bool wf_hmac(enum wf_hash h, uint8_t *out, const uint8_t *key, size_t key_len,
	     const uint8_t *data, size_t len)
{
	unsigned int outl = 0;

	if (key_len > INT32_MAX)
		return false;
	return HMAC(evp_md(h), key, (int)key_len, data, len, out, &outl) && outl == wf_hash_len(h);
}

bool wf_hkdf(enum wf_hash h, const uint8_t *ck, const uint8_t *ikm, size_t ikm_len,
	     uint8_t *out1, uint8_t *out2, uint8_t *out3)
{
	size_t hl = wf_hash_len(h);
	uint8_t prk[WF_HASH_MAX_LEN], buf[WF_HASH_MAX_LEN + 1];
	bool ok = false;

	if (!wf_hmac(h, prk, ck, hl, ikm, ikm_len))
		goto out;
	buf[0] = 1;
	if (!wf_hmac(h, out1, prk, hl, buf, 1))
		goto out;
	memcpy(buf, out1, hl);
	buf[hl] = 2;
	if (!wf_hmac(h, out2, prk, hl, buf, hl + 1))
		goto out;
	if (out3) {
		memcpy(buf, out2, hl);
		buf[hl] = 3;
		if (!wf_hmac(h, out3, prk, hl, buf, hl + 1))
			goto out;
	}
	ok = true;
out:
	wf_wipe(prk, sizeof(prk));
	wf_wipe(buf, sizeof(buf));
	return ok;
}

bool wf_hkdf_sha256(uint8_t *out, size_t out_len, const uint8_t *salt, size_t salt_len,
		    const uint8_t *ikm, size_t ikm_len, const uint8_t *info, size_t info_len)
{
	EVP_PKEY_CTX *ctx;
	size_t n = out_len;
	bool ok;

	if (out_len > 255 * WF_SHA256_LEN || salt_len > INT32_MAX || ikm_len > INT32_MAX ||
	    info_len > INT32_MAX)
		return false;
	ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	ok = ctx && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()) == 1 &&
	     (!salt_len || EVP_PKEY_CTX_set1_hkdf_salt(ctx, salt, (int)salt_len) == 1) &&
	     EVP_PKEY_CTX_set1_hkdf_key(ctx, ikm, (int)ikm_len) == 1 &&
	     (!info_len || EVP_PKEY_CTX_add1_hkdf_info(ctx, info, (int)info_len) == 1) &&
	     EVP_PKEY_derive(ctx, out, &n) == 1 && n == out_len;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}
