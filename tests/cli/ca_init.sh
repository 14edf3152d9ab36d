#!/usr/bin/env bash
# weft ca init: files, modes, certificate contents, and every refusal.
. "$(dirname "$0")/lib.sh.inc"

expect_ok "$WEFT" ca init --dir ca --network net --prefix 100.64.0.0/10 --prefix fd00::/64
expect_out "wrote ca/ca.key and ca/ca.crt"
[ "$(stat -c %a ca)" = 700 ] || fail "ca/ is not 0700"
[ "$(stat -c %a ca/ca.key)" = 600 ] || fail "ca.key is not 0600"
grep -q -- "-----BEGIN WEFT CA PRIVATE KEY-----" ca/ca.key || fail "ca.key label"
grep -q -- "-----BEGIN WEFT CERTIFICATE-----" ca/ca.crt || fail "ca.crt label"
expect_ok "$WEFT" cert show ca/ca.crt --json
python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
assert c["type"] == "ca" and c["network"] == "net" and c["name"] == "net", c
assert c["prefixes"] == ["100.64.0.0/10", "fd00::/64"], c["prefixes"]
assert c["cipher"] == "aes-256-gcm", c["cipher"]
assert c["addresses"] == [] and c["routes"] == [] and c["groups"] == [], c
assert c["verify"]["valid"] is True and c["validity"] == "valid", c
# default validity: 10 years
from datetime import datetime
f = lambda s: datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")
days = (f(c["not_after"]) - f(c["not_before"])).days
assert 3649 <= days <= 3651, days
' "$OUT" || fail "ca.crt JSON"

# Options: cipher, validity, IPv6 only, nested new directory.
expect_ok "$WEFT" ca init --dir a/b/ca2 --network net2 --prefix fd00:1::/64 \
	--cipher chacha20-poly1305 --valid 90d
expect_ok "$WEFT" cert show a/b/ca2/ca.crt
expect_out "cipher: +chacha20-poly1305"
expect_out "prefixes: +fd00:1::/64"
expect_out "expires in (89|90) days"
[ "$(stat -c %a a/b/ca2)" = 700 ] || fail "a/b/ca2 is not 0700"

# Refusals.
expect_fail "ca/ca.key already exists" "$WEFT" ca init --dir ca --network net --prefix 100.64.0.0/10
rm ca/ca.key
expect_fail "ca/ca.crt already exists" "$WEFT" ca init --dir ca --network net --prefix 100.64.0.0/10
expect_fail -c 2 "unknown option '--bogus'" "$WEFT" ca init --bogus --dir x
expect_fail -c 2 "unknown option '-x'" "$WEFT" ca init -x
expect_fail -c 2 "'--dir' needs a value" "$WEFT" ca init --dir
expect_fail -c 2 "missing --dir" "$WEFT" ca init --network n --prefix 100.64.0.0/10
expect_fail -c 2 "missing --network" "$WEFT" ca init --dir x --prefix 100.64.0.0/10
expect_fail -c 2 "missing --prefix" "$WEFT" ca init --dir x --network n
expect_fail -c 2 "host bits are set \(the network is 100.64.0.0/10\)" \
	"$WEFT" ca init --dir x --network n --prefix 100.64.0.1/10
expect_fail -c 2 "host bits are set \(the network is fd00::/64\)" \
	"$WEFT" ca init --dir x --network n --prefix fd00::1/64
for bad in 100.64.0/10 100.64.0.0 100.64.0.0/33 fd00::/129 nonsense 100.64.0.0/ 100.64.0.0/1x; do
	expect_fail -c 2 "--prefix $bad: not a CIDR prefix" \
		"$WEFT" ca init --dir x --network n --prefix "$bad"
done
expect_fail -c 2 "overlaps" "$WEFT" ca init --dir x --network n --prefix 100.64.0.0/10 \
	--prefix 100.64.1.0/24
expect_fail -c 2 "too many --prefix" "$WEFT" ca init --dir x --network n --prefix 10.0.0.0/8 \
	--prefix 172.16.0.0/12 --prefix 192.168.0.0/16 --prefix 100.64.0.0/10 --prefix fd00::/8
expect_fail -c 2 "--network bad/name" "$WEFT" ca init --dir x --network bad/name \
	--prefix 100.64.0.0/10
expect_fail -c 2 "--cipher des" "$WEFT" ca init --dir x --network n --prefix 100.64.0.0/10 \
	--cipher des
for bad in 10x 0d -1d 1.5y d ''; do
	expect_fail -c 2 "--valid $bad: not a duration" \
		"$WEFT" ca init --dir x --network n --prefix 100.64.0.0/10 --valid "$bad"
done
# Public address space: created, with a warning; private, CGNAT and ULA: none.
expect_ok "$WEFT" ca init --dir pub --network pub --prefix 8.8.8.0/24 --prefix 2001:db8::/64
grep -q "warning: 8.8.8.0/24 is not private address space" "$ERR" || fail "no warning for 8.8.8.0/24"
grep -q "warning: 2001:db8::/64 is not private" "$ERR" || fail "no warning for 2001:db8::/64"
expect_ok "$WEFT" ca init --dir priv --network priv --prefix 10.1.0.0/16 --prefix 172.20.0.0/16 \
	--prefix 100.64.0.0/10 --prefix fd12:3456::/48
grep -q "warning" "$ERR" && fail "a warning for private space"
# A bare number: seconds or days? Refused, with the units to choose from.
expect_fail -c 2 "--valid 90: give a unit: 90d \(days\), 90h, 90m or 90s" \
	"$WEFT" ca init --dir x --network n --prefix 100.64.0.0/10 --valid 90
expect_fail -c 2 "--dir given twice" "$WEFT" ca init --dir x --dir y --network n \
	--prefix 100.64.0.0/10
expect_fail -c 2 "unexpected argument 'extra'" "$WEFT" ca init --dir x --network n \
	--prefix 100.64.0.0/10 extra
touch file
expect_fail "cannot create directory file" "$WEFT" ca init --dir file --network n \
	--prefix 100.64.0.0/10
[ ! -e x ] || fail "a refused ca init left x/ behind"
echo "all ca init tests passed"
