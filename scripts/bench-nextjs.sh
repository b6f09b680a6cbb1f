#!/usr/bin/env bash
# Publish → live end to end against the real Next.js example (examples/nextjs-site):
# `pressroom serve`, `next build`, `next start`, then N publishes of a changed document
# with `--wait-live`, per revalidation profile. Prints the median and p95 of the
# pipeline's own publish-to-live time. Usage: scripts/bench-nextjs.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
cargo build -q -p pressroom-cli
bin=$PWD/target/debug/pressroom
tmp=$(mktemp -d)
pgids=()
cleanup() {
  for g in "${pgids[@]}"; do kill -TERM -- "-$g" 2>/dev/null || true; done
  sleep 0.5
  rm -rf "$tmp"
}
trap cleanup EXIT
export BENCH_API_TOKEN=bench-token-0123456789 PRESSROOM_SECRETS_FILE=$tmp/secrets.json
export NEXT_TELEMETRY_DISABLED=1
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ws=$tmp/ws
p() { "$bin" --data-dir "$ws" "$@"; }

api_port=$(free_port)
setsid "$bin" --data-dir "$tmp/api" serve --addr "127.0.0.1:$api_port" --token-env BENCH_API_TOKEN \
  >"$tmp/serve.log" 2>&1 &
pgids+=($!)
api=http://127.0.0.1:$api_port
until curl -sf "$api/v1/health" >/dev/null; do sleep 0.1; done
p api set --url "$api" --token-env BENCH_API_TOKEN >/dev/null
printf -- '---\ntitle: Benchmark\n---\nStart.\n' >"$tmp/doc.md"
p doc new bench --file "$tmp/doc.md" >/dev/null
p publish bench >/dev/null

cd examples/nextjs-site
rm -rf .next
PRESSROOM_API_URL=$api node node_modules/next/dist/bin/next build >"$tmp/build.log" 2>&1
port=$(free_port)
secret=$(p --json site add nextjs --webhook-url "http://127.0.0.1:$port/api/revalidate" \
  --page-url "http://127.0.0.1:$port/posts/{slug}" --paths "" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["new_secret"])')

for profile in expire max; do
  PRESSROOM_API_URL=$api PRESSROOM_WEBHOOK_SECRET=$secret PRESSROOM_REVALIDATE_PROFILE=$profile \
    setsid node node_modules/next/dist/bin/next start -p "$port" -H 127.0.0.1 >"$tmp/next-$profile.log" 2>&1 &
  pgid=$!
  pgids+=($pgid)
  until curl -sf "http://127.0.0.1:$port/posts/bench" >/dev/null; do sleep 0.2; done
  : >"$tmp/times"
  for i in $(seq "$n"); do
    printf -- '---\ntitle: Benchmark\n---\nRound %s with %s.\n' "$i" "$profile" >"$tmp/doc.md"
    p doc edit bench --file "$tmp/doc.md" >/dev/null
    p --json publish bench --wait-live=30 |
      python3 -c 'import json,sys; r=json.load(sys.stdin)["results"][0]; assert r["state"]=="live", r; print(r["elapsed_ms"])' \
        >>"$tmp/times"
    curl -sf "http://127.0.0.1:$port/posts/bench" >/dev/null # a visitor: cached again
  done
  python3 - "$tmp/times" "$profile" <<'PY'
import statistics, sys
xs = sorted(float(l) for l in open(sys.argv[1]))
p95 = xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]
print(f"next.js {sys.argv[2]:<6}: publish -> live median {statistics.median(xs):.0f} ms, p95 {p95:.0f} ms (n = {len(xs)})")
PY
  kill -TERM -- "-$pgid" 2>/dev/null || true
  sleep 1
done
