#!/usr/bin/env bash
# The metrics exposition (src/common/metrics.c, docs/metrics.md) as
# Prometheus' own linter reads it: promtool check metrics on the sample
# snapshot and on a node alone, with nothing to say; and a positive control,
# so that a promtool that checks nothing cannot pass. (The daemon serves it
# in phase 2; unit/test_metrics holds the exact samples.)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh.inc"
DUMP=$ROOT/${BUILD:-build}/tests/metricsdump
[ -x "$DUMP" ] || fail "no $DUMP (make all)"
command -v promtool >/dev/null || { echo "promtool not installed (Debian: prometheus)"; exit 77; }

n=0
check() { # check NAME FILE: promtool finds nothing to say
	n=$((n + 1))
	echo "+ $n. promtool check metrics <$1"
	promtool check metrics <"$2" >"$OUT" 2>"$ERR" || fail "$n. promtool refused $1"
	[ ! -s "$OUT" ] && [ ! -s "$ERR" ] || fail "$n. promtool had something to say about $1"
}

"$DUMP" >sample.prom || fail "metricsdump failed"
"$DUMP" empty >empty.prom || fail "metricsdump empty failed"
check sample sample.prom
check "a node alone" empty.prom
grep -q '^weft_peer_receive_bytes_total{peer="beta"} 123456789012$' sample.prom ||
	fail "the sample is not what unit/test_metrics checks"

# The dashboard (contrib/grafana/weft.json): JSON, every weft_ name in it one
# the renderer announces, every query PromQL that Prometheus parses (as
# recording rules, Grafana's variables replaced).
python3 - "$ROOT/contrib/grafana/weft.json" sample.prom rules.yml <<'PY' || fail "the dashboard"
import json, re, sys
dash = json.load(open(sys.argv[1]))
known = set(re.findall(r"^# TYPE (\S+)", open(sys.argv[2]).read(), re.M))
exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
assert len(exprs) >= 20, len(exprs)
for e in exprs:
    for name in re.findall(r"\bweft_[a-z_]+", e):
        assert name in known, "dashboard uses %s, which is not rendered" % name
with open(sys.argv[3], "w") as f:
    f.write("groups:\n- name: dashboard\n  rules:\n")
    for i, e in enumerate(exprs):
        e = e.replace("$__rate_interval", "5m").replace("$instance", ".*").replace("$peer", ".*")
        f.write("  - record: weft:dashboard_%d\n    expr: %s\n" % (i, json.dumps(e)))
print(len(exprs), "queries")
PY
echo "+ promtool check rules rules.yml (the dashboard's queries)"
promtool check rules rules.yml >"$OUT" 2>"$ERR" || fail "a dashboard query does not parse"

# The control: a counter without _total and a family without HELP.
printf '# TYPE weft_bad counter\nweft_bad 1\n' >bad.prom
echo "+ $((n + 1)). promtool check metrics <bad (must complain)"
promtool check metrics <bad.prom >"$OUT" 2>&1 && fail "promtool passed a counter without _total"
grep -q "_total" "$OUT" || fail "promtool did not name the missing _total"
echo "all metrics tests passed"
