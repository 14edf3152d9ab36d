#!/usr/bin/env bash
# weft@.service under a real systemd: systemd 252 as PID 1 of a container
# (systemd-nspawn --volatile=yes: this machine's /usr read-only, a fresh
# /etc, its own network namespace), running the real `weft up` from
# dist/weft@.service as shipped (only the binary's path moved). Numbered
# checks, run inside by the unit weft-test.service, which ends the container
# with `systemctl exit STATUS`:
#   1 the unit loads (systemd-analyze verify)
#   2 start returns once READY=1 came (Type=notify): active, STATUS= set,
#     the interface exists at that moment, weft status answers
#   3 the journal took each line's priority from its <N> prefix
#   4 reload runs weft check then weft reload; a weft.conf error fails the
#     reload with check's line in the journal, and the daemon runs on
#   5 the watchdog: a frozen daemon (SIGSTOP) is killed and restarted
#   6 stop: inactive, interface gone
#   7 a typo'd instance fails its AssertPathExists
#   8 systemd-analyze security's exposure score, at most 2.5
# Needs root and systemd-nspawn (Debian: systemd-container); skipped without.
. "$(dirname "$0")/lib.sh.inc"
BUILD=${BUILD:-build}
sd_need
[ -x "$ROOT/$BUILD/weft" ] || fail "no $ROOT/$BUILD/weft"
sd_scratch systemd
mkdir -p "$T/etc-weft" "$T/bin"
cp "$ROOT/$BUILD/weft" "$T/bin/weft"

# The unit as shipped, the binary where the container has it.
sed 's|/usr/local/bin/weft|/opt/weft/weft|g' "$ROOT/dist/weft@.service" >"$T/units/weft@.service"
# For check 5 only: a short watchdog, and no long wait for the abort.
mkdir -p "$T/units/weft@wd.service.d"
printf '[Service]\nWatchdogSec=3s\nTimeoutAbortSec=5s\nRestartSec=1s\n' \
	>"$T/units/weft@wd.service.d/test.conf"
# A sanitized build (the suite's sanitizer pass): LeakSanitizer stops the
# world with ptrace, which the unit's sandbox forbids, so it would end every
# weft process under the unit with a fatal error; leaks are the namespace
# tests' to find, under the same sanitizers.
case $BUILD in
*san*)
	mkdir -p "$T/units/weft@.service.d"
	printf '[Service]\nEnvironment=ASAN_OPTIONS=detect_leaks=0\n' \
		>"$T/units/weft@.service.d/sanitizer.conf"
	;;
esac
sd_test_unit weft-test

# Two node directories (t1, wd) of one CA, listening on the container's own
# underlay address.
W=$T/bin/weft
"$W" ca init --dir "$T/ca" --network sys --prefix 100.64.0.0/10 >/dev/null || exit 1
i=0
for n in t1 wd; do
	i=$((i + 1))
	"$W" node init --dir "$T/etc-weft/$n" --ca "$T/ca" --name "$n" --address "100.64.0.$i" \
		--listen 198.18.0.1:51820 >/dev/null || exit 1
done
chmod 0700 "$T/etc-weft"

cat >"$T/drive/inside.sh" <<'INSIDE'
. /drive/inside.sh.inc
underlay

step 1 unit loads
systemd-analyze verify --man=no /etc/systemd/system/weft@.service || fail "verify"
systemd-analyze verify --man=no weft@t1.service || fail "verify weft@t1"

