/* SPDX-License-Identifier: MIT */
/*
 * Driving a real daemon's packet handlers in memory, without a socket, a TUN
 * device or a file: for tests/unit/test_handshake.c and
 * tests/fuzz/fuzz_responder.c. The daemon is the real one (handshake.c,
 * send.c, receive.c, membership.c, peer.c, timers.c), set up by wf_daemon_prepare.
 *
 * What it sends is captured by wrapping sendto() and sendmmsg() at link time
 * (the binary is linked with -Wl,--wrap=sendto,--wrap=sendmmsg; a
 * UDP_SEGMENT message is cut as the kernel would); what it delivers to "TUN"
 * goes into a socket pair that keeps each write apart.
 * Keys come from fixed seeds, so every run is the same: the CA, and members
 * made with hn_node(), who can initiate for real (hn_init), be forged by
 * someone without their key (hn_forge), read a response (hn_resp_keys) and
 * send on the keys it gave (hn_seal).
 *
 * Header-only, like tests/tools/probe.h: each user is one program.
 */
#ifndef WEFT_TESTS_HARNESS_H
#define WEFT_TESTS_HARNESS_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include "common/bytes.h"
#include "common/log.h"
#include "core/message.h"
#include "daemon/daemon.h"
#include "daemon/data.h"
#include "daemon/handshake.h"
#include "daemon/worker.h"
#include "daemon/filter.h"
#include "daemon/data.h"
#include "daemon/handshake.h"
#include "daemon/worker.h"

enum { HN_OUT_MAX = 64, HN_NOW = 1000000 };

/* --- what the daemon sent ----------------------------------------------- */

struct hn_sent {
	uint8_t buf[WF_MAX_DATAGRAM];
	size_t len;
	union wf_endpoint to;
};

static struct hn_sent hn_out[HN_OUT_MAX];
static unsigned hn_n_out;
/* The next hn_fail_count sends fail with hn_fail_errno (as the kernel's
 * would: a pending ICMP error, a full neighbour table). */
static int hn_fail_errno;
static unsigned hn_fail_count;

/* sendmmsg calls, their messages, and those of them that were UDP_SEGMENT runs. */
static unsigned hn_n_mmsg, hn_n_msgs, hn_n_gso;
/* The next hn_gso_fail_count UDP_SEGMENT messages fail with hn_gso_errno. */
static int hn_gso_errno;
static unsigned hn_gso_fail_count;
/* If set, called after each datagram is recorded: what happens meanwhile
 * elsewhere (a worker receiving while the control thread is busy). */
static void (*hn_on_send)(void);

static inline bool hn_fail_now(void)
{
	if (!hn_fail_count)
		return false;
	hn_fail_count--;
	errno = hn_fail_errno;
	return true;
}

static inline void hn_record(const void *buf, size_t len, const struct sockaddr *to,
			     socklen_t tolen)
{
	struct hn_sent *s = &hn_out[hn_n_out % HN_OUT_MAX];

	if (len > sizeof(s->buf) || tolen > sizeof(s->to))
		abort();
	memcpy(s->buf, buf, len);
	s->len = len;
	memset(&s->to, 0, sizeof(s->to));
	memcpy(&s->to, to, tolen);
	hn_n_out++;
	if (hn_on_send)
		hn_on_send();
}

ssize_t __wrap_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
		      socklen_t tolen);
ssize_t __wrap_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
		      socklen_t tolen)
{
	(void)fd;
	(void)flags;
	if (hn_fail_now())
		return -1;
	hn_record(buf, len, to, tolen);
	return (ssize_t)len;
}

/* The segment size of a UDP_SEGMENT message, 0 for a plain one. */
static inline size_t hn_gso_size(const struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR((struct msghdr *)mh, c)) {
		uint16_t v;

		if (c->cmsg_level == IPPROTO_UDP && c->cmsg_type == UDP_SEGMENT) {
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			return v;
		}
	}
	return 0;
}

