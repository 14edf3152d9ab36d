#!/usr/bin/env bash
# The harness's own positive control (hardening item 7): a test whose daemon
# prints a sanitizer report, or exits non-zero on SIGTERM, must fail even if
# its own checks all pass; one whose daemon exits cleanly must not. The
# "daemon" here is a stand-in script run exactly as mesh_up runs weft. And
# wait_until must evaluate its condition anew at each poll.
. "$(dirname "$0")/lib.sh.inc"
need_netns

fake=$WF_TMP/fakeweft
inner=$WF_TMP/inner.sh
cat >"$inner" <<INNER
. "$WF_ROOT/tests/netns/lib.sh.inc"
ns_create a
bg a "\$WEFT" up --dir "$WF_TMP"
# Running, with its TERM handler in place (TERM before that would kill it
# the default way, which is not what this test is about).
wait_for 10 test -e "$WF_TMP/ready"
echo "the test's own checks passed"
INNER

run_inner() { # run_inner ON_TERM: the inner test's exit status, its daemon doing ON_TERM
	# The stand-in idles in a loop of short sleeps, as a daemon waits.
	printf '#!/bin/sh\ntrap '\''%s'\'' TERM\ntouch "$3/ready"\nwhile :; do sleep 0.1; done\n' "$1" >"$fake"
	chmod +x "$fake"
	rm -f "$WF_TMP/ready"
	local rc=0
	WEFT=$fake bash "$inner" >"$WF_TMP/inner.log" 2>&1 || rc=$?
	echo "$rc"
}

rc=$(run_inner 'exit 0')
[ "$rc" = 0 ] || { cat "$WF_TMP/inner.log"; fail "a clean daemon failed the test ($rc)"; }
rc=$(run_inner 'echo "==9==ERROR: LeakSanitizer: detected memory leaks" >&2; exit 0')
[ "$rc" = 1 ] || fail "a sanitizer report did not fail the test ($rc)"
grep -q "sanitizer report" "$WF_TMP/inner.log" || fail "the report was not named"
rc=$(run_inner 'exit 3')
[ "$rc" = 1 ] || fail "a daemon exiting 3 on SIGTERM did not fail the test ($rc)"
grep -q "exited with status 3" "$WF_TMP/inner.log" || fail "the status was not named"
echo "harness: daemon failures fail the test"

# wait_until evaluates its condition at every poll: a counter that reaches 3
# only after some polls is seen; one that never does times out.
polls=$WF_TMP/polls
echo 0 >"$polls"
bump() { echo $(($(cat "$polls") + 1)) >"$polls"; cat "$polls"; }
wait_until 5 '[ "$(bump)" -ge 3 ]' || fail "wait_until did not see a condition that became true"
[ "$(cat "$polls")" = 3 ] || fail "wait_until did not poll again ($(cat "$polls") polls)"
if wait_until 0.3 '[ "$(cat "$polls")" -ge 100 ]' 2>/dev/null; then
	fail "wait_until passed a condition that never held"
fi
echo "harness: wait_until polls its condition"
