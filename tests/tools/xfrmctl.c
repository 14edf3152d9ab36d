/* SPDX-License-Identifier: MIT */
/*
 * Drives the kernel data path's building blocks (src/daemon/xfrm*.c,
 * netlink.c's xfrm interface, core/esp.c) for tests/vm/20-xfrm-module.sh,
 * one command per run. Every SA's keys come from a fixed "session": c1 =
 * SHA-256("weft test c1 " SESSION), c2 likewise, through wf_esp_sa_keys, as
 * the daemon will derive them from a handshake's Split().
 *
 *   xfrmctl probe gcm|chacha 4|6 IF_ID       "ok", or "no: REASON" and exit 1
 *   xfrmctl iface NAME IF_ID MTU [A/LEN...]   an xfrm interface, up, addresses
 *   xfrmctl iface-clean NAME IF_ID            remove NAME if it is ours: an xfrm
 *                                             interface with IF_ID; say what it did
 *   xfrmctl route NAME PREFIX [SRC]           a route through NAME
 *   xfrmctl sa KEY=VALUE...                   a keypair's SAs: dir=in|out|both
 *       role=initiator|responder cipher=gcm|chacha session=S local=ADDR
 *       remote=ADDR lindex=N rindex=N reqid=N if_id=N [encap=SPORT:DPORT]
 *       [soft-packets= hard-packets= soft-bytes= hard-bytes= soft-seconds=
 *        hard-seconds=N]; prints "in SPI" / "out SPI"
 *   xfrmctl sa-del DST SPI                    delete one SA
 *   xfrmctl sa-get DST SPI                    its counters, as KEY=VALUE
 *   xfrmctl policy KEY=VALUE...               in, fwd and out policies for a
 *       peer's prefixes: peer=P[,P...] local=ADDR remote=ADDR reqid=N if_id=N
 *   xfrmctl flush IF_ID                       remove what IF_ID owns
 *   xfrmctl events IF_ID COUNT                print "ready", then events, one a
 *                                             line, until COUNT (at most 600 s)
 *   xfrmctl encap ADDR PORT                   hold an ESP-in-UDP socket; "ready"
 *
 * Linked with the daemon's objects, as the unit tests are (Makefile).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unistd.h>

#include "common/addr.h"
#include "core/esp.h"
#include "daemon/netlink.h"
#include "daemon/xfrm.h"

static int die(const char *what, int err)
{
	fprintf(stderr, "xfrmctl: %s: %s\n", what, err < 0 ? strerror(-err) : "bad arguments");
	return 2;
}

static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && end != s && !*end;
}

static bool parse_u32(const char *s, uint32_t *v)
{
	uint64_t n;

	if (!parse_u64(s, &n) || n > UINT32_MAX)
		return false;
	*v = (uint32_t)n;
	return true;
}

static enum wf_cipher cipher_of(const char *s)
{
	if (!strcmp(s, "gcm"))
		return WF_CIPHER_AES256GCM;
	return strcmp(s, "chacha") ? WF_CIPHER_NONE : WF_CIPHER_CHACHAPOLY;
}

/* KEY=VALUE arguments: the value of key, or NULL. */
static const char *arg(int argc, char **argv, const char *key)
{
	size_t n = strlen(key);

	for (int i = 0; i < argc; i++)
		if (!strncmp(argv[i], key, n) && argv[i][n] == '=')
			return argv[i] + n + 1;
	return NULL;
}

static bool arg_u32(int argc, char **argv, const char *key, uint32_t *v)
{
	const char *s = arg(argc, argv, key);

	return s && parse_u32(s, v);
}

static bool arg_addr(int argc, char **argv, const char *key, struct wf_prefix *p)
{
	const char *s = arg(argc, argv, key);

	return s && wf_addr_parse(p, s);
}

static int cmd_probe(int argc, char **argv)
{
	char why[WF_XFRM_WHY_LEN];
	uint32_t if_id;
	int fd, ret, family = argc == 3 && !strcmp(argv[1], "6") ? AF_INET6 : AF_INET;

	if (argc != 3 || cipher_of(argv[0]) == WF_CIPHER_NONE || !parse_u32(argv[2], &if_id))
		return die("probe", 0);
	fd = wf_xfrm_open();
	ret = wf_xfrm_probe(fd, cipher_of(argv[0]), family, if_id, why, sizeof(why));
	if (fd >= 0)
		close(fd);
	if (ret < 0) {
		printf("no: %s\n", why);
		return 1;
	}
	printf("ok\n");
	return 0;
}

/* "100.64.1.1/32": an address and a length (host bits allowed). */
static bool parse_addr_len(const char *s, struct wf_prefix *a, unsigned *len)
{
	char buf[WF_ADDR_STRLEN];
	const char *slash = strchr(s, '/');
	uint32_t n;

	if (!slash || (size_t)(slash - s) >= sizeof(buf))
		return false;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (!wf_addr_parse(a, buf) || !parse_u32(slash + 1, &n) || n > a->len)
		return false;
	*len = n;
	return true;
}

