/* SPDX-License-Identifier: MIT */
/*
 * Segmentation offloads, without I/O: what the TUN device means by the
 * virtio-net header in front of each packet (IFF_VNET_HDR), how to cut a TCP
 * or UDP super-packet the kernel handed over into segments that fit the
 * tunnel, how to complete a checksum it left to us, and which received TCP
 * segments and UDP datagrams may be written back to it as one super-packet
 * (what the kernel's GRO does for a network card).
 *
 * Pure: packets in, packets or plans out; tests/unit/test_offload checks it
 * against naive references, tests/fuzz/fuzz_offload feeds it anything.
 */
#ifndef WEFT_OFFLOAD_H
#define WEFT_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	WF_VNET_HDR_LEN = 10, /* struct virtio_net_hdr, without num_buffers */
	WF_VNET_F_NEEDS_CSUM = 1,
	WF_GSO_NONE = 0,
	WF_GSO_TCPV4 = 1,
	WF_GSO_TCPV6 = 4,
	WF_GSO_UDP_L4 = 5,
	WF_GSO_ECN = 0x80,
	WF_GSO_MAX_SEGS = 128, /* 64 KiB in segments of at least 512 bytes */
	WF_GRO_MAX_SEGS = 64,  /* segments in one coalesced write */
	WF_GRO_FLOWS = 16,     /* flows (TCP or UDP) coalesced at once in a batch */
	WF_GRO_BATCH = 256,    /* packets in one batch */
};

/* The virtio-net header, in the host's byte order as the TUN device uses it. */
struct wf_vnet_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
};

void wf_vnet_hdr_get(struct wf_vnet_hdr *h, const uint8_t b[WF_VNET_HDR_LEN]);
void wf_vnet_hdr_put(const struct wf_vnet_hdr *h, uint8_t b[WF_VNET_HDR_LEN]);

/* How a packet read from the TUN device is to be cut. */
struct wf_gso_plan {
	uint8_t family;    /* AF_INET or AF_INET6 */
	uint8_t proto;     /* IPPROTO_TCP or IPPROTO_UDP (0: a single packet) */
	uint16_t ip_len;   /* the IP header */
	uint16_t hdr_len;  /* IP and transport headers */
	uint16_t gso_size; /* payload per segment */
	unsigned n_segs;   /* 1 for a packet that needs no cutting */
};

/*
 * Check a packet of len bytes read from the TUN with header h, and plan its
 * segments. Lengths, header sizes, GSO type and family must agree; the
 * kernel's hdr_len is not trusted (it is recomputed from csum_start and the
 * transport header). False for anything that does not hold together: drop it.
 */
bool wf_gso_plan(const struct wf_vnet_hdr *h, const uint8_t *pkt, size_t len,
		 struct wf_gso_plan *plan) __attribute__((warn_unused_result));
/*
 * Segment i of a planned super-packet into out (room for hdr_len + gso_size
 * bytes): the headers, fixed up (IPv4 length, ID and checksum, IPv6 payload
 * length, TCP sequence number and flags, UDP length), the payload slice, and
 * the transport checksum. Returns its length.
 */
size_t wf_gso_segment(const struct wf_gso_plan *plan, const uint8_t *pkt, size_t len, unsigned i,
		      uint8_t *out);
/* A single packet the kernel left its transport checksum to (NEEDS_CSUM):
 * complete it in place. False if csum_start/csum_offset do not fit. */
bool wf_csum_complete(const struct wf_vnet_hdr *h, uint8_t *pkt, size_t len)
	__attribute__((warn_unused_result));

/*
 * Coalescing a batch of received packets (decrypted, in arrival order) into
 * the writes to the TUN device. A write is a chain of packets: the first one
 * whole, then only the payloads of the others (so the daemon writes it with
 * writev, copying nothing); its header tells the kernel to segment it again
 * where it must. TCP segments of one flow coalesce when they follow each
 * other in sequence with the same headers (acknowledgment, options, IP
 * fields), carry only ACK (and PSH, on the last one), have valid checksums,
 * and all but the last have the first one's payload size. UDP datagrams of
 * one flow coalesce likewise (udp_gro_receive_segment's rules) when the
 * device takes UDP super-packets (TUN_F_USO, Linux 6.2): the same IP fields,
 * IPv4 IDs one apart (or all 0, with DF), a checksum that is there and
 * valid, some payload, all but the last of the first one's size. At most 64
 * packets and 65,535 bytes a chain. Everything else is written as it came,
 * and the order within a flow never changes.
 */
struct wf_gro_write {
	int head;               /* packet index */
	unsigned n;             /* packets in the chain */
	struct wf_vnet_hdr hdr; /* all zero for a single packet */
};

/* A chain being built: one TCP connection's segments, or one UDP flow's
 * datagrams, so far. */
struct wf_gro_flow {
	int head, tail; /* packet indices; head -1: a free slot */
	unsigned n, total;
	uint16_t gso_size, ip_len, l4_len;
	uint8_t proto;          /* IPPROTO_TCP or IPPROTO_UDP */
	uint32_t next_seq;      /* TCP */
	bool psh, closed_short; /* PSH or a short segment ends the chain */
	bool fixed_id;          /* UDP over IPv4: every ID 0 (with DF) */
	unsigned age;
};

struct wf_gro {
	uint8_t *pkt[WF_GRO_BATCH];
	size_t len[WF_GRO_BATCH];
	int next[WF_GRO_BATCH]; /* the next packet of the chain, -1 at its end */
	unsigned n;
	struct wf_gro_write writes[WF_GRO_BATCH];
	unsigned n_writes;
	struct wf_gro_flow flow[WF_GRO_FLOWS];
	unsigned clock;
	bool udp; /* UDP datagrams coalesce too */
};

/* A new batch; udp: the device takes UDP super-packets (it took TUN_F_USO4
 * and 6), so UDP datagrams are coalesced as well as TCP segments. */
void wf_gro_begin(struct wf_gro *g, bool udp);
/* Offer the next packet of the batch; pkt stays the caller's, but its
 * headers may be rewritten when it heads a chain. False if the batch is full
 * (call wf_gro_end and begin another). */
bool wf_gro_add(struct wf_gro *g, uint8_t *pkt, size_t len);
/* Close every chain: g->writes[0..n_writes) are the writes, in an order that
 * keeps each flow's. */
void wf_gro_end(struct wf_gro *g);
/* The payload of packet i of a chain that is not its head: its transport
 * payload (a write's iovecs are the head whole, then these). */
const uint8_t *wf_gro_payload(const struct wf_gro *g, int i, size_t *len);

#endif
