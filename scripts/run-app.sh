#!/usr/bin/env bash
# Builds and starts the Pressroom desktop app. With nothing configured it opens the
# sandbox workspace with sample documents. Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh app
(cd ui && npm run --silent build)

# Say so before a long wait: the first build compiles everything (minutes on 2 cores).
if [ ! -x target/release/pressroom-app ]; then
  echo "First start: compiling Pressroom (release build). This takes several minutes" \
       "the first time; later starts take seconds." >&2
fi

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "No display found: starting the app on a virtual one (xvfb-run)." >&2
  ./scripts/setup.sh test >/dev/null
  export WEBKIT_DISABLE_DMABUF_RENDERER=1 WEBKIT_DISABLE_COMPOSITING_MODE=1
  exec xvfb-run -a cargo run --release --locked -p pressroom-app
fi
exec cargo run --release --locked -p pressroom-app
