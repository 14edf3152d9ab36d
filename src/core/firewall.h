/* SPDX-License-Identifier: MIT */
/*
 * A firewall by peer and group, as a pure core: rules, their compiled form,
 * the facts of a packet, and connection tracking.
 *
 * Rules come in two lists, inbound (packets a peer sends through this node:
 * to it, or to a subnet it routes) and outbound (packets this node sends to a
 * peer). Each matches on the peer (its name, or one of its groups, both from
 * its certificate only), a prefix on the peer's side and one on this node's
 * side (overlay addresses or routed subnets), the protocol (tcp, udp, icmp,
 * any) and the destination port or port range; the first rule that matches
 * decides, allow or drop, and a packet no rule matches is allowed. A packet
 * of a flow already allowed either way passes: a flow allowed outbound may
 * be answered, one allowed inbound may answer, whatever the other list says.
 *
 * Who reads what:
 * - struct wf_fw_spec is a rule as written; wf_fw_rule_parse makes one of a
 *   weft.conf value (`inbound = allow tcp 22 from group admin`) and says what
 *   is wrong with it otherwise; wf_fw_rule_str writes it back.
 * - struct wf_fw_rules is the compiled, immutable rule set the workers read:
 *   the control thread builds a new one (wf_fw_rules_new) and publishes it
 *   by pointer swap, retiring the old one through its embedded link, as the
 *   routes are. Evaluating it takes no lock and allocates nothing, costs at
 *   most one pass over one list, and nothing at all when both lists are
 *   empty (NULL is the same as empty).
 * - Names and groups are compared as small integers: struct wf_fw_names
 *   (the control thread's) gives each name and group that rules mention an
 *   id, never reused; a peer's struct wf_fw_ident lists the ids of its name
 *   and groups, made once when its certificate is installed. A rule set and
 *   a peer's ident made at different times therefore still agree.
 * - struct wf_fw_flows is one thread's connection tracking table: fixed size,
 *   allocated once, no lock. weft keeps one peer's traffic on one worker
 *   (docs/threading.md), so each worker owns one and nobody else touches it;
 *   the first packets of a flow that another thread sends are handed to the
 *   owner as a struct wf_fw_note (wf_fw_filter says when).
 *
 * Pure: time is passed in (monotonic ms), and the hash seed too.
 */
#ifndef WEFT_FIREWALL_H
#define WEFT_FIREWALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/retire.h"
#include "core/cert.h"

enum wf_fw_dir { WF_FW_IN = 0, WF_FW_OUT = 1 };
enum wf_fw_action { WF_FW_ALLOW = 0, WF_FW_DROP = 1 };
/* Protocols a rule names; icmp is ICMP for IPv4 and ICMPv6 for IPv6. */
enum wf_fw_proto { WF_FW_ANY = 0, WF_FW_ICMP = 1, WF_FW_TCP = 6, WF_FW_UDP = 17 };
/* Whom a rule's peer side names, besides a prefix. */
enum wf_fw_who { WF_FW_ANYONE = 0, WF_FW_PEER = 1, WF_FW_GROUP = 2 };

enum {
	WF_FW_RULES_MAX = 1024, /* rules in both lists together */
	WF_FW_RULE_TEXT = 256,	/* enough for any rule wf_fw_rule_str writes */
	WF_FW_IDS = 1 + WF_CERT_MAX_GROUPS,
	WF_FW_NO_OWNER = 0xff, /* wf_fw_filter: no table receives from that peer yet */
};

/* --- Rules as written ------------------------------------------------------ */

struct wf_fw_spec {
	uint8_t dir, action, proto, who; /* enum wf_fw_dir, _action, _proto, _who */
	uint16_t port_lo, port_hi;	 /* destination port; 0 and 65535: any */
	bool has_remote, has_local;	 /* the prefixes below are set */
	char name[WF_CERT_NAME_MAX + 1]; /* the peer or group, for who */
	struct wf_prefix remote;	 /* on the peer's side */
	struct wf_prefix local;		 /* on this node's side */
};

