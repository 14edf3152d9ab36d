/* SPDX-License-Identifier: MIT */
/*
 * NETLINK_XFRM messages (xfrm.h): each request built by a small function
 * that only fills a buffer (so the tests can read it back), then sent with
 * nlmsg.h. The kernel's structures are those of <linux/xfrm.h>; addresses in
 * them are 16 bytes whatever the family, in network order like the SPI.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/xfrm.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "daemon/xfrm.h"

/* --- Small helpers ------------------------------------------------------- */

static bool family_ok(int family)
{
	return family == AF_INET || family == AF_INET6;
}

/* Two tunnel endpoints: known family, the same for both. */
static bool endpoints_ok(const struct wf_prefix *src, const struct wf_prefix *dst)
{
	return family_ok(dst->family) && src->family == dst->family;
}

static bool prefix_ok(const struct wf_prefix *p)
{
	return family_ok(p->family) && p->len <= 8 * wf_family_addr_len(p->family);
}

static void addr_put(xfrm_address_t *x, const struct wf_prefix *p)
{
	memset(x, 0, sizeof(*x));
	memcpy(x, p->addr, wf_family_addr_len(p->family));
}

static uint64_t limit(uint64_t v)
{
	return v ? v : XFRM_INF;
}

static void lifetime_put(struct xfrm_lifetime_cfg *lft, const struct wf_xfrm_limits *l)
{
	lft->soft_byte_limit = limit(l->soft_bytes);
	lft->hard_byte_limit = limit(l->hard_bytes);
	lft->soft_packet_limit = limit(l->soft_packets);
	lft->hard_packet_limit = limit(l->hard_packets);
	lft->soft_add_expires_seconds = l->soft_seconds; /* 0: none */
	lft->hard_add_expires_seconds = l->hard_seconds;
}

int wf_xfrm_open(void)
{
	return wf_nl_open(NETLINK_XFRM);
}

/* --- SAs ------------------------------------------------------------------ */

/* XFRMA_ALG_AEAD: the kernel's name, key || salt, and a 128-bit ICV. */
static void aead_put(struct wf_nl_req *r, const char *name, const struct wf_esp_key *k)
{
	struct rtattr *a =
	    wf_nl_req_put(r, XFRMA_ALG_AEAD, NULL, sizeof(struct xfrm_algo_aead) + sizeof(*k));
	struct xfrm_algo_aead *alg;

	if (!a)
		return;
	alg = RTA_DATA(a);
	snprintf(alg->alg_name, sizeof(alg->alg_name), "%s", name);
	alg->alg_key_len = 8 * sizeof(*k); /* in bits */
	alg->alg_icv_len = WF_ESP_ICV_BITS;
	memcpy(alg->alg_key, k, sizeof(*k));
}

/* XFRMA_REPLAY_ESN_VAL: a fresh ESN state whose bitmap covers the window. */
static void replay_put(struct wf_nl_req *r, uint32_t window)
{
	uint32_t words = (window + 31) / 32;
	struct rtattr *a = wf_nl_req_put(r, XFRMA_REPLAY_ESN_VAL, NULL,
					 sizeof(struct xfrm_replay_state_esn) + 4 * words);
	struct xfrm_replay_state_esn *esn;

	if (!a)
		return;
	esn = RTA_DATA(a);
	esn->bmp_len = words;
	esn->replay_window = window;
}

static void encap_put(struct wf_nl_req *r, uint16_t sport, uint16_t dport)
{
	struct xfrm_encap_tmpl e = {
	    .encap_type = UDP_ENCAP_ESPINUDP,
	    .encap_sport = htons(sport),
	    .encap_dport = htons(dport),
	};

	wf_nl_req_put(r, XFRMA_ENCAP, &e, sizeof(e));
}

static bool sa_ok(const struct wf_xfrm_sa *sa, uint32_t window)
{
	return wf_esp_aead_name(sa->cipher) && endpoints_ok(&sa->src, &sa->dst) && sa->spi &&
	       sa->if_id && window <= WF_XFRM_REPLAY_WINDOW && window > 0 &&
	       !sa->encap_sport == !sa->encap_dport;
}

