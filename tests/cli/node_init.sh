#!/usr/bin/env bash
# weft node init: the five files, weft.conf's exact format, cleanup after a
# failure, and refusals.
. "$(dirname "$0")/lib.sh.inc"

make_ca
expect_ok "$WEFT" node init --dir n1 --ca ca --name n1 --address 100.64.0.1 --address fd00::1 \
	--listen 198.18.0.1:51820 --bootstrap 198.18.0.2:51820 --bootstrap '[2001:db8::2]:51820' \
	--route 100.65.0.0/16 --group web
for f in node.key node.pub node.crt ca.crt weft.conf; do
	[ -f n1/$f ] || fail "n1/$f missing"
done
[ "$(stat -c %a n1)" = 700 ] || fail "n1/ is not 0700"
[ "$(stat -c %a n1/node.key)" = 600 ] || fail "node.key is not 0600"
cmp -s ca/ca.crt n1/ca.crt || fail "n1/ca.crt differs from ca/ca.crt"
cat >expected.conf <<'CONF'
# weft node configuration; see weft(8)
name = n1
interface = weft0
listen = 198.18.0.1:51820
bootstrap = 198.18.0.2:51820
bootstrap = [2001:db8::2]:51820
# mtu = 1440
# private-key = node.key
# certificate = node.crt
# ca = ca.crt
# log-level = info
CONF
diff -u expected.conf n1/weft.conf || fail "weft.conf differs"
expect_ok "$WEFT" cert show n1/node.crt
expect_out "signature: +valid \(checked against n1/ca.crt\)"
expect_out "addresses: +100.64.0.1, fd00::1"
expect_out "routes: +100.65.0.0/16"
expect_out "groups: +web"

# No --bootstrap: no bootstrap line; --interface is written.
expect_ok "$WEFT" node init --dir n2 --ca ca --name n2 --address fd00::2 \
	--listen '[2001:db8::1]:51820' --interface mesh0 --valid 30d
grep -q "^bootstrap" n2/weft.conf && fail "n2/weft.conf has a bootstrap line"
grep -qx "interface = mesh0" n2/weft.conf || fail "n2/weft.conf interface"
grep -qx "listen = \[2001:db8::1\]:51820" n2/weft.conf || fail "n2/weft.conf listen"
expect_ok "$WEFT" cert show n2/node.crt
expect_out "expires in (29|30) days"

# Refusals: existing files, and a failed sign leaves nothing behind.
expect_fail "n1/node.key already exists" "$WEFT" node init --dir n1 --ca ca --name n1 \
	--address 100.64.0.1 --listen 198.18.0.1:51820
mkdir n3 && touch n3/weft.conf
expect_fail "n3/weft.conf already exists" "$WEFT" node init --dir n3 --ca ca --name n3 \
	--address 100.64.0.3 --listen 198.18.0.1:51820
[ "$(ls n3)" = weft.conf ] || fail "a refused node init wrote into n3"
expect_fail "address 10.9.0.1 is outside the network's prefixes" "$WEFT" node init --dir n4 \
	--ca ca --name n4 --address 10.9.0.1 --listen 198.18.0.1:51820
[ -z "$(ls -A n4 2>/dev/null)" ] || fail "a failed node init left files: $(ls n4)"
expect_fail "nocadir/ca.crt" "$WEFT" node init --dir n5 --ca nocadir --name n5 \
	--address 100.64.0.5 --listen 198.18.0.1:51820
[ -z "$(ls -A n5 2>/dev/null)" ] || fail "a failed node init left files in n5"

ni() { "$WEFT" node init --dir n6 --ca ca --name n6 --address 100.64.0.6 "$@"; }
expect_fail -c 2 "missing --listen" ni
expect_fail -c 2 "--listen 198.18.0.1: not an endpoint" ni --listen 198.18.0.1
expect_fail -c 2 "--listen 198.18.0.1:99999: not an endpoint" ni --listen 198.18.0.1:99999
expect_fail -c 2 "--bootstrap 198.18.0.300:1: not HOST:PORT" ni --listen 198.18.0.1:1 \
	--bootstrap 198.18.0.300:1
expect_fail -c 2 "--bootstrap db1: not HOST:PORT" ni --listen 198.18.0.1:1 --bootstrap db1
expect_fail -c 2 "--interface a/b: not a valid interface name" ni --listen 198.18.0.1:1 \
	--interface a/b
