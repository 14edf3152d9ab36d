/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for src/core/message.c: the handshake payload TLVs, the MEMBER
 * control message, the Noise prologue and mac1. Byte layouts are checked
 * against hand-written bytes; mac1 is recomputed here with
 * OpenSSL directly and also pinned to a constant computed outside weft, so a
 * change in its definition cannot pass unnoticed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "core/esp.h"
#include "core/message.h"
#include "core/noise.h"
#include "weft/wire.h"

static uint8_t cert[300];

static void setup_cert(size_t len)
{
	for (size_t i = 0; i < len; i++)
		cert[i] = (uint8_t)(0xc0 ^ i * 13);
}

/* --- handshake payload ------------------------------------------------ */

/* 1-3: round trips, including the largest certificate, and the byte layout. */
static void test_payload_round_trip(void **state)
{
	static const size_t lens[] = {1, 2, 100, 300};
	static uint8_t big[3 + UINT16_MAX + 11], big_cert[UINT16_MAX];
	static const uint8_t want[] = {1,    3,	   0,	 0xaa, 0xbb, 0xcc, 2,	 8,   0,
				       0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01};
	struct wf_hs_payload p;
	uint8_t buf[400];
	size_t n;

	(void)state;
	setup_cert(sizeof(cert));
	/* 1: round trips */
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uint64_t ts = 0x1122334455667788ULL * (i + 1);

		n = wf_hs_payload_encode(cert, lens[i], ts, buf, sizeof(buf));
		assert_int_equal(n, 3 + lens[i] + 3 + 8);
		assert_true(wf_hs_payload_decode(&p, buf, n));
		assert_ptr_equal(p.cert, buf + 3);
		assert_int_equal(p.cert_len, lens[i]);
		assert_memory_equal(p.cert, cert, lens[i]);
		assert_int_equal(p.timestamp, ts);
	}
	/* 2: the bytes: cert TLV, then the timestamp TLV, all little-endian */
	n = wf_hs_payload_encode((const uint8_t[]){0xaa, 0xbb, 0xcc}, 3, 0x0102030405060708ULL, buf,
				 sizeof(buf));
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	/* 3: exactly enough room, one byte short, a certificate too big */
	assert_int_equal(wf_hs_payload_encode(cert, 100, 1, buf, 114), 114);
	assert_int_equal(wf_hs_payload_encode(cert, 100, 1, buf, 113), 0);
	assert_int_equal(wf_hs_payload_encode(cert, UINT16_MAX + 1, 1, big, sizeof(big)), 0);
	memset(big_cert, 0x5a, sizeof(big_cert));
	n = wf_hs_payload_encode(big_cert, UINT16_MAX, 7, big, sizeof(big));
	assert_int_equal(n, sizeof(big));
	assert_true(wf_hs_payload_decode(&p, big, n));
	assert_int_equal(p.cert_len, UINT16_MAX);
	assert_int_equal(p.timestamp, 7);
}

/* 40-45: padding an initiation's payload to a length, with a TLV that every
 * reader skips. */
static void test_payload_pad(void **state)
{
	uint8_t buf[2048];
	struct wf_hs_payload p;
	size_t n, m;

	(void)state;
	setup_cert(sizeof(cert));
	n = wf_hs_payload_encode(cert, 200, 42, buf, sizeof(buf));
	/* 40: already long enough: unchanged */
	assert_int_equal(wf_hs_payload_pad(buf, n, sizeof(buf), n), n);
	assert_int_equal(wf_hs_payload_pad(buf, n, sizeof(buf), 10), n);
	/* 41: to exactly the length asked, and it still decodes the same */
	m = wf_hs_payload_pad(buf, n, sizeof(buf), 1096);
	assert_int_equal(m, 1096);
	assert_int_equal(buf[n], WF_HS_TLV_PADDING);
	assert_int_equal(buf[n + 1] | buf[n + 2] << 8, 1096 - n - 3);
	for (size_t i = n + 3; i < m; i++)
		assert_int_equal(buf[i], 0);
	assert_true(wf_hs_payload_decode(&p, buf, m));
	assert_int_equal(p.cert_len, 200);
	assert_int_equal(p.timestamp, 42);
	/* 42-43: one or two bytes short: the TLV header needs three, so it
	 * overshoots by what it must */
	assert_int_equal(wf_hs_payload_pad(buf, n, sizeof(buf), n + 1), n + 3);
	assert_true(wf_hs_payload_decode(&p, buf, n + 3));
	assert_int_equal(wf_hs_payload_pad(buf, n, sizeof(buf), n + 2), n + 3);
	/* 44: no room: 0 */
	assert_int_equal(wf_hs_payload_pad(buf, n, 1000, 1096), 0);
	/* 45: exactly enough room */
	assert_int_equal(wf_hs_payload_pad(buf, n, 1096, 1096), 1096);
}

