/* SPDX-License-Identifier: MIT */
/*
 * weft's wire formats. All multi-byte integers are little-endian, as in
 * WireGuard. docs/protocol.md describes every message byte by byte.
 *
 * Every UDP datagram starts with a 4-byte header: type, protocol version and
 * two reserved bytes that must be zero.
 */
#ifndef WEFT_WIRE_H
#define WEFT_WIRE_H

#include <stddef.h>
#include <stdint.h>

enum {
	WF_PROTO_VERSION = 1,
	WF_DEFAULT_PORT = 51820,
};

enum wf_msg_type {
	WF_MSG_HANDSHAKE_INIT = 1,
	WF_MSG_HANDSHAKE_RESP = 2,
	WF_MSG_COOKIE = 3, /* cookie reply: prove your address first (under load) */
	WF_MSG_DATA = 4,   /* an IP packet for the TUN device (empty = keepalive) */
	WF_MSG_CONTROL = 5, /* a membership message, same framing as data */
	WF_MSG_REVOKED = 6  /* a piece of the revocation list, to an initiator it names */
};

struct wf_msg_header {
	uint8_t type;
	uint8_t version;
	uint8_t reserved[2];
} __attribute__((packed));

/* Noise message sizes for IX with 25519 (DHLEN 32) and a 16-byte tag. */
enum {
	WF_NOISE_IX_MSG1_FIXED = 32 + 32,           /* e, s in clear */
	WF_NOISE_IX_MSG2_FIXED = 32 + 32 + 16 + 16, /* e, encrypted s, payload tag */
	WF_MAC_LEN = 16,
	WF_INIT_MACS_LEN = 2 * WF_MAC_LEN, /* mac1, mac2 */
	WF_INIT_MIN_LEN = 1200,            /* as QUIC's Initial: no amplification */
};

/*
 * Handshake initiation: header, sender index, Noise IX message 1
 * (e, s, payload = certificate + extensions, all in clear but covered by
 * the handshake hash), then mac1 (keyed by the network) and mac2 (keyed by a
 * cookie, zero without one); see protocol.md. Initiations are padded to at
 * least WF_INIT_MIN_LEN, so that no response is larger than what asked for it.
 */
struct wf_msg_init {
	struct wf_msg_header h;
	uint32_t sender;
	uint8_t noise[]; /* noise message, then mac1 */
} __attribute__((packed));

/* Handshake response: header, sender and receiver index, Noise IX message 2
 * (e, ee, se, encrypted s, es, encrypted payload), then mac1. */
struct wf_msg_resp {
	struct wf_msg_header h;
	uint32_t sender;
	uint32_t receiver;
	uint8_t noise[];
} __attribute__((packed));

/* Cookie reply: header, the receiver's (initiator's) sender index, a random
 * nonce, then the 16-byte cookie encrypted with its 16-byte tag. */
struct wf_msg_cookie {
	struct wf_msg_header h;
	uint32_t receiver;
	uint8_t nonce[12];
	uint8_t cookie[16 + 16];
} __attribute__((packed));

/* Data and control: header, receiver index, 64-bit counter (the AEAD nonce),
 * ciphertext with its 16-byte tag. The 16 header bytes are the AEAD's
 * associated data. */
struct wf_msg_data {
	struct wf_msg_header h;
	uint32_t receiver;
	uint64_t counter;
	uint8_t ciphertext[];
} __attribute__((packed));

enum {
	WF_DATA_HEADER_LEN = sizeof(struct wf_msg_data),
	WF_DATA_OVERHEAD = WF_DATA_HEADER_LEN + 16,        /* header + tag */
	WF_UDP_IP4_OVERHEAD = 20 + 8,
	WF_UDP_IP6_OVERHEAD = 40 + 8,
	WF_DEFAULT_MTU = 1500 - WF_UDP_IP4_OVERHEAD - WF_DATA_OVERHEAD, /* 1440 */
	WF_MAX_DATAGRAM = 65535,
	WF_HANDSHAKE_MAX = 2048, /* a handshake message never exceeds this */
};

_Static_assert(sizeof(struct wf_msg_header) == 4, "header");
_Static_assert(sizeof(struct wf_msg_init) == 8, "init");
_Static_assert(sizeof(struct wf_msg_resp) == 12, "resp");
_Static_assert(sizeof(struct wf_msg_data) == 16, "data");
_Static_assert(sizeof(struct wf_msg_cookie) == 52, "cookie");
_Static_assert(WF_DEFAULT_MTU == 1440, "mtu");

/*
 * Handshake payload (inside Noise, so covered by the handshake hash): a list
 * of TLVs, each type (1 byte), length (2 bytes LE), value. Unknown types are
 * skipped; the certificate must be present exactly once.
 */
enum wf_hs_tlv {
	WF_HS_TLV_CERT = 1,      /* the sender's encoded certificate */
	WF_HS_TLV_TIMESTAMP = 2, /* u64: sender's clock (ns); inits older than the last are dropped */
	WF_HS_TLV_LISTEN_PORT = 3, /* u16: sender's UDP port (for peers learned through it) */
	WF_HS_TLV_PADDING = 4,     /* zeros: pads an initiation to WF_INIT_MIN_LEN */
	/* u8 flags (1: runs the kernel data path, 2: wants ESP in UDP), u16 LE:
	 * its ESP-in-UDP port or 0 (core/esp.h, docs/datapath.md) */
	WF_HS_TLV_DATAPATH = 5,
};

#endif
