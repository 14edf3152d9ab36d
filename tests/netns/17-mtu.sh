#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The overlay MTU follows the underlay. Host a is on a jumbo link (MTU 9000)
# to b and a standard one (1500) to c, and listens on both:
#   - a's and b's devices take 8940 (9000 less 60), c's 1440;
#   - a gives c's overlay addresses routes with MTU 1440, none for b;
#   - the kernel enforces both: a ping of exactly the MTU passes with DF set,
#     one byte more fails at the sender, to b and to c;
#   - packets larger than c's MTU leave a cut to it by a's kernel, so no
#     underlay fragment crosses c's link (a capture there sees none, while a
#     ping of 4000 bytes gets its answers; it does see those of a ping sent in
#     clear);
#   - TCP both ways between a and c, and between a and b, arrives intact;
#   - weft status says each peer's MTU.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT"
need_cmd python3 tcpdump

XFER=$WF_ROOT/tests/netns/tcpxfer.py
ns_create a b c
link_veth a 198.18.1.1/24 b 198.18.1.2/24 9000
link_veth a 198.18.2.1/24 c 198.18.2.2/24
mesh_ca
mesh_node a 1 0.0.0.0
mesh_node b 2 198.18.1.2 198.18.1.1:51820
mesh_node c 3 198.18.2.2 198.18.2.1:51820
mesh_up a
mesh_up b
mesh_up c
wait_for 10 pings b 100.64.0.1
wait_for 10 pings c 100.64.0.1

dev_mtu() { # dev_mtu NS
	ns_quiet "$1" cat /sys/class/net/weft0/mtu
}
route_mtu() { # route_mtu NS DST: the MTU the kernel uses towards DST
	ns_quiet "$1" ip route get "$2" | sed -n 's/.* mtu \([0-9]*\).*/\1/p'
}
peer_mtu() { # peer_mtu NODE PEER: as weft status says
	status_field "$1" "next(p['mtu'] for p in d['peers'] if p['name'] == '$2')"
}

echo "devices: a $(dev_mtu a), b $(dev_mtu b), c $(dev_mtu c)"
[ "$(dev_mtu a)" = 8940 ] && [ "$(dev_mtu b)" = 8940 ] && [ "$(dev_mtu c)" = 1440 ] ||
	fail "device MTUs do not follow the underlay"
# The route comes from the tick after the session: wait for it.
if ! wait_until 15 '[ "$(route_mtu a 100.64.0.3)" = 1440 ]'; then
	ns_exec a ip route show dev weft0
	ns_exec a ip route get 100.64.0.3
	ns_exec a ip -6 route show dev weft0
	fail "c's address has no MTU route at a"
fi
echo "a's routes: to c $(route_mtu a 100.64.0.3) and $(route_mtu a fd00::3); to b $(route_mtu a 100.64.0.2)"
[ "$(route_mtu a fd00::3)" = 1440 ] || fail "c's IPv6 address has no MTU route at a"
[ -z "$(route_mtu a 100.64.0.2)" ] || fail "b got an MTU route it does not need"
echo "weft status at a: b $(peer_mtu a b), c $(peer_mtu a c)"
[ "$(peer_mtu a b)" = 8940 ] && [ "$(peer_mtu a c)" = 1440 ] || fail "status shows wrong MTUs"

# Exactly the MTU passes with DF; one byte more is refused by the sender.
ns_exec a ping -c 1 -W 2 -M do -s $((8940 - 28)) 100.64.0.2 >/dev/null || fail "a jumbo ping to b did not pass"
ns_exec a ping -c 1 -W 2 -M do -s $((1440 - 28)) 100.64.0.3 >/dev/null || fail "a full-size ping to c did not pass"
if ns_quiet a ping -c 1 -W 2 -M do -s $((1440 - 27)) 100.64.0.3 >/dev/null 2>&1; then
	fail "a ping over c's MTU left a with DF set"
fi
if ns_quiet a ping -c 1 -W 2 -M do -s $((8940 - 27)) 100.64.0.2 >/dev/null 2>&1; then
	fail "a ping over the device MTU left a with DF set"
fi

transfer() { # transfer FROM TO TO_ADDR PORT
	local sent got
	bg "$2" python3 "$XFER" recv "$3" "$4"
	local pid=$BG_PID log=$BG_LOG
	wait_for 5 grep -q listening "$log"
	sent=$(ns_quiet "$1" python3 "$XFER" send "$3" "$4" 100)
	bg_wait "$pid"
	got=$(grep -v listening "$log")
	echo "$1 -> $2: $sent"
	[ "$sent" = "$got" ] || fail "the transfer from $1 to $2 broke"
}

# Underlay fragments on c's link: there must be none. The end marker, and
# the capture's positive control: a large ping in clear over the underlay,
# which a's kernel does fragment, sent after the pings through the mesh were
# answered (so their datagrams are in the capture before it).
capture_start c "$WF_TMP/frags.pcap" -i to-a "ip and (ip[6:2] & 0x3fff) != 0"
ns_exec a ping -c 3 -W 2 -s 4000 100.64.0.3 | tail -2
ns_quiet a ping -c 3 -W 2 -s 4000 100.64.0.3 >/dev/null || fail "large pings to c got no answer"
ns_exec a ping -c 1 -W 2 -s 3000 198.18.2.2 | tail -1
wait_for 10 pcap_has "$WF_TMP/frags.pcap" icmp || fail "the capture cannot see fragments (the marker)"
capture_stop
frags=$(pcap_count "$WF_TMP/frags.pcap" not icmp)
echo "underlay fragments on c's link: $frags through the mesh, $(pcap_count "$WF_TMP/frags.pcap" icmp) of the ping in clear"
[ "$frags" = 0 ] || fail "a's datagrams to c were fragmented on the way"
transfer a c 100.64.0.3 5001
transfer c a 100.64.0.1 5002
transfer a b 100.64.0.2 5003
transfer b a 100.64.0.1 5004
echo "mtu: OK"
