/* SPDX-License-Identifier: MIT */
/*
 * AES-256-GCM and ChaCha20-Poly1305 through OpenSSL EVP. The key schedule is
 * done once, when the context is made; every packet only sets the IV, which
 * is what lets OpenSSL's AES-NI/VAES code run at full speed on small records.
 *
 * The tag goes through EVP_CIPHER_CTX_get_params/set_params with a parameter
 * built on the stack, not EVP_CIPHER_CTX_ctrl: in OpenSSL 3 the ctrl call
 * builds the same OSSL_PARAM array itself and costs about 45 more cycles a
 * packet (of some 500 for a whole seal; bench/micro measures it).
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "crypto/crypto.h"

struct wf_aead {
	enum wf_cipher cipher;
	EVP_CIPHER_CTX *enc;
	EVP_CIPHER_CTX *dec;
};

static const EVP_CIPHER *evp_cipher(enum wf_cipher c)
{
	switch (c) {
	case WF_CIPHER_AES256GCM:
		return EVP_aes_256_gcm();
	case WF_CIPHER_CHACHAPOLY:
		return EVP_chacha20_poly1305();
	case WF_CIPHER_NONE:
		break;
	}
	return NULL;
}

const char *wf_cipher_name(enum wf_cipher c)
{
	switch (c) {
	case WF_CIPHER_AES256GCM:
		return "aes-256-gcm";
	case WF_CIPHER_CHACHAPOLY:
		return "chacha20-poly1305";
	case WF_CIPHER_NONE:
		break;
	}
	return "none";
}

enum wf_cipher wf_cipher_from_name(const char *s)
{
	if (!strcmp(s, "aes-256-gcm"))
		return WF_CIPHER_AES256GCM;
	if (!strcmp(s, "chacha20-poly1305"))
		return WF_CIPHER_CHACHAPOLY;
	return WF_CIPHER_NONE;
}

static void make_nonce(enum wf_cipher c, uint64_t n, uint8_t nonce[WF_AEAD_NONCE_LEN])
{
	memset(nonce, 0, 4);
	for (int i = 0; i < 8; i++) {
		uint8_t b = (uint8_t)(n >> (8 * i));
		if (c == WF_CIPHER_AES256GCM)
			nonce[11 - i] = b; /* big-endian */
		else
			nonce[4 + i] = b; /* little-endian */
	}
}

static bool setup(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *ec, const uint8_t *key, int enc)
{
	if (EVP_CipherInit_ex(ctx, ec, NULL, NULL, NULL, enc) != 1)
		return false;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, WF_AEAD_NONCE_LEN, NULL) != 1)
		return false;
	return EVP_CipherInit_ex(ctx, NULL, NULL, key, NULL, enc) == 1;
}

bool wf_aead_rekey(struct wf_aead *a, const uint8_t key[WF_KEY_LEN])
{
	const EVP_CIPHER *ec = evp_cipher(a->cipher);

	return (!a->enc || setup(a->enc, ec, key, 1)) && (!a->dec || setup(a->dec, ec, key, 0));
}

struct wf_aead *wf_aead_new_dir(enum wf_cipher cipher, const uint8_t key[WF_KEY_LEN],
				unsigned dirs)
{
	struct wf_aead *a;

	if (!evp_cipher(cipher) || !(dirs & (WF_AEAD_SEAL | WF_AEAD_OPEN)))
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->cipher = cipher;
	/* Only the contexts that will be used get a key schedule. */
	a->enc = dirs & WF_AEAD_SEAL ? EVP_CIPHER_CTX_new() : NULL;
	a->dec = dirs & WF_AEAD_OPEN ? EVP_CIPHER_CTX_new() : NULL;
	if ((dirs & WF_AEAD_SEAL && !a->enc) || (dirs & WF_AEAD_OPEN && !a->dec) ||
	    !wf_aead_rekey(a, key)) {
		wf_aead_free(a);
		return NULL;
	}
	return a;
}

struct wf_aead *wf_aead_new(enum wf_cipher cipher, const uint8_t key[WF_KEY_LEN])
{
	return wf_aead_new_dir(cipher, key, WF_AEAD_SEAL | WF_AEAD_OPEN);
}

void wf_aead_free(struct wf_aead *a)
{
	if (!a)
		return;
	/* EVP_CIPHER_CTX_free cleanses the key schedule. */
	EVP_CIPHER_CTX_free(a->enc);
	EVP_CIPHER_CTX_free(a->dec);
	free(a);
}

/* Get the tag of what was sealed, or set the one to check. */
static bool tag_param(EVP_CIPHER_CTX *ctx, uint8_t *tag, bool set)
{
	OSSL_PARAM p[2] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag,
							     WF_AEAD_TAG_LEN),
			   OSSL_PARAM_construct_end()};

	return (set ? EVP_CIPHER_CTX_set_params(ctx, p) : EVP_CIPHER_CTX_get_params(ctx, p)) == 1;
}

bool wf_aead_seal_iv(struct wf_aead *a, const uint8_t iv[WF_AEAD_NONCE_LEN], const uint8_t *ad,
		     size_t ad_len, uint8_t *buf, size_t len)
{
	int outl;

	if (!a->enc || len > INT32_MAX || ad_len > INT32_MAX)
		return false;
	if (EVP_EncryptInit_ex(a->enc, NULL, NULL, NULL, iv) != 1)
		return false;
	if (ad_len && EVP_EncryptUpdate(a->enc, NULL, &outl, ad, (int)ad_len) != 1)
		return false;
	if (len && EVP_EncryptUpdate(a->enc, buf, &outl, buf, (int)len) != 1)
		return false;
	if (EVP_EncryptFinal_ex(a->enc, buf + len, &outl) != 1)
		return false;
	return tag_param(a->enc, buf + len, false);
}

bool wf_aead_open_iv(struct wf_aead *a, const uint8_t iv[WF_AEAD_NONCE_LEN], const uint8_t *ad,
		     size_t ad_len, uint8_t *buf, size_t len)
{
	int outl;

	if (!a->dec || len < WF_AEAD_TAG_LEN || len > INT32_MAX || ad_len > INT32_MAX)
		return false;
	len -= WF_AEAD_TAG_LEN;
	if (EVP_DecryptInit_ex(a->dec, NULL, NULL, NULL, iv) != 1)
		return false;
	if (ad_len && EVP_DecryptUpdate(a->dec, NULL, &outl, ad, (int)ad_len) != 1)
		return false;
	if (len && EVP_DecryptUpdate(a->dec, buf, &outl, buf, (int)len) != 1)
		return false;
	if (!tag_param(a->dec, buf + len, true))
		return false;
	return EVP_DecryptFinal_ex(a->dec, buf + len, &outl) == 1;
}

bool wf_aead_seal(struct wf_aead *a, uint64_t counter, const uint8_t *ad, size_t ad_len,
		  uint8_t *buf, size_t len)
{
	uint8_t nonce[WF_AEAD_NONCE_LEN];

	make_nonce(a->cipher, counter, nonce);
	return wf_aead_seal_iv(a, nonce, ad, ad_len, buf, len);
}

bool wf_aead_open(struct wf_aead *a, uint64_t counter, const uint8_t *ad, size_t ad_len,
		  uint8_t *buf, size_t len)
{
	uint8_t nonce[WF_AEAD_NONCE_LEN];

	make_nonce(a->cipher, counter, nonce);
	return wf_aead_open_iv(a, nonce, ad, ad_len, buf, len);
}
