/* SPDX-License-Identifier: MIT */
/*
 * The kernel's IPsec (xfrm) over NETLINK_XFRM, with nothing beyond libc: the
 * SAs and policies of weft's kernel data path (docs/datapath.md), its expire
 * and acquire events, the ESP-in-UDP socket, and a probe of what the running
 * kernel can do. One small function per message. Control thread only.
 *
 * Ownership: everything weft makes carries its if_id (XFRMA_IF_ID), the
 * if_id of its own xfrm interface (netlink.h, wf_nl_xfrmi_add). wf_xfrm_flush
 * removes the SAs and policies with that if_id, and nothing else: not an SA
 * made by hand, not another IPsec daemon's, not another weft's with another
 * if_id. No marks: they are shared with netfilter and policy routing, while
 * an if_id means something to xfrm only, and the interface needs it anyway.
 *
 * SAs are in tunnel mode between the two nodes' underlay addresses, with the
 * selector left open (AF_UNSPEC, XFRM_STATE_AF_UNSPEC), so one SA pair carries
 * IPv4 and IPv6 inside IPv4 or IPv6 outside; which inner addresses a peer may
 * use is the policies' business (cryptokey routing, in the kernel).
 *
 * Every function returns 0 or -errno unless it says otherwise; addresses are
 * struct wf_prefix with len ignored (the tunnel's endpoints) or used (the
 * policies' selectors).
 */
#ifndef WEFT_XFRM_H
#define WEFT_XFRM_H

#include <linux/xfrm.h> /* XFRM_POLICY_IN, _OUT, _FWD */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "core/esp.h"
#include "daemon/nlmsg.h"

enum {
	/* The ESN replay window: the most the kernel allows (XFRMA_REPLAY_ESN_MAX
	 * bits), above userspace's 4032 (core/replay.h). */
	WF_XFRM_REPLAY_WINDOW = 4096,
	WF_XFRM_PROBE_SPI = 0xff, /* reserved (RFC 4303): no SA of anyone's */
	WF_XFRM_WHY_LEN = 160,
};

/* An SA's limits; 0 means none. The kernel sends a soft expire when one of
 * the soft limits is reached (time for a new handshake) and deletes the SA,
 * with a hard expire, at a hard one. Seconds count from the SA's creation. */
struct wf_xfrm_limits {
	uint64_t soft_bytes, hard_bytes;
	uint64_t soft_packets, hard_packets;
	uint64_t soft_seconds, hard_seconds;
};

/* One ESP SA, one direction. */
struct wf_xfrm_sa {
	struct wf_prefix src, dst; /* the tunnel's outer addresses, one family */
	uint32_t spi;		   /* >= WF_ESP_SPI_MIN; host order */
	uint32_t reqid;		   /* what the policies' templates name (one per peer) */
	uint32_t if_id;		   /* the owner's: never 0 */
	enum wf_cipher cipher;
	struct wf_esp_key key;
	uint16_t encap_sport, encap_dport; /* ESP in UDP (RFC 3948) if non-zero; host order */
	uint32_t replay_window;		   /* 0: WF_XFRM_REPLAY_WINDOW; at most that */
	struct wf_xfrm_limits limits;
};

/* What names an SA to the kernel: destination, SPI (and ESP). */
struct wf_xfrm_sa_id {
	struct wf_prefix dst;
	uint32_t spi;
};

/* An SA as the kernel reports it (GETSA, a dump, an expire). */
struct wf_xfrm_sa_info {
	struct wf_xfrm_sa_id id;
	struct wf_prefix src;
	uint8_t proto, mode;
	uint32_t reqid;
	uint32_t if_id;		   /* 0 if it has none */
	uint64_t bytes, packets;   /* what it carried */
	uint64_t add_time;	   /* creation, seconds since the epoch */
	uint64_t use_time;	   /* first use, or 0 */
	uint64_t last_used;	   /* last use (XFRMA_LASTUSED), or 0 */
	uint64_t seq, oseq;	   /* highest received, last sent (ESN: 64 bits) */
	uint32_t replay_window;	   /* from the ESN state, or the info's */
	uint32_t replay_dropped;   /* stats.replay */
	uint32_t integrity_failed; /* stats.integrity_failed */
	uint16_t encap_sport, encap_dport;
};

