#!/usr/bin/env bash
# Side-by-side throughput on one generated Elastic Defend workload, in one run:
#   eql-detect (compiled IMDS rule) on 1 thread and on all cores, with and without --validate,
#   the whole bundled rule set (IMDS's alerts checked among the others),
#   the same rule and the whole set loaded at run time (--rule-file, --rule-dir: eql-eval),
#   Python eql 1.0.1 (scripts/pyeql_oracle.py, in .venv), and the floors (examples/floors.rs).
# Every engine's alert count must equal the injected truth before any figure is printed.
#
#   scripts/compare.sh [EVENTS] [SEED]      (default 200000 events, seed 7; NO_PYTHON=1 skips Python;
#                                            REPEAT=N runs each Rust engine N times, keeping the
#                                            fastest, default 3)
#
# Prints a Markdown table (the one in BENCHMARKS.md) on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
events="${1:-200000}"
seed="${2:-7}"
dir="${COMPARE_DIR:-target/compare}"
# Runs per engine, the fastest kept: the machine is shared and one run can be 20% off.
REPEAT="${REPEAT:-3}"
mkdir -p "$dir"

cargo build --release --quiet --bin eql-detect --example floors
bin=target/release/eql-detect
file="$dir/defend-$events-$seed.ndjson"
truth="$dir/defend-$events-$seed.truth.json"
[ -s "$file" ] || "$bin" gen --events "$events" --seed "$seed" -o "$file" --truth "$truth" 2>/dev/null
expected=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["true_sequences"])' "$truth")
bytes=$(wc -c <"$file")
cat "$file" >/dev/null # warm the page cache once for every engine alike

have_time=0
[ -x /usr/bin/time ] && have_time=1
rows=()
base_s=""

# run NAME CMD...: time the command (best of $REPEAT runs; Python eql once), check its alert
# count every time, keep a row.
run() {
    local name="$1"; shift
    local out="$dir/alerts.ndjson" err="$dir/stderr.txt" start end secs rss="-" best="" best_rss="-"
    local times="$REPEAT"
    case "$name" in Python*) times=1 ;; esac
    for _ in $(seq "$times"); do
        start=$(date +%s.%N)
        if [ "$have_time" = 1 ]; then
            /usr/bin/time -v "$@" >"$out" 2>"$err"
            rss=$(awk -F': ' '/Maximum resident/ { printf "%.0f", $2 / 1024 }' "$err")
        else
            "$@" >"$out" 2>"$err"
        fi
        end=$(date +%s.%N)
        secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
        local alerts
        # ONLY_IMDS: count the IMDS rule's alerts among those of other rules.
        if [ -n "${ONLY_IMDS:-}" ]; then
            alerts=$(grep -c '"kibana.alert.rule.name":"Unusual Instance Metadata Service (IMDS) API Request"' "$out" || true)
        else
            alerts=$(wc -l <"$out")
        fi
        if [ "$alerts" != "$expected" ]; then
            echo "compare: $name found $alerts alerts, the workload has $expected" >&2
            exit 1
        fi
        if [ -z "$best" ] || awk -v a="$secs" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best="$secs"
            best_rss="$rss"
        fi
    done
    [ -n "$base_s" ] || base_s="$best"
    rows+=("$name|$best|$best_rss")
}

common=(--quiet --no-alert-cap --format ndjson --select file:rules/imds.eql)
run "eql-detect, 1 thread" "$bin" "${common[@]}" --threads 1 "$file"
# The whole bundled set (IMDS and Elastic's 327 Linux Elastic Defend rules) in one engine.
ONLY_IMDS=1 run "eql-detect, all 328 bundled rules, 1 thread" "$bin" --quiet --no-alert-cap --format ndjson --threads 1 "$file"
ONLY_IMDS=1 run "eql-detect, all 328 bundled rules, all cores" "$bin" --quiet --no-alert-cap --format ndjson "$file"
run "eql-detect, all cores ($(nproc))" "$bin" "${common[@]}" "$file"
run "eql-detect --validate, 1 thread" "$bin" "${common[@]}" --threads 1 --validate "$file"
run "IMDS loaded at run time (--rule-file), 1 thread" "$bin" --quiet --no-alert-cap --format ndjson --threads 1 --no-builtin-rules --rule-file rules/imds.eql "$file"
ONLY_IMDS=1 run "all 328 bundled rules loaded at run time (--rule-dir rules), 1 thread" "$bin" --quiet --no-alert-cap --format ndjson --threads 1 --no-builtin-rules --rule-dir rules "$file"
if [ "${NO_PYTHON:-0}" != 1 ]; then
    if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
    .venv/bin/python -c 'import eql' 2>/dev/null || .venv/bin/pip install --quiet 'eql==1.0.1'
    # The oracle prints its sequence count on stdout: one line per alert is what `run` counts.
    run "Python eql 1.0.1 (with adapter)" sh -c '.venv/bin/python scripts/pyeql_oracle.py "$1" | awk "{ for (i = 0; i < \$1; i++) print }"' _ "$file"
fi

echo "Workload: \`eql-detect gen --events $events --seed $seed\`: $events events, $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB, $expected injected IMDS sequences (every engine found exactly these)."
echo
echo "| engine | seconds | MB/s | events/s | vs eql-detect 1 thread | peak RSS (MB) |"
echo "|---|---:|---:|---:|---:|---:|"
for r in "${rows[@]}"; do
    IFS='|' read -r name secs rss <<<"$r"
    awk -v n="$name" -v s="$secs" -v b="$bytes" -v e="$events" -v base="$base_s" -v rss="$rss" \
        'BEGIN { printf "| %s | %.2f | %.0f | %.0f | %.2f× | %s |\n", n, s, b / 1e6 / s, e / s, base / s, rss }'
done
echo
echo "Floors on the same bytes (in memory, best of 3; \`cargo run --release --example floors -- FILE\`):"
echo
echo "| floor | seconds | MB/s |"
echo "|---|---:|---:|"
target/release/examples/floors "$file" | awk -F'\t' 'NR > 1 { printf "| %s | %.3f | %s |\n", $1, $2, $3 }'
