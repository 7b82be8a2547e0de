#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install dependencies, build Release, write
# a synthetic Gemma 4 model with the real vocabulary, describe it and generate from it.
# (Token ids in and out until the tokenizer lands; the weights are random, so the
# continuation is meaningless — the point is the full pipeline running.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh release
mkdir -p models
./build/bin/edgelm synth --preset tiny --quant q4_0 -o models/gemma4-tiny-q4_0.gguf
./build/bin/edgelm info --no-tensors models/gemma4-tiny-q4_0.gguf
echo "== greedy generation of 16 tokens after <bos> Hello world (ids 2 9259 1902) =="
./build/bin/edgelm run -m models/gemma4-tiny-q4_0.gguf --prompt-ids "2 9259 1902" -n 16 --temp 0 --ids
