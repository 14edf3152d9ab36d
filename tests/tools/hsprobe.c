/* SPDX-License-Identifier: MIT */
/*
 * hsprobe: play a node that tries to join: send one Noise IX initiation with
 * the given certificate and key to a weft daemon and report whether it was
 * accepted. The integration tests use it to show that foreign, expired and
 * tampered certificates are refused by every node, with a good one as the
 * control. The network (prologue, mac1) comes from --ca, as a real attacker
 * who has the network's CA certificate would have it.
 *
 *   hsprobe --ca ca.crt --cert node.crt --key node.key --to IP:PORT [--wait MS]
 *           [--repeat N]
 *
 * --repeat sends the same initiation N times (a duplicated datagram) and
 * prints how many answers came back; a daemon must answer only the first.
 *
 * Exit: 0 accepted (a valid response came back), 1 no response, 2 usage or
 * local error, 3 an invalid response.
 */
#include <getopt.h>
#include <poll.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "common/keyfile.h"
#include "core/message.h"
#include "core/noise.h"
#include "weft/wire.h"

struct probe {
	struct wf_cert ca, cert;
	uint8_t key[WF_KEY_LEN], mac1_key[WF_SHA256_LEN], prologue[128];
	size_t prologue_len;
	struct wf_noise_handshake hs;
	union wf_endpoint to;
};

static int load(struct probe *p, const char *ca, const char *cert, const char *key)
{
	char err[WF_ERR_MAX];

	if (!wf_cert_load(ca, &p->ca, err, sizeof(err)) ||
	    !wf_cert_load(cert, &p->cert, err, sizeof(err)) ||
	    !wf_key_load(key, "NODE PRIVATE KEY", p->key, err, sizeof(err))) {
		fprintf(stderr, "hsprobe: %s\n", err);
		return -1;
	}
	p->prologue_len = wf_hs_prologue(p->ca.network, p->ca.pubkey, p->prologue,
					 sizeof(p->prologue));
	return p->prologue_len && wf_hs_mac1_key(p->ca.pubkey, p->mac1_key) ? 0 : -1;
}

static size_t build_init(struct probe *p, uint8_t *pkt, size_t cap)
{
	struct wf_noise_protocol proto;
	uint8_t enc[WF_CERT_MAX_ENCODED], payload[WF_CERT_MAX_ENCODED + 64];
	struct timespec ts;
	size_t elen, plen, nlen;

	clock_gettime(CLOCK_REALTIME, &ts);
	elen = wf_cert_encode(&p->cert, enc, sizeof(enc));
	plen = wf_hs_payload_encode(enc, elen, (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec,
				    payload, sizeof(payload));
	if (!elen || !plen ||
	    !wf_noise_protocol_parse(&proto, p->ca.cipher == WF_CIPHER_CHACHAPOLY
						     ? "Noise_IX_25519_ChaChaPoly_SHA256"
						     : "Noise_IX_25519_AESGCM_SHA256") ||
	    !wf_noise_handshake_init(&p->hs, &proto, true, p->prologue, p->prologue_len, p->key,
				     NULL, NULL, NULL) ||
	    !wf_noise_write_message(&p->hs, payload, plen, pkt + 8, cap - 8 - 16, &nlen))
		return 0;
	memset(pkt, 0, 8);
	pkt[0] = WF_MSG_HANDSHAKE_INIT;
	pkt[1] = WF_PROTO_VERSION;
	pkt[4] = 0x42; /* sender index 0x42 */
	wf_hs_mac1(p->mac1_key, pkt, 8 + nlen, pkt + 8 + nlen);
	return 8 + nlen + 16;
}

/* A response is valid if its mac1, Noise message and certificate all check. */
static int check_response(struct probe *p, uint8_t *pkt, size_t len)
{
	uint8_t payload[WF_HANDSHAKE_MAX];
	struct wf_hs_payload hp;
	struct wf_cert peer;
	size_t plen;
	enum wf_cert_err e;

	if (len < 12 + 16 || pkt[0] != WF_MSG_HANDSHAKE_RESP || !wf_hs_mac1_ok(p->mac1_key, pkt, len))
		return 3;
	if (!wf_noise_read_message(&p->hs, pkt + 12, len - 12 - 16, payload, sizeof(payload), &plen) ||
	    !wf_hs_payload_decode(&hp, payload, plen))
		return 3;
	e = wf_cert_decode(&peer, hp.cert, hp.cert_len);
	if (e == WF_CERT_OK)
		e = wf_cert_verify(&peer, &p->ca, (int64_t)time(NULL));
	if (e != WF_CERT_OK)
		return 3;
	printf("accepted by %s\n", peer.name);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"ca", required_argument, NULL, 'c'},  {"cert", required_argument, NULL, 'C'},
		{"key", required_argument, NULL, 'k'}, {"to", required_argument, NULL, 't'},
		{"wait", required_argument, NULL, 'w'}, {"repeat", required_argument, NULL, 'r'},
		{NULL, 0, NULL, 0},
	};
	const char *ca = NULL, *cert = NULL, *key = NULL, *to = NULL;
	static struct probe p;
	uint8_t pkt[WF_HANDSHAKE_MAX];
	int c, wait_ms = 2000, fd, repeat = 1, answers = 0, rc = 1;
	size_t len;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': ca = optarg; break;
		case 'C': cert = optarg; break;
		case 'k': key = optarg; break;
		case 't': to = optarg; break;
		case 'w': wait_ms = atoi(optarg); break;
		case 'r': repeat = atoi(optarg); break;
		default: return 2;
		}
	}
	if (!ca || !cert || !key || !to || !wf_endpoint_parse(&p.to, to)) {
		fprintf(stderr, "usage: hsprobe --ca F --cert F --key F --to IP:PORT [--wait MS]\n");
		return 2;
	}
	wf_crypto_init();
	if (load(&p, ca, cert, key) < 0 || !(len = build_init(&p, pkt, sizeof(pkt))))
		return 2;
	fd = socket(p.to.sa.sa_family, SOCK_DGRAM, 0);
	for (int i = 0; i < repeat; i++) {
		if (fd < 0 || sendto(fd, pkt, len, 0, &p.to.sa, wf_endpoint_len(&p.to)) < 0) {
			perror("hsprobe: sendto");
			return 2;
		}
	}
	/* The first answer is checked; later ones are only counted. */
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		uint8_t in[WF_HANDSHAKE_MAX];
		ssize_t n;

		if (poll(&pfd, 1, wait_ms) <= 0)
			break;
		n = recv(fd, in, sizeof(in), 0);
		if (n > 0 && answers++ == 0)
			rc = check_response(&p, in, (size_t)n);
	}
	if (repeat > 1)
		printf("%d answers to %d copies\n", answers, repeat);
	if (!answers)
		printf("no answer\n");
	return rc;
}
