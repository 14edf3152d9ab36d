#!/usr/bin/env bash
# GET /metrics (docs/metrics.md), served by a's daemon on its overlay
# address (metrics = 100.64.0.1:9821), read the ways it will be read:
#   1. from b over the mesh: 200, the exposition's content type, a's build,
#      node and per-peer series for b; Prometheus' promtool finds it valid
#   2. a real Prometheus in b scrapes it every second: its query API gives
#      weft_peer_receive_bytes_total{peer="b"} > 0 and the target is up
#   3. the counters move with traffic: after pings from b, a's bytes
#      received from b grew by at least what the pings carried
#   4. other paths: 404; other methods: 405 with Allow; garbage: answered
#      or closed; while b holds a half-sent request and 20 more connections,
#      another address (a's own) is still served; and b again afterwards
#   5. the underlay cannot reach it (it is bound to the overlay address)
#   6. weft.conf: a bad metrics value is refused at start with the file and
#      line; an address not on the host makes the daemon refuse to start,
#      naming it
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT"
need_cmd python3 ping prometheus promtool

ns_create a b
link_veth a 198.18.18.1/24 b 198.18.18.2/24
mesh_ca
MESH_EXTRA_CONF="metrics = 100.64.0.1:9821" mesh_node a 1 198.18.18.1
mesh_node b 2 198.18.18.2 198.18.18.1:51820
mesh_up a
mesh_up b
wait_for 20 peer_up a b
wait_for 20 peer_up b a
URL=http://100.64.0.1:9821

# http NS METHOD URL [BODY]: prints "STATUS CONTENT-TYPE ALLOW", then the body.
http() {
	ns_quiet "$1" python3 - "$2" "$3" "${4:-}" <<'PY'
import sys, urllib.request, urllib.error
method, url, body = sys.argv[1], sys.argv[2], sys.argv[3]
req = urllib.request.Request(url, method=method, data=body.encode() if body else None)
try:
    r = urllib.request.urlopen(req, timeout=5)
except urllib.error.HTTPError as e:
    r = e
print(r.status, r.headers.get("Content-Type"), r.headers.get("Allow"))
sys.stdout.write(r.read().decode())
PY
}

# --- 1. read from b ----------------------------------------------------------------
out=$(http b GET "$URL/metrics") || fail "1: GET /metrics from b failed"
head -n 1 <<<"$out"
[ "$(head -n 1 <<<"$out")" = "200 text/plain; version=0.0.4; charset=utf-8 None" ] ||
	fail "1: status line or content type: $(head -n 1 <<<"$out")"
body=$(tail -n +2 <<<"$out")
for want in 'weft_build_info{version="' 'weft_node_info{node="a",network="test",cipher="aes-256-gcm"} 1' \
	'weft_peer_session_state{peer="b",state="up"} 1' 'weft_peer_receive_bytes_total{peer="b"}' \
	'weft_members{state="alive"} 2' 'weft_peer_path_info{peer="b",path="udp4"} 1'; do
	grep -qF "$want" <<<"$body" || fail "1: no '$want' in the exposition"
done
promtool check metrics <<<"$body" || fail "1: promtool finds the exposition invalid"
echo "check 1 passed: $(grep -c '^weft_' <<<"$body") series, promtool content"

# --- 2. a real Prometheus ---------------------------------------------------------------
cat >"$WF_TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: weft
    static_configs:
      - targets: ["100.64.0.1:9821"]
EOF
bg b prometheus --config.file="$WF_TMP/prometheus.yml" --storage.tsdb.path="$WF_TMP/tsdb" \
	--web.listen-address=127.0.0.1:9090
query() { # query PROMQL: the first result's value, or nothing
	ns_quiet b python3 - "$1" <<'PY'
import json, sys, urllib.parse, urllib.request
q = urllib.parse.urlencode({"query": sys.argv[1]})
try:
    d = json.load(urllib.request.urlopen("http://127.0.0.1:9090/api/v1/query?" + q, timeout=2))
    print(d["data"]["result"][0]["value"][1])
except Exception:
    pass
PY
}
wait_until 60 '[ "$(query "up{job=\"weft\"}")" = 1 ]' || fail "2: Prometheus does not have the target up"
wait_until 30 '[ -n "$(query "weft_peer_receive_bytes_total{peer=\"b\"} > 0")" ]' ||
	fail "2: Prometheus has no bytes from b"
echo "check 2 passed: Prometheus scrapes a (bytes from b: $(query 'weft_peer_receive_bytes_total{peer="b"}'))"

# --- 3. the counters move -----------------------------------------------------------------
rx() { http b GET "$URL/metrics" | sed -n 's/^weft_peer_receive_bytes_total{peer="b"} //p'; }
r0=$(rx)
ns_exec b ping -c 20 -i 0.05 -s 1000 -W 2 100.64.0.1 >/dev/null || fail "3: b cannot ping a"
r1=$(rx)
echo "bytes from b: $r0 -> $r1"
[ "$r1" -ge $((r0 + 20 * 1028)) ] || fail "3: 20 pings of 1028 bytes added only $((r1 - r0))"
echo "check 3 passed"

