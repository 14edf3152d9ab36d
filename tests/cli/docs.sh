#!/usr/bin/env bash
# The docs cannot drift from the code: every command of the README's "Using
# it", of docs/deploy.md and of weft(8)'s EXAMPLES is run here, as written,
# one document at a time, with every absolute path moved under a scratch
# directory ($T/root, $T/etc) and the hosts played by that one directory:
# prompts ("admin#", "db1#") are dropped, `ssh HOST 'CMD'` runs CMD here and
# `scp` copies. What needs a running system (systemctl, journalctl, ping, the
# daemon: weft up, status, reload; firewalls, routes, resolvers, package managers and dpkg, jq) is left out
# and counted. Each
# document must yield a minimum number of weft commands, so that an extraction
# that breaks fails rather than passes empty. And `make install` into a
# DESTDIR must create /etc/weft, mode 0700, which the copy step relies on.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh.inc"

extract() { # extract DOC: the document's commands, one shell line each
	python3 - "$1" <<'PY'
import re, sys
path = sys.argv[1]
text = open(path).read()
blocks = []
if path.endswith(".8"):
    ex = text.split(".SH EXAMPLES", 1)[1].split(".SH ", 1)[0]
    for b in re.findall(r"^\.nf\n(.*?)^\.fi", ex, re.S | re.M):
        b = "\n".join(l for l in b.split("\n") if not l.startswith("."))
        blocks.append(b.replace("\\-", "-").replace("\\e", "\\"))
elif path.endswith("README.md"):
    sec = text.split("## Using it", 1)[1].split("\n## ", 1)[0]
    blocks.append("\n".join(l[4:] for l in sec.split("\n") if l.startswith("    ")))
else:
    # Blocks without a language are commands; a block marked as another
    # language (```ini: a systemd drop-in) is not run, and is not taken for
    # the start of one.
    blocks = [b for lang, b in re.findall(r"^```(\w*)\n(.*?)^```", text, re.S | re.M) if not lang]
skip = re.compile(r"^(systemctl|journalctl|ping|sudo|make|apt|dpkg|nft|iptables|ip6tables|ufw|sysctl|ip|echo|resolvectl|getent|"
                  r"weft (status|up|reload)|weft: |#)")
for b in blocks:
    b = re.sub(r"\\\n\s*", " ", b)          # continuation lines
    for line in b.split("\n"):
        line = re.sub(r"^\s*[\w-]+#\s+", "", line).strip()
        line = re.sub(r"\s+# .*$", "", line)  # trailing comments
        if not line:
            continue
        if skip.match(line) or "jq" in line or line.startswith("admin#"):
            print("# skipped: " + line)
            continue
        print(line)
PY
}

run_doc() { # run_doc DOC MIN: run its commands in a scratch tree
	local doc=$1 min=$2 dir=$T/$(basename "$1") n
	mkdir -p "$dir/root" "$dir/etc/weft" "$dir/cwd"
	chmod 0700 "$dir/etc/weft"
	extract "$ROOT/$doc" | sed -e "s|/root/|$dir/root/|g; s|/etc/weft|$dir/etc/weft|g" \
		-e "s|ssh root@[^ ]* '\\(.*\\)'$|sh -c '\\1'|" \
		-e "s|^scp \\(.*\\)|scp_local \\1|" >"$dir/script"
	n=$(grep -c "^weft " "$dir/script" || true)
	echo "== $doc: $n weft commands, $(grep -c "^# skipped" "$dir/script") lines left out"
	[ "$n" -ge "$min" ] || fail "$doc: only $n weft commands found (expected $min or more)"
	(
		cd "$dir/cwd"
		scp_local() { # scp [HOST:]SRC... [HOST:]DST, on one machine
			local args=("${@/#*:/}") dst
			dst=${args[-1]}
			for src in "${args[@]:0:${#args[@]}-1}"; do
				[ "$src" -ef "$dst" ] || [ "$src" -ef "$dst/$(basename "$src")" ] ||
					cp -p "$src" "$dst"
			done
		}
		weft() { "$WEFT" "$@"; }
		set -e
		while IFS= read -r cmd; do
			case $cmd in "#"*) continue ;; esac
			echo "+ $cmd"
			eval "$cmd" >"$OUT" 2>"$ERR" || { cat "$OUT" "$ERR"; echo "FAILED: $cmd"; exit 1; }
		done <"$dir/script"
	) || fail "$doc: a documented command failed"
}

run_doc README.md 2
run_doc docs/deploy.md 6
run_doc docs/weft.8 6
# What deploy.md made: both nodes' directories, complete and valid.
for n in web1 db1; do
	d=$T/deploy.md/etc/weft/$n
	for f in node.key node.crt ca.crt weft.conf; do
		[ -e "$d/$f" ] || fail "deploy.md: $d/$f was not made"
	done
	expect_ok "$WEFT" cert show "$d/node.crt"
	expect_out "signature: *valid"
done
[ "$(stat -c %a "$T/deploy.md/etc/weft/web1")" = 700 ] || fail "deploy.md: web1 is not mode 0700"
[ "$(stat -c %a "$T/deploy.md/etc/weft/web1/node.key")" = 600 ] || fail "node.key mode"

# make install: /etc/weft, mode 0700.
san=
[ "${BUILD:-build}" = build-san ] && san=address,undefined
make -s -C "$ROOT" install DESTDIR="$T/dest" PREFIX=/usr SAN="$san" >"$OUT" 2>"$ERR" ||
	fail "make install failed: $(cat "$ERR")"
[ "$(stat -c %a "$T/dest/etc/weft")" = 700 ] || fail "make install: /etc/weft missing or not 0700"
[ -x "$T/dest/usr/bin/weft" ] && [ -e "$T/dest/etc/systemd/system/weft@.service" ] ||
	fail "make install: binary or unit missing"
grep -q "^ExecStart=/usr/bin/weft" "$T/dest/etc/systemd/system/weft@.service" ||
	fail "the unit does not run the installed binary"
echo "all docs examples ran"
