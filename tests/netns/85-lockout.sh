#!/usr/bin/env bash
# A forged initiation cannot lock a member out (hardening item 1).
#
# An attacker (a) holds the network's CA certificate and X's certificate,
# both public, but not X's key. For a minute it sends V initiations that
# claim to be X, in two series, each once a second: stamped 2^63 and up, and
# stamped one second ahead of the clock. Meanwhile only X sends V traffic, a
# numbered datagram a second to a listener on V; V sends X nothing of its
# own, so every rekey that keeps the session alive is X's initiation, which
# the forgeries must not outbid, and V's own rekey timer, which they must not
# hold back. Keys are renewed every 3 s (about 20 rekeys in the minute).
#
# Every datagram of X's must arrive, and on time: none later than the time a
# dead session takes to be noticed and rebuilt (3 keepalives and a handshake
# timeout, 4 s here, plus a second). That is the protocol's own bound, not a
# speed: a datagram takes milliseconds, and one later than that waited for
# the session with X to die. V must refuse none of X's initiations (neither
# forged series is ever a replay of the newest proven one, so every
# handshake_replay drop would be one of X's), and show X up at the end.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT" "$BUILD/tests/hsforge"
need_cmd python3
UDPTOOL=$WF_ROOT/tests/netns/udptool.py
FORGE=$BUILD/tests/hsforge
SECS=${LOCKOUT_SECONDS:-60}

MESH_EXTRA_CONF="rekey-interval = 3s"
bridge_create sw
for n in v x a; do ns_create "$n"; done
bridge_attach sw v 198.18.9.1/24
bridge_attach sw x 198.18.9.2/24
bridge_attach sw a 198.18.9.9/24
mesh_ca
mesh_node v 1 198.18.9.1
mesh_node x 2 198.18.9.2 198.18.9.1:51820
mesh_up v
mesh_up x
wait_for 10 peer_up v x
wait_for 10 peer_up x v

bg v python3 "$UDPTOOL" stamps 100.64.0.1 7000 "$WF_TMP/stamps"
wait_for 5 test -e "$WF_TMP/stamps"
# Control: the forger's initiations are well-formed enough for V to answer
# them (V cannot know they are forged): one with a fresh timestamp is
# answered and then waits, unproven.
before=$(status_field v 'd["handshakes"]["answered"]')
ns_exec a "$FORGE" --ca "$WF_TMP/ca/ca.crt" --cert "$WF_TMP/x/node.crt" --to 198.18.9.1:51820 \
	--ts now >/dev/null
answered() { status_field v 'd["handshakes"]["answered"]'; }
wait_until 3 '[ "$(answered)" -gt "$before" ]' ||
	fail "V did not answer a forged initiation: the attack is not being tried"

bg x python3 "$UDPTOOL" ticks 100.64.0.1 7000 "$SECS"
ticks=$BG_PID
bg a "$FORGE" --ca "$WF_TMP/ca/ca.crt" --cert "$WF_TMP/x/node.crt" --to 198.18.9.1:51820 \
	--ts max --count "$SECS" --interval 1000
f1=$BG_PID
bg a "$FORGE" --ca "$WF_TMP/ca/ca.crt" --cert "$WF_TMP/x/node.crt" --to 198.18.9.1:51820 \
	--ts +1000 --count "$SECS" --interval 1000
f2=$BG_PID
wait "$ticks" "$f1" "$f2"
# The last datagram left with the sender's exit; wait for it (late ones fail
# below, on their delay).
wait_until 10 '[ "$(wc -l <"$WF_TMP/stamps")" -ge "$SECS" ]' || true

got=$(wc -l <"$WF_TMP/stamps")
late=$(sort -k2 -n "$WF_TMP/stamps" | tail -n 1)
echo "X sent $SECS datagrams, V received $got; the slowest (seq, ms): $late"
status_field v 'd["drops"]'
status_field v 'd["handshakes"]'
[ "$got" = "$SECS" ] || fail "X's traffic did not all arrive: $got of $SECS"
[ "${late#* }" -le 5000 ] || fail "datagram ${late% *} of X's arrived ${late#* } ms late"
[ "$(status_field v 'd["drops"]["handshake_replay"]')" = 0 ] ||
	fail "V refused initiations of X's as replays"
peer_up v x || fail "V does not show X up"
[ "$(status_field v 'd["drops"]["handshake_clock"]')" -ge $((SECS / 2)) ] ||
	fail "the 2^63 series was not refused as stamped in the future"
hs=$(status_field v 'next(p for p in d["peers"] if p["name"] == "x")["last_handshake_seconds"]')
[ "$hs" -le 5 ] || fail "no recent rekey with X (last handshake ${hs}s ago)"
echo "forged initiations: no lock-out"