/* A policy: packets between src and dst (the selector: inner prefixes of
 * one family) in direction dir must go through the tunnel from tmpl_src to
 * tmpl_dst with an SA of that reqid. */
struct wf_xfrm_policy {
	uint8_t dir; /* XFRM_POLICY_IN, XFRM_POLICY_OUT or XFRM_POLICY_FWD */
	struct wf_prefix src, dst;
	uint32_t priority; /* lower wins: wf_xfrm_priority() */
	uint32_t if_id;
	struct wf_prefix tmpl_src, tmpl_dst;
	uint32_t reqid;
};

/* A policy as a dump reports it: what deleting it needs, and a little more. */
struct wf_xfrm_policy_info {
	uint32_t index;
	uint8_t dir;
	uint32_t priority;
	uint32_t if_id; /* 0 if it has none */
	struct wf_prefix src, dst;
	uint32_t reqid; /* of the first template; 0 if none */
};

enum wf_xfrm_event_kind {
	WF_XFRM_EXPIRE_SOFT = 1, /* a soft limit: make a new keypair */
	WF_XFRM_EXPIRE_HARD,	 /* a hard limit: the kernel deleted the SA */
	WF_XFRM_ACQUIRE,	 /* a packet matched an out policy with no SA */
};

struct wf_xfrm_event {
	enum wf_xfrm_event_kind kind;
	/* Expires: the SA. Acquire: the template's tunnel (spi 0), its reqid,
	 * the policy's if_id, and the packet's inner addresses in sel_src,
	 * sel_dst (as the kernel's selector puts them). */
	struct wf_xfrm_sa_info sa;
	struct wf_prefix sel_src, sel_dst;
};

struct wf_xfrm_flushed {
	unsigned sas, policies;
};

/* --- The socket --------------------------------------------------------- */

/* A NETLINK_XFRM socket for the requests below; -EPROTONOSUPPORT if the
 * kernel has no xfrm netlink (CONFIG_XFRM_USER). Close it with close(). */
int wf_xfrm_open(void);

/* --- SAs ---------------------------------------------------------------- */

/* Add an SA: -EEXIST if one with its destination and SPI exists (ours or
 * someone else's: never replaced), -ENOSYS if the kernel lacks the AEAD,
 * -EPROTONOSUPPORT if it lacks ESP for the family. */
int wf_xfrm_sa_add(int fd, const struct wf_xfrm_sa *sa);
/* Change an existing SA's limits and encapsulation (what the kernel lets
 * change); -ESRCH if there is none. */
int wf_xfrm_sa_update(int fd, const struct wf_xfrm_sa *sa);
/* -ESRCH if there is no such SA. */
int wf_xfrm_sa_del(int fd, const struct wf_xfrm_sa_id *id);
/* Its counters and more; -ESRCH if there is no such SA. */
int wf_xfrm_sa_get(int fd, const struct wf_xfrm_sa_id *id, struct wf_xfrm_sa_info *info);

/* Call cb for each ESP SA with this if_id (one dump: the counters of all of
 * them at once). 0 or -errno. */
int wf_xfrm_sa_each(int fd, uint32_t if_id, void (*cb)(const struct wf_xfrm_sa_info *, void *),
		    void *arg);

/* --- Policies ----------------------------------------------------------- */

/* -EEXIST if one with its selector, direction and if_id exists. */
int wf_xfrm_policy_add(int fd, const struct wf_xfrm_policy *p);
/* Add or replace (a peer that moved: another template). */
int wf_xfrm_policy_update(int fd, const struct wf_xfrm_policy *p);
/* By selector, direction and if_id (the template is not looked at). */
int wf_xfrm_policy_del(int fd, const struct wf_xfrm_policy *p);
/* A priority that makes longer prefixes win, as routes do: the kernel takes
 * the lowest priority among the policies that match, not the longest. */
uint32_t wf_xfrm_priority(const struct wf_prefix *selector_prefix);

/* --- Ownership ---------------------------------------------------------- */

