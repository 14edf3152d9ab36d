#!/usr/bin/env bash
# Runs weft's test suite against the binaries in $BUILD (default build/).
#   tests/run.sh [--fuzz] [--no-vm] [--no-package] [--only unit|vectors|sim|cli|netns|systemd|vm|fuzz]
#                [--netns 'NN NN ...'] [--vm 'NN ...'] [--skip 'NAME ...'] [--jobs N]
# Prints one line per test and a closing "N passed, N failed, N skipped", and
# writes each test's time to $BUILD/test-logs/timing.tsv (the slowest are
# shown at the end).
# --netns: only the namespace tests whose numbers are listed (alone: --only netns too).
# --jobs: namespace tests run N at a time (default WF_JOBS, else the number
# of CPUs); a test whose first lines say "# weft-test: alone" (it loads the
# whole machine, or raises a machine-wide setting) runs with no other.
# vm: the tests that need what this machine's kernel lacks (ESP), each in one
# boot of a QEMU guest (tests/vm/guest.sh, docs/testing.md); --no-vm leaves
# them out, and says so.
# --vm: only the guest's tests whose numbers are listed (the suite runs 30,
# the daemon's kernel path; `make check-vm` runs them all).
# --skip: leaves out the tests whose names start with one of these (e.g.
# "netns/98 sim/"), and says so: the sanitizer pass uses it for time.
# --no-package: leaves out systemd/20-package, which builds its own package
# from the sources (the sanitizer pass: its build would be the plain one).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD WEFT="$PWD/$BUILD/weft"
fuzz=0
only=
netns_only=
jobs=${WF_JOBS:-$(nproc)}
no_vm=0
no_package=0
vm_only=
skip_list=
while [ $# -gt 0 ]; do
	case $1 in
	--fuzz) fuzz=1 ;;
	--no-vm) no_vm=1 ;;
	--no-package) no_package=1 ;;
	--vm) vm_only=" $2 "; shift ;;
	--skip) skip_list=$2; shift ;;
	--only) only=$2; shift ;;
	--netns) netns_only=" $2 "; shift ;;
	--jobs) jobs=$2; shift ;;
	*) echo "usage: $0 [--fuzz] [--no-vm] [--no-package] [--only unit|vectors|sim|cli|netns|systemd|vm|fuzz] [--netns 'NN ...'] [--vm 'NN ...'] [--skip 'NAME ...'] [--jobs N]" >&2; exit 2 ;;
	esac
	shift
done
# --netns alone means those tests alone, not the whole suite. (--vm is how
# `make check` chooses the guest's tests of the suite: it narrows only vm.)
if [ -z "$only" ] && [ -n "$netns_only" ]; then only=netns; fi

logdir=$BUILD/test-logs
mkdir -p "$logdir"
results=$logdir/results.tsv # status, name, seconds: one line a test
: >"$results"
lock=$logdir/.print.lock

# run NAME CMD...: a test passes on exit 0, is skipped on exit 77. Its lines
# are printed at once when it ends (tests running side by side do not mix
# their output), and its result is added to $results.
run() {
	local name=$1 log rc start secs out status p
	shift
	for p in $skip_list; do
		if [[ $name == "$p"* ]]; then
			flock "$lock" echo "left out: $name (--skip $p)"
			return 0
		fi
	done
	log=$logdir/$(echo "$name" | tr '/ ' '__').log
	out=$log.out
	start=$SECONDS
	"$@" >"$log" 2>&1
	rc=$?
	secs=$((SECONDS - start))
	{
		if [ $rc -eq 0 ] && grep -q '^\[  SKIPPED \]' "$log"; then
			# A cmocka binary that skipped cases passed the rest: say so.
			status=pass-skip
			echo "ok    $name (${secs}s), but skipped:" \
				"$(grep '^\[  SKIPPED \]' "$log" | sed 's/.*\] //' | sort -u | tr '\n' ' ')"
		elif [ $rc -eq 0 ]; then
			status=pass
			echo "ok    $name (${secs}s)"
		elif [ $rc -eq 77 ]; then
			status=skip
			echo "skip  $name: $(tail -n 1 "$log")"
		else
			status=fail
			echo "FAIL  $name (exit $rc, ${secs}s)"
			# The reason first: daemon logs dumped at cleanup can bury it.
			grep -m 5 -E '^(FAIL|check FAIL|wait_for|\[  (FAILED|ERROR) )' "$log" | sed 's/^/    /'
			echo "    last lines of $log:"
			tail -n 40 "$log" | sed 's/^/    /'
		fi
	} >"$out"
	flock "$lock" sh -c "cat '$out'; printf '%s\t%s\t%s\n' '$status' '$name' '$secs' >>'$results'"
	rm -f "$out"
}

