#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The TUN device and its rtnetlink configuration (src/daemon/tun.c, netlink.c),
# driven by $BUILD/tests/tunctl_test and checked against `ip -j`:
#   MTU, up state, IPv4 and IPv6 addresses (no DAD), routes with MTU metrics;
#   EEXIST/ESRCH/EADDRNOTAVAIL from add/del; the underlay MTU lookup;
#   a second open of the same TUN fails with EBUSY, a non-TUN name with EEXIST;
#   the device disappears when the program exits (stdin closed, or SIGTERM).
# shellcheck source=tests/netns/lib.sh.inc
. "$(dirname "$0")/lib.sh.inc"

need_netns
need_cmd python3 mkfifo
TUNCTL=$BUILD/tests/tunctl_test
need_bin "$TUNCTL"

# jq-like checks without jq: check NS 'python boolean expression' ip ARGS...
# The expression sees the parsed `ip -j ARGS` output as j.
check() {
	local ns=$1 expr=$2 out
	shift 2
	out=$(ns_quiet "$ns" ip -j "$@")
	echo "[$ns] check ip $*: $expr"
	python3 -c 'import json, sys
j = json.loads(sys.argv[2])
if not eval("(" + sys.argv[1] + ")"):
    sys.exit("check failed; ip said: " + json.dumps(j, indent=1))' "$expr" "$out"
}

# Send one command to the tunctl_test reading $fifo, and compare its answer.
ctl_expect() { # ctl_expect EXPECTED COMMAND...
	local want=$1 n got
	shift
	n=$(wc -l <"$ctl_log")
	echo "[a] ctl: $* (expect $want)"
	echo "$*" >&3
	wait_for 5 lines_gt "$ctl_log" "$n"
	got=$(sed -n "$((n + 1))p" "$ctl_log")
	[ "$got" = "$want" ] || fail "'$*' answered '$got', expected '$want'"
}

lines_gt() { # lines_gt FILE N: FILE has more than N lines
	[ "$(wc -l <"$1")" -gt "$2" ]
}

gone() { # gone NS IFNAME: the interface no longer exists
	! ns_quiet "$1" ip link show "$2" >/dev/null 2>&1
}

expect_out() { # expect_out EXPECTED NS CMD...: run CMD in NS, compare its stdout
	local want=$1 ns=$2 got
	shift 2
	echo "[$ns] $* (expect $want)"
	got=$(ns_quiet "$ns" "$@" 2>/dev/null | tail -n 1) || true
	[ "$got" = "$want" ] || fail "'$*' printed '$got', expected '$want'"
}

ns_create a b
link_veth a 198.18.0.1/24 b 198.18.0.2/24 9000

# --- create and configure ---------------------------------------------------
fifo=$WF_TMP/ctl
mkfifo "$fifo"
BG_STDIN=$fifo bg a "$TUNCTL" wft0 1420 100.64.0.1/10 fd00:77::1/64 \
	100.96.0.0/16@1300 fd00:78::/64
tun_pid=$BG_PID ctl_log=$BG_LOG
exec 3>"$fifo" # the program runs until this closes
wait_for 5 grep -qx ready "$ctl_log"

check a 'j[0]["mtu"] == 1420 and "UP" in j[0]["flags"]' link show wft0
check a 'j[0]["linkinfo"]["info_kind"] == "tun" and
	j[0]["linkinfo"]["info_data"] == dict(j[0]["linkinfo"]["info_data"], type="tun",
		pi=False, vnet_hdr=False, multi_queue=False, persist=False)' -d link show wft0
check a 'any(a["local"] == "100.64.0.1" and a["prefixlen"] == 10 for a in j[0]["addr_info"])' \
	-4 addr show dev wft0
check a 'any(a["local"] == "fd00:77::1" and a["prefixlen"] == 64 and not a.get("tentative")
	for a in j[0]["addr_info"])' -6 addr show dev wft0
check a 'any(r["dst"] == "100.64.0.0/10" and r["protocol"] == "kernel" for r in j)' \
	-4 route show dev wft0
