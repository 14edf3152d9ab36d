#!/usr/bin/env bash
# weft status without a daemon to talk to: which node directory it picks
# without --dir, and what it says when nothing listens, when the daemon does
# not answer (stopped, hung), and when the user may not ask. (The rendering of
# a real answer is tests/unit/test_status; netns tests query real daemons.)
. "$(dirname "$0")/lib.sh.inc"

node() { # node DIR: a minimal node directory
	mkdir -p "$1"
	printf 'name = n\nlisten = 198.18.0.1:51820\ncontrol = %s/weft.sock\n' "$PWD/$1" >"$1/weft.conf"
}

mkdir etc
export WEFT_CONFIG_ROOT=$PWD/etc
expect_fail -c 1 "no node directory in .*/etc .*give --dir NODEDIR" "$WEFT" status
node etc/web1
expect_fail -c 1 "the daemon is not running \(nothing listens on .*/etc/web1/weft.sock: no such socket\)" \
	"$WEFT" status
node etc/db1
expect_fail -c 1 "2 node directories in .*/etc \(.*/etc/(db1|web1), .*/etc/(db1|web1)\); say which with --dir" \
	"$WEFT" status
node etc
expect_fail -c 1 "nothing listens on .*/etc/weft.sock" "$WEFT" status
unset WEFT_CONFIG_ROOT

# A socket file nobody listens on any more (a daemon killed with -9).
python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' stale.sock
expect_fail -c 1 "the daemon is not running \(nothing listens on stale.sock\)" \
	"$WEFT" status --socket stale.sock
# A typo in weft.conf (the daemon runs on the file it read before): status
# says so, naming the line, and still asks the socket the file names.
cp etc/web1/weft.conf typo.conf
printf 'listn = 1\ncontrol = %s/stale.sock\n' "$PWD" >>etc/web1/weft.conf
rc=0
"$WEFT" status --dir etc/web1 2>typo.err || rc=$?
echo "+ status with a typo in weft.conf: exit $rc"; cat typo.err
[ "$rc" = 1 ] || fail "status with a typo and no daemon exited $rc"
grep -q "^weft: warning: .*etc/web1/weft.conf:4: unknown key 'listn'" typo.err ||
	fail "status does not name the broken line"
grep -q "^weft: status: the daemon is not running (nothing listens on $PWD/stale.sock)" typo.err ||
	fail "status did not ask the socket the file names"
cp typo.conf etc/web1/weft.conf
# --check: a monitoring system's line on stdout, CRITICAL (exit 2).
rc=0
out=$("$WEFT" status --socket stale.sock --check) || rc=$?
echo "+ status --check with no daemon: exit $rc: $out"
[ "$rc" = 2 ] || fail "--check with no daemon exited $rc, not 2 (CRITICAL)"
[[ $out == "CRITICAL: the daemon is not running (nothing listens on stale.sock)"* ]] ||
	fail "--check with no daemon said '$out'"
expect_fail -c 2 "--json, --check, --dump and --watch go alone" "$WEFT" status --socket stale.sock --json --check
expect_fail -c 2 "--json, --check, --dump and --watch go alone" "$WEFT" status --socket stale.sock --dump --watch
expect_fail -c 2 "--interval and --count go with --watch" "$WEFT" status --socket stale.sock --count 2
expect_fail -c 2 "--interval: '0.05' is not a number of seconds" "$WEFT" status --socket stale.sock --watch --interval 0.05
expect_fail -c 2 "--count: 'x' is not a whole number" "$WEFT" status --socket stale.sock --watch --count x
# --dump and --watch with no daemon: the same error as the table, exit 1.
expect_fail -c 1 "the daemon is not running" "$WEFT" status --socket stale.sock --dump
expect_fail -c 1 "the daemon is not running" "$WEFT" status --socket stale.sock --watch --count 1

# A daemon that is stopped (SIGSTOP) or hung: it never answers. Bounded.
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
open(sys.argv[2], "w").close()
time.sleep(30)' hung.sock ready &
hung=$!
for _ in $(seq 50); do [ -e ready ] && break; sleep 0.1; done
start=$SECONDS
expect_fail -c 1 "the daemon does not answer on hung.sock \(is it stopped or hung" \
	"$WEFT" status --socket hung.sock
kill "$hung"
wait "$hung" 2>/dev/null
echo "gave up after $((SECONDS - start)) s"

# Not root, not the daemon's user: the socket's mode says no.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	mkdir -m 0755 pub
	python3 -c '
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o600); s.listen(1)
open(sys.argv[2], "w").close()
time.sleep(30)' pub/weft.sock pub-ready &
srv=$!
	for _ in $(seq 50); do [ -e pub-ready ] && break; sleep 0.1; done
	chmod 0755 "$T"
	expect_fail -c 1 "permission denied on .*pub/weft.sock: only root and the daemon's own user may ask it \(try sudo\)" \
		su nobody -s /bin/sh -c "$WEFT status --socket $T/pub/weft.sock"
	kill "$srv"
	wait "$srv" 2>/dev/null
fi
echo "all status tests passed"
