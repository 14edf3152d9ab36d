#!/usr/bin/env bash
# A captured data packet replayed onto the wire is dropped: the replay counter
# rises and nothing is delivered twice. Corrupted and truncated packets of
# every message type are dropped and counted; the daemon stays up and the
# mesh keeps working.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT"
need_cmd python3 tcpdump
UDPTOOL=$WF_ROOT/tests/netns/udptool.py

bridge_create sw
for n in a b x; do ns_create "$n"; done
bridge_attach sw a 198.18.6.1/24
bridge_attach sw b 198.18.6.2/24
bridge_attach sw x 198.18.6.9/24
mesh_ca
mesh_node a 1 198.18.6.1
mesh_node b 2 198.18.6.2 198.18.6.1:51820
mesh_up a
mesh_up b
wait_for 10 peer_up a b
wait_for 10 peer_up b a

bg b python3 "$UDPTOOL" listen 100.64.0.2 7000 "$WF_TMP/count"
wait_for 5 test -s "$WF_TMP/count"
bg b tcpdump -i to-sw -U -n -s 0 -w "$WF_TMP/cap.pcap" udp and src host 198.18.6.1
cap=$BG_PID
wait_for 5 test -s "$WF_TMP/cap.pcap"
sleep 0.5
ns_exec a python3 "$UDPTOOL" send 100.64.0.2 7000 "deliver-me-once"
sleep 0.5
kill -INT "$cap"
wait "$cap" || true
wait_for 2 grep -qx 1 "$WF_TMP/count"
n=$(python3 "$UDPTOOL" extract "$WF_TMP/cap.pcap" "$WF_TMP/data" 32)
[ "$n" -ge 1 ] || fail "no data packet captured"
pkt=$WF_TMP/data.$n
echo "captured $n data packet(s); replaying the last ($(stat -c %s "$pkt") bytes) 5 times from x"

field() { status_field b "$1"; }
replays() { field 'next(p for p in d["peers"] if p["name"] == "a")["drops"].get("replay", 0)'; }
r0=$(replays)
ns_exec x python3 "$UDPTOOL" replay 198.18.6.2 51820 "$pkt" 5
wait_until 3 '[ "$(replays)" -ge $((r0 + 5)) ]'
sleep 0.5
echo "delivered: $(cat "$WF_TMP/count"), replay drops: $r0 -> $(replays)"
[ "$(cat "$WF_TMP/count")" = 1 ] || fail "a replayed packet was delivered"

# Corrupted and truncated packets of every type.
before=$(field 'sum(d["drops"].values())')
sent=$(ns_quiet x python3 "$UDPTOOL" hostile 198.18.6.2 51820 "$pkt")
sleep 1
bg_alive "${MESH_PID[b]}" || fail "b died"
after=$(field 'sum(d["drops"].values())')
echo "sent $sent hostile datagrams; b's drop counters rose by $((after - before))"
field 'd["drops"]'
[ $((after - before)) -ge $((sent * 9 / 10)) ] || fail "hostile datagrams were not all counted"
[ "$(cat "$WF_TMP/count")" = 1 ] || fail "a corrupted packet was delivered"
ns_exec a ping -c 3 -i 0.2 100.64.0.2
ns_exec b ping -c 3 -i 0.2 100.64.0.1
echo "replay and hostile packets: OK"
