#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# weft's kernel data path modules in the guest (Debian's 6.1 kernel, which
# has ESP): src/daemon/xfrm*.c, the xfrm interface in netlink.c and the ESP
# keys of core/esp.c, driven by tests/tools/xfrmctl, one boot for every
# check. The daemon does not use them yet; this holds the building blocks to
# what the daemon will need, against the kernel itself.
#
# Two namespaces on a veth pair (underlay 198.18.20.1 and .2, and fd00:18::1
# and ::2 for the IPv6 underlay), an xfrm interface "wx" in each with weft's
# if_id and the overlay addresses 100.64.1.1 / fd00:1::1 (a) and 100.64.2.1 /
# fd00:2::1 (b), routes to the peer's prefixes through it, and in, fwd and
# out policies for them; SAs keyed from fixed sessions through
# wf_esp_sa_keys. A capture of b's end of the link ends when a marker sent in
# clear between 198.18.21.1 and .2 (which no policy covers) shows up in it.
#   1. the probe: with module loading blocked it names what is missing (no
#      rfc7539esp(chacha20,poly1305); with esp4 unloaded, no ESP for IPv4);
#      with it allowed, both AEADs on both families are there
#   2. the control, no SAs yet: nothing passes, none of it in clear on the
#      wire, the kernel counts XfrmOutNoStates and asks for SAs (an acquire
#      event, parsed)
#   3. rfc4106(gcm(aes)): ping over IPv4 and IPv6, a TCP transfer arrives
#      whole; the wire holds only ESP, with the keypair's indices as SPIs and
#      no marker; every SA's counters (GETSA) moved; no xfrm error
#   4. cryptokey routing in the kernel: a datagram from an inner source
#      outside a's prefixes, and one from a third peer's prefix, sent through
#      a's SA, never arrive (while one from a's own address does), and b
#      counts XfrmInNoPols and XfrmInTmplMismatch
#   5. rekey, make-before-break, under a running TCP transfer and a stream of
#      numbered datagrams: new inbound SAs, then new outbound ones replacing
#      the old, then the old inbound removed: the transfer arrives whole, no
#      datagram missing, no xfrm error; the control: deleting the receiving
#      SA first loses datagrams, and the same counting sees it
#   6. lifetimes: the new outbound SA's soft packet limit gives a soft expire
#      (the SA goes on working); an SA with 1 s and 2 s limits gives a soft
#      and a hard expire, and the kernel deleted it
#   7. rfc7539esp(chacha20,poly1305), as 3
#   8. ESP in UDP (port 51821): nothing passes without the receiver's
#      encapsulation socket; with xfrmctl's sockets, only UDP 51821 on the
#      wire, the SPIs right after the UDP header; with a foreign policy
#      covering the two underlay addresses, a socket without the per-socket
#      bypass gets nothing (XfrmInTmplMismatch) and weft's still works
#   9. the IPv6 underlay: as 3, the wire holds only ESP over IPv6
#  10. ownership: a foreign SA and policy made by hand, and an SA with another
#      if_id, are still there after weft's flush, which removed all of its
#      own; a start-up removes an xfrm interface with weft's if_id and leaves
#      one with another if_id, and anything that is not an xfrm interface
if [ -z "${WEFT_IN_VM:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "needs root"; exit 77; }
	exec "$(dirname "$0")/guest.sh" --timeout "${WEFT_VM_TIMEOUT:-900}" -- bash "$0" "$@"
fi
. "$(dirname "$0")/../netns/lib.sh.inc"
need_netns
need_cmd ip tcpdump python3 ping
X=$BUILD/tests/xfrmctl
TOOL=$WF_ROOT/tests/vm/esptool.py
need_bin "$X"
echo "guest kernel: $(uname -r)"

W=0x77660001       # weft's if_id in this test
FOREIGN=0x77660002 # another owner's
A=198.18.20.1 B=198.18.20.2 A6=fd00:18::1 B6=fd00:18::2 # underlay
MA=198.18.21.1 MB=198.18.21.2                           # the end markers, in clear
OA=100.64.1.1 OB=100.64.2.1 OA6=fd00:1::1 OB6=fd00:2::1 # overlay
PA=100.64.1.0/24,fd00:1::/64 PB=100.64.2.0/24,fd00:2::/64
PC=100.64.3.0/24 C=198.18.20.3 # a third peer, known to b only
ENCAP=51821

ns_create a b
link_veth a $A/24 b $B/24
ns_exec a ip addr add $MA/24 dev to-b
ns_exec b ip addr add $MB/24 dev to-a
ns_exec a ip addr add $A6/64 dev to-b nodad
ns_exec b ip addr add $B6/64 dev to-a nodad
# Reverse-path filtering off, so that what refuses a spoofed inner source in
# check 4 can only be xfrm.
for n in a b; do
	ns_quiet $n sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
done

# --- helpers -----------------------------------------------------------------

x() { # x NS ARGS...: xfrmctl in NS
	local n=$1
	shift
	ns_exec "$n" "$X" "$@"
}

xq() { # xq NS ARGS...: the same, not echoed (for its output)
	local n=$1
	shift
	ns_quiet "$n" "$X" "$@"
}

# keypair SESSION CIPHER LINDEX_A LINDEX_B UNDER_A UNDER_B [DIR [ARGS...]]:
# one keypair's SAs on both ends; a initiated. DIR (default both) is what each
# end adds; ARGS go to both.
keypair() {
	local s=$1 c=$2 ia=$3 ib=$4 ua=$5 ub=$6 dir=${7:-both}
	shift $(($# < 7 ? $# : 7))
	local common="cipher=$c session=$s reqid=1 if_id=$W"
	x a sa dir=$dir role=initiator $common local=$ua remote=$ub lindex=$ia rindex=$ib "$@"
	x b sa dir=$dir role=responder $common local=$ub remote=$ua lindex=$ib rindex=$ia "$@"
}

policies() { # policies UNDER_A UNDER_B: each end's policies for the other
	x a policy peer=$PB local=$1 remote=$2 reqid=1 if_id=$W
	x b policy peer=$PA local=$2 remote=$1 reqid=1 if_id=$W
}

sa_field() { # sa_field NS DST SPI FIELD: one value from xfrmctl sa-get
	ns_quiet "$1" "$X" sa-get "$2" "$3" | tr ' ' '\n' | awk -F= -v f="$4" '$1 == f { print $2 }'
}

sa_gone() { # sa_gone NS DST SPI: the SA does not exist
	! ns_quiet "$1" "$X" sa-get "$2" "$3" >/dev/null 2>&1
}

xfrm_stat() { # xfrm_stat NS COUNTER: its value in /proc/net/xfrm_stat
	ns_quiet "$1" awk -v c="$2" '$1 == c { print $2 }' /proc/net/xfrm_stat
}

xfrm_snapshot() { # keep each side's counters, for xfrm_errors
	local n
	for n in a b; do
		ns_quiet $n cat /proc/net/xfrm_stat >"$WF_TMP/xfrm_stat.$n"
	done
}

xfrm_errors() { # xfrm_errors NS: the counters that rose since xfrm_snapshot
	ns_quiet "$1" cat /proc/net/xfrm_stat |
		awk 'NR == FNR { was[$1] = $2; next } $2 != was[$1] { print $1 "=" was[$1] "->" $2 }' \
			"$WF_TMP/xfrm_stat.$1" -
}

no_xfrm_errors() { # no_xfrm_errors CHECK: neither side counted an xfrm error
	local n
	for n in a b; do
		[ -z "$(xfrm_errors $n)" ] || fail "$1: xfrm errors in $n: $(xfrm_errors $n | tr '\n' ' ')"
	done
}

cap_start() { # cap_start NAME: capture b's end of the link in $CAP
	CAP=$WF_TMP/$1.pcap
	capture_start b "$CAP" -Z root -s 0 -i to-a
}

cap_stop() { # an end marker in clear from a; once the capture holds it, it holds all before
	capture_end "$CAP" ns_exec a python3 "$TOOL" dgram "$MB" 9
}

count() { pcap_count "$CAP" "$1"; } # count FILTER: packets in $CAP that match

markers() { # how many times $MARKER is in $CAP, in clear
	{ grep -aoF "$MARKER" "$CAP" || true; } | wc -l
}

transfer() { # transfer NAME: pings over both overlay families and a TCP transfer a -> b
	local sent got
	MARKER="WEFT-MARKER-$1-$$-$RANDOM"
	bg b python3 "$TOOL" recv $OB 7000
	local rlog=$BG_LOG rpid=$BG_PID
	wait_for 60 grep -q listening "$rlog"
	ns_exec a ping -c 3 -i 0.2 -w 60 $OB
	ns_exec a ping -c 3 -i 0.2 -w 60 $OB6
	sent=$(ns_exec a python3 "$TOOL" send $OB 7000 "$MARKER" 256 | tail -n 1)
	bg_wait "$rpid"
	got=$(tail -n 1 "$rlog")
	echo "sent: $sent; received: $got"
	[ "$sent" = "$got" ] || fail "$1: the TCP transfer arrived damaged or incomplete"
}

counters() { # counters UNDER_A UNDER_B SPI_A SPI_B: "packets" of the keypair's 4 SAs
	echo "$(sa_field a "$2" "$4" packets) $(sa_field b "$2" "$4" packets)" \
		"$(sa_field b "$1" "$3" packets) $(sa_field a "$1" "$3" packets)"
}

# esp_check NAME PAIR WIRE SPI_AT SPI_A SPI_B BEFORE AFTER: after a capture of
# traffic with SAs in place: only WIRE between the PAIR, each side's SPI (at
# SPI_AT in the packet), no marker in clear; each of the four SAs counted
# packets (BEFORE and AFTER: counters' output).
esp_check() {
	local name=$1 pair=$2 wire=$3 at=$4 n i
	local -a before=($7) after=($8)
	n=$(count "$pair and $wire")
	echo "$name: $n packets of '$wire' on the wire"
	[ "$n" -ge 10 ] || fail "$name: expected ESP on the wire, saw $n packets"
	n=$(count "$pair and not ($wire)")
	[ "$n" = 0 ] || { tcpdump -r "$CAP" -n "$pair and not ($wire)" | head; fail "$name: $n packets between the two were not '$wire'"; }
	[ "$(count "$pair and $wire and $at = $6")" -gt 0 ] || fail "$name: no packet with SPI $6 (a -> b)"
	[ "$(count "$pair and $wire and $at = $5")" -gt 0 ] || fail "$name: no packet with SPI $5 (b -> a)"
	n=$(markers)
	[ "$n" = 0 ] || fail "$name: the marker is in the capture in clear ($n times)"
	for i in 0 1 2 3; do
		[ "${after[i]:-0}" -gt "${before[i]:-0}" ] ||
			fail "$name: SA counters (a out, b in, b out, a in) did not all move: ${before[*]} -> ${after[*]}"
	done
	echo "ok: $name: only '$wire', SPIs $6 and $5 on it, no marker; SA packets ${before[*]} -> ${after[*]}"
}

# --- set-up ------------------------------------------------------------------

# 1. The probe. The kernel's own module loading blocked (the guest's
# modprobe path is its own), so that what it lacks is really missing: first
# esp4 (loaded at boot, unused yet), then, with esp4 back, chacha20poly1305.
MODPROBE=$(cat /proc/sys/kernel/modprobe)
lsmod | grep -q '^chacha20poly1305 ' && fail "1. chacha20poly1305 is loaded already: nothing to show"
echo /bin/false >/proc/sys/kernel/modprobe
rmmod esp4
out=$(xq a probe gcm 4 $W) && fail "1. probe: gcm without esp4: '$out'"
echo "without esp4: $out"
[ "$out" = "no: the kernel has no ESP for IPv4 (CONFIG_INET_ESP)" ] || fail "1. probe: no esp4: '$out'"
modprobe esp4
out=$(xq a probe chacha 4 $W) && fail "1. probe: chacha without its module: '$out'"
echo "without chacha20poly1305: $out"
[ "$out" = "no: the kernel has no rfc7539esp(chacha20,poly1305) (CONFIG_CRYPTO_CHACHA20POLY1305)" ] ||
	fail "1. probe: chacha: '$out'"
echo "$MODPROBE" >/proc/sys/kernel/modprobe
for c in gcm chacha; do
	for f in 4 6; do
		out=$(xq a probe $c $f $W) || fail "1. probe $c IPv$f: $out"
	done
done
[ -z "$(ns_quiet a ip xfrm state)" ] || fail "1. the probe left an SA behind"
echo "ok: 1. the probe names what is missing, then finds both AEADs on IPv4 and IPv6"

for n in a b; do
	o=$OA o6=$OA6
	[ $n = a ] || o=$OB o6=$OB6
	x $n iface wx $W 1400 $o/32 $o6/128
done
x a route wx 100.64.2.0/24
x a route wx fd00:2::/64
x b route wx 100.64.1.0/24
x b route wx fd00:1::/64
x b route wx $PC
policies $A $B
x b policy peer=$PC local=$B remote=$C reqid=3 if_id=$W
bg a "$X" events $W 1000
EVENTS=$BG_LOG
wait_for 60 grep -q ready "$EVENTS"

# 2. The control: policies, no SAs.
xfrm_snapshot
cap_start control
ns_exec a ping -c 2 -i 0.2 -W 1 $OB && fail "control: a ping got through without SAs"
cap_stop
n=$(count "host $A and host $B")
[ "$n" = 0 ] || fail "control: $n packets between $A and $B without SAs"
[ "$(count "host $MA and host $MB and udp")" -gt 0 ] || fail "control: the capture missed the marker sent in clear"
[ "$(xfrm_stat a XfrmOutNoStates)" -gt "$(awk '$1 == "XfrmOutNoStates" { print $2 }' "$WF_TMP/xfrm_stat.a")" ] ||
	fail "control: a did not count XfrmOutNoStates"
wait_for 60 grep -q "^acquire dst $B reqid 1 inner $OA -> $OB\$" "$EVENTS"
echo "ok: 2. the control: without SAs nothing passes and nothing leaks; XfrmOutNoStates; acquire: $(grep -m1 acquire "$EVENTS")"

# 3. AES-GCM.
ia=0x1001 ib=0x2002
keypair s1 gcm $ia $ib $A $B
xfrm_snapshot
before=$(counters $A $B $ia $ib)
cap_start gcm
transfer gcm
cap_stop
esp_check "3. rfc4106(gcm(aes))" "ip and host $A and host $B" esp 'ip[20:4]' $ia $ib "$before" "$(counters $A $B $ia $ib)"
no_xfrm_errors "3. gcm"
ns_exec a ip -s xfrm state get src $A dst $B proto esp spi $ib

# 4. Cryptokey routing in the kernel: b takes from a's SA only what a's
# prefixes hold.
ns_exec a ip addr add 100.64.9.1/32 dev wx # in nobody's prefixes
ns_exec a ip addr add 100.64.3.1/32 dev wx # in the third peer's
bg b python3 "$TOOL" dgram-recv $OB 7001 WEFT-LEGIT
RLOG=$BG_LOG RPID=$BG_PID
wait_for 60 grep -q listening "$RLOG"
nopols=$(xfrm_stat b XfrmInNoPols) tmpl=$(xfrm_stat b XfrmInTmplMismatch)
got_before=$(sa_field b $B $ib packets)
ns_exec a python3 "$TOOL" dgram-from 100.64.9.1 $OB 7001 WEFT-SPOOF-NOBODY
ns_exec a python3 "$TOOL" dgram-from 100.64.3.1 $OB 7001 WEFT-SPOOF-PEER-C
ns_exec a python3 "$TOOL" dgram-from $OA $OB 7001 WEFT-LEGIT
bg_wait "$RPID"
cat "$RLOG"
! grep -q SPOOF "$RLOG" || fail "4. a spoofed inner source arrived"
wait_until 60 '[ "$(xfrm_stat b XfrmInNoPols)" -gt '"$nopols"' ]'
wait_until 60 '[ "$(xfrm_stat b XfrmInTmplMismatch)" -gt '"$tmpl"' ]'
got=$(sa_field b $B $ib packets)
[ "$got" -ge $((got_before + 3)) ] || fail "4. b's SA did not decrypt the three datagrams ($got_before -> $got)"
echo "ok: 4. cryptokey routing: decrypted ($got_before -> $got packets) and refused: XfrmInNoPols $nopols -> $(xfrm_stat b XfrmInNoPols), XfrmInTmplMismatch $tmpl -> $(xfrm_stat b XfrmInTmplMismatch); the legitimate one arrived"

# 5. and 6. Rekey, make-before-break, under load.
streams_start() { # streams_start NAME: a TCP stream and numbered datagrams a -> b
	STOP=$WF_TMP/stop.$1
	MARKER="WEFT-MARKER-$1-$$-$RANDOM"
	bg b python3 "$TOOL" recv $OB 7002
	TRX_LOG=$BG_LOG TRX_PID=$BG_PID
	bg b python3 "$TOOL" useq-recv $OB 7003
	URX_LOG=$BG_LOG URX_PID=$BG_PID
	wait_for 60 grep -q listening "$TRX_LOG"
	wait_for 60 grep -q listening "$URX_LOG"
	bg a python3 "$TOOL" stream $OB 7002 "$MARKER" "$STOP"
	TTX_LOG=$BG_LOG TTX_PID=$BG_PID
	bg a python3 "$TOOL" useq-send $OB 7003 "$STOP"
	UTX_LOG=$BG_LOG UTX_PID=$BG_PID
}

streams_stop() { # end both; MISSING: datagrams lost; fails if the TCP stream broke
	touch "$STOP"
	bg_wait "$TTX_PID"
	bg_wait "$UTX_PID"
	bg_wait "$TRX_PID"
	bg_wait "$URX_PID"
	echo "TCP sent: $(tail -n 1 "$TTX_LOG"); received: $(tail -n 1 "$TRX_LOG")"
	echo "datagrams: sent $(tail -n 1 "$UTX_LOG"); $(tail -n 1 "$URX_LOG")"
	[ "$(tail -n 1 "$TTX_LOG")" = "$(tail -n 1 "$TRX_LOG")" ] || fail "$1: the TCP stream arrived damaged"
	MISSING=$(tail -n 1 "$URX_LOG" | awk '{ print $NF }')
}

rising() { # rising NS DST SPI: wait until the SA's packet count rises
	local was
	was=$(sa_field "$1" "$2" "$3" packets)
	wait_until 60 '[ "$(sa_field '"$1 $2 $3"' packets)" -gt '"${was:-0}"' ]'
}

xfrm_snapshot
streams_start rekey
rising b $B $ib # the old keypair carries the streams
ja=0x1003 jb=0x2004
keypair s2 gcm $ja $jb $A $B in            # new inbound, both ends
keypair s2 gcm $ja $jb $A $B out soft-packets=200 # then new outbound...
x a sa-del $B $ib                          # ...replacing the old
x b sa-del $A $ia
rising b $B $jb # the new keypair carries them, both ways
rising a $A $ja
x a sa-del $A $ia # then the old inbound goes
x b sa-del $B $ib
rising b $B $jb
streams_stop "5. rekey"
[ "$MISSING" = 0 ] || fail "5. rekey: $MISSING datagrams lost"
no_xfrm_errors "5. rekey"
sa_gone a $A $ia && sa_gone a $B $ib && sa_gone b $A $ia && sa_gone b $B $ib ||
	fail "5. rekey: an old SA is still there"
echo "ok: 5. rekey make-before-break under load: the stream whole, no datagram missing, no xfrm error, the old SAs gone"

# The control: deleting the receiving SA before the sender moves loses
# datagrams, and the same counting sees it.
streams_start break
rising b $B $jb
was=$(xfrm_stat b XfrmInNoStates)
x b sa-del $B $jb
wait_until 60 '[ "$(xfrm_stat b XfrmInNoStates)" -gt '"$was"' ]'
x b sa dir=in role=responder cipher=gcm session=s2 reqid=1 if_id=$W local=$B remote=$A \
	lindex=$jb rindex=$ja # b's inbound back
rising b $B $jb
streams_stop "5. break-before-make"
[ "$MISSING" -gt 0 ] || fail "5. control: break-before-make lost nothing: the check cannot see loss"
echo "ok: 5. the control: break-before-make lost $MISSING datagrams (XfrmInNoStates $was -> $(xfrm_stat b XfrmInNoStates))"

# 6. Lifetimes. The new outbound SA's soft packet limit (200) was passed.
wait_for 60 grep -q "^expire soft dst $B spi $jb " "$EVENTS"
grep "^expire" "$EVENTS"
ns_exec a ping -c 1 -W 5 $OB || fail "6. the SA stopped after its soft expire"
x a sa dir=in role=initiator cipher=gcm session=s9 reqid=9 if_id=$W local=$A remote=$B \
	lindex=0x1009 rindex=0x2009 soft-seconds=1 hard-seconds=2
wait_for 60 grep -q "^expire soft dst $A spi 0x1009 " "$EVENTS"
wait_for 60 grep -q "^expire hard dst $A spi 0x1009 " "$EVENTS"
sa_gone a $A 0x1009 || fail "6. the kernel kept an SA past its hard limit"
echo "ok: 6. lifetimes: a soft expire at 200 packets (the SA goes on); soft and hard at 1 s and 2 s, and the SA is gone"

# 7. ChaCha20-Poly1305.
x a sa-del $A $ja
x a sa-del $B $jb
x b sa-del $A $ja
x b sa-del $B $jb
ka=0x1005 kb=0x2006
keypair s3 chacha $ka $kb $A $B
xfrm_snapshot
before=$(counters $A $B $ka $kb)
cap_start chacha
transfer chacha
cap_stop
esp_check "7. rfc7539esp(chacha20,poly1305)" "ip and host $A and host $B" esp 'ip[20:4]' $ka $kb "$before" "$(counters $A $B $ka $kb)"
no_xfrm_errors "7. chacha"

# 8. ESP in UDP.
for n in a b; do
	x $n sa-del $A $ka
	x $n sa-del $B $kb
done
la=0x1007 lb=0x2008
keypair s4 gcm $la $lb $A $B both encap=$ENCAP:$ENCAP
ns_exec a ping -c 1 -W 2 $OB && fail "8. ESP in UDP passed with no encapsulation socket"
echo "ok: 8. the control: no encapsulation socket, nothing passes"
bg a "$X" encap $A $ENCAP
ENCAP_A=$BG_PID
wait_for 60 grep -q ready "$BG_LOG"
bg b "$X" encap $B $ENCAP
ENCAP_B=$BG_PID
wait_for 60 grep -q ready "$BG_LOG"
xfrm_snapshot
before=$(counters $A $B $la $lb)
cap_start udp
transfer udp
cap_stop
esp_check "8. ESP in UDP" "ip and host $A and host $B" "udp port $ENCAP" 'udp[8:4]' $la $lb "$before" "$(counters $A $B $la $lb)"
[ "$(count esp)" = 0 ] || fail "8. bare ESP on the wire"
no_xfrm_errors "8. udp"
[ "$(sa_field a $B $lb encap)" = "$ENCAP:$ENCAP" ] || fail "8. GETSA: encap $(sa_field a $B $lb encap)"
# A foreign transport-mode policy covering the underlay addresses, at b.
ns_exec b ip xfrm policy add src $A/32 dst $B/32 dir in tmpl src $A dst $B proto esp mode transport
kill -TERM "$ENCAP_B"
bg_wait "$ENCAP_B" || true
bg b python3 "$TOOL" encap-nobypass $B $ENCAP
NOBYPASS=$BG_PID
wait_for 60 grep -q ready "$BG_LOG"
was=$(xfrm_stat b XfrmInTmplMismatch)
ns_exec a ping -c 1 -W 2 $OB && fail "8. a socket without the bypass took ESP in UDP under a foreign policy"
wait_until 60 '[ "$(xfrm_stat b XfrmInTmplMismatch)" -gt '"$was"' ]'
kill -TERM "$NOBYPASS"
bg_wait "$NOBYPASS" || true
bg b "$X" encap $B $ENCAP
ENCAP_B=$BG_PID
wait_for 60 grep -q ready "$BG_LOG"
ns_exec a ping -c 2 -i 0.2 -w 60 $OB || fail "8. weft's socket (with the bypass) under a foreign policy"
ns_exec b ip xfrm policy del src $A/32 dst $B/32 dir in
echo "ok: 8. under a foreign policy covering the underlay, a socket without the bypass gets nothing (XfrmInTmplMismatch $was -> $(xfrm_stat b XfrmInTmplMismatch)), weft's gets through"
for p in "$ENCAP_A" "$ENCAP_B"; do
	kill -TERM "$p"
	bg_wait "$p" || true
done

# 9. The IPv6 underlay: new policies (their templates name the tunnel).
x a flush $W
x b flush $W
policies $A6 $B6
ma=0x100b mb=0x200c
keypair s5 gcm $ma $mb $A6 $B6
xfrm_snapshot
before=$(counters $A6 $B6 $ma $mb)
cap_start v6
transfer v6
cap_stop
esp_check "9. IPv6 underlay" "ip6 and host $A6 and host $B6 and not icmp6" 'ip6 proto 50' 'ip6[40:4]' $ma $mb "$before" "$(counters $A6 $B6 $ma $mb)"
no_xfrm_errors "9. v6"

# 10. Ownership. Things weft did not make, then weft's flush.
ns_exec a ip xfrm state add src $A dst 198.18.20.9 proto esp spi 0x999 mode tunnel \
	aead 'rfc4106(gcm(aes))' 0x$(printf '%072d' 7) 128
ns_exec a ip xfrm policy add src 100.64.77.0/24 dst 100.64.78.0/24 dir out \
	tmpl src $A dst 198.18.20.9 proto esp mode tunnel
x a sa dir=in role=initiator cipher=gcm session=s7 reqid=7 if_id=$FOREIGN local=$A \
	remote=$B lindex=0x100d rindex=0x200e
ns_exec a ip xfrm state
out=$(xq a flush $W)
echo "$out"
[ "$out" = "flushed 2 SAs, 6 policies" ] || fail "10. flush: '$out', expected 2 SAs and 6 policies"
ns_quiet a ip xfrm state get src $A dst 198.18.20.9 proto esp spi 0x999 >/dev/null ||
	fail "10. the foreign SA is gone"
[ "$(sa_field a $A 0x100d if_id)" = "$FOREIGN" ] || fail "10. the other owner's SA is gone"
ns_quiet a ip xfrm policy get src 100.64.77.0/24 dst 100.64.78.0/24 dir out >/dev/null ||
	fail "10. the foreign policy is gone"
! ns_quiet a ip xfrm state | grep -q "if_id $W" || fail "10. an SA of weft's is left"
! ns_quiet a ip xfrm policy | grep -q "if_id $W" || fail "10. a policy of weft's is left"
[ "$(xq a flush $W)" = "flushed 0 SAs, 0 policies" ] || fail "10. a second flush found more"
ns_exec a ip link add xf type xfrm if_id $FOREIGN
ns_exec a ip link add dm type dummy
[ "$(xq a iface-clean xf $W)" = "foreign: another if_id" ] || fail "10. iface-clean: another's xfrm interface"
[ "$(xq a iface-clean dm $W)" = "foreign: not an xfrm interface" ] || fail "10. iface-clean: a dummy"
[ "$(xq a iface-clean wx $W)" = removed ] || fail "10. iface-clean: weft's"
[ "$(xq a iface-clean wx $W)" = none ] || fail "10. iface-clean: weft's, again"
ns_quiet a ip link show xf >/dev/null && ns_quiet a ip link show dm >/dev/null ||
	fail "10. iface-clean removed what was not weft's"
echo "ok: 10. ownership: weft's flush removed its own 2 SAs and 6 policies, and left the hand-made SA and policy and another owner's SA; only weft's interface was removed"
echo "all xfrm module checks passed"
