#!/usr/bin/env bash
# weft ca revoke and weft revoke (offline: no daemon runs here; netns/93
# covers the running mesh): versions that grow, --name finds every
# certificate of a node in CADIR/issued/, --serial takes what cert show
# prints, a node takes only a newer list signed by its own CA, and every
# refusal is one line.
. "$(dirname "$0")/lib.sh.inc"

make_ca
expect_ok "$WEFT" node init --dir n1 --ca ca --name n1 --address 100.64.0.1 --listen 198.18.0.1:51820
expect_ok "$WEFT" node init --dir n2 --ca ca --name n2 --address 100.64.0.2 --listen 198.18.0.2:51820
expect_ok "$WEFT" ca renew --dir ca --cert n2/node.crt --out n2/renewed.crt
serial1=$("$WEFT" cert show n1/node.crt | awk '/^serial:/ {print $2}')
[ ${#serial1} = 16 ] || fail "no serial from cert show: '$serial1'"

# Nothing to revoke; unknown names; bad serials.
expect_fail -c 2 "say what to revoke" "$WEFT" ca revoke --dir ca
expect_fail "holds no certificate of nobody" "$WEFT" ca revoke --dir ca --name nobody
expect_fail -c 2 "--serial xyz: not a serial number" "$WEFT" ca revoke --dir ca --serial xyz
[ ! -e ca/revoked.list ] || fail "a refused revoke wrote ca/revoked.list"

# Version 1: n2 by name (both its certificates); version 2: n1 by serial.
expect_ok "$WEFT" ca revoke --dir ca --name n2
expect_out "^n2: 2 certificates"
expect_out "version 1, 2 serials \(2 new\)"
expect_ok "$WEFT" ca revoke --dir ca --serial "$serial1"
expect_out "version 2, 3 serials \(1 new\)"
head -1 ca/revoked.list | grep -q "BEGIN WEFT REVOCATION LIST" || fail "not armored"
cp ca/revoked.list v2.list

# A node takes it (no daemon: it takes effect at start), then refuses older.
expect_ok "$WEFT" revoke --dir n1 v2.list
expect_out "wrote .*n1/revoked.list: version 2, 3 serials"
expect_out "the daemon is not running"
expect_ok "$WEFT" ca revoke --dir ca --serial 0123456789abcdef
expect_ok "$WEFT" revoke --dir n1 ca/revoked.list
expect_out "version 3"
expect_fail "already holds version 3, newer than v2.list" "$WEFT" revoke --dir n1 v2.list

# A list from another network's CA, a damaged one, not a list at all.
make_ca other other
expect_ok "$WEFT" ca revoke --dir other --serial 1
expect_fail "bad signature|another network" "$WEFT" revoke --dir n1 other/revoked.list
python3 -c 'import sys; l = open("v2.list").read().split("\n")
l[1] = ("B" if l[1][0] == "A" else "A") + l[1][1:]; open("bad.list", "w").write("\n".join(l))'
cmp -s v2.list bad.list && fail "bad.list is not damaged"
expect_fail "bad.list: (bad signature|malformed)" "$WEFT" revoke --dir n1 bad.list
expect_fail "is not a revocation list \(it holds a CERTIFICATE\)" "$WEFT" revoke --dir n1 n1/node.crt
expect_fail -c 2 "one revocation list file" "$WEFT" revoke --dir n1
# The CA refuses to extend a list it cannot verify.
cp other/revoked.list ca/revoked.list
expect_fail "ca/revoked.list: " "$WEFT" ca revoke --dir ca --serial 2
echo "revoke: ok"
