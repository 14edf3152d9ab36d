#!/usr/bin/env bash
# A partition heals by itself. Six hosts on one bridge, full mesh; then the
# underlay between {h1,h2,h3} and {h4,h5,h6} is cut (blackhole routes, both
# ways) for longer than the suspicion timeout: each side declares the other
# dead. When the link returns, every pair pings again without a restart, every
# node still holds every other's certificate (peers stay listed, none
# forgotten), nothing was revoked, and gossip holds everyone alive again.
# The cut lasts 30 s: the sessions across it go silent (down) meanwhile.
#
# Positive control: during the cut, pairs across it do not ping and gossip
# holds the far side dead, so the healing is real.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT"
need_cmd python3

bridge_create sw
mesh_ca
for i in 1 2 3 4 5 6; do
	ns_create "h$i"
	bridge_attach sw "h$i" "198.18.9.$i/24"
	if [ "$i" = 1 ]; then
		mesh_node h1 1 198.18.9.1
	else
		mesh_node "h$i" "$i" "198.18.9.$i" 198.18.9.1:51820
	fi
done
for i in 1 2 3 4 5 6; do mesh_up "h$i"; done
all_ping() {
	local i j
	for i in 1 2 3 4 5 6; do
		for j in 1 2 3 4 5 6; do
			[ "$i" = "$j" ] || pings "h$i" "100.64.0.$j" || return 1
		done
	done
}
wait_for 20 all_ping || fail "no full mesh of 6"
echo "full mesh of 6"

member_state() {
	status_json "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
p = next((p for p in d["peers"] if p["name"] == sys.argv[1]), None)
print(p["member"]["state"] if p and p.get("member") else "absent")' "$2"
}
is_state() { [ "$(member_state "$1" "$2")" = "$3" ]; }

cut() { # cut add|del: blackhole the other side's underlay addresses
	local i j
	for i in 1 2 3; do
		for j in 4 5 6; do
			ns_exec "h$i" ip route "$1" blackhole "198.18.9.$j/32"
			ns_exec "h$j" ip route "$1" blackhole "198.18.9.$i/32"
		done
	done
}
cut add
t0=$SECONDS
wait_for 60 is_state h1 h5 dead || fail "h1 does not hold h5 dead during the cut ($(member_state h1 h5))"
wait_for 30 is_state h6 h2 dead || fail "h6 does not hold h2 dead during the cut"
! pings h2 100.64.0.4 || fail "h2 reaches h4 across the cut"
pings h2 100.64.0.3 || fail "h2 cannot reach h3 on its own side"
echo "cut: each side holds the other dead after $((SECONDS - t0)) s"
# Long enough for the sessions across it to go silent and their handshakes
# to back off: what returns must find its way back by itself.
while [ $((SECONDS - t0)) -lt 30 ]; do sleep 1; done
[ "$(peer_state h1 h5)" != up ] || fail "h1 still holds its session with h5 up after 30 s cut off"

cut del
t1=$SECONDS
wait_for 90 all_ping || fail "the partition did not heal"
echo "healed: all 30 pairs ping $((SECONDS - t1)) s after the link returned"
for i in 1 2 3 4 5 6; do
	for j in 1 2 3 4 5 6; do
		[ "$i" = "$j" ] && continue
		wait_for 30 is_state "h$i" "h$j" alive || fail "h$i holds h$j $(member_state "h$i" "h$j")"
	done
	[ "$(status_field "h$i" 'len(d["peers"])')" = 5 ] || fail "h$i forgot a peer"
	[ "$(status_field "h$i" 'd["node"]["revocation_list_version"]')" = 0 ] || fail "h$i holds a revocation list"
done
echo "partition: healed by itself; nobody forgot or revoked anyone"