/* Remove every SA and policy with this if_id (a crashed run's, at start; our
 * own, at a clean stop), and nothing else. n (may be NULL) counts them. An
 * error stops it; what was removed stays removed. */
int wf_xfrm_flush(int fd, uint32_t if_id, struct wf_xfrm_flushed *n);

/* --- Events ------------------------------------------------------------- */

/* A non-blocking socket subscribed to expires and acquires; its receive
 * buffer is raised (a mesh's SAs may expire together). */
int wf_xfrm_events_open(void);
/* Read one datagram of events and call cb for each with if_id (the others'
 * events are not weft's business). The number handed over, -EAGAIN if
 * there was none, -ENOBUFS if the kernel dropped events (the buffer was full:
 * the caller must not count on seeing every expire), or -errno. */
int wf_xfrm_events_read(int fd, uint32_t if_id, void (*cb)(const struct wf_xfrm_event *, void *),
			void *arg);

/* --- The ESP-in-UDP socket and policy bypass ----------------------------- */

/* A UDP socket bound to addr (its port), with UDP_ENCAP_ESPINUDP: the
 * kernel takes the ESP datagrams arriving there (RFC 3948: the first four
 * bytes are a non-zero SPI) to the SAs; anything else reaches the socket,
 * which weft never uses for its own messages (docs/datapath.md). Bypasses the
 * IPsec policies both ways (wf_xfrm_socket_bypass). An IPv6 socket is
 * IPv6-only. Returns the fd or -errno. */
int wf_xfrm_encap_socket(const union wf_endpoint *addr);
/* A per-socket policy that allows everything, in and out (IP_XFRM_POLICY or
 * IPV6_XFRM_POLICY, as IKE daemons do for their sockets): no policy, ours or
 * anyone's, applies to the socket's own datagrams. Without it a policy that
 * covers the two endpoints drops ESP in UDP before it is decapsulated
 * (XfrmInTmplMismatch: tests/vm/10-esp-kernel). */
int wf_xfrm_socket_bypass(int fd, int family);

/* --- What the kernel can do --------------------------------------------- */

/*
 * Can this kernel run ESP with the cipher's AEAD for outer family, in
 * tunnel mode with ESN? Adds an SA and deletes it again: destination the
 * unspecified address (no packet can reach it), SPI WF_XFRM_PROBE_SPI (255,
 * reserved, so no IKE daemon's), the owner's if_id (a crash between the two
 * leaves what the next flush removes). That exercises exactly the code the
 * data path needs, and loads its modules; /proc/crypto would not do (it lists
 * only algorithms instantiated already: rfc4106(gcm(aes)) appears after its
 * first use). 0 if it can; else -errno and a reason for the log and
 * `weft status` in why, e.g. "the kernel has no ESP for IPv4
 * (CONFIG_INET_ESP)".
 */
int wf_xfrm_probe(int fd, enum wf_cipher cipher, int family, uint32_t if_id, char *why,
		  size_t why_len);

/* --- Messages, for the tests and fuzzers -------------------------------- */

/* Build a request into r without sending it; 0, -EINVAL for a bad
 * argument (families, prefixes, cipher, window, if_id 0), -EMSGSIZE. */
int wf_xfrm_sa_msg(struct wf_nl_req *r, uint16_t type, const struct wf_xfrm_sa *sa);
int wf_xfrm_sa_id_msg(struct wf_nl_req *r, uint16_t type, const struct wf_xfrm_sa_id *id);
int wf_xfrm_policy_msg(struct wf_nl_req *r, uint16_t type, const struct wf_xfrm_policy *p);
int wf_xfrm_policy_del_msg(struct wf_nl_req *r, const struct wf_xfrm_policy *p);
/* Read what the kernel sends: 0, or -EBADMSG if it does not hold together,
 * or -ENOMSG if it is not that kind of message. */
int wf_xfrm_sa_parse(const struct nlmsghdr *nh, struct wf_xfrm_sa_info *info);
int wf_xfrm_policy_parse(const struct nlmsghdr *nh, struct wf_xfrm_policy_info *info);
int wf_xfrm_event_parse(const struct nlmsghdr *nh, struct wf_xfrm_event *ev);

#endif
