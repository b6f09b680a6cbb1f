#!/usr/bin/env bash
# How long a first start of `scripts/run-app.sh` takes to get to a window (issue #18):
# the app compiled from nothing in the debug profile (our crates unoptimised, the
# dependencies at opt-level 2) and in the release profile, each in a fresh target
# directory, one after the other. Prints the minutes of each; the windows' launch
# times come from `scripts/bench-app.sh`. Arguments: the profiles to build (default:
# debug release).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh app >/dev/null
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
(cd ui && npm run --silent build >/dev/null)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
profiles=("$@")
[ ${#profiles[@]} -gt 0 ] || profiles=(debug release)
for profile in "${profiles[@]}"; do
  flag=$([ "$profile" = release ] && echo --release || true)
  start=$(date +%s)
  CARGO_TARGET_DIR="$scratch/$profile" cargo build $flag --locked -q -p pressroom-app
  end=$(date +%s)
  echo "first build, $profile: $(( (end - start) / 60 )) min $(( (end - start) % 60 )) s"
  rm -rf "${scratch:?}/$profile"
done
