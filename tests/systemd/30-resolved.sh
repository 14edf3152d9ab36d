#!/usr/bin/env bash
# dns-resolved = yes under a real systemd and a real systemd-resolved: the
# container of 10-unit (systemd 252 as PID 1, this machine's /usr), with
# Debian's systemd-resolved of the same version unpacked beside it (it is
# not installed on this machine: its package would take over the host's
# /etc/resolv.conf). weft@t1 runs from dist/weft@.service as shipped.
# Numbered checks, run inside by weft-test.service:
#   1 resolved runs and answers on D-Bus
#   2 weft@t1 with dns-resolved = yes: resolvectl shows weft0's DNS server
#     (100.64.0.1) and routing domain (~sys), set by the daemon
#   3 resolvectl query t1.sys, and getent hosts through resolved's stub,
#     answer 100.64.0.1, and weft counted the queries
#   4 stop: weft0 and its DNS settings gone, no warning from the revert
#   5 resolved stopped (and not activatable): weft@t1 starts all the same,
#     warns, and status says why
# Positive control for 2-3: with dns-resolved = no, resolvectl shows no
# server on weft0 and t1.sys is not found.
# Needs root, systemd-nspawn and apt-get download (or the unpacked package
# in /var/tmp/weft-test-deps, or $WF_TEST_DEPS); skipped without.
. "$(dirname "$0")/lib.sh.inc"
BUILD=${BUILD:-build}
sd_need
[ -x "$ROOT/$BUILD/weft" ] || fail "no $ROOT/$BUILD/weft"

# systemd-resolved of this machine's systemd version (it links
# libsystemd-shared-252.so, which must be the same build), unpacked once.
v=$(dpkg-query -W -f='${Version}' libsystemd-shared 2>/dev/null) || { echo "no libsystemd-shared"; exit 77; }
R=${WF_TEST_DEPS:-/var/tmp/weft-test-deps}/systemd-resolved-$v
if [ ! -x "$R/lib/systemd/systemd-resolved" ]; then
	dl=$(mktemp -d /tmp/weft-resolved-deb.XXXXXX)
	if ! (cd "$dl" && apt-get download -q "systemd-resolved=$v" >/dev/null 2>&1); then
		rm -rf "$dl"
		echo "cannot download systemd-resolved $v (apt-get download)"
		exit 77
	fi
	mkdir -p "$R.tmp" && dpkg-deb -x "$dl"/systemd-resolved_*.deb "$R.tmp" && mv "$R.tmp" "$R"
	rm -rf "$dl" "$R.tmp"
fi

sd_scratch resolved
mkdir -p "$T/etc-weft" "$T/bin"
cp "$ROOT/$BUILD/weft" "$T/bin/weft"
sed 's|/usr/local/bin/weft|/opt/weft/weft|g' "$ROOT/dist/weft@.service" >"$T/units/weft@.service"
case $BUILD in
*san*) # as in 10-unit: LeakSanitizer cannot run under the unit's sandbox
	mkdir -p "$T/units/weft@.service.d"
	printf '[Service]\nEnvironment=ASAN_OPTIONS=detect_leaks=0\n' \
		>"$T/units/weft@.service.d/sanitizer.conf"
	;;
esac
# resolved's own unit, its binary where the container has it.
sed 's|/lib/systemd/systemd-resolved|/opt/resolved/lib/systemd/systemd-resolved|' \
	"$R/lib/systemd/system/systemd-resolved.service" >"$T/units/systemd-resolved.service"
sd_test_unit weft-test

W=$T/bin/weft
"$W" ca init --dir "$T/ca" --network sys --prefix 100.64.0.0/10 --prefix fd00::/64 >/dev/null || exit 1
"$W" node init --dir "$T/etc-weft/t1" --ca "$T/ca" --name t1 --address 100.64.0.1 \
	--address fd00::1 --listen 198.18.0.1:51820 >/dev/null || exit 1
chmod 0700 "$T/etc-weft"

cat >"$T/drive/inside.sh" <<'INSIDE'
. /drive/inside.sh.inc
trap 'systemctl exit 1' EXIT # a check that dies ends the container too
RC=/opt/resolved/usr/bin/resolvectl
conf=/etc/weft/t1/weft.conf
underlay

