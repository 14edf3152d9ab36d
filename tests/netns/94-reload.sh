#!/usr/bin/env bash
# weft reload: a renewed certificate reaches the peer with no session reset
# while a TCP stream runs; a weft.conf that does not parse, a certificate
# that is not a renewal, and a renewal that the revocation list names change
# nothing (the error names the file; the list is not taken either) and the
# daemon runs on; a key that needs a restart is reported as such; SIGHUP
# reloads too.
#
# Positive control: the peer's view of b's serial changes only after the
# reload (it is checked unchanged right after the renewal is written).
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT"
need_cmd python3

XFER=$WF_ROOT/tests/netns/tcpxfer.py
ns_create a b
link_veth a 198.18.7.1/24 b 198.18.7.2/24
mesh_ca
mesh_node a 1 198.18.7.1
mesh_node b 2 198.18.7.2 198.18.7.1:51820
mesh_up a
mesh_up b
wait_for 10 pings a 100.64.0.2 || fail "a cannot reach b"

serial_at_a() { status_field a 'next(p["serial"] for p in d["peers"] if p["name"] == "b")'; }
probes() { status_field b 'd["node"]["gossip"]["probes"]'; }
ticks_pass() { # ticks_pass: b sent two more gossip probes, so a whole tick of its timers ran since
	local p0
	p0=$(probes)
	wait_until 10 '[ "$(probes)" -ge $((p0 + 2)) ]' || fail "b's timers do not run"
}
serial_of() { "$WEFT" cert show --json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["serial"])'; }
a_sees() { [ "$(serial_at_a)" = "$1" ]; }

bg b python3 "$XFER" recv 100.64.0.2 5001
recv_pid=$BG_PID recv_log=$BG_LOG
wait_for 5 grep -q listening "$recv_log"
TCPXFER_RATE=1048576 bg a python3 "$XFER" send 100.64.0.2 5001 20
send_pid=$BG_PID send_log=$BG_LOG

# A renewal, written: nothing changes until the reload.
s0=$(serial_at_a)
"$WEFT" ca renew --dir "$WF_TMP/ca" --cert "$WF_TMP/b/node.crt" --out "$WF_TMP/b/node.crt" >/dev/null ||
	fail "ca renew"
s1=$(serial_of "$WF_TMP/b/node.crt")
[ "$s1" != "$s0" ] || fail "the renewal has the old serial"
ticks_pass
[ "$(status_field b 'd["node"]["serial"]')" = "$s0" ] || fail "b took its new certificate before any reload"
a_sees "$s0" || fail "a took b's new certificate before any reload"
hc0=$(status_field b 'd["handshakes"]["completed"]')
out=$(ns_quiet b "$WEFT" reload --dir "$WF_TMP/b") || fail "weft reload failed: $out"
echo "$out"
echo "$out" | grep -q "certificate renewed" || fail "reload did not report the renewal"
wait_for 10 a_sees "$s1" || fail "a still holds b's old certificate ($(serial_at_a), want $s1)"
echo "a holds b's renewed certificate"

# A weft.conf that does not parse: refused with its line, nothing changed.
cp "$WF_TMP/b/weft.conf" "$WF_TMP/b/weft.conf.good"
echo "bogus = 1" >>"$WF_TMP/b/weft.conf"
if out=$(ns_quiet b "$WEFT" reload --dir "$WF_TMP/b" 2>&1); then
	fail "reload took a bad weft.conf"
fi
echo "$out"
echo "$out" | grep -q "weft.conf:[0-9]*: .*bogus" || fail "the error does not name weft.conf and its line"
cp "$WF_TMP/b/weft.conf.good" "$WF_TMP/b/weft.conf"
pings a 100.64.0.2 || fail "b stopped answering after a refused reload"

# A certificate that is not a renewal (another address): refused.
cp "$WF_TMP/b/node.crt" "$WF_TMP/b/node.crt.good"
"$WEFT" ca sign --dir "$WF_TMP/ca" --pubkey "$WF_TMP/b/node.pub" --name b --address 100.64.0.9 \
	--out "$WF_TMP/b/node.crt" --force >/dev/null || fail "ca sign"
if out=$(ns_quiet b "$WEFT" reload --dir "$WF_TMP/b" 2>&1); then
	fail "reload took a certificate with other addresses"
fi
echo "$out"
echo "$out" | grep -q "node.crt: not a renewal" || fail "the error does not say why"
cp "$WF_TMP/b/node.crt.good" "$WF_TMP/b/node.crt"
a_sees "$s1" || fail "a refused reload changed b's certificate"

# All or nothing: a renewal that the newer revocation list in NODEDIR names
# is refused, and the list, which by itself would be taken, is not taken
# either. With the running certificate back, a reload takes the list.
list_version() { status_field b 'd["node"]["revocation_list_version"]'; }
"$WEFT" ca renew --dir "$WF_TMP/ca" --cert "$WF_TMP/b/node.crt" --out "$WF_TMP/b/node.crt" >/dev/null ||
	fail "ca renew"
