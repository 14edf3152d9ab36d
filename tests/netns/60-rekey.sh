#!/usr/bin/env bash
# Rekeying under a running TCP stream loses no connection: with a 2-second
# rekey interval, a transfer of 12 s crosses about six rekeys, and the data
# arrives intact. And it loses no packet: pings every 0.1 s across several
# more rekeys all come back, and neither end ever dropped a packet for a
# missing or wrong key (unknown_index, decrypt).
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT"
need_cmd python3

MESH_EXTRA_CONF="rekey-interval = 2s"
ns_create a b
link_veth a 198.18.2.1/24 b 198.18.2.2/24
mesh_ca
mesh_node a 1 198.18.2.1
mesh_node b 2 198.18.2.2 198.18.2.1:51820
mesh_up a
mesh_up b
wait_for 10 peer_up a b
wait_for 10 peer_up b a

# A slow steady stream (throttled by tc on the underlay) that lasts > 10 s.
ns_exec a tc qdisc add dev to-b root tbf rate 40mbit burst 64kb latency 50ms
bg b python3 "$WF_ROOT/tests/netns/tcpxfer.py" recv 100.64.0.2 5002
recv_pid=$BG_PID
wait_for 5 grep -q listening "$BG_LOG"
start=$SECONDS
sent=$(ns_quiet a python3 "$WF_ROOT/tests/netns/tcpxfer.py" send 100.64.0.2 5002 60)
wait "$recv_pid"
got=$(tail -n 1 "$BG_LOG")
echo "sent:     $sent"
echo "received: $got  ($((SECONDS - start)) s)"
[ "$sent" = "$got" ] || fail "the stream broke or was corrupted across rekeys"
[ $((SECONDS - start)) -ge 6 ] || fail "transfer too short to cross several rekeys"

# Keys really changed: the last handshake is recent although the session is old.
hs=$(status_field a 'd["peers"][0]["last_handshake_seconds"]')
up=$(status_field a 'd["node"]["uptime_seconds"]')
echo "uptime ${up}s, last handshake ${hs}s ago"
[ "$hs" -le 4 ] && [ "$up" -ge 8 ] || fail "no rekey happened"
ns_exec a tc qdisc del dev to-b root
ns_exec a ping -c 60 -i 0.1 -W 1 100.64.0.2 >"$WF_TMP/ping" || true
tail -n 2 "$WF_TMP/ping"
grep -q " 60 received" "$WF_TMP/ping" || fail "pings were lost across rekeys"
hs=$(status_field a 'd["peers"][0]["last_handshake_seconds"]')
[ "$hs" -le 4 ] || fail "no rekey during the pings"
for n in a b; do
	drops=$(status_field $n 'd["drops"]')
	echo "$n's drops: $drops"
	for why in unknown_index decrypt; do
		[ "$(status_field $n "d[\"drops\"][\"$why\"]")" = 0 ] ||
			fail "$n dropped packets as $why: a rekey lost them"
	done
done
echo "rekey: OK"
