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
#include <stddef.h>
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

/* --- What each end can do, and what a pair does --------------------------- */

/* What a node says of its data path in its handshake payload
 * (WF_HS_TLV_DATAPATH): flags, then the port of its ESP-in-UDP socket (u16
 * LE; 0 for none). */
enum {
	WF_ESP_CAP_KERNEL = 1 << 0, /* it runs the kernel path (ESP with the network's AEAD) */
	WF_ESP_CAP_UDP = 1 << 1,    /* it wants ESP in UDP (esp-encap = udp) */
	WF_ESP_CAPS_LEN = 3,
};

struct wf_esp_caps {
	uint8_t flags;
	uint16_t port; /* its ESP-in-UDP socket's; 0: it has none */
};

/* How a pair's packets travel. */
enum wf_esp_mode {
	WF_ESP_OFF,   /* the userspace path */
	WF_ESP_PLAIN, /* ESP, IP protocol 50 */
	WF_ESP_UDP,   /* ESP in UDP (RFC 3948), to the other's port */
};

/* The same answer on both ends: the kernel only if both run it; ESP in UDP
 * if either wants it, and then only if both have a socket for it (else the
 * userspace path: one that wants UDP may sit behind a filter that drops
 * protocol 50). */
enum wf_esp_mode wf_esp_pair_mode(const struct wf_esp_caps *ours, const struct wf_esp_caps *theirs);

void wf_esp_caps_encode(const struct wf_esp_caps *c, uint8_t out[WF_ESP_CAPS_LEN]);
/* False if len is not WF_ESP_CAPS_LEN. Unknown flags are ignored. */
bool wf_esp_caps_decode(struct wf_esp_caps *c, const uint8_t *in, size_t len) WF_MUST_CHECK;

/* --- The kernel state of one peer, as rules (espplan.c) ------------------- */

/*
 * What the kernel must hold for a peer follows from its session; this says
 * what to add and remove, in an order that loses no packet and never sends
 * one in clear. The daemon executes the steps (kernel.c) and records each
 * step's outcome in the state; the next plan continues from there.
 *
 *  - an inbound SA for each proven keypair (current, previous) that has ESP
 *    keys: the peer may send on either;
 *  - one outbound SA: the current keypair's once the peer holds its inbound
 *    SA (confirmed), else the previous one's while it has one (a rekey in
 *    flight: make-before-break), else none (the userspace path sends);
 *    never added twice with one key (its sequence numbers would start again
 *    at 1 under the same key: nonce reuse), nor an inbound one (its replay
 *    window would start again);
 *  - inbound policies while an inbound SA is wanted, outbound policies and
 *    routes while an outbound SA is there; routes and policies go before the
 *    SAs they lead to, and come after them;
 *  - with the peer off the kernel path (on false), nothing.
 */
enum { WF_ESP_KP_CURRENT, WF_ESP_KP_PREVIOUS, WF_ESP_KPS };

struct wf_esp_kp {
	bool present;	/* the session holds it (proven) */
	bool esp;	/* it has ESP keys: the pair was on the kernel path when it was made */
	bool confirmed; /* the peer holds the inbound SA for our outbound one */
	bool in_sa, out_sa;	/* in the kernel now */
	bool in_used, out_used; /* an SA was added with its keys, ever */
};

struct wf_esp_state {
	bool on; /* the kernel path runs, for this peer, where its tunnel is */
	bool in_pol, out_pol; /* (out_pol: the outbound policies and routes) */
	struct wf_esp_kp kp[WF_ESP_KPS];
};

enum wf_esp_step_kind {
	WF_ESP_ADD_IN = 1,
	WF_ESP_POL_IN_ADD,
	WF_ESP_ADD_OUT,
	WF_ESP_POL_OUT_ADD,
	WF_ESP_POL_OUT_DEL,
	WF_ESP_DEL_OUT,
	WF_ESP_POL_IN_DEL,
	WF_ESP_DEL_IN,
	/* The current keypair lost an SA it cannot have again (the kernel's
	 * hard limit, or the peer off the path for a while): a new keypair is
	 * needed; until then the userspace path carries what that SA did. */
	WF_ESP_REKEY,
};

struct wf_esp_step {
	uint8_t kind; /* enum wf_esp_step_kind */
	uint8_t kp;   /* WF_ESP_KP_CURRENT or _PREVIOUS, for SA steps */
};

enum { WF_ESP_STEPS_MAX = 2 * WF_ESP_KPS + 4 + 1 };

/* The steps from s to what s's session wants, in order; their number. */
unsigned wf_esp_plan(const struct wf_esp_state *s, struct wf_esp_step steps[WF_ESP_STEPS_MAX]);
/* What s becomes when a step succeeds (the tests' and the daemon's record). */
void wf_esp_apply(struct wf_esp_state *s, const struct wf_esp_step *step);

#endif
