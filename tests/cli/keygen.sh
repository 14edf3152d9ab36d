#!/usr/bin/env bash
# weft keygen: key files, modes, refusal to overwrite.
. "$(dirname "$0")/lib.sh.inc"

expect_ok "$WEFT" keygen --dir node
expect_out "^public key: [A-Za-z0-9+/]{43}=$"
[ "$(stat -c %a node)" = 700 ] || fail "node/ is not 0700"
[ "$(stat -c %a node/node.key)" = 600 ] || fail "node.key is not 0600"
grep -q -- "-----BEGIN WEFT NODE PRIVATE KEY-----" node/node.key || fail "node.key label"
grep -q -- "-----BEGIN WEFT NODE PUBLIC KEY-----" node/node.pub || fail "node.pub label"
pub=$(cat node/node.pub)

expect_fail "node/node.key already exists" "$WEFT" keygen --dir node
[ "$(cat node/node.pub)" = "$pub" ] || fail "node.pub changed"
rm node/node.key
expect_fail "node/node.pub already exists" "$WEFT" keygen --dir node
[ ! -e node/node.key ] || fail "a refused keygen wrote node.key"

# Two keys differ.
expect_ok "$WEFT" keygen --dir other
cmp -s node/node.pub other/node.pub && fail "two keygens gave the same key"

expect_fail -c 2 "missing --dir" "$WEFT" keygen
expect_fail -c 2 "unknown option '--force'" "$WEFT" keygen --dir x --force
expect_fail -c 2 "unexpected argument 'x'" "$WEFT" keygen --dir y x
echo "all keygen tests passed"
