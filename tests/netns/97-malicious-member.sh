#!/usr/bin/env bash
# A malicious member, fake records (issue 16, "Membership trusts only what the
# CA signed"). e holds a real certificate and key, completes a real handshake
# with a and lies over its own session (tests/tools/evilmember); a, b, c, d
# are honest, j joins at the end. Only a key the CA signed is a member:
#
#  1. control, before any lie: a member killed (d, SIGKILL) is declared dead
#     by the others within 60 s;
#  2. e sends 1,000 ALIVE records of keys no CA signed, 6 of them next to each
#     real key on the ring: every node still counts the 5 real members (a b c
#     d e), stays a full mesh, and a member killed (c) is declared dead by the
#     others within the same 60 s;
#  3. after e's certificate is revoked nothing it said remains (at most the 5
#     real members everywhere, e itself included until forgotten), and j,
#     which joins through b afterwards, learns no fake (at most 6: the 5 and
#     itself).
#
# Positive controls: the killed member of 1 is found dead; e's own counts
# and a's gossip counters show that every lie was sent and received within
# the budget (no rate_limit drop, none malformed); b, c and d learned of e
# itself (so a's news reached them) and compared tables since; the
# revocation list reached every node; j learned a, b, c and d.
#
# A flood of fresh fakes (the table's growth, a's heap) is in 98; the other
# lies (comparisons, relayed probes, endpoints) in 98 and 99.
#
# Every check is run and reported even when one before it failed (tests/
# netns/evil.sh.inc); the test fails if any did.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
. "$(dirname "$0")/evil.sh.inc"
need_netns
need_bin "$WEFT" "$EVIL"
need_cmd python3

REAL=5 # a b c d e: the members whose certificates the CA signed
declare -A num=([a]=1 [b]=2 [c]=3 [d]=4 [e]=5 [j]=6)
net=198.18.30
bridge_create sw
mesh_ca
for h in a b c d e j; do
	ns_create "$h"
	bridge_attach sw "$h" "$net.${num[$h]}/24" >/dev/null
done
mesh_node a 1 "$net.1"
for h in b c d; do mesh_node "$h" "${num[$h]}" "$net.${num[$h]}" "$net.1:51820"; done
mesh_node j 6 "$net.6" "$net.2:51820"
evil_node e 5 "$net.5"
members_of a b c d
A_EP=$net.1:51820

has_peer() { # has_peer NODE PEER: NODE lists PEER, and gossip knows it
	status_field "$1" "any(p['name'] == '$2' and p.get('member') for p in d['peers'])" | grep -q True
}
full_mesh() { # full_mesh NODE...: every pair up
	local x y
	for x; do
		for y; do
			[ "$x" = "$y" ] || peer_up "$x" "$y" || return 1
		done
	done
}
all_hold() { # all_hold PEER STATE NODE...: every NODE holds PEER in STATE
	local h p=$1 s=$2
	shift 2
	for h; do is_member_state "$h" "$p" "$s" || return 1; done
}
syncs_from() { # syncs_from NODE...: SYNCS[NODE] = its comparisons so far
	local h
	for h; do SYNCS[$h]=$(gossip "$h" syncs); done
}
compared() { # compared N NODE...: each NODE started N comparisons since syncs_from
	local h n=$1
	shift
	for h; do gossip_grew "$h" syncs "${SYNCS[$h]}" "$n" || return 1; done
}
declare -A SYNCS
kill_detected() { # kill_detected VICTIM WHAT NODE...: SIGKILL it, check the others find it dead
	local v=$1 what=$2 h t0 took
	shift 2
	mesh_down "$v" KILL >/dev/null
	t0=$SECONDS
	wait_until 60 all_hold "$v" dead "$@" || true
	took=$((SECONDS - t0))
	for h; do
		check "$what: $h holds $v dead within 60 s ($(member_state "$h" "$v") after $took s)" \
			is_member_state "$h" "$v" dead
	done
}
revoked_at() { # revoked_at NODE: it holds list version 1, and e is not its peer
	[ "$(status_field "$1" 'd["node"]["revocation_list_version"]')" = 1 ] && ! has_peer "$1" e
}
members_real() { # members_real MAX NODE...: check each counts at most MAX members
	local h m max=$1
	shift
	for h; do
		m=$(gossip "$h" members)
		check "$h counts $m members (the real ones: at most $max)" [ "$m" -le "$max" ]
	done
}