/*
 * One rule, the value of an `inbound` or `outbound` line of weft.conf:
 *
 *   ACTION PROTO [PORT | LO-HI] [from SIDE] [to SIDE]
 *   ACTION = allow | drop         PROTO = tcp | udp | icmp | any
 *   SIDE   = any | [peer NAME | group NAME] [PREFIX | ADDRESS]
 *
 * `from` is the sender's side and `to` the receiver's: in an inbound rule
 * `from` is the peer (a peer, a group and/or a prefix) and `to` this node (a
 * prefix: one of its addresses or a subnet it routes); in an outbound rule
 * the reverse. Ports only with tcp or udp. False with a message in err (no
 * line number: the caller adds the file and line) for anything else.
 */
bool wf_fw_rule_parse(enum wf_fw_dir dir, const char *text, struct wf_fw_spec *out, char *err,
		      size_t errlen);
/* The rule in the form the parser reads back to the same spec (without the
 * direction, which is the key): "allow tcp 22 from group admin". Returns
 * buf; an empty string if len is too small. */
const char *wf_fw_rule_str(const struct wf_fw_spec *s, char *buf, size_t len);

/* --- Names and peers ------------------------------------------------------- */

struct wf_fw_names;

struct wf_fw_names *wf_fw_names_new(void);
void wf_fw_names_free(struct wf_fw_names *n);
/* The id of a peer or group name (who is WF_FW_PEER or WF_FW_GROUP): the one
 * it has, or a new one. 0 when out of memory. */
uint32_t wf_fw_names_intern(struct wf_fw_names *n, enum wf_fw_who who, const char *name);
/* The id it has, or 0. */
uint32_t wf_fw_names_find(const struct wf_fw_names *n, enum wf_fw_who who, const char *name);

/* What rules may know of a peer: its ids (name and groups that rules
 * mention), and an opaque number of the caller's that tells peers apart
 * (flows remember it: a reply from another peer is not a reply). */
struct wf_fw_ident {
	uint32_t peer;
	uint8_t n;
	uint32_t id[WF_FW_IDS];
};

/* From the peer's certificate: its name and groups, nothing the peer says. */
void wf_fw_ident_make(const struct wf_fw_names *n, const struct wf_cert *c, uint32_t peer,
		      struct wf_fw_ident *out);

/* --- The compiled rule set ------------------------------------------------- */

struct wf_fw_rule {
	uint32_t who; /* a name or group id; 0: any peer */
	uint16_t port_lo, port_hi;
	uint8_t action, proto, family; /* family 0: both */
	uint8_t has_remote, has_local;
	struct wf_prefix remote, local;
};

struct wf_fw_rules {
	struct wf_retire_link link; /* set to free it: wf_retire(&rs->link) */
	uint32_t gen;		    /* tells rule sets apart (flows re-check on a change) */
	uint16_t n[2];		    /* rules in each list, by enum wf_fw_dir */
	const struct wf_fw_rule *list[2];
	struct wf_fw_rule rule[];
};

/* Compile specs (both directions mixed, in the order written; each list
 * keeps its own order) for generation gen (not 0: a new number for each
 * rule set published); the names they mention get ids in names. NULL when
 * out of memory, past WF_FW_RULES_MAX or for gen 0. */
struct wf_fw_rules *wf_fw_rules_new(const struct wf_fw_spec *specs, unsigned n,
				    struct wf_fw_names *names, uint32_t gen);
void wf_fw_rules_free(struct wf_fw_rules *rs);

/* --- A packet's facts ------------------------------------------------------ */

/* Addresses, protocol and ports (ICMP echo: the identifier in both). */
struct wf_fw_tuple {
	uint8_t family, proto;
	uint16_t sport, dport;
	uint8_t src[16], dst[16];
};

enum wf_fw_kind {
	WF_FW_PORTS,	/* TCP or UDP with ports */
	WF_FW_NOPORTS,	/* another protocol, or a fragment past the first */
	WF_FW_ECHO_REQ, /* ICMP or ICMPv6 echo request */
	WF_FW_ECHO_REPLY,
	WF_FW_ICMP_ERROR, /* unreachable, too big, time exceeded, parameter problem */
	WF_FW_ICMP_OTHER,
};

struct wf_fw_pkt {
	struct wf_fw_tuple t;
	uint8_t kind;	   /* enum wf_fw_kind */
	uint8_t tcp_flags; /* FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10 */
	bool has_inner;	   /* an ICMP error that quotes a packet this tuple describes: */
	struct wf_fw_tuple inner;
};

