#!/usr/bin/env bash
# weft ca list: what the CA signed, a line a certificate, by node and age,
# with what became of it: n1 renewed (its first certificate superseded, the
# new one live), n2 revoked, n3 expired, n4 not valid yet, n5 live with its
# route and groups. It needs no private key. An empty CA, a directory that
# is no CA, a damaged record and the command line are checked too.
. "$(dirname "$0")/lib.sh.inc"

now=$(date +%s)
expect_ok "$WEFT" ca init --dir ca --network net --prefix 100.64.0.0/10 --prefix fd00::/64 \
	--not-before $((now - 30 * 86400))
expect_ok "$WEFT" ca list --dir ca
expect_out "^no certificates in ca/issued$"
expect_ok "$WEFT" keygen --dir k
sign() { expect_ok "$WEFT" ca sign --dir ca --pubkey k/node.pub "$@"; }
sign --name n1 --address 100.64.0.1 --out n1.crt
expect_ok "$WEFT" ca renew --dir ca --cert n1.crt --out n1b.crt
sign --name n2 --address 100.64.0.2 --out n2.crt
sign --name n3 --address 100.64.0.3 --not-before $((now - 10 * 86400)) \
	--not-after $((now - 86400)) --out n3.crt
sign --name n4 --address 100.64.0.4 --not-before $((now + 86400)) --out n4.crt
sign --name n5 --address 100.64.0.5 --address fd00::5 --route 100.65.0.0/16 --group web \
	--group db --out n5.crt
expect_ok "$WEFT" ca revoke --dir ca --name n2
serial() { "$WEFT" cert show --json "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)["serial"])'; }

mv ca/ca.key ca.key.away # no private key needed
expect_ok "$WEFT" ca list --dir ca
cat "$OUT"
[ "$(wc -l <"$OUT")" = 7 ] || fail "not a header and six certificates"
expect_out "^NODE +SERIAL +ADDRESSES +ROUTES +GROUPS +NOT AFTER +STATE$"
row() { # row LINE NAME CERT STATE: line LINE is NAME's certificate CERT, in STATE
	sed -n "$1p" "$OUT" | grep -qE "^$2 +$(serial "$3") .* $4\$" ||
		fail "line $1 is not $2 ($3) $4: $(sed -n "$1p" "$OUT")"
}
row 2 n1 n1.crt superseded
row 3 n1 n1b.crt live
row 4 n2 n2.crt revoked
row 5 n3 n3.crt expired
row 6 n4 n4.crt "not yet valid"
row 7 n5 n5.crt live
expect_out "^n5 +[0-9a-f]{16} 100\.64\.0\.5, fd00::5 +100\.65\.0\.0/16 +web,db +20[0-9-]+T"
# Revoking the live n1 leaves no live certificate of it: both say so.
mv ca.key.away ca/ca.key
expect_ok "$WEFT" ca revoke --dir ca --serial "$(serial n1b.crt)"
expect_ok "$WEFT" ca list --dir ca
row 2 n1 n1.crt live # (not superseded by a revoked one: it still works)
row 3 n1 n1b.crt revoked

# A damaged record is warned of and skipped; the rest is listed.
echo garbage >ca/issued/0000000000000bad.crt
expect_ok "$WEFT" ca list --dir ca
grep -q "warning: skipping .*0000000000000bad.crt" "$ERR" || fail "no warning for the damaged record"
[ "$(wc -l <"$OUT")" = 7 ] || fail "the damaged record changed the list"
rm ca/issued/0000000000000bad.crt

expect_fail -c 2 "missing --dir" "$WEFT" ca list
expect_fail -c 1 "k: no ca.crt: not a CA directory" "$WEFT" ca list --dir k
expect_fail -c 2 "unexpected argument" "$WEFT" ca list --dir ca extra
echo "ok"