step 1 resolved runs
echo "nameserver 127.0.0.53" >/etc/resolv.conf
# The container boots to this unit alone: no bus yet, and resolved (pulled
# in at boot) came up without one.
systemctl start dbus.socket dbus.service || fail "start the bus"
systemctl restart systemd-resolved || fail "start resolved"
$RC status --no-pager >/dev/null || fail "resolvectl status"

step 0 the control: dns-resolved = no
systemctl start weft@t1 || fail "start"
$RC dns weft0 | tee /tmp/dns
grep -q 100.64.0.1 /tmp/dns && fail "a server on weft0 without dns-resolved"
$RC query t1.sys >/dev/null 2>&1 && fail "t1.sys found without dns-resolved"
systemctl stop weft@t1

step 2 dns-resolved = yes: the server and routing domain of weft0
cp $conf /tmp/good.conf
echo "dns-resolved = yes" >>$conf
systemctl start weft@t1 || fail "start"
$RC status weft0 --no-pager | tee /tmp/status
grep -Eq "DNS Servers?: .*100\.64\.0\.1" /tmp/status || fail "no DNS server on weft0"
grep -q "fd00::1" /tmp/status || fail "no IPv6 DNS server on weft0"
grep -q "DNS Domain: ~sys" /tmp/status || fail "no ~sys on weft0"
grep -q "Current Scopes: DNS$" /tmp/status || fail "LLMNR or mDNS on weft0"
journalctl -u weft@t1 --no-pager | grep -q "systemd-resolved: sys's names (~sys) are asked of this node on weft0" ||
	fail "not logged"

step 3 names through resolved
$RC query t1.sys | tee /tmp/q || fail "resolvectl query t1.sys"
grep -q "100.64.0.1" /tmp/q || fail "t1.sys did not answer 100.64.0.1"
getent hosts t1.sys | tee /tmp/g
grep -q "^100.64.0.1 " /tmp/g || grep -q "^fd00::1 " /tmp/g || fail "getent hosts t1.sys"
$RC query nosuch.sys >/dev/null 2>&1 && fail "nosuch.sys found"
/opt/weft/weft status --dir /etc/weft/t1 --json >/tmp/json || fail "status"
grep -q '"resolved":[[:space:]]*"set"' /tmp/json || fail "status: resolved not set"
grep -Eq '"queries":[[:space:]]*[1-9]' /tmp/json || fail "weft answered no query"

step 4 stop: the link and its settings go
systemctl stop weft@t1
ip link show weft0 >/dev/null 2>&1 && fail "weft0 left behind"
$RC status --no-pager | grep -q "~sys" && fail "~sys left behind"
journalctl -u weft@t1 --no-pager | grep -q "systemd-resolved: RevertLink" && fail "the revert failed"

step 5 without resolved: a warning, never fatal
systemctl stop systemd-resolved
systemctl mask --runtime systemd-resolved
systemctl start weft@t1 || fail "weft did not start without resolved"
[ "$(systemctl show -p ActiveState --value weft@t1)" = active ] || fail "not active"
journalctl -u weft@t1 --no-pager | grep "systemd-resolved: SetLinkDNS" || fail "no warning"
/opt/weft/weft status --dir /etc/weft/t1 --json | grep -q '"resolved":[[:space:]]*"SetLinkDNS: ' ||
	fail "status does not say why"
systemctl stop weft@t1
echo "all resolved checks passed"
trap - EXIT
systemctl exit 0
INSIDE

echo "+ systemd-nspawn --volatile=yes -b, systemd-resolved $v"
# Its user (made by systemd-sysusers at boot) and its D-Bus policy, in the
# container's fresh /etc.
sd_boot weft-test "all resolved checks passed" --bind-ro="$T/bin:/opt/weft" \
	--bind="$T/etc-weft:/etc/weft" --bind-ro="$R:/opt/resolved" \
	--bind-ro="$R/usr/lib/sysusers.d/systemd-resolve.conf:/etc/sysusers.d/systemd-resolve.conf" \
	--bind-ro="$R/usr/share/dbus-1/system.d/org.freedesktop.resolve1.conf:/etc/dbus-1/system.d/org.freedesktop.resolve1.conf"
echo "resolved: OK"
