#!/usr/bin/env bash
# Configures and builds one flavour of edgelm.
#   scripts/build.sh            Release build in build/ (g++)
#   scripts/build.sh asan       ASan+UBSan unit tests and the libFuzzer target in build-asan/ (clang)
set -euo pipefail
cd "$(dirname "$0")/.."
flavour="${1:-release}"
jobs="$(nproc)"
gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
case "$flavour" in
  release)
    cmake -S . -B build "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DEDGELM_WERROR=ON \
      -DCMAKE_CXX_COMPILER="${CXX:-g++}" >/dev/null
    cmake --build build -j "$jobs"
    ;;
  asan)
    cmake -S . -B build-asan "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEDGELM_WERROR=ON \
      -DCMAKE_CXX_COMPILER=clang++ -DEDGELM_SANITIZE=ON -DEDGELM_FUZZ=ON >/dev/null
    cmake --build build-asan -j "$jobs"
    ;;
  *) echo "unknown flavour '$flavour' (release|asan)" >&2; exit 2 ;;
esac
