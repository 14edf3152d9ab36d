#!/usr/bin/env bash
# weft-test: alone (it loads the machine, or raises a machine-wide setting)
# SPDX-License-Identifier: MIT
#
# The batched, offloaded data path under real load, between two hosts on a
# 1500-byte link, first with every offload on, then with all of them off:
#   - 1 GiB of TCP each way, over the IPv4 and the IPv6 overlay, arrives
#     intact (SHA-256 at both ends);
#   - offloads on: UDP datagrams of every size from 1 to 65,507 bytes (those
#     over the MTU fragmented by IPv4) arrive intact, and so do UDP
#     super-packets an application sends with UDP_SEGMENT;
#   - offloads on: 64 TCP connections at once all arrive intact, and the
#     receiver's TUN device sees no packet of any flow out of order (the
#     sender's kernel numbers each segment with the next IPv4 ID: a capture
#     on the receiving interface must see the IDs of every flow in order);
#   - neither receiving kernel saw a bad TCP or UDP checksum (every checksum
#     the sender's kernel left to weft was completed), and neither daemon
#     counted a malformed packet, a send error or a TUN error.
# Positive controls: the offloads are reported on (or off) as configured,
# their counters show they did the work, and the order check finds the
# reordering in a capture made to have one.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT"
need_cmd python3 tcpdump nstat

XFER=$WF_ROOT/tests/netns/tcpxfer.py
UDPTOOL=$WF_ROOT/tests/netns/udptool.py
MBYTES=${WEFT_BULK_MBYTES:-1024}

# A pair of hosts for each case; the nodes are named as their namespaces.
ns_create aon bon aoff boff
link_veth aon 198.18.0.1/24 bon 198.18.0.2/24
link_veth aoff 198.18.0.1/24 boff 198.18.0.2/24
mesh_ca

# The order check can see reordering: two packets of one flow, IDs swapped.
python3 - "$WF_TMP/swapped.pcap" <<'EOF'
import struct, sys
def pkt(ipid):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 60, ipid, 0x4000, 64, 6, 0,
                     bytes([100, 64, 0, 1]), bytes([100, 64, 0, 2]))
    return ip + struct.pack("!HHIIBBHHH", 1, 2, 0, 0, 5 << 4, 0x10, 0, 0, 0) + b"x" * 20
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
    for i in (7, 9, 8, 10):
        p = pkt(i)
        f.write(struct.pack("<IIII", 0, 0, len(p), len(p)) + p)
EOF
got=$(python3 "$XFER" order "$WF_TMP/swapped.pcap")
echo "order check on a capture with one packet out of order: $got"
[ "$got" = "flows 1 packets 4 numbered 3 reordered 1" ] || fail "the order check cannot see reordering"

csum_errors() { # csum_errors NS: the kernel's count of bad TCP and UDP checksums received
	ns_quiet "$1" nstat -asz TcpInCsumErrors UdpInCsumErrors Udp6InCsumErrors |
		awk '/InCsumErrors/ {n += $2} END {print n + 0}'
}

transfer() { # transfer FROM TO_NS TO_ADDR PORT MBYTES [CONNECTIONS]
	local from=$1 to=$2 addr=$3 port=$4 mb=$5 n=${6:-1} sent got start=$SECONDS
	bg "$to" python3 "$XFER" recv "$addr" "$port" "$n"
	local pid=$BG_PID log=$BG_LOG
	wait_for 5 grep -q listening "$log"
	sent=$(ns_quiet "$from" python3 "$XFER" send "$addr" "$port" "$mb" "$n")
	bg_wait "$pid"
	got=$(grep -v listening "$log")
	echo "$from -> $to ($addr), $n x $mb MiB: $((SECONDS - start)) s"
	[ "$sent" = "$got" ] || { echo "sent: $sent"; echo "got:  $got"; fail "a transfer to $addr broke"; }
	[ "$(echo "$sent" | wc -l)" = "$n" ] || fail "not $n connections"
}

offload() { # offload NODE NAME: "on" or "off WHY"
	status_field "$1" "'on' if d['node']['offloads']['$2']['on'] else 'off ' + d['node']['offloads']['$2']['why']"
}

count() { # count NODE NAME: an offload counter
	status_field "$1" "d['node']['offload_counts']['$2']"
}

drops_ok() { # drops_ok NODE: no malformed packet, send or TUN error
	local d
	d=$(status_field "$1" "' '.join('%s=%d' % (k, d['drops'][k]) for k in ('malformed', 'send_error', 'tun_error'))")
	echo "[$1] drops: $d"
	[ "$d" = "malformed=0 send_error=0 tun_error=0" ] || fail "$1 dropped packets it should not have"
}

