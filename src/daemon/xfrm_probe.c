/* SPDX-License-Identifier: MIT */
/*
 * Can the running kernel do ESP with our AEAD (xfrm.h)? By doing it: add a
 * throwaway SA as the data path would, and delete it. The kernel's answers
 * tell the missing pieces apart (tests/vm/20-xfrm-module shows each):
 *
 *   socket(NETLINK_XFRM) -> EPROTONOSUPPORT   no xfrm netlink (CONFIG_XFRM_USER)
 *   the SA -> ENOSYS, "Requested AEAD algorithm not found"
 *                                             no such AEAD, or no ESP at all:
 *   the same SA with the null algorithms ->   EPROTONOSUPPORT, "Requested type
 *                                             not found": no ESP (CONFIG_INET_ESP);
 *                                             anything else: ESP, but not the AEAD
 *   EPERM                                     not allowed (CAP_NET_ADMIN)
 *
 * The AEAD is looked up before ESP itself, so a kernel with neither says
 * "AEAD not found" first; the null algorithms (which ESP's own dependencies
 * bring in: CRYPTO_AUTHENC selects CRYPTO_NULL) settle which it is.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/xfrm.h>
#include <stdio.h>
#include <string.h>

#include "daemon/xfrm.h"

static void probe_sa(struct wf_xfrm_sa *sa, enum wf_cipher cipher, int family, uint32_t if_id,
		     uint32_t spi)
{
	memset(sa, 0, sizeof(*sa));
	sa->src.family = sa->dst.family = (uint8_t)family; /* the unspecified address */
	sa->spi = spi;
	sa->if_id = if_id;
	sa->cipher = cipher;
}

/* Add the SA, trying a few reserved SPIs should one be taken. */
static int probe_add(int fd, struct wf_xfrm_sa *sa, char *ext, size_t ext_len)
{
	struct wf_nl_req r;
	int ret = -EEXIST;

	for (uint32_t spi = WF_XFRM_PROBE_SPI; ret == -EEXIST && spi > WF_XFRM_PROBE_SPI - 8;
	     spi--) {
		sa->spi = spi;
		ret = wf_xfrm_sa_msg(&r, XFRM_MSG_NEWSA, sa);
		if (ret < 0)
			return ret;
		ret = wf_nl_talk_fd(fd, &r, NULL, NULL);
		snprintf(ext, ext_len, "%s", r.ext_msg);
	}
	if (ret == 0) {
		struct wf_xfrm_sa_id id = {.dst = sa->dst, .spi = sa->spi};

		(void)wf_xfrm_sa_del(fd, &id);
	}
	return ret;
}

static void null_alg_put(struct wf_nl_req *r, uint16_t type, const char *name)
{
	struct xfrm_algo alg;

	memset(&alg, 0, sizeof(alg));
	snprintf(alg.alg_name, sizeof(alg.alg_name), "%s", name);
	wf_nl_req_put(r, type, &alg, sizeof(alg));
}

/* An SA with ESP's null algorithms, which any kernel with ESP has. */
static int probe_null(int fd, int family, uint32_t if_id)
{
	struct xfrm_usersa_info *p;
	struct wf_xfrm_sa_id id = {.dst.family = (uint8_t)family, .spi = WF_XFRM_PROBE_SPI - 8};
	struct wf_nl_req r;
	int ret;

	p = wf_nl_req_init(&r, XFRM_MSG_NEWSA, 0, sizeof(*p));
	p->id.spi = htonl(id.spi);
	p->id.proto = IPPROTO_ESP;
	p->family = (uint16_t)family;
	p->mode = XFRM_MODE_TUNNEL;
	p->flags = XFRM_STATE_AF_UNSPEC;
	p->lft.soft_byte_limit = p->lft.hard_byte_limit = XFRM_INF;
	p->lft.soft_packet_limit = p->lft.hard_packet_limit = XFRM_INF;
	null_alg_put(&r, XFRMA_ALG_CRYPT, "ecb(cipher_null)");
	null_alg_put(&r, XFRMA_ALG_AUTH, "digest_null");
	wf_nl_req_put_u32(&r, XFRMA_IF_ID, if_id);
	ret = wf_nl_talk_fd(fd, &r, NULL, NULL);
	if (ret == 0)
		(void)wf_xfrm_sa_del(fd, &id);
	return ret;
}

static const char *esp_config(int family)
{
	return family == AF_INET6 ? "ESP for IPv6 (CONFIG_INET6_ESP)"
				  : "ESP for IPv4 (CONFIG_INET_ESP)";
}

static const char *aead_config(enum wf_cipher cipher)
{
	return cipher == WF_CIPHER_CHACHAPOLY ? "CONFIG_CRYPTO_CHACHA20POLY1305"
					      : "CONFIG_CRYPTO_GCM";
}

static void explain(int err, int fd, enum wf_cipher cipher, int family, uint32_t if_id,
		    const char *ext, char *why, size_t len)
{
	const char *alg = wf_esp_aead_name(cipher);

	/* Only "no such type" says ESP is missing; another failure of the null
	 * SA leaves the AEAD as the one thing known to be missing. */
	if (err == -ENOSYS && probe_null(fd, family, if_id) != -EPROTONOSUPPORT)
		snprintf(why, len, "the kernel has no %s (%s)", alg, aead_config(cipher));
	else if (err == -ENOSYS || err == -EPROTONOSUPPORT)
		snprintf(why, len, "the kernel has no %s", esp_config(family));
	else if (err == -EPERM)
		snprintf(why, len, "not allowed to program IPsec (weft needs CAP_NET_ADMIN)");
	else
		snprintf(why, len, "adding an ESP SA with %s failed: %s%s%s", alg, strerror(-err),
			 ext[0] ? ": " : "", ext);
}

int wf_xfrm_probe(int fd, enum wf_cipher cipher, int family, uint32_t if_id, char *why,
		  size_t why_len)
{
	char ext[WF_NL_EXT_MSG_LEN] = "";
	struct wf_xfrm_sa sa;
	int ret;

	snprintf(why, why_len, "%s", "");
	if (fd < 0) { /* wf_xfrm_open's error */
		snprintf(why, why_len, "%s",
			 fd == -EPROTONOSUPPORT
			     ? "the kernel has no xfrm netlink (CONFIG_XFRM_USER)"
			     : strerror(-fd));
		return fd;
	}
	if (!wf_esp_aead_name(cipher) || (family != AF_INET && family != AF_INET6) || !if_id) {
		snprintf(why, why_len, "nothing to probe: no cipher, family or if_id");
		return -EINVAL;
	}
	probe_sa(&sa, cipher, family, if_id, WF_XFRM_PROBE_SPI);
	ret = probe_add(fd, &sa, ext, sizeof(ext));
	if (ret < 0)
		explain(ret, fd, cipher, family, if_id, ext, why, why_len);
	return ret;
}
