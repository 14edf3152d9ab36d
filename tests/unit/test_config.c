/* SPDX-License-Identifier: MIT */
/* weft.conf parser: table-driven cases, numbered so that a failure names its case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "daemon/config.h"

#define P "/etc/weft/weft.conf"
#define BASE "name = alpha\nlisten = 198.18.0.1:51820\n"
#define DOMAIN_BAD(d)                                                                      \
	"bad dns-domain '" d "' (labels of A-Z a-z 0-9 -, dot-separated, at most 189 "     \
	"characters, no final dot)"
#define LABEL63 "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabc"
#define LABEL64 LABEL63 "d"

static struct wf_config cfg; /* 40 KiB: keep it off the stack */
static char err[512];

static bool parse(const char *text)
{
	err[0] = '\0';
	return wf_config_parse(&cfg, "/etc/weft", P, text, err, sizeof(err));
}

/* Each bad config and the exact message it must give. */
static const struct {
	const char *text, *msg;
} bad[] = {
	/* 0 */ {"", P ": missing required key 'name'"},
	/* 1 */ {"name = alpha\n", P ": missing required key 'listen'"},
	/* 2 */ {"listen = 198.18.0.1:1\n", P ": missing required key 'name'"},
	/* 3 */ {BASE "listn = 1.2.3.4:5\n", P ":3: unknown key 'listn' (did you mean 'listen'?)"},
	/* 4 */ {BASE "frobnicate = 1\n", P ":3: unknown key 'frobnicate'"},
	/* 5 */ {BASE "mtu 1400\n", P ":3: expected 'key = value', got 'mtu 1400'"},
	/* 6 */ {BASE "mtu =\n", P ":3: empty value for 'mtu'"},
	/* 7 */ {BASE "mtu =   \t \n", P ":3: empty value for 'mtu'"},
	/* 8 */ {BASE " = 5\n", P ":3: missing key before '='"},
	/* 9 */ {BASE "name = beta\n", P ":3: duplicate key 'name' (first set on line 1)"},
	/* 10 */ {"# c\n\n" BASE "\nlisten = 1.2.3.4:5\n",
		  P ":6: duplicate key 'listen' (first set on line 4)"},
	/* 11 */ {"name = a b\nlisten = 1.2.3.4:5\n", P ":1: bad node name 'a b' (1 to 63 of "
						 "A-Z a-z 0-9 . _ -)"},
	/* 12 */ {"name = " "0123456789012345678901234567890123456789012345678901234567890123"
		  "\n", P ":1: bad node name '0123456789012345678901234567890123456789012345678901"
			  "234567890123' (1 to 63 of A-Z a-z 0-9 . _ -)"},
	/* 13 */ {BASE "interface = weft0123456789abc\n",
		  P ":3: interface name 'weft0123456789abc' is too long (max 15 characters)"},
	/* 14 */ {BASE "interface = we/ft\n", P ":3: bad interface name 'we/ft'"},
	/* 15 */ {BASE "interface = ..\n", P ":3: bad interface name '..'"},
	/* 16 */ {BASE "interface = a:b\n", P ":3: bad interface name 'a:b'"},
	/* 17 */ {"name = a\nlisten = 198.18.0.1\n", P ":2: bad listen address '198.18.0.1' "
						 "(expected IP:PORT, e.g. 0.0.0.0:51820)"},
	/* 18 */ {"name = a\nlisten = 198.18.0.1:0\n", P ":2: bad listen address '198.18.0.1:0' "
						   "(expected IP:PORT, e.g. 0.0.0.0:51820)"},
	/* 19 */ {"name = a\nlisten = 198.18.0.1:70000\n",
		  P ":2: bad listen address '198.18.0.1:70000' (expected IP:PORT, e.g. "
		    "0.0.0.0:51820)"},
	/* 20 */ {BASE "bootstrap = host\n", P ":3: bad bootstrap address 'host' (expected "
					      "HOST:PORT or [IPV6]:PORT)"},
	/* 21 */ {BASE "bootstrap = host:\n", P ":3: bad bootstrap address 'host:' (expected "
					       "HOST:PORT or [IPV6]:PORT)"},
	/* 22 */ {BASE "bootstrap = fd00::1:51820\n", P ":3: bad bootstrap address 'fd00::1:51820'"
						      " (expected HOST:PORT or [IPV6]:PORT)"},
	/* 23 */ {BASE "bootstrap = [1.2.3.4]:5\n", P ":3: bad bootstrap address '[1.2.3.4]:5'"},
	/* 24 */ {BASE "bootstrap = ho st:5\n", P ":3: bad bootstrap address 'ho st:5' (expected "
						 "HOST:PORT or [IPV6]:PORT)"},
	/* 25 */ {BASE "mtu = 575\n", P ":3: bad mtu '575' (576 to 65475, or 0 for automatic)"},
	/* 26 */ {BASE "mtu = 65536\n", P ":3: bad mtu '65536' (576 to 65475, or 0 for automatic)"},
	/* 27 */ {BASE "mtu = -1\n", P ":3: bad mtu '-1' (576 to 65475, or 0 for automatic)"},
	/* 28 */ {BASE "mtu = 1400x\n", P ":3: bad mtu '1400x' (576 to 65475, or 0 for automatic)"},
	/* 29 */ {BASE "mtu = 1440 # comment\n",
		  P ":3: bad mtu '1440 # comment' (576 to 65475, or 0 for automatic)"},
	/* 30 */ {BASE "log-level = verbose\n",
		  P ":3: bad log-level 'verbose' (error, warning, info or debug)"},
	/* 31 */ {BASE "rekey-interval = 0\n",
		  P ":3: 'rekey-interval' must be between 1000ms and 86400000ms, not '0'"},
	/* 32 */ {BASE "rekey-interval = 500ms\n",
		  P ":3: 'rekey-interval' must be between 1000ms and 86400000ms, not '500ms'"},
	/* 33 */ {BASE "rekey-interval = 2d\n",
		  P ":3: bad duration '2d' for 'rekey-interval' (expected e.g. 30s, 2m, 1h)"},
	/* 34 */ {BASE "rekey-interval = -5s\n",
		  P ":3: bad duration '-5s' for 'rekey-interval' (expected e.g. 30s, 2m, 1h)"},
	/* 35 */ {BASE "keepalive-interval = 2h\n", P ":3: 'keepalive-interval' must be between "
						     "1000ms and 3600000ms (or 0 to disable), "
						     "not '2h'"},
	/* 36 */ {BASE "handshake-timeout = 0\n",
		  P ":3: 'handshake-timeout' must be between 100ms and 60000ms, not '0'"},
	/* 37 */ {BASE "handshake-timeout = 99999999999999999999\n",
		  P ":3: bad duration '99999999999999999999' for 'handshake-timeout' (expected "
		    "e.g. 30s, 2m, 1h)"},
	/* 38 */ {BASE "rekey-interval = 25h\n",
		  P ":3: bad duration '25h' for 'rekey-interval' (expected e.g. 30s, 2m, 1h)"},
	/* 39 */ {BASE "mtu = 1400\x01\n", P ":3: control character (0x01) in line"},
	/* 40 */ {BASE "control = /" "0123456789012345678901234567890123456789012345678901234567"
		  "890123456789012345678901234567890123456789012345678901234567890123456789\n",
		  P ": control socket path '/012345678901234567890123456789012345678901234567890123"
		    "4567890123456789012345678901234567890123456789012345678901234567890123456789' "
		    "is too long for a UNIX socket (max 107 bytes); set 'control' to a shorter "
		    "path"},
	/* 41 */ {BASE "Name = x\n", P ":3: unknown key 'Name' (did you mean 'name'?)"},
	/* 42 */ {BASE "privatekey = k\n",
		  P ":3: unknown key 'privatekey' (did you mean 'private-key'?)"},
	/* 43 */ {"name = alpha\r\nlisten = 1.2.3.4:5\r\nmtu = x\r\n",
		  P ":3: bad mtu 'x' (576 to 65475, or 0 for automatic)"},
	/* 44 */ {BASE "xy = 1\n", P ":3: unknown key 'xy'"},
	/* 45 */ {BASE "cb = 1\n", P ":3: unknown key 'cb' (did you mean 'ca'?)"},
	/* 46 */ {BASE "rekey = 1\n", P ":3: unknown key 'rekey'"},
	/* 47 */ {BASE "keepalive_interval = 1\n",
		  P ":3: unknown key 'keepalive_interval' (did you mean 'keepalive-interval'?)"},
	/* 48 */ {BASE "interface = \"weft0\"\n", P ":3: values take no quotes: write 'interface = weft0'"},
	/* 49 */ {BASE "ca = 'ca.crt'\n", P ":3: values take no quotes: write 'ca = ca.crt'"},
	/* 50 */ {BASE "bootstrap = 198.18.0.300:5\n", P ":3: bad bootstrap address "
							"'198.18.0.300:5' (expected HOST:PORT or "
							"[IPV6]:PORT)"},
	/* 51 */ {BASE "udp-gso = maybe\n", P ":3: bad udp-gso 'maybe' (yes or no)"},
	/* 52 */ {BASE "tun-offload = 1\n", P ":3: bad tun-offload '1' (yes or no)"},
	/* 53 */ {BASE "udp-gro = no\nudp-gro = yes\n", P ":4: duplicate key 'udp-gro' (first set on line 3)"},
	/* 54 */ {BASE "workers = 17\n", P ":3: bad workers '17' (1 to 16, or 0 for one per core)"},
	/* 55 */ {BASE "workers = -1\n", P ":3: bad workers '-1' (1 to 16, or 0 for one per core)"},
	/* 56 */ {BASE "workers = two\n", P ":3: bad workers 'two' (1 to 16, or 0 for one per core)"},
	/* 57 */ {BASE "workers = 2x\n", P ":3: bad workers '2x' (1 to 16, or 0 for one per core)"},
	/* 58 */ {BASE "mtu = 65476\n", P ":3: bad mtu '65476' (576 to 65475, or 0 for automatic)"},
	/* 59 */ {BASE "datapath = fast\n", P ":3: bad datapath 'fast' (auto, kernel or userspace)"},
	/* 60 */ {BASE "esp-encap = tcp\n",
		  P ":3: bad esp-encap 'tcp' (none: ESP, IP protocol 50; udp: ESP in UDP)"},
	/* 61 */ {BASE "esp-port = 0\n", P ":3: bad esp-port '0' (1 to 65535)"},
	/* 62 */ {BASE "esp-port = 65536\n", P ":3: bad esp-port '65536' (1 to 65535)"},
	/* 63 */ {BASE "esp-port = 51820\n",
		  P ": esp-port 51820 is the listen port: ESP in UDP needs a port of its own"},
	/* 64 */ {"name = a\nlisten = 198.18.0.1:65535\n",
		  P ": listen port 65535 leaves no port for ESP in UDP: set esp-port"},
	/* 65 */ {BASE "interface = abcdefghijklmn\n",
		  P ": interface name 'abcdefghijklmn' leaves no room for the kernel path's "
		    "('abcdefghijklmn-x'): set kernel-interface"},
	/* 66 */ {BASE "kernel-interface = a/b\n", P ":3: bad kernel-interface name 'a/b'"},
	/* 67 */ {BASE "kernel-interface = abcdefghijklmnop\n",
		  P ":3: kernel-interface name 'abcdefghijklmnop' is too long (max 15 characters)"},
	/* 68 */ {BASE "log-format = yaml\n", P ":3: bad log-format 'yaml' (auto, text, journal or json)"},
	/* 69 */ {BASE "metrics = 100.64.0.1\n",
		  P ":3: bad metrics address '100.64.0.1' (expected IP:PORT, e.g. 100.64.0.1:9821)"},
	/* 70 */ {BASE "metrics = 100.64.0.1:0\n",
		  P ":3: bad metrics address '100.64.0.1:0' (expected IP:PORT, e.g. 100.64.0.1:9821)"},
	/* 71 */ {BASE "dns = maybe\n", P ":3: bad dns 'maybe' (yes or no)"},
	/* 72 */ {BASE "dns-domain = corp.\n", P ":3: " DOMAIN_BAD("corp.")},
	/* 73 */ {BASE "dns-domain = a..b\n", P ":3: " DOMAIN_BAD("a..b")},
	/* 74 */ {BASE "dns-domain = my_net\n", P ":3: " DOMAIN_BAD("my_net")},
	/* 75 */ {BASE "dns-domain = -corp\n", P ":3: " DOMAIN_BAD("-corp")},
	/* 76 */ {BASE "dns-domain = corp-.x\n", P ":3: " DOMAIN_BAD("corp-.x")},
	/* 77 */ {BASE "dns-domain = " LABEL64 "\n", P ":3: " DOMAIN_BAD(LABEL64)},
	/* 78 */ {BASE "dns = no\ndns = yes\n", P ":4: duplicate key 'dns' (first set on line 3)"},
	/* 79 */ {BASE "dns-domian = corp\n", P ":3: unknown key 'dns-domian' (did you mean 'dns-domain'?)"},
	/* 80 */ {BASE "dns-resolved = maybe\n", P ":3: bad dns-resolved 'maybe' (yes or no)"},
	/* 81 */ {BASE "dns-resolved = yes\ndns = no\n",
		  P ": dns-resolved = yes needs dns = yes (the names are answered by weft)"},
	/* 82 */ {BASE "inbound = allow tcp 22\ninbound = alow tcp 22\n",
		  P ":4: bad inbound rule: unknown action 'alow' (allow or drop)"},
	/* 83 */ {BASE "outbound = allow tcp 22 to group\n",
		  P ":3: bad outbound rule: 'group' needs a name"},
	/* 84 */ {BASE "inbound = allow icmp 22\n",
		  P ":3: bad inbound rule: port 22: only tcp and udp have ports"},
	/* 85 */ {BASE "datapath = kernel\ninbound = drop any\n",
		  P ":3: datapath = kernel, but firewall rules (inbound, outbound) are enforced on "
		    "the userspace path only: set datapath = userspace or auto, or remove the rules"},
	/* 86 */ {BASE "firewall-flows = 63\n",
		  P ":3: bad firewall-flows '63' (64 to 4194304 flows a worker)"},
	/* 87 */ {BASE "inbound =\n", P ":3: empty value for 'inbound'"},
	/* 88 */ {BASE "inbund = drop any\n", P ":3: unknown key 'inbund' (did you mean 'inbound'?)"},
	/* 94-96: the gossip intervals */
	/* 94 */ {BASE "gossip-probe-interval = 50ms\n",
		   P ":3: 'gossip-probe-interval' must be between 100ms and 60000ms, not '50ms'"},
	/* 95 */ {BASE "gossip-sync-interval = 2h\n",
		   P ":3: 'gossip-sync-interval' must be between 1000ms and 3600000ms, not '2h'"},
	/* 96 */ {BASE "gossip-probe-interval = 0\n",
		   P ":3: 'gossip-probe-interval' must be between 100ms and 60000ms, not '0'"},
	/* 97 */ {BASE "pmtud-raise = 500ms\n",
		  P ":3: 'pmtud-raise' must be between 1000ms and 86400000ms, not '500ms'"},
	/* 98 */ {BASE "pmtud-raise = 0\n",
		  P ":3: 'pmtud-raise' must be between 1000ms and 86400000ms, not '0'"},
};

