#!/usr/bin/env bash
# Installs the Debian packages Auralis needs that are not installed yet.
# Usage: packaging/install-deps.sh [run|test]   (test = run + test tools)
# Idempotent: with everything present it only runs dpkg-query and exits.
set -euo pipefail

what=${1:-run}

# Building and running the node, the client and the desktop app.
RUN_PKGS=(
  cmake ninja-build g++ pkg-config
  qt6-base-dev qt6-websockets-dev qt6-charts-dev libqt6opengl6-dev libgl-dev
  prometheus-cpp-dev
)
# Running the test suite and benchmarks.
TEST_PKGS=(
  libbenchmark-dev prometheus xvfb xauth clang libclang-rt-14-dev
)

pkgs=("${RUN_PKGS[@]}")
case "$what" in
  run) ;;
  test) pkgs+=("${TEST_PKGS[@]}") ;;
  *) echo "usage: $0 [run|test]" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
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
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
