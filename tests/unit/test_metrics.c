/* SPDX-License-Identifier: MIT */
/*
 * The metrics renderer (src/common/metrics.c): exact samples for a snapshot
 * made by hand, label escaping, what is left out when unknown, and the
 * format's own rules checked line by line: every family announced once by
 * HELP and TYPE, its samples together after it, counters named _total.
 * (tests/cli/metrics.sh has promtool check the same text.) Cases are
 * numbered.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/metrics.h"
#include "../common/metrics_sample.h"

static char *render(const struct wf_metrics *m)
{
	size_t len = 0;
	char *text = wf_metrics_render(m, &len);

	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	return text;
}

/* The line exactly, as a whole line. */
static void has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
	fail_msg("no line '%s'", line);
}

static void no_line_starting(const char *text, const char *start)
{
	size_t n = strlen(start);

	for (const char *p = text; (p = strstr(p, start)); p++)
		if (p == text || p[-1] == '\n')
			fail_msg("unexpected line starting '%.*s'", (int)n + 20, p);
}

/* 1. The sample snapshot: one line of each kind, exactly. */
static void test_1_samples(void **state)
{
	static const char *const lines[] = {
	    "weft_build_info{version=\"0.1.0\"} 1",
	    "weft_node_info{node=\"alpha\",network=\"prod\",cipher=\"aes-256-gcm\"} 1",
	    "weft_start_time_seconds 1796650000",
	    "weft_certificate_expiry_timestamp_seconds{certificate=\"node\"} 1828186000",
	    "weft_certificate_expiry_timestamp_seconds{certificate=\"ca\"} 2111000000",
	    "weft_revocation_list_version 3",
	    "weft_members{state=\"alive\"} 3",
	    "weft_members{state=\"suspect\"} 1",
	    "weft_members{state=\"left\"} 0",
	    "weft_suspicions_total 5",
	    "weft_handshakes_initiated_total 12",
	    "weft_cookies_sent_total 1",
	    "weft_node_revoked 1",
	    "weft_revocation_notices_total{result=\"sent\"} 4",
	    "weft_revocation_notices_total{result=\"held\"} 2",
	    "weft_drops_total{reason=\"no_route\"} 7",
	    "weft_offload_enabled{offload=\"udp_gro\"} 0",
	    "weft_worker_reads_total{worker=\"1\",source=\"udp\"} 40",
	    "weft_worker_batches_total{worker=\"0\",kind=\"udp_gro_run\"} 3",
	    "weft_peer_receive_bytes_total{peer=\"beta\"} 123456789012",
	    "weft_peer_transmit_packets_total{peer=\"gamma\"} 0",
	    "weft_peer_drops_total{peer=\"beta\",reason=\"replay\"} 2",
	    "weft_peer_session_state{peer=\"beta\",state=\"up\"} 1",
	    "weft_peer_session_state{peer=\"beta\",state=\"down\"} 0",
	    "weft_peer_session_state{peer=\"gamma\",state=\"connecting\"} 1",
	    "weft_peers{state=\"up\"} 1",
	    "weft_peers{state=\"connecting\"} 1",
	    "weft_peers{state=\"idle\"} 0",
	    "weft_peer_last_handshake_timestamp_seconds{peer=\"beta\"} 1796651234",
	    "weft_peer_path_info{peer=\"beta\",path=\"udp4\"} 1",
	    "weft_peer_rtt_seconds{peer=\"beta\"} 0.001500",
	    "weft_peer_mtu_bytes{peer=\"beta\"} 1440",
	    "weft_peer_path_mtu_bytes{peer=\"beta\"} 1279",
	    "weft_peer_pmtu_probes_total{peer=\"beta\"} 15",
	    "weft_peer_pmtu_lost_total{peer=\"beta\"} 12",
	    "weft_peer_pmtu_black_holes_total{peer=\"beta\"} 1",
	    "weft_peer_udp_gso_refusals_total{peer=\"beta\"} 2",
	    "weft_peer_udp_gso_enabled{peer=\"beta\"} 0",
	    "weft_peer_udp_gso_enabled{peer=\"gamma\"} 1",
	};
	char *text = render(&metrics_sample);

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		has_line(text, lines[i]);
	free(text);
}

