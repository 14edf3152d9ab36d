#!/usr/bin/env bash
# weft-test: alone (it loads the machine, or raises a machine-wide setting)
# SPDX-License-Identifier: MIT
#
# Two data-plane workers per daemon (workers = 2: a multi-queue TUN device and
# two sockets on one port), under load, with rekeys every 2 s:
#   - 16 TCP connections at once, b to a, round after round until at least
#     two rekeys happened during them, all arrive intact (SHA-256 at both
#     ends), and the receiving TUN device sees no packet of any flow out of
#     order;
#   - one more connection, started with them, is killed half-way (its
#     sender, SIGKILL): no other connection notices;
#   - neither daemon dropped a packet as malformed, replayed, undecryptable,
#     for a full queue to its control thread, or for a send or TUN error.
#   - 16 one-way UDP flows (no replies to steer them) reach both of the
#     sender's workers, each through its own queue of the TUN device.
# Positive controls: each daemon says it runs 2 workers; the order check is
# the one 15-bulk shows can see reordering.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT"
need_cmd python3 tcpdump

XFER=$WF_ROOT/tests/netns/tcpxfer.py
MBYTES=${WEFT_WORKERS_MBYTES:-16} # per connection and round

MESH_EXTRA_CONF="workers = 2
rekey-interval = 2s"
mesh_pair
mesh_up a
mesh_up b
wait_for 10 pings b 100.64.0.1
for n in a b; do
	echo "[$n] workers: $(status_field $n "d['node']['workers']")"
	[ "$(status_field $n "d['node']['workers']")" = 2 ] || fail "$n does not run 2 workers"
done

handshakes() { # handshakes NODE: sessions made with the peer, either way
	status_field "$1" "d['handshakes']['completed'] + d['handshakes']['proven']"
}

capture_start a "$WF_TMP/flows.pcap" -i weft0 -s 96 -B 16384 tcp
dump=$CAP_PID dump_log=$BG_LOG
hs0=$(handshakes a)
round=0
while :; do
	round=$((round + 1))
	bg a python3 "$XFER" recv 100.64.0.1 5001 16
	rpid=$BG_PID rlog=$BG_LOG
	wait_for 5 grep -q listening "$rlog"
	victim=
	if [ $round = 1 ]; then
		# The one to kill: a connection of its own, big enough to be
		# under way when it dies.
		bg a python3 "$XFER" recv 100.64.0.1 5002 1
		vlog=$BG_LOG
		bg_exempt "$BG_PID"
		wait_for 5 grep -q listening "$vlog"
		bg b python3 "$XFER" send 100.64.0.1 5002 100000 1
		victim=$BG_PID
		bg_exempt "$victim"
	fi
	ns_quiet b python3 "$XFER" send 100.64.0.1 5001 "$MBYTES" 16 >"$WF_TMP/sent" &
	spid=$!
	if [ -n "$victim" ]; then
		# Under way: a has received a megabyte of it.
		wait_until 30 'ns_quiet a ss -Htin state established "( sport = :5002 )" |
			grep -Eq "bytes_received:[1-9][0-9]{6}"' || fail "the connection to kill never got going"
		echo "[b] kill -KILL $victim (one connection's sender)"
		kill -KILL "$victim"
	fi
	wait "$spid" || fail "round $round: the sender failed"
	bg_wait "$rpid"
	got=$(grep -v listening "$rlog")
	[ "$(cat "$WF_TMP/sent")" = "$got" ] ||
		{ cat "$WF_TMP/sent"; echo "$got"; fail "round $round: a connection broke"; }
	[ "$(echo "$got" | wc -l)" = 16 ] || { echo "$got"; fail "round $round: not 16 connections received"; }
	hs=$(handshakes a)
	echo "round $round: 16 x $MBYTES MiB intact so far; sessions made since the start: $((hs - hs0))"
	[ $((hs - hs0)) -ge 2 ] && break
	[ $round -lt 20 ] || fail "no two rekeys in 20 rounds"
done
# Every segment was received, so it went past the capture: a SYN sent after
# them, in the file, says they are all there too.
tcp_knock b 100.64.0.1 5999
wait_for 10 pcap_has "$WF_TMP/flows.pcap" tcp dst port 5999 ||
	fail "the capture's end marker never reached the file"
capture_stop "$dump"
grep "dropped by kernel" "$dump_log"
got=$(python3 "$XFER" order "$WF_TMP/flows.pcap")
echo "the flows, as a's TUN device saw them: $got"
[[ $got =~ ^flows\ ([0-9]+)\ packets\ ([0-9]+)\ numbered\ [0-9]+\ reordered\ 0$ ]] ||
	fail "packets of a flow were reordered"
[ "${BASH_REMATCH[1]}" -ge 17 ] && [ "${BASH_REMATCH[2]}" -ge 1000 ] ||
	fail "the capture saw too few flows or packets"

# One peer's traffic stays on one worker: its datagrams reach one socket of
# the group, and the kernel steers each flow out of the TUN queue its
# replies were written to. Flows without replies are spread over the
# queues by their hash: 16 one-way UDP flows reach both of b's workers.
bg a python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("100.64.0.1", 7000))
s.settimeout(3)
print("listening", flush=True)
n = 0
try:
    while True:
        s.recv(2048)
        n += 1
except socket.timeout:
    pass
print(n, flush=True)'
sink=$BG_PID slog=$BG_LOG
wait_for 5 grep -q listening "$slog"
r0=$(status_field b "[w['tun_reads'] for w in d['node']['worker_counts']]")
ns_quiet b python3 -c '
import socket, time
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(16)]
for i in range(100):
    for s in socks:
        s.sendto(b"x" * 200, ("100.64.0.1", 7000))
    time.sleep(0.002)'
bg_wait "$sink"
echo "one-way UDP datagrams received by a: $(tail -n 1 "$slog")"
[ "$(tail -n 1 "$slog")" -ge 1500 ] || fail "the UDP flows did not get through"
r1=$(status_field b "[w['tun_reads'] for w in d['node']['worker_counts']]")
echo "[b] reads from each worker's TUN queue: before $r0, after $r1"
python3 -c 'import sys; a, b = eval(sys.argv[1]), eval(sys.argv[2]); sys.exit(0 if all(y - x >= 10 for x, y in zip(a, b)) else 1)' "$r0" "$r1" ||
	fail "the flows did not reach both workers"
for n in a b; do
	d=$(status_field $n "' '.join('%s=%d' % (k, d['drops'][k]) for k in ('malformed', 'replay', 'decrypt', 'control_busy', 'send_error', 'tun_error'))")
	echo "[$n] drops: $d"
	[ "$d" = "malformed=0 replay=0 decrypt=0 control_busy=0 send_error=0 tun_error=0" ] ||
		fail "$n dropped packets it should not have"
done
mesh_down b
mesh_down a
echo "workers: OK"
