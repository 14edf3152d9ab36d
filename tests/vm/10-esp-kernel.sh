#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The kernel's IPsec data path by hand, without weft: the reference the weft
# kernel backend will be held to. It runs in the guest (tests/vm/guest.sh:
# this host's kernel has no ESP and no GCM), one boot for every check. Two
# namespaces on a veth pair; ESP SAs and policies set with `ip xfrm`, in
# transport mode, between 198.18.7.1 and 198.18.7.2; a capture on b's end of
# the link, ended when an end marker sent in clear between 198.18.8.1 and
# 198.18.8.2 (which no policy covers) shows up in it. For each case, ping and
# a TCP transfer full of a marker string go across, and then:
#   1. no SAs (the control): the capture holds the pings and the marker in
#      clear, so the checks below can fail
#   2. rfc4106(gcm(aes)): only ESP (IP protocol 50) between the two, with the
#      SPIs set, no marker; each receiving SA counted packets; no xfrm errors
#   3. the same in UDP (encap espinudp 4500 4500): only UDP port 4500, no bare
#      ESP; each side holds a UDP_ENCAP_ESPINUDP socket on port 4500, which
#      bypasses the policies; first without the bypass: the policy that covers
#      the two addresses drops the datagrams before ESP is looked for in them
#      (XfrmInTmplMismatch), so nothing gets through
#   4. rfc7539esp(chacha20,poly1305), as 2
#   5. rfc4106(gcm(aes)) with another key on the receiving side: nothing gets
#      through, and the receiver counts the packets that failed to decrypt
if [ -z "${WEFT_IN_VM:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "needs root"; exit 77; }
	exec "$(dirname "$0")/guest.sh" --timeout "${WEFT_VM_TIMEOUT:-900}" -- bash "$0" "$@"
fi
. "$(dirname "$0")/../netns/lib.sh.inc"
need_netns
need_cmd ip tcpdump python3 ping
TOOL=$WF_ROOT/tests/vm/esptool.py
echo "guest kernel: $(uname -r)"

A=198.18.7.1 B=198.18.7.2   # what the policies cover
MA=198.18.8.1 MB=198.18.8.2 # the end markers' pair, in clear
SPI_AB=0x1001 SPI_BA=0x1002

ns_create a b
link_veth a $A/24 b $B/24
ns_exec a ip addr add $MA/24 dev to-b
ns_exec b ip addr add $MB/24 dev to-a

key() { # key BYTES: random, in hex
	od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'
}

# sas ALGO KEY_AB KEY_BA KEY_AB_AT_B [ENCAP...]: one SA each way on both hosts,
# and policies that require them (in and out), in transport mode. b may be
# given another key for a->b than a has.
sas() {
	local algo=$1 kab=$2 kba=$3 kab_b=$4 n k
	shift 4
	for n in a b; do
		k=$kab
		[ $n = a ] || k=$kab_b
		ns_exec $n ip xfrm state add src $A dst $B proto esp spi $SPI_AB reqid 1 \
			mode transport aead "$algo" "0x$k" 128 "$@"
		ns_exec $n ip xfrm state add src $B dst $A proto esp spi $SPI_BA reqid 2 \
			mode transport aead "$algo" "0x$kba" 128 "$@"
	done
	ns_exec a ip xfrm policy add src $A/32 dst $B/32 dir out \
		tmpl src $A dst $B proto esp reqid 1 mode transport
	ns_exec a ip xfrm policy add src $B/32 dst $A/32 dir in \
		tmpl src $B dst $A proto esp reqid 2 mode transport
	ns_exec b ip xfrm policy add src $B/32 dst $A/32 dir out \
		tmpl src $B dst $A proto esp reqid 2 mode transport
	ns_exec b ip xfrm policy add src $A/32 dst $B/32 dir in \
		tmpl src $A dst $B proto esp reqid 1 mode transport
}

flush() {
	local n
	for n in a b; do
		ns_exec $n ip xfrm policy flush
		ns_exec $n ip xfrm state flush
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

markers() { # how many times the marker is in $CAP, in clear
	{ grep -aoF "$MARKER" "$CAP" || true; } | wc -l
}

traffic() { # traffic NAME: a capture of pings and a TCP transfer from a to b
	local sent got
	MARKER="WEFT-MARKER-$1-$$-$RANDOM"
	xfrm_snapshot
	bg b python3 "$TOOL" recv $B 7000
	local rlog=$BG_LOG rpid=$BG_PID
	wait_for 60 grep -q listening "$rlog"
	cap_start "$1"
	ns_exec a ping -c 3 -i 0.2 -w 60 $B
	sent=$(ns_exec a python3 "$TOOL" send $B 7000 "$MARKER" 256 | tail -n 1)
	bg_wait "$rpid"
	got=$(tail -n 1 "$rlog")
	echo "sent: $sent; received: $got"
	[ "$sent" = "$got" ] || fail "$1: the TCP transfer arrived damaged or incomplete"
	cap_stop
}

# Every counter in /proc/net/xfrm_stat counts an error.
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

xfrm_stat() { # xfrm_stat NS COUNTER: its value in /proc/net/xfrm_stat
	ns_quiet "$1" awk -v c="$2" '$1 == c { print $2 }' /proc/net/xfrm_stat
}

# blocked NAME COUNTER: a ping from a to b gets no answer, and b's COUNTER
# (in /proc/net/xfrm_stat) rises: the kernel saw the packets and refused them.
blocked() {
	local before
	before=$(xfrm_stat b "$2")
	if ns_exec a ping -c 1 -W 1 $B; then
		fail "$1: a ping got through"
	fi
	wait_until 60 '[ "$(xfrm_stat b '"$2"')" -gt '"$before"' ]'
	echo "ok: $1: no answer; b's $2 went from $before to $(xfrm_stat b "$2")"
}

sa_packets() { # sa_packets NS SRC DST SPI: packets the SA counted
	ns_quiet "$1" ip -s xfrm state get src "$2" dst "$3" proto esp spi "$4" |
		awk '/lifetime current:/ { getline; sub(/\(packets\)/, "", $2); print $2 }'
}

# check_esp NAME WIRE_FILTER SPI_AT: after traffic with SAs in place,
# only WIRE_FILTER between A and B, the two SPIs (at SPI_OFF in their
# protocol's header), the receiving SAs used, no error.
check_esp() {
	local name=$1 wire=$2 spi_at=$3 pair="host $A and host $B" n
	ns_exec a ip -s xfrm state
	n=$(count "$pair and $wire")
	echo "$name: $n packets of '$wire' between $A and $B"
	[ "$n" -ge 8 ] || fail "$name: expected ESP on the wire, saw $n packets"
	n=$(count "$pair and not ($wire)")
	[ "$n" = 0 ] || { tcpdump -r "$CAP" -n "$pair and not ($wire)" | head; fail "$name: $n packets between $A and $B were not '$wire'"; }
	n=$(count "$pair and src $A and $spi_at = $SPI_AB")
	[ "$n" -gt 0 ] || fail "$name: no packet from a with SPI $SPI_AB"
	n=$(count "$pair and src $B and $spi_at = $SPI_BA")
	[ "$n" -gt 0 ] || fail "$name: no packet from b with SPI $SPI_BA"
	n=$(markers)
	[ "$n" = 0 ] || fail "$name: the marker is in the capture in clear ($n times)"
	n=$(sa_packets b $A $B $SPI_AB)
	[ "${n:-0}" -gt 0 ] || fail "$name: b's SA $SPI_AB received nothing"
	n=$(sa_packets a $B $A $SPI_BA)
	[ "${n:-0}" -gt 0 ] || fail "$name: a's SA $SPI_BA received nothing"
	for n in a b; do
		[ -z "$(xfrm_errors $n)" ] || fail "$name: xfrm errors in $n: $(xfrm_errors $n | tr '\n' ' ')"
	done
	echo "ok: $name"
}

# 1. The control: without SAs the capture sees everything in clear.
traffic clear
n=$(count "host $A and host $B and icmp")
m=$(markers)
echo "clear: $n ICMP packets, the marker $m times"
[ "$n" -ge 6 ] && [ "$m" -gt 0 ] || fail "control: the capture does not show the traffic in clear"
[ "$(count esp)" = 0 ] || fail "control: ESP without SAs"
echo "ok: the control (the checks can see plaintext)"

GCM='rfc4106(gcm(aes))' # key: AES-256 and a 4-byte salt
CHACHA='rfc7539esp(chacha20,poly1305)' # key: 32 bytes and a 4-byte salt

# 2. AES-GCM, ESP.
k1=$(key 36) k2=$(key 36)
sas "$GCM" "$k1" "$k2" "$k1"
traffic gcm
check_esp "$GCM" esp 'ip[20:4]'
flush

# 3. AES-GCM, ESP in UDP: the receiver needs an encapsulation socket, and
# that socket a policy bypass.
encap_sockets() { # encap_sockets MODE: one on each side; their PIDs in ENCAP_PIDS
	local n addr
	ENCAP_PIDS=()
	for n in a b; do
		addr=$A
		[ $n = a ] || addr=$B
		bg $n python3 "$TOOL" "$1" $addr 4500
		ENCAP_PIDS+=("$BG_PID")
		wait_for 60 grep -q ready "$BG_LOG"
	done
}
k1=$(key 36) k2=$(key 36)
sas "$GCM" "$k1" "$k2" "$k1" encap espinudp 4500 4500 0.0.0.0
encap_sockets encap-nobypass
blocked "ESP in UDP to a socket without the policy bypass" XfrmInTmplMismatch
for p in "${ENCAP_PIDS[@]}"; do
	kill -TERM "$p"
	bg_wait "$p" || true
done
encap_sockets encap
traffic gcm-udp
check_esp "$GCM in UDP" 'udp port 4500' 'udp[8:4]'
[ "$(count esp)" = 0 ] || fail "ESP in UDP: bare ESP on the wire"
flush

# 4. ChaCha20-Poly1305, ESP.
k1=$(key 36) k2=$(key 36)
sas "$CHACHA" "$k1" "$k2" "$k1"
traffic chacha
check_esp "$CHACHA" esp 'ip[20:4]'
flush

# 5. The receiver has another key for a->b: the packets arrive and fail.
k1=$(key 36) k2=$(key 36)
sas "$GCM" "$k1" "$k2" "$(key 36)"
blocked "a wrong key" XfrmInStateProtoError
flush
echo "all ESP checks passed"
