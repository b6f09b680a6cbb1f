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

# The UI, then the app (as `tauri build` builds it: with tauri's custom-protocol) and
# the command-line tool — /usr/bin/pressroom in the package (tauri.conf.json) — in one
# cargo run, so the dependencies are resolved and compiled once for both; then the
# bundler makes the .deb of what was built. (The UI folder is the bundler's front end,
# not the Next.js example it would find.)
# (Built again only when its sources are newer: a fresh build would change the
# embedded files' dates and make cargo compile the app again.)
if [ ! -f ui/dist/index.html ] ||
  [ -n "$(find ui/src ui/index.html ui/package.json ui/package-lock.json ui/vite.config.ts \
    ui/svelte.config.js ui/tsconfig.json -newer ui/dist/index.html | head -n 1)" ]; then
  (cd ui && npm run --silent build)
fi
cargo build --release --locked -p pressroom-app -p pressroom-cli --features pressroom-app/custom-protocol
TAURI_FRONTEND_PATH=ui ui/node_modules/.bin/tauri bundle --ci --bundles deb

version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' tauri.conf.json)
arch=$(dpkg --print-architecture)
built="target/release/bundle/deb/Pressroom_${version}_${arch}.deb"
out="target/package/pressroom_${version}_${arch}.deb"
# Packed again by dpkg-deb with every file dated SOURCE_DATE_EPOCH and owned by root
# (the bundler dates them by the build's clock): the same binaries give the same .deb,
# byte for byte.
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
dpkg-deb -R "$built" "$tree/root"
find "$tree/root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
mkdir -p target/package
dpkg-deb --root-owner-group -Zxz --build "$tree/root" "$out" >/dev/null
echo "$out"
