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
 * still accepts packets on the keypair of the handshake it answered. Last, we
 * send our initiation again: A must not answer it, since we proved that one
 * by sending on its keys.
 *
 *   crossprobe --ca ca.crt --cert node.crt --key node.key --listen IP:PORT
 *              --src OVERLAY_IP --ping OVERLAY_IP [--wait MS]
 *
 * Exit: 0 echo reply received and the replay ignored, 1 no echo reply (or no
 * initiation from A), 2 usage or local error, 3 a handshake message from A did
 * not check, 4 A answered the replayed initiation.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>

#include "core/session.h"
#include "probe.h"

enum {
	OUR_INIT_INDEX = 0x1001, /* our index in the handshake we initiate */
	OUR_RESP_INDEX = 0x2002, /* our index in the handshake we answer */
	ICMP_ID = 0x5741,
	INIT_HDR = sizeof(struct wf_msg_init),
	RESP_HDR = sizeof(struct wf_msg_resp),
	REPLAY_WAIT_MS = 1000,
};

struct probe {
	struct probe_net net;
	struct wf_noise_handshake hs_ours, hs_theirs; /* ours: we initiate */
	struct wf_keypair *ours, *theirs;	      /* the two sessions' keypairs */
	int fd;
	int wait_ms;
};

/* Receive one datagram of the given type within wait_ms; 0 if none. */
static size_t recv_type(struct probe *p, uint8_t type, uint8_t *buf, size_t cap,
			union wf_endpoint *from, int wait_ms)
{
	int64_t end = probe_now_ms() + wait_ms;

