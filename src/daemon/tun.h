/* SPDX-License-Identifier: MIT */
/*
 * The TUN device: the daemon's side of the overlay interface. Layer 3 only
 * (IFF_TUN), no packet-information header (IFF_NO_PI): every read returns
 * one IPv4 or IPv6 packet and every write injects one. With a virtio-net
 * header (IFF_VNET_HDR) each packet has the 10-byte header of
 * core/offload.h in front, and after wf_tun_set_offload the kernel hands over
 * TCP (and UDP) super-packets of up to 64 KiB and packets whose checksum is
 * left to us; writes may carry super-packets too.
 */
#ifndef WEFT_TUN_H
#define WEFT_TUN_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* TUNSETOFFLOAD flags (linux/if_tun.h; the USO ones are from Linux 6.2,
 * newer than some headers). */
enum {
	WF_TUN_F_CSUM = 0x01,
	WF_TUN_F_TSO4 = 0x02,
	WF_TUN_F_TSO6 = 0x04,
	WF_TUN_F_USO4 = 0x20,
	WF_TUN_F_USO6 = 0x40,
};

/*
 * Create the TUN device called name, or attach to it if it already exists as
 * an unattached (persistent, e.g. `ip tuntap add mode tun`) TUN device. An
 * empty name lets the kernel pick one ("tun%d" patterns work too); the name
 * actually used is written back. The fd is non-blocking and close-on-exec.
 *
 * Closing the last fd of a non-persistent device makes the kernel delete it,
 * with its addresses and routes: a crashed daemon leaves nothing behind.
 *
 * vnet_hdr: every read and write has the virtio-net header in front.
 *
 * queue: WF_TUN_SINGLE, a device with one queue; WF_TUN_FIRST, the first
 * queue of a multi-queue device (one per worker: the kernel puts each flow
 * on one queue), then WF_TUN_MORE for each further queue of that device
 * (name as written back). A multi-queue device in use by someone else is
 * refused too (-EBUSY): one that exists and is not persistent has a queue
 * attached, since the kernel deletes it with its last one.
 *
 * Returns the fd or -errno; nothing is logged (wf_tun_strerror says it for a
 * user). Errors worth telling apart:
 *   -EBUSY   the device is attached to another fd: another daemon (or
 *            another instance of this one) is running for this interface;
 *   -EEXIST  an interface by that name exists but is not a TUN of that
 *            kind (a veth, a TAP, a TUN with one queue where many are
 *            asked for, or the other way round...);
 *   -EINVAL  the name does not fit IFNAMSIZ;
 *   -EPERM   missing CAP_NET_ADMIN, or not the owner of a persistent TUN;
 *   -ENOENT  no /dev/net/tun.
 */
enum wf_tun_queue { WF_TUN_SINGLE, WF_TUN_FIRST, WF_TUN_MORE };

int wf_tun_open(char name[IFNAMSIZ], bool vnet_hdr, enum wf_tun_queue queue);
/* Ask for the offloads in want (WF_TUN_F_*); returns those the kernel took:
 * want, want without USO (a kernel before 6.2), or 0 with *err = errno. */
unsigned wf_tun_set_offload(int fd, unsigned want, int *err);
/* What a wf_tun_open error means for interface name, in words a user can act
 * on; written to buf, which is returned. */
const char *wf_tun_strerror(int err, const char *name, char *buf, size_t len);

#endif
