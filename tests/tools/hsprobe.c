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
 *           [--repeat N] [--prove] [--member CERT... [--member-at IP:PORT]]
 *           [--ping DST [--spoof SRC]]
 *
 * --wait is how long to wait for an answer (without --repeat, no longer than
 * the first). --repeat sends the same initiation N times (a duplicated
 * datagram) and prints how many answers came back within --wait of the one
 * before; a daemon must answer only the first.
 *
 * Once accepted, it can act as the member it holds the key of: --prove sends
 * a keepalive on the new keys, which proves the key to the daemon; --member
 * then tells it about another node (a MEMBER message with that certificate,
 * and an endpoint), as any member may; given up to 4 times, one message each,
 * in that order, on one socket, so that the daemon takes them in that order;
 * --ping sends an ICMP echo request to DST with our first address as its
 * source, or with SRC (--spoof), and waits for the echo reply.
 *
 * Exit: 0 accepted (and every action done; with --ping, the reply came), 1 no
 * response, 2 usage or local error, 3 an invalid response, 4 no echo reply.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>

#include "core/session.h"
#include "probe.h"

enum { OUR_INDEX = 0x42, ICMP_ID = 0x4850, MEMBERS_MAX = 4 };

struct probe {
	struct probe_net net;
	struct wf_noise_handshake hs;
	struct wf_keypair *kp;
	union wf_endpoint to;
	int fd, wait_ms;
	const char *member[MEMBERS_MAX], *member_at, *ping, *spoof;
	int n_members;
	bool prove;
};

static size_t build_init(struct probe *p, uint8_t *pkt, size_t cap)
{
	uint8_t payload[WF_HANDSHAKE_MAX];
	size_t plen = probe_payload(&p->net, payload, sizeof(payload), true), nlen;

	if (!plen || !probe_hs_init(&p->net, &p->hs, true) ||
	    !wf_noise_write_message(&p->hs, payload, plen, pkt + sizeof(struct wf_msg_init),
				    cap - sizeof(struct wf_msg_init) - WF_INIT_MACS_LEN, &nlen))
		return 0;
	return probe_hs_finish(&p->net, pkt, WF_MSG_HANDSHAKE_INIT, OUR_INDEX, 0, nlen);
}

/* A response is valid if its mac1, Noise message and certificate all check. */
static int check_response(struct probe *p, uint8_t *pkt, size_t len)
{
	uint8_t payload[WF_HANDSHAKE_MAX], c1[WF_KEY_LEN], c2[WF_KEY_LEN];
	const uint8_t *noise;
	struct wf_cert peer;
	size_t plen, nlen;

	if (pkt[0] != WF_MSG_HANDSHAKE_RESP || !probe_hs_open(&p->net, pkt, len, &noise, &nlen))
		return 3;
	if (!wf_noise_read_message(&p->hs, noise, nlen, payload, sizeof(payload), &plen) ||
	    !probe_peer(&p->net, payload, plen, &peer) || !wf_noise_split(&p->hs, c1, c2, NULL))
		return 3;
	p->kp = wf_keypair_new(p->net.ca.cipher, c1, c2, true, OUR_INDEX, wf_get_le32(pkt + 4),
			       probe_now_ms(), 1);
	printf("accepted by %s\n", peer.name);
	return p->kp ? 0 : 2;
}

/* Seal len bytes at pkt + WF_DATA_HEADER_LEN on our keys and send them. */
static bool send_sealed(struct probe *p, uint8_t type, uint8_t *pkt, size_t len)
{
	size_t n;

	return wf_keypair_seal(p->kp, 0, type, pkt, len, &n) &&
	       sendto(p->fd, pkt, n, 0, &p->to.sa, wf_endpoint_len(&p->to)) >= 0;
}

static bool send_member(struct probe *p, const char *path)
{
	uint8_t pkt[WF_DATA_OVERHEAD + WF_CERT_MAX_ENCODED + 64], enc[WF_CERT_MAX_ENCODED];
	union wf_endpoint at;
	struct wf_cert c;
	char err[WF_ERR_MAX];
	size_t elen, n;

	memset(&at, 0, sizeof(at));
	if (!wf_cert_load(path, &c, err, sizeof(err)) ||
	    (p->member_at && !wf_endpoint_parse(&at, p->member_at))) {
		fprintf(stderr, "hsprobe: %s\n", p->member_at ? "bad --member-at" : err);
		return false;
	}
	elen = wf_cert_encode(&c, enc, sizeof(enc));
	n = elen ? wf_member_encode(enc, elen, p->member_at ? &at : NULL,
				    pkt + WF_DATA_HEADER_LEN, sizeof(pkt) - WF_DATA_OVERHEAD)
		 : 0;
	if (!n || !send_sealed(p, WF_MSG_CONTROL, pkt, n))
		return false;
	printf("told it of %s\n", c.name);
	return true;
}

