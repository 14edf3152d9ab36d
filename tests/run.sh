#!/usr/bin/env bash
# Runs weft's test suite against the binaries in $BUILD (default build/).
#   tests/run.sh [--fuzz] [--no-vm] [--only unit|vectors|sim|cli|netns|vm|fuzz] [--netns 'NN NN ...']
# Prints one line per test and a closing "N passed, N failed, N skipped".
# --netns: only the namespace tests whose numbers are listed.
# vm: the tests that need what this machine's kernel lacks (ESP), each in one boot of a
# QEMU guest (tests/vm/guest.sh, docs/testing.md); --no-vm leaves them out, and
# says so.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD WEFT="$PWD/$BUILD/weft"
fuzz=0
only=
netns_only=
no_vm=0
while [ $# -gt 0 ]; do
	case $1 in
	--fuzz) fuzz=1 ;;
	--no-vm) no_vm=1 ;;
	--only) only=$2; shift ;;
	--netns) netns_only=" $2 "; shift ;;
	*) echo "usage: $0 [--fuzz] [--no-vm] [--only unit|vectors|sim|cli|netns|vm|fuzz] [--netns 'NN ...']" >&2; exit 2 ;;
	esac
	shift
done

pass=0 fail=0 skip=0 failed=()
logdir=$BUILD/test-logs
mkdir -p "$logdir"

run() { # run NAME CMD...: a test passes on exit 0, is skipped on exit 77
	local name=$1 log rc start
	shift
	log=$logdir/$(echo "$name" | tr '/ ' '__').log
	start=$SECONDS
	"$@" >"$log" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && grep -q '^\[  SKIPPED \]' "$log"; then
		# A cmocka binary that skipped cases passed the rest: say so.
		pass=$((pass + 1)); skip=$((skip + 1))
		echo "ok    $name ($((SECONDS - start))s), but skipped:" \
			"$(grep '^\[  SKIPPED \]' "$log" | sed 's/.*\] //' | sort -u | tr '\n' ' ')"
	elif [ $rc -eq 0 ]; then
		pass=$((pass + 1)); echo "ok    $name ($((SECONDS - start))s)"
	elif [ $rc -eq 77 ]; then
		skip=$((skip + 1)); echo "skip  $name: $(tail -n 1 "$log")"
	else
		fail=$((fail + 1)); failed+=("$name")
		echo "FAIL  $name (exit $rc)"
		# The reason first: daemon logs dumped at cleanup can bury it.
		grep -m 5 -E '^(FAIL|wait_for|\[  (FAILED|ERROR) )' "$log" | sed 's/^/    /'
		echo "    last lines of $log:"
		tail -n 40 "$log" | sed 's/^/    /'
	fi
}

want() { [ -z "$only" ] || [ "$only" = "$1" ]; }

if want unit; then
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] && run "unit/$(basename "$t")" "$t"
	done
fi
if want vectors && [ -x "$BUILD/tests/noise_vectors" ]; then
	run "vectors/noise-cacophony" "$BUILD/tests/noise_vectors" --require-ix \
		"${WEFT_VECTORS:-../shared/vectors/noise/cacophony.txt}"
fi
if want sim && [ -x "$BUILD/tests/sim" ]; then
	run "sim/1000-nodes" "$BUILD/tests/sim" -n 1000 --check
	# Past full-mesh-max: gossip over the sessions kept (make sim-sparse: 1,000).
	run "sim/500-nodes-sparse" "$BUILD/tests/sim" -n 500 --sparse --check
fi
if want cli; then
	for t in tests/cli/*.sh; do
		[ -f "$t" ] && run "cli/$(basename "$t" .sh)" bash "$t"
	done
fi
if want fuzz && { [ $fuzz = 1 ] || [ "$only" = fuzz ]; }; then
	run "fuzz/smoke" make --no-print-directory fuzz-short FUZZ_SHORT_SECONDS="${FUZZ_SHORT_SECONDS:-5}"
fi
if want netns; then
	for t in tests/netns/[0-9]*.sh; do
		n=$(basename "$t" .sh)
		[ -z "$netns_only" ] || [[ $netns_only == *" ${n%%-*} "* ]] || continue
		[ -f "$t" ] && run "netns/$n" bash "$t"
	done
fi
if want vm; then
	for t in tests/vm/[0-9]*.sh; do
		[ -f "$t" ] || continue
		if [ $no_vm = 1 ] && [ "$only" != vm ]; then
			skip=$((skip + 1)); echo "skip  vm/$(basename "$t" .sh): not in this pass (--no-vm)"
		else
			run "vm/$(basename "$t" .sh)" bash "$t"
		fi
	done
fi

echo
[ ${#failed[@]} -gt 0 ] && echo "failed: ${failed[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