static int cmd_iface(int argc, char **argv)
{
	uint32_t if_id, mtu;
	struct wf_prefix a;
	unsigned len;
	int ret;

	if (argc < 3 || !parse_u32(argv[1], &if_id) || !parse_u32(argv[2], &mtu))
		return die("iface", 0);
	ret = wf_nl_xfrmi_add(argv[0], if_id, NULL);
	if (ret == 0)
		ret = wf_nl_link_set_mtu_up(argv[0], mtu);
	for (int i = 3; ret == 0 && i < argc; i++)
		ret =
		    parse_addr_len(argv[i], &a, &len) ? wf_nl_addr_add(argv[0], &a, len) : -EINVAL;
	return ret < 0 ? die("iface", ret) : 0;
}

/* What a start-up does with an interface of its name: remove it only if it
 * is an xfrm interface with our if_id (a crashed run's). */
static int cmd_iface_clean(int argc, char **argv)
{
	uint32_t if_id, found;
	int ret;

	if (argc != 2 || !parse_u32(argv[1], &if_id))
		return die("iface-clean", 0);
	ret = wf_nl_xfrmi_get(argv[0], &found);
	if (ret == -ENODEV) {
		printf("none\n");
		return 0;
	}
	if (ret == -EMEDIUMTYPE || (ret == 0 && found != if_id)) {
		printf("foreign: %s\n", ret ? "not an xfrm interface" : "another if_id");
		return 0;
	}
	if (ret == 0)
		ret = wf_nl_link_del(argv[0]);
	if (ret < 0)
		return die("iface-clean", ret);
	printf("removed\n");
	return 0;
}

static int cmd_route(int argc, char **argv)
{
	struct wf_prefix dst, src;
	int ret;

	if (argc < 2 || argc > 3 || !wf_prefix_parse(&dst, argv[1], true) ||
	    (argc == 3 && !wf_addr_parse(&src, argv[2])))
		return die("route", 0);
	ret = argc == 3 ? wf_nl_route_add_src(argv[0], &dst, &src, 0)
			: wf_nl_route_add(argv[0], &dst, 0);
	return ret < 0 ? die("route", ret) : 0;
}

/* The fixed session's Split() keys. */
static bool session_keys(const char *session, uint8_t c1[WF_KEY_LEN], uint8_t c2[WF_KEY_LEN])
{
	char buf[256];
	int n = snprintf(buf, sizeof(buf), "weft test c1 %s", session);

	if (n < 0 || (size_t)n >= sizeof(buf) || !wf_sha256(c1, (uint8_t *)buf, (size_t)n))
		return false;
	buf[11] = '2';
	return wf_sha256(c2, (uint8_t *)buf, (size_t)n);
}

static bool sa_limits(int argc, char **argv, struct wf_xfrm_limits *l)
{
	static const char *const keys[] = {"soft-bytes",   "hard-bytes",   "soft-packets",
					   "hard-packets", "soft-seconds", "hard-seconds"};
	uint64_t *fields[] = {&l->soft_bytes,	&l->hard_bytes,	  &l->soft_packets,
			      &l->hard_packets, &l->soft_seconds, &l->hard_seconds};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *s = arg(argc, argv, keys[i]);

		if (s && !parse_u64(s, fields[i]))
			return false;
	}
	return true;
}

static bool sa_encap(int argc, char **argv, struct wf_xfrm_sa *sa)
{
	const char *s = arg(argc, argv, "encap");
	unsigned sport, dport;
	char end;

	if (!s)
		return true;
	if (sscanf(s, "%u:%u%c", &sport, &dport, &end) != 2 || !sport || !dport || sport > 65535 ||
	    dport > 65535)
		return false;
	sa->encap_sport = (uint16_t)sport;
	sa->encap_dport = (uint16_t)dport;
	return true;
}