int wf_xfrm_sa_msg(struct wf_nl_req *r, uint16_t type, const struct wf_xfrm_sa *sa)
{
	uint32_t window = sa->replay_window ? sa->replay_window : WF_XFRM_REPLAY_WINDOW;
	struct xfrm_usersa_info *p;

	if (!sa_ok(sa, window) || (type != XFRM_MSG_NEWSA && type != XFRM_MSG_UPDSA))
		return -EINVAL;
	p = wf_nl_req_init(r, type, 0, sizeof(*p));
	addr_put(&p->id.daddr, &sa->dst);
	p->id.spi = htonl(sa->spi);
	p->id.proto = IPPROTO_ESP;
	addr_put(&p->saddr, &sa->src);
	p->family = sa->dst.family;
	p->mode = XFRM_MODE_TUNNEL;
	p->reqid = sa->reqid;
	/* The selector stays empty (AF_UNSPEC): IPv4 and IPv6 inside. */
	p->flags = XFRM_STATE_ESN | XFRM_STATE_AF_UNSPEC;
	lifetime_put(&p->lft, &sa->limits);
	aead_put(r, wf_esp_aead_name(sa->cipher), &sa->key);
	replay_put(r, window);
	if (sa->encap_sport)
		encap_put(r, sa->encap_sport, sa->encap_dport);
	wf_nl_req_put_u32(r, XFRMA_IF_ID, sa->if_id);
	return r->overflow ? -EMSGSIZE : 0;
}

/* The request holds a key: wipe it whatever happened. */
static int sa_send(int fd, uint16_t type, const struct wf_xfrm_sa *sa)
{
	struct wf_nl_req r;
	int ret = wf_xfrm_sa_msg(&r, type, sa);

	if (ret < 0) /* refused before anything was written */
		return ret;
	ret = wf_nl_talk_fd(fd, &r, NULL, NULL);
	if (ret < 0 && r.ext_msg[0])
		log_debug("%s: SPI %#x: %s", __func__, sa->spi, r.ext_msg);
	wf_wipe(&r, sizeof(r));
	return ret;
}

int wf_xfrm_sa_add(int fd, const struct wf_xfrm_sa *sa)
{
	return sa_send(fd, XFRM_MSG_NEWSA, sa);
}

int wf_xfrm_sa_update(int fd, const struct wf_xfrm_sa *sa)
{
	return sa_send(fd, XFRM_MSG_UPDSA, sa);
}

int wf_xfrm_sa_id_msg(struct wf_nl_req *r, uint16_t type, const struct wf_xfrm_sa_id *id)
{
	struct xfrm_usersa_id *p;

	if (!family_ok(id->dst.family) || (type != XFRM_MSG_DELSA && type != XFRM_MSG_GETSA))
		return -EINVAL;
	p = wf_nl_req_init(r, type, 0, sizeof(*p));
	addr_put(&p->daddr, &id->dst);
	p->spi = htonl(id->spi);
	p->family = id->dst.family;
	p->proto = IPPROTO_ESP;
	return 0;
}

int wf_xfrm_sa_del(int fd, const struct wf_xfrm_sa_id *id)
{
	struct wf_nl_req r;
	int ret = wf_xfrm_sa_id_msg(&r, XFRM_MSG_DELSA, id);

	return ret < 0 ? ret : wf_nl_talk_fd(fd, &r, NULL, NULL);
}

static int sa_reply(const struct nlmsghdr *nh, void *arg)
{
	return wf_xfrm_sa_parse(nh, arg);
}

int wf_xfrm_sa_get(int fd, const struct wf_xfrm_sa_id *id, struct wf_xfrm_sa_info *info)
{
	struct wf_nl_req r;
	int ret = wf_xfrm_sa_id_msg(&r, XFRM_MSG_GETSA, id);

	memset(info, 0, sizeof(*info));
	return ret < 0 ? ret : wf_nl_talk_fd(fd, &r, sa_reply, info);
}

/* --- Policies ------------------------------------------------------------- */

uint32_t wf_xfrm_priority(const struct wf_prefix *p)
{
	/* The kernel's policies by default have priority 0; ip(8) and IKE
	 * daemons use a few thousand. Ours sit in a band of their own, one step
	 * per prefix bit, longest first. */
	unsigned max = 8 * (unsigned)wf_family_addr_len(p->family);

	return 0x7000 + (max > p->len ? max - p->len : 0);
}

static bool selector_ok(const struct wf_xfrm_policy *p)
{
	return prefix_ok(&p->src) && prefix_ok(&p->dst) && p->src.family == p->dst.family &&
	       p->dir <= XFRM_POLICY_FWD && p->if_id;
}

static void selector_put(struct xfrm_selector *sel, const struct wf_xfrm_policy *p)
{
	addr_put(&sel->saddr, &p->src);
	addr_put(&sel->daddr, &p->dst);
	sel->prefixlen_s = p->src.len;
	sel->prefixlen_d = p->dst.len;
	sel->family = p->src.family;
}

