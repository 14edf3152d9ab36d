#!/usr/bin/env bash
# weft ca renew: a new certificate with all of an old one's attributes, valid
# from now; the old one may have expired; it must be of this CA.
. "$(dirname "$0")/lib.sh.inc"

make_ca
expect_ok "$WEFT" keygen --dir n1
expect_ok "$WEFT" ca sign --dir ca --pubkey n1/node.pub --name n1 --address 100.64.0.1 \
	--address fd00::1 --route 100.65.0.0/16 --group web --group db --valid 30d --out n1/node.crt
expect_ok "$WEFT" cert show --json n1/node.crt
cp "$OUT" old.json
expect_ok "$WEFT" ca renew --dir ca --cert n1/node.crt --out n1/node.crt
expect_out "node n1 of network net: wrote n1/node.crt, serial [0-9a-f]{16}, valid until"
expect_ok "$WEFT" cert show --ca ca/ca.crt --json n1/node.crt
python3 -c '
import json, sys
from datetime import datetime, timezone
old, new = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for k in ("name", "public_key", "addresses", "routes", "groups", "network"):
    assert old[k] == new[k], (k, old[k], new[k])
assert old["serial"] != new["serial"], "same serial"
assert new["verify"]["valid"], new["verify"]
t = lambda s: datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
# the old lifetime, from now (issued later: peers adopt it)
assert t(new["not_before"]) >= t(old["not_before"]), "not issued later"
life = lambda c: t(c["not_after"]) - t(c["not_before"])
assert abs(life(new) - life(old)) < 5, (life(new), life(old))
' old.json "$OUT" || fail "the renewed certificate differs"
serial=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["serial"])' "$OUT")
[ -e "ca/issued/$serial.crt" ] || fail "the renewal is not in ca/issued"

# Another lifetime; another output file: refused over an existing one without --force.
expect_ok "$WEFT" ca renew --dir ca --cert n1/node.crt --valid 2y --out new.crt
expect_ok "$WEFT" cert show new.crt
expect_out "expires in 7[23][0-9] days"
touch other.crt
expect_fail "other.crt exists and is not n1/node.crt; use --force to replace it" \
	"$WEFT" ca renew --dir ca --cert n1/node.crt --out other.crt
expect_ok "$WEFT" ca renew --dir ca --cert n1/node.crt --out other.crt --force

# An expired certificate is renewed all the same (a CA backdated to make one).
expect_ok "$WEFT" ca init --dir old --network net --prefix 100.64.0.0/10 --not-before 1600000000
expect_ok "$WEFT" ca sign --dir old --pubkey n1/node.pub --name n2 --address 100.64.0.2 \
	--not-before 1700000000 --not-after 1700086400 --out expired.crt
expect_ok "$WEFT" ca renew --dir old --cert expired.crt --valid 90d --out expired.crt
expect_ok "$WEFT" cert show --ca old/ca.crt expired.crt
expect_out "expires in (89|90) days"

# Of another CA: refused.
make_ca other net
expect_fail "n1/node.crt: bad signature" "$WEFT" ca renew --dir other --cert n1/node.crt \
	--out x.crt
[ ! -e x.crt ] || fail "a refused renewal wrote x.crt"
expect_fail -c 2 "--valid 90: give a unit" "$WEFT" ca renew --dir ca --cert n1/node.crt \
	--out n1/node.crt --valid 90
echo "all ca renew tests passed"

# Renewed twice within a second: each renewal still starts later than the
# one it replaces, or the peers would keep the old one (wf_cert_supersedes).
expect_ok "$WEFT" node init --dir quick --ca ca --name quick --address 100.64.0.77 --listen 198.18.0.77:51820
nb() { "$WEFT" cert show --json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["not_before"])'; }
b0=$(nb quick/node.crt)
expect_ok "$WEFT" ca renew --dir ca --cert quick/node.crt --out quick/node.crt
b1=$(nb quick/node.crt)
expect_ok "$WEFT" ca renew --dir ca --cert quick/node.crt --out quick/node.crt
b2=$(nb quick/node.crt)
[[ "$b0" < "$b1" && "$b1" < "$b2" ]] || fail "not_before did not grow: $b0, $b1, $b2"
echo "ca renew: ok"