static void test_bad(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i].text)) {
			print_error("case %zu: parsed, expected \"%s\"\n", i, bad[i].msg);
			fail();
		}
		if (strcmp(err, bad[i].msg)) {
			print_error("case %zu:\n  got  \"%s\"\n  want \"%s\"\n", i, err, bad[i].msg);
			fail();
		}
	}
}

static void test_defaults(void **state)
{
	char ep[WF_ADDR_STRLEN];

	assert_true(parse(BASE));
	assert_string_equal(cfg.path, P);
	assert_string_equal(cfg.dir, "/etc/weft");
	assert_string_equal(cfg.name, "alpha");
	assert_string_equal(cfg.interface, "weft0");
	assert_string_equal(wf_endpoint_str(&cfg.listen, ep, sizeof(ep)), "198.18.0.1:51820");
	assert_int_equal(cfg.n_bootstrap, 0);
	assert_int_equal(cfg.mtu, 0);
	assert_string_equal(cfg.private_key, "/etc/weft/node.key");
	assert_string_equal(cfg.certificate, "/etc/weft/node.crt");
	assert_string_equal(cfg.ca, "/etc/weft/ca.crt");
	assert_string_equal(cfg.control, "/etc/weft/weft.sock");
	assert_int_equal(cfg.log_level, WF_LOG_INFO);
	assert_int_equal(cfg.rekey_interval_ms, 120000);
	assert_int_equal(cfg.keepalive_interval_ms, 10000);
	assert_int_equal(cfg.pmtud_raise_ms, 600000);
	assert_true(cfg.tun_offload && cfg.udp_gso && cfg.udp_gro);
	assert_false(cfg.tun_udp_coalesce); /* asked for only: docs/weft.conf.md */
	assert_int_equal(cfg.workers, 0); /* one per core */
	assert_int_equal(cfg.handshake_timeout_ms, 5000);
	assert_int_equal(cfg.datapath, WF_DATAPATH_AUTO);
	assert_false(cfg.esp_udp);
	assert_int_equal(cfg.esp_port, 51821);
	assert_string_equal(cfg.kernel_interface, "weft0-x");
	assert_int_equal(cfg.gossip_probe_ms, 1000);
	assert_int_equal(cfg.gossip_sync_ms, 10000);
	assert_int_equal(cfg.n_bare, 0);
}