static void tmpl_put(struct wf_nl_req *r, const struct wf_xfrm_policy *p)
{
	struct xfrm_user_tmpl t;

	memset(&t, 0, sizeof(t));
	addr_put(&t.id.daddr, &p->tmpl_dst);
	t.id.proto = IPPROTO_ESP; /* spi 0: any SA between the two, of this reqid */
	t.family = p->tmpl_dst.family;
	addr_put(&t.saddr, &p->tmpl_src);
	t.reqid = p->reqid;
	t.mode = XFRM_MODE_TUNNEL;
	/* Every algorithm (ip(8)'s default): AEAD SAs have no auth algorithm,
	 * and a template that asked for one would refuse them on input. */
	t.aalgos = t.ealgos = t.calgos = ~0u;
	wf_nl_req_put(r, XFRMA_TMPL, &t, sizeof(t));
}

static int policy_msg(struct wf_nl_req *r, uint16_t type, const struct wf_xfrm_policy *p)
{
	struct xfrm_userpolicy_info *pi;
	const struct wf_xfrm_limits none = {0};

	if (!selector_ok(p) || !endpoints_ok(&p->tmpl_src, &p->tmpl_dst))
		return -EINVAL;
	pi = wf_nl_req_init(r, type, 0, sizeof(*pi));
	selector_put(&pi->sel, p);
	lifetime_put(&pi->lft, &none);
	pi->priority = p->priority;
	pi->dir = p->dir;
	pi->action = XFRM_POLICY_ALLOW;
	pi->share = XFRM_SHARE_ANY;
	tmpl_put(r, p);
	wf_nl_req_put_u32(r, XFRMA_IF_ID, p->if_id);
	return r->overflow ? -EMSGSIZE : 0;
}

int wf_xfrm_policy_msg(struct wf_nl_req *r, uint16_t type, const struct wf_xfrm_policy *p)
{
	if (type != XFRM_MSG_NEWPOLICY && type != XFRM_MSG_UPDPOLICY)
		return -EINVAL;
	return policy_msg(r, type, p);
}

static int policy_send(int fd, uint16_t type, const struct wf_xfrm_policy *p)
{
	struct wf_nl_req r;
	int ret = policy_msg(&r, type, p);

	return ret < 0 ? ret : wf_nl_talk_fd(fd, &r, NULL, NULL);
}

int wf_xfrm_policy_add(int fd, const struct wf_xfrm_policy *p)
{
	return policy_send(fd, XFRM_MSG_NEWPOLICY, p);
}

int wf_xfrm_policy_update(int fd, const struct wf_xfrm_policy *p)
{
	return policy_send(fd, XFRM_MSG_UPDPOLICY, p);
}

int wf_xfrm_policy_del_msg(struct wf_nl_req *r, const struct wf_xfrm_policy *p)
{
	struct xfrm_userpolicy_id *id;

	if (!selector_ok(p))
		return -EINVAL;
	id = wf_nl_req_init(r, XFRM_MSG_DELPOLICY, 0, sizeof(*id));
	selector_put(&id->sel, p);
	id->dir = p->dir;
	wf_nl_req_put_u32(r, XFRMA_IF_ID, p->if_id);
	return r->overflow ? -EMSGSIZE : 0;
}

int wf_xfrm_policy_del(int fd, const struct wf_xfrm_policy *p)
{
	struct wf_nl_req r;
	int ret = wf_xfrm_policy_del_msg(&r, p);

	return ret < 0 ? ret : wf_nl_talk_fd(fd, &r, NULL, NULL);
}

/* --- Flushing what we own ------------------------------------------------- */

/* What a dump found of ours, to delete once the dump is over (requests
 * cannot go out on the socket in the middle of it, and deleting while the
 * kernel walks its tables could make it skip entries). */
struct owned {
	uint32_t if_id;
	size_t size; /* of one entry */
	size_t n, cap;
	void *v;
};

/* A new entry at the end, or NULL. */
static void *owned_add(struct owned *o)
{
	if (o->n == o->cap) {
		size_t cap = o->cap ? 2 * o->cap : 16;
		void *v = reallocarray(o->v, cap, o->size);

		if (!v)
			return NULL;
		o->v = v;
		o->cap = cap;
	}
	return (uint8_t *)o->v + o->size * o->n++;
}

static int collect_sa(const struct nlmsghdr *nh, void *arg)
{
	struct owned *o = arg;
	struct wf_xfrm_sa_info info;
	struct wf_xfrm_sa_id *id;
	int ret = wf_xfrm_sa_parse(nh, &info);

	if (ret == -ENOMSG)
		return 0;
	if (ret < 0)
		return ret;
	/* Ours: our if_id. (We make ESP SAs only, and delete those only.) */
	if (info.if_id != o->if_id || info.proto != IPPROTO_ESP)
		return 0;
	id = owned_add(o);
	if (!id)
		return -ENOMEM;
	*id = info.id;
	return 0;
}

