#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# weft's kernel data path, the whole daemon, in the guest (Debian's 6.1
# kernel, which has ESP): four nodes on one bridge (underlay 198.18.30.1-4),
# a, b and c with datapath = kernel (c with esp-encap = udp), d with
# datapath = userspace; rekey-interval 4 s, so that every check runs across
# rekeys. A capture ends when a marker sent in clear between the underlay
# addresses shows up in it.
#   1. every pair of a, b, c on the kernel path (status), pings both ways
#      over IPv4 and IPv6; a's log and status say kernel
#   2. a TCP transfer of 16 MiB a -> b, across rekeys (several SPIs on the
#      wire): it arrives whole; the wire between a and b holds ESP and only
#      a few weft datagrams (keepalives, gossip), the SAs' counters moved,
#      status shows them; no xfrm error (XfrmInNoStates, XfrmOutNoStates...)
#      on either side, so no packet was lost to a missing SA during rekeys;
#      the old SAs are gone (at most three of ours per peer)
#   3. ESP in UDP: a -> c on port 51821, nothing else carries overlay data
#   4. the mixed pair a - d: pings through the userspace path, path
#      "userspace" on both, no ESP between them
#   5. cryptokey routing in the kernel: from a, through its SA to b, an inner
#      source that is nobody's (XfrmInNoPols at b) and one that is c's
#      (XfrmInTmplMismatch at b) are refused, while b's SA counted them
#   6. revocation of c: a and b remove its SAs and policies
#   9. (before 6) a ca.crt holder forges initiations claiming c, with the
#      DATAPATH TLV, from 198.18.30.9: b answers them (its handshakes'
#      count says so) but adds no SA or policy towards that address, and
#      c stays on the kernel path
#  10. (before 6) weft reload moves d to the kernel path (datapath = kernel
#      in its weft.conf): d and a on it both ways, pinging; and back to
#      userspace: d's SAs, policies and interface gone, the pair pinging
#   7. a killed daemon (b, SIGKILL) leaves its SAs; the next start removes
#      them ("left by an earlier run") and b is back on the kernel path
#   8. a clean stop (a) leaves no SA, policy or interface of weft's, and a
#      foreign SA and policy made by hand before a started are still there
if [ -z "${WEFT_IN_VM:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "needs root"; exit 77; }
	exec "$(dirname "$0")/guest.sh" --timeout "${WEFT_VM_TIMEOUT:-900}" -- bash "$0" "$@"
fi
. "$(dirname "$0")/../netns/lib.sh.inc"
. "$(dirname "$0")/../netns/mesh.sh.inc"
need_netns
need_bin "$WEFT" "$BUILD/tests/hsforge"
need_cmd ip tcpdump python3 ping
TOOL=$WF_ROOT/tests/vm/esptool.py
echo "guest kernel: $(uname -r)"

NET=198.18.30
MESH_TIMERS="keepalive-interval = 1s
handshake-timeout = 1s
rekey-interval = 4s
log-level = debug"

bridge_create sw
for i in 1 2 3 4 9; do # e (.9) runs no weft: the forger of check 9
	n=$(echo abcd | cut -c$i)
	[ $i = 9 ] && n=e
	ns_create "$n"
	bridge_attach sw "$n" "$NET.$i/24" >/dev/null
	ns_quiet "$n" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
done
mesh_ca
MESH_EXTRA_CONF="datapath = kernel" mesh_node a 1 $NET.1
MESH_EXTRA_CONF="datapath = kernel" mesh_node b 2 $NET.2 $NET.1:51820
MESH_EXTRA_CONF="datapath = kernel
esp-encap = udp" mesh_node c 3 $NET.3 $NET.1:51820
MESH_EXTRA_CONF="datapath = userspace" mesh_node d 4 $NET.4 $NET.1:51820
declare -A num=([a]=1 [b]=2 [c]=3 [d]=4)

# --- helpers -----------------------------------------------------------------

path_of() { # path_of NODE PEER: the path NODE's status says PEER is on
	status_field "$1" "[p['path'] for p in d['peers'] if p['name'] == '$2'][0]"
}

path_is() { # path_is NODE PEER PATH
	[ "$(path_of "$1" "$2")" = "$3" ]
}

# The path a pair of a, b, c takes: c wants ESP in UDP.
kpath() { # kpath X Y
	case "$1$2" in *c*) echo kernel-udp ;; *) echo kernel ;; esac
}

