/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the kernel data path's netlink code, on a host whose kernel
 * has no ESP (tests/vm/20-xfrm-module runs it against a real one):
 *   - every request the xfrm module builds, read back byte by byte (an SA
 *     against offsets decoded by hand from <linux/xfrm.h>) or with a small
 *     decoder of this file's own, not nlmsg.c's;
 *   - the parsers of what the kernel sends (SAs, policies, expires,
 *     acquires, the xfrm interface's link message, acks), on messages made
 *     here, whole, cut short and wrong;
 *   - the ownership filter and the probe's reasons against a fake kernel:
 *     sendto and recvfrom are wrapped at link time (Makefile), so flush,
 *     events and the probe talk to the script in kernel_answer() below.
 * Cases are numbered so that a failure names its case.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "daemon/netlink.h"
#include "daemon/xfrm.h"

enum { W = 0x77660001, OTHER = 0x77660002 };

/* --- A decoder of our own ------------------------------------------------ */

/* The attribute of that type after a family header of hdr bytes, or NULL. */
static const struct rtattr *find(const struct nlmsghdr *nh, size_t hdr, unsigned type)
{
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(hdr);

	while (off + 4 <= nh->nlmsg_len) {
		const struct rtattr *a = (const void *)((const uint8_t *)nh + off);

		assert_true(a->rta_len >= 4 && off + a->rta_len <= nh->nlmsg_len);
		if (a->rta_type == type)
			return a;
		off += RTA_ALIGN(a->rta_len);
	}
	return NULL;
}

/* The attribute types in order, 0-terminated, into types[]. */
static void attr_types(const struct nlmsghdr *nh, size_t hdr, unsigned *types, size_t max)
{
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(hdr), n = 0;

	while (off + 4 <= nh->nlmsg_len && n + 1 < max) {
		const struct rtattr *a = (const void *)((const uint8_t *)nh + off);

		types[n++] = a->rta_type;
		off += RTA_ALIGN(a->rta_len);
	}
	assert_int_equal(off, nh->nlmsg_len); /* nothing dangling */
	types[n] = 0;
}

static uint32_t attr_u32(const struct rtattr *a)
{
	uint32_t v;

	assert_non_null(a);
	assert_int_equal(RTA_PAYLOAD(a), 4);
	memcpy(&v, RTA_DATA(a), 4);
	return v;
}

static void addr(struct wf_prefix *p, const char *s)
{
	assert_true(wf_prefix_parse(p, s, false));
}

static void expect_bytes(int n, const uint8_t *buf, size_t off, const char *hex)
{
	for (size_t i = 0; hex[2 * i]; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		if (buf[off + i] != v) {
			print_error("case %d: byte %zu is %02x, want %02x\n", n, off + i,
				    buf[off + i], v);
			fail();
		}
	}
}

/* --- Requests --------------------------------------------------------------- */

static void gcm_sa(struct wf_xfrm_sa *sa)
{
	memset(sa, 0, sizeof(*sa));
	addr(&sa->src, "198.18.20.1");
	addr(&sa->dst, "198.18.20.2");
	sa->spi = 0x2002;
	sa->reqid = 7;
	sa->if_id = W;
	sa->cipher = WF_CIPHER_AES256GCM;
	for (size_t i = 0; i < sizeof(sa->key); i++)
		((uint8_t *)&sa->key)[i] = (uint8_t)(0xa0 + i);
	sa->limits.soft_packets = 1000;
	sa->limits.hard_seconds = 180;
}

/* 1: an SA, against offsets decoded by hand: nlmsghdr 16, xfrm_usersa_info
 * 224 (id at +56, saddr +80, lft +96: bytes, packets, add seconds soft and
 * hard; family +212, mode +214, flags +216),
 * then XFRMA_ALG_AEAD (4 + 72 + 36), XFRMA_REPLAY_ESN_VAL (4 + 24 + 128 * 4),
 * XFRMA_IF_ID (4 + 4): 900 bytes. */
static void test_sa_bytes(void **state)
{
	static const struct {
		size_t off;
		const char *hex;
	} rows[] = {
	    /* clang-format off */
	    {0, "84030000" "1000" "0500"},	   /* len 900, NEWSA, REQUEST|ACK */
	    {16, "0000000000000000"},		   /* the selector: empty */
	    {72, "c6121402"},			   /* id.daddr 198.18.20.2 */
	    {88, "00002002" "32"},		   /* spi (network order), ESP */
	    {96, "c6121401"},			   /* saddr 198.18.20.1 */
	    {112, "ffffffffffffffff"},		   /* soft bytes: none (XFRM_INF) */
	    {128, "e803000000000000"},		   /* soft packets 1000 */
	    {152, "b400000000000000" "0000000000000000"}, /* hard seconds 180, no use limit */
	    {224, "07000000" "0200" "01" "00" "a0"}, /* reqid, AF_INET, tunnel, 0, ESN|AF_UNSPEC */
	    {240, "7000" "1200" "72666334313036"}, /* AEAD: len 112, type 18, "rfc4106" */
	    {308, "20010000" "80000000" "a0a1a2"}, /* 288 key bits, 128 ICV bits, the key */
	    {349, "c1c2c3"},			   /* ...its salt's last bytes */
	    {352, "1c02" "1700" "80000000"},	   /* ESN: len 540, type 23, 128 words */
	    {376, "00100000" "00000000"},	   /* window 4096, an empty bitmap */
	    {892, "0800" "1f00" "01006677"},	   /* IF_ID 0x77660001 */
	    /* clang-format on */
	};
	struct wf_xfrm_sa sa;
	struct wf_nl_req r;

	(void)state;
	gcm_sa(&sa);
	assert_int_equal(wf_xfrm_sa_msg(&r, XFRM_MSG_NEWSA, &sa), 0);
	assert_int_equal(r.u.nh.nlmsg_len, 900);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		expect_bytes(1, r.u.buf, rows[i].off, rows[i].hex);
	assert_memory_equal(r.u.buf + 316, &sa.key, 36);
}

/* 2: ChaCha, IPv6, ESP in UDP, a window of 4032: read back with our decoder */
static void test_sa_decoded(void **state)
{
	const struct xfrm_usersa_info *p;
	const struct xfrm_algo_aead *alg;
	const struct xfrm_replay_state_esn *esn;
	const struct xfrm_encap_tmpl *e;
	unsigned types[8];
	struct wf_xfrm_sa sa;
	struct wf_nl_req r;

	(void)state;
	gcm_sa(&sa);
	addr(&sa.src, "fd00:18::1");
	addr(&sa.dst, "fd00:18::2");
	sa.cipher = WF_CIPHER_CHACHAPOLY;
	sa.encap_sport = 51821;
	sa.encap_dport = 4500;
	sa.replay_window = 4032;
	assert_int_equal(wf_xfrm_sa_msg(&r, XFRM_MSG_UPDSA, &sa), 0);
	assert_int_equal(r.u.nh.nlmsg_type, XFRM_MSG_UPDSA);
	p = NLMSG_DATA(&r.u.nh);
	assert_int_equal(p->family, AF_INET6);
	assert_memory_equal(&p->id.daddr, sa.dst.addr, 16);
	assert_memory_equal(&p->saddr, sa.src.addr, 16);
	assert_int_equal(p->sel.family, 0);
	attr_types(&r.u.nh, sizeof(*p), types, 8);
	assert_int_equal(types[0], XFRMA_ALG_AEAD);
	assert_int_equal(types[1], XFRMA_REPLAY_ESN_VAL);
	assert_int_equal(types[2], XFRMA_ENCAP);
	assert_int_equal(types[3], XFRMA_IF_ID);
	assert_int_equal(types[4], 0);
	alg = RTA_DATA(find(&r.u.nh, sizeof(*p), XFRMA_ALG_AEAD));
	assert_string_equal(alg->alg_name, "rfc7539esp(chacha20,poly1305)");
	esn = RTA_DATA(find(&r.u.nh, sizeof(*p), XFRMA_REPLAY_ESN_VAL));
	assert_int_equal(esn->bmp_len, 126);
	assert_int_equal(esn->replay_window, 4032);
	assert_int_equal(RTA_PAYLOAD(find(&r.u.nh, sizeof(*p), XFRMA_REPLAY_ESN_VAL)),
			 sizeof(*esn) + 126 * 4);
	e = RTA_DATA(find(&r.u.nh, sizeof(*p), XFRMA_ENCAP));
	assert_int_equal(e->encap_type, 2); /* UDP_ENCAP_ESPINUDP */
	assert_int_equal(ntohs(e->encap_sport), 51821);
	assert_int_equal(ntohs(e->encap_dport), 4500);
	assert_int_equal(attr_u32(find(&r.u.nh, sizeof(*p), XFRMA_IF_ID)), W);
}

/* 3-9: what an SA request refuses */
static void test_sa_refused(void **state)
{
	struct wf_xfrm_sa sa;
	struct wf_nl_req r;

	(void)state;
	for (int c = 3; c <= 9; c++) {
		gcm_sa(&sa);
		/* clang-format off */
		switch (c) {
		case 3: sa.if_id = 0; break;			 /* nobody's */
		case 4: sa.spi = 0; break;			 /* "no SA" */
		case 5: addr(&sa.src, "fd00::1"); break;	 /* two families */
		case 6: sa.cipher = WF_CIPHER_NONE; break;	 /* no AEAD */
		case 7: sa.replay_window = 4097; break;	 /* past the kernel's bitmap */
		case 8: sa.encap_sport = 4500; break;		 /* one port of two */
		case 9: sa.dst.family = sa.src.family = AF_UNIX; break;
		}
		/* clang-format on */
		if (wf_xfrm_sa_msg(&r, XFRM_MSG_NEWSA, &sa) != -EINVAL) {
			print_error("case %d: accepted\n", c);
			fail();
		}
	}
	gcm_sa(&sa);
	assert_int_equal(wf_xfrm_sa_msg(&r, XFRM_MSG_DELSA, &sa), -EINVAL);
}

/* 10: DELSA and GETSA name an SA by destination, SPI and ESP */
static void test_sa_id(void **state)
{
	struct wf_xfrm_sa_id id = {.spi = 0x1001};
	const struct xfrm_usersa_id *p;
	struct wf_nl_req r;

	(void)state;
	addr(&id.dst, "198.18.20.1");
	assert_int_equal(wf_xfrm_sa_id_msg(&r, XFRM_MSG_DELSA, &id), 0);
	assert_int_equal(r.u.nh.nlmsg_len, NLMSG_LENGTH(sizeof(*p)));
	p = NLMSG_DATA(&r.u.nh);
	expect_bytes(10, (const uint8_t *)&p->daddr, 0,
		     "c6121401"
		     "000000000000000000000000");
	assert_int_equal(ntohl(p->spi), 0x1001);
	assert_int_equal(p->family, AF_INET);
	assert_int_equal(p->proto, IPPROTO_ESP);
	assert_int_equal(wf_xfrm_sa_id_msg(&r, XFRM_MSG_GETSA, &id), 0);
	assert_int_equal(r.u.nh.nlmsg_type, XFRM_MSG_GETSA);
	assert_int_equal(wf_xfrm_sa_id_msg(&r, XFRM_MSG_NEWSA, &id), -EINVAL);
}

static void policy(struct wf_xfrm_policy *p, uint8_t dir)
{
	memset(p, 0, sizeof(*p));
	p->dir = dir;
	addr(&p->src, "100.64.2.0/24");
	addr(&p->dst, "0.0.0.0/0");
	p->priority = wf_xfrm_priority(&p->src);
	p->if_id = W;
	addr(&p->tmpl_src, "198.18.20.2");
	addr(&p->tmpl_dst, "198.18.20.1");
	p->reqid = 7;
}

/* 11: an in policy: selector, template, owner */
static void test_policy_msg(void **state)
{
	const struct xfrm_userpolicy_info *pi;
	const struct xfrm_user_tmpl *t;
	struct wf_xfrm_policy p;
	struct wf_nl_req r;
	unsigned types[4];

	(void)state;
	policy(&p, XFRM_POLICY_IN);
	assert_int_equal(wf_xfrm_policy_msg(&r, XFRM_MSG_NEWPOLICY, &p), 0);
	pi = NLMSG_DATA(&r.u.nh);
	expect_bytes(11, (const uint8_t *)&pi->sel.saddr, 0, "64400200");
	assert_int_equal(pi->sel.prefixlen_s, 24);
	assert_int_equal(pi->sel.prefixlen_d, 0);
	assert_int_equal(pi->sel.family, AF_INET);
	assert_int_equal(pi->sel.proto, 0);
	assert_int_equal(pi->dir, XFRM_POLICY_IN);
	assert_int_equal(pi->action, XFRM_POLICY_ALLOW);
	assert_int_equal(pi->priority, p.priority);
	assert_true(pi->lft.hard_byte_limit == XFRM_INF && pi->lft.soft_packet_limit == XFRM_INF);
	attr_types(&r.u.nh, sizeof(*pi), types, 4);
	assert_int_equal(types[0], XFRMA_TMPL);
	assert_int_equal(types[1], XFRMA_IF_ID);
	assert_int_equal(types[2], 0);
	t = RTA_DATA(find(&r.u.nh, sizeof(*pi), XFRMA_TMPL));
	expect_bytes(11, (const uint8_t *)&t->id.daddr, 0, "c6121401");
	expect_bytes(11, (const uint8_t *)&t->saddr, 0, "c6121402");
	assert_int_equal(t->id.proto, IPPROTO_ESP);
	assert_int_equal(t->id.spi, 0);
	assert_int_equal(t->family, AF_INET);
	assert_int_equal(t->reqid, 7);
	assert_int_equal(t->mode, XFRM_MODE_TUNNEL);
	assert_true(t->aalgos == ~0u && t->ealgos == ~0u && t->calgos == ~0u);
	assert_int_equal(attr_u32(find(&r.u.nh, sizeof(*pi), XFRMA_IF_ID)), W);
	/* UPDPOLICY the same; nothing else */
	assert_int_equal(wf_xfrm_policy_msg(&r, XFRM_MSG_UPDPOLICY, &p), 0);
	assert_int_equal(r.u.nh.nlmsg_type, XFRM_MSG_UPDPOLICY);
	assert_int_equal(wf_xfrm_policy_msg(&r, XFRM_MSG_NEWSA, &p), -EINVAL);
}

/* 12-16: a policy delete by selector, and what a policy refuses */
static void test_policy_del(void **state)
{
	const struct xfrm_userpolicy_id *id;
	struct wf_xfrm_policy p;
	struct wf_nl_req r;

	(void)state;
	policy(&p, XFRM_POLICY_OUT);
	assert_int_equal(wf_xfrm_policy_del_msg(&r, &p), 0); /* 12 */
	assert_int_equal(r.u.nh.nlmsg_type, XFRM_MSG_DELPOLICY);
	id = NLMSG_DATA(&r.u.nh);
	assert_int_equal(id->dir, XFRM_POLICY_OUT);
	assert_int_equal(id->index, 0);
	assert_int_equal(id->sel.prefixlen_s, 24);
	assert_int_equal(attr_u32(find(&r.u.nh, sizeof(*id), XFRMA_IF_ID)), W);
	for (int c = 13; c <= 16; c++) {
		policy(&p, XFRM_POLICY_FWD);
		/* clang-format off */
		switch (c) {
		case 13: p.src.len = 33; break;		       /* past IPv4 */
		case 14: addr(&p.dst, "::/0"); break;	       /* two families */
		case 15: p.dir = XFRM_POLICY_FWD + 1; break;   /* a socket's */
		case 16: p.if_id = 0; break;		       /* nobody's */
		}
		/* clang-format on */
		if (wf_xfrm_policy_msg(&r, XFRM_MSG_NEWPOLICY, &p) != -EINVAL ||
		    wf_xfrm_policy_del_msg(&r, &p) != -EINVAL) {
			print_error("case %d: accepted\n", c);
			fail();
		}
	}
}

/* 17: priorities rank as routes do, longest prefix first */
static void test_priority(void **state)
{
	static const char *const order[] = {"100.64.2.1/32", "100.64.2.0/24", "100.64.0.0/10",
					    "0.0.0.0/0"};
	static const char *const order6[] = {"fd00:2::1/128", "fd00:2::/64", "fd00::/8", "::/0"};
	struct wf_prefix a, b;

	(void)state;
	for (size_t i = 0; i + 1 < 4; i++) {
		addr(&a, order[i]);
		addr(&b, order[i + 1]);
		assert_true(wf_xfrm_priority(&a) < wf_xfrm_priority(&b));
		addr(&a, order6[i]);
		addr(&b, order6[i + 1]);
		assert_true(wf_xfrm_priority(&a) < wf_xfrm_priority(&b));
	}
}

/* --- What the kernel sends ---------------------------------------------------- */

/* A plain byte buffer, not a union with a struct nlmsghdr: GCC 12's object
 * size checks (with ASan) take attributes written into such a union for
 * writes past the header. */
struct msg {
	_Alignas(8) uint8_t buf[4096];
};
#define NH(m) ((struct nlmsghdr *)(m)->buf)

static void *msg_init(struct msg *m, uint16_t type, size_t hdr)
{
	memset(m, 0, sizeof(*m));
	NH(m)->nlmsg_type = type;
	NH(m)->nlmsg_len = NLMSG_LENGTH(hdr);
	return NLMSG_DATA(NH(m));
}

static void msg_put(struct msg *m, uint16_t type, const void *data, size_t len)
{
	struct rtattr *a = (void *)(m->buf + NLMSG_ALIGN(NH(m)->nlmsg_len));

	a->rta_type = type;
	a->rta_len = (uint16_t)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	NH(m)->nlmsg_len = NLMSG_ALIGN(NH(m)->nlmsg_len) + RTA_SPACE(len);
}

/* An SA as a GETSA answer carries it: 198.18.20.1 -> .2, SPI spi, if_id. */
static void sa_info(struct xfrm_usersa_info *p, uint32_t spi)
{
	p->family = AF_INET;
	memcpy(&p->id.daddr, "\xc6\x12\x14\x02", 4);
	memcpy(&p->saddr, "\xc6\x12\x14\x01", 4);
	p->id.spi = htonl(spi);
	p->id.proto = IPPROTO_ESP;
	p->mode = XFRM_MODE_TUNNEL;
	p->reqid = 7;
	p->curlft.bytes = 123456;
	p->curlft.packets = 789;
	p->curlft.add_time = 1700000000;
	p->curlft.use_time = 1700000005;
	p->stats.replay = 3;
	p->stats.integrity_failed = 2;
}

static void sa_msg(struct msg *m, uint32_t spi, const uint32_t *if_id)
{
	struct xfrm_usersa_info *p = msg_init(m, XFRM_MSG_NEWSA, sizeof(*p));
	struct {
		struct xfrm_replay_state_esn esn;
		uint32_t bmp[4];
	} r = {.esn = {.bmp_len = 4,
		       .oseq = 5,
		       .seq = 9,
		       .oseq_hi = 1,
		       .seq_hi = 2,
		       .replay_window = 128}};
	struct xfrm_encap_tmpl e = {
	    .encap_type = 2, .encap_sport = htons(51821), .encap_dport = htons(4500)};
	uint64_t last = 1700000042;

	sa_info(p, spi);
	msg_put(m, XFRMA_REPLAY_ESN_VAL, &r, sizeof(r));
	msg_put(m, XFRMA_ENCAP, &e, sizeof(e));
	msg_put(m, XFRMA_LASTUSED, &last, sizeof(last));
	if (if_id)
		msg_put(m, XFRMA_IF_ID, if_id, 4);
}

/* 18: a GETSA answer, every field */
static void test_sa_parse(void **state)
{
	const uint32_t if_id = W;
	struct wf_xfrm_sa_info i;
	char s[WF_ADDR_STRLEN];
	struct msg m;

	(void)state;
	sa_msg(&m, 0x2002, &if_id);
	assert_int_equal(wf_xfrm_sa_parse(NH(&m), &i), 0);
	assert_string_equal(wf_prefix_str(&i.id.dst, true, s, sizeof(s)), "198.18.20.2");
	assert_string_equal(wf_prefix_str(&i.src, true, s, sizeof(s)), "198.18.20.1");
	assert_int_equal(i.id.spi, 0x2002);
	assert_int_equal(i.proto, IPPROTO_ESP);
	assert_int_equal(i.reqid, 7);
	assert_int_equal(i.if_id, W);
	assert_int_equal(i.bytes, 123456);
	assert_int_equal(i.packets, 789);
	assert_int_equal(i.add_time, 1700000000);
	assert_int_equal(i.use_time, 1700000005);
	assert_int_equal(i.last_used, 1700000042);
	assert_int_equal(i.oseq, (1ULL << 32) | 5);
	assert_int_equal(i.seq, (2ULL << 32) | 9);
	assert_int_equal(i.replay_window, 128);
	assert_int_equal(i.replay_dropped, 3);
	assert_int_equal(i.integrity_failed, 2);
	assert_int_equal(i.encap_sport, 51821);
	assert_int_equal(i.encap_dport, 4500);
}

/* 19-23: SAs that do not hold together, and what is no SA */
static void test_sa_parse_bad(void **state)
{
	struct xfrm_usersa_info *p;
	struct wf_xfrm_sa_info i;
	struct msg m;

	(void)state;
	sa_msg(&m, 0x2002, NULL);
	NH(&m)->nlmsg_len = NLMSG_LENGTH(sizeof(*p)) - 1; /* 19: cut into the info */
	assert_int_equal(wf_xfrm_sa_parse(NH(&m), &i), -EBADMSG);
	sa_msg(&m, 0x2002, NULL);
	((struct xfrm_usersa_info *)NLMSG_DATA(NH(&m)))->family = 0; /* 20: no family */
	assert_int_equal(wf_xfrm_sa_parse(NH(&m), &i), -EBADMSG);
	sa_msg(&m, 0x2002, NULL);
	NH(&m)->nlmsg_type = XFRM_MSG_NEWPOLICY; /* 21: not an SA */
	assert_int_equal(wf_xfrm_sa_parse(NH(&m), &i), -ENOMSG);
	/* 22: no attributes at all: the info alone, the rest zero */
	p = msg_init(&m, XFRM_MSG_NEWSA, sizeof(*p));
	sa_info(p, 0x2002);
	assert_int_equal(wf_xfrm_sa_parse(NH(&m), &i), 0);
	assert_int_equal(i.if_id, 0);
	assert_int_equal(i.last_used, 0);
	assert_int_equal(i.packets, 789);
	/* 23: attributes too short for what they should hold are left out */
	p = msg_init(&m, XFRM_MSG_NEWSA, sizeof(*p));
	sa_info(p, 0x2002);
	msg_put(&m, XFRMA_IF_ID, "\x01\x00", 2);
	msg_put(&m, XFRMA_REPLAY_ESN_VAL, "\x01\x00\x00\x00", 4);
	assert_int_equal(wf_xfrm_sa_parse(NH(&m), &i), 0);
	assert_int_equal(i.if_id, 0);
	assert_int_equal(i.seq, 0);
}

static void policy_dump_msg(struct msg *m, uint32_t index, uint8_t dir, const uint32_t *if_id)
{
	struct xfrm_userpolicy_info *pi = msg_init(m, XFRM_MSG_NEWPOLICY, sizeof(*pi));
	struct xfrm_user_tmpl t = {.reqid = 7, .family = AF_INET};

	pi->sel.family = AF_INET;
	memcpy(&pi->sel.saddr, "\x64\x40\x02\x00", 4);
	pi->sel.prefixlen_s = 24;
	pi->index = index;
	pi->dir = dir;
	pi->priority = 0x7008;
	msg_put(m, XFRMA_TMPL, &t, sizeof(t));
	if (if_id)
		msg_put(m, XFRMA_IF_ID, if_id, 4);
}

/* 24-26: policies from a dump */
static void test_policy_parse(void **state)
{
	const uint32_t if_id = W;
	struct wf_xfrm_policy_info i;
	char s[WF_ADDR_STRLEN];
	struct msg m;

	(void)state;
	policy_dump_msg(&m, 0x108, XFRM_POLICY_FWD, &if_id); /* 24 */
	assert_int_equal(wf_xfrm_policy_parse(NH(&m), &i), 0);
	assert_int_equal(i.index, 0x108);
	assert_int_equal(i.dir, XFRM_POLICY_FWD);
	assert_int_equal(i.if_id, W);
	assert_int_equal(i.reqid, 7);
	assert_int_equal(i.priority, 0x7008);
	assert_string_equal(wf_prefix_str(&i.src, false, s, sizeof(s)), "100.64.2.0/24");
	assert_string_equal(wf_prefix_str(&i.dst, false, s, sizeof(s)), "0.0.0.0/0");
	/* 25: a prefix longer than its family */
	policy_dump_msg(&m, 0x108, XFRM_POLICY_FWD, NULL);
	((struct xfrm_userpolicy_info *)NLMSG_DATA(NH(&m)))->sel.prefixlen_d = 33;
	assert_int_equal(wf_xfrm_policy_parse(NH(&m), &i), -EBADMSG);
	/* 26: a policy with no family (ip's default) and no prefix is read */
	policy_dump_msg(&m, 0x110, XFRM_POLICY_OUT, NULL);
	((struct xfrm_userpolicy_info *)NLMSG_DATA(NH(&m)))->sel.family = 0;
	((struct xfrm_userpolicy_info *)NLMSG_DATA(NH(&m)))->sel.prefixlen_s = 0;
	assert_int_equal(wf_xfrm_policy_parse(NH(&m), &i), 0);
	assert_int_equal(i.if_id, 0);
}

static void expire_msg(struct msg *m, uint32_t spi, bool hard, uint32_t if_id)
{
	struct xfrm_user_expire *ue = msg_init(m, XFRM_MSG_EXPIRE, sizeof(*ue));

	sa_info(&ue->state, spi);
	ue->hard = hard;
	msg_put(m, XFRMA_IF_ID, &if_id, 4);
}

static void acquire_msg(struct msg *m, uint32_t if_id, bool tmpl)
{
	struct xfrm_user_acquire *ua = msg_init(m, XFRM_MSG_ACQUIRE, sizeof(*ua));
	struct xfrm_user_tmpl t = {.family = AF_INET, .reqid = 7, .mode = XFRM_MODE_TUNNEL};

	memcpy(&ua->id.daddr, "\xc6\x12\x14\x02", 4);
	memcpy(&ua->saddr, "\xc6\x12\x14\x01", 4);
	ua->id.proto = IPPROTO_ESP;
	ua->sel.family = AF_INET;
	memcpy(&ua->sel.saddr, "\x64\x40\x01\x01", 4);
	memcpy(&ua->sel.daddr, "\x64\x40\x02\x01", 4);
	ua->sel.prefixlen_s = ua->sel.prefixlen_d = 32;
	if (tmpl)
		msg_put(m, XFRMA_TMPL, &t, sizeof(t));
	msg_put(m, XFRMA_IF_ID, &if_id, 4);
}

/* 27-31: expires and acquires */
static void test_event_parse(void **state)
{
	struct wf_xfrm_event ev;
	char s[WF_ADDR_STRLEN];
	struct msg m;

	(void)state;
	expire_msg(&m, 0x2002, false, W); /* 27 */
	assert_int_equal(wf_xfrm_event_parse(NH(&m), &ev), 0);
	assert_int_equal(ev.kind, WF_XFRM_EXPIRE_SOFT);
	assert_int_equal(ev.sa.id.spi, 0x2002);
	assert_int_equal(ev.sa.packets, 789);
	assert_int_equal(ev.sa.if_id, W);
	expire_msg(&m, 0x2002, true, W); /* 28 */
	assert_int_equal(wf_xfrm_event_parse(NH(&m), &ev), 0);
	assert_int_equal(ev.kind, WF_XFRM_EXPIRE_HARD);
	acquire_msg(&m, W, true); /* 29 */
	assert_int_equal(wf_xfrm_event_parse(NH(&m), &ev), 0);
	assert_int_equal(ev.kind, WF_XFRM_ACQUIRE);
	assert_string_equal(wf_prefix_str(&ev.sa.id.dst, true, s, sizeof(s)), "198.18.20.2");
	assert_int_equal(ev.sa.reqid, 7);
	assert_int_equal(ev.sa.if_id, W);
	assert_string_equal(wf_prefix_str(&ev.sel_src, true, s, sizeof(s)), "100.64.1.1");
	assert_string_equal(wf_prefix_str(&ev.sel_dst, true, s, sizeof(s)), "100.64.2.1");
	acquire_msg(&m, W, false); /* 30: no template, no tunnel family */
	assert_int_equal(wf_xfrm_event_parse(NH(&m), &ev), -EBADMSG);
	expire_msg(&m, 0x2002, false, W); /* 31: cut, and another kind */
	NH(&m)->nlmsg_len = NLMSG_LENGTH(sizeof(struct xfrm_user_expire)) - 8;
	assert_int_equal(wf_xfrm_event_parse(NH(&m), &ev), -EBADMSG);
	NH(&m)->nlmsg_type = XFRM_MSG_NEWSA;
	assert_int_equal(wf_xfrm_event_parse(NH(&m), &ev), -ENOMSG);
}

/* An RTM_NEWLINK with IFLA_LINKINFO { KIND kind, DATA { IF_ID if_id } }. */
static void link_msg(struct msg *m, const char *kind, bool data, uint32_t if_id)
{
	_Alignas(4) uint8_t info[64] = {0};
	_Alignas(4) uint8_t inner[16] = {0};
	struct rtattr *a = (void *)info, *d, *id = (void *)inner;
	size_t klen = strlen(kind) + 1;

	msg_init(m, RTM_NEWLINK, sizeof(struct ifinfomsg));
	a->rta_type = IFLA_INFO_KIND;
	a->rta_len = (uint16_t)RTA_LENGTH(klen);
	memcpy(RTA_DATA(a), kind, klen);
	d = (void *)(info + RTA_ALIGN(a->rta_len));
	id->rta_type = IFLA_XFRM_IF_ID;
	id->rta_len = RTA_LENGTH(4);
	memcpy(RTA_DATA(id), &if_id, 4);
	d->rta_type = IFLA_INFO_DATA;
	d->rta_len = RTA_LENGTH(RTA_SPACE(4));
	memcpy(RTA_DATA(d), inner, RTA_SPACE(4));
	msg_put(m, IFLA_LINKINFO, info, RTA_ALIGN(a->rta_len) + (data ? d->rta_len : 0));
}

/* 32-35: the xfrm interface's link message */
static void test_xfrmi_parse(void **state)
{
	uint32_t if_id = 0;
	struct msg m;

	(void)state;
	link_msg(&m, "xfrm", true, W); /* 32 */
	assert_int_equal(wf_nl_xfrmi_parse(NH(&m), &if_id), 0);
	assert_int_equal(if_id, W);
	link_msg(&m, "xfrmx", true, W); /* 33: another kind, however close */
	assert_int_equal(wf_nl_xfrmi_parse(NH(&m), &if_id), -EMEDIUMTYPE);
	link_msg(&m, "veth", true, W);
	assert_int_equal(wf_nl_xfrmi_parse(NH(&m), &if_id), -EMEDIUMTYPE);
	link_msg(&m, "xfrm", false, W); /* 34: an xfrm interface without its data */
	assert_int_equal(wf_nl_xfrmi_parse(NH(&m), &if_id), -EBADMSG);
	msg_init(&m, RTM_NEWLINK, sizeof(struct ifinfomsg)); /* 35: no link info */
	assert_int_equal(wf_nl_xfrmi_parse(NH(&m), &if_id), -EMEDIUMTYPE);
	NH(&m)->nlmsg_type = RTM_NEWADDR;
	assert_int_equal(wf_nl_xfrmi_parse(NH(&m), &if_id), 0); /* not ours to read */
}

/* An ack of seq with error err; with ext, the kernel's words too. */
static size_t ack(uint8_t *buf, uint32_t seq, int err, const char *ext)
{
	struct nlmsghdr *nh = (void *)buf;
	struct nlmsgerr *e = NLMSG_DATA(nh);
	size_t len = NLMSG_LENGTH(sizeof(*e));

	memset(buf, 0, 256);
	nh->nlmsg_type = NLMSG_ERROR;
	nh->nlmsg_seq = seq;
	e->error = err;
	e->msg.nlmsg_len = NLMSG_HDRLEN; /* capped: the request's header only */
	if (ext) {
		struct rtattr *a = (void *)(buf + NLMSG_ALIGN(len));

		nh->nlmsg_flags = NLM_F_CAPPED | NLM_F_ACK_TLVS;
		a->rta_type = NLMSGERR_ATTR_MSG;
		a->rta_len = (uint16_t)RTA_LENGTH(strlen(ext) + 1);
		memcpy(RTA_DATA(a), ext, strlen(ext) + 1);
		len = NLMSG_ALIGN(len) + RTA_SPACE(strlen(ext) + 1);
	}
	nh->nlmsg_len = (uint32_t)len;
	return len;
}

/* 36-40: reading an answer */
static void test_answer(void **state)
{
	_Alignas(8) uint8_t buf[512];
	char ext[WF_NL_EXT_MSG_LEN];
	int cb_err = 0;
	size_t n;

	(void)state;
	n = ack(buf, 5, 0, NULL); /* 36: done */
	assert_int_equal(wf_nl_parse_answer(buf, n, 5, NULL, NULL, &cb_err, ext, sizeof(ext)), 0);
	n = ack(buf, 5, -ENOSYS, "Requested AEAD algorithm not found."); /* 37 */
	assert_int_equal(wf_nl_parse_answer(buf, n, 5, NULL, NULL, &cb_err, ext, sizeof(ext)),
			 -ENOSYS);
	assert_string_equal(ext, "Requested AEAD algorithm not found.");
	n = ack(buf, 4, -EEXIST, NULL); /* 38: a stale answer is not ours */
	assert_int_equal(wf_nl_parse_answer(buf, n, 5, NULL, NULL, &cb_err, ext, sizeof(ext)), 1);
	n = ack(buf, 5, 0, NULL); /* 39: a dump's end with its error */
	((struct nlmsghdr *)buf)->nlmsg_type = NLMSG_DONE;
	((struct nlmsgerr *)NLMSG_DATA((struct nlmsghdr *)buf))->error = -EPERM;
	assert_int_equal(wf_nl_parse_answer(buf, n, 5, NULL, NULL, &cb_err, ext, sizeof(ext)),
			 -EPERM);
	n = ack(buf, 5, 0, NULL); /* 40: a length past the datagram */
	((struct nlmsghdr *)buf)->nlmsg_len = (uint32_t)n + 4;
	assert_int_equal(wf_nl_parse_answer(buf, n, 5, NULL, NULL, &cb_err, ext, sizeof(ext)),
			 -EBADMSG);
}

/* --- A fake kernel --------------------------------------------------------- */

/* What the fake kernel was asked, and what it answers. sendto() records the
 * request and queues the answer kernel_answer() makes; recvfrom() hands the
 * queue out, then EAGAIN. */
enum { MAX_REQ = 64, MAX_Q = 16 };
static struct {
	struct msg req[MAX_REQ];
	size_t n_req;
	uint8_t q[MAX_Q][8192];
	size_t q_len[MAX_Q], q_head, q_tail;
	int (*answer)(const struct nlmsghdr *req); /* an errno for the ack, or 0 */
	struct msg dump[8];			   /* a dump's entries */
	size_t n_dump;
	uint16_t dump_type;
} k;

static void kernel_reset(int (*answer)(const struct nlmsghdr *))
{
	memset(&k, 0, sizeof(k));
	k.answer = answer;
}

static void queue(const void *buf, size_t len)
{
	assert_true(k.q_tail < MAX_Q && len <= sizeof(k.q[0]));
	memcpy(k.q[k.q_tail], buf, len);
	k.q_len[k.q_tail++] = len;
}

/* A dump answer: the entries of its type, then NLMSG_DONE. */
static void answer_dump(const struct nlmsghdr *req)
{
	_Alignas(8) uint8_t buf[8192];
	size_t off = 0;
	struct nlmsghdr *done;

	for (size_t i = 0; i < k.n_dump; i++) {
		const struct nlmsghdr *e = NH(&k.dump[i]);

		if (e->nlmsg_type != k.dump_type)
			continue;
		memcpy(buf + off, e, e->nlmsg_len);
		((struct nlmsghdr *)(buf + off))->nlmsg_seq = req->nlmsg_seq;
		off += NLMSG_ALIGN(e->nlmsg_len);
	}
	done = (void *)(buf + off);
	memset(done, 0, NLMSG_LENGTH(4));
	done->nlmsg_type = NLMSG_DONE;
	done->nlmsg_len = NLMSG_LENGTH(4);
	done->nlmsg_seq = req->nlmsg_seq;
	queue(buf, off + done->nlmsg_len);
}

ssize_t __wrap_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
		      socklen_t tolen);