/* 2. What is not known has no sample: gamma never completed a handshake,
 * has no endpoint, no RTT, no MTU. */
static void test_2_unknown_left_out(void **state)
{
	char *text = render(&metrics_sample);

	(void)state;
	no_line_starting(text, "weft_peer_last_handshake_timestamp_seconds{peer=\"gamma\"}");
	no_line_starting(text, "weft_peer_path_info{peer=\"gamma\"");
	no_line_starting(text, "weft_peer_rtt_seconds{peer=\"gamma\"}");
	no_line_starting(text, "weft_peer_mtu_bytes{peer=\"gamma\"}");
	no_line_starting(text, "weft_peer_path_mtu_bytes{peer=\"gamma\"}");
	no_line_starting(text, "weft_peer_pmtu_probes_total{peer=\"gamma\"}");
	free(text);
}

/* 3. Label values escape backslash, double quote and newline, and nothing
 * else (UTF-8 passes as it is). */
static void test_3_escaping(void **state)
{
	struct wf_metrics m = {
	    .version = "1\\2\"3\n4", .node = "caf\xc3\xa9", .network = "n", .cipher = "c"};
	char *text = render(&m);

	(void)state;
	has_line(text, "weft_build_info{version=\"1\\\\2\\\"3\\n4\"} 1");
	has_line(text, "weft_node_info{node=\"caf\xc3\xa9\",network=\"n\",cipher=\"c\"} 1");
	free(text);
}

static bool ends_in_total(const char *name)
{
	size_t n = strlen(name);

	return n > 6 && !strcmp(name + n - 6, "_total");
}

/* One line: a TYPE starts a family (once, a counter named _total); a
 * sample must belong to the family announced last. */
static void check_line(const char *line, char *fam, size_t cap, char *seen, size_t seen_cap)
{
	char name[128], type[16];

	if (sscanf(line, "# TYPE %127s %15s", name, type) == 2) {
		char key[132];

		snprintf(key, sizeof(key), "|%s|", name);
		if (strstr(seen, key))
			fail_msg("family %s announced twice", name);
		assert_true(strlen(seen) + strlen(key) < seen_cap);
		strcat(seen, key);
		snprintf(fam, cap, "%s", name);
		if ((strcmp(type, "counter") == 0) != ends_in_total(name))
			fail_msg("%s: a counter must end in _total, and only a counter", name);
		return;
	}
	if (line[0] == '#')
		return;
	if (strncmp(line, fam, strlen(fam)) ||
	    (line[strlen(fam)] != '{' && line[strlen(fam)] != ' '))
		fail_msg("sample '%s' outside its family (in %s)", line, fam);
}

/* 4-5. The format's rules, on the sample and on an empty snapshot (a node
 * alone: no peers, no workers yet). */
static void check_format(const struct wf_metrics *m)
{
	char *text = render(m), *save = NULL, fam[128] = "", seen[8192] = "";
	unsigned helps = 0, types = 0;

	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		helps += !strncmp(line, "# HELP ", 7);
		types += !strncmp(line, "# TYPE ", 7);
		check_line(line, fam, sizeof(fam), seen, sizeof(seen));
	}
	assert_int_equal(helps, types);
	assert_true(types >= 25);
	free(text);
}

static void test_4_format_sample(void **state)
{
	(void)state;
	check_format(&metrics_sample);
}

static void test_5_format_empty(void **state)
{
	struct wf_metrics m = {.version = "0.1.0", .node = "a", .network = "n", .cipher = "c"};

	(void)state;
	check_format(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_1_samples),	   cmocka_unit_test(test_2_unknown_left_out),
	    cmocka_unit_test(test_3_escaping),	   cmocka_unit_test(test_4_format_sample),
	    cmocka_unit_test(test_5_format_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