/* One message: its bytes gathered, cut at the segment size, each recorded. */
static inline int hn_send_msg(struct mmsghdr *m)
{
	static uint8_t all[65536];
	const struct msghdr *mh = &m->msg_hdr;
	size_t len = 0, seg = hn_gso_size(mh);

	if (hn_fail_now())
		return -1;
	if (seg && hn_gso_fail_count) {
		hn_gso_fail_count--;
		errno = hn_gso_errno;
		return -1;
	}
	for (size_t i = 0; i < mh->msg_iovlen; i++) {
		if (len + mh->msg_iov[i].iov_len > sizeof(all))
			abort();
		memcpy(all + len, mh->msg_iov[i].iov_base, mh->msg_iov[i].iov_len);
		len += mh->msg_iov[i].iov_len;
	}
	if (!seg || seg > len)
		seg = len;
	/* What the kernel refuses: a run of more than 64, or of nothing. */
	if (!len || len / seg > 64)
		abort();
	hn_n_msgs++;
	hn_n_gso += hn_gso_size(mh) != 0;
	for (size_t off = 0; off < len; off += seg)
		hn_record(all + off, len - off < seg ? len - off : seg, mh->msg_name,
			  mh->msg_namelen);
	m->msg_len = (unsigned)len;
	return 0;
}

int __wrap_sendmmsg(int fd, struct mmsghdr *msgs, unsigned n, int flags);
int __wrap_sendmmsg(int fd, struct mmsghdr *msgs, unsigned n, int flags)
{
	unsigned i;

	(void)fd;
	(void)flags;
	hn_n_mmsg++;
	for (i = 0; i < n; i++)
		if (hn_send_msg(&msgs[i]) < 0)
			return i ? (int)i : -1;
	return (int)n;
}

/* The last datagram sent, or NULL; hn_clear forgets them all. */
static inline struct hn_sent *hn_last(void)
{
	return hn_n_out ? &hn_out[(hn_n_out - 1) % HN_OUT_MAX] : NULL;
}

static inline void hn_clear(void)
{
	hn_n_out = hn_n_mmsg = hn_n_msgs = hn_n_gso = 0;
}

/* --- identities ----------------------------------------------------------- */

struct hn_node {
	struct wf_cert cert;
	uint8_t priv[WF_KEY_LEN];
};

static struct wf_cert hn_ca_cert;
static uint8_t hn_ca_priv[WF_KEY_LEN];

static inline int64_t hn_wall(void)
{
	return (int64_t)(wf_realtime_ns() / 1000000000ULL);
}

/* The network: "hn", 100.64.0.0/10 and fd00::/64, a fixed CA key. */
static inline bool hn_network(void)
{
	struct wf_cert *c = &hn_ca_cert;

	memset(hn_ca_priv, 0xca, sizeof(hn_ca_priv));
	memset(c, 0, sizeof(*c));
	c->version = WF_CERT_VERSION_1;
	c->type = WF_CERT_CA;
	snprintf(c->network, sizeof(c->network), "hn");
	snprintf(c->name, sizeof(c->name), "hn");
	c->serial = 1;
	c->not_before = hn_wall() - 86400;
	c->not_after = hn_wall() + 86400 * 365;
	c->cipher = WF_CIPHER_AES256GCM;
	c->n_prefixes = 2;
	return wf_prefix_parse(&c->prefixes[0], "100.64.0.0/10", true) &&
	       wf_prefix_parse(&c->prefixes[1], "fd00::/64", true) &&
	       wf_ed25519_public(c->pubkey, hn_ca_priv) && wf_cert_sign(c, hn_ca_priv);
}

/* A member: its key from seed, one address, maybe a routed subnet, issued
 * `age` seconds ago. */
