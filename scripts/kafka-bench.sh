#!/usr/bin/env bash
# Throughput through a Kafka broker: one generated Elastic Defend workload in a topic keyed by
# host.id, read by a consumer group of 1 member and then of 2 members (each its own process,
# one evaluating thread each), with the whole bundled rule set, or with --select FILTER.
# Before any figure is printed, the alerts of each group must equal the single-process answer
# on the same file (as a set of alert ids).
#
#   scripts/kafka-bench.sh [EVENTS] [PARTITIONS]     (default 200000 events, 4 partitions)
#   SELECT='file:rules/imds.eql' scripts/kafka-bench.sh   (one rule instead of all)
#
# Starts tansu (from PATH or ~/.cargo/bin) on a free loopback port, in memory. Prints a
# Markdown table on stdout: distinct events per second, from the first message any member
# applied to the last.
set -euo pipefail
cd "$(dirname "$0")/.."
events="${1:-200000}"
partitions="${2:-4}"
dir="${BENCH_DIR:-target/kafka-bench}"
mkdir -p "$dir"
select_args=()
if [ -n "${SELECT:-}" ]; then select_args=(--select "$SELECT"); fi

cargo build --release --quiet --bin eql-detect
bin=target/release/eql-detect
tansu=$(command -v tansu || echo "$HOME/.cargo/bin/tansu")
[ -x "$tansu" ] || { echo "tansu not found: cargo install tansu --features dynostore --locked" >&2; exit 1; }

file="$dir/defend-$events.ndjson"
[ -s "$file" ] || "$bin" gen --events "$events" --seed 7 -o "$file" 2>/dev/null
"$bin" --lateness 1s --no-alert-cap --format ndjson -q "${select_args[@]}" "$file" \
  | python3 -c 'import json,sys; [print(json.loads(l)["kibana.alert.uuid"]) for l in sys.stdin]' \
  | sort -u >"$dir/expected.ids"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
broker="127.0.0.1:$port"
"$tansu" broker --storage-engine memory://tansu/ --listener-url "tcp://$broker" \
  --advertised-listener-url "tcp://$broker" >"$dir/tansu.log" 2>&1 &
tansu_pid=$!
trap 'kill $tansu_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

# run_group NAME MEMBERS: the members of group NAME, each printing its alerts on stdout, join
# an empty topic; once the group has settled, the workload is produced into it (the steady
# state of a running group: no rebalance, hence no replay, while the events flow).
run_group() {
  local name=$1 members=$2 pids=()
  "$bin" kafka-produce -q --brokers "$broker" --topic "events-$name" --partitions "$partitions" </dev/null
  for i in $(seq "$members"); do
    "$bin" kafka --brokers "$broker" --topic "events-$name" --group "$name" --threads 1 \
      --lateness 1s --no-alert-cap --idle-exit 15s --format ndjson "${select_args[@]}" \
      --stats-json "$dir/$name-$i.json" >"$dir/$name-$i.alerts" 2>"$dir/$name-$i.err" &
    pids+=($!)
  done
  sleep 5
  "$bin" kafka-produce --brokers "$broker" --topic "events-$name" "$file" 2>>"$dir/produce.err"
  for p in "${pids[@]}"; do wait "$p"; done
  cat "$dir/$name"-*.alerts \
    | python3 -c 'import json,sys; [print(json.loads(l)["kibana.alert.uuid"]) for l in sys.stdin]' \
    | sort -u >"$dir/$name.ids"
  if ! cmp -s "$dir/$name.ids" "$dir/expected.ids"; then
    echo "group $name: alerts differ from the single-process answer" >&2
    exit 1
  fi
  python3 - "$events" "$dir/$name"-*.json <<'EOF'
import json, sys
events = int(sys.argv[1])
stats = [json.load(open(p)) for p in sys.argv[2:]]
first = min(s["kafka"]["first_message_unix"] for s in stats)
last = max(s["kafka"]["last_message_unix"] for s in stats)
applied = sum(s["kafka"]["messages"] for s in stats)
alerts = sum(s["alerts"] for s in stats)
print(f"| {len(stats)} | {events / (last - first):,.0f} | {last - first:.2f} | {applied:,} | {alerts:,} |")
EOF
}

echo "| members | events/s | seconds | messages applied (with replays) | alerts (with duplicates) |"
echo "|---|---|---|---|---|"
run_group one 1
run_group two 2
cat "$dir/produce.err" >&2
