#!/usr/bin/env bash
# The bash completion (dist/bash-completion/weft), run in bash with
# COMP_WORDS as bash-completion sets them: subcommands, each command's
# options (every one its --help lists, so the two cannot drift apart),
# option values, node directories under WEFT_CONFIG_ROOT, files. Numbered.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh.inc"
. "$ROOT/dist/bash-completion/weft"
n=0

# complete WORDS...: what completing the last word offers, sorted, one a line.
complete_words() {
	COMP_WORDS=("weft" "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="${COMP_WORDS[*]}"
	COMP_POINT=${#COMP_LINE}
	_weft
	printf '%s\n' "${COMPREPLY[@]}" | sort
}

# offers WORDS... -- WANT...: completing WORDS offers exactly WANT.
offers() {
	local words=() want got
	while [ "$1" != -- ]; do words+=("$1"); shift; done
	shift
	n=$((n + 1))
	want=$(printf '%s\n' "$@" | sort)
	got=$(complete_words "${words[@]}")
	echo "+ $n. weft ${words[*]}<TAB> -> $(echo $got)"
	[ "$got" = "$want" ] || fail "$n. offered '$(echo $got)', wanted '$(echo $want)'"
}

# includes WORDS... -- WANT...: completing WORDS offers at least WANT.
includes() {
	local words=() w got
	while [ "$1" != -- ]; do words+=("$1"); shift; done
	shift
	n=$((n + 1))
	got=$(complete_words "${words[@]}")
	echo "+ $n. weft ${words[*]}<TAB> includes $*"
	for w in "$@"; do
		grep -qxF -- "$w" <<<"$got" || fail "$n. '$w' not offered (got: $(echo $got))"
	done
}

offers "" -- ca keygen node cert check up status reload revoke help --help --version
offers c -- ca cert check
offers ca "" -- init sign renew revoke list
offers ca r -- renew revoke
offers ca l -- list
offers node "" -- init
offers cert "" -- show
offers help s -- status
offers check --w -- --warnings-ok
offers ca init --network prod --cipher "" -- aes-256-gcm chacha20-poly1305

# Every option each command's --help lists is offered (and no other).
for c in "ca init" "ca sign" "ca renew" "ca revoke" "ca list" keygen "node init" "cert show" up status \
	reload revoke check; do
	n=$((n + 1))
	want=$( ("$WEFT" $c --help | grep -oE -- "--[a-z][a-z-]+"; echo --help) | sort -u)
	# shellcheck disable=SC2086
	got=$(complete_words $c -- | sort -u)
	echo "+ $n. weft $c --<TAB> = its --help"
	[ "$got" = "$want" ] || fail "$n. $c: offered '$(echo $got)', --help lists '$(echo $want)'"
done

# Node directories: those under the root with a weft.conf, and directories.
mkdir -p etc/web1 etc/db1 etc/empty plain
touch etc/web1/weft.conf etc/db1/weft.conf
export WEFT_CONFIG_ROOT=$PWD/etc
includes status --dir "" -- "$PWD/etc/web1" "$PWD/etc/db1" plain
n=$((n + 1))
complete_words check --dir "" | grep -qx "$PWD/etc/empty" && fail "$n. a directory without weft.conf offered as a node"
includes ca init --dir p -- plain
n=$((n + 1))
complete_words ca init --dir "" | grep -q "etc/web1" && fail "$n. a node directory offered for a CA"
touch plain/node.crt
includes cert show plain/ -- plain/node.crt
includes ca sign --pubkey plain/ -- plain/node.crt
# A value is not an option: nothing offered after --name.
offers ca sign --name "" --
offers ca init --allow-route "" --
# ca renew's --ca is a flag (renew ca.crt), not a file: options follow it.
includes ca renew --ca --a -- --allow-route
echo "all completion tests passed ($n cases)"
