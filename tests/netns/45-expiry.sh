#!/usr/bin/env bash
# Certificates that end are said to end (first hour, the daemon's words): a
# node whose certificate ends in seconds warns at start, with the date, and
# logs an error the moment it ends; its peer warns of it too, and
# `weft status` shows the warning on both. A node whose certificate starts
# tomorrow (as a host whose clock is a day behind sees it) does not start,
# and says when it starts and what its clock says.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT"

ns_create a b
link_veth a 198.18.13.1/24 b 198.18.13.2/24
mesh_ca
mesh_node a 1 198.18.13.1
mesh_node b 2 198.18.13.2 198.18.13.1:51820
end=$(($(date +%s) + 6))
"$WEFT" ca sign --dir "$WF_TMP/ca" --pubkey "$WF_TMP/b/node.pub" --name b --address 100.64.0.2 \
	--address fd00::2 --not-before $(($(date +%s) - 60)) --not-after "$end" \
	--out "$WF_TMP/b/node.crt" --force >/dev/null
mesh_up a
mesh_up b
blog=$BG_LOG
alog=${WF_LOGS[0]}
wait_for 10 peer_up a b
grep -E "warning: this node's certificate expires in 0 days, at 20[0-9-]+T[0-9:]+Z: renew it" "$blog" ||
	fail "b did not warn of its certificate's end at start"
wait_for 5 grep -q "warning: the certificate of b expires in 0 days" "$alog" ||
	fail "a did not warn of b's certificate"
ns_exec a "$WEFT" status --dir "$WF_TMP/a" | tee "$WF_TMP/st"
grep -q "^warning: the certificate of b expires in 0 days" "$WF_TMP/st" ||
	fail "a's weft status does not warn"
wait_for 10 grep -q "error: this node's certificate expired at .*: peers refuse its handshakes" "$blog" ||
	fail "b did not say its certificate ended"
grep "expired at" "$blog"
echo "expiry: said at start, daily, and at the end"

mesh_node c 3 198.18.13.1
"$WEFT" ca sign --dir "$WF_TMP/ca" --pubkey "$WF_TMP/c/node.pub" --name c --address 100.64.0.3 \
	--not-before $(($(date +%s) + 86400)) --out "$WF_TMP/c/node.crt" --force >/dev/null
rc=0
out=$(ns_quiet a "$WEFT" up --dir "$WF_TMP/c" 2>&1) || rc=$?
echo "$out"
[ "$rc" = 1 ] || fail "a node whose certificate starts tomorrow exited $rc"
echo "$out" | grep -qE "node.crt: certificate is not valid yet: it starts 20[0-9-]+T[0-9:]+Z, and this host's clock says 20[0-9-]+T[0-9:]+Z \(is the clock behind\?" ||
	fail "the refusal does not give the start and this host's clock"