for h in a b c d; do mesh_up "$h" >/dev/null; done
wait_for 20 full_mesh a b c d || fail "no full mesh of a b c d"
echo "full mesh of a b c d"

# 1. Control: a crash is found without any lie around.
kill_detected d "control (no fakes)" a b c
mesh_up d >/dev/null
wait_until 30 'all_hold d alive a b c && full_mesh a b c d' || fail "d did not come back"

# 2. 1,000 fakes, 6 next to each real key.
syncs_from a b c d
msgs0=$(gossip a messages_received)
bad0=$(gossip a malformed)
evil_bg e --to "$A_EP" "${MEMBERS[@]}" --fake 1000 --ring --time 5
bg_wait "$EVIL_PID" || fail "evilmember failed: $(tail -n 3 "$EVIL_LOG")"
cat "$EVIL_LOG"
fakes=$(evil_count "$EVIL_LOG" a fake_records)
updates=$(evil_count "$EVIL_LOG" a updates)
check "positive control: e sent 1000 fake records to a ($fakes in $updates UPDATES)" \
	[ "$fakes" = 1000 ]
wait_for 10 gossip_grew a messages_received "$msgs0" "$updates" || true
check "positive control: a received them ($(($(gossip a messages_received) - msgs0)) messages, $(($(gossip a malformed) - bad0)) malformed)" \
	gossip_grew a messages_received "$msgs0" "$updates"
check "positive control: a took e's messages within its budget (rate_limit $(peer_drop a e rate_limit))" \
	[ "$(peer_drop a e rate_limit)" = 0 ]
# a's news reached the others (they know e) and each compared tables once
# since: a fake taken by a would be in their tables by now.
check "positive control: b, c and d learned of e from a" \
	wait_until 20 'has_peer b e && has_peer c e && has_peer d e'
wait_until 30 compared 1 a b c d || echo "note: not every node compared tables since"
members_real "$REAL" a b c d
for h in a b c d; do
	m=$(sessions "$h" mode)
	check "$h stays a full mesh (mode: $m)" [ "$m" = "full mesh" ]
done
kill_detected c "with fakes" a b d
mesh_up c >/dev/null
wait_until 30 'all_hold c alive a b d' || echo "note: c is not alive again everywhere"

# 3. e revoked: nothing it said stays; a node joining later learns none of it.
"$WEFT" ca revoke --dir "$WF_TMP/ca" --name e >/dev/null || fail "ca revoke"
ns_exec a "$WEFT" revoke --dir "$WF_TMP/a" "$WF_TMP/ca/revoked.list" || fail "weft revoke"
for h in a b c d; do
	check "positive control: $h holds the revocation list, and e is no peer of it" \
		wait_for 20 revoked_at "$h"
done
syncs_from a b c d
wait_until 40 compared 1 a b c d || echo "note: not every node compared tables since the revocation"
members_real "$REAL" a b c d
mesh_up j >/dev/null
wait_for 10 status_json j >/dev/null || fail "j does not answer weft status"
syncs_from j
check "positive control: j, joining through b, learned a, b, c and d" \
	wait_until 30 'has_peer j a && has_peer j b && has_peer j c && has_peer j d'
wait_until 30 compared 2 j || echo "note: j did not compare tables twice"
members_real $((REAL + 1)) j
m=$(sessions j mode)
check "j is a full mesh (mode: $m)" [ "$m" = "full mesh" ]
checks_done