ssize_t __wrap_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
		      socklen_t tolen)
{
	const struct nlmsghdr *req = buf;
	_Alignas(8) uint8_t a[256];

	(void)fd, (void)flags, (void)to, (void)tolen;
	assert_true(k.n_req < MAX_REQ && len <= sizeof(k.req[0]) && req->nlmsg_len == len);
	memcpy(&k.req[k.n_req++], buf, len);
	if (req->nlmsg_flags & NLM_F_DUMP) {
		k.dump_type =
		    req->nlmsg_type == XFRM_MSG_GETSA ? XFRM_MSG_NEWSA : XFRM_MSG_NEWPOLICY;
		answer_dump(req);
	} else {
		queue(a, ack(a, req->nlmsg_seq, k.answer ? -k.answer(req) : 0, NULL));
	}
	return (ssize_t)len;
}

ssize_t __wrap_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
			socklen_t *fromlen);
ssize_t __wrap_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
			socklen_t *fromlen)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	size_t n;

	(void)fd, (void)flags;
	if (k.q_head == k.q_tail) {
		errno = EAGAIN;
		return -1;
	}
	n = k.q_len[k.q_head];
	memcpy(buf, k.q[k.q_head++], n < len ? n : len);
	memcpy(from, &kernel, sizeof(kernel));
	*fromlen = sizeof(kernel);
	return (ssize_t)n;
}

