#!/usr/bin/env bash
# What the daemon tells a service manager (systemd's notification protocol,
# a datagram socket standing for systemd's): READY=1 with the peer count
# once it is up; WATCHDOG=1 every half period (WATCHDOG_USEC = 2 s) with the
# peers up; RELOADING=1 and READY=1 around `weft reload`; and no pings while
# its worker is stopped with traffic waiting for it (the thread alone is
# stopped with ptrace, as a hung thread would be: the rest of the daemon
# runs on), then pings again once it runs; STOPPING=1 at SIGTERM.
#
# Positive control: before the worker is stopped, the pings come every
# period; the gap while it is stopped is what the test looks for.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT"
need_cmd python3 ping

mesh_pair
echo "workers = 1" >>"$WF_TMP/a/weft.conf" # (all of b's traffic on the worker stopped below)

# The service manager's socket: each message one line, '\n' as '|', after
# the monotonic time it came at.
sock=$WF_TMP/notify.sock
said=$WF_TMP/notify.log
: >"$said"
bg a python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as f:
    while True:
        m = s.recv(4096).decode(errors="replace")
        f.write("%.3f %s\n" % (time.monotonic(), m.replace("\n", "|")))
        f.flush()' "$sock" "$said"
wait_for 5 test -S "$sock" || fail "the listener did not bind $sock"

export NOTIFY_SOCKET=$sock WATCHDOG_USEC=2000000
mesh_up a
unset NOTIFY_SOCKET WATCHDOG_USEC
mesh_up b
a_pid=${MESH_PID[a]}
a_log=${WF_DAEMON_LOG[$a_pid]}

wait_for 10 grep -q " READY=1|STATUS=[01] of [01] peers up$" "$said" || fail "no READY=1 with a STATUS"
wait_for 15 peer_up a b
pings() { grep -c " WATCHDOG=1|STATUS=1 of 1 peers up$" "$said"; }
two_pings() { [ "$(pings)" -ge 2 ]; }
wait_for 10 two_pings || fail "no watchdog pings with the peer up"

# A reload: RELOADING=1 (with the monotonic time, as Type=notify-reload
# wants), then READY=1.
n=$(wc -l <"$said")
ns_exec a "$WEFT" reload --dir "$WF_TMP/a" || fail "weft reload"
reloaded() { tail -n +"$((n + 1))" "$said" | grep -A1 " RELOADING=1|MONOTONIC_USEC=[0-9]*$" | grep -q " READY=1|STATUS="; }
wait_for 5 reloaded || fail "no RELOADING=1 then READY=1 around the reload"

# The worker stopped, b pinging a (work waiting for it): no pings, and the
# daemon says why; resumed, pings again.
tid=
for t in /proc/"$a_pid"/task/*; do
	[ "$(cat "$t/comm")" = weft-w0 ] && tid=${t##*/}
done
[ -n "$tid" ] || fail "no thread named weft-w0 in $a_pid"
bg b ping -q -i 0.05 -c 2000 100.64.0.1
bg a python3 -c '
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
PTRACE_SEIZE, PTRACE_INTERRUPT = 0x4206, 0x4207
tid = int(sys.argv[1])
for req in (PTRACE_SEIZE, PTRACE_INTERRUPT):
    if libc.ptrace(req, tid, 0, 0) != 0:
        sys.exit("ptrace: " + os.strerror(ctypes.get_errno()))
print("stopped", tid, flush=True)
time.sleep(120)' "$tid"
tracer=$BG_PID
tracer_log=$BG_LOG
wait_for 5 grep -q "^stopped $tid" "$tracer_log" || fail "could not stop the worker: $(cat "$tracer_log")"
wait_for 10 grep -q "worker 0 has made no progress" "$a_log" || fail "the daemon did not notice its worker"
before=$(pings)
kill "$tracer"
bg_wait "$tracer" || true
more_pings() { [ "$(pings)" -gt "$before" ]; }
wait_for 10 more_pings || fail "no pings after the worker ran again"
# The gap: while the worker was stopped, at least one ping was held back
# (a period is 1 s: a gap of 1.5 s or more is one held back).
gap=$(grep " WATCHDOG=1|" "$said" | awk 'NR > 1 && $1 - t > g { g = $1 - t } { t = $1 } END { printf "%.1f", g }')
echo "longest gap between pings: $gap s"
awk -v g="$gap" 'BEGIN { exit !(g >= 1.5) }' || fail "no ping was held back while the worker was stopped"

mesh_down a
wait_for 5 grep -q " STOPPING=1$" "$said" || fail "no STOPPING=1 at SIGTERM"
echo "ok: READY, WATCHDOG, RELOADING, a stuck worker noticed, STOPPING"
