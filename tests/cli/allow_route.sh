#!/usr/bin/env bash
# Subnets behind a host: the CA lists the prefixes outside the overlay that its
# node certificates may route (ca init --allow-route, ca renew --ca), ca sign
# refuses any other, and a CA certificate that narrows the list under a live
# certificate is refused unless forced. (The forged case, a certificate signed
# with the CA key past this check, is unit/test_cert test_allowed_routes.)
. "$(dirname "$0")/lib.sh.inc"

expect_ok "$WEFT" ca init --dir ca --network net --prefix 100.64.0.0/10 --prefix fd00::/64 \
	--allow-route 10.20.0.0/16 --allow-route fd20::/48
expect_ok "$WEFT" cert show --json ca/ca.crt
python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
assert c["version"] == 2, c["version"]
assert c["allowed_routes"] == ["10.20.0.0/16", "fd20::/48"], c["allowed_routes"]
' "$OUT" || fail "CA JSON"
expect_ok "$WEFT" cert show ca/ca.crt
expect_out "^allow-route: +10.20.0.0/16, fd20::/48$"

# Inside an allowed route, or inside the overlay as always: signed.
expect_ok "$WEFT" keygen --dir gw
expect_ok "$WEFT" ca sign --dir ca --pubkey gw/node.pub --name gw --address 100.64.0.1 \
	--route 10.20.1.0/24 --route fd20:0:0:5::/64 --route 100.65.0.0/16 --out gw/node.crt
expect_ok "$WEFT" cert show --ca ca/ca.crt gw/node.crt
expect_out "^routes: +10.20.1.0/24, fd20:0:0:5::/64, 100.65.0.0/16$"
expect_out "^signature: +valid"

sign() { # sign ARGS...: another node, to a new file
	"$WEFT" ca sign --dir ca --pubkey gw/node.pub --name n2 --address 100.64.0.2 \
		--out n2.crt "$@"
}
# Outside both: refused, naming what is allowed.
expect_fail "route 10.30.0.0/16 is outside the network's prefixes \(100.64.0.0/10, fd00::/64\) and the routes the CA allows \(10.20.0.0/16, fd20::/48\)" \
	sign --route 10.30.0.0/16
expect_fail "route 10.0.0.0/8 is outside" sign --route 10.0.0.0/8   # wider than allowed
expect_fail "route fd21::/64 is outside" sign --route fd21::/64
[ ! -e n2.crt ] || fail "a refused certificate was written"

# A CA without allowed routes says how to add some.
expect_ok "$WEFT" ca init --dir ca0 --network net0 --prefix 100.64.0.0/10
expect_ok "$WEFT" cert show --json ca0/ca.crt
python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
assert c["version"] == 1 and c["allowed_routes"] == [], c
' "$OUT" || fail "CA without allowed routes: version 1"
expect_fail "the CA allows no other routes \('weft ca renew --ca --allow-route CIDR' adds some\)" \
	"$WEFT" ca sign --dir ca0 --pubkey gw/node.pub --name x --address 100.64.0.9 \
	--route 10.20.0.0/16 --out x.crt

# Bad --allow-route values are usage errors.
init() { "$WEFT" ca init --dir cax --network x --prefix 100.64.0.0/10 "$@"; }
expect_fail -c 2 "--allow-route 100.64.5.0/24 is inside the overlay prefix 100.64.0.0/10: routes there need no allowing" \
	init --allow-route 100.64.5.0/24
expect_fail -c 2 "--allow-route 10.20.1.0/24 overlaps --allow-route 10.20.0.0/16" \
	init --allow-route 10.20.0.0/16 --allow-route 10.20.1.0/24
expect_fail -c 2 "--allow-route 10.20.0.1/16: host bits are set" init --allow-route 10.20.0.1/16
expect_fail -c 2 "--allow-route 10.20.0.0: not a CIDR prefix" init --allow-route 10.20.0.0
[ ! -e cax ] || fail "a refused ca init left a directory"
expect_ok init --allow-route 203.0.113.0/24
grep -q "203.0.113.0/24 is not private address space" "$ERR" || fail "no warning for public space"

# ca renew --ca: widen the list; the node certificate renewed with a new route.
old_serial=$(python3 -c 'import json,sys;print(json.load(sys.stdin)["serial"])' \
	< <("$WEFT" cert show --json ca/ca.crt))
expect_ok "$WEFT" ca renew --dir ca --ca --allow-route 10.20.0.0/16 --allow-route fd20::/48 \
	--allow-route 10.30.0.0/16
expect_out "allowed routes: 10.20.0.0/16, fd20::/48, 10.30.0.0/16"
expect_ok "$WEFT" cert show --json ca/ca.crt
python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
assert c["allowed_routes"] == ["10.20.0.0/16", "fd20::/48", "10.30.0.0/16"], c
assert c["serial"] != sys.argv[2], "same serial"
assert c["verify"]["valid"], c["verify"]
' "$OUT" "$old_serial" || fail "renewed CA JSON"
expect_ok sign --route 10.30.0.0/16
expect_ok "$WEFT" cert show --ca ca/ca.crt gw/node.crt # still valid under the new CA

# Narrowing under a live certificate (gw routes 10.20.1.0/24): refused, or forced.
expect_fail "gw \(serial [0-9a-f]{16}, valid until .*\) routes 10.20.1.0/24, which the new CA certificate would not allow.*--force" \
	"$WEFT" ca renew --dir ca --ca --allow-route fd20::/48 --allow-route 10.30.0.0/16
expect_ok "$WEFT" cert show --json ca/ca.crt
python3 -c '
import json, sys
assert len(json.load(open(sys.argv[1]))["allowed_routes"]) == 3
' "$OUT" || fail "a refused renewal changed ca.crt"
# A revoked certificate does not hold the list back.
expect_ok "$WEFT" ca revoke --dir ca --name gw
expect_ok "$WEFT" ca renew --dir ca --ca --allow-route fd20::/48 --allow-route 10.30.0.0/16
# Forced: n2 routes 10.30.0.0/16, and is named in a warning.
expect_ok "$WEFT" ca renew --dir ca --ca --no-allow-route --force
grep -q "warning: n2 (serial [0-9a-f]*, valid until .*) routes 10.30.0.0/16, which the new CA certificate does not allow" "$ERR" ||
	fail "no warning for n2"
expect_ok "$WEFT" cert show --json ca/ca.crt
python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
assert c["allowed_routes"] == [] and c["version"] == 1, c
' "$OUT" || fail "--no-allow-route"
expect_fail "certificate routes a subnet outside the overlay that its CA does not allow" \
	"$WEFT" cert show --ca ca/ca.crt n2.crt

# Option combinations.
expect_fail -c 2 "allowed routes are in the CA certificate: add --ca" "$WEFT" ca renew \
	--dir ca --cert gw/node.crt --out gw/node.crt --allow-route 10.20.0.0/16
expect_fail -c 2 "--ca renews CADIR/ca.crt: it takes no --cert or --out" "$WEFT" ca renew \
	--dir ca --ca --cert gw/node.crt
expect_fail -c 2 "contradict" "$WEFT" ca renew --dir ca --ca --no-allow-route \
	--allow-route 10.20.0.0/16
expect_fail -c 2 "--allow-route 100.64.0.0/16 is inside the overlay prefix" "$WEFT" ca renew \
	--dir ca --ca --allow-route 100.64.0.0/16
echo "allow_route: ok"
