/* SPDX-License-Identifier: MIT */
/*
 * crossprobe: play a member whose handshake crosses a daemon's, on purpose.
 *
 * The daemon (A) is given our address as its bootstrap. We wait for its
 * initiation and hold it; we send our own initiation and wait for A's answer,
 * so that A now holds an unconfirmed responder keypair for us; only then do
 * we answer A's initiation, which completes A's own handshake. Both ends now
 * consider themselves initiators of a live session: we send on ours, A on its
 * own. We send an ICMP echo request on our keypair and wait for the echo
 * reply, which A's kernel sends back over A's keypair. It arrives only if A
 * still accepts packets on the keypair of the handshake it answered.
 *
 *   crossprobe --ca ca.crt --cert node.crt --key node.key --listen IP:PORT
 *              --src OVERLAY_IP --ping OVERLAY_IP [--wait MS]
 *
 * Exit: 0 echo reply received, 1 none (or no initiation from A), 2 usage or
 * local error, 3 a handshake message from A did not check.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "common/bytes.h"
#include "common/keyfile.h"
#include "core/message.h"
#include "core/noise.h"
#include "core/session.h"
#include "weft/wire.h"

enum {
	OUR_INIT_INDEX = 0x1001, /* our index in the handshake we initiate */
	OUR_RESP_INDEX = 0x2002, /* our index in the handshake we answer */
	ICMP_ID = 0x5741,
};

struct probe {
	struct wf_cert ca, cert;
	uint8_t key[WF_KEY_LEN], mac1_key[WF_SHA256_LEN], prologue[128];
	size_t prologue_len;
	struct wf_noise_protocol proto;
	struct wf_noise_handshake hs_ours, hs_theirs; /* ours: we initiate */
	struct wf_keypair *ours, *theirs;	      /* the two sessions' keypairs */
	int fd;
	int wait_ms;
};

