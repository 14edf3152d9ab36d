#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Path MTU without ICMP (RFC 8899 probes, docs/protocol.md "Path MTU probes").
# a reaches b through a router r whose link to b has MTU 1280 and which drops
# all ICMP (nftables), so a's kernel never learns that path's MTU; a reaches
# c directly over 1500 bytes.
#   - the positive control: a datagram in clear with DF over 1280 bytes from a
#     to b is lost, and a's kernel learns no MTU for b (no ICMP came);
#   - a's probes find b's path: its path MTU is 1280 at most (within the
#     search's 8 bytes), its routes on the device carry that less 60, and a
#     1 MiB TCP transfer both ways and large UDP datagrams get through; b's
#     SYNs reach a's device with their MSS clamped to that path;
#   - c's path keeps 1500 (one probe, acknowledged);
#   - the link's MTU raised again is found by the next raise (pmtud-raise).
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT"
need_cmd python3 nft

XFER=$WF_ROOT/tests/netns/tcpxfer.py
UDP=$WF_ROOT/tests/netns/udptool.py
ns_create a r b c
link_veth a 198.18.1.1/24 r 198.18.1.2/24
link_veth r 198.18.2.2/24 b 198.18.2.1/24 1280
link_veth a 198.18.3.1/24 c 198.18.3.2/24
ns_exec r sysctl -qw net.ipv4.ip_forward=1
ns_exec a ip route add 198.18.2.0/24 via 198.18.1.2
ns_exec b ip route add 198.18.1.0/24 via 198.18.2.2
cat >"$WF_TMP/noicmp.nft" <<'EOF'
table inet noicmp {
	chain forwarded { type filter hook forward priority 0; meta l4proto { icmp, ipv6-icmp } drop; }
	chain sent { type filter hook output priority 0; meta l4proto { icmp, ipv6-icmp } drop; }
}
EOF
ns_exec r nft -f "$WF_TMP/noicmp.nft"

learned_mtu() { # learned_mtu NS DST: the MTU the kernel holds for DST (empty: none)
	ns_quiet "$1" ip route get "$2" | sed -n 's/.* mtu \([0-9]*\).*/\1/p'
}
# (UDP with DF, as Linux sends it: the answers are not ICMP, which r drops.)
bg b python3 "$UDP" echo 198.18.2.1 7000
wait_for 5 grep -q listening "$BG_LOG"
out=$(ns_quiet a python3 "$UDP" sweep 198.18.2.1 7000 1200 1200)
[[ $out == *" ok 1 "* ]] || fail "1200 bytes in clear do not reach b: $out"
out=$(ns_quiet a python3 "$UDP" sweep 198.18.2.1 7000 1400 1400)
[[ $out == *" lost 1" ]] || fail "1400 bytes in clear reached b: the link is not narrow ($out)"
[ -z "$(learned_mtu a 198.18.2.1)" ] || fail "a learned b's path MTU: ICMP got through"

MESH_EXTRA_CONF="pmtud-raise = 10s"
mesh_ca
mesh_node a 1 0.0.0.0
mesh_node b 2 198.18.2.1 198.18.1.1:51820
mesh_node c 3 198.18.3.2 198.18.3.1:51820
mesh_up a
mesh_up b
mesh_up c
wait_for 10 peer_up a b
wait_for 10 peer_up a c

pmtud() { # pmtud NODE PEER FIELD: the peer's path MTU search as NODE's status says
	status_field "$1" "(next(p for p in d['peers'] if p['name'] == '$2').get('pmtud') or {}).get('$3')"
}
route_mtu() { # route_mtu NS DST: the MTU the kernel uses towards DST
	ns_quiet "$1" ip route get "$2" | sed -n 's/.* mtu \([0-9]*\).*/\1/p'
}
pmtud_of() { # pmtud_of NODE PEER: "STATE PMTU" of the peer's search, from one reading
	status_field "$1" "(lambda s: '%s %s' % (s['state'], s['pmtu']) if s else 'none 0')(next(p for p in d['peers'] if p['name'] == '$2')['pmtud'])"
}
found_b() { local s; s=$(pmtud_of a b); [ "${s% *}" = complete ] && [ "${s#* }" -le 1280 ]; }
wait_for 45 found_b || fail "a did not find b's path MTU"
pm=$(pmtud a b pmtu)
echo "a's search for b: path MTU $pm, probes $(pmtud a b probes), acks $(pmtud a b acks)," \
	"losses $(pmtud a b losses), black holes $(pmtud a b black_holes)"
[ "$pm" -gt $((1280 - 8)) ] || fail "b's path MTU $pm is more than 8 bytes short of 1280"
[ "$(pmtud a b black_holes)" -ge 1 ] || fail "no black hole counted for b's path"
wait_until 5 '[ "$(route_mtu a 100.64.0.2)" = $((pm - 60)) ]' ||
	fail "b's route at a has MTU $(route_mtu a 100.64.0.2), not $((pm - 60))"
[ "$(route_mtu a fd00::2)" = 1280 ] || fail "b's IPv6 route at a has MTU $(route_mtu a fd00::2), not 1280"
[ "$(pmtud a c pmtu)" = 1500 ] && [ "$(pmtud a c losses)" = 0 ] && [ "$(pmtud a c acks)" -ge 1 ] ||
	fail "c's path: $(status_field a "next(p for p in d['peers'] if p['name'] == 'c')['pmtud']")"