/* An echo request, and its reply on our keys within wait_ms: 0, or 4. */
static int ping(struct probe *p)
{
	uint8_t pkt[WF_DATA_OVERHEAD + 1500];
	struct in_addr src, dst;
	int64_t end = probe_now_ms() + p->wait_ms;
	size_t n;

	memcpy(&src, p->net.cert.addrs[0].addr, 4);
	if (inet_pton(AF_INET, p->ping, &dst) != 1 ||
	    (p->spoof && inet_pton(AF_INET, p->spoof, &src) != 1))
		return 2;
	n = probe_build_ping(pkt + WF_DATA_HEADER_LEN, src, dst, ICMP_ID);
	if (!send_sealed(p, WF_MSG_DATA, pkt, n))
		return 2;
	for (int64_t left; (left = end - probe_now_ms()) > 0;) {
		struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
		uint8_t *plain;
		size_t plain_len;
		bool replayed;
		ssize_t r;

		if (poll(&pfd, 1, (int)left) <= 0)
			break;
		r = recv(p->fd, pkt, sizeof(pkt), 0);
		if (r > 0 && pkt[0] == WF_MSG_DATA &&
		    wf_keypair_open(p->kp, 0, pkt, (size_t)r, &plain, &plain_len, &replayed) &&
		    probe_is_echo_reply(plain, plain_len, dst, ICMP_ID)) {
			printf("echo reply from %s\n", p->ping);
			return 0;
		}
	}
	printf("no echo reply\n");
	return 4;
}

/* What a member does once its initiation was answered. */
static int act(struct probe *p)
{
	uint8_t ka[WF_DATA_OVERHEAD];

	if ((p->prove || p->n_members || p->ping) && !send_sealed(p, WF_MSG_DATA, ka, 0))
		return 2;
	for (int i = 0; i < p->n_members; i++)
		if (!send_member(p, p->member[i]))
			return 2;
	return p->ping ? ping(p) : 0;
}

static int run(struct probe *p, int repeat)
{
	uint8_t pkt[WF_HANDSHAKE_MAX];
	size_t len = build_init(p, pkt, sizeof(pkt));
	int answers = 0, rc = 1;

	if (!len)
		return 2;
	for (int i = 0; i < repeat; i++) {
		if (sendto(p->fd, pkt, len, 0, &p->to.sa, wf_endpoint_len(&p->to)) < 0) {
			perror("hsprobe: sendto");
			return 2;
		}
	}
	/* The first answer is checked; later ones are only counted, so with
	 * one initiation sent there is nothing to wait for after it. */
	while (!(repeat == 1 && answers)) {
		struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
		uint8_t in[WF_HANDSHAKE_MAX];
		ssize_t n;

		if (poll(&pfd, 1, p->wait_ms) <= 0)
			break;
		n = recv(p->fd, in, sizeof(in), 0);
		if (n > 0 && in[0] == WF_MSG_HANDSHAKE_RESP && answers++ == 0)
			rc = check_response(p, in, (size_t)n);
	}
	if (repeat > 1)
		printf("%d answers to %d copies\n", answers, repeat);
	if (!answers)
		printf("no answer\n");
	return rc == 0 ? act(p) : rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"ca", required_argument, NULL, 'c'},	  {"cert", required_argument, NULL, 'C'},
	    {"key", required_argument, NULL, 'k'},	  {"to", required_argument, NULL, 't'},
	    {"wait", required_argument, NULL, 'w'},	  {"repeat", required_argument, NULL, 'r'},
	    {"prove", no_argument, NULL, 'P'},		  {"member", required_argument, NULL, 'm'},
	    {"member-at", required_argument, NULL, 'a'}, {"ping", required_argument, NULL, 'p'},
	    {"spoof", required_argument, NULL, 's'},	  {NULL, 0, NULL, 0},
	};
	const char *ca = NULL, *cert = NULL, *key = NULL, *to = NULL;
	static struct probe p = {.wait_ms = 2000};
	int c, repeat = 1, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': ca = optarg; break;
		case 'C': cert = optarg; break;
		case 'k': key = optarg; break;
		case 't': to = optarg; break;
		case 'w': p.wait_ms = atoi(optarg); break;
		case 'r': repeat = atoi(optarg); break;
		case 'P': p.prove = true; break;
		case 'm': p.member[p.n_members++ % MEMBERS_MAX] = optarg; break;
		case 'a': p.member_at = optarg; break;
		case 'p': p.ping = optarg; break;
		case 's': p.spoof = optarg; break;
		default: return 2;
		}
	}
	if (!ca || !cert || !key || !to || !wf_endpoint_parse(&p.to, to) ||
	    p.n_members > MEMBERS_MAX) {
		fprintf(stderr, "usage: hsprobe --ca F --cert F --key F --to IP:PORT [--wait MS] "
				"[--repeat N] [--prove] [--member CERT... [--member-at IP:PORT]] "
				"[--ping DST [--spoof SRC]]\n");
		return 2;
	}
	wf_crypto_init();
	if (probe_load(&p.net, "hsprobe", ca, cert, key) < 0)
		return 2;
	p.fd = socket(p.to.sa.sa_family, SOCK_DGRAM, 0);
	if (p.fd < 0)
		return 2;
	rc = run(&p, repeat);
	wf_noise_handshake_clear(&p.hs);
	wf_keypair_free(p.kp);
	close(p.fd);
	return rc;
}