/* 99: a duration written as a bare number is seconds, noted with its line
 * (blank lines and comments counted); 0 and a number with a unit are not */
static void test_bare_durations(void **state)
{
	char buf[512];

	(void)state;
	assert_true(parse(BASE "\n# tuned\nkeepalive-interval = 90\nrekey-interval = 2m\n"
			       "handshake-timeout = 7\n\ngossip-probe-interval = 0.5\n") == false);
	assert_true(parse(BASE "\n# tuned\nkeepalive-interval = 90\nrekey-interval = 2m\n"
			       "handshake-timeout = 7\n"));
	assert_int_equal(cfg.keepalive_interval_ms, 90000);
	assert_int_equal(cfg.n_bare, 2);
	assert_int_equal(cfg.bare[0].line, 5);
	assert_string_equal(cfg.bare[0].key, "keepalive-interval");
	assert_int_equal(cfg.bare[1].line, 7);
	wf_config_bare_str(&cfg, 0, buf, sizeof(buf));
	assert_string_equal(buf, P ":5: keepalive-interval = 90: a number without a unit is taken "
				   "as seconds; write 90s (a unit will be required, as on the "
				   "command line)");
	assert_true(parse(BASE "keepalive-interval = 0\nrekey-interval = 90s\n"));
	assert_int_equal(cfg.n_bare, 0);
}

