#!/usr/bin/env bash
# The dispatcher: --help everywhere (stdout, exit 0), --version, and unknown or
# missing commands (one stderr line, exit 2).
. "$(dirname "$0")/lib.sh.inc"

for args in "--help" "-h" "help"; do
	expect_ok "$WEFT" $args
	for c in "ca init" "ca sign" "ca renew" "ca revoke" keygen "node init" "cert show" up status \
		reload revoke check; do
		expect_out "^  $c "
	done
	[ -s "$ERR" ] && fail "weft $args wrote to stderr"
done
for c in "ca init" "ca sign" "ca renew" "ca revoke" keygen "node init" "cert show" reload revoke \
	check; do
	expect_ok "$WEFT" $c --help
	expect_out "^Usage: weft $c"
	[ -s "$ERR" ] && fail "weft $c --help wrote to stderr"
	expect_ok "$WEFT" $c -h
	expect_out "^Usage: weft $c"
	expect_ok "$WEFT" help $c
	expect_out "^Usage: weft $c"
done
for g in ca node cert; do
	expect_ok "$WEFT" $g --help
	expect_out "^  $g "
	expect_fail -c 2 "^weft: $g: missing command; commands: $g " "$WEFT" $g
	expect_fail -c 2 "^weft: $g: unknown command 'frob'" "$WEFT" $g frob
done
# reload with no daemon says so (netns/94 reloads a running one).
mkdir -p n
printf 'name = n\nlisten = 198.18.0.1:51820\n' >n/weft.conf
expect_fail -c 1 "^weft: reload: the daemon is not running" "$WEFT" reload --dir n
# --help wins over anything else on the line.
expect_ok "$WEFT" ca sign --dir nowhere --help
expect_out "^Usage: weft ca sign"
expect_ok "$WEFT" --version
expect_out "^weft [0-9]+\.[0-9]+"
expect_fail -c 2 "^weft: missing command" "$WEFT"
expect_fail -c 2 "^weft: unknown command 'frob'" "$WEFT" frob
expect_fail -c 2 "^weft: unknown command 'frob'" "$WEFT" help frob
echo "all help tests passed"