/*
 * Read the facts of an IP packet of len bytes (the IP total length, as the
 * data path cuts it): IPv4, or IPv6 past up to 8 extension headers. False
 * for a packet the firewall cannot judge, to be dropped: a bad header, or a
 * first fragment too short to hold its TCP, UDP or ICMP header (RFC 1858).
 */
bool wf_fw_pkt_parse(const uint8_t *pkt, size_t len, struct wf_fw_pkt *out)
    __attribute__((warn_unused_result));

/* The first rule of list dir that matches, or NULL: no lock, no allocation,
 * one pass at most. */
const struct wf_fw_rule *wf_fw_match(const struct wf_fw_rules *rs, enum wf_fw_dir dir,
				     const struct wf_fw_ident *peer, const struct wf_fw_pkt *p);

/* --- Connection tracking --------------------------------------------------- */

/* How long a flow lives past its last packet (ms). */
struct wf_fw_timeouts {
	uint32_t tcp_new;   /* one side seen (a SYN sent, no answer yet) */
	uint32_t tcp_est;   /* both sides seen */
	uint32_t tcp_close; /* a RST, or a FIN each way */
	uint32_t udp_new;   /* UDP (and other protocols), one side seen */
	uint32_t udp_est;   /* both sides */
	uint32_t icmp;	    /* an echo and its replies */
};

/* 30 s, 24 h, 30 s, 30 s, 180 s, 30 s (pf's TCP lifetime, Linux's UDP). */
void wf_fw_timeouts_default(struct wf_fw_timeouts *t);

/* A flow to be taken into another table (see wf_fw_filter). */
struct wf_fw_note {
	bool valid;
	uint8_t origin, state;
	uint32_t peer;
	uint8_t key[40];
};

struct wf_fw_flow_stats {
	uint64_t created, adopted, hits, expired, evicted, related;
};

struct wf_fw_flows;

/* A table of capacity flows (rounded up to a power of two, at least 64):
 * 64 bytes each, allocated here, once. self is its owner's number (a
 * worker's, < WF_FW_NO_OWNER); seed keys the hash (random, so that nobody
 * can choose flows that crowd one bucket). */
struct wf_fw_flows *wf_fw_flows_new(unsigned capacity, uint8_t self, uint64_t seed,
				    const struct wf_fw_timeouts *t);
void wf_fw_flows_free(struct wf_fw_flows *ft);
/* Live flows at now, and the table's capacity (the bound). */
unsigned wf_fw_flows_count(const struct wf_fw_flows *ft, int64_t now_ms);
unsigned wf_fw_flows_capacity(const struct wf_fw_flows *ft);
const struct wf_fw_flow_stats *wf_fw_flows_stats(const struct wf_fw_flows *ft);

/*
 * Judge a packet going dir (in: from peer; out: to peer), whose facts are p,
 * at now: WF_FW_ALLOW or WF_FW_DROP. rs NULL or empty: allowed, with no
 * other work. Otherwise a packet of a flow in ft passes (its timer renewed;
 * a rule set changed since is asked again about the flow's first packet), as
 * does an ICMP error about such a flow; anything else goes to the rules of
 * its direction, and what they allow is tracked when the other direction has
 * rules (its answers must pass them). ft may be NULL: rules alone.
 *
 * owner is the number of the table that receives from this peer (the worker
 * its datagrams reach), or WF_FW_NO_OWNER. When it is not ft's own and that
 * table has not been told of the flow yet, *note is filled (valid): hand it
 * to that table's owner, who calls wf_fw_flows_adopt before it judges the
 * next packets it received, so that the flow's answers find it there.
 */
enum wf_fw_action wf_fw_filter(struct wf_fw_flows *ft, const struct wf_fw_rules *rs,
			       enum wf_fw_dir dir, const struct wf_fw_ident *peer,
			       const struct wf_fw_pkt *p, unsigned owner, int64_t now_ms,
			       struct wf_fw_note *note);
/* Take a flow noted by another thread (a full bucket gives way as for a new
 * flow). */
void wf_fw_flows_adopt(struct wf_fw_flows *ft, const struct wf_fw_note *n, int64_t now_ms);

#endif
