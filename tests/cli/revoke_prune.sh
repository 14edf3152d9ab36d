#!/usr/bin/env bash
# weft ca revoke prunes: each new list leaves out the serials of certificates
# that expired more than a day ago (CADIR/issued/ says when each expires),
# and keeps, saying so, the serials it holds no certificate of. 200
# revocations: 60 certificates long expired, 140 live (more than the 128 a
# list once held); the list ends with the 140 and the one serial nobody
# knows.
#
# Positive controls: while CADIR/issued/ lacks the expired certificates'
# records their serials stay listed (nothing is pruned on a guess); a
# certificate expired an hour ago stays listed; a node takes the pruned
# list (it verifies).
. "$(dirname "$0")/lib.sh.inc"

now=$(date +%s)
# (a CA from a month ago, so that it can sign what has expired since)
expect_ok "$WEFT" ca init --dir pca --network net --prefix 100.64.0.0/10 \
	--not-before $((now - 30 * 86400))
cp -a pca pca2 # the same CA, whose records of the expired ones we keep apart
expect_ok "$WEFT" keygen --dir k

# 60 certificates that expired two days ago, signed in pca2 (records there)...
for i in $(seq 1 60); do
	"$WEFT" ca sign --dir pca2 --pubkey k/node.pub --name "e$i" --address "100.64.1.$i" \
		--not-before $((now - 10 * 86400)) --not-after $((now - 2 * 86400)) \
		--out "e$i.crt" >/dev/null 2>&1 || fail "ca sign e$i"
done
# ... 140 live ones, and one that expired an hour ago, signed in pca.
for i in $(seq 1 140); do
	"$WEFT" ca sign --dir pca --pubkey k/node.pub --name "l$i" \
		--address "100.64.$((2 + i / 200)).$((1 + i % 200))" --out "l$i.crt" >/dev/null 2>&1 ||
		fail "ca sign l$i"
done
expect_ok "$WEFT" ca sign --dir pca --pubkey k/node.pub --name h1 --address 100.64.9.1 \
	--not-before $((now - 86400)) --not-after $((now - 3600)) --out h1.crt
expired=$(ls pca2/issued | sed 's/\.crt$//')
[ "$(echo "$expired" | wc -l)" = 60 ] || fail "pca2/issued/ does not hold the 60"

# Version 1: the 60 by serial. pca/issued/ holds none of them: all kept.
args=()
for s in $expired; do args+=(--serial "$s"); done
expect_ok "$WEFT" ca revoke --dir pca "${args[@]}"
expect_out "^kept 60 serials of certificates pca/issued/ does not hold"
expect_out "version 1, 60 serials \(60 new\)"

# Version 2: the 140 by name, h1 too (an hour expired: listed): 201 serials.
args=()
for i in $(seq 1 140); do args+=(--name "l$i"); done
expect_ok "$WEFT" ca revoke --dir pca "${args[@]}" --name h1
expect_out "^l140: 1 certificate$"
expect_out "^h1: 1 certificate$"
expect_out "version 2, 201 serials \(141 new\)"

# The records come back (a restored backup, say): version 3 leaves the 60
# out, and a serial nobody knows stays.
cp pca2/issued/*.crt pca/issued/
expect_ok "$WEFT" ca revoke --dir pca --serial 0123456789abcdef
expect_out "^left out 60 serials of certificates expired more than a day ago"
expect_out "^kept 1 serial of certificates pca/issued/ does not hold"
expect_out "version 3, 142 serials \(1 new, 60 pruned\)"
# Revoked again, long expired: not listed, and said so.
expect_ok "$WEFT" ca revoke --dir pca --name e1 --serial "$(echo "$expired" | head -1)"
expect_out "^e1: 1 certificate \(1 expired more than a day ago: not listed\)"
expect_out ": expired more than a day ago: not listed"
expect_out "version 4, 142 serials \(0 new\)"

# A node of this network takes it: it verifies, and holds what was written.
expect_ok "$WEFT" node init --dir pn --ca pca --name pn --address 100.64.9.9 \
	--listen 198.18.0.9:51820
expect_ok "$WEFT" revoke --dir pn pca/revoked.list
expect_out "wrote .*pn/revoked.list: version 4, 142 serials"
echo "revoke_prune: ok"