# --- 4. what else it is sent --------------------------------------------------------------
out=$(http b GET "$URL/other")
[ "$(head -n 1 <<<"$out")" = "404 text/plain; charset=utf-8 None" ] || fail "4: /other: $(head -n 1 <<<"$out")"
out=$(http b POST "$URL/metrics" "x=1")
[ "$(head -n 1 <<<"$out")" = "405 text/plain; charset=utf-8 GET, HEAD" ] ||
	fail "4: POST: $(head -n 1 <<<"$out")"
cat >"$WF_TMP/abuse.py" <<'PY'
import os, socket, sys, time
def conn():
    return socket.create_connection(("100.64.0.1", 9821), timeout=5)
# Garbage: answered (400) or closed, within the 5 s a silent client gets.
s = conn(); s.sendall(b"\x00\xff GARBAGE \r\n\r\n"); s.settimeout(15)
try:
    print("garbage answered:", s.recv(100)[:12] or "(closed)", flush=True)
except ConnectionResetError:
    print("garbage: connection reset", flush=True)
s.close()
held = [conn()]
held[0].sendall(b"GET /metrics HTTP/1.1\r\nHost: a\r\n")   # never finished, then silent
for i in range(20):
    try:
        held.append(conn())
    except OSError as e:
        print("connection", i, "refused:", e, flush=True)
        break
# Slowloris on the others: a byte of an endless header on each, every half
# second, so that none is let go as idle; the daemon's bound per address
# must hold. The silent one is the marker: once the daemon closes it (its
# 5 s for an idle client), idleness frees nothing more, only the bound.
def trickle():
    for c in held[1:]:
        try:
            c.sendall(b"a")
        except OSError:
            pass
for c in held[1:]:
    c.sendall(b"GET /metrics HTTP/1.1\r\nX-Slow: ")
held[0].setblocking(False)
while True:
    trickle()
    try:
        if held[0].recv(1) == b"":
            break
    except BlockingIOError:
        pass
    except OSError:
        break
    time.sleep(0.5)
print("holding", len(held) - 1, "connections; the silent one was closed", flush=True)
while not os.path.exists(sys.argv[1]):
    trickle()
    time.sleep(0.5)
PY
bg b python3 "$WF_TMP/abuse.py" "$WF_TMP/release"
apid=$BG_PID alog=$BG_LOG
wait_for 60 grep -q "^holding" "$alog" || fail "4: the abuse did not get going"
# b holds its address's share (4) and more: another address is still served.
out=$(http a GET "$URL/metrics") || fail "4: /metrics does not answer a while b holds connections"
[ "$(head -n 1 <<<"$out" | cut -d' ' -f1)" = 200 ] ||
	fail "4: /metrics while b holds connections: $(head -n 1 <<<"$out")"
touch "$WF_TMP/release"
bg_wait "$apid" || fail "4: the abuse itself failed"
cat "$alog"
out=$(http b GET "$URL/metrics") || fail "4: /metrics does not answer b after the abuse"
[ "$(head -n 1 <<<"$out" | cut -d' ' -f1)" = 200 ] || fail "4: /metrics after the abuse: $(head -n 1 <<<"$out")"
kill -0 "${MESH_PID[a]}" || fail "4: a's daemon died"
echo "check 4 passed"

# --- 5. not on the underlay ---------------------------------------------------------------
ns_quiet b python3 -c '
import socket, sys
try:
    socket.create_connection(("198.18.18.1", 9821), timeout=3)
except OSError:
    sys.exit(0)
sys.exit(1)' || fail "5: the metrics port answers on the underlay address"
echo "check 5 passed"

# --- 6. configuration errors ------------------------------------------------------------
mesh_down b
cp "$WF_TMP/b/weft.conf" "$WF_TMP/b.conf"
echo "metrics = 100.64.0.2" >>"$WF_TMP/b/weft.conf"
line=$(wc -l <"$WF_TMP/b/weft.conf")
rc=0
ns_quiet b "$WEFT" up --dir "$WF_TMP/b" 2>"$WF_TMP/err" || rc=$?
cat "$WF_TMP/err"
[ "$rc" = 1 ] || fail "6: a metrics value without a port was taken (exit $rc)"
grep -qF "$WF_TMP/b/weft.conf:$line: bad metrics address '100.64.0.2'" "$WF_TMP/err" ||
	fail "6: the error does not name the file and line"
cp "$WF_TMP/b.conf" "$WF_TMP/b/weft.conf"
echo "metrics = 198.18.99.1:9821" >>"$WF_TMP/b/weft.conf"
rc=0
ns_quiet b "$WEFT" up --dir "$WF_TMP/b" 2>"$WF_TMP/err" || rc=$?
cat "$WF_TMP/err"
[ "$rc" = 1 ] || fail "6: metrics on an address not on the host: the daemon started (exit $rc)"
grep -qF "metrics: cannot serve on 198.18.99.1:9821" "$WF_TMP/err" || fail "6: the error does not name the address"
! ns_quiet b ip link show weft0 2>/dev/null || fail "6: the refused start left weft0"
echo "check 6 passed"
