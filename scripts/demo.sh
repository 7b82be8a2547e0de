#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install dependencies, build Release, write
# a synthetic Gemma 4 model with the real vocabulary and describe it.
# (Becomes a short generation once the forward pass lands.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
mkdir -p models
./build/bin/edgelm synth --preset tiny --quant q4_0 -o models/gemma4-tiny-q4_0.gguf
./build/bin/edgelm info --no-tensors models/gemma4-tiny-q4_0.gguf
