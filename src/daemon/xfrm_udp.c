/* SPDX-License-Identifier: MIT */
/*
 * The ESP-in-UDP socket (RFC 3948) and the per-socket policy bypass
 * (xfrm.h). weft's own messages never travel on this socket: it has a port
 * of its own (docs/datapath.md), so the kernel may take everything that
 * looks like ESP there, and weft's wire format needs no non-ESP marker.
 */
#include <errno.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/xfrm.h"

int wf_xfrm_socket_bypass(int fd, int family)
{
	int level = family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
	int opt = family == AF_INET6 ? IPV6_XFRM_POLICY : IP_XFRM_POLICY;
	struct xfrm_userpolicy_info p;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	/* The kernel checks the selector's family and nothing else of it: an
	 * empty selector, action allow, no template. */
	for (uint8_t dir = XFRM_POLICY_IN; dir <= XFRM_POLICY_OUT; dir++) {
		memset(&p, 0, sizeof(p));
		p.sel.family = (uint16_t)family;
		p.dir = dir;
		p.action = XFRM_POLICY_ALLOW;
		if (setsockopt(fd, level, opt, &p, sizeof(p)) < 0)
			return -errno;
	}
	return 0;
}

static int encap_setup(int fd, const union wf_endpoint *addr)
{
	int family = addr->sa.sa_family, one = 1, encap = UDP_ENCAP_ESPINUDP;

	if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		return -errno;
	if (bind(fd, &addr->sa, wf_endpoint_len(addr)) < 0)
		return -errno;
	if (setsockopt(fd, IPPROTO_UDP, UDP_ENCAP, &encap, sizeof(encap)) < 0)
		return -errno;
	return wf_xfrm_socket_bypass(fd, family);
}

int wf_xfrm_encap_socket(const union wf_endpoint *addr)
{
	int family = addr->sa.sa_family, fd, ret;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_UDP);
	if (fd < 0)
		return -errno;
	ret = encap_setup(fd, addr);
	if (ret == 0)
		return fd;
	close(fd);
	return ret;
}