xfrm_stat() { # xfrm_stat NS COUNTER: its value in /proc/net/xfrm_stat
	ns_quiet "$1" awk -v c="$2" '$1 == c { print $2 }' /proc/net/xfrm_stat
}

xfrm_errors() { # xfrm_errors NS: every non-zero xfrm error counter
	ns_quiet "$1" awk '$2 != 0 { print $1 "=" $2 }' /proc/net/xfrm_stat | tr '\n' ' '
}

our_sas() { # our_sas NS [MATCH]: weft's SAs in NS (those with an if_id), one line each
	ns_quiet "$1" ip -o xfrm state | { grep "if_id 0x776" || true; } | { grep -- "${2:-.}" || true; }
}

our_policies() { # our_policies NS [MATCH]
	ns_quiet "$1" ip -o xfrm policy | { grep "if_id 0x776" || true; } | { grep -- "${2:-.}" || true; }
}

cap_start() { # cap_start NAME NS: capture NS's underlay in $CAP
	CAP=$WF_TMP/$1.pcap
	CAP_NS=$2
	capture_start "$2" "$CAP" -Z root -s 128 -i to-sw
}

cap_stop() { # an end marker in clear from a to the captured node; then the capture holds all
	capture_end "$CAP" ns_exec a python3 "$TOOL" dgram "$NET.${num[$CAP_NS]}" 9
}

count() { pcap_count "$CAP" "$1"; } # count FILTER: packets in $CAP that match

# A foreign SA and policy, made by hand, before weft starts (check 8).
ns_exec a ip xfrm state add src $NET.1 dst $NET.9 proto esp spi 0x5000 mode tunnel \
	aead 'rfc4106(gcm(aes))' 0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f2021222324 128
ns_exec a ip xfrm policy add src 10.20.9.0/24 dst 10.20.8.0/24 dir out \
	tmpl src $NET.1 dst $NET.9 proto esp mode tunnel

for n in a b c d; do mesh_up $n; done
for x in a b c d; do
	for y in a b c d; do
		[ $x = $y ] || wait_for 60 peer_up $x $y
	done
done

# --- 1. the kernel path ------------------------------------------------------
for x in a b c; do
	for y in a b c; do
		[ $x = $y ] || wait_for 60 path_is $x $y "$(kpath $x $y)" ||
			fail "1: $x has $y on $(path_of $x $y), not $(kpath $x $y)"
	done
done
grep -q "data path: kernel" "${WF_DAEMON_LOG[${MESH_PID[a]}]}" || fail "1: a's log does not say kernel"
[ "$(status_field a 'd["node"]["datapath"]["path"]')" = kernel ] || fail "1: a's status does not say kernel"
for x in a b c; do
	for y in a b c; do
		[ $x = $y ] && continue
		ns_exec $x ping -c 2 -i 0.2 -w 30 100.64.0.${num[$y]} >/dev/null || fail "1: $x cannot ping $y"
		ns_exec $x ping -c 2 -i 0.2 -w 30 fd00::${num[$y]} >/dev/null || fail "1: $x cannot ping $y over IPv6"
	done
done
echo "check 1 passed"