static inline bool hn_node(struct hn_node *n, const char *name, uint8_t seed, const char *addr,
			   const char *route, int64_t age)
{
	struct wf_cert *c = &n->cert;

	memset(n, 0, sizeof(*n));
	memset(n->priv, seed, sizeof(n->priv));
	c->version = WF_CERT_VERSION_1;
	c->type = WF_CERT_NODE;
	snprintf(c->network, sizeof(c->network), "hn");
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->serial = 0x1000 + seed + (uint64_t)age;
	c->not_before = hn_wall() - age;
	c->not_after = hn_wall() + 86400;
	c->n_addrs = 1;
	if (route) {
		c->n_routes = 1;
		if (!wf_prefix_parse(&c->routes[0], route, true))
			return false;
	}
	return wf_addr_parse(&c->addrs[0], addr) && wf_x25519_public(c->pubkey, n->priv) &&
	       wf_cert_sign(c, hn_ca_priv);
}

/* --- the daemon ------------------------------------------------------------ */

static int hn_tun[2] = {-1, -1}; /* [0] what the daemon delivered, a write per read */

/* A daemon playing `self`, listening at 198.18.0.1:51820, test timers. */
static inline struct wf_daemon *hn_daemon(const struct hn_node *self)
{
	struct wf_daemon *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	if (hn_tun[0] < 0 &&
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, hn_tun) < 0)
		return NULL;
	d->tun_fd = hn_tun[1];
	d->udp_fd = 1000; /* never used: sendto is wrapped */
	wf_control_worker_init(d, d->tun_fd, d->udp_fd);
	d->epoll_fd = d->signal_fd = d->lock_fd = d->dp.wake_fd = d->dp.stop_fd = -1;
	d->node.cfg.rekey_interval_ms = 120000;
	d->node.cfg.keepalive_interval_ms = 1000;
	d->node.cfg.handshake_timeout_ms = 1000;
	d->node.cfg.full_mesh_max = 128;
	(void)wf_endpoint_parse(&d->node.cfg.listen, "198.18.0.1:51820");
	d->node.ca = hn_ca_cert;
	d->node.self = self->cert;
	memcpy(d->node.static_priv, self->priv, WF_KEY_LEN);
	if (!wf_daemon_prepare(d)) {
		free(d);
		return NULL;
	}
	return d;
}

static inline void hn_daemon_free(struct wf_daemon *d)
{
	wf_daemon_release(d);
	wf_workers_free(d);
	free(d);
}

/* What the daemon wrote to TUN since the last call; its length, 0 if none. */
static inline size_t hn_delivered(uint8_t *buf, size_t cap)
{
	ssize_t n = read(hn_tun[0], buf, cap);

	return n > 0 ? (size_t)n : 0;
}

static inline union wf_endpoint hn_ep(const char *s)
{
	union wf_endpoint e;

	memset(&e, 0, sizeof(e));
	(void)wf_endpoint_parse(&e, s);
	return e;
}

/* --- playing a member ------------------------------------------------------ */

static inline bool hn_proto(struct wf_noise_protocol *p, uint8_t prologue[128], size_t *plen,
			    uint8_t mac1_key[WF_SHA256_LEN])
{
	*plen = wf_hs_prologue(hn_ca_cert.network, hn_ca_cert.pubkey, prologue, 128);
	return wf_noise_protocol_parse(p, wf_hs_protocol_name(hn_ca_cert.cipher)) &&
	       wf_hs_mac1_key(hn_ca_cert.pubkey, mac1_key) && *plen;
}

/* Header, then the MACs after a body of body bytes: mac1, and for an
 * initiation mac2 from cookie (NULL: zero). Returns the whole length. */
static inline size_t hn_finish(uint8_t *pkt, uint8_t type, uint32_t sender, uint32_t receiver,
			       size_t body, const uint8_t *cookie)
{
	uint8_t p[128], key[WF_SHA256_LEN];
	struct wf_noise_protocol proto;
	size_t pl, len;

	if (!hn_proto(&proto, p, &pl, key))
		return 0;
	pkt[0] = type;
	pkt[1] = WF_PROTO_VERSION;
	pkt[2] = pkt[3] = 0;
	wf_put_le32(pkt + 4, sender);
	if (type == WF_MSG_HANDSHAKE_RESP)
		wf_put_le32(pkt + 8, receiver);
	wf_hs_mac1(key, pkt, body, pkt + body);
	if (type != WF_MSG_HANDSHAKE_INIT)
		return body + WF_MAC_LEN;
	len = body + WF_INIT_MACS_LEN;
	if (cookie)
		wf_cookie_mac2(cookie, pkt, len - WF_MAC_LEN, pkt + len - WF_MAC_LEN);
	else
		memset(pkt + len - WF_MAC_LEN, 0, WF_MAC_LEN);
	return len;
}