/* 46-50: the datapath TLV (5): added after the timestamp, before the
 * padding; decoded as it came, its length left to wf_esp_caps_decode (3
 * bytes, else "userspace"); the last one counts. */
static void test_payload_datapath(void **state)
{
	const struct wf_esp_caps ours = {WF_ESP_CAP_KERNEL | WF_ESP_CAP_UDP, 51821};
	uint8_t buf[2048], v[WF_ESP_CAPS_LEN];
	static const uint8_t short_tlv[] = {1, 1, 0, 0x42, 5, 2, 0, 1, 0};
	static const uint8_t two[] = {1, 1, 0, 0x42, 5, 3, 0, 3, 0x6d, 0xca, 5, 3, 0, 0xf1, 0, 0};
	struct wf_hs_payload p;
	struct wf_esp_caps got;
	size_t n, m;

	(void)state;
	setup_cert(sizeof(cert));
	wf_esp_caps_encode(&ours, v);
	/* 46: flags, then the port little-endian */
	assert_memory_equal(v, ((uint8_t[]){3, 0x6d, 0xca}), 3);
	/* 47: added and padded, it decodes back; the response's 6 bytes more */
	n = wf_hs_payload_encode(cert, 200, 42, buf, sizeof(buf));
	m = wf_hs_payload_add(buf, n, sizeof(buf), WF_HS_TLV_DATAPATH, v, sizeof(v));
	assert_int_equal(m, n + 6);
	m = wf_hs_payload_pad(buf, m, sizeof(buf), 1096);
	assert_int_equal(m, 1096);
	assert_true(wf_hs_payload_decode(&p, buf, m));
	assert_int_equal(p.datapath_len, 3);
	assert_true(wf_esp_caps_decode(&got, p.datapath, p.datapath_len));
	assert_int_equal(got.flags, ours.flags);
	assert_int_equal(got.port, 51821);
	/* 48: no room: 0; without the TLV, datapath is NULL */
	assert_int_equal(wf_hs_payload_add(buf, n, n + 5, WF_HS_TLV_DATAPATH, v, sizeof(v)), 0);
	assert_true(wf_hs_payload_decode(&p, buf, n));
	assert_null(p.datapath);
	/* 49: a value of another length is no capability (the payload stays
	 * good: the certificate and the rest are taken) */
	assert_true(wf_hs_payload_decode(&p, short_tlv, sizeof(short_tlv)));
	assert_int_equal(p.datapath_len, 2);
	assert_false(wf_esp_caps_decode(&got, p.datapath, p.datapath_len));
	/* 50: repeated: the last counts; unknown flag bits are dropped */
	assert_true(wf_hs_payload_decode(&p, two, sizeof(two)));
	assert_true(wf_esp_caps_decode(&got, p.datapath, p.datapath_len));
	assert_int_equal(got.flags, WF_ESP_CAP_KERNEL);
	assert_int_equal(got.port, 0);
}

/* 4-6: TLVs we do not know are skipped wherever they are; the timestamp is
 * optional and the last one counts. */
