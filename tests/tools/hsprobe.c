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
#include <unistd.h>
#include <sys/socket.h>

#include "probe.h"

struct probe {
	struct probe_net net;
	struct wf_noise_handshake hs;
	union wf_endpoint to;
};

static size_t build_init(struct probe *p, uint8_t *pkt, size_t cap)
{
	uint8_t payload[WF_HANDSHAKE_MAX];
	size_t plen = probe_payload(&p->net, payload, sizeof(payload), true), nlen;

	if (!plen || !probe_hs_init(&p->net, &p->hs, true) ||
	    !wf_noise_write_message(&p->hs, payload, plen, pkt + sizeof(struct wf_msg_init),
				    cap - sizeof(struct wf_msg_init) - WF_INIT_MACS_LEN, &nlen))
		return 0;
	return probe_hs_finish(&p->net, pkt, WF_MSG_HANDSHAKE_INIT, 0x42, 0, nlen);
}

/* A response is valid if its mac1, Noise message and certificate all check. */
static int check_response(struct probe *p, uint8_t *pkt, size_t len)
{
	uint8_t payload[WF_HANDSHAKE_MAX];
	const uint8_t *noise;
	struct wf_cert peer;
	size_t plen, nlen;

	if (pkt[0] != WF_MSG_HANDSHAKE_RESP || !probe_hs_open(&p->net, pkt, len, &noise, &nlen))
		return 3;
	if (!wf_noise_read_message(&p->hs, noise, nlen, payload, sizeof(payload), &plen) ||
	    !probe_peer(&p->net, payload, plen, &peer))
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
	if (probe_load(&p.net, "hsprobe", ca, cert, key) < 0 || !(len = build_init(&p, pkt, sizeof(pkt))))
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
