#!/bin/sh
# Installs the Debian 12 packages weft needs to build and test (run as root).
# Only what is missing is installed; a second run does nothing.
#   scripts/deps.sh        everything
#   scripts/deps.sh vm     only what the test guest needs (tests/vm/guest.sh)
set -e
base="build-essential clang libclang-rt-14-dev libssl-dev libcmocka-dev libcjson-dev libldns-dev libmicrohttpd-dev libsystemd-dev pkg-config
      iproute2 iputils-ping iperf3 tcpdump nftables procps python3 kmod"
# Operations: promtool (in prometheus) reads the metrics; debhelper, lintian
# and fakeroot build and check the package; systemd-nspawn runs a real
# systemd for the unit's test.
ops="prometheus debhelper lintian fakeroot dpkg-dev systemd-container"
# The guest: QEMU, Debian's own kernel (its ESP, GCM and xfrm modules are what
# the kernel data path is tested on), and busybox and cpio for its initramfs.
vm="qemu-system-x86 linux-image-amd64 busybox-static cpio xz-utils"
case ${1:-all} in
all) pkgs="$base $ops $vm" ;;
vm) pkgs="$vm iproute2 iputils-ping tcpdump python3 kmod" ;;
*) echo "usage: $0 [vm]" >&2; exit 2 ;;
esac
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "weft: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
