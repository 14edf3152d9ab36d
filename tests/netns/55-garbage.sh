#!/usr/bin/env bash
# A minute (GARBAGE_SECONDS) of random and mutated datagrams at a daemon's UDP
# port: no crash, the mesh still works, and the daemon exits cleanly after
# (under AddressSanitizer, a leak or memory error makes that exit non-zero).
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT" "$BUILD/tests/hsprobe"
need_cmd python3 tcpdump
UDPTOOL=$WF_ROOT/tests/netns/udptool.py
secs=${GARBAGE_SECONDS:-60}

bridge_create sw
for n in a b x; do ns_create "$n"; done
bridge_attach sw a 198.18.7.1/24
bridge_attach sw b 198.18.7.2/24
bridge_attach sw x 198.18.7.9/24
mesh_ca
mesh_node a 1 198.18.7.1
mesh_node b 2 198.18.7.2 198.18.7.1:51820
mesh_up a
mesh_up b
wait_for 10 peer_up a b

# Real handshake and data packets to mutate, captured off the wire.
capture_start a "$WF_TMP/cap.pcap" -i to-sw -s 0 udp port 51820 or udp port 7009
mesh_down b
mesh_up b
wait_for 10 peer_up a b
ns_quiet a ping -c 3 -i 0.2 100.64.0.2 >/dev/null
# The answers came, so they went past the capture: an end marker sent after
# them, in clear, is in the file only once they are.
ns_exec b python3 "$UDPTOOL" send 198.18.7.1 7009 "end-of-capture"
wait_for 10 pcap_has "$WF_TMP/cap.pcap" udp port 7009 || fail "the capture's end marker never reached the file"
capture_stop
n=$(python3 -c '
import sys; sys.path.insert(0, sys.argv[1])
import udptool
n = 0
for p in udptool.pcap_packets(sys.argv[2]):
    if p and p[0] in (1, 2, 4, 5):
        n += 1
        open("%s.%d" % (sys.argv[3], n), "wb").write(p)
print(n)' "$WF_ROOT/tests/netns" "$WF_TMP/cap.pcap" "$WF_TMP/seed")
echo "captured $n real packets to mutate"
[ "$n" -ge 4 ] || fail "too few packets captured"

echo "[x] ${secs}s of garbage at a's port"
sent=$(ns_quiet x python3 "$UDPTOOL" garbage 198.18.7.1 51820 "$secs" "$WF_TMP"/seed.*)
echo "sent $sent datagrams"
bg_alive "${MESH_PID[a]}" || fail "a died under garbage"
status_field a 'd["drops"]'
wait_for 10 pings b 100.64.0.1 || fail "the mesh broke"
ns_exec b ping -c 3 -i 0.2 100.64.0.1
kill -TERM "${MESH_PID[a]}"
rc=0
wait "${MESH_PID[a]}" || rc=$?
echo "a exited with $rc"
[ "$rc" = 0 ] || fail "a did not exit cleanly (exit $rc; see its log for sanitizer reports)"
echo "garbage: OK"
