#!/usr/bin/env bash
# The data path's choice on this machine's own kernel. What the kernel can do
# is asked first, apart from the daemon (tests/tools/xfrmctl probe: an SA
# added and deleted), and the test expects what follows from it; on the
# machines weft is built on the kernel has no ESP, so:
#   1. datapath = auto (the default): the daemons run the userspace path, the
#      log and `weft status` (text and JSON) say so and give the kernel's
#      reason; the pair pings
#   2. datapath = kernel: the daemon refuses to start, says why in one line
#      naming the setting, and leaves no interface behind
#   3. datapath = userspace: the reason is the setting
#   4. weft reload to datapath = kernel is refused, naming weft.conf and the
#      kernel's reason, and changes nothing (the path, the session, the
#      revocation list a good reload would have taken with it); a reload
#      back to auto is taken and says which path runs
# On a kernel with ESP (a positive control this test cannot have here:
# tests/vm/30-kernel-path runs the kernel path in a guest), auto must choose
# the kernel.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT" "$BUILD/tests/xfrmctl"
need_cmd python3 ping

ns_create a b
link_veth a 198.18.19.1/24 b 198.18.19.2/24
mesh_ca
mesh_node a 1 198.18.19.1
mesh_node b 2 198.18.19.2 198.18.19.1:51820

# What the kernel can do, asked in a's namespace with weft's if_id there.
probe=$(ns_quiet a "$BUILD/tests/xfrmctl" probe gcm 4 0x7766ca6c 2>&1 || true)
echo "the kernel: $probe"
if [ "$probe" = ok ]; then
	want=kernel
else
	want=userspace
	why=${probe#no: }
fi

# --- 1. auto ---------------------------------------------------------------------
mesh_up a
mesh_up b
wait_for 20 peer_up a b
ns_exec a ping -c 2 -i 0.2 -W 2 100.64.0.2 >/dev/null || fail "1: a cannot ping b"
got=$(status_field a 'd["node"]["datapath"]["path"]')
reason=$(status_field a 'd["node"]["datapath"]["reason"]')
echo "a's status: path $got, reason '$reason'"
[ "$got" = "$want" ] || fail "1: datapath auto chose $got on a kernel that says '$probe'"
if [ "$want" = userspace ]; then
	[ "$reason" = "$why" ] || fail "1: status gives '$reason' as the reason, the kernel '$why'"
	grep -qF "data path: userspace (the kernel path cannot run: $why)" \
		"${WF_DAEMON_LOG[${MESH_PID[a]}]}" || fail "1: the log does not say why"
	text=$(ns_quiet a "$WEFT" status --dir "$WF_TMP/a")
	grep -qF "data path: userspace ($why)" <<<"$text" || fail "1: weft status does not say why"
	[ "$(status_field a "d['peers'][0]['path']")" = userspace ] || fail "1: b's path is not userspace"
fi

# --- 2. kernel -------------------------------------------------------------------
mesh_down a
echo "datapath = kernel" >>"$WF_TMP/a/weft.conf"
rc=0
ns_quiet a "$WEFT" up --dir "$WF_TMP/a" 2>"$WF_TMP/kernel.err" || rc=$?
cat "$WF_TMP/kernel.err"
if [ "$want" = userspace ]; then
	[ "$rc" = 1 ] || fail "2: datapath = kernel started (exit $rc) on a kernel without ESP"
	# (Each line after its UTC time, when not under systemd.)
	sed -E 's/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z //' "$WF_TMP/kernel.err" |
		grep -qxF "weft: error: datapath = kernel, but the kernel path cannot run: $why" ||
		fail "2: the refusal does not say why in one line"
	! ns_quiet a ip link show weft0 2>/dev/null || fail "2: the refused start left weft0"
	! ns_quiet a ip link show weft0-x 2>/dev/null || fail "2: the refused start left weft0-x"
fi

# --- 3. userspace ------------------------------------------------------------------
sed -i 's/^datapath = kernel$/datapath = userspace/' "$WF_TMP/a/weft.conf"
mesh_up a
wait_for 20 peer_up a b
[ "$(status_field a 'd["node"]["datapath"]["reason"]')" = "datapath = userspace in weft.conf" ] ||
	fail "3: the reason is not the setting"
ns_exec a ping -c 2 -i 0.2 -W 2 100.64.0.2 >/dev/null || fail "3: a cannot ping b"

# --- 4. reload -----------------------------------------------------------------------
if [ "$want" = userspace ]; then
	"$WEFT" ca revoke --dir "$WF_TMP/ca" --serial 0123456789abcdef >/dev/null || fail "4: ca revoke"
	cp "$WF_TMP/ca/revoked.list" "$WF_TMP/a/revoked.list"
	sed -i 's/^datapath = userspace$/datapath = kernel/' "$WF_TMP/a/weft.conf"
	hs0=$(status_field a 'd["handshakes"]["initiated"]')
	rc=0
	out=$(ns_quiet a "$WEFT" reload --dir "$WF_TMP/a" 2>&1) || rc=$?
	echo "reload to kernel: $out"
	[ "$rc" = 1 ] || fail "4: a reload to datapath = kernel was taken (exit $rc)"
	grep -qF "$WF_TMP/a/weft.conf: datapath = kernel, but the kernel path cannot run: $why" \
		<<<"$out" || fail "4: the refusal does not name the file and the reason"
	[ "$(status_field a 'd["node"]["datapath"]["reason"]')" = "datapath = userspace in weft.conf" ] ||
		fail "4: the refused reload changed the data path"
	[ "$(status_field a 'd["node"]["revocation_list_version"]')" = 0 ] ||
		fail "4: the refused reload took the revocation list"
	[ "$(status_field a 'd["handshakes"]["initiated"]')" = "$hs0" ] ||
		fail "4: the refused reload made sessions again"
	sed -i '/^datapath = kernel$/d' "$WF_TMP/a/weft.conf"
	out=$(ns_quiet a "$WEFT" reload --dir "$WF_TMP/a" 2>&1) || fail "4: reload to auto failed: $out"
	echo "reload to auto: $out"
	grep -qF "data path: userspace (the kernel path cannot run: $why)" <<<"$out" ||
		fail "4: the reload does not say which path runs"
	grep -q "every session made again" <<<"$out" && fail "4: no path changed, but sessions were made again"
	[ "$(status_field a 'd["node"]["revocation_list_version"]')" = 1 ] ||
		fail "4: the good reload did not take the list (the control)"
	wait_for 20 peer_up a b
	ns_exec a ping -c 2 -i 0.2 -W 2 100.64.0.2 >/dev/null || fail "4: a cannot ping b after the reload"
fi
echo "ok"