static void test_payload_unknown(void **state)
{
	static const uint8_t in[] = {
	    3,	  2, 0, 0x20, 0x51,		      /* listen port */
	    0x7f, 0, 0,				      /* unknown, empty */
	    1,	  2, 0, 0xde, 0xad,		      /* cert */
	    0xff, 4, 0, 1,    2,    3, 4,	      /* unknown */
	    2,	  8, 0, 1,    0,    0, 0, 0, 0, 0, 0, /* timestamp 1 */
	    0,	  1, 0, 9,			      /* unknown type 0 */
	};
	static const uint8_t two_ts[] = {
	    2, 8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0x42, 2, 8, 0, 2, 0, 0, 0, 0, 0, 0, 0,
	};
	static const uint8_t no_ts[] = {1, 1, 0, 0x42};
	struct wf_hs_payload p;

	(void)state;
	/* 4 */
	assert_true(wf_hs_payload_decode(&p, in, sizeof(in)));
	assert_ptr_equal(p.cert, in + 11);
	assert_int_equal(p.cert_len, 2);
	assert_int_equal(p.timestamp, 1);
	/* 5: no timestamp reads as 0 */
	assert_true(wf_hs_payload_decode(&p, no_ts, sizeof(no_ts)));
	assert_int_equal(p.timestamp, 0);
	assert_int_equal(p.cert[0], 0x42);
	/* 6 */
	assert_true(wf_hs_payload_decode(&p, two_ts, sizeof(two_ts)));
	assert_int_equal(p.timestamp, 2);
}

/* 7-13: what must be refused. */
static void test_payload_refused(void **state)
{
	static const struct {
		uint8_t b[32];
		size_t len;
	} bad[] = {
	    {{0}, 0},						    /* 7: empty */
	    {{2, 8, 0, 1, 0, 0, 0, 0, 0, 0, 0}, 11},		    /* 8: no cert */
	    {{3, 2, 0, 1, 2}, 5},				    /* 9: only unknown */
	    {{1, 1, 0, 7, 1, 1, 0, 8}, 8},			    /* 10: cert twice */
	    {{1, 0, 0}, 3},					    /* 11: empty cert */
	    {{1, 0, 0, 1, 1, 0, 8}, 7},				    /* 11: empty, then a cert */
	    {{1, 1, 0, 7, 2, 7, 0, 1, 0, 0, 0, 0, 0, 0}, 14},	    /* 12: timestamp of 7 */
	    {{1, 1, 0, 7, 2, 9, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, 16}, /* 12: of 9 */
	    {{1, 1, 0, 7, 2, 0, 0}, 7},				    /* 12: of 0 */
	    {{1, 2, 0, 7}, 4},					    /* 13: cert past the end */
	    {{1, 1, 0, 7, 9, 0xff, 0xff, 0}, 8},		    /* 13: TLV past the end */
	    {{1, 1, 0, 7, 9, 0}, 6},				    /* 13: half a header */
	};
	struct wf_hs_payload p;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (wf_hs_payload_decode(&p, bad[i].b, bad[i].len)) {
			print_error("bad payload %zu accepted\n", i);
			fail();
		}
	}
}

/* 14: every truncation of a real payload: only the one that ends right after
 * the certificate TLV still decodes (a payload without a timestamp). */
static void test_payload_truncated(void **state)
{
	uint8_t buf[400];
	struct wf_hs_payload p;
	size_t n;

	(void)state;
	setup_cert(sizeof(cert));
	n = wf_hs_payload_encode(cert, 200, 99, buf, sizeof(buf));
	assert_int_not_equal(n, 0);
	for (size_t len = 0; len < n; len++) {
		bool ok = wf_hs_payload_decode(&p, buf, len);

		if (ok != (len == 3 + 200)) {
			print_error("truncated at %zu: %s\n", len, ok ? "accepted" : "refused");
			fail();
		}
		if (ok)
			assert_int_equal(p.timestamp, 0);
	}
}

/* --- MEMBER ------------------------------------------------------------- */

static union wf_endpoint ep4(const char *a, uint16_t port)
{
	union wf_endpoint ep;

	memset(&ep, 0, sizeof(ep));
	ep.in4.sin_family = AF_INET;
	ep.in4.sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, a, &ep.in4.sin_addr), 1);
	return ep;
}

static union wf_endpoint ep6(const char *a, uint16_t port)
{
	union wf_endpoint ep;

	memset(&ep, 0, sizeof(ep));
	ep.in6.sin6_family = AF_INET6;
	ep.in6.sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, a, &ep.in6.sin6_addr), 1);
	return ep;
}

