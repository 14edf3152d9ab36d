#!/usr/bin/env bash
# weft cert show: text and JSON output, and certificates that must be shown
# as bad: corrupt, from another CA, expired, not yet valid, keys, garbage.
. "$(dirname "$0")/lib.sh.inc"

make_ca
expect_ok "$WEFT" node init --dir n1 --ca ca --name n1 --address 100.64.0.1 --address fd00::1 \
	--listen 198.18.0.1:51820 --route 100.65.0.0/16 --group web --group db

# Text.
expect_ok "$WEFT" cert show n1/node.crt
for re in "^type: +node$" "^network: +net$" "^name: +n1$" "^public key: +[A-Za-z0-9+/]{43}=$" \
	"^serial: +[0-9a-f]{16}$" "^not before: +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$" \
	"^not after: +[0-9-]{10}T[0-9:]{8}Z \(expires in 36[45] days\)$" \
	"^addresses: +100.64.0.1, fd00::1$" "^routes: +100.65.0.0/16$" "^groups: +web, db$" \
	"^signature: +valid \(checked against n1/ca.crt\)$"; do
	expect_out "$re"
done
expect_ok "$WEFT" cert show ca/ca.crt
for re in "^type: +CA$" "^cipher: +aes-256-gcm$" "^prefixes: +100.64.0.0/10, fd00::/64$" \
	"^signature: +valid \(self-signed\)$"; do
	expect_out "$re"
done
# Without a ca.crt next to it, the signature is not checked (and that is fine).
cp n1/node.crt alone.crt
expect_ok "$WEFT" cert show alone.crt
expect_out "^signature: +not checked"

# JSON: every documented key, with types.
expect_ok "$WEFT" cert show n1/node.crt --json
python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
keys = ["type", "version", "network", "name", "public_key", "serial", "not_before", "not_after",
        "addresses", "routes", "groups", "prefixes", "allowed_routes", "cipher", "validity",
        "verify"]
assert sorted(c) == sorted(keys), sorted(c)
assert c["type"] == "node" and c["version"] == 1 and c["validity"] == "valid", c
assert c["addresses"] == ["100.64.0.1", "fd00::1"] and c["routes"] == ["100.65.0.0/16"], c
assert c["groups"] == ["web", "db"] and c["prefixes"] == [] and c["cipher"] is None, c
assert c["verify"] == {"ca": "n1/ca.crt", "valid": True, "error": None}, c
' "$OUT" || fail "node JSON"
expect_ok "$WEFT" cert show alone.crt --json
python3 -c 'import json, sys; assert json.load(open(sys.argv[1]))["verify"] is None' "$OUT" ||
	fail "JSON verify should be null without a CA"

# Corrupt: one byte of the decoded body flipped, in the fields, then in the
# signature (the last 64 bytes), and re-armored.
flip() { # flip FILE OFFSET
	python3 - "$@" <<'PY'
import sys, base64
path, off = sys.argv[1], int(sys.argv[2])
lines = open(path).read().split("\n")
body = bytearray(base64.b64decode("".join(lines[1:-2])))
body[off] ^= 0x01
b = base64.b64encode(bytes(body)).decode()
out = [lines[0]] + [b[i:i + 64] for i in range(0, len(b), 64)] + lines[-2:]
open(path, "w").write("\n".join(out))
PY
}
mkdir bad && cp ca/ca.crt bad/ && cp n1/node.crt bad/body.crt && cp n1/node.crt bad/sig.crt
flip bad/body.crt 20
cmp -s bad/body.crt n1/node.crt && fail "flip changed nothing"
expect_fail -c 1 "bad/body.crt" "$WEFT" cert show bad/body.crt
flip bad/sig.crt -10
expect_fail -c 1 "bad/sig.crt: does not verify against bad/ca.crt: .*signature" \
	"$WEFT" cert show bad/sig.crt
expect_out "^signature: +INVALID"
# A changed character in the base64 text itself.
sed '2s/^./#/' n1/node.crt >bad/text.crt
expect_fail -c 1 "bad/text.crt" "$WEFT" cert show bad/text.crt

# Signed by another CA of the same network name: shown as invalid.
make_ca other net
mkdir foreign && cp other/ca.crt foreign/ && cp n1/node.crt foreign/
expect_fail -c 1 "foreign/node.crt: does not verify against foreign/ca.crt: .*signature" \
	"$WEFT" cert show foreign/node.crt
expect_out "^signature: +INVALID"
expect_fail -c 1 "does not verify against other/ca.crt" \
	"$WEFT" cert show --ca other/ca.crt n1/node.crt --json
