#!/usr/bin/env bash
# Nodes with a certificate from another CA, an expired certificate, or a
# tampered one are refused by every node, and cannot reach any overlay
# address. A good certificate, presented the same way, is accepted (so the
# checks can fail).
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT" "$BUILD/tests/hsprobe"
need_cmd python3
PROBE=$BUILD/tests/hsprobe

bridge_create sw
mesh_ca
for i in 1 2 3; do
	ns_create "h$i"
	bridge_attach sw "h$i" "198.18.4.$i/24"
done
ns_create x
bridge_attach sw x 198.18.4.9/24
mesh_node h1 1 198.18.4.1
mesh_node h2 2 198.18.4.2 198.18.4.1:51820
mesh_node h3 3 198.18.4.3 198.18.4.1:51820
for i in 1 2 3; do mesh_up "h$i"; done
wait_for 15 peer_up h2 h3

sign() { # sign CADIR NAME N OUT [ca sign options...]
	local ca=$1 name=$2 n=$3 out=$4
	shift 4
	mkdir -p "$WF_TMP/keys-$name"
	[ -f "$WF_TMP/keys-$name/node.key" ] || "$WEFT" keygen --dir "$WF_TMP/keys-$name" >/dev/null
	"$WEFT" ca sign --dir "$ca" --pubkey "$WF_TMP/keys-$name/node.pub" --name "$name" \
		--address "100.64.0.$n" --out "$out" "$@" >/dev/null
}

# Same network name and prefixes, but another CA key: a forged network.
"$WEFT" ca init --dir "$WF_TMP/ca2" --network test --prefix 100.64.0.0/10 --prefix fd00::/64 >/dev/null
now=$(date +%s)
sign "$WF_TMP/ca" good 20 "$WF_TMP/good.crt"
sign "$WF_TMP/ca2" foreign 21 "$WF_TMP/foreign.crt"
# Valid for two seconds from now: expired by the time it is presented.
sign "$WF_TMP/ca" expired 22 "$WF_TMP/expired.crt" --not-after $((now + 2))
sign "$WF_TMP/ca" future 23 "$WF_TMP/future.crt" --not-before $((now + 3600)) --not-after $((now + 7200))
sign "$WF_TMP/ca" tampered 24 "$WF_TMP/tampered.crt"
# Tamper: change the address 100.64.0.24 to 100.64.0.1 (h1's) inside the
# signed bytes, and re-armor. The signature no longer matches.
python3 - "$WF_TMP/tampered.crt" <<'PY'
import base64, sys
path = sys.argv[1]
lines = open(path).read().splitlines()
body = base64.b64decode("".join(l for l in lines if not l.startswith("-----")))
old = bytes([100, 64, 0, 24])
assert body.count(old) == 1, "address not found in certificate"
body = body.replace(old, bytes([100, 64, 0, 1]))
b64 = base64.b64encode(body).decode()
out = [lines[0]] + [b64[i:i + 64] for i in range(0, len(b64), 64)] + [lines[-1]]
open(path, "w").write("\n".join(out) + "\n")
PY
"$WEFT" cert show "$WF_TMP/tampered.crt" || true
while [ "$(date +%s)" -le $((now + 3)) ]; do sleep 0.2; done

probe() { # probe CERT NAME NODE_IP WAIT_MS: hsprobe's exit code
	local rc=0
	ns_quiet x "$PROBE" --ca "$WF_TMP/ca/ca.crt" --cert "$1" --key "$WF_TMP/keys-$2/node.key" \
		--to "$3:51820" --wait "$4" >&2 || rc=$?
	echo "$rc"
}
refused() { status_field "$1" 'd["drops"].get("certificate", 0)'; }

for i in 1 2 3; do
	ip=198.18.4.$i
	rc=$(probe "$WF_TMP/good.crt" good $ip 5000) # (it stops at the answer)
	[ "$rc" = 0 ] || fail "h$i refused a good certificate (hsprobe exit $rc)"
	for bad in foreign expired future tampered; do
		# Refused and counted: then no answer can come, and the probe
		# need not wait long for one.
		c0=$(refused "h$i")
		rc=$(probe "$WF_TMP/$bad.crt" $bad $ip 200)
		wait_until 10 '[ "$(refused "h$i")" -gt "$c0" ]' || fail "h$i did not refuse a $bad certificate"
		echo "h$i vs $bad certificate: refused; hsprobe exit $rc"
		[ "$rc" = 1 ] || fail "h$i answered a $bad certificate (hsprobe exit $rc)"
	done
done

# The same initiation three times (a duplicated datagram) is answered once:
# a copy must not replace the session its initiator is about to use. Both
# copies are refused and counted (then no second answer can come).
r0=$(status_field h1 'd["drops"]["handshake_replay"]')
out=$(ns_quiet x "$PROBE" --ca "$WF_TMP/ca/ca.crt" --cert "$WF_TMP/good.crt" \
	--key "$WF_TMP/keys-good/node.key" --to 198.18.4.1:51820 --wait 1000 --repeat 3)
echo "$out"
wait_until 10 '[ "$(status_field h1 "d[\"drops\"][\"handshake_replay\"]")" -ge $((r0 + 2)) ]' ||
	fail "the copies of an initiation were not refused as copies"
echo "$out" | grep -q "^1 answers to 3 copies" || fail "a duplicated initiation was answered again"

# Every node said why, and counted it.
for i in 1 2 3; do
	log=${WF_LOGS[$((i - 1))]}
	grep -q "refused certificate of foreign.*signature" "$log" || fail "h$i: no log line for the foreign cert"
	grep -q "refused certificate of expired.*expired" "$log" || fail "h$i: no log line for the expired cert"
	grep -q "refused certificate of future.*not valid yet" "$log" || fail "h$i: no log line for the future cert"
	grep -q "refused certificate.*tampered\|refused certificate.*signature" "$log" || fail "h$i: no log line for the tampered cert"
	n=$(status_field "h$i" 'd["drops"].get("certificate", 0)')
	[ "$n" -ge 4 ] || fail "h$i counted $n certificate drops, want >= 4"
	for bad in foreign expired future tampered; do
		[ "$(peer_state "h$i" $bad)" = absent ] || fail "h$i lists $bad as a peer"
	done
done
grep -h "refused certificate" "${WF_LOGS[0]}" | head -5

# A whole rogue node from the other CA, running for real: it gets nowhere.
"$WEFT" node init --dir "$WF_TMP/rogue" --ca "$WF_TMP/ca2" --name rogue --address 100.64.0.30 \
	--listen 198.18.4.9:51820 --bootstrap 198.18.4.1:51820 >/dev/null
echo "$MESH_TIMERS" >>"$WF_TMP/rogue/weft.conf"
# It calls h1, its bootstrap host, the only node it knows, with the other
# network's mac1: once h1 dropped that (a bad mac1 counts as `handshake`),
# nothing it can do later gets it any further.
hs_drops() { status_field h1 'd["drops"]["handshake"]'; }
h0=$(hs_drops)
mesh_up rogue x
wait_until 10 '[ "$(hs_drops)" -gt "$h0" ]' || fail "h1 never heard from the rogue node"
echo "h1 dropped the rogue node's initiations: $h0 -> $(hs_drops)"
for i in 1 2 3; do
	if pings x "100.64.0.$i"; then fail "rogue node reached h$i"; fi
	[ "$(peer_state "h$i" rogue)" = absent ] || fail "h$i accepted the rogue node"
done
[ "$(peer_state rogue h1 x)" != up ] || fail "rogue has a session with h1"
echo "bad certificates: refused everywhere"