/* The three forms of one small member message: kind, certificate length (LE),
 * certificate, family (0, 4 or 6), address, port (network order). */
static const uint8_t member_v4[] = {1, 3, 0, 0xaa, 0xbb, 0xcc, 4, 198, 18, 0, 1, 0xca, 0x6c};
/* 2001:db8::1 port 443 */
static const uint8_t member_v6[] = {
    1,	  3,	0,    0xaa, 0xbb, 0xcc,					 /* kind, cert */
    6,	  0x20, 0x01, 0x0d, 0xb8, 0,	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, /* family, address */
    0x01, 0xbb,								 /* port */
};
static const uint8_t member_none[] = {1, 3, 0, 0xaa, 0xbb, 0xcc, 0};
static const uint8_t abc[] = {0xaa, 0xbb, 0xcc};

/* 15-19: the bytes for each form, and decoding them back. */
static void test_member_round_trip(void **state)
{
	union wf_endpoint a = ep4("198.18.0.1", 51820), b = ep6("2001:db8::1", 443), c;
	struct wf_member_msg m;
	uint8_t buf[400];
	size_t n;

	(void)state;
	/* 15: IPv4 */
	n = wf_member_encode(abc, 3, &a, buf, sizeof(buf));
	assert_int_equal(n, sizeof(member_v4));
	assert_memory_equal(buf, member_v4, n);
	assert_true(wf_member_decode(&m, buf, n));
	assert_ptr_equal(m.cert, buf + 3);
	assert_int_equal(m.cert_len, 3);
	assert_true(m.has_endpoint);
	assert_true(wf_endpoint_equal(&m.endpoint, &a));
	/* 16: IPv6 */
	n = wf_member_encode(abc, 3, &b, buf, sizeof(buf));
	assert_int_equal(n, sizeof(member_v6));
	assert_memory_equal(buf, member_v6, n);
	assert_true(wf_member_decode(&m, buf, n));
	assert_true(m.has_endpoint);
	assert_int_equal(m.endpoint.sa.sa_family, AF_INET6);
	assert_true(wf_endpoint_equal(&m.endpoint, &b));
	/* 17: no endpoint, by NULL or by AF_UNSPEC */
	n = wf_member_encode(abc, 3, NULL, buf, sizeof(buf));
	assert_int_equal(n, sizeof(member_none));
	assert_memory_equal(buf, member_none, n);
	memset(&c, 0, sizeof(c));
	assert_int_equal(wf_member_encode(abc, 3, &c, buf, sizeof(buf)), sizeof(member_none));
	assert_memory_equal(buf, member_none, n);
	assert_true(wf_member_decode(&m, buf, n));
	assert_false(m.has_endpoint);
	assert_memory_equal(m.cert, abc, 3);
	/* 18: port 0 is no endpoint, for both families */
	a.in4.sin_port = 0;
	n = wf_member_encode(abc, 3, &a, buf, sizeof(buf));
	assert_true(wf_member_decode(&m, buf, n));
	assert_false(m.has_endpoint);
	b.in6.sin6_port = 0;
	n = wf_member_encode(abc, 3, &b, buf, sizeof(buf));
	assert_true(wf_member_decode(&m, buf, n));
	assert_false(m.has_endpoint);
	/* 19: room: exact, one short; a certificate too big */
	setup_cert(sizeof(cert));
	assert_int_equal(wf_member_encode(cert, 300, &a, buf, 310), 310);
	assert_int_equal(wf_member_encode(cert, 300, &a, buf, 309), 0);
	assert_int_equal(wf_member_encode(cert, 300, NULL, buf, 304), 304);
	assert_int_equal(wf_member_encode(cert, 300, NULL, buf, 303), 0);
	assert_int_equal(wf_member_encode(cert, UINT16_MAX + 1, NULL, buf, SIZE_MAX), 0);
}