/* n's payload: its certificate (or cert), timestamp ts, padded as weft pads
 * an initiation unless short_msg. */
static inline size_t hn_payload(const struct wf_cert *cert, uint64_t ts, bool pad, uint8_t *out,
				size_t cap)
{
	uint8_t enc[WF_CERT_MAX_ENCODED];
	size_t elen = wf_cert_encode(cert, enc, sizeof(enc)), n;

	n = elen ? wf_hs_payload_encode(enc, elen, ts, out, cap) : 0;
	return n && pad ? wf_hs_payload_pad(out, n, cap, WF_INIT_MIN_LEN - 8 - 64 - 32) : n;
}

/* A real initiation from n (it holds its key), stamped ts. hs keeps the
 * state for the response. */
static inline size_t hn_init(const struct hn_node *n, struct wf_noise_handshake *hs, uint64_t ts,
			     uint32_t sender, const uint8_t *cookie, uint8_t *pkt, size_t cap)
{
	uint8_t payload[WF_HANDSHAKE_MAX], p[128], key[WF_SHA256_LEN], e[WF_KEY_LEN];
	struct wf_noise_protocol proto;
	size_t plen, pl, nlen;

	plen = hn_payload(&n->cert, ts, true, payload, sizeof(payload));
	if (!plen || !hn_proto(&proto, p, &pl, key) || !wf_random(e, sizeof(e)) ||
	    !wf_noise_handshake_init(hs, &proto, true, p, pl, n->priv, e, NULL, NULL) ||
	    !wf_noise_write_message(hs, payload, plen, pkt + 8, cap - 8 - WF_INIT_MACS_LEN, &nlen))
		return 0;
	return hn_finish(pkt, WF_MSG_HANDSHAKE_INIT, sender, 0, 8 + nlen, cookie);
}

/* A forged initiation: n's key and certificate, our own ephemeral, stamp ts.
 * Needs no private key at all. */
static inline size_t hn_forge(const struct wf_cert *cert, uint64_t ts, uint32_t sender, bool pad,
			      uint8_t *pkt, size_t cap)
{
	uint8_t e_priv[WF_KEY_LEN];
	size_t plen;

	memset(e_priv, 0xee, sizeof(e_priv));
	if (!wf_x25519_public(pkt + 8, e_priv))
		return 0;
	memcpy(pkt + 8 + 32, cert->pubkey, WF_KEY_LEN);
	plen = hn_payload(cert, ts, pad, pkt + 8 + 64, cap - 8 - 64 - WF_INIT_MACS_LEN);
	return plen ? hn_finish(pkt, WF_MSG_HANDSHAKE_INIT, sender, 0, 8 + 64 + plen, NULL) : 0;
}

/* Read the daemon's response to our initiation: the keypair it gave us. */
static inline struct wf_keypair *hn_resp_keys(struct wf_noise_handshake *hs, uint32_t our_index,
					      const uint8_t *pkt, size_t len)
{
	uint8_t payload[WF_HANDSHAKE_MAX], c1[WF_KEY_LEN], c2[WF_KEY_LEN];
	size_t plen;

	if (len < 12 + WF_MAC_LEN || pkt[0] != WF_MSG_HANDSHAKE_RESP ||
	    !wf_noise_read_message(hs, pkt + 12, len - 12 - WF_MAC_LEN, payload, sizeof(payload),
				   &plen) ||
	    !wf_noise_split(hs, c1, c2, NULL))
		return NULL;
	return wf_keypair_new(hn_ca_cert.cipher, c1, c2, true, our_index, wf_get_le32(pkt + 4),
			      HN_NOW, 1);
}