python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))["verify"]
assert v["valid"] is False and v["error"], v
' "$OUT" || fail "JSON of a foreign cert"

# Expired and not yet valid, made with the testing options of ca sign (the
# CA is backdated so that the expired one was inside its validity).
now=$(date +%s)
expect_ok "$WEFT" ca init --dir old --network net --prefix 100.64.0.0/10 \
	--not-before $((now - 86400))
expect_ok "$WEFT" keygen --dir k
expect_ok "$WEFT" ca sign --dir old --pubkey k/node.pub --name k --address 100.64.0.7 \
	--not-before $((now - 7200)) --not-after $((now - 3600)) --out old/expired.crt
expect_fail -c 1 "old/expired.crt: certificate EXPIRED" "$WEFT" cert show old/expired.crt
expect_out "\(EXPIRED 1 hour ago\)"
expect_out "^signature: +valid"
expect_fail -c 1 "EXPIRED" "$WEFT" cert show old/expired.crt --json
python3 -c 'import json, sys; assert json.load(open(sys.argv[1]))["validity"] == "expired"' \
	"$OUT" || fail "JSON validity of an expired cert"
expect_ok "$WEFT" ca sign --dir old --pubkey k/node.pub --name k --address 100.64.0.7 \
	--not-before $((now + 7200)) --not-after $((now + 9000)) --out old/future.crt
expect_fail -c 1 "old/future.crt: certificate is NOT YET VALID" "$WEFT" cert show old/future.crt
expect_out "NOT YET VALID, starts in [12] hours?"
# And the plain way: one second of validity.
expect_ok "$WEFT" ca sign --dir ca --pubkey k/node.pub --name k --address 100.64.0.7 \
	--valid 1s --out short.crt
expect_ok "$WEFT" ca init --dir shortca --network net --prefix 100.64.0.0/10 --valid 1s
sleep 2
expect_fail -c 1 "EXPIRED" "$WEFT" cert show --ca ca/ca.crt short.crt
# An expired CA: shown as such, and it signs nothing more.
expect_fail -c 1 "shortca/ca.crt: certificate EXPIRED" "$WEFT" cert show shortca/ca.crt
expect_out "^signature: +valid \(self-signed\)"
expect_fail -c 1 "shortca/ca.crt: .*(expired|outside its validity)" \
	"$WEFT" ca sign --dir shortca --pubkey k/node.pub --name k --address 100.64.0.7 --out never.crt
[ ! -e never.crt ] || fail "an expired CA signed a certificate"

# Things that are not certificates.
expect_fail -c 1 "n1/node.key holds a NODE PRIVATE KEY, not a CERTIFICATE" \
	"$WEFT" cert show n1/node.key
expect_fail -c 1 "n1/node.pub holds a NODE PUBLIC KEY, not a CERTIFICATE" \
	"$WEFT" cert show n1/node.pub
expect_fail -c 1 "ca/ca.key holds a CA PRIVATE KEY, not a CERTIFICATE" "$WEFT" cert show ca/ca.key
grep -q "$(sed -n 2p ca/ca.key)" "$ERR" && fail "the error message shows key material"
echo "not a certificate" >garbage.crt
expect_fail -c 1 "garbage.crt" "$WEFT" cert show garbage.crt
head -c 300 /dev/urandom >random.crt
expect_fail -c 1 "random.crt" "$WEFT" cert show random.crt
printf -- '-----BEGIN WEFT CERTIFICATE-----\nAAAA\n-----END WEFT CERTIFICATE-----\n' >short.crt
expect_fail -c 1 "short.crt" "$WEFT" cert show short.crt
: >empty.crt
expect_fail -c 1 "empty.crt" "$WEFT" cert show empty.crt
expect_fail -c 1 "nope.crt" "$WEFT" cert show nope.crt
expect_fail -c 1 "nope/ca.crt" "$WEFT" cert show --ca nope/ca.crt n1/node.crt
expect_fail -c 1 "not a CA certificate" "$WEFT" cert show --ca n1/node.crt n1/node.crt
expect_fail -c 2 "missing the certificate FILE" "$WEFT" cert show
expect_fail -c 2 "unexpected argument 'b.crt'" "$WEFT" cert show a.crt b.crt
expect_fail -c 2 "option '--json=yes' takes no value" "$WEFT" cert show n1/node.crt --json=yes
expect_fail -c 2 "unknown option '--yaml'" "$WEFT" cert show n1/node.crt --yaml
echo "all cert show tests passed"