/* Both SAs of a keypair as this end sees them; which to add is dir's. */
static bool sa_args(int argc, char **argv, struct wf_xfrm_sa *in, struct wf_xfrm_sa *out)
{
	const char *role = arg(argc, argv, "role"), *session = arg(argc, argv, "session");
	uint8_t c1[WF_KEY_LEN], c2[WF_KEY_LEN];
	uint32_t lindex, rindex;
	struct wf_esp_sa_keys k;

	memset(in, 0, sizeof(*in));
	if (!role || !session || !arg(argc, argv, "cipher") ||
	    !arg_addr(argc, argv, "local", &in->dst) || !arg_addr(argc, argv, "remote", &in->src) ||
	    !arg_u32(argc, argv, "lindex", &lindex) || !arg_u32(argc, argv, "rindex", &rindex) ||
	    !arg_u32(argc, argv, "reqid", &in->reqid) ||
	    !arg_u32(argc, argv, "if_id", &in->if_id) || !sa_limits(argc, argv, &in->limits) ||
	    !sa_encap(argc, argv, in))
		return false;
	in->cipher = cipher_of(arg(argc, argv, "cipher"));
	if (!session_keys(session, c1, c2) ||
	    !wf_esp_sa_keys(in->cipher, c1, c2, !strcmp(role, "initiator"), lindex, rindex, &k))
		return false;
	*out = *in;
	out->src = in->dst;
	out->dst = in->src;
	out->encap_sport = in->encap_dport; /* what we receive on, we send from */
	out->encap_dport = in->encap_sport;
	in->spi = k.spi_in;
	in->key = k.in;
	out->spi = k.spi_out;
	out->key = k.out;
	wf_wipe(&k, sizeof(k));
	return true;
}

static int cmd_sa(int argc, char **argv)
{
	const char *dir = arg(argc, argv, "dir");
	struct wf_xfrm_sa in, out;
	int fd, ret = 0;

	if (!dir || !sa_args(argc, argv, &in, &out))
		return die("sa", 0);
	fd = wf_xfrm_open();
	if (fd < 0)
		return die("sa", fd);
	if (strcmp(dir, "out") && (ret = wf_xfrm_sa_add(fd, &in)) == 0)
		printf("in %#x\n", in.spi);
	if (ret == 0 && strcmp(dir, "in") && (ret = wf_xfrm_sa_add(fd, &out)) == 0)
		printf("out %#x\n", out.spi);
	close(fd);
	wf_wipe(&in, sizeof(in));
	wf_wipe(&out, sizeof(out));
	return ret < 0 ? die("sa", ret) : 0;
}

static bool sa_id_args(int argc, char **argv, struct wf_xfrm_sa_id *id)
{
	return argc == 2 && wf_addr_parse(&id->dst, argv[0]) && parse_u32(argv[1], &id->spi);
}

static int cmd_sa_del(int argc, char **argv)
{
	struct wf_xfrm_sa_id id;
	int fd, ret;

	if (!sa_id_args(argc, argv, &id))
		return die("sa-del", 0);
	fd = wf_xfrm_open();
	ret = fd < 0 ? fd : wf_xfrm_sa_del(fd, &id);
	if (fd >= 0)
		close(fd);
	return ret < 0 ? die("sa-del", ret) : 0;
}

static int cmd_sa_get(int argc, char **argv)
{
	struct wf_xfrm_sa_info i;
	struct wf_xfrm_sa_id id;
	int fd, ret;

	if (!sa_id_args(argc, argv, &id))
		return die("sa-get", 0);
	fd = wf_xfrm_open();
	ret = fd < 0 ? fd : wf_xfrm_sa_get(fd, &id, &i);
	if (fd >= 0)
		close(fd);
	if (ret < 0)
		return die("sa-get", ret);
	printf("packets=%" PRIu64 " bytes=%" PRIu64 " last_used=%" PRIu64 " oseq=%" PRIu64
	       " seq=%" PRIu64 " if_id=%#x reqid=%u window=%u encap=%u:%u\n",
	       i.packets, i.bytes, i.last_used, i.oseq, i.seq, i.if_id, i.reqid, i.replay_window,
	       i.encap_sport, i.encap_dport);
	return 0;
}

/* in and fwd: from the peer's prefix to anywhere; out: to it. */
static int policies_for(int fd, struct wf_xfrm_policy *p, const struct wf_prefix *peer)
{
	static const uint8_t dirs[] = {XFRM_POLICY_IN, XFRM_POLICY_FWD, XFRM_POLICY_OUT};
	struct wf_prefix any = {.family = peer->family};
	struct wf_prefix tmpl_local = p->tmpl_src, tmpl_peer = p->tmpl_dst;
	int ret = 0;

	p->priority = wf_xfrm_priority(peer);
	for (size_t i = 0; ret == 0 && i < sizeof(dirs); i++) {
		bool out = dirs[i] == XFRM_POLICY_OUT;

		p->dir = dirs[i];
		p->src = out ? any : *peer;
		p->dst = out ? *peer : any;
		p->tmpl_src = out ? tmpl_local : tmpl_peer;
		p->tmpl_dst = out ? tmpl_peer : tmpl_local;
		ret = wf_xfrm_policy_add(fd, p);
	}
	p->tmpl_src = tmpl_local;
	p->tmpl_dst = tmpl_peer;
	return ret;
}

