#!/usr/bin/env bash
# The whole test suite: formatting, lints, UI checks and unit tests, and every Rust
# test — including the real app window under Xvfb and the OS keyring inside a private
# D-Bus session. Installs what is missing first (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

./scripts/setup.sh test
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

say "cargo fmt --check"
cargo fmt --all -- --check

say "UI: type-check, unit tests, build"
(cd ui && npm run --silent check && npm test --silent && npm run --silent build)

say "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

say "Debian package (release build; the GUI test installs and removes it)"
./scripts/package.sh

say "cargo test"
# A fresh, empty keyring of our own: gnome-keyring in a private D-Bus session, unlocked
# with a non-empty password (an empty one makes it wait for a prompt that never comes).
keyring_home=$(mktemp -d)
trap 'rm -rf "$keyring_home"' EXIT
XDG_DATA_HOME="$keyring_home" dbus-run-session -- sh -c '
  echo -n pressroom-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  exec cargo test --workspace --locked
'
