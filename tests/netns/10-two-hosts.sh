#!/usr/bin/env bash
# Two hosts: ping both ways over the IPv4 and IPv6 overlay, then 100 MB over
# TCP through the mesh arrives intact (checksums compared end to end). b's
# second bootstrap address has nobody: its log says so (a join that fails
# is not silent), and that a answered.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT"
need_cmd python3 ping

mesh_pair 198.18.0.99:51820
mesh_up a
mesh_up b
wait_for 10 peer_up a b
wait_for 10 peer_up b a

for pair in "a 100.64.0.2" "b 100.64.0.1" "a fd00::2" "b fd00::1"; do
	set -- $pair
	ns_exec "$1" ping -c 3 -i 0.2 -W 2 "$2"
done

# The interfaces are what the certificates and config say.
ns_exec a ip -br addr show weft0
ns_quiet a ip -j link show weft0 | grep -q '"mtu":1440' || fail "weft0 MTU is not 1440"
ns_quiet a ip -j addr show weft0 | grep -q '"local":"100.64.0.1"' || fail "no 100.64.0.1 on weft0"

out=$WF_TMP/recv.out
bg b python3 "$WF_ROOT/tests/netns/tcpxfer.py" recv 100.64.0.2 5001
recv_pid=$BG_PID
cp /dev/null "$out"
wait_for 5 grep -q listening "$BG_LOG"
sent=$(ns_quiet a python3 "$WF_ROOT/tests/netns/tcpxfer.py" send 100.64.0.2 5001 100)
wait "$recv_pid"
got=$(tail -n 1 "$BG_LOG")
echo "sent:     $sent"
echo "received: $got"
[ "$sent" = "$got" ] || fail "transfer corrupted or incomplete"
[ "$(echo "$sent" | cut -d" " -f2)" -ge 100000000 ] || fail "sent less than 100 MB"

blog=${WF_DAEMON_LOG[${MESH_PID[b]}]}
grep -q "bootstrap 198.18.0.1:51820: a answered" "$blog" || fail "b's log does not say a answered"
grep -q "bootstrap 198.18.0.99:51820: calling 198.18.0.99:51820" "$blog" || fail "b's log does not say whom it calls"
wait_for 30 grep -q "bootstrap 198.18.0.99:51820: no answer to 3 handshakes" "$blog" ||
	fail "b's log does not say its second bootstrap never answered"

# weft status --check on a running node: OK, exit 0.
out=$(ns_quiet a "$WEFT" status --dir "$WF_TMP/a" --check) || fail "status --check exited $?: $out"
echo "status --check: $out"
[ "$out" = "OK: 1 of 1 peers up | peers_up=1 peers=1" ] || fail "status --check said '$out'"

# weft status --dump: a's line, then b's, fields separated by tabs: b is up
# and a sent it the 100 MB above.
dump=$(ns_quiet a "$WEFT" status --dir "$WF_TMP/a" --dump) || fail "status --dump exited $?"
printf '%s\n' "$dump"
[ "$(printf '%s\n' "$dump" | wc -l)" = 2 ] || fail "status --dump is not two lines"
printf '%s\n' "$dump" | awk -F'\t' 'NR == 1 && $1 == "a" && NF == 8 { n++ }
	NR == 2 && $1 == "b" && $5 == "up" && $10 >= 100000000 && NF == 15 { n++ }
	END { exit n != 2 }' || fail "status --dump's fields are not a's, then b up with 100 MB sent"

rx_above() { # rx_above NODE N: NODE received more than N packets from b
	[ "$(status_field "$1" '[p["rx_packets"] for p in d["peers"] if p["name"] == "b"][0]')" -gt "$2" ]
}

# weft status --watch: while a pings b, b's packets a second received are
# counted (the last three columns: RX PKT/s, TX PKT/s, DROP/s).
rx0=$(status_field a '[p["rx_packets"] for p in d["peers"] if p["name"] == "b"][0]')
bg a ping -q -i 0.02 -c 500 100.64.0.2
wait_for 10 rx_above a "$rx0"
watch=$(ns_quiet a "$WEFT" status --dir "$WF_TMP/a" --watch --interval 0.5 --count 2) ||
	fail "status --watch exited $?"
printf '%s\n' "$watch"
[ "$(printf '%s\n' "$watch" | grep -c '^node a, rates over')" = 2 ] || fail "status --watch: not two frames"
printf '%s\n' "$watch" | awk '$1 == "b" && $(NF - 2) > 0 && $(NF - 1) > 0 { n++ } END { exit n != 2 }' ||
	fail "status --watch does not show b's packets a second while a pings it"

