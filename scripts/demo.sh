#!/usr/bin/env bash
# The weft demo: a CA and four hosts, each in its own network namespace on one
# bridge (underlay 198.18.0.0/24), each given only host1 as bootstrap. The
# mesh forms by itself; the demo shows `weft status`, pings every pair over
# IPv4 and IPv6, runs a short iperf3 through the mesh, and cleans up.
#
# Run as root from the source tree:  ./scripts/demo.sh
# It installs what is missing (apt-get) and builds weft first.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
make -j"$(nproc)" build/weft >/dev/null
export BUILD=${BUILD:-build}

# The namespace helpers of the integration tests: every namespace and process
# made here is removed on exit, also on Ctrl-C.
. tests/netns/lib.sh.inc
need_netns
trap - ERR

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { echo "\$ $*"; "$@"; }
hosts=(host1 host2 host3 host4)
D=$WF_TMP

say "1. The network: a CA (keep ca.key offline in real life)"
run "$WEFT" ca init --dir "$D/ca" --network demo --prefix 100.64.0.0/10 --prefix fd00::/64

say "2. Four hosts on one switch (namespaces joined by a bridge)"
bridge_create switch
for i in 1 2 3 4; do
	ns_create "host$i"
	bridge_attach switch "host$i" "198.18.0.$i/24"
done

say "3. One command per host: key, certificate, config. Only host1's address is given."
for i in 1 2 3 4; do
	boot=()
	[ "$i" = 1 ] || boot=(--bootstrap 198.18.0.1:51820)
	run "$WEFT" node init --dir "$D/host$i" --ca "$D/ca" --name "host$i" \
		--address "100.64.0.$i" --address "fd00::$i" --listen "198.18.0.$i:51820" \
		${boot[@]+"${boot[@]}"} >/dev/null
done
echo; echo "host2's weft.conf:"; grep -v '^#' "$D/host2/weft.conf"

say "4. weft up on every host"
for h in "${hosts[@]}"; do
	bg "$h" "$WEFT" up --dir "$D/$h"
done

full_mesh() {
	local h n
	for h in "${hosts[@]}"; do
		n=$(ns_quiet "$h" "$WEFT" status --dir "$D/$h" --json 2>/dev/null |
			python3 -c 'import json,sys; print(sum(p["state"] == "up" for p in json.load(sys.stdin)["peers"]))') || return 1
		[ "$n" = 3 ] || return 1
	done
}
wait_for 20 full_mesh || fail "the mesh did not form"
echo "every host has a direct session with every other host (after ${SECONDS}s)"

say "5. weft status on host1"
ns_exec host1 "$WEFT" status --dir "$D/host1"

say "6. Every host pings every other host, IPv4 and IPv6"
for i in 1 2 3 4; do
	for j in 1 2 3 4; do
		[ "$i" = "$j" ] && continue
		for a in "100.64.0.$j" "fd00::$j"; do
			if ns_quiet "host$i" ping -c 1 -W 2 "$a" >/dev/null; then
				printf 'host%s -> %-12s ok\n' "$i" "$a"
			else
				fail "host$i cannot reach $a"
			fi
		done
	done
done

say "7. iperf3 through the mesh: host1 -> host2 for 5 seconds"
bg host2 iperf3 -s -1 -B 100.64.0.2
wait_for 5 ns_quiet host2 sh -c "ss -ltn | grep -q :5201"
ns_exec host1 iperf3 -c 100.64.0.2 -t 5 -f m >"$D/iperf.out" || { cat "$D/iperf.out"; fail "iperf3 failed"; }
tail -n 4 "$D/iperf.out"

say "8. Traffic counters after the run"
ns_exec host1 "$WEFT" status --dir "$D/host1"

say "Done: stopping the daemons and removing the namespaces"
