#!/usr/bin/env bash
# Installs the Debian packages Auralis needs that are not installed yet.
# Usage: packaging/install-deps.sh [run|test]   (test = run + test tools)
# Idempotent: with everything present it only runs dpkg-query and exits.
set -euo pipefail

what=${1:-run}

# Building and running the node, the client and the desktop app.
RUN_PKGS=(
  cmake ninja-build g++ pkg-config
  qt6-base-dev qt6-charts-dev qt6-multimedia-dev libqt6opengl6-dev libgl-dev
  prometheus-cpp-dev libopus-dev libopusenc-dev libogg-dev
  dpkg-dev
)
# Running the test suite and benchmarks.
TEST_PKGS=(
  libbenchmark-dev prometheus xvfb xauth clang libclang-rt-14-dev chromium openssl
  opus-tools icecast2 lintian man-db desktop-file-utils pulseaudio pulseaudio-utils sox
  curl python3
)

pkgs=("${RUN_PKGS[@]}")
case "$what" in
  run) ;;
  test)
    pkgs+=("${TEST_PKGS[@]}")
    # Node.js for the browser tests: the machine's own when it has one, else Debian's.
    command -v node >/dev/null && command -v npm >/dev/null || pkgs+=(nodejs npm)
    ;;
  *) echo "usage: $0 [run|test]" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done

npm_deps() {
  # playwright-core for the browser tests (never a downloaded browser: Debian's chromium).
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/tests/e2e"
  if [ "$what" = test ] && [ -f "$dir/package-lock.json" ] &&
     { [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; }; then
    echo "install-deps: npm ci in tests/e2e"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  npm_deps
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else
    echo "install-deps: missing packages (${missing[*]}) and not root; install them or run as root" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
# A machine whose image left dpkg interrupted (seen: man-db "half-configured") refuses every
# apt-get install until the pending configuration is finished; finish it first.
if [ -n "$($SUDO dpkg --audit 2>&1)" ] || [ -n "$(ls -A /var/lib/dpkg/updates 2>/dev/null)" ]; then
  echo "install-deps: dpkg was interrupted; finishing it first (dpkg --configure -a)"
  $SUDO dpkg --configure -a
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
npm_deps
