/* SPDX-License-Identifier: MIT */
/*
 * ESP keys from a session's transport keys. Each direction on its own:
 *
 *   OKM = HKDF-SHA256(salt = "weft-esp-v1", IKM = c, info = label || cipher, L = 36)
 *   key = OKM[0..32), salt = OKM[32..36)
 *
 * with c1 and label "weft-esp i2r" for initiator -> responder, c2 and
 * "weft-esp r2i" for the other way, and cipher the network's cipher byte
 * (01 AES-256-GCM, 02 ChaCha20-Poly1305, as in the CA certificate). The
 * cipher is in the info so that a key is never shared by two algorithms.
 */
#include <string.h>

#include "core/esp.h"

static const uint8_t esp_salt[] = "weft-esp-v1";
static const char label_i2r[] = "weft-esp i2r", label_r2i[] = "weft-esp r2i";

enum { LABEL_LEN = sizeof(label_i2r) - 1 };
_Static_assert(sizeof(label_r2i) - 1 == LABEL_LEN, "labels of one length");

const char *wf_esp_aead_name(enum wf_cipher cipher)
{
	switch (cipher) {
	case WF_CIPHER_AES256GCM:
		return "rfc4106(gcm(aes))";
	case WF_CIPHER_CHACHAPOLY:
		return "rfc7539esp(chacha20,poly1305)";
	case WF_CIPHER_NONE:
		break;
	}
	return NULL;
}

static bool derive_one(enum wf_cipher cipher, const uint8_t c[WF_KEY_LEN], const char *label,
		       struct wf_esp_key *k)
{
	uint8_t info[LABEL_LEN + 1];

	memcpy(info, label, LABEL_LEN);
	info[LABEL_LEN] = (uint8_t)cipher;
	return wf_hkdf_sha256((uint8_t *)k, sizeof(*k), esp_salt, sizeof(esp_salt) - 1, c,
			      WF_KEY_LEN, info, sizeof(info));
}

bool wf_esp_derive(enum wf_cipher cipher, const uint8_t c1[WF_KEY_LEN],
		   const uint8_t c2[WF_KEY_LEN], struct wf_esp_key *i2r, struct wf_esp_key *r2i)
{
	if (!wf_esp_aead_name(cipher))
		return false;
	if (derive_one(cipher, c1, label_i2r, i2r) && derive_one(cipher, c2, label_r2i, r2i))
		return true;
	wf_wipe(i2r, sizeof(*i2r));
	wf_wipe(r2i, sizeof(*r2i));
	return false;
}

bool wf_esp_sa_keys(enum wf_cipher cipher, const uint8_t c1[WF_KEY_LEN],
		    const uint8_t c2[WF_KEY_LEN], bool initiator, uint32_t local_index,
		    uint32_t remote_index, struct wf_esp_sa_keys *out)
{
	struct wf_esp_key *i2r = initiator ? &out->out : &out->in;
	struct wf_esp_key *r2i = initiator ? &out->in : &out->out;

	if (!wf_esp_spi_ok(local_index) || !wf_esp_spi_ok(remote_index) ||
	    !wf_esp_derive(cipher, c1, c2, i2r, r2i)) {
		wf_wipe(out, sizeof(*out));
		return false;
	}
	out->spi_in = local_index;
	out->spi_out = remote_index;
	return true;
}
