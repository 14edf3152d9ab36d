#!/usr/bin/env bash
# Membership events never touch a running connection. A paced TCP stream
# from a to b runs for the whole test while eight more hosts join one by one,
# each bootstrapping from a different member (h3 from b, h4 from h3, ...);
# then two leave cleanly (weft up stopped: they say "left"), one crashes
# (SIGKILL: the others find it suspect, then dead) and restarts (it outlives
# its death with a later incarnation). The stream ends intact, with no decrypt
# or unknown-index drop at b, and every live pair pings.
#
# Positive controls: each event is seen by gossip as it should be (left,
# dead, alive at a higher incarnation), so the test would notice if the
# events had not happened; the stream's checksum is compared end to end.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT"
need_cmd python3

XFER=$WF_ROOT/tests/netns/tcpxfer.py
hosts=(a b h3 h4 h5 h6 h7 h8 h9 h10)
declare -A num=([a]=1 [b]=2)
for i in 3 4 5 6 7 8 9 10; do num[h$i]=$i; done

# Probes twice a second (weft.conf.md, gossip-probe-interval): a crash is
# found dead in half the time of the default.
MESH_TIMERS="$MESH_TIMERS
gossip-probe-interval = 500ms"
bridge_create sw
mesh_ca
for h in "${hosts[@]}"; do
	ns_create "$h"
	bridge_attach sw "$h" "198.18.4.${num[$h]}/24"
done
mesh_node a 1 198.18.4.1
mesh_node b 2 198.18.4.2 198.18.4.1:51820
prev=b
for i in 3 4 5 6 7 8 9 10; do
	mesh_node "h$i" "$i" "198.18.4.$i" "198.18.4.${num[$prev]}:51820"
	prev=h$i
done

member_state() { # member_state NODE PEER: gossip's verdict on PEER at NODE
	status_json "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
p = next((p for p in d["peers"] if p["name"] == sys.argv[1]), None)
print(p["member"]["state"] if p and p.get("member") else "absent")' "$2"
}
is_member_state() { [ "$(member_state "$1" "$2")" = "$3" ]; }
incarnation() { # incarnation NODE PEER
	status_field "$1" "next(p['member']['incarnation'] for p in d['peers'] if p['name'] == '$2')"
}
mesh_of() { # mesh_of NODE PEER...: NODE has a session with every PEER (one status call)
	local n=$1
	shift
	status_json "$n" | python3 -c '
import json, sys
d = json.load(sys.stdin)
up = {p["name"] for p in d["peers"] if p["state"] == "up"}
sys.exit(0 if set(sys.argv[2:]) - {sys.argv[1]} <= up else 1)' "$n" "$@"
}

mesh_up a
mesh_up b
wait_for 10 pings a 100.64.0.2 || fail "a cannot reach b"

# The stream: 40 MiB at 1 MiB/s, about 40 s, longer than the events below.
bg b python3 "$XFER" recv 100.64.0.2 5001
recv_pid=$BG_PID
recv_log=$BG_LOG
wait_for 5 grep -q listening "$recv_log"
TCPXFER_RATE=1048576 bg a python3 "$XFER" send 100.64.0.2 5001 40
send_pid=$BG_PID
send_log=$BG_LOG
t0=$SECONDS

live=(a b)
for i in 3 4 5 6 7 8 9 10; do
	mesh_up "h$i"
	live+=("h$i")
	for n in "${live[@]}"; do wait_for 20 mesh_of "$n" "${live[@]}" || fail "h$i: no full mesh at $n"; done
	echo "h$i joined: full mesh of ${#live[@]} after $((SECONDS - t0)) s"
done

# Two clean leaves: the others hold them "left", and stop calling them.
mesh_down h6
mesh_down h8
wait_for 10 is_member_state a h6 left || fail "a does not hold h6 as left ($(member_state a h6))"
wait_for 10 is_member_state h10 h8 left || fail "h10 does not hold h8 as left"
echo "h6 and h8 left; seen at $((SECONDS - t0)) s"
# ... and their sessions' state says so once they are not heard from:
# "down", not "connecting" (nobody calls a member that left).
wait_until 30 '[ "$(peer_state a h6)" = down ]' || fail "a shows h6 $(peer_state a h6), not down"

# A crash: suspect, then dead (after the suspicion timeout, some seconds).
inc0=$(incarnation a h5)
mesh_down h5 KILL
wait_for 40 is_member_state a h5 dead || fail "a does not hold h5 dead ($(member_state a h5))"
wait_for 20 is_member_state h9 h5 dead || fail "h9 does not hold h5 dead"
echo "h5 crashed; dead at a and h9 by $((SECONDS - t0)) s"
# ... and it restarts: alive again everywhere, at a later incarnation.
mesh_up h5
live=(a b h3 h4 h5 h7 h9 h10)
for n in "${live[@]}"; do wait_for 20 mesh_of "$n" "${live[@]}" || fail "after h5's restart: no full mesh at $n"; done
wait_for 10 is_member_state a h5 alive || fail "a does not hold h5 alive again"
inc1=$(incarnation a h5)
python3 -c "import sys; sys.exit(0 if $inc1 > $inc0 else 1)" ||
	fail "h5's incarnation did not grow across its restart ($inc0, $inc1)"
echo "h5 restarted: alive again at incarnation $inc1 (was $inc0), at $((SECONDS - t0)) s"

# The stream outlived all of it.
# (If the events outlasted the stream, say so: the test is weaker then.)
[ $((SECONDS - t0)) -lt 38 ] || echo "note: the events took $((SECONDS - t0)) s, the stream ~40 s"
bg_wait "$send_pid" || fail "the sender failed: $(tail -n 3 "$send_log")"
wait "$recv_pid" || fail "the receiver failed: $(tail -n 3 "$recv_log")"
sent=$(tail -n 1 "$send_log")
got=$(tail -n 1 "$recv_log")
echo "sent:     $sent"
echo "received: $got"
[ "$sent" = "$got" ] || fail "the stream was corrupted or cut"
[ "$(echo "$sent" | cut -d" " -f2)" -eq $((40 << 20)) ] || fail "the stream is short"
for why in decrypt unknown_index; do
	n=$(status_field b "d['drops'].get('$why', 0)")
	[ "$n" = 0 ] || fail "b dropped $n packets as $why"
done

pairs=0
for x in "${live[@]}"; do
	for y in "${live[@]}"; do
		[ "$x" = "$y" ] && continue
		wait_for 5 pings "$x" "100.64.0.${num[$y]}" || fail "$x cannot ping $y"
		pairs=$((pairs + 1))
	done
done
# What status says of gossip adds up: a probed, a full table, nothing lost.
ok=$(status_field a 'all([d["node"]["gossip"]["probes"] > 10, d["node"]["gossip"]["messages_received"] > 10,
	d["node"]["gossip"]["members"] == 10, d["node"]["gossip"]["live"] == 8,
	d["node"]["gossip"]["outbox_overflow"] == 0])')
[ "$ok" = True ] || fail "a's gossip figures do not add up: $(status_field a 'd["node"]["gossip"]')"
echo "membership: the stream is intact, all $pairs live pairs ping"