/* The requests of one type, in order. */
static size_t requests(uint16_t type, const struct nlmsghdr **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < k.n_req && n < max; i++)
		if (NH(&k.req[i])->nlmsg_type == type)
			out[n++] = NH(&k.req[i]);
	return n;
}

/* 41: the ownership filter: a dump of foreign and owned SAs and policies;
 * only the owned ones are deleted, each by what names it */
static void test_flush_owned(void **state)
{
	static const uint32_t w = W, other = OTHER;
	const struct nlmsghdr *del[16];
	struct wf_xfrm_flushed n;
	const struct xfrm_userpolicy_id *pid;
	const struct xfrm_usersa_id *sid;

	(void)state;
	kernel_reset(NULL);
	sa_msg(&k.dump[0], 0x1001, &w);	    /* ours */
	sa_msg(&k.dump[1], 0x999, NULL);    /* made by hand */
	sa_msg(&k.dump[2], 0x1003, &other); /* another owner's */
	sa_msg(&k.dump[3], 0x2002, &w);	    /* ours */
	policy_dump_msg(&k.dump[4], 0x100, XFRM_POLICY_IN, &w);
	policy_dump_msg(&k.dump[5], 0x108, XFRM_POLICY_OUT, NULL);
	policy_dump_msg(&k.dump[6], 0x111, XFRM_POLICY_FWD, &other);
	policy_dump_msg(&k.dump[7], 0x11a, XFRM_POLICY_FWD, &w);
	k.n_dump = 8;
	assert_int_equal(wf_xfrm_flush(3, W, &n), 0);
	assert_int_equal(n.sas, 2);
	assert_int_equal(n.policies, 2);
	assert_int_equal(requests(XFRM_MSG_DELSA, del, 16), 2);
	sid = NLMSG_DATA(del[0]);
	assert_int_equal(ntohl(sid->spi), 0x1001);
	sid = NLMSG_DATA(del[1]);
	assert_int_equal(ntohl(sid->spi), 0x2002);
	expect_bytes(41, (const uint8_t *)&sid->daddr, 0, "c6121402");
	assert_int_equal(requests(XFRM_MSG_DELPOLICY, del, 16), 2);
	pid = NLMSG_DATA(del[0]);
	assert_int_equal(pid->index, 0x100);
	assert_int_equal(pid->dir, XFRM_POLICY_IN);
	assert_int_equal(attr_u32(find(del[0], sizeof(*pid), XFRMA_IF_ID)), W);
	pid = NLMSG_DATA(del[1]);
	assert_int_equal(pid->index, 0x11a);
	assert_int_equal(pid->dir, XFRM_POLICY_FWD);
	/* Policies went first: their DELPOLICYs precede the SA dump. */
	assert_int_equal(NH(&k.req[0])->nlmsg_type, XFRM_MSG_GETPOLICY);
	assert_int_equal(NH(&k.req[3])->nlmsg_type, XFRM_MSG_GETSA);
	/* No if_id, no flush: it would be everybody's. */
	assert_int_equal(wf_xfrm_flush(3, 0, &n), -EINVAL);
}

