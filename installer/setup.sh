#!/usr/bin/env bash
# Sluice set-up on Debian 12, as root (or with sudo available):
#   installer/setup.sh demo   install what is missing, build, start `sluice --demo`
#   installer/setup.sh test   install what is missing, build, run the whole test suite
# Idempotent: packages already installed are not touched, the build is incremental.
set -euo pipefail

mode=${1:-}
case "$mode" in demo | test) ;; *) echo "usage: $0 demo|test" >&2; exit 2 ;; esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${SLUICE_BUILD_DIR:-$root/build}

packages=(
  g++ cmake ninja-build pkg-config ccache
  qt6-base-dev qt6-base-dev-tools libgl-dev libqcustomplot-dev
  librdkafka-dev libsqlite3-dev
  python3 gawk kcat
  xvfb xauth
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)"

if [[ $mode == demo ]]; then
  if [[ -z ${DISPLAY:-}${WAYLAND_DISPLAY:-} ]]; then
    echo "setup: no display found; starting the demo under xvfb-run (screenshots in $build/screenshots)"
    exec xvfb-run -a "$build/app/sluice" --demo --screenshots "$build/screenshots"
  fi
  exec "$build/app/sluice" --demo
fi

cd "$build"
ctest --output-on-failure -j 2
smoke="$root/../shared/contract-smoke.sh"
if [[ -f $smoke ]]; then
  echo "setup: contract smoke test"
  bash "$smoke" "$build/app/sluicectl"
fi
