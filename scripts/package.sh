#!/usr/bin/env bash
# Builds Pressroom's Debian package with the Tauri bundler, from the lock files
# (Cargo.lock with --locked, ui/package-lock.json with npm ci), and prints its path:
#   target/package/pressroom_<version>_<arch>.deb
# Install it with `sudo apt-get install ./target/package/pressroom_*.deb`.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh app
# Timestamps the bundler writes come from the last commit, not the clock.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
export SOURCE_DATE_EPOCH

# The command-line tool goes into the package as /usr/bin/pressroom (tauri.conf.json).
cargo build --release --locked -p pressroom-cli
# The app (release, with its UI built first by beforeBuildCommand), then the .deb.
# The UI folder is the bundler's front end (not the Next.js example it would find).
TAURI_FRONTEND_PATH=ui ui/node_modules/.bin/tauri build --ci --bundles deb -- --locked

version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' tauri.conf.json)
arch=$(dpkg --print-architecture)
built="target/release/bundle/deb/Pressroom_${version}_${arch}.deb"
mkdir -p target/package
cp "$built" "target/package/pressroom_${version}_${arch}.deb"
echo "target/package/pressroom_${version}_${arch}.deb"