/* 68: the kernel path's keys; a long interface name is fine on the
 * userspace path, or with kernel-interface set */
static void test_datapath_keys(void **state)
{
	(void)state;
	assert_true(parse(BASE "datapath = kernel\nesp-encap = udp\nesp-port = 4500\n"
			       "kernel-interface = wx\n"));
	assert_int_equal(cfg.datapath, WF_DATAPATH_KERNEL);
	assert_true(cfg.esp_udp);
	assert_int_equal(cfg.esp_port, 4500);
	assert_string_equal(cfg.kernel_interface, "wx");
	assert_true(parse(BASE "datapath = userspace\ninterface = abcdefghijklmn\n"));
	assert_int_equal(cfg.datapath, WF_DATAPATH_USERSPACE);
	assert_true(parse(BASE "interface = abcdefghijklmn\nkernel-interface = k0\n"));
	assert_string_equal(cfg.kernel_interface, "k0");
	assert_true(parse("name = a\nlisten = 198.18.0.1:65535\ndatapath = userspace\n"));
}

/* 89-93: inbound and outbound, each list in the order written, mixed in
 * one array; rules choose the userspace path under datapath = auto; at
 * most WF_FW_RULES_MAX; firewall-flows. */
static void test_firewall_keys(void **state)
{
	static char big[WF_CONFIG_MAX_FILE];
	char s[WF_FW_RULE_TEXT];

	(void)state;
	/* 89: none by default, the kernel path may run, 16384 flows */
	assert_true(parse(BASE));
	assert_int_equal(cfg.n_fw, 0);
	assert_int_equal(cfg.datapath, WF_DATAPATH_AUTO);
	assert_false(cfg.datapath_by_fw);
	assert_int_equal(cfg.fw_flows, 16384);
	/* 90: kept in order, each with its direction, read back as written */
	assert_true(parse(BASE "inbound = allow tcp 22 from group admin\n"
			       "outbound = drop udp to 10.20.0.0/16\n"
			       "inbound = drop any\nfirewall-flows = 1000\n"));
	assert_int_equal(cfg.n_fw, 3);
	assert_int_equal(cfg.fw[0].dir, WF_FW_IN);
	assert_int_equal(cfg.fw[1].dir, WF_FW_OUT);
	assert_int_equal(cfg.fw[2].dir, WF_FW_IN);
	assert_string_equal(wf_fw_rule_str(&cfg.fw[0], s, sizeof(s)), "allow tcp 22 from group admin");
	assert_string_equal(wf_fw_rule_str(&cfg.fw[2], s, sizeof(s)), "drop any");
	assert_int_equal(cfg.fw_flows, 1000);
	/* 91: rules under datapath = auto: the userspace path, and why */
	assert_int_equal(cfg.datapath, WF_DATAPATH_USERSPACE);
	assert_true(cfg.datapath_by_fw);
	/* 92: written userspace: not the rules' doing */
	assert_true(parse(BASE "datapath = userspace\ninbound = drop any\n"));
	assert_false(cfg.datapath_by_fw);
	/* 93: 1024 rules at most, the 1025th named by its line */
	snprintf(big, sizeof(big), "%s", BASE);
	for (int i = 0; i < WF_FW_RULES_MAX; i++)
		strcat(big, "inbound=drop any\n");
	assert_true(parse(big));
	assert_int_equal(cfg.n_fw, WF_FW_RULES_MAX);
	strcat(big, "outbound=drop any\n");
	assert_false(parse(big));
	assert_string_equal(err, P ":1027: too many firewall rules (max 1024, inbound and "
				   "outbound together)");
}

