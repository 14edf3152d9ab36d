#!/usr/bin/env bash
# Cryptokey routing on receive (hardening item 3): a packet is accepted only
# from the peer its source address routes to. A member whose routed subnet
# (100.64.0.0/28) covers another member's address (x, 100.64.0.2) sends v
# packets with x's address as their source: none is delivered, and the drop
# is counted. The controls: the same member's packets from its own address,
# and from an address of its subnet that nobody else holds, are delivered.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT" "$BUILD/tests/hsprobe"
PROBE=$BUILD/tests/hsprobe

bridge_create sw
for n in v x c; do ns_create "$n"; done
bridge_attach sw v 198.18.11.1/24
bridge_attach sw x 198.18.11.2/24
bridge_attach sw c 198.18.11.3/24
mesh_ca
mesh_node v 1 198.18.11.1
mesh_node x 2 198.18.11.2 198.18.11.1:51820
"$WEFT" keygen --dir "$WF_TMP/cover" >/dev/null
"$WEFT" ca sign --dir "$WF_TMP/ca" --pubkey "$WF_TMP/cover/node.pub" --name cover \
	--address 100.64.0.7 --route 100.64.0.0/28 --out "$WF_TMP/cover/node.crt" \
	2>"$WF_TMP/sign.err" >/dev/null
cat "$WF_TMP/sign.err"
grep -q "covers 100.64.0.2 of x" "$WF_TMP/sign.err" || fail "ca sign did not note the overlap"
mesh_up v
mesh_up x
wait_for 10 peer_up v x

cover() { # cover SRC: cover pings v from SRC; hsprobe's exit code
	local rc=0
	ns_exec c "$PROBE" --ca "$WF_TMP/ca/ca.crt" --cert "$WF_TMP/cover/node.crt" \
		--key "$WF_TMP/cover/node.key" --to 198.18.11.1:51820 --ping 100.64.0.1 \
		--spoof "$1" --wait 1500 >&2 || rc=$?
	echo "$rc"
}
bad() { status_field v 'd["drops"]["bad_source"]'; }

[ "$(cover 100.64.0.7)" = 0 ] || fail "control: cover's own address was not answered"
[ "$(cover 100.64.0.9)" = 0 ] || fail "control: an address of cover's subnet was not answered"
b0=$(bad)
rc=$(cover 100.64.0.2)
# Dropped and counted: then it was not delivered, and no answer can come.
wait_until 10 '[ "$(bad)" -gt "$b0" ]' || fail "the spoofed packet was not counted as bad_source"
echo "spoofing x's address: hsprobe exit $rc; bad_source $b0 -> $(bad)"
[ "$rc" = 4 ] || fail "v answered a packet from x's address sent by cover (exit $rc)"
wait_for 5 pings v 100.64.0.2 || fail "x no longer answers v"
echo "cryptokey routing: spoofed source refused"