static int cmd_policy(int argc, char **argv)
{
	const char *peers = arg(argc, argv, "peer");
	struct wf_xfrm_policy p = {0};
	char buf[1024], *save, *tok;
	struct wf_prefix peer;
	int fd, ret = 0;

	if (!peers || strlen(peers) >= sizeof(buf) || !arg_addr(argc, argv, "local", &p.tmpl_src) ||
	    !arg_addr(argc, argv, "remote", &p.tmpl_dst) ||
	    !arg_u32(argc, argv, "reqid", &p.reqid) || !arg_u32(argc, argv, "if_id", &p.if_id))
		return die("policy", 0);
	fd = wf_xfrm_open();
	if (fd < 0)
		return die("policy", fd);
	snprintf(buf, sizeof(buf), "%s", peers);
	for (tok = strtok_r(buf, ",", &save); ret == 0 && tok; tok = strtok_r(NULL, ",", &save))
		ret = wf_prefix_parse(&peer, tok, true) ? policies_for(fd, &p, &peer) : -EINVAL;
	close(fd);
	return ret < 0 ? die("policy", ret) : 0;
}

static int cmd_flush(int argc, char **argv)
{
	struct wf_xfrm_flushed n;
	uint32_t if_id;
	int fd, ret;

	if (argc != 1 || !parse_u32(argv[0], &if_id))
		return die("flush", 0);
	fd = wf_xfrm_open();
	ret = fd < 0 ? fd : wf_xfrm_flush(fd, if_id, &n);
	if (fd >= 0)
		close(fd);
	if (ret < 0)
		return die("flush", ret);
	printf("flushed %u SAs, %u policies\n", n.sas, n.policies);
	return 0;
}

static void print_event(const struct wf_xfrm_event *ev, void *arg)
{
	char a[WF_ADDR_STRLEN], b[WF_ADDR_STRLEN], c[WF_ADDR_STRLEN];

	++*(unsigned *)arg;
	if (ev->kind == WF_XFRM_ACQUIRE) {
		printf("acquire dst %s reqid %u inner %s -> %s\n",
		       wf_prefix_str(&ev->sa.id.dst, true, a, sizeof(a)), ev->sa.reqid,
		       wf_prefix_str(&ev->sel_src, true, b, sizeof(b)),
		       wf_prefix_str(&ev->sel_dst, true, c, sizeof(c)));
	} else {
		printf("expire %s dst %s spi %#x reqid %u packets %" PRIu64 "\n",
		       ev->kind == WF_XFRM_EXPIRE_HARD ? "hard" : "soft",
		       wf_prefix_str(&ev->sa.id.dst, true, a, sizeof(a)), ev->sa.id.spi,
		       ev->sa.reqid, ev->sa.packets);
	}
	fflush(stdout);
}

static int cmd_events(int argc, char **argv)
{
	struct pollfd pfd = {.events = POLLIN};
	time_t end = time(NULL) + 600;
	uint32_t if_id, count;
	unsigned seen = 0;
	int ret = 0;

	if (argc != 2 || !parse_u32(argv[0], &if_id) || !parse_u32(argv[1], &count))
		return die("events", 0);
	pfd.fd = wf_xfrm_events_open();
	if (pfd.fd < 0)
		return die("events", pfd.fd);
	printf("ready\n");
	fflush(stdout);
	while (seen < count && time(NULL) < end && ret >= 0) {
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		ret = wf_xfrm_events_read(pfd.fd, if_id, print_event, &seen);
		if (ret == -EAGAIN)
			ret = 0;
	}
	close(pfd.fd);
	if (ret < 0)
		return die("events", ret);
	return seen < count ? die("events: timed out", -ETIMEDOUT) : 0;
}

static int cmd_encap(int argc, char **argv)
{
	union wf_endpoint ep;
	char buf[WF_ADDR_STRLEN + 8];
	int fd;

	if (argc != 2 ||
	    (size_t)snprintf(buf, sizeof(buf), strchr(argv[0], ':') ? "[%s]:%s" : "%s:%s", argv[0],
			     argv[1]) >= sizeof(buf) ||
	    !wf_endpoint_parse(&ep, buf))
		return die("encap", 0);
	fd = wf_xfrm_encap_socket(&ep);
	if (fd < 0)
		return die("encap", fd);
	printf("ready\n");
	fflush(stdout);
	/* Until SIGTERM (its default action ends us), at most 600 s. */
	for (int i = 0; i < 600; i++)
		sleep(1);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
	    {"probe", cmd_probe},   {"iface", cmd_iface},   {"iface-clean", cmd_iface_clean},
	    {"route", cmd_route},   {"sa", cmd_sa},	    {"sa-del", cmd_sa_del},
	    {"sa-get", cmd_sa_get}, {"policy", cmd_policy}, {"flush", cmd_flush},
	    {"events", cmd_events}, {"encap", cmd_encap},
	};

	wf_crypto_init();
	for (size_t i = 0; argc >= 2 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 2, argv + 2);
	fprintf(stderr, "usage: see tests/tools/xfrmctl.c\n");
	return 2;
}
