/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the Noise IX handshake (src/core/noise.c).
 *
 * Input: one mode byte, then a handshake message. Bit 0 of the mode picks the
 * cipher (AESGCM, ChaChaPoly); bit 1 the role:
 *   0: a responder reads the message as message 1 and, if it is accepted,
 *      writes its message 2;
 *   1: an initiator writes a real message 1, then reads the message as
 *      message 2 and, if it is accepted, splits.
 * All keys are fixed, so every input replays the same way; the seeds in
 * tests/fuzz/seeds/fuzz_handshake are real messages made with these keys.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/noise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[2] = {
	"Noise_IX_25519_AESGCM_SHA256",
	"Noise_IX_25519_ChaChaPoly_SHA256",
};

static const uint8_t prologue[] = "weft fuzz prologue";
static const uint8_t payload1[] = "fuzz initiator payload";
static const uint8_t payload2[] = "fuzz responder payload";

/* Static and ephemeral private keys: [0] initiator, [1] responder. */
static const uint8_t static_priv[2][WF_KEY_LEN] = {
	{0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xf0},
	{0x21, 0x32, 0x43, 0x54, 0x65, 0x76, 0x87, 0x98, 0xa9, 0xba, 0xcb, 0xdc, 0xed, 0xfe, 0x0f},
};
static const uint8_t eph_priv[2][WF_KEY_LEN] = {
	{0x31, 0x41, 0x59, 0x26, 0x53, 0x58, 0x97, 0x93, 0x23, 0x84, 0x62, 0x64, 0x33, 0x83, 0x27},
	{0x27, 0x18, 0x28, 0x18, 0x28, 0x45, 0x90, 0x45, 0x23, 0x53, 0x60, 0x28, 0x74, 0x71, 0x35},
};

static uint8_t out[WF_NOISE_MAX_MSG], payload[WF_NOISE_MAX_MSG];

static bool setup(struct wf_noise_handshake *hs, int cipher, bool initiator)
{
	struct wf_noise_protocol p;

	return wf_noise_protocol_parse(&p, names[cipher]) &&
	       wf_noise_handshake_init(hs, &p, initiator, prologue, sizeof(prologue),
				       static_priv[!initiator], eph_priv[!initiator], NULL, NULL);
}

/* Writes the initiator's real message 1 into out. */
static bool initiator_msg1(struct wf_noise_handshake *hs, int cipher, size_t *len)
{
	return setup(hs, cipher, true) &&
	       wf_noise_write_message(hs, payload1, sizeof(payload1), out, sizeof(out), len);
}

static void as_responder(int cipher, const uint8_t *msg, size_t len)
{
	struct wf_noise_handshake hs;
	size_t n;

	if (setup(&hs, cipher, false) &&
	    wf_noise_read_message(&hs, msg, len, payload, sizeof(payload), &n)) {
		if (n > len || !wf_noise_remote_static(&hs))
			__builtin_trap();
		if (wf_noise_write_message(&hs, payload2, sizeof(payload2), out, sizeof(out), &n) &&
		    !wf_noise_handshake_done(&hs))
			__builtin_trap();
	}
	wf_noise_handshake_clear(&hs);
}

static void as_initiator(int cipher, const uint8_t *msg, size_t len)
{
	struct wf_noise_handshake hs;
	uint8_t c1[WF_KEY_LEN], c2[WF_KEY_LEN], h[WF_HASH_MAX_LEN];
	size_t n;

	if (!initiator_msg1(&hs, cipher, &n))
		__builtin_trap(); /* fixed keys: this cannot fail */
	if (wf_noise_read_message(&hs, msg, len, payload, sizeof(payload), &n)) {
		if (n + WF_AEAD_TAG_LEN > len || !wf_noise_split(&hs, c1, c2, h))
			__builtin_trap();
	}
	wf_noise_handshake_clear(&hs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	int cipher;

	if (!ready) {
		wf_crypto_init();
		ready = true;
	}
	if (size < 1)
		return 0;
	cipher = data[0] & 1;
	if (data[0] & 2)
		as_initiator(cipher, data + 1, size - 1);
	else
		as_responder(cipher, data + 1, size - 1);
	return 0;
}