/* 20-21: every truncation and every extension of the three forms. */
static void test_member_length(void **state)
{
	static const struct {
		const uint8_t *b;
		size_t len;
	} forms[] = {
	    {member_v4, sizeof(member_v4)},
	    {member_v6, sizeof(member_v6)},
	    {member_none, sizeof(member_none)},
	};
	struct wf_member_msg m;
	uint8_t buf[64];

	(void)state;
	for (size_t f = 0; f < 3; f++) {
		memcpy(buf, forms[f].b, forms[f].len);
		assert_true(wf_member_decode(&m, buf, forms[f].len));
		/* 20 */
		for (size_t len = 0; len < forms[f].len; len++) {
			if (wf_member_decode(&m, buf, len)) {
				print_error("form %zu truncated at %zu accepted\n", f, len);
				fail();
			}
		}
		/* 21: trailing bytes */
		for (size_t extra = 1; extra <= 3; extra++) {
			memset(buf + forms[f].len, 0, extra);
			if (wf_member_decode(&m, buf, forms[f].len + extra)) {
				print_error("form %zu with %zu trailing bytes accepted\n", f,
					    extra);
				fail();
			}
		}
	}
}

/* 22-25: bad kinds, families and certificate lengths. */
static void test_member_refused(void **state)
{
	static const uint8_t fams[] = {1, 2, 5, 10, 0x44, 0xff};
	struct wf_member_msg m;
	uint8_t buf[64];

	(void)state;
	/* 22: the kind byte */
	for (int kind = 0; kind < 256; kind++) {
		memcpy(buf, member_v4, sizeof(member_v4));
		buf[0] = (uint8_t)kind;
		assert_int_equal(wf_member_decode(&m, buf, sizeof(member_v4)),
				 kind == WF_CTL_MEMBER);
	}
	/* 23: unknown families, with every length they could pretend to have */
	for (size_t i = 0; i < sizeof(fams); i++) {
		memcpy(buf, member_v6, sizeof(member_v6));
		buf[6] = fams[i];
		for (size_t len = 7; len <= sizeof(member_v6); len++)
			assert_false(wf_member_decode(&m, buf, len));
	}
	/* 24: a family that does not match the address length */
	memcpy(buf, member_v4, sizeof(member_v4));
	buf[6] = 6;
	assert_false(wf_member_decode(&m, buf, sizeof(member_v4)));
	memcpy(buf, member_v6, sizeof(member_v6));
	buf[6] = 4;
	assert_false(wf_member_decode(&m, buf, sizeof(member_v6)));
	buf[6] = 0;
	assert_false(wf_member_decode(&m, buf, sizeof(member_v6)));
	/* 25: an empty certificate, or one longer than the message */
	assert_false(wf_member_decode(&m, (const uint8_t[]){1, 0, 0, 0}, 4));
	memcpy(buf, member_none, sizeof(member_none));
	buf[1] = 4;
	assert_false(wf_member_decode(&m, buf, sizeof(member_none)));
	buf[1] = 0xff;
	buf[2] = 0xff;
	assert_false(wf_member_decode(&m, buf, sizeof(member_none)));
}

/* --- prologue and mac1 -------------------------------------------------- */

static void ca_key(uint8_t pub[WF_KEY_LEN], uint8_t base)
{
	for (int i = 0; i < WF_KEY_LEN; i++)
		pub[i] = (uint8_t)(base + i);
}

/* 26-28: "weft/1\0" || network || NUL || CA public key. */
static void test_prologue(void **state)
{
	uint8_t pub[WF_KEY_LEN], out[128], want[128];

	(void)state;
	ca_key(pub, 0);
	/* 26: over a buffer of garbage, so every byte must be written */
	memset(out, 0xff, sizeof(out));
	memcpy(want, "weft/1\0testnet\0", 15);
	memcpy(want + 15, pub, WF_KEY_LEN);
	assert_int_equal(wf_hs_prologue("testnet", pub, out, sizeof(out)), 15 + WF_KEY_LEN);
	assert_memory_equal(out, want, 15 + WF_KEY_LEN);
	/* 27: an empty network name still has its NUL */
	memset(out, 0xff, sizeof(out));
	assert_int_equal(wf_hs_prologue("", pub, out, sizeof(out)), 8 + WF_KEY_LEN);
	assert_memory_equal(out, "weft/1\0\0", 8);
	assert_memory_equal(out + 8, pub, WF_KEY_LEN);
	/* 28: room: exact, one short */
	assert_int_equal(wf_hs_prologue("testnet", pub, out, 47), 47);
	assert_int_equal(wf_hs_prologue("testnet", pub, out, 46), 0);
}

