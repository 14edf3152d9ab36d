#!/usr/bin/env bash
# A peer killed (SIGKILL, no goodbye) and restarted is back in the mesh within
# seconds, and the sessions of the others between themselves are untouched:
# no new handshake between them, no packet lost.
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT"

bridge_create sw
mesh_ca
for i in 1 2 3 4; do
	ns_create "h$i"
	bridge_attach sw "h$i" "198.18.3.$i/24"
done
mesh_node h1 1 198.18.3.1
for i in 2 3 4; do mesh_node "h$i" "$i" "198.18.3.$i" 198.18.3.1:51820; done
for i in 1 2 3 4; do mesh_up "h$i"; done
for a in h1 h2 h3 h4; do
	for b in h1 h2 h3 h4; do
		[ "$a" = "$b" ] || wait_for 15 peer_up "$a" "$b"
	done
done
age() { status_field h2 'next(p["last_handshake_seconds"] for p in d["peers"] if p["name"] == "h3")'; }
before=$(age) t_before=$SECONDS

for victim in h4 h1; do # an ordinary node, then the bootstrap node itself
	mesh_down "$victim" KILL
	sleep 1 # down for a second: part of the scenario
	mesh_up "$victim"
	start=$SECONDS
	for o in h1 h2 h3 h4; do
		[ "$o" = "$victim" ] && continue
		wait_for 20 peer_up "$o" "$victim" || fail "$o does not see $victim again"
		wait_for 10 pings "$o" "100.64.0.${victim#h}" || fail "$o cannot reach $victim"
		wait_for 10 pings "$victim" "100.64.0.${o#h}" || fail "$victim cannot reach $o"
	done
	echo "$victim back in the mesh after $((SECONDS - start)) s"
done

# h2-h3 kept their session all along: its age grew by the time that passed
# (both in whole seconds: 2 s of slack).
after=$(age) elapsed=$((SECONDS - t_before))
echo "h2-h3 session: ${before}s old before, ${after}s old after, ${elapsed}s later"
[ "$after" -ge $((before + elapsed - 2)) ] || fail "the h2-h3 session was re-established"
ns_exec h2 ping -c 5 -i 0.2 100.64.0.3
echo "restart: OK"
