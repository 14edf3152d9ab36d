#!/usr/bin/env bash
# Round trips from gossip's probes: a and b reach each other only through a
# UDP relay in r that holds every datagram 100 ms (no netem here: udptool.py
# delay); c reaches both directly. Within seconds a's and b's status give
# each other a round trip of at least the 200 ms the relay adds (on a
# millisecond clock a true 200.x can read 200), and c one below it, in the
# JSON (peers[].rtt_ms) and in the table's RTT column.
#
# Positive controls: a ping between a and b through the mesh takes the
# relay's 200 ms too (the delay is real), and the relay counts what it
# carried.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT"
need_cmd python3 ping

DELAY_MS=100
# Two segments: a, c and r on one, b, c and r on the other; nothing routes
# between them, so a and b meet only through r's relay.
bridge_create s1
bridge_create s2
ns_create a b c r
bridge_attach s1 a 198.18.1.1/24
bridge_attach s1 c 198.18.1.3/24
bridge_attach s1 r 198.18.1.10/24
bridge_attach s2 b 198.18.2.2/24
bridge_attach s2 c 198.18.2.3/24
bridge_attach s2 r 198.18.2.10/24

bg r python3 "$WF_ROOT/tests/netns/udptool.py" delay 198.18.1.10:51820 198.18.1.1:51820 \
	198.18.2.10:51820 198.18.2.2:51820 "$DELAY_MS" 50
relay_log=$BG_LOG
wait_for 5 grep -q relaying "$relay_log"

mesh_ca
mesh_node c 3 0.0.0.0
mesh_node a 1 198.18.1.1 198.18.1.3:51820
mesh_node b 2 198.18.2.2 198.18.2.10:51820 198.18.2.3:51820
for h in c a b; do mesh_up "$h"; done
for pair in "a b" "a c" "b a" "b c"; do
	set -- $pair
	wait_for 15 peer_up "$1" "$2" || fail "$1 has no session with $2"
done

# The relay's delay, seen by a ping through the mesh (and none between a and c).
ping_ms() { # ping_ms NS ADDR: the round trip of one ping, whole milliseconds
	ns_quiet "$1" ping -c 1 -W 3 "$2" | sed -n 's/.* time=\([0-9]*\).*/\1/p'
}
ms=$(ping_ms a 100.64.0.2)
echo "ping a -> b: ${ms:-lost} ms"
[ -n "$ms" ] && [ "$ms" -ge $((2 * DELAY_MS)) ] || fail "a's ping of b did not take the relay's delay"
ms=$(ping_ms a 100.64.0.3)
echo "ping a -> c: ${ms:-lost} ms"
[ -n "$ms" ] && [ "$ms" -lt $((2 * DELAY_MS)) ] || fail "a's ping of c took the relay's delay"

rtt() { # rtt NODE PEER: PEER's rtt_ms as NODE's status gives it ("None" before a sample)
	status_field "$1" "[p.get('rtt_ms') for p in d['peers'] if p['name'] == '$2'][0]"
}
measured() { # measured NODE PEER
	[ "$(rtt "$1" "$2")" != None ]
}
for pair in "a b" "a c" "b a" "b c"; do
	set -- $pair
	wait_for 20 measured "$1" "$2" || fail "$1 has no round trip for $2"
done
for pair in "a b above" "b a above" "a c below" "b c below"; do
	set -- $pair
	v=$(rtt "$1" "$2")
	echo "$1's round trip to $2: $v ms ($3 $((2 * DELAY_MS)) ms)"
	python3 -c "import sys; v, lim = float(sys.argv[1]), float(sys.argv[2]);
sys.exit(not (v >= lim if sys.argv[3] == 'above' else v < lim))" "$v" $((2 * DELAY_MS)) "$3" ||
		fail "$1's round trip to $2 ($v ms) is not $3 the relay's $((2 * DELAY_MS)) ms"
done

# The table: an RTT column, b's cell in milliseconds above the delay.
table=$(ns_quiet a "$WEFT" status --dir "$WF_TMP/a") || fail "status exited $?"
printf '%s\n' "$table"
printf '%s\n' "$table" | grep -q '^PEER .* HANDSHAKE  RTT ' || fail "no RTT column in a's table"
cell=$(printf '%s\n' "$table" | awk '$1 == "b" { for (i = 2; i <= NF; i++) if ($i ~ /ms$/) { print $i; exit } }')
echo "a's table, b's RTT: $cell"
[[ "$cell" =~ ^([0-9]+)ms$ ]] && [ "${BASH_REMATCH[1]}" -ge $((2 * DELAY_MS)) ] ||
	fail "a's table does not show b's round trip above $((2 * DELAY_MS)) ms ('$cell')"

for h in a b c; do mesh_down "$h"; done
echo "rtt: OK"
