/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdio.h>
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

int wf_tun_open(char name[IFNAMSIZ], bool vnet_hdr)
{
	struct ifreq ifr;
	int fd, err, hdr_len = WF_VNET_HDR_LEN;

	if (strnlen(name, IFNAMSIZ) >= IFNAMSIZ)
		return -EINVAL;
	fd = open(tun_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	/*
	 * No IFF_TUN_EXCL: it would also refuse an unattached persistent TUN the
	 * administrator created for us. A device in use still fails with EBUSY,
	 * because a single-queue TUN accepts only one attached fd.
	 *
	 * Later: IFF_MULTI_QUEUE here (then call this once per worker and attach
	 * every queue, and EBUSY no longer detects a second daemon: the lock
	 * file in the node directory does).
	 */
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (vnet_hdr ? IFF_VNET_HDR : 0);
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

ssize_t wf_tun_read(int fd, void *buf, size_t len)
{
	ssize_t n = read(fd, buf, len);

	return n < 0 ? -errno : n;
}

ssize_t wf_tun_write(int fd, const void *buf, size_t len)
{
	ssize_t n = write(fd, buf, len);

	return n < 0 ? -errno : n;
}
