/* SPDX-License-Identifier: MIT */
/*
 * The node configuration file, NODEDIR/weft.conf: "key = value" lines, '#'
 * comment lines, blank lines, no sections. Parsing is strict: an unknown key,
 * a line without '=', an empty value, a repeated key (except bootstrap) or a
 * bad value is an error, reported as "PATH:LINE: message". The keys, their
 * defaults and limits are documented in docs/weft.conf.md.
 */
#ifndef WEFT_CONFIG_H
#define WEFT_CONFIG_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/log.h"
#include "core/firewall.h"

enum {
	WF_CONFIG_MAX_BOOTSTRAP = 64,
	WF_CONFIG_BOOTSTRAP_LEN = 256, /* "HOST:PORT" as written, with its NUL */
	WF_CONFIG_NAME_LEN = 64,       /* node names are 1..63 of [A-Za-z0-9._-] */
	WF_CONFIG_MAX_LINE = 4096,     /* longer lines are an error, never truncated */
	WF_CONFIG_MAX_FILE = 65536,
	WF_CONFIG_DOMAIN_LEN = 190, /* dns-domain: room left for a 63-byte node name */
};

enum { WF_CONFIG_WORKERS_MAX = 16, WF_CONFIG_FULL_MESH_MAX = 1000000 };
/* firewall-flows: flows a worker tracks (docs/weft.conf.md "Firewall"). */
enum { WF_CONFIG_FW_FLOWS = 16384, WF_CONFIG_FW_FLOWS_MIN = 64, WF_CONFIG_FW_FLOWS_MAX = 1 << 22 };

/* Which data path carries the packets (docs/datapath.md). */
enum wf_datapath {
	WF_DATAPATH_AUTO,      /* the kernel's ESP where the kernel can, else userspace */
	WF_DATAPATH_KERNEL,    /* the kernel's ESP, or the daemon does not start */
	WF_DATAPATH_USERSPACE, /* the TUN device and weft's workers */
};

struct wf_config {
	char path[PATH_MAX]; /* the file, for messages */
	char dir[PATH_MAX];  /* NODEDIR: relative paths below are resolved against it */
	char name[WF_CONFIG_NAME_LEN];
	char interface[IFNAMSIZ];
	union wf_endpoint listen;
	/* Bootstrap peers as written (so they can be re-resolved later and shown)
	 * and as resolved at parse time. A name that did not resolve is not an
	 * error (DNS may not be up yet at boot): its bootstrap_ep has family
	 * AF_UNSPEC, and the daemon should warn and retry with
	 * wf_endpoint_parse(bootstrap[i]). A malformed HOST:PORT is an error. */
	unsigned n_bootstrap;
	char bootstrap[WF_CONFIG_MAX_BOOTSTRAP][WF_CONFIG_BOOTSTRAP_LEN];
	union wf_endpoint bootstrap_ep[WF_CONFIG_MAX_BOOTSTRAP];
	unsigned mtu; /* 0: choose from the underlay */
	/* Absolute paths (relative ones in the file are joined to dir). */
	char private_key[PATH_MAX], certificate[PATH_MAX], ca[PATH_MAX], control[PATH_MAX];
	int log_level; /* enum wf_log_level */
	unsigned rekey_interval_ms, keepalive_interval_ms, handshake_timeout_ms;
	/* Path MTU discovery: a search above each peer's path MTU this often
	 * (RFC 8899's PMTU_RAISE_TIMER; 10 minutes). */
	unsigned pmtud_raise_ms;
	/* Segmentation offloads (all yes by default; each falls back by itself
	 * where the kernel refuses it): super-packets through the TUN device,
	 * UDP segmentation on send, UDP coalescing on receive. */
	bool tun_offload, udp_gso, udp_gro;
	bool tun_udp_coalesce; /* UDP runs written to TUN as one USO write (off by default) */
	/* Data-plane threads, each with a queue of the TUN device and a UDP
	 * socket of its own; 0 (the default): one per core, at most
	 * WF_CONFIG_WORKERS_MAX. */
	unsigned workers;
	/* Up to this many members every member keeps a session with every
	 * other (a full mesh); above it, sessions are made when traffic needs
	 * them and end when idle, besides a few kept for gossip. */
	unsigned full_mesh_max;
	/* Durations written as a bare number (seconds): a unit will be
	 * required, as on the command line; said by the daemon and weft check,
	 * naming the line (the first WF_CONFIG_BARE_MAX). */
	unsigned n_bare;
	struct wf_config_bare {
		unsigned line;
		char key[32];
		char value[16];
	} bare[8];
	unsigned gossip_probe_ms; /* a probe a period; its timeout half of it */
	unsigned gossip_sync_ms;  /* a table comparison (and a dead member called) this often */
	/* The data path; ESP in UDP (esp-encap = udp) rather than ESP; the
	 * port of the ESP-in-UDP socket (default: listen port + 1); the xfrm
	 * interface's name (default: interface + "-x"). */
	enum wf_datapath datapath;
	bool esp_udp;
	uint16_t esp_port;
	char kernel_interface[IFNAMSIZ];
	/* The log's lines: auto (journal under systemd, text otherwise), text,
	 * journal or json (common/log.h). */
	enum wf_log_format log_format;
	/* Where GET /metrics is served (docs/metrics.md); off unless set. */
	bool has_metrics;
	union wf_endpoint metrics;
	/* Names for members (docs/deploy.md "Names (DNS)"): answered on port
	 * 53 of this node's overlay addresses unless dns = no, for dns_domain
	 * (empty: the network's name). */
	bool dns;
	char dns_domain[WF_CONFIG_DOMAIN_LEN];
	/* Tell systemd-resolved to send dns_domain's queries here (resolved.c). */
	bool dns_resolved;
	/* The firewall's rules, `inbound` and `outbound` mixed in the order
	 * written (each spec says its direction), and the flows each worker
	 * tracks. Rules need the userspace path (the kernel's ESP does not
	 * filter): with datapath = auto they choose it (datapath_by_fw), and
	 * datapath = kernel with rules is an error. */
	unsigned n_fw;
	struct wf_fw_spec fw[WF_FW_RULES_MAX];
	unsigned fw_flows;
	bool datapath_by_fw;
};

/* Load DIR/weft.conf into cfg. A relative dir is made absolute first, so the
 * paths in cfg stay valid if the daemon changes directory. On error, err gets
 * a one-line message (no trailing newline). */
bool wf_config_load(struct wf_config *cfg, const char *dir, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Parse a configuration from text (NUL-terminated) for tests and fuzzing;
 * dir is the base for relative paths, path is used in messages. */
bool wf_config_parse(struct wf_config *cfg, const char *dir, const char *path, const char *text,
		     char *err, size_t errlen) __attribute__((warn_unused_result));

/* Would "HOST:PORT" (or "[IPV6]:PORT") be taken as a bootstrap address? A
 * host name need not resolve now: the daemon resolves it at each attempt. */
bool wf_config_bootstrap_ok(const char *v);

/* "120s", "2m", "1h", "500ms", "30" (seconds) -> milliseconds. Exposed for the
 * tests and for any other duration-valued option. */
bool wf_duration_parse(const char *s, unsigned *ms) __attribute__((warn_unused_result));
/* The i-th bare duration of c, said with its file and line. */
void wf_config_bare_str(const struct wf_config *c, unsigned i, char *buf, size_t cap);
/* Log each of them as a warning (the daemon, at start and at each reload). */
void wf_config_warn(const struct wf_config *c);

#endif