static int load(struct probe *p, const char *ca, const char *cert, const char *key)
{
	char err[WF_ERR_MAX];

	if (!wf_cert_load(ca, &p->ca, err, sizeof(err)) ||
	    !wf_cert_load(cert, &p->cert, err, sizeof(err)) ||
	    !wf_key_load(key, "NODE PRIVATE KEY", p->key, err, sizeof(err))) {
		fprintf(stderr, "crossprobe: %s\n", err);
		return -1;
	}
	p->prologue_len =
	    wf_hs_prologue(p->ca.network, p->ca.pubkey, p->prologue, sizeof(p->prologue));
	if (!p->prologue_len || !wf_hs_mac1_key(p->ca.pubkey, p->mac1_key) ||
	    !wf_noise_protocol_parse(&p->proto, p->ca.cipher == WF_CIPHER_CHACHAPOLY
						    ? "Noise_IX_25519_ChaChaPoly_SHA256"
						    : "Noise_IX_25519_AESGCM_SHA256"))
		return -1;
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t our_payload(struct probe *p, uint8_t *out, size_t cap)
{
	uint8_t enc[WF_CERT_MAX_ENCODED];
	struct timespec ts;
	size_t elen = wf_cert_encode(&p->cert, enc, sizeof(enc));

	clock_gettime(CLOCK_REALTIME, &ts);
	return elen ? wf_hs_payload_encode(enc, elen,
					   (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec,
					   out, cap)
		    : 0;
}

/* The payload of A's message must carry a certificate the CA signed. */
static bool payload_ok(struct probe *p, const uint8_t *payload, size_t len)
{
	struct wf_hs_payload hp;
	struct wf_cert peer;

	return wf_hs_payload_decode(&hp, payload, len) &&
	       wf_cert_decode(&peer, hp.cert, hp.cert_len) == WF_CERT_OK &&
	       wf_cert_verify(&peer, &p->ca, (int64_t)time(NULL)) == WF_CERT_OK;
}

/* Receive one datagram of the given type within the probe's wait; 0 if none. */
static size_t recv_type(struct probe *p, uint8_t type, uint8_t *buf, size_t cap,
			union wf_endpoint *from)
{
	int64_t end = now_ms() + p->wait_ms;

	for (int64_t left; (left = end - now_ms()) > 0;) {
		struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
		socklen_t fl = sizeof(*from);
		ssize_t n;

		if (poll(&pfd, 1, (int)left) <= 0)
			break;
		n = recvfrom(p->fd, buf, cap, 0, &from->sa, &fl);
		if (n >= 4 && buf[0] == type)
			return (size_t)n;
	}
	return 0;
}

static uint16_t csum(const uint8_t *b, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* An IPv4 ICMP echo request, 20 + 8 + 16 bytes. */
static size_t build_ping(uint8_t *b, struct in_addr src, struct in_addr dst)
{
	uint16_t c;

	memset(b, 0, 44);
	b[0] = 0x45;
	b[3] = 44;
	b[8] = 64;
	b[9] = 1; /* ICMP */
	memcpy(b + 12, &src, 4);
	memcpy(b + 16, &dst, 4);
	c = csum(b, 20);
	b[10] = (uint8_t)(c >> 8);
	b[11] = (uint8_t)c;
	b[20] = 8; /* echo request */
	b[24] = ICMP_ID >> 8;
	b[25] = ICMP_ID & 0xff;
	b[27] = 1; /* sequence 1 */
	memcpy(b + 28, "weft crossprobe!", 16);
	c = csum(b + 20, 24);
	b[22] = (uint8_t)(c >> 8);
	b[23] = (uint8_t)c;
	return 44;
}

static bool is_echo_reply(const uint8_t *b, size_t len, struct in_addr from)
{
	return len >= 28 && b[0] == 0x45 && b[9] == 1 && !memcmp(b + 12, &from, 4) && b[20] == 0 &&
	       b[24] == ICMP_ID >> 8 && b[25] == (ICMP_ID & 0xff);
}

static struct wf_keypair *split(struct wf_noise_handshake *hs, const struct probe *p,
				bool initiator, uint32_t local, uint32_t remote)
{
	uint8_t c1[WF_KEY_LEN], c2[WF_KEY_LEN];

	if (!wf_noise_split(hs, c1, c2, NULL))
		return NULL;
	return wf_keypair_new(p->ca.cipher, c1, c2, initiator, local, remote, now_ms());
}

static int run(struct probe *p, struct in_addr src, struct in_addr dst)
{
	static uint8_t a_init[WF_HANDSHAKE_MAX], pkt[WF_HANDSHAKE_MAX], payload[WF_HANDSHAKE_MAX];
	union wf_endpoint a;
	size_t a_len, n, plen;
	uint32_t a_index;

	/* 1. A's initiation, held unanswered. */
	a_len = recv_type(p, WF_MSG_HANDSHAKE_INIT, a_init, sizeof(a_init), &a);
	if (!a_len) {
		printf("no initiation from the daemon\n");
		return 1;
	}
	if (a_len < 8 + WF_NOISE_IX_MSG1_FIXED + WF_MAC_LEN ||
	    !wf_hs_mac1_ok(p->mac1_key, a_init, a_len))
		return 3;
	a_index = wf_get_le32(a_init + 4);

	/* 2. Our initiation; A answers it and keeps the keypair unconfirmed. */
	plen = our_payload(p, payload, sizeof(payload));
	if (!plen ||
	    !wf_noise_handshake_init(&p->hs_ours, &p->proto, true, p->prologue, p->prologue_len,
				     p->key, NULL, NULL, NULL) ||
	    !wf_noise_write_message(&p->hs_ours, payload, plen, pkt + 8,
				    sizeof(pkt) - 8 - WF_MAC_LEN, &n))
		return 2;
	memset(pkt, 0, 8);
	pkt[0] = WF_MSG_HANDSHAKE_INIT;
	pkt[1] = WF_PROTO_VERSION;
	wf_put_le32(pkt + 4, OUR_INIT_INDEX);
	wf_hs_mac1(p->mac1_key, pkt, 8 + n, pkt + 8 + n);
	if (sendto(p->fd, pkt, 8 + n + WF_MAC_LEN, 0, &a.sa, wf_endpoint_len(&a)) < 0)
		return 2;
	n = recv_type(p, WF_MSG_HANDSHAKE_RESP, pkt, sizeof(pkt), &a);
	if (!n) {
		printf("the daemon did not answer our initiation\n");
		return 1;
	}
	if (n < 12 + WF_NOISE_IX_MSG2_FIXED + WF_MAC_LEN || !wf_hs_mac1_ok(p->mac1_key, pkt, n) ||
	    wf_get_le32(pkt + 8) != OUR_INIT_INDEX ||
	    !wf_noise_read_message(&p->hs_ours, pkt + 12, n - 12 - WF_MAC_LEN, payload,
				   sizeof(payload), &plen) ||
	    !payload_ok(p, payload, plen))
		return 3;
	p->ours = split(&p->hs_ours, p, true, OUR_INIT_INDEX, wf_get_le32(pkt + 4));

	/* 3. Only now answer A's initiation: its own handshake completes. */
	if (!wf_noise_handshake_init(&p->hs_theirs, &p->proto, false, p->prologue, p->prologue_len,
				     p->key, NULL, NULL, NULL) ||
	    !wf_noise_read_message(&p->hs_theirs, a_init + 8, a_len - 8 - WF_MAC_LEN, payload,
				   sizeof(payload), &plen) ||
	    !payload_ok(p, payload, plen))
		return 3;
	plen = our_payload(p, payload, sizeof(payload));
	if (!plen || !wf_noise_write_message(&p->hs_theirs, payload, plen, pkt + 12,
					     sizeof(pkt) - 12 - WF_MAC_LEN, &n))
		return 2;
	memset(pkt, 0, 12);
	pkt[0] = WF_MSG_HANDSHAKE_RESP;
	pkt[1] = WF_PROTO_VERSION;
	wf_put_le32(pkt + 4, OUR_RESP_INDEX);
	wf_put_le32(pkt + 8, a_index);
	wf_hs_mac1(p->mac1_key, pkt, 12 + n, pkt + 12 + n);
	if (sendto(p->fd, pkt, 12 + n + WF_MAC_LEN, 0, &a.sa, wf_endpoint_len(&a)) < 0)
		return 2;
	p->theirs = split(&p->hs_theirs, p, false, OUR_RESP_INDEX, a_index);
	if (!p->ours || !p->theirs)
		return 2;
	printf("handshakes crossed: each side answered the other's initiation\n");

	/* 4. A ping on our keypair; the reply comes on A's. */
	n = build_ping(pkt + WF_DATA_HEADER_LEN, src, dst);
	if (!wf_keypair_seal(p->ours, WF_MSG_DATA, pkt, n, &n) ||
	    sendto(p->fd, pkt, n, 0, &a.sa, wf_endpoint_len(&a)) < 0)
		return 2;
	for (;;) {
		uint8_t *plain;
		size_t plain_len;
		bool replayed;

		n = recv_type(p, WF_MSG_DATA, pkt, sizeof(pkt), &a);
		if (!n)
			break;
		if (wf_get_le32(pkt + 4) != OUR_RESP_INDEX ||
		    !wf_keypair_open(p->theirs, pkt, n, &plain, &plain_len, &replayed))
			continue;
		if (is_echo_reply(plain, plain_len, dst)) {
			printf("echo reply received on the daemon's keypair\n");
			return 0;
		}
	}
	printf("no echo reply: the daemon dropped our keypair\n");
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"ca", required_argument, NULL, 'c'},   {"cert", required_argument, NULL, 'C'},
	    {"key", required_argument, NULL, 'k'},  {"listen", required_argument, NULL, 'l'},
	    {"src", required_argument, NULL, 's'},  {"ping", required_argument, NULL, 'p'},
	    {"wait", required_argument, NULL, 'w'}, {NULL, 0, NULL, 0},
	};
	const char *ca = NULL, *cert = NULL, *key = NULL, *listen = NULL, *src = NULL, *dst = NULL;
	static struct probe p = {.wait_ms = 10000};
	struct in_addr s4, d4;
	union wf_endpoint ep;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			ca = optarg;
			break;
		case 'C':
			cert = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'l':
			listen = optarg;
			break;
		case 's':
			src = optarg;
			break;
		case 'p':
			dst = optarg;
			break;
		case 'w':
			p.wait_ms = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (!ca || !cert || !key || !listen || !src || !dst || !wf_endpoint_parse(&ep, listen) ||
	    inet_pton(AF_INET, src, &s4) != 1 || inet_pton(AF_INET, dst, &d4) != 1) {
		fprintf(stderr, "usage: crossprobe --ca F --cert F --key F --listen IP:PORT "
				"--src IP --ping IP [--wait MS]\n");
		return 2;
	}
	wf_crypto_init();
	if (load(&p, ca, cert, key) < 0)
		return 2;
	p.fd = socket(ep.sa.sa_family, SOCK_DGRAM, 0);
	if (p.fd < 0 || bind(p.fd, &ep.sa, wf_endpoint_len(&ep)) < 0) {
		perror("crossprobe: bind");
		return 2;
	}
	printf("listening on %s\n", listen);
	fflush(stdout);
	c = run(&p, s4, d4);
	wf_noise_handshake_clear(&p.hs_ours);
	wf_noise_handshake_clear(&p.hs_theirs);
	wf_keypair_free(p.ours);
	wf_keypair_free(p.theirs);
	close(p.fd);
	return c;
}