/* log-format and metrics: taken, and their defaults (auto; off). */
static void test_ops_keys(void **state)
{
	(void)state;
	assert_true(parse(BASE));
	assert_int_equal(cfg.log_format, WF_LOG_FORMAT_AUTO);
	assert_false(cfg.has_metrics);
	assert_true(parse(BASE "log-format = json\nmetrics = [fd00::1]:9821\n"));
	assert_int_equal(cfg.log_format, WF_LOG_FORMAT_JSON);
	assert_true(cfg.has_metrics);
	assert_int_equal(wf_endpoint_port(&cfg.metrics), 9821);
	assert_int_equal(cfg.metrics.sa.sa_family, AF_INET6);
	assert_true(parse(BASE "log-format = journal\nmetrics = 127.0.0.1:9821\n"));
	assert_int_equal(cfg.log_format, WF_LOG_FORMAT_JOURNAL);
	assert_int_equal(cfg.metrics.sa.sa_family, AF_INET);
}

/* dns and dns-domain: on by default, the domain then the network's name
 * (empty here: the daemon fills it from the CA). */
static void test_dns_keys(void **state)
{
	(void)state;
	assert_true(parse(BASE));
	assert_true(cfg.dns);
	assert_false(cfg.dns_resolved); /* resolved is told only when asked */
	assert_string_equal(cfg.dns_domain, "");
	assert_true(parse(BASE "dns-resolved = yes\n"));
	assert_true(cfg.dns_resolved);
	assert_true(parse(BASE "dns = no\ndns-domain = mesh.corp.example\n"));
	assert_false(cfg.dns);
	assert_string_equal(cfg.dns_domain, "mesh.corp.example");
	assert_true(parse(BASE "dns-domain = a-1.B2\n"));
	assert_string_equal(cfg.dns_domain, "a-1.B2");
	assert_true(parse(BASE "dns-domain = x." LABEL63 "\n")); /* 63 bytes: a label's most */
}

