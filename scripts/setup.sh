#!/usr/bin/env bash
# Installs what Pressroom needs on Debian/Ubuntu, and only what is missing, so it is
# fast and safe to run again. `setup.sh app` installs what building and running the
# app needs; `setup.sh test` (the default) adds what the test suite needs.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-test}
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# System packages (testing.md): the Tauri/WebKitGTK build set, then the test tools.
packages=(libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev librsvg2-dev
  libayatana-appindicator3-dev libxdo-dev build-essential file pkg-config libssl-dev
  curl ca-certificates)
if [ "$mode" = test ]; then
  # python3-xlib: the GUI tests close windows and press keys in native dialogs
  # (tests/support/xwin.py); systemd: `systemd-analyze verify` reads the service unit;
  # postgresql: the content API's team deployment (docs/team.md), a private cluster.
  packages+=(xvfb webkit2gtk-driver dbus-x11 gnome-keyring libsecret-tools imagemagick nginx-light
    python3 python3-xlib systemd postgresql)
fi
if ! command -v node >/dev/null; then packages+=(nodejs npm); fi

install_missing() { # [apt-get install options...] -- PACKAGE...
  local options=()
  while [ "$1" != "--" ]; do options+=("$1"); shift; done
  shift
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "Installing Debian packages: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${options[@]}" "${missing[@]}" >/dev/null
  fi
}
install_missing -- "${packages[@]}"
# A real WordPress for the CMS tests (crates/core/tests/wordpress.rs): Debian's, run
# privately by the test kit (its own MariaDB, `php -S`); apt starts no service here.
# Without recommends, but with a theme (else every page is empty).
if [ "$mode" = test ]; then
  install_missing --no-install-recommends -- wordpress wordpress-theme-twentytwentythree \
    mariadb-server php-cli php-mysql php-curl php-xml php-mbstring
fi

if ! command -v cargo >/dev/null; then
  echo "error: Rust is not installed. Install it with rustup (https://rustup.rs), then run this again." >&2
  exit 1
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "error: Node.js $(node --version) is too old for the UI build; Node.js 20 or newer is needed." >&2
  exit 1
fi

# npm packages, exactly as locked; reinstalled only when the lock file changed.
npm_install() { # DIR WHAT
  if ! cmp -s "$1/package-lock.json" "$1/node_modules/.pressroom-installed-lock" 2>/dev/null; then
    say "Installing $2 (npm ci)"
    (cd "$1" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$1/package-lock.json" "$1/node_modules/.pressroom-installed-lock"
  fi
}
npm_install ui "UI packages"
if [ "$mode" = test ]; then
  # The real Next.js 16 site the end-to-end tests build and start.
  npm_install examples/nextjs-site "the Next.js example's packages"
  # A real Directus for the CMS tests (pressroom_testkit::Directus). Its native modules
  # (sqlite3, isolated-vm) build from source against the system's Node.js headers,
  # offline — set here, not left to a user's npmrc.
  if [ -f /usr/include/node/node.h ]; then export npm_config_nodedir=/usr; fi
  npm_install crates/testkit/directus "Directus 11.3.5 (builds native modules: about 4 minutes, once)"
fi

if [ "$mode" = test ]; then
  cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
  if ! command -v tauri-driver >/dev/null && [ ! -x "$cargo_bin/tauri-driver" ]; then
    say "Installing tauri-driver (compiles for a few minutes, once)"
    cargo install tauri-driver --locked --version 2.1.0 --quiet
  fi
fi
