#!/usr/bin/env bash
# tests/fuzz/run.sh SECONDS HARNESS...: run each libFuzzer harness for SECONDS,
# starting from its seed corpus (tests/fuzz/seeds/NAME) and keeping what it
# finds in build-fuzz/corpus/NAME. Exits non-zero if any harness exited
# non-zero (a crash, a leak, a sanitizer report, a timeout) or did not run
# to its final statistics.
set -u
secs=$1
shift
rc=0
for h in "$@"; do
	name=$(basename "$h")
	corpus=build-fuzz/corpus/$name
	log=build-fuzz/$name.log
	artifacts=${FUZZ_ARTIFACTS:-build-fuzz/artifacts/}
	mkdir -p "$corpus" "$artifacts"
	seeds=tests/fuzz/seeds/$name
	[ -d "$seeds" ] || seeds=
	# Super-packets are up to 64 KiB; everything else fits a datagram.
	case $name in
	fuzz_offload | fuzz_datapath) max_len=70000 ;;
	*) max_len=4096 ;;
	esac
	echo "== $name: ${secs}s"
	"$h" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$artifacts" \
		-max_len=$max_len "$corpus" $seeds >"$log" 2>&1
	status=$?
	grep -E '^(stat::number_of_executed_units|==[0-9]+==|SUMMARY)' "$log"
	if [ "$status" -ne 0 ] || ! grep -q '^stat::number_of_executed_units' "$log"; then
		echo "$name: FAILED (exit $status; see $log and $artifacts)"
		tail -n 30 "$log"
		rc=1
	fi
done
exit $rc
