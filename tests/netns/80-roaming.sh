#!/usr/bin/env bash
# Endpoint roaming: a node listening on the wildcard address changes its
# underlay address; its next authentic packet (a keepalive) moves it at its
# peer, and traffic flows to the new address, with no new handshake needed.
# The underlay MTU is 1400 here: b, which bootstraps toward a, sizes its
# interface from the route there (1400 - 60 = 1340).
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT"

ns_create a b
link_veth a 198.18.9.1/24 b 198.18.9.2/24 1400
mesh_ca
mesh_node a 1 0.0.0.0
mesh_node b 2 198.18.9.2 198.18.9.1:51820
mesh_up a
mesh_up b
wait_for 10 peer_up b a
ns_quiet b ip -j link show weft0 | grep -q '"mtu":1340' || fail "b's weft0 MTU is not 1340 over a 1400 underlay"
endpoint() { status_field b 'next(p["endpoint"] for p in d["peers"] if p["name"] == "a")'; }
echo "b reaches a at $(endpoint)"
[ "$(endpoint)" = 198.18.9.1:51820 ] || fail "unexpected endpoint"

# Keep the new address when the old primary goes (else Linux deletes both).
ns_exec a sysctl -qw net.ipv4.conf.to-b.promote_secondaries=1
ns_exec a ip addr add 198.18.9.11/24 dev to-b
ns_exec a ip addr del 198.18.9.1/24 dev to-b
moved() { [ "$(endpoint)" = 198.18.9.11:51820 ]; }
wait_for 10 moved || fail "b did not follow a to its new address"
echo "b now reaches a at $(endpoint)"
ns_exec b ping -c 3 -i 0.2 -W 2 100.64.0.1
grep -q "peer a moved to 198.18.9.11:51820" "${WF_LOGS[1]}" || fail "no log line for the move"
echo "roaming: OK"
