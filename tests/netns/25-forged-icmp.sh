#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# A forged ICMP "fragmentation needed" does not set what weft sends a peer.
# Anyone who can send a datagram to a can forge one that quotes a datagram of
# weft's from a to b and names a small next-hop MTU; a's kernel believes it
# (it keeps a path MTU for b). weft finds paths itself (RFC 8899 probes) and
# takes such ICMP as a hint only, so the route MTU it starts b's search from
# must be the device's or one set by hand, never the one the kernel learned:
#   - the positive control: after the forgery, a's kernel holds MTU 1300 for b
#     (ip route get), so the forgery did reach it;
#   - a's daemon, restarted (it looks at b's path anew), starts b's search
#     from 1500 and finds 1500;
#   - a route MTU set by hand (1400) is taken: the smaller of it and the
#     device's is what fits.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT"
need_cmd python3

mesh_pair
mesh_up a
mesh_up b
wait_for 10 peer_up a b

learned_mtu() { # learned_mtu NS DST: the MTU the kernel holds for DST (empty: none)
	ns_quiet "$1" ip route get "$2" | sed -n 's/.* mtu \([0-9]*\).*/\1/p'
}
route_mtu() { # route_mtu NODE PEER: the route MTU b's search started from
	status_field "$1" "[p['pmtud']['route_mtu'] for p in d['peers'] if p['name'] == '$2' and p.get('pmtud')][0]" 2>/dev/null
}
has_route_mtu() { [ "$(route_mtu "$1" "$2")" = "$3" ]; }

# The forgery, sent from b's namespace (it could come from anywhere): ICMP
# type 3 code 4, next-hop MTU 1300, quoting an IPv4 header a -> b (UDP) and
# the UDP header 51820 -> 51820.
ns_exec b python3 - <<'PY'
import socket, struct

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF

inner = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 1400, 1, 0x4000, 64, 17, 0,
                    socket.inet_aton("198.18.0.1"), socket.inet_aton("198.18.0.2"))
inner = inner[:10] + struct.pack("!H", csum(inner)) + inner[12:]
quoted = inner + struct.pack("!HHHH", 51820, 51820, 1380, 0)
icmp = struct.pack("!BBHHH", 3, 4, 0, 0, 1300) + quoted
icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.sendto(icmp, ("198.18.0.1", 0))
PY
wait_until 5 '[ "$(learned_mtu a 198.18.0.2)" = 1300 ]' ||
	fail "positive control: a's kernel did not take the forged ICMP ($(ns_quiet a ip route get 198.18.0.2))"
echo "a's kernel holds MTU 1300 for b, from the forgery"

mesh_down a
mesh_up a
wait_for 10 peer_up a b
[ "$(learned_mtu a 198.18.0.2)" = 1300 ] || fail "the learned MTU went before the check"
wait_for 10 has_route_mtu a b 1500 ||
	fail "a started b's path search from $(route_mtu a b), not the device's 1500 (the forged MTU was taken)"
echo "a's search for b starts from 1500, not the forged 1300"

# A route MTU set by hand is the operator's word: taken at the next look.
ns_exec a ip route add 198.18.0.2/32 dev "$(ns_quiet a ip -o route get 198.18.0.2 | sed -n 's/.* dev \([^ ]*\).*/\1/p')" mtu 1400
mesh_down a
mesh_up a
wait_for 10 peer_up a b
wait_for 10 has_route_mtu a b 1400 || fail "a did not take the route MTU set by hand ($(route_mtu a b))"
echo "forged-icmp: ok"