/* Seal len bytes of plain on kp as a datagram of type into out. */
static inline size_t hn_seal(struct wf_keypair *kp, uint8_t type, const void *plain, size_t len,
			     uint8_t *out)
{
	size_t n;

	memcpy(out + WF_DATA_HEADER_LEN, plain, len);
	return wf_keypair_seal(kp, 0, type, out, len, &n) ? n : 0;
}

/* --- sessions with the daemon ------------------------------------------------ */

/* Feed one datagram to the daemon as the loop would. */
static inline void hn_feed(struct wf_daemon *d, uint8_t *pkt, size_t len,
			   const union wf_endpoint *from, int64_t now)
{
	if (pkt[0] == WF_MSG_DATA || pkt[0] == WF_MSG_CONTROL)
		wf_data_receive(&d->dp.ctl, pkt, len, from, now);
	else
		wf_handshake_receive(d, pkt, len, from, now);
}

/* n initiates for real to d from `from`; returns the keypair d answered
 * with (NULL if it did not answer). */
static inline struct wf_keypair *hn_handshake(struct wf_daemon *d, const struct hn_node *n,
					      const union wf_endpoint *from, uint64_t ts,
					      uint32_t idx)
{
	static uint8_t pkt[WF_HANDSHAKE_MAX];
	struct wf_noise_handshake hs;
	struct wf_keypair *kp = NULL;
	struct hn_sent *r;
	size_t len = hn_init(n, &hs, ts, idx, NULL, pkt, sizeof(pkt));

	if (len < WF_INIT_MIN_LEN)
		return NULL;
	hn_clear();
	hn_feed(d, pkt, len, from, HN_NOW);
	r = hn_last();
	if (r && r->buf[0] == WF_MSG_HANDSHAKE_RESP && wf_endpoint_equal(&r->to, from))
		kp = hn_resp_keys(&hs, idx, r->buf, r->len);
	wf_noise_handshake_clear(&hs);
	return kp;
}

/* Send d a keepalive on kp from `from`: proves the initiation behind it. */
static inline bool hn_keepalive(struct wf_daemon *d, struct wf_keypair *kp,
				const union wf_endpoint *from)
{
	uint8_t pkt[WF_DATA_OVERHEAD];
	size_t n = hn_seal(kp, WF_MSG_DATA, "", 0, pkt);

	if (n)
		hn_feed(d, pkt, n, from, HN_NOW);
	return n != 0;
}

/* n, at `from`, with a proven session with d: the keypair n sends with. */
static inline struct wf_keypair *hn_connect(struct wf_daemon *d, const struct hn_node *n,
					    const union wf_endpoint *from, uint32_t idx)
{
	struct wf_keypair *kp = hn_handshake(d, n, from, wf_realtime_ns(), idx);

	if (kp && !hn_keepalive(d, kp, from)) {
		wf_keypair_free(kp);
		return NULL;
	}
	return kp;
}

enum { HN_RULES_MAX = 16 };

/* Rules in force, as a reload installs them: each line "<RULE" (inbound) or
 * ">RULE" (outbound). False, with why, if one does not parse or the set
 * does not compile; *out: the set installed (NULL for none). */
static inline bool hn_rules(struct wf_daemon *d, const char *const *lines, unsigned n,
			    struct wf_fw_rules **out, char *why, size_t cap)
{
	static struct wf_fw_spec s[HN_RULES_MAX];

	if (n > HN_RULES_MAX) {
		snprintf(why, cap, "%u rules, more than %d", n, HN_RULES_MAX);
		return false;
	}
	for (unsigned i = 0; i < n; i++)
		if (!wf_fw_rule_parse(lines[i][0] == '<' ? WF_FW_IN : WF_FW_OUT, lines[i] + 1,
				      &s[i], why, cap))
			return false;
	if (!wf_filter_compile(d, s, n, out)) {
		snprintf(why, cap, "the rule set did not compile");
		return false;
	}
	wf_filter_install(d, *out);
	return true;
}

#endif
