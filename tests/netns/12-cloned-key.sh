#!/usr/bin/env bash
# Two hosts with one key (a cloned VM): b and b2 run copies of one node
# directory, at two underlay addresses, and both talk to a. They take the
# sessions from each other; a sees b keep moving between the two addresses,
# and says what that means (two hosts share b's key), once, instead of
# only "moved to" lines.
#
# Positive control: b alone, pinging a as long, gives no such line.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT"
need_cmd ping

bridge_create sw
for h in a b b2; do ns_create "$h"; done
bridge_attach sw a 198.18.12.1/24
bridge_attach sw b 198.18.12.2/24
bridge_attach sw b2 198.18.12.3/24
mesh_ca
mesh_node a 1 198.18.12.1
mesh_node b 2 198.18.12.2 198.18.12.1:51820
cp -a "$WF_TMP/b" "$WF_TMP/b2"
sed -i 's/^listen = .*/listen = 198.18.12.3:51820/' "$WF_TMP/b2/weft.conf"
rm -f "$WF_TMP/b2/weft.lock" "$WF_TMP/b2/peers.cache"
grep -q "^listen = 198.18.12.3:51820$" "$WF_TMP/b2/weft.conf" || fail "b2's listen line"

mesh_up a
mesh_up b
alog=${WF_DAEMON_LOG[${MESH_PID[a]}]}
wait_for 15 peer_up a b
# b alone: 4 s of pings, no word of a shared key.
ns_exec b ping -q -c 40 -i 0.1 -W 1 100.64.0.1
! grep -q "share its key" "$alog" || fail "a spoke of a shared key with b alone"

# b2, the clone, joins; both ping a.
mesh_up b2
bg b ping -q -i 0.1 -c 600 100.64.0.1
bg b2 ping -q -i 0.1 -c 600 100.64.0.1
wait_for 45 grep -q "peer b keeps moving between 198.18.12.[23]:51820 and 198.18.12.[23]:51820 .*two hosts seem to share its key" "$alog" ||
	fail "a never said that two hosts share b's key ($(grep -c "peer b moved to" "$alog") moves logged)"
grep "share its key" "$alog"
[ "$(grep -c "share its key" "$alog")" = 1 ] || fail "said more than once"
