#!/usr/bin/env bash
# Rekeying under a running TCP stream loses no connection: with a 2-second
# rekey interval, a transfer of 12 s crosses about six rekeys, and the data
# arrives intact.
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
drops=$(status_field a 'd["peers"][0]["drops"]')
echo "a's drops for b: $drops"
echo "rekey: OK"
