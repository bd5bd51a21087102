#!/usr/bin/env bash
# Installs what is missing, builds, starts a private PostgreSQL (unless DATABASE_URL is set),
# and runs every test with ctest: unit, golden, CLI contract, fuzz smoke, integration.
# Leaves no process running. Usage: scripts/test.sh [ctest args...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/deps.sh --with-test-tools

export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
# Cache hits across checkouts in different folders (CI clones afresh): hash paths relative to here.
export CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=1
# -O2 without debug info: the fastest build whose binaries are fast enough for the load tests.
build_flags=(-DCMAKE_BUILD_TYPE=${BUILD_TYPE:-Release} "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG")
build=${BUILD_DIR:-$root/build}
jobs=${BUILD_JOBS:-$(nproc)}
start=$(date +%s)

# Fuzz targets need clang's libFuzzer: a separate, small build of the pure library only.
fuzz_build="$build-fuzz"
if command -v clang++ >/dev/null; then
  CC=clang CXX=clang++ cmake -S "$root" -B "$fuzz_build" -G Ninja "${build_flags[@]}" \
    -DBROKER_BUILD_FUZZ=ON -DBROKER_BUILD_BENCH=OFF -DBROKER_FUZZ_ONLY=ON >/dev/null
  cmake --build "$fuzz_build" -j "$jobs" --target fuzz_all
  fuzz_arg=(-DBROKER_FUZZ_BINARIES_DIR="$fuzz_build/tests/fuzz")
else
  echo "clang++ not found: fuzz smoke tests will be skipped" >&2
  fuzz_arg=(-DBROKER_FUZZ_BINARIES_DIR=)
fi

# Benchmarks are built and run on their own (bench/README.md), not by the test run.
cmake -S "$root" -B "$build" -G Ninja "${build_flags[@]}" "${fuzz_arg[@]}" -DBROKER_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j "$jobs"
echo "build finished in $(( $(date +%s) - start )) s" >&2

# Tests that need PostgreSQL start their own throwaway server (tests/support/postgres.*), so that
# they can also stop and restart it; a DATABASE_URL set by the caller is used instead.
cd "$build"
ctest --output-on-failure --timeout 600 -j "$jobs" "$@"
