#!/usr/bin/env bash
# What the publishing service costs while nothing is due: `pressroom daemon` (the same
# service the app runs from launch) on a workspace with sites and a publish whose
# webhooks all went out, sampled for SECONDS (default 20): CPU time and context
# switches of all its threads. Goal: no wakeups while nothing is due.
#   scripts/bench-idle.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}

cargo build --release --locked --quiet -p pressroom-cli
bin=$PWD/target/release/pressroom
dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

# The sandbox: a content API and a demo site on loopback, and a workspace set up to
# publish there. Publish once and let every webhook go out and be confirmed.
"$bin" --data-dir "$dir" sandbox > "$dir/sandbox.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  grep -q "http" "$dir/sandbox.log" 2>/dev/null && break
  sleep 0.1
done
"$bin" --data-dir "$dir/sandbox" publish welcome --wait-live > /dev/null

"$bin" --data-dir "$dir/sandbox" daemon > /dev/null 2>&1 &
daemon=$!
pids+=("$daemon")
sleep 2 # start-up work is not idle

ticks() { awk '{print $14 + $15}' "/proc/$daemon/stat"; }
# Context switches per thread ("tid count" lines), so a thread that ends does not count.
switches() {
  for t in /proc/"$daemon"/task/*; do
    awk -v tid="${t##*/}" '/^(voluntary|nonvoluntary)_ctxt_switches/ {n += $2} END {print tid, n}' \
      "$t/status" 2>/dev/null || true
  done
}
hz=$(getconf CLK_TCK)
t0=$(ticks); switches > "$dir/s0"; threads=$(ls "/proc/$daemon/task" | wc -l)
sleep "$seconds"
t1=$(ticks); switches > "$dir/s1"
cpu_ms=$(( (t1 - t0) * 1000 / hz ))
wakeups=$(awk 'NR == FNR {before[$1] = $2; next} ($1 in before) {n += $2 - before[$1]} END {print n + 0}' \
  "$dir/s0" "$dir/s1")
echo "idle publishing service, ${seconds} s, ${threads} threads: CPU ${cpu_ms} ms," \
  "${wakeups} context switches ($(awk "BEGIN {printf \"%.2f\", $wakeups / $seconds}")/s)" \
  "(goal: no wakeups while nothing is due)"