# --- 2. a transfer across rekeys -----------------------------------------------
cap_start esp b
bg b python3 "$TOOL" recv 100.64.0.2 7000
rpid=$BG_PID rlog=$BG_LOG
bg b python3 "$TOOL" useq-recv 100.64.0.2 7001
upid=$BG_PID ulog=$BG_LOG
wait_for 60 grep -q listening "$rlog"
wait_for 60 grep -q listening "$ulog"
bg a python3 "$TOOL" useq-send 100.64.0.2 7001 "$WF_TMP/stop"
spid=$BG_PID
t0=$SECONDS
sent=$(ns_quiet a python3 "$TOOL" send 100.64.0.2 7000 "WEFT-MARKER-$$" 16384 | tail -n 1)
echo "16 MiB in $((SECONDS - t0)) s"
touch "$WF_TMP/stop"
bg_wait "$spid"
bg_wait "$rpid"
bg_wait "$upid"
got=$(tail -n 1 "$rlog")
echo "sent: $sent; received: $got; datagrams: $(tail -n 1 "$ulog")"
[ "$sent" = "$got" ] || fail "2: the transfer arrived damaged or incomplete"
grep -q "missing 0$" "$ulog" || fail "2: datagrams were lost: $(tail -n 1 "$ulog")"
cap_stop
esp=$(count "esp and src $NET.1 and dst $NET.2")
weft=$(count "udp port 51820 and host $NET.1 and host $NET.2")
spis=$(tcpdump -r "$CAP" -n "esp and src $NET.1 and dst $NET.2" 2>/dev/null |
	grep -o 'spi=0x[0-9a-f]*' | sort -u | wc -l)
echo "a -> b: $esp ESP packets under $spis SPIs; $weft weft datagrams either way"
[ "$esp" -ge 11000 ] || fail "2: $esp ESP packets for 16 MiB"
[ "$spis" -ge 2 ] || fail "2: no rekey during the transfer ($spis SPI)"
[ "$weft" -lt $((esp / 20)) ] || fail "2: $weft weft datagrams: the transfer went through weft"
grep -qaF "WEFT-MARKER-$$" "$CAP" && fail "2: the transfer is in clear on the wire"
for n in a b; do
	[ -z "$(xfrm_errors $n)" ] || fail "2: xfrm errors in $n: $(xfrm_errors $n)"
done
rx=$(status_field b "[p['esp']['rx_bytes'] for p in d['peers'] if p['name'] == 'a'][0]")
echo "b's status: $rx bytes from a through its SAs"
[ "$rx" -ge 16000000 ] || fail "2: b's status counts $rx bytes through a's SAs"
# The old keypairs' SAs went with them.
wait_until 30 '[ "$(our_sas a "$NET.2" | wc -l)" -le 3 ]' ||
	fail "2: a holds $(our_sas a "$NET.2" | wc -l) SAs with b"
echo "check 2 passed"

# --- 3. ESP in UDP ---------------------------------------------------------------
cap_start udp c
ns_exec a ping -c 5 -i 0.2 -w 30 100.64.0.3 >/dev/null || fail "3: a cannot ping c"
cap_stop
n=$(count "src $NET.1 and dst $NET.3 and udp port 51821")
echo "a -> c: $n datagrams of ESP in UDP"
[ "$n" -ge 5 ] || fail "3: no ESP in UDP from a to c"
[ "$(count "host $NET.1 and host $NET.3 and esp")" = 0 ] || fail "3: plain ESP between a and c"
echo "check 3 passed"

# --- 4. the mixed pair -------------------------------------------------------------
for xy in "a d" "d a"; do
	set -- $xy
	path_is $1 $2 userspace || fail "4: $1 has $2 on $(path_of $1 $2)"
done
cap_start mixed d
ns_exec a ping -c 5 -i 0.2 -w 30 100.64.0.4 >/dev/null || fail "4: a cannot ping d"
ns_exec d ping -c 5 -i 0.2 -w 30 fd00::1 >/dev/null || fail "4: d cannot ping a"
cap_stop
n=$(count "host $NET.1 and host $NET.4 and udp port 51820")
echo "a - d: $n weft datagrams"
[ "$n" -ge 20 ] || fail "4: the pings did not go through weft"
[ "$(count "host $NET.1 and host $NET.4 and (esp or udp port 51821)")" = 0 ] ||
	fail "4: ESP between a and d"