static int gone_answer(const struct nlmsghdr *req)
{
	const struct xfrm_usersa_id *id = NLMSG_DATA(req);

	return req->nlmsg_type == XFRM_MSG_DELSA && ntohl(id->spi) == 0x1001 ? ESRCH : 0;
}

static int refuse_answer(const struct nlmsghdr *req)
{
	return req->nlmsg_type == XFRM_MSG_DELSA ? EPERM : 0;
}

/* 42-43: an SA gone between the dump and the delete is no error; a refusal is */
static void test_flush_errors(void **state)
{
	static const uint32_t w = W;
	struct wf_xfrm_flushed n;

	(void)state;
	kernel_reset(gone_answer);
	sa_msg(&k.dump[0], 0x1001, &w);
	sa_msg(&k.dump[1], 0x2002, &w);
	k.n_dump = 2;
	assert_int_equal(wf_xfrm_flush(3, W, &n), 0);
	assert_int_equal(n.sas, 1);
	kernel_reset(refuse_answer);
	sa_msg(&k.dump[0], 0x1001, &w);
	k.n_dump = 1;
	assert_int_equal(wf_xfrm_flush(3, W, &n), -EPERM);
}

static void count_event(const struct wf_xfrm_event *ev, void *arg)
{
	unsigned *seen = arg;

	seen[ev->kind]++;
}