static void test_all_keys(void **state)
{
	static const char text[] = "name = n-1.x_y\n"
				   "interface = mesh9\n"
				   "listen = 0.0.0.0:51820\n"
				   "bootstrap = 198.18.0.2:51820\n"
				   "bootstrap = [fd00::2]:51821\n"
				   "mtu = 1280\n"
				   "private-key = keys/n.key\n"
				   "certificate = /srv/n.crt\n"
				   "ca = ../ca.crt\n"
				   "control = /run/weft/n.sock\n"
				   "log-level = debug\n"
				   "rekey-interval = 2m\n"
				   "keepalive-interval = 0\n"
				   "handshake-timeout = 250ms\n"
				   "pmtud-raise = 10s\n"
				   "tun-offload = no\n"
				   "udp-gso = off\n"
				   "udp-gro = false\n"
				   "tun-udp-coalesce = yes\n"
				   "gossip-probe-interval = 500ms\n"
				   "gossip-sync-interval = 1m\n"
				   "workers = 16\n";
	char ep[WF_ADDR_STRLEN];

	assert_true(parse(text));
	assert_string_equal(cfg.name, "n-1.x_y");
	assert_string_equal(cfg.interface, "mesh9");
	assert_string_equal(wf_endpoint_str(&cfg.listen, ep, sizeof(ep)), "0.0.0.0:51820");
	assert_int_equal(cfg.n_bootstrap, 2);
	assert_string_equal(cfg.bootstrap[0], "198.18.0.2:51820");
	assert_string_equal(cfg.bootstrap[1], "[fd00::2]:51821");
	assert_string_equal(wf_endpoint_str(&cfg.bootstrap_ep[0], ep, sizeof(ep)),
			    "198.18.0.2:51820");
	assert_string_equal(wf_endpoint_str(&cfg.bootstrap_ep[1], ep, sizeof(ep)),
			    "[fd00::2]:51821");
	assert_int_equal(cfg.mtu, 1280);
	assert_string_equal(cfg.private_key, "/etc/weft/keys/n.key");
	assert_string_equal(cfg.certificate, "/srv/n.crt");
	assert_string_equal(cfg.ca, "/etc/weft/../ca.crt");
	assert_string_equal(cfg.control, "/run/weft/n.sock");
	assert_int_equal(cfg.log_level, WF_LOG_DEBUG);
	assert_int_equal(cfg.rekey_interval_ms, 120000);
	assert_int_equal(cfg.keepalive_interval_ms, 0);
	assert_int_equal(cfg.handshake_timeout_ms, 250);
	assert_int_equal(cfg.pmtud_raise_ms, 10000);
	assert_false(cfg.tun_offload);
	assert_false(cfg.udp_gso);
	assert_false(cfg.udp_gro);
	assert_true(cfg.tun_udp_coalesce);
	assert_int_equal(cfg.gossip_probe_ms, 500);
	assert_int_equal(cfg.gossip_sync_ms, 60000);
	assert_int_equal(cfg.workers, 16);
}

