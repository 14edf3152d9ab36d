/* SPDX-License-Identifier: MIT */
/*
 * The TUN device: the daemon's side of the overlay interface. Layer 3 only
 * (IFF_TUN), no packet-information header (IFF_NO_PI): every read returns
 * one bare IPv4 or IPv6 packet and every write injects one.
 */
#ifndef WEFT_TUN_H
#define WEFT_TUN_H

#include <net/if.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Create the TUN device called name, or attach to it if it already exists as
 * an unattached (persistent, e.g. `ip tuntap add mode tun`) TUN device. An
 * empty name lets the kernel pick one ("tun%d" patterns work too); the name
 * actually used is written back. The fd is non-blocking and close-on-exec.
 *
 * Closing the last fd of a non-persistent device makes the kernel delete it,
 * with its addresses and routes: a crashed daemon leaves nothing behind.
 *
 * Returns the fd or -errno; nothing is logged (wf_tun_strerror says it for a
 * user). Errors worth telling apart:
 *   -EBUSY   the device is attached to another fd: another daemon (or
 *            another instance of this one) is running for this interface;
 *   -EEXIST  an interface by that name exists but is not a single-queue TUN
 *            (a veth, a TAP, a multi-queue TUN, ...);
 *   -EINVAL  the name does not fit IFNAMSIZ;
 *   -EPERM   missing CAP_NET_ADMIN, or not the owner of a persistent TUN;
 *   -ENOENT  no /dev/net/tun.
 */
int wf_tun_open(char name[IFNAMSIZ]);
/* What a wf_tun_open error means for interface name, in words a user can act
 * on; written to buf, which is returned. */
const char *wf_tun_strerror(int err, const char *name, char *buf, size_t len);

/* Read one packet into buf (at most len bytes). Returns its length, or -errno
 * (-EAGAIN when nothing is queued: the fd is non-blocking). */
ssize_t wf_tun_read(int fd, void *buf, size_t len);
/* Write one packet. Returns the bytes written or -errno. */
ssize_t wf_tun_write(int fd, const void *buf, size_t len);

#endif