/* 44: a datagram of events: only those of our if_id are handed over */
static void test_events_read(void **state)
{
	unsigned seen[4] = {0};
	_Alignas(8) uint8_t buf[4096];
	size_t off = 0;
	struct msg m;

	(void)state;
	kernel_reset(NULL);
	expire_msg(&m, 0x2002, false, W);
	memcpy(buf + off, &m, NH(&m)->nlmsg_len);
	off += NLMSG_ALIGN(NH(&m)->nlmsg_len);
	expire_msg(&m, 0x2003, true, OTHER);
	memcpy(buf + off, &m, NH(&m)->nlmsg_len);
	off += NLMSG_ALIGN(NH(&m)->nlmsg_len);
	acquire_msg(&m, W, true);
	memcpy(buf + off, &m, NH(&m)->nlmsg_len);
	off += NLMSG_ALIGN(NH(&m)->nlmsg_len);
	queue(buf, off);
	assert_int_equal(wf_xfrm_events_read(3, W, count_event, seen), 2);
	assert_int_equal(seen[WF_XFRM_EXPIRE_SOFT], 1);
	assert_int_equal(seen[WF_XFRM_EXPIRE_HARD], 0);
	assert_int_equal(seen[WF_XFRM_ACQUIRE], 1);
	assert_int_equal(wf_xfrm_events_read(3, W, count_event, seen), -EAGAIN);
}