/* What `weft node init` writes, with its commented-out defaults. */
static void test_node_init_format(void **state)
{
	static const char text[] = "# weft node configuration; see weft(8)\n"
				   "name = alpha\n"
				   "interface = weft0\n"
				   "listen = 198.18.0.1:51820\n"
				   "bootstrap = 198.18.0.2:51820\n"
				   "# mtu = 1440\n"
				   "# private-key = node.key\n"
				   "# certificate = node.crt\n"
				   "# ca = ca.crt\n"
				   "# log-level = info\n";

	assert_true(parse(text));
	assert_string_equal(cfg.name, "alpha");
	assert_int_equal(cfg.n_bootstrap, 1);
	assert_int_equal(cfg.mtu, 0);
}

static void test_whitespace_comments_crlf(void **state)
{
	static const char text[] = "\r\n   # indented comment\r\n\t\r\n"
				   "\tname\t=\talpha  \r\n"
				   "listen=198.18.0.1:51820\r\n"
				   "  mtu   =   1500\t\r\n"
				   "ca = my ca file.crt\n"
				   "log-level = warn"; /* no final newline */

	assert_true(parse(text));
	assert_string_equal(cfg.name, "alpha");
	assert_int_equal(cfg.mtu, 1500);
	assert_string_equal(cfg.ca, "/etc/weft/my ca file.crt");
	assert_int_equal(cfg.log_level, WF_LOG_WARN);
	/* "warning", as the log prints it, is accepted too */
	assert_true(parse("name = alpha\nlisten = 198.18.0.1:51820\nlog-level = warning\n"));
	assert_int_equal(cfg.log_level, WF_LOG_WARN);
}

static void test_durations(void **state)
{
	static const struct {
		const char *s;
		bool ok;
		unsigned ms;
	} cases[] = {
		/* 0 */ {"0", true, 0},		/* 1 */ {"1", true, 1000},
		/* 2 */ {"120s", true, 120000},	/* 3 */ {"2m", true, 120000},
		/* 4 */ {"1h", true, 3600000},	/* 5 */ {"750ms", true, 750},
		/* 6 */ {"24h", true, 86400000},	/* 7 */ {"86401s", false, 0},
		/* 8 */ {"", false, 0},		/* 9 */ {"s", false, 0},
		/* 10 */ {" 5", false, 0},		/* 11 */ {"+5", false, 0},
		/* 12 */ {"5 s", false, 0},		/* 13 */ {"5S", false, 0},
		/* 14 */ {"1.5s", false, 0},	/* 15 */ {"99999999999999999999999", false, 0},
	};
	unsigned ms;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ms = 12345;
		if (wf_duration_parse(cases[i].s, &ms) != cases[i].ok ||
		    (cases[i].ok && ms != cases[i].ms)) {
			print_error("case %zu: \"%s\" -> %u\n", i, cases[i].s, ms);
			fail();
		}
	}
}

static void test_bootstrap(void **state)
{
	char text[64 * 40 + 128], *p = text;
	int i;

	/* A name that resolves from /etc/hosts, kept as written. */
	assert_true(parse(BASE "bootstrap = localhost:51820\n"));
	assert_string_equal(cfg.bootstrap[0], "localhost:51820");
	assert_true(cfg.bootstrap_ep[0].sa.sa_family == AF_INET ||
		    cfg.bootstrap_ep[0].sa.sa_family == AF_INET6);

	/* 64 entries are fine, a 65th is not. */
	p += sprintf(p, BASE);
	for (i = 0; i < 64; i++)
		p += sprintf(p, "bootstrap = 198.18.1.%d:51820\n", i);
	assert_true(parse(text));
	assert_int_equal(cfg.n_bootstrap, 64);
	assert_string_equal(cfg.bootstrap[63], "198.18.1.63:51820");
	sprintf(p, "bootstrap = 198.18.2.1:51820\n");
	assert_false(parse(text));
	assert_string_equal(err, P ":67: too many 'bootstrap' lines (max 64)");
}

