#!/usr/bin/env bash
# Subnets behind a host: the CA allows 10.20.0.0/16, gw's certificate routes
# it, and a host on that LAN (lan, 10.20.0.5, default route via gw) and a
# member (a) reach each other through gw, both ways. a's daemon adds the
# kernel route for the LAN (10.20.0.0/16 dev weft0) when gw proves its key,
# and removes it when gw is revoked (not when it merely stops). A member whose certificate routes the LAN
# under a CA that does not allow it is refused by the others (certificate),
# so the LAN stays unreachable through it, even with a route made by hand.
# weft reload takes the CA's allowed routes: widened, the refused gateway is
# let in at its next handshake; narrowed, it is removed with its kernel
# route; a gateway refuses a CA that does not allow its own route, whole.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT"
need_cmd ping

ns_create a gw lan
link_veth a 198.18.0.1/24 gw 198.18.0.2/24
link_veth gw 10.20.0.1/16 lan 10.20.0.5/16
ns_exec lan ip route add default via 10.20.0.1       # the return route: gw is its gateway
ns_exec gw sysctl -qw net.ipv4.ip_forward=1            # this namespace only

mesh_ca --allow-route 10.20.0.0/16
mesh_node a 1 198.18.0.1
"$WEFT" node init --dir "$WF_TMP/gw" --ca "$WF_TMP/ca" --name gw --address 100.64.0.2 \
	--address fd00::2 --route 10.20.0.0/16 --listen 198.18.0.2:51820 \
	--bootstrap 198.18.0.1:51820 >/dev/null
echo "$MESH_TIMERS" >>"$WF_TMP/gw/weft.conf"
mesh_up a
mesh_up gw
wait_for 10 peer_up a gw
wait_for 10 peer_up gw a
lan_route() { ns_quiet a ip route show 10.20.0.0/16 dev weft0 | grep -q .; }
wait_for 10 lan_route || fail "a's daemon did not route gw's LAN to weft0"
grep -q "route 10.20.0.0/16 to weft0: gw's subnet" "${WF_DAEMON_LOG[${MESH_PID[a]}]}" ||
	fail "a did not log the route"
! ns_quiet gw ip route show 10.20.0.0/16 dev weft0 | grep -q . || fail "gw routed its own LAN to weft0"

ns_exec a ping -c 3 -i 0.2 -W 2 10.20.0.5                   # member -> LAN host
ns_exec lan ping -c 3 -i 0.2 -W 2 100.64.0.1                # LAN host -> member
status_json a | python3 -c '
import json, sys
d = json.load(sys.stdin)
gw = next(p for p in d["peers"] if p["name"] == "gw")
assert gw["routes"] == ["10.20.0.0/16"], gw["routes"]
' || fail "a does not show gw's route"

# gw stops: the route stays (packets for the LAN are weft's to drop, not
# the default route's to send in clear); gw revoked: the route goes.
mesh_down gw
gw_left() { [ "$(status_field a "[(p.get('member') or {}).get('state') for p in d['peers'] if p['name'] == 'gw'][0]")" = left ]; }
wait_for 20 gw_left || fail "a does not hold gw left"
lan_route || fail "a dropped the LAN's route when gw stopped"
"$WEFT" ca revoke --dir "$WF_TMP/ca" --name gw >/dev/null || fail "ca revoke"
ns_exec a "$WEFT" revoke --dir "$WF_TMP/a" "$WF_TMP/ca/revoked.list" >/dev/null || fail "weft revoke"
wait_for 30 sh -c "! ip netns exec $(ns_name a) ip route show 10.20.0.0/16 dev weft0 | grep -q ." ||
	fail "a kept the route for gw's LAN after gw was revoked"

# The same certificate under a CA that allows nothing outside the overlay:
# made with the CA key and refused by a all the same.
rm -rf "$WF_TMP/gw"
"$WEFT" ca renew --dir "$WF_TMP/ca" --ca --no-allow-route --force >/dev/null 2>&1
cp "$WF_TMP/ca/ca.crt" "$WF_TMP/a/ca.crt"
mesh_down a
mesh_up a
"$WEFT" ca renew --dir "$WF_TMP/ca" --ca --allow-route 10.20.0.0/16 >/dev/null
"$WEFT" node init --dir "$WF_TMP/gw" --ca "$WF_TMP/ca" --name gw2 --address 100.64.0.3 \
	--route 10.20.0.0/16 --listen 198.18.0.2:51820 --bootstrap 198.18.0.1:51820 >/dev/null
echo "$MESH_TIMERS" >>"$WF_TMP/gw/weft.conf"
mesh_up gw
wait_for 10 grep -q "refused certificate of gw2.*certificate routes a subnet outside the overlay that its CA does not allow" \
	"${WF_DAEMON_LOG[${MESH_PID[a]}]}"
ns_exec a ip route replace 10.20.0.0/16 dev weft0
if ns_quiet a ping -c 2 -W 1 10.20.0.5 >/dev/null; then
	fail "a reached the LAN through a certificate its CA does not allow"
fi
ns_exec a ip route del 10.20.0.0/16 dev weft0

# weft reload takes the CA's allowed routes. Widened: gw2, refused until
# now, is let in at its next handshake, and a routes the LAN to it.
reload() { ns_quiet "$1" "$WEFT" reload --dir "$WF_TMP/$1"; }
cp "$WF_TMP/ca/ca.crt" "$WF_TMP/a/ca.crt"
out=$(reload a) || fail "a's reload failed: $out"
echo "$out" | grep -q "CA's allowed routes now 10.20.0.0/16 (0 peers removed)" || fail "reload: $out"
wait_for 40 peer_up a gw2 || fail "a did not let gw2 in after the reload"
wait_for 5 lan_route || fail "a did not route the LAN to gw2"
ns_exec a ping -c 2 -i 0.2 -W 2 10.20.0.5
status_json a | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["node"]["allowed_routes"] == ["10.20.0.0/16"], d["node"]["allowed_routes"]
gw = next(p for p in d["peers"] if p["name"] == "gw2")
assert gw["kernel_routes"] == ["10.20.0.0/16"], gw["kernel_routes"]
' || fail "a's status does not show the allowed routes and gw2's kernel route"

# gw2 refuses a CA that no longer allows its own LAN, whole.
"$WEFT" ca renew --dir "$WF_TMP/ca" --ca --no-allow-route --force >/dev/null 2>&1
cp "$WF_TMP/ca/ca.crt" "$WF_TMP/gw/ca.crt"
if out=$(reload gw 2>&1); then fail "gw2 took a CA that does not allow its own route"; fi
echo "$out" | grep -q "gw/ca.crt: does not allow 10.20.0.0/16, which this node's certificate (.*gw/node.crt) routes: nothing changed" ||
	fail "gw2's refusal does not say why: $out"
[ "$(status_field gw 'd["node"]["allowed_routes"]')" = "['10.20.0.0/16']" ] || fail "gw2 changed its CA's list"

# Narrowed at a: gw2 goes, with its kernel route; the LAN is unreachable.
cp "$WF_TMP/ca/ca.crt" "$WF_TMP/a/ca.crt"
out=$(reload a) || fail "a's narrowing reload failed: $out"
echo "$out" | grep -q "CA's allowed routes now none (1 peer removed)" || fail "reload: $out"
! lan_route || fail "a kept gw2's LAN route after the CA stopped allowing it"
[ "$(peer_state a gw2)" = absent ] || fail "a kept gw2"
! pings a 10.20.0.5 || fail "a reached the LAN after the CA stopped allowing it"
echo "lan-route: ok"