check a 'any(r["dst"] == "100.96.0.0/16" and r["protocol"] == "static" and r["scope"] == "link"
	and r.get("metrics") == [{"mtu": 1300}] for r in j)' -4 route show dev wft0
check a 'any(r["dst"] == "fd00:78::/64" and r["protocol"] == "static" and "metrics" not in r
	for r in j)' -6 route show dev wft0
ctl_expect 1420 link-mtu

# --- add/del errors are distinct ------------------------------------------
ctl_expect "err EEXIST" addr-add 100.64.0.1/10
ctl_expect "err EEXIST" route-add 100.96.0.0/16
ctl_expect ok route-del 100.96.0.0/16
check a 'not any(r["dst"] == "100.96.0.0/16" for r in j)' -4 route show dev wft0
ctl_expect "err ESRCH" route-del 100.96.0.0/16
ctl_expect ok route-add 100.96.0.0/16@1300
ctl_expect ok addr-del fd00:77::1/64
check a 'not any(a["local"] == "fd00:77::1" for a in j[0]["addr_info"])' -6 addr show dev wft0
ctl_expect "err EADDRNOTAVAIL" addr-del fd00:77::1/64
ctl_expect ok addr-add fd00:77::1/64
ctl_expect "err EINVAL" addr-add 100.64.0.1/33

# --- MTU towards a destination ---------------------------------------------
expect_out 1300 a "$TUNCTL" --mtu-to 100.96.1.1 # the route's own MTU
expect_out 1420 a "$TUNCTL" --mtu-to 100.64.9.9 # the device's
expect_out 1420 a "$TUNCTL" --mtu-to fd00:78::9
expect_out 9000 a "$TUNCTL" --mtu-to 198.18.0.2 # the underlay veth
expect_out "err ENETUNREACH" a "$TUNCTL" --mtu-to 198.19.255.1
expect_out 9000 a "$TUNCTL" --link-mtu to-b

# --- a second daemon for the same interface is refused ---------------------
out=$(ns_exec a "$TUNCTL" --open wft0 2>&1) && fail "a second open of wft0 succeeded"
echo "$out"
[[ $out == *"err EBUSY"* && $out == *"is in use by another process"* ]] ||
	fail "no clear error for a TUN in use"
expect_out "second open: err EBUSY" a "$TUNCTL" --busy wft1
wait_for 5 gone a wft1
# A name taken by something else: a veth, a TAP.
expect_out "err EEXIST" b "$TUNCTL" --open to-a
ns_exec b ip tuntap add mode tap name wftap0
expect_out "err EEXIST" b "$TUNCTL" --open wftap0
# A persistent TUN made by the administrator is attached to, and stays.
ns_exec b ip tuntap add mode tun name wfptun0
expect_out "opened wfptun0" b "$TUNCTL" --open wfptun0
ns_exec b ip -br link show wfptun0

# --- closing the fd removes the device --------------------------------------
exec 3>&- # end of input: the program closes its TUN fd and exits
wait_for 5 gone a wft0
rc=0
wait "$tun_pid" || rc=$?
[ $rc = 0 ] || fail "tunctl_test exited with status $rc"
check a 'not any(r.get("dst") == "100.96.0.0/16" for r in j)' -4 route show

# The same on SIGTERM.
mkfifo "$WF_TMP/ctl2"
BG_STDIN=$WF_TMP/ctl2 bg a "$TUNCTL" wft2 1280 - fd00:77::2/64
exec 4>"$WF_TMP/ctl2"
wait_for 5 grep -qx ready "$BG_LOG"
check a 'j[0]["mtu"] == 1280' link show wft2
echo "[a] kill -TERM $BG_PID"
kill -TERM "$BG_PID"
rc=0
wait "$BG_PID" || rc=$?
[ $rc = 0 ] || fail "tunctl_test exited with status $rc on SIGTERM"
wait_for 5 gone a wft2
exec 4>&-
echo "all TUN and netlink checks passed"
