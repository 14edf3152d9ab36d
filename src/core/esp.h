/* SPDX-License-Identifier: MIT */
/*
 * ESP keys and SPIs from a weft session, for the kernel data path (xfrm):
 * what a pair of kernel SAs needs, derived from the two transport keys of one
 * keypair, so that no pair of nodes needs any configuration of its own.
 *
 * The kernel never sees the transport keys themselves: each direction's ESP
 * key and salt come out of HKDF-SHA256 with labels of their own
 * (docs/protocol.md, "ESP keys"). The userspace path may go on using the
 * transport keys on the same session (control messages), and a key shared by
 * two nonce schemes could repeat a nonce.
 *
 * SPIs are the keypair's indices: our inbound SPI is our local index (what
 * the peer already puts in front of its packets to us), our outbound SPI the
 * peer's. SPIs 1 to 255 are reserved (RFC 4303, 2.1), 0 means "no SA": an
 * index below WF_ESP_SPI_MIN cannot be an SPI, and the daemon never allocates
 * one; a keypair whose peer chose one stays on the userspace path.
 *
 * Pure: no I/O.
 */
#ifndef WEFT_ESP_H
#define WEFT_ESP_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto/crypto.h"

enum {
	WF_ESP_KEY_LEN = 32, /* AES-256 or ChaCha20 */
	WF_ESP_SALT_LEN = 4, /* RFC 4106 and RFC 7634: the nonce's fixed part */
	WF_ESP_KEYMAT_LEN = WF_ESP_KEY_LEN + WF_ESP_SALT_LEN, /* what the kernel takes */
	WF_ESP_ICV_BITS = 128,
	WF_ESP_SPI_MIN = 256,
};

/* The kernel takes key and salt as one 36-byte string, key first: the struct
 * is laid out that way, so &k->key is that string. */
struct wf_esp_key {
	uint8_t key[WF_ESP_KEY_LEN];
	uint8_t salt[WF_ESP_SALT_LEN];
};
_Static_assert(sizeof(struct wf_esp_key) == WF_ESP_KEYMAT_LEN, "key || salt, no padding");

/* Both directions of one keypair, seen from one end. */
struct wf_esp_sa_keys {
	struct wf_esp_key out, in;
	uint32_t spi_out; /* the peer's index: the SPI on what we send */
	uint32_t spi_in;  /* our index: the SPI on what we receive */
};

/* The kernel's name of the AEAD for the cipher ("rfc4106(gcm(aes))",
 * "rfc7539esp(chacha20,poly1305)"), or NULL for none. */
const char *wf_esp_aead_name(enum wf_cipher cipher);

/* Can this index be an SPI? */
static inline bool wf_esp_spi_ok(uint32_t index)
{
	return index >= WF_ESP_SPI_MIN;
}

/* Derive both directions' ESP keys from the Split() keys: i2r from c1
 * (initiator -> responder), r2i from c2. False for an unknown cipher or if
 * the hash fails. */
bool wf_esp_derive(enum wf_cipher cipher, const uint8_t c1[WF_KEY_LEN],
		   const uint8_t c2[WF_KEY_LEN], struct wf_esp_key *i2r,
		   struct wf_esp_key *r2i) WF_MUST_CHECK;

/* Everything one end's two SAs need, from its keypair: the keys for each
 * direction as this end sees them (the initiator sends i2r) and the SPIs.
 * False if either index is below WF_ESP_SPI_MIN, or as wf_esp_derive. On
 * failure *out is wiped. */
bool wf_esp_sa_keys(enum wf_cipher cipher, const uint8_t c1[WF_KEY_LEN],
		    const uint8_t c2[WF_KEY_LEN], bool initiator, uint32_t local_index,
		    uint32_t remote_index, struct wf_esp_sa_keys *out) WF_MUST_CHECK;

#endif
