#!/usr/bin/env bash
# weft check: the good node directory, and every kind of broken one the
# other CLI tests make (configuration errors, key modes, wrong and damaged
# certificates, expired and future ones, a foreign or expired CA, revocation
# lists), plus what only check looks at: bootstrap names, the interface, the
# port, forwarding, peers.cache, the directory's mode. Each case is numbered;
# each problem is one stderr line naming its file, and the exit status is 0
# (ok), 1 (errors) or 2 (warnings only).
. "$(dirname "$0")/lib.sh.inc"

PORT=$((40000 + $$ % 20000))
n=0

# check CODE DIR [ARGS...]: weft check --dir DIR exits CODE.
check() {
	local code=$1 dir=$2 rc
	shift 2
	n=$((n + 1))
	echo "+ $n. (exit $code) weft check --dir $dir $*"
	"$WEFT" check --dir "$dir" "$@" >"$OUT" 2>"$ERR"
	rc=$?
	[ $rc -eq "$code" ] || fail "$n. exit $rc, wanted $code"
	[ $rc -eq 0 ] && [ -s "$ERR" ] && [[ " $* " != *" --warnings-ok "* ]] && fail "$n. ok, yet stderr has lines"
	grep -qvE '^weft: check: (error|warning): ' "$ERR" && fail "$n. a stderr line of another form"
	return 0
}
says() { grep -qE -- "$1" "$ERR" || fail "$n. stderr does not match /$1/"; }
lines() { [ "$(wc -l <"$ERR")" -eq "$1" ] || fail "$n. $(wc -l <"$ERR") stderr lines, wanted $1"; }

# fresh NAME [node init options]: a good node directory of CA ca.
fresh() {
	local name=$1
	shift
	rm -rf "$name"
	expect_ok "$WEFT" node init --dir "$name" --ca ca --name "$name" \
		--address "100.64.0.$((n + 10))" --listen "127.0.0.1:$PORT" "$@"
}

make_ca
fresh good
check 0 good
expect_out "^good: ok: weft.conf, node.key, ca.crt \(network net\), node.crt \(good, until .*\), interface weft0 free, port 127.0.0.1:$PORT free$"

# --- weft.conf -------------------------------------------------------------
fresh conf && rm conf/weft.conf
check 1 conf && lines 1 && says "error: .*conf/weft.conf: No such file or directory"
fresh conf && sed -i 's/^listen/listn/' conf/weft.conf
check 1 conf && says "error: .*conf/weft.conf:4: unknown key 'listn' \(did you mean 'listen'\?\)"
fresh conf && echo 'interface = "weft1"' >>conf/weft.conf
check 1 conf && says "conf/weft.conf:10: values take no quotes"
# A broken weft.conf does not hide the rest: the key is checked at its default path.
chmod 0644 conf/node.key
check 1 conf && lines 2 && says "node.key: permissions 0644 are too open"
expect_out "^conf: 2 errors, 0 warnings$"

# --- The key ---------------------------------------------------------------
fresh key && chmod 0640 key/node.key
check 1 key && lines 1 && says "error: .*key/node.key: permissions 0640 are too open \(want 0600\)"
fresh key && rm key/node.key
check 1 key && says "key/node.key: .*No such file"
fresh key && cp key/node.pub key/node.key && chmod 0600 key/node.key
check 1 key && says "key/node.key"
fresh key && "$WEFT" keygen --dir other >/dev/null && cp other/node.key key/node.key
check 1 key && lines 1 && says "error: .*key/node.key does not match the public key in .*key/node.crt"
fresh key && chmod 0755 key && cp ca/ca.key key/
check 2 key && lines 2 && says "warning: key: mode 0755" && says "key/ca.key: the network's CA private key is on a node"

