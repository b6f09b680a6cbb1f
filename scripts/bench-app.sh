#!/usr/bin/env bash
# The desktop app's benchmarks (issue #6): launch to interactive and idle memory of the
# Pressroom window side by side with a minimal Tauri "hello" app built the same way
# (release, same toolchain, same display), then keystroke to preview on a 100 KB
# document through tauri-driver. Prints medians and the memory ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh test
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
(cd ui && npm run --silent build)
cargo build --release --locked -p pressroom-hello
PRESSROOM_HELLO_BIN="$PWD/target/release/pressroom-hello" \
  cargo bench --locked -p pressroom-app --bench app