step 2 start waits for READY
systemctl start weft@t1 || fail "start"
ip link show weft0 >/dev/null || fail "weft0 not there when start returned"
[ "$(prop weft@t1 ActiveState)/$(prop weft@t1 SubState)" = active/running ] || fail "not active"
echo "StatusText=$(prop weft@t1 StatusText) WatchdogUSec=$(prop weft@t1 WatchdogUSec)"
[ "$(prop weft@t1 StatusText)" = "0 of 0 peers up" ] || fail "STATUS"
[ "$(prop weft@t1 WatchdogUSec)" = 30s ] || fail "watchdog period"
/opt/weft/weft status --dir /etc/weft/t1 || fail "status"
# Not a check: ProtectKernelTunables= makes /proc/sys read-only, so the
# daemon's accept_local write fails (phase 2 sets it over rtnetlink).
echo "accept_local on weft0: $(cat /proc/sys/net/ipv4/conf/weft0/accept_local)"

step 3 journal priorities
journalctl -u weft@t1 -o export --no-pager >/tmp/export
grep -a -A20 "^MESSAGE=weft: info: node t1" /tmp/export | grep -q "^PRIORITY=6" ||
	grep -a -B20 "^MESSAGE=weft: info: node t1" /tmp/export | grep -q "^PRIORITY=6" ||
	fail "the start line's priority"
grep -aq "^MESSAGE=<" /tmp/export && fail "a <N> prefix reached the journal"
journalctl -u weft@t1 -p info --no-pager | grep -q "weft: info: node t1" || fail "-p info"

step 4 reload: check, then reload
systemctl reload weft@t1 || fail "reload"
journalctl -u weft@t1 --no-pager | grep -q "reload" || fail "no reload in the journal"
cp /etc/weft/t1/weft.conf /tmp/good.conf
echo "listn = 1" >>/etc/weft/t1/weft.conf
systemctl reload weft@t1 && fail "a bad weft.conf reloaded"
journalctl -u weft@t1 --no-pager | grep -q "weft: check: error: /etc/weft/t1/weft.conf:10: unknown key 'listn'" ||
	fail "check's line is not in the journal"
[ "$(prop weft@t1 ActiveState)" = active ] || fail "the daemon did not run on"
cp /tmp/good.conf /etc/weft/t1/weft.conf
systemctl reload weft@t1 || fail "reload after the fix"

step 5 watchdog
systemctl stop weft@t1
systemctl start weft@wd || fail "start wd"
main=$(prop weft@wd MainPID)
kill -STOP "$main"
wait_for 60 sh -c '[ "$(systemctl show -p NRestarts --value weft@wd)" -ge 1 ]' || fail "no restart"
journalctl -u weft@wd --no-pager | grep -q "Watchdog timeout" || fail "not the watchdog"
wait_for 60 sh -c '[ "$(systemctl show -p ActiveState --value weft@wd)" = active ]' || fail "not back"
[ "$(prop weft@wd MainPID)" != "$main" ] || fail "the same process"
systemctl stop weft@wd

step 6 stop
systemctl start weft@t1 || fail "start again"
systemctl stop weft@t1
[ "$(prop weft@t1 ActiveState)" = inactive ] || fail "not inactive"
ip link show weft0 >/dev/null 2>&1 && fail "weft0 left behind"

step 7 a typo in the instance name
systemctl start weft@nosuch 2>/dev/null && fail "weft@nosuch started"
journalctl -u weft@nosuch --no-pager | grep -q "Assertion failed" || fail "no assertion"

step 8 security
systemd-analyze security --no-pager weft@t1.service >/tmp/sec 2>&1
tail -n 1 /tmp/sec
score=$(sed -n 's/.*exposure level for weft@t1.service: \([0-9.]*\).*/\1/p' /tmp/sec)
# (one decimal; no awk here: a fresh /etc has no alternatives)
[[ $score =~ ^[0-9]+\.[0-9]$ ]] && [ "${score/./}" -le 25 ] || fail "exposure $score"
echo "all systemd checks passed"
systemctl exit 0
INSIDE

echo "+ systemd-nspawn --volatile=yes -b (systemd $(systemctl --version | awk 'NR == 1 {print $2}'))"
sd_boot weft-test "all systemd checks passed" --bind-ro="$T/bin:/opt/weft" --bind="$T/etc-weft:/etc/weft"
echo "systemd: OK"
