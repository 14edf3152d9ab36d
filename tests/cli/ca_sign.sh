#!/usr/bin/env bash
# weft ca sign: a node certificate's contents, and every refusal: addresses and
# routes outside the network, malformed values, missing, foreign or
# wrong-permission keys, overwrites.
. "$(dirname "$0")/lib.sh.inc"

make_ca
expect_ok "$WEFT" keygen --dir n1
expect_ok "$WEFT" ca sign --dir ca --pubkey n1/node.pub --name n1 --address 100.64.0.1 \
	--address fd00::1 --route 100.65.0.0/16 --route fd00::100/120 --group web --group db \
	--out n1/node.crt
expect_out "node n1 of network net: wrote n1/node.crt"
expect_ok "$WEFT" cert show --ca ca/ca.crt --json n1/node.crt
python3 -c '
import json, sys, base64, time
from datetime import datetime, timezone
c = json.load(open(sys.argv[1]))
assert c["type"] == "node" and c["network"] == "net" and c["name"] == "n1", c
assert c["addresses"] == ["100.64.0.1", "fd00::1"], c["addresses"]
assert c["routes"] == ["100.65.0.0/16", "fd00::100/120"], c["routes"]
assert c["groups"] == ["web", "db"], c["groups"]
assert c["prefixes"] == [] and c["cipher"] is None, c
assert c["verify"] == {"ca": "ca/ca.crt", "valid": True, "error": None}, c["verify"]
pub = open(sys.argv[2]).read().split("\n")[1]
assert base64.b64decode(c["public_key"]) == base64.b64decode(pub)[-32:], "public key"
t = lambda s: datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
now = time.time()
# not_before is now - 60 s for clock skew; default validity one year.
assert now - 70 <= t(c["not_before"]) <= now - 50, c["not_before"]
assert abs(t(c["not_after"]) - (now + 365 * 86400)) < 10, c["not_after"]
assert len(c["serial"]) == 16, c["serial"]
' "$OUT" n1/node.pub || fail "node.crt JSON"

# --valid, and capping at the CA's own expiry (with a note, not an error).
expect_ok "$WEFT" ca sign --dir ca --pubkey n1/node.pub --name n1 --address 100.64.0.1 \
	--valid 12h --out short.crt
expect_ok "$WEFT" cert show --ca ca/ca.crt short.crt
expect_out "expires in 1[12] hours"
expect_ok "$WEFT" ca sign --dir ca --pubkey n1/node.pub --name n1 --address 100.64.0.1 \
	--valid 50y --out long.crt
grep -q "capped at the CA's expiry" "$ERR" || fail "no note about capping"
expect_ok "$WEFT" cert show --ca ca/ca.crt long.crt
expect_out "expires in 36[45][0-9] days"

# Overwrite refused, or allowed with --force.
expect_fail "n1/node.crt already exists; use --force to replace it" "$WEFT" ca sign --dir ca --pubkey n1/node.pub \
	--name n1 --address 100.64.0.1 --out n1/node.crt
expect_ok "$WEFT" ca sign --dir ca --pubkey n1/node.pub --name n1 --address 100.64.0.1 \
	--out n1/node.crt --force

sign() { # sign ARGS...: the usual arguments plus ARGS, to a new file
	"$WEFT" ca sign --dir ca --pubkey n1/node.pub --name n9 --out new.crt "$@"
}
expect_fail "address 10.0.0.1 is outside the network's prefixes \(100.64.0.0/10, fd00::/64\)" \
	sign --address 10.0.0.1
expect_fail "address fd01::1 is outside the network's prefixes" sign --address fd01::1
expect_fail "route 10.0.0.0/8 is outside the network's prefixes" \
	sign --address 100.64.0.9 --route 10.0.0.0/8
expect_fail "route 100.0.0.0/8 is outside the network's prefixes" \
	sign --address 100.64.0.9 --route 100.0.0.0/8
expect_fail -c 2 "--route 100.65.0.1/16: host bits are set" \
	sign --address 100.64.0.9 --route 100.65.0.1/16
expect_fail -c 2 "--route 100.65.0.0: not a CIDR prefix" sign --address 100.64.0.9 \
	--route 100.65.0.0
expect_fail -c 2 "--address 100.64.0.9/32: give a bare address" sign --address 100.64.0.9/32
expect_fail -c 2 "--address 100.64.0.300: not an IPv4 or IPv6 address" sign --address 100.64.0.300
expect_fail -c 2 "only one IPv4 address" sign --address 100.64.0.9 --address 100.64.0.10
expect_fail -c 2 "only one IPv6 address" sign --address fd00::9 --address fd00::a
expect_fail -c 2 "--name bad name" "$WEFT" ca sign --dir ca --pubkey n1/node.pub \
	--name "bad name" --address 100.64.0.9 --out new.crt
expect_fail -c 2 "--name given twice" "$WEFT" ca sign --dir ca --pubkey n1/node.pub --name a \
	--name b --address 100.64.0.9 --out new.crt
expect_fail -c 2 "--group bad!: use" sign --address 100.64.0.9 --group 'bad!'
expect_fail -c 2 "--group web given twice" sign --address 100.64.0.9 --group web --group web
expect_fail -c 2 "--valid 1q: not a duration" sign --address 100.64.0.9 --valid 1q
expect_fail -c 2 "--valid 90: give a unit" sign --address 100.64.0.9 --valid 90
expect_fail -c 2 "missing --address" sign
expect_fail -c 2 "missing --name" "$WEFT" ca sign --dir ca --pubkey n1/node.pub \
	--address 100.64.0.9 --out new.crt
