#!/usr/bin/env bash
# tests/fuzz/run.sh SECONDS HARNESS...: run each libFuzzer harness for SECONDS,
# starting from its seed corpus (tests/fuzz/seeds/NAME) and keeping what it
# finds in build-fuzz/corpus/NAME. Exits non-zero if any harness crashed.
set -u
secs=$1
shift
rc=0
for h in "$@"; do
	name=$(basename "$h")
	corpus=build-fuzz/corpus/$name
	mkdir -p "$corpus" build-fuzz/artifacts
	seeds=tests/fuzz/seeds/$name
	[ -d "$seeds" ] || seeds=
	echo "== $name: ${secs}s"
	if ! "$h" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix=build-fuzz/artifacts/ \
		-max_len=4096 "$corpus" $seeds 2>&1 | grep -E '^(stat::number_of_executed_units|==|SUMMARY|.*ERROR)' ; then
		:
	fi
	if [ "${PIPESTATUS[0]}" -ne 0 ]; then
		echo "$name: FAILED (see build-fuzz/artifacts/)"
		rc=1
	fi
done
exit $rc