# No peer owns 100.64.0.99: dropped, counted, and answered with ICMP unreachable.
nr0=$(status_field a 'd["drops"].get("no_route", 0)')
# The error comes from a's own address, as a router's would, not from the
# address that does not exist.
out=$(ns_quiet a ping -c 1 -W 2 100.64.0.99 2>&1 || true)
echo "$out" | head -3
echo "$out" | grep -q "^From 100.64.0.1 .*Unreachable" ||
	fail "no ICMP unreachable from a's own address for an address no peer owns"
out=$(ns_quiet a ping -6 -c 1 -W 2 fd00::99 2>&1 || true)
echo "$out" | head -3
echo "$out" | grep -qi "^From fd00::1 .*unreachable" ||
	fail "no ICMPv6 unreachable from a's own address for an address no peer owns"
[ "$(status_field a 'd["drops"].get("no_route", 0)')" -ge $((nr0 + 2)) ] || fail "no_route not counted"

# A packet whose inner source a's certificate does not hold is dropped by b.
ns_exec a ip addr add 100.64.0.50/32 dev weft0
bs0=$(status_field b 'd["drops"].get("bad_source", 0)')
if ns_quiet a ping -c 2 -W 1 -I 100.64.0.50 100.64.0.2 >/dev/null; then
	fail "b accepted a packet from a source a does not own"
fi
bs1=$(status_field b 'd["drops"].get("bad_source", 0)')
echo "bad_source drops at b: $bs0 -> $bs1"
[ "$bs1" -ge $((bs0 + 2)) ] || fail "spoofed inner source not counted"

# A second daemon for the same node directory, or for the same interface, is refused.
rc=0
ns_quiet a "$WEFT" up --dir "$WF_TMP/a" 2>"$WF_TMP/second.err" || rc=$?
cat "$WF_TMP/second.err"
[ "$rc" = 1 ] && grep -q "already running for" "$WF_TMP/second.err" || fail "second daemon for a's directory not refused"
cp -a "$WF_TMP/a" "$WF_TMP/a2"
rm -f "$WF_TMP/a2/weft.sock" "$WF_TMP/a2/weft.lock"
sed -i 's/^listen = .*/listen = 198.18.0.1:51821/' "$WF_TMP/a2/weft.conf"
rc=0
ns_quiet a "$WEFT" up --dir "$WF_TMP/a2" 2>"$WF_TMP/second.err" || rc=$?
cat "$WF_TMP/second.err"
[ "$rc" = 1 ] && grep -qE "^([0-9T:.Z-]+ )?weft: error: interface weft0 is in use by another process" \
	"$WF_TMP/second.err" || fail "second daemon on weft0 not refused in plain words"
# ... or for the same port (the workers' sockets share it with SO_REUSEPORT,
# which must not let another daemon join them).
cp -a "$WF_TMP/a" "$WF_TMP/a3"
rm -f "$WF_TMP/a3/weft.sock" "$WF_TMP/a3/weft.lock"
sed -i '/^interface *=/d' "$WF_TMP/a3/weft.conf"
echo "interface = weft9" >>"$WF_TMP/a3/weft.conf"
rc=0
# (timeout: a daemon that wrongly starts must not hang the test)
ns_quiet a timeout 10 "$WEFT" up --dir "$WF_TMP/a3" 2>"$WF_TMP/second.err" || rc=$?
cat "$WF_TMP/second.err"
[ "$rc" = 1 ] && grep -qE "^([0-9T:.Z-]+ )?weft: error: cannot listen on 198.18.0.1:51820: Address already in use" \
	"$WF_TMP/second.err" || fail "second daemon on a's port not refused"
bg_alive "${MESH_PID[a]}" || fail "the first daemon died"
ns_exec a ping -c 1 -W 2 100.64.0.2

# SIGTERM: a clean exit that removes the interface and the control socket.
mesh_down b
[ "$(ns_quiet b ip -o link show weft0 2>/dev/null | wc -l)" = 0 ] || fail "weft0 left behind"
[ ! -e "$WF_TMP/b/weft.sock" ] || fail "control socket left behind"
# weft check on a node that has run: the peers.cache it wrote at the stop
# reads (one peer, a), the interface and the port are free again; on a,
# whose daemon runs (it holds weft.lock), they are the daemon's.
ns_exec b "$WEFT" check --dir "$WF_TMP/b" >"$WF_TMP/check.out" || fail "check b: exit $?"
cat "$WF_TMP/check.out"
grep -q ": ok: .*interface weft0 free, port 198.18.0.2:51820 free, peers.cache (1 peer)$" \
	"$WF_TMP/check.out" || fail "check b"
ns_exec a "$WEFT" check --dir "$WF_TMP/a" >"$WF_TMP/check.out" || fail "check a: exit $?"
grep -q "a daemon runs for" "$WF_TMP/check.out" || fail "check a did not see its daemon"
echo "two hosts: OK"