# b's SYNs announce 1180 (its device's 1220 less 40); a's path to b takes
# pm - 60 inside: weft at a lowers the option to fit before a's device
# sees it (TCP MSS clamping; Linux puts the MSS option first).
capture_start a "$WF_TMP/syn.pcap" -i weft0 "tcp[tcpflags] & tcp-syn != 0"
tcp_knock b 100.64.0.1 5999
wait_for 10 pcap_has "$WF_TMP/syn.pcap" "src host 100.64.0.2" || fail "the capture saw no SYN from b"
capture_stop
echo "b's SYN at a's device: $(tcpdump -r "$WF_TMP/syn.pcap" -nv 2>/dev/null | grep -o 'mss [0-9]*' | head -1)"
pcap_has "$WF_TMP/syn.pcap" "src host 100.64.0.2 and tcp[22:2] = $((pm - 100))" ||
	fail "b's SYN was not clamped to $((pm - 100))"

transfer() { # transfer FROM TO TO_ADDR PORT MBYTES
	local sent got
	bg "$2" python3 "$XFER" recv "$3" "$4"
	local pid=$BG_PID log=$BG_LOG
	wait_for 5 grep -q listening "$log"
	sent=$(ns_quiet "$1" python3 "$XFER" send "$3" "$4" "$5")
	bg_wait "$pid"
	got=$(grep -v listening "$log")
	echo "$1 -> $2: $sent"
	[ "$sent" = "$got" ] || fail "the transfer from $1 to $2 broke"
}
transfer a b 100.64.0.2 5001 1
transfer b a 100.64.0.1 5002 1
bg b python3 "$UDP" echo 100.64.0.2 6000
wait_for 5 grep -q listening "$BG_LOG"
for range in "1200 1230" "1400 1410" "3000 3004"; do
	# shellcheck disable=SC2086
	out=$(ns_quiet a python3 "$UDP" sweep 100.64.0.2 6000 $range)
	echo "UDP to b, sizes $range: $out"
	[[ $out == *" ok $(( ${range#* } - ${range% *} + 1 )) bad 0 lost 0" ]] || fail "UDP datagrams to b were lost"
done

# The link widens again: found by the next search upward.
ns_exec r ip link set to-b mtu 1500
ns_exec b ip link set to-r mtu 1500
wait_until 40 '[ "$(pmtud a b pmtu)" = 1500 ]' || fail "a did not find b's wider path"
echo "b's path widened: path MTU $(pmtud a b pmtu), route $(route_mtu a 100.64.0.2)"
wait_until 5 '[ -z "$(route_mtu a 100.64.0.2)" ]' || fail "b kept a narrow route"
transfer a b 100.64.0.2 5003 1

# a's own link towards r narrows (1280): a segmented send to b is refused
# (EMSGSIZE); b's segmentation goes off, its route's MTU is read again and
# its path MTU follows; c, on its own 1500 link, keeps segmentation (the
# positive control: its segmented sends go on). UDP super-packets of 20
# datagrams of 1400 bytes make the runs (b's own MTU, 1220 since its link
# was narrow when it started, keeps TCP to it below 1280).
seg() { # seg NODE PEER FIELD: the peer's UDP segmentation as NODE's status says
	status_field "$1" "next(p for p in d['peers'] if p['name'] == '$2')['segmentation']['$3']"
}
bg c python3 "$UDP" echo 100.64.0.3 6001
wait_for 5 grep -q listening "$BG_LOG"
ns_exec a ip link set to-r mtu 1280
out=$(ns_quiet a python3 "$UDP" segmented 100.64.0.2 6000 1400 20)
echo "to b over the narrowed link: $out"
wait_until 5 '[ "$(seg a b on)" = False ]' || fail "b's segmentation was not turned off"
wait_until 5 '[ "$(pmtud a b pmtu)" = 1280 ]' || fail "b's path MTU did not follow the narrower route"
c_sends=$(seg a c sends)
out=$(ns_quiet a python3 "$UDP" segmented 100.64.0.3 6001 1400 20)
echo "to c: $out"
[ "$out" = "segmented 20 ok 20" ] || fail "segmented datagrams to c were lost"
out=$(ns_quiet a python3 "$UDP" segmented 100.64.0.2 6000 1100 20)
echo "to b, now one by one: $out"
[ "$out" = "segmented 20 ok 20" ] || fail "datagrams to b were lost after its segmentation went off"
echo "segmentation at a: to b on=$(seg a b on) why=$(seg a b why) refusals=$(seg a b refusals)" \
	"retry in $(seg a b retry_seconds) s; to c on=$(seg a c on) sends $c_sends -> $(seg a c sends)" \
	"refusals=$(seg a c refusals)"
[ "$(seg a b refusals)" -ge 1 ] && [ "$(seg a b why)" = "Message too long" ] || fail "b's refusal not shown"
[ "$(seg a c on)" = True ] && [ "$(seg a c refusals)" = 0 ] || fail "c lost its segmentation"
[ "$(seg a c sends)" -gt "$c_sends" ] || fail "no segmented send to c after b's refusal"
[ "$(status_field a "d['node']['offloads']['udp_gso']['on']")" = True ] || fail "a turned udp-gso off for every peer"
echo "b's path MTU $(pmtud a b pmtu), route $(route_mtu a 100.64.0.2)"
transfer a b 100.64.0.2 5004 1
echo "pmtud: OK"
