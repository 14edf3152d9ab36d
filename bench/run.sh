#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# weft's side-by-side benchmark (issue #7, item 7): weft against no VPN, tinc,
# Nebula, wireguard-go, fastd and OpenVPN between two network namespaces.
# See bench/README.md.
#
#   bench/run.sh                                   # everything, 3 rounds of 10 s
#   BENCH_ROUNDS=1 BENCH_SECONDS=3 BENCH_ONLY="weft-aes,wireguard-go" bench/run.sh
#
# Installs the peers from Debian if missing, builds weft if build/weft is
# missing, then runs bench/bench.py. Whatever it creates (two namespaces,
# the daemons and iperf3/ping processes, a temporary directory, wireguard-go's
# UAPI sockets) is recorded as it is made and removed by the EXIT trap below,
# also after Ctrl-C or an error; processes are stopped by PID, never by name.
set -eEuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)

[ "$(id -u)" = 0 ] || { echo "bench: needs root (network namespaces)" >&2; exit 1; }

# --- the peers, from Debian's archive only ------------------------------------
# Debian 12 names. --no-install-recommends: wireguard-tools would otherwise pull
# in a kernel image (it recommends the wireguard module) that nothing here uses.
# redis-tools has redis-benchmark and the server's binary (run under the name
# redis-server); the redis-server package would add a system-wide service.
PKGS=(tinc nebula wireguard-go wireguard-tools fastd openvpn iperf3 ethtool
	iproute2 iputils-ping openssl python3 redis-tools sockperf)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "bench: installing ${missing[*]}"
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

# --- weft ---------------------------------------------------------------------
# BUILD as in the Makefile (default build/, relative to the project root).
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
if [ ! -x "$BUILD/weft" ]; then
	echo "bench: building weft"
	make -C "$ROOT" BUILD="$BUILD"
fi

# --- what we create, and its removal -------------------------------------------
PREFIX=wb$$
T=$(mktemp -d "${TMPDIR:-/tmp}/weft-bench.$$.XXXXXX")

cleanup() {
	local rc=$? kind a b pid
	trap - EXIT INT TERM HUP
	if [ -f "$T/created" ]; then
		# processes first (TERM, then KILL), only if the PID is still the one
		# we started (same start time), then namespaces and files
		pids=()
		while read -r kind a b; do
			[ "$kind" = pid ] || continue
			if [ -r "/proc/$a/stat" ] && [ "$(sed 's/.*) //' "/proc/$a/stat" | cut -d' ' -f20)" = "$b" ]; then
				kill -TERM "$a" 2>/dev/null && pids+=("$a")
			fi
		done <"$T/created"
		for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
			alive=0
			for pid in ${pids[@]+"${pids[@]}"}; do
				[ -e "/proc/$pid" ] && alive=1
			done
			[ $alive = 0 ] && break
			sleep 0.2
		done
		for pid in ${pids[@]+"${pids[@]}"}; do
			[ -e "/proc/$pid" ] && kill -KILL "$pid" 2>/dev/null
		done
		while read -r kind a b; do
			case $kind in
			ns) ip netns del "$a" 2>/dev/null || true ;;
			file) rm -f -- "$a" ;;
			esac
		done <"$T/created"
	fi
	if [ -n "${BENCH_KEEP:-}" ]; then
		echo "bench: BENCH_KEEP set: logs and configs kept in $T"
	else
		rm -rf -- "$T"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

python3 "$HERE/bench.py" --tmp "$T" --prefix "$PREFIX" --root "$ROOT" --weft "$BUILD/weft"
