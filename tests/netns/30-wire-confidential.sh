#!/usr/bin/env bash
# Nothing readable on the wire: a marker sent through the mesh (UDP and TCP)
# is absent from a capture of the underlay, although it arrived; the same
# marker sent in clear over the underlay is found in the same kind of
# capture, so the check can fail.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT"
need_cmd python3 tcpdump
UDPTOOL=$WF_ROOT/tests/netns/udptool.py

ns_create a b
link_veth a 198.18.5.1/24 b 198.18.5.2/24
mesh_ca
mesh_node a 1 198.18.5.1
mesh_node b 2 198.18.5.2 198.18.5.1:51820
mesh_up a
mesh_up b
wait_for 10 peer_up a b
wait_for 10 peer_up b a
marker="WEFT-MARKER-$$-$RANDOM-confidential"

found() { grep -c -a -F "$marker" "$1" || true; }
delivered() { cat "$WF_TMP/count"; }

# Through the mesh.
bg b python3 "$UDPTOOL" listen 100.64.0.2 7000 "$WF_TMP/count"
wait_for 5 test -s "$WF_TMP/count"
capture_start b "$WF_TMP/mesh.pcap" -i to-a -s 0 udp
ns_exec a python3 "$UDPTOOL" send 100.64.0.2 7000 "$marker" 20
bg b python3 "$WF_ROOT/tests/netns/tcpxfer.py" recv 100.64.0.2 7001
recv=$BG_PID
wait_for 5 grep -q listening "$BG_LOG"
ns_quiet a python3 -c '
import socket, sys
c = socket.create_connection(("100.64.0.2", 7001), timeout=10)
c.sendall((sys.argv[1] * 1000).encode()); c.close()' "$marker"
# All of it arrived (the 20 datagrams counted, the stream read to its end),
# so it all went past the capture; an end marker sent after it, in clear,
# is in the file only once everything before it is.
wait_until 10 '[ "$(delivered)" -ge 20 ]' ||
	fail "the marker did not arrive through the mesh ($(delivered) of 20 datagrams)"
bg_wait "$recv" || fail "the stream through the mesh broke"
ns_exec a python3 "$UDPTOOL" send 198.18.5.2 7009 "end-of-capture"
wait_for 10 pcap_has "$WF_TMP/mesh.pcap" udp dst port 7009 || fail "the capture's end marker never reached the file"
capture_stop
echo "marker datagrams delivered through the mesh: $(delivered); in the capture: $(found "$WF_TMP/mesh.pcap")"
[ "$(stat -c %s "$WF_TMP/mesh.pcap")" -gt 20000 ] || fail "the capture saw no traffic"
[ "$(found "$WF_TMP/mesh.pcap")" = 0 ] || fail "the marker is readable on the wire"

# In clear, the same way: the check can see it (in the file while tcpdump
# still runs: the capture of the marker is itself the event waited for).
capture_start b "$WF_TMP/clear.pcap" -i to-a -s 0 udp
bg b python3 "$UDPTOOL" listen 198.18.5.2 7002 "$WF_TMP/count2"
wait_for 5 test -s "$WF_TMP/count2"
ns_exec a python3 "$UDPTOOL" send 198.18.5.2 7002 "$marker" 5
wait_until 10 '[ "$(found "$WF_TMP/clear.pcap")" -ge 1 ]' || true
capture_stop
echo "marker in the clear capture: $(found "$WF_TMP/clear.pcap")"
[ "$(found "$WF_TMP/clear.pcap")" -ge 1 ] || fail "the capture cannot see a marker sent in clear"
echo "wire: OK"
