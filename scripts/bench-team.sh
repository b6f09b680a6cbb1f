#!/usr/bin/env bash
# Benchmark of the content API at team scale (issue 17): GET and PUT throughput of
#   sqlite1 — one instance on its SQLite file (the embedded default),
#   pg1     — one instance on PostgreSQL,
#   pg3     — three instances on the same PostgreSQL,
# each behind the same nginx (an upstream of one or three), in the same run, rounds
# interleaved so machine noise hits all three alike; medians reported. The PUT runs
# are 50 concurrent writers republishing 200 documents with changing text, so their
# p99 is the publish latency under 50 concurrent writers. PostgreSQL runs with its
# default (durable) settings, as in docs/team.md. Everything binds 127.0.0.1 and is
# stopped at the end.
#   usage: scripts/bench-team.sh [ROUNDS=3] [SECONDS=10]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; secs=${2:-10}

for pkg in wrk nginx-light postgresql; do
  if ! dpkg -s "$pkg" >/dev/null 2>&1; then
    echo "==> installing $pkg"; apt-get install -y -qq "$pkg" >/dev/null
  fi
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

cargo build --release --locked -q -p pressroom-cli
tmp=$(mktemp -d)
chmod 755 "$tmp"  # the postgres user and nginx workers reach their directories in it
pids=()
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -f "$tmp/pg/postmaster.pid" ] && as_postgres "$PGBIN/pg_ctl" -D "$tmp/pg" -m fast stop >/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# PostgreSQL in a private data directory on a free loopback port.
mkdir "$tmp/pg" "$tmp/pgsock"
[ "$(id -u)" = 0 ] && chown postgres "$tmp/pg" "$tmp/pgsock"
as_postgres "$PGBIN/initdb" -D "$tmp/pg" -U postgres --auth=trust --no-locale >/dev/null
pgport=$(free_port)
as_postgres "$PGBIN/pg_ctl" -D "$tmp/pg" -l "$tmp/pgsock/log" -w -o \
  "-c listen_addresses=127.0.0.1 -p $pgport -k $tmp/pgsock -c max_connections=200" start >/dev/null
"$PGBIN/psql" -q -h 127.0.0.1 -p "$pgport" -U postgres -c 'CREATE DATABASE pressroom'

export BENCH_TOKEN=bench-token
serve() { # name [database url]: starts an instance in this shell (so cleanup stops it)
  RUST_LOG=warn target/release/pressroom --data-dir "$tmp/$1" serve --addr 127.0.0.1:0 \
    --token-env BENCH_TOKEN ${2:+--database-url "$2"} > "$tmp/$1.out" 2> "$tmp/$1.err" &
  pids+=($!)
}
address() { # name -> host:port once it listens
  for _ in $(seq 200); do grep -q listening "$tmp/$1.out" 2>/dev/null && break; sleep 0.05; done
  sed -n 's/^Content API listening on http:\/\///p' "$tmp/$1.out"
}
pgurl="postgres://postgres@127.0.0.1:$pgport/pressroom"
serve sqlite; for i in 1 2 3; do serve "pg$i" "$pgurl"; done
sqlite=$(address sqlite)
pg=(); for i in 1 2 3; do pg+=("$(address "pg$i")"); done

# One nginx, one server block per configuration.
declare -A port
for c in sqlite1 pg1 pg3; do port[$c]=$(free_port); done
upstream() { local name=$1; shift; echo "upstream $name { keepalive 64;"; for a in "$@"; do echo "  server $a;"; done; echo "}"; }
server() { cat <<BLOCK
  server { listen 127.0.0.1:${port[$1]};
    location / { proxy_pass http://$1; proxy_http_version 1.1; proxy_set_header Connection "";
                 proxy_set_header Host \$host; client_max_body_size 32m; } }
BLOCK
}
mkdir "$tmp/nginx"
cat > "$tmp/nginx/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $tmp/nginx; proxy_temp_path $tmp/nginx; fastcgi_temp_path $tmp/nginx;
  uwsgi_temp_path $tmp/nginx; scgi_temp_path $tmp/nginx;