s3=$(serial_of "$WF_TMP/b/node.crt")
"$WEFT" ca revoke --dir "$WF_TMP/ca" --serial "$s3" >/dev/null || fail "ca revoke"
cp "$WF_TMP/ca/revoked.list" "$WF_TMP/b/revoked.list" # (weft revoke would tell the daemon)
[ "$(list_version)" = 0 ] || fail "b holds a revocation list before any reload"
if out=$(ns_quiet b "$WEFT" reload --dir "$WF_TMP/b" 2>&1); then
	fail "reload took a renewal the revocation list names"
fi
echo "$out"
echo "$out" | grep -q "node.crt: revoked (serial $s3" || fail "the error does not say why"
[ "$(list_version)" = 0 ] || fail "a refused reload took revocation list version $(list_version)"
a_sees "$s1" || fail "a refused reload changed b's certificate"
cp "$WF_TMP/b/node.crt.good" "$WF_TMP/b/node.crt"
out=$(ns_quiet b "$WEFT" reload --dir "$WF_TMP/b") || fail "reload with the list alone failed: $out"
echo "$out" | grep -q "revocation list version 1, 1 serial" || fail "the list was not reported: $out"
[ "$(list_version)" = 1 ] || fail "b does not hold the list after the reload"

# A key that needs a restart: reported, the rest applied. Nothing else
# changed, so no handshake follows (the bootstrap host, which answered long
# ago, is not called again). The renewal's handshake is over: b completed it.
wait_until 10 '[ "$(status_field b "d[\"handshakes\"][\"completed\"]")" -gt "$hc0" ]' ||
	fail "b never completed the handshake that hands a its renewed certificate"
hs0=$(status_field b 'd["handshakes"]["initiated"]')
echo "mtu = 1400" >>"$WF_TMP/b/weft.conf"
out=$(ns_quiet b "$WEFT" reload --dir "$WF_TMP/b") || fail "reload with a new mtu failed: $out"
echo "$out" | grep -q "at the next restart: mtu" || fail "the mtu change was not reported: $out"
echo "$out" | grep -q "applied: nothing changed in weft.conf" || fail "the reload claims to have applied something: $out"
[ "$(status_field b 'd["node"]["restart_pending"]')" = mtu ] || fail "status does not show the mtu waiting for a restart"
ns_quiet b "$WEFT" status --dir "$WF_TMP/b" | grep -q "^weft.conf changed, waiting for a restart: mtu$" ||
	fail "weft status does not say mtu waits for a restart"
ticks_pass
hs1=$(status_field b 'd["handshakes"]["initiated"]')
[ "$hs1" = "$hs0" ] || fail "a reload that changed nothing live started $((hs1 - hs0)) handshakes"

# SIGHUP: another renewal.
"$WEFT" ca renew --dir "$WF_TMP/ca" --cert "$WF_TMP/b/node.crt" --out "$WF_TMP/b/node.crt" >/dev/null
s2=$(serial_of "$WF_TMP/b/node.crt")
kill -HUP "${MESH_PID[b]}"
wait_for 10 a_sees "$s2" || fail "SIGHUP did not hand a the renewed certificate"

# log-format = json, taken by a reload: the lines after it are JSON objects
# (time, level, msg), the answer's line among them.
echo "log-format = json" >>"$WF_TMP/b/weft.conf"
out=$(ns_quiet b "$WEFT" reload --dir "$WF_TMP/b") || fail "reload to JSON logs failed: $out"
echo "$out" | grep -q "applied: log-format;" || fail "the reload does not say it applied log-format: $out"
blog=${WF_DAEMON_LOG[${MESH_PID[b]}]}
wait_for 10 grep -q '"msg":"reloaded' "$blog" || fail "no JSON line after the reload"
python3 - "$blog" <<'PY' || fail "the log after the reload is not JSON lines"
import json, sys
lines = open(sys.argv[1], errors="replace").read().splitlines()
first = max(i for i, l in enumerate(lines) if "reloaded" in l and l.startswith("{"))
for l in lines[first:]:
    o = json.loads(l)
    assert set(o) == {"time", "level", "msg"}, o
    assert o["level"] in ("error", "warning", "info", "debug"), o
print("JSON lines from the reload on:", len(lines) - first, "; e.g.", lines[first][:100])
PY

bg_wait "$send_pid" || fail "the sender failed"
wait "$recv_pid" || fail "the receiver failed"
sent=$(tail -n 1 "$send_log") got=$(tail -n 1 "$recv_log")
echo "sent:     $sent"
echo "received: $got"
[ "$sent" = "$got" ] || fail "the stream was corrupted or cut"
for n in a b; do
	for why in decrypt unknown_index; do
		c=$(status_field $n "d['drops'].get('$why', 0)")
		[ "$c" = 0 ] || fail "$n dropped $c packets as $why"
	done
done
echo "reload: renewals taken twice without a reset; bad files refused"