	for (int64_t left; (left = end - probe_now_ms()) > 0;) {
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

static struct wf_keypair *split(struct wf_noise_handshake *hs, const struct probe *p,
				bool initiator, uint32_t local, uint32_t remote)
{
	uint8_t c1[WF_KEY_LEN], c2[WF_KEY_LEN];

	if (!wf_noise_split(hs, c1, c2, NULL))
		return NULL;
	return wf_keypair_new(p->net.ca.cipher, c1, c2, initiator, local, remote, probe_now_ms(), 1);
}

/* Write our Noise message for hs after a header of hl bytes; its length. */
static size_t write_hs(struct probe *p, struct wf_noise_handshake *hs, uint8_t *pkt, size_t cap,
		       size_t hl)
{
	uint8_t payload[WF_HANDSHAKE_MAX];
	bool init = hl == sizeof(struct wf_msg_init);
	size_t plen = probe_payload(&p->net, payload, sizeof(payload), init), n;

	return plen && wf_noise_write_message(hs, payload, plen, pkt + hl,
					      cap - hl - (init ? WF_INIT_MACS_LEN : WF_MAC_LEN), &n)
		   ? n
		   : 0;
}

/* Read A's Noise message (after a header of hl bytes) into hs and check
 * A's certificate. */
static bool read_hs(struct probe *p, struct wf_noise_handshake *hs, const uint8_t *pkt, size_t len,
		    size_t hl)
{
	uint8_t payload[WF_HANDSHAKE_MAX];
	const uint8_t *noise;
	struct wf_cert peer;
	size_t plen, nlen;

	return probe_hs_open(&p->net, pkt, len, &noise, &nlen) && probe_hdr_len(pkt[0]) == hl &&
	       wf_noise_read_message(hs, noise, nlen, payload, sizeof(payload), &plen) &&
	       probe_peer(&p->net, payload, plen, &peer);
}

static int run(struct probe *p, struct in_addr src, struct in_addr dst)
{
	static uint8_t a_init[WF_HANDSHAKE_MAX], our_init[WF_HANDSHAKE_MAX], pkt[WF_HANDSHAKE_MAX];
	union wf_endpoint a;
	size_t a_len, our_len, n;
	uint32_t a_index;

	/* 1. A's initiation, held unanswered. */
	a_len = recv_type(p, WF_MSG_HANDSHAKE_INIT, a_init, sizeof(a_init), &a, p->wait_ms);
	if (!a_len) {
		printf("no initiation from the daemon\n");
		return 1;
	}
	if (a_len < INIT_HDR + WF_INIT_MACS_LEN)
		return 3;
	a_index = wf_get_le32(a_init + 4);

	/* 2. Our initiation; A answers it and keeps the keypair unconfirmed. */
	if (!probe_hs_init(&p->net, &p->hs_ours, true) ||
	    !(n = write_hs(p, &p->hs_ours, our_init, sizeof(our_init), INIT_HDR)))
		return 2;
	our_len = probe_hs_finish(&p->net, our_init, WF_MSG_HANDSHAKE_INIT, OUR_INIT_INDEX, 0, n);
	if (sendto(p->fd, our_init, our_len, 0, &a.sa, wf_endpoint_len(&a)) < 0)
		return 2;
	n = recv_type(p, WF_MSG_HANDSHAKE_RESP, pkt, sizeof(pkt), &a, p->wait_ms);
	if (!n) {
		printf("the daemon did not answer our initiation\n");
		return 1;
	}
	if (n < RESP_HDR || wf_get_le32(pkt + 8) != OUR_INIT_INDEX ||
	    !read_hs(p, &p->hs_ours, pkt, n, RESP_HDR))
		return 3;
	p->ours = split(&p->hs_ours, p, true, OUR_INIT_INDEX, wf_get_le32(pkt + 4));

	/* 3. Only now answer A's initiation: its own handshake completes. */
	if (!probe_hs_init(&p->net, &p->hs_theirs, false) ||
	    !read_hs(p, &p->hs_theirs, a_init, a_len, INIT_HDR))
		return 3;
	if (!(n = write_hs(p, &p->hs_theirs, pkt, sizeof(pkt), RESP_HDR)))
		return 2;
	n = probe_hs_finish(&p->net, pkt, WF_MSG_HANDSHAKE_RESP, OUR_RESP_INDEX, a_index, n);
	if (sendto(p->fd, pkt, n, 0, &a.sa, wf_endpoint_len(&a)) < 0)
		return 2;
	p->theirs = split(&p->hs_theirs, p, false, OUR_RESP_INDEX, a_index);
	if (!p->ours || !p->theirs)
		return 2;
	printf("handshakes crossed: each side answered the other's initiation\n");

	/* 4. A ping on our keypair; the reply comes on A's. */
	n = probe_build_ping(pkt + WF_DATA_HEADER_LEN, src, dst, ICMP_ID);
	if (!wf_keypair_seal(p->ours, 0, WF_MSG_DATA, pkt, n, &n) ||
	    sendto(p->fd, pkt, n, 0, &a.sa, wf_endpoint_len(&a)) < 0)
		return 2;
	for (;;) {
		uint8_t *plain;
		size_t plain_len;
		bool replayed;

		n = recv_type(p, WF_MSG_DATA, pkt, sizeof(pkt), &a, p->wait_ms);
		if (!n) {
			printf("no echo reply: the daemon dropped our keypair\n");
			return 1;
		}
		if (wf_get_le32(pkt + 4) == OUR_RESP_INDEX &&
		    wf_keypair_open(p->theirs, 0, pkt, n, &plain, &plain_len, &replayed) &&
		    probe_is_echo_reply(plain, plain_len, dst, ICMP_ID))
			break;
	}
	printf("echo reply received on the daemon's keypair\n");

	/* 5. Our initiation again: its keys were used, so it is a replay now. */
	if (sendto(p->fd, our_init, our_len, 0, &a.sa, wf_endpoint_len(&a)) < 0)
		return 2;
	if (recv_type(p, WF_MSG_HANDSHAKE_RESP, pkt, sizeof(pkt), &a, REPLAY_WAIT_MS)) {
		printf("the daemon answered a replay of an initiation whose keys were used\n");
		return 4;
	}
	printf("replayed initiation ignored\n");
	return 0;
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
	if (probe_load(&p.net, "crossprobe", ca, cert, key) < 0)
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
