/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the firewall's two parsers and what follows them.
 *
 * First byte even: the rest is a rule line (bit 1: outbound). What parses
 * must be written back (wf_fw_rule_str) to a line that parses to the very
 * same spec, and compile.
 *
 * First byte odd: the rest is a run of packets, each [len][dir, peer, time]
 * then len bytes, judged in turn by one small tracking table under a fixed
 * rule set. Anything may be refused; nothing may crash, the table never
 * holds more than its capacity, and an allowed packet judged again at once
 * is allowed again (a flow it opened or renewed is there).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/firewall.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct wf_fw_names *names;
static struct wf_fw_rules *rules;
static struct wf_fw_ident peers[2];

static void setup(void)
{
	static const char *const lines[] = {
	    "allow tcp 22 from group admin",	  "drop tcp 1-1024",
	    "allow udp 53 from 100.64.0.0/24",	  "drop icmp from peer evil",
	    "drop any from fd00::/64 to fd00::1",
	};
	struct wf_fw_spec s[6];
	struct wf_cert c;
	char err[128];

	names = wf_fw_names_new();
	for (int i = 0; i < 5; i++)
		if (!wf_fw_rule_parse(WF_FW_IN, lines[i], &s[i], err, sizeof(err)))
			abort();
	if (!wf_fw_rule_parse(WF_FW_OUT, "drop udp 5000-6000 to group admin", &s[5], err,
			      sizeof(err)))
		abort();
	if (!(rules = wf_fw_rules_new(s, 6, names, 1)))
		abort();
	memset(&c, 0, sizeof(c));
	strcpy(c.name, "evil");
	wf_fw_ident_make(names, &c, 1, &peers[0]);
	strcpy(c.name, "root");
	c.n_groups = 1;
	strcpy(c.groups[0], "admin");
	wf_fw_ident_make(names, &c, 2, &peers[1]);
}

static void fuzz_rule(const uint8_t *data, size_t size, enum wf_fw_dir dir)
{
	char text[512], again[WF_FW_RULE_TEXT], err[160];
	struct wf_fw_spec a, b;
	struct wf_fw_rules *rs;

	if (size >= sizeof(text))
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!wf_fw_rule_parse(dir, text, &a, err, sizeof(err)))
		return;
	if (!wf_fw_rule_str(&a, again, sizeof(again))[0])
		abort();
	if (!wf_fw_rule_parse(dir, again, &b, err, sizeof(err)) || memcmp(&a, &b, sizeof(a)))
		abort();
	if (!(rs = wf_fw_rules_new(&a, 1, names, 2)) || rs->n[dir] != 1)
		abort();
	wf_fw_rules_free(rs);
}

static void fuzz_packets(const uint8_t *data, size_t size)
{
	struct wf_fw_timeouts to;
	struct wf_fw_flows *ft;
	int64_t now = 0;

	wf_fw_timeouts_default(&to);
	to.tcp_new = to.udp_new = to.icmp = 200;
	if (!(ft = wf_fw_flows_new(64, 0, 42, &to)))
		abort();
	while (size >= 2) {
		size_t len = data[0];
		uint8_t how = data[1];
		enum wf_fw_dir dir = how & 1 ? WF_FW_OUT : WF_FW_IN;
		const struct wf_fw_ident *peer = &peers[how >> 1 & 1];
		struct wf_fw_note note = {0};
		struct wf_fw_pkt p;

		data += 2;
		size -= 2;
		len = len < size ? len : size;
		now += how >> 2;
		if (wf_fw_pkt_parse(data, len, &p) &&
		    wf_fw_filter(ft, rules, dir, peer, &p, how >> 6, now, &note) == WF_FW_ALLOW &&
		    wf_fw_filter(ft, rules, dir, peer, &p, how >> 6, now, &note) != WF_FW_ALLOW)
			abort();
		if (note.valid)
			wf_fw_flows_adopt(ft, &note, now);
		if (wf_fw_flows_count(ft, now) > wf_fw_flows_capacity(ft))
			abort();
		data += len;
		size -= len;
	}
	wf_fw_flows_free(ft);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!names)
		setup();
	if (size < 1)
		return 0;
	if (data[0] & 1)
		fuzz_packets(data + 1, size - 1);
	else
		fuzz_rule(data + 1, size - 1, data[0] & 2 ? WF_FW_OUT : WF_FW_IN);
	return 0;
}
