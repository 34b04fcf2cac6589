#!/usr/bin/env bash
# Python eql 1.0.1 as an outside oracle for the IMDS rule: generates a seeded workload with
# `eql-detect gen`, runs eql-detect on it (every alert, no cap), streams the same file through
# Python eql with the adapter of scripts/pyeql_oracle.py, and reports whether both found the same
# sequences, with each side's throughput on the same bytes.
#
#   scripts/oracle.sh [EVENTS] [SEED]        (defaults: 200000 events, seed 7)
#
# Environment: ORACLE_DIR (work files; default target/oracle), PYTHON (default python3).
# Exit status: 0 when both agree, 1 when they differ, 2 on a setup failure.
set -euo pipefail

cd "$(dirname "$0")/.."
events="${1:-200000}"
seed="${2:-7}"
dir="${ORACLE_DIR:-target/oracle}"
python="${PYTHON:-python3}"
mkdir -p "$dir"

# Python eql lives in a virtualenv (.venv is ignored by git) so the system stays untouched.
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv || { echo "oracle: cannot create .venv" >&2; exit 2; }
fi
if ! .venv/bin/python -c 'import eql, sys; sys.exit(eql.__version__ != "1.0.1")' 2>/dev/null; then
    .venv/bin/pip install --quiet 'eql==1.0.1' || { echo "oracle: pip install eql==1.0.1 failed" >&2; exit 2; }
fi

cargo build --release --quiet --bin eql-detect
bin=target/release/eql-detect
if ! "$bin" gen --help >/dev/null 2>&1; then
    echo "oracle: this eql-detect has no \`gen\` subcommand yet" >&2
    exit 2
fi

workload="$dir/workload-$events-$seed.ndjson"
alerts="$dir/alerts-$events-$seed.ndjson"
"$bin" gen --events "$events" --seed "$seed" -o "$workload"
bytes=$(wc -c <"$workload")

# Wall-clock seconds between two `date +%s.%N` readings (no GNU time needed).
elapsed() { echo "$1 $2" | awk '{ printf "%.3f", $2 - $1 }'; }

start=$(date +%s.%N)
"$bin" --quiet --no-alert-cap --format ndjson "$workload" >"$alerts"
rust_s=$(elapsed "$start" "$(date +%s.%N)")
echo "eql-detect: $(wc -l <"$alerts") alerts in ${rust_s}s"

set +e
start=$(date +%s.%N)
.venv/bin/python scripts/pyeql_oracle.py "$workload" --alerts "$alerts"
status=$?
py_s=$(elapsed "$start" "$(date +%s.%N)")
set -e

awk -v b="$bytes" -v r="$rust_s" -v p="$py_s" -v n="$events" 'BEGIN {
    mb = b / 1e6
    printf "workload: %d events, %.1f MB\n", n, mb
    printf "eql-detect: %.3f s, %.1f MB/s; python eql (adapter included): %.3f s, %.2f MB/s; ratio %.0fx\n",
        r, mb / r, p, mb / p, p / r
}'
exit "$status"
