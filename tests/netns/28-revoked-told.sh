#!/usr/bin/env bash
# The revoked host is told: the CA revokes b and a takes the list. b's
# session with a ends, b calls a again, and a, refusing its initiation for
# the list, answers with the list (a notice, no longer than the
# initiation). Within seconds b's log says its certificate is revoked, by
# which list version, and what to do; its status says so (node.revoked, a
# line in the table); it keeps the list (weft check says so) and initiates
# no more handshakes. Renewed by the CA (weft ca renew, weft reload), it is
# back.
#
# Positive controls: before the revocation b is up with a and its status
# has no revoked line; a counts the notices it sent.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT"
need_cmd python3 ping

mesh_pair
mesh_up a
mesh_up b
wait_for 10 peer_up b a || fail "b never came up with a"
wait_for 5 pings b 100.64.0.1 || fail "b cannot ping a"
[ "$(status_field b 'd["node"]["revoked"]')" = None ] || fail "b says it is revoked before it is"
ns_quiet b "$WEFT" status --dir "$WF_TMP/b" | grep -q "^REVOKED" && fail "b's table says revoked before it is"
blog=${WF_DAEMON_LOG[${MESH_PID[b]}]}
serial=$(status_field b 'd["node"]["serial"]')
echo "b is up with a; its certificate is serial $serial"

"$WEFT" ca revoke --dir "$WF_TMP/ca" --name b >/dev/null || fail "ca revoke"
t0=$SECONDS
ns_exec a "$WEFT" revoke --dir "$WF_TMP/a" "$WF_TMP/ca/revoked.list" || fail "weft revoke"

wait_for 30 grep -q "this node's certificate (serial $serial) is revoked by the CA's list version 1, issued [0-9T:-]*Z: ask the CA for a new certificate" "$blog" ||
	fail "b's log does not say it is revoked"
echo "b told it is revoked after $((SECONDS - t0)) s"
[ "$(grep -c "this node's certificate (serial $serial) is revoked" "$blog")" = 1 ] ||
	fail "b said it more than once"
[ "$(status_field b 'd["node"]["revoked"]["list_version"]')" = 1 ] || fail "b's status has no node.revoked"
[ "$(status_field b 'd["node"]["revoked"]["serial"]')" = "$serial" ] || fail "node.revoked names another serial"
ns_quiet b "$WEFT" status --dir "$WF_TMP/b" |
	grep "^REVOKED: this node's certificate (serial $serial) is on the CA's revocation list (version 1, issued .*): ask the CA for a new certificate$" ||
	fail "b's table does not say it is revoked"
[ "$(status_field a 'd["handshakes"]["revoked_told"]')" -ge 1 ] || fail "a counted no notice"
cmp "$WF_TMP/b/revoked.list" "$WF_TMP/ca/revoked.list" || fail "b did not keep the CA's list"

# It stops calling: no initiation of b's for three handshake timeouts.
hs0=$(status_field b 'd["handshakes"]["initiated"]')
initiated_more() { [ "$(status_field b 'd["handshakes"]["initiated"]')" -gt "$hs0" ]; }
! wait_for 3 initiated_more || fail "b still initiates handshakes"

rc=0
ns_quiet b "$WEFT" check --dir "$WF_TMP/b" >"$WF_TMP/check.out" 2>&1 || rc=$?
cat "$WF_TMP/check.out"
[ "$rc" = 1 ] && grep -q "revoked.list: this node's certificate (serial $serial) is revoked (list version 1, issued .*): the mesh refuses it; ask the CA for a new certificate" \
	"$WF_TMP/check.out" || fail "weft check does not say b is revoked"

# As it says: the CA renews b's certificate (a new serial), and a reload
# brings b back.
"$WEFT" ca renew --dir "$WF_TMP/ca" --cert "$WF_TMP/b/node.crt" --out "$WF_TMP/b/node.crt" >/dev/null ||
	fail "ca renew"
ns_exec b "$WEFT" reload --dir "$WF_TMP/b" || fail "reload"
wait_for 15 peer_up b a || fail "b, renewed, is not up with a again"
[ "$(status_field b 'd["node"]["revoked"]')" = None ] || fail "b, renewed, still says it is revoked"
grep -q "is not on the revocation list: handshakes are initiated again" "$blog" ||
	fail "b's log does not say it calls again"
wait_for 5 pings b 100.64.0.1 || fail "b, renewed, cannot ping a"
echo "revoked host told: OK"