/* The probe's kernel: the AEAD SA answered aead_err, the null SA null_err. */
static int probe_aead_err, probe_null_err;

static int probe_answer(const struct nlmsghdr *req)
{
	size_t hdr = sizeof(struct xfrm_usersa_info);

	if (req->nlmsg_type != XFRM_MSG_NEWSA)
		return 0;
	return find(req, hdr, XFRMA_ALG_AEAD) ? probe_aead_err : probe_null_err;
}

/* 45-50: the probe's reasons, and what it leaves behind */
static void test_probe(void **state)
{
	static const struct {
		int aead, null;
		enum wf_cipher cipher;
		int family, ret;
		const char *why;
	} rows[] = {
	    {0, 0, WF_CIPHER_AES256GCM, AF_INET, 0, ""}, /* 45 */
	    {ENOSYS, EPROTONOSUPPORT, WF_CIPHER_AES256GCM, AF_INET, -ENOSYS,
	     "the kernel has no ESP for IPv4 (CONFIG_INET_ESP)"}, /* 46 */
	    {ENOSYS, 0, WF_CIPHER_CHACHAPOLY, AF_INET6, -ENOSYS,
	     "the kernel has no rfc7539esp(chacha20,poly1305) (CONFIG_CRYPTO_CHACHA20POLY1305)"},
	    {ENOSYS, ENOENT, WF_CIPHER_AES256GCM, AF_INET, -ENOSYS,
	     "the kernel has no rfc4106(gcm(aes)) (CONFIG_CRYPTO_GCM)"}, /* 48 */
	    {EPROTONOSUPPORT, 0, WF_CIPHER_AES256GCM, AF_INET6, -EPROTONOSUPPORT,
	     "the kernel has no ESP for IPv6 (CONFIG_INET6_ESP)"},
	    {EPERM, 0, WF_CIPHER_AES256GCM, AF_INET, -EPERM,
	     "not allowed to program IPsec (weft needs CAP_NET_ADMIN)"}, /* 50 */
	};
	char why[WF_XFRM_WHY_LEN];
	const struct nlmsghdr *del[4];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		kernel_reset(probe_answer);
		probe_aead_err = rows[i].aead;
		probe_null_err = rows[i].null;
		if (wf_xfrm_probe(3, rows[i].cipher, rows[i].family, W, why, sizeof(why)) !=
			rows[i].ret ||
		    strcmp(why, rows[i].why)) {
			print_error("case %zu: '%s'\n", i + 45, why);
			fail();
		}
		/* Whatever it added, it deleted: one DELSA for each SA accepted. */
		assert_int_equal(requests(XFRM_MSG_DELSA, del, 4),
				 (rows[i].aead == 0) +
				     (rows[i].aead == ENOSYS && rows[i].null == 0));
	}
	assert_int_equal(
	    wf_xfrm_probe(-EPROTONOSUPPORT, WF_CIPHER_AES256GCM, AF_INET, W, why, sizeof(why)),
	    -EPROTONOSUPPORT);
	assert_string_equal(why, "the kernel has no xfrm netlink (CONFIG_XFRM_USER)");
}

