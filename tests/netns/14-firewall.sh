#!/usr/bin/env bash
# The firewall by group (weft.conf inbound/outbound). db (group db, two
# workers) lets in only TCP 22 from group admin and drops everything else:
#   - a (group admin) reaches db's port 22 (the positive control), and
#     nothing else there (another port, UDP, ping);
#   - c (no group) does not reach port 22; db counts each drop as
#     "firewall", node-wide and for the peer that sent it (status, metrics);
#   - db reaches everything on a and c: TCP connections and UDP exchanges
#     are answered through "inbound = drop any" (connection tracking), with
#     flows opened on both of db's workers (its TUN queues) and the answers'
#     flows noted to the worker that receives them;
#   - weft reload adds a rule live (UDP 5353 from group admin), and a bad
#     rule refuses the reload naming file and line, changing nothing.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT"
need_cmd python3 ping

ns_create a c db
bridge_create sw
bridge_attach sw db 198.18.0.1/24 >/dev/null
bridge_attach sw a 198.18.0.2/24 >/dev/null
bridge_attach sw c 198.18.0.3/24 >/dev/null
mesh_ca
node() { # node NAME N [--group G]...
	local name=$1 n=$2 b=()
	shift 2
	[ "$n" = 1 ] || b=(--bootstrap 198.18.0.1:51820)
	"$WEFT" node init --dir "$WF_TMP/$name" --ca "$WF_TMP/ca" --name "$name" \
		--address "100.64.0.$n" --address "fd00::$n" --listen "198.18.0.$n:51820" \
		"${b[@]}" "$@" >/dev/null
	echo "$MESH_TIMERS" >>"$WF_TMP/$name/weft.conf"
}
node db 1 --group db
node a 2 --group admin
node c 3
cat >>"$WF_TMP/db/weft.conf" <<'EOF'
workers = 2
metrics = 127.0.0.1:9821
# Who may reach this host: admins, over SSH; nobody else, nothing else.
inbound = allow tcp 22 from group admin
inbound = drop any
EOF

# Echo servers and bounded clients: "tcp ADDR PORT N" and "udp ADDR PORT N"
# print how many of N connections (exchanges, each from a port of its own:
# a flow each) were answered, each given 1 s.
tool=$WF_TMP/fwtool.py
cat >"$tool" <<'EOF'
import socket, sys, threading, time
mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
end = time.time() + 120
if mode == "tcpserve":
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port)); s.listen(64); s.settimeout(1)
    print("listening", flush=True)
    def echo(c):
        c.settimeout(5)
        try: c.sendall(c.recv(64))
        except OSError: pass
        c.close()
    while time.time() < end:
        try: threading.Thread(target=echo, args=(s.accept()[0],), daemon=True).start()
        except socket.timeout: pass
elif mode == "udpserve":
    s = socket.socket(fam, socket.SOCK_DGRAM); s.bind((addr, port)); s.settimeout(1)
    print("listening", flush=True)
    while time.time() < end:
        try:
            m, src = s.recvfrom(2048); s.sendto(m, src)
        except socket.timeout: pass
else:
    ok = 0
    for i in range(int(sys.argv[4])):
        kind = socket.SOCK_STREAM if mode == "tcp" else socket.SOCK_DGRAM
        s = socket.socket(fam, kind); s.settimeout(1)
        try:
            if mode == "tcp":
                s.connect((addr, port)); s.sendall(b"hi %d" % i)
                ok += s.recv(64) == b"hi %d" % i
            else:
                s.sendto(b"hi %d" % i, (addr, port))
                ok += s.recvfrom(64)[0] == b"hi %d" % i
        except OSError: pass
        s.close()
    print(ok)
