#!/usr/bin/env bash
# weft-test: alone (it loads the machine, or raises a machine-wide setting)
# Denial of service (hardening item 4): a flood of forged initiations and of
# replayed captured ones, as fast as one core sends them, for 30 s, while a
# TCP stream runs through the victim v. The stream ends intact; v answers
# only a bounded number of the forgeries (those before it noticed the load:
# at most its load threshold, 500, plus x's own), asks the rest for a cookie
# or drops them under their own reasons in `weft status`; its CPU is
# reported. Before the flood, replays at a low rate (no load) are recognised
# as replays before any Diffie-Hellman.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT" "$BUILD/tests/hsforge"
need_cmd python3 tcpdump
UDPTOOL=$WF_ROOT/tests/netns/udptool.py
FORGE=$BUILD/tests/hsforge
SECS=${FLOOD_SECONDS:-30}

MESH_EXTRA_CONF="rekey-interval = 8s"
bridge_create sw
for n in v x a; do ns_create "$n"; done
bridge_attach sw v 198.18.12.1/24
bridge_attach sw x 198.18.12.2/24
bridge_attach sw a 198.18.12.9/24
mesh_ca
mesh_node v 1 198.18.12.1
mesh_node x 2 198.18.12.2 198.18.12.1:51820
mesh_up v
mesh_up x
wait_for 10 peer_up v x
wait_for 10 peer_up x v

# A genuine initiation of x's, captured on the wire (x rekeys every 8 s).
bg v tcpdump -i to-sw -U -n -s 0 -w "$WF_TMP/cap.pcap" udp and src host 198.18.12.2 and \
	greater 1200
cap=$BG_PID
wait_for 15 sh -c "[ \"\$(python3 $UDPTOOL extract $WF_TMP/cap.pcap $WF_TMP/init 1000 1)\" -ge 1 ]" ||
	fail "no initiation of x's captured"
kill -INT "$cap"
wait "$cap" || true
init=$WF_TMP/init.1
sleep 1 # it was proven: x sent on its keys at once

field() { status_field v "$1"; }
r0=$(field 'd["drops"]["handshake_replay"]')
ns_exec a "$FORGE" --replay "$init" --to 198.18.12.1:51820 --count 20 --interval 50 >/dev/null
replay_drops() { field 'd["drops"]["handshake_replay"]'; }
wait_until 3 '[ "$(replay_drops)" -ge $((r0 + 20)) ]' ||
	fail "replays at a low rate were not recognised as replays"
echo "20 replays at 20/s: all counted as handshake_replay"

# The stream (x -> v) is shaped at x, so that it lasts through the flood; v's
# own link is not, so its cookie replies (1/23 of the flood's bytes) do not
# crowd out its answers to x.
ns_exec x tc qdisc add dev to-sw root tbf rate 10mbit burst 64kb latency 100ms
bg v python3 "$WF_ROOT/tests/netns/tcpxfer.py" recv 100.64.0.1 5003
recv_pid=$BG_PID
wait_for 5 grep -q listening "$BG_LOG"
recv_log=$BG_LOG
bg x python3 "$WF_ROOT/tests/netns/tcpxfer.py" send 100.64.0.1 5003 $((SECS + 10))
send_pid=$BG_PID
send_log=$BG_LOG
sleep 2

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime, in ticks
a0=$(field 'd["handshakes"]["answered"]')
c0=$(cpu "${MESH_PID[v]}")
bg a "$FORGE" --ca "$WF_TMP/ca/ca.crt" --cert "$WF_TMP/x/node.crt" --to 198.18.12.1:51820 \
	--ts now --flood "$SECS"
f1=$BG_PID
f1_log=$BG_LOG
bg a "$FORGE" --replay "$init" --to 198.18.12.1:51820 --flood "$SECS"
f2=$BG_PID
f2_log=$BG_LOG
wait "$f1" "$f2"
c1=$(cpu "${MESH_PID[v]}")
a1=$(field 'd["handshakes"]["answered"]')
wait "$send_pid" "$recv_pid" || true

sent=$(tail -n 1 "$send_log")
got=$(tail -n 1 "$recv_log")
echo "flood: $(tail -n 1 "$f1_log") forged and $(tail -n 1 "$f2_log") replayed initiations in ${SECS}s"
echo "v's CPU during the flood: $(((c1 - c0) * 100 / $(getconf CLK_TCK) / SECS)) % of one core"
echo "v answered $((a1 - a0)) initiations during the flood"
field 'd["drops"]'
field 'd["handshakes"]'
echo "stream sent:     $sent"
echo "stream received: $got"
[ "$sent" = "$got" ] || fail "the TCP stream through v did not survive the flood"
[ $((a1 - a0)) -le 600 ] || fail "v answered $((a1 - a0)) initiations under a flood"
[ "$(field 'd["drops"]["cookie"]')" -gt 0 ] || fail "v never asked for a cookie"
bg_alive "${MESH_PID[v]}" || fail "v died"
wait_for 15 peer_up v x || fail "v lost x"
echo "handshake flood: stream intact, work bounded"
