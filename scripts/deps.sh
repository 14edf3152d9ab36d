#!/bin/sh
# Installs the Debian 12 packages weft needs to build and test (run as root).
# Only what is missing is installed; a second run does nothing.
set -e
pkgs="build-essential clang libclang-rt-14-dev libssl-dev libcmocka-dev libcjson-dev pkg-config
      iproute2 iputils-ping iperf3 tcpdump nftables procps python3 kmod"
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