want() { [ -z "$only" ] || [ "$only" = "$1" ]; }

# A namespace test that must run with no other beside it.
alone() { head -n 12 "$1" | grep -q '^# weft-test: alone'; }

run_netns() {
	local t n shared=() solo=()
	for t in tests/netns/[0-9]*.sh; do
		n=$(basename "$t" .sh)
		[ -z "$netns_only" ] || [[ $netns_only == *" ${n%%-*} "* ]] || continue
		if [ "$jobs" -gt 1 ] && ! alone "$t"; then
			shared+=("$t")
		else
			solo+=("$t")
		fi
	done
	for t in "${shared[@]}"; do
		while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
			wait -n
		done
		run "netns/$(basename "$t" .sh)" bash "$t" &
	done
	wait
	for t in "${solo[@]}"; do
		run "netns/$(basename "$t" .sh)" bash "$t"
	done
}

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
	# Past full-mesh-max: gossip over the sessions kept, and the session rules
	# (core/lifecycle) at both ends of each session: about a minute.
	run "sim/1000-nodes-sparse" "$BUILD/tests/sim" -n 1000 --sparse --check
fi
if want cli; then
	for t in tests/cli/*.sh; do
		[ -f "$t" ] && run "cli/$(basename "$t" .sh)" bash "$t"
	done
fi
if want fuzz && { [ $fuzz = 1 ] || [ "$only" = fuzz ]; }; then
	run "fuzz/smoke" make --no-print-directory -j"$(nproc)" fuzz-short FUZZ_SHORT_SECONDS="${FUZZ_SHORT_SECONDS:-3}"
fi
if want netns; then
	run_netns
fi
# systemd: the unit and the package under a real systemd (PID 1 of a
# systemd-nspawn container) and dpkg (docs/testing.md).
if want systemd; then
	for t in tests/systemd/[0-9]*.sh; do
		[ $no_package = 1 ] && [ "${t##*/}" = 20-package.sh ] &&
			echo "left out: systemd/20-package (--no-package)" && continue
		[ -f "$t" ] && run "systemd/$(basename "$t" .sh)" bash "$t"
	done
fi
if want vm; then
	for t in tests/vm/[0-9]*.sh; do
		[ -f "$t" ] || continue
		n=$(basename "$t" .sh)
		[ -z "$vm_only" ] || [[ $vm_only == *" ${n%%-*} "* ]] || {
			echo "left out: vm/$n (--vm: make check-vm runs it)"
			continue
		}
		if [ $no_vm = 1 ] && [ "$only" != vm ]; then
			echo "skip  vm/$(basename "$t" .sh): not in this pass (--no-vm)"
			printf 'skip\tvm/%s\t0\n' "$(basename "$t" .sh)" >>"$results"
		else
			run "vm/$(basename "$t" .sh)" bash "$t"
		fi
	done
fi

pass=$(grep -c '^pass' "$results")
fail=$(grep -c '^fail' "$results")
skip=$(grep -c -E '^(skip|pass-skip)' "$results")
cut -f2,3 "$results" >"$logdir/timing.tsv"
echo
echo "slowest: $(sort -t"$(printf '\t')" -k3 -n -r "$results" | head -n 5 |
	awk -F'\t' '{printf "%s%s %ss", (NR > 1 ? ", " : ""), $2, $3}')"
[ "$fail" -gt 0 ] && echo "failed: $(grep '^fail' "$results" | cut -f2 | tr '\n' ' ')"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
