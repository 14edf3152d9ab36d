/* SPDX-License-Identifier: MIT */
/* X25519 and Ed25519 through OpenSSL's raw-key EVP_PKEY interface. */
#include <openssl/evp.h>

#include "crypto/crypto.h"

static bool keygen(int type, uint8_t priv[WF_KEY_LEN], uint8_t pub[WF_KEY_LEN])
{
	if (!wf_random(priv, WF_KEY_LEN))
		return false;
	if (type == EVP_PKEY_X25519)
		return wf_x25519_public(pub, priv);
	return wf_ed25519_public(pub, priv);
}

static bool public_of(int type, uint8_t pub[WF_KEY_LEN], const uint8_t priv[WF_KEY_LEN])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(type, NULL, priv, WF_KEY_LEN);
	size_t len = WF_KEY_LEN;
	bool ok;

	if (!k)
		return false;
	ok = EVP_PKEY_get_raw_public_key(k, pub, &len) == 1 && len == WF_KEY_LEN;
	EVP_PKEY_free(k);
	return ok;
}

bool wf_x25519_keygen(uint8_t priv[WF_KEY_LEN], uint8_t pub[WF_KEY_LEN])
{
	return keygen(EVP_PKEY_X25519, priv, pub);
}

bool wf_x25519_public(uint8_t pub[WF_KEY_LEN], const uint8_t priv[WF_KEY_LEN])
{
	return public_of(EVP_PKEY_X25519, pub, priv);
}

bool wf_x25519(uint8_t out[WF_KEY_LEN], const uint8_t priv[WF_KEY_LEN],
	       const uint8_t pub[WF_KEY_LEN])
{
	EVP_PKEY *mine = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, WF_KEY_LEN);
	EVP_PKEY *theirs = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub, WF_KEY_LEN);
	EVP_PKEY_CTX *ctx = NULL;
	size_t len = WF_KEY_LEN;
	bool ok = false;

	if (!mine || !theirs)
		goto out;
	ctx = EVP_PKEY_CTX_new(mine, NULL);
	/* OpenSSL refuses an all-zero result (low-order point) itself. */
	if (ctx && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, theirs) == 1 &&
	    EVP_PKEY_derive(ctx, out, &len) == 1 && len == WF_KEY_LEN)
		ok = true;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(theirs);
	EVP_PKEY_free(mine);
	if (!ok)
		wf_wipe(out, WF_KEY_LEN);
	return ok;
}

bool wf_ed25519_keygen(uint8_t priv[WF_KEY_LEN], uint8_t pub[WF_KEY_LEN])
{
	return keygen(EVP_PKEY_ED25519, priv, pub);
}

bool wf_ed25519_public(uint8_t pub[WF_KEY_LEN], const uint8_t priv[WF_KEY_LEN])
{
	return public_of(EVP_PKEY_ED25519, pub, priv);
}

bool wf_ed25519_sign(uint8_t sig[WF_SIG_LEN], const uint8_t *msg, size_t len,
		     const uint8_t priv[WF_KEY_LEN])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, WF_KEY_LEN);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t siglen = WF_SIG_LEN;
	bool ok = k && md && EVP_DigestSignInit(md, NULL, NULL, NULL, k) == 1 &&
		  EVP_DigestSign(md, sig, &siglen, msg, len) == 1 && siglen == WF_SIG_LEN;

	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	return ok;
}

bool wf_ed25519_verify(const uint8_t sig[WF_SIG_LEN], const uint8_t *msg, size_t len,
		       const uint8_t pub[WF_KEY_LEN])
{
	EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, WF_KEY_LEN);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool ok = k && md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, k) == 1 &&
		  EVP_DigestVerify(md, sig, WF_SIG_LEN, msg, len) == 1;

	EVP_MD_CTX_free(md);
	EVP_PKEY_free(k);
	return ok;
}