echo "check 4 passed"

# --- 5. cryptokey routing in the kernel ----------------------------------------
nopols=$(xfrm_stat b XfrmInNoPols) mismatch=$(xfrm_stat b XfrmInTmplMismatch)
bg b python3 "$TOOL" dgram-recv 100.64.0.2 7002 END
dpid=$BG_PID dlog=$BG_LOG
wait_for 60 grep -q listening "$dlog"
ns_exec a ip addr add 100.64.0.50/32 dev lo
ns_exec a ip addr add 100.64.0.3/32 dev lo
ns_exec a python3 "$TOOL" dgram-from 100.64.0.50 100.64.0.2 7002 "from-nobody"
ns_exec a python3 "$TOOL" dgram-from 100.64.0.3 100.64.0.2 7002 "from-c"
ns_exec a python3 "$TOOL" dgram-from 100.64.0.1 100.64.0.2 7002 "from-a"
ns_exec a python3 "$TOOL" dgram-from 100.64.0.1 100.64.0.2 7002 END
bg_wait "$dpid"
ns_exec a ip addr del 100.64.0.50/32 dev lo
ns_exec a ip addr del 100.64.0.3/32 dev lo
cat "$dlog"
grep -q from-a "$dlog" || fail "5: the control: a's own datagram did not arrive"
grep -q "from-nobody\|from-c" "$dlog" && fail "5: b took an inner source that is not a's"
echo "XfrmInNoPols $nopols -> $(xfrm_stat b XfrmInNoPols)," \
	"XfrmInTmplMismatch $mismatch -> $(xfrm_stat b XfrmInTmplMismatch)"
[ "$(xfrm_stat b XfrmInNoPols)" -gt "$nopols" ] || fail "5: not refused by b's kernel (no policy)"
[ "$(xfrm_stat b XfrmInTmplMismatch)" -gt "$mismatch" ] ||
	fail "5: c's address from a not refused by b's kernel (template)"
echo "check 5 passed"

# --- 9. forged initiations make nothing in the kernel ----------------------------
# e holds ca.crt and c's certificate, not c's key. Each initiation asks b
# for a kernel-path session; an answer (and ESP keys derived) would be
# fine, an SA or policy for a keypair nobody proved would not.
ans0=$(status_field b 'd["handshakes"]["answered"]')
ns_exec e "$BUILD/tests/hsforge" --ca "$WF_TMP/ca/ca.crt" --cert "$WF_TMP/c/node.crt" \
	--to $NET.2:51820 --datapath 1 --count 40 --interval 25 >/dev/null || fail "9: hsforge"
wait_until 30 '[ "$(status_field b "d[\"handshakes\"][\"answered\"]")" -gt "$ans0" ]' ||
	fail "9: b answered none of the forged initiations (nothing shown)"
echo "b answered $(($(status_field b 'd["handshakes"]["answered"]') - ans0)) initiations"
[ -z "$(our_sas b "$NET.9")" ] || fail "9: b added an SA for a forged initiation: $(our_sas b "$NET.9" | head -n 1)"
[ -z "$(our_policies b "$NET.9")" ] || fail "9: b added a policy towards the forger"
path_is b c kernel-udp || fail "9: b has c on $(path_of b c) after the forgeries"
ns_exec b ping -c 2 -i 0.2 -w 30 100.64.0.3 >/dev/null || fail "9: b cannot ping c"
echo "check 9 passed"

# --- 10. weft reload changes the path ------------------------------------------------
sed -i 's/^datapath = userspace$/datapath = kernel/' "$WF_TMP/d/weft.conf"
out=$(ns_quiet d "$WEFT" reload --dir "$WF_TMP/d" 2>&1) || fail "10: reload to kernel: $out"
echo "d: $out"
grep -qF "data path: kernel (interface weft0-x); every session made again" <<<"$out" ||
	fail "10: the reload does not say the kernel path runs"
