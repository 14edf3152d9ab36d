#!/usr/bin/env bash
# A captured data packet replayed onto the wire is dropped: the replay counter
# rises and nothing is delivered twice. Corrupted and truncated packets of
# every message type are dropped and counted; the daemon stays up and the
# mesh keeps working.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT"
need_cmd python3 tcpdump nstat
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
delivered() { cat "$WF_TMP/count"; }
capture_start b "$WF_TMP/cap.pcap" -i to-sw -s 0 udp and src host 198.18.6.1
ns_exec a python3 "$UDPTOOL" send 100.64.0.2 7000 "deliver-me-once"
wait_until 5 '[ "$(delivered)" = 1 ]' || fail "the datagram did not arrive through the mesh"
# It arrived, so its packet went past the capture; a marker sent after it,
# in clear, is in the file only once everything before it is.
ns_exec a python3 "$UDPTOOL" send 198.18.6.2 7009 "end-of-capture"
wait_for 10 pcap_has "$WF_TMP/cap.pcap" udp dst port 7009 || fail "the capture's end marker never reached the file"
capture_stop
n=$(python3 "$UDPTOOL" extract "$WF_TMP/cap.pcap" "$WF_TMP/data" 32)
[ "$n" -ge 1 ] || fail "no data packet captured"
pkt=$WF_TMP/data.$n
echo "captured $n data packet(s); replaying the last ($(stat -c %s "$pkt") bytes) 5 times from x"

field() { status_field b "$1"; }
replays() { field 'next(p for p in d["peers"] if p["name"] == "a")["drops"].get("replay", 0)'; }
r0=$(replays)
ns_exec x python3 "$UDPTOOL" replay 198.18.6.2 51820 "$pkt" 5
# Each replay is either delivered or dropped and counted: five counted, none
# delivered. A datagram sent through the mesh after them arrives as the
# second: the listener still counts.
wait_until 10 '[ "$(replays)" -ge $((r0 + 5)) ]' || fail "the replays were not counted as replays"
ns_exec a python3 "$UDPTOOL" send 100.64.0.2 7000 "after-the-replays"
wait_until 5 '[ "$(delivered)" -ge 2 ]' || fail "a datagram after the replays did not arrive"
echo "delivered: $(delivered) (the original and the one after the replays), replay drops: $r0 -> $(replays)"
[ "$(delivered)" = 2 ] || fail "a replayed packet was delivered"

# Corrupted and truncated packets of every type. Each is either dropped by
# b's kernel (a full socket buffer: UdpInErrors) or read by b, then dropped
# and counted under a reason for what comes in: once they are all accounted
# for, none is still on its way to being delivered.
rx_drops() {
	field 'sum(v for k, v in d["drops"].items() if k not in ("no_route", "multicast", "no_session", "send_error", "tun_error"))'
}
udp_errors() { ns_quiet b nstat -asz UdpInErrors | awk '/UdpInErrors/ {n += $2} END {print n + 0}'; }
before=$(rx_drops) k0=$(udp_errors)
sent=$(ns_quiet x python3 "$UDPTOOL" hostile 198.18.6.2 51820 "$pkt")
wait_until 10 '[ $(($(rx_drops) - before + $(udp_errors) - k0)) -ge "$sent" ]' ||
	fail "of $sent hostile datagrams, b counted $(($(rx_drops) - before)) and its kernel dropped $(($(udp_errors) - k0))"
bg_alive "${MESH_PID[b]}" || fail "b died"
after=$(rx_drops)
echo "sent $sent hostile datagrams; b's drop counters rose by $((after - before)), its kernel dropped $(($(udp_errors) - k0))"
field 'd["drops"]'
[ $((after - before)) -ge $((sent * 9 / 10)) ] || fail "hostile datagrams were not all counted"
ns_exec a python3 "$UDPTOOL" send 100.64.0.2 7000 "after-the-hostile-ones"
wait_until 5 '[ "$(delivered)" -ge 3 ]' || fail "a datagram after the hostile ones did not arrive"
[ "$(delivered)" = 3 ] || fail "a corrupted packet was delivered"
ns_exec a ping -c 3 -i 0.2 100.64.0.2
ns_exec b ping -c 3 -i 0.2 100.64.0.1
echo "replay and hostile packets: OK"
