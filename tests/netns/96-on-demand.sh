#!/usr/bin/env bash
# weft-test: alone (it loads the machine, or raises a machine-wide setting)
# Past full-mesh-max, sessions are made on demand. 24 hosts on one bridge,
# full-mesh-max = 8, one bootstrap each (h1). Checked:
#
#  1. every node knows all 23 others (certificates, gossip), says "on demand",
#     and, once the mesh has settled, has a session only with a member that
#     an end keeps for gossip (3 ring neighbours each side, about 2
#     chords: at most 5 N sessions in all), and no node one with every
#     member (positive control: while the mesh has at most 8 members it is a
#     full mesh, h2-h5 and h3-h4 up; and 2. makes a session nobody keeps);
#  2. traffic to a member neither end keeps (idle at both, never reached, so
#     known by the addresses of its certificate as hints only) starts a session:
#     the first ping is answered, a TCP stream through it arrives intact;
#  3. with no more traffic the session ends by itself at both ends (its keys
#     run out: rekey-interval = 4 s, so within 6 s of the last rekey), with
#     no decrypt drop and no data arriving on keys an end let go first, and
#     traffic makes a new one;
#  4. memory: the heap of a daemon holding the 23 members idle, against the
#     same daemon holding none, a member's cost printed (and bounded: 8 KiB);
#  5. all restart at once with the bootstrap host down: each calls a few
#     members from its cache (on demand, not all of them), and the mesh is
#     whole again (with none called, none would be).
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT"
need_cmd python3

N=24
XFER=$WF_ROOT/tests/netns/tcpxfer.py
MESH_TIMERS="keepalive-interval = 1s
handshake-timeout = 1s
rekey-interval = 4s
full-mesh-max = 8"
mesh_ca
mesh_star "$N" 198.18.9

# One line a node: "NAME MODE MEMBERS CERTS UP IDLE KEPT" where KEPT are the
# peers this node keeps for gossip, UP those it has a session with, IDLE those
# it has never reached (no session now or before).
census() {
	python3 - "$N" "$WF_PREFIX" "$WF_TMP" "$WEFT" <<'PY'
import json, subprocess, sys
n, prefix, tmp, weft = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
for i in range(1, n + 1):
    r = subprocess.run(["ip", "netns", "exec", f"{prefix}-h{i}", weft, "status", "--dir",
                        f"{tmp}/h{i}", "--json"], capture_output=True, text=True)
    if r.returncode:
        print(f"h{i} none 0 0 - - -")
        continue
    d = json.loads(r.stdout)
    peers = d["peers"]
    up = [p["name"] for p in peers if p["state"] == "up"]
    # idle, and never reached: its addresses are hints (no route yet)
    idle = [p["name"] for p in peers if p["state"] == "idle" and not p["proven"]]
    kept = [p["name"] for p in peers if p.get("member") and p["member"]["kept"]]
    print(f"h{i}", d["node"]["sessions"]["mode"].replace(" ", "-"),
          d["node"]["gossip"]["members"], len(peers),
          ",".join(up) or "-", ",".join(idle) or "-", ",".join(kept) or "-")
PY
}

# Every node: on demand, all N members known with certificates.
all_known() {
	census | awk -v n="$N" '$2 != "on-demand" || $3 != n || $4 != n - 1 { bad = 1 } END { exit bad }'
}

