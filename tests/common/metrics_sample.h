/* SPDX-License-Identifier: MIT */
/*
 * A node's metrics snapshot made by hand: three members, two peers (one up
 * with everything known, one connecting with nothing known yet), two
 * workers. Shared by unit/test_metrics and the metricsdump tool that
 * tests/cli/metrics.sh gives to promtool.
 */
#ifndef WEFT_TEST_METRICS_SAMPLE_H
#define WEFT_TEST_METRICS_SAMPLE_H

#include "common/metrics.h"

static const struct wf_metrics_count sample_node_drops[] = {
    {"no_route", 7},
    {"multicast", 0},
    {"replay", 2},
    {"decrypt", 0},
};
static const struct wf_metrics_count sample_offloads[] = {
    {"tun_tso", 1}, {"tun_uso", 1}, {"tun_gro", 1}, {"udp_gso", 1}, {"udp_gro", 0},
};
static const struct wf_metrics_count sample_beta_drops[] = {{"replay", 2}};
static const struct wf_metrics_worker sample_workers[] = {
    {.tun_reads = 10,
     .udp_reads = 20,
     .tun_super_packets = 1,
     .udp_gso_sends = 2,
     .udp_gro_runs = 3,
     .tun_coalesced_writes = 4},
    {.tun_reads = 30, .udp_reads = 40},
};
static const struct wf_metrics_peer sample_peers[] = {
    {.name = "beta",
     .rx_bytes = 123456789012ULL,
     .tx_bytes = 2048,
     .rx_packets = 90000000,
     .tx_packets = 16,
     .drops = sample_beta_drops,
     .n_drops = 1,
     .last_handshake = 1796651234,
     .session = WF_METRICS_UP,
     .path = "udp4",
     .rtt_us = 1500,
     .mtu = 1440,
     .pmtu = 1279,
     .pmtu_probes = 15,
     .pmtu_losses = 12,
     .pmtu_black_holes = 1,
     .gso_refusals = 2,
     .gso_off = true},
    {.name = "gamma", .session = WF_METRICS_CONNECTING},
};
static const struct wf_metrics metrics_sample = {
    .version = "0.1.0",
    .node = "alpha",
    .network = "prod",
    .cipher = "aes-256-gcm",
    .start_time = 1796650000,
    .cert_not_after = 1828186000,
    .ca_not_after = 2111000000,
    .revocation_list_version = 3,
    .members = {3, 1, 0, 0},
    .suspected = 5,
    .died = 1,
    .refuted = 0,
    .hs_initiated = 12,
    .hs_completed = 10,
    .hs_answered = 9,
    .hs_proven = 9,
    .cookies_sent = 1,
    .revoked = true,
    .revoked_told = 4,
    .revoked_told_held = 2,
    .drops = sample_node_drops,
    .n_drops = sizeof(sample_node_drops) / sizeof(sample_node_drops[0]),
    .offloads = sample_offloads,
    .n_offloads = sizeof(sample_offloads) / sizeof(sample_offloads[0]),
    .workers = sample_workers,
    .n_workers = 2,
    .peers = sample_peers,
    .n_peers = 2,
};

#endif