# --- Certificates ------------------------------------------------------------
fresh cert && sed -i 's/^name = .*/name = someone/' cert/weft.conf
check 1 cert && says "error: .*cert/weft.conf:2: name = someone, but .*cert/node.crt is for cert"
make_ca other net
fresh cert && cp other/ca.crt cert/ca.crt
check 1 cert && lines 1 && says "cert/node.crt: bad signature .*\(checked against .*cert/ca.crt\)"
fresh cert && python3 - cert/node.crt <<'PY'
import sys, base64
path = sys.argv[1]
lines = open(path).read().split("\n")
body = bytearray(base64.b64decode("".join(lines[1:-2])))
body[20] ^= 1
b = base64.b64encode(bytes(body)).decode()
open(path, "w").write("\n".join([lines[0]] + [b[i:i + 64] for i in range(0, len(b), 64)] + lines[-2:]))
PY
check 1 cert && says "cert/node.crt"
fresh cert && cp cert/node.key cert/node.crt
check 1 cert && says "cert/node.crt"
now=$(date +%s)
expect_ok "$WEFT" ca init --dir old --network net --prefix 100.64.0.0/10 --not-before $((now - 30 * 86400))
mk_cert() { # mk_cert DIR CADIR NOT_BEFORE NOT_AFTER: DIR's certificate, as given
	cp "$2/ca.crt" "$1/ca.crt"
	expect_ok "$WEFT" ca sign --dir "$2" --pubkey "$1/node.pub" --name "$1" --address 100.64.1.1 \
		--not-before "$3" --not-after "$4" --out "$1/node.crt" --force
}
fresh cert && mk_cert cert old $((now - 7 * 86400)) $((now - 3 * 86400))
check 1 cert && lines 1 && says "error: .*cert/node.crt: the certificate expired on [0-9-]{10}T[0-9:]{8}Z, 3 days ago \(renew it"
fresh cert && mk_cert cert old $((now + 4 * 3600)) $((now + 86400))
check 1 cert && says "cert/node.crt: the certificate is not valid until [0-9T:-]{19}Z, [34] hours from now \(this host's clock says [0-9T:-]{19}Z: is it right\?\)"
fresh cert && mk_cert cert old $((now - 60)) $((now + 10 * 86400))
check 2 cert && lines 1 && says "warning: .*cert/node.crt: the certificate ends on .*, (9|10) days from now: renew it"
# A CA of one second, past its end (waited for, not slept).
expect_ok "$WEFT" ca init --dir deadca --network net --prefix 100.64.0.0/10 --valid 1s
for _ in $(seq 50); do "$WEFT" cert show deadca/ca.crt >/dev/null 2>&1 || break; sleep 0.1; done
fresh cert && cp deadca/ca.crt cert/ca.crt
check 1 cert && lines 1 && says "cert/ca.crt: the CA certificate expired on .*, 0 hours ago"

# --- The revocation list -------------------------------------------------------
fresh rev
expect_ok "$WEFT" ca revoke --dir ca --serial 0123456789abcdef
cp ca/revoked.list rev/
check 0 rev && expect_out "revoked.list \(version 1\)"
expect_ok "$WEFT" ca revoke --dir ca --name rev
cp ca/revoked.list rev/
check 1 rev && lines 1 && says "rev/revoked.list: this node's certificate \(serial [0-9a-f]{16}\) is revoked \(list version 2, issued [0-9T:-]+Z\): the mesh refuses it; ask the CA for a new certificate"
expect_ok "$WEFT" ca revoke --dir other --serial 1
cp other/revoked.list rev/
check 1 rev && says "rev/revoked.list: (bad signature|.*another network)"
sed -i '2s/^./#/' rev/revoked.list
check 1 rev && says "rev/revoked.list"