run_case() { # run_case on|off A_N B_N
	local mode=$1 na=$2 nb=$3 a=a$1 b=b$1 o
	MESH_EXTRA_CONF=
	[ "$mode" = on ] || MESH_EXTRA_CONF="tun-offload = no
udp-gso = no
udp-gro = no"
	mesh_node "$a" "$na" 198.18.0.1
	mesh_node "$b" "$nb" 198.18.0.2 198.18.0.1:51820
	mesh_up "$a"
	mesh_up "$b"
	wait_for 10 pings "$b" "100.64.0.$na"
	for o in tun_tso tun_gro udp_gso udp_gro; do
		echo "[$a] $o: $(offload "$a" $o)"
		if [ "$mode" = on ]; then
			[ "$(offload "$a" $o)" = on ] || fail "$o is not in use with the offloads on"
		else
			[ "$(offload "$a" $o)" = "off weft.conf" ] || fail "$o is in use with it off"
		fi
	done

	transfer "$b" "$a" "100.64.0.$na" 5001 "$MBYTES"
	transfer "$a" "$b" "100.64.0.$nb" 5002 "$MBYTES"
	transfer "$b" "$a" "fd00::$na" 5003 "$MBYTES"
	transfer "$a" "$b" "fd00::$nb" 5004 "$MBYTES"

	if [ "$mode" = on ]; then
		bg "$a" python3 "$UDPTOOL" echo "100.64.0.$na" 6001
		wait_for 5 grep -q listening "$BG_LOG"
		got=$(ns_quiet "$b" python3 "$UDPTOOL" sweep "100.64.0.$na" 6001 1 65507)
		echo "UDP over IPv4, every size: $got"
		[ "$got" = "sizes 65507 ok 65507 bad 0 lost 0" ] || fail "UDP datagrams lost or corrupted"
		got=$(ns_quiet "$b" python3 "$UDPTOOL" segmented "100.64.0.$na" 6001 1200 20)
		echo "UDP super-packet (UDP_SEGMENT, 20 x 1200): $got"
		[ "$got" = "segmented 20 ok 20" ] || fail "a UDP super-packet did not arrive whole"
		bg "$a" python3 "$UDPTOOL" echo "fd00::$na" 6002
		wait_for 5 grep -q listening "$BG_LOG"
		got=$(ns_quiet "$b" python3 "$UDPTOOL" sweep "fd00::$na" 6002 1 3000)
		echo "UDP over IPv6, 1 to 3000 bytes: $got"
		[ "$got" = "sizes 3000 ok 3000 bad 0 lost 0" ] || fail "UDP datagrams lost or corrupted"

		capture_start "$a" "$WF_TMP/flows.pcap" -i weft0 -s 96 -B 16384 tcp
		local dump_log=$BG_LOG
		transfer "$b" "$a" "100.64.0.$na" 5005 $((MBYTES / 64 > 0 ? MBYTES / 64 : 1)) 64
		# Every segment was received, so it went past the capture: a SYN
		# sent after them, in the file, says they are all there too.
		tcp_knock "$b" "100.64.0.$na" 5999
		wait_for 10 pcap_has "$WF_TMP/flows.pcap" tcp dst port 5999 ||
			fail "the capture's end marker never reached the file"
		capture_stop
		grep "dropped by kernel" "$dump_log"
		got=$(python3 "$XFER" order "$WF_TMP/flows.pcap")
		echo "64 flows, as the receiving TUN device saw them: $got"
		[[ $got =~ ^flows\ 64\ packets\ ([0-9]+)\ numbered\ ([0-9]+)\ reordered\ 0$ ]] ||
			fail "packets of a flow were reordered (or not 64 flows captured)"
		[ "${BASH_REMATCH[1]}" -ge 1000 ] || fail "the capture saw too few packets"
		# Every packet but a flow's first has an ID of its own: the
		# check had numbers to compare.
		[ "${BASH_REMATCH[2]}" = $((BASH_REMATCH[1] - 64)) ] ||
			fail "the sender's kernel did not number the packets of a flow"

		for c in tun_super_packets udp_gso_sends udp_gro_runs tun_coalesced_writes; do
			echo "[$b] $c: $(count "$b" $c)   [$a] $c: $(count "$a" $c)"
			[ "$(count "$b" $c)" -gt 0 ] && [ "$(count "$a" $c)" -gt 0 ] ||
				fail "$c: the offload did no work"
		done
	fi
	drops_ok "$a"
	drops_ok "$b"
	mesh_down "$b"
	mesh_down "$a"
}

run_case on 1 2
run_case off 3 4
for n in aon bon aoff boff; do
	echo "[$n] bad checksums received: $(csum_errors $n)"
	[ "$(csum_errors $n)" = 0 ] || fail "$n's kernel received packets with bad checksums"
done
echo "bulk: OK"