/* 36-37: the Noise protocol of each network cipher, a name the Noise code parses. */
static void test_protocol_name(void **state)
{
	struct wf_noise_protocol proto;

	(void)state;
	/* 36 */
	assert_string_equal(wf_hs_protocol_name(WF_CIPHER_AES256GCM),
			    "Noise_IX_25519_AESGCM_SHA256");
	assert_true(wf_noise_protocol_parse(&proto, wf_hs_protocol_name(WF_CIPHER_AES256GCM)));
	/* 37 */
	assert_string_equal(wf_hs_protocol_name(WF_CIPHER_CHACHAPOLY),
			    "Noise_IX_25519_ChaChaPoly_SHA256");
	assert_true(wf_noise_protocol_parse(&proto, wf_hs_protocol_name(WF_CIPHER_CHACHAPOLY)));
}

/* What mac1 should be, with OpenSSL and nothing from weft. */
static void openssl_mac1(const uint8_t pub[WF_KEY_LEN], const uint8_t *msg, size_t len,
			 uint8_t out[16])
{
	uint8_t key[SHA256_DIGEST_LENGTH], in[9 + WF_KEY_LEN], full[EVP_MAX_MD_SIZE];
	unsigned flen = 0;

	memcpy(in, "weft mac1", 9);
	memcpy(in + 9, pub, WF_KEY_LEN);
	assert_non_null(SHA256(in, sizeof(in), key));
	assert_non_null(HMAC(EVP_sha256(), key, sizeof(key), msg, len, full, &flen));
	assert_int_equal(flen, 32);
	memcpy(out, full, 16);
}

/* 29-31: the key and the MAC, against OpenSSL and against constants. */
static void test_mac1_value(void **state)
{
	/* Computed with Python's hashlib/hmac for CA key 00 01 .. 1f and the
	 * message 01 01 00 00 "handshake". */
	static const uint8_t want_key[32] = {
	    0x58, 0x0e, 0x49, 0xe2, 0x99, 0xa4, 0xfd, 0x83, 0xf3, 0x3c, 0xdc,
	    0x84, 0x13, 0xc7, 0xbe, 0xc2, 0xc7, 0xeb, 0xfa, 0x7f, 0x1b, 0xee,
	    0x40, 0xfa, 0x7d, 0x4f, 0x25, 0xdb, 0xc4, 0xbc, 0x80, 0x7b,
	};
	static const uint8_t want_mac[16] = {0x2b, 0x93, 0x20, 0x92, 0x04, 0x18, 0xdc, 0xbe,
					     0x53, 0x96, 0xcb, 0x05, 0x0d, 0x37, 0xd9, 0x92};
	uint8_t pub[WF_KEY_LEN], key[WF_SHA256_LEN], mac[16], ref[16], msg[13 + 16];

	(void)state;
	ca_key(pub, 0);
	memcpy(msg, "\x01\x01\x00\x00handshake", 13);
	/* 29 */
	assert_true(wf_hs_mac1_key(pub, key));
	assert_memory_equal(key, want_key, 32);
	/* 30 */
	wf_hs_mac1(key, msg, 13, mac);
	assert_memory_equal(mac, want_mac, 16);
	openssl_mac1(pub, msg, 13, ref);
	assert_memory_equal(mac, ref, 16);
	/* 31: other keys and lengths agree with OpenSSL too */
	for (size_t len = 0; len <= 13; len += 13) {
		ca_key(pub, 0x80);
		assert_true(wf_hs_mac1_key(pub, key));
		wf_hs_mac1(key, msg, len, mac);
		openssl_mac1(pub, msg, len, ref);
		assert_memory_equal(mac, ref, 16);
	}
}

/* 32-35: a message with its mac1 passes; any flipped bit, another network's
 * key or a short message does not. */
