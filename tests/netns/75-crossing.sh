#!/usr/bin/env bash
# Crossing handshakes: both ends initiate at once and each answers the other's
# initiation before its own completes (it happens when two nodes notice each
# other at the same moment, as after a restart). Each end then sends on the
# keypair of its own handshake, so each must still accept packets on the
# keypair of the handshake it answered. A bug once freed that keypair: both
# sides sent on keys the other no longer had, until dead-peer detection ran
# a new handshake (netns/70-restart caught it, once in four runs).
#
# tests/tools/crossprobe forces the race deterministically: it plays node b,
# the daemon's bootstrap, holds the daemon's initiation, gets its own
# initiation answered, then answers the daemon's, and pings through. Then it
# sends its initiation again: the daemon must not answer it, since the keys of
# that initiation were used (the timestamp of a crossed handshake counts as
# proven too, although its keypair never passes through `next`).
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT" "$BUILD/tests/crossprobe"

ns_create a b
link_veth a 198.18.4.1/24 b 198.18.4.2/24
mesh_ca
mesh_node a 1 198.18.4.1 198.18.4.2:51820
mesh_node b 2 198.18.4.2 # never started: crossprobe uses its certificate and key
echo "log-level = debug" >>"$WF_TMP/a/weft.conf"

bg b "$BUILD/tests/crossprobe" --ca "$WF_TMP/ca/ca.crt" --cert "$WF_TMP/b/node.crt" \
	--key "$WF_TMP/b/node.key" --listen 198.18.4.2:51820 --src 100.64.0.2 --ping 100.64.0.1
probe_pid=$BG_PID probe_log=$BG_LOG
wait_for 5 grep -q listening "$probe_log" || fail "crossprobe did not start"
mesh_up a
rc=0
wait "$probe_pid" || rc=$?
cat "$probe_log"
case $rc in
0) ;;
4) fail "the daemon answered a replayed initiation after crossing handshakes" ;;
*) fail "crossprobe exited with $rc: no traffic after crossing handshakes" ;;
esac
grep -q 'handshake: answered b' "${WF_LOGS[1]}" || fail "the daemon did not answer b's initiation"
peer_up a b || fail "a does not list b as up"
echo "crossing: OK"
