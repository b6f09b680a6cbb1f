#!/usr/bin/env bash
# Issue #16's benchmark: the size of the release binaries and of the .deb, then
# launch to interactive (first start, then the median of 5) and idle memory of the
# *installed* app beside a minimal Tauri app built the same way. Installs the
# package for the run and purges it afterwards (needs root or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh test
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

deb=$(./scripts/package.sh | tail -n 1)
mb() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f MB", b / 1048576 }'; }
echo "release binary pressroom-app: $(mb target/release/pressroom-app)"
echo "release binary pressroom (CLI): $(mb target/release/pressroom)"
echo "package $(basename "$deb"): $(mb "$deb") (installed size $(dpkg-deb -f "$deb" Installed-Size) KB)"

cargo build --release --locked -p pressroom-hello
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --reinstall "./$deb" >/dev/null
trap 'DEBIAN_FRONTEND=noninteractive $SUDO apt-get purge -y -qq pressroom >/dev/null' EXIT
PRESSROOM_APP_BIN=/usr/bin/pressroom-app PRESSROOM_BENCH_LAUNCH_ONLY=1 \
  PRESSROOM_HELLO_BIN="$PWD/target/release/pressroom-hello" \
  cargo bench --locked -p pressroom-app --bench app
