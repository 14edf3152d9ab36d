#!/usr/bin/env bash
# weft-test: alone (it loads the machine, or raises a machine-wide setting)
# A hundred hosts on one bridge, started at once, each knowing one of three
# bootstrap hosts (h1-h3), converge to a full mesh. Then every daemon stops
# (SIGTERM: each says it left, and writes its peers.cache), and all but the
# three bootstrap hosts start again at once: with their bootstrap hosts down,
# only their caches can bring them together, and they converge to a full
# mesh of 97. The test reports both times, the handshakes per second (the
# busiest polling interval and the average), and the daemons' memory.
#
# The positive control is the second phase itself: with no cache nothing
# could be found (every bootstrap address is dead), and the first phase's
# count of peers at each node starts from one.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT"
need_cmd python3

N=${MESH_N:-100}
LIMIT=${MESH_LIMIT:-120} # seconds: a bound so that the test ends, not a goal
MESH_TIMERS="# default timers"
MESH_EXTRA_CONF="workers = 1"
ARP=net.ipv4.neigh.default
sysctl_raise $ARP.gc_thresh1 $((N * N))
sysctl_raise $ARP.gc_thresh2 $((2 * N * N))
sysctl_raise $ARP.gc_thresh3 $((4 * N * N))
bridge_create sw
mesh_ca
for i in $(seq 1 "$N"); do
	ns_create "h$i"
	bridge_attach sw "h$i" "198.18.6.$i/24" >/dev/null
	case $i in
	1) mesh_node h1 1 198.18.6.1 ;;
	2 | 3) mesh_node "h$i" "$i" "198.18.6.$i" 198.18.6.1:51820 ;;
	*) mesh_node "h$i" "$i" "198.18.6.$i" "198.18.6.$((i % 3 + 1)):51820" ;;
	esac
done

# "FULL LEAST HANDSHAKES RSS_KIB_MAX RSS_KIB_SUM" over the nodes FIRST..N:
# how many see all the others up, the fewest up at any node, handshakes
# initiated in all, the daemons' largest and total resident memory.
mesh_state() {
	python3 - "$1" "$N" "$WF_PREFIX" "$WF_TMP" "$WEFT" "${pids[@]}" <<'PY'
import json, subprocess, sys
first, n, prefix, tmp, weft = int(sys.argv[1]), int(sys.argv[2]), *sys.argv[3:6]
pids = sys.argv[6:]
ups, hs = [], 0
for i in range(first, n + 1):
    r = subprocess.run(["ip", "netns", "exec", f"{prefix}-h{i}", weft, "status", "--dir",
                        f"{tmp}/h{i}", "--json"], capture_output=True, text=True)
    d = json.loads(r.stdout) if r.returncode == 0 else {"peers": [], "handshakes": {}}
    ups.append(sum(p["state"] == "up" for p in d["peers"]))
    hs += d["handshakes"].get("initiated", 0)
rss = []
for pid in pids:
    try:
        with open(f"/proc/{pid}/status") as f:
            rss += [int(l.split()[1]) for l in f if l.startswith("VmRSS:")]
    except OSError:
        pass
want = n - first
print(sum(u == want for u in ups), min(ups), hs, max(rss or [0]), sum(rss))
PY
}

converge() { # converge FIRST: wait for a full mesh of FIRST..N; prints the time
	local first=$1 start=${EPOCHREALTIME/./} full least hs rss sum t last_t=0 last_hs=0 peak=0
	while :; do
		read -r full least hs rss sum < <(mesh_state "$first")
		t=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
		if [ "$t" -gt "$last_t" ]; then
			rate=$(( (hs - last_hs) * 1000 / (t - last_t) ))
			[ "$rate" -le "$peak" ] || peak=$rate
		fi
		last_t=$t last_hs=$hs
		echo "  after ${t} ms: $full of $((N - first + 1)) full (least $least up), $hs handshakes initiated"
		if [ "$full" = $((N - first + 1)) ]; then
			echo "RESULT: full mesh of $((N - first + 1)) after $t ms; handshakes: $hs," \
				"busiest interval $peak/s, average $((hs * 1000 / (t ? t : 1)))/s;" \
				"daemon RSS max $((rss / 1024)) MiB, all $((sum / 1024)) MiB"
			return 0
		fi
		[ "$t" -lt $((LIMIT * 1000)) ] || fail "no full mesh within ${LIMIT} s: $full full, least $least"
		sleep 1
	done
}

pids=()
for i in $(seq 1 "$N"); do
	mesh_up "h$i" >/dev/null
	pids+=("${MESH_PID[h$i]}")
done
echo "phase 1: $N hosts started at once, each with one bootstrap host"
converge 1

for i in $(seq 1 "$N"); do kill -TERM "${MESH_PID[h$i]}"; done
for i in $(seq 1 "$N"); do bg_wait "${MESH_PID[h$i]}" || fail "h$i exited with $?"; done
for i in $(seq 4 "$N"); do
	[ -s "$WF_TMP/h$i/peers.cache" ] || fail "h$i wrote no peers.cache"
done

pids=()
for i in $(seq 4 "$N"); do
	mesh_up "h$i" >/dev/null
	pids+=("${MESH_PID[h$i]}")
done
echo "phase 2: h4-h$N restarted at once; h1-h3, every bootstrap host, stay down"
converge 4

for pair in "4 $N" "5 $((N - 1))" "$((N / 2)) 6" "$N $((N / 2 + 1))"; do
	read -r a b <<<"$pair"
	wait_for 5 pings "h$a" "100.64.0.$b" || fail "h$a cannot ping h$b"
done
echo "mass restart: $N hosts converged, and $((N - 3)) again from their caches"
