/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/log.h"
#include "daemon/tun.h"

static const char tun_path[] = "/dev/net/tun";

/*
 * TUNSETIFF only says EINVAL when the name belongs to something it cannot
 * attach to (another device type, TAP, or a TUN whose multi-queue flag
 * differs), and EBUSY when a single-queue TUN already has its one queue
 * attached. Turn both into a message an operator can act on.
 */
static int explain_setiff_error(const char *fn, const char *name, int err)
{
	if (err == EBUSY) {
		log_warnx("%s: TUN device %s is already in use by another process "
			  "(is another weft daemon running for this interface?)",
			  fn, name);
		return -EBUSY;
	}
	if (err == EINVAL && name[0] && if_nametoindex(name) != 0) {
		log_warnx("%s: interface %s exists but is not a single-queue TUN device", fn, name);
		return -EEXIST;
	}
	return -err;
}

int wf_tun_open(char name[IFNAMSIZ])
{
	struct ifreq ifr;
	int fd, err;

	if (strnlen(name, IFNAMSIZ) >= IFNAMSIZ)
		return -EINVAL;
	fd = open(tun_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		log_warn("%s: open %s", __func__, tun_path);
		return -err;
	}
	memset(&ifr, 0, sizeof(ifr));
	/*
	 * No IFF_TUN_EXCL: it would also refuse an unattached persistent TUN the
	 * administrator created for us. A device in use still fails with EBUSY,
	 * because a single-queue TUN accepts only one attached fd.
	 *
	 * Later: IFF_MULTI_QUEUE here (then call this once per worker and attach
	 * every queue, and EBUSY no longer detects a second daemon: take a lock
	 * file instead), and IFF_VNET_HDR with TUNSETVNETHDRSZ/TUNSETOFFLOAD right
	 * after TUNSETIFF for segmentation offloads.
	 */
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	memcpy(ifr.ifr_name, name, strnlen(name, IFNAMSIZ));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = errno;
		close(fd);
		return explain_setiff_error(__func__, name, err);
	}
	/* The kernel NUL-terminates ifr_name; copy it back whole. */
	memcpy(name, ifr.ifr_name, IFNAMSIZ);
	name[IFNAMSIZ - 1] = '\0';
	return fd;
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
