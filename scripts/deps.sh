#!/usr/bin/env bash
# Installs the Debian packages the project needs, but only those `dpkg -s` reports missing
# (listing installed ones would make apt upgrade them). Sourced or run by test.sh and demo.sh.
set -euo pipefail

BROKER_PACKAGES=(cmake ninja-build g++ pkg-config libboost1.81-dev libssl-dev libpqxx-dev libpq-dev
  nlohmann-json3-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libgtest-dev libgmock-dev
  libbenchmark-dev libjemalloc-dev postgresql-15 ccache clang libclang-rt-14-dev python3 python3-yaml openssl curl)
# Only what the tests and benchmarks use beyond the build.
BROKER_TEST_PACKAGES=(python3-kubernetes wrk)

install_missing() {
  local missing=()
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing missing packages: ${missing[*]}" >&2
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "need root or sudo to install: ${missing[*]}" >&2; return 1; }
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  install_missing "${BROKER_PACKAGES[@]}"
  if [ "${1:-}" = "--with-test-tools" ]; then install_missing "${BROKER_TEST_PACKAGES[@]}"; fi
fi