EOF
serve() { # serve NS tcp|udp PORT
	bg "$1" python3 "$tool" "$2serve" :: "$3" # (both families)
	wait_for 5 grep -q listening "$BG_LOG"
}
answered() { # answered NS tcp|udp ADDR PORT N: prints how many of N were answered
	ns_quiet "$1" python3 "$tool" "$2" "$3" "$4" "$5"
}
fw_drops() { # fw_drops [PEER]: db's firewall drops, node-wide or for PEER
	if [ $# = 0 ]; then
		status_field db 'd["drops"].get("firewall", 0)'
	else
		status_field db "[p['drops'].get('firewall', 0) for p in d['peers'] if p['name'] == '$1'][0]"
	fi
}

mesh_up db
mesh_up a
mesh_up c
for n in a c; do
	wait_for 10 peer_up db "$n"
	wait_for 10 peer_up "$n" db
done
[ "$(status_field db "d['node']['workers']")" = 2 ] || fail "db does not run 2 workers"
status_field db 'd["node"]["firewall"]["inbound"]' | grep -q "allow tcp 22 from group admin" ||
	fail "db's status does not show its rules"
[ "$(status_field db 'd["node"]["datapath"]["path"]')" = userspace ] ||
	fail "db's rules did not choose the userspace path"

serve db tcp 22
serve db tcp 2222
serve db udp 5353
for n in a c; do
	serve "$n" tcp 7000
	serve "$n" udp 7001
done

# Positive control: an admin's SSH.
[ "$(answered a tcp 100.64.0.1 22 2)" = 2 ] || fail "a (admin) did not reach db's port 22"

# The rest is dropped, and counted.
d0=$(fw_drops)
c0=$(fw_drops c)
[ "$(answered c tcp 100.64.0.1 22 1)" = 0 ] || fail "c (no group) reached db's port 22"
if ns_quiet c ping -c 1 -W 1 fd00::1 >/dev/null; then fail "db answered c's ping"; fi
[ "$(answered a tcp 100.64.0.1 2222 1)" = 0 ] || fail "a reached db's port 2222"
[ "$(answered a udp 100.64.0.1 5353 1)" = 0 ] || fail "a reached db's UDP 5353"
if ns_quiet a ping -c 1 -W 1 100.64.0.1 >/dev/null; then fail "db answered a's ping"; fi
echo "firewall drops at db: $d0 -> $(fw_drops), for c: $c0 -> $(fw_drops c)"
[ "$(fw_drops c)" -gt "$c0" ] || fail "c's dropped SYN not counted for c"
[ "$(fw_drops)" -ge $((d0 + 5)) ] || fail "db's drops not counted as firewall"
ns_quiet db "$WEFT" status --dir "$WF_TMP/db" | tee "$WF_TMP/status.txt" | grep -E "^(firewall|drops):"
grep -q "^firewall: 2 inbound rules, 0 outbound; flows" "$WF_TMP/status.txt" || fail "weft status has no firewall line"
grep -q "^drops:.* firewall [0-9]" "$WF_TMP/status.txt" || fail "weft status does not list firewall drops"
ns_quiet db python3 -c 'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:9821/metrics", timeout=5).read().decode())' |
	grep 'reason="firewall"' | tee "$WF_TMP/metrics.txt"
grep -q '^weft_drops_total{reason="firewall"} [1-9]' "$WF_TMP/metrics.txt" || fail "no node-wide firewall drops in the metrics"
grep -q '^weft_peer_drops_total{peer="c",reason="firewall"} [1-9]' "$WF_TMP/metrics.txt" ||
	fail "no firewall drops for c in the metrics"

# db reaches everything: 16 TCP connections and 16 UDP exchanges to each of
# a and c, IPv4 and IPv6, all answered through "inbound = drop any".
for to in 100.64.0.2 fd00::3; do
	[ "$(answered db tcp $to 7000 16)" = 16 ] || fail "db's TCP to $to not all answered"
	[ "$(answered db udp $to 7001 16)" = 16 ] || fail "db's UDP to $to not all answered"
done
ns_exec db ping -c 2 -i 0.2 -W 2 100.64.0.3
# ... with flows opened on each worker (by the queue the device read them
# from), and, for those read by the worker the answers do not reach, noted.
status_field db 'd["node"]["worker_counts"]' | tee "$WF_TMP/wc"
status_field db 'all(w["fw_flows_created"] > 0 for w in d["node"]["worker_counts"])' | grep -q True ||
	fail "db's flows were not opened on both workers"
status_field db 'sum(w["fw_flows_adopted"] for w in d["node"]["worker_counts"]) > 0' | grep -q True ||
	fail "no flow was noted to the worker that receives its answers"
[ "$(status_field db 'd["node"]["firewall"]["notes_lost"]')" = 0 ] || fail "notes were lost"

# weft reload: admins may now use UDP 5353; c still may not. Meanwhile db
# pings a, whose answers pass under both rule sets (the new one is installed
# while the workers judge them: the sanitizers' case).
tx_to() { status_field db "[p['tx_packets'] for p in d['peers'] if p['name'] == '$1'][0]"; }
tx0=$(tx_to a)
bg db ping -q -i 0.01 -c 200 -W 2 100.64.0.2
ping_pid=$BG_PID
wait_until 5 '[ "$(tx_to a)" -gt $((tx0 + 5)) ]'
sed -i 's/^inbound = drop any$/inbound = allow udp 5353 from group admin\ninbound = drop any/' \
	"$WF_TMP/db/weft.conf"
out=$(ns_quiet db "$WEFT" reload --dir "$WF_TMP/db") || fail "reload failed: $out"
echo "$out"
echo "$out" | grep -q "applied: inbound/outbound" || fail "reload did not say the rules changed"
bg_wait "$ping_pid" || fail "db's pings to a across the reload were not all answered"
grep -q " 0% packet loss" "$BG_LOG" || fail "db's pings to a across the reload: $(grep loss "$BG_LOG")"
[ "$(answered a udp 100.64.0.1 5353 2)" = 2 ] || fail "the reloaded rule did not let a's UDP in"
[ "$(answered c udp 100.64.0.1 5353 1)" = 0 ] || fail "the reloaded rule let c's UDP in"

# A bad rule: refused, naming the file and line; the rules in force stay.
cp "$WF_TMP/db/weft.conf" "$WF_TMP/good.conf"
echo "inbound = allow tcp 22 from groop admin" >>"$WF_TMP/db/weft.conf"
line=$(wc -l <"$WF_TMP/db/weft.conf")
if out=$(ns_quiet db "$WEFT" reload --dir "$WF_TMP/db" 2>&1); then
	fail "reload took a bad rule"
fi
echo "$out"
echo "$out" | grep -q "$WF_TMP/db/weft.conf:$line: bad inbound rule" || fail "the refusal does not name file and line"
[ "$(answered a udp 100.64.0.1 5353 1)" = 1 ] || fail "a refused reload changed the rules"
[ "$(answered a tcp 100.64.0.1 22 1)" = 1 ] || fail "a refused reload changed the rules"
cp "$WF_TMP/good.conf" "$WF_TMP/db/weft.conf"
echo "firewall: OK"