# --- The host: bootstrap names, interface, port, forwarding --------------------
fresh host --bootstrap nowhere.invalid:51820 --bootstrap 198.18.0.2:51820
check 2 host && lines 1 && says "warning: .*host/weft.conf:5: bootstrap nowhere.invalid:51820 does not resolve now"
check 0 host --warnings-ok
fresh host && sed -i 's/^interface = .*/interface = lo/' host/weft.conf
check 1 host && lines 1 && says "error: .*host/weft.conf:3: interface lo exists and is not a TUN device"
fresh host
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1])))
open("bound", "w").close(); time.sleep(30)' "$PORT" &
holder=$!
for _ in $(seq 100); do [ -e bound ] && break; sleep 0.1; done
check 1 host && lines 1 && says "error: .*host/weft.conf:4: cannot listen on 127.0.0.1:$PORT: Address already in use"
# A daemon that holds the node's lock owns the port and the interface: not a problem.
touch host/weft.lock
n=$((n + 1))
echo "+ $n. (exit 0) flock host/weft.lock weft check --dir host"
flock host/weft.lock "$WEFT" check --dir host >"$OUT" 2>"$ERR" || fail "$n. a running daemon's port counted"
expect_out "a daemon runs for host"
kill "$holder"
wait "$holder" 2>/dev/null
fresh host && sed -i "s/^listen = .*/listen = 198.18.0.99:$PORT/" host/weft.conf
check 1 host && says "cannot listen on 198.18.0.99:$PORT: Cannot assign requested address \(not an address of this host\)"
if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
	# A new network namespace starts with forwarding off, whatever this host's is.
	fresh fwd --route 100.65.0.0/16 --route fd00::100:0/120
	sed -i "s/^listen = .*/listen = 0.0.0.0:$PORT/" fwd/weft.conf
	n=$((n + 1))
	echo "+ $n. (exit 2) unshare -n weft check --dir fwd (routes, no forwarding)"
	rc=0
	unshare -n "$WEFT" check --dir fwd >"$OUT" 2>"$ERR" || rc=$?
	[ $rc = 2 ] || fail "$n. exit $rc"
	says "warning: .*fwd/node.crt routes 100.65.0.0/16, but net.ipv4.ip_forward is 0"
	says "warning: .*fwd/node.crt routes fd00::100:0/120, but net.ipv6.conf.all.forwarding is 0"
	n=$((n + 1))
	echo "+ $n. (exit 0) unshare -n: forwarding on"
	unshare -n sh -c "sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 &&
		'$WEFT' check --dir fwd" >"$OUT" 2>"$ERR" || fail "$n. exit $?: $(cat "$ERR")"
fi

# --- peers.cache ------------------------------------------------------------------
fresh cache
printf 'WFPC\002' >cache/peers.cache
check 0 cache && expect_out "peers.cache \(0 peers\)"
printf 'WFPC\002\377\377\001xx' >cache/peers.cache
check 2 cache && lines 1 && says "warning: .*cache/peers.cache: entry at byte 5 is damaged"
echo "not a cache" >cache/peers.cache
check 2 cache && says "cache/peers.cache: not a peer cache of this version"
printf 'WFPC\002' >cache/peers.cache && chmod 0 cache/peers.cache
if [ "$(id -u)" != 0 ]; then
	check 2 cache && says "cache/peers.cache: Permission denied"
fi

# --- The one duration rule (a unit, always): weft.conf still takes a bare number.
fresh dur && echo "keepalive-interval = 90" >>dur/weft.conf
check 2 dur && lines 1 && says "dur/weft.conf:10: keepalive-interval = 90: a number without a unit is taken as seconds; write 90s"
# ... named by its line, blank lines counted (they were not once), any duration key
printf '\n\ngossip-sync-interval = 30\n' >>dur/weft.conf
check 2 dur && lines 2 && says "dur/weft.conf:13: gossip-sync-interval = 30: a number without a unit"

# --- Several problems, one line each --------------------------------------------
fresh many --bootstrap nowhere.invalid:51820 && chmod 0644 many/node.key && cp other/ca.crt many/
check 1 many && lines 3 && expect_out "^many: 2 errors, 1 warning$"

# --- Without --dir, and the command line -------------------------------------------
mkdir -p etc && cp -a good etc/
WEFT_CONFIG_ROOT=$PWD/etc expect_ok "$WEFT" check
expect_out "etc/good: ok"
expect_fail -c 1 "unknown option '--frob'" "$WEFT" check --dir good --frob
expect_fail -c 1 "unexpected argument 'x'" "$WEFT" check --dir good x
expect_ok "$WEFT" check --help
expect_out "^Usage: weft check"
echo "all check tests passed ($n cases)"