static int collect_policy(const struct nlmsghdr *nh, void *arg)
{
	struct owned *o = arg;
	struct wf_xfrm_policy_info info, *p;
	int ret = wf_xfrm_policy_parse(nh, &info);

	if (ret == -ENOMSG)
		return 0;
	if (ret < 0)
		return ret;
	if (info.if_id != o->if_id)
		return 0;
	p = owned_add(o);
	if (!p)
		return -ENOMEM;
	*p = info;
	return 0;
}

/* A dump request: no family header, no filter. */
static int dump(int fd, uint16_t type, wf_nl_reply_fn cb, void *arg)
{
	struct wf_nl_req r;

	wf_nl_req_init(&r, type, NLM_F_DUMP, 0);
	return wf_nl_talk_fd(fd, &r, cb, arg);
}

static int policy_del_index(int fd, const struct wf_xfrm_policy_info *p)
{
	struct xfrm_userpolicy_id *id;
	struct wf_nl_req r;

	id = wf_nl_req_init(&r, XFRM_MSG_DELPOLICY, 0, sizeof(*id));
	id->index = p->index;
	id->dir = p->dir;
	wf_nl_req_put_u32(&r, XFRMA_IF_ID, p->if_id);
	return wf_nl_talk_fd(fd, &r, NULL, NULL);
}

struct each_sa {
	uint32_t if_id;
	void (*cb)(const struct wf_xfrm_sa_info *, void *);
	void *arg;
};

static int each_sa(const struct nlmsghdr *nh, void *arg)
{
	struct each_sa *e = arg;
	struct wf_xfrm_sa_info info;
	int ret = wf_xfrm_sa_parse(nh, &info);

	if (ret == -ENOMSG)
		return 0;
	if (ret < 0)
		return ret;
	if (info.if_id == e->if_id && info.proto == IPPROTO_ESP)
		e->cb(&info, e->arg);
	return 0;
}

int wf_xfrm_sa_each(int fd, uint32_t if_id, void (*cb)(const struct wf_xfrm_sa_info *, void *),
		    void *arg)
{
	struct each_sa e = {.if_id = if_id, .cb = cb, .arg = arg};

	return if_id ? dump(fd, XFRM_MSG_GETSA, each_sa, &e) : -EINVAL;
}

/* Gone between the dump and the delete (an SA that expired) is fine. */
static int flush_sas(int fd, uint32_t if_id, unsigned *count)
{
	struct owned o = {.if_id = if_id, .size = sizeof(struct wf_xfrm_sa_id)};
	const struct wf_xfrm_sa_id *ids;
	int ret = dump(fd, XFRM_MSG_GETSA, collect_sa, &o);

	ids = o.v;
	for (size_t i = 0; ret == 0 && i < o.n; i++) {
		ret = wf_xfrm_sa_del(fd, &ids[i]);
		if (ret == 0)
			++*count;
		else if (ret == -ESRCH)
			ret = 0;
	}
	free(o.v);
	return ret;
}

static int flush_policies(int fd, uint32_t if_id, unsigned *count)
{
	struct owned o = {.if_id = if_id, .size = sizeof(struct wf_xfrm_policy_info)};
	const struct wf_xfrm_policy_info *pols;
	int ret = dump(fd, XFRM_MSG_GETPOLICY, collect_policy, &o);

	pols = o.v;
	for (size_t i = 0; ret == 0 && i < o.n; i++) {
		ret = policy_del_index(fd, &pols[i]);
		if (ret == 0)
			++*count;
		else if (ret == -ENOENT)
			ret = 0;
	}
	free(o.v);
	return ret;
}

int wf_xfrm_flush(int fd, uint32_t if_id, struct wf_xfrm_flushed *n)
{
	struct wf_xfrm_flushed none;
	int ret;

	if (!n)
		n = &none;
	memset(n, 0, sizeof(*n));
	if (if_id == 0) /* would be everyone's SAs without an interface */
		return -EINVAL;
	/* Policies first: with their SAs gone and the policies still there,
	 * packets would be dropped rather than sent on in clear anyway (the
	 * xfrm interface has no other way out), but there is no reason to
	 * make the kernel send acquires for SAs that will never come. */
	ret = flush_policies(fd, if_id, &n->policies);
	return ret < 0 ? ret : flush_sas(fd, if_id, &n->sas);
}