static void test_long_lines(void **state)
{
	size_t n = 3 * WF_CONFIG_MAX_LINE;
	char *text = malloc(n + 64), *v;

	assert_non_null(text);
	/* Exactly the maximum is accepted by the reader. */
	v = text + sprintf(text, BASE "#");
	memset(v, 'a', WF_CONFIG_MAX_LINE - 1);
	strcpy(v + WF_CONFIG_MAX_LINE - 1, "\r\nmtu = 1400\n");
	assert_true(parse(text));
	assert_int_equal(cfg.mtu, 1400);

	/* One byte more is a clean error. */
	memset(v, 'a', WF_CONFIG_MAX_LINE);
	strcpy(v + WF_CONFIG_MAX_LINE, "\n");
	assert_false(parse(text));
	assert_string_equal(err, P ":3: line is too long (max 4096 bytes)");

	/* Much longer, and without a final newline. */
	memset(v, 'b', n - (size_t)(v - text));
	text[n] = '\0';
	assert_false(parse(text));
	assert_string_equal(err, P ":3: line is too long (max 4096 bytes)");

	/* A long bootstrap value and a long unknown key. */
	v = text + sprintf(text, BASE "bootstrap = ");
	memset(v, 'h', 300);
	strcpy(v + 300, ":1\n");
	assert_false(parse(text));
	assert_string_equal(err, P ":3: bootstrap address is too long (max 255 bytes)");
	memset(text, 'k', 2000);
	strcpy(text + 2000, " = 1\n");
	assert_false(parse(text));
	assert_int_equal(strncmp(err, P ":1: unknown key 'kkkk", strlen(P) + 20), 0);
	free(text);
}

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* wf_config_load: relative and absolute directories, missing file, NUL bytes. */
static void test_load(void **state)
{
	char tmp[] = "/tmp/weft-test-config-XXXXXX", path[256], cwd[PATH_MAX], want[PATH_MAX + 32];

	assert_non_null(mkdtemp(tmp));
	assert_false(wf_config_load(&cfg, tmp, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s/weft.conf: No such file or directory", tmp);
	assert_string_equal(err, want);

	snprintf(path, sizeof(path), "%s/weft.conf", tmp);
	write_file(path, BASE, strlen(BASE));
	snprintf(want, sizeof(want), "%s/", tmp); /* trailing slash is dropped */
	assert_true(wf_config_load(&cfg, want, err, sizeof(err)));
	assert_string_equal(cfg.dir, tmp);
	assert_string_equal(cfg.path, path);
	snprintf(want, sizeof(want), "%s/weft.sock", tmp);
	assert_string_equal(cfg.control, want);

	/* A relative directory becomes absolute. */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir("/tmp"), 0);
	assert_true(wf_config_load(&cfg, tmp + 5, err, sizeof(err)));
	assert_string_equal(cfg.dir, tmp);
	snprintf(want, sizeof(want), "%s/node.key", tmp);
	assert_string_equal(cfg.private_key, want);
	assert_int_equal(chdir(cwd), 0);

	write_file(path, BASE "mtu = 1400\0\n", strlen(BASE) + 12);
	assert_false(wf_config_load(&cfg, tmp, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: file contains a NUL byte", path);
	assert_string_equal(err, want);

	/* Errors carry the real path and line. */
	write_file(path, BASE "listn = x\n", strlen(BASE) + 10);
	assert_false(wf_config_load(&cfg, tmp, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s:3: unknown key 'listn' (did you mean 'listen'?)", path);
	assert_string_equal(err, want);

	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(tmp), 0);
}

/* A tiny error buffer truncates, never overflows. */
static void test_small_err(void **state)
{
	char small[8];

	assert_false(wf_config_parse(&cfg, "/d", P, "bogus\n", small, sizeof(small)));
	assert_string_equal(small, "/etc/we");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_bare_durations),
		cmocka_unit_test(test_all_keys),
		cmocka_unit_test(test_datapath_keys),
		cmocka_unit_test(test_ops_keys),
		cmocka_unit_test(test_dns_keys),
		cmocka_unit_test(test_firewall_keys),
		cmocka_unit_test(test_node_init_format),
		cmocka_unit_test(test_whitespace_comments_crlf),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_bootstrap),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_small_err),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
