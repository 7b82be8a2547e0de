#!/usr/bin/env bash
# Builds llama.cpp's `llama-mtmd-cli` (the multimodal reference) from the source bundle
# that the oracle package carries, into a cache directory outside the repository, and
# prints the binary's path. Idempotent: a finished build is reused. Slow the first time
# (a CPU build of ggml + llama + mtmd); it runs at low priority with few jobs because
# the machine is shared. Needs the oracle installed (install-oracle.sh).
set -euo pipefail
oracle="${EDGELM_ORACLE_DIR:-$HOME/.cache/edgelm-oracle}"
bundle="$oracle/node_modules/node-llama-cpp/llama/gitRelease.bundle"
dir="${EDGELM_MTMD_DIR:-$oracle/mtmd-build}"
jobs="${EDGELM_MTMD_JOBS:-2}"
binary="$dir/build/bin/llama-mtmd-cli"
if [ -x "$binary" ] && [ -f "$dir/done" ]; then
  echo "$binary"
  exit 0
fi
[ -f "$bundle" ] || { echo "error: no source bundle at $bundle (run install-oracle.sh)" >&2; exit 1; }
mkdir -p "$dir"
[ -d "$dir/src/.git" ] || git clone -q "$bundle" "$dir/src" >&2
# A plain CPU build: no network features, no video (ffmpeg), no tests or other tools.
cmake -S "$dir/src" -B "$dir/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_SHARED_LIBS=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
  -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_OPENSSL=OFF -DMTMD_VIDEO=OFF \
  -DGGML_NATIVE=ON -DGGML_CCACHE=OFF >&2
nice -n 19 cmake --build "$dir/build" --target llama-mtmd-cli -j "$jobs" >&2
touch "$dir/done"
echo "$binary"
