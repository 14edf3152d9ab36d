/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/offload.h"
#include "daemon/tun.h"

static const char tun_path[] = "/dev/net/tun";

/*
 * TUNSETIFF only says EINVAL when the name belongs to something it cannot
 * attach to (another device type, TAP, or a TUN whose multi-queue flag
 * differs), and EBUSY when a single-queue TUN already has its one queue
 * attached. Tell the first apart from a bad name.
 */
static int setiff_error(const char *name, int err)
{
	if (err == EINVAL && name[0] && if_nametoindex(name) != 0)
		return -EEXIST;
	return -err;
}

const char *wf_tun_strerror(int err, const char *name, char *buf, size_t len)
{
	switch (-err) {
	case EBUSY:
		snprintf(buf, len, "interface %s is in use by another process (is another weft "
				   "daemon running with interface = %s?)", name, name);
		break;
	case EEXIST:
		snprintf(buf, len, "interface %s exists and is not a TUN device weft can use (a "
				   "veth, a TAP, a multi-queue TUN...): choose another 'interface' in "
				   "weft.conf", name);
		break;
	case ENOENT:
	case ENODEV:
		snprintf(buf, len, "cannot create interface %s: the kernel has no TUN driver "
				   "(/dev/net/tun is missing: try 'modprobe tun')", name);
		break;
	case EPERM:
	case EACCES:
		snprintf(buf, len, "cannot create interface %s: permission denied (run as root, "
				   "or with CAP_NET_ADMIN and access to /dev/net/tun)", name);
		break;
	default:
		snprintf(buf, len, "cannot create interface %s: %s", name, strerror(-err));
		break;
	}
	return buf;
}

/* Does a TUN device called name exist without IFF_PERSIST (so that some
 * fd holds it)? */
static bool attached_elsewhere(const char *name)
{
	char path[64 + IFNAMSIZ], buf[32];
	unsigned long flags;
	ssize_t n;
	int fd;

	if (!name[0] || strchr(name, '%'))
		return false;
	snprintf(path, sizeof(path), "/sys/class/net/%s/tun_flags", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	flags = strtoul(buf, NULL, 0);
	return !(flags & IFF_PERSIST);
}

int wf_tun_open(char name[IFNAMSIZ], bool vnet_hdr, enum wf_tun_queue queue)
{
	struct ifreq ifr;
	int fd, err, hdr_len = WF_VNET_HDR_LEN;

	if (strnlen(name, IFNAMSIZ) >= IFNAMSIZ)
		return -EINVAL;
	/* A single-queue device says EBUSY by itself; a multi-queue one would
	 * take another queue from us. */
	if (queue == WF_TUN_FIRST && attached_elsewhere(name))
		return -EBUSY;
	fd = open(tun_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	/*
	 * No IFF_TUN_EXCL: it would also refuse an unattached persistent TUN the
	 * administrator created for us. A device in use still fails with EBUSY,
	 * because a single-queue TUN accepts only one attached fd (a
	 * multi-queue one: attached_elsewhere, above).
	 */
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (vnet_hdr ? IFF_VNET_HDR : 0) |
			(queue != WF_TUN_SINGLE ? IFF_MULTI_QUEUE : 0);
	memcpy(ifr.ifr_name, name, strnlen(name, IFNAMSIZ));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = errno;
		close(fd);
		return setiff_error(name, err);
	}
	/* 10 is the kernel's default too; say it, so that nothing else can
	 * have changed it on a persistent device. */
	if (vnet_hdr && ioctl(fd, TUNSETVNETHDRSZ, &hdr_len) < 0) {
		err = errno;
		close(fd);
		return -err;
	}
	/* The kernel NUL-terminates ifr_name; copy it back whole. */
	memcpy(name, ifr.ifr_name, IFNAMSIZ);
	name[IFNAMSIZ - 1] = '\0';
	return fd;
}

unsigned wf_tun_set_offload(int fd, unsigned want, int *err)
{
	/* Kernels before 6.2 know no USO and refuse the whole request. */
	const unsigned tries[] = {want, want & ~(unsigned)(WF_TUN_F_USO4 | WF_TUN_F_USO6)};

	*err = 0;
	for (unsigned i = 0; i < 2; i++) {
		if (i && tries[i] == tries[0])
			break;
		if (ioctl(fd, TUNSETOFFLOAD, tries[i]) == 0)
			return tries[i];
		*err = errno;
	}
	return 0;
}