expect_fail -c 2 "missing --out" "$WEFT" ca sign --dir ca --pubkey n1/node.pub --name n9 \
	--address 100.64.0.9
expect_fail -c 2 "missing --dir" "$WEFT" ca sign --pubkey n1/node.pub --name n9 \
	--address 100.64.0.9 --out new.crt
expect_fail -c 2 "missing --pubkey" "$WEFT" ca sign --dir ca --name n9 --address 100.64.0.9 \
	--out new.crt
expect_fail -c 2 "unknown option '--adress'" sign --adress 100.64.0.9
expect_fail -c 1 "never be valid" sign --address 100.64.0.9 --not-before 2000 --not-after 1000

# Missing, foreign and misplaced files.
expect_fail "nope/node.pub: .*(No such file|not found|cannot open)" "$WEFT" ca sign --dir ca \
	--pubkey nope/node.pub --name n9 --address 100.64.0.9 --out new.crt
expect_fail "nodir/ca.crt: .*(No such file|not found|cannot open)" "$WEFT" ca sign --dir nodir \
	--pubkey n1/node.pub --name n9 --address 100.64.0.9 --out new.crt
expect_fail "n1/node.key holds a NODE PRIVATE KEY, not a NODE PUBLIC KEY" "$WEFT" ca sign \
	--dir ca --pubkey n1/node.key --name n9 --address 100.64.0.9 --out new.crt
expect_fail "ca/ca.crt holds a CERTIFICATE, not a NODE PUBLIC KEY" "$WEFT" ca sign \
	--dir ca --pubkey ca/ca.crt --name n9 --address 100.64.0.9 --out new.crt
echo garbage >garbage.pub
expect_fail "garbage.pub" "$WEFT" ca sign --dir ca --pubkey garbage.pub --name n9 \
	--address 100.64.0.9 --out new.crt

# A CA directory holding another CA's key, or a node.pub as the CA key.
make_ca ca2 net
mkdir mixed && cp ca/ca.crt mixed/ && cp ca2/ca.key mixed/
expect_fail "mixed/ca.key does not belong to mixed/ca.crt" "$WEFT" ca sign --dir mixed \
	--pubkey n1/node.pub --name n9 --address 100.64.0.9 --out new.crt
mkdir pubca && cp ca/ca.crt pubca/ && cp n1/node.pub pubca/ca.key
expect_fail "pubca/ca.key holds a NODE PUBLIC KEY, not a CA PRIVATE KEY" "$WEFT" ca sign \
	--dir pubca --pubkey n1/node.pub --name n9 --address 100.64.0.9 --out new.crt
mkdir nodeca && cp n1/node.crt nodeca/ca.crt && cp ca/ca.key nodeca/
expect_fail "nodeca/ca.crt is a node certificate" "$WEFT" ca sign --dir nodeca \
	--pubkey n1/node.pub --name n9 --address 100.64.0.9 --out new.crt

# A CA key readable by others is refused.
chmod 0644 ca/ca.key
expect_fail "ca/ca.key" "$WEFT" ca sign --dir ca --pubkey n1/node.pub --name n9 \
	--address 100.64.0.9 --out new.crt
grep -qiE "permission|mode|readable|too open" "$ERR" || fail "message does not name the mode"
chmod 0600 ca/ca.key
[ ! -e new.crt ] || fail "a refused ca sign wrote new.crt"
expect_ok sign --address 100.64.0.9

# The CA's record of what it signed: a copy of each certificate in issued/.
n=$(ls ca/issued/*.crt | wc -l)
[ "$n" -ge 5 ] || fail "ca/issued holds $n certificates"
serial=$("$WEFT" cert show --json n1/node.crt | python3 -c 'import json,sys; print(json.load(sys.stdin)["serial"])')
cmp -s "ca/issued/$serial.crt" n1/node.crt || fail "no copy of n1/node.crt in ca/issued"
# The same name again (a renewal, a reinstalled host): no conflict.
expect_ok "$WEFT" keygen --dir n2
expect_ok "$WEFT" ca sign --dir ca --pubkey n2/node.pub --name n1 --address 100.64.0.1 \
	--out renew.crt
# An address another name holds: refused, naming the holder and --force.
expect_fail "100.64.0.1 is held by n1 .*--force" "$WEFT" ca sign --dir ca --pubkey n2/node.pub \
	--name n2 --address 100.64.0.1 --out n2/node.crt
[ ! -e n2/node.crt ] || fail "a refused duplicate address was written"
expect_ok "$WEFT" ca sign --dir ca --pubkey n2/node.pub --name n2 --address 100.64.0.1 \
	--out n2/node.crt --force
grep -q "also held by n1" "$ERR" || fail "no warning for the forced duplicate"
# An expired holder does not count (a CA backdated to sign one).
expect_ok "$WEFT" keygen --dir n3
expect_ok "$WEFT" ca init --dir oldca --network net --prefix 100.64.0.0/10 --not-before 1600000000
expect_ok "$WEFT" ca sign --dir oldca --pubkey n3/node.pub --name gone --address 100.64.0.33 \
	--not-before 1700000000 --not-after 1700000100 --out gone.crt
expect_ok "$WEFT" ca sign --dir oldca --pubkey n3/node.pub --name n3 --address 100.64.0.33 \
	--out n3/node.crt
# A route over another node's address: signed, with a note.
expect_ok "$WEFT" ca sign --dir ca --pubkey n3/node.pub --name n4 --address 100.64.0.44 \
	--route 100.64.0.0/28 --out n4.crt
grep -q "route 100.64.0.0/28 covers 100.64.0.1 of n1" "$ERR" || fail "no note for a covering route"
echo "all ca sign tests passed"