$(upstream sqlite1 "$sqlite"; upstream pg1 "${pg[0]}"; upstream pg3 "${pg[@]}")
$(server sqlite1; server pg1; server pg3)
}
CONF
"$NGINX" -c "$tmp/nginx/nginx.conf" -p "$tmp/nginx" &
pids+=($!)
for c in sqlite1 pg1 pg3; do
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:${port[$c]}/v1/health" >/dev/null && break; sleep 0.05; done
done

# The same document for every reader, and 200 for the writers, in each configuration.
body=$(python3 -c '
import json
md = "\n\n".join(f"## Section {i}\n\nA paragraph about revalidation, caches and *live* pages, number {i}." for i in range(30))
print(json.dumps({"title": "Benchmark document", "markdown": md, "tags": ["documents", "bench"]}))')
for c in sqlite1 pg1; do  # pg3 shares pg1's database
  for slug in bench $(seq -f 'w%g' 0 199); do
    curl -sf -X PUT "http://127.0.0.1:${port[$c]}/v1/documents/$slug" \
      -H "authorization: Bearer $BENCH_TOKEN" -H 'content-type: application/json' -d "$body" >/dev/null
  done
done
# Each wrk thread writes its own counter into the text, so every PUT is a real write.
cat > "$tmp/put.lua" <<'LUA'
local threads, n = 0, 0
function setup(thread) threads = threads + 1; thread:set("id", threads) end
function request()
  n = n + 1
  local slug = "w" .. ((n * 7 + id * 13) % 200)
  local body = '{"title":"Republished","markdown":"## Take ' .. id .. '-' .. n ..
    '\\n\\nText changed by writer ' .. id .. ', edit ' .. n .. '.","tags":["bench"]}'
  return wrk.format("PUT", "/v1/documents/" .. slug, {
    ["Authorization"] = "Bearer bench-token", ["Content-Type"] = "application/json" }, body)
end
LUA

run() { # url conns [lua] -> "rps p99_ms non2xx"
  wrk -t2 -c"$2" -d"${secs}s" --latency ${3:+-s "$3"} "$1" | awk '
    /Requests\/sec/ {rps=$2}
    /Non-2xx/ {bad=$NF}
    /^ +99%/ {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; p99=v}
    END {printf "%.0f %.3f %d\n", rps, p99, bad}'
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "GET: wrk -t2 -c64 -d${secs}s; PUT: wrk -t2 -c50 -d${secs}s (50 writers); $rounds interleaved rounds; $(nproc) cores"
for r in $(seq "$rounds"); do
  for c in sqlite1 pg1 pg3; do
    run "http://127.0.0.1:${port[$c]}/v1/documents/bench" 64 | tee -a "$tmp/get.$c" | sed "s/^/  round $r GET $c: rps, p99 ms, non-2xx = /"
    run "http://127.0.0.1:${port[$c]}" 50 "$tmp/put.lua" | tee -a "$tmp/put.$c" | sed "s/^/  round $r PUT $c: rps, p99 ms, non-2xx = /"
  done
done
printf '\n%-8s %12s %12s %12s %14s\n' config "GET req/s" "GET p99 ms" "PUT req/s" "PUT p99 ms"
for c in sqlite1 pg1 pg3; do
  printf '%-8s %12s %12s %12s %14s\n' "$c" \
    "$(cut -d' ' -f1 "$tmp/get.$c" | median)" "$(cut -d' ' -f2 "$tmp/get.$c" | median)" \
    "$(cut -d' ' -f1 "$tmp/put.$c" | median)" "$(cut -d' ' -f2 "$tmp/put.$c" | median)"
done
bad=$(cat "$tmp"/put.* "$tmp"/get.* | awk '{s+=$3} END {print s+0}')
echo "non-2xx answers over all runs: $bad"
[ "$bad" = 0 ]
