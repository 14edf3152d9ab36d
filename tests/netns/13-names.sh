#!/usr/bin/env bash
# Names (DNS): each node answers NAME.test on port 53 of its overlay
# addresses with the addresses in NAME's certificate. Three hosts, h3 with
# dns = no and started late: h1 and h2 answer for each other and themselves
# (A and AAAA, over IPv4 and IPv6, asked locally and across the mesh), say
# NXDOMAIN for a name nobody holds and REFUSED outside the domain, answer
# h3's name within a few seconds of its joining; h3's port 53 answers
# nothing while h1 answers h3; the status JSON counts it all; and glibc's
# resolver, pointed at h1 for the namespace, finds the names.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT"
need_cmd python3 getent

ask() { # ask NS SERVER NAME TYPE: the answer as dnsask.py prints it
	ns_quiet "$1" python3 "$WF_ROOT/tests/netns/dnsask.py" "$2" "$3" "$4"
}
expect() { # expect NS SERVER NAME TYPE ANSWER...: the answer is exactly that
	local got want
	got=$(ask "$1" "$2" "$3" "$4")
	want=${*:5}
	echo "[$1] @$2 $3 $4: $got"
	[ "$got" = "$want" ] || fail "[$1] asked $2 for $3 $4: '$got', not '$want'"
}
answers() { # answers NS SERVER NAME TYPE ANSWER...: for wait_for
	[ "$(ask "$1" "$2" "$3" "$4")" = "${*:5}" ]
}

mesh_ca
mesh_star 3 198.18.13
echo "dns = no" >>"$WF_TMP/h3/weft.conf"
mesh_up h1
mesh_up h2
wait_for 10 peer_up h1 h2
wait_for 10 peer_up h2 h1

# 1. Every node that answers, asked locally and from the other host, over
#    IPv4 and IPv6, for each member's A and AAAA: what the certificates say.
for server in h1:100.64.0.1 h1:fd00::1 h2:100.64.0.2 h2:fd00::2; do
	srv=${server#*:}
	for from in h1 h2; do
		wait_for 5 answers "$from" "$srv" h2.test A NOERROR 100.64.0.2
		for n in 1 2; do
			expect "$from" "$srv" "h$n.test" A NOERROR "100.64.0.$n"
			expect "$from" "$srv" "h$n.test" AAAA NOERROR "fd00::$n"
		done
		expect "$from" "$srv" H1.TEST A NOERROR 100.64.0.1 # case does not matter
	done
done

# 2. A name nobody holds (h3 is not up yet): NXDOMAIN; outside the domain:
#    REFUSED (not an open resolver).
expect h1 100.64.0.1 nobody.test A NXDOMAIN
expect h2 100.64.0.1 h3.test A NXDOMAIN
expect h1 100.64.0.1 example.com A REFUSED
expect h2 fd00::2 test.example AAAA REFUSED

# 3. h3 joins (dns = no): h1 and h2 answer for it within a few seconds.
mesh_up h3
wait_for 10 peer_up h3 h1
wait_for 5 answers h1 100.64.0.1 h3.test A NOERROR 100.64.0.3
wait_for 5 answers h2 100.64.0.2 h3.test AAAA NOERROR fd00::3
expect h3 100.64.0.1 h3.test A NOERROR 100.64.0.3 # h3 asks h1 across the mesh

# 4. dns = no: nothing answers on h3's port 53 (h1 just answered h3 itself,
#    the control), and its status says names are off.
expect h3 100.64.0.3 h3.test A timeout
expect h1 fd00::3 h1.test AAAA timeout
[ "$(status_field h3 'd["node"]["dns"]["enabled"]')" = False ] || fail "h3's status: dns enabled"
if grep -q "names: answering" "${WF_DAEMON_LOG[${MESH_PID[h3]}]}"; then
	fail "h3 says it answers names"
fi

# 5. The status JSON: h1 names three, for domain test, and counted what it
#    was asked (in 1 to 3 above at least 16 queries; an NXDOMAIN, a REFUSED).
status_json h1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["node"]["dns"])'
[ "$(status_field h1 'd["node"]["dns"]["domain"]')" = test ] || fail "h1's domain is not test"
[ "$(status_field h1 'd["node"]["dns"]["names"]')" = 3 ] || fail "h1 does not name 3 members"
status_field h1 'd["node"]["dns"]["queries"] >= 16 and d["node"]["dns"]["answered"] >= 16' |
	grep -q True || fail "h1's status: fewer than 16 queries answered"
status_field h1 'd["node"]["dns"]["nxdomain"] >= 1 and d["node"]["dns"]["refused"] >= 1' |
	grep -q True || fail "h1's status: no NXDOMAIN or REFUSED counted"
ns_quiet h1 "$WEFT" status --dir "$WF_TMP/h1" | grep '^names: 3 under test, ' ||
	fail "h1's weft status does not say names: 3 under test"
q0=$(status_field h1 'd["node"]["dns"]["queries"]')
expect h2 100.64.0.1 h2.test A NOERROR 100.64.0.2
[ "$(status_field h1 'd["node"]["dns"]["queries"]')" -gt "$q0" ] || fail "h1's queries did not rise"

# 6. A real resolver: glibc in h2, with ip netns exec's resolv.conf for the
#    namespace pointing at h1, finds h3 by name.
conf=/etc/netns/$(ns_name h2)
mkdir -p "$conf"
trap 'rm -rf "$conf"; _wf_cleanup' EXIT
echo "nameserver 100.64.0.1" >"$conf/resolv.conf"
out=$(ns_quiet h2 getent ahostsv4 h3.test) || fail "getent found no h3.test through h1"
echo "[h2] getent ahostsv4 h3.test: $(echo "$out" | head -n 1)"
echo "$out" | grep -q '^100\.64\.0\.3 ' || fail "getent: h3.test is not 100.64.0.3"
rm -rf "$conf"
trap _wf_cleanup EXIT

# 7. A member that floods h1's names with 1000 questions from one address
#    gets its budget's worth (100 at once, 100 a second) and no more: the
#    rest are dropped and counted, and another member is still answered.
d0=$(status_field h1 'd["node"]["dns"]["dropped"]')
a0=$(status_field h1 'd["node"]["dns"]["answered"]')
q0=$(status_field h1 'd["node"]["dns"]["queries"]')
out=$(ns_quiet h2 python3 "$WF_ROOT/tests/netns/dnsask.py" flood 100.64.0.1 h3.test 1000)
echo "[h2] $out"
secs=$(echo "$out" | awk '{ print int($4) + 1 }')
expect h3 100.64.0.1 h2.test A NOERROR 100.64.0.2
# (h3's question after the flood: when it is counted, so is the flood.)
settled() { [ "$(status_field h1 'd["node"]["dns"]["queries"]')" -ge $((q0 + 901)) ]; }
wait_for 10 settled || fail "h1 did not get 900 of the 1000 questions"
answered=$(( $(status_field h1 'd["node"]["dns"]["answered"]') - a0 - 1 ))
dropped=$(( $(status_field h1 'd["node"]["dns"]["dropped"]') - d0 ))
echo "flood of 1000 in under ${secs}s: $answered answered, $dropped dropped"
[ "$answered" -le $((100 + 100 * secs)) ] || fail "h1 answered $answered of a flood (budget: 100 + 100/s)"
[ "$dropped" -ge $((900 - 100 - 100 * secs)) ] || fail "h1 dropped only $dropped of the flood"
