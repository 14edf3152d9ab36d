#!/usr/bin/env bash
# The Debian package (make deb, debian/) installed, upgraded, removed and
# purged by dpkg in a container whose PID 1 is systemd 252 (systemd-nspawn
# --volatile=yes, with writable overlays over this machine's /usr and /var
# (the dpkg database), so nothing here changes): two versions are built, 0.1.0 by
# `make deb` and 0.1.1 from a copy with one more changelog entry. Numbered
# checks inside, by the unit pkg-test.service:
#   1 install: the binary, the unit where Debian keeps units, the manual,
#     the completion, /etc/weft made with mode 0700; the unit verifies
#   2 a node runs under the packaged unit (weft@t1)
#   3 upgrade: postinst restarts the running instance onto 0.1.1
#   4 remove: prerm stops it; the node directory stays
#   5 purge: /etc/weft, holding a node, stays (and says so); empty, it goes
# Needs root, systemd-nspawn, dpkg-buildpackage and debhelper.
. "$(dirname "$0")/lib.sh.inc"
sd_need dpkg-buildpackage dh
sd_scratch pkg

echo "+ make deb (0.1.0)"
make -s -C "$ROOT" deb >"$T/make.log" 2>&1 || { tail -n 20 "$T/make.log"; fail "make deb"; }
cp "$ROOT"/build/deb/weft_0.1.0_*.deb "$T/drive/" || fail "no weft_0.1.0 .deb"
echo "+ dpkg-buildpackage (0.1.1)"
cp -a "$ROOT/build/deb/src" "$T/src"
{
	printf 'weft (0.1.1) unstable; urgency=medium\n\n  * A test upgrade.\n\n'
	printf ' -- weft developers <weft@example.org>  %s\n\n' "$(date -R)"
	cat "$T/src/debian/changelog"
} >"$T/changelog" && mv "$T/changelog" "$T/src/debian/changelog"
(cd "$T/src" && dpkg-buildpackage -us -uc -b >"$T/build2.log" 2>&1) || { tail -n 20 "$T/build2.log"; fail "0.1.1"; }
cp "$T"/weft_0.1.1_*.deb "$T/drive/"

sd_test_unit pkg-test
cat >"$T/drive/inside.sh" <<'INSIDE'
. /drive/inside.sh.inc
export DEBIAN_FRONTEND=noninteractive
underlay

# A server has no policy-rc.d; this machine's image has one that forbids
# every service action (deb-systemd-invoke heeds it). The overlay's copy goes.
rm -f /usr/sbin/policy-rc.d
step 1 install 0.1.0
dpkg -i /drive/weft_0.1.0_*.deb || fail "dpkg -i"
dpkg -s weft | grep -q "^Status: install ok installed" || fail "not installed"
[ "$(weft --version)" = "weft 0.1.0" ] || fail "version $(weft --version)"
for f in /usr/bin/weft /lib/systemd/system/weft@.service /usr/share/man/man8/weft.8.gz \
	/usr/share/bash-completion/completions/weft /usr/share/doc/weft/copyright; do
	[ -e "$f" ] || fail "$f missing"
done
[ "$(stat -c %a /etc/weft)" = 700 ] || fail "/etc/weft not 0700"
grep -q "^ExecStart=/usr/bin/weft up" /lib/systemd/system/weft@.service || fail "ExecStart"
systemd-analyze verify --man=no weft@x.service || fail "verify"

step 2 a node under the packaged unit
weft ca init --dir /root/ca --network pkg --prefix 100.64.0.0/10 >/dev/null || fail "ca"
weft node init --dir /etc/weft/t1 --ca /root/ca --name t1 --address 100.64.0.1 \
	--listen 198.18.0.1:51820 >/dev/null || fail "node init"
systemctl start weft@t1 || fail "start"
old=$(prop weft@t1 MainPID)
weft status --dir /etc/weft/t1 >/dev/null || fail "status"

step 3 upgrade to 0.1.1
dpkg -i /drive/weft_0.1.1_*.deb | tee /tmp/upgrade || fail "upgrade"
grep -q "restarting weft@t1.service on the new version" /tmp/upgrade || fail "postinst said nothing"
[ "$(weft --version)" = "weft 0.1.1" ] || fail "version after upgrade"
[ "$(prop weft@t1 ActiveState)" = active ] || fail "not active after the upgrade"
new=$(prop weft@t1 MainPID)
[ "$new" != "$old" ] && [ "$new" != 0 ] || fail "not restarted ($old, $new)"
[ "$(readlink /proc/$new/exe)" = /usr/bin/weft ] || fail "runs $(readlink /proc/$new/exe)"
weft status --dir /etc/weft/t1 >/dev/null || fail "status after the upgrade"

step 4 remove
dpkg -r weft || fail "dpkg -r"
[ "$(prop weft@t1 ActiveState)" = inactive ] || fail "still running"
[ ! -e /usr/bin/weft ] || fail "binary left"
[ -e /etc/weft/t1/node.key ] || fail "the node's key went"

step 5 purge
dpkg -P weft 2>/tmp/purge || fail "dpkg -P"
grep -q "/etc/weft is not empty" /tmp/purge || fail "purge did not say why it kept /etc/weft"
[ -e /etc/weft/t1/node.key ] || fail "purge removed the node's key"
dpkg -s weft >/dev/null 2>&1 && fail "still known to dpkg"
rm -rf /etc/weft/t1
dpkg -i /drive/weft_0.1.1_*.deb >/dev/null && dpkg -P weft || fail "install and purge"
[ ! -e /etc/weft ] || fail "an empty /etc/weft stayed"
echo "all package checks passed"
systemctl exit 0
INSIDE

echo "+ systemd-nspawn --volatile=yes --overlay=/usr --overlay=/var -b"
sd_boot pkg-test "all package checks passed" --overlay=/usr::/usr --overlay=/var::/var \
	--bind-ro=/etc/alternatives --bind-ro=/etc/passwd --bind-ro=/etc/group \
	--bind-ro=/etc/shadow --bind-ro=/etc/gshadow --bind-ro=/etc/manpath.config
echo "package: OK"