expect_fail -c 2 "--interface waytoolonginterfacename: not a valid" ni --listen 198.18.0.1:1 \
	--interface waytoolonginterfacename
expect_fail -c 2 "--route 100.65.0.1/16: host bits are set" ni --listen 198.18.0.1:1 \
	--route 100.65.0.1/16
expect_fail -c 2 "missing --ca" "$WEFT" node init --dir n6 --name n6 --address 100.64.0.6 \
	--listen 198.18.0.1:1
expect_fail -c 2 "missing --dir" "$WEFT" node init --ca ca --name n6 --address 100.64.0.6 \
	--listen 198.18.0.1:1
expect_fail -c 2 "missing --name" "$WEFT" node init --dir n6 --ca ca --address 100.64.0.6 \
	--listen 198.18.0.1:1
expect_fail -c 2 "missing --address" "$WEFT" node init --dir n6 --ca ca --name n6 \
	--listen 198.18.0.1:1
expect_fail -c 2 "unknown option '--port'" ni --listen 198.18.0.1:1 --port 1
[ ! -e n6 ] || fail "a refused node init created n6"
# A host name that does not resolve here is written as given: the node's
# daemon resolves it (and retries until it does).
expect_ok ni --listen 198.18.0.1:1 --bootstrap db1.does-not-resolve.invalid:51820
grep -qx "bootstrap = db1.does-not-resolve.invalid:51820" n6/weft.conf ||
	fail "the bootstrap name was not written as given"
# Method B: the key is made on the node, the CA signs node.pub elsewhere, and
# node init installs what came back.
expect_ok "$WEFT" keygen --dir db1
expect_ok "$WEFT" ca sign --dir ca --pubkey db1/node.pub --name db1 --address 100.64.0.20 \
	--group db --out signed-db1.crt
cp ca/ca.crt copied-ca.crt
expect_ok "$WEFT" node init --dir db1 --cert signed-db1.crt --ca-cert copied-ca.crt \
	--listen 198.18.0.20:51820 --bootstrap 198.18.0.1:51820
expect_out "node db1 of network net: wrote node.crt, ca.crt and weft.conf in db1"
grep -qx "name = db1" db1/weft.conf || fail "the name did not come from the certificate"
grep -qx "bootstrap = 198.18.0.1:51820" db1/weft.conf || fail "no bootstrap line"
cmp -s db1/node.crt signed-db1.crt && cmp -s db1/ca.crt ca/ca.crt || fail "certificates not installed"
expect_ok "$WEFT" cert show db1/node.crt
expect_out "valid \(checked against db1/ca.crt\)|signature: *valid"
# The certificate must be for this node's key, and of that CA; nothing written.
expect_ok "$WEFT" keygen --dir db2
expect_fail "signed-db1.crt is not for db2/node.key" "$WEFT" node init --dir db2 \
	--cert signed-db1.crt --ca-cert copied-ca.crt --listen 198.18.0.21:51820
make_ca ca2 net
expect_fail "signed-db1.crt: bad signature" "$WEFT" node init --dir db2 --cert signed-db1.crt \
	--ca-cert ca2/ca.crt --listen 198.18.0.21:51820
[ ! -e db2/node.crt ] && [ ! -e db2/weft.conf ] || fail "a refused install wrote files"
expect_fail "db3/node.key does not exist: make the key here first \(weft keygen --dir db3\)" \
	"$WEFT" node init --dir db3 --cert signed-db1.crt --ca-cert copied-ca.crt \
	--listen 198.18.0.21:51820
expect_fail -c 2 "--ca and --cert exclude each other" "$WEFT" node init --dir db2 --ca ca \
	--cert signed-db1.crt --ca-cert copied-ca.crt --listen 198.18.0.21:51820
expect_fail -c 2 "with --cert the name, addresses" "$WEFT" node init --dir db2 \
	--cert signed-db1.crt --ca-cert copied-ca.crt --name x --listen 198.18.0.21:51820
expect_fail -c 2 "missing --ca-cert" "$WEFT" node init --dir db2 --cert signed-db1.crt \
	--listen 198.18.0.21:51820
echo "all node init tests passed"
