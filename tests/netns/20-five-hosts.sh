#!/usr/bin/env bash
# Five hosts on one bridge, each given only the first host as bootstrap: the
# members learn of each other through it and handshake directly, so within
# seconds every one of the 20 directed pairs pings, and every node has a
# session with every other (a full mesh, nothing relayed).
. "$(dirname "$0")/lib.sh.inc"
. "$(dirname "$0")/mesh.sh.inc"
need_netns
need_bin "$WEFT"

hosts=(h1 h2 h3 h4 h5)
bridge_create sw
mesh_ca
for i in 1 2 3 4 5; do
	ns_create "h$i"
	bridge_attach sw "h$i" "198.18.1.$i/24"
	if [ "$i" = 1 ]; then
		mesh_node h1 1 198.18.1.1
	else
		mesh_node "h$i" "$i" "198.18.1.$i" 198.18.1.1:51820
	fi
done
for h in "${hosts[@]}"; do mesh_up "$h"; done

# Full mesh: every node has every other as an "up" peer.
for a in "${hosts[@]}"; do
	for b in "${hosts[@]}"; do
		[ "$a" = "$b" ] || wait_for 15 peer_up "$a" "$b"
	done
done
echo "full mesh formed after ${SECONDS}s"

pairs=0
for i in 1 2 3 4 5; do
	for j in 1 2 3 4 5; do
		[ "$i" = "$j" ] && continue
		wait_for 5 pings "h$i" "100.64.0.$j" || fail "h$i cannot ping h$j"
		pairs=$((pairs + 1))
	done
done
[ "$pairs" = 20 ] || fail "only $pairs pairs"

# Direct, not relayed: h2 reaches h5 at h5's own underlay address.
ep=$(status_field h2 'next(p["endpoint"] for p in d["peers"] if p["name"] == "h5")')
[ "$ep" = "198.18.1.5:51820" ] || fail "h2 reaches h5 via $ep, not directly"
ns_exec h3 "$WEFT" status --dir "$WF_TMP/h3"
echo "five hosts: all 20 directed pairs ping"