# Every session has an end that keeps it; prints the sessions, the most any
# node has, and how many are not kept (0 when settled).
sessions_kept() {
	census | python3 -c '
import sys
up, kept = {}, {}
for line in sys.stdin:
    f = line.split()
    up[f[0]] = set(f[4].split(",")) - {"-"}
    kept[f[0]] = set(f[6].split(",")) - {"-"}
loose = sum(1 for a in up for b in up[a] if b not in kept[a] and a not in kept.get(b, set()))
print(sum(len(v) for v in up.values()) // 2, max(len(v) for v in up.values()), loose)'
}

for i in $(seq 1 "$N"); do
	mesh_up "h$i" >/dev/null
	# The first few make a full mesh; its sessions are the positive control.
	[ "$i" != 5 ] || wait_until 20 '[ "$(peer_state h2 h5)" = up ] && [ "$(peer_state h3 h4)" = up ]' ||
		fail "five hosts: no full mesh (h2-h5, h3-h4)"
done
wait_until 60 all_known || { census; fail "not every node knows all $N members, on demand"; }
census

# 1. settled: every session kept by an end, and far fewer than a full mesh.
# (A session neither end keeps, such as the full mesh's first ones, ends when
# its keys run out: within 1.5 rekey intervals once unused.)
wait_until 60 '[ "$(sessions_kept | cut -d" " -f3)" = 0 ]' ||
	{ census; fail "sessions that no end keeps did not end: $(sessions_kept)"; }
read -r total most loose < <(sessions_kept)
echo "settled: $total sessions for $N hosts (a full mesh: $((N * (N - 1) / 2))), at most $most at one node"
# Kept: ring = 3 each side (3 a node, each pair counted once) and chords,
# about 2 a node (1 a node, counted once): about 4 N; at most 5 N here.
[ "$total" -le $((N * (3 + 2))) ] || fail "$total sessions: more than the kept ring and chords"
[ "$most" -lt $((N - 1)) ] || fail "a node has a session with every member"
grep -q "sessions are made on demand" "${WF_LOGS[@]}" || fail "no node said it went on demand"

# 2. a pair neither end keeps, idle at both and never reached: the first
# packet finds the other only by its hint.
read -r a b < <(census | python3 -c '
import sys
rows = {}
for line in sys.stdin:
    f = line.split()
    rows[f[0]] = (set(f[5].split(",")), set(f[6].split(",")))
for a in sorted(rows):
    for b in sorted(rows):
        if a != b and b in rows[a][0] and a in rows[b][0]:
            print(a, b)
            sys.exit(0)
sys.exit(1)') || fail "no pair idle at both ends"
echo "idle pair: $a $b"
na=${a#h} nb=${b#h}
# Their logs at debug level from here on (weft reload applies it at once):
# data that reaches keys an end has let go is logged. (The count of unknown
# indexes also holds handshake answers that came after a retry: not data.)
for h in "$a" "$b"; do
	echo "log-level = debug" >>"$WF_TMP/$h/weft.conf"
	ns_quiet "$h" "$WEFT" reload --dir "$WF_TMP/$h" >/dev/null || fail "weft reload at $h failed"
done
pings "$a" "100.64.0.$nb" || fail "the first ping from $a to $b (idle) was not answered"
[ "$(peer_state "$a" "$b")" = up ] || fail "$a has no session with $b after the ping"
[ "$(peer_state "$b" "$a")" = up ] || fail "$b has no session with $a after the ping"
bg "$b" python3 "$XFER" recv "100.64.0.$nb" 5201
recv_pid=$BG_PID
recv_log=$BG_LOG
wait_for 5 grep -q listening "$recv_log"
bg "$a" python3 "$XFER" send "100.64.0.$nb" 5201 8
send_pid=$BG_PID
send_log=$BG_LOG
bg_wait "$send_pid" || fail "the sender failed: $(tail -n 3 "$send_log")"
bg_wait "$recv_pid" || fail "the receiver failed: $(tail -n 3 "$recv_log")"
[ "$(tail -n 1 "$send_log")" = "$(tail -n 1 "$recv_log")" ] ||
	fail "the stream through the on-demand session differs: $(tail -n 1 "$send_log") / $(tail -n 1 "$recv_log")"
echo "8 MiB from $a to $b intact: $(tail -n 1 "$recv_log")"

# 3. unused, it ends at both ends; traffic makes a new one.
wait_until 30 '[ "$(peer_state "$a" "$b")" = idle ] && [ "$(peer_state "$b" "$a")" = idle ]' ||
	fail "the on-demand session $a-$b did not end when unused ($(peer_state "$a" "$b"), $(peer_state "$b" "$a"))"
for h in "$a" "$b"; do
	n=$(status_field "$h" 'd["drops"].get("decrypt", 0)')
	[ "$n" = 0 ] || fail "$h counted $n decrypt drops"
	! grep -q "data on receiver index .* not ours" "${WF_DAEMON_LOG[${MESH_PID[$h]}]}" ||
		fail "$h dropped data on keys it had let go: $(grep "not ours" "${WF_DAEMON_LOG[${MESH_PID[$h]}]}")"
done
wait_for 5 pings "$b" "100.64.0.$na" || fail "$b cannot reach $a again after the idle end"
echo "on demand: made by traffic, ended when idle, made again"

# 4. memory of an idle member: h20's node directory (its cache holds the 23
# others), alone in a namespace with no way out, started with and without
# the cache; the difference in heap over the members it holds idle. (Those
# it calls at a cold start, in vain here, are counted in: an upper bound.)
mesh_down h20 >/dev/null
[ -s "$WF_TMP/h20/peers.cache" ] || fail "h20 wrote no peers.cache"
ns_create solo solo_peer
link_veth solo 198.18.99.1/24 solo_peer 198.18.99.2/24 >/dev/null
for v in empty full; do
	cp -r "$WF_TMP/h20" "$WF_TMP/solo-$v"
	sed -i -e '/^bootstrap/d' -e 's/^listen.*/listen = 198.18.99.1:51820/' "$WF_TMP/solo-$v/weft.conf"
	[ "$v" = full ] || rm -f "$WF_TMP/solo-$v/peers.cache"
done
heap_of() { # heap_of DIR PEERS CALLS: start it in solo, wait for PEERS peers and CALLS
	# handshakes begun, set HEAP to its heap
	local dir=$1 want=$2 calls=$3
	mesh_up "$dir" solo >/dev/null
	wait_until 10 '[ "$(status_field "$dir" "len(d[\"peers\"])" 2>/dev/null)" = "$want" ]' ||
		fail "$dir: not $want peers ($(status_field "$dir" 'len(d["peers"])' 2>/dev/null))"
	wait_until 10 '[ "$(status_field "$dir" "d[\"handshakes\"][\"initiated\"]")" -ge "$calls" ]' ||
		fail "$dir: not $calls handshakes begun"
	HEAP=$(status_field "$dir" 'int(d["node"]["sessions"]["heap_bytes"])')
	mesh_down "$dir" >/dev/null
}
status_json() { ns_quiet solo "$WEFT" status --dir "$WF_TMP/$1" --json; }
heap_of solo-empty 0 0
h0=$HEAP
# (WF_COLD_CALLS: on demand and cut off, it calls 8 members at once.)
heap_of solo-full $((N - 1)) 8
h1=$HEAP
per=$(( (h1 - h0) / (N - 1) ))
echo "memory: heap $h0 bytes with no member, $h1 with $((N - 1)) idle: $per bytes a member"
[ "$h1" -gt "$h0" ] || fail "no heap measured for the members ($h0, $h1)"
[ "$per" -lt 8192 ] || fail "an idle member costs $per bytes, more than 8 KiB"

# 5. every node restarts at once with the bootstrap host (h1) down: each
# calls a few members from its cache (not all 23), and they converge again:
# every node holds the 22 others alive, with sessions on demand.
for i in $(seq 2 "$N"); do
	[ "$i" = 20 ] || mesh_down "h$i" >/dev/null
done
mesh_down h1 >/dev/null
t0=$SECONDS
for i in $(seq 2 "$N"); do
	mesh_up "h$i" >/dev/null
done
rejoined() { # every node but h1: on demand, N-1 live members (itself too), a session up
	local i
	for i in $(seq 2 "$N"); do
		status_field "h$i" 'd["node"]["sessions"]["mode"] == "on demand" and d["node"]["gossip"]["live"] == '$((N - 1))' and d["node"]["sessions"]["up"] > 0' 2>/dev/null |
			grep -q True || return 1
	done
}
status_json() { ns_quiet "${2:-$1}" "$WEFT" status --dir "$WF_TMP/$1" --json; }
wait_until 90 rejoined || { census; fail "no mesh again from the caches with h1 down"; }
echo "restarted from their caches with the bootstrap host down: whole again after $((SECONDS - t0)) s"
wait_for 5 pings h2 "100.64.0.$N" || fail "h2 cannot reach h$N after the restart"
