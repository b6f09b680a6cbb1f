#!/usr/bin/env bash
# Benchmark of the reference content API's read path: GET /v1/documents/{slug} under
# wrk, side by side in the same run with nginx serving the same JSON as a static file.
# Runs are interleaved (ours, nginx, ours, nginx, …) and medians reported, so machine
# noise hits both alike. Everything binds 127.0.0.1 and is stopped at the end.
#   usage: scripts/bench-api.sh [ROUNDS=3] [SECONDS=10] [CONNECTIONS=64]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; secs=${2:-10}; conns=${3:-64}

for tool in wrk nginx; do
  if ! command -v "$tool" >/dev/null && [ ! -x "/usr/sbin/$tool" ]; then
    pkg=$tool; [ "$tool" = nginx ] && pkg=nginx-light
    echo "==> installing $pkg"; apt-get install -y -qq "$pkg" >/dev/null
  fi
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

cargo build --release --locked -q -p pressroom-cli
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Ours, with request logging at warn like nginx's access_log off.
export BENCH_TOKEN=bench-token
RUST_LOG=warn target/release/pressroom --data-dir "$tmp/api" serve --addr 127.0.0.1:0 \
  --token-env BENCH_TOKEN > "$tmp/serve.out" &
pids+=($!)
for _ in $(seq 100); do grep -q listening "$tmp/serve.out" 2>/dev/null && break; sleep 0.05; done
api=$(sed -n 's/^Content API listening on //p' "$tmp/serve.out")
body=$(python3 -c '
import json
md = "\n\n".join(f"## Section {i}\n\nA paragraph about revalidation, caches and *live* pages, number {i}." for i in range(30))
print(json.dumps({"title": "Benchmark document", "markdown": md, "tags": ["documents", "bench"]}))')
curl -sf -X PUT "$api/v1/documents/bench" -H "authorization: Bearer $BENCH_TOKEN" \
  -H 'content-type: application/json' -d "$body" > /dev/null

# nginx with the very same bytes at the very same path.
mkdir -p "$tmp/www/v1/documents" "$tmp/nginx"
chmod 755 "$tmp"  # nginx workers run as an unprivileged user
curl -sf "$api/v1/documents/bench" > "$tmp/www/v1/documents/bench"
chmod -R a+rX "$tmp/www"
nport=$(free_port)
cat > "$tmp/nginx/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/json;
  client_body_temp_path $tmp/nginx; proxy_temp_path $tmp/nginx; fastcgi_temp_path $tmp/nginx;
  uwsgi_temp_path $tmp/nginx; scgi_temp_path $tmp/nginx;
  server { listen 127.0.0.1:$nport; root $tmp/www; etag on; }
}
CONF
"$NGINX" -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx" &
pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$nport/v1/documents/bench" >/dev/null && break; sleep 0.05; done
cmp <(curl -sf "$api/v1/documents/bench") <(curl -sf "http://127.0.0.1:$nport/v1/documents/bench")
bytes=$(wc -c < "$tmp/www/v1/documents/bench")

run() { # url -> "rps p99_ms"
  wrk -t2 -c"$conns" -d"${secs}s" --latency "$1" | awk '
    /Requests\/sec/ {rps=$2}
    /^ +99%/ {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; p99=v}
    END {printf "%.0f %.3f\n", rps, p99}'
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "GET /v1/documents/bench ($bytes bytes of JSON), wrk -t2 -c$conns -d${secs}s, $rounds interleaved rounds"
: > "$tmp/ours"; : > "$tmp/nginx.res"
for r in $(seq "$rounds"); do
  run "$api/v1/documents/bench" | tee -a "$tmp/ours" | sed "s/^/  round $r pressroom: rps, p99 ms = /"
  run "http://127.0.0.1:$nport/v1/documents/bench" | tee -a "$tmp/nginx.res" | sed "s/^/  round $r nginx:     rps, p99 ms = /"
done
ours_rps=$(cut -d' ' -f1 "$tmp/ours" | median); ours_p99=$(cut -d' ' -f2 "$tmp/ours" | median)
ngx_rps=$(cut -d' ' -f1 "$tmp/nginx.res" | median); ngx_p99=$(cut -d' ' -f2 "$tmp/nginx.res" | median)
echo "median pressroom: $ours_rps req/s, p99 $ours_p99 ms"
echo "median nginx:     $ngx_rps req/s, p99 $ngx_p99 ms"
python3 -c "print(f'throughput ratio pressroom/nginx: {$ours_rps/$ngx_rps:.2f} (goal: at least 0.50)')"