for xy in "d a" "a d" "d b"; do
	set -- $xy
	wait_for 60 path_is $1 $2 kernel || fail "10: $1 has $2 on $(path_of $1 $2) after the reload"
done
ns_exec d ping -c 3 -i 0.2 -w 30 100.64.0.1 >/dev/null || fail "10: d cannot ping a on the kernel path"
sed -i 's/^datapath = kernel$/datapath = userspace/' "$WF_TMP/d/weft.conf"
out=$(ns_quiet d "$WEFT" reload --dir "$WF_TMP/d" 2>&1) || fail "10: reload to userspace: $out"
echo "d: $out"
grep -qF "data path: userspace (datapath = userspace in weft.conf); every session made again" \
	<<<"$out" || fail "10: the reload does not say the userspace path runs"
[ -z "$(our_sas d)" ] || fail "10: d's SAs outlived the kernel path: $(our_sas d | head -n 1)"
[ -z "$(our_policies d)" ] || fail "10: d's policies outlived the kernel path"
! ns_quiet d ip link show weft0-x 2>/dev/null || fail "10: d's interface outlived the kernel path"
wait_for 60 path_is a d userspace || fail "10: a has d on $(path_of a d) after d's reload"
wait_until 60 '[ -z "$(our_sas a "$NET.4")" ]' || fail "10: a holds SAs with d after d left the path"
ns_exec d ping -c 3 -i 0.2 -w 30 100.64.0.1 >/dev/null || fail "10: d cannot ping a after the reload"
echo "check 10 passed"

# --- 6. revocation ------------------------------------------------------------------
"$WEFT" ca revoke --dir "$WF_TMP/ca" --name c >/dev/null || fail "ca revoke"
ns_exec a "$WEFT" revoke --dir "$WF_TMP/a" "$WF_TMP/ca/revoked.list" || fail "weft revoke"
for n in a b; do
	wait_until 60 '[ -z "$(our_sas $n "$NET.3")" ] && [ -z "$(our_policies $n "100.64.0.3/")" ]' ||
		fail "6: $n still holds c's SAs or policies: $(our_sas $n "$NET.3" | cut -c1-80)"
done
echo "check 6 passed"

# --- 7. a killed daemon's leftovers ----------------------------------------------------
mesh_down b KILL
[ -n "$(our_sas b)" ] || fail "7: the killed daemon left no SA (nothing to show)"
echo "b left $(our_sas b | wc -l) SAs and $(our_policies b | wc -l) policies"
mesh_up b
wait_for 60 grep -q "removed [1-9][0-9]* SAs and [1-9][0-9]* policies left by an earlier run" \
	"${WF_DAEMON_LOG[${MESH_PID[b]}]}" || fail "7: b's start did not remove the leftovers"
wait_for 60 path_is b a kernel || fail "7: b is not back on the kernel path with a"
wait_for 60 path_is a b kernel || fail "7: a is not back on the kernel path with b"
ns_exec b ping -c 3 -i 0.2 -w 30 100.64.0.1 >/dev/null || fail "7: b cannot ping a"
echo "check 7 passed"

# --- 8. a clean stop ---------------------------------------------------------------------
mesh_down a
[ -z "$(our_sas a)" ] || fail "8: a's SAs outlived it: $(our_sas a | cut -c1-80)"
[ -z "$(our_policies a)" ] || fail "8: a's policies outlived it"
! ns_quiet a ip link show weft0-x 2>/dev/null || fail "8: a's interface outlived it"
ns_quiet a ip xfrm state get src $NET.1 dst $NET.9 proto esp spi 0x5000 >/dev/null ||
	fail "8: the foreign SA is gone"
ns_quiet a ip xfrm policy get src 10.20.9.0/24 dst 10.20.8.0/24 dir out >/dev/null ||
	fail "8: the foreign policy is gone"
echo "check 8 passed"