static int taken_answer(const struct nlmsghdr *req)
{
	const struct xfrm_usersa_info *p = NLMSG_DATA(req);

	return req->nlmsg_type == XFRM_MSG_NEWSA && ntohl(p->id.spi) == WF_XFRM_PROBE_SPI ? EEXIST
											  : 0;
}

/* 51: the probe's SPI taken: the next reserved one, on the unspecified
 * address, with the owner's if_id */
static void test_probe_taken(void **state)
{
	const struct nlmsghdr *add[4];
	const struct xfrm_usersa_info *p;
	char why[WF_XFRM_WHY_LEN];
	static const uint8_t zero[16];

	(void)state;
	kernel_reset(taken_answer);
	assert_int_equal(wf_xfrm_probe(3, WF_CIPHER_AES256GCM, AF_INET, W, why, sizeof(why)), 0);
	assert_int_equal(requests(XFRM_MSG_NEWSA, add, 4), 2);
	p = NLMSG_DATA(add[1]);
	assert_int_equal(ntohl(p->id.spi), WF_XFRM_PROBE_SPI - 1);
	assert_memory_equal(&p->id.daddr, zero, 16);
	assert_int_equal(attr_u32(find(add[1], sizeof(*p), XFRMA_IF_ID)), W);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sa_bytes),	 cmocka_unit_test(test_sa_decoded),
	    cmocka_unit_test(test_sa_refused),	 cmocka_unit_test(test_sa_id),
	    cmocka_unit_test(test_policy_msg),	 cmocka_unit_test(test_policy_del),
	    cmocka_unit_test(test_priority),	 cmocka_unit_test(test_sa_parse),
	    cmocka_unit_test(test_sa_parse_bad), cmocka_unit_test(test_policy_parse),
	    cmocka_unit_test(test_event_parse),	 cmocka_unit_test(test_xfrmi_parse),
	    cmocka_unit_test(test_answer),	 cmocka_unit_test(test_flush_owned),
	    cmocka_unit_test(test_flush_errors), cmocka_unit_test(test_events_read),
	    cmocka_unit_test(test_probe),	 cmocka_unit_test(test_probe_taken),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