static void test_mac1_ok(void **state)
{
	uint8_t pub[WF_KEY_LEN], key[WF_SHA256_LEN], other[WF_SHA256_LEN], msg[148];

	(void)state;
	ca_key(pub, 7);
	assert_true(wf_hs_mac1_key(pub, key));
	for (size_t i = 0; i < sizeof(msg) - 16; i++)
		msg[i] = (uint8_t)(i * 5);
	wf_hs_mac1(key, msg, sizeof(msg) - 16, msg + sizeof(msg) - 16);
	/* 32 */
	assert_true(wf_hs_mac1_ok(key, msg, sizeof(msg)));
	/* 33: every bit of the message and of the MAC */
	for (size_t bit = 0; bit < sizeof(msg) * 8; bit++) {
		msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (wf_hs_mac1_ok(key, msg, sizeof(msg))) {
			print_error("bit %zu flipped, mac1 still ok\n", bit);
			fail();
		}
		msg[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	assert_true(wf_hs_mac1_ok(key, msg, sizeof(msg)));
	/* 34: another CA key */
	pub[0] ^= 1;
	assert_true(wf_hs_mac1_key(pub, other));
	assert_false(wf_hs_mac1_ok(other, msg, sizeof(msg)));
	/* 35: too short to hold a MAC; exactly a MAC over nothing is fine */
	for (size_t len = 0; len < 16; len++)
		assert_false(wf_hs_mac1_ok(key, msg, len));
	wf_hs_mac1(key, msg, 0, msg);
	assert_true(wf_hs_mac1_ok(key, msg, 16));
	assert_false(wf_hs_mac1_ok(key, msg, 15));
}

/* The naive overlay MTU: the underlay minus 20 or 40 (IP), 8 (UDP), 32
 * (weft), between the floor and the largest datagram's payload. */
static unsigned naive_mtu(unsigned under, int family, bool v6)
{
	long m = (long)under - (family == AF_INET ? 20 : 40) - 8 - 16 - 16;
	long most = family == AF_INET ? 65535 - 20 - 8 - 32 : 65535 - 8 - 32;

	m = m > most ? most : m;
	m = m < (v6 ? 1280 : 576) ? (v6 ? 1280 : 576) : m;
	return (unsigned)m;
}

/* 38-44: the overlay MTU for an underlay MTU */
static void test_overlay_mtu(void **state)
{
	(void)state;
	assert_int_equal(wf_overlay_mtu(1500, AF_INET, true), 1440);   /* 38 */
	assert_int_equal(wf_overlay_mtu(1500, AF_INET6, true), 1420);  /* 39 */
	assert_int_equal(wf_overlay_mtu(9000, AF_INET, true), 8940);   /* 40: jumbo */
	assert_int_equal(wf_overlay_mtu(1280, AF_INET6, true), 1280);  /* 41: the IPv6 floor */
	assert_int_equal(wf_overlay_mtu(1280, AF_INET6, false), 1200); /* 42: no IPv6 inside */
	assert_int_equal(wf_overlay_mtu(65536, AF_INET, false), 65475); /* 43: one datagram */
	/* 44: every underlay MTU, both families, against the naive sum */
	for (unsigned u = 0; u <= 70000; u++)
		for (int f = 0; f < 2; f++)
			for (int v6 = 0; v6 < 2; v6++) {
				int fam = f ? AF_INET6 : AF_INET;

				if (wf_overlay_mtu(u, fam, v6) != naive_mtu(u, fam, v6))
					fail_msg("case 44: %u %d %d: %u, want %u", u, fam, v6,
						 wf_overlay_mtu(u, fam, v6), naive_mtu(u, fam, v6));
			}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_payload_round_trip), cmocka_unit_test(test_payload_unknown),
	    cmocka_unit_test(test_payload_pad),       cmocka_unit_test(test_payload_datapath),
	    cmocka_unit_test(test_payload_refused),    cmocka_unit_test(test_payload_truncated),
	    cmocka_unit_test(test_member_round_trip),  cmocka_unit_test(test_member_length),
	    cmocka_unit_test(test_member_refused),     cmocka_unit_test(test_prologue),
	    cmocka_unit_test(test_protocol_name),      cmocka_unit_test(test_overlay_mtu),
	    cmocka_unit_test(test_mac1_value),	       cmocka_unit_test(test_mac1_ok),
	};

	wf_crypto_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
